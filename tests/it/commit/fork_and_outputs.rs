//! Fork staging, Actions outputs and summary, workflow_call context, dry runs, usage errors.

use sha2::{Digest, Sha256};

use super::support::cmd::{path_str, rerecord};
use super::support::git_fixtures::{git, write};
use super::*;

#[test]
fn fork_pr_stages_files_and_manifest_and_pushes_nothing() {
    let (tmp, remote, work) = setup();
    let before = remote.rev(BRANCH);
    record_with_decoys(&work);
    let job = Job::new(&tmp.path().join("job")).pull_request(BRANCH, &before, "contributor/stack");
    let run = job
        .run(
            &work,
            &[
                "--recorded-setup",
                "vllm",
                "--recorded-suite",
                "base",
                "--job-key",
                "3",
            ],
        )
        .success();
    assert_eq!(remote.rev(BRANCH), before, "nothing pushed");

    let dir = tmp.path().join("job/runner-temp/rerecord-artifact");
    let out = job.outputs();
    assert_eq!(out["fork"], "true");
    assert_eq!(out["pushed"], "false");
    assert_eq!(out["changed"], "true");
    assert_eq!(out["count"], "3");
    assert_eq!(out["commit-sha"], "");
    assert_eq!(out["artifact-dir"], path_str(&dir));
    assert_eq!(out["artifact-name"], "recordings-4242-2-record-3");
    assert!(
        !dir.join("tests/integration/client-typescript/package.json")
            .exists()
    );

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("rerecord-manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["version"], 1);
    assert_eq!(manifest["repository"], "acme/stack");
    assert_eq!(manifest["head_repository"], "contributor/stack");
    assert_eq!(manifest["head_ref"], BRANCH);
    assert_eq!(manifest["head_sha"], before.as_str());
    assert_eq!(manifest["run_id"], 4242);
    assert_eq!(manifest["run_attempt"], 2);
    assert_eq!(
        (manifest["job"].as_str(), manifest["setup"].as_str()),
        (Some("record"), Some("vllm"))
    );
    let files = manifest["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    for f in files {
        let path = f["path"].as_str().unwrap();
        let bytes = std::fs::read(dir.join(path)).unwrap();
        assert_eq!(bytes, std::fs::read(work.join(path)).unwrap());
        let want: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(f["sha256"], want.as_str());
        assert_eq!(f["size"], bytes.len());
    }
    let statuses: Vec<&str> = files
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == "added").count(), 2);
    assert!(
        job.summary()
            .contains("rerecord fetch --run 4242 --run-repo acme/stack"),
        "{}",
        job.summary()
    );
    run.assert_stdout_has("artifact name: recordings-4242-2-record-3");
}

#[test]
fn no_recording_changes_reports_changed_false_and_exits_zero() {
    let (tmp, remote, work) = setup();
    let before = remote.rev(BRANCH);
    write(
        &work,
        "tests/integration/client-typescript/package.json",
        "{}\n",
    );
    let job = Job::new(&tmp.path().join("job"));
    let run = job.run(&work, &["--target-branch", BRANCH]).success();
    assert_eq!(remote.rev(BRANCH), before);
    assert_eq!(job.changed_count_pushed(), ["false", "0", "false"]);
    run.assert_stdout_has("No recording changes");
}

#[test]
fn workflow_call_context_uses_pr_head_ref_and_is_fork_pr_inputs() {
    let (tmp, remote, work) = setup();
    // Called from an SDK workflow's workflow_dispatch on main: the PR branch arrives as inputs.
    let payload = tmp.path().join("dispatch.json");
    std::fs::write(
        &payload,
        r#"{"inputs":{"pr_head_ref":"feature-x","is_fork_pr":"false"},"ref":"refs/heads/main"}"#,
    )
    .unwrap();
    let main_before = remote.rev("main");
    write(&work, REC_NEW, "{}\n");
    let job = Job::new(&tmp.path().join("job"))
        .set("GITHUB_EVENT_NAME", "workflow_dispatch")
        .set("GITHUB_EVENT_PATH", &path_str(&payload))
        .set("GITHUB_REF_NAME", "main");
    job.run(&work, &["--target-branch", BRANCH, "--fork-pr", "false"])
        .success();
    assert_eq!(remote.rev("main"), main_before, "pushed to github.ref_name");
    assert!(remote.files(BRANCH).contains(&REC_NEW.to_owned()));

    let job = Job::new(&tmp.path().join("job-fork")).set("GITHUB_EVENT_PATH", &path_str(&payload));
    job.run(&work, &["--target-branch", BRANCH, "--fork-pr", "true"])
        .success();
    assert_eq!(job.outputs()["fork"], "true");
    assert!(
        tmp.path()
            .join("job-fork/runner-temp/rerecord-artifact/rerecord-manifest.json")
            .exists()
    );
}

#[test]
fn dry_run_pushes_and_stages_nothing_but_writes_outputs() {
    let (tmp, remote, work) = setup();
    let before = remote.rev(BRANCH);
    record_with_decoys(&work);
    let job = Job::new(&tmp.path().join("job"));
    let run = job
        .run(&work, &["--target-branch", BRANCH, "--dry-run", "--json"])
        .success();
    assert_eq!(remote.rev(BRANCH), before);
    assert_eq!(job.changed_count_pushed(), ["true", "3", "false"]);
    let json = run.json();
    assert_eq!(json["pushed"], false);
    assert_eq!(json["count"], 3);
    // The JSON keys are the action outputs' names.
    assert_eq!(json["target-branch"], BRANCH);
    assert_eq!(json["commit-sha"], serde_json::Value::Null);
    assert_eq!(json["artifact-name"], serde_json::Value::Null);
    assert_eq!(json["ignored"].as_array().unwrap().len(), 2);

    let fork =
        Job::new(&tmp.path().join("job-fork")).pull_request(BRANCH, &before, "contributor/stack");
    fork.run(&work, &["--dry-run"]).success();
    assert_eq!(
        fork.outputs()["artifact-name"].as_str(),
        "",
        "a dry run stages nothing, so no artifact is named for the upload step"
    );
    assert!(
        !tmp.path()
            .join("job-fork/runner-temp/rerecord-artifact")
            .exists()
    );
    assert_eq!(fork.outputs()["fork"], "true");
}

#[test]
fn outside_actions_the_report_goes_to_the_terminal() {
    let (_tmp, remote, work) = setup();
    write(&work, REC_NEW, "{}\n");
    let run = rerecord()
        .current_dir(&work)
        .args(["commit", "--target-branch", BRANCH])
        .run()
        .success();
    assert!(
        run.stdout
            .starts_with("Committed 1 recording to feature-x as "),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(REC_NEW) && !run.stdout.contains("::group::"),
        "{}",
        run.stdout
    );
    assert!(remote.files(BRANCH).contains(&REC_NEW.to_owned()));
}

#[test]
fn missing_target_branch_is_a_usage_error() {
    let (_tmp, _remote, work) = setup();
    git(&work, &["checkout", "-q", "--detach"]);
    write(&work, REC_NEW, "{}\n");
    let run = rerecord()
        .current_dir(&work)
        .arg("commit")
        .run()
        .expect_code(2);
    crate::cli::redacted(|| {
        insta::assert_snapshot!("commit_without_a_branch", crate::cli::failure_text(&run));
    });
}

#[test]
fn a_dispatched_stage_job_records_the_pinned_pr_and_sha_and_refuses_another_checkout() {
    let (tmp, remote, work) = setup();
    let head = remote.rev(BRANCH);
    record_with_decoys(&work);
    // As action.yml passes its `pr-number` and `head-sha` inputs.
    let job = Job::new(&tmp.path().join("job"))
        .set("GITHUB_EVENT_NAME", "workflow_dispatch")
        .set("RERECORD_PR_NUMBER", "12")
        .set("RERECORD_HEAD_SHA", &head);
    job.run(&work, &["--mode", "stage", "--target-branch", BRANCH])
        .success();
    let dir = tmp.path().join("job/runner-temp/rerecord-artifact");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("rerecord-manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["pr_number"], 12);
    assert_eq!(manifest["head_sha"], head.as_str());

    // The checkout moved on (or was never the approved commit): nothing is staged.
    let other = tmp.path().join("job2");
    let approved = "0123456789abcdef0123456789abcdef01234567";
    let job = Job::new(&other)
        .set("GITHUB_EVENT_NAME", "workflow_dispatch")
        .set("RERECORD_HEAD_SHA", approved);
    let out = job
        .run(&work, &["--mode", "stage", "--target-branch", BRANCH])
        .failure();
    // The snapshot redacts shas: the one named must be the approved one.
    assert!(out.stderr.contains(approved), "{}", out.stderr);
    crate::cli::redacted(|| {
        let text = crate::cli::failure_text(&out);
        insta::assert_snapshot!("commit_stage_refuses_another_checkout", text);
    });
    assert!(!other.join("runner-temp/rerecord-artifact").exists());
    assert_eq!(remote.rev(BRANCH), head, "nothing pushed");
}
