//! The tip's `.gitattributes` decide how `commit` and `land` store recordings, as git's clean would: CRLF
//! normalised for text files, and recordings tracked by Git LFS refused (rerecord uploads no LFS
//! objects, and committing the raw JSON where the branch expects a pointer breaks checkouts).

use super::support::git_fixtures::{commit_and_push, git, git_cmd, write};
use super::*;

/// Fails clearly when git-lfs is absent: the tests install nothing (CI's apt line has it).
fn require_git_lfs() {
    let ok = std::process::Command::new("git")
        .args(["lfs", "version"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "git-lfs is not installed; install it (apt-get install git-lfs) to run this test"
    );
}

#[test]
fn commit_stores_a_crlf_recording_with_lf_where_the_tips_gitattributes_ask_for_text() {
    let (tmp, remote, work) = setup();
    // The attributes arrive on the tip after the checkout: the tip's own file decides.
    let other = remote.clone("other", BRANCH);
    write(&other, ".gitattributes", "*.json text eol=lf\n");
    commit_and_push(&other, BRANCH, "normalise json");
    write(&work, REC_NEW, "{\r\n  \"new\": true\r\n}\r\n");
    write(&work, REC_MOD, "{\"unchanged\": \"crlf\"}\r\n");
    Job::new(&tmp.path().join("job"))
        .run(&work, &["--target-branch", BRANCH])
        .success();
    assert_eq!(remote.show(BRANCH, REC_NEW), "{\n  \"new\": true\n}");
    let raw = git(
        &remote.bare,
        &["cat-file", "-p", &format!("{BRANCH}:{REC_NEW}")],
    );
    assert!(!raw.contains('\r'), "{raw:?}");
    let modified = git(
        &remote.bare,
        &["cat-file", "-p", &format!("{BRANCH}:{REC_MOD}")],
    );
    assert!(!modified.contains('\r'), "{modified:?}");
}

#[test]
fn commit_refuses_recordings_tracked_by_git_lfs_on_the_tip_and_pushes_nothing() {
    require_git_lfs();
    let (tmp, remote, work) = setup();
    let other = remote.clone("other", BRANCH);
    let lfs = |args: &[&str]| {
        let out = git_cmd(&other).arg("lfs").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    lfs(&["install", "--local"]);
    lfs(&["track", "tests/integration/**/recordings/**"]);
    git(&other, &["add", "--renormalize", "."]);
    git(&other, &["add", ".gitattributes"]);
    git(
        &other,
        &[
            "-c",
            "user.name=o",
            "-c",
            "user.email=o@e",
            "commit",
            "-q",
            "-m",
            "lfs",
        ],
    );
    // The LFS objects stay local: this test's remote has no LFS server.
    git(&other, &["push", "-q", "--no-verify", "origin", BRANCH]);
    let before = remote.rev(BRANCH);
    let pointer = remote.show(BRANCH, REC_MOD);
    assert!(
        pointer.starts_with("version https://git-lfs.github.com/spec/v1"),
        "{pointer}"
    );

    write(&work, REC_NEW, "{\"new\": true}\n");
    let run = Job::new(&tmp.path().join("job"))
        .run(&work, &["--target-branch", BRANCH])
        .failure();
    run.assert_stderr_has(&format!("{REC_NEW} is tracked by Git LFS on the branch"));
    run.assert_stderr_has("Nothing was committed");
    assert_eq!(remote.rev(BRANCH), before, "nothing may be pushed");
}

#[test]
fn land_refuses_recordings_the_pr_tip_tracks_with_git_lfs_and_pushes_nothing() {
    use crate::support::fake_github::TOKEN;
    use crate::support::land_world::{A, BRANCH, World};
    let w = World::new(TOKEN);
    // PR content: the tip's .gitattributes puts the recordings in LFS. land runs no filter
    // command from it, and uploads no LFS object: it refuses.
    w.push_to(
        &w.upstream,
        BRANCH,
        ".gitattributes",
        "tests/integration/**/recordings/** filter=lfs diff=lfs merge=lfs -text\n",
    );
    let (head, _, run) = w.same_repo_pr(&[(A, b"{\"a\": 2}\n")]);
    let out = w.land(run).run().failure();
    out.assert_stderr_has(&format!("{A} is tracked by Git LFS on the branch"));
    assert_eq!(w.upstream.rev(BRANCH), head, "nothing may be pushed");
}
