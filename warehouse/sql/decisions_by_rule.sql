-- Decisions of one corpus version per action and rule, most frequent first.
SELECT action, rule, count(*) AS n
FROM decisions
WHERE corpus = ? AND version = ?
GROUP BY action, rule
ORDER BY n DESC, action, rule
