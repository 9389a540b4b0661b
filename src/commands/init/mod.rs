//! `rerecord init`: set rerecord up in a project's checkout. Detect the recordings, the test
//! command and the workflows already there (`detect`), plan the files from the built-in templates
//! (`render`), show them as a diff, ask, write the new ones (never overwriting a file), then run
//! `doctor`'s local checks.

mod detect;
mod render;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::InitArgs;
use crate::config::DEFAULT_WORKFLOW;
use crate::git::GitRepo;
use detect::Detected;
use render::Planned;

pub fn run(args: &InitArgs) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("failed to read the current directory")?;
    let root = GitRepo::discover(&cwd)?.workdir()?;
    let sha = action_sha(args.action_sha.as_deref())?;
    let detected = detect::detect(&root);
    print_findings(&detected);
    let planned = plan(&root, &detected, &sha)?;
    let mut new = Vec::new();
    for file in planned {
        match std::fs::read_to_string(root.join(&file.path)) {
            Ok(old) if old == file.content => println!("up to date: {}", file.path),
            Ok(_) => println!(
                "kept: {} exists and differs from what init writes; init never overwrites a file \
                 (move it away and run init again to get the template)",
                file.path
            ),
            Err(_) => new.push(file),
        }
    }
    if new.is_empty() {
        println!("\nnothing to write.");
        local_checks(&detected);
        return Ok(ExitCode::SUCCESS);
    }
    println!();
    for file in &new {
        print!("{}", diff(file));
    }
    if args.dry_run {
        println!("\ndry run: nothing written ({} files would be).", new.len());
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes {
        if !crate::term::can_prompt() {
            return Err(crate::error::usage(format!(
                "init would write {} files and cannot ask without a terminal: pass --yes to write \
                 them, or --dry-run to only see them",
                new.len()
            )));
        }
        if !confirm(new.len())? {
            println!("nothing written.");
            return Ok(ExitCode::SUCCESS);
        }
    }
    write(&root, &new)?;
    print_next_steps(&new, &sha);
    local_checks(&detected);
    Ok(ExitCode::SUCCESS)
}

/// `--action-sha`, else this build's own commit when it is a full SHA.
fn action_sha(flag: Option<&str>) -> anyhow::Result<String> {
    let sha = match flag {
        Some(s) => s.trim().to_owned(),
        None => {
            let own = crate::version::COMMIT;
            if render::check_sha(own).is_err() {
                return Err(crate::error::usage(format!(
                    "this rerecord was not built from a git checkout (commit: {own}), so init cannot \
                     pin the actions to it: pass --action-sha SHA, the full commit of the rerecord \
                     release you use (git ls-remote https://github.com/rerecord/rerecord \
                     refs/tags/v{})",
                    env!("CARGO_PKG_VERSION")
                )));
            }
            own.to_owned()
        }
    };
    render::check_sha(&sha).map_err(crate::error::usage)?;
    Ok(sha)
}

fn print_findings(d: &Detected) {
    println!("rerecord init: what this checkout holds");
    match &d.layout {
        Some(l) => {
            println!(
                "  recordings: {} in {}",
                l.format.describe(),
                shown(&l.folders)
            );
            println!("  globs:      {}", l.globs.join(", "));
            match &l.switch {
                Some(s) => println!("  record mode: {s}"),
                None => println!(
                    "  record mode: no switch found; the workflow's test step is marked ADAPT"
                ),
            }
        }
        None => println!(
            "  recordings: none found; writing the llama-stack template (ADAPT its test step and \
             set `recordings` in rerecord.toml)"
        ),
    }
    match &d.recording_workflow {
        Some(w) => {
            println!(
                "  workflow:   .github/workflows/{} (kept){}; inputs: {}",
                w.file,
                w.name
                    .as_ref()
                    .map(|n| format!(" {n:?}"))
                    .unwrap_or_default(),
                if w.inputs.is_empty() {
                    "none".to_owned()
                } else {
                    w.inputs.join(", ")
                }
            );
            if !w.uses_rerecord {
                println!(
                    "              it does not use the rerecord action yet: add its \"Stage and \
                     upload the recordings\" step and land job (see workflows/{DEFAULT_WORKFLOW})"
                );
            }
        }
        None => println!("  workflow:   none yet; writing .github/workflows/{DEFAULT_WORKFLOW}"),
    }
    println!();
}

fn shown(folders: &[String]) -> String {
    match folders.len() {
        0 => "(no folder yet)".to_owned(),
        n if n <= 4 => folders.join(", "),
        n => format!("{} and {} more", folders[..3].join(", "), n - 3),
    }
}

/// Every file init wants, in the order shown.
fn plan(root: &Path, d: &Detected, sha: &str) -> anyhow::Result<Vec<Planned>> {
    let version = env!("CARGO_PKG_VERSION");
    let mut files = Vec::new();
    if d.recording_workflow.is_none() {
        let record = render::record_workflow(render::RECORD_TEMPLATE, d.layout.as_ref());
        files.push(Planned {
            path: format!(".github/workflows/{DEFAULT_WORKFLOW}"),
            content: render::pin(&record, sha, version)?,
        });
    }
    let name = d
        .recording_workflow
        .as_ref()
        .and_then(|w| w.name.as_deref());
    files.push(Planned {
        path: ".github/workflows/commit-recordings.yml".into(),
        content: render::pin(
            &render::companion(render::COMPANION_TEMPLATE, name),
            sha,
            version,
        )?,
    });
    files.push(Planned {
        path: ".github/workflows/rerecord-command.yml".into(),
        content: render::pin(render::COMMAND_TEMPLATE, sha, version)?,
    });
    if let Some(config) = render::config(d) {
        let exists = ["rerecord.toml", ".github/rerecord.toml"]
            .iter()
            .any(|p| root.join(p).exists());
        if !exists {
            files.push(Planned {
                path: "rerecord.toml".into(),
                content: config,
            });
        }
    }
    Ok(files)
}

/// A new file as a unified diff against nothing.
fn diff(file: &Planned) -> String {
    similar::TextDiff::from_lines("", file.content.as_str())
        .unified_diff()
        .header("/dev/null", &format!("b/{}", file.path))
        .to_string()
}

fn confirm(n: usize) -> anyhow::Result<bool> {
    dialoguer::Confirm::new()
        .with_prompt(format!("Write these {n} files?"))
        .default(false)
        .interact()
        .context("no answer given")
}

fn write(root: &Path, files: &[Planned]) -> anyhow::Result<()> {
    for file in files {
        let path = root.join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("failed to create {}", dir.display()))?;
        }
        // create_new: a file that appeared since the diff is not overwritten.
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("failed to create {}", path.display()))?;
        std::io::Write::write_all(&mut out, file.content.as_bytes())
            .with_context(|| format!("failed to write {}", path.display()))?;
        println!("wrote {}", file.path);
    }
    Ok(())
}

fn print_next_steps(files: &[Planned], sha: &str) {
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    println!("\nnext steps:");
    println!("  1. read the lines marked ADAPT (setups, suites, install step, test command)");
    println!(
        "  2. commit and push: git add {} && git commit -m \"Record tests with rerecord\"",
        paths.join(" ")
    );
    println!(
        "  3. the actions are pinned to {}; check it is a rerecord release commit",
        super::short(sha)
    );
    println!("  4. then: rerecord doctor, and rerecord schedule on a PR branch\n");
}

/// `doctor`'s local checks, for the workflow the project records with (what they find is
/// advice: init's own outcome is the files).
fn local_checks(d: &Detected) {
    println!("doctor (local checks; `rerecord doctor` also checks the token and GitHub):");
    let workflow = d.recording_workflow.as_ref().map(|w| w.file.as_str());
    crate::commands::doctor::print_local_checks(workflow);
}
