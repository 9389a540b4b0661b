//! Dispatch validation and answers, run progression and filters, pull request filters and
//! contents at refs.

use serde_json::{Value, json};

use super::client::{Resp, get, post};
use super::world;
use crate::support::fake_github::{DispatchMode, FakeGitHub, PrSpec, PrState};

fn dispatch(gh: &FakeGitHub, workflow: &str, body: Value) -> Resp {
    post(
        gh,
        &format!("/repos/acme/widgets/actions/workflows/{workflow}/dispatches"),
        body,
    )
}

#[test]
fn dispatch_answers_run_details_or_no_content_and_rejects_what_github_rejects() {
    let w = world();
    let gh = &w.gh;
    let ok = dispatch(
        gh,
        "record.yml",
        json!({"ref": "feature/x", "inputs": {"suite": "vision"}, "return_run_details": true}),
    );
    assert_eq!(ok.status, 200);
    let id = ok.json()["workflow_run_id"].as_u64().unwrap();
    assert_eq!(
        ok.json()["run_url"],
        format!("{}/repos/acme/widgets/actions/runs/{id}", gh.url())
    );
    let run = gh
        .runs("acme/widgets")
        .into_iter()
        .find(|r| r.id == id)
        .unwrap();
    assert_eq!(
        (run.spec.head_branch.as_str(), run.spec.head_sha.as_str()),
        ("feature/x", "b".repeat(40).as_str())
    );
    assert_eq!(
        (run.spec.status.as_str(), run.inputs.clone()),
        ("queued", json!({"suite": "vision"}))
    );
    assert_eq!(
        dispatch(gh, "record.yml", json!({"ref": "main"})).status,
        204
    );
    // Asking for run details: a GitHub without them answers 204, an older one refuses the field.
    for (mode, status) in [
        (DispatchMode::NoContent, 204),
        (DispatchMode::RejectsRunDetails, 422),
    ] {
        gh.set_dispatch_mode(mode);
        let body = json!({"ref": "main", "return_run_details": true});
        assert_eq!(dispatch(gh, "record.yml", body).status, status);
    }
    gh.set_dispatch_mode(DispatchMode::RunDetails);

    add_workflows_to_reject(gh);
    let rejected = rejected_dispatches();
    let before = gh.runs("acme/widgets").len();
    for (workflow, body, status, message) in rejected {
        let resp = dispatch(gh, workflow, body);
        assert_eq!(resp.status, status, "{workflow}");
        let got = resp.json()["message"].as_str().unwrap().to_string();
        assert!(got.contains(message), "{workflow}: {got}");
    }
    assert_eq!(
        gh.runs("acme/widgets").len(),
        before,
        "rejected dispatches create no run"
    );
}

/// Workflows a dispatch must be refused for: disabled, without `workflow_dispatch`, with a
/// required input.
fn add_workflows_to_reject(gh: &FakeGitHub) {
    gh.add_workflow("acme/widgets", "off.yml", "disabled_manually");
    gh.add_workflow_file("acme/widgets", "push.yml", &["main"], "on: push\n");
    let strict = "on:\n  workflow_dispatch:\n    inputs:\n      model:\n        required: true\n";
    gh.add_workflow_file("acme/widgets", "strict.yml", &["main"], strict);
}

/// Dispatches GitHub rejects: (workflow, body, status, part of the message).
fn rejected_dispatches() -> [(&'static str, Value, u16, &'static str); 7] {
    let many: serde_json::Map<String, Value> =
        (0..26).map(|i| (format!("i{i}"), json!("v"))).collect();
    [
        ("missing.yml", json!({"ref": "main"}), 404, "Not Found"),
        ("off.yml", json!({"ref": "main"}), 422, "disabled workflow"),
        (
            "record.yml",
            json!({"ref": "nope"}),
            422,
            "No ref found for: nope",
        ),
        (
            "push.yml",
            json!({"ref": "main"}),
            422,
            "does not have 'workflow_dispatch' trigger",
        ),
        (
            "record.yml",
            json!({"ref": "main", "inputs": {"suite": "x", "model": "y"}}),
            422,
            "Unexpected inputs provided: [\"model\"]",
        ),
        (
            "strict.yml",
            json!({"ref": "main"}),
            422,
            "Required input 'model' not provided",
        ),
        (
            "record.yml",
            json!({"ref": "main", "inputs": many}),
            422,
            "up to 25",
        ),
    ]
}

#[test]
fn dispatched_runs_progress_as_they_are_polled_and_list_newest_first() {
    let w = world();
    w.gh.set_run_progress(3, "failure");
    let ok = dispatch(
        &w.gh,
        "record.yml",
        json!({"ref": "main", "return_run_details": true}),
    );
    let id = ok.json()["workflow_run_id"].as_u64().unwrap();
    let listed = get(
        &w.gh,
        "/repos/acme/widgets/actions/workflows/record.yml/runs?event=workflow_dispatch",
    );
    assert_eq!(listed.json()["total_count"], 1);
    assert_eq!(listed.json()["workflow_runs"][0]["status"], "queued");
    let polls: Vec<(String, Value)> = (0..4)
        .map(|_| {
            let run = get(&w.gh, &format!("/repos/acme/widgets/actions/runs/{id}")).json();
            (
                run["status"].as_str().unwrap().to_string(),
                run["conclusion"].clone(),
            )
        })
        .collect();
    let expected = [
        ("in_progress", Value::Null),
        ("in_progress", Value::Null),
        ("completed", json!("failure")),
        ("completed", json!("failure")),
    ];
    assert_eq!(polls, expected.map(|(s, c)| (s.to_string(), c)));
    let all = get(&w.gh, "/repos/acme/widgets/actions/runs").json();
    let ids: Vec<u64> = all["workflow_runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [id, w.run], "newest first");
    let by_branch = get(
        &w.gh,
        "/repos/acme/widgets/actions/runs?branch=fix&status=success",
    )
    .json();
    assert_eq!(by_branch["total_count"], 1);
    assert_eq!(
        by_branch["workflow_runs"][0]["pull_requests"][0]["number"],
        w.pr
    );
    assert_eq!(
        by_branch["workflow_runs"][0]["head_repository"]["full_name"],
        "alice/widgets"
    );
    let future = get(
        &w.gh,
        "/repos/acme/widgets/actions/runs?created=%3E%3D2999-01-01",
    )
    .json();
    assert_eq!(future["total_count"], 0);
}

#[test]
fn pulls_filter_by_head_owner_and_state_and_show_deleted_forks_and_merges() {
    let w = world();
    let gh = &w.gh;
    let mut merged = PrSpec::open("acme/widgets", "bob/widgets", "fix", &"d".repeat(40));
    merged.state = PrState::Merged;
    let merged = gh.add_pr(merged);
    let mut gone = PrSpec::open("acme/widgets", "carol/widgets", "wip", &"e".repeat(40));
    gone.head_repo = None;
    let gone = gh.add_pr(gone);
    let numbers = |q: &str| -> Vec<u64> {
        get(gh, &format!("/repos/acme/widgets/pulls?{q}"))
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["number"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(numbers("head=alice:fix"), [w.pr]);
    assert_eq!(
        numbers("head=bob:fix"),
        Vec::<u64>::new(),
        "merged PRs are not open"
    );
    assert_eq!(numbers("head=bob:fix&state=all"), [merged]);
    let closed = get(gh, "/repos/acme/widgets/pulls?head=bob:fix&state=closed").json();
    assert_eq!(closed[0]["state"], "closed");
    assert!(closed[0]["merged_at"].is_string());
    let single = get(gh, &format!("/repos/acme/widgets/pulls/{merged}")).json();
    assert_eq!(
        (
            single["merged"].clone(),
            single["maintainer_can_modify"].clone()
        ),
        (json!(true), json!(true))
    );
    let deleted = get(gh, &format!("/repos/acme/widgets/pulls/{gone}")).json();
    assert!(deleted["head"]["repo"].is_null());
    assert_eq!(get(gh, "/repos/acme/widgets/pulls?state=bogus").status, 422);
}

#[test]
fn contents_resolve_multi_segment_paths_at_branches_and_shas() {
    let w = world();
    let gh = &w.gh;
    gh.set_file(
        "acme/widgets",
        "main",
        "tests/integration/recordings/a b.json",
        "{}\n",
    );
    let at_sha = get(
        gh,
        &format!(
            "/repos/acme/widgets/contents/tests/integration/recordings/a%20b.json?ref={}",
            "a".repeat(40)
        ),
    );
    assert_eq!(at_sha.status, 200);
    let content = at_sha.json()["content"].as_str().unwrap().replace('\n', "");
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(content)
            .unwrap(),
        b"{}\n"
    );
    assert_eq!(
        at_sha.json()["path"],
        "tests/integration/recordings/a b.json"
    );
    let other_branch = get(
        gh,
        "/repos/acme/widgets/contents/tests/integration/recordings/a%20b.json?ref=feature/x",
    );
    assert_eq!(
        other_branch.status, 404,
        "files live at the ref they were set on"
    );
    let unknown_ref = get(gh, "/repos/acme/widgets/contents/README.md?ref=nope");
    assert!(
        unknown_ref.json()["message"]
            .as_str()
            .unwrap()
            .contains("No commit found")
    );
}

#[test]
fn runs_carry_the_display_title_github_would_compute() {
    let w = world();
    // Quoted: in YAML a ` #` starts a comment.
    let titled = format!(
        "{RECORD_YML_HEAD}run-name: 'Record PR #${{{{ inputs.pr_number }}}} at ${{{{ github.event.inputs.head_sha }}}} (${{{{ inputs.suite }}}})'\n{RECORD_YML_ON}"
    );
    w.gh.set_workflow_file("acme/widgets", "main", "record.yml", &titled);
    let sha = "d".repeat(40);
    let ok = dispatch(
        &w.gh,
        "record.yml",
        json!({"ref": "main", "inputs": {"pr_number": "7", "head_sha": sha}, "return_run_details": true}),
    );
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let id = ok.json()["workflow_run_id"].as_u64().unwrap();
    let run = get(&w.gh, &format!("/repos/acme/widgets/actions/runs/{id}")).json();
    assert_eq!(run["display_title"], format!("Record PR #7 at {sha} ()"));
    // Without a run-name, the workflow's name; a pull_request run shows its PR's title.
    let plain = dispatch(
        &w.gh,
        "record.yml",
        json!({"ref": "feature/x", "return_run_details": true}),
    );
    let id = plain.json()["workflow_run_id"].as_u64().unwrap();
    let run = get(&w.gh, &format!("/repos/acme/widgets/actions/runs/{id}")).json();
    assert_eq!(run["display_title"], "Record tests");
    let pr_run = get(
        &w.gh,
        &format!("/repos/acme/widgets/actions/runs/{}", w.run),
    )
    .json();
    let pr = get(&w.gh, &format!("/repos/acme/widgets/pulls/{}", w.pr)).json();
    assert_eq!(pr_run["display_title"], pr["title"]);
}

const RECORD_YML_HEAD: &str = "name: Record tests\n";
const RECORD_YML_ON: &str = "on:\n  workflow_dispatch:\n    inputs:\n      pr_number:\n        required: false\n      head_sha:\n        required: false\n      suite:\n        required: false\n";
