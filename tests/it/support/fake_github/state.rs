//! The fake's world: repositories and everything in them, plus the behaviour knobs and the
//! request log. Handlers lock it briefly and never hold the lock across an await.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{DispatchMode, Fault, PrState, Recorded, RunSpec};

pub(crate) struct State {
    pub api_base: String,
    pub storage_base: String,
    /// Keyed by lowercased full name: GitHub matches owner/repo case-insensitively.
    pub repos: BTreeMap<String, Repo>,
    pub latency: Duration,
    pub faults: Vec<Fault>,
    /// (path fragment, action): run once, before the first request whose path contains the
    /// fragment is answered (e.g. someone pushes to a branch mid-run).
    pub hooks: Vec<(String, Box<dyn FnOnce() + Send>)>,
    pub dispatch_mode: DispatchMode,
    pub progress_polls: u32,
    pub progress_conclusion: String,
    pub scopes: String,
    /// The token is a job's `GITHUB_TOKEN`: `GET /user` is forbidden and what it writes is
    /// authored by `github-actions[bot]`.
    pub job_token: bool,
    pub requests: Vec<Recorded>,
    pub rate_used: u64,
    pub rate_reset: i64,
    /// How long a dispatched run stays out of the run lists.
    pub dispatch_lag: Duration,
    /// The origin `Link` headers point at, when not the API's own (an off-base link).
    pub link_base: Option<String>,
    pub signing_key: u64,
    /// Renamed or transferred repositories: lowercased old full name -> (new full name, the API
    /// base its redirects point at; `None` = this API).
    pub moved: BTreeMap<String, (String, Option<String>)>,
    /// Lowercased `org/team-slug` -> lowercased login -> membership state (`active`, `pending`).
    pub teams: BTreeMap<String, BTreeMap<String, String>>,
    /// Lowercased full name -> a git directory holding the repository's commits (for compare).
    pub git_dirs: BTreeMap<String, std::path::PathBuf>,
    /// (repo, run id, folder): the run's artifacts also come from an act artifact server's
    /// storage, `FOLDER/NAME/NAME.zip` (see `FakeGitHub::serve_act_artifacts`).
    pub act_artifact_dirs: Vec<(String, u64, std::path::PathBuf)>,
    next_id: u64,
}

pub(crate) struct Repo {
    pub id: u64,
    pub full_name: String,
    pub default_branch: String,
    pub parent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub branches: BTreeMap<String, String>,
    pub pulls: Vec<Pull>,
    pub workflows: Vec<Workflow>,
    /// (git ref as given: branch name or sha, path) -> bytes.
    pub files: HashMap<(String, String), Vec<u8>>,
    pub runs: Vec<Run>,
    pub artifacts: Vec<Artifact>,
    pub comments: Vec<Comment>,
    /// Issue numbers that exist without a PR (created by `add_comment`).
    pub issues: Vec<u64>,
    /// Login (lowercased) -> repository role (`read`, `triage`, `write`, `maintain`, `admin` or
    /// a custom role's name with its base role). Users not listed read a public repository.
    pub roles: HashMap<String, (String, String)>,
    /// Commit sha -> committer date, for `GET /commits/{sha}`.
    pub commit_dates: HashMap<String, DateTime<Utc>>,
    pub reactions: Vec<Reaction>,
    next_number: u64,
}

pub(crate) struct Reaction {
    pub id: u64,
    pub comment_id: u64,
    pub content: String,
    pub author: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct Pull {
    pub number: u64,
    pub id: u64,
    pub head_repo: Option<String>,
    /// The owner in `head.label`; GitHub keeps it (and matches `head=OWNER:REF` on it) after
    /// the head repository is deleted.
    pub head_owner: String,
    /// Who opened the PR (`user`), when not the head repository's owner.
    pub author: Option<String>,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub state: PrState,
    pub maintainer_can_modify: bool,
    pub title: String,
    pub body: Option<String>,
    pub draft: bool,
    pub labels: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub merged_at: Option<DateTime<Utc>>,
}

pub(crate) struct Workflow {
    pub id: u64,
    pub file: String,
    pub state: String,
    pub created_at: DateTime<Utc>,
}

/// A run in the fake's state: the seeded (or dispatched) `spec`, with what GitHub adds. Its
/// `spec.head_repository` is never empty here (the run's own repository filled in), and becomes
/// empty once the head repository is deleted (rendered as `null`).
#[derive(Clone, Debug)]
pub struct Run {
    pub id: u64,
    pub workflow_id: u64,
    pub run_number: u64,
    pub spec: RunSpec,
    pub updated_at: DateTime<Utc>,
    pub inputs: Value,
    /// Dispatched runs move along as they are fetched; seeded runs stay as given.
    pub progresses: bool,
    /// Who started the run (`actor`); `None`: the repository's owner.
    pub actor: Option<String>,
    /// Listed only from this instant on (GitHub's run list lags behind a dispatch).
    pub listed_from: Option<std::time::Instant>,
    pub polls: u32,
    pub jobs: Vec<Job>,
}

#[derive(Clone, Debug)]
pub struct Job {
    pub id: u64,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub(crate) struct Artifact {
    pub id: u64,
    pub run_id: u64,
    pub name: String,
    pub zip: Vec<u8>,
    pub expired: bool,
    pub created_at: DateTime<Utc>,
}

pub(crate) struct Comment {
    pub id: u64,
    pub issue: u64,
    pub body: String,
    /// The author's login.
    pub author: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Repo {
    /// The comment `id`, if this repository holds it.
    pub fn comment(&self, id: u64) -> Option<&Comment> {
        self.comments.iter().find(|c| c.id == id)
    }

    pub fn next_issue_number(&mut self) -> u64 {
        self.next_number += 1;
        self.next_number
    }

    pub fn owner(&self) -> &str {
        self.full_name.split('/').next().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.full_name.split('/').nth(1).unwrap_or_default()
    }

    /// A workflow by numeric id or file name (GitHub accepts both as `workflow_id`).
    pub fn workflow(&self, id_or_file: &str) -> Option<&Workflow> {
        self.workflows
            .iter()
            .find(|w| w.file == id_or_file || w.id.to_string() == id_or_file)
    }

    /// The branch a ref names: `main`, `refs/heads/main`.
    pub fn branch_sha(&self, git_ref: &str) -> Option<&String> {
        let name = git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref);
        self.branches.get(name)
    }

    /// A file at a ref: stored under that exact ref, or under a branch the sha/branch resolves to.
    pub fn file_at(&self, git_ref: &str, path: &str) -> Option<&Vec<u8>> {
        let key = |r: &str| (r.to_string(), path.to_string());
        if let Some(f) = self.files.get(&key(git_ref)) {
            return Some(f);
        }
        let name = git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref);
        if let Some(f) = self.files.get(&key(name)) {
            return Some(f);
        }
        if let Some(sha) = self.branches.get(name)
            && let Some(f) = self.files.get(&key(sha))
        {
            return Some(f);
        }
        self.branches
            .iter()
            .filter(|(_, sha)| sha.as_str() == git_ref)
            .find_map(|(branch, _)| self.files.get(&key(branch)))
    }

    pub fn issue_exists(&self, number: u64) -> bool {
        self.pulls.iter().any(|p| p.number == number) || self.issues.contains(&number)
    }
}

impl State {
    /// The base URL of pagination links: the API's own, unless `serve_off_base_links` moved it.
    pub fn page_base(&self) -> String {
        self.link_base
            .clone()
            .unwrap_or_else(|| self.api_base.clone())
    }

    /// The REST base (`API/repos/OWNER/NAME`) and the web page of the repository `full`.
    pub fn repo_urls(&self, full: &str) -> (String, String) {
        let api = format!("{}/repos/{full}", self.api_base);
        (api, format!("https://github.com/{full}"))
    }

    pub fn new() -> State {
        use std::hash::{BuildHasher, RandomState};
        State {
            api_base: String::new(),
            storage_base: String::new(),
            repos: BTreeMap::new(),
            latency: Duration::ZERO,
            hooks: Vec::new(),
            faults: Vec::new(),
            dispatch_mode: DispatchMode::RunDetails,
            progress_polls: 2,
            progress_conclusion: "success".to_string(),
            scopes: "repo, workflow".to_string(),
            job_token: false,
            requests: Vec::new(),
            rate_used: 0,
            rate_reset: Utc::now().timestamp() + 3600,
            dispatch_lag: Duration::ZERO,
            link_base: None,
            signing_key: RandomState::new().hash_one(std::process::id()),
            moved: BTreeMap::new(),
            teams: BTreeMap::new(),
            git_dirs: BTreeMap::new(),
            act_artifact_dirs: Vec::new(),
            next_id: 1_000_000,
        }
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn repo(&self, full_name: &str) -> Option<&Repo> {
        self.repos.get(&full_name.to_ascii_lowercase())
    }

    pub fn repo_mut_opt(&mut self, full_name: &str) -> Option<&mut Repo> {
        self.repos.get_mut(&full_name.to_ascii_lowercase())
    }

    /// Seeding helpers call this: a missing repository is a mistake in the test.
    pub fn repo_mut(&mut self, full_name: &str) -> &mut Repo {
        self.repo_mut_opt(full_name).unwrap_or_else(|| {
            panic!("fake_github: unknown repository {full_name}; call add_repo first")
        })
    }

    /// Seeding helpers call this: a missing PR is a mistake in the test.
    pub fn pull_mut(&mut self, repo: &str, number: u64) -> &mut Pull {
        self.repo_mut(repo)
            .pulls
            .iter_mut()
            .find(|p| p.number == number)
            .unwrap_or_else(|| panic!("fake_github: no PR #{number} in {repo}"))
    }

    /// Seeding helpers call this: a missing run is a mistake in the test.
    pub fn run_mut(&mut self, repo: &str, id: u64) -> &mut Run {
        self.repo_mut(repo)
            .runs
            .iter_mut()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("fake_github: unknown run {id} in {repo}"))
    }

    pub fn add_repo(&mut self, full_name: &str, parent: Option<&str>) {
        assert!(
            full_name.split('/').count() == 2,
            "fake_github: repository names are OWNER/NAME, got {full_name}"
        );
        let id = self.next_id();
        self.repos.insert(
            full_name.to_ascii_lowercase(),
            Repo {
                id,
                full_name: full_name.to_string(),
                default_branch: "main".to_string(),
                parent: parent.map(str::to_string),
                created_at: Utc::now(),
                branches: BTreeMap::new(),
                pulls: Vec::new(),
                workflows: Vec::new(),
                files: HashMap::new(),
                runs: Vec::new(),
                artifacts: Vec::new(),
                comments: Vec::new(),
                issues: Vec::new(),
                roles: HashMap::new(),
                commit_dates: HashMap::new(),
                reactions: Vec::new(),
                next_number: 0,
            },
        );
    }

    pub fn add_workflow(&mut self, repo: &str, file: &str, state: &str) -> u64 {
        let id = self.next_id();
        self.repo_mut(repo).workflows.push(Workflow {
            id,
            file: file.to_string(),
            state: state.to_string(),
            created_at: Utc::now(),
        });
        id
    }

    /// Adds a run (seeded, or created by a dispatch when `progresses`); an unknown workflow file
    /// is registered as active so seeding stays short.
    pub fn add_run(
        &mut self,
        repo: &str,
        mut spec: RunSpec,
        inputs: Value,
        progresses: bool,
    ) -> u64 {
        let workflow_id = match self.repo_mut(repo).workflow(&spec.workflow) {
            Some(w) => w.id,
            None => self.add_workflow(repo, &spec.workflow, "active"),
        };
        let id = self.next_id();
        let r = self.repo_mut(repo);
        let run_number = 1 + r
            .runs
            .iter()
            .filter(|x| x.workflow_id == workflow_id)
            .count() as u64;
        if spec.head_repository.is_empty() {
            spec.head_repository = r.full_name.clone();
        }
        r.runs.push(Run {
            id,
            workflow_id,
            run_number,
            updated_at: spec.created_at,
            spec,
            inputs,
            progresses,
            actor: None,
            listed_from: None,
            polls: 0,
            jobs: Vec::new(),
        });
        id
    }

    pub fn add_job(
        &mut self,
        repo: &str,
        run_id: u64,
        name: &str,
        status: &str,
        conclusion: Option<String>,
    ) {
        let id = self.next_id();
        let run = self.run_mut(repo, run_id);
        run.jobs.push(Job {
            id,
            name: name.to_string(),
            status: status.to_string(),
            conclusion,
            created_at: run.spec.created_at,
        });
    }

    pub fn add_artifact(
        &mut self,
        repo: &str,
        run_id: u64,
        name: &str,
        zip: Vec<u8>,
        expired: bool,
    ) -> u64 {
        let id = self.next_id();
        let r = self.repo_mut(repo);
        assert!(
            r.runs.iter().any(|x| x.id == run_id),
            "fake_github: unknown run {run_id} in {repo}"
        );
        r.artifacts.push(Artifact {
            id,
            run_id,
            name: name.to_string(),
            zip,
            expired,
            created_at: Utc::now(),
        });
        id
    }

    /// The login of whoever the token belongs to: the author of what the API creates.
    pub fn token_login(&self) -> &'static str {
        if self.job_token {
            super::JOB_TOKEN_USER
        } else {
            super::USER
        }
    }

    pub fn add_comment(&mut self, repo: &str, issue: u64, body: &str, author: &str) -> u64 {
        let id = self.next_id();
        let now = Utc::now();
        let r = self.repo_mut(repo);
        if !r.issue_exists(issue) {
            r.issues.push(issue);
            r.next_number = r.next_number.max(issue);
        }
        r.comments.push(Comment {
            id,
            issue,
            body: body.to_string(),
            author: author.to_string(),
            created_at: now,
            updated_at: now,
        });
        id
    }
}

impl State {
    /// Take in every finished upload found in the act artifact folders registered for `repo`
    /// (each once; an upload act is still writing is not a valid zip yet and waits).
    pub fn sync_act_artifacts(&mut self, repo: &str) {
        let dirs: Vec<(u64, std::path::PathBuf)> = self
            .act_artifact_dirs
            .iter()
            .filter(|(r, _, _)| r.eq_ignore_ascii_case(repo))
            .map(|(_, run, dir)| (*run, dir.clone()))
            .collect();
        for (run, dir) in dirs {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for name in names {
                let known = self.repo(repo).is_some_and(|r| {
                    r.artifacts
                        .iter()
                        .any(|a| a.run_id == run && a.name == name)
                });
                let Ok(zip) = std::fs::read(dir.join(&name).join(format!("{name}.zip"))) else {
                    continue;
                };
                // A zip ends with its end-of-central-directory record (no comment here).
                let complete = zip.len() >= 22 && zip[zip.len() - 22..].starts_with(b"PK\x05\x06");
                if !known && complete {
                    self.add_artifact(repo, run, &name, zip, false);
                }
            }
        }
    }
}
