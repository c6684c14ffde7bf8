-- Numeric decision scores of one corpus version, per rule.
SELECT rule, score
FROM decisions
WHERE corpus = ? AND version = ? AND score IS NOT NULL AND isfinite(score);
