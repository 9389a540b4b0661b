//! The recordings report: each changed recording analysed once (test id, structural diff,
//! churn), grouped by test id (by folder when a file has none), rendered as Markdown (step
//! summary, `land`'s PR comment) or serialised for `--json`.
//!
//! Every test id, path and value is untrusted (a fork writes them): in Markdown they only
//! appear as code, through `neutralise::md_code` and `neutralise::html_code`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Settings;
use super::diff::{self, Format, PathChange};
use crate::neutralise::{html_code, md_code};

/// Changed paths listed per recording; the rest are counted.
pub const PATHS_SHOWN: usize = 12;
/// A recording larger than this (either side) is reported by its sizes only: parsing it into a
/// document would take several times its size in memory.
pub const ANALYSE_LIMIT: usize = 32 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// New in the work tree (or in the run's recordings).
    Added,
    /// Changed content.
    Updated,
    /// Removed.
    Deleted,
}

/// One changed recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct FileReport {
    /// The repository-relative path, `/`-separated.
    pub path: String,
    /// `added`, `updated` or `deleted`.
    pub status: Status,
    /// How it was read: `json`, `yaml`, or `other` (compared by bytes only).
    pub format: Format,
    /// The value at the `[review] test-id` JSON pointer; `None` when the recording has none
    /// (it is then grouped by folder).
    pub test_id: Option<String>,
    /// `setup/suite` of the run that made it, where known.
    pub origin: Option<String>,
    /// Size in bytes before the change; `None` when added.
    pub old_bytes: Option<u64>,
    /// Size in bytes after the change; `None` when deleted.
    pub new_bytes: Option<u64>,
    /// Only volatile fields changed (updated recordings only).
    pub churn: bool,
    /// Changed paths outside volatile fields (counted up to [`PATHS_SHOWN`] + 1: more than
    /// [`PATHS_SHOWN`] means "many").
    pub changed_paths: usize,
    /// Changed paths inside volatile fields.
    pub volatile_paths: usize,
    /// The first [`PATHS_SHOWN`] changed paths.
    pub changes: Vec<PathChange>,
}

/// Counts and bytes of one group (or of the whole report).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Counts {
    /// Recordings added.
    pub added: usize,
    /// Their size in bytes.
    pub added_bytes: u64,
    /// Recordings updated beyond their volatile fields.
    pub updated: usize,
    /// Their new size in bytes.
    pub updated_bytes: u64,
    /// Recordings deleted.
    pub deleted: usize,
    /// Their old size in bytes.
    pub deleted_bytes: u64,
    /// Recordings whose only changes are in volatile fields.
    pub churn: usize,
    /// Their new size in bytes.
    pub churn_bytes: u64,
}

impl Counts {
    fn add(&mut self, f: &FileReport) {
        let new = f.new_bytes.unwrap_or(0);
        match f.status {
            Status::Added => {
                (self.added, self.added_bytes) = (self.added + 1, self.added_bytes + new)
            }
            Status::Updated if f.churn => {
                (self.churn, self.churn_bytes) = (self.churn + 1, self.churn_bytes + new)
            }
            Status::Updated => {
                (self.updated, self.updated_bytes) = (self.updated + 1, self.updated_bytes + new)
            }
            Status::Deleted => {
                self.deleted += 1;
                self.deleted_bytes += f.old_bytes.unwrap_or(0);
            }
        }
    }

    pub fn phrase(&self) -> String {
        let mut parts = Vec::new();
        for (n, bytes, what) in [
            (self.added, self.added_bytes, "added"),
            (self.updated, self.updated_bytes, "updated"),
            (self.deleted, self.deleted_bytes, "deleted"),
            (self.churn, self.churn_bytes, "churn only"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what} ({})", human_bytes(bytes)));
            }
        }
        if parts.is_empty() {
            "nothing".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// Recordings of one test (or, without a test id, of one folder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Group {
    /// The test id its recordings share, or their folder.
    pub key: String,
    /// `test` or `folder`.
    pub by: &'static str,
    /// Every `setup/suite` of its recordings, where known.
    pub origins: Vec<String>,
    /// Its recordings counted by status.
    pub counts: Counts,
    /// Its recordings, sorted by path.
    pub files: Vec<FileReport>,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Report {
    /// Every recording counted by status.
    pub totals: Counts,
    /// Whether churn-only recordings are carried (`--keep-churn`) or left out.
    pub churn_kept: bool,
    /// Test groups first, then folder groups, each sorted by key.
    pub groups: Vec<Group>,
}

/// A recording's report by its sizes only: what [`analyse`] starts from, and all a recording
/// too large to analyse ([`ANALYSE_LIMIT`]) gets.
pub fn sized(
    path: &str,
    old_bytes: Option<u64>,
    new_bytes: Option<u64>,
    origin: Option<String>,
) -> FileReport {
    let status = match (old_bytes, new_bytes) {
        (None, _) => Status::Added,
        (Some(_), None) => Status::Deleted,
        (Some(_), Some(_)) => Status::Updated,
    };
    FileReport {
        path: path.to_owned(),
        status,
        format: Format::Other,
        test_id: None,
        origin,
        old_bytes,
        new_bytes,
        churn: false,
        changed_paths: 0,
        volatile_paths: 0,
        changes: Vec::new(),
    }
}

/// Analyse one recording. `old`/`new` are the contents before and after (`None`: absent).
pub fn analyse(
    settings: &Settings,
    path: &str,
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    origin: Option<String>,
) -> FileReport {
    let parsed = new.map(|b| parse(path, b));
    analyse_parsed(settings, path, old, new.zip(parsed), origin)
}

/// One side of a recording as [`analyse`] reads it: its format, and its document when it is
/// JSON or YAML.
pub(crate) type Parsed = (Format, Option<serde_json::Value>);

/// [`Parsed`] `bytes`; a recording over [`ANALYSE_LIMIT`] is not parsed.
pub(crate) fn parse(path: &str, bytes: &[u8]) -> Parsed {
    if bytes.len() > ANALYSE_LIMIT {
        (Format::Other, None)
    } else {
        diff::parse(path, bytes)
    }
}

/// [`analyse`] with the new side already [`parse`]d (the secret scan walks the same document).
pub(crate) fn analyse_parsed(
    settings: &Settings,
    path: &str,
    old: Option<&[u8]>,
    new: Option<(&[u8], Parsed)>,
    origin: Option<String>,
) -> FileReport {
    let len = |b: &[u8]| b.len() as u64;
    let (new, (fmt_new, doc_new)) = match new {
        Some((bytes, parsed)) => (Some(bytes), parsed),
        None => (None, (Format::Other, None)),
    };
    let mut report = sized(path, old.map(len), new.map(len), origin);
    let status = report.status;
    let (fmt_old, doc_old) = match (status, old) {
        // An added file needs no old side; a deleted one is parsed for its test id only.
        (Status::Updated | Status::Deleted, Some(b)) => parse(path, b),
        _ => (Format::Other, None),
    };
    report.test_id = doc_new
        .as_ref()
        .or(doc_old.as_ref())
        .and_then(|d| diff::string_at(d, &settings.test_id))
        .map(str::to_owned);
    report.format = if new.is_some() { fmt_new } else { fmt_old };
    if status == Status::Updated {
        if old == new {
            report.churn = true;
        } else if let (Some(a), Some(b)) = (&doc_old, &doc_new)
            && fmt_old == fmt_new
        {
            let d = diff::diff(a, b, &settings.volatile, PATHS_SHOWN);
            report.churn = d.is_churn();
            report.changed_paths = d.significant;
            report.volatile_paths = d.volatile;
            report.changes = d.shown;
        }
    }
    report
}

impl Report {
    /// Group analysed recordings: by test id, else by folder; test groups first, each sorted.
    pub fn new(files: Vec<FileReport>, churn_kept: bool) -> Self {
        let mut groups: BTreeMap<(u8, String), Group> = BTreeMap::new();
        let mut totals = Counts::default();
        for f in files {
            totals.add(&f);
            let (order, by, key) = match &f.test_id {
                Some(id) => (0, "test", id.clone()),
                None => (1, "folder", folder_of(&f.path).to_owned()),
            };
            let g = groups.entry((order, key.clone())).or_insert_with(|| Group {
                key,
                by,
                origins: Vec::new(),
                counts: Counts::default(),
                files: Vec::new(),
            });
            g.counts.add(&f);
            g.files.push(f);
        }
        let groups = groups
            .into_values()
            .map(|mut g| {
                let origins: BTreeSet<String> =
                    g.files.iter().filter_map(|f| f.origin.clone()).collect();
                g.origins = origins.into_iter().collect();
                g.files.sort_by(|a, b| a.path.cmp(&b.path));
                g
            })
            .collect();
        Self {
            totals,
            churn_kept,
            groups,
        }
    }

    /// Paths of churn-only recordings.
    pub fn churn_paths(&self) -> Vec<&str> {
        self.groups
            .iter()
            .flat_map(|g| &g.files)
            .filter(|f| f.churn)
            .map(|f| f.path.as_str())
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Markdown, at most `limit` bytes: groups that do not fit are left out, and `note` (e.g.
    /// where the full report is) says so.
    pub fn to_markdown(&self, limit: usize, note: &str) -> String {
        let tests = self.groups.iter().filter(|g| g.by == "test").count();
        let mut out = format!(
            "### Recordings report\n\n{} in {tests} {} and {} other {}.",
            self.totals.phrase(),
            plural(tests, "test", "tests"),
            self.groups.len() - tests,
            plural(self.groups.len() - tests, "folder", "folders"),
        );
        if self.totals.churn > 0 {
            out.push_str(if self.churn_kept {
                " Churn-only recordings (only `[review] volatile` fields changed) are carried (`--keep-churn`)."
            } else {
                " Churn-only recordings (only `[review] volatile` fields changed) are left out; `--keep-churn` carries them."
            });
        }
        out.push_str("\n\n");
        let mut left_out = 0;
        for g in &self.groups {
            let block = group_markdown(g);
            // Keep room for the note (and its count) whatever comes next.
            if left_out > 0 || out.len() + block.len() + note.len() + 120 > limit {
                left_out += 1;
                continue;
            }
            out.push_str(&block);
        }
        if left_out > 0 {
            out.push_str(&format!(
                "_{left_out} more {} not shown: {note}_\n",
                plural(left_out, "group", "groups")
            ));
        }
        out
    }
}

fn group_markdown(g: &Group) -> String {
    let origins = if g.origins.is_empty() {
        String::new()
    } else {
        let shown: Vec<String> = g.origins.iter().map(|o| html_code(o)).collect();
        format!(" ({})", shown.join(", "))
    };
    let label = if g.by == "folder" { "folder " } else { "" };
    let mut out = format!(
        "<details><summary>{label}{}{origins}: {}</summary>\n\n",
        html_code(&g.key),
        g.counts.phrase()
    );
    for f in &g.files {
        out.push_str(&file_markdown(f));
    }
    out.push_str("\n</details>\n\n");
    out
}

fn file_markdown(f: &FileReport) -> String {
    let size = |b: Option<u64>| human_bytes(b.unwrap_or(0));
    let mut out = match (f.status, f.churn) {
        (Status::Added, _) => format!("- {} added, {}\n", md_code(&f.path), size(f.new_bytes)),
        (Status::Deleted, _) => format!("- {} deleted, {}\n", md_code(&f.path), size(f.old_bytes)),
        (Status::Updated, true) => format!(
            "- {} churn only ({} volatile {})\n",
            md_code(&f.path),
            f.volatile_paths,
            plural(f.volatile_paths, "field", "fields")
        ),
        (Status::Updated, false) => format!(
            "- {} updated, {} → {}{}\n",
            md_code(&f.path),
            size(f.old_bytes),
            size(f.new_bytes),
            if f.format == Format::Other {
                " (not JSON or YAML: sizes only)"
            } else {
                ""
            }
        ),
    };
    out.push_str(&f.change_lines("  - ", "→", "…", md_code));
    out
}

impl FileReport {
    /// A line per shown changed path, `PATH: OLD ARROW NEW` after `indent` with each through
    /// `quote` (`(none)` where a value is missing), and a last one when more paths changed
    /// than are shown.
    pub fn change_lines(
        &self,
        indent: &str,
        arrow: &str,
        ellipsis: &str,
        quote: fn(&str) -> String,
    ) -> String {
        let value = |v: &Option<String>| v.as_deref().map_or("(none)".to_owned(), quote);
        let mut out = String::new();
        for c in &self.changes {
            let (path, old, new) = (quote(&c.path), value(&c.old), value(&c.new));
            out.push_str(&format!("{indent}{path}: {old} {arrow} {new}\n"));
        }
        if self.changed_paths > self.changes.len() {
            out.push_str(&format!("{indent}{ellipsis} and more changed paths\n"));
        }
        out
    }
}

fn folder_of(path: &str) -> &str {
    path.rsplit_once('/').map_or(".", |(dir, _)| dir)
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// `512 B`, `11.5 KB`, `1.2 MB` (powers of 1,000).
pub fn human_bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} KB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::ReviewConfig;

    fn settings(volatile: &[&str]) -> Settings {
        Settings::new(&ReviewConfig {
            volatile: volatile.iter().map(|s| (*s).to_owned()).collect(),
            ..ReviewConfig::default()
        })
        .unwrap()
    }

    fn rec(test: &str, content: &str, id: &str) -> Vec<u8> {
        serde_json::to_vec(
            &serde_json::json!({"test_id": test, "request": {"endpoint": "/v1/chat"},
            "response": {"body": {"id": id, "content": content}}}),
        )
        .unwrap()
    }

    #[test]
    fn grouped_by_test_id_then_by_folder_with_counts_and_bytes() {
        let s = settings(&["/response/body/id"]);
        let (a1, a2) = (
            rec("t.py::a", "Paris", "1"),
            rec("t.py::a", "Paris, France", "2"),
        );
        let churn_old = rec("t.py::b", "x", "1");
        let churn_new = rec("t.py::b", "x", "2");
        let files = vec![
            analyse(
                &s,
                "r/1.json",
                Some(&a1),
                Some(&a2),
                Some("ollama/base".into()),
            ),
            analyse(&s, "r/2.json", None, Some(&a1), Some("gpt/base".into())),
            analyse(&s, "r/3.json", Some(&churn_old), Some(&churn_new), None),
            analyse(&s, "r/4.json", Some(&a1), None, None),
            analyse(&s, "other/x.bin", Some(b"\x00"), Some(b"\x00\x01"), None),
            analyse(&s, "other/y.json", None, Some(b"{\"no_test_id\":1}"), None),
        ];
        let r = Report::new(files, false);
        let keys: Vec<(&str, &str)> = r.groups.iter().map(|g| (g.by, g.key.as_str())).collect();
        assert_eq!(
            keys,
            [
                ("test", "t.py::a"),
                ("test", "t.py::b"),
                ("folder", "other")
            ]
        );
        let a = &r.groups[0];
        assert_eq!(
            (a.counts.added, a.counts.updated, a.counts.deleted),
            (1, 1, 1)
        );
        assert_eq!(a.counts.added_bytes, a1.len() as u64);
        assert_eq!(a.counts.deleted_bytes, a1.len() as u64);
        assert_eq!(a.origins, ["gpt/base", "ollama/base"]);
        assert_eq!(a.files[0].changes[0].path, "response.body.content");
        assert_eq!((r.totals.churn, r.groups[1].counts.updated), (1, 0));
        assert_eq!(r.churn_paths(), ["r/3.json"]);
        let other = &r.groups[2];
        assert_eq!((other.counts.updated, other.counts.added), (1, 1));
        assert_eq!(other.files[0].format, Format::Other);
        let md = r.to_markdown(SUMMARY, "n");
        assert!(md.contains("<details><summary><code>t.py::a</code> (<code>gpt/base</code>, <code>ollama/base</code>): 1 added"), "{md}");
        assert!(
            md.contains("  - `response.body.content`: `\"Paris\"` → `\"Paris, France\"`"),
            "{md}"
        );
        assert!(
            md.contains("- `r/3.json` churn only (1 volatile field)"),
            "{md}"
        );
        assert!(md.contains("folder <code>other</code>"), "{md}");
        assert!(md.contains("(not JSON or YAML: sizes only)"), "{md}");
    }

    const SUMMARY: usize = 1_000_000;

    #[test]
    fn markdown_over_the_limit_is_cut_at_a_group_with_the_note() {
        let s = settings(&[]);
        let files: Vec<FileReport> = (0..400)
            .map(|i| {
                let (old, new) = (
                    rec(&format!("t.py::test_{i:03}"), "a", "1"),
                    rec(&format!("t.py::test_{i:03}"), "b", "1"),
                );
                analyse(&s, &format!("r/{i:03}.json"), Some(&old), Some(&new), None)
            })
            .collect();
        let r = Report::new(files, false);
        let full = r.to_markdown(SUMMARY, "see the summary");
        assert!(full.len() > 20_000 && !full.contains("see the summary"));
        let cut = r.to_markdown(20_000, "see the summary");
        assert!(cut.len() <= 20_000, "{}", cut.len());
        assert!(
            cut.ends_with("more groups not shown: see the summary_\n"),
            "{}",
            &cut[cut.len() - 200..]
        );
        assert!(cut.matches("<details>").count() == cut.matches("</details>").count());
    }

    #[test]
    fn hostile_test_ids_and_values_stay_code() {
        let s = settings(&[]);
        let old = rec("t.py::x</code><img src=//e.vil>", "a", "1");
        let new = rec(
            "t.py::x</code><img src=//e.vil>",
            "`[x](https://e.vil)`\n##[error]boom",
            "1",
        );
        let r = Report::new(
            vec![analyse(&s, "r/`a`.json", Some(&old), Some(&new), None)],
            false,
        );
        let md = r.to_markdown(SUMMARY, "n");
        assert!(!md.contains("<img") && md.contains("&lt;img"), "{md}");
        // Names and values stay exact, each inside a code span whose fence outlasts every
        // backtick run in it: no live link, no markup.
        assert!(md.contains("``r/`a`.json``"), "{md}");
        assert!(
            md.contains("``\"`[x](https://e.vil)`\\n##[error]boom\"``"),
            "{md}"
        );
    }

    #[test]
    fn a_recording_over_the_analysis_limit_is_reported_by_size_only() {
        let s = settings(&[]);
        let mut big = rec("t.py::big", "a", "1");
        big.truncate(big.len() - 2);
        big.extend(std::iter::repeat_n(b' ', ANALYSE_LIMIT));
        big.extend_from_slice(b"}}");
        let small = rec("t.py::big", "b", "1");
        let f = analyse(&s, "r/big.json", Some(&small), Some(&big), None);
        // Sizes only; the test id from the side that fits.
        assert_eq!(
            (f.format, f.test_id.as_deref()),
            (Format::Other, Some("t.py::big"))
        );
        assert_eq!(f.new_bytes, Some(big.len() as u64));
        assert!(f.changes.is_empty() && !f.churn);
        // Under the limit, the same kind of file is analysed.
        let f = analyse(&s, "r/big.json", Some(&small), Some(&small), None);
        assert_eq!(f.test_id.as_deref(), Some("t.py::big"));
    }

    #[test]
    fn json_shape() {
        let s = settings(&[]);
        let new = rec("t.py::a", "x", "1");
        let r = Report::new(vec![analyse(&s, "r/1.json", None, Some(&new), None)], true);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["churn-kept"], true);
        assert_eq!(v["totals"]["added"], 1);
        assert_eq!(v["groups"][0]["by"], "test");
        assert_eq!(v["groups"][0]["files"][0]["status"], "added");
        assert_eq!(v["groups"][0]["files"][0]["format"], "json");
        assert_eq!(v["groups"][0]["files"][0]["test-id"], "t.py::a");
        assert_eq!(v["groups"][0]["files"][0]["new-bytes"], new.len());
    }
}
