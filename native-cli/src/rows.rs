//! Reading the directory tables back into qad-core's row types, in bulk.

use std::collections::BTreeSet;

use anyhow::{anyhow, Context, Result};
use qad_core::{App, AppCategory, Category, Developer, Language, Rating, Screenshot};
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

/// Rows of the five tables a dataset covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rows {
    pub developers: Vec<Developer>,
    pub categories: Vec<Category>,
    pub apps: Vec<App>,
    pub app_categories: Vec<AppCategory>,
    pub screenshots: Vec<Screenshot>,
}

/// Which rows to read.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub developer_keys: Vec<String>,
    pub developer_ids: Vec<Uuid>,
    pub category_keys: Vec<String>,
    pub category_ids: Vec<Uuid>,
    pub app_slugs: Vec<String>,
    pub app_source_ids: Vec<String>,
    pub app_ids: Vec<Uuid>,
}

pub const DEVELOPER_COLUMNS: &str = "id, key, name_en, name_ar, website, logo_url";
pub const CATEGORY_COLUMNS: &str = "id, key, name_en, name_ar, icon_svg, sort_order";
pub const APP_COLUMNS: &str = "id, slug, source_id, name_en, name_ar, short_description_en, \
    short_description_ar, description_en, description_ar, status, sort_order, \
    avg_rating::text AS avg_rating, developer_id, application_icon_url, main_image_en_url, \
    main_image_ar_url, google_play_url, app_store_url, app_gallery_url, developer_logo_url";
pub const LINK_COLUMNS: &str = "app_id, category_id, sort_order";
pub const SCREENSHOT_COLUMNS: &str = "id, app_id, language, url, sort_order";

pub fn developer(r: &Row) -> Result<Developer> {
    Ok(Developer {
        id: r.try_get("id")?,
        key: r.try_get("key")?,
        name_en: r.try_get("name_en")?,
        name_ar: r.try_get("name_ar")?,
        website: r.try_get("website")?,
        logo_url: r.try_get("logo_url")?,
    })
}

pub fn category(r: &Row) -> Result<Category> {
    Ok(Category {
        id: r.try_get("id")?,
        key: r.try_get("key")?,
        name_en: r.try_get("name_en")?,
        name_ar: r.try_get("name_ar")?,
        icon_svg: r.try_get("icon_svg")?,
        sort_order: r.try_get("sort_order")?,
    })
}

pub fn app(r: &Row) -> Result<App> {
    let rating: Option<String> = r.try_get("avg_rating")?;
    let avg_rating = match rating {
        None => None,
        Some(text) => Some(Rating::parse_decimal(&text).ok_or_else(|| {
            anyhow!("apps.avg_rating holds {text:?}, which is not a rating 0.00-5.00")
        })?),
    };
    Ok(App {
        id: r.try_get("id")?,
        slug: r.try_get("slug")?,
        source_id: r.try_get("source_id")?,
        name_en: r.try_get("name_en")?,
        name_ar: r.try_get("name_ar")?,
        short_description_en: r.try_get("short_description_en")?,
        short_description_ar: r.try_get("short_description_ar")?,
        description_en: r.try_get("description_en")?,
        description_ar: r.try_get("description_ar")?,
        status: r.try_get("status")?,
        sort_order: r.try_get("sort_order")?,
        avg_rating,
        developer_id: r.try_get("developer_id")?,
        application_icon_url: r.try_get("application_icon_url")?,
        main_image_en_url: r.try_get("main_image_en_url")?,
        main_image_ar_url: r.try_get("main_image_ar_url")?,
        google_play_url: r.try_get("google_play_url")?,
        app_store_url: r.try_get("app_store_url")?,
        app_gallery_url: r.try_get("app_gallery_url")?,
        developer_logo_url: r.try_get("developer_logo_url")?,
    })
}

pub fn link(r: &Row) -> Result<AppCategory> {
    Ok(AppCategory {
        app_id: r.try_get("app_id")?,
        category_id: r.try_get("category_id")?,
        sort_order: r.try_get("sort_order")?,
    })
}

pub fn language(text: &str) -> Result<Language> {
    match text {
        "ar" => Ok(Language::Ar),
        "en" => Ok(Language::En),
        other => Err(anyhow!(
            "screenshots.language holds {other:?}, expected 'ar' or 'en'"
        )),
    }
}

pub fn screenshot(r: &Row) -> Result<Screenshot> {
    let lang: String = r.try_get("language")?;
    Ok(Screenshot {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        language: language(&lang)?,
        url: r.try_get("url")?,
        sort_order: r.try_get("sort_order")?,
    })
}

fn collect<T>(rows: Vec<Row>, f: fn(&Row) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}

/// Reads every row of the five tables, in a stable order.
pub async fn read_all<C: GenericClient>(c: &C) -> Result<Rows> {
    let developers = collect(
        c.query(
            &format!("SELECT {DEVELOPER_COLUMNS} FROM developers ORDER BY key"),
            &[],
        )
        .await
        .context("reading developers")?,
        developer,
    )?;
    let categories = collect(
        c.query(
            &format!("SELECT {CATEGORY_COLUMNS} FROM categories ORDER BY sort_order, key"),
            &[],
        )
        .await
        .context("reading categories")?,
        category,
    )?;
    let apps = collect(
        c.query(
            &format!("SELECT {APP_COLUMNS} FROM apps ORDER BY sort_order, slug"),
            &[],
        )
        .await
        .context("reading apps")?,
        app,
    )?;
    let app_categories = collect(
        c.query(&format!("SELECT {LINK_COLUMNS} FROM app_categories ORDER BY app_id, sort_order, category_id"), &[])
            .await
            .context("reading app_categories")?,
        link,
    )?;
    let screenshots = collect(
        c.query(&format!("SELECT {SCREENSHOT_COLUMNS} FROM screenshots ORDER BY app_id, language, sort_order"), &[])
            .await
            .context("reading screenshots")?,
        screenshot,
    )?;
    Ok(Rows {
        developers,
        categories,
        apps,
        app_categories,
        screenshots,
    })
}

/// Reads the rows a scope names: developers and categories by key or id, apps by slug, source
/// id or id, and the links and screenshots of those apps. One query per table.
pub async fn read_scope<C: GenericClient>(c: &C, scope: &Scope) -> Result<Rows> {
    let developers = collect(
        c.query(
            &format!("SELECT {DEVELOPER_COLUMNS} FROM developers WHERE key = ANY($1) OR id = ANY($2) ORDER BY key"),
            &[&scope.developer_keys, &scope.developer_ids],
        )
        .await
        .context("reading existing developers")?,
        developer,
    )?;
    let categories = collect(
        c.query(
            &format!("SELECT {CATEGORY_COLUMNS} FROM categories WHERE key = ANY($1) OR id = ANY($2) ORDER BY sort_order, key"),
            &[&scope.category_keys, &scope.category_ids],
        )
        .await
        .context("reading existing categories")?,
        category,
    )?;
    let apps = collect(
        c.query(
            &format!(
                "SELECT {APP_COLUMNS} FROM apps WHERE slug = ANY($1) OR source_id = ANY($2) OR id = ANY($3) ORDER BY sort_order, slug"
            ),
            &[&scope.app_slugs, &scope.app_source_ids, &scope.app_ids],
        )
        .await
        .context("reading existing apps")?,
        app,
    )?;
    let ids: Vec<Uuid> = apps
        .iter()
        .map(|a| a.id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let app_categories = collect(
        c.query(
            &format!("SELECT {LINK_COLUMNS} FROM app_categories WHERE app_id = ANY($1) ORDER BY app_id, sort_order, category_id"),
            &[&ids],
        )
        .await
        .context("reading existing app_categories")?,
        link,
    )?;
    let screenshots = collect(
        c.query(
            &format!("SELECT {SCREENSHOT_COLUMNS} FROM screenshots WHERE app_id = ANY($1) ORDER BY app_id, language, sort_order"),
            &[&ids],
        )
        .await
        .context("reading existing screenshots")?,
        screenshot,
    )?;
    Ok(Rows {
        developers,
        categories,
        apps,
        app_categories,
        screenshots,
    })
}

/// The id → natural key maps of every developer and category (references out of a scope still
/// resolve).
pub async fn key_maps<C: GenericClient>(
    c: &C,
) -> Result<(
    std::collections::HashMap<Uuid, String>,
    std::collections::HashMap<Uuid, String>,
)> {
    let devs = c
        .query("SELECT id, key FROM developers", &[])
        .await
        .context("reading developer keys")?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let cats = c
        .query("SELECT id, key FROM categories", &[])
        .await
        .context("reading category keys")?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    Ok((devs, cats))
}
