-- Versioned corpora, lineage, call log and decisions (schema version 1).

CREATE TABLE corpus_versions (
    corpus          VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    status          VARCHAR NOT NULL,  -- staged | promoted | rejected | pruned
    run_id          VARCHAR,
    code_version    VARCHAR,
    recipe_sha256   VARCHAR,
    parent_versions STRUCT(corpus VARCHAR, version INTEGER)[],
    row_count       BIGINT,
    dropped_count   BIGINT,
    check_results   JSON,
    created_at      TIMESTAMP NOT NULL,
    decided_at      TIMESTAMP,
    PRIMARY KEY (corpus, version)
);

-- One table per corpus holds every version; the `version` column makes versions immutable
-- partitions that are appended once and never updated.

CREATE TABLE corpus_seed (
    version      INTEGER NOT NULL,
    row_id       VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,
    task_type    VARCHAR,
    instruction  VARCHAR,
    input        VARCHAR,
    response     VARCHAR,
    text         VARCHAR,
    answer       VARCHAR,
    verified     BOOLEAN,
    attributes   JSON,
    source       VARCHAR,
    source_line  BIGINT,
    seed_ids     VARCHAR[],
    parent_ids   VARCHAR[],
    call_ids     VARCHAR[],
    generator_id VARCHAR,
    method       VARCHAR,
    run_id       VARCHAR,
    created_at   TIMESTAMP
);
CREATE TABLE corpus_synthesized AS FROM corpus_seed WITH NO DATA;
CREATE TABLE corpus_filtered AS FROM corpus_seed WITH NO DATA;
CREATE TABLE corpus_decontaminated AS FROM corpus_seed WITH NO DATA;

CREATE TABLE generators (
    generator_id     VARCHAR PRIMARY KEY,
    backend          VARCHAR NOT NULL,
    model            VARCHAR,
    model_digest     VARCHAR,
    template_name    VARCHAR,
    template_version VARCHAR,
    template_sha256  VARCHAR,
    template_text    VARCHAR,
    params           JSON,
    created_at       TIMESTAMP NOT NULL
);

-- Every model call, successful or not. The cache is the newest `ok` row per request_hash.
CREATE TABLE model_calls (
    request_hash      VARCHAR NOT NULL,
    generator_id      VARCHAR,
    backend           VARCHAR,
    model             VARCHAR,
    prompt            VARCHAR,
    params            JSON,
    sample_index      INTEGER,
    raw_output        VARCHAR,
    finish_reason     VARCHAR,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    latency_ms        DOUBLE,
    status            VARCHAR NOT NULL,  -- ok | error
    error             VARCHAR,
    run_id            VARCHAR,
    created_at        TIMESTAMP NOT NULL
);

CREATE TABLE decisions (
    corpus     VARCHAR NOT NULL,   -- the corpus version being built when the decision was made
    version    INTEGER NOT NULL,
    row_id     VARCHAR NOT NULL,
    stage      VARCHAR NOT NULL,
    rule       VARCHAR NOT NULL,
    action     VARCHAR NOT NULL,   -- drop | quarantine
    score      DOUBLE,
    evidence   JSON,
    run_id     VARCHAR,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE publications (
    corpus     VARCHAR NOT NULL,
    version    INTEGER NOT NULL,
    path       VARCHAR NOT NULL,
    row_count  BIGINT NOT NULL,
    manifest   JSON,
    run_id     VARCHAR,
    created_at TIMESTAMP NOT NULL
);
