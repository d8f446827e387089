//! The layouts qa-load writes, as the conformance suite (tests/conformance.rs) sees them: one
//! [`LayoutUnderTest`] per layout, so that every behaviour test is written once and run against
//! each. What differs between layouts is here and nowhere else: how a database ready for a first
//! load is made, the options that name the layout, its five tables and their key order, and the
//! SQL the harness uses to tamper with a written row.
//!
//! Both layouts load the same inputs (tests/fixtures/small.json and small-edited.json: their
//! images are under [`MEDIA_BASE_URL`], so they are valid for the django layout too), and both
//! start from a database without catalogue rows, so that a case asserts the same figures on each.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{fixtures, fresh_db, scalar, TestDb};

/// The media base URL the django layout is given: the fixtures' images are all under it.
pub const MEDIA_BASE_URL: &str = "https://img.example.org/qa";

/// One of the layout's five tables: its name and the columns its rows are ordered by.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// The table's entity as the load summary's `counts` name it (the same for every layout).
    pub entity: &'static str,
    pub name: &'static str,
    pub order: &'static str,
}

/// The entities of a load, in the order of [`LayoutUnderTest::tables`].
pub const ENTITIES: [&str; 5] = [
    "developers",
    "categories",
    "apps",
    "app_categories",
    "screenshots",
];

pub trait LayoutUnderTest: Sync {
    /// The layout as `--layout`, the summary and `qa_load.runs.layout` name it.
    fn name(&self) -> &'static str;

    /// A database of its own, ready for a first load and holding no catalogue rows.
    fn fresh_database(&self) -> TestDb;

    /// A database of its own that already holds catalogue rows another program (or another
    /// input) wrote, none of which the fixtures name.
    fn populated_database(&self) -> TestDb;

    /// The options that name the layout (given to every command, so nothing is detected).
    fn layout_args(&self) -> Vec<String>;

    /// The five tables, in the order of [`ENTITIES`].
    fn tables(&self) -> [Table; 5];

    /// The screenshots table's column that holds the image.
    fn screenshot_image(&self) -> &'static str;

    /// SQL that alters a column qa-load wrote and `verify` compares, as another program would:
    /// (table, column, the value written, the statement).
    fn tamper(&self) -> (&'static str, &'static str, &'static str, String) {
        let apps = self.tables()[2].name;
        (
            apps,
            "short_description_en",
            "tampered by the test",
            format!("UPDATE {apps} SET short_description_en = 'tampered by the test' WHERE name_en = 'Noor Reader'"),
        )
    }

    /// TEST DATABASE ONLY: triggers that alter columns the post-load check reads whenever a
    /// load writes the row: the slug of the first app (Noor Reader), and the image of the last
    /// app's first Arabic screenshot (Verse Tools': the check reads children back a slice of
    /// apps at a time, and the last slice is checked as well as the first).
    fn install_tamper_trigger(&self, url: &str) {
        let [_, _, apps, _, shots] = self.tables().map(|t| t.name);
        let image = self.screenshot_image();
        super::sql(
            url,
            &format!(
                "CREATE FUNCTION conformance_tamper() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF NEW.name_en = 'Noor Reader' THEN NEW.slug := NEW.slug || '-by-trigger'; END IF; \
                 RETURN NEW; END $$; \
                 CREATE TRIGGER conformance_tamper BEFORE INSERT OR UPDATE ON {apps} \
                 FOR EACH ROW EXECUTE FUNCTION conformance_tamper(); \
                 CREATE FUNCTION conformance_tamper_shot() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF NEW.language = 'ar' AND NEW.sort_order = 0 \
                    AND NEW.app_id = (SELECT id FROM {apps} WHERE name_en = 'Verse Tools') \
                 THEN NEW.{image} := NEW.{image} || '#by-trigger'; END IF; \
                 RETURN NEW; END $$; \
                 CREATE TRIGGER conformance_tamper_shot BEFORE INSERT OR UPDATE ON {shots} \
                 FOR EACH ROW EXECUTE FUNCTION conformance_tamper_shot()"
            ),
        );
    }

    /// The categories' natural-key column (the key app records use: `mushaf`, ...).
    fn category_key(&self) -> &'static str;

    /// The apps' column that holds the App Gallery link (the fixtures leave it empty).
    fn gallery_column(&self) -> &'static str;

    /// The SQL expression giving a new screenshot row its id, when the table has no default.
    fn new_screenshot_id(&self) -> Option<&'static str>;

    /// SQL another program would run to add a screenshot to the app named `app`: a copy of its
    /// first English screenshot, at position `sort_order`, whose image has `01_en` replaced by
    /// `image_part`.
    fn add_screenshot_sql(&self, app: &str, image_part: &str, sort_order: i32) -> String {
        let [_, _, apps, _, shots] = self.tables().map(|t| t.name);
        let image = self.screenshot_image();
        let (id_col, id_val) = match self.new_screenshot_id() {
            Some(expr) => ("id, ", format!("{expr}, ")),
            None => ("", String::new()),
        };
        format!(
            "INSERT INTO {shots} ({id_col}app_id, language, {image}, sort_order) \
             SELECT {id_val}s.app_id, s.language, replace(s.{image}, '01_en', '{image_part}'), {sort_order} \
             FROM {shots} s JOIN {apps} a ON a.id = s.app_id \
             WHERE a.name_en = '{app}' AND s.language = 'en' AND s.sort_order = 0"
        )
    }

    /// SQL another program would run to remove the link of the app named `app` to the category
    /// `category` (its key).
    fn remove_link_sql(&self, app: &str, category: &str) -> String {
        let [_, cats, apps, links, _] = self.tables().map(|t| t.name);
        format!(
            "DELETE FROM {links} WHERE app_id = (SELECT id FROM {apps} WHERE name_en = '{app}') \
             AND category_id = (SELECT id FROM {cats} WHERE {} = '{category}')",
            self.category_key()
        )
    }

    // ---- derived: the same for every layout -------------------------------------------------

    fn small(&self) -> PathBuf {
        fixtures().join("small.json")
    }

    fn edited(&self) -> PathBuf {
        fixtures().join("small-edited.json")
    }

    /// `args` then `--database URL` and the layout's options.
    fn args(&self, url: &str, args: &[&str]) -> Vec<String> {
        let mut out: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        out.push("--database".into());
        out.push(url.into());
        out.extend(self.layout_args());
        out
    }

    /// A load of `input` with `extra` options.
    fn load_args(&self, url: &str, input: &Path, extra: &[&str]) -> Vec<String> {
        let mut args = vec!["--input", input.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.args(url, &args)
    }

    /// The stage a load is in while writing `entity`'s batch `i` of `n`.
    fn batch_stage(&self, entity: &str, i: usize, n: usize) -> String {
        let t = self.table(entity);
        format!("load {} (batch {i}/{n})", t.name)
    }

    fn table(&self, entity: &str) -> Table {
        self.tables()
            .into_iter()
            .find(|t| t.entity == entity)
            .unwrap_or_else(|| panic!("no table for {entity}"))
    }

    /// Every row of the five tables, each table in key order, as PostgreSQL's text of the whole
    /// row: equal strings mean byte-for-byte equal tables (timestamps included).
    fn dump(&self, url: &str) -> String {
        tables_text(self, url, "t::text")
    }

    /// The rows of the five tables as JSON objects, (table, key, row), in key order.
    fn rows(&self, url: &str) -> Vec<(String, String, serde_json::Value)> {
        let mut out = Vec::new();
        for t in self.tables() {
            let keys: Vec<&str> = t.order.split(',').map(str::trim).collect();
            let key_expr = keys
                .iter()
                .map(|k| format!("t.{k}::text"))
                .collect::<Vec<_>>()
                .join(" || '/' || ");
            for r in super::sql(
                url,
                &format!(
                    "SELECT {key_expr}, to_jsonb(t)::text FROM {} t ORDER BY {}",
                    t.name, t.order
                ),
            ) {
                out.push((
                    t.name.to_string(),
                    r[0].clone().unwrap(),
                    serde_json::from_str(r[1].as_deref().unwrap()).unwrap(),
                ));
            }
        }
        out
    }

    /// The five tables without `created_at`/`updated_at`, for comparing two databases loaded
    /// with the same input at different times (keys are the same: UUID v5 of natural keys, or
    /// identity values taken from sequences in the same state).
    fn content(&self, url: &str) -> String {
        tables_text(
            self,
            url,
            "(to_jsonb(t) - 'created_at' - 'updated_at')::text",
        )
    }

    /// Row counts of the five tables.
    fn counts(&self, url: &str) -> [usize; 5] {
        self.tables().map(|t| {
            scalar(url, &format!("SELECT count(*) FROM {}", t.name))
                .parse()
                .unwrap()
        })
    }
}

/// The rows that differ between two [`LayoutUnderTest::rows`]: (table, key, columns that differ),
/// a row only on one side listing every column.
pub fn changed_rows(
    before: &[(String, String, serde_json::Value)],
    after: &[(String, String, serde_json::Value)],
) -> Vec<(String, String, BTreeSet<String>)> {
    use std::collections::BTreeMap;
    let index = |rows: &[(String, String, serde_json::Value)]| -> BTreeMap<(String, String), serde_json::Value> {
        rows.iter()
            .map(|(t, k, v)| ((t.clone(), k.clone()), v.clone()))
            .collect()
    };
    let (a, b) = (index(before), index(after));
    let mut out = Vec::new();
    let all: BTreeSet<&(String, String)> = a.keys().chain(b.keys()).collect();
    for key in all {
        let cols: BTreeSet<String> = match (a.get(key), b.get(key)) {
            (Some(x), Some(y)) => {
                let (x, y) = (x.as_object().unwrap(), y.as_object().unwrap());
                x.keys()
                    .chain(y.keys())
                    .filter(|c| x.get(*c) != y.get(*c))
                    .cloned()
                    .collect()
            }
            (Some(x), None) | (None, Some(x)) => x.as_object().unwrap().keys().cloned().collect(),
            (None, None) => unreachable!(),
        };
        if !cols.is_empty() {
            out.push((key.0.clone(), key.1.clone(), cols));
        }
    }
    out
}

/// The five tables as text, each under a `-- name` line, its rows in key order, each row as
/// `row` (an SQL expression over the table's alias `t`) makes it.
fn tables_text<L: LayoutUnderTest + ?Sized>(l: &L, url: &str, row: &str) -> String {
    let mut out = String::new();
    for t in l.tables() {
        out.push_str(&format!("-- {}\n", t.name));
        out.push_str(&scalar(
            url,
            &format!(
                "SELECT coalesce(string_agg({row}, E'\\n' ORDER BY {}), '') FROM {} t",
                t.order, t.name
            ),
        ));
        out.push('\n');
    }
    out
}

/// qa-load's own tables (`--layout qa-load`, uuid keys, created by qa-load's migrations). A fresh
/// database is an empty one where `qa-load schema apply` made the tables (and its bookkeeping),
/// as the backend's `manage.py migrate` makes the django layout's: empty tables, no run.
pub struct QaLoad;

impl LayoutUnderTest for QaLoad {
    fn name(&self) -> &'static str {
        "qa-load"
    }

    fn fresh_database(&self) -> TestDb {
        let db = fresh_db();
        let tmp = tempfile::tempdir().unwrap();
        let mut args = vec!["schema".to_string(), "apply".into(), "--no-log-file".into()];
        args.extend(self.args(&db.url, &[]));
        let r: super::Run = super::qa_load(tmp.path())
            .args(&args)
            .output()
            .expect("run qa-load")
            .into();
        r.expect(0);
        db
    }

    /// A fresh database where another input was loaded: small.json with every app and developer
    /// renamed (the categories are the same rows the fixtures use).
    fn populated_database(&self) -> TestDb {
        let db = self.fresh_database();
        let tmp = tempfile::tempdir().unwrap();
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(self.small()).unwrap()).unwrap();
        for a in v["applicationsData"].as_array_mut().unwrap() {
            for (field, prefix) in [
                ("id", "9"),
                ("Name_En", "Other "),
                ("Name_Ar", "آخر "),
                ("Developer_Name_En", "Other "),
                ("Developer_Name_Ar", "آخر "),
            ] {
                a[field] = format!("{prefix}{}", a[field].as_str().unwrap()).into();
            }
            a["Developer_Website"] = serde_json::Value::Null;
        }
        let other = tmp.path().join("other.json");
        std::fs::write(&other, serde_json::to_string(&v).unwrap()).unwrap();
        let r: super::Run = super::qa_load(tmp.path())
            .args(self.load_args(&db.url, &other, &["--no-log-file", "-q"]))
            .output()
            .expect("run qa-load")
            .into();
        r.expect(0);
        db
    }

    fn layout_args(&self) -> Vec<String> {
        vec!["--layout".into(), "qa-load".into()]
    }

    fn screenshot_image(&self) -> &'static str {
        "url"
    }

    fn category_key(&self) -> &'static str {
        "key"
    }

    fn gallery_column(&self) -> &'static str {
        "app_gallery_url"
    }

    fn new_screenshot_id(&self) -> Option<&'static str> {
        Some("gen_random_uuid()")
    }

    fn tables(&self) -> [Table; 5] {
        [
            Table {
                entity: "developers",
                name: "developers",
                order: "id",
            },
            Table {
                entity: "categories",
                name: "categories",
                order: "id",
            },
            Table {
                entity: "apps",
                name: "apps",
                order: "id",
            },
            Table {
                entity: "app_categories",
                name: "app_categories",
                order: "app_id, category_id",
            },
            Table {
                entity: "screenshots",
                name: "screenshots",
                order: "id",
            },
        ]
    }
}

/// The directory backend's Django tables (`--layout django --media-base-url URL`, bigint
/// identity keys, made by the backend's own `manage.py migrate`). A fresh database is a copy of
/// the migrated backend database EMPTIED of catalogue rows (see [`super::django`]), so that it
/// holds what qa-load's fresh database holds: no developer, category, app, link or screenshot.
pub struct Django;

impl LayoutUnderTest for Django {
    fn name(&self) -> &'static str {
        "django"
    }

    fn fresh_database(&self) -> TestDb {
        super::django::emptied_db()
    }

    /// The migrated backend database as its migrations SEEDED it: 45 apps, 34 developers, 573
    /// screenshots the backend owns (none of them the fixtures').
    fn populated_database(&self) -> TestDb {
        super::django::seeded_db()
    }

    fn layout_args(&self) -> Vec<String> {
        vec![
            "--layout".into(),
            "django".into(),
            "--media-base-url".into(),
            MEDIA_BASE_URL.into(),
        ]
    }

    fn screenshot_image(&self) -> &'static str {
        "image"
    }

    fn category_key(&self) -> &'static str {
        "slug"
    }

    fn gallery_column(&self) -> &'static str {
        "app_gallery_link"
    }

    /// An identity column: the table gives the id.
    fn new_screenshot_id(&self) -> Option<&'static str> {
        None
    }

    fn tables(&self) -> [Table; 5] {
        let t = super::django::TABLES;
        [0, 1, 2, 3, 4].map(|i| Table {
            entity: ENTITIES[i],
            name: t[i],
            order: "id",
        })
    }
}
