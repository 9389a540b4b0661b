//! `rerecord schedule`.

use std::process::ExitCode;

use crate::cli::ScheduleArgs;

pub async fn run(_args: ScheduleArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`rerecord schedule` is not available in this build yet")
}
