//! Orphans: recordings whose test id no collected test has any more.
//!
//! The collected ids come from `pytest --collect-only -q` output: one node id per line
//! (`path/test_x.py::test_y[param]`); indented lines, blank lines and the summary
//! (`12 tests collected in 0.5s`, `===` rules, warnings) are ignored.
//!
//! A collection may be partial (one folder, a module that failed to import): only recordings
//! whose test module (the id before the first `::`) was collected are judged. A collection
//! filtered with `-k`/`-m` drops tests inside collected modules, so it is refused outright.
//! The recordings folders are looked at only where they lie inside the work tree.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use super::diff;
use crate::recordings::Globs;

/// The node ids in `pytest --collect-only -q` output.
pub fn collected_ids(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with(char::is_whitespace) && l.contains("::"))
        .map(|l| l.trim_end().to_owned())
        .collect()
}

/// How many tests `pytest --collect-only -q` says a `-k`/`-m` filter deselected, if any
/// (`3/5 tests collected (2 deselected) in 0.1s`).
pub fn deselected(text: &str) -> Option<u64> {
    text.lines()
        .filter(|l| !l.contains("::"))
        .flat_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            (1..words.len())
                .filter(|&i| words[i].trim_end_matches([')', ',']) == "deselected")
                .filter_map(|i| words[i - 1].trim_start_matches('(').parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .find(|&n| n > 0)
}

/// The test module of a node id: the file part before the first `::`.
fn module_of(id: &str) -> &str {
    id.split_once("::").map_or(id, |(module, _)| module)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Orphan {
    pub path: String,
    pub test_id: String,
}

/// What a look for orphans found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Orphans {
    /// Recordings looked at.
    pub recordings: usize,
    /// Recordings without a readable test id (never orphans: nothing says which test made them).
    pub without_test_id: usize,
    /// Recordings of test modules the collection did not include (not judged: a partial
    /// collection says nothing about them).
    pub module_not_collected: usize,
    pub orphans: Vec<Orphan>,
}

/// Every recording under `workdir` (matching `globs`) whose test id is not in `collected`.
pub fn find(
    workdir: &Path,
    globs: &Globs,
    test_id: &str,
    collected: &BTreeSet<String>,
) -> anyhow::Result<Orphans> {
    let mut out = Orphans::default();
    let modules: BTreeSet<&str> = collected.iter().map(|id| module_of(id)).collect();
    let mut paths = Vec::new();
    let mut prefixes = globs.literal_prefixes();
    if prefixes.is_empty() {
        // A glob that starts with a wildcard: the whole tree.
        prefixes.push(String::new());
    }
    for prefix in prefixes {
        let dir = workdir.join(&prefix);
        if inside_work_tree(workdir, &dir)? {
            walk(workdir, &dir, &mut paths)?;
        }
    }
    paths.sort();
    paths.dedup();
    for path in paths.into_iter().filter(|p| globs.matches(p)) {
        out.recordings += 1;
        let bytes =
            std::fs::read(workdir.join(&path)).with_context(|| format!("failed to read {path}"))?;
        let id = diff::parse(&path, &bytes)
            .1
            .and_then(|d| diff::string_at(&d, test_id).map(str::to_owned));
        match id {
            None => out.without_test_id += 1,
            Some(id) if !modules.contains(module_of(&id)) => out.module_not_collected += 1,
            Some(id) if !collected.contains(&id) => out.orphans.push(Orphan { path, test_id: id }),
            Some(_) => {}
        }
    }
    Ok(out)
}

/// Whether `dir` (under `workdir`) resolves to a place inside the work tree: `false` when it does
/// not exist, an error when a symlink on the way leads out (into another checkout, say).
fn inside_work_tree(workdir: &Path, dir: &Path) -> anyhow::Result<bool> {
    let root = canonical(workdir)?;
    let Some(resolved) = existing(dir)? else {
        return Ok(false);
    };
    anyhow::ensure!(
        resolved.starts_with(&root),
        "{} leads outside the work tree (to {}) through a symbolic link; prune looks only at \
         recordings inside this checkout: run it in the checkout the link points to. Nothing was \
         deleted",
        dir.strip_prefix(workdir).unwrap_or(dir).display(),
        resolved.display()
    );
    Ok(resolved.is_dir())
}

fn canonical(path: &Path) -> anyhow::Result<PathBuf> {
    std::fs::canonicalize(path).with_context(|| format!("failed to resolve {}", path.display()))
}

fn existing(path: &Path) -> anyhow::Result<Option<PathBuf>> {
    match std::fs::canonicalize(path) {
        Ok(p) => Ok(Some(p)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("failed to resolve {}", path.display())),
    }
}

/// Regular files under `dir` as `/`-separated paths relative to `root` (symlinks not followed).
fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("failed to read {}", dir.display())),
    };
    for entry in entries {
        let entry = entry.with_context(|| format!("failed to read {}", dir.display()))?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            if entry.file_name() != ".git" {
                walk(root, &path, out)?;
            }
        } else if kind.is_file()
            && let Some(rel) = path.strip_prefix(root).ok().and_then(|p| p.to_str())
        {
            out.push(rel.replace(std::path::MAIN_SEPARATOR, "/"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collect_only_output_gives_node_ids_without_the_summary() {
        let text = "tests/integration/a/test_x.py::test_one[txt=m-earth_01]\n\
                    tests/integration/a/test_x.py::TestC::test_two\n  \
                    /usr/lib/python3/warnings.py:1: DeprecationWarning: x::y\n\
                    \n\
                    ==================== warnings summary ====================\n\
                    2 tests collected in 0.12s\n";
        let ids = collected_ids(text);
        assert_eq!(ids.len(), 2, "{ids:?}");
        assert!(ids.contains("tests/integration/a/test_x.py::TestC::test_two"));
    }

    /// The orphans among `files` (path under `tests/integration/`, content), recordings under
    /// `tests/integration/*/recordings/`, when pytest collected `collected`.
    fn orphans_of(files: &[(&str, &str)], collected: &str) -> Orphans {
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in files {
            let path = dir.path().join("tests/integration").join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        let globs = Globs::new(["tests/integration/*/recordings/"]).unwrap();
        find(dir.path(), &globs, "/test_id", &collected_ids(collected)).unwrap()
    }

    fn orphan(path: &str, test_id: &str) -> Orphan {
        let path = format!("tests/integration/{path}");
        let test_id = test_id.into();
        Orphan { path, test_id }
    }

    #[test]
    fn recordings_of_uncollected_tests_are_orphans() {
        let found = orphans_of(
            &[
                ("a/recordings/1.json", r#"{"test_id":"t.py::kept"}"#),
                ("a/recordings/2.json", r#"{"test_id":"t.py::gone"}"#),
                ("a/recordings/3.json", r#"{"test_id":null}"#),
                ("a/x.json", r#"{"test_id":"t.py::gone"}"#),
            ],
            "t.py::kept\n",
        );
        assert_eq!((found.recordings, found.without_test_id), (3, 1));
        assert_eq!(found.module_not_collected, 0);
        assert_eq!(found.orphans, [orphan("a/recordings/2.json", "t.py::gone")]);
    }

    #[test]
    fn a_partial_collection_judges_only_the_modules_it_collected() {
        let found = orphans_of(
            &[
                ("a/recordings/1.json", r#"{"test_id":"a.py::gone"}"#),
                ("a/recordings/2.json", r#"{"test_id":"b.py::other_suite"}"#),
            ],
            "a.py::kept\n",
        );
        assert_eq!(found.module_not_collected, 1);
        assert_eq!(found.orphans, [orphan("a/recordings/1.json", "a.py::gone")]);
    }

    #[test]
    fn a_filtered_collection_is_recognised_by_its_summary() {
        assert_eq!(
            deselected("a.py::x\n\n1/5 tests collected (4 deselected) in 0.01s\n"),
            Some(4)
        );
        assert_eq!(deselected("a.py::x\n\n5 tests collected in 0.01s\n"), None);
        assert_eq!(deselected("a.py::x\n0 deselected\n"), None);
        assert_eq!(deselected("a.py::test_deselected[1 deselected]\n"), None);
    }
}
