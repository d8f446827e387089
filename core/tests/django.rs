//! The Django layout's rules (E024-E027), each failing and passing, and how the layout travels
//! in the options (JSON, the envelope, a caller's options, apps.json files of earlier versions).

mod common;

use qad_core::{Diagnostic, Input, Layout, Migration, Options};
use serde_json::{json, Value};

const BASE: &str = "https://pub-e11717db663c469fb51c65995892b449.r2.dev";

fn django() -> Options {
    Options {
        layout: Layout::Django {
            media_base_url: BASE.into(),
        },
        ..Options::default()
    }
}

/// One record valid for the Django layout: its images under the media base URL.
fn app(id: &str, name: &str) -> Value {
    json!({
        "id": id,
        "Name_Ar": "تطبيق القرآن",
        "Name_En": name,
        "Short_Description_Ar": "وصف قصير",
        "Short_Description_En": "A short description",
        "Description_Ar": "وصف طويل للتطبيق",
        "Description_En": "A long description of the app",
        "status": "Done",
        "sort": 1,
        "Apps_Avg_Rating": 4.5,
        "categories": ["mushaf", "tools"],
        "screenshots_ar": [format!("{BASE}/{id}/01_screenshots_ar.png")],
        "screenshots_en": [format!("{BASE}/{id}/01_screenshots_en.png")],
        "mainImage_ar": format!("{BASE}/{id}/cover_photo_ar.png"),
        "mainImage_en": format!("{BASE}/{id}/cover_photo_en.png"),
        "applicationIcon": format!("{BASE}/{id}/app_icon.png"),
        "Developer_Logo": format!("{BASE}/{id}/developer_logo.png"),
        "Developer_Name_En": format!("{name} Labs"),
        "Developer_Name_Ar": format!("مختبرات {id}"),
        "Developer_Website": format!("https://{}.example.org", name.to_lowercase()),
        "Google_Play_Link": "https://play.google.com/store/apps/details?id=org.example",
        "AppStore_Link": "https://apps.apple.com/app/id1",
        "App_Gallery_Link": "https://appgallery.huawei.com/app/C1"
    })
}

fn input(apps: Vec<Value>) -> Value {
    json!({
        "applicationsData": apps,
        "categories": [
            { "name": "Mushaf", "icon": "<svg></svg>" },
            { "name": "Tools", "icon": "<svg></svg>" }
        ],
        "i18n": {
            "en": { "mushaf": "Mushaf", "tools": "Other" },
            "ar": { "mushaf": "مصحف", "tools": "أخرى" }
        }
    })
}

fn run_with(value: Value, options: &Options) -> Migration {
    let decoded = common::decode_value(value).expect("decodes");
    qad_core::migrate(Input::Decoded(decoded), options).expect("migrates")
}

/// qa-load's layout and Django: the qa-load one must not have any Django finding.
fn both(value: Value) -> (Migration, Migration) {
    let qa_load = run_with(value.clone(), &Options::default());
    for d in &qa_load.report.diagnostics {
        assert!(
            !["E024", "E025", "E026", "E027"].contains(&d.code.as_str()),
            "qa-load layout gave {d:?}"
        );
    }
    (qa_load, run_with(value, &django()))
}

fn all<'a>(m: &'a Migration, code: &str) -> Vec<&'a Diagnostic> {
    m.report
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .collect()
}

fn fields(m: &Migration, code: &str) -> Vec<String> {
    all(m, code)
        .iter()
        .map(|d| d.field.clone().unwrap_or_default())
        .collect()
}

#[test]
fn a_clean_record_has_no_finding_for_either_layout() {
    let (qa_load, django) = both(input(vec![app("1_A", "Alpha")]));
    assert_eq!(qa_load.report.diagnostics, vec![]);
    assert_eq!(django.report.diagnostics, vec![]);
    assert_eq!(qa_load.dataset, django.dataset);
}

#[test]
fn e024_images_outside_the_media_base() {
    let mut a = app("1_A", "Alpha");
    a["applicationIcon"] = json!("https://cdn.example.org/a/app_icon.png");
    a["mainImage_en"] = json!(format!("{BASE}x/cover_photo_en.png"));
    a["mainImage_ar"] = json!(format!("{BASE}/"));
    a["screenshots_ar"] = json!([
        format!("{BASE}/1_A/01.png"),
        "http://pub-e11717db663c469fb51c65995892b449.r2.dev/1_A/02.png"
    ]);
    // Not an image column: a logo anywhere is fine.
    a["Developer_Logo"] = json!("https://cdn.example.org/a/developer_logo.png");
    let (qa_load, m) = both(input(vec![a]));
    assert!(qa_load.is_loadable());
    assert_eq!(
        fields(&m, "E024"),
        [
            "applicationIcon",
            "mainImage_en",
            "mainImage_ar",
            "screenshots_ar[1]"
        ]
    );
    let d = all(&m, "E024")[0];
    assert_eq!(d.record.as_deref(), Some("1_A"));
    assert!(d.is_error());
    assert!(d.message.contains(&format!("{BASE}/")), "{}", d.message);
    assert!(d.message.contains("apps.application_icon"), "{}", d.message);
    assert!(!m.is_loadable());

    // A base given with a trailing slash is the same base.
    let with_slash = Options {
        layout: Layout::Django {
            media_base_url: format!("{BASE}/"),
        },
        ..Options::default()
    };
    let m = run_with(input(vec![app("1_A", "Alpha")]), &with_slash);
    assert_eq!(m.report.diagnostics, vec![]);
}

#[test]
fn e025_image_paths_are_measured_after_the_base() {
    // 100 characters of path fit application_icon; 101 do not, whatever the base's length.
    let path = |n: usize| format!("1_A/{}.png", "i".repeat(n - 8));
    assert_eq!(path(100).len(), 100);
    let mut a = app("1_A", "Alpha");
    a["applicationIcon"] = json!(format!("{BASE}/{}", path(100)));
    let (_, m) = both(input(vec![a.clone()]));
    assert_eq!(m.report.diagnostics, vec![]);
    a["applicationIcon"] = json!(format!("{BASE}/{}", path(101)));
    let (qa_load, m) = both(input(vec![a]));
    assert!(qa_load.is_loadable());
    let d = all(&m, "E025");
    assert_eq!(d.len(), 1, "{:?}", m.report.diagnostics);
    assert_eq!(d[0].field.as_deref(), Some("applicationIcon"));
    assert_eq!(d[0].record.as_deref(), Some("1_A"));
    assert!(d[0].message.contains("101 characters"), "{}", d[0].message);
    assert!(d[0].message.contains("apps.application_icon holds 100"));

    // Spaces are loaded as %20, and stored as spaces: the path is measured as stored (a space
    // is one character).
    let mut a = app("1_A", "Alpha");
    a["applicationIcon"] = json!(format!("{BASE}/1_A/{} .png", "i".repeat(91)));
    let (_, m) = both(input(vec![a]));
    assert_eq!(fields(&m, "E025"), Vec::<String>::new());
    let mut a = app("1_A", "Alpha");
    a["applicationIcon"] = json!(format!("{BASE}/1_A/{} .png", "i".repeat(92)));
    let (_, m) = both(input(vec![a]));
    assert_eq!(fields(&m, "E025"), ["applicationIcon"]);
    assert!(all(&m, "E025")[0].message.contains("101 characters"));

    // Screenshots and covers: 500 for the path, so a URL the core's 500 (E018) lets through
    // always fits.
    let mut a = app("1_A", "Alpha");
    a["screenshots_en"] = json!([format!("{BASE}/{}", "s".repeat(440))]);
    a["mainImage_ar"] = json!(format!("{BASE}/{}", "c".repeat(440)));
    let (_, m) = both(input(vec![a]));
    assert_eq!(m.report.diagnostics, vec![]);
}

#[test]
fn e025_links_names_and_the_slug() {
    let long_link = |n: usize| {
        let head = "https://play.google.com/store/apps/details?id=";
        format!("{head}{}", "x".repeat(n - head.len()))
    };
    let mut a = app("1_A", "Alpha");
    a["Google_Play_Link"] = json!(long_link(200));
    let (_, m) = both(input(vec![a.clone()]));
    assert_eq!(m.report.diagnostics, vec![]);
    a["Google_Play_Link"] = json!(long_link(201));
    a["Developer_Website"] = json!(format!("https://example.org/{}", "w".repeat(200)));
    a["Developer_Logo"] = json!(format!("{BASE}/{}", "l".repeat(200)));
    let (qa_load, m) = both(input(vec![a]));
    assert!(qa_load.is_loadable());
    assert_eq!(
        fields(&m, "E025"),
        ["Developer_Website", "Developer_Logo", "Google_Play_Link"]
    );
    let link = all(&m, "E025")[2];
    assert_eq!(link.record.as_deref(), Some("1_A"));
    assert!(link.message.contains("201 characters"), "{}", link.message);
    assert!(link.message.contains("apps.google_play_link holds 200"));
    let website = all(&m, "E025")[0];
    assert!(website.record.as_deref().unwrap().starts_with("developer:"));

    // The slug the seed makes from the id: 'İ' lower-cases to two characters, so the id `1_`
    // + 110 of them (112 characters, within the id's 200) gives a slug of 222 (over apps.slug's
    // 220); with 109 of them, 220.
    let with_id = |n: usize| {
        let mut a = app("1_A", "Alpha");
        a["id"] = json!(format!("1_{}", "İ".repeat(n)));
        a
    };
    let (_, m) = both(input(vec![with_id(109)]));
    assert_eq!(fields(&m, "E025"), Vec::<String>::new());
    let (_, m) = both(input(vec![with_id(110)]));
    assert_eq!(fields(&m, "E025"), ["id"]);
    assert!(all(&m, "E025")[0].message.contains("222 characters"));
}

#[test]
fn e025_category_keys_and_names() {
    let key = "k".repeat(121);
    let value = json!({
        "applicationsData": [app("1_A", "Alpha")],
        "categories": [
            { "name": "Mushaf" }, { "name": "Tools" }, { "name": key.clone() },
            { "name": "k".repeat(120) }
        ],
        "i18n": {
            "en": { "mushaf": "M".repeat(101), "tools": "Other", (key.clone()): "Long",
                    ("k".repeat(120)): "Fits" },
            "ar": { "mushaf": "مصحف", "tools": "أخرى", (key.clone()): "طويل",
                    ("k".repeat(120)): "ق".repeat(100) }
        }
    });
    let (qa_load, m) = both(value);
    assert!(qa_load.is_loadable(), "{:?}", qa_load.report.diagnostics);
    let found: Vec<(String, String)> = all(&m, "E025")
        .iter()
        .map(|d| (d.record.clone().unwrap(), d.field.clone().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            ("categories[0]".to_string(), "name_en".to_string()),
            ("categories[2]".to_string(), "key".to_string())
        ]
    );
    assert!(all(&m, "E025")[1]
        .message
        .contains("categories.slug holds 120"));
}

#[test]
fn e026_arabic_names_required() {
    // A developer none of whose records has an Arabic name.
    let mut a = app("1_A", "Alpha");
    a["Developer_Name_Ar"] = json!("");
    let mut b = app("2_B", "Beta");
    b["Developer_Name_En"] = json!("Alpha Labs");
    b["Developer_Name_Ar"] = Value::Null;
    let (qa_load, m) = both(input(vec![a.clone(), b.clone()]));
    assert!(qa_load.is_loadable());
    assert_eq!(qa_load.dataset.developers[0].name_ar, None);
    let d = all(&m, "E026");
    assert_eq!(d.len(), 1, "{:?}", m.report.diagnostics);
    assert_eq!(d[0].record.as_deref(), Some("developer:alpha labs"));
    assert_eq!(d[0].field.as_deref(), Some("Developer_Name_Ar"));
    assert!(d[0].message.contains("1_A, 2_B"), "{}", d[0].message);
    // One of its records having one is enough.
    b["Developer_Name_Ar"] = json!("مختبرات ألفا");
    let (_, m) = both(input(vec![a, b]));
    assert_eq!(all(&m, "E026").len(), 0);

    // A category without an Arabic display name: E026 instead of W109 (the English one stays
    // W109, its export name being used).
    let mut value = input(vec![app("1_A", "Alpha")]);
    value["i18n"]["ar"] = json!({ "mushaf": "مصحف" });
    value["i18n"]["en"] = json!({ "mushaf": "Mushaf" });
    let (qa_load, m) = both(value);
    let w109 = |m: &Migration| fields(m, "W109");
    assert_eq!(w109(&qa_load), ["i18n.en.tools", "i18n.ar.tools"]);
    assert_eq!(w109(&m), ["i18n.en.tools"]);
    assert_eq!(fields(&m, "E026"), ["i18n.ar.tools"]);
    assert_eq!(all(&m, "E026")[0].record.as_deref(), Some("categories[1]"));
}

#[test]
fn e027_names_unique_among_developers_and_among_categories() {
    // Two developers (different English names and websites) with one Arabic name.
    let a = app("1_A", "Alpha");
    let mut b = app("2_B", "Beta");
    b["Developer_Name_Ar"] = a["Developer_Name_Ar"].clone();
    let (qa_load, m) = both(input(vec![a.clone(), b]));
    assert!(qa_load.is_loadable());
    assert_eq!(qa_load.dataset.developers.len(), 2);
    let d = all(&m, "E027");
    assert_eq!(d.len(), 1, "{:?}", m.report.diagnostics);
    assert_eq!(d[0].record.as_deref(), Some("developer:beta labs"));
    assert_eq!(d[0].field.as_deref(), Some("Developer_Name_Ar"));
    assert!(
        d[0].message.contains("developer:alpha labs"),
        "{}",
        d[0].message
    );
    assert!(d[0].message.contains("developers.name_ar is UNIQUE"));
    // The same developer in two records is one row: no finding.
    let mut b = app("2_B", "Beta");
    b["Developer_Name_En"] = a["Developer_Name_En"].clone();
    b["Developer_Name_Ar"] = a["Developer_Name_Ar"].clone();
    b["Developer_Website"] = a["Developer_Website"].clone();
    let (_, m) = both(input(vec![a, b]));
    assert_eq!(m.report.diagnostics, vec![]);

    // Two categories with one English display name, and one Arabic.
    let mut value = input(vec![app("1_A", "Alpha")]);
    value["i18n"]["en"]["tools"] = json!("Mushaf");
    value["i18n"]["ar"]["tools"] = json!("مصحف");
    let (qa_load, m) = both(value);
    assert!(qa_load.is_loadable());
    let found: Vec<(String, String)> = all(&m, "E027")
        .iter()
        .map(|d| (d.record.clone().unwrap(), d.field.clone().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            ("categories[1]".to_string(), "name_en".to_string()),
            ("categories[1]".to_string(), "name_ar".to_string())
        ]
    );
    assert!(all(&m, "E027")[0].message.contains("categories[0]"));
}

#[test]
fn the_layout_in_json_in_the_envelope_and_from_the_caller() {
    // JSON: qa-load's layout is not written; django is tagged by kind, under `layout`.
    let text = serde_json::to_value(Options::default()).unwrap();
    assert_eq!(text, json!({ "categoryAliases": {} }));
    let text = serde_json::to_value(django()).unwrap();
    assert_eq!(
        text,
        json!({ "categoryAliases": {}, "layout": { "kind": "django", "media_base_url": BASE } })
    );
    let back: Options = serde_json::from_value(text).unwrap();
    assert_eq!(back, django());
    let qa_load: Options =
        serde_json::from_value(json!({ "layout": { "kind": "qa-load" } })).unwrap();
    assert_eq!(qa_load.layout, Layout::QaLoad);
    assert_eq!(
        serde_json::to_value(Layout::QaLoad).unwrap(),
        json!({ "kind": "qa-load" })
    );
    // The names of earlier versions are read too: the field `target`, the kind `generic`.
    let old: Options = serde_json::from_value(json!({ "target": { "kind": "generic" } })).unwrap();
    assert_eq!(old.layout, Layout::QaLoad);
    let old: Options =
        serde_json::from_value(json!({ "target": { "kind": "django", "media_base_url": BASE } }))
            .unwrap();
    assert_eq!(old, django());
    assert!(serde_json::from_value::<Options>(json!({ "layout": { "kind": "mysql" } })).is_err());

    // An envelope carries it: qa-load re-validates the same way with no options of its own.
    let mut a = app("1_A", "Alpha");
    a["applicationIcon"] = json!("https://cdn.example.org/icon.png");
    let mut decoded = common::decode_value(input(vec![a])).unwrap();
    decoded.options = django();
    let envelope = serde_json::to_string(&decoded.to_envelope(None)).unwrap();
    assert!(
        envelope.contains(r#""layout":{"kind":"django""#),
        "{envelope}"
    );
    let m = common::migrate_bytes(envelope.as_bytes());
    assert_eq!(fields(&m, "E024"), ["applicationIcon"]);
    assert_eq!(m.options.layout, django().layout);

    // A caller's layout replaces the input's; a caller's qa-load layout (the default) leaves it.
    let other = Options {
        layout: Layout::Django {
            media_base_url: "https://cdn.example.org".into(),
        },
        ..Options::default()
    };
    let m = qad_core::migrate(Input::Bytes(envelope.as_bytes()), &other).unwrap();
    assert_eq!(m.options.layout, other.layout);
    assert!(!fields(&m, "E024").contains(&"applicationIcon".to_string()));
    assert!(fields(&m, "E024").contains(&"mainImage_en".to_string()));
    let mut merged = django();
    merged.merge(&Options::default());
    assert_eq!(merged, django());
}

/// An apps.json written before the rename (`options.target`, kind `generic` or `django`), by
/// hand as those versions wrote it, reads as before: the same dataset and the same report as
/// the same file written today (`options.layout`).
#[test]
fn an_apps_json_of_earlier_versions_still_reads() {
    const OLD_DJANGO: &str = include_str!("fixtures/apps-target-django.v0.json");
    const OLD_GENERIC: &str = include_str!("fixtures/apps-target-generic.v0.json");
    let old_django: Value = serde_json::from_str(OLD_DJANGO).unwrap();
    assert_eq!(
        old_django["options"]["target"],
        json!({ "kind": "django", "media_base_url": BASE })
    );

    // Today's file of the same data and options, as `extract` writes it.
    let decoded = common::decode_text(OLD_DJANGO).expect("an old envelope decodes");
    assert_eq!(decoded.options.layout, django().layout);
    let new_django =
        serde_json::to_value(decoded.to_envelope(Some("qad-migrate 0.1.0".into()))).unwrap();
    assert_eq!(
        new_django["options"],
        json!({ "categoryAliases": { "other": "tools" }, "layout": { "kind": "django", "media_base_url": BASE } })
    );
    assert!(new_django["options"].get("target").is_none());

    let old = common::migrate_bytes(OLD_DJANGO.as_bytes());
    let new = common::migrate_bytes(new_django.to_string().as_bytes());
    assert_eq!(old.options, new.options);
    assert_eq!(old.dataset, new.dataset);
    assert_eq!(old.report, new.report);
    assert_eq!(old.report.to_text(), new.report.to_text());
    // The old file's layout did apply: the icon outside the media base URL is E024.
    assert_eq!(fields(&old, "E024"), ["applicationIcon"]);
    // Through the JSON-value path too (the wasm bindings' and `decode()`'s).
    let via_values = common::migrate_bytes_via_values(OLD_DJANGO.as_bytes());
    assert_eq!(via_values.dataset, old.dataset);
    assert_eq!(via_values.report, old.report);

    // `generic` was qa-load's own tables: the same as no layout at all.
    let old = common::migrate_bytes(OLD_GENERIC.as_bytes());
    assert_eq!(old.options.layout, Layout::QaLoad);
    let mut none: Value = serde_json::from_str(OLD_GENERIC).unwrap();
    none["options"].as_object_mut().unwrap().remove("target");
    let new = common::migrate_bytes(none.to_string().as_bytes());
    assert_eq!(old.dataset, new.dataset);
    assert_eq!(old.report, new.report);
    assert!(fields(&old, "E024").is_empty());
}

#[test]
fn layout_parse_as_the_command_lines_take_it() {
    assert_eq!(Layout::parse("qa-load", None), Ok(Layout::QaLoad));
    // `generic`, the old name of qa-load's layout, is still taken.
    assert_eq!(Layout::parse("generic", None), Ok(Layout::QaLoad));
    assert_eq!(Layout::parse("django", Some(BASE)), Ok(django().layout));
    assert!(Layout::parse("django", None).is_err());
    assert!(Layout::parse("qa-load", Some(BASE)).is_err());
    assert!(Layout::parse("generic", Some(BASE)).is_err());
    assert!(Layout::parse("django", Some("pub.r2.dev")).is_err());
    assert!(Layout::parse("django", Some("https://")).is_err());
    let e = Layout::parse("mysql", None).unwrap_err();
    assert!(
        e.contains("--layout") && e.contains("qa-load or django"),
        "{e}"
    );
    assert_eq!(Layout::QaLoad.media_base_url(), None);
    assert_eq!(django().layout.media_base_url(), Some(BASE));
}
