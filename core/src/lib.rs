//! qad-core: the Quran Apps Directory migration rules.
//!
//! Two entries: [`decode()`] reads an input ([`Input`]: the bytes or text of a file, a JSON value)
//! into a [`SourceInput`] (e.g. to write it as an apps.json [`Envelope`]), and [`migrate`] turns
//! an input into a [`Migration`]: the rows and the report. An input that cannot be decoded at all
//! is a [`DecodeError`], whose report is [`DecodeError::report`] (`Migration::from(error)` for a
//! migration with no rows).
//!
//! The pipeline: [`envelope`] decodes the input → [`decode`](mod@decode) types each record field
//! by field → [`transform`] builds the rows (developers deduplicated, categories mapped,
//! screenshots ordered, URLs normalised, deterministic [`ids`]), checking the field rules of
//! [`validate`] → [`report`] renders the findings ([`diagnostic`]s of the [`rules`]). Shared by
//! the stages: [`source`] (what comes with the records), [`limits`], [`django`] (the Django
//! backend's schema, checked when `options.layout` is Django), [`text`], [`json`]. Pure: no
//! I/O, no async, so it builds for wasm32 too.

// Decode errors are rare and carry a whole diagnostic by value; boxing would only add noise.
#![allow(clippy::result_large_err)]

pub mod decode;
pub mod diagnostic;
pub mod django;
pub mod envelope;
pub mod equal;
pub mod exit_codes;
pub mod ids;
pub mod json;
pub mod limits;
pub mod migration;
pub mod model;
pub mod ownership;
pub mod report;
pub mod rules;
pub mod source;
pub mod text;
pub mod transform;
pub mod validate;

pub use diagnostic::Diagnostic;
pub use envelope::{DecodeError, Envelope, Input, SourceInput};
pub use migration::{DeveloperVariants, Migration};
pub use model::{
    App, AppCategory, Category, Counts, Dataset, Developer, Language, Rating, RowId, Screenshot,
};
pub use report::Report;
pub use rules::{Rule, Severity};
pub use source::{I18n, Layout, Options, SourceInfo};

/// Decodes an input, its records kept as JSON values (as [`Envelope`]s are written). An input
/// that is not JSON, or not of a shape the core reads, is a [`DecodeError`].
pub fn decode(input: Input<'_>) -> Result<SourceInput, DecodeError> {
    input.decode()
}

/// Decodes, transforms and validates an input, with `options` added to the input's own (see
/// [`Options::merge`]). Every problem of the data is a finding of the report; only an input
/// that cannot be decoded at all is a [`DecodeError`] (`Migration::from` it for a migration
/// with its one-error report).
///
/// From bytes or text the records are typed as they are parsed, without a JSON tree: the
/// fastest path from a file. A [`Input::Decoded`] input is consumed: its text moves into the
/// rows instead of being copied.
pub fn migrate(input: Input<'_>, options: &Options) -> Result<Migration, DecodeError> {
    let mut input = input.decode_typed()?;
    input.options.merge(options);
    Ok(transform::run(input))
}
