//! Each rule, each way it can fire, on small records written for this project.

mod common;

use qad_core::{Diagnostic, Migration, Severity};
use serde_json::{json, Value};

/// One valid record; tests change one thing at a time.
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
        "screenshots_ar": ["https://cdn.example.org/a/01_screenshots_ar.png"],
        "screenshots_en": ["https://cdn.example.org/a/01_screenshots_en.png"],
        "mainImage_ar": "https://cdn.example.org/a/cover_photo_ar.png",
        "mainImage_en": "https://cdn.example.org/a/cover_photo_en.png",
        "applicationIcon": "https://cdn.example.org/a/app_icon.png",
        "Developer_Logo": "https://cdn.example.org/a/developer_logo.png",
        "Developer_Name_En": "Example Labs",
        "Developer_Name_Ar": "مختبرات المثال",
        "Developer_Website": "https://example.org",
        "Google_Play_Link": "https://play.google.com/store/apps/details?id=org.example",
        "AppStore_Link": "https://apps.apple.com/app/id1",
        "App_Gallery_Link": ""
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

fn run(value: Value) -> Migration {
    common::migrate_decoded(common::decode_value(value).expect("decodes"))
}

fn with(field: &str, value: Value) -> Migration {
    let mut a = app("1_A", "Alpha");
    a[field] = value;
    run(input(vec![a]))
}

fn codes(m: &Migration) -> Vec<&str> {
    m.report
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

/// Every finding of a code, in report order.
fn all<'a>(m: &'a Migration, code: &str) -> Vec<&'a Diagnostic> {
    m.report
        .diagnostics
        .iter()
        .filter(|d| d.code == code)
        .collect()
}

fn find<'a>(m: &'a Migration, code: &str) -> &'a Diagnostic {
    m.report
        .diagnostics
        .iter()
        .find(|d| d.code == code)
        .unwrap_or_else(|| panic!("no {code} in {:?}", m.report.diagnostics))
}

#[test]
fn a_clean_record_has_only_the_empty_link_warning() {
    let m = run(input(vec![app("1_A", "Alpha")]));
    assert_eq!(codes(&m), ["W110"]);
    assert!(m.is_loadable());
    let a = &m.dataset.apps[0];
    assert_eq!(a.slug, "alpha");
    assert_eq!(a.app_gallery_url, None);
    assert_eq!(m.dataset.app_categories.len(), 2);
    assert_eq!(m.dataset.categories[1].name_en, "Other");
}

#[test]
fn input_that_is_not_json_or_not_the_right_shape() {
    let e = common::decode_text("{ \"applicationsData\": [ ").unwrap_err();
    assert_eq!(e.diagnostic.code, "E001");
    assert!(e.diagnostic.message.contains("line 1"));
    assert_eq!(
        common::decode_bytes(b"[\xff]").unwrap_err().diagnostic.code,
        "E001"
    );
    assert_eq!(
        common::decode_text("42").unwrap_err().diagnostic.code,
        "E002"
    );
    assert_eq!(
        common::decode_text(r#"{"format":"qad-migrate/apps","version":99,"applicationsData":[]}"#)
            .unwrap_err()
            .diagnostic
            .code,
        "E002"
    );
    assert_eq!(
        common::decode_text(r#"{"format":"other","version":1}"#)
            .unwrap_err()
            .diagnostic
            .code,
        "E002"
    );
    assert_eq!(
        common::decode_text(r#"{"applicationsData": {}}"#)
            .unwrap_err()
            .diagnostic
            .code,
        "E002"
    );
    // A BOM is accepted.
    assert!(common::decode_bytes(b"\xEF\xBB\xBF[]").is_ok());
    let m = common::migrate_bytes(b"nope");
    assert!(m.report.has_errors());
}

#[test]
fn required_fields_missing_null_or_empty() {
    for field in ["id", "Name_En", "Name_Ar", "Developer_Name_En"] {
        for value in [Value::Null, json!(""), json!("   ")] {
            let m = with(field, value.clone());
            let d = find(&m, "E010");
            assert_eq!(d.field.as_deref(), Some(field), "{field} {value}");
            assert_eq!(d.severity, Severity::Error);
            assert!(!m.is_loadable());
        }
        let mut a = app("1_A", "Alpha");
        a.as_object_mut().expect("object").remove(field);
        let m = run(input(vec![a]));
        assert_eq!(find(&m, "E010").field.as_deref(), Some(field));
    }
    let m = with("categories", json!([]));
    assert_eq!(find(&m, "E010").field.as_deref(), Some("categories"));
    // The record is named by its position when it has no id.
    let m = with("id", Value::Null);
    assert_eq!(
        find(&m, "E010").record.as_deref(),
        Some("applicationsData[0]")
    );
}

#[test]
fn wrong_json_types() {
    assert_eq!(
        find(&with("Name_En", json!(5)), "E011").field.as_deref(),
        Some("Name_En")
    );
    assert_eq!(
        find(&with("categories", json!("mushaf")), "E011")
            .field
            .as_deref(),
        Some("categories")
    );
    assert_eq!(
        find(
            &with("screenshots_en", json!(["https://x.org/a.png", 3])),
            "E011"
        )
        .field
        .as_deref(),
        Some("screenshots_en[1]")
    );
    assert_eq!(
        find(&with("sort", json!("1")), "E011").field.as_deref(),
        Some("sort")
    );
    assert_eq!(
        find(&with("sort", json!(1.5)), "E011").field.as_deref(),
        Some("sort")
    );
    assert_eq!(
        find(&with("sort", json!(1e12)), "E011").field.as_deref(),
        Some("sort")
    );
    let m = run(input(vec![json!("not a record")]));
    assert_eq!(
        find(&m, "E011").record.as_deref(),
        Some("applicationsData[0]")
    );
    let mut i = input(vec![app("1_A", "Alpha")]);
    i["categories"][0] = json!(7);
    assert_eq!(
        find(&run(i), "E011").record.as_deref(),
        Some("categories[0]")
    );
}

#[test]
fn ratings() {
    for bad in [json!(-0.1), json!(5.01), json!("4.5"), json!(true)] {
        assert_eq!(
            find(&with("Apps_Avg_Rating", bad.clone()), "E012")
                .field
                .as_deref(),
            Some("Apps_Avg_Rating"),
            "{bad}"
        );
    }
    let m = with("Apps_Avg_Rating", json!(4.567));
    assert_eq!(find(&m, "W106").message, "4.567 is rounded to 4.57");
    assert_eq!(m.dataset.apps[0].avg_rating.map(|r| r.0), Some(457));
    assert_eq!(
        with("Apps_Avg_Rating", json!(5)).dataset.apps[0]
            .avg_rating
            .map(|r| r.0),
        Some(500)
    );
    assert_eq!(
        with("Apps_Avg_Rating", Value::Null).dataset.apps[0].avg_rating,
        None
    );
}

#[test]
fn duplicate_ids_and_slugs() {
    let m = run(input(vec![app("1_A", "Alpha"), app("1_a", "Beta")]));
    // Records that share an id are named by their position too (see
    // duplicate_ids_name_every_record_and_its_position).
    assert_eq!(
        find(&m, "E013").record.as_deref(),
        Some("1_a (applicationsData[1])")
    );
    // NFKC: a full-width letter is the same id.
    let m = run(input(vec![app("1_A", "Alpha"), app("1_\u{FF21}", "Beta")]));
    assert!(codes(&m).contains(&"E013"));
    let m = run(input(vec![
        app("1_A", "Alpha App"),
        app("2_B", "alpha-app"),
    ]));
    assert_eq!(find(&m, "E014").record.as_deref(), Some("2_B"));
    let m = with("Name_En", json!("!!!"));
    assert_eq!(find(&m, "E022").field.as_deref(), Some("Name_En"));
}

#[test]
fn categories_resolve_by_key_display_name_or_alias() {
    // "Other" is the display name of key `tools`.
    let m = with("categories", json!(["Other"]));
    assert!(m.is_loadable(), "{:?}", m.report.diagnostics);
    assert_eq!(
        m.dataset.app_categories[0].category_id,
        m.dataset.categories[1].id
    );

    let m = with("categories", json!(["mushaf", "quiz"]));
    let d = find(&m, "E015");
    assert_eq!(d.field.as_deref(), Some("categories[1]"));
    assert!(
        d.hint.contains("mushaf, tools") && d.hint.contains("--alias quiz="),
        "{}",
        d.hint
    );

    let mut i = input(vec![{
        let mut a = app("1_A", "Alpha");
        a["categories"] = json!(["quiz"]);
        a
    }]);
    i["options"] = json!({ "categoryAliases": { "quiz": "tools" } });
    let m = run(i.clone());
    assert!(m.is_loadable(), "{:?}", m.report.diagnostics);

    i["options"] = json!({ "categoryAliases": { "quiz": "games" } });
    assert!(codes(&run(i)).contains(&"E021"));

    let m = with("categories", json!(["mushaf", "Mushaf"]));
    assert_eq!(find(&m, "W112").field.as_deref(), Some("categories[1]"));
    assert_eq!(m.dataset.app_categories.len(), 1);

    let mut i = input(vec![app("1_A", "Alpha")]);
    i["categories"] = json!([{ "name": "Mushaf" }, { "name": "mushaf" }, { "name": "Tools" }]);
    assert_eq!(
        find(&run(i), "E020").record.as_deref(),
        Some("categories[1]")
    );

    let mut i = input(vec![app("1_A", "Alpha")]);
    i["categories"] = json!([{ "name": "" }, { "name": "Tools", "color": "red", "order": null }]);
    let m = run(i);
    assert_eq!(find(&m, "E010").record.as_deref(), Some("categories[0]"));
    // A category's unknown field with a value would be lost (E023); an empty one is W105.
    assert_eq!(find(&m, "E023").field.as_deref(), Some("color"));
    assert_eq!(find(&m, "E023").record.as_deref(), Some("categories[1]"));
    assert_eq!(find(&m, "W105").field.as_deref(), Some("order"));
}

#[test]
fn export_name_that_is_a_display_name_maps_to_its_key() {
    let mut i = input(vec![app("1_A", "Alpha")]);
    i["categories"] = json!([{ "name": "Mushaf" }, { "name": "Other" }]);
    let m = run(i);
    assert!(m.is_loadable(), "{:?}", m.report.diagnostics);
    assert_eq!(m.dataset.categories[1].key, "tools");
}

#[test]
fn missing_i18n_names_and_bare_arrays() {
    let mut i = input(vec![app("1_A", "Alpha")]);
    i["i18n"]["ar"] = json!({ "mushaf": "مصحف" });
    let m = run(i);
    assert_eq!(find(&m, "W109").field.as_deref(), Some("i18n.ar.tools"));
    assert_eq!(m.dataset.categories[1].name_ar, None);

    let m = run(json!([app("1_A", "Alpha")]));
    assert!(m.is_loadable());
    assert_eq!(codes(&m).iter().filter(|c| **c == "W108").count(), 2);
    assert_eq!(m.dataset.categories.len(), 2);
}

#[test]
fn urls() {
    for (field, bad) in [
        ("applicationIcon", "javascript:alert(1)"),
        ("mainImage_en", "data:image/png;base64,AAAA"),
        ("Developer_Website", "ftp://example.org"),
        ("AppStore_Link", "not a url"),
    ] {
        assert_eq!(
            find(&with(field, json!(bad)), "E016").field.as_deref(),
            Some(field),
            "{bad}"
        );
    }
    let m = with(
        "screenshots_ar",
        json!(["https://cdn.example.org/a b.png", "https://"]),
    );
    assert_eq!(find(&m, "E016").field.as_deref(), Some("screenshots_ar[1]"));
    let m = with(
        "applicationIcon",
        json!(" https://cdn.example.org/My App/icon.png "),
    );
    assert_eq!(find(&m, "W111").field.as_deref(), Some("applicationIcon"));
    assert_eq!(
        m.dataset.apps[0].application_icon_url.as_deref(),
        Some("https://cdn.example.org/My%20App/icon.png")
    );
    let m = with(
        "screenshots_en",
        json!([
            "https://cdn.example.org/a b.png",
            "https://cdn.example.org/c d.png"
        ]),
    );
    let d = find(&m, "W111");
    assert_eq!(
        (d.field.as_deref(), d.items.clone()),
        (Some("screenshots_en"), vec![0, 1])
    );

    assert_eq!(
        find(
            &with("Google_Play_Link", json!("https://apps.apple.com/app/id1")),
            "E017"
        )
        .field
        .as_deref(),
        Some("Google_Play_Link")
    );
    assert!(codes(&with("AppStore_Link", json!("https://play.google.com/x"))).contains(&"E017"));
    assert!(codes(&with("App_Gallery_Link", json!("https://example.org/x"))).contains(&"E017"));
    assert!(with(
        "App_Gallery_Link",
        json!("https://appgallery.huawei.com/app/C1")
    )
    .is_loadable());

    let long = format!("https://cdn.example.org/{}", "a".repeat(480));
    assert_eq!(
        find(&with("applicationIcon", json!(long)), "E018")
            .field
            .as_deref(),
        Some("applicationIcon")
    );

    let m = with(
        "Developer_Logo",
        json!("https://cdn.example.org/a/developer_logo.Not Found"),
    );
    assert_eq!(find(&m, "W101").field.as_deref(), Some("Developer_Logo"));
    assert_eq!(m.dataset.apps[0].developer_logo_url, None);
    assert_eq!(m.dataset.developers[0].logo_url, None);
    assert!(m.is_loadable());

    let m = with("Google_Play_Link", json!(""));
    assert!(m
        .report
        .diagnostics
        .iter()
        .any(|d| d.code == "W110" && d.field.as_deref() == Some("Google_Play_Link")));
}

#[test]
fn text_limits_are_never_truncated() {
    for (field, limit) in [
        ("Name_En", 200),
        ("Name_Ar", 200),
        ("Short_Description_En", 500),
        ("Description_Ar", 5000),
        ("Developer_Name_En", 200),
    ] {
        let fill = if field.ends_with("_Ar") { "ق" } else { "a" };
        let ok = with(field, json!(fill.repeat(limit)));
        assert!(!codes(&ok).contains(&"E018"), "{field} at its limit");
        let m = with(field, json!(fill.repeat(limit + 1)));
        let d = find(&m, "E018");
        assert_eq!(d.field.as_deref(), Some(field));
        assert!(d.message.starts_with(&format!("{} characters", limit + 1)));
    }
}

#[test]
fn nul_bidi_and_scripts() {
    assert_eq!(
        find(&with("Description_En", json!("a\u{0}b")), "E019")
            .field
            .as_deref(),
        Some("Description_En")
    );
    let m = with("Name_En", json!("Alpha\u{202E}ahplA"));
    assert_eq!(find(&m, "W107").field.as_deref(), Some("Name_En"));
    assert_eq!(m.dataset.apps[0].name_en, "Alpha\u{202E}ahplA");
    assert_eq!(
        find(&with("Name_En", json!("Alpha قرآن")), "W103")
            .field
            .as_deref(),
        Some("Name_En")
    );
    assert_eq!(
        find(&with("Description_Ar", json!("English only")), "W103")
            .field
            .as_deref(),
        Some("Description_Ar")
    );
    assert_eq!(
        find(&with("Developer_Name_En", json!("مؤسسة")), "W103")
            .field
            .as_deref(),
        Some("Developer_Name_En")
    );
    assert_eq!(
        find(&with("Developer_Name_Ar", json!("Latin")), "W103")
            .field
            .as_deref(),
        Some("Developer_Name_Ar")
    );
    // SQL metacharacters and markup are data, kept verbatim.
    let hostile = "Robert'); DROP TABLE apps;-- <script>alert(1)</script>";
    let m = with("Name_En", json!(hostile));
    assert!(m.is_loadable());
    assert_eq!(m.dataset.apps[0].name_en, hostile);
}

#[test]
fn english_images_pointing_at_arabic_files() {
    let m = with(
        "screenshots_en",
        json!([
            "https://cdn.example.org/a/01_screenshots_en.png",
            "https://cdn.example.org/a/02_screenshots_ar.png"
        ]),
    );
    let d = find(&m, "W102");
    assert_eq!(
        (d.field.as_deref(), d.items.clone()),
        (Some("screenshots_en"), vec![1])
    );
    assert_eq!(
        find(
            &with(
                "mainImage_en",
                json!("https://cdn.example.org/a/cover_photo_ar.png")
            ),
            "W102"
        )
        .field
        .as_deref(),
        Some("mainImage_en")
    );
    // Arabic screenshots pointing at _ar files are fine.
    assert!(!codes(&with(
        "screenshots_ar",
        json!(["https://cdn.example.org/a/02_screenshots_ar.png"])
    ))
    .contains(&"W102"));
}

#[test]
fn unknown_fields_are_reported_not_loaded() {
    // With a value the load would lose it: an error (E023, below); empty, a warning.
    let m = with("Price", json!(null));
    assert_eq!(find(&m, "W105").field.as_deref(), Some("Price"));
    assert!(m.is_loadable());
    let m = with("Price", json!(3));
    assert_eq!(find(&m, "E023").field.as_deref(), Some("Price"));
    assert!(!m.is_loadable());
}

/// A record of the frontend's format of early 2025: one cover image and one screenshot list,
/// not split by language.
fn old_format_app(id: &str, name: &str) -> Value {
    let mut a = app(id, name);
    let map = a.as_object_mut().expect("object");
    for field in [
        "mainImage_en",
        "mainImage_ar",
        "screenshots_en",
        "screenshots_ar",
    ] {
        map.remove(field);
    }
    map.insert(
        "mainImage".into(),
        json!("https://cdn.example.org/a/cover.png"),
    );
    map.insert(
        "screenshots".into(),
        json!(["https://cdn.example.org/a/01.png"]),
    );
    a
}

#[test]
fn unknown_fields_with_values_are_errors_naming_record_position_and_field() {
    let m = run(input(vec![
        app("1_A", "Alpha"),
        old_format_app("2_B", "Beta"),
    ]));
    assert!(!m.is_loadable());
    let lost = all(&m, "E023");
    assert_eq!(lost.len(), 2, "{lost:?}");
    for (d, field) in lost.iter().zip(["mainImage", "screenshots"]) {
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.rule, "unknown-field-value");
        assert_eq!(d.record.as_deref(), Some("2_B"));
        assert_eq!(d.field.as_deref(), Some(field));
        assert!(
            d.message
                .contains(&format!("{field:?} of applicationsData[1]")),
            "{}",
            d.message
        );
        assert!(
            d.hint.contains(&format!("`--ignore-field {field}`")),
            "{}",
            d.hint
        );
    }
    assert!(lost[0]
        .hint
        .starts_with("Did you mean `mainImage_en` or `mainImage_ar`?"));
    assert!(lost[1]
        .hint
        .starts_with("Did you mean `screenshots_en` or `screenshots_ar`?"));
    // The rows are still built (for previews), without the old fields' data.
    assert_eq!(m.dataset.apps[1].main_image_en_url, None);
}

#[test]
fn empty_unknown_fields_stay_warnings() {
    for empty in [
        json!(null),
        json!(""),
        json!("  "),
        json!([]),
        json!({}),
        json!([null, ""]),
        json!({ "a": [], "b": null }),
    ] {
        let m = with("mainImage", empty.clone());
        assert_eq!(codes(&m), ["W105", "W110"], "{empty}");
        assert!(m.is_loadable(), "{empty}");
    }
    // Numbers and booleans are data, zero and false too.
    for value in [
        json!(0),
        json!(false),
        json!(1.5),
        json!([0]),
        json!({ "a": "x" }),
        json!(" x "),
    ] {
        assert!(
            codes(&with("mainImage", value.clone())).contains(&"E023"),
            "{value}"
        );
    }
}

#[test]
fn ignore_fields_make_exactly_those_fields_warnings_again() {
    let mut i = input(vec![old_format_app("1_A", "Alpha")]);
    i["options"] = json!({ "ignoreFields": ["mainImage"] });
    let m = run(i.clone());
    assert_eq!(find(&m, "W105").field.as_deref(), Some("mainImage"));
    assert!(find(&m, "W105")
        .message
        .contains("ignored (--ignore-field)"));
    assert_eq!(find(&m, "E023").field.as_deref(), Some("screenshots"));
    i["options"] = json!({ "ignoreFields": ["mainImage", "screenshots"] });
    let m = run(i.clone());
    assert!(m.is_loadable(), "{:?}", m.report.diagnostics);
    assert_eq!(codes(&m), ["W105", "W105", "W110"]);
    // The names are matched exactly (JSON keys are case-sensitive).
    i["options"] = json!({ "ignoreFields": ["mainimage", "Screenshots"] });
    assert_eq!(run(i.clone()).report.errors, 2);
    // Kept in the envelope, so that qa-load re-validating apps.json gives the same verdict.
    i["options"] = json!({ "ignoreFields": ["screenshots", "mainImage"] });
    let decoded = common::decode_value(i).expect("decodes");
    let text = serde_json::to_string(&decoded.to_envelope(None)).expect("serialises");
    assert!(
        text.contains(
            r#""options":{"categoryAliases":{},"ignoreFields":["mainImage","screenshots"]}"#
        ),
        "{text}"
    );
    assert!(common::migrate_bytes(text.as_bytes()).is_loadable());
    // Without any, the envelope's options are as before.
    let plain = common::decode_value(input(vec![app("1_A", "Alpha")])).expect("decodes");
    let text = serde_json::to_string(&plain.to_envelope(None)).expect("serialises");
    assert!(
        text.contains(r#""options":{"categoryAliases":{}}"#),
        "{text}"
    );
    assert!(qad_core::Options::parse_ignore_field(" ").is_err());
    assert_eq!(
        qad_core::Options::parse_ignore_field("mainImage"),
        Ok("mainImage".to_string())
    );
}

#[test]
fn the_hint_names_the_closest_known_fields() {
    use qad_core::decode::{closest_fields, unknown_field_hint, APP_FIELDS};
    let close = |name: &str| closest_fields(name, &APP_FIELDS);
    assert_eq!(close("mainImage"), ["mainImage_en", "mainImage_ar"]);
    assert_eq!(close("screenshots"), ["screenshots_en", "screenshots_ar"]);
    // A language suffix of another case, a missing letter, a different case.
    assert_eq!(
        close("Developer_Name"),
        ["Developer_Name_En", "Developer_Name_Ar"]
    );
    assert_eq!(close("screenshot_en"), ["screenshots_en"]);
    assert_eq!(close("name_en"), ["Name_En"]);
    assert_eq!(close("AppStoreLink"), ["AppStore_Link"]);
    assert_eq!(close("Developer_Websit"), ["Developer_Website"]);
    // Nothing close: no guess.
    assert!(close("Favourite_Colour").is_empty());
    assert!(close("Price").is_empty());
    assert!(close("x").is_empty());
    assert!(close(&"mainImage".repeat(100)).is_empty());
    let hint = unknown_field_hint("Price", &APP_FIELDS);
    assert!(
        hint.starts_with("No known field is close to \"Price\"."),
        "{hint}"
    );
    assert!(hint.contains("`--ignore-field Price`"), "{hint}");
}

#[test]
fn duplicate_ids_name_every_record_and_its_position() {
    let m = run(input(vec![
        app("1_A", "Alpha"),
        app("2_B", "Beta"),
        app("1_a", "Alpha Two"),
        app("1_A", "Alpha Three"),
    ]));
    let dups = all(&m, "E013");
    // One per repeating record, each naming all of them.
    assert_eq!(dups.len(), 2);
    let all = r#"id "1_A", Name_En "Alpha"), applicationsData[2] (id "1_a", Name_En "Alpha Two"), applicationsData[3] (id "1_A", Name_En "Alpha Three")"#;
    for d in &dups {
        assert!(
            d.message
                .contains("is shared by 3 records: applicationsData[0] (")
                && d.message.ends_with(all),
            "{}",
            d.message
        );
    }
    assert_eq!(dups[0].record.as_deref(), Some("1_a (applicationsData[2])"));
    assert_eq!(dups[1].record.as_deref(), Some("1_A (applicationsData[3])"));
    // Every finding of those records names the record by id and position: one heading each.
    let text = m.report.to_text();
    for heading in [
        "1_A (applicationsData[0]) (",
        "1_a (applicationsData[2]) (",
        "1_A (applicationsData[3]) (",
    ] {
        assert_eq!(
            text.lines().filter(|l| l.starts_with(heading)).count(),
            1,
            "{heading}\n{text}"
        );
    }
    assert!(!text.lines().any(|l| l.starts_with("1_A (0")), "{text}");
    // The record without a shared id keeps its plain name.
    assert!(text.lines().any(|l| l.starts_with("2_B (")), "{text}");
    let markdown = m.report.to_markdown();
    assert!(
        markdown.contains("### 1_A (applicationsData[0])"),
        "{markdown}"
    );
    assert!(
        markdown.contains("### 1_a (applicationsData[2])"),
        "{markdown}"
    );
}

#[test]
fn duplicate_ids_findings_before_the_check_are_renamed_too() {
    // A wrong type is found while decoding, before the ids are compared.
    let mut b = app("1_A", "Alpha Two");
    b["sort"] = json!("2");
    let m = run(input(vec![app("1_A", "Alpha"), b]));
    assert_eq!(
        find(&m, "E011").record.as_deref(),
        Some("1_A (applicationsData[1])")
    );
    // A hostile input repeating one id everywhere names ten records and counts the rest.
    let many: Vec<Value> = (0..25).map(|i| app("1_A", &format!("App {i}"))).collect();
    let m = run(input(many));
    let d = find(&m, "E013");
    assert!(
        d.message
            .starts_with("id \"1_A\" is shared by 25 records: "),
        "{}",
        d.message
    );
    assert!(d.message.ends_with(", and 15 more"), "{}", d.message);
    assert_eq!(d.message.matches("applicationsData[").count(), 10);
}

#[test]
fn developers_merge_by_name_or_website_never_by_shared_host() {
    let mut a = app("1_A", "Alpha");
    let mut b = app("2_B", "Beta");
    let mut c = app("3_C", "Gamma");
    let mut d = app("4_D", "Delta");
    a["Developer_Name_En"] = json!("Example Labs");
    b["Developer_Name_En"] = json!("example  labs");
    b["Developer_Website"] = json!("https://www.example.org/ar");
    c["Developer_Name_En"] = json!("Exampel Lab");
    c["Developer_Website"] = json!("https://example.org/");
    // Same GitHub host, different developers.
    d["Developer_Name_En"] = json!("Solo Dev");
    d["Developer_Website"] = json!("https://github.com/solo");
    let mut e = app("5_E", "Epsilon");
    e["Developer_Name_En"] = json!("Other Dev");
    e["Developer_Website"] = json!("https://github.com/other");
    let m = run(input(vec![a, b, c, d, e]));
    assert_eq!(m.dataset.developers.len(), 3, "{:?}", m.dataset.developers);
    assert_eq!(m.dataset.developers[0].name_en, "Example Labs");
    assert_eq!(
        m.dataset.developers[0].website.as_deref(),
        Some("https://example.org")
    );
    let merged = all(&m, "W104");
    assert_eq!(merged.len(), 2, "{merged:?}");
    assert!(merged
        .iter()
        .any(|d| d.field.as_deref() == Some("Developer_Name_En")
            && d.message.contains("\"Exampel Lab\"")));
    assert!(merged
        .iter()
        .any(|d| d.field.as_deref() == Some("Developer_Website")));
    let ids: std::collections::BTreeSet<_> =
        m.dataset.apps[..3].iter().map(|a| a.developer_id).collect();
    assert_eq!(ids.len(), 1);
}

#[test]
fn ids_are_deterministic_and_screenshots_keep_their_order() {
    let mut a = app("1_A", "Alpha");
    a["screenshots_en"] = json!([
        "https://x.org/3.png",
        "https://x.org/1.png",
        "https://x.org/2.png"
    ]);
    let m1 = run(input(vec![a.clone()]));
    let m2 = run(input(vec![a]));
    assert_eq!(m1.dataset, m2.dataset);
    let en: Vec<&str> = m1
        .dataset
        .screenshots
        .iter()
        .filter(|s| s.language == qad_core::Language::En)
        .map(|s| s.url.as_str())
        .collect();
    assert_eq!(
        en,
        [
            "https://x.org/3.png",
            "https://x.org/1.png",
            "https://x.org/2.png"
        ]
    );
    assert_eq!(m1.dataset.apps[0].id, qad_core::ids::app_id("alpha"));
}

#[test]
fn reports_render_as_json_markdown_and_text() {
    let m = run(input(vec![app("1_A", "Alpha"), app("1_A", "<b>Beta|</b>")]));
    let json: Value = serde_json::from_str(&m.report.to_json()).expect("JSON");
    assert_eq!(json["errors"], 1);
    assert_eq!(json["byRule"][0]["code"], "E013");
    let md = m.report.to_markdown();
    assert!(md.contains("| E013 | duplicate-id | error | 1 |"), "{md}");
    assert!(md.contains("## By record"));
    assert!(!md.contains("<b>"));
    let text = m.report.to_text();
    assert!(text.contains("INVALID"));
    assert!(text.contains("hint:"));
}

#[test]
fn envelope_round_trips() {
    let input = common::decode_value(input(vec![app("1_A", "Alpha")])).expect("decodes");
    let envelope = input.to_envelope(Some("test".into()));
    let text = serde_json::to_string(&envelope).expect("serialises");
    assert!(text.contains("\"format\":\"qad-migrate/apps\""));
    let back = common::decode_text(&text).expect("decodes");
    assert_eq!(
        common::migrate_decoded(back).dataset,
        common::migrate_decoded(input).dataset
    );
}

#[test]
fn hostile_sizes_stay_bounded() {
    // A 20 MB name is refused by its length, without copying it around per character.
    let m = with("Name_En", json!("a".repeat(20_000_000)));
    assert!(codes(&m).contains(&"E018"));
    // Deep nesting is refused by the JSON decoder, not by a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        common::decode_text(&deep).unwrap_err().diagnostic.code,
        "E001"
    );
    // 10,000 categories.
    let cats: Vec<Value> = (0..10_000)
        .map(|i| json!({ "name": format!("c{i}") }))
        .collect();
    let mut a = app("1_A", "Alpha");
    a["categories"] = json!(["c9999"]);
    let m = run(json!({ "applicationsData": [a], "categories": cats }));
    assert_eq!(m.dataset.categories.len(), 10_000);
    assert!(m.is_loadable());
}

#[test]
fn docs_rule_table_matches_the_code() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/rules.md"))
        .expect("docs/rules.md");
    let table = doc
        .split("<!-- rules:begin -->\n")
        .nth(1)
        .and_then(|rest| rest.split("<!-- rules:end -->").next())
        .expect("rules markers");
    assert_eq!(
        table,
        qad_core::rules::rules_markdown(),
        "regenerate: cargo run -p qad-core --example rules_markdown"
    );
}
