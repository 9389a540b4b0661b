//! Which runs `land` takes at all, decided from the API's view of the run before any artifact is
//! read: a run of the configured recording workflow (its file, not its display name, which any
//! workflow can copy), triggered by an allowed event, and finished — unless it is the run of the
//! landing job itself, whose artifacts (upload-artifact v4) are listed while it is in progress.

use super::resolve::LandRefusal;
use crate::github::WorkflowRun;

/// Events whose runs land by default. A run that a `workflow_call` drove reports the caller's
/// event (and the caller's file as its `path`), so it needs no entry of its own.
pub const DEFAULT_EVENTS: &[&str] = &["pull_request", "workflow_dispatch"];

/// What a run must be to be landed.
pub struct Policy<'a> {
    /// The recording workflow: a file name in `.github/workflows/`, or a path from the root.
    pub workflow: &'a str,
    /// Allowed events beyond [`DEFAULT_EVENTS`].
    pub extra_events: &'a [String],
    /// `GITHUB_RUN_ID` of the job running `land`, if any.
    pub own_run: Option<u64>,
}

impl Policy<'_> {
    /// The workflow as the API writes a run's `path`.
    pub fn workflow_path(&self) -> String {
        let w = self.workflow.trim().trim_start_matches("./");
        if w.contains('/') {
            w.to_owned()
        } else {
            format!(".github/workflows/{w}")
        }
    }

    fn allows(&self, event: &str) -> bool {
        DEFAULT_EVENTS.contains(&event) || self.extra_events.iter().any(|e| e.trim() == event)
    }

    /// `Ok` when the run may be landed; otherwise what is wrong with it and what to do.
    pub fn check(&self, run: &WorkflowRun) -> Result<(), LandRefusal> {
        let id = run.id;
        if !run.is_completed() && self.own_run != Some(id) {
            let status = run.status.as_deref().unwrap_or("not completed");
            return Err(LandRefusal(format!(
                "run {id} is {status}: land takes a completed run (a `workflow_run` workflow on \
                 `completed`), or the current run from one of its later jobs (`--run \"$GITHUB_RUN_ID\"` \
                 in a job that `needs:` the recording jobs)"
            )));
        }
        let wanted = self.workflow_path();
        match run.path.as_deref().map(run_workflow_path) {
            Some(path) if path == wanted => {}
            Some(path) => {
                return Err(LandRefusal(format!(
                    "run {id} is a run of {path}, not of the recording workflow {wanted}: only the \
                     recording workflow's artifacts are landed. Pass --workflow FILE (or set `workflow` \
                     in rerecord.toml) if the recordings come from {path}"
                )));
            }
            None => {
                return Err(LandRefusal(format!(
                    "the API does not say which workflow file run {id} belongs to, so it cannot be \
                     checked against the recording workflow {wanted}"
                )));
            }
        }
        if !self.allows(&run.event) {
            let allowed: Vec<&str> = DEFAULT_EVENTS
                .iter()
                .copied()
                .chain(self.extra_events.iter().map(|e| e.trim()))
                .collect();
            return Err(LandRefusal(format!(
                "run {id} was triggered by {:?}, which land does not take (allowed: {}); pass \
                 --allow-event {} if that event's runs should land",
                run.event,
                allowed.join(", "),
                crate::neutralise::artifact_safe(&run.event)
            )));
        }
        Ok(())
    }
}

/// A run's `path` without the `@REF` GitHub appends to some (`.github/workflows/x.yml@main`).
fn run_workflow_path(path: &str) -> &str {
    path.split_once('@').map_or(path, |(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(status: &str, path: &str, event: &str) -> WorkflowRun {
        serde_json::from_value(serde_json::json!({
            "id": 7, "html_url": "https://github.com/o/r/actions/runs/7", "status": status,
            "conclusion": null, "head_branch": "b", "head_sha": "a", "event": event,
            "created_at": "2026-01-01T00:00:00Z", "path": path
        }))
        .unwrap()
    }

    fn policy(own_run: Option<u64>) -> Policy<'static> {
        Policy {
            workflow: "record.yml",
            extra_events: &[],
            own_run,
        }
    }

    #[test]
    fn paths_with_a_ref_suffix_match_the_workflow_file() {
        let p = policy(None);
        assert!(
            p.check(&run(
                "completed",
                ".github/workflows/record.yml@main",
                "pull_request"
            ))
            .is_ok()
        );
        assert!(
            p.check(&run(
                "completed",
                ".github/workflows/record.yml@refs/heads/a/b",
                "workflow_dispatch"
            ))
            .is_ok()
        );
        let other = p
            .check(&run(
                "completed",
                ".github/workflows/recordx.yml",
                "pull_request",
            ))
            .unwrap_err();
        assert!(other.0.contains("--workflow"), "{other}");
        let full = Policy {
            workflow: "./.github/workflows/record.yml",
            ..policy(None)
        };
        assert_eq!(full.workflow_path(), ".github/workflows/record.yml");
    }

    #[test]
    fn only_the_own_run_may_be_in_progress() {
        let r = run(
            "in_progress",
            ".github/workflows/record.yml",
            "pull_request",
        );
        assert!(policy(Some(7)).check(&r).is_ok());
        let refused = policy(Some(8)).check(&r).unwrap_err();
        assert!(refused.0.contains("in_progress"), "{refused}");
        assert!(policy(None).check(&r).is_err());
    }

    #[test]
    fn events_outside_the_list_are_refused_unless_allowed() {
        let r = run("completed", ".github/workflows/record.yml", "push");
        let refused = policy(None).check(&r).unwrap_err();
        assert!(refused.0.contains("--allow-event push"), "{refused}");
        let extra = ["push".to_owned()];
        let p = Policy {
            extra_events: &extra,
            ..policy(None)
        };
        assert!(p.check(&r).is_ok());
    }
}
