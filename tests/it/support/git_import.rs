//! `git fast-import` into a bare repository: long histories in one process. Self-contained, so
//! the benchmarks include it too.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Feed the fast-import `stream` to the bare repository `bare`; panics when git fails.
pub fn fast_import(bare: &Path, stream: &str) {
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(bare)
        .env("GIT_DIR", bare)
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "git fast-import failed");
}
