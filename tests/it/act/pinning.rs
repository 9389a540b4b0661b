//! Issue 16 in a real runner: the recording template pins one commit in its plan job and every
//! record job checks out exactly it while the PR's branch moves; a `workflow_call` caller's run
//! lands; a `/rerecord --sha` comment dispatches exactly the named head.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::harness::{self, ActRun, ActWorld, BRANCH, RECORD_WORKFLOW, UPSTREAM};
use crate::support::fake_github::{RunSpec, TOKEN};
use crate::support::git_fixtures::git;

/// Commit `message` changing `path` to `contents` on `branch` of the served `UPSTREAM`, through a
/// clone of the bare repository; returns the new commit.
fn commit_on(world: &ActWorld, branch: &str, path: &str, contents: &str, message: &str) -> String {
    let work = world
        .dir
        .path()
        .join(format!("edit-{}", message.replace(' ', "-")));
    let bare = world.dir.path().join("git").join(format!("{UPSTREAM}.git"));
    git(
        world.dir.path(),
        &[
            "clone",
            "-q",
            "--branch",
            branch,
            bare.to_str().unwrap(),
            work.to_str().unwrap(),
        ],
    );
    let file = work.join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, contents).unwrap();
    git(&work, &["add", "-A"]);
    git(
        &work,
        &[
            "-c",
            "user.name=Author",
            "-c",
            "user.email=author@example.invalid",
            "commit",
            "-q",
            "-m",
            message,
        ],
    );
    git(&work, &["push", "-q", "origin", &format!("HEAD:{branch}")]);
    git(&work, &["rev-parse", "HEAD"]).trim().to_owned()
}

/// The `checked out … (SHA)` lines the checkout stand-in prints, one per record job.
fn checkouts(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.contains("checked out upstream/project at "))
        .filter_map(|l| {
            let start = l.rfind('(')? + 1;
            let end = l.rfind(')')?;
            Some(l[start..end].to_owned())
        })
        .collect()
}

/// Waits until the plan job has read the PR, then pushes a new commit to the PR branch (and moves
/// refs/pull/N/head and the PR's head with it); the moved commit, or `None` if never read.
fn push_once_the_plan_read_the_pr(world: &ActWorld, pr: u64, done: &AtomicBool) -> Option<String> {
    let pulls_path = format!("/repos/{UPSTREAM}/pulls/{pr}");
    let deadline = Instant::now() + Duration::from_secs(600);
    while !done.load(Ordering::SeqCst) && Instant::now() < deadline {
        let read = world
            .fake
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.path.starts_with(&pulls_path));
        if read {
            let moved = commit_on(
                world,
                BRANCH,
                "src/app.py",
                "print('pushed after the plan')\n",
                "pushed after the plan",
            );
            world.git_in(
                UPSTREAM,
                &["update-ref", &format!("refs/pull/{pr}/head"), &moved],
            );
            world
                .fake
                .push_to_pr(UPSTREAM, pr, &moved, chrono::Utc::now());
            return Some(moved);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

#[test]
fn record_jobs_check_out_the_sha_the_plan_job_pinned_while_the_pr_branch_moves() {
    // Dispatched with the PR number only (a maintainer's dispatch): the plan job reads the PR's
    // head from the API, once.
    let (world, pr, run) = super::dispatched_pr();
    let payload = super::dispatch_payload(pr, Some(""));
    let done = AtomicBool::new(false);
    let (out, moved) = std::thread::scope(|s| {
        // The hook: as soon as the plan job has read the PR, the author pushes a new commit to the
        // branch (and GitHub moves refs/pull/N/head and the PR's head with it).
        let mover = s.spawn(|| push_once_the_plan_read_the_pr(&world, pr, &done));
        let out = super::run_dispatch(&world, &payload, run);
        done.store(true, Ordering::SeqCst);
        (out, mover.join().unwrap())
    });
    let moved = moved.unwrap_or_else(|| panic!("the plan job never read the PR: {}", out.tail()));
    assert_ne!(moved, world.head);
    assert!(
        out.log
            .contains(&format!("recording commit {}", world.head)),
        "the plan job pinned the head it read: {}",
        out.tail()
    );
    let seen = checkouts(&out.log);
    assert_eq!(
        seen,
        vec![world.head.clone(); 4],
        "every record job checked out the pinned sha, none the moved branch ({moved}): {}",
        out.tail()
    );
    let uploads = out.uploads();
    assert_eq!(uploads, 4, "{}", out.tail());
    // The branch really moved during the run (and stays on top of the moved commit).
    let tip = world.tip(UPSTREAM);
    let ancestry = std::process::Command::new("git")
        .args(["merge-base", "--is-ancestor", &moved, &tip])
        .current_dir(world.dir.path().join("git").join(format!("{UPSTREAM}.git")))
        .status()
        .unwrap();
    assert!(ancestry.success(), "{moved} is not on {BRANCH} ({tip})");
    // The land job found the tip moved to a commit that is not recordings only: it refused and
    // pushed nothing, and the sticky comment says why.
    assert_ne!(out.code, 0, "the land job did not refuse: {}", out.tail());
    assert_eq!(
        tip,
        moved,
        "land pushed onto the moved commit: {}",
        out.tail()
    );
    let comments = world.fake.comments(UPSTREAM, pr);
    assert_eq!(comments.len(), 1, "{comments:?}");
    let body = &comments[0].1;
    assert!(body.starts_with("<!-- rerecord:land -->"), "{body}");
    assert!(
        body.contains("src/app.py") && body.contains("not a recording"),
        "the comment does not say why: {body}"
    );
}

/// A caller of the recording workflow through `workflow_call`, titled per the contract.
const CALLER: &str = r#"name: Record from CI
run-name: Record PR #${{ inputs.pr_number }} at ${{ inputs.head_sha }}
on:
  workflow_dispatch:
    inputs:
      pr_number: {type: string, required: true}
      head_sha: {type: string, required: true}
permissions: {}
jobs:
  record:
    permissions:
      actions: read
      contents: write
      pull-requests: write
    uses: ./.github/workflows/record-integration-tests.yml
    with:
      pr_number: ${{ inputs.pr_number }}
      head_sha: ${{ inputs.head_sha }}
      caller_workflow: record-from-ci.yml
"#;

#[test]
fn a_workflow_call_caller_records_the_pinned_sha_and_its_land_job_lands_on_the_pr_branch() {
    let act = harness::act_binary();
    let world = ActWorld::new(act, TOKEN, &[]);
    let main = commit_on(
        &world,
        "main",
        ".github/workflows/record-from-ci.yml",
        CALLER,
        "add a caller",
    );
    let pr = world.open_pr();
    // A called run is a run of the caller's workflow file.
    let mut spec = RunSpec::completed("record-from-ci.yml", "main", &main, "success");
    spec.status = "in_progress".into();
    spec.conclusion = None;
    let run = world.fake.add_run(UPSTREAM, spec);
    let payload = serde_json::json!({
        "inputs": {"pr_number": pr.to_string(), "head_sha": world.head},
        "ref": "refs/heads/main",
        "repository": {"full_name": UPSTREAM, "default_branch": "main"}
    });

    let out =
        world.run(ActRun::new("record-from-ci.yml", "workflow_dispatch", &payload, run).on("main"));

    assert_eq!(out.code, 0, "{}", out.tail());
    assert_eq!(
        checkouts(&out.log),
        vec![world.head.clone(); 4],
        "{}",
        out.tail()
    );
    super::assert_landed_on_head(&world, &main, &out);
}

/// The template's contract, read statically: the title `Record PR #N at <sha>` from the dispatch
/// inputs, and one checkout ref for every record job, the plan job's output (no moving ref).
#[test]
fn the_template_titles_dispatched_runs_and_checks_out_only_the_pinned_sha() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("workflows")
            .join(RECORD_WORKFLOW),
    )
    .unwrap();
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let run_name = doc["run-name"].as_str().expect("a run-name");
    assert!(
        run_name.contains("format('Record PR #{0} at {1}', inputs.pr_number, inputs.head_sha)"),
        "{run_name}"
    );
    assert_eq!(
        doc["jobs"]["plan"]["outputs"]["head-sha"].as_str(),
        Some("${{ steps.pin.outputs.head-sha }}")
    );
    let checkout = crate::lint::step_using(&doc["jobs"]["record"], "actions/checkout@")
        .expect("the record job checks out");
    assert_eq!(
        checkout["with"]["ref"].as_str(),
        Some("${{ needs.plan.outputs.head-sha }}")
    );
    let code: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    for moving in ["refs/pull/", "github.ref }}", "github.head_ref"] {
        assert!(
            !code.iter().any(|l| l.contains(moving)),
            "the template uses {moving}"
        );
    }
    let land = &doc["jobs"]["land"]["steps"][0]["with"];
    assert_eq!(
        land["head-sha"].as_str(),
        Some("${{ needs.plan.outputs.head-sha }}")
    );
    assert_eq!(
        land["head-branch"].as_str(),
        Some("${{ inputs.pr_head_ref }}")
    );
    assert_eq!(
        land["workflow"].as_str(),
        Some("${{ inputs.caller_workflow }}")
    );
}

/// The names of the artifacts run `run` uploaded to act's artifact server.
fn uploaded_artifacts(world: &ActWorld, run: u64) -> Vec<String> {
    std::fs::read_dir(world.dir.path().join("artifacts").join(run.to_string()))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// What GitHub sends the companion for a dispatched run of `head` for `pr` that ran on `main` at
/// `main_sha`.
fn companion_event(run: u64, pr: u64, head: &str, main_sha: &str) -> serde_json::Value {
    serde_json::json!({
        "action": "completed",
        "workflow_run": {
            "id": run,
            "name": "Record integration tests",
            "display_title": format!("Record PR #{pr} at {head}"),
            "event": "workflow_dispatch",
            "status": "completed",
            "conclusion": "success",
            "head_branch": "main",
            "head_sha": main_sha,
            "head_repository": {"full_name": UPSTREAM},
            "repository": {"full_name": UPSTREAM},
            "pull_requests": []
        },
        "repository": {"full_name": UPSTREAM, "default_branch": "main"}
    })
}

/// The `workflow_run` companion lands a dispatched run that its own workflow did not land (here:
/// only the plan and record jobs ran), learning the PR and the sha from the run's title alone: the
/// payload names `main` and no PR, and the run uploaded no pr-metadata artifact.
#[test]
fn the_companion_lands_a_dispatched_run_on_the_pr_its_title_names() {
    let (world, pr, run) = super::dispatched_pr();
    let main = world
        .git_in(UPSTREAM, &["rev-parse", "main"])
        .trim()
        .to_owned();
    let payload = super::dispatch_payload(pr, Some(&world.head));
    let record = world.run(
        ActRun::new(RECORD_WORKFLOW, "workflow_dispatch", &payload, run)
            .on("main")
            .job("record"),
    );
    super::assert_recorded_only(&world, &record, "Land this run's recordings", UPSTREAM);
    let artifacts = uploaded_artifacts(&world, run);
    assert!(
        artifacts.iter().all(|a| a.starts_with("recordings-")),
        "{artifacts:?}"
    );

    world.fake.complete_run(UPSTREAM, run, "success");
    // What GitHub sends the companion for a dispatched run: the default branch and its commit,
    // no PR.
    let event = companion_event(run, pr, &world.head, &main);
    let land = world.run(
        ActRun::new(
            super::harness::COMPANION_WORKFLOW,
            "workflow_run",
            &event,
            run + 1000,
        )
        .on("main"),
    );

    assert_eq!(land.code, 0, "{}", land.tail());
    super::assert_landed_on_head(&world, &main, &land);
    let comments = world.fake.comments(UPSTREAM, pr);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].1.starts_with("<!-- rerecord:land -->"),
        "{comments:?}"
    );
}
