//! The bulk statements of a load: one statement per table, operation and batch, built from the
//! layout's [`Table`](crate::layout::Table) (see [`crate::layout::sql`]), each writing its rows
//! and journalling them. Statements are prepared once per run.

use std::collections::HashMap;

use anyhow::{bail, Context, Result};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Statement, Transaction};

use crate::layout::{Table, TableOf};

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

    async fn statement(&mut self, table: &Table, op: Op) -> Result<Statement> {
        if let Some(s) = self.statements.get(&(table.name, op)) {
            return Ok(s.clone());
        }
        let sql = match op {
            Op::Insert => table.insert_sql(),
            Op::Update => table.update_sql(),
            Op::Delete => table.delete_sql(),
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
        rows: &[&T],
    ) -> Result<impl std::future::Future<Output = Result<()>> + 't> {
        let table = layout.table().name;
        let Some(stmt) = self.statements.get(&(table, op)).cloned() else {
            bail!(
                "internal error: the {} statement for {table} was not prepared",
                op_name(op),
            );
        };
        let columns = match op {
            Op::Delete => layout.key_values(rows),
            Op::Insert | Op::Update => layout.values(rows),
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
                bail!(
                    "{} of {len} {table} row(s) wrote {n}: the table changed under the run",
                    op_name(op),
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
