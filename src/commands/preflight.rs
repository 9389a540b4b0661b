//! The one preflight `schedule` and `doctor` share: the same look-ups and the same verdicts.
//!
//! One round of concurrent look-ups ([`gather`]): the branch's PRs on the upstream, the branch
//! on every GitHub remote, and — speculatively, because they do not depend on the PR — the
//! workflow and its file in every repository a dispatch could go to (each remote's copy at the
//! branch, the upstream's on its default branch). Choosing where to dispatch ([`target`]) and
//! checking the workflow there ([`workflow`]) then usually read only those answers, so with a
//! known upstream the dispatch is the second round trip. A look-up that failed is asked again
//! only when its answer is needed.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use anyhow::Context;
use futures_util::future::join_all;

use crate::cli::DispatchIn;
use crate::commands::locate::{self, Checkout};
use crate::config::InputOption;
use crate::github::{ApiError, GitHub, PrState, PullRequest, Workflow};
use crate::remotes::RepoName;
use crate::workflow::{DispatchTrigger, dispatch_trigger};

use super::inputs;

/// A verdict that stops a dispatch: what is wrong (for `doctor`'s check `check`) and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreflightFailure {
    pub check: &'static str,
    pub message: String,
    pub fix: String,
}

impl PreflightFailure {
    fn new(check: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            check,
            message: message.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for PreflightFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n  fix: {}", self.message, self.fix)
    }
}

impl std::error::Error for PreflightFailure {}

/// Where a copy of the workflow file is read: a repository's default branch, or a branch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum At {
    DefaultBranch,
    Branch(String),
}

/// The answers of the first round.
pub struct Gathered {
    pub prs: Vec<PullRequest>,
    /// Each remote repository with the branch's head sha there (`None`: no such branch).
    pub branch_on: Vec<(RepoName, Option<String>)>,
    workflows: HashMap<RepoName, Result<Option<Workflow>, ApiError>>,
    files: HashMap<(RepoName, At), Result<Option<String>, ApiError>>,
}

/// The first round: PRs and branches (needed) plus the workflow look-ups (speculative) for
/// every repository a dispatch could go to. `--dispatch-in head` skips the upstream's default
/// branch copy, which only the upstream mode reads.
pub async fn gather(
    gh: &GitHub,
    upstream: &RepoName,
    checkout: &Checkout,
    branch: &str,
    file: &str,
    flag: Option<DispatchIn>,
) -> anyhow::Result<Gathered> {
    let path = workflow_path(file);
    let mut repos = checkout.remote_repos();
    let mut places: Vec<(RepoName, At)> = repos
        .iter()
        .map(|r| (r.clone(), At::Branch(branch.to_owned())))
        .collect();
    if flag != Some(DispatchIn::Head) {
        places.push((upstream.clone(), At::DefaultBranch));
    }
    if !repos.contains(upstream) {
        repos.push(upstream.clone());
    }
    let workflows = join_all(
        repos
            .iter()
            .map(|r| async move { (r.clone(), gh.workflow(r, file).await) }),
    );
    let files = join_all(places.into_iter().map(|(repo, at)| {
        let path = path.clone();
        async move {
            let text = read_file(gh, &repo, &path, &at).await;
            ((repo, at), text)
        }
    }));
    let (lookups, workflows, files) = tokio::join!(
        locate::look_up(gh, upstream, checkout, branch),
        workflows,
        files
    );
    let lookups = lookups?;
    Ok(Gathered {
        prs: lookups.prs,
        branch_on: lookups.branch_on,
        workflows: workflows.into_iter().collect(),
        files: files.into_iter().collect(),
    })
}

async fn read_file(
    gh: &GitHub,
    repo: &RepoName,
    path: &str,
    at: &At,
) -> Result<Option<String>, ApiError> {
    match at {
        At::DefaultBranch => gh.file_on_default_branch(repo, path).await,
        At::Branch(b) => gh.file_at(repo, path, b).await,
    }
}

impl Gathered {
    /// No answers yet: every look-up is asked when needed (for callers without a first round).
    pub fn empty() -> Self {
        Self {
            prs: Vec::new(),
            branch_on: Vec::new(),
            workflows: HashMap::new(),
            files: HashMap::new(),
        }
    }

    /// The workflow as the workflows endpoint knows it: the first round's answer when it
    /// succeeded, else asked (again) now.
    async fn workflow(
        &self,
        gh: &GitHub,
        repo: &RepoName,
        file: &str,
    ) -> Result<Option<Workflow>, ApiError> {
        match self.workflows.get(repo) {
            Some(Ok(w)) => Ok(w.clone()),
            _ => gh.workflow(repo, file).await,
        }
    }

    async fn file(
        &self,
        gh: &GitHub,
        repo: &RepoName,
        file: &str,
        at: &At,
    ) -> Result<Option<String>, ApiError> {
        match self.files.get(&(repo.clone(), at.clone())) {
            Some(Ok(text)) => Ok(text.clone()),
            _ => read_file(gh, repo, &workflow_path(file), at).await,
        }
    }

    /// The branch's head sha in `repo`, if the first round saw the branch there.
    pub fn sha_on(&self, repo: &RepoName) -> Option<&str> {
        self.branch_on
            .iter()
            .find(|(r, _)| r == repo)
            .and_then(|(_, sha)| sha.as_deref())
    }
}

pub fn workflow_path(file: &str) -> String {
    format!(".github/workflows/{file}")
}

/// Where the run goes, and why.
#[derive(Debug, Clone)]
pub struct Target {
    pub mode: DispatchIn,
    pub repo: RepoName,
    /// The ref dispatched (and whose copy of the workflow defines the inputs).
    pub git_ref: String,
    pub at: At,
    pub why: String,
    /// The PR number to send, when the workflow takes one.
    pub pr_number: Option<u64>,
    /// The branch lives in a fork of the upstream.
    pub fork: bool,
    /// The head sha GitHub has for the branch that will be recorded.
    pub remote_sha: Option<String>,
    /// Things worth saying that do not stop the dispatch.
    pub notes: Vec<String>,
}

/// Which input of the upstream's default-branch workflow takes the PR number, if any.
async fn upstream_pr_input(
    gh: &GitHub,
    g: &Gathered,
    upstream: &RepoName,
    file: &str,
    overrides: &BTreeMap<InputOption, String>,
) -> anyhow::Result<Option<String>> {
    let text = g
        .file(gh, upstream, file, &At::DefaultBranch)
        .await
        .with_context(|| format!("failed to read {file} on the default branch of {upstream}"))?;
    let trigger = text
        .as_deref()
        .and_then(|t| dispatch_trigger(t).ok().flatten());
    Ok(trigger.and_then(|t| {
        let name = inputs::map(&t, overrides)
            .input(InputOption::Pr)?
            .to_owned();
        t.inputs.contains_key(&name).then_some(name)
    }))
}

/// Decide where to dispatch: in the upstream on its default branch with the PR number when
/// the workflow there takes one (that is where the secrets are; the workflow checks the PR
/// out itself), else in the repository that holds the branch, on the branch.
#[allow(clippy::too_many_arguments)]
pub async fn target(
    gh: &GitHub,
    g: &Gathered,
    upstream: &RepoName,
    branch: &str,
    pr: Option<&PullRequest>,
    flag: Option<DispatchIn>,
    file: &str,
    overrides: &BTreeMap<InputOption, String>,
) -> anyhow::Result<Target> {
    let mut notes = Vec::new();
    if let Some(pr) = pr {
        check_pr(pr, &mut notes)?;
    }
    let pr_input = match flag {
        Some(DispatchIn::Head) => None,
        _ => upstream_pr_input(gh, g, upstream, file, overrides).await?,
    };
    let mut target = match (flag, pr, &pr_input) {
        (Some(DispatchIn::Head), _, _) | (None, _, None) | (None, None, _) => {
            head_target(g, upstream, branch, pr, flag, pr_input.is_some())?
        }
        (_, Some(pr), Some(input)) => upstream_on_default(gh, upstream, pr, input, flag).await?,
        (Some(DispatchIn::Upstream), None, Some(input)) => {
            return Err(PreflightFailure::new(
                "dispatch",
                format!(
                    "--dispatch-in upstream needs the branch's pull request: {file} on the default branch of {upstream} takes its number ({input})"
                ),
                "open one (gh pr create), or use --dispatch-in head",
            )
            .into());
        }
        (Some(DispatchIn::Upstream), _, None) => upstream_on_branch(g, upstream, branch, file)?,
    };
    target.fork = match pr {
        Some(pr) => pr.head_repo.as_deref() != Some(upstream.to_string().as_str()),
        None => target.repo != *upstream,
    };
    target.notes.splice(0..0, notes);
    Ok(target)
}

fn check_pr(pr: &PullRequest, notes: &mut Vec<String>) -> Result<(), PreflightFailure> {
    if pr.state == PrState::Merged {
        return Err(PreflightFailure::new(
            "pr",
            format!(
                "PR #{} is already merged; recordings can't be committed back ({})",
                pr.number, pr.html_url
            ),
            "nothing to record there: open a new PR for further changes",
        ));
    }
    let Some(head_repo) = &pr.head_repo else {
        return Err(PreflightFailure::new(
            "pr",
            format!(
                "the head repository of PR #{} was deleted, so no workflow can commit to its branch; nothing was dispatched ({})",
                pr.number, pr.html_url
            ),
            "push the branch to a repository of yours and open a new PR",
        ));
    };
    if pr.state == PrState::Closed {
        notes.push(format!(
            "PR #{} is closed; the recordings will still be committed to {}:{}",
            pr.number, head_repo, pr.head_ref
        ));
    }
    Ok(())
}

fn head_target(
    g: &Gathered,
    upstream: &RepoName,
    branch: &str,
    pr: Option<&PullRequest>,
    flag: Option<DispatchIn>,
    takes_pr: bool,
) -> anyhow::Result<Target> {
    let (repo, remote_sha, why) = match pr {
        Some(pr) => {
            let repo = RepoName::parse(pr.head_repo.as_deref().unwrap_or_default())?;
            let why = match (flag, takes_pr) {
                (Some(_), _) => "--dispatch-in head".to_owned(),
                _ => format!(
                    "the workflow takes no PR number, so it records the branch where its own token can push to it: {repo}, the head repository of PR #{}",
                    pr.number
                ),
            };
            (repo, Some(pr.head_sha.clone()), why)
        }
        None => match g.branch_on.iter().find(|(_, sha)| sha.is_some()) {
            Some((repo, sha)) => {
                let why = match flag {
                    Some(_) => "--dispatch-in head".to_owned(),
                    None => format!(
                        "no pull request on {upstream} for {branch}: the first remote that has the branch"
                    ),
                };
                (repo.clone(), sha.clone(), why)
            }
            None => {
                let remotes: Vec<String> = g.branch_on.iter().map(|(r, _)| r.to_string()).collect();
                return Err(PreflightFailure::new(
                    "branch",
                    format!(
                        "branch {branch} is on no GitHub remote ({})",
                        if remotes.is_empty() {
                            "no GitHub remotes".to_owned()
                        } else {
                            remotes.join(", ")
                        }
                    ),
                    format!(
                        "push it first: git push -u origin {}",
                        crate::neutralise::shell_quote(branch)
                    ),
                )
                .into());
            }
        },
    };
    Ok(Target {
        mode: DispatchIn::Head,
        repo,
        git_ref: branch.to_owned(),
        at: At::Branch(branch.to_owned()),
        why,
        pr_number: pr.map(|p| p.number),
        fork: false,
        remote_sha,
        notes: Vec::new(),
    })
}

async fn upstream_on_default(
    gh: &GitHub,
    upstream: &RepoName,
    pr: &PullRequest,
    input: &str,
    flag: Option<DispatchIn>,
) -> anyhow::Result<Target> {
    let default_branch = match &pr.base_default_branch {
        Some(b) => b.clone(),
        None => gh
            .repository(upstream)
            .await?
            .and_then(|r| r.default_branch)
            .with_context(|| {
                format!("GitHub does not say what the default branch of {upstream} is")
            })?,
    };
    let why = match flag {
        Some(_) => format!("--dispatch-in upstream (PR #{} as {input})", pr.number),
        None => format!(
            "the workflow takes the PR number ({input}): it runs in {upstream} with its secrets, checks out PR #{} itself, and its landing workflow commits the recordings back",
            pr.number
        ),
    };
    Ok(Target {
        mode: DispatchIn::Upstream,
        repo: upstream.clone(),
        git_ref: default_branch,
        at: At::DefaultBranch,
        why,
        pr_number: Some(pr.number),
        fork: false,
        remote_sha: Some(pr.head_sha.clone()),
        notes: Vec::new(),
    })
}

fn upstream_on_branch(
    g: &Gathered,
    upstream: &RepoName,
    branch: &str,
    file: &str,
) -> anyhow::Result<Target> {
    let Some(sha) = g.sha_on(upstream) else {
        return Err(PreflightFailure::new(
            "dispatch",
            format!(
                "{file} on {upstream} takes no PR number, so a run there records one of its branches, and {branch} is not one"
            ),
            format!("push the branch to {upstream}, or use --dispatch-in head"),
        )
        .into());
    };
    Ok(Target {
        mode: DispatchIn::Upstream,
        repo: upstream.clone(),
        git_ref: branch.to_owned(),
        at: At::Branch(branch.to_owned()),
        why: "--dispatch-in upstream".to_owned(),
        pr_number: None,
        fork: false,
        remote_sha: Some(sha.to_owned()),
        notes: Vec::new(),
    })
}

/// The workflow must be known to GitHub (so on the default branch), active, and its copy at
/// the target's ref must declare `workflow_dispatch`. Returns that copy's trigger.
pub async fn workflow(
    gh: &GitHub,
    g: &Gathered,
    target: &Target,
    file: &str,
    upstream: &RepoName,
) -> anyhow::Result<DispatchTrigger> {
    workflow_at(
        gh,
        g,
        &target.repo,
        (&target.at, &target.git_ref),
        file,
        upstream,
    )
    .await
}

/// [`workflow`] for the copy of `file` in `repo` at `at` (named `git_ref` in messages), asked
/// now unless `g` already holds the answers.
pub async fn workflow_at(
    gh: &GitHub,
    g: &Gathered,
    repo: &RepoName,
    (at, git_ref): (&At, &str),
    file: &str,
    upstream: &RepoName,
) -> anyhow::Result<DispatchTrigger> {
    let path = workflow_path(file);
    let (found, contents) = tokio::join!(g.workflow(gh, repo, file), g.file(gh, repo, file, at));
    let lookup = || format!("failed to look up workflow {file} in {repo}");
    let (found, contents) = (found.with_context(lookup)?, contents.with_context(lookup)?);
    let sync = (repo != upstream).then(|| {
        format!(
            "your fork may be behind {upstream}: sync it (gh repo sync {repo}, or git fetch upstream && git push origin upstream/HEAD:refs/heads/DEFAULT_BRANCH), then merge it into {git_ref}"
        )
    });
    let workflow = match (found, &contents) {
        (Some(w), _) => w,
        (None, Some(_)) => {
            return Err(PreflightFailure::new(
                "workflow",
                format!(
                    "{path} exists at {git_ref} but not on the default branch of {repo}: GitHub only accepts a dispatch for a workflow that is on the default branch"
                ),
                sync.unwrap_or_else(|| format!("merge {path} into the default branch of {repo}")),
            )
            .into());
        }
        (None, None) => {
            return Err(PreflightFailure::new(
                "workflow",
                format!("workflow {file} was not found in {repo}"),
                sync.unwrap_or_else(|| {
                    "check the file name (--workflow, or `workflow` in rerecord.toml)".to_owned()
                }),
            )
            .into());
        }
    };
    check_state(gh, repo, file, &workflow.state)?;
    let Some(contents) = contents else {
        return Err(PreflightFailure::new(
            "inputs",
            format!("{path} is not on branch {git_ref} of {repo}"),
            format!("merge the default branch into {git_ref}, push, and try again"),
        )
        .into());
    };
    match dispatch_trigger(&contents) {
        Ok(Some(trigger)) => Ok(trigger),
        Ok(None) => Err(PreflightFailure::new(
            "inputs",
            format!(
                "{path} at {git_ref} has no workflow_dispatch trigger, so it can't be dispatched"
            ),
            "add `workflow_dispatch:` under `on:`",
        )
        .into()),
        Err(e) => Err(PreflightFailure::new(
            "inputs",
            format!("failed to read {path} at {git_ref}: {e:#}"),
            "fix the YAML",
        )
        .into()),
    }
}

fn check_state(
    gh: &GitHub,
    repo: &RepoName,
    file: &str,
    state: &str,
) -> Result<(), PreflightFailure> {
    let enable_url = gh.workflow_runs_page(repo, file);
    match state {
        "active" => Ok(()),
        "disabled_fork" => Err(PreflightFailure::new(
            "workflow",
            format!(
                "workflow {file} is disabled in fork {repo} (GitHub turns Actions off in new forks)"
            ),
            format!("enable Actions and the workflow at {enable_url}"),
        )),
        "disabled_manually" | "disabled_inactivity" => Err(PreflightFailure::new(
            "workflow",
            format!("workflow {file} is disabled in {repo} ({state})"),
            format!("enable it at {enable_url}"),
        )),
        other => Err(PreflightFailure::new(
            "workflow",
            format!("workflow {file} in {repo} is {other}, not active"),
            format!("see {enable_url}"),
        )),
    }
}
