//! What a migration gives: the rows, the report on the input, and every spelling each developer
//! was merged from.

use crate::model::RowId;
use serde::Serialize;

use crate::envelope::DecodeError;
use crate::model::Dataset;
use crate::report::Report;
use crate::source::Options;

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
    pub developer_variants: Vec<DeveloperVariants>,
    /// The record each app row was made from, as the report's findings name it (one per row of
    /// `dataset.apps`, in the same order): records that share an id are told apart there by
    /// their position, `1_Wahy (applicationsData[3])`.
    pub app_records: Vec<String>,
    /// The options in effect: the input's own, then the caller's (not serialised: the input
    /// carries them).
    #[serde(skip)]
    pub options: Options,
}

impl Migration {
    pub fn is_loadable(&self) -> bool {
        !self.report.has_errors()
    }
}

/// The migration of an input that could not be decoded: no rows, and the input error's report
/// ([`DecodeError::report`]).
impl From<DecodeError> for Migration {
    fn from(error: DecodeError) -> Migration {
        Migration {
            dataset: Dataset::default(),
            report: error.report(),
            developer_variants: Vec::new(),
            app_records: Vec::new(),
            options: Options::default(),
        }
    }
}

/// Every spelling a developer row was merged from, for reports and the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeveloperVariants {
    pub developer_id: RowId,
    pub key: String,
    /// Source ids of the apps by this developer, in source order.
    pub apps: Vec<String>,
    pub names_en: Vec<String>,
    pub names_ar: Vec<String>,
    pub websites: Vec<String>,
}
