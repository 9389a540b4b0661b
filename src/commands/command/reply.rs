//! What `command` says: the sticky status comment (shared with `land`, which later replaces it
//! with the landing's result), reply comments for refusals, the log, outputs and `--json`.
//!
//! Text from the comment, branch names and input values is untrusted: in markdown it is only
//! ever an inline code span or a fenced block longer than any backtick run in it; in the log it
//! goes through [`safe_text`](crate::neutralise::safe_text), so it can neither mention, link, embed, nor start a workflow command.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::commands::land::MARKER;
pub use crate::commands::short;
use crate::github::DispatchedRun;
use crate::neutralise::{md_block, md_code};

/// Marks our reply comments (never adopted or edited: each refusal is its own reply).
pub const REPLY_MARKER: &str = "<!-- rerecord:command -->";

/// Why a request was not dispatched. `reason` is markdown whose untrusted parts are already
/// code spans; `detail` is untrusted plain text shown as a fenced block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRefusal {
    pub reason: String,
    pub detail: Option<String>,
}

impl RequestRefusal {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            detail: None,
        }
    }

    pub fn with_detail(reason: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            detail: Some(detail.into()),
            ..Self::new(reason)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Not a request: another event or action, a comment that does not start with the command
    /// word, or another label.
    Ignored,
    /// A request that was not dispatched: its author may not ask, or it cannot be honoured.
    Refused,
    /// The recording workflow was dispatched.
    Dispatched,
    /// `--dry-run`: every check passed; nothing was dispatched, commented or reacted to.
    DryRun,
}

/// The result of one `command` run (`--json` prints exactly this).
#[derive(Debug, Clone, Serialize)]
pub struct CommandOutcome {
    /// `ignored`, `refused`, `dispatched` or `dry-run`.
    pub status: Status,
    /// Why the request was ignored or refused: plain text when ignored, Markdown (its untrusted
    /// parts in code spans) when refused, as the reply comment says it; `None` otherwise.
    pub reason: Option<String>,
    /// A refusal's details, such as the option parser's message: untrusted plain text; `None`
    /// when there are none.
    pub detail: Option<String>,
    /// `OWNER/NAME` of the repository the workflow runs in (`GITHUB_REPOSITORY`).
    pub repository: String,
    /// The PR the request was made on; `None` when ignored.
    pub pr: Option<u64>,
    /// The login of who commented or added the label; `None` when ignored.
    pub requester: Option<String>,
    /// The PR's head sha when the request was read: the commit to record; `None` when
    /// refused before the PR was read.
    pub head_sha: Option<String>,
    /// The recording workflow's file name; `None` when ignored.
    pub workflow: Option<String>,
    /// The branch or tag the workflow is dispatched on; `None` until it is chosen.
    pub git_ref: Option<String>,
    /// The workflow inputs sent (or that would be sent), by name.
    pub inputs: BTreeMap<String, String>,
    /// The dispatched run (`{"id": RUN_ID, "url": PAGE}`); `None` when nothing was dispatched,
    /// or when the run did not show up in time to be found.
    pub run: Option<DispatchedRun>,
    /// Things worth fixing that did not stop the dispatch (also in the status comment).
    pub warnings: Vec<String>,
}

impl CommandOutcome {
    pub fn new(status: Status, repository: &str) -> Self {
        Self {
            status,
            reason: None,
            detail: None,
            repository: repository.to_owned(),
            pr: None,
            requester: None,
            head_sha: None,
            workflow: None,
            git_ref: None,
            inputs: BTreeMap::new(),
            run: None,
            warnings: Vec::new(),
        }
    }

    pub fn outputs(&self) -> Vec<(&'static str, String)> {
        let status = serde_json::to_value(self.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        vec![
            ("status", status),
            (
                "run-id",
                self.run
                    .as_ref()
                    .map(|r| r.id.to_string())
                    .unwrap_or_default(),
            ),
            (
                "run-url",
                self.run.as_ref().map(|r| r.url.clone()).unwrap_or_default(),
            ),
            ("pr", self.pr.map(|n| n.to_string()).unwrap_or_default()),
        ]
    }

    fn inputs_md(&self) -> String {
        if self.inputs.is_empty() {
            return "no inputs".to_owned();
        }
        let pairs: Vec<String> = self
            .inputs
            .iter()
            .map(|(k, v)| md_code(&format!("{k}={v}")))
            .collect();
        format!("the inputs {}", pairs.join(" "))
    }

    /// The sticky status comment: `land` finds it by [`MARKER`] and replaces it with its result.
    pub fn status_comment(&self, runs_page: &str) -> String {
        let who = md_code(self.requester.as_deref().unwrap_or("?"));
        let sha = md_code(short(self.head_sha.as_deref().unwrap_or("")));
        let run = match &self.run {
            Some(run) => format!("[run {}]({})", run.id, run.url),
            None => format!("a run (see [the workflow's runs]({runs_page}))"),
        };
        let mut md = format!(
            "{MARKER}\n### rerecord: recording dispatched\n\n{who} asked to re-record {sha} of this PR: {run} of {} on {} with {}. This comment is updated with the result when its recordings land.\n",
            md_code(self.workflow.as_deref().unwrap_or("")),
            md_code(self.git_ref.as_deref().unwrap_or("")),
            self.inputs_md()
        );
        for w in &self.warnings {
            md.push_str(&format!("\n> [!WARNING]\n> {w}\n"));
        }
        md
    }

    /// A reply to a refused request. `asked` is the quoted request (already markdown-safe).
    pub fn refusal_reply(&self, asked: &str) -> String {
        let title = if self.detail.is_some() && self.reason.as_deref() == Some(HELP) {
            "Usage"
        } else {
            "Not dispatched"
        };
        let mut md = format!(
            "{REPLY_MARKER}\n> {asked}\n\n**{title}**: {}\n",
            self.reason.as_deref().unwrap_or("")
        );
        if let Some(detail) = &self.detail {
            md.push_str(&format!("\n{}", md_block("text", detail)));
        }
        md
    }
}

/// The reason given with `--help`'s reply.
pub const HELP: &str = "the options are those of `rerecord schedule`:";

/// The reply when rerecord itself failed (the log has the error; the PR does not get it).
pub fn failure_reply(asked: &str, log_url: Option<&str>) -> String {
    let log = match log_url {
        Some(url) => format!("[the workflow run's log]({url})"),
        None => "the workflow run's log".to_owned(),
    };
    format!(
        "{REPLY_MARKER}\n> {asked}\n\n**Not dispatched**: `rerecord command` failed with an error; {log} has it.\n"
    )
}

/// How the request is quoted in replies: the command line as one code span.
pub fn quote_request(first_line: Option<&str>, label: Option<&str>, requester: &str) -> String {
    match (first_line, label) {
        (Some(line), _) => {
            let line: String = line.chars().take(200).collect();
            format!("{} by {}", md_code(line.trim()), md_code(requester))
        }
        (None, Some(label)) => format!("label {} added by {}", md_code(label), md_code(requester)),
        (None, None) => md_code(requester),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_json_md_documents_every_key() {
        assert_eq!(
            crate::test_support::printed_keys(&CommandOutcome::new(Status::Ignored, "o/r")),
            crate::test_support::documented_keys("## `rerecord command --json`")
        );
    }

    #[test]
    fn the_status_comment_is_sticky_and_quotes_inputs_as_code() {
        let mut o = CommandOutcome::new(Status::Dispatched, "o/r");
        o.requester = Some("maint".into());
        o.head_sha = Some("0123456789abcdef0123".into());
        o.workflow = Some("rec.yml".into());
        o.git_ref = Some("main".into());
        o.inputs
            .insert("pattern".into(), "`x` @team [a](http://e)".into());
        o.run = Some(DispatchedRun {
            id: 9,
            url: "http://x/runs/9".into(),
        });
        let c = o.status_comment("http://x/runs");
        assert!(c.starts_with(MARKER), "{c}");
        assert!(c.contains("[run 9](http://x/runs/9)"), "{c}");
        assert!(c.contains("``pattern=`x` @team [a](http://e)``"), "{c}");
        assert!(c.contains("`0123456789ab`"), "{c}");
    }

    #[test]
    fn a_refusal_quotes_the_request_and_fences_the_detail() {
        let mut o = CommandOutcome::new(Status::Refused, "o/r");
        o.reason = Some("unknown option".into());
        o.detail = Some("error: unexpected argument '```' found".into());
        let r = o.refusal_reply(&quote_request(Some("/rerecord ```"), None, "u"));
        assert!(r.starts_with(REPLY_MARKER));
        assert!(r.contains("> ```` /rerecord ``` ```` by `u`"), "{r}");
        assert!(
            r.contains("````text\nerror: unexpected argument '```' found\n````"),
            "{r}"
        );
    }
}
