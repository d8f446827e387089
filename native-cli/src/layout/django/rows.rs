//! The backend's rows: one Rust type per table, fields named as its columns, and the
//! conversions between them and qad-core's rows. Each column the load writes is named once,
//! in its [`table_of!`] list; the columns it never writes are named once, with the model's
//! default, in the table's [`TableExt`].

use anyhow::{anyhow, Result};
use qad_core::{App, AppCategory, Category, Developer, Language, Rating, RowId, Screenshot};
use tokio_postgres::Row;

use qad_core::django::{media_path, media_url};
use std::collections::HashMap;
use std::sync::Mutex;

use crate::layout::{Cell, CellValue, Journal, Param, TableExt};
use crate::table_of;
use qad_core::equal::{same_value, Kind};

/// The `table_of!` implementations of the backend's row types.
#[derive(Debug, Clone, Copy, Default)]
pub struct DjangoTables;

/// `created_at`/`updated_at` as Django's `auto_now_add`/`auto_now` set them on insert (the
/// tables have no server defaults; an update sets `updated_at`, see [`Table::timestamps`]).
const NOW: [(&str, &str); 2] = [("created_at", "now()"), ("updated_at", "now()")];

macro_rules! defaults {
    ($($col:literal = $val:literal),* $(,)?) => {
        &[$(($col, $val),)* NOW[0], NOW[1]]
    };
}

const DEVELOPER_EXT: TableExt = TableExt {
    insert_only: &[],
    insert_defaults: defaults!(
        "description_en" = "''",
        "description_ar" = "''",
        "contact_info" = "'{}'::jsonb",
        "social_links" = "'{}'::jsonb",
        "is_verified" = "false",
    ),
    journal: Journal::Written,
};

const CATEGORY_EXT: TableExt = TableExt {
    insert_only: &[],
    insert_defaults: defaults!(
        "description_en" = "''",
        "description_ar" = "''",
        "color" = "''",
        "is_active" = "true",
    ),
    journal: Journal::Written,
};

/// `status` is the one backend-owned column whose insert value is not the model's default
/// (`draft`): the API serves only `published` apps, and the frontend's catalogue is what it
/// publishes (every seeded row is `published`). An update never touches it.
const APP_EXT: TableExt = TableExt {
    insert_only: &["slug"],
    insert_defaults: defaults!(
        "status" = "'published'",
        "review_count" = "0",
        "view_count" = "0",
        "platform" = "'cross_platform'",
        "featured" = "false",
        "riwayah" = "'[]'::jsonb",
        "mushaf_type" = "'[]'::jsonb",
        "features" = "'[]'::jsonb",
    ),
    journal: Journal::Written,
};

/// Links and screenshots have no backend-owned columns, and a load deletes some: whole rows.
const CHILD_EXT: TableExt = TableExt {
    insert_only: &[],
    insert_defaults: &[],
    journal: Journal::WholeRow,
};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DjDeveloper {
    pub id: i64,
    pub name_en: String,
    pub name_ar: String,
    pub website: Option<String>,
    pub logo_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DjCategory {
    pub id: i64,
    pub slug: String,
    pub name_en: String,
    pub name_ar: String,
    pub sort_order: i32,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DjApp {
    pub id: i64,
    pub slug: String,
    pub name_en: String,
    pub name_ar: String,
    pub short_description_en: String,
    pub short_description_ar: String,
    pub description_en: String,
    pub description_ar: String,
    pub application_icon: String,
    pub main_image_en: String,
    pub main_image_ar: String,
    pub google_play_link: Option<String>,
    pub app_store_link: Option<String>,
    pub app_gallery_link: Option<String>,
    pub screenshots_en: JsonList,
    pub screenshots_ar: JsonList,
    pub avg_rating: Option<Rating>,
    pub sort_order: i32,
    pub developer_id: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DjLink {
    pub app_id: i64,
    pub category_id: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DjScreenshot {
    pub id: i64,
    pub app_id: i64,
    pub language: Language,
    pub image: String,
    pub sort_order: i32,
}

table_of!(DjangoTables, DjDeveloper, DEVELOPERS = "developers", key ["id"]: BigInt,
    timestamps: true, belongs_to: None, label: "t.name_en", ext: DEVELOPER_EXT,
    { id: check, name_en: check, name_ar, website: url, logo_url: url });

table_of!(DjangoTables, DjCategory, CATEGORIES = "categories", key ["id"]: BigInt,
    timestamps: true, belongs_to: None, label: "t.slug", ext: CATEGORY_EXT,
    { id: check, slug: check, name_en, name_ar, sort_order: check });

table_of!(DjangoTables, DjApp, APPS = "apps", key ["id"]: BigInt,
    timestamps: true, belongs_to: None, label: "t.slug", ext: APP_EXT,
    { id: check, slug: check, name_en, name_ar, short_description_en, short_description_ar,
      description_en, description_ar, application_icon: check url, main_image_en: url,
      main_image_ar: url, google_play_link: url, app_store_link: url, app_gallery_link: url,
      screenshots_en, screenshots_ar,
      avg_rating: check, sort_order: check, developer_id: check });

table_of!(DjangoTables, DjLink, LINKS = "apps_categories", key ["app_id", "category_id"]: BigInt,
    timestamps: false, belongs_to: Some("app_id"), label: "t.app_id::text || ' -> ' || t.category_id::text",
    ext: CHILD_EXT, { app_id: check, category_id: check });

table_of!(DjangoTables, DjScreenshot, SCREENSHOTS = "app_screenshots", key ["id"]: BigInt,
    timestamps: false, belongs_to: Some("app_id"), label: "t.id::text", ext: CHILD_EXT,
    { id: check, app_id: check, language: check, image: check url, sort_order: check });

/// A jsonb list of strings (`apps.screenshots_en/_ar`), compared as values, not as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct JsonList(pub Vec<String>);

impl Cell for JsonList {
    const ARRAY: &'static str = "text[]";
    /// The backend's screenshot lists hold URLs.
    const KIND: Kind = Kind::Url;
    fn same(&self, other: &Self, kind: Kind) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|(a, b)| same_value(kind, &a.as_str().into(), &b.as_str().into()))
    }
    const CAST: &'static str = "::jsonb";
    const READ: &'static str = "{}::text";
    fn param<'a>(values: impl Iterator<Item = &'a Self>) -> Param {
        Box::new(
            values
                .map(|v| serde_json::to_string(&v.0).unwrap_or_else(|_| "[]".into()))
                .collect::<Vec<String>>(),
        )
    }
    fn read(row: &Row, name: &str) -> Result<Self> {
        let text: String = row.try_get(name)?;
        // The backend's lists hold strings; anything else is kept as its JSON text, so that a
        // difference shows instead of failing the read.
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| anyhow!("{name} holds invalid JSON: {e}"))?;
        let items = match value {
            serde_json::Value::Array(items) => items,
            other => vec![other],
        };
        Ok(JsonList(
            items
                .into_iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect(),
        ))
    }
    fn value(&self) -> CellValue {
        CellValue::Text(serde_json::to_string(&self.0).unwrap_or_default())
    }
    fn read_value(row: &Row, i: usize) -> Result<CellValue> {
        let text: Option<String> = row.try_get(i)?;
        Ok(text.map_or(CellValue::Null, CellValue::Text))
    }
}

/// An app's two screenshot lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScreenshotLists {
    pub en: Vec<String>,
    pub ar: Vec<String>,
}

impl ScreenshotLists {
    pub fn push(&mut self, language: Language, url: String) {
        match language {
            Language::En => self.en.push(url),
            Language::Ar => self.ar.push(url),
        }
    }
}

/// The `bigint` id of a row of these tables. A row the plan has not given a database id yet (an
/// input row before [`crate::plan::Plan::renumber`], compared but never written so) has none:
/// 0, which names no row (the identities start at 1), so it differs from every stored id.
fn bigint(id: RowId) -> i64 {
    id.bigint().unwrap_or(0)
}

/// `''` and NULL alike are "none" (the seed stores `''` for missing links and logos).
fn none_if_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

fn opt(s: &Option<String>) -> Option<String> {
    s.clone().and_then(none_if_empty)
}

/// How the backend's rows and qad-core's convert, for one run: the media base URL, and the
/// screenshot lists of the apps (the input's and those read).
#[derive(Debug, Default)]
pub struct Convert {
    /// The backend's `R2_PUBLIC_URL`: image paths are stored relative to it.
    pub media_base: String,
    /// The screenshot lists (full URLs) each app of the input is to have, by source id.
    pub planned_lists: HashMap<String, ScreenshotLists>,
    /// The screenshot lists of the apps read from the database, by key.
    pub read_lists: Mutex<HashMap<RowId, ScreenshotLists>>,
}

impl Convert {
    /// The lists an app row gets: the input's for an app of the input, else as read.
    fn lists_of(&self, app: &App) -> ScreenshotLists {
        if let Some(l) = self.planned_lists.get(&app.source_id) {
            return l.clone();
        }
        self.read_lists
            .lock()
            .ok()
            .and_then(|m| m.get(&app.id).cloned())
            .unwrap_or_default()
    }

    fn remember_lists(&self, id: i64, lists: ScreenshotLists) {
        if let Ok(mut m) = self.read_lists.lock() {
            m.insert(RowId::from(id), lists);
        }
    }

    /// An image URL as the backend stores it: the path under the media base (a URL outside
    /// it is refused by validation before any write; kept as it is here).
    fn path(&self, url: &Option<String>) -> String {
        match url {
            Some(u) => media_path(u, &self.media_base).unwrap_or_else(|| u.clone()),
            None => String::new(),
        }
    }

    /// A full URL as the backend prints one under its media base (the stored path after the
    /// base: spaces as spaces); other URLs as they are.
    fn full_url(&self, url: &str) -> String {
        match media_path(url, &self.media_base) {
            Some(p) => media_url(&p, &self.media_base),
            None => url.to_string(),
        }
    }

    fn url(&self, path: String) -> Option<String> {
        none_if_empty(path).map(|p| media_url(&p, &self.media_base))
    }

    pub fn developer_row(&self, d: &Developer) -> DjDeveloper {
        DjDeveloper {
            id: bigint(d.id),
            name_en: d.name_en.clone(),
            name_ar: d.name_ar.clone().unwrap_or_default(),
            website: opt(&d.website),
            // As the input has it (spaces as %20): a URLField, whose validator refuses spaces.
            logo_url: opt(&d.logo_url),
        }
    }

    pub fn developer_of(&self, r: DjDeveloper) -> Developer {
        Developer {
            id: RowId::from(r.id),
            key: r.name_en.clone(),
            name_en: r.name_en,
            name_ar: none_if_empty(r.name_ar),
            website: r.website.and_then(none_if_empty),
            logo_url: r.logo_url.and_then(none_if_empty),
        }
    }

    pub fn category_row(&self, c: &Category) -> DjCategory {
        DjCategory {
            id: bigint(c.id),
            slug: c.key.clone(),
            name_en: c.name_en.clone(),
            name_ar: c.name_ar.clone().unwrap_or_default(),
            sort_order: c.sort_order,
        }
    }

    pub fn category_of(&self, r: DjCategory) -> Category {
        Category {
            id: RowId::from(r.id),
            key: r.slug,
            name_en: r.name_en,
            name_ar: none_if_empty(r.name_ar),
            icon_svg: None,
            sort_order: r.sort_order,
        }
    }

    pub fn app_row(&self, a: &App) -> DjApp {
        let lists = self.lists_of(a);
        DjApp {
            id: bigint(a.id),
            slug: a.slug.clone(),
            name_en: a.name_en.clone(),
            name_ar: a.name_ar.clone(),
            short_description_en: a.short_description_en.clone().unwrap_or_default(),
            short_description_ar: a.short_description_ar.clone().unwrap_or_default(),
            description_en: a.description_en.clone().unwrap_or_default(),
            description_ar: a.description_ar.clone().unwrap_or_default(),
            application_icon: self.path(&a.application_icon_url),
            main_image_en: self.path(&a.main_image_en_url),
            main_image_ar: self.path(&a.main_image_ar_url),
            google_play_link: opt(&a.google_play_url),
            app_store_link: opt(&a.app_store_url),
            app_gallery_link: opt(&a.app_gallery_url),
            screenshots_en: JsonList(lists.en.iter().map(|u| self.full_url(u)).collect()),
            screenshots_ar: JsonList(lists.ar.iter().map(|u| self.full_url(u)).collect()),
            // NOT NULL, model default 0.00.
            avg_rating: Some(a.avg_rating.unwrap_or(Rating(0))),
            sort_order: a.sort_order,
            developer_id: bigint(a.developer_id),
        }
    }

    pub fn app_of(&self, r: DjApp) -> App {
        self.remember_lists(
            r.id,
            ScreenshotLists {
                en: r.screenshots_en.0,
                ar: r.screenshots_ar.0,
            },
        );
        App {
            id: RowId::from(r.id),
            slug: r.slug,
            // Not a column of this layout: the app is identified by slug and name.
            source_id: String::new(),
            name_en: r.name_en,
            name_ar: r.name_ar,
            short_description_en: none_if_empty(r.short_description_en),
            short_description_ar: none_if_empty(r.short_description_ar),
            description_en: none_if_empty(r.description_en),
            description_ar: none_if_empty(r.description_ar),
            status: None,
            sort_order: r.sort_order,
            avg_rating: r.avg_rating.filter(|r| r.0 != 0),
            developer_id: RowId::from(r.developer_id),
            application_icon_url: self.url(r.application_icon),
            main_image_en_url: self.url(r.main_image_en),
            main_image_ar_url: self.url(r.main_image_ar),
            google_play_url: r.google_play_link.and_then(none_if_empty),
            app_store_url: r.app_store_link.and_then(none_if_empty),
            app_gallery_url: r.app_gallery_link.and_then(none_if_empty),
            developer_logo_url: None,
        }
    }

    pub fn link_row(&self, l: &AppCategory) -> DjLink {
        DjLink {
            app_id: bigint(l.app_id),
            category_id: bigint(l.category_id),
        }
    }

    pub fn link_of(&self, r: DjLink) -> AppCategory {
        AppCategory {
            app_id: RowId::from(r.app_id),
            category_id: RowId::from(r.category_id),
            // No position column: the backend does not keep the order of an app's categories.
            sort_order: 0,
        }
    }

    pub fn screenshot_row(&self, s: &Screenshot) -> DjScreenshot {
        DjScreenshot {
            id: bigint(s.id),
            app_id: bigint(s.app_id),
            language: s.language,
            image: self.path(&Some(s.url.clone())),
            sort_order: s.sort_order,
        }
    }

    pub fn screenshot_of(&self, r: DjScreenshot) -> Screenshot {
        Screenshot {
            id: RowId::from(r.id),
            app_id: RowId::from(r.app_id),
            language: r.language,
            url: media_url(&r.image, &self.media_base),
            sort_order: r.sort_order,
        }
    }
}
