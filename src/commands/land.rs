//! `rerecord land`: in a privileged `workflow_run` companion, take an untrusted recording run's
//! artifacts, verify them exactly as `fetch` does, ask the API (never the artifact) which PR and
//! branch the run belongs to, and commit the recordings on that branch's tip, or say on the PR
//! why not, in one sticky comment.
//!
//! Orchestration only: `resolve` (API view and manifest cross-check), `push` (scratch repository
//! and commit-on-tip), `report` (comment, summary, outputs, JSON).

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
use crate::commands::locate;
use crate::config::Config;
use crate::error::usage;
use crate::github::{Artifact, GitHub, PrState, WorkflowRun};
use crate::recordings::Globs;
use crate::remotes::RepoName;
use crate::review::{self, hooks::Reviewed};
use crate::token::{self, Token};

use push::{Destination, Scratch};
use report::{FileLine, MARKER, Outcome, Status};
use resolve::{Refused, Target};

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
    api_token: Token,
    /// `[review]` of the trusted checkout (or the defaults).
    review: crate::review::ReviewConfig,
}

pub async fn run(args: LandArgs) -> anyhow::Result<ExitCode> {
    let env = ActionsEnv::from_env();
    let repo_text = args
        .repo
        .clone()
        .or_else(|| env.repository.clone())
        .ok_or_else(|| {
            usage("no repository given: pass --repo OWNER/NAME (GITHUB_REPOSITORY is not set)")
        })?;
    let repo = RepoName::parse(&repo_text).map_err(|e| usage(format!("--repo: {e}")))?;
    if let Some(name) = &args.push_token_env
        && (name.trim().is_empty() || name.contains('='))
    {
        return Err(usage(format!(
            "--push-token-env {name:?} is not an environment variable name; pass the NAME of the variable holding the token"
        )));
    }
    let (api_token, _) = token::require()?;
    let api_url = locate::api_url(&args.api);
    let gh = GitHub::new(&api_url, &api_token)?;
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
    let ctx = Ctx {
        gh,
        repo,
        args,
        env,
        server,
        globs,
        api_token,
        review,
    };

    let id = ctx.args.run;
    let (run, artifacts) = tokio::try_join!(
        ctx.gh.run(&ctx.repo, id),
        ctx.gh.artifacts(&ctx.repo, id)
    )
    .map_err(|e| {
        if e.is_not_found() {
            anyhow::anyhow!(
                "run {id} was not found in {}; check the run id, or pass --repo OWNER/NAME",
                ctx.repo
            )
        } else {
            anyhow::Error::new(e).context(format!("failed to read run {id} of {}", ctx.repo))
        }
    })?;
    eprintln!(
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
    );
    let mut outcome = Outcome::new(
        run.id,
        &run.html_url,
        &ctx.repo.to_string(),
        ctx.args.dry_run,
    );
    let mut failure = None;
    let target = match resolve::target(&ctx.gh, &ctx.repo, &run).await {
        Ok(target) => Some(target),
        Err(e) => {
            record_failure(&mut outcome, e, &mut failure);
            None
        }
    };
    let mut reviewed = Reviewed::default();
    if let Some(target) = &target {
        if let Err(e) = land(&ctx, &run, artifacts, target, &mut outcome, &mut reviewed).await {
            record_failure(&mut outcome, e, &mut failure);
        }
        if ctx.args.no_comment || ctx.args.dry_run || outcome.status == Status::Nothing {
            // Nothing to say, or asked not to.
        } else if let Some(pr) = target.pr.as_ref().filter(|_| outcome.opened_pr.is_none())
            && let Err(e) =
                sticky_comment(&ctx, pr.number, &reviewed.with_comment(outcome.comment())).await
        {
            outcome.warnings.push(format!(
                "could not leave the comment on PR #{}: {e:#}. Check that the token may write pull requests",
                pr.number
            ));
        }
    }
    report::emit(&ctx.env, &outcome, ctx.args.json)?;
    reviewed.write_summary(&ctx.env)?;
    if let Some(e) = failure {
        return Err(e);
    }
    if outcome.status == Status::Refused {
        eprintln!("error: {}", outcome.reason.as_deref().unwrap_or("refused"));
    }
    Ok(ExitCode::from(outcome.exit_code()))
}

/// A refusal is an outcome (exit 1 after reporting); any other error is kept to be returned.
fn record_failure(outcome: &mut Outcome, e: anyhow::Error, failure: &mut Option<anyhow::Error>) {
    outcome.status = Status::Refused;
    match e.downcast_ref::<Refused>() {
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
    target: &Target,
    outcome: &mut Outcome,
    reviewed: &mut Reviewed,
) -> anyhow::Result<()> {
    let args = &ctx.args;
    outcome.fork = target.fork;
    if let Some(pr) = &target.pr {
        outcome.pr = Some(pr.number);
        outcome.pr_url = Some(pr.html_url.clone());
    }
    let mode = args.mode.unwrap_or(if target.pr.is_some() {
        LandMode::Pr
    } else {
        LandMode::Branch
    });
    outcome.mode = match mode {
        LandMode::Pr => "pr",
        LandMode::Branch => "branch",
        LandMode::None => "none",
    };
    let branch_name = format!("rerecord/recordings-{}", run.id);
    outcome.target = Some(match mode {
        LandMode::Branch => format!("{}:{branch_name}", ctx.repo),
        _ => format!("{}:{}", target.head_repo, target.head_branch),
    });

    let artifacts: Vec<Artifact> = artifacts
        .into_iter()
        .filter(|a| a.name.starts_with(&args.artifact_prefix))
        .collect();
    if artifacts.is_empty() {
        outcome.status = Status::Nothing;
        outcome.reason = Some(format!(
            "run {} produced no recording artifacts (none named {}*)",
            run.id, args.artifact_prefix
        ));
        return Ok(());
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
    review::hooks::Gate::new(&ctx.review, &args.scan, ctx.env.in_actions)?
        .scan_incoming(&incoming, "land", "nothing was pushed")
        .map_err(|e| Refused(format!("{e:#}")))?;
    outcome.warnings.extend(incoming.warnings.iter().cloned());
    let mismatches = resolve::claim_mismatches(&incoming.manifests, target, run.id);
    if !mismatches.is_empty() {
        return Err(Refused(format!(
            "the artifacts do not match the run as the GitHub API describes it ({}). The API decides where \
             recordings go; re-run the recording workflow",
            mismatches.join("; ")
        ))
        .into());
    }
    outcome.files = incoming
        .files
        .keys()
        .map(|p| FileLine {
            path: p.clone(),
            status: "updated",
        })
        .chain(incoming.deleted.keys().map(|p| FileLine {
            path: p.clone(),
            status: "deleted",
        }))
        .collect();
    if outcome.files.is_empty() {
        outcome.status = Status::Nothing;
        return Ok(());
    }

    let (dest_repo, branch, base) = match mode {
        LandMode::None => {
            return skip(
                outcome,
                "--mode none: the recordings were verified only".to_owned(),
            );
        }
        LandMode::Pr => {
            let Some(pr) = &target.pr else {
                return Err(Refused(format!(
                    "run {} belongs to no pull request of {} (branch {}); pass --mode branch to open one",
                    run.id, ctx.repo, target.head_branch
                ))
                .into());
            };
            if pr.state != PrState::Open {
                return skip(
                    outcome,
                    format!("PR #{} is {}: nothing is pushed to it", pr.number, pr.state),
                );
            }
            (&target.head_repo, target.head_branch.as_str(), None)
        }
        LandMode::Branch => {
            if target.fork {
                return Err(Refused(format!(
                    "run {} recorded branch {} of the fork {}: --mode branch only creates branches in {}",
                    run.id, target.head_branch, target.head_repo, ctx.repo
                ))
                .into());
            }
            (
                &ctx.repo,
                branch_name.as_str(),
                Some(target.head_branch.as_str()),
            )
        }
    };
    let fetch_command = format!(
        "rerecord fetch --run {} --repo {} --commit",
        run.id, ctx.repo
    );
    let (token, token_name) = match push_token(ctx, target, mode) {
        Ok(found) => found,
        Err(reason) => {
            outcome.fetch_command = Some(fetch_command);
            return skip(outcome, reason);
        }
    };
    let dest = Destination {
        url: format!("{}/{}/{}.git", ctx.server, dest_repo.owner, dest_repo.name),
        branch,
        base,
        token: Some(&token),
        token_name: &token_name,
    };

    let mut scratch = Scratch::new(&scratch_root.path().join("repo"), &dest.url, &incoming)?;
    let base_branch = base.unwrap_or(branch);
    let Some(base_tip) = scratch.fetch(&dest, base_branch)? else {
        outcome.fetch_command = Some(fetch_command);
        return skip(
            outcome,
            format!("branch {base_branch} no longer exists in {dest_repo}"),
        );
    };
    *reviewed = review::hooks::land(
        &ctx.review,
        args.keep_churn,
        scratch.repo(),
        base_tip,
        &incoming,
    )?;
    scratch.retain(|p| !reviewed.left_out.contains(p));
    outcome
        .files
        .retain(|f| !reviewed.left_out.contains(&f.path));
    outcome.warnings.extend(reviewed.notices());
    if outcome.files.is_empty() {
        outcome.status = Status::Nothing;
        return Ok(());
    }
    if let (LandMode::Pr, Some(pr)) = (mode, &target.pr)
        && !pr.head_sha.eq_ignore_ascii_case(&run.head_sha)
        && let Some(note) = scratch.check_pr_head(&pr.head_sha, &run.head_sha, &ctx.globs)?
    {
        eprintln!("note: {note}");
    }
    if args.dry_run {
        outcome.status = Status::DryRun;
        outcome.reason = Some(format!("nothing was pushed to {}:{branch}", dest_repo));
        return Ok(());
    }

    let message = incoming.commit_message(run.id);
    let pushed = scratch.land(
        &dest,
        base_tip,
        &run.head_sha,
        &message,
        &ctx.globs,
        args.max_attempts,
    )?;
    outcome.warnings.extend(pushed.warnings);
    let landed = pushed.landed;
    outcome.attempts = landed.attempts;
    match landed.commit {
        Some(commit) => {
            let sha = commit.to_string();
            outcome.status = Status::Landed;
            outcome.pushed_to = Some(format!("{dest_repo}:{branch}"));
            outcome.commit_url = Some(format!("{}/{}/commit/{sha}", ctx.server, dest_repo));
            outcome.commit_sha = Some(sha);
        }
        None => outcome.status = Status::UpToDate,
    }
    if let Some(base) = base {
        open_pull(ctx, run, branch, base, outcome).await?;
    }
    Ok(())
}

fn skip(outcome: &mut Outcome, reason: String) -> anyhow::Result<()> {
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
    let limits = Limits::default();
    let bar = download::progress_bar(
        artifacts.iter().map(|a| a.size_in_bytes).sum(),
        !ctx.args.json,
    );
    let zips = download::download_all(
        &ctx.gh,
        &ctx.repo,
        artifacts,
        &downloads,
        limits.max_artifact_size,
        &bar,
    )
    .await?;
    let opts = MapOptions {
        globs: &ctx.globs,
        legacy_prefix: None,
    };
    let mut staging = Staging::new(&staged);
    let refused = |e: anyhow::Error| Refused(format!("an artifact failed verification: {e:#}"));
    let mut verified = Vec::with_capacity(zips.len());
    for z in &zips {
        let label = &z.artifact.name;
        let mut zip = ArtifactZip::open(label, &z.path, limits).map_err(|e| refused(e.into()))?;
        // `fetch` still maps legacy artifacts from their layout for a human to review; here
        // nobody reviews, and without a manifest there is nothing to cross-check with the API.
        if zip.find(MANIFEST_NAME).is_none() {
            return Err(Refused(format!(
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
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    let title = format!("Recordings from CI run {}", run.id);
    let body = format!(
        "{MARKER}\nRecordings from [run {}]({}) on `{base}`, committed by `rerecord land`.\n",
        run.id, run.html_url
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
    let me = match ctx.gh.user().await {
        Ok((user, _)) => user.login,
        Err(_) => JOB_TOKEN_LOGIN.to_owned(),
    };
    match ctx.gh.find_comment(&ctx.repo, pr, MARKER, &me).await? {
        Some(existing) => ctx.gh.update_comment(&ctx.repo, existing.id, body).await?,
        None => ctx.gh.create_comment(&ctx.repo, pr, body).await?,
    };
    Ok(())
}
