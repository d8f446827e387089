//! One migration at a time: a session-level PostgreSQL advisory lock per database.
//!
//! Loads, rollbacks and `schema apply` take it; `verify`, `history` and `schema status` only
//! read and do not. The holder is found through `pg_locks` + `pg_stat_activity`, and since every
//! qa-load connection sets `application_name` to `qa-load/<run id>`, the message names the run.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use tokio_postgres::Client;

/// The two keys of the advisory lock: `'QAD\0'` and 1.
pub const LOCK_CLASS: i32 = 0x5141_4400;
pub const LOCK_OBJECT: i32 = 1;

#[derive(Debug, Clone)]
pub struct Holder {
    pub pid: i32,
    pub application_name: String,
    pub user: Option<String>,
    pub client: Option<String>,
    pub backend_start: Option<DateTime<Utc>>,
}

impl Holder {
    pub fn describe(&self) -> String {
        let who = match crate::db::runid::run_id_of(&self.application_name) {
            Some(run) => format!("qa-load run {run}"),
            None if self.application_name.is_empty() => {
                "a session without application_name".to_string()
            }
            None => format!("a session named {:?} (not qa-load)", self.application_name),
        };
        let mut s = format!(
            "{who} (server pid {}, application_name {:?}",
            self.pid, self.application_name
        );
        if let Some(u) = &self.user {
            s.push_str(&format!(", user {u}"));
        }
        if let Some(c) = &self.client {
            s.push_str(&format!(", from {c}"));
        }
        if let Some(t) = &self.backend_start {
            s.push_str(&format!(
                ", connected since {}",
                t.format("%Y-%m-%d %H:%M:%S UTC")
            ));
        }
        s.push(')');
        s
    }
}

pub async fn try_lock(client: &Client) -> Result<bool> {
    let row = client
        .query_one(
            "SELECT pg_try_advisory_lock($1, $2)",
            &[&LOCK_CLASS, &LOCK_OBJECT],
        )
        .await
        .context("could not request the migration lock")?;
    Ok(row.get(0))
}

/// Blocks until the lock is free (cancelled by the run's timeout).
pub async fn wait_lock(client: &Client) -> Result<()> {
    client
        .execute(
            "SELECT pg_advisory_lock($1, $2)",
            &[&LOCK_CLASS, &LOCK_OBJECT],
        )
        .await
        .context("could not wait for the migration lock")?;
    Ok(())
}

pub async fn unlock(client: &Client) -> Result<()> {
    client
        .execute(
            "SELECT pg_advisory_unlock($1, $2)",
            &[&LOCK_CLASS, &LOCK_OBJECT],
        )
        .await
        .context("could not release the migration lock")?;
    Ok(())
}

/// Who holds the lock in this database, if anyone.
pub async fn holder(client: &Client) -> Result<Option<Holder>> {
    let sql = format!(
        "SELECT a.pid, coalesce(a.application_name, ''), a.usename::text, \
                CASE WHEN a.client_addr IS NULL THEN 'local socket' ELSE host(a.client_addr) END, \
                a.backend_start \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted \
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
           AND l.classid = {} AND l.objid = {} AND l.objsubid = 2 \
         LIMIT 1",
        LOCK_CLASS, LOCK_OBJECT
    );
    let rows = client
        .query(&sql, &[])
        .await
        .context("could not look up the lock holder")?;
    Ok(rows.first().map(|r| Holder {
        pid: r.get(0),
        application_name: r.get(1),
        user: r.get(2),
        client: r.get(3),
        backend_start: r.get(4),
    }))
}

/// Is run `run_id` still connected (so a `running` record is live, not interrupted)?
pub async fn run_is_live(client: &Client, run_id: &str) -> Result<bool> {
    let row = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = $1)",
            &[&crate::db::runid::application_name(run_id)],
        )
        .await?;
    Ok(row.get(0))
}
