//! The load: extract → transform → validate (before any connection), then, in one
//! transaction: prefetch the existing rows, plan, write in batches, check, commit. The command
//! runs in the [`WriteSession`] skeleton; the tables are the [`Layout`]'s.

mod backup;
mod console;

use std::time::Instant as StdInstant;

use anyhow::Context;
use futures_util::stream::{self, StreamExt};
use qad_core::Dataset;
use tokio_postgres::{Client, Transaction};

use crate::bookkeeping::{self, runs, Status};
use crate::check;
use crate::commands::write_session::{begin, Committed, WriteSession};
use crate::context::Ctx;
use crate::db::session::{Stage, Step};
use crate::error::{Exit, Failure, Refusal};
use crate::fault::Faults;
use crate::input::{self, Prepared};
use crate::layout::choice::Choice;
use crate::layout::{Entity, Layout, Scope, TableOf};
use crate::logging::{self, Progress};
use crate::opt::LoadArgs;
use crate::plan::conflicts::Decisions;
use crate::plan::{self, changes_with, Action, Plan};
use crate::with_layout;
use crate::write::{Op, Writer, PIPELINE_DEPTH};

pub use console::{counts_table, Summary};

pub async fn run(ctx: &Ctx<'_>, args: &LoadArgs) -> Result<Exit, Failure> {
    let started = StdInstant::now();
    let faults = Faults::from_env().map_err(|e| Failure::usage_error("usage", e))?;
    if faults.active() {
        tracing::warn!(target: "qa_load::fault", ?faults, "TEST-ONLY fault injection is active ({})", crate::fault::ENV);
    }
    // A bad decisions file is a usage error, found before the input is read.
    let decisions = Decisions::new(
        args.on_conflict,
        match &args.decisions {
            Some(file) => Decisions::read(file).map_err(|e| Failure::usage_error("usage", e))?,
            None => Vec::new(),
        },
    );
    let path = args.input.as_deref().unwrap_or("-");
    let offline = args.dry_run && !ctx.database_configured();
    let prepare = |bytes: Vec<u8>, layout: &Choice| {
        let rules = layout
            .validation()
            .map_err(|e| Failure::usage("usage", e))?;
        input::prepare_from(
            path,
            bytes,
            &args.alias,
            &args.ignore_field,
            rules,
            args.report.as_deref(),
        )
    };
    // Bad input fails before any connection: with `--layout` the layout's own rules apply at
    // once; detecting the layout takes a connection, so the input is validated first with
    // qa-load's own rules, and again with the layout's when the layout found has rules of its
    // own (the bytes are read once: the input may be stdin; they are dropped once validated).
    let bytes = input::read(path)?;
    let (layout, mut prepared) = match ctx.layout_given() {
        Some(layout) => {
            let prepared = prepare(bytes, &layout)?;
            (layout, prepared)
        }
        None if offline => (Choice::default(), prepare(bytes, &Choice::default())?),
        None => {
            let own = prepare(bytes.clone(), &Choice::default())?;
            let layout = ctx.layout().await?;
            if layout.same_rules(&Choice::default()) {
                drop(bytes);
                (layout, own)
            } else {
                drop(own);
                let prepared = prepare(bytes, &layout)?;
                (layout, prepared)
            }
        }
    };
    input::announce(&prepared);

    if offline {
        console::print_offline_plan(&prepared, args.json);
        return Ok(Exit::Ok);
    }
    // The rows move into the plan; everything else keeps `prepared`.
    let dataset = std::mem::take(&mut prepared.migration.dataset);
    let layout = layout
        .for_dataset(&dataset)
        .map_err(|e| Failure::usage("usage", e))?;
    let run = Run {
        ctx,
        args,
        started,
        faults: &faults,
        prepared: &prepared,
        decisions: &decisions,
    };
    with_layout!(layout, l => load_with(&run, dataset, l).await)
}

/// What a load is given, before the layout is known.
struct Run<'a> {
    ctx: &'a Ctx<'a>,
    args: &'a LoadArgs,
    started: StdInstant,
    faults: &'a Faults,
    prepared: &'a Prepared,
    decisions: &'a Decisions,
}

/// The load, once the layout is chosen.
async fn load_with<L: Layout>(
    run: &Run<'_>,
    dataset: Dataset,
    layout: &L,
) -> Result<Exit, Failure> {
    let Run {
        ctx,
        args,
        started,
        faults,
        prepared,
        decisions,
    } = *run;
    let session = WriteSession::new(ctx, crate::db::runid::new_run_id())?;
    tracing::info!(
        target: "qa_load::load", run_id = %session.run_id, database = %session.database.describe(), source = session.database.source,
        layout = layout.name().as_str(), dry_run = args.dry_run, batch_size = args.batch_size, on_existing = ?args.on_existing,
        dataset_checksum = %prepared.checksum, "load starting"
    );
    let recorded = std::cell::Cell::new(false);
    let job = Job {
        ctx,
        args,
        prepared,
        session: &session,
        layout,
        faults,
        decisions,
        stage: &session.stage,
        recorded: &recorded,
    };
    let result = session
        .run(
            args.wait,
            layout,
            async |client, status| job.body(client, status, dataset).await,
            async |client, failure| job.record_failure(client, failure).await,
        )
        .await;
    match result {
        Ok(mut summary) => {
            summary.duration_ms = started.elapsed().as_millis();
            console::print_summary(&summary, args.batch_size, args.json);
            Ok(Exit::Ok)
        }
        Err(failure) => {
            if failure.exit() == Exit::Failed {
                tracing::error!(target: "qa_load::failure", run_id = %session.run_id, stage = %failure.stage, "load failed and was rolled back");
                logging::note(&format!(
                    "run {} failed and was rolled back: the database is as it was before the run",
                    session.run_id
                ));
            }
            Err(failure)
        }
    }
}

struct Job<'a, L: Layout> {
    ctx: &'a Ctx<'a>,
    args: &'a LoadArgs,
    prepared: &'a Prepared,
    session: &'a WriteSession<'a>,
    layout: &'a L,
    faults: &'a Faults,
    decisions: &'a Decisions,
    stage: &'a Stage,
    /// The run's `running` record was committed (before the load's transaction began).
    recorded: &'a std::cell::Cell<bool>,
}

fn failed(stage: &Stage) -> impl Fn(anyhow::Error) -> Failure + '_ {
    move |e| Failure::write(stage.name(), e)
}

/// A write that failed because a row changed under it (someone wrote it after the plan read
/// it; under REPEATABLE READ the server says so as a serialization failure) is a conflict
/// (exit 10): nothing is overwritten, nothing written. Any other failure is a failed write.
fn write_failed(stage: &Stage) -> impl Fn(anyhow::Error) -> Failure + '_ {
    move |e| {
        let changed = e.chain().any(|c| {
            c.is::<crate::write::ChangedDuringLoad>()
                || c.downcast_ref::<tokio_postgres::Error>()
                    .and_then(|p| p.code())
                    .is_some_and(|code| {
                        *code == tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
                    })
        });
        if changed {
            Failure::conflicts(stage.name(), e).with_hint(
                "someone changed the rows while the load ran: nothing was written; run the load again to see the conflicts",
            )
        } else {
            Failure::write(stage.name(), e)
        }
    }
}

impl<L: Layout> Job<'_, L> {
    fn run_id(&self) -> &str {
        &self.session.run_id
    }

    /// The failed run, on the connection the skeleton hands over (its transaction is gone).
    async fn record_failure(&self, client: &Client, failure: &Failure) {
        // An unknown commit outcome is not a failure to record: the run may have committed.
        if !self.recorded.get() || failure.exit() == Exit::OutcomeUnknown {
            return;
        }
        if let Err(e) = runs::failed(
            client,
            self.run_id(),
            &failure.stage,
            &failure.chain().join(" <- "),
        )
        .await
        {
            tracing::warn!(target: "qa_load::load", error = %format!("{e:#}"), "could not record the failed run");
        }
    }

    async fn body(
        &self,
        client: &mut Client,
        status: Status,
        dataset: Dataset,
    ) -> Result<Summary, Failure> {
        let args = self.args;
        let backup = match &args.backup {
            Some(file) if !args.dry_run => {
                self.stage.set(Step::Backup);
                backup::backup(&self.session.database, file, self.run_id()).await?;
                Some(file.display().to_string())
            }
            _ => None,
        };

        let components = self.layout.components();
        let mut schema_applied = Vec::new();
        if !args.dry_run {
            schema_applied = self
                .session
                .bring_up_to_date(client, &components, &status, None)
                .await?;
        }

        if !args.dry_run {
            self.stage.set(Step::Record);
            // Runs whose session died never finished: say so before starting another.
            runs::mark_interrupted(&*client)
                .await
                .map_err(|e| Failure::write("record", e))?;
            // Set first: a timeout or Ctrl-C while the INSERT is answered may leave it committed,
            // and the failure is then recorded on it (an update of no row otherwise).
            self.recorded.set(true);
            runs::start(&*client, &self.new_run())
                .await
                .map_err(|e| Failure::write("record", e))?;
        }

        self.stage.set(Step::Begin);
        let tx = begin(client, self.stage, self.layout.repeatable_read(), "load").await?;
        if args.dry_run {
            if status.has_pending() {
                // A dry run sees the upgrade inside its own transaction, rolled back with it.
                self.stage.set(Step::Schema);
                schema_applied = bookkeeping::apply_pending(&*tx, &components, None)
                    .await
                    .map_err(failed(self.stage))?;
            }
            runs::start(&*tx, &self.new_run())
                .await
                .map_err(failed(self.stage))?;
        }

        let (plan, batches, statements) = self.load_in(&tx, dataset).await?;
        let counts = plan.counts();
        let mut confirmed_after_reconnect = false;
        if args.dry_run {
            self.stage.set(Step::DryRunRollback);
            tx.rollback()
                .await
                .context("could not roll back the dry run")
                .map_err(failed(self.stage))?;
            console::print_plan_lines(&plan, args.json);
        } else {
            self.stage.set(Step::Commit);
            self.faults
                .check_stage("commit")
                .map_err(failed(self.stage))?;
            if self.faults.stalls_at("commit") {
                self.stall(&tx).await?;
            }
            confirmed_after_reconnect =
                self.session.commit(tx).await? == Committed::FoundAfterReconnect;
            console::log_entities(&plan);
            tracing::info!(target: "qa_load::load", run_id = self.run_id(), rows_written = counts.writes(), "committed");
        }
        let rows_written = counts.writes();
        Ok(Summary {
            run_id: self.run_id().to_string(),
            outcome: if args.dry_run {
                "dry-run"
            } else if rows_written == 0 {
                "unchanged"
            } else {
                "committed"
            },
            dry_run: args.dry_run,
            database: self.session.database.describe(),
            layout: self.layout.name().as_str(),
            input: self.prepared.path.clone(),
            dataset_checksum: self.prepared.checksum.clone(),
            schema_applied,
            counts,
            left_as_they_are: plan.left_as_they_are.clone(),
            warnings: plan.warnings.clone(),
            conflicts: plan.conflicts.clone(),
            kept_fields: plan.kept_fields(),
            rows_written,
            batches,
            statements,
            duration_ms: 0,
            commit_confirmed_after_reconnect: confirmed_after_reconnect,
            log_file: self.ctx.log_path.as_ref().map(|p| p.display().to_string()),
            backup,
        })
    }

    fn new_run(&self) -> runs::NewRun<'_> {
        let source = self.prepared.source.as_ref();
        runs::NewRun {
            id: self.run_id(),
            kind: "load",
            layout: self.layout.name().as_str(),
            schema_version: self.layout.version(),
            input_path: Some(&self.prepared.path),
            input_sha256: Some(&self.prepared.file_sha256),
            source_module: source.map(|s| s.module.as_str()),
            source_sha256: source.map(|s| s.sha256.as_str()),
            dataset_checksum: Some(&self.prepared.checksum),
            options: serde_json::json!({
                "batch_size": self.args.batch_size,
                "on_existing": self.args.on_existing,
                "dry_run": self.args.dry_run,
                "category_aliases": self.prepared.aliases,
                "ignored_fields": self.prepared.ignored_fields,
                "database": self.session.database.describe(),
            }),
            target_run: None,
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

    /// The stage name of batch `i` of `n` of an entity's table, as failures and the run record
    /// name it.
    fn batch_stage(&self, e: Entity, i: usize, n: usize) -> Step {
        Step::Load {
            table: self.layout.entity_table(e).name,
            batch: Some((i + 1, n)),
        }
    }

    /// Everything inside `tx`: the plan, its writes in batches, the check, the run record.
    async fn load_in(
        &self,
        tx: &Transaction<'_>,
        ds: Dataset,
    ) -> Result<(Plan, usize, usize), Failure> {
        // The prefetch's scope (copies of the input's keys and names, tens of thousands of small
        // strings at 10,000 apps) is freed after the writes, not before: freed before them, it
        // left glibc's malloc bins fragmented for the whole write phase (+20% CPU at 10,000
        // apps, measured side by side).
        let scope = Scope::of_dataset(&ds, &self.prepared.migration.developer_variants);
        let plan = self.plan_in(tx, &scope, ds).await?;
        let (batches, statements) = self.write_plan(tx, &plan).await?;
        self.check_and_record(tx, &plan).await?;
        drop(scope);
        Ok((plan, batches, statements))
    }

    /// Prefetch the rows the input may match, plan, give new rows their keys, and list the rows
    /// only in the database.
    async fn plan_in(
        &self,
        tx: &Transaction<'_>,
        scope: &Scope,
        ds: Dataset,
    ) -> Result<Plan, Failure> {
        let fail = failed(self.stage);
        self.stage.set(Step::Prefetch);
        let existing = self.layout.read_scope(tx, scope).await.map_err(&fail)?;

        self.stage.set(Step::Plan);
        let mut plan = plan::build(
            self.layout,
            ds,
            &self.prepared.migration.developer_variants,
            &existing,
            self.args.on_existing,
            self.decisions,
        )
        .map_err(|e| {
            // Nothing is written yet: the database and the input disagree on which row is which.
            Failure::refused("plan", Refusal::Plan(e.to_string()))
                .with_hint("make the rows unambiguous in the file or the database, then load again")
        })?;
        drop(existing);
        for w in &plan.warnings {
            // The console has it from the note; the log from this.
            tracing::info!(target: "qa_load::plan", warning = %w, "plan warning");
            logging::note(&format!("warning: {w}"));
        }
        self.settle_conflicts(&plan)?;
        self.new_keys(tx, &mut plan).await?;
        let others = self
            .layout
            .other_rows(
                tx,
                [
                    &plan.developers.iter().map(|c| c.row.id).collect::<Vec<_>>(),
                    &plan.categories.iter().map(|c| c.row.id).collect::<Vec<_>>(),
                    &plan.apps.iter().map(|a| a.app.row.id).collect::<Vec<_>>(),
                ],
            )
            .await
            .map_err(&fail)?;
        if !others.is_empty() {
            tracing::info!(target: "qa_load::plan", rows = ?others, "rows only in the database, left as they are");
            logging::note(&format!(
                "{} row(s) only in the database, left as they are: {}",
                others.len(),
                others.join(", ")
            ));
        }
        plan.left_as_they_are = others;
        for (table, c) in plan.counts().tables() {
            tracing::info!(
                target: "qa_load::load", table, insert = c.inserted, update = c.updated,
                delete = c.deleted, unchanged = c.unchanged, skip = c.skipped, "plan"
            );
        }

        Ok(plan)
    }

    /// Before anything is written: every conflict is logged, the decisions file written when
    /// asked, and a conflict no decision settles refuses the load (exit 10) with the listing.
    fn settle_conflicts(&self, plan: &Plan) -> Result<(), Failure> {
        for d in self.decisions.unused() {
            logging::note(&format!(
                "warning: the decision for {} {} {} names no conflict of this load",
                d.table,
                d.id.map(|i| format!("id {i}"))
                    .or_else(|| d.key.as_ref().map(|k| format!("{k:?}")))
                    .unwrap_or_default(),
                d.column.as_deref().unwrap_or("(whole row)")
            ));
        }
        if plan.conflicts.is_empty() {
            return Ok(());
        }
        for c in &plan.conflicts {
            tracing::info!(
                target: "qa_load::conflict", table = c.table, key = %c.key, id = ?c.id.map(|i| i.to_string()),
                column = c.column.unwrap_or("(whole row)"), database = %c.database, file = %c.file,
                last_written = %c.last_written, reason = %c.reason, resolution = c.resolution.as_str(), "conflict"
            );
        }
        if let Some(file) = &self.args.write_decisions {
            let text =
                serde_json::to_string_pretty(&plan::conflicts::decisions_file(&plan.conflicts))
                    .unwrap_or_default();
            std::fs::write(file, text + "\n")
                .with_context(|| format!("could not write the decisions file {}", file.display()))
                .map_err(|e| Failure::output("plan", e))?;
            logging::note(&format!(
                "the {} conflict(s) are written to {} in the decisions format: edit each \"use\" (database or file) and pass it with --decisions",
                plan.conflicts.len(),
                file.display()
            ));
        }
        let open = plan.conflicts.iter().filter(|c| !c.settled()).count();
        if open == 0 {
            return Ok(());
        }
        let summary = Summary {
            run_id: self.run_id().to_string(),
            outcome: "conflicts",
            dry_run: self.args.dry_run,
            database: self.session.database.describe(),
            layout: self.layout.name().as_str(),
            input: self.prepared.path.clone(),
            dataset_checksum: self.prepared.checksum.clone(),
            schema_applied: Vec::new(),
            counts: plan.counts(),
            left_as_they_are: Vec::new(),
            warnings: plan.warnings.clone(),
            conflicts: plan.conflicts.clone(),
            kept_fields: plan.kept_fields(),
            rows_written: 0,
            batches: 0,
            statements: 0,
            duration_ms: 0,
            commit_confirmed_after_reconnect: false,
            log_file: self.ctx.log_path.as_ref().map(|p| p.display().to_string()),
            backup: None,
        };
        console::print_conflicts(&summary, self.args.json);
        Err(Failure::conflicts(
            "plan",
            anyhow::anyhow!(
                "{open} conflict(s): the file would overwrite values someone else wrote in the database; nothing was written"
            ),
        )
        .with_hint("decide with --on-conflict keep-database|use-file, or per row or field with --decisions FILE"))
    }

    /// The plan's writes, table by table in load order, in batches: developers and categories
    /// by `--batch-size` rows; apps, their links and their screenshots by the rows of that many
    /// apps. Returns the number of batches and of statements.
    async fn write_plan(
        &self,
        tx: &Transaction<'_>,
        plan: &Plan,
    ) -> Result<(usize, usize), Failure> {
        let fail = failed(self.stage);
        let bs = self.args.batch_size as usize;
        let dev_batches = plan.developers.len().div_ceil(bs);
        let cat_batches = plan.categories.len().div_ceil(bs);
        let app_batches = plan.apps.len().div_ceil(bs);
        let total = dev_batches + cat_batches + 3 * app_batches;
        let progress = Progress::new(
            total as u64,
            self.ctx.verbosity,
            if self.args.dry_run { "dry run" } else { "load" },
        );
        let mut w = Writer::new(tx, self.run_id());
        let mut statements = 0;
        // Rows (or apps) done after chunk `i` of a list of `n`.
        let per_chunk = |n: usize, i: usize| ((i + 1) * bs).min(n);

        const UPSERT: &[Op] = &[Op::Update, Op::Insert, Op::Adopt];
        const ALL: &[Op] = &[
            Op::Delete,
            Op::Update,
            Op::Insert,
            Op::Adopt,
            Op::AdoptAbsent,
        ];
        let steps = plan
            .developers
            .chunks(bs)
            .map(|c| chunk_statements(c.iter(), UPSERT))
            .collect();
        statements += self
            .write_phase(tx, &mut w, &progress, Entity::Developers, steps, &|i| {
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
            .write_phase(tx, &mut w, &progress, Entity::Categories, steps, &|i| {
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
            .write_phase(tx, &mut w, &progress, Entity::Apps, steps, &|i| {
                apps("apps", i)
            })
            .await?;

        self.stage.set(Step::Load {
            table: self.layout.entity_table(Entity::Links).name,
            batch: None,
        });
        self.faults.check_stage("links").map_err(&fail)?;
        let steps = plan
            .apps
            .chunks(bs)
            .map(|c| chunk_statements(c.iter().flat_map(|a| a.links.iter()), ALL))
            .collect();
        statements += self
            .write_phase(tx, &mut w, &progress, Entity::Links, steps, &|i| {
                apps("links of apps", i)
            })
            .await?;

        self.stage.set(Step::Load {
            table: self.layout.entity_table(Entity::Screenshots).name,
            batch: None,
        });
        self.faults.check_stage("screenshots").map_err(&fail)?;
        let steps = plan
            .apps
            .chunks(bs)
            .map(|c| chunk_statements(c.iter().flat_map(|a| a.screenshots.iter()), ALL))
            .collect();
        statements += self
            .write_phase(tx, &mut w, &progress, Entity::Screenshots, steps, &|i| {
                apps("screenshots of apps", i)
            })
            .await?;
        progress.finish();

        Ok((total, statements))
    }

    /// The post-load check, inside the transaction, and the run's `committed` record.
    async fn check_and_record(&self, tx: &Transaction<'_>, plan: &Plan) -> Result<(), Failure> {
        let fail = failed(self.stage);
        self.stage.set(Step::PostCheck);
        self.faults.check_stage("post-check").map_err(&fail)?;
        if self.faults.stalls_at("post-check") {
            self.stall(tx).await?;
        }
        check::post_check(tx, self.layout, plan, self.run_id())
            .await
            .map_err(&fail)?;

        if !self.args.dry_run {
            self.stage.set(Step::Record);
            runs::committed(
                tx,
                self.run_id(),
                &serde_json::to_value(plan.counts()).unwrap_or_default(),
                &serde_json::to_value(plan.decisions()).unwrap_or_default(),
            )
            .await
            .map_err(&fail)?;
        }
        Ok(())
    }

    /// Gives the plan's new rows the keys the database hands out, when the layout's keys are
    /// the database's (before anything is written).
    async fn new_keys(&self, tx: &Transaction<'_>, plan: &mut Plan) -> Result<(), Failure> {
        let counts = plan.counts();
        let mut keys = std::collections::HashMap::new();
        for (e, (_, c)) in Entity::ALL.into_iter().zip(counts.tables()) {
            match self
                .layout
                .new_keys(tx, e, c.inserted)
                .await
                .map_err(failed(self.stage))?
            {
                Some(k) => {
                    keys.insert(e, k);
                }
                None => return Ok(()),
            }
        }
        plan.renumber(|e, n| {
            let k = keys.remove(&e).unwrap_or_default();
            debug_assert_eq!(k.len(), n);
            k
        });
        Ok(())
    }

    /// Writes one table's part of the plan: `chunks[i]` holds the statements of chunk `i` (rows
    /// by operation; empty ones are skipped). The statements are pipelined, up to
    /// [`PIPELINE_DEPTH`] in flight, and their results taken in order: the stage names the batch
    /// whose statement failed, and a chunk counts as done (progress, test faults) once all its
    /// statements have succeeded.
    async fn write_phase<T>(
        &self,
        tx: &Transaction<'_>,
        w: &mut Writer<'_, '_>,
        progress: &Progress,
        phase: Entity,
        chunks: Vec<Statements<'_, T>>,
        message: &dyn Fn(usize) -> String,
    ) -> Result<usize, Failure>
    where
        L: TableOf<T>,
    {
        let fail = failed(self.stage);
        let n = chunks.len();
        let mut ops: Vec<Op> = Vec::new();
        for (op, rows) in chunks.iter().flatten() {
            if !rows.is_empty() && !ops.contains(op) {
                ops.push(*op);
            }
        }
        let layout: &L = self.layout;
        w.prepare(TableOf::<T>::table(layout), &ops)
            .await
            .map_err(&fail)?;
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
                        let batch = w.batch(layout, *op, rows);
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
                self.stage.set(self.batch_stage(phase, i, n));
                result.map_err(write_failed(self.stage))?;
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
        phase: Entity,
        i: usize,
        n: usize,
        message: &dyn Fn(usize) -> String,
    ) -> Result<(), Failure> {
        self.stage.set(self.batch_stage(phase, i, n));
        progress.step(&message(i));
        let first_stall = match phase {
            Entity::Developers => Some("developers"),
            Entity::Links => Some("links"),
            Entity::Screenshots => Some("screenshots"),
            Entity::Categories | Entity::Apps => None,
        };
        if let Some(stage) = first_stall {
            if i == 0 && self.faults.stalls_at(stage) {
                self.stall(tx).await?;
            }
        }
        if phase == Entity::Apps {
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

/// One chunk's statements: each operation with the changes it writes.
type Statements<'a, T> = Vec<(Op, Vec<&'a plan::Change<T>>)>;

/// The statements of one chunk of changes: for each of `ops` (in order), the changes it writes
/// (an adoption: the rows not written whose ownership record changes).
fn chunk_statements<'a, T: 'a>(
    changes: impl Iterator<Item = &'a plan::Change<T>> + Clone,
    ops: &[Op],
) -> Statements<'a, T> {
    ops.iter()
        .map(|&op| {
            let action = match op {
                Op::Delete => Action::Delete,
                Op::Update => Action::Update,
                Op::Insert => Action::Insert,
                Op::Adopt => {
                    let adopted =
                        |c: &&plan::Change<T>| c.record && !c.action.writes() && c.absent.is_none();
                    return (op, changes.clone().filter(adopted).collect());
                }
                Op::AdoptAbsent => {
                    return (op, changes.clone().filter(|c| c.absent.is_some()).collect());
                }
            };
            (op, changes_with(changes.clone(), action))
        })
        .collect()
}
