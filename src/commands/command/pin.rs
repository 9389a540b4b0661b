//! Pinning what the request approved: the PR head at the time of the comment or label.
//!
//! A label event carries the head sha it saw, so the check is exact: the head now must be that
//! sha. A comment event carries no sha, and GitHub does not tell when a commit was pushed, so the
//! head now is checked against the comment's creation time with two signals:
//!
//! 1. the head commit's committer date must not be after the comment (catches the ordinary race:
//!    a push of a fresh commit right after the approval);
//! 2. the first workflow run GitHub created for that sha in this repository (a `pull_request`
//!    run starts on every push) must not be after the comment: its time is GitHub's own.
//!
//! Limits, honestly: a committer date is chosen by whoever commits, so a deliberately back-dated
//! commit passes (1), and (2) only helps where some workflow runs on the PR's pushes. The pinned
//! sha is then passed to the recording workflow (its `head_sha` input), which checks out exactly
//! that commit, so a push *after* this check cannot change what is recorded.

use chrono::{DateTime, Utc};

use super::event::Trigger;
use super::reply::{Refusal, short};
use crate::actions::md_code;
use crate::github::GitHub;
use crate::remotes::RepoName;

/// Refuse when the PR's head `sha` is not what the request could have seen.
pub(super) async fn check(
    gh: &GitHub,
    repo: &RepoName,
    trigger: &Trigger,
    sha: &str,
) -> Result<(), super::Stop> {
    match trigger {
        Trigger::Label { head_sha, .. } if head_sha != sha => Err(Refusal::new(format!(
            "the PR was pushed after the label was added (it saw {}, the head is now {}). Remove the label and add it again to record the new head.",
            md_code(short(head_sha)),
            md_code(short(sha))
        ))
        .into()),
        Trigger::Label { .. } => Ok(()),
        Trigger::Comment { created_at, .. } => comment_check(gh, repo, *created_at, sha).await,
    }
}

async fn comment_check(
    gh: &GitHub,
    repo: &RepoName,
    commented: DateTime<Utc>,
    sha: &str,
) -> Result<(), super::Stop> {
    let (committed, runs) = tokio::join!(gh.committer_date(repo, sha), gh.runs_for_sha(repo, sha));
    let committed = committed.map_err(|e| {
        anyhow::Error::new(e).context(format!("failed to read commit {sha} of {repo}"))
    })?;
    let pushed_after = |what: &str, when: DateTime<Utc>| {
        Refusal::new(format!(
            "the PR's head changed after the comment: {} {what} {}, after the comment ({}). Review the new head and comment again to record it.",
            md_code(short(sha)),
            when.format("%Y-%m-%d %H:%M:%S UTC"),
            commented.format("%Y-%m-%d %H:%M:%S UTC")
        ))
    };
    if committed > commented {
        return Err(pushed_after("was committed at", committed).into());
    }
    let runs = runs.map_err(|e| {
        anyhow::Error::new(e).context(format!("failed to list the runs of {sha} in {repo}"))
    })?;
    if let Some(first) = runs.iter().map(|r| r.created_at).min()
        && first > commented
    {
        return Err(pushed_after("first reached GitHub Actions at", first).into());
    }
    Ok(())
}
