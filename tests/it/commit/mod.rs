//! Behaviour tests for `rerecord commit`, against real git: temporary repositories, bare
//! remotes, shallow clones, a `pull_request` merge-commit checkout, concurrent jobs, and pushes
//! over a smart-HTTP server that requires a token; `hostile` is a recording job whose tests
//! rewrote everything they could before `commit` ran.

use crate::support;

mod attributes;
mod fork_and_outputs;
mod hostile;
mod selection;
mod smart_http;
mod tip;
mod untrusted;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use support::cmd::{Run, path_str, rerecord, tempdir};
use support::git_fixtures::{Remote, llama_tree, write};
use support::http_git::HttpGit;
use support::land_world::BRANCH;

const BOT: &str = "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>";
const REC_NEW: &str = "tests/integration/agents/recordings/a-new.json";
const REC_MOD: &str = "tests/integration/agents/recordings/a-1.json";
const REC_ROOT_NEW: &str = "tests/integration/recordings/root-2.json";
/// The job's `GITHUB_REPOSITORY`.
const REPO: &str = "acme/stack";
/// The push token of jobs made by [`Job::new`].
const JOB_TOKEN: &str = "ghs_jobtoken0123456789";

/// Serve `root/remote.git` (the [`Remote`] fixture) also as `root/acme/stack.git`, where
/// `GITHUB_SERVER_URL/GITHUB_REPOSITORY` points.
fn link_repository(root: &Path) {
    let owner = root.join("acme");
    std::fs::create_dir_all(&owner).unwrap();
    match std::os::unix::fs::symlink("../remote.git", owner.join("stack.git")) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => panic!("link: {e}"),
        _ => {}
    }
}

/// A simulated Actions job: runner files in a temp dir, `GITHUB_*` set like the runner does.
struct Job {
    dir: PathBuf,
    env: Vec<(String, String)>,
    /// The job's GitHub, when [`Job::new`] started one.
    server: Option<HttpGit>,
}

impl Job {
    /// A job whose GitHub (`GITHUB_SERVER_URL`) is a smart-HTTP server for the folder the job's
    /// directory is in, where [`Remote::new`] put `remote.git`; the token is [`JOB_TOKEN`].
    fn new(dir: &Path) -> Self {
        let root = dir.parent().unwrap();
        link_repository(root);
        let server = HttpGit::start(root, JOB_TOKEN);
        let mut job = Self::runner(dir)
            .served_by(&server)
            .set("GITHUB_TOKEN", JOB_TOKEN);
        job.server = Some(server);
        job
    }

    /// Point `GITHUB_SERVER_URL` at `server` (which must serve `acme/stack.git`).
    fn served_by(self, server: &HttpGit) -> Self {
        self.set("GITHUB_SERVER_URL", &server.url(""))
    }

    /// The runner's variables only: no server, no token.
    fn runner(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let env = [
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("GITHUB_REPOSITORY", REPO.to_owned()),
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
            server: None,
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

    /// The step's `changed`, `count` and `pushed` outputs.
    fn changed_count_pushed(&self) -> [String; 3] {
        let out = self.outputs();
        ["changed", "count", "pushed"].map(|k| out[k].clone())
    }

    fn outputs(&self) -> BTreeMap<String, String> {
        let text = std::fs::read_to_string(self.dir.join("output")).unwrap_or_default();
        support::cmd::parse_github_output(&text)
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.dir.join("summary.md")).unwrap_or_default()
    }
}

/// Another clone pushes a recording to `BRANCH` of `remote` (the tip moves under a checkout);
/// returns the new tip.
fn sibling_pushes_a_recording(remote: &Remote) -> String {
    let sibling = remote.clone("sibling", BRANCH);
    let path = "tests/integration/inference/recordings/sibling.json";
    write(&sibling, path, "{}\n");
    support::git_fixtures::commit_and_push(&sibling, BRANCH, "sibling recordings")
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
