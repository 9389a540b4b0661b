//! The one decision about proxies, for the API and git alike, made by hyper-util's [`Matcher`]
//! (curl's rules): https connections take `HTTPS_PROXY` (else `ALL_PROXY`; lower-case names
//! too), hosts in `NO_PROXY` go direct. Plain http never takes a proxy: it carries the token only
//! to this machine, and through a proxy it would cross the network in clear text.

use std::sync::OnceLock;

use http::Uri;
use http::uri::Scheme;
use hyper_util::client::proxy::matcher::{Intercept, Matcher};

/// The environment's proxy settings, read once per process.
fn matcher() -> &'static Matcher {
    static MATCHER: OnceLock<Matcher> = OnceLock::new();
    MATCHER.get_or_init(Matcher::from_env)
}

/// The proxy a connection to `uri` goes through: `None` to go direct (plain http, no proxy
/// set, or the host is in `NO_PROXY`).
pub fn for_uri(uri: &Uri) -> Option<Intercept> {
    if uri.scheme() != Some(&Scheme::HTTPS) {
        return None;
    }
    matcher().intercept(uri)
}

/// `host:port` of a proxy, for messages (never its credentials).
pub fn display(proxy: &Intercept) -> String {
    let uri = proxy.uri();
    let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    });
    format!("{}:{port}", uri.host().unwrap_or_default())
}
