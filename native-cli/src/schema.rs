//! The versioned schema qa-load owns, and its history table.
//!
//! Modelled on sqlx's migrator: numbered SQL files embedded in the binary, a history table
//! (`qa_load_schema_migrations`) with the SHA-256 of each applied file, applied in one
//! transaction under the migration lock. A database whose history has a version this build does
//! not know, or whose applied file has changed, is refused rather than guessed at.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio_postgres::GenericClient;

pub struct SchemaMigration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[SchemaMigration] = &[
    SchemaMigration {
        version: 1,
        name: "directory_tables",
        sql: include_str!("../migrations/0001_directory_tables.sql"),
    },
    SchemaMigration {
        version: 2,
        name: "run_history",
        sql: include_str!("../migrations/0002_run_history.sql"),
    },
];

pub const HISTORY_TABLE: &str = "qa_load_schema_migrations";

/// The version a fully migrated database has.
pub fn latest_version() -> i32 {
    MIGRATIONS.last().map(|m| m.version).unwrap_or(0)
}

impl SchemaMigration {
    pub fn checksum(&self) -> String {
        hex(&Sha256::digest(self.sql.as_bytes()))
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub version: i32,
    pub name: String,
    pub checksum: String,
    pub applied_at: DateTime<Utc>,
    pub applied_by: String,
    pub tool_version: String,
    pub execution_ms: i32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub applied: Vec<Applied>,
    /// Versions this build would apply.
    pub pending: Vec<i32>,
    /// Applied versions whose file has changed since: (version, checksum applied, checksum now).
    pub modified: Vec<(i32, String, String)>,
    /// Applied versions this build does not know (a newer qa-load migrated this database).
    pub unknown: Vec<i32>,
    pub latest: i32,
}

impl Status {
    pub fn current(&self) -> i32 {
        self.applied.iter().map(|a| a.version).max().unwrap_or(0)
    }

    pub fn is_up_to_date(&self) -> bool {
        self.pending.is_empty() && self.modified.is_empty() && self.unknown.is_empty()
    }

    /// Why this build must not touch the database, if it must not.
    pub fn refusal(&self) -> Option<String> {
        if !self.unknown.is_empty() {
            return Some(format!(
                "the database has schema version(s) {:?} applied, which this qa-load (knowing up to {}) does not know: use a newer qa-load",
                self.unknown, self.latest
            ));
        }
        if let Some((v, was, now)) = self.modified.first() {
            return Some(format!(
                "schema version {v} was applied from a file with SHA-256 {was}, but this qa-load has {now}: the migration was edited after it was applied"
            ));
        }
        None
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "schema version {} of {} ({})\n",
            self.current(),
            self.latest,
            if self.is_up_to_date() {
                "up to date"
            } else if self.refusal().is_some() {
                "REFUSED"
            } else {
                "behind"
            }
        ));
        for a in &self.applied {
            out.push_str(&format!(
                "  applied  {:>4}  {:<20} {}  by {} (qa-load {}, {} ms)  sha256 {}\n",
                a.version,
                a.name,
                a.applied_at.format("%Y-%m-%d %H:%M:%S UTC"),
                a.applied_by,
                a.tool_version,
                a.execution_ms,
                &a.checksum[..12.min(a.checksum.len())]
            ));
        }
        for v in &self.pending {
            let name = MIGRATIONS
                .iter()
                .find(|m| m.version == *v)
                .map(|m| m.name)
                .unwrap_or("?");
            out.push_str(&format!("  pending  {v:>4}  {name}\n"));
        }
        for (v, was, now) in &self.modified {
            out.push_str(&format!(
                "  MODIFIED {v:>4}  applied sha256 {was}, file now {now}\n"
            ));
        }
        for v in &self.unknown {
            out.push_str(&format!(
                "  UNKNOWN  {v:>4}  (applied by a newer qa-load)\n"
            ));
        }
        if let Some(r) = self.refusal() {
            out.push_str(&format!("refused: {r}\n"));
        }
        out
    }
}

async fn history_exists<C: GenericClient>(c: &C) -> Result<bool> {
    let row = c
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&HISTORY_TABLE])
        .await
        .context("could not look for the schema history table")?;
    Ok(row.get(0))
}

/// Reads the history and compares it with the migrations embedded in this build.
pub async fn status<C: GenericClient>(c: &C) -> Result<Status> {
    let mut applied = Vec::new();
    if history_exists(c).await? {
        let rows = c
            .query(
                &format!(
                    "SELECT version, name, checksum, applied_at, applied_by, tool_version, execution_ms \
                     FROM {HISTORY_TABLE} ORDER BY version"
                ),
                &[],
            )
            .await
            .context("could not read the schema history")?;
        for r in rows {
            applied.push(Applied {
                version: r.get(0),
                name: r.get(1),
                checksum: r.get(2),
                applied_at: r.get(3),
                applied_by: r.get(4),
                tool_version: r.get(5),
                execution_ms: r.get(6),
            });
        }
    }
    let mut modified = Vec::new();
    let mut unknown = Vec::new();
    for a in &applied {
        match MIGRATIONS.iter().find(|m| m.version == a.version) {
            Some(m) if m.checksum() != a.checksum => {
                modified.push((a.version, a.checksum.clone(), m.checksum()))
            }
            Some(_) => {}
            None => unknown.push(a.version),
        }
    }
    let pending = MIGRATIONS
        .iter()
        .filter(|m| !applied.iter().any(|a| a.version == m.version))
        .map(|m| m.version)
        .collect();
    Ok(Status {
        applied,
        pending,
        modified,
        unknown,
        latest: latest_version(),
    })
}

/// Applies the pending migrations up to `target` (all when None) on `tx`, which the caller
/// commits (or, in a dry run, rolls back). Returns the versions applied.
pub async fn apply_pending<C: GenericClient>(tx: &C, target: Option<i32>) -> Result<Vec<i32>> {
    tx.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (
            version       integer PRIMARY KEY,
            name          text NOT NULL,
            checksum      text NOT NULL,
            applied_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
            applied_by    text NOT NULL DEFAULT current_user,
            tool_version  text NOT NULL,
            execution_ms  integer NOT NULL
        );
        COMMENT ON TABLE {HISTORY_TABLE} IS 'The qa-load schema versions applied to this database.';"
    ))
    .await
    .context("could not create the schema history table")?;
    let st = status(tx).await?;
    if let Some(reason) = st.refusal() {
        anyhow::bail!(reason);
    }
    let mut done = Vec::new();
    for m in MIGRATIONS {
        if !st.pending.contains(&m.version) || target.is_some_and(|t| m.version > t) {
            continue;
        }
        let started = std::time::Instant::now();
        tx.batch_execute(m.sql).await.with_context(|| {
            format!(
                "schema version {} ({}) could not be applied (tables of that name may already exist without qa-load's history)",
                m.version, m.name
            )
        })?;
        let ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        tx.execute(
            &format!(
                "INSERT INTO {HISTORY_TABLE} (version, name, checksum, tool_version, execution_ms) VALUES ($1, $2, $3, $4, $5)"
            ),
            &[&m.version, &m.name, &m.checksum(), &env!("CARGO_PKG_VERSION"), &ms],
        )
        .await
        .with_context(|| format!("could not record schema version {}", m.version))?;
        tracing::info!(target: "qa_load::schema", version = m.version, name = m.name, ms, "applied schema version");
        done.push(m.version);
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "{}", m.name);
            assert_eq!(m.checksum().len(), 64);
        }
        assert_eq!(latest_version(), MIGRATIONS.len() as i32);
    }
}
