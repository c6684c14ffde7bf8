SELECT request_hash, raw_output, finish_reason, prompt_tokens, completion_tokens, latency_ms
FROM model_calls
WHERE status = 'ok' AND list_contains(?::VARCHAR[], request_hash)
QUALIFY row_number() OVER (PARTITION BY request_hash ORDER BY created_at DESC) = 1
