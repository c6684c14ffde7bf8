-- A fully written version becomes `staged`: its checks decide whether it is promoted.
UPDATE corpus_versions
SET status = 'staged', row_count = $row_count, dropped_count = $dropped_count,
    step_engines = $step_engines
WHERE corpus = $corpus AND version = $version AND status = 'writing'
RETURNING version
