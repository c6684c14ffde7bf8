-- What model calls cost (schema version 12): each call's `cost` at its generator's recipe
-- price (NULL: no price given) and how it was sent (`mode`: online, or batch through a
-- provider's batch API); `generator_cost` sums calls, tokens and cost per generator, run and
-- mode, and `generator_yield` gains what each generator's calls cost and the cost per kept row.
ALTER TABLE model_calls ADD COLUMN cost DOUBLE;
ALTER TABLE model_calls ADD COLUMN mode VARCHAR DEFAULT 'online';

-- Every call logged, cached answers excluded (a call read from the log is not logged again,
-- so it costs nothing). `cost` is NULL when none of the group's calls had a price.
CREATE VIEW generator_cost AS
SELECT c.generator_id, g.backend, g.model, g.template_name, c.run_id,
       coalesce(c.mode, 'online') AS mode,
       count(*) AS calls,
       count(*) FILTER (WHERE c.status = 'ok') AS ok_calls,
       coalesce(sum(c.prompt_tokens), 0) AS prompt_tokens,
       coalesce(sum(c.completion_tokens), 0) AS completion_tokens,
       coalesce(sum(c.prompt_tokens), 0) + coalesce(sum(c.completion_tokens), 0) AS tokens,
       sum(c.cost) AS cost,
       min(c.created_at) AS first_call_at,
       max(c.created_at) AS last_call_at
FROM model_calls AS c
LEFT JOIN generators AS g USING (generator_id)
GROUP BY ALL;

-- 007's view plus `cost` (everything the generator's calls have cost, over all runs: what
-- its rows took to make, cache hits free) and `cost_per_kept_row` (NULL with nothing kept).
CREATE OR REPLACE VIEW generator_yield AS
WITH made AS (
    SELECT generator_id, any_value(method) AS method, count(*) AS synthesized
    FROM synthesized GROUP BY generator_id
),
lost AS (
    SELECT generator_id, any_value(method) AS method,
           count(DISTINCT row_id) FILTER (WHERE corpus = 'synthesized' AND action <> 'merge')
               AS dropped_synthesized,
           count(DISTINCT row_id) FILTER (WHERE corpus = 'synthesized' AND action = 'merge')
               AS merged,
           count(DISTINCT row_id) FILTER (WHERE corpus = 'filtered' AND action <> 'merge')
               AS dropped_filtered,
           count(DISTINCT row_id) FILTER (WHERE corpus = 'decontaminated' AND action <> 'merge')
               AS dropped_decontaminated
    FROM generator_decisions
    WHERE generator_id IS NOT NULL
    GROUP BY generator_id
),
reasons AS (
    SELECT generator_id,
           list(stage || '.' || rule || ' (' || dropped || ')'
                ORDER BY dropped DESC, stage, rule)[1:3] AS top_drop_reasons
    FROM generator_drops
    WHERE generator_id IS NOT NULL AND action <> 'merge'
    GROUP BY generator_id
),
kept AS (
    SELECT generator_id, count(*) AS kept FROM decontaminated GROUP BY generator_id
),
last_publication AS (
    SELECT corpus, version FROM publications ORDER BY created_at DESC LIMIT 1
),
published AS (
    SELECT r.generator_id, count(*) AS published
    FROM corpus_decontaminated AS r
    JOIN last_publication AS p ON p.corpus = 'decontaminated' AND r.version = p.version
    GROUP BY r.generator_id
),
spent AS (
    SELECT generator_id, sum(cost) AS cost FROM model_calls GROUP BY generator_id
),
ran AS (
    SELECT generator_id FROM made
    UNION
    SELECT generator_id FROM lost WHERE dropped_synthesized + merged > 0
),
counted AS (
    SELECT ran.generator_id,
           coalesce(made.method, lost.method) AS method,
           coalesce(made.synthesized, 0) AS synthesized,
           coalesce(lost.dropped_synthesized, 0) AS dropped_synthesized,
           coalesce(lost.merged, 0) AS merged,
           coalesce(lost.dropped_filtered, 0) AS dropped_filtered,
           coalesce(lost.dropped_decontaminated, 0) AS dropped_decontaminated,
           coalesce(kept.kept, 0) AS kept,
           coalesce(published.published, 0) AS published,
           coalesce(reasons.top_drop_reasons, []) AS top_drop_reasons,
           spent.cost
    FROM ran
    LEFT JOIN made USING (generator_id)
    LEFT JOIN lost USING (generator_id)
    LEFT JOIN kept USING (generator_id)
    LEFT JOIN published USING (generator_id)
    LEFT JOIN reasons USING (generator_id)
    LEFT JOIN spent USING (generator_id)
)
SELECT c.generator_id, c.method, g.backend, g.model, g.template_name,
       c.synthesized + c.dropped_synthesized + c.merged AS generated,
       c.dropped_synthesized, c.merged, c.synthesized,
       c.dropped_filtered, c.dropped_decontaminated, c.kept, c.published,
       round(c.kept / (c.synthesized + c.dropped_synthesized + c.merged), 4) AS yield,
       c.top_drop_reasons,
       c.cost,
       CASE WHEN c.kept > 0 THEN c.cost / c.kept END AS cost_per_kept_row
FROM counted AS c
LEFT JOIN generators AS g USING (generator_id);
