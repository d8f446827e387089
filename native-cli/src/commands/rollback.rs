//! `qa-load rollback`: replays a run's journal backwards, in one transaction, and checks that
//! every row it touched is back to exactly its prior value.

use std::collections::BTreeMap;
use std::time::Instant as StdInstant;

use anyhow::{anyhow, Context, Result};
use serde::Serialize;
use tokio_postgres::Transaction;

use crate::bookkeeping::{self, runs, JOURNAL, JOURNAL_ROWS, RUNS};
use crate::commands::write_session::{begin, WriteSession};
use crate::context::Ctx;
use crate::db::runid;
use crate::db::session::Step;
use crate::error::{Exit, Failure, Refusal};
use crate::layout::sql::key_json;
use crate::layout::{Table, Tables};
use crate::logging;
use crate::opt::RollbackArgs;
use crate::with_tables;

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Undone {
    /// Rows the run had inserted, now deleted.
    pub deleted: u64,
    /// Rows the run had updated, now restored to their prior values.
    pub restored: u64,
    /// Rows the run had deleted, now inserted again.
    pub reinserted: u64,
}

#[derive(Debug, Serialize)]
pub struct RollbackSummary {
    pub rollback_run_id: String,
    pub rolled_back_run: String,
    pub database: String,
    pub tables: BTreeMap<String, Undone>,
    pub forced: bool,
    pub dry_run: bool,
    pub duration_ms: u128,
}

struct RunToUndo {
    id: String,
    kind: String,
    status: String,
    rolled_back_by: Option<String>,
    schema_version: i32,
    layout: String,
}

fn refused(refusal: Refusal) -> Failure {
    Failure::refused("rollback", refusal)
}

pub async fn run(ctx: &Ctx<'_>, args: &RollbackArgs) -> Result<Exit, Failure> {
    // Rollback reads no row through the layout: its tables are enough.
    let layout = ctx.layout().await?;
    with_tables!(layout.tables(), t => run_with(ctx, args, t).await)
}

async fn run_with<L: Tables>(
    ctx: &Ctx<'_>,
    args: &RollbackArgs,
    layout: &L,
) -> Result<Exit, Failure> {
    let started = StdInstant::now();
    if let Some(id) = &args.run {
        if !runid::looks_like_run_id(id) {
            return Err(Failure::usage(
                "usage",
                format!(
                    "{id:?} is not a run id (like 20250317T101500Z-3fa9c1); see `qa-load history`"
                ),
            ));
        }
    }
    let session = WriteSession::new(ctx, runid::new_run_id())?;
    let stage = &session.stage;
    let undo_started = std::cell::Cell::new(false);
    let undone_id = std::cell::RefCell::new(None::<String>);
    let result = session
        .run(
            args.wait,
            layout,
            async |client, status| {
                if !status.has_run_history() {
                    return Err(refused(Refusal::NoRunHistory));
                }
                // qa-load 0.1's bookkeeping moves to the qa_load schema first (its runs still
                // roll back exactly).
                if !args.dry_run {
                    session
                        .bring_up_to_date(client, &layout.components(), &status, None)
                        .await?;
                }
                stage.set(Step::RollbackChecks);
                let tx = begin(client, stage, true, "rollback").await?;
                if status.has_pending() {
                    // A dry run sees the upgrade inside its own transaction.
                    bookkeeping::apply_pending(&*tx, &layout.components(), None)
                        .await
                        .map_err(|e| Failure::write("schema", e))?;
                }
                runs::mark_interrupted(&*tx)
                    .await
                    .map_err(|e| Failure::write("rollback (checks)", e))?;
                let run = find_run_to_undo(&tx, args).await?;
                *undone_id.borrow_mut() = Some(run.id.clone());
                check_replayable(&run, layout)?;
                check_later_runs(&tx, layout, &run.id).await?;
                let drift = drift(&tx, layout, &run.id)
                    .await
                    .map_err(|e| Failure::write("rollback (checks)", e))?;
                if !drift.is_empty() {
                    let list = drift.iter().take(10).cloned().collect::<Vec<_>>().join("; ");
                    if args.force {
                        tracing::warn!(target: "qa_load::rollback", run = %run.id, changed = drift.len(), %list, "rolling back over rows changed since the run (--force)");
                        logging::note(&format!(
                            "--force: {} row(s) changed since run {} will be overwritten or removed: {list}",
                            drift.len(),
                            run.id
                        ));
                    } else {
                        return Err(refused(Refusal::RowsChangedSince {
                            run: run.id.clone(),
                            count: drift.len(),
                            list,
                        })
                        .with_hint("inspect the rows; pass --force to roll back anyway (their later changes are lost)"));
                    }
                }

                stage.set(Step::Rollback(run.id.clone()));
                undo_started.set(true);
                let fail = |e: anyhow::Error| Failure::write(stage.name(), e);
                runs::start(&*tx, &new_run(&session, layout, args, Some(&run.id)))
                    .await
                    .map_err(fail)?;
                let tables = undo(&tx, layout, &run.id).await.map_err(fail)?;
                stage.set(Step::RollbackVerify);
                verify_restored(&tx, layout, &run.id).await.map_err(fail)?;
                runs::rolled_back(&*tx, &run.id, &session.run_id)
                    .await
                    .map_err(fail)?;
                runs::committed(&*tx, &session.run_id, &serde_json::to_value(&tables).unwrap_or_default(), &serde_json::Value::Null)
                    .await
                    .map_err(fail)?;
                if args.dry_run {
                    stage.set(Step::DryRunRollback);
                    tx.rollback().await.context("could not roll back the dry run").map_err(fail)?;
                } else {
                    session.commit(tx).await?;
                }
                Ok((run.id, tables))
            },
            async |client, failure| {
                // The rollback's own record went with its transaction: record the failure anew
                // (not when the commit's outcome is unknown: it may have happened).
                let record = undo_started.get()
                    && failure.exit() == Exit::Failed
                    && !args.dry_run;
                if !record {
                    return;
                }
                let target_run = undone_id.borrow().clone();
                let r = runs::insert_failed(
                    client,
                    &new_run(&session, layout, args, target_run.as_deref()),
                    &failure.stage,
                    &failure.chain().join(" <- "),
                )
                .await;
                if let Err(e) = r {
                    tracing::warn!(target: "qa_load::rollback", error = %format!("{e:#}"), "could not record the failed rollback");
                }
                logging::note("the rollback failed and was itself rolled back: the database is as it was before it");
            },
        )
        .await;

    let (rolled_back, tables) = result?;
    let summary = RollbackSummary {
        rollback_run_id: session.run_id.clone(),
        rolled_back_run: rolled_back,
        database: session.database.describe(),
        tables,
        forced: args.force,
        dry_run: args.dry_run,
        duration_ms: started.elapsed().as_millis(),
    };
    tracing::info!(target: "qa_load::rollback", run = %summary.rolled_back_run, rollback_run = %session.run_id, "rolled back");
    print_summary(layout, &summary, args.json);
    Ok(Exit::Ok)
}

fn new_run<'a, L: Tables>(
    session: &'a WriteSession<'_>,
    layout: &L,
    args: &RollbackArgs,
    target_run: Option<&'a str>,
) -> runs::NewRun<'a> {
    runs::NewRun {
        id: &session.run_id,
        kind: "rollback",
        layout: layout.name().as_str(),
        schema_version: layout.version(),
        input_path: None,
        input_sha256: None,
        source_module: None,
        source_sha256: None,
        dataset_checksum: None,
        options: serde_json::json!({"force": args.force, "database": session.database.describe()}),
        target_run,
    }
}

async fn find_run_to_undo(tx: &Transaction<'_>, args: &RollbackArgs) -> Result<RunToUndo, Failure> {
    let read = |e: tokio_postgres::Error| Failure::write("rollback (checks)", e);
    let row = if args.last {
        tx.query_opt(
            &format!(
                "SELECT id, kind, status, rolled_back_by, schema_version, layout FROM {RUNS} r \
                 WHERE kind = 'load' AND status = 'committed' AND rolled_back_by IS NULL \
                 AND EXISTS (SELECT 1 FROM {JOURNAL} j WHERE j.run_id = r.id) \
                 ORDER BY started_at DESC, id DESC LIMIT 1"
            ),
            &[],
        )
        .await
        .map_err(read)?
        .ok_or_else(|| refused(Refusal::NothingToRollBack))?
    } else {
        let id = args.run.clone().unwrap_or_default();
        tx.query_opt(
            &format!(
                "SELECT id, kind, status, rolled_back_by, schema_version, layout FROM {RUNS} WHERE id = $1"
            ),
            &[&id],
        )
        .await
        .map_err(read)?
        .ok_or_else(|| refused(Refusal::NoSuchRun(id.clone())).with_hint("see `qa-load history`"))?
    };
    Ok(RunToUndo {
        id: row.get(0),
        kind: row.get(1),
        status: row.get(2),
        rolled_back_by: row.get(3),
        schema_version: row.get(4),
        layout: row.get(5),
    })
}

fn check_replayable<L: Tables>(run: &RunToUndo, layout: &L) -> Result<(), Failure> {
    if run.layout != layout.name().as_str() {
        return Err(refused(Refusal::OtherLayout {
            run: run.id.clone(),
            layout: run.layout.clone(),
            ours: layout.name().as_str().to_string(),
        }));
    }
    let schema_version = layout.version();
    if run.kind != "load" {
        return Err(refused(Refusal::IsARollback(run.id.clone())));
    }
    if let Some(by) = &run.rolled_back_by {
        return Err(refused(Refusal::AlreadyRolledBack {
            run: run.id.clone(),
            by: by.clone(),
        }));
    }
    match run.status.as_str() {
        "committed" => {}
        "failed" => return Err(refused(Refusal::RunFailed(run.id.clone()))),
        "interrupted" => return Err(refused(Refusal::RunInterrupted(run.id.clone()))),
        _ => return Err(refused(Refusal::RunNotCommitted(run.id.clone()))),
    }
    if run.schema_version != schema_version {
        return Err(refused(Refusal::SchemaChangedSince {
            run: run.id.clone(),
            was: run.schema_version,
            now: schema_version,
        }));
    }
    Ok(())
}

/// Refuses when a later run that is still in effect touched the same rows or refers to rows
/// this run inserted: rolling this one back first would break that one.
async fn check_later_runs<L: Tables>(
    tx: &Transaction<'_>,
    layout: &L,
    run_id: &str,
) -> Result<(), Failure> {
    let later = format!(
        "r.kind = 'load' AND r.status = 'committed' AND r.rolled_back_by IS NULL AND r.id <> $1 \
         AND r.started_at > (SELECT started_at FROM {RUNS} WHERE id = $1)"
    );
    // Rows both runs wrote, and rows the later run wrote or removed whose references (in the key
    // or the prior value) lead to rows this run inserted.
    let refers: Vec<String> = layout
        .relations()
        .iter()
        .map(|r| {
            format!(
                "(l.table_name = '{child}' AND coalesce(l.pk->>'{col}', l.before->>'{col}') IN \
                 (SELECT pk->>'{pk}' FROM ins WHERE table_name = '{parent}'))",
                child = r.child,
                col = r.column,
                pk = r.parent_key,
                parent = r.parent
            )
        })
        .collect();
    let mut sql = format!(
        "WITH mine AS (SELECT table_name, pk, op FROM {JOURNAL_ROWS} WHERE run_id = $1), \
              ins AS (SELECT table_name, pk FROM mine WHERE op = 'insert') \
         SELECT l.run_id FROM {RUNS} r JOIN {JOURNAL_ROWS} l ON l.run_id = r.id \
         WHERE {later} \
           AND (EXISTS (SELECT 1 FROM mine m WHERE m.table_name = l.table_name AND m.pk = l.pk) \
                OR {refers})",
        refers = refers.join(" OR ")
    );
    // Rows the later run inserted or updated that now refer to rows this run inserted.
    for r in layout.relations() {
        sql.push_str(&format!(
            " UNION ALL SELECT k.run_id FROM {child} c \
              JOIN {JOURNAL_ROWS} p ON p.run_id = $1 AND p.table_name = '{parent}' AND p.op = 'insert' \
               AND c.{col} = (p.pk->>'{pk}')::{ty} \
              JOIN {JOURNAL_ROWS} k ON k.table_name = '{child}' AND k.pk = ({key}) AND k.op <> 'delete' \
              JOIN {RUNS} r ON r.id = k.run_id WHERE {later}",
            child = r.child,
            parent = r.parent,
            col = r.column,
            pk = r.parent_key,
            ty = key_type(layout, r.parent),
            key = key_json(r.child_key, "c"),
        ));
    }
    let rows = tx
        .query(
            &format!(
                "SELECT d.run_id, count(*) FROM ({sql}) d JOIN {RUNS} r ON r.id = d.run_id \
                 GROUP BY d.run_id, r.started_at ORDER BY r.started_at"
            ),
            &[&run_id],
        )
        .await
        .map_err(|e| Failure::write("rollback (checks)", e))?;
    if rows.is_empty() {
        return Ok(());
    }
    let later: Vec<String> = rows
        .iter()
        .map(|r| format!("{} ({} row(s))", r.get::<_, String>(0), r.get::<_, i64>(1)))
        .collect();
    Err(refused(Refusal::LaterRunsDepend {
        run: run_id.to_string(),
        later,
    })
    .with_hint("roll those back first (newest first: `qa-load rollback --last`), then this one"))
}

/// The SQL type of `table`'s key (a table the layout does not write: uuid).
fn key_type<L: Tables>(layout: &L, table: &str) -> &'static str {
    layout
        .tables()
        .into_iter()
        .find(|t| t.name == table)
        .map(|t| t.key_type.sql())
        .unwrap_or("uuid")
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn columns(tx: &Transaction<'_>, table: &str) -> Result<Vec<String>> {
    let rows = tx
        .query(
            "SELECT attname::text FROM pg_attribute WHERE attrelid = $1::text::regclass \
             AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            &[&table],
        )
        .await
        .with_context(|| format!("could not read the columns of {table}"))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Rows the run touched that are no longer as it left them, plus rows written since by others
/// that refer to rows the run inserted (they would be removed or broken by the rollback).
async fn drift<L: Tables>(tx: &Transaction<'_>, layout: &L, run_id: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for table in layout.tables() {
        let t = table.name;
        let pk0 = table.key[0];
        let rows = tx
            .query(
                &format!(
                    "SELECT j.op, j.pk::text FROM {JOURNAL_ROWS} j LEFT JOIN {t} t ON {on} \
                     WHERE j.run_id = $1 AND j.table_name = '{t}' AND ( \
                       (j.op IN ('insert', 'update') \
                        AND (t.{pk0} IS NULL OR {hash} <> j.after_hash)) \
                       OR (j.op = 'delete' AND t.{pk0} IS NOT NULL)) \
                     ORDER BY j.seq, j.ord LIMIT 50",
                    on = table.key_from_journal("t", "j"),
                    hash = table.journal_hash("t"),
                ),
                &[&run_id],
            )
            .await
            .with_context(|| format!("could not compare {t} with the journal"))?;
        for r in rows {
            let op: String = r.get(0);
            let pk: String = r.get(1);
            let what = match op.as_str() {
                "delete" => "deleted by the run, present again",
                _ => "changed or removed since the run wrote it",
            };
            out.push(format!("{t} {pk} ({op}: {what})"));
        }
    }
    for r in layout.relations() {
        let (child, parent) = (r.child, r.parent);
        let rows = tx
            .query(
                &format!(
                    "SELECT ({key})::text FROM {child} c \
                     JOIN {JOURNAL_ROWS} p ON p.run_id = $1 AND p.table_name = '{parent}' AND p.op = 'insert' \
                      AND c.{fk} = (p.pk->>'{pk}')::{ty} \
                     WHERE NOT EXISTS (SELECT 1 FROM {JOURNAL_ROWS} k WHERE k.run_id = $1 \
                       AND k.table_name = '{child}' AND k.pk = ({key})) \
                     LIMIT 50",
                    key = key_json(r.child_key, "c"),
                    fk = r.column,
                    pk = r.parent_key,
                    ty = key_type(layout, parent),
                ),
                &[&run_id],
            )
            .await
            .with_context(|| format!("could not look for {child} rows referring to inserted {parent}"))?;
        for r in rows {
            let pk: String = r.get(0);
            out.push(format!(
                "{child} {pk} (added since; refers to a row of {parent} the run inserted)"
            ));
        }
    }
    Ok(out)
}

fn populated(table: &Table, op: &str, cols: &[String]) -> String {
    format!(
        "SELECT {} FROM (SELECT (jsonb_populate_record(NULL::{t}, j.before)).* FROM {JOURNAL_ROWS} j \
         WHERE j.run_id = $1 AND j.table_name = '{t}' AND j.op = '{op}' ORDER BY j.seq, j.ord) r",
        cols.iter().map(|c| format!("r.{}", quote_ident(c))).collect::<Vec<_>>().join(", "),
        t = table.name
    )
}

async fn undo<L: Tables>(
    tx: &Transaction<'_>,
    layout: &L,
    run_id: &str,
) -> Result<BTreeMap<String, Undone>> {
    let mut expected: BTreeMap<(String, String), i64> = BTreeMap::new();
    for r in tx
        .query(
            &format!(
                "SELECT table_name, op, sum(cardinality(pks))::bigint FROM {JOURNAL} \
                 WHERE run_id = $1 GROUP BY 1, 2"
            ),
            &[&run_id],
        )
        .await?
    {
        expected.insert((r.get(0), r.get(1)), r.get(2));
    }
    let mut out = BTreeMap::new();
    for table in layout.tables().into_iter().rev() {
        let t = table.name;
        let cols = columns(tx, t).await?;
        // An update is undone in the columns the journal kept (the whole row, or the columns the
        // load writes: the owner's later writes to the others stay).
        let non_pk: Vec<&String> = cols
            .iter()
            .filter(|c| !table.key.contains(&c.as_str()))
            .filter(|c| table.journalled(c))
            .collect();
        let want = |op: &str| {
            expected
                .get(&(t.to_string(), op.to_string()))
                .copied()
                .unwrap_or(0) as u64
        };
        let deleted = tx
            .execute(
                &format!(
                    "DELETE FROM {t} t USING {JOURNAL_ROWS} j WHERE j.run_id = $1 AND j.table_name = '{t}' \
                     AND j.op = 'insert' AND {}",
                    table.key_from_journal("t", "j")
                ),
                &[&run_id],
            )
            .await
            .with_context(|| format!("could not delete the {t} rows the run inserted"))?;
        let mut restored = 0;
        if !non_pk.is_empty() {
            let set: Vec<String> = non_pk
                .iter()
                .map(|c| format!("{q} = r.{q}", q = quote_ident(c)))
                .collect();
            restored = tx
                .execute(
                    &format!(
                        "UPDATE {t} t SET {} FROM (SELECT (jsonb_populate_record(NULL::{t}, j.before)).* \
                         FROM {JOURNAL_ROWS} j WHERE j.run_id = $1 AND j.table_name = '{t}' AND j.op = 'update') r \
                         WHERE {}",
                        set.join(", "),
                        table.key_join("t", "r")
                    ),
                    &[&run_id],
                )
                .await
                .with_context(|| format!("could not restore the {t} rows the run updated"))?;
        }
        let reinserted = tx
            .execute(
                &format!(
                    "INSERT INTO {t} ({}) {}",
                    cols.iter()
                        .map(|c| quote_ident(c))
                        .collect::<Vec<_>>()
                        .join(", "),
                    populated(table, "delete", &cols)
                ),
                &[&run_id],
            )
            .await
            .with_context(|| format!("could not re-insert the {t} rows the run deleted"))?;
        let u = Undone {
            deleted,
            restored,
            reinserted,
        };
        for (op, done) in [
            ("insert", u.deleted),
            ("update", u.restored),
            ("delete", u.reinserted),
        ] {
            if done != want(op) {
                return Err(anyhow!(
                    "{t}: the journal has {} {op}(s) but {done} row(s) were undone",
                    want(op)
                ));
            }
        }
        if u.deleted + u.restored + u.reinserted > 0 {
            tracing::info!(target: "qa_load::rollback", table = t, deleted = u.deleted, restored = u.restored, reinserted = u.reinserted, "undone");
        }
        out.insert(t.to_string(), u);
    }
    Ok(out)
}

/// After the undo, inside the transaction: every row the run inserted is gone, every row it
/// updated or deleted is back with exactly its prior value.
async fn verify_restored<L: Tables>(tx: &Transaction<'_>, layout: &L, run_id: &str) -> Result<()> {
    for table in layout.tables() {
        let t = table.name;
        let pk0 = table.key[0];
        let row = tx
            .query_one(
                &format!(
                    "SELECT count(*) FROM {JOURNAL_ROWS} j LEFT JOIN {t} t ON {on} \
                     WHERE j.run_id = $1 AND j.table_name = '{t}' AND ( \
                       (j.op = 'insert' AND t.{pk0} IS NOT NULL) \
                       OR (j.op = 'update' AND (t.{pk0} IS NULL OR {record} <> j.before)) \
                       OR (j.op = 'delete' AND (t.{pk0} IS NULL OR to_jsonb(t) <> j.before)))",
                    on = table.key_from_journal("t", "j"),
                    record = table.journal_record("t"),
                ),
                &[&run_id],
            )
            .await?;
        let bad: i64 = row.get(0);
        if bad != 0 {
            return Err(anyhow!(
                "{bad} row(s) of {t} are not back to their prior values after the undo"
            ));
        }
    }
    Ok(())
}

fn print_summary<L: Tables>(layout: &L, s: &RollbackSummary, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(s).unwrap_or_default());
        return;
    }
    if s.dry_run {
        println!(
            "DRY RUN: rolling back run {} in {} would restore the following; nothing was changed.",
            s.rolled_back_run, s.database
        );
    } else {
        println!(
            "Rolled back run {} in {} (rollback recorded as run {}).",
            s.rolled_back_run, s.database, s.rollback_run_id
        );
    }
    println!(
        "{:<16} {:>22} {:>22} {:>22}",
        "table", "inserted rows deleted", "updated rows restored", "deleted rows restored"
    );
    for table in layout.tables() {
        if let Some(u) = s.tables.get(table.name) {
            println!(
                "{:<16} {:>22} {:>22} {:>22}",
                table.name, u.deleted, u.restored, u.reinserted
            );
        }
    }
    let total: u64 = s
        .tables
        .values()
        .map(|u| u.deleted + u.restored + u.reinserted)
        .sum();
    if total == 0 {
        println!(
            "Run {} had changed nothing; it is now marked rolled back.",
            s.rolled_back_run
        );
    }
}
