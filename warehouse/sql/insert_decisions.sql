INSERT INTO decisions
SELECT ?::VARCHAR AS corpus, ?::INTEGER AS version, row_id, stage, rule, action,
       score::DOUBLE, evidence::JSON, ?::VARCHAR AS run_id, ?::TIMESTAMP AS created_at
FROM staged_decisions
