//! qa-load's own tables: the first [`Layout`]. Keys are UUIDs (v5 of each row's natural key
//! when qa-load creates the row); qa-load creates and migrates the tables itself
//! (`migrations/qa-load/`). Rows are found by natural key: developers by `key`, then id, then
//! a website only one unclaimed row has; categories by `key`, then id; apps by `slug`, then
//! `source_id`, then id.

use std::collections::HashMap;

use anyhow::Result;
use qad_core::{
    App, AppCategory, Category, Dataset, Developer, DeveloperVariants, RowId, Screenshot,
};
use tokio_postgres::GenericClient;
use uuid::Uuid;

use crate::bookkeeping::SchemaMigration;
use crate::layout::{
    read_rows, read_with_state, scope_rows, Entity, Identified, IdentifyError, Layout, LayoutName,
    Relation, Rows, Scope, Table, TableExt, TableOf, Tables,
};
use crate::table_of;

/// qa-load's own tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct QaLoad;

table_of!(QaLoad, Developer, DEVELOPERS = "developers", key ["id"]: Uuid,
    timestamps: true, belongs_to: None, label: "t.key", ext: TableExt::OWNED,
    { id: check, key: check, name_en, name_ar, website: url, logo_url: url });

table_of!(QaLoad, Category, CATEGORIES = "categories", key ["id"]: Uuid,
    timestamps: true, belongs_to: None, label: "t.key", ext: TableExt::OWNED,
    { id: check, key: check, name_en, name_ar, icon_svg, sort_order: check });

table_of!(QaLoad, App, APPS = "apps", key ["id"]: Uuid,
    timestamps: true, belongs_to: None, label: "t.slug", ext: TableExt::OWNED,
    { id: check, slug: check, source_id: check, name_en, name_ar, short_description_en,
      short_description_ar, description_en, description_ar, status, sort_order: check,
      avg_rating: check, developer_id: check, application_icon_url: url, main_image_en_url: url,
      main_image_ar_url: url, google_play_url: url, app_store_url: url, app_gallery_url: url,
      developer_logo_url: url });

table_of!(QaLoad, AppCategory, APP_CATEGORIES = "app_categories", key ["app_id", "category_id"]: Uuid,
    timestamps: false, belongs_to: Some("app_id"), label: "t.app_id::text || ' -> ' || t.category_id::text", ext: TableExt::OWNED,
    { app_id: check, category_id: check, sort_order: check });

table_of!(QaLoad, Screenshot, SCREENSHOTS = "screenshots", key ["id"]: Uuid,
    timestamps: false, belongs_to: Some("app_id"), label: "t.id::text", ext: TableExt::OWNED,
    { id: check, app_id: check, language: check, url: check url, sort_order: check });

const RELATIONS: &[Relation] = &[
    Relation {
        child: "apps",
        child_key: &["id"],
        column: "developer_id",
        parent: "developers",
        parent_key: "id",
        orphan: "refers to a developer that does not exist",
        unreferenced: Some("no app refers to this developer"),
    },
    Relation {
        child: "app_categories",
        child_key: &["app_id", "category_id"],
        column: "app_id",
        parent: "apps",
        parent_key: "id",
        orphan: "links an app or category that does not exist",
        unreferenced: None,
    },
    Relation {
        child: "app_categories",
        child_key: &["app_id", "category_id"],
        column: "category_id",
        parent: "categories",
        parent_key: "id",
        orphan: "links an app or category that does not exist",
        unreferenced: None,
    },
    Relation {
        child: "screenshots",
        child_key: &["id"],
        column: "app_id",
        parent: "apps",
        parent_key: "id",
        orphan: "belongs to an app that does not exist",
        unreferenced: None,
    },
    Relation {
        child: "app_features",
        child_key: &["app_id", "feature_id"],
        column: "app_id",
        parent: "apps",
        parent_key: "id",
        orphan: "links an app or feature that does not exist",
        unreferenced: None,
    },
    Relation {
        child: "app_features",
        child_key: &["app_id", "feature_id"],
        column: "feature_id",
        parent: "features",
        parent_key: "id",
        orphan: "links an app or feature that does not exist",
        unreferenced: None,
    },
];

const MIGRATIONS: &[SchemaMigration] = &[SchemaMigration {
    version: 1,
    name: "directory_tables",
    sql: include_str!("../../../migrations/qa-load/0001_directory_tables.sql"),
}];

impl Tables for QaLoad {
    fn name(&self) -> LayoutName {
        LayoutName::QaLoad
    }

    fn entity_table(&self, e: Entity) -> &'static Table {
        match e {
            Entity::Developers => TableOf::<Developer>::table(self),
            Entity::Categories => TableOf::<Category>::table(self),
            Entity::Apps => TableOf::<App>::table(self),
            Entity::Links => TableOf::<AppCategory>::table(self),
            Entity::Screenshots => TableOf::<Screenshot>::table(self),
        }
    }

    fn other_tables(&self) -> &'static [&'static str] {
        &["features", "app_features"]
    }

    fn relations(&self) -> &'static [Relation] {
        RELATIONS
    }

    fn migrations(&self) -> &'static [SchemaMigration] {
        MIGRATIONS
    }
}

impl Layout for QaLoad {
    /// Developers by `key`, then id, then website; categories by `key`, then id; apps by `slug`,
    /// then `source_id`, then id.
    fn identify(
        &self,
        ds: &Dataset,
        _variants: &[DeveloperVariants],
        existing: &Rows,
    ) -> Result<Identified, IdentifyError> {
        fn by<'a, T, K: std::hash::Hash + Eq>(
            rows: &'a [T],
            key: impl Fn(&'a T) -> K,
        ) -> HashMap<K, &'a T> {
            rows.iter().map(|r| (key(r), r)).collect()
        }
        let mut out = Identified::default();
        let dev_key = by(&existing.developers, |d| d.key.as_str());
        let dev_id = by(&existing.developers, |d| d.id);
        let mut claimed = std::collections::HashSet::new();
        for d in &ds.developers {
            if let Some(e) = dev_key.get(d.key.as_str()).or_else(|| dev_id.get(&d.id)) {
                out.developers.insert(d.id, e.id);
                claimed.insert(e.id);
            }
        }
        // A developer renamed in the source keeps its website: the one existing row that no
        // other input developer is, with that website, is it (not a second row).
        let mut by_website: HashMap<&str, Vec<&Developer>> = HashMap::new();
        for e in &existing.developers {
            if let Some(w) = e.website.as_deref().filter(|w| !w.is_empty()) {
                by_website.entry(w).or_default().push(e);
            }
        }
        for d in &ds.developers {
            if out.developers.contains_key(&d.id) {
                continue;
            }
            let Some(site) = d.website.as_deref() else {
                continue;
            };
            let free: Vec<&&Developer> = by_website
                .get(site)
                .into_iter()
                .flatten()
                .filter(|e| !claimed.contains(&e.id))
                .collect();
            if let [e] = free.as_slice() {
                out.developers.insert(d.id, e.id);
                claimed.insert(e.id);
            }
        }
        let cat_key = by(&existing.categories, |c| c.key.as_str());
        let cat_id = by(&existing.categories, |c| c.id);
        for c in &ds.categories {
            if let Some(e) = cat_key.get(c.key.as_str()).or_else(|| cat_id.get(&c.id)) {
                out.categories.insert(c.id, e.id);
            }
        }
        let app_slug = by(&existing.apps, |a| a.slug.as_str());
        let app_source = by(&existing.apps, |a| a.source_id.as_str());
        let app_id = by(&existing.apps, |a| a.id);
        for a in &ds.apps {
            let by_slug = app_slug.get(a.slug.as_str());
            let by_source = app_source.get(a.source_id.as_str());
            if let (Some(s), Some(o)) = (by_slug, by_source) {
                if s.id != o.id {
                    return Err(IdentifyError(format!(
                        "app {:?} (source id {:?}): its slug belongs to the existing app with source id {:?}, \
                         but its source id belongs to the existing app {:?}; resolve the clash in the database or the input",
                        a.slug, a.source_id, s.source_id, o.slug
                    )));
                }
            }
            if let Some(e) = by_slug.or(by_source).or_else(|| app_id.get(&a.id)) {
                out.apps.insert(a.id, e.id);
            }
        }
        Ok(out)
    }

    async fn read_scope<C: GenericClient + Sync>(&self, c: &C, scope: &Scope) -> Result<Rows> {
        let (developers, developers_states) = read_with_state(
            self,
            c,
            "WHERE key = ANY($1) OR id = ANY($2) OR website = ANY($3) ORDER BY key",
            &[
                &scope.developer_keys,
                &uuids(&scope.developer_ids),
                &scope.developer_websites,
            ],
        )
        .await?;
        let (categories, categories_states) = read_with_state(
            self,
            c,
            "WHERE key = ANY($1) OR id = ANY($2) ORDER BY sort_order, key",
            &[&scope.category_keys, &uuids(&scope.category_ids)],
        )
        .await?;
        let (apps, apps_states): (Vec<App>, _) = read_with_state(
            self,
            c,
            "WHERE slug = ANY($1) OR source_id = ANY($2) OR id = ANY($3) ORDER BY sort_order, slug",
            &[
                &scope.app_slugs,
                &scope.app_source_ids,
                &uuids(&scope.app_ids),
            ],
        )
        .await?;
        let mut ids: Vec<Uuid> = apps.iter().filter_map(|a| a.id.uuid()).collect();
        ids.sort_unstable();
        ids.dedup();
        let (app_categories, app_categories_states) = read_with_state(
            self,
            c,
            "WHERE app_id = ANY($1) ORDER BY app_id, sort_order, category_id",
            &[&ids],
        )
        .await?;
        let (screenshots, screenshots_states) = read_with_state(
            self,
            c,
            "WHERE app_id = ANY($1) ORDER BY app_id, language, sort_order",
            &[&ids],
        )
        .await?;
        scope_rows(
            self,
            c,
            (developers, developers_states),
            (categories, categories_states),
            (apps, apps_states),
            (app_categories, app_categories_states),
            (screenshots, screenshots_states),
        )
        .await
    }

    async fn read_all<C: GenericClient + Sync>(&self, c: &C) -> Result<Rows> {
        Ok(Rows {
            developers: read_rows(self, c, "ORDER BY key", &[]).await?,
            categories: read_rows(self, c, "ORDER BY sort_order, key", &[]).await?,
            apps: read_rows(self, c, "ORDER BY sort_order, slug", &[]).await?,
            app_categories: read_rows(self, c, "ORDER BY app_id, sort_order, category_id", &[])
                .await?,
            screenshots: read_rows(self, c, "ORDER BY app_id, language, sort_order", &[]).await?,
            ..Rows::default()
        })
    }
}

/// The UUIDs among `ids` (the only ids these tables have).
fn uuids(ids: &[RowId]) -> Vec<Uuid> {
    ids.iter().filter_map(|i| i.uuid()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_migration_is_the_one_qa_load_0_1_applied() {
        // qa-load 0.1 recorded this file's checksum in the databases it wrote: it must never
        // change (the bookkeeping's upgrade in place relies on it).
        assert_eq!(
            QaLoad.migrations()[0].checksum(),
            "11dfb3e6855981639d32d90145c464d120c8f19141aabbc1acfcb73b5b6d627f"
        );
        assert_eq!(QaLoad.components().len(), 2);
    }

    #[test]
    fn the_post_load_check_reads_back_the_checked_columns_typed() {
        for table in QaLoad.tables() {
            let checked = table.columns.iter().filter(|c| c.check).count();
            assert!(checked > 0, "{}", table.name);
            let sql = table.read_back_sql();
            for c in table.columns.iter().filter(|c| c.check) {
                assert!(sql.contains(&c.select()), "{}: {sql}", table.name);
            }
            assert_eq!(sql.matches(", ").count() + 1, checked, "{sql}");
        }
        let app = App {
            id: RowId::default(),
            slug: "s".into(),
            source_id: "1_S".into(),
            name_en: "S".into(),
            name_ar: "س".into(),
            short_description_en: None,
            short_description_ar: None,
            description_en: Some("long".into()),
            description_ar: None,
            status: None,
            sort_order: 3,
            avg_rating: Some(qad_core::Rating(450)),
            developer_id: RowId::default(),
            application_icon_url: None,
            main_image_en_url: None,
            main_image_ar_url: None,
            google_play_url: None,
            app_store_url: None,
            app_gallery_url: None,
            developer_logo_url: None,
        };
        use crate::layout::CellValue::{Int, Text, Uuid as U};
        assert_eq!(
            QaLoad.checked_values(&app),
            vec![
                U(Uuid::nil()),
                Text("s".into()),
                Text("1_S".into()),
                Int(3),
                Text("4.50".into()),
                U(Uuid::nil())
            ],
            "id, slug, source_id, sort_order, avg_rating (as numeric(3,2) prints), developer_id; no long texts"
        );
    }
}
