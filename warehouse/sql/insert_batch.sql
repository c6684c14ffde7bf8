INSERT INTO batches (batch_key, provider, base_url, model, generator_id, status, input_file_id,
                     request_hashes, request_count, run_id, submitted_at)
VALUES ($batch_key, $provider, $base_url, $model, $generator_id, 'submitting', $input_file_id,
        $request_hashes, len($request_hashes), $run_id, $submitted_at)
