//! The embedded demo: the whole rerecord cycle on a machine without GitHub.
//!
//! Starts the fake GitHub used by the tests and a local smart-HTTP git server (upstream
//! `meta/llama-stack`, a contributor fork `me/llama-stack` with an open PR), then runs each step
//! as it happens for real: `schedule` on the laptop, a record job staging the changed recordings
//! with `commit`, the upload, `land` pushing them onto the fork PR's branch, `fetch` applying the
//! same run's recordings to another checkout, and `report` (see `demo/cycle.rs`). The demo runs
//! rerecord as a child process of itself (`--as-rerecord`), so it exercises exactly the code the
//! binary runs.

#[path = "../tests/it/support/fake_github/mod.rs"]
#[allow(dead_code)]
mod fake_github;
#[path = "../tests/it/support/http_git.rs"]
#[allow(dead_code)]
mod http_git;
#[path = "../tests/it/support/tls.rs"]
#[allow(dead_code)]
mod tls;

#[path = "demo/cycle.rs"]
// The outcome is for the demo's test (tests/it/demo.rs); the demo prints it as it goes.
#[allow(dead_code)]
mod cycle;

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let _ = args.next();
    if args.next().is_some_and(|a| a == "--as-rerecord") {
        return rerecord::main_with_args(std::iter::once("rerecord".into()).chain(args));
    }
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("demo failed: no temporary directory: {e}");
            return ExitCode::FAILURE;
        }
    };
    let rerecord = || {
        let mut cmd = Command::new(std::env::current_exe().expect("the demo's own path"));
        cmd.arg("--as-rerecord");
        cmd
    };
    match cycle::run(dir.path(), &rerecord) {
        Ok(outcome) => {
            println!(
                "\n== done: the recordings are on {}:{} (commit {}, on the PR head {}) and in the \
                 fetched checkout.",
                cycle::FORK,
                cycle::BRANCH,
                &outcome.landed[..12],
                &outcome.head[..12]
            );
            println!(
                "   Everything ran in {} (deleted on exit).",
                dir.path().display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}
