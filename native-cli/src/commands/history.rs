//! `qa-load history`: the recorded runs, newest first.

use serde::Serialize;
use serde_json::Value;

use crate::bookkeeping::{self, runs, runs::RunRecord, JOURNAL_ROWS};
use crate::compare::short;
use crate::context::Ctx;
use crate::error::{Exit, Failure, Refusal};
use crate::opt::HistoryArgs;

/// One row a run wrote, from its journal: `history --run`.
#[derive(Debug, Serialize)]
struct Written {
    table: String,
    op: String,
    /// The row's key, as the journal records it.
    pk: Value,
    /// The row before the run (updates, deletes).
    before: Option<Value>,
    /// The row as the run left it (the columns a load writes; null for a run of an earlier
    /// release, which recorded only a hash).
    after: Option<Value>,
    /// The fields a person kept as the database had them, with the file's values.
    kept: Option<Value>,
}

#[derive(Debug, Serialize)]
struct RunChanges {
    run: RunRecord,
    /// Whether the journal holds the values the run wrote (bookkeeping 3 and later).
    after_values_recorded: bool,
    rows: Vec<Written>,
}

/// Whether a value before and after are the same (a long text recorded as its digest, numbers by
/// value).
fn same(before: &Value, after: &Value) -> bool {
    use qad_core::equal::{digest_of, same_value, Kind};
    if before == after {
        return true;
    }
    if digest_of(before).is_some() || digest_of(after).is_some() {
        return same_value(Kind::Text, before, after);
    }
    before.is_number() && after.is_number() && same_value(Kind::Number, before, after)
}

/// `qa-load history --run ID`: the run's record, then every row it wrote, field by field.
async fn show_run(
    client: &tokio_postgres::Client,
    id: &str,
    legacy: bool,
    with_afters: bool,
    json: bool,
) -> Result<Exit, Failure> {
    let read = |e: anyhow::Error| Failure::unavailable("history", e);
    let Some(run) = runs::get(client, id, legacy).await.map_err(read)? else {
        return Err(
            Failure::refused("history", Refusal::NoSuchRun(id.to_string()))
                .with_hint("see `qa-load history`"),
        );
    };
    let journal = if legacy {
        "public.qa_load_journal_rows".to_string()
    } else {
        JOURNAL_ROWS.to_string()
    };
    let (after, kept) = if with_afters {
        ("after", "kept")
    } else {
        ("NULL::jsonb", "NULL::jsonb")
    };
    let rows = client
        .query(
            &format!(
                "SELECT table_name, op, pk, before, {after}, {kept} FROM {journal} \
                 WHERE run_id = $1 ORDER BY seq, ord"
            ),
            &[&id],
        )
        .await
        .map_err(|e| read(anyhow::Error::from(e).context("could not read the run's journal")))?;
    let changes = RunChanges {
        after_values_recorded: with_afters
            && rows.iter().all(|r| {
                let op: String = r.get(1);
                op == "delete" || r.get::<_, Option<Value>>(4).is_some()
            }),
        rows: rows
            .iter()
            .map(|r| Written {
                table: r.get(0),
                op: r.get(1),
                pk: r.get(2),
                before: r.get(3),
                after: r.get(4),
                kept: r.get(5),
            })
            .collect(),
        run,
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&changes).unwrap_or_default()
        );
        return Ok(Exit::Ok);
    }
    let r = &changes.run;
    println!(
        "Run {}: {} {} on the {} layout, started {} UTC{}; changes {}",
        r.id,
        r.kind,
        r.status,
        r.layout,
        r.started_at.format("%Y-%m-%d %H:%M:%S"),
        r.input_path
            .as_deref()
            .map(|p| format!(", input {p}"))
            .unwrap_or_default(),
        changes_of(r)
    );
    if let Some(by) = &r.rolled_back_by {
        println!("It was rolled back by run {by}: its changes below are undone.");
    }
    if !changes.after_values_recorded && changes.rows.iter().any(|w| w.op != "delete") {
        println!(
            "The values it wrote were not recorded (a run of an earlier release: its journal keeps each row's prior values and a hash of what it wrote); below, the prior values."
        );
    }
    if changes.rows.is_empty() {
        println!("It wrote no row.");
    }
    let mut adopted = 0;
    for w in &changes.rows {
        let pk = w.pk.to_string();
        let empty = serde_json::Map::new();
        let obj = |v: &Option<Value>| {
            v.as_ref()
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_else(|| empty.clone())
        };
        match w.op.as_str() {
            "update" => {
                let (before, after) = (obj(&w.before), obj(&w.after));
                if w.after.is_none() {
                    println!(
                        "  update {} {pk}: before {}",
                        w.table,
                        short(&Value::Object(before))
                    );
                    continue;
                }
                let changed: Vec<String> = after
                    .iter()
                    .filter(|(k, a)| !same(before.get(*k).unwrap_or(&Value::Null), a))
                    .map(|(k, a)| {
                        format!(
                            "{k} {} -> {}",
                            short(before.get(k).unwrap_or(&Value::Null)),
                            short(a)
                        )
                    })
                    .collect();
                println!("  update {} {pk}: {}", w.table, changed.join("; "));
            }
            "insert" => match &w.after {
                Some(a) => println!("  insert {} {pk}: {}", w.table, show_row(a)),
                None => println!("  insert {} {pk}", w.table),
            },
            "delete" => println!(
                "  delete {} {pk}: was {}",
                w.table,
                show_row(w.before.as_ref().unwrap_or(&Value::Null))
            ),
            _ => {
                // An adoption without a decision only says the row was found as the file has it.
                let kept = w
                    .kept
                    .as_ref()
                    .and_then(Value::as_object)
                    .filter(|k| !k.is_empty());
                match kept {
                    Some(k) => println!(
                        "  adopt  {} {pk}: kept as the database has it: {}",
                        w.table,
                        k.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                    None => adopted += 1,
                }
            }
        }
    }
    if adopted > 0 {
        println!("  and {adopted} row(s) adopted: found as the file has them, now in the ownership record (--json lists them)");
    }
    if let Some(decisions) = r.decisions.as_ref().and_then(Value::as_array) {
        println!("Conflicts it settled:");
        print_decisions(decisions);
    }
    Ok(Exit::Ok)
}

/// A row's values on one line.
fn show_row(v: &Value) -> String {
    match v.as_object() {
        Some(m) => m
            .iter()
            .map(|(k, v)| format!("{k} {}", short(v)))
            .collect::<Vec<_>>()
            .join(", "),
        None => short(v),
    }
}

/// inserted/updated/deleted totals of a load, or undone totals of a rollback.
fn changes_of(r: &RunRecord) -> String {
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
    if let Some(id) = &args.run {
        let with_afters = !status.legacy && status.current(bookkeeping::BOOKKEEPING.name) >= 3;
        return show_run(&s.client, id, status.legacy, with_afters, args.json).await;
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
            changes_of(r),
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
        print_decisions(decisions);
    }
    Ok(Exit::Ok)
}

/// One line per settled conflict: the row, the field, how, and both values.
fn print_decisions(decisions: &[Value]) {
    for d in decisions {
        let text = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let id = d
            .get("id")
            .filter(|v| !v.is_null())
            .map(|v| format!(" (id {v})"))
            .unwrap_or_default();
        let value = |k: &str| truncate(&d.get(k).map(|v| v.to_string()).unwrap_or_default(), 60);
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

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n).collect::<String>())
    } else {
        s.to_string()
    }
}
