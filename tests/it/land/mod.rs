//! Behaviour tests for `rerecord land`: the fake GitHub serves the run, its PR, artifacts and
//! comments; real bare repositories sit behind the smart-HTTP git server (which demands the token
//! as `x-access-token`), reached through `GITHUB_SERVER_URL` as on a runner. Every test that
//! must not push checks the bare repositories did not move.

use crate::support;

mod untrusted;

mod current_run;

mod transport;

mod provenance;

use support::cmd::Run;
use support::fake_github::{PrSpec, TOKEN, USER};
use support::git_fixtures::git;
use support::land_world::{A, B, BRANCH, FORK, MARKER, Manifest, PUSH_TOKEN, UPSTREAM, World};

#[test]
fn land_commits_same_repo_pr_recordings_on_the_moved_tip() {
    let w = World::new(TOKEN);
    let (_, pr, run) = w.same_repo_pr(&[(A, b"{\"a\": 2}\n")]);
    // A matrix sibling pushed its recordings after the run: the commit goes on the new tip.
    let moved = w.push_to(&w.upstream, BRANCH, B, "{\"b\": 2}\n");

    // Whoever the environment says commits, the landing is the bot's.
    let out = w
        .land(run)
        .env("GIT_AUTHOR_NAME", "Env Mallory")
        .env("GIT_COMMITTER_EMAIL", "env@evil.example")
        .run()
        .success();

    let tip = w.upstream.rev(BRANCH);
    assert_ne!(tip, moved, "nothing was pushed:\n{}", out.all_output());
    assert_eq!(w.upstream.parents(&tip), vec![moved.clone()]);
    let who = git(
        &w.upstream.bare,
        &["log", "-1", "--format=%an <%ae>|%cn <%ce>", &tip],
    );
    let bot = "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>";
    assert_eq!(who, format!("{bot}|{bot}"));
    assert_eq!(w.upstream.show(BRANCH, A), "{\"a\": 2}");
    let changed = git(&w.upstream.bare, &["diff", "--name-only", &moved, &tip]);
    assert_eq!(changed, A);
    assert!(
        w.http
            .requests()
            .iter()
            .any(|r| r.contains("git-receive-pack") && r.ends_with("user=x-access-token"))
    );
    let comment = w.only_comment(pr);
    assert!(comment.contains(&tip[..12]), "{comment}");
    w.assert_snapshot("land_comment_committed", &comment, run);
    w.assert_snapshot("land_summary_committed", &w.summary(), run);
    let outputs = w.outputs();
    assert!(outputs.contains(&format!("commit-sha={tip}")), "{outputs}");
    w.assert_snapshot("land_outputs_committed", &outputs, run);
    assert!(!out.all_output().contains(TOKEN));
}

#[test]
fn land_pushes_fork_pr_recordings_to_the_fork_with_a_push_token_when_maintainers_may_edit() {
    let w = World::new(PUSH_TOKEN);
    let (head, pr, run) = w.fork_pr(&[(A, b"{\"a\": 3}\n")]);
    let upstream_before = w.upstream.rev(BRANCH);

    let out = w.land_with_push_token(run).run().success();

    w.assert_landed(&w.fork, &head, &[(A, "{\"a\": 3}")], &out);
    assert_eq!(w.upstream.rev(BRANCH), upstream_before);
    let comment = w.only_comment(pr);
    assert!(comment.contains(&format!("{FORK}:{BRANCH}")), "{comment}");
    assert!(!out.all_output().contains(PUSH_TOKEN));
    assert!(w.outputs().contains(&format!("pushed-to={FORK}:{BRANCH}")));
}

/// A fork PR that land must leave alone: nothing pushed anywhere, and the sticky comment says
/// why and how to apply the recordings locally.
fn assert_fork_left_alone(w: &World, (head, pr, run): (String, u64, u64), out: &Run, name: &str) {
    assert_eq!(w.fork.rev(BRANCH), head, "{}", out.all_output());
    w.assert_nothing_pushed();
    let comment = w.only_comment(pr);
    assert!(
        comment.contains(&format!("rerecord fetch --run {run} --run-repo {UPSTREAM}")),
        "{comment}"
    );
    w.assert_snapshot(name, &comment, run);
    assert!(w.outputs().contains("landed=false"), "{}", w.outputs());
}

#[test]
fn land_leaves_a_fork_pr_alone_and_says_why_when_maintainers_may_not_edit() {
    let w = World::new(PUSH_TOKEN);
    let head = w.fork.rev(BRANCH);
    let mut spec = PrSpec::open(UPSTREAM, FORK, BRANCH, &head);
    spec.maintainer_can_modify = false;
    let pr = w.fake.add_pr(spec);
    let run = w.pr_run(&head, FORK, vec![]);
    w.recordings(run, &[(A, b"{}\n")], Manifest::fork(&head));

    let out = w.land_with_push_token(run).run().success();

    let comment = "land_comment_fork_not_editable";
    assert_fork_left_alone(&w, (head, pr, run), &out, comment);
    assert!(w.only_comment(pr).contains("Allow edits by maintainers"));
}

#[test]
fn land_never_pushes_a_fork_pr_with_the_job_token() {
    let w = World::new(TOKEN);
    let (head, pr, run) = w.fork_pr(&[(A, b"{\"a\": 3}\n")]);

    // GITHUB_TOKEN happens to be accepted by this git server: land must still not use it.
    let out = w.land(run).env("GITHUB_TOKEN", TOKEN).run().success();

    assert_fork_left_alone(&w, (head, pr, run), &out, "land_comment_fork_no_push_token");
    let comment = w.only_comment(pr);
    assert!(comment.contains("no token that may push to forks"));
}

#[test]
fn land_refuses_an_artifact_that_claims_another_branch_than_the_api() {
    let w = World::new(TOKEN);
    let head = w.upstream.rev(BRANCH);
    let mut claims = Manifest::same_repo(&head);
    claims.head_ref = "main".into();
    let files: &[(&str, &[u8])] = &[(A, b"{\"a\": 9}\n")];
    let (pr, run) = w.recorded_pr(UPSTREAM, (&head, &head), files, claims);
    let main_before = w.upstream.rev("main");

    let out = w.land(run).run().failure();

    assert_eq!(w.upstream.rev(BRANCH), head);
    assert_eq!(w.upstream.rev("main"), main_before);
    out.assert_output_has("head branch \"main\"");
    let comment = w.only_comment(pr);
    w.assert_snapshot("land_comment_refused_branch", &comment, run);
}

#[test]
fn land_refuses_a_hostile_artifact_pushes_nothing_and_updates_its_comment() {
    let w = World::new(TOKEN);
    // A workflow file smuggled in as a "recording", listed in its own manifest.
    let evil = ".github/workflows/record.yml";
    let (head, pr, run) = w.same_repo_pr(&[(A, b"{}\n"), (evil, b"on: push\n")]);
    let earlier = w.fake.add_comment_by(
        UPSTREAM,
        pr,
        &format!("{MARKER}\nLanded 3 recordings earlier"),
        USER,
    );

    let out = w.land(run).run().failure();

    assert_eq!(w.upstream.rev(BRANCH), head);
    assert!(
        w.http.requests().is_empty(),
        "git was touched: {:?}",
        w.http.requests()
    );
    let comments = w.fake.comments(UPSTREAM, pr);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0].0, earlier);
    w.assert_snapshot("land_comment_refused_path", &comments[0].1, run);
    assert!(out.all_output().contains(evil));
}

#[test]
fn land_refuses_when_the_pr_head_moved_on_with_code_changes() {
    let w = World::new(TOKEN);
    let recorded = w.upstream.rev(BRANCH);
    let moved = w.push_to(&w.upstream, BRANCH, "src/app.py", "print('changed')\n");
    let claims = Manifest::same_repo(&recorded);
    let files: &[(&str, &[u8])] = &[(A, b"{\"a\": 5}\n")];
    let (_, run) = w.recorded_pr(UPSTREAM, (&moved, &recorded), files, claims);

    let out = w.land(run).run().failure();

    assert_eq!(w.upstream.rev(BRANCH), moved);
    crate::cli::redacted(|| {
        insta::assert_snapshot!("land_refuses_a_moved_tip", crate::cli::failure_text(&out));
    });
}

#[test]
fn land_branch_mode_pushes_a_new_branch_and_opens_a_pr_into_the_dispatched_one() {
    let w = World::new(TOKEN);
    let head = w.upstream.rev(BRANCH);
    let run = w.dispatch_run(&head);
    w.recordings(run, &[(B, b"{\"b\": 7}\n")], Manifest::same_repo(&head));
    let new_branch = format!("rerecord/recordings-{run}");
    // The fake does not see git pushes; its create-PR validation needs both branches known.
    w.fake.set_branch(UPSTREAM, BRANCH, &head);
    w.fake.set_branch(UPSTREAM, &new_branch, &head);

    let out = w.land(run).run().success();

    assert_eq!(
        w.upstream.rev(BRANCH),
        head,
        "the dispatched branch itself must not move"
    );
    let tip = w.upstream.rev(&new_branch);
    assert_eq!(
        w.upstream.parents(&tip),
        vec![head.clone()],
        "{}",
        out.all_output()
    );
    assert_eq!(w.upstream.show(&new_branch, B), "{\"b\": 7}");
    let opened: Vec<_> = w
        .fake
        .pulls(UPSTREAM)
        .into_iter()
        .filter(|p| p.head_ref == new_branch)
        .collect();
    assert_eq!(opened.len(), 1, "{}", out.all_output());
    assert_eq!(opened[0].base_ref, BRANCH);
    assert!(w.outputs().contains(&format!("pr={}", opened[0].number)));
}

#[test]
fn land_updates_the_sticky_comment_beyond_the_first_page_instead_of_adding_one() {
    let w = World::new(TOKEN);
    let (_, pr, run) = w.same_repo_pr(&[(A, b"{\"a\": 4}\n")]);
    // More than a page of chatter at GitHub's largest page size (100), then the sticky comment.
    for i in 0..105 {
        w.fake.add_comment(UPSTREAM, pr, &format!("comment {i}"));
    }
    let sticky = w
        .fake
        .add_comment_by(UPSTREAM, pr, &format!("{MARKER}\nold news"), USER);

    w.land(run).run().success();

    let comments = w.fake.comments(UPSTREAM, pr);
    assert_eq!(comments.len(), 106);
    let marked: Vec<_> = comments
        .iter()
        .filter(|(_, b)| b.contains(MARKER))
        .collect();
    assert_eq!(marked.len(), 1);
    assert_eq!(marked[0].0, sticky);
    assert!(
        marked[0].1.contains("Committed 1 recording"),
        "{}",
        marked[0].1
    );
    assert!(
        w.fake
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/comments")
                && r.query.as_deref().is_some_and(|q| q.contains("page=2")))
    );
}

#[test]
fn land_merges_matrix_artifacts_into_one_commit() {
    let w = World::new(TOKEN);
    let (head, _, run) = w.same_repo_pr(&[(A, b"{\"a\": 6}\n")]);
    w.artifact(
        run,
        "recordings-vllm-agents",
        &[(B, b"{\"b\": 6}\n")],
        Manifest::same_repo(&head),
    );
    w.artifact(
        run,
        "coverage-report",
        &[(A, b"ignored: other prefix\n")],
        Manifest::same_repo(&head),
    );

    w.land(run).run().success();

    assert_eq!(w.upstream.count(&format!("{head}..{BRANCH}")), 1);
    assert_eq!(w.upstream.show(BRANCH, A), "{\"a\": 6}");
    assert_eq!(w.upstream.show(BRANCH, B), "{\"b\": 6}");
}

#[test]
fn land_dry_run_pushes_and_comments_nothing() {
    let w = World::new(TOKEN);
    let (head, pr, run) = w.same_repo_pr(&[(A, b"{\"a\": 8}\n")]);

    let out = w.land(run).args(["--dry-run", "--json"]).run().success();

    assert_eq!(w.upstream.rev(BRANCH), head);
    w.assert_nothing_pushed();
    assert!(w.fake.comments(UPSTREAM, pr).is_empty());
    let json = out.json();
    assert_eq!(json["status"], "dry-run");
    assert_eq!(json["files"][0]["path"], A);
}

#[test]
fn land_without_recording_artifacts_has_nothing_to_do() {
    let w = World::new(TOKEN);
    let (_, pr, run) = w.same_repo_pr_run();

    let out = w.land(run).run().success();

    assert!(
        out.stdout.contains("Nothing to land"),
        "{}",
        out.all_output()
    );
    assert!(w.fake.comments(UPSTREAM, pr).is_empty());
    assert!(w.http.requests().is_empty());
}

#[test]
fn land_accepts_a_pr_head_ahead_of_the_run_by_recording_commits_only() {
    let w = World::new(TOKEN);
    let recorded = w.upstream.rev(BRANCH);
    // A matrix sibling pushed its own recordings after this run's checkout.
    let sibling = w.push_to(&w.upstream, BRANCH, B, "{\"b\": 2}\n");
    let claims = Manifest::same_repo(&recorded);
    let files: &[(&str, &[u8])] = &[(A, b"{\"a\": 5}\n")];
    let (_, run) = w.recorded_pr(UPSTREAM, (&sibling, &recorded), files, claims);

    let out = w.land(run).run().success();

    w.assert_landed(
        &w.upstream,
        &sibling,
        &[(A, "{\"a\": 5}"), (B, "{\"b\": 2}")],
        &out,
    );
}

#[test]
fn land_tells_a_renamed_repository_once_in_its_report_warnings() {
    let w = World::new(TOKEN);
    let (_, _, run) = w.same_repo_pr(&[(A, b"{\"a\": 8}\n")]);
    let renamed = format!("{UPSTREAM}-renamed");
    w.fake.rename_repo(UPSTREAM, &renamed);

    // The manifest names the old repository, the API the new one: land refuses, and the move is
    // in the report once.
    let out = w.land(run).args(["--dry-run", "--json"]).run().failure();
    let json = out.json();
    let notice = format!("{UPSTREAM} moved to {renamed}");
    let warnings: Vec<&str> = json["warnings"]
        .as_array()
        .unwrap_or_else(|| panic!("no warnings in {json}"))
        .iter()
        .filter_map(|w| w.as_str())
        .filter(|w| w.contains(&notice))
        .collect();
    assert_eq!(warnings.len(), 1, "{json}");
    assert!(
        !out.stderr
            .contains(&format!("warning: GitHub says {notice}")),
        "told twice: {}",
        out.stderr
    );
}
