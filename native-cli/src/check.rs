//! The post-load check, inside the load's transaction, before the commit: every table's checked
//! columns (keys, references, orders; long texts are left to `qa-load verify`) are read back, for
//! the plan's rows and for the rows that belong to its apps (so a link or screenshot that should
//! be gone is caught too), and compared with what the plan says they must be now; then the
//! journal must hold exactly the plan's writes.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Context, Result};
use futures_util::stream::{self, StreamExt};
use qad_core::{App, Category, Developer};
use tokio_postgres::Transaction;

use crate::bookkeeping::JOURNAL;
use crate::layout::{CellValue, Entity, Layout, TableOf};
use crate::plan::{AppPlan, Change, Plan};
use qad_core::RowId;

/// Rows (or apps, for the rows that belong to apps) compared per query.
const ROWS_PER_QUERY: usize = 1000;
/// Queries the check keeps in flight (the next slices are read while one is compared).
const DEPTH: usize = 2;

pub async fn post_check<L: Layout>(
    tx: &Transaction<'_>,
    layout: &L,
    plan: &Plan,
    run_id: &str,
) -> Result<()> {
    tracing::info!(target: "qa_load::load", "writes done; post-load check");
    let mut problems: Vec<String> = Vec::new();
    let devs: Vec<&Developer> = plan.developers.iter().filter_map(Change::after).collect();
    check_rows(tx, layout, &devs, |d| d.id, &mut problems).await?;
    let cats: Vec<&Category> = plan.categories.iter().filter_map(Change::after).collect();
    check_rows(tx, layout, &cats, |c| c.id, &mut problems).await?;
    let apps: Vec<&App> = plan.apps.iter().filter_map(|a| a.app.after()).collect();
    check_rows(tx, layout, &apps, |a| a.id, &mut problems).await?;
    // Links and screenshots are most of the rows: by the apps they belong to, a slice of apps
    // at a time, so the check holds a few slices' rows, not the whole run's.
    check_children(tx, layout, &plan.apps, |a| &a.links, &mut problems).await?;
    check_children(tx, layout, &plan.apps, |a| &a.screenshots, &mut problems).await?;
    if !problems.is_empty() {
        let n = problems.len();
        problems.truncate(5);
        bail!(
            "the rows read back differ from what the run wrote ({n} problem(s)): {}",
            problems.join("; ")
        );
    }
    check_journal(tx, layout, plan, run_id).await?;
    tracing::info!(target: "qa_load::load", "post-load check passed: every row reads back as planned");
    Ok(())
}

/// Compares `rows` (the plan's rows of one table, as they must be now) with the table, by key.
async fn check_rows<T, L: TableOf<T>>(
    tx: &Transaction<'_>,
    layout: &L,
    rows: &[&T],
    key: impl Fn(&T) -> RowId,
    problems: &mut Vec<String>,
) -> Result<()> {
    let slices = rows.chunks(ROWS_PER_QUERY).map(|slice| {
        let keys: Vec<RowId> = slice.iter().map(|r| key(r)).collect();
        (slice.to_vec(), keys)
    });
    compare(tx, layout, slices, problems).await
}

/// Compares the rows that belong to the plan's apps (their links or screenshots) with the
/// table's rows of those apps.
async fn check_children<T, L: TableOf<T>>(
    tx: &Transaction<'_>,
    layout: &L,
    apps: &[AppPlan],
    children: impl Fn(&AppPlan) -> &Vec<Change<T>>,
    problems: &mut Vec<String>,
) -> Result<()> {
    let slices = apps.chunks(ROWS_PER_QUERY).map(|slice| {
        let rows: Vec<&T> = slice
            .iter()
            .flat_map(|a| children(a).iter().filter_map(Change::after))
            .collect();
        let app_ids: Vec<RowId> = slice.iter().map(|a| a.app.row.id).collect();
        (rows, app_ids)
    });
    compare(tx, layout, slices, problems).await
}

/// Reads each slice's rows back (pipelined: the next slices are read while one is compared)
/// and compares their checked columns with the plan's.
async fn compare<'r, T: 'r, L: TableOf<T>>(
    tx: &Transaction<'_>,
    layout: &L,
    slices: impl Iterator<Item = (Vec<&'r T>, Vec<RowId>)>,
    problems: &mut Vec<String>,
) -> Result<()> {
    let table = layout.table();
    let statement = tx
        .prepare(&table.read_back_sql())
        .await
        .with_context(|| format!("could not prepare the post-load check of {}", table.name))?;
    let reads = stream::iter(slices.map(|(rows, scope)| {
        let statement = statement.clone();
        async move {
            let scope = table.key_type.ids_param(&scope);
            let found = tx.query(&statement, &[&*scope]).await;
            (rows, found)
        }
    }))
    .buffered(DEPTH);
    futures_util::pin_mut!(reads);
    let show = |r: &Vec<CellValue>| {
        let cells: Vec<String> = r.iter().map(CellValue::to_string).collect();
        format!("({})", cells.join(", "))
    };
    while let Some((rows, found)) = reads.next().await {
        let found = found.with_context(|| format!("post-load check of {}", table.name))?;
        let expected: BTreeSet<Vec<CellValue>> =
            rows.iter().map(|r| layout.checked_values(r)).collect();
        let actual = found
            .iter()
            .map(|r| layout.read_checked(r))
            .collect::<Result<BTreeSet<Vec<CellValue>>>>()?;
        if rows.len() != found.len() {
            problems.push(format!(
                "{}: {} row(s) read back, {} expected",
                table.name,
                found.len(),
                rows.len()
            ));
        }
        for e in expected.difference(&actual) {
            problems.push(format!(
                "{} {}: expected, not read back",
                table.name,
                show(e)
            ));
        }
        for a in actual.difference(&expected) {
            problems.push(format!(
                "{} {}: read back, not expected",
                table.name,
                show(a)
            ));
        }
    }
    Ok(())
}

/// The journal holds exactly the plan's writes, table by table.
async fn check_journal<L: Layout>(
    tx: &Transaction<'_>,
    layout: &L,
    plan: &Plan,
    run_id: &str,
) -> Result<()> {
    let rows = tx
        .query(
            &format!(
                "SELECT table_name, op, sum(cardinality(pks))::bigint FROM {JOURNAL} WHERE run_id = $1 GROUP BY 1, 2"
            ),
            &[&run_id],
        )
        .await?;
    let mut journal: BTreeMap<(String, String), i64> = BTreeMap::new();
    for r in rows {
        journal.insert((r.get(0), r.get(1)), r.get(2));
    }
    let counts = plan.counts();
    for (entity, (_, c)) in Entity::ALL.into_iter().zip(counts.tables()) {
        let table = layout.entity_table(entity).name;
        for (op, want) in [
            ("insert", c.inserted),
            ("update", c.updated),
            ("delete", c.deleted),
        ] {
            let have = journal
                .remove(&(table.to_string(), op.to_string()))
                .unwrap_or(0);
            if have != want as i64 {
                bail!("the journal has {have} {op}(s) of {table}, the plan {want}");
            }
        }
    }
    if let Some(((t, op), n)) = journal.into_iter().next() {
        bail!("the journal has {n} unexpected {op}(s) of {t}");
    }
    Ok(())
}
