//! When GitHub cannot be reached: a black hole (accepts, never answers), a refused port, a host
//! that does not resolve, a TLS certificate nobody trusts. rerecord says on stderr that it is
//! retrying (n/N), ends with one sentence naming the problem and the next step, `doctor` still
//! runs its local checks, and `--json` commands print a JSON error object on stdout.

use std::net::TcpListener;
use std::path::Path;

use crate::support::cmd::{Run, assert_check_says, doctor_check, rerecord, tempdir};
use crate::support::fake_github::TOKEN;
use crate::support::git_fixtures::{add_remote, git};
use crate::support::tls::{TestCa, TlsProxy};

/// A listener that accepts every connection and never answers; returns its API URL.
fn black_hole() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    url
}

/// A port nothing listens on.
fn refused() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// A checkout with a GitHub remote and a recording workflow file.
fn checkout(dir: &Path) {
    git(dir, &["init", "-q", "-b", "feature-x"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", "init"]);
    add_remote(dir, "origin", "https://github.com/me/project.git");
    let wf = dir.join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::write(
        wf.join("record-integration-tests.yml"),
        "on:\n  workflow_dispatch:\n    inputs:\n      subdirs: {type: string}\njobs: {}\n",
    )
    .unwrap();
}

fn doctor(dir: &Path, api: &str, extra: &[&str]) -> Run {
    with_token(dir)
        .env("RERECORD_HTTP_TIMEOUT", "1")
        .args(["doctor", "--api-url", api])
        .args(extra)
        .run()
}

#[test]
fn a_black_hole_api_is_told_as_retries_then_a_timeout_with_the_next_step() {
    let dir = tempdir();
    checkout(dir.path());
    let out = doctor(dir.path(), &black_hole(), &[]).failure();
    for n in 1..=3 {
        assert!(
            out.stderr.contains(&format!("({n}/3)")),
            "retry {n} not told:\n{}",
            out.stderr
        );
    }
    assert!(
        out.stderr
            .contains("note: GitHub is not answering (timed out) (GET /user); retrying in"),
        "{}",
        out.stderr
    );
    // Said while waiting, once, not only after the first timeout.
    assert_eq!(
        out.stderr
            .matches("note: no answer from GitHub yet (GET /user) after 250ms; still waiting")
            .count(),
        1,
        "{}",
        out.stderr
    );
    out.assert_stdout_has("FAIL  github");
    out.assert_stdout_has("GitHub is not answering (timed out)");
    out.assert_stdout_has("fix: check your network or HTTPS_PROXY");
    // Not blamed on the token.
    assert!(!out.stdout.contains("token is valid"), "{}", out.stdout);
    // The local checks ran anyway.
    out.assert_stdout_has("ok    remotes   origin -> me/project");
    out.assert_stdout_has("ok    file      .github/workflows/record-integration-tests.yml");
}

#[test]
fn a_refused_port_is_named_with_api_url_and_json_commands_print_an_error_object() {
    let dir = tempdir();
    checkout(dir.path());
    let api = refused();
    let out = doctor(dir.path(), &api, &["--json"]).failure();
    let json = out.json();
    let github = doctor_check(&json, "github");
    assert_eq!(github["status"], "fail");
    assert_check_says(
        &json,
        "github",
        "message",
        "the connection to the API host was refused",
    );
    assert_check_says(&json, "github", "fix", "--api-url");
    assert_eq!(doctor_check(&json, "remotes")["status"], "ok");

    // fetch --json fails: one JSON error object on stdout, the sentence on stderr.
    let out = with_token(dir.path())
        .args([
            "fetch",
            "--json",
            "--api-url",
            &api,
            "--run-repo",
            "me/project",
        ])
        .args(["--run", "7"])
        .run()
        .failure();
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    let json = out.json();
    assert_eq!(json["error"]["kind"], "network", "{json}");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("refused") && message.contains("--api-url"),
        "{message}"
    );
    out.assert_stderr_has("retrying");
    out.assert_stderr_has("error: ");
    assert!(!out.all_output().contains(TOKEN));
}

#[test]
fn schedule_against_a_refused_port_says_it_is_retrying_and_why_it_gave_up() {
    let dir = tempdir();
    checkout(dir.path());
    let out = with_token(dir.path())
        .args([
            "schedule",
            "--dry-run",
            "--api-url",
            &refused(),
            "--upstream",
            "me/project",
        ])
        .run()
        .failure();
    out.assert_stderr_has("retrying in");
    out.assert_stderr_has("(3/3)");
    out.assert_stderr_has("the connection to the API host was refused");
    assert!(!out.stderr.contains("SendRequest)\n"), "{}", out.stderr);
}

#[test]
fn an_unresolvable_host_is_a_dns_problem() {
    let dir = tempdir();
    checkout(dir.path());
    // https: plain http is refused up front for a host that is not this machine.
    let out = doctor(dir.path(), "https://api.rerecord-test.invalid", &["--json"]).failure();
    let json = out.json();
    assert_check_says(&json, "github", "message", "does not resolve (DNS)");
    assert_check_says(&json, "github", "fix", "check your network");
}

#[test]
fn an_untrusted_certificate_is_a_tls_problem_told_at_once() {
    let dir = tempdir();
    checkout(dir.path());
    let hole: std::net::SocketAddr = black_hole().trim_start_matches("http://").parse().unwrap();
    let proxy = TlsProxy::start(hole, &TestCa::new());
    let other = dir.path().join(".git/other-ca.pem");
    TestCa::new().write_pem(&other);
    let out = with_token(dir.path())
        .env("SSL_CERT_FILE", &other)
        .args(["doctor", "--json", "--api-url", &proxy.url()])
        .run()
        .failure();
    let json = out.json();
    assert_check_says(
        &json,
        "github",
        "message",
        "the TLS handshake with the API host failed",
    );
    assert_check_says(&json, "github", "fix", "SSL_CERT_FILE");
    // Asking again cannot help: no retry.
    assert!(!out.stderr.contains("retrying"), "{}", out.stderr);
}

#[test]
fn doctor_without_a_token_still_runs_the_local_checks() {
    let dir = tempdir();
    checkout(dir.path());
    let out = rerecord()
        .current_dir(dir.path())
        .args(["doctor", "--json", "--api-url", &refused()])
        .run()
        .failure();
    let json = out.json();
    assert_eq!(doctor_check(&json, "token")["status"], "fail");
    assert_eq!(doctor_check(&json, "config")["status"], "ok");
    assert_eq!(doctor_check(&json, "remotes")["status"], "ok");
    assert_eq!(doctor_check(&json, "file")["status"], "ok");
}

#[test]
fn doctor_outside_a_repository_neither_passes_the_config_nor_suggests_git_remote_add() {
    let dir = tempdir();
    let out = rerecord()
        .current_dir(dir.path())
        .args(["doctor", "--api-url", &refused()])
        .run()
        .failure();
    out.assert_stdout_has("FAIL  checkout  not inside a git repository");
    assert!(!out.stdout.contains("ok    config"), "{}", out.stdout);
    assert!(!out.stdout.contains("git remote add"), "{}", out.stdout);
}

/// A command that printed its own `--json` report before failing keeps stdout one object: the
/// report (which says why), not a second error object.
#[test]
fn a_json_report_printed_before_a_failure_stays_the_only_object_on_stdout() {
    use crate::support::land_world::{A, World};
    // The git server takes a token nobody has: the landing fails after the report is made.
    let w = World::new("ghp_nobodyHasThisToken000000000000");
    let (_, _, run) = w.same_repo_pr(&[(A, b"{\"a\": 2}\n")]);
    let out = w
        .land(run)
        .env("GITHUB_TOKEN", TOKEN)
        .args(["--json", "--no-comment"])
        .run()
        .failure();
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    let json = out.json();
    assert!(json.get("error").is_none(), "{json}");
    assert_eq!(json["status"], "refused", "{json}");
    out.assert_stderr_has("error: ");
}

/// `rerecord` in `dir` with the fake's token in `GH_TOKEN`.
fn with_token(dir: &std::path::Path) -> crate::support::cmd::Rerecord {
    rerecord().current_dir(dir).env("GH_TOKEN", TOKEN)
}
