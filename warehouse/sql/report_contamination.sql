-- Decontamination decisions of one decontaminated version per benchmark and generator:
-- the generator comes from the row as it was in the filtered version it was read from.
WITH parents AS (
    SELECT unnest(parent_versions, recursive := true)
    FROM corpus_versions WHERE corpus = 'decontaminated' AND version = $version
),
hits AS (
    SELECT row_id, rule, json_extract_string(evidence, '$.benchmark') AS benchmark
    FROM decisions
    WHERE corpus = 'decontaminated' AND version = $version AND action = 'drop'
),
sources AS (
    SELECT r.row_id, any_value(r.generator_id) AS generator_id, any_value(r.method) AS method
    FROM corpus_rows AS r JOIN parents AS p ON r.corpus = p.corpus AND r.version = p.version
    WHERE r.row_id IN (SELECT row_id FROM hits)
    GROUP BY r.row_id
)
SELECT coalesce(h.benchmark, '(unknown)') AS benchmark, h.rule, s.generator_id, s.method,
       count(DISTINCT h.row_id) AS rows
FROM hits AS h LEFT JOIN sources AS s USING (row_id)
GROUP BY ALL
ORDER BY rows DESC, benchmark, generator_id;
