//! Errors a caller must branch on, and the mapping of any error to an exit code.
//!
//! Everything else is `anyhow` with context; only these typed errors change behaviour.

use thiserror::Error;

/// A problem with what the user typed (exit 2), found after clap's own parsing.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Exit code for an error: 2 for usage errors, 1 for everything else.
pub fn exit_code_for(err: &anyhow::Error) -> u8 {
    if err.chain().any(|cause| cause.is::<UsageError>()) {
        2
    } else {
        1
    }
}

/// Shorthand for returning a usage error.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}
