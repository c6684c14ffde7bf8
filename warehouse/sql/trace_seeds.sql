SELECT row_id, kind, task_type, instruction, input, response, text, source, source_line
FROM corpus_seed WHERE list_contains(?::VARCHAR[], row_id)
QUALIFY row_number() OVER (PARTITION BY row_id ORDER BY version DESC) = 1
