//! A stateful fake of the GitHub REST API (API version 2022-11-28, what octocrab sends) plus the
//! artifact blob storage it redirects downloads to, for behaviour tests, benchmarks and the demo.
//!
//! It keeps repositories, branches, PRs, workflows, files, runs, jobs, artifacts and comments;
//! paginates with `Link` headers; creates runs on dispatch and moves them along as they are polled;
//! injects latency and faults; and records every request so tests can count round trips.
//! Bodies are built from GitHub's official examples (`templates/`) with fields taken from state.
//!
//! This module must stay self-contained: `examples/demo.rs` includes it with `#[path]`.
// Each includer uses a different part of the API. `unused` rather than `dead_code`, so an
// includer's own `#[allow(dead_code)]` on the `mod` line is not a duplicated attribute.
#![allow(unused)]

mod actions;
mod command;
mod compare;
mod pagination;
mod render;
mod routes;
mod server;
mod state;
mod storage;
mod workflow_file;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

pub use state::Pull;
use state::State;

/// The only token the fake accepts (as `Bearer TOKEN` or `token TOKEN`).
pub const TOKEN: &str = "ghp_fake0123456789abcdefTOKEN";

/// The login of the token's user (`GET /user`), who authors what the API creates.
pub const USER: &str = "rerecord-bot";
/// Who authors what a job's `GITHUB_TOKEN` creates (see `act_as_job_token`).
pub const JOB_TOKEN_USER: &str = "github-actions[bot]";
/// The author of comments seeded by `add_comment`: someone other than the token's user.
pub const OTHER_USER: &str = "contributor";

/// A running fake; dropping it stops both listeners.
pub struct FakeGitHub {
    state: Arc<Mutex<State>>,
    server: server::Handle,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrState {
    Open,
    Closed,
    Merged,
}

/// A pull request to seed. `head_repo: None` models a head repository that was deleted.
#[derive(Clone, Debug)]
pub struct PrSpec {
    pub base_repo: String,
    pub head_repo: Option<String>,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub state: PrState,
    pub maintainer_can_modify: bool,
}

impl PrSpec {
    /// An open PR into `main` of `base_repo`, maintainers allowed to push.
    pub fn open(base_repo: &str, head_repo: &str, head_ref: &str, head_sha: &str) -> PrSpec {
        PrSpec {
            base_repo: base_repo.to_string(),
            head_repo: Some(head_repo.to_string()),
            head_ref: head_ref.to_string(),
            head_sha: head_sha.to_string(),
            base_ref: "main".to_string(),
            state: PrState::Open,
            maintainer_can_modify: true,
        }
    }
}

/// A workflow run to seed. An empty `head_repository` means the run's own repository.
#[derive(Clone, Debug)]
pub struct RunSpec {
    pub workflow: String,
    pub head_branch: String,
    pub head_sha: String,
    pub event: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub created_at: DateTime<Utc>,
    pub head_repository: String,
    pub pull_requests: Vec<u64>,
    /// The run's title as a test sets it; `None`: as GitHub computes it (dispatched runs: the
    /// workflow's `run-name` with the inputs; `pull_request` runs: the PR's title; else the
    /// workflow's name).
    pub display_title: Option<String>,
}

impl RunSpec {
    /// A completed `workflow_dispatch` run created now, in the run's own repository.
    pub fn completed(workflow: &str, branch: &str, sha: &str, conclusion: &str) -> RunSpec {
        RunSpec {
            workflow: workflow.to_string(),
            head_branch: branch.to_string(),
            head_sha: sha.to_string(),
            event: "workflow_dispatch".to_string(),
            status: "completed".to_string(),
            conclusion: Some(conclusion.to_string()),
            created_at: Utc::now(),
            head_repository: String::new(),
            pull_requests: Vec::new(),
            display_title: None,
        }
    }

    /// A successful `pull_request` run of `head_repo`:`branch` at `sha`, created now.
    pub fn pull_request(workflow: &str, head_repo: &str, branch: &str, sha: &str) -> RunSpec {
        RunSpec {
            event: "pull_request".to_string(),
            head_repository: head_repo.to_string(),
            ..RunSpec::completed(workflow, branch, sha, "success")
        }
    }
}

/// What a run looks like in the fake's state. `inputs` is the dispatch's JSON object (empty
/// object for runs that were not dispatched through the API).
pub type RunView = state::Run;

/// A fault answered instead of (or, for `AfterEffect`, after) the real work, `times` times, to
/// requests whose method matches and whose path contains `path_contains`.
#[derive(Clone, Debug)]
pub struct Fault {
    pub method: String,
    pub path_contains: String,
    pub status: u16,
    pub times: u32,
    pub retry_after: Option<u64>,
    pub kind: FaultKind,
}

impl Fault {
    /// A plain error answer once (500/502/503: server error body, 429/403: primary rate limit).
    pub fn new(method: &str, path_contains: &str, status: u16) -> Fault {
        Fault {
            method: method.to_string(),
            path_contains: path_contains.to_string(),
            status,
            times: 1,
            retry_after: None,
            kind: FaultKind::Plain,
        }
    }

    /// GitHub's secondary rate limit: 403 with its message and `Retry-After`.
    pub fn secondary_rate_limit(method: &str, path_contains: &str, retry_after: u64) -> Fault {
        Fault {
            retry_after: Some(retry_after),
            kind: FaultKind::SecondaryRateLimit,
            ..Fault::new(method, path_contains, 403)
        }
    }

    pub fn times(mut self, times: u32) -> Fault {
        self.times = times;
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Fault {
        self.retry_after = Some(secs);
        self
    }

    /// GitHub's secondary rate limit without `Retry-After` (GitHub then asks for at least a
    /// minute's wait).
    pub fn secondary_rate_limit_without_retry_after(method: &str, path_contains: &str) -> Fault {
        Fault::new(method, path_contains, 403).kind(FaultKind::SecondaryRateLimit)
    }

    /// The primary rate limit used up: 403, `x-ratelimit-remaining: 0`, and
    /// `x-ratelimit-reset` an hour away.
    pub fn primary_rate_limit(method: &str, path_contains: &str) -> Fault {
        Fault::new(method, path_contains, 403)
    }

    pub fn kind(mut self, kind: FaultKind) -> Fault {
        self.kind = kind;
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer `status` with GitHub's body for it.
    Plain,
    /// Answer 403 (or `status`) "You have exceeded a secondary rate limit".
    SecondaryRateLimit,
    /// Do the work (e.g. create the dispatched run), then answer `status` anyway.
    AfterEffect,
    /// Never answer; the client must time out.
    Hang,
    /// Storage only: answer 200 with the full `Content-Length`, send half the blob, then reset
    /// the connection.
    CutShort,
}

/// How dispatches answer when the body asks for `return_run_details`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DispatchMode {
    /// 200 `{workflow_run_id, run_url, html_url}` (github.com with API version 2022-11-28).
    RunDetails,
    /// Always 204: a server that ignores the flag.
    NoContent,
    /// 422 when the flag is sent (older GitHub Enterprise); 204 without it.
    RejectsRunDetails,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listener {
    Api,
    Storage,
}

/// One request as the fake saw it. `status` is 0 for a request that was never answered (Hang).
#[derive(Clone, Debug)]
pub struct Recorded {
    pub listener: Listener,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub authorization: Option<String>,
    pub body: Option<serde_json::Value>,
    pub status: u16,
    pub started: Instant,
    pub finished: Instant,
}

/// The number of sequential rounds in `reqs`: requests whose [started, finished] intervals
/// overlap (directly or through a chain) form one round.
pub fn critical_path(reqs: &[Recorded]) -> usize {
    let mut spans: Vec<(Instant, Instant)> = reqs.iter().map(|r| (r.started, r.finished)).collect();
    spans.sort();
    let mut rounds = 0;
    let mut end: Option<Instant> = None;
    for (start, finish) in spans {
        match end {
            Some(e) if start <= e => end = Some(e.max(finish)),
            _ => {
                rounds += 1;
                end = Some(finish);
            }
        }
    }
    rounds
}

impl FakeGitHub {
    pub fn start() -> FakeGitHub {
        let state = Arc::new(Mutex::new(State::new()));
        let server = server::Handle::start(state.clone());
        FakeGitHub { state, server }
    }

    pub fn url(&self) -> String {
        self.lock().api_base.clone()
    }

    pub fn storage_url(&self) -> String {
        self.lock().storage_base.clone()
    }

    pub fn host_port(&self) -> String {
        self.url().trim_start_matches("http://").to_string()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    // --- state ---

    pub fn add_repo(&self, full_name: &str) {
        self.lock().add_repo(full_name, None);
    }

    pub fn add_fork(&self, full_name: &str, parent: &str) {
        self.lock().add_repo(full_name, Some(parent));
    }

    pub fn set_default_branch(&self, repo: &str, branch: &str) {
        self.lock().repo_mut(repo).default_branch = branch.to_string();
    }

    /// Serve `repo`'s commits from the git directory `dir` (a bare repository) to the compare
    /// endpoint. Pushes to it are seen at once; nothing else of the fake reads it.
    pub fn attach_git(&self, repo: &str, dir: &std::path::Path) {
        self.lock()
            .git_dirs
            .insert(repo.to_ascii_lowercase(), dir.to_path_buf());
    }

    pub fn set_branch(&self, repo: &str, branch: &str, sha: &str) {
        self.lock()
            .repo_mut(repo)
            .branches
            .insert(branch.to_string(), sha.to_string());
    }

    pub fn add_pr(&self, pr: PrSpec) -> u64 {
        let mut st = self.lock();
        let id = st.next_id();
        let now = Utc::now();
        let (closed_at, merged_at) = match pr.state {
            PrState::Open => (None, None),
            PrState::Closed => (Some(now), None),
            PrState::Merged => (Some(now), Some(now)),
        };
        let head_owner = pr
            .head_repo
            .as_deref()
            .unwrap_or(&pr.base_repo)
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let repo = st.repo_mut(&pr.base_repo);
        let number = repo.next_issue_number();
        repo.pulls.push(Pull {
            number,
            id,
            head_repo: pr.head_repo,
            head_owner,
            author: None,
            head_ref: pr.head_ref.clone(),
            head_sha: pr.head_sha,
            base_ref: pr.base_ref,
            state: pr.state,
            maintainer_can_modify: pr.maintainer_can_modify,
            title: format!("Update {}", pr.head_ref),
            body: None,
            draft: false,
            labels: Vec::new(),
            created_at: now,
            closed_at,
            merged_at,
        });
        number
    }

    /// Delete a repository (a contributor deleting their fork): it answers 404 from now on, PRs
    /// whose head lived there keep their head label but get `head.repo: null`, and runs of its
    /// branches get `head_repository: null`.
    pub fn delete_repo(&self, full_name: &str) {
        let mut st = self.lock();
        st.repos.remove(full_name);
        for repo in st.repos.values_mut() {
            for pull in &mut repo.pulls {
                if pull
                    .head_repo
                    .as_deref()
                    .is_some_and(|h| h.eq_ignore_ascii_case(full_name))
                {
                    pull.head_repo = None;
                }
            }
            for run in &mut repo.runs {
                if run.spec.head_repository.eq_ignore_ascii_case(full_name) {
                    run.spec.head_repository.clear();
                }
            }
        }
    }

    /// Rename (or transfer) a repository, as GitHub does: the old owner/name answers 301 on GET
    /// and 307 on other methods with a `Location` under the new name, and every reference to
    /// it (PR heads, forks' parents, run head repositories) shows the new name.
    pub fn rename_repo(&self, old: &str, new: &str) {
        let mut st = self.lock();
        let mut repo = st
            .repos
            .remove(&old.to_ascii_lowercase())
            .unwrap_or_else(|| panic!("no repository {old}"));
        repo.full_name = new.to_string();
        st.repos.insert(new.to_ascii_lowercase(), repo);
        for repo in st.repos.values_mut() {
            let renamed = |name: &mut String| {
                if name.eq_ignore_ascii_case(old) {
                    *name = new.to_string();
                }
            };
            if let Some(parent) = repo.parent.as_mut() {
                renamed(parent);
            }
            for pull in &mut repo.pulls {
                if let Some(head) = pull.head_repo.as_mut() {
                    renamed(head);
                }
            }
            for run in &mut repo.runs {
                renamed(&mut run.spec.head_repository);
            }
        }
        st.moved
            .insert(old.to_ascii_lowercase(), (new.to_string(), None));
    }

    /// Make the old name of a renamed repository redirect to `base` (another host) instead:
    /// what a hostile or misconfigured server could answer.
    pub fn redirect_moved_repo_to(&self, old: &str, base: &str) {
        let mut st = self.lock();
        let entry = st
            .moved
            .get_mut(&old.to_ascii_lowercase())
            .unwrap_or_else(|| panic!("{old} was not renamed"));
        entry.1 = Some(base.to_string());
    }

    pub fn add_workflow(&self, repo: &str, file: &str, state: &str) -> u64 {
        self.lock().add_workflow(repo, file, state)
    }

    pub fn set_file(&self, repo: &str, git_ref: &str, path: &str, contents: &str) {
        self.lock().repo_mut(repo).files.insert(
            (
                git_ref.to_string(),
                path.trim_start_matches('/').to_string(),
            ),
            contents.as_bytes().to_vec(),
        );
    }

    /// The workflow file `file` (under `.github/workflows/`) holding `yaml` at `git_ref`.
    pub fn set_workflow_file(&self, repo: &str, git_ref: &str, file: &str, yaml: &str) {
        self.set_file(repo, git_ref, &format!(".github/workflows/{file}"), yaml);
    }

    /// An active workflow `file` whose file holds `yaml` at each of `refs`.
    pub fn add_workflow_file(&self, repo: &str, file: &str, refs: &[&str], yaml: &str) -> u64 {
        let id = self.add_workflow(repo, file, "active");
        for git_ref in refs {
            self.set_workflow_file(repo, git_ref, file, yaml);
        }
        id
    }

    pub fn add_run(&self, repo: &str, run: RunSpec) -> u64 {
        self.lock().add_run(repo, run, serde_json::json!({}), false)
    }

    pub fn add_job(
        &self,
        repo: &str,
        run_id: u64,
        name: &str,
        status: &str,
        conclusion: Option<&str>,
    ) {
        self.lock()
            .add_job(repo, run_id, name, status, conclusion.map(str::to_string));
    }

    pub fn add_artifact(
        &self,
        repo: &str,
        run_id: u64,
        name: &str,
        zip: Vec<u8>,
        expired: bool,
    ) -> u64 {
        self.lock().add_artifact(repo, run_id, name, zip, expired)
    }

    /// Serve the artifacts an act run uploads to its built-in artifact server as the artifacts
    /// of `run_id`: act keeps a v4 upload at `ARTIFACT_SERVER_PATH/ACT_RUN_ID/NAME/NAME.zip`;
    /// `dir` is `ARTIFACT_SERVER_PATH/ACT_RUN_ID`. Each finished upload is listed (and downloads
    /// through the usual redirect) from the first listing after it appeared, as GitHub lists
    /// v4 artifacts while the run is still in progress.
    pub fn serve_act_artifacts(&self, repo: &str, run_id: u64, dir: &std::path::Path) {
        self.lock()
            .act_artifact_dirs
            .push((repo.to_string(), run_id, dir.to_path_buf()));
    }

    /// Mark run `id` completed with `conclusion` (a run that was in progress finished).
    pub fn complete_run(&self, repo: &str, id: u64, conclusion: &str) {
        let mut st = self.lock();
        let run = st.run_mut(repo, id);
        run.spec.status = "completed".to_string();
        run.spec.conclusion = Some(conclusion.to_string());
        run.updated_at = Utc::now();
    }

    /// A comment by someone other than the token's user (`OTHER_USER`).
    pub fn add_comment(&self, repo: &str, issue: u64, body: &str) -> u64 {
        self.lock().add_comment(repo, issue, body, OTHER_USER)
    }

    /// A comment written by `login` (e.g. `USER`, the token's own user).
    pub fn add_comment_by(&self, repo: &str, issue: u64, body: &str, login: &str) -> u64 {
        self.lock().add_comment(repo, issue, body, login)
    }

    // --- behaviour ---

    /// Run `action` once, before answering the first request whose path contains `fragment`
    /// (e.g. push to a branch while `land` downloads the artifacts).
    pub fn on_request(&self, fragment: &str, action: impl FnOnce() + Send + 'static) {
        self.lock()
            .hooks
            .push((fragment.to_owned(), Box::new(action)));
    }

    pub fn set_latency(&self, d: Duration) {
        self.lock().latency = d;
    }

    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    /// Dispatched runs stay out of the run lists for `lag` (GitHub's list lags behind a
    /// dispatch, sometimes by tens of seconds).
    pub fn set_dispatch_lag(&self, lag: Duration) {
        self.lock().dispatch_lag = lag;
    }

    /// `Link` headers point at `base` (another origin) instead of the API, as a misconfigured
    /// proxy or Enterprise server might.
    pub fn serve_off_base_links(&self, base: &str) {
        self.lock().link_base = Some(base.trim_end_matches('/').to_string());
    }

    /// Run `id` was started by `login` (default: the repository's owner; dispatches: the
    /// token's user).
    pub fn set_run_actor(&self, repo: &str, id: u64, login: &str) {
        let mut st = self.lock();
        let run = st.repo_mut(repo).runs.iter_mut().find(|r| r.id == id);
        run.expect("run").actor = Some(login.to_string());
    }

    pub fn set_dispatch_mode(&self, mode: DispatchMode) {
        self.lock().dispatch_mode = mode;
    }

    /// Dispatched runs read `queued` until first fetched, `in_progress` on GETs 1..N-1 of the
    /// run, and `completed` with `conclusion` from the Nth GET on.
    pub fn set_run_progress(&self, polls_until_done: u32, conclusion: &str) {
        let mut st = self.lock();
        st.progress_polls = polls_until_done;
        st.progress_conclusion = conclusion.to_string();
    }

    /// Behave as for a job's `GITHUB_TOKEN`: `GET /user` answers 403 and comments created
    /// through the API are authored by `JOB_TOKEN_USER`.
    pub fn act_as_job_token(&self) {
        self.lock().job_token = true;
    }

    /// The `x-oauth-scopes` header of `GET /user` (default "repo, workflow").
    pub fn set_scopes(&self, scopes: &str) {
        self.lock().scopes = scopes.to_string();
    }

    // --- inspection ---

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// What `read` takes from `repo`'s state; nothing (the default) for an unknown repository.
    fn inspect<T: Default>(&self, repo: &str, read: impl FnOnce(&state::Repo) -> T) -> T {
        self.lock().repo(repo).map(read).unwrap_or_default()
    }

    pub fn runs(&self, repo: &str) -> Vec<RunView> {
        self.inspect(repo, |r| r.runs.clone())
    }

    /// The comments on issue or PR `issue`, as (id, body).
    pub fn comments(&self, repo: &str, issue: u64) -> Vec<(u64, String)> {
        let with_authors = self.comments_with_authors(repo, issue);
        with_authors
            .into_iter()
            .map(|(id, _, body)| (id, body))
            .collect()
    }

    /// The PRs of `repo` as the fake holds them (seeded or created through the API).
    pub fn pulls(&self, repo: &str) -> Vec<Pull> {
        self.inspect(repo, |r| r.pulls.clone())
    }
}
