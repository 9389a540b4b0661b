//! `rerecord schedule`: find the branch's PR and where its recording run can commit back,
//! validate the workflow and inputs, dispatch it, report the run, optionally watch it.
//!
//! Critical path (see the `schedule` benchmark): one round of concurrent look-ups (PRs, branch
//! on each remote), one round of validation (workflow + its file at the branch), the POST.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use serde::Serialize;

use crate::cli::{RecordingArgs, ScheduleArgs};
use crate::commands::locate::{self, Checkout, PrChoice};
use crate::commands::watch;
use crate::config::{Config, InputOption};
use crate::error::usage;
use crate::github::actions::Dispatch;
use crate::github::{DispatchedRun, GitHub, PrState, PullRequest};
use crate::remotes::RepoName;
use crate::workflow::{DispatchTrigger, dispatch_trigger};
use crate::{term, token};

/// Runs created this long before our clock are still ours (GitHub's clock may differ).
const CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(10);
/// How long to look for the run of a dispatch answered with 204.
const FIND_RUN_FOR: Duration = Duration::from_secs(30);

pub async fn run(args: ScheduleArgs) -> anyhow::Result<ExitCode> {
    let (token, _) = token::require()?;
    let api_url = locate::api_url(&args.api);
    let hosts = locate::github_hosts(&api_url);
    let checkout = Checkout::open(&hosts)?;
    let branch = checkout.branch(args.branch.as_deref())?;
    let workflow_file = args
        .workflow
        .clone()
        .unwrap_or_else(|| checkout.config.workflow.clone());
    let requested = Requested::from_args(&args.recording, &checkout.config)?;
    let gh = GitHub::new(&api_url, &token)?;
    let interactive = !args.yes && term::can_prompt();

    let upstream = locate::upstream(&gh, &checkout, args.repo.as_deref()).await?;
    let lookups = locate::look_up(&gh, &upstream.repo, &checkout, &branch).await?;
    let local_head = checkout
        .head
        .as_deref()
        .filter(|_| checkout.current_branch.as_deref() == Some(branch.as_str()));
    let pr = pick_pr(&lookups.prs, local_head, interactive)?;

    let (target, remote_sha) = match &pr {
        Some(pr) => {
            if pr.state == PrState::Merged {
                anyhow::bail!(
                    "PR #{} is already merged; recordings can't be committed back ({})",
                    pr.number,
                    pr.html_url
                );
            }
            let Some(head_repo) = &pr.head_repo else {
                anyhow::bail!(
                    "the head repository of PR #{} was deleted, so no workflow can commit to its branch; nothing was dispatched ({})",
                    pr.number,
                    pr.html_url
                );
            };
            if pr.state == PrState::Closed {
                note(&format!(
                    "PR #{} is closed; the recordings will still be committed to {}:{}",
                    pr.number, head_repo, pr.head_ref
                ));
            }
            (RepoName::parse(head_repo)?, Some(pr.head_sha.clone()))
        }
        None => match lookups.branch_on.iter().find(|(_, sha)| sha.is_some()) {
            Some((repo, sha)) => (repo.clone(), sha.clone()),
            None => anyhow::bail!(
                "branch {branch} is on no GitHub remote ({}); push it first: git push -u origin {branch}",
                display_list(&checkout.remote_repos())
            ),
        },
    };
    let fork = target != upstream.repo;

    if let (Some(local), Some(remote)) = (local_head, remote_sha.as_deref())
        && local != remote
    {
        warn(&format!(
            "your local {branch} ({}) differs from {target}'s ({}): the workflow records the pushed commit, not the local one",
            short(local),
            short(remote)
        ));
        if interactive && !confirm("Dispatch anyway?")? {
            anyhow::bail!("cancelled; push your branch (git push) and run rerecord schedule again");
        }
    }

    let trigger =
        check_workflow(&gh, &target, &workflow_file, &branch, fork, &upstream.repo).await?;
    let inputs = requested.finalize(&trigger, &workflow_file, &branch)?;

    let mut plan = Plan {
        branch: branch.clone(),
        pr: pr.as_ref().map(PlanPr::from),
        target_repo: target.to_string(),
        fork,
        workflow: workflow_file.clone(),
        inputs: inputs.clone(),
        run: None,
        dry_run: args.dry_run,
    };
    if !args.dry_run {
        plan.run = dispatch(&gh, &target, &workflow_file, &branch, &inputs).await?;
    }
    report(&plan, &gh, &target, args.json);

    if args.watch && !args.dry_run {
        let Some(run) = &plan.run else {
            anyhow::bail!(
                "cannot watch: the run of this dispatch was not found ({})",
                gh.workflow_runs_page(&target, &workflow_file)
            );
        };
        let conclusion = watch::follow(&gh, &target, run.id, !args.json).await?;
        if fork {
            eprintln!(
                "To apply the recordings: rerecord fetch --run {} --repo {target}",
                run.id
            );
        }
        if conclusion.as_deref() != Some("success") {
            eprintln!(
                "run {} concluded {}: {}",
                run.id,
                conclusion.as_deref().unwrap_or("without a conclusion"),
                run.url
            );
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What the user asked to send, before the workflow says what it declares.
pub(crate) struct Requested {
    /// Input name -> (value, where it came from) for everything typed explicitly.
    explicit: BTreeMap<String, (String, String)>,
    /// Input name -> the tool's default, sent only when the workflow declares the input.
    defaults: BTreeMap<String, String>,
}

impl Requested {
    pub(crate) fn from_args(args: &RecordingArgs, config: &Config) -> anyhow::Result<Self> {
        let mut explicit = BTreeMap::new();
        let given = [
            (
                InputOption::Subdirs,
                args.subdirs.as_deref().map(normalize_list),
            ),
            (InputOption::Suite, args.suite.clone()),
            (InputOption::Setup, args.setup.clone()),
            (InputOption::Pattern, args.pattern.clone()),
        ];
        for (opt, value) in &given {
            if let Some(value) = value {
                if value.trim().is_empty() {
                    return Err(usage(format!(
                        "{} needs a value (empty values are never sent)",
                        opt.flag()
                    )));
                }
                explicit.insert(
                    config.input_names[opt].clone(),
                    (value.clone(), opt.flag().to_owned()),
                );
            }
        }
        for pair in &args.inputs {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(usage(format!("-f/--input takes KEY=VALUE, got {pair:?}")));
            };
            if key.is_empty() || value.is_empty() {
                return Err(usage(format!(
                    "-f/--input {pair:?}: both KEY and VALUE must be non-empty"
                )));
            }
            if let Some((previous, from)) = explicit.get(key)
                && previous != value
            {
                return Err(usage(format!(
                    "input {key:?} is given twice ({from} {previous:?} and -f {value:?})"
                )));
            }
            explicit.insert(key.to_owned(), (value.to_owned(), format!("-f {key}")));
        }
        let defaults = config
            .defaults
            .iter()
            .map(|(opt, value)| (config.input_names[opt].clone(), value.clone()))
            .filter(|(name, _)| !explicit.contains_key(name))
            .collect();
        Ok(Self { explicit, defaults })
    }

    /// One more explicit input that the caller computed (e.g. `command`'s PR number and pinned
    /// sha); it replaces a default of the same name and is validated like the others.
    pub(crate) fn insert(&mut self, name: &str, value: &str, from: &str) {
        self.defaults.remove(name);
        self.explicit
            .insert(name.to_owned(), (value.to_owned(), from.to_owned()));
    }

    /// The inputs to send: everything explicit (which must be declared and valid) plus our
    /// defaults for declared inputs. Never the workflow's own defaults: GitHub applies those.
    pub(crate) fn finalize(
        self,
        trigger: &DispatchTrigger,
        file: &str,
        branch: &str,
    ) -> anyhow::Result<BTreeMap<String, String>> {
        let mut inputs: BTreeMap<String, String> = self
            .explicit
            .into_iter()
            .map(|(k, (v, _))| (k, v))
            .collect();
        for (name, value) in self.defaults {
            if trigger.inputs.contains_key(&name) {
                inputs.insert(name, value);
            }
        }
        if let Err(problems) = trigger.validate(file, branch, &inputs) {
            anyhow::bail!(
                "nothing was dispatched:\n  {}\n(map option names to other inputs under [inputs] in rerecord.toml)",
                problems.join("\n  ")
            );
        }
        Ok(inputs)
    }
}

fn normalize_list(dirs: &str) -> String {
    dirs.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(",")
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
                "several pull requests match this branch; run in a terminal to choose, or use --repo/--branch to narrow it:\n  {}",
                labels.join("\n  ")
            )
        }
    }
}

/// Round two: the workflow must be known to GitHub (so on the default branch), active, and
/// its copy at `branch` must declare `workflow_dispatch`.
pub(crate) async fn check_workflow(
    gh: &GitHub,
    target: &RepoName,
    file: &str,
    branch: &str,
    fork: bool,
    upstream: &RepoName,
) -> anyhow::Result<DispatchTrigger> {
    let path = format!(".github/workflows/{file}");
    let (workflow, contents) =
        tokio::try_join!(gh.workflow(target, file), gh.file_at(target, &path, branch))
            .with_context(|| format!("failed to look up workflow {file} in {target}"))?;
    let sync_hint = || {
        if fork {
            format!(
                "\nYour fork may be behind {upstream}: sync it (gh repo sync {target}, or git fetch upstream && git push origin upstream/HEAD:refs/heads/DEFAULT_BRANCH), then merge it into {branch}."
            )
        } else {
            String::new()
        }
    };
    let workflow = match (workflow, &contents) {
        (Some(w), _) => w,
        (None, Some(_)) => anyhow::bail!(
            "{path} exists at {branch} but not on the default branch of {target}: GitHub only accepts a dispatch for a workflow that is on the default branch. Merge it there first.{}",
            sync_hint()
        ),
        (None, None) => anyhow::bail!("workflow {file} was not found in {target}.{}", sync_hint()),
    };
    let enable_url = gh.workflow_runs_page(target, file);
    match workflow.state.as_str() {
        "active" => {}
        "disabled_fork" => anyhow::bail!(
            "workflow {file} is disabled in fork {target} (GitHub turns Actions off in new forks): enable Actions and the workflow at {enable_url}"
        ),
        "disabled_manually" | "disabled_inactivity" => {
            anyhow::bail!(
                "workflow {file} is disabled in {target} ({}): enable it at {enable_url}",
                workflow.state
            )
        }
        other => {
            anyhow::bail!("workflow {file} in {target} is {other}, not active: see {enable_url}")
        }
    }
    let Some(contents) = contents else {
        anyhow::bail!(
            "{path} is not on branch {branch} of {target}: merge the default branch into {branch}, push, and try again"
        );
    };
    dispatch_trigger(&contents)
        .with_context(|| format!("failed to read {path} at {branch}"))?
        .with_context(|| format!("{path} at {branch} has no workflow_dispatch trigger, so it can't be dispatched; add `workflow_dispatch:` under `on:`"))
}

/// POST the dispatch and learn the run. A lost answer is never re-sent blindly: look for a run
/// created since the attempt first, re-send at most once, and give up saying so.
pub(crate) async fn dispatch(
    gh: &GitHub,
    repo: &RepoName,
    file: &str,
    branch: &str,
    inputs: &BTreeMap<String, String>,
) -> anyhow::Result<Option<DispatchedRun>> {
    let body: serde_json::Map<String, serde_json::Value> = inputs
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let since = Utc::now() - CLOCK_SKEW;
    let runs_page = gh.workflow_runs_page(repo, file);
    let refused = |e: crate::github::ApiError| {
        anyhow::anyhow!("GitHub refused the dispatch of {file} on {branch} in {repo}: {e}")
    };
    for attempt in 1..=2 {
        let outcome = match gh.dispatch(repo, file, branch, &body, true).await {
            // Older GitHub Enterprise rejects the flag: send the plain dispatch and find the run.
            Err(e) if e.status == Some(422) && e.message.contains("return_run_details") => gh
                .dispatch(repo, file, branch, &body, false)
                .await
                .map_err(refused)?,
            other => other.map_err(refused)?,
        };
        match outcome {
            Dispatch::Run(run) => return Ok(Some(run)),
            Dispatch::Accepted => {
                let found = find_run(gh, repo, file, branch, since, scaled(FIND_RUN_FOR)).await?;
                if found.is_none() {
                    warn(&format!(
                        "the dispatch was accepted but its run did not show up within 30 s; see {runs_page}"
                    ));
                }
                return Ok(found);
            }
            Dispatch::Unknown(err) => {
                warn(&format!(
                    "the dispatch's outcome is unknown ({err}); looking for its run before trying again"
                ));
                if let Some(run) = find_run(
                    gh,
                    repo,
                    file,
                    branch,
                    since,
                    scaled(Duration::from_secs(6)),
                )
                .await?
                {
                    return Ok(Some(run));
                }
                if attempt == 2 {
                    anyhow::bail!(
                        "the dispatch's outcome is unknown after a second attempt ({err}); check {runs_page} before dispatching again"
                    );
                }
            }
        }
    }
    unreachable!("the loop returns on its second attempt")
}

/// The oldest dispatch run of `branch` created since `since`, polling for at most `wait`.
async fn find_run(
    gh: &GitHub,
    repo: &RepoName,
    file: &str,
    branch: &str,
    since: chrono::DateTime<Utc>,
    wait: Duration,
) -> anyhow::Result<Option<DispatchedRun>> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut pause = scaled(Duration::from_secs(2));
    loop {
        let runs = gh.dispatched_runs_since(repo, file, branch, since).await?;
        if let Some(run) = runs.iter().min_by_key(|r| r.created_at) {
            return Ok(Some(DispatchedRun {
                id: run.id,
                url: run.html_url.clone(),
            }));
        }
        if tokio::time::Instant::now() + pause > deadline {
            return Ok(None);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 3 / 2).min(scaled(Duration::from_secs(5)));
    }
}

/// Waits scaled by `RERECORD_POLL_SCALE` (tests make them short; default 1).
pub(crate) fn scaled(d: Duration) -> Duration {
    let scale = std::env::var("RERECORD_POLL_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(1.0);
    d.mul_f64(scale)
}

#[derive(Debug, Serialize)]
struct Plan {
    branch: String,
    pr: Option<PlanPr>,
    target_repo: String,
    fork: bool,
    workflow: String,
    inputs: BTreeMap<String, String>,
    run: Option<DispatchedRun>,
    dry_run: bool,
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

fn report(plan: &Plan, gh: &GitHub, target: &RepoName, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string(plan).expect("the plan serializes")
        );
        return;
    }
    let inputs: Vec<String> = plan
        .inputs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    println!("branch    {}", plan.branch);
    match &plan.pr {
        Some(pr) => println!("PR        #{} ({}) {}", pr.number, pr.state, pr.url),
        None => println!("PR        none"),
    }
    println!(
        "target    {}{}",
        plan.target_repo,
        if plan.fork { " (fork)" } else { "" }
    );
    println!("workflow  {}", plan.workflow);
    println!(
        "inputs    {}",
        if inputs.is_empty() {
            "(none)".to_owned()
        } else {
            inputs.join(" ")
        }
    );
    match (&plan.run, plan.dry_run) {
        (_, true) => println!("dry run   nothing dispatched"),
        (Some(run), _) => println!("run       {}", run.url),
        (None, _) => println!(
            "run       dispatched; see {}",
            gh.workflow_runs_page(target, &plan.workflow)
        ),
    }
}

fn note(msg: &str) {
    eprintln!("note: {msg}");
}

fn warn(msg: &str) {
    eprintln!("warning: {msg}");
}

fn confirm(prompt: &str) -> anyhow::Result<bool> {
    dialoguer::Confirm::new()
        .with_prompt(prompt)
        .default(false)
        .interact()
        .context("no answer given")
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

fn display_list(repos: &[RepoName]) -> String {
    if repos.is_empty() {
        "no GitHub remotes".to_owned()
    } else {
        repos
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
