//! Version string shown by `--version`: the crate version plus the git commit it was built from.

pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("RERECORD_GIT_COMMIT"),
    ")"
);

/// The full commit id this binary was built from ("unknown" outside a git checkout).
pub const COMMIT: &str = env!("RERECORD_GIT_COMMIT_FULL");
