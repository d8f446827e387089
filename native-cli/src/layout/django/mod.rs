//! The directory backend's own tables, as its Django models and migrations made them: the
//! second [`Layout`]. qa-load never creates, alters or drops them ([`Tables::migrations`] is
//! empty); before a write it checks that they are as this build knows them ([`schema`]).
//! [`DjangoTables`] is what the tables are (static); [`Django`] reads and writes one run's rows.
//!
//! - **Keys** are `bigint` identity columns, carried as the database has them
//!   ([`qad_core::RowId`]); new rows take values of the identity's own sequence
//!   ([`Layout::new_keys`]), handed out once the plan knows how many it inserts.
//! - **Rows** are the backend's ([`rows`]): what the frontend feeds is written on insert and
//!   updated where it differs; what the backend owns gets the model's default on insert and is
//!   never touched after; images are stored as paths under the media base URL.
//! - **Identity** ([`identify`]): apps by the slug the backend's seed derives from the source
//!   id (or that slug made URL-safe, the one qa-load gives the apps it adds), else by English
//!   name; developers by the English name of any of their merged variants, else by website;
//!   categories by slug. Existing slugs never change.
//! - **Journal**: only the columns qa-load writes, so the backend's own writes to the others
//!   (a page view's `view_count`) are neither drift for rollback nor undone by it.

mod identify;
mod rows;
pub mod schema;

use std::collections::HashMap;

use anyhow::{Context, Result};
use qad_core::{
    App, AppCategory, Category, Dataset, Developer, DeveloperVariants, RowId, Screenshot,
};
use tokio_postgres::GenericClient;

use crate::bookkeeping::{SchemaMigration, Status};
use crate::layout::{
    read_rows, read_with_state, scope_rows, CellValue, Entity, Identified, IdentifyError, Layout,
    LayoutName, Param, Relation, Rows, Scope, Table, TableOf, Tables,
};
use rows::{Convert, DjApp, DjCategory, DjDeveloper, DjLink, DjScreenshot, ScreenshotLists};

pub use rows::DjangoTables;

/// The directory backend's Django tables, for one run: their rows converted under the run's
/// media base URL.
#[derive(Debug)]
pub struct Django {
    rows: Convert,
}

impl Django {
    /// The layout for a load of `ds`: it knows the screenshot lists the input's apps get.
    pub fn for_dataset(media_base: &str, ds: &Dataset) -> Django {
        let mut layout = Django {
            rows: Convert {
                media_base: media_base.trim_end_matches('/').to_string(),
                ..Convert::default()
            },
        };
        let source_of: HashMap<RowId, &str> = ds
            .apps
            .iter()
            .map(|a| (a.id, a.source_id.as_str()))
            .collect();
        let lists = &mut layout.rows.planned_lists;
        for a in &ds.apps {
            lists.insert(a.source_id.clone(), ScreenshotLists::default());
        }
        let mut shots: Vec<&Screenshot> = ds.screenshots.iter().collect();
        shots.sort_by_key(|s| s.sort_order);
        for s in shots {
            if let Some(l) = source_of.get(&s.app_id).and_then(|src| lists.get_mut(*src)) {
                l.push(s.language, s.url.clone());
            }
        }
        layout
    }
}

/// `TableOf<core row>` for [`Django`], through the backend's row type: each method converts
/// and hands over to the [`table_of!`](crate::table_of) implementation of that row type.
macro_rules! through_rows {
    ($T:ty, $Dj:ty, $to:ident, $from:ident) => {
        impl TableOf<$T> for Django {
            fn table(&self) -> &'static Table {
                TableOf::<$Dj>::table(&DjangoTables)
            }
            fn values(&self, rows: &[&$T]) -> Vec<Param> {
                let dj: Vec<$Dj> = rows.iter().map(|r| self.rows.$to(r)).collect();
                DjangoTables.values(&dj.iter().collect::<Vec<_>>())
            }
            fn checked_values(&self, row: &$T) -> Vec<CellValue> {
                DjangoTables.checked_values(&self.rows.$to(row))
            }
            fn read_checked(&self, row: &tokio_postgres::Row) -> Result<Vec<CellValue>> {
                TableOf::<$Dj>::read_checked(&DjangoTables, row)
            }
            fn key_values(&self, rows: &[&$T]) -> Vec<Param> {
                let dj: Vec<$Dj> = rows.iter().map(|r| self.rows.$to(r)).collect();
                DjangoTables.key_values(&dj.iter().collect::<Vec<_>>())
            }
            fn read_row(&self, row: &tokio_postgres::Row) -> Result<$T> {
                Ok(self
                    .rows
                    .$from(TableOf::<$Dj>::read_row(&DjangoTables, row)?))
            }
            fn stored(&self, row: &$T) -> serde_json::Map<String, serde_json::Value> {
                DjangoTables.stored(&self.rows.$to(row))
            }
            fn differing(&self, a: &$T, b: &$T) -> Vec<&'static str> {
                let only = TableOf::<$Dj>::table(&DjangoTables).ext.insert_only;
                DjangoTables
                    .differing(&self.rows.$to(a), &self.rows.$to(b))
                    .into_iter()
                    .filter(|c| !only.contains(c))
                    .collect()
            }
        }
    };
}

through_rows!(Developer, DjDeveloper, developer_row, developer_of);
through_rows!(Category, DjCategory, category_row, category_of);
through_rows!(App, DjApp, app_row, app_of);
through_rows!(AppCategory, DjLink, link_row, link_of);
through_rows!(Screenshot, DjScreenshot, screenshot_row, screenshot_of);

const RELATIONS: &[Relation] = &[
    Relation {
        child: "apps",
        child_key: &["id"],
        column: "developer_id",
        parent: "developers",
        parent_key: "id",
        orphan: "refers to a developer that does not exist",
        unreferenced: None,
    },
    Relation {
        child: "apps_categories",
        child_key: &["app_id", "category_id"],
        column: "app_id",
        parent: "apps",
        parent_key: "id",
        orphan: "links an app or category that does not exist",
        unreferenced: None,
    },
    Relation {
        child: "apps_categories",
        child_key: &["app_id", "category_id"],
        column: "category_id",
        parent: "categories",
        parent_key: "id",
        orphan: "links an app or category that does not exist",
        unreferenced: None,
    },
    Relation {
        child: "app_screenshots",
        child_key: &["id"],
        column: "app_id",
        parent: "apps",
        parent_key: "id",
        orphan: "belongs to an app that does not exist",
        unreferenced: None,
    },
];

impl Tables for DjangoTables {
    fn name(&self) -> LayoutName {
        LayoutName::Django
    }

    fn entity_table(&self, e: Entity) -> &'static Table {
        match e {
            Entity::Developers => TableOf::<DjDeveloper>::table(self),
            Entity::Categories => TableOf::<DjCategory>::table(self),
            Entity::Apps => TableOf::<DjApp>::table(self),
            Entity::Links => TableOf::<DjLink>::table(self),
            Entity::Screenshots => TableOf::<DjScreenshot>::table(self),
        }
    }

    fn other_tables(&self) -> &'static [&'static str] {
        &[]
    }

    fn relations(&self) -> &'static [Relation] {
        RELATIONS
    }

    fn migrations(&self) -> &'static [SchemaMigration] {
        &[]
    }

    fn keeps_other_rows(&self) -> bool {
        true
    }

    /// READ COMMITTED: the backend keeps serving during a load, and a page view that updates
    /// an app's `view_count` after the load's snapshot must not fail it (the rows the load
    /// writes are locked when they are read, so nothing else changes them meanwhile).
    fn repeatable_read(&self) -> bool {
        false
    }

    async fn check_database<C: GenericClient + Sync>(&self, c: &C, _status: &Status) -> Result<()> {
        schema::check(self.tables(), c).await
    }

    fn status_note(&self) -> Option<&'static str> {
        Some("layout django: the backend's own tables (checked before every write, never migrated by qa-load)")
    }
}

/// The description is [`DjangoTables`]'s; the run's rows are converted by [`Convert`].
impl Tables for Django {
    fn name(&self) -> LayoutName {
        DjangoTables.name()
    }
    fn entity_table(&self, e: Entity) -> &'static Table {
        DjangoTables.entity_table(e)
    }
    fn other_tables(&self) -> &'static [&'static str] {
        DjangoTables.other_tables()
    }
    fn relations(&self) -> &'static [Relation] {
        DjangoTables.relations()
    }
    fn migrations(&self) -> &'static [SchemaMigration] {
        DjangoTables.migrations()
    }
    fn keeps_other_rows(&self) -> bool {
        DjangoTables.keeps_other_rows()
    }
    fn repeatable_read(&self) -> bool {
        DjangoTables.repeatable_read()
    }
    fn status_note(&self) -> Option<&'static str> {
        DjangoTables.status_note()
    }
    async fn check_database<C: GenericClient + Sync>(&self, c: &C, status: &Status) -> Result<()> {
        DjangoTables.check_database(c, status).await
    }
}

impl Layout for Django {
    async fn other_rows<C: GenericClient + Sync>(
        &self,
        c: &C,
        ids: [&[RowId]; 3],
    ) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for ((table, label, what), ids) in [
            ("developers", "name_en", "developer"),
            ("categories", "slug", "category"),
            ("apps", "slug", "app"),
        ]
        .into_iter()
        .zip(ids)
        {
            let ids: Vec<i64> = ids.iter().filter_map(|u| u.bigint()).collect();
            let rows = c
                .query(
                    &format!("SELECT {label}::text FROM {table} WHERE id <> ALL($1) ORDER BY id"),
                    &[&ids],
                )
                .await
                .with_context(|| format!("listing the rows of {table} the input does not have"))?;
            out.extend(
                rows.iter()
                    .map(|r| format!("{what} {:?}", r.get::<_, String>(0))),
            );
        }
        Ok(out)
    }

    async fn new_keys<C: GenericClient + Sync>(
        &self,
        c: &C,
        e: Entity,
        n: usize,
    ) -> Result<Option<Vec<RowId>>> {
        let table = self.entity_table(e);
        if n == 0 || !table.key.contains(&"id") {
            return Ok(Some(Vec::new()));
        }
        let what = || format!("taking {n} id(s) from the identity of {}", table.name);
        let seq: Option<String> = c
            .query_one("SELECT pg_get_serial_sequence($1, 'id')", &[&table.name])
            .await
            .with_context(what)?
            .get(0);
        let seq = seq.with_context(|| format!("{}.id has no identity sequence", table.name))?;
        // The sequence as a constant: nextval of a per-row expression is eight times slower.
        let rows = c
            .query(
                &format!(
                    "SELECT nextval('{}'::regclass) FROM generate_series(1, $1::int)",
                    seq.replace('\'', "''")
                ),
                &[&(n as i32)],
            )
            .await
            .with_context(what)?;
        Ok(Some(
            rows.iter()
                .map(|r| RowId::from(r.get::<_, i64>(0)))
                .collect(),
        ))
    }

    fn identify(
        &self,
        ds: &Dataset,
        variants: &[DeveloperVariants],
        existing: &Rows,
    ) -> Result<Identified, IdentifyError> {
        identify::identify(ds, variants, existing)
    }

    async fn read_scope<C: GenericClient + Sync>(&self, c: &C, scope: &Scope) -> Result<Rows> {
        let dev_ids: Vec<i64> = scope
            .developer_ids
            .iter()
            .filter_map(|u| u.bigint())
            .collect();
        let cat_ids: Vec<i64> = scope
            .category_ids
            .iter()
            .filter_map(|u| u.bigint())
            .collect();
        let app_ids: Vec<i64> = scope.app_ids.iter().filter_map(|u| u.bigint()).collect();
        // Locked as read: the plan is made from these rows, and a concurrent writer waits for
        // the load (FOR NO KEY UPDATE lets the backend still add rows that refer to them).
        // Also the rows qa-load last wrote (or a person kept) under one of the names.
        let (developers, developers_states) = read_with_state(
            self,
            c,
            "WHERE name_en = ANY($1) OR name_ar = ANY($2) OR website = ANY($3) OR id = ANY($4) \
                OR o.after->>'name_en' = ANY($1) OR o.kept->>'name_en' = ANY($1) \
             ORDER BY id FOR NO KEY UPDATE OF t",
            &[
                &scope.developer_names_en,
                &scope.developer_names_ar,
                &scope.developer_websites,
                &dev_ids,
            ],
        )
        .await?;
        let (categories, categories_states) = read_with_state(
            self,
            c,
            "WHERE slug = ANY($1) OR name_en = ANY($2) OR name_ar = ANY($3) OR id = ANY($4) \
             ORDER BY id FOR NO KEY UPDATE OF t",
            &[
                &scope.category_keys,
                &scope.category_names_en,
                &scope.category_names_ar,
                &cat_ids,
            ],
        )
        .await?;
        let mut slugs: Vec<String> = scope
            .app_source_ids
            .iter()
            .flat_map(|s| {
                [
                    qad_core::django::seed_slug(s),
                    qad_core::django::new_app_slug(s),
                ]
            })
            .collect();
        slugs.extend(scope.app_slugs.iter().cloned());
        let (apps, apps_states): (Vec<App>, _) = read_with_state(
            self,
            c,
            "WHERE slug = ANY($1) OR name_en = ANY($2) OR id = ANY($3) ORDER BY id FOR NO KEY UPDATE OF t",
            &[&slugs, &scope.app_names_en, &app_ids],
        )
        .await?;
        let ids: Vec<i64> = apps.iter().filter_map(|a| a.id.bigint()).collect();
        let (app_categories, app_categories_states) = read_with_state(
            self,
            c,
            "WHERE app_id = ANY($1) ORDER BY app_id, category_id",
            &[&ids],
        )
        .await?;
        let (screenshots, screenshots_states) = read_with_state(
            self,
            c,
            "WHERE app_id = ANY($1) ORDER BY app_id, language, sort_order, id",
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
            developers: read_rows(self, c, "ORDER BY id", &[]).await?,
            categories: read_rows(self, c, "ORDER BY sort_order, slug", &[]).await?,
            apps: read_rows(self, c, "ORDER BY sort_order, id", &[]).await?,
            app_categories: read_rows(self, c, "ORDER BY app_id, category_id", &[]).await?,
            screenshots: read_rows(self, c, "ORDER BY app_id, language, sort_order, id", &[])
                .await?,
            ..Rows::default()
        })
    }
}
