//! The interchange file `apps.json`, and decoding of everything the core accepts as input.
//!
//! Accepted inputs:
//! - the versioned envelope written by `qad-migrate extract` (see [`Envelope`]);
//! - a bare JSON array of app records (no categories export, no i18n);
//! - the module's JSON, `{ "applicationsData": [...], "categories": [...] }` without `format`.
//!
//! Records are kept as raw JSON values here: type checking happens field by field in
//! [`crate::transform`], so that a wrong type is reported with its record and field instead of
//! failing the whole file.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::decode::RawRecord;
use crate::report::Diagnostic;
use crate::rules::Rule;

pub const FORMAT_NAME: &str = "qad-migrate/apps";
pub const FORMAT_VERSION: u32 = 1;

/// Where the data came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// The module's path relative to the frontend root.
    pub module: String,
    /// SHA-256 (hex) of the module file's bytes.
    pub sha256: String,
}

/// The frontend's category display names: `appList.categories.<key>` per language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct I18n {
    #[serde(default)]
    pub en: BTreeMap<String, String>,
    #[serde(default)]
    pub ar: BTreeMap<String, String>,
}

impl I18n {
    /// Takes `appList.categories` out of the frontend's whole `en.json` / `ar.json` objects.
    /// Non-string entries are ignored: they are not display names.
    pub fn from_frontend_files(en: &Value, ar: &Value) -> I18n {
        fn names(file: &Value) -> BTreeMap<String, String> {
            file.get("appList")
                .and_then(|a| a.get("categories"))
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                        .collect()
                })
                .unwrap_or_default()
        }
        I18n {
            en: names(en),
            ar: names(ar),
        }
    }
}

/// Options that change the transform; carried in the envelope so that `qa-load` re-validates
/// exactly as `extract` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Options {
    /// App category key -> exported category key, e.g. `other` -> `tools`.
    #[serde(default)]
    pub category_aliases: BTreeMap<String, String>,
    /// Unknown fields to drop on purpose: a value in one of them is warning W105 instead of
    /// error E023. Names as the records spell them (case-sensitive). Written only when not empty.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub ignore_fields: BTreeSet<String>,
}

impl Options {
    /// Parses `from=to` alias specs as the command lines take them.
    pub fn parse_alias(spec: &str) -> Result<(String, String), String> {
        match spec.split_once('=') {
            Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
                Ok((from.trim().to_lowercase(), to.trim().to_lowercase()))
            }
            _ => Err(format!(
                "alias {spec:?} is not of the form from=to (e.g. other=tools)"
            )),
        }
    }

    /// Checks an `--ignore-field NAME` value as the command lines take it: the name as the
    /// records spell it, not blank.
    pub fn parse_ignore_field(name: &str) -> Result<String, String> {
        if name.trim().is_empty() {
            Err("--ignore-field needs a field name (e.g. --ignore-field mainImage)".to_string())
        } else {
            Ok(name.to_string())
        }
    }
}

/// The `apps.json` envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// [`FORMAT_VERSION`]; a newer version is refused rather than misread.
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceInfo>,
    #[serde(default)]
    pub options: Options,
    pub applications_data: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub i18n: Option<I18n>,
}

/// Decoded input, ready for [`crate::migrate`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceInput {
    pub source: Option<SourceInfo>,
    pub options: Options,
    pub applications: Vec<Value>,
    /// None when the input had no categories export (a bare array).
    pub categories: Option<Vec<Value>>,
    pub i18n: Option<I18n>,
}

impl SourceInput {
    /// The envelope `extract` writes for this input.
    pub fn to_envelope(&self, generated_by: Option<String>) -> Envelope {
        Envelope {
            format: FORMAT_NAME.to_string(),
            version: FORMAT_VERSION,
            generated_by,
            source: self.source.clone(),
            options: self.options.clone(),
            applications_data: self.applications.clone(),
            categories: self.categories.clone(),
            i18n: self.i18n.clone(),
        }
    }
}

/// Decoded input whose records are already read into their typed form ([`RawRecord`]) rather
/// than kept as JSON values: what [`crate::migrate_typed`] takes. [`decode_bytes_typed`] builds
/// it straight from the text, without the JSON tree of the records (the largest part of a big
/// input, and most of the decoding time), so it cannot be written back as an envelope: use
/// [`SourceInput`] for that.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypedInput {
    pub source: Option<SourceInfo>,
    pub options: Options,
    pub records: Vec<RawRecord>,
    /// None when the input had no categories export (a bare array).
    pub categories: Option<Vec<Value>>,
    pub i18n: Option<I18n>,
}

impl From<SourceInput> for TypedInput {
    fn from(input: SourceInput) -> TypedInput {
        TypedInput {
            source: input.source,
            options: input.options,
            records: input
                .applications
                .into_iter()
                .map(RawRecord::from_value)
                .collect(),
            categories: input.categories,
            i18n: input.i18n,
        }
    }
}

/// Why an input could not be decoded at all. Rendered as a one-diagnostic report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub diagnostic: Diagnostic,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} [{}] {}",
            self.diagnostic.code, self.diagnostic.rule, self.diagnostic.message
        )
    }
}

impl std::error::Error for InputError {}

fn input_error(rule: Rule, message: String) -> InputError {
    InputError {
        diagnostic: Diagnostic::new(rule, None, None, message),
    }
}

/// Decodes the bytes of an input file. A leading UTF-8 BOM is accepted.
pub fn decode_bytes(bytes: &[u8]) -> Result<SourceInput, InputError> {
    decode_str(utf8_text(bytes)?)
}

/// The text of an input file's bytes, without a leading UTF-8 BOM.
fn utf8_text(bytes: &[u8]) -> Result<&str, InputError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        input_error(
            Rule::InputJson,
            format!(
                "the input is not valid UTF-8 (first bad byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// A JSON syntax error (or a repeated key), with its position.
fn json_error(e: serde_json::Error) -> InputError {
    input_error(
        Rule::InputJson,
        format!(
            "invalid JSON at line {}, column {}: {}",
            e.line(),
            e.column(),
            e
        ),
    )
}

/// Decodes the text of an input file.
pub fn decode_str(text: &str) -> Result<SourceInput, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value = serde_json::from_str::<StrictValue>(text).map_err(json_error)?;
    decode_value(value.0)
}

/// [`decode_bytes`], with the records typed as they are parsed (see [`TypedInput`]). Accepts
/// and refuses exactly what [`decode_bytes`] does, with the same errors.
pub fn decode_bytes_typed(bytes: &[u8]) -> Result<TypedInput, InputError> {
    decode_str_typed(utf8_text(bytes)?)
}

/// [`decode_str`], with the records typed as they are parsed (see [`TypedInput`]).
pub fn decode_str_typed(text: &str) -> Result<TypedInput, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let top = serde_json::from_str::<typed::Top>(text).map_err(json_error)?;
    // Everything but the records goes through the one shape check; `applicationsData` is there
    // as an empty array when its records were taken out while parsing.
    let input = decode_value(top.value)?;
    Ok(TypedInput {
        source: input.source,
        options: input.options,
        records: top.records,
        categories: input.categories,
        i18n: input.i18n,
    })
}

/// A JSON value parsed like `serde_json::Value`, with one more rule: an object may not repeat a
/// key. `serde_json` keeps the last of repeated keys, so `{"Name_En": "Alpha", "Name_En": "<b>"}`
/// would silently lose "Alpha"; here it is an input error at the second key's position.
pub(crate) struct StrictValue(pub(crate) Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

pub(crate) struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // As serde_json::Value does (JSON text has no non-finite numbers anyway).
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        StrictValue::deserialize(d).map(|v| v.0)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(duplicate_key(&key));
            }
            let StrictValue(value) = map.next_value()?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// The error of an object that repeats a key.
pub(crate) fn duplicate_key<E: serde::de::Error>(key: &str) -> E {
    E::custom(format_args!(
        "duplicate key {:?} in one object (only one of the values could be kept)",
        crate::validate::excerpt(key)
    ))
}

/// Decodes an already parsed JSON value (what the wasm bindings receive from JavaScript).
pub fn decode_value(value: Value) -> Result<SourceInput, InputError> {
    match value {
        Value::Array(applications) => Ok(SourceInput {
            applications,
            ..SourceInput::default()
        }),
        Value::Object(map) if map.contains_key("format") => {
            let format = map.get("format").and_then(Value::as_str).unwrap_or("");
            if format != FORMAT_NAME {
                return Err(input_error(
                    Rule::InputShape,
                    format!(
                        "unknown format {:?}; expected {FORMAT_NAME:?}",
                        crate::validate::excerpt(format)
                    ),
                ));
            }
            let version = map.get("version").and_then(Value::as_u64);
            if version != Some(u64::from(FORMAT_VERSION)) {
                return Err(input_error(
                    Rule::InputShape,
                    format!(
                        "unsupported {FORMAT_NAME} version {}; this build reads version {FORMAT_VERSION}",
                        map.get("version").map(|v| crate::validate::excerpt(&v.to_string())).unwrap_or_else(|| "(none)".into())
                    ),
                ));
            }
            // The records are taken out first and kept as they are: converting them through
            // serde again would rebuild every object of a large file for nothing.
            let mut map = map;
            let applications = match map.remove("applicationsData") {
                Some(Value::Array(a)) => a,
                Some(other) => {
                    return Err(input_error(
                        Rule::InputShape,
                        format!(
                            "malformed {FORMAT_NAME} envelope: `applicationsData` is {}, not an array",
                            json_type(&other)
                        ),
                    ))
                }
                None => {
                    return Err(input_error(
                        Rule::InputShape,
                        format!("malformed {FORMAT_NAME} envelope: missing field `applicationsData`"),
                    ))
                }
            };
            map.insert("applicationsData".into(), Value::Array(Vec::new()));
            let envelope: Envelope = serde_json::from_value(Value::Object(map)).map_err(|e| {
                input_error(Rule::InputShape, format!("malformed {FORMAT_NAME} envelope: {e}"))
            })?;
            Ok(SourceInput {
                source: envelope.source,
                options: envelope.options,
                applications,
                categories: envelope.categories,
                i18n: envelope.i18n,
            })
        }
        Value::Object(mut map) if map.contains_key("applicationsData") => {
            let applications = match map.remove("applicationsData") {
                Some(Value::Array(a)) => a,
                _ => {
                    return Err(input_error(
                        Rule::InputShape,
                        "`applicationsData` is not an array".to_string(),
                    ))
                }
            };
            let categories = match map.remove("categories") {
                None | Some(Value::Null) => None,
                Some(Value::Array(c)) => Some(c),
                Some(_) => {
                    return Err(input_error(
                        Rule::InputShape,
                        "`categories` is not an array".to_string(),
                    ))
                }
            };
            let i18n = match map.remove("i18n") {
                None | Some(Value::Null) => None,
                Some(v) => Some(serde_json::from_value(v).map_err(|e| {
                    input_error(Rule::InputShape, format!("malformed `i18n`: {e}"))
                })?),
            };
            let options = match map.remove("options") {
                None | Some(Value::Null) => Options::default(),
                Some(v) => serde_json::from_value(v).map_err(|e| {
                    input_error(Rule::InputShape, format!("malformed `options`: {e}"))
                })?,
            };
            let source = match map.remove("source") {
                None | Some(Value::Null) => None,
                Some(v) => Some(serde_json::from_value(v).map_err(|e| {
                    input_error(Rule::InputShape, format!("malformed `source`: {e}"))
                })?),
            };
            Ok(SourceInput {
                source,
                options,
                applications,
                categories,
                i18n,
            })
        }
        other => Err(input_error(
            Rule::InputShape,
            format!(
                "expected an {FORMAT_NAME} envelope, an object with `applicationsData`, or an array of app records; got {}",
                json_type(&other)
            ),
        )),
    }
}

mod typed;

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
