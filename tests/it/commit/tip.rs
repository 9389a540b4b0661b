//! Commit on the tip: merge checkouts, a tip that moved, shallow clones, racing matrix jobs.

use std::path::PathBuf;

use super::support::cmd::tempdir;
use super::support::git_fixtures::{Remote, commit_and_push, git, llama_tree, write};
use super::*;

#[test]
fn pull_request_merge_checkout_commits_onto_the_head_branch_tip() {
    let (tmp, remote, work) = setup();
    // main moves on with a base-only file; the runner checks out the PR's merge commit.
    let other = remote.clone("other", "main");
    write(&other, "src/base_only.py", "x = 1\n");
    commit_and_push(&other, "main", "base change");
    let pr = remote.clone("pr", BRANCH);
    write(&pr, "src/pr_change.py", "y = 2\n");
    let head_sha = commit_and_push(&pr, BRANCH, "PR change");
    git(&work, &["fetch", "-q", "origin", "main", BRANCH]);
    git(&work, &["checkout", "-q", "--detach", "origin/main"]);
    git(
        &work,
        &["merge", "-q", "--no-ff", "-m", "Merge into main", &head_sha],
    );
    assert_eq!(
        git(&work, &["rev-list", "--parents", "-n", "1", "HEAD"])
            .split(' ')
            .count(),
        3,
        "a merge commit"
    );
    write(&work, REC_NEW, "{\"pr\": 1}\n");

    let job = Job::new(&tmp.path().join("job")).pull_request(BRANCH, &head_sha, "acme/stack");
    job.run(&work, &[]).success();
    let tip = remote.rev(BRANCH);
    assert_eq!(
        remote.parents(&tip),
        vec![head_sha],
        "the head branch's tip is the single parent"
    );
    let files = remote.files(BRANCH);
    assert!(files.contains(&REC_NEW.to_owned()));
    assert!(
        !files.contains(&"src/base_only.py".to_owned()),
        "base commits leaked into the PR branch"
    );
    assert!(files.contains(&"src/pr_change.py".to_owned()));
    assert_eq!(job.outputs()["target-branch"], BRANCH);
}

#[test]
fn commit_lands_when_tip_moved_after_checkout_and_warns_that_recordings_may_be_stale() {
    let (tmp, remote, work) = setup();
    let checkout = remote.rev(BRANCH);
    let other = remote.clone("other", BRANCH);
    write(&other, "src/app.py", "print('moved on')\n");
    let moved = commit_and_push(&other, BRANCH, "PR moved on");
    write(&work, REC_NEW, "{}\n");

    let job = Job::new(&tmp.path().join("job")).set("GITHUB_REF_NAME", BRANCH);
    let run = job.run(&work, &[]).success();
    let tip = remote.rev(BRANCH);
    assert_eq!(remote.parents(&tip), vec![moved.clone()]);
    assert_eq!(
        remote.count(&format!("{checkout}..{BRANCH}")),
        2,
        "both commits on the branch"
    );
    assert_eq!(remote.show(BRANCH, "src/app.py"), "print('moved on')");
    run.assert_stdout_has("::warning::");
    run.assert_stdout_has("may be stale");
    run.assert_stdout_has(&checkout);
    run.assert_stdout_has("src/app.py");
}

#[test]
fn shallow_checkout_lands_on_a_tip_that_moved_with_a_sibling_recording_and_no_stale_warning() {
    let (tmp, remote, _) = setup();
    let work = remote.shallow_clone("shallow", BRANCH);
    let moved = sibling_pushes_a_recording(&remote);
    write(&work, REC_NEW, "{}\n");

    let run = Job::new(&tmp.path().join("job"))
        .run(&work, &["--target-branch", BRANCH])
        .success();
    let tip = remote.rev(BRANCH);
    assert_eq!(remote.parents(&tip), vec![moved]);
    let files = remote.files(BRANCH);
    assert!(
        files.contains(&REC_NEW.to_owned())
            && files.contains(&"tests/integration/inference/recordings/sibling.json".to_owned())
    );
    assert!(
        !run.stdout.contains("may be stale"),
        "only recordings moved: {}",
        run.stdout
    );
}

#[test]
fn commit_warns_and_wins_when_the_same_recording_changed_on_the_tip() {
    let (tmp, remote, work) = setup();
    let other = remote.clone("other", BRANCH);
    write(&other, REC_MOD, "{\"theirs\": 1}\n");
    commit_and_push(&other, BRANCH, "their recording");
    write(&work, REC_MOD, "{\"ours\": 1}\n");
    let run = Job::new(&tmp.path().join("job"))
        .run(&work, &["--target-branch", BRANCH])
        .success();
    assert_eq!(remote.show(BRANCH, REC_MOD), "{\"ours\": 1}");
    let warning = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::warning::") && l.contains(REC_MOD));
    assert!(
        warning.is_some_and(|w| w.contains("replaced")),
        "{}",
        run.stdout
    );
}

#[test]
fn eight_concurrent_jobs_all_land_with_the_default_max_attempts() {
    let tmp = tempdir();
    let remote = Remote::new(tmp.path(), BRANCH, &llama_tree());
    let before = remote.rev(BRANCH);
    let works: Vec<PathBuf> = (1..=8)
        .map(|j| {
            let w = remote.clone(&format!("job-{j}"), BRANCH);
            for i in 0..3 {
                write(
                    &w,
                    &format!("tests/integration/agents/recordings/job{j}-{i}.json"),
                    &format!("{{\"job\": {j}}}\n"),
                );
            }
            w
        })
        .collect();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = works
        .iter()
        .enumerate()
        .map(|(j, w)| {
            let (w, barrier, dir) = (
                w.clone(),
                barrier.clone(),
                tmp.path().join(format!("runner-{j}")),
            );
            std::thread::spawn(move || {
                let job = Job::new(&dir);
                barrier.wait();
                let run = job.run(
                    &w,
                    &[
                        "--target-branch",
                        BRANCH,
                        "--recorded-setup",
                        &format!("job-{j}"),
                    ],
                );
                (run.code, run.all_output())
            })
        })
        .collect();
    for h in handles {
        let (code, output) = h.join().unwrap();
        assert_eq!(code, 0, "{output}");
    }
    assert_eq!(
        remote.count(&format!("{before}..{BRANCH}")),
        8,
        "all 8 commits landed"
    );
    let files = remote.files(BRANCH);
    for j in 1..=8 {
        for i in 0..3 {
            let f = format!("tests/integration/agents/recordings/job{j}-{i}.json");
            assert!(files.contains(&f), "{f} lost");
        }
    }
}
