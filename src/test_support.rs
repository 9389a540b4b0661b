//! Fixture builders and assertions the unit tests of several modules share.

use crate::artifact::zip::test_zips::ZipBuilder;
use crate::github::{PrState, PullRequest};

/// `test` holds for every item of `yes` and for none of `no`.
pub(crate) fn holds<T: ?Sized>(subject: &T, test: fn(&T, &str) -> bool, yes: &[&str], no: &[&str]) {
    for item in yes {
        assert!(test(subject, item), "should hold for {item}");
    }
    for item in no {
        assert!(!test(subject, item), "should not hold for {item}");
    }
}

/// An open PR of `o/r` into `main` from `head_repo:head_ref` at `sha`.
pub(crate) fn pull(number: u64, head_repo: &str, head_ref: &str, sha: &str) -> PullRequest {
    PullRequest {
        number,
        state: PrState::Open,
        html_url: format!("https://github.com/o/r/pull/{number}"),
        head_ref: head_ref.into(),
        head_sha: sha.into(),
        head_repo: Some(head_repo.into()),
        base_ref: "main".into(),
        base_repo: "o/r".into(),
        base_default_branch: Some("main".into()),
        maintainer_can_modify: None,
    }
}

/// A zip holding `files` (name, content) and nothing else: no manifest, as legacy artifacts.
pub(crate) fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    files
        .iter()
        .fold(ZipBuilder::new(), |zip, (name, bytes)| {
            zip.file(name, bytes)
        })
        .finish()
}

/// The keys the table under `heading` in `docs/src/json.md` documents (the first column of
/// its rows, up to the next heading), for tests that hold a report and its page together.
pub(crate) fn documented_keys(heading: &str) -> std::collections::BTreeSet<String> {
    let page = include_str!("../docs/src/json.md");
    let (_, section) = page
        .split_once(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("docs/src/json.md has no {heading}"));
    section
        .lines()
        .take_while(|l| !l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("| `")?.split_once('`'))
        .map(|(key, _)| key.to_owned())
        .collect()
}

/// The top-level keys of `report` as `--json` prints it.
pub(crate) fn printed_keys(report: &impl serde::Serialize) -> std::collections::BTreeSet<String> {
    let line = crate::neutralise::json_line(report).unwrap();
    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
    value.as_object().unwrap().keys().cloned().collect()
}
