//! The secret scan. Every recording is read by its structure when it is JSON or YAML (a
//! llama-stack recording, a vcrpy / pytest-recording cassette, HAR from Polly.js or Playwright,
//! nock, go-vcr, Betamax, WireMock: they are all trees of strings), and as text otherwise. Each
//! string is matched against the provider credential formats and the exact values of named
//! environment variables; a string under a credential name (in any of the shapes recorders
//! write headers, query strings and fields in) must also clear an entropy floor; URLs, JSON and
//! form bodies, escapes, percent-encoding, base64, gzip and Basic credentials are undone first.
//! The file's path is scanned too.
//!
//! A hit is reported with the file, the JSON pointer of the string holding it (or the line,
//! for text), the kind, and the value masked to its first 4 characters. The value itself is
//! only ever written as an `::add-mask::` command inside Actions.
//!
//! Memory is bounded: a file up to [`STRUCTURE_LIMIT`] is parsed; a larger one is read as a
//! stream of overlapping windows with the same text rules; one over [`FILE_LIMIT`] is refused.

mod decode;
mod rules;
mod walk;

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use super::diff;
use walk::{EnvValues, Finding, Walker};

/// Environment values shorter than this are not searched: they would match by chance.
pub const MIN_ENV_VALUE: usize = 8;
/// Files up to this size are parsed and walked by structure; larger ones are scanned as text,
/// as a stream.
pub const STRUCTURE_LIMIT: u64 = 8 << 20;
/// Files larger than this are refused: rerecord does not carry a recording it cannot scan.
pub const FILE_LIMIT: u64 = 2 << 30;
/// A stream is read in windows of this size…
const WINDOW: usize = 1 << 20;
/// …each starting with the last bytes of the one before, so a value split between two reads
/// is still seen whole.
const OVERLAP: usize = 16 << 10;

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
    /// The JSON pointer of the string holding it; `None` when the file is neither JSON nor YAML
    /// (or too large to parse), or when the credential is in the path itself.
    pub pointer: Option<String>,
    /// 1-based line of the first occurrence; 0 when it is in the path.
    pub line: usize,
    pub kind: String,
    pub secret: Secret,
}

impl Hit {
    /// The path with the secret masked, when the secret is part of it.
    pub fn shown_path(&self) -> String {
        self.path.replace(&self.secret.0, &self.secret.masked())
    }

    /// `PATH:POINTER`, as `--allow-secret` takes it (the path shown masked).
    pub fn location(&self) -> String {
        format!(
            "{}:{}",
            self.shown_path(),
            self.pointer.as_deref().unwrap_or("")
        )
    }

    /// The credential is in the file's path, not its content.
    pub fn in_path(&self) -> bool {
        self.line == 0
    }
}

impl fmt::Display for Hit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.shown_path();
        match &self.pointer {
            _ if self.in_path() => write!(f, "{path} (in the path)")?,
            Some(p) => write!(f, "{path} at {}", if p.is_empty() { "/" } else { p })?,
            None => write!(f, "{path} line {}", self.line)?,
        }
        write!(f, ": {} {}", self.kind, self.secret.masked())
    }
}

/// The compiled scan.
#[derive(Debug, Clone)]
pub struct Scanner {
    env: Arc<EnvValues>,
}

impl Scanner {
    /// The built-in rules plus the exact values of `env` (name, value) in every encoding;
    /// values shorter than [`MIN_ENV_VALUE`] are left out.
    pub fn new(env: &[(String, String)]) -> anyhow::Result<Self> {
        Ok(Self {
            env: Arc::new(EnvValues::new(env, MIN_ENV_VALUE)?),
        })
    }

    /// Every credential in `path` and `bytes` (one per distinct value and JSON path).
    pub fn scan(&self, path: &str, bytes: &[u8]) -> Vec<Hit> {
        let mut hits = self.scan_path(path);
        if bytes.len() as u64 > STRUCTURE_LIMIT {
            hits.extend(self.stream(path, bytes).unwrap_or_default());
            return hits;
        }
        let doc = diff::parse(path, bytes).1;
        hits.extend(self.scan_parsed(path, bytes, doc.as_ref()));
        hits
    }

    /// [`Scanner::scan`] of `bytes` (up to [`STRUCTURE_LIMIT`]) with `doc`, the document
    /// `diff::parse` made of them, if any; the path itself is not scanned.
    pub(crate) fn scan_parsed(
        &self,
        path: &str,
        bytes: &[u8],
        doc: Option<&serde_json::Value>,
    ) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut walker = Walker::new(&self.env, doc.is_some());
        match doc {
            Some(doc) => walker.value(doc, None, 0),
            None => walker.text(&String::from_utf8_lossy(bytes), 0),
        }
        for f in walker.found {
            let line = line_of(bytes, &f.value).unwrap_or(1);
            push_hit(&mut hits, path, f, line);
        }
        hits
    }

    /// [`Scanner::scan`] of a file on disk, without holding it in memory when it is large;
    /// a file over [`FILE_LIMIT`] is an error.
    pub fn scan_file(&self, path: &str, file: &Path) -> anyhow::Result<Vec<Hit>> {
        let size = std::fs::metadata(file)
            .with_context(|| format!("failed to read {path}"))?
            .len();
        anyhow::ensure!(
            size <= FILE_LIMIT,
            "{path} is {:.1} GiB; rerecord scans recordings up to {} GiB for credentials and \
             refuses larger ones. Split the recording, or keep it out of the recording globs",
            size as f64 / f64::from(1u32 << 30),
            FILE_LIMIT >> 30
        );
        if size <= STRUCTURE_LIMIT {
            let bytes = std::fs::read(file).with_context(|| format!("failed to read {path}"))?;
            return Ok(self.scan(path, &bytes));
        }
        let reader = std::fs::File::open(file).with_context(|| format!("failed to read {path}"))?;
        let mut hits = self.scan_path(path);
        hits.extend(
            self.stream(path, reader)
                .with_context(|| format!("failed to read {path}"))?,
        );
        Ok(hits)
    }

    /// The credentials in a stream read as text, window by window (memory bounded by
    /// one 1 MiB window, whatever the stream's length).
    pub fn scan_reader(&self, path: &str, reader: impl Read) -> std::io::Result<Vec<Hit>> {
        let mut hits = self.scan_path(path);
        hits.extend(self.stream(path, reader)?);
        Ok(hits)
    }

    fn stream(&self, path: &str, mut reader: impl Read) -> std::io::Result<Vec<Hit>> {
        let overlap = OVERLAP.max(self.env.longest() + 64);
        let mut window: Vec<u8> = Vec::with_capacity(WINDOW + overlap);
        let mut lines_before = 0usize;
        let mut hits = Vec::new();
        loop {
            let kept = window.len();
            window.resize(kept + WINDOW, 0);
            let mut filled = kept;
            while filled < window.len() {
                match reader.read(&mut window[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            window.truncate(filled);
            let done = filled < kept + WINDOW;
            let mut walker = Walker::new(&self.env, false);
            walker.text(&String::from_utf8_lossy(&window), 0);
            for f in walker.found {
                if hits.iter().any(|h: &Hit| h.secret.0 == f.value) {
                    continue;
                }
                let line = lines_before + line_of(&window, &f.value).unwrap_or(1);
                push_hit(&mut hits, path, f, line);
            }
            if done {
                return Ok(hits);
            }
            let cut = window.len().saturating_sub(overlap);
            lines_before += window[..cut].iter().filter(|&&b| b == b'\n').count();
            window.drain(..cut);
        }
    }

    /// Credentials in the path itself (file and folder names).
    pub(crate) fn scan_path(&self, path: &str) -> Vec<Hit> {
        let mut walker = Walker::new(&self.env, false);
        walker.text(path, 0);
        let mut hits = Vec::new();
        for mut f in walker.found {
            f.kind = format!("{} in the file path", f.kind);
            push_hit(&mut hits, path, f, 0);
        }
        hits
    }
}

fn push_hit(hits: &mut Vec<Hit>, path: &str, f: Finding, line: usize) {
    if hits
        .iter()
        .any(|h| h.pointer == f.pointer && h.secret.0 == f.value && h.line.min(1) == line.min(1))
    {
        return;
    }
    hits.push(Hit {
        path: path.to_owned(),
        pointer: f.pointer,
        line,
        kind: f.kind,
        secret: Secret(f.value),
    });
}

/// The 1-based line of the first occurrence of `needle` in `bytes`.
fn line_of(bytes: &[u8], needle: &str) -> Option<usize> {
    let finder = aho_corasick::AhoCorasick::new([needle]).ok()?;
    let at = finder.find(bytes)?.start();
    Some(1 + bytes[..at].iter().filter(|&&b| b == b'\n').count())
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
        let shown = hit.shown_path();
        self.0
            .iter()
            .any(|(p, q)| (*p == hit.path || *p == shown) && q == pointer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Credentials of a few common formats (the first a GitHub token), from the rules' own
    /// samples, which are built at run time so no source file holds a string a scanner would flag.
    fn samples() -> Vec<(&'static str, String)> {
        let kinds = [
            "GitHub token",
            "OpenAI API key",
            "Anthropic API key",
            "AWS access key id",
            "Google API key",
            "Slack token",
            "JSON Web Token",
        ];
        rules::tests::one_of_each()
            .into_iter()
            .filter(|(kind, _)| kinds.contains(kind))
            .collect()
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
        assert_eq!(kinds, ["Authorization header", "credential-named value"]);
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

    #[test]
    fn yaml_binary_gzip_bodies_are_opened() {
        use base64::Engine;
        use std::io::Write;
        let secret = &samples()[0].1;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(format!(r#"{{"token":"{secret}"}}"#).as_bytes())
            .unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
        let lines: Vec<String> = b64
            .as_bytes()
            .chunks(60)
            .map(|c| format!("        {}", std::str::from_utf8(c).unwrap()))
            .collect();
        let yaml = format!(
            "interactions:\n- response:\n    body:\n      string: !!binary |\n{}\n",
            lines.join("\n")
        );
        let hits = Scanner::new(&[]).unwrap().scan("c.yaml", yaml.as_bytes());
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(
            hits[0].pointer.as_deref(),
            Some("/interactions/0/response/body/string")
        );
    }

    #[test]
    fn a_placeholder_exempts_only_itself() {
        let secret = &samples()[0].1;
        let scanner = Scanner::new(&[]).unwrap();
        let url = format!(r#"{{"uri":"https://api.x.test/v1?api-key=REDACTED&token={secret}"}}"#);
        let hits = scanner.scan("a.json", url.as_bytes());
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].secret.expose(), secret);
        let text = format!("GET /v1?api-key=REDACTED&token={secret}\n");
        assert_eq!(scanner.scan("a.txt", text.as_bytes()).len(), 1);
    }

    #[test]
    fn a_stream_finds_a_value_split_between_two_windows_in_bounded_windows() {
        let env = [("MY_KEY".to_owned(), "zq-9f8e7d6c5b4a".to_owned())];
        let scanner = Scanner::new(&env).unwrap();
        let mut text = vec![b'.'; WINDOW - 5];
        text.extend_from_slice(b"zq-9f8e7d6c5b4a\n");
        text.extend(std::iter::repeat_n(b'.', 3 * WINDOW));
        let hits = scanner.scan_reader("big.txt", &text[..]).unwrap();
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].kind, "value of $MY_KEY");
        assert_eq!(hits[0].line, 1);
    }

    #[test]
    fn a_credential_in_the_path_is_found_and_shown_masked() {
        let secret = &samples()[0].1;
        let path = format!("tests/recordings/{secret}/a.json");
        let hits = Scanner::new(&[]).unwrap().scan(&path, b"{}");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert!(hits[0].in_path());
        assert!(!hits[0].to_string().contains(secret.as_str()));
        assert!(
            Allowed::parse(&[hits[0].location()])
                .unwrap()
                .allows(&hits[0])
        );
    }
}
