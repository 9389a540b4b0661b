//! Warnings and prompts (on a real pseudo-terminal), --watch, and the token never shown.

use super::support::cmd::rerecord;
use super::support::fake_github::*;
use super::*;

#[test]
fn schedule_warns_when_local_head_differs_from_pushed_branch() {
    let w = World::new();
    w.fake
        .set_branch(FORK, BRANCH, "1111111111111111111111111111111111111111");
    w.fake.add_pr(PrSpec::open(
        UPSTREAM,
        FORK,
        BRANCH,
        "1111111111111111111111111111111111111111",
    ));
    let run = w.schedule(&[]).success();
    run.assert_stderr_has("records the pushed commit, not the local one");
}

#[test]
fn schedule_watch_exits_zero_on_success() {
    let w = World::with_run_finishing(2, "success");
    let run = w.schedule(&["--watch"]).success();
    // A run in the fork pushes to the fork's branch itself: nothing to fetch.
    run.assert_stderr_has("next: the run pushes the recordings to me/llama-stack:feature-x itself");
    assert!(
        !run.all_output().contains("rerecord fetch"),
        "{}",
        run.stderr
    );
    assert!(
        w.fake
            .requests()
            .iter()
            .filter(|r| r.path.contains("/actions/runs/"))
            .count()
            >= 3
    );
}

#[test]
fn schedule_watch_exits_one_on_failure() {
    let w = World::with_run_finishing(1, "failure");
    let run = w.schedule(&["--watch", "--json"]).failure();
    assert!(
        run.json()["run"]["id"].is_u64(),
        "--json still prints the object"
    );
    run.assert_stderr_has("concluded failure");
}

#[test]
fn watch_with_a_poll_scale_of_zero_still_pauses_between_polls() {
    let w = World::with_run_finishing(4, "success");
    w.scaled("0").arg("--watch").run().success();
    let polls: Vec<_> = w
        .fake
        .requests()
        .into_iter()
        .filter(|r| {
            r.method == "GET"
                && r.path.contains("/actions/runs/")
                && !r.path.ends_with("/jobs")
                && r.path
                    .rsplit('/')
                    .next()
                    .is_some_and(|id| id.parse::<u64>().is_ok())
        })
        .collect();
    assert!(polls.len() >= 4, "{} polls of the run", polls.len());
    for pair in polls.windows(2) {
        let gap = pair[1].started - pair[0].finished;
        assert!(
            gap >= std::time::Duration::from_millis(20),
            "polled again after {gap:?}: a scale of 0 spins"
        );
    }
}

#[test]
fn schedule_never_prints_the_token_even_when_github_rejects_it() {
    let w = World::new();
    w.fork_pr();
    let run = rerecord()
        .current_dir(w.path())
        .env("GH_TOKEN", "ghp_wrongwrongwrong")
        .args(["schedule", "--api-url", &w.fake.url(), "--json"])
        .run()
        .failure();
    run.assert_stderr_has("Bad credentials");
    assert!(!run.all_output().contains("ghp_wrongwrongwrong"));
    let ok = w.schedule(&["--json", "--watch"]);
    w.assert_token_hidden(&ok);
}

/// Runs `rerecord schedule` on a pseudo-terminal (util-linux `script`), typing `keys`.
fn schedule_on_a_terminal(w: &World, args: &str, keys: &str) -> Run {
    let command = format!(
        "{} schedule --api-url {} --json {args}",
        support::cmd::bin_path().display(),
        w.fake.url()
    );
    // `script` forwards its stdin to the terminal; a short pause lets the prompt draw first.
    let typed = format!("sleep 1; printf '{keys}'; sleep 2");
    let shell = format!("({typed}) | script -qefc \"{command}\" /dev/null");
    support::cmd::rerecord_shell(&shell)
        .current_dir(w.path())
        .env("GH_TOKEN", TOKEN)
        .env("RERECORD_POLL_SCALE", "0.01")
        .env("TERM", "xterm")
        .run()
}

#[test]
fn schedule_asks_which_pr_on_a_terminal() {
    let w = World::new();
    w.fake.set_branch(FORK, BRANCH, &w.head);
    w.fake.set_branch(UPSTREAM, BRANCH, &w.head);
    w.fake.add_pr(PrSpec::open(UPSTREAM, FORK, BRANCH, &w.head));
    let second = w
        .fake
        .add_pr(PrSpec::open(UPSTREAM, UPSTREAM, BRANCH, &w.head));
    // Arrow down to the second PR, then Enter.
    let run = schedule_on_a_terminal(&w, "", "\\033[B\\r").success();
    run.assert_stdout_has("Several pull requests match");
    // The JSON object follows the prompt's terminal escapes on the same line.
    let at = run
        .stdout
        .find("{\"branch\"")
        .unwrap_or_else(|| panic!("{}", run.stdout));
    let json_line = run.stdout[at..].lines().next().unwrap();
    let out: serde_json::Value = serde_json::from_str(json_line.trim()).unwrap();
    assert_eq!(out["pr"]["number"], second);
    assert_eq!(
        w.fake.runs(UPSTREAM).len(),
        1,
        "the chosen PR's repository got the run"
    );
}

#[test]
fn schedule_asks_before_dispatching_a_stale_branch_on_a_terminal() {
    let w = World::new();
    let pushed = "1111111111111111111111111111111111111111";
    w.fake.set_branch(FORK, BRANCH, pushed);
    w.fake.add_pr(PrSpec::open(UPSTREAM, FORK, BRANCH, pushed));
    let run = schedule_on_a_terminal(&w, "", "n").failure();
    run.assert_stdout_has("Dispatch anyway?");
    assert!(w.posts().is_empty(), "answering no dispatches nothing");
    let run = schedule_on_a_terminal(&w, "--yes", "").success();
    assert!(!run.stdout.contains("Dispatch anyway?"), "{}", run.stdout);
    assert_eq!(w.posts().len(), 1);
}
