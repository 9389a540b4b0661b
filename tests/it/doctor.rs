//! `rerecord doctor` against the fake GitHub: each check's status and fix, exit codes, `--json`.

use crate::support;

use support::cmd::{Run, assert_check_says, doctor_check, rerecord};
use support::fake_github::{FakeGitHub, PrSpec, TOKEN};
use support::git_fixtures::{add_remote, git, set_remote_url};

const FILE: &str = "record-integration-tests.yml";
const WORKFLOW: &str = "on:\n  workflow_dispatch:\n    inputs:\n      subdirs: {type: string}\n      test-setup: {type: choice, options: [ollama, vllm]}\n      must: {required: true}\njobs: {}\n";

struct World {
    fake: FakeGitHub,
    dir: tempfile::TempDir,
    head: String,
}

impl World {
    /// A healthy set-up: fork + upstream remotes, branch pushed, PR open, workflow active.
    fn healthy() -> Self {
        Self::with_workflow_state("active")
    }

    fn with_workflow_state(state: &str) -> Self {
        let fake = FakeGitHub::start();
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "feature-x"]);
        git(dir.path(), &["commit", "-q", "--allow-empty", "-m", "init"]);
        let head = git(dir.path(), &["rev-parse", "HEAD"]);
        add_remote(
            dir.path(),
            "origin",
            &format!("{}/me/llama-stack.git", fake.url()),
        );
        add_remote(
            dir.path(),
            "upstream",
            &format!("{}/meta/llama-stack.git", fake.url()),
        );
        fake.add_repo("meta/llama-stack");
        fake.add_fork("me/llama-stack", "meta/llama-stack");
        fake.set_branch("me/llama-stack", "feature-x", &head);
        fake.add_workflow("me/llama-stack", FILE, state);
        fake.set_workflow_file("me/llama-stack", "feature-x", FILE, WORKFLOW);
        fake.set_branch("meta/llama-stack", "main", &head);
        fake.add_workflow_file("meta/llama-stack", FILE, &["main"], WORKFLOW);
        fake.add_pr(PrSpec::open(
            "meta/llama-stack",
            "me/llama-stack",
            "feature-x",
            &head,
        ));
        Self { fake, dir, head }
    }

    fn doctor(&self, extra: &[&str]) -> Run {
        rerecord()
            .current_dir(self.dir.path())
            .env("GH_TOKEN", TOKEN)
            .args(["doctor", "--api-url", &self.fake.url()])
            .args(extra)
            .run()
    }
}

#[test]
fn doctor_passes_a_healthy_setup_and_lists_inputs() {
    let w = World::healthy();
    let run = w.doctor(&[]).success();
    run.assert_stdout_has("found in GH_TOKEN");
    run.assert_stdout_has("authenticated as");
    run.assert_stdout_has("meta/llama-stack (from remote `upstream`)");
    run.assert_stdout_has(
        "accepts must (string, required), subdirs (string), test-setup (choice: ollama|vllm)",
    );
    assert!(!run.all_output().contains(TOKEN));
    let json = w.doctor(&["--json"]).success().json();
    assert_eq!(json["ok"], true);
    for name in [
        "config", "token", "github", "remotes", "upstream", "branch", "pr", "dispatch", "workflow",
        "inputs", "mapping",
    ] {
        assert_eq!(doctor_check(&json, name)["status"], "ok", "{name}: {json}");
    }
    // The same verdict as schedule: a plain dispatch lacks the required input, which a warning
    // says (the user can pass it with -f).
    let sends = doctor_check(&json, "sends");
    assert_eq!(sends["status"], "warn", "{json}");
    assert!(
        sends["message"]
            .as_str()
            .unwrap()
            .contains("requires input \"must\""),
        "{sends}"
    );
}

#[test]
fn doctor_fails_without_token_and_says_how_to_set_one() {
    let w = World::healthy();
    let run = rerecord()
        .current_dir(w.dir.path())
        .args(["doctor", "--api-url", &w.fake.url(), "--json"])
        .run()
        .failure();
    let json = run.json();
    assert_eq!(doctor_check(&json, "token")["status"], "fail");
    assert_check_says(&json, "token", "fix", "gh auth login");
    assert!(w.fake.requests().is_empty());
}

#[test]
fn doctor_fails_on_a_rejected_token_without_printing_it() {
    let w = World::healthy();
    let run = rerecord()
        .current_dir(w.dir.path())
        .env("GITHUB_TOKEN", "ghp_revokedrevoked")
        .args(["doctor", "--api-url", &w.fake.url()])
        .run()
        .failure();
    run.assert_stdout_has("Bad credentials");
    run.assert_stdout_has("found in GITHUB_TOKEN");
    assert!(!run.all_output().contains("ghp_revokedrevoked"));
}

#[test]
fn doctor_fails_like_schedule_on_an_unpushed_branch() {
    let w = World::healthy();
    git(w.dir.path(), &["checkout", "-q", "-b", "other"]);
    let json = w.doctor(&["--json"]).failure().json();
    assert_eq!(doctor_check(&json, "pr")["status"], "warn");
    // schedule refuses a branch that is on no remote; doctor says the same, with the fix.
    assert_eq!(doctor_check(&json, "branch")["status"], "fail", "{json}");
    assert_check_says(&json, "branch", "fix", "git push -u origin other");
    let schedule = rerecord()
        .current_dir(w.dir.path())
        .env("GH_TOKEN", TOKEN)
        .args(["schedule", "--api-url", &w.fake.url()])
        .run()
        .failure();
    assert!(
        schedule
            .stderr
            .contains(doctor_check(&json, "branch")["message"].as_str().unwrap()),
        "{}",
        schedule.stderr
    );
}

#[test]
fn doctor_warns_when_pushed_branch_differs_from_local_head() {
    let w = World::healthy();
    git(
        w.dir.path(),
        &["commit", "-q", "--allow-empty", "-m", "local only"],
    );
    assert_ne!(git(w.dir.path(), &["rev-parse", "HEAD"]), w.head);
    let json = w.doctor(&["--json"]).run_ok_or_warn();
    assert_eq!(doctor_check(&json, "branch")["status"], "warn");
    assert_check_says(&json, "branch", "message", "not your local HEAD");
}

#[test]
fn doctor_fails_on_disabled_fork_workflow_with_enable_link() {
    let w = World::with_workflow_state("disabled_fork");
    let run = w.doctor(&[]).failure();
    run.assert_stdout_has("disabled in fork me/llama-stack");
    run.assert_stdout_has("/me/llama-stack/actions/workflows/record-integration-tests.yml");
}

#[test]
fn doctor_fails_on_workflow_missing_from_default_branch() {
    let w = World::healthy();
    // A fork whose default branch predates the workflow: only the feature branch has it.
    w.fake.add_fork("you/other", "meta/llama-stack");
    w.fake.set_branch("you/other", "feature-x", &w.head);
    w.fake
        .set_workflow_file("you/other", "feature-x", FILE, WORKFLOW);
    set_remote_url(
        w.dir.path(),
        "origin",
        &format!("{}/you/other.git", w.fake.url()),
    );
    let json = w.doctor(&["--json"]).failure().json();
    let wf = doctor_check(&json, "workflow");
    assert_eq!(wf["status"], "fail");
    assert!(
        wf["message"]
            .as_str()
            .unwrap()
            .contains("not on the default branch"),
        "{wf}"
    );
    assert!(
        wf["fix"]
            .as_str()
            .unwrap()
            .contains("gh repo sync you/other"),
        "{wf}"
    );
}

#[test]
fn doctor_reports_an_invalid_config_file() {
    let w = World::healthy();
    std::fs::write(w.dir.path().join("rerecord.toml"), "workflw = \"x.yml\"\n").unwrap();
    let json = w.doctor(&["--json"]).failure().json();
    assert_eq!(doctor_check(&json, "config")["status"], "fail");
    assert_check_says(&json, "config", "message", "workflw");
}

#[test]
fn doctor_flags_missing_scopes_of_a_classic_token() {
    let w = World::healthy();
    w.fake.set_scopes("read:org");
    let json = w.doctor(&["--json"]).run_ok_or_warn();
    let warned = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "github" && c["status"] == "warn");
    assert!(warned, "{json}");
}

#[test]
fn doctor_wants_the_repo_scope_that_dispatch_needs() {
    let github_check = |scopes: &str| {
        let w = World::healthy();
        w.fake.set_scopes(scopes);
        let json = w.doctor(&["--json"]).run_ok_or_warn();
        json["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"] == "github")
            .cloned()
            .collect::<Vec<_>>()
    };
    // `workflow` alone lets a token push workflow files, not dispatch them.
    let checks = github_check("workflow");
    let warning = checks
        .iter()
        .find(|c| c["status"] == "warn")
        .unwrap_or_else(|| panic!("no warning: {checks:?}"));
    let text = warning.to_string();
    assert!(text.contains("lack `repo`"), "{text}");
    assert!(text.contains("gh auth refresh -s repo"), "{text}");
    let checks = github_check("repo");
    assert!(checks.iter().all(|c| c["status"] == "ok"), "{checks:?}");
}

trait OkOrWarn {
    fn run_ok_or_warn(self) -> serde_json::Value;
}

impl OkOrWarn for Run {
    /// Warnings alone keep the exit code at 0.
    fn run_ok_or_warn(self) -> serde_json::Value {
        self.success().json()
    }
}
