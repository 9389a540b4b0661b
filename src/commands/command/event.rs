//! The event that started `rerecord command`, read from the runner's payload file.
//!
//! The payload is written by the runner for a workflow of the default branch (no PR code ran
//! before us), so it may be read; everything in it that a person typed (the comment, branch
//! names) is still untrusted data. Only well-typed fields are taken, and anything that is not a
//! created comment on a pull request, or an added label, is "nothing to do".

use serde_json::Value;

/// What asked for a recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// A new comment on a PR; `first_line` is its body's first line, untrusted.
    Comment { id: u64, first_line: String },
    /// A label added to a PR; `head_sha` is the PR head the event saw when it was added.
    Label { name: String, head_sha: String },
}

/// A request that may be for us: on PR `pr`, by `requester` (comment author or labeller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub trigger: Trigger,
    pub pr: u64,
    pub requester: String,
    /// Who opened the PR (`issue.user` / `pull_request.user`: GitHub's, not typed by anyone);
    /// `None` for a deleted account.
    pub pr_author: Option<String>,
}

/// Read `payload` of event `event_name`: `Ok(Err(why))` when the event asks nothing of us.
pub fn candidate(event_name: &str, payload: &Value) -> anyhow::Result<Result<Candidate, String>> {
    anyhow::ensure!(
        payload.is_object(),
        "the event payload is not a JSON object"
    );
    let action = payload.get("action").and_then(Value::as_str).unwrap_or("");
    match event_name {
        "issue_comment" if action != "created" => Ok(Err(format!(
            "the comment was {action}, not created: only new comments are acted on"
        ))),
        "issue_comment" => comment(payload),
        "pull_request_target" | "pull_request" if action != "labeled" => Ok(Err(format!(
            "the pull request event is {action}, not labeled"
        ))),
        "pull_request_target" | "pull_request" => label(payload).map(Ok),
        other => Ok(Err(format!(
            "event {other} is neither issue_comment nor a labeled pull request"
        ))),
    }
}

fn text<'a>(payload: &'a Value, ptr: &str) -> Option<&'a str> {
    payload.pointer(ptr).and_then(Value::as_str)
}

fn comment(payload: &Value) -> anyhow::Result<Result<Candidate, String>> {
    if !payload
        .pointer("/issue/pull_request")
        .is_some_and(Value::is_object)
    {
        return Ok(Err("the comment is on an issue, not a pull request".into()));
    }
    let (Some(pr), Some(id), Some(login)) = (
        payload.pointer("/issue/number").and_then(Value::as_u64),
        payload.pointer("/comment/id").and_then(Value::as_u64),
        text(payload, "/comment/user/login").filter(|l| is_login(l)),
    ) else {
        anyhow::bail!("the issue_comment payload lacks the issue number, comment id or author");
    };
    let body = text(payload, "/comment/body").unwrap_or("");
    Ok(Ok(Candidate {
        trigger: Trigger::Comment {
            id,
            first_line: body.lines().next().unwrap_or("").to_owned(),
        },
        pr,
        requester: login.to_owned(),
        pr_author: text(payload, "/issue/user/login")
            .filter(|l| is_login(l))
            .map(str::to_owned),
    }))
}

fn label(payload: &Value) -> anyhow::Result<Candidate> {
    let (Some(pr), Some(name), Some(sha), Some(login)) = (
        payload
            .pointer("/pull_request/number")
            .and_then(Value::as_u64),
        text(payload, "/label/name"),
        text(payload, "/pull_request/head/sha").filter(|s| is_sha(s)),
        text(payload, "/sender/login").filter(|l| is_login(l)),
    ) else {
        anyhow::bail!("the labeled payload lacks the PR number, label name, head sha or sender");
    };
    Ok(Candidate {
        trigger: Trigger::Label {
            name: name.to_owned(),
            head_sha: sha.to_owned(),
        },
        pr,
        requester: login.to_owned(),
        pr_author: text(payload, "/pull_request/user/login")
            .filter(|l| is_login(l))
            .map(str::to_owned),
    })
}

/// The rest of `first_line` when it starts with the command `word` (followed by a space or
/// nothing: `/rerecordx` is not `/rerecord`).
pub fn command_rest<'a>(first_line: &'a str, word: &str) -> Option<&'a str> {
    let rest = first_line.trim_start().strip_prefix(word)?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(|| rest.trim())
}

/// GitHub logins: letters, digits and hyphens; apps as `name[bot]`.
fn is_login(s: &str) -> bool {
    let core = s.strip_suffix("[bot]").unwrap_or(s);
    !core.is_empty()
        && s.len() <= 64
        && core.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn is_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/github-api/webhooks")
            .join(name);
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn a_real_issue_comment_is_not_for_a_pull_request() {
        let p = fixture("issue_comment.created.json");
        assert!(
            candidate("issue_comment", &p)
                .unwrap()
                .unwrap_err()
                .contains("issue")
        );
    }

    #[test]
    fn the_same_comment_on_a_pull_request_is_a_candidate() {
        let mut p = fixture("issue_comment.created.json");
        p["issue"]["pull_request"] = serde_json::json!({"url": "u", "html_url": "h"});
        p["comment"]["body"] = "/rerecord --suite vision\r\nthanks".into();
        let c = candidate("issue_comment", &p).unwrap().unwrap();
        assert_eq!(c.pr, 1);
        assert_eq!(c.requester, "Codertocat");
        assert_eq!(c.pr_author.as_deref(), Some("Codertocat"));
        let Trigger::Comment { first_line, .. } = &c.trigger else {
            panic!("{c:?}")
        };
        assert_eq!(
            command_rest(first_line, "/rerecord"),
            Some("--suite vision")
        );
    }

    #[test]
    fn edited_comments_and_other_events_ask_nothing() {
        let p = fixture("issue_comment.edited.json");
        assert!(candidate("issue_comment", &p).unwrap().is_err());
        let p = fixture("pull_request.opened.json");
        assert!(candidate("pull_request_target", &p).unwrap().is_err());
        assert!(candidate("push", &fixture("push.json")).unwrap().is_err());
    }

    #[test]
    fn a_real_labeled_payload_names_label_sha_and_sender() {
        let p = fixture("pull_request.labeled.json");
        let c = candidate("pull_request_target", &p).unwrap().unwrap();
        assert_eq!(c.requester, "Codertocat");
        assert!(matches!(c.trigger, Trigger::Label { ref name, .. } if name == "bug"));
    }

    #[test]
    fn the_word_must_stand_alone() {
        assert_eq!(command_rest("/rerecord", "/rerecord"), Some(""));
        assert_eq!(command_rest("  /rerecord  a b ", "/rerecord"), Some("a b"));
        assert_eq!(command_rest("/rerecordx", "/rerecord"), None);
        assert_eq!(command_rest("please /rerecord", "/rerecord"), None);
    }
}
