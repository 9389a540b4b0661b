//! The HTTP stack under octocrab: our own connector, so TLS (and the system's root certificates)
//! is set up by the first https connection instead of by every command at start-up, and the one
//! rustls configuration of [`crate::tls`] serves the API, artifact storage and git alike.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use http::header::{ACCEPT, AUTHORIZATION, USER_AGENT};
use http::uri::Scheme;
use http::{HeaderValue, Uri};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder, MaybeHttpsStream};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use octocrab::service::middleware::auth_header::AuthHeaderLayer;
use octocrab::service::middleware::base_uri::BaseUriLayer;
use octocrab::service::middleware::extra_headers::ExtraHeadersLayer;
use octocrab::{AuthState, Octocrab, OctocrabBuilder};
use tokio::net::TcpStream;
use tower_service::Service;

use super::tunnel::Tunnel;
use crate::token::Token;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An octocrab client for the API at `base`. The token goes only to `base`'s host (octocrab's
/// auth layer compares the authority), so redirects to storage hosts go out without it.
pub fn octocrab(base: &str, token: &Token, read_timeout: Duration) -> anyhow::Result<Octocrab> {
    let base_uri: Uri = base
        .parse()
        .map_err(|e| anyhow::anyhow!("invalid API URL {base:?}: {e}"))?;
    let mut connector = hyper_timeout::TimeoutConnector::new(Connector::default());
    connector.set_connect_timeout(Some(Duration::from_secs(10)));
    connector.set_read_timeout(Some(read_timeout));
    connector.set_write_timeout(Some(read_timeout));
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

/// Plain http connections as they are; https through rustls, configured on first use, and
/// through the environment's proxy where [`crate::proxy`] says so (an HTTP CONNECT tunnel).
#[derive(Clone)]
struct Connector {
    http: HttpConnector,
    https: Arc<OnceLock<HttpsConnector<HttpConnector>>>,
    tunneled: Arc<OnceLock<HttpsConnector<Tunnel>>>,
}

impl Default for Connector {
    fn default() -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        Self {
            http,
            https: Arc::default(),
            tunneled: Arc::default(),
        }
    }
}

impl Connector {
    fn https(&self) -> anyhow::Result<HttpsConnector<HttpConnector>> {
        if let Some(https) = self.https.get() {
            return Ok(https.clone());
        }
        let config = crate::tls::client_config()?;
        Ok(self
            .https
            .get_or_init(|| tls_over(&config, self.http.clone()))
            .clone())
    }

    /// https through `proxy` (the environment's one proxy, so one connector per process).
    fn tunneled(&self, proxy: &'static ureq::Proxy) -> anyhow::Result<HttpsConnector<Tunnel>> {
        if let Some(https) = self.tunneled.get() {
            return Ok(https.clone());
        }
        let config = crate::tls::client_config()?;
        let tunnel = Tunnel {
            proxy,
            http: self.http.clone(),
        };
        Ok(self
            .tunneled
            .get_or_init(|| tls_over(&config, tunnel))
            .clone())
    }
}

fn tls_over<T>(config: &rustls::ClientConfig, inner: T) -> HttpsConnector<T> {
    HttpsConnectorBuilder::new()
        .with_tls_config(config.clone())
        .https_only()
        .enable_http1()
        .wrap_connector(inner)
}

type Stream = MaybeHttpsStream<TokioIo<TcpStream>>;

impl Service<Uri> for Connector {
    type Response = Stream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Both inner connectors are always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        if uri.scheme() != Some(&Scheme::HTTPS) {
            let mut http = self.http.clone();
            return Box::pin(async move { Ok(MaybeHttpsStream::Http(http.call(uri).await?)) });
        }
        if let Some(proxy) = crate::proxy::for_https_uri(&uri) {
            return match self.tunneled(proxy) {
                Ok(mut https) => Box::pin(async move { https.call(uri).await }),
                Err(e) => Box::pin(std::future::ready(Err(e.into()))),
            };
        }
        match self.https() {
            Ok(mut https) => Box::pin(async move { https.call(uri).await }),
            Err(e) => Box::pin(std::future::ready(Err(e.into()))),
        }
    }
}
