//! The bulk statements of a load: one statement per table, operation and batch.
//!
//! Each statement takes the batch as arrays (`unnest`), writes the rows and, in the same
//! statement, journals them in one journal entry: the primary keys, the rows before (updates,
//! deletes) as JSONB, and a hash of each row as written (inserts, updates; `hash_record_extended`). Statements are
//! prepared once per run.

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use qad_core::{App, AppCategory, Category, Developer, Screenshot};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Statement, Transaction};
use uuid::Uuid;

type Param = Box<dyn ToSql + Sync + Send>;

struct Col {
    name: &'static str,
    /// The array type the parameter is sent as.
    ty: &'static str,
    /// A cast applied when writing the column (`::numeric` for the rating sent as text).
    cast: &'static str,
}

const fn col(name: &'static str, ty: &'static str) -> Col {
    Col { name, ty, cast: "" }
}

pub struct Spec {
    pub table: &'static str,
    pk: &'static [&'static str],
    cols: &'static [Col],
    timestamps: bool,
}

pub const DEVELOPERS: Spec = Spec {
    table: "developers",
    pk: &["id"],
    cols: &[
        col("id", "uuid[]"),
        col("key", "text[]"),
        col("name_en", "text[]"),
        col("name_ar", "text[]"),
        col("website", "text[]"),
        col("logo_url", "text[]"),
    ],
    timestamps: true,
};

pub const CATEGORIES: Spec = Spec {
    table: "categories",
    pk: &["id"],
    cols: &[
        col("id", "uuid[]"),
        col("key", "text[]"),
        col("name_en", "text[]"),
        col("name_ar", "text[]"),
        col("icon_svg", "text[]"),
        col("sort_order", "int4[]"),
    ],
    timestamps: true,
};

pub const APPS: Spec = Spec {
    table: "apps",
    pk: &["id"],
    cols: &[
        col("id", "uuid[]"),
        col("slug", "text[]"),
        col("source_id", "text[]"),
        col("name_en", "text[]"),
        col("name_ar", "text[]"),
        col("short_description_en", "text[]"),
        col("short_description_ar", "text[]"),
        col("description_en", "text[]"),
        col("description_ar", "text[]"),
        col("status", "text[]"),
        col("sort_order", "int4[]"),
        Col {
            name: "avg_rating",
            ty: "text[]",
            cast: "::numeric",
        },
        col("developer_id", "uuid[]"),
        col("application_icon_url", "text[]"),
        col("main_image_en_url", "text[]"),
        col("main_image_ar_url", "text[]"),
        col("google_play_url", "text[]"),
        col("app_store_url", "text[]"),
        col("app_gallery_url", "text[]"),
        col("developer_logo_url", "text[]"),
    ],
    timestamps: true,
};

pub const APP_CATEGORIES: Spec = Spec {
    table: "app_categories",
    pk: &["app_id", "category_id"],
    cols: &[
        col("app_id", "uuid[]"),
        col("category_id", "uuid[]"),
        col("sort_order", "int4[]"),
    ],
    timestamps: false,
};

pub const SCREENSHOTS: Spec = Spec {
    table: "screenshots",
    pk: &["id"],
    cols: &[
        col("id", "uuid[]"),
        col("app_id", "uuid[]"),
        col("language", "text[]"),
        col("url", "text[]"),
        col("sort_order", "int4[]"),
    ],
    timestamps: false,
};

/// The tables a run writes, in load order (rollback undoes them in reverse).
pub const TABLES: [&Spec; 5] = [
    &DEVELOPERS,
    &CATEGORIES,
    &APPS,
    &APP_CATEGORIES,
    &SCREENSHOTS,
];

impl Spec {
    pub fn pk_columns(&self) -> &'static [&'static str] {
        self.pk
    }

    /// `jsonb_build_object('id', alias.id)`: the journal's primary key.
    pub fn pk_json(&self, alias: &str) -> String {
        let parts: Vec<String> = self
            .pk
            .iter()
            .map(|k| format!("'{k}', {alias}.{k}"))
            .collect();
        format!("jsonb_build_object({})", parts.join(", "))
    }

    /// `a.id = b.id AND ...`
    pub fn pk_join(&self, a: &str, b: &str) -> String {
        self.pk
            .iter()
            .map(|k| format!("{a}.{k} = {b}.{k}"))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// `t.id = (j.pk->>'id')::uuid AND ...` (all primary key columns are uuids).
    pub fn pk_from_journal(&self, t: &str, j: &str) -> String {
        self.pk
            .iter()
            .map(|k| format!("{t}.{k} = ({j}.pk->>'{k}')::uuid"))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    fn src(&self, first_param: usize, cols: &[&Col]) -> String {
        let params: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| format!("${}::{}", first_param + i, c.ty))
            .collect();
        let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
        format!(
            "SELECT * FROM unnest({}) AS s({})",
            params.join(", "),
            names.join(", ")
        )
    }

    fn insert_sql(&self) -> String {
        let cols: Vec<&Col> = self.cols.iter().collect();
        let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
        let select: Vec<String> = cols
            .iter()
            .map(|c| format!("{}{}", c.name, c.cast))
            .collect();
        format!(
            "WITH src AS ({src}), \
             ins AS (INSERT INTO {t} ({names}) SELECT {select} FROM src RETURNING *), \
             j AS (INSERT INTO qa_load_journal (run_id, table_name, op, pks, after_hashes) \
                   SELECT $1, '{t}', 'insert', array_agg({pk}), array_agg(hash_record_extended(ins, 0)) \
                   FROM ins HAVING count(*) > 0) \
             SELECT count(*) FROM ins",
            src = self.src(2, &cols),
            t = self.table,
            names = names.join(", "),
            select = select.join(", "),
            pk = self.pk_json("ins"),
        )
    }

    fn update_sql(&self) -> String {
        let cols: Vec<&Col> = self.cols.iter().collect();
        let mut set: Vec<String> = cols
            .iter()
            .filter(|c| !self.pk.contains(&c.name))
            .map(|c| format!("{n} = src.{n}{cast}", n = c.name, cast = c.cast))
            .collect();
        if self.timestamps {
            set.push("updated_at = now()".into());
        }
        format!(
            "WITH src AS ({src}), \
             prev AS (SELECT t.* FROM {t} t JOIN src ON {join_prev}), \
             upd AS (UPDATE {t} t SET {set} FROM src WHERE {join_upd} RETURNING t.*), \
             j AS (INSERT INTO qa_load_journal (run_id, table_name, op, pks, befores, after_hashes) \
                   SELECT $1, '{t}', 'update', array_agg({pk}), array_agg(to_jsonb(prev)), \
                          array_agg(hash_record_extended(upd, 0)) \
                   FROM upd JOIN prev ON {join_j} HAVING count(*) > 0) \
             SELECT count(*) FROM upd",
            src = self.src(2, &cols),
            t = self.table,
            join_prev = self.pk_join("t", "src"),
            set = set.join(", "),
            join_upd = self.pk_join("t", "src"),
            pk = self.pk_json("upd"),
            join_j = self.pk_join("upd", "prev"),
        )
    }

    fn delete_sql(&self) -> String {
        let cols: Vec<&Col> = self
            .cols
            .iter()
            .filter(|c| self.pk.contains(&c.name))
            .collect();
        format!(
            "WITH src AS ({src}), \
             del AS (DELETE FROM {t} t USING src WHERE {join} RETURNING t.*), \
             j AS (INSERT INTO qa_load_journal (run_id, table_name, op, pks, befores) \
                   SELECT $1, '{t}', 'delete', array_agg({pk}), array_agg(to_jsonb(del)) \
                   FROM del HAVING count(*) > 0) \
             SELECT count(*) FROM del",
            src = self.src(2, &cols),
            t = self.table,
            join = self.pk_join("t", "src"),
            pk = self.pk_json("del"),
        )
    }
}

fn uuids<T>(rows: &[&T], f: impl Fn(&T) -> Uuid) -> Param {
    Box::new(rows.iter().map(|r| f(r)).collect::<Vec<Uuid>>())
}
fn texts<T>(rows: &[&T], f: impl Fn(&T) -> String) -> Param {
    Box::new(rows.iter().map(|r| f(r)).collect::<Vec<String>>())
}
fn opt_texts<T>(rows: &[&T], f: impl Fn(&T) -> Option<String>) -> Param {
    Box::new(rows.iter().map(|r| f(r)).collect::<Vec<Option<String>>>())
}
fn ints<T>(rows: &[&T], f: impl Fn(&T) -> i32) -> Param {
    Box::new(rows.iter().map(|r| f(r)).collect::<Vec<i32>>())
}

/// A row type a load writes.
pub trait Writable {
    const SPEC: &'static Spec;
    /// One array per column of [`Spec`], in order.
    fn columns(rows: &[&Self]) -> Vec<Param>
    where
        Self: Sized;
    /// The primary key arrays (for deletes).
    fn key_columns(rows: &[&Self]) -> Vec<Param>
    where
        Self: Sized;
}

impl Writable for Developer {
    const SPEC: &'static Spec = &DEVELOPERS;
    fn columns(r: &[&Self]) -> Vec<Param> {
        vec![
            uuids(r, |d| d.id),
            texts(r, |d| d.key.clone()),
            texts(r, |d| d.name_en.clone()),
            opt_texts(r, |d| d.name_ar.clone()),
            opt_texts(r, |d| d.website.clone()),
            opt_texts(r, |d| d.logo_url.clone()),
        ]
    }
    fn key_columns(r: &[&Self]) -> Vec<Param> {
        vec![uuids(r, |d| d.id)]
    }
}

impl Writable for Category {
    const SPEC: &'static Spec = &CATEGORIES;
    fn columns(r: &[&Self]) -> Vec<Param> {
        vec![
            uuids(r, |c| c.id),
            texts(r, |c| c.key.clone()),
            texts(r, |c| c.name_en.clone()),
            opt_texts(r, |c| c.name_ar.clone()),
            opt_texts(r, |c| c.icon_svg.clone()),
            ints(r, |c| c.sort_order),
        ]
    }
    fn key_columns(r: &[&Self]) -> Vec<Param> {
        vec![uuids(r, |c| c.id)]
    }
}

impl Writable for App {
    const SPEC: &'static Spec = &APPS;
    fn columns(r: &[&Self]) -> Vec<Param> {
        vec![
            uuids(r, |a| a.id),
            texts(r, |a| a.slug.clone()),
            texts(r, |a| a.source_id.clone()),
            texts(r, |a| a.name_en.clone()),
            texts(r, |a| a.name_ar.clone()),
            opt_texts(r, |a| a.short_description_en.clone()),
            opt_texts(r, |a| a.short_description_ar.clone()),
            opt_texts(r, |a| a.description_en.clone()),
            opt_texts(r, |a| a.description_ar.clone()),
            opt_texts(r, |a| a.status.clone()),
            ints(r, |a| a.sort_order),
            opt_texts(r, |a| a.avg_rating.map(|x| x.to_decimal_string())),
            uuids(r, |a| a.developer_id),
            opt_texts(r, |a| a.application_icon_url.clone()),
            opt_texts(r, |a| a.main_image_en_url.clone()),
            opt_texts(r, |a| a.main_image_ar_url.clone()),
            opt_texts(r, |a| a.google_play_url.clone()),
            opt_texts(r, |a| a.app_store_url.clone()),
            opt_texts(r, |a| a.app_gallery_url.clone()),
            opt_texts(r, |a| a.developer_logo_url.clone()),
        ]
    }
    fn key_columns(r: &[&Self]) -> Vec<Param> {
        vec![uuids(r, |a| a.id)]
    }
}

impl Writable for AppCategory {
    const SPEC: &'static Spec = &APP_CATEGORIES;
    fn columns(r: &[&Self]) -> Vec<Param> {
        vec![
            uuids(r, |l| l.app_id),
            uuids(r, |l| l.category_id),
            ints(r, |l| l.sort_order),
        ]
    }
    fn key_columns(r: &[&Self]) -> Vec<Param> {
        vec![uuids(r, |l| l.app_id), uuids(r, |l| l.category_id)]
    }
}

impl Writable for Screenshot {
    const SPEC: &'static Spec = &SCREENSHOTS;
    fn columns(r: &[&Self]) -> Vec<Param> {
        vec![
            uuids(r, |s| s.id),
            uuids(r, |s| s.app_id),
            texts(r, |s| s.language.as_str().to_string()),
            texts(r, |s| s.url.clone()),
            ints(r, |s| s.sort_order),
        ]
    }
    fn key_columns(r: &[&Self]) -> Vec<Param> {
        vec![uuids(r, |s| s.id)]
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Op {
    Insert,
    Update,
    Delete,
}

/// Executes the bulk statements of one run on its transaction.
pub struct Writer<'t, 'c> {
    tx: &'t Transaction<'c>,
    run_id: String,
    statements: HashMap<(&'static str, Op), Statement>,
}

impl<'t, 'c> Writer<'t, 'c> {
    pub fn new(tx: &'t Transaction<'c>, run_id: &str) -> Self {
        Writer {
            tx,
            run_id: run_id.to_string(),
            statements: HashMap::new(),
        }
    }

    async fn statement(&mut self, spec: &'static Spec, op: Op) -> Result<Statement> {
        if let Some(s) = self.statements.get(&(spec.table, op)) {
            return Ok(s.clone());
        }
        let sql = match op {
            Op::Insert => spec.insert_sql(),
            Op::Update => spec.update_sql(),
            Op::Delete => spec.delete_sql(),
        };
        let stmt = self.tx.prepare(&sql).await.with_context(|| {
            format!("could not prepare the {op:?} statement for {}", spec.table)
        })?;
        self.statements.insert((spec.table, op), stmt.clone());
        Ok(stmt)
    }

    /// Prepares the statements of `ops` for `T`, so that [`Writer::batch`] can run them.
    pub async fn prepare<T: Writable>(&mut self, ops: &[Op]) -> Result<()> {
        for &op in ops {
            self.statement(T::SPEC, op).await?;
        }
        Ok(())
    }

    /// The statement that writes `rows` and checks that exactly that many rows were written, its
    /// parameters encoded now, to be awaited later: the
    /// load keeps up to [`PIPELINE_DEPTH`] of them in flight, so that the next batches are encoded
    /// and sent while the server executes the previous ones. The server runs them one after
    /// another, in the order they were sent, in the one transaction; a failure aborts the
    /// transaction, so every statement after it fails too and the first error is the one reported.
    /// Its statement must have been prepared ([`Writer::prepare`]).
    pub fn batch<T: Writable>(
        &self,
        op: Op,
        rows: &[&T],
    ) -> Result<impl std::future::Future<Output = Result<()>> + 't> {
        let spec = T::SPEC;
        let Some(stmt) = self.statements.get(&(spec.table, op)).cloned() else {
            bail!(
                "internal error: the {} statement for {} was not prepared",
                op_name(op),
                spec.table
            );
        };
        let columns = match op {
            Op::Delete => T::key_columns(rows),
            Op::Insert | Op::Update => T::columns(rows),
        };
        let (tx, run_id, len) = (self.tx, self.run_id.clone(), rows.len());
        Ok(async move {
            let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(columns.len() + 1);
            params.push(&run_id);
            for c in &columns {
                params.push(c.as_ref() as &(dyn ToSql + Sync));
            }
            let row = tx.query_one(&stmt, &params).await.with_context(|| {
                format!("{} of {len} {} row(s) failed", op_name(op), spec.table)
            })?;
            let n: i64 = row.get(0);
            if n != len as i64 {
                bail!(
                    "{} of {len} {} row(s) wrote {n}: the table changed under the run",
                    op_name(op),
                    spec.table
                );
            }
            Ok(())
        })
    }
}

/// Statements a load keeps in flight on its connection (see [`Writer::batch`]). Four hide the
/// client's share of the work (encoding, TLS, the round trip) behind the server's.
pub const PIPELINE_DEPTH: usize = 4;

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Insert => "insert",
        Op::Update => "update",
        Op::Delete => "delete",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_cover_every_column_and_journal() {
        for spec in TABLES {
            let ins = spec.insert_sql();
            let upd = spec.update_sql();
            let del = spec.delete_sql();
            for c in spec.cols {
                assert!(ins.contains(c.name), "{} {}", spec.table, c.name);
                if !spec.pk.contains(&c.name) {
                    assert!(
                        upd.contains(&format!("{} = src.{}", c.name, c.name)),
                        "{} {}",
                        spec.table,
                        c.name
                    );
                }
            }
            for sql in [&ins, &upd, &del] {
                assert!(sql.contains("qa_load_journal"), "{sql}");
                assert!(sql.matches('$').count() > 1);
            }
            assert_eq!(spec.timestamps, upd.contains("updated_at = now()"));
        }
        assert!(APPS.insert_sql().contains("avg_rating::numeric"));
        assert_eq!(
            APP_CATEGORIES.pk_json("x"),
            "jsonb_build_object('app_id', x.app_id, 'category_id', x.category_id)"
        );
    }
}
