//! Typing the raw records field by field: a wrong type becomes a diagnostic naming the record
//! and the field, and decoding goes on so that one run reports every problem.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::diagnostic::{Diagnostic, MAX_LISTED_PER_FIELD};
use crate::json::json_type;
use crate::limits::LIMIT_SOURCE_ID;
use crate::rules::Rule;
use crate::text::excerpt;

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

/// One field of an app record as the JSON had it, before typing: only what typing needs is
/// kept (a string's text, a number, an array's items; of anything else, its type).
#[derive(Debug, Clone, PartialEq)]
pub enum RawField {
    Null,
    Str(String),
    Number(serde_json::Number),
    Array(Vec<RawItem>),
    /// A boolean or an object: its JSON type, as messages name it.
    Other(&'static str),
}

/// One item of an array field.
#[derive(Debug, Clone, PartialEq)]
pub enum RawItem {
    Str(String),
    /// Anything else: its JSON type.
    Other(&'static str),
}

/// One element of `applicationsData` before typing. Built either from a parsed JSON value
/// ([`RawRecord::from_value`]) or straight from the JSON text while it is parsed
/// (`Input::decode_typed`), without a JSON tree: both give the same records.
#[derive(Debug, Clone, PartialEq)]
pub enum RawRecord {
    App(RawApp),
    /// Not an object: its JSON type.
    NotObject(&'static str),
}

/// An app record's fields, sparse: a record holds only what it has (a million `{}` records
/// cost a million empty vectors, not a million arrays of 23 slots).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawApp {
    /// The known fields present, by position in [`APP_FIELDS`], then the unknown fields in the
    /// order a JSON object map sorts them (byte order).
    pub entries: Vec<RawEntry>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RawEntry {
    Field(u8, RawField),
    /// An unknown field's name, and whether it holds a value (see [`carries_value`]).
    Unknown(UnknownField),
}

/// A field the migrator does not know: its name, and whether it holds a value that the load
/// would lose (see [`carries_value`]). The value itself is not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownField {
    pub name: String,
    pub has_value: bool,
}

/// Whether a value of an unknown field carries anything: a non-blank string, any number or
/// boolean (`0` and `false` too: they are data), or a list or object with such a value inside.
/// Null, blank strings and lists and objects of nothing else are empty: dropping them loses
/// nothing.
pub fn carries_value(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(_) | Value::Number(_) => true,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(items) => items.iter().any(carries_value),
        Value::Object(map) => map.values().any(carries_value),
    }
}

impl RawApp {
    /// The record of known fields in a dense form (by position in [`APP_FIELDS`]), and the
    /// unknown names.
    pub fn from_parts(
        fields: [Option<RawField>; APP_FIELDS.len()],
        unknown: Vec<UnknownField>,
    ) -> RawApp {
        let known = fields.iter().filter(|f| f.is_some()).count();
        let mut entries = Vec::with_capacity(known + unknown.len());
        for (i, field) in fields.into_iter().enumerate() {
            if let Some(field) = field {
                // APP_FIELDS has 23 entries: the index fits a byte.
                entries.push(RawEntry::Field(i as u8, field));
            }
        }
        entries.extend(unknown.into_iter().map(RawEntry::Unknown));
        RawApp { entries }
    }

    fn into_parts(self) -> ([Option<RawField>; APP_FIELDS.len()], Vec<UnknownField>) {
        let mut fields: [Option<RawField>; APP_FIELDS.len()] = Default::default();
        let mut unknown = Vec::new();
        for entry in self.entries {
            match entry {
                RawEntry::Field(i, field) => fields[usize::from(i)] = Some(field),
                RawEntry::Unknown(field) => unknown.push(field),
            }
        }
        (fields, unknown)
    }
}

/// The position of a known field name in [`APP_FIELDS`].
pub fn app_field_index(name: &str) -> Option<usize> {
    APP_FIELDS.iter().position(|f| *f == name)
}

impl RawField {
    pub fn from_value(value: Value) -> RawField {
        match value {
            Value::Null => RawField::Null,
            Value::String(s) => RawField::Str(s),
            Value::Number(n) => RawField::Number(n),
            Value::Array(items) => RawField::Array(
                items
                    .into_iter()
                    .map(|item| match item {
                        Value::String(s) => RawItem::Str(s),
                        other => RawItem::Other(json_type(&other)),
                    })
                    .collect(),
            ),
            other => RawField::Other(json_type(&other)),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            RawField::Null => "null",
            RawField::Str(_) => "a string",
            RawField::Number(_) => "a number",
            RawField::Array(_) => "an array",
            RawField::Other(t) => t,
        }
    }
}

impl RawRecord {
    /// The record of a parsed JSON value; its strings move, they are not copied.
    pub fn from_value(value: Value) -> RawRecord {
        let Value::Object(map) = value else {
            return RawRecord::NotObject(json_type(&value));
        };
        let mut fields: [Option<RawField>; APP_FIELDS.len()] = Default::default();
        let mut unknown = Vec::new();
        for (key, value) in map {
            match app_field_index(&key) {
                Some(i) => fields[i] = Some(RawField::from_value(value)),
                None => unknown.push(UnknownField {
                    has_value: carries_value(&value),
                    name: key,
                }),
            }
        }
        RawRecord::App(RawApp::from_parts(fields, unknown))
    }
}

/// Reads the typed fields out of a record it owns: strings are moved out, not copied.
struct FieldReader<'a> {
    fields: &'a mut [Option<RawField>; APP_FIELDS.len()],
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

    fn field(&mut self, field: &str) -> Option<RawField> {
        let i = app_field_index(field)?;
        self.fields[i].take()
    }

    fn string(&mut self, field: &str) -> Option<String> {
        let got = match self.field(field) {
            None | Some(RawField::Null) => return None,
            Some(RawField::Str(s)) => return Some(s),
            Some(other) => other.type_name(),
        };
        self.wrong_type(field, "a string", got);
        None
    }

    fn string_list(&mut self, field: &str) -> Vec<(usize, String)> {
        let items = match self.field(field) {
            None | Some(RawField::Null) => return Vec::new(),
            Some(RawField::Array(items)) => items,
            Some(other) => {
                self.wrong_type(field, "an array of strings", other.type_name());
                return Vec::new();
            }
        };
        let mut out = Vec::with_capacity(items.len());
        // One finding per bad item, up to the report's quota; then one count.
        let (mut listed, mut unlisted) = (0usize, 0usize);
        for (i, item) in items.into_iter().enumerate() {
            match item {
                RawItem::Str(s) => out.push((i, s)),
                _ if listed >= MAX_LISTED_PER_FIELD => unlisted += 1,
                RawItem::Other(got) => {
                    listed += 1;
                    self.wrong_type(&format!("{field}[{i}]"), "a string", got);
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
        let (expected, got) = match self.field("sort") {
            None | Some(RawField::Null) => return None,
            Some(RawField::Number(n)) => {
                let whole = n
                    .as_i64()
                    .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64));
                if let Some(i) = whole.and_then(|i| i32::try_from(i).ok()) {
                    return Some(i);
                }
                ("a whole number within ±2147483647", "a number")
            }
            Some(other) => ("a whole number", other.type_name()),
        };
        self.wrong_type("sort", expected, got);
        None
    }

    fn rating(&mut self) -> Option<f64> {
        let got = match self.field("Apps_Avg_Rating") {
            None | Some(RawField::Null) => return None,
            Some(RawField::Number(n)) => return n.as_f64(),
            Some(other) => other.type_name(),
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

/// Types one record (from either decoder: see [`RawRecord`]). A record that is not an object
/// gives a wrong-type error and None. An unknown field with a value is error E023 unless it is
/// in `ignore` (then W105, as an empty one is).
pub fn decode_record(
    index: usize,
    record: RawRecord,
    ignore: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) -> Option<SourceApp> {
    let raw = match record {
        RawRecord::App(app) => app,
        RawRecord::NotObject(got) => {
            diags.push(Diagnostic::new(
                Rule::WrongType,
                Some(format!("applicationsData[{index}]")),
                None,
                format!("expected an app record (an object), got {got}"),
            ));
            return None;
        }
    };
    // Every finding repeats the record's name: an id longer than its column (itself an error)
    // would be copied into each, so such a record is named by its position.
    let (mut fields, raw_unknown) = raw.into_parts();
    let record = match &fields[0] {
        Some(RawField::Str(s))
            if !s.trim().is_empty() && s.chars().nth(LIMIT_SOURCE_ID).is_none() =>
        {
            s.clone()
        }
        _ => format!("applicationsData[{index}]"),
    };
    let mut r = FieldReader {
        fields: &mut fields,
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
    if !raw_unknown.is_empty() {
        let unknown = Unknown {
            record: &record,
            position: format!("applicationsData[{index}]"),
            known: &APP_FIELDS,
            ignore,
        };
        unknown.report(
            raw_unknown.iter().map(|f| (f.name.as_str(), f.has_value)),
            diags,
        );
    }
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

/// The fields of a `categories` entry.
pub const CATEGORY_FIELDS: [&str; 2] = ["name", "icon"];

pub fn decode_category(
    index: usize,
    value: &Value,
    ignore: &BTreeSet<String>,
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
    let field = |key: &str| map.get(key).cloned().map(RawField::from_value);
    let mut name = None;
    let mut icon = None;
    for (key, slot) in [("name", &mut name), ("icon", &mut icon)] {
        match field(key) {
            None | Some(RawField::Null) => {}
            Some(RawField::Str(s)) => *slot = Some(s),
            Some(other) => diags.push(Diagnostic::new(
                Rule::WrongType,
                Some(record.clone()),
                Some(key.to_string()),
                format!("expected a string, got {}", other.type_name()),
            )),
        }
    }
    let unknown = map
        .iter()
        .filter(|(k, _)| !CATEGORY_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str(), carries_value(v)));
    Unknown {
        record: &record,
        position: record.clone(),
        known: &CATEGORY_FIELDS,
        ignore,
    }
    .report(unknown, diags);
    Some(SourceCategory {
        index,
        record,
        name,
        icon,
    })
}

/// How the unknown fields of one record are reported.
struct Unknown<'a> {
    /// The record's name in reports.
    record: &'a str,
    /// Its position (`applicationsData[3]`, `categories[1]`), which messages name besides the
    /// record's id: two records may share an id.
    position: String,
    /// The fields of such a record, for the hint's "did you mean".
    known: &'a [&'static str],
    ignore: &'a BTreeSet<String>,
}

impl Unknown<'_> {
    /// E023 for each unknown field with a value (W105 when it is ignored), W105 for each empty
    /// one; up to the report's quota per record, then one count per rule.
    fn report<'k>(
        &self,
        unknown: impl Iterator<Item = (&'k str, bool)>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let (mut listed, mut lost, mut empty) = (0usize, 0usize, 0usize);
        for (name, has_value) in unknown {
            let lose = has_value && !self.ignore.contains(name);
            if listed >= MAX_LISTED_PER_FIELD {
                if lose {
                    lost += 1;
                } else {
                    empty += 1;
                }
                continue;
            }
            listed += 1;
            let field = Some(name.to_string());
            let record = Some(self.record.to_string());
            let quoted = excerpt(name);
            diags.push(if lose {
                Diagnostic::new(
                    Rule::UnknownFieldValue,
                    record,
                    field,
                    format!(
                        "unknown field {quoted:?} of {} holds a value that no column takes; the load would lose it",
                        self.position
                    ),
                )
                .with_hint(unknown_field_hint(name, self.known))
            } else if has_value {
                Diagnostic::new(
                    Rule::UnknownField,
                    record,
                    field,
                    format!("unknown field {quoted:?} holds a value but is ignored (--ignore-field); it is not loaded"),
                )
            } else {
                Diagnostic::new(
                    Rule::UnknownField,
                    record,
                    field,
                    format!("unknown field {quoted:?} is not loaded"),
                )
            });
        }
        if lost > 0 {
            diags.push(Diagnostic::new(
                Rule::UnknownFieldValue,
                Some(self.record.to_string()),
                None,
                format!(
                    "{lost} more unknown field(s) of {} hold values the load would lose (not listed one by one)",
                    self.position
                ),
            ));
        }
        if empty > 0 {
            diags.push(Diagnostic::new(
                Rule::UnknownField,
                Some(self.record.to_string()),
                None,
                format!("{empty} more unknown field(s) are not loaded (not listed one by one)"),
            ));
        }
    }
}

/// The hint of an unknown field with a value: the known fields it is probably meant to be (see
/// [`closest_fields`]), and how to go on without it on purpose.
pub fn unknown_field_hint(name: &str, known: &[&str]) -> String {
    let quoted = excerpt(name);
    let ignore = format!(
        "to load without it on purpose, pass `--ignore-field {quoted}` (it is then a warning)"
    );
    match closest_fields(name, known).as_slice() {
        [] => format!(
            "No known field is close to {quoted:?}. Remove the field or ask for it to be added to the schema; {ignore}."
        ),
        close => format!(
            "Did you mean {}? Rename the field so that it is loaded; {ignore}.",
            close
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    }
}

/// The known fields an unknown name is probably meant to be, the closest first, case ignored:
/// those at the smallest edit distance from the name, a field's language suffix (`_en`, `_ar`)
/// optional — so `mainImage` gives `mainImage_en` and `mainImage_ar`, `screenshot_en` gives
/// `screenshots_en` — and none when even the closest is further than a quarter of the name's
/// length (at least 1, at most 3 edits). English before Arabic.
pub fn closest_fields<'k>(name: &str, known: &[&'k str]) -> Vec<&'k str> {
    /// No known field is longer than this: a longer name is far from all of them.
    const LONGEST: usize = 64;
    let name: Vec<char> = name.to_lowercase().chars().collect();
    if name.is_empty() || name.len() > LONGEST {
        return Vec::new();
    }
    let threshold = (name.len() / 4).clamp(1, 3);
    let scored: Vec<(usize, &'k str)> = known
        .iter()
        .map(|&field| {
            let lower = field.to_lowercase();
            let stem = lower
                .strip_suffix("_en")
                .or_else(|| lower.strip_suffix("_ar"))
                .unwrap_or(&lower);
            let distance = edit_distance(&name, &lower).min(edit_distance(&name, stem));
            (distance, field)
        })
        .collect();
    let Some(best) = scored.iter().map(|(d, _)| *d).min() else {
        return Vec::new();
    };
    if best > threshold {
        return Vec::new();
    }
    let mut close: Vec<&'k str> = scored
        .into_iter()
        .filter(|(d, _)| *d == best)
        .map(|(_, f)| f)
        .collect();
    close.sort_by_key(|f| f.to_lowercase().ends_with("_ar"));
    close
}

/// Levenshtein distance between a name's characters and a text.
fn edit_distance(a: &[char], b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}
