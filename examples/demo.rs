//! The embedded demo: `rerecord schedule` end to end, on a machine without GitHub.
//!
//! Starts the fake GitHub used by the tests (upstream `meta/llama-stack`, a contributor fork
//! `me/llama-stack` with an open PR), makes a temporary checkout on branch `feature-x` whose
//! remotes point at it, and runs `rerecord schedule` there: PR detection, fork routing,
//! workflow validation, dispatch and `--watch`; then the upstream switches to the newest
//! llama-stack workflow (which takes `pr_number`), and `doctor` and `schedule` dispatch in the
//! upstream instead. The demo runs rerecord as a child process of itself (`--as-rerecord`), so
//! it exercises exactly the code the binary runs.

#[path = "../tests/it/support/fake_github/mod.rs"]
#[allow(dead_code)]
mod fake_github;

use std::path::Path;
use std::process::{Command, ExitCode};

use fake_github::{FakeGitHub, PrSpec, TOKEN};

/// The Sep 2025 - Mar 2026 era: dispatched on the PR branch, in the PR's head repository.
const WORKFLOW: &str = include_str!("../tests/fixtures/workflows/llama-stack-2025-09b.yml");
/// The 2026 era: dispatched in the upstream with the PR's number.
const NEWEST: &str = include_str!("../tests/fixtures/workflows/llama-stack-2026.yml");

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let _ = args.next();
    if args.next().is_some_and(|a| a == "--as-rerecord") {
        return rerecord::main_with_args(std::iter::once("rerecord".into()).chain(args));
    }
    match demo() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn demo() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let fake = FakeGitHub::start();
    let dir = tempfile::tempdir()?;
    let repo = dir.path();
    git(repo, &["init", "-q", "-b", "feature-x"])?;
    std::fs::create_dir_all(repo.join("tests/integration/agents/recordings"))?;
    std::fs::write(
        repo.join("tests/integration/agents/recordings/abc123.json"),
        "{}\n",
    )?;
    git(repo, &["add", "."])?;
    git(repo, &["commit", "-q", "-m", "test: new agent test"])?;
    let head = git(repo, &["rev-parse", "HEAD"])?;
    git(
        repo,
        &[
            "remote",
            "add",
            "origin",
            &format!("{}/me/llama-stack.git", fake.url()),
        ],
    )?;
    git(
        repo,
        &[
            "remote",
            "add",
            "upstream",
            &format!("{}/meta/llama-stack.git", fake.url()),
        ],
    )?;

    fake.add_repo("meta/llama-stack");
    fake.add_fork("me/llama-stack", "meta/llama-stack");
    for r in ["meta/llama-stack", "me/llama-stack"] {
        fake.set_branch(r, "main", &head);
        fake.add_workflow(r, "record-integration-tests.yml", "active");
        fake.set_file(
            r,
            "main",
            ".github/workflows/record-integration-tests.yml",
            WORKFLOW,
        );
    }
    fake.set_branch("me/llama-stack", "feature-x", &head);
    fake.set_file(
        "me/llama-stack",
        "feature-x",
        ".github/workflows/record-integration-tests.yml",
        WORKFLOW,
    );
    let pr = fake.add_pr(PrSpec::open(
        "meta/llama-stack",
        "me/llama-stack",
        "feature-x",
        &head,
    ));
    fake.set_run_progress(2, "success");

    println!(
        "== demo: a fake GitHub at {} with meta/llama-stack, your fork me/llama-stack and PR #{pr}",
        fake.url()
    );
    println!(
        "== checkout {} on feature-x (origin = fork, upstream = meta)\n",
        repo.display()
    );

    let steps: [&[&str]; 4] = [
        &[
            "schedule",
            "--test-subdirs",
            "agents,inference",
            "--dry-run",
        ],
        &["schedule", "--test-subdirs", "agents,inference", "--watch"],
        &["doctor"],
        &["schedule", "-s", "agents", "--providers", "gpt"],
    ];
    for (i, args) in steps.into_iter().enumerate() {
        if i == 2 {
            println!(
                "== meta/llama-stack's main now has the newest workflow (it takes pr_number)\n"
            );
            fake.set_file(
                "meta/llama-stack",
                "main",
                ".github/workflows/record-integration-tests.yml",
                NEWEST,
            );
        }
        println!("$ rerecord {}", args.join(" "));
        let status = Command::new(std::env::current_exe()?)
            .arg("--as-rerecord")
            .args(args)
            .arg("--api-url")
            .arg(fake.url())
            .current_dir(repo)
            .env("GH_TOKEN", TOKEN)
            .env("RERECORD_POLL_SCALE", "0.05")
            .env_remove("GITHUB_TOKEN")
            .env_remove("GITHUB_API_URL")
            .status()?;
        println!();
        if !status.success() {
            return Ok(ExitCode::FAILURE);
        }
    }
    let requests = fake.requests();
    println!(
        "== the fake GitHub saw {} requests; the runs:",
        requests.len()
    );
    for repo in ["me/llama-stack", "meta/llama-stack"] {
        for run in fake.runs(repo) {
            println!(
                "   {repo} run {} on {} ({:?} {:?}) inputs {}",
                run.id, run.head_branch, run.status, run.conclusion, run.inputs
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn git(dir: &Path, args: &[&str]) -> Result<String, Box<dyn std::error::Error>> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Demo")
        .env("GIT_AUTHOR_EMAIL", "demo@example.com")
        .env("GIT_COMMITTER_NAME", "Demo")
        .env("GIT_COMMITTER_EMAIL", "demo@example.com")
        .output()?;
    if !out.status.success() {
        return Err(format!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}
