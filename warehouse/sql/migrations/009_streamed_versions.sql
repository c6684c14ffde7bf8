-- Streamed staging (schema version 7): a version is appended batch by batch while its status
-- is `writing`; `writer` names the process (host:pid) appending it, so a later run can tell a
-- version whose writer was killed (then `abandoned`, its rows deleted) from one still written.
ALTER TABLE corpus_versions ADD COLUMN writer VARCHAR;
