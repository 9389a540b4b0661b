//! Every operation of the subset is driven over HTTP and its bodies are validated against the
//! 2022-11-28 schemas (Draft 4, `nullable` converted, formats ignored).

use serde_json::{Value, json};

use super::client::{Resp, get, patch, post, send, with_body};
use super::{World, world};
use crate::support::fake_github::FakeGitHub;

const SUBSET: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/github-api/openapi-subset.2022-11-28.json"
);

/// OpenAPI 3.0 `nullable: true` becomes Draft 4's `type: [T, "null"]` (or an `anyOf` with null
/// where there is no `type`), so null values GitHub documents as allowed validate.
fn denull(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.values_mut().for_each(denull);
            if o.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::Array(e)) = o.get_mut("enum") {
                    e.push(Value::Null);
                }
                match o.get("type").cloned() {
                    Some(Value::String(t)) => {
                        o.insert("type".into(), json!([t, "null"]));
                    }
                    _ => {
                        let inner = Value::Object(std::mem::take(o));
                        o.insert("anyOf".into(), json!([inner, {"type": "null"}]));
                    }
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(denull),
        _ => {}
    }
}

pub(super) struct Spec(Value);

impl Spec {
    fn load() -> Spec {
        Spec::load_file(SUBSET)
    }

    /// Another cut of the same description (e.g. `openapi-command.2022-11-28.json`).
    pub(super) fn load_file(path: &str) -> Spec {
        let text = std::fs::read_to_string(path).expect("read the 2022-11-28 subset");
        let mut doc: Value = serde_json::from_str(&text).expect("subset is JSON");
        denull(&mut doc);
        Spec(doc)
    }

    /// The response schema of `method path` for `status` ("basic-error" for unlisted 404s).
    fn schema(&self, path: &str, method: &str, status: u16) -> Value {
        let responses = &self.0["paths"][path][method]["responses"];
        assert!(
            responses.is_object(),
            "{method} {path} is not in the subset"
        );
        let mut resp = &responses[status.to_string()];
        if resp.is_null() && status == 404 {
            return json!({"$ref": "#/components/schemas/basic-error"});
        }
        assert!(
            !resp.is_null(),
            "{method} {path} does not list status {status}"
        );
        if let Some(r) = resp.get("$ref").and_then(Value::as_str) {
            resp = self
                .0
                .pointer(r.trim_start_matches('#'))
                .expect("response ref");
        }
        resp["content"]["application/json"]["schema"].clone()
    }

    pub(super) fn check(&self, path: &str, method: &str, resp: &Resp) {
        self.check_as(path, method, resp.status, resp);
    }

    fn check_as(&self, path: &str, method: &str, status: u16, resp: &Resp) {
        let root = json!({"allOf": [self.schema(path, method, status)],
                          "components": self.0["components"]});
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(false)
            .build(&root)
            .expect("schema compiles");
        let body = resp.json();
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .take(5)
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {}: {errors:#?}",
            resp.status
        );
    }
}

/// One request the schemas check: the OpenAPI operation (`path`, `method`) it exercises, and the
/// fake's answer.
struct Case {
    path: String,
    method: &'static str,
    resp: Resp,
}

impl Case {
    /// `GET url` (a path on the fake), checked as `GET path`; in `path`, `{r}` stands for
    /// `/repos/{owner}/{repo}`.
    fn get(gh: &FakeGitHub, path: &str, url: &str) -> Case {
        Case::answered(path, "get", get(gh, url))
    }

    /// `method url` with the JSON `body`, checked as `method path`.
    fn send(gh: &FakeGitHub, method: &'static str, path: &str, url: &str, body: Value) -> Case {
        let resp = with_body(gh, &method.to_ascii_uppercase(), url, &body);
        Case::answered(path, method, resp)
    }

    fn answered(path: &str, method: &'static str, resp: Resp) -> Case {
        let path = path.replace("{r}", "/repos/{owner}/{repo}");
        Case { path, method, resp }
    }
}

/// One request per repository, branch, ref, pull request and contents case the schemas check.
fn repository_cases(w: &World) -> Vec<Case> {
    let gh = &w.gh;
    let pr = format!("/repos/acme/widgets/pulls/{}", w.pr);
    let workflow_file = "/repos/acme/widgets/contents/.github/workflows/record.yml?ref=feature/x";
    vec![
        Case::get(gh, "{r}", "/repos/acme/widgets"),
        Case::get(gh, "{r}", "/repos/alice/widgets"),
        Case::get(gh, "{r}", "/repos/acme/missing"),
        Case::get(
            gh,
            "{r}/branches/{branch}",
            "/repos/acme/widgets/branches/feature/x",
        ),
        Case::get(
            gh,
            "{r}/branches/{branch}",
            "/repos/acme/widgets/branches/nope",
        ),
        Case::get(
            gh,
            "{r}/git/ref/{ref}",
            "/repos/acme/widgets/git/ref/heads/feature/x",
        ),
        Case::get(
            gh,
            "{r}/git/ref/{ref}",
            "/repos/acme/widgets/git/ref/heads/nope",
        ),
        Case::get(
            gh,
            "{r}/pulls",
            "/repos/acme/widgets/pulls?head=alice:fix&state=all",
        ),
        Case::get(gh, "{r}/pulls/{pull_number}", &pr),
        Case::get(
            gh,
            "{r}/pulls/{pull_number}",
            "/repos/acme/widgets/pulls/99",
        ),
        Case::get(gh, "{r}/contents/{path}", workflow_file),
        Case::get(
            gh,
            "{r}/contents/{path}",
            "/repos/acme/widgets/contents/nope.txt",
        ),
    ]
}

/// One request per Actions case the schemas check.
fn actions_cases(w: &World) -> Vec<Case> {
    let gh = &w.gh;
    let workflow = "/repos/acme/widgets/actions/workflows/record.yml";
    let run = format!("/repos/acme/widgets/actions/runs/{}", w.run);
    let expired = format!("/repos/acme/widgets/actions/artifacts/{}/zip", w.expired);
    let dispatch = json!({"ref": "main", "inputs": {"suite": "base"}, "return_run_details": true});
    vec![
        Case::get(gh, "{r}/actions/workflows/{workflow_id}", workflow),
        Case::send(
            gh,
            "post",
            "{r}/actions/workflows/{workflow_id}/dispatches",
            &format!("{workflow}/dispatches"),
            dispatch,
        ),
        Case::get(
            gh,
            "{r}/actions/workflows/{workflow_id}/runs",
            &format!("{workflow}/runs"),
        ),
        Case::get(gh, "{r}/actions/runs", "/repos/acme/widgets/actions/runs"),
        Case::get(gh, "{r}/actions/runs/{run_id}", &run),
        Case::get(gh, "{r}/actions/runs/{run_id}/jobs", &format!("{run}/jobs")),
        Case::get(
            gh,
            "{r}/actions/runs/{run_id}/artifacts",
            &format!("{run}/artifacts"),
        ),
        Case::get(
            gh,
            "{r}/actions/artifacts/{artifact_id}/{archive_format}",
            &expired,
        ),
    ]
}

/// One request per issue comment and user case the schemas check.
fn comment_and_user_cases(w: &World) -> Vec<Case> {
    let gh = &w.gh;
    let comments = format!("/repos/acme/widgets/issues/{}/comments", w.pr);
    let comment = format!("/repos/acme/widgets/issues/comments/{}", w.comment);
    let user = format!("{}/user", gh.url());
    vec![
        Case::get(gh, "{r}/issues/{issue_number}/comments", &comments),
        Case::send(
            gh,
            "post",
            "{r}/issues/{issue_number}/comments",
            &comments,
            json!({"body": "hi"}),
        ),
        Case::send(
            gh,
            "patch",
            "{r}/issues/comments/{comment_id}",
            &comment,
            json!({"body": "done"}),
        ),
        Case::send(
            gh,
            "patch",
            "{r}/issues/comments/{comment_id}",
            &comment,
            json!({}),
        ),
        Case::get(gh, "/user", "/user"),
        Case::answered("/user", "get", send("GET", &user, None, None)),
    ]
}

#[test]
fn every_operation_answers_bodies_valid_under_the_2022_11_28_schemas() {
    let spec = Spec::load();
    let w = world();
    let gh = &w.gh;
    let mut cases = repository_cases(&w);
    cases.extend(actions_cases(&w));
    cases.extend(comment_and_user_cases(&w));
    let statuses: Vec<u16> = cases.iter().map(|c| c.resp.status).collect();
    assert_eq!(
        statuses,
        [
            200, 200, 404, 200, 404, 200, 404, 200, 200, 404, 200, 404, 200, 200, 200, 200, 200,
            200, 200, 410, 200, 201, 200, 422, 200, 401
        ]
    );
    for case in &cases {
        spec.check(&case.path, case.method, &case.resp);
    }
    let download = get(
        gh,
        &format!("/repos/acme/widgets/actions/artifacts/{}/zip", w.artifact),
    );
    assert_eq!(download.status, 302);
    assert!(
        download
            .header("location")
            .unwrap()
            .starts_with(&gh.storage_url())
    );
    assert!(
        cases[21]
            .resp
            .header("location")
            .unwrap()
            .contains("/issues/comments/")
    );
    assert!(
        cases[0].resp.json().get("parent").is_none(),
        "a non-fork has no parent"
    );
    assert_eq!(cases[1].resp.json()["parent"]["full_name"], "acme/widgets");
    assert_eq!(cases[1].resp.json()["fork"], true);
}

#[test]
fn created_pull_request_matches_the_pull_request_schema() {
    let spec = Spec::load();
    let w = world();
    let created = post(
        &w.gh,
        "/repos/acme/widgets/pulls",
        json!({"title": "Re-record", "head": "feature/x", "base": "main", "body": "new recordings"}),
    );
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    // POST /pulls is outside the subset: validate against the same schema GET /pulls/{n} uses.
    spec.check_as(
        "/repos/{owner}/{repo}/pulls/{pull_number}",
        "get",
        200,
        &created,
    );
    let again = post(
        &w.gh,
        "/repos/acme/widgets/pulls",
        json!({"title": "Again", "head": "feature/x", "base": "main"}),
    );
    assert_eq!(again.status, 422);
    assert!(
        again.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
    let pulls = w.gh.pulls("acme/widgets");
    assert_eq!(pulls.len(), 2);
    assert_eq!(
        (pulls[1].head_ref.as_str(), pulls[1].title.as_str()),
        ("feature/x", "Re-record")
    );
}

#[test]
fn a_comment_body_over_65536_characters_is_refused_with_githubs_422() {
    let spec = Spec::load();
    let w = world();
    let gh = &w.gh;
    let create = format!("/repos/acme/widgets/issues/{}/comments", w.pr);
    let edit = format!("/repos/acme/widgets/issues/comments/{}", w.comment);
    // Characters, not bytes: 65,536 two-byte characters are within the limit.
    let at_limit = "é".repeat(65_536);
    let over = "x".repeat(65_537);
    let cases = [
        (
            "/repos/{owner}/{repo}/issues/{issue_number}/comments",
            "post",
            post(gh, &create, json!({ "body": at_limit })),
            201,
        ),
        (
            "/repos/{owner}/{repo}/issues/{issue_number}/comments",
            "post",
            post(gh, &create, json!({ "body": over })),
            422,
        ),
        (
            "/repos/{owner}/{repo}/issues/comments/{comment_id}",
            "patch",
            patch(gh, &edit, json!({ "body": over })),
            422,
        ),
    ];
    for (path, method, resp, status) in &cases {
        assert_eq!(resp.status, *status, "{method} {path}");
        spec.check(path, method, resp);
    }
    let refusal = cases[1].2.json();
    assert_eq!(
        refusal["errors"][0]["message"],
        "body is too long (maximum is 65536 characters)"
    );
    assert_eq!(refusal["errors"][0]["field"], "body");
}
