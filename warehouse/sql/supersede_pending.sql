-- Pending versions older than a newer version of the same corpus: that version's run adopted
-- their batches, so nothing waits on them any more.
UPDATE corpus_versions
SET status = 'superseded', decided_at = $decided_at
WHERE corpus = $corpus AND status = 'pending' AND version < $version
RETURNING version
