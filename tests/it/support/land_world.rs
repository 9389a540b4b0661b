//! The universe of a `land` test: the fake GitHub with the upstream repository and a fork, bare
//! git repositories for both behind one smart-HTTP server (`GITHUB_SERVER_URL`), and builders for
//! runs and artifacts whose manifests say what a test wants them to claim.

use std::path::PathBuf;

use crate::support::cmd::{Rerecord, Run, rerecord, tempdir};
use crate::support::fake_github::{FakeGitHub, PrSpec, RunSpec, TOKEN};
use crate::support::git_fixtures::{Remote, commit_and_push, git, write};
use crate::support::http_git::HttpGit;
use crate::support::snap;
use crate::support::zips::{self, ZipBuilder};

pub const UPSTREAM: &str = "upstream/project";
pub const FORK: &str = "contributor/project";
pub const WORKFLOW: &str = "record-integration-tests.yml";
pub const BRANCH: &str = "feature-x";
pub const MARKER: &str = "<!-- rerecord:land -->";
/// A maintainer's personal token, the only one the git server accepts in fork tests.
pub const PUSH_TOKEN: &str = "ghp_maintainerPAT0123456789abcdef";
pub const A: &str = "tests/integration/recordings/a.json";
pub const B: &str = "tests/integration/agents/recordings/b.json";

pub struct World {
    pub fake: FakeGitHub,
    pub http: HttpGit,
    pub upstream: Remote,
    pub fork: Remote,
    dir: tempfile::TempDir,
}

/// What an artifact's manifest claims about its run.
#[derive(Clone)]
pub struct Manifest {
    pub repository: String,
    pub head_repository: String,
    pub head_ref: String,
    pub head_sha: String,
    /// `pr_number`, when the recording action was told it.
    pub pr_number: Option<u64>,
}

impl Manifest {
    pub fn same_repo(head: &str) -> Self {
        Self {
            repository: UPSTREAM.into(),
            head_repository: UPSTREAM.into(),
            head_ref: BRANCH.into(),
            head_sha: head.into(),
            pr_number: None,
        }
    }

    pub fn fork(head: &str) -> Self {
        Self {
            head_repository: FORK.into(),
            ..Self::same_repo(head)
        }
    }
}

impl World {
    /// `git_token` is the only token the git server accepts.
    pub fn new(git_token: &str) -> Self {
        let fake = FakeGitHub::start();
        fake.add_repo(UPSTREAM);
        fake.add_fork(FORK, UPSTREAM);
        let dir = tempdir();
        let served = dir.path().join("git");
        let seed = dir.path().join("seed");
        std::fs::create_dir_all(&seed).unwrap();
        git(&seed, &["init", "-q", "-b", "main"]);
        for (path, content) in [
            (A, "{\"a\": 1}\n"),
            (B, "{\"b\": 1}\n"),
            (
                "tests/integration/agents/test_agents.py",
                "def test(): pass\n",
            ),
            ("src/app.py", "print('hi')\n"),
        ] {
            write(&seed, path, content);
        }
        git(&seed, &["add", "-A"]);
        git(&seed, &["commit", "-q", "-m", "initial"]);
        git(&seed, &["branch", BRANCH]);
        let bare = |full: &str| {
            let path = served.join(format!("{full}.git"));
            git(
                dir.path(),
                &[
                    "clone",
                    "-q",
                    "--bare",
                    seed.to_str().unwrap(),
                    path.to_str().unwrap(),
                ],
            );
            Remote {
                root: dir.path().to_path_buf(),
                bare: path,
            }
        };
        let upstream = bare(UPSTREAM);
        let fork = bare(FORK);
        fake.attach_git(UPSTREAM, &upstream.bare);
        fake.attach_git(FORK, &fork.bare);
        let http = HttpGit::start(&served, git_token);
        Self {
            fake,
            http,
            upstream,
            fork,
            dir,
        }
    }

    /// A successful `pull_request` run of `head` from `head_repo`.
    pub fn pr_run(&self, head: &str, head_repo: &str, pull_requests: Vec<u64>) -> u64 {
        let mut spec = RunSpec::pull_request(WORKFLOW, head_repo, BRANCH, head);
        spec.pull_requests = pull_requests;
        self.fake.add_run(UPSTREAM, spec)
    }

    /// A PR of `BRANCH` from `head_repo` into the upstream, its head at `head`.
    pub fn open_pr(&self, head_repo: &str, head: &str) -> u64 {
        self.fake
            .add_pr(PrSpec::open(UPSTREAM, head_repo, BRANCH, head))
    }

    /// A PR of `BRANCH` from `head_repo` at `pr_head`, a successful `pull_request` run that
    /// recorded `recorded` (GitHub names the PR in a fork's run only through the API's PR list,
    /// so `pull_requests` is empty there), and its artifact `recordings-1` holding `files` with a
    /// manifest claiming `claims`; returns the PR and the run.
    pub fn recorded_pr(
        &self,
        head_repo: &str,
        (pr_head, recorded): (&str, &str),
        files: &[(&str, &[u8])],
        claims: Manifest,
    ) -> (u64, u64) {
        let pr = self.open_pr(head_repo, pr_head);
        let listed = if head_repo == UPSTREAM {
            vec![pr]
        } else {
            vec![]
        };
        let run = self.pr_run(recorded, head_repo, listed);
        self.recordings(run, files, claims);
        (pr, run)
    }

    /// The world most landings start from: a same-repository PR at the tip of `BRANCH`, its run
    /// and one artifact of `files` claiming what the API says; returns the head, PR and run.
    pub fn same_repo_pr(&self, files: &[(&str, &[u8])]) -> (String, u64, u64) {
        let head = self.upstream.rev(BRANCH);
        let claims = Manifest::same_repo(&head);
        let (pr, run) = self.recorded_pr(UPSTREAM, (&head, &head), files, claims);
        (head, pr, run)
    }

    /// A same-repository PR at the tip of `BRANCH` and its successful run, with no artifact yet;
    /// returns the head, PR and run.
    pub fn same_repo_pr_run(&self) -> (String, u64, u64) {
        let head = self.upstream.rev(BRANCH);
        let pr = self.open_pr(UPSTREAM, &head);
        let run = self.pr_run(&head, UPSTREAM, vec![pr]);
        (head, pr, run)
    }

    /// [`World::same_repo_pr`] for a PR from the fork's `BRANCH`.
    pub fn fork_pr(&self, files: &[(&str, &[u8])]) -> (String, u64, u64) {
        let head = self.fork.rev(BRANCH);
        let claims = Manifest::fork(&head);
        let (pr, run) = self.recorded_pr(FORK, (&head, &head), files, claims);
        (head, pr, run)
    }

    /// A successful `workflow_dispatch` run on `BRANCH` of the upstream (no PR).
    pub fn dispatch_run(&self, head: &str) -> u64 {
        self.fake.add_run(
            UPSTREAM,
            RunSpec::completed(WORKFLOW, BRANCH, head, "success"),
        )
    }

    /// A `workflow_dispatch` run of the upstream's default branch (`main`), as a dispatch that
    /// records a PR by its number makes; `status` e.g. `completed` or `in_progress`.
    pub fn main_run(&self, event: &str, status: &str) -> u64 {
        let main = self.upstream.rev("main");
        let mut spec = RunSpec::completed(WORKFLOW, "main", &main, "success");
        spec.event = event.into();
        spec.status = status.into();
        if status != "completed" {
            spec.conclusion = None;
        }
        self.fake.add_run(UPSTREAM, spec)
    }

    /// A `workflow_dispatch` run of `main` titled as the record template's `run-name` makes it
    /// for PR `pr` at `sha` (`Record PR #N at SHA`).
    pub fn titled_main_run(&self, pr: u64, sha: &str) -> u64 {
        let main = self.upstream.rev("main");
        let mut spec = RunSpec::completed(WORKFLOW, "main", &main, "success");
        spec.display_title = Some(format!("Record PR #{pr} at {sha} (all)"));
        self.fake.add_run(UPSTREAM, spec)
    }

    /// When the fake first serves a path containing `fragment` (e.g. `/zip`: while `land`
    /// downloads), someone commits `path` = `content` on `branch` of `remote`.
    pub fn push_during(
        &self,
        fragment: &str,
        remote: &Remote,
        branch: &str,
        path: &str,
        content: &str,
    ) {
        let work = self.dir.path().join(format!("work-{}", fastrand_suffix()));
        let (bare, root) = (remote.bare.clone(), self.dir.path().to_path_buf());
        let (branch, path, content) = (branch.to_owned(), path.to_owned(), content.to_owned());
        self.fake.on_request(fragment, move || {
            let (b, w) = (bare.to_str().unwrap(), work.to_str().unwrap());
            git(&root, &["clone", "-q", "--branch", &branch, b, w]);
            write(&work, &path, &content);
            commit_and_push(&work, &branch, "pushed while land ran");
        });
    }

    /// Attach an artifact holding `files` and a manifest with `claims` for `run`.
    pub fn artifact(&self, run: u64, name: &str, files: &[(&str, &[u8])], claims: Manifest) {
        let mut manifest = zips::manifest_value(run, files, &[]);
        manifest["repository"] = claims.repository.into();
        manifest["head_repository"] = claims.head_repository.into();
        manifest["head_ref"] = claims.head_ref.into();
        manifest["head_sha"] = claims.head_sha.clone().into();
        manifest["checkout_sha"] = claims.head_sha.into();
        if let Some(pr) = claims.pr_number {
            manifest["pr_number"] = pr.into();
        }
        let mut zip = ZipBuilder::new();
        for (path, bytes) in files {
            zip = zip.file(path, bytes);
        }
        let zip = zip.raw_manifest(&manifest).finish();
        self.fake.add_artifact(UPSTREAM, run, name, zip, false);
    }

    /// Attach the artifact `recordings-1` holding `files` with `claims` for `run`.
    pub fn recordings(&self, run: u64, files: &[(&str, &[u8])], claims: Manifest) {
        self.artifact(run, "recordings-1", files, claims);
    }

    /// Commit `path` = `content` on `branch` of `remote` from a throwaway clone; returns the sha.
    pub fn push_to(&self, remote: &Remote, branch: &str, path: &str, content: &str) -> String {
        let work = self.dir.path().join(format!("work-{}", fastrand_suffix()));
        git(
            self.dir.path(),
            &[
                "clone",
                "-q",
                "--branch",
                branch,
                remote.bare.to_str().unwrap(),
                work.to_str().unwrap(),
            ],
        );
        write(&work, path, content);
        commit_and_push(&work, branch, "someone else's commit")
    }

    /// Add `n` commits on `branch` of `remote`, each rewriting recording `path` (fast, through
    /// `git fast-import`); returns the new tip.
    pub fn grow_history(&self, remote: &Remote, branch: &str, path: &str, n: usize) -> String {
        let mut stream = String::new();
        for i in 0..n {
            let content = format!("{{\"history\": {i}}}\n");
            stream.push_str(&format!(
                "commit refs/heads/{branch}\ncommitter t <t@example.com> {} +0000\ndata 3\nc{}\n",
                1_700_000_000 + i,
                i % 10
            ));
            if i == 0 {
                stream.push_str(&format!("from refs/heads/{branch}^0\n"));
            }
            stream.push_str(&format!(
                "M 100644 inline {path}\ndata {}\n{content}\n",
                content.len()
            ));
        }
        super::git_import::fast_import(&remote.bare, &stream);
        remote.rev(branch)
    }

    /// `rerecord land --run RUN` as the companion workflow runs it.
    pub fn land(&self, run: u64) -> Rerecord {
        rerecord()
            .current_dir(self.dir.path())
            .env("GH_TOKEN", TOKEN)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_REPOSITORY", UPSTREAM)
            .env(
                "GITHUB_SERVER_URL",
                format!("http://127.0.0.1:{}", self.http.port),
            )
            .env("GITHUB_OUTPUT", self.output_path())
            .env("GITHUB_STEP_SUMMARY", self.dir.path().join("summary.md"))
            .env("RUNNER_TEMP", self.dir.path())
            .args([
                "land",
                "--api-url",
                &self.fake.url(),
                "--run",
                &run.to_string(),
            ])
    }

    fn output_path(&self) -> PathBuf {
        self.dir.path().join("output.txt")
    }

    /// What the step wrote to `$GITHUB_OUTPUT`.
    pub fn outputs(&self) -> String {
        std::fs::read_to_string(self.output_path()).unwrap_or_default()
    }

    /// `land --run RUN` with the maintainer's token for pushing to forks.
    pub fn land_with_push_token(&self, run: u64) -> Rerecord {
        self.land(run)
            .env("RERECORD_PUSH_TOKEN", PUSH_TOKEN)
            .args(["--push-token-env", "RERECORD_PUSH_TOKEN"])
    }

    /// Land made one commit on `BRANCH` of `remote`, right on `parent`, where each of `files`
    /// holds its content; returns the new tip.
    pub fn assert_landed(
        &self,
        remote: &Remote,
        parent: &str,
        files: &[(&str, &str)],
        out: &Run,
    ) -> String {
        let tip = remote.rev(BRANCH);
        let parents = remote.parents(&tip);
        assert_eq!(parents, [parent], "{}", out.all_output());
        for (path, content) in files {
            assert_eq!(remote.show(BRANCH, path), *content, "{path}");
        }
        tip
    }

    /// How many requests the git server got that `what` picks.
    pub fn git_requests(&self, what: impl Fn(&str) -> bool) -> usize {
        self.http.requests().iter().filter(|r| what(r)).count()
    }

    /// Nothing was pushed to any repository of the git server.
    pub fn assert_nothing_pushed(&self) {
        let requests = self.http.requests();
        let pushes = requests.iter().filter(|r| r.contains("receive-pack"));
        assert_eq!(pushes.count(), 0, "{requests:?}");
    }

    /// What the step wrote to `$GITHUB_STEP_SUMMARY`.
    pub fn summary(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("summary.md")).unwrap_or_default()
    }

    /// Snapshot `text` (a comment, summary or outputs of landing `run`) as `name`, with the
    /// run id, shas, ports and paths redacted.
    pub fn assert_snapshot(&self, name: &str, text: &str, run: u64) {
        snap::assert_redacted_shas(name, text, &[(&run.to_string(), "[RUN]")]);
    }

    /// The PR's only comment, which must carry the marker.
    pub fn only_comment(&self, pr: u64) -> String {
        let comments = self.fake.comments(UPSTREAM, pr);
        assert_eq!(comments.len(), 1, "{comments:?}");
        assert!(comments[0].1.starts_with(MARKER), "{}", comments[0].1);
        comments[0].1.clone()
    }
}

/// `rerecord fetch --run` in the checkout `work`, of a completed run of `head` (on a fresh fake
/// GitHub) whose one artifact holds `files`.
pub fn fetch_one_run(work: &std::path::Path, head: &str, files: &[(&str, &[u8])]) -> Run {
    let fake = FakeGitHub::start();
    fake.add_repo(UPSTREAM);
    let spec = RunSpec::completed(WORKFLOW, BRANCH, head, "success");
    let run = fake.add_run(UPSTREAM, spec);
    let zip = zips::artifact(run, files);
    fake.add_artifact(UPSTREAM, run, "recordings-1-1-record", zip, false);
    rerecord()
        .current_dir(work)
        .env("GH_TOKEN", TOKEN)
        .args(["fetch", "--api-url", &fake.url(), "--run-repo", UPSTREAM])
        .args(["--run", &run.to_string()])
        .run()
}

fn fastrand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
