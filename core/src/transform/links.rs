//! The app–category links: one per category an app lists, in its order, each once.

use std::collections::HashSet;

use crate::model::RowId;

use super::categories::CategoryCatalogue;
use crate::decode::SourceApp;
use crate::diagnostic::{Diagnostic, Listing};
use crate::model::AppCategory;
use crate::rules::Rule;
use crate::text::excerpt;

/// Adds an app's links to `links`; a category no key, display name or alias resolves is E015.
pub(super) fn add(
    app_id: RowId,
    src: &SourceApp,
    catalogue: &CategoryCatalogue,
    links: &mut Vec<AppCategory>,
    diags: &mut Vec<Diagnostic>,
    listing: &mut Listing,
) {
    let record = src.record.as_str();
    // Categories, in the app's order, each once.
    if src.categories.is_empty() {
        diags.push(Diagnostic::new(
            Rule::MissingField,
            Some(record.to_string()),
            Some("categories".into()),
            "the app has no category; at least one is required".into(),
        ));
    }
    let mut linked: HashSet<RowId> = HashSet::new();
    for (i, raw) in &src.categories {
        let field = format!("categories[{i}]");
        match catalogue.resolve(raw) {
            Some(category_id) if linked.contains(&category_id) => {
                diags.push(Diagnostic::new(
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
                links.push(AppCategory {
                    app_id,
                    category_id,
                    sort_order: linked.len() as i32,
                });
                linked.insert(category_id);
            }
            None => {
                let hint = catalogue.unknown_hint(raw);
                diags.push(
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
        listing.settle(diags);
    }
}
