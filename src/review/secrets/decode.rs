//! The encodings a credential hides behind in a recording, undone (bounded): JSON/YAML string
//! escapes, percent-encoding, base64 (standard and URL-safe, padded or not) and gzip inside it;
//! and, for the exact values of `secret-env`, the same encodings done, so a value is found in
//! text that is never decoded as a whole.

use std::io::Read;

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// The most bytes one base64 or gzip body decodes to; the rest is not scanned.
pub(super) const DECODED_LIMIT: u64 = 16 << 20;
/// Base64 shorter than this is not decoded (too many words look like it).
const MIN_BASE64: usize = 16;

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// `s` with JSON/YAML escapes (`\/`, `\"`, `\\`, `\n`, `\uXXXX` incl. surrogate pairs) undone;
/// `None` when it has none.
pub(super) fn unescape(s: &str) -> Option<String> {
    if !s.contains('\\') {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        let Some(c) = tail.chars().next() else {
            out.push('\\');
            rest = "";
            break;
        };
        let (text, used): (Option<char>, usize) = match c {
            'u' => unicode_escape(tail),
            'n' => (Some('\n'), 1),
            't' => (Some('\t'), 1),
            'r' => (Some('\r'), 1),
            '/' | '"' | '\\' | '\'' => (Some(c), 1),
            _ => (None, 0),
        };
        match text {
            Some(ch) => {
                out.push(ch);
                rest = &tail[used..];
            }
            None => {
                out.push('\\');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    (out != s).then_some(out)
}

/// `uXXXX` (and a following `\uXXXX` low surrogate) at the start of `tail`.
fn unicode_escape(tail: &str) -> (Option<char>, usize) {
    let hex = |t: &str| {
        t.get(1..5)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    let Some(hi) = hex(tail) else {
        return (None, 0);
    };
    if (0xD800..0xDC00).contains(&hi)
        && let Some(lo) = tail
            .get(5..)
            .filter(|t| t.starts_with("\\"))
            .and_then(|t| hex(&t[1..]))
    {
        let c = 0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
        return (char::from_u32(c), 11);
    }
    (char::from_u32(hi), 5)
}

/// `s` percent-decoded (and `+` as a space when `form`); `None` when nothing changed or the
/// result is not UTF-8.
pub(super) fn percent(s: &str, form: bool) -> Option<String> {
    if !(s.contains('%') || (form && s.contains('+'))) {
        return None;
    }
    let spaced;
    let input = if form {
        spaced = s.replace('+', " ");
        spaced.as_str()
    } else {
        s
    };
    let out = percent_encoding::percent_decode_str(input)
        .decode_utf8()
        .ok()?
        .into_owned();
    (out != s).then_some(out)
}

/// The text `s` holds when it is base64 (whitespace ignored), gunzipped when it is gzip;
/// `None` when it is not base64 or not text.
pub(super) fn base64_text(s: &str) -> Option<String> {
    let trimmed = s.trim();
    if trimmed.len() < MIN_BASE64 {
        return None;
    }
    if head_is_not_text(trimmed) {
        return None;
    }
    base64_whole_text(trimmed)
}

/// `s` (trimmed) decoded whole as standard or URL-safe base64, when it is text.
fn base64_whole_text(s: &str) -> Option<String> {
    if !s.bytes().all(|b| is_base64(b) || b == b'=') {
        return None;
    }
    let compact: String = s.split_ascii_whitespace().collect();
    let bytes = STANDARD
        .decode(&compact)
        .or_else(|_| URL_SAFE.decode(&compact))
        .ok()?;
    bytes_text(&bytes)
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b.is_ascii_whitespace() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// Characters of base64 [`head_is_not_text`] decodes (48 bytes).
const HEAD: usize = 64;

/// Whether the first [`HEAD`] characters of `s` (whitespace left out) already show that
/// [`base64_text`] finds no text in it: not base64, or bytes that are neither gzip nor the start
/// of UTF-8. Any decoding of the whole starts with the head's bytes, so `false` decides
/// nothing, and `true` is exact. Prose is mostly letters and spaces, so without this every long
/// string of a recording would be decoded whole only to be thrown away.
fn head_is_not_text(s: &str) -> bool {
    let mut head = [0u8; HEAD];
    let mut n = 0;
    for b in s.bytes().filter(|b| !b.is_ascii_whitespace()) {
        if n == HEAD {
            break;
        }
        if !is_base64(b) {
            // `=` is padding: only at the end, where a short text is decoded whole anyway.
            return b != b'=';
        }
        head[n] = b;
        n += 1;
    }
    if n < HEAD {
        return false;
    }
    let Ok(bytes) = STANDARD.decode(head).or_else(|_| URL_SAFE.decode(head)) else {
        // Both alphabets' characters: neither decodes the whole.
        return true;
    };
    !bytes.starts_with(&[0x1f, 0x8b])
        && std::str::from_utf8(&bytes).is_err_and(|e| e.error_len().is_some())
}

/// The text a hex string holds when it is gzip (nock records compressed bodies as hex).
pub(super) fn hex_gzip_text(s: &str) -> Option<String> {
    let t = s.trim();
    if t.len() < 32 || !t.len().is_multiple_of(2) || !t.starts_with("1f8b") {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(t.get(i..i + 2)?, 16).ok())
        .collect();
    bytes_text(&bytes?)
}

/// Decoded bytes as text: gunzipped (bounded; a truncated stream gives what it holds) when
/// gzip, then UTF-8 or nothing.
pub(super) fn bytes_text(bytes: &[u8]) -> Option<String> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let _partial = flate2::read::MultiGzDecoder::new(bytes)
            .take(DECODED_LIMIT)
            .read_to_end(&mut out);
        return (!out.is_empty()).then(|| String::from_utf8_lossy(&out).into_owned());
    }
    let text = std::str::from_utf8(bytes).ok()?;
    // Binary that happens to be UTF-8 (a few control bytes) is not text worth scanning.
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !c.is_whitespace())
        .count();
    (controls * 20 <= text.len()).then(|| text.to_owned())
}

/// `user:password` from a Basic credential's base64.
pub(super) fn basic(b64: &str) -> Option<(String, String)> {
    let bytes = STANDARD.decode(b64.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

/// The forms an exact value takes in a recording that is not decoded as a whole: as is,
/// percent-encoded (component and form style), base64 at each of the three alignments inside a
/// longer base64 text (standard and URL-safe), JSON-escaped (`\/`, every character `\uXXXX`).
pub(super) fn encodings(value: &str) -> Vec<String> {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let mut out = vec![value.to_owned()];
    out.push(utf8_percent_encode(value, NON_ALPHANUMERIC).to_string());
    out.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
    for engine in [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE,
    ] {
        for k in 0..3usize {
            let mut bytes = vec![0u8; k];
            bytes.extend_from_slice(value.as_bytes());
            let encoded = engine.encode(&bytes);
            // Characters that hold only bits of `value`: skip those touched by the k prefix
            // bytes, and the last partial one.
            let start = [0, 2, 3][k];
            let end = bytes.len() * 8 / 6;
            if end > start + 8 {
                out.push(encoded[start..end].to_owned());
            }
        }
    }
    out.push(value.replace('/', "\\/"));
    out.push(
        value
            .chars()
            .map(|c| format!("\\u{:04x}", u32::from(c)))
            .collect(),
    );
    out.push(
        value
            .chars()
            .map(|c| format!("\\u{:04X}", u32::from(c)))
            .collect(),
    );
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_decides_only_what_the_whole_would() {
        use base64::engine::general_purpose::{STANDARD as STD, URL_SAFE as URL};
        // The whole decoded, as before the head was looked at.
        let whole = |s: &str| {
            Some(s.trim())
                .filter(|t| t.len() >= MIN_BASE64)
                .and_then(base64_whole_text)
        };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, "a gzip body ".repeat(20).as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let wrapped = |b64: String| -> String {
            b64.as_bytes()
                .chunks(60)
                .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
                .collect()
        };
        let mut cases = vec![
            "the of and to model response stream token assistant ".repeat(40),
            "inference completion temperature ".repeat(30),
            STD.encode("plain text that is long enough to pass the head ".repeat(5)),
            // `é` straddles the 48th decoded byte: the head ends inside a character.
            STD.encode(format!(
                "{}é and more text, {}",
                "x".repeat(47),
                "y".repeat(40)
            )),
            STD.encode(format!("{}é and more", "x".repeat(46))),
            URL.encode(format!("{}~~~?>>>{}", "z".repeat(50), "w".repeat(50))),
            STD.encode(format!("{}~~~?>>>{}", "z".repeat(50), "w".repeat(50))),
            wrapped(STD.encode(&gz)),
            wrapped(STD.encode((0..=255u8).cycle().take(300).collect::<Vec<u8>>())),
            format!("{}={}", "a".repeat(40), "b".repeat(40)),
            format!("{}+-{}", "a".repeat(40), "b".repeat(40)),
        ];
        cases.push(format!("{}!", cases[2]));
        for case in &cases {
            assert_eq!(base64_text(case), whole(case), "{case:?}");
        }
        for found in [2, 3, 5, 6, 7] {
            assert!(base64_text(&cases[found]).is_some(), "{}", cases[found]);
        }
        assert!(head_is_not_text(&cases[0]));
    }

    #[test]
    fn escapes_percent_base64_gzip_basic() {
        assert_eq!(
            unescape(r#"a\/b\u0041\ud83d\ude00\"c"#).as_deref(),
            Some("a/bA\u{1F600}\"c")
        );
        assert_eq!(unescape("plain"), None);
        assert_eq!(percent("a%2Fb+c", true).as_deref(), Some("a/b c"));
        assert_eq!(percent("a+b", false), None);
        let text = "the quick brown fox jumps";
        let b64 = base64::engine::general_purpose::STANDARD.encode(text);
        assert_eq!(base64_text(&b64).as_deref(), Some(text));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
        let gz = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
        let wrapped: String = gz
            .as_bytes()
            .chunks(10)
            .map(|c| format!("{}\n", std::str::from_utf8(c).unwrap()))
            .collect();
        assert_eq!(base64_text(&wrapped).as_deref(), Some(text));
        assert_eq!(base64_text("0123456789abcdef0123"), None);
        let basic_b64 = base64::engine::general_purpose::STANDARD.encode("me:pw1");
        assert_eq!(basic(&basic_b64), Some(("me".into(), "pw1".into())));
    }

    #[test]
    fn each_base64_alignment_of_a_value_is_an_encoding() {
        let value = "zq-9f8e7d6c5b4a";
        let forms = encodings(value);
        for prefix in ["", "a", "ab", "abc"] {
            let text =
                base64::engine::general_purpose::STANDARD.encode(format!("{prefix}{value}|suffix"));
            assert!(forms.iter().any(|f| text.contains(f.as_str())), "{prefix}");
        }
        assert!(forms.contains(&"zq%2D9f8e7d6c5b4a".to_owned()));
    }
}
