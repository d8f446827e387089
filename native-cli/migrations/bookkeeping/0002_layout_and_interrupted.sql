-- qa-load bookkeeping version 2: a run records the layout it wrote, and a run whose session died
-- without finishing (killed, lost) is marked 'interrupted': its transaction died with it.

ALTER TABLE qa_load.runs ADD COLUMN layout text NOT NULL DEFAULT 'qa-load';
ALTER TABLE qa_load.runs ALTER COLUMN layout DROP DEFAULT;
ALTER TABLE qa_load.runs
    DROP CONSTRAINT qa_load_runs_status_check,
    ADD CONSTRAINT qa_load_runs_status_check
        CHECK (status IN ('running', 'committed', 'failed', 'interrupted'));
COMMENT ON COLUMN qa_load.runs.layout IS 'The tables the run wrote: qa-load (its own) or another layout qa-load knows.';
COMMENT ON COLUMN qa_load.runs.schema_version IS 'The version of the layout''s tables the run wrote (a journal is replayed only onto the same version).';
