-- Versions of corpus $1 whose rows may be deleted: not current, not among the newest $2,
-- not a parent of any surviving version, not pending (waiting on batches), and (if still
-- staged) older than $3.
WITH ranked AS (
    SELECT version, status, created_at,
           row_number() OVER (ORDER BY version DESC) AS recency
    FROM corpus_versions
    WHERE corpus = $1 AND status NOT IN ('pruned', 'writing')
),
referenced AS (
    SELECT p.version
    FROM corpus_versions AS child, unnest(child.parent_versions) AS t(p)
    WHERE child.status <> 'pruned' AND p.corpus = $1
)
SELECT version FROM ranked
WHERE recency > $2
  AND version <> coalesce((SELECT version FROM current_versions WHERE corpus = $1), -1)
  AND version NOT IN (SELECT version FROM referenced)
  AND status <> 'pending'
  AND (status <> 'staged' OR created_at < $3)
ORDER BY version
