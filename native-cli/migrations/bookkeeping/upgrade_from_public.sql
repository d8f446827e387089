-- Upgrade in place of a database written by qa-load 0.1, whose bookkeeping (schema history
-- version 2, runs, journal) lived in public beside the data tables: the runs and the journal
-- move to the qa_load schema unchanged, as bookkeeping version 1 leaves them; the caller records
-- the versions in qa_load.schema_migrations and drops the old history table.

ALTER TABLE public.qa_load_runs SET SCHEMA qa_load;
ALTER TABLE qa_load.qa_load_runs RENAME TO runs;
ALTER TABLE public.qa_load_journal SET SCHEMA qa_load;
ALTER TABLE qa_load.qa_load_journal RENAME TO journal;
DROP VIEW public.qa_load_journal_rows;
CREATE VIEW qa_load.journal_rows AS
SELECT j.seq, u.ord, j.run_id, j.table_name, j.op, u.pk, u.before, u.after_hash
FROM qa_load.journal j
CROSS JOIN LATERAL unnest(j.pks, j.befores, j.after_hashes) WITH ORDINALITY AS u (pk, before, after_hash, ord);
COMMENT ON VIEW qa_load.journal_rows IS 'The journal, one row per written row: pk, before (JSONB) and after_hash, in write order (seq, ord).';
COMMENT ON TABLE qa_load.journal IS 'What each run wrote, one entry per statement: primary keys, the rows before (updates, deletes; JSONB) and a hash of each row as the run left it (hash_record_extended; inserts, updates; to detect later changes). Read it through qa_load.journal_rows.';
-- 0.1 recorded the combined schema version (2); the runs wrote version 1 of the data tables.
UPDATE qa_load.runs SET schema_version = 1;
