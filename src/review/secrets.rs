//! The secret scan: one pass of one regex over each file's bytes finds well-known credential
//! formats, credential-bearing header values and the exact values of named environment
//! variables. Only a file with a hit is parsed, to name the JSON path of each hit.
//!
//! A hit is reported with the file, the JSON pointer (or the line, for files that are not JSON
//! or YAML), the kind, and the value masked to its first 4 characters. The value itself is only
//! ever written as an `::add-mask::` command inside Actions, so the runner hides it in logs.

use std::fmt;

use regex::bytes::Regex;
use serde_json::Value;

use super::diff;
use super::pointer::{Seg, to_pointer};

/// Environment values shorter than this are not searched: they would match by chance.
pub const MIN_ENV_VALUE: usize = 8;

/// (kind, pattern with one group `s` around the secret). Order matters: at one position the
/// first rule that matches wins (Anthropic before OpenAI, both `sk-`).
const RULES: &[(&str, &str)] = &[
    (
        "GitHub token",
        r"(?-u:\b)(?P<s>gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})",
    ),
    (
        "Anthropic API key",
        r"(?-u:\b)(?P<s>sk-ant-[A-Za-z0-9_\-]{20,})",
    ),
    (
        "OpenAI API key",
        r"(?-u:\b)(?P<s>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,})",
    ),
    (
        "AWS access key id",
        r"(?-u:\b)(?P<s>(?:AKIA|ASIA)[0-9A-Z]{16})(?-u:\b)",
    ),
    ("Google API key", r"(?P<s>AIza[0-9A-Za-z_\-]{35})"),
    (
        "Slack token",
        r"(?-u:\b)(?P<s>xox[abposr]-[0-9A-Za-z\-]{10,})",
    ),
    (
        "JSON Web Token",
        r"(?-u:\b)(?P<s>eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})",
    ),
    (
        "Authorization header",
        r#"(?i:authorization)\\?["']?\s*[:=,]\s*(?:-\s*)?\\?["']?(?i:bearer|token)\s+(?P<s>[^\s"'<>,;\\]{8,})"#,
    ),
    (
        "API key header",
        r#"(?i:x-api-key|x-goog-api-key|api-key)\\?["']?\s*[:=,]\s*(?:-\s*)?\\?["']?(?P<s>[^\s"'<>,;\\{}\[\]]{8,})"#,
    ),
];

/// Parts of values that mark a redaction placeholder, not a credential (lowercase).
const PLACEHOLDER_MARKS: &[&str] = &[
    "redacted",
    "masked",
    "filtered",
    "removed",
    "placeholder",
    "dummy",
    "fake",
    "example",
    "xxxxxx",
    "******",
    "your-",
    "your_",
];

fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let mut chars = value.chars();
    let first = chars.next();
    PLACEHOLDER_MARKS.iter().any(|m| lower.contains(m))
        || value.starts_with(['<', '{', '$', '%'])
        || chars.all(|c| Some(c) == first)
}

/// A secret value; never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The first 4 characters and `…`.
    pub fn masked(&self) -> String {
        format!("{}…", self.0.chars().take(4).collect::<String>())
    }

    /// The value, for `::add-mask::` only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

/// One credential found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub path: String,
    /// The JSON pointer of the string holding it; `None` when the file is neither JSON nor YAML.
    pub pointer: Option<String>,
    /// 1-based line of the first occurrence.
    pub line: usize,
    pub kind: String,
    pub secret: Secret,
}

impl Hit {
    /// `PATH:POINTER`, as `--allow-secret` takes it.
    pub fn location(&self) -> String {
        format!("{}:{}", self.path, self.pointer.as_deref().unwrap_or(""))
    }
}

impl fmt::Display for Hit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pointer {
            Some(p) => write!(f, "{} at {}", self.path, if p.is_empty() { "/" } else { p })?,
            None => write!(f, "{} line {}", self.path, self.line)?,
        }
        write!(f, ": {} {}", self.kind, self.secret.masked())
    }
}

/// The compiled scan.
#[derive(Debug, Clone)]
pub struct Scanner {
    regex: Regex,
    /// Kind of each alternative, in group order.
    kinds: Vec<String>,
}

impl Scanner {
    /// The built-in rules plus the exact values of `env` (name, value); values shorter than
    /// [`MIN_ENV_VALUE`] are left out.
    pub fn new(env: &[(String, String)]) -> anyhow::Result<Self> {
        let mut parts = Vec::new();
        let mut kinds = Vec::new();
        // Exact values first: the most specific name for a value that also has a known format.
        for (name, value) in env {
            let value = value.trim();
            if value.len() >= MIN_ENV_VALUE {
                parts.push(format!("(?P<s>{})", regex::escape(value)));
                kinds.push(format!("value of ${name}"));
            }
        }
        for (kind, rule) in RULES {
            parts.push((*rule).to_owned());
            kinds.push((*kind).to_owned());
        }
        // Each alternative names its group `s`: renumber them so they stay distinct.
        let joined = parts
            .iter()
            .enumerate()
            .map(|(i, p)| format!("(?:{})", p.replace("(?P<s>", &format!("(?P<s{i}>"))))
            .collect::<Vec<_>>()
            .join("|");
        let regex = regex::bytes::RegexBuilder::new(&joined)
            .size_limit(64 << 20)
            .build()?;
        Ok(Self { regex, kinds })
    }

    /// Every credential in `bytes` (one per distinct value and JSON path).
    pub fn scan(&self, path: &str, bytes: &[u8]) -> Vec<Hit> {
        let mut found: Vec<(usize, usize, String)> = Vec::new();
        for caps in self.regex.captures_iter(bytes) {
            let Some((i, m)) =
                (0..self.kinds.len()).find_map(|i| caps.name(&format!("s{i}")).map(|m| (i, m)))
            else {
                continue;
            };
            let Ok(value) = std::str::from_utf8(m.as_bytes()) else {
                continue;
            };
            let from_env = self.kinds[i].starts_with("value of $");
            if (!from_env && is_placeholder(value)) || found.iter().any(|(_, _, v)| v == value) {
                continue;
            }
            found.push((i, m.start(), value.to_owned()));
        }
        if found.is_empty() {
            return Vec::new();
        }
        let doc = diff::parse(path, bytes).1;
        let mut hits: Vec<Hit> = Vec::new();
        for (i, start, value) in found {
            let line = 1 + bytes[..start].iter().filter(|&&b| b == b'\n').count();
            let pointer = doc
                .as_ref()
                .map(|d| pointer_of(d, &value).unwrap_or_default());
            if hits
                .iter()
                .any(|h| h.pointer == pointer && h.secret.0 == value)
            {
                continue;
            }
            hits.push(Hit {
                path: path.to_owned(),
                pointer,
                line,
                kind: self.kinds[i].clone(),
                secret: Secret(value),
            });
        }
        hits
    }
}

/// The pointer of the first string (value or key) in `doc` that contains `needle`.
fn pointer_of(doc: &Value, needle: &str) -> Option<String> {
    fn find(v: &Value, needle: &str, path: &mut Vec<Seg>) -> bool {
        match v {
            Value::String(s) => s.contains(needle),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                path.push(Seg::Index(i));
                let hit = find(item, needle, path);
                if !hit {
                    path.pop();
                }
                hit
            }),
            Value::Object(map) => map.iter().any(|(k, item)| {
                path.push(Seg::Key(k.clone()));
                let hit = k.contains(needle) || find(item, needle, path);
                if !hit {
                    path.pop();
                }
                hit
            }),
            _ => false,
        }
    }
    let mut path = Vec::new();
    find(doc, needle, &mut path).then(|| to_pointer(&path))
}

/// `PATH:POINTER` pairs that `--allow-secret` accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowed(Vec<(String, String)>);

impl Allowed {
    /// Parse `PATH:POINTER` (the pointer empty or starting with `/`).
    pub fn parse(items: &[String]) -> anyhow::Result<Self> {
        let mut out = Vec::new();
        for item in items {
            let split = item
                .match_indices(':')
                .map(|(i, _)| i)
                .find(|&i| item[i + 1..].is_empty() || item[i + 1..].starts_with('/'));
            let Some(at) = split.filter(|&i| i > 0) else {
                anyhow::bail!(
                    "--allow-secret {item:?}: expected PATH:POINTER, e.g. \
                     tests/integration/recordings/abc.json:/request/headers/authorization \
                     (the refusal message prints it ready to paste)"
                );
            };
            out.push((item[..at].to_owned(), item[at + 1..].to_owned()));
        }
        Ok(Self(out))
    }

    pub fn allows(&self, hit: &Hit) -> bool {
        let pointer = hit.pointer.as_deref().unwrap_or("");
        self.0.iter().any(|(p, q)| *p == hit.path && q == pointer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Credentials built at run time, so this file holds no string a scanner would flag.
    pub(crate) fn samples() -> Vec<(&'static str, String)> {
        let r = |n: usize| "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xYz".repeat(8)[..n].to_owned();
        vec![
            ("GitHub token", format!("gh{}_{}", "p", r(36))),
            ("GitHub token", format!("gh{}_{}", "o", r(36))),
            ("GitHub token", format!("gh{}_{}", "s", r(36))),
            ("GitHub token", format!("github_{}_{}", "pat", r(82))),
            ("OpenAI API key", format!("s{}-{}", "k", r(48))),
            ("OpenAI API key", format!("s{}-proj-{}", "k", r(64))),
            ("Anthropic API key", format!("s{}-ant-api03-{}", "k", r(40))),
            (
                "AWS access key id",
                format!("AK{}A{}", "I", "Q3EGRT5PN2XJWK7M"),
            ),
            ("Google API key", format!("AI{}a{}", "z", r(35))),
            (
                "Slack token",
                format!("xo{}b-{}", "x", "1234567890-abcdEFGH"),
            ),
            (
                "JSON Web Token",
                format!("ey{}hbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.{}", "J", r(22)),
            ),
        ]
    }

    #[test]
    fn each_format_is_found_in_a_header_a_body_and_yaml() {
        let scanner = Scanner::new(&[]).unwrap();
        for (kind, secret) in samples() {
            let header = format!(r#"{{"request":{{"headers":{{"x-token":"{secret}"}}}}}}"#);
            let body = format!(r#"{{"response":{{"body":{{"text":"the key is {secret}."}}}}}}"#);
            let yaml = format!("interactions:\n- request:\n    body: 'k={secret}&x=1'\n");
            for (path, text, pointer) in [
                ("a.json", header, "/request/headers/x-token"),
                ("b.json", body, "/response/body/text"),
                ("c.yaml", yaml, "/interactions/0/request/body"),
            ] {
                let hits = scanner.scan(path, text.as_bytes());
                assert_eq!(hits.len(), 1, "{kind} in {path}: {hits:?}");
                assert_eq!(hits[0].kind, kind, "{path}");
                assert_eq!(hits[0].pointer.as_deref(), Some(pointer));
                assert_eq!(hits[0].secret.expose(), secret);
                assert!(!format!("{} {:?}", hits[0], hits[0]).contains(&secret));
            }
        }
    }

    #[test]
    fn header_values_are_found_unless_placeholders() {
        let scanner = Scanner::new(&[]).unwrap();
        let hits = scanner.scan(
            "a.json",
            br#"{"headers":{"Authorization":"Bearer abcdef0123456789","x-api-key":"k3y-0123456789"}}"#,
        );
        let kinds: Vec<&str> = hits.iter().map(|h| h.kind.as_str()).collect();
        assert_eq!(kinds, ["Authorization header", "API key header"]);
        assert_eq!(hits[0].pointer.as_deref(), Some("/headers/Authorization"));
        let yaml = b"request:\n  headers:\n    Authorization:\n    - Bearer abcdef0123456789\n";
        assert_eq!(scanner.scan("c.yml", yaml).len(), 1);
        for clean in [
            r#"{"h":{"Authorization":"Bearer <redacted>"}}"#,
            r#"{"h":{"Authorization":"Bearer ***"}}"#,
            r#"{"h":{"Authorization":"Bearer REDACTED"}}"#,
            r#"{"h":{"authorization":"Bearer ********"}}"#,
            r#"{"h":{"x-api-key":"<redacted>"}}"#,
            r#"{"h":{"x-api-key":"REDACTED_KEY"}}"#,
            r#"{"t":"task-abcdefghijklmnopqrstuvwxyz0123","u":"sk-short"}"#,
        ] {
            assert_eq!(scanner.scan("a.json", clean.as_bytes()), [], "{clean}");
        }
    }

    #[test]
    fn env_values_are_found_exactly_and_short_ones_ignored() {
        let env = [
            ("MY_PROVIDER_KEY".to_owned(), "zq-9f8e7d6c5b4a".to_owned()),
            ("SHORT".to_owned(), "abc".to_owned()),
        ];
        let scanner = Scanner::new(&env).unwrap();
        let hits = scanner.scan("x.txt", b"line one\nkey=zq-9f8e7d6c5b4a abc\n");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].kind, "value of $MY_PROVIDER_KEY");
        assert_eq!((hits[0].pointer.as_deref(), hits[0].line), (None, 2));
        assert_eq!(
            hits[0].to_string(),
            "x.txt line 2: value of $MY_PROVIDER_KEY zq-9…"
        );
    }

    #[test]
    fn allowed_locations_parse_and_match() {
        let allowed = Allowed::parse(&["a/b:c.json:/x/0".into(), "t.txt:".into()]).unwrap();
        let scanner = Scanner::new(&[]).unwrap();
        let secret = &samples()[0].1;
        let hit = |path: &str, text: String| scanner.scan(path, text.as_bytes()).remove(0);
        assert!(allowed.allows(&hit("a/b:c.json", format!(r#"{{"x":["{secret}"]}}"#))));
        assert!(!allowed.allows(&hit("a/b:c.json", format!(r#"{{"y":["{secret}"]}}"#))));
        assert!(allowed.allows(&hit("t.txt", format!("{secret}\n"))));
        assert!(Allowed::parse(&["no-pointer".into()]).is_err());
        assert!(Allowed::parse(&[":/x".into()]).is_err());
    }
}
