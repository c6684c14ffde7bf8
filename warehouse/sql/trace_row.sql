-- The newest stored copy of a row (content and lineage are the same in every copy).
SELECT * EXCLUDE (corpus, version) FROM corpus_rows WHERE row_id = ?
ORDER BY created_at DESC LIMIT 1
