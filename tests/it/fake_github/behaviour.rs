//! Pagination, faults, blob storage, authentication, the request log and round counting.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

use super::client::{Resp, bearer, get, post, send};
use super::world;
use crate::support::fake_github::{Fault, FaultKind, Listener, Recorded, TOKEN, critical_path};

fn next_link(resp: &Resp) -> Option<String> {
    resp.header("link")?.split(", ").find_map(|part| {
        let (url, rel) = part.split_once("; ")?;
        (rel == "rel=\"next\"").then(|| url.trim_matches(['<', '>']).to_string())
    })
}

#[test]
fn link_headers_walk_every_page_of_a_list() {
    let w = world();
    let extra: Vec<u64> = (0..6)
        .map(|i| w.gh.add_comment("acme/widgets", w.pr, &format!("c{i}")))
        .collect();
    let first = get(
        &w.gh,
        &format!("/repos/acme/widgets/issues/{}/comments?per_page=3", w.pr),
    );
    let link = first
        .header("link")
        .expect("a Link header on a multi-page list")
        .to_string();
    assert!(link.contains("page=3>; rel=\"last\""), "{link}");
    assert!(
        link.starts_with(&format!("<{}/repos/acme/widgets/issues/", w.gh.url())),
        "{link}"
    );
    let mut ids: Vec<u64> = Vec::new();
    let mut page = first;
    loop {
        ids.extend(
            page.json()
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_u64().unwrap()),
        );
        let Some(next) = next_link(&page) else { break };
        page = send("GET", &next, Some(&bearer()), None);
        assert_eq!(page.status, 200);
    }
    let mut expected = vec![w.comment];
    expected.extend(extra);
    assert_eq!(ids, expected);
    assert!(page.header("link").unwrap().contains("rel=\"prev\""));
    assert!(page.header("link").unwrap().contains("rel=\"first\""));
    let single = get(
        &w.gh,
        &format!("/repos/acme/widgets/issues/{}/comments", w.pr),
    );
    assert!(single.header("link").is_none(), "one page needs no Link");
}

#[test]
fn faults_fire_the_configured_number_of_times_then_stop() {
    let w = world();
    w.gh.inject(Fault::new("GET", "/pulls", 502).times(2));
    w.gh.inject(Fault::new("GET", "/branches/", 429).retry_after(7));
    w.gh.inject(Fault::secondary_rate_limit(
        "GET",
        "/actions/workflows/",
        60,
    ));
    w.gh.inject(Fault::new("GET", "/contents/", 403));
    let statuses: Vec<u16> = (0..3)
        .map(|_| get(&w.gh, "/repos/acme/widgets/pulls").status)
        .collect();
    assert_eq!(statuses, [502, 502, 200]);
    let limited = get(&w.gh, "/repos/acme/widgets/branches/main");
    assert_eq!(
        (limited.status, limited.header("retry-after")),
        (429, Some("7"))
    );
    assert_eq!(get(&w.gh, "/repos/acme/widgets/branches/main").status, 200);
    let secondary = get(&w.gh, "/repos/acme/widgets/actions/workflows/record.yml");
    assert_eq!(
        (secondary.status, secondary.header("retry-after")),
        (403, Some("60"))
    );
    assert!(
        secondary.json()["message"]
            .as_str()
            .unwrap()
            .contains("secondary rate limit")
    );
    let primary = get(&w.gh, "/repos/acme/widgets/contents/README.md");
    assert_eq!(
        (primary.status, primary.header("x-ratelimit-remaining")),
        (403, Some("0"))
    );
    let ok = get(&w.gh, "/repos/acme/widgets");
    for h in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-ratelimit-used",
    ] {
        assert!(ok.header(h).is_some(), "{h} missing");
    }
    assert_eq!(ok.header("x-ratelimit-resource"), Some("core"));
}

#[test]
fn after_effect_fault_does_the_work_then_answers_the_error() {
    let w = world();
    w.gh.inject(Fault::new("POST", "/dispatches", 502).kind(FaultKind::AfterEffect));
    let path = "/repos/acme/widgets/actions/workflows/record.yml/dispatches";
    let resp = post(
        &w.gh,
        path,
        json!({"ref": "main", "return_run_details": true}),
    );
    assert_eq!(resp.status, 502);
    let dispatched: Vec<_> =
        w.gh.runs("acme/widgets")
            .into_iter()
            .filter(|r| r.spec.event == "workflow_dispatch")
            .collect();
    assert_eq!(
        dispatched.len(),
        1,
        "the run exists although the answer was an error"
    );
}

#[test]
fn hang_fault_never_answers_and_is_recorded_unanswered() {
    let w = world();
    w.gh.inject(Fault::new("GET", "/actions/runs/", 0).kind(FaultKind::Hang));
    let mut stream = TcpStream::connect(w.gh.host_port()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let req = format!(
        "GET /repos/acme/widgets/actions/runs/{} HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\n\r\n",
        w.run,
        bearer()
    );
    stream.write_all(req.as_bytes()).unwrap();
    let mut buf = [0u8; 64];
    let err = stream.read(&mut buf).expect_err("no answer");
    assert!(matches!(
        err.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    ));
    let hung =
        w.gh.requests()
            .into_iter()
            .find(|r| r.path.contains("/actions/runs/"))
            .unwrap();
    assert_eq!(hung.status, 0);
}

#[test]
fn download_redirects_to_storage_that_refuses_authorization_and_forged_urls() {
    let w = world();
    let redirect = get(
        &w.gh,
        &format!("/repos/acme/widgets/actions/artifacts/{}/zip", w.artifact),
    );
    assert_eq!(redirect.status, 302);
    let location = redirect.header("location").unwrap().to_string();
    let with_token = send("GET", &location, Some(&bearer()), None);
    assert_eq!(with_token.status, 403);
    assert!(String::from_utf8_lossy(&with_token.body).contains("Authorization header"));
    let forged = location.replace("sig=", "sig=00");
    assert_eq!(send("GET", &forged, None, None).status, 403);
    let other = location.replace(
        &format!("/blob/{}", w.artifact),
        &format!("/blob/{}", w.expired),
    );
    assert_eq!(
        send("GET", &other, None, None).status,
        403,
        "a signature is for one blob"
    );
    let blob = send("GET", &location, None, None);
    assert_eq!(blob.status, 200);
    assert_eq!(blob.body, b"PK-zip");
    assert_eq!(blob.header("content-type"), Some("application/zip"));
    assert_eq!(blob.header("content-length"), Some("6"));
    let expired = get(
        &w.gh,
        &format!("/repos/acme/widgets/actions/artifacts/{}/zip", w.expired),
    );
    assert_eq!(expired.status, 410);
    let storage: Vec<Recorded> =
        w.gh.requests()
            .into_iter()
            .filter(|r| r.listener == Listener::Storage)
            .collect();
    assert_eq!(storage.len(), 4);
    assert!(storage[0].authorization.is_some() && storage[3].authorization.is_none());
}

#[test]
fn requests_need_the_token_and_are_recorded_with_their_body() {
    let w = world();
    let anonymous = send(
        "GET",
        &format!("{}/repos/acme/widgets", w.gh.url()),
        None,
        None,
    );
    assert_eq!(
        (anonymous.status, anonymous.json()["message"].clone()),
        (401, json!("Bad credentials"))
    );
    let wrong = send(
        "GET",
        &format!("{}/repos/acme/widgets", w.gh.url()),
        Some("Bearer nope"),
        None,
    );
    assert_eq!(wrong.status, 401);
    let classic = send(
        "GET",
        &format!("{}/user", w.gh.url()),
        Some(&format!("token {TOKEN}")),
        None,
    );
    assert_eq!(classic.status, 200);
    assert_eq!(classic.header("x-oauth-scopes"), Some("repo, workflow"));
    post(
        &w.gh,
        &format!("/repos/acme/widgets/issues/{}/comments", w.pr),
        json!({"body": "x"}),
    );
    let reqs = w.gh.requests();
    assert_eq!(reqs.len(), 4);
    assert_eq!(reqs[3].body, Some(json!({"body": "x"})));
    assert_eq!((reqs[3].method.as_str(), reqs[3].status), ("POST", 201));
    assert!(
        reqs.iter()
            .all(|r| r.finished >= r.started && r.listener == Listener::Api)
    );
    assert_eq!(w.gh.comments("acme/widgets", w.pr).last().unwrap().1, "x");
}

#[test]
fn critical_path_counts_overlapping_requests_as_one_round() {
    let w = world();
    w.gh.set_latency(Duration::from_millis(150));
    let url = w.gh.url();
    thread::scope(|s| {
        for path in ["/repos/acme/widgets", "/repos/acme/widgets/branches/main"] {
            let url = &url;
            s.spawn(move || send("GET", &format!("{url}{path}"), Some(&bearer()), None));
        }
    });
    let started = Instant::now();
    get(&w.gh, "/user");
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "latency applies"
    );
    let reqs = w.gh.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(critical_path(&reqs), 2);
    assert_eq!(critical_path(&reqs[..2]), 1);
    assert_eq!(critical_path(&[]), 0);
}

/// A compare answer's (filename, status) pairs, sorted.
fn file_statuses(v: &serde_json::Value) -> Vec<(String, String)> {
    let mut files = super::pairs_of(&v["files"], "filename", "status");
    files.sort();
    files
}

#[test]
fn compare_answers_from_the_attached_git_history_across_the_fork_network() {
    use crate::support::cmd::tempdir;
    use crate::support::git_fixtures::{Remote, commit_and_push, git, write};
    let w = world();
    let dir = tempdir();
    let remote = Remote::new(dir.path(), "feature", &[("src/a.py", "1\n")]);
    let base = remote.rev("feature");
    let work = remote.clone("work", "feature");
    write(&work, "rec/x.json", "{}\n");
    commit_and_push(&work, "feature", "one");
    write(&work, "src/a.py", "2\n");
    let head = commit_and_push(&work, "feature", "two");
    git(&work, &["checkout", "-q", "-b", "other", &base]);
    write(&work, "src/b.py", "b\n");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "other"]);
    let other = git(&work, &["rev-parse", "HEAD"]);
    git(&work, &["push", "-q", "origin", "other"]);
    // The fork holds the commits; the upstream finds them through its network.
    w.gh.attach_git("alice/widgets", &remote.bare);

    let compare = |range: &str| get(&w.gh, &format!("/repos/acme/widgets/compare/{range}"));
    let resp = compare(&format!("{base}...{head}?per_page=1"));
    assert_eq!(resp.status, 200);
    let v = resp.json();
    assert_eq!(v["status"], "ahead");
    assert_eq!(v["ahead_by"], 2);
    assert_eq!(v["total_commits"], 2);
    assert_eq!(v["commits"].as_array().unwrap().len(), 1, "per_page=1");
    assert!(next_link(&resp).is_some_and(|l| l.contains("page=2")));
    assert_eq!(
        file_statuses(&v),
        vec![
            ("rec/x.json".into(), "added".into()),
            ("src/a.py".into(), "modified".into())
        ]
    );
    let page2 = compare(&format!("{base}...{head}?per_page=1&page=2")).json();
    assert_eq!(
        page2["files"].as_array().unwrap().len(),
        0,
        "files on page 1 only"
    );

    for (from, to, status) in [
        (&head, &head, "identical"),
        (&head, &base, "behind"),
        (&other, &head, "diverged"),
    ] {
        let v = compare(&format!("{from}...{to}")).json();
        assert_eq!(v["status"], status, "{from}...{to}");
    }
    let unknown = compare(&format!("{}...{head}", "d".repeat(40)));
    assert_eq!(unknown.status, 404);
}
