-- Yield per generator counted in rows, not decisions, and covering every generator that ran;
-- the decisions of the current versions (schema version 7). A row dropped by two rules is one dropped row; a generator whose every
-- candidate was rejected while synthesizing still appears, with nothing kept.

-- The decisions of the current versions only: counts over them do not grow with every run.
CREATE VIEW current_decisions AS
SELECT d.*
FROM decisions AS d
JOIN current_versions USING (corpus, version);

-- Every drop, quarantine or merge of the current synthesized, filtered and decontaminated
-- versions, with the generator and method of the row or candidate it concerns. A candidate
-- rejected while synthesizing is keyed by its model call (evidence `call_id`, or the first
-- scored call of a source that made no row); a merged repeat names its own generator; a row
-- dropped later is looked up in the version its stage read.
CREATE VIEW generator_decisions AS
WITH current AS (
    SELECT v.corpus, v.version,
           list_filter(v.parent_versions, lambda p: p.corpus = CASE v.corpus
               WHEN 'filtered' THEN 'synthesized'
               WHEN 'decontaminated' THEN 'filtered' END)[1].version AS parent_version
    FROM corpus_versions AS v
    JOIN current_versions USING (corpus, version)
    WHERE v.corpus IN ('synthesized', 'filtered', 'decontaminated')
),
decided AS (
    SELECT d.corpus, d.version, c.parent_version, d.row_id, d.stage, d.rule, d.action, d.score,
           coalesce(d.evidence ->> '$.call_id', d.evidence ->> '$.scored_call_ids[0]') AS call_id,
           d.evidence ->> '$.generator_id' AS merged_generator_id,
           d.evidence ->> '$.method' AS merged_method
    FROM decisions AS d
    JOIN current AS c USING (corpus, version)
    WHERE d.action IN ('drop', 'quarantine', 'merge')
),
call_generators AS (
    SELECT request_hash AS call_id, any_value(generator_id) AS generator_id
    FROM model_calls
    WHERE request_hash IN (SELECT call_id FROM decided WHERE call_id IS NOT NULL)
    GROUP BY request_hash
),
generator_methods AS (
    SELECT generator_id, any_value(method) AS method
    FROM corpus_synthesized
    GROUP BY generator_id
)
SELECT coalesce(s.generator_id, f.generator_id, d.merged_generator_id, cg.generator_id)
           AS generator_id,
       coalesce(s.method, f.method, d.merged_method, gm.method) AS method,
       d.corpus, d.version, d.row_id, d.stage, d.rule, d.action, d.score
FROM decided AS d
LEFT JOIN corpus_synthesized AS s
    ON d.corpus = 'filtered' AND s.version = d.parent_version AND s.row_id = d.row_id
LEFT JOIN corpus_filtered AS f
    ON d.corpus = 'decontaminated' AND f.version = d.parent_version AND f.row_id = d.row_id
LEFT JOIN call_generators AS cg ON d.corpus = 'synthesized' AND cg.call_id = d.call_id
LEFT JOIN generator_methods AS gm
    ON gm.generator_id = coalesce(d.merged_generator_id, cg.generator_id);

-- Rows each generator lost per stage and rule in the current versions: `dropped` counts rows
-- (a row two rules dropped counts once under each rule), `decisions` the decisions behind them.
CREATE OR REPLACE VIEW generator_drops AS
SELECT generator_id, method, stage, rule, action,
       count(DISTINCT row_id) AS dropped,
       count(*) AS decisions
FROM generator_decisions
GROUP BY ALL;

-- Per generator that ran in the current synthesized version: candidates generated, rows lost
-- at each stage (each row once, whatever number of rules dropped it), rows kept in the current
-- decontaminated version and in the newest publication, and its most frequent drop reasons.
-- generated = dropped_synthesized + merged + dropped_filtered + dropped_decontaminated + kept
-- when the current versions were built from each other.
CREATE OR REPLACE VIEW generator_yield AS
WITH made AS (
    SELECT generator_id, any_value(method) AS method, count(*) AS synthesized
    FROM synthesized GROUP BY generator_id
),
lost AS (
    SELECT generator_id, any_value(method) AS method,
           count(DISTINCT row_id) FILTER (WHERE corpus = 'synthesized' AND action <> 'merge')
               AS dropped_synthesized,
           count(DISTINCT row_id) FILTER (WHERE corpus = 'synthesized' AND action = 'merge')
               AS merged,
           count(DISTINCT row_id) FILTER (WHERE corpus = 'filtered' AND action <> 'merge')
               AS dropped_filtered,
           count(DISTINCT row_id) FILTER (WHERE corpus = 'decontaminated' AND action <> 'merge')
               AS dropped_decontaminated
    FROM generator_decisions
    WHERE generator_id IS NOT NULL
    GROUP BY generator_id
),
reasons AS (
    SELECT generator_id,
           list(stage || '.' || rule || ' (' || dropped || ')'
                ORDER BY dropped DESC, stage, rule)[1:3] AS top_drop_reasons
    FROM generator_drops
    WHERE generator_id IS NOT NULL AND action <> 'merge'
    GROUP BY generator_id
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
),
ran AS (
    SELECT generator_id FROM made
    UNION
    SELECT generator_id FROM lost WHERE dropped_synthesized + merged > 0
),
counted AS (
    SELECT ran.generator_id,
           coalesce(made.method, lost.method) AS method,
           coalesce(made.synthesized, 0) AS synthesized,
           coalesce(lost.dropped_synthesized, 0) AS dropped_synthesized,
           coalesce(lost.merged, 0) AS merged,
           coalesce(lost.dropped_filtered, 0) AS dropped_filtered,
           coalesce(lost.dropped_decontaminated, 0) AS dropped_decontaminated,
           coalesce(kept.kept, 0) AS kept,
           coalesce(published.published, 0) AS published,
           coalesce(reasons.top_drop_reasons, []) AS top_drop_reasons
    FROM ran
    LEFT JOIN made USING (generator_id)
    LEFT JOIN lost USING (generator_id)
    LEFT JOIN kept USING (generator_id)
    LEFT JOIN published USING (generator_id)
    LEFT JOIN reasons USING (generator_id)
)
SELECT c.generator_id, c.method, g.backend, g.model, g.template_name,
       c.synthesized + c.dropped_synthesized + c.merged AS generated,
       c.dropped_synthesized, c.merged, c.synthesized,
       c.dropped_filtered, c.dropped_decontaminated, c.kept, c.published,
       round(c.kept / (c.synthesized + c.dropped_synthesized + c.merged), 4) AS yield,
       c.top_drop_reasons
FROM counted AS c
LEFT JOIN generators AS g USING (generator_id);
