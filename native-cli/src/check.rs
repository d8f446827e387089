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
use crate::plan::{Action, AppPlan, Change, Plan};
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
    let devs: Vec<&Change<Developer>> = plan.developers.iter().collect();
    check_rows(tx, layout, &devs, |d| d.id, &mut problems).await?;
    let cats: Vec<&Change<Category>> = plan.categories.iter().collect();
    check_rows(tx, layout, &cats, |c| c.id, &mut problems).await?;
    let apps: Vec<&Change<App>> = plan.apps.iter().map(|a| &a.app).collect();
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

/// The checked columns a change's row must read back with (None: no row): an insert's, or
/// an existing row's as it was, with the columns an update wrote taken from the file's row.
fn expected_values<T, L: TableOf<T>>(layout: &L, c: &Change<T>) -> Option<Vec<CellValue>> {
    match (c.action, &c.before) {
        (Action::Delete, _) | (Action::Skip, None) => None,
        (Action::Insert, _) | (_, None) => Some(layout.checked_values(&c.row)),
        (Action::Update, Some(before)) => {
            let names = layout.table().columns.iter().filter(|col| col.check);
            let row = layout.checked_values(&c.row);
            let before = layout.checked_values(before);
            Some(
                names
                    .zip(row.into_iter().zip(before))
                    .map(|(col, (r, b))| if c.fields.contains(&col.name) { r } else { b })
                    .collect(),
            )
        }
        (Action::Unchanged | Action::Skip, Some(before)) => Some(layout.checked_values(before)),
    }
}

/// Compares the plan's rows of one table (as they must be now) with the table, by key.
async fn check_rows<T, L: TableOf<T>>(
    tx: &Transaction<'_>,
    layout: &L,
    changes: &[&Change<T>],
    key: impl Fn(&T) -> RowId,
    problems: &mut Vec<String>,
) -> Result<()> {
    let slices = changes.chunks(ROWS_PER_QUERY).map(|slice| {
        let keys: Vec<RowId> = slice
            .iter()
            .filter(|c| c.after().is_some())
            .map(|c| key(&c.row))
            .collect();
        let rows = slice
            .iter()
            .filter_map(|c| expected_values(layout, c))
            .collect();
        (rows, keys)
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
        let rows: Vec<Vec<CellValue>> = slice
            .iter()
            .flat_map(|a| {
                children(a)
                    .iter()
                    .filter_map(|c| expected_values(layout, c))
            })
            .collect();
        let app_ids: Vec<RowId> = slice.iter().map(|a| a.app.row.id).collect();
        (rows, app_ids)
    });
    compare(tx, layout, slices, problems).await
}

/// Reads each slice's rows back (pipelined: the next slices are read while one is compared)
/// and compares their checked columns with the plan's.
async fn compare<T, L: TableOf<T>>(
    tx: &Transaction<'_>,
    layout: &L,
    slices: impl Iterator<Item = (Vec<Vec<CellValue>>, Vec<RowId>)>,
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
        let expected: BTreeSet<Vec<CellValue>> = rows.iter().cloned().collect();
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
    let adopted = plan.adoptions();
    for ((entity, (_, c)), adopted) in Entity::ALL.into_iter().zip(counts.tables()).zip(adopted) {
        let table = layout.entity_table(entity).name;
        for (op, want) in [
            ("insert", c.inserted),
            ("update", c.updated),
            ("delete", c.deleted),
            ("adopt", adopted),
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
