//! What leaves the job: only recordings, deletions on request, symlinks refused.

use super::support::git_fixtures::{git, write};
use super::*;

#[test]
fn commit_pushes_only_recordings_when_package_json_lockfile_and_workflow_also_changed() {
    let (tmp, remote, work) = setup();
    let before = remote.rev(BRANCH);
    record_with_decoys(&work);
    let job = Job::new(&tmp.path().join("job")).set("GITHUB_REF_NAME", BRANCH);
    let run = job
        .run(
            &work,
            &["--recorded-setup", "ollama", "--recorded-suite", "base"],
        )
        .success();

    let tip = remote.rev(BRANCH);
    assert_eq!(
        remote.parents(&tip),
        vec![before.clone()],
        "one commit on the old tip"
    );
    assert_eq!(
        remote.who_and_subject(&tip),
        format!("{BOT}|{BOT}|Recordings update from CI (setup: ollama, suite: base)")
    );
    assert_eq!(remote.show(BRANCH, REC_NEW), "{\"new\": true}");
    assert_eq!(
        remote.show(BRANCH, REC_MOD),
        "{\"agents\": \"re-recorded\"}"
    );
    assert_eq!(remote.show(BRANCH, REC_ROOT_NEW), "{\"root\": 2}");
    assert_eq!(
        remote.show(BRANCH, "tests/integration/client-typescript/package.json"),
        "{\"name\": \"client\"}"
    );
    assert_eq!(
        remote.show(
            BRANCH,
            "tests/integration/client-typescript/package-lock.json"
        ),
        "{\"lockfileVersion\": 3}"
    );
    assert_eq!(
        remote.show(BRANCH, ".github/workflows/record.yml"),
        "name: record"
    );
    let changed = git(&remote.bare, &["diff", "--name-only", &before, &tip]);
    assert_eq!(changed.lines().count(), 3, "{changed}");

    let out = job.outputs();
    assert_eq!(out["changed"], "true");
    assert_eq!(out["count"], "3");
    assert_eq!(out["pushed"], "true");
    assert_eq!(out["commit-sha"], tip);
    assert_eq!(out["fork"], "false");
    assert_eq!(out["target-branch"], BRANCH);
    assert_eq!(out["artifact-dir"], "");
    assert_eq!(out["artifact-name"], "");
    let summary = job.summary();
    assert!(
        summary.contains(&format!("| `{REC_NEW}` | added |")),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("| `{REC_MOD}` | modified |")),
        "{summary}"
    );
    assert!(summary.contains("Ignored changes (2)"), "{summary}");
    assert!(
        summary.contains("`tests/integration/client-typescript/package.json`"),
        "{summary}"
    );
    run.assert_stdout_has("::group::Recordings (3)");
}

#[test]
fn commit_carries_deleted_recordings_only_with_include_deletions() {
    let (tmp, remote, work) = setup();
    std::fs::remove_file(work.join(REC_MOD)).unwrap();
    write(&work, REC_NEW, "{}\n");
    let job = Job::new(&tmp.path().join("job1"));
    job.run(&work, &["--target-branch", BRANCH]).success();
    assert!(
        remote.files(BRANCH).contains(&REC_MOD.to_owned()),
        "deleted without the flag"
    );
    assert!(remote.files(BRANCH).contains(&REC_NEW.to_owned()));
    assert!(
        job.summary().contains(REC_MOD),
        "skipped deletion is listed as ignored"
    );

    let job = Job::new(&tmp.path().join("job2"));
    job.run(&work, &["--target-branch", BRANCH, "--include-deletions"])
        .success();
    assert!(
        !remote.files(BRANCH).contains(&REC_MOD.to_owned()),
        "not deleted with the flag"
    );
    assert_eq!(job.outputs()["count"], "2");
}

#[test]
fn commit_refuses_a_symlinked_recording_and_pushes_nothing() {
    let (tmp, remote, work) = setup();
    let before = remote.rev(BRANCH);
    write(&work, REC_NEW, "{}\n");
    std::os::unix::fs::symlink(
        "/etc/passwd",
        work.join("tests/integration/agents/recordings/leak.json"),
    )
    .unwrap();
    let job = Job::new(&tmp.path().join("job"));
    let run = job.run(&work, &["--target-branch", BRANCH]).failure();
    run.assert_stderr_has("tests/integration/agents/recordings/leak.json");
    run.assert_stderr_has("symlink");
    assert_eq!(remote.rev(BRANCH), before);
    assert!(job.outputs().is_empty(), "no outputs on refusal");

    // A symlinked recordings folder is refused too, staged or pushed nowhere.
    std::fs::remove_file(work.join("tests/integration/agents/recordings/leak.json")).unwrap();
    std::fs::create_dir_all(tmp.path().join("elsewhere")).unwrap();
    write(tmp.path(), "elsewhere/x.json", "{}");
    std::os::unix::fs::symlink(
        tmp.path().join("elsewhere"),
        work.join("tests/integration/safety"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        tmp.path().join("elsewhere"),
        work.join("tests/integration/recordings/sub"),
    )
    .unwrap();
    let run = Job::new(&tmp.path().join("job2"))
        .run(&work, &["--target-branch", BRANCH, "--fork-pr", "true"])
        .failure();
    run.assert_stderr_has("tests/integration/recordings/sub");
    assert!(
        !tmp.path()
            .join("job2/runner-temp/rerecord-artifact")
            .exists(),
        "nothing staged"
    );
}

#[test]
fn commit_ignores_symlinks_outside_the_recordings() {
    let (tmp, remote, work) = setup();
    write(&work, REC_NEW, "{}\n");
    std::fs::create_dir_all(work.join("tests/integration/client-typescript/node_modules/.bin"))
        .unwrap();
    std::os::unix::fs::symlink(
        "../tsc/bin/tsc",
        work.join("tests/integration/client-typescript/node_modules/.bin/tsc"),
    )
    .unwrap();
    let job = Job::new(&tmp.path().join("job"));
    job.run(&work, &["--target-branch", BRANCH]).success();
    let files = remote.files(BRANCH);
    assert!(files.contains(&REC_NEW.to_owned()));
    assert!(
        !files.iter().any(|f| f.contains("node_modules")),
        "{files:?}"
    );
}

#[test]
fn commit_carries_recordings_at_any_depth_with_the_default_globs() {
    let (tmp, remote, work) = setup();
    let nested = "tests/integration/providers/nvidia/recordings/n-1.json";
    let deep = "tests/integration/a/b/c/recordings/responses/d.json";
    write(&work, nested, "{\"nvidia\": 1}\n");
    write(&work, deep, "{\"deep\": 1}\n");
    write(&work, REC_ROOT_NEW, "{\"root\": 2}\n");
    // Not below a recordings folder: ignored.
    write(
        &work,
        "tests/integration/providers/nvidia/conftest.py",
        "x = 1\n",
    );
    let job = Job::new(&tmp.path().join("job")).set("GITHUB_REF_NAME", BRANCH);
    job.run(&work, &[]).success();
    let tip = remote.rev(BRANCH);
    assert_eq!(remote.show(BRANCH, nested), "{\"nvidia\": 1}");
    assert_eq!(remote.show(BRANCH, deep), "{\"deep\": 1}");
    assert_eq!(remote.show(BRANCH, REC_ROOT_NEW), "{\"root\": 2}");
    let changed = git(&remote.bare, &["show", "--name-only", "--format=", &tip]);
    assert_eq!(changed.lines().count(), 3, "{changed}");
    assert_eq!(job.outputs()["count"], "3");
}

#[test]
fn commit_refuses_a_glob_it_cannot_match_exactly() {
    let (tmp, remote, work) = setup();
    let before = remote.rev(BRANCH);
    write(&work, REC_NEW, "{\"new\": true}\n");
    let job = Job::new(&tmp.path().join("job"))
        .set("GITHUB_REF_NAME", BRANCH)
        .set("RERECORD_RECORDINGS", "tests/integration/rec**/");
    let run = job.run(&work, &[]).failure();
    run.assert_stderr_has("\"tests/integration/rec**/\" is not supported");
    run.assert_stderr_has("`**` as a whole segment");
    assert_eq!(remote.rev(BRANCH), before, "nothing was pushed");
}
