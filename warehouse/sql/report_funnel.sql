-- Rows in, decisions per rule and rows out for the given corpus versions (a list of
-- {corpus, version} structs). Rows in = rows kept + distinct rows dropped or quarantined.
WITH wanted AS (
    SELECT unnest(?::STRUCT(corpus VARCHAR, version INTEGER)[], recursive := true)
),
rules AS (
    SELECT d.corpus, d.version, d.stage, d.rule, d.action,
           count(*) AS decisions, count(DISTINCT d.row_id) AS rows
    FROM decisions AS d JOIN wanted USING (corpus, version)
    GROUP BY ALL
)
SELECT v.corpus, v.version, v.status, v.row_count + coalesce(v.dropped_count, 0) AS rows_in,
       v.row_count AS rows_out, coalesce(v.dropped_count, 0) AS dropped,
       r.stage, r.rule, r.action, coalesce(r.rows, 0) AS rule_rows
FROM corpus_versions AS v
JOIN wanted USING (corpus, version)
LEFT JOIN rules AS r USING (corpus, version)
ORDER BY array_position(['seed', 'synthesized', 'filtered', 'decontaminated'], v.corpus),
         r.rows DESC NULLS LAST, r.rule;
