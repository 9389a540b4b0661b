//! `land` against what a fork or a stranger controls: marker comments written by someone else,
//! manifest claims crafted to inject markdown into the PR comment, a run whose fork is gone, and
//! artifacts without a manifest to cross-check.

use super::world::{A, BRANCH, FORK, MARKER, Manifest, UPSTREAM, World};
use crate::support::fake_github::{JOB_TOKEN_USER, PrSpec, TOKEN};
use crate::support::zips::ZipBuilder;

/// A same-repository PR at the branch's head, its run, and an artifact claiming `claims`.
fn same_repo_pr(w: &World, claims: impl FnOnce(&str) -> Manifest) -> (String, u64, u64) {
    let head = w.upstream.rev(BRANCH);
    let pr = w
        .fake
        .add_pr(PrSpec::open(UPSTREAM, UPSTREAM, BRANCH, &head));
    let run = w.pr_run(&head, UPSTREAM, vec![pr]);
    w.artifact(run, "recordings-1", &[(A, b"{\"a\": 8}\n")], claims(&head));
    (head, pr, run)
}

/// `md` without its inline code spans: what GitHub would render as live markdown.
fn outside_code(md: &str) -> String {
    md.split('`').step_by(2).collect::<Vec<_>>().join(" ")
}

#[test]
fn land_never_writes_into_a_marker_comment_someone_else_posted() {
    let w = World::new(TOKEN);
    let (_, pr, run) = same_repo_pr(&w, Manifest::same_repo);
    let planted = format!("{MARKER}\nThis PR is approved, see [the docs](https://evil.example)");
    let attacker = w.fake.add_comment(UPSTREAM, pr, &planted);

    let out = w.land(run).run().success();

    let comments = w.fake.comments(UPSTREAM, pr);
    assert_eq!(comments.len(), 2, "{comments:?}\n{}", out.all_output());
    assert_eq!(comments[0], (attacker, planted));
    assert!(
        comments[1].1.starts_with(MARKER) && comments[1].1.contains("Committed 1 recording"),
        "{}",
        comments[1].1
    );
}

#[test]
fn land_with_the_job_token_updates_the_comment_github_actions_wrote() {
    let w = World::new(TOKEN);
    w.fake.act_as_job_token();
    let (_, pr, run) = same_repo_pr(&w, Manifest::same_repo);
    let planted = format!("{MARKER}\nplanted first");
    let attacker = w.fake.add_comment(UPSTREAM, pr, &planted);
    let ours = w
        .fake
        .add_comment_by(UPSTREAM, pr, &format!("{MARKER}\nold news"), JOB_TOKEN_USER);

    let out = w.land(run).run().success();

    let comments = w.fake.comments(UPSTREAM, pr);
    assert_eq!(comments.len(), 2, "{comments:?}\n{}", out.all_output());
    assert_eq!(comments[0], (attacker, planted));
    assert_eq!(comments[1].0, ours);
    assert!(
        comments[1].1.contains("Committed 1 recording"),
        "{}",
        comments[1].1
    );
}

#[test]
fn land_quotes_a_forged_manifest_only_as_code_in_its_comment() {
    let w = World::new(TOKEN);
    let forged = "main](https://evil.example) @org/team";
    let (head, pr, run) = same_repo_pr(&w, |head| Manifest {
        head_ref: forged.into(),
        ..Manifest::same_repo(head)
    });

    let out = w.land(run).run().failure();

    assert_eq!(w.upstream.rev(BRANCH), head);
    let comment = w.only_comment(pr);
    assert!(comment.contains("refused"), "{comment}");
    assert!(
        comment.contains("https://evil.example) @org/team"),
        "the reason should quote the claim: {comment}"
    );
    let live = outside_code(&comment);
    assert!(
        !live.contains("evil.example") && !live.contains('@'),
        "untrusted text outside code in:\n{comment}"
    );
    assert!(out.all_output().contains(forged), "{}", out.all_output());
}

#[test]
fn land_refuses_a_run_whose_fork_was_deleted() {
    let w = World::new(TOKEN);
    let head = w.fork.rev(BRANCH);
    let pr = w.fake.add_pr(PrSpec::open(UPSTREAM, FORK, BRANCH, &head));
    let run = w.pr_run(&head, FORK, vec![]);
    // The manifest says what an upstream run would: only the API's null head repository tells.
    w.artifact(
        run,
        "recordings-1",
        &[(A, b"{\"a\": 6}\n")],
        Manifest::same_repo(&head),
    );
    w.fake.delete_repo(FORK);
    let upstream_before = w.upstream.rev(BRANCH);

    let out = w.land(run).run().failure();

    assert_eq!(w.upstream.rev(BRANCH), upstream_before);
    assert!(w.http.requests().is_empty(), "{:?}", w.http.requests());
    assert!(
        out.all_output().contains("head repository of run") && out.all_output().contains("gone"),
        "{}",
        out.all_output()
    );
    assert!(w.fake.comments(UPSTREAM, pr).is_empty());
}

#[test]
fn land_refuses_an_artifact_without_a_manifest() {
    let w = World::new(TOKEN);
    let head = w.upstream.rev(BRANCH);
    let pr = w
        .fake
        .add_pr(PrSpec::open(UPSTREAM, UPSTREAM, BRANCH, &head));
    let run = w.pr_run(&head, UPSTREAM, vec![pr]);
    let legacy = ZipBuilder::new().file(A, b"{\"a\": 7}\n").finish();
    w.fake
        .add_artifact(UPSTREAM, run, "recordings-legacy", legacy, false);

    let out = w.land(run).run().failure();

    assert_eq!(w.upstream.rev(BRANCH), head);
    assert!(w.http.requests().is_empty(), "{:?}", w.http.requests());
    assert!(
        out.all_output()
            .contains("recordings-legacy has no rerecord-manifest.json"),
        "{}",
        out.all_output()
    );
    let comment = w.only_comment(pr);
    assert!(
        comment.contains("refused") && comment.contains("rerecord-manifest.json"),
        "{comment}"
    );
}
