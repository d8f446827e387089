//! Before any write: the backend's tables are as this build knows them. Every column the load
//! writes (or gives a default) exists with a type it can write, no NOT NULL column without a
//! default is left out of its inserts, and the backend migrations that shaped the tables (and
//! the data migrations that write them) are applied. Otherwise the command is refused, naming
//! each difference.

use anyhow::Result;
use tokio_postgres::GenericClient;

use crate::error::Refusal;
use crate::layout::Table;

/// The backend migrations the tables' current shape comes from (docs/django-tables.md), and the
/// leaves at the commit this layout was built against: requiring them means the data
/// migrations that also write these tables have run, so a later `migrate` cannot undo a load.
pub const REQUIRED_MIGRATIONS: &[(&str, &str)] = &[
    ("developers", "0001_initial"),
    ("categories", "0001_initial"),
    ("apps", "0001_initial"),
    ("apps", "0004_setup_pgvector_extension"),
    ("apps", "0005_change_embedding_dimensions_to_gemini"),
    ("apps", "0006_add_crawled_content_cache"),
    ("apps", "0014_alter_application_icon_to_imagefield"),
    ("apps", "0016_convert_main_images_add_screenshots"),
    ("apps", "0018_make_application_icon_mandatory"),
    ("apps", "0019_make_main_images_mandatory"),
    ("apps", "0020_add_multi_filter_fields"),
    ("apps", "0025_populate_app_metadata"),
    ("categories", "0006_fix_arabic_category_names"),
];

/// The PostgreSQL types (`udt_name`) a column written through `array` with `cast` may have.
fn accepted(array: &str, cast: &str) -> &'static [&'static str] {
    match (array, cast) {
        (_, "::jsonb") => &["jsonb"],
        (_, "::numeric") => &["numeric"],
        ("int8[]", _) => &["int8"],
        ("int4[]", _) => &["int4", "int8"],
        ("text[]", _) => &["varchar", "text"],
        _ => &[],
    }
}

pub async fn check<C: GenericClient + Sync>(tables: [&Table; 5], c: &C) -> Result<()> {
    let mut differences = Vec::new();
    let has_history: bool = c
        .query_one("SELECT to_regclass('django_migrations') IS NOT NULL", &[])
        .await?
        .get(0);
    if !has_history {
        differences.push("there is no django_migrations table: this is not a database the Django backend migrated".to_string());
    } else {
        let apps: Vec<&str> = REQUIRED_MIGRATIONS.iter().map(|(a, _)| *a).collect();
        let names: Vec<&str> = REQUIRED_MIGRATIONS.iter().map(|(_, n)| *n).collect();
        let missing = c
            .query(
                "SELECT r.app || '.' || r.name FROM unnest($1::text[], $2::text[]) AS r(app, name) \
                 WHERE NOT EXISTS (SELECT 1 FROM django_migrations m WHERE m.app = r.app AND m.name = r.name) \
                 ORDER BY 1",
                &[&apps, &names],
            )
            .await?;
        for m in missing {
            let name: String = m.get(0);
            differences.push(format!(
                "migration {name} is not applied (run the backend's `manage.py migrate`)"
            ));
        }
    }
    for table in tables {
        check_table(c, table, &mut differences).await?;
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(Refusal::DjangoSchema { differences }.into())
    }
}

async fn check_table<C: GenericClient + Sync>(
    c: &C,
    table: &Table,
    differences: &mut Vec<String>,
) -> Result<()> {
    let rows = c
        .query(
            "SELECT column_name::text, udt_name::text, is_nullable = 'YES', \
                    column_default IS NOT NULL OR is_identity = 'YES' \
             FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
            &[&table.name],
        )
        .await?;
    if rows.is_empty() {
        differences.push(format!("table {} does not exist", table.name));
        return Ok(());
    }
    let found: Vec<(String, String, bool, bool)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let column = |name: &str| found.iter().find(|(n, ..)| n == name);
    for col in &table.columns {
        match column(col.name) {
            None => differences.push(format!("{}.{} does not exist", table.name, col.name)),
            Some((_, udt, ..)) => {
                let ok = accepted(col.array, col.cast);
                if !ok.contains(&udt.as_str()) {
                    differences.push(format!(
                        "{}.{} is {udt}, qa-load writes it as {}",
                        table.name,
                        col.name,
                        ok.join(" or ")
                    ));
                }
            }
        }
    }
    for (name, _) in table.ext.insert_defaults {
        if column(name).is_none() {
            differences.push(format!("{}.{name} does not exist", table.name));
        }
    }
    for (name, _, nullable, has_default) in &found {
        let written = table.columns.iter().any(|c| c.name == name)
            || table.ext.insert_defaults.iter().any(|(n, _)| n == name);
        if !written && !nullable && !has_default {
            differences.push(format!(
                "{}.{name} is NOT NULL without a default, and qa-load does not know what to put in it (a newer backend?)",
                table.name
            ));
        }
    }
    Ok(())
}
