//! A renamed repository: the remote still has the old name; GitHub answers 301 on GET and 307 on
//! the dispatch POST, and rerecord follows both and says once which remote URL to update.

use super::*;

#[test]
fn schedule_follows_a_renamed_repository_and_says_so_once() {
    let w = World::new();
    const NEW: &str = "me/ogx";
    w.fake.set_branch(FORK, BRANCH, &w.head);
    w.fake.rename_repo(FORK, NEW);
    let run = w.schedule(&["--json"]).success();
    let runs = w.fake.runs(NEW);
    assert_eq!(runs.len(), 1, "dispatched in the renamed repository");
    assert_eq!(run.json()["run"]["id"], runs[0].id);

    let requests = w.fake.requests();
    let old_prefix = format!("/repos/{FORK}/");
    assert!(
        requests
            .iter()
            .any(|r| r.method == "GET" && r.path.starts_with(&old_prefix) && r.status == 301),
        "{requests:?}"
    );
    let dispatches: Vec<_> = requests
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/dispatches"))
        .collect();
    assert_eq!(dispatches.len(), 2, "{dispatches:?}");
    assert!(dispatches[0].path.starts_with(&old_prefix) && dispatches[0].status == 307);
    assert!(dispatches[1].path.starts_with(&format!("/repos/{NEW}/")));
    assert_eq!(
        dispatches[1].body, dispatches[0].body,
        "307 keeps the method and the body"
    );
    assert!(
        dispatches[1].authorization.is_some(),
        "the same host keeps the token"
    );

    let notice = format!("{FORK} moved to {NEW}");
    assert_eq!(run.stderr.matches(&notice).count(), 1, "{}", run.stderr);
    run.assert_stderr_has(&format!(
        "git remote set-url REMOTE {}/{NEW}.git",
        w.fake.url()
    ));
    w.assert_token_hidden(&run);
}
