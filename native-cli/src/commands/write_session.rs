//! The skeleton every command that writes runs in (load, rollback, schema apply): connect
//! before the deadline, take the migration lock, read the schema and refuse one this build must
//! not touch, run the command's body (which opens its transactions), and commit through
//! [`WriteSession::commit`]. On failure the connection is settled (a dropped transaction's
//! ROLLBACK has run), a lost connection is replaced by a new one, and the command records the
//! failure on whichever is usable.
//!
//! A COMMIT whose connection is lost may or may not have happened on the server. The run
//! record, which the transaction itself marks `committed`, tells: [`WriteSession::commit`]
//! reconnects, reads it, and reports committed, rolled back (exit 3), or, when it cannot tell,
//! [`Exit::OutcomeUnknown`] with the commands to check.

use std::time::Duration;

use anyhow::Context;
use tokio_postgres::{Client, Transaction};

use crate::bookkeeping::{self, runs, Component, Status};
use crate::context::Ctx;
use crate::db::conn::Database;
use crate::db::session::{self, OpenTransaction, Session, Stage, Step};
use crate::db::{lock, runid};
use crate::error::{Failure, Refusal};
use crate::layout::Tables;
use crate::logging;

/// How long a lost COMMIT's session may stay connected before its outcome is called unknown.
const OUTCOME_WAIT: Duration = Duration::from_secs(10);

/// One command that writes: where, as which run, and the stage it is in.
pub struct WriteSession<'a> {
    pub ctx: &'a Ctx<'a>,
    pub database: Database,
    pub run_id: String,
    pub stage: Stage,
}

/// How a commit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    /// The server answered the COMMIT.
    Answered,
    /// The connection was lost during the COMMIT; the run record, read over a new connection,
    /// shows it committed.
    FoundAfterReconnect,
}

impl<'a> WriteSession<'a> {
    pub fn new(ctx: &'a Ctx<'a>, run_id: String) -> Result<Self, Failure> {
        Ok(WriteSession {
            ctx,
            database: ctx.database()?,
            run_id,
            stage: Stage::default(),
        })
    }

    pub fn application_name(&self) -> String {
        runid::application_name(&self.run_id)
    }

    /// Runs `body` in the skeleton: connected, guarded by the deadline and Ctrl-C, holding the
    /// migration lock, with the schema status of `components` read and checked. On failure,
    /// `record` gets a connection to record it on (the session's own when it survived, else a
    /// new one; none when neither can be had).
    pub async fn run<T, L: Tables>(
        &self,
        wait: bool,
        layout: &L,
        body: impl AsyncFnOnce(&mut Client, Status) -> Result<T, Failure>,
        record: impl AsyncFnOnce(&Client, &Failure),
    ) -> Result<T, Failure> {
        let timeout = self.ctx.global.timeout;
        let deadline = tokio::time::Instant::now() + timeout;
        let mut session =
            session::connect(&self.database, &self.application_name(), deadline).await?;
        let Session {
            client,
            tls,
            cancel,
        } = &mut session;
        let result = session::guarded(deadline, timeout, cancel, tls, &self.stage, async {
            session::acquire_lock(client, wait, &self.stage).await?;
            self.stage.set(Step::Schema);
            let status = bookkeeping::status(&*client, &layout.components())
                .await
                .map_err(|e| Failure::unavailable("schema", e))?;
            if let Some(reason) = status.refusal() {
                return Err(Failure::refused("schema", Refusal::Schema(reason)));
            }
            layout
                .check_database(&*client, &status)
                .await
                .map_err(|e| match e.downcast::<Refusal>() {
                    Ok(refusal) => Failure::refused("schema", refusal),
                    Err(e) => Failure::unavailable("schema", e),
                })?;
            body(client, status).await
        })
        .await;
        match result {
            Ok(v) => {
                let _ = lock::unlock(client).await;
                Ok(v)
            }
            Err(failure) => {
                // A transaction dropped mid-way queued its ROLLBACK; make sure it ran.
                let settled = session::settle(client).await;
                // A lost connection (terminated by the server, a restart, the network) took its
                // transaction with it; the failure is recorded over a new one.
                if settled {
                    record(client, &failure).await;
                } else if let Some(fresh) =
                    session::reconnect(&self.database, &self.application_name()).await
                {
                    record(&fresh, &failure).await;
                }
                Err(failure)
            }
        }
    }

    /// Brings the bookkeeping (and a layout's own tables, when qa-load owns them) up to date,
    /// in a transaction of its own, committed before the command's work begins: the one place
    /// a command upgrades the schema. `up_to` stops the layout's versions there (`schema apply
    /// --to-version`). Returns the versions applied (none when nothing was pending).
    pub async fn bring_up_to_date(
        &self,
        client: &mut Client,
        components: &[Component],
        status: &Status,
        up_to: Option<i32>,
    ) -> Result<Vec<String>, Failure> {
        if !status.has_pending() {
            return Ok(Vec::new());
        }
        self.stage.set(Step::Schema);
        let fail = |e: anyhow::Error| Failure::write(Step::Schema.to_string(), e);
        let tx = begin(client, &self.stage, false, "schema").await?;
        let applied = bookkeeping::apply_pending(&*tx, components, up_to)
            .await
            .map_err(fail)?;
        tx.commit()
            .await
            .context("could not commit the schema")
            .map_err(fail)?;
        if !applied.is_empty() {
            logging::note(&format!(
                "applied schema version(s): {}",
                applied.join(", ")
            ));
        }
        Ok(applied)
    }

    /// Commits `tx`, whose run record (`run_id`, marked `committed` inside `tx`) tells, when the
    /// connection is lost during the COMMIT, whether it happened.
    pub async fn commit(&self, tx: WriteTx<'_>) -> Result<Committed, Failure> {
        self.stage.set(Step::Commit);
        // The transaction stays open (for a timeout's exit code) until the COMMIT has answered.
        let (tx, _open) = tx.into_inner();
        #[cfg(debug_assertions)]
        let tx = match crate::fault::Faults::from_env()
            .ok()
            .and_then(|f| f.lose_commit)
        {
            Some(lose) => {
                // TEST-ONLY: the connection ends with the COMMIT, before or after the server
                // ran it, as a network failure would.
                let sql = match lose {
                    crate::fault::LoseCommit::Before => {
                        "SELECT pg_terminate_backend(pg_backend_pid())"
                    }
                    crate::fault::LoseCommit::After => {
                        "COMMIT; SELECT pg_terminate_backend(pg_backend_pid())"
                    }
                };
                tracing::warn!(target: "qa_load::fault", ?lose, "injected connection loss at the commit (test only)");
                let lost = tx.batch_execute(sql).await;
                return self
                    .resolve_lost_commit(lost.map_err(anyhow::Error::from))
                    .await;
            }
            None => tx,
        };
        match tx.commit().await {
            Ok(()) => Ok(Committed::Answered),
            Err(e) if e.is_closed() || e.as_db_error().is_none() => {
                self.resolve_lost_commit(Err(e.into())).await
            }
            Err(e) => Err(Failure::write(
                "commit",
                anyhow::Error::new(e).context("the commit failed"),
            )),
        }
    }

    /// The COMMIT's connection was lost: finds out from the run record whether it happened.
    async fn resolve_lost_commit(&self, lost: anyhow::Result<()>) -> Result<Committed, Failure> {
        let error = match lost {
            Ok(()) => anyhow::anyhow!("the connection was closed during the commit"),
            Err(e) => e.context("the connection was lost during the commit"),
        };
        tracing::warn!(target: "qa_load::session", run_id = %self.run_id, error = %format!("{error:#}"), "connection lost during the commit; reconnecting to find out whether it happened");
        let unknown = |why: String| {
            Failure::outcome_unknown("commit", error_copy(&error))
                .with_hint(format!(
                    "{why}; run `qa-load history` to see whether run {} is recorded as committed, and `qa-load verify --input FILE` to compare the data",
                    self.run_id
                ))
        };
        let checker = format!("{}/check", self.application_name());
        let Some(client) = session::reconnect(&self.database, &checker).await else {
            return Err(unknown(
                "could not reconnect to find out whether the commit happened".into(),
            ));
        };
        let waited = tokio::time::Instant::now();
        loop {
            let status = runs::status(&client, &self.run_id).await;
            let live = lock::run_is_live(&client, &self.run_id).await;
            match (status, live) {
                (Ok(Some(s)), _) if s == "committed" => {
                    tracing::info!(target: "qa_load::session", run_id = %self.run_id, "the lost commit happened: the run record says committed");
                    logging::note(&format!(
                        "the connection was lost during the commit; over a new connection, run {} is recorded as committed: the commit happened",
                        self.run_id
                    ));
                    return Ok(Committed::FoundAfterReconnect);
                }
                (Ok(_), Ok(false)) => {
                    // Its session is gone and it never recorded the commit: the server rolled
                    // the transaction back when the session ended.
                    return Err(Failure::write("commit", error_copy(&error))
                        .with_hint("the run record, read over a new connection, shows the commit did not happen: the server rolled the transaction back"));
                }
                (Ok(_), Ok(true)) if waited.elapsed() < OUTCOME_WAIT => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                (Ok(_), Ok(true)) => {
                    return Err(unknown(format!(
                        "the run's session is still connected {}s after the connection was lost, so its commit may still happen",
                        OUTCOME_WAIT.as_secs()
                    )))
                }
                (Err(e), _) | (_, Err(e)) => {
                    return Err(unknown(format!(
                        "could not read the run record over a new connection ({e:#})"
                    )))
                }
            }
        }
    }
}

/// An error's message chain as a new error (the original stays with its context).
fn error_copy(e: &anyhow::Error) -> anyhow::Error {
    anyhow::anyhow!("{e:#}")
}

/// A write transaction, and the stage's mark that it is open: the mark goes with the
/// transaction (committed, rolled back or dropped), so "in a transaction" cannot be left set or
/// forgotten.
pub struct WriteTx<'c> {
    tx: Transaction<'c>,
    _open: OpenTransaction,
}

impl<'c> WriteTx<'c> {
    pub async fn commit(self) -> Result<(), tokio_postgres::Error> {
        self.tx.commit().await
    }
    pub async fn rollback(self) -> Result<(), tokio_postgres::Error> {
        self.tx.rollback().await
    }
    /// The transaction itself, for what takes it by value (the lost-commit path).
    pub fn into_inner(self) -> (Transaction<'c>, OpenTransaction) {
        (self.tx, self._open)
    }
}

impl<'c> std::ops::Deref for WriteTx<'c> {
    type Target = Transaction<'c>;
    fn deref(&self) -> &Transaction<'c> {
        &self.tx
    }
}

/// Begins a write transaction on `client` (`repeatable`: REPEATABLE READ, the load's and
/// rollback's isolation); the stage counts it as open for as long as it lives.
pub async fn begin<'c>(
    client: &'c mut Client,
    stage: &Stage,
    repeatable: bool,
    what: &str,
) -> Result<WriteTx<'c>, Failure> {
    let open = stage.transaction_open();
    let mut b = client.build_transaction();
    if repeatable {
        b = b.isolation_level(tokio_postgres::IsolationLevel::RepeatableRead);
    }
    let tx = b
        .start()
        .await
        .with_context(|| format!("could not begin the {what} transaction"))
        .map_err(|e| Failure::write(stage.name(), e))?;
    Ok(WriteTx { tx, _open: open })
}
