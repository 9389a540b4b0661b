//! `rerecord doctor`.

use std::process::ExitCode;

use crate::cli::DoctorArgs;

pub async fn run(_args: DoctorArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`rerecord doctor` is not available in this build yet")
}
