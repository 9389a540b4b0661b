//! The walk: every string of a recording (keys included) is matched against the provider
//! formats and the `secret-env` values; a string under a credential name (a key, a HAR
//! `{"name","value"}` pair, the string before it in a raw header array, a query parameter) must
//! also clear the entropy floor; URLs, JSON and form bodies, percent-encoding, base64 and gzip
//! inside a string are opened and walked the same way, to a bounded depth. Text that is not
//! JSON or YAML is read the same way as one long string.

use aho_corasick::{AhoCorasick, MatchKind};
use serde_json::Value;

use super::decode;
use super::rules::{self, Named};
use crate::review::pointer::{Seg, to_pointer};

/// How deep encodings nest (a JSON body in a base64 string in a JSON body…).
const MAX_DEPTH: u8 = 4;
/// Decoded bytes one file may add to the scan.
const DECODE_BUDGET: usize = 64 << 20;
/// Strings longer than this are not parsed as a URL, JSON or form body (still scanned as text).
const PARSE_LIMIT: usize = 8 << 20;

/// One credential found: kind, value, and the JSON pointer of the string that holds it (`None`
/// for text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Finding {
    pub kind: String,
    pub value: String,
    pub pointer: Option<String>,
}

/// The exact values of named environment variables, in every encoding.
#[derive(Debug, Default)]
pub(super) struct EnvValues {
    matcher: Option<AhoCorasick>,
    /// For each pattern: (variable name, raw value).
    owner: Vec<(String, String)>,
}

impl EnvValues {
    pub fn new(env: &[(String, String)], min_len: usize) -> anyhow::Result<Self> {
        let mut patterns = Vec::new();
        let mut owner = Vec::new();
        for (name, value) in env {
            let value = value.trim();
            if value.len() < min_len {
                continue;
            }
            for form in decode::encodings(value) {
                patterns.push(form);
                owner.push((name.clone(), value.to_owned()));
            }
        }
        let matcher = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&patterns)?,
            )
        };
        Ok(Self { matcher, owner })
    }

    /// The longest encoded value, so a stream's windows overlap by more than it.
    pub fn longest(&self) -> usize {
        self.matcher.as_ref().map_or(0, |m| m.max_pattern_len())
    }
}

/// One file's walk.
pub(super) struct Walker<'a> {
    env: &'a EnvValues,
    path: Vec<Seg>,
    /// Inside a string's decoded content: every finding is at this pointer.
    frozen: Option<String>,
    structured: bool,
    budget: usize,
    pub found: Vec<Finding>,
}

impl<'a> Walker<'a> {
    pub fn new(env: &'a EnvValues, structured: bool) -> Self {
        Self {
            env,
            path: Vec::new(),
            frozen: None,
            structured,
            budget: DECODE_BUDGET,
            found: Vec::new(),
        }
    }

    fn push(&mut self, kind: &str, value: &str) {
        let pointer = if self.structured {
            Some(
                self.frozen
                    .clone()
                    .unwrap_or_else(|| to_pointer(&self.path)),
            )
        } else {
            None
        };
        if self
            .found
            .iter()
            .any(|f| f.value == value && f.pointer == pointer)
        {
            return;
        }
        self.found.push(Finding {
            kind: kind.to_owned(),
            value: value.to_owned(),
            pointer,
        });
    }

    /// A parsed JSON or YAML document (or a part of one).
    pub fn value<'v>(&mut self, v: &'v Value, name: Option<&'v str>, depth: u8) {
        match v {
            Value::String(s) => self.string(s, name, depth),
            Value::Array(items) => {
                let mut prev: Option<&'v str> = None;
                for (i, item) in items.iter().enumerate() {
                    // `rawHeaders: ["Authorization", "Bearer …"]`, `[["Authorization", …]]`.
                    let item_name = prev.filter(|p| rules::named(p).is_some()).or(name);
                    self.path.push(Seg::Index(i));
                    self.value(item, item_name, depth);
                    self.path.pop();
                    prev = item.as_str();
                }
            }
            Value::Object(map) => {
                // HAR, WireMock and Polly headers, query strings, cookies: `{"name", "value"}`.
                let pair_name = map.get("name").and_then(Value::as_str);
                for (k, item) in map {
                    self.path.push(Seg::Key(k.clone()));
                    self.text(k, depth);
                    let item_name = if k == "value" && pair_name.is_some() {
                        pair_name
                    } else if rules::keeps_name(k)
                        && name.is_some_and(|n| rules::named(n).is_some())
                    {
                        name
                    } else {
                        Some(k.as_str())
                    };
                    self.value(item, item_name, depth);
                    self.path.pop();
                }
            }
            _ => {}
        }
    }

    /// One string, under `name` (its key, header or parameter name) when it has one.
    pub fn string(&mut self, s: &str, name: Option<&str>, depth: u8) {
        self.text(s, depth);
        if let Some(n) = name
            && let Some(how) = rules::named(n)
        {
            self.named(how, s, depth);
        }
        if depth >= MAX_DEPTH || s.len() > PARSE_LIMIT {
            return;
        }
        self.url(s, depth);
        let t = s.trim();
        if (t.starts_with('{') || t.starts_with('['))
            && t.len() >= 2
            && let Ok(doc) = serde_json::from_str::<Value>(t)
        {
            self.nested(|w| w.value(&doc, None, depth + 1));
            return;
        }
        if t.contains('=') && !t.contains(char::is_whitespace) {
            for (k, v) in url::form_urlencoded::parse(t.as_bytes()) {
                if let Some(how) = rules::named(&k) {
                    self.nested(|w| w.named(how, &v, depth + 1));
                }
            }
        }
        if let Some(decoded) = decode::hex_gzip_text(s) {
            self.budget = self.budget.saturating_sub(decoded.len());
            self.nested(|w| w.string(&decoded, None, depth + 1));
            return;
        }
        if self.budget > 0
            && let Some(decoded) = decode::base64_text(s)
        {
            self.budget = self.budget.saturating_sub(decoded.len());
            self.nested(|w| w.string(&decoded, None, depth + 1));
        }
    }

    /// Run `f` with every finding placed at the current string.
    fn nested(&mut self, f: impl FnOnce(&mut Self)) {
        if self.frozen.is_some() || !self.structured {
            return f(self);
        }
        self.frozen = Some(to_pointer(&self.path));
        f(self);
        self.frozen = None;
    }

    /// Text: provider formats, credential names in `name: value` form, `secret-env` values;
    /// then the same over its escapes and percent-encoding undone.
    pub fn text(&mut self, s: &str, depth: u8) {
        // Most strings (words, numbers, prose) hold no run of characters long enough for
        // any format, and skip them.
        if rules::has_token_run(s) {
            self.formats(s);
        }
        if rules::may_name(s) {
            self.named_in_text(s, depth);
        }
        if let Some(matcher) = &self.env.matcher {
            for m in matcher.find_iter(s) {
                let (name, value) = &self.env.owner[m.pattern().as_usize()];
                let kind = format!("value of ${name}");
                let value = value.clone();
                self.push(&kind, &value);
            }
        }
        if depth >= MAX_DEPTH {
            return;
        }
        if !self.structured {
            self.base64_runs(s, depth);
        }
        if let Some(u) = decode::unescape(s) {
            self.text(&u, depth + 1);
        }
        if let Some(p) = decode::percent(s, false) {
            self.text(&p, depth + 1);
        }
    }

    /// Text of unknown shape: base64 runs inside it (a body in a raw HTTP dump), decoded.
    fn base64_runs(&mut self, s: &str, depth: u8) {
        for m in rules::BASE64_RUN.find_iter(s) {
            if self.budget == 0 {
                return;
            }
            if let Some(decoded) = decode::base64_text(m.as_str()) {
                self.budget = self.budget.saturating_sub(decoded.len());
                self.text(&decoded, depth + 1);
            }
        }
    }

    fn formats(&mut self, s: &str) {
        for (kind, re) in rules::RULES.candidates(s) {
            for caps in re.captures_iter(s) {
                if let Some(m) = caps.name("s")
                    && !rules::is_placeholder(m.as_str())
                {
                    self.push(kind, m.as_str());
                }
            }
        }
    }

    fn named_in_text(&mut self, s: &str, depth: u8) {
        for caps in rules::NAMED.captures_iter(s) {
            let (Some(n), Some(v)) = (caps.name("n"), caps.name("v")) else {
                continue;
            };
            let Some(how) = rules::named(n.as_str()) else {
                continue;
            };
            match caps.name("a") {
                Some(scheme) => {
                    let value = format!("{} {}", scheme.as_str(), v.as_str());
                    self.named(Named::Authorization, &value, depth);
                }
                None => self.named(how, v.as_str(), depth),
            }
        }
    }

    /// A value under a credential name.
    fn named(&mut self, how: Named, value: &str, depth: u8) {
        let v = value.trim();
        if how == Named::Plain {
            if rules::looks_secret(v) {
                self.push("credential-named value", v);
            }
            return;
        }
        let Some((scheme, rest)) = v.split_once(char::is_whitespace) else {
            if rules::looks_secret(v) {
                self.push("Authorization header", v);
            }
            return;
        };
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("basic") {
            if let Some((user, pass)) = decode::basic(rest) {
                if depth < MAX_DEPTH {
                    self.text(&format!("{user}:{pass}"), depth + 1);
                }
                if rules::looks_secret(&pass) {
                    self.push("Basic auth password", &pass);
                }
            }
        } else if !rest.contains([' ', ',']) && rules::looks_secret(rest) {
            self.push("Authorization header", rest);
        }
    }

    /// A URL (or a nock-style path with a query): query values under their names, the
    /// password of its user info.
    fn url(&mut self, s: &str, depth: u8) {
        let t = s.trim();
        if t.len() > 64 * 1024 || t.contains(char::is_whitespace) {
            return;
        }
        let parsed = if t.starts_with("http://") || t.starts_with("https://") {
            url::Url::parse(t)
        } else if t.starts_with('/') && t.contains('?') {
            url::Url::parse(&format!("http://h{t}"))
        } else {
            return;
        };
        let Ok(u) = parsed else { return };
        for (k, v) in u.query_pairs() {
            if let Some(how) = rules::named(&k) {
                self.nested(|w| w.named(how, &v, depth + 1));
            }
        }
        if let Some(pass) = u
            .password()
            .and_then(|p| decode::percent(p, false).or(Some(p.to_owned())))
            && rules::looks_secret(&pass)
        {
            self.push("password in a URL", &pass);
        }
    }
}
