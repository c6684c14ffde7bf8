-- {table} is a corpus table name from warehouse.corpora.CORPORA, never user input;
-- {lang_share} and {judge} (the judge and reward score columns) are fixed expressions chosen
-- by warehouse.audit (or NULL).
SELECT count(*) AS row_count,
       quantile_cont(len(coalesce(response, text, instruction, '')), 0.5) AS p50_chars,
       quantile_cont(len(coalesce(response, text, instruction, '')), 0.95) AS p95_chars,
       count(*) FILTER (WHERE method IN (SELECT unnest($verifiable))) AS verifiable_rows,
       avg(coalesce(verified, false)::INTEGER)
           FILTER (WHERE method IN (SELECT unnest($verifiable))) AS verified_share,
       {lang_share} AS allowed_language_share,
       {judge}
FROM {table}
WHERE version = $version
