//! The dispatch POST and finding its run: reusable by any command that dispatches a workflow.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;

use crate::commands::watch::scaled;
use crate::github::actions::Dispatch;
use crate::github::{DispatchedRun, GitHub, WorkflowRun};
use crate::output::warn;
use crate::provenance;
use crate::remotes::RepoName;

/// Runs created this long before our clock are still ours (GitHub's clock may differ).
const CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(10);
/// How long to look for the run of a dispatch answered with 204.
const FIND_RUN_FOR: Duration = Duration::from_secs(30);
/// How long to look for the run of a dispatch whose answer was lost (5xx, timeout): GitHub's
/// run list can lag a dispatch by tens of seconds, and a second dispatch records everything
/// twice, so the run is looked for this long before anything else.
const FIND_LOST_RUN_FOR: Duration = Duration::from_secs(60);

/// POST the dispatch and learn the run. A lost answer is never re-sent: its run is looked for
/// (by the token's user, created since the POST, and not titled for another PR or commit than
/// `pin`, the PR and sha the inputs carry), and when it does not show up the user is told what
/// to check rather than risk a second expensive recording run.
pub async fn dispatch(
    gh: &GitHub,
    repo: &RepoName,
    file: &str,
    branch: &str,
    inputs: &BTreeMap<String, String>,
    pin: Option<(u64, &str)>,
) -> anyhow::Result<Option<DispatchedRun>> {
    let body: serde_json::Map<String, serde_json::Value> = inputs
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let since = Utc::now() - CLOCK_SKEW;
    let refused = |e: crate::github::ApiError| {
        anyhow::anyhow!("GitHub refused the dispatch of {file} on {branch} in {repo}: {e}")
    };
    let outcome = match gh.dispatch(repo, file, branch, &body, true).await {
        // Older GitHub Enterprise rejects the flag: send the plain dispatch and find the run.
        Err(e) if e.status == Some(422) && e.message.contains("return_run_details") => gh
            .dispatch(repo, file, branch, &body, false)
            .await
            .map_err(refused)?,
        other => other.map_err(refused)?,
    };
    let (wait, lost) = match outcome {
        Dispatch::Run(run) => return Ok(Some(run)),
        Dispatch::Accepted => (FIND_RUN_FOR, None),
        Dispatch::Unknown(err) => {
            warn(&format!(
                "the dispatch's outcome is unknown ({err}); looking for its run for up to {} s before anything else",
                FIND_LOST_RUN_FOR.as_secs()
            ));
            (FIND_LOST_RUN_FOR, Some(err))
        }
    };
    // Only runs the token's user started count (a job token cannot ask: then any actor).
    let actor = gh.user().await.ok().map(|(user, _)| user.login);
    let found = find_run(
        gh,
        repo,
        file,
        branch,
        actor.as_deref(),
        since,
        pin,
        scaled(wait),
    )
    .await?;
    let runs_page = gh.workflow_runs_page(repo, file);
    let by = actor.map_or_else(String::new, |a| format!(" by {a}"));
    match (found, lost) {
        (Some(run), _) => Ok(Some(run)),
        (None, None) => {
            warn(&format!(
                "the dispatch was accepted but its run did not show up within {} s; see {runs_page}",
                FIND_RUN_FOR.as_secs()
            ));
            Ok(None)
        }
        (None, Some(err)) => anyhow::bail!(
            "the dispatch's outcome is unknown ({err}) and no run of {file} on {branch}{by} showed up within {} s; \
             GitHub may still list it: check {runs_page} before dispatching again (a second dispatch records everything twice)",
            FIND_LOST_RUN_FOR.as_secs()
        ),
    }
}

/// The oldest dispatch run of `branch` (by `actor`, when known) created since `since` that may
/// record `pin`, polling with a growing pause for at most `wait`.
#[allow(clippy::too_many_arguments)]
pub async fn find_run(
    gh: &GitHub,
    repo: &RepoName,
    file: &str,
    branch: &str,
    actor: Option<&str>,
    since: chrono::DateTime<Utc>,
    pin: Option<(u64, &str)>,
    wait: Duration,
) -> anyhow::Result<Option<DispatchedRun>> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut pause = scaled(Duration::from_secs(2));
    loop {
        let runs = gh
            .dispatched_runs_since(repo, file, branch, actor, since)
            .await?;
        let ours = runs.iter().filter(|r| may_record(r, pin));
        if let Some(run) = ours.min_by_key(|r| r.created_at) {
            return Ok(Some(DispatchedRun {
                id: run.id,
                url: run.html_url.clone(),
            }));
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 3 / 2).min(scaled(Duration::from_secs(10)));
    }
}

/// Whether `run` may be the run of a dispatch that sent `pin` (PR, sha): a run titled for another
/// PR or commit (the recording workflow's run-name, `Record PR #N at SHA`) is another dispatch's,
/// whoever started it and however close in time (a job token cannot tell its runs by actor).
fn may_record(run: &WorkflowRun, pin: Option<(u64, &str)>) -> bool {
    match (pin, provenance::title_claim(run)) {
        (Some((pr, sha)), Some((titled_pr, titled_sha))) => {
            titled_pr == pr && titled_sha.eq_ignore_ascii_case(sha)
        }
        _ => true,
    }
}
