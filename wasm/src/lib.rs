//! qad-wasm: the WebAssembly face of `qad-core`, for the `qad-migrate` npm package and its
//! browser preview.
//!
//! Every export takes and returns plain JavaScript values. Inputs cross the boundary as JSON
//! text (`JSON.stringify` on the JS side of the boundary) and go through the core's own entries,
//! `qad_core::migrate` and `qad_core::decode`, which `qa-load` uses on the file `qad-migrate
//! extract` writes: the same input gives the same report in Node, in the browser and in
//! `qa-load`, an undecodable one included (`DecodeError::report`). Outputs are serialised from
//! the core's types with `serde-wasm-bindgen` in JSON-compatible mode (maps are plain objects).
//!
//! The JS-independent parts (decoding, rendering) are plain Rust functions so that they are
//! tested natively (`cargo test -p qad-wasm`).

// `DecodeError` is qad-core's error type (a whole Diagnostic); it is returned as the core does.
#![allow(clippy::result_large_err)]

use qad_core::{DecodeError, I18n, Input, Layout, Migration, Options, Report, Rule};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

#[cfg(feature = "ts")]
pub mod typescript;

/// The crate version (the workspace version, shared with qad-core and qa-load).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

// ---------------------------------------------------------------------------------------------
// Plain Rust: decoding, migrating, rendering (tested natively)
// ---------------------------------------------------------------------------------------------

/// The migration of an input (the input's own options apply), or for an undecodable input an
/// empty dataset with the core's one-error report.
pub fn migration_of(input: Result<Input<'_>, DecodeError>) -> Migration {
    input
        .and_then(|input| qad_core::migrate(input, &Options::default()))
        .unwrap_or_else(Migration::from)
}

/// The report alone.
pub fn report_of(input: Result<Input<'_>, DecodeError>) -> Report {
    migration_of(input).report
}

/// Renders a report in one of the formats the command lines print.
pub fn render(report: &Report, format: &str) -> Result<String, String> {
    match format {
        "text" | "txt" => Ok(report.to_text()),
        "markdown" | "md" => Ok(report.to_markdown()),
        "json" => Ok(report.to_json()),
        other => Err(format!(
            "unknown report format {other:?}; expected \"text\", \"markdown\" or \"json\""
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// wasm-bindgen exports
// ---------------------------------------------------------------------------------------------

/// A JS input as JSON text: a string is JSON text, a `Uint8Array` / `ArrayBuffer` the bytes of
/// a file, anything else goes through `JSON.stringify` (so that `undefined` members, `toJSON`
/// and non-finite numbers behave exactly as in a written file).
enum JsonText {
    Text(String),
    Bytes(Vec<u8>),
}

impl JsonText {
    fn input(&self) -> Input<'_> {
        match self {
            JsonText::Text(text) => Input::Text(text),
            JsonText::Bytes(bytes) => Input::Bytes(bytes),
        }
    }
}

fn json_text(input: &JsValue) -> Result<JsonText, DecodeError> {
    if let Some(text) = input.as_string() {
        return Ok(JsonText::Text(text));
    }
    if input.is_instance_of::<js_sys::Uint8Array>() || input.is_instance_of::<js_sys::ArrayBuffer>()
    {
        return Ok(JsonText::Bytes(js_sys::Uint8Array::new(input).to_vec()));
    }
    match js_sys::JSON::stringify(input) {
        Ok(text) => match text.as_string() {
            Some(text) => Ok(JsonText::Text(text)),
            None => Err(DecodeError::new(
                Rule::InputShape,
                "no input: the value is undefined or a function".to_string(),
            )),
        },
        Err(e) => Err(DecodeError::new(
            Rule::InputJson,
            format!(
                "the input cannot be converted to JSON: {}",
                js_error_message(&e)
            ),
        )),
    }
}

/// The migration of a JS input (see [`migration_of`]).
fn migration_of_js(input: &JsValue) -> Migration {
    match json_text(input) {
        Ok(text) => migration_of(Ok(text.input())),
        Err(e) => migration_of(Err(e)),
    }
}

fn js_error_message(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

/// Serialises straight from the core's types (struct field order kept, maps as plain objects,
/// integers as numbers, `None` as `null`).
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&format!("qad-wasm: cannot build the JS value: {e}")))
}

fn from_js<T: serde::de::DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, JsError> {
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| JsError::new(&format!("{what} is not JSON data")))?;
    serde_json::from_str(&text).map_err(|e| JsError::new(&format!("{what} is malformed: {e}")))
}

// The TypeScript types of what the exports return, generated from the Rust types (the `ts`
// feature, `npm run gen:types`) into npm/lib/types.generated.d.ts, which the package ships
// beside dist/wasm/: wasm-bindgen's qad_wasm.d.ts imports them from there.
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"import type { Envelope, ExitCode, I18nNames, Migration, MigrationLayout, Report, RuleDoc } from "../../lib/types.generated.js";"#;

/// Transforms and validates: `{dataset, report, developer_variants}`. Never throws for a bad
/// input: it gives a report with an E001/E002 error.
#[wasm_bindgen(unchecked_return_type = "Migration")]
pub fn transform(
    #[wasm_bindgen(unchecked_param_type = "unknown")] input: JsValue,
) -> Result<JsValue, JsError> {
    to_js(&migration_of_js(&input))
}

/// Validates: the report only.
#[wasm_bindgen(unchecked_return_type = "Report")]
pub fn validate(
    #[wasm_bindgen(unchecked_param_type = "unknown")] input: JsValue,
) -> Result<JsValue, JsError> {
    to_js(&migration_of_js(&input).report)
}

/// Renders a report (as returned by `validate`/`transform`) as "text", "markdown" or "json":
/// the same strings `qa-load` prints.
#[wasm_bindgen(js_name = renderReport)]
pub fn render_report(
    #[wasm_bindgen(unchecked_param_type = "Report")] report: JsValue,
    format: &str,
) -> Result<String, JsError> {
    let report: Report = from_js(&report, "the report")?;
    render(&report, format).map_err(|e| JsError::new(&e))
}

/// The apps.json envelope that `qad-migrate extract` writes for this input. Throws when the
/// input cannot be decoded (validate it first).
#[wasm_bindgen(js_name = makeEnvelope, unchecked_return_type = "Envelope")]
pub fn make_envelope(
    #[wasm_bindgen(unchecked_param_type = "unknown")] input: JsValue,
    generated_by: Option<String>,
) -> Result<JsValue, JsError> {
    let decoded = json_text(&input)
        .and_then(|text| qad_core::decode(text.input()))
        .map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&decoded.to_envelope(generated_by))
}

/// `{en, ar}` category display names taken out of the frontend's whole i18n files.
#[wasm_bindgen(js_name = i18nFromFrontendFiles, unchecked_return_type = "I18nNames")]
pub fn i18n_from_frontend_files(
    #[wasm_bindgen(unchecked_param_type = "unknown")] en: JsValue,
    #[wasm_bindgen(unchecked_param_type = "unknown")] ar: JsValue,
) -> Result<JsValue, JsError> {
    let en: Value = if en.is_undefined() || en.is_null() {
        Value::Null
    } else {
        from_js(&en, "the en i18n file")?
    };
    let ar: Value = if ar.is_undefined() || ar.is_null() {
        Value::Null
    } else {
        from_js(&ar, "the ar i18n file")?
    };
    to_js(&I18n::from_frontend_files(&en, &ar))
}

/// Parses a `from=to` category alias as the command lines take it: `[from, to]`, lower-cased.
#[wasm_bindgen(js_name = parseAlias)]
pub fn parse_alias(spec: &str) -> Result<Vec<String>, JsError> {
    Options::parse_alias(spec)
        .map(|(from, to)| vec![from, to])
        .map_err(|e| JsError::new(&e))
}

/// Builds a layout (the tables the data is destined for) as the command lines take it
/// (`--layout qa-load|django`, `--media-base-url URL`): `{kind: "qa-load"}` or
/// `{kind: "django", media_base_url}`; `generic`, the old name of `qa-load`, is taken too.
/// Throws with the core's message when the pair is not one.
#[wasm_bindgen(js_name = parseLayout, unchecked_return_type = "MigrationLayout")]
pub fn parse_layout(kind: &str, media_base_url: Option<String>) -> Result<JsValue, JsError> {
    let layout = Layout::parse(kind, media_base_url.as_deref()).map_err(|e| JsError::new(&e))?;
    to_js(&layout)
}

/// @deprecated The old name of `parseLayout` (the layout was called the target), kept for
/// callers of earlier versions; the same function.
#[wasm_bindgen(js_name = parseTarget, unchecked_return_type = "MigrationLayout")]
pub fn parse_target(kind: &str, media_base_url: Option<String>) -> Result<JsValue, JsError> {
    parse_layout(kind, media_base_url)
}

/// The validation rules: `[{code, name, severity, meaning, fix}]`.
#[wasm_bindgen(unchecked_return_type = "RuleDoc[]")]
pub fn rules() -> Result<JsValue, JsError> {
    to_js(&qad_core::rules::rule_docs())
}

/// The rule table in Markdown, as the README shows it.
#[wasm_bindgen(js_name = rulesMarkdown)]
pub fn rules_markdown() -> String {
    qad_core::rules::rules_markdown()
}

/// One exit code of the programs: `qad_core::exit_codes::ALL`'s (name, code, meaning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExitCode {
    #[cfg_attr(feature = "ts", ts(type = "keyof ExitCodes"))]
    pub name: &'static str,
    pub code: i32,
    pub meaning: &'static str,
}

/// The exit-code table both programs share, in order.
pub fn exit_code_table() -> Vec<ExitCode> {
    qad_core::exit_codes::ALL
        .iter()
        .map(|&(name, code, meaning)| ExitCode {
            name,
            code,
            meaning,
        })
        .collect()
}

/// The exit codes of `qad-migrate` and `qa-load` (one table): `[{name, code, meaning}]`.
#[wasm_bindgen(js_name = exitCodes, unchecked_return_type = "ExitCode[]")]
pub fn exit_codes() -> Result<JsValue, JsError> {
    to_js(&exit_code_table())
}

/// The core version.
#[wasm_bindgen]
pub fn version() -> String {
    VERSION.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_form_keeps_source_and_options() {
        let text = r#"{
            "applicationsData": [{"id": "1_a", "Name_En": "Alpha", "Name_Ar": "ألفا",
                                  "Developer_Name_En": "Dev", "categories": ["other"], "sort": 1}],
            "categories": [{"name": "Tools"}],
            "source": {"module": "src/app/services/applicationsData.ts", "sha256": "ab"},
            "options": {"categoryAliases": {"other": "tools"}}
        }"#;
        let report = report_of(Ok(Input::Text(text)));
        assert_eq!(
            report.source.as_ref().map(|s| s.module.as_str()),
            Some("src/app/services/applicationsData.ts")
        );
        assert!(
            !report.diagnostics.iter().any(|d| d.code == "E015"),
            "the alias resolves the category: {:?}",
            report.diagnostics
        );
    }

    #[test]
    fn undecodable_input_gives_a_one_error_migration() {
        for (text, code) in [("42", "E002"), ("{\"applicationsData\": [1,]}", "E001")] {
            let m = migration_of(Ok(Input::Text(text)));
            assert_eq!(m.report.errors, 1);
            assert_eq!(m.report.diagnostics[0].code, code);
            assert!(m.dataset.apps.is_empty() && m.developer_variants.is_empty());
        }
        let m = migration_of(Ok(Input::Bytes(b"\xff\xfe")));
        assert_eq!(m.report.diagnostics[0].code, "E001");
        // A value JS could not turn into JSON is reported the same way.
        let m = migration_of(Err(DecodeError::new(Rule::InputShape, "no input".into())));
        assert_eq!(m.report.errors, 1);
        assert_eq!(m.report.diagnostics[0].message, "no input");
    }

    #[test]
    fn exit_code_table_is_the_cores() {
        let table = exit_code_table();
        assert_eq!(table.len(), qad_core::exit_codes::ALL.len());
        let code = |name: &str| table.iter().find(|c| c.name == name).map(|c| c.code);
        assert_eq!(
            code("sourceUnloadable"),
            Some(qad_core::exit_codes::SOURCE_UNLOADABLE)
        );
        assert_eq!(
            code("outputFailed"),
            Some(qad_core::exit_codes::OUTPUT_FAILED)
        );
    }

    #[test]
    fn render_rejects_unknown_formats() {
        let report = report_of(Ok(Input::Text("[]")));
        assert_eq!(render(&report, "text"), Ok(report.to_text()));
        assert_eq!(render(&report, "markdown"), Ok(report.to_markdown()));
        assert_eq!(render(&report, "json"), Ok(report.to_json()));
        assert!(render(&report, "html").is_err());
    }
}
