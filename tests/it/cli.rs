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

/// The docs quote `--help` outputs between `<!-- help: ARGS -->` and the closing fence.
#[test]
fn documented_help_texts_match_the_binary() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut pages: Vec<_> = std::fs::read_dir(root.join("docs/src"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    files.extend(pages);
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
