//! Logs and console output.
//!
//! - The log file (`--log-file`, default `migration-<timestamp>.log` for commands that write)
//!   gets every event at info and above (debug with `-vv`): each migrated entity with its source
//!   id and UUID, each batch, errors with their cause chain and stage.
//! - The console (stderr) shows warnings and errors by default, info with `-v`, debug with
//!   `-vv`, errors only with `-q`. Results (summaries, plans, reports) go to stdout.
//! - A progress bar on a terminal, plain lines otherwise; log lines printed while the bar is
//!   drawn suspend it so they do not tear.
//!
//! No connection string is ever logged; databases are described by [`crate::db::conn::Database::describe`].

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Console verbosity: -1 quiet, 0 default, 1 `-v`, 2+ `-vv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verbosity(pub i8);

impl Verbosity {
    pub fn quiet(self) -> bool {
        self.0 < 0
    }
}

/// Writes to stderr, suspending the progress bar while it does.
pub struct Console;

impl Write for Console {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        with_bar_suspended(|| std::io::stderr().write_all(buf))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

fn with_bar_suspended<R>(f: impl FnOnce() -> R) -> R {
    let bar = BAR.lock().ok().and_then(|b| b.clone());
    match bar {
        Some(b) => b.suspend(f),
        None => f(),
    }
}

/// A message for the person at the console (stderr); silenced by `-q`.
pub fn note(msg: &str) {
    if QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    with_bar_suspended(|| {
        let _ = writeln!(std::io::stderr(), "qa-load: {msg}");
    });
}

/// An error for the console (stderr), shown even with `-q`.
pub fn error(msg: &str) {
    with_bar_suspended(|| {
        let _ = writeln!(std::io::stderr(), "qa-load: error: {msg}");
    });
}

/// Sets up logging. Returns the log file's path when there is one.
pub fn init(verbosity: Verbosity, log_file: Option<&Path>) -> Result<Option<PathBuf>> {
    QUIET.store(verbosity.quiet(), std::sync::atomic::Ordering::Relaxed);
    let console_level = match verbosity.0 {
        i8::MIN..=-1 => LevelFilter::ERROR,
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        _ => LevelFilter::DEBUG,
    };
    // The validation diagnostics are summarised on the console; listed one by one with -v.
    let diagnostics_level = if verbosity.0 >= 1 {
        LevelFilter::WARN
    } else {
        LevelFilter::OFF
    };
    let console = tracing_subscriber::fmt::layer()
        .with_writer(|| Console)
        .without_time()
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(
            Targets::new()
                .with_target("qa_load", console_level)
                .with_target("qa_load::diagnostics", diagnostics_level)
                // Failures are printed by the command itself; logged to the file only.
                .with_target("qa_load::failure", LevelFilter::OFF),
        );

    let (file_layer, path) = match log_file {
        None => (None, None),
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("could not create the log directory {}", dir.display())
                })?;
            }
            let file = File::options()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("could not open the log file {}", path.display()))?;
            let level = if verbosity.0 >= 2 {
                LevelFilter::DEBUG
            } else {
                LevelFilter::INFO
            };
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(Mutex::new(file))
                .with_ansi(false)
                .with_target(true)
                .with_filter(Targets::new().with_target("qa_load", level));
            (Some(layer), Some(path.to_path_buf()))
        }
    };
    tracing_subscriber::registry()
        .with(console)
        .with(file_layer)
        .try_init()
        .context("could not set up logging")?;
    Ok(path)
}

/// Progress after each batch: a bar on a terminal, a plain line otherwise, nothing with `-q`.
pub struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    total: u64,
    done: std::cell::Cell<u64>,
}

impl Progress {
    pub fn new(total: u64, verbosity: Verbosity, label: &str) -> Progress {
        if verbosity.quiet() {
            return Progress {
                bar: None,
                plain: false,
                total,
                done: 0.into(),
            };
        }
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{prefix} [{bar:30.cyan/blue}] {pos}/{len} batches {elapsed_precise} {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(label.to_string());
            // Keeps the elapsed time moving during a long statement.
            bar.enable_steady_tick(std::time::Duration::from_millis(250));
            if let Ok(mut b) = BAR.lock() {
                *b = Some(bar.clone());
            }
            Progress {
                bar: Some(bar),
                plain: false,
                total,
                done: 0.into(),
            }
        } else {
            Progress {
                bar: None,
                plain: true,
                total,
                done: 0.into(),
            }
        }
    }

    /// One batch done.
    pub fn step(&self, msg: &str) {
        self.done.set(self.done.get() + 1);
        if let Some(bar) = &self.bar {
            bar.set_message(msg.to_string());
            bar.inc(1);
        } else if self.plain {
            let _ = writeln!(
                std::io::stderr(),
                "qa-load: batch {}/{}: {msg}",
                self.done.get(),
                self.total
            );
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            if let Ok(mut b) = BAR.lock() {
                *b = None;
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
