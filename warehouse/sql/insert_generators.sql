INSERT OR IGNORE INTO generators
SELECT generator_id, backend, model, model_digest, template_name, template_version,
       template_sha256, template_text, params::JSON, ?::TIMESTAMP
FROM new_generators
