//! Source records → rows, entity by entity: the records typed and the `apps`' identities
//! checked, the `categories` mapped, the `developers` deduplicated; then per app its row,
//! its `screenshots` in order and its category `links`. Every row with its deterministic ID.

mod apps;
mod categories;
mod developers;
mod links;
mod screenshots;

use crate::model::RowId;

use crate::diagnostic::{Diagnostic, Listing};
use crate::envelope::TypedInput;
use crate::migration::Migration;
use crate::model::Dataset;
use crate::report::Report;
use crate::rules::Rule;

/// At most this many app records are migrated. The directory has tens; every record becomes two
/// structs of some twenty fields, so a file of millions of `{}` would need hundreds of times its
/// size in memory.
const MAX_APPS: usize = 100_000;

/// The transform's full result (see [`crate::migrate`]).
pub(crate) fn run(mut input: TypedInput) -> Migration {
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
            app_records: Vec::new(),
            options: input.options,
        };
    }

    let records = std::mem::take(&mut input.records);
    let (mut sources, shared_ids) = apps::decode_records(
        records,
        &input.options.ignore_fields,
        &mut diags,
        &mut listing,
    );
    let catalogue =
        categories::CategoryCatalogue::build(&input, &sources, &mut diags, &mut listing);
    let media_base = input.options.layout.media_base_url();
    let developers =
        developers::group_developers(&sources, media_base.is_some(), &mut diags, &mut listing);

    let mut dataset = Dataset {
        categories: catalogue.rows.clone(),
        developers: developers.rows.clone(),
        ..Dataset::default()
    };
    let mut slugs = apps::Slugs::default();
    let mut app_records = Vec::with_capacity(sources.len());
    for (pos, src) in sources.iter_mut().enumerate() {
        let developer_id = developers
            .by_app
            .get(pos)
            .copied()
            .flatten()
            .unwrap_or_else(RowId::default);
        let app = apps::app_row(
            pos,
            src,
            &shared_ids,
            &mut slugs,
            developer_id,
            media_base,
            &mut diags,
        );
        screenshots::add(
            &app.slug,
            app.id,
            src,
            &mut dataset.screenshots,
            media_base,
            &mut diags,
            &mut listing,
        );
        links::add(
            app.id,
            src,
            &catalogue,
            &mut dataset.app_categories,
            &mut diags,
            &mut listing,
        );
        app_records.push(src.record.clone());
        dataset.apps.push(app);
        listing.settle(&mut diags);
    }

    listing.finish(&mut diags);
    let report = Report::new(input.source.clone(), dataset.counts(), diags);
    Migration {
        dataset,
        report,
        developer_variants: developers.variants,
        app_records,
        options: input.options,
    }
}
