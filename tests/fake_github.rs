//! The fake GitHub server's own tests: conformance of its responses to GitHub's 2022-11-28
//! schemas, and the behaviour other tests rely on (pagination, faults, storage, dispatch, runs).

#[path = "support/fake_github/mod.rs"]
mod fake_github;

use std::io::{Read, Write};
use std::net::TcpStream;

use std::thread;
use std::time::{Duration, Instant};

use fake_github::{
    DispatchMode, Fault, FaultKind, FakeGitHub, Listener, PrSpec, PrState, Recorded, RunSpec,
    TOKEN, critical_path,
};
use serde_json::{Value, json};

/// A response as a minimal HTTP/1.1 client sees it.
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body))
        })
    }
}

/// Sends one request on a fresh connection; `url` is absolute (http://127.0.0.1:PORT/...).
fn send(method: &str, url: &str, auth: Option<&str>, body: Option<&Value>) -> Resp {
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(host).expect("connect");
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         X-GitHub-Api-Version: 2022-11-28\r\nAccept: application/vnd.github+json\r\n\
         Content-Length: {}\r\n",
        payload.len()
    );
    if let Some(a) = auth {
        head.push_str(&format!("Authorization: {a}\r\n"));
    }
    if body.is_some() {
        head.push_str("Content-Type: application/json\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("write");
    stream.write_all(payload.as_bytes()).expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().expect("status line").split(' ').nth(1).expect("code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Resp { status: status.parse().expect("status"), headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").expect("chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end]).expect("hex"), 16)
            .expect("chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 4 + size..];
    }
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

fn get(gh: &FakeGitHub, path: &str) -> Resp {
    send("GET", &format!("{}{path}", gh.url()), Some(&bearer()), None)
}

fn post(gh: &FakeGitHub, path: &str, body: Value) -> Resp {
    send("POST", &format!("{}{path}", gh.url()), Some(&bearer()), Some(&body))
}


fn patch(gh: &FakeGitHub, path: &str, body: Value) -> Resp {
    send("PATCH", &format!("{}{path}", gh.url()), Some(&bearer()), Some(&body))
}

const RECORD_YML: &str = "name: Record tests\non:\n  pull_request:\n  workflow_dispatch:\n    inputs:\n      suite:\n        required: false\n      setup:\n        required: true\n        default: ollama\n";

/// A repository with a fork, an open fork PR, a recording workflow, one completed run with a
/// job and two artifacts (one expired), and a comment on the PR.
struct World {
    gh: FakeGitHub,
    pr: u64,
    run: u64,
    artifact: u64,
    expired: u64,
    comment: u64,
}

fn world() -> World {
    let gh = FakeGitHub::start();
    gh.add_repo("acme/widgets");
    gh.add_fork("alice/widgets", "acme/widgets");
    gh.set_branch("acme/widgets", "main", &"a".repeat(40));
    gh.set_branch("acme/widgets", "feature/x", &"b".repeat(40));
    gh.set_branch("alice/widgets", "fix", &"c".repeat(40));
    gh.add_workflow("acme/widgets", "record.yml", "active");
    gh.set_file("acme/widgets", "main", ".github/workflows/record.yml", RECORD_YML);
    gh.set_file("acme/widgets", "feature/x", ".github/workflows/record.yml", RECORD_YML);
    let pr = gh.add_pr(PrSpec::open("acme/widgets", "alice/widgets", "fix", &"c".repeat(40)));
    let mut spec = RunSpec::completed("record.yml", "fix", &"c".repeat(40), "success");
    spec.event = "pull_request".to_string();
    spec.head_repository = "alice/widgets".to_string();
    spec.pull_requests = vec![pr];
    let run = gh.add_run("acme/widgets", spec);
    gh.add_job("acme/widgets", run, "record (ollama)", "completed", Some("success"));
    let artifact = gh.add_artifact("acme/widgets", run, "recordings", b"PK-zip".to_vec(), false);
    let expired = gh.add_artifact("acme/widgets", run, "old", b"PK-old".to_vec(), true);
    let comment = gh.add_comment("acme/widgets", pr, "scheduled");
    World { gh, pr, run, artifact, expired, comment }
}

// ---------------------------------------------------------------- conformance

const SUBSET: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/github-api/openapi-subset.2022-11-28.json");

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

struct Spec(Value);

impl Spec {
    fn load() -> Spec {
        let text = std::fs::read_to_string(SUBSET).expect("read the 2022-11-28 subset");
        let mut doc: Value = serde_json::from_str(&text).expect("subset is JSON");
        denull(&mut doc);
        Spec(doc)
    }

    /// The response schema of `method path` for `status` ("basic-error" for unlisted 404s).
    fn schema(&self, path: &str, method: &str, status: u16) -> Value {
        let responses = &self.0["paths"][path][method]["responses"];
        assert!(responses.is_object(), "{method} {path} is not in the subset");
        let mut resp = &responses[status.to_string()];
        if resp.is_null() && status == 404 {
            return json!({"$ref": "#/components/schemas/basic-error"});
        }
        assert!(!resp.is_null(), "{method} {path} does not list status {status}");
        if let Some(r) = resp.get("$ref").and_then(Value::as_str) {
            resp = self.0.pointer(r.trim_start_matches('#')).expect("response ref");
        }
        resp["content"]["application/json"]["schema"].clone()
    }

    fn check(&self, path: &str, method: &str, resp: &Resp) {
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
        assert!(errors.is_empty(), "{method} {path} {}: {errors:#?}", resp.status);
    }
}

#[test]
fn every_operation_answers_bodies_valid_under_the_2022_11_28_schemas() {
    let spec = Spec::load();
    let w = world();
    let gh = &w.gh;
    let r = "/repos/{owner}/{repo}";
    let cases: Vec<(String, &str, Resp)> = vec![
        (r.into(), "get", get(gh, "/repos/acme/widgets")),
        (r.into(), "get", get(gh, "/repos/alice/widgets")),
        (r.into(), "get", get(gh, "/repos/acme/missing")),
        (format!("{r}/branches/{{branch}}"), "get", get(gh, "/repos/acme/widgets/branches/feature/x")),
        (format!("{r}/branches/{{branch}}"), "get", get(gh, "/repos/acme/widgets/branches/nope")),
        (format!("{r}/git/ref/{{ref}}"), "get", get(gh, "/repos/acme/widgets/git/ref/heads/feature/x")),
        (format!("{r}/git/ref/{{ref}}"), "get", get(gh, "/repos/acme/widgets/git/ref/heads/nope")),
        (format!("{r}/pulls"), "get", get(gh, "/repos/acme/widgets/pulls?head=alice:fix&state=all")),
        (format!("{r}/pulls/{{pull_number}}"), "get", get(gh, &format!("/repos/acme/widgets/pulls/{}", w.pr))),
        (format!("{r}/pulls/{{pull_number}}"), "get", get(gh, "/repos/acme/widgets/pulls/99")),
        (format!("{r}/contents/{{path}}"), "get",
            get(gh, "/repos/acme/widgets/contents/.github/workflows/record.yml?ref=feature/x")),
        (format!("{r}/contents/{{path}}"), "get", get(gh, "/repos/acme/widgets/contents/nope.txt")),
        (format!("{r}/actions/workflows/{{workflow_id}}"), "get",
            get(gh, "/repos/acme/widgets/actions/workflows/record.yml")),
        (format!("{r}/actions/workflows/{{workflow_id}}/dispatches"), "post",
            post(gh, "/repos/acme/widgets/actions/workflows/record.yml/dispatches",
                 json!({"ref": "main", "inputs": {"suite": "base"}, "return_run_details": true}))),
        (format!("{r}/actions/workflows/{{workflow_id}}/runs"), "get",
            get(gh, "/repos/acme/widgets/actions/workflows/record.yml/runs")),
        (format!("{r}/actions/runs"), "get", get(gh, "/repos/acme/widgets/actions/runs")),
        (format!("{r}/actions/runs/{{run_id}}"), "get", get(gh, &format!("/repos/acme/widgets/actions/runs/{}", w.run))),
        (format!("{r}/actions/runs/{{run_id}}/jobs"), "get",
            get(gh, &format!("/repos/acme/widgets/actions/runs/{}/jobs", w.run))),
        (format!("{r}/actions/runs/{{run_id}}/artifacts"), "get",
            get(gh, &format!("/repos/acme/widgets/actions/runs/{}/artifacts", w.run))),
        (format!("{r}/actions/artifacts/{{artifact_id}}/{{archive_format}}"), "get",
            get(gh, &format!("/repos/acme/widgets/actions/artifacts/{}/zip", w.expired))),
        (format!("{r}/issues/{{issue_number}}/comments"), "get",
            get(gh, &format!("/repos/acme/widgets/issues/{}/comments", w.pr))),
        (format!("{r}/issues/{{issue_number}}/comments"), "post",
            post(gh, &format!("/repos/acme/widgets/issues/{}/comments", w.pr), json!({"body": "hi"}))),
        (format!("{r}/issues/comments/{{comment_id}}"), "patch",
            patch(gh, &format!("/repos/acme/widgets/issues/comments/{}", w.comment), json!({"body": "done"}))),
        (format!("{r}/issues/comments/{{comment_id}}"), "patch",
            patch(gh, &format!("/repos/acme/widgets/issues/comments/{}", w.comment), json!({}))),
        ("/user".into(), "get", get(gh, "/user")),
        ("/user".into(), "get", send("GET", &format!("{}/user", gh.url()), None, None)),
    ];
    let statuses: Vec<u16> = cases.iter().map(|c| c.2.status).collect();
    assert_eq!(
        statuses,
        [200, 200, 404, 200, 404, 200, 404, 200, 200, 404, 200, 404, 200, 200, 200, 200, 200, 200,
         200, 410, 200, 201, 200, 422, 200, 401]
    );
    for (path, method, resp) in &cases {
        spec.check(path, method, resp);
    }
    let download = get(gh, &format!("/repos/acme/widgets/actions/artifacts/{}/zip", w.artifact));
    assert_eq!(download.status, 302);
    assert!(download.header("location").unwrap().starts_with(&gh.storage_url()));
    assert!(cases[21].2.header("location").unwrap().contains("/issues/comments/"));
    assert!(cases[0].2.json().get("parent").is_none(), "a non-fork has no parent");
    assert_eq!(cases[1].2.json()["parent"]["full_name"], "acme/widgets");
    assert_eq!(cases[1].2.json()["fork"], true);
}

#[test]
fn created_pull_request_matches_the_pull_request_schema() {
    let spec = Spec::load();
    let w = world();
    let created = post(&w.gh, "/repos/acme/widgets/pulls",
        json!({"title": "Re-record", "head": "feature/x", "base": "main", "body": "new recordings"}));
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    // POST /pulls is outside the subset: validate against the same schema GET /pulls/{n} uses.
    spec.check_as("/repos/{owner}/{repo}/pulls/{pull_number}", "get", 200, &created);
    let again = post(&w.gh, "/repos/acme/widgets/pulls",
        json!({"title": "Again", "head": "feature/x", "base": "main"}));
    assert_eq!(again.status, 422);
    assert!(again.json()["errors"][0]["message"].as_str().unwrap().contains("already exists"));
    let pulls = w.gh.pulls("acme/widgets");
    assert_eq!(pulls.len(), 2);
    assert_eq!((pulls[1].head_ref.as_str(), pulls[1].title.as_str()), ("feature/x", "Re-record"));
}
