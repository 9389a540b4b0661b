//! Behaviour tests for `rerecord fetch`: the fake GitHub serves runs and artifacts (downloads
//! redirect to a storage listener that rejects Authorization), the checkout is a real temporary
//! git repository, and every hostile artifact must leave it byte-for-byte unchanged.

use crate::support;

mod untrusted;

mod provenance;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Duration, Utc};
use support::cmd::{Rerecord, Run, rerecord, tempdir};
use support::fake_github::{FakeGitHub, Listener, PrSpec, Recorded, RunSpec, TOKEN};
use support::git_fixtures::{add_remote, git, write};
use support::proxy::ConnectProxy;
use support::tls::{TestCa, TlsProxy};
use support::zips::{self, ZipBuilder};

use support::land_world::{A, B, BRANCH, FORK, UPSTREAM, WORKFLOW};
const C: &str = "tests/integration/agents/recordings/responses/c.json";
const NEW: &str = "tests/integration/inference/recordings/new.json";

/// Every file of a checkout with its bytes, its git status, and staging leftovers under .git.
type Snapshot = (BTreeMap<String, Vec<u8>>, String, Vec<String>);

/// The fake GitHub plus a contributor's checkout of the fork PR's branch.
struct World {
    fake: FakeGitHub,
    _dir: tempfile::TempDir,
    work: PathBuf,
    head: String,
}

impl World {
    fn new() -> Self {
        let fake = FakeGitHub::start();
        fake.add_repo(UPSTREAM);
        fake.add_fork(FORK, UPSTREAM);
        fake.add_workflow(UPSTREAM, WORKFLOW, "active");
        let dir = tempdir();
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        git(&work, &["init", "-q", "-b", BRANCH]);
        git(&work, &["config", "user.name", "Contributor"]);
        git(&work, &["config", "user.email", "contributor@example.com"]);
        for (path, content) in [
            (A, "{\"a\": 1}\n"),
            (B, "{\"b\": 1}\n"),
            (C, "{\"c\": 1}\n"),
            ("src/app.py", "x = 1\n"),
        ] {
            write(&work, path, content);
        }
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", "initial"]);
        let head = git(&work, &["rev-parse", "HEAD"]);
        let origin = format!("http://{}/{FORK}.git", fake.host_port());
        add_remote(&work, "origin", &origin);
        fake.set_branch(FORK, BRANCH, &head);
        Self {
            fake,
            _dir: dir,
            work,
            head,
        }
    }

    /// The fork PR of `BRANCH`, at the checkout's HEAD.
    fn open_pr(&self) -> u64 {
        self.fake
            .add_pr(PrSpec::open(UPSTREAM, FORK, BRANCH, &self.head))
    }

    /// A completed `pull_request` run of the recording workflow for `sha`, `age_minutes` old.
    fn add_run(&self, sha: &str, conclusion: &str, age_minutes: i64) -> u64 {
        let mut spec = RunSpec::pull_request(WORKFLOW, FORK, BRANCH, sha);
        spec.conclusion = Some(conclusion.into());
        spec.created_at = Utc::now() - Duration::minutes(age_minutes);
        self.fake.add_run(UPSTREAM, spec)
    }

    /// Attach the artifact `name` (not expired) to `run`.
    fn attach(&self, run: u64, name: &str, zip: Vec<u8>) {
        self.fake.add_artifact(UPSTREAM, run, name, zip, false);
    }

    /// A run of the head whose one artifact, `recordings-1-1-record`, holds `files`.
    fn recorded(&self, files: &[(&str, &str)]) -> u64 {
        self.run_with(vec![("recordings-1-1-record", artifact(files))])
    }

    /// A successful run of `sha`, half an hour old, whose one artifact writes `A` = `a`.
    fn half_hour_old_run(&self, sha: &str, a: &str) -> u64 {
        let run = self.add_run(sha, "success", 30);
        self.attach_recordings(run, &[(A, a)]);
        run
    }

    /// Attach the one artifact `recordings-1-1-record`, holding `files`, to `run`.
    fn attach_recordings(&self, run: u64, files: &[(&str, &str)]) {
        self.attach(run, "recordings-1-1-record", artifact(files));
    }

    fn run_with(&self, artifacts: Vec<(&str, Vec<u8>)>) -> u64 {
        let run = self.add_run(&self.head, "success", 5);
        for (name, zip) in artifacts {
            self.attach(run, name, zip);
        }
        run
    }

    /// `out` says it applied run `run`, whose `A` now holds `a`.
    #[track_caller]
    fn assert_applied(&self, out: &Run, run: u64, a: &str) {
        assert_eq!(self.read(A), a);
        out.assert_stderr_has(&format!("run {run}"));
    }

    /// `rerecord fetch --pr PR`.
    fn fetch_pr(&self, pr: u64) -> Rerecord {
        self.fetch().args(["--pr", &pr.to_string()])
    }

    fn fetch(&self) -> Rerecord {
        rerecord()
            .current_dir(&self.work)
            .env("GH_TOKEN", TOKEN)
            .args([
                "fetch",
                "--api-url",
                &self.fake.url(),
                "--run-repo",
                UPSTREAM,
            ])
    }

    fn fetch_run(&self, run: u64) -> Rerecord {
        self.fetch().args(["--run", &run.to_string()])
    }

    /// An expired artifact of one recording for `run`.
    fn expired_artifact(&self, run: u64) {
        let zip = artifact(&[(A, "x\n")]);
        (self.fake).add_artifact(UPSTREAM, run, "recordings-1-1-record", zip, true);
    }

    /// The fake's API behind a TLS proxy whose certificate a test CA signed, and that CA's PEM.
    fn behind_tls(&self) -> (TlsProxy, PathBuf) {
        let api: std::net::SocketAddr = self.fake.host_port().parse().unwrap();
        let ca = TestCa::new();
        let proxy = TlsProxy::start(api, &ca);
        let pem = self.work.join(".git/test-ca.pem");
        ca.write_pem(&pem);
        (proxy, pem)
    }

    /// `rerecord fetch --run RUN` through the API at `api_url`, trusting the CA in `cert_file`.
    fn fetch_run_over_tls(&self, api_url: &str, cert_file: &Path, run: u64) -> Rerecord {
        rerecord()
            .current_dir(&self.work)
            .env("GH_TOKEN", TOKEN)
            .env("SSL_CERT_FILE", cert_file)
            .args(["fetch", "--api-url", api_url, "--run-repo", UPSTREAM])
            .args(["--run", &run.to_string()])
    }

    /// What reached the storage listener (the downloads GitHub redirects to).
    fn storage_requests(&self) -> Vec<Recorded> {
        let requests = self.fake.requests().into_iter();
        requests
            .filter(|r| r.listener == Listener::Storage)
            .collect()
    }

    /// The token went with every API request and with none to storage.
    fn assert_token_only_to_the_api(&self) {
        let requests = self.fake.requests();
        let (storage, api): (Vec<_>, Vec<_>) = requests
            .iter()
            .partition(|r| r.listener == Listener::Storage);
        assert!(!storage.is_empty(), "the download never reached storage");
        assert!(
            storage.iter().all(|r| r.authorization.is_none()),
            "Authorization sent to storage: {storage:?}"
        );
        assert!(api.iter().all(|r| r.authorization.is_some()), "{api:?}");
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.work.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Every file and directory of the work tree (outside .git) with its bytes, the git status,
    /// and any staging leftovers under .git.
    fn snapshot(&self) -> Snapshot {
        fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if rel == ".git" {
                    continue;
                }
                if path.is_dir() {
                    out.insert(format!("{rel}/"), Vec::new());
                    walk(root, &path, out);
                } else {
                    out.insert(rel, std::fs::read(&path).unwrap());
                }
            }
        }
        let mut files = BTreeMap::new();
        walk(&self.work, &self.work, &mut files);
        let status = git(
            &self.work,
            &["status", "--porcelain", "--untracked-files=all"],
        );
        let leftovers = std::fs::read_dir(self.work.join(".git"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("rerecord-"))
            .collect();
        (files, status, leftovers)
    }

    /// Serve `zip` as the only artifact of a run, fetch it, and expect a refusal mentioning
    /// `words` with the checkout untouched.
    fn assert_refused(&self, zip: Vec<u8>, words: &[&str]) -> Run {
        let before = self.snapshot();
        let run = self.run_with(vec![("recordings-1-1-record", zip)]);
        let out = self.fetch_run(run).run().failure();
        for w in words {
            assert!(out.stderr.contains(w), "expected {w:?} in:\n{}", out.stderr);
        }
        out.assert_stderr_has("artifact recordings-1-1-record");
        out.assert_stderr_has("nothing was written");
        assert_eq!(self.snapshot(), before, "the work tree changed");
        out
    }
}

fn artifact(files: &[(&str, &str)]) -> Vec<u8> {
    let files: Vec<(&str, &[u8])> = files.iter().map(|(p, c)| (*p, c.as_bytes())).collect();
    zips::artifact(1, &files)
}

#[test]
fn fetch_by_run_id_applies_the_manifest_layout_exactly() {
    let w = World::new();
    let before = w.snapshot().0;
    let run = w.recorded(&[(A, "{\"a\": 2}\n"), (B, "{\"b\": 1}\n"), (NEW, "new\n")]);
    let out = w.fetch_run(run).run().success();
    assert_eq!(w.read(A), "{\"a\": 2}\n");
    assert_eq!(w.read(NEW), "new\n");
    out.assert_stdout_has("1 added, 1 updated, 1 unchanged, 0 deleted");
    out.assert_stderr_has(&format!("run {run}"));
    // Only the artifact's files changed.
    let mut after = w.snapshot().0;
    for p in [
        A,
        NEW,
        "tests/integration/inference/",
        "tests/integration/inference/recordings/",
    ] {
        after.remove(p);
    }
    let mut expected = before;
    expected.remove(A);
    assert_eq!(after, expected);
}

#[test]
fn fetch_by_pr_chooses_the_newest_completed_run_with_artifacts() {
    let w = World::new();
    let pr = w.open_pr();
    let old = w.add_run(&w.head, "success", 60);
    w.attach(old, "recordings-old", artifact(&[(A, "old\n")]));
    let newest = w.add_run(&w.head, "failure", 10);
    w.attach(newest, "recordings-new", artifact(&[(A, "newest\n")]));
    // Newer still, but without recording artifacts: skipped.
    let bare = w.add_run(&w.head, "success", 2);
    w.attach(
        bare,
        "logs",
        ZipBuilder::new().file("log.txt", b"x").finish(),
    );
    let out = w.fetch_pr(pr).run().success();
    w.assert_applied(&out, newest, "newest\n");
    out.assert_stderr_has("concluded failure");
}

#[test]
fn fetch_by_pr_falls_back_to_runs_of_the_head_branch() {
    let w = World::new();
    let pr = w.open_pr();
    // The PR's head moved on since the recording run: no run matches the head sha.
    let older = "1111111111111111111111111111111111111111";
    let run = w.half_hour_old_run(older, "from branch run\n");
    let out = w.fetch_pr(pr).run().success();
    w.assert_applied(&out, run, "from branch run\n");
}

#[test]
fn fetch_by_pr_never_falls_back_to_a_run_of_the_head_branch_for_another_pr() {
    let w = World::new();
    let pr = w.open_pr();
    // Another PR from the same branch (into another base) has a newer run of an older commit.
    let earlier = w.fake.add_pr(PrSpec::open(UPSTREAM, FORK, BRANCH, &w.head));
    let older = "1111111111111111111111111111111111111111";
    let ours = w.half_hour_old_run(older, "from this PR's branch run\n");
    let mut spec = RunSpec::pull_request(WORKFLOW, FORK, BRANCH, older);
    spec.created_at = Utc::now() - Duration::minutes(5);
    spec.pull_requests = vec![earlier];
    let theirs = w.fake.add_run(UPSTREAM, spec);
    w.attach_recordings(theirs, &[(A, "the other PR's\n")]);

    let out = w.fetch_pr(pr).run().success();

    assert_eq!(w.read(A), "from this PR's branch run\n", "{}", out.stderr);
    out.assert_stderr_has(&format!("run {ours}"));
}

#[test]
fn fetch_refuses_files_over_the_size_limit() {
    let zip = artifact(&[(A, &"x".repeat(5000))]);
    let w = World::new();
    let before = w.snapshot();
    let run = w.run_with(vec![("recordings-1-1-record", zip)]);
    let out = w
        .fetch_run(run)
        .args(["--max-file-size", "4096"])
        .run()
        .failure();
    out.assert_stderr_has(A);
    out.assert_stderr_has("--max-file-size");
    assert_eq!(w.snapshot(), before);
}

#[test]
fn fetch_without_flags_uses_the_current_branchs_pr() {
    let w = World::new();
    w.open_pr();
    let run = w.recorded(&[(A, "from branch\n")]);
    let out = w.fetch().run().success();
    w.assert_applied(&out, run, "from branch\n");
}

#[test]
fn fetch_with_no_recording_artifacts_has_nothing_to_apply() {
    let w = World::new();
    let before = w.snapshot();
    let run = w.run_with(vec![(
        "test-logs",
        ZipBuilder::new().file("log.txt", b"x").finish(),
    )]);
    let out = w.fetch_run(run).run().success();
    out.assert_stderr_has("nothing to apply");
    assert_eq!(w.snapshot(), before);
}

#[test]
fn fetch_of_expired_artifacts_says_when_and_how_to_record_again() {
    let w = World::new();
    let run = w.add_run(&w.head, "success", 60 * 24 * 8);
    w.expired_artifact(run);
    let out = w.fetch_run(run).run().failure();
    // When: the artifact's expiry date, from the API.
    out.assert_stderr_has("recordings-1-1-record expired 20");
    out.assert_stderr_has("rerecord schedule");
}

#[test]
fn fetch_maps_the_legacy_flattened_layout_and_warns() {
    let w = World::new();
    let zip = ZipBuilder::new()
        .file("recordings/a.json", b"legacy a\n")
        .file("agents/recordings/b.json", b"legacy b\n")
        .finish();
    let run = w.run_with(vec![("recordings-ollama-base", zip)]);
    let out = w.fetch_run(run).run().success();
    assert_eq!(w.read(A), "legacy a\n");
    assert_eq!(w.read(B), "legacy b\n");
    out.assert_stderr_has("could not be verified");
}

#[test]
fn fetch_places_legacy_root_level_files_only_with_a_prefix() {
    let w = World::new();
    let zip = ZipBuilder::new().file("b.json", b"root b\n").finish();
    w.assert_refused(
        zip.clone(),
        &[
            "\"b.json\"",
            "--legacy-prefix tests/integration/MODULE/recordings",
        ],
    );
    let run = w.run_with(vec![("recordings-2", zip)]);
    w.fetch_run(run)
        .args(["--legacy-prefix", "tests/integration/agents/recordings"])
        .run()
        .success();
    assert_eq!(w.read(B), "root b\n");
}

#[test]
fn fetch_merges_two_matrix_artifacts() {
    let w = World::new();
    let run = w.run_with(vec![
        (
            "recordings-1-1-record-0",
            artifact(&[(A, "from job 0\n"), (B, "same\n")]),
        ),
        (
            "recordings-1-1-record-1",
            artifact(&[(NEW, "from job 1\n"), (B, "same\n")]),
        ),
    ]);
    let out = w.fetch_run(run).arg("--json").run().success();
    assert_eq!(
        (w.read(A).as_str(), w.read(NEW).as_str(), w.read(B).as_str()),
        ("from job 0\n", "from job 1\n", "same\n")
    );
    assert_eq!(out.json()["artifacts"].as_array().unwrap().len(), 2);
}

/// A matrix run of the newest llama-stack workflow: one manifest-less artifact per provider,
/// each holding the whole recordings folders (zip root `tests/integration/`), the other
/// providers' files in their HEAD state.
fn whole_folders(a: &str, b: &str, c: &str, nested: &str) -> Vec<u8> {
    ZipBuilder::new()
        .file("recordings/a.json", a.as_bytes())
        .file("agents/recordings/b.json", b.as_bytes())
        .file("agents/recordings/responses/c.json", c.as_bytes())
        .file("providers/nvidia/recordings/n.json", nested.as_bytes())
        .finish()
}

const NESTED: &str = "tests/integration/providers/nvidia/recordings/n.json";

#[test]
fn fetch_merges_whole_folder_artifacts_over_an_lfs_tracked_folder() {
    // HEAD holds pointers: a copy equal to HEAD is one whose content the pointer names.
    let mut w = World::new();
    track_recordings_with_lfs(&mut w);
    let (a, b) = ("{\"a\": 1}\n", "{\"b\": 1}\n");
    let c = "{\"c\": 1}\n";
    let run = w.run_with(vec![
        ("recordings-gpt", whole_folders("gpt a\n", b, c, "n\n")),
        ("recordings-azure", whole_folders(a, "azure b\n", c, "n\n")),
    ]);
    w.fetch_run(run).run().success();
    assert_eq!(
        (w.read(A), w.read(B), w.read(C)),
        ("gpt a\n".to_owned(), "azure b\n".to_owned(), c.to_owned())
    );
}

#[test]
fn fetch_merges_three_legacy_whole_folder_artifacts_of_a_matrix() {
    let w = World::new();
    let (a, b, c) = ("{\"a\": 1}\n", "{\"b\": 1}\n", "{\"c\": 1}\n");
    let run = w.run_with(vec![
        ("recordings-gpt", whole_folders("gpt a\n", b, c, "n\n")),
        ("recordings-azure", whole_folders(a, "azure b\n", c, "n\n")),
        (
            "recordings-watsonx",
            whole_folders(a, b, "watsonx c\n", "n\n"),
        ),
    ]);
    let out = w.fetch_run(run).arg("--json").run().success();
    assert_eq!(
        (w.read(A), w.read(B), w.read(C), w.read(NESTED)),
        (
            "gpt a\n".to_owned(),
            "azure b\n".to_owned(),
            "watsonx c\n".to_owned(),
            "n\n".to_owned()
        )
    );
    let from: BTreeMap<String, (String, String)> = out.json()["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_owned();
            (s("path"), (s("status"), s("artifact")))
        })
        .collect();
    let entry = |status: &str, artifact: &str| (status.to_owned(), artifact.to_owned());
    assert_eq!(from[A], entry("updated", "recordings-gpt"));
    assert_eq!(from[B], entry("updated", "recordings-azure"));
    assert_eq!(from[C], entry("updated", "recordings-watsonx"));
    assert_eq!(from[NESTED], entry("added", "recordings-gpt"));

    // The text report names the artifact of every changed file.
    git(&w.work, &["checkout", "-q", "--", "."]);
    let text = w.fetch_run(run).run().success();
    assert!(
        text.stdout.lines().any(|l| l.contains(B)
            && l.contains("updated")
            && l.contains("(from recordings-azure)")),
        "{}",
        text.stdout
    );
}

#[test]
fn fetch_refuses_two_different_changes_from_legacy_artifacts() {
    let w = World::new();
    let before = w.snapshot();
    let (b, c) = ("{\"b\": 1}\n", "{\"c\": 1}\n");
    let run = w.run_with(vec![
        ("recordings-gpt", whole_folders("gpt a\n", b, c, "n\n")),
        ("recordings-azure", whole_folders("azure a\n", b, c, "n\n")),
        (
            "recordings-watsonx",
            whole_folders("{\"a\": 1}\n", b, "watsonx c\n", "n\n"),
        ),
    ]);
    let out = w.fetch_run(run).run().failure();
    out.assert_stderr_has(A);
    out.assert_stderr_has("recordings-gpt vs recordings-azure");
    out.assert_stderr_has("1 file(s)");
    assert!(
        !out.stderr.contains(C),
        "only A is a real conflict: {}",
        out.stderr
    );
    assert_eq!(w.snapshot(), before);
}

#[test]
fn fetch_refuses_artifacts_that_disagree_and_writes_nothing() {
    let w = World::new();
    let before = w.snapshot();
    let run = w.run_with(vec![
        (
            "recordings-1-1-record-0",
            artifact(&[(A, "one\n"), (NEW, "n\n")]),
        ),
        ("recordings-1-1-record-1", artifact(&[(A, "two\n")])),
    ]);
    let out = w.fetch_run(run).run().failure();
    out.assert_stderr_has(A);
    out.assert_stderr_has("disagree");
    assert_eq!(w.snapshot(), before);
}

#[test]
fn fetch_refuses_zip_slip() {
    let zip = ZipBuilder::new()
        .file(A, b"ok")
        .file("../evil", b"boom")
        .finish();
    World::new().assert_refused(zip, &["entry \"../evil\" escapes the repository"]);
}

#[test]
fn fetch_refuses_absolute_paths() {
    let zip = ZipBuilder::new().file("/tmp/evil.json", b"boom").finish();
    World::new().assert_refused(zip, &["\"/tmp/evil.json\"", "absolute path"]);
}

#[test]
fn fetch_refuses_symlink_entries() {
    let zip = ZipBuilder::new().symlink(A, "/etc/passwd").finish();
    World::new().assert_refused(zip, &["symbolic link"]);
}

#[test]
fn fetch_refuses_paths_outside_the_recordings() {
    let bad = "tests/integration/client-typescript/package.json";
    let zip = ZipBuilder::new()
        .file(bad, b"{}")
        .manifest(1, &[(bad, b"{}")], &[])
        .finish();
    World::new().assert_refused(zip, &[bad, "is not a recording"]);
}

/// An artifact holding `A` whose manifest entry for it says `field` is `value`.
fn promising_a_file_whose(field: &str, value: serde_json::Value) -> Vec<u8> {
    let mut m = zips::manifest_value(1, &[(A, b"promised")], &[]);
    m["files"][0][field] = value;
    ZipBuilder::new()
        .file(A, b"promised")
        .raw_manifest(&m)
        .finish()
}

#[test]
fn fetch_refuses_a_sha256_mismatch() {
    let zip = promising_a_file_whose("sha256", zips::sha256_hex(b"other!!!").into());
    World::new().assert_refused(zip, &[A, "sha256"]);
}

#[test]
fn fetch_refuses_a_size_mismatch() {
    let zip = promising_a_file_whose("size", 99.into());
    World::new().assert_refused(zip, &[A, "says 99"]);
}

#[test]
fn fetch_refuses_a_file_missing_from_the_zip() {
    let zip = ZipBuilder::new()
        .file(A, b"a")
        .manifest(1, &[(A, b"a"), (NEW, b"n")], &[])
        .finish();
    World::new().assert_refused(zip, &[NEW, "missing from the zip"]);
}

#[test]
fn fetch_refuses_a_file_not_in_the_manifest() {
    let zip = ZipBuilder::new()
        .file(A, b"a")
        .file(NEW, b"n")
        .manifest(1, &[(A, b"a")], &[])
        .finish();
    World::new().assert_refused(zip, &[NEW, "not listed"]);
}

#[test]
fn fetch_refuses_duplicate_entries() {
    let mut zip = ZipBuilder::new()
        .file(A, b"first")
        .file(&A.replace("a.json", "z.json"), b"second")
        .finish();
    zips::rename_entry_bytes(&mut zip, &A.replace("a.json", "z.json"), A);
    World::new().assert_refused(zip, &[&format!("entry {A:?}"), "twice"]);
}

#[test]
fn fetch_refuses_a_truncated_zip() {
    let zip = artifact(&[(A, &"x".repeat(10_000))]);
    World::new().assert_refused(zip[..zip.len() - 30].to_vec(), &["truncated or corrupt"]);
}

#[test]
fn fetch_refuses_a_zip_bomb() {
    let zeros = zips::zeros(16 * 1024 * 1024);
    let zip = ZipBuilder::new()
        .file(A, &zeros)
        .manifest(1, &[(A, &zeros)], &[])
        .finish();
    World::new().assert_refused(zip, &[A, "zip bomb"]);
}

#[test]
fn fetch_refuses_local_changes_unless_forced() {
    let w = World::new();
    write(&w.work, A, "my local edit\n");
    let before = w.snapshot();
    let run = w.recorded(&[(A, "from ci\n"), (NEW, "n\n")]);
    let out = w.fetch_run(run).run().failure();
    out.assert_stderr_has(A);
    out.assert_stderr_has("--force");
    assert_eq!(w.snapshot(), before);
    w.fetch_run(run).arg("--force").run().success();
    assert_eq!(w.read(A), "from ci\n");
}

#[test]
fn fetch_removes_deleted_recordings_only_when_unmodified() {
    let w = World::new();
    let zip = ZipBuilder::new().manifest(1, &[], &[B, C]).finish();
    write(&w.work, C, "edited\n");
    let run = w.run_with(vec![("recordings-1-1-record", zip)]);
    let out = w.fetch_run(run).run().failure();
    out.assert_stderr_has(C);
    assert!(w.work.join(B).exists());
    git(&w.work, &["checkout", "--", C]);
    let out = w.fetch_run(run).arg("--json").run().success();
    assert!(!w.work.join(B).exists() && !w.work.join(C).exists());
    let json = out.json();
    let statuses: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["deleted", "deleted"]);
}

#[test]
fn fetch_commit_contains_exactly_the_fetched_files() {
    let w = World::new();
    write(&w.work, "src/app.py", "x = 2  # unrelated, uncommitted\n");
    let run = w.recorded(&[(A, "a2\n"), (NEW, "n\n"), (B, "{\"b\": 1}\n")]);
    w.fetch_run(run).arg("--commit").run().success();
    assert_eq!(
        git(&w.work, &["log", "-1", "--format=%s"]),
        format!("Recordings from CI run {run} (ollama, base)")
    );
    let changed = git(&w.work, &["diff", "--name-only", "HEAD~1", "HEAD"]);
    assert_eq!(changed.lines().collect::<Vec<_>>(), [NEW, A]);
    assert_eq!(git(&w.work, &["status", "--porcelain"]), "M src/app.py");
}

#[test]
fn fetch_dry_run_verifies_and_writes_nothing() {
    let w = World::new();
    let before = w.snapshot();
    let run = w.recorded(&[(A, "a2\n"), (NEW, "n\n")]);
    let out = w.fetch_run(run).arg("--dry-run").run().success();
    out.assert_stdout_has("1 added, 1 updated");
    assert_eq!(w.snapshot(), before);
    // A dry run still refuses hostile input.
    let bad = w.run_with(vec![(
        "recordings-2",
        ZipBuilder::new().file("../x", b"x").finish(),
    )]);
    w.fetch_run(bad).arg("--dry-run").run().failure();
}

#[test]
fn fetch_never_sends_the_token_to_the_storage_host() {
    let w = World::new();
    let run = w.recorded(&[(A, "a2\n")]);
    w.fetch_run(run).run().success();
    w.assert_token_only_to_the_api();
}

/// A run recording `a` into `A`, then the upstream renamed to `upstream/renamed`.
fn renamed_after_a_run(a: &str) -> (World, u64) {
    let w = World::new();
    let run = w.recorded(&[(A, a)]);
    w.fake.rename_repo(UPSTREAM, "upstream/renamed");
    (w, run)
}

#[test]
fn fetch_from_a_renamed_upstream_follows_its_redirects() {
    let (w, run) = renamed_after_a_run("moved\n");
    let out = w.fetch_run(run).run().success();
    assert_eq!(w.read(A), "moved\n");
    assert_eq!(
        out.stderr
            .matches("upstream/project moved to upstream/renamed")
            .count(),
        1,
        "{}",
        out.stderr
    );
    let requests = w.fake.requests();
    let download: Vec<u16> = requests
        .iter()
        .filter(|r| r.path.ends_with("/zip") || r.listener == Listener::Storage)
        .map(|r| r.status)
        .collect();
    assert_eq!(download, [301, 302, 200], "old name, new name, storage");
    w.assert_token_only_to_the_api();
}

#[test]
fn a_redirect_to_another_host_never_carries_the_token() {
    let (w, run) = renamed_after_a_run("x\n");
    // The old name now points at another listener, which records every header it gets.
    w.fake
        .redirect_moved_repo_to(UPSTREAM, &w.fake.storage_url());
    let before = w.snapshot();
    let out = w.fetch_run(run).run().failure();
    let elsewhere = w.storage_requests();
    assert!(
        elsewhere
            .iter()
            .any(|r| r.path.starts_with("/repos/upstream/renamed/")),
        "the redirect was not followed: {elsewhere:?}"
    );
    assert!(
        elsewhere.iter().all(|r| r.authorization.is_none()),
        "Authorization reached another host: {elsewhere:?}"
    );
    assert!(!out.all_output().contains(TOKEN));
    assert_eq!(w.snapshot(), before);
}

#[test]
fn fetch_over_an_https_api_trusts_ssl_cert_file() {
    let w = World::new();
    let run = w.recorded(&[(A, "tls\n")]);
    let (proxy, pem) = w.behind_tls();
    let fetch = |trusted: &Path| w.fetch_run_over_tls(&proxy.url(), trusted, run).run();
    // A CA that did not sign the proxy's certificate: refused before anything is asked, at
    // once (no retries: asking again cannot help), with the way out.
    let other = w.work.join(".git/other-ca.pem");
    TestCa::new().write_pem(&other);
    let refused = fetch(&other).failure();
    refused.assert_stderr_has("TLS certificate");
    refused.assert_stderr_has("SSL_CERT_FILE");
    // The run and its artifacts are asked for at once, one handshake each, none retried. The
    // first refusal ends the command, so whether the second look-up's connection was opened by
    // then is a race: one or two handshakes, never more.
    let handshakes = proxy.connections();
    assert!(
        (1..=2).contains(&handshakes),
        "a refused handshake was retried: {handshakes} handshakes"
    );
    assert!(w.fake.requests().is_empty(), "{:?}", w.fake.requests());

    fetch(&pem).success();
    assert_eq!(w.read(A), "tls\n");
    w.assert_token_only_to_the_api();
}

#[test]
fn fetch_over_an_https_api_goes_through_the_environments_proxy() {
    let w = World::new();
    let run = w.recorded(&[(A, "proxied\n")]);
    let (tls, pem) = w.behind_tls();
    let proxy = ConnectProxy::start();
    let fetch = |vars: &[(&str, &str)]| {
        let mut cmd = w.fetch_run_over_tls(&tls.url(), &pem, run).arg("--force");
        for (k, v) in vars {
            cmd = cmd.env(k, v);
        }
        cmd.run()
    };
    let with_credentials = proxy.url().replace("http://", "http://me:pw@");
    let out = fetch(&[("HTTPS_PROXY", &with_credentials)]).success();
    assert_eq!(w.read(A), "proxied\n");
    // Only tunnels to the https API: the plain-http storage goes direct.
    proxy.assert_only_tunnels_to(&format!("127.0.0.1:{}", tls.port));
    assert!(!out.all_output().contains(TOKEN));
    assert!(
        !w.storage_requests().is_empty(),
        "the download reached storage"
    );

    // Lower-case names work too, and NO_PROXY sends the host direct.
    write(&w.work, A, "{\"a\": 1}\n");
    let before = proxy.seen().len();
    fetch(&[
        ("https_proxy", &proxy.url()),
        ("no_proxy", "localhost,127.0.0.1"),
    ])
    .success();
    assert_eq!(proxy.seen().len(), before, "NO_PROXY was not honoured");
    assert_eq!(w.read(A), "proxied\n");
    fetch(&[("https_proxy", &proxy.url())]).success();
    assert!(proxy.seen().len() > before, "https_proxy was not honoured");
}

#[test]
fn fetch_json_is_one_object_with_the_documented_shape() {
    let w = World::new();
    let run = w.recorded(&[(A, "a2\n"), (B, "{\"b\": 1}\n"), (NEW, "n\n")]);
    let out = w.fetch_run(run).arg("--json").run().success();
    let v = out.json();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["artifacts", "files", "run"]);
    assert_eq!(v["run"]["id"], run);
    assert_eq!(v["run"]["conclusion"], "success");
    assert!(v["run"]["url"].as_str().unwrap().contains(&run.to_string()));
    assert_eq!(v["artifacts"][0]["name"], "recordings-1-1-record");
    assert!(v["artifacts"][0]["size"].as_u64().unwrap() > 0);
    let files = crate::fake_github::pairs_of(&v["files"], "path", "status");
    assert_eq!(
        files,
        [
            (B.to_owned(), "unchanged".to_owned()),
            (NEW.to_owned(), "added".to_owned()),
            (A.to_owned(), "updated".to_owned())
        ]
    );
}

/// Make the checkout one with git-lfs: HEAD has pointers, the work tree the content.
fn track_recordings_with_lfs(w: &mut World) {
    crate::lfs::track_recordings_in(&w.work);
    w.head = git(&w.work, &["rev-parse", "HEAD"]);
    w.fake.set_branch(FORK, BRANCH, &w.head);
    let pointer = git(&w.work, &["cat-file", "-p", &format!("HEAD:{A}")]);
    assert!(pointer.starts_with("version https://git-lfs"), "{pointer}");
}

#[test]
fn fetch_into_an_lfs_tracked_folder_writes_content_and_commits_pointers() {
    let mut w = World::new();
    track_recordings_with_lfs(&mut w);
    let show = |rev_path: &str| git(&w.work, &["cat-file", "-p", rev_path]);
    // Its index no longer vouches for A by stat: the conflict check must compare A's content
    // with HEAD's pointer, not with the pointer's bytes.
    crate::lfs::touch_back(&w.work.join(A));
    let run = w.recorded(&[(NEW, "{\"n\": 1}\n"), (A, "{\"a\": 2}\n")]);
    w.fetch_run(run).arg("--commit").run().success();
    for (path, content) in [(NEW, "{\"n\": 1}\n"), (A, "{\"a\": 2}\n")] {
        assert_eq!(w.read(path), content, "the work tree holds the content");
        let pointer = crate::lfs::pointer_of(content.as_bytes());
        assert_eq!(show(&format!("HEAD:{path}")), pointer.trim_end());
        let oid = zips::sha256_hex(content.as_bytes());
        let stored = w
            .work
            .join(".git/lfs/objects")
            .join(&oid[..2])
            .join(&oid[2..4])
            .join(&oid);
        assert_eq!(
            std::fs::read_to_string(&stored).unwrap(),
            content,
            "the object is where git-lfs's pre-push hook looks"
        );
    }
    // git with git-lfs sees nothing left to commit for them.
    assert_eq!(git(&w.work, &["status", "--porcelain", "--", A, NEW]), "");
}
