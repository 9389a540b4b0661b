//! GitHub Actions runtime I/O: the event payload and environment in; outputs, step summary and
//! workflow commands (annotations, groups) out. Untrusted text is made safe by `neutralise`.
//!
//! Everything written goes to injected `io::Write` sinks so tests can read it without a runner.
//! The event payload is hostile input (a fork PR controls its branch name and title): it is
//! size-limited, parsed as untyped JSON, and only the few fields we need are taken, by type.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::neutralise::{safe_lines, safe_text};

/// The Actions environment variables rerecord reads (all optional: outside Actions most are
/// absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionsEnv {
    /// `GITHUB_ACTIONS=true`.
    pub in_actions: bool,
    pub repository: Option<String>,
    pub event_name: Option<String>,
    pub event_path: Option<PathBuf>,
    pub ref_name: Option<String>,
    pub head_ref: Option<String>,
    pub sha: Option<String>,
    pub run_id: Option<String>,
    pub run_attempt: Option<String>,
    pub job: Option<String>,
    pub output_path: Option<PathBuf>,
    pub summary_path: Option<PathBuf>,
    pub runner_temp: Option<PathBuf>,
    /// `GITHUB_SERVER_URL`, e.g. `https://github.com`.
    pub server_url: Option<String>,
}

impl ActionsEnv {
    /// The repository `given` by `flag`, else `GITHUB_REPOSITORY`; a usage error without either.
    pub fn repository_or(
        &self,
        given: Option<&str>,
        flag: &str,
    ) -> anyhow::Result<crate::remotes::RepoName> {
        let text = given.or(self.repository.as_deref()).ok_or_else(|| {
            crate::error::usage(format!(
                "no repository given: pass {flag} OWNER/NAME (GITHUB_REPOSITORY is not set)"
            ))
        })?;
        crate::remotes::RepoName::parse(text)
            .map_err(|e| crate::error::usage(format!("{flag}: {e}")))
    }

    /// Read the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Read through `get`, treating empty values as absent (the runner sets some variables to
    /// an empty string, e.g. `GITHUB_HEAD_REF` outside pull requests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let var = |k: &str| {
            get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        Self {
            in_actions: var("GITHUB_ACTIONS").as_deref() == Some("true"),
            repository: var("GITHUB_REPOSITORY"),
            event_name: var("GITHUB_EVENT_NAME"),
            event_path: var("GITHUB_EVENT_PATH").map(PathBuf::from),
            ref_name: var("GITHUB_REF_NAME"),
            head_ref: var("GITHUB_HEAD_REF"),
            sha: var("GITHUB_SHA"),
            run_id: var("GITHUB_RUN_ID"),
            run_attempt: var("GITHUB_RUN_ATTEMPT"),
            job: var("GITHUB_JOB"),
            output_path: var("GITHUB_OUTPUT").map(PathBuf::from),
            summary_path: var("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            server_url: var("GITHUB_SERVER_URL"),
            runner_temp: var("RUNNER_TEMP").map(PathBuf::from),
        }
    }
}

/// The few event payload fields rerecord uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventPayload {
    /// Whether the payload describes a pull request at all.
    pub is_pull_request: bool,
    pub pr_number: Option<u64>,
    pub head_ref: Option<String>,
    pub head_sha: Option<String>,
    /// `pull_request.head.repo.full_name`; `None` also when the fork was deleted (`repo: null`).
    pub head_repository: Option<String>,
    pub base_repository: Option<String>,
}

/// Payloads are a few hundred KB at most; anything far larger is not a real event.
const MAX_PAYLOAD_BYTES: u64 = 25 * 1024 * 1024;

impl EventPayload {
    /// Load `GITHUB_EVENT_PATH`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let bytes = read_payload(path)?;
        Self::parse(&bytes).with_context(|| format!("invalid event payload {}", path.display()))
    }

    /// Parse payload bytes, taking only well-typed fields; wrong types count as absent.
    pub fn parse(bytes: &[u8]) -> anyhow::Result<Self> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| anyhow::anyhow!("not JSON: {e}"))?;
        anyhow::ensure!(value.is_object(), "not a JSON object");
        let text = |ptr: &str| {
            value
                .pointer(ptr)
                .and_then(serde_json::Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.len() <= 1024 && !s.chars().any(char::is_control))
                .map(str::to_owned)
        };
        let pr = value.get("pull_request").filter(|v| v.is_object());
        Ok(Self {
            is_pull_request: pr.is_some(),
            pr_number: pr
                .and_then(|p| p.get("number"))
                .and_then(serde_json::Value::as_u64),
            head_ref: text("/pull_request/head/ref"),
            head_sha: text("/pull_request/head/sha").filter(|s| is_hex_sha(s)),
            head_repository: text("/pull_request/head/repo/full_name"),
            base_repository: text("/pull_request/base/repo/full_name")
                .or_else(|| text("/repository/full_name")),
        })
    }
}

/// The bytes of an event payload file, refusing sizes no GitHub event has.
pub fn read_payload(path: &Path) -> anyhow::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("failed to read the event payload {}", path.display()))?;
    anyhow::ensure!(
        meta.len() <= MAX_PAYLOAD_BYTES,
        "the event payload {} is {} bytes, larger than any GitHub event; check GITHUB_EVENT_PATH",
        path.display(),
        meta.len()
    );
    std::fs::read(path)
        .with_context(|| format!("failed to read the event payload {}", path.display()))
}

fn is_hex_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Step outputs in the order given, in `$GITHUB_OUTPUT` syntax. Values that contain a newline
/// use the heredoc form with a random delimiter (as the toolkit does), drawn again in the
/// unlikely case the value contains it: a value cannot end its heredoc early and set other keys.
pub fn write_outputs(out: &mut dyn Write, outputs: &[(&str, String)]) -> io::Result<()> {
    for (key, value) in outputs {
        if value.contains('\n') || value.contains('\r') {
            let delim = loop {
                let d = format!(
                    "ghadelimiter_{:016x}{:016x}",
                    fastrand::u64(..),
                    fastrand::u64(..)
                );
                if !value.contains(&d) {
                    break d;
                }
            };
            writeln!(out, "{key}<<{delim}\n{value}\n{delim}")?;
        } else {
            writeln!(out, "{key}={value}")?;
        }
    }
    Ok(())
}

/// Append to a runner file such as `$GITHUB_OUTPUT` (the runner pre-creates them; append keeps
/// what earlier steps wrote).
pub fn append_to(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("failed to open {}", path.display()))?;
    let mut buf = Vec::new();
    write(&mut buf)?;
    file.write_all(&buf)
        .with_context(|| format!("failed to write {}", path.display()))
}

/// Workflow commands (inside Actions) or plain `warning:` lines (on a terminal).
pub struct Annotations<'w> {
    out: &'w mut dyn Write,
    github: bool,
}

impl<'w> Annotations<'w> {
    /// `github`: emit `::warning::` workflow commands rather than terminal text.
    pub fn new(out: &'w mut dyn Write, github: bool) -> Self {
        Self { out, github }
    }

    pub fn warning(&mut self, message: &str) -> io::Result<()> {
        self.command("warning", message)
    }

    pub fn notice(&mut self, message: &str) -> io::Result<()> {
        self.command("notice", message)
    }

    fn command(&mut self, kind: &str, message: &str) -> io::Result<()> {
        if self.github {
            writeln!(self.out, "::{kind}::{}", escape_data(&safe_lines(message)))
        } else {
            writeln!(self.out, "{kind}: {}", safe_lines(message))
        }
    }

    /// A collapsible `::group::` in the log around `lines` (an indented list on a terminal).
    pub fn group(&mut self, title: &str, lines: &[String]) -> io::Result<()> {
        if self.github {
            writeln!(self.out, "::group::{}", escape_data(&safe_text(title)))?;
            for line in lines {
                writeln!(self.out, "{}", safe_text(line))?;
            }
            writeln!(self.out, "::endgroup::")
        } else {
            writeln!(self.out, "{}", safe_text(title))?;
            for line in lines {
                writeln!(self.out, "  {}", safe_text(line))?;
            }
            Ok(())
        }
    }
}

/// Escape a workflow command's message so newlines and `%` survive and cannot start a new
/// command (<https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts>).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_pull_request_payload_gives_head_ref_and_repo() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/github-api/webhooks/pull_request.opened.json");
        let p = EventPayload::load(&path).unwrap();
        assert!(p.is_pull_request);
        assert_eq!(p.head_ref.as_deref(), Some("changes"));
        assert_eq!(p.head_repository.as_deref(), Some("Codertocat/Hello-World"));
        assert_eq!(p.head_sha.as_ref().map(String::len), Some(40));
    }

    #[test]
    fn hostile_payload_fields_are_dropped_not_trusted() {
        let p = EventPayload::parse(
            br#"{"pull_request":{"number":"x","head":{"ref":"a\nb=c","sha":"zz","repo":null},"base":{"repo":{"full_name":7}}}}"#,
        )
        .unwrap();
        assert!(p.is_pull_request);
        assert_eq!(p.pr_number, None);
        assert_eq!(p.head_ref, None);
        assert_eq!(p.head_sha, None);
        assert_eq!(p.head_repository, None);
        assert!(EventPayload::parse(b"[1]").is_err());
        assert!(EventPayload::parse(b"{").is_err());
        assert!(
            !EventPayload::parse(b"{\"inputs\":{}}")
                .unwrap()
                .is_pull_request
        );
    }

    #[test]
    fn multiline_output_uses_a_random_delimiter_not_in_the_value() {
        let mut buf = Vec::new();
        let hostile = "x\nghadelimiter_0\nforged=true\ny".to_owned();
        write_outputs(&mut buf, &[("a", "1".into()), ("b", hostile.clone())]).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.starts_with("a=1\nb<<ghadelimiter_"), "{text}");
        let delim = text.lines().nth(1).unwrap().trim_start_matches("b<<");
        assert_eq!(delim.len(), "ghadelimiter_".len() + 32, "{delim}");
        assert_eq!(text.lines().last().unwrap(), delim);
        assert_eq!(text.matches(delim).count(), 2, "{text}");
        let mut again = Vec::new();
        write_outputs(&mut again, &[("b", hostile)]).unwrap();
        assert_ne!(String::from_utf8(again).unwrap(), text[4..], "not random");
    }

    #[test]
    fn annotations_escape_newlines_and_percent() {
        let mut buf = Vec::new();
        let mut a = Annotations::new(&mut buf, true);
        a.warning("50% done\n::error::x").unwrap();
        a.group("files", &["::stop-commands::".into()]).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(
            text,
            "::warning::50%25 done%0A: :error: :x\n::group::files\n: :stop-commands: :\n::endgroup::\n"
        );
    }

    #[test]
    fn empty_runner_variables_count_as_absent() {
        let env = ActionsEnv::from_lookup(|k| match k {
            "GITHUB_ACTIONS" => Some("true".into()),
            "GITHUB_HEAD_REF" => Some(String::new()),
            "GITHUB_REF_NAME" => Some("main".into()),
            _ => None,
        });
        assert!(env.in_actions);
        assert_eq!(env.head_ref, None);
        assert_eq!(env.ref_name.as_deref(), Some("main"));
    }
}
