//! GitHub Actions runtime I/O: the event payload and environment in; outputs, step summary and
//! workflow commands (annotations, groups) out.
//!
//! Everything written goes to injected `io::Write` sinks so tests can read it without a runner.
//! The event payload is hostile input (a fork PR controls its branch name and title): it is
//! size-limited, parsed as untyped JSON, and only the few fields we need are taken, by type.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

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

/// Characters shown escaped (`\u{202e}`) wherever untrusted text is printed: C0 and C1 controls
/// (ESC starts terminal sequences; a newline starts a new log line, so a new workflow command),
/// bidirectional overrides and isolates (text that reads differently than it is), and invisible
/// or default-ignorable characters (a name that looks like another, or like `.git`).
pub fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00ad}'
                | '\u{034f}'
                | '\u{061c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

/// Untrusted text (a file, branch or artifact name, a manifest field, API text) made safe for
/// one line of a terminal or an Actions log: hidden characters (including newlines) shown as
/// `\u{..}` escapes, and both workflow command forms defused wherever they occur: `::` (a
/// command at the start of a line) becomes `: :`, and `##[` (the legacy form, acted on anywhere
/// in a line) becomes `## [`. Idempotent.
pub fn safe_text(s: &str) -> String {
    neutralise(s, false)
}

/// [`safe_text`] for our own multi-line messages that quote untrusted text: newlines stay, every
/// line is defused.
pub fn safe_lines(s: &str) -> String {
    neutralise(s, true)
}

/// Markdown that quotes untrusted text (a report printed to a job's log, and often appended to
/// `$GITHUB_STEP_SUMMARY`) made safe for the log while it stays the same Markdown: hidden
/// characters escaped (newlines kept), `##[` defused anywhere, and a line that would start with
/// `::` (after blanks) defused; a `::` inside a line, as in a test id, stays. Idempotent.
pub fn safe_markdown_lines(s: &str) -> String {
    let mut text = escape_hidden(s, true);
    while text.contains("##[") {
        text = text.replace("##[", "## [");
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let blanks = line.len() - line.trim_start().len();
        let (lead, rest) = line.split_at(blanks);
        out.push_str(lead);
        let mut rest = rest.to_owned();
        while rest.starts_with("::") {
            rest.insert(1, ' ');
        }
        out.push_str(&rest);
    }
    out
}

/// Hidden characters (see [`is_hidden_char`]) shown as `\u{..}` escapes; newlines kept when
/// asked.
fn escape_hidden(s: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_hidden_char(c) && !(keep_newlines && c == '\n') {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn neutralise(s: &str, keep_newlines: bool) -> String {
    let mut out = escape_hidden(s, keep_newlines);
    // Replace until nothing is left: `:::` or `##[[` must not leave a command behind.
    while out.contains("::") {
        out = out.replace("::", ": :");
    }
    while out.contains("##[") {
        out = out.replace("##[", "## [");
    }
    out
}

/// Whether a command made its `--json` document ([`json_line`]): then a later failure does not
/// add a second object on stdout (see `error::json_object`).
static JSON_MADE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether [`json_line`] made a document in this process.
pub fn json_made() -> bool {
    JSON_MADE.load(std::sync::atomic::Ordering::Relaxed)
}

/// A JSON document as one line whose strings cannot act as workflow commands or terminal
/// sequences: `[` after `##` and hidden characters are written as `\uXXXX` escapes (only strings
/// can hold them, and there the escape means the same character).
pub fn json_line<T: serde::Serialize>(value: &T) -> serde_json::Result<String> {
    JSON_MADE.store(true, std::sync::atomic::Ordering::Relaxed);
    let text = serde_json::to_string(value)?;
    let mut out = String::with_capacity(text.len());
    let mut hashes = 0;
    for c in text.chars() {
        if (c == '[' && hashes >= 2) || is_hidden_char(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
        hashes = if c == '#' { hashes + 1 } else { 0 };
    }
    Ok(out)
}

/// Untrusted text as one inline Markdown code span, where links, images, HTML and @mentions are
/// inert: the fence is one backtick longer than the longest run inside (padded with a space when
/// the text starts or ends with one, as CommonMark strips one space each side). Hidden
/// characters are escaped, newlines too (a span cannot hold a blank line). Markdown is no log:
/// the text keeps its `::` and `##[`.
pub fn md_span(s: &str) -> String {
    let text = escape_hidden(s, false);
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// [`md_span`] for a table cell: a `|` would end the cell even inside a code span, so it is
/// escaped (GitHub removes the backslash inside the span).
pub fn md_code(s: &str) -> String {
    md_span(s).replace('|', "\\|")
}

/// A fenced Markdown code block around `body` (commands to copy), fenced with more backticks
/// than any run inside it.
pub fn md_block(lang: &str, body: &str) -> String {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    format!("{fence}{lang}\n{}\n{fence}\n", escape_hidden(body, true))
}

/// One word for a POSIX shell, as suggested commands print it: left as it is when it only holds
/// characters no shell treats specially, else single-quoted (a `'` inside becomes `'\''`), so a
/// branch named `$(curl x)` stays a name when the command is pasted.
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Untrusted text for a commit message: one line (hidden characters, newlines included, shown
/// escaped, so no line can become a trailer such as `Signed-off-by:` or `Co-authored-by:`), at
/// most `max` characters.
pub fn commit_text(s: &str, max: usize) -> String {
    let mut text = escape_hidden(s, false);
    if let Some((at, _)) = text.char_indices().nth(max) {
        text.truncate(at);
        text.push_str("...");
    }
    text
}

/// Untrusted text as HTML `<code>` (inside HTML blocks such as `<summary>`, where Markdown code
/// spans do not apply): markup characters escaped, hidden characters (newlines, terminal
/// escapes, bidi) shown escaped.
pub fn html_code(s: &str) -> String {
    let mut out = String::from("<code>");
    for c in escape_hidden(s, false).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '`' => out.push_str("&#96;"),
            c => out.push(c),
        }
    }
    out.push_str("</code>");
    out
}

/// Turn free text into something safe in an artifact name (upload-artifact rejects
/// `" : < > | * ? \r \n \ /`).
pub fn artifact_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Outputs as an ordered map, for `--json` and tests.
pub fn outputs_map(outputs: &[(&str, String)]) -> BTreeMap<String, String> {
    outputs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
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
    fn safe_text_defuses_both_command_forms_anywhere_and_after_newlines() {
        for hostile in [
            "a.json##[error]pwned",
            "##[add-mask]secret",
            "x ##[set-output name=x]y",
            "##[stop-commands]tok",
            "ok\n::warning::x",
            "ok\r\n::error file=a::x",
            ":::warning:::x",
            "##[[error]x",
            "#\u{200b}#[error]x",
        ] {
            let safe = safe_text(hostile);
            assert!(!safe.contains("##["), "{hostile:?} -> {safe:?}");
            assert!(!safe.contains("::"), "{hostile:?} -> {safe:?}");
            assert!(!safe.contains('\n') && !safe.contains('\r'), "{safe:?}");
            assert_eq!(safe_text(&safe), safe, "idempotent");
        }
        assert_eq!(safe_text("ok\n::warning::x"), "ok\\u{a}: :warning: :x");
        let lines = safe_lines("first\n::error::x\n##[warning]y");
        assert_eq!(lines, "first\n: :error: :x\n## [warning]y");
        assert_eq!(safe_text("tests/a.json"), "tests/a.json");
    }

    #[test]
    fn safe_text_shows_escapes_bidi_and_invisible_characters() {
        assert_eq!(safe_text("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(safe_text("\u{9b}2J"), "\\u{9b}2J");
        assert_eq!(safe_text("evil\u{202e}nosj.js"), "evil\\u{202e}nosj.js");
        assert_eq!(safe_text("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
        assert_eq!(safe_text(".g\u{200c}it"), ".g\\u{200c}it");
        assert_eq!(safe_text("\u{feff}bom"), "\\u{feff}bom");
        assert_eq!(safe_text("tag\u{e0041}"), "tag\\u{e0041}");
        assert_eq!(safe_text("ünïcödé"), "ünïcödé");
    }

    #[test]
    fn json_lines_keep_their_value_but_hold_no_command_or_escape() {
        let value = serde_json::json!({"path": "a##[error]x\u{1b}[2J\u{202e}😀", "n": [1]});
        let line = json_line(&value).unwrap();
        assert!(!line.contains("##[") && !line.contains('\u{1b}') && !line.contains('\u{202e}'));
        assert!(
            line.contains("\\u005b") && line.contains("\\u202e"),
            "{line}"
        );
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn markdown_lines_defuse_commands_but_keep_the_markdown() {
        let md =
            "- `t.py::test_a` ##[add-mask]x\n::error::boom\n  ::warning::w ##[[x\n\u{1b}[31m\n";
        let safe = safe_markdown_lines(md);
        assert_eq!(
            safe,
            "- `t.py::test_a` ## [add-mask]x\n: :error::boom\n  : :warning::w ## [[x\n\\u{1b}[31m\n"
        );
        assert_eq!(safe_markdown_lines(&safe), safe);
    }

    #[test]
    fn markdown_spans_fence_backticks_and_keep_links_inert() {
        assert_eq!(md_span("plain"), "`plain`");
        assert_eq!(md_span("a`b"), "``a`b``");
        assert_eq!(md_span("``x"), "``` ``x ```");
        assert_eq!(md_span(""), "`  `");
        assert_eq!(md_code("a|b"), "`a\\|b`");
        assert_eq!(
            md_span("[x](https://evil.example)\n![i](y)"),
            "`[x](https://evil.example)\\u{a}![i](y)`"
        );
        let block = md_block("sh", "echo ```");
        assert!(
            block.starts_with("````sh\n") && block.ends_with("\n````\n"),
            "{block}"
        );
    }

    #[test]
    fn shell_quote_keeps_plain_words_and_quotes_the_rest() {
        assert_eq!(shell_quote("feature/x-1.2"), "feature/x-1.2");
        assert_eq!(shell_quote("owner/name"), "owner/name");
        assert_eq!(shell_quote("$(curl x)"), "'$(curl x)'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("a;b`c`"), "'a;b`c`'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn commit_text_is_one_line_without_trailers() {
        let hostile = "ollama\n\nSigned-off-by: Mallory <m@evil.example>\u{1b}[2J";
        let text = commit_text(hostile, 200);
        assert!(!text.contains('\n') && !text.contains('\u{1b}'), "{text}");
        assert_eq!(commit_text("abcdef", 3), "abc...");
    }

    #[test]
    fn html_code_escapes_markup_and_shows_hidden_characters() {
        let hostile = "a`b|c\n::error::x\u{1b}[31m ##[add-mask]y <img src=x> &";
        assert_eq!(
            html_code(hostile),
            "<code>a&#96;b|c\\u{a}::error::x\\u{1b}[31m ##[add-mask]y &lt;img src=x&gt; &amp;</code>"
        );
    }

    #[test]
    fn artifact_names_lose_unsafe_characters() {
        assert_eq!(
            artifact_safe("record (ollama, base)/1"),
            "record--ollama--base--1"
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
