-- qa-load bookkeeping version 1: the record of every run and the journal that makes rollback exact,
-- in qa-load's own PostgreSQL schema, apart from the tables a load writes. (Until qa-load 0.1 these
-- lived in public as qa_load_runs and qa_load_journal; an upgrade moves them here, which is why
-- the constraints keep those tables' names.)

CREATE TABLE qa_load.runs (
    id                text CONSTRAINT qa_load_runs_pkey PRIMARY KEY,
    kind              text NOT NULL CONSTRAINT qa_load_runs_kind_check CHECK (kind IN ('load', 'rollback')),
    status            text NOT NULL CONSTRAINT qa_load_runs_status_check CHECK (status IN ('running', 'committed', 'failed')),
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
    target_run        text CONSTRAINT qa_load_runs_target_run_fkey REFERENCES qa_load.runs (id),
    rolled_back_by    text CONSTRAINT qa_load_runs_rolled_back_by_fkey REFERENCES qa_load.runs (id),
    rolled_back_at    timestamptz,
    failed_stage      text,
    error             text
);
COMMENT ON TABLE qa_load.runs IS 'One row per qa-load load or rollback: when, what (dataset checksum), counts and outcome.';
CREATE INDEX qa_load_runs_started_at_idx ON qa_load.runs (started_at);

CREATE TABLE qa_load.journal (
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    run_id      text NOT NULL CONSTRAINT qa_load_journal_run_id_fkey REFERENCES qa_load.runs (id),
    table_name  text NOT NULL,
    op          text NOT NULL CONSTRAINT qa_load_journal_op_check CHECK (op IN ('insert', 'update', 'delete')),
    -- One entry per statement (batch); the arrays are aligned, one element per row.
    pks         jsonb[] NOT NULL,
    befores     jsonb[],
    after_hashes bigint[],
    CONSTRAINT qa_load_journal_check CHECK ((op = 'insert') = (befores IS NULL)),
    CONSTRAINT qa_load_journal_check1 CHECK ((op = 'delete') = (after_hashes IS NULL))
);
COMMENT ON TABLE qa_load.journal IS 'What each run wrote, one entry per statement: primary keys, the rows before (updates, deletes; JSONB) and a hash of each row as the run left it (hash_record_extended; inserts, updates; to detect later changes). Read it through qa_load.journal_rows.';
CREATE INDEX qa_load_journal_run_idx ON qa_load.journal (run_id);

CREATE VIEW qa_load.journal_rows AS
SELECT j.seq, u.ord, j.run_id, j.table_name, j.op, u.pk, u.before, u.after_hash
FROM qa_load.journal j
CROSS JOIN LATERAL unnest(j.pks, j.befores, j.after_hashes) WITH ORDINALITY AS u (pk, before, after_hash, ord);
COMMENT ON VIEW qa_load.journal_rows IS 'The journal, one row per written row: pk, before (JSONB) and after_hash, in write order (seq, ord).';
