//! The calls `commit`, `land` and `fetch` make at the moment the set of files to carry is final:
//! scan every file for credentials (refusing the whole operation on a hit), analyse each one for
//! the report, and leave churn out unless `--keep-churn`.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;

use super::report::{self, FileReport, Report};
use super::secrets::{Allowed, Hit, Scanner};
use super::{ReviewConfig, Settings, is_env_name};
use crate::actions::{ActionsEnv, append_to, escape_data, safe_text};
use crate::artifact::verify::Incoming;
use crate::cli::ScanArgs;
use crate::git::GitRepo;
use crate::git::status::{ChangeKind, Changes};

/// GitHub's limit on a comment body, in characters.
pub const COMMENT_LIMIT: usize = 65_536;
/// Step summaries are limited to 1 MiB per step; leave room for what the command itself writes.
pub const SUMMARY_LIMIT: usize = 512 * 1024;
/// Hits listed in a refusal; the rest are counted.
const HITS_SHOWN: usize = 20;

/// The secret scan, resolved: rules, environment values, allowed locations.
pub struct Gate {
    scanner: Scanner,
    allowed: Allowed,
    in_actions: bool,
}

impl Gate {
    /// `[review] secret-env` and `--secret-env` name the variables whose values are searched;
    /// unset or empty ones are skipped.
    pub fn new(config: &ReviewConfig, scan: &ScanArgs, in_actions: bool) -> anyhow::Result<Self> {
        let mut names: BTreeSet<&str> = config.secret_env.iter().map(String::as_str).collect();
        for name in scan
            .secret_env
            .iter()
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
        {
            anyhow::ensure!(
                is_env_name(name),
                "--secret-env {name:?} is not an environment variable name; pass the NAME of the variable"
            );
            names.insert(name);
        }
        let env: Vec<(String, String)> = names
            .into_iter()
            .filter_map(|n| std::env::var(n).ok().map(|v| (n.to_owned(), v)))
            .collect();
        Ok(Self {
            scanner: Scanner::new(&env).context("failed to build the secret scan")?,
            allowed: Allowed::parse(&scan.allow_secret)?,
            in_actions,
        })
    }

    /// The hits in one file that `--allow-secret` does not accept.
    pub fn scan(&self, path: &str, bytes: &[u8]) -> Vec<Hit> {
        let mut hits = self.scanner.scan(path, bytes);
        hits.retain(|h| !self.allowed.allows(h));
        hits
    }

    /// `land` and `fetch`: scan the verified, staged files of `incoming` (unstaged ones, on a
    /// dry run of `fetch`, are not on disk and are not scanned).
    pub fn scan_incoming(
        &self,
        incoming: &Incoming,
        action: &str,
        nothing: &str,
    ) -> anyhow::Result<()> {
        let mut hits = Vec::new();
        for (path, file) in &incoming.files {
            if let Some(staged) = &file.staged {
                let bytes =
                    std::fs::read(staged).with_context(|| format!("failed to read {path}"))?;
                hits.extend(self.scan(path, &bytes));
            }
        }
        self.refuse(&hits, action, nothing)
    }

    /// An error naming every hit (values masked; registered with `::add-mask::` in Actions),
    /// or `Ok` when there is none. `nothing` says what was not done, e.g. "nothing was pushed".
    pub fn refuse(&self, hits: &[Hit], action: &str, nothing: &str) -> anyhow::Result<()> {
        if hits.is_empty() {
            return Ok(());
        }
        if self.in_actions {
            for h in hits {
                crate::output::outln!("::add-mask::{}", escape_data(h.secret.expose()));
            }
        }
        let mut msg = format!(
            "refusing to {action}: {} {} found in the recordings; {nothing}:",
            hits.len(),
            if hits.len() == 1 {
                "credential"
            } else {
                "credentials"
            }
        );
        for h in hits.iter().take(HITS_SHOWN) {
            msg.push_str(&format!("\n  {}", safe_text(&h.to_string())));
        }
        if hits.len() > HITS_SHOWN {
            msg.push_str(&format!("\n  … and {} more", hits.len() - HITS_SHOWN));
        }
        msg.push_str(&format!(
            "\nRemove them from the recordings (redact them in the recorder, e.g. vcrpy's filter_headers, \
             then re-record). For a known false positive, pass --allow-secret with its location, e.g. \
             --allow-secret '{}'",
            safe_text(&hits[0].location())
        ));
        Err(anyhow::anyhow!(msg))
    }
}

/// The review of what one command carries.
#[derive(Debug, Clone, Default)]
pub struct Reviewed {
    pub report: Report,
    /// Churn-only recordings left out (empty with `--keep-churn`).
    pub left_out: BTreeSet<String>,
}

impl Reviewed {
    fn new(files: Vec<FileReport>, keep_churn: bool) -> Self {
        let report = Report::new(files, keep_churn);
        let left_out = if keep_churn {
            BTreeSet::new()
        } else {
            report
                .churn_paths()
                .into_iter()
                .map(str::to_owned)
                .collect()
        };
        Self { report, left_out }
    }

    /// Lines for the command's notices.
    pub fn notices(&self) -> Vec<String> {
        if self.left_out.is_empty() {
            return Vec::new();
        }
        let shown: Vec<&str> = self.left_out.iter().take(10).map(String::as_str).collect();
        vec![format!(
            "{} {} changed only in [review] volatile fields (churn) and {} left out: {}{}; pass --keep-churn to carry them",
            self.left_out.len(),
            if self.left_out.len() == 1 {
                "recording"
            } else {
                "recordings"
            },
            if self.left_out.len() == 1 {
                "was"
            } else {
                "were"
            },
            shown.join(", "),
            if self.left_out.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        )]
    }

    /// Append the report to the step summary, when there is one.
    pub fn write_summary(&self, env: &ActionsEnv) -> anyhow::Result<()> {
        let Some(path) = &env.summary_path else {
            return Ok(());
        };
        if self.report.is_empty() {
            return Ok(());
        }
        let md = self.report.to_markdown(
            SUMMARY_LIMIT,
            "run `rerecord report --json` in a checkout with these recordings for all of them.",
        );
        append_to(path, |w| w.write_all(md.as_bytes()))
    }

    /// `comment` followed by the report, within GitHub's comment limit.
    pub fn with_comment(&self, comment: String) -> String {
        if self.report.is_empty() {
            return comment;
        }
        let room = COMMENT_LIMIT.saturating_sub(comment.len() + 2);
        let md = self.report.to_markdown(
            room,
            "the comment would be too long; the full report is in the step summary of the landing run.",
        );
        format!("{comment}\n\n{md}")
    }
}

/// `commit`: scan and analyse `changes` (work tree against HEAD), then leave churn out of them.
pub fn commit(
    repo: &GitRepo,
    config: &ReviewConfig,
    scan: &ScanArgs,
    keep_churn: bool,
    origin: &str,
    in_actions: bool,
    changes: &mut Changes,
) -> anyhow::Result<Reviewed> {
    let workdir = repo.workdir()?;
    let gate = Gate::new(config, scan, in_actions)?;
    let settings = Settings::new(config)?;
    let mut hits = Vec::new();
    let mut files = Vec::with_capacity(changes.recordings.len());
    for f in &changes.recordings {
        let new = match f.kind {
            ChangeKind::Deleted => None,
            _ => Some(read(&workdir, &f.path)?),
        };
        if let Some(bytes) = &new {
            hits.extend(gate.scan(&f.path, bytes));
        }
        let old = f.head_blob.map(|id| repo.blob(id)).transpose()?;
        files.push(report::analyse(
            &settings,
            &f.path,
            old.as_deref(),
            new.as_deref(),
            Some(origin.to_owned()),
        ));
    }
    gate.refuse(&hits, "commit", "nothing was pushed or staged")?;
    let reviewed = Reviewed::new(files, keep_churn);
    changes
        .recordings
        .retain(|f| !reviewed.left_out.contains(&f.path));
    Ok(reviewed)
}

/// `land`: analyse the files of `incoming`, now in the work tree of `scratch`, against
/// `base` (the destination branch's tip).
pub fn land(
    config: &ReviewConfig,
    keep_churn: bool,
    scratch: &GitRepo,
    base: git2::Oid,
    incoming: &Incoming,
) -> anyhow::Result<Reviewed> {
    let settings = Settings::new(config)?;
    let workdir = scratch.workdir()?;
    let paths: Vec<&str> = incoming
        .files
        .keys()
        .chain(incoming.deleted.keys())
        .map(String::as_str)
        .collect();
    let olds = scratch.files_at(base, &paths)?;
    let origin = single_origin(incoming);
    let mut files = Vec::with_capacity(paths.len());
    for (path, old) in paths.iter().zip(olds) {
        let new = if incoming.files.contains_key(*path) {
            Some(read(&workdir, path)?)
        } else {
            None
        };
        if old == new {
            // Deleting what is not there, or bytes the tip already has: unchanged, not churn
            // (land reports those as unchanged and lands nothing for them).
            continue;
        }
        files.push(report::analyse(
            &settings,
            path,
            old.as_deref(),
            new.as_deref(),
            origin.clone(),
        ));
    }
    Ok(Reviewed::new(files, keep_churn))
}

/// `setup/suite` when every manifest agrees on it.
fn single_origin(incoming: &Incoming) -> Option<String> {
    let pairs: BTreeSet<String> = incoming
        .manifests
        .iter()
        .map(|m| format!("{}/{}", m.setup, m.suite))
        .collect();
    (pairs.len() == 1).then(|| pairs.into_iter().next().unwrap_or_default())
}

/// The report of a checkout's changed recordings against `base` (default HEAD), for
/// `rerecord report`.
pub fn checkout_report(
    repo: &GitRepo,
    config: &crate::config::Config,
    base: Option<&str>,
) -> anyhow::Result<Report> {
    let settings = Settings::new(&config.review)?;
    let workdir = repo.workdir()?;
    let changed = match base {
        None => {
            repo.changed_recordings(&config.recordings, true)?
                .recordings
        }
        Some(rev) => repo.recordings_changed_since(rev, &config.recordings)?,
    };
    let mut files = Vec::with_capacity(changed.len());
    for f in &changed {
        let new = match f.kind {
            ChangeKind::Deleted => None,
            _ => Some(read(&workdir, &f.path)?),
        };
        let old = f.head_blob.map(|id| repo.blob(id)).transpose()?;
        files.push(report::analyse(
            &settings,
            &f.path,
            old.as_deref(),
            new.as_deref(),
            None,
        ));
    }
    Ok(Report::new(files, true))
}

fn read(workdir: &Path, path: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(workdir.join(path)).with_context(|| format!("failed to read {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_over_githubs_limit_is_cut_with_a_note() {
        let settings = Settings::new(&ReviewConfig::default()).unwrap();
        let files = (0..3000)
            .map(|i| {
                let old = format!(r#"{{"test_id":"t.py::test_{i:04}[case]","v":"old {i}"}}"#);
                let new = format!(r#"{{"test_id":"t.py::test_{i:04}[case]","v":"new {i}"}}"#);
                let path = format!("tests/integration/recordings/{i:064}.json");
                report::analyse(
                    &settings,
                    &path,
                    Some(old.as_bytes()),
                    Some(new.as_bytes()),
                    None,
                )
            })
            .collect();
        let reviewed = Reviewed::new(files, false);
        let comment = "<!-- rerecord:land -->\nLanded 3000 recordings.".to_owned();
        let body = reviewed.with_comment(comment.clone());
        assert!(body.chars().count() <= COMMENT_LIMIT, "{}", body.len());
        assert!(body.starts_with(&comment));
        assert!(body.contains("<code>t.py::test_0000[case]</code>"));
        assert!(
            body.trim_end()
                .ends_with("the full report is in the step summary of the landing run._"),
            "{}",
            &body[body.len() - 300..]
        );
        let small = Reviewed::new(Vec::new(), false).with_comment(comment.clone());
        assert_eq!(small, comment);
    }
}
