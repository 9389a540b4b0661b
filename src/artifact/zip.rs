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
/// A central directory larger than this is refused before it is read: 200,000 entries with long
/// paths take about 50 MB.
pub const MAX_CENTRAL_DIRECTORY: u64 = 128 * 1024 * 1024;
/// The default cap on all artifacts of a run together, downloaded and unpacked alike
/// (`RERECORD_MAX_TOTAL_SIZE` overrides it).
pub const DEFAULT_MAX_TOTAL_SIZE: u64 = 2 * 1024 * 1024 * 1024;

/// Size limits for one artifact, and for all artifacts of a run together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted file (decompressed), `--max-file-size`.
    pub max_file_size: u64,
    /// Largest accepted artifact, summed over its decompressed files and its own zip size.
    pub max_artifact_size: u64,
    /// Largest accepted sum over every artifact of the run (their zips as downloaded, and
    /// separately their decompressed files).
    pub max_total_size: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_size: 100 * 1024 * 1024,
            max_artifact_size: 2 * 1024 * 1024 * 1024,
            max_total_size: DEFAULT_MAX_TOTAL_SIZE,
        }
    }
}

impl Limits {
    /// The defaults with `max_total_size` from `RERECORD_MAX_TOTAL_SIZE` (bytes) when set.
    pub fn from_env() -> anyhow::Result<Self> {
        let mut limits = Self::default();
        if let Some(text) = std::env::var("RERECORD_MAX_TOTAL_SIZE")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            limits.max_total_size = text.trim().parse().map_err(|_| {
                anyhow::anyhow!("RERECORD_MAX_TOTAL_SIZE={text:?} is not a number of bytes")
            })?;
        }
        Ok(limits)
    }
}

/// Why an artifact was refused. `Display` names the artifact, the entry and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactRefusal {
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
}

impl ArtifactRefusal {
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

impl fmt::Display for ArtifactRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "artifact {}: ", self.artifact)?;
        if let Some(entry) = &self.entry {
            write!(f, "entry {entry:?} ")?;
        }
        f.write_str(&self.reason)
    }
}

impl std::error::Error for ArtifactRefusal {}

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

/// The first entry name the central directory at `dir_start` holds twice. The zip reader keeps
/// one entry per name, so the names are read again from the central directory's headers.
fn duplicate_name(path: &Path, dir_start: u64) -> Option<String> {
    use std::io::{Seek, SeekFrom};
    let mut file = BufReader::new(File::open(path).ok()?);
    file.seek(SeekFrom::Start(dir_start)).ok()?;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..=MAX_ENTRIES {
        let mut header = [0u8; 46];
        file.read_exact(&mut header).ok()?;
        if header[..4] != *b"PK\x01\x02" {
            return None;
        }
        let field = |at: usize| u16::from_le_bytes([header[at], header[at + 1]]);
        let mut name = vec![0u8; usize::from(field(28))];
        file.read_exact(&mut name).ok()?;
        let skip = i64::from(field(30)) + i64::from(field(32));
        file.seek_relative(skip).ok()?;
        if !seen.insert(name.clone()) {
            return Some(String::from_utf8_lossy(&name).into_owned());
        }
    }
    None
}

/// An opened artifact whose entry names have all passed [`check_entry_name`].
pub struct ArtifactZip {
    label: String,
    archive: ZipArchive<BufReader<File>>,
    entries: Vec<EntryInfo>,
    limits: Limits,
    streamed_total: u64,
    /// What earlier artifacts of the run already unpacked (counts against `max_total_size`).
    run_before: u64,
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
    pub fn open(label: &str, path: &Path, limits: Limits) -> Result<Self, ArtifactRefusal> {
        Self::open_in_run(label, path, limits, 0)
    }

    /// [`ArtifactZip::open`] for one artifact of several: `run_before` bytes were unpacked from
    /// the run's earlier artifacts.
    pub fn open_in_run(
        label: &str,
        path: &Path,
        limits: Limits,
        run_before: u64,
    ) -> Result<Self, ArtifactRefusal> {
        let corrupt =
            |reason: String| ArtifactRefusal::new(label, None, RefusalKind::Corrupt, reason);
        let mut file = File::open(path).map_err(|e| corrupt(format!("cannot be opened: {e}")))?;
        let len = file
            .metadata()
            .map_err(|e| corrupt(format!("cannot be read: {e}")))?
            .len();
        if len > limits.max_artifact_size {
            return Err(ArtifactRefusal::new(
                label,
                None,
                RefusalKind::TooLarge,
                format!(
                    "is {len} bytes, over the {} byte limit per artifact",
                    limits.max_artifact_size
                ),
            ));
        }
        // The zip crate allocates for every entry the end record claims: count them first.
        check_end_records(label, &mut file, len)?;
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
            let name = duplicate_name(path, archive.central_directory_start());
            return Err(ArtifactRefusal::new(
                label,
                name.as_deref(),
                RefusalKind::Duplicate,
                "is in the zip twice (the same entry name); it cannot be applied unambiguously",
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
        let entries = read_entries(label, &mut archive, limits)?;
        let declared_total = entries
            .iter()
            .fold(0u64, |sum, e| sum.saturating_add(e.declared_size));
        if declared_total > limits.max_artifact_size {
            return Err(too_large_artifact(label, limits.max_artifact_size));
        }
        if run_before.saturating_add(declared_total) > limits.max_total_size {
            return Err(too_large_run(label, limits.max_total_size));
        }
        Ok(Self {
            label: label.to_owned(),
            archive,
            entries,
            limits,
            streamed_total: 0,
            run_before,
            buf: vec![0u8; 64 * 1024],
        })
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// Bytes unpacked so far from this artifact.
    pub fn streamed_total(&self) -> u64 {
        self.streamed_total
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
    pub fn stream(
        &mut self,
        index: usize,
        out: &mut dyn Write,
    ) -> Result<Streamed, ArtifactRefusal> {
        let info = self.entries.get(index).cloned().ok_or_else(|| {
            ArtifactRefusal::new(
                &self.label,
                None,
                RefusalKind::Corrupt,
                format!("has no entry number {index}"),
            )
        })?;
        let label = self.label.clone();
        let refuse =
            |kind, reason: String| ArtifactRefusal::new(&label, Some(&info.name), kind, reason);
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
            if self.run_before + self.streamed_total + size > self.limits.max_total_size {
                return Err(too_large_run(&label, self.limits.max_total_size));
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

/// Refuse a zip whose end records claim more entries or a larger central directory than we
/// accept, before the zip crate allocates for them.
fn check_end_records(label: &str, file: &mut File, len: u64) -> Result<(), ArtifactRefusal> {
    let corrupt = |reason: String| ArtifactRefusal::new(label, None, RefusalKind::Corrupt, reason);
    let claims =
        end_record_claims(file, len).map_err(|e| corrupt(format!("cannot be read: {e}")))?;
    if claims.entries > MAX_ENTRIES as u64 {
        return Err(corrupt(format!(
            "has {} entries by its end-of-central-directory record, more than the {MAX_ENTRIES} accepted",
            claims.entries
        )));
    }
    if claims.directory_size > MAX_CENTRAL_DIRECTORY {
        return Err(corrupt(format!(
            "has a central directory of {} bytes by its end record, more than the {MAX_CENTRAL_DIRECTORY} accepted",
            claims.directory_size
        )));
    }
    Ok(())
}

/// Every central directory entry, checked: name, file type, encryption, declared size.
fn read_entries(
    label: &str,
    archive: &mut ZipArchive<BufReader<File>>,
    limits: Limits,
) -> Result<Vec<EntryInfo>, ArtifactRefusal> {
    let corrupt = |reason: String| ArtifactRefusal::new(label, None, RefusalKind::Corrupt, reason);
    let mut entries = Vec::with_capacity(archive.len());
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
            ArtifactRefusal::new(label, Some(&name), RefusalKind::UnsafePath, reason)
        })?;
        // The upper 16 bits hold a unix mode whatever "made by" system the header claims.
        let file_type = (entry.external_attributes() >> 16) & 0o170_000;
        match file_type {
            0o120_000 => {
                return Err(ArtifactRefusal::new(
                    label,
                    Some(&name),
                    RefusalKind::Symlink,
                    "is a symbolic link",
                ));
            }
            0 | 0o100_000 | 0o040_000 => {}
            other => {
                return Err(ArtifactRefusal::new(
                    label,
                    Some(&name),
                    RefusalKind::SpecialFile,
                    format!("is not a regular file (unix file type {other:o})"),
                ));
            }
        }
        if entry.encrypted() {
            return Err(ArtifactRefusal::new(
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
        entries.push(EntryInfo {
            index,
            name,
            is_dir,
            declared_size: entry.size(),
            compressed_size: entry.compressed_size(),
        });
    }
    Ok(entries)
}

fn too_large_file(label: &str, name: &str, size: u64, limit: u64) -> ArtifactRefusal {
    ArtifactRefusal::new(
        label,
        Some(name),
        RefusalKind::TooLarge,
        format!(
            "is {size} bytes or more, over the {limit} byte limit per file (raise it with --max-file-size)"
        ),
    )
}

fn too_large_artifact(label: &str, limit: u64) -> ArtifactRefusal {
    ArtifactRefusal::new(
        label,
        None,
        RefusalKind::TooLarge,
        format!("holds more than {limit} bytes, the limit per artifact"),
    )
}

fn too_large_run(label: &str, limit: u64) -> ArtifactRefusal {
    ArtifactRefusal::new(
        label,
        None,
        RefusalKind::TooLarge,
        format!(
            "takes the run's artifacts over {limit} bytes, the limit for all artifacts of a run together \
             (raise it with RERECORD_MAX_TOTAL_SIZE)"
        ),
    )
}

/// What the end records of a zip claim, the largest over every candidate: the zip crate tries
/// several, so none may claim more than we accept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndClaims {
    pub entries: u64,
    pub directory_size: u64,
}

const EOCD_SIG: [u8; 4] = *b"PK\x05\x06";
const ZIP64_LOCATOR_SIG: [u8; 4] = *b"PK\x06\x07";
const ZIP64_EOCD_SIG: [u8; 4] = *b"PK\x06\x06";

/// Read the entry count and central directory size from the end-of-central-directory record
/// (and its zip64 record) without parsing the directory: every signature in the last 64 KiB
/// (the comment's maximum) counts, and for zip64 every record between the locator's offset and
/// the locator. Memory stays a 64 KiB window whatever the zip claims.
pub fn end_record_claims(file: &mut File, len: u64) -> std::io::Result<EndClaims> {
    use std::io::{Seek, SeekFrom};
    let tail_len = len.min(22 + 65_535 + 4);
    let tail_start = len - tail_len;
    let mut tail = vec![0u8; tail_len as usize];
    file.seek(SeekFrom::Start(tail_start))?;
    file.read_exact(&mut tail)?;
    let u16_at = |b: &[u8], at: usize| u64::from(u16::from_le_bytes([b[at], b[at + 1]]));
    let u32_at =
        |b: &[u8], at: usize| u64::from(u32::from_le_bytes(b[at..at + 4].try_into().unwrap()));
    let u64_at = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    let mut claims = EndClaims::default();
    for at in (0..tail.len().saturating_sub(21)).filter(|&i| tail[i..i + 4] == EOCD_SIG) {
        let eocd = &tail[at..at + 22];
        claims.entries = claims.entries.max(u16_at(eocd, 10));
        claims.directory_size = claims.directory_size.max(u32_at(eocd, 12));
        let eocd_pos = tail_start + at as u64;
        if eocd_pos < 20 {
            continue;
        }
        let mut locator = [0u8; 20];
        file.seek(SeekFrom::Start(eocd_pos - 20))?;
        file.read_exact(&mut locator)?;
        if locator[..4] != ZIP64_LOCATOR_SIG {
            continue;
        }
        let from = u64_at(&locator, 8);
        let to = eocd_pos - 20;
        scan_zip64_records(file, from, to, &mut claims)?;
    }
    Ok(claims)
}

/// Every zip64 end record starting in `[from, to)`, read through a 64 KiB window.
fn scan_zip64_records(
    file: &mut File,
    from: u64,
    to: u64,
    claims: &mut EndClaims,
) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    const WINDOW: u64 = 64 * 1024;
    const RECORD: u64 = 56;
    let mut start = from;
    let mut buf = vec![0u8; (WINDOW + RECORD) as usize];
    while start < to {
        let want = (to - start).min(WINDOW) + RECORD;
        file.seek(SeekFrom::Start(start))?;
        let mut got = 0;
        while (got as u64) < want {
            match file.read(&mut buf[got..want as usize])? {
                0 => break,
                n => got += n,
            }
        }
        let window = &buf[..got];
        let last = (to - start).min(WINDOW) as usize;
        for i in 0..last.min(window.len().saturating_sub(RECORD as usize - 1)) {
            if window[i..i + 4] == ZIP64_EOCD_SIG {
                let rec = &window[i..i + RECORD as usize];
                let entries = u64::from_le_bytes(rec[32..40].try_into().unwrap());
                let size = u64::from_le_bytes(rec[40..48].try_into().unwrap());
                claims.entries = claims.entries.max(entries);
                claims.directory_size = claims.directory_size.max(size);
            }
        }
        start += WINDOW;
    }
    Ok(())
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
    // `x.json:stream` is an alternate data stream of `x.json` on NTFS: one file there, whatever
    // the platform this binary runs on (the recordings are checked out on Windows too).
    if name.contains(':') {
        return Err("contains a colon (Windows reads `name:stream` as a stream of `name`)".into());
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
