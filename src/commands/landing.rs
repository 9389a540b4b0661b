//! What a run did, or would do, with the changed recordings: the part the `commit` and `land`
//! `--json` reports share, one type so both say it with the same keys and the same meaning.

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::actions::Annotations;

/// One changed recording in the `--json` reports of `commit` and `land`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileLine {
    /// The repository-relative path, `/`-separated.
    pub path: String,
    /// `added`, `updated` or `deleted`: for `commit`, against the checkout's HEAD; for `land`,
    /// against the tip of the branch the recordings go to, where `unchanged` means that tip
    /// already has these bytes (before `land` reads the branch, as the run's manifest says).
    pub status: &'static str,
}

/// What was committed and pushed (or staged, or would be): embedded with `#[serde(flatten)]` in
/// `commit`'s and `land`'s reports. `KEBAB` spells the two-word keys as `commit`'s step outputs
/// do (`commit-sha`, `dry-run`); `land`'s report spells them in snake_case (`commit_sha`,
/// `dry_run`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Landing<const KEBAB: bool> {
    /// How the recordings go out: `push` or `stage` for `commit`; `pr`, `branch` or `none` for
    /// `land`.
    pub mode: &'static str,
    /// The PR's branch lives in a fork of the repository the run belongs to.
    pub fork: bool,
    /// The full sha of the commit that carries the recordings; `None` when nothing was pushed.
    pub commit_sha: Option<String>,
    /// The changed recordings, sorted by path.
    pub files: Vec<FileLine>,
    /// Things worth fixing that did not stop the run; each one is also a warning annotation.
    pub warnings: Vec<String>,
    /// Pushes tried (a push that loses a race with another push is retried on the new tip); 0
    /// when no push was tried.
    pub attempts: u32,
    /// `--dry-run`: everything was checked and nothing was written, pushed or commented.
    pub dry_run: bool,
}

impl<const KEBAB: bool> Landing<KEBAB> {
    /// The changed recordings as a `Recordings (N)` group of `STATUS PATH` lines; nothing when
    /// there are none.
    pub fn group_files(&self, a: &mut Annotations) -> std::io::Result<()> {
        if self.files.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = self
            .files
            .iter()
            .map(|f| format!("{:<8} {}", f.status, f.path))
            .collect();
        a.group(&format!("Recordings ({})", lines.len()), &lines)
    }
}

impl<const KEBAB: bool> Serialize for Landing<KEBAB> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (commit_sha, dry_run) = if KEBAB {
            ("commit-sha", "dry-run")
        } else {
            ("commit_sha", "dry_run")
        };
        let mut out = s.serialize_struct("Landing", 7)?;
        out.serialize_field("mode", self.mode)?;
        out.serialize_field("fork", &self.fork)?;
        out.serialize_field(commit_sha, &self.commit_sha)?;
        out.serialize_field("files", &self.files)?;
        out.serialize_field("warnings", &self.warnings)?;
        out.serialize_field("attempts", &self.attempts)?;
        out.serialize_field(dry_run, &self.dry_run)?;
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn landing<const KEBAB: bool>() -> String {
        let l = Landing::<KEBAB> {
            mode: "pr",
            commit_sha: Some("c0ffee".into()),
            attempts: 1,
            ..Landing::default()
        };
        serde_json::to_string(&l).unwrap()
    }

    #[test]
    fn both_spellings_carry_the_same_fields_in_the_same_order() {
        assert_eq!(
            landing::<false>(),
            r#"{"mode":"pr","fork":false,"commit_sha":"c0ffee","files":[],"warnings":[],"attempts":1,"dry_run":false}"#
        );
        assert_eq!(
            landing::<true>(),
            r#"{"mode":"pr","fork":false,"commit-sha":"c0ffee","files":[],"warnings":[],"attempts":1,"dry-run":false}"#
        );
    }
}
