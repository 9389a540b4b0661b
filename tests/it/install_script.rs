//! `scripts/install-rerecord.sh`, the install step of the actions, run with bash against a local
//! HTTP server that serves fake release assets: which asset each runner gets, verification against
//! the checksums.txt committed with the action (a mismatch installs and runs nothing; the release
//! serves no checksum that counts), the tool cache (also shared by concurrent installs), and the
//! `cargo install` fallback (a stub `cargo` on PATH records how it was called).
//!
//! Each test runs the script from a copy of the action's files (`scripts/`, `Cargo.toml` and a
//! `checksums.txt` listing the test's assets), as the runner checks the action out.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use crate::support::cmd::checked_stdout;
use crate::support::static_http::StaticHttp;

const VERSION: &str = "0.1.0";

/// A static file server on 127.0.0.1 that remembers every path it was asked for, and the action
/// checkout whose checksums.txt lists what `publish` published.
pub(crate) struct Releases {
    pub(crate) root: PathBuf,
    pub(crate) action: PathBuf,
    pub(crate) base_url: String,
    server: StaticHttp,
}

impl Releases {
    pub(crate) fn serve(root: PathBuf, action: PathBuf) -> Self {
        let server = StaticHttp::serve(root.clone());
        Releases {
            root,
            action,
            base_url: server.base_url.clone(),
            server,
        }
    }

    pub(crate) fn requests(&self) -> Vec<String> {
        self.server.requests()
    }

    /// Publish `rerecord-<version>-<target>.<ext>` holding a `rerecord` script that prints `says`
    /// (and, when run, leaves a file next to `ran_marker`), and list it in the action's
    /// checksums.txt.
    pub(crate) fn publish(&self, version: &str, target: &str, says: &str, ran_marker: &Path) {
        let stage = tempfile::tempdir().unwrap();
        let exe = if target.contains("windows") {
            "rerecord.exe"
        } else {
            "rerecord"
        };
        let script = format!(
            "#!/bin/sh\ntouch '{}'\necho '{says}'\n",
            ran_marker.display()
        );
        write_executable(&stage.path().join(exe), &script);
        self.publish_dir(version, target, stage.path());
    }

    /// Publish the asset of `version` for `target` holding what `stage` holds; list it.
    fn publish_dir(&self, version: &str, target: &str, stage: &Path) {
        let dir = self.root.join(format!("v{version}"));
        std::fs::create_dir_all(&dir).unwrap();
        let windows = target.contains("windows");
        let exe = if windows { "rerecord.exe" } else { "rerecord" };
        let asset = if windows {
            format!("rerecord-{version}-{target}.zip")
        } else {
            format!("rerecord-{version}-{target}.tar.gz")
        };
        let archive = dir.join(&asset);
        let status = if windows {
            Command::new("zip")
                .arg("-q")
                .arg(&archive)
                .arg(exe)
                .current_dir(stage)
                .status()
        } else {
            Command::new("tar")
                .arg("-czf")
                .arg(&archive)
                .arg("-C")
                .arg(stage)
                .arg(exe)
                .status()
        };
        assert!(status.expect("run tar/zip").success());
        let digest = hex(&Sha256::digest(std::fs::read(&archive).unwrap()));
        self.add_sum(version, &digest, &asset);
    }

    /// Add `DIGEST  vVERSION/ASSET` to the action's checksums.txt.
    fn add_sum(&self, version: &str, digest: &str, asset: &str) {
        let file = self.action.join("checksums.txt");
        let mut sums = std::fs::read_to_string(&file).unwrap_or_default();
        let entry = format!("  v{version}/{asset}\n");
        assert!(
            !sums.contains(&entry),
            "v{version}/{asset} is already listed: a test published it twice"
        );
        sums.push_str(&format!("{digest}{entry}"));
        std::fs::write(file, sums).unwrap();
    }

    /// Forget every committed checksum.
    fn clear_sums(&self) {
        std::fs::write(self.action.join("checksums.txt"), "# none\n").unwrap();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    let status = Command::new("chmod").arg("+x").arg(path).status().unwrap();
    assert!(status.success());
}

/// One simulated runner: its temp dir, tool cache, GITHUB_PATH/GITHUB_OUTPUT files, and a stub
/// `cargo` that records its arguments and "builds" a rerecord that prints `built from source`.
struct Runner {
    dir: tempfile::TempDir,
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: BTreeMap<String, String>,
    path_entries: Vec<String>,
    cargo_args: Option<Vec<String>>,
}

impl Runner {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["temp", "cache", "stub-bin"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let cargo_log = dir.path().join("cargo-args");
        write_executable(
            &dir.path().join("stub-bin/cargo"),
            &format!(
                "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\nroot=\nwhile [ $# -gt 0 ]; do\n  \
                 if [ \"$1\" = --root ]; then root=\"$2\"; fi\n  shift\ndone\nmkdir -p \"$root/bin\"\n\
                 printf '#!/bin/sh\\necho built from source\\n' > \"$root/bin/rerecord\"\n\
                 chmod +x \"$root/bin/rerecord\"\n",
                cargo_log.display()
            ),
        );
        Runner { dir }
    }

    fn marker(&self) -> PathBuf {
        self.dir.path().join("asset-ran")
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// Where the tool cache keeps `VERSION` for X64.
    fn cached_x64(&self) -> PathBuf {
        self.cache().join(format!("rerecord/{VERSION}/x64"))
    }

    /// Install as a Linux X64 runner whose tool cache is `cache` (shared with other runners).
    fn install_with_cache(&self, releases: &Releases, cache: &Path) -> Outcome {
        self.run_script(releases, "Linux", "X64", Some(VERSION), cache)
    }

    /// Install `VERSION` as a Linux X64 runner (the common case).
    fn install_linux_x64(&self, releases: &Releases) -> Outcome {
        self.install(releases, "Linux", "X64", Some(VERSION))
    }

    /// [`install_linux_x64`](Self::install_linux_x64), and what it downloaded (the paths it asked
    /// the release server for).
    fn install_linux_x64_downloading(&self, releases: &Releases) -> (Outcome, Vec<String>) {
        let asked = releases.requests().len();
        let out = self.install_linux_x64(releases);
        (out, releases.requests()[asked..].to_vec())
    }

    fn install(&self, releases: &Releases, os: &str, arch: &str, version: Option<&str>) -> Outcome {
        self.run_script(releases, os, arch, version, &self.cache())
    }

    fn run_script(
        &self,
        releases: &Releases,
        os: &str,
        arch: &str,
        version: Option<&str>,
        cache: &Path,
    ) -> Outcome {
        let p = self.dir.path();
        let (output, path_file) = (p.join("github-output"), p.join("github-path"));
        std::fs::write(&output, "").unwrap();
        std::fs::write(&path_file, "").unwrap();
        let _ = std::fs::remove_file(p.join("cargo-args"));
        let script = releases.action.join("scripts/install-rerecord.sh");
        let mut cmd = Command::new("bash");
        cmd.arg(&script)
            .env_clear()
            .env(
                "PATH",
                format!(
                    "{}:/usr/bin:/bin:/usr/local/bin",
                    p.join("stub-bin").display()
                ),
            )
            .env("HOME", p)
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch)
            .env("RUNNER_TEMP", p.join("temp"))
            .env("RUNNER_TOOL_CACHE", cache)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_PATH", &path_file)
            .env("RERECORD_DOWNLOAD_BASE", &releases.base_url)
            .stdin(Stdio::null());
        if let Some(v) = version {
            cmd.env("RERECORD_VERSION", v);
        }
        let out = cmd.output().expect("run bash");
        let outputs = std::fs::read_to_string(&output)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let path_entries = std::fs::read_to_string(&path_file)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        let cargo_args = std::fs::read_to_string(p.join("cargo-args"))
            .ok()
            .map(|s| s.lines().map(str::to_owned).collect());
        Outcome {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            outputs,
            path_entries,
            cargo_args,
        }
    }
}

impl Outcome {
    /// Exited 0, with rerecord installed from `source` (`release`, `cache` or `cargo`).
    #[track_caller]
    fn assert_installed_from(&self, source: &str) {
        assert_eq!(self.code, 0, "{}", self.show());
        assert_eq!(self.outputs["source"], source, "{}", self.show());
    }

    /// Its stdout says `text`.
    #[track_caller]
    fn assert_says(&self, text: &str) {
        assert!(self.stdout.contains(text), "{}", self.show());
    }

    fn show(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// [`releases`] serving `VERSION` for x86_64 Linux (musl) with the asset's binary printing
/// `what`, and a runner to install it on.
fn published(what: &str) -> (tempfile::TempDir, Releases, Runner) {
    published_as(VERSION, what)
}

/// [`published`] for release `version`.
fn published_as(version: &str, what: &str) -> (tempfile::TempDir, Releases, Runner) {
    let (dir, releases) = releases();
    let runner = Runner::new();
    let target = "x86_64-unknown-linux-musl";
    releases.publish(version, target, what, &runner.marker());
    (dir, releases, runner)
}

/// [`published`], and installed once on the runner (from the release).
fn installed(what: &str) -> (tempfile::TempDir, Releases, Runner) {
    let (dir, releases, runner) = published(what);
    let first = runner.install_linux_x64(&releases);
    assert_eq!(first.code, 0, "{}", first.show());
    (dir, releases, runner)
}

/// The action's commit pins the checksum of `bytes` for `VERSION`'s asset for `target`.
fn pin_other_bytes(releases: &Releases, target: &str, bytes: &[u8]) {
    let asset = format!("rerecord-{VERSION}-{target}.tar.gz");
    releases.add_sum(VERSION, &hex(&Sha256::digest(bytes)), &asset);
}

fn releases() -> (tempfile::TempDir, Releases) {
    let dir = tempfile::tempdir().unwrap();
    let (served, action) = (dir.path().join("served"), dir.path().join("action"));
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(action.join("scripts")).unwrap();
    std::fs::create_dir_all(&served).unwrap();
    for file in ["scripts/install-rerecord.sh", "Cargo.toml", "checksums.txt"] {
        std::fs::copy(repo.join(file), action.join(file)).unwrap();
    }
    let releases = Releases::serve(served, action);
    (dir, releases)
}

#[test]
fn linux_x64_runner_gets_the_verified_musl_asset_in_the_tool_cache() {
    let (_d, releases, runner) = published("rerecord from musl x64");
    releases.publish(
        VERSION,
        "aarch64-unknown-linux-musl",
        "rerecord from musl arm64",
        &runner.marker(),
    );

    let out = runner.install_linux_x64(&releases);

    assert_eq!(out.code, 0, "{}", out.show());
    out.assert_says("rerecord from musl x64");
    let cached = runner.cached_x64();
    let temp = runner.dir.path().join("temp");
    assert_eq!(out.path_entries, vec![out.outputs["path"].clone()]);
    assert!(
        Path::new(&out.outputs["path"]).starts_with(&temp),
        "the binary the job runs is in the job's RUNNER_TEMP: {:?}",
        out.outputs
    );
    assert_eq!(
        out.outputs["bin"],
        format!("{}/rerecord", out.outputs["path"])
    );
    assert_eq!(out.outputs["source"], "release");
    assert_eq!(out.outputs["version"], VERSION);
    assert!(
        cached
            .join(format!(
                "rerecord-{VERSION}-x86_64-unknown-linux-musl.tar.gz"
            ))
            .is_file()
    );
    assert!(
        !cached.join("rerecord").exists(),
        "no binary is kept in the shared tool cache"
    );
    assert_eq!(
        releases.requests(),
        vec![format!(
            "/v{VERSION}/rerecord-{VERSION}-x86_64-unknown-linux-musl.tar.gz"
        )],
        "only the asset is downloaded: the checksum comes from the action's commit"
    );
    assert_eq!(
        out.cargo_args, None,
        "cargo must not run when an asset matches"
    );
}

#[test]
fn each_runner_os_and_arch_downloads_its_own_asset() {
    let cases = [
        ("Linux", "ARM64", "aarch64-unknown-linux-musl", "tar.gz"),
        ("macOS", "X64", "x86_64-apple-darwin", "tar.gz"),
        ("macOS", "ARM64", "aarch64-apple-darwin", "tar.gz"),
        ("Windows", "X64", "x86_64-pc-windows-msvc", "zip"),
    ];
    for (os, arch, target, ext) in cases {
        let (_d, releases) = releases();
        let runner = Runner::new();
        for other in ["x86_64-unknown-linux-musl", target] {
            releases.publish(
                VERSION,
                other,
                &format!("rerecord for {other}"),
                &runner.marker(),
            );
        }

        let out = runner.install(&releases, os, arch, Some(&format!("v{VERSION}")));

        assert_eq!(out.code, 0, "{os}/{arch}: {}", out.show());
        assert!(
            out.stdout.contains(&format!("rerecord for {target}")),
            "{os}/{arch}: {}",
            out.show()
        );
        let wanted = format!("/v{VERSION}/rerecord-{VERSION}-{target}.{ext}");
        assert!(
            releases.requests().contains(&wanted),
            "{os}/{arch}: {:?}",
            releases.requests()
        );
    }
}

#[test]
fn version_defaults_to_the_package_version_of_the_action_checkout() {
    let own = env!("CARGO_PKG_VERSION");
    let (_d, releases, runner) = published_as(own, "own version");

    let out = runner.install(&releases, "Linux", "X64", None);

    out.assert_installed_from("release");
    assert_eq!(out.outputs["version"], own);
    out.assert_says("own version");
}

#[test]
fn checksum_mismatch_fails_and_installs_and_runs_nothing() {
    let (_d, releases, runner) = published("tampered");
    let target = "x86_64-unknown-linux-musl";
    // The action's commit pins other bytes than the release now serves.
    releases.clear_sums();
    pin_other_bytes(&releases, target, b"other bytes");

    let out = runner.install_linux_x64(&releases);

    assert_eq!(out.code, 1, "{}", out.show());
    out.assert_says("checksum mismatch");
    assert!(!runner.marker().exists(), "the unverified binary ran");
    assert!(
        out.path_entries.is_empty(),
        "PATH was extended: {:?}",
        out.path_entries
    );
    assert!(
        !runner.cache().join("rerecord").exists(),
        "something was cached"
    );
    assert_eq!(
        out.cargo_args, None,
        "a mismatch must not fall back to cargo"
    );
}

#[test]
fn another_version_without_a_committed_checksum_is_refused_even_if_the_release_lists_one() {
    let (_d, releases) = releases();
    let runner = Runner::new();
    let target = "x86_64-unknown-linux-musl";
    releases.publish("0.0.9", target, "unlisted", &runner.marker());
    releases.clear_sums();
    // A SHA256SUMS in the (mutable) release counts for nothing.
    let asset = format!("rerecord-0.0.9-{target}.tar.gz");
    let digest = hex(&Sha256::digest(
        std::fs::read(releases.root.join(format!("v0.0.9/{asset}"))).unwrap(),
    ));
    std::fs::write(
        releases.root.join("v0.0.9/SHA256SUMS"),
        format!("{digest}  {asset}\n"),
    )
    .unwrap();

    let out = runner.install(&releases, "Linux", "X64", Some("0.0.9"));

    assert_eq!(out.code, 1, "{}", out.show());
    out.assert_says("checksums.txt lists no sha256 for v0.0.9/rerecord-0.0.9-");
    assert!(!runner.marker().exists());
    assert!(releases.requests().is_empty(), "{:?}", releases.requests());
    assert_eq!(out.cargo_args, None);
}

#[test]
fn own_version_without_a_committed_checksum_is_built_from_the_pinned_source() {
    let own = env!("CARGO_PKG_VERSION");
    let (_d, releases, runner) = published_as(own, "release");
    releases.clear_sums();

    let out = runner.install(&releases, "Linux", "X64", None);

    out.assert_installed_from("cargo");
    out.assert_says("::notice");
    out.assert_says("checksums.txt lists no sha256");
    out.assert_says("built from source");
    assert!(!runner.marker().exists(), "the unlisted asset ran");
    assert!(releases.requests().is_empty(), "{:?}", releases.requests());
}

#[test]
fn missing_asset_falls_back_to_cargo_install_and_says_why() {
    let (_d, releases) = releases();
    let runner = Runner::new();
    // The release exists, but only for another target; the action lists the missing one.
    releases.publish(VERSION, "x86_64-apple-darwin", "mac", &runner.marker());
    pin_other_bytes(&releases, "x86_64-unknown-linux-musl", b"never published");

    let out = runner.install_linux_x64(&releases);

    assert_eq!(out.code, 0, "{}", out.show());
    out.assert_says("::notice");
    out.assert_says(&format!(
        "has no asset rerecord-{VERSION}-x86_64-unknown-linux-musl.tar.gz"
    ));
    out.assert_says("built from source");
    let args = out.cargo_args.expect("cargo was not called");
    let source = releases.action.canonicalize().unwrap();
    assert_eq!(
        &args[..4],
        [
            "install",
            "--locked",
            "--path",
            &source.display().to_string()
        ]
    );
    assert_eq!(out.outputs["source"], "cargo");
    assert!(!runner.marker().exists());
}

#[test]
fn runner_without_a_release_build_falls_back_without_downloading() {
    let (_d, releases) = releases();
    let runner = Runner::new();

    let out = runner.install(&releases, "Linux", "ARM", Some(VERSION));

    assert_eq!(out.code, 0, "{}", out.show());
    out.assert_says("no release build of rerecord exists for Linux/ARM");
    assert!(
        releases.requests().is_empty(),
        "downloaded {:?}",
        releases.requests()
    );
    assert!(out.cargo_args.is_some());
}

#[test]
fn second_install_of_a_version_comes_from_the_tool_cache() {
    let (_d, releases, runner) = installed("cached one");

    let (second, downloaded) = runner.install_linux_x64_downloading(&releases);

    second.assert_installed_from("cache");
    second.assert_says("cached one");
    assert_eq!(
        downloaded,
        [] as [String; 0],
        "a cache hit downloads nothing"
    );
}

#[test]
fn a_tampered_tool_cache_is_never_run() {
    let (_d, releases, runner) = installed("genuine");
    let cached = runner.cached_x64();

    // The cached asset itself was swapped: it fails the checksum and is downloaded again.
    let asset = format!("rerecord-{VERSION}-x86_64-unknown-linux-musl.tar.gz");
    std::fs::write(cached.join(&asset), "not the release").unwrap();
    let (out, downloaded) = runner.install_linux_x64_downloading(&releases);
    out.assert_installed_from("release");
    out.assert_says("genuine");
    assert_eq!(downloaded, [format!("/v{VERSION}/{asset}")]);
}

#[test]
fn version_input_that_is_not_a_release_version_is_rejected() {
    let (_d, releases) = releases();
    let runner = Runner::new();

    let out = runner.install(&releases, "Linux", "X64", Some("1.0/../../x;touch pwned"));

    assert_eq!(out.code, 1, "{}", out.show());
    out.assert_says("is not a release version");
    assert!(releases.requests().is_empty());
    assert_eq!(out.cargo_args, None);
}

/// Publish a release whose `rerecord` is a real ELF executable (a copy of bash, so
/// `rerecord --version` works): overwriting a running ELF in place fails with `Text file busy`,
/// which a shell script would never show.
fn publish_elf(releases: &Releases) {
    let stage = tempfile::tempdir().unwrap();
    let bash = Command::new("bash")
        .args(["-c", "command -v bash"])
        .output()
        .unwrap();
    let bash = String::from_utf8(bash.stdout).unwrap();
    std::fs::copy(bash.trim(), stage.path().join("rerecord")).unwrap();
    releases.publish_dir(VERSION, "x86_64-unknown-linux-musl", stage.path());
}

#[test]
fn concurrent_installs_into_one_tool_cache_all_succeed_while_the_binary_runs() {
    let (_d, releases) = releases();
    publish_elf(&releases);
    let runners: Vec<Runner> = (0..8).map(|_| Runner::new()).collect();
    // One tool cache for all, as on a self-hosted machine running several jobs at once.
    let shared = runners[0].cache();
    let first = runners[0].install_linux_x64(&releases);
    assert_eq!(first.code, 0, "{}", first.show());
    let cached = shared.join(format!("rerecord/{VERSION}/x64"));
    let asset = format!("rerecord-{VERSION}-x86_64-unknown-linux-musl.tar.gz");
    // A job is running its binary while the others install.
    let mut running = Command::new(&first.outputs["bin"])
        .args(["-c", "sleep 3"])
        .spawn()
        .expect("run the installed binary");

    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = runners
            .iter()
            .enumerate()
            .map(|(i, runner)| {
                let (releases, shared, asset) = (&releases, shared.clone(), &asset);
                scope.spawn(move || {
                    // Half of them find no cached asset and download it again.
                    if i % 2 == 0 {
                        let _ = std::fs::rename(
                            shared.join(format!("rerecord/{VERSION}/x64/{asset}")),
                            shared.join(format!("rerecord/{VERSION}/x64/old-{i}")),
                        );
                    }
                    runner.install_with_cache(releases, &shared)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    for (i, out) in outcomes.iter().enumerate() {
        assert_eq!(out.code, 0, "install {i}: {}", out.show());
        assert!(
            out.stdout.contains("GNU bash"),
            "install {i} did not run the binary: {}",
            out.show()
        );
        assert!(
            !out.stderr.contains("Text file busy") && !out.stderr.contains("No such file"),
            "install {i}: {}",
            out.show()
        );
    }
    assert!(
        running.wait().unwrap().success(),
        "the running binary broke"
    );
    // Nothing half-written or temporary is left beside the asset.
    let leftovers: Vec<_> = std::fs::read_dir(&cached)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".rerecord"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(cached.join(&asset).is_file());
}

#[test]
fn the_next_step_runs_the_verified_copy_even_if_the_tool_cache_is_replaced_after_install() {
    let (_d, releases, runner) = published("genuine");
    let out = runner.install_linux_x64(&releases);
    assert_eq!(out.code, 0, "{}", out.show());

    // Between the install step and the next, a concurrent job on the same self-hosted runner
    // replaces everything in the shared tool cache.
    let cached = runner.cached_x64();
    for entry in std::fs::read_dir(&cached).unwrap() {
        let path = entry.unwrap().path();
        write_executable(&path, "#!/bin/sh\necho planted\n");
    }
    write_executable(&cached.join("rerecord"), "#!/bin/sh\necho planted\n");

    // The next step runs `bin` by its absolute path, as the actions do.
    let bin = PathBuf::from(&out.outputs["bin"]);
    assert!(!bin.starts_with(runner.cache()), "{bin:?}");
    let ran = Command::new(&bin)
        .output()
        .expect("run the installed binary");
    let said = String::from_utf8_lossy(&ran.stdout);
    assert!(
        said.contains("genuine") && !said.contains("planted"),
        "{said}"
    );
    for entry in &out.path_entries {
        assert!(
            !Path::new(entry).starts_with(runner.cache()),
            "a shared directory is on PATH: {entry}"
        );
    }
}

#[test]
fn each_action_runs_the_installed_binary_by_its_absolute_path() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for action in ["action.yml", "land/action.yml", "command/action.yml"] {
        let text = std::fs::read_to_string(repo.join(action)).unwrap();
        assert!(
            text.contains("RERECORD_BIN: ${{ steps.install.outputs.bin }}"),
            "{action} does not pass the installed binary's path to its run step"
        );
        assert!(
            text.contains("\"$RERECORD_BIN\" \"${args[@]}\""),
            "{action} does not run \"$RERECORD_BIN\""
        );
        let bare: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("rerecord ") || l.starts_with("exec rerecord "))
            .collect();
        assert!(
            bare.is_empty(),
            "{action} runs rerecord from PATH: {bare:?}"
        );
    }
}

/// The release target this machine's `uname` maps to, as the script picks it.
pub(crate) fn host_target() -> &'static str {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "aarch64") => "aarch64-unknown-linux-musl",
        ("macos", "x86_64") => "x86_64-apple-darwin",
        ("macos", "aarch64") => "aarch64-apple-darwin",
        _ => "x86_64-unknown-linux-musl",
    }
}

/// A depth-1 clone of `origin` at tag `v<version>`, at `dir/clone`.
pub(crate) fn clone_at_tag(dir: &Path, origin: &Path, version: &str) -> PathBuf {
    let url = format!("file://{}", origin.display());
    let tag = format!("v{version}");
    let args = [
        "clone", "-q", "--depth", "1", "--branch", &tag, &url, "clone",
    ];
    git(dir, &args);
    dir.join("clone")
}

pub(crate) fn git(dir: &Path, args: &[&str]) {
    let mut cmd = Command::new("git");
    cmd.args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir);
    checked_stdout(&mut cmd, &format!("git {args:?}"));
}

/// Run the install script outside Actions (no RUNNER_* variables): as a file when `script` is
/// given, else piped into `bash` from `piped`.
pub(crate) fn laptop_install(
    home: &Path,
    releases: &Releases,
    script: Option<&Path>,
    piped: Option<&Path>,
    version: Option<&str>,
) -> (i32, String, String) {
    let mut cmd = Command::new("bash");
    if let Some(script) = script {
        cmd.arg(script);
    }
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin:/usr/local/bin")
        .env("HOME", home)
        .env("TMPDIR", home)
        .env("RERECORD_INSTALL_DIR", home.join("bin"))
        .env("RERECORD_DOWNLOAD_BASE", &releases.base_url)
        .env(
            "RERECORD_CHECKSUMS_BASE",
            format!("{}/raw", releases.base_url),
        );
    if let Some(v) = version {
        cmd.env("RERECORD_VERSION", v);
    }
    match piped {
        Some(file) => cmd.stdin(std::fs::File::open(file).unwrap()),
        None => cmd.stdin(Stdio::null()),
    };
    let out = cmd.output().expect("run bash");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The release flow: the commit that gets the tag vX.Y.Z already holds the checksums of the
/// assets built from it (release.yml). A clone at that tag installs the verified release binary,
/// on a laptop and as the action pinned to the tag's SHA: no cargo.
#[test]
fn at_the_release_tag_the_script_installs_the_verified_binary_without_cargo() {
    let (d, releases) = releases();
    let version = env!("CARGO_PKG_VERSION");
    let runner = Runner::new();
    // The host's asset for the laptop, the Linux x64 runner's for the action: one asset when the
    // host is that runner (a second `tar` of it could differ by the second it ran in).
    let mut targets = vec![host_target(), "x86_64-unknown-linux-musl"];
    targets.dedup();
    for target in targets {
        releases.publish(
            version,
            target,
            &format!("release {target}"),
            &runner.marker(),
        );
    }
    let origin = d.path().join("origin");
    std::fs::create_dir_all(origin.join("scripts")).unwrap();
    for file in ["scripts/install-rerecord.sh", "Cargo.toml", "checksums.txt"] {
        std::fs::copy(releases.action.join(file), origin.join(file)).unwrap();
    }
    git(&origin, &["init", "-q"]);
    git(&origin, &["add", "."]);
    git(
        &origin,
        &["commit", "-qm", "release candidate with its checksums"],
    );
    git(
        &origin,
        &["tag", "-a", &format!("v{version}"), "-m", "release"],
    );
    let clone = clone_at_tag(d.path(), &origin, version);

    let home = tempfile::tempdir().unwrap();
    let script = clone.join("scripts/install-rerecord.sh");
    let (code, stdout, stderr) = laptop_install(home.path(), &releases, Some(&script), None, None);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("verified rerecord-{version}-{}", host_target())),
        "{stdout}"
    );
    let installed = home.path().join("bin/rerecord");
    let ran = Command::new(&installed).output().unwrap();
    assert!(
        String::from_utf8_lossy(&ran.stdout).contains(&format!("release {}", host_target())),
        "{ran:?}"
    );

    // The action pinned to the tag's commit: the same clone as the runner makes it.
    let action = Releases {
        root: releases.root.clone(),
        action: clone.clone(),
        base_url: releases.base_url.clone(),
        server: releases.server.clone(),
    };
    let out = runner.install(&action, "Linux", "X64", None);
    out.assert_installed_from("release");
    assert_eq!(out.cargo_args, None, "cargo ran at the release tag");
}

#[test]
fn piped_laptop_install_reads_the_checksums_of_the_tag_and_refuses_a_mismatch() {
    let (d, releases) = releases();
    let runner = Runner::new();
    releases.publish(VERSION, host_target(), "piped one", &runner.marker());
    let raw = releases.root.join(format!("raw/v{VERSION}"));
    std::fs::create_dir_all(&raw).unwrap();
    std::fs::copy(
        releases.action.join("checksums.txt"),
        raw.join("checksums.txt"),
    )
    .unwrap();
    let script = d.path().join("piped.sh");
    std::fs::copy(releases.action.join("scripts/install-rerecord.sh"), &script).unwrap();

    let home = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) =
        laptop_install(home.path(), &releases, None, Some(&script), Some(VERSION));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        releases
            .requests()
            .contains(&format!("/raw/v{VERSION}/checksums.txt")),
        "{:?}",
        releases.requests()
    );
    assert!(stdout.contains("piped one"), "{stdout}");
    assert!(home.path().join("bin/rerecord").is_file());

    // Without a version it says how to name one.
    let other = tempfile::tempdir().unwrap();
    let (code, _, stderr) = laptop_install(other.path(), &releases, None, Some(&script), None);
    assert_eq!(code, 1);
    assert!(stderr.contains("RERECORD_VERSION=0.1.0 bash"), "{stderr}");

    // The tag's checksums name other bytes: nothing is installed or run.
    std::fs::write(
        raw.join("checksums.txt"),
        format!(
            "{}  v{VERSION}/rerecord-{VERSION}-{}.tar.gz\n",
            hex(&Sha256::digest(b"other")),
            host_target()
        ),
    )
    .unwrap();
    std::fs::remove_file(runner.marker()).ok();
    let third = tempfile::tempdir().unwrap();
    let (code, _, stderr) =
        laptop_install(third.path(), &releases, None, Some(&script), Some(VERSION));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("checksum mismatch"), "{stderr}");
    assert!(!third.path().join("bin/rerecord").exists());
    assert!(!runner.marker().exists(), "the unverified binary ran");
}
