//! Redirects of API requests: a renamed or transferred repository answers 301 (GET) or 307
//! (other methods) with a `Location` under its new owner/name, and artifact downloads answer 302
//! to a storage host. The token is attached per request by the client's auth layer, which only
//! does so for the API's own host, so a hop to another host goes out without it.

use std::sync::Mutex;

use http::{HeaderMap, Method, header};
use url::Url;

use crate::remotes::RepoName;

/// Hops followed for one request before giving up.
pub const MAX_HOPS: usize = 5;

/// Whether a response with `status` to a `method` request is followed. 307/308 keep the method
/// and body; 301/302/303 are followed for GET only (for other methods they would turn the request
/// into a GET, which is not what was asked).
pub fn follows(method: &Method, status: u16) -> bool {
    match status {
        307 | 308 => true,
        301..=303 => method == Method::GET,
        _ => false,
    }
}

/// The absolute URL a redirect from `from` points at. Never from https down to plain http on
/// the host of `api` (the API base URL), where the token would go.
pub fn target(from: &str, headers: &HeaderMap, api: &str) -> Result<String, String> {
    let location = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("a redirect without a Location header")?;
    let refused = || {
        format!(
            "a redirect to {:?}, which rerecord does not follow",
            location.chars().take(200).collect::<String>()
        )
    };
    // Absolute http(s) URLs, or a path on the same origin; never scheme-relative (`//host`).
    let next = if location.starts_with("https://") || location.starts_with("http://") {
        Url::parse(location).map_err(|_| refused())?
    } else if location.starts_with('/') && !location.starts_with("//") {
        Url::parse(from)
            .and_then(|from| from.join(location))
            .map_err(|_| refused())?
    } else {
        return Err(refused());
    };
    // The client attaches the token by authority, whatever the scheme: never to plain http
    // there. Other hosts get no token (artifact storage), as before.
    let api = Url::parse(api).map_err(|e| format!("the API URL does not parse: {e}"))?;
    let same_authority = |a: &Url, b: &Url| a.host_str() == b.host_str() && a.port() == b.port();
    if api.scheme() == "https" && next.scheme() == "http" && same_authority(&next, &api) {
        return Err("a redirect from https to plain http on the API's host; refusing".to_owned());
    }
    Ok(next.into())
}

/// A repository the API said has moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub from: RepoName,
    pub to: MovedTo,
}

/// Where a moved repository went: its new name, or (as some redirects say) only its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MovedTo {
    Name(RepoName),
    Id(u64),
}

/// `/repos/OWNER/NAME/…` → `/repos/NEW/NAME2/…` (or `/repositories/ID/…`) between two URLs on
/// one host: a moved repository. `None` for anything else (a storage host).
pub fn moved(from: &str, to: &str) -> Option<Moved> {
    let ((host_a, a), (host_b, b)) = (repo_of(from)?, repo_of(to)?);
    let MovedTo::Name(a) = a else { return None };
    let same = matches!(&b, MovedTo::Name(b)
        if a.owner.eq_ignore_ascii_case(&b.owner) && a.name.eq_ignore_ascii_case(&b.name));
    (host_a == host_b && !same).then_some(Moved { from: a, to: b })
}

/// The origin plus API prefix (e.g. `/api/v3`) of `url`, and the repository its path names.
fn repo_of(url: &str) -> Option<(String, MovedTo)> {
    let url = url::Url::parse(url).ok()?;
    let mut segments = url.path_segments()?;
    let mut prefix = Vec::new();
    let repo = loop {
        match segments.next()? {
            "repos" => {
                let (owner, name) = (segments.next()?, segments.next()?);
                break MovedTo::Name(RepoName::parse(&format!("{owner}/{name}")).ok()?);
            }
            "repositories" => break MovedTo::Id(segments.next()?.parse().ok()?),
            other => prefix.push(other),
        }
    };
    let base = format!(
        "{}/{}",
        url.origin().ascii_serialization(),
        prefix.join("/")
    );
    Some((base, repo))
}

/// The moves seen by one client, each told once. Requests keep asking for the old name (each
/// is redirected on its own, a POST included), so nothing but the API decides where they go.
#[derive(Debug, Default)]
pub struct Moves {
    seen: Mutex<Vec<Moved>>,
}

impl Moves {
    /// Records `moved`; true the first time it is seen.
    pub fn record(&self, moved: Moved) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.contains(&moved) {
            return false;
        }
        seen.push(moved);
        true
    }

    pub fn all(&self) -> Vec<Moved> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// What to tell the user about a move: once, with the remote URL to update.
pub fn notice(moved: &Moved, web_url: &str) -> String {
    match &moved.to {
        MovedTo::Name(to) => format!(
            "GitHub says {} moved to {to} (renamed or transferred); rerecord followed the \
             redirect. Update the remote that still points at the old name: git remote set-url \
             REMOTE {web_url}/{to}.git",
            moved.from
        ),
        MovedTo::Id(id) => format!(
            "GitHub redirected {} to repository id {id} (renamed or transferred); rerecord \
             followed the redirect. Open {web_url}/{} to see its new name, then update the \
             remote that still points at the old one: git remote set-url REMOTE \
             {web_url}/NEW_OWNER/NEW_NAME.git",
            moved.from, moved.from
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::LOCATION, value.parse().unwrap());
        h
    }

    #[test]
    fn targets_resolve_against_the_origin_and_never_downgrade() {
        let api = "https://api.github.com";
        let from = "https://api.github.com/repos/a/b/pulls?x=1";
        assert_eq!(
            target(from, &location("/repos/c/d/pulls?x=1"), api).unwrap(),
            "https://api.github.com/repos/c/d/pulls?x=1"
        );
        let local = "http://127.0.0.1:9";
        assert_eq!(
            target(
                "http://127.0.0.1:9/repos/a/b",
                &location("/repos/c/d"),
                local
            )
            .unwrap(),
            "http://127.0.0.1:9/repos/c/d"
        );
        assert!(target(from, &location("http://api.github.com/repos/c/d"), api).is_err());
        assert!(target(from, &location("http://API.github.com/x"), api).is_err());
        let storage = "https://blob.example/x";
        assert!(
            target(storage, &location("http://api.github.com/x"), api).is_err(),
            "not back to the API in clear text from anywhere"
        );
        assert_eq!(
            target(from, &location("http://blob.example/x"), api).unwrap(),
            "http://blob.example/x",
            "no token goes there"
        );
        assert!(target(from, &location("//evil.example/x"), api).is_err());
        assert!(target(from, &HeaderMap::new(), api).is_err());
    }

    #[test]
    fn only_safe_redirects_are_followed() {
        assert!(follows(&Method::GET, 301) && follows(&Method::GET, 302));
        assert!(follows(&Method::POST, 307) && follows(&Method::PATCH, 308));
        assert!(!follows(&Method::POST, 301) && !follows(&Method::POST, 302));
        assert!(!follows(&Method::GET, 304));
    }

    #[test]
    fn a_move_is_a_new_name_on_the_same_host() {
        let m = moved(
            "https://api.github.com/repos/llamastack/llama-stack/pulls",
            "https://api.github.com/repos/ogx-ai/ogx/pulls",
        )
        .unwrap();
        assert_eq!(m.from.to_string(), "llamastack/llama-stack");
        assert_eq!(m.to, MovedTo::Name(RepoName::parse("ogx-ai/ogx").unwrap()));
        let by_id = moved(
            "https://ghe.corp/api/v3/repos/a/b/pulls",
            "https://ghe.corp/api/v3/repositories/42/pulls",
        )
        .unwrap();
        assert_eq!(by_id.to, MovedTo::Id(42));
        assert!(notice(&by_id, "https://ghe.corp").contains("https://ghe.corp/a/b to see"));
        assert!(
            moved(
                "https://api.github.com/repos/a/b/actions/artifacts/1/zip",
                "https://blob.example/x"
            )
            .is_none()
        );
        assert!(
            moved(
                "https://api.github.com/repos/a/b",
                "https://api.github.com/repos/A/B"
            )
            .is_none()
        );
        assert!(
            moved(
                "https://api.github.com/repos/a/b",
                "https://other.example/repos/c/d"
            )
            .is_none()
        );

        let moves = Moves::default();
        assert!(moves.record(m.clone()));
        assert!(!moves.record(m), "told once");
    }
}
