//! `cargo run --example demo`: its cycle (`examples/demo/cycle.rs`, included here) runs against
//! the fake GitHub and the git server, with the binary under test, and each step's outcome is
//! checked: the commit `land` pushed onto the fork PR's branch, the files `fetch` wrote, the
//! report.

use crate::support::cmd::{bin_path, tempdir};
#[allow(unused_imports)]
use crate::support::{fake_github, http_git};

#[path = "../../examples/demo/cycle.rs"]
#[allow(dead_code)]
mod cycle;

#[test]
fn the_demo_schedules_records_stages_lands_fetches_and_reports() {
    let dir = tempdir();
    let outcome = cycle::run(dir.path(), &|| std::process::Command::new(bin_path()))
        .unwrap_or_else(|e| panic!("the demo failed: {e}"));
    // One commit on the PR head, with exactly the recordings (not the test file the tests changed).
    assert_eq!(outcome.landed_parent, outcome.head);
    assert_ne!(outcome.landed, outcome.head);
    assert_eq!(
        outcome.landed_files,
        [
            format!("A {}", cycle::ADDED),
            format!("M {}", cycle::UPDATED)
        ]
    );
    assert_eq!(outcome.fetched[cycle::UPDATED], "{\"a\": 2}\n");
    assert_eq!(
        outcome.fetched[cycle::ADDED],
        "{\"recorded\": \"test_new_agent\"}\n"
    );
    assert!(
        outcome.report.starts_with("Recordings report: 1 added"),
        "{}",
        outcome.report
    );
    assert!(outcome.report.contains(cycle::ADDED), "{}", outcome.report);
}
