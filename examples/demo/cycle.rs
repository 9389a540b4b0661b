//! The whole rerecord cycle on one machine, for `cargo run --example demo` and its test
//! (`tests/it/demo.rs` includes this file): the fake GitHub as the API, a smart-HTTP git server
//! as github.com, and every step run by the real rerecord binary.
//!
//! 1. `schedule` on the contributor's laptop dispatches the recording workflow for the PR;
//! 2. a record job (a `pull_request` run of the upstream) runs the tests in record mode in a
//!    scratch checkout and `commit` stages the changed recordings with a manifest;
//! 3. the runner uploads the staged folder as the run's artifact;
//! 4. `land` (the privileged job, which runs no PR code) verifies it and pushes one commit with
//!    exactly the recordings onto the fork PR's branch;
//! 5. `fetch` applies the same run's recordings to a contributor's checkout;
//! 6. `report` shows what changed, by test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::fake_github::{FakeGitHub, PrSpec, RunSpec, TOKEN};
use super::http_git::HttpGit;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

pub const UPSTREAM: &str = "meta/llama-stack";
pub const FORK: &str = "me/llama-stack";
pub const BRANCH: &str = "feature-x";
const WORKFLOW_FILE: &str = "record-integration-tests.yml";
/// A maintainer's token: the only one the git server lets push to the fork.
const PUSH_TOKEN: &str = "ghp_demoMaintainerToken0123456789";
/// The llama-stack workflow of Sep 2025 - Mar 2026: dispatched on the PR branch of the fork.
const WORKFLOW: &str = include_str!("../../tests/fixtures/workflows/llama-stack-2025-09b.yml");
pub const UPDATED: &str = "tests/integration/recordings/a.json";
pub const ADDED: &str = "tests/integration/agents/recordings/new-agent-test.json";
const TEST_FILE: &str = "tests/integration/agents/test_agents.py";

/// What the cycle did, as found in the git server and the checkout afterwards.
#[derive(Debug)]
pub struct Outcome {
    /// The PR head the recording ran on.
    pub head: String,
    /// The fork branch's tip after `land`, and its parent.
    pub landed: String,
    pub landed_parent: String,
    /// Files the landed commit changed, with git's status letter.
    pub landed_files: Vec<String>,
    /// The recordings `fetch` wrote into the contributor's checkout.
    pub fetched: BTreeMap<String, String>,
    /// `report`'s output.
    pub report: String,
}

/// Run the cycle in `dir`; `rerecord()` makes a command running the rerecord binary.
pub fn run(dir: &Path, rerecord: &dyn Fn() -> Command) -> Result<Outcome> {
    let world = World::new(dir)?;
    let laptop = world.contributor_checkout("laptop")?;
    // A second checkout of the PR head, taken now: it gets the recordings by `fetch` in step 5.
    let other = world.contributor_checkout("other-laptop")?;
    step(
        1,
        "schedule: dispatch the recording workflow for your PR (on your laptop)",
    );
    say("`rerecord schedule` finds your branch's PR, checks the workflow's inputs, dispatches it");
    say("and, with --watch, follows the run until it ends.");
    world.laptop(
        rerecord,
        &laptop,
        &["schedule", "--test-subdirs", "agents", "--watch"],
    )?;

    step(
        2,
        "record job: run the tests in record mode, stage the changed recordings",
    );
    let run = world.pr_run();
    say(&format!(
        "A maintainer labelled PR #{} `re-record`: GitHub started run {run} in {UPSTREAM}. Its record",
        world.pr
    ));
    say("job runs the PR's code (the tests), so it holds no write token: `rerecord commit` stages");
    say("only the recordings, with a manifest, for upload. The test file the tests changed stays.");
    let (artifact_dir, artifact_name) = world.record_job(rerecord, run)?;

    step(
        3,
        "upload: the runner uploads the staged folder as the run's artifact",
    );
    world.upload(run, &artifact_dir, &artifact_name)?;
    say(&format!(
        "artifact {artifact_name} of run {run}, from {}",
        artifact_dir.display()
    ));

    step(
        4,
        "land: verify the artifact and push the recordings onto the PR branch",
    );
    say("`rerecord land` runs in a job that never runs PR code. The GitHub API, not the artifact,");
    say("says which PR and branch the run recorded; every file is checked against the manifest.");
    world.land(rerecord, run)?;
    let (landed, landed_parent, landed_files) = world.landed()?;

    step(
        5,
        "fetch: apply the run's recordings to a checkout of the fork PR",
    );
    say("A contributor's checkout of the PR head from before the landing (or a PR whose author");
    say("does not let maintainers push) takes the run's recordings from its artifact instead:");
    say("verified the same way, written into the work tree, nothing committed.");
    world.laptop(
        rerecord,
        &other,
        &["fetch", "--run", &run.to_string(), "--run-repo", UPSTREAM],
    )?;
    let mut fetched = BTreeMap::new();
    for path in [UPDATED, ADDED] {
        fetched.insert(path.to_owned(), std::fs::read_to_string(other.join(path))?);
    }

    step(6, "report: what changed, by test");
    let report = world.laptop(rerecord, &other, &["report", "--format", "terminal"])?;
    Ok(Outcome {
        head: world.head.clone(),
        landed,
        landed_parent,
        landed_files,
        fetched,
        report,
    })
}

fn step(n: u32, title: &str) {
    println!("\n== {n}/6 {title}");
}

fn say(line: &str) {
    println!("   {line}");
}

/// The fake GitHub, the git server and the repositories behind them.
struct World {
    fake: FakeGitHub,
    git: HttpGit,
    dir: PathBuf,
    head: String,
    pr: u64,
}

impl World {
    fn new(dir: &Path) -> Result<Self> {
        let seed = dir.join("seed");
        std::fs::create_dir_all(&seed)?;
        git(&seed, &["init", "-q", "-b", "main"])?;
        for (path, content) in [
            (UPDATED, "{\"a\": 1}\n"),
            ("tests/integration/agents/recordings/b.json", "{\"b\": 1}\n"),
            (TEST_FILE, "def test_agent(): pass\n"),
            (".github/workflows/record-integration-tests.yml", WORKFLOW),
        ] {
            write(&seed, path, content)?;
        }
        git(&seed, &["add", "-A"])?;
        git(&seed, &["commit", "-q", "-m", "initial"])?;
        let main = git(&seed, &["rev-parse", "HEAD"])?;
        git(&seed, &["checkout", "-q", "-b", BRANCH])?;
        write(
            &seed,
            TEST_FILE,
            "def test_agent(): pass\ndef test_new_agent(): pass\n",
        )?;
        git(&seed, &["commit", "-q", "-am", "test: a new agent test"])?;
        let head = git(&seed, &["rev-parse", "HEAD"])?;
        let served = dir.join("git");
        let fake = FakeGitHub::start();
        fake.add_repo(UPSTREAM);
        fake.add_fork(FORK, UPSTREAM);
        for repo in [UPSTREAM, FORK] {
            let bare = served.join(format!("{repo}.git"));
            git(dir, &["clone", "-q", "--bare", path(&seed)?, path(&bare)?])?;
            fake.attach_git(repo, &bare);
            fake.set_branch(repo, "main", &main);
            fake.add_workflow(repo, WORKFLOW_FILE, "active");
            fake.set_file(
                repo,
                "main",
                ".github/workflows/record-integration-tests.yml",
                WORKFLOW,
            );
        }
        fake.set_branch(FORK, BRANCH, &head);
        fake.set_file(
            FORK,
            BRANCH,
            ".github/workflows/record-integration-tests.yml",
            WORKFLOW,
        );
        let pr = fake.add_pr(PrSpec::open(UPSTREAM, FORK, BRANCH, &head));
        fake.set_run_progress(2, "success");
        let git_server = HttpGit::start(&served, PUSH_TOKEN);
        println!(
            "== a fake GitHub API at {} and a git server at http://127.0.0.1:{}",
            fake.url(),
            git_server.port
        );
        println!(
            "   {UPSTREAM} (upstream), {FORK} (your fork), PR #{pr}: {FORK}:{BRANCH} at {}",
            &head[..12]
        );
        Ok(Self {
            fake,
            git: git_server,
            dir: dir.to_path_buf(),
            head,
            pr,
        })
    }

    fn server_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.git.port)
    }

    fn bare(&self, repo: &str) -> PathBuf {
        self.dir.join("git").join(format!("{repo}.git"))
    }

    fn git_in(&self, repo: &str, args: &[&str]) -> Result<String> {
        git(&self.bare(repo), args)
    }

    /// A clone of the PR branch (the fork's) into `work`.
    fn clone_pr_branch(&self, work: &Path) -> Result<()> {
        let fork = self.bare(FORK);
        git(
            &self.dir,
            &["clone", "-q", "--branch", BRANCH, path(&fork)?, path(work)?],
        )?;
        Ok(())
    }

    /// A clone of the PR branch whose remotes point at the git server: origin = the fork.
    fn contributor_checkout(&self, name: &str) -> Result<PathBuf> {
        let work = self.dir.join(name);
        self.clone_pr_branch(&work)?;
        let url = |repo: &str| format!("{}/{repo}.git", self.server_url());
        git(&work, &["remote", "set-url", "origin", &url(FORK)])?;
        git(&work, &["remote", "add", "upstream", &url(UPSTREAM)])?;
        Ok(work)
    }

    /// A `pull_request` run (the PR labelled) of the PR head, as GitHub lists a fork PR's run.
    fn pr_run(&self) -> u64 {
        let mut spec = RunSpec::completed(WORKFLOW_FILE, BRANCH, &self.head, "success");
        spec.event = "pull_request".into();
        spec.head_repository = FORK.into();
        self.fake.add_run(UPSTREAM, spec)
    }

    /// rerecord on a laptop: a token, the API (for the commands that ask it), nothing of
    /// Actions. Returns its stdout.
    fn laptop(&self, rerecord: &dyn Fn() -> Command, dir: &Path, args: &[&str]) -> Result<String> {
        println!("\n   $ rerecord {}", args.join(" "));
        let mut cmd = scrubbed(rerecord());
        cmd.args(args).current_dir(dir);
        if args[0] != "report" {
            cmd.arg("--api-url").arg(self.fake.url());
        }
        execute(
            cmd.env("GH_TOKEN", TOKEN)
                .env("RERECORD_POLL_SCALE", "0.05"),
        )
    }

    /// The record job of run `run`: a checkout of the PR head, the tests writing recordings (and
    /// changing a test file), then `rerecord commit` with the runner's environment and no token.
    /// Returns the staged folder and the artifact name.
    fn record_job(&self, rerecord: &dyn Fn() -> Command, run_id: u64) -> Result<(PathBuf, String)> {
        let job = self.dir.join("record-job");
        let work = job.join("work");
        std::fs::create_dir_all(job.join("runner-temp"))?;
        self.clone_pr_branch(&work)?;
        write(&work, UPDATED, "{\"a\": 2}\n")?;
        write(&work, ADDED, "{\"recorded\": \"test_new_agent\"}\n")?;
        write(&work, TEST_FILE, "# changed by the tests: never carried\n")?;
        let event = job.join("event.json");
        let payload = serde_json::json!({
            "action": "labeled", "number": self.pr, "label": {"name": "re-record"},
            "pull_request": {
                "number": self.pr,
                "head": {"ref": BRANCH, "sha": self.head, "repo": {"full_name": FORK}},
                "base": {"ref": "main", "repo": {"full_name": UPSTREAM}}
            },
            "repository": {"full_name": UPSTREAM}
        });
        std::fs::write(&event, payload.to_string())?;
        let args = [
            "commit",
            "--recorded-setup",
            "ollama",
            "--recorded-suite",
            "base",
            "--job-key",
            "ollama-base",
        ];
        println!("\n   $ rerecord {}   (in the record job)", args.join(" "));
        let mut cmd = scrubbed(rerecord());
        cmd.args(args).current_dir(&work);
        let env = [
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("GITHUB_REPOSITORY", UPSTREAM.to_owned()),
            ("GITHUB_RUN_ID", run_id.to_string()),
            ("GITHUB_RUN_ATTEMPT", "1".to_owned()),
            ("GITHUB_JOB", "record".to_owned()),
            ("GITHUB_EVENT_NAME", "pull_request".to_owned()),
            ("GITHUB_EVENT_PATH", path(&event)?.to_owned()),
            ("GITHUB_HEAD_REF", BRANCH.to_owned()),
            ("GITHUB_REF_NAME", format!("{}/merge", self.pr)),
            ("GITHUB_OUTPUT", path(&job.join("output"))?.to_owned()),
            (
                "GITHUB_STEP_SUMMARY",
                path(&job.join("summary.md"))?.to_owned(),
            ),
            ("RUNNER_TEMP", path(&job.join("runner-temp"))?.to_owned()),
            ("GITHUB_SERVER_URL", self.server_url()),
        ];
        cmd.envs(env);
        execute(&mut cmd)?;
        let outputs = outputs(&std::fs::read_to_string(job.join("output"))?);
        let dir = outputs
            .get("artifact-dir")
            .ok_or("commit named no artifact-dir")?;
        let name = outputs
            .get("artifact-name")
            .ok_or("commit named no artifact-name")?;
        Ok((PathBuf::from(dir), name.clone()))
    }

    /// What actions/upload-artifact does: the folder, zipped, as an artifact of `run_id`.
    fn upload(&self, run_id: u64, dir: &Path, name: &str) -> Result<()> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let mut files = Vec::new();
        collect(dir, dir, &mut files)?;
        for (rel, full) in files {
            zip.start_file(rel, zip::write::SimpleFileOptions::default())?;
            std::io::Write::write_all(&mut zip, &std::fs::read(full)?)?;
        }
        let bytes = zip.finish()?.into_inner();
        self.fake.add_artifact(UPSTREAM, run_id, name, bytes, false);
        Ok(())
    }

    /// The fork branch's tip, its parent and the files it changed (told as they are found).
    fn landed(&self) -> Result<(String, String, Vec<String>)> {
        let landed = self.git_in(FORK, &["rev-parse", BRANCH])?;
        let parent = self.git_in(FORK, &["rev-parse", &format!("{landed}^")])?;
        let changed = self.git_in(FORK, &["diff", "--name-status", &parent, &landed])?;
        let files: Vec<String> = changed
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        say(&format!(
            "{FORK}:{BRANCH} is now {landed}, one commit on the PR head {}:",
            self.head
        ));
        for f in &files {
            say(&format!("  {f}"));
        }
        Ok((landed, parent, files))
    }

    /// The land job: the runner's environment, the job token and the maintainer's push token.
    fn land(&self, rerecord: &dyn Fn() -> Command, run_id: u64) -> Result<()> {
        let job = self.dir.join("land-job");
        std::fs::create_dir_all(&job)?;
        let run_text = run_id.to_string();
        let args = [
            "land",
            "--run",
            &run_text,
            "--push-token-env",
            "RERECORD_PUSH_TOKEN",
        ];
        println!("\n   $ rerecord {}   (in the land job)", args.join(" "));
        let mut cmd = scrubbed(rerecord());
        cmd.args(args)
            .arg("--api-url")
            .arg(self.fake.url())
            .current_dir(&job);
        let env = [
            ("GH_TOKEN", TOKEN.to_owned()),
            ("RERECORD_PUSH_TOKEN", PUSH_TOKEN.to_owned()),
            ("GITHUB_ACTIONS", "true".to_owned()),
            ("GITHUB_REPOSITORY", UPSTREAM.to_owned()),
            ("GITHUB_SERVER_URL", self.server_url()),
            ("GITHUB_OUTPUT", path(&job.join("output"))?.to_owned()),
            (
                "GITHUB_STEP_SUMMARY",
                path(&job.join("summary.md"))?.to_owned(),
            ),
            ("RUNNER_TEMP", path(&job)?.to_owned()),
        ];
        cmd.envs(env);
        execute(&mut cmd)?;
        Ok(())
    }
}

/// `$GITHUB_OUTPUT`'s `name=value` and `name<<DELIM` forms.
fn outputs(text: &str) -> BTreeMap<String, String> {
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

/// Every file below `dir`, as (`/`-separated path relative to `root`, full path).
fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            collect(root, &p, out)?;
        } else {
            let rel = p
                .strip_prefix(root)?
                .to_str()
                .ok_or("a UTF-8 path")?
                .replace('\\', "/");
            out.push((rel, p));
        }
    }
    Ok(())
}

/// A command without the caller's GitHub, Actions and proxy environment.
fn scrubbed(mut cmd: Command) -> Command {
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        let ours = ["GH_", "GITHUB_", "RUNNER_", "ACTIONS_", "RERECORD_"]
            .iter()
            .any(|p| k.starts_with(p));
        if ours || k == "CI" || k.to_ascii_lowercase().ends_with("_proxy") {
            cmd.env_remove(&key);
        }
    }
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    cmd
}

/// Run a command, echo its output indented, fail on a non-zero exit; returns stdout.
fn execute(cmd: &mut Command) -> Result<String> {
    let out = cmd.output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in stderr.lines().chain(stdout.lines()) {
        println!("   | {line}");
    }
    if !out.status.success() {
        return Err(format!("the step failed ({})", out.status).into());
    }
    Ok(stdout)
}

fn write(dir: &Path, rel: &str, content: &str) -> Result<()> {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().ok_or("a path with a parent")?)?;
    std::fs::write(p, content)?;
    Ok(())
}

fn path(p: &Path) -> Result<&str> {
    Ok(p.to_str().ok_or("a UTF-8 path")?)
}

pub fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Demo")
        .env("GIT_AUTHOR_EMAIL", "demo@example.com")
        .env("GIT_COMMITTER_NAME", "Demo")
        .env("GIT_COMMITTER_EMAIL", "demo@example.com")
        .env_remove("GIT_DIR")
        .output()?;
    if !out.status.success() {
        return Err(format!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}
