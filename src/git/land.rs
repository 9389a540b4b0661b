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
use crate::recordings::Globs;
use crate::token::Token;

/// Commits walked between the recorded head and a newer PR head before giving up.
const MAX_DESCENT: usize = 200;

/// How a newer commit relates to the commit the recordings were made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Descent {
    /// The same commit.
    Same,
    /// A descendant whose every commit since changes only recordings.
    RecordingsOnly,
    /// A descendant with a commit that changes `path`, which is not a recording.
    OtherChanges { commit: String, path: String },
    /// Not a descendant (force-pushed, or another branch).
    Unrelated,
    /// One of the commits is not in the fetched history.
    Unknown,
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

    /// Fetch `branch` of `remote` (its whole history: ancestry questions need it) into
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

    /// How `newer` relates to `recorded`: the same commit, a descendant through recording-only
    /// commits (matrix siblings pushing their recordings), or something else.
    pub fn descent(&self, newer: &str, recorded: &str, globs: &Globs) -> Descent {
        let (Ok(newer), Ok(recorded)) = (Oid::from_str(newer), Oid::from_str(recorded)) else {
            return Descent::Unknown;
        };
        if newer == recorded {
            return Descent::Same;
        }
        let repo = &self.repo;
        if repo.find_commit(newer).is_err() || repo.find_commit(recorded).is_err() {
            return Descent::Unknown;
        }
        if !repo.graph_descendant_of(newer, recorded).unwrap_or(false) {
            return Descent::Unrelated;
        }
        let Ok(mut walk) = repo.revwalk() else {
            return Descent::Unknown;
        };
        if walk.push(newer).is_err() || walk.hide(recorded).is_err() {
            return Descent::Unknown;
        }
        for (seen, id) in walk.enumerate() {
            let Ok(id) = id else { return Descent::Unknown };
            if seen >= MAX_DESCENT {
                return Descent::Unknown;
            }
            let Ok(commit) = repo.find_commit(id) else {
                return Descent::Unknown;
            };
            let Ok(tree) = commit.tree() else {
                return Descent::Unknown;
            };
            for parent in commit.parents() {
                let Ok(parent_tree) = parent.tree() else {
                    return Descent::Unknown;
                };
                if let Some(path) =
                    tip::first_non_recording_difference(repo, &parent_tree, &tree, globs)
                {
                    return Descent::OtherChanges {
                        commit: id.to_string(),
                        path,
                    };
                }
            }
        }
        Descent::RecordingsOnly
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

    #[test]
    fn tree_conflicts_name_directories_submodules_and_files_in_the_way() {
        let dir = tempfile::tempdir().unwrap();
        let git = GitRepo::init_scratch(dir.path(), &[]).unwrap();
        let repo = git.raw();
        let base = commit(
            repo,
            None,
            &[
                ("tests/recordings/a.json", "{}"),
                ("tests/recordings/sub/b.json", "{}"),
                ("tests/file", "x"),
            ],
        );
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
    fn descent_tells_recording_commits_from_code_changes() {
        let dir = tempfile::tempdir().unwrap();
        let git = GitRepo::init_scratch(dir.path(), &[]).unwrap();
        let globs = Globs::new(["tests/integration/recordings/"]).unwrap();
        let repo = git.raw();
        let base = commit(repo, None, &[("src/a.py", "1")]);
        let rec = commit(
            repo,
            Some(base),
            &[("tests/integration/recordings/x.json", "{}")],
        );
        let code = commit(repo, Some(rec), &[("src/a.py", "2")]);
        let other = commit(repo, None, &[("src/a.py", "3")]);
        let (b, r, c, o) = (
            base.to_string(),
            rec.to_string(),
            code.to_string(),
            other.to_string(),
        );
        assert_eq!(git.descent(&b, &b, &globs), Descent::Same);
        assert_eq!(git.descent(&r, &b, &globs), Descent::RecordingsOnly);
        assert_eq!(
            git.descent(&c, &b, &globs),
            Descent::OtherChanges {
                commit: c.clone(),
                path: "src/a.py".into()
            }
        );
        assert_eq!(git.descent(&o, &b, &globs), Descent::Unrelated);
        assert_eq!(git.descent(&"1".repeat(40), &b, &globs), Descent::Unknown);
    }
}
