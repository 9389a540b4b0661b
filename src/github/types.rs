//! Our own views of GitHub objects: only the fields rerecord uses, tolerant of the rest (a
//! missing `Option` field reads as `None`; other fields that may be absent say `default`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    pub full_name: String,
    #[serde(default)]
    pub fork: bool,
    pub parent: Option<Box<Repository>>,
    pub default_branch: Option<String>,
    pub html_url: String,
}

/// `open`, `closed` (not merged) or `merged`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrState {
    Open,
    Closed,
    Merged,
}

impl std::fmt::Display for PrState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PrState::Open => "open",
            PrState::Closed => "closed",
            PrState::Merged => "merged",
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawPull {
    pub number: u64,
    pub state: String,
    pub html_url: String,
    pub merged_at: Option<DateTime<Utc>>,
    pub merged: Option<bool>,
    pub maintainer_can_modify: Option<bool>,
    pub head: RawPullRef,
    pub base: RawPullRef,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RawPullRef {
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub sha: String,
    pub repo: Option<RepoRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RepoRef {
    pub full_name: String,
    pub default_branch: Option<String>,
}

/// A pull request as rerecord sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    pub state: PrState,
    pub html_url: String,
    pub head_ref: String,
    pub head_sha: String,
    /// `None` when the head repository (a fork) was deleted.
    pub head_repo: Option<String>,
    pub base_ref: String,
    pub base_repo: String,
    /// The base repository's default branch (`base.repo.default_branch`).
    pub base_default_branch: Option<String>,
    /// Only known from the single-PR endpoint.
    pub maintainer_can_modify: Option<bool>,
}

impl From<RawPull> for PullRequest {
    fn from(raw: RawPull) -> Self {
        let state = if raw.merged_at.is_some() || raw.merged == Some(true) {
            PrState::Merged
        } else if raw.state == "open" {
            PrState::Open
        } else {
            PrState::Closed
        };
        Self {
            number: raw.number,
            state,
            html_url: raw.html_url,
            head_ref: raw.head.git_ref,
            head_sha: raw.head.sha,
            head_repo: raw.head.repo.map(|r| r.full_name),
            base_ref: raw.base.git_ref,
            base_default_branch: raw
                .base
                .repo
                .as_ref()
                .and_then(|r| r.default_branch.clone()),
            base_repo: raw.base.repo.map(|r| r.full_name).unwrap_or_default(),
            maintainer_can_modify: raw.maintainer_can_modify,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Workflow {
    pub id: u64,
    pub name: String,
    pub path: String,
    pub state: String,
    pub html_url: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct WorkflowRun {
    pub id: u64,
    pub html_url: String,
    pub status: Option<String>,
    pub conclusion: Option<String>,
    pub head_branch: Option<String>,
    pub head_sha: String,
    pub event: String,
    pub created_at: DateTime<Utc>,
    pub run_attempt: Option<u64>,
    pub path: Option<String>,
    #[serde(default)]
    pub pull_requests: Vec<RunPull>,
    pub head_repository: Option<RepoRef2>,
    /// The run's title: the workflow's `run-name` as GitHub computed it (see `provenance`).
    pub display_title: Option<String>,
    /// Who started the run.
    pub actor: Option<User>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RunPull {
    pub number: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RepoRef2 {
    pub full_name: String,
}

impl WorkflowRun {
    pub fn is_completed(&self) -> bool {
        self.status.as_deref() == Some("completed")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Job {
    pub id: u64,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Artifact {
    pub id: u64,
    pub name: String,
    pub size_in_bytes: u64,
    #[serde(default)]
    pub expired: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Comment {
    pub id: u64,
    pub body: Option<String>,
    pub html_url: String,
    /// The author; `null` for a deleted account ("ghost").
    pub user: Option<User>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct User {
    pub login: String,
    /// `User`, `Bot` or `Organization`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// A run created by a dispatch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DispatchedRun {
    /// The run's id, as `rerecord land --run` and `rerecord fetch --run` take it.
    pub id: u64,
    /// The run's page on GitHub.
    pub url: String,
}

/// The answer of the compare endpoint (the fields rerecord reads).
#[derive(Debug, Clone, Deserialize)]
pub struct Comparison {
    /// `identical`, `ahead` (head descends from base), `behind` or `diverged`.
    pub status: String,
    pub ahead_by: u64,
    #[serde(default)]
    pub files: Vec<DiffEntry>,
}

/// One changed file of a comparison.
#[derive(Debug, Clone, Deserialize)]
pub struct DiffEntry {
    pub filename: String,
    /// `added`, `removed`, `modified`, `renamed`, `copied`, `changed` or `unchanged`.
    pub status: String,
    pub previous_filename: Option<String>,
}

/// GitHub lists at most this many files in a comparison.
pub const COMPARE_MAX_FILES: usize = 300;
