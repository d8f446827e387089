//! `qa-load rollback`: replays a run's journal backwards, in one transaction, and checks that
//! every row it touched is back to exactly its prior value.

use std::collections::BTreeMap;
use std::time::Instant as StdInstant;

use anyhow::{anyhow, Context, Result};
use serde::Serialize;
use tokio_postgres::{IsolationLevel, Transaction};

use crate::cli::{Ctx, RollbackArgs};
use crate::exit::{Exit, Failure};
use crate::logging;
use crate::runid;
use crate::schema;
use crate::session::{self, Stage};
use crate::write::{Spec, TABLES};

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

struct TargetRun {
    id: String,
    kind: String,
    status: String,
    rolled_back_by: Option<String>,
    schema_version: i32,
}

fn refused(msg: impl Into<String>) -> Failure {
    Failure::msg(Exit::Refused, "rollback", msg)
}

pub async fn run(ctx: &Ctx<'_>, args: &RollbackArgs) -> Result<Exit, Failure> {
    let started = StdInstant::now();
    if let Some(id) = &args.run {
        if !runid::looks_like_run_id(id) {
            return Err(Failure::msg(
                Exit::Usage,
                "usage",
                format!(
                    "{id:?} is not a run id (like 20250317T101500Z-3fa9c1); see `qa-load history`"
                ),
            ));
        }
    }
    let target = ctx.target()?;
    let own_id = runid::new_run_id();
    let deadline = tokio::time::Instant::now() + ctx.global.timeout;
    let mut session =
        session::connect(&target, &runid::application_name(&own_id), deadline).await?;
    let stage = Stage::default();
    let undo_started = std::cell::Cell::new(false);
    let target_id = std::cell::RefCell::new(None::<String>);
    let session::Session {
        client,
        tls,
        cancel,
    } = &mut session;
    let result = session::guarded(deadline, ctx.global.timeout, cancel, tls, &stage, async {
        session::acquire_lock(client, args.wait, &stage).await?;
        stage.set("schema");
        let status = schema::status(&*client)
            .await
            .map_err(|e| Failure::new(Exit::Unavailable, "schema", e))?;
        if let Some(r) = status.refusal() {
            return Err(Failure::msg(Exit::Refused, "schema", r));
        }
        if status.current() < 2 {
            return Err(refused("this database has no qa-load run history: nothing to roll back"));
        }
        stage.set("rollback (checks)");
        stage.in_transaction(true);
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .start()
            .await
            .context("could not begin the rollback transaction")
            .map_err(|e| Failure::new(Exit::Failed, "rollback", e))?;
        let run = find_target(&tx, args).await?;
        *target_id.borrow_mut() = Some(run.id.clone());
        check_target(&run, status.current())?;
        check_later_runs(&tx, &run.id).await?;
        let drift = drift(&tx, &run.id).await.map_err(|e| Failure::new(Exit::Failed, "rollback (checks)", e))?;
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
                return Err(refused(format!(
                    "{} row(s) were changed since run {} by something other than qa-load, so restoring its prior values would lose those changes: {list}",
                    drift.len(),
                    run.id
                ))
                .with_hint("inspect the rows; pass --force to roll back anyway (their later changes are lost)"));
            }
        }

        stage.set(format!("rollback {}", run.id));
        undo_started.set(true);
        let fail = |e: anyhow::Error| Failure::new(Exit::Failed, stage.name(), e);
        tx.execute(
            "INSERT INTO qa_load_runs (id, kind, status, tool_version, schema_version, target_run, options) \
             VALUES ($1, 'rollback', 'running', $2, $3, $4, $5)",
            &[
                &own_id,
                &env!("CARGO_PKG_VERSION"),
                &schema::latest_version(),
                &run.id,
                &serde_json::json!({"force": args.force, "database": target.describe()}),
            ],
        )
        .await
        .context("could not record the rollback run")
        .map_err(fail)?;
        let tables = undo(&tx, &run.id).await.map_err(fail)?;
        stage.set("rollback (verify)");
        verify_restored(&tx, &run.id).await.map_err(fail)?;
        tx.execute(
            "UPDATE qa_load_runs SET rolled_back_by = $2, rolled_back_at = clock_timestamp() WHERE id = $1",
            &[&run.id, &own_id],
        )
        .await
        .map_err(|e| fail(e.into()))?;
        tx.execute(
            "UPDATE qa_load_runs SET status = 'committed', finished_at = clock_timestamp(), counts = $2 WHERE id = $1",
            &[&own_id, &serde_json::to_value(&tables).unwrap_or_default()],
        )
        .await
        .map_err(|e| fail(e.into()))?;
        if args.dry_run {
            stage.set("rollback (dry run)");
            tx.rollback().await.context("could not roll back the dry run").map_err(fail)?;
        } else {
            stage.set("commit");
            tx.commit().await.context("the commit failed").map_err(fail)?;
        }
        stage.in_transaction(false);
        Ok((run.id, tables))
    })
    .await;

    match result {
        Ok((rolled_back, tables)) => {
            let _ = crate::lock::unlock(client).await;
            let summary = RollbackSummary {
                rollback_run_id: own_id.clone(),
                rolled_back_run: rolled_back,
                database: target.describe(),
                tables,
                forced: args.force,
                dry_run: args.dry_run,
                duration_ms: started.elapsed().as_millis(),
            };
            tracing::info!(target: "qa_load::rollback", run = %summary.rolled_back_run, rollback_run = %own_id, "rolled back");
            print_summary(&summary, args.json);
            Ok(Exit::Ok)
        }
        Err(failure) => {
            let settled = session::settle(client).await;
            let target_run = target_id.borrow().clone();
            let record = undo_started.get() && failure.exit == Exit::Failed && !args.dry_run;
            // A lost connection took its transaction with it; record over a new one.
            let fresh = if record && !settled {
                session::reconnect(&target, &runid::application_name(&own_id)).await
            } else {
                None
            };
            let recorder = if settled {
                Some(&*client)
            } else {
                fresh.as_ref()
            };
            if let (true, Some(recorder)) = (record, recorder) {
                let r = recorder
                    .execute(
                        "INSERT INTO qa_load_runs (id, kind, status, tool_version, schema_version, target_run, \
                         finished_at, failed_stage, error) VALUES ($1, 'rollback', 'failed', $2, $3, $4, clock_timestamp(), $5, $6)",
                        &[
                            &own_id,
                            &env!("CARGO_PKG_VERSION"),
                            &schema::latest_version(),
                            &target_run,
                            &failure.stage,
                            &failure.chain().join(" <- "),
                        ],
                    )
                    .await;
                if let Err(e) = r {
                    tracing::warn!(target: "qa_load::rollback", error = %e, "could not record the failed rollback");
                }
                logging::note("the rollback failed and was itself rolled back: the database is as it was before it");
            }
            Err(failure)
        }
    }
}

async fn find_target(tx: &Transaction<'_>, args: &RollbackArgs) -> Result<TargetRun, Failure> {
    let read = |e: tokio_postgres::Error| Failure::new(Exit::Failed, "rollback (checks)", e);
    let row = if args.last {
        tx.query_opt(
            "SELECT id, kind, status, rolled_back_by, schema_version FROM qa_load_runs \
             WHERE kind = 'load' AND status = 'committed' AND rolled_back_by IS NULL \
             AND EXISTS (SELECT 1 FROM qa_load_journal j WHERE j.run_id = qa_load_runs.id) \
             ORDER BY started_at DESC, id DESC LIMIT 1",
            &[],
        )
        .await
        .map_err(read)?
        .ok_or_else(|| {
            refused(
                "there is no committed load that changed something and is not rolled back already: nothing to roll back",
            )
        })?
    } else {
        let id = args.run.clone().unwrap_or_default();
        tx.query_opt(
            "SELECT id, kind, status, rolled_back_by, schema_version FROM qa_load_runs WHERE id = $1",
            &[&id],
        )
        .await
        .map_err(read)?
        .ok_or_else(|| refused(format!("there is no run {id} in this database")).with_hint("see `qa-load history`"))?
    };
    Ok(TargetRun {
        id: row.get(0),
        kind: row.get(1),
        status: row.get(2),
        rolled_back_by: row.get(3),
        schema_version: row.get(4),
    })
}

fn check_target(run: &TargetRun, schema_version: i32) -> Result<(), Failure> {
    if run.kind != "load" {
        return Err(refused(format!(
            "run {} is a rollback; to redo the load it undid, load the input again",
            run.id
        )));
    }
    if let Some(by) = &run.rolled_back_by {
        return Err(refused(format!(
            "run {} was already rolled back by run {by}",
            run.id
        )));
    }
    match run.status.as_str() {
        "committed" => {}
        "failed" => {
            return Err(refused(format!(
                "run {} failed and was rolled back when it failed: it changed nothing, so there is nothing to undo",
                run.id
            )))
        }
        _ => {
            return Err(refused(format!(
                "run {} never committed (it is still running, or was interrupted and rolled back by the server)",
                run.id
            )))
        }
    }
    if run.schema_version != schema_version {
        return Err(refused(format!(
            "run {} was made with schema version {}, the database is now at {}: its journal cannot be replayed exactly",
            run.id, run.schema_version, schema_version
        )));
    }
    Ok(())
}

/// Refuses when a later run that is still in effect touched the same rows or refers to rows
/// this run inserted: rolling this one back first would break that one.
async fn check_later_runs(tx: &Transaction<'_>, run_id: &str) -> Result<(), Failure> {
    let later =
        "r.kind = 'load' AND r.status = 'committed' AND r.rolled_back_by IS NULL AND r.id <> $1 \
                 AND r.started_at > (SELECT started_at FROM qa_load_runs WHERE id = $1)";
    // Rows both runs wrote, and rows the later run wrote or removed whose references (in the key
    // or the prior value) lead to rows this run inserted.
    let mut sql = format!(
        "WITH mine AS (SELECT table_name, pk, op FROM qa_load_journal_rows WHERE run_id = $1), \
              ins AS (SELECT table_name, pk->>'id' AS id FROM mine WHERE op = 'insert') \
         SELECT l.run_id FROM qa_load_runs r JOIN qa_load_journal_rows l ON l.run_id = r.id \
         WHERE {later} \
           AND (EXISTS (SELECT 1 FROM mine m WHERE m.table_name = l.table_name AND m.pk = l.pk) \
                OR coalesce(l.pk->>'app_id', l.before->>'app_id') IN (SELECT id FROM ins WHERE table_name = 'apps') \
                OR coalesce(l.pk->>'category_id', l.before->>'category_id') IN (SELECT id FROM ins WHERE table_name = 'categories') \
                OR l.before->>'developer_id' IN (SELECT id FROM ins WHERE table_name = 'developers'))"
    );
    // Rows the later run inserted or updated that now refer to rows this run inserted.
    for (child, key, fk, parent) in RELATIONS {
        sql.push_str(&format!(
            " UNION ALL SELECT k.run_id FROM {child} c \
              JOIN qa_load_journal_rows p ON p.run_id = $1 AND p.table_name = '{parent}' AND p.op = 'insert' \
               AND c.{fk} = (p.pk->>'id')::uuid \
              JOIN qa_load_journal_rows k ON k.table_name = '{child}' AND k.pk = ({key}) AND k.op <> 'delete' \
              JOIN qa_load_runs r ON r.id = k.run_id WHERE {later}"
        ));
    }
    let rows = tx
        .query(
            &format!(
                "SELECT d.run_id, count(*) FROM ({sql}) d JOIN qa_load_runs r ON r.id = d.run_id \
                 GROUP BY d.run_id, r.started_at ORDER BY r.started_at"
            ),
            &[&run_id],
        )
        .await
        .map_err(|e| Failure::new(Exit::Failed, "rollback (checks)", e))?;
    if rows.is_empty() {
        return Ok(());
    }
    let later: Vec<String> = rows
        .iter()
        .map(|r| format!("{} ({} row(s))", r.get::<_, String>(0), r.get::<_, i64>(1)))
        .collect();
    Err(refused(format!(
        "later run(s) depend on run {run_id}: {}",
        later.join(", ")
    ))
    .with_hint("roll those back first (newest first: `qa-load rollback --last`), then this one"))
}

/// (child table, its primary key as JSONB, foreign key column, parent table)
const RELATIONS: [(&str, &str, &str, &str); 5] = [
    (
        "apps",
        "jsonb_build_object('id', c.id)",
        "developer_id",
        "developers",
    ),
    (
        "app_categories",
        "jsonb_build_object('app_id', c.app_id, 'category_id', c.category_id)",
        "app_id",
        "apps",
    ),
    (
        "app_categories",
        "jsonb_build_object('app_id', c.app_id, 'category_id', c.category_id)",
        "category_id",
        "categories",
    ),
    (
        "screenshots",
        "jsonb_build_object('id', c.id)",
        "app_id",
        "apps",
    ),
    (
        "app_features",
        "jsonb_build_object('app_id', c.app_id, 'feature_id', c.feature_id)",
        "app_id",
        "apps",
    ),
];

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
async fn drift(tx: &Transaction<'_>, run_id: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for spec in TABLES {
        let t = spec.table;
        let pk0 = spec.pk_columns()[0];
        let rows = tx
            .query(
                &format!(
                    "SELECT j.op, j.pk::text FROM qa_load_journal_rows j LEFT JOIN {t} t ON {on} \
                     WHERE j.run_id = $1 AND j.table_name = '{t}' AND ( \
                       (j.op IN ('insert', 'update') \
                        AND (t.{pk0} IS NULL OR hash_record_extended(t, 0) <> j.after_hash)) \
                       OR (j.op = 'delete' AND t.{pk0} IS NOT NULL)) \
                     ORDER BY j.seq, j.ord LIMIT 50",
                    on = spec.pk_from_journal("t", "j"),
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
    for (child, key, fk, parent) in RELATIONS {
        let rows = tx
            .query(
                &format!(
                    "SELECT ({key})::text FROM {child} c \
                     JOIN qa_load_journal_rows p ON p.run_id = $1 AND p.table_name = '{parent}' AND p.op = 'insert' \
                      AND c.{fk} = (p.pk->>'id')::uuid \
                     WHERE NOT EXISTS (SELECT 1 FROM qa_load_journal_rows k WHERE k.run_id = $1 \
                       AND k.table_name = '{child}' AND k.pk = ({key})) \
                     LIMIT 50"
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

fn populated(spec: &Spec, op: &str, cols: &[String]) -> String {
    format!(
        "SELECT {} FROM (SELECT (jsonb_populate_record(NULL::{t}, j.before)).* FROM qa_load_journal_rows j \
         WHERE j.run_id = $1 AND j.table_name = '{t}' AND j.op = '{op}' ORDER BY j.seq, j.ord) r",
        cols.iter().map(|c| format!("r.{}", quote_ident(c))).collect::<Vec<_>>().join(", "),
        t = spec.table
    )
}

async fn undo(tx: &Transaction<'_>, run_id: &str) -> Result<BTreeMap<String, Undone>> {
    let mut expected: BTreeMap<(String, String), i64> = BTreeMap::new();
    for r in tx
        .query(
            "SELECT table_name, op, sum(cardinality(pks))::bigint FROM qa_load_journal \
             WHERE run_id = $1 GROUP BY 1, 2",
            &[&run_id],
        )
        .await?
    {
        expected.insert((r.get(0), r.get(1)), r.get(2));
    }
    let mut out = BTreeMap::new();
    for spec in TABLES.iter().rev() {
        let t = spec.table;
        let cols = columns(tx, t).await?;
        let non_pk: Vec<&String> = cols
            .iter()
            .filter(|c| !spec.pk_columns().contains(&c.as_str()))
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
                    "DELETE FROM {t} t USING qa_load_journal_rows j WHERE j.run_id = $1 AND j.table_name = '{t}' \
                     AND j.op = 'insert' AND {}",
                    spec.pk_from_journal("t", "j")
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
                         FROM qa_load_journal_rows j WHERE j.run_id = $1 AND j.table_name = '{t}' AND j.op = 'update') r \
                         WHERE {}",
                        set.join(", "),
                        spec.pk_join("t", "r")
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
                    populated(spec, "delete", &cols)
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
async fn verify_restored(tx: &Transaction<'_>, run_id: &str) -> Result<()> {
    for spec in TABLES {
        let t = spec.table;
        let pk0 = spec.pk_columns()[0];
        let row = tx
            .query_one(
                &format!(
                    "SELECT count(*) FROM qa_load_journal_rows j LEFT JOIN {t} t ON {on} \
                     WHERE j.run_id = $1 AND j.table_name = '{t}' AND ( \
                       (j.op = 'insert' AND t.{pk0} IS NOT NULL) \
                       OR (j.op IN ('update', 'delete') AND (t.{pk0} IS NULL OR to_jsonb(t) <> j.before)))",
                    on = spec.pk_from_journal("t", "j"),
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

fn print_summary(s: &RollbackSummary, json: bool) {
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
    for spec in TABLES {
        if let Some(u) = s.tables.get(spec.table) {
            println!(
                "{:<16} {:>22} {:>22} {:>22}",
                spec.table, u.deleted, u.restored, u.reinserted
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
