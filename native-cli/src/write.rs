//! The bulk statements of a load: one statement per table, operation and batch, built from the
//! layout's [`Table`](crate::layout::Table) (see [`crate::layout::sql`]), each writing its rows
//! and journalling them. Statements are prepared once per run.

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Statement, Transaction};

use crate::layout::{Param, Table, TableOf};
use crate::plan::Change;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Op {
    Insert,
    Update,
    Delete,
    /// No write: the rows' ownership record changes (values adopted, decisions recorded).
    Adopt,
    /// No write: rows someone removed are recorded as kept removed (a person's decision).
    AdoptAbsent,
}

/// A statement wrote fewer rows than it was given: rows changed (or went) since the plan read
/// them, by someone writing while the load ran. Nothing is overwritten; the load is refused
/// as a conflict.
#[derive(Debug, thiserror::Error)]
#[error("{op} of {len} {table} row(s) found {n} as the plan read them: {} row(s) were changed or removed by someone else since the plan read them, and are not overwritten", len - n)]
pub struct ChangedDuringLoad {
    pub op: &'static str,
    pub table: &'static str,
    pub len: i64,
    pub n: i64,
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

    async fn statement(&mut self, table: &Table, op: Op) -> Result<Statement> {
        if let Some(s) = self.statements.get(&(table.name, op)) {
            return Ok(s.clone());
        }
        let sql = match op {
            Op::Insert => table.insert_sql(),
            Op::Update => table.update_sql(),
            Op::Delete => table.delete_sql(),
            Op::Adopt => table.adopt_sql(),
            Op::AdoptAbsent => table.adopt_absent_sql(),
        };
        let stmt = self.tx.prepare(&sql).await.with_context(|| {
            format!("could not prepare the {op:?} statement for {}", table.name)
        })?;
        self.statements.insert((table.name, op), stmt.clone());
        Ok(stmt)
    }

    /// Prepares the statements of `ops` for `table`, so that [`Writer::batch`] can run them.
    pub async fn prepare(&mut self, table: &Table, ops: &[Op]) -> Result<()> {
        for &op in ops {
            self.statement(table, op).await?;
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
    pub fn batch<T>(
        &self,
        layout: &impl TableOf<T>,
        op: Op,
        changes: &[&Change<T>],
    ) -> Result<impl std::future::Future<Output = Result<()>> + 't> {
        let table = layout.table().name;
        let Some(stmt) = self.statements.get(&(table, op)).cloned() else {
            bail!(
                "internal error: the {} statement for {table} was not prepared",
                op_name(op),
            );
        };
        let rows: Vec<&T> = changes.iter().map(|c| &c.row).collect();
        let apply = || -> Param {
            Box::new(
                changes
                    .iter()
                    .map(|c| serde_json::json!(c.fields))
                    .collect::<Vec<serde_json::Value>>(),
            )
        };
        let kept = || -> Param {
            Box::new(
                changes
                    .iter()
                    .map(|c| {
                        (!c.kept.is_empty()).then(|| serde_json::Value::Object(c.kept.clone()))
                    })
                    .collect::<Vec<Option<serde_json::Value>>>(),
            )
        };
        let expected = || -> Param {
            Box::new(
                changes
                    .iter()
                    .map(|c| c.expected.unwrap_or_default())
                    .collect::<Vec<i64>>(),
            )
        };
        let columns = match op {
            Op::Insert => layout.values(&rows),
            Op::Update => {
                let mut v = layout.values(&rows);
                v.extend([apply(), kept(), expected()]);
                v
            }
            Op::Delete => {
                let mut v = layout.key_values(&rows);
                v.push(expected());
                v
            }
            Op::Adopt => {
                let mut v = layout.key_values(&rows);
                v.extend([kept(), expected()]);
                v
            }
            Op::AdoptAbsent => {
                let absent = |i: usize| -> Param {
                    Box::new(
                        changes
                            .iter()
                            .map(|c| {
                                c.absent.as_ref().map_or(serde_json::Value::Null, |a| {
                                    if i == 0 {
                                        a.0.clone()
                                    } else {
                                        a.1.clone()
                                    }
                                })
                            })
                            .collect::<Vec<serde_json::Value>>(),
                    )
                };
                vec![absent(0), absent(1), kept()]
            }
        };
        let (tx, run_id, len) = (self.tx, self.run_id.clone(), rows.len());
        Ok(async move {
            let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(columns.len() + 1);
            params.push(&run_id);
            for c in &columns {
                params.push(c.as_ref() as &(dyn ToSql + Sync));
            }
            let row = tx
                .query_one(&stmt, &params)
                .await
                .with_context(|| format!("{} of {len} {table} row(s) failed", op_name(op)))?;
            let n: i64 = row.get(0);
            if n != len as i64 {
                if op == Op::Insert {
                    bail!(
                        "{} of {len} {table} row(s) wrote {n}: the table changed under the run",
                        op_name(op),
                    );
                }
                return Err(ChangedDuringLoad {
                    op: op_name(op),
                    table,
                    len: len as i64,
                    n,
                }
                .into());
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
        Op::Adopt => "adoption",
        Op::AdoptAbsent => "adoption of a removed row",
    }
}
