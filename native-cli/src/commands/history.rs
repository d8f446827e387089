//! `qa-load history`: the recorded runs, newest first.

use crate::bookkeeping::{self, runs, runs::RunRecord};
use crate::context::Ctx;
use crate::error::{Exit, Failure};
use crate::opt::HistoryArgs;

/// inserted/updated/deleted totals of a load, or undone totals of a rollback.
fn changes(r: &RunRecord) -> String {
    let Some(serde_json::Value::Object(tables)) = &r.counts else {
        return "-".into();
    };
    let sum = |k: &str| -> u64 {
        tables
            .values()
            .map(|t| t.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0))
            .sum()
    };
    if r.kind == "rollback" {
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

pub async fn run(ctx: &Ctx<'_>, args: &HistoryArgs) -> Result<Exit, Failure> {
    let (conn, s, _) = ctx.read_session().await?;
    let read = |e: anyhow::Error| Failure::unavailable("history", e);
    let status = bookkeeping::status(&s.client, &[bookkeeping::BOOKKEEPING])
        .await
        .map_err(read)?;
    if !status.has_run_history() {
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
    // A run whose session is gone never finished: say so in its record (qa-load 0.1's records,
    // not yet upgraded, are only shown so).
    if !status.legacy && status.current(bookkeeping::BOOKKEEPING.name) >= 2 {
        runs::mark_interrupted(&s.client).await.map_err(read)?;
    }
    // `--layout` picks the runs of that layout (all of them without it).
    let layout = ctx.global.layout.map(|l| l.as_str());
    let runs = runs::list(&s.client, args.limit, status.legacy, layout)
        .await
        .map_err(read)?;
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
        "{:<24} {:<8} {:<11} {:<8} {:<20} {:>8} {:<20} {:<14} note",
        "run", "kind", "status", "layout", "started (UTC)", "secs", "changes", "dataset"
    );
    for r in &runs {
        let decided = r
            .decisions
            .as_ref()
            .and_then(|d| d.as_array())
            .map_or(0, Vec::len);
        let note = match (&r.rolled_back_by, &r.target_run, &r.error) {
            (None, _, None) if decided > 0 => format!(
                "{}; {decided} conflict(s) decided (below)",
                r.input_path.clone().unwrap_or_default()
            ),
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
            "{:<24} {:<8} {:<11} {:<8} {:<20} {:>8} {:<20} {:<14} {note}",
            r.id,
            r.kind,
            r.status,
            r.layout,
            r.started_at.format("%Y-%m-%d %H:%M:%S"),
            r.duration_ms
                .map(|ms| format!("{:.1}", ms as f64 / 1000.0))
                .unwrap_or_else(|| "-".into()),
            changes(r),
            r.dataset_checksum
                .as_deref()
                .map(|c| &c[..12.min(c.len())])
                .unwrap_or("-"),
        );
    }
    for r in &runs {
        let Some(decisions) = r.decisions.as_ref().and_then(|d| d.as_array()) else {
            continue;
        };
        println!("\nRun {} decided:", r.id);
        for d in decisions {
            let text = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("");
            let id = d
                .get("id")
                .filter(|v| !v.is_null())
                .map(|v| format!(" (id {v})"))
                .unwrap_or_default();
            let value =
                |k: &str| truncate(&d.get(k).map(|v| v.to_string()).unwrap_or_default(), 60);
            println!(
                "  {} {:?}{id} {}: {} (database {}, file {})",
                text("table"),
                text("key"),
                d.get("column")
                    .and_then(|v| v.as_str())
                    .unwrap_or("whole row"),
                text("resolution"),
                value("database"),
                value("file"),
            );
        }
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
