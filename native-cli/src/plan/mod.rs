//! What a load will do, computed in memory from the dataset and the existing rows: for every
//! row, insert, update (with the fields that differ), unchanged, skip, or delete (links and
//! screenshots of the input's apps that the input no longer has). Pure, no I/O.
//!
//! Which existing row each input developer, category and app is, is the layout's to say
//! ([`Layout::identify`]: each layout has its own natural keys); a found row keeps its id
//! (as the database has it, [`RowId`]), and references to it are rewritten to that id. Then one
//! [`reconcile`] per table decides each row's action, and one [`reconcile_children`] per app its
//! links (matched by category) and screenshots (by language and position).
//!
//! An existing row's differing fields are classified against the ownership record
//! ([`conflicts`]): a field qa-load last wrote and nobody changed since takes the file's value;
//! any other difference is a conflict, settled by `--on-conflict` or a person's decision, and
//! only the fields settled for the file are written.

pub mod conflicts;

use std::collections::{BTreeMap, HashMap, HashSet};

use qad_core::{
    App, AppCategory, Category, Dataset, Developer, DeveloperVariants, Language, RowId, Screenshot,
};
use serde::Serialize;

use crate::layout::{Entity, Layout, Removed, RowState, Rows, Scope, TableOf};
use conflicts::{classify_row, Conflict, Decisions};
use qad_core::ownership::{classify_extra, classify_missing, Resolution, RowOutcome};

/// `--on-existing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnExisting {
    /// Update existing rows that differ from the input; reconcile their links and screenshots.
    Update,
    /// Leave every existing developer, category and app exactly as it is, with its links and
    /// screenshots; insert only what is new.
    Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Insert,
    Update,
    Unchanged,
    Skip,
    Delete,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Insert => "insert",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::Skip => "skip",
            Action::Delete => "delete",
        }
    }

    pub fn writes(self) -> bool {
        matches!(self, Action::Insert | Action::Update | Action::Delete)
    }
}

#[derive(Debug, Clone)]
pub struct Change<T> {
    pub action: Action,
    /// Insert / Update / Unchanged: the row as the run leaves it. Delete: the row removed.
    /// Skip: the row the input asked for (with resolved ids), which is not written.
    pub row: T,
    /// The row as it is before the run, when it exists.
    pub before: Option<T>,
    /// Update: the columns written (the file's values applied). Skip: the columns that differ.
    pub fields: Vec<&'static str>,
    /// The hash of the row's written columns as the plan read it ([`RowState::hash`]): an
    /// update, delete or adoption re-checks it as it writes.
    pub expected: Option<i64>,
    /// The fields whose database values a person kept, with the file's values (the record's
    /// `kept`).
    pub kept: serde_json::Map<String, serde_json::Value>,
    /// A row the run does not write whose ownership record changes (values adopted, decisions
    /// recorded): journalled as an adoption.
    pub record: bool,
    /// A row someone removed that a person decided to keep removed: its key and the record's
    /// value, journalled as an adoption of the absent row with the decision.
    /// (Boxed: rare, and every change of a load carries the field.)
    pub absent: Option<Box<(serde_json::Value, serde_json::Value)>>,
}

/// The changes whose action is `action`, in order: what one write statement takes.
pub fn changes_with<'a, T: 'a>(
    changes: impl IntoIterator<Item = &'a Change<T>>,
    action: Action,
) -> Vec<&'a Change<T>> {
    changes.into_iter().filter(|c| c.action == action).collect()
}

impl<T> Change<T> {
    fn new(action: Action, row: T, before: Option<T>, fields: Vec<&'static str>) -> Change<T> {
        Change {
            action,
            row,
            before,
            fields,
            expected: None,
            kept: serde_json::Map::new(),
            record: false,
            absent: None,
        }
    }

    /// The row after the run; None when the run leaves no such row.
    pub fn after(&self) -> Option<&T> {
        match self.action {
            Action::Insert | Action::Update | Action::Unchanged => Some(&self.row),
            Action::Delete => None,
            Action::Skip => self.before.as_ref(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AppPlan {
    pub app: Change<App>,
    pub links: Vec<Change<AppCategory>>,
    pub screenshots: Vec<Change<Screenshot>>,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub developers: Vec<Change<Developer>>,
    pub categories: Vec<Change<Category>>,
    pub apps: Vec<AppPlan>,
    pub names: Names,
    /// What the layout's identification of existing rows warns of (e.g. two rows for one
    /// developer of the input).
    pub warnings: Vec<String>,
    /// Rows of the tables that no row of the input is (left as they are), as the load found
    /// them (a layout whose tables hold other rows).
    pub left_as_they_are: Vec<String>,
    /// Every conflict, with how it was settled (refuse: not settled, the load is refused).
    pub conflicts: Vec<Conflict>,
}

/// id → natural key, for messages and comparisons.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub developers: HashMap<RowId, String>,
    pub categories: HashMap<RowId, String>,
    pub apps: HashMap<RowId, String>,
    /// app id → source id (for log lines).
    pub app_sources: HashMap<RowId, String>,
}

impl Names {
    pub fn of_rows(rows: &Rows) -> Names {
        let mut n = Names::default();
        n.add_rows(rows);
        n
    }

    pub fn add_rows(&mut self, rows: &Rows) {
        for d in &rows.developers {
            self.developers.insert(d.id, d.key.clone());
        }
        for c in &rows.categories {
            self.categories.insert(c.id, c.key.clone());
        }
        for a in &rows.apps {
            self.apps.insert(a.id, a.slug.clone());
            self.app_sources.insert(a.id, a.source_id.clone());
        }
    }

    pub fn developer(&self, id: &RowId) -> String {
        self.developers
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("id:{id}"))
    }
    pub fn category(&self, id: &RowId) -> String {
        self.categories
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("id:{id}"))
    }
    pub fn app(&self, id: &RowId) -> String {
        self.apps
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("id:{id}"))
    }
}

/// Counts of one table's planned (or performed) actions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TableCounts {
    pub inserted: usize,
    pub updated: usize,
    pub deleted: usize,
    pub unchanged: usize,
    pub skipped: usize,
}

impl TableCounts {
    fn add(&mut self, a: Action) {
        match a {
            Action::Insert => self.inserted += 1,
            Action::Update => self.updated += 1,
            Action::Delete => self.deleted += 1,
            Action::Unchanged => self.unchanged += 1,
            Action::Skip => self.skipped += 1,
        }
    }

    pub fn writes(&self) -> usize {
        self.inserted + self.updated + self.deleted
    }
}

/// Per-table counts, in load order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Counts {
    pub developers: TableCounts,
    pub categories: TableCounts,
    pub apps: TableCounts,
    pub app_categories: TableCounts,
    pub screenshots: TableCounts,
}

impl Counts {
    pub fn tables(&self) -> [(&'static str, &TableCounts); 5] {
        [
            ("developers", &self.developers),
            ("categories", &self.categories),
            ("apps", &self.apps),
            ("app_categories", &self.app_categories),
            ("screenshots", &self.screenshots),
        ]
    }

    pub fn writes(&self) -> usize {
        self.tables().iter().map(|(_, c)| c.writes()).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Conflict(String),
}

/// What ownership needs while a plan is built: the decisions that settle conflicts, and the
/// conflicts found.
pub struct Owning<'a> {
    pub decisions: &'a Decisions,
    pub conflicts: Vec<Conflict>,
}

/// An existing row's change. Skip mode leaves it as it is; otherwise its differing fields are
/// classified against the ownership record, and only those settled for the file are written.
#[allow(clippy::too_many_arguments)]
fn existing_change<T: Clone, L: TableOf<T>>(
    layout: &L,
    key: &str,
    id: Option<RowId>,
    want: T,
    have: &T,
    state: Option<&RowState>,
    mode: OnExisting,
    own: &mut Owning<'_>,
) -> Change<T> {
    if mode == OnExisting::Skip {
        let fields = layout.differing(have, &want);
        let action = if fields.is_empty() {
            Action::Unchanged
        } else {
            Action::Skip
        };
        return Change::new(action, want, Some(have.clone()), fields);
    }
    let unrecorded = RowState::default();
    let state = state.unwrap_or(&unrecorded);
    let c = classify_row(
        layout,
        key,
        id,
        have,
        &want,
        state,
        own.decisions,
        &mut own.conflicts,
    );
    let action = if c.apply.is_empty() {
        Action::Unchanged
    } else {
        Action::Update
    };
    let mut change = Change::new(action, want, Some(have.clone()), c.apply);
    change.expected = Some(state.hash);
    change.kept = c.kept;
    change.record = c.record && action == Action::Unchanged;
    change
}

/// A row the plan finds again by the id the layout's identification gave it.
trait Keyed: Clone {
    /// How messages name the row (its natural key).
    fn label(&self) -> &str;
    fn id(&self) -> RowId;
    fn set_id(&mut self, id: RowId);
}

macro_rules! keyed {
    ($T:ty, $label:ident) => {
        impl Keyed for $T {
            fn label(&self) -> &str {
                &self.$label
            }
            fn id(&self) -> RowId {
                self.id
            }
            fn set_id(&mut self, id: RowId) {
                self.id = id;
            }
        }
    };
}
keyed!(Developer, key);
keyed!(Category, key);
keyed!(App, slug);

/// A table's changes, and each input id's final id (the existing row's, or its own).
type Reconciled<T> = (Vec<Change<T>>, HashMap<RowId, RowId>);

/// One table's reconcile: each input row against the existing row the layout identified it as
/// (`identified`: input id → existing id), each existing row claimed once. `target` makes the
/// row the input asks for (references resolved); it keeps the existing row's id. Returns the
/// changes, and each input id's final id.
#[allow(clippy::too_many_arguments)]
fn reconcile<T: Keyed, L: TableOf<T>>(
    layout: &L,
    what: &str,
    rows: Vec<T>,
    identified: &HashMap<RowId, RowId>,
    existing: &[T],
    states: &[RowState],
    mode: OnExisting,
    own: &mut Owning<'_>,
    mut target: impl FnMut(T) -> Result<T, PlanError>,
) -> Result<Reconciled<T>, PlanError> {
    let by_id: HashMap<RowId, usize> = existing
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id(), i))
        .collect();
    let mut claimed = HashSet::new();
    let mut final_ids = HashMap::with_capacity(rows.len());
    let mut changes = Vec::with_capacity(rows.len());
    for row in rows {
        let input_id = row.id();
        let found = identified
            .get(&input_id)
            .and_then(|e| by_id.get(e).copied());
        if let Some(i) = found {
            if !claimed.insert(existing[i].id()) {
                return Err(PlanError::Conflict(format!(
                    "two {what} of the input resolve to the same existing row (id {}); the second is {:?}",
                    existing[i].id(),
                    row.label()
                )));
            }
        }
        let mut want = target(row)?;
        final_ids.insert(input_id, found.map_or(want.id(), |i| existing[i].id()));
        let change = match found {
            None => Change::new(Action::Insert, want, None, Vec::new()),
            Some(i) => {
                let have = &existing[i];
                want.set_id(have.id());
                let key = want.label().to_string();
                existing_change(
                    layout,
                    &key,
                    Some(have.id()),
                    want,
                    have,
                    states.get(i),
                    mode,
                    own,
                )
            }
        };
        changes.push(change);
    }
    Ok((changes, final_ids))
}

/// One app's links or screenshots: the rows the input gives it against those it has (`current`,
/// with their records; empty for a new app), matched by `K`. A matched row keeps what `keep`
/// takes from the existing one (its id) and is classified like any row. A row only in the
/// file is inserted, unless qa-load wrote it once and someone removed it since (`removed`): a
/// conflict. A row only in the database is deleted when qa-load wrote it and nobody changed
/// it since; otherwise someone added it, and removing it is a conflict. `frozen` (an existing
/// app under `--on-existing skip`): nothing is written, every change is a skip.
#[allow(clippy::too_many_arguments)]
fn reconcile_children<K: Ord, T: Clone, L: TableOf<T>>(
    layout: &L,
    expected: BTreeMap<K, T>,
    mut current: BTreeMap<K, (&T, Option<&RowState>)>,
    removed: &BTreeMap<K, &Removed<T>>,
    frozen: bool,
    mode: OnExisting,
    own: &mut Owning<'_>,
    label: impl Fn(&T) -> (String, Option<RowId>),
    keep: impl Fn(&mut T, &T),
) -> Vec<Change<T>> {
    let table = layout.table().name;
    let mut out = Vec::with_capacity(expected.len());
    for (k, mut want) in expected {
        let change = match current.remove(&k) {
            Some((have, state)) => {
                keep(&mut want, have);
                let (key, id) = label(have);
                let mut change = existing_change(layout, &key, id, want, have, state, mode, own);
                if frozen && change.action != Action::Unchanged {
                    change.action = Action::Skip;
                }
                if frozen {
                    change.record = false;
                }
                change
            }
            None if frozen => Change::new(Action::Skip, want, None, Vec::new()),
            None => {
                let gone = removed.get(&k).copied();
                let file_row = layout.stored(&want);
                // A person kept it removed against this very row of the file: it stays so.
                let kept_removed = gone
                    .and_then(|g| g.kept.get(conflicts::WHOLE_ROW))
                    .is_some_and(|v| {
                        matches!(v, serde_json::Value::Object(k) if conflicts::as_written(layout, k, &file_row))
                    });
                match classify_missing(gone.is_some()) {
                    _ if kept_removed => Change::new(Action::Skip, want, None, Vec::new()),
                    RowOutcome::Write => Change::new(Action::Insert, want, None, Vec::new()),
                    RowOutcome::Conflict => {
                        let (key, _) = label(&want);
                        let (resolution, decided) = own.decisions.resolve(table, None, &key, None);
                        let kept_before =
                            gone.is_some_and(|g| g.kept.contains_key(conflicts::WHOLE_ROW));
                        own.conflicts.push(Conflict {
                            table,
                            key,
                            id: None,
                            column: None,
                            database: serde_json::Value::Null,
                            file: serde_json::Value::Object(file_row.clone()),
                            last_written: gone.map_or(serde_json::Value::Null, |g| {
                                serde_json::Value::Object(layout.stored(&g.row))
                            }),
                            last_run: gone.map(|g| g.run.clone()),
                            reason: if kept_before {
                                "a person kept this row removed, and the file's row has changed since"
                                    .into()
                            } else {
                                "qa-load wrote this row, and it was removed from the database since"
                                    .into()
                            },
                            differs_at: None,
                            resolution,
                            decided,
                        });
                        let mut change = Change::new(Action::Skip, want, None, Vec::new());
                        match resolution {
                            Resolution::UseFile => change.action = Action::Insert,
                            Resolution::KeepDatabase => {
                                if let Some(g) = gone {
                                    change.kept.insert(
                                        conflicts::WHOLE_ROW.to_string(),
                                        serde_json::Value::Object(file_row),
                                    );
                                    change.record = true;
                                    change.absent = Some(Box::new((g.pk.clone(), g.after.clone())));
                                }
                            }
                            Resolution::Refuse => {}
                        }
                        change
                    }
                }
            }
        };
        out.push(change);
    }
    for (have, state) in current.into_values() {
        let mut change = Change::new(Action::Skip, have.clone(), Some(have.clone()), Vec::new());
        if frozen {
            out.push(change);
            continue;
        }
        let unrecorded = RowState::default();
        let state = state.unwrap_or(&unrecorded);
        change.expected = Some(state.hash);
        if state.kept.contains_key(conflicts::WHOLE_ROW) {
            // A person kept this row that the file does not have: it stays, silently.
            out.push(change);
            continue;
        }
        let unchanged_since = state.written.as_ref().is_some_and(|w| {
            state.as_written || conflicts::as_written(layout, w, &layout.stored(have))
        });
        match classify_extra(unchanged_since) {
            RowOutcome::Write => change.action = Action::Delete,
            RowOutcome::Conflict => {
                let (key, id) = label(have);
                let (resolution, decided) = own.decisions.resolve(table, id, &key, None);
                let reason = match &state.run {
                    Some(run) if state.written.is_some() => format!(
                        "changed in the database since run {run} wrote it, and the file no longer has it"
                    ),
                    _ => "added in the database (qa-load never wrote it), and the file does not have it".into(),
                };
                own.conflicts.push(Conflict {
                    table,
                    key,
                    id,
                    column: None,
                    database: serde_json::Value::Object(layout.stored(have)),
                    file: serde_json::Value::Null,
                    last_written: state
                        .written
                        .clone()
                        .map_or(serde_json::Value::Null, serde_json::Value::Object),
                    last_run: state.run.clone(),
                    reason,
                    differs_at: None,
                    resolution,
                    decided,
                });
                match resolution {
                    Resolution::UseFile => change.action = Action::Delete,
                    Resolution::KeepDatabase => {
                        change
                            .kept
                            .insert(conflicts::WHOLE_ROW.to_string(), serde_json::Value::Null);
                        change.record = true;
                    }
                    Resolution::Refuse => {}
                }
            }
        }
        out.push(change);
    }
    out
}

/// `rows` grouped by `key`, in order.
fn group<K: std::hash::Hash + Eq, T>(rows: Vec<T>, key: impl Fn(&T) -> K) -> HashMap<K, Vec<T>> {
    let mut out: HashMap<K, Vec<T>> = HashMap::new();
    for r in rows {
        out.entry(key(&r)).or_default().push(r);
    }
    out
}

/// Computes the plan: the layout identifies the input's rows among the existing ones, then each
/// table is reconciled in load order, references following the ids the rows keep. Takes the
/// dataset by value: its rows move into the plan.
pub fn build<L: Layout>(
    layout: &L,
    ds: Dataset,
    variants: &[DeveloperVariants],
    existing: &Rows,
    mode: OnExisting,
    decisions: &Decisions,
) -> Result<Plan, PlanError> {
    let mut own = Owning {
        decisions,
        conflicts: Vec::new(),
    };
    let mut ids = layout
        .identify(&ds, variants, existing)
        .map_err(|e| PlanError::Conflict(e.to_string()))?;
    let Dataset {
        developers: ds_developers,
        categories: ds_categories,
        apps: ds_apps,
        app_categories: ds_app_categories,
        screenshots: ds_screenshots,
    } = ds;

    let (developers, developer_ids) = reconcile(
        layout,
        "developers",
        ds_developers,
        &ids.developers,
        &existing.developers,
        &existing.states.developers,
        mode,
        &mut own,
        Ok,
    )?;
    let (categories, category_ids) = reconcile(
        layout,
        "categories",
        ds_categories,
        &ids.categories,
        &existing.categories,
        &existing.states.categories,
        mode,
        &mut own,
        Ok,
    )?;
    let (app_changes, app_ids) = reconcile(
        layout,
        "apps",
        ds_apps,
        &ids.apps,
        &existing.apps,
        &existing.states.apps,
        mode,
        &mut own,
        |a| {
            let developer_id = *developer_ids.get(&a.developer_id).ok_or_else(|| {
                PlanError::Conflict(format!(
                    "app {:?} refers to developer id {} which is not in the dataset",
                    a.slug, a.developer_id
                ))
            })?;
            Ok(App {
                slug: ids.app_slugs.remove(&a.id).unwrap_or(a.slug),
                developer_id,
                ..a
            })
        },
    )?;

    name_developers_in_conflicts(
        layout,
        &mut own.conflicts,
        &app_changes,
        existing,
        &developers,
    );

    // Each app's links (by category) and screenshots (by language and position), with their
    // records, and those qa-load wrote that someone removed.
    let mut input_links = group(ds_app_categories, |l| l.app_id);
    let mut input_shots = group(ds_screenshots, |s| s.app_id);
    let with_state = |i: usize, states: &[RowState]| states.get(i).cloned();
    let existing_links = group(
        existing.app_categories.iter().enumerate().collect(),
        |(_, l)| l.app_id,
    );
    let existing_shots = group(
        existing.screenshots.iter().enumerate().collect(),
        |(_, s)| s.app_id,
    );
    let removed_links = group(existing.removed_links.iter().collect(), |l| l.row.app_id);
    let removed_shots = group(existing.removed_screenshots.iter().collect(), |s| {
        s.row.app_id
    });
    let mut category_keys: HashMap<RowId, String> = existing
        .categories
        .iter()
        .map(|c| (c.id, c.key.clone()))
        .collect();
    for c in &categories {
        category_keys.insert(c.row.id, c.row.key.clone());
    }
    let category_key = |id: &RowId| {
        category_keys
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("id:{id}"))
    };
    let input_id_of: HashMap<RowId, RowId> = app_ids.iter().map(|(i, f)| (*f, *i)).collect();
    let mut apps = Vec::with_capacity(app_changes.len());
    for app in app_changes {
        let app_id = app.row.id;
        let input_id = input_id_of.get(&app_id).copied().unwrap_or(app_id);
        let found = app.before.is_some();
        // In skip mode an existing app is left as it is, links and screenshots included.
        let frozen = found && mode == OnExisting::Skip;

        let mut expected = BTreeMap::new();
        for l in input_links.remove(&input_id).unwrap_or_default() {
            let category_id = *category_ids.get(&l.category_id).ok_or_else(|| {
                PlanError::Conflict(format!(
                    "app {:?} links category id {} which is not in the dataset",
                    app.row.slug, l.category_id
                ))
            })?;
            let link = AppCategory {
                app_id,
                category_id,
                sort_order: l.sort_order,
            };
            expected.insert(category_id, link);
        }
        let link_states: Vec<Option<RowState>> = match existing_links.get(&app_id) {
            Some(v) if found => v
                .iter()
                .map(|(i, _)| with_state(*i, &existing.states.app_categories))
                .collect(),
            _ => Vec::new(),
        };
        let current = match existing_links.get(&app_id) {
            Some(v) if found => v
                .iter()
                .zip(&link_states)
                .map(|((_, l), st)| (l.category_id, (*l, st.as_ref())))
                .collect(),
            _ => BTreeMap::new(),
        };
        let removed: BTreeMap<RowId, &Removed<AppCategory>> = match removed_links.get(&app_id) {
            Some(v) if found => v.iter().map(|l| (l.row.category_id, *l)).collect(),
            _ => BTreeMap::new(),
        };
        let slug = app.row.slug.clone();
        let links = reconcile_children(
            layout,
            expected,
            current,
            &removed,
            frozen,
            mode,
            &mut own,
            |l| (format!("{slug} -> {}", category_key(&l.category_id)), None),
            |_, _| {},
        );

        let expected: BTreeMap<(Language, i32), Screenshot> = input_shots
            .remove(&input_id)
            .unwrap_or_default()
            .into_iter()
            .map(|s| ((s.language, s.sort_order), Screenshot { app_id, ..s }))
            .collect();
        let shot_states: Vec<Option<RowState>> = match existing_shots.get(&app_id) {
            Some(v) if found => v
                .iter()
                .map(|(i, _)| with_state(*i, &existing.states.screenshots))
                .collect(),
            _ => Vec::new(),
        };
        let current = match existing_shots.get(&app_id) {
            Some(v) if found => v
                .iter()
                .zip(&shot_states)
                .map(|((_, s), st)| ((s.language, s.sort_order), (*s, st.as_ref())))
                .collect(),
            _ => BTreeMap::new(),
        };
        let removed: BTreeMap<(Language, i32), &Removed<Screenshot>> =
            match removed_shots.get(&app_id) {
                Some(v) if found => v
                    .iter()
                    .map(|s| ((s.row.language, s.row.sort_order), *s))
                    .collect(),
                _ => BTreeMap::new(),
            };
        let screenshots = reconcile_children(
            layout,
            expected,
            current,
            &removed,
            frozen,
            mode,
            &mut own,
            |s| {
                (
                    format!("{slug} {} #{}", s.language.as_str(), s.sort_order),
                    Some(s.id),
                )
            },
            |want, have| {
                want.id = have.id;
            },
        );

        apps.push(AppPlan {
            app,
            links,
            screenshots,
        });
    }

    let mut names = Names::default();
    for c in &developers {
        names.developers.insert(c.row.id, c.row.key.clone());
    }
    // Existing categories outside the input still name links.
    for c in existing
        .categories
        .iter()
        .chain(categories.iter().map(|c| &c.row))
    {
        names.categories.insert(c.id, c.key.clone());
    }
    for a in &apps {
        names.apps.insert(a.app.row.id, a.app.row.slug.clone());
        names
            .app_sources
            .insert(a.app.row.id, a.app.row.source_id.clone());
    }
    Ok(Plan {
        developers,
        categories,
        apps,
        names,
        warnings: ids.warnings,
        left_as_they_are: Vec::new(),
        conflicts: own.conflicts,
    })
}

/// A conflict on an app's `developer_id` names both developers (by name and id, or as the new
/// row the load would add), not only their ids.
fn name_developers_in_conflicts<L: Layout>(
    layout: &L,
    conflicts: &mut [Conflict],
    apps: &[Change<App>],
    existing: &Rows,
    developers: &[Change<Developer>],
) {
    let table = TableOf::<App>::table(layout).name;
    let existing_name: HashMap<RowId, &str> = existing
        .developers
        .iter()
        .map(|d| (d.id, d.name_en.as_str()))
        .collect();
    let name = |id: &RowId| -> String {
        if let Some(n) = existing_name.get(id) {
            return format!("{n} (id {id})");
        }
        match developers.iter().find(|d| d.row.id == *id) {
            Some(d) if d.action == Action::Insert => format!("{} (a new row)", d.row.name_en),
            Some(d) => format!("{} (id {id})", d.row.name_en),
            None => format!("id {id}"),
        }
    };
    for c in conflicts
        .iter_mut()
        .filter(|c| c.table == table && c.column == Some("developer_id"))
    {
        if let Some(app) = apps.iter().find(|a| Some(a.row.id) == c.id) {
            c.file = serde_json::Value::String(name(&app.row.developer_id));
            if let Some(before) = &app.before {
                c.database = serde_json::Value::String(name(&before.developer_id));
            }
            c.differs_at = None;
        }
    }
}

impl Plan {
    /// Per table, in load order: the rows the run does not write whose ownership record it
    /// changes (journalled as adoptions).
    pub fn adoptions(&self) -> [usize; 5] {
        fn n<T>(changes: &[Change<T>]) -> usize {
            changes
                .iter()
                .filter(|c| c.record && !c.action.writes())
                .count()
        }
        let mut out = [n(&self.developers), n(&self.categories), 0, 0, 0];
        for a in &self.apps {
            out[2] += n(std::slice::from_ref(&a.app));
            out[3] += n(&a.links);
            out[4] += n(&a.screenshots);
        }
        out
    }

    /// The fields the run leaves as the database has them, by a person's decision (the kept
    /// maps of the rows it writes or adopts, and of the rows whose decisions stand).
    pub fn kept_fields(&self) -> usize {
        fn n<T>(changes: &[Change<T>]) -> usize {
            changes.iter().map(|c| c.kept.len()).sum()
        }
        let mut total = n(&self.developers) + n(&self.categories);
        for a in &self.apps {
            total += n(std::slice::from_ref(&a.app)) + n(&a.links) + n(&a.screenshots);
        }
        total
    }

    /// The conflicts that were settled, as the run records them.
    pub fn decisions(&self) -> Vec<&Conflict> {
        self.conflicts.iter().filter(|c| c.settled()).collect()
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for d in &self.developers {
            c.developers.add(d.action);
        }
        for d in &self.categories {
            c.categories.add(d.action);
        }
        for a in &self.apps {
            c.apps.add(a.app.action);
            for l in &a.links {
                c.app_categories.add(l.action);
            }
            for s in &a.screenshots {
                c.screenshots.add(s.action);
            }
        }
        c
    }

    /// Gives the rows the plan inserts the keys `new_key` hands out (a layout whose keys the
    /// database assigns), and their references the same: called once, before anything is
    /// written, with the entity and the number of rows it inserts.
    pub fn renumber(&mut self, mut new_key: impl FnMut(Entity, usize) -> Vec<RowId>) {
        fn assign<T>(
            rows: Vec<&mut Change<T>>,
            keys: Vec<RowId>,
            id: impl Fn(&mut T) -> &mut RowId,
        ) -> HashMap<RowId, RowId> {
            let mut map = HashMap::new();
            for (c, k) in rows.into_iter().zip(keys) {
                let old = std::mem::replace(id(&mut c.row), k);
                map.insert(old, k);
            }
            map
        }
        let inserts = |a: &Action| *a == Action::Insert;
        let devs: Vec<&mut Change<Developer>> = self
            .developers
            .iter_mut()
            .filter(|c| inserts(&c.action))
            .collect();
        let keys = new_key(Entity::Developers, devs.len());
        let devs = assign(devs, keys, |r| &mut r.id);
        let cats: Vec<&mut Change<Category>> = self
            .categories
            .iter_mut()
            .filter(|c| inserts(&c.action))
            .collect();
        let keys = new_key(Entity::Categories, cats.len());
        let cats = assign(cats, keys, |r| &mut r.id);
        let apps: Vec<&mut Change<App>> = self
            .apps
            .iter_mut()
            .map(|a| &mut a.app)
            .filter(|c| inserts(&c.action))
            .collect();
        let keys = new_key(Entity::Apps, apps.len());
        let apps = assign(apps, keys, |r| &mut r.id);
        let shots: Vec<&mut Change<Screenshot>> = self
            .apps
            .iter_mut()
            .flat_map(|a| a.screenshots.iter_mut())
            .filter(|c| inserts(&c.action))
            .collect();
        let keys = new_key(Entity::Screenshots, shots.len());
        assign(shots, keys, |r| &mut r.id);
        let follow = |map: &HashMap<RowId, RowId>, id: &mut RowId| {
            if let Some(k) = map.get(id) {
                *id = *k;
            }
        };
        for a in &mut self.apps {
            follow(&devs, &mut a.app.row.developer_id);
            for l in &mut a.links {
                follow(&apps, &mut l.row.app_id);
                follow(&cats, &mut l.row.category_id);
            }
            for s in &mut a.screenshots {
                follow(&apps, &mut s.row.app_id);
            }
        }
        for (map, names) in [
            (&devs, &mut self.names.developers),
            (&cats, &mut self.names.categories),
            (&apps, &mut self.names.apps),
            (&apps, &mut self.names.app_sources),
        ] {
            for (old, new) in map {
                if let Some(n) = names.remove(old) {
                    names.insert(*new, n);
                }
            }
        }
    }

    /// The rows the plan's entities have after the run (what the post-load check expects).
    pub fn final_rows(&self) -> Rows {
        let mut rows = Rows {
            developers: self
                .developers
                .iter()
                .filter_map(|c| c.after().cloned())
                .collect(),
            categories: self
                .categories
                .iter()
                .filter_map(|c| c.after().cloned())
                .collect(),
            ..Rows::default()
        };
        for a in &self.apps {
            rows.apps.extend(a.app.after().cloned());
            rows.app_categories
                .extend(a.links.iter().filter_map(|c| c.after().cloned()));
            rows.screenshots
                .extend(a.screenshots.iter().filter_map(|c| c.after().cloned()));
        }
        rows
    }

    /// The rows to read back after the load: the plan's entities by their final ids.
    pub fn scope(&self) -> Scope {
        Scope {
            developer_ids: self.developers.iter().map(|c| c.row.id).collect(),
            category_ids: self.categories.iter().map(|c| c.row.id).collect(),
            app_ids: self.apps.iter().map(|a| a.app.row.id).collect(),
            ..Scope::default()
        }
    }

    /// Human-readable lines, one per row the plan touches (`with_unchanged` adds the rest of
    /// the developers, categories and apps).
    pub fn describe(&self, with_unchanged: bool) -> Vec<String> {
        let mut out = Vec::new();
        let show = |a: Action| with_unchanged || a != Action::Unchanged;
        for c in &self.developers {
            if show(c.action) {
                out.push(format!(
                    "{:<9} developer {} ({}) id {}{}",
                    c.action.as_str(),
                    c.row.key,
                    c.row.name_en,
                    c.row.id,
                    fields_suffix(&c.fields)
                ));
            }
        }
        for c in &self.categories {
            if show(c.action) {
                out.push(format!(
                    "{:<9} category {} ({}) id {}{}",
                    c.action.as_str(),
                    c.row.key,
                    c.row.name_en,
                    c.row.id,
                    fields_suffix(&c.fields)
                ));
            }
        }
        for a in &self.apps {
            let slug = &a.app.row.slug;
            if show(a.app.action) {
                out.push(format!(
                    "{:<9} app {} (source {}) id {}{}",
                    a.app.action.as_str(),
                    slug,
                    a.app.row.source_id,
                    a.app.row.id,
                    fields_suffix(&a.app.fields)
                ));
            }
            for l in &a.links {
                if l.action != Action::Unchanged {
                    out.push(format!(
                        "{:<9} app_category {} -> {} (position {})",
                        l.action.as_str(),
                        slug,
                        self.names.category(&l.row.category_id),
                        l.row.sort_order
                    ));
                }
            }
            for s in &a.screenshots {
                if s.action != Action::Unchanged {
                    out.push(format!(
                        "{:<9} screenshot {} {} #{} {}{}",
                        s.action.as_str(),
                        slug,
                        s.row.language.as_str(),
                        s.row.sort_order,
                        s.row.url,
                        fields_suffix(&s.fields)
                    ));
                }
            }
        }
        out
    }
}

fn fields_suffix(fields: &[&'static str]) -> String {
    if fields.is_empty() {
        String::new()
    } else {
        format!(": {}", fields.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::qa_load::QaLoad;
    use qad_core::Rating;
    use uuid::Uuid;

    fn dev(key: &str) -> Developer {
        Developer {
            id: RowId::from(Uuid::new_v5(&Uuid::NAMESPACE_OID, key.as_bytes())),
            key: key.into(),
            name_en: key.to_uppercase(),
            name_ar: None,
            website: None,
            logo_url: None,
        }
    }

    fn cat(key: &str, order: i32) -> Category {
        Category {
            id: RowId::from(Uuid::new_v5(&Uuid::NAMESPACE_DNS, key.as_bytes())),
            key: key.into(),
            name_en: key.into(),
            name_ar: None,
            icon_svg: None,
            sort_order: order,
        }
    }

    fn app(slug: &str, dev: &Developer) -> App {
        App {
            id: RowId::from(Uuid::new_v5(&Uuid::NAMESPACE_URL, slug.as_bytes())),
            slug: slug.into(),
            source_id: format!("src_{slug}"),
            name_en: slug.into(),
            name_ar: "تطبيق".into(),
            short_description_en: None,
            short_description_ar: None,
            description_en: None,
            description_ar: None,
            status: Some("Done".into()),
            sort_order: 1,
            avg_rating: Some(Rating(450)),
            developer_id: dev.id,
            application_icon_url: None,
            main_image_en_url: None,
            main_image_ar_url: None,
            google_play_url: None,
            app_store_url: None,
            app_gallery_url: None,
            developer_logo_url: None,
        }
    }

    fn shot(a: &App, lang: Language, order: i32, url: &str) -> Screenshot {
        Screenshot {
            id: RowId::from(Uuid::new_v5(
                &Uuid::NAMESPACE_X500,
                format!("{}{:?}{order}", a.slug, lang).as_bytes(),
            )),
            app_id: a.id,
            language: lang,
            url: url.into(),
            sort_order: order,
        }
    }

    fn dataset() -> Dataset {
        let d = dev("acme");
        let (c1, c2) = (cat("mushaf", 0), cat("tools", 1));
        let a = app("quran-one", &d);
        Dataset {
            app_categories: vec![
                AppCategory {
                    app_id: a.id,
                    category_id: c1.id,
                    sort_order: 0,
                },
                AppCategory {
                    app_id: a.id,
                    category_id: c2.id,
                    sort_order: 1,
                },
            ],
            screenshots: vec![
                shot(&a, Language::En, 0, "https://x/en0.png"),
                shot(&a, Language::En, 1, "https://x/en1.png"),
            ],
            developers: vec![d],
            categories: vec![c1, c2],
            apps: vec![a],
        }
    }

    fn as_rows(ds: &Dataset) -> Rows {
        Rows {
            developers: ds.developers.clone(),
            categories: ds.categories.clone(),
            apps: ds.apps.clone(),
            app_categories: ds.app_categories.clone(),
            screenshots: ds.screenshots.clone(),
            ..Rows::default()
        }
    }

    /// `rows` as the ownership record has them: every row written by qa-load as it is now.
    fn recorded(mut rows: Rows) -> Rows {
        fn states<T>(rows: &[T]) -> Vec<RowState>
        where
            QaLoad: TableOf<T>,
        {
            rows.iter()
                .map(|r| RowState {
                    written: Some(QaLoad.stored(r)),
                    as_written: true,
                    run: Some("20250101T000000Z-000000".into()),
                    ..RowState::default()
                })
                .collect()
        }
        rows.states = crate::layout::States {
            developers: states(&rows.developers),
            categories: states(&rows.categories),
            apps: states(&rows.apps),
            app_categories: states(&rows.app_categories),
            screenshots: states(&rows.screenshots),
        };
        rows
    }

    fn build(
        layout: &QaLoad,
        ds: Dataset,
        variants: &[DeveloperVariants],
        existing: &Rows,
        mode: OnExisting,
    ) -> Result<Plan, PlanError> {
        super::build(layout, ds, variants, existing, mode, &Decisions::default())
    }

    #[test]
    fn empty_database_inserts_everything() {
        let ds = dataset();
        let plan = build(
            &QaLoad,
            ds.clone(),
            &[],
            &Rows::default(),
            OnExisting::Update,
        )
        .unwrap();
        let c = plan.counts();
        assert_eq!(c.developers.inserted, 1);
        assert_eq!(c.apps.inserted, 1);
        assert_eq!(c.app_categories.inserted, 2);
        assert_eq!(c.screenshots.inserted, 2);
        assert_eq!(c.writes(), 8);
        assert_eq!(plan.final_rows(), as_rows(&ds));
    }

    #[test]
    fn identical_database_changes_nothing() {
        let ds = dataset();
        let plan = build(
            &QaLoad,
            ds.clone(),
            &[],
            &recorded(as_rows(&ds)),
            OnExisting::Update,
        )
        .unwrap();
        assert_eq!(plan.counts().writes(), 0);
        assert_eq!(plan.counts().screenshots.unchanged, 2);
    }

    #[test]
    fn edits_update_only_what_changed_and_reconcile_children() {
        let ds = dataset();
        let mut db = as_rows(&ds);
        // The database has an old name, an extra screenshot, a stale url and a stale link order.
        db.apps[0].name_en = "Old".into();
        db.screenshots[1].url = "https://x/old.png".into();
        let extra = shot(&ds.apps[0], Language::Ar, 0, "https://x/ar0.png");
        db.screenshots.push(extra.clone());
        db.app_categories[1].sort_order = 5;
        let plan = build(
            &QaLoad,
            ds.clone(),
            &[],
            &recorded(db.clone()),
            OnExisting::Update,
        )
        .unwrap();
        let c = plan.counts();
        assert_eq!((c.apps.updated, c.apps.unchanged), (1, 0));
        assert_eq!(plan.apps[0].app.fields, vec!["name_en"]);
        assert_eq!(
            (
                c.screenshots.updated,
                c.screenshots.deleted,
                c.screenshots.unchanged
            ),
            (1, 1, 1)
        );
        assert_eq!(
            (c.app_categories.updated, c.app_categories.unchanged),
            (1, 1)
        );
        assert_eq!(c.developers.unchanged, 1);
        assert_eq!(plan.final_rows().screenshots.len(), 2);

        // Skip mode leaves the existing app and everything under it alone.
        let plan = build(
            &QaLoad,
            ds.clone(),
            &[],
            &recorded(db.clone()),
            OnExisting::Skip,
        )
        .unwrap();
        let c = plan.counts();
        assert_eq!(c.writes(), 0);
        assert_eq!(c.apps.skipped, 1);
        assert_eq!(plan.final_rows().screenshots.len(), 3);
        assert!(plan.final_rows().screenshots.contains(&extra));
    }

    #[test]
    fn rows_found_by_natural_key_keep_their_ids_and_references_follow() {
        let ds = dataset();
        let mut db = as_rows(&ds);
        let other_dev = RowId::from(Uuid::new_v4());
        let other_app = RowId::from(Uuid::new_v4());
        db.developers[0].id = other_dev;
        db.apps[0].id = other_app;
        db.apps[0].developer_id = other_dev;
        for l in &mut db.app_categories {
            l.app_id = other_app;
        }
        for s in &mut db.screenshots {
            s.app_id = other_app;
        }
        let plan = build(
            &QaLoad,
            ds.clone(),
            &[],
            &recorded(db.clone()),
            OnExisting::Update,
        )
        .unwrap();
        assert_eq!(plan.counts().writes(), 0, "{:?}", plan.describe(false));
        assert_eq!(plan.apps[0].app.row.id, other_app);
        assert_eq!(plan.apps[0].app.row.developer_id, other_dev);
    }

    #[test]
    fn a_developer_renamed_in_the_source_is_found_by_its_website_not_duplicated() {
        let mut ds = dataset();
        ds.developers[0].website = Some("https://acme.example".into());
        let db = as_rows(&ds);
        let mut renamed = ds.clone();
        let new = dev("acme labs");
        renamed.developers[0] = Developer {
            website: ds.developers[0].website.clone(),
            ..new.clone()
        };
        renamed.apps[0].developer_id = new.id;
        let plan = build(
            &QaLoad,
            renamed,
            &[],
            &recorded(db.clone()),
            OnExisting::Update,
        )
        .unwrap();
        let c = plan.counts();
        assert_eq!((c.developers.inserted, c.developers.updated), (0, 1));
        assert_eq!(plan.developers[0].row.id, db.developers[0].id);
        assert_eq!(plan.developers[0].fields, vec!["key", "name_en"]);
        assert_eq!(plan.apps[0].app.row.developer_id, db.developers[0].id);
        assert_eq!(c.apps.unchanged, 1, "its app still points to the same row");

        // A website two existing rows share names neither.
        let mut db2 = db.clone();
        let twin = Developer {
            website: ds.developers[0].website.clone(),
            ..dev("acme twin")
        };
        db2.developers.push(twin);
        let mut renamed = ds.clone();
        renamed.developers[0] = Developer {
            website: ds.developers[0].website.clone(),
            ..new.clone()
        };
        renamed.apps[0].developer_id = new.id;
        let plan = build(
            &QaLoad,
            renamed,
            &[],
            &recorded(db2.clone()),
            OnExisting::Update,
        )
        .unwrap();
        assert_eq!(plan.counts().developers.inserted, 1);
    }

    #[test]
    fn a_renamed_app_is_found_by_source_id_and_clashes_are_refused() {
        let ds = dataset();
        let mut db = as_rows(&ds);
        db.apps[0].slug = "old-slug".into();
        let plan = build(
            &QaLoad,
            ds.clone(),
            &[],
            &recorded(db.clone()),
            OnExisting::Update,
        )
        .unwrap();
        assert_eq!(plan.apps[0].app.action, Action::Update);
        assert_eq!(plan.apps[0].app.fields, vec!["slug"]);

        // Slug and source id pointing at two different rows.
        let mut db = as_rows(&ds);
        let mut other = db.apps[0].clone();
        other.id = RowId::from(Uuid::new_v4());
        other.slug = "someone-else".into();
        db.apps[0].source_id = "different".into();
        other.source_id = ds.apps[0].source_id.clone();
        db.apps.push(other);
        let err = build(
            &QaLoad,
            ds.clone(),
            &[],
            &recorded(db.clone()),
            OnExisting::Update,
        )
        .unwrap_err();
        assert!(err.to_string().contains("someone-else"), "{err}");
    }

    #[test]
    fn a_field_someone_else_changed_is_a_conflict_settled_only_by_a_decision() {
        let ds = dataset();
        // qa-load wrote the dataset; then someone changed an app's name and added a screenshot.
        let mut db = recorded(as_rows(&ds));
        db.apps[0].name_en = "Repaired".into();
        let extra = shot(&ds.apps[0], Language::Ar, 0, "https://x/ar0.png");
        db.screenshots.push(extra.clone());
        db.states.screenshots.push(RowState::default());
        let plan_with = |on: conflicts::OnConflict| {
            super::build(
                &QaLoad,
                ds.clone(),
                &[],
                &db,
                OnExisting::Update,
                &Decisions::new(on, Vec::new()),
            )
            .unwrap()
        };
        let refused = plan_with(conflicts::OnConflict::Refuse);
        let open: Vec<_> = refused
            .conflicts
            .iter()
            .map(|c| (c.table, c.column, c.settled()))
            .collect();
        assert_eq!(
            open,
            vec![
                ("apps", Some("name_en"), false),
                ("screenshots", None, false)
            ]
        );
        assert_eq!(refused.conflicts[0].database, "Repaired");
        assert_eq!(refused.conflicts[0].file, "quran-one");
        assert_eq!(refused.conflicts[0].last_written, "quran-one");
        // Nothing of it is planned as a write.
        assert_eq!(refused.counts().writes(), 0);

        let kept = plan_with(conflicts::OnConflict::KeepDatabase);
        assert_eq!(kept.counts().writes(), 0);
        let app = &kept.apps[0].app;
        assert!(app.record && app.kept.contains_key("name_en"));
        assert!(kept.apps[0]
            .screenshots
            .iter()
            .any(|s| s.kept.contains_key(conflicts::WHOLE_ROW)));

        let used = plan_with(conflicts::OnConflict::UseFile);
        let c = used.counts();
        assert_eq!((c.apps.updated, c.screenshots.deleted), (1, 1));
        assert_eq!(used.apps[0].app.fields, vec!["name_en"]);
    }
}
