//! Which GitHub an API URL belongs to, parsed once with `url::Url`: github.com, a GitHub
//! Enterprise Server (`https://HOST/api/v3`) or a data-residency GitHub Enterprise Cloud host
//! (`https://api.SUBDOMAIN.ghe.com`). Every decision that depends on the host (the web URL,
//! the name gh keeps the token under, which remotes count as GitHub) asks this type.

use std::fmt;

use url::Url;

/// The kind of GitHub behind an API URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind {
    /// `https://api.github.com`.
    GitHubCom,
    /// GitHub Enterprise Server: the API under `/api/v3` of the web host.
    EnterpriseServer,
    /// GitHub Enterprise Cloud with data residency: API `api.SUBDOMAIN.ghe.com`, web
    /// `SUBDOMAIN.ghe.com`.
    DataResidency,
    /// Any other URL (a proxy or a test server): the API host is also the web host.
    Other,
}

/// A GitHub instance, known by its API base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitHubHost {
    api: Url,
    kind: HostKind,
}

impl GitHubHost {
    /// Parse an API base URL such as `https://api.github.com`, `https://ghe.corp/api/v3` or
    /// `https://api.acme.ghe.com`.
    pub fn parse(api_url: &str) -> anyhow::Result<Self> {
        let trimmed = api_url.trim().trim_end_matches('/');
        let api = Url::parse(trimmed).map_err(|e| {
            anyhow::anyhow!(
                "--api-url {api_url:?} is not a URL ({e}); pass e.g. https://api.github.com or https://HOST/api/v3"
            )
        })?;
        if !matches!(api.scheme(), "http" | "https") || api.host_str().is_none() {
            anyhow::bail!(
                "--api-url {api_url:?} is not an http(s) URL with a host; pass e.g. https://api.github.com or https://HOST/api/v3"
            );
        }
        let host = api.host_str().unwrap_or_default().to_ascii_lowercase();
        let path = api.path().trim_end_matches('/').to_owned();
        let kind = if host == "api.github.com" && path.is_empty() {
            HostKind::GitHubCom
        } else if path.eq_ignore_ascii_case("/api/v3") {
            HostKind::EnterpriseServer
        } else if data_residency_subdomain(&host).is_some() && path.is_empty() {
            HostKind::DataResidency
        } else {
            HostKind::Other
        };
        Ok(Self { api, kind })
    }

    pub fn kind(&self) -> HostKind {
        self.kind
    }

    /// The API base URL without a trailing slash.
    pub fn api_base(&self) -> String {
        self.api.as_str().trim_end_matches('/').to_owned()
    }

    /// The web URL (no trailing slash): `https://github.com`, the Enterprise Server's own host,
    /// `https://SUBDOMAIN.ghe.com`, or the API URL itself for other servers.
    pub fn web_url(&self) -> String {
        let mut web = self.api.clone();
        match self.kind {
            HostKind::GitHubCom | HostKind::DataResidency => {
                let host = self.web_host();
                web.set_host(Some(&host)).expect("a host name stays valid");
                web.set_path("");
            }
            HostKind::EnterpriseServer => web.set_path(""),
            HostKind::Other => {}
        }
        web.set_query(None);
        web.as_str().trim_end_matches('/').to_owned()
    }

    /// The web host, lowercased and without port: what git remotes name.
    pub fn web_host(&self) -> String {
        let host = self.api.host_str().unwrap_or_default().to_ascii_lowercase();
        match self.kind {
            HostKind::GitHubCom => "github.com".to_owned(),
            HostKind::DataResidency => host.strip_prefix("api.").unwrap_or(&host).to_owned(),
            HostKind::EnterpriseServer | HostKind::Other => host,
        }
    }

    /// The name gh keeps this instance's token under (`gh auth token --hostname NAME`):
    /// `github.com`, `SUBDOMAIN.ghe.com`, or the host with its port when it has one.
    pub fn gh_hostname(&self) -> String {
        let host = self.web_host();
        match (self.kind, self.api.port()) {
            (HostKind::EnterpriseServer | HostKind::Other, Some(port)) => format!("{host}:{port}"),
            _ => host,
        }
    }

    /// Whether `url` is served by the API's own origin (scheme, host and port): the only
    /// place the token may go.
    pub fn is_api_origin(&self, url: &str) -> bool {
        Url::parse(url).is_ok_and(|u| u.origin() == self.api.origin())
    }
}

impl GitHubHost {
    /// Whether `url` is on the API's origin and under its path (`/api/v3` on GHES): where
    /// the API's own links (pagination) must stay.
    pub fn is_under_api(&self, url: &str) -> bool {
        let Ok(u) = Url::parse(url) else {
            return false;
        };
        let base = self.api.path().trim_end_matches('/');
        u.origin() == self.api.origin()
            && (base.is_empty()
                || u.path() == base
                || u.path()
                    .strip_prefix(base)
                    .is_some_and(|rest| rest.starts_with('/')))
    }
}

impl fmt::Display for GitHubHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.gh_hostname())
    }
}

/// `SUBDOMAIN` of `api.SUBDOMAIN.ghe.com`.
fn data_residency_subdomain(host: &str) -> Option<&str> {
    let sub = host.strip_prefix("api.")?.strip_suffix(".ghe.com")?;
    (!sub.is_empty() && !sub.contains('.')).then_some(sub)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::holds;

    fn host(url: &str) -> GitHubHost {
        GitHubHost::parse(url).unwrap()
    }

    #[test]
    fn each_kind_of_host_names_its_web_side_gh_hostname_and_api_base() {
        // API URL given, kind, web URL, gh hostname, web host, API base.
        for row in [
            "https://api.github.com/ GitHubCom https://github.com github.com github.com https://api.github.com",
            "https://GHE.corp/api/v3/ EnterpriseServer https://ghe.corp ghe.corp ghe.corp https://ghe.corp/api/v3",
            "https://ghe.corp:8443/api/v3 EnterpriseServer https://ghe.corp:8443 ghe.corp:8443 ghe.corp https://ghe.corp:8443/api/v3",
            "https://api.Acme.ghe.com DataResidency https://acme.ghe.com acme.ghe.com acme.ghe.com https://api.acme.ghe.com",
            "http://127.0.0.1:8080 Other http://127.0.0.1:8080 127.0.0.1:8080 127.0.0.1 http://127.0.0.1:8080",
        ] {
            let url = row.split(' ').next().unwrap();
            let h = host(url);
            let (web, gh, web_host, api) =
                (h.web_url(), h.gh_hostname(), h.web_host(), h.api_base());
            assert_eq!(
                format!("{url} {:?} {web} {gh} {web_host} {api}", h.kind()),
                row
            );
        }
        assert_eq!(host("https://api.a.b.ghe.com").kind(), HostKind::Other);
        assert_eq!(
            host("https://acme.ghe.com/api/v3").kind(),
            HostKind::EnterpriseServer
        );
    }

    #[test]
    fn data_residency_remotes_are_github_remotes() {
        let h = host("https://api.acme.ghe.com");
        let hosts = crate::remotes::GitHubHosts::new(Some(&h.web_host()), None);
        for url in [
            "https://acme.ghe.com/o/n.git",
            "git@acme.ghe.com:o/n.git",
            "ssh://git@ACME.ghe.com/o/n",
        ] {
            assert_eq!(
                hosts.repo_of(url).map(|r| r.to_string()).as_deref(),
                Some("o/n"),
                "{url}"
            );
        }
        assert!(hosts.repo_of("https://api.acme.ghe.com/o/n.git").is_none());
        assert!(hosts.repo_of("https://other.ghe.com/o/n.git").is_none());
    }

    #[test]
    fn other_servers_are_their_own_web_host() {
        let no = [
            "http://127.0.0.1:8081/repos/a/b",
            "https://127.0.0.1:8080/repos/a/b",
        ];
        let yes = ["http://127.0.0.1:8080/repos/a/b"];
        holds(
            &host("http://127.0.0.1:8080"),
            GitHubHost::is_api_origin,
            &yes,
            &no,
        );
    }

    #[test]
    fn links_under_the_api() {
        let yes = ["https://ghe.corp/api/v3/repos/a/b/pulls?page=2"];
        let no = [
            "https://ghe.corp/api/v3x/repos",
            "https://ghe.corp/repos/a/b",
            "https://ghe.corp.evil/api/v3/repos",
        ];
        holds(
            &host("https://ghe.corp/api/v3"),
            GitHubHost::is_under_api,
            &yes,
            &no,
        );
        let yes = ["https://api.github.com/repositories/1/pulls?page=2"];
        let no = ["https://api.github.com.evil/x", "http://api.github.com/x"];
        holds(
            &host("https://api.github.com"),
            GitHubHost::is_under_api,
            &yes,
            &no,
        );
    }

    #[test]
    fn garbage_is_refused_with_advice() {
        let err = GitHubHost::parse("ghe.corp/api/v3")
            .unwrap_err()
            .to_string();
        assert!(err.contains("https://HOST/api/v3"), "{err}");
        assert!(GitHubHost::parse("file:///tmp/x").is_err());
    }
}
