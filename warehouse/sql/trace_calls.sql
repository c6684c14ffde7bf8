SELECT request_hash, generator_id, backend, model, prompt, params, sample_index, raw_output,
       finish_reason, prompt_tokens, completion_tokens, latency_ms, status, run_id, created_at
FROM model_calls WHERE list_contains(?::VARCHAR[], request_hash) AND status = 'ok'
QUALIFY row_number() OVER (PARTITION BY request_hash ORDER BY created_at DESC) = 1
