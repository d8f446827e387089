//! Source records → rows: categories mapped, developers deduplicated, apps with slugs and
//! ratings, links and screenshots in order, every row with its deterministic ID.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use serde::Serialize;
use uuid::Uuid;

use crate::decode::{decode_category, decode_record, SourceApp};
use crate::envelope::TypedInput;
use crate::ids;
use crate::model::{App, AppCategory, Category, Dataset, Developer, Language, Rating, Screenshot};
use crate::report::{Diagnostic, Listing, Report};
use crate::rules::Rule;
use crate::text::{id_key, name_key, points_at_arabic_file, slugify, website_key};
use crate::validate::{
    excerpt, Checks, Item, Store, LIMIT_DESCRIPTION, LIMIT_NAME, LIMIT_SHORT_DESCRIPTION,
    LIMIT_SOURCE_ID, LIMIT_STATUS,
};
use crate::Migration;

/// Every spelling a developer row was merged from, for reports and the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeveloperVariants {
    pub developer_id: Uuid,
    pub key: String,
    /// Source ids of the apps by this developer, in source order.
    pub apps: Vec<String>,
    pub names_en: Vec<String>,
    pub names_ar: Vec<String>,
    pub websites: Vec<String>,
}

/// At most this many app records are migrated. The directory has tens; every record becomes two
/// structs of some twenty fields, so a file of millions of `{}` would need hundreds of times its
/// size in memory.
const MAX_APPS: usize = 100_000;

/// The transform's full result (the crate root re-exports it as [`Migration`]).
pub fn run(mut input: TypedInput) -> Migration {
    let mut diags = Vec::new();
    let mut listing = Listing::default();

    if input.records.len() > MAX_APPS {
        diags.push(Diagnostic::new(
            Rule::InputShape,
            None,
            Some("applicationsData".into()),
            format!(
                "the input has {} app records; at most {MAX_APPS} are migrated",
                input.records.len()
            ),
        ));
        let dataset = Dataset::default();
        return Migration {
            report: Report::new(input.source.clone(), dataset.counts(), diags),
            dataset,
            developer_variants: Vec::new(),
        };
    }

    // The records are consumed as they are typed: their text moves into the rows instead of
    // being copied, so the input's size is held about once, not three times.
    let records = std::mem::take(&mut input.records);
    let mut sources: Vec<SourceApp> = Vec::with_capacity(records.len());
    // The findings of each source, by position in `diags`.
    let mut found: Vec<Range<usize>> = Vec::with_capacity(records.len());
    for (i, record) in records.into_iter().enumerate() {
        let start = diags.len();
        let app = decode_record(i, record, &input.options.ignore_fields, &mut diags);
        listing.settle(&mut diags);
        if let Some(app) = app {
            sources.push(app);
            found.push(start..diags.len());
        }
    }
    let shared_ids = SharedIds::find(&mut sources, &found, &mut diags);

    let catalogue = CategoryCatalogue::build(&input, &sources, &mut diags, &mut listing);
    let developers = group_developers(&sources, &mut diags, &mut listing);

    let mut dataset = Dataset {
        categories: catalogue.rows.clone(),
        developers: developers.rows.clone(),
        ..Dataset::default()
    };

    let mut seen_slugs: HashMap<String, String> = HashMap::new();

    for (pos, src) in sources.iter_mut().enumerate() {
        let record = src.record.as_str();
        let mut c = Checks {
            diags: &mut diags,
            record,
        };

        // Identity.
        let source_id = c.required_owned("id", std::mem::take(&mut src.id), LIMIT_SOURCE_ID);
        if let Some(id) = &source_id {
            if let Some(message) = shared_ids.finding(pos, id) {
                c.diags.push(Diagnostic::new(
                    Rule::DuplicateId,
                    Some(record.to_string()),
                    Some("id".into()),
                    message,
                ));
            }
        }
        let name_en = c.required_owned("Name_En", std::mem::take(&mut src.name_en), LIMIT_NAME);
        let name_ar = c.required_owned("Name_Ar", std::mem::take(&mut src.name_ar), LIMIT_NAME);
        let slug = name_en.as_deref().map(slugify).unwrap_or_default();
        if name_en.is_some() {
            if slug.is_empty() {
                c.diags.push(Diagnostic::new(
                    Rule::EmptySlug,
                    Some(record.to_string()),
                    Some("Name_En".into()),
                    "no letter or digit to build a slug from".into(),
                ));
            } else if let Some(first) = seen_slugs.get(&slug) {
                c.diags.push(Diagnostic::new(
                    Rule::DuplicateSlug,
                    Some(record.to_string()),
                    Some("Name_En".into()),
                    format!("slug {slug:?} is already taken by record {first:?}"),
                ));
            } else {
                seen_slugs.insert(slug.clone(), record.to_string());
            }
        }

        // Texts, with their language checks.
        let short_en = c.optional_owned(
            "Short_Description_En",
            std::mem::take(&mut src.short_description_en),
            LIMIT_SHORT_DESCRIPTION,
        );
        let short_ar = c.optional_owned(
            "Short_Description_Ar",
            std::mem::take(&mut src.short_description_ar),
            LIMIT_SHORT_DESCRIPTION,
        );
        let desc_en = c.optional_owned(
            "Description_En",
            std::mem::take(&mut src.description_en),
            LIMIT_DESCRIPTION,
        );
        let desc_ar = c.optional_owned(
            "Description_Ar",
            std::mem::take(&mut src.description_ar),
            LIMIT_DESCRIPTION,
        );
        let status = c.optional_owned("status", std::mem::take(&mut src.status), LIMIT_STATUS);
        for (field, value, lang) in [
            ("Name_En", &name_en, Language::En),
            ("Name_Ar", &name_ar, Language::Ar),
            ("Short_Description_En", &short_en, Language::En),
            ("Short_Description_Ar", &short_ar, Language::Ar),
            ("Description_En", &desc_en, Language::En),
            ("Description_Ar", &desc_ar, Language::Ar),
        ] {
            c.script(field, value.as_deref(), lang);
        }

        // Rating: exact hundredths, 0.00–5.00.
        let avg_rating = src.rating.and_then(|r| {
            if !r.is_finite() || !(0.0..=5.0).contains(&r) {
                c.diags.push(Diagnostic::new(
                    Rule::RatingRange,
                    Some(record.to_string()),
                    Some("Apps_Avg_Rating".into()),
                    format!("{r} is outside 0 to 5"),
                ));
                return None;
            }
            let hundredths = (r * 100.0).round();
            if ((r * 100.0) - hundredths).abs() > 1e-6 {
                c.diags.push(Diagnostic::new(
                    Rule::RatingRounded,
                    Some(record.to_string()),
                    Some("Apps_Avg_Rating".into()),
                    format!(
                        "{r} is rounded to {}",
                        Rating(hundredths as u16).to_decimal_string()
                    ),
                ));
            }
            Some(Rating(hundredths as u16))
        });

        // Links and images.
        let icon = c.url(
            "applicationIcon",
            src.application_icon.as_deref(),
            true,
            None,
        );
        let main_en = c.url("mainImage_en", src.main_image_en.as_deref(), true, None);
        let main_ar = c.url("mainImage_ar", src.main_image_ar.as_deref(), true, None);
        let logo = c.url("Developer_Logo", src.developer_logo.as_deref(), true, None);
        let play = c.url(
            "Google_Play_Link",
            src.google_play.as_deref(),
            false,
            Some(Store::GooglePlay),
        );
        let store = c.url(
            "AppStore_Link",
            src.app_store.as_deref(),
            false,
            Some(Store::AppStore),
        );
        let gallery = c.url(
            "App_Gallery_Link",
            src.app_gallery.as_deref(),
            false,
            Some(Store::AppGallery),
        );
        if let Some(url) = &main_en {
            if points_at_arabic_file(url) {
                c.diags.push(Diagnostic::new(
                    Rule::EnglishImageIsArabic,
                    Some(record.to_string()),
                    Some("mainImage_en".into()),
                    format!("the English cover image points at an Arabic file: {url}"),
                ));
            }
        }

        let app_id = ids::app_id(&slug);

        // Screenshots, per language, order kept.
        for (lang, list, field) in [
            (Language::Ar, &src.screenshots_ar, "screenshots_ar"),
            (Language::En, &src.screenshots_en, "screenshots_en"),
        ] {
            let mut arabic_files = Vec::new();
            let mut spaced = Vec::new();
            let mut order = 0i32;
            for (i, raw) in list {
                let item_field = Item(field, *i);
                let mut item_diags = Vec::new();
                let url = Checks {
                    diags: &mut item_diags,
                    record,
                }
                .url(item_field, Some(raw), false, None);
                // One url-spaces finding per list, not per screenshot: the list is the defect.
                for d in item_diags {
                    if d.code == Rule::UrlSpaces.code() {
                        spaced.push(*i);
                    } else {
                        c.diags.push(d);
                    }
                }
                if let Some(url) = url {
                    if lang == Language::En && points_at_arabic_file(&url) {
                        arabic_files.push(*i);
                    }
                    dataset.screenshots.push(Screenshot {
                        id: ids::screenshot_id(&slug, lang.as_str(), order),
                        app_id,
                        language: lang,
                        url,
                        sort_order: order,
                    });
                    order += 1;
                }
                listing.settle(c.diags);
            }
            if !spaced.is_empty() {
                c.diags.push(
                    Diagnostic::new(
                        Rule::UrlSpaces,
                        Some(record.to_string()),
                        Some(field.to_string()),
                        format!(
                            "{} of {} URLs contain spaces; loaded with %20 (positions {})",
                            spaced.len(),
                            list.len(),
                            spaced
                                .iter()
                                .map(usize::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .with_items(spaced),
                );
            }
            if !arabic_files.is_empty() {
                c.diags.push(
                    Diagnostic::new(
                        Rule::EnglishImageIsArabic,
                        Some(record.to_string()),
                        Some(field.to_string()),
                        format!(
                            "{} of {} English screenshots point at Arabic files (positions {})",
                            arabic_files.len(),
                            list.len(),
                            arabic_files
                                .iter()
                                .map(usize::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .with_items(arabic_files),
                );
            }
        }

        // Categories, in the app's order, each once.
        if src.categories.is_empty() {
            c.diags.push(Diagnostic::new(
                Rule::MissingField,
                Some(record.to_string()),
                Some("categories".into()),
                "the app has no category; at least one is required".into(),
            ));
        }
        let mut linked: HashSet<Uuid> = HashSet::new();
        for (i, raw) in &src.categories {
            let field = format!("categories[{i}]");
            match catalogue.resolve(raw) {
                Some(category_id) if linked.contains(&category_id) => {
                    c.diags.push(Diagnostic::new(
                        Rule::DuplicateLink,
                        Some(record.to_string()),
                        Some(field),
                        format!(
                            "category {:?} is listed more than once; linked once",
                            excerpt(raw)
                        ),
                    ));
                }
                Some(category_id) => {
                    dataset.app_categories.push(AppCategory {
                        app_id,
                        category_id,
                        sort_order: linked.len() as i32,
                    });
                    linked.insert(category_id);
                }
                None => {
                    let hint = catalogue.unknown_hint(raw);
                    c.diags.push(
                        Diagnostic::new(
                            Rule::UnknownCategory,
                            Some(record.to_string()),
                            Some(field),
                            format!("category {:?} is not a known category key", excerpt(raw)),
                        )
                        .with_hint(hint),
                    );
                }
            }
            listing.settle(c.diags);
        }

        dataset.apps.push(App {
            id: app_id,
            slug,
            source_id: source_id.unwrap_or_default(),
            name_en: name_en.unwrap_or_default(),
            name_ar: name_ar.unwrap_or_default(),
            short_description_en: short_en,
            short_description_ar: short_ar,
            description_en: desc_en,
            description_ar: desc_ar,
            status,
            sort_order: src.sort.unwrap_or(pos as i32 + 1),
            avg_rating,
            developer_id: developers
                .by_app
                .get(pos)
                .copied()
                .flatten()
                .unwrap_or_else(Uuid::nil),
            application_icon_url: icon,
            main_image_en_url: main_en,
            main_image_ar_url: main_ar,
            google_play_url: play,
            app_store_url: store,
            app_gallery_url: gallery,
            developer_logo_url: logo,
        });
        listing.settle(&mut diags);
    }

    listing.finish(&mut diags);
    let report = Report::new(input.source.clone(), dataset.counts(), diags);
    Migration {
        dataset,
        report,
        developer_variants: developers.variants,
    }
}

/// Records that share an id (compared by [`id_key`]). Each such record is named by its id and
/// its position (`1_Alpha (applicationsData[2])`) in every finding, so that the report tells
/// them apart; the second and later ones get an E013 that names them all.
#[derive(Default)]
struct SharedIds {
    /// Source position → (the group it shares an id with, its place in the group).
    member: HashMap<usize, (usize, usize)>,
    /// Per group, how many records share the id, and how the E013 message names them.
    groups: Vec<(usize, String)>,
}

/// How many records of one group an E013 message names (a hostile input may repeat one id in
/// every record).
const LISTED_SHARING: usize = 10;

impl SharedIds {
    /// Finds the groups, and renames their records in `sources` and in the findings each
    /// already has (`found`, by source position).
    fn find(
        sources: &mut [SourceApp],
        found: &[Range<usize>],
        diags: &mut [Diagnostic],
    ) -> SharedIds {
        // The ids the transform accepts (see Checks::required): only those are compared.
        let loadable = |id: &str| {
            !id.trim().is_empty()
                && id.chars().nth(LIMIT_SOURCE_ID).is_none()
                && !id.as_bytes().contains(&0)
        };
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for (pos, src) in sources.iter().enumerate() {
            if let Some(id) = src.id.as_deref().filter(|id| loadable(id)) {
                by_key.entry(id_key(id)).or_default().push(pos);
            }
        }
        let mut shared: Vec<Vec<usize>> = by_key.into_values().filter(|g| g.len() > 1).collect();
        shared.sort_unstable();
        let mut out = SharedIds::default();
        for (g, members) in shared.into_iter().enumerate() {
            let mut names = Vec::with_capacity(members.len().min(LISTED_SHARING));
            for (place, &pos) in members.iter().enumerate() {
                out.member.insert(pos, (g, place));
                let src = &mut sources[pos];
                if place < LISTED_SHARING {
                    let name = src
                        .name_en
                        .as_deref()
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map_or_else(|| "no Name_En".to_string(), |n| format!("{:?}", excerpt(n)));
                    names.push(format!(
                        "applicationsData[{}] (id {:?}, Name_En {name})",
                        src.index,
                        excerpt(src.id.as_deref().unwrap_or_default())
                    ));
                }
                let renamed = format!("{} (applicationsData[{}])", src.record, src.index);
                for d in &mut diags[found[pos].clone()] {
                    if d.record.as_deref() == Some(src.record.as_str()) {
                        d.record = Some(renamed.clone());
                    }
                }
                src.record = renamed;
            }
            if members.len() > LISTED_SHARING {
                names.push(format!("and {} more", members.len() - LISTED_SHARING));
            }
            out.groups.push((members.len(), names.join(", ")));
        }
        out
    }

    /// The E013 message of the record at a source position, when it repeats an earlier id.
    fn finding(&self, pos: usize, id: &str) -> Option<String> {
        let &(group, place) = self.member.get(&pos)?;
        let (count, names) = &self.groups[group];
        (place > 0).then(|| format!("id {:?} is shared by {count} records: {names}", excerpt(id)))
    }
}

/// The categories of the export, with every way an app may name one.
struct CategoryCatalogue {
    rows: Vec<Category>,
    /// key → id
    by_key: HashMap<String, Uuid>,
    /// lower-cased English display name → id
    by_display_name: HashMap<String, Uuid>,
    /// alias key → id
    by_alias: HashMap<String, Uuid>,
    /// What hints show: the known keys, and the key an alias example points at.
    hint_keys: String,
    hint_example: String,
}

impl CategoryCatalogue {
    fn build(
        input: &TypedInput,
        apps: &[SourceApp],
        diags: &mut Vec<Diagnostic>,
        listing: &mut Listing,
    ) -> Self {
        let empty = BTreeMap::new();
        let (i18n_en, i18n_ar) = match &input.i18n {
            Some(i) => (&i.en, &i.ar),
            None => (&empty, &empty),
        };
        let mut cat = CategoryCatalogue {
            rows: Vec::new(),
            by_key: HashMap::new(),
            by_display_name: HashMap::new(),
            by_alias: HashMap::new(),
            hint_keys: String::new(),
            hint_example: String::new(),
        };

        // Lower-cased English display name -> the first key (in key order) that shows it.
        let mut key_of_shown: HashMap<String, &String> = HashMap::new();
        for (key, shown) in i18n_en {
            key_of_shown
                .entry(shown.trim().to_lowercase())
                .or_insert(key);
        }

        // (record, key, export name, icon)
        let mut entries: Vec<(String, String, String, Option<String>)> = Vec::new();
        match &input.categories {
            Some(export) => {
                for (i, value) in export.iter().enumerate() {
                    listing.settle(diags);
                    let ignore = &input.options.ignore_fields;
                    let Some(src) = decode_category(i, value, ignore, diags) else {
                        continue;
                    };
                    let mut c = Checks {
                        diags,
                        record: &src.record,
                    };
                    let Some(name) = c.required("name", &src.name, LIMIT_NAME) else {
                        continue;
                    };
                    let direct = name.trim().to_lowercase();
                    // A name that is no key but is a key's English display name maps to that key
                    // (the frontend shows key `tools` as "Other").
                    let key = if i18n_en.is_empty() || i18n_en.contains_key(&direct) {
                        direct
                    } else {
                        key_of_shown
                            .get(&direct)
                            .map(|k| (*k).clone())
                            .unwrap_or(direct)
                    };
                    if let Some(icon) = &src.icon {
                        c.text("icon", icon, None);
                    }
                    entries.push((src.record.clone(), key, name, src.icon.clone()));
                }
            }
            None => {
                // A bare array of records: derive the categories from the keys apps use.
                let mut seen = HashSet::<String>::new();
                for app in apps {
                    for (_, raw) in &app.categories {
                        let key = raw.trim().to_lowercase();
                        if !key.is_empty() && !seen.contains(&key) {
                            seen.insert(key.clone());
                            diags.push(Diagnostic::new(
                                Rule::CategoryDerived,
                                Some(format!("category:{key}")),
                                None,
                                format!(
                                    "category {:?} derived from app records (no categories export)",
                                    excerpt(&key)
                                ),
                            ));
                            entries.push((format!("category:{key}"), key.clone(), key, None));
                        }
                    }
                    listing.settle(diags);
                }
            }
        }

        // Keys that differ only in Unicode normalisation or case look the same to every reader:
        // NFKC- and case-folded key -> the key first seen.
        let mut folded_keys: HashMap<String, String> = HashMap::new();
        for (record, key, export_name, icon) in entries {
            listing.settle(diags);
            if cat.by_key.contains_key(&key) {
                diags.push(Diagnostic::new(
                    Rule::DuplicateCategory,
                    Some(record),
                    Some("name".into()),
                    format!(
                        "category key {:?} is exported more than once",
                        excerpt(&key)
                    ),
                ));
                continue;
            }
            if let Some(first) = folded_keys.get(&id_key(&key)) {
                diags.push(Diagnostic::new(
                    Rule::DuplicateCategory,
                    Some(record),
                    Some("name".into()),
                    format!(
                        "category key {:?} is the key {:?} in another Unicode normal form or case",
                        excerpt(&key),
                        excerpt(first)
                    ),
                ));
                continue;
            }
            folded_keys.insert(id_key(&key), key.clone());
            // A key taken from the i18n files is not checked anywhere else; the table's key
            // column refuses an empty key, and PostgreSQL refuses NUL.
            if key.trim().is_empty() {
                diags.push(Diagnostic::new(
                    Rule::MissingField,
                    Some(record.clone()),
                    Some("key".into()),
                    format!(
                        "the key of category {:?} is empty (an empty key in the i18n files shows its name)",
                        excerpt(&export_name)
                    ),
                ));
            }
            Checks {
                diags,
                record: &record,
            }
            .text("key", &key, None);
            let id = ids::category_id(&key);
            let name_en = match i18n_en.get(&key) {
                Some(n) if !n.trim().is_empty() => n.clone(),
                _ => {
                    diags.push(Diagnostic::new(
                        Rule::CategoryNameMissing,
                        Some(record.clone()),
                        Some(format!("i18n.en.{key}")),
                        format!(
                            "no English display name; the export's name {:?} is used",
                            excerpt(&export_name)
                        ),
                    ));
                    export_name.clone()
                }
            };
            let name_ar = match i18n_ar.get(&key) {
                Some(n) if !n.trim().is_empty() => Some(n.clone()),
                _ => {
                    diags.push(Diagnostic::new(
                        Rule::CategoryNameMissing,
                        Some(record.clone()),
                        Some(format!("i18n.ar.{key}")),
                        "no Arabic display name; loaded as null".into(),
                    ));
                    None
                }
            };
            let mut c = Checks {
                diags,
                record: &record,
            };
            c.text("name_en", &name_en, Some(LIMIT_NAME));
            if let Some(n) = &name_ar {
                c.text("name_ar", n, Some(LIMIT_NAME));
            }
            cat.by_display_name
                .insert(name_en.trim().to_lowercase(), id);
            cat.by_display_name
                .insert(export_name.trim().to_lowercase(), id);
            cat.by_key.insert(key.clone(), id);
            cat.rows.push(Category {
                id,
                key,
                name_en,
                name_ar,
                icon_svg: icon,
                sort_order: cat.rows.len() as i32,
            });
        }

        cat.hint_keys = cat.known_keys();
        // Suggest the catch-all category when there is one ("Other"), else the first.
        cat.hint_example = excerpt(
            cat.rows
                .iter()
                .find(|c| c.name_en.eq_ignore_ascii_case("other"))
                .or(cat.rows.first())
                .map_or("KEY", |c| c.key.as_str()),
        );
        for (from, to) in &input.options.category_aliases {
            listing.settle(diags);
            let (from, to) = (from.trim().to_lowercase(), to.trim().to_lowercase());
            match cat.by_key.get(&to) {
                Some(id) => {
                    cat.by_alias.insert(from, *id);
                }
                None => diags.push(
                    Diagnostic::new(
                        Rule::BadAlias,
                        Some(format!("alias:{from}")),
                        None,
                        format!(
                            "alias {}={} maps to {:?}, which is not a category key",
                            excerpt(&from),
                            excerpt(&to),
                            excerpt(&to)
                        ),
                    )
                    .with_hint(format!("Known category keys: {}.", cat.hint_keys)),
                ),
            }
        }
        listing.settle(diags);
        cat
    }

    fn resolve(&self, raw: &str) -> Option<Uuid> {
        // A key written as it is stored (trimmed, lower-case ASCII) needs no folded copy.
        if !raw.is_empty()
            && raw
                .bytes()
                .all(|b| !b.is_ascii_uppercase() && !b.is_ascii_whitespace() && b.is_ascii())
        {
            if let Some(id) = self.by_key.get(raw) {
                return Some(*id);
            }
        }
        let key = raw.trim().to_lowercase();
        self.by_key
            .get(&key)
            .or_else(|| self.by_alias.get(&key))
            .or_else(|| self.by_display_name.get(&key))
            .copied()
    }

    /// The keys for a hint: the first [`HINT_KEYS`], then how many more (a hint per unknown
    /// category must not grow with the number of categories).
    fn known_keys(&self) -> String {
        let mut keys = self
            .rows
            .iter()
            .take(HINT_KEYS)
            .map(|c| excerpt(&c.key))
            .collect::<Vec<_>>()
            .join(", ");
        if self.rows.len() > HINT_KEYS {
            keys.push_str(&format!(" and {} more", self.rows.len() - HINT_KEYS));
        }
        keys
    }

    fn unknown_hint(&self, raw: &str) -> String {
        format!(
            "Known category keys: {}. Fix the key in the record, add the category to the `categories` export, or map it with an alias: `--alias {}={}`.",
            self.hint_keys,
            excerpt(&raw.trim().to_lowercase()),
            self.hint_example
        )
    }
}

/// How many category keys a hint lists.
const HINT_KEYS: usize = 30;

struct DeveloperGroups {
    rows: Vec<Developer>,
    /// App position → developer id (None when the app names no developer).
    by_app: Vec<Option<Uuid>>,
    variants: Vec<DeveloperVariants>,
}

/// Deduplicates developers: one developer per normalised English name, and records that share
/// a (non-shared) website host are the same developer too. The first variant seen is kept.
fn group_developers(
    apps: &[SourceApp],
    diags: &mut Vec<Diagnostic>,
    listing: &mut Listing,
) -> DeveloperGroups {
    // Union-find over app positions.
    let mut parent: Vec<usize> = (0..apps.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut by_host: HashMap<String, usize> = HashMap::new();
    let mut websites: Vec<Option<String>> = Vec::with_capacity(apps.len());

    for (pos, app) in apps.iter().enumerate() {
        listing.settle(diags);
        // The website as it will be loaded; its findings are reported once, here.
        let mut c = Checks {
            diags,
            record: &app.record,
        };
        let website = c.url(
            "Developer_Website",
            app.developer_website.as_deref(),
            false,
            None,
        );
        let name = app
            .developer_name_en
            .as_deref()
            .map(str::trim)
            .unwrap_or("");
        if c.required("Developer_Name_En", &app.developer_name_en, LIMIT_NAME)
            .is_none()
        {
            websites.push(website);
            continue;
        }
        c.optional("Developer_Name_Ar", &app.developer_name_ar, LIMIT_NAME);
        c.script("Developer_Name_En", Some(name), Language::En);
        if let Some(ar) = app
            .developer_name_ar
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        {
            c.script("Developer_Name_Ar", Some(ar), Language::Ar);
        }
        let key = name_key(name);
        if key.is_empty() {
            // The key would be empty (the table refuses it), and every such name would share it.
            c.diags.push(
                Diagnostic::new(
                    Rule::EmptySlug,
                    Some(app.record.clone()),
                    Some("Developer_Name_En".into()),
                    format!(
                        "{:?} has no letter or digit to build the developer's key from",
                        excerpt(name)
                    ),
                )
                .with_hint("Give the developer an English name with letters or digits.".into()),
            );
        }
        if let Some(&first) = by_name.get(&key) {
            let (a, b) = (find(&mut parent, first), find(&mut parent, pos));
            parent[b.max(a)] = b.min(a);
        } else {
            by_name.insert(key, pos);
        }
        if let Some(host) = website.as_deref().and_then(website_key) {
            if let Some(&first) = by_host.get(&host) {
                let (a, b) = (find(&mut parent, first), find(&mut parent, pos));
                parent[b.max(a)] = b.min(a);
            } else {
                by_host.insert(host, pos);
            }
        }
        websites.push(website);
    }

    // Groups in order of their first app.
    let named: Vec<bool> = apps
        .iter()
        .map(|a| {
            a.developer_name_en
                .as_deref()
                .is_some_and(|n| !n.trim().is_empty())
        })
        .collect();
    let mut group_of_root: HashMap<usize, usize> = HashMap::new();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (pos, _) in named.iter().enumerate().filter(|(_, named)| **named) {
        let root = find(&mut parent, pos);
        let g = *group_of_root.entry(root).or_insert_with(|| {
            members.push(Vec::new());
            members.len() - 1
        });
        members[g].push(pos);
    }

    let mut rows = Vec::with_capacity(members.len());
    let mut by_app = vec![None; apps.len()];
    let mut variants = Vec::with_capacity(members.len());
    for group in members {
        listing.settle(diags);
        let first = &apps[group[0]];
        let name_en = first
            .developer_name_en
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_string();
        let key = name_key(&name_en);
        let id = ids::developer_id(&key);
        let nonblank =
            |v: Option<&str>| v.map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        let mut v = DeveloperVariants {
            developer_id: id,
            key: key.clone(),
            apps: Vec::new(),
            names_en: Vec::new(),
            names_ar: Vec::new(),
            websites: Vec::new(),
        };
        let mut logo = None;
        let mut seen: [HashSet<String>; 3] = Default::default();
        for &pos in &group {
            let app = &apps[pos];
            by_app[pos] = Some(id);
            v.apps.push(app.record.clone());
            for ((list, value), seen) in [
                (&mut v.names_en, nonblank(app.developer_name_en.as_deref())),
                (&mut v.names_ar, nonblank(app.developer_name_ar.as_deref())),
                (&mut v.websites, websites[pos].clone()),
            ]
            .into_iter()
            .zip(seen.iter_mut())
            {
                if let Some(value) = value {
                    if seen.insert(value.clone()) {
                        list.push(value);
                    }
                }
            }
            if logo.is_none() {
                logo = app
                    .developer_logo
                    .as_deref()
                    .filter(|l| !l.trim().is_empty() && !l.trim_end().ends_with(".Not Found"))
                    .and_then(|l| match crate::text::normalize_url(l) {
                        crate::text::UrlOutcome::Valid { url, .. } => Some(url),
                        _ => None,
                    });
            }
        }
        for (field, list) in [
            ("Developer_Name_En", &v.names_en),
            ("Developer_Name_Ar", &v.names_ar),
            ("Developer_Website", &v.websites),
        ] {
            if list.len() > 1 {
                let quoted: Vec<String> = list.iter().map(|s| format!("{s:?}")).collect();
                diags.push(Diagnostic::new(
                    Rule::DeveloperMerged,
                    Some(format!("developer:{key}")),
                    Some(field.to_string()),
                    format!(
                        "{} are merged into one developer (apps: {}); kept {:?}",
                        quoted.join(" and "),
                        v.apps.join(", "),
                        list[0]
                    ),
                ));
            }
        }
        rows.push(Developer {
            id,
            key,
            name_en,
            name_ar: v.names_ar.first().cloned(),
            website: v.websites.first().cloned(),
            logo_url: logo,
        });
        variants.push(v);
    }
    DeveloperGroups {
        rows,
        by_app,
        variants,
    }
}
