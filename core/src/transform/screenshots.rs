//! The screenshots: one row per URL and language, in the record's order.

use crate::model::RowId;

use crate::decode::SourceApp;
use crate::diagnostic::{Diagnostic, Listing};
use crate::django;
use crate::ids;
use crate::model::{Language, Screenshot};
use crate::rules::Rule;
use crate::text::points_at_arabic_file;
use crate::validate::{Checks, Item};

/// Adds an app's screenshots (both languages, order kept) to `screenshots`; with a `media_base`
/// (the Django layout) each is checked against `app_screenshots.image`.
pub(super) fn add(
    slug: &str,
    app_id: RowId,
    src: &SourceApp,
    screenshots: &mut Vec<Screenshot>,
    media_base: Option<&str>,
    diags: &mut Vec<Diagnostic>,
    listing: &mut Listing,
) {
    let record = src.record.as_str();
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
                    diags.push(d);
                }
            }
            if let Some(url) = url {
                if let Some(base) = media_base {
                    let mut c = Checks { diags, record };
                    django::screenshot(&mut c, item_field, &url, base);
                }
                if lang == Language::En && points_at_arabic_file(&url) {
                    arabic_files.push(*i);
                }
                screenshots.push(Screenshot {
                    id: ids::screenshot_id(slug, lang.as_str(), order),
                    app_id,
                    language: lang,
                    url,
                    sort_order: order,
                });
                order += 1;
            }
            listing.settle(diags);
        }
        if !spaced.is_empty() {
            let what = "URLs contain spaces; loaded with %20";
            diags.push(list_finding(
                Rule::UrlSpaces,
                record,
                field,
                spaced,
                list.len(),
                what,
            ));
        }
        if !arabic_files.is_empty() {
            let what = "English screenshots point at Arabic files";
            let rule = Rule::EnglishImageIsArabic;
            diags.push(list_finding(
                rule,
                record,
                field,
                arabic_files,
                list.len(),
                what,
            ));
        }
    }
}

/// One finding for the items of a list that a rule concerns, rather than one per item (the list
/// is the defect): `3 of 5 <what> (positions 0, 2, 4)`.
fn list_finding(
    rule: Rule,
    record: &str,
    field: &str,
    items: Vec<usize>,
    total: usize,
    what: &str,
) -> Diagnostic {
    let positions: Vec<String> = items.iter().map(usize::to_string).collect();
    Diagnostic::new(
        rule,
        Some(record.to_string()),
        Some(field.to_string()),
        format!(
            "{} of {total} {what} (positions {})",
            items.len(),
            positions.join(", ")
        ),
    )
    .with_items(items)
}
