//! git access through git2: the checkout's branch, HEAD and remotes.
//!
//! Submodules own the heavier operations: `status` (changed recordings), `tip` (commit on the
//! tip of a remote branch), `push` (credentials and retry), `smart_http` (the network transport),
//! `attributes` (the clean side of `.gitattributes`), `lfs` (Git LFS pointers and uploads).

pub(crate) mod attributes;
pub mod blob;
pub mod credentials;
mod index;
pub mod land;
pub(crate) mod lfs;
pub mod push;
mod smart_http;
pub mod status;
#[cfg(test)]
mod testing;
pub mod tip;
mod tree;
mod worktree;

use std::path::{Path, PathBuf};

use anyhow::Context;
use git2::Repository;

/// A git object id. Re-exported so code outside `git` names no git2 type.
pub use git2::Oid;

/// Whether `name` may name a branch (`refs/heads/<name>` is a valid reference name).
pub fn is_valid_branch_name(name: &str) -> bool {
    git2::Reference::is_valid_name(&format!("refs/heads/{name}"))
}

/// The blob id of a file's bytes, as `git hash-object` computes it.
pub fn hash_blob_file(path: &Path) -> anyhow::Result<Oid> {
    Ok(Oid::hash_file(git2::ObjectType::Blob, path)?)
}

/// Set up libgit2 for this process: our smart-HTTP transport for http(s) remotes.
/// Runs once, when the process first opens or creates a repository: commands that never touch
/// git pay nothing.
pub(crate) fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Fails only if the schemes were registered already, which the `Once` rules out.
        if let Err(e) = smart_http::register() {
            panic!("failed to register the http(s) transport with libgit2: {e}");
        }
    });
}

/// `text` without the libgit2 internals git2 appends to its messages (`; class=Repository (6)`,
/// `; code=NotFound (-3)`): they name C enums, not what happened or what to do. Every error
/// rerecord prints goes through this.
pub fn without_internals(text: &str) -> std::borrow::Cow<'_, str> {
    static INTERNALS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"; (?:class|code)=[A-Za-z]+ \(-?[0-9]+\)").expect("valid pattern")
    });
    INTERNALS.replace_all(text, "")
}

/// A local checkout.
pub struct GitRepo {
    repo: Repository,
}

/// A configured remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub name: String,
    pub url: String,
}

impl GitRepo {
    /// Open the repository containing `dir`.
    pub fn discover(dir: &Path) -> anyhow::Result<Self> {
        init();
        let repo = Repository::discover(dir).map_err(|e| match e.code() {
            git2::ErrorCode::NotFound => anyhow::anyhow!(
                "{} is not inside a git checkout; run it inside a git checkout (cd into your clone first)",
                dir.display()
            ),
            _ => anyhow::anyhow!(
                "failed to open the git checkout at {}: {}; check that it is a readable git checkout (git status)",
                dir.display(),
                e.message()
            ),
        })?;
        Ok(Self { repo })
    }

    /// The git2 repository, for this module's own submodules: no code outside `src/git` sees git2.
    fn raw(&self) -> &Repository {
        &self.repo
    }

    /// The work tree's root.
    pub fn workdir(&self) -> anyhow::Result<PathBuf> {
        self.repo
            .workdir()
            .map(Path::to_path_buf)
            .context("this is a bare repository; rerecord needs a work tree")
    }

    /// The checked-out branch, or `None` on a detached HEAD.
    pub fn current_branch(&self) -> anyhow::Result<Option<String>> {
        if self.repo.head_detached().unwrap_or(false) {
            return Ok(None);
        }
        let head = match self.repo.head() {
            Ok(head) => head,
            // An unborn branch still has a name.
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch => {
                let r = self.repo.find_reference("HEAD")?;
                return Ok(r
                    .symbolic_target()
                    .ok()
                    .flatten()
                    .and_then(|t| t.strip_prefix("refs/heads/"))
                    .map(str::to_owned));
            }
            Err(e) => return Err(e).context("failed to read HEAD"),
        };
        Ok(head
            .shorthand()
            .ok()
            .filter(|_| head.is_branch())
            .map(str::to_owned))
    }

    /// The remote branch `local` tracks (`branch.LOCAL.merge`, e.g. `refs/heads/fix` -> `fix`),
    /// when it names a branch.
    pub fn merge_branch(&self, local: &str) -> Option<String> {
        let config = self.repo.config().ok()?;
        let merge = config.get_string(&format!("branch.{local}.merge")).ok()?;
        merge
            .strip_prefix("refs/heads/")
            .filter(|b| !b.is_empty())
            .map(str::to_owned)
    }

    /// The commit HEAD points at, if any.
    pub fn head_sha(&self) -> Option<String> {
        self.repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .map(|c| c.id().to_string())
    }

    /// `sha` when it names a commit in this repository, else HEAD's commit; with which it was.
    pub fn commit_or_head(&self, sha: Option<&str>) -> Option<(git2::Oid, bool)> {
        let wanted = sha
            .and_then(|s| git2::Oid::from_str(s.trim()).ok())
            .filter(|oid| self.repo.find_commit(*oid).is_ok());
        match wanted {
            Some(oid) => Some((oid, true)),
            None => self
                .repo
                .head()
                .ok()
                .and_then(|h| h.peel_to_commit().ok())
                .map(|c| (c.id(), false)),
        }
    }

    /// The text of the regular file `path` in `commit`'s tree, as committed (never the work
    /// tree's copy); `None` when the tree has no blob there.
    pub fn committed_text(&self, commit: git2::Oid, path: &str) -> anyhow::Result<Option<String>> {
        const MAX_BYTES: usize = 1024 * 1024;
        let tree = self
            .repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .with_context(|| format!("failed to read the tree of {commit}"))?;
        let entry = match tree.get_path(Path::new(path)) {
            Ok(e) => e,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| format!("failed to look up {path} in {commit}"));
            }
        };
        if entry.kind() != Some(git2::ObjectType::Blob) || entry.filemode() == 0o120000 {
            return Ok(None);
        }
        let blob = self
            .repo
            .find_blob(entry.id())
            .with_context(|| format!("failed to read {path} in {commit}"))?;
        anyhow::ensure!(
            blob.size() <= MAX_BYTES,
            "{path} in {commit} is {} bytes, too large for a config file",
            blob.size()
        );
        let text = std::str::from_utf8(blob.content())
            .with_context(|| format!("{path} in {commit} is not UTF-8"))?;
        Ok(Some(text.to_owned()))
    }

    /// The lowercase hex sha256 of the file `path` (repo-relative, `/`-separated) at HEAD;
    /// `None` when HEAD has no such file. For a Git LFS pointer on a path HEAD tracks with LFS,
    /// the sha256 of the content it names (the pointer's oid).
    pub fn head_sha256(&self, path: &str) -> Option<String> {
        use sha2::{Digest, Sha256};
        let tree = self.repo.head().ok()?.peel_to_tree().ok()?;
        let entry = tree.get_path(Path::new(path)).ok()?;
        let blob = self.repo.find_blob(entry.id()).ok()?;
        if let Some(object) = lfs::Object::from_pointer(blob.content())
            && attributes::Attributes::new(&self.repo, tree)
                .tracks_with_lfs(path)
                .ok()?
        {
            return Some(object.oid);
        }
        Some(format!("{:x}", Sha256::digest(blob.content())))
    }

    /// Whether `ancestor` is `descendant` or reachable from it (false when either is unknown locally).
    pub fn contains(&self, descendant: &str, ancestor: &str) -> bool {
        let (Ok(d), Ok(a)) = (
            git2::Oid::from_str(descendant),
            git2::Oid::from_str(ancestor),
        ) else {
            return false;
        };
        d == a || self.repo.graph_descendant_of(d, a).unwrap_or(false)
    }

    /// Which of `paths` (repository-relative, `/`-separated) git does not track: in neither the
    /// index nor HEAD, so deleting them cannot be undone with git.
    pub fn untracked<'p>(
        &self,
        paths: impl IntoIterator<Item = &'p str>,
    ) -> anyhow::Result<Vec<&'p str>> {
        let index = self.repo.index().context("failed to read the git index")?;
        let head = self.repo.head().ok().and_then(|h| h.peel_to_tree().ok());
        Ok(paths
            .into_iter()
            .filter(|p| {
                index.get_path(Path::new(p), 0).is_none()
                    && head
                        .as_ref()
                        .is_none_or(|t| t.get_path(Path::new(p)).is_err())
            })
            .collect())
    }

    /// All remotes with a URL, in configuration order.
    pub fn remotes(&self) -> anyhow::Result<Vec<Remote>> {
        let names = self.repo.remotes().context("failed to list git remotes")?;
        Ok(names
            .iter()
            .flatten()
            .flatten()
            .filter_map(|name| {
                let remote = self.repo.find_remote(name).ok()?;
                let url = remote.url().ok()?.to_owned();
                Some(Remote {
                    name: name.to_owned(),
                    url,
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libgit2_class_and_code_are_left_out_of_messages() {
        let e = git2::Error::new(
            git2::ErrorCode::NotFound,
            git2::ErrorClass::Repository,
            "could not find repository at '/tmp'",
        );
        let text = format!("failed: {e}; then more");
        assert!(text.contains("class=Repository (6)"), "{text}");
        assert_eq!(
            without_internals(&text),
            "failed: could not find repository at '/tmp'; then more"
        );
        assert_eq!(without_internals("a; class=x"), "a; class=x");
    }
}
