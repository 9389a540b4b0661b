//! Real git repositories for behaviour tests, made with the `git` CLI: a bare remote with a
//! branch, work clones (full or shallow), and helpers to change, commit, push and inspect.
//!
//! Every `git` call runs with no system/global config and a fixed test identity passed through
//! the environment, so clones carry no `user.name` and rerecord's own default identity shows.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::cmd::checked_stdout;

pub const TEST_NAME: &str = "Fixture Author";
pub const TEST_EMAIL: &str = "fixture@example.com";

/// Run git in `dir`, panicking with its output on failure; returns trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let what = format!("git {args:?} in {}", dir.display());
    checked_stdout(git_cmd(dir).args(args), &what)
}

/// `git clone --bare FROM TO`, run in `dir`.
pub fn bare_clone(dir: &Path, from: &Path, to: &Path) {
    git(
        dir,
        &[
            "clone",
            "-q",
            "--bare",
            from.to_str().unwrap(),
            to.to_str().unwrap(),
        ],
    );
}

/// `git clone --branch BRANCH FROM TO`, run in `dir`.
pub fn clone_branch(dir: &Path, branch: &str, from: &Path, to: &Path) {
    git(
        dir,
        &[
            "clone",
            "-q",
            "--branch",
            branch,
            from.to_str().unwrap(),
            to.to_str().unwrap(),
        ],
    );
}

/// `git remote add NAME URL` in `work`.
pub fn add_remote(work: &Path, name: &str, url: &str) {
    git(work, &["remote", "add", name, url]);
}

/// `git remote set-url NAME URL` in `work`: fetches and pushes go to `url` (unless a push URL is
/// set).
pub fn set_remote_url(work: &Path, name: &str, url: &str) {
    git(work, &["remote", "set-url", name, url]);
}

/// A `git` command with the fixture environment.
pub fn git_cmd(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", TEST_NAME)
        .env("GIT_AUTHOR_EMAIL", TEST_EMAIL)
        .env("GIT_COMMITTER_NAME", TEST_NAME)
        .env("GIT_COMMITTER_EMAIL", TEST_EMAIL)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE");
    if let Some(lfs) = super::git_lfs::installed_dir() {
        cmd.env("PATH", super::git_lfs::with_first(lfs));
    }
    cmd
}

/// Stage everything in `work` and commit it as `message`; returns the new commit.
pub fn commit_all(work: &Path, message: &str) -> String {
    git(work, &["add", "-A"]);
    git(work, &["commit", "-q", "-m", message]);
    git(work, &["rev-parse", "HEAD"])
}

/// A new repository at `dir/work` on `branch` with one commit of `files`; its path and commit.
pub fn one_commit_checkout(dir: &Path, branch: &str, files: &[(&str, &str)]) -> (PathBuf, String) {
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q", "-b", branch]);
    for (path, content) in files {
        write(&work, path, content);
    }
    let head = commit_all(&work, "initial");
    (work, head)
}

/// A bare remote at `root/remote.git` whose `branch` holds `files`, plus a `main` branch with
/// the same first commit.
pub struct Remote {
    pub root: PathBuf,
    pub bare: PathBuf,
}

impl Remote {
    pub fn new(root: &Path, branch: &str, files: &[(&str, &str)]) -> Self {
        let seed = root.join("seed");
        std::fs::create_dir_all(&seed).unwrap();
        git(&seed, &["init", "-q", "-b", "main"]);
        for (path, content) in files {
            write(&seed, path, content);
        }
        git(&seed, &["add", "-A"]);
        git(&seed, &["commit", "-q", "-m", "initial"]);
        if branch != "main" {
            git(&seed, &["branch", branch]);
        }
        let bare = root.join("remote.git");
        bare_clone(root, &seed, &bare);
        std::fs::remove_dir_all(&seed).unwrap();
        Self {
            root: root.to_path_buf(),
            bare,
        }
    }

    /// A full clone of `branch` at `root/NAME`, origin = the bare path.
    pub fn clone(&self, name: &str, branch: &str) -> PathBuf {
        let dest = self.root.join(name);
        clone_branch(&self.root, branch, &self.bare, &dest);
        dest
    }

    /// A depth-1 clone (what actions/checkout makes), origin = the bare path.
    pub fn shallow_clone(&self, name: &str, branch: &str) -> PathBuf {
        let dest = self.root.join(name);
        let url = format!("file://{}", self.bare.display());
        git(
            &self.root,
            &[
                "clone",
                "-q",
                "--depth",
                "1",
                "--branch",
                branch,
                &url,
                dest.to_str().unwrap(),
            ],
        );
        set_remote_url(&dest, "origin", self.bare.to_str().unwrap());
        assert!(dest.join(".git/shallow").exists(), "clone is not shallow");
        dest
    }

    pub fn rev(&self, rev: &str) -> String {
        git(&self.bare, &["rev-parse", rev])
    }

    /// File names on `branch`, sorted.
    pub fn files(&self, branch: &str) -> Vec<String> {
        git(&self.bare, &["ls-tree", "-r", "--name-only", branch])
            .lines()
            .map(str::to_owned)
            .collect()
    }

    pub fn show(&self, branch: &str, path: &str) -> String {
        git(&self.bare, &["show", &format!("{branch}:{path}")])
    }

    /// Parents of `rev`.
    pub fn parents(&self, rev: &str) -> Vec<String> {
        git(&self.bare, &["rev-list", "--parents", "-n", "1", rev])
            .split_whitespace()
            .skip(1)
            .map(str::to_owned)
            .collect()
    }

    /// `%an <%ae>|%cn <%ce>|%s` of `rev`.
    pub fn who_and_subject(&self, rev: &str) -> String {
        git(
            &self.bare,
            &["log", "-1", "--format=%an <%ae>|%cn <%ce>|%s", rev],
        )
    }

    pub fn count(&self, range: &str) -> usize {
        git(&self.bare, &["rev-list", "--count", range])
            .parse()
            .unwrap()
    }
}

pub fn write(dir: &Path, path: &str, content: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, content).unwrap();
}

/// Commit everything in `work` and push HEAD to `branch` on origin.
pub fn commit_and_push(work: &Path, branch: &str, message: &str) -> String {
    git(work, &["add", "-A"]);
    git(work, &["commit", "-q", "-m", message]);
    git(work, &["push", "-q", "origin", &format!("HEAD:{branch}")]);
    git(work, &["rev-parse", "HEAD"])
}

/// A llama-stack-like starting tree: recordings in two module folders and the root folder,
/// the TypeScript client's package files, a workflow file and some source.
pub fn llama_tree() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "tests/integration/recordings/root-1.json",
            "{\"root\": 1}\n",
        ),
        (
            "tests/integration/agents/recordings/a-1.json",
            "{\"agents\": 1}\n",
        ),
        (
            "tests/integration/agents/recordings/a-2.json",
            "{\"agents\": 2}\n",
        ),
        (
            "tests/integration/inference/recordings/responses/i-1.json",
            "{\"inference\": 1}\n",
        ),
        (
            "tests/integration/agents/test_agents.py",
            "def test(): pass\n",
        ),
        (
            "tests/integration/client-typescript/package.json",
            "{\"name\": \"client\"}\n",
        ),
        (
            "tests/integration/client-typescript/package-lock.json",
            "{\"lockfileVersion\": 3}\n",
        ),
        (".github/workflows/record.yml", "name: record\n"),
        ("src/app.py", "print('hi')\n"),
    ]
}
