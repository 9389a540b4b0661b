//! Behaviour tests for `rerecord commit`, against real git: temporary repositories, bare
//! remotes, shallow clones, a `pull_request` merge-commit checkout, concurrent jobs, and pushes
//! over a smart-HTTP server that requires a token.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use support::cmd::{Run, path_str, rerecord, tempdir};
use support::git_fixtures::{Remote, commit_and_push, git, llama_tree, write};
use support::http_git::HttpGit;

const BRANCH: &str = "feature-x";
const BOT: &str = "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>";
const REC_NEW: &str = "tests/integration/agents/recordings/a-new.json";
const REC_MOD: &str = "tests/integration/agents/recordings/a-1.json";
const REC_ROOT_NEW: &str = "tests/integration/recordings/root-2.json";

/// A simulated Actions job: runner files in a temp dir, `GITHUB_*` set like the runner does.
struct Job {
    dir: PathBuf,
    env: Vec<(String, String)>,
}

impl Job {
    fn new(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let env = [
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("GITHUB_REPOSITORY", "acme/stack".to_owned()),
            ("GITHUB_RUN_ID", "4242".to_owned()),
            ("GITHUB_RUN_ATTEMPT", "2".to_owned()),
            ("GITHUB_JOB", "record".to_owned()),
            ("GITHUB_OUTPUT", path_str(&dir.join("output"))),
            ("GITHUB_STEP_SUMMARY", path_str(&dir.join("summary.md"))),
            ("RUNNER_TEMP", path_str(&dir.join("runner-temp"))),
        ];
        Self {
            dir: dir.to_path_buf(),
            env: env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }

    fn set(mut self, key: &str, value: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// A `pull_request` event payload for `head_ref` from `head_repo`.
    fn pull_request(self, head_ref: &str, head_sha: &str, head_repo: &str) -> Self {
        let payload = serde_json::json!({
            "action": "synchronize",
            "number": 7,
            "pull_request": {
                "number": 7,
                "head": {"ref": head_ref, "sha": head_sha, "repo": {"full_name": head_repo}},
                "base": {"ref": "main", "repo": {"full_name": "acme/stack"}}
            },
            "repository": {"full_name": "acme/stack"}
        });
        let path = self.dir.join("event.json");
        std::fs::write(&path, payload.to_string()).unwrap();
        self.set("GITHUB_EVENT_NAME", "pull_request")
            .set("GITHUB_EVENT_PATH", &path_str(&path))
            .set("GITHUB_HEAD_REF", head_ref)
            .set("GITHUB_REF_NAME", "7/merge")
    }

    fn run(&self, work: &Path, args: &[&str]) -> Run {
        let mut cmd = rerecord().current_dir(work).arg("commit").args(args);
        for (k, v) in &self.env {
            cmd = cmd.env(k, v);
        }
        cmd.run()
    }

    fn outputs(&self) -> BTreeMap<String, String> {
        let text = std::fs::read_to_string(self.dir.join("output")).unwrap_or_default();
        let mut map = BTreeMap::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if let Some((k, delim)) = line.split_once("<<") {
                let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delim).collect();
                map.insert(k.to_owned(), value.join("\n"));
            } else if let Some((k, v)) = line.split_once('=') {
                map.insert(k.to_owned(), v.to_owned());
            }
        }
        map
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.dir.join("summary.md")).unwrap_or_default()
    }
}

fn setup() -> (tempfile::TempDir, Remote, PathBuf) {
    let tmp = tempdir();
    let remote = Remote::new(tmp.path(), BRANCH, &llama_tree());
    let work = remote.clone("work", BRANCH);
    (tmp, remote, work)
}

/// New + modified recordings plus the decoys the old action committed by mistake.
fn record_with_decoys(work: &Path) {
    write(work, REC_NEW, "{\"new\": true}\n");
    write(work, REC_MOD, "{\"agents\": \"re-recorded\"}\n");
    write(work, REC_ROOT_NEW, "{\"root\": 2}\n");
    write(
        work,
        "tests/integration/client-typescript/package.json",
        "{\"name\": \"client\", \"v\": 2}\n",
    );
    write(
        work,
        "tests/integration/client-typescript/package-lock.json",
        "{\"lockfileVersion\": 4}\n",
    );
    write(work, ".github/workflows/record.yml", "name: changed\n");
}

#[test]
fn commit_pushes_only_recordings_when_package_json_lockfile_and_workflow_also_changed() {
    let (tmp, remote, work) = setup();
    let before = remote.rev(BRANCH);
    record_with_decoys(&work);
    let job = Job::new(&tmp.path().join("job")).set("GITHUB_REF_NAME", BRANCH);
    let run = job
        .run(&work, &["--setup", "ollama", "--suite", "base"])
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
    assert!(
        run.stdout.contains("::group::Recordings (3)"),
        "{}",
        run.stdout
    );
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
    assert!(
        run.stderr
            .contains("tests/integration/agents/recordings/leak.json"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("symlink"), "{}", run.stderr);
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
    assert!(
        run.stderr.contains("tests/integration/recordings/sub"),
        "{}",
        run.stderr
    );
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
fn pull_request_merge_checkout_commits_onto_the_head_branch_tip() {
    let (tmp, remote, work) = setup();
    // main moves on with a base-only file; the runner checks out the PR's merge commit.
    let other = remote.clone("other", "main");
    write(&other, "src/base_only.py", "x = 1\n");
    commit_and_push(&other, "main", "base change");
    let pr = remote.clone("pr", BRANCH);
    write(&pr, "src/pr_change.py", "y = 2\n");
    let head_sha = commit_and_push(&pr, BRANCH, "PR change");
    git(&work, &["fetch", "-q", "origin", "main", BRANCH]);
    git(&work, &["checkout", "-q", "--detach", "origin/main"]);
    git(
        &work,
        &["merge", "-q", "--no-ff", "-m", "Merge into main", &head_sha],
    );
    assert_eq!(
        git(&work, &["rev-list", "--parents", "-n", "1", "HEAD"])
            .split(' ')
            .count(),
        3,
        "a merge commit"
    );
    write(&work, REC_NEW, "{\"pr\": 1}\n");

    let job = Job::new(&tmp.path().join("job")).pull_request(BRANCH, &head_sha, "acme/stack");
    job.run(&work, &[]).success();
    let tip = remote.rev(BRANCH);
    assert_eq!(
        remote.parents(&tip),
        vec![head_sha],
        "the head branch's tip is the single parent"
    );
    let files = remote.files(BRANCH);
    assert!(files.contains(&REC_NEW.to_owned()));
    assert!(
        !files.contains(&"src/base_only.py".to_owned()),
        "base commits leaked into the PR branch"
    );
    assert!(files.contains(&"src/pr_change.py".to_owned()));
    assert_eq!(job.outputs()["target-branch"], BRANCH);
}

#[test]
fn commit_lands_when_tip_moved_after_checkout_and_warns_that_recordings_may_be_stale() {
    let (tmp, remote, work) = setup();
    let checkout = remote.rev(BRANCH);
    let other = remote.clone("other", BRANCH);
    write(&other, "src/app.py", "print('moved on')\n");
    let moved = commit_and_push(&other, BRANCH, "PR moved on");
    write(&work, REC_NEW, "{}\n");

    let job = Job::new(&tmp.path().join("job")).set("GITHUB_REF_NAME", BRANCH);
    let run = job.run(&work, &[]).success();
    let tip = remote.rev(BRANCH);
    assert_eq!(remote.parents(&tip), vec![moved.clone()]);
    assert_eq!(
        remote.count(&format!("{checkout}..{BRANCH}")),
        2,
        "both commits on the branch"
    );
    assert_eq!(remote.show(BRANCH, "src/app.py"), "print('moved on')");
    assert!(
        run.stdout.contains("::warning::") && run.stdout.contains("may be stale"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&checkout) && run.stdout.contains("src/app.py"),
        "{}",
        run.stdout
    );
}

#[test]
fn shallow_checkout_lands_on_a_tip_that_moved_with_a_sibling_recording_and_no_stale_warning() {
    let (tmp, remote, _) = setup();
    let work = remote.shallow_clone("shallow", BRANCH);
    let sibling = remote.clone("sibling", BRANCH);
    write(
        &sibling,
        "tests/integration/inference/recordings/sibling.json",
        "{}\n",
    );
    let moved = commit_and_push(&sibling, BRANCH, "sibling recordings");
    write(&work, REC_NEW, "{}\n");

    let run = Job::new(&tmp.path().join("job"))
        .run(&work, &["--target-branch", BRANCH])
        .success();
    let tip = remote.rev(BRANCH);
    assert_eq!(remote.parents(&tip), vec![moved]);
    let files = remote.files(BRANCH);
    assert!(
        files.contains(&REC_NEW.to_owned())
            && files.contains(&"tests/integration/inference/recordings/sibling.json".to_owned())
    );
    assert!(
        !run.stdout.contains("may be stale"),
        "only recordings moved: {}",
        run.stdout
    );
}

#[test]
fn commit_warns_and_wins_when_the_same_recording_changed_on_the_tip() {
    let (tmp, remote, work) = setup();
    let other = remote.clone("other", BRANCH);
    write(&other, REC_MOD, "{\"theirs\": 1}\n");
    commit_and_push(&other, BRANCH, "their recording");
    write(&work, REC_MOD, "{\"ours\": 1}\n");
    let run = Job::new(&tmp.path().join("job"))
        .run(&work, &["--target-branch", BRANCH])
        .success();
    assert_eq!(remote.show(BRANCH, REC_MOD), "{\"ours\": 1}");
    let warning = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::warning::") && l.contains(REC_MOD));
    assert!(
        warning.is_some_and(|w| w.contains("replaced")),
        "{}",
        run.stdout
    );
}

#[test]
fn eight_concurrent_jobs_all_land_with_the_default_max_attempts() {
    let tmp = tempdir();
    let remote = Remote::new(tmp.path(), BRANCH, &llama_tree());
    let before = remote.rev(BRANCH);
    let works: Vec<PathBuf> = (1..=8)
        .map(|j| {
            let w = remote.clone(&format!("job-{j}"), BRANCH);
            for i in 0..3 {
                write(
                    &w,
                    &format!("tests/integration/agents/recordings/job{j}-{i}.json"),
                    &format!("{{\"job\": {j}}}\n"),
                );
            }
            w
        })
        .collect();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = works
        .iter()
        .enumerate()
        .map(|(j, w)| {
            let (w, barrier, dir) = (
                w.clone(),
                barrier.clone(),
                tmp.path().join(format!("runner-{j}")),
            );
            std::thread::spawn(move || {
                let job = Job::new(&dir);
                barrier.wait();
                let run = job.run(
                    &w,
                    &["--target-branch", BRANCH, "--setup", &format!("job-{j}")],
                );
                (run.code, run.all_output())
            })
        })
        .collect();
    for h in handles {
        let (code, output) = h.join().unwrap();
        assert_eq!(code, 0, "{output}");
    }
    assert_eq!(
        remote.count(&format!("{before}..{BRANCH}")),
        8,
        "all 8 commits landed"
    );
    let files = remote.files(BRANCH);
    for j in 1..=8 {
        for i in 0..3 {
            let f = format!("tests/integration/agents/recordings/job{j}-{i}.json");
            assert!(files.contains(&f), "{f} lost");
        }
    }
}

#[test]
fn push_over_smart_http_authenticates_with_the_token_from_a_shallow_checkout() {
    let tmp = tempdir();
    let remote = Remote::new(tmp.path(), BRANCH, &llama_tree());
    let server = HttpGit::start(tmp.path(), "s3cret-token");
    let work = remote.shallow_clone("work", BRANCH);
    git(
        &work,
        &["remote", "set-url", "origin", &server.url("remote.git")],
    );
    let before = remote.rev(BRANCH);
    record_with_decoys(&work);
    let job = Job::new(&tmp.path().join("job")).set("PUSH_TOKEN", "s3cret-token");
    let run = job
        .run(
            &work,
            &["--target-branch", BRANCH, "--token-env", "PUSH_TOKEN"],
        )
        .success();
    assert_eq!(remote.parents(&remote.rev(BRANCH)), vec![before]);
    assert_eq!(remote.show(BRANCH, REC_NEW), "{\"new\": true}");
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.contains("git-receive-pack") && r.ends_with("user=x-access-token")),
        "{:?}",
        server.requests()
    );
    let config = std::fs::read_to_string(work.join(".git/config")).unwrap();
    assert!(!config.contains("s3cret-token") && !run.all_output().contains("s3cret-token"));
    assert!(!job.summary().contains("s3cret-token"));
}

#[test]
fn push_over_smart_http_with_a_wrong_token_fails_clearly_without_showing_it() {
    let tmp = tempdir();
    let remote = Remote::new(tmp.path(), BRANCH, &llama_tree());
    let server = HttpGit::start(tmp.path(), "right-token");
    let work = remote.clone("work", BRANCH);
    git(
        &work,
        &["remote", "set-url", "origin", &server.url("remote.git")],
    );
    let before = remote.rev(BRANCH);
    write(&work, REC_NEW, "{}\n");
    let run = Job::new(&tmp.path().join("job"))
        .set("GITHUB_TOKEN", "wrong-token-value")
        .run(&work, &["--target-branch", BRANCH])
        .failure();
    assert!(run.stderr.contains("authentication"), "{}", run.stderr);
    assert!(run.stderr.contains("GITHUB_TOKEN"), "{}", run.stderr);
    assert!(
        !run.all_output().contains("wrong-token-value"),
        "{}",
        run.all_output()
    );
    assert_eq!(remote.rev(BRANCH), before);
}

#[test]
fn fork_pr_stages_files_and_manifest_and_pushes_nothing() {
    let (tmp, remote, work) = setup();
    let before = remote.rev(BRANCH);
    record_with_decoys(&work);
    let job = Job::new(&tmp.path().join("job")).pull_request(BRANCH, &before, "contributor/stack");
    let run = job
        .run(
            &work,
            &["--setup", "vllm", "--suite", "base", "--job-key", "3"],
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
            .contains("rerecord fetch --run 4242 --repo acme/stack"),
        "{}",
        job.summary()
    );
    assert!(
        run.stdout
            .contains("artifact name: recordings-4242-2-record-3"),
        "{}",
        run.stdout
    );
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
    let out = job.outputs();
    assert_eq!(
        (
            out["changed"].as_str(),
            out["count"].as_str(),
            out["pushed"].as_str()
        ),
        ("false", "0", "false")
    );
    assert!(
        run.stdout.contains("No recording changes"),
        "{}",
        run.stdout
    );
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
    let out = job.outputs();
    assert_eq!(
        (
            out["changed"].as_str(),
            out["count"].as_str(),
            out["pushed"].as_str()
        ),
        ("true", "3", "false")
    );
    let json = run.json();
    assert_eq!(json["pushed"], false);
    assert_eq!(json["count"], 3);
    assert_eq!(json["target_branch"], BRANCH);
    assert_eq!(json["ignored"].as_array().unwrap().len(), 2);

    let fork =
        Job::new(&tmp.path().join("job-fork")).pull_request(BRANCH, &before, "contributor/stack");
    fork.run(&work, &["--dry-run"]).success();
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
    assert!(run.stderr.contains("--target-branch"), "{}", run.stderr);
}

#[test]
fn push_over_smart_http_from_a_shallow_checkout_lands_on_a_tip_that_moved() {
    let tmp = tempdir();
    let remote = Remote::new(tmp.path(), BRANCH, &llama_tree());
    let server = HttpGit::start(tmp.path(), "tok");
    let work = remote.shallow_clone("work", BRANCH);
    git(
        &work,
        &["remote", "set-url", "origin", &server.url("remote.git")],
    );
    let sibling = remote.clone("sibling", BRANCH);
    write(
        &sibling,
        "tests/integration/inference/recordings/sibling.json",
        "{}\n",
    );
    let moved = commit_and_push(&sibling, BRANCH, "sibling recordings");
    write(&work, REC_NEW, "{}\n");
    Job::new(&tmp.path().join("job"))
        .set("GITHUB_TOKEN", "tok")
        .run(&work, &["--target-branch", BRANCH])
        .success();
    assert_eq!(remote.parents(&remote.rev(BRANCH)), vec![moved]);
    assert!(remote.files(BRANCH).contains(&REC_NEW.to_owned()));
}

#[test]
fn concurrent_pushes_over_smart_http_all_land() {
    let tmp = tempdir();
    let remote = Remote::new(tmp.path(), BRANCH, &llama_tree());
    let server = HttpGit::start(tmp.path(), "tok");
    let before = remote.rev(BRANCH);
    let works: Vec<PathBuf> = (1..=4)
        .map(|j| {
            let w = remote.shallow_clone(&format!("job-{j}"), BRANCH);
            git(
                &w,
                &["remote", "set-url", "origin", &server.url("remote.git")],
            );
            write(
                &w,
                &format!("tests/integration/recordings/http-{j}.json"),
                "{}\n",
            );
            w
        })
        .collect();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(works.len()));
    let handles: Vec<_> = works
        .into_iter()
        .enumerate()
        .map(|(j, w)| {
            let (barrier, dir) = (barrier.clone(), tmp.path().join(format!("runner-{j}")));
            std::thread::spawn(move || {
                let job = Job::new(&dir).set("GITHUB_TOKEN", "tok");
                barrier.wait();
                let run = job.run(&w, &["--target-branch", BRANCH]);
                (run.code, run.all_output())
            })
        })
        .collect();
    for h in handles {
        let (code, output) = h.join().unwrap();
        assert_eq!(code, 0, "{output}");
    }
    assert_eq!(remote.count(&format!("{before}..{BRANCH}")), 4);
    let files = remote.files(BRANCH);
    assert!(
        (1..=4).all(|j| files.contains(&format!("tests/integration/recordings/http-{j}.json"))),
        "{files:?}"
    );
}
