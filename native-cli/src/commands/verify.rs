//! `qa-load verify`: the input against the database, field by field.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use qad_core::RowId;
use serde::Serialize;
use serde_json::{json, Value};
use tokio_postgres::Client;

use crate::compare::{self, DiffKind, Difference};
use crate::context::Ctx;
use crate::db::runid;
use crate::error::{Exit, Failure};
use crate::input;
use crate::layout::{Layout, Rows};
use crate::logging;
use crate::opt::VerifyArgs;
use crate::plan::conflicts::Decisions;
use crate::plan::Names;
use crate::plan::{self, OnExisting};
use crate::with_layout;
use qad_core::Dataset;

#[derive(Debug, Serialize)]
pub struct TableCount {
    pub table: String,
    /// None for tables the source does not cover (features, app_features).
    pub source: Option<i64>,
    pub database: i64,
}

#[derive(Debug, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    pub input: String,
    pub dataset_checksum: String,
    pub database: String,
    pub checked_at: String,
    pub counts: Vec<TableCount>,
    pub differences: Vec<Difference>,
    pub notes: Vec<String>,
}

pub async fn run(ctx: &Ctx<'_>, args: &VerifyArgs) -> Result<Exit, Failure> {
    let layout = ctx.layout().await?;
    let rules = layout
        .validation()
        .map_err(|e| Failure::usage("usage", e))?;
    let mut prepared = input::prepare(&args.input, &args.alias, &args.ignore_field, rules, None)?;
    let ds = std::mem::take(&mut prepared.migration.dataset);
    let layout = layout
        .for_dataset(&ds)
        .map_err(|e| Failure::usage("usage", e))?;
    let (database, s, deadline) = ctx.read_session().await?;
    let read = |e: anyhow::Error| Failure::unavailable("verify", e);
    let compared = async {
        with_layout!(layout, l => compare_with_database(&s.client, l, &prepared, ds, &database.describe()).await)
    };
    let report = tokio::time::timeout_at(deadline, compared)
        .await
        .map_err(|_| Failure::unavailable("verify", anyhow::anyhow!("timed out (--timeout)")))?
        .map_err(read)?;

    let stamp = runid::file_timestamp();
    let md_path = args
        .report_md
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("verify-{stamp}.md")));
    let json_path = args
        .report_json
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("verify-{stamp}.json")));
    let write = |path: &PathBuf, text: String| {
        std::fs::write(path, text).map_err(|e| {
            Failure::output(
                "verify",
                anyhow::Error::new(e)
                    .context(format!("could not write the report {}", path.display())),
            )
        })
    };
    write(&md_path, to_markdown(&report))?;
    write(
        &json_path,
        serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
    )?;

    println!("{}", summary_line(&report));
    if !report.ok {
        for d in report.differences.iter().take(20) {
            println!("  {} {}", d.kind.as_str(), d.describe());
        }
        if report.differences.len() > 20 {
            println!(
                "  … and {} more (see the reports)",
                report.differences.len() - 20
            );
        }
    }
    println!("reports: {} and {}", md_path.display(), json_path.display());
    tracing::info!(target: "qa_load::verify", ok = report.ok, differences = report.differences.len(), "verify done");
    Ok(if report.ok {
        Exit::Ok
    } else {
        Exit::Differences
    })
}

fn summary_line(r: &VerifyReport) -> String {
    if r.ok {
        format!(
            "PASS: {} matches {} (every field of every developer, category and app, links, screenshots and their order, foreign keys, no orphans).",
            r.database, r.input
        )
    } else {
        format!(
            "FAIL: {} difference(s) between {} and {}.",
            r.differences.len(),
            r.input,
            r.database
        )
    }
}

async fn count(client: &Client, table: &str) -> anyhow::Result<i64> {
    Ok(client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .with_context(|| format!("could not count {table}"))?
        .get(0))
}

pub async fn compare_with_database<L: Layout>(
    client: &Client,
    layout: &L,
    prepared: &input::Prepared,
    ds: Dataset,
    database: &str,
) -> anyhow::Result<VerifyReport> {
    let status = crate::bookkeeping::status(client, &layout.components()).await?;
    if !layout.migrations().is_empty() && status.current(layout.name().as_str()) < 1 {
        anyhow::bail!(
            "the database has no qa-load schema (run `qa-load schema apply` or a load first)"
        );
    }
    let mut notes = vec![
        "Rows are matched by natural key (developer key, category key, app slug, (app, category), (app, language, position)); ids are not compared, since a row found by natural key keeps its id.".to_string(),
    ];
    if !status.is_up_to_date() {
        for line in status.to_text().lines().filter(|l| !l.starts_with(' ')) {
            notes.push(format!("schema: {line}"));
        }
    }

    let mut actual = layout.read_all(client).await?;
    let source = if layout.keeps_other_rows() {
        // The database's rows are identified as a load identifies them, and only those (and
        // the links and screenshots of their apps) are compared; the others are the backend's.
        let plan = plan::build(
            layout,
            ds,
            &prepared.migration.developer_variants,
            &actual,
            OnExisting::Update,
            // Verify compares the file with the database; conflicts are the load's to settle.
            &Decisions::default(),
        )?;
        let (expected, others) = in_scope(plan.final_rows(), &mut actual);
        notes.extend(others);
        expected
    } else {
        Rows {
            developers: ds.developers,
            categories: ds.categories,
            apps: ds.apps,
            app_categories: ds.app_categories,
            screenshots: ds.screenshots,
            ..Rows::default()
        }
    };
    let record = if status.current(crate::bookkeeping::BOOKKEEPING.name) >= 3 {
        read_record(client, layout).await?
    } else {
        compare::Record::default()
    };
    let mut differences = compare::diff(
        layout,
        &record,
        &source,
        &Names::of_rows(&source),
        &actual,
        &Names::of_rows(&actual),
    );

    let mut counts = Vec::new();
    let source_counts = [
        source.developers.len(),
        source.categories.len(),
        source.apps.len(),
        source.app_categories.len(),
        source.screenshots.len(),
    ];
    for (table, n) in layout.tables().into_iter().zip(source_counts) {
        let table = table.name;
        let db = count(client, table).await?;
        if db != n as i64 && !layout.keeps_other_rows() {
            differences.push(Difference {
                table: table.into(),
                record: "(table)".into(),
                kind: DiffKind::Count,
                field: None,
                expected: json!(n),
                actual: json!(db),
                changed_since: None,
            });
        }
        counts.push(TableCount {
            table: table.into(),
            source: Some(n as i64),
            database: db,
        });
    }
    for &table in layout.other_tables() {
        let db = count(client, table).await?;
        counts.push(TableCount {
            table: table.into(),
            source: None,
            database: db,
        });
        if db > 0 {
            notes.push(format!(
                "{table} has {db} row(s); the source has no such rows, so they are not compared"
            ));
        }
    }

    differences.extend(orphans(client, layout).await?);
    differences.extend(foreign_keys(client, layout).await?);

    let report = VerifyReport {
        ok: differences.is_empty(),
        input: prepared.path.clone(),
        dataset_checksum: prepared.checksum.clone(),
        database: database.to_string(),
        checked_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        counts,
        differences,
        notes,
    };
    if !report.ok {
        logging::note(&format!(
            "verify: {} difference(s)",
            report.differences.len()
        ));
    }
    Ok(report)
}

/// The rows of `actual` a plan's rows are (by key), with the links and screenshots of those
/// apps; the others are taken out of `actual` and described in notes. The expected rows take
/// the keys the database shows (a developer's name as found, an app's slug).
fn in_scope(mut expected: Rows, actual: &mut Rows) -> (Rows, Vec<String>) {
    use std::collections::{HashMap, HashSet};
    let mut notes = Vec::new();
    let dev_keys: HashMap<RowId, String> = actual
        .developers
        .iter()
        .map(|d| (d.id, d.key.clone()))
        .collect();
    for d in &mut expected.developers {
        if let Some(k) = dev_keys.get(&d.id) {
            d.key = k.clone();
        }
    }
    let devs: HashSet<RowId> = expected.developers.iter().map(|d| d.id).collect();
    let cats: HashSet<RowId> = expected.categories.iter().map(|c| c.id).collect();
    let apps: HashSet<RowId> = expected.apps.iter().map(|a| a.id).collect();
    let mut note = |what: &str, names: Vec<String>| {
        if !names.is_empty() {
            notes.push(format!(
                "{} {what} only in the database (not in the input; left as they are, not compared): {}",
                names.len(),
                names.join(", ")
            ));
        }
    };
    let (keep, other): (Vec<_>, Vec<_>) = std::mem::take(&mut actual.developers)
        .into_iter()
        .partition(|d| devs.contains(&d.id));
    actual.developers = keep;
    note(
        "developer(s)",
        other.iter().map(|d| format!("{:?}", d.name_en)).collect(),
    );
    let (keep, other): (Vec<_>, Vec<_>) = std::mem::take(&mut actual.categories)
        .into_iter()
        .partition(|c| cats.contains(&c.id));
    actual.categories = keep;
    note(
        "categories",
        other.iter().map(|c| format!("{:?}", c.key)).collect(),
    );
    let (keep, other): (Vec<_>, Vec<_>) = std::mem::take(&mut actual.apps)
        .into_iter()
        .partition(|a| apps.contains(&a.id));
    actual.apps = keep;
    note(
        "app(s)",
        other.iter().map(|a| format!("{:?}", a.slug)).collect(),
    );
    actual.app_categories.retain(|l| apps.contains(&l.app_id));
    actual.screenshots.retain(|s| apps.contains(&s.app_id));
    (expected, notes)
}

/// How a row of `table` is named in a difference: the layout's label for its tables, else its
/// key columns.
fn label<L: Layout>(layout: &L, table: &str, key: &[&str]) -> String {
    match layout.tables().into_iter().find(|t| t.name == table) {
        Some(t) => t.label.to_string(),
        None => key
            .iter()
            .map(|k| format!("t.{k}::text"))
            .collect::<Vec<_>>()
            .join(" || ' -> ' || "),
    }
}

/// The ownership record of `layout`'s rows (what loads last wrote, and which run), for verify to
/// tell a field changed in the database since a load from a plain difference.
async fn read_record<L: Layout>(client: &Client, layout: &L) -> anyhow::Result<compare::Record> {
    let rows = client
        .query(
            &format!(
                "SELECT table_name, pk, after, kept, run_id FROM {} WHERE layout = $1 AND after IS NOT NULL",
                crate::bookkeeping::OWNED
            ),
            &[&layout.name().as_str()],
        )
        .await
        .context("could not read the ownership record")?;
    let mut record = compare::Record::default();
    for r in rows {
        if let Value::Object(written) = r.get::<_, Value>(2) {
            let kept = match r.get::<_, Option<Value>>(3) {
                Some(Value::Object(k)) => k,
                _ => Default::default(),
            };
            let recorded = compare::Recorded {
                written,
                kept,
                run: r.get(4),
            };
            record.0.insert((r.get(0), r.get(1)), recorded);
        }
    }
    Ok(record)
}

/// Rows whose reference leads nowhere, and parent rows nothing refers to where the layout says
/// every one must be referred to, following the layout's relations.
async fn orphans<L: Layout>(client: &Client, layout: &L) -> anyhow::Result<Vec<Difference>> {
    let mut out = Vec::new();
    let mut push = |table: &str, record: String, what: &str| {
        if !out
            .iter()
            .any(|d: &Difference| d.table == table && d.record == record)
        {
            out.push(Difference {
                table: table.into(),
                record,
                kind: DiffKind::Orphan,
                field: None,
                expected: Value::Null,
                actual: json!(what),
                changed_since: None,
            });
        }
    };
    for r in layout.relations() {
        let sql = format!(
            "SELECT {label} FROM {child} t LEFT JOIN {parent} p ON p.{pk} = t.{col} \
             WHERE t.{col} IS NOT NULL AND p.{pk} IS NULL",
            label = label(layout, r.child, r.child_key),
            child = r.child,
            parent = r.parent,
            pk = r.parent_key,
            col = r.column,
        );
        for row in client
            .query(&sql, &[])
            .await
            .with_context(|| format!("orphan check on {}", r.child))?
        {
            push(r.child, row.get(0), r.orphan);
        }
    }
    for r in layout.relations() {
        let Some(what) = r.unreferenced else { continue };
        let sql = format!(
            "SELECT {label} FROM {parent} t WHERE NOT EXISTS \
             (SELECT 1 FROM {child} c WHERE c.{col} = t.{pk})",
            label = label(layout, r.parent, &[r.parent_key]),
            parent = r.parent,
            child = r.child,
            col = r.column,
            pk = r.parent_key,
        );
        for row in client
            .query(&sql, &[])
            .await
            .with_context(|| format!("orphan check on {}", r.parent))?
        {
            push(r.parent, row.get(0), what);
        }
    }
    Ok(out)
}

/// The foreign keys the layout's relations say the schema has.
async fn foreign_keys<L: Layout>(client: &Client, layout: &L) -> anyhow::Result<Vec<Difference>> {
    let expected: Vec<(&str, &str, &str)> = layout
        .relations()
        .iter()
        .map(|r| (r.child, r.column, r.parent))
        .collect();
    let rows = client
        .query(
            "SELECT c.conrelid::regclass::text, a.attname::text, c.confrelid::regclass::text \
             FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
             WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1",
            &[],
        )
        .await
        .context("reading foreign keys")?;
    let have: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    Ok(expected
        .iter()
        .filter(|(t, c, p)| {
            !have
                .iter()
                .any(|(ht, hc, hp)| ht == t && hc == c && hp == p)
        })
        .map(|(t, c, p)| Difference {
            table: (*t).into(),
            record: format!("{t}.{c}"),
            kind: DiffKind::Schema,
            field: Some((*c).into()),
            expected: json!(format!("foreign key to {p}")),
            actual: json!("missing"),
            changed_since: None,
        })
        .collect())
}

fn md(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('\n', " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn to_markdown(r: &VerifyReport) -> String {
    let mut out = String::from("# qa-load verify report\n\n");
    out.push_str(&format!(
        "- Input: `{}` (dataset SHA-256 `{}`)\n",
        r.input, r.dataset_checksum
    ));
    out.push_str(&format!("- Database: `{}`\n", r.database));
    out.push_str(&format!("- Checked at: {}\n", r.checked_at));
    out.push_str(&format!(
        "- Result: **{}**\n\n",
        if r.ok {
            "PASS — the database matches the input".to_string()
        } else {
            format!("FAIL — {} difference(s)", r.differences.len())
        }
    ));
    out.push_str("## Row counts\n\n| table | source | database | |\n| --- | ---: | ---: | --- |\n");
    for c in &r.counts {
        let (src, verdict) = match c.source {
            Some(n) => (
                n.to_string(),
                if n == c.database { "ok" } else { "**differs**" },
            ),
            None => ("—".to_string(), "not in the source"),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            c.table, src, c.database, verdict
        ));
    }
    out.push('\n');
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &r.differences {
        *by_kind.entry(d.kind.as_str()).or_default() += 1;
    }
    out.push_str("## Differences\n\n");
    if r.differences.is_empty() {
        out.push_str("None.\n\n");
    } else {
        let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
        out.push_str(&format!("{}.\n\n", kinds.join(", ")));
        out.push_str("| table | record | kind | field | source | database |\n| --- | --- | --- | --- | --- | --- |\n");
        for d in &r.differences {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                d.table,
                md(&d.record),
                d.kind.as_str(),
                md(d.field.as_deref().unwrap_or("")),
                md(&compare::short(&d.expected)),
                md(&compare::short(&d.actual)),
            ));
        }
        out.push('\n');
    }
    if !r.notes.is_empty() {
        out.push_str("## Notes\n\n");
        for n in &r.notes {
            out.push_str(&format!("- {}\n", md(n)));
        }
    }
    out
}
