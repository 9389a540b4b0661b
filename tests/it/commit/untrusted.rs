//! What the tests' own files can do to `commit`'s output: recording names that carry workflow
//! commands (both forms), terminal escapes and bidi characters, and names that macOS or Windows
//! would read as `.git`.

use super::support::git_fixtures::write;
use super::*;

/// Names a test step could give recordings to steer the runner reading the log.
const HOSTILE: [&str; 4] = [
    "tests/integration/recordings/x##[error]pwned.json",
    "tests/integration/recordings/##[add-mask]secret.json",
    "tests/integration/recordings/##[set-output name=x]y.json",
    "tests/integration/recordings/##[stop-commands]tok.json",
];

/// Whether `text` holds a workflow command that rerecord did not mean to write: the legacy form
/// anywhere, or a `::` command other than our own at the start of a line.
pub fn injected_command(text: &str) -> Option<&str> {
    text.lines().find(|line| {
        let trimmed = line.trim_start();
        line.contains("##[")
            || (trimmed.starts_with("::")
                && ![
                    "::group::",
                    "::endgroup::",
                    "::warning::",
                    "::notice::",
                    "::error::",
                ]
                .iter()
                .any(|ours| trimmed.starts_with(ours)))
            || (trimmed.starts_with("::") && trimmed[2..].contains("::warning::"))
    })
}

#[test]
fn commit_output_defuses_workflow_commands_in_recording_names() {
    let (tmp, remote, work) = setup();
    let before = remote.rev(BRANCH);
    for name in HOSTILE {
        write(&work, name, "{}\n");
    }
    let job = Job::new(&tmp.path().join("job")).set("GITHUB_REF_NAME", BRANCH);
    let run = job.run(&work, &[]).success();

    assert_ne!(remote.rev(BRANCH), before, "{}", run.stderr);
    for name in HOSTILE {
        assert_eq!(remote.show(BRANCH, name), "{}", "{name} was committed");
    }
    let all = format!("{}\n{}", run.stdout, run.stderr);
    assert_eq!(injected_command(&all), None, "{all}");
    assert!(all.contains("x## [error]pwned.json"), "{all}");
    let summary = job.summary();
    assert!(
        summary.contains("| `tests/integration/recordings/##[add-mask]secret.json` |"),
        "{summary}"
    );
}

#[test]
fn commit_refuses_a_recording_name_with_colons_and_shows_it_defused() {
    let (tmp, remote, work) = setup();
    let before = remote.rev(BRANCH);
    // One file on Windows (`x.json` and its stream), and a workflow command in a log line.
    write(
        &work,
        "tests/integration/recordings/::warning::x.json",
        "{}\n",
    );
    let job = Job::new(&tmp.path().join("job")).set("GITHUB_REF_NAME", BRANCH);
    let run = job.run(&work, &[]).failure();
    let all = format!("{}\n{}", run.stdout, run.stderr);
    assert_eq!(injected_command(&all), None, "{all}");
    assert!(
        all.contains(": :warning: :x.json") && all.contains("colon"),
        "{all}"
    );
    assert_eq!(remote.rev(BRANCH), before);
}

#[test]
fn commit_json_holds_no_legacy_command_but_the_same_names() {
    let (tmp, _remote, work) = setup();
    write(&work, HOSTILE[0], "{}\n");
    let job = Job::new(&tmp.path().join("job")).set("GITHUB_REF_NAME", BRANCH);
    let run = job.run(&work, &["--json"]).success();

    assert!(!run.stdout.contains("##["), "{}", run.stdout);
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(report["files"][0]["path"], HOSTILE[0]);
}

#[test]
fn commit_refuses_recordings_that_macos_or_windows_would_read_as_dot_git() {
    for name in [
        "tests/integration/recordings/.g\u{200c}it/config",
        "tests/integration/recordings/GIT~1/config",
        "tests/integration/recordings/.git::$INDEX_ALLOCATION/config",
    ] {
        let (tmp, remote, work) = setup();
        let before = remote.rev(BRANCH);
        write(&work, name, "[core]\n\thooksPath = /tmp/evil\n");
        let job = Job::new(&tmp.path().join("job")).set("GITHUB_REF_NAME", BRANCH);
        let run = job.run(&work, &[]).failure();

        assert_eq!(remote.rev(BRANCH), before, "{name:?} was pushed");
        assert!(
            run.stderr.contains("refusing to commit the recording") && run.stderr.contains(".git"),
            "{name:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains('\u{200c}'), "{}", run.stderr);
    }
}

#[test]
fn commit_message_takes_one_line_of_a_setup_with_a_forged_trailer() {
    let (tmp, remote, work) = setup();
    write(&work, REC_NEW, "{\"new\": true}\n");
    let job = Job::new(&tmp.path().join("job")).set("GITHUB_REF_NAME", BRANCH);
    job.run(
        &work,
        &[
            "--recorded-setup",
            "ollama\n\nSigned-off-by: Mallory <m@evil.example>",
            "--recorded-suite",
            "base",
        ],
    )
    .success();

    let message =
        super::support::git_fixtures::git(&remote.bare, &["log", "-1", "--format=%B", BRANCH]);
    assert_eq!(message.lines().count(), 1, "{message}");
    let trailers = super::support::git_fixtures::git(
        &remote.bare,
        &["log", "-1", "--format=%(trailers)", BRANCH],
    );
    assert_eq!(trailers, "", "{message}");
}
