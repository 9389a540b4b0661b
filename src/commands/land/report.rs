//! What `land` did, told five ways: the sticky PR comment, step outputs, the markdown step
//! summary, annotations (or terminal lines), and `--json`.
//!
//! Branch names, paths, reasons and warnings quote what the run produced (a fork controls its
//! branch name, its manifest, its artifacts' names and entries): in markdown they are only ever
//! shown as inline code, never as markdown or HTML, so they cannot link, embed or mention.

use std::io::Write;

use serde::Serialize;

use crate::actions::{ActionsEnv, Annotations, append_to, write_outputs};

use crate::artifact::manifest::FileStatus;
use crate::artifact::verify::Incoming;
pub use crate::commands::short;
use crate::commands::{FileLine, Landing};
use crate::neutralise::{json_line, md_block, md_code, md_span, safe_lines, safe_text};

/// The hidden marker that makes the PR comment sticky: found and edited, never duplicated.
pub const MARKER: &str = "<!-- rerecord:land -->";
/// Bytes of the PR comment's file table: GitHub refuses a comment over 65,536 characters, and
/// the recordings report (`Reviewed::with_comment`) gets the room left after it.
const COMMENT_TABLE_LIMIT: usize = 24 * 1024;
/// Bytes of the step summary's file table (a step's summary is refused over 1 MiB).
const SUMMARY_TABLE_LIMIT: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// A commit was pushed.
    Landed,
    /// The branch already holds exactly these recordings.
    UpToDate,
    /// The run has no recording artifacts, or they change nothing.
    Nothing,
    /// Verified, but not pushed for a stated reason (fork without permission, `--mode none`).
    Skipped,
    /// Verification or the cross-check with the API failed: nothing was pushed.
    Refused,
    /// `--dry-run`: verified, nothing pushed or commented.
    DryRun,
}

/// The result of one `land` run (`--json` prints exactly this).
#[derive(Debug, Clone, Serialize)]
pub struct LandOutcome {
    /// What happened: `landed`, `up-to-date`, `nothing`, `skipped`, `refused` or `dry-run`.
    pub status: Status,
    /// The recording run whose artifacts were landed (`--run`).
    pub run_id: u64,
    /// The recording run's page on GitHub.
    pub run_url: String,
    /// `OWNER/NAME` of the repository the run belongs to.
    pub repository: String,
    /// The PR the run recorded; `None` until the run is matched with its PR (and in branch
    /// mode without one).
    pub pr: Option<u64>,
    /// That PR's page on GitHub.
    pub pr_url: Option<String>,
    /// `OWNER/NAME:BRANCH` the recordings go to (the fork's branch for a fork PR; the new
    /// `rerecord/recordings-RUN_ID` branch in branch mode); `None` before the mode is chosen.
    pub target: Option<String>,
    /// What was committed and pushed (`mode` is `pr`, `branch` or `none`).
    #[serde(flatten)]
    pub landing: Landing<false>,
    /// `OWNER/NAME:BRANCH` a commit was pushed to; `None` when nothing was pushed.
    pub pushed_to: Option<String>,
    /// The pushed commit's page on GitHub; `None` when nothing was pushed.
    pub commit_url: Option<String>,
    /// The PR opened by `--mode branch`.
    pub opened_pr: Option<u64>,
    /// That PR's page on GitHub.
    pub opened_pr_url: Option<String>,
    /// Why nothing was pushed (for `nothing`, `skipped`, `refused`, `dry-run`), as plain text
    /// that may span lines (an unexpected error's full message); `None` after a landing.
    pub reason: Option<String>,
    /// How the contributor can apply the recordings themselves when they were verified but not
    /// pushed (`rerecord fetch --run ID --run-repo OWNER/NAME`); `None` otherwise.
    pub fetch_command: Option<String>,
    /// `reason` is an unexpected error, not a refusal: the PR comment only says that one
    /// happened (the run's log and summary have it in full).
    #[serde(skip)]
    pub internal_error: bool,
}

impl LandOutcome {
    pub fn new(run_id: u64, run_url: &str, repository: &str, dry_run: bool) -> Self {
        Self {
            status: Status::Nothing,
            run_id,
            run_url: run_url.to_owned(),
            repository: repository.to_owned(),
            pr: None,
            pr_url: None,
            target: None,
            landing: Landing {
                mode: "pr",
                dry_run,
                ..Landing::default()
            },
            pushed_to: None,
            commit_url: None,
            opened_pr: None,
            opened_pr_url: None,
            reason: None,
            fetch_command: None,
            internal_error: false,
        }
    }

    pub fn exit_code(&self) -> u8 {
        if self.status == Status::Refused { 1 } else { 0 }
    }

    /// The step outputs; empty when a value does not apply.
    pub fn outputs(&self) -> Vec<(&'static str, String)> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        vec![
            ("landed", (self.status == Status::Landed).to_string()),
            ("commit-sha", opt(&self.landing.commit_sha)),
            (
                "pr",
                self.opened_pr
                    .or(self.pr)
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            ),
            ("pushed-to", opt(&self.pushed_to)),
        ]
    }

    fn count(&self) -> String {
        let n = self.landing.files.len();
        format!("{n} {}", if n == 1 { "recording" } else { "recordings" })
    }

    /// One line for the terminal.
    pub fn headline(&self) -> String {
        safe_text(&self.headline_with(self.target.as_deref().unwrap_or("the branch").to_owned()))
    }

    /// The headline as markdown: the target names a fork's branch.
    fn md_headline(&self) -> String {
        self.headline_with(match &self.target {
            Some(t) => md_span(t),
            None => "the branch".to_owned(),
        })
    }

    fn headline_with(&self, target: String) -> String {
        match self.status {
            Status::Landed => format!(
                "Landed {} on {target} as {}",
                self.count(),
                short(self.landing.commit_sha.as_deref().unwrap_or(""))
            ),
            Status::UpToDate => format!(
                "{target} already has these {}; nothing pushed",
                self.count()
            ),
            Status::Nothing => "Nothing to land".to_owned(),
            Status::Skipped => format!("Verified {}, not pushed", self.count()),
            Status::Refused => "Refused to land the recordings; nothing was pushed".to_owned(),
            Status::DryRun => format!("Dry run: would land {} on {target}", self.count()),
        }
    }

    /// Markdown shared by the PR comment and the step summary.
    fn body(&self, for_comment: bool) -> String {
        let mut md = String::new();
        let run = format!("[run {}]({})", self.run_id, self.run_url);
        match self.status {
            Status::Landed => {
                let commit = match (&self.landing.commit_sha, &self.commit_url) {
                    (Some(sha), Some(url)) => format!("[`{}`]({url})", short(sha)),
                    (Some(sha), None) => md_span(short(sha)),
                    _ => String::new(),
                };
                md.push_str(&format!(
                    "Committed {} from {run} to {} as {commit}.\n\n",
                    self.count(),
                    md_span(self.pushed_to.as_deref().unwrap_or(""))
                ));
                if let (Some(n), Some(url)) = (self.opened_pr, &self.opened_pr_url) {
                    md.push_str(&format!("Opened [PR #{n}]({url}) to merge them.\n\n"));
                }
            }
            Status::UpToDate => md.push_str(&format!(
                "The {} from {run} are already on {}; nothing was pushed.\n\n",
                self.count(),
                md_span(self.target.as_deref().unwrap_or(""))
            )),
            Status::Nothing => md.push_str(&format!("{run} has no recording changes to land.\n\n")),
            Status::Skipped | Status::Refused | Status::DryRun => {
                let verb = match self.status {
                    Status::Refused => "were refused",
                    Status::DryRun => "would be landed (dry run)",
                    _ => "were verified but not pushed",
                };
                md.push_str(&format!("The recordings of {run} {verb}"));
                match &self.reason {
                    Some(_) if for_comment && self.internal_error => md.push_str(
                        ": `rerecord land` failed with an error; the log of the landing workflow's run has it.\n\n",
                    ),
                    Some(reason) => md.push_str(&format!(": {}\n\n", md_span(reason))),
                    None => md.push_str(".\n\n"),
                }
            }
        }
        if let Some(cmd) = &self.fetch_command {
            md.push_str(&format!(
                "To apply them to your branch yourself, run in your checkout of it:\n\n{}\n",
                md_block("sh", &format!("{cmd}\ngit push"))
            ));
        }
        for w in &self.landing.warnings {
            md.push_str(&format!("> [!WARNING]\n> {}\n\n", md_span(w)));
        }
        if !self.landing.files.is_empty() {
            md.push_str(&self.files_table(for_comment));
        }
        md
    }

    /// The files as a table in a `<details>`, cut at a row when it would outgrow its limit; the
    /// rows left out are counted, and the log of the landing run lists them all.
    fn files_table(&self, for_comment: bool) -> String {
        let limit = if for_comment {
            COMMENT_TABLE_LIMIT
        } else {
            SUMMARY_TABLE_LIMIT
        };
        let mut md = format!(
            "<details><summary>Files ({})</summary>\n\n| File | Status |\n| --- | --- |\n",
            self.landing.files.len()
        );
        let mut shown = 0;
        for f in &self.landing.files {
            let row = format!("| {} | {} |\n", md_code(&f.path), f.status);
            if md.len() + row.len() > limit {
                break;
            }
            md.push_str(&row);
            shown += 1;
        }
        if shown < self.landing.files.len() {
            let more = self.landing.files.len() - shown;
            md.push_str(&format!(
                "\n_{more} more {} not shown: {}_\n",
                if more == 1 { "file" } else { "files" },
                if for_comment {
                    "the step summary and the log of the landing run list them."
                } else {
                    "the log of this step lists them all (group Recordings)."
                }
            ));
        }
        md.push_str("\n</details>\n");
        md
    }

    /// The sticky PR comment.
    pub fn comment(&self) -> String {
        format!(
            "{MARKER}\n### rerecord: {}\n\n{}",
            self.md_headline(),
            self.body(true)
        )
    }

    /// The step summary.
    pub fn summary(&self) -> String {
        format!(
            "### rerecord land: {}\n\n{}",
            self.md_headline(),
            self.body(false)
        )
    }
}

/// Write outputs and summary where the runner asks, then annotations and the listing (or JSON).
/// Each file as its manifest describes it (`added` or `updated` against the recorded commit,
/// or `deleted`), until the tip it lands on says otherwise.
pub fn manifest_statuses(incoming: &Incoming) -> Vec<FileLine> {
    let said = |path: &str| {
        incoming
            .manifests
            .iter()
            .flat_map(|m| &m.files)
            .find(|f| f.path == path)
            .map(|f| f.status)
    };
    let files = incoming.files.keys().map(|p| FileLine {
        path: p.clone(),
        status: match said(p) {
            Some(FileStatus::Added) => "added",
            _ => "updated",
        },
    });
    let deleted = incoming.deleted.keys().map(|p| FileLine {
        path: p.clone(),
        status: "deleted",
    });
    files.chain(deleted).collect()
}

pub fn emit(env: &ActionsEnv, outcome: &LandOutcome, json: bool) -> anyhow::Result<()> {
    if let Some(path) = &env.output_path {
        append_to(path, |w| write_outputs(w, &outcome.outputs()))?;
    }
    if let Some(path) = &env.summary_path {
        let md = outcome.summary();
        append_to(path, |w| w.write_all(md.as_bytes()))?;
    }
    let stdout = crate::output::stdout();
    let stderr = std::io::stderr();
    let (mut out, mut err) = (stdout.lock(), stderr.lock());
    if json {
        annotations(&mut err, env.in_actions, outcome)?;
        writeln!(out, "{}", json_line(outcome)?)?;
        return Ok(());
    }
    let (annotated, github): (&mut dyn Write, bool) = if env.in_actions {
        (&mut out, true)
    } else {
        (&mut err, false)
    };
    annotations(annotated, github, outcome)?;
    writeln!(out, "{}", outcome.headline())?;
    if let Some(reason) = &outcome.reason {
        writeln!(out, "reason: {}", safe_lines(reason))?;
    }
    if let Some(url) = &outcome.commit_url {
        writeln!(out, "commit: {}", safe_text(url))?;
    }
    if let Some(url) = &outcome.opened_pr_url {
        writeln!(out, "opened: {}", safe_text(url))?;
    }
    if let Some(cmd) = &outcome.fetch_command {
        writeln!(out, "to apply them by hand: {}", safe_text(cmd))?;
    }
    outcome
        .landing
        .group_files(&mut Annotations::new(&mut out, env.in_actions))?;
    Ok(())
}

fn annotations(w: &mut dyn Write, github: bool, outcome: &LandOutcome) -> std::io::Result<()> {
    let mut a = Annotations::new(w, github);
    for warning in &outcome.landing.warnings {
        a.warning(warning)?;
    }
    if outcome.status == Status::Skipped
        && let Some(reason) = &outcome.reason
    {
        a.notice(reason)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run 7 of `o/r`, refused for `reason`.
    fn refused(reason: &str) -> LandOutcome {
        let mut o = LandOutcome::new(7, "u", "o/r", false);
        o.status = Status::Refused;
        o.reason = Some(reason.into());
        o
    }

    #[test]
    fn docs_json_md_documents_every_key() {
        assert_eq!(
            crate::test_support::printed_keys(&refused("r")),
            crate::test_support::documented_keys("## `rerecord land --json`")
        );
    }

    #[test]
    fn the_json_report_has_snake_case_names_and_no_internal_error() {
        let mut o = refused("r");
        o.internal_error = true;
        o.landing.mode = "branch";
        o.landing.fork = true;
        o.landing.commit_sha = Some("c0ffee".into());
        o.landing.attempts = 3;
        o.landing.warnings = vec!["w".into()];
        o.landing.files = vec![FileLine {
            path: "r/a.json".into(),
            status: "deleted",
        }];
        let json: serde_json::Value = serde_json::from_str(&json_line(&o).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "status": "refused", "run_id": 7, "run_url": "u", "repository": "o/r",
                "mode": "branch", "pr": null, "pr_url": null, "fork": true, "target": null,
                "pushed_to": null, "commit_sha": "c0ffee", "commit_url": null,
                "opened_pr": null, "opened_pr_url": null,
                "files": [{"path": "r/a.json", "status": "deleted"}],
                "reason": "r", "fetch_command": null, "warnings": ["w"], "attempts": 3,
                "dry_run": false,
            })
        );
    }

    #[test]
    fn comment_carries_the_marker_and_code_formats_untrusted_names() {
        let mut o = LandOutcome::new(7, "https://x/run/7", "o/r", false);
        o.status = Status::Landed;
        o.pushed_to = Some("o/r:evil|`branch`".into());
        o.landing.commit_sha = Some("0123456789abcdef".into());
        o.landing.files = vec![FileLine {
            path: "tests/integration/recordings/a.json".into(),
            status: "added",
        }];
        let c = o.comment();
        assert!(c.starts_with(MARKER));
        assert!(c.contains("`` o/r:evil|`branch` ``"), "{c}");
        assert!(c.contains("`0123456789ab`"));
        assert_eq!(o.outputs()[0], ("landed", "true".to_owned()));
    }

    #[test]
    fn refusal_exits_one_and_says_why() {
        let o = refused("bad\nthing");
        assert_eq!(o.exit_code(), 1);
        assert!(
            o.comment().contains("were refused: `bad\\u{a}thing`"),
            "{}",
            o.comment()
        );
        assert_eq!(o.outputs()[0], ("landed", "false".to_owned()));
    }

    #[test]
    fn an_internal_error_is_told_in_full_in_the_summary_but_not_on_the_pr() {
        let mut o = refused("GET /repos/o/r/pulls/3 answered 502 with body <html>");
        o.internal_error = true;
        assert!(!o.comment().contains("502"), "{}", o.comment());
        assert!(o.comment().contains("failed with an error"));
        assert!(o.summary().contains("`GET /repos/o/r/pulls/3 answered 502"));
    }

    #[test]
    fn warnings_and_a_forked_target_are_inline_code_with_backticks_defused() {
        let mut o = LandOutcome::new(7, "u", "o/r", false);
        o.status = Status::Skipped;
        o.target = Some("fork/r:@org/team".into());
        o.landing.warnings = vec!["artifact `x` ![img](https://evil.example/p.png)".into()];
        let c = o.comment();
        assert!(
            c.contains("``artifact `x` ![img](https://evil.example/p.png)``"),
            "{c}"
        );
        assert!(
            c.contains("### rerecord: Verified 0 recordings, not pushed"),
            "{c}"
        );
        o.status = Status::DryRun;
        assert!(
            o.comment().contains("on `fork/r:@org/team`"),
            "{}",
            o.comment()
        );
    }
}
