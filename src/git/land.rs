//! The scratch repository of `rerecord land`: a fresh repository in a temporary directory whose
//! work tree receives only verified recording files, and whose remotes are the repositories the
//! API named. The PR's code is never checked out: branches are fetched as objects only, to build
//! on their tip and to answer ancestry questions.

use std::path::Path;

use anyhow::Context;
use git2::{FetchOptions, Oid, Repository};

use super::GitRepo;
use super::credentials::{self, push_options};
use super::tip;
use crate::token::Token;

/// Commits fetched of a branch: only its tip is built on. Questions about its history go to
/// the API (the compare endpoint), so what is fetched does not grow with the history.
pub const FETCH_DEPTH: i32 = 1;

/// What a recording path is on a tip, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnTip {
    /// Absent on the tip.
    Absent,
    /// The same blob as the one landed.
    Same,
    /// Another blob.
    Different,
}

impl GitRepo {
    /// A new repository with a work tree at `dir` (which must be empty or absent) and `remotes`
    /// (name, URL). No token goes into its configuration: the transport takes it from the
    /// operation's grant.
    pub fn init_scratch(dir: &Path, remotes: &[(&str, &str)]) -> anyhow::Result<Self> {
        super::init();
        let repo = Repository::init(dir).with_context(|| {
            format!("failed to create a scratch repository in {}", dir.display())
        })?;
        for (name, url) in remotes {
            repo.remote(name, url).with_context(|| {
                format!("failed to add remote {name} to the scratch repository")
            })?;
        }
        Ok(Self { repo })
    }

    /// Fetch the tip of `branch` of `remote` ([`FETCH_DEPTH`] commits) into
    /// `refs/remotes/REMOTE/BRANCH`. `None` when the remote has no such branch.
    pub fn fetch_branch(
        &self,
        remote: &str,
        branch: &str,
        token: Option<&Token>,
    ) -> anyhow::Result<Option<Oid>> {
        let mut handle = self
            .repo
            .find_remote(remote)
            .with_context(|| format!("no remote named {remote}"))?;
        let url = handle.url().ok().unwrap_or_default().to_owned();
        let tracking = format!("refs/remotes/{remote}/{branch}");
        let spec = format!("+refs/heads/{branch}:{tracking}");
        let grant = credentials::grant(&url, token);
        let state = grant.state();
        let mut opts = FetchOptions::new();
        opts.download_tags(git2::AutotagOption::None);
        opts.depth(FETCH_DEPTH);
        match handle.fetch(&[spec.as_str()], Some(&mut opts), None) {
            Ok(()) => {}
            Err(e) if e.message().contains("couldn't find remote ref") => return Ok(None),
            Err(e) => {
                let detail = token.map_or(e.message().to_owned(), |t| t.redact(e.message()));
                let why = if state.rejected() {
                    "the token was rejected"
                } else if state.was_asked() && token.is_none() {
                    "the remote asked for credentials and no token is set"
                } else {
                    "see the detail"
                };
                anyhow::bail!("failed to fetch {branch} from {remote} ({why}): {detail}");
            }
        }
        Ok(self.repo.refname_to_id(&tracking).ok())
    }

    /// Create `branch` on `remote` at commit `at` (which must be in this repository). Refuses to
    /// move an existing branch.
    pub fn create_remote_branch(
        &self,
        remote: &str,
        branch: &str,
        at: Oid,
        token: Option<&Token>,
    ) -> anyhow::Result<()> {
        let mut handle = self.repo.find_remote(remote)?;
        let url = handle.url().ok().unwrap_or_default().to_owned();
        let temp = "refs/rerecord/new-branch";
        self.repo
            .reference(temp, at, true, "rerecord: branch to create")?;
        let _grant = credentials::grant(&url, token);
        let (mut opts, rejection) = push_options();
        let spec = format!("{temp}:refs/heads/{branch}");
        let result = handle.push(&[spec.as_str()], Some(&mut opts));
        if let Ok(mut r) = self.repo.find_reference(temp) {
            let _ = r.delete();
        }
        let redact = |m: &str| token.map_or(m.to_owned(), |t| t.redact(m));
        result.map_err(|e| {
            anyhow::anyhow!(
                "failed to create branch {branch} on {remote}: {}",
                redact(e.message())
            )
        })?;
        if let Some(msg) = rejection.borrow_mut().take() {
            anyhow::bail!(
                "{remote} refused to create branch {branch}: {}",
                redact(&msg)
            );
        }
        Ok(())
    }

    /// Why the incoming `paths` cannot go on commit `at` as files (see [`tip::tree_conflicts`]).
    pub fn tree_conflicts_at<'p>(
        &self,
        at: Oid,
        paths: impl IntoIterator<Item = &'p str>,
    ) -> anyhow::Result<Vec<String>> {
        let tree = self
            .repo
            .find_commit(at)
            .and_then(|c| c.tree())
            .with_context(|| format!("failed to read the tree of {at}"))?;
        Ok(tip::tree_conflicts(&self.repo, &tree, paths))
    }

    /// The blob id each file would have on `tip` as git's clean stores it there: the pointer's
    /// id where the tip's `.gitattributes` track the path with Git LFS, the file's own
    /// otherwise; `None` (a deletion) is [`Oid::ZERO_SHA1`].
    pub fn blob_ids_on_tip(
        &self,
        tip: Oid,
        files: &[(String, Option<std::path::PathBuf>)],
    ) -> anyhow::Result<Vec<(String, Oid)>> {
        let tree = self.tip_tree(tip)?;
        let mut attributes = super::attributes::Attributes::new(&self.repo, tree);
        let mut out = Vec::with_capacity(files.len());
        for (path, file) in files {
            let id = match file {
                None => Oid::ZERO_SHA1,
                Some(file) => match attributes.pointer_id(path, file)? {
                    Some(pointer) => pointer,
                    None => super::hash_blob_file(file)
                        .with_context(|| format!("failed to read {path}"))?,
                },
            };
            out.push((path.clone(), id));
        }
        Ok(out)
    }

    /// The tree of commit `tip`, which must be here (fetched).
    fn tip_tree(&self, tip: Oid) -> anyhow::Result<git2::Tree<'_>> {
        self.repo
            .find_commit(tip)
            .and_then(|c| c.tree())
            .with_context(|| format!("the tip {tip} is not available locally"))
    }

    /// How each `(path, blob)` stands on the tree of commit `tip`.
    pub fn on_tip(&self, tip: Oid, files: &[(String, Oid)]) -> anyhow::Result<Vec<OnTip>> {
        let tree = self.tip_tree(tip)?;
        let mut lookup = super::tree::TreeLookup::new(&self.repo, tree);
        Ok(files
            .iter()
            .map(|(path, blob)| match lookup.entry_id(path) {
                None => OnTip::Absent,
                Some(id) if id == *blob => OnTip::Same,
                Some(_) => OnTip::Different,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(repo: &Repository, parent: Option<Oid>, files: &[(&str, &str)]) -> Oid {
        let base = parent.map(|p| repo.find_commit(p).unwrap().tree().unwrap());
        let mut update = git2::build::TreeUpdateBuilder::new();
        for (path, content) in files {
            let blob = repo.blob(content.as_bytes()).unwrap();
            update.upsert(*path, blob, git2::FileMode::Blob);
        }
        let empty = repo
            .find_tree(repo.treebuilder(None).unwrap().write().unwrap())
            .unwrap();
        let tree_id = update
            .create_updated(repo, base.as_ref().unwrap_or(&empty))
            .unwrap();
        let tree = repo.find_tree(tree_id).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let parents: Vec<git2::Commit<'_>> = parent
            .map(|p| repo.find_commit(p).unwrap())
            .into_iter()
            .collect();
        let refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        repo.commit(None, &sig, &sig, "c", &tree, &refs).unwrap()
    }

    /// A scratch repository with one commit holding `files`.
    fn scratch_with(files: &[(&str, &str)]) -> (tempfile::TempDir, GitRepo, Oid) {
        let dir = tempfile::tempdir().unwrap();
        let git = GitRepo::init_scratch(dir.path(), &[]).unwrap();
        let tip = commit(git.raw(), None, files);
        (dir, git, tip)
    }

    #[test]
    fn tree_conflicts_name_directories_submodules_and_files_in_the_way() {
        let (_dir, git, base) = scratch_with(&[
            ("tests/recordings/a.json", "{}"),
            ("tests/recordings/sub/b.json", "{}"),
            ("tests/file", "x"),
        ]);
        let repo = git.raw();
        // A submodule (gitlink) entry, as `git submodule add` leaves in the tree.
        let tree = repo.find_commit(base).unwrap().tree().unwrap();
        let mut update = git2::build::TreeUpdateBuilder::new();
        update.upsert("tests/vendor", base, git2::FileMode::Commit);
        let with_link = repo
            .find_tree(update.create_updated(repo, &tree).unwrap())
            .unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let parent = repo.find_commit(base).unwrap();
        let tip = repo
            .commit(None, &sig, &sig, "link", &with_link, &[&parent])
            .unwrap();

        let found = git
            .tree_conflicts_at(
                tip,
                [
                    "tests/recordings/a.json",
                    "tests/recordings/new.json",
                    "tests/recordings",
                    "tests/recordings/sub",
                    "tests/vendor",
                    "tests/vendor/x.json",
                    "tests/file/x.json",
                    "tests/recordings/A.json",
                    "Tests/recordings/new.json",
                    "tests/recordings/Sub/c.json",
                ],
            )
            .unwrap();
        assert_eq!(
            found,
            vec![
                "tests/recordings is a directory on the branch, not a file",
                "tests/recordings/sub is a directory on the branch, not a file",
                "tests/vendor is a submodule on the branch, not a file",
                "tests/vendor/x.json is inside the submodule tests/vendor on the branch",
                "tests/file/x.json needs a directory where the branch has the file tests/file",
                "tests/recordings/A.json differs from tests/recordings/a.json on the branch only in case or Unicode normalisation",
                "Tests/recordings/new.json differs from tests on the branch only in case or Unicode normalisation",
                "tests/recordings/Sub/c.json differs from tests/recordings/sub on the branch only in case or Unicode normalisation",
            ]
        );
    }

    #[test]
    fn on_tip_tells_added_from_updated_and_unchanged() {
        let (_dir, git, tip) =
            scratch_with(&[("r/old.json", "1"), ("r/same.json", "s"), ("r/dir/x", "d")]);
        let repo = git.raw();
        let blob = |c: &str| repo.blob(c.as_bytes()).unwrap();
        let files = vec![
            ("r/old.json".to_owned(), blob("2")),
            ("r/same.json".to_owned(), blob("s")),
            ("r/new.json".to_owned(), blob("n")),
            ("r/dir".to_owned(), blob("d")),
        ];
        assert_eq!(
            git.on_tip(tip, &files).unwrap(),
            vec![
                OnTip::Different,
                OnTip::Same,
                OnTip::Absent,
                OnTip::Different
            ]
        );
    }
}
