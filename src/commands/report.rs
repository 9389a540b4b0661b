//! `rerecord report`: the recordings report of this checkout's changes (work tree against HEAD
//! or `--base REV`): plain text on a terminal, Markdown otherwise (ready for
//! `$GITHUB_STEP_SUMMARY`), or `--format json`; either way no text of a recording can act as a
//! workflow command or terminal escape.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{ReportArgs, ReportFormat};
use crate::config::Config;
use crate::git::GitRepo;
use crate::neutralise::{is_hidden_char, safe_markdown_lines, safe_text};
use crate::review::hooks::{self, SUMMARY_LIMIT};
use crate::review::report::{FileReport, Report, Status, human_bytes};

pub fn run(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("failed to read the current directory")?;
    let repo = GitRepo::discover(&cwd)?;
    let config = Config::load(&repo.workdir()?)?;
    let report = hooks::checkout_report(
        &repo,
        &config.recordings,
        &config.review,
        args.base.as_deref(),
    )?;
    let format = match (args.json, args.format) {
        (true, _) => ReportFormat::Json,
        (false, Some(f)) => f,
        (false, None) if std::io::stdout().is_terminal() => ReportFormat::Terminal,
        (false, None) => ReportFormat::Markdown,
    };
    if format == ReportFormat::Json {
        crate::output::outln!("{}", crate::neutralise::json_line(&report)?);
    } else if report.is_empty() {
        crate::output::outln!(
            "No recording changed against {}.",
            safe_text(args.base.as_deref().unwrap_or("HEAD"))
        );
    } else if format == ReportFormat::Terminal {
        crate::output::out!("{}", to_terminal(&report));
    } else {
        // Test ids, paths and values are the recordings' text, and this is often a job's log.
        crate::output::out!(
            "{}",
            safe_markdown_lines(
                &report.to_markdown(SUMMARY_LIMIT, "pass `--json` for all of them.")
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The report as plain text: one heading line per test or folder, one line per file, its
/// changed JSON paths indented below. Every name and value is untrusted: see [`shown`].
fn to_terminal(report: &Report) -> String {
    let mut out = format!("Recordings report: {}\n", report.totals.phrase());
    for g in &report.groups {
        let origins = if g.origins.is_empty() {
            String::new()
        } else {
            format!(" [{}]", shown(&g.origins.join(", ")))
        };
        out.push_str(&format!(
            "\n{} {}{origins}: {}\n",
            g.by,
            shown(&g.key),
            g.counts.phrase()
        ));
        for f in &g.files {
            out.push_str(&file_line(f));
        }
    }
    out
}

fn file_line(f: &FileReport) -> String {
    let size = |b: Option<u64>| human_bytes(b.unwrap_or(0));
    let path = shown(&f.path);
    let mut out = match (f.status, f.churn) {
        (Status::Added, _) => format!("  + {path}  {}\n", size(f.new_bytes)),
        (Status::Deleted, _) => format!("  - {path}  deleted, {}\n", size(f.old_bytes)),
        (Status::Updated, true) => format!("  ~ {path}  churn only\n"),
        (Status::Updated, false) => format!(
            "  ~ {path}  {} -> {}\n",
            size(f.old_bytes),
            size(f.new_bytes)
        ),
    };
    out.push_str(&f.change_lines("      ", "->", "...", shown));
    out
}

/// Untrusted text inside one line that starts with our own words: hidden characters (escape
/// sequences, newlines, bidi overrides) shown as `\u{..}`, and the legacy `##[` workflow
/// command defused. `::` stays (a test id's separator): it commands nothing mid-line.
fn shown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_hidden_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out.replace("##[", "## [")
}

#[cfg(test)]
mod tests {
    use crate::review::report::{Counts, Group, Report, sized};
    use crate::test_support::{documented_keys, printed_keys};

    #[test]
    fn docs_json_md_documents_every_key() {
        let file = sized("r/a.json", None, Some(3), None);
        let group = Group {
            key: "t".into(),
            by: "test",
            origins: Vec::new(),
            counts: Counts::default(),
            files: vec![file.clone()],
        };
        for (keys, heading) in [
            (
                printed_keys(&Report::default()),
                "## `rerecord report --json`",
            ),
            (printed_keys(&group), "### A group"),
            (printed_keys(&Counts::default()), "### Counts"),
            (printed_keys(&file), "### A file"),
        ] {
            assert_eq!(keys, documented_keys(heading), "{heading}");
        }
    }
}
