-- Where each step of a version ran (schema version 15): per step, in order, `local` (the
-- local engine), `spark driver` or `spark executors` (its row-local work left the driver).
-- Null for versions written before, and for corpora without steps (seed, synthesized).
ALTER TABLE corpus_versions ADD COLUMN step_engines STRUCT(step VARCHAR, engine VARCHAR)[];
