UPDATE batches
SET collected_at = $collected_at,
    cost = (SELECT sum(c.cost) FROM model_calls AS c
            WHERE c.mode = 'batch' AND list_contains(batches.request_hashes, c.request_hash)
              AND c.created_at >= batches.submitted_at)
WHERE batch_key = $batch_key
