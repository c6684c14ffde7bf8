INSERT INTO corpus_versions
    (corpus, version, status, run_id, code_version, recipe_sha256, parent_versions,
     row_count, dropped_count, created_at)
VALUES (?, ?, 'staged', ?, ?, ?, ?::STRUCT(corpus VARCHAR, version INTEGER)[], ?, ?, ?)
