//! What every command gets: the global options, the console verbosity and the log file.

use std::path::PathBuf;

use crate::error::{Exit, Failure};
use crate::logging::Verbosity;
use crate::opt::GlobalArgs;

/// What every command gets.
pub struct Ctx<'a> {
    pub global: &'a GlobalArgs,
    pub verbosity: Verbosity,
    pub log_path: Option<PathBuf>,
}

impl Ctx<'_> {
    pub fn target(&self) -> Result<crate::db::conn::Target, Failure> {
        crate::db::conn::Target::resolve(
            self.global.database.as_deref(),
            self.global.root_cert.as_deref(),
            &crate::db::conn::process_env,
        )
        .map_err(|e| Failure::new(Exit::Usage, "connect", e))
    }

    pub fn database_configured(&self) -> bool {
        crate::db::conn::is_configured(
            self.global.database.as_deref(),
            &crate::db::conn::process_env,
        )
    }
}
