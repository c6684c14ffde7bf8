SELECT * EXCLUDE (corpus, version) FROM corpus_rows WHERE list_contains(?::VARCHAR[], row_id)
QUALIFY row_number() OVER (PARTITION BY row_id ORDER BY created_at DESC) = 1
