//! The first three stages of a load (and of `verify`): extract (read and decode the file),
//! transform (qad-core builds the rows) and validate (the core's report).

use std::io::Read;

use std::collections::BTreeMap;

use qad_core::{Migration, Report, Severity, SourceInfo};
use sha2::{Digest, Sha256};

use crate::error::{Failure, InputError};
use crate::logging;

pub struct Prepared {
    /// As given (`-` for stdin).
    pub path: String,
    /// SHA-256 of the file's bytes.
    pub file_sha256: String,
    /// Where the extract read the data (from the envelope).
    pub source: Option<SourceInfo>,
    /// The category aliases in effect (the input's, then `--alias`).
    pub aliases: BTreeMap<String, String>,
    /// The unknown fields whose values are knowingly not loaded (the input's, then
    /// `--ignore-field`).
    pub ignored_fields: Vec<String>,
    pub migration: Migration,
    /// `Dataset::checksum()`, computed once.
    pub checksum: String,
}

/// Parses `--alias from=to` values (usage errors).
pub fn parse_aliases(aliases: &[String]) -> Result<Vec<(String, String)>, Failure> {
    aliases
        .iter()
        .map(|a| qad_core::Options::parse_alias(a).map_err(|e| Failure::usage("usage", e)))
        .collect()
}

pub fn read(path: &str) -> Result<Vec<u8>, Failure> {
    let result = if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    };
    result.map_err(|source| {
        Failure::input(
            "extract",
            InputError::Unreadable {
                path: path.to_string(),
                source,
            },
        )
    })
}

/// Extract → transform → validate. On errors prints the report (stderr) and fails with exit 1;
/// on success logs the warnings and prints a one-line summary.
pub fn prepare(
    path: &str,
    aliases: &[String],
    ignore_fields: &[String],
    rules: qad_core::Layout,
    report_file: Option<&std::path::Path>,
) -> Result<Prepared, Failure> {
    let bytes = read(path)?;
    let prepared = prepare_from(path, bytes, aliases, ignore_fields, rules, report_file)?;
    announce(&prepared);
    Ok(prepared)
}

/// The one-line summary of a prepared input's validation (its warnings), on the console.
pub fn announce(prepared: &Prepared) {
    let warnings = prepared.migration.report.warnings;
    if warnings > 0 {
        logging::note(&format!(
            "validation: 0 errors, {warnings} warning(s) (loaded anyway; -v or --report FILE lists them)"
        ));
    }
}

/// [`prepare`] of bytes already read (`path` names them), without the summary line
/// ([`announce`]): the report is printed only when it has errors.
pub fn prepare_from(
    path: &str,
    bytes: Vec<u8>,
    aliases: &[String],
    ignore_fields: &[String],
    rules: qad_core::Layout,
    report_file: Option<&std::path::Path>,
) -> Result<Prepared, Failure> {
    let aliases = parse_aliases(aliases)?;
    let file_sha256 = crate::bookkeeping::hex(&Sha256::digest(&bytes));
    tracing::info!(target: "qa_load::input", path, bytes = bytes.len(), sha256 = %file_sha256, "extract: read the input");

    // The layout's rules (layout::choice::Choice::validation): the django layout adds the backend's
    // limits to validation.
    let mut options = qad_core::Options {
        layout: rules,
        ..qad_core::Options::default()
    };
    for (from, to) in aliases {
        tracing::info!(target: "qa_load::input", %from, %to, "category alias from the command line");
        options.category_aliases.insert(from, to);
    }
    for name in ignore_fields {
        let name =
            qad_core::Options::parse_ignore_field(name).map_err(|e| Failure::usage("usage", e))?;
        tracing::info!(target: "qa_load::input", field = %name, "ignored field from the command line");
        options.ignore_fields.insert(name);
    }
    // The raw bytes (Input::File) and the decoded records are let go as soon as the next stage
    // has what it needs: the input can be large, and the load holds the rows for a while.
    let migration = match qad_core::migrate(qad_core::Input::File(bytes), &options) {
        Ok(m) => m,
        Err(e) => {
            let report = e.report();
            emit_report(&report, report_file)?;
            eprint!("{}", report.to_text());
            return Err(Failure::input(
                "extract",
                InputError::Undecodable {
                    path: path.to_string(),
                    detail: e.to_string(),
                },
            ));
        }
    };

    let source = migration.report.source.clone();
    let aliases = migration.options.category_aliases.clone();
    let ignored_fields: Vec<String> = migration.options.ignore_fields.iter().cloned().collect();
    let checksum = migration.dataset.checksum();
    let report = &migration.report;
    let c = report.counts;
    tracing::info!(
        target: "qa_load::input",
        apps = c.apps, categories = c.categories, developers = c.developers,
        app_categories = c.app_categories, screenshots = c.screenshots,
        "transform: built the dataset"
    );
    for d in &report.diagnostics {
        let record = d.record.as_deref().unwrap_or("(whole input)");
        let field = d.field.as_deref().unwrap_or("");
        match d.severity {
            Severity::Error => {
                tracing::error!(target: "qa_load::diagnostics", code = %d.code, rule = %d.rule, record, field, "{}", d.message)
            }
            Severity::Warning => {
                tracing::warn!(target: "qa_load::diagnostics", code = %d.code, rule = %d.rule, record, field, "{}", d.message)
            }
        }
    }
    emit_report(report, report_file)?;
    if report.has_errors() {
        eprint!("{}", report.to_text());
        return Err(Failure::input(
            "validate",
            InputError::Invalid {
                path: path.to_string(),
                errors: report.errors,
                warnings: report.warnings,
            },
        ));
    }
    tracing::info!(target: "qa_load::input", warnings = report.warnings, "validate: no errors");
    Ok(Prepared {
        path: if path == "-" {
            "(stdin)".to_string()
        } else {
            path.to_string()
        },
        file_sha256,
        source,
        aliases,
        ignored_fields,
        migration,
        checksum,
    })
}

fn emit_report(report: &Report, file: Option<&std::path::Path>) -> Result<(), Failure> {
    let Some(file) = file else { return Ok(()) };
    let text = if file.extension().is_some_and(|e| e == "json") {
        report.to_json()
    } else {
        report.to_markdown()
    };
    std::fs::write(file, text).map_err(|e| {
        Failure::output(
            "report",
            anyhow::Error::new(e).context(format!("could not write the report {}", file.display())),
        )
    })
}
