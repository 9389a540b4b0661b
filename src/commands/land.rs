//! `rerecord land`: in a privileged `workflow_run` companion, take an untrusted recording run's
//! artifacts, verify them exactly as `fetch` does, ask the API (never the artifact) which PR and
//! branch the run belongs to, and commit the recordings on that branch's tip, or say on the PR
//! why not, in one sticky comment.
//!
//! Orchestration only: `resolve` (API view and manifest cross-check), `push` (scratch repository
//! and commit-on-tip), `report` (comment, summary, outputs, JSON).

mod accept;
mod push;
mod report;
mod resolve;

use std::process::ExitCode;

use anyhow::Context;

use crate::actions::ActionsEnv;
use crate::artifact::download;
use crate::artifact::manifest::MANIFEST_NAME;
use crate::artifact::verify::{self, Incoming, MapOptions, Staging};
use crate::artifact::zip::{ArtifactZip, Limits};
use crate::cli::{LandArgs, LandMode};
use crate::commands::{FileLine, given, locate};
use crate::config::Config;
use crate::error::usage;
use crate::github::{Artifact, GitHub, PrState, WorkflowRun};
use crate::neutralise::{md_span, shell_quote};
use crate::output::say;
use crate::provenance;
use crate::recordings::Globs;
use crate::remotes::RepoName;
use crate::review::{self, hooks::Reviewed};
use crate::token::{self, Token};

use push::{Destination, Scratch};
pub(crate) use report::MARKER;
use report::{LandOutcome, Status};
use resolve::{LandRefusal, Target};

/// The default source of the token that pushes to branches of the run's own repository.
const JOB_TOKEN_ENV: &str = "GITHUB_TOKEN";

/// Everything resolved before the first side effect.
struct Ctx {
    gh: GitHub,
    repo: RepoName,
    args: LandArgs,
    env: ActionsEnv,
    /// Web/git base URL (`GITHUB_SERVER_URL`), e.g. `https://github.com`.
    server: String,
    globs: Globs,
    /// The recording workflow (`--workflow`, else the config's `workflow`).
    workflow: String,
    api_token: Token,
    /// `[review]` of the trusted checkout (or the defaults).
    review: crate::review::ReviewConfig,
}

pub async fn run(args: LandArgs) -> anyhow::Result<ExitCode> {
    let ctx = Ctx::new(args)?;
    let (run, artifacts) = read_run(&ctx).await?;
    let mut outcome = LandOutcome::new(
        run.id,
        &run.html_url,
        &ctx.repo.to_string(),
        ctx.args.output.dry_run,
    );
    let mut failure = None;
    let mut target = match resolve_target(&ctx, &run).await {
        Ok(target) => Some(target),
        Err(e) => {
            record_failure(&mut outcome, e, &mut failure);
            None
        }
    };
    let mut reviewed = Reviewed::default();
    if let Some(target) = &mut target {
        if let Err(e) = land(&ctx, &run, artifacts, target, &mut outcome, &mut reviewed).await {
            record_failure(&mut outcome, e, &mut failure);
        }
        comment_on_pr(&ctx, target, &mut outcome, &reviewed).await;
    }
    finish(&ctx, outcome, &reviewed, failure)
}

impl Ctx {
    /// The context from the flags, the Actions environment and this directory's trusted config.
    fn new(args: LandArgs) -> anyhow::Result<Self> {
        let env = ActionsEnv::from_env();
        let repo = env.repository_or(args.source.repo.as_deref(), "--run-repo")?;
        if let Some(name) = &args.push_token_env
            && (name.trim().is_empty() || name.contains('='))
        {
            return Err(usage(format!(
                "--push-token-env {name:?} is not an environment variable name; pass the NAME of the variable holding the token"
            )));
        }
        let api_url = locate::api_url(&args.source.api);
        let (api_token, _) = locate::token_for(&api_url)?;
        // A moved repository is told in the report's warnings, not on stderr as well.
        let gh = GitHub::new(&api_url, &api_token)?.moves_in_warnings();
        let server = std::env::var("GITHUB_SERVER_URL")
            .ok()
            .map(|s| s.trim().trim_end_matches('/').to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| gh.web_url());
        // No checkout of the PR exists here: the globs come from this directory's rerecord.toml (a
        // trusted checkout of the default branch, if the workflow made one), RERECORD_RECORDINGS or
        // the defaults. They bound what an artifact may write.
        let cwd = std::env::current_dir().context("failed to read the current directory")?;
        let config = Config::load(&cwd)?;
        let (globs, review) = (config.recordings, config.review);
        let workflow = args.source.workflow.file_or(&config.workflow);
        Ok(Ctx {
            gh,
            repo,
            args,
            env,
            server,
            globs,
            workflow,
            api_token,
            review,
        })
    }
}

/// Reads the run and its artifacts, and names the run.
async fn read_run(ctx: &Ctx) -> anyhow::Result<(WorkflowRun, Vec<Artifact>)> {
    let id = ctx.args.run;
    let (run, artifacts) = tokio::try_join!(
        ctx.gh.run(&ctx.repo, id),
        ctx.gh.artifacts(&ctx.repo, id)
    )
    .map_err(|e| {
        if e.is_not_found() {
            anyhow::anyhow!(
                "run {id} was not found in {}; check the run id, or pass --run-repo OWNER/NAME",
                ctx.repo
            )
        } else {
            anyhow::Error::new(e).context(format!("failed to read run {id} of {}", ctx.repo))
        }
    })?;
    say(&format!(
        "run {} of {} ({} on {}, {}) {}",
        run.id,
        ctx.repo,
        run.event,
        run.head_branch.as_deref().unwrap_or("?"),
        run.conclusion
            .as_deref()
            .or(run.status.as_deref())
            .unwrap_or("unknown"),
        run.html_url
    ));
    Ok((run, artifacts))
}

/// Leaves the sticky comment on the target PR, unless there is nothing to say or asked not to.
/// A failure to comment is a warning, not a failure of the landing.
async fn comment_on_pr(ctx: &Ctx, target: &Target, outcome: &mut LandOutcome, reviewed: &Reviewed) {
    if ctx.args.no_comment || ctx.args.output.dry_run || outcome.status == Status::Nothing {
        // Nothing to say, or asked not to.
    } else if let Some(pr) = target.pr.as_ref().filter(|_| outcome.opened_pr.is_none())
        && let Err(e) =
            sticky_comment(ctx, pr.number, &reviewed.with_comment(outcome.comment())).await
    {
        outcome.landing.warnings.push(format!(
            "could not leave the comment on PR #{}: {e:#}. Check that the token may write pull requests",
            pr.number
        ));
    }
}

/// Emits the report and the summary, and turns the outcome into the exit code.
fn finish(
    ctx: &Ctx,
    mut outcome: LandOutcome,
    reviewed: &Reviewed,
    failure: Option<anyhow::Error>,
) -> anyhow::Result<ExitCode> {
    // A renamed repository, in the report's warnings as on stderr.
    outcome.landing.warnings.extend(ctx.gh.moved_notices());
    report::emit(&ctx.env, &outcome, ctx.args.output.json)?;
    reviewed.write_summary(&ctx.env)?;
    if let Some(e) = failure {
        return Err(e);
    }
    if outcome.status == Status::Refused {
        say(&format!(
            "error: {}",
            outcome.reason.as_deref().unwrap_or("refused")
        ));
    }
    Ok(ExitCode::from(outcome.exit_code()))
}

/// Check the run is one to land, and find where its recordings go and which commit it recorded:
/// the run's own branch, PR and head as the API sees them, or, for a run that recorded a PR from
/// the default branch, the PR and sha its title or the workflow's own inputs name (`--pr`,
/// `--head-branch`, `--head-sha`; never an artifact). Never the base repository's default branch.
async fn resolve_target(ctx: &Ctx, run: &WorkflowRun) -> anyhow::Result<Target> {
    let policy = accept::Policy {
        workflow: &ctx.workflow,
        extra_events: &ctx.args.allow_events,
        own_run: ctx.env.run_id.as_deref().and_then(|s| s.parse().ok()),
    };
    policy.check(run)?;
    let default = default_branch(ctx).await?;
    let branch = given(ctx.args.head_branch.as_deref());
    if let Some(b) = branch
        && !crate::git::is_valid_branch_name(b)
    {
        return Err(usage(format!(
            "--head-branch {b:?}: not a valid branch name"
        )));
    }
    let titled = provenance::title_claim(run).map(|(pr, _)| pr);
    let mut target = match (ctx.args.pr.and_then(|p| p.0), branch) {
        (Some(number), _) => resolve::target_for_pr(&ctx.gh, &ctx.repo, run, number).await?,
        (None, Some(b)) => resolve::target_for_branch(&ctx.gh, &ctx.repo, run, b).await?,
        (None, None) => match titled {
            Some(number) => resolve::target_for_pr(&ctx.gh, &ctx.repo, run, number).await?,
            None => {
                if run.event != "pull_request" {
                    refuse_default_branch(run, default.as_deref())?;
                }
                resolve::target(&ctx.gh, &ctx.repo, run).await?
            }
        },
    };
    if let Some(b) = branch
        && target.head_branch != b
    {
        return Err(LandRefusal(format!(
            "--head-branch {b} is not the head branch of the PR the run recorded ({}); the \
             workflow's inputs disagree",
            target.head_branch
        ))
        .into());
    }
    pin_target(ctx, run, &mut target)?;
    if !target.fork && default.as_deref() == Some(target.head_branch.as_str()) {
        return Err(LandRefusal(format!(
            "run {} recorded {}, the default branch of {}: land never pushes recordings to the \
             default branch (a PR from {} into another branch?). Apply them with `rerecord fetch \
             --run {}` and push them through a PR",
            run.id, target.head_branch, ctx.repo, target.head_branch, run.id
        ))
        .into());
    }
    Ok(target)
}

/// Fix the commit the run recorded: for a run on its own branch the API's head (a `--head-sha`
/// must agree); for one that recorded a PR from elsewhere, its title or `--head-sha`.
fn pin_target(ctx: &Ctx, run: &WorkflowRun, target: &mut Target) -> anyhow::Result<()> {
    let sha = given(ctx.args.head_sha.as_deref());
    if target.from_input {
        let pr = target.pr.as_ref().map(|p| p.number);
        let pin = provenance::pin_for_dispatched(run, pr, sha).map_err(LandRefusal)?;
        target.head_sha = pin.head_sha;
        target.source = pin.source;
    } else if let Some(sha) = sha
        && !sha.eq_ignore_ascii_case(&target.head_sha)
    {
        return Err(LandRefusal(format!(
            "--head-sha {sha} is not the commit run {} ran on ({}, as the API says)",
            run.id, target.head_sha
        ))
        .into());
    }
    Ok(())
}

/// The base repository's default branch, as the API says.
async fn default_branch(ctx: &Ctx) -> anyhow::Result<Option<String>> {
    Ok(ctx
        .gh
        .repository(&ctx.repo)
        .await
        .with_context(|| format!("failed to read {}", ctx.repo))?
        .and_then(|r| r.default_branch))
}

/// A dispatched or called run on the default branch recorded something the API cannot name (the
/// workflow checked out a PR itself): without its title or `--pr` there is nowhere safe to land.
fn refuse_default_branch(run: &WorkflowRun, default: Option<&str>) -> anyhow::Result<()> {
    match default {
        Some(d) if run.head_branch.as_deref() == Some(d) => Err(LandRefusal(format!(
            "run {} ({}) ran on the default branch {d}, so the API cannot say which PR it recorded. \
             Give the recording workflow the template's run-name (\"Record PR #N at SHA\"), or pass \
             the PR from the workflow's own inputs through `env:`, e.g. `rerecord land --run \
             \"$GITHUB_RUN_ID\" --pr \"$PR_NUMBER\" --head-sha \"$HEAD_SHA\"` (or --head-branch \
             BRANCH); land never commits recordings to the default branch of a dispatched run",
            run.id, run.event
        ))
        .into()),
        _ => Ok(()),
    }
}

/// A refusal is an outcome (exit 1 after reporting); any other error is kept to be returned.
fn record_failure(
    outcome: &mut LandOutcome,
    e: anyhow::Error,
    failure: &mut Option<anyhow::Error>,
) {
    outcome.status = Status::Refused;
    match e.downcast_ref::<LandRefusal>() {
        Some(r) => outcome.reason = Some(r.0.clone()),
        None => {
            outcome.reason = Some(format!("{e:#}"));
            outcome.internal_error = true;
            *failure = Some(e);
        }
    }
}

async fn land(
    ctx: &Ctx,
    run: &WorkflowRun,
    artifacts: Vec<Artifact>,
    target: &mut Target,
    outcome: &mut LandOutcome,
    reviewed: &mut Reviewed,
) -> anyhow::Result<()> {
    let (mode, branch_name) = choose_mode(ctx, run, target, outcome);
    let Some((scratch_root, incoming)) = gather(ctx, run, artifacts, target, outcome).await? else {
        return Ok(());
    };
    let target = &*target;
    let Some(place) = place(ctx, run, target, mode, branch_name, outcome)? else {
        return Ok(());
    };
    let checked_head = check_recorded(ctx, target, mode).await?;
    let fetch_command = fetch_command(ctx, run);
    let (token, token_name) = match push_token(ctx, target, mode) {
        Ok(found) => found,
        Err(reason) => {
            outcome.fetch_command = Some(fetch_command);
            return skip(outcome, reason);
        }
    };
    let (dest_repo, branch) = (&place.repo, place.branch.as_str());
    let dest = Destination {
        url: format!("{}/{}/{}.git", ctx.server, dest_repo.owner, dest_repo.name),
        branch,
        base: place.base.as_deref(),
        token: Some(&token),
        token_name: &token_name,
    };
    let mut scratch = Scratch::new(&scratch_root.path().join("repo"), &dest.url, &incoming)?;
    let base_branch = dest.base.unwrap_or(branch);
    let Some(base_tip) = scratch.fetch(&dest, base_branch)? else {
        outcome.fetch_command = Some(fetch_command);
        return skip(
            outcome,
            format!("branch {base_branch} no longer exists in {dest_repo}"),
        );
    };
    scratch.check_tip(base_tip, base_branch)?;
    *reviewed = review::hooks::land(
        &ctx.review,
        ctx.args.push.keep_churn,
        scratch.repo(),
        base_tip,
        &incoming,
    )?;
    scratch.retain(|p| !reviewed.left_out.contains(p));
    outcome.landing.warnings.extend(reviewed.notices());
    outcome.landing.files = file_lines(scratch.statuses(base_tip)?);
    if outcome.landing.files.is_empty() {
        outcome.status = Status::Nothing;
        return Ok(());
    }
    if ctx.args.output.dry_run {
        outcome.status = Status::DryRun;
        outcome.reason = Some(format!("nothing was pushed to {dest_repo}:{branch}"));
        return Ok(());
    }
    let message = incoming.commit_message(run.id);
    let landed = {
        // Right before each push, on the very tip it builds on: the recorded commit, or ahead of
        // it by recording commits only. The push is a compare-and-swap on that tip.
        let check_tip = |tip: crate::git::Oid| check_tip(ctx, target, &checked_head, tip);
        scratch.land(
            &dest,
            base_tip,
            &message,
            &ctx.globs,
            ctx.args.push.max_attempts,
            &check_tip,
        )?
    };
    outcome.landing.attempts = landed.attempts;
    if landed.tip != base_tip {
        outcome.landing.files = file_lines(scratch.statuses(landed.tip)?);
    }
    record_commit(ctx, dest_repo, branch, landed.commit, outcome);
    if let Some(base) = &place.base {
        open_pull(ctx, run, branch, base, outcome).await?;
    }
    Ok(())
}

/// The landing mode (`--mode`, else a PR when the run has one, else a branch) and the branch a
/// branch-mode landing creates; both, and the target, told in `outcome`.
fn choose_mode(
    ctx: &Ctx,
    run: &WorkflowRun,
    target: &Target,
    outcome: &mut LandOutcome,
) -> (LandMode, String) {
    outcome.landing.fork = target.fork;
    if let Some(pr) = &target.pr {
        outcome.pr = Some(pr.number);
        outcome.pr_url = Some(pr.html_url.clone());
    }
    let mode = ctx.args.mode.unwrap_or(if target.pr.is_some() {
        LandMode::Pr
    } else {
        LandMode::Branch
    });
    outcome.landing.mode = match mode {
        LandMode::Pr => "pr",
        LandMode::Branch => "branch",
        LandMode::None => "none",
    };
    let branch_name = format!("rerecord/recordings-{}", run.id);
    outcome.target = Some(match mode {
        LandMode::Branch => format!("{}:{branch_name}", ctx.repo),
        _ => format!("{}:{}", target.head_repo, target.head_branch),
    });
    (mode, branch_name)
}

/// The command that applies the run's recordings locally, offered when they cannot be pushed.
fn fetch_command(ctx: &Ctx, run: &WorkflowRun) -> String {
    format!(
        "rerecord fetch --run {} --run-repo {} --commit",
        run.id,
        shell_quote(&ctx.repo.to_string())
    )
}

/// Tells in `outcome` the commit a push made on `dest_repo:branch`, or that it was up to date.
fn record_commit(
    ctx: &Ctx,
    dest_repo: &RepoName,
    branch: &str,
    commit: Option<impl std::fmt::Display>,
    outcome: &mut LandOutcome,
) {
    match commit {
        Some(commit) => {
            let sha = commit.to_string();
            outcome.status = Status::Landed;
            outcome.pushed_to = Some(format!("{dest_repo}:{branch}"));
            outcome.commit_url = Some(format!("{}/{}/commit/{sha}", ctx.server, dest_repo));
            outcome.landing.commit_sha = Some(sha);
        }
        None => outcome.status = Status::UpToDate,
    }
}

/// Download and verify the run's recording artifacts, and check their manifests against the
/// API's view of the run. `None` when there is nothing to land (said in `outcome`).
async fn gather(
    ctx: &Ctx,
    run: &WorkflowRun,
    artifacts: Vec<Artifact>,
    target: &mut Target,
    outcome: &mut LandOutcome,
) -> anyhow::Result<Option<(tempfile::TempDir, Incoming)>> {
    let prefix = &ctx.args.artifact_prefix;
    let artifacts: Vec<Artifact> = artifacts
        .into_iter()
        .filter(|a| a.name.starts_with(prefix))
        .collect();
    if artifacts.is_empty() {
        outcome.status = Status::Nothing;
        outcome.reason = Some(format!(
            "run {} produced no recording artifacts (none named {prefix}*)",
            run.id
        ));
        return Ok(None);
    }
    if let Some(a) = artifacts.iter().find(|a| a.expired) {
        anyhow::bail!(
            "the recording artifact {} of run {} has expired; re-run the recording workflow",
            a.name,
            run.id
        );
    }
    let scratch_root = tempfile::Builder::new()
        .prefix("rerecord-land-")
        .tempdir_in(
            ctx.env
                .runner_temp
                .clone()
                .unwrap_or_else(std::env::temp_dir),
        )
        .context("failed to create a temporary directory (check RUNNER_TEMP)")?;
    let incoming = download_and_verify(ctx, &artifacts, scratch_root.path()).await?;
    let gate = review::hooks::Gate::new(&ctx.review, &ctx.args.push.scan, ctx.env.in_actions)?;
    outcome.landing.warnings.extend(gate.unset_warning());
    gate.scan_incoming(&incoming, "land", "nothing was pushed")
        .map_err(|e| LandRefusal(format!("{e:#}")))?;
    outcome
        .landing
        .warnings
        .extend(incoming.warnings.iter().cloned());
    let mismatches = resolve::claim_mismatches(&incoming.manifests, target, run.id);
    if !mismatches.is_empty() {
        return Err(LandRefusal(format!(
            "the artifacts do not match the run as the GitHub API describes it ({}). The API decides where \
             recordings go; re-run the recording workflow",
            mismatches.join("; ")
        ))
        .into());
    }
    outcome.landing.files = report::manifest_statuses(&incoming);
    if outcome.landing.files.is_empty() {
        outcome.status = Status::Nothing;
        return Ok(None);
    }
    Ok(Some((scratch_root, incoming)))
}

/// Where the recordings go in `mode`.
struct Place {
    repo: RepoName,
    branch: String,
    /// Branch mode: the branch the new one starts from (and the PR goes into).
    base: Option<String>,
}

/// The repository and branch `mode` lands on; `None` when it lands nowhere (said in `outcome`).
fn place(
    ctx: &Ctx,
    run: &WorkflowRun,
    target: &Target,
    mode: LandMode,
    branch_name: String,
    outcome: &mut LandOutcome,
) -> anyhow::Result<Option<Place>> {
    match mode {
        LandMode::None => {
            skip(
                outcome,
                "--mode none: the recordings were verified only".to_owned(),
            )?;
            Ok(None)
        }
        LandMode::Pr => {
            let Some(pr) = &target.pr else {
                return Err(LandRefusal(format!(
                    "run {} belongs to no pull request of {} (branch {}); pass --mode branch to open one",
                    run.id, ctx.repo, target.head_branch
                ))
                .into());
            };
            if pr.state != PrState::Open {
                let why = format!("PR #{} is {}: nothing is pushed to it", pr.number, pr.state);
                skip(outcome, why)?;
                return Ok(None);
            }
            Ok(Some(Place {
                repo: target.head_repo.clone(),
                branch: target.head_branch.clone(),
                base: None,
            }))
        }
        LandMode::Branch if target.fork => Err(LandRefusal(format!(
            "run {} recorded branch {} of the fork {}: --mode branch only creates branches in {}",
            run.id, target.head_branch, target.head_repo, ctx.repo
        ))
        .into()),
        LandMode::Branch => Ok(Some(Place {
            repo: ctx.repo.clone(),
            branch: branch_name,
            base: Some(target.head_branch.clone()),
        })),
    }
}

/// The tip about to be built on and pushed must be the recorded commit or reach it only through
/// commits that change recordings (asked of the API's compare); anything else is a refusal.
/// `checked` is the head already checked (no second question when the tip is still it).
fn check_tip(
    ctx: &Ctx,
    target: &Target,
    checked: &Option<String>,
    tip: crate::git::Oid,
) -> anyhow::Result<()> {
    let tip = tip.to_string();
    if checked
        .as_deref()
        .is_some_and(|h| h.eq_ignore_ascii_case(&tip))
        || tip.eq_ignore_ascii_case(&target.head_sha)
    {
        return Ok(());
    }
    let check = resolve::check_head(&ctx.gh, &ctx.repo, &tip, &target.head_sha, &ctx.globs);
    let note = tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(check))?;
    if let Some(note) = note {
        crate::output::note(&note);
    }
    Ok(())
}

fn file_lines(statuses: Vec<(String, &'static str)>) -> Vec<FileLine> {
    statuses
        .into_iter()
        .map(|(path, status)| FileLine { path, status })
        .collect()
}

/// Refuse unless the branch's head is the recorded commit or ahead of it by recording commits
/// only: the PR's head (as the API says) in PR mode, the branch's head when the branch came
/// from `--head-branch`. Returns the head it checked, if any.
async fn check_recorded(
    ctx: &Ctx,
    target: &Target,
    mode: LandMode,
) -> anyhow::Result<Option<String>> {
    let head = match (mode, &target.pr) {
        (LandMode::Pr, Some(pr)) => pr.head_sha.clone(),
        (LandMode::Branch, _) if target.from_input => {
            match ctx.gh.branch_sha(&ctx.repo, &target.head_branch).await? {
                Some(sha) => sha,
                None => {
                    return Err(LandRefusal(format!(
                        "branch {} (--head-branch) does not exist in {}",
                        target.head_branch, ctx.repo
                    ))
                    .into());
                }
            }
        }
        _ => return Ok(None),
    };
    if let Some(note) =
        resolve::check_head(&ctx.gh, &ctx.repo, &head, &target.head_sha, &ctx.globs).await?
    {
        crate::output::note(&note);
    }
    Ok(Some(head))
}

fn skip(outcome: &mut LandOutcome, reason: String) -> anyhow::Result<()> {
    outcome.status = Status::Skipped;
    outcome.reason = Some(reason);
    Ok(())
}

/// The token that may push to the destination, and the variable it came from; or why there is
/// none. The job's token can only write to its own repository, so a fork needs a token named by
/// `--push-token-env`, and a PR that allows edits by maintainers.
fn push_token(ctx: &Ctx, target: &Target, mode: LandMode) -> Result<(Token, String), String> {
    let named = ctx.args.push_token_env.as_deref();
    if mode == LandMode::Pr && target.fork {
        let pr = target.pr.as_ref().expect("PR mode has a PR");
        let name = match named {
            _ if pr.head_repo.is_none() => {
                return Err(format!(
                    "PR #{} comes from a fork that was deleted",
                    pr.number
                ));
            }
            _ if pr.maintainer_can_modify != Some(true) => {
                return Err(format!(
                    "PR #{} comes from a fork and does not allow edits by maintainers. Enable \"Allow edits by \
                     maintainers\" on the PR, then re-run this landing workflow (or the recording), or apply the recordings yourself",
                    pr.number
                ));
            }
            Some(name) if name != JOB_TOKEN_ENV => name,
            _ => {
                return Err(format!(
                    "PR #{} comes from a fork, and no token that may push to forks is configured (the job's \
                     GITHUB_TOKEN never can): a maintainer can set one with --push-token-env (the action's \
                     push-token input), or apply the recordings yourself",
                    pr.number
                ));
            }
        };
        return token::from_env(name)
            .map(|t| (t, name.to_owned()))
            .ok_or_else(|| {
                format!(
                    "PR #{} comes from a fork and the push token variable {name} is empty or unset",
                    pr.number
                )
            });
    }
    if let Some(t) = named.and_then(token::from_env) {
        return Ok((t, named.unwrap_or_default().to_owned()));
    }
    if let Some(t) = token::from_env(JOB_TOKEN_ENV) {
        return Ok((t, JOB_TOKEN_ENV.to_owned()));
    }
    Ok((ctx.api_token.clone(), "GH_TOKEN".to_owned()))
}

async fn download_and_verify(
    ctx: &Ctx,
    artifacts: &[Artifact],
    root: &std::path::Path,
) -> anyhow::Result<Incoming> {
    let (downloads, staged) = (root.join("downloads"), root.join("staged"));
    for dir in [&downloads, &staged] {
        std::fs::create_dir(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    }
    let limits = Limits::from_env()?;
    let bar = download::progress_bar(
        artifacts.iter().map(|a| a.size_in_bytes).sum(),
        !ctx.args.output.json,
    );
    let zips =
        download::download_all(&ctx.gh, &ctx.repo, artifacts, &downloads, limits, &bar).await?;
    let opts = MapOptions {
        globs: &ctx.globs,
        legacy_prefix: None,
    };
    let mut staging = Staging::new(&staged);
    let refused = |e: anyhow::Error| LandRefusal(format!("an artifact failed verification: {e:#}"));
    let mut verified = Vec::with_capacity(zips.len());
    let mut unpacked = 0;
    for z in &zips {
        let label = &z.artifact.name;
        let mut zip = ArtifactZip::open_in_run(label, &z.path, limits, unpacked)
            .map_err(|e| refused(e.into()))?;
        // `fetch` still maps legacy artifacts from their layout for a human to review; here
        // nobody reviews, and without a manifest there is nothing to cross-check with the API.
        if zip.find(MANIFEST_NAME).is_none() {
            return Err(LandRefusal(format!(
                "artifact {label} has no {MANIFEST_NAME} (made by the old recording action?): land only \
                 accepts artifacts whose manifest it can check against the API; re-run the recording \
                 workflow with the current recording action"
            ))
            .into());
        }
        verified.push(
            verify::read_artifact(&mut zip, opts, Some(&mut staging))
                .map_err(|e| refused(e.into()))?,
        );
        unpacked += zip.streamed_total();
    }
    verify::merge(verified).map_err(|e| refused(e.into()).into())
}

/// `--mode branch`: open a PR from the new branch into the dispatched one (or find the one a
/// previous attempt opened).
async fn open_pull(
    ctx: &Ctx,
    run: &WorkflowRun,
    branch: &str,
    base: &str,
    outcome: &mut LandOutcome,
) -> anyhow::Result<()> {
    let title = format!("Recordings from CI run {}", run.id);
    let body = format!(
        "{MARKER}\nRecordings from [run {}]({}) on {}, committed by `rerecord land`.\n",
        run.id,
        run.html_url,
        md_span(base)
    );
    let pr = match ctx
        .gh
        .create_pull(&ctx.repo, branch, base, &title, &body)
        .await
    {
        Ok(pr) => pr,
        Err(e) if e.status == Some(422) => {
            let existing = ctx
                .gh
                .pulls_for_head(&ctx.repo, &ctx.repo.owner, branch)
                .await?;
            match existing.into_iter().find(|p| p.state == PrState::Open) {
                Some(pr) => pr,
                None => {
                    return Err(anyhow::Error::new(e)
                        .context(format!("failed to open a PR from {branch} into {base}")));
                }
            }
        }
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("failed to open a PR from {branch} into {base}")));
        }
    };
    outcome.opened_pr = Some(pr.number);
    outcome.opened_pr_url = Some(pr.html_url);
    Ok(())
}

/// The login comments made with the job's `GITHUB_TOKEN` are written by; that token may not read
/// `GET /user`.
const JOB_TOKEN_LOGIN: &str = "github-actions[bot]";

/// Update the comment carrying the marker that we wrote, or create it. A marker comment by anyone
/// else is ignored: adopting it would put our word in a comment its author can edit.
async fn sticky_comment(ctx: &Ctx, pr: u64, body: &str) -> anyhow::Result<()> {
    write_sticky_comment(&ctx.gh, &ctx.repo, pr, body).await
}

/// The sticky comment on PR `pr` of `repo` (`command` writes the first version, with the run
/// link; the landing of that run updates it). `body` must start with [`MARKER`].
pub(crate) async fn write_sticky_comment(
    gh: &GitHub,
    repo: &RepoName,
    pr: u64,
    body: &str,
) -> anyhow::Result<()> {
    debug_assert!(body.starts_with(MARKER));
    let me = match gh.user().await {
        Ok((user, _)) => user.login,
        Err(_) => JOB_TOKEN_LOGIN.to_owned(),
    };
    let existing = gh.find_comment(repo, pr, MARKER, &me).await?;
    gh.write_comment(repo, pr, existing.map(|c| c.id), body)
        .await?;
    Ok(())
}
