//! `rerecord commit`: inside the recording job, take the changed recordings (and nothing else)
//! to the PR's head branch as one commit on its tip, or stage them for an artifact on fork PRs.
//!
//! Flags + Actions environment + event payload + config become a [`CommitPlan`] before any side
//! effect; [`execute`] then scans, lands or stages, and reports (outputs, summary, annotations).

mod report;
mod stage;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::actions::{ActionsEnv, EventPayload, artifact_safe};
use crate::cli::{CommitArgs, ForkMode};
use crate::config::{Config, InputOption};
use crate::error::usage;
use crate::git::GitRepo;
use crate::git::push::PushRequest;
use crate::git::tip::Identity;
use crate::recordings::Globs;
use crate::review;
use crate::token::{self, Token};

pub use report::Outcome;

pub const DEFAULT_MESSAGE: &str = "Recordings update from CI (setup: {setup}, suite: {suite})";

/// Everything `commit` will do, resolved and validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitPlan {
    pub globs: Globs,
    /// Where to commit; always set for same-repository runs.
    pub target_branch: Option<String>,
    pub fork: bool,
    pub setup: String,
    pub suite: String,
    pub message: String,
    pub remote: String,
    pub token_env: String,
    pub artifact_dir: PathBuf,
    pub artifact_name: String,
    pub include_deletions: bool,
    pub max_attempts: u32,
    pub dry_run: bool,
    pub json: bool,
    /// The repository the workflow runs in (`GITHUB_REPOSITORY`).
    pub repository: Option<String>,
    /// Where the PR's branch lives (a fork for fork PRs).
    pub head_repository: Option<String>,
    /// The commit the recordings were made for (the PR head, else the checkout).
    pub head_sha: Option<String>,
    /// What is checked out (a merge commit on `pull_request`).
    pub checkout_sha: Option<String>,
    pub run_id: u64,
    pub run_attempt: u64,
    pub job: String,
}

impl CommitPlan {
    /// Resolve flags against the environment and payload; no side effects.
    pub fn resolve(
        args: &CommitArgs,
        env: &ActionsEnv,
        payload: Option<&EventPayload>,
        config: &Config,
        checkout_sha: Option<String>,
    ) -> anyhow::Result<Self> {
        let pr = payload.filter(|p| p.is_pull_request);
        let target_branch = match &args.target_branch {
            Some(b) => Some(b.trim().to_owned()),
            None => pr
                .and_then(|p| p.head_ref.clone())
                .or_else(|| env.head_ref.clone())
                .or_else(|| env.ref_name.clone()),
        };
        if let Some(b) = &target_branch
            && !git2::Reference::is_valid_name(&format!("refs/heads/{b}"))
        {
            return Err(usage(format!(
                "{b:?} is not a valid branch name; pass the PR's head branch with --target-branch"
            )));
        }
        let fork = match args.fork_pr {
            ForkMode::True => true,
            ForkMode::False => false,
            // A deleted fork (`head.repo: null`) cannot be pushed to either.
            ForkMode::Auto => pr.is_some_and(|p| match (&p.head_repository, &env.repository) {
                (Some(head), Some(repo)) => !head.eq_ignore_ascii_case(repo),
                (None, _) => true,
                (Some(_), None) => false,
            }),
        };
        if !fork && target_branch.is_none() {
            return Err(usage(
                "cannot tell which branch to commit to: no --target-branch, no pull request in the event \
                 payload, and neither GITHUB_HEAD_REF nor GITHUB_REF_NAME is set. Pass --target-branch",
            ));
        }
        let default_of = |opt: InputOption| {
            config
                .defaults
                .get(&opt)
                .cloned()
                .unwrap_or_else(|| "unspecified".into())
        };
        let setup = args
            .setup
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| default_of(InputOption::Setup));
        let suite = args
            .suite
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| default_of(InputOption::Suite));
        let template = args
            .message
            .clone()
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_MESSAGE.into());
        let message = template
            .replace("{setup}", &setup)
            .replace("{suite}", &suite);

        let parse_num = |v: &Option<String>, name: &str, default: u64| -> anyhow::Result<u64> {
            v.as_deref().map_or(Ok(default), |s| {
                s.parse()
                    .map_err(|_| usage(format!("{name}={s:?} is not a number")))
            })
        };
        let run_id = parse_num(&env.run_id, "GITHUB_RUN_ID", 0)?;
        let run_attempt = parse_num(&env.run_attempt, "GITHUB_RUN_ATTEMPT", 1)?;
        let job = env.job.clone().unwrap_or_else(|| "local".into());
        let mut artifact_name =
            format!("recordings-{run_id}-{run_attempt}-{}", artifact_safe(&job));
        if let Some(key) = args
            .job_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            artifact_name.push('-');
            artifact_name.push_str(&artifact_safe(key));
        }
        let artifact_dir = args.artifact_dir.clone().unwrap_or_else(|| {
            env.runner_temp
                .clone()
                .unwrap_or_else(std::env::temp_dir)
                .join("rerecord-artifact")
        });
        let repository = env
            .repository
            .clone()
            .or_else(|| pr.and_then(|p| p.base_repository.clone()));
        Ok(Self {
            globs: config.recordings.clone(),
            target_branch,
            fork,
            setup,
            suite,
            message,
            remote: args.remote.clone(),
            token_env: args
                .token_env
                .clone()
                .unwrap_or_else(|| "GITHUB_TOKEN".into()),
            artifact_dir,
            artifact_name,
            include_deletions: args.include_deletions,
            max_attempts: args.max_attempts,
            dry_run: args.dry_run,
            json: args.json,
            head_repository: pr
                .and_then(|p| p.head_repository.clone())
                .or_else(|| repository.clone()),
            repository,
            head_sha: pr
                .and_then(|p| p.head_sha.clone())
                .or_else(|| checkout_sha.clone()),
            checkout_sha,
            run_id,
            run_attempt,
            job,
        })
    }
}

pub async fn run(args: CommitArgs) -> anyhow::Result<ExitCode> {
    // git2 and file I/O block; keep them off the async workers.
    tokio::task::spawn_blocking(move || {
        let env = ActionsEnv::from_env();
        let cwd = std::env::current_dir().context("failed to read the current directory")?;
        let token_name = args
            .token_env
            .clone()
            .unwrap_or_else(|| "GITHUB_TOKEN".into());
        let token = token::from_env(&token_name);
        execute(&args, &env, &cwd, token.as_ref()).map_err(|e| redact_error(e, token.as_ref()))
    })
    .await
    .context("the commit task panicked")?
}

fn redact_error(err: anyhow::Error, token: Option<&Token>) -> anyhow::Error {
    match token {
        Some(t) if format!("{err:#}").contains(t.expose()) => {
            anyhow::anyhow!(t.redact(&format!("{err:#}")))
        }
        _ => err,
    }
}

/// Scan, land or stage, report. `cwd` is inside the checkout.
pub fn execute(
    args: &CommitArgs,
    env: &ActionsEnv,
    cwd: &std::path::Path,
    token: Option<&Token>,
) -> anyhow::Result<ExitCode> {
    let repo = GitRepo::discover(cwd)?;
    let workdir = repo.workdir()?;
    let config = Config::load(&workdir)?;
    let payload = env
        .event_path
        .as_deref()
        .map(EventPayload::load)
        .transpose()?;
    let plan = CommitPlan::resolve(args, env, payload.as_ref(), &config, repo.head_sha())?;

    let mut changes = repo.changed_recordings(&plan.globs, plan.include_deletions)?;
    let origin = format!("{}/{}", plan.setup, plan.suite);
    let (scan, keep) = (&args.scan, args.keep_churn);
    let review = review::hooks::commit(
        &repo,
        &config.review,
        scan,
        keep,
        &origin,
        env.in_actions,
        &mut changes,
    )?;
    let mut outcome = Outcome::new(&plan, &changes);
    outcome.notices.extend(review.notices());
    if !changes.recordings.is_empty() {
        if plan.fork {
            if !plan.dry_run {
                stage::stage(&plan, &workdir, &changes.recordings)?;
                outcome.artifact_dir = Some(plan.artifact_dir.clone());
            }
        } else if !plan.dry_run {
            land(&repo, &plan, &changes.recordings, token, &mut outcome)?;
        }
    }
    report::emit(&plan, env, &outcome)?;
    review.write_summary(env)?;
    Ok(ExitCode::SUCCESS)
}

fn land(
    repo: &GitRepo,
    plan: &CommitPlan,
    files: &[crate::git::status::ChangedFile],
    token: Option<&Token>,
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    let branch = plan.target_branch.as_deref().context("no target branch")?;
    let identity = Identity::resolve(repo.raw(), |k| std::env::var(k).ok());
    let recorded_head = plan
        .head_sha
        .as_deref()
        .and_then(|s| git2::Oid::from_str(s).ok());
    let req = PushRequest {
        remote: &plan.remote,
        branch,
        files,
        identity: &identity,
        message: &plan.message,
        token,
        token_name: &plan.token_env,
        max_attempts: plan.max_attempts,
        recorded_head,
        globs: &plan.globs,
    };
    let landed = repo.commit_on_tip(&req, &mut std::thread::sleep)?;
    outcome.attempts = landed.attempts;
    match landed.commit {
        Some(c) => {
            outcome.pushed = true;
            outcome.commit_sha = Some(c.to_string());
        }
        None => outcome.notices.push(format!(
            "{branch} already has exactly these recordings at {}; nothing to push",
            landed.tip
        )),
    }
    if !landed.overlapping.is_empty() {
        outcome.warnings.push(format!(
            "these recordings also changed on {branch} since this checkout; the new recordings replaced them: {}",
            landed.overlapping.join(", ")
        ));
    }
    if let Some(path) = landed.stale_because {
        outcome.warnings.push(format!(
            "the recordings were made for {}, but {branch} has moved on beyond it ({path} changed); \
             they may be stale. Re-run the recording if that change affects the tests",
            plan.head_sha.as_deref().unwrap_or("the checkout")
        ));
    } else if landed.stale_unknown {
        outcome.notices.push(format!(
            "could not compare {} with the tip of {branch}: that commit is not available here",
            plan.head_sha.as_deref().unwrap_or("the checkout")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn plan(
        args: &[&str],
        env: &[(&str, &str)],
        payload: Option<&str>,
    ) -> anyhow::Result<CommitPlan> {
        let cli =
            crate::cli::Cli::try_parse_from(["rerecord", "commit"].iter().chain(args)).unwrap();
        let crate::cli::Command::Commit(args) = cli.command else {
            unreachable!()
        };
        let env = ActionsEnv::from_lookup(|k| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        });
        let payload = payload.map(|p| EventPayload::parse(p.as_bytes()).unwrap());
        CommitPlan::resolve(
            &args,
            &env,
            payload.as_ref(),
            &Config::default(),
            Some("c".repeat(40)),
        )
    }

    const PR_FROM_FORK: &str = r#"{"pull_request":{"head":{"ref":"fix","sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","repo":{"full_name":"me/stack"}}}}"#;

    #[test]
    fn target_branch_prefers_flag_then_payload_then_head_ref_then_ref_name() {
        let env = [
            ("GITHUB_HEAD_REF", "head-ref"),
            ("GITHUB_REF_NAME", "7/merge"),
            ("GITHUB_REPOSITORY", "me/stack"),
        ];
        assert_eq!(
            plan(&["--target-branch", "flag"], &env, Some(PR_FROM_FORK))
                .unwrap()
                .target_branch
                .as_deref(),
            Some("flag")
        );
        assert_eq!(
            plan(&[], &env, Some(PR_FROM_FORK))
                .unwrap()
                .target_branch
                .as_deref(),
            Some("fix")
        );
        assert_eq!(
            plan(&[], &env, None).unwrap().target_branch.as_deref(),
            Some("head-ref")
        );
        assert_eq!(
            plan(&[], &[("GITHUB_REF_NAME", "main")], None)
                .unwrap()
                .target_branch
                .as_deref(),
            Some("main")
        );
    }

    #[test]
    fn fork_is_detected_from_the_payload_and_overridden_by_the_flag() {
        let upstream = [("GITHUB_REPOSITORY", "acme/stack")];
        let p = plan(&[], &upstream, Some(PR_FROM_FORK)).unwrap();
        assert!(p.fork);
        assert_eq!(p.head_repository.as_deref(), Some("me/stack"));
        assert_eq!(p.head_sha.as_deref(), Some("a".repeat(40).as_str()));
        assert!(
            !plan(&["--fork-pr", "false"], &upstream, Some(PR_FROM_FORK))
                .unwrap()
                .fork
        );
        assert!(
            !plan(
                &[],
                &[("GITHUB_REPOSITORY", "Me/Stack")],
                Some(PR_FROM_FORK)
            )
            .unwrap()
            .fork
        );
        let deleted_fork = r#"{"pull_request":{"head":{"ref":"fix","repo":null}}}"#;
        assert!(plan(&[], &upstream, Some(deleted_fork)).unwrap().fork);
    }

    #[test]
    fn message_and_artifact_name_are_filled_in() {
        let env = [
            ("GITHUB_RUN_ID", "9"),
            ("GITHUB_RUN_ATTEMPT", "3"),
            ("GITHUB_JOB", "record tests"),
            ("GITHUB_REF_NAME", "b"),
        ];
        let p = plan(
            &[
                "--setup",
                "gpt",
                "--job-key",
                "1/2",
                "--message",
                "rec {setup}/{suite}",
            ],
            &env,
            None,
        )
        .unwrap();
        assert_eq!(p.message, "rec gpt/base");
        assert_eq!(p.artifact_name, "recordings-9-3-record-tests-1-2");
    }

    #[test]
    fn invalid_or_missing_branch_is_a_usage_error() {
        let err = plan(&["--target-branch", "a..b"], &[], None).unwrap_err();
        assert_eq!(crate::error::exit_code_for(&err), 2);
        let err = plan(&[], &[], None).unwrap_err();
        assert_eq!(crate::error::exit_code_for(&err), 2);
        assert!(
            plan(&["--fork-pr", "true"], &[], None).is_ok(),
            "forks need no branch to push to"
        );
    }
}
