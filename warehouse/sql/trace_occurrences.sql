SELECT r.corpus, r.version, v.status, (cv.version IS NOT NULL) AS is_current
FROM corpus_rows AS r
JOIN corpus_versions AS v ON v.corpus = r.corpus AND v.version = r.version
LEFT JOIN current_versions AS cv ON cv.corpus = r.corpus AND cv.version = r.version
WHERE r.row_id = ?
ORDER BY array_position(['seed', 'synthesized', 'filtered', 'decontaminated'], r.corpus), r.version
