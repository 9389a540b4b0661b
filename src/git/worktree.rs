//! The checkout's work tree for `rerecord fetch`: which incoming paths clash with HEAD, which
//! would lose local work, and a commit of exactly the applied files (see `artifact::apply`).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::Context;
use git2::{Oid, Repository};

use super::GitRepo;
use super::tree::TreeLookup;

impl GitRepo {
    /// The repository's `.git` directory (scratch space on the work tree's filesystem).
    pub fn git_dir(&self) -> &Path {
        self.repo.path()
    }

    /// Why `paths` cannot be written or removed as files on HEAD's tree (see
    /// [`super::tip::tree_conflicts`]); none on an unborn branch.
    pub fn head_conflicts<'p>(
        &self,
        paths: impl IntoIterator<Item = &'p str>,
    ) -> anyhow::Result<Vec<String>> {
        let repo = &self.repo;
        let tree = match repo.head() {
            Ok(head) => head.peel_to_tree().context("failed to read HEAD's tree")?,
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch => return Ok(Vec::new()),
            Err(e) => return Err(e).context("failed to read HEAD"),
        };
        Ok(super::tip::tree_conflicts(repo, &tree, paths))
    }

    /// The local state of each path that would be replaced or removed, judged against the index
    /// and HEAD one path at a time: the cost follows the incoming files, never the checkout (a
    /// status scan walks every file under the paths' common folder).
    pub fn local_changes<'a>(
        &self,
        paths: impl Iterator<Item = &'a str>,
    ) -> anyhow::Result<BTreeMap<String, &'static str>> {
        let repo = &self.repo;
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
        let mut attributes = super::attributes::Attributes::new(repo, base);
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
                        let current = super::hash_blob_file(&on_disk)
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

    /// Commit exactly `writes` (as the work tree has them) and `deletes` on top of HEAD (the
    /// index's other entries are not committed; the committed paths' index entries are updated
    /// to match).
    pub fn commit_paths(
        &self,
        writes: &[&str],
        deletes: &[&str],
        message: &str,
    ) -> anyhow::Result<Oid> {
        let repo = &self.repo;
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
        let mut attributes = super::attributes::Attributes::new(repo, base.clone());
        let mut pointers = Vec::new();
        for path in writes {
            let full = workdir.join(path);
            let cleaned = attributes.clean_file(path, &full, None)?;
            if let Some(object) = &cleaned.lfs {
                super::lfs::store_local(repo.commondir(), object)?;
                pointers.push((*path, cleaned.blob));
            }
            update.upsert(*path, cleaned.blob, file_mode(&full));
        }
        for path in deletes {
            update.remove(*path);
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
        stage_committed(repo, writes, &pointers, deletes)?;
        Ok(oid)
    }

    /// Whether git has an identity to commit with (checked before anything is applied when
    /// `--commit` is given).
    pub fn check_identity(&self) -> anyhow::Result<()> {
        signature(&self.repo).map(drop)
    }
}

/// The committer identity.
/// The index entries of the committed paths updated to match the commit: the index names the
/// pointer for LFS paths, as git-lfs's clean makes git stage it.
fn stage_committed(
    repo: &Repository,
    writes: &[&str],
    pointers: &[(&str, Oid)],
    deletes: &[&str],
) -> anyhow::Result<()> {
    let mut index = repo.index().context("failed to open the git index")?;
    for path in writes {
        index
            .add_path(Path::new(path))
            .with_context(|| format!("failed to stage {path}"))?;
    }
    for (path, pointer) in pointers {
        if let Some(mut entry) = index.get_path(Path::new(path), 0) {
            entry.id = *pointer;
            index
                .add(&entry)
                .with_context(|| format!("failed to stage {path}"))?;
        }
    }
    for path in deletes {
        index
            .remove_path(Path::new(path))
            .with_context(|| format!("failed to unstage {path}"))?;
    }
    index.write().context("failed to write the git index")
}

fn signature(repo: &Repository) -> anyhow::Result<git2::Signature<'static>> {
    repo.signature().context(
        "git has no identity to commit with: set user.name and user.email (git config), or drop --commit",
    )
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
