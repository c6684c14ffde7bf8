-- Conversation rows: their turns as JSON (`{role, content, name, tool_call_id, tool_calls}`).
ALTER TABLE corpus_seed ADD COLUMN messages JSON;
ALTER TABLE corpus_synthesized ADD COLUMN messages JSON;
ALTER TABLE corpus_filtered ADD COLUMN messages JSON;
ALTER TABLE corpus_decontaminated ADD COLUMN messages JSON;

-- Views over the corpus tables list their columns when created: re-create them with `messages`.
CREATE OR REPLACE VIEW seed AS
SELECT * EXCLUDE (version) FROM corpus_seed
WHERE version = (SELECT version FROM current_versions WHERE corpus = 'seed');

CREATE OR REPLACE VIEW synthesized AS
SELECT * EXCLUDE (version) FROM corpus_synthesized
WHERE version = (SELECT version FROM current_versions WHERE corpus = 'synthesized');

CREATE OR REPLACE VIEW filtered AS
SELECT * EXCLUDE (version) FROM corpus_filtered
WHERE version = (SELECT version FROM current_versions WHERE corpus = 'filtered');

CREATE OR REPLACE VIEW decontaminated AS
SELECT * EXCLUDE (version) FROM corpus_decontaminated
WHERE version = (SELECT version FROM current_versions WHERE corpus = 'decontaminated');

CREATE OR REPLACE VIEW corpus_rows AS
SELECT 'seed' AS corpus, * FROM corpus_seed
UNION ALL BY NAME SELECT 'synthesized' AS corpus, * FROM corpus_synthesized
UNION ALL BY NAME SELECT 'filtered' AS corpus, * FROM corpus_filtered
UNION ALL BY NAME SELECT 'decontaminated' AS corpus, * FROM corpus_decontaminated;
