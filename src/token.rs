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

/// `GH_TOKEN`, else `GITHUB_TOKEN`, else gh's token for `gh_hostname` (`gh auth token
/// --hostname HOST`: `github.com`, an Enterprise host, `SUBDOMAIN.ghe.com`; see
/// `github::GitHubHost::gh_hostname`), so a token gh stored for one host never goes to another.
pub fn discover_for(gh_hostname: &str) -> Option<(Token, TokenSource)> {
    if let Some(t) = std::env::var("GH_TOKEN").ok().and_then(Token::new) {
        return Some((t, TokenSource::GhTokenEnv));
    }
    if let Some(t) = std::env::var("GITHUB_TOKEN").ok().and_then(Token::new) {
        return Some((t, TokenSource::GithubTokenEnv));
    }
    let mut gh = Command::new("gh");
    gh.args(["auth", "token", "--hostname", gh_hostname]);
    let out = gh.stderr(std::process::Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    Token::new(String::from_utf8_lossy(&out.stdout)).map(|t| (t, TokenSource::GhCli))
}

/// Like [`discover_for`], but an error that says how to provide a token.
pub fn require_for(gh_hostname: &str) -> anyhow::Result<(Token, TokenSource)> {
    discover_for(gh_hostname).ok_or_else(|| no_token(gh_hostname))
}

fn no_token(gh_hostname: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "no GitHub token found for {gh_hostname}: set GH_TOKEN (or GITHUB_TOKEN), or log in with `gh auth login --hostname {gh_hostname}`"
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
}

/// The one rule for where a token may travel, for the API and git alike: only to the origin
/// (scheme, host and port) it was given for, and in clear text (plain http) only to this
/// machine (test servers), never across a network.
pub fn may_travel(granted: &url::Url, to: &url::Url) -> bool {
    granted.origin() == to.origin() && (to.scheme() == "https" || is_this_machine(to))
}

fn is_this_machine(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod travel_tests {
    use super::may_travel;

    fn allowed(granted: &str, to: &str) -> bool {
        may_travel(&granted.parse().unwrap(), &to.parse().unwrap())
    }

    #[test]
    fn a_token_travels_to_its_own_origin_and_in_clear_text_only_to_this_machine() {
        let gh = "https://github.com/o/r.git";
        assert!(allowed(gh, "https://GitHub.com:443/o/r.git/info/refs"));
        assert!(!allowed(gh, "https://evil.example/o/r.git"));
        assert!(!allowed(gh, "http://github.com/o/r.git"));
        assert!(!allowed(gh, "https://github.com:8443/o/r.git"));
        for local in [
            "http://127.0.0.1:8080/o/r.git",
            "http://localhost/o/r.git",
            "http://[::1]:9000/o/r.git",
        ] {
            assert!(allowed(local, local), "{local}");
        }
        assert!(!allowed("http://10.0.0.5/r.git", "http://10.0.0.5/r.git"));
        assert!(!allowed(
            "http://github.com/o/r.git",
            "http://github.com/o/r.git"
        ));
    }
}
