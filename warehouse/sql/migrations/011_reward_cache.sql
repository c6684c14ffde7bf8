-- Reward-model scores of (request, answer) pairs, keyed by the model's digest and the pair's
-- sha256 (assets/filters/reward_score.py): a re-run scores nothing twice.
CREATE TABLE reward_cache (
    model VARCHAR NOT NULL,
    pair_sha256 VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (model, pair_sha256)
);
