-- Coverage of sampled attributes (schema version 14): per method, attribute and value of the
-- current versions, the target share its sampler was configured with, candidates generated,
-- rows lost at each stage and the top reasons, rows kept and published, and the realized share
-- among kept rows. Values come from `attributes.sampled` of a row, or of the decision's
-- evidence for a candidate rejected while synthesizing; targets from the parameters of the
-- method's generators (`attributes.<name>.targets`; none for ranges, seed fields and samplers
-- of more than 1,000 values). A configured value no row drew still has its line, with zeros.
-- The target share of each value of each sampled attribute of a generator, from its parameters
-- (`attributes.<name>.targets`, written by assets/synthesis/attributes.py).
CREATE VIEW attribute_targets AS
WITH entries AS (
    SELECT generator_id,
           unnest(map_entries(json_transform(params -> '$.attributes', '"MAP(VARCHAR, JSON)"')))
               AS entry
    FROM generators
    WHERE (params -> '$.attributes') IS NOT NULL
),
targets AS (
    SELECT generator_id, entry.key AS attribute,
           unnest(map_entries(json_transform(entry.value -> '$.targets', '"MAP(VARCHAR, DOUBLE)"')))
               AS target
    FROM entries
    WHERE (entry.value -> '$.targets') IS NOT NULL
)
SELECT generator_id, attribute, target.key AS value, target.value AS target_share
FROM targets;

CREATE VIEW attribute_coverage AS
WITH current AS (
    SELECT v.corpus, v.version,
           list_filter(v.parent_versions, lambda p: p.corpus = CASE v.corpus
               WHEN 'filtered' THEN 'synthesized'
               WHEN 'decontaminated' THEN 'filtered' END)[1].version AS parent_version
    FROM corpus_versions AS v
    JOIN current_versions USING (corpus, version)
    WHERE v.corpus IN ('synthesized', 'filtered', 'decontaminated')
),
generator_methods AS (
    SELECT generator_id, any_value(method) AS method
    FROM corpus_synthesized
    GROUP BY generator_id
),
rejected AS (
    SELECT d.row_id, d.corpus, d.rule, d.evidence -> '$.sampled' AS sampled,
           d.evidence ->> '$.call_id' AS call_id
    FROM decisions AS d
    JOIN current AS c USING (corpus, version)
    WHERE d.corpus = 'synthesized' AND d.action <> 'merge'
      AND (d.evidence -> '$.sampled') IS NOT NULL
),
call_methods AS (
    SELECT m.request_hash AS call_id, any_value(gm.method) AS method
    FROM model_calls AS m
    JOIN generator_methods AS gm USING (generator_id)
    WHERE m.request_hash IN (SELECT call_id FROM rejected)
    GROUP BY m.request_hash
),
last_publication AS (
    SELECT corpus, version FROM publications ORDER BY created_at DESC LIMIT 1
),
-- One line per row or candidate and what became of it.
outcomes AS (
    SELECT method, row_id, attributes -> '$.sampled' AS sampled,
           'synthesized' AS outcome, NULL AS corpus, NULL AS rule
    FROM synthesized
    WHERE (attributes -> '$.sampled') IS NOT NULL
    UNION ALL
    SELECT cm.method, r.row_id, r.sampled, 'dropped', r.corpus, r.rule
    FROM rejected AS r
    LEFT JOIN call_methods AS cm USING (call_id)
    UNION ALL
    SELECT coalesce(s.method, f.method), d.row_id,
           coalesce(s.attributes, f.attributes) -> '$.sampled', 'dropped', d.corpus, d.rule
    FROM decisions AS d
    JOIN current AS c USING (corpus, version)
    LEFT JOIN corpus_synthesized AS s
        ON d.corpus = 'filtered' AND s.version = c.parent_version AND s.row_id = d.row_id
    LEFT JOIN corpus_filtered AS f
        ON d.corpus = 'decontaminated' AND f.version = c.parent_version AND f.row_id = d.row_id
    WHERE d.corpus IN ('filtered', 'decontaminated') AND d.action IN ('drop', 'quarantine', 'merge')
      AND (coalesce(s.attributes, f.attributes) -> '$.sampled') IS NOT NULL
    UNION ALL
    SELECT method, row_id, attributes -> '$.sampled', 'kept', NULL, NULL
    FROM decontaminated
    WHERE (attributes -> '$.sampled') IS NOT NULL
    UNION ALL
    SELECT r.method, r.row_id, r.attributes -> '$.sampled', 'published', NULL, NULL
    FROM corpus_decontaminated AS r
    JOIN last_publication AS p ON p.corpus = 'decontaminated' AND r.version = p.version
    WHERE (r.attributes -> '$.sampled') IS NOT NULL
),
entries AS (
    SELECT method, row_id, outcome, corpus, rule,
           unnest(map_entries(json_transform(sampled, '"MAP(VARCHAR, VARCHAR)"'))) AS entry
    FROM outcomes
),
valued AS (
    SELECT method, row_id, outcome, corpus, rule, entry.key AS attribute, entry.value AS value
    FROM entries
),
counts AS (
    SELECT method, attribute, value,
           count(DISTINCT row_id) FILTER (WHERE outcome = 'synthesized' OR corpus = 'synthesized')
               AS generated,
           count(DISTINCT row_id) FILTER (WHERE corpus = 'synthesized') AS dropped_synthesized,
           count(DISTINCT row_id) FILTER (WHERE corpus = 'filtered') AS dropped_filtered,
           count(DISTINCT row_id) FILTER (WHERE corpus = 'decontaminated')
               AS dropped_decontaminated,
           count(DISTINCT row_id) FILTER (WHERE outcome = 'kept') AS kept,
           count(DISTINCT row_id) FILTER (WHERE outcome = 'published') AS published
    FROM valued
    GROUP BY ALL
),
reasons AS (
    SELECT method, attribute, value,
           list(corpus || '.' || rule || ' (' || dropped || ')'
                ORDER BY dropped DESC, corpus, rule)[1:3] AS top_drop_reasons
    FROM (
        SELECT method, attribute, value, corpus, rule, count(DISTINCT row_id) AS dropped
        FROM valued
        WHERE outcome = 'dropped'
        GROUP BY ALL
    )
    GROUP BY ALL
),
-- The targets of the generators that made the current synthesized version's rows.
targets AS (
    SELECT s.method, t.attribute, t.value, any_value(t.target_share) AS target_share
    FROM (SELECT DISTINCT method, generator_id FROM synthesized) AS s
    JOIN attribute_targets AS t USING (generator_id)
    GROUP BY ALL
),
joined AS (
    SELECT coalesce(c.method, t.method) AS method,
           coalesce(c.attribute, t.attribute) AS attribute,
           coalesce(c.value, t.value) AS value,
           t.target_share,
           coalesce(c.generated, 0) AS generated,
           coalesce(c.dropped_synthesized, 0) AS dropped_synthesized,
           coalesce(c.dropped_filtered, 0) AS dropped_filtered,
           coalesce(c.dropped_decontaminated, 0) AS dropped_decontaminated,
           coalesce(c.kept, 0) AS kept,
           coalesce(c.published, 0) AS published
    FROM counts AS c
    FULL OUTER JOIN targets AS t USING (method, attribute, value)
)
SELECT j.method, j.attribute, j.value, j.target_share, j.generated,
       j.dropped_synthesized, j.dropped_filtered, j.dropped_decontaminated,
       coalesce(r.top_drop_reasons, []) AS top_drop_reasons,
       j.kept, j.published,
       round(j.kept / nullif(sum(j.kept) OVER (PARTITION BY j.method, j.attribute), 0), 6)
           AS realized_share
FROM joined AS j
LEFT JOIN reasons AS r USING (method, attribute, value);
