//! The dispatch itself: run ids, the 204 fallback, lost answers never duplicated, retries, output.

use super::support::cmd::rerecord;
use super::support::fake_github::*;
use super::*;

#[test]
fn schedule_falls_back_to_finding_the_run_after_204() {
    let w = World::new();
    w.fork_pr();
    w.fake.set_dispatch_mode(DispatchMode::NoContent);
    let out = w.schedule(&["--json"]).success().json();
    let runs = w.fake.runs(FORK);
    assert_eq!(runs.len(), 1);
    assert_eq!(
        out["run"]["id"], runs[0].id,
        "the run was found through the runs list"
    );
    assert!(
        w.fake
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.path.ends_with(&format!("{FILE}/runs")))
    );
}

#[test]
fn schedule_never_duplicates_a_run_created_by_a_failed_post() {
    let w = World::new();
    w.fork_pr();
    w.fake
        .inject(Fault::new("POST", "/dispatches", 502).kind(FaultKind::AfterEffect));
    let out = w.schedule(&["--json"]).success().json();
    assert_eq!(
        w.posts().len(),
        1,
        "the run existed, so nothing was re-sent"
    );
    let runs = w.fake.runs(FORK);
    assert_eq!(runs.len(), 1);
    assert_eq!(out["run"]["id"], runs[0].id);
}

#[test]
fn schedule_resends_a_lost_dispatch_at_most_once() {
    let w = World::new();
    w.fork_pr();
    w.fake.inject(Fault::new("POST", "/dispatches", 503));
    w.schedule(&["--json"]).success();
    assert_eq!(w.posts().len(), 2);
    assert_eq!(w.fake.runs(FORK).len(), 1);

    let w = World::new();
    w.fork_pr();
    w.fake
        .inject(Fault::new("POST", "/dispatches", 503).times(5));
    let run = w.schedule(&[]).failure();
    assert_eq!(w.posts().len(), 2, "never more than one extra dispatch");
    assert!(run.stderr.contains("outcome is unknown"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("/actions/workflows/record-integration-tests.yml"),
        "{}",
        run.stderr
    );
}

#[test]
fn schedule_retries_transient_get_failures() {
    let w = World::new();
    w.fork_pr();
    w.fake.inject(Fault::new("GET", "/pulls", 502));
    w.fake
        .inject(Fault::new("GET", "/actions/workflows/", 429).retry_after(1));
    w.fake
        .inject(Fault::secondary_rate_limit("GET", "/contents/", 1));
    let out = w.schedule(&["--json"]).success().json();
    assert!(out["run"]["id"].is_u64());
    let statuses: Vec<u16> = w.fake.requests().iter().map(|r| r.status).collect();
    for code in [502, 429, 403] {
        assert!(
            statuses.contains(&code),
            "fault {code} was not exercised: {statuses:?}"
        );
    }
}

#[test]
fn schedule_json_has_exactly_the_documented_shape() {
    let w = World::new();
    let number = w.fork_pr();
    let out = w
        .schedule(&["--json", "-s", "agents", "-k", "test_x"])
        .success()
        .json();
    let keys: Vec<&str> = out
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 9, "{keys:?}");
    for key in [
        "branch",
        "pr",
        "target_repo",
        "fork",
        "workflow",
        "inputs",
        "dispatch",
        "run",
        "dry_run",
    ] {
        assert!(out.get(key).is_some(), "missing {key}");
    }
    assert_eq!(out["branch"], BRANCH);
    assert_eq!(out["workflow"], FILE);
    assert_eq!(out["dry_run"], false);
    let pr = out["pr"].as_object().unwrap();
    assert_eq!(pr.len(), 5);
    assert_eq!(out["pr"]["number"], number);
    assert_eq!(out["pr"]["state"], "open");
    assert_eq!(out["pr"]["head_sha"], w.head);
    assert!(
        out["pr"]["url"]
            .as_str()
            .unwrap()
            .contains(&format!("/pull/{number}"))
    );
    assert_eq!(out["run"].as_object().unwrap().len(), 2);
    assert!(
        out["run"]["url"]
            .as_str()
            .unwrap()
            .contains("/actions/runs/")
    );
    assert_eq!(
        out["inputs"],
        serde_json::json!({"subdirs": "agents", "pattern": "test_x"}),
        "only what was typed"
    );
    let dispatch = out["dispatch"].as_object().unwrap();
    assert_eq!(dispatch.len(), 5, "{dispatch:?}");
    assert_eq!(out["dispatch"]["mode"], "head");
    assert_eq!(out["dispatch"]["repo"], FORK);
    assert_eq!(out["dispatch"]["ref"], BRANCH);
    assert!(
        out["dispatch"]["why"]
            .as_str()
            .unwrap()
            .contains("takes no PR number")
    );
    assert!(
        out["dispatch"]["next"]
            .as_str()
            .unwrap()
            .contains("pushes the recordings to me/llama-stack:feature-x itself")
    );
}

#[test]
fn schedule_dry_run_validates_but_posts_nothing() {
    let w = World::new();
    w.fork_pr();
    let out = w.schedule(&["--json", "--dry-run"]).success().json();
    assert_eq!(out["dry_run"], true);
    assert!(out["run"].is_null());
    assert!(w.posts().is_empty());
    assert!(
        w.fake
            .requests()
            .iter()
            .any(|r| r.path.contains("/contents/")),
        "validation still ran"
    );
    // Validation errors still fail a dry run.
    w.schedule(&["--dry-run", "--setup", "nope"]).failure();
}

#[test]
fn schedule_treats_a_timed_out_dispatch_as_unknown_and_resends_once() {
    let w = World::new();
    w.fork_pr();
    w.fake
        .inject(Fault::new("POST", "/dispatches", 0).kind(FaultKind::Hang));
    let run = rerecord()
        .current_dir(w.path())
        .env("GH_TOKEN", TOKEN)
        .env("RERECORD_POLL_SCALE", "0.01")
        .env("RERECORD_HTTP_TIMEOUT", "1")
        .args(["schedule", "--api-url", &w.fake.url(), "--json"])
        .run()
        .success();
    assert!(run.stderr.contains("outcome is unknown"), "{}", run.stderr);
    assert_eq!(w.posts().len(), 2, "one lost POST, one re-send");
    let runs = w.fake.runs(FORK);
    assert_eq!(
        runs.len(),
        1,
        "the hung request created nothing, the re-send one run"
    );
    assert_eq!(run.json()["run"]["id"], runs[0].id);
}
