SELECT batch_id, status, request_count, completed_count, failed_count, cost
FROM batches
WHERE run_id = ?
ORDER BY submitted_at
