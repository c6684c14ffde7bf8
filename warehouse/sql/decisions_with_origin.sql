-- The decisions of one corpus version, each with the generator and method of its row in the
-- version(s) it was read from.
WITH parents AS (
    SELECT unnest(parent_versions, recursive := true)
    FROM corpus_versions WHERE corpus = $corpus AND version = $version
),
decided AS (
    SELECT row_id, rule, action, score, evidence::VARCHAR AS evidence
    FROM decisions WHERE corpus = $corpus AND version = $version
),
origin AS (
    SELECT r.row_id, any_value(r.generator_id) AS generator_id, any_value(r.method) AS method
    FROM corpus_rows AS r JOIN parents AS p ON r.corpus = p.corpus AND r.version = p.version
    WHERE r.row_id IN (SELECT row_id FROM decided)
    GROUP BY r.row_id
)
SELECT d.row_id, d.rule, d.action, d.score, d.evidence, o.generator_id, o.method
FROM decided AS d LEFT JOIN origin AS o USING (row_id)
ORDER BY d.row_id, d.rule
