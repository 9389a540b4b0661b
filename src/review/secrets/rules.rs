//! What a credential looks like: the provider formats (one regex each, group `s` around the
//! secret), the names of fields, headers and query parameters that hold credentials, the
//! placeholders recorders write instead of one, and the entropy floor for named values.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

/// (kind, pattern with one group `s` around the secret). At one value the first rule that
/// matches names it (Anthropic before OpenAI, both `sk-`).
const FORMATS: &[(&str, &str)] = &[
    (
        "GitHub token",
        r"(?-u:\b)(?P<s>gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})",
    ),
    ("GitLab token", r"(?-u:\b)(?P<s>glpat-[A-Za-z0-9_\-]{20,})"),
    (
        "Anthropic API key",
        r"(?-u:\b)(?P<s>sk-ant-[A-Za-z0-9_\-]{20,})",
    ),
    (
        "OpenAI API key",
        r"(?-u:\b)(?P<s>sk-(?:proj-|svcacct-|admin-|or-v1-)?[A-Za-z0-9_\-]{20,})",
    ),
    ("Hugging Face token", r"(?-u:\b)(?P<s>hf_[A-Za-z0-9]{30,})"),
    ("Groq API key", r"(?-u:\b)(?P<s>gsk_[A-Za-z0-9]{40,})"),
    (
        "NVIDIA API key",
        r"(?-u:\b)(?P<s>nvapi-[A-Za-z0-9_\-]{40,})",
    ),
    ("Fireworks API key", r"(?-u:\b)(?P<s>fw_[A-Za-z0-9]{20,})"),
    ("Cerebras API key", r"(?-u:\b)(?P<s>csk-[A-Za-z0-9]{40,})"),
    (
        "Tavily API key",
        r"(?-u:\b)(?P<s>tvly-(?:dev-|prod-)?[A-Za-z0-9]{20,})",
    ),
    (
        "Together API key",
        r"(?-u:\b)(?P<s>tgp_v1_[A-Za-z0-9_\-]{30,})",
    ),
    ("Replicate API token", r"(?-u:\b)(?P<s>r8_[A-Za-z0-9]{37})"),
    (
        "Perplexity API key",
        r"(?-u:\b)(?P<s>pplx-[A-Za-z0-9]{40,})",
    ),
    ("xAI API key", r"(?-u:\b)(?P<s>xai-[A-Za-z0-9]{60,})"),
    (
        "LangSmith API key",
        r"(?-u:\b)(?P<s>lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})",
    ),
    ("Databricks token", r"(?-u:\b)(?P<s>dapi[a-f0-9]{32})"),
    ("Google API key", r"(?P<s>AIza[0-9A-Za-z_\-]{35})"),
    (
        "Google OAuth access token",
        r"(?-u:\b)(?P<s>ya29\.[0-9A-Za-z_\-]{20,})",
    ),
    (
        "AWS access key id",
        r"(?-u:\b)(?P<s>(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})(?-u:\b)",
    ),
    (
        "Azure storage account key",
        r"AccountKey=(?P<s>[A-Za-z0-9+/]{80,}={0,2})",
    ),
    (
        "Slack token",
        r"(?-u:\b)(?P<s>xox[abposre]-[0-9A-Za-z\-]{10,})",
    ),
    (
        "Slack webhook",
        r"hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/(?P<s>[A-Za-z0-9]{20,})",
    ),
    (
        "Stripe secret key",
        r"(?-u:\b)(?P<s>[sr]k_live_[0-9A-Za-z]{20,})",
    ),
    (
        "SendGrid API key",
        r"(?-u:\b)(?P<s>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})",
    ),
    (
        "Twilio API key",
        r"(?-u:\b)(?P<s>SK[0-9a-fA-F]{32})(?-u:\b)",
    ),
    (
        "Mailgun API key",
        r"(?-u:\b)(?P<s>key-[0-9a-f]{32})(?-u:\b)",
    ),
    ("npm token", r"(?-u:\b)(?P<s>npm_[A-Za-z0-9]{36})"),
    (
        "PyPI token",
        r"(?-u:\b)(?P<s>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})",
    ),
    (
        "Shopify token",
        r"(?-u:\b)(?P<s>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})",
    ),
    (
        "DigitalOcean token",
        r"(?-u:\b)(?P<s>do[opr]_v1_[a-f0-9]{64})",
    ),
    (
        "private key",
        r"-----BEGIN [A-Z ]{0,20}PRIVATE KEY(?: BLOCK)?-----(?:\\n|\s)*(?P<s>[A-Za-z0-9+/=]{32,})",
    ),
    (
        "JSON Web Token",
        r"(?-u:\b)(?P<s>eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})",
    ),
];

/// No credential format matches fewer characters (an AWS key id is 20).
pub(super) const SHORTEST: usize = 16;

/// Credential names in free text: `name = value`, `"name": "value"`, `name: value`,
/// `?name=value`. The name is group `n`, an optional auth scheme `a`, the value `v`.
const NAMED_IN_TEXT: &str = r#"(?i)(?:^|[^A-Za-z0-9_\-])(?P<n>(?:[a-z0-9]+[_\-])*(?:api[_\-]?key|api[_\-]?token|access[_\-]?token|auth[_\-]?token|secret[_\-]?key|secret[_\-]?access[_\-]?key|client[_\-]?secret|secret|password|passwd|token|authorization|x-subscription-token|ocp-apim-subscription-key))["']?[ \t]*[:=][ \t]*["']?(?:(?P<a>bearer|token|basic)[ \t]+)?(?P<v>[^\s"'&,;<>\\()\[\]{}]+)"#;

pub(super) struct Formats {
    pub set: RegexSet,
    pub each: Vec<(&'static str, Regex)>,
}

pub(super) static RULES: LazyLock<Formats> = LazyLock::new(|| Formats {
    set: RegexSet::new(FORMATS.iter().map(|(_, p)| *p)).expect("the rules compile"),
    each: FORMATS
        .iter()
        .map(|(k, p)| (*k, Regex::new(p).expect("the rules compile")))
        .collect(),
});

pub(super) static NAMED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(NAMED_IN_TEXT).expect("the rule compiles"));

/// A run of base64 long enough to be worth decoding in text of unknown shape.
pub(super) static BASE64_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/_\-]{32,}={0,2}").expect("the rule compiles"));

/// How a credential-named value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Named {
    /// `Authorization`-like: `Scheme value`, Basic decoded.
    Authorization,
    /// Any other credential-named field, header or parameter.
    Plain,
}

/// Is `name` (a field, header or query parameter name) one that holds a credential?
pub(super) fn named(name: &str) -> Option<Named> {
    let norm: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if norm.len() > 64 {
        return None;
    }
    if matches!(norm.as_str(), "authorization" | "proxyauthorization") {
        return Some(Named::Authorization);
    }
    const EXACT: &[&str] = &[
        "token",
        "secret",
        "passwd",
        "pwd",
        "xsubscriptiontoken",
        "ocpapimsubscriptionkey",
        "xgoogapikey",
        "privatekey",
        "idtoken",
        "sessiontoken",
        "securitytoken",
        "xamzsecuritytoken",
        "xauthtoken",
        "xaccesstoken",
        "accountkey",
        "subscriptionkey",
    ];
    const SUFFIXES: &[&str] = &[
        "apikey",
        "apitoken",
        "accesstoken",
        "authtoken",
        "refreshtoken",
        "bearertoken",
        "secrettoken",
        "secretkey",
        "secretaccesskey",
        "clientsecret",
        "apisecret",
        "password",
    ];
    (EXACT.contains(&norm.as_str()) || SUFFIXES.iter().any(|s| norm.ends_with(s)))
        .then_some(Named::Plain)
}

/// Keys under a credential-named key that still hold its value (WireMock's matchers,
/// Betamax's and vcrpy's body shapes).
pub(super) fn keeps_name(key: &str) -> bool {
    matches!(
        key,
        "equalTo"
            | "contains"
            | "matches"
            | "value"
            | "values"
            | "string"
            | "caseInsensitive"
            | "doesNotMatch"
    )
}

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
    "changeme",
    "xxxx",
    "***",
    "your-",
    "your_",
    "<",
    "${",
    "{{",
    "%(",
];

/// A placeholder is the whole value: `REDACTED`, `***`, `<token>`, `sk-xxxx`, `${VAR}`, `$VAR`,
/// `%VAR%`, one repeated character. Only that value is exempt, never text after it.
pub(super) fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let mut chars = value.chars();
    let first = chars.next();
    PLACEHOLDER_MARKS.iter().any(|m| lower.contains(m))
        || (value.starts_with('$')
            && value[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'))
        || (value.len() > 2 && value.starts_with('%') && value.ends_with('%'))
        || matches!(
            lower.as_str(),
            "null" | "none" | "undefined" | "true" | "false"
        )
        || chars.all(|c| Some(c) == first)
}

/// Shannon entropy in bits per character.
pub(super) fn entropy(value: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in value.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = value.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// The floor a credential-named value must clear: at least 8 characters, no whitespace, at
/// least 3 bits of entropy per character, not a placeholder, and machine-made: letters and
/// digits, or 16 characters and more of three classes (lower, upper, digit, other). The last
/// rule keeps words out: LLM responses name each logprob's text `token` (`"approximately"`,
/// `"Australia"` in llama-stack's recordings).
pub(super) fn looks_secret(value: &str) -> bool {
    value.len() >= 8
        && value.len() <= 4096
        && !value.chars().any(char::is_whitespace)
        && !is_placeholder(value)
        && entropy(value) >= 3.0
        && machine_made(value)
}

fn machine_made(value: &str) -> bool {
    let has = |f: fn(&char) -> bool| value.chars().any(|c| f(&c));
    let lower = has(char::is_ascii_lowercase);
    let upper = has(char::is_ascii_uppercase);
    let digit = has(char::is_ascii_digit);
    let other = has(|c| !c.is_ascii_alphanumeric());
    let classes = [lower, upper, digit, other].iter().filter(|&&b| b).count();
    ((lower || upper) && digit) || (value.len() >= 16 && classes >= 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_placeholders_and_entropy() {
        let authorization: &[&str] = &["Authorization", "proxy-authorization"];
        let plain: &[&str] = &[
            "api_key",
            "api-key",
            "apikey",
            "X-Api-Key",
            "x-subscription-token",
            "token",
            "secret",
            "password",
            "client_secret",
            "aws_secret_access_key",
            "MISTRAL_API_KEY",
            "Ocp-Apim-Subscription-Key",
        ];
        let not_named: &[&str] = &[
            "max_tokens",
            "prompt_tokens",
            "tokenizer",
            "next_page_token",
            "key",
            "token_type",
        ];
        for (names, want) in [
            (authorization, Some(Named::Authorization)),
            (plain, Some(Named::Plain)),
            (not_named, None),
        ] {
            for n in names {
                assert_eq!(named(n), want, "{n}");
            }
        }
        for p in [
            "REDACTED",
            "***",
            "<token>",
            "sk-xxxx",
            "${OPENAI_API_KEY}",
            "$TOKEN",
            "%TOKEN%",
            "aaaaaaaaaaaa",
            "{{api_key}}",
        ] {
            assert!(is_placeholder(p), "{p}");
            assert!(!looks_secret(p), "{p}");
        }
        assert!(looks_secret("k3y-0123456789"));
        assert!(!looks_secret("hello world and more"));
        assert!(!looks_secret("abababab"));
        assert!(!looks_secret("approximately"));
        assert!(!looks_secret("Australia"));
    }
}
