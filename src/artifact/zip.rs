//! Reading a downloaded artifact zip as hostile input: entry names are checked when the archive
//! is opened, and every byte is counted, capped and hashed while it is decompressed.
//!
//! Nothing here trusts the sizes in the zip's headers: they only allow an early refusal. Limits
//! are enforced on the decompressed stream itself, so a lying header cannot smuggle a bomb past
//! them. The archive is read from a file, one entry at a time; memory stays flat whatever its size.

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};
use zip::ZipArchive;

/// Compression ratio above which an entry is treated as a zip bomb...
pub const MAX_RATIO: u64 = 200;
/// ...once it has produced more than this many bytes (small files compress well legitimately).
pub const RATIO_FLOOR: u64 = 1024 * 1024;
/// More entries than this is not a recording artifact (and would bloat the central directory).
pub const MAX_ENTRIES: usize = 200_000;

/// Size limits for one artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted file (decompressed), `--max-file-size`.
    pub max_file_size: u64,
    /// Largest accepted artifact, summed over its decompressed files and its own zip size.
    pub max_artifact_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_size: 100 * 1024 * 1024,
            max_artifact_size: 2 * 1024 * 1024 * 1024,
        }
    }
}

/// Why an artifact was refused. `Display` names the artifact, the entry and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub artifact: String,
    pub entry: Option<String>,
    pub kind: RefusalKind,
    pub reason: String,
}

/// What kind of problem, for callers and tests that must tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// Absolute path, `..`, backslash, drive letter, control character.
    UnsafePath,
    Symlink,
    /// Not a regular file or directory (device, fifo, socket).
    SpecialFile,
    Duplicate,
    OutsideRecordings,
    /// A legacy file that cannot be placed without `--legacy-prefix`.
    Unmappable,
    TooLarge,
    ZipBomb,
    /// Truncated, corrupt, overlapping, encrypted or unsupported.
    Corrupt,
    BadManifest,
    Sha256Mismatch,
    SizeMismatch,
    MissingFromZip,
    NotInManifest,
    /// Two artifacts disagree about a path.
    Conflict,
}

impl Refusal {
    pub fn new(
        artifact: &str,
        entry: Option<&str>,
        kind: RefusalKind,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            artifact: artifact.to_owned(),
            entry: entry.map(str::to_owned),
            kind,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "artifact {}: ", self.artifact)?;
        if let Some(entry) = &self.entry {
            write!(f, "entry {entry:?} ")?;
        }
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Refusal {}

/// One entry of the central directory, as declared (sizes are claims, not facts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInfo {
    pub index: usize,
    pub name: String,
    pub is_dir: bool,
    pub declared_size: u64,
    pub compressed_size: u64,
}

/// What streaming an entry actually produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streamed {
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// An opened artifact whose entry names have all passed [`check_entry_name`].
pub struct ArtifactZip {
    label: String,
    archive: ZipArchive<BufReader<File>>,
    entries: Vec<EntryInfo>,
    limits: Limits,
    streamed_total: u64,
    /// Reused by every entry: per-entry buffers fragment the heap (see `stream`).
    buf: Vec<u8>,
}

impl fmt::Debug for ArtifactZip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArtifactZip")
            .field("label", &self.label)
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl ArtifactZip {
    /// Open the zip at `path` (named `label` in messages) and check its structure and names.
    pub fn open(label: &str, path: &Path, limits: Limits) -> Result<Self, Refusal> {
        let corrupt = |reason: String| Refusal::new(label, None, RefusalKind::Corrupt, reason);
        let file = File::open(path).map_err(|e| corrupt(format!("cannot be opened: {e}")))?;
        let len = file
            .metadata()
            .map_err(|e| corrupt(format!("cannot be read: {e}")))?
            .len();
        if len > limits.max_artifact_size {
            return Err(Refusal::new(
                label,
                None,
                RefusalKind::TooLarge,
                format!(
                    "is {len} bytes, over the {} byte limit per artifact",
                    limits.max_artifact_size
                ),
            ));
        }
        let mut archive =
            ZipArchive::new(BufReader::with_capacity(64 * 1024, file)).map_err(|e| {
                corrupt(format!(
                    "is not a readable zip (truncated or corrupt download?): {e}"
                ))
            })?;
        if archive.len() > MAX_ENTRIES {
            return Err(corrupt(format!(
                "has {} entries, more than the {MAX_ENTRIES} accepted",
                archive.len()
            )));
        }
        if archive.has_duplicate_names() {
            return Err(Refusal::new(
                label,
                None,
                RefusalKind::Duplicate,
                "contains the same entry name twice; it cannot be applied unambiguously",
            ));
        }
        // Entries sharing bytes are the classic non-recursive zip bomb; no honest zip has them.
        match archive.has_overlapping_entries() {
            Ok(false) => {}
            Ok(true) => {
                return Err(corrupt(
                    "has entries that overlap each other (a zip bomb?)".into(),
                ));
            }
            Err(e) => return Err(corrupt(format!("is corrupt: {e}"))),
        }
        let mut entries = Vec::with_capacity(archive.len());
        let mut declared_total: u64 = 0;
        for index in 0..archive.len() {
            let entry = archive
                .by_index_data(index)
                .map_err(|e| corrupt(format!("is corrupt: {e}")))?;
            let name = entry
                .name()
                .map_err(|e| corrupt(format!("has an unreadable entry name: {e}")))?
                .into_owned();
            let is_dir = name.ends_with('/');
            check_entry_name(&name).map_err(|reason| {
                Refusal::new(label, Some(&name), RefusalKind::UnsafePath, reason)
            })?;
            // The upper 16 bits hold a unix mode whatever "made by" system the header claims.
            let file_type = (entry.external_attributes() >> 16) & 0o170_000;
            match file_type {
                0o120_000 => {
                    return Err(Refusal::new(
                        label,
                        Some(&name),
                        RefusalKind::Symlink,
                        "is a symbolic link",
                    ));
                }
                0 | 0o100_000 | 0o040_000 => {}
                other => {
                    return Err(Refusal::new(
                        label,
                        Some(&name),
                        RefusalKind::SpecialFile,
                        format!("is not a regular file (unix file type {other:o})"),
                    ));
                }
            }
            if entry.encrypted() {
                return Err(Refusal::new(
                    label,
                    Some(&name),
                    RefusalKind::Corrupt,
                    "is encrypted",
                ));
            }
            if entry.size() > limits.max_file_size {
                return Err(too_large_file(
                    label,
                    &name,
                    entry.size(),
                    limits.max_file_size,
                ));
            }
            declared_total = declared_total.saturating_add(entry.size());
            entries.push(EntryInfo {
                index,
                name,
                is_dir,
                declared_size: entry.size(),
                compressed_size: entry.compressed_size(),
            });
        }
        if declared_total > limits.max_artifact_size {
            return Err(too_large_artifact(label, limits.max_artifact_size));
        }
        Ok(Self {
            label: label.to_owned(),
            archive,
            entries,
            limits,
            streamed_total: 0,
            buf: vec![0u8; 64 * 1024],
        })
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn entries(&self) -> &[EntryInfo] {
        &self.entries
    }

    /// The index of the entry named exactly `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.name == name)
    }

    /// Decompress entry `index` into `out`, enforcing every limit on the bytes actually produced
    /// and hashing them on the way.
    pub fn stream(&mut self, index: usize, out: &mut dyn Write) -> Result<Streamed, Refusal> {
        let info = self.entries.get(index).cloned().ok_or_else(|| {
            Refusal::new(
                &self.label,
                None,
                RefusalKind::Corrupt,
                format!("has no entry number {index}"),
            )
        })?;
        let label = self.label.clone();
        let refuse = |kind, reason: String| Refusal::new(&label, Some(&info.name), kind, reason);
        let mut entry = self
            .archive
            .by_index(index)
            .map_err(|e| refuse(RefusalKind::Corrupt, format!("cannot be read: {e}")))?;
        let mut hasher = Sha256::new();
        let buf = &mut self.buf;
        let mut size: u64 = 0;
        loop {
            let n = match entry.read(buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(refuse(
                        RefusalKind::Corrupt,
                        format!("is corrupt or truncated: {e}"),
                    ));
                }
            };
            size += n as u64;
            if size > self.limits.max_file_size {
                return Err(too_large_file(
                    &label,
                    &info.name,
                    size,
                    self.limits.max_file_size,
                ));
            }
            if self.streamed_total + size > self.limits.max_artifact_size {
                return Err(too_large_artifact(&label, self.limits.max_artifact_size));
            }
            if size > RATIO_FLOOR && size > info.compressed_size.saturating_mul(MAX_RATIO) {
                return Err(refuse(
                    RefusalKind::ZipBomb,
                    format!(
                        "decompresses to more than {MAX_RATIO} times its {} compressed bytes (a zip bomb?)",
                        info.compressed_size
                    ),
                ));
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])
                .map_err(|e| refuse(RefusalKind::Corrupt, format!("could not be staged: {e}")))?;
        }
        if size != info.declared_size {
            return Err(refuse(
                RefusalKind::Corrupt,
                format!(
                    "declares {} bytes but holds {size}; the zip is corrupt",
                    info.declared_size
                ),
            ));
        }
        self.streamed_total += size;
        Ok(Streamed {
            size,
            sha256: super::manifest::hex(&hasher.finalize()),
        })
    }
}

fn too_large_file(label: &str, name: &str, size: u64, limit: u64) -> Refusal {
    Refusal::new(
        label,
        Some(name),
        RefusalKind::TooLarge,
        format!(
            "is {size} bytes or more, over the {limit} byte limit per file (raise it with --max-file-size)"
        ),
    )
}

fn too_large_artifact(label: &str, limit: u64) -> Refusal {
    Refusal::new(
        label,
        None,
        RefusalKind::TooLarge,
        format!("holds more than {limit} bytes, the limit per artifact"),
    )
}

/// Whether a zip entry name is a plain relative path; the reason when it is not.
///
/// Stricter than any unzip: names must already be normalised (no `.`, `..` or empty segments)
/// so that one file has exactly one spelling, and nothing Windows would read as a separator or a
/// drive is allowed.
pub fn check_entry_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("has an empty name".into());
    }
    if name.starts_with('/') {
        return Err("is an absolute path".into());
    }
    if name.contains('\\') {
        return Err("contains a backslash (a Windows path separator)".into());
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err("starts with a drive letter".into());
    }
    if cfg!(windows) && name.contains(':') {
        return Err("contains a colon (an NTFS stream name)".into());
    }
    if name.chars().any(char::is_control) {
        return Err("contains control characters".into());
    }
    let trimmed = name.strip_suffix('/').unwrap_or(name);
    for segment in trimmed.split('/') {
        match segment {
            ".." => return Err("escapes the repository".into()),
            "." | "" => return Err("is not a normalised path (`.` or empty segment)".into()),
            s if s.eq_ignore_ascii_case(".git") => return Err("writes into .git".into()),

            // Windows drops trailing dots and spaces (so `.git.` is `.git`) and maps device
            // names to devices; release binaries run there too.
            s if s.ends_with('.') || s.ends_with(' ') => {
                return Err("has a segment ending in a dot or space (ambiguous on Windows)".into());
            }
            s if is_windows_device(s) => {
                return Err("names a Windows device (CON, NUL, COM1, ...)".into());
            }
            s => crate::paths::check_segment(s)?,
        }
    }
    Ok(())
}

/// `CON`, `PRN`, `AUX`, `NUL`, `COM1`-`COM9`, `LPT1`-`LPT9`, with or without an extension.
fn is_windows_device(segment: &str) -> bool {
    let stem = segment
        .split('.')
        .next()
        .unwrap_or(segment)
        .to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (stem.len() == 4
            && (stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.as_bytes()[3].is_ascii_digit()
            && stem.as_bytes()[3] != b'0')
}

#[cfg(test)]
#[path = "zip_tests.rs"]
mod tests;

/// Zip builders shared by the unit tests here and the behaviour tests in `tests/`.
#[cfg(test)]
#[path = "../../tests/it/support/zips.rs"]
pub(crate) mod test_zips;
