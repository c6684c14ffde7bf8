UPDATE batches
SET batch_id = coalesce($batch_id, batch_id),
    status = $status,
    output_file_id = coalesce($output_file_id, output_file_id),
    error_file_id = coalesce($error_file_id, error_file_id),
    completed_count = coalesce($completed_count, completed_count),
    failed_count = coalesce($failed_count, failed_count),
    errors = coalesce($errors::JSON, errors),
    finished_at = coalesce($finished_at, finished_at)
WHERE batch_key = $batch_key
