//! Where am I? The checkout's branch and GitHub remotes, the upstream repository, the branch's
//! PR, and the repository where a recording run can commit back. Shared by `schedule`, `fetch`
//! and `doctor`.

use std::path::PathBuf;

use anyhow::Context;
use futures_util::future::try_join_all;

use crate::cli::ApiArgs;
use crate::config::Config;
use crate::git::{GitRepo, Remote};
use crate::github::{DEFAULT_API_URL, GitHub, GitHubHost, PrState, PullRequest};
use crate::remotes::{GitHubHosts, RepoName};
use crate::token::{self, Token, TokenSource};

/// The API base URL: `--api-url` (or `GITHUB_API_URL`, which clap binds to it), else github.com's.
pub fn api_url(api: &ApiArgs) -> String {
    api.api_url
        .clone()
        .unwrap_or_else(|| DEFAULT_API_URL.to_owned())
}

/// The hosts whose remotes count as GitHub for this API URL (its web host, e.g. `ghe.corp`
/// or `acme.ghe.com`, plus `GH_HOST`). An unparsable URL adds nothing: the client refuses it.
pub fn github_hosts(api_url: &str) -> GitHubHosts {
    let web_host = GitHubHost::parse(api_url).ok().map(|h| h.web_host());
    GitHubHosts::new(
        web_host.as_deref(),
        std::env::var("GH_HOST").ok().as_deref(),
    )
}

/// The GitHub instance an API URL belongs to (github.com, Enterprise Server, `*.ghe.com`).
pub fn github_host(api_url: &str) -> anyhow::Result<GitHubHost> {
    GitHubHost::parse(api_url)
}

/// The token for the host that serves `api_url`, never another host's: `GH_TOKEN`,
/// `GITHUB_TOKEN`, else `gh auth token --hostname HOST`.
pub fn token_for(api_url: &str) -> anyhow::Result<(Token, TokenSource)> {
    token::require_for(&github_host(api_url)?.gh_hostname())
}

/// The local checkout as far as rerecord cares.
pub struct Checkout {
    pub git: Option<GitRepo>,
    pub config: Config,
    pub current_branch: Option<String>,
    /// The remote branch the current branch tracks (`branch.X.merge`), when set.
    pub tracked_branch: Option<String>,
    pub head: Option<String>,
    /// Remotes that point at GitHub, in configuration order, with their repository.
    pub github_remotes: Vec<(Remote, RepoName)>,
}

impl Checkout {
    /// Open the checkout around the current directory. Outside a git repository this is an
    /// empty checkout (flags such as `--upstream` and `--branch` can still say everything).
    pub fn open(hosts: &GitHubHosts) -> anyhow::Result<Self> {
        let cwd = std::env::current_dir().context("failed to read the current directory")?;
        let Ok(git) = GitRepo::discover(&cwd) else {
            return Ok(Self {
                git: None,
                config: Config::default(),
                current_branch: None,
                tracked_branch: None,
                head: None,
                github_remotes: vec![],
            });
        };
        let root = git.workdir().ok();
        let config = match &root {
            Some(root) => Config::load(root)?,
            None => Config::default(),
        };
        let github_remotes = git
            .remotes()?
            .into_iter()
            .filter_map(|r| hosts.repo_of(&r.url).map(|repo| (r, repo)))
            .collect();
        let current_branch = git.current_branch()?;
        let tracked_branch = current_branch.as_deref().and_then(|b| git.merge_branch(b));
        Ok(Self {
            current_branch,
            tracked_branch,
            head: git.head_sha(),
            git: Some(git),
            config,
            github_remotes,
        })
    }

    /// The work tree's root; `None` outside a git repository (or in a bare one).
    pub fn root(&self) -> Option<PathBuf> {
        self.git.as_ref().and_then(|git| git.workdir().ok())
    }

    /// The local HEAD when `branch` (a GitHub branch name) is what is checked out here.
    pub fn local_head_of(&self, branch: &str) -> Option<&str> {
        let current = self.current_branch.as_deref()?;
        let remote_name = self.tracked_branch.as_deref().unwrap_or(current);
        (remote_name == branch)
            .then_some(self.head.as_deref())
            .flatten()
    }

    pub fn remote_repo(&self, name: &str) -> Option<&RepoName> {
        self.github_remotes
            .iter()
            .find(|(r, _)| r.name == name)
            .map(|(_, repo)| repo)
    }

    /// The branch to work on, as GitHub names it: the flag, else the branch the checked-out
    /// branch tracks (`branch.X.merge`, when the local name differs), else its own name.
    pub fn branch(&self, flag: Option<&str>) -> anyhow::Result<String> {
        if let Some(b) = flag {
            return Ok(b.to_owned());
        }
        match (&self.git, &self.current_branch) {
            (_, Some(b)) => Ok(self.tracked_branch.clone().unwrap_or_else(|| b.clone())),
            (Some(_), None) => anyhow::bail!(
                "HEAD is detached: check out a branch, or name one with --branch BRANCH"
            ),
            (None, None) => anyhow::bail!(
                "not inside a git repository: run rerecord in your checkout, or pass --branch BRANCH and --upstream OWNER/NAME"
            ),
        }
    }

    /// Distinct repositories of the GitHub remotes, in remote order.
    pub fn remote_repos(&self) -> Vec<RepoName> {
        let mut out: Vec<RepoName> = Vec::new();
        for (_, repo) in &self.github_remotes {
            if !out.contains(repo) {
                out.push(repo.clone());
            }
        }
        out
    }
}

/// How the upstream was found (for messages and `doctor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub repo: RepoName,
    pub source: String,
}

/// `--upstream`, else config `upstream`, else the `upstream` remote, else origin's repository or,
/// when GitHub says origin is a fork, its parent (one API call, only in that last case).
pub async fn upstream(
    gh: &GitHub,
    checkout: &Checkout,
    flag: Option<&str>,
) -> anyhow::Result<Upstream> {
    if let Some(repo) = flag {
        return Ok(Upstream {
            repo: RepoName::parse(repo)
                .map_err(|e| crate::error::usage(format!("--upstream: {e}")))?,
            source: "--upstream".into(),
        });
    }
    if let Some(repo) = &checkout.config.upstream {
        return Ok(Upstream {
            repo: RepoName::parse(repo)?,
            source: "config `upstream`".into(),
        });
    }
    if let Some(repo) = checkout.remote_repo("upstream") {
        return Ok(Upstream {
            repo: repo.clone(),
            source: "remote `upstream`".into(),
        });
    }
    let origin = checkout
        .remote_repo("origin")
        .or_else(|| checkout.github_remotes.first().map(|(_, r)| r))
        .context("no git remote points at GitHub: add one (git remote add origin URL), or pass --upstream OWNER/NAME")?;
    let info = gh.repository(origin).await?.with_context(|| {
        format!("repository {origin} was not found on GitHub (or the token cannot see it)")
    })?;
    match info.parent.filter(|_| info.fork) {
        Some(parent) => Ok(Upstream {
            repo: RepoName::parse(&parent.full_name)?,
            source: format!("parent of fork {origin}"),
        }),
        None => Ok(Upstream {
            repo: origin.clone(),
            source: "origin".into(),
        }),
    }
}

/// Round one of look-ups, all at once: the branch's PRs on the upstream (one query per candidate
/// head owner) and the branch on every GitHub remote.
pub struct Lookups {
    pub prs: Vec<PullRequest>,
    /// Each remote repository with the branch's head sha there (`None`: no such branch).
    pub branch_on: Vec<(RepoName, Option<String>)>,
}

pub async fn look_up(
    gh: &GitHub,
    upstream: &RepoName,
    checkout: &Checkout,
    branch: &str,
) -> anyhow::Result<Lookups> {
    let repos = checkout.remote_repos();
    let mut owners: Vec<&str> = repos.iter().map(|r| r.owner.as_str()).collect();
    owners.push(&upstream.owner);
    owners.sort();
    owners.dedup();
    let pr_queries = try_join_all(
        owners
            .iter()
            .map(|owner| gh.pulls_for_head(upstream, owner, branch)),
    );
    let branch_queries = try_join_all(repos.iter().map(|repo| async move {
        gh.branch_sha(repo, branch)
            .await
            .map(|sha| (repo.clone(), sha))
    }));
    let (pr_lists, branch_on) = tokio::try_join!(pr_queries, branch_queries)
        .context("failed to look up the branch's pull request")?;
    let mut prs: Vec<PullRequest> = pr_lists.into_iter().flatten().collect();
    prs.sort_by_key(|p| p.number);
    prs.dedup_by_key(|p| p.number);
    Ok(Lookups { prs, branch_on })
}

/// The outcome of choosing among the branch's PRs.
#[derive(Debug, PartialEq, Eq)]
pub enum PrChoice {
    None,
    One {
        pr: PullRequest,
        note: Option<String>,
    },
    /// Different head repositories or branches: a person must choose.
    Ambiguous(Vec<PullRequest>),
}

/// Prefer the PR whose head sha is the local HEAD, then open over closed. PRs sharing one head
/// repository and branch (backports into several bases) dispatch the same way: not ambiguous.
pub fn choose_pr(prs: &[PullRequest], local_head: Option<&str>) -> PrChoice {
    if prs.is_empty() {
        return PrChoice::None;
    }
    let mut pool: Vec<&PullRequest> = prs.iter().collect();
    if let Some(head) = local_head {
        let same: Vec<_> = pool
            .iter()
            .copied()
            .filter(|p| p.head_sha == head)
            .collect();
        if !same.is_empty() {
            pool = same;
        }
    }
    let open: Vec<_> = pool
        .iter()
        .copied()
        .filter(|p| p.state == PrState::Open)
        .collect();
    if !open.is_empty() {
        pool = open;
    }
    let first = pool[0];
    let same_head = pool
        .iter()
        .all(|p| p.head_repo == first.head_repo && p.head_ref == first.head_ref);
    if !same_head {
        return PrChoice::Ambiguous(pool.into_iter().cloned().collect());
    }
    let chosen = pool
        .iter()
        .copied()
        .max_by_key(|p| p.number)
        .unwrap_or(first)
        .clone();
    let note = (pool.len() > 1).then(|| {
        let numbers: Vec<String> = pool.iter().map(|p| format!("#{}", p.number)).collect();
        format!(
            "PRs {} share the head {}:{}; they dispatch the same run, reporting #{}",
            numbers.join(", "),
            chosen.head_repo.as_deref().unwrap_or("?"),
            chosen.head_ref,
            chosen.number
        )
    });
    PrChoice::One { pr: chosen, note }
}

pub fn describe_pr(pr: &PullRequest) -> String {
    format!(
        "#{} ({}) {} -> {} [{}]",
        pr.number,
        pr.state,
        pr.head_repo.as_deref().map_or_else(
            || format!("(deleted):{}", pr.head_ref),
            |r| format!("{r}:{}", pr.head_ref)
        ),
        pr.base_ref,
        pr.html_url
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pr(number: u64, state: PrState, head_repo: &str, head_ref: &str, sha: &str) -> PullRequest {
        PullRequest {
            state,
            ..crate::test_support::pull(number, head_repo, head_ref, sha)
        }
    }

    #[test]
    fn prefers_local_head_then_open() {
        let a = pr(1, PrState::Closed, "me/r", "x", "aaa");
        let b = pr(2, PrState::Open, "you/r", "x", "bbb");
        assert!(
            matches!(choose_pr(&[a.clone(), b.clone()], Some("aaa")), PrChoice::One { pr, .. } if pr.number == 1)
        );
        assert!(
            matches!(choose_pr(&[a.clone(), b.clone()], Some("zzz")), PrChoice::One { pr, .. } if pr.number == 2)
        );
        let c = pr(3, PrState::Open, "me/r", "x", "ccc");
        assert!(matches!(choose_pr(&[b, c], None), PrChoice::Ambiguous(v) if v.len() == 2));
    }

    #[test]
    fn backports_with_one_head_are_not_ambiguous() {
        let a = pr(4, PrState::Open, "me/r", "fix", "aaa");
        let mut b = pr(7, PrState::Open, "me/r", "fix", "aaa");
        b.base_ref = "release-1".into();
        match choose_pr(&[a, b], None) {
            PrChoice::One { pr, note } => {
                assert_eq!(pr.number, 7);
                assert!(note.unwrap().contains("#4, #7"));
            }
            other => panic!("{other:?}"),
        }
    }
}
