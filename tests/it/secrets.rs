//! The secret scan's corpus: every rule × every recorder format × every encoding, each
//! credential planted once in a file written the way that recorder writes it, refused by
//! `rerecord scan`, `commit`, `land` and `fetch`; the same files with each placeholder style
//! pass. Then no finding on real llama-stack recordings, and the pre-commit hook run the way
//! `.pre-commit-hooks.yaml` declares it.
//!
//! Credentials are assembled at run time from our own fake material, so no file of this
//! repository holds one.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::support::cmd::{Run, rerecord, tempdir};
use crate::support::fake_github::TOKEN;
use crate::support::git_fixtures::{self, Remote, git, write};
use crate::support::land_world::{self, World};

const DIR: &str = "tests/integration/corpus/recordings";

/// One credential per rule, as (rule name, value).
fn credentials() -> Vec<(&'static str, String)> {
    let r = |n: usize| "Zx8Qw7Er6Ty5Ui4Op3As2Df1Gh0JkLmNb".repeat(8)[..n].to_owned();
    let lower = |n: usize| "k3m9p2q8r4s7t1v6w5x0yz".repeat(8)[..n].to_owned();
    let hex = |n: usize| "3f9a0c7e1b5d8240".repeat(8)[..n].to_owned();
    vec![
        ("github", format!("gh{}_{}", "p", r(36))),
        ("github-app", format!("gh{}_{}", "s", r(36))),
        ("github-pat", format!("github_{}_{}", "pat", r(82))),
        ("gitlab", format!("gl{}-{}", "pat", r(20))),
        ("openai", format!("s{}-{}", "k", r(48))),
        ("openai-project", format!("s{}-proj-{}", "k", r(64))),
        ("anthropic", format!("s{}-ant-api03-{}", "k", r(40))),
        ("huggingface", format!("h{}_{}", "f", r(34))),
        ("groq", format!("gs{}_{}", "k", r(52))),
        ("nvidia", format!("nva{}-{}", "pi", r(64))),
        ("fireworks", format!("f{}_{}", "w", r(24))),
        ("cerebras", format!("cs{}-{}", "k", lower(48))),
        ("tavily", format!("tv{}-dev-{}", "ly", r(32))),
        ("together", format!("tgp_{}_{}", "v1", r(43))),
        ("replicate", format!("r{}_{}", "8", r(37))),
        ("perplexity", format!("pp{}-{}", "lx", r(48))),
        ("xai", format!("xa{}-{}", "i", r(80))),
        ("google", format!("AI{}a{}", "z", r(35))),
        ("google-oauth", format!("ya{}.{}", "29", r(40))),
        ("aws", format!("AK{}A{}", "I", "Z7Q3EGRT5PN2XJWK")),
        ("slack", format!("xo{}b-{}", "x", "2234567890-abcdEFGHijkl")),
        ("stripe", format!("sk_{}_{}", "live", r(24))),
        ("sendgrid", format!("S{}.{}.{}", "G", r(22), r(43))),
        ("twilio", format!("S{}{}", "K", hex(32))),
        ("npm", format!("np{}_{}", "m", r(36))),
        ("databricks", format!("dap{}{}", "i", hex(32))),
        (
            "jwt",
            format!("ey{}hbGciOiJIUzI1NiJ9.eyJzdWIiOiI5ODc2NSJ9.{}", "J", r(24)),
        ),
    ]
}

/// Where the credential sits and how it is encoded there.
#[derive(Clone, Copy)]
enum Slot {
    /// `Authorization: Bearer V` in the format's header shape.
    Bearer,
    /// `Authorization: Basic base64(user:V)`.
    Basic,
    /// A query parameter without a telling name, every character percent-encoded.
    Query,
    /// A JSON request body, every character of V written as a `\uXXXX` escape.
    Escaped,
    /// A gzip response body, base64 (vcrpy `!!binary`, HAR `encoding: base64`, …).
    GzipBase64,
}

const SLOTS: [(&str, Slot); 5] = [
    ("bearer", Slot::Bearer),
    ("basic", Slot::Basic),
    ("query", Slot::Query),
    ("escaped", Slot::Escaped),
    ("gzip", Slot::GzipBase64),
];

/// The pieces of one exchange, with the credential placed per slot.
struct Exchange {
    auth: String,
    url: String,
    query_value: String,
    /// The request body as JSON text (with `\u` escapes when escaped).
    body: String,
    /// The response body, base64 of gzip.
    response_b64: String,
    /// The same gzip, hex (nock).
    response_hex: String,
}

fn exchange(slot: Slot, v: &str) -> Exchange {
    let auth = match slot {
        Slot::Bearer => format!("Bearer {v}"),
        Slot::Basic => format!("Basic {}", STANDARD.encode(format!("svc:{v}"))),
        _ => "Bearer <redacted>".to_owned(),
    };
    let query_value = if matches!(slot, Slot::Query) {
        v.to_owned()
    } else {
        "paris".to_owned()
    };
    let encoded: String = query_value.bytes().map(|b| format!("%{b:02X}")).collect();
    let url = format!("https://api.provider.test/v1/chat/completions?q={encoded}");
    let body = if matches!(slot, Slot::Escaped) {
        let esc: String = v
            .chars()
            .map(|c| format!("\\u{:04x}", u32::from(c)))
            .collect();
        format!("{{\"model\": \"m1\", \"input\": \"{esc}\"}}")
    } else {
        "{\"model\": \"m1\", \"input\": \"Capital of France?\"}".to_owned()
    };
    let answer = if matches!(slot, Slot::GzipBase64) {
        format!("{{\"answer\": \"Paris\", \"session\": \"{v}\"}}")
    } else {
        "{\"answer\": \"Paris\"}".to_owned()
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(answer.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    Exchange {
        auth,
        url,
        query_value,
        body,
        response_b64: STANDARD.encode(&gz),
        response_hex: gz.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// A JSON document whose `"BODY"` string is replaced by the raw body text: as JSON (an
/// object) or, `in_string`, as a JSON string holding it (its `\u` escapes kept as escapes).
fn json_with_body(doc: serde_json::Value, body: &str, in_string: bool) -> String {
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let replacement = if in_string {
        format!("\"{}\"", escape_quoted(body))
    } else {
        body.to_owned()
    };
    text.replacen("\"BODY\"", &replacement, 1)
}

/// A YAML recording: `template` with `{auth}`, `{url}` and `{b64}` filled in, and `{body}` inside
/// a double-quoted YAML string.
fn yaml_with_body(template: &str, x: &Exchange, b64: &str) -> String {
    template
        .replace("{auth}", &x.auth)
        .replace("{url}", &x.url)
        .replace("{b64}", b64)
        .replace("{body}", &escape_quoted(&x.body))
}

/// `text` escaped to stand between double quotes (JSON and YAML alike).
fn escape_quoted(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

fn b64_lines(b64: &str, indent: &str) -> String {
    b64.as_bytes()
        .chunks(76)
        .map(|c| format!("{indent}{}\n", std::str::from_utf8(c).unwrap()))
        .collect()
}

/// Every recorder format: (name, extension, writer).
type Writer = fn(&Exchange) -> String;

fn formats() -> Vec<(&'static str, &'static str, Writer)> {
    vec![
        ("llama-stack", "json", llama_stack as Writer),
        ("vcrpy", "yaml", vcrpy_yaml as Writer),
        ("vcrpy-json", "json", vcrpy_json as Writer),
        ("har", "har", har as Writer),
        ("nock", "json", nock as Writer),
        ("go-vcr", "yaml", go_vcr as Writer),
        ("betamax", "json", betamax as Writer),
        ("wiremock", "json", wiremock as Writer),
        ("raw-http", "txt", raw_http as Writer),
    ]
}

fn llama_stack(x: &Exchange) -> String {
    let doc = json!({
        "test_id": "tests/integration/inference/test_chat.py::test_capital[txt=m1]",
        "request": {"method": "POST", "url": x.url,
            "headers": {"Authorization": x.auth},
            "body": "BODY", "endpoint": "/v1/chat/completions", "model": "m1"},
        "response": {"body": {"__type__": "openai.types.chat.ChatCompletion",
            "__data__": {"id": "chatcmpl-1", "raw": x.response_b64}}, "is_streaming": false}
    });
    json_with_body(doc, &x.body, false)
}

fn vcrpy_yaml(x: &Exchange) -> String {
    const TEMPLATE: &str = "interactions:\n- request:\n    body: \"{body}\"\n    headers:\n      Authorization:\n      - {auth}\n      Content-Type:\n      - application/json\n    method: POST\n    uri: {url}\n  response:\n    body:\n      string: !!binary |\n{b64}    headers:\n      Content-Encoding:\n      - gzip\n    status:\n      code: 200\n      message: OK\nversion: 1\n";
    yaml_with_body(TEMPLATE, x, &b64_lines(&x.response_b64, "        "))
}

fn vcrpy_json(x: &Exchange) -> String {
    let doc = json!({"interactions": [{
        "request": {"body": "BODY", "headers": {"Authorization": [x.auth]}, "method": "POST", "uri": x.url},
        "response": {"body": {"string": x.response_b64}, "headers": {"Content-Encoding": ["gzip"]},
            "status": {"code": 200, "message": "OK"}}}], "version": 1});
    json_with_body(doc, &x.body, true)
}

fn har(x: &Exchange) -> String {
    let doc = json!({"log": {"version": "1.2", "creator": {"name": "Polly.JS", "version": "6.0.6"},
        "entries": [{"startedDateTime": "2026-01-01T00:00:00.000Z", "time": 12,
            "request": {"method": "POST", "url": x.url, "httpVersion": "HTTP/1.1",
                "headers": [{"name": "authorization", "value": x.auth},
                            {"name": "content-type", "value": "application/json"}],
                "queryString": [{"name": "q", "value": x.query_value}],
                "cookies": [], "headersSize": -1, "bodySize": 40,
                "postData": {"mimeType": "application/json", "text": "BODY"}},
            "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
                "headers": [{"name": "content-encoding", "value": "gzip"}], "cookies": [],
                "content": {"mimeType": "application/json", "size": 40,
                    "text": x.response_b64, "encoding": "base64"},
                "redirectURL": "", "headersSize": -1, "bodySize": -1},
            "cache": {}, "timings": {"send": 0, "wait": 10, "receive": 2}}]}});
    json_with_body(doc, &x.body, true)
}

fn nock(x: &Exchange) -> String {
    let path = x.url.trim_start_matches("https://api.provider.test");
    let doc = json!([{"scope": "https://api.provider.test:443", "method": "POST", "path": path,
        "body": "BODY", "status": 200, "response": [x.response_hex],
        "rawHeaders": ["Content-Type", "application/json", "Content-Encoding", "gzip"],
        "reqheaders": {"authorization": x.auth}, "responseIsBinary": false}]);
    json_with_body(doc, &x.body, false)
}

fn go_vcr(x: &Exchange) -> String {
    const TEMPLATE: &str = "---\nversion: 2\ninteractions:\n- id: 0\n  request:\n    proto: HTTP/1.1\n    body: \"{body}\"\n    form: {}\n    headers:\n      Authorization:\n      - {auth}\n    url: {url}\n    method: POST\n  response:\n    body: {b64}\n    headers:\n      Content-Type:\n      - application/json\n    status: 200 OK\n    code: 200\n    duration: 120.5ms\n";
    yaml_with_body(TEMPLATE, x, &x.response_b64)
}

fn betamax(x: &Exchange) -> String {
    let doc = json!({"http_interactions": [{"recorded_at": "2026-01-01T00:00:00",
        "request": {"body": {"encoding": "utf-8", "string": "BODY"},
            "headers": {"Authorization": [x.auth], "Accept": ["*/*"]}, "method": "POST", "uri": x.url},
        "response": {"body": {"encoding": null, "base64_string": x.response_b64},
            "headers": {"Content-Encoding": ["gzip"]}, "status": {"code": 200, "message": "OK"},
            "url": x.url}}], "recorded_with": "betamax/0.8.1"});
    json_with_body(doc, &x.body, true)
}

fn wiremock(x: &Exchange) -> String {
    let path = x.url.trim_start_matches("https://api.provider.test");
    let doc = json!({"id": "5d2a3c4e-0000-4000-8000-000000000001",
        "request": {"url": path, "method": "POST",
            "headers": {"Authorization": {"equalTo": x.auth}},
            "bodyPatterns": [{"equalToJson": "BODY"}]},
        "response": {"status": 200, "base64Body": x.response_b64,
            "headers": {"Content-Encoding": "gzip"}},
        "uuid": "5d2a3c4e-0000-4000-8000-000000000001"});
    json_with_body(doc, &x.body, true)
}

fn raw_http(x: &Exchange) -> String {
    let path = x.url.trim_start_matches("https://api.provider.test");
    format!(
        "POST {path} HTTP/1.1\r\nHost: api.provider.test\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\n\r\n{body}\r\n\r\nHTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nX-Body-Base64: {b64}\r\n",
        auth = x.auth,
        body = x.body,
        b64 = x.response_b64,
    )
}

/// The placeholder styles recorders' filters write.
const PLACEHOLDERS: [&str; 6] = [
    "REDACTED",
    "***",
    "<token>",
    "sk-xxxxxxxxxxxxxxxxxxxxxxxx",
    "${OPENAI_API_KEY}",
    "[FILTERED]",
];

/// The corpus: (repo-relative path, content, planted value).
fn corpus(value_for: impl Fn(&str, &str) -> String) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (rule, _) in credentials() {
        let v = value_for(rule, "");
        for (format, ext, writer) in formats() {
            for (slot_name, slot) in SLOTS {
                let path = format!("{DIR}/{format}/{rule}-{slot_name}.{ext}");
                out.push((path, writer(&exchange(slot, &v)), v.clone()));
            }
        }
    }
    out
}

fn planted() -> Vec<(String, String, String)> {
    let creds = credentials();
    corpus(|rule, _| {
        creds
            .iter()
            .find(|(r, _)| *r == rule)
            .map(|(_, v)| v.clone())
            .unwrap()
    })
}

fn write_all(root: &Path, files: &[(String, String, String)]) {
    for (path, content, _) in files {
        write(root, path, content);
    }
}

#[track_caller]
fn assert_never_printed(out: &Run, files: &[(String, String, String)]) {
    let all = out.all_output();
    for (_, _, v) in files {
        assert!(!all.contains(v.as_str()), "a value was printed:\n{all}");
    }
}

#[test]
fn scan_finds_every_rule_in_every_format_and_encoding_and_passes_placeholders() {
    let dir = tempdir();
    let files = planted();
    write_all(dir.path(), &files);
    let out = rerecord()
        .current_dir(dir.path())
        .args(["scan", "--json", DIR])
        .run()
        .failure();
    assert_never_printed(&out, &files);
    let json = out.json();
    assert_eq!(json["scanned"], files.len(), "{json}");
    let hits = json["hits"].as_array().unwrap();
    let mut missed = Vec::new();
    for (path, _, v) in &files {
        let masked: String = v.chars().take(4).collect::<String>() + "…";
        if !hits
            .iter()
            .any(|h| h["path"] == path.as_str() && h["masked"] == masked.as_str())
        {
            missed.push(path.clone());
        }
    }
    assert!(
        missed.is_empty(),
        "{} of {} planted credentials were not found:\n{}",
        missed.len(),
        files.len(),
        missed.join("\n")
    );

    for placeholder in PLACEHOLDERS {
        let clean_dir = tempdir();
        let clean = corpus(|_, _| placeholder.to_owned());
        write_all(clean_dir.path(), &clean);
        let out = rerecord()
            .current_dir(clean_dir.path())
            .args(["scan", "--json", DIR])
            .run();
        assert_eq!(out.code, 0, "{placeholder}: {}", out.all_output());
        assert_eq!(out.json()["hits"], json!([]), "{placeholder}");
    }
}

/// A clone whose branch has the corpus committed with placeholders: re-recording plants the
/// credentials in the same files.
fn repo_with(
    files: &[(String, String, String)],
) -> (tempfile::TempDir, Remote, std::path::PathBuf) {
    let tmp = tempdir();
    let owned: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c, _)| (p.as_str(), c.as_str()))
        .collect();
    let remote = Remote::new(tmp.path(), land_world::BRANCH, &owned);
    let work = remote.clone("work", land_world::BRANCH);
    (tmp, remote, work)
}

#[test]
fn commit_refuses_the_corpus_and_carries_its_placeholder_twin() {
    let files = planted();
    let clean = corpus(|_, _| "REDACTED".to_owned());
    let expected = scan_count(&files);
    let (_tmp, remote, work) =
        repo_with(&[("src/app.py".to_owned(), "x = 1\n".to_owned(), String::new())]);
    let before = remote.rev(land_world::BRANCH);
    write_all(&work, &files);
    let args = [
        "commit",
        "--target-branch",
        land_world::BRANCH,
        "--recorded-setup",
        "s",
        "--recorded-suite",
        "base",
    ];
    let out = rerecord().current_dir(&work).args(args).run().failure();
    assert_never_printed(&out, &files);
    out.assert_stderr_has(&format!("refusing to commit: {expected} credentials found"));
    assert_eq!(
        remote.rev(land_world::BRANCH),
        before,
        "something was pushed"
    );

    write_all(&work, &clean);
    rerecord().current_dir(&work).args(args).run().success();
    assert_ne!(
        remote.rev(land_world::BRANCH),
        before,
        "the clean corpus was not pushed"
    );
}

/// How many hits `rerecord scan` reports for `files` (the figure commit, land and fetch must
/// refuse with: they run the same scan).
fn scan_count(files: &[(String, String, String)]) -> usize {
    let dir = tempdir();
    write_all(dir.path(), files);
    let out = rerecord()
        .current_dir(dir.path())
        .args(["scan", "--json", DIR])
        .run()
        .failure();
    out.json()["hits"].as_array().unwrap().len()
}

/// A checkout of one commit on the PR branch, in `dir/work`; its path and commit.
fn one_commit_checkout(dir: &Path) -> (PathBuf, String) {
    git_fixtures::one_commit_checkout(dir, land_world::BRANCH, &[("README.md", "x\n")])
}

#[test]
fn land_and_fetch_refuse_the_corpus() {
    let files = planted();
    let expected = scan_count(&files);
    let bytes: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, c, _)| (p.as_str(), c.as_bytes()))
        .collect();

    let w = World::new(TOKEN);
    let (head, _, run) = w.same_repo_pr(&bytes);
    let out = w.land(run).run().failure();
    for line in out
        .all_output()
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
    {
        for (_, _, v) in &files {
            assert!(!line.contains(v.as_str()), "{line}");
        }
    }
    out.assert_output_has(&format!("refusing to land: {expected} credentials found"));
    assert_eq!(
        w.upstream.rev(land_world::BRANCH),
        head,
        "something was pushed"
    );

    let dir = tempdir();
    let (work, head) = one_commit_checkout(dir.path());
    let out = land_world::fetch_one_run(&work, &head, &bytes).failure();
    assert_never_printed(&out, &files);
    out.assert_stderr_has(&format!(
        "refusing to apply the recordings: {expected} credentials found"
    ));
    assert!(!work.join(DIR).exists(), "fetch wrote recordings");
}

#[test]
fn secret_env_values_are_found_in_every_encoding() {
    let value = "pv-7Hq2/Lm9+Xc4_Zr8";
    let pct: String = value.bytes().map(|b| format!("%{b:02X}")).collect();
    let basic = STANDARD.encode(format!("user:{value}"));
    let uesc: String = value
        .chars()
        .map(|c| format!("\\u{:04x}", u32::from(c)))
        .collect();
    let slash = value.replace('/', "\\/");
    let dir = tempdir();
    let cases = [
        ("raw.txt", format!("key {value} here\n")),
        ("url.txt", format!("GET /x?q={pct} HTTP/1.1\n")),
        ("basic.txt", format!("Authorization: Basic {basic}\n")),
        ("slash.txt", format!("{{\"k\": \"{slash}\"}}\n")),
        ("uesc.txt", format!("{{\"k\": \"{uesc}\"}}\n")),
        ("slash.json", format!("{{\"k\": \"{slash}\"}}\n")),
        (
            "url.json",
            format!("{{\"u\": \"https://h.test/x?q={pct}\"}}\n"),
        ),
    ];
    for (name, text) in &cases {
        write(dir.path(), name, text);
    }
    let out = rerecord()
        .current_dir(dir.path())
        .env("MY_PROVIDER_KEY", value)
        .args(["scan", "--json", "--secret-env", "MY_PROVIDER_KEY", "."])
        .run()
        .failure();
    assert!(!out.all_output().contains(value), "{}", out.all_output());
    let json = out.json();
    for (name, _) in &cases {
        assert!(
            json["hits"]
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h["path"] == format!("./{name}")
                    && h["kind"] == "value of $MY_PROVIDER_KEY"),
            "{name}: {json}"
        );
    }
}

#[test]
fn llama_stack_recordings_have_no_finding() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/llama-stack-recordings");
    assert_scan_finds_nothing(&root, ".", 40);
}

/// `rerecord scan --json PATH` in `dir` scans at least `at_least` files and finds nothing.
#[track_caller]
fn assert_scan_finds_nothing(dir: &Path, path: &str, at_least: u64) {
    let out = rerecord()
        .current_dir(dir)
        .args(["scan", "--json", path])
        .run();
    assert_eq!(out.code, 0, "{}", out.all_output());
    let json = out.json();
    assert!(json["scanned"].as_u64().unwrap() >= at_least, "{json}");
    assert_eq!(json["hits"], json!([]));
}

#[test]
fn scan_defaults_to_changed_recordings_and_staged_reads_the_index() {
    let creds = credentials();
    let secret = &creds[0].1;
    let chat = "tests/integration/inference/recordings/a.json";
    let (_tmp, _remote, work) = repo_with(&[
        (chat.to_owned(), "{\"a\": 1}\n".to_owned(), String::new()),
        ("notes.txt".to_owned(), "x\n".to_owned(), String::new()),
    ]);
    let scan = |args: &[&str]| rerecord().current_dir(&work).arg("scan").args(args).run();
    let out = scan(&[]).success();
    out.assert_stdout_has("No credential found in 0 files.");
    // Not a recording: the default leaves it alone, a path names it.
    write(&work, "notes.txt", &format!("{secret}\n"));
    scan(&[]).success();
    let out = scan(&["notes.txt"]).failure();
    out.assert_stdout_has("notes.txt line 1: GitHub token");
    assert!(!out.all_output().contains(secret.as_str()));
    // A changed recording is found; once fixed in the work tree but still staged, --staged
    // finds it and the default does not.
    write(&work, chat, &format!("{{\"a\": \"{secret}\"}}\n"));
    let out = scan(&[]).failure();
    out.assert_stdout_has(&format!("{chat} at /a: GitHub token"));
    git(&work, &["add", chat]);
    write(&work, chat, "{\"a\": 2}\n");
    scan(&[]).success();
    scan(&["--staged"]).failure();
    scan(&["--staged", chat]).failure();
    let out = scan(&["--staged", "missing.txt"]).expect_code(2);
    out.assert_stderr_has("not in the git index");
    let out = scan(&["missing.json"]).expect_code(2);
    out.assert_stderr_has("cannot read missing.json");
    // A known false positive is allowed by its location.
    scan(&["--staged", "--allow-secret", &format!("{chat}:/a")]).success();
}

#[test]
fn the_pre_commit_hook_runs_as_declared() {
    let yaml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let hooks: serde_json::Value = serde_yaml_ng::from_str(&yaml).unwrap();
    let hook = &hooks[0];
    assert_eq!(hook["id"], "rerecord-scan");
    assert_eq!(hook["language"], "system");
    let entry: Vec<&str> = hook["entry"].as_str().unwrap().split_whitespace().collect();
    assert_eq!(entry[0], "rerecord");
    let files = regex::Regex::new(hook["files"].as_str().unwrap()).unwrap();

    let creds = credentials();
    let dir = tempdir();
    let chat = "tests/integration/inference/recordings/a.json";
    let cassette = "tests/cassettes/recordings/b.yaml";
    write(dir.path(), chat, "{\"a\": 1}\n");
    write(
        dir.path(),
        cassette,
        &format!(
            "interactions:\n- request:\n    headers:\n      Authorization:\n      - Bearer {}\n",
            creds[4].1
        ),
    );
    write(
        dir.path(),
        "src/app.py",
        &format!("KEY = '{}'\n", creds[0].1),
    );
    // pre-commit passes the staged files its `files` pattern selects, from the repository root.
    let staged = [chat, cassette, "src/app.py"];
    let selected: Vec<&str> = staged
        .iter()
        .copied()
        .filter(|p| files.is_match(p))
        .collect();
    assert_eq!(selected, [chat, cassette]);
    let out = rerecord()
        .current_dir(dir.path())
        .args(&entry[1..])
        .args(&selected)
        .run()
        .failure();
    out.assert_stdout_has(&format!(
        "{cassette} at /interactions/0/request/headers/Authorization/0: OpenAI API key"
    ));
    write(dir.path(), cassette, "interactions: []\n");
    rerecord()
        .current_dir(dir.path())
        .args(&entry[1..])
        .args(&selected)
        .run()
        .success();
}

#[path = "../../benches/support/corpus.rs"]
mod corpus;

#[test]
fn the_benchmark_corpus_has_no_finding() {
    let tmp = tempdir();
    let corpus::Corpus { work, .. } = corpus::create(&tmp.path().join("c"), 400, 7);
    assert_scan_finds_nothing(&work, "tests/integration", 400);
}

#[test]
fn a_recording_over_the_size_cap_is_refused_clearly() {
    let dir = tempdir();
    let path = dir.path().join("huge.json");
    // Sparse: 2 GiB and one byte, without writing them.
    std::fs::File::create(&path)
        .unwrap()
        .set_len((2 << 30) + 1)
        .unwrap();
    let out = rerecord()
        .current_dir(dir.path())
        .args(["scan", "huge.json"])
        .run()
        .expect_code(2);
    assert!(
        out.stderr
            .contains("huge.json is 2.0 GiB; rerecord scans recordings up to 2 GiB"),
        "{}",
        out.stderr
    );
}
