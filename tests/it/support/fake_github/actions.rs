//! Actions endpoints: workflows, dispatch (validated against the workflow file at the ref, as
//! GitHub does), runs (filtered, newest first, progressing as they are polled), jobs, artifacts
//! and the artifact download redirect.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use super::pagination::paged_reply;
use super::server::{Reply, Req};
use super::state::{Repo, Run, State};
use super::{DispatchMode, JOB_TOKEN_USER, RunSpec, USER, render, storage, workflow_file};

const DISPATCH_DOCS: &str =
    "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event";

pub(crate) fn route(st: &mut State, req: &Req, full: &str, rest: &[&str]) -> Reply {
    if matches!(rest, ["runs", _, "artifacts"] | ["artifacts", _, _]) {
        st.sync_act_artifacts(full);
    }
    match (req.method.as_str(), rest) {
        ("GET", ["workflows", wf]) => get_workflow(st, full, wf),
        ("POST", ["workflows", wf, "dispatches"]) => dispatch(st, req, full, wf),
        ("GET", ["workflows", wf, "runs"]) => {
            let repo = st.repo(full).expect("checked");
            match repo.workflow(wf) {
                Some(w) => list_runs(st, req, full, Some(w.id)),
                None => Reply::not_found(),
            }
        }
        ("GET", ["runs"]) => list_runs(st, req, full, None),
        ("GET", ["runs", id]) => get_run(st, full, id),
        ("GET", ["runs", id, "jobs"]) => list_jobs(st, req, full, id),
        ("GET", ["runs", id, "artifacts"]) => list_artifacts(st, req, full, id),
        ("GET", ["artifacts", id, format]) => download(st, full, id, format),
        _ => Reply::not_found(),
    }
}

/// The workflow's display name: its `name:` on the default branch, else its path.
fn workflow_name(repo: &Repo, file: &str) -> String {
    let path = format!(".github/workflows/{file}");
    repo.file_at(&repo.default_branch, &path)
        .and_then(|b| workflow_file::parse(&String::from_utf8_lossy(b)))
        .and_then(|w| w.name)
        .unwrap_or(path)
}

fn get_workflow(st: &State, full: &str, wf: &str) -> Reply {
    let repo = st.repo(full).expect("checked");
    match repo.workflow(wf) {
        Some(w) => Reply::json(
            200,
            render::workflow(st, repo, w, &workflow_name(repo, &w.file)),
        ),
        None => Reply::not_found(),
    }
}

fn dispatch(st: &mut State, req: &Req, full: &str, wf: &str) -> Reply {
    let repo = st.repo(full).expect("checked");
    let Some(w) = repo.workflow(wf) else {
        return Reply::not_found();
    };
    let file = w.file.clone();
    let body = req.body.clone().unwrap_or(Value::Null);
    let Some(git_ref) = body.get("ref").and_then(Value::as_str) else {
        return Reply::error(
            422,
            "Invalid request.\n\n\"ref\" wasn't supplied.",
            DISPATCH_DOCS,
        );
    };
    let inputs = body.get("inputs").cloned().unwrap_or_else(|| json!({}));
    let Some(given) = inputs.as_object() else {
        return Reply::error(
            422,
            "Invalid request.\n\nFor 'properties/inputs', \"x\" is not an object.",
            DISPATCH_DOCS,
        );
    };
    let run_details = body.get("return_run_details").and_then(Value::as_bool);
    if run_details.is_some() && st.dispatch_mode == DispatchMode::RejectsRunDetails {
        return Reply::error(
            422,
            "Invalid request.\n\n\"return_run_details\" is not a permitted key.",
            DISPATCH_DOCS,
        );
    }
    if given.len() > 25 {
        return Reply::error(
            422,
            "you may only define up to 25 `inputs` for a `workflow_dispatch` event",
            DISPATCH_DOCS,
        );
    }
    if w.state != "active" {
        return Reply::error(
            422,
            "Cannot trigger a 'workflow_dispatch' on a disabled workflow",
            DISPATCH_DOCS,
        );
    }
    let branch = git_ref
        .strip_prefix("refs/heads/")
        .unwrap_or(git_ref)
        .to_string();
    let Some(sha) = repo.branches.get(&branch).cloned() else {
        return Reply::error(422, &format!("No ref found for: {git_ref}"), DISPATCH_DOCS);
    };
    let parsed = repo
        .file_at(&branch, &format!(".github/workflows/{file}"))
        .and_then(|b| workflow_file::parse(&String::from_utf8_lossy(b)));
    let run_name = parsed.as_ref().and_then(|p| p.run_name.clone());
    let Some(declared) = parsed.and_then(|p| p.dispatch_inputs) else {
        return Reply::error(
            422,
            "Workflow does not have 'workflow_dispatch' trigger",
            DISPATCH_DOCS,
        );
    };
    if let Some(refusal) = check_inputs(given, &declared) {
        return refusal;
    }
    let spec = RunSpec {
        workflow: file,
        head_branch: branch,
        head_sha: sha,
        event: "workflow_dispatch".to_string(),
        status: "queued".to_string(),
        conclusion: None,
        created_at: Utc::now(),
        head_repository: String::new(),
        pull_requests: Vec::new(),
        display_title: run_name.map(|t| workflow_file::title_from(&t, &inputs)),
    };
    let id = start_run(st, full, spec, inputs);
    dispatched(st, full, id, run_details)
}

/// Adds the dispatched run, by the token's user, listed after the dispatch lag.
fn start_run(st: &mut State, full: &str, spec: RunSpec, inputs: Value) -> u64 {
    let id = st.add_run(full, spec, inputs, true);
    let actor = if st.job_token { JOB_TOKEN_USER } else { USER };
    let listed_from = std::time::Instant::now() + st.dispatch_lag;
    if let Some(run) = st.repo_mut(full).runs.iter_mut().find(|r| r.id == id) {
        run.actor = Some(actor.to_string());
        run.listed_from = Some(listed_from);
    }
    id
}

/// Refuses inputs the workflow does not declare, and a required one not given.
fn check_inputs(
    given: &serde_json::Map<String, Value>,
    declared: &[workflow_file::Input],
) -> Option<Reply> {
    let unexpected: Vec<&String> = given
        .keys()
        .filter(|k| !declared.iter().any(|d| &d.name == *k))
        .collect();
    if !unexpected.is_empty() {
        let list = serde_json::to_string(&unexpected).expect("serialize");
        return Some(Reply::error(
            422,
            &format!("Unexpected inputs provided: {list}"),
            DISPATCH_DOCS,
        ));
    }
    if let Some(missing) = declared
        .iter()
        .find(|d| d.required_without_default && !given.contains_key(&d.name))
    {
        return Some(Reply::error(
            422,
            &format!("Required input '{}' not provided", missing.name),
            DISPATCH_DOCS,
        ));
    }
    None
}

/// The reply to an accepted dispatch: the run's details when asked for and supported.
fn dispatched(st: &State, full: &str, id: u64, run_details: Option<bool>) -> Reply {
    if run_details == Some(true) && st.dispatch_mode == DispatchMode::RunDetails {
        let (api, web) = st.repo_urls(full);
        Reply::json(
            200,
            json!({
                "workflow_run_id": id,
                "run_url": format!("{api}/actions/runs/{id}"),
                "html_url": format!("{web}/actions/runs/{id}"),
            }),
        )
    } else {
        Reply::empty(204)
    }
}

/// `created` accepts GitHub's search syntax: `DATE`, `>=DATE`, `>DATE`, `<=DATE`, `<DATE`,
/// `A..B`, where DATE is a date or an RFC 3339 time.
fn created_matches(filter: &str, at: DateTime<Utc>) -> bool {
    fn parse(s: &str, end_of_day: bool) -> Option<DateTime<Utc>> {
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Some(t.with_timezone(&Utc));
        }
        let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
        let t = if end_of_day {
            d.and_hms_opt(23, 59, 59)?
        } else {
            d.and_hms_opt(0, 0, 0)?
        };
        Some(t.and_utc())
    }
    let check = |bound: Option<DateTime<Utc>>, ok: fn(DateTime<Utc>, DateTime<Utc>) -> bool| {
        bound.is_some_and(|b| ok(at, b))
    };
    if let Some(v) = filter.strip_prefix(">=") {
        check(parse(v, false), |a, b| a >= b)
    } else if let Some(v) = filter.strip_prefix("<=") {
        check(parse(v, true), |a, b| a <= b)
    } else if let Some(v) = filter.strip_prefix('>') {
        check(parse(v, true), |a, b| a > b)
    } else if let Some(v) = filter.strip_prefix('<') {
        check(parse(v, false), |a, b| a < b)
    } else if let Some((lo, hi)) = filter.split_once("..") {
        (lo == "*" || check(parse(lo, false), |a, b| a >= b))
            && (hi == "*" || check(parse(hi, true), |a, b| a <= b))
    } else {
        check(parse(filter, false), |a, b| a >= b) && check(parse(filter, true), |a, b| a <= b)
    }
}

/// The login that started `run`.
fn run_actor<'a>(repo: &'a Repo, run: &'a Run) -> &'a str {
    run.actor.as_deref().unwrap_or(repo.owner())
}

fn list_runs(st: &State, req: &Req, full: &str, workflow_id: Option<u64>) -> Reply {
    let repo = st.repo(full).expect("checked");
    let mut runs: Vec<&Run> = repo
        .runs
        .iter()
        .filter(|r| workflow_id.is_none_or(|w| r.workflow_id == w))
        .filter(|r| r.listed_from.is_none_or(|t| t <= std::time::Instant::now()))
        .filter(|r| req.q("actor").is_none_or(|a| run_actor(repo, r) == a))
        .filter(|r| req.q("event").is_none_or(|e| r.spec.event == e))
        .filter(|r| req.q("branch").is_none_or(|b| r.spec.head_branch == b))
        .filter(|r| req.q("head_sha").is_none_or(|s| r.spec.head_sha == s))
        .filter(|r| {
            req.q("status")
                .is_none_or(|s| r.spec.status == s || r.spec.conclusion.as_deref() == Some(s))
        })
        .filter(|r| {
            req.q("created")
                .is_none_or(|c| created_matches(c, r.spec.created_at))
        })
        .collect();
    runs.sort_by_key(|r| std::cmp::Reverse((r.spec.created_at, r.id)));
    paged_reply(runs, req, &st.page_base(), Some("workflow_runs"), |r| {
        render::run(st, repo, r, &workflow_name(repo, &r.spec.workflow))
    })
}

fn get_run(st: &mut State, full: &str, id: &str) -> Reply {
    let (polls_until_done, conclusion) = (st.progress_polls, st.progress_conclusion.clone());
    let repo = st.repo_mut(full);
    let Some(run) = repo.runs.iter_mut().find(|r| r.id.to_string() == id) else {
        return Reply::not_found();
    };
    if run.progresses && run.spec.status != "completed" {
        run.polls += 1;
        run.updated_at = Utc::now();
        if run.polls >= polls_until_done {
            run.spec.status = "completed".to_string();
            run.spec.conclusion = Some(conclusion);
        } else {
            run.spec.status = "in_progress".to_string();
        }
    }
    let repo = st.repo(full).expect("checked");
    let run = repo
        .runs
        .iter()
        .find(|r| r.id.to_string() == id)
        .expect("found");
    Reply::json(
        200,
        render::run(st, repo, run, &workflow_name(repo, &run.spec.workflow)),
    )
}

fn list_jobs(st: &State, req: &Req, full: &str, id: &str) -> Reply {
    let repo = st.repo(full).expect("checked");
    let Some(run) = repo.runs.iter().find(|r| r.id.to_string() == id) else {
        return Reply::not_found();
    };
    let name = workflow_name(repo, &run.spec.workflow);
    let jobs = run.jobs.iter().collect();
    paged_reply(jobs, req, &st.page_base(), Some("jobs"), |j| {
        render::job(st, repo, run, j, &name)
    })
}

fn list_artifacts(st: &State, req: &Req, full: &str, id: &str) -> Reply {
    let repo = st.repo(full).expect("checked");
    let Some(run) = repo.runs.iter().find(|r| r.id.to_string() == id) else {
        return Reply::not_found();
    };
    let artifacts: Vec<_> = repo
        .artifacts
        .iter()
        .filter(|a| a.run_id == run.id)
        .filter(|a| req.q("name").is_none_or(|n| a.name == n))
        .collect();
    paged_reply(artifacts, req, &st.page_base(), Some("artifacts"), |a| {
        render::artifact(st, repo, a)
    })
}

fn download(st: &State, full: &str, id: &str, format: &str) -> Reply {
    let repo = st.repo(full).expect("checked");
    let Some(artifact) = repo.artifacts.iter().find(|a| a.id.to_string() == id) else {
        return Reply::not_found();
    };
    if format != "zip" {
        return Reply::not_found();
    }
    if artifact.expired {
        return Reply::error(
            410,
            "Artifact has expired",
            "https://docs.github.com/rest/actions/artifacts#download-an-artifact",
        );
    }
    Reply::empty(302).header("location", storage::signed_url(st, artifact.id))
}
