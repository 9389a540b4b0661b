//! insta snapshots of the text users read (PR comments, step summaries, Markdown reports, command
//! replies), with what differs from run to run redacted: local ports and temporary paths, the
//! values a test names (run ids), and, where git made them during the test, every full and
//! 12-digit sha. CI sets `CI=true`, so a changed or missing snapshot fails there instead of being
//! written.

use std::path::Path;

/// Snapshot `text` as `name` (under `tests/it/snapshots/text/`), after replacing each
/// `(value, placeholder)` of `known`, local ports and temporary paths.
pub fn assert_redacted(name: &str, text: &str, known: &[(&str, &str)]) {
    settings(known).bind(|| insta::assert_snapshot!(name, text));
}

/// [`assert_redacted`], and every sha too: for text about commits made during the test.
pub fn assert_redacted_shas(name: &str, text: &str, known: &[(&str, &str)]) {
    let mut settings = settings(known);
    settings.add_filter(r"\b[0-9a-f]{40}\b", "[SHA]");
    settings.add_filter(r"\b[0-9a-f]{12}\b", "[SHORT-SHA]");
    settings.bind(|| insta::assert_snapshot!(name, text));
}

fn settings(known: &[(&str, &str)]) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings
        .set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots/text"));
    settings.add_filter(r"127\.0\.0\.1:[0-9]+", "127.0.0.1:[PORT]");
    settings.add_filter(r"/tmp/[^\s`')\x22]+", "[TMP]");
    for (value, placeholder) in known {
        settings.add_filter(&format!(r"\b{}\b", regex::escape(value)), *placeholder);
    }
    settings
}
