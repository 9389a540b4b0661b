//! One module per subcommand: orchestration only, no raw HTTP or git plumbing.

pub mod command;
pub mod commit;
pub mod doctor;
pub mod fetch;
pub mod land;
pub mod locate;
pub mod preflight;
pub mod prune;
pub mod report;
pub mod schedule;
pub mod watch;
