//! A minimal HTTP/1.1 client over std's TcpStream: one request per connection, so tests see
//! exactly the status, headers and bytes the fake sends.

use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::Value;

use crate::support::fake_github::{FakeGitHub, TOKEN};

/// A response as a minimal HTTP/1.1 client sees it.
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Sends one request on a fresh connection; `url` is absolute (http://127.0.0.1:PORT/...).
pub(crate) fn send(method: &str, url: &str, auth: Option<&str>, body: Option<&Value>) -> Resp {
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = TcpStream::connect(host).expect("connect");
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         X-GitHub-Api-Version: 2022-11-28\r\nAccept: application/vnd.github+json\r\n\
         Content-Length: {}\r\n",
        payload.len()
    );
    if let Some(a) = auth {
        head.push_str(&format!("Authorization: {a}\r\n"));
    }
    if body.is_some() {
        head.push_str("Content-Type: application/json\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("write");
    stream.write_all(payload.as_bytes()).expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .expect("status line")
        .split(' ')
        .nth(1)
        .expect("code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Resp {
        status: status.parse().expect("status"),
        headers,
        body,
    }
}

pub(crate) fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end]).expect("hex"), 16)
            .expect("chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 4 + size..];
    }
}

pub(crate) fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

pub(crate) fn get(gh: &FakeGitHub, path: &str) -> Resp {
    send("GET", &format!("{}{path}", gh.url()), Some(&bearer()), None)
}

pub(crate) fn post(gh: &FakeGitHub, path: &str, body: Value) -> Resp {
    with_body(gh, "POST", path, &body)
}

pub(crate) fn patch(gh: &FakeGitHub, path: &str, body: Value) -> Resp {
    with_body(gh, "PATCH", path, &body)
}

/// `method` of `path` on the fake with the token and the JSON `body`.
pub(crate) fn with_body(gh: &FakeGitHub, method: &str, path: &str, body: &Value) -> Resp {
    let url = format!("{}{path}", gh.url());
    send(method, &url, Some(&bearer()), Some(body))
}
