-- Sentence embeddings cached by (model, sha256 of the embedded text): a row keeps its vector
-- across versions (row_id is content-addressed, so same text, same key) and benchmark items
-- are embedded once per benchmark content.
CREATE TABLE embedding_cache (
    model VARCHAR NOT NULL,
    text_sha256 VARCHAR NOT NULL,
    dim INTEGER NOT NULL,
    vector FLOAT[] NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (model, text_sha256)
);
