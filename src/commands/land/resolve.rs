//! Where a run's recordings may go, as the GitHub API sees the run and its PR, and the check that
//! the artifacts' own claims (their manifests) agree with it.
//!
//! An artifact is written by the run's job, which for a fork PR runs the contributor's code: its
//! manifest can say anything. It is only ever compared with the API's answer; the API decides.

use futures_util::future::try_join_all;

use crate::artifact::manifest::Manifest;
pub use crate::commands::short;
use crate::github::{COMPARE_MAX_FILES, GitHub, PrState, PullRequest, WorkflowRun};
use crate::provenance::{self, Pin, PinSource};
use crate::recordings::Globs;
use crate::remotes::RepoName;

/// The run's place according to the API.
#[derive(Debug, Clone)]
pub struct Target {
    /// The repository the run belongs to (where its workflow ran).
    pub repo: RepoName,
    /// Where the run's branch lives: `repo` itself, or a fork.
    pub head_repo: RepoName,
    pub head_branch: String,
    /// The commit the run recorded: the API's head of a run on its own branch; for a run on the
    /// default branch that recorded a PR, the pin (its title or `--head-sha`), set by `land`.
    pub head_sha: String,
    /// Where `head_sha` came from.
    pub source: PinSource,
    pub fork: bool,
    /// The PR whose head is the run's branch, preferring an open one.
    pub pr: Option<PullRequest>,
    /// The branch came from `--pr`/`--head-branch` (the workflow's own inputs), not the run.
    pub from_input: bool,
    /// The branch the API says the run ran on.
    pub run_branch: String,
}

impl Target {
    /// What the run recorded, as decided before any artifact was read.
    pub fn pin(&self) -> Pin {
        Pin {
            pr: self.pr.as_ref().map(|p| p.number),
            head_sha: self.head_sha.clone(),
            source: self.source,
        }
    }
}

/// A reason not to land, to be told on the PR: nothing is pushed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LandRefusal(pub String);

/// Resolve the run's head repository, branch and PR through the API. For runs of fork PRs GitHub
/// leaves `pull_requests` empty, so the PR is looked up by the run's head owner and branch.
pub async fn target(gh: &GitHub, repo: &RepoName, run: &WorkflowRun) -> anyhow::Result<Target> {
    // GitHub nulls `head_repository` once the fork is deleted; guessing the upstream instead
    // would treat a fork's run as a same-repository one and push its recordings there.
    let head_name = run
        .head_repository
        .as_ref()
        .map(|r| r.full_name.clone())
        .ok_or_else(|| {
            LandRefusal(format!(
                "the head repository of run {} is gone (a deleted fork?); nothing to push to",
                run.id
            ))
        })?;
    let head_repo = RepoName::parse(&head_name).map_err(|e| {
        LandRefusal(format!(
            "the API names the run's head repository {head_name:?}: {e}"
        ))
    })?;
    let head_branch = run
        .head_branch
        .clone()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            LandRefusal(format!(
                "run {} has no head branch (a run on a tag or a deleted branch?)",
                run.id
            ))
        })?;
    let fork = !same_repo(&head_repo.to_string(), &repo.to_string());
    let candidates: Vec<PullRequest> = if run.pull_requests.is_empty() {
        let listed = gh
            .pulls_for_head(repo, &head_repo.owner, &head_branch)
            .await?;
        // The list lacks `maintainer_can_modify`: read the PRs that could be ours in full.
        let wanted = listed
            .iter()
            .filter(|p| belongs(p, repo, &head_repo, &head_branch));
        try_join_all(wanted.map(|p| gh.pull(repo, p.number))).await?
    } else {
        try_join_all(run.pull_requests.iter().map(|p| gh.pull(repo, p.number))).await?
    };
    let mut ours: Vec<PullRequest> = candidates
        .into_iter()
        .filter(|p| belongs(p, repo, &head_repo, &head_branch))
        .collect();
    // Open PRs first, then the newest.
    ours.sort_by_key(|p| (p.state != PrState::Open, std::cmp::Reverse(p.number)));
    Ok(Target {
        repo: repo.clone(),
        head_repo,
        head_branch,
        head_sha: run.head_sha.clone(),
        source: PinSource::PullRequestRun,
        fork,
        pr: ours.into_iter().next(),
        from_input: false,
        run_branch: run.head_branch.clone().unwrap_or_default(),
    })
}

/// A run on the default branch that recorded PR `number` (its number came from the workflow's
/// own inputs): the API's view of that PR decides where the recordings go.
pub async fn target_for_pr(
    gh: &GitHub,
    repo: &RepoName,
    run: &WorkflowRun,
    number: u64,
) -> anyhow::Result<Target> {
    let pr = match gh.pull(repo, number).await {
        Ok(pr) => pr,
        Err(e) if e.is_not_found() => {
            return Err(LandRefusal(format!(
                "{repo} has no pull request #{number} (--pr {number})"
            ))
            .into());
        }
        Err(e) => return Err(anyhow::Error::new(e).context(format!("failed to read PR #{number}"))),
    };
    let head_name = pr.head_repo.clone().ok_or_else(|| {
        LandRefusal(format!(
            "PR #{number} comes from a fork that was deleted; nothing to push to"
        ))
    })?;
    let head_repo = RepoName::parse(&head_name).map_err(|e| {
        LandRefusal(format!(
            "the API names PR #{number}'s head repository {head_name:?}: {e}"
        ))
    })?;
    Ok(Target {
        repo: repo.clone(),
        fork: !same_repo(&head_name, &repo.to_string()),
        head_repo,
        head_branch: pr.head_ref.clone(),
        head_sha: String::new(),
        source: PinSource::WorkflowInputs,
        pr: Some(pr),
        from_input: true,
        run_branch: run.head_branch.clone().unwrap_or_default(),
    })
}

/// A run on the default branch that recorded `branch` of the run's own repository (a
/// `workflow_call` with `pr_head_ref`): its PR, if any, is found as for a run on that branch.
pub async fn target_for_branch(
    gh: &GitHub,
    repo: &RepoName,
    run: &WorkflowRun,
    branch: &str,
) -> anyhow::Result<Target> {
    let mut as_if = run.clone();
    as_if.head_branch = Some(branch.to_owned());
    as_if.head_repository = Some(crate::github::RepoRef2 {
        full_name: repo.to_string(),
    });
    as_if.pull_requests.clear();
    let mut target = target(gh, repo, &as_if).await?;
    target.head_sha = String::new();
    target.source = PinSource::WorkflowInputs;
    target.from_input = true;
    target.run_branch = run.head_branch.clone().unwrap_or_default();
    Ok(target)
}

/// Refuse unless `head` (the branch's head as the API or the fetched tip says) is the recorded
/// commit, or reaches it only through commits that change recordings (matrix siblings pushing
/// theirs). GitHub's compare endpoint answers the ancestry question without any history here.
/// `Ok(Some(note))` when `head` is ahead.
pub async fn check_head(
    gh: &GitHub,
    repo: &RepoName,
    head: &str,
    recorded: &str,
    globs: &Globs,
) -> anyhow::Result<Option<String>> {
    if head.eq_ignore_ascii_case(recorded) {
        return Ok(None);
    }
    let (h, r) = (short(head), short(recorded));
    let cmp = gh
        .compare(repo, recorded, head)
        .await
        .map_err(|e| anyhow::Error::new(e).context(format!("failed to compare {r} with {h}")))?;
    let refuse = |why: String| -> anyhow::Result<Option<String>> { Err(LandRefusal(why).into()) };
    let Some(cmp) = cmp else {
        return refuse(format!(
            "the head {h} differs from the recorded commit {r}, and GitHub knows no history joining \
             them (the branch was rewritten?). Re-run the recording workflow"
        ));
    };
    match cmp.status.as_str() {
        "identical" => return Ok(None),
        "ahead" => {}
        _ => {
            return refuse(format!(
                "the head {h} does not descend from the commit the run recorded ({r}; GitHub says \
                 {:?}): the branch was rewritten, or the run is not this PR's. Re-run the recording workflow",
                cmp.status
            ));
        }
    }
    if cmp.files.len() >= COMPARE_MAX_FILES {
        return refuse(format!(
            "the head {h} is {} commits ahead of the recorded commit {r} and changes more files than \
             GitHub lists ({COMPARE_MAX_FILES}), so it cannot be checked to change only recordings. \
             Re-run the recording workflow for the new head",
            cmp.ahead_by
        ));
    }
    let code = cmp.files.iter().find_map(|f| {
        std::iter::once(&f.filename)
            .chain(f.previous_filename.as_ref())
            .find(|p| !globs.matches(p))
    });
    if let Some(path) = code {
        return refuse(format!(
            "the branch moved on since the run: its head {h} is not the recorded commit {r}, and the \
             {} commits since change {path}, which is not a recording. Re-run the recording workflow \
             for the new head",
            cmp.ahead_by
        ));
    }
    Ok(Some(format!(
        "the head {h} is ahead of the recorded commit {r} by {} commits that change recordings only",
        cmp.ahead_by
    )))
}

/// Whether `pr` is the run's: same head repository and branch, based on `repo`.
fn belongs(pr: &PullRequest, repo: &RepoName, head_repo: &RepoName, head_branch: &str) -> bool {
    pr.head_ref == head_branch
        && pr
            .head_repo
            .as_deref()
            .is_some_and(|h| same_repo(h, &head_repo.to_string()))
        && (pr.base_repo.is_empty() || same_repo(&pr.base_repo, &repo.to_string()))
}

fn same_repo(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Every way the artifacts' manifests disagree with the API about the run (empty: they agree).
pub fn claim_mismatches(manifests: &[Manifest], target: &Target, run_id: u64) -> Vec<String> {
    let mut out = Vec::new();
    for m in manifests.iter().map(|m| &m.provenance) {
        let mut differ = |what: &str, claimed: &str, actual: &str, same: bool| {
            if !same {
                out.push(format!("{what} {claimed:?}, but the API says {actual:?}"));
            }
        };
        let repo = target.repo.to_string();
        let head_repo = target.head_repo.to_string();
        differ(
            "repository",
            &m.repository,
            &repo,
            same_repo(&m.repository, &repo),
        );
        // A run on the default branch that checked out a PR may describe itself either way.
        let by_input = target.from_input;
        differ(
            "head repository",
            &m.head_repository,
            &head_repo,
            same_repo(&m.head_repository, &head_repo)
                || (by_input && same_repo(&m.head_repository, &repo)),
        );
        differ(
            "head branch",
            &m.head_ref,
            &target.head_branch,
            m.head_ref == target.head_branch || (by_input && m.head_ref == target.run_branch),
        );
        differ(
            "run",
            &m.made_by.run_id.to_string(),
            &run_id.to_string(),
            m.made_by.run_id == run_id,
        );
        if let (Some(claimed), None) = (m.pr_number, &target.pr) {
            out.push(format!(
                "PR #{claimed}, but the API names no PR for the run"
            ));
        }
    }
    let pin = target.pin();
    out.extend(
        manifests
            .iter()
            .flat_map(|m| provenance::manifest_mismatches(&pin, m)),
    );
    out.sort();
    out.dedup();
    out.into_iter()
        .map(|m| format!("an artifact's manifest claims {m}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(head_ref: &str, run_id: u64) -> Manifest {
        serde_json::from_value(serde_json::json!({
            "version": 1, "repository": "Upstream/Project", "head_repository": "contributor/project",
            "head_ref": head_ref, "head_sha": "ABC", "checkout_sha": "c", "run_id": run_id,
            "run_attempt": 1, "job": "j", "setup": "s", "suite": "t", "files": []
        }))
        .unwrap()
    }

    fn target() -> Target {
        Target {
            repo: RepoName::parse("upstream/project").unwrap(),
            head_repo: RepoName::parse("contributor/project").unwrap(),
            head_branch: "feature-x".into(),
            head_sha: "abc".into(),
            source: PinSource::PullRequestRun,
            fork: true,
            pr: None,
            from_input: false,
            run_branch: "feature-x".into(),
        }
    }

    #[test]
    fn manifests_that_agree_with_the_api_pass_whatever_the_case_of_names() {
        assert!(claim_mismatches(&[manifest("feature-x", 7)], &target(), 7).is_empty());
    }

    #[test]
    fn a_manifest_naming_another_branch_or_run_is_reported() {
        let found = claim_mismatches(&[manifest("main", 8)], &target(), 7);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found
                .iter()
                .any(|m| m.contains("head branch \"main\"") && m.contains("\"feature-x\""))
        );
        assert!(found.iter().any(|m| m.contains("run \"8\"")));
    }
}
