//! An HTTP CONNECT tunnel through the environment's proxy (see [`crate::proxy`]), under the TLS
//! of an https API connection: the proxy sees the host and port, never the token or the data.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use base64::Engine;
use http::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The largest CONNECT answer read before giving up on the proxy.
const MAX_ANSWER: usize = 16 * 1024;

/// Connects to the proxy and asks it for a tunnel to the request's host.
#[derive(Clone)]
pub struct Tunnel {
    pub proxy: &'static ureq::Proxy,
    pub http: HttpConnector,
}

impl Service<Uri> for Tunnel {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, target: Uri) -> Self::Future {
        let (proxy, mut http) = (self.proxy, self.http.clone());
        Box::pin(async move {
            if proxy.protocol() != ureq::ProxyProtocol::Http {
                return Err(format!(
                    "the proxy {} in the environment is not an http:// proxy; rerecord reaches \
                     the API only through HTTP CONNECT proxies (set HTTPS_PROXY=http://HOST:PORT, \
                     or NO_PROXY for this host)",
                    crate::proxy::display(proxy)
                )
                .into());
            }
            let at: Uri = format!("http://{}:{}", proxy.host(), proxy.port()).parse()?;
            let mut stream = http.call(at).await?.into_inner();
            let host = target.host().ok_or("a URL without a host")?;
            let port = target.port_u16().unwrap_or(443);
            stream
                .write_all(connect_request(proxy, host, port).as_bytes())
                .await?;
            let status = read_answer(&mut stream).await?;
            if status != 200 {
                return Err(format!(
                    "the proxy {} refused a tunnel to {host}:{port} (HTTP {status}); check \
                     HTTPS_PROXY (and its credentials) or list the host in NO_PROXY",
                    crate::proxy::display(proxy)
                )
                .into());
            }
            Ok(TokioIo::new(stream))
        })
    }
}

fn connect_request(proxy: &ureq::Proxy, host: &str, port: u16) -> String {
    let mut request = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n");
    if let Some(user) = proxy.username() {
        let pair = format!("{user}:{}", proxy.password().unwrap_or_default());
        let basic = base64::engine::general_purpose::STANDARD.encode(pair);
        request.push_str(&format!("Proxy-Authorization: Basic {basic}\r\n"));
    }
    request.push_str("\r\n");
    request
}

/// Read the proxy's answer up to the end of its headers (byte by byte: what follows belongs to
/// the tunnel) and return its status code.
async fn read_answer(stream: &mut TcpStream) -> Result<u16, BoxError> {
    let mut answer = Vec::with_capacity(256);
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() >= MAX_ANSWER {
            return Err("the proxy's answer to CONNECT never ended".into());
        }
        let byte = stream.read_u8().await?;
        answer.push(byte);
    }
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .filter(|_| text.starts_with("HTTP/1."))
        .ok_or("the proxy did not answer CONNECT with HTTP")?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connect_request_names_the_target_and_the_proxy_credentials() {
        let proxy = ureq::Proxy::new("http://me:s%40cret@proxy.example:3128").unwrap();
        let request = connect_request(&proxy, "api.github.com", 443);
        assert!(
            request
                .starts_with("CONNECT api.github.com:443 HTTP/1.1\r\nHost: api.github.com:443\r\n")
        );
        let basic = base64::engine::general_purpose::STANDARD.encode("me:s@cret");
        assert!(
            request.contains(&format!("Proxy-Authorization: Basic {basic}\r\n")),
            "{request}"
        );
        assert!(request.ends_with("\r\n\r\n"));
        let plain = ureq::Proxy::new("http://proxy.example:3128").unwrap();
        assert!(!connect_request(&plain, "h", 1).contains("Proxy-Authorization"));
    }
}
