//! The acceptance figures of ../shared/fixtures/README.md, on the real frontend data.
//!
//! The module is valid JavaScript apart from its `.ts` name, so the test copies it to a
//! temporary `.mjs` file and lets Node import it: the data is read as the frontend reads it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

mod common;

use qad_core::{I18n, Migration, Severity, SourceInput};

fn fixture_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/frontend-2025-03")
}

fn load_real_input() -> SourceInput {
    let root = fixture_root();
    let module = root.join("src/app/services/applicationsData.ts");
    assert!(
        module.exists(),
        "missing {} (CI provides ../shared/fixtures)",
        module.display()
    );
    let dir = std::env::temp_dir().join(format!("qad-core-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let copy = dir.join("applicationsData.mjs");
    std::fs::copy(&module, &copy).expect("copy module");
    let script = format!(
        "import({:?}).then(m => process.stdout.write(JSON.stringify({{applicationsData: m.applicationsData, categories: m.categories}})))",
        format!("file://{}", copy.display())
    );
    let out = Command::new("node")
        .args(["--input-type=module", "-e", &script])
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut input = common::decode_bytes(&out.stdout).expect("module JSON decodes");
    let read = |lang: &str| -> serde_json::Value {
        let path = root.join(format!("src/assets/i18n/{lang}.json"));
        serde_json::from_slice(&std::fs::read(path).expect("i18n file")).expect("i18n JSON")
    };
    input.i18n = Some(I18n::from_frontend_files(&read("en"), &read("ar")));
    let _ = std::fs::remove_dir_all(&dir);
    input
}

fn real_input() -> SourceInput {
    // Node runs once per test binary; tests run in parallel.
    static INPUT: std::sync::OnceLock<SourceInput> = std::sync::OnceLock::new();
    INPUT.get_or_init(load_real_input).clone()
}

fn migrate_real() -> Migration {
    common::migrate_decoded(real_input())
}

#[test]
fn real_data_yields_the_acceptance_figures() {
    let m = migrate_real();
    let c = m.dataset.counts();
    assert_eq!(c.apps, 44);
    assert_eq!(c.categories, 11);
    assert_eq!(c.developers, 33);
    assert_eq!(c.app_categories, 109);
    assert_eq!(c.screenshots, 563);
    let per_lang = |l: qad_core::Language| {
        m.dataset
            .screenshots
            .iter()
            .filter(|s| s.language == l)
            .count()
    };
    assert_eq!(per_lang(qad_core::Language::Ar), 281);
    assert_eq!(per_lang(qad_core::Language::En), 282);
    assert_eq!(m.report.errors, 0, "{}", m.report.to_text());
    assert!(m.is_loadable());
    let keys: Vec<&str> = m
        .dataset
        .categories
        .iter()
        .map(|c| c.key.as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "mushaf",
            "translations",
            "recite",
            "kids",
            "tafsir",
            "riwayat",
            "audio",
            "memorize",
            "tajweed",
            "accessibility",
            "tools"
        ]
    );
    let tools = &m.dataset.categories[10];
    assert_eq!(tools.name_en, "Other");
    assert_eq!(tools.name_ar.as_deref(), Some("أخرى"));
    assert!(tools
        .icon_svg
        .as_deref()
        .is_some_and(|s| s.contains("<svg")));
}

fn warned(m: &Migration, code: &str) -> Vec<(String, String)> {
    m.report
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .map(|d| {
            (
                d.record.clone().unwrap_or_default(),
                d.field.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn every_known_defect_is_reported_as_a_warning() {
    let m = migrate_real();
    assert!(m
        .report
        .diagnostics
        .iter()
        .all(|d| d.severity == Severity::Warning));

    // Empty strings for missing links and websites.
    let empty = warned(&m, "W110");
    assert!(empty.iter().any(|(_, f)| f == "Developer_Website"));
    assert!(empty.iter().any(|(_, f)| f == "App_Gallery_Link"));
    assert_eq!(
        empty
            .iter()
            .filter(|(_, f)| f == "App_Gallery_Link")
            .count(),
        27
    );
    assert_eq!(
        empty
            .iter()
            .filter(|(_, f)| f == "Developer_Website")
            .count(),
        7
    );

    // URLs containing spaces are encoded, and reported.
    assert!(!warned(&m, "W111").is_empty());
    let mobasher = m
        .dataset
        .apps
        .iter()
        .find(|a| a.source_id == "14_Quran Mobasher")
        .expect("app");
    assert!(mobasher
        .application_icon_url
        .as_deref()
        .is_some_and(|u| u.contains("14_Quran%20Mobasher") && !u.contains(' ')));

    // Logo URLs ending in `.Not Found` become null.
    let not_found = warned(&m, "W101");
    assert_eq!(not_found.len(), 6);
    let ayah = m
        .dataset
        .apps
        .iter()
        .find(|a| a.source_id == "15_Ayah")
        .expect("app");
    assert_eq!(ayah.developer_logo_url, None);

    // English screenshots or covers pointing at _ar files: 34 apps.
    let ar_files: BTreeSet<String> = warned(&m, "W102").into_iter().map(|(r, _)| r).collect();
    assert_eq!(ar_files.len(), 34, "{ar_files:?}");

    // Arabic text in an English developer-name field.
    assert!(warned(&m, "W103").contains(&(
        "65_Tangheem Al Quran".to_string(),
        "Developer_Name_En".to_string()
    )));

    // Developer name variants.
    let merged = warned(&m, "W104");
    let merged_devs: BTreeSet<&str> = merged.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        merged_devs,
        BTreeSet::from(["developer:arabia it", "developer:noor international"])
    );
    let arabia = m
        .report
        .diagnostics
        .iter()
        .find(|d| d.code == "W104" && d.field.as_deref() == Some("Developer_Name_En"))
        .expect("W104");
    assert!(
        arabia.message.contains("\"Arabia IT\"") && arabia.message.contains("\"Arabic IT\""),
        "{}",
        arabia.message
    );
}

#[test]
fn developers_are_merged_as_the_readme_says() {
    let m = migrate_real();
    let by_name: BTreeMap<&str, &qad_core::Developer> = m
        .dataset
        .developers
        .iter()
        .map(|d| (d.name_en.as_str(), d))
        .collect();
    assert!(by_name.contains_key("Arabia IT"));
    assert!(!by_name.contains_key("Arabic IT"));
    let noor = by_name["Noor International"];
    let noor_apps: Vec<&str> = m
        .dataset
        .apps
        .iter()
        .filter(|a| a.developer_id == noor.id)
        .map(|a| a.source_id.as_str())
        .collect();
    assert_eq!(noor_apps, ["57_Noor International Quran", "47_Convey"]);
    let arabia = by_name["Arabia IT"];
    assert_eq!(
        m.dataset
            .apps
            .iter()
            .filter(|a| a.developer_id == arabia.id)
            .count(),
        3
    );
    let v = m
        .developer_variants
        .iter()
        .find(|v| v.developer_id == noor.id)
        .expect("variants");
    assert_eq!(v.names_ar.len(), 2);
    assert_eq!(v.websites.len(), 2);
}

#[test]
fn the_same_input_gives_the_same_rows_and_checksum() {
    let a = migrate_real();
    let b = migrate_real();
    assert_eq!(a.dataset, b.dataset);
    assert_eq!(a.dataset.checksum(), b.dataset.checksum());
    let slugs: BTreeSet<&str> = a.dataset.apps.iter().map(|x| x.slug.as_str()).collect();
    assert_eq!(slugs.len(), 44);
    // Screenshot order is the source order.
    let wahy = a
        .dataset
        .apps
        .iter()
        .find(|x| x.source_id == "1_Wahy")
        .expect("app");
    let shots: Vec<&qad_core::Screenshot> = a
        .dataset
        .screenshots
        .iter()
        .filter(|s| s.app_id == wahy.id && s.language == qad_core::Language::Ar)
        .collect();
    assert!(shots
        .windows(2)
        .all(|w| w[0].sort_order + 1 == w[1].sort_order));
    assert!(
        shots[0].url.ends_with("01_screenshots_ar.png"),
        "{}",
        shots[0].url
    );
    assert_eq!(
        wahy.avg_rating.map(|r| r.to_decimal_string()).as_deref(),
        Some("4.90")
    );
}

/// The Django layout on the real data: the backend's media base URL (its `R2_PUBLIC_URL`
/// default, the production bucket) holds every image, and every value fits the backend's
/// columns. Found: 0 findings of E024-E027, the same warnings as qa-load's layout; the
/// longest stored icon path is 46 characters (`60_School Mushaf - Sign Language/app_icon.png`, spaces stored as spaces,
/// column 100), cover image 52, screenshot 56 (500), store link 178 (200), developer logo URL
/// 110 (200); every developer and category has an Arabic name.
#[test]
fn django_layout_on_real_data_finds_nothing_new() {
    const BASE: &str = "https://pub-e11717db663c469fb51c65995892b449.r2.dev";
    let input = real_input();
    let generic = migrate_real();
    let options = qad_core::Options {
        layout: qad_core::Layout::Django {
            media_base_url: BASE.into(),
        },
        ..Default::default()
    };
    let m = qad_core::migrate(qad_core::Input::Decoded(input), &options).expect("decodes");
    let django_codes = ["E024", "E025", "E026", "E027"];
    let new: Vec<String> = m
        .report
        .diagnostics
        .iter()
        .filter(|d| django_codes.contains(&d.code.as_str()))
        .map(|d| format!("{} {:?} {:?} {}", d.code, d.record, d.field, d.message))
        .collect();
    assert_eq!(new, Vec::<String>::new());
    assert_eq!(m.report, generic.report);
    assert_eq!(m.dataset, generic.dataset);

    let path = |url: &str| {
        qad_core::django::media_path(url, BASE)
            .unwrap_or_else(|| panic!("{url} is outside {BASE}"))
            .chars()
            .count()
    };
    let icons: Vec<usize> = m
        .dataset
        .apps
        .iter()
        .filter_map(|a| a.application_icon_url.as_deref())
        .map(path)
        .collect();
    assert_eq!(icons.len(), 44);
    assert_eq!(icons.iter().max(), Some(&46));
    let covers = m
        .dataset
        .apps
        .iter()
        .flat_map(|a| [&a.main_image_en_url, &a.main_image_ar_url])
        .filter_map(|u| u.as_deref())
        .map(path)
        .max();
    assert_eq!(covers, Some(52));
    let shots = m.dataset.screenshots.iter().map(|s| path(&s.url)).max();
    assert_eq!(shots, Some(56));
    let links = m
        .dataset
        .apps
        .iter()
        .flat_map(|a| [&a.google_play_url, &a.app_store_url, &a.app_gallery_url])
        .filter_map(|u| u.as_deref())
        .map(|u| u.chars().count())
        .max();
    assert_eq!(links, Some(178));
    assert!(m.dataset.developers.iter().all(|d| d.name_ar.is_some()));
    assert!(m.dataset.categories.iter().all(|c| c.name_ar.is_some()));
}
