//! `rerecord land`.

use std::process::ExitCode;

use crate::cli::LandArgs;

pub async fn run(_args: LandArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`rerecord land` is not available in this build yet")
}
