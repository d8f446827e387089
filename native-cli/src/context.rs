//! What every command gets: the global options, the console verbosity and the log file.

use std::path::PathBuf;

use crate::db::conn::Database;
use crate::db::runid;
use crate::db::session::{self, Session};
use crate::error::Failure;
use crate::layout::choice::Choice;
use crate::layout::detect::detect;
use crate::layout::LayoutName;
use crate::logging::Verbosity;
use crate::opt::GlobalArgs;

/// What every command gets.
pub struct Ctx<'a> {
    pub global: &'a GlobalArgs,
    pub verbosity: Verbosity,
    pub log_path: Option<PathBuf>,
}

impl Ctx<'_> {
    pub fn database(&self) -> Result<Database, Failure> {
        Database::resolve(
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

    /// The layout a command works on, built once: `--layout`, else the one the database has
    /// (which takes a connection, and is said); with `--media-base-url`.
    pub async fn layout(&self) -> Result<Choice, Failure> {
        let name = match self.global.layout {
            Some(name) => name,
            None => self.detect_layout().await?,
        };
        Ok(Choice::new(name, self.global.media_base_url.as_deref()))
    }

    /// The layout `--layout` names, if it does (no connection).
    pub fn layout_given(&self) -> Option<Choice> {
        self.global
            .layout
            .map(|name| Choice::new(name, self.global.media_base_url.as_deref()))
    }

    async fn detect_layout(&self) -> Result<LayoutName, Failure> {
        let (_, s, _) = self.read_session().await?;
        let (name, why) = detect(&s.client)
            .await
            .map_err(|e| Failure::unavailable("connect", e))?;
        crate::logging::note(&format!(
            "layout: {} ({why}; --layout sets it)",
            name.as_str()
        ));
        tracing::info!(target: "qa_load::layout", layout = name.as_str(), why, "layout detected");
        Ok(name)
    }

    /// A session for a command that only reads (no lock, no run record), connected before
    /// `--timeout`; with its target and deadline.
    pub async fn read_session(&self) -> Result<(Database, Session, tokio::time::Instant), Failure> {
        let database = self.database()?;
        let deadline = tokio::time::Instant::now() + self.global.timeout;
        let s = session::connect(
            &database,
            &runid::application_name(&runid::new_run_id()),
            deadline,
        )
        .await?;
        Ok((database, s, deadline))
    }
}
