-- Decisions gain the `redact` action (personal data replaced by a typed placeholder in the
-- filtered stage; the row stays) and a CHECK on the action vocabulary. DuckDB cannot add a
-- constraint to an existing table, so the table is rebuilt with its rows. A redaction is not
-- a removal: views and drop counts keep filtering on action = 'drop' (or 'quarantine').
CREATE TABLE decisions_new (
    corpus     VARCHAR NOT NULL,
    version    INTEGER NOT NULL,
    row_id     VARCHAR NOT NULL,
    stage      VARCHAR NOT NULL,
    rule       VARCHAR NOT NULL,
    action     VARCHAR NOT NULL CHECK (action IN ('drop', 'quarantine', 'merge', 'redact')),
    score      DOUBLE,
    evidence   JSON,
    run_id     VARCHAR,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO decisions_new BY NAME SELECT * FROM decisions;
DROP TABLE decisions;
ALTER TABLE decisions_new RENAME TO decisions;

-- Personal data handled per corpus version and entity type: what was redacted or dropped.
CREATE VIEW redactions AS
SELECT corpus, version, stage, evidence ->> '$.type' AS entity_type, action,
       count(DISTINCT row_id) AS rows, sum(score)::BIGINT AS matches
FROM decisions
WHERE rule LIKE 'pii.%'
GROUP BY ALL;
