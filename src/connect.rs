//! The one connector under every HTTP client (the API's octocrab and git's smart-HTTP
//! transport): plain http as it is; https through the one rustls configuration of
//! [`crate::tls`], set up by the first https connection, and through the environment's proxy
//! where [`crate::proxy`] says so (hyper-util's CONNECT [`Tunnel`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder, MaybeHttpsStream};
use hyper_timeout::TimeoutConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Intercept;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A [`Connector`] whose connection attempt and every single read or write wait at most
/// `connect` and `io`.
pub(crate) fn with_timeouts(connect: Duration, io: Duration) -> TimeoutConnector<Connector> {
    let mut connector = TimeoutConnector::new(Connector::default());
    connector.set_connect_timeout(Some(connect));
    connector.set_read_timeout(Some(io));
    connector.set_write_timeout(Some(io));
    connector
}

/// Plain http, direct https, or https tunneled through the proxy.
#[derive(Clone)]
pub(crate) struct Connector {
    http: HttpConnector,
    https: Arc<OnceLock<HttpsConnector<HttpConnector>>>,
    tunneled: Arc<OnceLock<HttpsConnector<Tunnel<HttpConnector>>>>,
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

    /// https through `proxy` (the environment's one https proxy, so one connector per process).
    fn tunneled(&self, proxy: &Intercept) -> anyhow::Result<HttpsConnector<Tunnel<HttpConnector>>> {
        if let Some(https) = self.tunneled.get() {
            return Ok(https.clone());
        }
        if proxy.uri().scheme_str() != Some("http") {
            anyhow::bail!(
                "the proxy {} in the environment is not an http:// proxy; rerecord reaches \
                 https servers only through HTTP CONNECT proxies (set HTTPS_PROXY=http://HOST:PORT, \
                 or NO_PROXY for this host)",
                crate::proxy::display(proxy)
            );
        }
        let config = crate::tls::client_config()?;
        let mut tunnel = Tunnel::new(proxy.uri().clone(), self.http.clone());
        if let Some(auth) = proxy.basic_auth() {
            tunnel = tunnel.with_auth(auth.clone());
        }
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

pub(crate) type Stream = MaybeHttpsStream<TokioIo<TcpStream>>;

/// A failure to reach a server through the proxy, with the way out (the cause stays in the
/// error chain: a refused certificate is still recognised).
#[derive(Debug, thiserror::Error)]
#[error(
    "through the proxy {proxy}: {source}; check HTTPS_PROXY (and its credentials) or list the \
     host in NO_PROXY"
)]
struct ViaProxy {
    proxy: String,
    source: BoxError,
}

impl Service<Uri> for Connector {
    type Response = Stream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Every inner connector is always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        if uri.scheme() != Some(&http::uri::Scheme::HTTPS) {
            let mut http = self.http.clone();
            return Box::pin(async move { Ok(MaybeHttpsStream::Http(http.call(uri).await?)) });
        }
        if let Some(proxy) = crate::proxy::for_uri(&uri) {
            return match self.tunneled(&proxy) {
                Ok(mut https) => Box::pin(async move {
                    https.call(uri).await.map_err(|source| {
                        ViaProxy {
                            proxy: crate::proxy::display(&proxy),
                            source,
                        }
                        .into()
                    })
                }),
                Err(e) => Box::pin(std::future::ready(Err(e.into()))),
            };
        }
        match self.https() {
            Ok(mut https) => Box::pin(async move { https.call(uri).await }),
            Err(e) => Box::pin(std::future::ready(Err(e.into()))),
        }
    }
}
