//! Building recording artifacts (and hostile ones) for tests and benchmarks.
//!
//! Self-contained on purpose: `src/artifact` unit tests include this file with `#[path]`, so it
//! may only use crates the library itself depends on (zip, sha2, serde_json).
#![allow(dead_code)]

use std::io::{Cursor, Write};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A zip under construction; entries are deflated unless added with [`ZipBuilder::stored`].
pub struct ZipBuilder {
    writer: ZipWriter<Cursor<Vec<u8>>>,
}

impl Default for ZipBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ZipBuilder {
    pub fn new() -> Self {
        Self {
            writer: ZipWriter::new(Cursor::new(Vec::new())),
        }
    }

    fn options(method: CompressionMethod) -> SimpleFileOptions {
        SimpleFileOptions::default()
            .compression_method(method)
            .unix_permissions(0o644)
    }

    pub fn file(self, name: &str, bytes: &[u8]) -> Self {
        self.entry(name, bytes, CompressionMethod::Deflated)
    }

    pub fn stored(self, name: &str, bytes: &[u8]) -> Self {
        self.entry(name, bytes, CompressionMethod::Stored)
    }

    fn entry(mut self, name: &str, bytes: &[u8], method: CompressionMethod) -> Self {
        let options = Self::options(method);
        self.writer.start_file(name, options).expect("start_file");
        self.writer.write_all(bytes).expect("write entry");
        self
    }

    pub fn symlink(mut self, name: &str, target: &str) -> Self {
        self.writer
            .add_symlink(name, target, SimpleFileOptions::default())
            .expect("add_symlink");
        self
    }

    pub fn dir(mut self, name: &str) -> Self {
        self.writer
            .add_directory(name, SimpleFileOptions::default())
            .expect("add_directory");
        self
    }

    /// Adds `rerecord-manifest.json` listing `files` (path, contents) as added and `deleted`.
    pub fn manifest(self, run_id: u64, files: &[(&str, &[u8])], deleted: &[&str]) -> Self {
        let json = manifest_json(run_id, files, deleted);
        self.file("rerecord-manifest.json", &json)
    }

    /// Adds a manifest given as raw JSON (for lying manifests).
    pub fn raw_manifest(self, json: &serde_json::Value) -> Self {
        self.file("rerecord-manifest.json", json.to_string().as_bytes())
    }

    pub fn finish(self) -> Vec<u8> {
        self.writer.finish().expect("finish zip").into_inner()
    }
}

/// The manifest `rerecord commit` would write for these files, as JSON.
pub fn manifest_value(run_id: u64, files: &[(&str, &[u8])], deleted: &[&str]) -> serde_json::Value {
    let mut listed: Vec<serde_json::Value> = files
        .iter()
        .map(|(path, bytes)| {
            serde_json::json!({"path": path, "sha256": sha256_hex(bytes), "size": bytes.len(), "status": "added"})
        })
        .collect();
    listed.extend(
        deleted
            .iter()
            .map(|path| serde_json::json!({"path": path, "status": "deleted"})),
    );
    serde_json::json!({
        "version": 1, "repository": "upstream/project", "head_repository": "contributor/project",
        "head_ref": "feature-x", "head_sha": "0000000000000000000000000000000000000000",
        "checkout_sha": "0000000000000000000000000000000000000000", "run_id": run_id, "run_attempt": 1,
        "job": "record", "setup": "ollama", "suite": "base", "files": listed
    })
}

pub fn manifest_json(run_id: u64, files: &[(&str, &[u8])], deleted: &[&str]) -> Vec<u8> {
    manifest_value(run_id, files, deleted)
        .to_string()
        .into_bytes()
}

/// A well-formed artifact: `files` at their repo-relative paths plus a matching manifest.
pub fn artifact(run_id: u64, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = ZipBuilder::new();
    for (path, bytes) in files {
        zip = zip.file(path, bytes);
    }
    zip.manifest(run_id, files, &[]).finish()
}

/// Rewrites every occurrence of `from` with `to` (same length) in a finished zip: how duplicate
/// or otherwise unwritable entry names are made, since the writer refuses them.
pub fn rename_entry_bytes(zip: &mut [u8], from: &str, to: &str) {
    assert_eq!(from.len(), to.len(), "names must have the same length");
    let (from, to) = (from.as_bytes(), to.as_bytes());
    let mut hits = 0;
    let mut at = 0;
    while at + from.len() <= zip.len() {
        if &zip[at..at + from.len()] == from {
            zip[at..at + from.len()].copy_from_slice(to);
            hits += 1;
            at += from.len();
        } else {
            at += 1;
        }
    }
    assert!(hits >= 2, "expected {from:?} in local and central headers");
}

/// `n` bytes of zeros, deflated: compresses about 1000:1.
pub fn zeros(n: usize) -> Vec<u8> {
    vec![0u8; n]
}

/// A zip64 end of central directory (record, locator, classic record) claiming `entries`, with
/// no central directory at all behind it.
pub fn zip64_end_claiming(entries: u64, directory_size: u64) -> Vec<u8> {
    let mut z = Vec::new();
    z.extend_from_slice(b"PK\x06\x06");
    z.extend_from_slice(&44u64.to_le_bytes());
    z.extend_from_slice(&[45, 0, 45, 0]);
    z.extend_from_slice(&[0; 8]);
    z.extend_from_slice(&entries.to_le_bytes());
    z.extend_from_slice(&entries.to_le_bytes());
    z.extend_from_slice(&directory_size.to_le_bytes());
    z.extend_from_slice(&0u64.to_le_bytes());
    z.extend_from_slice(b"PK\x06\x07");
    z.extend_from_slice(&0u32.to_le_bytes());
    z.extend_from_slice(&0u64.to_le_bytes());
    z.extend_from_slice(&1u32.to_le_bytes());
    z.extend_from_slice(b"PK\x05\x06");
    z.extend_from_slice(&[0; 4]);
    z.extend_from_slice(&[0xff; 4]);
    z.extend_from_slice(&[0xff; 8]);
    z.extend_from_slice(&[0; 2]);
    z
}

/// Recording names that would be workflow commands if printed raw at a line start or anywhere
/// (`##[...]`); `::warning::x.json` has colons and is refused as a Windows stream name instead.
pub const WORKFLOW_COMMAND_NAMES: [&str; 4] = [
    "tests/integration/recordings/x##[error]pwned.json",
    "tests/integration/recordings/##[add-mask]secret.json",
    "tests/integration/recordings/##[set-output name=x]y.json",
    "tests/integration/recordings/##[stop-commands]tok.json",
];
