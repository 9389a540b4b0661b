//! The command-line surface: version, completions, man page, usage errors, and the `--help`
//! texts quoted in the README (which must match the binary's, so the docs cannot drift).

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
fn usage_errors_exit_two() {
    let run = rerecord()
        .args(["schedule", "--no-such-flag"])
        .run()
        .expect_code(2);
    assert!(run.stderr.contains("--no-such-flag"), "{}", run.stderr);
    rerecord()
        .args(["commit", "--fork-pr", "maybe"])
        .run()
        .expect_code(2);
    rerecord()
        .args(["commit", "--max-attempts", "0"])
        .run()
        .expect_code(2);
    rerecord()
        .args(["fetch", "--run", "1", "--pr", "2"])
        .run()
        .expect_code(2);
    rerecord().run().expect_code(2);
}

/// The README quotes `--help` outputs between `<!-- help: ARGS -->` and the closing fence.
#[test]
fn readme_help_texts_match_the_binary() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut checked = 0;
    let mut rest = readme.as_str();
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
            "README's `rerecord {}` block is stale; paste the binary's output",
            args.join(" ")
        );
        checked += 1;
        rest = next;
    }
    assert!(
        checked >= 2,
        "the README should quote at least `--help` and `schedule --help`"
    );
}
