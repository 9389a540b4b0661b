//! An HTTP CONNECT proxy for tests: it records every request head it gets (the CONNECT target,
//! whether `Proxy-Authorization` came), tunnels CONNECTs to their target and refuses anything
//! else (a plain-http request sent through it) with 405. It lives until the test process ends.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request head the proxy received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `CONNECT`, or the method of a request sent to the proxy as if it were a server.
    pub method: String,
    /// `host:port` for a CONNECT; the request target otherwise.
    pub target: String,
    pub proxy_authorization: Option<String>,
}

pub struct ConnectProxy {
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ConnectProxy {
    pub fn start() -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorded = seen.clone();
        let port = super::tls::serve_tokio(move |client| serve(client, recorded.clone()));
        Self { port, seen }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Something went through the proxy, every request was a CONNECT to `target` (`host:port`),
    /// and the first one carried Basic credentials; returns what the proxy saw.
    #[track_caller]
    pub fn assert_only_tunnels_to(&self, target: &str) -> Vec<Seen> {
        let seen = self.seen();
        assert!(!seen.is_empty(), "nothing went through the proxy");
        assert!(
            seen.iter()
                .all(|s| s.method == "CONNECT" && s.target == target),
            "only tunnels to {target}: {seen:?}"
        );
        let auth = seen[0].proxy_authorization.as_deref();
        assert!(auth.is_some_and(|a| a.starts_with("Basic ")), "{seen:?}");
        seen
    }
}

async fn serve(mut client: tokio::net::TcpStream, seen: Arc<Mutex<Vec<Seen>>>) {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        match client.read_u8().await {
            Ok(b) => head.push(b),
            Err(_) => return,
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut words = text.split_whitespace();
    let (method, target) = (
        words.next().unwrap_or_default().to_owned(),
        words.next().unwrap_or_default().to_owned(),
    );
    let proxy_authorization = text.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("proxy-authorization")
            .then(|| value.trim().to_owned())
    });
    seen.lock().unwrap().push(Seen {
        method: method.clone(),
        target: target.clone(),
        proxy_authorization,
    });
    if method != "CONNECT" {
        let _ = client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
        return;
    }
    let Ok(mut upstream) = tokio::net::TcpStream::connect(&target).await else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}
