//! The GitHub token as a type that cannot be printed by accident, and where it comes from.

use std::fmt;
use std::process::Command;

/// A GitHub token. `Debug`/`Display` print `***`; only [`Token::expose`] gives the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(value: impl Into<String>) -> Option<Self> {
        let value = value.into().trim().to_owned();
        (!value.is_empty()).then_some(Self(value))
    }

    /// The secret itself: only for an Authorization header or a git credential.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replace every occurrence of the token in `text` with `***`.
    pub fn redact(&self, text: &str) -> String {
        text.replace(&self.0, "***")
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where the token was found (for `doctor` and error messages; never the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    GhTokenEnv,
    GithubTokenEnv,
    GhCli,
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenSource::GhTokenEnv => "GH_TOKEN",
            TokenSource::GithubTokenEnv => "GITHUB_TOKEN",
            TokenSource::GhCli => "gh auth token",
        })
    }
}

/// `GH_TOKEN`, else `GITHUB_TOKEN`, else `gh auth token` (gh's default host) when gh is installed.
pub fn discover() -> Option<(Token, TokenSource)> {
    discover_with(None)
}

/// Like [`discover`], but gh is asked for the token of the host that serves `api_url`
/// (`gh auth token --hostname HOST`: github.com, or a GitHub Enterprise host), so a token
/// stored for one host never goes to another.
pub fn discover_for(api_url: &str) -> Option<(Token, TokenSource)> {
    discover_with(Some(&gh_hostname(api_url)))
}

fn discover_with(hostname: Option<&str>) -> Option<(Token, TokenSource)> {
    if let Some(t) = std::env::var("GH_TOKEN").ok().and_then(Token::new) {
        return Some((t, TokenSource::GhTokenEnv));
    }
    if let Some(t) = std::env::var("GITHUB_TOKEN").ok().and_then(Token::new) {
        return Some((t, TokenSource::GithubTokenEnv));
    }
    let mut gh = Command::new("gh");
    gh.args(["auth", "token"]);
    if let Some(host) = hostname {
        gh.args(["--hostname", host]);
    }
    let out = gh.stderr(std::process::Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    Token::new(String::from_utf8_lossy(&out.stdout)).map(|t| (t, TokenSource::GhCli))
}

/// The host gh knows an API URL's tokens by: `github.com` for `https://api.github.com`, `HOST`
/// for GitHub Enterprise's `https://HOST/api/v3`, else the URL's `host[:port]`.
pub fn gh_hostname(api_url: &str) -> String {
    let rest = api_url.split_once("://").map_or(api_url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let host = authority.to_ascii_lowercase();
    if host == "api.github.com" {
        "github.com".to_owned()
    } else {
        host
    }
}

/// Like [`discover`], but an error that says how to provide a token.
pub fn require() -> anyhow::Result<(Token, TokenSource)> {
    discover().ok_or_else(no_token)
}

/// Like [`discover_for`], but an error that says how to provide a token.
pub fn require_for(api_url: &str) -> anyhow::Result<(Token, TokenSource)> {
    discover_for(api_url).ok_or_else(no_token)
}

fn no_token() -> anyhow::Error {
    anyhow::anyhow!(
        "no GitHub token found: set GH_TOKEN (or GITHUB_TOKEN), or log in with `gh auth login`"
    )
}

/// The token in environment variable `name` (for pushes inside a workflow).
pub fn from_env(name: &str) -> Option<Token> {
    std::env::var(name).ok().and_then(Token::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_never_formatted() {
        let t = Token::new("ghp_secret").unwrap();
        assert_eq!(format!("{t} {t:?}"), "*** Token(***)");
        assert_eq!(t.redact("x ghp_secret y"), "x *** y");
    }

    #[test]
    fn gh_hostname_follows_the_api_url() {
        assert_eq!(gh_hostname("https://api.github.com"), "github.com");
        assert_eq!(gh_hostname("https://GHE.corp/api/v3/"), "ghe.corp");
        assert_eq!(gh_hostname("http://127.0.0.1:8080"), "127.0.0.1:8080");
    }
}
