//! What every command gets: the global options, the console verbosity and the log file.

use std::path::PathBuf;

use crate::db::conn::Target;
use crate::db::runid;
use crate::db::session::{self, Session};
use crate::error::Failure;
use crate::logging::Verbosity;
use crate::opt::GlobalArgs;

/// What every command gets.
pub struct Ctx<'a> {
    pub global: &'a GlobalArgs,
    pub verbosity: Verbosity,
    pub log_path: Option<PathBuf>,
}

impl Ctx<'_> {
    pub fn target(&self) -> Result<Target, Failure> {
        Target::resolve(
            self.global.database.as_deref(),
            self.global.root_cert.as_deref(),
            &crate::db::conn::process_env,
        )
        .map_err(|e| Failure::usage_error("connect", e))
    }

    pub fn database_configured(&self) -> bool {
        crate::db::conn::is_configured(
            self.global.database.as_deref(),
            &crate::db::conn::process_env,
        )
    }

    /// A session for a command that only reads (no lock, no run record), connected before
    /// `--timeout`; with its target and deadline.
    pub async fn read_session(&self) -> Result<(Target, Session, tokio::time::Instant), Failure> {
        let target = self.target()?;
        let deadline = tokio::time::Instant::now() + self.global.timeout;
        let s = session::connect(
            &target,
            &runid::application_name(&runid::new_run_id()),
            deadline,
        )
        .await?;
        Ok((target, s, deadline))
    }
}
