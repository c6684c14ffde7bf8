-- Current-version views, lineage and yield (schema version 2).

CREATE VIEW current_versions AS
SELECT corpus, max(version) AS version
FROM corpus_versions
WHERE status = 'promoted'
GROUP BY corpus;

CREATE VIEW seed AS
SELECT * EXCLUDE (version) FROM corpus_seed
WHERE version = (SELECT version FROM current_versions WHERE corpus = 'seed');

CREATE VIEW synthesized AS
SELECT * EXCLUDE (version) FROM corpus_synthesized
WHERE version = (SELECT version FROM current_versions WHERE corpus = 'synthesized');

CREATE VIEW filtered AS
SELECT * EXCLUDE (version) FROM corpus_filtered
WHERE version = (SELECT version FROM current_versions WHERE corpus = 'filtered');

CREATE VIEW decontaminated AS
SELECT * EXCLUDE (version) FROM corpus_decontaminated
WHERE version = (SELECT version FROM current_versions WHERE corpus = 'decontaminated');

-- Every stored row of every version of every corpus, with the corpus it belongs to.
CREATE VIEW corpus_rows AS
SELECT 'seed' AS corpus, * FROM corpus_seed
UNION ALL BY NAME SELECT 'synthesized' AS corpus, * FROM corpus_synthesized
UNION ALL BY NAME SELECT 'filtered' AS corpus, * FROM corpus_filtered
UNION ALL BY NAME SELECT 'decontaminated' AS corpus, * FROM corpus_decontaminated;

-- For any row of any corpus version: one line per seed row it descends from, with its generator.
CREATE VIEW row_lineage AS
WITH rows AS (
    SELECT corpus, version, row_id, method, generator_id, parent_ids, call_ids, run_id, created_at,
           unnest(CASE WHEN len(seed_ids) = 0 THEN [NULL] ELSE seed_ids END) AS seed_id
    FROM corpus_rows
),
seed_rows AS (
    SELECT row_id AS seed_id,
           any_value(kind) AS seed_kind,
           any_value(task_type) AS seed_task_type,
           any_value(coalesce(instruction, text)) AS seed_text,
           any_value(source) AS seed_source,
           any_value(source_line) AS seed_line
    FROM corpus_seed
    GROUP BY row_id
)
SELECT rows.corpus, rows.version, rows.row_id, rows.method, rows.generator_id,
       g.backend, g.model, g.model_digest, g.template_name, g.template_sha256, g.params,
       rows.seed_id, s.seed_kind, s.seed_task_type, s.seed_text, s.seed_source, s.seed_line,
       rows.parent_ids, rows.call_ids, rows.run_id, rows.created_at
FROM rows
LEFT JOIN generators AS g USING (generator_id)
LEFT JOIN seed_rows AS s USING (seed_id);

-- Drops per generator, stage and rule for the current versions.
CREATE VIEW generator_drops AS
SELECT s.generator_id, s.method, d.stage, d.rule, count(*) AS dropped
FROM decisions AS d
JOIN current_versions AS cv ON d.corpus = cv.corpus AND d.version = cv.version
JOIN synthesized AS s ON s.row_id = d.row_id
WHERE d.action = 'drop'
GROUP BY ALL;

-- Yield per generator: generated in the current synthesized version, dropped at each stage,
-- kept in the current decontaminated version, and rows in the newest publication.
CREATE VIEW generator_yield AS
WITH generated AS (
    SELECT generator_id, any_value(method) AS method, count(*) AS generated
    FROM synthesized GROUP BY generator_id
),
dropped AS (
    SELECT generator_id,
           sum(dropped) FILTER (WHERE stage = 'filtered') AS dropped_filtered,
           sum(dropped) FILTER (WHERE stage = 'decontaminated') AS dropped_decontaminated
    FROM generator_drops GROUP BY generator_id
),
kept AS (
    SELECT generator_id, count(*) AS kept FROM decontaminated GROUP BY generator_id
),
last_publication AS (
    SELECT corpus, version FROM publications ORDER BY created_at DESC LIMIT 1
),
published AS (
    SELECT r.generator_id, count(*) AS published
    FROM corpus_decontaminated AS r
    JOIN last_publication AS p ON p.corpus = 'decontaminated' AND r.version = p.version
    GROUP BY r.generator_id
)
SELECT g.generator_id, g.backend, g.model, g.template_name, generated.method,
       generated.generated,
       coalesce(dropped.dropped_filtered, 0) AS dropped_filtered,
       coalesce(dropped.dropped_decontaminated, 0) AS dropped_decontaminated,
       coalesce(kept.kept, 0) AS kept,
       coalesce(published.published, 0) AS published,
       round(coalesce(kept.kept, 0) / generated.generated, 4) AS yield
FROM generated
JOIN generators AS g USING (generator_id)
LEFT JOIN dropped USING (generator_id)
LEFT JOIN kept USING (generator_id)
LEFT JOIN published USING (generator_id);
