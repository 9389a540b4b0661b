//! One module per subcommand: orchestration only, no raw HTTP or git plumbing.

pub mod command;
pub mod commit;
pub mod doctor;
pub mod fetch;
pub mod init;
pub mod inputs;
pub mod land;
mod landing;
pub mod locate;
pub mod preflight;
pub mod prune;
pub mod report;
pub mod scan;
pub mod schedule;
pub mod watch;

pub use landing::{FileLine, Landing};

/// The first 12 characters of a commit id, for messages. The id may come from a manifest (any
/// text), so the cut is made on a character boundary.
pub fn short(sha: &str) -> &str {
    sha.char_indices().nth(12).map_or(sha, |(at, _)| &sha[..at])
}

/// A flag's value, trimmed; empty (an action's unset input) counts as absent.
pub(crate) fn given(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}
