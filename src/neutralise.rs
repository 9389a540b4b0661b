//! Untrusted text (file, branch and artifact names, manifest fields, recording content, API
//! text) made inert for where it is shown: one log or terminal line (no workflow command, no
//! terminal escape, no hidden character), Markdown and HTML (no link, image, markup or
//! @mention), a shell word, a commit message line (no trailer), an artifact name, and `--json`
//! documents. Pure functions of their input, apart from [`json_made`].

/// Characters shown escaped (`\u{202e}`) wherever untrusted text is printed: C0 and C1 controls
/// (ESC starts terminal sequences; a newline starts a new log line, so a new workflow command),
/// Unicode's default-ignorable code points (bidirectional overrides and isolates, text that reads
/// differently than it is; zero-width, filler and variation characters, a name that looks like
/// another, or like `.git`), the line and paragraph separators and the interlinear annotation
/// marks.
pub fn is_hidden_char(c: char) -> bool {
    const IGNORABLE: icu_properties::CodePointSetDataBorrowed<'static> =
        icu_properties::CodePointSetData::new::<icu_properties::props::DefaultIgnorableCodePoint>();
    // No ASCII character is default-ignorable or a separator: ASCII is decided by `is_control`.
    c.is_control()
        || (!c.is_ascii()
            && (IGNORABLE.contains(c)
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{fff9}'..='\u{fffb}')))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_chars_are_controls_default_ignorables_and_separators() {
        for c in [
            '\0',
            '\u{1b}',
            '\n',
            '\u{85}',
            '\u{ad}',
            '\u{34f}',
            '\u{61c}',
            '\u{115f}',
            '\u{17b4}',
            '\u{180e}',
            '\u{200b}',
            '\u{200d}',
            '\u{2028}',
            '\u{2029}',
            '\u{202e}',
            '\u{2066}',
            '\u{3164}',
            '\u{fe0f}',
            '\u{feff}',
            '\u{ffa0}',
            '\u{fff9}',
            '\u{fffb}',
            '\u{1bca0}',
            '\u{1d173}',
            '\u{e0001}',
            '\u{e0fff}',
        ] {
            assert!(is_hidden_char(c), "{:x} is hidden", c as u32);
        }
        for c in [
            ' ', 'a', '~', '\u{a0}', 'é', '\u{2027}', '\u{202f}', '\u{fffc}', '😀',
        ] {
            assert!(!is_hidden_char(c), "{:x} is shown", c as u32);
        }
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
        for (input, shown) in [
            ("a\u{1b}[31mred", "a\\u{1b}[31mred"),
            ("\u{9b}2J", "\\u{9b}2J"),
            ("evil\u{202e}nosj.js", "evil\\u{202e}nosj.js"),
            ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
            (".g\u{200c}it", ".g\\u{200c}it"),
            ("\u{feff}bom", "\\u{feff}bom"),
            ("tag\u{e0041}", "tag\\u{e0041}"),
            ("ünïcödé", "ünïcödé"),
        ] {
            assert_eq!(safe_text(input), shown, "{input:?}");
        }
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
        for (input, shown) in [
            ("feature/x-1.2", "feature/x-1.2"),
            ("owner/name", "owner/name"),
            ("$(curl x)", "'$(curl x)'"),
            ("it's", r"'it'\''s'"),
            ("a;b`c`", "'a;b`c`'"),
            ("", "''"),
        ] {
            assert_eq!(shell_quote(input), shown, "{input:?}");
        }
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
}
