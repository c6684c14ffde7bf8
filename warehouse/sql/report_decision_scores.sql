-- Numeric decision scores of one corpus version, per rule: all of them, or with $per_rule
-- those of each rule's decisions with the smallest row ids (a pseudo-random sample).
SELECT rule, score
FROM decisions
WHERE corpus = $corpus AND version = $version AND score IS NOT NULL AND isfinite(score)
QUALIFY $per_rule IS NULL OR row_number() OVER (PARTITION BY rule ORDER BY row_id) <= $per_rule;
