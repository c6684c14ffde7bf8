-- {table} is a corpus table name from warehouse.corpora.CORPORA, never user input.
-- Per method, sampled attribute and value of one version: its rows, its share of the method's
-- rows with that attribute, and the target share its generators were configured with; values
-- a generator targets and no row has appear with 0 rows.
WITH version_rows AS (
    SELECT method, generator_id, attributes -> '$.sampled' AS sampled
    FROM {table}
    WHERE version = $version
),
entries AS (
    SELECT method,
           unnest(map_entries(json_transform(sampled, '"MAP(VARCHAR, VARCHAR)"'))) AS entry
    FROM version_rows
    WHERE sampled IS NOT NULL
),
counts AS (
    SELECT method, entry.key AS attribute, entry.value AS value, count(*) AS rows
    FROM entries
    GROUP BY ALL
),
targets AS (
    SELECT r.method, t.attribute, t.value, any_value(t.target_share) AS target_share
    FROM (SELECT DISTINCT method, generator_id FROM version_rows) AS r
    JOIN attribute_targets AS t USING (generator_id)
    GROUP BY ALL
),
joined AS (
    SELECT coalesce(c.method, t.method) AS method,
           coalesce(c.attribute, t.attribute) AS attribute,
           coalesce(c.value, t.value) AS value,
           t.target_share,
           coalesce(c.rows, 0) AS rows
    FROM counts AS c
    FULL OUTER JOIN targets AS t USING (method, attribute, value)
)
SELECT method, attribute, value, target_share, rows,
       coalesce(rows / nullif(sum(rows) OVER (PARTITION BY method, attribute), 0), 0.0)
           AS realized_share
FROM joined
ORDER BY method, attribute, value
