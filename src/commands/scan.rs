//! `rerecord scan [PATHS…] [--staged] [--json]`: the secret scan `commit`, `land` and `fetch`
//! run, on demand (a pre-commit hook). Without PATHS: the recordings changed against HEAD (or,
//! with `--staged`, every staged recording). Exit 0 clean, 1 on a hit, 2 on an error.

use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::ScanCommandArgs;
use crate::config::Config;
use crate::git::GitRepo;
use crate::git::status::ChangeKind;
use crate::neutralise::{json_line, safe_lines, safe_text};
use crate::review::hooks::Gate;
use crate::review::secrets::{FILE_LIMIT, Hit};

/// What to scan: a file on disk or a staged blob, and the path to name it by.
enum Target {
    Disk(String, PathBuf),
    Staged(String, crate::git::Oid),
}

pub fn run(args: &ScanCommandArgs) -> ExitCode {
    match scan(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", safe_lines(&format!("{err:#}")));
            ExitCode::from(2)
        }
    }
}

fn scan(args: &ScanCommandArgs) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("failed to read the current directory")?;
    let repo = GitRepo::discover(&cwd);
    let config = match &repo {
        Ok(r) => Config::load(&r.workdir()?)?,
        Err(_) => Config::default(),
    };
    let gate = Gate::new(&config.review, &args.scan, false)?;
    let targets = match (&repo, args.paths.is_empty()) {
        (Ok(repo), true) => changed(repo, &config, args.staged)?,
        (Err(e), true) => {
            anyhow::bail!("{e:#}; or pass the files or folders to scan: rerecord scan PATH…")
        }
        (Ok(repo), false) if args.staged => staged_paths(repo, &cwd, &args.paths)?,
        (Err(e), false) if args.staged => {
            anyhow::bail!("--staged reads the git index: {e:#}")
        }
        (_, false) => disk_paths(&args.paths)?,
    };
    let mut hits: Vec<Hit> = Vec::new();
    for target in &targets {
        hits.extend(match target {
            Target::Disk(shown, file) => gate.scan_file(shown, file)?,
            Target::Staged(shown, id) => {
                let repo = repo.as_ref().map_err(|e| anyhow::anyhow!("{e:#}"))?;
                let size = repo.blob_size(*id)?;
                anyhow::ensure!(
                    size <= FILE_LIMIT,
                    "{shown} is over the {} GiB a recording may be; it cannot be scanned",
                    FILE_LIMIT >> 30
                );
                gate.scan(shown, &repo.blob(*id)?)
            }
        });
    }
    print(args.json, targets.len(), &hits)?;
    Ok(if hits.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The recordings changed against HEAD (work tree), or staged (index).
fn changed(repo: &GitRepo, config: &Config, staged: bool) -> anyhow::Result<Vec<Target>> {
    if staged {
        return Ok(repo
            .staged_changes()?
            .into_iter()
            .filter(|(p, _)| config.recordings.matches(p))
            .map(|(p, id)| Target::Staged(p, id))
            .collect());
    }
    let workdir = repo.workdir()?;
    Ok(repo
        .changed_recordings(&config.recordings, false)?
        .recordings
        .into_iter()
        .filter(|f| f.kind != ChangeKind::Deleted)
        .map(|f| Target::Disk(f.path.clone(), workdir.join(&f.path)))
        .collect())
}

/// The staged blobs of `paths` (relative to the current directory).
fn staged_paths(repo: &GitRepo, cwd: &Path, paths: &[PathBuf]) -> anyhow::Result<Vec<Target>> {
    let root = repo
        .workdir()?
        .canonicalize()
        .context("failed to read the work tree")?;
    let here = cwd
        .canonicalize()
        .context("failed to read the current directory")?;
    let mut out = Vec::new();
    for p in paths {
        let rel = normalise(&here.join(p));
        let Some(rel) = rel.strip_prefix(&root).ok().and_then(|r| r.to_str()) else {
            anyhow::bail!(
                "{} is outside the repository",
                safe_text(&p.display().to_string())
            );
        };
        let rel = rel.replace('\\', "/");
        let id = repo.staged_blob(&rel)?.with_context(|| {
            format!(
                "{} is not in the git index; `git add` it, or drop --staged",
                safe_text(&rel)
            )
        })?;
        out.push(Target::Staged(rel, id));
    }
    Ok(out)
}

/// `a/./b/../c` as `a/c`, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Files, and every regular file under folders (symlinks are not followed; `.git` is skipped).
fn disk_paths(paths: &[PathBuf]) -> anyhow::Result<Vec<Target>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::symlink_metadata(p)
            .with_context(|| format!("cannot read {}", safe_text(&p.display().to_string())))?;
        if meta.is_dir() {
            walk(p, &mut out)?;
        } else if meta.is_file() {
            out.push(Target::Disk(shown(p), p.clone()));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<Target>) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", safe_text(&dir.display().to_string())))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() && entry.file_name() != ".git" {
            walk(&path, out)?;
        } else if kind.is_file() {
            out.push(Target::Disk(shown(&path), path));
        }
    }
    Ok(())
}

fn shown(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn print(json: bool, scanned: usize, hits: &[Hit]) -> anyhow::Result<()> {
    if json {
        let items: Vec<serde_json::Value> = hits
            .iter()
            .map(|h| {
                serde_json::json!({
                    "path": h.shown_path(),
                    "pointer": h.pointer,
                    "line": h.line,
                    "kind": h.kind,
                    "masked": h.secret.masked(),
                    "location": h.location(),
                })
            })
            .collect();
        let out = serde_json::json!({"scanned": scanned, "clean": hits.is_empty(), "hits": items});
        println!("{}", json_line(&out)?);
        return Ok(());
    }
    if hits.is_empty() {
        println!(
            "No credential found in {scanned} {}.",
            if scanned == 1 { "file" } else { "files" }
        );
        return Ok(());
    }
    for h in hits {
        println!("{}", safe_text(&h.to_string()));
    }
    eprintln!(
        "{} {} found in {scanned} scanned {}. Remove {} (redact in the recorder, e.g. vcrpy's \
         filter_headers, then re-record); for a known false positive, pass --allow-secret with \
         its location, e.g. --allow-secret '{}'",
        hits.len(),
        if hits.len() == 1 {
            "credential"
        } else {
            "credentials"
        },
        if scanned == 1 { "file" } else { "files" },
        if hits.len() == 1 { "it" } else { "them" },
        safe_text(&hits[0].location())
    );
    Ok(())
}
