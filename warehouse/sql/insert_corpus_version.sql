INSERT INTO corpus_versions
    (corpus, version, status, run_id, code_version, recipe_sha256, parent_versions,
     row_count, dropped_count, created_at, writer)
VALUES (?, ?, 'writing', ?, ?, ?, ?::STRUCT(corpus VARCHAR, version INTEGER)[], 0, 0, ?, ?)
