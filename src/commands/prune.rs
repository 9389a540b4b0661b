//! `rerecord prune --collected FILE`: list the recordings whose test id is not among the tests a
//! run collected, and with `--delete` remove them from the work tree.

use std::process::ExitCode;

use anyhow::Context;

use crate::actions::safe_text;
use crate::cli::PruneArgs;
use crate::config::Config;
use crate::error::usage;
use crate::git::GitRepo;
use crate::review::orphans;

pub fn run(args: &PruneArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.collected).with_context(|| {
        format!(
            "failed to read {}; pass the output of `pytest --collect-only -q`",
            args.collected.display()
        )
    })?;
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
        for o in &found.orphans {
            std::fs::remove_file(workdir.join(&o.path))
                .with_context(|| format!("failed to delete {}", o.path))?;
        }
    }
    if args.json {
        let mut value = serde_json::to_value(&found)?;
        value["collected"] = collected.len().into();
        value["deleted"] = args.delete.into();
        crate::output::outln!("{}", crate::actions::json_line(&value)?);
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
        if found.without_test_id > 0 {
            format!(
                " ({} have no test id and were not judged)",
                found.without_test_id
            )
        } else {
            String::new()
        },
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
