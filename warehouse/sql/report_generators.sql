-- The generators behind the rows of one corpus version, with the rows each contributed.
SELECT g.generator_id, g.backend, g.model, g.model_digest, g.template_name, g.template_version,
       g.template_sha256, g.params, r.method, count(*) AS rows
FROM corpus_rows AS r
JOIN generators AS g USING (generator_id)
WHERE r.corpus = ? AND r.version = ?
GROUP BY ALL
ORDER BY rows DESC, g.generator_id;
