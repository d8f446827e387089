//! qa-load's own bookkeeping, in a PostgreSQL schema of its own (`qa_load`), apart from the
//! tables a load writes: the schema history, the record of every run ([`runs`]) and the journal
//! that makes rollback exact.
//!
//! Modelled on sqlx's migrator: numbered SQL files embedded in the binary, a history table
//! (`qa_load.schema_migrations`) with the SHA-256 of each applied file, applied in one
//! transaction under the migration lock. Two components have migrations: the bookkeeping itself,
//! and the layout qa-load owns (its data tables; a layout it does not own has none). A database
//! whose history has a version this build does not know, or whose applied file has changed, is
//! refused rather than guessed at. A database written by qa-load 0.1 (bookkeeping in `public`)
//! is upgraded in place by the first command that writes.

pub mod runs;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio_postgres::GenericClient;

pub const SCHEMA: &str = "qa_load";
pub const HISTORY: &str = "qa_load.schema_migrations";
pub const RUNS: &str = "qa_load.runs";
pub const JOURNAL: &str = "qa_load.journal";
pub const JOURNAL_ROWS: &str = "qa_load.journal_rows";
pub const OWNED: &str = "qa_load.owned";

/// One numbered SQL file.
#[derive(Debug)]
pub struct SchemaMigration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

impl SchemaMigration {
    pub fn checksum(&self) -> String {
        hex(&Sha256::digest(self.sql.as_bytes()))
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A part of the database whose migrations qa-load applies and records.
#[derive(Debug, Clone, Copy)]
pub struct Component {
    pub name: &'static str,
    pub migrations: &'static [SchemaMigration],
}

impl Component {
    pub fn latest(&self) -> i32 {
        self.migrations.last().map(|m| m.version).unwrap_or(0)
    }
}

/// The bookkeeping's own migrations.
pub const BOOKKEEPING: Component = Component {
    name: "bookkeeping",
    migrations: &[
        SchemaMigration {
            version: 1,
            name: "run_history",
            sql: include_str!("../../migrations/bookkeeping/0001_run_history.sql"),
        },
        SchemaMigration {
            version: 2,
            name: "layout_and_interrupted",
            sql: include_str!("../../migrations/bookkeeping/0002_layout_and_interrupted.sql"),
        },
        SchemaMigration {
            version: 3,
            name: "ownership_record",
            sql: include_str!("../../migrations/bookkeeping/0003_ownership_record.sql"),
        },
    ],
};

/// qa-load 0.1's history (`public.qa_load_schema_migrations`): version 1 was the data tables
/// (now the `qa-load` layout's version 1, the same file), version 2 the runs and journal in
/// `public` (now bookkeeping version 1, moved by `upgrade_from_public.sql`).
const LEGACY_HISTORY: &str = "public.qa_load_schema_migrations";
/// The layout qa-load 0.1 wrote, and the checksum of its version 1 file.
const LEGACY_LAYOUT: &str = "qa-load";
const LEGACY_V1_SHA256: &str = "11dfb3e6855981639d32d90145c464d120c8f19141aabbc1acfcb73b5b6d627f";
const LEGACY_V2_SQL: &str =
    include_str!("../../migrations/bookkeeping/legacy_0002_run_history.sql");
const UPGRADE_FROM_PUBLIC: &str =
    include_str!("../../migrations/bookkeeping/upgrade_from_public.sql");

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

/// The history of one component compared with this build.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentStatus {
    pub component: &'static str,
    pub applied: Vec<Applied>,
    /// Versions this build would apply.
    pub pending: Vec<i32>,
    /// Applied versions whose file has changed since: (version, checksum applied, checksum now).
    pub modified: Vec<(i32, String, String)>,
    /// Applied versions this build does not know (a newer qa-load migrated this database).
    pub unknown: Vec<i32>,
    pub latest: i32,
}

impl ComponentStatus {
    pub fn current(&self) -> i32 {
        self.applied.iter().map(|a| a.version).max().unwrap_or(0)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub components: Vec<ComponentStatus>,
    /// The bookkeeping is qa-load 0.1's, in `public`: the next command that writes moves it.
    pub legacy: bool,
}

impl Status {
    pub fn component(&self, name: &str) -> Option<&ComponentStatus> {
        self.components.iter().find(|c| c.component == name)
    }

    /// The version of `name`'s tables (0 when not applied).
    pub fn current(&self, name: &str) -> i32 {
        self.component(name).map(|c| c.current()).unwrap_or(0)
    }

    pub fn has_pending(&self) -> bool {
        self.legacy || self.components.iter().any(|c| !c.pending.is_empty())
    }

    pub fn is_up_to_date(&self) -> bool {
        !self.has_pending() && self.refusal().is_none()
    }

    /// Has the bookkeeping (runs, journal) been created?
    pub fn has_run_history(&self) -> bool {
        self.legacy || self.current(BOOKKEEPING.name) >= 1
    }

    /// Why this build must not touch the database, if it must not.
    pub fn refusal(&self) -> Option<String> {
        for c in &self.components {
            if !c.unknown.is_empty() {
                return Some(format!(
                    "the database has {} schema version(s) {:?} applied, which this qa-load (knowing up to {}) does not know: use a newer qa-load",
                    c.component, c.unknown, c.latest
                ));
            }
            if let Some((v, was, now)) = c.modified.first() {
                return Some(format!(
                    "{} schema version {v} was applied from a file with SHA-256 {was}, but this qa-load has {now}: the migration was edited after it was applied",
                    c.component
                ));
            }
        }
        None
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.legacy {
            out.push_str("bookkeeping of qa-load 0.1 in public (qa_load_runs, qa_load_journal): the next load, rollback or schema apply moves it to the qa_load schema\n");
        }
        for c in &self.components {
            out.push_str(&format!(
                "{} schema version {} of {} ({})\n",
                c.component,
                c.current(),
                c.latest,
                if !c.unknown.is_empty() || !c.modified.is_empty() {
                    "REFUSED"
                } else if c.pending.is_empty() {
                    "up to date"
                } else {
                    "behind"
                }
            ));
            for a in &c.applied {
                out.push_str(&format!(
                    "  applied  {:>4}  {:<24} {}  by {} (qa-load {}, {} ms)  sha256 {}\n",
                    a.version,
                    a.name,
                    a.applied_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    a.applied_by,
                    a.tool_version,
                    a.execution_ms,
                    &a.checksum[..12.min(a.checksum.len())]
                ));
            }
            for v in &c.pending {
                out.push_str(&format!("  pending  {v:>4}\n"));
            }
            for (v, was, now) in &c.modified {
                out.push_str(&format!(
                    "  MODIFIED {v:>4}  applied sha256 {was}, file now {now}\n"
                ));
            }
            for v in &c.unknown {
                out.push_str(&format!(
                    "  UNKNOWN  {v:>4}  (applied by a newer qa-load)\n"
                ));
            }
        }
        if let Some(r) = self.refusal() {
            out.push_str(&format!("refused: {r}\n"));
        }
        out
    }
}

/// Which history tables exist: qa-load 0.1's (in `public`) and this build's, in one round trip.
async fn history_tables<C: GenericClient>(c: &C) -> Result<(bool, bool)> {
    let row = c
        .query_one(
            "SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL",
            &[&LEGACY_HISTORY, &HISTORY],
        )
        .await
        .context("could not look for the schema history")?;
    Ok((row.get(0), row.get(1)))
}

fn applied_from(rows: &[tokio_postgres::Row]) -> Vec<Applied> {
    rows.iter()
        .map(|r| Applied {
            version: r.get(0),
            name: r.get(1),
            checksum: r.get(2),
            applied_at: r.get(3),
            applied_by: r.get(4),
            tool_version: r.get(5),
            execution_ms: r.get(6),
        })
        .collect()
}

const APPLIED_COLUMNS: &str =
    "version, name, checksum, applied_at, applied_by, tool_version, execution_ms";

/// Reads the history and compares it with the migrations of `components` embedded in this build.
pub async fn status<C: GenericClient>(c: &C, components: &[Component]) -> Result<Status> {
    let (legacy, current) = history_tables(c).await?;
    let mut all: Vec<(String, Applied)> = Vec::new();
    if legacy {
        let rows = c
            .query(
                &format!("SELECT {APPLIED_COLUMNS} FROM {LEGACY_HISTORY} ORDER BY version"),
                &[],
            )
            .await
            .context("could not read qa-load 0.1's schema history")?;
        for a in applied_from(&rows) {
            let legacy_of = match a.version {
                1 => Some((LEGACY_LAYOUT, 1, LEGACY_V1_SHA256.to_string())),
                2 => Some((
                    BOOKKEEPING.name,
                    1,
                    hex(&Sha256::digest(LEGACY_V2_SQL.as_bytes())),
                )),
                _ => None,
            };
            match legacy_of {
                // Stands for the version it became, with the checksum this build has for it.
                Some((component, version, sha)) if sha == a.checksum => {
                    let now = components
                        .iter()
                        .find(|c| c.name == component)
                        .and_then(|c| c.migrations.iter().find(|m| m.version == version))
                        .map(|m| m.checksum())
                        .unwrap_or(sha);
                    all.push((
                        component.to_string(),
                        Applied {
                            version,
                            checksum: now,
                            ..a
                        },
                    ));
                }
                Some((component, version, sha)) => all.push((
                    component.to_string(),
                    Applied {
                        version,
                        checksum: format!("{} (qa-load 0.1 file {sha})", a.checksum),
                        ..a
                    },
                )),
                None => all.push(("qa-load".to_string(), a)),
            }
        }
    } else if current {
        let rows = c
            .query(
                &format!(
                    "SELECT {APPLIED_COLUMNS}, component FROM {HISTORY} ORDER BY component, version"
                ),
                &[],
            )
            .await
            .context("could not read the schema history")?;
        for (a, r) in applied_from(&rows).into_iter().zip(&rows) {
            all.push((r.get(7), a));
        }
    }
    let mut out = Vec::new();
    for comp in components {
        let applied: Vec<Applied> = all
            .iter()
            .filter(|(c, _)| c == comp.name)
            .map(|(_, a)| a.clone())
            .collect();
        let mut modified = Vec::new();
        let mut unknown = Vec::new();
        for a in &applied {
            match comp.migrations.iter().find(|m| m.version == a.version) {
                Some(m) if m.checksum() != a.checksum => {
                    modified.push((a.version, a.checksum.clone(), m.checksum()))
                }
                Some(_) => {}
                None => unknown.push(a.version),
            }
        }
        let pending = comp
            .migrations
            .iter()
            .filter(|m| !applied.iter().any(|a| a.version == m.version))
            .map(|m| m.version)
            .collect();
        out.push(ComponentStatus {
            component: comp.name,
            applied,
            pending,
            modified,
            unknown,
            latest: comp.latest(),
        });
    }
    Ok(Status {
        components: out,
        legacy,
    })
}

/// Applies what is pending on `tx`, which the caller commits (or, in a dry run, rolls back):
/// first the in-place upgrade of qa-load 0.1's bookkeeping, then each component's pending
/// migrations in order (`layout_target` stops the layout's at that version). Returns what was
/// applied, as `component version` (the upgrade as `bookkeeping 1 (moved from public)`).
pub async fn apply_pending<C: GenericClient>(
    tx: &C,
    components: &[Component],
    layout_target: Option<i32>,
) -> Result<Vec<String>> {
    let st = status(tx, components).await?;
    if let Some(reason) = st.refusal() {
        bail!(reason);
    }
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS {SCHEMA};
        COMMENT ON SCHEMA {SCHEMA} IS 'qa-load''s bookkeeping: schema history, runs and the journal.';
        CREATE TABLE IF NOT EXISTS {HISTORY} (
            component     text NOT NULL,
            version       integer NOT NULL,
            name          text NOT NULL,
            checksum      text NOT NULL,
            applied_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
            applied_by    text NOT NULL DEFAULT current_user,
            tool_version  text NOT NULL,
            execution_ms  integer NOT NULL,
            PRIMARY KEY (component, version)
        );
        COMMENT ON TABLE {HISTORY} IS 'The qa-load schema versions applied to this database, per component.';"
    ))
    .await
    .context("could not create the schema history table")?;
    let mut done = Vec::new();
    if st.legacy {
        let started = std::time::Instant::now();
        tx.batch_execute(UPGRADE_FROM_PUBLIC)
            .await
            .context("could not move qa-load 0.1's bookkeeping to the qa_load schema")?;
        let ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        for c in &st.components {
            for a in &c.applied {
                tx.execute(
                    &format!(
                        "INSERT INTO {HISTORY} (component, version, name, checksum, applied_at, applied_by, tool_version, execution_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    ),
                    &[&c.component, &a.version, &a.name, &a.checksum, &a.applied_at, &a.applied_by, &a.tool_version, &a.execution_ms],
                )
                .await
                .context("could not carry over qa-load 0.1's schema history")?;
            }
        }
        tx.batch_execute(&format!("DROP TABLE {LEGACY_HISTORY}"))
            .await
            .context("could not drop qa-load 0.1's schema history")?;
        tracing::info!(target: "qa_load::schema", ms, "moved qa-load 0.1's bookkeeping to the qa_load schema");
        done.push(format!("{} 1 (moved from public)", BOOKKEEPING.name));
    }
    for (comp, cst) in components.iter().zip(&st.components) {
        for m in comp.migrations {
            let beyond_target =
                comp.name != BOOKKEEPING.name && layout_target.is_some_and(|t| m.version > t);
            if !cst.pending.contains(&m.version) || beyond_target {
                continue;
            }
            let started = std::time::Instant::now();
            tx.batch_execute(m.sql).await.with_context(|| {
                format!(
                    "{} schema version {} ({}) could not be applied (tables of that name may already exist without qa-load's history)",
                    comp.name, m.version, m.name
                )
            })?;
            let ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
            tx.execute(
                &format!(
                    "INSERT INTO {HISTORY} (component, version, name, checksum, tool_version, execution_ms) VALUES ($1, $2, $3, $4, $5, $6)"
                ),
                &[&comp.name, &m.version, &m.name, &m.checksum(), &env!("CARGO_PKG_VERSION"), &ms],
            )
            .await
            .with_context(|| format!("could not record {} schema version {}", comp.name, m.version))?;
            tracing::info!(target: "qa_load::schema", component = comp.name, version = m.version, name = m.name, ms, "applied schema version");
            done.push(format!("{} {}", comp.name, m.version));
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_from_one_without_gaps() {
        for (i, m) in BOOKKEEPING.migrations.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "{}", m.name);
            assert_eq!(m.checksum().len(), 64);
        }
        assert_eq!(BOOKKEEPING.latest(), BOOKKEEPING.migrations.len() as i32);
        // qa-load 0.1 recorded this file's checksum in the databases it wrote (see the legacy
        // fixture): it must never change.
        assert_eq!(
            hex(&Sha256::digest(LEGACY_V2_SQL.as_bytes())),
            "6cd6e024d7c6bf142b5500913786215c09504d5ed43232e836f9553dd71578df"
        );
    }
}
