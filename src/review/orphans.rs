//! Orphans: recordings whose test id no collected test has any more.
//!
//! The collected ids come from `pytest --collect-only -q` output: one node id per line
//! (`path/test_x.py::test_y[param]`); indented lines, blank lines and the summary
//! (`12 tests collected in 0.5s`, `===` rules, warnings) are ignored.

use std::collections::BTreeSet;
use std::path::Path;

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
    let mut paths = Vec::new();
    for prefix in globs.literal_prefixes() {
        walk(workdir, &workdir.join(&prefix), &mut paths)?;
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
            Some(id) if !collected.contains(&id) => out.orphans.push(Orphan { path, test_id: id }),
            Some(_) => {}
        }
    }
    Ok(out)
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

    #[test]
    fn recordings_of_uncollected_tests_are_orphans() {
        let dir = tempfile::tempdir().unwrap();
        let rec = dir.path().join("tests/integration/a/recordings");
        std::fs::create_dir_all(&rec).unwrap();
        std::fs::write(rec.join("1.json"), r#"{"test_id":"t.py::kept"}"#).unwrap();
        std::fs::write(rec.join("2.json"), r#"{"test_id":"t.py::gone"}"#).unwrap();
        std::fs::write(rec.join("3.json"), r#"{"test_id":null}"#).unwrap();
        std::fs::write(
            dir.path().join("tests/integration/a/x.json"),
            r#"{"test_id":"t.py::gone"}"#,
        )
        .unwrap();
        let globs = Globs::new(["tests/integration/*/recordings/"]).unwrap();
        let collected = collected_ids("t.py::kept\n");
        let found = find(dir.path(), &globs, "/test_id", &collected).unwrap();
        assert_eq!((found.recordings, found.without_test_id), (3, 1));
        assert_eq!(
            found.orphans,
            [Orphan {
                path: "tests/integration/a/recordings/2.json".into(),
                test_id: "t.py::gone".into()
            }]
        );
    }
}
