//! Recordings the PR branch tracks with Git LFS (`filter=lfs` in its `.gitattributes`): `land`
//! commits pointers, uploads the objects with the LFS batch API before the git push (the token
//! only to the git host, never to the storage the upload `href` names), and the real git-lfs
//! client gets the same bytes back.

use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::support::cmd::tempdir;
use crate::support::fake_github::{PrSpec, TOKEN};
use crate::support::git_fixtures::{git, git_cmd};
use crate::support::land_world::{A, B, BRANCH, Manifest, UPSTREAM, World};

const LFS_ATTRIBUTES: &str =
    "tests/integration/**/recordings/** filter=lfs diff=lfs merge=lfs -text\n";

/// git-lfs for the tests' git commands: the machine's, or one installed into the target
/// directory on first use (`support::git_lfs`).
pub fn require_git_lfs() {
    crate::support::git_lfs::require();
}

/// Make `work` a checkout with git-lfs tracking the recordings (the real git-lfs: `install`,
/// `track`, renormalise, commit): HEAD then holds pointers, the work tree the content, and
/// `.git/lfs/objects` the objects.
pub fn track_recordings_in(work: &Path) {
    require_git_lfs();
    git(work, &["lfs", "install", "--local"]);
    git(
        work,
        &["lfs", "track", "tests/integration/**/recordings/**"],
    );
    git(work, &["add", "--renormalize", "."]);
    git(work, &["add", ".gitattributes"]);
    git(work, &["commit", "-q", "-m", "recordings in LFS"]);
}

/// Set the modification time of `file` far back: the index no longer vouches for it by stat.
pub fn touch_back(file: &Path) {
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(file)
        .unwrap()
        .set_modified(old)
        .unwrap();
}

fn sha256(content: &[u8]) -> String {
    format!("{:x}", Sha256::digest(content))
}

/// The pointer git-lfs writes for `content`.
pub fn pointer_of(content: &[u8]) -> String {
    format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize {}\n",
        sha256(content),
        content.len()
    )
}

/// A large recording: more than one chunk of every buffer on the way.
fn big_recording() -> Vec<u8> {
    let mut out = b"{\"chunks\": [".to_vec();
    for i in 0..20_000 {
        out.extend_from_slice(format!("\"chunk {i:06} of a streamed response\", ").as_bytes());
    }
    out.extend_from_slice(b"\"end\"]}\n");
    out
}

/// A world whose PR branch tracks the recordings with LFS, and a run of it with an artifact
/// holding `files`; returns the world, the run and the PR head.
fn lfs_world(files: &[(&str, &[u8])]) -> (World, u64, String) {
    let w = World::new(TOKEN);
    let head = w.push_to(&w.upstream, BRANCH, ".gitattributes", LFS_ATTRIBUTES);
    let (run, _) = pr_run_of(&w, &head, files);
    (w, run, head)
}

/// A PR at `head` and a run of it with an artifact holding `files`: (run, PR number).
fn pr_run_of(w: &World, head: &str, files: &[(&str, &[u8])]) -> (u64, u64) {
    let pr = w
        .fake
        .add_pr(PrSpec::open(UPSTREAM, UPSTREAM, BRANCH, head));
    let run = w.pr_run(head, UPSTREAM, vec![pr]);
    w.artifact(run, "recordings-1", files, Manifest::same_repo(head));
    (run, pr)
}

/// `git clone` of `branch` of `url` into `dest` with git-lfs's smudge skipped (the work tree gets pointers)
/// and `config` (`KEY=VALUE`) set for the clone and in it, then `git lfs install --local`.
pub fn clone_with_lfs(url: &str, branch: &str, dest: &Path, config: &[String]) {
    require_git_lfs();
    let mut clone = git_cmd(dest.parent().unwrap());
    clone.env("GIT_LFS_SKIP_SMUDGE", "1");
    for c in config {
        clone.args(["-c", c]);
    }
    clone
        .args(["clone", "-q", "--branch", branch, url])
        .arg(dest);
    crate::support::cmd::checked_stdout(&mut clone, "git clone with git-lfs");
    for c in config {
        let (key, value) = c.split_once('=').unwrap();
        git(dest, &["config", key, value]);
    }
    git(dest, &["lfs", "install", "--local"]);
}

/// `git clone` of the upstream over smart HTTP, then `git lfs pull` (the real client, with the
/// token from a credential helper); returns the clone's directory.
fn clone_and_lfs_pull(w: &World, root: &Path) -> std::path::PathBuf {
    let helper = format!(
        "credential.helper=!f() {{ echo username=x-access-token; echo password={TOKEN}; }}; f"
    );
    let clone = root.join("clone");
    clone_with_lfs(
        &w.http.url("upstream/project.git"),
        BRANCH,
        &clone,
        &[helper],
    );
    let out = git_cmd(&clone).args(["lfs", "pull"]).output().unwrap();
    assert!(
        out.status.success(),
        "git lfs pull failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    clone
}

#[test]
fn land_commits_lfs_pointers_uploads_the_objects_and_git_lfs_pulls_the_same_bytes() {
    require_git_lfs();
    let big = big_recording();
    let small = b"{\"b\": 2}\n".to_vec();
    let (w, run, _) = lfs_world(&[(A, &big), (B, &small)]);
    w.land(run).run().success();

    // The branch holds pointers, the LFS server the content.
    for (path, content) in [(A, &big), (B, &small)] {
        assert_eq!(
            w.upstream.show(BRANCH, path),
            pointer_of(content).trim_end()
        );
        assert_eq!(
            w.http.lfs().object(&sha256(content)).as_deref(),
            Some(content.as_slice()),
            "{path}"
        );
    }
    assert_eq!(w.http.lfs().storage_count("PUT /objects/"), 2);
    assert_eq!(w.http.lfs().storage_count("POST /verify/"), 2);
    // The batch went to the git host with the token; the storage (another origin) never saw it.
    let batch = "POST /upstream/project.git/info/lfs/objects/batch user=x-access-token";
    assert!(
        w.http.requests().iter().any(|r| r == batch),
        "{:?}",
        w.http.requests()
    );
    assert_ne!(
        w.http.lfs().storage_origin(),
        format!("http://127.0.0.1:{}", w.http.port)
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{TOKEN}"));
    for request in w.http.lfs().storage_requests() {
        let lower = request.to_ascii_lowercase();
        assert!(
            !request.contains(TOKEN)
                && !request.contains(&basic)
                && !lower.contains("authorization"),
            "the storage got credentials: {request}"
        );
    }

    let root = tempdir();
    let clone = clone_and_lfs_pull(&w, root.path());
    assert_eq!(
        w.http.lfs().storage_count("GET /objects/"),
        2,
        "git-lfs downloaded from the storage"
    );
    assert_eq!(std::fs::read(clone.join(A)).unwrap(), big);
    assert_eq!(std::fs::read(clone.join(B)).unwrap(), small);
}

#[test]
fn land_fails_with_nothing_pushed_when_the_lfs_server_refuses_the_batch() {
    let content = b"{\"a\": 2}\n";
    let (w, run, head) = lfs_world(&[(A, content)]);
    w.http.fail_next("/info/lfs/objects/batch", 507, 1);
    let out = w.land(run).run().failure();
    let says = ["the LFS server refused the upload", "HTTP 507"];
    out.assert_stderr_has_all(&says);
    out.assert_stderr_has_all(&["nothing was pushed", "quota"]);
    assert_eq!(w.upstream.rev(BRANCH), head, "nothing may be pushed");
    assert!(
        !w.http
            .requests()
            .iter()
            .any(|r| r.contains("git-receive-pack")),
        "a push was started: {:?}",
        w.http.requests()
    );
    assert_eq!(w.http.lfs().storage_requests(), Vec::<String>::new());
}

#[test]
fn land_does_not_upload_an_object_the_lfs_server_already_has() {
    let held = b"{\"a\": \"already on the server\"}\n";
    let fresh = b"{\"b\": \"new\"}\n";
    let (w, run, _) = lfs_world(&[(A, held), (B, fresh)]);
    let held_oid = w.http.lfs().put(held);
    w.land(run).run().success();
    assert_eq!(w.upstream.show(BRANCH, A), pointer_of(held).trim_end());
    assert_eq!(w.upstream.show(BRANCH, B), pointer_of(fresh).trim_end());
    let batches = w.http.lfs().batches();
    assert_eq!(batches.len(), 1, "{batches:?}");
    assert_eq!(batches[0]["operation"], "upload");
    assert_eq!(batches[0]["transfers"], serde_json::json!(["basic"]));
    assert_eq!(batches[0]["objects"].as_array().unwrap().len(), 2);
    assert_eq!(
        w.http
            .lfs()
            .storage_count(&format!("PUT /objects/{held_oid}")),
        0
    );
    assert_eq!(
        w.http
            .lfs()
            .storage_count(&format!("PUT /objects/{}", sha256(fresh))),
        1
    );
}

#[test]
fn land_reports_a_recording_whose_pointer_the_branch_already_has_as_unchanged() {
    let held = b"{\"a\": \"same as on the branch\"}\n";
    let fresh = b"{\"b\": \"new\"}\n";
    let w = World::new(TOKEN);
    w.push_to(&w.upstream, BRANCH, ".gitattributes", LFS_ATTRIBUTES);
    let head = w.push_to(&w.upstream, BRANCH, A, &pointer_of(held));
    w.http.lfs().put(held);
    let (run, pr) = pr_run_of(&w, &head, &[(A, held), (B, fresh)]);
    let out = w.land(run).run().success();
    let comment = w.only_comment(pr);
    assert!(
        comment.contains(&format!("| `{A}` | unchanged |"))
            && comment.contains(&format!("| `{B}` | updated |")),
        "{comment}"
    );
    assert!(
        out.stdout.contains(&format!("unchanged {A}")),
        "{}",
        out.stdout
    );
    assert_eq!(w.upstream.show(BRANCH, A), pointer_of(held).trim_end());
    assert_eq!(w.upstream.parents(&w.upstream.rev(BRANCH)), vec![head]);
}

#[test]
fn land_fails_with_nothing_pushed_when_the_lfs_server_refuses_an_object() {
    let (w, run, head) = lfs_world(&[(A, b"{\"a\": 2}\n")]);
    w.http
        .lfs()
        .refuse_uploads(507, "##[error]storage quota exceeded");
    let out = w.land(run).run().failure();
    out.assert_stderr_has_all(&["refused the object", "error 507"]);
    out.assert_stderr_has_all(&["quota", "nothing was pushed"]);
    assert!(
        !out.all_output().contains("##[error]storage"),
        "{}",
        out.all_output()
    );
    assert_eq!(w.upstream.rev(BRANCH), head, "nothing may be pushed");
    assert_eq!(w.http.lfs().storage_requests(), Vec::<String>::new());
}
