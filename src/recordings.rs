//! Which paths are recordings: the configured globs, matched by globset.
//!
//! A glob is a repo-relative, `/`-separated pattern: `*` and `?` stay within one path segment,
//! `**` as a whole segment matches any number of segments (none included), and `[abc]` / `{a,b}`
//! work within a segment. A glob ending in `/` names folders: the files below a matching folder
//! are recordings, the folder itself is not. Any other glob also matches a file by itself.
//! A pattern the matcher cannot take is refused, never narrowed to something it can.

use std::fmt;

use globset::{GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};

/// The recording globs of a project.
#[derive(Debug, Clone)]
pub struct Globs {
    globs: Vec<Glob>,
    /// The files each glob makes recordings.
    set: GlobSet,
    /// The folders all of whose files are recordings: a glob's match (as a folder), or below.
    folders: GlobSet,
}

impl PartialEq for Globs {
    fn eq(&self, other: &Self) -> bool {
        self.as_strings() == other.as_strings()
    }
}

impl Eq for Globs {}

#[derive(Debug, Clone)]
struct Glob {
    text: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone)]
enum Segment {
    /// `**`: any number of segments.
    AnyDepth,
    /// A segment without wildcards.
    Literal(String),
    /// A segment with `*`, `?`, `[…]` or `{…}`.
    Pattern(GlobMatcher),
}

/// Characters that make a segment a pattern.
const WILDCARDS: [char; 4] = ['*', '?', '[', '{'];

impl Globs {
    pub fn new<S: AsRef<str>>(globs: impl IntoIterator<Item = S>) -> anyhow::Result<Self> {
        let globs = globs
            .into_iter()
            .map(|g| Glob::parse(g.as_ref()))
            .collect::<anyhow::Result<Vec<_>>>()?;
        anyhow::ensure!(
            !globs.is_empty(),
            "`recordings` must list at least one glob"
        );
        let (mut set, mut folders) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        for glob in &globs {
            let base = glob.text.trim_end_matches('/');
            let below = compile(&glob.text, &format!("{base}/**"))?;
            let itself = compile(&glob.text, base)?;
            set.add(below.clone());
            if !glob.text.ends_with('/') {
                set.add(itself.clone());
            }
            folders.add(below).add(itself);
        }
        let build = |b: GlobSetBuilder| {
            b.build()
                .map_err(|e| anyhow::anyhow!("the recording globs could not be compiled: {e}"))
        };
        Ok(Self {
            globs,
            set: build(set)?,
            folders: build(folders)?,
        })
    }

    /// Whether the repo-relative, `/`-separated file `path` is a recording. A path ending in `/`
    /// is a directory, and never a recording.
    pub fn matches(&self, path: &str) -> bool {
        if path.ends_with('/') {
            return false;
        }
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if segments.is_empty() || segments.iter().any(|s| *s == "." || *s == "..") {
            return false;
        }
        self.set.is_match(segments.join("/"))
    }

    /// Whether every file below the folder `dir` is a recording (a tree walk can skip it whole).
    pub fn covers(&self, dir: &str) -> bool {
        let dir = dir.trim_end_matches('/');
        !dir.split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
            && self.folders.is_match(dir)
    }

    /// Whether `dir` (repo-relative) could contain recordings: a directory that is a prefix of a
    /// glob or lies under a match. Lets a tree walk skip everything else.
    pub fn may_contain(&self, dir: &str) -> bool {
        let segments: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
        self.globs.iter().any(|g| g.may_contain(&segments))
    }

    /// The literal prefix of each glob up to its first wildcard segment, as git pathspecs
    /// (e.g. `tests/integration`), to limit status scans. A prefix inside another is dropped;
    /// an empty list means the whole tree (a glob starting with a wildcard).
    pub fn literal_prefixes(&self) -> Vec<String> {
        let mut out: Vec<String> = self.globs.iter().map(Glob::literal_prefix).collect();
        if out.iter().any(String::is_empty) {
            return Vec::new();
        }
        out.sort();
        out.dedup();
        let kept: Vec<String> = out
            .iter()
            .filter(|p| {
                !out.iter()
                    .any(|q| q != *p && p.starts_with(q.as_str()) && p[q.len()..].starts_with('/'))
            })
            .cloned()
            .collect();
        kept
    }

    pub fn as_strings(&self) -> Vec<String> {
        self.globs.iter().map(|g| g.text.clone()).collect()
    }
}

impl fmt::Display for Globs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_strings().join(", "))
    }
}

/// One pattern, `*` never crossing a `/`; `text` is the glob as configured, for messages.
fn compile(text: &str, pattern: &str) -> anyhow::Result<globset::Glob> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(false)
        .build()
        .map_err(|e| unsupported(text, &e.kind().to_string()))
}

fn unsupported(text: &str, why: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "recording glob {text:?} is not supported: {why}. Globs take `*` and `?` (within one path \
         segment), `**` as a whole segment (any depth), and `[abc]` or `{{a,b}}` within a segment"
    )
}

impl Glob {
    fn parse(text: &str) -> anyhow::Result<Self> {
        let raw: Vec<&str> = text.split('/').filter(|s| !s.is_empty()).collect();
        anyhow::ensure!(
            !text.starts_with('/') && !raw.is_empty(),
            "recording glob {text:?} must be a repo-relative path"
        );
        anyhow::ensure!(
            !raw.iter()
                .any(|s| *s == ".." || *s == "." || s.contains('\\')),
            "recording glob {text:?} must not contain `.`, `..` or backslashes"
        );
        if text.starts_with('!') {
            return Err(unsupported(
                text,
                "a leading `!` (negation) is not a glob here; list only what is a recording",
            ));
        }
        anyhow::ensure!(
            raw.iter().any(|s| !s.contains(WILDCARDS)),
            "recording glob {text:?} matches everything; name at least one folder"
        );
        let segments = raw
            .iter()
            .map(|s| match *s {
                "**" => Ok(Segment::AnyDepth),
                s if !s.contains(WILDCARDS) => Ok(Segment::Literal(s.to_owned())),
                s if s.contains("**") => Err(unsupported(
                    text,
                    &format!("`**` must be a whole path segment, not part of {s:?}"),
                )),
                s => compile(text, s).map(|g| Segment::Pattern(g.compile_matcher())),
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            text: text.to_owned(),
            segments,
        })
    }

    fn may_contain(&self, dir: &[&str]) -> bool {
        for (i, seg) in dir.iter().enumerate() {
            match self.segments.get(i) {
                None | Some(Segment::AnyDepth) => return true,
                Some(Segment::Literal(lit)) if lit != seg => return false,
                Some(Segment::Pattern(m)) if !m.is_match(seg) => return false,
                Some(_) => {}
            }
        }
        true
    }

    fn literal_prefix(&self) -> String {
        let literal: Vec<&str> = self
            .segments
            .iter()
            .map_while(|s| match s {
                Segment::Literal(lit) => Some(lit.as_str()),
                _ => None,
            })
            .collect();
        literal.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::holds;

    fn default_globs() -> Globs {
        Globs::new(crate::config::DEFAULT_RECORDINGS).unwrap()
    }

    #[test]
    fn double_star_matches_any_depth_including_none() {
        let yes = [
            "tests/integration/recordings/x.json",
            "tests/integration/agents/recordings/responses/x.json",
            "tests/integration/providers/nvidia/recordings/x.json",
            "tests/integration/a/b/c/recordings/d/e.json",
        ];
        let no = [
            "tests/integration/agents/x.json",
            "tests/integration/agents/recordingsx/x.json",
            "tests/unit/recordings/x.json",
            "client-typescript/package.json",
            "tests/integration/agents/recordings/../../../x",
        ];
        holds(&default_globs(), Globs::matches, &yes, &no);
    }

    #[test]
    fn a_directory_is_not_a_recording() {
        let g = default_globs();
        let dirs = [
            "tests/integration/recordings",
            "tests/integration/recordings/",
            "tests/integration/agents/recordings",
            "tests/integration/recordings/responses/",
        ];
        holds(&g, Globs::matches, &[], &dirs);
        let covered = [
            "tests/integration/recordings",
            "tests/integration/providers/nvidia/recordings/responses",
        ];
        holds(
            &g,
            Globs::covers,
            &covered,
            &["tests/integration/providers"],
        );
        let g = Globs::new(["tapes/*/x"]).unwrap();
        assert!(g.matches("tapes/a/x"));
        assert!(!g.covers("tapes/a"), "only the file x is a recording there");
    }

    #[test]
    fn star_stays_within_one_segment() {
        let g = Globs::new(["tests/integration/*/recordings/"]).unwrap();
        let no = [
            "tests/integration/recordings/x.json",
            "tests/integration/a/b/recordings/x.json",
        ];
        holds(
            &g,
            Globs::matches,
            &["tests/integration/agents/recordings/x.json"],
            &no,
        );
        let g = Globs::new(["fixtures/rec*/", "tapes/**/*.yaml"]).unwrap();
        let yes = [
            "fixtures/recordings/a/b.json",
            "tapes/a.yaml",
            "tapes/x/y/a.yaml",
        ];
        holds(
            &g,
            Globs::matches,
            &yes,
            &["fixtures/other/a.json", "tapes/x/a.json"],
        );
    }

    #[test]
    fn unsupported_patterns_are_refused_with_what_works() {
        for bad in [
            "tests/a**/recordings/",
            "tests/[ab/x/",
            "tests/{a,b/x/",
            "!tests/x/",
        ] {
            let err = Globs::new([bad]).unwrap_err().to_string();
            assert!(err.contains("is not supported"), "{bad}: {err}");
            assert!(err.contains("`**` as a whole segment"), "{bad}: {err}");
        }
        assert!(Globs::new(["tests/{agents,inference}/recordings/"]).is_ok());
    }

    #[test]
    fn may_contain_prunes_walks() {
        let yes = [
            "tests",
            "tests/integration/agents",
            "tests/integration/providers/nvidia",
            "tests/integration/agents/recordings/responses",
        ];
        holds(
            &default_globs(),
            Globs::may_contain,
            &yes,
            &["src", "tests/unit"],
        );
        let g = Globs::new(["tests/integration/*/recordings/"]).unwrap();
        let (yes, no) = (
            "tests/integration/agents/recordings/a",
            "tests/integration/agents/other",
        );
        holds(&g, Globs::may_contain, &[yes], &[no]);
    }

    #[test]
    fn literal_prefixes_limit_the_scan() {
        assert_eq!(default_globs().literal_prefixes(), ["tests/integration"]);
        let g = Globs::new([
            "tests/integration/recordings/",
            "tests/integration/*/recordings/",
            "fixtures/cassettes/",
            "fixtures-b/*/x/",
        ])
        .unwrap();
        assert_eq!(
            g.literal_prefixes(),
            ["fixtures-b", "fixtures/cassettes", "tests/integration"]
        );
        let g = Globs::new(["*/recordings/"]).unwrap();
        assert!(g.literal_prefixes().is_empty(), "the whole tree");
    }

    #[test]
    fn hostile_globs_rejected() {
        for bad in ["/etc/", "../x", "*/", "**/", "a\\b/"] {
            assert!(Globs::new([bad]).is_err(), "{bad}");
        }
    }
}
