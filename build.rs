//! Records the git commit for `rerecord --version` ("unknown" outside a git checkout,
//! e.g. when installed from crates.io).

use std::process::Command;

fn main() {
    let commit = rev_parse(&["rev-parse", "--short=12", "HEAD"]);
    println!("cargo:rustc-env=RERECORD_GIT_COMMIT={commit}");
    // The full id, the pin `rerecord init` writes into workflows by default.
    let full = rev_parse(&["rev-parse", "HEAD"]);
    println!("cargo:rustc-env=RERECORD_GIT_COMMIT_FULL={full}");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
}

fn rev_parse(args: &[&str]) -> String {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}
