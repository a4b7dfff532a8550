//! The command-line application: the only layer that reads files, prints and exits.
//!
//! This module is the dispatcher. [`main_with_args`] parses the command line ([`cli`]), checks
//! the flags every command shares once, by one rule each, and builds the worker pool once
//! ([`settings`]); then [`dispatch`] hands each command to the module that does it. Every
//! error is an [`AppError`], whose kind chooses the exit code: 0 ok, 1 the run failed, 2 bad
//! input (a missing file, a scenario that does not validate, a bad flag, an `--out` that is
//! not ours), 130 interrupted by SIGINT or SIGTERM ([`interrupt`]). Every command that writes
//! goes through one staging path ([`staging`]), so nothing is written on failure.

pub mod check;
pub mod cli;
pub mod compare;
pub mod docs;
pub mod error;
pub mod files;
pub mod import;
pub mod import903;
pub mod init;
pub mod interrupt;
pub mod output;
pub mod pilot;
pub mod redraw;
pub mod reproduce;
pub mod run;
pub mod serve;
pub mod settings;
pub mod shard;
pub mod staging;
pub mod stdout;

use clap::Parser;

pub use cli::{Cli, Command, Format, OutputArgs, RunArgs};
pub use error::{AppError, EXIT_BAD_INPUT, EXIT_RUN_FAILED};
pub(crate) use files::load_scenario_text;
pub use files::{load_scenario, read_text, write_atomically};
pub use run::{RunOutcome, run_command};
pub use settings::MAX_CHILD_PATHS;

/// Parses arguments, runs, and returns the process exit code.
pub fn main_with_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_BAD_INPUT } else { 0 };
            e.print().ok();
            return code;
        }
    };
    match dispatch(cli) {
        Ok(()) => 0,
        Err(e) => {
            // A signal's handler removes the staging folder under a running writer, whose
            // error is then only a symptom: let the handler report and exit with 130.
            if interrupt::requested() {
                loop {
                    std::thread::park();
                }
            }
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

/// Runs one command.
fn dispatch(cli: Cli) -> Result<(), AppError> {
    // Flags are checked once, before any work, and the worker pool is built once.
    let threads = settings::install_pool(settings::threads(cli.command.threads())?);
    match cli.command {
        Command::Run(args) => match args.shard {
            Some(spec) => shard::run_shard_command(&args, spec, threads),
            None if args.checkpoint => shard::run_checkpointed(&args, threads).map(|_| ()),
            None => run_command(&args, threads).map(|_| ()),
        },
        Command::Merge(args) => shard::merge_command(&args, threads),
        Command::Pilot(args) => pilot::pilot_command(&args),
        Command::Import903(args) => import903::command(&args),
        Command::Validate { files } => check::validate(&files),
        Command::Init { file, force } => init::write(file.as_deref(), force),
        Command::Report { dir } => redraw::redraw_report(&dir),
        Command::Compare { a, b, out } => compare::compare_command(&a, &b, out.as_deref()),
        Command::ImportDfe { file, year, template, out, suppressed, force } => {
            import::command(&file, year, &template, &out, suppressed, force)
        }
        Command::Breakeven { file, seed } => check::breakeven(&file, seed),
        Command::Tornado { file, top, seed } => check::tornado(&file, top, seed),
        Command::Serve { file, port, host } => serve::command(&file, &host, port),
        Command::Reproduce { format, external, out, iterations, threads: _ } => {
            reproduce::command(format, external, out.as_deref(), iterations)
        }
    }
}
