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
    /// An output file (a report) could not be written.
    Output,
    /// The load would overwrite values someone else wrote, and no decision covers them.
    /// Nothing was written.
    Conflicts,
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
            Exit::Output => codes::OUTPUT_FAILED,
            Exit::Conflicts => codes::CONFLICTS,
        }
    }
}

/// A failed command: in which stage, what went wrong (by domain), and what to do about it.
pub struct Failure {
    pub stage: String,
    pub error: Error,
    pub hint: Option<String>,
}

/// What went wrong, by domain. [`Failure::exit`] maps it to the exit code, in one place.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad option or value.
    #[error(transparent)]
    Usage(anyhow::Error),
    /// The input cannot be loaded.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Could not start, or could not read: nothing was written.
    #[error(transparent)]
    Unavailable(anyhow::Error),
    /// A precondition does not hold: nothing was written.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// A write failed and its transaction was rolled back.
    #[error(transparent)]
    WriteFailed(anyhow::Error),
    /// The connection was lost during COMMIT and its outcome could not be found out.
    #[error(transparent)]
    OutcomeUnknown(anyhow::Error),
    /// An output file (report) could not be written.
    #[error(transparent)]
    Output(anyhow::Error),
    /// The load would overwrite values someone else wrote (or someone wrote during the load):
    /// nothing was written.
    #[error(transparent)]
    Conflicts(anyhow::Error),
}

/// Why an input cannot be loaded (exit 1, before any connection).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("could not read the input file {path}")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} could not be decoded: {detail}")]
    Undecodable { path: String, detail: String },
    #[error("{path} has {errors} error(s) and {warnings} warning(s); nothing was loaded and no transaction was opened")]
    Invalid {
        path: String,
        errors: usize,
        warnings: usize,
    },
}

/// Why qa-load will not do what was asked (exit 6); nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The database's schema history is not one this build may touch.
    #[error("{0}")]
    Schema(String),
    #[error("this database has no qa-load run history: nothing to roll back")]
    NoRunHistory,
    #[error("there is no committed load that changed something and is not rolled back already: nothing to roll back")]
    NothingToRollBack,
    #[error("there is no run {0} in this database")]
    NoSuchRun(String),
    #[error("run {0} is a rollback; to redo the load it undid, load the input again")]
    IsARollback(String),
    #[error("run {run} was already rolled back by run {by}")]
    AlreadyRolledBack { run: String, by: String },
    #[error("run {0} failed and was rolled back when it failed: it changed nothing, so there is nothing to undo")]
    RunFailed(String),
    #[error("run {0} was interrupted and never committed (its session ended first, and its transaction died with it): it changed nothing, so there is nothing to undo")]
    RunInterrupted(String),
    #[error("run {0} never committed (it is still running, or was interrupted and rolled back by the server)")]
    RunNotCommitted(String),
    #[error(
        "run {run} wrote the {layout} layout, not {ours}: roll it back with --layout {layout}"
    )]
    OtherLayout {
        run: String,
        layout: String,
        ours: String,
    },
    #[error("run {run} was made with schema version {was}, the database is now at {now}: its journal cannot be replayed exactly")]
    SchemaChangedSince { run: String, was: i32, now: i32 },
    #[error("later run(s) depend on run {run}: {}", later.join(", "))]
    LaterRunsDepend { run: String, later: Vec<String> },
    #[error("{} already exist{} without qa-load's record of creating {}: they are another program's{}, and qa-load will not write its own tables over them", tables.join(", "), if tables.len() == 1 { "s" } else { "" }, if tables.len() == 1 { "it" } else { "them" }, if *django { " (django_migrations is there: the directory backend's Django database; `--layout django` loads into its tables)" } else { "" })]
    TablesNotOurs { tables: Vec<String>, django: bool },
    #[error("the database's Django tables are not as this qa-load knows them ({} difference(s)): {}", differences.len(), differences.join("; "))]
    DjangoSchema { differences: Vec<String> },
    /// The input's rows cannot be matched to the database's unambiguously (two input rows on one
    /// row, a natural key on two rows, a name the backend keeps unique taken).
    #[error("the plan is refused: {0}")]
    Plan(String),
    #[error("{count} row(s) were changed since run {run} by something other than qa-load, so restoring its prior values would lose those changes: {list}")]
    RowsChangedSince {
        run: String,
        count: usize,
        list: String,
    },
}

impl Failure {
    fn of(stage: impl Into<String>, error: Error) -> Self {
        Failure {
            stage: stage.into(),
            error,
            hint: None,
        }
    }

    pub fn usage(stage: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Failure::of(stage, Error::Usage(anyhow::anyhow!("{message}")))
    }

    pub fn usage_error(stage: impl Into<String>, error: impl Into<anyhow::Error>) -> Self {
        Failure::of(stage, Error::Usage(error.into()))
    }

    pub fn input(stage: impl Into<String>, error: InputError) -> Self {
        Failure::of(stage, Error::Input(error))
    }

    pub fn unavailable(stage: impl Into<String>, error: impl Into<anyhow::Error>) -> Self {
        Failure::of(stage, Error::Unavailable(error.into()))
    }

    pub fn refused(stage: impl Into<String>, refusal: Refusal) -> Self {
        Failure::of(stage, Error::Refused(refusal))
    }

    pub fn write(stage: impl Into<String>, error: impl Into<anyhow::Error>) -> Self {
        Failure::of(stage, Error::WriteFailed(error.into()))
    }

    pub fn outcome_unknown(stage: impl Into<String>, error: impl Into<anyhow::Error>) -> Self {
        Failure::of(stage, Error::OutcomeUnknown(error.into()))
    }

    pub fn output(stage: impl Into<String>, error: impl Into<anyhow::Error>) -> Self {
        Failure::of(stage, Error::Output(error.into()))
    }

    pub fn conflicts(stage: impl Into<String>, error: impl Into<anyhow::Error>) -> Self {
        Failure::of(stage, Error::Conflicts(error.into()))
    }

    /// The exit code: the one place that decides it.
    pub fn exit(&self) -> Exit {
        match &self.error {
            Error::Usage(_) => Exit::Usage,
            Error::Input(_) => Exit::Invalid,
            Error::Unavailable(_) => Exit::Unavailable,
            Error::Refused(_) => Exit::Refused,
            Error::WriteFailed(_) => Exit::Failed,
            Error::OutcomeUnknown(_) => Exit::OutcomeUnknown,
            Error::Output(_) => Exit::Output,
            Error::Conflicts(_) => Exit::Conflicts,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The error and its causes, outermost first, each on its own.
    pub fn chain(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(&self.error);
        while let Some(cause) = next {
            let text = describe_error(cause);
            // tokio-postgres wraps a DbError as "db error" + source: keep only the useful one.
            if text != "db error" && !out.last().is_some_and(|prev| prev.ends_with(&text)) {
                out.push(text);
            }
            next = cause.source();
        }
        out
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed ({:?}): {}",
            self.stage,
            self.exit(),
            self.chain().join(": ")
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
            (Exit::Output, "outputFailed"),
            (Exit::Conflicts, "conflicts"),
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
