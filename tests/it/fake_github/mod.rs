//! The fake GitHub server's own tests: conformance of its responses to GitHub's 2022-11-28
//! schemas (`conformance`), and the behaviour other tests rely on: pagination, faults, storage,
//! auth, request log and rounds (`behaviour`); dispatch, runs, pulls and contents (`actions`).

use crate::support::fake_github;

mod actions;
mod behaviour;
mod client;
mod command;
mod conformance;

use fake_github::{FakeGitHub, PrSpec, RunSpec};

pub(crate) const RECORD_YML: &str = r#"name: Record tests
on:
  pull_request:
  workflow_dispatch:
    inputs:
      suite:
        required: false
      setup:
        required: true
        default: ollama
"#;

/// A repository with a fork, an open fork PR, a recording workflow, one completed run with a
/// job and two artifacts (one expired), and a comment on the PR.
pub(crate) struct World {
    gh: FakeGitHub,
    pr: u64,
    run: u64,
    artifact: u64,
    expired: u64,
    comment: u64,
}

pub(crate) fn world() -> World {
    let gh = FakeGitHub::start();
    gh.add_repo("acme/widgets");
    gh.add_fork("alice/widgets", "acme/widgets");
    gh.set_branch("acme/widgets", "main", &"a".repeat(40));
    gh.set_branch("acme/widgets", "feature/x", &"b".repeat(40));
    gh.set_branch("alice/widgets", "fix", &"c".repeat(40));
    let refs = ["main", "feature/x"];
    gh.add_workflow_file("acme/widgets", "record.yml", &refs, RECORD_YML);
    let pr = gh.add_pr(PrSpec::open(
        "acme/widgets",
        "alice/widgets",
        "fix",
        &"c".repeat(40),
    ));
    let mut spec = RunSpec::pull_request("record.yml", "alice/widgets", "fix", &"c".repeat(40));
    spec.pull_requests = vec![pr];
    let run = gh.add_run("acme/widgets", spec);
    gh.add_job(
        "acme/widgets",
        run,
        "record (ollama)",
        "completed",
        Some("success"),
    );
    let artifact = gh.add_artifact("acme/widgets", run, "recordings", b"PK-zip".to_vec(), false);
    let expired = gh.add_artifact("acme/widgets", run, "old", b"PK-old".to_vec(), true);
    let comment = gh.add_comment("acme/widgets", pr, "scheduled");
    World {
        gh,
        pr,
        run,
        artifact,
        expired,
        comment,
    }
}

/// The (`first`, `second`) string fields of each object of the JSON array `items`, in order.
pub(crate) fn pairs_of(
    items: &serde_json::Value,
    first: &str,
    second: &str,
) -> Vec<(String, String)> {
    let field = |item: &serde_json::Value, key: &str| item[key].as_str().unwrap().to_owned();
    let items = items.as_array().unwrap();
    items
        .iter()
        .map(|item| (field(item, first), field(item, second)))
        .collect()
}
