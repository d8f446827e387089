//! What every command gets: the global options, the console verbosity and the log file.

use std::path::PathBuf;

use crate::db::conn::Target;
use crate::db::runid;
use crate::db::session::{self, Session};
use crate::error::Failure;
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

    /// The layout a command works on: `--layout`, else the one the database has (which takes
    /// a connection, and is said).
    pub async fn layout(&self) -> Result<LayoutName, Failure> {
        if let Some(name) = self.global.layout {
            return Ok(name);
        }
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

    /// The media base URL a layout's rows need: the django layout's (a usage error without
    /// it); none for qa-load's own.
    pub fn media_base_for(&self, layout: LayoutName) -> Result<Option<&str>, Failure> {
        match layout {
            LayoutName::Django => self.media_base_url().map(Some),
            LayoutName::QaLoad => Ok(None),
        }
    }

    /// The media base URL the django layout needs (a usage error without it).
    fn media_base_url(&self) -> Result<&str, Failure> {
        self.global.media_base_url.as_deref().ok_or_else(|| {
            Failure::usage(
                "usage",
                "the django layout needs --media-base-url URL: the backend's R2_PUBLIC_URL, \
                 which its image paths are relative to (the backend's default is https://pub-e11717db663c469fb51c65995892b449.r2.dev)"
                    .to_string(),
            )
        })
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
