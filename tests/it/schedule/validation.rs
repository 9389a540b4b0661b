//! The workflow check and input validation: nothing is dispatched unless GitHub would accept it.

use super::*;

#[test]
fn schedule_reports_missing_workflow_with_fork_sync_advice() {
    let w = World::new();
    w.origin_is_fork("me/behind", false, None);
    let run = w.schedule(&[]).failure();
    assert!(
        run.stderr
            .contains("workflow record-integration-tests.yml was not found in me/behind"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("sync it (gh repo sync me/behind"),
        "{}",
        run.stderr
    );
    assert!(w.posts().is_empty());
}

#[test]
fn schedule_explains_workflow_missing_from_default_branch() {
    let w = World::new();
    w.origin_is_fork("me/new-fork", true, None);
    let run = w.schedule(&[]).failure();
    assert!(
        run.stderr.contains("not on the default branch"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("gh repo sync me/new-fork"),
        "{}",
        run.stderr
    );
    assert!(w.posts().is_empty());
}

#[test]
fn schedule_points_to_enable_page_for_disabled_fork_workflow() {
    let w = World::new();
    w.origin_is_fork("me/fresh-fork", true, Some("disabled_fork"));
    let run = w.schedule(&[]).failure();
    assert!(
        run.stderr.contains("disabled in fork me/fresh-fork"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("/me/fresh-fork/actions/workflows/record-integration-tests.yml"),
        "{}",
        run.stderr
    );
    assert!(w.posts().is_empty());
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
    let run = w.schedule(&[]).failure();
    assert!(
        run.stderr.contains("has no workflow_dispatch trigger"),
        "{}",
        run.stderr
    );
    assert!(w.posts().is_empty());
}

#[test]
fn schedule_refuses_unknown_input_listing_declared_ones() {
    let w = World::new();
    w.fork_pr();
    let run = w.schedule(&["-f", "provider=x"]).failure();
    assert!(
        run.stderr.contains("does not declare input \"provider\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("pattern, rerun-all, subdirs, suite, test-setup"),
        "{}",
        run.stderr
    );
    assert!(w.posts().is_empty());
}

#[test]
fn schedule_refuses_choice_outside_options() {
    let w = World::new();
    w.fork_pr();
    let run = w.schedule(&["--setup", "bedrock"]).failure();
    assert!(
        run.stderr.contains("not one of: ollama, vllm, gpt"),
        "{}",
        run.stderr
    );
    let run = w.schedule(&["-f", "rerun-all=yes"]).failure();
    assert!(run.stderr.contains("use true or false"), "{}", run.stderr);
    assert!(w.posts().is_empty());
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
    let run = w.schedule(&[]).failure();
    assert!(
        run.stderr.contains("requires input \"pattern\""),
        "{}",
        run.stderr
    );
    assert!(w.posts().is_empty());
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
    assert!(
        run.stderr
            .contains("-t/--test-suite has no input to fill: record-integration-tests.yml at feature-x declares none of suite, test-suite (it accepts: subdirs)"),
        "{}",
        run.stderr
    );
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
    assert!(run.stderr.contains("upstrem"), "{}", run.stderr);
}
