//! The Django backend's schema, once: its column lengths ([`limits`]), how it derives an app's
//! slug ([`seed_slug`]), how it stores and serves images ([`media_path`], [`media_url`]), and
//! the rules a migration for it adds when `options.layout` is [`Layout::Django`]
//! (E024–E027; see docs/django-tables.md and docs/rules.md).
//!
//! The checks run inside the transform, on the rows as they will be loaded, so their findings
//! are in the same report as every other, naming the record and the source field.
//!
//! [`Layout::Django`]: crate::source::Layout::Django

use std::collections::HashMap;
use std::fmt::Display;

use crate::diagnostic::Diagnostic;
use crate::model::{App, Category, Developer};
use crate::rules::Rule;
use crate::text::excerpt;
use crate::validate::Checks;

/// The Django columns' lengths, in characters (`varchar(n)`), as the backend's models and
/// migrations define them (docs/django-tables.md).
pub mod limits {
    /// `apps.name_en`, `apps.name_ar`.
    pub const APP_NAME: usize = 200;
    /// `apps.slug` (the [`seed_slug`](super::seed_slug) of the source id).
    pub const APP_SLUG: usize = 220;
    /// `apps.application_icon`: the path relative to the media base URL.
    pub const APP_ICON: usize = 100;
    /// `apps.main_image_en`, `apps.main_image_ar`: paths relative to the media base URL.
    pub const APP_MAIN_IMAGE: usize = 500;
    /// `apps.google_play_link`, `apps.app_store_link`, `apps.app_gallery_link`: full URLs.
    pub const APP_STORE_LINK: usize = 200;
    /// `developers.name_en`, `developers.name_ar` (each UNIQUE).
    pub const DEVELOPER_NAME: usize = 200;
    /// `developers.website`.
    pub const DEVELOPER_WEBSITE: usize = 200;
    /// `developers.logo_url`: a full URL, not a path.
    pub const DEVELOPER_LOGO_URL: usize = 200;
    /// `categories.name_en`, `categories.name_ar` (each UNIQUE).
    pub const CATEGORY_NAME: usize = 100;
    /// `categories.slug` (the frontend's category key).
    pub const CATEGORY_SLUG: usize = 120;
    /// `app_screenshots.image`: the path relative to the media base URL.
    pub const SCREENSHOT_IMAGE: usize = 500;
}

/// An app's slug as the backend's seed derived it from the source id: Python's
/// `app_id.replace('_', '-').lower()` (so `1_Wahy` → `1-wahy`, `14_Quran Mobasher` →
/// `14-quran mobasher`: spaces, `'` and `&` are kept). Rust's `to_lowercase` is Python's
/// `str.lower()` but for a few context-dependent cases (a final capital sigma becomes `σ`, not
/// `ς`); close enough for source ids.
pub fn seed_slug(source_id: &str) -> String {
    source_id.replace('_', "-").to_lowercase()
}

/// The slug qa-load gives an app it adds to the backend's tables: the seed's slug, made what the
/// backend's `SlugField` accepts (ASCII letters, digits and `-`: `14_Quran Mobasher` →
/// `14-quran-mobasher`), so that the app is found again by its source id however it is renamed.
/// Empty when the source id has no letter or digit.
pub fn new_app_slug(source_id: &str) -> String {
    let mut out = String::with_capacity(source_id.len());
    for c in seed_slug(source_id).chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(out.trim_end_matches('-').len());
    out
}

/// The path an image column stores for `url`: relative to the media base URL, as the backend
/// stores it. `base`'s trailing `/`s are dropped; `url` must start with `base` + `/`, and the
/// rest (not empty) is the path, percent-decoded: the backend stores `14_Quran Mobasher/…` with
/// its space and serves `base/path` without encoding, while the core's URLs carry `%20` (W111).
/// None when `url` is not under `base`.
pub fn media_path(url: &str, base: &str) -> Option<String> {
    let base = base.trim_end_matches('/');
    url.strip_prefix(base)
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|path| !path.is_empty())
        .map(percent_decode)
}

/// `%XX` escapes decoded (as UTF-8; the text unchanged when the bytes are not UTF-8).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// The URL the backend serves for a stored image path, as its `R2Storage.url` builds it: a
/// stored `http://` or `https://` URL as it is, else `base` (trailing `/`s dropped) + `/` +
/// the path (leading `/`s dropped). No percent-encoding.
pub fn media_url(path: &str, base: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        return path.to_string();
    }
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// E025 when a value is longer than its Django column.
fn length(c: &mut Checks<'_>, field: impl Display, value: &str, column: &str, limit: usize) {
    if value.len() > limit && value.chars().nth(limit).is_some() {
        let len = value.chars().count();
        c.push(
            Rule::DjangoTooLong,
            field,
            format!("{len} characters; the Django column {column} holds {limit}"),
        );
    }
}

/// An image column: the (loaded) URL must be under the media base URL (E024), and the path
/// stored must fit the column (E025).
pub(crate) fn image(
    c: &mut Checks<'_>,
    field: impl Display + Copy,
    url: Option<&str>,
    base: &str,
    column: &str,
    limit: usize,
) {
    let Some(url) = url else { return };
    match media_path(url, base).as_deref() {
        None => {
            c.push(
                Rule::MediaOutsideBase,
                field,
                format!(
                    "{:?} is not under the media base URL {}/; the Django column {column} stores a path relative to it",
                    excerpt(url),
                    base.trim_end_matches('/')
                ),
            );
        }
        Some(path) => {
            if path.len() > limit && path.chars().nth(limit).is_some() {
                c.push(
                    Rule::DjangoTooLong,
                    field,
                    format!(
                        "the stored path {:?} is {} characters; the Django column {column} holds {limit}",
                        excerpt(path),
                        path.chars().count()
                    ),
                );
            }
        }
    }
}

/// An app row: its slug, names, images and store links against the `apps` columns.
pub(crate) fn app(c: &mut Checks<'_>, app: &App, base: &str) {
    if !app.source_id.is_empty() {
        let slug = seed_slug(&app.source_id);
        if slug.chars().nth(limits::APP_SLUG).is_some() {
            c.push(
                Rule::DjangoTooLong,
                "id",
                format!(
                    "the Django slug made from the id is {} characters; the Django column apps.slug holds {}",
                    slug.chars().count(),
                    limits::APP_SLUG
                ),
            );
        }
    }
    length(c, "Name_En", &app.name_en, "apps.name_en", limits::APP_NAME);
    length(c, "Name_Ar", &app.name_ar, "apps.name_ar", limits::APP_NAME);
    for (field, url, column, limit) in [
        (
            "applicationIcon",
            &app.application_icon_url,
            "apps.application_icon",
            limits::APP_ICON,
        ),
        (
            "mainImage_en",
            &app.main_image_en_url,
            "apps.main_image_en",
            limits::APP_MAIN_IMAGE,
        ),
        (
            "mainImage_ar",
            &app.main_image_ar_url,
            "apps.main_image_ar",
            limits::APP_MAIN_IMAGE,
        ),
    ] {
        image(c, field, url.as_deref(), base, column, limit);
    }
    for (field, url, column) in [
        (
            "Google_Play_Link",
            &app.google_play_url,
            "apps.google_play_link",
        ),
        ("AppStore_Link", &app.app_store_url, "apps.app_store_link"),
        (
            "App_Gallery_Link",
            &app.app_gallery_url,
            "apps.app_gallery_link",
        ),
    ] {
        if let Some(url) = url {
            length(c, field, url, column, limits::APP_STORE_LINK);
        }
    }
}

/// A screenshot: under the media base URL, its path fitting `app_screenshots.image`.
pub(crate) fn screenshot(c: &mut Checks<'_>, field: impl Display + Copy, url: &str, base: &str) {
    image(
        c,
        field,
        Some(url),
        base,
        "app_screenshots.image",
        limits::SCREENSHOT_IMAGE,
    );
}

/// A developer row (record `developer:<key>`): an Arabic name (E026), and its columns' lengths.
/// `apps` names the records it was made from.
pub(crate) fn developer(c: &mut Checks<'_>, row: &Developer, apps: &[String]) {
    length(
        c,
        "Developer_Name_En",
        &row.name_en,
        "developers.name_en",
        limits::DEVELOPER_NAME,
    );
    match &row.name_ar {
        Some(name) => length(
            c,
            "Developer_Name_Ar",
            name,
            "developers.name_ar",
            limits::DEVELOPER_NAME,
        ),
        None => {
            c.push(
                Rule::ArabicNameMissing,
                "Developer_Name_Ar",
                format!(
                    "no record of developer {:?} has an Arabic name (apps: {}); the Django column developers.name_ar requires one",
                    excerpt(&row.name_en),
                    listed(apps)
                ),
            );
        }
    }
    if let Some(url) = &row.website {
        length(
            c,
            "Developer_Website",
            url,
            "developers.website",
            limits::DEVELOPER_WEBSITE,
        );
    }
    if let Some(url) = &row.logo_url {
        length(
            c,
            "Developer_Logo",
            url,
            "developers.logo_url",
            limits::DEVELOPER_LOGO_URL,
        );
    }
}

/// A category row: its key and names against the `categories` columns (the missing Arabic
/// name is [`category_arabic_name_missing`], found where the names are read).
pub(crate) fn category(c: &mut Checks<'_>, row: &Category) {
    length(c, "key", &row.key, "categories.slug", limits::CATEGORY_SLUG);
    length(
        c,
        "name_en",
        &row.name_en,
        "categories.name_en",
        limits::CATEGORY_NAME,
    );
    if let Some(name) = &row.name_ar {
        length(
            c,
            "name_ar",
            name,
            "categories.name_ar",
            limits::CATEGORY_NAME,
        );
    }
}

/// E026 for a category without an Arabic display name (instead of warning W109).
pub(crate) fn category_arabic_name_missing(record: &str, key: &str) -> Diagnostic {
    Diagnostic::new(
        Rule::ArabicNameMissing,
        Some(record.to_string()),
        Some(format!("i18n.ar.{key}")),
        "no Arabic display name; the Django column categories.name_ar requires one".into(),
    )
}

/// E027 for every name that an earlier row of the same table already holds, per language (the
/// Django columns are UNIQUE, compared exactly as PostgreSQL compares them). `rows` are
/// (record, English name, Arabic name); `table` is e.g. `developers`, and `fields` the source
/// field names of the two languages.
pub(crate) fn unique_names<'a>(
    rows: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a str>)>,
    table: &str,
    fields: [&str; 2],
    diags: &mut Vec<Diagnostic>,
) {
    let mut seen: [HashMap<&str, &str>; 2] = Default::default();
    for (record, name_en, name_ar) in rows {
        for ((name, field), seen) in [(Some(name_en), fields[0]), (name_ar, fields[1])]
            .into_iter()
            .zip(seen.iter_mut())
        {
            let Some(name) = name.filter(|n| !n.is_empty()) else {
                continue;
            };
            let column = if field == fields[0] {
                "name_en"
            } else {
                "name_ar"
            };
            match seen.get(name) {
                Some(first) => diags.push(Diagnostic::new(
                    Rule::DuplicateName,
                    Some(record.to_string()),
                    Some(field.to_string()),
                    format!(
                        "{:?} is also the name of {first}; the Django column {table}.{column} is UNIQUE",
                        excerpt(name)
                    ),
                )),
                None => {
                    seen.insert(name, record);
                }
            }
        }
    }
}

/// At most this many records named in a message.
const LISTED_RECORDS: usize = 10;

fn listed(records: &[String]) -> String {
    let mut out = records
        .iter()
        .take(LISTED_RECORDS)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if records.len() > LISTED_RECORDS {
        out.push_str(&format!(" and {} more", records.len() - LISTED_RECORDS));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://pub-e11717db663c469fb51c65995892b449.r2.dev";

    #[test]
    fn seed_slug_is_the_seeds_replace_and_lower() {
        assert_eq!(seed_slug("1_Wahy"), "1-wahy");
        assert_eq!(seed_slug("14_Quran Mobasher"), "14-quran mobasher");
        assert_eq!(
            seed_slug("38_Ma'anoni Da Shiriyar Alqur'ani"),
            "38-ma'anoni da shiriyar alqur'ani"
        );
        assert_eq!(seed_slug("6_Rayyaan & Bayaan"), "6-rayyaan & bayaan");
        assert_eq!(seed_slug("A__B"), "a--b");
        assert_eq!(seed_slug(""), "");
    }

    #[test]
    fn new_app_slugs_are_the_seed_slugs_a_slug_field_accepts() {
        assert_eq!(new_app_slug("1_Wahy"), "1-wahy");
        assert_eq!(new_app_slug("14_Quran Mobasher"), "14-quran-mobasher");
        assert_eq!(
            new_app_slug("38_Ma'anoni Da Shiriyar Alqur'ani"),
            "38-ma-anoni-da-shiriyar-alqur-ani"
        );
        assert_eq!(new_app_slug("6_Rayyaan & Bayaan"), "6-rayyaan-bayaan");
        assert_eq!(new_app_slug("__A__B__"), "a-b");
        assert_eq!(new_app_slug("قرآن"), "");
        assert_eq!(new_app_slug(""), "");
    }

    #[test]
    fn media_path_strips_the_base_and_nothing_else() {
        let url = format!("{BASE}/1_Wahy/app_icon.png");
        assert_eq!(
            media_path(&url, BASE).as_deref(),
            Some("1_Wahy/app_icon.png")
        );
        assert_eq!(
            media_path(&url, &format!("{BASE}/")).as_deref(),
            Some("1_Wahy/app_icon.png")
        );
        assert_eq!(
            media_path(&url, &format!("{BASE}//")).as_deref(),
            Some("1_Wahy/app_icon.png")
        );
        // Spaces as spaces (decoded from %20, as the backend stores them); a further slash kept.
        assert_eq!(
            media_path(&format!("{BASE}/14_Quran Mobasher/a.png"), BASE).as_deref(),
            Some("14_Quran Mobasher/a.png")
        );
        assert_eq!(
            media_path(&format!("{BASE}/14_Quran%20Mobasher/%D8%A3.png"), BASE).as_deref(),
            Some("14_Quran Mobasher/أ.png")
        );
        assert_eq!(
            media_path(&format!("{BASE}/100%/a%zz.png"), BASE).as_deref(),
            Some("100%/a%zz.png")
        );
        assert_eq!(
            media_path(&format!("{BASE}//a.png"), BASE).as_deref(),
            Some("/a.png")
        );
        // Outside.
        assert_eq!(media_path(BASE, BASE), None);
        assert_eq!(media_path(&format!("{BASE}/"), BASE), None);
        assert_eq!(media_path(&format!("{BASE}x/a.png"), BASE), None);
        assert_eq!(media_path("https://cdn.example.org/a.png", BASE), None);
        assert_eq!(
            media_path(
                &format!("{BASE}/a.png"),
                "http://pub-e11717db663c469fb51c65995892b449.r2.dev"
            ),
            None
        );
    }

    #[test]
    fn media_url_is_r2storage_url() {
        assert_eq!(
            media_url("1_Wahy/app_icon.png", BASE),
            format!("{BASE}/1_Wahy/app_icon.png")
        );
        assert_eq!(
            media_url("/1_Wahy/app_icon.png", &format!("{BASE}/")),
            format!("{BASE}/1_Wahy/app_icon.png")
        );
        assert_eq!(
            media_url("14_Quran Mobasher/app_icon.png", BASE),
            format!("{BASE}/14_Quran Mobasher/app_icon.png")
        );
        assert_eq!(
            media_url("https://cdn.example.org/a.png", BASE),
            "https://cdn.example.org/a.png"
        );
        assert_eq!(media_url("http://x.org/a", BASE), "http://x.org/a");
        // The inverse of media_path.
        let url = format!("{BASE}/2_Ayah/cover photo_en.png");
        assert_eq!(media_url(&media_path(&url, BASE).unwrap(), BASE), url);
    }

    #[test]
    fn limits_are_the_django_columns() {
        use limits::*;
        assert_eq!(
            [APP_NAME, APP_SLUG, APP_ICON, APP_MAIN_IMAGE, APP_STORE_LINK],
            [200, 220, 100, 500, 200]
        );
        assert_eq!(
            [DEVELOPER_NAME, DEVELOPER_WEBSITE, DEVELOPER_LOGO_URL],
            [200, 200, 200]
        );
        assert_eq!([CATEGORY_NAME, CATEGORY_SLUG], [100, 120]);
        assert_eq!(SCREENSHOT_IMAGE, 500);
    }

    #[test]
    fn unique_names_names_both_records() {
        let mut diags = Vec::new();
        unique_names(
            [
                ("developer:a", "A", Some("أ")),
                ("developer:b", "B", Some("أ")),
                ("developer:c", "C", None),
                ("developer:d", "D", None),
            ],
            "developers",
            ["Developer_Name_En", "Developer_Name_Ar"],
            &mut diags,
        );
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].code, Rule::DuplicateName.code());
        assert_eq!(diags[0].record.as_deref(), Some("developer:b"));
        assert_eq!(diags[0].field.as_deref(), Some("Developer_Name_Ar"));
        assert!(
            diags[0].message.contains("developer:a"),
            "{}",
            diags[0].message
        );
        assert!(diags[0].message.contains("developers.name_ar"));
    }
}
