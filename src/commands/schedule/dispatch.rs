//! The dispatch POST and finding its run: reusable by any command that dispatches a workflow.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;

use super::{scaled, warn};
use crate::github::actions::Dispatch;
use crate::github::{DispatchedRun, GitHub};
use crate::remotes::RepoName;

/// Runs created this long before our clock are still ours (GitHub's clock may differ).
const CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(10);
/// How long to look for the run of a dispatch answered with 204.
const FIND_RUN_FOR: Duration = Duration::from_secs(30);

/// POST the dispatch and learn the run. A lost answer is never re-sent blindly: look for a run
/// created since the attempt first, re-send at most once, and give up saying so.
pub async fn dispatch(
    gh: &GitHub,
    repo: &RepoName,
    file: &str,
    branch: &str,
    inputs: &BTreeMap<String, String>,
) -> anyhow::Result<Option<DispatchedRun>> {
    let body: serde_json::Map<String, serde_json::Value> = inputs
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let since = Utc::now() - CLOCK_SKEW;
    let runs_page = gh.workflow_runs_page(repo, file);
    let refused = |e: crate::github::ApiError| {
        anyhow::anyhow!("GitHub refused the dispatch of {file} on {branch} in {repo}: {e}")
    };
    for attempt in 1..=2 {
        let outcome = match gh.dispatch(repo, file, branch, &body, true).await {
            // Older GitHub Enterprise rejects the flag: send the plain dispatch and find the run.
            Err(e) if e.status == Some(422) && e.message.contains("return_run_details") => gh
                .dispatch(repo, file, branch, &body, false)
                .await
                .map_err(refused)?,
            other => other.map_err(refused)?,
        };
        match outcome {
            Dispatch::Run(run) => return Ok(Some(run)),
            Dispatch::Accepted => {
                let found = find_run(gh, repo, file, branch, since, scaled(FIND_RUN_FOR)).await?;
                if found.is_none() {
                    warn(&format!(
                        "the dispatch was accepted but its run did not show up within 30 s; see {runs_page}"
                    ));
                }
                return Ok(found);
            }
            Dispatch::Unknown(err) => {
                warn(&format!(
                    "the dispatch's outcome is unknown ({err}); looking for its run before trying again"
                ));
                if let Some(run) = find_run(
                    gh,
                    repo,
                    file,
                    branch,
                    since,
                    scaled(Duration::from_secs(6)),
                )
                .await?
                {
                    return Ok(Some(run));
                }
                if attempt == 2 {
                    anyhow::bail!(
                        "the dispatch's outcome is unknown after a second attempt ({err}); check {runs_page} before dispatching again"
                    );
                }
            }
        }
    }
    unreachable!("the loop returns on its second attempt")
}

/// The oldest dispatch run of `branch` created since `since`, polling for at most `wait`.
pub async fn find_run(
    gh: &GitHub,
    repo: &RepoName,
    file: &str,
    branch: &str,
    since: chrono::DateTime<Utc>,
    wait: Duration,
) -> anyhow::Result<Option<DispatchedRun>> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut pause = scaled(Duration::from_secs(2));
    loop {
        let runs = gh.dispatched_runs_since(repo, file, branch, since).await?;
        if let Some(run) = runs.iter().min_by_key(|r| r.created_at) {
            return Ok(Some(DispatchedRun {
                id: run.id,
                url: run.html_url.clone(),
            }));
        }
        if tokio::time::Instant::now() + pause > deadline {
            return Ok(None);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 3 / 2).min(scaled(Duration::from_secs(5)));
    }
}
