//! The apps: each source record typed, then its row — identity (id, names, slug), texts,
//! rating, links and images. Records that share an id are told apart by their positions.

use std::collections::{BTreeSet, HashMap};
use std::mem::take;
use std::ops::Range;

use crate::model::RowId;

use crate::decode::{decode_record, RawRecord, SourceApp};
use crate::diagnostic::{Diagnostic, Listing};
use crate::django;
use crate::ids;
use crate::limits::{
    LIMIT_DESCRIPTION, LIMIT_NAME, LIMIT_SHORT_DESCRIPTION, LIMIT_SOURCE_ID, LIMIT_STATUS,
};
use crate::model::{App, Language, Rating};
use crate::rules::Rule;
use crate::text::{excerpt, id_key, points_at_arabic_file, slugify};
use crate::validate::{Checks, Store};

/// Types the records, consuming them: their text moves into the sources instead of being
/// copied, so the input's size is held about once, not three times. Records that share an id
/// are found and renamed here, before any other stage names them.
pub(super) fn decode_records(
    records: Vec<RawRecord>,
    ignore: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
    listing: &mut Listing,
) -> (Vec<SourceApp>, SharedIds) {
    let mut sources: Vec<SourceApp> = Vec::with_capacity(records.len());
    // The findings of each source, by position in `diags`.
    let mut found: Vec<Range<usize>> = Vec::with_capacity(records.len());
    for (i, record) in records.into_iter().enumerate() {
        let start = diags.len();
        let app = decode_record(i, record, ignore, diags);
        listing.settle(diags);
        if let Some(app) = app {
            sources.push(app);
            found.push(start..diags.len());
        }
    }
    let shared_ids = SharedIds::find(&mut sources, &found, diags);
    (sources, shared_ids)
}

/// The slugs taken so far: slug → the record that took it.
#[derive(Default)]
pub(super) struct Slugs(HashMap<String, String>);

/// An app's row, its fields checked; the source's text moves into it. `pos` is the source's
/// position (for the default sort order and the shared-id findings). With a `media_base` (the
/// Django layout) the row is also checked against the Django columns.
pub(super) fn app_row(
    pos: usize,
    src: &mut SourceApp,
    shared_ids: &SharedIds,
    slugs: &mut Slugs,
    developer_id: RowId,
    media_base: Option<&str>,
    diags: &mut Vec<Diagnostic>,
) -> App {
    let record = src.record.as_str();
    let mut c = Checks { diags, record };

    // Identity.
    let source_id = c.required_owned("id", take(&mut src.id), LIMIT_SOURCE_ID);
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
    let name_en = c.required_owned("Name_En", take(&mut src.name_en), LIMIT_NAME);
    let name_ar = c.required_owned("Name_Ar", take(&mut src.name_ar), LIMIT_NAME);
    let slug = name_en.as_deref().map(slugify).unwrap_or_default();
    if name_en.is_some() {
        if slug.is_empty() {
            c.diags.push(Diagnostic::new(
                Rule::EmptySlug,
                Some(record.to_string()),
                Some("Name_En".into()),
                "no letter or digit to build a slug from".into(),
            ));
        } else if let Some(first) = slugs.0.get(&slug) {
            c.diags.push(Diagnostic::new(
                Rule::DuplicateSlug,
                Some(record.to_string()),
                Some("Name_En".into()),
                format!("slug {slug:?} is already taken by record {first:?}"),
            ));
        } else {
            slugs.0.insert(slug.clone(), record.to_string());
        }
    }

    // Texts, with their language checks.
    let short_en = c.optional_owned(
        "Short_Description_En",
        take(&mut src.short_description_en),
        LIMIT_SHORT_DESCRIPTION,
    );
    let short_ar = c.optional_owned(
        "Short_Description_Ar",
        take(&mut src.short_description_ar),
        LIMIT_SHORT_DESCRIPTION,
    );
    let desc_en = c.optional_owned(
        "Description_En",
        take(&mut src.description_en),
        LIMIT_DESCRIPTION,
    );
    let desc_ar = c.optional_owned(
        "Description_Ar",
        take(&mut src.description_ar),
        LIMIT_DESCRIPTION,
    );
    let status = c.optional_owned("status", take(&mut src.status), LIMIT_STATUS);
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

    let avg_rating = rating(src.rating, &mut c);

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

    let app = App {
        id: ids::app_id(&slug),
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
        developer_id,
        application_icon_url: icon,
        main_image_en_url: main_en,
        main_image_ar_url: main_ar,
        google_play_url: play,
        app_store_url: store,
        app_gallery_url: gallery,
        developer_logo_url: logo,
    };
    if let Some(base) = media_base {
        django::app(&mut c, &app, base);
    }
    app
}

/// The rating: exact hundredths, 0.00–5.00.
fn rating(rating: Option<f64>, c: &mut Checks<'_>) -> Option<Rating> {
    let record = c.record;
    rating.and_then(|r| {
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
    })
}

/// Records that share an id (compared by [`id_key`]). Each such record is named by its id and
/// its position (`1_Alpha (applicationsData[2])`) in every finding, so that the report tells
/// them apart; the second and later ones get an E013 that names them all.
#[derive(Default)]
pub(super) struct SharedIds {
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
    pub(super) fn finding(&self, pos: usize, id: &str) -> Option<String> {
        let &(group, place) = self.member.get(&pos)?;
        let (count, names) = &self.groups[group];
        (place > 0).then(|| format!("id {:?} is shared by {count} records: {names}", excerpt(id)))
    }
}
