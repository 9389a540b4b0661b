//! GitHub REST access over octocrab, behind narrow intention-named methods returning our types.
//!
//! Commands never see octocrab or HTTP: they call methods in `repos`, `actions` and `issues`.
//! This file owns the transport: one client whose token only goes to the API host (redirects to
//! artifact storage go out without it), bounded retries of GETs (5xx, 429, rate limits waited
//! out as GitHub documents: `Retry-After`, else `x-ratelimit-reset` when the quota is used up,
//! else at least a minute, doubling) and `Link`-header pagination that never leaves the API.

pub(crate) mod actions;
mod client;
mod host;
pub(crate) mod issues;
pub(crate) mod net_error;
mod redirect;
pub(crate) mod repos;
pub mod types;

use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode, header};
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use octocrab::Octocrab;
use serde::de::DeserializeOwned;

use crate::remotes::RepoName;
use crate::token::Token;

pub use host::{GitHubHost, HostKind};
pub use types::*;

pub const DEFAULT_API_URL: &str = "https://api.github.com";
const GET_ATTEMPTS: u32 = 4;
/// The longest rate-limit wait worth sitting through: beyond it, fail at once with the time
/// GitHub gave.
pub const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(5 * 60);
/// GitHub: "wait for at least one minute before retrying" a secondary limit without
/// `Retry-After`, exponentially longer when it persists.
const SECONDARY_LIMIT_WAIT: Duration = Duration::from_secs(60);
const MAX_PAGES: usize = 100;
/// The largest API answer read (a page of 100 runs is about 500 KB): a larger body is refused
/// while it streams, never held whole.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

type Body = BoxBody<Bytes, octocrab::Error>;

/// How the client waits before a retry: `tokio::time::sleep`, or a test's stand-in that records
/// the wait ([`GitHub::with_pause`]).
pub type Pause =
    std::sync::Arc<dyn Fn(Duration) -> futures_util::future::BoxFuture<'static, ()> + Send + Sync>;

/// A failed API call. `status` is `None` when no answer arrived (connection error, timeout).
#[derive(Debug, thiserror::Error)]
#[error("{method} {path}: {}", describe(*.status, .message))]
pub struct ApiError {
    pub method: Method,
    pub path: String,
    pub status: Option<u16>,
    /// GitHub's `message`, or the transport error (token redacted).
    pub message: String,
}

fn describe(status: Option<u16>, message: &str) -> String {
    match status {
        Some(code) => {
            let reason = StatusCode::from_u16(code)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            format!("GitHub answered {code} {reason}: {message}")
        }
        None => net_error::describe(message),
    }
}

impl ApiError {
    pub fn is_not_found(&self) -> bool {
        self.status == Some(404)
    }

    /// GitHub is down or throttling (no answer, 5xx, 429, a rate limit): worth asking again
    /// later, unlike a refusal.
    pub fn is_outage(&self) -> bool {
        match self.status {
            None => !self.is_untrusted_certificate(),
            Some(s) => s >= 500 || s == 429 || (s == 403 && is_secondary_limit(&self.message)),
        }
    }

    /// The server's certificate was refused: asking again cannot help.
    fn is_untrusted_certificate(&self) -> bool {
        self.status.is_none() && self.message.starts_with(crate::tls::UNTRUSTED)
    }
}

/// The GitHub API at one base URL, with one token.
pub struct GitHub {
    /// Attaches the token only to requests for the API's own host (octocrab's auth layer
    /// compares the authority), so a redirect to a storage host goes out without it. One client
    /// also means the system's root certificates are loaded once.
    octo: Octocrab,
    base: String,
    host: GitHubHost,
    token: Token,
    /// Minimum wait before retrying a failed GET (doubled each time, with jitter).
    retry_base: Duration,
    /// Repositories the API said have moved (renamed or transferred).
    moves: redirect::Moves,
    /// Tell a move on stderr when first seen (else only through [`GitHub::moved_notices`]).
    tell_moves: bool,
    pause: Pause,
}

impl GitHub {
    /// `api_url` is e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`.
    pub fn new(api_url: &str, token: &Token) -> anyhow::Result<Self> {
        let host = GitHubHost::parse(api_url)?;
        let base = host.api_base();
        let octo = client::octocrab(&base, token, http_timeout())?;
        Ok(Self {
            octo,
            base,
            host,
            token: token.clone(),
            retry_base: Duration::from_millis(500),
            moves: redirect::Moves::default(),
            tell_moves: true,
            pause: std::sync::Arc::new(|d| Box::pin(tokio::time::sleep(d))),
        })
    }

    /// Wait through `pause` instead of sleeping (tests record the waits a rate limit asks for).
    pub fn with_pause(mut self, pause: Pause) -> Self {
        self.pause = pause;
        self
    }

    /// Wait before retry `attempt` (1-based) of something that failed transiently: the retry
    /// base doubled each time, with jitter.
    pub(crate) async fn pause_before_retry(&self, attempt: u32) {
        (self.pause)(self.backoff(attempt)).await;
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let backoff = self.retry_base * 2u32.pow(attempt.saturating_sub(1).min(10));
        backoff + Duration::from_millis(fastrand::u64(0..=backoff.as_millis() as u64 / 4))
    }

    /// Leave moved repositories to the caller's report ([`GitHub::moved_notices`]) instead of
    /// telling them on stderr.
    pub fn moves_in_warnings(mut self) -> Self {
        self.tell_moves = false;
        self
    }

    /// Wait at least `base` before retrying a failed GET (default 500 ms; doubled each time).
    pub fn with_retry_base(mut self, base: Duration) -> Self {
        self.retry_base = base;
        self
    }

    /// The API base URL (no trailing slash).
    pub fn api_url(&self) -> &str {
        &self.base
    }

    /// The web URL matching the API URL: `https://github.com` for the public API, the
    /// Enterprise host for `/api/v3` URLs, `https://SUBDOMAIN.ghe.com` for
    /// `https://api.SUBDOMAIN.ghe.com`, and the API host itself otherwise (the fake).
    pub fn web_url(&self) -> String {
        self.host.web_url()
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{}", self.base, path)
        }
    }

    /// One request, no retry, following redirects (at most [`redirect::MAX_HOPS`]): the token
    /// goes only to the API host, 307/308 keep the method and body, and a moved repository is
    /// told once. Transport failures become an
    /// `ApiError` without a status.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<http::Response<Body>, ApiError> {
        let mut url = self.url(path);
        for _ in 0..=redirect::MAX_HOPS {
            let resp = self.send_to(&method, &url, path, body).await?;
            if !redirect::follows(&method, resp.status().as_u16()) {
                return Ok(resp);
            }
            let next =
                redirect::target(&url, resp.headers(), &self.base).map_err(|why| ApiError {
                    method: method.clone(),
                    path: path.to_owned(),
                    status: Some(resp.status().as_u16()),
                    message: why,
                })?;
            if let Some(moved) = redirect::moved(&url, &next)
                && self.moves.record(moved.clone())
                && self.tell_moves
            {
                eprintln!("warning: {}", redirect::notice(&moved, &self.web_url()));
            }
            url = next;
        }
        Err(ApiError {
            method,
            path: path.to_owned(),
            status: None,
            message: format!("more than {} redirects", redirect::MAX_HOPS),
        })
    }

    /// The repositories the API said have moved, as notices for a report's warnings.
    pub fn moved_notices(&self) -> Vec<String> {
        let web = self.web_url();
        self.moves
            .all()
            .iter()
            .map(|m| redirect::notice(m, &web))
            .collect()
    }

    /// One request to `url` (`path` names it in errors).
    async fn send_to(
        &self,
        method: &Method,
        url: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<http::Response<Body>, ApiError> {
        let result = match *method {
            Method::GET => self.octo._get(url).await,
            Method::POST => self.octo._post(url, body).await,
            Method::PATCH => self.octo._patch(url, body).await,
            _ => unreachable!("rerecord only sends GET, POST and PATCH"),
        };
        result.map_err(|e| {
            let message = match crate::tls::certificate_failure(&e) {
                Some(why) => crate::tls::untrusted(
                    &crate::git::credentials::host_of(url).unwrap_or(url.to_owned()),
                    &why,
                ),
                None => transport_message(&e),
            };
            ApiError {
                method: method.clone(),
                path: path.to_owned(),
                status: None,
                message: self.token.redact(&message),
            }
        })
    }

    /// Read a whole response body as text, and turn a non-success status into an `ApiError`
    /// carrying GitHub's `message`.
    async fn read(
        &self,
        method: &Method,
        path: &str,
        resp: http::Response<Body>,
    ) -> Result<(http::HeaderMap, Bytes), ApiError> {
        let status = resp.status();
        let headers = resp.headers().clone();
        let too_large = || ApiError {
            method: method.clone(),
            path: path.to_owned(),
            // An answer arrived: a status keeps it from being retried as a transport failure.
            status: Some(status.as_u16()),
            message: format!(
                "the response body is larger than {MAX_RESPONSE_BYTES} bytes, more than any GitHub API \
                 answer; check --api-url"
            ),
        };
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_RESPONSE_BYTES as u64) {
            return Err(too_large());
        }
        let mut body = resp.into_body();
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| ApiError {
                method: method.clone(),
                path: path.to_owned(),
                status: None,
                message: self.token.redact(&transport_message(&e)),
            })?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > MAX_RESPONSE_BYTES {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&data);
            }
        }
        let bytes = Bytes::from(bytes);
        if status.is_success() {
            return Ok((headers, bytes));
        }
        Err(ApiError {
            method: method.clone(),
            path: path.to_owned(),
            status: Some(status.as_u16()),
            message: self.token.redact(&error_message(&bytes)),
        })
    }

    /// The error for a response already known to be unsuccessful.
    async fn failure(&self, method: &Method, path: &str, resp: http::Response<Body>) -> ApiError {
        let status = resp.status().as_u16();
        match self.read(method, path, resp).await {
            Err(e) => e,
            Ok(_) => ApiError {
                method: method.clone(),
                path: path.to_owned(),
                status: Some(status),
                message: "unexpected status".to_owned(),
            },
        }
    }

    /// GET with bounded retries on transient failures; returns headers and body. A rate limit
    /// is waited out as GitHub asks, unless that is longer than [`MAX_RATE_LIMIT_WAIT`]: then
    /// the error says when the limit resets.
    async fn get_raw(&self, path: &str) -> Result<(http::HeaderMap, Bytes), ApiError> {
        let mut attempt = 1;
        loop {
            let sent =
                net_error::tell_if_slow(self.send(Method::GET, path, None), &Method::GET, path);
            let (err, limit) = match sent.await {
                Ok(resp) => {
                    let limit = RateLimit::of(resp.status(), resp.headers());
                    match self.read(&Method::GET, path, resp).await {
                        Ok(ok) => return Ok(ok),
                        Err(err) => (err, limit),
                    }
                }
                Err(err) => (err, None),
            };
            let limit = limit.or_else(|| RateLimit::secondary(&err));
            let wait = match limit {
                Some(limit) => {
                    let wait = limit.wait(attempt);
                    if wait > MAX_RATE_LIMIT_WAIT {
                        return Err(limit.too_long(err, wait));
                    }
                    wait
                }
                None if err.status.is_none_or(|s| s >= 500) && !err.is_untrusted_certificate() => {
                    self.backoff(attempt)
                }
                None => return Err(err),
            };
            if attempt >= GET_ATTEMPTS {
                return Err(err);
            }
            net_error::tell_retry(&err, attempt, GET_ATTEMPTS, wait);
            (self.pause)(wait).await;
            attempt += 1;
        }
    }

    /// GET a JSON document.
    pub(crate) async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let (_, bytes) = self.get_raw(path).await?;
        self.decode(&Method::GET, path, &bytes)
    }

    /// GET a JSON document; `None` on 404.
    pub(crate) async fn get_optional<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Option<T>, ApiError> {
        match self.get_json(path).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GET every page of a list, following `Link: rel="next"`. `items` extracts the page's
    /// entries (list endpoints wrap them differently). Stops early once `enough` says so.
    pub(crate) async fn get_all_pages<T, P: DeserializeOwned>(
        &self,
        path: &str,
        items: impl Fn(P) -> Vec<T>,
        enough: impl Fn(&[T]) -> bool,
    ) -> Result<Vec<T>, ApiError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut next = Some(if path.contains("per_page=") {
            path.to_owned()
        } else {
            format!("{path}{sep}per_page=100")
        });
        let mut all = Vec::new();
        let mut pages = PageGuard::default();
        while let Some(page) = next.take() {
            if !pages.admit(&page) {
                return Err(ApiError {
                    method: Method::GET,
                    path: path.to_owned(),
                    status: None,
                    message: format!("the list did not end after {} pages", pages.seen.len()),
                });
            }
            let (headers, bytes) = self.get_raw(&page).await?;
            let parsed: P = self.decode(&Method::GET, &page, &bytes)?;
            all.extend(items(parsed));
            if enough(&all) {
                break;
            }
            next = headers
                .get(header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link);
            if let Some(url) = next.as_deref().filter(|url| !self.host.is_under_api(url)) {
                // Following it would send the token elsewhere; stopping would read a part of
                // the list as if it were all of it.
                return Err(ApiError {
                    method: Method::GET,
                    path: page,
                    status: Some(200),
                    message: format!(
                        "the next page ({}) is not under the API URL {}, so the list cannot be read \
                         whole; check --api-url (a proxy or GHES that rewrites links must keep them \
                         under the API URL)",
                        crate::neutralise::safe_text(url),
                        self.base
                    ),
                });
            }
        }
        Ok(all)
    }

    /// Send `body` once (never retried: a POST or PATCH may have taken effect even when its
    /// answer was lost).
    pub(crate) async fn send_once(
        &self,
        method: Method,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<(u16, Bytes), ApiError> {
        let resp = self.send(method.clone(), path, Some(body)).await?;
        let status = resp.status().as_u16();
        let (_, bytes) = self.read(&method, path, resp).await?;
        Ok((status, bytes))
    }

    /// [`send_once`](Self::send_once), the answer decoded as `T`.
    pub(crate) async fn send_once_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, ApiError> {
        let (_, bytes) = self.send_once(method.clone(), path, body).await?;
        self.decode(&method, path, &bytes)
    }

    pub(crate) fn decode<T: DeserializeOwned>(
        &self,
        method: &Method,
        path: &str,
        bytes: &[u8],
    ) -> Result<T, ApiError> {
        serde_json::from_slice(bytes).map_err(|e| ApiError {
            method: method.clone(),
            path: path.to_owned(),
            status: None,
            message: format!("unexpected response shape: {e}"),
        })
    }

    /// Repository path prefix, `/repos/OWNER/NAME`.
    pub(crate) fn repo_path(repo: &RepoName) -> String {
        format!("/repos/{}/{}", repo.owner, repo.name)
    }
}

/// Stops a walk over `Link: next` that does not end: a server that keeps answering "next", or
/// sends a page already read. 100 pages of 100 is far beyond any list rerecord reads.
#[derive(Default)]
struct PageGuard {
    seen: std::collections::HashSet<String>,
}

impl PageGuard {
    fn admit(&mut self, url: &str) -> bool {
        self.seen.len() < MAX_PAGES && self.seen.insert(url.to_owned())
    }
}

/// Transport errors from octocrab, shortened to what helps a user.
fn transport_message(err: &dyn std::error::Error) -> String {
    let mut msg = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    msg
}

/// GitHub's `message` field, or the start of a non-JSON body.
fn error_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct GhError {
        message: String,
    }
    match serde_json::from_slice::<GhError>(body) {
        Ok(e) => e.message,
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() {
                "(empty body)".to_owned()
            } else {
                text.chars().take(200).collect()
            }
        }
    }
}

fn is_secondary_limit(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("secondary rate limit") || m.contains("rate limit exceeded")
}

/// A rate limit GitHub answered with, and how it asks to be waited out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RateLimit {
    /// `Retry-After: SECONDS`.
    RetryAfter(Duration),
    /// The primary quota is used up (`x-ratelimit-remaining: 0`) until `x-ratelimit-reset`
    /// (epoch seconds).
    Reset(i64),
    /// A secondary limit without `Retry-After`: at least a minute, doubling.
    Secondary,
}

impl RateLimit {
    /// The limit a failed answer's headers describe (GitHub's order: `Retry-After` first, then
    /// an exhausted quota).
    fn of(status: StatusCode, headers: &http::HeaderMap) -> Option<Self> {
        if status.is_success() {
            return None;
        }
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        if let Some(secs) = text("retry-after").and_then(|s| s.parse::<u64>().ok()) {
            return Some(Self::RetryAfter(Duration::from_secs(secs)));
        }
        let limited = status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS;
        if limited && text("x-ratelimit-remaining") == Some("0") {
            let reset = text("x-ratelimit-reset").and_then(|s| s.parse::<i64>().ok())?;
            return Some(Self::Reset(reset));
        }
        None
    }

    /// A 429, or a 403 whose message names a secondary limit, without headers saying more.
    fn secondary(err: &ApiError) -> Option<Self> {
        match err.status {
            Some(429) => Some(Self::Secondary),
            Some(403) if is_secondary_limit(&err.message) => Some(Self::Secondary),
            _ => None,
        }
    }

    /// How long to wait before attempt `attempt + 1`.
    fn wait(self, attempt: u32) -> Duration {
        match self {
            Self::RetryAfter(d) => d,
            Self::Reset(at) => {
                Duration::from_secs((at - chrono::Utc::now().timestamp()).max(1) as u64)
            }
            Self::Secondary => SECONDARY_LIMIT_WAIT * 2u32.pow(attempt.saturating_sub(1).min(10)),
        }
    }

    /// `err`, saying when to try again instead of waiting `wait` now.
    fn too_long(self, mut err: ApiError, wait: Duration) -> ApiError {
        let at = chrono::Utc::now() + chrono::Duration::seconds(wait.as_secs() as i64);
        let what = match self {
            Self::Reset(_) => "the token's API rate limit is used up",
            Self::RetryAfter(_) | Self::Secondary => "GitHub's secondary rate limit asks to wait",
        };
        err.message = format!(
            "{}; {what} until {} ({} min from now), longer than rerecord waits; try again then, \
             or use another token (a GitHub App installation token has a higher limit)",
            err.message,
            at.format("%Y-%m-%d %H:%M:%S UTC"),
            wait.as_secs().div_ceil(60)
        );
        err
    }
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
    })
}

/// Read timeout for API calls: `RERECORD_HTTP_TIMEOUT` seconds, default 30.
fn http_timeout() -> Duration {
    std::env::var("RERECORD_HTTP_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .map_or(Duration::from_secs(30), Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_is_found_among_rels() {
        let link = r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=3>; rel="next", <https://api.github.com/x?page=9>; rel="last""#;
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/x?page=3")
        );
        assert_eq!(next_link(r#"<https://a/x?page=1>; rel="first""#), None);
    }

    #[test]
    fn page_walks_stop_on_repeats_and_after_the_cap() {
        let mut guard = PageGuard::default();
        assert!(guard.admit("https://api.github.com/x?page=1"));
        assert!(
            !guard.admit("https://api.github.com/x?page=1"),
            "a page already read"
        );
        for page in 2..=MAX_PAGES {
            assert!(guard.admit(&format!("https://api.github.com/x?page={page}")));
        }
        assert!(
            !guard.admit("https://api.github.com/x?page=101"),
            "past the cap"
        );
    }

    #[test]
    fn error_message_prefers_github_message() {
        assert_eq!(
            error_message(br#"{"message":"Not Found","documentation_url":"x"}"#),
            "Not Found"
        );
        assert_eq!(
            error_message(b"<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }

    #[test]
    fn retry_after_is_honoured() {
        let mut h = http::HeaderMap::new();
        h.insert(header::RETRY_AFTER, "7".parse().unwrap());
        let limit = RateLimit::of(StatusCode::TOO_MANY_REQUESTS, &h);
        assert_eq!(limit, Some(RateLimit::RetryAfter(Duration::from_secs(7))));
        assert_eq!(limit.unwrap().wait(3), Duration::from_secs(7));
        assert_eq!(RateLimit::of(StatusCode::OK, &h), None);
    }

    #[test]
    fn secondary_limits_wait_a_minute_then_double() {
        let waits: Vec<u64> = (1..=3)
            .map(|a| RateLimit::Secondary.wait(a).as_secs())
            .collect();
        assert_eq!(waits, [60, 120, 240]);
    }

    #[tokio::test]
    async fn web_url_follows_api_url() {
        let t = Token::new("x").unwrap();
        assert_eq!(
            GitHub::new("https://api.github.com/", &t)
                .unwrap()
                .web_url(),
            "https://github.com"
        );
        assert_eq!(
            GitHub::new("https://ghe.corp/api/v3", &t)
                .unwrap()
                .web_url(),
            "https://ghe.corp"
        );
    }
}
