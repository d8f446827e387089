//! The statements built from a [`Table`]: the bulk insert, update and delete of a batch, each
//! journalling the rows it wrote in the same statement, and the key conditions rollback and the
//! post-load check join on.
//!
//! Each statement takes the batch as arrays (`unnest`) after `$1`, the run id, writes the rows
//! and records them in one journal entry: the key, the rows before (updates, deletes) as JSONB,
//! and a hash of each row as written (inserts, updates; `hash_record_extended`).

use super::{Column, Journal, Table};
use crate::bookkeeping::JOURNAL;

/// `jsonb_build_object('id', alias.id)`: a row's key columns as the journal records them.
pub fn key_json(key: &[&str], alias: &str) -> String {
    let parts: Vec<String> = key.iter().map(|k| format!("'{k}', {alias}.{k}")).collect();
    format!("jsonb_build_object({})", parts.join(", "))
}

impl Table {
    /// The journal's key of this table's rows ([`key_json`]).
    pub fn key_json(&self, alias: &str) -> String {
        key_json(self.key, alias)
    }

    /// `a.id = b.id AND ...`
    pub fn key_join(&self, a: &str, b: &str) -> String {
        self.key
            .iter()
            .map(|k| format!("{a}.{k} = {b}.{k}"))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// `t.id = (j.pk->>'id')::uuid AND ...`: a table row and its journal row.
    pub fn key_from_journal(&self, t: &str, j: &str) -> String {
        self.key
            .iter()
            .map(|k| format!("{t}.{k} = ({j}.pk->>'{k}')::{}", self.key_type.sql()))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// The journal's record of a row (`alias`): the whole row, or the journalled columns.
    pub fn journal_record(&self, alias: &str) -> String {
        match self.ext.journal {
            Journal::WholeRow => format!("to_jsonb({alias})"),
            Journal::Written => {
                let mut cols: Vec<&str> = self.columns.iter().map(|c| c.name).collect();
                if self.timestamps {
                    cols.push("updated_at");
                }
                key_json(&cols, alias)
            }
        }
    }

    /// The hash of a row (`alias`) the journal keeps and rollback compares: over the whole row,
    /// or over the journalled columns.
    pub fn journal_hash(&self, alias: &str) -> String {
        match self.ext.journal {
            Journal::WholeRow => format!("hash_record_extended({alias}, 0)"),
            Journal::Written => format!(
                "hashtextextended(({})::text, 0)",
                self.journal_record(alias)
            ),
        }
    }

    /// The columns the ownership record keeps of a row (journal `afters`): those a load writes,
    /// but the key (the journal's `pk` has it).
    fn recorded_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| !self.key.contains(&c.name))
    }

    /// The record's value of a row (`alias`), as the journal's `afters` keep it: a JSON array of
    /// [`Table::recorded_columns`], in order (no names: a quarter of the bytes of an object;
    /// what a first load adds to its writes is mostly these bytes).
    ///
    /// A text longer than [`qad_core::equal::LONG_TEXT`] characters is kept as its digest,
    /// `{"sha256": hex, "chars": n}` (the comparison knows it): descriptions are most of a
    /// catalogue's bytes.
    pub fn after_values(&self, alias: &str) -> String {
        let values: Vec<String> = self
            .recorded_columns()
            .map(|c| {
                let v = format!("{alias}.{}", c.name);
                if c.kind == qad_core::equal::Kind::Text && c.array == "text[]" {
                    format!(
                        "CASE WHEN length({v}) > {n} THEN jsonb_build_object('sha256', \
                         encode(sha256(convert_to({v}, 'UTF8')), 'hex'), 'chars', length({v})) \
                         ELSE to_jsonb({v}) END",
                        n = qad_core::equal::LONG_TEXT
                    )
                } else {
                    v
                }
            })
            .collect();
        format!("jsonb_build_array({})", values.join(", "))
    }

    /// `ARRAY['c1', ...]`: the names of [`Table::after_values`]' values (the journal's
    /// `after_columns`).
    pub fn after_columns(&self) -> String {
        let names: Vec<String> = self
            .recorded_columns()
            .map(|c| format!("'{}'", c.name))
            .collect();
        format!("ARRAY[{}]::text[]", names.join(", "))
    }

    /// A hash of the columns a load writes (no timestamps, nothing the owner writes on its own):
    /// what the classification read, which each write re-checks.
    pub fn state_hash(&self, alias: &str) -> String {
        let cols: Vec<&str> = self.columns.iter().map(|c| c.name).collect();
        format!("hashtextextended(({})::text, 0)", key_json(&cols, alias))
    }

    /// Whether the journal keeps column `name` of the rows a load inserts or updates.
    pub fn journalled(&self, name: &str) -> bool {
        match self.ext.journal {
            Journal::WholeRow => true,
            Journal::Written => {
                self.columns.iter().any(|c| c.name == name)
                    || (self.timestamps && name == "updated_at")
            }
        }
    }

    /// `SELECT * FROM unnest($first::type[], ..., extras) AS s(names, extra names)`: the batch's
    /// columns, then per-row values the statement needs besides them (`(name, array type)`).
    fn unnest_with(&self, first_param: usize, cols: &[&Column], extra: &[(&str, &str)]) -> String {
        let mut params: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| format!("${}::{}", first_param + i, c.array))
            .collect();
        let mut names: Vec<&str> = cols.iter().map(|c| c.name).collect();
        for (i, (name, array)) in extra.iter().enumerate() {
            params.push(format!("${}::{array}", first_param + cols.len() + i));
            names.push(name);
        }
        format!(
            "SELECT * FROM unnest({}) AS s({})",
            params.join(", "),
            names.join(", ")
        )
    }

    /// Inserts a batch and journals it: keys, the hash and the value of each row as written.
    pub fn insert_sql(&self) -> String {
        let cols: Vec<&Column> = self.columns.iter().collect();
        let mut names: Vec<&str> = cols.iter().map(|c| c.name).collect();
        let mut select: Vec<String> = cols
            .iter()
            .map(|c| format!("{}{}", c.name, c.cast))
            .collect();
        for (name, value) in self.ext.insert_defaults {
            names.push(name);
            select.push((*value).to_string());
        }
        format!(
            "WITH src AS ({src}), \
             ins AS (INSERT INTO {t} ({names}) SELECT {select} FROM src RETURNING *), \
             j AS (INSERT INTO {JOURNAL} (run_id, table_name, op, pks, after_hashes, afters, after_columns) \
                   SELECT $1, '{t}', 'insert', array_agg({pk}), array_agg({hash}), array_agg({after}), {after_names} \
                   FROM ins HAVING count(*) > 0) \
             SELECT count(*) FROM ins",
            src = self.unnest_with(2, &cols, &[]),
            t = self.name,
            names = names.join(", "),
            select = select.join(", "),
            pk = self.key_json("ins"),
            hash = self.journal_hash("ins"),
            after = self.after_values("ins"),
            after_names = self.after_columns(),
        )
    }

    /// Updates a batch: of each row, only the columns named in its `qa_apply` (a JSON array:
    /// the fields settled for the file); the others keep the database's values. A row whose
    /// written columns no longer hash to `qa_expected` (changed since the plan read it) is not
    /// updated, and the statement's count tells. Journals keys, prior values, hashes, values as
    /// written and the kept map (`qa_kept`).
    pub fn update_sql(&self) -> String {
        let cols: Vec<&Column> = self.columns.iter().collect();
        let mut set: Vec<String> = cols
            .iter()
            .filter(|c| !self.key.contains(&c.name) && !self.ext.insert_only.contains(&c.name))
            .map(|c| {
                format!(
                    "{n} = CASE WHEN src.qa_apply ? '{n}' THEN src.{n}{cast} ELSE t.{n} END",
                    n = c.name,
                    cast = c.cast
                )
            })
            .collect();
        if self.timestamps {
            set.push("updated_at = now()".into());
        }
        format!(
            "WITH src AS ({src}), \
             prev AS (SELECT t.* FROM {t} t JOIN src ON {join_prev} \
                      WHERE {state} = src.qa_expected FOR NO KEY UPDATE OF t), \
             upd AS (UPDATE {t} t SET {set} FROM src JOIN prev ON {join_src_prev} \
                     WHERE {join_upd} RETURNING t.*), \
             j AS (INSERT INTO {JOURNAL} (run_id, table_name, op, pks, befores, after_hashes, afters, after_columns, kepts) \
                   SELECT $1, '{t}', 'update', array_agg({pk}), array_agg({before}), \
                          array_agg({hash}), array_agg({after}), {names}, array_agg(src.qa_kept) \
                   FROM upd JOIN prev ON {join_j} JOIN src ON {join_upd_src} HAVING count(*) > 0) \
             SELECT count(*) FROM upd",
            src = self.unnest_with(
                2,
                &cols,
                &[("qa_apply", "jsonb[]"), ("qa_kept", "jsonb[]"), ("qa_expected", "int8[]")]
            ),
            t = self.name,
            join_prev = self.key_join("t", "src"),
            state = self.state_hash("t"),
            set = set.join(", "),
            join_src_prev = self.key_join("src", "prev"),
            join_upd = self.key_join("t", "src"),
            pk = self.key_json("upd"),
            before = self.journal_record("prev"),
            hash = self.journal_hash("upd"),
            after = self.after_values("upd"),
            names = self.after_columns(),
            join_j = self.key_join("upd", "prev"),
            join_upd_src = self.key_join("upd", "src"),
        )
    }

    /// Deletes a batch by key, each row only while its written columns still hash to
    /// `qa_expected`; journals whole rows.
    pub fn delete_sql(&self) -> String {
        let cols: Vec<&Column> = self
            .columns
            .iter()
            .filter(|c| self.key.contains(&c.name))
            .collect();
        format!(
            "WITH src AS ({src}), \
             del AS (DELETE FROM {t} t USING src WHERE {join} AND {state} = src.qa_expected RETURNING t.*), \
             j AS (INSERT INTO {JOURNAL} (run_id, table_name, op, pks, befores) \
                   SELECT $1, '{t}', 'delete', array_agg({pk}), array_agg(to_jsonb(del)) \
                   FROM del HAVING count(*) > 0) \
             SELECT count(*) FROM del",
            src = self.unnest_with(2, &cols, &[("qa_expected", "int8[]")]),
            t = self.name,
            join = self.key_join("t", "src"),
            state = self.state_hash("t"),
            pk = self.key_json("del"),
        )
    }

    /// Adopts a batch of rows the run does not write into the ownership record: journals each
    /// row's key, hash and values as they are, with its kept map, while its written columns
    /// still hash to `qa_expected`. Locks them (FOR NO KEY UPDATE) until the commit.
    pub fn adopt_sql(&self) -> String {
        let cols: Vec<&Column> = self
            .columns
            .iter()
            .filter(|c| self.key.contains(&c.name))
            .collect();
        format!(
            "WITH src AS ({src}), \
             a AS (SELECT t AS r, src.qa_kept FROM {t} t JOIN src ON {join} \
                   WHERE {state} = src.qa_expected FOR NO KEY UPDATE OF t), \
             j AS (INSERT INTO {JOURNAL} (run_id, table_name, op, pks, after_hashes, afters, after_columns, kepts) \
                   SELECT $1, '{t}', 'adopt', array_agg({pk}), array_agg({hash}), array_agg({after}), {names}, \
                          array_agg(a.qa_kept) \
                   FROM a HAVING count(*) > 0) \
             SELECT count(*) FROM a",
            src = self.unnest_with(2, &cols, &[("qa_kept", "jsonb[]"), ("qa_expected", "int8[]")]),
            t = self.name,
            join = self.key_join("t", "src"),
            state = self.state_hash("t"),
            pk = self.key_json("(a.r)"),
            hash = self.journal_hash("(a.r)"),
            after = self.after_values("(a.r)"),
            names = self.after_columns(),
        )
    }

    /// Records, for rows someone removed, that a person decided to keep them removed: an
    /// adoption of each absent row (its key, the record's value, the kept map with the file's
    /// row), while the row is still absent.
    pub fn adopt_absent_sql(&self) -> String {
        format!(
            "WITH src AS (SELECT * FROM unnest($2::jsonb[], $3::jsonb[], $4::jsonb[]) AS s(pk, after, kept) \
                          WHERE NOT EXISTS (SELECT 1 FROM {t} t WHERE {on})), \
             j AS (INSERT INTO {JOURNAL} (run_id, table_name, op, pks, after_hashes, afters, kepts) \
                   SELECT $1, '{t}', 'adopt', array_agg(src.pk), array_agg(NULL::bigint), \
                          array_agg(src.after), array_agg(src.kept) \
                   FROM src HAVING count(*) > 0) \
             SELECT count(*) FROM src",
            t = self.name,
            on = self.key_from_journal("t", "s"),
        )
    }

    /// The post-load check's read-back of one table: its checked columns (as they are read
    /// back: [`Column::select`]), of the rows whose key (or, for rows that belong to a parent,
    /// whose parent key) is in `$1`.
    pub fn read_back_sql(&self) -> String {
        let cols: Vec<String> = self
            .columns
            .iter()
            .filter(|c| c.check)
            .map(Column::select)
            .collect();
        let scope = self.belongs_to.unwrap_or(self.key[0]);
        format!(
            "SELECT {} FROM {} WHERE {scope} = ANY($1::{})",
            cols.join(", "),
            self.name,
            self.column_array(scope)
        )
    }

    fn column_array(&self, name: &str) -> &'static str {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.array)
            .unwrap_or("text[]")
    }
}

#[cfg(test)]
mod tests {
    use crate::layout::qa_load::QaLoad;
    use crate::layout::Tables;

    #[test]
    fn statements_cover_every_column_and_journal() {
        for table in QaLoad.tables() {
            let ins = table.insert_sql();
            let upd = table.update_sql();
            let del = table.delete_sql();
            for c in &table.columns {
                assert!(ins.contains(c.name), "{} {}", table.name, c.name);
                if !table.key.contains(&c.name) {
                    // Only the columns settled for the file are written.
                    assert!(
                        upd.contains(&format!(
                            "{n} = CASE WHEN src.qa_apply ? '{n}' THEN src.{n}",
                            n = c.name
                        )),
                        "{} {}",
                        table.name,
                        c.name
                    );
                }
            }
            let adopt = table.adopt_sql();
            for sql in [&ins, &upd, &del, &adopt] {
                assert!(sql.contains("qa_load.journal"), "{sql}");
                assert!(sql.matches('$').count() > 1);
            }
            // Every write of an existing row re-checks what the plan read.
            for sql in [&upd, &del, &adopt] {
                assert!(sql.contains("= src.qa_expected"), "{sql}");
            }
            // The journal keeps the values written: the ownership record.
            for sql in [&ins, &upd, &adopt] {
                assert!(sql.contains("afters"), "{sql}");
            }
            assert_eq!(table.timestamps, upd.contains("updated_at = now()"));
            assert!(table.columns.iter().any(|c| c.check), "{}", table.name);
        }
        let [_, _, apps, links, _] = QaLoad.tables();
        assert!(apps.insert_sql().contains("avg_rating::numeric"));
        assert_eq!(
            links.key_json("x"),
            "jsonb_build_object('app_id', x.app_id, 'category_id', x.category_id)"
        );
        assert_eq!(
            apps.key_from_journal("t", "j"),
            "t.id = (j.pk->>'id')::uuid"
        );
    }
}
