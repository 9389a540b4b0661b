//! `rerecord commit`.

use std::process::ExitCode;

use crate::cli::CommitArgs;

pub async fn run(_args: CommitArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`rerecord commit` is not available in this build yet")
}
