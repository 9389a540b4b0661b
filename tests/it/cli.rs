//! The command-line surface: version, completions, man pages, usage errors, and the `--help`
//! texts quoted in the docs book's reference pages (`docs/src/`, and the README if it quotes
//! any), which must match the binary's, so the docs cannot drift.

use crate::support;

use support::cmd::rerecord;

#[test]
fn version_names_the_crate_version_and_the_commit() {
    let run = rerecord().arg("--version").run().success();
    let line = run.stdout.trim();
    let rest = line
        .strip_prefix(&format!("rerecord {} (", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{line}"));
    let commit = rest.strip_suffix(')').unwrap_or_else(|| panic!("{line}"));
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{line}"
    );
}

#[test]
fn completions_are_generated_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = rerecord().args(["completions", shell]).run().success();
        for sub in ["schedule", "commit", "fetch", "land", "doctor"] {
            assert!(run.stdout.contains(sub), "{shell} completions lack {sub}");
        }
    }
    rerecord()
        .args(["completions", "tcsh"])
        .run()
        .expect_code(2);
}

#[test]
fn man_page_is_roff() {
    let run = rerecord().arg("man").run().success();
    assert!(
        run.stdout.starts_with(".ie") || run.stdout.contains(".TH rerecord"),
        "{}",
        &run.stdout[..200.min(run.stdout.len())]
    );
    assert!(run.stdout.contains("schedule"));
}

#[test]
fn man_dir_writes_one_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man/man1");
    rerecord().args(["man", "--dir"]).arg(&out).run().success();
    let mut pages: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for sub in [
        "schedule",
        "commit",
        "fetch",
        "land",
        "doctor",
        "command",
        "report",
        "prune",
        "completions",
    ] {
        let page = format!("rerecord-{sub}.1");
        assert!(pages.contains(&page), "no {page} in {pages:?}");
        let text = std::fs::read_to_string(out.join(&page)).unwrap();
        assert!(text.contains(".TH rerecord-"), "{page}: {text}");
    }
    assert!(pages.contains(&"rerecord.1".to_owned()), "{pages:?}");
    assert!(
        !pages
            .iter()
            .any(|p| p.contains("-help") || p.contains("-man")),
        "{pages:?}"
    );
}

/// Snapshot settings for what users see: temp paths, loopback ports, run ids, commit shas and
/// times redacted, so a snapshot changes only when the text does. Snapshots live in
/// `tests/it/snapshots/`; with `CI=true` (as `.ci/run` and GitHub set it) insta never writes them
/// and a changed text fails (locally: `INSTA_UPDATE=always cargo test`, then review the diff).
pub fn redacted(check: impl FnOnce()) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/snapshots"));
    settings.add_filter(r#"(/[^\s'"`:]*)?/\.tmp[A-Za-z0-9]{6}"#, "[TMP]");
    settings.add_filter(r"(127\.0\.0\.1|localhost):[0-9]+", "$1:[PORT]");
    settings.add_filter(r"actions/runs/[0-9]+", "actions/runs/[RUN]");
    settings.add_filter(r"\b[0-9a-f]{40}\b", "[SHA]");
    settings.add_filter(r"\b[0-9a-f]{12}\b", "[SHORT-SHA]");
    settings.add_filter(
        r"\b[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}\b",
        "[TIME]",
    );
    settings.add_filter(r"\b(run|--run) [0-9]{3,}", "$1 [RUN]");
    settings.bind(check);
}

/// What a failed run shows: its exit code and stderr.
pub fn failure_text(run: &support::cmd::Run) -> String {
    format!("exit {}\n{}", run.code, run.stderr)
}

#[test]
fn usage_errors_exit_two_and_say_what_is_wrong() {
    let cases: [(&str, &[&str]); 5] = [
        ("unknown_flag", &["schedule", "--no-such-flag"]),
        ("bad_value", &["commit", "--fork-pr", "maybe"]),
        ("out_of_range", &["commit", "--max-attempts", "0"]),
        ("conflicting_flags", &["fetch", "--run", "1", "--pr", "2"]),
        ("no_subcommand", &[]),
    ];
    for (name, args) in cases {
        let run = rerecord()
            .env("COLUMNS", "100")
            .args(args)
            .run()
            .expect_code(2);
        redacted(|| insta::assert_snapshot!(format!("usage_error_{name}"), failure_text(&run)));
    }
}

/// Every subcommand's `--help` (and the top-level one) at 100 columns.
#[test]
fn every_help_text_is_snapshotted() {
    use clap::CommandFactory as _;
    let mut names: Vec<String> = rerecord::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    names.insert(0, String::new());
    for name in names {
        let args: Vec<&str> = [name.as_str(), "--help"]
            .into_iter()
            .filter(|a| !a.is_empty())
            .collect();
        let help = rerecord().env("COLUMNS", "100").args(&args).run().success();
        let snapshot = format!("help_{}", if name.is_empty() { "rerecord" } else { &name });
        redacted(|| insta::assert_snapshot!(snapshot, help.stdout));
    }
}

/// The old spellings still work for one release and each says its new name on stderr, in one
/// line, before the command goes on (here to the error of an empty environment).
#[test]
fn deprecated_spellings_still_work_and_name_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str]); 5] = [
        ("schedule_repo", &["schedule", "--repo", "o/r"]),
        ("fetch_repo", &["fetch", "--repo=o/r", "--run", "5"]),
        (
            "land_repo_and_comment",
            &["land", "--run", "5", "--comment", "--repo", "o/"],
        ),
        (
            "commit_token_env_setup_suite",
            &["commit", "--token-env", "T", "--setup", "s", "--suite", "u"],
        ),
        ("command_repo", &["command", "--repo", "o/r"]),
    ];
    for (name, args) in cases {
        let run = rerecord()
            .env("COLUMNS", "100")
            .current_dir(dir.path())
            .args(args)
            .run();
        redacted(|| insta::assert_snapshot!(format!("deprecated_{name}"), failure_text(&run)));
    }
    // The new spellings say nothing of the sort.
    let run = rerecord()
        .current_dir(dir.path())
        .args(["land", "--run", "5", "--run-repo", "o/"])
        .run()
        .expect_code(2);
    redacted(|| insta::assert_snapshot!("land_bad_run_repo", failure_text(&run)));
}

/// The docs quote `--help` outputs between `<!-- help: ARGS -->` and the closing fence.
#[test]
fn documented_help_texts_match_the_binary() {
    // README.md, workflows/README.md and the book's pages.
    let files = crate::docs::markdown_files();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        checked += check_help_blocks(file, &text);
    }
    assert!(
        checked >= 2,
        "the docs should quote at least `--help` and `schedule --help`"
    );
}

/// Check every quoted help block of `text` against the binary; returns how many.
fn check_help_blocks(file: &std::path::Path, text: &str) -> usize {
    let mut checked = 0;
    let mut rest = text;
    while let Some(at) = rest.find("<!-- help:") {
        let after = &rest[at + "<!-- help:".len()..];
        let (args, tail) = after.split_once("-->").expect("closed marker");
        let body = tail
            .trim_start()
            .strip_prefix("```text\n")
            .expect("a ```text block follows the marker");
        let (quoted, next) = body.split_once("\n```").expect("closed block");
        let args: Vec<&str> = args.split_whitespace().collect();
        let actual = rerecord()
            .env("COLUMNS", "100")
            .args(&args)
            .run()
            .success()
            .stdout;
        assert_eq!(
            quoted.trim_end(),
            actual.trim_end(),
            "{}: the `rerecord {}` block is stale; paste the binary's output",
            file.display(),
            args.join(" ")
        );
        checked += 1;
        rest = next;
    }
    checked
}
