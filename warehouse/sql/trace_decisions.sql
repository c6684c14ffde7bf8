SELECT corpus, version, row_id, stage, rule, action, score, evidence, run_id, created_at
FROM decisions WHERE list_contains(?::VARCHAR[], row_id)
ORDER BY created_at, corpus, version
