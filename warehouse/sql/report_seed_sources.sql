-- The seed sources (files or Hub datasets) the rows of one decontaminated version descend from.
WITH ids AS (
    SELECT DISTINCT unnest(seed_ids) AS seed_id FROM corpus_decontaminated WHERE version = ?
)
SELECT s.source, count(DISTINCT s.row_id) AS seed_rows
FROM corpus_seed AS s JOIN ids ON s.row_id = ids.seed_id
GROUP BY s.source
ORDER BY s.source;
