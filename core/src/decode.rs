//! Typing the raw records field by field: a wrong type becomes a diagnostic naming the record
//! and the field, and decoding goes on so that one run reports every problem.

use serde_json::{Map, Value};

use crate::envelope::json_type;
use crate::report::{Diagnostic, MAX_LISTED_PER_FIELD};
use crate::rules::Rule;
use crate::validate::{excerpt, LIMIT_SOURCE_ID};

/// The fields of an app record, as the frontend's module spells them.
pub const APP_FIELDS: [&str; 23] = [
    "id",
    "Name_Ar",
    "Name_En",
    "Short_Description_Ar",
    "Short_Description_En",
    "Description_Ar",
    "Description_En",
    "status",
    "sort",
    "Apps_Avg_Rating",
    "categories",
    "screenshots_ar",
    "screenshots_en",
    "mainImage_ar",
    "mainImage_en",
    "applicationIcon",
    "Developer_Logo",
    "Developer_Name_En",
    "Developer_Name_Ar",
    "Developer_Website",
    "Google_Play_Link",
    "AppStore_Link",
    "App_Gallery_Link",
];

/// One app record with typed fields. Text is as written (not trimmed); absent or null is None.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceApp {
    /// Position in `applicationsData`.
    pub index: usize,
    /// How reports name this record: its `id`, or `applicationsData[<index>]` without one.
    pub record: String,
    pub id: Option<String>,
    pub name_ar: Option<String>,
    pub name_en: Option<String>,
    pub short_description_ar: Option<String>,
    pub short_description_en: Option<String>,
    pub description_ar: Option<String>,
    pub description_en: Option<String>,
    pub status: Option<String>,
    pub sort: Option<i32>,
    pub rating: Option<f64>,
    /// `(position in the list, key as written)`.
    pub categories: Vec<(usize, String)>,
    pub screenshots_ar: Vec<(usize, String)>,
    pub screenshots_en: Vec<(usize, String)>,
    pub main_image_ar: Option<String>,
    pub main_image_en: Option<String>,
    pub application_icon: Option<String>,
    pub developer_logo: Option<String>,
    pub developer_name_en: Option<String>,
    pub developer_name_ar: Option<String>,
    pub developer_website: Option<String>,
    pub google_play: Option<String>,
    pub app_store: Option<String>,
    pub app_gallery: Option<String>,
}

/// Reads fields out of a record it owns: strings are moved out, not copied.
struct FieldReader<'a> {
    map: &'a mut Map<String, Value>,
    record: &'a str,
    diags: &'a mut Vec<Diagnostic>,
}

impl FieldReader<'_> {
    fn wrong_type(&mut self, field: &str, expected: &str, got: &'static str) {
        self.diags.push(Diagnostic::new(
            Rule::WrongType,
            Some(self.record.to_string()),
            Some(field.to_string()),
            format!("expected {expected}, got {got}"),
        ));
    }

    fn string(&mut self, field: &str) -> Option<String> {
        let got = match self.map.get_mut(field) {
            None | Some(Value::Null) => return None,
            Some(Value::String(s)) => return Some(std::mem::take(s)),
            Some(other) => json_type(other),
        };
        self.wrong_type(field, "a string", got);
        None
    }

    fn string_list(&mut self, field: &str) -> Vec<(usize, String)> {
        let items = match self.map.get_mut(field) {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Array(items)) => std::mem::take(items),
            Some(other) => {
                let got = json_type(other);
                self.wrong_type(field, "an array of strings", got);
                return Vec::new();
            }
        };
        let mut out = Vec::with_capacity(items.len());
        // One finding per bad item, up to the report's quota; then one count.
        let (mut listed, mut unlisted) = (0usize, 0usize);
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Value::String(s) => out.push((i, s)),
                _ if listed >= MAX_LISTED_PER_FIELD => unlisted += 1,
                other => {
                    listed += 1;
                    self.wrong_type(&format!("{field}[{i}]"), "a string", json_type(&other));
                }
            }
        }
        if unlisted > 0 {
            self.diags.push(Diagnostic::new(
                Rule::WrongType,
                Some(self.record.to_string()),
                Some(field.to_string()),
                format!("{unlisted} more item(s) are not strings (not listed one by one)"),
            ));
        }
        out
    }

    fn sort(&mut self) -> Option<i32> {
        let (expected, got) = match self.map.get("sort") {
            None | Some(Value::Null) => return None,
            Some(Value::Number(n)) => {
                let whole = n
                    .as_i64()
                    .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64));
                if let Some(i) = whole.and_then(|i| i32::try_from(i).ok()) {
                    return Some(i);
                }
                ("a whole number within ±2147483647", "a number")
            }
            Some(other) => ("a whole number", json_type(other)),
        };
        self.wrong_type("sort", expected, got);
        None
    }

    fn rating(&mut self) -> Option<f64> {
        let got = match self.map.get("Apps_Avg_Rating") {
            None | Some(Value::Null) => return None,
            Some(Value::Number(n)) => return n.as_f64(),
            Some(other) => json_type(other),
        };
        self.diags.push(Diagnostic::new(
            Rule::RatingRange,
            Some(self.record.to_string()),
            Some("Apps_Avg_Rating".into()),
            format!("expected a number from 0 to 5, got {got}"),
        ));
        None
    }
}

/// Types one record. `value` that is not an object gives a wrong-type error and None.
pub fn decode_app(index: usize, value: Value, diags: &mut Vec<Diagnostic>) -> Option<SourceApp> {
    let Value::Object(mut map) = value else {
        diags.push(Diagnostic::new(
            Rule::WrongType,
            Some(format!("applicationsData[{index}]")),
            None,
            format!(
                "expected an app record (an object), got {}",
                json_type(&value)
            ),
        ));
        return None;
    };
    // Every finding repeats the record's name: an id longer than its column (itself an error)
    // would be copied into each, so such a record is named by its position.
    let record = match map.get("id") {
        Some(Value::String(s))
            if !s.trim().is_empty() && s.chars().nth(LIMIT_SOURCE_ID).is_none() =>
        {
            s.clone()
        }
        _ => format!("applicationsData[{index}]"),
    };
    let mut r = FieldReader {
        map: &mut map,
        record: &record,
        diags,
    };
    let mut app = SourceApp {
        index,
        id: r.string("id"),
        name_ar: r.string("Name_Ar"),
        name_en: r.string("Name_En"),
        short_description_ar: r.string("Short_Description_Ar"),
        short_description_en: r.string("Short_Description_En"),
        description_ar: r.string("Description_Ar"),
        description_en: r.string("Description_En"),
        status: r.string("status"),
        sort: r.sort(),
        rating: r.rating(),
        categories: r.string_list("categories"),
        screenshots_ar: r.string_list("screenshots_ar"),
        screenshots_en: r.string_list("screenshots_en"),
        main_image_ar: r.string("mainImage_ar"),
        main_image_en: r.string("mainImage_en"),
        application_icon: r.string("applicationIcon"),
        developer_logo: r.string("Developer_Logo"),
        developer_name_en: r.string("Developer_Name_En"),
        developer_name_ar: r.string("Developer_Name_Ar"),
        developer_website: r.string("Developer_Website"),
        google_play: r.string("Google_Play_Link"),
        app_store: r.string("AppStore_Link"),
        app_gallery: r.string("App_Gallery_Link"),
        record: String::new(),
    };
    unknown_fields(&map, |k| APP_FIELDS.contains(&k), &record, diags);
    app.record = record;
    Some(app)
}

/// One entry of the `categories` export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceCategory {
    pub index: usize,
    pub record: String,
    pub name: Option<String>,
    pub icon: Option<String>,
}

pub fn decode_category(
    index: usize,
    value: &Value,
    diags: &mut Vec<Diagnostic>,
) -> Option<SourceCategory> {
    let record = format!("categories[{index}]");
    let Value::Object(map) = value else {
        diags.push(Diagnostic::new(
            Rule::WrongType,
            Some(record),
            None,
            format!(
                "expected a category ({{ name, icon }}), got {}",
                json_type(value)
            ),
        ));
        return None;
    };
    // Category entries are few and small: read a copy, leave the input as it is.
    let mut map = map.clone();
    let mut r = FieldReader {
        map: &mut map,
        record: &record,
        diags,
    };
    let name = r.string("name");
    let icon = r.string("icon");
    unknown_fields(&map, |k| k == "name" || k == "icon", &record, diags);
    Some(SourceCategory {
        index,
        record,
        name,
        icon,
    })
}

/// W105 for each field that is not `known`, up to the report's quota; then one count.
fn unknown_fields(
    map: &Map<String, Value>,
    known: impl Fn(&str) -> bool,
    record: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let mut unknown = map.keys().filter(|k| !known(k));
    for key in unknown.by_ref().take(MAX_LISTED_PER_FIELD) {
        diags.push(Diagnostic::new(
            Rule::UnknownField,
            Some(record.to_string()),
            Some(key.clone()),
            format!("unknown field {:?} is not loaded", excerpt(key)),
        ));
    }
    let more = unknown.count();
    if more > 0 {
        diags.push(Diagnostic::new(
            Rule::UnknownField,
            Some(record.to_string()),
            None,
            format!("{more} more unknown field(s) are not loaded (not listed one by one)"),
        ));
    }
}
