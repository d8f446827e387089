//! Golden reports shared with the npm package's tests.
//!
//! For every `npm/test/fixtures/<name>.apps.json` (an apps.json envelope as `qad-migrate extract`
//! writes it), the report that `qad_core` renders natively — the path `qa-load --input` takes —
//! must equal the committed `<name>.report.txt` / `.report.md` / `.report.json` byte for byte.
//! `npm/test/golden.test.js` renders the same files through the WebAssembly build and compares
//! against the same goldens, so Node and Rust print identical reports.

use std::fs;
use std::path::{Path, PathBuf};

use qad_core::{Input, Migration, Options};

/// What qa-load does with the bytes of `--input apps.json` (no options of its own).
fn migrate_bytes(bytes: &[u8]) -> Migration {
    qad_core::migrate(Input::Bytes(bytes), &Options::default()).unwrap_or_else(Migration::from)
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../npm/test/fixtures")
}

fn golden_inputs() -> Vec<PathBuf> {
    let dir = fixtures_dir();
    let mut inputs: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".apps.json"))
        })
        .collect();
    inputs.sort();
    inputs
}

fn golden(input: &Path, extension: &str) -> String {
    let name = input
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".apps.json"))
        .unwrap_or_else(|| panic!("bad fixture name {}", input.display()));
    let path = input.with_file_name(format!("{name}.{extension}"));
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn native_reports_match_the_committed_goldens() {
    let inputs = golden_inputs();
    assert!(
        inputs.len() >= 2,
        "expected golden fixtures in {}",
        fixtures_dir().display()
    );
    for input in inputs {
        let bytes = fs::read(&input).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
        // What qa-load does with `--input apps.json`.
        let report = migrate_bytes(&bytes).report;
        assert_eq!(
            report.to_text(),
            golden(&input, "report.txt"),
            "text report of {}",
            input.display()
        );
        assert_eq!(
            report.to_markdown(),
            golden(&input, "report.md"),
            "markdown report of {}",
            input.display()
        );
        assert_eq!(
            report.to_json(),
            golden(&input, "report.json").trim_end(),
            "json report of {}",
            input.display()
        );
        // What the wasm exports do with the same bytes (`validate(bytes)` in JS), and with their
        // text (`validate(object)` goes through JSON.stringify, then the core's decoding of text).
        let from_bytes = qad_wasm::report_of(Ok(Input::Bytes(&bytes)));
        assert_eq!(from_bytes, report, "qad-wasm report of {}", input.display());
        let text = String::from_utf8(bytes.clone()).unwrap_or_else(|e| panic!("{e}"));
        let from_text = qad_wasm::migration_of(Ok(Input::Text(&text)));
        assert_eq!(
            from_text.report,
            report,
            "qad-wasm text of {}",
            input.display()
        );
    }
}

#[test]
fn goldens_cover_errors_and_warnings() {
    let mut errors = 0;
    let mut warnings = 0;
    for input in golden_inputs() {
        let bytes = fs::read(&input).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
        let report = migrate_bytes(&bytes).report;
        errors += report.errors;
        warnings += report.warnings;
        assert!(
            report.source.is_some(),
            "{} should carry its source",
            input.display()
        );
    }
    assert!(
        errors > 0 && warnings > 0,
        "errors {errors}, warnings {warnings}"
    );
}
