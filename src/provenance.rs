//! The pinned request: which repository, PR and full head sha a recording run recorded, decided
//! once (the label event's sha, the sha the approver named, the head `schedule` verified) and
//! re-checked at every later hop, never re-derived from a moving ref or an artifact.
//!
//! A run tells what it recorded in two ways the PR author cannot forge:
//! - a `pull_request` run: the API's own fields (`head_sha`, `head_repository`, `head_branch`).
//!   Its `display_title` is ignored: a fork's `pull_request` run uses the fork's workflow file,
//!   so its `run-name` is the attacker's (GitHub fact 21).
//! - a `workflow_dispatch` run: its `display_title`, which GitHub computes from the workflow's
//!   `run-name` and the inputs of a dispatcher who needed write access:
//!   `Record PR #<N> at <40 lowercase hex>` (more text may follow after a space).
//!
//! A manifest (written by the hostile record job) is only ever compared with the pin.

use std::sync::LazyLock;

use regex::Regex;

use crate::artifact::manifest::Manifest;
use crate::github::{PullRequest, WorkflowRun};

/// The run-name contract shared with the workflow templates.
static TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^Record PR #([0-9]+) at ([0-9a-f]{40})\b").expect("valid title pattern")
});

/// Where the pin came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinSource {
    /// The API's fields of a `pull_request` run.
    PullRequestRun,
    /// The `display_title` of a `workflow_dispatch` run.
    RunTitle,
    /// The workflow's own inputs, passed as `--pr`/`--head-sha` by a trusted job.
    WorkflowInputs,
}

impl std::fmt::Display for PinSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::PullRequestRun => "the pull_request run's head",
            Self::RunTitle => "the dispatched run's title",
            Self::WorkflowInputs => "the workflow's inputs (--pr/--head-sha)",
        })
    }
}

/// What a run recorded: the PR (when known) and the full head sha.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub pr: Option<u64>,
    pub head_sha: String,
    pub source: PinSource,
}

/// `(pr, sha)` named by a run title following the contract; `None` for any other title.
pub fn parse_title(title: &str) -> Option<(u64, String)> {
    let caps = TITLE.captures(title)?;
    let pr = caps[1].parse().ok().filter(|n| *n > 0)?;
    Some((pr, caps[2].to_owned()))
}

/// A full, lowercase-able 40-hex commit id (short prefixes can be ground, so never accepted).
pub fn is_full_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What the run's title says it recorded, trusted only for `workflow_dispatch` runs.
pub fn title_claim(run: &WorkflowRun) -> Option<(u64, String)> {
    if run.event != "workflow_dispatch" {
        return None;
    }
    parse_title(run.display_title.as_deref()?)
}

/// The pin of a run that ran on the default branch and recorded a PR (dispatched or called):
/// from the trusted flags (`--pr`, `--head-sha`, the workflow's own inputs) and the title of a
/// dispatched run; where both speak they must agree. `Err` says why there is no pin.
pub fn pin_for_dispatched(
    run: &WorkflowRun,
    pr_flag: Option<u64>,
    sha_flag: Option<&str>,
) -> Result<Pin, String> {
    let title = title_claim(run);
    if let Some(sha) = sha_flag
        && !is_full_sha(sha)
    {
        return Err(format!(
            "--head-sha {sha:?} is not a full 40-hex commit id; pass the sha the workflow pinned"
        ));
    }
    let sha_flag = sha_flag.map(str::to_ascii_lowercase);
    if let (Some((pr, sha)), flags) = (&title, (pr_flag, sha_flag.as_deref())) {
        if let Some(p) = flags.0.filter(|p| p != pr) {
            return Err(format!(
                "run {} is titled for PR #{pr}, but --pr says #{p}; the run recorded PR #{pr}",
                run.id
            ));
        }
        if let Some(s) = flags.1.filter(|s| s != sha) {
            return Err(format!(
                "run {} is titled for commit {sha}, but --head-sha says {s}",
                run.id
            ));
        }
    }
    match (title, sha_flag) {
        (_, Some(sha)) => Ok(Pin {
            pr: pr_flag,
            head_sha: sha,
            source: PinSource::WorkflowInputs,
        }),
        (Some((pr, sha)), None) => Ok(Pin {
            pr: Some(pr),
            head_sha: sha,
            source: PinSource::RunTitle,
        }),
        (None, None) => Err(format!(
            "run {} ({}) does not say which commit it recorded: it has no title of the form \"Record PR \
             #N at SHA\" (the recording workflow's run-name) and no --head-sha was given. Update the \
             recording workflow from the template, or pass the sha its plan job pinned with --head-sha",
            run.id, run.event
        )),
    }
}

/// Every way a manifest disagrees with the pin (empty: it agrees). A manifest without
/// `pr_number` (older recording actions) is held to the sha alone.
pub fn manifest_mismatches(pin: &Pin, m: &Manifest) -> Vec<String> {
    let m = &m.provenance;
    let mut out = Vec::new();
    if !m.head_sha.eq_ignore_ascii_case(&pin.head_sha) {
        out.push(format!(
            "head commit {:?}, but {} says {:?}",
            m.head_sha, pin.source, pin.head_sha
        ));
    }
    if let (Some(claimed), Some(pr)) = (m.pr_number, pin.pr)
        && claimed != pr
    {
        out.push(format!("PR #{claimed}, but {} says PR #{pr}", pin.source));
    }
    out
}

/// What `run` recorded, in words: the PR and sha of its trusted title, else the head
/// repository, branch and sha the API gives it.
pub fn describe_run(run: &WorkflowRun) -> String {
    match title_claim(run) {
        Some((pr, sha)) => format!("PR #{pr} at {sha}"),
        None => format!(
            "{}:{} at {} ({} run)",
            run.head_repository
                .as_ref()
                .map_or("(deleted)", |r| r.full_name.as_str()),
            run.head_branch.as_deref().unwrap_or("?"),
            run.head_sha,
            run.event
        ),
    }
}

/// Whether `run` recorded `pr` at its current head: a dispatched run whose title names this PR
/// and sha, or a run of the PR's own head repository and branch at that sha (its `pull_request`
/// runs). `Err` says what it recorded instead.
pub fn check_run_for_pr(run: &WorkflowRun, pr: &PullRequest) -> Result<(), String> {
    let sha_matches = |sha: &str| sha.eq_ignore_ascii_case(&pr.head_sha);
    let ok = match title_claim(run) {
        Some((number, sha)) => number == pr.number && sha_matches(&sha),
        None => {
            let same_repo = match (&run.head_repository, &pr.head_repo) {
                (Some(r), Some(p)) => r.full_name.eq_ignore_ascii_case(p),
                _ => false,
            };
            same_repo
                && run.head_branch.as_deref() == Some(pr.head_ref.as_str())
                && sha_matches(&run.head_sha)
        }
    };
    if ok {
        return Ok(());
    }
    Err(format!(
        "run {} recorded {}, not PR #{} at its head {}",
        run.id,
        describe_run(run),
        pr.number,
        pr.head_sha
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::pull;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    fn run(event: &str, title: &str) -> WorkflowRun {
        serde_json::from_value(serde_json::json!({
            "id": 9, "html_url": "u", "status": "completed", "conclusion": "success",
            "head_branch": "main", "head_sha": "f".repeat(40), "event": event,
            "created_at": "2026-01-01T00:00:00Z", "display_title": title
        }))
        .unwrap()
    }

    fn manifest(sha: &str, pr: Option<u64>) -> Manifest {
        let mut v = serde_json::json!({
            "version": 1, "repository": "o/r", "head_repository": "f/r", "head_ref": "b",
            "head_sha": sha, "checkout_sha": "", "run_id": 9, "run_attempt": 1, "job": "j",
            "setup": "s", "suite": "t", "files": []
        });
        if let Some(pr) = pr {
            v["pr_number"] = pr.into();
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_title_per_the_contract_parses_with_or_without_a_tail() {
        assert_eq!(
            parse_title(&format!("Record PR #12 at {SHA}")),
            Some((12, SHA.into()))
        );
        assert_eq!(
            parse_title(&format!("Record PR #12 at {SHA} (agents)")),
            Some((12, SHA.into()))
        );
    }

    #[test]
    fn titles_off_the_contract_do_not_parse() {
        for t in [
            format!("Record PR #12 at {}", &SHA[..7]),
            format!("Record PR #12 at {}", SHA.to_uppercase()),
            format!("Record PR #12 at {SHA}0"),
            format!("Record PR #12 at {SHA}x"),
            format!("  Record PR #12 at {SHA}"),
            format!("Record PR #0 at {SHA}"),
            "Record integration tests".into(),
        ] {
            assert_eq!(parse_title(&t), None, "{t}");
        }
    }

    #[test]
    fn the_title_is_trusted_for_dispatched_runs_only() {
        let title = format!("Record PR #3 at {SHA}");
        assert_eq!(
            title_claim(&run("workflow_dispatch", &title)),
            Some((3, SHA.into()))
        );
        assert_eq!(title_claim(&run("pull_request", &title)), None);
        assert_eq!(title_claim(&run("workflow_call", &title)), None);
    }

    #[test]
    fn a_dispatched_run_is_pinned_by_its_title_or_the_flags_and_they_must_agree() {
        let r = run("workflow_dispatch", &format!("Record PR #3 at {SHA}"));
        let pin = pin_for_dispatched(&r, None, None).unwrap();
        assert_eq!((pin.pr, pin.source), (Some(3), PinSource::RunTitle));
        assert!(
            pin_for_dispatched(&r, Some(4), None)
                .unwrap_err()
                .contains("#4")
        );
        let other = "a".repeat(40);
        assert!(pin_for_dispatched(&r, None, Some(&other)).is_err());
        let by_flags = pin_for_dispatched(&r, Some(3), Some(&SHA.to_uppercase())).unwrap();
        assert_eq!(by_flags.head_sha, SHA);
    }

    #[test]
    fn without_title_or_sha_there_is_no_pin_and_short_shas_are_refused() {
        let r = run("workflow_call", "Record integration tests");
        assert!(
            pin_for_dispatched(&r, Some(3), None)
                .unwrap_err()
                .contains("--head-sha")
        );
        assert!(pin_for_dispatched(&r, Some(3), Some(&SHA[..7])).is_err());
        let pin = pin_for_dispatched(&r, Some(3), Some(SHA)).unwrap();
        assert_eq!(pin.source, PinSource::WorkflowInputs);
    }

    #[test]
    fn a_run_recorded_a_pr_by_its_title_or_by_its_head_repository_branch_and_sha() {
        let mut pr_run = run("pull_request", "Fix things");
        pr_run.head_branch = Some("fix".into());
        pr_run.head_sha = SHA.into();
        pr_run.head_repository = Some(crate::github::RepoRef2 {
            full_name: "Alice/R".into(),
        });
        assert!(check_run_for_pr(&pr_run, &pull(3, "alice/r", "fix", SHA)).is_ok());
        // Another PR with the same sha from another repository or branch never counts.
        let err = check_run_for_pr(&pr_run, &pull(4, "mallory/r", "fix", SHA)).unwrap_err();
        assert!(err.contains("Alice/R:fix"), "{err}");
        assert!(check_run_for_pr(&pr_run, &pull(3, "alice/r", "other", SHA)).is_err());
        assert!(check_run_for_pr(&pr_run, &pull(3, "alice/r", "fix", &"a".repeat(40))).is_err());
        let dispatched = run("workflow_dispatch", &format!("Record PR #3 at {SHA}"));
        assert!(check_run_for_pr(&dispatched, &pull(3, "alice/r", "fix", SHA)).is_ok());
        let err = check_run_for_pr(&dispatched, &pull(5, "alice/r", "fix", SHA)).unwrap_err();
        assert!(err.contains("PR #3"), "{err}");
    }

    #[test]
    fn a_manifest_must_name_the_pinned_sha_and_pr() {
        let pin = Pin {
            pr: Some(3),
            head_sha: SHA.into(),
            source: PinSource::RunTitle,
        };
        assert!(manifest_mismatches(&pin, &manifest(SHA, Some(3))).is_empty());
        assert!(manifest_mismatches(&pin, &manifest(SHA, None)).is_empty());
        assert_eq!(manifest_mismatches(&pin, &manifest(SHA, Some(4))).len(), 1);
        let other = "a".repeat(40);
        assert_eq!(
            manifest_mismatches(&pin, &manifest(&other, Some(4))).len(),
            2
        );
    }
}
