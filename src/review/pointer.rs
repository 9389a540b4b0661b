//! JSON paths: one segment per key or index, shown as RFC 6901 pointers (`/response/body/id`,
//! for config and `--allow-secret`) or as a dotted path (`response.body.choices[0].id`, for
//! people), and matched against `[review] volatile` patterns.
//!
//! A pattern is a JSON pointer whose segments may hold `*`: a segment that is only `*` matches
//! any one key or array index, and a `*` inside a segment matches any run of characters within
//! that one segment (`x-stainless-*` matches `x-stainless-package-version`, never a `/`).
//! Matching is case-sensitive. A pattern matches a path when it matches the path's first
//! segments, so `/request/headers` makes every change under the headers volatile.

use std::fmt;

/// One step into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl Seg {
    fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Self::Key(k) => k.as_str().into(),
            Self::Index(i) => i.to_string().into(),
        }
    }
}

/// The RFC 6901 pointer of `path` (`""` for the whole document).
pub fn to_pointer(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        out.push('/');
        out.push_str(&seg.text().replace('~', "~0").replace('/', "~1"));
    }
    out
}

/// `path` for people: `a.b[0].c`, with keys that are not plain words quoted (`a["x.y"]`).
pub fn to_dotted(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
            Seg::Key(k)
                if !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Key(k) => out.push_str(&format!("[{}]", serde_json::Value::from(k.as_str()))),
        }
    }
    if out.is_empty() {
        out.push_str("(document)");
    }
    out
}

/// Split a pointer into unescaped segment texts; `None` unless it is `""` or starts with `/`.
pub fn parse_pointer(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// A `[review] volatile` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    segments: Vec<String>,
}

impl Pattern {
    pub fn parse(source: &str) -> anyhow::Result<Self> {
        let segments = parse_pointer(source).ok_or_else(|| {
            anyhow::anyhow!("{source:?} is not a JSON pointer: it must start with `/`")
        })?;
        anyhow::ensure!(
            !segments.is_empty(),
            "\"\" would make every change volatile; name the fields, e.g. \"/response/body/created\""
        );
        Ok(Self {
            source: source.to_owned(),
            segments,
        })
    }

    /// Whether the pattern matches `path` or a prefix of it.
    pub fn matches(&self, path: &[Seg]) -> bool {
        self.segments.len() <= path.len()
            && self
                .segments
                .iter()
                .zip(path)
                .all(|(pat, seg)| pat == "*" || glob_segment(pat, &seg.text()))
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// `*` matches any run of characters (including none) within one segment.
fn glob_segment(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if text.len() < first.len() + last.len() || !text.starts_with(first) || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Any of `patterns` matches `path`.
pub fn any_matches(patterns: &[Pattern], path: &[Seg]) -> bool {
    patterns.iter().any(|p| p.matches(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<Seg> {
        parse_pointer(p)
            .unwrap()
            .into_iter()
            .map(|s| match s.parse() {
                Ok(i) => Seg::Index(i),
                Err(_) => Seg::Key(s),
            })
            .collect()
    }

    #[test]
    fn star_matches_a_whole_segment_or_within_one() {
        let any_chunk = Pattern::parse("/response/body/*/__data__/created").unwrap();
        assert!(any_chunk.matches(&path("/response/body/3/__data__/created")));
        assert!(!any_chunk.matches(&path("/response/body/3/__data__/model")));
        let stainless = Pattern::parse("/request/headers/x-stainless-*").unwrap();
        assert!(stainless.matches(&path("/request/headers/x-stainless-package-version")));
        assert!(stainless.matches(&path("/request/headers/x-stainless-")));
        assert!(!stainless.matches(&path("/request/headers/authorization")));
        assert!(!stainless.matches(&path("/request/x-stainless-os")));
        let middle = Pattern::parse("/a/pre*mid*post").unwrap();
        assert!(middle.matches(&path("/a/pre-x-mid-y-post")));
        assert!(!middle.matches(&path("/a/prepost")));
        assert!(!middle.matches(&path("/a/pre-mid")));
    }

    #[test]
    fn a_pattern_covers_everything_under_it() {
        let p = Pattern::parse("/request/headers").unwrap();
        assert!(p.matches(&path("/request/headers/user-agent")));
        assert!(p.matches(&path("/request/headers")));
        assert!(!p.matches(&path("/request")));
        assert!(Pattern::parse("request/id").is_err());
        assert!(Pattern::parse("").is_err());
    }

    #[test]
    fn pointers_escape_and_dotted_paths_quote() {
        let p = vec![
            Seg::Key("response".into()),
            Seg::Key("a/b~c".into()),
            Seg::Index(0),
            Seg::Key("x.y".into()),
        ];
        assert_eq!(to_pointer(&p), "/response/a~1b~0c/0/x.y");
        assert_eq!(to_dotted(&p), "response[\"a/b~c\"][0][\"x.y\"]");
        assert_eq!(
            parse_pointer("/a~1b~0c/0").unwrap(),
            vec!["a/b~c".to_owned(), "0".to_owned()]
        );
        assert_eq!(to_dotted(&[]), "(document)");
    }
}
