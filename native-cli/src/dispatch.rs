//! The one place that dispatches: parses the command line, sets up logging and the runtime,
//! runs the command and turns its outcome into the exit code.

use std::path::PathBuf;

use crate::context::Ctx;
use crate::error::{Exit, Failure};
use crate::logging::{self, Verbosity};
use crate::opt::{parse, Command, SchemaCommand};

/// Entry point: parses arguments, runs the command, returns the exit code.
pub fn main() -> i32 {
    let cli = match parse(std::env::args_os()) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let verbosity = Verbosity(if cli.global.quiet {
        -1
    } else {
        cli.global.verbose.min(3) as i8
    });
    let writes = matches!(
        cli.command,
        None | Some(Command::Rollback(_)) | Some(Command::Schema(SchemaCommand::Apply { .. }))
    );
    let log_file = if cli.global.no_log_file {
        None
    } else {
        cli.global.log_file.clone().or_else(|| {
            writes.then(|| {
                PathBuf::from(format!(
                    "migration-{}.log",
                    crate::db::runid::file_timestamp()
                ))
            })
        })
    };
    let log_path = match logging::init(verbosity, log_file.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("qa-load: {e:#}");
            return Exit::Usage.code();
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("qa-load: could not start the async runtime: {e}");
            return Exit::Failed.code();
        }
    };
    let ctx = Ctx {
        global: &cli.global,
        verbosity,
        log_path: log_path.clone(),
    };
    tracing::info!(target: "qa_load::cli", version = env!("CARGO_PKG_VERSION"), command = command_name(&cli.command), "qa-load started");
    let result = runtime.block_on(async {
        match &cli.command {
            None => crate::commands::load::run(&ctx, &cli.load).await,
            Some(Command::Schema(SchemaCommand::Apply { to_version, wait })) => {
                crate::commands::schema::apply(&ctx, *to_version, *wait).await
            }
            Some(Command::Schema(SchemaCommand::Status { json })) => {
                crate::commands::schema::status(&ctx, *json).await
            }
            Some(Command::Rollback(args)) => crate::commands::rollback::run(&ctx, args).await,
            Some(Command::History(args)) => crate::commands::history::run(&ctx, args).await,
            Some(Command::Verify(args)) => crate::commands::verify::run(&ctx, args).await,
        }
    });
    let code = match result {
        Ok(exit) => exit,
        Err(failure) => report_failure(&failure, log_path.as_deref()),
    };
    tracing::info!(target: "qa_load::cli", exit = code.code(), "qa-load finished");
    code.code()
}

fn command_name(c: &Option<Command>) -> &'static str {
    match c {
        None => "load",
        Some(Command::Schema(SchemaCommand::Apply { .. })) => "schema apply",
        Some(Command::Schema(SchemaCommand::Status { .. })) => "schema status",
        Some(Command::Rollback(_)) => "rollback",
        Some(Command::History(_)) => "history",
        Some(Command::Verify(_)) => "verify",
    }
}

/// Prints a failure on stderr and logs it with its cause chain.
pub fn report_failure(f: &Failure, log: Option<&std::path::Path>) -> Exit {
    let chain = f.chain();
    tracing::error!(
        target: "qa_load::failure",
        stage = %f.stage,
        exit = f.exit().code(),
        causes = %chain.join(" <- "),
        hint = f.hint.as_deref().unwrap_or(""),
        "{} failed", f.stage
    );
    logging::error(&f.to_string());
    if let Some(log) = log {
        logging::note(&format!("log: {}", log.display()));
    }
    f.exit()
}
