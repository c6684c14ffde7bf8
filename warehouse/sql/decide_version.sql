UPDATE corpus_versions
SET status = ?, check_results = ?::JSON, decided_at = ?
WHERE corpus = ? AND version = ? AND status = 'staged'
RETURNING version
