-- The one definition of the contamination report: the view, the HTML report
-- (report_contamination.sql) and the decontaminated asset's metadata all read it.
-- Per decontaminated version, benchmark and generator: removed rows, the benchmark items they
-- matched, and how many each detector fired on (`by_detector`, a map read from each decision's
-- evidence, so a new detector needs no change here). The generator and method of a row are
-- those of the filtered version the decontaminated version was read from.
-- by_ngram ... max_lexical_similarity stay for queries written against the earlier view.
CREATE OR REPLACE VIEW contamination_report AS
WITH drops AS (
    SELECT version, row_id,
           coalesce(json_extract_string(evidence, '$.benchmark'), '(unknown)') AS benchmark,
           json_extract_string(evidence, '$.item_id') AS item_id,
           coalesce(json_extract_string(evidence, '$.detectors[*]'), []) AS detectors,
           json_extract_string(evidence, '$.judge.verdict') AS judge_verdict,
           TRY_CAST(json_extract_string(evidence, '$.embedding.similarity') AS DOUBLE) AS similarity,
           TRY_CAST(json_extract_string(evidence, '$.lexical.similarity') AS DOUBLE)
               AS lexical_similarity
    FROM decisions
    WHERE corpus = 'decontaminated' AND stage = 'decontaminated' AND action = 'drop'
),
parents AS (
    SELECT v.version, p.corpus AS parent_corpus, p.version AS parent_version
    FROM corpus_versions AS v, unnest(v.parent_versions) AS u(p)
    WHERE v.corpus = 'decontaminated'
),
origin AS (
    SELECT d.version, d.row_id,
           any_value(r.generator_id) AS generator_id, any_value(r.method) AS method
    FROM drops AS d
    JOIN parents AS p ON p.version = d.version
    JOIN corpus_rows AS r
        ON r.corpus = p.parent_corpus AND r.version = p.parent_version AND r.row_id = d.row_id
    GROUP BY d.version, d.row_id
),
grouped AS (
    SELECT d.version,
           d.benchmark,
           o.generator_id,
           o.method,
           count(*) AS contaminated_rows,
           count(DISTINCT d.item_id) AS benchmark_items,
           coalesce(list_aggr(flatten(list(d.detectors)), 'histogram'), MAP {}) AS by_detector,
           count(*) FILTER (WHERE d.judge_verdict IS NOT NULL) AS judged,
           round(max(d.similarity), 4) AS max_similarity,
           round(max(d.lexical_similarity), 4) AS max_lexical_similarity
    FROM drops AS d
    LEFT JOIN origin AS o USING (version, row_id)
    GROUP BY ALL
)
SELECT g.version,
       v.status,
       g.version = (SELECT version FROM current_versions WHERE corpus = 'decontaminated')
           AS is_current,
       g.benchmark,
       g.generator_id,
       g.method,
       g.contaminated_rows,
       g.benchmark_items,
       g.by_detector,
       coalesce(g.by_detector['ngram'], 0) AS by_ngram,
       coalesce(g.by_detector['embedding'], 0) AS by_embedding,
       coalesce(g.by_detector['lexical'], 0) AS by_lexical,
       coalesce(g.by_detector['judge'], 0) AS by_judge,
       g.judged,
       g.max_similarity,
       g.max_lexical_similarity
FROM grouped AS g
LEFT JOIN corpus_versions AS v ON v.corpus = 'decontaminated' AND v.version = g.version;
