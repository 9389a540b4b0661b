//! Which recordings changed in the work tree against HEAD, and what else changed nearby.
//!
//! The scan is limited to the globs' literal prefixes (git pathspecs), so its cost follows the
//! recording folders, not the repository. Paths that match a glob are recordings; the other
//! changes found under those prefixes (e.g. `tests/integration/client-typescript/package.json`)
//! are reported as ignored and never leave the job.

use std::path::Path;

use anyhow::Context;
use git2::{Oid, Status, StatusOptions};

use super::GitRepo;
use super::tree::TreeLookup;
use crate::recordings::Globs;

/// How a recording differs from HEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Modified => "modified",
            Self::Deleted => "deleted",
        }
    }
}

/// One changed recording: repo-relative `/`-separated path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChangedFile {
    pub path: String,
    pub kind: ChangeKind,
    /// The blob id at HEAD (`None` for added files).
    pub head_blob: Option<Oid>,
}

/// A change ready to apply to any tip: its blob is already in the object repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedFile {
    pub change: ChangedFile,
    /// `None` for deletions; else the id of the file's content as a blob, which is stored only
    /// once git's clean for the tip keeps that content (see `tip::clean_for_tip`).
    pub blob: Option<Oid>,
}

/// The result of a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Recordings to carry, sorted by path.
    pub recordings: Vec<ChangedFile>,
    /// Deleted recordings left out because deletions were not asked for.
    pub skipped_deletions: Vec<String>,
    /// Other changed paths under the scanned prefixes, sorted.
    pub ignored: Vec<String>,
}

/// Status of the work tree under the recordings' literal prefixes: untracked files listed one
/// by one, no ignored files, no submodules, no rename detection.
fn status_options(globs: &Globs) -> StatusOptions {
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true)
        .renames_head_to_index(false)
        .renames_index_to_workdir(false);
    for prefix in globs.literal_prefixes() {
        opts.pathspec(prefix);
    }
    opts
}

/// Refuses symlinks and non-regular files at or under a recording path.
fn refuse_links(mut refused: Vec<String>) -> anyhow::Result<()> {
    if !refused.is_empty() {
        refused.sort();
        refused.dedup();
        anyhow::bail!(
            "refusing to commit: {} is a symlink or not a regular file at or under a recording path \
             (recordings must be plain files inside the recording folders); nothing was pushed or staged. \
             Replace the link with the file it points to, or remove it",
            refused.join(", ")
        );
    }
    Ok(())
}

impl GitRepo {
    /// Changed recordings (modified and untracked new files; deletions when `include_deletions`)
    /// against HEAD, refusing symlinks at or under a recording path.
    pub fn changed_recordings(
        &self,
        globs: &Globs,
        include_deletions: bool,
    ) -> anyhow::Result<Changes> {
        let repo = self.raw();
        let workdir = self.workdir()?;
        let head_tree = match repo.head() {
            Ok(h) => Some(h.peel_to_tree().context("failed to read HEAD's tree")?),
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch => None,
            Err(e) => return Err(e).context("failed to read HEAD"),
        };

        let statuses = repo
            .statuses(Some(&mut status_options(globs)))
            .context("failed to read the work tree's status")?;

        // HEAD's .gitattributes: an LFS path holds the content HEAD's pointer names.
        let mut attributes = head_tree
            .clone()
            .map(|t| super::attributes::Attributes::new(repo, t));
        let mut head_lookup = head_tree.map(|t| TreeLookup::new(repo, t));
        let mut changes = Changes::default();
        let mut refused = Vec::new();
        for entry in statuses.iter() {
            let status = entry.status();
            if status.is_empty() || status.contains(Status::IGNORED) {
                continue;
            }
            let Ok(path) = entry.path().map(str::to_owned) else {
                anyhow::bail!(
                    "a changed file's path is not valid UTF-8; rename it and run rerecord again"
                );
            };
            if !globs.matches(&path) {
                if path_has_symlink_into_recordings(&workdir, &path, globs) {
                    refused.push(path.clone());
                }
                changes.ignored.push(path);
                continue;
            }
            if let Some(link) = symlink_on_path(&workdir, &path) {
                refused.push(link);
                continue;
            }
            let head_blob = head_lookup.as_mut().and_then(|l| l.entry_id(&path));
            let on_disk = workdir.join(&path).symlink_metadata().ok();
            let kind = match (head_blob, &on_disk) {
                (None, None) => continue, // added to the index, then removed: nothing to carry
                (None, Some(_)) => ChangeKind::Added,
                (Some(_), Some(_)) => ChangeKind::Modified,
                (Some(_), None) => ChangeKind::Deleted,
            };
            if let Some(meta) = &on_disk
                && !meta.file_type().is_file()
            {
                refused.push(path);
                continue;
            }
            if kind == ChangeKind::Modified
                && let Some(attributes) = attributes.as_mut()
                && attributes.pointer_id(&path, &workdir.join(&path))? == head_blob
            {
                continue;
            }
            if kind == ChangeKind::Deleted && !include_deletions {
                changes.skipped_deletions.push(path);
                continue;
            }
            changes.recordings.push(ChangedFile {
                path,
                kind,
                head_blob,
            });
        }
        refuse_links(refused)?;
        changes.recordings.sort();
        changes.ignored.sort();
        changes.skipped_deletions.sort();
        Ok(changes)
    }
}

/// The first component of `path` (from the repository root down) that is a symlink.
fn symlink_on_path(workdir: &Path, path: &str) -> Option<String> {
    let mut at = workdir.to_path_buf();
    let mut shown = String::new();
    for seg in path.split('/') {
        at.push(seg);
        if !shown.is_empty() {
            shown.push('/');
        }
        shown.push_str(seg);
        match at.symlink_metadata() {
            Ok(m) if m.file_type().is_symlink() => return Some(shown),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// A symlink to a directory reported as one changed entry (git does not descend into it) whose path is a
/// prefix of a recording glob, e.g. `tests/integration/agents` -> elsewhere: recordings would
/// resolve outside the globs. Symlinks elsewhere (`node_modules/.bin/x`) are simply ignored.
fn path_has_symlink_into_recordings(workdir: &Path, path: &str, globs: &Globs) -> bool {
    let full = workdir.join(path);
    globs.may_contain(path)
        && full
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        && std::fs::metadata(&full).is_ok_and(|m| m.is_dir())
}
