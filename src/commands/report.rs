//! `rerecord report`: the recordings report of this checkout's changes (work tree against HEAD
//! or `--base REV`), as Markdown on stdout (ready for `$GITHUB_STEP_SUMMARY`) or `--json`.

use std::process::ExitCode;

use anyhow::Context;

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
        crate::output::outln!("{}", crate::actions::json_line(&report)?);
    } else if report.is_empty() {
        crate::output::outln!(
            "No recording changed against {}.",
            args.base.as_deref().unwrap_or("HEAD")
        );
    } else {
        crate::output::out!(
            "{}",
            report.to_markdown(SUMMARY_LIMIT, "pass `--json` for all of them.")
        );
    }
    Ok(ExitCode::SUCCESS)
}
