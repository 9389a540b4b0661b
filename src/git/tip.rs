//! Commit on the tip: the target branch's newest commit plus only the changed recording blobs.
//!
//! Nothing here depends on what is checked out (a `pull_request` checkout is a detached merge
//! commit): the tree is the tip's tree with our blobs upserted (and removed, for deletions), and
//! the tip is the single parent. All objects go to an "object repository", which is the local
//! repository for network remotes and the remote itself for local ones (see `push`).

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use git2::{FileMode, Oid, Repository, Signature, Tree};

use super::attributes::Attributes;
use super::status::{ChangeKind, ChangedFile, PreparedFile};
use super::tree::TreeLookup;
use crate::recordings::Globs;

/// Author and committer of the recordings commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub author_name: String,
    pub author_email: String,
    pub committer_name: String,
    pub committer_email: String,
}

pub const BOT_NAME: &str = "github-actions[bot]";
pub const BOT_EMAIL: &str = "41898282+github-actions[bot]@users.noreply.github.com";

impl Identity {
    /// `github-actions[bot]` as author and committer: what `land` commits as, whatever the
    /// environment or a git config says.
    pub fn bot() -> Self {
        Self::fixed(BOT_NAME, BOT_EMAIL)
    }

    /// One name and email as both author and committer.
    pub fn fixed(name: &str, email: &str) -> Self {
        Self {
            author_name: name.into(),
            author_email: email.into(),
            committer_name: name.into(),
            committer_email: email.into(),
        }
    }
}

/// The changed recordings' contents as blobs in `objects`, once for every attempt. Stored only
/// where the clean by `attributes` (those of the first tip an attempt fetched) keeps the
/// content: a recording the tip tracks with Git LFS is only hashed, as its content never enters
/// git; should a later tip store it after all, [`clean_for_tip`] stores it then. Files whose
/// content equals HEAD's blob (touched, not changed) are dropped. Every recording becomes a
/// plain file (mode 100644), whatever the work tree's executable bit says.
pub fn prepare_files(
    objects: &Repository,
    attributes: &mut Attributes<'_>,
    workdir: &Path,
    files: &[ChangedFile],
) -> anyhow::Result<Vec<PreparedFile>> {
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let blob = if f.kind == ChangeKind::Deleted {
            None
        } else {
            let full = workdir.join(&f.path);
            let oid = if attributes.tracks_with_lfs(&f.path)? {
                Oid::hash_file(git2::ObjectType::Blob, &full).map_err(anyhow::Error::from)
            } else {
                super::attributes::stream_blob(objects, &full)
            }
            .with_context(|| format!("failed to store {} in the object database", f.path))?;
            if Some(oid) == f.head_blob {
                continue;
            }
            Some(oid)
        };
        out.push(PreparedFile {
            change: f.clone(),
            blob,
        });
    }
    Ok(out)
}

/// The `.gitattributes` of `tip`: what [`prepare_files`] and [`clean_for_tip`] clean by.
pub(crate) fn attributes_of(objects: &Repository, tip: Oid) -> anyhow::Result<Attributes<'_>> {
    let tree = objects
        .find_commit(tip)
        .and_then(|c| c.tree())
        .with_context(|| format!("the target branch's tip {tip} is not available locally"))?;
    Ok(Attributes::new(objects, tree))
}

const MODE_TREE: i32 = 0o040_000;
const MODE_GITLINK: i32 = 0o160_000;

/// Why `paths` cannot be written or removed as files on `tree`, if they cannot: git's own rule
/// that a file never replaces a directory or a submodule (a deletion of `dir` must not delete
/// the directory), and that no file sits where a directory of the path is needed.
pub fn tree_conflicts<'p>(
    repo: &Repository,
    tree: &Tree<'_>,
    paths: impl IntoIterator<Item = &'p str>,
) -> Vec<String> {
    let paths: Vec<&str> = paths.into_iter().collect();
    let mut lookup = TreeLookup::new(repo, tree.clone());
    let mut out = Vec::new();
    for &path in &paths {
        match lookup.entry_mode(path) {
            Some(MODE_TREE) => out.push(format!("{path} is a directory on the branch, not a file")),
            Some(MODE_GITLINK) => {
                out.push(format!("{path} is a submodule on the branch, not a file"))
            }
            _ => {}
        }
        let mut at = 0;
        while let Some(slash) = path[at..].find('/') {
            let parent = &path[..at + slash];
            match lookup.entry_mode(parent) {
                None | Some(MODE_TREE) => {}
                Some(MODE_GITLINK) => {
                    out.push(format!(
                        "{path} is inside the submodule {parent} on the branch"
                    ));
                    break;
                }
                Some(_) => {
                    out.push(format!(
                        "{path} needs a directory where the branch has the file {parent}"
                    ));
                    break;
                }
            }
            at += slash + 1;
        }
    }
    out.extend(case_twins(repo, tree, &paths));
    out
}

/// New names that macOS or Windows would store over an existing entry of the same directory on
/// `tree` (`A.json` beside `a.json`, `café` precomposed beside decomposed): one file there.
/// Names the tree already has exactly are updates, not twins.
fn case_twins(repo: &Repository, tree: &Tree<'_>, paths: &[&str]) -> Vec<String> {
    let mut lookup = TreeLookup::new(repo, tree.clone());
    let mut keys: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut out = Vec::new();
    for path in paths {
        let mut dir = String::new();
        for name in path.split('/') {
            let here = if dir.is_empty() {
                name.to_owned()
            } else {
                format!("{dir}/{name}")
            };
            if lookup.entry_mode(&here).is_some() {
                dir = here;
                continue;
            }
            let siblings = keys.entry(dir.clone()).or_insert_with(|| {
                lookup
                    .names(&dir)
                    .into_iter()
                    .map(|n| (crate::paths::collision_key(&n), n))
                    .collect()
            });
            if let Some(other) = siblings.get(&crate::paths::collision_key(name)) {
                let other = if dir.is_empty() {
                    other.clone()
                } else {
                    format!("{dir}/{other}")
                };
                out.push(format!(
                    "{path} differs from {other} on the branch only in case or Unicode normalisation"
                ));
            }
            break;
        }
    }
    out
}

/// `files` as git's clean would store them on a tip, by the tip's own `.gitattributes`
/// (`attributes`: CRLF normalised, LFS pointers), and the LFS objects the pointers name
/// (contents read from the files under `workdir`).
pub(crate) fn clean_for_tip(
    attributes: &mut Attributes<'_>,
    workdir: &Path,
    files: &[PreparedFile],
) -> anyhow::Result<(Vec<PreparedFile>, Vec<super::lfs::Pending>)> {
    let mut pending = Vec::new();
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let blob = match f.blob {
            Some(blob) => {
                let cleaned = attributes.clean_file(
                    &f.change.path,
                    &workdir.join(&f.change.path),
                    Some(blob),
                )?;
                pending.extend(cleaned.lfs);
                Some(cleaned.blob)
            }
            None => None,
        };
        out.push(PreparedFile { blob, ..f.clone() });
    }
    Ok((out, pending))
}

/// The commit to publish on `tip`, or `None` when the tip already holds exactly these files
/// (as [`clean_for_tip`] stores them).
pub fn build_commit(
    objects: &Repository,
    tip: Oid,
    files: &[PreparedFile],
    identity: &Identity,
    message: &str,
) -> anyhow::Result<Option<Oid>> {
    let tip_commit = objects
        .find_commit(tip)
        .with_context(|| format!("the target branch's tip {tip} is not available locally"))?;
    let tip_tree = tip_commit.tree().context("failed to read the tip's tree")?;
    let conflicts = tree_conflicts(
        objects,
        &tip_tree,
        files.iter().map(|f| f.change.path.as_str()),
    );
    anyhow::ensure!(
        conflicts.is_empty(),
        "refusing to commit on the tip {tip}: {}",
        conflicts.join("; ")
    );
    let mut update = git2::build::TreeUpdateBuilder::new();
    for f in files {
        match f.blob {
            Some(oid) => {
                update.upsert(f.change.path.as_str(), oid, FileMode::Blob);
            }
            // Removing an entry the tip lacks is an error in libgit2; there is nothing to remove.
            None if tip_tree.get_path(Path::new(&f.change.path)).is_ok() => {
                update.remove(f.change.path.as_str());
            }
            None => {}
        }
    }
    let tree_id = update
        .create_updated(objects, &tip_tree)
        .context("failed to build the recordings tree on the tip")?;
    if tree_id == tip_tree.id() {
        return Ok(None);
    }
    let tree = objects.find_tree(tree_id)?;
    let author = Signature::now(&identity.author_name, &identity.author_email)
        .context("invalid author name or email (check --author-name and --author-email)")?;
    let committer = Signature::now(&identity.committer_name, &identity.committer_email)
        .context("invalid committer name or email (check --author-name and --author-email)")?;
    let id = objects
        .commit(None, &author, &committer, message, &tree, &[&tip_commit])
        .context("failed to create the recordings commit")?;
    Ok(Some(id))
}

/// Our paths whose blob on the tip differs from the checked-out HEAD's: someone else changed the
/// same recording meanwhile (ours wins).
pub fn overlapping_paths(
    objects: &Repository,
    tip: Oid,
    files: &[PreparedFile],
) -> anyhow::Result<Vec<String>> {
    let mut lookup = TreeLookup::new(objects, objects.find_commit(tip)?.tree()?);
    Ok(files
        .iter()
        .filter(|f| {
            let on_tip = lookup.entry_id(&f.change.path);
            on_tip != f.change.head_blob && on_tip != f.blob
        })
        .map(|f| f.change.path.clone())
        .collect())
}

/// The first path outside the recordings that differs between two trees, skipping identical
/// subtrees by id (cost follows the difference, not the tree).
pub fn first_non_recording_difference(
    repo: &Repository,
    a: &Tree<'_>,
    b: &Tree<'_>,
    globs: &Globs,
) -> Option<String> {
    fn walk(
        repo: &Repository,
        a: Option<&Tree<'_>>,
        b: Option<&Tree<'_>>,
        prefix: &str,
        globs: &Globs,
    ) -> Option<String> {
        let mut names: Vec<String> = Vec::new();
        for t in [a, b].into_iter().flatten() {
            names.extend(t.iter().filter_map(|e| e.name().ok().map(str::to_owned)));
        }
        names.sort();
        names.dedup();
        for name in names {
            let ea = a.and_then(|t| t.get_name(&name));
            let eb = b.and_then(|t| t.get_name(&name));
            let (ida, idb) = (ea.as_ref().map(|e| e.id()), eb.as_ref().map(|e| e.id()));
            if ida == idb && ea.as_ref().map(|e| e.filemode()) == eb.as_ref().map(|e| e.filemode())
            {
                continue;
            }
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            // A folder is skipped whole when every file below it is a recording.
            let recordings = [&ea, &eb].iter().all(|e| match e {
                None => true,
                Some(e) if e.kind() == Some(git2::ObjectType::Tree) => globs.covers(&path),
                Some(_) => globs.matches(&path),
            });
            if recordings {
                continue;
            }
            let as_tree = |e: &Option<git2::TreeEntry<'_>>| {
                e.as_ref()
                    .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
                    .and_then(|e| repo.find_tree(e.id()).ok())
            };
            let (ta, tb) = (as_tree(&ea), as_tree(&eb));
            let a_is_file = ea.is_some() && ta.is_none();
            let b_is_file = eb.is_some() && tb.is_none();
            if a_is_file || b_is_file {
                return Some(path);
            }
            if let Some(found) = walk(repo, ta.as_ref(), tb.as_ref(), &path, globs) {
                return Some(found);
            }
        }
        None
    }
    if a.id() == b.id() {
        return None;
    }
    walk(repo, Some(a), Some(b), "", globs)
}
