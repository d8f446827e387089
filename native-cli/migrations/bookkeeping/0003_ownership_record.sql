-- qa-load bookkeeping version 3: the ownership record. The journal keeps, besides each row's key,
-- prior value and hash, the value the run left it with ("after": the columns it writes) and the
-- file's values of the fields a person chose to keep the database's value for ("kept"). A run
-- that writes nothing to a row but takes ownership of it (its value found equal to the file's,
-- or a decision recorded) journals it as 'adopt'. qa_load.owned, the record, is the latest such
-- entry of each row among the loads still in effect: it changes with the run that changes it, in
-- its transaction, and a rollback restores it exactly by marking the run rolled back.

ALTER TABLE qa_load.journal ADD COLUMN afters jsonb[], ADD COLUMN after_columns text[], ADD COLUMN kepts jsonb[];
-- A first load's after-values are most of what it adds to its writes: lz4 compresses them at a
-- fraction of pglz's cost (PostgreSQL 14 or later, built with lz4; else the default stays).
DO $$
BEGIN
    EXECUTE 'ALTER TABLE qa_load.journal ALTER COLUMN afters SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
    NULL;
END
$$;
ALTER TABLE qa_load.journal
    DROP CONSTRAINT qa_load_journal_op_check,
    ADD CONSTRAINT qa_load_journal_op_check CHECK (op IN ('insert', 'update', 'delete', 'adopt')),
    DROP CONSTRAINT qa_load_journal_check,
    ADD CONSTRAINT qa_load_journal_check CHECK ((op IN ('insert', 'adopt')) = (befores IS NULL));
COMMENT ON COLUMN qa_load.journal.afters IS 'Each row as the run left it: a JSON array of the values of the columns a load writes but the key (in pks), named by after_columns (a text longer than 256 characters as {"sha256", "chars"}); NULL in entries of earlier releases (their after_hashes only). Read it through qa_load.journal_rows or qa_load.owned, which give objects.';
COMMENT ON COLUMN qa_load.journal.after_columns IS 'The names of the values of each of afters'' arrays (NULL: afters holds objects).';
COMMENT ON COLUMN qa_load.journal.kepts IS 'Per row, the file''s values of the fields a person decided to keep the database''s value for (column -> value), or NULL.';

ALTER TABLE qa_load.runs ADD COLUMN decisions jsonb;
COMMENT ON COLUMN qa_load.runs.decisions IS 'The conflicts the run settled and how (keep-database or use-file), with the three values of each.';

CREATE OR REPLACE VIEW qa_load.journal_rows AS
SELECT j.seq, u.ord, j.run_id, j.table_name, j.op, u.pk, u.before, u.after_hash,
       CASE WHEN j.after_columns IS NULL OR u.after IS NULL THEN u.after
            ELSE coalesce((SELECT jsonb_object_agg(c.name, u.after -> (c.i::int - 1))
                           FROM unnest(j.after_columns) WITH ORDINALITY AS c (name, i)),
                          '{}'::jsonb) END AS after,
       u.kept
FROM qa_load.journal j
CROSS JOIN LATERAL unnest(j.pks, j.befores, j.after_hashes, j.afters, j.kepts)
    WITH ORDINALITY AS u (pk, before, after_hash, after, kept, ord);
COMMENT ON VIEW qa_load.journal_rows IS 'The journal, one row per written row: pk, before (JSONB), after_hash, after (JSONB: column -> value) and kept, in write order (seq, ord).';

CREATE VIEW qa_load.owned AS
SELECT o.layout, o.table_name, o.pk, o.after, o.kept, o.after_hash, o.run_id, o.seq
FROM (
    SELECT DISTINCT ON (r.layout, j.table_name, j.pk)
           r.layout, j.table_name, j.pk, j.op, j.after, j.kept, j.after_hash, j.run_id, j.seq
    FROM qa_load.journal_rows j
    JOIN qa_load.runs r ON r.id = j.run_id
    WHERE r.kind = 'load' AND r.status = 'committed' AND r.rolled_back_by IS NULL
    ORDER BY r.layout, j.table_name, j.pk, j.seq DESC, j.ord DESC
) o
WHERE o.op <> 'delete';
COMMENT ON VIEW qa_load.owned IS 'The ownership record: for each row qa-load wrote or adopted (and has not deleted since), by layout, table and key, the values it last wrote (after: column -> value, the key left out, a long text as {"sha256", "chars"}; NULL for a row journalled by an earlier release: adopted when its after_hash still matches), the file values a person kept the database''s values against (kept), and the run.';
