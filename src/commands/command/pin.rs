//! Pinning what the request approved: exactly one commit, from data the PR author cannot forge.
//!
//! - A label event carries the head sha GitHub saw when the label was added: the head now must be
//!   that sha.
//! - A comment names the commit it approves, in full: `/rerecord --sha <40 hex> …`. It must be
//!   the PR's head now; a short sha is refused (a 7-hex prefix can be ground to match other code),
//!   and so is one that is no longer the head (the reply names the current head).
//! - A comment without `--sha` is enough only where nobody outside the repository's writers can
//!   have pushed the head: the PR's head repository is this repository and its author can write
//!   here. Otherwise the reply gives the exact comment that approves the current head, and
//!   nothing is dispatched.
//!
//! Dates never count (a committer date is whatever the committer typed), and neither does a run
//! of the same sha elsewhere (any branch or PR can start one). The pinned sha is then passed to
//! the recording workflow (its head-sha input), which checks out exactly that commit, so a push
//! after this check cannot change what is recorded.

use super::event::Trigger;
use super::reply::{RequestRefusal, short};
use super::{Ctx, Stop};
use crate::github::PullRequest;
use crate::neutralise::md_code;

/// Refuse unless the request approved exactly the PR's head `pr.head_sha`. `named` is the
/// comment's `--sha`, `rest` the comment's text after the command word.
pub(super) async fn check(
    ctx: &Ctx,
    named: Option<&str>,
    rest: &str,
    pr: &PullRequest,
) -> Result<(), Stop> {
    let head = pr.head_sha.as_str();
    match (&ctx.candidate.trigger, named) {
        (Trigger::Label { head_sha, .. }, _) if head_sha != head => Err(RequestRefusal::new(format!(
            "the PR was pushed after the label was added (it saw {}, the head is now {}). Remove the label and add it again to record the new head.",
            md_code(short(head_sha)),
            md_code(short(head))
        ))
        .into()),
        (Trigger::Label { .. }, _) => Ok(()),
        (Trigger::Comment { .. }, Some(sha)) => named_check(ctx, sha, rest, head),
        (Trigger::Comment { .. }, None) => unnamed_check(ctx, rest, pr).await,
    }
}

/// `--sha` must be a full sha and the PR's head now.
fn named_check(ctx: &Ctx, sha: &str, rest: &str, head: &str) -> Result<(), Stop> {
    let approve = approving_comment(&ctx.settings.word, rest, Some(sha), head);
    if !is_full_sha(sha) {
        return Err(RequestRefusal::with_detail(
            format!(
                "{} takes the full 40-hex commit id; {} is not one (a short prefix can be made to match other code). Review the PR's head {} and comment exactly this to record it:",
                md_code("--sha"),
                md_code(short(sha)),
                md_code(short(head))
            ),
            approve,
        )
        .into());
    }
    if !sha.eq_ignore_ascii_case(head) {
        return Err(RequestRefusal::with_detail(
            format!(
                "the comment approves {}, but the PR's head is now {}: it was pushed after the review. Review the new head and comment exactly this to record it:",
                md_code(short(sha)),
                md_code(short(head))
            ),
            approve,
        )
        .into());
    }
    Ok(())
}

/// Without `--sha`: only a same-repository PR whose author can write here.
async fn unnamed_check(ctx: &Ctx, rest: &str, pr: &PullRequest) -> Result<(), Stop> {
    let repo = ctx.repo.to_string();
    let head_repo = pr.head_repo.as_deref().unwrap_or("");
    let why = if !head_repo.eq_ignore_ascii_case(&repo) {
        format!("its head is in {}", md_code(head_repo))
    } else {
        match ctx.candidate.pr_author.as_deref() {
            None => "its author's account is gone".to_owned(),
            Some(author) => {
                let (rank, role) = super::repo_role(&ctx.gh, &ctx.repo, author).await?;
                if rank >= super::WRITE_RANK {
                    return Ok(());
                }
                format!("its author {} has {} here", md_code(author), md_code(&role))
            }
        }
    };
    Err(RequestRefusal::with_detail(
        format!(
            "a comment without {} records only a PR from a branch of {} whose author can write to it; {why}. Review the PR's head {} and comment exactly this to record it:",
            md_code("--sha"),
            md_code(&repo),
            md_code(short(&pr.head_sha))
        ),
        approving_comment(&ctx.settings.word, rest, None, &pr.head_sha),
    )
    .into())
}

/// The comment that approves `head` with the same options: `rest` with its `--sha` value (the
/// `named` one) replaced, or `--sha head` put first.
fn approving_comment(word: &str, rest: &str, named: Option<&str>, head: &str) -> String {
    let rest = rest.trim();
    let replaced = named.filter(|n| !n.is_empty()).and_then(|n| {
        let at = rest.find("--sha")?;
        let value_at = at + rest[at..].find(n)?;
        Some(format!(
            "{}{head}{}",
            &rest[..value_at],
            &rest[value_at + n.len()..]
        ))
    });
    match replaced {
        Some(line) => format!("{word} {line}"),
        None if rest.is_empty() => format!("{word} --sha {head}"),
        None => format!("{word} --sha {head} {rest}"),
    }
}

fn is_full_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn the_approving_comment_keeps_the_options_and_names_the_head() {
        assert_eq!(
            approving_comment("/rerecord", "", None, HEAD),
            format!("/rerecord --sha {HEAD}")
        );
        assert_eq!(
            approving_comment("/rerecord", "agents -k 'a b'", None, HEAD),
            format!("/rerecord --sha {HEAD} agents -k 'a b'")
        );
        assert_eq!(
            approving_comment("/rerecord", "--sha abc1234 -k x", Some("abc1234"), HEAD),
            format!("/rerecord --sha {HEAD} -k x")
        );
        assert_eq!(
            approving_comment("/x", "-k abc --sha=abc", Some("abc"), HEAD),
            format!("/x -k abc --sha={HEAD}")
        );
    }

    #[test]
    fn only_full_hex_shas_count() {
        assert!(is_full_sha(HEAD));
        assert!(is_full_sha(&HEAD.to_uppercase()));
        assert!(!is_full_sha(&HEAD[..39]));
        assert!(!is_full_sha("abc1234"));
        assert!(!is_full_sha(&format!("{}g", &HEAD[..39])));
    }
}
