//! Which paths are recordings: the configured globs.
//!
//! A glob is a repo-relative path whose segments may contain `*`; a `*` never crosses a `/`,
//! so `tests/integration/*/recordings/` matches exactly one module folder. A path matches when
//! its leading segments match the whole glob: a matched directory includes everything below it.

use std::fmt;

/// The recording globs of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Globs {
    globs: Vec<Glob>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Glob {
    text: String,
    segments: Vec<String>,
}

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
        Ok(Self { globs })
    }

    /// Whether the repo-relative, `/`-separated `path` is a recording (or below one).
    pub fn matches(&self, path: &str) -> bool {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if segments.iter().any(|s| *s == "." || *s == "..") {
            return false;
        }
        self.globs.iter().any(|g| g.matches(&segments))
    }

    /// Whether `dir` (repo-relative) could contain recordings: a directory that is a prefix of a
    /// glob or lies under a match. Lets a tree walk skip everything else.
    pub fn may_contain(&self, dir: &str) -> bool {
        let segments: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
        self.globs.iter().any(|g| {
            g.segments
                .iter()
                .zip(&segments)
                .all(|(pat, seg)| segment_matches(pat, seg))
        })
    }

    /// The literal prefix of each glob up to its first wildcard segment, as git pathspecs
    /// (e.g. `tests/integration/`), to limit status scans.
    pub fn literal_prefixes(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .globs
            .iter()
            .map(|g| {
                let lit: Vec<&str> = g
                    .segments
                    .iter()
                    .take_while(|s| !s.contains('*'))
                    .map(String::as_str)
                    .collect();
                lit.join("/")
            })
            .collect();
        out.sort();
        out.dedup();
        out
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

impl Glob {
    fn parse(text: &str) -> anyhow::Result<Self> {
        let segments: Vec<String> = text
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        anyhow::ensure!(
            !text.starts_with('/') && !segments.is_empty(),
            "recording glob {text:?} must be a repo-relative path"
        );
        anyhow::ensure!(
            !segments
                .iter()
                .any(|s| s == ".." || s == "." || s.contains('\\')),
            "recording glob {text:?} must not contain `.`, `..` or backslashes"
        );
        anyhow::ensure!(
            segments.iter().any(|s| !s.contains('*')),
            "recording glob {text:?} matches everything; name at least one folder"
        );
        Ok(Self {
            text: text.to_owned(),
            segments,
        })
    }

    fn matches(&self, path: &[&str]) -> bool {
        path.len() >= self.segments.len()
            && self
                .segments
                .iter()
                .zip(path)
                .all(|(pat, seg)| segment_matches(pat, seg))
    }
}

/// `*` matches any run of characters within one segment.
fn segment_matches(pattern: &str, segment: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = segment.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    if parts.is_empty() {
        return rest.is_empty();
    }
    for (i, part) in parts.iter().enumerate() {
        if i == parts.len() - 1 {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_globs() -> Globs {
        Globs::new(crate::config::DEFAULT_RECORDINGS).unwrap()
    }

    #[test]
    fn star_matches_exactly_one_segment() {
        let g = default_globs();
        assert!(g.matches("tests/integration/agents/recordings/responses/x.json"));
        assert!(g.matches("tests/integration/recordings/x.json"));
        assert!(!g.matches("tests/integration/a/b/recordings/x.json"));
        assert!(!g.matches("tests/integration/agents/x.json"));
        assert!(!g.matches("client-typescript/package.json"));
        assert!(!g.matches("tests/integration/agents/recordings/../../../x"));
    }

    #[test]
    fn may_contain_prunes_walks() {
        let g = default_globs();
        assert!(g.may_contain("tests"));
        assert!(g.may_contain("tests/integration/agents"));
        assert!(g.may_contain("tests/integration/agents/recordings/responses"));
        assert!(!g.may_contain("src"));
        assert_eq!(
            g.literal_prefixes(),
            vec![
                "tests/integration".to_owned(),
                "tests/integration/recordings".to_owned()
            ]
        );
    }

    #[test]
    fn segment_wildcards() {
        assert!(segment_matches("rec*", "recordings"));
        assert!(segment_matches("*ings", "recordings"));
        assert!(segment_matches("r*c*s", "recordings"));
        assert!(!segment_matches("rec*x", "recordings"));
    }

    #[test]
    fn hostile_globs_rejected() {
        assert!(Globs::new(["/etc/"]).is_err());
        assert!(Globs::new(["../x"]).is_err());
        assert!(Globs::new(["*/"]).is_err());
    }
}
