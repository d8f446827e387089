//! Exit codes and the error type every stage returns.
//!
//! The codes are qad-core's table ([`qad_core::exit_codes`]), shared with `qad-migrate`; README
//! and `qa-load --help` document them. A [`Failure`] carries its exit code, decided where the
//! failure is classified (refused, unavailable, a write that was rolled back, ...), and
//! [`crate::dispatch`] is the one place that turns it into the process's exit status.

use std::fmt;

use qad_core::exit_codes as codes;

/// The process exit codes of `qa-load`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success: loaded, nothing to change, verified equal, rolled back, dry run passed.
    Ok,
    /// The input is invalid: unreadable, not JSON, or the validation report has errors.
    /// No transaction was opened.
    Invalid,
    /// Usage error: unknown option, bad value, malformed `--alias` or connection string.
    Usage,
    /// A write (load, rollback, schema apply) failed, timed out or was interrupted, and its
    /// transaction was rolled back: the data is as it was before the command.
    Failed,
    /// `verify` found differences between the input and the database.
    Differences,
    /// Could not start: database unreachable or authentication failed, the migration lock is
    /// held by another run (without `--wait`), `pg_dump` failed, or a read failed.
    /// Nothing was written.
    Unavailable,
    /// Refused: a precondition does not hold (rollback of a run that later runs depend on or
    /// whose rows were changed since, a database schema newer than this build or edited after
    /// it was applied). Nothing was written.
    Refused,
    /// The connection was lost during COMMIT and whether the commit happened could not be
    /// found out.
    OutcomeUnknown,
}

impl Exit {
    pub fn code(self) -> i32 {
        match self {
            Exit::Ok => codes::OK,
            Exit::Invalid => codes::INVALID_INPUT,
            Exit::Usage => codes::USAGE,
            Exit::Failed => codes::WRITE_FAILED,
            Exit::Differences => codes::DIFFERENCES,
            Exit::Unavailable => codes::UNAVAILABLE,
            Exit::Refused => codes::REFUSED,
            Exit::OutcomeUnknown => codes::OUTCOME_UNKNOWN,
        }
    }
}

/// A failed command: which exit code, in which stage, why, and what to do about it.
pub struct Failure {
    pub exit: Exit,
    pub stage: String,
    pub error: anyhow::Error,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(exit: Exit, stage: impl Into<String>, error: impl Into<anyhow::Error>) -> Self {
        Failure {
            exit,
            stage: stage.into(),
            error: error.into(),
            hint: None,
        }
    }

    pub fn msg(exit: Exit, stage: impl Into<String>, message: impl Into<String>) -> Self {
        Failure::new(exit, stage, anyhow::anyhow!(message.into()))
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The error and its causes, outermost first, each on its own.
    pub fn chain(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for cause in self.error.chain() {
            let text = describe_error(cause);
            // tokio-postgres wraps a DbError as "db error" + source: keep only the useful one.
            if text == "db error" || out.last().is_some_and(|prev| prev.ends_with(&text)) {
                continue;
            }
            out.push(text);
        }
        out
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed ({:?}): {:#}",
            self.stage, self.exit, self.error
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chain = self.chain();
        write!(
            f,
            "{} failed: {}",
            self.stage,
            chain.first().map(String::as_str).unwrap_or("?")
        )?;
        for cause in chain.iter().skip(1) {
            write!(f, "\n  caused by: {cause}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Renders one error; PostgreSQL errors with their SQLSTATE, detail, hint, table and constraint.
pub fn describe_error(e: &(dyn std::error::Error + 'static)) -> String {
    if let Some(db) = e.downcast_ref::<tokio_postgres::error::DbError>() {
        return describe_db_error(db);
    }
    if let Some(pg) = e.downcast_ref::<tokio_postgres::Error>() {
        if let Some(db) = pg.as_db_error() {
            return describe_db_error(db);
        }
    }
    e.to_string()
}

pub fn describe_db_error(db: &tokio_postgres::error::DbError) -> String {
    let mut s = format!(
        "{}: {} (SQLSTATE {})",
        db.severity(),
        db.message(),
        db.code().code()
    );
    if let Some(detail) = db.detail() {
        s.push_str(&format!("; detail: {detail}"));
    }
    if let Some(hint) = db.hint() {
        s.push_str(&format!("; hint: {hint}"));
    }
    match (db.table(), db.column(), db.constraint()) {
        (Some(t), Some(c), _) => s.push_str(&format!("; at {t}.{c}")),
        (Some(t), None, Some(k)) => s.push_str(&format!("; table {t}, constraint {k}")),
        (Some(t), None, None) => s.push_str(&format!("; table {t}")),
        _ => {}
    }
    if let Some(w) = db.where_() {
        s.push_str(&format!("; where: {}", w.replace('\n', " / ")));
    }
    s
}

/// The SQLSTATE of an error chain, if a PostgreSQL error is in it.
pub fn sqlstate(e: &anyhow::Error) -> Option<String> {
    e.chain().find_map(|c| {
        c.downcast_ref::<tokio_postgres::Error>()
            .and_then(|pg| pg.code().map(|s| s.code().to_string()))
            .or_else(|| {
                c.downcast_ref::<tokio_postgres::error::DbError>()
                    .map(|db| db.code().code().to_string())
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_the_shared_table() {
        let ours = [
            (Exit::Ok, "ok"),
            (Exit::Invalid, "invalidInput"),
            (Exit::Usage, "usage"),
            (Exit::Failed, "writeFailed"),
            (Exit::Differences, "differences"),
            (Exit::Unavailable, "unavailable"),
            (Exit::Refused, "refused"),
            (Exit::OutcomeUnknown, "outcomeUnknown"),
        ];
        for (exit, name) in ours {
            let (_, code, _) = codes::ALL
                .iter()
                .find(|(n, _, _)| *n == name)
                .copied()
                .unwrap_or(("", -1, ""));
            assert_eq!(exit.code(), code, "{name}");
        }
    }
}
