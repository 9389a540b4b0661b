//! git-lfs for the LFS tests, installed on first use when the machine has none, so `cargo test`
//! needs only Rust, git, Python and npm (as the act tests install act): Debian's git-lfs package
//! (pinned by sha256; the amd64 sums are the ones Debian's signed index lists) is downloaded
//! from deb.debian.org by Python's standard library and its `git-lfs` binary (a Go program)
//! unpacked into `<target>/rerecord-act-tools/git-lfs/`. `RERECORD_GIT_LFS_DIR` names a folder
//! holding a `git-lfs` to use instead. The folder is put first on the `PATH` of the tests' git
//! commands ([`crate::support::git_fixtures::git_cmd`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Debian bookworm's git-lfs: (url, sha256) per architecture, tried in order.
const PACKAGES: &[(&str, &str, &str)] = &[
    (
        "x86_64",
        "http://deb.debian.org/debian/pool/main/g/git-lfs/git-lfs_3.3.0-1+deb12u1_amd64.deb",
        "633a69f57a01eb3dd8e4bf8e191296793c5305e90e3d4584115fba2815081383",
    ),
    (
        "x86_64",
        "http://deb.debian.org/debian-security/pool/updates/main/g/git-lfs/git-lfs_3.3.0-1+deb12u2_amd64.deb",
        "56804e8b1bdbf5703c27eb078e1e31ad7bd4083b69bbb4d5574c6784816452b3",
    ),
    (
        "aarch64",
        "http://deb.debian.org/debian/pool/main/g/git-lfs/git-lfs_3.3.0-1+deb12u1_arm64.deb",
        "b6d69c986d219a5000a0f3c33a20c619a7f83d4752c163c35a588152eb71b01e",
    ),
    (
        "aarch64",
        "http://deb.debian.org/debian-security/pool/updates/main/g/git-lfs/git-lfs_3.3.0-1+deb12u2_arm64.deb",
        "8fa2e5cbdf7c2604cefa3c1d036a2882749ecda9d718f0b4b24ff9c82bc5e650",
    ),
];

/// Download a .deb, check its sha256, and unpack `usr/bin/git-lfs` (an `ar` archive holding a
/// `data.tar.*`) into a folder: argv = url, sha256, folder.
const UNPACK: &str = r#"
import hashlib, io, os, sys, tarfile, urllib.request
url, want, dest = sys.argv[1:4]
deb = urllib.request.urlopen(url, timeout=120).read()
got = hashlib.sha256(deb).hexdigest()
if got != want:
    sys.exit(f"{url}: sha256 {got}, expected {want}")
if not deb.startswith(b"!<arch>\n"):
    sys.exit(f"{url}: not a Debian package")
pos = 8
while pos + 60 <= len(deb):
    name = deb[pos:pos + 16].decode().strip().rstrip("/")
    size = int(deb[pos + 48:pos + 58].decode().strip())
    body = deb[pos + 60:pos + 60 + size]
    pos += 60 + size + (size % 2)
    if not name.startswith("data.tar"):
        continue
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:*") as tar:
        member = tar.getmember("./usr/bin/git-lfs")
        data = tar.extractfile(member).read()
    os.makedirs(dest, exist_ok=True)
    path = os.path.join(dest, "git-lfs")
    with open(path + ".part", "wb") as out:
        out.write(data)
    os.chmod(path + ".part", 0o755)
    os.replace(path + ".part", path)
    sys.exit(0)
sys.exit(f"{url}: no data.tar member")
"#;

/// The folder holding git-lfs when the machine's git has none; set by [`require`].
static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();

/// The folder to put first on `PATH` for git-lfs, or `None` when the machine's git has it.
/// Installs it on the first call when needed; panics with what to do when that fails.
pub fn require() -> Option<&'static Path> {
    DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os("RERECORD_GIT_LFS_DIR") {
            return Some(PathBuf::from(dir));
        }
        if works(None) {
            return None;
        }
        let dir = crate::act::tools::tools_dir().join("git-lfs");
        crate::act::tools::once(&dir, ".installed", || install(&dir))
            .unwrap_or_else(|e| panic!("{e}\ninstall git-lfs (apt-get install git-lfs) instead"));
        assert!(
            works(Some(&dir)),
            "git-lfs in {} does not run",
            dir.display()
        );
        Some(dir)
    })
    .as_deref()
}

/// The folder [`require`] chose, once a test asked for git-lfs (never installs anything).
pub fn installed_dir() -> Option<&'static Path> {
    DIR.get().and_then(Option::as_deref)
}

fn works(dir: Option<&Path>) -> bool {
    let mut cmd = Command::new("git");
    cmd.args(["lfs", "version"]);
    if let Some(dir) = dir {
        cmd.env("PATH", with_first(dir));
    }
    cmd.output().is_ok_and(|o| o.status.success())
}

/// `PATH` with `dir` first.
pub fn with_first(dir: &Path) -> std::ffi::OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&rest)))
        .expect("PATH entries join")
}

fn install(dir: &Path) -> Result<(), String> {
    let arch = std::env::consts::ARCH;
    let mut errors = Vec::new();
    for (_, url, sha) in PACKAGES.iter().filter(|(a, _, _)| *a == arch) {
        let out = Command::new("python3")
            .args(["-c", UNPACK, url, sha])
            .arg(dir)
            .output()
            .map_err(|e| format!("could not start python3: {e}"))?;
        if out.status.success() {
            return Ok(());
        }
        errors.push(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    Err(format!(
        "git-lfs is not installed and could not be fetched for {arch}:\n{}",
        errors.join("\n")
    ))
}
