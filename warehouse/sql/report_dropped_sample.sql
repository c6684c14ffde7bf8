-- Up to ? dropped or quarantined rows per rule of one corpus version, with the content the
-- row had in the version it was read from (its parent), when that row is stored there.
WITH parents AS (
    SELECT unnest(parent_versions, recursive := true)
    FROM corpus_versions WHERE corpus = $corpus AND version = $version
),
dropped AS (
    SELECT row_id, rule, action, score, evidence
    FROM decisions
    WHERE corpus = $corpus AND version = $version AND action IN ('drop', 'quarantine')
    QUALIFY row_number() OVER (PARTITION BY rule ORDER BY row_id) <= $per_rule
),
parent_rows AS (
    SELECT r.row_id, any_value(r.instruction) AS instruction, any_value(r.response) AS response,
           any_value(r.text) AS text
    FROM corpus_rows AS r JOIN parents AS p ON r.corpus = p.corpus AND r.version = p.version
    WHERE r.row_id IN (SELECT row_id FROM dropped)
    GROUP BY r.row_id
)
SELECT d.rule, d.action, d.score, d.row_id,
       coalesce(p.instruction, p.text) AS instruction, p.response, d.evidence
FROM dropped AS d LEFT JOIN parent_rows AS p USING (row_id)
ORDER BY d.rule, d.row_id;
