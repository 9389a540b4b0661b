//! Repository names and the GitHub remotes of a checkout.

use std::fmt;

/// `OWNER/NAME` of a GitHub repository.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoName {
    pub owner: String,
    pub name: String,
}

impl RepoName {
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut parts = text.trim().split('/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(owner), Some(name), None) if valid(owner) && valid(name) => Ok(Self {
                owner: owner.to_owned(),
                name: name.trim_end_matches(".git").to_owned(),
            }),
            _ => anyhow::bail!("{text:?} is not a repository name of the form OWNER/NAME"),
        }
    }
}

fn valid(part: &str) -> bool {
    !part.is_empty()
        && part != "."
        && part != ".."
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// The hosts whose remotes count as GitHub: github.com always, plus the host of the API URL
/// (GitHub Enterprise) and `GH_HOST`.
#[derive(Debug, Clone)]
pub struct GitHubHosts(Vec<String>);

impl GitHubHosts {
    /// `web_host` is the API's web host (`github::GitHubHost::web_host`: `ghe.corp`,
    /// `acme.ghe.com`), `gh_host` gh's `GH_HOST`.
    pub fn new(web_host: Option<&str>, gh_host: Option<&str>) -> Self {
        let mut hosts = vec!["github.com".to_owned()];
        if let Some(host) = web_host.map(str::to_ascii_lowercase)
            && host != "github.com"
        {
            hosts.push(host);
        }
        if let Some(h) = gh_host.map(str::trim).filter(|h| !h.is_empty()) {
            hosts.push(h.to_ascii_lowercase());
        }
        Self(hosts)
    }

    /// The repository a remote URL points at, when its host is one of ours. Understands
    /// `https://host/o/n(.git)`, `http://`, `git@host:o/n(.git)` and `ssh://git@host(:port)/o/n`.
    pub fn repo_of(&self, url: &str) -> Option<RepoName> {
        let url = url.trim();
        let parsed = match url::Url::parse(url) {
            Ok(parsed) => parsed,
            // scp-like `[user@]host:owner/name` is not a URL: read it as the ssh URL it means.
            Err(_) => {
                let (left, path) = url.split_once(':')?;
                url::Url::parse(&format!("ssh://{left}/{}", path.trim_start_matches('/'))).ok()?
            }
        };
        let host = match parsed.host()? {
            url::Host::Domain(name) => name.to_ascii_lowercase(),
            other => other.to_string(),
        };
        if !self.0.contains(&host) {
            return None;
        }
        let path = parsed.path().trim_matches('/').trim_end_matches(".git");
        RepoName::parse(path).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_every_github_url_form() {
        let hosts = GitHubHosts::new(None, None);
        for url in [
            "https://github.com/meta/llama-stack.git",
            "https://github.com/meta/llama-stack",
            "https://user@github.com/meta/llama-stack/",
            "git@github.com:meta/llama-stack.git",
            "git@github.com:meta/llama-stack",
            "ssh://git@github.com/meta/llama-stack.git",
            "ssh://git@github.com:22/meta/llama-stack",
        ] {
            assert_eq!(
                hosts.repo_of(url).map(|r| r.to_string()).as_deref(),
                Some("meta/llama-stack"),
                "{url}"
            );
        }
        assert_eq!(
            hosts.repo_of("https://gitlab.com/meta/llama-stack.git"),
            None
        );
        assert_eq!(hosts.repo_of("/tmp/remote.git"), None);
    }

    #[test]
    fn enterprise_host_from_api_url_and_gh_host() {
        let hosts = GitHubHosts::new(Some("ghe.example.com"), Some("git.corp"));
        assert!(hosts.repo_of("git@ghe.example.com:a/b.git").is_some());
        assert!(hosts.repo_of("https://git.corp/a/b").is_some());
        assert!(hosts.repo_of("http://127.0.0.1:8080/a/b.git").is_none());
        let local = GitHubHosts::new(Some("127.0.0.1"), None);
        assert!(local.repo_of("http://127.0.0.1:9999/a/b.git").is_some());
    }

    #[test]
    fn repo_name_rejects_garbage() {
        assert!(RepoName::parse("a/b/c").is_err());
        assert!(RepoName::parse("a").is_err());
        assert!(RepoName::parse("../b").is_err());
        assert_eq!(RepoName::parse("a/b.git").unwrap().name, "b");
    }
}
