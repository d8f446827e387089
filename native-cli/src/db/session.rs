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

use crate::db::conn::Target;
use crate::db::lock;
use crate::db::tls::Tls;
use crate::duration::humanize;
use crate::error::{Exit, Failure};
use crate::logging;

/// The stage a command is in, shared with the guard so that a timeout can say where it struck.
#[derive(Clone, Default)]
pub struct Stage(Rc<RefCell<(String, bool)>>);

impl Stage {
    pub fn set(&self, name: impl Into<String>) {
        let name = name.into();
        tracing::debug!(target: "qa_load::stage", stage = %name, "stage");
        self.0.borrow_mut().0 = name;
    }
    pub fn name(&self) -> String {
        self.0.borrow().0.clone()
    }
    /// Marks that a write transaction is open (a failure now means "rolled back", exit 3).
    pub fn in_transaction(&self, yes: bool) {
        self.0.borrow_mut().1 = yes;
    }
    pub fn is_in_transaction(&self) -> bool {
        self.0.borrow().1
    }
}

pub struct Session {
    pub client: Client,
    pub tls: Tls,
    pub cancel: CancelToken,
}

/// Connects before the deadline; failures are exit 5 and never show the password.
pub async fn connect(
    target: &Target,
    application_name: &str,
    deadline: Instant,
) -> Result<Session, Failure> {
    let tls_and_client = tokio::time::timeout_at(deadline, target.connect(application_name)).await;
    match tls_and_client {
        Err(_) => Err(Failure::msg(
            Exit::Unavailable,
            "connect",
            format!("timed out connecting to {}", target.describe()),
        )),
        Ok(Err(e)) => {
            let hint = connect_hint(target, &e);
            Err(Failure::new(Exit::Unavailable, "connect", e).with_hint(hint))
        }
        Ok(Ok((client, tls))) => {
            let cancel = client.cancel_token();
            tracing::info!(target: "qa_load::session", database = %target.describe(), application_name, "connected");
            Ok(Session {
                client,
                tls,
                cancel,
            })
        }
    }
}

/// What to do about a failed connection; a rejected server certificate gets its own advice.
fn connect_hint(target: &Target, e: &anyhow::Error) -> String {
    use rustls::CertificateError as C;
    let cert = e.chain().find_map(|c| {
        c.downcast_ref::<rustls::Error>().or_else(|| {
            c.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        })
    });
    let roots = match &target.root_cert {
        Some(crate::db::tls::RootCert::File(p)) => p.display().to_string(),
        Some(crate::db::tls::RootCert::System) => "the system trust store".to_string(),
        None => "(none)".to_string(),
    };
    match cert {
        Some(rustls::Error::InvalidCertificate(C::UnknownIssuer | C::BadSignature)) => format!(
            "the server's certificate is not signed by the root certificate(s) in {roots} \
             (sslmode={}): give the CA that issued it with --root-cert or sslrootcert",
            target.sslmode.as_str()
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
            target.sslmode.as_str()
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
    let interrupted = {
        tokio::pin!(body);
        tokio::select! {
            r = &mut body => return r,
            _ = tokio::time::sleep_until(deadline) => Interrupted::Timeout,
            _ = tokio::signal::ctrl_c() => Interrupted::Signal,
        }
        // `body` is dropped here: an open transaction queues its ROLLBACK.
    };
    let in_tx = stage.is_in_transaction();
    let where_ = stage.name();
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
    let (exit, what) = if in_tx {
        (
            Exit::Failed,
            "the statement in flight was cancelled and the transaction rolled back",
        )
    } else {
        (Exit::Unavailable, "nothing was written")
    };
    Err(Failure::msg(exit, where_, format!("{why}; {what}")))
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
pub async fn reconnect(target: &Target, application_name: &str) -> Option<Client> {
    tracing::warn!(target: "qa_load::session", "the connection was lost; reconnecting to record the outcome");
    match tokio::time::timeout(Duration::from_secs(10), target.connect(application_name)).await {
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
    stage.set("lock");
    let unavailable = |e: anyhow::Error| Failure::new(Exit::Unavailable, "lock", e);
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
            return Err(Failure::msg(
                Exit::Unavailable,
                "lock",
                format!("another migration is running: the migration lock is held by {}", holder.describe()),
            )
            .with_hint("only one qa-load run may write at a time; wait for it, or pass --wait to queue behind it"));
        }
        logging::note(&format!(
            "waiting for the migration lock held by {} (--wait; gives up at --timeout)",
            holder.describe()
        ));
        stage.set("lock (waiting)");
        lock::wait_lock(client).await.map_err(unavailable)?;
        tracing::info!(target: "qa_load::lock", "acquired the migration lock after waiting");
        return Ok(());
    }
    Err(Failure::msg(
        Exit::Unavailable,
        "lock",
        "the migration lock is changing hands too fast; try again",
    ))
}
