//! `rerecord schedule`: find the branch's PR and where its recording run belongs, validate the
//! workflow and inputs, dispatch it, report the run and the next step, optionally watch it.
//!
//! Critical path (see the `schedule` benchmark), with a known upstream: one round of
//! concurrent look-ups (PRs, the branch on each remote, the workflow and its file wherever the
//! run could go: [`preflight::gather`]), then the POST. `doctor` runs the same preflight.

pub mod dispatch;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

use crate::cli::{DefaultOption, DispatchIn, RecordingArgs, ScheduleArgs};
use crate::commands::inputs::{self, Wanted};
use crate::commands::locate::{self, Checkout, PrChoice};
use crate::commands::preflight::{self, Target};
use crate::commands::short;
use crate::commands::watch::{self, scaled};
use crate::config::{Config, InputOption};
use crate::github::{DispatchedRun, GitHub, PrState, PullRequest};
use crate::output::{note, warn};
use crate::term;

pub async fn run(args: ScheduleArgs) -> anyhow::Result<ExitCode> {
    let api_url = locate::api_url(&args.upstream.api);
    let (token, _) = locate::token_for(&api_url)?;
    let hosts = locate::github_hosts(&api_url);
    let checkout = Checkout::open(&hosts)?;
    let branch = checkout.branch(args.branch.as_deref())?;
    let file = args.upstream.workflow.file_or(&checkout.config.workflow);
    let mut wanted = wanted(&args.recording, &args.no_default, &checkout.config)?;
    let gh = GitHub::new(&api_url, &token)?.with_retry_base(scaled(Duration::from_millis(500)));
    let interactive = !args.yes && term::can_prompt();
    let overrides = &checkout.config.input_names;

    let upstream = locate::upstream(&gh, &checkout, args.upstream.repo.as_deref()).await?;
    let up = &upstream.repo;
    let gathered = preflight::gather(&gh, up, &checkout, &branch, &file, args.dispatch_in).await?;
    let local_head = checkout.local_head_of(&branch);
    let pr = pick_pr(&gathered.prs, local_head, interactive)?;
    let target = preflight::target(
        &gh,
        &gathered,
        up,
        &branch,
        pr.as_ref(),
        args.dispatch_in,
        &file,
        overrides,
    )
    .await?;
    for n in &target.notes {
        note(n);
    }
    check_freshness(local_head, &target, &branch, interactive)?;
    let trigger = preflight::workflow(&gh, &gathered, &target, &file, up).await?;
    let mapping = inputs::map(&trigger, overrides);
    wanted.pr_number = target.pr_number;
    // The pushed head the freshness check compared: the run records exactly it, not whatever the
    // branch or refs/pull/N/head holds when its jobs start.
    wanted.head_sha = target.remote_sha.clone();
    let sent = inputs::resolve(&trigger, &mapping, &wanted, &file, &target.git_ref)?;

    let mut plan = Plan::new(
        &branch,
        pr.as_ref(),
        &target,
        &file,
        sent,
        args.output.dry_run,
    );
    if !args.output.dry_run {
        let pin = inputs::sent_pin(&mapping, &plan.inputs);
        let pin = pin.as_ref().map(|(pr, sha)| (*pr, sha.as_str()));
        plan.run = dispatch::dispatch(&gh, &target.repo, &file, &target.git_ref, &plan.inputs, pin)
            .await?;
    }
    plan.dispatch.next = next_step(&plan, &target, pr.as_ref());
    report(
        &plan,
        &gh.workflow_runs_page(&target.repo, &file),
        args.output.json,
    );

    if args.watch && !args.output.dry_run {
        let Some(run) = &plan.run else {
            anyhow::bail!(
                "cannot watch: the run of this dispatch was not found ({})",
                gh.workflow_runs_page(&target.repo, &file)
            );
        };
        let conclusion = watch::follow(&gh, &target.repo, run.id, !args.output.json).await?;
        if conclusion.as_deref() != Some("success") {
            eprintln!(
                "run {} concluded {}: {}",
                run.id,
                conclusion.as_deref().unwrap_or("without a conclusion"),
                run.url
            );
            return Ok(ExitCode::FAILURE);
        }
        eprintln!("next: {}", plan.dispatch.next);
    }
    Ok(ExitCode::SUCCESS)
}

/// What the user asked to send: the typed options and `-f` pairs, plus `[defaults]` for
/// options not typed and not switched off with `--no-default`.
pub fn wanted(
    args: &RecordingArgs,
    no_default: &[DefaultOption],
    config: &Config,
) -> anyhow::Result<Wanted> {
    let given = [
        (InputOption::Subdirs, args.subdirs.as_deref()),
        (InputOption::Suite, args.suite.as_deref()),
        (InputOption::Setup, args.setup.as_deref()),
        (InputOption::Pattern, args.pattern.as_deref()),
    ];
    let mut wanted = Wanted::typed(&given, &args.inputs)?;
    let off: Vec<InputOption> = no_default.iter().map(|o| option_of(*o)).collect();
    wanted.defaults = config
        .defaults
        .iter()
        .filter(|(opt, _)| !off.contains(opt) && !wanted.options.contains_key(opt))
        .map(|(opt, v)| (*opt, v.clone()))
        .collect();
    Ok(wanted)
}

fn option_of(o: DefaultOption) -> InputOption {
    match o {
        DefaultOption::Subdirs => InputOption::Subdirs,
        DefaultOption::Suite => InputOption::Suite,
        DefaultOption::Setup => InputOption::Setup,
        DefaultOption::Pattern => InputOption::Pattern,
    }
}

/// The run records what GitHub has, not the local commit: say so (and ask, in a terminal).
fn check_freshness(
    local_head: Option<&str>,
    target: &Target,
    branch: &str,
    interactive: bool,
) -> anyhow::Result<()> {
    if let (Some(local), Some(remote)) = (local_head, target.remote_sha.as_deref())
        && local != remote
    {
        warn(&format!(
            "your local {branch} ({}) differs from the pushed one ({}): the workflow records the pushed commit, not the local one",
            short(local),
            short(remote)
        ));
        if interactive && !confirm("Dispatch anyway?")? {
            anyhow::bail!("cancelled; push your branch (git push) and run rerecord schedule again");
        }
    }
    Ok(())
}

/// What happens after the dispatch, per mode: a run in the upstream uploads the recordings
/// for its landing workflow; a run on the branch pushes them itself.
fn next_step(plan: &Plan, target: &Target, pr: Option<&PullRequest>) -> String {
    let waiting = if plan.dry_run {
        "after a dispatch, "
    } else {
        ""
    };
    match (target.mode, target.pr_number, pr) {
        (DispatchIn::Upstream, Some(number), Some(pr)) => {
            let fetch = match &plan.run {
                Some(run) => format!("rerecord fetch --run {} --run-repo {}", run.id, target.repo),
                None => format!("rerecord fetch --pr {number} --run-repo {}", target.repo),
            };
            format!(
                "{waiting}the run uploads the recordings and the landing workflow (workflow_run) commits them to {}:{}; without one, apply them here with `{fetch}`",
                pr.head_repo.as_deref().unwrap_or("?"),
                pr.head_ref
            )
        }
        _ => format!(
            "{waiting}the run pushes the recordings to {}:{} itself; `git pull` once it has finished",
            target.repo, target.git_ref
        ),
    }
}

fn pick_pr(
    prs: &[PullRequest],
    local_head: Option<&str>,
    interactive: bool,
) -> anyhow::Result<Option<PullRequest>> {
    match locate::choose_pr(prs, local_head) {
        PrChoice::None => Ok(None),
        PrChoice::One { pr, note: n } => {
            if let Some(n) = n {
                note(&n);
            }
            Ok(Some(pr))
        }
        PrChoice::Ambiguous(candidates) => {
            let labels: Vec<String> = candidates.iter().map(locate::describe_pr).collect();
            if interactive {
                let index = dialoguer::Select::new()
                    .with_prompt("Several pull requests match this branch; which one?")
                    .items(&labels)
                    .default(0)
                    .interact()
                    .context("no pull request chosen")?;
                return Ok(Some(candidates[index].clone()));
            }
            anyhow::bail!(
                "several pull requests match this branch; run in a terminal to choose, or use --upstream/--branch to narrow it:\n  {}",
                labels.join("\n  ")
            )
        }
    }
}

#[derive(Debug, Serialize)]
struct Plan {
    branch: String,
    pr: Option<PlanPr>,
    target_repo: String,
    fork: bool,
    workflow: String,
    inputs: BTreeMap<String, String>,
    dispatch: PlanDispatch,
    run: Option<DispatchedRun>,
    dry_run: bool,
}

/// Where the run goes and why, and what to do after it.
#[derive(Debug, Serialize)]
struct PlanDispatch {
    mode: DispatchIn,
    repo: String,
    #[serde(rename = "ref")]
    git_ref: String,
    why: String,
    next: String,
}

#[derive(Debug, Serialize)]
struct PlanPr {
    number: u64,
    state: PrState,
    url: String,
    head_repo: Option<String>,
    head_sha: String,
}

impl From<&PullRequest> for PlanPr {
    fn from(pr: &PullRequest) -> Self {
        Self {
            number: pr.number,
            state: pr.state,
            url: pr.html_url.clone(),
            head_repo: pr.head_repo.clone(),
            head_sha: pr.head_sha.clone(),
        }
    }
}

impl Plan {
    fn new(
        branch: &str,
        pr: Option<&PullRequest>,
        target: &Target,
        file: &str,
        inputs: BTreeMap<String, String>,
        dry_run: bool,
    ) -> Self {
        Self {
            branch: branch.to_owned(),
            pr: pr.map(PlanPr::from),
            target_repo: target.repo.to_string(),
            fork: target.fork,
            workflow: file.to_owned(),
            inputs,
            dispatch: PlanDispatch {
                mode: target.mode,
                repo: target.repo.to_string(),
                git_ref: target.git_ref.clone(),
                why: target.why.clone(),
                next: String::new(),
            },
            run: None,
            dry_run,
        }
    }
}

fn report(plan: &Plan, runs_page: &str, json: bool) {
    if json {
        crate::output::outln!(
            "{}",
            crate::neutralise::json_line(plan).expect("the plan serializes")
        );
        return;
    }
    let inputs: Vec<String> = plan
        .inputs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    // API text and names: every line neutralised for the terminal (and a log).
    let mut lines: Vec<String> = Vec::new();
    lines.push(format!("branch    {}", plan.branch));
    match &plan.pr {
        Some(pr) => lines.push(format!(
            "PR        #{} ({}) {}",
            pr.number, pr.state, pr.url
        )),
        None => lines.push("PR        none".to_owned()),
    }
    let d = &plan.dispatch;
    let mode = match d.mode {
        DispatchIn::Head => "head",
        DispatchIn::Upstream => "upstream",
    };
    lines.push(format!(
        "dispatch  {} on {} ({mode}): {}",
        d.repo, d.git_ref, d.why
    ));
    lines.push(format!("workflow  {}", plan.workflow));
    lines.push(format!(
        "inputs    {}",
        if inputs.is_empty() {
            "(none: the workflow's defaults apply)".to_owned()
        } else {
            inputs.join(" ")
        }
    ));
    match (&plan.run, plan.dry_run) {
        (_, true) => lines.push("dry run   nothing dispatched".to_owned()),
        (Some(run), _) => lines.push(format!("run       {}", run.url)),
        (None, _) => lines.push(format!("run       dispatched; see {runs_page}")),
    }
    lines.push(format!("next      {}", d.next));
    crate::output::outln!("{}", crate::neutralise::safe_lines(&lines.join("\n")));
}

fn confirm(prompt: &str) -> anyhow::Result<bool> {
    dialoguer::Confirm::new()
        .with_prompt(prompt)
        .default(false)
        .interact()
        .context("no answer given")
}
