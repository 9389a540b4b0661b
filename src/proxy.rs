//! The one decision about proxies, for the API and git alike: https connections take the
//! environment's proxy (`ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY`, lower-case too, in that order;
//! hosts in `NO_PROXY` go direct), as curl and git do; plain http never does, since it carries
//! the token only to this machine, and through a proxy it would cross the network in clear text.

use std::sync::OnceLock;

/// The environment's proxy, read once per process.
fn from_env() -> Option<&'static ureq::Proxy> {
    static PROXY: OnceLock<Option<ureq::Proxy>> = OnceLock::new();
    PROXY.get_or_init(ureq::Proxy::try_from_env).as_ref()
}

/// The proxy for https connections (git's agent also checks `NO_PROXY` per host itself).
pub fn for_https() -> Option<ureq::Proxy> {
    from_env().cloned()
}

/// The proxy an https connection to `uri` goes through: `None` to go direct (no proxy set, or
/// the host is in `NO_PROXY`).
pub fn for_https_uri(uri: &http::Uri) -> Option<&'static ureq::Proxy> {
    from_env().filter(|p| !p.is_no_proxy(uri))
}

/// `host:port` of a proxy, for messages (never its credentials).
pub fn display(proxy: &ureq::Proxy) -> String {
    format!("{}:{}", proxy.host(), proxy.port())
}
