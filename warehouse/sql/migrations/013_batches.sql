-- Provider batches (schema version 13): one row per batch a run submitted through a batch
-- API, written before the batch is created (status `submitting`, with its uploaded input file)
-- so a run killed at any point finds it again: a re-run adopts or polls what it recorded and
-- never submits a request twice. `request_hashes` are the call-log keys of its requests
-- (each request's custom_id); counts and errors are the provider's, cost the sum of its calls.
CREATE TABLE batches (
    batch_key       VARCHAR NOT NULL PRIMARY KEY,  -- ours, known before the provider's id
    batch_id        VARCHAR,                       -- the provider's, once created
    provider        VARCHAR NOT NULL,              -- openai_batch
    base_url        VARCHAR NOT NULL,
    model           VARCHAR NOT NULL,
    generator_id    VARCHAR,
    status          VARCHAR NOT NULL,  -- submitting | validating | in_progress | finalizing |
                                       -- completed | failed | expired | cancelling | cancelled
    input_file_id   VARCHAR,
    output_file_id  VARCHAR,
    error_file_id   VARCHAR,
    request_hashes  VARCHAR[] NOT NULL,
    request_count   INTEGER NOT NULL,
    completed_count INTEGER,
    failed_count    INTEGER,
    errors          JSON,
    cost            DOUBLE,
    run_id          VARCHAR,
    submitted_at    TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP,
    collected_at    TIMESTAMP           -- its results are in the call log
);
