//! The `/rerecord` line: split into words by rerecord itself (quotes honoured; no shell, no
//! expansion, no comments), then parsed by clap with `schedule`'s own recording options, plus
//! `--sha`, the commit the commenter approves (checked by `pin`, never sent as an input).

use clap::{CommandFactory, FromArgMatches, Parser};

use crate::cli::RecordingArgs;

/// Longest command line read from a comment, and most words in it.
const MAX_LINE: usize = 1000;
const MAX_WORDS: usize = 64;

/// `/rerecord [DIRS] [OPTIONS]`: the options are exactly `schedule`'s recording options.
#[derive(Debug, Parser)]
#[command(
    no_binary_name = true,
    disable_version_flag = true,
    override_usage = "/rerecord [--sha SHA] [DIRS] [OPTIONS]"
)]
struct CommentLine {
    /// Comma-separated test subdirectories, as --test-subdirs.
    #[arg(value_name = "DIRS", conflicts_with = "subdirs")]
    dirs: Option<String>,
    /// The PR head commit you reviewed and approve, in full (40 hex digits): the recording runs
    /// exactly this commit, and nothing when the PR's head is another one.
    #[arg(long, value_name = "SHA")]
    sha: Option<String>,
    #[command(flatten)]
    recording: RecordingArgs,
}

/// Why a line was not understood: `message` is plain (untrusted) text for a code block.
#[derive(Debug, PartialEq, Eq)]
pub struct Misread {
    pub message: String,
    /// The user asked for `--help`: not a mistake, the reply shows the grammar.
    pub help: bool,
}

/// A parsed request: the recording options and the commit the commenter named, if any.
#[derive(Debug, Default)]
pub struct Request {
    pub recording: RecordingArgs,
    /// `--sha` as typed (untrusted; `pin` checks its form and that it is the PR's head).
    pub sha: Option<String>,
}

/// Parse what follows the command word.
pub fn parse(rest: &str, word: &str) -> Result<Request, Misread> {
    let misread = |message: String| Misread {
        message,
        help: false,
    };
    if rest.chars().count() > MAX_LINE {
        return Err(misread(format!(
            "the command line is longer than {MAX_LINE} characters"
        )));
    }
    let words = tokenize(rest).map_err(misread)?;
    if words.len() > MAX_WORDS {
        return Err(misread(format!("more than {MAX_WORDS} words")));
    }
    if words.iter().any(|w| w.chars().any(char::is_control)) {
        return Err(misread("values may not contain control characters".into()));
    }
    let usage = format!("{word} [--sha SHA] [DIRS] [OPTIONS]");
    let cmd = CommentLine::command()
        .bin_name(word.to_owned())
        .override_usage(usage)
        .help_template("{usage-heading} {usage}\n\n{all-args}");
    let matches = cmd.try_get_matches_from(&words).map_err(|e| Misread {
        message: e.render().to_string().trim_end().to_owned(),
        help: e.kind() == clap::error::ErrorKind::DisplayHelp,
    })?;
    let line = CommentLine::from_arg_matches(&matches)
        .map_err(|e| misread(e.render().to_string().trim_end().to_owned()))?;
    let mut recording = line.recording;
    if let Some(dirs) = line.dirs {
        recording.subdirs = Some(dirs);
    }
    Ok(Request {
        recording,
        sha: line.sha,
    })
}

/// Split on whitespace; `'…'` is literal, `"…"` honours `\"` and `\\`, a backslash outside quotes
/// takes the next character literally. `$`, backticks, `#`, `~` and globs are ordinary characters.
pub fn tokenize(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => word.push(x),
                        None => return Err("a ' quote is not closed".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\')) => word.push(x),
                            Some(x) => {
                                word.push('\\');
                                word.push(x);
                            }
                            None => return Err("a \" quote is not closed".into()),
                        },
                        Some(x) => word.push(x),
                        None => return Err("a \" quote is not closed".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.push(chars.next().unwrap_or('\\'));
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_group_words_and_nothing_expands() {
        assert_eq!(
            tokenize(r#"a,b --setup vllm -k "test_streaming and not x" '$(id)' \`b\` "q\"x" ''"#)
                .unwrap(),
            [
                "a,b",
                "--setup",
                "vllm",
                "-k",
                "test_streaming and not x",
                "$(id)",
                "`b`",
                "q\"x",
                ""
            ]
        );
        assert_eq!(tokenize("#x ~ *").unwrap(), ["#x", "~", "*"]);
        assert!(tokenize("-k 'open").is_err());
        assert!(tokenize("-k \"open").is_err());
    }

    #[test]
    fn schedule_options_and_a_positional_dirs() {
        let r = parse(
            r#"agents,inference --setup vllm -k "test_streaming""#,
            "/rerecord",
        )
        .unwrap();
        assert_eq!(r.sha, None);
        let r = r.recording;
        assert_eq!(r.subdirs.as_deref(), Some("agents,inference"));
        assert_eq!(r.setup.as_deref(), Some("vllm"));
        assert_eq!(r.pattern.as_deref(), Some("test_streaming"));
        let r = parse("--suite vision -f extra=1", "/rerecord")
            .unwrap()
            .recording;
        assert_eq!(r.suite.as_deref(), Some("vision"));
        assert_eq!(r.inputs, ["extra=1"]);
        assert!(parse("", "/rerecord").unwrap().recording.subdirs.is_none());
    }

    #[test]
    fn sha_is_taken_apart_from_the_inputs() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let r = parse(&format!("--sha {sha} agents -k x"), "/rerecord").unwrap();
        assert_eq!(r.sha.as_deref(), Some(sha));
        assert_eq!(r.recording.subdirs.as_deref(), Some("agents"));
        assert!(r.recording.inputs.is_empty());
        let r = parse("agents --sha=abc1234", "/rerecord").unwrap();
        assert_eq!(r.sha.as_deref(), Some("abc1234"));
        assert!(parse("--sha", "/rerecord").is_err());
    }

    #[test]
    fn unknown_options_and_help_are_misreads() {
        let e = parse("--branch x", "/rerecord").unwrap_err();
        assert!(e.message.contains("--branch"), "{}", e.message);
        assert!(!e.help);
        let e = parse("--help", "/rerecord").unwrap_err();
        assert!(e.help);
        assert!(e.message.contains("--test-setup"), "{}", e.message);
        assert!(parse("a --subdirs b", "/rerecord").is_err());
    }
}
