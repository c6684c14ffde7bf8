-- Pending versions of a corpus, oldest first, with the batches each waits for.
SELECT version, run_id, created_at,
       CAST(check_results -> 'pending_batches' AS VARCHAR[]) AS batch_keys
FROM corpus_versions
WHERE corpus = ? AND status = 'pending'
ORDER BY version
