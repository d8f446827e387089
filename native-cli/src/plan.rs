//! What a load will do, computed in memory from the dataset and the existing rows: for every
//! row, insert, update (with the fields that differ), unchanged, skip, or delete (links and
//! screenshots of the input's apps that the input no longer has). Pure, no I/O.
//!
//! Existing rows are found by natural key: developers and categories by `key` (then by id),
//! apps by `slug`, then `source_id`, then id; a found row keeps its id, and references to it
//! are rewritten to that id. Links are matched by `(app, category)`, screenshots by
//! `(app, language, sort_order)`.

use std::collections::{BTreeMap, HashMap, HashSet};

use qad_core::{
    App, AppCategory, Category, Dataset, Developer, DeveloperVariants, Language, Screenshot,
};
use serde::Serialize;
use uuid::Uuid;

use crate::layout::{show_key, Entity, Layout, Rows, Scope, TableOf};

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
    /// Update / Skip: the columns that differ.
    pub fields: Vec<&'static str>,
}

/// The rows of `changes` whose action is `action`, in order: what one write statement takes.
pub fn rows_with<'a, T: 'a>(
    changes: impl IntoIterator<Item = &'a Change<T>>,
    action: Action,
) -> Vec<&'a T> {
    changes
        .into_iter()
        .filter(|c| c.action == action)
        .map(|c| &c.row)
        .collect()
}

impl<T> Change<T> {
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
}

/// id → natural key, for messages and comparisons.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub developers: HashMap<Uuid, String>,
    pub categories: HashMap<Uuid, String>,
    pub apps: HashMap<Uuid, String>,
    /// app id → source id (for log lines).
    pub app_sources: HashMap<Uuid, String>,
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

    pub fn developer(&self, id: &Uuid) -> String {
        self.developers
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("id:{id}"))
    }
    pub fn category(&self, id: &Uuid) -> String {
        self.categories
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("id:{id}"))
    }
    pub fn app(&self, id: &Uuid) -> String {
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

fn decide<T: Clone>(
    target: T,
    existing: Option<&T>,
    fields: Vec<&'static str>,
    mode: OnExisting,
) -> Change<T> {
    match existing {
        None => Change {
            action: Action::Insert,
            row: target,
            before: None,
            fields: Vec::new(),
        },
        Some(e) => {
            let action = if fields.is_empty() {
                Action::Unchanged
            } else if mode == OnExisting::Skip {
                Action::Skip
            } else {
                Action::Update
            };
            Change {
                action,
                row: target,
                before: Some(e.clone()),
                fields,
            }
        }
    }
}

/// Matches keyed rows: by natural key first, then by id. Refuses two input rows landing on one
/// existing row.
fn claim<'a, T>(
    used: &mut HashSet<Uuid>,
    what: &str,
    key: &str,
    found: Option<&'a T>,
    id_of: impl Fn(&T) -> Uuid,
) -> Result<Option<&'a T>, PlanError> {
    if let Some(e) = found {
        if !used.insert(id_of(e)) {
            return Err(PlanError::Conflict(format!(
                "two {what} of the input resolve to the same existing row (id {}); the second is {key:?}",
                id_of(e)
            )));
        }
    }
    Ok(found)
}

/// The existing row the layout identified the dataset row `id` as.
fn found_in<'a, T>(
    ids: &HashMap<Uuid, Uuid>,
    id: &Uuid,
    by_id: &HashMap<Uuid, &'a T>,
) -> Option<&'a T> {
    ids.get(id).and_then(|e| by_id.get(e).copied())
}

/// Computes the plan. Takes the dataset by value: its rows move into the plan.
pub fn build<L: Layout>(
    layout: &L,
    ds: Dataset,
    variants: &[DeveloperVariants],
    existing: &Rows,
    mode: OnExisting,
) -> Result<Plan, PlanError> {
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
    let mut names = Names::default();

    // Developers.
    let dev_by_id: HashMap<Uuid, &Developer> =
        existing.developers.iter().map(|d| (d.id, d)).collect();
    let mut dev_map: HashMap<Uuid, Uuid> = HashMap::new();
    let mut used = HashSet::new();
    let mut developers = Vec::with_capacity(ds_developers.len());
    for d in ds_developers {
        let found = found_in(&ids.developers, &d.id, &dev_by_id);
        let found = claim(&mut used, "developers", &d.key, found, |e| e.id)?;
        let target = Developer {
            id: found.map(|e| e.id).unwrap_or(d.id),
            ..d.clone()
        };
        let fields = found
            .map(|e| TableOf::<Developer>::differing(layout, e, &target))
            .unwrap_or_default();
        dev_map.insert(d.id, target.id);
        names.developers.insert(target.id, target.key.clone());
        developers.push(decide(target, found, fields, mode));
    }

    // Categories.
    let cat_by_id: HashMap<Uuid, &Category> =
        existing.categories.iter().map(|c| (c.id, c)).collect();
    let mut cat_map: HashMap<Uuid, Uuid> = HashMap::new();
    let mut used = HashSet::new();
    let mut categories = Vec::with_capacity(ds_categories.len());
    for c in ds_categories {
        let found = found_in(&ids.categories, &c.id, &cat_by_id);
        let found = claim(&mut used, "categories", &c.key, found, |e| e.id)?;
        let target = Category {
            id: found.map(|e| e.id).unwrap_or(c.id),
            ..c.clone()
        };
        let fields = found
            .map(|e| TableOf::<Category>::differing(layout, e, &target))
            .unwrap_or_default();
        cat_map.insert(c.id, target.id);
        names.categories.insert(target.id, target.key.clone());
        categories.push(decide(target, found, fields, mode));
    }
    // Existing categories outside the input still name links.
    for c in &existing.categories {
        names
            .categories
            .entry(c.id)
            .or_insert_with(|| c.key.clone());
    }

    // Apps, with their links and screenshots.
    let app_by_id: HashMap<Uuid, &App> = existing.apps.iter().map(|a| (a.id, a)).collect();
    let mut links_by_app: HashMap<Uuid, Vec<&AppCategory>> = HashMap::new();
    for l in &existing.app_categories {
        links_by_app.entry(l.app_id).or_default().push(l);
    }
    let mut shots_by_app: HashMap<Uuid, Vec<&Screenshot>> = HashMap::new();
    for s in &existing.screenshots {
        shots_by_app.entry(s.app_id).or_default().push(s);
    }
    let mut ds_links: HashMap<Uuid, Vec<AppCategory>> = HashMap::new();
    for l in ds_app_categories {
        ds_links.entry(l.app_id).or_default().push(l);
    }
    let mut ds_shots: HashMap<Uuid, Vec<Screenshot>> = HashMap::new();
    for s in ds_screenshots {
        ds_shots.entry(s.app_id).or_default().push(s);
    }

    let mut used = HashSet::new();
    let mut apps = Vec::with_capacity(ds_apps.len());
    for a in ds_apps {
        let found = found_in(&ids.apps, &a.id, &app_by_id);
        let found = claim(&mut used, "apps", &a.slug, found, |e| e.id)?;
        let developer_id = *dev_map.get(&a.developer_id).ok_or_else(|| {
            PlanError::Conflict(format!(
                "app {:?} refers to developer id {} which is not in the dataset",
                a.slug, a.developer_id
            ))
        })?;
        let dataset_id = a.id;
        let slug = a.slug.clone();
        let target = App {
            id: found.map(|e| e.id).unwrap_or(a.id),
            slug: ids.app_slugs.remove(&a.id).unwrap_or(a.slug),
            developer_id,
            ..a
        };
        let fields = found
            .map(|e| TableOf::<App>::differing(layout, e, &target))
            .unwrap_or_default();
        let app_id = target.id;
        names.apps.insert(app_id, target.slug.clone());
        names.app_sources.insert(app_id, target.source_id.clone());
        let app_change = decide(target, found, fields, mode);
        // In skip mode an existing app is left as it is, links and screenshots included.
        let frozen = found.is_some() && mode == OnExisting::Skip;

        // Links: by category.
        let mut expected: BTreeMap<Uuid, AppCategory> = BTreeMap::new();
        for l in ds_links.remove(&dataset_id).unwrap_or_default() {
            let category_id = *cat_map.get(&l.category_id).ok_or_else(|| {
                PlanError::Conflict(format!(
                    "app {:?} links category id {} which is not in the dataset",
                    slug, l.category_id
                ))
            })?;
            expected.insert(
                category_id,
                AppCategory {
                    app_id,
                    category_id,
                    sort_order: l.sort_order,
                },
            );
        }
        let current: BTreeMap<Uuid, &AppCategory> = if found.is_some() {
            links_by_app
                .get(&app_id)
                .map(|v| v.iter().map(|l| (l.category_id, *l)).collect())
                .unwrap_or_default()
        } else {
            BTreeMap::new()
        };
        let mut links = Vec::with_capacity(expected.len());
        for (cat, want) in &expected {
            let have = current.get(cat).copied();
            let fields = have
                .map(|h| TableOf::<AppCategory>::differing(layout, h, want))
                .unwrap_or_default();
            let mut change = decide(want.clone(), have, fields, mode);
            if frozen && change.action != Action::Unchanged {
                change.action = Action::Skip;
            }
            links.push(change);
        }
        for (cat, have) in &current {
            if !expected.contains_key(cat) {
                links.push(Change {
                    action: if frozen { Action::Skip } else { Action::Delete },
                    row: (*have).clone(),
                    before: Some((*have).clone()),
                    fields: Vec::new(),
                });
            }
        }

        // Screenshots: by (language, position).
        let mut expected: BTreeMap<(Language, i32), Screenshot> = BTreeMap::new();
        for s in ds_shots.remove(&dataset_id).unwrap_or_default() {
            expected.insert((s.language, s.sort_order), Screenshot { app_id, ..s });
        }
        let current: BTreeMap<(Language, i32), &Screenshot> = if found.is_some() {
            shots_by_app
                .get(&app_id)
                .map(|v| v.iter().map(|s| ((s.language, s.sort_order), *s)).collect())
                .unwrap_or_default()
        } else {
            BTreeMap::new()
        };
        let mut screenshots = Vec::with_capacity(expected.len());
        for (k, want) in expected {
            let have = current.get(&k).copied();
            let want = Screenshot {
                id: have.map(|h| h.id).unwrap_or(want.id),
                ..want
            };
            let fields = have
                .map(|h| TableOf::<Screenshot>::differing(layout, h, &want))
                .unwrap_or_default();
            let mut change = decide(want, have, fields, mode);
            if frozen && change.action != Action::Unchanged {
                change.action = Action::Skip;
            }
            screenshots.push(change);
        }
        for (k, have) in &current {
            if !screenshots
                .iter()
                .any(|c: &Change<Screenshot>| (c.row.language, c.row.sort_order) == *k)
            {
                screenshots.push(Change {
                    action: if frozen { Action::Skip } else { Action::Delete },
                    row: (*have).clone(),
                    before: Some((*have).clone()),
                    fields: Vec::new(),
                });
            }
        }

        apps.push(AppPlan {
            app: app_change,
            links,
            screenshots,
        });
    }

    Ok(Plan {
        developers,
        categories,
        apps,
        names,
        warnings: ids.warnings,
        left_as_they_are: Vec::new(),
    })
}

impl Plan {
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
    pub fn renumber(&mut self, mut new_key: impl FnMut(Entity, usize) -> Vec<Uuid>) {
        fn assign<T>(
            rows: Vec<&mut Change<T>>,
            keys: Vec<Uuid>,
            id: impl Fn(&mut T) -> &mut Uuid,
        ) -> HashMap<Uuid, Uuid> {
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
        let follow = |map: &HashMap<Uuid, Uuid>, id: &mut Uuid| {
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
                    show_key(&c.row.id),
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
                    show_key(&c.row.id),
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
                    show_key(&a.app.row.id),
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

    fn dev(key: &str) -> Developer {
        Developer {
            id: Uuid::new_v5(&Uuid::NAMESPACE_OID, key.as_bytes()),
            key: key.into(),
            name_en: key.to_uppercase(),
            name_ar: None,
            website: None,
            logo_url: None,
        }
    }

    fn cat(key: &str, order: i32) -> Category {
        Category {
            id: Uuid::new_v5(&Uuid::NAMESPACE_DNS, key.as_bytes()),
            key: key.into(),
            name_en: key.into(),
            name_ar: None,
            icon_svg: None,
            sort_order: order,
        }
    }

    fn app(slug: &str, dev: &Developer) -> App {
        App {
            id: Uuid::new_v5(&Uuid::NAMESPACE_URL, slug.as_bytes()),
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
            id: Uuid::new_v5(
                &Uuid::NAMESPACE_X500,
                format!("{}{:?}{order}", a.slug, lang).as_bytes(),
            ),
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
        }
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
        let plan = build(&QaLoad, ds.clone(), &[], &as_rows(&ds), OnExisting::Update).unwrap();
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
        let plan = build(&QaLoad, ds.clone(), &[], &db, OnExisting::Update).unwrap();
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
        let plan = build(&QaLoad, ds.clone(), &[], &db, OnExisting::Skip).unwrap();
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
        let other_dev = Uuid::new_v4();
        let other_app = Uuid::new_v4();
        db.developers[0].id = other_dev;
        db.apps[0].id = other_app;
        db.apps[0].developer_id = other_dev;
        for l in &mut db.app_categories {
            l.app_id = other_app;
        }
        for s in &mut db.screenshots {
            s.app_id = other_app;
        }
        let plan = build(&QaLoad, ds.clone(), &[], &db, OnExisting::Update).unwrap();
        assert_eq!(plan.counts().writes(), 0, "{:?}", plan.describe(false));
        assert_eq!(plan.apps[0].app.row.id, other_app);
        assert_eq!(plan.apps[0].app.row.developer_id, other_dev);
    }

    #[test]
    fn a_renamed_app_is_found_by_source_id_and_clashes_are_refused() {
        let ds = dataset();
        let mut db = as_rows(&ds);
        db.apps[0].slug = "old-slug".into();
        let plan = build(&QaLoad, ds.clone(), &[], &db, OnExisting::Update).unwrap();
        assert_eq!(plan.apps[0].app.action, Action::Update);
        assert_eq!(plan.apps[0].app.fields, vec!["slug"]);

        // Slug and source id pointing at two different rows.
        let mut db = as_rows(&ds);
        let mut other = db.apps[0].clone();
        other.id = Uuid::new_v4();
        other.slug = "someone-else".into();
        db.apps[0].source_id = "different".into();
        other.source_id = ds.apps[0].source_id.clone();
        db.apps.push(other);
        let err = build(&QaLoad, ds.clone(), &[], &db, OnExisting::Update).unwrap_err();
        assert!(err.to_string().contains("someone-else"), "{err}");
    }
}
