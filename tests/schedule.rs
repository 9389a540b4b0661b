//! `rerecord schedule` against the stateful fake GitHub and real temporary git checkouts.
//!
//! Layout used throughout: upstream `meta/llama-stack`, a contributor fork `me/llama-stack`,
//! and a local checkout on branch `feature-x` whose remotes point at the fake's host (which
//! rerecord recognises as a GitHub host because it is the `--api-url` host).

mod support;

use std::path::Path;

use support::cmd::{Run, rerecord};
use support::fake_github::{DispatchMode, FakeGitHub, Fault, FaultKind, PrSpec, PrState, TOKEN};
use support::git_fixtures::git;

const UPSTREAM: &str = "meta/llama-stack";
const FORK: &str = "me/llama-stack";
const BRANCH: &str = "feature-x";
const FILE: &str = "record-integration-tests.yml";
const WORKFLOW: &str = r#"name: Record integration tests
on:
  pull_request:
  workflow_dispatch:
    inputs:
      subdirs: {description: "Comma-separated test subdirectories", type: string}
      suite: {type: string, default: base}
      test-setup:
        type: choice
        options: [ollama, vllm, gpt]
        default: ollama
      pattern: {type: string}
      rerun-all: {type: boolean}
jobs:
  record:
    runs-on: ubuntu-latest
    steps: [{run: "true"}]
"#;

/// A checkout plus the fake GitHub it talks to.
struct World {
    fake: FakeGitHub,
    dir: tempfile::TempDir,
    head: String,
}

impl World {
    /// Upstream + fork on the fake, the workflow active and present everywhere; local checkout
    /// on `feature-x` with `origin` = fork and `upstream` = upstream remotes.
    fn new() -> Self {
        let fake = FakeGitHub::start();
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", BRANCH]);
        std::fs::write(dir.path().join("README.md"), "hello\n").unwrap();
        git(dir.path(), &["add", "."]);
        git(dir.path(), &["commit", "-q", "-m", "init"]);
        let head = git(dir.path(), &["rev-parse", "HEAD"]);
        fake.add_repo(UPSTREAM);
        fake.add_fork(FORK, UPSTREAM);
        for repo in [UPSTREAM, FORK] {
            fake.set_branch(repo, "main", &head);
            fake.add_workflow(repo, FILE, "active");
            fake.set_file(repo, "main", &format!(".github/workflows/{FILE}"), WORKFLOW);
            fake.set_file(repo, BRANCH, &format!(".github/workflows/{FILE}"), WORKFLOW);
        }
        let world = Self { fake, dir, head };
        world.add_remote("origin", FORK);
        world.add_remote("upstream", UPSTREAM);
        world
    }

    fn add_remote(&self, name: &str, repo: &str) {
        git(
            self.dir.path(),
            &[
                "remote",
                "add",
                name,
                &format!("{}/{repo}.git", self.fake.url()),
            ],
        );
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn fork_pr(&self) -> u64 {
        self.fake.set_branch(FORK, BRANCH, &self.head);
        self.fake
            .add_pr(PrSpec::open(UPSTREAM, FORK, BRANCH, &self.head))
    }

    fn schedule(&self, args: &[&str]) -> Run {
        rerecord()
            .current_dir(self.path())
            .env("GH_TOKEN", TOKEN)
            .env("RERECORD_POLL_SCALE", "0.01")
            .args(["schedule", "--api-url", &self.fake.url()])
            .args(args)
            .run()
    }

    fn posts(&self) -> Vec<support::fake_github::Recorded> {
        self.fake
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST")
            .collect()
    }

    fn assert_token_hidden(&self, run: &Run) {
        assert!(
            !run.all_output().contains(TOKEN),
            "token leaked:\n{}",
            run.all_output()
        );
    }
}

#[test]
fn schedule_dispatches_same_repo_pr_to_its_repository() {
    let w = World::new();
    // Same-repository PR: the branch lives on the upstream itself, no fork involved.
    git(w.path(), &["remote", "remove", "origin"]);
    git(w.path(), &["remote", "remove", "upstream"]);
    w.add_remote("origin", UPSTREAM);
    w.fake.set_branch(UPSTREAM, BRANCH, &w.head);
    let number = w
        .fake
        .add_pr(PrSpec::open(UPSTREAM, UPSTREAM, BRANCH, &w.head));
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
    assert_eq!(runs[0].head_branch, BRANCH);
    let posts = w.posts();
    assert_eq!(posts.len(), 1);
    let body = posts[0].body.clone().unwrap();
    assert_eq!(body["ref"], BRANCH);
    assert_eq!(body["return_run_details"], true);
    assert_eq!(
        body["inputs"],
        serde_json::json!({"subdirs": "agents,inference", "suite": "base", "test-setup": "ollama"})
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
    let run = w.schedule(&[]).failure();
    assert!(
        run.stderr.contains("git push -u origin feature-x"),
        "{}",
        run.stderr
    );
    assert!(w.posts().is_empty());
}

#[test]
fn schedule_refuses_merged_pr_without_dispatching() {
    let w = World::new();
    w.fake.set_branch(FORK, BRANCH, &w.head);
    let mut pr = PrSpec::open(UPSTREAM, FORK, BRANCH, &w.head);
    pr.state = PrState::Merged;
    w.fake.add_pr(pr);
    let run = w.schedule(&[]).failure();
    assert!(
        run.stderr
            .contains("already merged; recordings can't be committed back"),
        "{}",
        run.stderr
    );
    assert!(w.posts().is_empty(), "a merged PR must not be dispatched");
}

#[test]
fn schedule_notes_closed_pr_and_goes_on() {
    let w = World::new();
    w.fake.set_branch(FORK, BRANCH, &w.head);
    let mut pr = PrSpec::open(UPSTREAM, FORK, BRANCH, &w.head);
    pr.state = PrState::Closed;
    w.fake.add_pr(pr);
    let run = w.schedule(&["--json"]).success();
    assert!(run.stderr.contains("is closed"), "{}", run.stderr);
    assert_eq!(run.json()["pr"]["state"], "closed");
    assert_eq!(w.posts().len(), 1);
}

#[test]
fn schedule_refuses_pr_whose_head_repository_was_deleted() {
    let w = World::new();
    w.fork_pr();
    w.fake.delete_repo(FORK);
    let run = w.schedule(&[]).failure();
    assert!(
        run.stderr.contains("head repository of PR #1 was deleted"),
        "{}",
        run.stderr
    );
    assert!(w.posts().is_empty());
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
    let run = w.schedule(&[]).failure();
    assert!(
        run.stderr.contains("several pull requests"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("#{a}")) && run.stderr.contains(&format!("#{b}")),
        "{}",
        run.stderr
    );
    assert!(w.posts().is_empty());
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
    assert!(run.stderr.contains("share the head"), "{}", run.stderr);
}

#[test]
fn schedule_refuses_detached_head_without_branch() {
    let w = World::new();
    git(w.path(), &["checkout", "-q", "--detach"]);
    let run = w.schedule(&[]).failure();
    assert!(run.stderr.contains("HEAD is detached"), "{}", run.stderr);
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
    assert!(
        run.stderr.contains("GH_TOKEN") && run.stderr.contains("gh auth login"),
        "{}",
        run.stderr
    );
    assert!(w.fake.requests().is_empty());
}

#[test]
fn schedule_reports_missing_workflow_with_fork_sync_advice() {
    let w = World::new();
    w.fake.add_fork("me/behind", UPSTREAM);
    w.fake.set_branch("me/behind", BRANCH, &w.head);
    git(
        w.path(),
        &[
            "remote",
            "set-url",
            "origin",
            &format!("{}/me/behind.git", w.fake.url()),
        ],
    );
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
    w.fake.add_fork("me/new-fork", UPSTREAM);
    w.fake.set_branch("me/new-fork", BRANCH, &w.head);
    w.fake.set_file(
        "me/new-fork",
        BRANCH,
        &format!(".github/workflows/{FILE}"),
        WORKFLOW,
    );
    git(
        w.path(),
        &[
            "remote",
            "set-url",
            "origin",
            &format!("{}/me/new-fork.git", w.fake.url()),
        ],
    );
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
    w.fake.add_fork("me/fresh-fork", UPSTREAM);
    w.fake.set_branch("me/fresh-fork", BRANCH, &w.head);
    w.fake.add_workflow("me/fresh-fork", FILE, "disabled_fork");
    w.fake.set_file(
        "me/fresh-fork",
        BRANCH,
        &format!(".github/workflows/{FILE}"),
        WORKFLOW,
    );
    git(
        w.path(),
        &[
            "remote",
            "set-url",
            "origin",
            &format!("{}/me/fresh-fork.git", w.fake.url()),
        ],
    );
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
    // Our defaults (setup, suite) are dropped silently for undeclared inputs...
    let out = w.schedule(&["--json", "-s", "agents"]).success().json();
    assert_eq!(out["inputs"], serde_json::json!({"subdirs": "agents"}));
    // ...but an option typed explicitly is an error.
    let run = w.schedule(&["--suite", "all"]).failure();
    assert!(
        run.stderr.contains("does not declare input \"suite\""),
        "{}",
        run.stderr
    );
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
    w.fake.inject(Fault {
        method: "POST".into(),
        path_contains: "/dispatches".into(),
        status: 502,
        times: 1,
        retry_after: None,
        kind: FaultKind::AfterEffect,
    });
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
    w.fake.inject(Fault {
        method: "POST".into(),
        path_contains: "/dispatches".into(),
        status: 503,
        times: 1,
        retry_after: None,
        kind: FaultKind::Plain,
    });
    w.schedule(&["--json"]).success();
    assert_eq!(w.posts().len(), 2);
    assert_eq!(w.fake.runs(FORK).len(), 1);

    let w = World::new();
    w.fork_pr();
    w.fake.inject(Fault {
        method: "POST".into(),
        path_contains: "/dispatches".into(),
        status: 503,
        times: 5,
        retry_after: None,
        kind: FaultKind::Plain,
    });
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
    w.fake.inject(Fault {
        method: "GET".into(),
        path_contains: "/pulls".into(),
        status: 502,
        times: 1,
        retry_after: None,
        kind: FaultKind::Plain,
    });
    w.fake.inject(Fault {
        method: "GET".into(),
        path_contains: "/actions/workflows/".into(),
        status: 429,
        times: 1,
        retry_after: Some(1),
        kind: FaultKind::Plain,
    });
    w.fake.inject(Fault {
        method: "GET".into(),
        path_contains: "/contents/".into(),
        status: 403,
        times: 1,
        retry_after: Some(1),
        kind: FaultKind::SecondaryRateLimit,
    });
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
    assert_eq!(keys.len(), 8, "{keys:?}");
    for key in [
        "branch",
        "pr",
        "target_repo",
        "fork",
        "workflow",
        "inputs",
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
        serde_json::json!({"subdirs": "agents", "pattern": "test_x", "suite": "base", "test-setup": "ollama"})
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
fn schedule_warns_when_local_head_differs_from_pushed_branch() {
    let w = World::new();
    w.fake
        .set_branch(FORK, BRANCH, "1111111111111111111111111111111111111111");
    w.fake.add_pr(PrSpec::open(
        UPSTREAM,
        FORK,
        BRANCH,
        "1111111111111111111111111111111111111111",
    ));
    let run = w.schedule(&[]).success();
    assert!(
        run.stderr
            .contains("records the pushed commit, not the local one"),
        "{}",
        run.stderr
    );
}

#[test]
fn schedule_watch_exits_zero_on_success() {
    let w = World::new();
    w.fork_pr();
    w.fake.set_run_progress(2, "success");
    let run = w.schedule(&["--watch"]).success();
    assert!(
        run.stderr.contains("rerecord fetch --run"),
        "fork runs tell how to fetch:\n{}",
        run.stderr
    );
    assert!(
        w.fake
            .requests()
            .iter()
            .filter(|r| r.path.contains("/actions/runs/"))
            .count()
            >= 3
    );
}

#[test]
fn schedule_watch_exits_one_on_failure() {
    let w = World::new();
    w.fork_pr();
    w.fake.set_run_progress(1, "failure");
    let run = w.schedule(&["--watch", "--json"]).failure();
    assert!(
        run.json()["run"]["id"].is_u64(),
        "--json still prints the object"
    );
    assert!(run.stderr.contains("concluded failure"), "{}", run.stderr);
}

#[test]
fn schedule_never_prints_the_token_even_when_github_rejects_it() {
    let w = World::new();
    w.fork_pr();
    let run = rerecord()
        .current_dir(w.path())
        .env("GH_TOKEN", "ghp_wrongwrongwrong")
        .args(["schedule", "--api-url", &w.fake.url(), "--json"])
        .run()
        .failure();
    assert!(run.stderr.contains("Bad credentials"), "{}", run.stderr);
    assert!(!run.all_output().contains("ghp_wrongwrongwrong"));
    let ok = w.schedule(&["--json", "--watch"]);
    w.assert_token_hidden(&ok);
}

#[test]
fn schedule_treats_a_timed_out_dispatch_as_unknown_and_resends_once() {
    let w = World::new();
    w.fork_pr();
    w.fake.inject(Fault {
        method: "POST".into(),
        path_contains: "/dispatches".into(),
        status: 0,
        times: 1,
        retry_after: None,
        kind: FaultKind::Hang,
    });
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

/// Runs `rerecord schedule` on a pseudo-terminal (util-linux `script`), typing `keys`.
fn schedule_on_a_terminal(w: &World, args: &str, keys: &str) -> Run {
    let command = format!(
        "{} schedule --api-url {} --json {args}",
        support::cmd::bin_path().display(),
        w.fake.url()
    );
    // `script` forwards its stdin to the terminal; a short pause lets the prompt draw first.
    let typed = format!("sleep 1; printf '{keys}'; sleep 2");
    let shell = format!("({typed}) | script -qefc \"{command}\" /dev/null");
    support::cmd::rerecord_shell(&shell)
        .current_dir(w.path())
        .env("GH_TOKEN", TOKEN)
        .env("RERECORD_POLL_SCALE", "0.01")
        .env("TERM", "xterm")
        .run()
}

#[test]
fn schedule_asks_which_pr_on_a_terminal() {
    let w = World::new();
    w.fake.set_branch(FORK, BRANCH, &w.head);
    w.fake.set_branch(UPSTREAM, BRANCH, &w.head);
    w.fake.add_pr(PrSpec::open(UPSTREAM, FORK, BRANCH, &w.head));
    let second = w
        .fake
        .add_pr(PrSpec::open(UPSTREAM, UPSTREAM, BRANCH, &w.head));
    // Arrow down to the second PR, then Enter.
    let run = schedule_on_a_terminal(&w, "", "\\033[B\\r").success();
    assert!(
        run.stdout.contains("Several pull requests match"),
        "{}",
        run.stdout
    );
    // The JSON object follows the prompt's terminal escapes on the same line.
    let at = run
        .stdout
        .find("{\"branch\"")
        .unwrap_or_else(|| panic!("{}", run.stdout));
    let json_line = run.stdout[at..].lines().next().unwrap();
    let out: serde_json::Value = serde_json::from_str(json_line.trim()).unwrap();
    assert_eq!(out["pr"]["number"], second);
    assert_eq!(
        w.fake.runs(UPSTREAM).len(),
        1,
        "the chosen PR's repository got the run"
    );
}

#[test]
fn schedule_asks_before_dispatching_a_stale_branch_on_a_terminal() {
    let w = World::new();
    let pushed = "1111111111111111111111111111111111111111";
    w.fake.set_branch(FORK, BRANCH, pushed);
    w.fake.add_pr(PrSpec::open(UPSTREAM, FORK, BRANCH, pushed));
    let run = schedule_on_a_terminal(&w, "", "n").failure();
    assert!(run.stdout.contains("Dispatch anyway?"), "{}", run.stdout);
    assert!(w.posts().is_empty(), "answering no dispatches nothing");
    let run = schedule_on_a_terminal(&w, "--yes", "").success();
    assert!(!run.stdout.contains("Dispatch anyway?"), "{}", run.stdout);
    assert_eq!(w.posts().len(), 1);
}
