//! `schedule` pins what it verified: whenever the workflow declares a head-sha input (`head_sha`,
//! or what `[inputs] head-sha` maps), the dispatch sends the pushed head its freshness check
//! compared, never leaving the run to check out a moving ref (issue 16).

use super::support::fake_github::PrSpec;
use super::*;

/// The recording template as shipped: takes `pr_number` and `head_sha`.
const TEMPLATE: &str = include_str!("../../../workflows/record-integration-tests.yml");

#[test]
fn a_fork_pr_against_the_template_is_dispatched_with_the_pushed_head_as_head_sha() {
    let w = World::new();
    w.use_workflow(TEMPLATE);
    let number = w.fork_pr();
    let out = w.schedule(&["--json", "--yes"]).success().json();
    assert_eq!(out["dispatch"]["mode"], "upstream", "{out}");
    let sent = w.posted_inputs();
    assert_eq!(sent["pr_number"], number.to_string(), "{sent}");
    assert_eq!(sent["head_sha"], w.head, "{sent}");
    assert_eq!(out["inputs"]["head_sha"], w.head, "{out}");
}

#[test]
fn the_pushed_head_is_sent_not_a_newer_local_commit() {
    let w = World::new();
    w.use_workflow(TEMPLATE);
    w.fork_pr();
    let pushed = w.head.clone();
    git(
        w.path(),
        &["commit", "-q", "--allow-empty", "-m", "local only"],
    );
    let run = w.schedule(&["--json", "--yes"]).success();
    run.assert_stderr_has("differs from the pushed one");
    let sent = w.posted_inputs();
    assert_eq!(sent["head_sha"], pushed, "{sent}");
}

#[test]
fn a_head_sha_input_under_another_name_is_filled_through_inputs_mapping() {
    let w = World::new();
    let workflow = WORKFLOW.replace(
        "      rerun-all: {type: boolean}\n",
        "      rerun-all: {type: boolean}\n      commit: {type: string}\n",
    );
    w.use_workflow(&workflow);
    w.fork_pr();
    std::fs::write(
        w.path().join("rerecord.toml"),
        "[inputs]\nhead-sha = \"commit\"\n",
    )
    .unwrap();
    w.schedule(&["--json", "--yes"]).success();
    let sent = w.posted_inputs();
    assert_eq!(sent["commit"], w.head, "{sent}");
    assert!(sent.get("head_sha").is_none(), "{sent}");
}

#[test]
fn a_workflow_without_a_head_sha_input_gets_none() {
    let w = World::new();
    let number = w.fake.add_pr(PrSpec::open(UPSTREAM, FORK, BRANCH, &w.head));
    w.fake.set_branch(FORK, BRANCH, &w.head);
    let out = w.schedule(&["--json", "--yes"]).success().json();
    assert_eq!(out["pr"]["number"], number);
    let sent = w.posted_inputs();
    assert!(sent.get("head_sha").is_none(), "{sent}");
    assert!(sent.get("head-sha").is_none(), "{sent}");
}
