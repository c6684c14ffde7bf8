-- The contamination report gains the `lexical` detector (character n-gram TF-IDF): how many
-- removals it fired on, and the highest lexical cosine among them.
CREATE OR REPLACE VIEW contamination_report AS
WITH drops AS (
    SELECT version, row_id, score,
           json_extract_string(evidence, '$.benchmark') AS benchmark,
           json_extract_string(evidence, '$.item_id') AS item_id,
           json_extract_string(evidence, '$.detectors[*]') AS detectors,
           json_extract_string(evidence, '$.judge.verdict') AS judge_verdict,
           TRY_CAST(json_extract_string(evidence, '$.embedding.similarity') AS DOUBLE) AS similarity,
           TRY_CAST(json_extract_string(evidence, '$.lexical.similarity') AS DOUBLE)
               AS lexical_similarity
    FROM decisions
    WHERE corpus = 'decontaminated' AND stage = 'decontaminated' AND action = 'drop'
),
origin AS (
    SELECT row_id, any_value(generator_id) AS generator_id, any_value(method) AS method
    FROM corpus_filtered
    GROUP BY row_id
)
SELECT d.version,
       v.status,
       d.version = (SELECT version FROM current_versions WHERE corpus = 'decontaminated')
           AS is_current,
       d.benchmark,
       o.generator_id,
       o.method,
       count(*) AS contaminated_rows,
       count(DISTINCT d.item_id) AS benchmark_items,
       count(*) FILTER (WHERE list_contains(d.detectors, 'ngram')) AS by_ngram,
       count(*) FILTER (WHERE list_contains(d.detectors, 'embedding')) AS by_embedding,
       count(*) FILTER (WHERE list_contains(d.detectors, 'lexical')) AS by_lexical,
       count(*) FILTER (WHERE list_contains(d.detectors, 'judge')) AS by_judge,
       count(*) FILTER (WHERE d.judge_verdict IS NOT NULL) AS judged,
       round(max(d.similarity), 4) AS max_similarity,
       round(max(d.lexical_similarity), 4) AS max_lexical_similarity
FROM drops AS d
LEFT JOIN origin AS o USING (row_id)
LEFT JOIN corpus_versions AS v ON v.corpus = 'decontaminated' AND v.version = d.version
GROUP BY ALL;
