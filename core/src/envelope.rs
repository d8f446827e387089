//! The interchange file `apps.json`, and decoding of everything the core accepts as input.
//!
//! Accepted inputs:
//! - the versioned envelope written by `qad-migrate extract` (see [`Envelope`]);
//! - a bare JSON array of app records (no categories export, no i18n);
//! - the module's JSON, `{ "applicationsData": [...], "categories": [...] }` without `format`.
//!
//! Records are kept as raw JSON values ([`SourceInput`]) or read into their raw typed form while
//! parsed (`TypedInput`, the fast path of a migration); type checking happens field by field in
//! [`crate::decode`](mod@crate::decode), so that a wrong type is reported with its record and field instead of
//! failing the whole file.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::decode::RawRecord;
use crate::diagnostic::Diagnostic;
use crate::json::{json_type, StrictValue};
use crate::model::Counts;
use crate::report::Report;
use crate::rules::Rule;
use crate::source::{I18n, Options, SourceInfo};
use crate::text::excerpt;

pub const FORMAT_NAME: &str = "qad-migrate/apps";
pub const FORMAT_VERSION: u32 = 1;

/// The `apps.json` envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Envelope {
    /// Always [`FORMAT_NAME`].
    #[cfg_attr(feature = "ts", ts(type = "\"qad-migrate/apps\""))]
    pub format: String,
    /// [`FORMAT_VERSION`]; a newer version is refused rather than misread.
    #[cfg_attr(feature = "ts", ts(type = "1"))]
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub generated_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub source: Option<SourceInfo>,
    #[serde(default)]
    pub options: Options,
    pub applications_data: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub categories: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub i18n: Option<I18n>,
}

/// What the core decodes: the bytes or text of a file, a parsed JSON value, or input decoded
/// before (by [`crate::decode()`], e.g. to change it before [`crate::migrate`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Input<'a> {
    /// The bytes of a file; a leading UTF-8 BOM is accepted.
    Bytes(&'a [u8]),
    /// The bytes of a file the caller gives up: freed as soon as they are decoded, before the
    /// transform, so that a large input is not held twice.
    File(Vec<u8>),
    /// JSON text; a leading BOM is accepted.
    Text(&'a str),
    /// A parsed JSON value.
    Value(Value),
    /// Decoded input.
    Decoded(SourceInput),
}

impl Input<'_> {
    /// The input with its records as JSON values (what an envelope is written from).
    pub(crate) fn decode(self) -> Result<SourceInput, DecodeError> {
        match self {
            Input::Bytes(bytes) => decode_str(utf8_text(bytes)?),
            Input::File(bytes) => decode_str(utf8_text(&bytes)?),
            Input::Text(text) => decode_str(text),
            Input::Value(value) => decode_value(value),
            Input::Decoded(input) => Ok(input),
        }
    }

    /// The input with its records typed: from bytes and text, as they are parsed, without the
    /// JSON tree of the records (the largest part of a big input, and most of the decoding
    /// time). Accepts and refuses exactly what `Input::decode` does, with the same errors.
    pub(crate) fn decode_typed(self) -> Result<TypedInput, DecodeError> {
        match self {
            Input::Bytes(bytes) => decode_str_typed(utf8_text(bytes)?),
            Input::File(bytes) => decode_str_typed(utf8_text(&bytes)?),
            Input::Text(text) => decode_str_typed(text),
            other => other.decode().map(TypedInput::from),
        }
    }
}

/// Decoded input, ready for [`crate::migrate`] (as [`Input::Decoded`]) or to be written as an
/// envelope.
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
/// than kept as JSON values: what the transform takes. Built straight from the text by
/// `Input::decode_typed`, so it cannot be written back as an envelope: [`SourceInput`] can.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TypedInput {
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
pub struct DecodeError {
    pub diagnostic: Diagnostic,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} [{}] {}",
            self.diagnostic.code, self.diagnostic.rule, self.diagnostic.message
        )
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    /// A decode error of a rule (E001 input-json, E002 input-shape) about the whole input.
    pub fn new(rule: Rule, message: String) -> DecodeError {
        DecodeError {
            diagnostic: Diagnostic::new(rule, None, None, message),
        }
    }

    /// The report of an input that could not be decoded: this one error, no rows. The one
    /// place such a report is made (the wasm bindings and qa-load print it).
    pub fn report(&self) -> Report {
        Report::new(None, Counts::default(), vec![self.diagnostic.clone()])
    }
}

fn decode_error(rule: Rule, message: String) -> DecodeError {
    DecodeError::new(rule, message)
}

/// The text of an input file's bytes, without a leading UTF-8 BOM.
fn utf8_text(bytes: &[u8]) -> Result<&str, DecodeError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        decode_error(
            Rule::InputJson,
            format!(
                "the input is not valid UTF-8 (first bad byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// A JSON syntax error (or a repeated key), with its position.
fn json_error(e: serde_json::Error) -> DecodeError {
    decode_error(
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
fn decode_str(text: &str) -> Result<SourceInput, DecodeError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value = serde_json::from_str::<StrictValue>(text).map_err(json_error)?;
    decode_value(value.0)
}

/// [`decode_str`], with the records typed as they are parsed (see `TypedInput`).
fn decode_str_typed(text: &str) -> Result<TypedInput, DecodeError> {
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

/// Decodes an already parsed JSON value.
fn decode_value(value: Value) -> Result<SourceInput, DecodeError> {
    match value {
        Value::Array(applications) => Ok(SourceInput {
            applications,
            ..SourceInput::default()
        }),
        Value::Object(map) if map.contains_key("format") => {
            let format = map.get("format").and_then(Value::as_str).unwrap_or("");
            if format != FORMAT_NAME {
                return Err(decode_error(
                    Rule::InputShape,
                    format!(
                        "unknown format {:?}; expected {FORMAT_NAME:?}",
                        excerpt(format)
                    ),
                ));
            }
            let version = map.get("version").and_then(Value::as_u64);
            if version != Some(u64::from(FORMAT_VERSION)) {
                return Err(decode_error(
                    Rule::InputShape,
                    format!(
                        "unsupported {FORMAT_NAME} version {}; this build reads version {FORMAT_VERSION}",
                        map.get("version").map(|v| excerpt(&v.to_string())).unwrap_or_else(|| "(none)".into())
                    ),
                ));
            }
            // The records are taken out first and kept as they are: converting them through
            // serde again would rebuild every object of a large file for nothing.
            let mut map = map;
            let applications = match map.remove("applicationsData") {
                Some(Value::Array(a)) => a,
                Some(other) => {
                    return Err(decode_error(
                        Rule::InputShape,
                        format!(
                            "malformed {FORMAT_NAME} envelope: `applicationsData` is {}, not an array",
                            json_type(&other)
                        ),
                    ))
                }
                None => {
                    return Err(decode_error(
                        Rule::InputShape,
                        format!("malformed {FORMAT_NAME} envelope: missing field `applicationsData`"),
                    ))
                }
            };
            map.insert("applicationsData".into(), Value::Array(Vec::new()));
            let envelope: Envelope = serde_json::from_value(Value::Object(map)).map_err(|e| {
                decode_error(Rule::InputShape, format!("malformed {FORMAT_NAME} envelope: {e}"))
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
                    return Err(decode_error(
                        Rule::InputShape,
                        "`applicationsData` is not an array".to_string(),
                    ))
                }
            };
            let categories = match map.remove("categories") {
                None | Some(Value::Null) => None,
                Some(Value::Array(c)) => Some(c),
                Some(_) => {
                    return Err(decode_error(
                        Rule::InputShape,
                        "`categories` is not an array".to_string(),
                    ))
                }
            };
            let i18n = match map.remove("i18n") {
                None | Some(Value::Null) => None,
                Some(v) => Some(serde_json::from_value(v).map_err(|e| {
                    decode_error(Rule::InputShape, format!("malformed `i18n`: {e}"))
                })?),
            };
            let options = match map.remove("options") {
                None | Some(Value::Null) => Options::default(),
                Some(v) => serde_json::from_value(v).map_err(|e| {
                    decode_error(Rule::InputShape, format!("malformed `options`: {e}"))
                })?,
            };
            let source = match map.remove("source") {
                None | Some(Value::Null) => None,
                Some(v) => Some(serde_json::from_value(v).map_err(|e| {
                    decode_error(Rule::InputShape, format!("malformed `source`: {e}"))
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
        other => Err(decode_error(
            Rule::InputShape,
            format!(
                "expected an {FORMAT_NAME} envelope, an object with `applicationsData`, or an array of app records; got {}",
                json_type(&other)
            ),
        )),
    }
}

mod typed;
