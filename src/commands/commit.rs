//! `rerecord commit`: inside the recording job, take the changed recordings (and nothing else)
//! to the PR's head branch as one commit on its tip, or stage them for an artifact (fork PRs,
//! `--mode stage`).
//!
//! Flags + Actions environment + event payload + the committed config become a [`CommitPlan`]
//! before any side effect; [`execute`] then scans, lands or stages, and reports (outputs,
//! summary, annotations). The job ran the PR's code before this step, so its work tree, git
//! config and payload file decide nothing about where the token goes, what is pushed or to
//! which branch: the URL comes from `GITHUB_SERVER_URL`/`GITHUB_REPOSITORY`, the branch from
//! `GITHUB_HEAD_REF` (or the workflow's input), the globs from the workflow or the checked-out
//! commit, the identity from the flags or the bot.

mod report;
mod stage;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::actions::{ActionsEnv, EventPayload};
use crate::artifact::manifest::{Provenance, RecordingJob};

use crate::cli::{CommitArgs, CommitMode, ForkMode};
use crate::commands::given;
use crate::config::{Config, InputOption};
use crate::error::usage;
use crate::git::GitRepo;
use crate::git::push::PushRequest;
use crate::git::tip::{BOT_EMAIL, BOT_NAME, Identity};
use crate::neutralise::{artifact_safe, commit_text};
use crate::recordings::Globs;
use crate::remotes::RepoName;
use crate::review;
use crate::token::{self, Token};

pub use report::CommitOutcome;

/// Characters of `setup`/`suite` quoted in a commit message.
const MAX_MESSAGE_FIELD: usize = 100;

pub const DEFAULT_MESSAGE: &str = "Recordings update from CI (setup: {setup}, suite: {suite})";

/// The recording globs and, for the summary, where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recordings {
    pub globs: Globs,
    pub source: String,
}

/// Where the recordings commit is fetched from and pushed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// Inside Actions: `GITHUB_SERVER_URL/OWNER/NAME.git`. `None` outside: the remote's URL.
    pub url: Option<String>,
    /// The git remote's name, or the repository inside Actions (for messages).
    pub label: String,
}

/// Everything `commit` will do, resolved and validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitPlan {
    pub globs: Globs,
    pub recordings_source: String,
    /// Where to commit; always set when pushing.
    pub target_branch: Option<String>,
    pub fork: bool,
    /// Stage an artifact instead of pushing (fork PRs, `--mode stage`).
    pub stage: bool,
    pub setup: String,
    pub suite: String,
    pub message: String,
    /// Set when pushing.
    pub destination: Option<Destination>,
    /// `--remote` was given inside Actions, where it does not apply.
    pub remote_ignored: bool,
    pub identity: Identity,
    pub token_env: String,
    pub artifact_dir: PathBuf,
    pub artifact_name: String,
    pub include_deletions: bool,
    pub max_attempts: u32,
    pub dry_run: bool,
    pub json: bool,
    /// The run and what it recorded.
    pub provenance: Provenance,
}

impl Provenance {
    /// From the Actions environment, the event, `--pr`/`--head-sha` and the branch the
    /// recordings are for. In stage mode a checkout that is not the pinned head is refused.
    fn resolve(
        args: &CommitArgs,
        env: &ActionsEnv,
        pr: Option<&EventPayload>,
        stage: bool,
        head_ref: Option<&str>,
        checkout_sha: Option<String>,
    ) -> anyhow::Result<Self> {
        let parse_num = |v: &Option<String>, name: &str, default: u64| -> anyhow::Result<u64> {
            v.as_deref().map_or(Ok(default), |s| {
                s.parse()
                    .map_err(|_| usage(format!("{name}={s:?} is not a number")))
            })
        };
        let run_id = parse_num(&env.run_id, "GITHUB_RUN_ID", 0)?;
        let run_attempt = parse_num(&env.run_attempt, "GITHUB_RUN_ATTEMPT", 1)?;
        let repository = env
            .repository
            .clone()
            .or_else(|| pr.and_then(|p| p.base_repository.clone()));
        let (pr_number, pinned) = pinned_request(args, pr)?;
        if stage && let Some(sha) = &pinned {
            check_checkout(sha, checkout_sha.as_deref())?;
        }
        Ok(Self {
            head_repository: pr
                .and_then(|p| p.head_repository.clone())
                .or_else(|| repository.clone())
                .unwrap_or_default(),
            repository: repository.unwrap_or_default(),
            head_ref: head_ref.unwrap_or_default().to_owned(),
            head_sha: pinned
                .or_else(|| pr.and_then(|p| p.head_sha.clone()))
                .or_else(|| checkout_sha.clone())
                .unwrap_or_default(),
            checkout_sha: checkout_sha.unwrap_or_default(),
            pr_number,
            made_by: RecordingJob {
                run_id,
                run_attempt,
                job: env.job.clone().unwrap_or_else(|| "local".into()),
            },
        })
    }
}

/// A provenance text that is known (not empty).
fn known(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

impl CommitPlan {
    /// Resolve flags against the environment, payload and config; no side effects.
    pub fn resolve(
        args: &CommitArgs,
        env: &ActionsEnv,
        payload: Option<&EventPayload>,
        config: &Config,
        recordings: Recordings,
        checkout_sha: Option<String>,
    ) -> anyhow::Result<Self> {
        let pr = payload.filter(|p| p.is_pull_request);
        let target_branch = target_branch(args, env, pr)?;
        let fork = is_fork(args.fork_pr, env, pr);
        let stage = stages(args.mode, fork)?;
        if !stage && target_branch.is_none() {
            return Err(usage(
                "cannot tell which branch to commit to: no --target-branch, not a pull_request event, \
                 and GITHUB_REF_NAME is not set. Pass --target-branch",
            ));
        }
        let destination = (!stage).then(|| destination(args, env)).transpose()?;
        let (setup, suite, message) = texts(args, config);
        let provenance =
            Provenance::resolve(args, env, pr, stage, target_branch.as_deref(), checkout_sha)?;
        let artifact_name = artifact_name(&provenance.made_by, args.job_key.as_deref());
        let artifact_dir = args.artifact_dir.clone().unwrap_or_else(|| {
            env.runner_temp
                .clone()
                .unwrap_or_else(std::env::temp_dir)
                .join("rerecord-artifact")
        });
        Ok(Self {
            globs: recordings.globs,
            recordings_source: recordings.source,
            target_branch,
            fork,
            stage,
            setup,
            suite,
            message,
            destination,
            remote_ignored: env.in_actions && args.remote.is_some(),
            identity: identity(args)?,
            token_env: args
                .push_token_env
                .clone()
                .unwrap_or_else(|| "GITHUB_TOKEN".into()),
            artifact_dir,
            artifact_name,
            include_deletions: args.include_deletions,
            max_attempts: args.push.max_attempts,
            dry_run: args.output.dry_run,
            json: args.output.json,
            provenance,
        })
    }
}

/// `--pr` and `--head-sha` (empty means unset, as an action's empty input sets them): the PR
/// (else the event's) and the full pinned sha. A `--pr` that contradicts the event is refused.
fn pinned_request(
    args: &CommitArgs,
    pr: Option<&EventPayload>,
) -> anyhow::Result<(Option<u64>, Option<String>)> {
    let number = match given(args.pr_number.as_deref()) {
        Some(s) => Some(s.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            usage(format!(
                "--pr {s:?} (RERECORD_PR_NUMBER) is not a pull request number"
            ))
        })?),
        None => None,
    };
    let event = pr.and_then(|p| p.pr_number);
    if let (Some(n), Some(e)) = (number, event)
        && n != e
    {
        return Err(usage(format!(
            "--pr {n} (RERECORD_PR_NUMBER) contradicts the event, which is PR #{e}"
        )));
    }
    let sha = match given(args.head_sha.as_deref()) {
        Some(s) if crate::provenance::is_full_sha(s) => Some(s.to_ascii_lowercase()),
        Some(s) => {
            return Err(usage(format!(
                "--head-sha {s:?} (RERECORD_HEAD_SHA) is not a full 40-hex commit id; pass the sha \
                 the workflow pinned"
            )));
        }
        None => None,
    };
    Ok((number.or(event), sha))
}

/// Stage mode with `--head-sha`: the checkout must be exactly the pinned commit.
fn check_checkout(pinned: &str, checkout: Option<&str>) -> anyhow::Result<()> {
    if checkout.is_some_and(|c| c.eq_ignore_ascii_case(pinned)) {
        return Ok(());
    }
    anyhow::bail!(
        "the checkout is at {}, not at the pinned head {pinned} (--head-sha): the recordings would \
         not be of the commit that was approved. Check out exactly that commit (actions/checkout \
         with `ref:` set to it), or re-run the recording workflow",
        checkout.unwrap_or("no commit")
    )
}

fn is_fork(flag: ForkMode, env: &ActionsEnv, pr: Option<&EventPayload>) -> bool {
    match flag {
        ForkMode::True => true,
        ForkMode::False => false,
        // A deleted fork (`head.repo: null`) cannot be pushed to either.
        ForkMode::Auto => pr.is_some_and(|p| match (&p.head_repository, &env.repository) {
            (Some(head), Some(repo)) => !head.eq_ignore_ascii_case(repo),
            (None, _) => true,
            (Some(_), None) => false,
        }),
    }
}

/// Whether to stage (rather than push); `--mode push` on a fork PR is refused.
fn stages(mode: CommitMode, fork: bool) -> anyhow::Result<bool> {
    match mode {
        CommitMode::Stage => Ok(true),
        CommitMode::Auto => Ok(fork),
        CommitMode::Push if fork => Err(usage(
            "--mode push: this pull request comes from a fork, which the job's token cannot push to; \
             use --mode stage (or auto) and land the artifact from a trusted workflow",
        )),
        CommitMode::Push => Ok(false),
    }
}

/// On `pull_request`/`pull_request_target` the runner's `GITHUB_HEAD_REF` (a payload or flag
/// that names another branch is refused); otherwise `--target-branch`, else `GITHUB_REF_NAME`.
fn target_branch(
    args: &CommitArgs,
    env: &ActionsEnv,
    pr: Option<&EventPayload>,
) -> anyhow::Result<Option<String>> {
    let flag = given(args.target_branch.as_deref());
    let event = env.event_name.as_deref().unwrap_or_default();
    let branch = if matches!(event, "pull_request" | "pull_request_target") {
        let head = env.head_ref.clone().ok_or_else(|| {
            usage(format!(
                "this is a {event} event but GITHUB_HEAD_REF is not set; run rerecord commit in the \
                 job the pull request started"
            ))
        })?;
        if pr
            .and_then(|p| p.head_ref.as_deref())
            .is_some_and(|p| p != head)
        {
            anyhow::bail!(
                "refusing to commit: the event payload's pull_request.head.ref differs from the runner's \
                 GITHUB_HEAD_REF ({head:?}); the payload file at GITHUB_EVENT_PATH was changed after the \
                 run started (by the tests?). Nothing was pushed"
            );
        }
        if let Some(f) = flag
            && f != head
        {
            return Err(usage(format!(
                "--target-branch {f:?} differs from GITHUB_HEAD_REF {head:?} on a {event} event; \
                 leave --target-branch out, the pull request's head branch is the target"
            )));
        }
        Some(head)
    } else {
        flag.map(str::to_owned).or_else(|| env.ref_name.clone())
    };
    if let Some(b) = &branch
        && !crate::git::is_valid_branch_name(b)
    {
        return Err(usage(format!(
            "{b:?} is not a valid branch name; pass the PR's head branch with --target-branch"
        )));
    }
    Ok(branch)
}

/// Inside Actions always `GITHUB_SERVER_URL/GITHUB_REPOSITORY` (never a URL from the git config);
/// outside, the git remote `--remote` (default origin).
fn destination(args: &CommitArgs, env: &ActionsEnv) -> anyhow::Result<Destination> {
    if !env.in_actions {
        return Ok(Destination {
            url: None,
            label: args.remote.clone().unwrap_or_else(|| "origin".into()),
        });
    }
    let server = env
        .server_url
        .as_deref()
        .unwrap_or("https://github.com")
        .trim_end_matches('/');
    let plain_server = url::Url::parse(server).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host().is_some()
            && u.username().is_empty()
            && u.password().is_none()
            && u.query().is_none()
            && u.fragment().is_none()
    });
    if !plain_server || server.contains(' ') {
        return Err(usage(format!(
            "GITHUB_SERVER_URL={server:?} is not an https URL of a GitHub server (e.g. https://github.com)"
        )));
    }
    let repo = env.repository.as_deref().ok_or_else(|| {
        usage(
            "GITHUB_REPOSITORY is not set; rerecord commit pushes to the workflow's own repository",
        )
    })?;
    let repo = RepoName::parse(repo).map_err(|e| usage(format!("GITHUB_REPOSITORY: {e}")))?;
    Ok(Destination {
        url: Some(format!("{server}/{}/{}.git", repo.owner, repo.name)),
        label: repo.to_string(),
    })
}

/// `--author-name`/`--author-email`, else github-actions[bot]; never the job's git config.
fn identity(args: &CommitArgs) -> anyhow::Result<Identity> {
    let pick = |v: &Option<String>, flag: &str, bot: &str| -> anyhow::Result<String> {
        match given(v.as_deref()) {
            None => Ok(bot.to_owned()),
            Some(v) if v.chars().any(|c| c.is_control() || "<>".contains(c)) => Err(usage(
                format!("{flag} must not contain control characters or angle brackets"),
            )),
            Some(v) => Ok(v.to_owned()),
        }
    };
    Ok(Identity::fixed(
        &pick(&args.author_name, "--author-name", BOT_NAME)?,
        &pick(&args.author_email, "--author-email", BOT_EMAIL)?,
    ))
}

/// Setup, suite and the commit message filled in from them.
fn texts(args: &CommitArgs, config: &Config) -> (String, String, String) {
    let default_of = |opt: InputOption| {
        config
            .defaults
            .get(&opt)
            .cloned()
            .unwrap_or_else(|| "unspecified".into())
    };
    let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let setup = given(&args.setup).unwrap_or_else(|| default_of(InputOption::Setup));
    let suite = given(&args.suite).unwrap_or_else(|| default_of(InputOption::Suite));
    let template = given(&args.message).unwrap_or_else(|| DEFAULT_MESSAGE.into());
    // setup/suite may come from a config file the tests could rewrite: one line each, so they
    // cannot add lines (forged trailers) to the message.
    let message = template
        .replace("{setup}", &commit_text(&setup, MAX_MESSAGE_FIELD))
        .replace("{suite}", &commit_text(&suite, MAX_MESSAGE_FIELD));
    (setup, suite, message)
}

/// `recordings-RUN_ID-RUN_ATTEMPT-JOB[-KEY]`.
fn artifact_name(made_by: &RecordingJob, key: Option<&str>) -> String {
    let RecordingJob {
        run_id,
        run_attempt,
        job,
    } = made_by;
    let mut name = format!("recordings-{run_id}-{run_attempt}-{}", artifact_safe(job));
    if let Some(key) = given(key) {
        name.push('-');
        name.push_str(&artifact_safe(key));
    }
    name
}

/// The globs: `--recordings`, else `RERECORD_RECORDINGS` (`env_list`), else the config as
/// committed in `commit` (`config`, read from that tree by the caller).
pub fn choose_recordings(
    flags: &[String],
    env_list: Option<&str>,
    config: &Config,
    commit: &str,
) -> anyhow::Result<Recordings> {
    let flags: Vec<&str> = flags
        .iter()
        .map(|g| g.trim())
        .filter(|g| !g.is_empty())
        .collect();
    if !flags.is_empty() {
        let globs = Globs::new(flags).context("invalid --recordings")?;
        return Ok(Recordings {
            globs,
            source: "--recordings".into(),
        });
    }
    if let Some(list) = env_list.filter(|l| l.lines().any(|g| !g.trim().is_empty())) {
        let mut from_env = config.clone();
        from_env.override_recordings(list)?;
        return Ok(Recordings {
            globs: from_env.recordings,
            source: "RERECORD_RECORDINGS (the action's `recordings` input)".into(),
        });
    }
    let short = &commit[..commit.len().min(12)];
    let source = match &config.path {
        Some(path) => format!("{} as committed in {short}", path.display()),
        None => format!("the built-in defaults (no rerecord.toml committed in {short})"),
    };
    Ok(Recordings {
        globs: config.recordings.clone(),
        source,
    })
}

pub async fn run(args: CommitArgs) -> anyhow::Result<ExitCode> {
    // git2 and file I/O block; keep them off the async workers.
    tokio::task::spawn_blocking(move || {
        let env = ActionsEnv::from_env();
        let cwd = std::env::current_dir().context("failed to read the current directory")?;
        execute(&args, &env, &cwd, &token::from_env)
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

/// Scan, land or stage, report. `cwd` is inside the checkout; `read_token` gives the token in
/// the named variable, and is asked only when pushing.
pub fn execute(
    args: &CommitArgs,
    env: &ActionsEnv,
    cwd: &std::path::Path,
    read_token: &dyn Fn(&str) -> Option<Token>,
) -> anyhow::Result<ExitCode> {
    let repo = GitRepo::discover(cwd)?;
    let workdir = repo.workdir()?;
    let payload = env
        .event_path
        .as_deref()
        .map(EventPayload::load)
        .transpose()?;
    let mut notices = Vec::new();
    let pr_head = payload
        .as_ref()
        .filter(|p| p.is_pull_request)
        .and_then(|p| p.head_sha.as_deref());
    let (config, recordings) = committed_config(&repo, args, env, pr_head, &mut notices)?;
    let plan = CommitPlan::resolve(
        args,
        env,
        payload.as_ref(),
        &config,
        recordings,
        repo.head_sha(),
    )?;
    if plan.remote_ignored {
        notices.push(format!(
            "--remote does not apply inside GitHub Actions: the recordings go to {}",
            plan.destination
                .as_ref()
                .map_or("GITHUB_SERVER_URL/GITHUB_REPOSITORY", |d| d.label.as_str())
        ));
    }

    let mut changes = repo.changed_recordings(&plan.globs, plan.include_deletions)?;
    // The tests wrote these names: hold them to the rules `fetch` and `land` apply to artifacts
    // (no `.git` look-alikes, invisible characters or names Windows reads differently).
    for f in &changes.recordings {
        crate::artifact::zip::check_entry_name(&f.path).map_err(|reason| {
            anyhow::anyhow!(
                "refusing to commit the recording {}: it {reason}; rename it",
                crate::neutralise::safe_text(&f.path)
            )
        })?;
    }
    let origin = format!("{}/{}", plan.setup, plan.suite);
    let review = review::hooks::commit(
        &repo,
        &config.review,
        &args.push.scan,
        args.push.keep_churn,
        &origin,
        env.in_actions,
        &mut changes,
    )?;
    let mut outcome = CommitOutcome::new(&plan, &changes);
    outcome.notices.extend(notices);
    outcome.notices.extend(review.notices());
    outcome
        .landing
        .warnings
        .extend(review.warnings.iter().cloned());
    if !changes.recordings.is_empty() && !plan.dry_run {
        if plan.stage {
            stage::stage(&plan, &workdir, &changes.recordings)?;
            outcome.artifact_dir = Some(plan.artifact_dir.clone());
        } else {
            let token = read_token(&plan.token_env);
            land(
                &repo,
                &plan,
                &changes.recordings,
                token.as_ref(),
                &mut outcome,
            )
            .map_err(|e| redact_error(e, token.as_ref()))?;
        }
    }
    report::emit(&plan, env, &outcome)?;
    review.write_summary(env)?;
    Ok(ExitCode::SUCCESS)
}

/// The config as committed in the checked-out commit (`GITHUB_SHA` when this clone has it,
/// else HEAD), never the work tree's copy, and the recording globs chosen with it. A HEAD that
/// is neither `GITHUB_SHA` nor the PR head (`pr_head`) gets a notice.
fn committed_config(
    repo: &GitRepo,
    args: &CommitArgs,
    env: &ActionsEnv,
    pr_head: Option<&str>,
    notices: &mut Vec<String>,
) -> anyhow::Result<(Config, Recordings)> {
    let env_list = std::env::var("RERECORD_RECORDINGS").ok();
    let Some((commit, is_github_sha)) = repo.commit_or_head(env.sha.as_deref()) else {
        // No commit yet: nothing is committed, so only the built-in defaults apply.
        let config = Config::default();
        let recordings = choose_recordings(&args.recordings, env_list.as_deref(), &config, "HEAD")?;
        return Ok((config, recordings));
    };
    if env.sha.is_some() && !is_github_sha && pr_head != Some(commit.to_string().as_str()) {
        notices.push(format!(
            "GITHUB_SHA is not in this clone and HEAD ({commit}) is not the pull request's head; \
             the configuration was read from HEAD"
        ));
    }
    let config = Config::load_committed(|name| repo.committed_text(commit, name))?;
    let recordings = choose_recordings(
        &args.recordings,
        env_list.as_deref(),
        &config,
        &commit.to_string(),
    )?;
    let workdir = repo.workdir()?;
    for name in ["rerecord.toml", ".github/rerecord.toml"] {
        let on_disk = std::fs::read_to_string(workdir.join(name)).ok();
        if on_disk.is_some() && on_disk != repo.committed_text(commit, name).ok().flatten() {
            notices.push(format!(
                "the work tree's {name} differs from the one committed in {commit}: it was ignored, \
                 rerecord commit uses the committed configuration"
            ));
        }
    }
    Ok((config, recordings))
}

fn land(
    repo: &GitRepo,
    plan: &CommitPlan,
    files: &[crate::git::status::ChangedFile],
    token: Option<&Token>,
    outcome: &mut CommitOutcome,
) -> anyhow::Result<()> {
    let branch = plan.target_branch.as_deref().context("no target branch")?;
    let dest = plan.destination.as_ref().context("no destination")?;
    let recorded_head =
        known(&plan.provenance.head_sha).and_then(|s| crate::git::Oid::from_str(s).ok());
    let req = PushRequest {
        remote: &dest.label,
        url: dest.url.as_deref(),
        branch,
        files,
        identity: &plan.identity,
        message: &plan.message,
        token,
        token_name: &plan.token_env,
        max_attempts: plan.max_attempts,
        recorded_head,
        globs: &plan.globs,
        check_tip: None,
    };
    let landed = repo.commit_on_tip(&req, &mut std::thread::sleep)?;
    outcome.landing.attempts = landed.attempts;
    match landed.commit {
        Some(c) => {
            outcome.pushed = true;
            outcome.landing.commit_sha = Some(c.to_string());
        }
        None => outcome.notices.push(format!(
            "{branch} already has exactly these recordings at {}; nothing to push",
            landed.tip
        )),
    }
    if !landed.overlapping.is_empty() {
        outcome.landing.warnings.push(format!(
            "these recordings also changed on {branch} since this checkout; the new recordings replaced them: {}",
            landed.overlapping.join(", ")
        ));
    }
    if let Some(path) = landed.stale_because {
        outcome.landing.warnings.push(format!(
            "the recordings were made for {}, but {branch} has moved on beyond it ({path} changed); \
             they may be stale. Re-run the recording if that change affects the tests",
            known(&plan.provenance.head_sha).unwrap_or("the checkout")
        ));
    } else if landed.stale_unknown {
        outcome.notices.push(format!(
            "could not compare {} with the tip of {branch}: that commit is not available here",
            known(&plan.provenance.head_sha).unwrap_or("the checkout")
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
        let config = Config::default();
        let recordings = choose_recordings(&args.recordings, None, &config, "HEAD").unwrap();
        CommitPlan::resolve(
            &args,
            &env,
            payload.as_ref(),
            &config,
            recordings,
            Some("c".repeat(40)),
        )
    }

    /// The variables of an `event` run for a PR from branch `head_ref`, in `repo`.
    fn pr_event(
        event: &'static str,
        head_ref: &'static str,
        repo: &'static str,
    ) -> [(&'static str, &'static str); 3] {
        [
            ("GITHUB_EVENT_NAME", event),
            ("GITHUB_HEAD_REF", head_ref),
            ("GITHUB_REPOSITORY", repo),
        ]
    }

    /// The variables of an Actions run on branch `b` of `acme/stack`, on `server` if given.
    fn on_actions(server: Option<&'static str>) -> Vec<(&'static str, &'static str)> {
        let mut env = vec![
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REF_NAME", "b"),
            ("GITHUB_REPOSITORY", "acme/stack"),
        ];
        env.extend(server.map(|url| ("GITHUB_SERVER_URL", url)));
        env
    }

    const PR_FROM_FORK: &str = r#"{"pull_request":{"head":{"ref":"fix","sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","repo":{"full_name":"me/stack"}}}}"#;

    #[test]
    fn target_branch_is_github_head_ref_on_pull_requests_else_the_flag_then_ref_name() {
        let pr_env = [
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_HEAD_REF", "fix"),
            ("GITHUB_REF_NAME", "7/merge"),
            ("GITHUB_REPOSITORY", "me/stack"),
        ];
        let branch = |args: &[&str], env: &[(&str, &str)], payload| {
            plan(args, env, payload).map(|p| p.target_branch)
        };
        assert_eq!(
            branch(&[], &pr_env, Some(PR_FROM_FORK)).unwrap().as_deref(),
            Some("fix")
        );
        assert_eq!(
            branch(&["--target-branch", "fix"], &pr_env, None)
                .unwrap()
                .as_deref(),
            Some("fix")
        );
        let dispatch = [
            ("GITHUB_EVENT_NAME", "workflow_dispatch"),
            ("GITHUB_REF_NAME", "main"),
        ];
        assert_eq!(
            branch(&["--target-branch", "flag"], &dispatch, Some(PR_FROM_FORK))
                .unwrap()
                .as_deref(),
            Some("flag"),
            "outside pull_request events the payload names no branch"
        );
        assert_eq!(
            branch(&[], &dispatch, None).unwrap().as_deref(),
            Some("main")
        );
    }

    #[test]
    fn a_payload_or_flag_that_disagrees_with_github_head_ref_is_refused() {
        let env = pr_event("pull_request_target", "feature", "me/stack");
        let err = plan(&[], &env, Some(PR_FROM_FORK)).unwrap_err();
        assert!(
            format!("{err:#}").contains("pull_request.head.ref"),
            "{err:#}"
        );
        assert_eq!(crate::error::exit_code_for(&err), 1);
        let err = plan(&["--target-branch", "main"], &env, None).unwrap_err();
        assert_eq!(crate::error::exit_code_for(&err), 2, "{err:#}");
        let no_head_ref = [("GITHUB_EVENT_NAME", "pull_request")];
        assert!(plan(&["--target-branch", "x"], &no_head_ref, None).is_err());
    }

    #[test]
    fn inside_actions_the_url_is_the_server_and_repository_and_remote_is_ignored() {
        let p = plan(&["--remote", "evil"], &on_actions(None), None).unwrap();
        let dest = p.destination.unwrap();
        assert_eq!(
            dest.url.as_deref(),
            Some("https://github.com/acme/stack.git")
        );
        assert!(p.remote_ignored);
        let ghes = on_actions(Some("https://ghe.example.com/"));
        assert_eq!(
            plan(&[], &ghes, None)
                .unwrap()
                .destination
                .unwrap()
                .url
                .as_deref(),
            Some("https://ghe.example.com/acme/stack.git")
        );
        for bad in [
            "file:///tmp/x",
            "https://u:p@evil.example",
            "ssh://github.com",
            "https://github.com?x=1",
            "https://github.com#x",
            "https://",
        ] {
            assert!(plan(&[], &on_actions(Some(bad)), None).is_err(), "{bad}");
        }
        let outside = plan(&["--remote", "up"], &[("GITHUB_REF_NAME", "b")], None).unwrap();
        assert_eq!(
            outside.destination,
            Some(Destination {
                url: None,
                label: "up".into()
            })
        );
    }

    #[test]
    fn mode_stage_never_pushes_and_mode_push_refuses_a_fork() {
        let upstream = [("GITHUB_REPOSITORY", "acme/stack")];
        let staged = plan(
            &["--mode", "stage", "--target-branch", "b"],
            &upstream,
            None,
        )
        .unwrap();
        assert!(staged.stage && !staged.fork && staged.destination.is_none());
        assert!(
            plan(&["--mode", "stage"], &[], None).is_ok(),
            "no branch needed"
        );
        let err = plan(&["--mode", "push"], &upstream, Some(PR_FROM_FORK)).unwrap_err();
        assert_eq!(crate::error::exit_code_for(&err), 2);
        assert!(format!("{err:#}").contains("fork"), "{err:#}");
        assert!(plan(&[], &upstream, Some(PR_FROM_FORK)).unwrap().stage);
    }

    #[test]
    fn stage_mode_carries_the_pinned_pr_and_sha_and_refuses_another_checkout() {
        let checkout = "c".repeat(40);
        let args = ["--mode", "stage", "--pr", "7", "--head-sha"];
        let p = plan(
            &[&args[..], &[checkout.to_uppercase().as_str()]].concat(),
            &[],
            None,
        )
        .unwrap();
        assert_eq!(
            (p.provenance.pr_number, p.provenance.head_sha.as_str()),
            (Some(7), checkout.as_str())
        );
        let other = "d".repeat(40);
        let err = plan(&[&args[..], &[other.as_str()]].concat(), &[], None).unwrap_err();
        assert!(
            format!("{err:#}").contains("not at the pinned head"),
            "{err:#}"
        );
        assert!(plan(&[&args[..], &["ccccccc"]].concat(), &[], None).is_err());
        assert!(plan(&["--mode", "stage", "--pr", "x"], &[], None).is_err());
        let unset = plan(
            &["--mode", "stage", "--pr", "", "--head-sha", ""],
            &[],
            None,
        )
        .unwrap();
        assert_eq!(
            (unset.provenance.pr_number, unset.provenance.head_sha),
            (None, checkout)
        );
    }

    #[test]
    fn the_identity_is_the_bot_or_the_flags_and_nothing_else() {
        let p = plan(&["--target-branch", "b"], &[], None).unwrap();
        assert_eq!(p.identity, Identity::bot());
        let p = plan(
            &[
                "--target-branch",
                "b",
                "--author-name",
                "Rec Bot",
                "--author-email",
                "r@x.dev",
            ],
            &[],
            None,
        )
        .unwrap();
        assert_eq!(p.identity, Identity::fixed("Rec Bot", "r@x.dev"));
        assert!(
            plan(
                &["--target-branch", "b", "--author-name", "a\nb"],
                &[],
                None
            )
            .is_err()
        );
    }

    #[test]
    fn recordings_come_from_the_flag_then_the_variable_then_the_committed_config() {
        let config = Config::parse(
            "recordings = [\"fixtures/\"]\n",
            Some("rerecord.toml".into()),
        )
        .unwrap();
        let sha = "a".repeat(40);
        let r = choose_recordings(&["tapes/".into()], Some("env/\n"), &config, &sha).unwrap();
        assert_eq!(
            (r.globs.as_strings(), r.source.as_str()),
            (vec!["tapes/".to_owned()], "--recordings")
        );
        let r = choose_recordings(&[], Some("\n env/ \n"), &config, &sha).unwrap();
        assert_eq!(r.globs.as_strings(), vec!["env/".to_owned()]);
        assert!(r.source.starts_with("RERECORD_RECORDINGS"));
        let r = choose_recordings(&[], Some("  \n"), &config, &sha).unwrap();
        assert_eq!(r.globs.as_strings(), vec!["fixtures/".to_owned()]);
        assert_eq!(r.source, "rerecord.toml as committed in aaaaaaaaaaaa");
        let r = choose_recordings(&[], None, &Config::default(), &sha).unwrap();
        assert!(r.source.contains("built-in defaults"), "{}", r.source);
    }

    #[test]
    fn fork_is_detected_from_the_payload_and_overridden_by_the_flag() {
        let upstream = pr_event("pull_request", "fix", "acme/stack");
        let p = plan(&[], &upstream, Some(PR_FROM_FORK)).unwrap();
        assert!(p.fork);
        assert_eq!(p.provenance.head_repository, "me/stack");
        assert_eq!(p.provenance.head_sha, "a".repeat(40));
        assert!(
            !plan(&["--fork-pr", "false"], &upstream, Some(PR_FROM_FORK))
                .unwrap()
                .fork
        );
        let own = pr_event("pull_request", "fix", "Me/Stack");
        assert!(!plan(&[], &own, Some(PR_FROM_FORK)).unwrap().fork);
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
                "--recorded-setup",
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
        // No built-in suite default any more: what was not given is said to be unspecified.
        assert_eq!(p.message, "rec gpt/unspecified");
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
