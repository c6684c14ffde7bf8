SELECT v.corpus, v.version, v.status,
       (cv.version IS NOT NULL) AS is_current,
       v.row_count, v.dropped_count, v.parent_versions, v.run_id, v.code_version,
       v.created_at, v.decided_at
FROM corpus_versions AS v
LEFT JOIN current_versions AS cv ON cv.corpus = v.corpus AND cv.version = v.version
WHERE ?::VARCHAR IS NULL OR v.corpus = ?
ORDER BY array_position(['seed', 'synthesized', 'filtered', 'decontaminated'], v.corpus), v.corpus, v.version
