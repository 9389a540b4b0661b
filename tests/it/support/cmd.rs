//! `rerecord()`: run the binary with a scrubbed environment, so each test sets exactly what it
//! simulates (no GH_/GITHUB_/RUNNER_/ACTIONS_/CI variables leak in from the host).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Rerecord {
    cmd: Command,
}

/// The outcome of a run, with helpers that show everything on failure.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn rerecord() -> Rerecord {
    scrubbed(Command::new(env!("CARGO_BIN_EXE_rerecord")))
}

/// A shell command line run with the same scrubbed environment (for driving the binary through
/// other tools, such as `script` for a terminal).
pub fn rerecord_shell(command: &str) -> Rerecord {
    let mut cmd = Command::new("bash");
    cmd.args(["-c", command]);
    scrubbed(cmd)
}

fn scrubbed(mut cmd: Command) -> Rerecord {
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if k.starts_with("GH_")
            || k.starts_with("GITHUB_")
            || k.starts_with("RUNNER_")
            || k.starts_with("ACTIONS_")
            || k.starts_with("GIT_")
            || k.starts_with("SSL_CERT_")
            || k.to_ascii_lowercase().ends_with("_proxy")
            || k == "CI"
        {
            cmd.env_remove(&key);
        }
    }
    // No `gh` on PATH surprises, no user git config, no prompts.
    cmd.env("PATH", "/usr/bin:/bin:/usr/local/bin")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("HOME", std::env::temp_dir())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    Rerecord { cmd }
}

impl Rerecord {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.cmd.env_remove(key);
        self
    }
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }
    pub fn run(mut self) -> Run {
        let Output {
            status,
            stdout,
            stderr,
        } = self.cmd.output().expect("failed to start rerecord");
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }
}

impl Run {
    /// Assert the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
    pub fn success(self) -> Self {
        self.expect_code(0)
    }
    pub fn failure(self) -> Self {
        self.expect_code(1)
    }
    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
    /// Stderr holds `needle` (all of stderr is shown when it does not).
    #[track_caller]
    pub fn assert_stderr_has(&self, needle: &str) {
        assert!(self.stderr.contains(needle), "{}", self.stderr);
    }
    /// [`Run::assert_stderr_has`] for each of `needles`.
    #[track_caller]
    pub fn assert_stderr_has_all(&self, needles: &[&str]) {
        for needle in needles {
            self.assert_stderr_has(needle);
        }
    }

    /// Stdout holds `needle`.
    #[track_caller]
    pub fn assert_stdout_has(&self, needle: &str) {
        assert!(self.stdout.contains(needle), "{}", self.stdout);
    }
    /// Stdout or stderr holds `needle`.
    #[track_caller]
    pub fn assert_output_has(&self, needle: &str) {
        let all = self.all_output();
        assert!(all.contains(needle), "{all}");
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON object ({e}):\n{}\n--- stderr\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// The check `name` of `rerecord doctor --json`'s report.
pub fn doctor_check<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {json}"))
}

/// The doctor check `name`'s `field` (`message`, `fix`) holds `needle`.
#[track_caller]
pub fn assert_check_says(json: &serde_json::Value, name: &str, field: &str, needle: &str) {
    let text = doctor_check(json, name)[field].as_str().unwrap_or_default();
    assert!(text.contains(needle), "{json}");
}

/// A fresh temporary directory that lives as long as the returned guard.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

pub fn path_str(p: &Path) -> String {
    p.to_str().expect("utf-8 path").to_owned()
}

pub fn bin_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rerecord"))
}

/// Runs `cmd`, panicking with its output (naming it `what`) unless it succeeds; returns its
/// trimmed stdout.
#[track_caller]
pub fn checked_stdout(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Copies the actions' files (the three action.yml, the install script, Cargo.toml) from this
/// checkout to `action`, as a runner's checkout of the action holds them.
pub fn copy_action_files(action: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        "action.yml",
        "land/action.yml",
        "command/action.yml",
        "scripts/install-rerecord.sh",
        "Cargo.toml",
    ] {
        let to = action.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root.join(file), to).unwrap();
    }
}

/// Parse a GITHUB_OUTPUT file: `name=value` lines and `name<<DELIM` … `DELIM` blocks.
pub fn parse_github_output(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            out.insert(name.to_owned(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            out.insert(name.to_owned(), value.to_owned());
        }
    }
    out
}
