//! The tip's `.gitattributes` decide how `commit` stores recordings, as git's clean would: CRLF
//! normalised for text files, and LFS pointers for recordings tracked by Git LFS (the objects
//! uploaded before the push; `land`'s side is in `tests/it/lfs.rs`).

use super::support::git_fixtures::{commit_and_push, git, git_cmd, write};
use super::*;

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

/// Makes `BRANCH` of `remote` track the recordings with Git LFS (the real git-lfs, in a
/// throwaway clone, pushed without its pre-push hook: the objects stay there).
fn track_recordings_with_lfs(remote: &Remote) {
    let other = remote.clone("other", BRANCH);
    crate::lfs::track_recordings_in(&other);
    git(&other, &["push", "-q", "--no-verify", "origin", BRANCH]);
    let pointer = remote.show(BRANCH, REC_MOD);
    assert!(
        pointer.starts_with("version https://git-lfs.github.com/spec/v1"),
        "{pointer}"
    );
}

/// [`setup`] with the remote's recordings tracked by Git LFS, and `REC_NEW` = `content` written
/// in the work tree.
fn lfs_setup_with_new_recording(content: &str) -> (tempfile::TempDir, Remote, PathBuf) {
    let (tmp, remote, work) = setup();
    track_recordings_with_lfs(&remote);
    write(&work, REC_NEW, content);
    (tmp, remote, work)
}

#[test]
fn commit_push_mode_stores_an_lfs_pointer_and_uploads_the_object_to_the_lfs_server() {
    let content = "{\"new\": true}\n";
    let (tmp, remote, work) = lfs_setup_with_new_recording(content);
    let job = Job::new(&tmp.path().join("job"));
    job.run(&work, &["--target-branch", BRANCH]).success();
    let pointer = crate::lfs::pointer_of(content.as_bytes());
    assert_eq!(remote.show(BRANCH, REC_NEW), pointer.trim_end());
    let server = job.server.as_ref().unwrap();
    let oid = crate::support::zips::sha256_hex(content.as_bytes());
    assert_eq!(
        server.lfs().object(&oid).as_deref(),
        Some(content.as_bytes())
    );
    for request in server.lfs().storage_requests() {
        assert!(!request.contains(JOB_TOKEN), "{request}");
    }
}

#[test]
fn commit_to_a_local_remote_stores_the_lfs_object_where_git_lfs_finds_it() {
    let content = "{\"local\": true}\n";
    let (tmp, remote, work) = lfs_setup_with_new_recording(content);
    Job::runner(&tmp.path().join("job"))
        .set("GITHUB_ACTIONS", "")
        .run(&work, &["--target-branch", BRANCH])
        .success();
    let pointer = crate::lfs::pointer_of(content.as_bytes());
    assert_eq!(remote.show(BRANCH, REC_NEW), pointer.trim_end());
    // git-lfs reads a local remote's objects from its lfs/objects directory.
    let clone = tmp.path().join("lfs-clone");
    let url = format!("file://{}", remote.bare.display());
    crate::lfs::clone_with_lfs(&url, BRANCH, &clone, &[]);
    // Only ours: the fixture pushed the other pointers without their objects.
    git(&clone, &["lfs", "pull", "--include", REC_NEW]);
    assert_eq!(
        std::fs::read_to_string(clone.join(REC_NEW)).unwrap(),
        content
    );
    // The commit is built in the local remote itself: the content is in lfs/objects only.
    let raw = git(&work, &["hash-object", "--no-filters", REC_NEW]);
    assert!(
        !has_object(&remote.bare, &raw),
        "{raw} is a blob in the remote"
    );
}

/// Whether the repository at `dir` has the object `oid`.
fn has_object(dir: &Path, oid: &str) -> bool {
    git_cmd(dir)
        .args(["cat-file", "-e", oid])
        .status()
        .unwrap()
        .success()
}

#[test]
fn commit_push_mode_never_stores_an_lfs_recordings_content_as_a_git_blob() {
    let content = "{\"big\": \"only its pointer belongs in git\"}\n";
    let (tmp, remote, work) = lfs_setup_with_new_recording(content);
    let raw = git(&work, &["hash-object", "--no-filters", REC_NEW]);
    let job = Job::new(&tmp.path().join("job"));
    job.run(&work, &["--target-branch", BRANCH]).success();
    let pointer = crate::lfs::pointer_of(content.as_bytes());
    assert_eq!(remote.show(BRANCH, REC_NEW), pointer.trim_end());
    // Over the network the commit is built in the checkout's own repository.
    let pointer_blob = remote.rev(&format!("{BRANCH}:{REC_NEW}"));
    assert!(has_object(&work, &pointer_blob), "the pointer is stored");
    assert!(
        !has_object(&work, &raw),
        "the content {raw} was stored as a blob"
    );
    assert!(
        !has_object(&remote.bare, &raw),
        "the content {raw} was pushed"
    );
}

#[test]
fn commit_in_a_git_lfs_checkout_sees_an_unchanged_lfs_recording_as_unchanged() {
    let (tmp, remote, work) = setup();
    // A checkout with git-lfs: HEAD has pointers, the work tree the content.
    crate::lfs::track_recordings_in(&work);
    git(&work, &["push", "-q", "--no-verify", "origin", BRANCH]);
    let before = remote.rev(BRANCH);
    // Re-recorded with the same bytes: the index no longer vouches for it by stat.
    let content = std::fs::read(work.join(REC_MOD)).unwrap();
    std::fs::write(work.join(REC_MOD), &content).unwrap();
    crate::lfs::touch_back(&work.join(REC_MOD));
    let job = Job::new(&tmp.path().join("job"));
    job.run(&work, &["--target-branch", BRANCH]).success();
    assert_eq!(job.outputs()["changed"], "false");
    assert_eq!(remote.rev(BRANCH), before);
}

#[test]
fn commit_in_a_git_lfs_checkout_reviews_against_the_old_content_not_its_pointer() {
    let (tmp, _remote, work) = setup();
    crate::lfs::track_recordings_in(&work);
    git(&work, &["push", "-q", "--no-verify", "origin", BRANCH]);
    write(&work, REC_MOD, "{\"agents\": \"re-recorded\"}\n");
    let job = Job::new(&tmp.path().join("job"));
    job.run(&work, &["--target-branch", BRANCH]).success();
    // The old content comes from .git/lfs/objects, where git-lfs keeps it.
    let summary = job.summary();
    assert!(
        summary.contains(&format!("`{REC_MOD}` updated, 14 B → 26 B"))
            && summary.contains("`agents`: `1` → `\"re-recorded\"`"),
        "{summary}"
    );
}
