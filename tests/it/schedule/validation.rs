//! The workflow check and input validation: nothing is dispatched unless GitHub would accept it.

use super::*;

#[test]
fn schedule_reports_missing_workflow_with_fork_sync_advice() {
    let w = World::new();
    w.origin_is_fork("me/behind", false, None);
    w.refused(
        &[],
        &[
            "workflow record-integration-tests.yml was not found in me/behind",
            "sync it (gh repo sync me/behind",
        ],
    );
}

#[test]
fn schedule_explains_workflow_missing_from_default_branch() {
    let w = World::new();
    w.origin_is_fork("me/new-fork", true, None);
    w.refused(
        &[],
        &["not on the default branch", "gh repo sync me/new-fork"],
    );
}

#[test]
fn schedule_points_to_enable_page_for_disabled_fork_workflow() {
    let w = World::new();
    w.origin_is_fork("me/fresh-fork", true, Some("disabled_fork"));
    w.refused(
        &[],
        &[
            "disabled in fork me/fresh-fork",
            "/me/fresh-fork/actions/workflows/record-integration-tests.yml",
        ],
    );
}

#[test]
fn schedule_refuses_workflow_without_workflow_dispatch() {
    let w = World::new();
    w.fork_pr();
    w.fake.set_file(
        FORK,
        BRANCH,
        &format!(".github/workflows/{FILE}"),
        "on: [pull_request]\njobs: {}\n",
    );
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
    w.fake.set_file(
        FORK,
        BRANCH,
        &format!(".github/workflows/{FILE}"),
        &required,
    );
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
    w.fake
        .set_file(FORK, BRANCH, &format!(".github/workflows/{FILE}"), narrow);
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
    w.fake
        .set_file(FORK, BRANCH, &format!(".github/workflows/{FILE}"), &custom);
    let out = w.schedule(&["--json"]).success().json();
    assert_eq!(out["inputs"]["provider"], "vllm");
    std::fs::write(w.path().join("rerecord.toml"), "upstrem = \"x/y\"\n").unwrap();
    let run = w.schedule(&[]).failure();
    run.assert_stderr_has("upstrem");
}
