//! The laptop side: gh's token for the API's host, a local branch tracking another name, a
//! watch that outlives an API outage, and the round trips on the critical path.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use super::support::cmd::rerecord;
use super::support::fake_github::*;
use super::*;

const NEWEST: &str = include_str!("../../fixtures/workflows/llama-stack-2026.yml");
const SEP_2025_MAR_2026: &str = include_str!("../../fixtures/workflows/llama-stack-2025-09b.yml");

/// A `gh` on PATH that answers `auth token --hostname HOST` for one host only.
fn fake_gh(dir: &Path, host: &str) {
    let script = format!(
        "#!/bin/sh\nif [ \"$*\" = \"auth token --hostname {host}\" ]; then echo {TOKEN}; exit 0; fi\necho \"gh: no token for: $*\" >&2\nexit 1\n"
    );
    let path = dir.join("gh");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn schedule_asks_gh_for_the_token_of_the_api_host() {
    let w = World::new();
    w.fork_pr();
    let bin = tempfile::tempdir().unwrap();
    let with_gh = |host: &str| {
        fake_gh(bin.path(), host);
        rerecord()
            .current_dir(w.path())
            .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
            .env("RERECORD_POLL_SCALE", "0.01")
            .args(["schedule", "--api-url", &w.fake.url(), "--json"])
            .run()
    };
    let run = with_gh("github.com").failure();
    crate::cli::redacted(|| {
        insta::assert_snapshot!("schedule_without_a_token", crate::cli::failure_text(&run));
    });
    assert!(
        w.fake.requests().is_empty(),
        "github.com's token is not asked for"
    );
    let run = with_gh(&w.fake.host_port()).success();
    assert_eq!(w.fake.runs(FORK).len(), 1);
    w.assert_token_hidden(&run);
    let doctor = rerecord()
        .current_dir(w.path())
        .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
        .args(["doctor", "--api-url", &w.fake.url()])
        .run()
        .success();
    doctor.assert_stdout_has("found in gh auth token");
}

#[test]
fn schedule_uses_the_tracked_branch_name_when_the_local_one_differs() {
    let w = World::new();
    let number = w.fork_pr();
    git(w.path(), &["branch", "-m", BRANCH, "my-local-name"]);
    git(
        w.path(),
        &["config", "branch.my-local-name.remote", "origin"],
    );
    git(
        w.path(),
        &[
            "config",
            "branch.my-local-name.merge",
            "refs/heads/feature-x",
        ],
    );
    let run = w.schedule(&["--json"]).success();
    let out = run.json();
    assert_eq!(out["branch"], BRANCH);
    assert_eq!(out["pr"]["number"], number);
    assert_eq!(w.fake.runs(FORK)[0].spec.head_branch, BRANCH);
    assert!(
        !run.stderr.contains("differs"),
        "the local HEAD is the pushed one: {}",
        run.stderr
    );
}

#[test]
fn watch_survives_minutes_of_api_outage() {
    let w = World::with_run_finishing(2, "success");
    // 24 failed GETs: six polls of four attempts each, backing off 15 s to 2 min: about eight
    // minutes of outage at full scale (RERECORD_POLL_SCALE shrinks it to a few seconds).
    w.fake
        .inject(Fault::new("GET", "/actions/runs/", 503).times(24));
    let run = w.scaled("0.005").arg("--watch").run().success();
    run.assert_stderr_has("GitHub is not answering");
    run.assert_stderr_has("still watching");
    run.assert_stderr_has("GitHub answers again");
    let failed = w.fake.requests().iter().filter(|r| r.status == 503).count();
    assert_eq!(failed, 24, "every injected failure was met");
}

#[test]
fn watch_gives_up_after_half_an_hour_of_outage() {
    let w = World::new();
    w.fork_pr();
    w.fake
        .inject(Fault::new("GET", "/actions/runs/", 503).times(100_000));
    let run = w.scaled("0.001").arg("--watch").run().failure();
    run.assert_stderr_has("GitHub has not answered for 30 minutes");
    assert_eq!(w.fake.runs(FORK).len(), 1, "the run itself goes on");
}

/// Sequential round trips of one `schedule` with a known upstream: the look-ups of the PR, the
/// branch, the workflow and its file overlap; the dispatch is the second round.
fn rounds(workflow: &str) -> (usize, serde_json::Value) {
    let w = World::new();
    w.use_workflow(workflow);
    w.fork_pr();
    w.fake.set_latency(Duration::from_millis(60));
    let out = w.schedule(&["--json", "-s", "agents"]).success().json();
    (critical_path(&w.fake.requests()), out)
}

#[test]
fn schedule_needs_two_round_trips_in_either_mode() {
    let (head, out) = rounds(SEP_2025_MAR_2026);
    assert_eq!(out["dispatch"]["mode"], "head");
    assert_eq!(head, 2, "head mode");
    let (upstream, out) = rounds(NEWEST);
    assert_eq!(out["dispatch"]["mode"], "upstream");
    assert_eq!(upstream, 2, "upstream mode");
}
