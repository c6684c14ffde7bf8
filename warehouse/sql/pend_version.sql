-- A staged version whose rows wait on provider batches becomes `pending`: never promoted;
-- `check_results.pending_batches` keys the `batches` rows it waits for.
UPDATE corpus_versions
SET status = 'pending', check_results = ?::JSON, decided_at = ?
WHERE corpus = ? AND version = ? AND status = 'staged'
RETURNING version
