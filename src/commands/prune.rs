//! `rerecord prune --collected FILE`: list the recordings whose test id is not among the tests a
//! run collected, and with `--delete` remove them from the work tree.

use std::process::ExitCode;

use anyhow::Context;

use crate::cli::PruneArgs;
use crate::config::Config;
use crate::error::usage;
use crate::git::GitRepo;
use crate::neutralise::safe_text;
use crate::review::orphans;

pub fn run(args: &PruneArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.collected).with_context(|| {
        format!(
            "failed to read {}; pass the output of `pytest --collect-only -q`",
            args.collected.display()
        )
    })?;
    if let Some(n) = orphans::deselected(&text) {
        return Err(usage(format!(
            "{} is a filtered collection ({n} tests deselected by -k or -m): their recordings would \
             look orphaned. Collect without -k/-m (`pytest --collect-only -q`). Nothing was deleted",
            args.collected.display()
        )));
    }
    let collected = orphans::collected_ids(&text);
    if collected.is_empty() {
        // An empty list would make every recording an orphan.
        return Err(usage(format!(
            "{} lists no test ids (lines like `tests/x/test_y.py::test_z`); pass the output of \
             `pytest --collect-only -q`. Nothing was deleted",
            args.collected.display()
        )));
    }
    let cwd = std::env::current_dir().context("failed to read the current directory")?;
    let repo = GitRepo::discover(&cwd)?;
    let workdir = repo.workdir()?;
    let config = Config::load(&workdir)?;
    let found = orphans::find(
        &workdir,
        &config.recordings,
        &config.review.test_id,
        &collected,
    )?;
    if args.delete {
        confirm_untracked(&repo, &found.orphans, args.yes)?;
        for o in &found.orphans {
            std::fs::remove_file(workdir.join(&o.path))
                .with_context(|| format!("failed to delete {}", o.path))?;
        }
    }
    if args.json {
        let mut value = serde_json::to_value(&found)?;
        value["collected"] = collected.len().into();
        value["deleted"] = args.delete.into();
        crate::output::outln!("{}", crate::neutralise::json_line(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    for o in &found.orphans {
        crate::output::outln!("{}  {}", safe_text(&o.path), safe_text(&o.test_id));
    }
    let n = found.orphans.len();
    eprintln!(
        "{n} of {} recordings belong to none of the {} collected tests{}{}",
        found.recordings,
        collected.len(),
        not_judged(&found),
        match (n, args.delete) {
            (0, _) => String::new(),
            (_, true) =>
                "; deleted them (`rerecord commit --include-deletions` carries the deletions)"
                    .to_owned(),
            (_, false) => "; pass --delete to remove them".to_owned(),
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Why some recordings were not judged, as a parenthesis for the summary line.
fn not_judged(found: &orphans::Orphans) -> String {
    let mut why = Vec::new();
    if found.without_test_id > 0 {
        why.push(format!("{} have no test id", found.without_test_id));
    }
    if found.module_not_collected > 0 {
        why.push(format!(
            "{} belong to test modules the list does not include",
            found.module_not_collected
        ));
    }
    if why.is_empty() {
        String::new()
    } else {
        format!(" ({} and were not judged)", why.join("; "))
    }
}

/// Deleting a file git does not track cannot be undone: name them, then go on only with `--yes`
/// or a yes on a terminal. Nothing is deleted otherwise.
fn confirm_untracked(repo: &GitRepo, found: &[orphans::Orphan], yes: bool) -> anyhow::Result<()> {
    let untracked = repo.untracked(found.iter().map(|o| o.path.as_str()))?;
    if untracked.is_empty() || yes {
        return Ok(());
    }
    let listed: Vec<String> = untracked
        .iter()
        .map(|p| format!("  {}", safe_text(p)))
        .collect();
    eprintln!(
        "{} of the orphans are not tracked by git, so deleting them cannot be undone:\n{}",
        untracked.len(),
        listed.join("\n")
    );
    if crate::term::can_prompt() {
        let go = dialoguer::Confirm::new()
            .with_prompt("Delete them too?")
            .default(false)
            .interact()
            .context("no answer")?;
        if go {
            return Ok(());
        }
        anyhow::bail!("nothing was deleted");
    }
    Err(usage(
        "refusing to delete untracked files without a terminal to ask on; pass --yes to delete \
         them too (or add them to git first). Nothing was deleted",
    ))
}
