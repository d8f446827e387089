//! `--backup FILE`: pg_dump of the database before the load writes anything.

use std::path::Path;

use crate::db::conn::Database;
use crate::db::runid;
use crate::error::Failure;
use crate::logging;

pub async fn backup(database: &Database, file: &Path, run_id: &str) -> Result<(), Failure> {
    let plain = file.extension().is_some_and(|e| e == "sql");
    let mut cmd = tokio::process::Command::new("pg_dump");
    cmd.arg(if plain {
        "--format=plain"
    } else {
        "--format=custom"
    })
    .arg("--no-password")
    .arg("--file")
    .arg(file)
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .kill_on_drop(true);
    for (k, v) in database.libpq_env(&format!("{}/pg_dump", runid::application_name(run_id))) {
        cmd.env(k, v);
    }
    let out = cmd.output().await.map_err(|e| {
        Failure::unavailable(
            "backup",
            anyhow::Error::new(e).context("could not run pg_dump"),
        )
        .with_hint("install the PostgreSQL client tools (pg_dump), or leave out --backup")
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(Failure::unavailable(
            "backup",
            anyhow::anyhow!("pg_dump failed ({}): {stderr}", out.status),
        )
        .with_hint("nothing was loaded; fix the backup or leave out --backup"));
    }
    tracing::info!(target: "qa_load::load", file = %file.display(), "backup written by pg_dump");
    logging::note(&format!("backup written to {}", file.display()));
    Ok(())
}
