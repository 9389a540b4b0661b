//! The git half of `land`, run only after every artifact was verified: a scratch repository
//! whose work tree holds just the verified recordings, the target branch fetched as objects, the
//! PR head checked against the recorded commit, then one commit on the tip, pushed with retry.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::resolve::Refused;
use crate::artifact::verify::Incoming;
use crate::git::GitRepo;
use crate::git::land::Descent;
use crate::git::push::{Landed, PushRequest};
use crate::git::status::{ChangeKind, ChangedFile};
use crate::git::tip::Identity;
use crate::recordings::Globs;
use crate::token::Token;

pub const REMOTE: &str = "target";

/// Where and how to push.
pub struct Destination<'a> {
    pub url: String,
    /// The branch the recordings go on; in branch mode it is created from `base`.
    pub branch: &'a str,
    pub base: Option<&'a str>,
    pub token: Option<&'a Token>,
    pub token_name: &'a str,
}

/// What the git half did.
pub struct Pushed {
    pub landed: Landed,
    pub warnings: Vec<String>,
}

/// A scratch repository in `dir` with the verified files in its work tree.
pub struct Scratch {
    git: GitRepo,
    files: Vec<ChangedFile>,
}

impl Scratch {
    pub fn new(dir: &Path, url: &str, incoming: &Incoming) -> anyhow::Result<Self> {
        let git = GitRepo::init_scratch(dir, &[(REMOTE, url)])?;
        let mut files = Vec::new();
        for (path, file) in &incoming.files {
            let staged = file
                .staged
                .as_ref()
                .with_context(|| format!("{path} was verified but not staged"))?;
            let dest: PathBuf = dir.join(path);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("failed to create {}", parent.display()))?;
            }
            std::fs::rename(staged, &dest)
                .or_else(|_| std::fs::copy(staged, &dest).map(|_| ()))
                .with_context(|| format!("failed to place {path} in the scratch work tree"))?;
            files.push(ChangedFile {
                path: path.clone(),
                kind: ChangeKind::Added,
                head_blob: None,
            });
        }
        for path in incoming.deleted.keys() {
            files.push(ChangedFile {
                path: path.clone(),
                kind: ChangeKind::Deleted,
                head_blob: None,
            });
        }
        Ok(Self { git, files })
    }

    /// The scratch repository (its work tree holds the verified files).
    pub fn repo(&self) -> &GitRepo {
        &self.git
    }

    /// Carry only the files whose path `keep` accepts (the review leaves churn out).
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.files.retain(|f| keep(&f.path));
    }

    /// Fetch `branch` of the destination; `None` when it does not exist.
    pub fn fetch(&self, dest: &Destination<'_>, branch: &str) -> anyhow::Result<Option<git2::Oid>> {
        self.git.fetch_branch(REMOTE, branch, dest.token)
    }

    /// Refuse unless `pr_head` is the recorded commit or follows it through recording commits only.
    pub fn check_pr_head(
        &self,
        pr_head: &str,
        recorded: &str,
        globs: &Globs,
    ) -> Result<Option<String>, Refused> {
        let (p, r) = (short(pr_head), short(recorded));
        match self.git.descent(pr_head, recorded, globs) {
            Descent::Same => Ok(None),
            Descent::RecordingsOnly => Ok(Some(format!(
                "the PR head {p} is ahead of the recorded commit {r} by recording commits only"
            ))),
            Descent::OtherChanges { commit, path } => Err(Refused(format!(
                "the PR moved on since the run: its head {p} is not the recorded commit {r}, and commit {} \
                 changes {path}, which is not a recording. Re-run the recording workflow for the new head",
                short(&commit)
            ))),
            Descent::Unrelated => Err(Refused(format!(
                "the PR head {p} does not descend from the commit the run recorded ({r}): the branch was \
                 rewritten, or the run is not this PR's. Re-run the recording workflow"
            ))),
            Descent::Unknown => Err(Refused(format!(
                "the PR head {p} differs from the recorded commit {r} and their history could not be read \
                 from the head branch; re-run the recording workflow"
            ))),
        }
    }

    /// Commit on the tip of the destination branch (created from `base` first, in branch mode)
    /// and push with retry.
    pub fn land(
        &self,
        dest: &Destination<'_>,
        base_tip: git2::Oid,
        recorded: &str,
        message: &str,
        globs: &Globs,
        max_attempts: u32,
    ) -> anyhow::Result<Pushed> {
        let mut warnings = Vec::new();
        if dest.base.is_some() && self.fetch(dest, dest.branch)?.is_none() {
            self.git
                .create_remote_branch(REMOTE, dest.branch, base_tip, dest.token)?;
        }
        let identity = Identity::resolve(self.git.raw(), |k| std::env::var(k).ok());
        let req = PushRequest {
            remote: REMOTE,
            branch: dest.branch,
            files: &self.files,
            identity: &identity,
            message,
            token: dest.token,
            token_name: dest.token_name,
            max_attempts,
            recorded_head: git2::Oid::from_str(recorded).ok(),
            globs,
        };
        let landed = self.git.commit_on_tip(&req, &mut std::thread::sleep)?;
        if self.git.raw().find_commit(landed.tip).is_err() {
            // A local remote gets the objects directly; look at its history from here too.
            let _ = self.fetch(dest, dest.branch);
        }
        let tip = landed.tip.to_string();
        if !self.git.contains(&tip, recorded) {
            warnings.push(format!(
                "the tip of {} ({}) no longer contains the commit the recordings were made for ({}): \
                 the branch was rewritten after the run. The recordings were landed anyway; re-run the \
                 recording workflow if the tests changed",
                dest.branch,
                short(&tip),
                short(recorded)
            ));
        } else if let Some(path) = &landed.stale_because {
            warnings.push(format!(
                "{path} (not a recording) changed on {} since the recorded commit {}: the recordings \
                 may be stale. Re-run the recording workflow if that change affects the tests",
                dest.branch,
                short(recorded)
            ));
        }
        Ok(Pushed { landed, warnings })
    }
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
