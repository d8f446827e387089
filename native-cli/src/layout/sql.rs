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

    /// `SELECT * FROM unnest($first::type[], ...) AS s(names)`
    fn unnest(&self, first_param: usize, cols: &[&Column]) -> String {
        let params: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| format!("${}::{}", first_param + i, c.array))
            .collect();
        let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
        format!(
            "SELECT * FROM unnest({}) AS s({})",
            params.join(", "),
            names.join(", ")
        )
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
             j AS (INSERT INTO {JOURNAL} (run_id, table_name, op, pks, after_hashes) \
                   SELECT $1, '{t}', 'insert', array_agg({pk}), array_agg({hash}) \
                   FROM ins HAVING count(*) > 0) \
             SELECT count(*) FROM ins",
            src = self.unnest(2, &cols),
            t = self.name,
            names = names.join(", "),
            select = select.join(", "),
            pk = self.key_json("ins"),
            hash = self.journal_hash("ins"),
        )
    }

    pub fn update_sql(&self) -> String {
        let cols: Vec<&Column> = self.columns.iter().collect();
        let mut set: Vec<String> = cols
            .iter()
            .filter(|c| !self.key.contains(&c.name) && !self.ext.insert_only.contains(&c.name))
            .map(|c| format!("{n} = src.{n}{cast}", n = c.name, cast = c.cast))
            .collect();
        if self.timestamps {
            set.push("updated_at = now()".into());
        }
        format!(
            "WITH src AS ({src}), \
             prev AS (SELECT t.* FROM {t} t JOIN src ON {join_prev}), \
             upd AS (UPDATE {t} t SET {set} FROM src WHERE {join_upd} RETURNING t.*), \
             j AS (INSERT INTO {JOURNAL} (run_id, table_name, op, pks, befores, after_hashes) \
                   SELECT $1, '{t}', 'update', array_agg({pk}), array_agg({before}), \
                          array_agg({hash}) \
                   FROM upd JOIN prev ON {join_j} HAVING count(*) > 0) \
             SELECT count(*) FROM upd",
            src = self.unnest(2, &cols),
            t = self.name,
            join_prev = self.key_join("t", "src"),
            set = set.join(", "),
            join_upd = self.key_join("t", "src"),
            pk = self.key_json("upd"),
            before = self.journal_record("prev"),
            hash = self.journal_hash("upd"),
            join_j = self.key_join("upd", "prev"),
        )
    }

    pub fn delete_sql(&self) -> String {
        let cols: Vec<&Column> = self
            .columns
            .iter()
            .filter(|c| self.key.contains(&c.name))
            .collect();
        format!(
            "WITH src AS ({src}), \
             del AS (DELETE FROM {t} t USING src WHERE {join} RETURNING t.*), \
             j AS (INSERT INTO {JOURNAL} (run_id, table_name, op, pks, befores) \
                   SELECT $1, '{t}', 'delete', array_agg({pk}), array_agg(to_jsonb(del)) \
                   FROM del HAVING count(*) > 0) \
             SELECT count(*) FROM del",
            src = self.unnest(2, &cols),
            t = self.name,
            join = self.key_join("t", "src"),
            pk = self.key_json("del"),
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
                    assert!(
                        upd.contains(&format!("{} = src.{}", c.name, c.name)),
                        "{} {}",
                        table.name,
                        c.name
                    );
                }
            }
            for sql in [&ins, &upd, &del] {
                assert!(sql.contains("qa_load.journal"), "{sql}");
                assert!(sql.matches('$').count() > 1);
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
