//! rerecord: re-record record/replay integration tests.
//!
//! `commands/` orchestrates; `github/` and `git/` are the narrow boundaries to the outside;
//! `actions` is the GitHub Actions runtime I/O; `neutralise` makes untrusted text inert wherever
//! it is shown; `artifact/` owns the manifest and zip safety.

pub(crate) mod actions;
pub mod artifact;
pub mod cli;
pub(crate) mod commands;
pub mod config;
pub(crate) mod connect;
pub(crate) mod error;
pub(crate) mod git;
pub mod github;
pub(crate) mod neutralise;
pub(crate) mod output;
pub(crate) mod paths;
pub(crate) mod provenance;
pub(crate) mod proxy;
pub(crate) mod recordings;
pub mod remotes;
pub mod review;
pub(crate) mod term;
pub(crate) mod tls;
pub mod token;
pub(crate) mod version;
pub(crate) mod workflow;

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::error::exit_code_for;

/// Parse `args`, run the command, print any error and return the exit code
/// (0 success, 1 failure, 2 usage error).
pub fn main_with_args(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => {
            for note in cli::deprecation_notes(&args) {
                output::note(&note);
            }
            cli
        }
        Err(err) => {
            // clap prints help/version on stdout (exit 0) and usage errors on stderr (exit 2).
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    let json = wants_json(&cli.command);
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            // Errors quote artifact entries, manifests and API text: defuse them for the log.
            let text = format!("{err:#}");
            eprintln!(
                "error: {}",
                neutralise::safe_lines(&git::without_internals(&text))
            );
            // Unless the command printed its own JSON report already: stdout stays one object.
            if json && !neutralise::json_made() {
                output::outln!("{}", error::json_object(&err));
            }
            ExitCode::from(exit_code_for(&err))
        }
    }
}

/// Whether the command was asked for `--json` (its failure is then a JSON object on stdout too).
fn wants_json(command: &Command) -> bool {
    match command {
        Command::Schedule(a) => a.output.json,
        Command::Commit(a) => a.output.json,
        Command::Fetch(a) => a.output.json,
        Command::Land(a) => a.output.json,
        Command::Doctor(a) => a.json,
        Command::Command(a) => a.output.json,
        Command::Report(a) => a.json || a.format == Some(cli::ReportFormat::Json),
        Command::Prune(a) => a.json,
        Command::Scan(a) => a.json,
        Command::Init(_) | Command::Completions { .. } | Command::Man { .. } => false,
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "rerecord",
                &mut output::stdout().lock(),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { dir: None } => {
            clap_mangen::Man::new(Cli::command()).render(&mut output::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { dir: Some(dir) } => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(Cli::command(), &dir)
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(args) => commands::report::run(&args),
        Command::Prune(args) => commands::prune::run(&args),
        Command::Scan(args) => Ok(commands::scan::run(&args)),
        Command::Init(args) => commands::init::run(&args),
        command => runtime()?.block_on(async move {
            match command {
                Command::Schedule(args) => commands::schedule::run(args).await,
                Command::Commit(args) => commands::commit::run(args).await,
                Command::Fetch(args) => commands::fetch::run(args).await,
                Command::Land(args) => commands::land::run(args).await,
                Command::Doctor(args) => commands::doctor::run(args).await,
                Command::Command(args) => commands::command::run(args).await,
                Command::Completions { .. }
                | Command::Man { .. }
                | Command::Report(_)
                | Command::Prune(_)
                | Command::Scan(_)
                | Command::Init(_) => unreachable!("handled above"),
            }
        }),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

#[cfg(test)]
pub(crate) mod test_support;
