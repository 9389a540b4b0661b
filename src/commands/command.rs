//! `rerecord command`: in a default-branch workflow on `issue_comment` (or a `labeled` PR event),
//! turn a `/rerecord …` comment or an added `re-record` label into a dispatch of the recording
//! workflow, safely:
//!
//! - only created comments on pull requests whose first line starts with the command word, or
//!   the configured label being added; anything else exits 0 quietly;
//! - the requester's role comes from the API (`collaborators/{user}/permission`), never from the
//!   payload's `author_association`;
//! - the PR head the request approved is pinned exactly (see `pin`: the label's sha, the comment's
//!   `--sha`, or a same-repository PR by a writer), passed to the workflow's head-sha input, and a
//!   push after the request is refused;
//! - the comment line is split by rerecord itself and parsed with `schedule`'s own options;
//!   validation and dispatch are `schedule`'s.
//!
//! Orchestration only: `event` (payload), `grammar` (the line), `pin` (the head check), `reply`
//! (what is said where).

mod event;
mod grammar;
mod pin;
mod reply;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;

use crate::actions::{ActionsEnv, Annotations, append_to, write_outputs};

use crate::cli::{CommandArgs, Permission};
use crate::commands::inputs;
use crate::commands::land::write_sticky_comment;
use crate::commands::locate;
use crate::commands::preflight::{self, At, Gathered};
use crate::commands::schedule;
use crate::config::Config;
use crate::config::InputOption;
use crate::error::usage;
use crate::github::issues::RepoPermission;
use crate::github::{GitHub, PrState, PullRequest};
use crate::neutralise::{json_line, md_code, safe_text};
use crate::output::warn;
use crate::remotes::RepoName;
use crate::workflow::DispatchTrigger;

use event::{Candidate, Trigger};
use reply::{CommandOutcome, RequestRefusal, Status};

const DEFAULT_WORD: &str = "/rerecord";
const DEFAULT_LABEL: &str = "re-record";
const DEFAULT_PR_INPUT: &str = "pr_number";
const DEFAULT_SHA_INPUT: &str = "head_sha";

/// The resolved `[command]` settings: flags over `rerecord.toml` over defaults.
struct Settings {
    word: String,
    label: String,
    permission: Permission,
    /// `(org, team slug)` the requester must also belong to.
    team: Option<(String, String)>,
    workflow: String,
    /// `[command] pr-input`; else the PR input the workflow declares (`[inputs] pr`, or a known
    /// name such as `pr_number`).
    pr_input: Option<String>,
    /// `[command] sha-input`; else the head-sha input the workflow declares (`[inputs] head-sha`,
    /// or a known name such as `head_sha`).
    sha_input: Option<String>,
}

/// Everything known once the request is for us.
struct Ctx {
    gh: GitHub,
    repo: RepoName,
    env: ActionsEnv,
    config: Config,
    settings: Settings,
    default_branch: String,
    candidate: Candidate,
    dry_run: bool,
}

/// Why a request stopped: said on the PR, or an error of ours (the log has it).
enum Stop {
    Refused(RequestRefusal),
    /// A comment by someone who cannot push here (below `write`): one reaction, no reply
    /// (anyone can comment, as often as they like; each reply would be ours to write). A
    /// collaborator below a stricter configured role, or a labeller, gets the reply.
    Outsider(RequestRefusal),
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Stop {
    fn from(e: anyhow::Error) -> Self {
        Stop::Failed(e)
    }
}

impl From<RequestRefusal> for Stop {
    fn from(r: RequestRefusal) -> Self {
        Stop::Refused(r)
    }
}

pub async fn run(args: CommandArgs) -> anyhow::Result<ExitCode> {
    let env = ActionsEnv::from_env();
    let (Some(event_name), Some(event_path)) = (env.event_name.clone(), env.event_path.clone())
    else {
        return Err(usage(
            "rerecord command runs in a GitHub Actions workflow on issue_comment or pull_request_target (GITHUB_EVENT_NAME and GITHUB_EVENT_PATH are not set); see workflows/rerecord-command.yml",
        ));
    };
    let repo = env.repository_or(args.upstream.repo.as_deref(), "--upstream")?;
    let payload = load_payload(&event_path)?;
    let candidate = match event::candidate(&event_name, &payload)
        .with_context(|| format!("invalid {event_name} payload {}", event_path.display()))?
    {
        Ok(c) => c,
        Err(why) => return ignored(&repo, &why, args.output.json),
    };
    let api_url = locate::api_url(&args.upstream.api);
    let (token, _) = locate::token_for(&api_url)?;
    let gh = GitHub::new(&api_url, &token)?;
    let (default_branch, config) = remote_config(&gh, &repo).await?;
    let settings = Settings::resolve(&args, &config)?;
    let rest = match &candidate.trigger {
        Trigger::Comment { first_line, .. } => {
            match event::command_rest(first_line, &settings.word) {
                Some(rest) => rest.to_owned(),
                None => {
                    let why = format!("the comment does not start with {}", settings.word);
                    return ignored(&repo, &why, args.output.json);
                }
            }
        }
        Trigger::Label { name, .. } if !name.eq_ignore_ascii_case(&settings.label) => {
            let why = format!("label {} is not {}", safe_text(name), settings.label);
            return ignored(&repo, &why, args.output.json);
        }
        Trigger::Label { .. } => String::new(),
    };
    let ctx = Ctx {
        gh,
        repo,
        env,
        config,
        settings,
        default_branch,
        candidate,
        dry_run: args.output.dry_run,
    };
    eprintln!(
        "request on PR #{} by {}: {}",
        ctx.candidate.pr,
        ctx.candidate.requester,
        safe_text(&asked_plain(&ctx.candidate))
    );
    let mut outcome = CommandOutcome::new(Status::Refused, &ctx.repo.to_string());
    outcome.pr = Some(ctx.candidate.pr);
    outcome.requester = Some(ctx.candidate.requester.clone());
    outcome.workflow = Some(ctx.settings.workflow.clone());
    match decide(&ctx, &rest, &mut outcome).await {
        Ok(()) => announce(&ctx, &mut outcome).await,
        Err(Stop::Refused(refusal)) => {
            outcome.reason = Some(refusal.reason);
            outcome.detail = refusal.detail;
            refuse(&ctx, &outcome).await;
        }
        Err(Stop::Outsider(refusal)) => {
            outcome.reason = Some(refusal.reason);
            ctx.react("confused").await;
        }
        Err(Stop::Failed(err)) => {
            fail(&ctx).await;
            return Err(err);
        }
    }
    emit(&ctx.env, &outcome, args.output.json)?;
    Ok(ExitCode::SUCCESS)
}

/// Read the event payload: a runner-written file of this trusted workflow, untrusted text inside.
fn load_payload(path: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let bytes = crate::actions::read_payload(path)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| anyhow::anyhow!("invalid event payload {}: not JSON: {e}", path.display()))
}

fn ignored(repo: &RepoName, why: &str, json: bool) -> anyhow::Result<ExitCode> {
    let mut outcome = CommandOutcome::new(Status::Ignored, &repo.to_string());
    outcome.reason = Some(why.to_owned());
    if json {
        crate::output::outln!("{}", json_line(&outcome)?);
    } else {
        eprintln!("nothing to do: {}", safe_text(why));
    }
    Ok(ExitCode::SUCCESS)
}

/// The default branch and the configuration on it (`rerecord.toml`, else
/// `.github/rerecord.toml`): read through the API, since this workflow checks nothing out.
async fn remote_config(gh: &GitHub, repo: &RepoName) -> anyhow::Result<(String, Config)> {
    let repository = gh
        .repository(repo)
        .await
        .with_context(|| format!("failed to read repository {repo}"))?
        .with_context(|| {
            format!("repository {repo} was not found; check --upstream and the token")
        })?;
    let branch = repository
        .default_branch
        .unwrap_or_else(|| "main".to_owned());
    let (root, nested) = tokio::try_join!(
        gh.file_at(repo, "rerecord.toml", &branch),
        gh.file_at(repo, ".github/rerecord.toml", &branch)
    )
    .with_context(|| format!("failed to read rerecord.toml on {branch} of {repo}"))?;
    let config = match (root, nested) {
        (Some(text), _) => Config::parse(&text, Some(PathBuf::from("rerecord.toml")))?,
        (None, Some(text)) => Config::parse(&text, Some(PathBuf::from(".github/rerecord.toml")))?,
        (None, None) => Config::default(),
    };
    Ok((branch, config))
}

impl Settings {
    fn resolve(args: &CommandArgs, config: &Config) -> anyhow::Result<Self> {
        let c = &config.command;
        let pick = |flag: &Option<String>, file: &Option<String>, default: &str| {
            flag.clone()
                .or_else(|| file.clone())
                .unwrap_or_else(|| default.to_owned())
        };
        let permission = match (args.permission, &c.permission) {
            (Some(p), _) => p,
            (None, Some(text)) => Permission::from_str(text, true).map_err(|_| {
                anyhow::anyhow!(
                    "invalid config file: [command] permission = {text:?}; use write, maintain or admin"
                )
            })?,
            (None, None) => Permission::Write,
        };
        let team = match args.team.as_ref().or(c.team.as_ref()) {
            None => None,
            Some(text) => match text.trim().split_once('/') {
                Some((org, slug)) if !org.is_empty() && !slug.is_empty() && !slug.contains('/') => {
                    Some((org.to_owned(), slug.to_owned()))
                }
                _ => anyhow::bail!("the team {text:?} is not ORG/TEAM-SLUG (e.g. acme/recorders)"),
            },
        };
        let settings = Self {
            word: pick(&args.word, &c.word, DEFAULT_WORD),
            label: pick(&args.label, &c.label, DEFAULT_LABEL),
            permission,
            team,
            workflow: args.upstream.workflow.file_or(&config.workflow),
            pr_input: c.pr_input.clone(),
            sha_input: c.sha_input.clone(),
        };
        anyhow::ensure!(
            !settings.word.is_empty() && !settings.word.contains(char::is_whitespace),
            "the command word {:?} must be one word (e.g. /rerecord)",
            settings.word
        );
        Ok(settings)
    }
}

/// Every check, then the dispatch. Refusals are answered on the PR; errors fail the job.
async fn decide(ctx: &Ctx, rest: &str, outcome: &mut CommandOutcome) -> Result<(), Stop> {
    check_permission(ctx).await?;
    // Seen: only now, so that a request without the role gets one reaction, not two.
    ctx.react("eyes").await;
    let request = read_options(ctx, rest)?;
    let pr = ctx
        .gh
        .pull(&ctx.repo, ctx.candidate.pr)
        .await
        .with_context(|| format!("failed to read PR #{} of {}", ctx.candidate.pr, ctx.repo))?;
    outcome.head_sha = Some(pr.head_sha.clone());
    check_pr(&pr)?;
    pin::check(ctx, request.sha.as_deref(), rest, &pr).await?;
    let (git_ref, trigger) = workflow_ref(ctx, &pr).await?;
    let mut wanted = schedule::wanted(&request.recording, &[], &ctx.config)
        .map_err(|e| RequestRefusal::with_detail("the options are not valid:", format!("{e:#}")))?;
    if let Some(name) = ctx.pr_input(&trigger) {
        wanted.raw.push((name, pr.number.to_string()));
    }
    if let Some(name) = ctx.sha_input(&trigger) {
        wanted.raw.push((name, pr.head_sha.clone()));
    } else if !is_same_repo(ctx, &pr) {
        return Err(RequestRefusal::new(format!(
            "{} declares no {} input, so the run would check out whatever the fork's branch holds when it starts, not the approved {}. Add that input (see rerecord's workflows/record-integration-tests.yml).",
            md_code(&ctx.settings.workflow),
            md_code(ctx.settings.sha_input.as_deref().unwrap_or(DEFAULT_SHA_INPUT)),
            md_code(reply::short(&pr.head_sha))
        ))
        .into());
    } else {
        outcome.warnings.push(format!(
            "{} declares no {} input, so the run records the PR's head as it finds it, which may be newer than the approved {}.",
            md_code(&ctx.settings.workflow),
            md_code(ctx.settings.sha_input.as_deref().unwrap_or(DEFAULT_SHA_INPUT)),
            md_code(reply::short(&pr.head_sha))
        ));
    }
    let mapping = inputs::map(&trigger, &ctx.config.input_names);
    let inputs = inputs::resolve(
        &trigger,
        &mapping,
        &wanted,
        &ctx.settings.workflow,
        &git_ref,
    )
    .map_err(|e| {
        RequestRefusal::with_detail(
            "the recording workflow does not accept these inputs:",
            format!("{e:#}"),
        )
    })?;
    outcome.git_ref = Some(git_ref.clone());
    outcome.inputs = inputs.clone();
    if ctx.dry_run {
        outcome.status = Status::DryRun;
        return Ok(());
    }
    // The run to report is the one titled for this PR and head, not another dispatch's.
    let pin = (ctx.pr_input(&trigger).is_some() && ctx.sha_input(&trigger).is_some())
        .then_some((pr.number, pr.head_sha.as_str()));
    outcome.run = schedule::dispatch::dispatch(
        &ctx.gh,
        &ctx.repo,
        &ctx.settings.workflow,
        &git_ref,
        &inputs,
        pin,
    )
    .await?;
    outcome.status = Status::Dispatched;
    Ok(())
}

/// The options of the request: the comment line in `schedule`'s grammar; none for a label.
fn read_options(ctx: &Ctx, rest: &str) -> Result<grammar::Request, RequestRefusal> {
    let request = match &ctx.candidate.trigger {
        Trigger::Comment { .. } => grammar::parse(rest, &ctx.settings.word).map_err(|m| {
            if m.help {
                RequestRefusal::with_detail(reply::HELP, m.message)
            } else {
                RequestRefusal::with_detail(
                    format!(
                        "{} did not understand the options;",
                        md_code(&ctx.settings.word)
                    ),
                    m.message,
                )
            }
        })?,
        Trigger::Label { .. } => grammar::Request::default(),
    };
    let recording = &request.recording;
    // The PR number and the approved sha come from the PR itself, under any name the workflow
    // could take them by.
    let configured = [
        (&ctx.settings.pr_input, InputOption::Pr),
        (&ctx.settings.sha_input, InputOption::HeadSha),
    ]
    .into_iter()
    .flat_map(|(setting, option)| {
        setting
            .iter()
            .chain(ctx.config.input_names.get(&option))
            .cloned()
    });
    let known = [InputOption::Pr, InputOption::HeadSha]
        .into_iter()
        .flat_map(|o| o.known_names().iter().map(|n| (*n).to_owned()));
    let pinned: Vec<String> = configured.chain(known).collect();
    for name in &pinned {
        if recording
            .inputs
            .iter()
            .any(|pair| pair.split_once('=').is_some_and(|(k, _)| k == name))
        {
            return Err(RequestRefusal::new(format!(
                "{} is set by rerecord from the PR itself; drop `-f {name}=…`.",
                md_code(name)
            )));
        }
    }
    Ok(request)
}

/// [`rank`] of `write`: who can push to the repository.
const WRITE_RANK: u8 = 3;

/// `user`'s role on `repo` from the API: its rank and its name. A failed look-up is an error,
/// never a pass.
async fn repo_role(gh: &GitHub, repo: &RepoName, user: &str) -> Result<(u8, String), Stop> {
    let perm = match gh.permission(repo, user).await {
        Ok(perm) => perm,
        // Not a user GitHub knows as a possible collaborator (e.g. some apps' bots): no role.
        Err(e) if e.is_not_found() => RepoPermission {
            permission: "none".to_owned(),
            role_name: None,
        },
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("failed to read {user}'s permission on {repo}"))
                .into());
        }
    };
    let have = perm
        .role_name
        .as_deref()
        .and_then(rank)
        .or_else(|| rank(&perm.permission))
        .unwrap_or(0);
    let role = perm.role_name.unwrap_or(perm.permission);
    Ok((have, role))
}

/// At least the configured role, from the API.
async fn check_permission(ctx: &Ctx) -> Result<(), Stop> {
    let user = &ctx.candidate.requester;
    let (have, role) = repo_role(&ctx.gh, &ctx.repo, user).await?;
    let need = match ctx.settings.permission {
        Permission::Write => WRITE_RANK,
        Permission::Maintain => 4,
        Permission::Admin => 5,
    };
    if have >= need {
        return check_team(ctx).await;
    }
    let needed = ctx
        .settings
        .permission
        .to_possible_value()
        .map(|v| v.get_name().to_owned());
    let refusal = RequestRefusal::new(format!(
        "recordings run with this repository's secrets, so they need the {} role or higher on {}; {} has {}. A maintainer can comment {} instead.",
        md_code(needed.as_deref().unwrap_or("write")),
        md_code(&ctx.repo.to_string()),
        md_code(user),
        md_code(&role),
        md_code(&ctx.settings.word)
    ));
    let by_comment = matches!(ctx.candidate.trigger, Trigger::Comment { .. });
    Err(if by_comment && have < WRITE_RANK {
        Stop::Outsider(refusal)
    } else {
        Stop::Refused(refusal)
    })
}

/// With a team configured, the requester must also be an active member of it (a pending
/// invitation is not membership).
async fn check_team(ctx: &Ctx) -> Result<(), Stop> {
    let Some((org, slug)) = &ctx.settings.team else {
        return Ok(());
    };
    let user = &ctx.candidate.requester;
    let state = ctx
        .gh
        .team_membership(org, slug, user)
        .await
        .map_err(|e| {
            anyhow::Error::new(e).context(format!(
                "failed to read {user}'s membership of team {org}/{slug} (the token needs to read the organisation's members)"
            ))
        })?;
    if state.as_deref() == Some("active") {
        return Ok(());
    }
    Err(RequestRefusal::new(format!(
        "recordings from a PR comment are for members of the team {}; {} is {}.",
        md_code(&format!("{org}/{slug}")),
        md_code(user),
        if state.is_some() {
            "invited but not yet a member"
        } else {
            "not a member"
        }
    ))
    .into())
}

/// Roles from least to most; custom roles count as their base `permission`.
fn rank(role: &str) -> Option<u8> {
    match role {
        "none" => Some(0),
        "read" => Some(1),
        "triage" => Some(2),
        "write" => Some(3),
        "maintain" => Some(4),
        "admin" => Some(5),
        _ => None,
    }
}

fn check_pr(pr: &PullRequest) -> Result<(), RequestRefusal> {
    match pr.state {
        PrState::Open if pr.head_repo.is_some() => Ok(()),
        PrState::Open => Err(RequestRefusal::new(
            "the PR's head repository was deleted, so there is nothing to record.",
        )),
        state => Err(RequestRefusal::new(format!(
            "the PR is {state}; recordings are only made for open PRs."
        ))),
    }
}

/// Where to dispatch: the default branch when the workflow takes the PR number (it checks the
/// PR out itself, forks included); else the PR's own branch, which only a same-repository PR has
/// here.
async fn workflow_ref(ctx: &Ctx, pr: &PullRequest) -> Result<(String, DispatchTrigger), Stop> {
    let file = &ctx.settings.workflow;
    let not_ready = |e: anyhow::Error| {
        RequestRefusal::with_detail("the recording workflow is not ready:", format!("{e:#}"))
    };
    let (repo, none) = (&ctx.repo, Gathered::empty());
    let at_default = (&At::DefaultBranch, ctx.default_branch.as_str());
    let base = preflight::workflow_at(&ctx.gh, &none, repo, at_default, file, repo)
        .await
        .map_err(not_ready)?;
    if ctx.pr_input(&base).is_some() {
        return Ok((ctx.default_branch.clone(), base));
    }
    if !is_same_repo(ctx, pr) {
        return Err(RequestRefusal::new(format!(
            "{} on {} declares no {} input, so it cannot record a PR from a fork in this repository. Add that input (see rerecord's workflows/record-integration-tests.yml), or record from the fork with `rerecord schedule`.",
            md_code(file),
            md_code(&ctx.default_branch),
            md_code(ctx.settings.pr_input.as_deref().unwrap_or(DEFAULT_PR_INPUT))
        ))
        .into());
    }
    let at = At::Branch(pr.head_ref.clone());
    let at_branch = preflight::workflow_at(&ctx.gh, &none, repo, (&at, &pr.head_ref), file, repo)
        .await
        .map_err(not_ready)?;
    Ok((pr.head_ref.clone(), at_branch))
}

/// The PR's head branch is in this repository (only its writers can push there).
fn is_same_repo(ctx: &Ctx, pr: &PullRequest) -> bool {
    pr.head_repo
        .as_deref()
        .is_some_and(|h| h.eq_ignore_ascii_case(&ctx.repo.to_string()))
}

impl Ctx {
    /// The input of `trigger`'s workflow that takes the approved head sha, if it declares one.
    fn sha_input(&self, trigger: &DispatchTrigger) -> Option<String> {
        self.declared_input(
            trigger,
            self.settings.sha_input.as_deref(),
            InputOption::HeadSha,
        )
    }

    /// The input of `trigger`'s workflow that takes the PR number, if it declares one.
    fn pr_input(&self, trigger: &DispatchTrigger) -> Option<String> {
        self.declared_input(trigger, self.settings.pr_input.as_deref(), InputOption::Pr)
    }

    /// The input named by the setting `configured`, else the one the input mapping finds for
    /// `option`, if `trigger`'s workflow declares it.
    fn declared_input(
        &self,
        trigger: &DispatchTrigger,
        configured: Option<&str>,
        option: InputOption,
    ) -> Option<String> {
        let name = match configured {
            Some(name) => Some(name.to_owned()),
            None => inputs::map(trigger, &self.config.input_names)
                .input(option)
                .map(str::to_owned),
        };
        name.filter(|n| trigger.inputs.contains_key(n))
    }

    fn comment_id(&self) -> Option<u64> {
        match self.candidate.trigger {
            Trigger::Comment { id, .. } => Some(id),
            Trigger::Label { .. } => None,
        }
    }

    /// React to the request's comment; a failure is only a warning.
    async fn react(&self, content: &str) {
        let Some(id) = self.comment_id().filter(|_| !self.dry_run) else {
            return;
        };
        if let Err(e) = self.gh.react(&self.repo, id, content).await {
            warn(&format!(
                "could not react with {content} to comment {id}: {e}"
            ));
        }
    }

    fn asked(&self) -> String {
        let (line, label) = match &self.candidate.trigger {
            Trigger::Comment { first_line, .. } => (Some(first_line.as_str()), None),
            Trigger::Label { name, .. } => (None, Some(name.as_str())),
        };
        reply::quote_request(line, label, &self.candidate.requester)
    }

    /// A new comment on the PR; failing to write it is only warned about.
    async fn reply(&self, body: &str) {
        let pr = self.candidate.pr;
        if let Err(e) = self.gh.write_comment(&self.repo, pr, None, body).await {
            eprintln!("warning: could not reply on PR #{pr}: {e}");
        }
    }

    /// This workflow run's page (the runner's own variables), for "see the log".
    fn log_url(&self) -> Option<String> {
        let server = std::env::var("GITHUB_SERVER_URL").ok()?;
        let run = self.env.run_id.as_deref()?;
        Some(format!(
            "{}/{}/actions/runs/{run}",
            server.trim_end_matches('/'),
            self.repo
        ))
    }
}

fn asked_plain(c: &Candidate) -> String {
    match &c.trigger {
        Trigger::Comment { first_line, .. } => first_line.clone(),
        Trigger::Label { name, .. } => format!("label {name} added"),
    }
}

/// Dispatched: 🚀 and the sticky status comment with the run link.
async fn announce(ctx: &Ctx, outcome: &mut CommandOutcome) {
    if ctx.dry_run {
        return;
    }
    ctx.react("rocket").await;
    let runs_page = ctx.gh.workflow_runs_page(&ctx.repo, &ctx.settings.workflow);
    let body = outcome.status_comment(&runs_page);
    if let Err(e) = write_sticky_comment(&ctx.gh, &ctx.repo, ctx.candidate.pr, &body).await {
        outcome.warnings.push(format!(
            "could not write the status comment on PR #{}: {e:#}",
            ctx.candidate.pr
        ));
    }
}

/// Refused: 😕 and a reply saying why.
async fn refuse(ctx: &Ctx, outcome: &CommandOutcome) {
    if ctx.dry_run {
        return;
    }
    ctx.react("confused").await;
    let body = outcome.refusal_reply(&ctx.asked());
    ctx.reply(&body).await;
}

/// Our own failure: 😕 and a reply pointing at the log (the error itself stays in the log).
async fn fail(ctx: &Ctx) {
    if ctx.dry_run {
        return;
    }
    ctx.react("confused").await;
    let body = reply::failure_reply(&ctx.asked(), ctx.log_url().as_deref());
    ctx.reply(&body).await;
}

/// Outputs, step summary, and the log (or `--json`).
fn emit(env: &ActionsEnv, outcome: &CommandOutcome, json: bool) -> anyhow::Result<()> {
    if let Some(path) = &env.output_path {
        append_to(path, |w| write_outputs(w, &outcome.outputs()))?;
    }
    if let Some(path) = &env.summary_path {
        let md = summary(outcome);
        append_to(path, |w| w.write_all(md.as_bytes()))?;
    }
    let stdout = crate::output::stdout();
    let mut out = stdout.lock();
    if json {
        writeln!(out, "{}", json_line(outcome)?)?;
        return Ok(());
    }
    {
        let mut notes = Annotations::new(&mut out, env.in_actions);
        for w in &outcome.warnings {
            notes.warning(&safe_text(w))?;
        }
        if outcome.status == Status::Refused {
            notes.notice(&format!(
                "refused: {}",
                safe_text(outcome.reason.as_deref().unwrap_or(""))
            ))?;
        }
    }
    let inputs: Vec<String> = outcome
        .inputs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    writeln!(out, "status    {}", outcome.outputs()[0].1)?;
    if let Some(detail) = &outcome.detail {
        for line in detail.lines() {
            writeln!(out, "  {}", safe_text(line))?;
        }
    }
    if let Some(sha) = &outcome.head_sha {
        writeln!(out, "head      {sha}")?;
    }
    if let Some(git_ref) = &outcome.git_ref {
        writeln!(out, "ref       {}", safe_text(git_ref))?;
        writeln!(out, "inputs    {}", safe_text(&inputs.join(" ")))?;
    }
    if let Some(run) = &outcome.run {
        writeln!(out, "run       {}", run.url)?;
    }
    Ok(())
}

fn summary(outcome: &CommandOutcome) -> String {
    let mut md = String::from("### rerecord command\n\n");
    match outcome.status {
        Status::Refused => md.push_str(&format!(
            "Not dispatched: {}\n",
            outcome.reason.as_deref().unwrap_or("")
        )),
        Status::DryRun => md.push_str("Dry run: everything checked, nothing dispatched.\n"),
        _ => match &outcome.run {
            Some(run) => md.push_str(&format!("Dispatched [run {}]({}).\n", run.id, run.url)),
            None => md.push_str("Dispatched.\n"),
        },
    }
    md
}
