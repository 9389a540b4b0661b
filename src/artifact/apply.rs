//! Putting verified recordings into the work tree: compare with what is there, refuse to clobber
//! local work, then move staged files into place all-or-nothing, and optionally commit exactly
//! those files.
//!
//! Atomicity is a journal of renames within one filesystem (staging lives under `.git/`): if any
//! step fails, every step already taken is undone in reverse, so the work tree is either fully
//! updated or unchanged.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use git2::Repository;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::verify::Incoming;
use crate::git::tip::TreeLookup;

/// What happens to one file, relative to the work tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Updated,
    Unchanged,
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileChange {
    pub path: String,
    pub status: Change,
    /// The artifact the file (or its deletion) came from.
    pub artifact: String,
}

/// Files whose local state would be lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalConflicts(pub Vec<(String, &'static str)>);

impl fmt::Display for LocalConflicts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} file(s) in your checkout have local changes that differ from the artifacts:",
            self.0.len()
        )?;
        for (path, state) in &self.0 {
            write!(f, "\n  {path} ({state})")?;
        }
        f.write_str("\ncommit or stash them, or pass --force to overwrite them")
    }
}

impl std::error::Error for LocalConflicts {}

/// What `apply` will do.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Every incoming path (and every deletion that applies), sorted by path.
    pub files: Vec<FileChange>,
    writes: Vec<(String, Option<PathBuf>)>,
    deletes: Vec<String>,
}

impl Plan {
    pub fn count(&self, change: Change) -> usize {
        self.files.iter().filter(|f| f.status == change).count()
    }

    /// Whether applying changes anything.
    pub fn is_noop(&self) -> bool {
        self.writes.is_empty() && self.deletes.is_empty()
    }
}

enum OnDisk {
    Absent,
    File,
}

/// Compare `incoming` with the work tree of `repo`. Local changes that would be lost are a
/// [`LocalConflicts`] error unless `force`; symlinks or directories in the way always refuse.
pub fn plan(repo: &Repository, incoming: &Incoming, force: bool) -> anyhow::Result<Plan> {
    let workdir = repo
        .workdir()
        .context("this is a bare repository; rerecord needs a work tree")?;
    let mut changes: BTreeMap<String, Change> = BTreeMap::new();
    // Paths whose local content would be replaced or removed: only these need a git status.
    let mut touched: Vec<String> = Vec::new();
    for (path, file) in &incoming.files {
        let target = safe_target(workdir, path)?;
        let change = match on_disk(&target, path)? {
            OnDisk::Absent => Change::Added,
            OnDisk::File if same_content(&target, file.size, &file.sha256)? => Change::Unchanged,
            OnDisk::File => Change::Updated,
        };
        if change != Change::Unchanged {
            touched.push(path.clone());
        }
        changes.insert(path.clone(), change);
    }
    for path in incoming.deleted.keys() {
        let target = safe_target(workdir, path)?;
        if let OnDisk::File = on_disk(&target, path)? {
            touched.push(path.clone());
            changes.insert(path.clone(), Change::Deleted);
        }
    }
    head_conflicts(repo, incoming)?;
    let dirty = local_changes(repo, touched.iter().map(String::as_str))?;
    let conflicts: Vec<(String, &'static str)> = touched
        .iter()
        .filter_map(|p| dirty.get(p).map(|state| (p.clone(), *state)))
        .collect();
    if !conflicts.is_empty() && !force {
        return Err(LocalConflicts(conflicts).into());
    }
    let mut plan = Plan::default();
    for (path, change) in changes {
        match change {
            Change::Added | Change::Updated => {
                plan.writes
                    .push((path.clone(), incoming.files[&path].staged.clone()));
            }
            Change::Deleted => plan.deletes.push(path.clone()),
            Change::Unchanged => {}
        }
        let artifact = match change {
            Change::Deleted => incoming.deleted[&path].clone(),
            _ => incoming.files[&path].artifact.clone(),
        };
        plan.files.push(FileChange {
            path,
            status: change,
            artifact,
        });
    }
    Ok(plan)
}

/// Refuse incoming paths that HEAD has as a directory or submodule (or that need a directory
/// where HEAD has a file), whatever the work tree shows: an uninitialised submodule is no
/// directory on disk, but a file must still never replace it.
fn head_conflicts(repo: &Repository, incoming: &Incoming) -> anyhow::Result<()> {
    let tree = match repo.head() {
        Ok(head) => head.peel_to_tree().context("failed to read HEAD's tree")?,
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch => return Ok(()),
        Err(e) => return Err(e).context("failed to read HEAD"),
    };
    let paths = incoming
        .files
        .keys()
        .chain(incoming.deleted.keys())
        .map(String::as_str);
    let conflicts = crate::git::tip::tree_conflicts(repo, &tree, paths);
    anyhow::ensure!(
        conflicts.is_empty(),
        "the artifacts' paths clash with HEAD: {}. Only files are recordings, each with one spelling",
        conflicts.join("; ")
    );
    Ok(())
}

/// The absolute target of a repo-relative path, refusing to go through a symlink or a file.
fn safe_target(workdir: &Path, path: &str) -> anyhow::Result<PathBuf> {
    let mut at = workdir.to_path_buf();
    let segments: Vec<&str> = path.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        at.push(segment);
        if i + 1 == segments.len() {
            break;
        }
        match fs::symlink_metadata(&at) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                at.extend(&segments[i + 1..]);
                return Ok(at);
            }
            Err(e) => return Err(e).with_context(|| format!("failed to inspect {}", at.display())),
            Ok(m) if m.file_type().is_symlink() => anyhow::bail!(
                "{} is a symbolic link in your checkout; rerecord does not write through symlinks (needed for {path})",
                segments[..=i].join("/")
            ),
            Ok(m) if !m.is_dir() => anyhow::bail!(
                "{} is a file in your checkout, but the artifacts put {path} inside it",
                segments[..=i].join("/")
            ),
            Ok(_) => {}
        }
    }
    Ok(at)
}

fn on_disk(target: &Path, path: &str) -> anyhow::Result<OnDisk> {
    match fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(OnDisk::Absent),
        Err(e) => Err(e).with_context(|| format!("failed to inspect {path}")),
        Ok(m) if m.file_type().is_symlink() => {
            anyhow::bail!(
                "{path} is a symbolic link in your checkout; remove it and run rerecord fetch again"
            )
        }
        Ok(m) if m.is_dir() => anyhow::bail!(
            "{path} is a directory in your checkout, but the artifacts hold a file there"
        ),
        Ok(_) => Ok(OnDisk::File),
    }
}

fn same_content(target: &Path, size: u64, sha256: &str) -> anyhow::Result<bool> {
    let meta =
        fs::metadata(target).with_context(|| format!("failed to read {}", target.display()))?;
    if meta.len() != size {
        return Ok(false);
    }
    let mut file =
        fs::File::open(target).with_context(|| format!("failed to read {}", target.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .with_context(|| format!("failed to read {}", target.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(super::manifest::hex(&hasher.finalize()) == sha256)
}

/// Whether the index's stat data still describes the file, as git judges it: same size, same
/// modification time, and not "racily clean" (modified in the same instant the index was
/// written, when equal times prove nothing). Then the file needs no hashing.
fn stat_matches(
    entry: &git2::IndexEntry,
    file: &Path,
    index_mtime: Option<std::time::SystemTime>,
) -> bool {
    let Ok(meta) = fs::symlink_metadata(file) else {
        return false;
    };
    let Ok(modified) = meta.modified() else {
        return false;
    };
    let Ok(since_epoch) = modified.duration_since(std::time::UNIX_EPOCH) else {
        return false;
    };
    let same_time = i64::from(entry.mtime.seconds()) == since_epoch.as_secs() as i64
        && entry.mtime.nanoseconds() == since_epoch.subsec_nanos();
    let racy = index_mtime.is_none_or(|written| modified >= written);
    meta.is_file() && u64::from(entry.file_size) == meta.len() && same_time && !racy
}

/// The local state of each path that would be replaced or removed, judged against the index
/// and HEAD one path at a time: the cost follows the incoming files, never the checkout (a
/// status scan walks every file under the paths' common folder).
fn local_changes<'a>(
    repo: &Repository,
    paths: impl Iterator<Item = &'a str>,
) -> anyhow::Result<BTreeMap<String, &'static str>> {
    let workdir = repo
        .workdir()
        .context("this is a bare repository; rerecord needs a work tree")?;
    let index = repo.index().context("failed to read the git index")?;
    let head = match repo.head() {
        Ok(head) => Some(head.peel_to_tree().context("failed to read HEAD's tree")?),
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch => None,
        Err(e) => return Err(e).context("failed to read HEAD"),
    };
    let mut head_tree = head.clone().map(|tree| TreeLookup::new(repo, tree));
    let base = match head {
        Some(tree) => tree,
        None => repo.find_tree(repo.treebuilder(None)?.write()?)?,
    };
    // HEAD's .gitattributes say which paths hold LFS content over a pointer.
    let mut attributes = crate::git::attributes::Attributes::new(repo, base);
    let index_mtime = fs::metadata(repo.path().join("index"))
        .and_then(|m| m.modified())
        .ok();
    let mut out = BTreeMap::new();
    for path in paths {
        let in_head = head_tree.as_mut().and_then(|t| t.entry_id(path));
        let in_index = index.get_path(Path::new(path), 0).map(|entry| entry.id);
        let on_disk = workdir.join(path);
        let exists = fs::symlink_metadata(&on_disk).is_ok();
        let state = match (in_head, in_index) {
            (None, None) => exists.then_some("untracked"),
            (None, Some(_)) => Some("staged, not committed"),
            (Some(_), None) => Some("deleted locally"),
            (Some(_), Some(_)) if !exists => Some("deleted locally"),
            (Some(head), Some(staged)) if head != staged => Some("modified"),
            (Some(head), Some(_)) => {
                let entry = index.get_path(Path::new(path), 0).expect("looked up above");
                if stat_matches(&entry, &on_disk, index_mtime) {
                    None
                } else {
                    let current = crate::git::hash_blob_file(&on_disk)
                        .with_context(|| format!("failed to read {path}"))?;
                    // An LFS path holds the content, HEAD its pointer.
                    let changed =
                        current != head && attributes.pointer_id(path, &on_disk)? != Some(head);
                    changed.then_some("modified")
                }
            }
        };
        if let Some(state) = state {
            out.insert(path.to_owned(), state);
        }
    }
    Ok(out)
}

enum Undo {
    RemoveDir(PathBuf),
    Restore { backup: PathBuf, target: PathBuf },
    RemoveFile(PathBuf),
}

/// Move staged files into the work tree and remove deleted ones, all or nothing. `scratch` is a
/// directory on the same filesystem (under `.git/`) that keeps replaced files until the end.
pub fn apply(workdir: &Path, plan: &Plan, scratch: &Path) -> anyhow::Result<()> {
    let mut journal = Vec::new();
    match apply_journaled(workdir, plan, scratch, &mut journal) {
        Ok(()) => Ok(()),
        Err(err) => {
            let leftovers = rollback(journal);
            if leftovers.is_empty() {
                Err(err.context(
                    "applying the recordings failed; the work tree was restored as it was",
                ))
            } else {
                Err(err.context(format!(
                    "applying the recordings failed and these could not be restored: {}",
                    leftovers.join(", ")
                )))
            }
        }
    }
}

fn apply_journaled(
    workdir: &Path,
    plan: &Plan,
    scratch: &Path,
    journal: &mut Vec<Undo>,
) -> anyhow::Result<()> {
    let mut backups = 0usize;
    let mut backup = |journal: &mut Vec<Undo>, target: &Path| -> anyhow::Result<()> {
        backups += 1;
        let saved = scratch.join(format!("replaced-{backups:06}"));
        fs::rename(target, &saved)
            .with_context(|| format!("failed to move {} aside", target.display()))?;
        journal.push(Undo::Restore {
            backup: saved,
            target: target.to_path_buf(),
        });
        Ok(())
    };
    for (path, staged) in &plan.writes {
        let staged = staged
            .as_deref()
            .with_context(|| format!("{path} was not staged (dry run?)"))?;
        let target = workdir.join(path);
        let parent = target
            .parent()
            .context("a recording path has no parent directory")?;
        let mut missing = Vec::new();
        let mut dir = parent;
        while !dir.exists() {
            missing.push(dir.to_path_buf());
            dir = dir.parent().context("no existing ancestor directory")?;
        }
        for dir in missing.into_iter().rev() {
            fs::create_dir(&dir).with_context(|| format!("failed to create {}", dir.display()))?;
            journal.push(Undo::RemoveDir(dir));
        }
        if let Ok(meta) = fs::symlink_metadata(&target) {
            // Keep the file's mode (an executable bit git tracks), as an in-place edit would.
            fs::set_permissions(staged, meta.permissions())
                .with_context(|| format!("failed to set the permissions of {path}"))?;
            backup(journal, &target)?;
        }
        fs::rename(staged, &target).with_context(|| format!("failed to move {path} into place"))?;
        journal.push(Undo::RemoveFile(target));
    }
    for path in &plan.deletes {
        backup(journal, &workdir.join(path))?;
    }
    Ok(())
}

fn rollback(journal: Vec<Undo>) -> Vec<String> {
    let mut leftovers = Vec::new();
    for step in journal.into_iter().rev() {
        let (result, what) = match step {
            Undo::RemoveFile(p) => (fs::remove_file(&p), p),
            Undo::Restore { backup, target } => (fs::rename(&backup, &target), target),
            Undo::RemoveDir(p) => (fs::remove_dir(&p), p),
        };
        if result.is_err() {
            leftovers.push(what.display().to_string());
        }
    }
    leftovers
}

/// Commit exactly the planned files on top of HEAD (the index's other entries are not
/// committed; the committed paths' index entries are updated to match). `None` when the plan
/// changes nothing.
pub fn commit(repo: &Repository, plan: &Plan, message: &str) -> anyhow::Result<Option<git2::Oid>> {
    if plan.is_noop() {
        return Ok(None);
    }
    let signature = signature(repo)?;
    let workdir = repo
        .workdir()
        .context("this is a bare repository; rerecord needs a work tree")?;
    let parent = match repo.head() {
        Ok(head) => Some(
            head.peel_to_commit()
                .context("HEAD does not point at a commit")?,
        ),
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch => None,
        Err(e) => return Err(e).context("failed to read HEAD"),
    };
    let base = match &parent {
        Some(c) => c.tree()?,
        None => repo.find_tree(repo.treebuilder(None)?.write()?)?,
    };
    let mut update = git2::build::TreeUpdateBuilder::new();
    // Stored as git's clean would, by HEAD's .gitattributes (CRLF normalised; LFS pointers,
    // their objects in .git/lfs/objects for git-lfs's pre-push hook to upload).
    let mut attributes = crate::git::attributes::Attributes::new(repo, base.clone());
    let mut pointers = Vec::new();
    for (path, _) in &plan.writes {
        let full = workdir.join(path);
        let cleaned = attributes.clean_file(path, &full, None)?;
        if let Some(object) = &cleaned.lfs {
            crate::git::lfs::store_local(repo.commondir(), object)?;
            pointers.push((path, cleaned.blob));
        }
        update.upsert(path.as_str(), cleaned.blob, file_mode(&full));
    }
    for path in &plan.deletes {
        update.remove(path.as_str());
    }
    let tree = repo.find_tree(
        update
            .create_updated(repo, &base)
            .context("failed to build the commit's tree")?,
    )?;
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let oid = repo
        .commit(
            Some("HEAD"),
            &signature,
            &signature,
            message,
            &tree,
            &parents,
        )
        .context("failed to create the commit")?;
    let mut index = repo.index().context("failed to open the git index")?;
    for (path, _) in &plan.writes {
        index
            .add_path(Path::new(path))
            .with_context(|| format!("failed to stage {path}"))?;
    }
    // The index names the pointer for LFS paths, as git-lfs's clean makes git stage it.
    for (path, pointer) in pointers {
        if let Some(mut entry) = index.get_path(Path::new(path), 0) {
            entry.id = pointer;
            index
                .add(&entry)
                .with_context(|| format!("failed to stage {path}"))?;
        }
    }
    for path in &plan.deletes {
        index
            .remove_path(Path::new(path))
            .with_context(|| format!("failed to unstage {path}"))?;
    }
    index.write().context("failed to write the git index")?;
    Ok(Some(oid))
}

/// The committer identity, checked before anything is applied when `--commit` is given.
pub fn signature(repo: &Repository) -> anyhow::Result<git2::Signature<'static>> {
    repo.signature().context(
        "git has no identity to commit with: set user.name and user.email (git config), or drop --commit",
    )
}

fn file_mode(path: &Path) -> git2::FileMode {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0) {
            return git2::FileMode::BlobExecutable;
        }
    }
    let _ = path;
    git2::FileMode::Blob
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
