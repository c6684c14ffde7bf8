-- What one run's new model calls cost, online and batch (cached answers are not logged again).
SELECT mode, sum(calls)::BIGINT AS calls, sum(tokens)::BIGINT AS tokens, sum(cost) AS cost
FROM generator_cost
WHERE run_id = ?
GROUP BY mode
ORDER BY mode
