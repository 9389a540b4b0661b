//! The two listeners on their own tokio runtime thread, and the per-request pipeline every
//! request goes through: record, delay, fault, authenticate, route, add GitHub's headers.

use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::response::Response;
use serde_json::{Value, json};

use super::state::State;
use super::{FaultKind, Listener, Recorded, TOKEN, routes, storage};

type Shared = Arc<Mutex<State>>;

/// A test's callback run when a request's path matches.
type Hook = Box<dyn FnOnce() + Send>;

pub(crate) struct Handle {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Handle {
    pub fn start(state: Shared) -> Handle {
        let api = std::net::TcpListener::bind("127.0.0.1:0").expect("bind fake GitHub API");
        let blob = std::net::TcpListener::bind("127.0.0.1:0").expect("bind fake blob storage");
        {
            let mut st = lock(&state);
            st.api_base = format!("http://{}", api.local_addr().expect("api addr"));
            st.storage_base = format!("http://{}", blob.local_addr().expect("storage addr"));
        }
        api.set_nonblocking(true).expect("nonblocking");
        blob.set_nonblocking(true).expect("nonblocking");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("fake-github".to_string())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("fake GitHub runtime");
                rt.block_on(async move {
                    let api = tokio::net::TcpListener::from_std(api).expect("api listener");
                    let blob = tokio::net::TcpListener::from_std(blob).expect("blob listener");
                    let api_app = Router::new().fallback(api_entry).with_state(state.clone());
                    let blob_app = Router::new().fallback(storage_entry).with_state(state);
                    tokio::spawn(async move { axum::serve(api, api_app).await });
                    tokio::spawn(async move { axum::serve(blob, blob_app).await });
                    let _ = stopped.await;
                });
                // Hung requests never finish: drop them instead of waiting.
                rt.shutdown_background();
            })
            .expect("spawn fake GitHub thread");
        Handle {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub(crate) fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// A parsed request as handlers see it.
pub(crate) struct Req {
    pub method: String,
    pub path: String,
    /// Percent-decoded, empty segments dropped.
    pub segments: Vec<String>,
    pub raw_query: Option<String>,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    pub body_bytes: usize,
    pub accept: String,
    pub authorization: Option<String>,
}

impl Req {
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A response before GitHub's common headers are added.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub content_type: Option<&'static str>,
    pub rate_exhausted: bool,
    /// Send half the body under the full `Content-Length`, then reset (`FaultKind::CutShort`).
    pub cut_short: bool,
}

pub(crate) const DOCS: &str = "https://docs.github.com/rest";

impl Reply {
    pub fn json(status: u16, value: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: serde_json::to_vec(&value).expect("serialize"),
            content_type: Some("application/json; charset=utf-8"),
            rate_exhausted: false,
            cut_short: false,
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            content_type: None,
            rate_exhausted: false,
            cut_short: false,
        }
    }

    /// GitHub's `basic-error` body.
    pub fn error(status: u16, message: &str, docs: &str) -> Reply {
        Reply::json(
            status,
            json!({"message": message, "documentation_url": docs, "status": status.to_string()}),
        )
    }

    pub fn not_found() -> Reply {
        Reply::error(404, "Not Found", DOCS)
    }

    /// GitHub's `validation-error` body for a 422.
    pub fn validation(message: &str, errors: Value) -> Reply {
        let mut body = json!({"message": message, "documentation_url": DOCS, "status": "422"});
        if !errors.is_null() {
            body["errors"] = errors;
        }
        Reply::json(422, body)
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

fn parse(parts: &http::request::Parts, bytes: &[u8]) -> Req {
    let header = |name: http::header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().map(str::to_string);
    let query = raw_query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k, true), decode(v, true))
        })
        .collect();
    Req {
        method: parts.method.as_str().to_string(),
        segments: path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| decode(s, false))
            .collect(),
        path,
        raw_query,
        query,
        body: serde_json::from_slice(bytes).ok(),
        body_bytes: bytes.len(),
        accept: header(http::header::ACCEPT).unwrap_or_default(),
        authorization: header(http::header::AUTHORIZATION),
    }
}

pub(crate) fn decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi * 16 + lo);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

fn authorized(auth: Option<&str>) -> bool {
    matches!(auth, Some(a) if a == format!("Bearer {TOKEN}") || a == format!("token {TOKEN}"))
}

async fn api_entry(AxState(state): AxState<Shared>, request: Request) -> Response {
    entry(state, request, Listener::Api).await
}

async fn storage_entry(AxState(state): AxState<Shared>, request: Request) -> Response {
    entry(state, request, Listener::Storage).await
}

async fn entry(state: Shared, request: Request, listener: Listener) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let req = parse(&parts, &bytes);
    let (index, latency, fault, hook) = record(&mut lock(&state), &req, listener, started);
    if let Some(hook) = hook {
        tokio::task::block_in_place(hook);
    }
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if fault.as_ref().is_some_and(|f| f.kind == FaultKind::Hang) {
        std::future::pending::<()>().await;
    }
    let mut st = lock(&state);
    let reply = reply_for(&mut st, &req, listener, fault);
    let response = finish(&mut st, reply, listener);
    let rec = &mut st.requests[index];
    rec.status = response.status().as_u16();
    rec.finished = Instant::now();
    response
}

/// Records the request and takes what applies to it: its index in the log, the listener's
/// latency, the first matching fault (one use of it) and the first matching hook.
fn record(
    st: &mut State,
    req: &Req,
    listener: Listener,
    started: Instant,
) -> (
    usize,
    std::time::Duration,
    Option<super::Fault>,
    Option<Hook>,
) {
    st.requests.push(Recorded {
        listener,
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.raw_query.clone(),
        authorization: req.authorization.clone(),
        body: req.body.clone(),
        status: 0,
        started,
        finished: started,
    });
    let index = st.requests.len() - 1;
    let fault = st
        .faults
        .iter_mut()
        .find(|f| {
            f.times > 0
                && f.method.eq_ignore_ascii_case(&req.method)
                && req.path.contains(&f.path_contains)
        })
        .map(|f| {
            f.times -= 1;
            f.clone()
        });
    let latency = match listener {
        Listener::Api => st.latency,
        Listener::Storage => std::time::Duration::ZERO,
    };
    let hook = st
        .hooks
        .iter()
        .position(|(fragment, _)| req.path.contains(fragment.as_str()))
        .map(|i| st.hooks.remove(i).1);
    (index, latency, fault, hook)
}

/// The reply to a request: a fault's, the storage's, or the API routes'.
fn reply_for(st: &mut State, req: &Req, listener: Listener, fault: Option<super::Fault>) -> Reply {
    match listener {
        Listener::Storage => match fault {
            Some(f) if f.kind == FaultKind::CutShort => {
                let mut reply = storage::serve(st, req);
                reply.cut_short = reply.status == 200;
                reply
            }
            Some(f) if f.kind != FaultKind::AfterEffect => fault_reply(&f),
            _ => storage::serve(st, req),
        },
        Listener::Api if !authorized(req.authorization.as_deref()) => {
            Reply::error(401, "Bad credentials", DOCS)
        }
        Listener::Api => match fault {
            Some(f) if f.kind == FaultKind::AfterEffect => {
                let _done = routes::route(st, req);
                fault_reply(&f)
            }
            Some(f) => fault_reply(&f),
            None => routes::route(st, req),
        },
    }
}

fn fault_reply(f: &super::Fault) -> Reply {
    let mut reply = match (f.kind, f.status) {
        (FaultKind::SecondaryRateLimit, status) => Reply::error(
            status,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try \
             again. If you reach out to GitHub Support for help, please include the request ID \
             FAKE:0000:0000000:0000000:00000000.",
            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
        ),
        (_, status @ (403 | 429)) => {
            let mut r = Reply::error(
                status,
                "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for \
                 help, please include the request ID FAKE:0000:0000000:0000000:00000000.",
                "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            );
            r.rate_exhausted = true;
            r
        }
        (_, 502) => Reply::json(502, json!({"message": "Server Error"})),
        (_, 503) => Reply::error(503, "Service Unavailable", DOCS),
        (_, status) if status >= 500 => Reply::json(status, json!({"message": "Server Error"})),
        (_, status) => Reply::error(status, "Fault injected by the fake", DOCS),
    };
    if let Some(secs) = f.retry_after {
        reply = reply.header("retry-after", secs.to_string());
    }
    reply
}

/// Adds the headers GitHub puts on every API response.
fn finish(st: &mut State, reply: Reply, listener: Listener) -> Response {
    let mut builder = Response::builder().status(reply.status);
    if let Some(ct) = reply.content_type {
        builder = builder.header("content-type", ct);
    }
    if listener == Listener::Api {
        st.rate_used += 1;
        let remaining = if reply.rate_exhausted {
            0
        } else {
            5000u64.saturating_sub(st.rate_used)
        };
        builder = builder
            .header("x-ratelimit-limit", "5000")
            .header("x-ratelimit-remaining", remaining.to_string())
            .header("x-ratelimit-reset", st.rate_reset.to_string())
            .header("x-ratelimit-used", st.rate_used.to_string())
            .header("x-ratelimit-resource", "core")
            .header("x-github-api-version-selected", "2022-11-28")
            .header("x-github-request-id", format!("FAKE:{:08X}", st.rate_used))
            .header("x-github-media-type", "github.v3; format=json");
    }
    for (name, value) in &reply.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if reply.cut_short {
        let mut body = reply.body;
        let full = body.len();
        body.truncate(full / 2);
        let parts: Vec<Result<Vec<u8>, std::io::Error>> = vec![
            Ok(body),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "storage reset the connection",
            )),
        ];
        return builder
            .header("content-length", full.to_string())
            .body(Body::from_stream(futures_util::stream::iter(parts)))
            .expect("valid response");
    }
    builder
        .body(Body::from(reply.body))
        .expect("valid response")
}
