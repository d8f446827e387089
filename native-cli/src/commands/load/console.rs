//! What a load prints (the plan, the summary, the offline plan) and logs (every entity).

use crate::input::Prepared;
use crate::plan::conflicts::Conflict;
use crate::plan::{Action, Counts, Plan};
use qad_core::ownership::shorten_at;

use qad_core::RowId;
use serde::Serialize;

/// What a finished load reports.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub run_id: String,
    /// `committed`, `unchanged` (committed, nothing written) or `dry-run`.
    pub outcome: &'static str,
    pub dry_run: bool,
    pub database: String,
    /// The layout written (`qa-load`: qa-load's own tables).
    pub layout: &'static str,
    pub input: String,
    pub dataset_checksum: String,
    /// Schema versions applied first, as `component version`.
    pub schema_applied: Vec<String>,
    pub counts: Counts,
    /// Rows of the layout's tables that no row of the input is, left as they are (a layout
    /// whose tables hold another program's rows), e.g. `app "surah"`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_as_they_are: Vec<String>,
    /// Where the database and the input disagree, and how the plan decided.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The conflicts, each with the database's, the file's and the last written value, and
    /// how it was settled (with outcome `conflicts`: not settled, nothing written).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
    /// Fields left as the database has them because a person decided so (now or in an earlier
    /// run), although the file has another value: not written, not counted as writes.
    pub kept_fields: usize,
    pub rows_written: usize,
    pub batches: usize,
    pub statements: usize,
    pub duration_ms: u128,
    /// The connection was lost during the commit, and the run record, read over a new
    /// connection, showed that it happened.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub commit_confirmed_after_reconnect: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
}

pub fn log_entities(plan: &Plan) {
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

pub fn print_plan_lines(plan: &Plan, json: bool) {
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

/// How wide a value is shown in a conflict listing (characters).
const VALUE_WIDTH: usize = 100;

/// A value of a conflict, on one line: texts quoted, long ones shortened around `at` (where
/// the database's and the file's start to differ), the absent as such.
fn show_value(v: &serde_json::Value, at: Option<usize>, absent: &str) -> String {
    if let Some(note) = crate::compare::long_text_note(v) {
        return note;
    }
    match v {
        serde_json::Value::Null => absent.to_string(),
        serde_json::Value::String(t) => {
            let shown = shorten_at(t, at.unwrap_or(0), VALUE_WIDTH);
            match at {
                Some(at) if shown.chars().count() < t.chars().count() => {
                    format!("{shown:?} (differs from character {})", at + 1)
                }
                _ => format!("{shown:?}"),
            }
        }
        other => shorten_at(&other.to_string(), at.unwrap_or(0), VALUE_WIDTH),
    }
}

/// The conflict listing: one block per conflict, the three values and how it was settled.
pub fn conflict_lines(conflicts: &[Conflict]) -> Vec<String> {
    let mut out = Vec::new();
    for c in conflicts {
        let id = c.id.map(|i| format!(" (id {i})")).unwrap_or_default();
        let what = c.column.unwrap_or("whole row");
        out.push(format!("{} {:?}{id} {what}: {}", c.table, c.key, c.reason));
        let (no_db, no_file) = if c.column.is_some() {
            ("(empty)", "(empty)")
        } else {
            ("(no such row)", "(not in the file)")
        };
        out.push(format!(
            "    database:     {}",
            show_value(&c.database, c.differs_at, no_db)
        ));
        out.push(format!(
            "    file:         {}",
            show_value(&c.file, c.differs_at, no_file)
        ));
        out.push(format!(
            "    last written: {}{}",
            show_value(&c.last_written, None, "(never, by qa-load)"),
            c.last_run
                .as_deref()
                .filter(|_| !c.last_written.is_null())
                .map(|r| format!(" by run {r}"))
                .unwrap_or_default()
        ));
        if c.settled() {
            out.push(format!(
                "    settled:      {}{}",
                c.resolution.as_str(),
                if c.decided {
                    " (a decision of --decisions)"
                } else {
                    " (--on-conflict)"
                }
            ));
        }
    }
    out
}

/// The conflicts that stop a load (exit 10), listed in full, on stdout (JSON: the summary with
/// outcome `conflicts`).
pub fn print_conflicts(s: &Summary, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(s).unwrap_or_default());
        return;
    }
    let open = s.conflicts.iter().filter(|c| !c.settled()).count();
    println!(
        "CONFLICTS: {open} value(s) in {} were written by someone other than qa-load (or qa-load never wrote them), and the file would overwrite them. Nothing was written{}.",
        s.database,
        if s.dry_run { " (dry run)" } else { "" }
    );
    for line in conflict_lines(&s.conflicts) {
        println!("  {line}");
    }
    println!(
        "Decide for all with --on-conflict keep-database|use-file, or per row or field with --decisions FILE (--write-decisions FILE writes this list in that format)."
    );
}

pub fn print_summary(s: &Summary, batch_size: u32, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(s).unwrap_or_default());
        return;
    }
    let head = match s.outcome {
        "dry-run" => format!(
            "DRY RUN against {}: nothing was written (the transaction was rolled back). A real run would:",
            s.database
        ),
        "unchanged" if s.kept_fields > 0 => format!(
            "No changes: {} matches {} in every row, but for {} field(s) whose database values were kept by a decision; nothing was written (run {} recorded).",
            s.database, s.input, s.kept_fields, s.run_id
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
                "schema versions that would be applied first: {}",
                s.schema_applied.join(", ")
            );
        } else {
            println!("schema versions applied: {}", s.schema_applied.join(", "));
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
        batch_size,
        s.statements,
        s.duration_ms as f64 / 1000.0,
        s.dataset_checksum
    );
    if !s.conflicts.is_empty() {
        println!(
            "{} conflict(s) settled (recorded with run {}; `qa-load history --run {}` shows them):",
            s.conflicts.len(),
            s.run_id,
            s.run_id
        );
        for line in conflict_lines(&s.conflicts) {
            println!("  {line}");
        }
    }
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

pub fn print_offline_plan(p: &Prepared, json: bool) {
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
    let mut links_of: std::collections::HashMap<RowId, usize> = std::collections::HashMap::new();
    for l in &ds.app_categories {
        *links_of.entry(l.app_id).or_default() += 1;
    }
    let mut shots_of: std::collections::HashMap<RowId, usize> = std::collections::HashMap::new();
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
