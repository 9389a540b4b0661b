//! `rerecord report`: the recordings report of this checkout's changes (work tree against HEAD
//! or `--base REV`), as Markdown on stdout (ready for `$GITHUB_STEP_SUMMARY`) or `--json`;
//! either way no text of a recording can act as a workflow command or terminal escape.

use std::process::ExitCode;

use anyhow::Context;

use crate::actions::{safe_markdown_lines, safe_text};
use crate::cli::ReportArgs;
use crate::config::Config;
use crate::git::GitRepo;
use crate::review::hooks::{self, SUMMARY_LIMIT};

pub fn run(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("failed to read the current directory")?;
    let repo = GitRepo::discover(&cwd)?;
    let config = Config::load(&repo.workdir()?)?;
    let report = hooks::checkout_report(&repo, &config, args.base.as_deref())?;
    if args.json {
        println!("{}", crate::actions::json_line(&report)?);
    } else if report.is_empty() {
        println!(
            "No recording changed against {}.",
            safe_text(args.base.as_deref().unwrap_or("HEAD"))
        );
    } else {
        // Test ids, paths and values are the recordings' text, and this is often a job's log.
        print!(
            "{}",
            safe_markdown_lines(
                &report.to_markdown(SUMMARY_LIMIT, "pass `--json` for all of them.")
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}
