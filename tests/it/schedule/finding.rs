//! Finding the branch's PR, the upstream and the target repository, and refusing what can't be dispatched.

use super::support::cmd::rerecord;
use super::support::fake_github::*;
use super::*;

#[test]
fn schedule_dispatches_same_repo_pr_to_its_repository() {
    let w = World::new();
    // Same-repository PR: the branch lives on the upstream itself, no fork involved.
    let number = w.same_repo_pr();
    let run = w
        .schedule(&["--test-subdirs", "agents, inference", "--json"])
        .success();
    let out = run.json();
    assert_eq!(out["pr"]["number"], number);
    assert_eq!(out["target_repo"], UPSTREAM);
    assert_eq!(out["fork"], false);
    let runs = w.fake.runs(UPSTREAM);
    assert_eq!(runs.len(), 1);
    assert_eq!(out["run"]["id"], runs[0].id);
    assert_eq!(runs[0].spec.head_branch, BRANCH);
    let posts = w.posts();
    assert_eq!(posts.len(), 1);
    let body = posts[0].body.clone().unwrap();
    assert_eq!(body["ref"], BRANCH);
    assert_eq!(body["return_run_details"], true);
    assert_eq!(
        body["inputs"],
        serde_json::json!({"subdirs": "agents,inference"}),
        "no suite or setup unless typed"
    );
    w.assert_token_hidden(&run);
}

#[test]
fn schedule_sends_fork_pr_dispatch_to_the_fork() {
    let w = World::new();
    w.fork_pr();
    let out = w.schedule(&["--json", "-p", "vllm"]).success().json();
    assert_eq!(out["target_repo"], FORK);
    assert_eq!(out["fork"], true);
    assert_eq!(out["pr"]["head_repo"], FORK);
    assert_eq!(out["inputs"]["test-setup"], "vllm");
    assert_eq!(w.fake.runs(FORK).len(), 1, "the run belongs in the fork");
    assert!(w.fake.runs(UPSTREAM).is_empty());
}

#[test]
fn schedule_finds_upstream_as_parent_of_a_fork_origin() {
    let w = World::new();
    git(w.path(), &["remote", "remove", "upstream"]);
    let number = w.fork_pr();
    let out = w.schedule(&["--json"]).success().json();
    assert_eq!(
        out["pr"]["number"], number,
        "the PR on the fork's parent was found"
    );
    assert_eq!(out["target_repo"], FORK);
}

#[test]
fn schedule_without_pr_uses_the_remote_that_has_the_branch() {
    let w = World::new();
    w.fake.set_branch(FORK, BRANCH, &w.head);
    let out = w.schedule(&["--json"]).success().json();
    assert!(out["pr"].is_null());
    assert_eq!(out["target_repo"], FORK);
    assert_eq!(w.fake.runs(FORK).len(), 1);
}

#[test]
fn schedule_refuses_branch_that_is_on_no_remote() {
    let w = World::new();
    w.refused(&[], &["git push -u origin feature-x"]);
}

#[test]
fn schedule_refuses_merged_pr_without_dispatching() {
    let w = World::new();
    fork_pr_in_state(&w, PrState::Merged);
    // A merged PR must not be dispatched.
    w.refused(&[], &["already merged; recordings can't be committed back"]);
}

#[test]
fn schedule_notes_closed_pr_and_goes_on() {
    let w = World::new();
    fork_pr_in_state(&w, PrState::Closed);
    let run = w.schedule(&["--json"]).success();
    run.assert_stderr_has("is closed");
    assert_eq!(run.json()["pr"]["state"], "closed");
    assert_eq!(w.posts().len(), 1);
}

#[test]
fn schedule_refuses_pr_whose_head_repository_was_deleted() {
    let w = World::new();
    w.fork_pr();
    w.fake.delete_repo(FORK);
    w.refused(&[], &["head repository of PR #1 was deleted"]);
}

#[test]
fn schedule_lists_ambiguous_prs_when_it_cannot_prompt() {
    let w = World::new();
    w.fake.set_branch(FORK, BRANCH, &w.head);
    w.fake.set_branch(UPSTREAM, BRANCH, &w.head);
    let a = w.fake.add_pr(PrSpec::open(UPSTREAM, FORK, BRANCH, &w.head));
    let b = w
        .fake
        .add_pr(PrSpec::open(UPSTREAM, UPSTREAM, BRANCH, &w.head));
    w.refused(
        &[],
        &["several pull requests", &format!("#{a}"), &format!("#{b}")],
    );
}

#[test]
fn schedule_treats_backports_with_one_head_as_one_dispatch() {
    let w = World::new();
    w.fake.set_branch(FORK, BRANCH, &w.head);
    w.fake.add_pr(PrSpec::open(UPSTREAM, FORK, BRANCH, &w.head));
    let mut backport = PrSpec::open(UPSTREAM, FORK, BRANCH, &w.head);
    backport.base_ref = "release-0.2".into();
    let second = w.fake.add_pr(backport);
    let run = w.schedule(&["--json"]).success();
    assert_eq!(run.json()["pr"]["number"], second);
    run.assert_stderr_has("share the head");
}

#[test]
fn schedule_refuses_detached_head_without_branch() {
    let w = World::new();
    git(w.path(), &["checkout", "-q", "--detach"]);
    let run = w.schedule(&[]).failure();
    run.assert_stderr_has("HEAD is detached");
    assert!(
        w.fake.requests().is_empty(),
        "nothing should be asked of GitHub"
    );
}

#[test]
fn schedule_without_token_sends_no_request() {
    let w = World::new();
    let run = rerecord()
        .current_dir(w.path())
        .args(["schedule", "--api-url", &w.fake.url()])
        .run()
        .failure();
    run.assert_stderr_has("GH_TOKEN");
    run.assert_stderr_has("gh auth login");
    assert!(w.fake.requests().is_empty());
}

/// The branch pushed to the fork, with a PR from it in `state`.
fn fork_pr_in_state(w: &World, state: PrState) {
    w.fake.set_branch(FORK, BRANCH, &w.head);
    let mut pr = PrSpec::open(UPSTREAM, FORK, BRANCH, &w.head);
    pr.state = state;
    w.fake.add_pr(pr);
}
