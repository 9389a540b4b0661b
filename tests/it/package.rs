//! The crate `cargo publish` ships (`include` in Cargo.toml): what `cargo install rerecord` builds
//! from, and nothing else (no tests, fixtures, benchmarks, actions, docs or scripts). Checked with
//! `cargo package --list`, which builds nothing; `cargo publish --dry-run --locked` (which builds
//! the package) runs in release.yml. Also the cargo-binstall metadata, which must point at the
//! archives release.yml publishes.

use std::path::Path;
use std::process::Command;

fn packaged_files() -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "package",
        "--list",
        "--allow-dirty",
        "--offline",
        "--locked",
    ])
    .current_dir(env!("CARGO_MANIFEST_DIR"));
    crate::support::cmd::checked_stdout(&mut cmd, "cargo package --list")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_published_crate_holds_the_sources_and_nothing_else() {
    let files = packaged_files();
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "LICENSE",
        "build.rs",
        "src/main.rs",
        "src/lib.rs",
    ] {
        assert!(
            files.iter().any(|f| f == needed),
            "{needed} is not packaged: {files:?}"
        );
    }
    let top_level = [
        ".cargo_vcs_info.json",
        "Cargo.toml",
        "Cargo.toml.orig",
        "Cargo.lock",
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "build.rs",
    ];
    let stray: Vec<&String> = files
        .iter()
        .filter(|f| {
            !(top_level.contains(&f.as_str())
                || (f.starts_with("src/") && f.ends_with(".rs"))
                || (f.starts_with("workflows/") && f.ends_with(".yml")))
        })
        .collect();
    assert!(
        stray.is_empty(),
        "packaged but not needed to build: {stray:?}"
    );
    // Every source file of the crate is in it (a missing module would break `cargo install`).
    let mut missing = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                    .unwrap()
                    .display()
                    .to_string();
                if !files.contains(&rel) {
                    missing.push(rel);
                }
            }
        }
    }
    assert!(missing.is_empty(), "not packaged: {missing:?}");
}

#[test]
fn binstall_metadata_points_at_the_release_archives() {
    let manifest: toml::Value = toml::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap(),
    )
    .unwrap();
    let binstall = &manifest["package"]["metadata"]["binstall"];
    let url = binstall["pkg-url"].as_str().unwrap();
    // The name release.yml packs (and scripts/install-rerecord.sh downloads).
    let expanded = url
        .replace("{ repo }", "https://github.com/rerecord/rerecord")
        .replace("{ name }", "rerecord")
        .replace("{ version }", "1.2.3")
        .replace("{ target }", "x86_64-apple-darwin")
        .replace("{ archive-suffix }", ".tar.gz");
    assert_eq!(
        expanded,
        "https://github.com/rerecord/rerecord/releases/download/v1.2.3/rerecord-1.2.3-x86_64-apple-darwin.tar.gz"
    );
    let packer = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/release-package.sh"),
    )
    .unwrap();
    assert!(
        packer.contains("rerecord-$version-$target.tar.gz")
            && packer.contains("rerecord-$version-$target.zip"),
        "scripts/release-package.sh no longer packs rerecord-<version>-<target>.tar.gz/.zip"
    );
    assert_eq!(binstall["bin-dir"].as_str(), Some("{ bin }{ binary-ext }"));
    assert_eq!(
        binstall["overrides"]["x86_64-pc-windows-msvc"]["pkg-fmt"].as_str(),
        Some("zip")
    );
}
