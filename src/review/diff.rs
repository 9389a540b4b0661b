//! Structural differences between two versions of a recording: parse JSON (or YAML, for
//! vcrpy-style cassettes) into one tree shape and walk both trees together, reporting each
//! path whose value was added, removed or changed. Key order and formatting never count.

use serde_json::Value;

use super::pointer::{Pattern, Seg, any_matches, to_dotted};

/// How a file was understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Parsed as JSON (`.json`, or any other extension that parses).
    Json,
    /// Parsed as YAML (`.yaml`, `.yml`).
    Yaml,
    /// Neither: compared by bytes only.
    Other,
}

/// Parse by extension: `.json` as JSON, `.yaml`/`.yml` as YAML; anything else is tried as JSON.
pub fn parse(path: &str, bytes: &[u8]) -> (Format, Option<Value>) {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        return match serde_yaml_ng::from_slice::<Value>(bytes) {
            Ok(v) => (Format::Yaml, Some(v)),
            Err(_) => (Format::Other, None),
        };
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => (Format::Json, Some(v)),
        Err(_) => (Format::Other, None),
    }
}

/// One changed path, shown for people.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PathChange {
    /// Dotted path: `response.body.choices[0].message.content`.
    pub path: String,
    /// Short rendering of the old value (`None`: the path is new).
    pub old: Option<String>,
    /// Short rendering of the new value (`None`: the path was removed).
    pub new: Option<String>,
}

/// The differences of one recording.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Differences {
    /// The first `limit` changes outside volatile fields, for display.
    pub shown: Vec<PathChange>,
    /// Changes outside volatile fields; the walk stops at `limit + 1` (a re-recorded embedding
    /// differs in every number), so above `limit` this is a lower bound.
    pub significant: usize,
    /// Changes inside volatile fields (seen before the walk stopped).
    pub volatile: usize,
}

impl Differences {
    /// Only volatile fields (or nothing structural at all) changed.
    pub fn is_churn(&self) -> bool {
        self.significant == 0
    }
}

/// Compare `old` with `new`, keeping at most `limit` significant changes for display.
pub fn diff(old: &Value, new: &Value, volatile: &[Pattern], limit: usize) -> Differences {
    let mut out = Differences::default();
    let mut path = Vec::new();
    walk(old, new, &mut path, &mut |p, o, n| {
        if any_matches(volatile, p) {
            out.volatile += 1;
            return true;
        }
        out.significant += 1;
        if out.shown.len() < limit {
            out.shown.push(PathChange {
                path: to_dotted(p),
                old: o.map(short),
                new: n.map(short),
            });
        }
        out.significant <= limit
    });
    out
}

/// Called for each changed path; `false` stops the walk.
type Visit<'v> = dyn FnMut(&[Seg], Option<&Value>, Option<&Value>) -> bool + 'v;

/// Walk both trees; `false` when `visit` stopped it.
fn walk(old: &Value, new: &Value, path: &mut Vec<Seg>, visit: &mut Visit<'_>) -> bool {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                path.push(Seg::Key(k.clone()));
                let go_on = match b.get(k) {
                    Some(vb) => walk(va, vb, path, visit),
                    None => visit(path, Some(va), None),
                };
                path.pop();
                if !go_on {
                    return false;
                }
            }
            for (k, vb) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                path.push(Seg::Key(k.clone()));
                let go_on = visit(path, None, Some(vb));
                path.pop();
                if !go_on {
                    return false;
                }
            }
            true
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                path.push(Seg::Index(i));
                let go_on = match (a.get(i), b.get(i)) {
                    (Some(va), Some(vb)) => walk(va, vb, path, visit),
                    (va, vb) => visit(path, va, vb),
                };
                path.pop();
                if !go_on {
                    return false;
                }
            }
            true
        }
        (a, b) if a != b => visit(path, Some(a), Some(b)),
        _ => true,
    }
}

/// Longest rendering of a scalar, in characters.
const SHORT: usize = 60;

/// A scalar as JSON, cut to `SHORT` characters; containers by their size only.
pub fn short(v: &Value) -> String {
    match v {
        Value::Object(m) => format!("{{…{} keys}}", m.len()),
        Value::Array(a) => format!("[…{} items]", a.len()),
        scalar => {
            // The first SHORT characters of a string are all its rendering can show (each
            // character is at least one of JSON): a long string is not rendered whole.
            let text = match scalar.as_str() {
                Some(s) => match s.char_indices().nth(SHORT) {
                    Some((at, _)) => Value::from(&s[..at]).to_string(),
                    None => scalar.to_string(),
                },
                None => scalar.to_string(),
            };
            if text.chars().count() <= SHORT {
                text
            } else {
                let cut: String = text.chars().take(SHORT - 1).collect();
                format!("{cut}…")
            }
        }
    }
}

/// The string at `pointer` (`None` when absent or not a non-empty string).
pub fn string_at<'v>(doc: &'v Value, pointer: &str) -> Option<&'v str> {
    doc.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_long_string_renders_as_its_whole_rendering_cut() {
        let whole = |v: &Value| {
            let text = v.to_string();
            if text.chars().count() <= SHORT {
                text
            } else {
                format!("{}…", text.chars().take(SHORT - 1).collect::<String>())
            }
        };
        for s in [
            "a".repeat(58),
            "a".repeat(59),
            "a".repeat(60),
            "a".repeat(61),
            "é".repeat(70),
            "\"quoted\"\n".repeat(20),
            format!("{}\u{1}{}", "x".repeat(57), "y".repeat(30)),
            format!("{}😀{}", "x".repeat(59), "y".repeat(30)),
        ] {
            let v = Value::from(s.as_str());
            assert_eq!(short(&v), whole(&v), "{s:?}");
        }
    }

    #[test]
    fn nested_json_changes_are_listed_by_path_with_short_values() {
        let old = json!({"test_id": "t", "response": {"body": {"__data__": {
            "choices": [{"message": {"content": "Paris"}}], "id": "a", "usage": {"total": 3}}}}});
        let new = json!({"response": {"body": {"__data__": {
            "choices": [{"message": {"content": "Paris, France"}}, {"x": 1}], "id": "b", "usage": {"total": 3}}}},
            "test_id": "t"});
        let d = diff(&old, &new, &[], 10);
        assert_eq!(d.significant, 3);
        let stopped = diff(&old, &new, &[], 1);
        assert_eq!((stopped.significant, stopped.shown.len()), (2, 1));
        assert_eq!(
            d.shown[0],
            PathChange {
                path: "response.body.__data__.choices[0].message.content".into(),
                old: Some("\"Paris\"".into()),
                new: Some("\"Paris, France\"".into()),
            }
        );
        assert_eq!(d.shown[1].path, "response.body.__data__.choices[1]");
        assert_eq!(
            (d.shown[1].old.as_deref(), d.shown[1].new.as_deref()),
            (None, Some("{…1 keys}"))
        );
        assert_eq!(d.shown[2].path, "response.body.__data__.id");
        assert!(!d.is_churn());
    }

    #[test]
    fn volatile_only_changes_are_churn() {
        let volatile = [
            Pattern::parse("/response/body/id").unwrap(),
            Pattern::parse("/request/headers/x-stainless-*").unwrap(),
        ];
        let old = json!({"request": {"headers": {"x-stainless-package-version": "1.0"}}, "response": {"body": {"id": "a", "v": 1}}});
        let new = json!({"request": {"headers": {"x-stainless-package-version": "1.1", "x-stainless-os": "Linux"}}, "response": {"body": {"id": "b", "v": 1}}});
        let d = diff(&old, &new, &volatile, 10);
        assert_eq!((d.significant, d.volatile), (0, 3));
        assert!(d.is_churn());
        let d = diff(
            &old,
            &json!({"response": {"body": {"id": "b", "v": 2}}}),
            &volatile,
            10,
        );
        assert!(!d.is_churn(), "{d:?}");
    }

    #[test]
    fn yaml_cassettes_diff_like_json() {
        let old = b"interactions:\n- request:\n    uri: https://api.example.com/v1/chat\n  response:\n    body:\n      string: '{\"a\": 1}'\n    status:\n      code: 200\nversion: 1\n";
        let new = b"interactions:\n- request:\n    uri: https://api.example.com/v1/chat\n  response:\n    body:\n      string: '{\"a\": 2}'\n    status:\n      code: 201\nversion: 1\n";
        let (f, a) = parse("c/cassette.yaml", old);
        let (_, b) = parse("c/cassette.yaml", new);
        assert_eq!(f, Format::Yaml);
        let d = diff(&a.unwrap(), &b.unwrap(), &[], 10);
        let paths: Vec<&str> = d.shown.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "interactions[0].response.body.string",
                "interactions[0].response.status.code"
            ]
        );
        assert_eq!(d.shown[1].new.as_deref(), Some("201"));
        assert_eq!(parse("x.bin", b"\x00\x01").0, Format::Other);
    }

    #[test]
    fn long_values_are_cut_and_reformatting_is_no_change() {
        let long = "x".repeat(500);
        assert_eq!(short(&json!(long)).chars().count(), SHORT);
        let (_, a) = parse("a.json", br#"{"a":1,"b":[1,2]}"#);
        let (_, b) = parse("a.json", b"{\n  \"b\": [1, 2],\n  \"a\": 1\n}\n");
        assert!(diff(&a.unwrap(), &b.unwrap(), &[], 10).is_churn());
    }
}
