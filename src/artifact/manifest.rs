//! `rerecord-manifest.json`: what a fork run staged, so `fetch`/`land` can verify every byte.
//!
//! Readers ignore fields they don't know; writers emit exactly these.

use serde::{Deserialize, Serialize};

pub const MANIFEST_NAME: &str = "rerecord-manifest.json";
pub const MANIFEST_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    /// Its fields at the top level of the JSON.
    #[serde(flatten)]
    pub provenance: Provenance,
    pub setup: String,
    pub suite: String,
    pub files: Vec<ManifestFile>,
}

/// The recording run and what it recorded: the pinned chain (repository, PR, head sha) and the
/// run, attempt and job that made the recordings. `commit` resolves it and stages it as it is;
/// `land` and `fetch` check it. An empty text is unknown (e.g. outside Actions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The repository the workflow runs in (`GITHUB_REPOSITORY`).
    pub repository: String,
    /// Where the PR's branch lives (a fork for fork PRs).
    pub head_repository: String,
    /// The PR's branch the recordings are for.
    pub head_ref: String,
    /// The commit the recordings were made for (the PR head, else the checkout).
    pub head_sha: String,
    /// The PR the run recorded (absent in manifests of older recording actions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr_number: Option<u64>,
    /// What was checked out (a merge commit on `pull_request`).
    pub checkout_sha: String,
    /// The job that made the recordings (`run_id`, `run_attempt`, `job` in the JSON).
    #[serde(flatten)]
    pub made_by: RecordingJob,
}

/// The job that made recordings: its run, the run's attempt and the job's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingJob {
    /// `GITHUB_RUN_ID`; 0 outside Actions.
    pub run_id: u64,
    /// `GITHUB_RUN_ATTEMPT`; 1 outside Actions.
    pub run_attempt: u64,
    /// `GITHUB_JOB`; `local` outside Actions.
    pub job: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Repo-relative, `/`-separated.
    pub path: String,
    /// Lowercase hex; absent for deleted files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    pub status: FileStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Added,
    Modified,
    Deleted,
}

impl Manifest {
    /// Parse a manifest from untrusted bytes, rejecting versions we don't understand.
    pub fn from_slice(bytes: &[u8]) -> anyhow::Result<Self> {
        let manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| anyhow::anyhow!("{MANIFEST_NAME} is not a valid manifest: {e}"))?;
        anyhow::ensure!(
            manifest.version == MANIFEST_VERSION,
            "{MANIFEST_NAME} has version {}, this rerecord understands version {MANIFEST_VERSION}; upgrade rerecord",
            manifest.version
        );
        for (what, sha) in [
            ("head_sha", &manifest.provenance.head_sha),
            ("checkout_sha", &manifest.provenance.checkout_sha),
        ] {
            anyhow::ensure!(
                sha.is_empty() || is_commit_id(sha),
                "{MANIFEST_NAME} has {what} {:?}, which is not a commit id (40 or 64 hex digits)",
                sha.chars().take(80).collect::<String>()
            );
        }
        for f in &manifest.files {
            match f.status {
                FileStatus::Deleted => {}
                _ => anyhow::ensure!(
                    f.sha256.as_deref().is_some_and(is_sha256_hex) && f.size.is_some(),
                    "{MANIFEST_NAME} lists {:?} without a valid sha256 and size",
                    f.path
                ),
            }
        }
        Ok(manifest)
    }
}

/// A full SHA-1 or SHA-256 commit id, in either case.
fn is_commit_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Lowercase hex of a sha256 digest.
pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_ignores_unknown_fields() {
        let text = r#"{"version":1,"repository":"o/r","head_repository":"f/r","head_ref":"b","head_sha":"0123456789abcdef0123456789abcdef01234567","checkout_sha":"",
            "run_id":7,"run_attempt":1,"job":"record","setup":"ollama","suite":"base","future":true,
            "files":[{"path":"tests/integration/recordings/x.json","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0,"status":"added"},
                     {"path":"tests/integration/recordings/y.json","status":"deleted"}]}"#;
        let m = Manifest::from_slice(text.as_bytes()).unwrap();
        assert_eq!(m.files.len(), 2);
        let again = serde_json::to_string(&m).unwrap();
        // The same keys in the same order (the job's fields flattened), without the unknown one
        // and without absent optional ones.
        let want = r#"{"version":1,"repository":"o/r","head_repository":"f/r","head_ref":"b","head_sha":"0123456789abcdef0123456789abcdef01234567","checkout_sha":"","run_id":7,"run_attempt":1,"job":"record","setup":"ollama","suite":"base","files":[{"path":"tests/integration/recordings/x.json","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0,"status":"added"},{"path":"tests/integration/recordings/y.json","status":"deleted"}]}"#;
        assert_eq!(again, want);
        assert_eq!(m.provenance.made_by.run_id, 7);
    }

    #[test]
    fn rejects_bad_digests_and_versions() {
        let bad = r#"{"version":1,"repository":"o/r","head_repository":"f/r","head_ref":"b","head_sha":"a","checkout_sha":"c",
            "run_id":7,"run_attempt":1,"job":"j","setup":"s","suite":"t","files":[{"path":"p","sha256":"XYZ","size":1,"status":"added"}]}"#;
        assert!(Manifest::from_slice(bad.as_bytes()).is_err());
        assert!(Manifest::from_slice(br#"{"version":2}"#).is_err());
    }

    #[test]
    fn a_head_sha_that_is_not_a_commit_id_is_refused_cleanly() {
        for sha in [
            "zz",
            "abc",
            "abcdefghijk\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}z",
            "0123456789abcdef0123456789abcdef0123456g",
        ] {
            let text = format!(
                r#"{{"version":1,"repository":"o/r","head_repository":"f/r","head_ref":"b","head_sha":"{sha}","checkout_sha":"",
                "run_id":7,"run_attempt":1,"job":"j","setup":"s","suite":"t","files":[]}}"#
            );
            let err = Manifest::from_slice(text.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(err.contains("not a commit id"), "{sha}: {err}");
        }
    }
}
