//! The dispatch itself: run ids, the 204 fallback, lost answers never duplicated, retries, output.

use super::support::fake_github::*;
use super::*;
use std::time::Duration;

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
fn schedule_never_resends_a_lost_dispatch_and_says_what_to_check() {
    let w = World::new();
    w.fork_pr();
    w.fake.inject(Fault::new("POST", "/dispatches", 503));
    let run = w.schedule(&[]).failure();
    assert_eq!(w.posts().len(), 1, "a second dispatch would record twice");
    assert!(w.fake.runs(FORK).is_empty());
    run.assert_stderr_has("outcome is unknown");
    run.assert_stderr_has(
        "no run of record-integration-tests.yml on feature-x by rerecord-bot showed up within 60 s",
    );
    run.assert_stderr_has(
        "/actions/workflows/record-integration-tests.yml before dispatching again",
    );
}

#[test]
fn schedule_waits_out_the_run_list_lag_and_takes_only_its_own_run() {
    let w = World::new();
    w.fork_pr();
    // Someone else dispatched the same workflow on the branch a moment ago.
    let theirs = w
        .fake
        .add_run(FORK, RunSpec::completed(FILE, BRANCH, &w.head, "success"));
    w.fake.set_run_actor(FORK, theirs, "someone-else");
    // Our dispatch creates its run but the answer is lost, and the list shows the run only
    // after a lag (1 s here, 20 s of real GitHub at this scale).
    w.fake.set_dispatch_lag(Duration::from_secs(1));
    w.fake
        .inject(Fault::new("POST", "/dispatches", 502).kind(FaultKind::AfterEffect));
    let run = w.scaled("0.05").arg("--json").run().success();
    assert_eq!(w.posts().len(), 1, "nothing was re-sent");
    let runs = w.fake.runs(FORK);
    assert_eq!(runs.len(), 2, "theirs and ours");
    let ours = runs.iter().find(|r| r.id != theirs).unwrap();
    assert_eq!(run.json()["run"]["id"], ours.id, "{}", run.stderr);
    assert!(
        w.fake.requests().iter().any(|r| r
            .query
            .as_deref()
            .is_some_and(|q| q.contains("actor=rerecord-bot"))),
        "the run list was asked for the token's user's runs"
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
fn schedule_treats_a_timed_out_dispatch_as_unknown_and_never_resends() {
    let w = World::new();
    w.fork_pr();
    w.fake
        .inject(Fault::new("POST", "/dispatches", 0).kind(FaultKind::Hang));
    let run = w
        .scaled("0.01")
        .env("RERECORD_HTTP_TIMEOUT", "1")
        .arg("--json")
        .run()
        .failure();
    run.assert_stderr_has("outcome is unknown");
    assert_eq!(w.posts().len(), 1, "the lost POST only");
    assert!(
        w.fake.runs(FORK).is_empty(),
        "the hung request created nothing"
    );
    run.assert_stderr_has("before dispatching again");
}
