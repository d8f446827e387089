//! The load: extract → transform → validate → load, in one transaction.

use std::path::Path;
use std::time::Instant as StdInstant;

use anyhow::Context;
use futures_util::stream::{self, StreamExt};
use qad_core::Dataset;
use serde::Serialize;
use tokio_postgres::{IsolationLevel, Transaction};

use crate::cli::{Ctx, LoadArgs};
use crate::exit::{Exit, Failure};
use crate::fault::Faults;
use crate::input::{self, Prepared};
use crate::logging::{self, Progress};
use crate::plan::{self, rows_with, Action, Counts, Plan};
use crate::rows::{self, Scope};
use crate::runid;
use crate::schema;
use crate::session::{self, Session, Stage};
use crate::write::{Op, Writable, Writer, PIPELINE_DEPTH};

/// What a finished load reports.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub run_id: String,
    /// `committed`, `unchanged` (committed, nothing written) or `dry-run`.
    pub outcome: &'static str,
    pub dry_run: bool,
    pub database: String,
    pub input: String,
    pub dataset_checksum: String,
    pub schema_applied: Vec<i32>,
    pub counts: Counts,
    pub rows_written: usize,
    pub batches: usize,
    pub statements: usize,
    pub duration_ms: u128,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
}

pub async fn run(ctx: &Ctx<'_>, args: &LoadArgs) -> Result<Exit, Failure> {
    let started = StdInstant::now();
    let faults = Faults::from_env().map_err(|e| Failure::new(Exit::Usage, "usage", e))?;
    if faults.active() {
        tracing::warn!(target: "qa_load::fault", ?faults, "TEST-ONLY fault injection is active ({})", crate::fault::ENV);
    }
    let path = args.input.as_deref().unwrap_or("-");
    let mut prepared = input::prepare(path, &args.alias, args.report.as_deref())?;

    if args.dry_run && !ctx.database_configured() {
        print_offline_plan(&prepared, args.json);
        return Ok(Exit::Ok);
    }
    // The rows move into the plan; everything else keeps `prepared`.
    let dataset = std::mem::take(&mut prepared.migration.dataset);

    let target = ctx.target()?;
    let run_id = runid::new_run_id();
    tracing::info!(
        target: "qa_load::load", run_id = %run_id, database = %target.describe(), source = target.source,
        dry_run = args.dry_run, batch_size = args.batch_size, on_existing = ?args.on_existing,
        dataset_checksum = %prepared.checksum, "load starting"
    );
    let deadline = tokio::time::Instant::now() + ctx.global.timeout;
    let mut session =
        session::connect(&target, &runid::application_name(&run_id), deadline).await?;
    let stage = Stage::default();
    let recorded = std::cell::Cell::new(false);
    let Session {
        client,
        tls,
        cancel,
    } = &mut session;
    let job = Job {
        ctx,
        args,
        prepared: &prepared,
        run_id: &run_id,
        target: &target,
        faults: &faults,
        stage: &stage,
        recorded: &recorded,
    };
    let result = session::guarded(
        deadline,
        ctx.global.timeout,
        cancel,
        tls,
        &stage,
        job.body(client, dataset),
    )
    .await;

    match result {
        Ok(mut summary) => {
            summary.duration_ms = started.elapsed().as_millis();
            let _ = crate::lock::unlock(client).await;
            print_summary(&summary, &job, args.json);
            Ok(Exit::Ok)
        }
        Err(failure) => {
            // A transaction dropped mid-way queued its ROLLBACK; make sure it ran before saying so.
            let settled = session::settle(client).await;
            // A connection that was lost (terminated by the server, a restart, the network) took
            // its transaction with it; the run is recorded as failed over a new one.
            let fresh = if recorded.get() && !settled {
                session::reconnect(&target, &runid::application_name(&run_id)).await
            } else {
                None
            };
            let recorder = if settled {
                Some(&*client)
            } else {
                fresh.as_ref()
            };
            if let (true, Some(recorder)) = (recorded.get(), recorder) {
                let counts = serde_json::Value::Null;
                let r = recorder
                    .execute(
                        "UPDATE qa_load_runs SET status = 'failed', finished_at = clock_timestamp(), \
                         failed_stage = $2, error = $3, counts = $4 WHERE id = $1 AND status = 'running'",
                        &[&run_id, &failure.stage, &failure.chain().join(" <- "), &counts],
                    )
                    .await;
                if let Err(e) = r {
                    tracing::warn!(target: "qa_load::load", error = %e, "could not record the failed run");
                }
            }
            if failure.exit == Exit::Failed {
                tracing::error!(target: "qa_load::failure", run_id = %run_id, stage = %failure.stage, "load failed and was rolled back");
                logging::note(&format!(
                    "run {run_id} failed and was rolled back: the database is as it was before the run"
                ));
            }
            Err(failure)
        }
    }
}

struct Job<'a> {
    ctx: &'a Ctx<'a>,
    args: &'a LoadArgs,
    prepared: &'a Prepared,
    run_id: &'a str,
    target: &'a crate::conn::Target,
    faults: &'a Faults,
    stage: &'a Stage,
    recorded: &'a std::cell::Cell<bool>,
}

fn failed(stage: &Stage) -> impl Fn(anyhow::Error) -> Failure + '_ {
    move |e| Failure::new(Exit::Failed, stage.name(), e)
}

impl Job<'_> {
    async fn body(
        &self,
        client: &mut tokio_postgres::Client,
        dataset: Dataset,
    ) -> Result<Summary, Failure> {
        let args = self.args;
        session::acquire_lock(client, args.wait, self.stage).await?;

        let backup = match &args.backup {
            Some(file) if !args.dry_run => {
                self.stage.set("backup");
                backup(self.target, file, self.run_id).await?;
                Some(file.display().to_string())
            }
            _ => None,
        };

        self.stage.set("schema");
        let status = schema::status(&*client)
            .await
            .map_err(|e| Failure::new(Exit::Unavailable, "schema", e))?;
        if let Some(reason) = status.refusal() {
            return Err(Failure::msg(Exit::Refused, "schema", reason));
        }
        let mut schema_applied = Vec::new();
        if !status.pending.is_empty() && !args.dry_run {
            self.stage.in_transaction(true);
            let tx = client
                .build_transaction()
                .start()
                .await
                .context("could not begin the schema transaction")
                .map_err(failed(self.stage))?;
            schema_applied = schema::apply_pending(&tx, None)
                .await
                .map_err(failed(self.stage))?;
            tx.commit()
                .await
                .context("could not commit the schema")
                .map_err(failed(self.stage))?;
            self.stage.in_transaction(false);
            logging::note(&format!("applied schema version(s) {schema_applied:?}"));
        }

        if !args.dry_run {
            self.stage.set("record");
            self.insert_run_row(&*client)
                .await
                .map_err(|e| Failure::new(Exit::Failed, "record", e))?;
            self.recorded.set(true);
        }

        self.stage.set("begin");
        self.stage.in_transaction(true);
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .start()
            .await
            .context("could not begin the load transaction")
            .map_err(failed(self.stage))?;
        if args.dry_run {
            if !status.pending.is_empty() {
                self.stage.set("schema");
                schema_applied = schema::apply_pending(&tx, None)
                    .await
                    .map_err(failed(self.stage))?;
            }
            self.insert_run_row(&tx).await.map_err(failed(self.stage))?;
        }

        let result = self.load_in(&tx, dataset).await;
        match result {
            Ok((plan, batches, statements)) => {
                let counts = plan.counts();
                if args.dry_run {
                    self.stage.set("rollback (dry run)");
                    tx.rollback()
                        .await
                        .context("could not roll back the dry run")
                        .map_err(failed(self.stage))?;
                    self.stage.in_transaction(false);
                    print_plan_lines(&plan, args.json);
                } else {
                    self.stage.set("commit");
                    self.faults
                        .check_stage("commit")
                        .map_err(failed(self.stage))?;
                    if self.faults.stalls_at("commit") {
                        self.stall(&tx).await?;
                    }
                    tx.commit()
                        .await
                        .context("the commit failed")
                        .map_err(failed(self.stage))?;
                    self.stage.in_transaction(false);
                    log_entities(&plan);
                    tracing::info!(target: "qa_load::load", run_id = self.run_id, rows_written = counts.writes(), "committed");
                }
                let rows_written = counts.writes();
                Ok(Summary {
                    run_id: self.run_id.to_string(),
                    outcome: if args.dry_run {
                        "dry-run"
                    } else if rows_written == 0 {
                        "unchanged"
                    } else {
                        "committed"
                    },
                    dry_run: args.dry_run,
                    database: self.target.describe(),
                    input: self.prepared.path.clone(),
                    dataset_checksum: self.prepared.checksum.clone(),
                    schema_applied,
                    counts,
                    rows_written,
                    batches,
                    statements,
                    duration_ms: 0,
                    log_file: self.ctx.log_path.as_ref().map(|p| p.display().to_string()),
                    backup,
                })
            }
            Err(f) => {
                let _ = tx.rollback().await;
                Err(f)
            }
        }
    }

    /// TEST-ONLY (`QA_LOAD_FAIL_AT=stall:...`): sleeps in the database, inside the transaction,
    /// until the timeout, Ctrl-C or a killed connection or process ends the run.
    async fn stall(&self, tx: &Transaction<'_>) -> Result<(), Failure> {
        tracing::warn!(target: "qa_load::fault", stage = %self.stage.name(), "injected stall ({}, test only)", crate::fault::ENV);
        tx.execute("SELECT pg_sleep(3600)", &[])
            .await
            .context("injected stall")
            .map_err(failed(self.stage))?;
        Ok(())
    }

    async fn insert_run_row<C: tokio_postgres::GenericClient>(&self, c: &C) -> anyhow::Result<()> {
        let options = serde_json::json!({
            "batch_size": self.args.batch_size,
            "on_existing": self.args.on_existing,
            "dry_run": self.args.dry_run,
            "category_aliases": self.prepared.aliases,
            "database": self.target.describe(),
        });
        let source = self.prepared.source.as_ref();
        c.execute(
            "INSERT INTO qa_load_runs (id, kind, status, tool_version, schema_version, input_path, \
             input_sha256, source_module, source_sha256, dataset_checksum, options) \
             VALUES ($1, 'load', 'running', $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &self.run_id,
                &env!("CARGO_PKG_VERSION"),
                &schema::latest_version(),
                &self.prepared.path,
                &self.prepared.file_sha256,
                &source.map(|s| s.module.clone()),
                &source.map(|s| s.sha256.clone()),
                &self.prepared.checksum,
                &options,
            ],
        )
        .await
        .context("could not record the run in qa_load_runs")?;
        Ok(())
    }

    /// Prefetch, plan, write in batches, check; everything inside `tx`.
    async fn load_in(
        &self,
        tx: &Transaction<'_>,
        ds: Dataset,
    ) -> Result<(Plan, usize, usize), Failure> {
        let fail = failed(self.stage);
        let bs = self.args.batch_size as usize;

        self.stage.set("prefetch");
        let scope = Scope {
            developer_keys: ds.developers.iter().map(|d| d.key.clone()).collect(),
            developer_ids: ds.developers.iter().map(|d| d.id).collect(),
            category_keys: ds.categories.iter().map(|c| c.key.clone()).collect(),
            category_ids: ds.categories.iter().map(|c| c.id).collect(),
            app_slugs: ds.apps.iter().map(|a| a.slug.clone()).collect(),
            app_source_ids: ds.apps.iter().map(|a| a.source_id.clone()).collect(),
            app_ids: ds.apps.iter().map(|a| a.id).collect(),
        };
        let existing = rows::read_scope(tx, &scope).await.map_err(&fail)?;

        self.stage.set("plan");
        let plan = plan::build(ds, &existing, self.args.on_existing).map_err(|e| fail(e.into()))?;
        let counts = plan.counts();
        for (table, c) in counts.tables() {
            tracing::info!(
                target: "qa_load::load", table, insert = c.inserted, update = c.updated,
                delete = c.deleted, unchanged = c.unchanged, skip = c.skipped, "plan"
            );
        }

        let dev_batches = plan.developers.len().div_ceil(bs);
        let cat_batches = plan.categories.len().div_ceil(bs);
        let app_batches = plan.apps.len().div_ceil(bs);
        let total = dev_batches + cat_batches + 3 * app_batches;
        let progress = Progress::new(
            total as u64,
            self.ctx.verbosity,
            if self.args.dry_run { "dry run" } else { "load" },
        );
        let mut w = Writer::new(tx, self.run_id);
        let mut statements = 0;
        // Rows (or apps) done after chunk `i` of a list of `n`.
        let per_chunk = |n: usize, i: usize| ((i + 1) * bs).min(n);

        // Developers and categories by `bs` rows; apps, their links and their screenshots by the
        // rows of `bs` apps.
        const UPSERT: &[Op] = &[Op::Update, Op::Insert];
        const ALL: &[Op] = &[Op::Delete, Op::Update, Op::Insert];
        let steps = plan
            .developers
            .chunks(bs)
            .map(|c| chunk_statements(c.iter(), UPSERT))
            .collect();
        statements += self
            .write_phase(tx, &mut w, &progress, Phase::Developers, steps, &|i| {
                let n = plan.developers.len();
                format!("developers {}/{n}", per_chunk(n, i))
            })
            .await?;
        let steps = plan
            .categories
            .chunks(bs)
            .map(|c| chunk_statements(c.iter(), UPSERT))
            .collect();
        statements += self
            .write_phase(tx, &mut w, &progress, Phase::Categories, steps, &|i| {
                let n = plan.categories.len();
                format!("categories {}/{n}", per_chunk(n, i))
            })
            .await?;
        let apps = |what: &str, i: usize| {
            let n = plan.apps.len();
            format!("{what} {}/{n}", per_chunk(n, i))
        };
        let steps = plan
            .apps
            .chunks(bs)
            .map(|c| chunk_statements(c.iter().map(|a| &a.app), UPSERT))
            .collect();
        statements += self
            .write_phase(tx, &mut w, &progress, Phase::Apps, steps, &|i| {
                apps("apps", i)
            })
            .await?;

        self.stage.set("load app_categories");
        self.faults.check_stage("links").map_err(&fail)?;
        let steps = plan
            .apps
            .chunks(bs)
            .map(|c| chunk_statements(c.iter().flat_map(|a| a.links.iter()), ALL))
            .collect();
        statements += self
            .write_phase(tx, &mut w, &progress, Phase::Links, steps, &|i| {
                apps("links of apps", i)
            })
            .await?;

        self.stage.set("load screenshots");
        self.faults.check_stage("screenshots").map_err(&fail)?;
        let steps = plan
            .apps
            .chunks(bs)
            .map(|c| chunk_statements(c.iter().flat_map(|a| a.screenshots.iter()), ALL))
            .collect();
        statements += self
            .write_phase(tx, &mut w, &progress, Phase::Screenshots, steps, &|i| {
                apps("screenshots of apps", i)
            })
            .await?;
        progress.finish();

        self.stage.set("post-check");
        if self.faults.tamper {
            if let Some(first) = plan.apps.first() {
                tx.execute(
                    "UPDATE apps SET slug = slug || '-tampered' WHERE id = $1",
                    &[&first.app.row.id],
                )
                .await
                .context("injected tamper")
                .map_err(&fail)?;
            }
            // And a screenshot of the last app: the check reads links and screenshots back a
            // slice of apps at a time, and the last slice must be checked as well as the first.
            if let Some(last) = plan.apps.last() {
                tx.execute(
                    "UPDATE screenshots SET url = url || '#tampered' \
                     WHERE id = (SELECT id FROM screenshots WHERE app_id = $1 ORDER BY id LIMIT 1)",
                    &[&last.app.row.id],
                )
                .await
                .context("injected tamper")
                .map_err(&fail)?;
            }
        }
        self.faults.check_stage("post-check").map_err(&fail)?;
        if self.faults.stalls_at("post-check") {
            self.stall(tx).await?;
        }
        post_check(tx, &plan, self.run_id).await.map_err(&fail)?;

        if !self.args.dry_run {
            self.stage.set("record");
            tx.execute(
                "UPDATE qa_load_runs SET status = 'committed', finished_at = clock_timestamp(), counts = $2 WHERE id = $1",
                &[&self.run_id, &serde_json::to_value(&counts).unwrap_or_default()],
            )
            .await
            .context("could not record the run's outcome")
            .map_err(&fail)?;
        }
        Ok((plan, total, statements))
    }

    /// Writes one table's part of the plan: `chunks[i]` holds the statements of chunk `i` (rows
    /// by operation; empty ones are skipped). The statements are pipelined, up to
    /// [`PIPELINE_DEPTH`] in flight, and their results taken in order: the stage names the batch
    /// whose statement failed, and a chunk counts as done (progress, test faults) once all its
    /// statements have succeeded.
    async fn write_phase<T: Writable>(
        &self,
        tx: &Transaction<'_>,
        w: &mut Writer<'_, '_>,
        progress: &Progress,
        phase: Phase,
        chunks: Vec<Vec<(Op, Vec<&T>)>>,
        message: &dyn Fn(usize) -> String,
    ) -> Result<usize, Failure> {
        let fail = failed(self.stage);
        let n = chunks.len();
        let mut ops: Vec<Op> = Vec::new();
        for (op, rows) in chunks.iter().flatten() {
            if !rows.is_empty() && !ops.contains(op) {
                ops.push(*op);
            }
        }
        w.prepare::<T>(&ops).await.map_err(&fail)?;
        // Test faults stall or fail at an exact batch boundary: with them, one statement at a
        // time (a stall also needs the connection to itself, with no results left unread).
        let depth = if self.faults.active() {
            1
        } else {
            PIPELINE_DEPTH
        };
        let mut executed = 0;
        let mut done = 0;
        {
            let w = &*w;
            let mut results = stream::iter(chunks.iter().enumerate().flat_map(|(i, chunk)| {
                chunk
                    .iter()
                    .filter(|(_, rows)| !rows.is_empty())
                    .map(move |(op, rows)| {
                        let batch = w.batch(*op, rows);
                        async move {
                            match batch {
                                Ok(statement) => (i, statement.await),
                                Err(e) => (i, Err(e)),
                            }
                        }
                    })
            }))
            .buffered(depth);
            while let Some((i, result)) = results.next().await {
                while done < i {
                    self.chunk_done(tx, progress, phase, done, n, message)
                        .await?;
                    done += 1;
                }
                self.stage.set(phase.stage(i, n));
                result.map_err(&fail)?;
                executed += 1;
            }
        }
        while done < n {
            self.chunk_done(tx, progress, phase, done, n, message)
                .await?;
            done += 1;
        }
        Ok(executed)
    }

    /// Chunk `i` of `phase` is written: progress, and the test faults placed after it.
    async fn chunk_done(
        &self,
        tx: &Transaction<'_>,
        progress: &Progress,
        phase: Phase,
        i: usize,
        n: usize,
        message: &dyn Fn(usize) -> String,
    ) -> Result<(), Failure> {
        self.stage.set(phase.stage(i, n));
        progress.step(&message(i));
        let first_stall = match phase {
            Phase::Developers => Some("developers"),
            Phase::Links => Some("links"),
            Phase::Screenshots => Some("screenshots"),
            Phase::Categories | Phase::Apps => None,
        };
        if let Some(stage) = first_stall {
            if i == 0 && self.faults.stalls_at(stage) {
                self.stall(tx).await?;
            }
        }
        if phase == Phase::Apps {
            let batch = i + 1;
            tracing::debug!(target: "qa_load::load", batch, "apps batch written");
            if self.faults.fail_after_batch == Some(batch) {
                return Err(failed(self.stage)(anyhow::anyhow!(
                    "injected failure after app batch {batch} ({}, test only)",
                    crate::fault::ENV
                )));
            }
            if self.faults.stall_after_batch == Some(batch) {
                self.stall(tx).await?;
            }
        }
        Ok(())
    }
}

/// The statements of one chunk of changes: for each of `ops` (in order), the rows it writes.
fn chunk_statements<'a, T: 'a>(
    changes: impl Iterator<Item = &'a plan::Change<T>> + Clone,
    ops: &[Op],
) -> Vec<(Op, Vec<&'a T>)> {
    ops.iter()
        .map(|&op| {
            let action = match op {
                Op::Delete => Action::Delete,
                Op::Update => Action::Update,
                Op::Insert => Action::Insert,
            };
            (op, rows_with(changes.clone(), action))
        })
        .collect()
}

/// The tables a load writes, in order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    Developers,
    Categories,
    Apps,
    Links,
    Screenshots,
}

impl Phase {
    /// The stage name of batch `i` of `n`, as failures and the run record name it.
    fn stage(self, i: usize, n: usize) -> String {
        let table = match self {
            Phase::Developers => "developers",
            Phase::Categories => "categories",
            Phase::Apps => "apps",
            Phase::Links => "app_categories",
            Phase::Screenshots => "screenshots",
        };
        format!("load {table} (batch {}/{n})", i + 1)
    }
}

/// The post-load check, inside the transaction: reads back the keys and references of every
/// developer, category and app of the plan and every column of their links and screenshots,
/// compares them with what the plan says they must be now (counts included), and checks that
/// the journal holds exactly the plan's writes. (Long texts are not read back here; `qa-load
/// verify` compares every field.)
/// Apps whose links and screenshots the post-load check reads back per query.
const POST_CHECK_APPS_PER_QUERY: usize = 1000;
/// Slices the post-load check reads ahead of the one it compares.
const POST_CHECK_DEPTH: usize = 2;

pub async fn post_check(tx: &Transaction<'_>, plan: &Plan, run_id: &str) -> anyhow::Result<()> {
    use std::collections::BTreeSet;
    let names = &plan.names;
    let mut problems: Vec<String> = Vec::new();
    fn compare<T: Ord + Clone>(
        table: &str,
        expected: BTreeSet<T>,
        actual: BTreeSet<T>,
        show: impl Fn(&T) -> String,
        problems: &mut Vec<String>,
    ) {
        if expected.len() != actual.len() {
            problems.push(format!(
                "{table}: {} row(s) read back, {} expected",
                actual.len(),
                expected.len()
            ));
        }
        for e in expected.difference(&actual) {
            problems.push(format!("{table} {}: expected, not read back", show(e)));
        }
        for a in actual.difference(&expected) {
            problems.push(format!("{table} {}: read back, not expected", show(a)));
        }
    }
    let scope = plan.scope();

    let expected: BTreeSet<(uuid::Uuid, String)> = plan
        .developers
        .iter()
        .filter_map(|c| c.after())
        .map(|d| (d.id, d.key.clone()))
        .collect();
    let actual = tx
        .query(
            "SELECT id, key FROM developers WHERE id = ANY($1)",
            &[&scope.developer_ids],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    compare(
        "developers",
        expected,
        actual,
        |d| format!("{} ({})", d.1, d.0),
        &mut problems,
    );

    let expected: BTreeSet<(uuid::Uuid, String, i32)> = plan
        .categories
        .iter()
        .filter_map(|c| c.after())
        .map(|c| (c.id, c.key.clone(), c.sort_order))
        .collect();
    let actual = tx
        .query(
            "SELECT id, key, sort_order FROM categories WHERE id = ANY($1)",
            &[&scope.category_ids],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    compare(
        "categories",
        expected,
        actual,
        |c| format!("{} ({})", c.1, c.0),
        &mut problems,
    );

    type AppKey = (uuid::Uuid, String, String, uuid::Uuid, i32, Option<String>);
    let expected: BTreeSet<AppKey> = plan
        .apps
        .iter()
        .filter_map(|a| a.app.after())
        .map(|a| {
            (
                a.id,
                a.slug.clone(),
                a.source_id.clone(),
                a.developer_id,
                a.sort_order,
                a.avg_rating.map(|r| r.to_decimal_string()),
            )
        })
        .collect();
    let actual = tx
        .query(
            "SELECT id, slug, source_id, developer_id, sort_order, avg_rating::text FROM apps WHERE id = ANY($1)",
            &[&scope.app_ids],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect();
    compare(
        "apps",
        expected,
        actual,
        |a| {
            format!(
                "{} (source {}, developer {}, rating {:?})",
                a.1,
                a.2,
                names.developer(&a.3),
                a.5
            )
        },
        &mut problems,
    );

    // Links and screenshots are most of the rows: read back and compared a slice of apps at a
    // time, so the check holds a few slices' rows, not the whole run's, at once. The reads are
    // pipelined (the next slices are read while this one is compared); results come in order.
    let reads = stream::iter(plan.apps.chunks(POST_CHECK_APPS_PER_QUERY).map(|chunk| async move {
        let app_ids: Vec<uuid::Uuid> = chunk.iter().map(|a| a.app.row.id).collect();
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&app_ids];
        let links = tx.query(
            "SELECT app_id, category_id, sort_order FROM app_categories WHERE app_id = ANY($1)",
            &params,
        );
        let shots = tx.query(
            "SELECT id, app_id, language::text, sort_order, url::text FROM screenshots WHERE app_id = ANY($1)",
            &params,
        );
        let (links, shots) = futures_util::future::try_join(links, shots).await?;
        Ok::<_, tokio_postgres::Error>((chunk, links, shots))
    }))
    .buffered(POST_CHECK_DEPTH);
    futures_util::pin_mut!(reads);
    while let Some(read) = reads.next().await {
        let (chunk, links, shots) = read?;
        let expected: BTreeSet<(uuid::Uuid, uuid::Uuid, i32)> = chunk
            .iter()
            .flat_map(|a| a.links.iter().filter_map(|c| c.after()))
            .map(|l| (l.app_id, l.category_id, l.sort_order))
            .collect();
        let actual = links
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        compare(
            "app_categories",
            expected,
            actual,
            |l| {
                format!(
                    "{} -> {} (position {})",
                    names.app(&l.0),
                    names.category(&l.1),
                    l.2
                )
            },
            &mut problems,
        );

        let expected: BTreeSet<(uuid::Uuid, uuid::Uuid, String, i32, String)> = chunk
            .iter()
            .flat_map(|a| a.screenshots.iter().filter_map(|c| c.after()))
            .map(|s| {
                (
                    s.id,
                    s.app_id,
                    s.language.as_str().to_string(),
                    s.sort_order,
                    s.url.clone(),
                )
            })
            .collect();
        let actual = shots
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
            .collect();
        compare(
            "screenshots",
            expected,
            actual,
            |s| format!("{} {} #{} {}", names.app(&s.1), s.2, s.3, s.4),
            &mut problems,
        );
    }

    if !problems.is_empty() {
        let n = problems.len();
        problems.truncate(5);
        anyhow::bail!(
            "the rows read back differ from what the run wrote ({n} problem(s)): {}",
            problems.join("; ")
        );
    }

    let counts = plan.counts();
    let rows = tx
        .query(
            "SELECT table_name, op, sum(cardinality(pks))::bigint FROM qa_load_journal WHERE run_id = $1 GROUP BY 1, 2",
            &[&run_id],
        )
        .await?;
    let mut journal: std::collections::BTreeMap<(String, String), i64> = Default::default();
    for r in rows {
        journal.insert((r.get(0), r.get(1)), r.get(2));
    }
    for (table, c) in counts.tables() {
        for (op, want) in [
            ("insert", c.inserted),
            ("update", c.updated),
            ("delete", c.deleted),
        ] {
            let have = journal
                .remove(&(table.to_string(), op.to_string()))
                .unwrap_or(0);
            if have != want as i64 {
                anyhow::bail!("the journal has {have} {op}(s) of {table}, the plan {want}");
            }
        }
    }
    if let Some(((t, op), n)) = journal.into_iter().next() {
        anyhow::bail!("the journal has {n} unexpected {op}(s) of {t}");
    }
    tracing::info!(target: "qa_load::load", "post-load check passed: every row reads back as planned");
    Ok(())
}

fn log_entities(plan: &Plan) {
    for c in &plan.developers {
        tracing::info!(target: "qa_load::entity", action = c.action.as_str(), key = %c.row.key, id = %c.row.id, fields = ?c.fields, "developer");
    }
    for c in &plan.categories {
        tracing::info!(target: "qa_load::entity", action = c.action.as_str(), key = %c.row.key, id = %c.row.id, fields = ?c.fields, "category");
    }
    let tally = |actions: &mut dyn Iterator<Item = Action>| {
        let (mut ins, mut upd, mut del) = (0, 0, 0);
        for a in actions {
            match a {
                Action::Insert => ins += 1,
                Action::Update => upd += 1,
                Action::Delete => del += 1,
                _ => {}
            }
        }
        format!("+{ins} ~{upd} -{del}")
    };
    for a in &plan.apps {
        let c = &a.app;
        tracing::info!(
            target: "qa_load::entity", action = c.action.as_str(), source_id = %c.row.source_id,
            slug = %c.row.slug, id = %c.row.id, fields = ?c.fields,
            links = %tally(&mut a.links.iter().map(|l| l.action)),
            screenshots = %tally(&mut a.screenshots.iter().map(|s| s.action)),
            "app"
        );
        // Links and screenshots one by one at debug (-vv); the journal in the database has them all.
        for l in a.links.iter().filter(|l| l.action != Action::Unchanged) {
            tracing::debug!(
                target: "qa_load::entity", action = l.action.as_str(), source_id = %c.row.source_id,
                app_id = %l.row.app_id, category = %plan.names.category(&l.row.category_id),
                category_id = %l.row.category_id, position = l.row.sort_order, "app_category"
            );
        }
        for s in a
            .screenshots
            .iter()
            .filter(|s| s.action != Action::Unchanged)
        {
            tracing::debug!(
                target: "qa_load::entity", action = s.action.as_str(), source_id = %c.row.source_id,
                id = %s.row.id, language = s.row.language.as_str(), position = s.row.sort_order, url = %s.row.url,
                "screenshot"
            );
        }
    }
}

async fn backup(target: &crate::conn::Target, file: &Path, run_id: &str) -> Result<(), Failure> {
    let plain = file.extension().is_some_and(|e| e == "sql");
    let mut cmd = tokio::process::Command::new("pg_dump");
    cmd.arg(if plain {
        "--format=plain"
    } else {
        "--format=custom"
    })
    .arg("--no-password")
    .arg("--file")
    .arg(file)
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .kill_on_drop(true);
    for (k, v) in target.libpq_env(&format!("{}/pg_dump", runid::application_name(run_id))) {
        cmd.env(k, v);
    }
    let out = cmd.output().await.map_err(|e| {
        Failure::new(
            Exit::Unavailable,
            "backup",
            anyhow::Error::new(e).context("could not run pg_dump"),
        )
        .with_hint("install the PostgreSQL client tools (pg_dump), or leave out --backup")
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(Failure::msg(
            Exit::Unavailable,
            "backup",
            format!("pg_dump failed ({}): {stderr}", out.status),
        )
        .with_hint("nothing was loaded; fix the backup or leave out --backup"));
    }
    tracing::info!(target: "qa_load::load", file = %file.display(), "backup written by pg_dump");
    logging::note(&format!("backup written to {}", file.display()));
    Ok(())
}

fn print_plan_lines(plan: &Plan, json: bool) {
    if json {
        return;
    }
    println!(
        "Plan (what a real run would do; unchanged links and screenshots are counted, not listed):"
    );
    for line in plan.describe(true) {
        println!("  {line}");
    }
    println!();
}

fn print_summary(s: &Summary, job: &Job<'_>, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(s).unwrap_or_default());
        return;
    }
    let head = match s.outcome {
        "dry-run" => format!(
            "DRY RUN against {}: nothing was written (the transaction was rolled back). A real run would:",
            s.database
        ),
        "unchanged" => format!(
            "No changes: {} already matches {} in every row; nothing was written (run {} recorded).",
            s.database, s.input, s.run_id
        ),
        _ => format!("Loaded {} into {} (run {}).", s.input, s.database, s.run_id),
    };
    println!("{head}");
    print!("{}", counts_table(&s.counts));
    if !s.schema_applied.is_empty() {
        if s.dry_run {
            println!(
                "schema versions that would be applied first: {:?}",
                s.schema_applied
            );
        } else {
            println!("schema versions applied: {:?}", s.schema_applied);
        }
    }
    println!(
        "{} rows {}, {} batches of up to {} apps, {} statements, {:.1}s; dataset sha256 {}",
        s.rows_written,
        if s.dry_run {
            "would be written"
        } else {
            "written"
        },
        s.batches,
        job.args.batch_size,
        s.statements,
        s.duration_ms as f64 / 1000.0,
        s.dataset_checksum
    );
    if let Some(b) = &s.backup {
        println!("backup: {b}");
    }
    if let Some(l) = &s.log_file {
        println!("log: {l}");
    }
}

pub fn counts_table(c: &Counts) -> String {
    let mut out = format!(
        "{:<16} {:>9} {:>9} {:>9} {:>10} {:>8}\n",
        "table", "inserted", "updated", "deleted", "unchanged", "skipped"
    );
    for (table, t) in c.tables() {
        out.push_str(&format!(
            "{:<16} {:>9} {:>9} {:>9} {:>10} {:>8}\n",
            table, t.inserted, t.updated, t.deleted, t.unchanged, t.skipped
        ));
    }
    out
}

fn print_offline_plan(p: &Prepared, json: bool) {
    let ds = &p.migration.dataset;
    let checksum = &p.checksum;
    let c = ds.counts();
    if json {
        let v = serde_json::json!({
            "outcome": "dry-run",
            "dry_run": true,
            "database": null,
            "input": p.path,
            "dataset_checksum": checksum,
            "rows": c,
        });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return;
    }
    println!(
        "DRY RUN without a database: {} is valid. A load would write:",
        p.path
    );
    for d in &ds.developers {
        println!("  developer {} ({}) id {}", d.key, d.name_en, d.id);
    }
    for cat in &ds.categories {
        println!("  category  {} ({}) id {}", cat.key, cat.name_en, cat.id);
    }
    // Counted once per table, not once per app: 10,000 apps would otherwise mean billions of
    // comparisons.
    let mut links_of: std::collections::HashMap<uuid::Uuid, usize> =
        std::collections::HashMap::new();
    for l in &ds.app_categories {
        *links_of.entry(l.app_id).or_default() += 1;
    }
    let mut shots_of: std::collections::HashMap<uuid::Uuid, usize> =
        std::collections::HashMap::new();
    for s in &ds.screenshots {
        *shots_of.entry(s.app_id).or_default() += 1;
    }
    for a in &ds.apps {
        let links = links_of.get(&a.id).copied().unwrap_or(0);
        let shots = shots_of.get(&a.id).copied().unwrap_or(0);
        println!(
            "  app       {} (source {}) id {}: {links} categories, {shots} screenshots",
            a.slug, a.source_id, a.id
        );
    }
    println!(
        "{} developers, {} categories, {} apps, {} app-category links, {} screenshots; dataset sha256 {}",
        c.developers,
        c.categories,
        c.apps,
        c.app_categories,
        c.screenshots,
        checksum
    );
    println!("Whether each row is inserted, updated or unchanged depends on the database: pass --database to see.");
}
