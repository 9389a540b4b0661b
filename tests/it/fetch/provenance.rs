//! `fetch` finds the run that recorded this PR's current head (issue 16): `pull_request` runs of
//! the PR's own head repository and branch, or upstream-dispatched runs titled for this PR and
//! sha; a foreign PR's run never counts, and `--run` of another PR is refused unless forced.

use super::*;

/// A `pull_request` run of `head_repo`:`branch` at `sha`, with one artifact writing A = `a`.
fn foreign_run(w: &World, head_repo: &str, branch: &str, sha: &str, a: &str) -> u64 {
    let mut spec = RunSpec::pull_request(WORKFLOW, head_repo, branch, sha);
    spec.created_at = Utc::now() - Duration::minutes(1);
    let run = w.fake.add_run(UPSTREAM, spec);
    w.attach_recordings(run, &[(A, a)]);
    run
}

/// An artifact whose manifest says it recorded `sha` for PR `pr`.
fn pinned_artifact(pr: u64, sha: &str, a: &str) -> Vec<u8> {
    let mut manifest = zips::manifest_value(1, &[(A, a.as_bytes())], &[]);
    manifest["head_sha"] = sha.into();
    manifest["pr_number"] = pr.into();
    ZipBuilder::new()
        .file(A, a.as_bytes())
        .raw_manifest(&manifest)
        .finish()
}

#[test]
fn fetch_ignores_a_foreign_prs_run_with_the_same_sha() {
    let w = World::new();
    let pr = w.open_pr();
    // Someone else opened a PR with the very same head commit; its run is the newest.
    w.fake.add_fork("mallory/project", UPSTREAM);
    w.fake
        .add_pr(PrSpec::open(UPSTREAM, "mallory/project", "copy", &w.head));
    foreign_run(&w, "mallory/project", "copy", &w.head, "mallory's\n");

    let before = w.snapshot();
    let out = w.fetch_pr(pr).run().failure();
    out.assert_stderr_has("no completed run");
    assert_eq!(w.snapshot(), before);

    let ours = w.half_hour_old_run(&w.head, "ours\n");
    let out = w.fetch_pr(pr).run().success();
    w.assert_applied(&out, ours, "ours\n");
}

#[test]
fn fetch_finds_an_upstream_dispatched_run_by_pr_number() {
    let w = World::new();
    let pr = w.open_pr();
    let main = "5".repeat(40);
    let titled = |title: String, a: &str, sha: &str| {
        let mut spec = RunSpec::completed(WORKFLOW, "main", &main, "success");
        spec.display_title = Some(title);
        spec.created_at = Utc::now() - Duration::minutes(2);
        let run = w.fake.add_run(UPSTREAM, spec);
        w.attach(run, "recordings-1-1-record", pinned_artifact(pr, sha, a));
        run
    };
    // Another PR's dispatched run of the same sha: never ours.
    let other = titled(
        format!("Record PR #{} at {}", pr + 100, w.head),
        "other\n",
        &w.head,
    );
    let run = titled(
        format!("Record PR #{pr} at {} (all)", w.head),
        "dispatched\n",
        &w.head,
    );

    let out = w.fetch_pr(pr).run().success();

    w.assert_applied(&out, run, "dispatched\n");
    assert!(
        !out.stderr.contains(&format!("run {other}")),
        "{}",
        out.stderr
    );
}

#[test]
fn fetch_refuses_a_dispatched_run_whose_manifest_names_another_commit() {
    let w = World::new();
    let pr = w.open_pr();
    let mut spec = RunSpec::completed(WORKFLOW, "main", &"5".repeat(40), "success");
    spec.display_title = Some(format!("Record PR #{pr} at {}", w.head));
    let run = w.fake.add_run(UPSTREAM, spec);
    let elsewhere = "6".repeat(40);
    w.attach(
        run,
        "recordings-1-1-record",
        pinned_artifact(pr, &elsewhere, "x\n"),
    );
    let before = w.snapshot();

    let out = w.fetch_run(run).run().failure();

    out.assert_stderr_has(&elsewhere);
    out.assert_stderr_has("nothing was written");
    assert_eq!(w.snapshot(), before);
}

#[test]
fn fetch_run_of_another_pr_is_refused_unless_forced_and_then_said() {
    let w = World::new();
    w.open_pr();
    // A label-triggered pull_request run of another PR (another branch of another fork).
    w.fake.add_fork("mallory/project", UPSTREAM);
    w.fake
        .add_pr(PrSpec::open(UPSTREAM, "mallory/project", "copy", &w.head));
    let run = foreign_run(&w, "mallory/project", "copy", &w.head, "theirs\n");
    let before = w.snapshot();

    let out = w.fetch_run(run).run().failure();

    out.assert_stderr_has("mallory/project:copy");

    out.assert_stderr_has("--force-run");
    assert_eq!(w.snapshot(), before);

    let out = w.fetch_run(run).arg("--force-run").run().success();
    assert_eq!(w.read(A), "theirs\n");
    out.assert_stderr_has("mallory/project:copy");
    out.assert_stderr_has("anyway");
}
