-- Rows a version's stage dropped or merged as duplicates (any rule naming "duplicate"), over
-- the rows that came in (kept + removed).
SELECT v.version, v.row_count,
       count(DISTINCT d.row_id) AS duplicates,
       count(DISTINCT d.row_id) / greatest(v.row_count + coalesce(v.dropped_count, 0), 1)
           AS duplicate_rate
FROM corpus_versions AS v
LEFT JOIN decisions AS d
       ON d.corpus = v.corpus AND d.version = v.version
      AND d.rule ILIKE '%duplicate%' AND d.action IN ('drop', 'merge')
WHERE v.corpus = $corpus AND v.version = $version
GROUP BY v.version, v.row_count, v.dropped_count
