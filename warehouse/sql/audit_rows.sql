-- A version as the quality gate sees it: every column plus lineage-integrity columns.
-- {table} is a corpus table name from warehouse.corpora.CORPORA, never user input;
-- {rows} a fixed predicate from warehouse/audit.py choosing the rows (`true` for all).
-- Every occurrence of a chosen row id is chosen too, so the counts below stay exact.
-- Used as a subquery (warehouse/audit.py): aggregates over it, or the few rows it names.
WITH v AS (
    SELECT * EXCLUDE (version) FROM {table} WHERE version = $version AND {rows}
),
seeds AS (
    SELECT DISTINCT row_id AS seed_id FROM corpus_seed WHERE version = $seed_version
),
unresolved AS (
    SELECT row_id, count(*) AS n
    FROM (SELECT row_id, unnest(seed_ids) AS seed_id FROM v) AS u
    ANTI JOIN seeds USING (seed_id)
    GROUP BY row_id
),
repeated AS (
    SELECT row_id, count(*) AS n FROM v GROUP BY row_id HAVING count(*) > 1
)
SELECT v.*,
       coalesce(repeated.n, 1) AS row_id_occurrences,
       coalesce(unresolved.n, 0) AS unresolved_seed_ids,
       -- Where a row comes from: its seed rows, or for a row made from no seed row (Magpie)
       -- the model calls of its generator. A row with neither has no lineage.
       CASE WHEN coalesce(len(v.seed_ids), 0) > 0 THEN len(v.seed_ids)
            WHEN v.generator_id IS NOT NULL THEN coalesce(len(v.call_ids), 0)
            ELSE 0 END AS lineage_roots
FROM v
LEFT JOIN unresolved USING (row_id)
LEFT JOIN repeated USING (row_id)
