//! Fuzzing the core's input decoding and transform with proptest (issue 8).
//!
//! Targets:
//! - arbitrary bytes, and byte-level mutations of a valid input, into `migrate_bytes`: never panics;
//! - arbitrary JSON values into `decode_value` + `migrate`: never panics;
//! - JSON-shaped inputs (records whose fields get random types and values: Arabic, emoji,
//!   controls, bidi characters, hostile URLs, look-alike ids): never panics, the same input
//!   always gives the same migration, and whenever the report has no errors the dataset keeps
//!   the invariants the load relies on (see [`check_invariants`]).
//!
//! The default is 256 cases per target (PROPTEST_CASES overrides it), a few seconds in debug.
//! A longer run:
//!
//! ```text
//! PROPTEST_CASES=200000 cargo test -p qad-core --release --test fuzz -- --nocapture
//! ```
//!
//! A failure is shrunk and printed; nothing is written to disk (no regression files).

use std::collections::{BTreeMap, HashSet};

use proptest::prelude::*;
use proptest::test_runner::Config;
mod common;

use qad_core::{Dataset, Language, Migration};
use serde_json::{json, Map, Value};

fn config() -> Config {
    Config {
        // Config::default() reads PROPTEST_CASES (default 256).
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Characters that have broken text handling somewhere: every script and width the directory
/// has, controls, NUL, bidi and zero-width characters, combining marks, look-alikes.
fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => prop::char::range('a', 'z'),
        2 => prop::char::range('A', 'Z'),
        2 => prop::char::range('0', '9'),
        3 => prop::sample::select(vec![' ', '-', '_', '.', '\'', ',', '&', '/', ':', '?', '#', '%', '"', '<', '>', '\\', '$', ';']),
        4 => prop::char::range('\u{0621}', '\u{064A}'), // Arabic letters
        1 => prop::sample::select(vec!['\u{064B}', '\u{0651}', '\u{0670}', '\u{06F0}', '\u{FDFD}', '\u{FEFB}']),
        1 => prop::sample::select(vec!['📖', '🕋', '😀', '👨', '\u{200D}', '🇸', '🇦', '\u{1F3FB}', '𝔸']),
        1 => prop::sample::select(vec!['\0', '\t', '\n', '\r', '\u{1b}', '\u{7}', '\u{7f}', '\u{85}', '\u{9b}']),
        1 => prop::sample::select(vec!['\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}']),
        1 => prop::sample::select(vec!['\u{200B}', '\u{200C}', '\u{2060}', '\u{FEFF}', '\u{00AD}', '\u{00A0}', '\u{3000}']),
        1 => prop::sample::select(vec!['\u{0301}', '\u{0308}', 'é', 'ß', 'İ', 'ﬁ', 'Ａ', '１', 'ａ', 'K', '\u{FFFD}', '\u{FFFF}', '\u{10FFFF}']),
    ]
}

fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(interesting_char(), 0..max).prop_map(|c| c.into_iter().collect())
}

/// Sometimes far over a column's limit (but no bigger than a few KB, to keep cases fast).
fn sized_text() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => text(24),
        1 => (text(4), 190usize..230).prop_map(|(t, n)| t.repeat(n.div_ceil(t.chars().count().max(1))).chars().take(n).collect()),
        1 => (prop::sample::select(vec!["a", "ق", "😀"]), 480usize..5100).prop_map(|(c, n)| c.repeat(n)),
    ]
}

fn url() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(vec![
        "https://",
        "https://",
        "https://",
        "http://",
        "HTTPS://",
        "https:",
        "https:/",
        "https:\\\\",
        "javascript:",
        "JavaScript:",
        "data:text/html,",
        "ftp://",
        "//",
        "",
        " https://",
        "file:///",
    ]);
    let host = prop::sample::select(vec![
        "cdn.example.org",
        "play.google.com",
        "apps.apple.com",
        "itunes.apple.com",
        "appgallery.huawei.com",
        "example.org",
        "www.example.org",
        "evil.example",
        "play.google.com@evil.example",
        "play.google.com.evil.example",
        "xn--mgbh0fb.example",
        "مثال.example",
        "[::1]",
        "127.0.0.1",
        "",
        "a b.example",
    ]);
    let path = prop_oneof![
        4 => text(16),
        1 => Just("/a/01_screenshots_ar.png".to_string()),
        1 => Just("/a/cover_photo_en.png.Not Found".to_string()),
        1 => Just("/a/My Shot 1.png".to_string()),
        1 => (300usize..600).prop_map(|n| format!("/{}", "p".repeat(n))),
    ];
    (scheme, host, path).prop_map(|(s, h, p)| format!("{s}{h}{p}"))
}

/// A value of any JSON type, mostly small.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop::num::f64::NORMAL.prop_map(Value::from),
        (-2.0f64..7.0).prop_map(Value::from),
        text(12).prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(text(6), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Ids and names from small pools, so that duplicates (also by case, NFD, full width) happen.
fn id() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => prop::sample::select(vec!["1_A", "1_a", "１_Ａ", "2_B", "3_Café", "3_Cafe\u{301}", "4_D", "5_E", "6_F", "7_G", " 1_A ", "8_\u{200B}H"]).prop_map(Value::from),
        2 => text(10).prop_map(Value::from),
        1 => any_json(),
    ]
}

fn name_en() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => prop::sample::select(vec!["Alpha", "ALPHA", "Al-pha", "Beta", "Gamma", "Café Qur'an", "Cafe\u{301} Quran", "Delta", "Epsilon", "Zeta", "!!!", "وحي"]).prop_map(Value::from),
        3 => sized_text().prop_map(Value::from),
        1 => any_json(),
    ]
}

fn name_ar() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => prop::sample::select(vec!["تطبيق", "وحي", "مصحف المدينة", "Alpha"]).prop_map(Value::from),
        3 => sized_text().prop_map(Value::from),
        1 => any_json(),
    ]
}

fn developer() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => prop::sample::select(vec!["Example Labs", "example labs", "Example, Labs", "Ｅｘａｍｐｌｅ Labs", "Other Dev", "Noor", "???", "مطور", " "]).prop_map(Value::from),
        2 => sized_text().prop_map(Value::from),
        1 => any_json(),
    ]
}

fn category_key() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(vec!["mushaf", "tools", "Mushaf", "other", "Other", "tafsir", " kids ", "café", "cafe\u{301}", "quiz", "", "ＭＵＳＨＡＦ"]).prop_map(String::from),
        1 => text(8),
    ]
}

fn string_list(item: BoxedStrategy<String>) -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => prop::collection::vec(item, 0..5).prop_map(|v| json!(v)),
        1 => prop::collection::vec(any_json(), 0..4).prop_map(Value::Array),
        1 => any_json(),
    ]
}

fn text_value() -> impl Strategy<Value = Value> {
    prop_oneof![8 => sized_text().prop_map(Value::from), 1 => any_json()]
}

fn url_value() -> impl Strategy<Value = Value> {
    prop_oneof![8 => url().prop_map(Value::from), 1 => Just(json!("")), 1 => any_json()]
}

fn number_value(lo: f64, hi: f64) -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (lo..hi).prop_map(|f| json!((f * 1000.0).round() / 1000.0)),
        2 => (-3i64..50).prop_map(Value::from),
        1 => prop::sample::select(vec![json!(1e300), json!(-0.0), json!(2147483648i64), json!(4.999), json!(4.995), json!(0.005)]),
        1 => any_json(),
    ]
}

/// Text a loadable record may hold: any of the interesting characters but NUL.
fn clean_text(max: usize) -> impl Strategy<Value = String> {
    text(max).prop_map(|t| t.replace('\0', ""))
}

fn clean_url(hosts: Vec<&'static str>) -> impl Strategy<Value = String> {
    let path = prop::collection::vec(
        prop_oneof![
            6 => prop::char::range('a', 'z'),
            1 => prop::sample::select(vec!['/', '-', '_', '.', ' ', '%', '?', '=', '&', '~']),
            1 => prop::char::range('\u{0621}', '\u{064A}'),
            1 => prop::sample::select(vec!['😀', 'é', '"', '<', '\'']),
        ],
        0..30,
    )
    .prop_map(|c| c.into_iter().collect::<String>());
    (
        prop::sample::select(vec!["https://", "http://", "HTTPS://", " https://"]),
        prop::sample::select(hosts),
        path,
    )
        .prop_map(|(s, h, p)| format!("{s}{h}/{p}"))
}

/// A field's value as a loadable record has it (texts still with every kind of character).
fn clean_field(name: &'static str, i: usize) -> BoxedStrategy<Value> {
    let images = || {
        clean_url(vec![
            "cdn.example.org",
            "example.org",
            "r2.dev",
            "xn--mgbh0fb.example",
        ])
        .prop_map(Value::from)
        .boxed()
    };
    match name {
        "id" => clean_text(8).prop_map(move |t| json!(format!("{i}_{t}").trim().to_string())).boxed(),
        "Name_En" => clean_text(20).prop_map(move |t| json!(format!("App {i} {t}"))).boxed(),
        "Name_Ar" | "Developer_Name_Ar" => clean_text(20).prop_map(|t| json!(format!("تطبيق {t}"))).boxed(),
        "Short_Description_En" | "Short_Description_Ar" | "Description_En" | "Description_Ar" | "status" => {
            clean_text(40).prop_map(Value::from).boxed()
        }
        "sort" => (-5i64..100).prop_map(Value::from).boxed(),
        "Apps_Avg_Rating" => prop_oneof![(0.0f64..=5.0).prop_map(Value::from), (0i64..=5).prop_map(Value::from)].boxed(),
        "categories" => prop::collection::vec(prop::sample::select(vec!["mushaf", "tools", "Tafsir", " mushaf ", "Other"]), 1..4)
            .prop_map(|v| json!(v))
            .boxed(),
        "screenshots_ar" | "screenshots_en" => prop::collection::vec(
            prop_oneof![8 => clean_url(vec!["cdn.example.org", "example.org"]), 1 => Just(String::new())],
            0..5,
        )
        .prop_map(|v| json!(v))
        .boxed(),
        "mainImage_ar" | "mainImage_en" | "applicationIcon" | "Developer_Logo" => prop_oneof![
            8 => images(),
            1 => Just(json!("")),
            1 => Just(json!("https://cdn.example.org/x/logo.png.Not Found")),
        ]
        .boxed(),
        "Developer_Name_En" => prop::sample::select(vec!["Example Labs", "example labs", "Example, Labs", "Ｅｘａｍｐｌｅ Labs", "Other Dev", "Noor International", "مطور Dev"])
            .prop_map(Value::from)
            .boxed(),
        "Developer_Website" => prop_oneof![
            4 => clean_url(vec!["example.org", "www.example.org", "other.example", "github.com"]).prop_map(Value::from),
            1 => Just(json!("")),
        ]
        .boxed(),
        "Google_Play_Link" => clean_url(vec!["play.google.com"]).prop_map(Value::from).boxed(),
        "AppStore_Link" => clean_url(vec!["apps.apple.com", "itunes.apple.com"]).prop_map(Value::from).boxed(),
        "App_Gallery_Link" => clean_url(vec!["appgallery.huawei.com", "appgallery.cloud.huawei.com"]).prop_map(Value::from).boxed(),
        other => panic!("no field {other}"),
    }
}

/// A field's value from anywhere: wrong types, hostile URLs, look-alike ids, over-long text.
fn wild_field(name: &'static str) -> BoxedStrategy<Value> {
    match name {
        "id" => id().boxed(),
        "Name_En" => name_en().boxed(),
        "Name_Ar" | "Developer_Name_Ar" => name_ar().boxed(),
        "Short_Description_En"
        | "Short_Description_Ar"
        | "Description_En"
        | "Description_Ar"
        | "status" => text_value().boxed(),
        "sort" => number_value(-5.0, 100.0).boxed(),
        "Apps_Avg_Rating" => number_value(-1.0, 6.0).boxed(),
        "categories" => string_list(category_key().boxed()).boxed(),
        "screenshots_ar" | "screenshots_en" => string_list(url().boxed()).boxed(),
        "Developer_Name_En" => developer().boxed(),
        _ => url_value().boxed(),
    }
}

const FIELDS: [&str; 23] = qad_core::decode::APP_FIELDS;

/// Record `i` of an input: each of the 23 fields present or not, of its loadable kind or (one
/// time in `1 + clean` when `wild > 0`) anything; sometimes an unknown field.
fn record(i: usize, clean: u32, wild: u32) -> BoxedStrategy<Value> {
    let present: Vec<BoxedStrategy<Option<(&'static str, Value)>>> = FIELDS
        .iter()
        .map(|&name| {
            let value = if wild == 0 {
                clean_field(name, i)
            } else {
                prop_oneof![clean => clean_field(name, i), wild => wild_field(name)].boxed()
            };
            // Required fields are there most of the time, so that loadable inputs happen.
            let weight = if matches!(
                name,
                "id" | "Name_En" | "Name_Ar" | "Developer_Name_En" | "categories"
            ) {
                40
            } else {
                3
            };
            prop_oneof![weight => value.prop_map(move |v| Some((name, v))), 1 => Just(None)].boxed()
        })
        .collect();
    let extra = if wild == 0 {
        Just(None).boxed()
    } else {
        prop::option::weighted(0.05, (text(6), any_json())).boxed()
    };
    (present, extra)
        .prop_map(|(fields, extra)| {
            let mut map: Map<String, Value> = fields
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            if let Some((k, v)) = extra {
                map.insert(k, v);
            }
            Value::Object(map)
        })
        .boxed()
}

fn category_entry() -> impl Strategy<Value = Value> {
    prop_oneof![
        10 => (category_key(), prop::option::of(text(12))).prop_map(|(name, icon)| match icon {
            Some(icon) => json!({ "name": name, "icon": format!("<svg>{icon}</svg>") }),
            None => json!({ "name": name }),
        }),
        1 => any_json(),
    ]
}

fn i18n_names() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(
        category_key(),
        prop_oneof![4 => category_key(), 1 => text(8)],
        0..6,
    )
    .prop_map(|m| json!(m))
}

/// The export and i18n files of a loadable input (keys mushaf, tools, tafsir; "Other" is
/// tools' display name, as in the real frontend).
fn clean_catalogue() -> impl Strategy<Value = (Value, Value)> {
    (clean_text(12), any::<bool>()).prop_map(|(icon, with_i18n)| {
        let export = json!([
            { "name": "Mushaf", "icon": format!("<svg>{icon}</svg>") },
            { "name": "Tools" },
            { "name": "Tafsir", "icon": "<svg onload=\"alert(1)\"/>" }
        ]);
        let i18n = if with_i18n {
            json!({ "en": { "mushaf": "Mushaf", "tools": "Other", "tafsir": "Tafsir" },
                    "ar": { "mushaf": "مصحف", "tools": "أخرى", "tafsir": "تفسير" } })
        } else {
            Value::Null
        };
        (export, i18n)
    })
}

/// A whole input at one level of hostility: the module's shape, a bare array, or an envelope.
fn input_at(clean: u32, wild: u32) -> impl Strategy<Value = Value> {
    let apps = (0usize..7).prop_flat_map(move |n| {
        (0..n)
            .map(|i| {
                if wild == 0 {
                    record(i, clean, wild)
                } else {
                    prop_oneof![20 => record(i, clean, wild), 1 => any_json()].boxed()
                }
            })
            .collect::<Vec<_>>()
    });
    let catalogue = if wild == 0 {
        clean_catalogue().prop_map(|(e, i)| (Some(e), i)).boxed()
    } else {
        prop_oneof![
            2 => clean_catalogue().prop_map(|(e, i)| (Some(e), i)),
            2 => (
                prop::option::weighted(0.85, prop::collection::vec(category_entry(), 0..6).prop_map(Value::Array)),
                prop::option::weighted(0.8, (i18n_names(), i18n_names()))
                    .prop_map(|p| p.map_or(Value::Null, |(en, ar)| json!({ "en": en, "ar": ar }))),
            ),
        ]
        .boxed()
    };
    let aliases = if wild == 0 {
        Just(None).boxed()
    } else {
        prop::option::weighted(
            0.2,
            prop::collection::btree_map(category_key(), category_key(), 0..3),
        )
        .boxed()
    };
    (apps, catalogue, aliases, 0..10u8).prop_map(|(apps, (cats, i18n), aliases, shape)| {
        if shape == 0 {
            return Value::Array(apps);
        }
        let mut m = Map::new();
        if shape == 1 {
            m.insert("format".into(), json!("qad-migrate/apps"));
            m.insert("version".into(), json!(1));
        }
        m.insert("applicationsData".into(), Value::Array(apps));
        if let Some(c) = cats {
            m.insert("categories".into(), c);
        }
        if !i18n.is_null() {
            m.insert("i18n".into(), i18n);
        }
        if let Some(a) = aliases {
            m.insert("options".into(), json!({ "categoryAliases": a }));
        }
        Value::Object(m)
    })
}

fn input() -> impl Strategy<Value = Value> {
    prop_oneof![
        // Every field loadable (texts with every kind of character).
        3 => input_at(1, 0),
        // Mostly loadable: about one field in twenty from anywhere.
        3 => input_at(19, 1),
        // Anything.
        2 => input_at(1, 1),
    ]
}

/// A valid input's bytes, to mutate.
fn valid_bytes() -> Vec<u8> {
    let app = json!({
        "id": "1_A", "Name_Ar": "تطبيق ألفا", "Name_En": "Alpha",
        "Short_Description_Ar": "وصف", "Short_Description_En": "Short", "Description_Ar": "وصف طويل",
        "Description_En": "Long", "status": "Done", "sort": 1, "Apps_Avg_Rating": 4.5,
        "categories": ["mushaf", "tools"],
        "screenshots_ar": ["https://cdn.example.org/a/01_screenshots_ar.png"],
        "screenshots_en": ["https://cdn.example.org/a/01_screenshots_en.png"],
        "mainImage_ar": "https://cdn.example.org/a/cover_ar.png", "mainImage_en": "https://cdn.example.org/a/cover_en.png",
        "applicationIcon": "https://cdn.example.org/a/icon.png", "Developer_Logo": "https://cdn.example.org/a/logo.png",
        "Developer_Name_En": "Example Labs", "Developer_Name_Ar": "مختبرات المثال", "Developer_Website": "https://example.org",
        "Google_Play_Link": "https://play.google.com/store/apps/details?id=a", "AppStore_Link": "https://apps.apple.com/app/id1",
        "App_Gallery_Link": ""
    });
    serde_json::to_vec_pretty(&json!({
        "applicationsData": [app],
        "categories": [{ "name": "Mushaf", "icon": "<svg/>" }, { "name": "Tools", "icon": "<svg/>" }],
        "i18n": { "en": { "mushaf": "Mushaf", "tools": "Other" }, "ar": { "mushaf": "مصحف", "tools": "أخرى" } }
    }))
    .unwrap_or_default()
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop::sample::select(vec![
        b"\"".to_vec(),
        b",".to_vec(),
        b"{".to_vec(),
        b"]".to_vec(),
        b"\\".to_vec(),
        b"\\u0000".to_vec(),
        b"\xEF\xBB\xBF".to_vec(),
        b"\xFF".to_vec(),
        b"\xC0\xAF".to_vec(),
        b"\xED\xA0\x80".to_vec(),
        b"null".to_vec(),
        b"1e999".to_vec(),
        b"-0".to_vec(),
        b"\"Name_En\": 1,".to_vec(),
        b"\"id\": \"1_A\",".to_vec(),
    ]);
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), interesting).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match m {
            Mutation::Set(i, b) => {
                if !bytes.is_empty() {
                    bytes[i % len] = *b;
                }
            }
            Mutation::Insert(i, b) => {
                let at = i % (bytes.len() + 1);
                bytes.splice(at..at, b.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let at = i % len;
                let end = (at + n).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
            Mutation::Truncate(i) => bytes.truncate(i % len),
        }
    }
    bytes
}

// ---------------------------------------------------------------------------------------------
// Invariants
// ---------------------------------------------------------------------------------------------

fn is_http_url(u: &str) -> bool {
    let head: String = u.chars().take(8).collect::<String>().to_ascii_lowercase();
    (head.starts_with("http://") || head.starts_with("https://"))
        && u.chars().count() <= 500
        && !u.chars().any(|c| c.is_control() || c == ' ')
}

fn within(field: &str, text: &str, limit: usize) -> Result<(), String> {
    if text.chars().count() > limit {
        return Err(format!(
            "{field} has {} characters (limit {limit})",
            text.chars().count()
        ));
    }
    if text.contains('\0') {
        return Err(format!("{field} contains NUL: {text:?}"));
    }
    Ok(())
}

/// What the load relies on, for a migration whose report has no errors.
fn check_invariants(input: &Value, m: &Migration) -> Result<(), String> {
    let d: &Dataset = &m.dataset;
    if m.report.counts != d.counts() {
        return Err(format!(
            "report counts {:?} != rows {:?}",
            m.report.counts,
            d.counts()
        ));
    }
    // Nothing lost: every record is an app.
    let records = match input {
        Value::Array(a) => a.len(),
        other => other["applicationsData"].as_array().map_or(0, Vec::len),
    };
    if d.apps.len() != records {
        return Err(format!("{records} records, {} apps", d.apps.len()));
    }
    fn unique<'a>(what: &str, items: impl Iterator<Item = String> + 'a) -> Result<(), String> {
        let mut seen = HashSet::new();
        for item in items {
            if item.is_empty() {
                return Err(format!("{what}: empty"));
            }
            if !seen.insert(item.clone()) {
                return Err(format!("{what}: {item:?} twice"));
            }
        }
        Ok(())
    }
    unique("app id", d.apps.iter().map(|a| a.id.to_string()))?;
    unique("app slug", d.apps.iter().map(|a| a.slug.clone()))?;
    unique("app source_id", d.apps.iter().map(|a| a.source_id.clone()))?;
    unique(
        "developer id",
        d.developers.iter().map(|x| x.id.to_string()),
    )?;
    unique("developer key", d.developers.iter().map(|x| x.key.clone()))?;
    unique("category id", d.categories.iter().map(|c| c.id.to_string()))?;
    unique("category key", d.categories.iter().map(|c| c.key.clone()))?;
    unique(
        "screenshot id",
        d.screenshots.iter().map(|s| s.id.to_string()),
    )?;
    unique(
        "screenshot (app, language, order)",
        d.screenshots
            .iter()
            .map(|s| format!("{}:{:?}:{}", s.app_id, s.language, s.sort_order)),
    )?;
    unique(
        "app_category (app, category)",
        d.app_categories
            .iter()
            .map(|l| format!("{}:{}", l.app_id, l.category_id)),
    )?;
    for c in &d.categories {
        if c.key.trim().is_empty() || c.name_en.trim().is_empty() {
            return Err(format!("category with a blank key or name: {c:?}"));
        }
    }
    let apps: HashSet<_> = d.apps.iter().map(|a| a.id).collect();
    let cats: HashSet<_> = d.categories.iter().map(|c| c.id).collect();
    let devs: HashSet<_> = d.developers.iter().map(|x| x.id).collect();
    for l in &d.app_categories {
        if !apps.contains(&l.app_id) || !cats.contains(&l.category_id) || l.sort_order < 0 {
            return Err(format!("app_category {l:?} references a missing row"));
        }
    }
    for s in &d.screenshots {
        if !apps.contains(&s.app_id) || s.sort_order < 0 || !is_http_url(&s.url) {
            return Err(format!("screenshot {s:?}"));
        }
    }
    for a in &d.apps {
        if !devs.contains(&a.developer_id) {
            return Err(format!(
                "app {:?}: developer {} missing",
                a.source_id, a.developer_id
            ));
        }
        if !d.app_categories.iter().any(|l| l.app_id == a.id) {
            return Err(format!("app {:?} has no category", a.source_id));
        }
        if a.name_en.trim().is_empty() || a.name_ar.trim().is_empty() {
            return Err(format!("app {:?}: blank name", a.source_id));
        }
        within("source_id", &a.source_id, 200)?;
        within("name_en", &a.name_en, 200)?;
        within("name_ar", &a.name_ar, 200)?;
        for (f, t, limit) in [
            ("short_description_en", &a.short_description_en, 500),
            ("short_description_ar", &a.short_description_ar, 500),
            ("description_en", &a.description_en, 5000),
            ("description_ar", &a.description_ar, 5000),
            ("status", &a.status, 50),
        ] {
            if let Some(t) = t {
                within(f, t, limit)?;
            }
        }
        for (f, u) in [
            ("application_icon_url", &a.application_icon_url),
            ("main_image_en_url", &a.main_image_en_url),
            ("main_image_ar_url", &a.main_image_ar_url),
            ("google_play_url", &a.google_play_url),
            ("app_store_url", &a.app_store_url),
            ("app_gallery_url", &a.app_gallery_url),
            ("developer_logo_url", &a.developer_logo_url),
        ] {
            if let Some(u) = u {
                if !is_http_url(u) {
                    return Err(format!("app {:?} {f}: {u:?}", a.source_id));
                }
            }
        }
        if a.avg_rating.is_some_and(|r| r.0 > 500) {
            return Err(format!("app {:?}: rating {:?}", a.source_id, a.avg_rating));
        }
    }
    for x in &d.developers {
        within("developer name_en", &x.name_en, 200)?;
        if let Some(n) = &x.name_ar {
            within("developer name_ar", n, 200)?;
        }
        for u in [&x.website, &x.logo_url].into_iter().flatten() {
            if !is_http_url(u) {
                return Err(format!("developer {:?}: URL {u:?}", x.key));
            }
        }
    }
    for c in &d.categories {
        within("category name_en", &c.name_en, 200)?;
        if let Some(n) = &c.name_ar {
            within("category name_ar", n, 200)?;
        }
        within("category key", &c.key, usize::MAX)?;
        if let Some(icon) = &c.icon_svg {
            within("category icon", icon, usize::MAX)?;
        }
    }
    // Nothing lost: every non-blank screenshot string is a row, in order, trimmed and with its
    // spaces encoded, and nothing else is.
    let records = match input {
        Value::Array(a) => a.as_slice(),
        other => other["applicationsData"]
            .as_array()
            .map_or(&[][..], Vec::as_slice),
    };
    for (rec, app) in records.iter().zip(&d.apps) {
        for (field, lang) in [
            ("screenshots_ar", Language::Ar),
            ("screenshots_en", Language::En),
        ] {
            let want: Vec<String> = rec
                .get(field)
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| s.replace(' ', "%20"))
                        .collect()
                })
                .unwrap_or_default();
            let mut got: Vec<_> = d
                .screenshots
                .iter()
                .filter(|s| s.app_id == app.id && s.language == lang)
                .collect();
            got.sort_by_key(|s| s.sort_order);
            let got: Vec<String> = got.iter().map(|s| s.url.clone()).collect();
            if want != got {
                return Err(format!(
                    "app {:?} {field}: input {want:?}, rows {got:?}",
                    app.source_id
                ));
            }
        }
    }
    Ok(())
}

fn migrate_value(value: &Value) -> Migration {
    match common::decode_value(value.clone()) {
        Ok(input) => common::migrate_decoded(input),
        Err(e) => panic!("decode_value refused a generated input: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let m = common::migrate_bytes(&bytes);
        prop_assert!(m.report.has_errors() || bytes.iter().any(|b| !b.is_ascii_whitespace()));
        prop_assert_eq!(m.report.counts, m.dataset.counts());
        prop_assert_eq!(&common::migrate_bytes_via_values(&bytes), &m);
    }

    #[test]
    fn mutated_valid_input_never_panics(mutations in prop::collection::vec(mutation(), 1..6)) {
        let bytes = apply(valid_bytes(), &mutations);
        let m = common::migrate_bytes(&bytes);
        let _ = (m.report.to_text(), m.report.to_markdown(), m.report.to_json());
        if !m.report.has_errors() {
            let text = std::str::from_utf8(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let input: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            check_invariants(&input, &m).map_err(TestCaseError::fail)?;
        }
        prop_assert_eq!(&common::migrate_bytes(&bytes), &m);
        prop_assert_eq!(&common::migrate_bytes_via_values(&bytes), &m);
    }

    #[test]
    fn arbitrary_json_never_panics(value in any_json()) {
        if let Ok(input) = common::decode_value(value.clone()) {
            let m = common::migrate_decoded(input.clone());
            prop_assert_eq!(m.report.counts, m.dataset.counts());
        }
        let bytes = serde_json::to_vec(&value).unwrap_or_default();
        prop_assert_eq!(common::migrate_bytes(&bytes), common::migrate_bytes_via_values(&bytes));
    }

    #[test]
    fn json_shaped_inputs_keep_the_invariants(value in input()) {
        let bytes = serde_json::to_vec(&value).unwrap_or_default();
        let m = common::migrate_bytes(&bytes);
        // The strict decoder (no repeated keys) reads text exactly as serde_json::Value does.
        // (Not compared with `value` itself: serde_json's float parsing, without its
        // `float_roundtrip` feature, may land one ULP off a 17-digit float.)
        let parsed: Value = serde_json::from_slice(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&migrate_value(&parsed), &m);
        // Deterministic: the same input, the same rows, ids, report and checksum.
        let again = common::migrate_bytes(&bytes);
        prop_assert_eq!(&again, &m);
        prop_assert_eq!(again.dataset.checksum(), m.dataset.checksum());
        // Every rendering works; the report's figures are consistent.
        let _ = (m.report.to_text(), m.report.to_markdown(), m.report.to_json());
        let errors = m.report.diagnostics.iter().filter(|d| d.is_error()).count();
        prop_assert_eq!(m.report.errors, errors);
        if !m.report.has_errors() {
            check_invariants(&parsed, &m).map_err(TestCaseError::fail)?;
        }
    }
}

/// The strategies do reach error-free inputs (otherwise the invariants are never checked).
#[test]
fn generated_inputs_are_often_loadable() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = input();
    let mut loadable = 0;
    let mut by_code: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..300 {
        let value = strategy
            .new_tree(&mut runner)
            .map(|t| t.current())
            .unwrap_or(Value::Null);
        let m = common::migrate_bytes(&serde_json::to_vec(&value).unwrap_or_default());
        if m.is_loadable() && !m.dataset.apps.is_empty() {
            loadable += 1;
        }
        for d in &m.report.diagnostics {
            *by_code.entry(d.code.clone()).or_default() += 1;
        }
    }
    eprintln!(
        "{loadable} of 300 generated inputs have apps and no errors; findings by rule: {by_code:?}"
    );
    assert!(
        loadable >= 15,
        "only {loadable} of 300 generated inputs with apps are loadable"
    );
    // And they reach most rules.
    assert!(by_code.len() >= 20, "rules reached: {by_code:?}");
}
