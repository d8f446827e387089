//! A command's database session: connect, the migration lock, the whole-run deadline and Ctrl-C.
//!
//! Every database command runs its body through [`guarded`]: when the deadline (`--timeout`)
//! passes or Ctrl-C arrives, the body's future is dropped (a transaction it had open queues its
//! ROLLBACK), the statement in flight is cancelled on the server, and the command fails with the
//! stage it was in.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_postgres::{CancelToken, Client};

use crate::db::conn::Database;
use crate::db::lock;
use crate::db::tls::Tls;
use crate::duration::humanize;
use crate::error::Failure;
use crate::logging;

/// Where a command is: what a failure, a timeout or Ctrl-C names, and the run record keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Step {
    #[default]
    Connect,
    Lock,
    LockWaiting,
    Schema,
    Backup,
    Record,
    Begin,
    Prefetch,
    Plan,
    /// Writing a table; with the batch (1-based) of how many, once one is under way.
    Load {
        table: &'static str,
        batch: Option<(usize, usize)>,
    },
    PostCheck,
    Commit,
    /// A dry run's ROLLBACK.
    DryRunRollback,
    RollbackChecks,
    /// Undoing the run of this id.
    Rollback(String),
    RollbackVerify,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Connect => f.write_str("connect"),
            Step::Lock => f.write_str("lock"),
            Step::LockWaiting => f.write_str("lock (waiting)"),
            Step::Schema => f.write_str("schema"),
            Step::Backup => f.write_str("backup"),
            Step::Record => f.write_str("record"),
            Step::Begin => f.write_str("begin"),
            Step::Prefetch => f.write_str("prefetch"),
            Step::Plan => f.write_str("plan"),
            Step::Load { table, batch: None } => write!(f, "load {table}"),
            Step::Load {
                table,
                batch: Some((i, n)),
            } => write!(f, "load {table} (batch {i}/{n})"),
            Step::PostCheck => f.write_str("post-check"),
            Step::Commit => f.write_str("commit"),
            Step::DryRunRollback => f.write_str("rollback (dry run)"),
            Step::RollbackChecks => f.write_str("rollback (checks)"),
            Step::Rollback(run) => write!(f, "rollback {run}"),
            Step::RollbackVerify => f.write_str("rollback (verify)"),
        }
    }
}

/// The step a command is in and how many write transactions it has open, shared with the guard
/// so that a timeout can say where it struck and whether it rolled anything back.
#[derive(Clone, Default)]
pub struct Stage(Rc<RefCell<StageState>>);

#[derive(Default)]
struct StageState {
    step: Step,
    open_transactions: u32,
}

impl Stage {
    pub fn set(&self, step: Step) {
        tracing::debug!(target: "qa_load::stage", stage = %step, "stage");
        self.0.borrow_mut().step = step;
    }
    pub fn step(&self) -> Step {
        self.0.borrow().step.clone()
    }
    /// The step as failures name it.
    pub fn name(&self) -> String {
        self.0.borrow().step.to_string()
    }
    /// A write transaction is open for as long as the returned mark lives (a failure meanwhile
    /// means "rolled back", exit 3): [`crate::commands::write_session::begin`] ties it to the
    /// transaction it opens.
    pub fn transaction_open(&self) -> OpenTransaction {
        self.0.borrow_mut().open_transactions += 1;
        OpenTransaction(self.clone())
    }
    pub fn is_in_transaction(&self) -> bool {
        self.0.borrow().open_transactions > 0
    }
}

/// See [`Stage::transaction_open`].
pub struct OpenTransaction(Stage);

impl Drop for OpenTransaction {
    fn drop(&mut self) {
        let mut state = self.0 .0.borrow_mut();
        state.open_transactions = state.open_transactions.saturating_sub(1);
    }
}

pub struct Session {
    pub client: Client,
    pub tls: Tls,
    pub cancel: CancelToken,
}

/// Connects before the deadline; failures are exit 5 and never show the password.
pub async fn connect(
    database: &Database,
    application_name: &str,
    deadline: Instant,
) -> Result<Session, Failure> {
    let tls_and_client =
        tokio::time::timeout_at(deadline, database.connect(application_name)).await;
    match tls_and_client {
        Err(_) => Err(Failure::unavailable(
            "connect",
            anyhow::anyhow!("timed out connecting to {}", database.describe()),
        )),
        Ok(Err(e)) => {
            let hint = connect_hint(database, &e);
            Err(Failure::unavailable("connect", e).with_hint(hint))
        }
        Ok(Ok((client, tls))) => {
            let cancel = client.cancel_token();
            tracing::info!(target: "qa_load::session", database = %database.describe(), application_name, "connected");
            Ok(Session {
                client,
                tls,
                cancel,
            })
        }
    }
}

/// What to do about a failed connection; a rejected server certificate gets its own advice.
fn connect_hint(database: &Database, e: &anyhow::Error) -> String {
    use rustls::CertificateError as C;
    let cert = e.chain().find_map(|c| {
        c.downcast_ref::<rustls::Error>().or_else(|| {
            c.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        })
    });
    let roots = match &database.root_cert {
        Some(crate::db::tls::RootCert::File(p)) => p.display().to_string(),
        Some(crate::db::tls::RootCert::System) => "the system trust store".to_string(),
        None => "(none)".to_string(),
    };
    match cert {
        Some(rustls::Error::InvalidCertificate(C::UnknownIssuer | C::BadSignature)) => format!(
            "the server's certificate is not signed by the root certificate(s) in {roots} \
             (sslmode={}): give the CA that issued it with --root-cert or sslrootcert",
            database.sslmode.as_str()
        ),
        Some(rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        )) => "the server's certificate does not name the host connected to: sslmode=verify-full \
             checks the host name, so connect by a name the certificate lists (or use \
             sslmode=verify-ca to check the chain only)"
            .to_string(),
        Some(rustls::Error::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        )) => "the server's certificate is expired or not yet valid (check the clocks)".to_string(),
        Some(_) => format!(
            "the TLS handshake failed (sslmode={}, root certificates {roots})",
            database.sslmode.as_str()
        ),
        None => {
            "check --database / DATABASE_URL / PG* variables, that the server is up, and sslmode \
             (require for hosted servers with self-signed certificates)"
                .to_string()
        }
    }
}

pub enum Interrupted {
    Timeout,
    Signal,
}

/// Runs `body` until it finishes, the deadline passes or Ctrl-C arrives.
pub async fn guarded<T>(
    deadline: Instant,
    timeout: Duration,
    cancel: &CancelToken,
    tls: &Tls,
    stage: &Stage,
    body: impl Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    let (interrupted, in_tx, where_) = {
        tokio::pin!(body);
        let interrupted = tokio::select! {
            r = &mut body => return r,
            _ = tokio::time::sleep_until(deadline) => Interrupted::Timeout,
            _ = tokio::signal::ctrl_c() => Interrupted::Signal,
        };
        // Read before `body` is dropped, which closes its transaction.
        (interrupted, stage.is_in_transaction(), stage.name())
        // `body` is dropped here: an open transaction queues its ROLLBACK.
    };
    // Cancel the statement in flight so the ROLLBACK runs now, not when it finishes.
    if let Err(e) = tokio::time::timeout(Duration::from_secs(10), cancel.cancel_query(tls.clone()))
        .await
        .unwrap_or(Ok(()))
    {
        tracing::warn!(target: "qa_load::session", error = %e, "could not send the cancel request");
    }
    let why = match interrupted {
        Interrupted::Timeout => {
            format!("the run timed out after {} (--timeout)", humanize(timeout))
        }
        Interrupted::Signal => "interrupted (Ctrl-C)".to_string(),
    };
    Err(if in_tx {
        Failure::write(
            where_,
            anyhow::anyhow!(
                "{why}; the statement in flight was cancelled and the transaction rolled back"
            ),
        )
    } else {
        Failure::unavailable(where_, anyhow::anyhow!("{why}; nothing was written"))
    })
}

/// Makes sure a ROLLBACK queued by a dropped transaction has run (one round trip after it).
pub async fn settle(client: &Client) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(15), client.simple_query("SELECT 1")).await,
        Ok(Ok(_))
    )
}

/// A new connection to record a failure on when the session's own was lost (terminated by
/// `pg_terminate_backend`, a server restart or the network): at most 10 seconds, else `None`.
pub async fn reconnect(database: &Database, application_name: &str) -> Option<Client> {
    tracing::warn!(target: "qa_load::session", "the connection was lost; reconnecting to record the outcome");
    match tokio::time::timeout(Duration::from_secs(10), database.connect(application_name)).await {
        Ok(Ok((client, _))) => Some(client),
        Ok(Err(e)) => {
            tracing::warn!(target: "qa_load::session", error = %format!("{e:#}"), "could not reconnect to record the outcome");
            None
        }
        Err(_) => {
            tracing::warn!(target: "qa_load::session", "timed out reconnecting to record the outcome");
            None
        }
    }
}

/// Takes the migration lock, or fails fast naming the holder; with `wait`, queues behind it.
pub async fn acquire_lock(client: &Client, wait: bool, stage: &Stage) -> Result<(), Failure> {
    stage.set(Step::Lock);
    let unavailable = |e: anyhow::Error| Failure::unavailable("lock", e);
    for _ in 0..3 {
        if lock::try_lock(client).await.map_err(unavailable)? {
            tracing::info!(target: "qa_load::lock", "acquired the migration lock");
            return Ok(());
        }
        let holder = lock::holder(client).await.map_err(unavailable)?;
        let Some(holder) = holder else {
            // Released between the two queries: try again.
            continue;
        };
        if !wait {
            return Err(Failure::unavailable(
                "lock",
                anyhow::anyhow!("another migration is running: the migration lock is held by {}", holder.describe()),
            )
            .with_hint("only one qa-load run may write at a time; wait for it, or pass --wait to queue behind it"));
        }
        logging::note(&format!(
            "waiting for the migration lock held by {} (--wait; gives up at --timeout)",
            holder.describe()
        ));
        stage.set(Step::LockWaiting);
        lock::wait_lock(client).await.map_err(unavailable)?;
        tracing::info!(target: "qa_load::lock", "acquired the migration lock after waiting");
        return Ok(());
    }
    Err(Failure::unavailable(
        "lock",
        anyhow::anyhow!("the migration lock is changing hands too fast; try again"),
    ))
}
