//! `rerecord doctor`: a checklist of everything `schedule` depends on, each line ok/warn/fail
//! with the fix, so a broken set-up is found before a workflow run is wasted.

use std::process::ExitCode;

use serde::Serialize;

use crate::cli::DoctorArgs;
use crate::commands::locate::{self, Checkout, PrChoice};
use crate::config::Config;
use crate::github::GitHub;
use crate::remotes::RepoName;
use crate::token;
use crate::workflow::{InputKind, dispatch_trigger};

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
struct Checklist(Vec<Check>);

impl Checklist {
    fn push(
        &mut self,
        name: &'static str,
        status: Status,
        message: impl Into<String>,
        fix: Option<String>,
    ) {
        self.0.push(Check {
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
    let failed = list.0.iter().any(|c| c.status == Status::Fail);
    if args.json {
        let out = serde_json::json!({ "ok": !failed, "checks": list.0 });
        println!("{out}");
    } else {
        for c in &list.0 {
            let tag = match c.status {
                Status::Ok => "ok  ",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            println!("{tag}  {:<9} {}", c.name, c.message);
            if let Some(fix) = &c.fix {
                println!("                fix: {fix}");
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn diagnose(args: &DoctorArgs, list: &mut Checklist) {
    let api_url = locate::api_url(&args.api);
    let hosts = locate::github_hosts(&api_url);

    let checkout = match Checkout::open(&hosts) {
        Ok(c) => {
            match &c.config.path {
                Some(p) => list.ok("config", format!("{} is valid", p.display())),
                None => list.ok(
                    "config",
                    "no rerecord.toml; using the defaults (llama-stack layout)",
                ),
            }
            Some(c)
        }
        Err(e) => {
            list.fail(
                "config",
                format!("{e:#}"),
                "fix the file named above (unknown keys are rejected)",
            );
            None
        }
    };
    let config = checkout
        .as_ref()
        .map_or_else(Config::default, |c| c.config.clone());
    let workflow_file = args
        .workflow
        .clone()
        .unwrap_or_else(|| config.workflow.clone());

    let Some((tok, source)) = token::discover() else {
        list.fail(
            "token",
            "no GitHub token found",
            "set GH_TOKEN (or GITHUB_TOKEN), or run `gh auth login`",
        );
        return;
    };
    list.ok("token", format!("found in {source}"));
    let gh = match GitHub::new(&api_url, &tok) {
        Ok(gh) => gh,
        Err(e) => {
            return list.fail(
                "github",
                format!("{e:#}"),
                "check --api-url / GITHUB_API_URL",
            );
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
            if let Some(s) = scopes.filter(|s| !s.trim().is_empty()) {
                let has = |scope: &str| s.split(',').any(|x| x.trim() == scope);
                if !has("workflow") && !has("repo") {
                    list.warn(
                        "github",
                        "the token has neither the `repo` nor the `workflow` scope",
                        "create a token with the `workflow` scope (gh auth refresh -s workflow)",
                    );
                }
            }
        }
        Err(e) => {
            return list.fail(
                "github",
                format!("{e}"),
                "check that the token is valid and not expired (gh auth status)",
            );
        }
    }

    let Some(checkout) = checkout else { return };
    if checkout.github_remotes.is_empty() {
        list.fail(
            "remotes",
            "no git remote points at GitHub",
            "add one: git remote add origin https://github.com/OWNER/NAME.git",
        );
        if args.repo.is_none() {
            return;
        }
    } else {
        let shown: Vec<String> = checkout
            .github_remotes
            .iter()
            .map(|(r, repo)| format!("{} -> {repo}", r.name))
            .collect();
        list.ok("remotes", shown.join(", "));
    }
    let upstream = match locate::upstream(&gh, &checkout, args.repo.as_deref()).await {
        Ok(u) => {
            list.ok("upstream", format!("{} (from {})", u.repo, u.source));
            u.repo
        }
        Err(e) => {
            return list.fail(
                "upstream",
                format!("{e:#}"),
                "pass --repo OWNER/NAME or set `upstream` in rerecord.toml",
            );
        }
    };

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
    let lookups = match locate::look_up(&gh, &upstream, &checkout, &branch).await {
        Ok(l) => l,
        Err(e) => {
            return list.fail(
                "branch",
                format!("{e:#}"),
                "retry; check the token's access to these repositories",
            );
        }
    };
    let pushed: Vec<&(RepoName, Option<String>)> = lookups
        .branch_on
        .iter()
        .filter(|(_, sha)| sha.is_some())
        .collect();
    match pushed.first() {
        None => list.warn("branch", format!("{branch} is on no GitHub remote"), format!("git push -u origin {branch}")),
        Some((repo, sha)) if sha.as_deref() != checkout.head.as_deref() => list.warn(
            "branch",
            format!("{branch} on {repo} is not your local HEAD: a recording run would record the pushed commit"),
            "git push (or pull) so both agree",
        ),
        Some((repo, _)) => list.ok("branch", format!("{branch} is pushed to {repo} and in sync")),
    }

    let target = match locate::choose_pr(&lookups.prs, checkout.head.as_deref()) {
        PrChoice::One { pr, .. } => {
            list.ok("pr", locate::describe_pr(&pr));
            pr.head_repo.and_then(|r| RepoName::parse(&r).ok())
        }
        PrChoice::None => {
            list.warn("pr", format!("no pull request on {upstream} for {branch}"), "open one (gh pr create) so recordings land on it; schedule still works on a pushed branch");
            None
        }
        PrChoice::Ambiguous(prs) => {
            let numbers: Vec<String> = prs.iter().map(|p| format!("#{}", p.number)).collect();
            list.warn("pr", format!("several pull requests match: {}", numbers.join(", ")), "schedule will ask which one (or fail without a terminal)");
            None
        }
    }
    .or_else(|| pushed.first().map(|(r, _)| r.clone()))
    .unwrap_or(upstream.clone());

    // An unpushed branch has no copy of the workflow on GitHub yet: show what the default
    // branch's copy accepts instead.
    let git_ref = if pushed.is_empty() {
        match gh.repository(&target).await {
            Ok(Some(repo)) => repo.default_branch.unwrap_or_else(|| "main".to_owned()),
            Ok(None) => {
                return list.fail(
                    "workflow",
                    format!("repository {target} was not found"),
                    "check the remotes and the token's access",
                );
            }
            Err(e) => {
                return list.fail(
                    "workflow",
                    format!("{e}"),
                    "retry; check the token's access",
                );
            }
        }
    } else {
        branch
    };
    check_workflow(&gh, list, &target, &workflow_file, &git_ref).await;
}

async fn check_workflow(
    gh: &GitHub,
    list: &mut Checklist,
    target: &RepoName,
    file: &str,
    branch: &str,
) {
    let path = format!(".github/workflows/{file}");
    let (workflow, at_branch) =
        match tokio::try_join!(gh.workflow(target, file), gh.file_at(target, &path, branch)) {
            Ok(pair) => pair,
            Err(e) => {
                return list.fail(
                    "workflow",
                    format!("{e}"),
                    "retry; check the token's access",
                );
            }
        };
    match &workflow {
        None => list.fail(
            "workflow",
            format!("{file} is not on the default branch of {target} (GitHub only dispatches workflows that are)"),
            format!("merge {path} into the default branch of {target} (for a fork: gh repo sync {target})"),
        ),
        Some(w) if w.state == "active" => list.ok("workflow", format!("{file} is active on {target}")),
        Some(w) => list.fail(
            "workflow",
            format!("{file} on {target} is {}", w.state),
            format!("enable it at {}", gh.workflow_runs_page(target, file)),
        ),
    }
    match at_branch.as_deref().map(dispatch_trigger) {
        None => list.fail(
            "inputs",
            format!("{path} is not on {branch}"),
            format!("merge the default branch into {branch}"),
        ),
        Some(Err(e)) => list.fail(
            "inputs",
            format!("{path} at {branch}: {e:#}"),
            "fix the YAML",
        ),
        Some(Ok(None)) => list.fail(
            "inputs",
            format!("{path} at {branch} has no workflow_dispatch trigger"),
            "add `workflow_dispatch:` under `on:`",
        ),
        Some(Ok(Some(trigger))) => {
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
            list.ok(
                "inputs",
                if inputs.is_empty() {
                    "declares no inputs".to_owned()
                } else {
                    format!("accepts {}", inputs.join(", "))
                },
            );
        }
    }
}
