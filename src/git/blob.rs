//! Reading old versions of recordings for the review: blobs by id, files at a commit, and the
//! recordings that differ between a revision and the work tree.

use anyhow::Context;
use git2::{Delta, DiffOptions, Oid};

use super::GitRepo;
use super::status::{ChangeKind, ChangedFile};
use super::tree::TreeLookup;
use crate::recordings::Globs;

impl GitRepo {
    /// The content of blob `id`; for a Git LFS pointer whose object is in this repository's
    /// LFS store (`.git/lfs/objects`, where a checkout with git-lfs keeps it), that content.
    pub fn blob(&self, id: Oid) -> anyhow::Result<Vec<u8>> {
        let blob = self
            .raw()
            .find_blob(id)
            .with_context(|| format!("failed to read blob {id}"))?;
        if let Some(object) = super::lfs::Object::from_pointer(blob.content()) {
            let stored = super::lfs::object_path(self.raw().commondir(), &object.oid);
            if std::fs::metadata(&stored).is_ok_and(|m| m.is_file() && m.len() == object.size) {
                return std::fs::read(&stored)
                    .with_context(|| format!("failed to read {}", stored.display()));
            }
        }
        Ok(blob.content().to_vec())
    }

    /// The contents of `paths` in `commit` (`None` where a path is absent or not a file).
    pub fn files_at(&self, commit: Oid, paths: &[&str]) -> anyhow::Result<Vec<Option<Vec<u8>>>> {
        let tree = self
            .raw()
            .find_commit(commit)
            .and_then(|c| c.tree())
            .with_context(|| format!("failed to read the tree of {commit}"))?;
        let mut lookup = TreeLookup::new(self.raw(), tree);
        paths
            .iter()
            .map(|p| {
                lookup
                    .entry_id(p)
                    .and_then(|id| self.raw().find_blob(id).ok())
            })
            .map(|b| Ok(b.map(|b| b.content().to_vec())))
            .collect()
    }

    /// Recordings that differ between `rev` and the work tree (untracked files included),
    /// sorted by path; `head_blob` is the blob at `rev`.
    pub fn recordings_changed_since(
        &self,
        rev: &str,
        globs: &Globs,
    ) -> anyhow::Result<Vec<ChangedFile>> {
        let repo = self.raw();
        let tree = repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_tree())
            .with_context(|| format!("{rev:?} is not a commit here; pass a branch, tag or sha"))?;
        let mut opts = DiffOptions::new();
        opts.include_untracked(true).recurse_untracked_dirs(true);
        for prefix in globs.literal_prefixes() {
            opts.pathspec(prefix);
        }
        let diff = repo
            .diff_tree_to_workdir_with_index(Some(&tree), Some(&mut opts))
            .context("failed to compare the work tree with the base")?;
        let mut out = Vec::new();
        for delta in diff.deltas() {
            let file = match delta.status() {
                Delta::Deleted => delta.old_file(),
                _ => delta.new_file(),
            };
            let Some(path) = file.path().and_then(|p| p.to_str()).map(str::to_owned) else {
                continue;
            };
            if !globs.matches(&path) {
                continue;
            }
            let (kind, head_blob) = match delta.status() {
                Delta::Added | Delta::Untracked => (ChangeKind::Added, None),
                Delta::Deleted => (ChangeKind::Deleted, Some(delta.old_file().id())),
                Delta::Modified | Delta::Typechange => {
                    (ChangeKind::Modified, Some(delta.old_file().id()))
                }
                _ => continue,
            };
            out.push(ChangedFile {
                path,
                kind,
                head_blob,
            });
        }
        out.sort();
        Ok(out)
    }
}
