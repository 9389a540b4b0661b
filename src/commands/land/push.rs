//! The git half of `land`, run only after every artifact was verified: a scratch repository
//! whose work tree holds just the verified recordings, the target branch's tip fetched as
//! objects (never its history), one commit on that tip, pushed with retry.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::resolve::LandRefusal;
use crate::artifact::verify::Incoming;
use crate::git::GitRepo;
use crate::git::land::OnTip;
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
    pub fn fetch(
        &self,
        dest: &Destination<'_>,
        branch: &str,
    ) -> anyhow::Result<Option<crate::git::Oid>> {
        self.git.fetch_branch(REMOTE, branch, dest.token)
    }

    /// Refuse when an incoming path is a directory or submodule on `tip` (or needs a directory
    /// where `tip` has a file): a manifest "deleting" `tests/.../recordings` must not remove the
    /// folder.
    pub fn check_tip(&self, tip: crate::git::Oid, branch: &str) -> anyhow::Result<()> {
        let conflicts = self
            .git
            .tree_conflicts_at(tip, self.files.iter().map(|f| f.path.as_str()))?;
        if conflicts.is_empty() {
            return Ok(());
        }
        Err(LandRefusal(format!(
            "the artifacts' paths clash with {branch}: {}. Only files are recordings, each with one spelling",
            conflicts.join("; ")
        ))
        .into())
    }

    /// Each file as the commit on `tip` changes it: `added`, `updated`, `deleted` or `unchanged`
    /// (the tip already had those bytes, or lacks a file to delete).
    pub fn statuses(&self, tip: crate::git::Oid) -> anyhow::Result<Vec<(String, &'static str)>> {
        let workdir = self.git.workdir()?;
        let files: Vec<_> = self
            .files
            .iter()
            .map(|f| {
                let file = (f.kind != ChangeKind::Deleted).then(|| workdir.join(&f.path));
                (f.path.clone(), file)
            })
            .collect();
        // As the tip stores them: an LFS pointer where it tracks the path with Git LFS.
        let wanted = self
            .git
            .blob_ids_on_tip(tip, &files)
            .context("failed to read the scratch work tree")?;
        let on_tip = self.git.on_tip(tip, &wanted)?;
        Ok(self
            .files
            .iter()
            .zip(on_tip)
            .map(|(f, t)| {
                let status = match (f.kind, t) {
                    (ChangeKind::Deleted, OnTip::Absent) => "unchanged",
                    (ChangeKind::Deleted, _) => "deleted",
                    (_, OnTip::Absent) => "added",
                    (_, OnTip::Same) => "unchanged",
                    (_, OnTip::Different) => "updated",
                };
                (f.path.clone(), status)
            })
            .collect())
    }

    /// Commit on the tip of the destination branch (created from `base` first, in branch mode)
    /// and push with retry; `check_tip` judges every tip fetched, right before the push.
    pub fn land(
        &self,
        dest: &Destination<'_>,
        base_tip: crate::git::Oid,
        message: &str,
        globs: &Globs,
        max_attempts: u32,
        check_tip: &dyn Fn(crate::git::Oid) -> anyhow::Result<()>,
    ) -> anyhow::Result<Landed> {
        if dest.base.is_some() && self.fetch(dest, dest.branch)?.is_none() {
            self.git
                .create_remote_branch(REMOTE, dest.branch, base_tip, dest.token)?;
        }
        // A fixed identity: nothing in the environment or a git config decides who commits.
        let identity = Identity::bot();
        let req = PushRequest {
            remote: REMOTE,
            branch: dest.branch,
            files: &self.files,
            identity: &identity,
            message,
            token: dest.token,
            url: None,
            token_name: dest.token_name,
            max_attempts,
            // Whether the tip moved on from the recorded commit is asked of the API: the
            // recorded commit is not fetched.
            recorded_head: None,
            globs,
            check_tip: Some(check_tip),
        };
        self.git.commit_on_tip(&req, &mut std::thread::sleep)
    }
}
