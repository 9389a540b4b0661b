//! From an opened artifact to verified files: where each entry goes (the manifest's paths, or
//! the legacy flattened layout), that it is a recording, and that its bytes are the ones the
//! manifest promised. Then several artifacts are merged into one set of incoming changes.
//!
//! Every structural check runs before a single byte is decompressed; contents are checked while
//! they stream into the staging directory (or nowhere, for a dry run).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use super::manifest::{FileStatus, MANIFEST_NAME, Manifest};
use super::zip::{ArtifactRefusal, ArtifactZip, Limits, RefusalKind, check_entry_name};
use crate::neutralise::commit_text;
use crate::recordings::Globs;

/// Characters of a manifest's `setup`/`suite` quoted in a commit message.
const MAX_MESSAGE_FIELD: usize = 100;

/// Manifests larger than this are not manifests (3,000 recordings take about 500 KB).
const MAX_MANIFEST_SIZE: usize = 16 * 1024 * 1024;

/// How entries become repository paths.
#[derive(Debug, Clone, Copy)]
pub struct MapOptions<'a> {
    pub globs: &'a Globs,
    /// `--legacy-prefix`: where a legacy artifact's unmappable (root-level) files go.
    pub legacy_prefix: Option<&'a str>,
}

/// Where verified files are written before they are moved into the work tree.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    next: usize,
}

impl Staging {
    /// `dir` must exist and be on the work tree's filesystem (a directory under `.git/`).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            next: 0,
        }
    }

    /// A fresh file with a flat name: artifact paths never shape the staging directory.
    fn create(&mut self) -> std::io::Result<(PathBuf, File)> {
        self.next += 1;
        let path = self.dir.join(format!("{:06}", self.next));
        let file = File::options().write(true).create_new(true).open(&path)?;
        Ok((path, file))
    }
}

/// A file whose bytes passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedFile {
    /// Repo-relative, `/`-separated.
    pub path: String,
    pub size: u64,
    pub sha256: String,
    /// The staged copy (`None` on a dry run).
    pub staged: Option<PathBuf>,
    /// The artifact it came from.
    pub artifact: String,
}

/// One artifact, verified.
#[derive(Debug, Clone)]
pub struct VerifiedArtifact {
    pub artifact: String,
    pub manifest: Option<Manifest>,
    pub files: Vec<VerifiedFile>,
    pub warnings: Vec<String>,
}

impl VerifiedArtifact {
    /// Paths the manifest marks deleted (none without a manifest).
    pub fn deleted(&self) -> impl Iterator<Item = &str> {
        self.manifest
            .iter()
            .flat_map(|m| &m.files)
            .filter(|f| f.status == FileStatus::Deleted)
            .map(|f| f.path.as_str())
    }
}

struct Planned {
    entry: usize,
    path: String,
    expected: Option<(u64, String)>,
}

/// Map, check and stream every file of `zip`. With `staging`, verified bytes land there; without,
/// they are only hashed. Any problem refuses the whole artifact.
pub fn read_artifact(
    zip: &mut ArtifactZip,
    opts: MapOptions<'_>,
    mut staging: Option<&mut Staging>,
) -> Result<VerifiedArtifact, ArtifactRefusal> {
    let label = zip.label().to_owned();
    let manifest = read_manifest(zip)?;
    let mut warnings = Vec::new();
    let planned = match &manifest {
        Some(m) => plan_from_manifest(zip, m, opts.globs)?,
        None => {
            warnings.push(format!(
                "artifact {label} has no {MANIFEST_NAME} (made by the old recording action): its paths were \
                 mapped from its layout and its contents could not be verified"
            ));
            plan_legacy(zip, opts)?
        }
    };
    let mut files = Vec::with_capacity(planned.len());
    for p in planned {
        let refuse =
            |kind, reason: String| ArtifactRefusal::new(&label, Some(&p.path), kind, reason);
        let (staged, streamed) = match staging.as_deref_mut() {
            Some(stage) => {
                let (path, file) = stage.create().map_err(|e| {
                    refuse(RefusalKind::Corrupt, format!("could not be staged: {e}"))
                })?;
                let mut out = BufWriter::with_capacity(64 * 1024, file);
                let streamed = zip.stream(p.entry, &mut out)?;
                out.into_inner().map_err(|e| {
                    refuse(
                        RefusalKind::Corrupt,
                        format!("could not be staged: {}", e.error()),
                    )
                })?;
                (Some(path), streamed)
            }
            None => (None, zip.stream(p.entry, &mut std::io::sink())?),
        };
        if let Some((size, sha256)) = &p.expected {
            if streamed.size != *size {
                return Err(refuse(
                    RefusalKind::SizeMismatch,
                    format!("is {} bytes but {MANIFEST_NAME} says {size}", streamed.size),
                ));
            }
            if streamed.sha256 != *sha256 {
                return Err(refuse(
                    RefusalKind::Sha256Mismatch,
                    format!(
                        "has sha256 {} but {MANIFEST_NAME} says {sha256}",
                        streamed.sha256
                    ),
                ));
            }
        }
        files.push(VerifiedFile {
            path: p.path,
            size: streamed.size,
            sha256: streamed.sha256,
            staged,
            artifact: label.clone(),
        });
    }
    Ok(VerifiedArtifact {
        artifact: label,
        manifest,
        files,
        warnings,
    })
}

fn read_manifest(zip: &mut ArtifactZip) -> Result<Option<Manifest>, ArtifactRefusal> {
    let Some(index) = zip.find(MANIFEST_NAME) else {
        return Ok(None);
    };
    let label = zip.label().to_owned();
    let bad = |reason: String| {
        ArtifactRefusal::new(
            &label,
            Some(MANIFEST_NAME),
            RefusalKind::BadManifest,
            reason,
        )
    };
    if zip.entries()[index].declared_size > MAX_MANIFEST_SIZE as u64 {
        return Err(bad(format!("is larger than {MAX_MANIFEST_SIZE} bytes")));
    }
    let mut bytes = CappedVec(Vec::new());
    zip.stream(index, &mut bytes)?;
    let manifest =
        Manifest::from_slice(&bytes.0).map_err(|e| bad(format!("is unusable: {e:#}")))?;
    Ok(Some(manifest))
}

/// A `Vec` sink that refuses to grow past the manifest limit whatever the headers said.
struct CappedVec(Vec<u8>);

impl Write for CappedVec {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_MANIFEST_SIZE {
            return Err(std::io::Error::other("manifest too large"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn plan_from_manifest(
    zip: &ArtifactZip,
    manifest: &Manifest,
    globs: &Globs,
) -> Result<Vec<Planned>, ArtifactRefusal> {
    let label = zip.label();
    let refuse =
        |path: &str, kind, reason: String| ArtifactRefusal::new(label, Some(path), kind, reason);
    let listed = index_manifest(label, manifest, globs)?;
    let mut planned = Vec::new();
    let mut present = BTreeSet::new();
    for entry in zip.entries() {
        if entry.is_dir || entry.name == MANIFEST_NAME {
            continue;
        }
        let Some(f) = listed.get(entry.name.as_str()) else {
            return Err(refuse(
                &entry.name,
                RefusalKind::NotInManifest,
                format!("is not listed in {MANIFEST_NAME}"),
            ));
        };
        if f.status == FileStatus::Deleted {
            return Err(refuse(
                &entry.name,
                RefusalKind::BadManifest,
                format!("is in the zip but {MANIFEST_NAME} marks it deleted"),
            ));
        }
        let (Some(size), Some(sha256)) = (f.size, f.sha256.clone()) else {
            unreachable!("Manifest::from_slice requires size and sha256 for present files")
        };
        if entry.declared_size != size {
            return Err(refuse(
                &entry.name,
                RefusalKind::SizeMismatch,
                format!(
                    "is {} bytes but {MANIFEST_NAME} says {size}",
                    entry.declared_size
                ),
            ));
        }
        present.insert(entry.name.as_str());
        planned.push(Planned {
            entry: entry.index,
            path: entry.name.clone(),
            expected: Some((size, sha256)),
        });
    }
    check_present(label, manifest, &present)?;
    Ok(planned)
}

/// The manifest's files by path, refusing an unsafe, duplicate or out-of-glob entry.
fn index_manifest<'m>(
    label: &str,
    manifest: &'m Manifest,
    globs: &Globs,
) -> Result<HashMap<&'m str, &'m super::manifest::ManifestFile>, ArtifactRefusal> {
    let refuse =
        |path: &str, kind, reason: String| ArtifactRefusal::new(label, Some(path), kind, reason);
    let mut listed: HashMap<&str, &super::manifest::ManifestFile> = HashMap::new();
    for f in &manifest.files {
        check_entry_name(&f.path).map_err(|reason| {
            refuse(
                &f.path,
                RefusalKind::UnsafePath,
                format!("(listed in {MANIFEST_NAME}) {reason}"),
            )
        })?;
        if f.path.ends_with('/') || f.path == MANIFEST_NAME {
            return Err(refuse(
                &f.path,
                RefusalKind::BadManifest,
                format!("is not a file {MANIFEST_NAME} may list"),
            ));
        }
        if !globs.matches(&f.path) {
            return Err(outside(label, &f.path, globs));
        }
        if listed.insert(f.path.as_str(), f).is_some() {
            return Err(refuse(
                &f.path,
                RefusalKind::BadManifest,
                format!("is listed twice in {MANIFEST_NAME}"),
            ));
        }
    }
    Ok(listed)
}

/// Refuse a file the manifest lists as present that the zip lacks.
fn check_present(
    label: &str,
    manifest: &Manifest,
    present: &BTreeSet<&str>,
) -> Result<(), ArtifactRefusal> {
    let missing = manifest
        .files
        .iter()
        .find(|f| f.status != FileStatus::Deleted && !present.contains(f.path.as_str()));
    match missing {
        Some(f) => Err(ArtifactRefusal::new(
            label,
            Some(&f.path),
            RefusalKind::MissingFromZip,
            format!("is listed in {MANIFEST_NAME} but missing from the zip"),
        )),
        None => Ok(()),
    }
}

fn plan_legacy(zip: &ArtifactZip, opts: MapOptions<'_>) -> Result<Vec<Planned>, ArtifactRefusal> {
    let label = zip.label();
    let mut planned = Vec::new();
    let mut targets: HashMap<String, &str> = HashMap::new();
    for entry in zip.entries().iter().filter(|e| !e.is_dir) {
        let Some(path) = legacy_target(&entry.name, opts.legacy_prefix) else {
            return Err(ArtifactRefusal::new(
                label,
                Some(&entry.name),
                RefusalKind::Unmappable,
                format!(
                    "cannot be placed: the artifact has no {MANIFEST_NAME} and this file sits outside any \
                     recordings/ folder (a single module's recordings?); pass --legacy-prefix \
                     tests/integration/MODULE/recordings to say where its files go"
                ),
            ));
        };
        if !opts.globs.matches(&path) {
            return Err(outside(label, &entry.name, opts.globs));
        }
        if let Some(first) = targets.insert(path.clone(), &entry.name) {
            return Err(ArtifactRefusal::new(
                label,
                Some(&entry.name),
                RefusalKind::Duplicate,
                format!("maps to {path}, like entry {first:?}"),
            ));
        }
        planned.push(Planned {
            entry: entry.index,
            path,
            expected: None,
        });
    }
    Ok(planned)
}

/// Where a file of a manifest-less artifact goes. upload-artifact roots the zip at the least
/// common ancestor of its paths, so `tests/integration/` is usually cut off: a file inside a
/// `recordings/` folder at any depth (`recordings/…`, `agents/recordings/…`,
/// `providers/nvidia/recordings/…`) goes under `tests/integration/`.
pub fn legacy_target(name: &str, legacy_prefix: Option<&str>) -> Option<String> {
    let segments: Vec<&str> = name.split('/').collect();
    if name.starts_with("tests/integration/") {
        Some(name.to_owned())
    } else if segments[..segments.len().saturating_sub(1)].contains(&"recordings") {
        Some(format!("tests/integration/{name}"))
    } else {
        legacy_prefix.map(|prefix| format!("{}/{name}", prefix.trim_end_matches('/')))
    }
}

fn outside(label: &str, path: &str, globs: &Globs) -> ArtifactRefusal {
    ArtifactRefusal::new(
        label,
        Some(path),
        RefusalKind::OutsideRecordings,
        format!("is not a recording (the recording globs are {globs})"),
    )
}

/// Open, verify and merge downloaded artifacts, given as (name, zip file), in order, against
/// `base` (see [`merge_against`]). Errors are
/// a [`ArtifactRefusal`] or [`Conflicts`]; nothing is staged for a refused set that the caller keeps.
pub fn verify_all(
    zips: &[(String, PathBuf)],
    limits: Limits,
    opts: MapOptions<'_>,
    mut staging: Option<&mut Staging>,
    base: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Incoming> {
    let mut verified = Vec::with_capacity(zips.len());
    let mut unpacked = 0;
    for (label, path) in zips {
        let mut zip = ArtifactZip::open_in_run(label, path, limits, unpacked)?;
        verified.push(read_artifact(&mut zip, opts, staging.as_deref_mut())?);
        unpacked += zip.streamed_total();
    }
    Ok(merge_against(verified, base)?)
}

/// Every artifact's changes as one set.
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    pub files: BTreeMap<String, VerifiedFile>,
    /// Path -> the artifact that deletes it.
    pub deleted: BTreeMap<String, String>,
    pub manifests: Vec<Manifest>,
    pub warnings: Vec<String>,
    /// The manifest-less artifacts (each carries whole recordings folders).
    pub whole_folders: BTreeSet<String>,
}

impl Incoming {
    /// The message of the commit that applies these recordings: `Recordings from CI run N
    /// (setup, suite)`, with every distinct setup/suite pair of the manifests.
    pub fn commit_message(&self, run_id: u64) -> String {
        let mut pairs: Vec<String> = self
            .manifests
            .iter()
            // Manifests are the run's word: one line each, so no forged trailer or control.
            .map(|m| {
                format!(
                    "{}, {}",
                    commit_text(&m.setup, MAX_MESSAGE_FIELD),
                    commit_text(&m.suite, MAX_MESSAGE_FIELD)
                )
            })
            .collect();
        pairs.sort();
        pairs.dedup();
        if pairs.is_empty() {
            format!("Recordings from CI run {run_id}")
        } else {
            format!("Recordings from CI run {run_id} ({})", pairs.join("; "))
        }
    }
}

/// Add `file` to `incoming` unless an artifact already brought that path: the same bytes are
/// fine; a whole-folder copy equal to HEAD (`at_head`, asked only here) yields to the other
/// copy; anything else is a conflict.
fn admit(
    incoming: &mut Incoming,
    file: VerifiedFile,
    at_head: &mut impl FnMut(&str) -> Option<String>,
) -> Option<Conflict> {
    let Some(prev) = incoming.files.get(&file.path) else {
        incoming.files.insert(file.path.clone(), file);
        return None;
    };
    if prev.sha256 == file.sha256 {
        return None;
    }
    let head = at_head(&file.path);
    let unchanged = |f: &VerifiedFile| {
        incoming.whole_folders.contains(&f.artifact) && head.as_deref() == Some(f.sha256.as_str())
    };
    if unchanged(&file) {
        return None;
    }
    if unchanged(prev) {
        incoming.files.insert(file.path.clone(), file);
        return None;
    }
    Some(Conflict {
        path: file.path.clone(),
        first: prev.artifact.clone(),
        second: file.artifact.clone(),
        reason: "different contents",
    })
}

/// Artifacts that disagree about paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflicts(pub Vec<Conflict>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub path: String,
    pub first: String,
    pub second: String,
    pub reason: &'static str,
}

impl fmt::Display for Conflicts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the artifacts disagree about {} file(s):", self.0.len())?;
        for c in &self.0 {
            write!(
                f,
                "\n  {} ({} vs {}: {})",
                c.path, c.first, c.second, c.reason
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Conflicts {}

/// Merge verified artifacts (matrix jobs). The same file with the same bytes twice is fine;
/// different bytes, a file one deletes and another writes, or two spellings that differ only in
/// case (one file on macOS and Windows) are conflicts.
pub fn merge(artifacts: Vec<VerifiedArtifact>) -> Result<Incoming, Conflicts> {
    merge_against(artifacts, |_| None)
}

/// [`merge`], knowing the checkout: `base(path)` is the sha256 of `path` at HEAD (asked only for
/// paths the artifacts disagree about). A manifest-less artifact carries whole recordings
/// folders, the other jobs' files included in their old state: its copy equal to HEAD is no
/// change, so another artifact's different copy is the change, not a conflict. Only two
/// different changes to one path conflict.
pub fn merge_against(
    artifacts: Vec<VerifiedArtifact>,
    base: impl Fn(&str) -> Option<String>,
) -> Result<Incoming, Conflicts> {
    let mut incoming = Incoming::default();
    let mut conflicts = Vec::new();
    let mut bases: HashMap<String, Option<String>> = HashMap::new();
    for artifact in artifacts {
        for path in artifact.deleted() {
            incoming
                .deleted
                .entry(path.to_owned())
                .or_insert_with(|| artifact.artifact.clone());
        }
        incoming.warnings.extend(artifact.warnings);
        let whole_folders = artifact.manifest.is_none();
        incoming.manifests.extend(artifact.manifest);
        if whole_folders {
            incoming.whole_folders.insert(artifact.artifact.clone());
        }
        for file in artifact.files {
            let mut at_head = |path: &str| {
                bases
                    .entry(path.to_owned())
                    .or_insert_with(|| base(path))
                    .clone()
            };
            conflicts.extend(admit(&mut incoming, file, &mut at_head));
        }
    }
    for (path, by) in &incoming.deleted {
        if let Some(file) = incoming.files.get(path) {
            conflicts.push(Conflict {
                path: path.clone(),
                first: file.artifact.clone(),
                second: by.clone(),
                reason: "written by one, deleted by the other",
            });
        }
    }
    // macOS and Windows store names that differ only in case or in Unicode normalisation (NFC
    // vs NFD) as one file: such a pair is one file written twice.
    let mut folded: HashMap<String, (&str, &str)> = HashMap::new();
    let all = incoming
        .files
        .iter()
        .map(|(p, f)| (p.as_str(), f.artifact.as_str()))
        .chain(
            incoming
                .deleted
                .iter()
                .map(|(p, a)| (p.as_str(), a.as_str())),
        );
    for (path, artifact) in all {
        match folded.insert(crate::paths::collision_key(path), (path, artifact)) {
            Some((other, other_artifact)) if other != path => conflicts.push(Conflict {
                path: format!("{path} / {other}"),
                first: other_artifact.to_owned(),
                second: artifact.to_owned(),
                reason: "names differ only in case or Unicode normalisation",
            }),
            _ => {}
        }
    }
    if conflicts.is_empty() {
        Ok(incoming)
    } else {
        Err(Conflicts(conflicts))
    }
}

/// Validate a `--legacy-prefix` value: a relative, normalised directory inside the recordings.
pub fn check_legacy_prefix(prefix: &str, globs: &Globs) -> Result<(), String> {
    let trimmed = prefix.trim_end_matches('/');
    check_entry_name(trimmed).map_err(|reason| format!("--legacy-prefix {prefix:?} {reason}"))?;
    if !globs.matches(&format!("{trimmed}/x")) {
        return Err(format!(
            "--legacy-prefix {prefix:?} is not inside the recording globs ({globs})"
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
