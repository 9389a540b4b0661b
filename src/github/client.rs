//! The HTTP stack under octocrab: the connector of [`crate::connect`] (shared with git's
//! smart-HTTP transport), so TLS (and the system's root certificates) is set up by the first
//! https connection instead of by every command at start-up, and one rustls configuration and
//! one proxy decision serve the API, artifact storage and git alike.

use std::sync::Arc;
use std::time::Duration;

use http::header::{ACCEPT, AUTHORIZATION, USER_AGENT};
use http::{HeaderValue, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use octocrab::service::middleware::auth_header::AuthHeaderLayer;
use octocrab::service::middleware::base_uri::BaseUriLayer;
use octocrab::service::middleware::extra_headers::ExtraHeadersLayer;
use octocrab::{AuthState, Octocrab, OctocrabBuilder};

use crate::token::Token;

/// An octocrab client for the API at `base`. The token goes only to `base`'s host (octocrab's
/// auth layer compares the authority), so redirects to storage hosts go out without it.
pub fn octocrab(base: &str, token: &Token, read_timeout: Duration) -> anyhow::Result<Octocrab> {
    let base_uri: Uri = base
        .parse()
        .map_err(|e| anyhow::anyhow!("invalid API URL {base:?}: {e}"))?;
    let connector = crate::connect::with_timeouts(Duration::from_secs(10), read_timeout);
    let client = Client::builder(TokioExecutor::new()).build(connector);

    let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .map_err(|_| anyhow::anyhow!("the token contains characters not allowed in a header"))?;
    auth.set_sensitive(true);
    let headers = vec![
        (
            USER_AGENT,
            HeaderValue::from_static(concat!("rerecord/", env!("CARGO_PKG_VERSION"))),
        ),
        (
            ACCEPT,
            HeaderValue::from_static("application/vnd.github+json"),
        ),
    ];
    debug_assert!(headers.iter().all(|(name, _)| name != AUTHORIZATION));
    let octo = OctocrabBuilder::new_empty()
        .with_service(client)
        .with_layer(&ExtraHeadersLayer::new(Arc::new(headers)))
        .with_layer(&BaseUriLayer::new(base_uri.clone()))
        // Uploads never happen: the API host is the only one that gets the token.
        .with_layer(&AuthHeaderLayer::new(
            Some(auth),
            base_uri.clone(),
            base_uri,
        ))
        .with_auth(AuthState::None)
        .build()
        .map_err(|e| anyhow::anyhow!("failed to set up the GitHub client: {e}"))?;
    Ok(octo)
}
