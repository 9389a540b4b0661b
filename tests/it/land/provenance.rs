//! The pinned chain at `land` (issue 16): the commit a run recorded comes from the API and the
//! run (a `pull_request` run's fields, a dispatched run's title, the workflow's own inputs),
//! every manifest must agree, the tip is re-checked right before the push, and the default
//! branch is never landed on.

use crate::support::fake_github::{PrSpec, RunSpec, TOKEN};
use crate::support::git_fixtures::git;

use crate::support::land_world::{
    A, B, BRANCH, FORK, Manifest, PUSH_TOKEN, UPSTREAM, WORKFLOW, World,
};

#[test]
fn land_refuses_a_tip_that_moved_to_code_while_it_downloaded_and_pushes_nothing() {
    let w = World::new(TOKEN);
    let (head, pr, run) = w.same_repo_pr(&[(A, b"{\"a\": 40}\n")]);
    // The PR's head as the API reads it before the download is still the recorded commit; the
    // author pushes code while the artifacts download.
    w.push_during(
        "/zip",
        &w.upstream,
        BRANCH,
        "src/app.py",
        "print('pwned')\n",
    );

    let out = w.land(run).run().failure();

    w.assert_landed(
        &w.upstream,
        &head,
        &[("src/app.py", "print('pwned')")],
        &out,
    );
    assert_eq!(
        w.upstream.show(BRANCH, A),
        "{\"a\": 1}",
        "nothing was pushed"
    );
    assert!(
        !w.http
            .requests()
            .iter()
            .any(|r| r.contains("git-receive-pack")),
        "no push was even tried"
    );
    let comment = w.only_comment(pr);
    assert!(
        comment.contains("src/app.py") && comment.contains("not a recording"),
        "{comment}"
    );
}

#[test]
fn land_builds_on_a_tip_that_moved_by_recordings_only_while_it_downloaded() {
    let w = World::new(TOKEN);
    let (_, _, run) = w.same_repo_pr(&[(A, b"{\"a\": 41}\n")]);
    w.push_during("/zip", &w.upstream, BRANCH, B, "{\"b\": 41}\n");

    let out = w.land(run).run().success();

    let tip = w.upstream.rev(BRANCH);
    let parent = w.upstream.parents(&tip);
    assert_eq!(parent.len(), 1);
    let sibling = git(&w.upstream.bare, &["log", "-1", "--format=%s", &parent[0]]);
    assert_eq!(sibling, "pushed while land ran", "{}", out.all_output());
    assert_eq!(w.upstream.show(BRANCH, A), "{\"a\": 41}");
    assert_eq!(w.upstream.show(BRANCH, B), "{\"b\": 41}");
}

#[test]
fn land_never_pushes_to_the_default_branch_whatever_route_leads_there() {
    let w = World::new(TOKEN);
    let main = w.upstream.rev("main");
    // A PR from `main` into a release branch, recorded by its own pull_request run.
    let mut from_main = PrSpec::open(UPSTREAM, UPSTREAM, "main", &main);
    from_main.base_ref = "release".into();
    let pr = w.fake.add_pr(from_main);
    let mut spec = RunSpec::pull_request(WORKFLOW, UPSTREAM, "main", &main);
    spec.pull_requests = vec![pr];
    let pr_run = w.fake.add_run(UPSTREAM, spec);
    let claims = Manifest {
        head_ref: "main".into(),
        ..Manifest::same_repo(&main)
    };
    w.recordings(pr_run, &[(A, b"{\"a\": 42}\n")], claims.clone());
    let dispatched = w.titled_main_run(pr, &main);
    w.artifact(dispatched, "recordings-1", &[(A, b"{\"a\": 42}\n")], claims);

    let routes: [(u64, Vec<&str>); 3] = [
        (pr_run, vec![]),
        (dispatched, vec![]),
        (
            dispatched,
            vec!["--head-branch", "main", "--head-sha", &main],
        ),
    ];
    for (run, args) in routes {
        let out = w.land(run).args(&args).run().failure();
        let text = out.all_output();
        assert!(text.contains("default branch"), "{args:?}: {text}");
        assert_eq!(w.upstream.rev("main"), main, "{args:?}");
    }
    let pr_flag = pr.to_string();
    let out = w
        .land(dispatched)
        .args(["--pr", &pr_flag, "--head-sha", &main])
        .run()
        .failure();
    assert!(out.all_output().contains("default branch"));
    assert_eq!(w.upstream.rev("main"), main);
    assert!(
        w.fake.pulls(UPSTREAM).len() == 1,
        "no PR was opened into main"
    );
}

#[test]
fn land_learns_pr_and_commit_from_a_dispatched_runs_title() {
    let w = World::new(TOKEN);
    let head = w.upstream.rev(BRANCH);
    let pr = w.open_pr(UPSTREAM, &head);
    let run = w.titled_main_run(pr, &head);
    let claims = Manifest {
        pr_number: Some(pr),
        ..Manifest::same_repo(&head)
    };
    w.recordings(run, &[(A, b"{\"a\": 43}\n")], claims);

    // A workflow_run companion: no --pr, no --head-sha; the run's title says both.
    let out = w.land(run).run().success();

    let tip = w.assert_landed(&w.upstream, &head, &[(A, "{\"a\": 43}")], &out);
    assert!(w.only_comment(pr).contains(&tip[..12]));
}

#[test]
fn land_refuses_manifests_that_disagree_with_the_runs_title() {
    let w = World::new(TOKEN);
    let head = w.upstream.rev(BRANCH);
    // Another commit (main moved on since the branch was cut).
    let main = w.push_to(&w.upstream, "main", "src/main.py", "x = 1\n");
    let pr = w.open_pr(UPSTREAM, &head);
    let other = w
        .fake
        .add_pr(PrSpec::open(UPSTREAM, UPSTREAM, "other", &main));
    // One artifact recorded another commit, one claims another PR.
    let run = w.titled_main_run(pr, &head);
    w.recordings(run, &[(A, b"{\"a\": 44}\n")], Manifest::same_repo(&main));
    let run2 = w.titled_main_run(pr, &head);
    let claims = Manifest {
        pr_number: Some(other),
        ..Manifest::same_repo(&head)
    };
    w.artifact(run2, "recordings-1", &[(B, b"{\"b\": 44}\n")], claims);

    for (run, claimed) in [(run, main.clone()), (run2, format!("PR #{other}"))] {
        let out = w.land(run).run().failure();
        let text = out.all_output();
        assert!(
            text.contains(&claimed) && text.contains("title"),
            "{claimed}: {text}"
        );
        assert_eq!(w.upstream.rev(BRANCH), head);
    }
    // The pinned sha (--head-sha) and the title must agree as well.
    let out = w.land(run).args(["--head-sha", &main]).run().failure();
    out.assert_output_has("--head-sha");
    assert_eq!(w.upstream.rev(BRANCH), head);
}

#[test]
fn land_ignores_the_title_of_a_fork_pull_request_run() {
    let w = World::new(PUSH_TOKEN);
    let head = w.fork.rev(BRANCH);
    let pr = w.open_pr(FORK, &head);
    let main = w.upstream.rev("main");
    let victim = w
        .fake
        .add_pr(PrSpec::open(UPSTREAM, UPSTREAM, "victim", &main));
    // The fork's own workflow file titles its pull_request run after another PR.
    let mut spec = RunSpec::pull_request(WORKFLOW, FORK, BRANCH, &head);
    spec.display_title = Some(format!("Record PR #{victim} at {main}"));
    let run = w.fake.add_run(UPSTREAM, spec);
    w.recordings(run, &[(A, b"{\"a\": 45}\n")], Manifest::fork(&head));
    let upstream_main = w.upstream.rev("main");

    let out = w.land_with_push_token(run).run().success();

    let tip = w.fork.rev(BRANCH);
    assert_eq!(w.fork.parents(&tip), vec![head], "{}", out.all_output());
    assert_eq!(w.upstream.rev("main"), upstream_main);
    assert!(w.fake.comments(UPSTREAM, victim).is_empty());
    assert!(w.only_comment(pr).contains(&format!("{FORK}:{BRANCH}")));
}

#[test]
fn land_lands_a_called_run_named_by_the_callers_workflow_like_a_dispatched_one() {
    let w = World::new(TOKEN);
    let head = w.upstream.rev(BRANCH);
    let main = w.upstream.rev("main");
    let pr = w.open_pr(UPSTREAM, &head);
    // A run of the caller's workflow (it `uses:` the recording workflow), on main.
    let run = w.fake.add_run(
        UPSTREAM,
        RunSpec::completed("caller.yml", "main", &main, "success"),
    );
    w.recordings(run, &[(A, b"{\"a\": 46}\n")], Manifest::same_repo(&head));
    let pr_flag = pr.to_string();
    let inputs = [
        "--workflow",
        "caller.yml",
        "--pr",
        &pr_flag,
        "--head-branch",
        BRANCH,
        "--head-sha",
        &head,
    ];

    // Without the pinned sha nothing says which commit the called run recorded.
    let out = w.land(run).args(&inputs[..6]).run().failure();
    out.assert_output_has("--head-sha");
    assert_eq!(w.upstream.rev(BRANCH), head);

    // A head branch that is not the PR's (both inputs given, as land/action.yml passes them).
    let mut other = inputs;
    other[5] = "release";
    let out = w.land(run).args(other).run().failure();
    out.assert_output_has("--head-branch release is not the head branch of the PR");
    assert_eq!(w.upstream.rev(BRANCH), head);
    assert_eq!(w.upstream.rev("main"), main);

    let out = w.land(run).args(inputs).run().success();

    w.assert_landed(&w.upstream, &head, &[(A, "{\"a\": 46}")], &out);
}

#[test]
fn land_checks_the_tip_again_after_a_rejected_push_and_refuses_code_that_came_in_between() {
    let w = World::new(TOKEN);
    let (_, pr, run) = w.same_repo_pr(&[(A, b"{\"a\": 47}\n")]);
    // A sibling pushes recordings while the artifacts download (fine); then, while that tip is
    // being checked, the author pushes code on top: the push on the checked tip is rejected, and
    // the retry must check the new tip before building on it.
    w.push_during("/zip", &w.upstream, BRANCH, B, "{\"b\": 47}\n");
    w.push_during(
        "/compare/",
        &w.upstream,
        BRANCH,
        "src/app.py",
        "print('late')\n",
    );

    let out = w.land(run).run().failure();

    let tip = w.upstream.rev(BRANCH);
    let subject = git(&w.upstream.bare, &["log", "-1", "--format=%s", &tip]);
    assert_eq!(subject, "pushed while land ran", "{}", out.all_output());
    assert_eq!(w.upstream.show(BRANCH, "src/app.py"), "print('late')");
    assert_eq!(
        w.upstream.show(BRANCH, A),
        "{\"a\": 1}",
        "nothing of ours landed"
    );
    let compares = w
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.contains("/compare/"))
        .count();
    assert_eq!(compares, 2, "one check per tip: {}", out.all_output());
    assert!(w.only_comment(pr).contains("src/app.py"));
}
