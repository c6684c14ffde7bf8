SELECT count(DISTINCT row_id) FROM decisions
WHERE corpus = ? AND version = ? AND action IN ('drop', 'quarantine')
