//! The directory backend's real Django database, for tests: migrated once per test binary by the
//! backend's own `manage.py migrate` (`scripts/django-backend.sh start`, on the test server of
//! [`super::server`]), kept as two template databases, and copied for each test with
//! `CREATE DATABASE ... TEMPLATE`:
//!
//! - **seeded**: as `migrate` leaves it (its migrations seed 45 apps, 34 developers, 573
//!   screenshots, 0 categories and 0 links: ../shared/peers/README.md);
//! - **emptied**: the same, then emptied of catalogue rows the way bench/lib/django.mjs empties
//!   its template (every table that references apps or categories first: the foreign keys have no
//!   ON DELETE action). The identity sequences stay where the seed left them.
//!
//! `scripts/django-backend.sh prepare` (pgvector, the backend's virtualenv) is run by `start`
//! itself and by scripts/test.sh before `cargo test`. If the backend cannot be stood up, every
//! test that asks for it fails with the script's output: never skipped.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::{rand_suffix, repo_root, scalar, server, sql, with_db, TestDb};

/// The five catalogue tables qa-load's django layout writes, in foreign-key order.
pub const TABLES: [&str; 5] = [
    "developers",
    "categories",
    "apps",
    "apps_categories",
    "app_screenshots",
];

/// Emptying a migrated database of its catalogue rows: bench/lib/django.mjs's EMPTY_SQL.
const EMPTY_SQL: &str = "BEGIN; \
    UPDATE app_submissions SET created_app_id = NULL WHERE created_app_id IS NOT NULL; \
    DELETE FROM app_submissions_categories; \
    DELETE FROM app_metadata_values; \
    DELETE FROM app_view_events; \
    DELETE FROM app_crawled_data; \
    DELETE FROM apps_categories; \
    DELETE FROM app_screenshots; \
    DELETE FROM apps; \
    DELETE FROM developers; \
    DELETE FROM categories; \
    COMMIT";

pub struct Templates {
    /// As `manage.py migrate` left it.
    pub seeded: String,
    /// Emptied of catalogue rows.
    pub emptied: String,
}

/// The row count of each of [`TABLES`].
pub fn catalogue_counts(url: &str) -> [usize; 5] {
    TABLES.map(|t| {
        scalar(url, &format!("SELECT count(*) FROM {t}"))
            .parse()
            .unwrap()
    })
}

fn stand_up() -> Result<Templates, String> {
    let s = server();
    // The backend's copy (settings, migrate.log) is only needed for the migration: removed
    // once the templates are made, or on a failure once its output is read.
    let dir = std::env::temp_dir().join(format!(
        "qa-load-conformance-django-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    let result = migrate_into_templates(s, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn migrate_into_templates(s: &super::Server, dir: &Path) -> Result<Templates, String> {
    let seeded = format!("qa_conf_dj_{}", rand_suffix());
    let script = repo_root().join("scripts/django-backend.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("start")
        .arg(dir)
        .arg("--database-url")
        .arg(&s.admin_url)
        .arg("--db-name")
        .arg(&seeded)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run {}: {e}", script.display()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(40).collect();
        return Err(format!(
            "could not stand up the directory's Django backend (../shared/peers) with `{} start`: exit {:?}.\n\
             It needs pgvector and the backend's virtualenv (`scripts/django-backend.sh prepare`, which \
             scripts/test.sh runs before cargo test) and a superuser on the test server.\n{}",
            script.display(),
            out.status.code(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    let info: Option<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok());
    if info.as_ref().and_then(|i| i["db_name"].as_str()) != Some(seeded.as_str()) {
        return Err(format!(
            "unexpected output from django-backend.sh start: {}",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    let seeded_url = with_db(&s.admin_url, &seeded);
    let counts = catalogue_counts(&seeded_url);
    // What the backend's migrations seed (../shared/peers/README.md): if this changes, the
    // backend under test is not the one this suite was written for.
    if counts != [34, 0, 45, 0, 573] {
        return Err(format!(
            "the migrated backend database holds {counts:?} rows in {TABLES:?}, not the seed's [34, 0, 45, 0, 573]"
        ));
    }
    let emptied = format!("{seeded}_empty");
    sql(
        &s.admin_url,
        &format!("CREATE DATABASE {emptied} TEMPLATE {seeded}"),
    );
    let emptied_url = with_db(&s.admin_url, &emptied);
    sql(&emptied_url, EMPTY_SQL);
    if catalogue_counts(&emptied_url) != [0; 5] {
        return Err("emptying the Django template left catalogue rows".into());
    }
    Ok(Templates { seeded, emptied })
}

/// The two templates, made once per test binary (about 8 s); panics with the reason when the
/// backend cannot be stood up.
pub fn templates() -> &'static Templates {
    static T: OnceLock<Result<Templates, String>> = OnceLock::new();
    match T.get_or_init(stand_up) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}

/// A database of its own, a copy of `template` (one of [`templates`]' names).
pub fn database_from(template: &str) -> TestDb {
    let s = server();
    let name = format!("qa_test_dj_{}", rand_suffix());
    sql(
        &s.admin_url,
        &format!("CREATE DATABASE {name} TEMPLATE {template}"),
    );
    TestDb {
        url: with_db(&s.admin_url, &name),
        name,
    }
}

/// A copy of the migrated backend database emptied of catalogue rows.
pub fn emptied_db() -> TestDb {
    database_from(&templates().emptied)
}

/// A copy of the migrated backend database as its migrations seeded it.
pub fn seeded_db() -> TestDb {
    database_from(&templates().seeded)
}
