//! The composite actions (`action.yml`, `land/action.yml`, `command/action.yml`) executed step by
//! step in a simulated runner (see `action/runner.rs`): how inputs become flags and environment,
//! that tokens travel only by variable name, that bad inputs stop before rerecord runs, and, with
//! the real binary against a real repository and bare remote (or the fake GitHub), the action's
//! outputs and the upload step's `with:` values.

mod runner;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use runner::{Action, Job, Scope, eval_condition, eval_template, stub_rerecord};

const TOKEN: &str = "ghs_simulatedtoken0123456789";

fn scope_for(action: &Action, given: &[(&str, &str)]) -> Scope {
    let mut scope = Scope::default();
    for (k, v) in [
        ("token", TOKEN),
        ("repository", "owner/repo"),
        ("action_ref", ""),
    ] {
        scope.github.insert(k.to_owned(), v.to_owned());
    }
    scope.inputs = action.resolve_inputs(given, &scope);
    scope
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|e| panic!("read {}: {e}", path.as_ref().display()))
}

/// What a step run with the stub `rerecord` left: its arguments (empty if it never ran), the
/// log directory, the step's run and the job.
type StubbedRun = (Vec<String>, PathBuf, runner::StepRun, Job);

trait Succeeded {
    /// The step succeeded: the arguments `rerecord` got, its log directory, and the job (which
    /// holds that directory).
    fn succeeded(self) -> (Vec<String>, PathBuf, Job);
}

impl Succeeded for StubbedRun {
    #[track_caller]
    fn succeeded(self) -> (Vec<String>, PathBuf, Job) {
        let (args, log, run, job) = self;
        assert_eq!(run.code, 0, "{}", run.show());
        (args, log, job)
    }
}

/// A job in an empty workspace whose PATH starts with a stub `rerecord` that logs its arguments
/// and the environment variables `logged`, and the stub's log directory.
fn job_with_stub(logged: &[&str]) -> (Job, PathBuf) {
    let mut job = Job::in_empty_workspace();
    let (bin, log) = (job.temp.path().join("bin"), job.temp.path().join("log"));
    stub_rerecord(&bin, &log, logged);
    job.path_prefix.push(bin);
    (job, log)
}

/// Runs `step` of the action at `rel` with `given` inputs and a stub `rerecord` that logs its
/// arguments and the environment variables `logged`.
fn run_with_stub(rel: &str, step: &str, logged: &[&str], given: &[(&str, &str)]) -> StubbedRun {
    let action = Action::load(rel);
    let scope = scope_for(&action, given);
    let (job, log) = job_with_stub(logged);
    let run = job.run_step(&action, action.step(step), &scope);
    let args = std::fs::read_to_string(log.join("args"))
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    (args, log, run, job)
}

/// Runs the commit step with `given` inputs and a stub `rerecord` logging the token variables
/// and the recording globs.
fn run_commit_with_stub(given: &[(&str, &str)]) -> StubbedRun {
    let logged = ["RERECORD_TOKEN", "RERECORD_RECORDINGS", "GITHUB_TOKEN"];
    run_with_stub("", "commit", &logged, given)
}

/// The step stopped with exit 2 saying `says`, before the stub `rerecord` ran.
#[track_caller]
fn assert_refused_before_rerecord(args: &[String], run: &runner::StepRun, says: &str) {
    assert_eq!(run.code, 2, "{}", run.show());
    assert!(run.stdout.contains(says), "{}", run.show());
    assert!(args.is_empty(), "rerecord ran: {args:?}");
}

#[test]
fn commit_step_turns_inputs_into_flags_and_passes_the_token_only_by_name() {
    let (args, log, _job) = run_commit_with_stub(&[
        ("mode", "push"),
        ("target-branch", "feature/x"),
        ("is-fork-pr", "false"),
        ("setup", "ollama"),
        ("suite", "base"),
        ("job-key", "3"),
    ])
    .succeeded();

    assert_eq!(
        args,
        [
            "commit",
            "--mode",
            "push",
            "--fork-pr",
            "false",
            "--push-token-env",
            "RERECORD_TOKEN",
            "--target-branch",
            "feature/x",
            "--recorded-setup",
            "ollama",
            "--recorded-suite",
            "base",
            "--job-key",
            "3"
        ]
    );
    assert_eq!(
        read(log.join("env-RERECORD_TOKEN")),
        TOKEN,
        "default token is github.token"
    );
    assert!(
        !args.iter().any(|a| a.contains(TOKEN)),
        "token on the command line: {args:?}"
    );
    assert!(
        !log.join("env-RERECORD_RECORDINGS").exists(),
        "no recordings input, no variable"
    );
}

#[test]
fn commit_step_in_stage_mode_never_holds_the_token() {
    let (args, log, _job) =
        run_commit_with_stub(&[("mode", "stage"), ("is-fork-pr", "true")]).succeeded();
    assert_eq!(
        args,
        ["commit", "--mode", "stage", "--fork-pr", "true"],
        "no token to name"
    );
    assert!(
        !log.join("env-RERECORD_TOKEN").exists(),
        "the token reached rerecord's environment in stage mode"
    );
    // Not even the step's own environment has it (a leftover process reads /proc/PID/environ).
    let action = Action::load("");
    let scope = scope_for(&action, &[("mode", "stage")]);
    let env = action.step("commit")["env"]["RERECORD_TOKEN"]
        .as_str()
        .expect("the step names the variable");
    assert_eq!(runner::eval_template(env, &scope), "", "{env}");
    let scope = scope_for(&action, &[("mode", "auto")]);
    assert_eq!(runner::eval_template(env, &scope), TOKEN, "auto may push");
}

#[test]
fn commit_step_leaves_out_flags_for_empty_inputs_and_defaults_mode_and_fork_detection_to_auto() {
    let (args, _log, _job) = run_commit_with_stub(&[]).succeeded();

    assert_eq!(
        args,
        [
            "commit",
            "--mode",
            "auto",
            "--fork-pr",
            "auto",
            "--push-token-env",
            "RERECORD_TOKEN"
        ]
    );
}

#[test]
fn recordings_input_reaches_rerecord_as_clean_newline_separated_globs() {
    let (_args, log, _job) = run_commit_with_stub(&[(
        "recordings",
        "  tests/integration/recordings/\n\n\ttests/e2e/*/cassettes/  \n",
    )])
    .succeeded();

    assert_eq!(
        read(log.join("env-RERECORD_RECORDINGS")),
        "tests/integration/recordings/\ntests/e2e/*/cassettes/"
    );
}

#[test]
fn input_that_looks_like_shell_stays_a_literal_argument() {
    let nasty = "x\"; touch pwned; echo \"$(id)";
    let (args, _log, run, job) = run_commit_with_stub(&[("target-branch", nasty)]);

    assert_eq!(run.code, 0, "{}", run.show());
    assert!(args.contains(&nasty.to_owned()), "{args:?}");
    assert!(!job.workspace.join("pwned").exists());
}

#[test]
fn invalid_mode_input_fails_before_rerecord_runs() {
    let (args, _log, run, _job) = run_commit_with_stub(&[("mode", "commit")]);

    assert_refused_before_rerecord(&args, &run, "input mode is \"commit\"");
}

#[test]
fn invalid_is_fork_pr_input_fails_before_rerecord_runs() {
    let (args, _log, run, _job) = run_commit_with_stub(&[("is-fork-pr", "maybe")]);

    assert_refused_before_rerecord(&args, &run, "input is-fork-pr is \"maybe\"");
}

#[test]
fn install_steps_run_the_install_script_that_ships_with_the_actions() {
    for rel in ["", "land"] {
        let action = Action::load(rel);
        let run = action.step("install")["run"].as_str().unwrap().to_owned();
        let script = run.split('"').nth(1).expect("a quoted script path");
        let path = script.replace("$GITHUB_ACTION_PATH", &action.dir.display().to_string());
        assert!(
            Path::new(&path).is_file(),
            "{rel}/action.yml runs {path}, which does not exist"
        );
        let env = action.step("install")["env"].as_mapping().unwrap();
        assert_eq!(
            env[serde_yaml_ng::Value::from("RERECORD_VERSION")],
            "${{ inputs.version }}"
        );
    }
}

#[test]
fn upload_step_is_pinned_and_keeps_fork_artifacts_seven_days() {
    let action = Action::load("");
    let upload = action.step("upload");
    assert_eq!(
        upload["uses"].as_str(),
        Some("actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02")
    );
    assert_eq!(upload["with"]["retention-days"].as_u64(), Some(7));
    assert_eq!(upload["with"]["if-no-files-found"].as_str(), Some("error"));
}

// ---- land/action.yml ---------------------------------------------------------------------------

fn run_land_with_stub(given: &[(&str, &str)]) -> StubbedRun {
    run_with_stub("land", "land", &["GH_TOKEN", "RERECORD_PUSH_TOKEN"], given)
}

#[test]
fn land_step_passes_run_mode_and_push_token_by_name() {
    let push = "ghp_pushtoken_abcdef";
    let (args, log, run, _job) = run_land_with_stub(&[
        ("run-id", "987654"),
        ("push-token", push),
        ("mode", "pr"),
        ("comment", "false"),
    ]);

    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(
        args,
        [
            "land",
            "--run",
            "987654",
            "--artifact-prefix",
            "recordings-",
            "--run-repo",
            "owner/repo",
            "--mode",
            "pr",
            "--no-comment",
            "--push-token-env",
            "RERECORD_PUSH_TOKEN"
        ]
    );
    assert_eq!(read(log.join("env-RERECORD_PUSH_TOKEN")), push);
    assert_eq!(read(log.join("env-GH_TOKEN")), TOKEN);
    assert!(!args.iter().any(|a| a.contains(push) || a.contains(TOKEN)));
}

#[test]
fn land_step_without_push_token_comments_by_default() {
    let (args, _log, run, _job) = run_land_with_stub(&[("run-id", "5")]);

    assert_eq!(run.code, 0, "{}", run.show());
    // Commenting is land's default: no flag for it (`--comment` is deprecated).
    assert_eq!(
        args,
        [
            "land",
            "--run",
            "5",
            "--artifact-prefix",
            "recordings-",
            "--run-repo",
            "owner/repo"
        ],
        "{args:?}"
    );
}

#[test]
fn land_step_passes_the_pr_input_as_a_flag_and_refuses_one_that_is_not_a_number() {
    let (args, _log, run, _job) = run_land_with_stub(&[("run-id", "77"), ("pr", "42")]);
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(
        args[..6],
        [
            "land",
            "--run",
            "77",
            "--artifact-prefix",
            "recordings-",
            "--pr"
        ]
    );
    assert_eq!(args[6], "42");

    let (args, _log, run, _job) = run_land_with_stub(&[("run-id", "77"), ("pr", "42 --repo x/y")]);
    assert_refused_before_rerecord(&args, &run, "input pr is");
}

#[test]
fn land_step_passes_pr_head_branch_head_sha_and_workflow_together() {
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let (args, _log, run, _job) = run_land_with_stub(&[
        ("run-id", "77"),
        ("pr", "42"),
        ("head-branch", "feature/x"),
        ("head-sha", sha),
        ("workflow", "caller.yml"),
    ]);
    assert_eq!(run.code, 0, "{}", run.show());
    let flag = |name: &str| {
        let at = args.iter().position(|a| a == name);
        at.map(|i| args[i + 1].as_str())
    };
    assert_eq!(flag("--pr"), Some("42"), "{args:?}");
    assert_eq!(flag("--head-branch"), Some("feature/x"), "{args:?}");
    assert_eq!(flag("--head-sha"), Some(sha), "{args:?}");
    assert_eq!(flag("--workflow"), Some("caller.yml"), "{args:?}");

    let (args, _log, _job) =
        run_land_with_stub(&[("run-id", "77"), ("head-branch", "b")]).succeeded();
    assert!(!args.contains(&"--pr".to_owned()), "{args:?}");
    assert!(
        args.windows(2).any(|w| w == ["--head-branch", "b"]),
        "{args:?}"
    );
}

#[test]
fn land_step_runs_rerecord_in_an_empty_directory_with_a_home_of_its_own() {
    let mut job = Job::in_empty_workspace();
    // What a PR's job could leave on a reused runner: a work tree config and a git user config.
    std::fs::write(
        job.workspace.join("rerecord.toml"),
        "recordings = [\"src/\"]\n",
    )
    .unwrap();
    let action = Action::load("land");
    let scope = scope_for(&action, &[("run-id", "5")]);
    let (bin, log) = (job.temp.path().join("bin"), job.temp.path().join("log"));
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&log).unwrap();
    let script = format!(
        "#!/bin/bash\npwd > '{log}/cwd'\nls -A > '{log}/ls'\nprintf '%s' \"$HOME\" > '{log}/home'\n",
        log = log.display()
    );
    std::fs::write(bin.join("rerecord"), script).unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(bin.join("rerecord"))
        .status()
        .unwrap();
    job.path_prefix.push(bin);

    let run = job.run_step(&action, action.step("land"), &scope);

    assert_eq!(run.code, 0, "{}", run.show());
    let cwd = read(log.join("cwd"));
    let runner_temp = job.temp.path().canonicalize().unwrap();
    assert!(
        Path::new(cwd.trim()).starts_with(&runner_temp) && !cwd.contains("workspace"),
        "{cwd}"
    );
    assert_eq!(
        read(log.join("ls")).trim(),
        "home",
        "the directory is not empty"
    );
    assert_eq!(
        Path::new(&read(log.join("home"))),
        Path::new(cwd.trim()).join("home")
    );
}

#[test]
fn land_step_refuses_a_run_id_that_is_not_a_number() {
    let (args, _log, run, _job) = run_land_with_stub(&[("run-id", "12; curl evil")]);

    assert_refused_before_rerecord(&args, &run, "input run-id");
}

// ---- the real binary against a real repository -------------------------------------------------

fn git(dir: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new("git");
    cmd.args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    crate::support::cmd::checked_stdout(&mut cmd, &format!("git {args:?}"))
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A bare remote with `main` and `feature`, and a clone of `feature` checked out at `work`.
struct Fixture {
    _dir: tempfile::TempDir,
    remote: PathBuf,
    work: PathBuf,
    head_sha: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (remote, seed, work) = (
        dir.path().join("remote.git"),
        dir.path().join("seed"),
        dir.path().join("work"),
    );
    std::fs::create_dir_all(&seed).unwrap();
    git(
        dir.path(),
        &["init", "-q", "--bare", remote.to_str().unwrap()],
    );
    git(&seed, &["init", "-q"]);
    write(
        &seed,
        "tests/integration/recordings/old.json",
        "{\"old\": 1}\n",
    );
    write(&seed, "tests/integration/client/package.json", "{}\n");
    write(&seed, "README.md", "fixture\n");
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "-q", "-m", "seed"]);
    git(
        &seed,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    git(
        &seed,
        &[
            "push",
            "-q",
            "origin",
            "HEAD:refs/heads/main",
            "HEAD:refs/heads/feature",
        ],
    );
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            "--branch",
            "feature",
            remote.to_str().unwrap(),
            "work",
        ],
    );
    let head_sha = git(&work, &["rev-parse", "HEAD"]);
    Fixture {
        _dir: dir,
        remote,
        work,
        head_sha,
    }
}

fn pull_request_event(job: &mut Job, head_sha: &str, head_repo: &str) {
    let event = serde_json::json!({
        "action": "labeled",
        "number": 7,
        "pull_request": {
            "number": 7,
            "head": {"ref": "feature", "sha": head_sha, "repo": {"full_name": head_repo}},
            "base": {"ref": "main", "repo": {"full_name": "owner/repo"}}
        },
        "repository": {"full_name": "owner/repo"}
    });
    let path = job.temp.path().join("event.json");
    std::fs::write(&path, event.to_string()).unwrap();
    for (k, v) in [
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_EVENT_PATH", path.to_str().unwrap()),
        ("GITHUB_REPOSITORY", "owner/repo"),
        ("GITHUB_REF_NAME", "7/merge"),
        ("GITHUB_HEAD_REF", "feature"),
        ("GITHUB_SHA", head_sha),
    ] {
        job.env.insert(k.to_owned(), v.to_owned());
    }
}

/// What the commit step did with the real binary: the step, the action's outputs, whether the
/// upload step runs and its evaluated `with:`, and the job (which owns the runner temp directory
/// the artifact is staged in).
struct RealRun {
    run: runner::StepRun,
    outputs: BTreeMap<String, String>,
    runs_upload: bool,
    with: BTreeMap<String, String>,
    _job: Job,
}

fn run_real(fx: &Fixture, head_repo: &str, given: &[(&str, &str)]) -> RealRun {
    let action = Action::load("");
    let mut scope = scope_for(&action, given);
    let mut job = Job::new(&fx.work);
    pull_request_event(&mut job, &fx.head_sha, head_repo);
    // The job's GitHub: rerecord pushes to GITHUB_SERVER_URL/GITHUB_REPOSITORY, here a smart-HTTP
    // server whose `owner/repo.git` is the fixture's bare remote.
    let root = fx.remote.parent().unwrap();
    std::fs::create_dir_all(root.join("owner")).unwrap();
    let _ = std::os::unix::fs::symlink("../remote.git", root.join("owner/repo.git"));
    let server = crate::support::http_git::HttpGit::start(root, TOKEN);
    job.env
        .insert("GITHUB_SERVER_URL".to_owned(), server.url(""));
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_rerecord"));
    job.path_prefix.push(bin.parent().unwrap().to_path_buf());

    let run = job.run_step(&action, action.step("commit"), &scope);
    scope.steps.insert("commit".into(), run.outputs.clone());
    let upload = action.step("upload");
    let runs_upload = eval_condition(upload["if"].as_str().unwrap(), &scope);
    let with = upload["with"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let text = match v {
                serde_yaml_ng::Value::String(s) => s.clone(),
                other => serde_yaml_ng::to_string(other).unwrap().trim().to_owned(),
            };
            (k.as_str().unwrap().to_owned(), eval_template(&text, &scope))
        })
        .collect();
    let outputs = action.outputs(&scope);
    RealRun {
        run,
        outputs,
        runs_upload,
        with,
        _job: job,
    }
}

#[test]
fn same_repo_pr_pushes_only_recordings_and_maps_every_output() {
    let fx = fixture();
    write(
        &fx.work,
        "tests/integration/recordings/old.json",
        "{\"old\": 2}\n",
    );
    write(
        &fx.work,
        "tests/integration/agents/recordings/new.json",
        "{\"new\": 1}\n",
    );
    write(
        &fx.work,
        "tests/integration/client/package.json",
        "{\"touched\": true}\n",
    );

    let RealRun {
        run,
        outputs,
        runs_upload,
        ..
    } = run_real(
        &fx,
        "owner/repo",
        &[("setup", "ollama"), ("suite", "base"), ("job-key", "0")],
    );

    assert_eq!(run.code, 0, "{}", run.show());
    let tip = git(&fx.remote, &["rev-parse", "refs/heads/feature"]);
    assert_eq!(outputs["changed"], "true");
    assert_eq!(outputs["count"], "2");
    assert_eq!(outputs["pushed"], "true");
    assert_eq!(outputs["fork"], "false");
    assert_eq!(outputs["target-branch"], "feature");
    assert_eq!(outputs["commit-sha"], tip);
    assert_eq!(outputs["artifact-name"], "");
    assert!(
        !runs_upload,
        "the upload step must not run for a same-repository PR"
    );
    let files = git(
        &fx.remote,
        &["diff", "--name-only", &format!("{tip}^"), &tip],
    );
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        [
            "tests/integration/agents/recordings/new.json",
            "tests/integration/recordings/old.json"
        ]
    );
    assert_eq!(
        git(&fx.remote, &["rev-parse", &format!("{tip}^")]),
        fx.head_sha
    );
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));
    assert!(!run.summary.contains(TOKEN));
}

#[test]
fn fork_pr_stages_an_artifact_and_the_upload_step_gets_its_name_and_directory() {
    let fx = fixture();
    write(
        &fx.work,
        "tests/integration/recordings/fork.json",
        "{\"fork\": 1}\n",
    );

    let RealRun {
        run,
        outputs,
        runs_upload,
        with,
        _job,
    } = run_real(
        &fx,
        "contributor/repo",
        &[("setup", "gpt"), ("job-key", "3")],
    );

    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(outputs["fork"], "true");
    assert_eq!(outputs["pushed"], "false");
    assert_eq!(outputs["changed"], "true");
    assert_eq!(outputs["artifact-name"], "recordings-1234-1-record-3");
    assert_eq!(
        git(&fx.remote, &["rev-parse", "refs/heads/feature"]),
        fx.head_sha,
        "pushed"
    );
    assert!(runs_upload, "the upload step must run for a fork PR");
    let dir = PathBuf::from(&outputs["artifact-dir"]);
    assert_eq!(with["name"], outputs["artifact-name"]);
    assert_eq!(with["path"], outputs["artifact-dir"]);
    assert_eq!(with["retention-days"], "7");
    assert_eq!(with["if-no-files-found"], "error");
    assert_eq!(
        read(dir.join("tests/integration/recordings/fork.json")),
        "{\"fork\": 1}\n"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&read(dir.join("rerecord-manifest.json"))).unwrap();
    assert_eq!(
        manifest["files"][0]["path"],
        "tests/integration/recordings/fork.json"
    );
}

#[test]
fn no_recording_changes_report_changed_false_and_skip_the_upload() {
    let fx = fixture();
    write(&fx.work, "README.md", "not a recording\n");

    let RealRun {
        run,
        outputs,
        runs_upload,
        ..
    } = run_real(&fx, "owner/repo", &[]);

    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(outputs["changed"], "false");
    assert_eq!(outputs["pushed"], "false");
    assert!(!runs_upload);
    assert_eq!(
        git(&fx.remote, &["rev-parse", "refs/heads/feature"]),
        fx.head_sha
    );
}

#[test]
fn recordings_input_replaces_the_default_globs_for_the_real_binary() {
    let fx = fixture();
    write(&fx.work, "fixtures/cassettes/a.yaml", "a: 1\n");
    write(
        &fx.work,
        "tests/integration/recordings/old.json",
        "{\"old\": 3}\n",
    );

    let RealRun { run, outputs, .. } = run_real(
        &fx,
        "owner/repo",
        &[("recordings", "fixtures/cassettes/\n")],
    );

    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(outputs["count"], "1");
    let tip = git(&fx.remote, &["rev-parse", "refs/heads/feature"]);
    let files = git(
        &fx.remote,
        &["diff", "--name-only", &format!("{tip}^"), &tip],
    );
    assert_eq!(files, "fixtures/cassettes/a.yaml");
}

// ---- command/action.yml ------------------------------------------------------------------------

#[test]
fn command_step_turns_inputs_into_flags_and_passes_the_token_only_by_name() {
    let action = Action::load("command");
    let scope = scope_for(
        &action,
        &[
            ("word", "/record"),
            ("permission", "maintain"),
            ("label", "rec"),
        ],
    );
    let (job, log) = job_with_stub(&["GH_TOKEN"]);
    let run = job.run_step(&action, action.step("command"), &scope);
    assert_eq!(run.code, 0, "{}", run.show());
    let args: Vec<String> = read(log.join("args")).lines().map(str::to_owned).collect();
    assert_eq!(
        args,
        [
            "command",
            "--word",
            "/record",
            "--label",
            "rec",
            "--permission",
            "maintain"
        ]
    );
    assert_eq!(read(log.join("env-GH_TOKEN")), TOKEN);

    let scope = scope_for(&action, &[("permission", "triage; curl evil")]);
    std::fs::remove_file(log.join("args")).unwrap();
    let run = job.run_step(&action, action.step("command"), &scope);
    assert_eq!(run.code, 2, "{}", run.show());
    assert!(run.stdout.contains("input permission"), "{}", run.show());
    assert!(!log.join("args").exists(), "rerecord must not run");
}

#[test]
fn command_step_with_the_real_binary_dispatches_and_logs_hostile_text_inertly() {
    use crate::support::fake_github::{FakeGitHub, PrSpec, TOKEN as FAKE_TOKEN};
    let gh = FakeGitHub::start();
    gh.add_repo("owner/repo");
    gh.add_fork("fork/repo", "owner/repo");
    gh.act_as_job_token();
    gh.set_branch("owner/repo", "main", &"a".repeat(40));
    gh.add_workflow_file(
        "owner/repo",
        "record-integration-tests.yml",
        &["main"],
        "on:\n  workflow_dispatch:\n    inputs:\n      pr_number: {type: number}\n      head_sha: {}\n      pattern: {}\n",
    );
    let sha = "c".repeat(40);
    let pr = gh.add_pr(PrSpec::open("owner/repo", "fork/repo", "fix", &sha));
    gh.set_role("owner/repo", "maint", "write");
    let (_, payload) = gh.comment_event(
        "owner/repo",
        pr,
        "maint",
        "MEMBER",
        &format!("/rerecord --sha {sha} -k '::add-mask::x %0A##[error]y'\n::error::line two"),
    );

    let action = Action::load("command");
    let scope = scope_for(&action, &[("token", FAKE_TOKEN)]);
    let mut job = Job::in_empty_workspace();
    let event = job.temp.path().join("event.json");
    std::fs::write(&event, payload.to_string()).unwrap();
    for (k, v) in [
        ("GITHUB_EVENT_NAME", "issue_comment".to_owned()),
        ("GITHUB_EVENT_PATH", event.display().to_string()),
        ("GITHUB_REPOSITORY", "owner/repo".to_owned()),
        ("GITHUB_API_URL", gh.url()),
        ("RERECORD_POLL_SCALE", "0".to_owned()),
    ] {
        job.env.insert(k.into(), v);
    }
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_rerecord"));
    job.path_prefix.push(bin.parent().unwrap().to_path_buf());
    let run = job.run_step(&action, action.step("command"), &scope);
    assert_eq!(run.code, 0, "{}", run.show());
    let runs = gh.runs("owner/repo");
    assert_eq!(runs.len(), 1, "{}", run.show());
    assert_eq!(run.outputs["status"], "dispatched");
    assert_eq!(run.outputs["run-id"], runs[0].id.to_string());
    assert_eq!(runs[0].inputs["pattern"], "::add-mask::x %0A##[error]y");
    for line in format!("{}{}", run.stdout, run.stderr).lines() {
        assert!(!line.trim_start().starts_with("::"), "{line}");
        assert!(!line.contains("##["), "{line}");
        assert!(!line.contains("line two"), "{line}");
    }
}

// ---- the install step and the next one ---------------------------------------------------------

/// Issue 18's tool-cache swap: on a self-hosted runner a concurrent job replaces the shared tool
/// cache (and could put a `rerecord` on PATH) between the install step and the next. Each action's
/// install step runs for real against a local release, then the cache is swapped, then the
/// action's main step runs: it runs the verified copy the job owns.
#[test]
fn each_action_runs_the_verified_copy_even_when_the_tool_cache_is_swapped_after_install() {
    let version = env!("CARGO_PKG_VERSION");
    for (rel, main_step, given) in [
        ("", "commit", vec![]),
        ("land", "land", vec![("run-id", "5")]),
        ("command", "command", vec![]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("action");
        crate::support::cmd::copy_action_files(&copy);
        std::fs::write(copy.join("checksums.txt"), "").unwrap();
        let served = dir.path().join("served");
        std::fs::create_dir_all(&served).unwrap();
        let releases = crate::install_script::Releases::serve(served, copy.clone());
        releases.publish(
            version,
            "x86_64-unknown-linux-musl",
            "the verified rerecord ran",
            &dir.path().join("ran"),
        );

        let mut action = Action::load(rel);
        action.dir = copy.join(rel);
        let mut scope = scope_for(&action, &given);
        let mut job = Job::in_empty_workspace();
        let cache = job.temp.path().join("tool-cache");
        job.env
            .insert("RUNNER_TOOL_CACHE".into(), cache.display().to_string());
        job.env
            .insert("RERECORD_DOWNLOAD_BASE".into(), releases.base_url.clone());
        let install = action.steps()[0].clone();
        assert_eq!(install["id"].as_str(), Some("install"), "{rel}/action.yml");
        let installed = job.run_step(&action, &install, &scope);
        assert_eq!(installed.code, 0, "{rel}: {}", installed.show());

        // The swap: every cached file, a planted binary in the cache and one on PATH.
        let planted = "#!/bin/sh\necho the planted binary ran\n";
        let cached = cache.join(format!("rerecord/{version}/x64"));
        let mut swapped = 0;
        for entry in std::fs::read_dir(&cached).unwrap() {
            std::fs::write(entry.unwrap().path(), planted).unwrap();
            swapped += 1;
        }
        assert!(swapped > 0, "{rel}: the install step cached nothing");
        let on_path = job.temp.path().join("planted-bin");
        std::fs::create_dir_all(&on_path).unwrap();
        for bin in [cached.join("rerecord"), on_path.join("rerecord")] {
            std::fs::write(&bin, planted).unwrap();
            let status = std::process::Command::new("chmod")
                .arg("+x")
                .arg(&bin)
                .status()
                .unwrap();
            assert!(status.success());
        }
        job.path_prefix.push(on_path);
        job.path_prefix.push(cached.clone());

        scope
            .steps
            .insert("install".to_owned(), installed.outputs.clone());
        let run = job.run_step(&action, action.step(main_step), &scope);
        assert!(
            run.stdout.contains("the verified rerecord ran")
                && !run.stdout.contains("planted")
                && !run.stderr.contains("planted"),
            "{rel}: {}",
            run.show()
        );
    }
}

#[test]
fn secret_env_input_reaches_rerecord_as_comma_separated_names_only() {
    let action = Action::load("");
    let scope = scope_for(
        &action,
        &[(
            "secret-env",
            " OPENAI_API_KEY, NVIDIA_API_KEY\n\n  TAVILY_API_KEY  \n",
        )],
    );
    let (mut job, log) = job_with_stub(&["RERECORD_SECRET_ENV"]);
    let run = job.run_step(&action, action.step("commit"), &scope);
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(
        read(log.join("env-RERECORD_SECRET_ENV")),
        "OPENAI_API_KEY,NVIDIA_API_KEY,TAVILY_API_KEY"
    );
    // Names set on the step itself are kept.
    job.env
        .insert("RERECORD_SECRET_ENV".into(), "GROQ_API_KEY".into());
    let run = job.run_step(&action, action.step("commit"), &scope);
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(
        read(log.join("env-RERECORD_SECRET_ENV")),
        "GROQ_API_KEY,OPENAI_API_KEY,NVIDIA_API_KEY,TAVILY_API_KEY"
    );
    let empty = scope_for(&action, &[]);
    job.env.remove("RERECORD_SECRET_ENV");
    std::fs::remove_file(log.join("env-RERECORD_SECRET_ENV")).unwrap();
    let run = job.run_step(&action, action.step("commit"), &empty);
    assert_eq!(run.code, 0, "{}", run.show());
    assert!(!log.join("env-RERECORD_SECRET_ENV").exists());
}

#[test]
fn secret_env_values_from_the_step_env_refuse_a_recording_and_unset_names_warn() {
    let fx = fixture();
    // A value no built-in rule knows: only its name in secret-env makes it a secret.
    let secret = "Qz7xK2mW9pL4vR8tY3nB6cJ1hF5gD0sAe";
    write(
        &fx.work,
        "tests/integration/recordings/new.json",
        &format!("{{\"response\": {{\"echo\": \"{secret}\"}}}}\n"),
    );
    let action = Action::load("");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_rerecord"));
    let run_with = |names: &str| {
        let scope = scope_for(&action, &[("mode", "stage"), ("secret-env", names)]);
        let mut job = Job::new(&fx.work);
        pull_request_event(&mut job, &fx.head_sha, "owner/repo");
        // What the template's `env:` on the rerecord step maps from the job's secrets.
        job.env.insert("NVIDIA_API_KEY".into(), secret.into());
        job.path_prefix.push(bin.parent().unwrap().to_path_buf());
        job.run_step(&action, action.step("commit"), &scope)
    };

    let run = run_with("NVIDIA_API_KEY\nTAVILY_API_KEY");
    assert_ne!(run.code, 0, "{}", run.show());
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("refusing to commit"), "{all}");
    assert!(all.contains("NVIDIA_API_KEY"), "{all}");
    assert!(
        run.stdout.contains(&format!("::add-mask::{secret}\n")),
        "the value of a named variable is ours to mask: {all}"
    );
    for line in all.lines().filter(|l| !l.starts_with("::add-mask::")) {
        assert!(!line.contains(secret), "printed: {line}");
    }
    assert!(
        all.lines()
            .any(|l| l.contains("TAVILY_API_KEY") && l.contains("not set")),
        "an unset name is a warning: {all}"
    );

    // Without the name, the same recording is staged, with the unset name still warned about.
    let run = run_with("TAVILY_API_KEY");
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(run.outputs.get("count").map(String::as_str), Some("1"));
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("::warning") && l.contains("TAVILY_API_KEY")),
        "{}",
        run.show()
    );
}
