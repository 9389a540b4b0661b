//! Benchmark: `rerecord schedule` against the fake GitHub with 100 ms of latency per request.
//!
//! Prints, per scenario and dispatch mode, the sequential round trips on the critical path
//! (requests that overlap in time count as one round), the number of requests and the wall
//! time. Goal (issue 10): 2 rounds including the dispatch when the upstream is known, in both
//! modes (head: the Sep 2025 - Mar 2026 llama-stack workflow, dispatched on the fork's branch;
//! upstream: the 2026 workflow, which takes `pr_number`), 3 when the upstream is discovered from
//! origin's parent; the old shell script makes at least 5 sequential `gh` calls, each a new
//! process.
//!
//! Run: `cargo bench --bench schedule`

#[path = "../tests/it/support/fake_github/mod.rs"]
#[allow(dead_code)]
mod fake_github;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fake_github::{FakeGitHub, PrSpec, TOKEN, critical_path};

const LATENCY: Duration = Duration::from_millis(100);
const HEAD_MODE: &str = include_str!("../tests/fixtures/workflows/llama-stack-2025-09b.yml");
const UPSTREAM_MODE: &str = include_str!("../tests/fixtures/workflows/llama-stack-2026.yml");
const RUNS: usize = 5;

fn main() {
    println!(
        "rerecord schedule, {} ms latency per request, median of {RUNS} runs",
        LATENCY.as_millis()
    );
    println!(
        "{:<44} {:<9} {:>7} {:>9} {:>10}",
        "scenario", "mode", "rounds", "requests", "wall"
    );
    for (label, remotes, extra) in [
        (
            "upstream known (`upstream` remote)",
            &["origin", "upstream"][..],
            &[][..],
        ),
        (
            "upstream known (--upstream)",
            &["origin"][..],
            &["--upstream", "meta/llama-stack"][..],
        ),
        (
            "upstream discovered from origin's parent",
            &["origin"][..],
            &[][..],
        ),
    ] {
        for (mode, workflow) in [("head", HEAD_MODE), ("upstream", UPSTREAM_MODE)] {
            let mut samples = Vec::new();
            for _ in 0..RUNS {
                samples.push(measure(remotes, extra, workflow));
            }
            samples.sort_by_key(|s| s.2);
            let (rounds, requests, wall) = samples[RUNS / 2];
            println!(
                "{label:<44} {mode:<9} {rounds:>7} {requests:>9} {:>8.0}ms",
                wall.as_secs_f64() * 1000.0
            );
        }
    }
    println!(
        "goal: 2 rounds with a known upstream in both modes, 3 when discovered; old script: >= 5 sequential gh processes"
    );
}

fn measure(remotes: &[&str], extra: &[&str], workflow: &str) -> (usize, usize, Duration) {
    let fake = FakeGitHub::start();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q", "-b", "feature-x"]);
    git(repo, &["commit", "-q", "--allow-empty", "-m", "init"]);
    let head = git(repo, &["rev-parse", "HEAD"]);
    fake.add_repo("meta/llama-stack");
    fake.add_fork("me/llama-stack", "meta/llama-stack");
    fake.set_branch("me/llama-stack", "feature-x", &head);
    for (repo, git_ref) in [
        ("me/llama-stack", "main"),
        ("me/llama-stack", "feature-x"),
        ("meta/llama-stack", "main"),
    ] {
        fake.set_branch(repo, git_ref, &head);
        fake.set_file(
            repo,
            git_ref,
            ".github/workflows/record-integration-tests.yml",
            workflow,
        );
    }
    for repo in ["me/llama-stack", "meta/llama-stack"] {
        fake.add_workflow(repo, "record-integration-tests.yml", "active");
    }
    fake.add_pr(PrSpec::open(
        "meta/llama-stack",
        "me/llama-stack",
        "feature-x",
        &head,
    ));
    for name in remotes {
        let target = if *name == "origin" {
            "me/llama-stack"
        } else {
            "meta/llama-stack"
        };
        git(
            repo,
            &[
                "remote",
                "add",
                name,
                &format!("{}/{target}.git", fake.url()),
            ],
        );
    }
    fake.set_latency(LATENCY);
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_rerecord"))
        .args([
            "schedule",
            "--api-url",
            &fake.url(),
            "--test-subdirs",
            "agents",
        ])
        .args(extra)
        .current_dir(repo)
        .env("GH_TOKEN", TOKEN)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_API_URL")
        .output()
        .unwrap();
    let wall = start.elapsed();
    assert!(
        out.status.success(),
        "schedule failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let requests = fake.requests();
    (critical_path(&requests), requests.len(), wall)
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "B")
        .env("GIT_AUTHOR_EMAIL", "b@example.com")
        .env("GIT_COMMITTER_NAME", "B")
        .env("GIT_COMMITTER_EMAIL", "b@example.com")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
