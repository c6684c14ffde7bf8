-- The `batches` rows with the keys given (a pending version's), oldest first.
SELECT * FROM batches WHERE list_contains(?::VARCHAR[], batch_key) ORDER BY submitted_at
