//! qad-core: the Quran Apps Directory migration rules.
//!
//! The pipeline: [`envelope`] decodes input → [`decode`] types each record field by field →
//! [`transform`] builds the rows (developers deduplicated, categories mapped, screenshots
//! ordered, URLs normalised, deterministic [`ids`]) → [`validate`] checks the rules →
//! [`report`] renders the findings. Pure: no I/O, no async, so it builds for wasm32 too.

// Decode errors are rare and carry a whole diagnostic by value; boxing would only add noise.
#![allow(clippy::result_large_err)]

pub mod decode;
pub mod envelope;
pub mod exit_codes;
pub mod ids;
pub mod model;
pub mod report;
pub mod rules;
pub mod text;
pub mod transform;
pub mod validate;

pub use envelope::{
    decode_bytes, decode_bytes_typed, decode_str, decode_str_typed, decode_value, Envelope, I18n,
    InputError, Options, SourceInfo, SourceInput, TypedInput,
};
pub use model::{
    App, AppCategory, Category, Counts, Dataset, Developer, Language, Rating, Screenshot,
};
pub use report::{Diagnostic, Report};
pub use rules::{Rule, Severity};
pub use transform::DeveloperVariants;

use serde::Serialize;

/// The result of a migration: the rows, and the report on the input.
///
/// When the report has errors the dataset is still returned (for previews), but it must not
/// be loaded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Migration {
    pub dataset: Dataset,
    pub report: Report,
    /// Every spelling each developer was merged from.
    pub developer_variants: Vec<transform::DeveloperVariants>,
}

impl Migration {
    pub fn is_loadable(&self) -> bool {
        !self.report.has_errors()
    }
}

/// Transforms and validates decoded input. Never fails: every problem is a diagnostic.
pub fn migrate(input: &SourceInput) -> Migration {
    transform::run(input.clone().into())
}

/// [`migrate`] for an input the caller no longer needs: its text moves into the rows instead of
/// being copied, which halves the peak memory of a large input.
pub fn migrate_owned(input: SourceInput) -> Migration {
    transform::run(input.into())
}

/// [`migrate`] for an input decoded by [`decode_bytes_typed`] / [`decode_str_typed`]: the
/// fastest path from a file, since its records were never a JSON tree.
pub fn migrate_typed(input: TypedInput) -> Migration {
    transform::run(input)
}

/// Decodes, transforms and validates the bytes of an input file. An undecodable file gives a
/// migration with an empty dataset and a one-error report.
pub fn migrate_bytes(bytes: &[u8]) -> Migration {
    match decode_bytes_typed(bytes) {
        Ok(input) => migrate_typed(input),
        Err(e) => Migration {
            dataset: Dataset::default(),
            report: Report::new(None, Counts::default(), vec![e.diagnostic]),
            developer_variants: Vec::new(),
        },
    }
}
