//! Which runs land takes (the run of the landing job itself while in progress; otherwise only
//! completed runs of the recording workflow's file, of allowed events), runs on the default
//! branch that recorded a PR named by the workflow's own inputs (`--pr`, `--head-branch`), and
//! what the report says each file is.

use crate::support::fake_github::RunSpec;
use crate::support::git_fixtures::git;

use crate::support::cmd::Run;
use crate::support::fake_github::TOKEN;
use crate::support::land_world::{A, B, BRANCH, Manifest, UPSTREAM, WORKFLOW, World};

const NEW: &str = "tests/integration/recordings/new.json";

/// A same-repository PR on `BRANCH` and an in-progress `pull_request` run of its head.
fn in_progress_pr_run(w: &World) -> (u64, u64, String) {
    let head = w.upstream.rev(BRANCH);
    let pr = w.open_pr(UPSTREAM, &head);
    let mut spec = RunSpec::pull_request(WORKFLOW, UPSTREAM, BRANCH, &head);
    spec.status = "in_progress".into();
    spec.conclusion = None;
    spec.pull_requests = vec![pr];
    let run = w.fake.add_run(UPSTREAM, spec);
    w.recordings(run, &[(A, b"{\"a\": 11}\n")], Manifest::same_repo(&head));
    (run, pr, head)
}

/// `land` of `run` from a job of run `current` (`GITHUB_RUN_ID`).
fn land_in_run(w: &World, run: u64, current: u64) -> Run {
    w.land(run).env("GITHUB_RUN_ID", current.to_string()).run()
}

#[test]
fn land_takes_its_own_run_while_it_is_in_progress() {
    let w = World::new(TOKEN);
    let (run, _, head) = in_progress_pr_run(&w);

    let out = land_in_run(&w, run, run).success();

    w.assert_landed(&w.upstream, &head, &[(A, "{\"a\": 11}")], &out);
}

#[test]
fn land_refuses_another_run_that_is_still_in_progress() {
    let w = World::new(TOKEN);
    let (run, _, head) = in_progress_pr_run(&w);

    let out = land_in_run(&w, run, run + 1).failure();

    assert_eq!(w.upstream.rev(BRANCH), head);
    assert!(w.http.requests().is_empty(), "{:?}", w.http.requests());
    let text = out.all_output();
    for says in ["in_progress", "GITHUB_RUN_ID"] {
        assert!(text.contains(says), "{text}");
    }
}

#[test]
fn land_refuses_a_run_of_another_workflow_file_unless_told_it_records() {
    let w = World::new(TOKEN);
    let head = w.upstream.rev(BRANCH);
    let pr = w.open_pr(UPSTREAM, &head);
    let mut spec = RunSpec::pull_request("lookalike.yml", UPSTREAM, BRANCH, &head);
    spec.pull_requests = vec![pr];
    let run = w.fake.add_run(UPSTREAM, spec);
    w.recordings(run, &[(A, b"{\"a\": 12}\n")], Manifest::same_repo(&head));

    let out = w.land(run).run().failure();

    assert_eq!(w.upstream.rev(BRANCH), head);
    let text = out.all_output();
    assert!(
        text.contains(".github/workflows/lookalike.yml")
            && text.contains(&format!(".github/workflows/{WORKFLOW}")),
        "{text}"
    );
    assert!(w.fake.comments(UPSTREAM, pr).is_empty());

    w.land(run)
        .args(["--workflow", "lookalike.yml"])
        .run()
        .success();
    assert_eq!(w.upstream.show(BRANCH, A), "{\"a\": 12}");
}

#[test]
fn land_refuses_a_run_of_an_event_outside_the_allowed_list() {
    let w = World::new(TOKEN);
    let head = w.upstream.rev(BRANCH);
    let mut spec = RunSpec::completed(WORKFLOW, BRANCH, &head, "success");
    spec.event = "issue_comment".into();
    let run = w.fake.add_run(UPSTREAM, spec);
    w.recordings(run, &[(B, b"{\"b\": 12}\n")], Manifest::same_repo(&head));

    let out = w.land(run).run().failure();

    let text = out.all_output();
    assert!(
        text.contains("\"issue_comment\"") && text.contains("--allow-event issue_comment"),
        "{text}"
    );
    assert!(w.http.requests().is_empty());
    assert!(w.fake.pulls(UPSTREAM).is_empty());
}

#[test]
fn land_puts_a_dispatched_run_of_main_on_the_pr_the_inputs_name() {
    let w = World::new(TOKEN);
    let head = w.upstream.rev(BRANCH);
    let main = w.upstream.rev("main");
    let pr = w.open_pr(UPSTREAM, &head);
    let run = w.main_run("workflow_dispatch", "in_progress");
    // The workflow checked out the PR head itself; its manifest names that commit (and the
    // branch the run ran on).
    let mut claims = Manifest::same_repo(&head);
    claims.head_ref = "main".into();
    w.recordings(run, &[(A, b"{\"a\": 13}\n")], claims);

    let out = w
        .land(run)
        .env("GITHUB_RUN_ID", run.to_string())
        .args(["--pr", &pr.to_string(), "--head-sha", &head, "--json"])
        .run()
        .success();

    let tip = w.assert_landed(&w.upstream, &head, &[(A, "{\"a\": 13}")], &out);
    assert_eq!(w.upstream.rev("main"), main, "main must not move");
    let json = out.json();
    assert_eq!(json["pr"], pr);
    assert_eq!(json["pushed_to"], format!("{UPSTREAM}:{BRANCH}"));
    assert!(w.only_comment(pr).contains(&tip[..12]));
}

#[test]
fn land_refuses_a_dispatched_run_of_main_without_a_pr_and_says_how_to_name_it() {
    let w = World::new(TOKEN);
    let head = w.upstream.rev(BRANCH);
    let main = w.upstream.rev("main");
    let run = w.main_run("workflow_dispatch", "completed");
    w.recordings(run, &[(A, b"{\"a\": 14}\n")], Manifest::same_repo(&head));

    // An empty --pr (the workflow's input left empty) is as if none was given.
    let out = w.land(run).args(["--pr", ""]).run().failure();

    let text = out.all_output();
    assert!(
        text.contains("default branch main") && text.contains("--pr"),
        "{text}"
    );
    assert_eq!(w.upstream.rev("main"), main);
    assert_eq!(w.upstream.rev(BRANCH), head);
    assert!(w.http.requests().is_empty());
    assert!(
        w.fake.pulls(UPSTREAM).is_empty(),
        "no PR may be opened into main"
    );
}

#[test]
fn land_refuses_when_the_pinned_commit_is_not_the_prs_head() {
    let w = World::new(TOKEN);
    let recorded = w.upstream.rev(BRANCH);
    let moved = w.push_to(&w.upstream, BRANCH, "src/app.py", "print('moved')\n");
    let pr = w.open_pr(UPSTREAM, &moved);
    let run = w.titled_main_run(pr, &recorded);
    w.recordings(
        run,
        &[(A, b"{\"a\": 15}\n")],
        Manifest::same_repo(&recorded),
    );

    let out = w.land(run).args(["--pr", &pr.to_string()]).run().failure();

    assert_eq!(w.upstream.rev(BRANCH), moved);
    let text = out.all_output();
    assert!(text.contains("src/app.py"), "{text}");
    assert!(
        w.fake
            .requests()
            .iter()
            .any(|r| r.path.contains("/compare/"))
    );

    // A commit the PR never had is refused too.
    let stray = w.push_to(&w.upstream, "main", "src/app.py", "print('main')\n");
    let run = w.titled_main_run(pr, &stray);
    w.recordings(run, &[(A, b"{\"a\": 15}\n")], Manifest::same_repo(&stray));
    let out = w.land(run).args(["--pr", &pr.to_string()]).run().failure();
    out.assert_output_has("does not descend");
    assert_eq!(w.upstream.rev(BRANCH), moved);
}

#[test]
fn land_puts_a_called_run_on_the_head_branch_it_was_given() {
    let w = World::new(TOKEN);
    let head = w.upstream.rev(BRANCH);
    let recorded = head.clone();
    // A matrix sibling pushed recordings since: still the recorded code.
    let sibling = w.push_to(&w.upstream, BRANCH, B, "{\"b\": 9}\n");
    let pr = w.open_pr(UPSTREAM, &sibling);
    let run = w.main_run("workflow_dispatch", "completed");
    w.recordings(
        run,
        &[(A, b"{\"a\": 16}\n")],
        Manifest::same_repo(&recorded),
    );

    let out = w
        .land(run)
        .args(["--head-branch", BRANCH, "--head-sha", &recorded])
        .run()
        .success();

    let tip = w.assert_landed(&w.upstream, &sibling, &[(A, "{\"a\": 16}")], &out);
    assert!(w.only_comment(pr).contains(&tip[..12]));
}

#[test]
fn land_says_which_files_it_added_and_which_it_updated() {
    let w = World::new(TOKEN);
    // The manifest calls both "added"; the tip has A already.
    let (head, pr, run) = w.same_repo_pr(&[(A, b"{\"a\": 17}\n"), (NEW, b"{\"new\": 1}\n")]);

    let out = w.land(run).arg("--json").run().success();

    let json = out.json();
    let status = |path: &str| {
        json["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .map(|f| f["status"].clone())
    };
    assert_eq!(status(A), Some("updated".into()), "{json}");
    assert_eq!(status(NEW), Some("added".into()), "{json}");
    let comment = w.only_comment(pr);
    assert!(
        comment.contains("| added |") && comment.contains("| updated |"),
        "{comment}"
    );
    let tip = w.upstream.rev(BRANCH);
    let changed = git(&w.upstream.bare, &["diff", "--name-status", &head, &tip]);
    assert!(changed.contains(&format!("A\t{NEW}")) && changed.contains(&format!("M\t{A}")));
}

#[test]
fn land_puts_a_dispatched_run_of_a_fork_pr_on_the_fork_when_maintainers_may_edit() {
    use crate::support::land_world::{FORK, PUSH_TOKEN};
    let w = World::new(PUSH_TOKEN);
    let head = w.fork.rev(BRANCH);
    let pr = w.open_pr(FORK, &head);
    // The upstream recorded the fork's PR by its number, with the upstream's secrets.
    let run = w.main_run("workflow_dispatch", "completed");
    w.recordings(run, &[(A, b"{\"a\": 18}\n")], Manifest::fork(&head));
    let upstream_before = w.upstream.rev(BRANCH);

    let out = w
        .land_with_push_token(run)
        .args(["--pr", &pr.to_string(), "--head-sha", &head])
        .run()
        .success();

    w.assert_landed(&w.fork, &head, &[(A, "{\"a\": 18}")], &out);
    assert_eq!(w.upstream.rev(BRANCH), upstream_before);
    assert!(w.outputs().contains(&format!("pushed-to={FORK}:{BRANCH}")));
}
