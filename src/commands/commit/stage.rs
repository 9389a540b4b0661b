//! Fork PRs: copy the changed recordings to the artifact directory at their repo-relative paths,
//! with `rerecord-manifest.json` so `fetch`/`land` can verify every byte.

use std::path::Path;

use anyhow::Context;

use super::CommitPlan;
use crate::artifact::manifest::{
    FileStatus, MANIFEST_NAME, MANIFEST_VERSION, Manifest, ManifestFile,
};
use crate::git::lfs::hash_copy;
use crate::git::status::{ChangeKind, ChangedFile};

/// Stage `files` into `plan.artifact_dir` (which must be empty or absent) and return the manifest.
pub fn stage(plan: &CommitPlan, workdir: &Path, files: &[ChangedFile]) -> anyhow::Result<Manifest> {
    let dir = &plan.artifact_dir;
    if dir.exists() {
        let non_empty = std::fs::read_dir(dir)
            .with_context(|| format!("failed to read the artifact directory {}", dir.display()))?
            .next()
            .is_some();
        anyhow::ensure!(
            !non_empty,
            "the artifact directory {} is not empty; pass an empty or new --artifact-dir so nothing else is uploaded",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;

    let mut entries = Vec::with_capacity(files.len());
    for f in files {
        let status = match f.kind {
            ChangeKind::Added => FileStatus::Added,
            ChangeKind::Modified => FileStatus::Modified,
            ChangeKind::Deleted => FileStatus::Deleted,
        };
        if f.kind == ChangeKind::Deleted {
            entries.push(ManifestFile {
                path: f.path.clone(),
                sha256: None,
                size: None,
                status,
            });
            continue;
        }
        let dest = dir.join(&f.path);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create {}", parent.display()))?;
        }
        let (size, sha256) = copy_hashing(&workdir.join(&f.path), &dest)
            .with_context(|| format!("failed to copy {} to {}", f.path, dest.display()))?;
        entries.push(ManifestFile {
            path: f.path.clone(),
            sha256: Some(sha256),
            size: Some(size),
            status,
        });
    }
    let manifest = Manifest {
        version: MANIFEST_VERSION,
        provenance: plan.provenance.clone(),
        setup: plan.setup.clone(),
        suite: plan.suite.clone(),
        files: entries,
    };
    let text = serde_json::to_string_pretty(&manifest)?;
    std::fs::write(dir.join(MANIFEST_NAME), text + "\n")
        .with_context(|| format!("failed to write {MANIFEST_NAME} in {}", dir.display()))?;
    Ok(manifest)
}

/// Copy `from` to `to`, hashing on the way: (size, sha256 hex).
fn copy_hashing(from: &Path, to: &Path) -> std::io::Result<(u64, String)> {
    let mut input = std::fs::File::open(from)?;
    let object = hash_copy(&mut input, &mut std::fs::File::create(to)?)?;
    Ok((object.size, object.oid))
}
