//! What `commit` did, told four ways: step outputs, a markdown step summary, annotations (or
//! terminal lines outside Actions), and `--json`.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use super::CommitPlan;
use crate::actions::{ActionsEnv, Annotations, append_to, write_outputs};
use crate::commands::{FileLine, Landing};
use crate::git::status::Changes;
use crate::neutralise::{json_line, md_block, md_code, md_span, safe_text, shell_quote};

/// The result of one `commit` run. `--json` prints it with the action outputs' names
/// (`commit-sha`, `target-branch`, ...), plus the details the summary lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct CommitOutcome {
    /// At least one recording changed (churn-only recordings left out unless `--keep-churn`).
    pub changed: bool,
    /// How many recordings changed: the length of `files`.
    pub count: usize,
    /// A commit was pushed (never in stage mode or with `--dry-run`; `false` too when the
    /// branch already had exactly these recordings).
    pub pushed: bool,
    /// What was committed and pushed, or staged.
    #[serde(flatten)]
    pub landing: Landing<true>,
    /// The PR's branch the recordings are committed to; `None` in stage mode when no branch is
    /// known.
    pub target_branch: Option<String>,
    /// Stage mode: the folder the recordings and `rerecord-manifest.json` were copied to;
    /// `None` when nothing was staged.
    pub artifact_dir: Option<PathBuf>,
    /// Stage mode: the name to upload the artifact under
    /// (`recordings-RUN_ID-RUN_ATTEMPT-JOB[-KEY]`); `None` when there is nothing to upload.
    pub artifact_name: Option<String>,
    /// Changed paths under the recordings' folders that the globs do not match: not committed.
    pub ignored: Vec<String>,
    /// Deleted recordings left out because `--include-deletions` was not given.
    pub skipped_deletions: Vec<String>,
    /// What is worth knowing and needs no fix; each one is also a notice annotation.
    pub notices: Vec<String>,
    /// The recording globs this run used.
    pub recordings: Vec<String>,
    /// Where the globs came from: `--recordings`, `RERECORD_RECORDINGS`, the config committed in
    /// the checkout (with its commit), or the defaults.
    pub recordings_source: String,
}

impl CommitOutcome {
    pub fn new(plan: &CommitPlan, changes: &Changes) -> Self {
        let changed = !changes.recordings.is_empty();
        Self {
            changed,
            count: changes.recordings.len(),
            pushed: false,
            landing: Landing {
                mode: if plan.stage { "stage" } else { "push" },
                fork: plan.fork,
                files: changes
                    .recordings
                    .iter()
                    .map(|f| FileLine {
                        path: f.path.clone(),
                        status: f.kind.as_str(),
                    })
                    .collect(),
                dry_run: plan.dry_run,
                ..Landing::default()
            },
            target_branch: plan.target_branch.clone(),
            artifact_dir: None,
            // A dry run stages nothing, so there is no artifact to name (the action uploads only
            // when a name is set).
            artifact_name: (plan.stage && changed && !plan.dry_run)
                .then(|| plan.artifact_name.clone()),
            ignored: changes.ignored.clone(),
            skipped_deletions: changes.skipped_deletions.clone(),
            notices: Vec::new(),
            recordings: plan.globs.as_strings(),
            recordings_source: plan.recordings_source.clone(),
        }
    }

    /// The step outputs; booleans `true`/`false`, empty when a value does not apply.
    pub fn outputs(&self) -> Vec<(&'static str, String)> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        vec![
            ("changed", self.changed.to_string()),
            ("count", self.count.to_string()),
            ("pushed", self.pushed.to_string()),
            ("commit-sha", opt(&self.landing.commit_sha)),
            ("fork", self.landing.fork.to_string()),
            ("target-branch", opt(&self.target_branch)),
            (
                "artifact-dir",
                self.artifact_dir
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
            ("artifact-name", opt(&self.artifact_name)),
        ]
    }

    /// One line for the terminal or log (the branch name is the PR's, so untrusted).
    fn headline(&self) -> String {
        safe_text(&self.headline_with(self.target_branch.as_deref().unwrap_or("the PR branch")))
    }

    /// The headline as Markdown, the branch as a code span.
    fn md_headline(&self) -> String {
        match &self.target_branch {
            Some(b) => self.headline_with(&md_span(b)),
            None => self.headline_with("the PR branch"),
        }
    }

    fn headline_with(&self, branch: &str) -> String {
        let n = self.count;
        let files = if n == 1 { "recording" } else { "recordings" };
        let staged_for = if self.landing.fork {
            "the fork PR artifact"
        } else {
            "the recordings artifact"
        };
        match (
            self.changed,
            self.landing.mode == "stage",
            self.landing.dry_run,
            self.pushed,
        ) {
            (false, ..) => "No recording changes".to_owned(),
            (true, true, true, _) => format!("Dry run: would stage {n} {files} for {staged_for}"),
            (true, true, false, _) => format!("Staged {n} {files} for {staged_for}"),
            (true, false, true, _) => format!("Dry run: would commit {n} {files} to {branch}"),
            (true, false, false, true) => format!(
                "Committed {n} {files} to {branch} as {}",
                self.landing
                    .commit_sha
                    .as_deref()
                    .map_or("", |s| &s[..s.len().min(12)])
            ),
            (true, false, false, false) => {
                format!("{branch} already has these {n} {files}; nothing pushed")
            }
        }
    }

    /// The markdown step summary.
    pub fn summary(&self, plan: &CommitPlan) -> String {
        let mut md = format!("### rerecord commit: {}\n\n", self.md_headline());
        if let Some(sha) = &self.landing.commit_sha {
            md.push_str(&format!(
                "Commit {} on {} (setup: {}, suite: {}).\n\n",
                md_span(sha),
                md_span(self.target_branch.as_deref().unwrap_or("")),
                md_span(&plan.setup),
                md_span(&plan.suite)
            ));
        }
        for w in &self.landing.warnings {
            // Warnings quote file and branch names: inline code, never live Markdown.
            md.push_str(&format!("> [!WARNING]\n> {}\n\n", md_span(w)));
        }
        if !self.landing.files.is_empty() {
            md.push_str("| File | Status |\n| --- | --- |\n");
            for f in &self.landing.files {
                md.push_str(&format!("| {} | {} |\n", md_code(&f.path), f.status));
            }
            md.push('\n');
        }
        let globs: Vec<String> = self.recordings.iter().map(|g| md_code(g)).collect();
        md.push_str(&format!(
            "Recording globs {} from {}.\n\n",
            globs.join(", "),
            md_code(&self.recordings_source)
        ));
        if self.landing.mode == "stage" && !self.landing.fork && self.changed {
            md.push_str(&format!(
                "The recordings are staged in the artifact {} for a job that may write (e.g. \
                 `rerecord land --run {}`) to commit.\n\n",
                md_code(self.artifact_name.as_deref().unwrap_or("")),
                plan.provenance.made_by.run_id
            ));
        }
        if self.landing.fork && self.changed {
            let name = self.artifact_name.as_deref().unwrap_or("");
            let command = format!(
                "rerecord fetch --run {} --run-repo {}",
                plan.provenance.made_by.run_id,
                shell_quote(super::known(&plan.provenance.repository).unwrap_or("OWNER/NAME"))
            );
            md.push_str(&format!(
                "This pull request comes from a fork, which the job's token cannot push to. The recordings \
                 are in the artifact {}. To apply them to your branch, run in your checkout:\n\n{}\n",
                md_span(name),
                md_block("sh", &command)
            ));
        }
        let ignored: Vec<&String> = self.ignored.iter().chain(&self.skipped_deletions).collect();
        if !ignored.is_empty() {
            md.push_str(&format!(
                "<details><summary>Ignored changes ({}): not recordings{}</summary>\n\n",
                ignored.len(),
                if self.skipped_deletions.is_empty() {
                    ""
                } else {
                    ", or deletions without --include-deletions"
                }
            ));
            for p in ignored {
                md.push_str(&format!("- {}\n", md_span(p)));
            }
            md.push_str("\n</details>\n");
        }
        md
    }
}

/// Write outputs and summary where the runner asks, and annotations / terminal text / JSON.
pub fn emit(plan: &CommitPlan, env: &ActionsEnv, outcome: &CommitOutcome) -> anyhow::Result<()> {
    if let Some(path) = &env.output_path {
        append_to(path, |w| write_outputs(w, &outcome.outputs()))?;
    }
    if let Some(path) = &env.summary_path {
        let md = outcome.summary(plan);
        append_to(path, |w| w.write_all(md.as_bytes()))?;
    }
    let stdout = crate::output::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    if plan.json {
        // stdout carries exactly one JSON object; workflow commands still reach the runner on stderr.
        write_annotations(&mut err, env.in_actions, outcome)?;
        writeln!(out, "{}", json_line(outcome)?)?;
    } else if env.in_actions {
        write_annotations(&mut out, true, outcome)?;
        write_listing(&mut out, true, outcome)?;
    } else {
        write_annotations(&mut err, false, outcome)?;
        write_listing(&mut out, false, outcome)?;
    }
    Ok(())
}

fn write_annotations(
    w: &mut dyn Write,
    github: bool,
    outcome: &CommitOutcome,
) -> std::io::Result<()> {
    let mut a = Annotations::new(w, github);
    for warning in &outcome.landing.warnings {
        a.warning(warning)?;
    }
    for notice in &outcome.notices {
        a.notice(notice)?;
    }
    Ok(())
}

/// The headline and file lists, grouped in the Actions log.
pub fn write_listing(
    w: &mut dyn Write,
    github: bool,
    outcome: &CommitOutcome,
) -> std::io::Result<()> {
    writeln!(w, "{}", outcome.headline())?;
    // The source only (fixed text); the globs themselves may come from the PR's own config,
    // and reach the summary as code spans and --json, not the log.
    writeln!(w, "recording globs from {}", outcome.recordings_source)?;
    let mut a = Annotations::new(w, github);
    outcome.landing.group_files(&mut a)?;
    let ignored: Vec<String> = outcome
        .ignored
        .iter()
        .chain(&outcome.skipped_deletions)
        .cloned()
        .collect();
    if !ignored.is_empty() {
        a.group(
            &format!("Ignored, not committed ({})", ignored.len()),
            &ignored,
        )?;
    }
    if let Some(dir) = &outcome.artifact_dir {
        writeln!(
            w,
            "artifact directory: {}",
            safe_text(&dir.display().to_string())
        )?;
    }
    if let Some(name) = &outcome.artifact_name {
        writeln!(w, "artifact name: {}", safe_text(name))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pushed commit of one recording after two attempts, with every field set.
    fn pushed() -> CommitOutcome {
        CommitOutcome {
            changed: true,
            count: 1,
            pushed: true,
            landing: Landing {
                mode: "push",
                fork: false,
                commit_sha: Some("c0ffee".into()),
                files: vec![FileLine {
                    path: "r/a.json".into(),
                    status: "added",
                }],
                warnings: vec!["w".into()],
                attempts: 2,
                dry_run: false,
            },
            target_branch: Some("feature".into()),
            artifact_dir: None,
            artifact_name: None,
            ignored: vec!["src/x.py".into()],
            skipped_deletions: vec!["r/old.json".into()],
            notices: vec!["n".into()],
            recordings: vec!["r/**".into()],
            recordings_source: "defaults".into(),
        }
    }

    #[test]
    fn docs_json_md_documents_every_key() {
        assert_eq!(
            crate::test_support::printed_keys(&pushed()),
            crate::test_support::documented_keys("## `rerecord commit --json`")
        );
    }

    #[test]
    fn the_json_report_uses_the_step_outputs_kebab_case_names() {
        let json: serde_json::Value = serde_json::from_str(&json_line(&pushed()).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "changed": true, "count": 1, "pushed": true, "commit-sha": "c0ffee",
                "fork": false, "mode": "push", "target-branch": "feature",
                "artifact-dir": null, "artifact-name": null, "dry-run": false, "attempts": 2,
                "files": [{"path": "r/a.json", "status": "added"}],
                "ignored": ["src/x.py"], "skipped-deletions": ["r/old.json"],
                "warnings": ["w"], "notices": ["n"],
                "recordings": ["r/**"], "recordings-source": "defaults",
            })
        );
    }
}
