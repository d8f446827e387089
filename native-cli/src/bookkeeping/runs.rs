//! The record of every run (`qa_load.runs`): written when a run starts, settled when it
//! commits, fails or is found to have died; read by `history` and `rollback`.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;

use super::RUNS;

/// What a run record says when it starts.
pub struct NewRun<'a> {
    pub id: &'a str,
    /// `load` or `rollback`.
    pub kind: &'a str,
    pub layout: &'a str,
    /// The version of the layout's tables the run writes.
    pub schema_version: i32,
    pub input_path: Option<&'a str>,
    pub input_sha256: Option<&'a str>,
    pub source_module: Option<&'a str>,
    pub source_sha256: Option<&'a str>,
    pub dataset_checksum: Option<&'a str>,
    pub options: serde_json::Value,
    /// The run a rollback undoes.
    pub target_run: Option<&'a str>,
}

/// Records a run as `running`.
pub async fn start<C: GenericClient>(c: &C, r: &NewRun<'_>) -> Result<()> {
    insert(c, r, "running", None).await
}

/// Records a run that failed before its record could stay (its transaction took it along).
pub async fn insert_failed<C: GenericClient>(
    c: &C,
    r: &NewRun<'_>,
    stage: &str,
    error: &str,
) -> Result<()> {
    insert(c, r, "failed", Some((stage, error))).await
}

async fn insert<C: GenericClient>(
    c: &C,
    r: &NewRun<'_>,
    status: &str,
    failure: Option<(&str, &str)>,
) -> Result<()> {
    let (stage, error) = failure.unzip();
    c.execute(
        &format!(
            "INSERT INTO {RUNS} (id, kind, status, layout, tool_version, schema_version, input_path, \
             input_sha256, source_module, source_sha256, dataset_checksum, options, target_run, \
             finished_at, failed_stage, error) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                     CASE WHEN $3 = 'running' THEN NULL ELSE clock_timestamp() END, $14, $15)"
        ),
        &[
            &r.id,
            &r.kind,
            &status,
            &r.layout,
            &env!("CARGO_PKG_VERSION"),
            &r.schema_version,
            &r.input_path,
            &r.input_sha256,
            &r.source_module,
            &r.source_sha256,
            &r.dataset_checksum,
            &r.options,
            &r.target_run,
            &stage,
            &error,
        ],
    )
    .await
    .with_context(|| format!("could not record the run in {RUNS}"))?;
    Ok(())
}

/// Marks a running run committed, with its counts (inside the run's transaction, so that the
/// record says committed exactly when the data is).
pub async fn committed<C: GenericClient>(
    c: &C,
    id: &str,
    counts: &serde_json::Value,
    decisions: &serde_json::Value,
) -> Result<()> {
    // No decisions: NULL, as a run of an earlier release has.
    let decisions = decisions
        .as_array()
        .is_some_and(|a| !a.is_empty())
        .then_some(decisions);
    c.execute(
        &format!(
            "UPDATE {RUNS} SET status = 'committed', finished_at = clock_timestamp(), counts = $2, \
             decisions = $3 WHERE id = $1"
        ),
        &[&id, counts, &decisions],
    )
    .await
    .context("could not record the run's outcome")?;
    Ok(())
}

/// Marks a running run failed (its transaction was rolled back).
pub async fn failed<C: GenericClient>(c: &C, id: &str, stage: &str, error: &str) -> Result<()> {
    c.execute(
        &format!(
            "UPDATE {RUNS} SET status = 'failed', finished_at = clock_timestamp(), \
             failed_stage = $2, error = $3, counts = NULL WHERE id = $1 AND status = 'running'"
        ),
        &[&id, &stage, &error],
    )
    .await
    .context("could not record the failed run")?;
    Ok(())
}

/// Marks run `id` rolled back by run `by`.
pub async fn rolled_back<C: GenericClient>(c: &C, id: &str, by: &str) -> Result<()> {
    c.execute(
        &format!(
            "UPDATE {RUNS} SET rolled_back_by = $2, rolled_back_at = clock_timestamp() WHERE id = $1"
        ),
        &[&id, &by],
    )
    .await
    .context("could not mark the run rolled back")?;
    Ok(())
}

/// The recorded status of run `id`, if there is such a run.
pub async fn status<C: GenericClient>(c: &C, id: &str) -> Result<Option<String>> {
    Ok(
        c.query_opt(&format!("SELECT status FROM {RUNS} WHERE id = $1"), &[&id])
            .await
            .context("could not read the run record")?
            .map(|r| r.get(0)),
    )
}

/// SQL: is the run whose record is `r` still connected (its `application_name`)?
fn live() -> String {
    format!(
        "EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = '{}' || r.id)",
        crate::db::runid::APPLICATION_NAME_PREFIX
    )
}

/// Marks every `running` run whose session is gone as `interrupted`: it was killed or lost its
/// connection, and its transaction died with its session, so it wrote nothing. Returns their ids.
pub async fn mark_interrupted<C: GenericClient>(c: &C) -> Result<Vec<String>> {
    let rows = c
        .query(
            &format!(
                "UPDATE {RUNS} r SET status = 'interrupted', finished_at = clock_timestamp(), \
                 error = coalesce(r.error, 'its session ended before it finished; its transaction died with it') \
                 WHERE r.status = 'running' AND NOT {live} RETURNING r.id",
                live = live()
            ),
            &[],
        )
        .await
        .context("could not mark interrupted runs")?;
    let ids: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    for id in &ids {
        tracing::warn!(target: "qa_load::runs", run = %id, "marked interrupted: its session is gone and it never finished");
    }
    Ok(ids)
}

#[derive(Debug, Serialize)]
pub struct RunRecord {
    pub id: String,
    pub kind: String,
    /// committed, failed, running, or interrupted (its session died before it finished).
    pub status: String,
    pub layout: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub tool_version: String,
    pub db_user: String,
    pub input_path: Option<String>,
    pub dataset_checksum: Option<String>,
    pub counts: Option<serde_json::Value>,
    pub target_run: Option<String>,
    pub rolled_back_by: Option<String>,
    pub rolled_back_at: Option<DateTime<Utc>>,
    pub failed_stage: Option<String>,
    pub error: Option<String>,
    /// The conflicts the run settled, each with its three values and how (keep-database or
    /// use-file); null when it settled none.
    pub decisions: Option<serde_json::Value>,
}

/// The newest `limit` runs, newest first. `legacy`: the records of qa-load 0.1, in `public`
/// (read as they are; a run there that is `running` with no session shows as interrupted).
/// The newest `limit` runs (of `layout` only, when given).
pub async fn list<C: GenericClient>(
    c: &C,
    limit: i64,
    legacy: bool,
    layout: Option<&str>,
) -> Result<Vec<RunRecord>> {
    select(c, limit, legacy, layout, None).await
}

/// The record of run `id`, if there is one.
pub async fn get<C: GenericClient>(c: &C, id: &str, legacy: bool) -> Result<Option<RunRecord>> {
    Ok(select(c, 1, legacy, None, Some(id)).await?.pop())
}

async fn select<C: GenericClient>(
    c: &C,
    limit: i64,
    legacy: bool,
    layout: Option<&str>,
    id: Option<&str>,
) -> Result<Vec<RunRecord>> {
    let (table, layout_col) = if legacy {
        ("public.qa_load_runs", "'qa-load'")
    } else {
        (RUNS, "r.layout")
    };
    // Bookkeeping version 3 added the decisions.
    let decisions = if !legacy
        && c.query_one(
            &format!("SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = '{RUNS}'::regclass AND attname = 'decisions' AND NOT attisdropped)"),
            &[],
        )
        .await
        .context("could not read the run record's columns")?
        .get::<_, bool>(0)
    {
        "r.decisions"
    } else {
        "NULL::jsonb"
    };
    let rows = c
        .query(
            &format!(
                "SELECT r.id, r.kind, r.status, {layout_col}, r.started_at, r.finished_at, \
                        (extract(epoch FROM r.finished_at - r.started_at) * 1000)::bigint, \
                        r.tool_version, r.db_user, r.input_path, r.dataset_checksum, r.counts, r.target_run, \
                        r.rolled_back_by, r.rolled_back_at, r.failed_stage, r.error, {live}, {decisions} \
                 FROM {table} r WHERE ($2::text IS NULL OR {layout_col} = $2) AND ($3::text IS NULL OR r.id = $3) \
                 ORDER BY r.started_at DESC, r.id DESC LIMIT $1",
                live = live()
            ),
            &[&limit.max(0), &layout, &id],
        )
        .await
        .with_context(|| format!("could not read {table}"))?;
    Ok(rows
        .iter()
        .map(|r| {
            let status: String = r.get(2);
            let live: bool = r.get(17);
            RunRecord {
                id: r.get(0),
                kind: r.get(1),
                status: if status == "running" && !live {
                    "interrupted".into()
                } else {
                    status
                },
                layout: r.get(3),
                started_at: r.get(4),
                finished_at: r.get(5),
                duration_ms: r.get(6),
                tool_version: r.get(7),
                db_user: r.get(8),
                input_path: r.get(9),
                dataset_checksum: r.get(10),
                counts: r.get(11),
                target_run: r.get(12),
                rolled_back_by: r.get(13),
                decisions: r.get(18),
                rolled_back_at: r.get(14),
                failed_stage: r.get(15),
                error: r.get(16),
            }
        })
        .collect())
}
