//! What a credential looks like: the provider formats (one regex each, group `s` around the
//! secret), the names of fields, headers and query parameters that hold credentials, the
//! placeholders recorders write instead of one, and the entropy floor for named values.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

/// (kind, keywords, pattern with one group `s` around the secret). Every match of a pattern
/// holds one of its keywords, as written (the patterns are case-sensitive): a rule runs only on
/// text where one occurs. At one value the first rule that matches names it (Anthropic before
/// OpenAI, both `sk-`).
const FORMATS: &[(&str, &[&str], &str)] = &[
    (
        "GitHub token",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        r"(?-u:\b)(?P<s>gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})",
    ),
    (
        "GitLab token",
        &["glpat-"],
        r"(?-u:\b)(?P<s>glpat-[A-Za-z0-9_\-]{20,})",
    ),
    (
        "Anthropic API key",
        &["sk-ant-"],
        r"(?-u:\b)(?P<s>sk-ant-[A-Za-z0-9_\-]{20,})",
    ),
    (
        "OpenAI API key",
        &["sk-"],
        r"(?-u:\b)(?P<s>sk-(?:proj-|svcacct-|admin-|or-v1-)?[A-Za-z0-9_\-]{20,})",
    ),
    (
        "Hugging Face token",
        &["hf_"],
        r"(?-u:\b)(?P<s>hf_[A-Za-z0-9]{30,})",
    ),
    (
        "Groq API key",
        &["gsk_"],
        r"(?-u:\b)(?P<s>gsk_[A-Za-z0-9]{40,})",
    ),
    (
        "NVIDIA API key",
        &["nvapi-"],
        r"(?-u:\b)(?P<s>nvapi-[A-Za-z0-9_\-]{40,})",
    ),
    (
        "Fireworks API key",
        &["fw_"],
        r"(?-u:\b)(?P<s>fw_[A-Za-z0-9]{20,})",
    ),
    (
        "Cerebras API key",
        &["csk-"],
        r"(?-u:\b)(?P<s>csk-[A-Za-z0-9]{40,})",
    ),
    (
        "Tavily API key",
        &["tvly-"],
        r"(?-u:\b)(?P<s>tvly-(?:dev-|prod-)?[A-Za-z0-9]{20,})",
    ),
    (
        "Together API key",
        &["tgp_v1_"],
        r"(?-u:\b)(?P<s>tgp_v1_[A-Za-z0-9_\-]{30,})",
    ),
    (
        "Replicate API token",
        &["r8_"],
        r"(?-u:\b)(?P<s>r8_[A-Za-z0-9]{37})",
    ),
    (
        "Perplexity API key",
        &["pplx-"],
        r"(?-u:\b)(?P<s>pplx-[A-Za-z0-9]{40,})",
    ),
    (
        "xAI API key",
        &["xai-"],
        r"(?-u:\b)(?P<s>xai-[A-Za-z0-9]{60,})",
    ),
    (
        "LangSmith API key",
        &["lsv2_pt_", "lsv2_sk_"],
        r"(?-u:\b)(?P<s>lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})",
    ),
    (
        "Databricks token",
        &["dapi"],
        r"(?-u:\b)(?P<s>dapi[a-f0-9]{32})",
    ),
    (
        "Google API key",
        &["AIza"],
        r"(?P<s>AIza[0-9A-Za-z_\-]{35})",
    ),
    (
        "Google OAuth access token",
        &["ya29."],
        r"(?-u:\b)(?P<s>ya29\.[0-9A-Za-z_\-]{20,})",
    ),
    (
        "AWS access key id",
        &["AKIA", "ASIA", "ABIA", "ACCA"],
        r"(?-u:\b)(?P<s>(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})(?-u:\b)",
    ),
    (
        "Azure storage account key",
        &["AccountKey="],
        r"AccountKey=(?P<s>[A-Za-z0-9+/]{80,}={0,2})",
    ),
    (
        "Slack token",
        &["xox"],
        r"(?-u:\b)(?P<s>xox[abposre]-[0-9A-Za-z\-]{10,})",
    ),
    (
        "Slack webhook",
        &["hooks.slack.com/services/T"],
        r"hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/(?P<s>[A-Za-z0-9]{20,})",
    ),
    (
        "Stripe secret key",
        &["sk_live_", "rk_live_"],
        r"(?-u:\b)(?P<s>[sr]k_live_[0-9A-Za-z]{20,})",
    ),
    (
        "SendGrid API key",
        &["SG."],
        r"(?-u:\b)(?P<s>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})",
    ),
    (
        "Twilio API key",
        &["SK"],
        r"(?-u:\b)(?P<s>SK[0-9a-fA-F]{32})(?-u:\b)",
    ),
    (
        "Mailgun API key",
        &["key-"],
        r"(?-u:\b)(?P<s>key-[0-9a-f]{32})(?-u:\b)",
    ),
    (
        "npm token",
        &["npm_"],
        r"(?-u:\b)(?P<s>npm_[A-Za-z0-9]{36})",
    ),
    (
        "PyPI token",
        &["pypi-AgEIcHlwaS5vcmc"],
        r"(?-u:\b)(?P<s>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})",
    ),
    (
        "Shopify token",
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        r"(?-u:\b)(?P<s>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})",
    ),
    (
        "DigitalOcean token",
        &["doo_v1_", "dop_v1_", "dor_v1_"],
        r"(?-u:\b)(?P<s>do[opr]_v1_[a-f0-9]{64})",
    ),
    (
        "private key",
        &["-----BEGIN "],
        r"-----BEGIN [A-Z ]{0,20}PRIVATE KEY(?: BLOCK)?-----(?:\\n|\s)*(?P<s>[A-Za-z0-9+/=]{32,})",
    ),
    (
        "JSON Web Token",
        &["eyJ"],
        r"(?-u:\b)(?P<s>eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})",
    ),
];

/// Every match of every format holds a run of at least this many characters of
/// `[A-Za-z0-9_+/=.-]` (the shortest: a Slack token, `xoxb-` and 10 more; 15 >= 8 + 7 is what
/// [`has_token_run`] relies on).
pub(super) const SHORTEST: usize = 15;

/// The bytes of such a run.
const TOKEN_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'+' | b'/' | b'=' | b'.' | b'-');
        b += 1;
    }
    t
};

/// Whether `s` holds a run of [`SHORTEST`] characters a credential is made of: without one, no
/// format can match. Any such run (15 >= 8 + 7) covers one of the 8-byte blocks `s` is cut
/// into, so only around a block made of such characters (looked for without branching on each
/// byte) is the run measured. Prose and numbers have none, so most of a recording's text skips
/// the formats.
pub(super) fn has_token_run(s: &str) -> bool {
    let b = s.as_bytes();
    let token = |i: &usize| TOKEN_BYTE[usize::from(b[*i])];
    (0..b.len() / 8).any(|k| {
        let (start, end) = (8 * k, 8 * k + 8);
        in_token_range(&b[start..end])
            && b[start..end]
                .iter()
                .fold(true, |all, &c| all & TOKEN_BYTE[usize::from(c)])
            && {
                let before = (0..start).rev().take_while(token).take(7).count();
                let after = (end..b.len()).take_while(token).take(7).count();
                8 + before + after >= SHORTEST
            }
    })
}

/// Whether all 8 bytes are in `b'+'..=b'z'`, where every byte of [`TOKEN_BYTE`] is: a word at a
/// time, so that a block with a space (most blocks of prose) costs a few instructions.
fn in_token_range(block: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let x = u64::from_ne_bytes(block.try_into().unwrap_or([0; 8]));
    // A byte below `+` (or with its high bit set) borrows into its high bit…
    let below = x.wrapping_sub(ONES * u64::from(b'+')) | x;
    // …and one above `z` carries into it.
    let above = x.wrapping_add(ONES * u64::from(127 - b'z'));
    (below | above) & HIGH == 0
}

/// Credential names in free text: `name = value`, `"name": "value"`, `name: value`,
/// `?name=value`. The name is group `n`, an optional auth scheme `a`, the value `v`.
const NAMED_IN_TEXT: &str = r#"(?i)(?:^|[^A-Za-z0-9_\-])(?P<n>(?:[a-z0-9]+[_\-])*(?:api[_\-]?key|api[_\-]?token|access[_\-]?token|auth[_\-]?token|secret[_\-]?key|secret[_\-]?access[_\-]?key|client[_\-]?secret|secret|password|passwd|token|authorization|x-subscription-token|ocp-apim-subscription-key))["']?[ \t]*[:=][ \t]*["']?(?:(?P<a>bearer|token|basic)[ \t]+)?(?P<v>[^\s"'&,;<>\\()\[\]{}]+)"#;

/// The provider formats, compiled.
pub(super) struct Formats {
    /// Every rule's keywords; keyword `i` is one of rule `rule_of[i]`'s.
    keywords: AhoCorasick,
    rule_of: Vec<usize>,
    each: Vec<(&'static str, Regex)>,
}

const _: () = assert!(
    FORMATS.len() <= 64,
    "Formats::candidates keeps rules in a u64"
);

impl Formats {
    /// The rules (kind, regex), in order, that may match in `s`: those with a keyword in it.
    /// One pass of the keyword automaton over `s`; most text (prose, ids, numbers) holds no
    /// keyword and runs no regex at all.
    pub fn candidates(&self, s: &str) -> impl Iterator<Item = &(&'static str, Regex)> {
        let mut rules = 0u64;
        if self.keywords.is_match(s) {
            for m in self.keywords.find_overlapping_iter(s) {
                rules |= 1 << self.rule_of[m.pattern().as_usize()];
            }
        }
        self.each
            .iter()
            .enumerate()
            .filter(move |(i, _)| rules & (1 << i) != 0)
            .map(|(_, rule)| rule)
    }
}

pub(super) static RULES: LazyLock<Formats> = LazyLock::new(|| {
    let (mut words, mut rule_of) = (Vec::new(), Vec::new());
    for (i, (_, keywords, _)) in FORMATS.iter().enumerate() {
        words.extend(keywords.iter().copied());
        rule_of.extend(keywords.iter().map(|_| i));
    }
    Formats {
        keywords: AhoCorasick::new(words).expect("the keywords compile"),
        rule_of,
        each: FORMATS
            .iter()
            .map(|(k, _, p)| (*k, Regex::new(p).expect("the rules compile")))
            .collect(),
    }
});

/// Words every credential name of [`NAMED_IN_TEXT`] ends with (any case): text without one
/// (and ASCII, so no Unicode case folding applies) has no `name: value` to find.
static NAME_WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(["key", "token", "secret", "passw", "authorization"])
        .expect("the words compile")
});

/// `:` and `=`, one of which [`NAMED_IN_TEXT`] needs (searched for with `memchr2`).
static SEPARATORS: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new([":", "="]).expect("the separators compile"));

/// Whether [`NAMED`] may match in `s`.
pub(super) fn may_name(s: &str) -> bool {
    SEPARATORS.is_match(s) && (!s.is_ascii() || NAME_WORDS.is_match(s))
}

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
pub(super) mod tests {
    use super::*;

    /// One value of each format (and of each alternative within one), written independently of
    /// the keywords and built at run time, so this file holds no string a scanner would flag.
    pub(crate) fn one_of_each() -> Vec<(&'static str, String)> {
        let r = |n: usize| "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xYz".repeat(8)[..n].to_owned();
        let hex = |n: usize| "0123456789abcdef".repeat(8)[..n].to_owned();
        let mut out = Vec::new();
        for p in ["p", "o", "u", "s", "r"] {
            out.push(("GitHub token", format!("gh{p}_{}", r(36))));
        }
        out.extend([
            ("GitHub token", format!("github_{}_{}", "pat", r(82))),
            ("GitLab token", format!("gl{}-{}", "pat", r(20))),
            ("Anthropic API key", format!("s{}-ant-api03-{}", "k", r(40))),
            ("OpenAI API key", format!("s{}-{}", "k", r(48))),
            ("OpenAI API key", format!("s{}-proj-{}", "k", r(64))),
            ("Hugging Face token", format!("h{}_{}", "f", r(34))),
            ("Groq API key", format!("gs{}_{}", "k", r(52))),
            ("NVIDIA API key", format!("nva{}-{}", "pi", r(64))),
            ("Fireworks API key", format!("f{}_{}", "w", r(24))),
            ("Cerebras API key", format!("cs{}-{}", "k", r(48))),
            ("Tavily API key", format!("tv{}-dev-{}", "ly", r(32))),
            ("Together API key", format!("tgp_{}_{}", "v1", r(43))),
            ("Replicate API token", format!("r{}_{}", "8", r(37))),
            ("Perplexity API key", format!("pp{}-{}", "lx", r(48))),
            ("xAI API key", format!("xa{}-{}", "i", r(80))),
            (
                "LangSmith API key",
                format!("lsv2_{}_{}_{}", "pt", hex(32), hex(10)),
            ),
            (
                "LangSmith API key",
                format!("lsv2_{}_{}_{}", "sk", hex(32), hex(10)),
            ),
            ("Databricks token", format!("dap{}{}", "i", hex(32))),
            ("Google API key", format!("AI{}a{}", "z", r(35))),
            ("Google OAuth access token", format!("ya{}.{}", "29", r(40))),
            (
                "Azure storage account key",
                format!("Account{}={}==", "Key", r(86)),
            ),
            ("Slack token", format!("xo{}b-{}", "x", "1234567890")),
            ("Slack token", format!("xo{}p-{}", "x", "1234567890-abcd")),
            (
                "Slack webhook",
                format!("hooks.{}.com/services/T0ABC/B0DEF/{}", "slack", r(24)),
            ),
            ("Stripe secret key", format!("s{}_live_{}", "k", r(24))),
            ("Stripe secret key", format!("r{}_live_{}", "k", r(24))),
            ("SendGrid API key", format!("S{}.{}.{}", "G", r(22), r(43))),
            ("Twilio API key", format!("S{}{}", "K", hex(32))),
            ("Mailgun API key", format!("ke{}-{}", "y", hex(32))),
            ("npm token", format!("np{}_{}", "m", r(36))),
            ("PyPI token", format!("py{}-AgEIcHlwaS5vcmc{}", "pi", r(60))),
            ("Shopify token", format!("shp{}_{}", "at", hex(32))),
            ("Shopify token", format!("shp{}_{}", "ss", hex(32))),
            ("DigitalOcean token", format!("do{}_v1_{}", "p", hex(64))),
            ("DigitalOcean token", format!("do{}_v1_{}", "r", hex(64))),
            (
                "private key",
                format!("-----BEGIN RSA {} KEY-----\\n{}", "PRIVATE", r(64)),
            ),
            (
                "JSON Web Token",
                format!("ey{}hbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.{}", "J", r(22)),
            ),
        ]);
        for p in ["AKIA", "ASIA", "ABIA", "ACCA"] {
            out.push(("AWS access key id", format!("{p}Q3EGRT5PN2XJWK7M")));
        }
        out
    }

    /// The rules a text matches, by the full rule set.
    fn matching(s: &str) -> Vec<&'static str> {
        FORMATS
            .iter()
            .filter(|(_, _, p)| Regex::new(p).unwrap().is_match(s))
            .map(|(k, _, _)| *k)
            .collect()
    }

    #[test]
    fn every_format_is_found_through_its_keywords_and_token_run() {
        let kinds: std::collections::BTreeSet<&str> = FORMATS.iter().map(|f| f.0).collect();
        let samples = one_of_each();
        let sampled: std::collections::BTreeSet<&str> = samples.iter().map(|s| s.0).collect();
        assert_eq!(kinds, sampled, "a sample for each rule");
        for (kind, value) in &samples {
            for text in [
                value.clone(),
                format!("the key is {value}, keep it"),
                format!(r#"{{"k":"{value}"}}"#),
                format!("Bearer {value}\nnext"),
                format!("x=1&t={value}"),
            ] {
                let all = matching(&text);
                assert!(all.contains(kind), "{kind} by its regex in {text:?}");
                assert!(has_token_run(&text), "{kind}: no token run in {text:?}");
                let candidates: Vec<&str> = RULES.candidates(&text).map(|r| r.0).collect();
                for k in all {
                    assert!(candidates.contains(&k), "{k} not a candidate in {text:?}");
                }
            }
        }
    }

    #[test]
    fn a_token_run_is_measured_exactly() {
        let naive = |s: &str| {
            s.split(|c: char| {
                !(c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '/' | '=' | '.' | '-'))
            })
            .any(|run| run.len() >= SHORTEST)
        };
        for len in [7, 8, 9, 14, 15, 16, 40] {
            for at in 0..20 {
                for (before, after) in [(" ", " "), ("é", "\""), ("", ""), ("a b", ",c")] {
                    let run = "Q-_.+/=9".repeat(len)[..len].to_owned();
                    for s in [
                        format!("{}{before}{}{after}y z", " ".repeat(at), "x".repeat(len)),
                        format!("{}{before}{run}{after}", "ab cd ".repeat(at)),
                    ] {
                        assert_eq!(has_token_run(&s), naive(&s), "{s:?}");
                    }
                }
            }
        }
        assert!(!has_token_run(
            "the inference completion temperature embedding, approximately"
        ));
        for b in 0..=255u8 {
            if TOKEN_BYTE[usize::from(b)] {
                assert!(in_token_range(&[
                    b'a', b'+', b'z', b, b'-', b'9', b'Z', b'='
                ]));
            }
        }
    }

    #[test]
    fn a_named_value_needs_a_separator_and_a_name_word() {
        assert!(may_name("x-api-KEY: abc"));
        assert!(may_name("?access_Token=abc"));
        assert!(may_name("Authorization = Basic abc"));
        assert!(may_name("pass\u{212A}ey: non-ASCII is left to the rule"));
        assert!(!may_name("a token, a secret and a password, no separator"));
        assert!(!may_name("time: 12:30, ratio=2"));
        assert!(NAMED.is_match("x-api-KEY: abcdefgh12345678"));
    }

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
