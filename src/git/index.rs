//! The git index, for `rerecord scan --staged`: the content `git commit` would record.

use std::path::Path;

use anyhow::Context;
use git2::{Delta, Oid};

use super::GitRepo;

impl GitRepo {
    /// Paths whose staged content differs from HEAD (added, modified, renamed, copied: what
    /// has content to scan), with their staged blob ids, sorted by path.
    pub fn staged_changes(&self) -> anyhow::Result<Vec<(String, Oid)>> {
        let repo = self.raw();
        let head_tree = match repo.head() {
            Ok(h) => Some(h.peel_to_tree().context("failed to read HEAD's tree")?),
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch => None,
            Err(e) => return Err(e).context("failed to read HEAD"),
        };
        let diff = repo
            .diff_tree_to_index(head_tree.as_ref(), None, None)
            .context("failed to compare the git index with HEAD")?;
        let mut out = Vec::new();
        for delta in diff.deltas() {
            if matches!(delta.status(), Delta::Deleted) {
                continue;
            }
            let file = delta.new_file();
            if let Some(path) = file.path().and_then(|p| p.to_str()) {
                out.push((path.to_owned(), file.id()));
            }
        }
        out.sort();
        Ok(out)
    }

    /// The staged blob of `path` (repo-relative), `None` when the index has no such file.
    pub fn staged_blob(&self, path: &str) -> anyhow::Result<Option<Oid>> {
        let index = self.raw().index().context("failed to read the git index")?;
        Ok(index.get_path(Path::new(path), 0).map(|e| e.id))
    }

    /// The size of a blob, without reading it.
    pub fn blob_size(&self, id: Oid) -> anyhow::Result<u64> {
        let odb = self
            .raw()
            .odb()
            .context("failed to open the object database")?;
        let (size, _) = odb
            .read_header(id)
            .with_context(|| format!("failed to read object {id}"))?;
        Ok(size as u64)
    }
}
