//! Hostile input (issue 8): nothing is ever lost or let in.
//!
//! - The corpus in `tests/hostile/json/` runs through `qad_core::migrate` (from bytes); each case's
//!   expected outcome (exact error and warning codes, or a verbatim load) is in
//!   `tests/hostile/cases.json`, with why.
//! - Inputs too big to commit (100 MB strings, a million screenshots, ...) are generated here; the
//!   manifest lists them under `generated`, by the name of the test function that builds them.
//! - `tests/hostile/ts/` holds TypeScript modules for the npm loader; the manifest's `ts` section
//!   gives their expected outcome. They are not run here.
//!
//! Every run is wrapped in `catch_unwind` (a panic fails the test naming the case), timed, and
//! its peak heap allocation measured by a per-thread counting allocator: the tests run in
//! parallel, and the migration is single-threaded, so a thread's own count is the migration's.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;

use qad_core::{Language, Migration};
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------------------------
// Measuring: a counting allocator (per thread) and a guarded, timed run.
// ---------------------------------------------------------------------------------------------

struct CountingAllocator;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    // try_with: never panic inside the allocator (e.g. while a thread is torn down).
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| {
            if now > peak.get() {
                peak.set(now);
            }
        });
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        count(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const MB: usize = 1024 * 1024;

/// One measured run of `migrate_bytes`.
struct Run {
    migration: Migration,
    /// Peak heap allocated during the run, above what was live when it started (the input).
    peak: usize,
    elapsed: Duration,
}

/// `migrate_bytes` with a panic turned into a test failure that names the case.
fn run(case: &str, bytes: &[u8]) -> Run {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let t = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(|| common::migrate_bytes(bytes)));
    let elapsed = t.elapsed();
    let peak = (PEAK.with(Cell::get) - start).max(0) as usize;
    match result {
        Ok(migration) => Run {
            migration,
            peak,
            elapsed,
        },
        Err(panic) => {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("case {case}: migrate_bytes panicked: {why}");
        }
    }
}

/// Time limits are for debug builds on 2 cores; release runs get a fifth of them.
fn time_limit(debug_secs: u64) -> Duration {
    if cfg!(debug_assertions) {
        Duration::from_secs(debug_secs)
    } else {
        Duration::from_secs(debug_secs.div_ceil(5).max(1))
    }
}

fn assert_bounded(case: &str, r: &Run, input_len: usize, max_factor: f64, debug_secs: u64) {
    let limit = time_limit(debug_secs);
    assert!(
        r.elapsed <= limit,
        "case {case}: took {:?}, limit {limit:?}",
        r.elapsed
    );
    let budget = (input_len as f64 * max_factor) as usize + 16 * MB;
    assert!(
        r.peak <= budget,
        "case {case}: peak allocation {} MB for {} MB of input (budget {} MB = {max_factor}x + 16 MB)",
        r.peak / MB,
        input_len / MB,
        budget / MB
    );
    eprintln!(
        "{case}: {:.1} MB in, peak {:.1} MB ({:.2}x), {:.2?}",
        input_len as f64 / MB as f64,
        r.peak as f64 / MB as f64,
        r.peak as f64 / input_len.max(1) as f64,
        r.elapsed
    );
}

// ---------------------------------------------------------------------------------------------
// Findings helpers
// ---------------------------------------------------------------------------------------------

fn codes(m: &Migration, errors: bool) -> BTreeSet<String> {
    m.report
        .diagnostics
        .iter()
        .filter(|d| d.is_error() == errors)
        .map(|d| d.code.clone())
        .collect()
}

fn set(codes: &[&str]) -> BTreeSet<String> {
    codes.iter().map(|c| c.to_string()).collect()
}

/// The fields the findings of `code` name (None: whole record or input).
fn fields_of(m: &Migration, code: &str) -> BTreeSet<Option<String>> {
    m.report
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .map(|d| d.field.clone())
        .collect()
}

/// Rendering never panics, and the console and Markdown renderings carry no raw control or
/// bidirectional control characters (other than the line breaks they are made of).
fn check_renderings(case: &str, m: &Migration) -> Vec<String> {
    let mut problems = Vec::new();
    let json = m.report.to_json();
    if serde_json::from_str::<Value>(&json).is_err() {
        problems.push(format!("{case}: report.to_json() is not JSON"));
    }
    for (what, text) in [
        ("to_text", m.report.to_text()),
        ("to_markdown", m.report.to_markdown()),
    ] {
        if let Some(c) = text.chars().find(|&c| {
            (c.is_control() && c != '\n') || matches!(c as u32, 0x202A..=0x202E | 0x2066..=0x2069)
        }) {
            problems.push(format!(
                "{case}: report.{what}() contains the raw character U+{:04X}",
                c as u32
            ));
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// "Loads verbatim": every value of the input is in the dataset byte for byte.
// ---------------------------------------------------------------------------------------------

const TEXT_FIELDS: [&str; 7] = [
    "Name_En",
    "Name_Ar",
    "Short_Description_En",
    "Short_Description_Ar",
    "Description_En",
    "Description_Ar",
    "status",
];
const URL_FIELDS: [&str; 7] = [
    "applicationIcon",
    "mainImage_en",
    "mainImage_ar",
    "Developer_Logo",
    "Google_Play_Link",
    "AppStore_Link",
    "App_Gallery_Link",
];

fn app_field<'a>(a: &'a qad_core::App, field: &str) -> Option<&'a str> {
    match field {
        "Name_En" => Some(&a.name_en),
        "Name_Ar" => Some(&a.name_ar),
        "Short_Description_En" => a.short_description_en.as_deref(),
        "Short_Description_Ar" => a.short_description_ar.as_deref(),
        "Description_En" => a.description_en.as_deref(),
        "Description_Ar" => a.description_ar.as_deref(),
        "status" => a.status.as_deref(),
        "applicationIcon" => a.application_icon_url.as_deref(),
        "mainImage_en" => a.main_image_en_url.as_deref(),
        "mainImage_ar" => a.main_image_ar_url.as_deref(),
        "Developer_Logo" => a.developer_logo_url.as_deref(),
        "Google_Play_Link" => a.google_play_url.as_deref(),
        "AppStore_Link" => a.app_store_url.as_deref(),
        "App_Gallery_Link" => a.app_gallery_url.as_deref(),
        other => panic!("no app field {other}"),
    }
}

fn records(input: &Value) -> &[Value] {
    match input {
        Value::Array(a) => a,
        other => other
            .get("applicationsData")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice),
    }
}

fn verbatim_problems(input: &Value, m: &Migration) -> Vec<String> {
    let mut problems = Vec::new();
    let d = &m.dataset;
    let mut p = |s: String| problems.push(s);
    for (i, rec) in records(input).iter().enumerate() {
        let Some(id) = rec.get("id").and_then(Value::as_str) else {
            p(format!("record {i} has no id"));
            continue;
        };
        let Some(app) = d.apps.iter().find(|a| a.source_id == id) else {
            p(format!("record {id:?}: no app row with that source_id"));
            continue;
        };
        for field in TEXT_FIELDS.iter().chain(URL_FIELDS.iter()) {
            let want = rec
                .get(*field)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty());
            let got = app_field(app, field);
            if want.map(str::as_bytes) != got.map(str::as_bytes) {
                p(format!(
                    "record {id:?} {field}: input {want:?}, dataset {got:?}"
                ));
            }
        }
        for (field, lang) in [
            ("screenshots_ar", Language::Ar),
            ("screenshots_en", Language::En),
        ] {
            let want: Vec<&str> = rec
                .get(field)
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut shots: Vec<_> = d
                .screenshots
                .iter()
                .filter(|s| s.app_id == app.id && s.language == lang)
                .collect();
            shots.sort_by_key(|s| s.sort_order);
            let got: Vec<&str> = shots.iter().map(|s| s.url.as_str()).collect();
            if want != got {
                p(format!(
                    "record {id:?} {field}: {} URLs in, {} loaded, or not in order",
                    want.len(),
                    got.len()
                ));
            }
        }
        if let Some(sort) = rec.get("sort").and_then(Value::as_i64) {
            if i64::from(app.sort_order) != sort {
                p(format!(
                    "record {id:?} sort {sort} loaded as {}",
                    app.sort_order
                ));
            }
        }
        if let Some(r) = rec.get("Apps_Avg_Rating").and_then(Value::as_f64) {
            let got = app.avg_rating.map(|r| r.0);
            if got != Some((r * 100.0).round() as u16) {
                p(format!("record {id:?} rating {r} loaded as {got:?}"));
            }
        }
        // The developer row keeps the first spelling of its group, verbatim.
        let Some(dev) = d.developers.iter().find(|x| x.id == app.developer_id) else {
            p(format!(
                "record {id:?}: its developer is not in the dataset"
            ));
            continue;
        };
        let variants = m
            .developer_variants
            .iter()
            .find(|v| v.developer_id == dev.id);
        let first = variants.and_then(|v| v.apps.first()).map(String::as_str) == Some(id);
        let name_en = rec.get("Developer_Name_En").and_then(Value::as_str);
        if first && name_en != Some(dev.name_en.as_str()) {
            p(format!(
                "record {id:?} Developer_Name_En {name_en:?} loaded as {:?}",
                dev.name_en
            ));
        }
        let name_ar = rec
            .get("Developer_Name_Ar")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty());
        if first && name_ar != dev.name_ar.as_deref() {
            p(format!(
                "record {id:?} Developer_Name_Ar {name_ar:?} loaded as {:?}",
                dev.name_ar
            ));
        }
        let website = rec
            .get("Developer_Website")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty());
        if first && website != dev.website.as_deref() {
            p(format!(
                "record {id:?} Developer_Website {website:?} loaded as {:?}",
                dev.website
            ));
        }
    }
    if let Some(export) = input.get("categories").and_then(Value::as_array) {
        if export.len() != d.categories.len() {
            p(format!(
                "{} categories exported, {} loaded",
                export.len(),
                d.categories.len()
            ));
        }
        for (entry, row) in export.iter().zip(&d.categories) {
            let icon = entry.get("icon").and_then(Value::as_str);
            if icon != row.icon_svg.as_deref() {
                p(format!(
                    "category {:?}: icon {icon:?} loaded as {:?}",
                    row.key, row.icon_svg
                ));
            }
            for (lang, got) in [("en", Some(&row.name_en)), ("ar", row.name_ar.as_ref())] {
                let want = input
                    .pointer(&format!("/i18n/{lang}"))
                    .and_then(|m| m.get(&row.key))
                    .and_then(Value::as_str);
                if want.is_some() && want != got.map(String::as_str) {
                    p(format!(
                        "category {:?}: i18n {lang} name {want:?} loaded as {got:?}",
                        row.key
                    ));
                }
            }
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// The corpus
// ---------------------------------------------------------------------------------------------

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(hostile_dir().join("cases.json")).expect("cases.json");
    serde_json::from_str(&text).expect("cases.json is JSON")
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Checks one corpus case against its manifest entry; returns what is wrong.
fn check_case(case: &Value) -> Vec<String> {
    let file = case["file"].as_str().expect("case file");
    let bytes = std::fs::read(hostile_dir().join(file)).expect("case file exists");
    let r = run(file, &bytes);
    let m = &r.migration;
    let mut problems = Vec::new();

    let want_errors: BTreeSet<String> = strings(&case["errors"])
        .iter()
        .map(|s| s.to_string())
        .collect();
    let want_warnings: BTreeSet<String> = strings(&case["warnings"])
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (errors, warnings) = (codes(m, true), codes(m, false));
    if errors != want_errors {
        problems.push(format!(
            "{file}: errors {errors:?}, expected {want_errors:?}"
        ));
    }
    if warnings != want_warnings {
        problems.push(format!(
            "{file}: warnings {warnings:?}, expected {want_warnings:?}"
        ));
    }
    if let Some(text) = case.get("message").and_then(Value::as_str) {
        let first = m.report.diagnostics.iter().find(|d| d.is_error());
        if !first.is_some_and(|d| d.message.contains(text)) {
            problems.push(format!(
                "{file}: first error's message {:?} does not contain {text:?}",
                first.map(|d| &d.message)
            ));
        }
    }
    if let Some(fields) = case.get("fields").and_then(Value::as_object) {
        for (code, want) in fields {
            let want: BTreeSet<Option<String>> = want
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| f.as_str().map(String::from))
                .collect();
            let got = fields_of(m, code);
            if got != want {
                problems.push(format!(
                    "{file}: {code} names fields {got:?}, expected {want:?}"
                ));
            }
        }
    }
    let loads = want_errors.is_empty();
    if loads != m.is_loadable() {
        problems.push(format!("{file}: is_loadable() is {}", m.is_loadable()));
    }
    if case["verbatim"].as_bool() == Some(true) {
        let text = std::str::from_utf8(&bytes).expect("a verbatim case is UTF-8");
        let input: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
            .expect("verbatim case is JSON");
        problems.extend(
            verbatim_problems(&input, m)
                .into_iter()
                .map(|p| format!("{file}: {p}")),
        );
    }
    // The outcome line says the same as the codes.
    let outcome = case["outcome"].as_str().unwrap_or("");
    let consistent = if loads {
        outcome.starts_with("loads")
            && (case["verbatim"].as_bool() != Some(true) || outcome.starts_with("loads verbatim"))
    } else {
        outcome == want_errors.iter().cloned().collect::<Vec<_>>().join(" + ")
    };
    if !consistent {
        problems.push(format!(
            "{file}: outcome {outcome:?} does not match its codes"
        ));
    }
    // Deterministic, renderable, bounded.
    if common::migrate_bytes(&bytes) != *m {
        problems.push(format!("{file}: a second run gives another migration"));
    }
    // The decoder that builds JSON values first gives the same migration, refusals included.
    if common::migrate_bytes_via_values(&bytes) != *m {
        problems.push(format!(
            "{file}: decoding through JSON values gives another migration than typed decoding"
        ));
    }
    problems.extend(check_renderings(file, m));
    if r.elapsed > time_limit(2) {
        problems.push(format!("{file}: took {:?}", r.elapsed));
    }
    if r.peak > 32 * MB {
        problems.push(format!("{file}: peak allocation {} MB", r.peak / MB));
    }
    problems
}

#[test]
fn corpus_cases_have_their_expected_outcomes() {
    let manifest = manifest();
    let cases = manifest["json"].as_array().expect("json cases");
    assert!(
        cases.len() >= 40,
        "the corpus has {} file cases",
        cases.len()
    );
    let problems: Vec<String> = cases.iter().flat_map(check_case).collect();
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn manifest_lists_every_file_and_every_generator() {
    let manifest = manifest();
    let listed: BTreeSet<String> = ["json", "ts"]
        .iter()
        .flat_map(|k| manifest[k].as_array().into_iter().flatten())
        .map(|c| c["file"].as_str().expect("file").to_string())
        .collect();
    let mut on_disk = BTreeSet::new();
    for dir in ["json", "ts"] {
        for entry in std::fs::read_dir(hostile_dir().join(dir)).expect("corpus dir") {
            let name = entry.expect("entry").file_name();
            on_disk.insert(format!("{dir}/{}", name.to_string_lossy()));
        }
    }
    assert_eq!(listed, on_disk, "cases.json and the corpus files differ");
    for case in manifest["json"].as_array().into_iter().flatten() {
        for key in ["category", "outcome", "why"] {
            assert!(case[key].is_string(), "{case}: no {key}");
        }
    }
    assert!(manifest["ts"].as_array().map_or(0, Vec::len) >= 5);
    for case in manifest["ts"].as_array().into_iter().flatten() {
        assert!(
            case["expect"]["kind"].is_string() && case["why"].is_string(),
            "{case}"
        );
    }
    // Each generated case names the test function that builds it.
    let source = include_str!("hostile.rs");
    for case in manifest["generated"].as_array().expect("generated cases") {
        let generator = case["generator"].as_str().expect("generator");
        assert!(
            source.contains(&format!("fn {generator}()")),
            "generated case {generator} has no test function"
        );
        assert!(case["outcome"].is_string() && case["why"].is_string());
    }
}

// ---------------------------------------------------------------------------------------------
// Generated cases
// ---------------------------------------------------------------------------------------------

/// A valid record with every field; cases change one thing.
fn app(id: &str, name: &str) -> Value {
    json!({
        "id": id,
        "Name_Ar": "تطبيق ألفا",
        "Name_En": name,
        "Short_Description_Ar": "وصف قصير",
        "Short_Description_En": "A short description",
        "Description_Ar": "وصف طويل للتطبيق",
        "Description_En": "A long description of the app",
        "status": "Done",
        "sort": 1,
        "Apps_Avg_Rating": 4.5,
        "categories": ["mushaf"],
        "screenshots_ar": ["https://cdn.example.org/a/01_screenshots_ar.png"],
        "screenshots_en": ["https://cdn.example.org/a/01_screenshots_en.png"],
        "mainImage_ar": "https://cdn.example.org/a/cover_ar.png",
        "mainImage_en": "https://cdn.example.org/a/cover_en.png",
        "applicationIcon": "https://cdn.example.org/a/icon.png",
        "Developer_Logo": "https://cdn.example.org/a/logo.png",
        "Developer_Name_En": "Example Labs",
        "Developer_Name_Ar": "مختبرات المثال",
        "Developer_Website": "https://example.org",
        "Google_Play_Link": "https://play.google.com/store/apps/details?id=org.example.a",
        "AppStore_Link": "https://apps.apple.com/app/id1",
        "App_Gallery_Link": "https://appgallery.huawei.com/app/C1"
    })
}

fn module(apps: Vec<Value>) -> Value {
    json!({
        "applicationsData": apps,
        "categories": [{ "name": "Mushaf", "icon": "<svg></svg>" }],
        "i18n": { "en": { "mushaf": "Mushaf" }, "ar": { "mushaf": "مصحف" } }
    })
}

fn bytes_of(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("serialises")
}

fn hundred_mb(unit: &str) -> String {
    unit.repeat(100 * MB / unit.len())
}

/// The bytes of `value` with the string `"@"` replaced by `literal` (JSON text): building a huge
/// input this way costs a copy, where serialising it would scan it in a debug build.
fn splice(value: &Value, literal: &str) -> Vec<u8> {
    let text = serde_json::to_string(value).expect("serialises");
    let (head, tail) = text.split_once("\"@\"").expect("one placeholder");
    let mut out = Vec::with_capacity(head.len() + literal.len() + tail.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(literal.as_bytes());
    out.extend_from_slice(tail.as_bytes());
    out
}

/// A JSON string literal of text that needs no escaping.
fn quoted(raw: &str) -> String {
    format!("\"{raw}\"")
}

#[test]
fn huge_string_in_description() {
    let mut a = app("1_A", "Alpha");
    a["Description_En"] = json!("@");
    let bytes = splice(&module(vec![a]), &quoted(&hundred_mb("Quran ")));
    let r = run("huge-100mb-string-in-description", &bytes);
    assert_eq!(codes(&r.migration, true), set(&["E018"]));
    assert_eq!(
        fields_of(&r.migration, "E018"),
        BTreeSet::from([Some("Description_En".to_string())])
    );
    assert_eq!(r.migration.dataset.apps[0].description_en, None);
    assert_bounded("huge-100mb-string-in-description", &r, bytes.len(), 3.0, 30);
}

#[test]
fn huge_string_as_id() {
    let mut a = app("@", "Alpha");
    a["screenshots_en"] = json!(vec!["javascript:alert(1)"; 1000]);
    let bytes = splice(&module(vec![a]), &quoted(&hundred_mb("i")));
    let r = run("huge-100mb-string-as-id", &bytes);
    let m = &r.migration;
    assert_eq!(codes(m, true), set(&["E016", "E018"]));
    assert_eq!(
        fields_of(m, "E018"),
        BTreeSet::from([Some("id".to_string())])
    );
    assert_eq!(m.report.diagnostics.len(), 1001);
    assert!(
        m.report
            .diagnostics
            .iter()
            .all(|d| d.record.as_deref() == Some("applicationsData[0]")),
        "a record with an over-long id is named by its position"
    );
    assert_bounded("huge-100mb-string-as-id", &r, bytes.len(), 3.0, 30);
}

#[test]
fn huge_javascript_url() {
    let mut a = app("1_A", "Alpha");
    a["applicationIcon"] = json!("@");
    let bytes = splice(
        &module(vec![a]),
        &quoted(&format!("javascript:{}", hundred_mb("a"))),
    );
    let r = run("huge-100mb-javascript-url", &bytes);
    let m = &r.migration;
    assert_eq!(codes(m, true), set(&["E016"]));
    assert!(m.report.diagnostics.iter().all(|d| d.message.len() < 1000));
    assert_eq!(m.dataset.apps[0].application_icon_url, None);
    assert_bounded("huge-100mb-javascript-url", &r, bytes.len(), 3.0, 30);
}

#[test]
fn huge_sentinel_of_controls() {
    let mut a = app("1_A", "Alpha");
    a["mainImage_en"] = json!("@");
    // JSON escapes: 10 million U+0001 characters in 60 MB of text.
    let literal = quoted(&format!("{}.Not Found", "\\u0001".repeat(10_000_000)));
    let bytes = splice(&module(vec![a]), &literal);
    let r = run("huge-100mb-control-characters-before-not-found", &bytes);
    let m = &r.migration;
    assert_eq!(codes(m, true), set(&[]));
    assert_eq!(codes(m, false), set(&["W101"]));
    assert!(m.report.diagnostics.iter().all(|d| d.message.len() < 1000));
    assert_eq!(m.dataset.apps[0].main_image_en_url, None);
    assert_bounded(
        "huge-100mb-control-characters-before-not-found",
        &r,
        bytes.len(),
        1.0,
        30,
    );
}

#[test]
fn huge_category_icon() {
    let icon = format!("<svg>{}</svg>", hundred_mb("<path d='M0 0h1v1H0z'/>"));
    let mut input = module(vec![app("1_A", "Alpha")]);
    input["categories"][0]["icon"] = json!("@");
    let bytes = splice(&input, &quoted(&icon));
    let r = run("huge-100mb-category-icon", &bytes);
    let m = &r.migration;
    assert!(m.is_loadable(), "{:?}", m.report.diagnostics);
    assert!(m.dataset.categories[0].icon_svg.as_deref() == Some(icon.as_str()));
    input["categories"][0]["icon"] = json!("<svg></svg>");
    let mut row = m.clone();
    row.dataset.categories[0].icon_svg = Some("<svg></svg>".into());
    assert!(verbatim_problems(&input, &row).is_empty());
    // The icon exists three times: the parsed input, the decoded category, the row.
    assert_bounded("huge-100mb-category-icon", &r, bytes.len(), 3.5, 30);
}

#[test]
fn million_screenshots() {
    // Arabic ones: the English list also looks for `_ar` file names, which a debug build
    // feels over a million URLs (a quarter of the time) without changing what is tested.
    let shot = |i: usize| format!("https://cdn.example.org/apps/alpha/screenshots/{i:07}_ar.png");
    let mut list = String::with_capacity(70 * 1_000_000);
    for i in 0..1_000_000 {
        list.push_str(if i == 0 { "[" } else { "," });
        list.push_str(&quoted(&shot(i)));
    }
    list.push(']');
    let mut a = app("1_A", "Alpha");
    a["screenshots_ar"] = json!("@");
    let bytes = splice(&module(vec![a]), &list);
    drop(list);
    let r = run("million-screenshots", &bytes);
    let m = &r.migration;
    assert!(m.is_loadable(), "{:?}", m.report.diagnostics);
    assert_eq!(m.report.counts.screenshots, 1_000_001);
    // In order, verbatim (the one English screenshot comes last).
    for (i, s) in m.dataset.screenshots[..1_000_000].iter().enumerate() {
        assert!(s.language == Language::Ar && s.sort_order == i as i32 && s.url == shot(i));
    }
    let ids: HashSet<_> = m.dataset.screenshots.iter().map(|s| s.id).collect();
    assert_eq!(ids.len(), 1_000_001);
    assert_bounded("million-screenshots", &r, bytes.len(), 8.0, 50);
}

#[test]
fn million_wrong_typed_screenshots() {
    let mut a = app("1_A", "Alpha");
    a["screenshots_en"] = json!(vec![1; 1_000_000]);
    let bytes = bytes_of(&module(vec![a]));
    let r = run("million-wrong-typed-screenshots", &bytes);
    let m = &r.migration;
    assert_eq!(codes(m, true), set(&["E011"]));
    // 100 listed one by one, then one count.
    assert_eq!(m.report.errors, 101);
    assert!(m.report.diagnostics[100]
        .message
        .starts_with("999900 more item(s) are not strings"));
    // The parsed input alone is 32 bytes per number (serde_json::Value) for 2 bytes of input,
    // and its vector grows by doubling.
    assert_bounded("million-wrong-typed-screenshots", &r, bytes.len(), 40.0, 20);
}

#[test]
fn million_empty_records() {
    let bytes = bytes_of(&json!(vec![json!({}); 1_000_000]));
    let r = run("million-empty-records", &bytes);
    let m = &r.migration;
    assert_eq!(codes(m, true), set(&["E002"]));
    assert!(m.report.diagnostics[0]
        .message
        .contains("1000000 app records"));
    assert_eq!(m.report.counts.apps, 0);
    assert_bounded("million-empty-records", &r, bytes.len(), 12.0, 10);
}

#[test]
fn hundred_thousand_empty_records() {
    let bytes = bytes_of(&json!(vec![json!({}); 100_000]));
    let r = run("hundred-thousand-empty-records", &bytes);
    let m = &r.migration;
    assert_eq!(codes(m, true), set(&["E010"]));
    assert_eq!(m.report.errors, 1001);
    assert!(m.report.diagnostics[1000]
        .message
        .starts_with("499000 more E010 finding(s) are not listed"));
    // About 1.2 KB of rows per record, none per finding beyond the first 1,000.
    assert!(r.peak < 400 * MB, "peak {} MB", r.peak / MB);
    assert_bounded(
        "hundred-thousand-empty-records",
        &r,
        bytes.len(),
        1500.0,
        20,
    );
}

#[test]
fn million_unknown_fields() {
    let mut a = app("1_A", "Alpha");
    let map = a.as_object_mut().expect("object");
    for i in 0..1_000_000 {
        map.insert(format!("x{i}"), json!(0));
    }
    let bytes = bytes_of(&module(vec![a]));
    let r = run("million-unknown-fields", &bytes);
    let m = &r.migration;
    // Each holds a value (0) the load would lose: refused, 100 listed and one count.
    assert!(!m.is_loadable());
    assert_eq!(codes(m, true), set(&["E023"]));
    assert_eq!(m.report.errors, 101);
    assert_eq!(m.report.warnings, 0);
    assert!(m.report.diagnostics[100]
        .message
        .starts_with("999900 more unknown field(s) of applicationsData[0] hold values"));
    assert_bounded("million-unknown-fields", &r, bytes.len(), 12.0, 20);
}

#[test]
fn deep_nesting_million() {
    let mut bytes = vec![b'['; 1_000_000];
    bytes.extend(vec![b']'; 1_000_000]);
    let r = run("deep-nesting-million", &bytes);
    assert_eq!(codes(&r.migration, true), set(&["E001"]));
    assert!(r.migration.report.diagnostics[0]
        .message
        .contains("recursion limit exceeded"));
    assert_bounded("deep-nesting-million", &r, bytes.len(), 2.0, 5);
}

#[test]
fn deep_nesting_127() {
    // Bare array (1) > record (2) > 125 arrays: 127 levels, the deepest the parser accepts.
    let nested = |n: usize| {
        let s = serde_json::to_string(&app("1_A", "Alpha")).expect("serialises");
        let s = s.replace("\"Alpha\"", &format!("{}{}", "[".repeat(n), "]".repeat(n)));
        format!("[{s}]").into_bytes()
    };
    // On a thread with a small stack (wasm's default is 1 MB): decoding recurses per level.
    let outcome = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || {
            let at_limit = run("deep-nesting-127-in-field", &nested(125));
            let over = run("deep-nesting-127-in-field+1", &nested(126));
            (
                codes(&at_limit.migration, true),
                fields_of(&at_limit.migration, "E011"),
                codes(&over.migration, true),
            )
        })
        .expect("thread")
        .join()
        .expect("no panic");
    assert_eq!(outcome.0, set(&["E010", "E011"]));
    assert_eq!(outcome.1, BTreeSet::from([Some("Name_En".to_string())]));
    assert_eq!(outcome.2, set(&["E001"]));
}

/// 10,000 categories exported by display name ("Category 7"), keyed in i18n ("k7").
fn ten_thousand_catalogue() -> Value {
    let export: Vec<Value> = (0..10_000)
        .map(|i| json!({ "name": format!("Category {i}"), "icon": format!("<svg id=\"{i}\"></svg>") }))
        .collect();
    let en: Map<String, Value> = (0..10_000)
        .map(|i| (format!("k{i}"), json!(format!("Category {i}"))))
        .collect();
    let ar: Map<String, Value> = (0..10_000)
        .map(|i| (format!("k{i}"), json!(format!("فئة {i}"))))
        .collect();
    json!({ "applicationsData": [], "categories": export, "i18n": { "en": en, "ar": ar } })
}

#[test]
fn ten_thousand_categories() {
    let mut input = ten_thousand_catalogue();
    let mut a = app("1_A", "Alpha");
    a["categories"] = json!((0..10_000)
        .rev()
        .map(|i| format!("k{i}"))
        .collect::<Vec<_>>());
    input["applicationsData"] = json!([a]);
    let bytes = bytes_of(&input);
    let r = run("ten-thousand-categories", &bytes);
    let m = &r.migration;
    assert!(
        m.report.diagnostics.is_empty(),
        "{:?}",
        &m.report.diagnostics[..3]
    );
    assert_eq!(m.dataset.categories.len(), 10_000);
    assert_eq!(m.dataset.app_categories.len(), 10_000);
    for (i, c) in m.dataset.categories.iter().enumerate() {
        assert_eq!(
            (c.key.as_str(), c.sort_order),
            (format!("k{i}").as_str(), i as i32)
        );
    }
    // The app's own order: k9999 first.
    assert_eq!(
        m.dataset.app_categories[0].category_id,
        m.dataset.categories[9999].id
    );
    assert!(verbatim_problems(&input, m).is_empty());
    assert_bounded("ten-thousand-categories", &r, bytes.len(), 30.0, 10);
}

#[test]
fn ten_thousand_unknown_categories() {
    let mut input = ten_thousand_catalogue();
    let mut a = app("1_A", "Alpha");
    a["categories"] = json!((0..10_000).map(|i| format!("nope {i}")).collect::<Vec<_>>());
    input["applicationsData"] = json!([a]);
    let bytes = bytes_of(&input);
    let r = run("ten-thousand-unknown-categories", &bytes);
    let m = &r.migration;
    assert_eq!(codes(m, true), set(&["E015"]));
    assert_eq!(m.report.errors, 1001);
    assert!(m.report.diagnostics.iter().all(|d| d.hint.len() < 1000));
    assert!(m.report.diagnostics[0].hint.contains("k29 and 9970 more"));
    assert_bounded("ten-thousand-unknown-categories", &r, bytes.len(), 30.0, 10);
}

#[test]
fn ten_thousand_derived_categories() {
    let mut a = app("1_A", "Alpha");
    a["categories"] = json!((0..10_000).map(|i| format!("c{i}")).collect::<Vec<_>>());
    let bytes = bytes_of(&json!([a]));
    let r = run("ten-thousand-derived-categories", &bytes);
    let m = &r.migration;
    assert!(m.is_loadable());
    assert_eq!(codes(m, false), set(&["W108", "W109"]));
    assert_eq!(m.dataset.categories.len(), 10_000);
    assert_eq!(m.dataset.app_categories.len(), 10_000);
    assert_bounded("ten-thousand-derived-categories", &r, bytes.len(), 40.0, 10);
}

#[test]
fn developer_with_many_spellings() {
    let apps: Vec<Value> = (0..20_000)
        .map(|i| {
            json!({
                "id": format!("{i}_A"), "Name_En": format!("App {i}"), "Name_Ar": "تطبيق",
                "categories": ["mushaf"], "Developer_Name_En": format!("Same Developer {i}"),
                "Developer_Website": "https://same-developer.example"
            })
        })
        .collect();
    let bytes = bytes_of(&module(apps));
    let r = run("developer-with-many-spellings", &bytes);
    let m = &r.migration;
    assert!(m.is_loadable(), "{:?}", &m.report.diagnostics[..3]);
    assert_eq!(m.dataset.developers.len(), 1);
    assert_eq!(m.developer_variants[0].names_en.len(), 20_000);
    assert_eq!(codes(m, false), set(&["W104"]));
    assert_bounded("developer-with-many-spellings", &r, bytes.len(), 60.0, 20);
}

/// Values of every JSON type but the field's own.
fn wrong_values(field: &str) -> Vec<Value> {
    match field {
        "categories" | "screenshots_ar" | "screenshots_en" => {
            vec![
                json!("mushaf"),
                json!(1),
                json!(true),
                json!({ "0": "mushaf" }),
            ]
        }
        "sort" => vec![json!("1"), json!(true), json!([1]), json!({}), json!(1.5)],
        "Apps_Avg_Rating" => vec![json!("4.5"), json!(true), json!([4.5]), json!({})],
        _ => vec![json!(1), json!(true), json!(["x"]), json!({ "x": "y" })],
    }
}

#[test]
fn wrong_type_in_every_field() {
    let fields: Vec<String> = app("1_A", "Alpha")
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect();
    assert_eq!(fields.len(), 23);
    let required = [
        "id",
        "Name_En",
        "Name_Ar",
        "Developer_Name_En",
        "categories",
    ];
    let mut problems = Vec::new();
    for field in &fields {
        for value in wrong_values(field) {
            let case = format!("wrong-type {field} = {value}");
            let mut a = app("1_A", "Alpha");
            a[field.as_str()] = value;
            let m = run(&case, &bytes_of(&module(vec![a]))).migration;
            let code = if field == "Apps_Avg_Rating" {
                "E012"
            } else {
                "E011"
            };
            let mut want = vec![code];
            if required.contains(&field.as_str()) {
                want.push("E010");
            }
            if codes(&m, true) != set(&want)
                || fields_of(&m, code) != BTreeSet::from([Some(field.clone())])
            {
                problems.push(format!("{case}: {:?}", m.report.diagnostics));
            }
            problems.extend(check_renderings(&case, &m));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

const HOSTILE_URLS: [&str; 16] = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "  javascript:alert(1)  ",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "javascript://example.org/%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:image/png;base64,iVBORw0KGgo=",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://example.org/x.png",
    "//example.org/x.png",
    "mailto:someone@example.org",
    "about:blank",
    "https://",
    "http://[::1",
];

#[test]
fn hostile_url_in_every_url_field() {
    let mut problems = Vec::new();
    let fields =
        URL_FIELDS
            .iter()
            .chain(&["Developer_Website", "screenshots_ar", "screenshots_en"]);
    for field in fields {
        for url in HOSTILE_URLS {
            let case = format!("url {field} = {url:?}");
            let mut a = app("1_A", "Alpha");
            let reported = if field.starts_with("screenshots") {
                a[*field] = json!([url]);
                format!("{field}[0]")
            } else {
                a[*field] = json!(url);
                field.to_string()
            };
            let m = run(&case, &bytes_of(&module(vec![a]))).migration;
            if codes(&m, true) != set(&["E016"])
                || fields_of(&m, "E016") != BTreeSet::from([Some(reported)])
            {
                problems.push(format!("{case}: {:?}", m.report.diagnostics));
            }
            let d = &m.dataset;
            let loaded = d
                .apps
                .iter()
                .flat_map(|a| URL_FIELDS.iter().filter_map(|f| app_field(a, f)));
            let loaded = loaded
                .chain(d.screenshots.iter().map(|s| s.url.as_str()))
                .chain(d.developers.iter().filter_map(|x| x.website.as_deref()))
                .chain(d.developers.iter().filter_map(|x| x.logo_url.as_deref()));
            for u in loaded {
                if !u.starts_with("https://") {
                    problems.push(format!("{case}: {u:?} is in the dataset"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

const MARKUP: [&str; 10] = [
    "'; DROP TABLE apps; --",
    "\" OR \"1\"=\"1",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "{{constructor.constructor('alert(1)')()}}",
    "${7*7} #{7*7} %{7*7}",
    "$$; SELECT pg_sleep(10); $$",
    "\\'; -- \\\\ \\x00 %00 %27",
    "Robert'); DROP TABLE developers;--",
    "1; COPY apps TO PROGRAM 'id'",
];

#[test]
fn markup_in_every_text_field() {
    let mut problems = Vec::new();
    let fields = TEXT_FIELDS
        .iter()
        .chain(&["id", "Developer_Name_En", "Developer_Name_Ar"]);
    for field in fields {
        for payload in MARKUP {
            let case = format!("text {field} = {payload:?}");
            // Arabic fields keep some Arabic, so that W103 stays quiet.
            let value = if field.ends_with("_Ar") {
                format!("نص {payload}")
            } else {
                payload.to_string()
            };
            let mut a = app("1_A", "Alpha");
            a[*field] = json!(value);
            let input = module(vec![a]);
            let m = run(&case, &bytes_of(&input)).migration;
            if !m.report.diagnostics.is_empty() {
                problems.push(format!("{case}: {:?}", m.report.diagnostics));
            }
            problems.extend(
                verbatim_problems(&input, &m)
                    .into_iter()
                    .map(|p| format!("{case}: {p}")),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn reports_escape_control_characters() {
    let id = "1_A\u{1b}[2J\r\nVALID: the load can proceed\u{202e}";
    let mut a = app(id, "Alpha");
    // Empty, so that it stays a warning (with a value it would be error E023) and the forged
    // "VALID" line below is next to a real one.
    a["x\u{1b}]8;;https://evil.example\u{7}link"] = json!(null);
    let input = module(vec![a]);
    let m = run("reports-escape-control-characters", &bytes_of(&input)).migration;
    // Stored verbatim: the id is data.
    assert!(m.is_loadable());
    assert_eq!(m.dataset.apps[0].source_id, id);
    assert_eq!(codes(&m, false), set(&["W105", "W107"]));
    assert!(check_renderings("reports-escape-control-characters", &m).is_empty());
    let text = m.report.to_text();
    assert!(text.contains("1_A\\u{1b}[2J\\u{d}\\u{a}VALID: the load can proceed\\u{202e}"));
    assert!(text.contains("x\\u{1b}]8;;https://evil.example\\u{7}link"));
    // The forged verdict does not start a line; the real one ends the report.
    let verdicts: Vec<&str> = text.lines().filter(|l| l.starts_with("VALID")).collect();
    assert_eq!(
        verdicts,
        ["VALID: the load can proceed — 0 error(s), 2 warning(s)"]
    );
    assert_eq!(text.lines().last(), Some(verdicts[0]));
    let markdown = m.report.to_markdown();
    assert!(markdown.contains("1_A\\u{1b}[2J  VALID"));
}

#[test]
fn long_ids_name_their_record_by_position() {
    // The boundary of the fix: an id of 200 characters is the record's name, 201 is not.
    for (len, name) in [(200, None), (201, Some("applicationsData[0]"))] {
        let id = "i".repeat(len);
        let mut a = app(&id, "Alpha");
        a["Name_Ar"] = json!(1);
        let m = common::migrate_bytes(&bytes_of(&module(vec![a])));
        let record = m.report.diagnostics[0].record.as_deref();
        assert_eq!(record, Some(name.unwrap_or(&id)), "id of {len} characters");
    }
}

#[test]
fn many_findings_keep_errors_and_exact_counts_per_rule() {
    // 1,500 warnings (W110) before 1,500 errors (E016): the quota is per rule, so errors are
    // never crowded out by warnings, and each rule's overflow is counted.
    let mut a = app("1_A", "Alpha");
    let mut shots = vec![json!(""); 1500];
    shots.extend(vec![json!("javascript:x"); 1500]);
    a["screenshots_en"] = json!(shots);
    let m = common::migrate_bytes(&bytes_of(&module(vec![a])));
    let by_rule: BTreeMap<String, usize> = m
        .report
        .by_rule()
        .into_iter()
        .map(|r| (r.code, r.count))
        .collect();
    assert_eq!(
        by_rule,
        BTreeMap::from([("E016".into(), 1001), ("W110".into(), 1001)])
    );
    assert!(!m.is_loadable());
    let closing: Vec<&str> = m.report.diagnostics[2000..]
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        closing,
        [
            "500 more E016 finding(s) are not listed: a report lists the first 1000 of each rule",
            "500 more W110 finding(s) are not listed: a report lists the first 1000 of each rule"
        ]
    );
}
