//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};

use crate::duration::parse_duration;
use crate::layout::LayoutName;
use crate::plan::conflicts::OnConflict;
use crate::plan::OnExisting;

/// The codes of the shared table that qa-load returns (8 is qad-migrate's alone).
const QA_LOAD_CODES: &[i32] = &[0, 1, 2, 3, 4, 5, 6, 7, 9];

const DATABASE_HELP: &str = "\
Database: --database, else DATABASE_URL, else the libpq PG* variables (PGHOST, PGPORT,
PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGSSLROOTCERT, ~/.pgpass). sslmode as libpq:
require encrypts without verifying; verify-ca / verify-full verify against sslrootcert or
--root-cert. Passwords are never printed or logged.";

/// `--help`'s closing text: the exit codes, from qad-core's table, and where the database is.
fn after_help() -> String {
    let mut out = String::from("Exit codes:\n");
    for (_, code, meaning) in qad_core::exit_codes::ALL {
        if QA_LOAD_CODES.contains(code) {
            out.push_str(&format!("  {code}  {meaning}\n"));
        }
    }
    out.push('\n');
    out.push_str(DATABASE_HELP);
    out
}

#[derive(Debug, Parser)]
#[command(
    name = "qa-load",
    version,
    about = "Load a validated Quran Apps Directory dataset (apps.json) into PostgreSQL, in one transaction.",
    long_about = "Load a validated Quran Apps Directory dataset (apps.json) into PostgreSQL, in one transaction.\n\n\
Without a subcommand, loads --input: extract (read the file) -> transform -> validate (exit 1 on \
errors, before any connection) -> load. The load applies the schema when missing or behind, takes \
the migration lock, writes developers and categories, then apps in batches, then links and \
screenshots, checks what it wrote by reading it back, and commits only if everything passed. \
Existing rows are found by natural key and updated only where they differ, so re-running the same \
file changes nothing. Every run is recorded with a journal that `qa-load rollback` replays backwards.",
    after_help = after_help(),
    subcommand_negates_reqs = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(flatten)]
    pub load: LoadArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// PostgreSQL connection string (URL or key=value); default DATABASE_URL, then PG* variables
    #[arg(long, global = true, value_name = "URL", help_heading = "Database")]
    pub database: Option<String>,

    /// Root certificate(s) (PEM) to verify the server against; overrides sslrootcert
    #[arg(long, global = true, value_name = "FILE", help_heading = "Database")]
    pub root_cert: Option<PathBuf>,

    /// Whole-run time limit: cancels the statement in flight and rolls back (e.g. 90s, 5m)
    #[arg(long, global = true, value_name = "DURATION", default_value = "5m", value_parser = parse_duration, help_heading = "Database")]
    pub timeout: Duration,

    /// Log file [default for load, rollback, schema apply: migration-<timestamp>.log]
    #[arg(long, global = true, value_name = "FILE", help_heading = "Output")]
    pub log_file: Option<PathBuf>,

    /// Write no log file
    #[arg(
        long,
        global = true,
        conflicts_with = "log_file",
        help_heading = "Output"
    )]
    pub no_log_file: bool,

    /// More console output: -v info (every entity), -vv debug
    #[arg(short, long, global = true, action = ArgAction::Count, conflicts_with = "quiet", help_heading = "Output")]
    pub verbose: u8,

    /// Errors only on the console (no progress)
    #[arg(short, long, global = true, help_heading = "Output")]
    pub quiet: bool,

    /// The tables to write or read: `qa-load` (qa-load's own) or `django` (the directory
    /// backend's). Default: detected from the database (django when the backend's tables and
    /// its migration records are there), and said.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "LAYOUT",
        help_heading = "Layout"
    )]
    pub layout: Option<LayoutName>,

    /// The django layout: the backend's `R2_PUBLIC_URL`. Image paths are stored relative to
    /// it (as the backend stores them), and an image URL outside it is an error.
    #[arg(long, global = true, value_name = "URL", help_heading = "Layout")]
    pub media_base_url: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct LoadArgs {
    /// The dataset to load: an apps.json from `qad-migrate extract` (or a JSON array of app records); - for stdin
    #[arg(short, long, value_name = "FILE", required = true)]
    pub input: Option<String>,

    /// Map an app category key to an exported category (merged into the input's aliases), e.g. other=tools
    #[arg(long, value_name = "FROM=TO")]
    pub alias: Vec<String>,

    /// Load even though records carry a value in this unknown field, which is then not loaded
    /// (merged into the input's list; repeatable)
    #[arg(long, value_name = "NAME")]
    pub ignore_field: Vec<String>,

    /// Apps per batch (also developers, categories, and the apps whose links and screenshots share a batch)
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,

    /// What to do with rows that already exist (found by natural key)
    #[arg(long, value_enum, value_name = "MODE", default_value_t = OnExisting::Update)]
    pub on_existing: OnExisting,

    /// What to do with a conflict (a value someone else wrote, or one qa-load never wrote, that
    /// the file would overwrite) that no decision of --decisions covers: refuse the load (exit
    /// 10, nothing written), keep the database's value, or write the file's
    #[arg(long, value_enum, value_name = "CHOICE", default_value_t = OnConflict::Refuse)]
    pub on_conflict: OnConflict,

    /// Decisions per row or field (JSON; see README, "When the database was changed by someone
    /// else"): they override --on-conflict for the conflicts they name
    #[arg(long, value_name = "FILE")]
    pub decisions: Option<PathBuf>,

    /// When the load finds conflicts, also write them to FILE in the decisions format (each
    /// decided "database", for a person to review and change), to pass back with --decisions
    #[arg(long, value_name = "FILE")]
    pub write_decisions: Option<PathBuf>,

    /// Change nothing: without a database, validate and print the plan; with one, run the whole
    /// load in a transaction that is always rolled back and print what a real run would do
    #[arg(long)]
    pub dry_run: bool,

    /// Wait for the migration lock instead of failing when another run holds it
    #[arg(long)]
    pub wait: bool,

    /// Run pg_dump into FILE before loading (custom format; plain SQL if FILE ends in .sql)
    #[arg(long, value_name = "FILE")]
    pub backup: Option<PathBuf>,

    /// Also write the validation report to FILE (JSON if it ends in .json, else Markdown)
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Print the summary as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply or inspect the database schema qa-load owns (versioned, with a history table)
    #[command(subcommand)]
    Schema(SchemaCommand),

    /// Restore the database to exactly its state before a run, in one transaction
    #[command(
        after_help = "The run's journal (rows inserted, prior values of rows updated or deleted) is replayed \
backwards and the result checked row by row. Refused (exit 6) when a later run that is not rolled back \
touched or references the same rows (roll that one back first), or when rows were changed since by \
something other than qa-load (--force overrides only the latter)."
    )]
    Rollback(RollbackArgs),

    /// List recorded runs (loads and rollbacks), newest first
    History(HistoryArgs),

    /// Compare the input with the database, field by field; exit 4 on any difference
    #[command(
        after_help = "Checks: row counts per table; every field of every developer, category and app \
(matched by natural key); app-category links; screenshots and their order; foreign keys and orphans. \
Writes a Markdown and a JSON report."
    )]
    Verify(VerifyArgs),
}

#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Apply the pending schema versions (loads do this on their own when needed)
    Apply {
        /// Apply the layout's own versions up to this one only (`--target`, its old name, still works)
        #[arg(long = "to-version", alias = "target", value_name = "VERSION")]
        to_version: Option<i32>,
        /// Wait for the migration lock instead of failing
        #[arg(long)]
        wait: bool,
    },
    /// Show applied and pending schema versions
    Status {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).multiple(false).args(["last", "run"])))]
pub struct RollbackArgs {
    /// Roll back the most recent committed load that changed something and is not yet rolled back
    /// (a re-run that changed nothing has nothing to undo, so it is passed over)
    #[arg(long)]
    pub last: bool,

    /// Roll back this run (see `qa-load history`)
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,

    /// Roll back even though rows were changed since by something other than qa-load
    #[arg(long)]
    pub force: bool,

    /// Do the whole rollback, checks included, in a transaction that is rolled back; print what it would restore
    #[arg(long)]
    pub dry_run: bool,

    /// Wait for the migration lock instead of failing
    #[arg(long)]
    pub wait: bool,

    /// Print the summary as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// How many runs to list
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: i64,

    /// Show one run field by field, from its journal: each row it inserted, updated (before ->
    /// after), deleted or adopted, and the conflicts it settled
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,

    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The dataset to compare with the database (as for a load); - for stdin
    #[arg(short, long, value_name = "FILE")]
    pub input: String,

    /// Map an app category key to an exported category, as for the load
    #[arg(long, value_name = "FROM=TO")]
    pub alias: Vec<String>,

    /// An unknown field whose values are not loaded, as for the load (repeatable)
    #[arg(long, value_name = "NAME")]
    pub ignore_field: Vec<String>,

    /// Markdown report [default: verify-<timestamp>.md]
    #[arg(long, value_name = "FILE")]
    pub report_md: Option<PathBuf>,

    /// JSON report [default: verify-<timestamp>.json]
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
}

/// Parses the command line; load options given together with a subcommand are a usage error.
pub fn parse<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::CommandFactory;
    let cli = Cli::try_parse_from(args)?;
    if cli.command.is_some() {
        let l = &cli.load;
        if l.input.is_some()
            || !l.alias.is_empty()
            || !l.ignore_field.is_empty()
            || l.dry_run
            || l.wait
            || l.backup.is_some()
            || l.report.is_some()
            || l.json
            || l.batch_size != 10
            || l.on_existing != OnExisting::Update
            || l.on_conflict != OnConflict::Refuse
            || l.decisions.is_some()
            || l.write_decisions.is_some()
        {
            return Err(Cli::command().error(
                clap::error::ErrorKind::ArgumentConflict,
                "load options (--input, --dry-run, --batch-size, ...) go without a subcommand; \
                 give subcommand options after the subcommand, e.g. `qa-load verify --input FILE`",
            ));
        }
    }
    Ok(cli)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn load_is_the_default_and_subcommands_take_global_options() {
        let c = parse([
            "qa-load",
            "--input",
            "a.json",
            "--dry-run",
            "--batch-size",
            "50",
        ])
        .unwrap();
        assert!(c.command.is_none());
        assert_eq!(c.load.batch_size, 50);
        let c = parse([
            "qa-load",
            "verify",
            "--input",
            "a.json",
            "--database",
            "postgres://x",
        ])
        .unwrap();
        assert!(matches!(c.command, Some(Command::Verify(_))));
        assert_eq!(c.global.database.as_deref(), Some("postgres://x"));
        let c = parse(["qa-load", "--timeout", "90s", "rollback", "--last"]).unwrap();
        assert_eq!(c.global.timeout, Duration::from_secs(90));
        assert!(parse(["qa-load"]).is_err());
        assert!(parse(["qa-load", "rollback"]).is_err());
        assert!(parse(["qa-load", "rollback", "--last", "--run", "x"]).is_err());
        assert!(parse(["qa-load", "rollback", "--last", "--json", "--force", "--wait"]).is_ok());
        assert!(parse(["qa-load", "--input", "a", "--batch-size", "0"]).is_err());
        let e = parse(["qa-load", "--input", "a", "history"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }
}
