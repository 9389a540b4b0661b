//! The release flow's scripts (release.yml runs them): `scripts/release-package.sh` packs the
//! archives with the binary, completions and a man page per subcommand; `scripts/release-commit.sh`
//! commits their checksums on top of the release candidate and tags that commit. Then the install
//! script, from a clone at the tag, downloads and verifies the binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::install_script::{Releases, clone_at_tag, git, host_target, laptop_install};
use crate::support::cmd::bin_path;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bash(script: &str, args: &[&str], dir: &Path) -> std::process::Output {
    Command::new("bash")
        .arg(repo().join(script))
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "release")
        .env("GIT_AUTHOR_EMAIL", "release@example.com")
        .env("GIT_COMMITTER_NAME", "release")
        .env("GIT_COMMITTER_EMAIL", "release@example.com")
        .output()
        .expect("run bash")
}

fn show(out: &std::process::Output) -> String {
    format!(
        "{}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Binaries as the build jobs upload them: the binary under test for this machine's target, and
/// a stand-in for Windows.
fn binaries(dir: &Path) -> std::path::PathBuf {
    let binaries = dir.join("binaries");
    let host = binaries.join(host_target());
    std::fs::create_dir_all(&host).unwrap();
    std::fs::copy(bin_path(), host.join("rerecord")).unwrap();
    let windows = binaries.join("x86_64-pc-windows-msvc");
    std::fs::create_dir_all(&windows).unwrap();
    std::fs::write(windows.join("rerecord.exe"), "MZ not really\n").unwrap();
    binaries
}

fn listing(archive: &Path) -> Vec<String> {
    let out = if archive.extension().is_some_and(|e| e == "zip") {
        Command::new("unzip").arg("-Z1").arg(archive).output()
    } else {
        Command::new("tar").arg("-tzf").arg(archive).output()
    }
    .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim_start_matches("./").to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn release_archives_carry_the_binary_completions_and_a_man_page_per_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let binaries = binaries(dir.path());
    let dist = dir.path().join("dist");

    let out = bash(
        "scripts/release-package.sh",
        &[VERSION, binaries.to_str().unwrap(), dist.to_str().unwrap()],
        dir.path(),
    );
    assert!(out.status.success(), "{}", show(&out));

    let unix = dist.join(format!("rerecord-{VERSION}-{}.tar.gz", host_target()));
    let windows = dist.join(format!("rerecord-{VERSION}-x86_64-pc-windows-msvc.zip"));
    let files = listing(&unix);
    for want in [
        "rerecord",
        "README.md",
        "LICENSE",
        "completions/rerecord.bash",
        "completions/_rerecord",
        "completions/rerecord.fish",
        "completions/_rerecord.ps1",
        "man/man1/rerecord.1",
        "man/man1/rerecord-schedule.1",
        "man/man1/rerecord-land.1",
        "man/man1/rerecord-fetch.1",
    ] {
        assert!(files.iter().any(|f| f == want), "no {want} in {files:?}");
    }
    let zipped = listing(&windows);
    assert!(zipped.contains(&"rerecord.exe".to_owned()), "{zipped:?}");
    assert!(
        zipped.contains(&"man/man1/rerecord-commit.1".to_owned()),
        "{zipped:?}"
    );
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    let digest: String = Sha256::digest(std::fs::read(&unix).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        sums.contains(&format!(
            "{digest}  rerecord-{VERSION}-{}.tar.gz",
            host_target()
        )),
        "{sums}"
    );
}

/// The release candidate: the project at some commit, checksums.txt without this version. Its
/// directory and commit.
fn release_candidate(dir: &Path) -> (PathBuf, String) {
    let origin = dir.join("origin");
    std::fs::create_dir_all(origin.join("scripts")).unwrap();
    for file in ["scripts/install-rerecord.sh", "Cargo.toml", "checksums.txt"] {
        std::fs::copy(repo().join(file), origin.join(file)).unwrap();
    }
    git(&origin, &["init", "-q"]);
    git(&origin, &["add", "."]);
    git(&origin, &["commit", "-qm", "candidate"]);
    let candidate = rev(&origin, "HEAD");
    (origin, candidate)
}

#[test]
fn the_tag_points_at_the_commit_that_lists_its_checksums_and_installs_verified() {
    let dir = tempfile::tempdir().unwrap();
    let binaries = binaries(dir.path());
    let served = dir.path().join("served");
    let dist = served.join(format!("v{VERSION}"));
    let out = bash(
        "scripts/release-package.sh",
        &[VERSION, binaries.to_str().unwrap(), dist.to_str().unwrap()],
        dir.path(),
    );
    assert!(out.status.success(), "{}", show(&out));

    let (origin, candidate) = release_candidate(dir.path());

    let out = bash(
        "scripts/release-commit.sh",
        &[VERSION, dist.to_str().unwrap()],
        &origin,
    );
    assert!(out.status.success(), "{}", show(&out));

    let tagged = rev(&origin, &format!("v{VERSION}^{{commit}}"));
    assert_ne!(tagged, candidate);
    assert_eq!(rev(&origin, &format!("v{VERSION}^")), candidate);
    let at_tag = git_out(&origin, &["show", &format!("v{VERSION}:checksums.txt")]);
    let before = git_out(&origin, &["show", &format!("{candidate}:checksums.txt")]);
    assert!(!before.contains(&format!("v{VERSION}/")), "{before}");
    let asset = format!("rerecord-{VERSION}-{}.tar.gz", host_target());
    let digest: String = Sha256::digest(std::fs::read(dist.join(&asset)).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        at_tag.contains(&format!("{digest}  v{VERSION}/{asset}")),
        "{at_tag}"
    );
    // Only the checksums changed between the candidate and the tag.
    let changed = git_out(
        &origin,
        &["diff", "--name-only", &candidate, &format!("v{VERSION}")],
    );
    assert_eq!(changed.trim(), "checksums.txt");

    // A release is never made twice.
    let again = bash(
        "scripts/release-commit.sh",
        &[VERSION, dist.to_str().unwrap()],
        &origin,
    );
    assert!(!again.status.success());
    assert!(show(&again).contains("exists already"), "{}", show(&again));
    let wrong = bash(
        "scripts/release-commit.sh",
        &["9.9.9", dist.to_str().unwrap()],
        &origin,
    );
    assert!(show(&wrong).contains("not 9.9.9"), "{}", show(&wrong));

    // A laptop install from a clone at the tag downloads and verifies the real binary.
    let clone = clone_at_tag(dir.path(), &origin, VERSION);
    let releases = Releases::serve(served, clone.clone());
    let home = tempfile::tempdir().unwrap();
    let script = clone.join("scripts/install-rerecord.sh");
    let (code, stdout, stderr) = laptop_install(home.path(), &releases, Some(&script), None, None);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(&format!("verified {asset}")), "{stdout}");
    let installed = Command::new(home.path().join("bin/rerecord"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&installed.stdout).starts_with(&format!("rerecord {VERSION}")),
        "{installed:?}"
    );
}

fn git_out(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn rev(dir: &Path, what: &str) -> String {
    git_out(dir, &["rev-parse", what]).trim().to_owned()
}
