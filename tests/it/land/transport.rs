//! What `land` costs on the wire and how it rides out a flaky git server: only the tip of the
//! branch is fetched whatever its history, answers with Content-Type parameters are understood,
//! transient server errors on the ref discovery and the fetch are retried, and a push whose
//! answer was lost is checked on the refs, never sent again blindly.

use crate::support::fake_github::TOKEN;

use crate::support::land_world::{A, B, BRANCH, World};

/// Bytes the git server sent to fetches (ref discoveries and upload-pack answers) for one
/// landing on a branch `commits` commits long.
fn fetched_bytes(commits: usize) -> usize {
    let w = World::new(TOKEN);
    w.grow_history(&w.upstream, BRANCH, A, commits);
    let (head, _, run) = w.same_repo_pr(&[(B, b"{\"b\": 21}\n")]);
    let out = w.land(run).run().success();
    w.assert_landed(&w.upstream, &head, &[(B, "{\"b\": 21}")], &out);
    w.http.bytes_sent("git-upload-pack")
}

#[test]
fn land_fetches_the_same_bytes_whatever_the_length_of_the_history() {
    let short = fetched_bytes(3);
    let long = fetched_bytes(400);
    eprintln!("fetched bytes: {short} (3 commits), {long} (400 commits)");
    // 400 commits rewriting a recording are some 100 KiB of objects; the tip alone is the same
    // few hundred bytes either way.
    assert!(
        long <= short + short / 4,
        "fetched {short} bytes for 3 commits, {long} for 400"
    );
}

#[test]
fn land_understands_content_types_with_parameters() {
    let w = World::new(TOKEN);
    w.http.content_type_params("; charset=utf-8");
    let (head, _, run) = w.same_repo_pr(&[(B, b"{\"b\": 22}\n")]);

    let out = w.land(run).run().success();

    w.assert_landed(&w.upstream, &head, &[(B, "{\"b\": 22}")], &out);
}

#[test]
fn land_streams_the_pushed_pack_instead_of_sending_it_whole() {
    let w = World::new(TOKEN);
    let (head, _, run) = w.same_repo_pr(&[(B, b"{\"b\": 26}\n")]);

    let out = w.land(run).run().success();

    w.assert_landed(&w.upstream, &head, &[(B, "{\"b\": 26}")], &out);
    // A body sent as it is written has no Content-Length: it is chunked.
    let chunked = w.http.chunked_requests();
    assert!(
        chunked
            .iter()
            .any(|r| r == "POST /upstream/project.git/git-receive-pack"),
        "{chunked:?}"
    );
}

#[test]
fn land_retries_transient_server_errors_of_the_ref_discovery_and_the_fetch() {
    let w = World::new(TOKEN);
    w.http
        .fail_next("info/refs?service=git-upload-pack", 502, 2);
    w.http
        .fail_next("info/refs?service=git-receive-pack", 503, 1);
    w.http
        .fail_next("POST /upstream/project.git/git-upload-pack", 504, 1);
    let (head, _, run) = w.same_repo_pr(&[(B, b"{\"b\": 23}\n")]);

    let out = w.land(run).run().success();

    w.assert_landed(&w.upstream, &head, &[(B, "{\"b\": 23}")], &out);
    let discoveries = w.git_requests(|r| r.contains("info/refs?service=git-upload-pack"));
    assert!(discoveries >= 3, "{:?}", w.http.requests());
    let fetches = w.git_requests(|r| r.starts_with("POST /upstream/project.git/git-upload-pack"));
    assert!(fetches >= 2, "{:?}", w.http.requests());
}

#[test]
fn land_checks_the_refs_after_a_push_whose_answer_was_lost_and_never_pushes_twice() {
    let w = World::new(TOKEN);
    // The server takes the push, then the proxy loses its answer.
    w.http.lose_answer_of_next("git-receive-pack", 502, 1);
    let (head, _, run) = w.same_repo_pr(&[(B, b"{\"b\": 24}\n")]);

    let out = w.land(run).run().success();

    w.assert_landed(&w.upstream, &head, &[(B, "{\"b\": 24}")], &out);
    let posts = w.git_requests(|r| r.starts_with("POST") && r.contains("git-receive-pack"));
    assert_eq!(posts, 1, "{:?}", w.http.requests());
}

#[test]
fn land_pushes_again_after_a_push_that_a_server_error_refused() {
    let w = World::new(TOKEN);
    w.http
        .fail_next("POST /upstream/project.git/git-receive-pack", 502, 1);
    let (head, _, run) = w.same_repo_pr(&[(B, b"{\"b\": 25}\n")]);

    let out = w.land(run).run().success();

    w.assert_landed(&w.upstream, &head, &[(B, "{\"b\": 25}")], &out);
}
