//! Version string shown by `--version`: the crate version plus the git commit it was built from.

pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("RERECORD_GIT_COMMIT"),
    ")"
);
