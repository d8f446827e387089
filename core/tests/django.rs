//! The Django target's rules (E024-E027), each failing and passing, and how the target travels
//! in the options (JSON, the envelope, a caller's options).

mod common;

use qad_core::{Diagnostic, Input, Migration, Options, Target};
use serde_json::{json, Value};

const BASE: &str = "https://pub-e11717db663c469fb51c65995892b449.r2.dev";

fn django() -> Options {
    Options {
        target: Target::Django {
            media_base_url: BASE.into(),
        },
        ..Options::default()
    }
}

/// One record valid for the Django target: its images under the media base URL.
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

/// Generic and Django: the generic migration must not have any Django finding.
fn both(value: Value) -> (Migration, Migration) {
    let generic = run_with(value.clone(), &Options::default());
    for d in &generic.report.diagnostics {
        assert!(
            !["E024", "E025", "E026", "E027"].contains(&d.code.as_str()),
            "generic target gave {d:?}"
        );
    }
    (generic, run_with(value, &django()))
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
fn a_clean_record_has_no_finding_for_either_target() {
    let (generic, django) = both(input(vec![app("1_A", "Alpha")]));
    assert_eq!(generic.report.diagnostics, vec![]);
    assert_eq!(django.report.diagnostics, vec![]);
    assert_eq!(generic.dataset, django.dataset);
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
    let (generic, m) = both(input(vec![a]));
    assert!(generic.is_loadable());
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
        target: Target::Django {
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
    let (generic, m) = both(input(vec![a]));
    assert!(generic.is_loadable());
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

    // Screenshots and covers: 500 for the path, so a URL the generic 500 (E018) lets through
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
    let (generic, m) = both(input(vec![a]));
    assert!(generic.is_loadable());
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
    let (generic, m) = both(value);
    assert!(generic.is_loadable(), "{:?}", generic.report.diagnostics);
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
    let (generic, m) = both(input(vec![a.clone(), b.clone()]));
    assert!(generic.is_loadable());
    assert_eq!(generic.dataset.developers[0].name_ar, None);
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
    let (generic, m) = both(value);
    let w109 = |m: &Migration| fields(m, "W109");
    assert_eq!(w109(&generic), ["i18n.en.tools", "i18n.ar.tools"]);
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
    let (generic, m) = both(input(vec![a.clone(), b]));
    assert!(generic.is_loadable());
    assert_eq!(generic.dataset.developers.len(), 2);
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
    let (generic, m) = both(value);
    assert!(generic.is_loadable());
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
fn the_target_in_json_in_the_envelope_and_from_the_caller() {
    // JSON: generic is not written; django is tagged by kind.
    let text = serde_json::to_value(Options::default()).unwrap();
    assert_eq!(text, json!({ "categoryAliases": {} }));
    let text = serde_json::to_value(django()).unwrap();
    assert_eq!(
        text["target"],
        json!({ "kind": "django", "media_base_url": BASE })
    );
    let back: Options = serde_json::from_value(text).unwrap();
    assert_eq!(back, django());
    let generic: Options =
        serde_json::from_value(json!({ "target": { "kind": "generic" } })).unwrap();
    assert_eq!(generic.target, Target::Generic);

    // An envelope carries it: qa-load re-validates the same way with no options of its own.
    let mut a = app("1_A", "Alpha");
    a["applicationIcon"] = json!("https://cdn.example.org/icon.png");
    let mut decoded = common::decode_value(input(vec![a])).unwrap();
    decoded.options = django();
    let envelope = serde_json::to_string(&decoded.to_envelope(None)).unwrap();
    assert!(envelope.contains("\"kind\":\"django\""), "{envelope}");
    let m = common::migrate_bytes(envelope.as_bytes());
    assert_eq!(fields(&m, "E024"), ["applicationIcon"]);
    assert_eq!(m.options.target, django().target);

    // A caller's target replaces the input's; a caller's generic leaves it.
    let other = Options {
        target: Target::Django {
            media_base_url: "https://cdn.example.org".into(),
        },
        ..Options::default()
    };
    let m = qad_core::migrate(Input::Bytes(envelope.as_bytes()), &other).unwrap();
    assert_eq!(m.options.target, other.target);
    assert!(!fields(&m, "E024").contains(&"applicationIcon".to_string()));
    assert!(fields(&m, "E024").contains(&"mainImage_en".to_string()));
    let mut merged = django();
    merged.merge(&Options::default());
    assert_eq!(merged, django());
}

#[test]
fn target_parse_as_the_command_lines_take_it() {
    assert_eq!(Target::parse("generic", None), Ok(Target::Generic));
    assert_eq!(Target::parse("django", Some(BASE)), Ok(django().target));
    assert!(Target::parse("django", None).is_err());
    assert!(Target::parse("generic", Some(BASE)).is_err());
    assert!(Target::parse("django", Some("pub.r2.dev")).is_err());
    assert!(Target::parse("django", Some("https://")).is_err());
    assert!(Target::parse("mysql", None).is_err());
    assert_eq!(Target::Generic.media_base_url(), None);
    assert_eq!(django().target.media_base_url(), Some(BASE));
}
