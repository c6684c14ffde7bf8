-- Walk parent_versions up from ($1, $2) to the seed version it was built from.
WITH RECURSIVE chain(corpus, version, depth) AS (
    SELECT ?::VARCHAR, ?::INTEGER, 0
    UNION ALL
    SELECT p.corpus, p.version, chain.depth + 1
    FROM chain
    JOIN corpus_versions AS v ON v.corpus = chain.corpus AND v.version = chain.version,
         unnest(v.parent_versions) AS t(p)
    WHERE chain.depth < 32
)
SELECT max(version) FROM chain WHERE corpus = 'seed'
