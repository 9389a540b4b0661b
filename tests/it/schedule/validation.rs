//! The workflow check and input validation: nothing is dispatched unless GitHub would accept it.

use super::*;

/// Origin is a fresh fork `fork` (see [`World::origin_is_fork`]: `file` puts the workflow on
/// the branch, `state` registers it): schedule refuses, saying each of `says`.
fn refused_for_fork(fork: &str, file: bool, state: Option<&str>, says: &[&str]) {
    let w = World::new();
    w.origin_is_fork(fork, file, state);
    w.refused(&[], says);
}

#[test]
fn schedule_reports_missing_workflow_with_fork_sync_advice() {
    let says = [
        "workflow record-integration-tests.yml was not found in me/behind",
        "sync it (gh repo sync me/behind",
    ];
    refused_for_fork("me/behind", false, None, &says);
}

#[test]
fn schedule_explains_workflow_missing_from_default_branch() {
    let says = ["not on the default branch", "gh repo sync me/new-fork"];
    refused_for_fork("me/new-fork", true, None, &says);
}

#[test]
fn schedule_points_to_enable_page_for_disabled_fork_workflow() {
    let says = [
        "disabled in fork me/fresh-fork",
        "/me/fresh-fork/actions/workflows/record-integration-tests.yml",
    ];
    refused_for_fork("me/fresh-fork", true, Some("disabled_fork"), &says);
}

#[test]
fn schedule_refuses_workflow_without_workflow_dispatch() {
    let w = World::new();
    w.fork_pr();
    w.fake
        .set_workflow_file(FORK, BRANCH, FILE, "on: [pull_request]\njobs: {}\n");
    w.refused(&[], &["has no workflow_dispatch trigger"]);
}

#[test]
fn schedule_refuses_unknown_input_listing_declared_ones() {
    let w = World::new();
    w.fork_pr();
    w.refused(
        &["-f", "provider=x"],
        &[
            "does not declare input \"provider\"",
            "pattern, rerun-all, subdirs, suite, test-setup",
        ],
    );
}

#[test]
fn schedule_refuses_choice_outside_options() {
    let w = World::new();
    w.fork_pr();
    let run = w.schedule(&["--setup", "bedrock"]).failure();
    run.assert_stderr_has("not one of: ollama, vllm, gpt");
    w.refused(&["-f", "rerun-all=yes"], &["use true or false"]);
}

#[test]
fn schedule_refuses_missing_required_input() {
    let w = World::new();
    w.fork_pr();
    let required = WORKFLOW.replace(
        "pattern: {type: string}",
        "pattern: {type: string, required: true}",
    );
    w.fake.set_workflow_file(FORK, BRANCH, FILE, &required);
    w.refused(&[], &["requires input \"pattern\""]);
    w.schedule(&["-k", "test_agent"]).success();
    assert_eq!(w.posts().len(), 1);
}

#[test]
fn schedule_refuses_explicit_option_the_workflow_does_not_declare() {
    let w = World::new();
    w.fork_pr();
    let narrow =
        "on:\n  workflow_dispatch:\n    inputs:\n      subdirs: {type: string}\njobs: {}\n";
    w.fake.set_workflow_file(FORK, BRANCH, FILE, narrow);
    // `[defaults]` are dropped silently for undeclared inputs...
    std::fs::write(
        w.path().join("rerecord.toml"),
        "[defaults]\nsuite = \"base\"\n",
    )
    .unwrap();
    let out = w.schedule(&["--json", "-s", "agents"]).success().json();
    assert_eq!(out["inputs"], serde_json::json!({"subdirs": "agents"}));
    // ...but an option typed explicitly is an error that lists what the workflow accepts.
    let run = w.schedule(&["--suite", "all"]).failure();
    run.assert_stderr_has("-t/--test-suite has no input to fill: record-integration-tests.yml at feature-x declares none of suite, test-suite (it accepts: subdirs)");
    assert_eq!(w.posts().len(), 1);
}

#[test]
fn schedule_rejects_empty_values_as_usage_errors() {
    let w = World::new();
    w.schedule(&["--suite", ""]).expect_code(2);
    w.schedule(&["-f", "novalue"]).expect_code(2);
    assert!(w.fake.requests().is_empty());
}

#[test]
fn schedule_maps_options_through_config_file() {
    let w = World::new();
    w.fork_pr();
    std::fs::write(
        w.path().join("rerecord.toml"),
        "[inputs]\nsetup = \"provider\"\n[defaults]\nsetup = \"vllm\"\n",
    )
    .unwrap();
    let custom = WORKFLOW.replace("test-setup:", "provider:");
    w.fake.set_workflow_file(FORK, BRANCH, FILE, &custom);
    let out = w.schedule(&["--json"]).success().json();
    assert_eq!(out["inputs"]["provider"], "vllm");
    std::fs::write(w.path().join("rerecord.toml"), "upstrem = \"x/y\"\n").unwrap();
    let run = w.schedule(&[]).failure();
    run.assert_stderr_has("upstrem");
}
