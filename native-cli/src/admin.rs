//! `qa-load schema apply|status` and `qa-load history`.

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cli::{Ctx, HistoryArgs};
use crate::exit::{Exit, Failure};
use crate::runid;
use crate::schema;
use crate::session::{self, Stage};

pub async fn schema_apply(ctx: &Ctx<'_>, target: Option<i32>, wait: bool) -> Result<Exit, Failure> {
    if let Some(t) = target {
        if t < 1 || t > schema::latest_version() {
            return Err(Failure::msg(
                Exit::Usage,
                "usage",
                format!(
                    "--target {t}: this qa-load knows schema versions 1 to {}",
                    schema::latest_version()
                ),
            ));
        }
    }
    let conn = ctx.target()?;
    let run_id = runid::new_run_id();
    let deadline = tokio::time::Instant::now() + ctx.global.timeout;
    let mut s = session::connect(&conn, &runid::application_name(&run_id), deadline).await?;
    let stage = Stage::default();
    let session::Session {
        client,
        tls,
        cancel,
    } = &mut s;
    let result = session::guarded(deadline, ctx.global.timeout, cancel, tls, &stage, async {
        session::acquire_lock(client, wait, &stage).await?;
        stage.set("schema");
        let before = schema::status(&*client)
            .await
            .map_err(|e| Failure::new(Exit::Unavailable, "schema", e))?;
        if let Some(r) = before.refusal() {
            return Err(Failure::msg(Exit::Refused, "schema", r));
        }
        stage.in_transaction(true);
        let fail = |e: anyhow::Error| Failure::new(Exit::Failed, "schema apply", e);
        let tx = client
            .build_transaction()
            .start()
            .await
            .context("could not begin")
            .map_err(fail)?;
        let applied = schema::apply_pending(&tx, target).await.map_err(fail)?;
        tx.commit()
            .await
            .context("the commit failed")
            .map_err(fail)?;
        stage.in_transaction(false);
        let after = schema::status(&*client)
            .await
            .map_err(|e| Failure::new(Exit::Unavailable, "schema", e))?;
        Ok((applied, after))
    })
    .await;
    match result {
        Ok((applied, after)) => {
            let _ = crate::lock::unlock(client).await;
            if applied.is_empty() {
                println!(
                    "Schema already at version {} in {}: nothing to apply.",
                    after.current(),
                    conn.describe()
                );
            } else {
                println!(
                    "Applied schema version(s) {applied:?} to {}.",
                    conn.describe()
                );
            }
            print!("{}", after.to_text());
            Ok(Exit::Ok)
        }
        Err(f) => {
            session::settle(client).await;
            Err(f)
        }
    }
}

pub async fn schema_status(ctx: &Ctx<'_>, json: bool) -> Result<Exit, Failure> {
    let conn = ctx.target()?;
    let deadline = tokio::time::Instant::now() + ctx.global.timeout;
    let s = session::connect(
        &conn,
        &runid::application_name(&runid::new_run_id()),
        deadline,
    )
    .await?;
    let status = schema::status(&s.client)
        .await
        .map_err(|e| Failure::new(Exit::Unavailable, "schema status", e))?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&status).unwrap_or_default()
        );
    } else {
        println!("{}", conn.describe());
        print!("{}", status.to_text());
    }
    Ok(if status.refusal().is_some() {
        Exit::Refused
    } else {
        Exit::Ok
    })
}

#[derive(Debug, Serialize)]
pub struct RunRecord {
    pub id: String,
    pub kind: String,
    /// committed, failed, running, or interrupted (recorded as running, but no longer connected).
    pub status: String,
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
}

impl RunRecord {
    /// inserted/updated/deleted totals of a load, or undone totals of a rollback.
    fn changes(&self) -> String {
        let Some(serde_json::Value::Object(tables)) = &self.counts else {
            return "-".into();
        };
        let sum = |k: &str| -> u64 {
            tables
                .values()
                .map(|t| t.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0))
                .sum()
        };
        if self.kind == "rollback" {
            format!(
                "-{} ~{} +{}",
                sum("deleted"),
                sum("restored"),
                sum("reinserted")
            )
        } else {
            format!(
                "+{} ~{} -{}",
                sum("inserted"),
                sum("updated"),
                sum("deleted")
            )
        }
    }
}

pub async fn history(ctx: &Ctx<'_>, args: &HistoryArgs) -> Result<Exit, Failure> {
    let conn = ctx.target()?;
    let deadline = tokio::time::Instant::now() + ctx.global.timeout;
    let s = session::connect(
        &conn,
        &runid::application_name(&runid::new_run_id()),
        deadline,
    )
    .await?;
    let read = |e: anyhow::Error| Failure::new(Exit::Unavailable, "history", e);
    let exists: bool = s
        .client
        .query_one("SELECT to_regclass('qa_load_runs') IS NOT NULL", &[])
        .await
        .context("could not look for qa_load_runs")
        .map_err(read)?
        .get(0);
    if !exists {
        if args.json {
            println!("[]");
        } else {
            println!(
                "No runs recorded in {} (the qa-load schema is not applied).",
                conn.describe()
            );
        }
        return Ok(Exit::Ok);
    }
    let rows = s
        .client
        .query(
            "SELECT r.id, r.kind, r.status, r.started_at, r.finished_at, \
                    (extract(epoch FROM r.finished_at - r.started_at) * 1000)::bigint, \
                    r.tool_version, r.db_user, r.input_path, r.dataset_checksum, r.counts, r.target_run, \
                    r.rolled_back_by, r.rolled_back_at, r.failed_stage, r.error, \
                    EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = 'qa-load/' || r.id) \
             FROM qa_load_runs r ORDER BY r.started_at DESC, r.id DESC LIMIT $1",
            &[&args.limit.max(0)],
        )
        .await
        .context("could not read qa_load_runs")
        .map_err(read)?;
    let runs: Vec<RunRecord> = rows
        .iter()
        .map(|r| {
            let status: String = r.get(2);
            let live: bool = r.get(16);
            RunRecord {
                id: r.get(0),
                kind: r.get(1),
                status: if status == "running" && !live {
                    "interrupted".into()
                } else {
                    status
                },
                started_at: r.get(3),
                finished_at: r.get(4),
                duration_ms: r.get(5),
                tool_version: r.get(6),
                db_user: r.get(7),
                input_path: r.get(8),
                dataset_checksum: r.get(9),
                counts: r.get(10),
                target_run: r.get(11),
                rolled_back_by: r.get(12),
                rolled_back_at: r.get(13),
                failed_stage: r.get(14),
                error: r.get(15),
            }
        })
        .collect();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&runs).unwrap_or_default()
        );
        return Ok(Exit::Ok);
    }
    if runs.is_empty() {
        println!("No runs recorded in {}.", conn.describe());
        return Ok(Exit::Ok);
    }
    println!(
        "Runs in {}, newest first (changes: +inserted ~updated -deleted):",
        conn.describe()
    );
    println!(
        "{:<24} {:<8} {:<11} {:<20} {:>8} {:<20} {:<14} note",
        "run", "kind", "status", "started (UTC)", "secs", "changes", "dataset"
    );
    for r in &runs {
        let note = match (&r.rolled_back_by, &r.target_run, &r.error) {
            (Some(by), _, _) => format!("rolled back by {by}"),
            (None, Some(t), _) if r.kind == "rollback" => format!("undid {t}"),
            (None, _, Some(e)) => format!(
                "{}: {}",
                r.failed_stage.as_deref().unwrap_or("?"),
                truncate(e, 80)
            ),
            _ => r.input_path.clone().unwrap_or_default(),
        };
        println!(
            "{:<24} {:<8} {:<11} {:<20} {:>8} {:<20} {:<14} {note}",
            r.id,
            r.kind,
            r.status,
            r.started_at.format("%Y-%m-%d %H:%M:%S"),
            r.duration_ms
                .map(|ms| format!("{:.1}", ms as f64 / 1000.0))
                .unwrap_or_else(|| "-".into()),
            r.changes(),
            r.dataset_checksum
                .as_deref()
                .map(|c| &c[..12.min(c.len())])
                .unwrap_or("-"),
        );
    }
    Ok(Exit::Ok)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n).collect::<String>())
    } else {
        s.to_string()
    }
}
