//! Local commands against real files and pipes: output into a pipe whose reader is gone,
//! commands run outside a git checkout, and `prune` on symlinks and partial collections.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::support::cmd::{bin_path, rerecord, tempdir};
use crate::support::git_fixtures::{Remote, write};

const BRANCH: &str = "main";
const CHAT: &str = "tests/integration/inference/recordings/0a1b2c.json";
const TEST_CHAT: &str = "tests/integration/inference/test_chat.py::test_capital";

/// A clone of a remote with one recording, plus `extra` recordings (path, test id) written
/// uncommitted into the work tree.
fn checkout(extra: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempdir();
    let body = format!("{{\"test_id\": \"{TEST_CHAT}\"}}\n");
    let remote = Remote::new(tmp.path(), BRANCH, &[(CHAT, body.as_str())]);
    let work = remote.clone("work", BRANCH);
    for (path, test_id) in extra {
        write(&work, path, &format!("{{\"test_id\": \"{test_id}\"}}\n"));
    }
    (tmp, work)
}

#[test]
fn report_into_a_closed_pipe_exits_quietly() {
    let many: Vec<(String, String)> = (0..200)
        .map(|i| {
            (
                format!("tests/integration/x/recordings/{i:04}.json"),
                format!("tests/integration/x/test_x.py::test_{i}"),
            )
        })
        .collect();
    let extra: Vec<(&str, &str)> = many.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let (_tmp, work) = checkout(&extra);
    for args in [
        &["report"][..],
        &["report", "--json"],
        &["completions", "bash"],
    ] {
        // A real pipe whose reading end is closed before rerecord writes a byte.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(bin_path())
            .args(args)
            .current_dir(&work)
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?} must exit quietly");
    }
    // The same output into a reader that stays is complete.
    let full = rerecord().current_dir(&work).arg("report").run().success();
    full.assert_stdout_has("200 added");
}

#[test]
fn commands_that_need_a_checkout_say_so_outside_one_without_libgit2_internals() {
    let tmp = tempdir();
    let collected = tmp.path().join("collected.txt");
    std::fs::write(&collected, "t.py::test_x\n").unwrap();
    let collected = collected.to_str().unwrap();
    for args in [
        &["report"][..],
        &["prune", "--collected", collected],
        &["commit", "--target-branch", "main"],
    ] {
        let out = rerecord()
            .current_dir(tmp.path())
            .env("GIT_CEILING_DIRECTORIES", tmp.path())
            .args(args)
            .run()
            .failure();
        assert!(
            out.stderr
                .contains("is not inside a git checkout; run it inside a git checkout"),
            "{args:?}: {}",
            out.stderr
        );
        for internal in ["class=", "code=", "NotFound (-3)"] {
            assert!(!out.stderr.contains(internal), "{args:?}: {}", out.stderr);
        }
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    }
}

fn prune(work: &std::path::Path, collected: &str, args: &[&str]) -> crate::support::cmd::Run {
    let file = work.parent().unwrap().join("collected.txt");
    std::fs::write(&file, collected).unwrap();
    rerecord()
        .current_dir(work)
        .args(["prune", "--collected", file.to_str().unwrap()])
        .args(args)
        .run()
}

#[test]
fn prune_refuses_a_recordings_folder_that_links_into_another_checkout() {
    let (tmp, work) = checkout(&[]);
    let elsewhere = tmp.path().join("other-checkout/tests/integration");
    let theirs = "inference/recordings/theirs.json";
    write(
        &elsewhere,
        theirs,
        &format!("{{\"test_id\": \"{TEST_CHAT}_gone\"}}\n"),
    );
    std::fs::remove_dir_all(work.join("tests/integration")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, work.join("tests/integration")).unwrap();
    let out = prune(&work, &format!("{TEST_CHAT}\n"), &["--delete", "--yes"]).failure();
    out.assert_stderr_has("tests/integration leads outside the work tree");
    out.assert_stderr_has("Nothing was deleted");
    assert!(
        elsewhere.join(theirs).exists(),
        "the other checkout lost a file"
    );
}

#[test]
fn prune_judges_only_the_modules_a_partial_collection_has() {
    let agents = "tests/integration/agents/recordings/a.json";
    let (_tmp, work) = checkout(&[(agents, "tests/integration/agents/test_agents.py::test_a")]);
    // Collected one folder only (or the agents module failed to import).
    let list =
        "tests/integration/inference/test_chat.py::test_other\n\n1 test collected in 0.01s\n";
    let out = prune(&work, list, &["--delete", "--yes"]).success();
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(out.stdout.starts_with(CHAT), "{}", out.stdout);
    out.assert_stderr_has("1 belong to test modules the list does not include");
    assert!(!work.join(CHAT).exists());
    assert!(work.join(agents).exists(), "another suite's recording went");

    // A -k/-m filtered collection drops tests inside collected modules: refused.
    let (_tmp, work) = checkout(&[]);
    let list = "tests/integration/inference/test_chat.py::test_other\n\n1/2 tests collected (1 deselected) in 0.01s\n";
    let out = prune(&work, list, &["--delete"]).expect_code(2);
    out.assert_stderr_has("1 tests deselected");
    assert!(work.join(CHAT).exists());
}

#[test]
fn prune_names_untracked_orphans_and_deletes_them_only_with_yes() {
    let untracked = "tests/integration/inference/recordings/new.json";
    let gone = "tests/integration/inference/test_chat.py::test_gone";
    let (_tmp, work) = checkout(&[(untracked, gone)]);
    let list = "tests/integration/inference/test_chat.py::test_other\n";
    // No terminal to ask on: refused, both kept, the untracked one named.
    let out = prune(&work, list, &["--delete"]).expect_code(2);
    out.assert_stderr_has("1 of the orphans are not tracked by git");
    out.assert_stderr_has(&format!("  {untracked}\n"));
    out.assert_stderr_has("pass --yes");
    assert!(work.join(untracked).exists() && work.join(CHAT).exists());
    // Listing alone never asks.
    prune(&work, list, &[]).success();
    prune(&work, list, &["--delete", "--yes"]).success();
    assert!(!work.join(untracked).exists() && !work.join(CHAT).exists());
}
