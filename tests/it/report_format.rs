//! `rerecord report` picks its format by where stdout goes: plain text on a terminal (no
//! Markdown, no `<details>`, no escape sequence from a recording's name), Markdown into a pipe,
//! and `--format` overrides both.

use std::path::Path;

use crate::support::cmd::{bin_path, rerecord, rerecord_shell, tempdir};
use crate::support::git_fixtures::git;
use crate::support::snap;

/// A checkout with one updated and one added recording (the added one's name carries an
/// escape sequence).
fn checkout(dir: &Path) {
    let rec = dir.join("tests/integration/recordings");
    std::fs::create_dir_all(&rec).unwrap();
    std::fs::write(rec.join("a.json"), "{\"test_id\": \"t.py::a\", \"v\": 1}\n").unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "init"]);
    std::fs::write(rec.join("a.json"), "{\"test_id\": \"t.py::a\", \"v\": 2}\n").unwrap();
    std::fs::write(rec.join("b\u{1b}[31m.json"), "{\"x\": 1}\n").unwrap();
}

#[test]
fn report_on_a_terminal_is_plain_text_and_markdown_into_a_pipe() {
    let dir = tempdir();
    let d = dir.path();
    checkout(d);
    let on_terminal = rerecord_shell(&format!(
        "script -qefc \"{} report\" /dev/null",
        bin_path().display()
    ))
    .current_dir(d)
    .env("TERM", "xterm")
    .run()
    .success();
    let text = on_terminal.stdout.replace('\r', "");
    snap::assert_redacted("report_terminal", &text, &[]);
    assert!(text.contains("b\\u{1b}[31m.json"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(
        !text.contains("<details>") && !text.contains("###"),
        "{text}"
    );

    let piped = rerecord().current_dir(d).arg("report").run().success();
    snap::assert_redacted("report_markdown", &piped.stdout, &[]);
    let markdown = rerecord()
        .current_dir(d)
        .args(["report", "--format", "markdown"])
        .run()
        .success();
    assert_eq!(markdown.stdout, piped.stdout);

    let forced = rerecord()
        .current_dir(d)
        .args(["report", "--format", "terminal"])
        .run()
        .success();
    assert_eq!(forced.stdout, text);
    let json = rerecord()
        .current_dir(d)
        .args(["report", "--format", "json"])
        .run()
        .success()
        .json();
    assert_eq!(json["totals"]["added"], 1);
}
