//! `rerecord doctor`: a checklist of everything `schedule` depends on, each line ok/warn/fail
//! with the fix, so a broken set-up is found before a workflow run is wasted.

use std::process::ExitCode;

use serde::Serialize;

use crate::cli::{DispatchIn, DoctorArgs};
use crate::commands::inputs::{self, Wanted};
use crate::commands::locate::{self, Checkout, PrChoice};
use crate::commands::preflight::{self, Gathered, PreflightFailure, Target};
use crate::config::Config;
use crate::github::{GitHub, PullRequest};
use crate::remotes::RepoName;
use crate::token;
use crate::workflow::{DispatchTrigger, InputKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Serialize)]
struct Check {
    name: &'static str,
    status: Status,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

#[derive(Default)]
struct Checklist {
    checks: Vec<Check>,
    /// What the preflight found, for `--json`: `dispatch`, `mapping`, `inputs`.
    details: serde_json::Map<String, serde_json::Value>,
}

impl Checklist {
    fn push(
        &mut self,
        name: &'static str,
        status: Status,
        message: impl Into<String>,
        fix: Option<String>,
    ) {
        self.checks.push(Check {
            name,
            status,
            message: message.into(),
            fix,
        });
    }
    fn ok(&mut self, name: &'static str, message: impl Into<String>) {
        self.push(name, Status::Ok, message, None);
    }
    fn warn(&mut self, name: &'static str, message: impl Into<String>, fix: impl Into<String>) {
        self.push(name, Status::Warn, message, Some(fix.into()));
    }
    fn fail(&mut self, name: &'static str, message: impl Into<String>, fix: impl Into<String>) {
        self.push(name, Status::Fail, message, Some(fix.into()));
    }
}

pub async fn run(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let mut list = Checklist::default();
    diagnose(&args, &mut list).await;
    let failed = list.checks.iter().any(|c| c.status == Status::Fail);
    if args.json {
        let mut out = serde_json::json!({ "ok": !failed, "checks": list.checks });
        out.as_object_mut()
            .expect("an object")
            .extend(list.details.clone());
        crate::output::outln!("{}", crate::neutralise::json_line(&out)?);
    } else {
        print_checks(&list);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn print_checks(list: &Checklist) {
    for c in &list.checks {
        let tag = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        };
        let message = crate::neutralise::safe_lines(&c.message);
        crate::output::outln!("{tag}  {:<9} {message}", c.name);
        if let Some(fix) = &c.fix {
            crate::output::outln!(
                "                fix: {}",
                crate::neutralise::safe_lines(fix)
            );
        }
    }
}

async fn diagnose(args: &DoctorArgs, list: &mut Checklist) {
    let api_url = locate::api_url(&args.upstream.api);
    let hosts = locate::github_hosts(&api_url);
    // The local checks first: they need neither a token nor the network.
    let checkout = local_checks(list, &hosts, args.upstream.workflow.workflow.as_deref());
    let config = checkout
        .as_ref()
        .map_or_else(Config::default, |c| c.config.clone());
    let workflow_file = args.upstream.workflow.file_or(&config.workflow);
    let Some(gh) = github_check(list, &api_url).await else {
        return;
    };
    let Some(checkout) = checkout else { return };
    if checkout.github_remotes.is_empty() && args.upstream.repo.is_none() {
        return;
    }
    let upstream = match locate::upstream(&gh, &checkout, args.upstream.repo.as_deref()).await {
        Ok(u) => {
            list.ok("upstream", format!("{} (from {})", u.repo, u.source));
            u.repo
        }
        Err(e) => {
            return list.fail(
                "upstream",
                format!("{e:#}"),
                "pass --upstream OWNER/NAME or set `upstream` in rerecord.toml",
            );
        }
    };
    check_dispatch(args, list, &gh, &checkout, &upstream, &workflow_file).await;
}

/// The checks of this checkout alone: inside a repository, a valid config, GitHub remotes, the
/// recording workflow's file. `None` when the config is broken.
fn local_checks(
    list: &mut Checklist,
    hosts: &crate::remotes::GitHubHosts,
    workflow: Option<&str>,
) -> Option<Checkout> {
    let checkout = match Checkout::open(hosts) {
        Ok(c) => c,
        Err(e) => {
            list.fail(
                "config",
                format!("{e:#}"),
                "fix the file named above (unknown keys are rejected)",
            );
            return None;
        }
    };
    let Some(root) = checkout.root() else {
        list.fail(
            "checkout",
            "not inside a git repository: the config, remotes and workflow file are not checked",
            "run rerecord in your project's clone (schedule also takes --upstream and --branch)",
        );
        return Some(checkout);
    };
    match &checkout.config.path {
        Some(p) => list.ok("config", format!("{} is valid", p.display())),
        None => list.ok(
            "config",
            "no rerecord.toml; using the defaults (llama-stack layout)",
        ),
    }
    if checkout.github_remotes.is_empty() {
        list.fail(
            "remotes",
            "no git remote points at GitHub",
            "add one: git remote add origin https://github.com/OWNER/NAME.git",
        );
    } else {
        let shown: Vec<String> = checkout
            .github_remotes
            .iter()
            .map(|(r, repo)| format!("{} -> {repo}", r.name))
            .collect();
        list.ok("remotes", shown.join(", "));
    }
    let file = workflow.unwrap_or(&checkout.config.workflow);
    let path = root.join(".github/workflows").join(file);
    match std::fs::read_to_string(&path) {
        Ok(text) => match crate::workflow::dispatch_trigger(&text) {
            Ok(Some(t)) => list.ok(
                "file",
                format!(".github/workflows/{file}: {}", accepted(&t)),
            ),
            Ok(None) => list.fail(
                "file",
                format!(".github/workflows/{file} has no workflow_dispatch trigger"),
                "add `workflow_dispatch:` under `on:` (see workflows/record-integration-tests.yml)",
            ),
            Err(e) => list.fail(
                "file",
                format!(".github/workflows/{file}: {e:#}"),
                "fix the YAML",
            ),
        },
        Err(_) => list.warn(
            "file",
            format!("no .github/workflows/{file} in this checkout"),
            "run `rerecord init` to write it, or name yours with --workflow FILE",
        ),
    }
    Some(checkout)
}

/// The token and the API: `None` when either fails (the failure is on the list).
async fn github_check(list: &mut Checklist, api_url: &str) -> Option<GitHub> {
    let bad_url = |list: &mut Checklist, e: anyhow::Error| {
        list.fail(
            "github",
            format!("{e:#}"),
            "check --api-url / GITHUB_API_URL",
        );
    };
    let host = match locate::github_host(api_url) {
        Ok(host) => host,
        Err(e) => {
            bad_url(list, e);
            return None;
        }
    };
    let Some((tok, source)) = token::discover_for(&host.gh_hostname()) else {
        list.fail(
            "token",
            "no GitHub token found",
            "set GH_TOKEN (or GITHUB_TOKEN), or run `gh auth login`",
        );
        return None;
    };
    list.ok("token", format!("found in {source}"));
    let gh = match GitHub::new(api_url, &tok) {
        Ok(gh) => gh,
        Err(e) => {
            bad_url(list, e);
            return None;
        }
    };
    match gh.user().await {
        Ok((user, scopes)) => {
            let scopes_note = match &scopes {
                Some(s) if !s.trim().is_empty() => format!("; scopes: {s}"),
                _ => String::new(),
            };
            list.ok(
                "github",
                format!(
                    "{} accepts the token: authenticated as {}{scopes_note}",
                    gh.api_url(),
                    user.login
                ),
            );
            // A classic token needs `repo` to dispatch a workflow (GitHub's REST reference for
            // "Create a workflow dispatch event"); `workflow` alone only lets it push workflow
            // files.
            if let Some(s) = scopes.filter(|s| !s.trim().is_empty())
                && !s.split(',').any(|x| x.trim() == "repo")
            {
                list.warn(
                    "github",
                    format!("the token's scopes ({s}) lack `repo`, which dispatching a workflow needs"),
                    "add it: gh auth refresh -s repo (or create a classic token with the `repo` scope, or a fine-grained one with Actions: write)",
                );
            }
            Some(gh)
        }
        Err(e) => {
            let fix = match crate::github::net_error::NetProblem::of_message(&e.message)
                .filter(|_| e.status.is_none())
            {
                Some(problem) => problem.next_step().to_owned(),
                None => "check that the token is valid and not expired (gh auth status)".to_owned(),
            };
            list.fail("github", format!("{e:#}"), fix);
            None
        }
    }
}

/// `doctor`'s local checks, printed as `doctor` prints them (for `rerecord init`).
pub(crate) fn print_local_checks(workflow: Option<&str>) {
    let mut list = Checklist::default();
    let hosts = locate::github_hosts(crate::github::DEFAULT_API_URL);
    local_checks(&mut list, &hosts, workflow);
    print_checks(&list);
}

/// The shared preflight, as `schedule` runs it: branch, PR, where the run goes, the workflow
/// there and the inputs a plain dispatch would send.
async fn check_dispatch(
    args: &DoctorArgs,
    list: &mut Checklist,
    gh: &GitHub,
    checkout: &Checkout,
    upstream: &RepoName,
    file: &str,
) {
    let branch = match checkout.branch(None) {
        Ok(b) => b,
        Err(e) => {
            return list.fail(
                "branch",
                format!("{e:#}"),
                "check out the branch you want to record",
            );
        }
    };
    let g = match preflight::gather(gh, upstream, checkout, &branch, file, args.dispatch_in).await {
        Ok(g) => g,
        Err(e) => {
            return list.fail(
                "branch",
                format!("{e:#}"),
                "retry; check the token's access to these repositories",
            );
        }
    };
    let local_head = checkout.local_head_of(&branch);
    check_branch(list, &g, &branch, local_head);
    let pr = check_pr(list, &g, upstream, &branch, local_head);
    let overrides = &checkout.config.input_names;
    let target = match preflight::target(
        gh,
        &g,
        upstream,
        &branch,
        pr.as_ref(),
        args.dispatch_in,
        file,
        overrides,
    )
    .await
    {
        Ok(t) => t,
        Err(e) => return refused(list, "dispatch", &e),
    };
    for n in &target.notes {
        list.warn(
            "pr",
            n.clone(),
            "schedule goes on; check that this is the PR you mean",
        );
    }
    list.ok(
        "dispatch",
        format!(
            "in {} on {} ({}): {}",
            target.repo,
            target.git_ref,
            mode_name(target.mode),
            target.why
        ),
    );
    list.details.insert(
        "dispatch".into(),
        serde_json::json!({"mode": target.mode, "repo": target.repo.to_string(), "ref": target.git_ref, "why": target.why}),
    );
    let trigger = match preflight::workflow(gh, &g, &target, file, upstream).await {
        Ok(t) => t,
        Err(e) => return refused(list, "workflow", &e),
    };
    list.ok("workflow", format!("{file} is active on {}", target.repo));
    list.ok("inputs", accepted(&trigger));
    check_mapping(list, &trigger, &checkout.config, &target, file);
}

/// A refusal from the shared preflight becomes a failed check with its fix; anything else
/// (the API failing) a failed `check`.
fn refused(list: &mut Checklist, check: &'static str, e: &anyhow::Error) {
    match e.downcast_ref::<PreflightFailure>() {
        Some(r) => list.fail(r.check, r.message.clone(), r.fix.clone()),
        None => list.fail(check, format!("{e:#}"), "retry; check the token's access"),
    }
}

fn mode_name(mode: DispatchIn) -> &'static str {
    match mode {
        DispatchIn::Head => "head",
        DispatchIn::Upstream => "upstream",
    }
}

fn check_branch(list: &mut Checklist, g: &Gathered, branch: &str, local_head: Option<&str>) {
    // Nothing pushed: the dispatch check below says what that means.
    let Some((repo, sha)) = g.branch_on.iter().find(|(_, sha)| sha.is_some()) else {
        return;
    };
    match local_head {
        Some(local) if sha.as_deref() != Some(local) => list.warn(
            "branch",
            format!("{branch} on {repo} is not your local HEAD: a recording run would record the pushed commit"),
            "git push (or pull) so both agree",
        ),
        _ => list.ok("branch", format!("{branch} is pushed to {repo} and in sync")),
    }
}

/// The PR `schedule` would use (for an ambiguous choice, the one its prompt offers first).
fn check_pr(
    list: &mut Checklist,
    g: &Gathered,
    upstream: &RepoName,
    branch: &str,
    local_head: Option<&str>,
) -> Option<PullRequest> {
    match locate::choose_pr(&g.prs, local_head) {
        PrChoice::One { pr, .. } => {
            list.ok("pr", locate::describe_pr(&pr));
            Some(pr)
        }
        PrChoice::None => {
            list.warn("pr", format!("no pull request on {upstream} for {branch}"), "open one (gh pr create) so recordings land on it; schedule still works on a pushed branch");
            None
        }
        PrChoice::Ambiguous(prs) => {
            let numbers: Vec<String> = prs.iter().map(|p| format!("#{}", p.number)).collect();
            list.warn("pr", format!("several pull requests match: {}", numbers.join(", ")), "schedule will ask which one (or fail without a terminal); checked below with the first");
            prs.into_iter().next()
        }
    }
}

/// The option -> input mapping `schedule` will use, and what a plain `rerecord schedule`
/// (no options typed) would send, or why it would be refused.
fn check_mapping(
    list: &mut Checklist,
    trigger: &DispatchTrigger,
    config: &Config,
    target: &Target,
    file: &str,
) {
    let mapping = inputs::map(trigger, &config.input_names);
    list.ok("mapping", mapping.describe());
    list.details.insert("mapping".into(), mapping.to_json());
    let wanted = Wanted {
        defaults: config.defaults.clone(),
        pr_number: target.pr_number,
        head_sha: target.remote_sha.clone(),
        ..Wanted::default()
    };
    match inputs::resolve(trigger, &mapping, &wanted, file, &target.git_ref) {
        Ok(sent) => {
            let shown: Vec<String> = sent.iter().map(|(k, v)| format!("{k}={v}")).collect();
            list.ok(
                "sends",
                if shown.is_empty() {
                    "a plain `rerecord schedule` sends no inputs: the workflow's defaults apply"
                        .to_owned()
                } else {
                    format!("a plain `rerecord schedule` sends {}", shown.join(" "))
                },
            );
            list.details
                .insert("inputs".into(), serde_json::json!(sent));
        }
        Err(e) => {
            let why = match e.downcast_ref::<inputs::InputProblems>() {
                Some(p) => p.0.join("; "),
                None => format!("{e:#}"),
            };
            list.warn(
                "sends",
                format!("a plain `rerecord schedule` would be refused: {why}"),
                "pass what the workflow requires (-f NAME=VALUE), or fix [inputs]/[defaults] in rerecord.toml",
            );
        }
    }
}

fn accepted(trigger: &DispatchTrigger) -> String {
    let inputs: Vec<String> = trigger
        .inputs
        .values()
        .map(|i| {
            let kind = match &i.kind {
                InputKind::Choice(opts) => format!("choice: {}", opts.join("|")),
                InputKind::Boolean => "boolean".into(),
                InputKind::Number => "number".into(),
                InputKind::Environment => "environment".into(),
                InputKind::String => "string".into(),
            };
            format!(
                "{} ({kind}{})",
                i.name,
                if i.required && !i.has_default {
                    ", required"
                } else {
                    ""
                }
            )
        })
        .collect();
    if inputs.is_empty() {
        "declares no inputs".to_owned()
    } else {
        format!("accepts {}", inputs.join(", "))
    }
}
