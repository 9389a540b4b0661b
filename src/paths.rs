//! Which repository paths an untrusted source (an artifact, a manifest, a work tree the tests
//! wrote) may name, in the spirit of git's own `verify_path`: one spelling per file, nothing a
//! macOS (HFS+) or Windows (NTFS) checkout would read as `.git`, and a key under which two names
//! that such a checkout would store as one file collide.
//!
//! The rules follow git's documented behaviour (`core.protectHFS`, `core.protectNTFS`): HFS+
//! ignores some invisible code points and folds case; NTFS folds case, drops trailing dots and
//! spaces, reads `name:stream` as a stream of `name`, and has 8.3 short names (`GIT~1`).

use unicode_normalization::UnicodeNormalization;

use crate::neutralise::is_hidden_char;

/// Code points HFS+ leaves out when it compares names (git's list for `is_hfs_dotgit`):
/// zero-width joiners and marks, bidi embeddings and overrides, deprecated format characters
/// and the byte-order mark.
fn hfs_ignored(c: char) -> bool {
    matches!(
        c,
        '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}'
    )
}

/// Whether HFS+ would store `segment` as `.git`: `.git` in any ASCII case once the ignored code
/// points are dropped (`.g\u{200c}it`, `.GIT\u{feff}`).
pub fn is_hfs_dotgit(segment: &str) -> bool {
    let kept: String = segment.chars().filter(|&c| !hfs_ignored(c)).collect();
    kept.eq_ignore_ascii_case(".git")
}

/// Whether NTFS would open `segment` as `.git`: `.git` or its short name `git~1` (any ASCII
/// case), followed only by dots and spaces (which Windows drops), up to the end or a `:` (an
/// alternate data stream of `.git`, as in `.git::$INDEX_ALLOCATION`).
pub fn is_ntfs_dotgit(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    let rest = if bytes.len() >= 4 && bytes[..4].eq_ignore_ascii_case(b".git") {
        &bytes[4..]
    } else if bytes.len() >= 5 && bytes[..5].eq_ignore_ascii_case(b"git~1") {
        &bytes[5..]
    } else {
        return false;
    };
    let name_end = rest.iter().position(|&b| b == b':').unwrap_or(rest.len());
    rest[..name_end].iter().all(|&b| b == b'.' || b == b' ')
}

/// Why one `/`-separated segment of a repository path may not be written, if it may not.
pub fn check_segment(segment: &str) -> Result<(), String> {
    if is_hfs_dotgit(segment) || is_ntfs_dotgit(segment) {
        return Err(format!(
            "has a segment {segment:?} that macOS or Windows would read as .git"
        ));
    }
    if let Some(c) = segment.chars().find(|&c| is_hidden_char(c)) {
        return Err(format!(
            "contains the invisible or control character U+{:04X}",
            c as u32
        ));
    }
    Ok(())
}

/// The name a case-insensitive, normalising file system (macOS, Windows) would store `path`
/// under: Unicode-normalised (NFD and NFC spellings are one name), lower-cased, without the code
/// points HFS+ ignores. Two different paths with one key are one file there.
pub fn collision_key(path: &str) -> String {
    let lower: String = path
        .nfd()
        .filter(|&c| !hfs_ignored(c))
        .flat_map(char::to_lowercase)
        .collect();
    lower.nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hfs_lookalikes_of_dot_git_are_caught() {
        for name in [
            ".git",
            ".GIT",
            ".g\u{200c}it",
            ".gi\u{200d}t",
            "\u{feff}.git",
            ".git\u{202e}",
            ".G\u{206a}iT",
        ] {
            assert!(is_hfs_dotgit(name), "{name:?}");
        }
        for name in [".gitignore", "git", ".gi", ".g\u{200b}it-not"] {
            assert!(!is_hfs_dotgit(name), "{name:?}");
        }
    }

    #[test]
    fn ntfs_lookalikes_of_dot_git_are_caught() {
        for name in [
            ".git",
            ".GIT.",
            ".git ",
            ".git. . ",
            "GIT~1",
            "git~1..",
            ".git::$INDEX_ALLOCATION",
            ".git:x",
            "Git~1:stream",
        ] {
            assert!(is_ntfs_dotgit(name), "{name:?}");
        }
        for name in [
            ".gitx",
            ".git-blame",
            "git~2",
            "git~10",
            "xgit~1",
            ".gitattributes",
            "git",
        ] {
            assert!(!is_ntfs_dotgit(name), "{name:?}");
        }
    }

    #[test]
    fn segments_with_hidden_characters_are_refused_with_the_code_point() {
        assert!(check_segment("a.json").is_ok());
        assert!(check_segment("ünïcödé.json").is_ok());
        let err = check_segment("evil\u{202e}nosj.json").unwrap_err();
        assert!(err.contains("U+202E"), "{err}");
        assert!(check_segment("GIT~1").unwrap_err().contains(".git"));
    }

    #[test]
    fn names_that_differ_in_case_or_normalisation_share_a_key() {
        let nfc = "tests/caf\u{e9}.json";
        let nfd = "tests/cafe\u{301}.json";
        assert_ne!(nfc, nfd);
        assert_eq!(collision_key(nfc), collision_key(nfd));
        assert_eq!(collision_key("Tests/A.JSON"), collision_key("tests/a.json"));
        assert_ne!(collision_key("tests/a.json"), collision_key("tests/b.json"));
    }
}
