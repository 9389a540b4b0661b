//! A small stand-in for the Actions runner, enough to execute the `run:` steps of our composite
//! actions: it loads `action.yml`, evaluates the `${{ }}` expressions the actions use (inputs with
//! defaults, `github.*`, `steps.<id>.outputs.*`, `==`, `!=`, `&&`, `||`, string literals), and runs a
//! step's script the way the runner runs `shell: bash` (`bash --noprofile --norc -eo pipefail FILE`)
//! with the step's `env:` block evaluated, the runner's GITHUB_*/RUNNER_* variables, and a fresh
//! GITHUB_OUTPUT file per step, which it parses afterwards. An expression it does not know is a
//! test failure, so a new construct in an action cannot slip by untested.
//!
//! The runner sets no INPUT_* variables for composite actions' steps: inputs reach a step only
//! through its `env:` block, which is what this evaluates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_yaml_ng::Value;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A parsed `action.yml`.
pub struct Action {
    pub dir: PathBuf,
    pub doc: Value,
}

impl Action {
    /// `rel` is the action's folder relative to the repository root ("" for the root action).
    pub fn load(rel: &str) -> Self {
        let dir = repo_root().join(rel);
        let text = std::fs::read_to_string(dir.join("action.yml")).expect("read action.yml");
        let doc = serde_yaml_ng::from_str(&text).expect("action.yml is valid YAML");
        Action { dir, doc }
    }

    pub fn steps(&self) -> &Vec<Value> {
        self.doc["runs"]["steps"]
            .as_sequence()
            .expect("runs.steps is a list")
    }

    pub fn step(&self, id: &str) -> &Value {
        self.steps()
            .iter()
            .find(|s| s["id"].as_str() == Some(id))
            .unwrap_or_else(|| panic!("action.yml has no step with id {id}"))
    }

    /// Inputs as the runner resolves them: given values, else each input's (evaluated) default.
    pub fn resolve_inputs(
        &self,
        given: &[(&str, &str)],
        scope: &Scope,
    ) -> BTreeMap<String, String> {
        let declared = self.doc["inputs"]
            .as_mapping()
            .expect("inputs is a mapping");
        for (name, _) in given {
            assert!(
                declared.contains_key(Value::from(*name)),
                "action.yml declares no input {name}"
            );
        }
        declared
            .iter()
            .map(|(name, spec)| {
                let name = name.as_str().unwrap().to_owned();
                let value = match given.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => (*v).to_owned(),
                    None => eval_template(spec["default"].as_str().unwrap_or(""), scope),
                };
                (name, value)
            })
            .collect()
    }

    /// The action's `outputs:` evaluated against what the steps wrote.
    pub fn outputs(&self, scope: &Scope) -> BTreeMap<String, String> {
        self.doc["outputs"]
            .as_mapping()
            .expect("outputs is a mapping")
            .iter()
            .map(|(k, v)| {
                let value = v["value"].as_str().expect("composite outputs have a value");
                (k.as_str().unwrap().to_owned(), eval_template(value, scope))
            })
            .collect()
    }
}

/// What expressions can see.
#[derive(Default, Clone)]
pub struct Scope {
    pub inputs: BTreeMap<String, String>,
    pub github: BTreeMap<String, String>,
    pub steps: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Str(String),
    Bool(bool),
}

impl Val {
    fn truthy(&self) -> bool {
        match self {
            Val::Str(s) => !s.is_empty(),
            Val::Bool(b) => *b,
        }
    }
    fn into_string(self) -> String {
        match self {
            Val::Str(s) => s,
            Val::Bool(b) => b.to_string(),
        }
    }
}

fn lookup(path: &str, scope: &Scope) -> Val {
    let parts: Vec<&str> = path.split('.').collect();
    let found = match parts.as_slice() {
        ["inputs", name] => scope.inputs.get(*name).cloned(),
        ["github", name] => Some(
            scope
                .github
                .get(*name)
                .cloned()
                .unwrap_or_else(|| panic!("the simulated runner has no github.{name}")),
        ),
        ["steps", id, "outputs", name] => Some(
            scope
                .steps
                .get(*id)
                .and_then(|o| o.get(*name))
                .cloned()
                .unwrap_or_default(),
        ),
        ["steps", id, "outcome"] => Some(if scope.steps.contains_key(*id) {
            "success".to_owned()
        } else {
            String::new()
        }),
        _ => None,
    };
    Val::Str(found.unwrap_or_else(|| panic!("unsupported expression `{path}` in an action")))
}

fn eval_operand(text: &str, scope: &Scope) -> Val {
    let t = text.trim();
    if let Some(lit) = t.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Val::Str(lit.replace("''", "'"));
    }
    match t {
        "true" => Val::Bool(true),
        "false" => Val::Bool(false),
        _ => lookup(t, scope),
    }
}

/// Evaluate one expression (the text between `${{` and `}}`, or an `if:`).
pub fn eval_expr_str(expr: &str, scope: &Scope) -> String {
    eval_expr(expr, scope).into_string()
}

fn eval_expr(expr: &str, scope: &Scope) -> Val {
    // `||` binds loosest, then `&&`, then the comparisons; our actions need no parentheses.
    assert!(
        !expr.contains('('),
        "unsupported expression `{expr}` (parentheses or calls)"
    );
    if let Some((a, b)) = expr.split_once("||") {
        let left = eval_expr(a, scope);
        return if left.truthy() {
            left
        } else {
            eval_expr(b, scope)
        };
    }
    if let Some((a, b)) = expr.split_once("&&") {
        let left = eval_expr(a, scope);
        return if left.truthy() {
            eval_expr(b, scope)
        } else {
            left
        };
    }
    for (op, equal) in [("==", true), ("!=", false)] {
        if let Some((a, b)) = expr.split_once(op) {
            let same = eval_operand(a, scope).into_string() == eval_operand(b, scope).into_string();
            return Val::Bool(same == equal);
        }
    }
    eval_operand(expr, scope)
}

pub fn eval_condition(expr: &str, scope: &Scope) -> bool {
    let inner = expr
        .trim()
        .strip_prefix("${{")
        .and_then(|s| s.strip_suffix("}}"))
        .unwrap_or(expr);
    eval_expr(inner, scope).truthy()
}

/// Replace every `${{ expr }}` in `text`.
pub fn eval_template(text: &str, scope: &Scope) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("unclosed ${{") + start;
        out.push_str(&eval_expr_str(&rest[start + 3..end], scope));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The simulated job: its runner temp directory, workspace and environment.
pub struct Job {
    pub temp: tempfile::TempDir,
    pub workspace: PathBuf,
    /// The runner's variables (GITHUB_*, RUNNER_*, CI); tests add GITHUB_EVENT_PATH and friends.
    pub env: BTreeMap<String, String>,
    /// Directories put in front of PATH (where `rerecord` is found).
    pub path_prefix: Vec<PathBuf>,
}

pub struct StepRun {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub outputs: BTreeMap<String, String>,
    pub summary: String,
}

impl StepRun {
    pub fn show(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Job {
    pub fn new(workspace: &Path) -> Self {
        let temp = tempfile::tempdir().unwrap();
        let runner_temp = temp.path().join("runner-temp");
        std::fs::create_dir_all(&runner_temp).unwrap();
        let mut env = BTreeMap::new();
        for (k, v) in [
            ("CI", "true"),
            ("GITHUB_ACTIONS", "true"),
            ("RUNNER_OS", "Linux"),
            ("RUNNER_ARCH", "X64"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_RUN_ID", "1234"),
            ("GITHUB_RUN_ATTEMPT", "1"),
            ("GITHUB_JOB", "record"),
        ] {
            env.insert(k.to_owned(), v.to_owned());
        }
        env.insert("RUNNER_TEMP".into(), runner_temp.display().to_string());
        env.insert("GITHUB_WORKSPACE".into(), workspace.display().to_string());
        env.insert("HOME".into(), temp.path().display().to_string());
        Job {
            temp,
            workspace: workspace.to_path_buf(),
            env,
            path_prefix: Vec::new(),
        }
    }

    /// A job whose workspace is an empty directory inside its own temp directory.
    pub fn in_empty_workspace() -> Self {
        let mut job = Job::new(Path::new("/nonexistent"));
        let workspace = job.temp.path().join("workspace");
        std::fs::create_dir_all(&workspace).unwrap();
        job.env
            .insert("GITHUB_WORKSPACE".into(), workspace.display().to_string());
        job.workspace = workspace;
        job
    }

    /// Run one `run:` step of `action` the way the runner does.
    pub fn run_step(&self, action: &Action, step: &Value, scope: &Scope) -> StepRun {
        let script = step["run"].as_str().expect("a run step");
        assert_eq!(
            step["shell"].as_str(),
            Some("bash"),
            "composite run steps must set shell: bash"
        );
        let id = step["id"].as_str().unwrap_or("step");
        let script_file = self.temp.path().join(format!("{id}.sh"));
        std::fs::write(&script_file, script).unwrap();
        let output_file = self.temp.path().join(format!("{id}.output"));
        let summary_file = self.temp.path().join(format!("{id}.summary"));
        std::fs::write(&output_file, "").unwrap();
        std::fs::write(&summary_file, "").unwrap();

        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .env_clear();
        let mut path: Vec<String> = self
            .path_prefix
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        path.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(String::from));
        cmd.env("PATH", path.join(":"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .envs(&self.env)
            .env("GITHUB_ACTION_PATH", &action.dir)
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", &summary_file)
            .env("GITHUB_ENV", self.temp.path().join("github-env"))
            .env("GITHUB_PATH", self.temp.path().join("github-path"))
            .current_dir(&self.workspace)
            .stdin(Stdio::null());
        // The install step's `bin` output (the verified copy the next step runs by absolute
        // path): here the first `rerecord` of the job's PATH prefix, unless the test set one.
        let mut scope = scope.clone();
        if !scope.steps.contains_key("install")
            && let Some(bin) = self
                .path_prefix
                .iter()
                .map(|dir| dir.join("rerecord"))
                .find(|bin| bin.is_file())
        {
            let outputs = BTreeMap::from([("bin".to_owned(), bin.display().to_string())]);
            scope.steps.insert("install".to_owned(), outputs);
        }
        if let Some(block) = step["env"].as_mapping() {
            for (k, v) in block {
                let value = match v {
                    Value::String(s) => eval_template(s, &scope),
                    other => panic!("env value {other:?} is not a string"),
                };
                cmd.env(k.as_str().unwrap(), value);
            }
        }
        let out = cmd.output().expect("run bash");
        StepRun {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            outputs: crate::support::cmd::parse_github_output(
                &std::fs::read_to_string(&output_file).unwrap(),
            ),
            summary: std::fs::read_to_string(&summary_file).unwrap(),
        }
    }
}

/// A stub `rerecord` that writes its arguments (one per line) to `log_dir/args`, and the value of
/// each variable in `env_names` that is set to `log_dir/env-NAME`.
pub fn stub_rerecord(bin_dir: &Path, log_dir: &Path, env_names: &[&str]) {
    let script = format!(
        "#!/bin/bash\nprintf '%s\\n' \"$@\" > '{log}/args'\nfor name in {names}; do\n  \
         if [[ -v $name ]]; then printf '%s' \"${{!name}}\" > '{log}/env-'\"$name\"; fi\ndone\n",
        log = log_dir.display(),
        names = env_names.join(" ")
    );
    std::fs::create_dir_all(bin_dir).unwrap();
    std::fs::create_dir_all(log_dir).unwrap();
    let file = bin_dir.join("rerecord");
    std::fs::write(&file, script).unwrap();
    assert!(
        Command::new("chmod")
            .arg("+x")
            .arg(&file)
            .status()
            .unwrap()
            .success()
    );
}
