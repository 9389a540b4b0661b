//! GitHub Actions: workflows, dispatches, runs, jobs and artifacts (with a streaming download).

use std::io::Write;

use chrono::{DateTime, Utc};
use http::Method;
use http_body_util::BodyExt;
use serde::Deserialize;

use super::repos::{encode_path, encode_query, with_query};
use super::{ApiError, Artifact, DispatchedRun, GitHub, Job, Workflow, WorkflowRun};
use crate::remotes::RepoName;

/// What a dispatch POST came back with.
#[derive(Debug)]
pub enum Dispatch {
    /// 200 with the run's id and URL.
    Run(DispatchedRun),
    /// 204 (older GitHub Enterprise): accepted, run id unknown.
    Accepted,
    /// 5xx, timeout or a lost connection: the run may or may not exist.
    Unknown(ApiError),
}

/// Why an artifact could not be downloaded.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("artifact {0} has expired")]
    Expired(u64),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("failed to write the download: {0}")]
    Io(#[from] std::io::Error),
}

impl GitHub {
    /// The workflow `file` as the workflows endpoint knows it (`None` when unknown there,
    /// which also means it is not on the default branch).
    pub async fn workflow(
        &self,
        repo: &RepoName,
        file: &str,
    ) -> Result<Option<Workflow>, ApiError> {
        self.get_optional(&format!(
            "{}/actions/workflows/{}",
            Self::repo_path(repo),
            encode_query(file)
        ))
        .await
    }

    /// POST a `workflow_dispatch`. Definitive refusals (4xx) are errors; anything that may have
    /// taken effect is `Dispatch::Unknown`, never retried here.
    pub async fn dispatch(
        &self,
        repo: &RepoName,
        file: &str,
        git_ref: &str,
        inputs: &serde_json::Map<String, serde_json::Value>,
        return_run_details: bool,
    ) -> Result<Dispatch, ApiError> {
        let path = format!(
            "{}/actions/workflows/{}/dispatches",
            Self::repo_path(repo),
            encode_query(file)
        );
        let mut body = serde_json::json!({ "ref": git_ref, "inputs": inputs });
        if return_run_details {
            body["return_run_details"] = serde_json::Value::Bool(true);
        }
        match self.send_once(Method::POST, &path, &body).await {
            Ok((200, bytes)) => {
                #[derive(Deserialize)]
                struct Details {
                    workflow_run_id: u64,
                    html_url: String,
                }
                let d: Details = self.decode(&Method::POST, &path, &bytes)?;
                Ok(Dispatch::Run(DispatchedRun {
                    id: d.workflow_run_id,
                    url: d.html_url,
                }))
            }
            Ok(_) => Ok(Dispatch::Accepted),
            Err(e) if e.status.is_none_or(|s| s >= 500) => Ok(Dispatch::Unknown(e)),
            Err(e) => Err(e),
        }
    }

    /// Runs of workflow `file`, newest first, filtered by the given query (e.g.
    /// `event=workflow_dispatch&branch=B`), stopping once `enough` is satisfied.
    pub async fn workflow_runs(
        &self,
        repo: &RepoName,
        file: &str,
        query: &[(&str, &str)],
        enough: impl Fn(&[WorkflowRun]) -> bool,
    ) -> Result<Vec<WorkflowRun>, ApiError> {
        #[derive(Deserialize)]
        struct Page {
            workflow_runs: Vec<WorkflowRun>,
        }
        let path = with_query(
            format!(
                "{}/actions/workflows/{}/runs",
                Self::repo_path(repo),
                encode_query(file)
            ),
            &[&[("per_page", "30")], query].concat(),
        );
        self.get_all_pages(&path, |p: Page| p.workflow_runs, enough)
            .await
    }

    /// Runs of `file` created at or after `since` on `branch` by a dispatch, started by
    /// `actor` when given.
    pub async fn dispatched_runs_since(
        &self,
        repo: &RepoName,
        file: &str,
        branch: &str,
        actor: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<Vec<WorkflowRun>, ApiError> {
        let created = format!(">={}", since.format("%Y-%m-%dT%H:%M:%SZ"));
        let mut query = vec![
            ("event", "workflow_dispatch"),
            ("branch", branch),
            ("created", created.as_str()),
        ];
        if let Some(actor) = actor {
            query.push(("actor", actor));
        }
        let runs = self
            .workflow_runs(repo, file, &query, |seen| {
                seen.last().is_some_and(|r| r.created_at < since)
            })
            .await?;
        Ok(runs
            .into_iter()
            .filter(|r| r.created_at >= since)
            .filter(|r| actor.is_none_or(|a| r.actor.as_ref().is_some_and(|u| u.login == a)))
            .collect())
    }

    pub async fn run(&self, repo: &RepoName, id: u64) -> Result<WorkflowRun, ApiError> {
        self.get_json(&format!("{}/actions/runs/{id}", Self::repo_path(repo)))
            .await
    }

    pub async fn jobs(&self, repo: &RepoName, run_id: u64) -> Result<Vec<Job>, ApiError> {
        #[derive(Deserialize)]
        struct Page {
            jobs: Vec<Job>,
        }
        let path = format!("{}/actions/runs/{run_id}/jobs", Self::repo_path(repo));
        self.get_all_pages(&path, |p: Page| p.jobs, |_| false).await
    }

    /// Every artifact of a run (all pages).
    pub async fn artifacts(&self, repo: &RepoName, run_id: u64) -> Result<Vec<Artifact>, ApiError> {
        #[derive(Deserialize)]
        struct Page {
            artifacts: Vec<Artifact>,
        }
        let path = format!("{}/actions/runs/{run_id}/artifacts", Self::repo_path(repo));
        self.get_all_pages(&path, |p: Page| p.artifacts, |_| false)
            .await
    }

    /// Stream artifact `id`'s zip into `out`. The API answers 302 to a storage host; that
    /// request carries no token: the client only authenticates requests for the API's own host.
    /// `progress(downloaded, total)` is called as bytes arrive.
    pub async fn download_artifact(
        &self,
        repo: &RepoName,
        id: u64,
        out: &mut impl Write,
        mut progress: impl FnMut(u64, Option<u64>),
    ) -> Result<u64, DownloadError> {
        let path = format!("{}/actions/artifacts/{id}/zip", Self::repo_path(repo));
        let resp = self.send(Method::GET, &path, None).await?;
        // `send` followed the 302 to the storage host, without the token.
        let resp = match resp.status().as_u16() {
            410 => return Err(DownloadError::Expired(id)),
            s if (200..300).contains(&s) => resp,
            _ => return Err(self.failure(&Method::GET, &path, resp).await.into()),
        };
        let total = resp
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.parse().ok());
        let mut body = resp.into_body();
        let mut written = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| ApiError {
                method: Method::GET,
                path: "artifact storage".to_owned(),
                status: None,
                message: self.token.redact(&super::transport_message(&e)),
            })?;
            if let Ok(data) = frame.into_data() {
                out.write_all(&data)?;
                written += data.len() as u64;
                progress(written, total);
            }
        }
        out.flush()?;
        Ok(written)
    }

    /// Web URL of a workflow's run list.
    pub fn workflow_runs_page(&self, repo: &RepoName, file: &str) -> String {
        format!(
            "{}/{}/actions/workflows/{}",
            self.web_url(),
            repo,
            encode_path(file)
        )
    }
}
