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
use octocrab::service::middleware::base_uri::BaseUriLayer;
use octocrab::service::middleware::extra_headers::ExtraHeadersLayer;
use octocrab::{AuthState, Octocrab, OctocrabBuilder};

use tower_service::Service;
use url::Url;

use crate::token::Token;

/// An octocrab client for the API at `base`. The token goes only where
/// [`crate::token::may_travel`] lets it (the rule git's transport follows too): to `base`'s
/// origin, so redirects to storage hosts go out without it.
pub fn octocrab(base: &str, token: &Token, read_timeout: Duration) -> anyhow::Result<Octocrab> {
    let base_uri: Uri = base
        .parse()
        .map_err(|e| anyhow::anyhow!("invalid API URL {base:?}: {e}"))?;
    let api = Url::parse(base).map_err(|e| anyhow::anyhow!("invalid API URL {base:?}: {e}"))?;
    if !crate::token::may_travel(&api, &api) {
        anyhow::bail!(
            "refusing to send the token in clear text to {base}: use an https API URL (plain \
             http is only for servers on this machine)"
        );
    }
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
        .with_layer(&ScopedAuth {
            api: Arc::new(api),
            auth,
        })
        .with_auth(AuthState::None)
        .build()
        .map_err(|e| anyhow::anyhow!("failed to set up the GitHub client: {e}"))?;
    Ok(octo)
}

/// Adds the token to the requests [`crate::token::may_travel`] lets it go with: relative ones
/// (the base URI layer below sends them to the API) and absolute ones on the API's origin.
#[derive(Clone)]
struct ScopedAuth {
    api: Arc<Url>,
    auth: HeaderValue,
}

impl<S> tower_layer::Layer<S> for ScopedAuth {
    type Service = WithScopedAuth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WithScopedAuth {
            inner,
            scope: self.clone(),
        }
    }
}

#[derive(Clone)]
struct WithScopedAuth<S> {
    inner: S,
    scope: ScopedAuth,
}

impl<S, B> Service<http::Request<B>> for WithScopedAuth<S>
where
    S: Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let uri = request.uri();
        let allowed = if uri.authority().is_none() {
            true
        } else {
            Url::parse(&uri.to_string())
                .is_ok_and(|to| crate::token::may_travel(&self.scope.api, &to))
        };
        if allowed {
            request
                .headers_mut()
                .insert(AUTHORIZATION, self.scope.auth.clone());
        }
        self.inner.call(request)
    }
}
