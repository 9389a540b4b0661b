//! `rerecord schedule` against the stateful fake GitHub and real temporary git checkouts.
//!
//! Layout used throughout: upstream `meta/llama-stack`, a contributor fork `me/llama-stack`,
//! and a local checkout on branch `feature-x` whose remotes point at the fake's host (which
//! rerecord recognises as a GitHub host because it is the `--api-url` host).

use crate::support;

mod dispatch;
mod eras;
mod finding;
mod laptop;
mod moved;
mod pins;
mod prompts_and_watch;
mod validation;

use std::path::Path;

use support::cmd::{Run, rerecord};
use support::fake_github::{FakeGitHub, PrSpec, TOKEN};
use support::git_fixtures::{add_remote, git, set_remote_url};

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
            fake.add_workflow_file(repo, FILE, &["main", BRANCH], WORKFLOW);
        }
        let world = Self { fake, dir, head };
        world.add_remote("origin", FORK);
        world.add_remote("upstream", UPSTREAM);
        world
    }

    /// [`World::new`] with the fork PR open, and a dispatched run that completes with
    /// `conclusion` on the `polls`th look.
    fn with_run_finishing(polls: u32, conclusion: &str) -> Self {
        let w = Self::new();
        w.fork_pr();
        w.fake.set_run_progress(polls, conclusion);
        w
    }

    fn add_remote(&self, name: &str, repo: &str) {
        add_remote(
            self.dir.path(),
            name,
            &format!("{}/{repo}.git", self.fake.url()),
        );
    }

    /// Make `origin` a fresh fork `repo` of the upstream that has the branch; `workflow_file`
    /// puts the workflow file on that branch, `workflow_state` registers the workflow (which
    /// GitHub only does for workflows on the default branch).
    fn origin_is_fork(&self, repo: &str, workflow_file: bool, workflow_state: Option<&str>) {
        self.fake.add_fork(repo, UPSTREAM);
        self.fake.set_branch(repo, BRANCH, &self.head);
        if workflow_file {
            self.fake.set_workflow_file(repo, BRANCH, FILE, WORKFLOW);
        }
        if let Some(state) = workflow_state {
            self.fake.add_workflow(repo, FILE, state);
        }
        let url = format!("{}/{repo}.git", self.fake.url());
        set_remote_url(self.path(), "origin", &url);
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
        self.scaled("0.01").args(args).run()
    }

    /// `rerecord schedule` against the fake, its waits scaled by `poll_scale`
    /// (`RERECORD_POLL_SCALE`).
    fn scaled(&self, poll_scale: &str) -> support::cmd::Rerecord {
        rerecord()
            .current_dir(self.path())
            .env("GH_TOKEN", TOKEN)
            .env("RERECORD_POLL_SCALE", poll_scale)
            .args(["schedule", "--api-url", &self.fake.url()])
    }

    /// The inputs of the one dispatch posted.
    fn posted_inputs(&self) -> serde_json::Value {
        let posts = self.posts();
        assert_eq!(posts.len(), 1, "one dispatch");
        posts[0].body.as_ref().unwrap()["inputs"].clone()
    }

    /// Only the upstream as `origin`, with the branch and an open same-repository PR from it;
    /// returns its number.
    fn same_repo_pr(&self) -> u64 {
        git(self.path(), &["remote", "remove", "origin"]);
        git(self.path(), &["remote", "remove", "upstream"]);
        self.add_remote("origin", UPSTREAM);
        self.fake.set_branch(UPSTREAM, BRANCH, &self.head);
        self.fake
            .add_pr(PrSpec::open(UPSTREAM, UPSTREAM, BRANCH, &self.head))
    }

    /// Put `workflow` everywhere the default one is: both repositories' `main` and `feature-x`.
    fn use_workflow(&self, workflow: &str) {
        for repo in [UPSTREAM, FORK] {
            for git_ref in ["main", BRANCH] {
                self.fake.set_workflow_file(repo, git_ref, FILE, workflow);
            }
        }
    }

    fn doctor(&self, args: &[&str]) -> Run {
        rerecord()
            .current_dir(self.path())
            .env("GH_TOKEN", TOKEN)
            .args(["doctor", "--api-url", &self.fake.url()])
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

    /// `schedule ARGS` fails saying each of `says` on stderr, and posts nothing.
    #[track_caller]
    fn refused(&self, args: &[&str], says: &[&str]) -> Run {
        let run = self.schedule(args).failure();
        for needle in says {
            run.assert_stderr_has(needle);
        }
        assert!(self.posts().is_empty(), "{}", run.all_output());
        run
    }

    fn assert_token_hidden(&self, run: &Run) {
        assert!(
            !run.all_output().contains(TOKEN),
            "token leaked:\n{}",
            run.all_output()
        );
    }
}
