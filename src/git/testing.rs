//! Unit-test helpers that build and inspect real repositories, so tests outside `git` name no
//! git2 type.

use std::path::Path;

use super::{GitRepo, Oid};

impl GitRepo {
    /// A new repository in `dir` with a committer identity configured.
    pub(crate) fn init_for_tests(dir: &Path) -> Self {
        let repo = git2::Repository::init(dir).unwrap();
        {
            let mut cfg = repo.config().unwrap();
            cfg.set_str("user.name", "Test").unwrap();
            cfg.set_str("user.email", "test@example.com").unwrap();
        }
        Self { repo }
    }

    /// Stage every file of the work tree and commit it on HEAD.
    pub(crate) fn commit_all(&self, message: &str) {
        let repo = &self.repo;
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = repo.signature().unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap();
    }

    /// `git add` of the work tree's `paths`.
    pub(crate) fn stage(&self, paths: &[&str]) {
        let mut index = self.repo.index().unwrap();
        for path in paths {
            index.add_path(Path::new(path)).unwrap();
        }
        index.write().unwrap();
    }

    /// Commit a submodule (a gitlink to HEAD's commit) at `path` without checking it out.
    pub(crate) fn commit_gitlink(&self, path: &str) {
        let repo = &self.repo;
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        let mut update = git2::build::TreeUpdateBuilder::new();
        update.upsert(path, head.id(), git2::FileMode::Commit);
        let tree = repo
            .find_tree(update.create_updated(repo, &head.tree().unwrap()).unwrap())
            .unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "submodule", &tree, &[&head])
            .unwrap();
    }

    /// The message of `commit` and the paths it changes against its first parent, sorted.
    pub(crate) fn commit_changes(&self, commit: Oid) -> (String, Vec<String>) {
        let repo = &self.repo;
        let commit = repo.find_commit(commit).unwrap();
        let diff = repo
            .diff_tree_to_tree(
                Some(&commit.parent(0).unwrap().tree().unwrap()),
                Some(&commit.tree().unwrap()),
                None,
            )
            .unwrap();
        let mut changed: Vec<String> = diff
            .deltas()
            .map(|d| d.new_file().path().unwrap().to_string_lossy().into_owned())
            .collect();
        changed.sort();
        (commit.message().unwrap().to_owned(), changed)
    }

    /// `git status` of one path: (nothing to report, staged content differs from HEAD).
    pub(crate) fn path_status(&self, path: &str) -> (bool, bool) {
        let status = self.repo.status_file(Path::new(path)).unwrap();
        (status.is_empty(), status.is_index_modified())
    }
}
