-- qa-load schema version 2: the record of every run and the journal that makes rollback exact.

CREATE TABLE qa_load_runs (
    id                text PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('load', 'rollback')),
    status            text NOT NULL CHECK (status IN ('running', 'committed', 'failed')),
    started_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at       timestamptz,
    tool_version      text NOT NULL,
    schema_version    integer NOT NULL,
    db_user           text NOT NULL DEFAULT current_user,
    input_path        text,
    input_sha256      text,
    source_module     text,
    source_sha256     text,
    dataset_checksum  text,
    options           jsonb NOT NULL DEFAULT '{}'::jsonb,
    counts            jsonb,
    target_run        text REFERENCES qa_load_runs (id),
    rolled_back_by    text REFERENCES qa_load_runs (id),
    rolled_back_at    timestamptz,
    failed_stage      text,
    error             text
);
COMMENT ON TABLE qa_load_runs IS 'One row per qa-load load or rollback: when, what (dataset checksum), counts and outcome.';
CREATE INDEX qa_load_runs_started_at_idx ON qa_load_runs (started_at);

CREATE TABLE qa_load_journal (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      text NOT NULL REFERENCES qa_load_runs (id),
    table_name  text NOT NULL,
    op          text NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    pk          jsonb NOT NULL,
    before      jsonb,
    after       jsonb,
    CHECK ((op = 'insert') = (before IS NULL)),
    CHECK ((op = 'delete') = (after IS NULL))
);
COMMENT ON TABLE qa_load_journal IS 'Every row a run inserted, updated or deleted, with the row before (JSONB) and after; rollback replays it backwards.';
CREATE INDEX qa_load_journal_run_idx ON qa_load_journal (run_id, table_name, op);
