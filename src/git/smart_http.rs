//! git's smart HTTP protocol for `http://` and `https://` remotes, registered with libgit2 in
//! place of its own transport, over the same hyper client stack as the API (the connector of
//! [`crate::connect`]: one rustls set-up, one proxy decision). libgit2 calls the transport
//! synchronously, so the requests run on a small runtime of the transport's own and the calling
//! thread waits for each step (a body is still read and written a chunk at a time).
//!
//! libgit2 is built without its HTTPS support on purpose: that needs OpenSSL, whose start-up
//! parses the whole CA bundle in every process that opens a repository (about 20 ms: more than
//! all other fixed costs of `rerecord fetch` together), although most commands never talk git
//! over the network. Here TLS is set up by the first https request, the token comes from the
//! operation's [`Grant`] (libgit2's credential callbacks do not reach a custom transport), and
//! every wait on the network is bounded (`RERECORD_GIT_TIMEOUT`).

use std::future::Future;
use std::io::{self, Read, Write};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::{Buf, Bytes};
use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream, Transport};
use http::{Method, Request, StatusCode, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_timeout::TimeoutConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use url::Url;

use crate::connect::{BoxError, Connector};

use super::credentials::{self, Grant};

/// Redirects followed when discovering the refs (GitHub redirects renamed repositories).
const MAX_REDIRECTS: usize = 5;
/// Bytes of an error response's body quoted in the message.
const QUOTED_BODY: u64 = 512;
/// Default for `RERECORD_GIT_TIMEOUT`: a large push can keep the server busy for a while.
const DEFAULT_TIMEOUT_SECS: f64 = 120.0;
/// Attempts of a request that may be repeated (ref discovery, fetch negotiation) when the server
/// answers a transient 5xx.
const ATTEMPTS: u32 = 4;
/// Chunks of a streamed push in flight between libgit2 and the request body.
const PUSH_CHUNKS_IN_FLIGHT: usize = 4;
/// Part of the message of a push whose request went out but whose answer did not come: the
/// server may or may not have updated the ref, so the caller re-reads the refs before anything
/// else (a receive-pack is never sent again blindly).
pub const PUSH_OUTCOME_UNKNOWN: &str = "the push's outcome is unknown";

/// Pause before attempt `attempt + 1` of a repeatable request: 250 ms, 500 ms, 1 s.
fn retry_pause(attempt: u32) -> Duration {
    Duration::from_millis(250 << (attempt.saturating_sub(1)).min(4))
}

/// A server error worth trying again: a proxy or load balancer that lost the backend.
fn transient(status: StatusCode) -> bool {
    matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

/// Make libgit2 use this transport for http and https remotes. Call once, before the process
/// performs any git operation (see [`super::init`]).
pub(super) fn register() -> Result<(), git2::Error> {
    for scheme in ["http", "https"] {
        // SAFETY: registration changes libgit2's global transport list, which must not race
        // with transports being looked up. The caller runs this once, before the process's
        // first repository is opened, so no git operation can run concurrently.
        #[allow(unsafe_code)]
        unsafe {
            git2::transport::register(scheme, |remote| {
                Transport::smart(remote, true, Subtransport::new(credentials::current()))
            })?;
        }
    }
    Ok(())
}

/// Seconds a connection attempt, or any single read or write, may wait for the remote.
fn timeout() -> Duration {
    let secs = std::env::var("RERECORD_GIT_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(DEFAULT_TIMEOUT_SECS);
    Duration::from_secs_f64(secs.min(86_400.0))
}

pub(super) type Response = http::Response<Incoming>;
pub(super) type RequestBody = BoxBody<Bytes, BoxError>;
/// What a request ends with: the answer's head, or why there is none.
type Answer = Result<Response, hyper_util::client::legacy::Error>;

/// The transport's runtime: one worker thread, started by the first request of the process.
fn runtime() -> io::Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("rerecord-git-http")
                .enable_all()
                .build()
                .map_err(|e| format!("could not start the git HTTP transport: {e}"))
        })
        .as_ref()
        .map_err(|e| io::Error::other(e.clone()))
}

/// Start `future` on the transport's runtime; its output arrives on the returned channel.
fn spawn<F>(future: F) -> io::Result<Receiver<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime()?.spawn(async move {
        let _ = tx.send(future.await);
    });
    Ok(rx)
}

/// Run `future` on the transport's runtime and wait for it on this (libgit2's) thread, which
/// may itself be inside the commands' runtime: it only blocks, as a synchronous client would.
fn wait<F>(future: F) -> io::Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn(future)?
        .recv()
        .map_err(|_| io::Error::other("the request to the remote was abandoned"))
}

/// One client for the whole process (its connections are kept alive between the requests of
/// an operation). Only the first https connection loads the root certificates.
fn client() -> &'static Client<TimeoutConnector<Connector>, RequestBody> {
    static CLIENT: OnceLock<Client<TimeoutConnector<Connector>, RequestBody>> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let connector = crate::connect::with_timeouts(timeout(), timeout());
        Client::builder(TokioExecutor::new()).build(connector)
    })
}

/// A request to `url` with the headers every request carries (and the grant's token when it
/// may go there), and whether the token is on it.
fn request(
    method: Method,
    url: &Url,
    grant: Option<&Grant>,
    body: RequestBody,
) -> io::Result<(Request<RequestBody>, bool)> {
    let mut request = Request::builder().method(method).uri(url.as_str()).header(
        header::USER_AGENT,
        concat!("git/2.0 (rerecord/", env!("CARGO_PKG_VERSION"), ")"),
    );
    let auth = grant.and_then(|g| g.authorization(url));
    let sent = auth.is_some();
    if let Some(auth) = auth {
        let mut value = http::HeaderValue::from_str(&auth).map_err(|_| {
            io::Error::other("the token contains characters not allowed in a header")
        })?;
        value.set_sensitive(true);
        request = request.header(header::AUTHORIZATION, value);
    }
    let request = request
        .body(body)
        .map_err(|e| io::Error::other(format!("invalid request to {}: {e}", display_url(url))))?;
    Ok((request, sent))
}

/// Send `request` and wait for the answer's head.
fn call(url: &Url, request: Request<RequestBody>) -> io::Result<Response> {
    wait(client().request(request))?.map_err(|e| transport_error(url, &e))
}

/// One request outside git's protocol (the LFS API and its transfers) on the same client:
/// `METHOD url` with `headers`, the grant's token when it may go there, and `body`.
pub(super) fn send(
    method: Method,
    url: &Url,
    grant: Option<&Grant>,
    headers: &[(String, String)],
    body: RequestBody,
) -> io::Result<Response> {
    let (mut request, _) = request(method, url, grant, body)?;
    for (name, value) in headers {
        let invalid =
            || io::Error::other(format!("invalid header {name:?} for {}", display_url(url)));
        let name = header::HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        let mut value = http::HeaderValue::from_str(value).map_err(|_| invalid())?;
        value.set_sensitive(true);
        request.headers_mut().insert(name, value);
    }
    call(url, request)
}

/// Up to `max` bytes of an answer's body (more is an error: the answer is not what was asked).
pub(super) fn read_body(response: Response, max: u64) -> io::Result<Vec<u8>> {
    let mut raw = Vec::new();
    Reading {
        body: Some(response.into_body()),
        chunk: Bytes::new(),
    }
    .take(max + 1)
    .read_to_end(&mut raw)?;
    if raw.len() as u64 > max {
        return Err(io::Error::other(format!("the answer is over {max} bytes")));
    }
    Ok(raw)
}

pub(super) fn empty() -> RequestBody {
    Empty::new().map_err(|never| match never {}).boxed()
}

pub(super) fn full(data: &[u8]) -> RequestBody {
    Full::new(Bytes::copy_from_slice(data))
        .map_err(|never| match never {})
        .boxed()
}

/// The transport of one remote for one operation.
struct Subtransport {
    grant: Option<Arc<Grant>>,
    /// The old id a push must name for its ref, whatever the server advertised (see [`pin_old`]).
    pinned: Option<PinnedOld>,
    /// The repository's URL after a redirect of the ref discovery.
    redirected: Mutex<Option<Url>>,
}

/// A ref and the id it must still have on the server for a push to update it.
#[derive(Clone)]
struct PinnedOld {
    refname: String,
    old: git2::Oid,
}

thread_local! {
    static PINNED: std::cell::RefCell<Option<PinnedOld>> = const { std::cell::RefCell::new(None) };
}

/// Until the guard is dropped, pushes on this thread name `old` as the old id of `refname` in
/// their ref-update command, not the id the push-time ref listing advertised. The server then
/// updates the ref only if it still points at `old` (the tip the commit was built on): a
/// branch force-pushed back in between makes the push fail instead of undoing the rewind.
pub(super) fn pin_old(refname: &str, old: git2::Oid) -> PinGuard {
    let pinned = PinnedOld {
        refname: refname.to_owned(),
        old,
    };
    PINNED.with(|p| p.replace(Some(pinned)));
    PinGuard(())
}

/// Ends a [`pin_old`] when dropped.
pub(super) struct PinGuard(());

impl Drop for PinGuard {
    fn drop(&mut self) {
        PINNED.with(|p| p.replace(None));
    }
}

/// Set the old id of `pin.refname` in the push request's command list (pkt-lines
/// `OLD NEW REF[\0caps]\n` up to a flush), which libgit2 writes in one piece before the pack.
/// Refuses a request without that ref's command.
fn pin_commands(data: &mut [u8], pin: &PinnedOld) -> io::Result<()> {
    let malformed =
        || io::Error::other("the push request's commands could not be read; nothing was pushed");
    let old = pin.old.to_string();
    let hex = old.len();
    let mut at = 0;
    let mut pinned = false;
    loop {
        let len = data
            .get(at..at + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| usize::from_str_radix(h, 16).ok())
            .ok_or_else(malformed)?;
        if len == 0 {
            break;
        }
        let line = data.get_mut(at + 4..at + len).ok_or_else(malformed)?;
        let name_at = 2 * hex + 2;
        let name = line
            .get(name_at..)
            .map(|rest| rest.split(|&b| b == 0 || b == b'\n').next().unwrap_or(rest))
            .ok_or_else(malformed)?;
        if name == pin.refname.as_bytes() {
            line[..hex].copy_from_slice(old.as_bytes());
            pinned = true;
        }
        at += len;
    }
    if pinned {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "the push request did not update {}; nothing was pushed",
            pin.refname
        )))
    }
}

impl Subtransport {
    fn new(grant: Option<Arc<Grant>>) -> Self {
        Self {
            grant,
            pinned: PINNED.with(|p| p.borrow().clone()),
            redirected: Mutex::new(None),
        }
    }

    /// The repository's URL: the remote's (without user info or a trailing slash), or where
    /// the ref discovery was redirected.
    fn base(&self, url: &str) -> io::Result<Url> {
        if let Some(base) = &*self.redirected.lock().unwrap_or_else(|p| p.into_inner()) {
            return Ok(base.clone());
        }
        let mut base = parse_http(url)?;
        let path = base.path().trim_end_matches('/').to_owned();
        base.set_path(&path);
        let _ = base.set_username("");
        let _ = base.set_password(None);
        Ok(base)
    }

    /// `GET BASE/info/refs?service=SERVICE`, following redirects to the same path elsewhere.
    fn discover(&self, url: &str, service: &'static str) -> io::Result<Incoming> {
        let remote = self.base(url)?;
        let mut base = remote.clone();
        for _ in 0..=MAX_REDIRECTS {
            let target = discovery(&base, service);
            let (response, sent) = with_retries(|| {
                let (mut request, sent) =
                    request(Method::GET, &target, self.grant.as_deref(), empty())?;
                request
                    .headers_mut()
                    .insert(header::ACCEPT, http::HeaderValue::from_static("*/*"));
                Ok((call(&target, request)?, sent))
            })?;
            if response.status().is_redirection() {
                let next = redirect_target(&target, &response)?;
                base = repository_of(&next, service).ok_or_else(|| {
                    io::Error::other(format!(
                        "{} redirected the ref discovery to {}, which is not a git repository's address",
                        display_url(&target),
                        display_url(&next)
                    ))
                })?;
                continue;
            }
            let body = accept(
                self.grant.as_deref(),
                &target,
                response,
                sent,
                service,
                "advertisement",
            )?;
            if base != remote {
                *self.redirected.lock().unwrap_or_else(|p| p.into_inner()) = Some(base);
            }
            return Ok(body);
        }
        Err(io::Error::other(format!(
            "{} redirected more than {MAX_REDIRECTS} times",
            display_url(&discovery(&remote, service))
        )))
    }
}

/// `BASE/TAIL` (a path segment or two under the repository's URL).
fn under(base: &Url, tail: &str) -> Url {
    let mut url = base.clone();
    let path = format!("{}/{tail}", base.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    url
}

/// `BASE/info/refs?service=SERVICE`.
fn discovery(base: &Url, service: &str) -> Url {
    let mut url = under(base, "info/refs");
    url.query_pairs_mut().append_pair("service", service);
    url
}

/// The repository whose ref discovery `url` is, if it is one.
fn repository_of(url: &Url, service: &str) -> Option<Url> {
    let (key, value) = url.query_pairs().next()?;
    if key != "service" || value != service || url.query_pairs().count() != 1 {
        return None;
    }
    let path = url.path().strip_suffix("/info/refs")?.to_owned();
    let mut base = url.clone();
    base.set_path(&path);
    base.set_query(None);
    base.set_fragment(None);
    Some(base)
}

/// Run `call` until it answers something other than a transient 5xx, at most [`ATTEMPTS`]
/// times; the last answer is returned whatever it is.
fn with_retries<T>(
    mut call: impl FnMut() -> io::Result<(Response, T)>,
) -> io::Result<(Response, T)> {
    let mut attempt = 1;
    loop {
        let answer = call()?;
        if attempt >= ATTEMPTS || !transient(answer.0.status()) {
            return Ok(answer);
        }
        std::thread::sleep(retry_pause(attempt));
        attempt += 1;
    }
}

/// The body of a successful smart-protocol answer, or an error saying what went wrong.
fn accept(
    grant: Option<&Grant>,
    url: &Url,
    response: Response,
    sent: bool,
    service: &str,
    kind: &str,
) -> io::Result<Incoming> {
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED {
        let why = match grant {
            Some(grant) => grant.challenged(url, sent),
            None => "the remote asked for credentials, and rerecord was given none for it",
        };
        return Err(io::Error::other(format!("{why} ({})", display_url(url))));
    }
    if !status.is_success() {
        let quoted = quote_body(response);
        return Err(io::Error::other(format!(
            "{} answered {}{quoted}",
            display_url(url),
            status_text(status)
        )));
    }
    let wanted = format!("application/x-{service}-{kind}");
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // A media type may carry parameters (`; charset=utf-8`), which say nothing about the protocol.
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case(&wanted) {
        return Err(io::Error::other(format!(
            "{} is not a smart HTTP git server (it answered {content_type:?}, not {wanted})",
            display_url(url)
        )));
    }
    Ok(response.into_body())
}

impl SmartSubtransport for Subtransport {
    fn action(
        &self,
        url: &str,
        action: Service,
    ) -> Result<Box<dyn SmartSubtransportStream>, git2::Error> {
        let stream = match action {
            Service::UploadPackLs => {
                Stream::reading(self.discover(url, "git-upload-pack").map_err(git_error)?)
            }
            Service::ReceivePackLs => {
                Stream::reading(self.discover(url, "git-receive-pack").map_err(git_error)?)
            }
            Service::UploadPack => Stream::Writing {
                rpc: self.rpc(url, "git-upload-pack").map_err(git_error)?,
                request: Vec::new(),
            },
            Service::ReceivePack => Stream::Pushing(Push::new(
                self.rpc(url, "git-receive-pack").map_err(git_error)?,
                self.pinned.clone(),
            )),
        };
        Ok(Box::new(stream))
    }

    fn close(&self) -> Result<(), git2::Error> {
        Ok(())
    }
}

impl Subtransport {
    fn rpc(&self, url: &str, service: &'static str) -> io::Result<Rpc> {
        Ok(Rpc {
            target: under(&self.base(url)?, service),
            service,
            grant: self.grant.clone(),
        })
    }
}

/// What a POST needs once libgit2 has written its request.
struct Rpc {
    /// `BASE/SERVICE`.
    target: Url,
    service: &'static str,
    grant: Option<Arc<Grant>>,
}

impl Rpc {
    fn post(&self, body: RequestBody) -> io::Result<(Request<RequestBody>, bool)> {
        let (mut post, sent) = request(Method::POST, &self.target, self.grant.as_deref(), body)?;
        let headers = post.headers_mut();
        for (name, kind) in [
            (header::CONTENT_TYPE, "request"),
            (header::ACCEPT, "result"),
        ] {
            let value = format!("application/x-{}-{kind}", self.service);
            headers.insert(
                name,
                http::HeaderValue::from_str(&value).map_err(io::Error::other)?,
            );
        }
        Ok((post, sent))
    }

    /// The body of the service's successful `result` answer (`sent`: credentials went with the
    /// request), or an error saying what went wrong.
    fn accept(&self, response: Response, sent: bool) -> io::Result<Incoming> {
        accept(
            self.grant.as_deref(),
            &self.target,
            response,
            sent,
            self.service,
            "result",
        )
    }

    /// `POST BASE/SERVICE` with the request libgit2 wrote (a fetch negotiation: small, and safe
    /// to send again after a transient 5xx).
    fn send(self, request: &[u8]) -> io::Result<Incoming> {
        let (response, sent) = with_retries(|| {
            let (post, sent) = self.post(full(request))?;
            Ok((call(&self.target, post)?, sent))
        })?;
        self.accept(response, sent)
    }

    /// Start `POST BASE/git-receive-pack` with a body that is streamed (chunked) as libgit2
    /// writes the pack, so a push holds a few chunks in memory, not the whole pack.
    fn stream(&self) -> io::Result<(tokio::sync::mpsc::Sender<Bytes>, Receiver<Answer>)> {
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(PUSH_CHUNKS_IN_FLIGHT);
        let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
            let chunk = rx.recv().await?;
            Some((Ok::<_, BoxError>(Frame::data(chunk)), rx))
        });
        let (post, _) = self.post(BodyExt::boxed(StreamBody::new(chunks)))?;
        Ok((tx, spawn(client().request(post))?))
    }

    /// The answer to a push: never sent again, so anything but a clear answer leaves its
    /// outcome unknown.
    fn answer(&self, response: Answer) -> io::Result<Incoming> {
        let response = response.map_err(|e| unknown_outcome(transport_error(&self.target, &e)))?;
        if transient(response.status()) {
            let quoted = quote_body(response);
            return Err(unknown_outcome(io::Error::other(format!(
                "{} answered a server error{quoted}",
                display_url(&self.target)
            ))));
        }
        let sent = self
            .grant
            .as_deref()
            .is_some_and(|g| g.authorization(&self.target).is_some());
        self.accept(response, sent)
    }
}

fn unknown_outcome(e: io::Error) -> io::Error {
    io::Error::other(format!("{PUSH_OUTCOME_UNKNOWN}: {e}"))
}

/// A push's request: started by libgit2's first write, its body fed by the writes that follow.
struct Push {
    rpc: Rpc,
    /// Applied to the first write (the commands), then gone.
    pinned: Option<PinnedOld>,
    tx: Option<tokio::sync::mpsc::Sender<Bytes>>,
    answer: Option<Receiver<Answer>>,
    started: bool,
}

impl Push {
    fn new(rpc: Rpc, pinned: Option<PinnedOld>) -> Self {
        Self {
            rpc,
            pinned,
            tx: None,
            answer: None,
            started: false,
        }
    }

    fn start(&mut self) -> io::Result<()> {
        if !std::mem::replace(&mut self.started, true) {
            let (tx, answer) = self.rpc.stream()?;
            (self.tx, self.answer) = (Some(tx), Some(answer));
        }
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        let mut data = data.to_vec();
        if let Some(pin) = self.pinned.take() {
            // Before the request starts: a refusal here sends nothing.
            pin_commands(&mut data, &pin)?;
        }
        self.start()?;
        if let Some(tx) = self.tx.clone()
            && wait(async move { tx.send(Bytes::from(data)).await })?.is_ok()
        {
            return Ok(());
        }
        // The request ended early (refused, or the connection failed): say why.
        Err(self
            .finish()
            .err()
            .unwrap_or_else(|| io::Error::other("the push request ended before the pack was sent")))
    }

    /// End the body and wait for the answer.
    fn finish(&mut self) -> io::Result<Incoming> {
        self.start()?;
        drop(self.tx.take());
        match self.answer.take().map(|answer| answer.recv()) {
            Some(Ok(response)) => self.rpc.answer(response),
            Some(Err(_)) => Err(unknown_outcome(io::Error::other(
                "the push request was abandoned",
            ))),
            None => Err(io::Error::other("the push request already failed")),
        }
    }
}

/// An answer's body, read a frame at a time on the transport's runtime.
struct Reading {
    body: Option<Incoming>,
    chunk: Bytes,
}

impl Read for Reading {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while !self.chunk.has_remaining() {
            let Some(mut body) = self.body.take() else {
                return Ok(0);
            };
            let (body, frame) = wait(async move {
                let frame = body.frame().await;
                (body, frame)
            })?;
            match frame {
                None => return Ok(0),
                Some(Err(e)) => return Err(io::Error::other(read_error(&e))),
                Some(Ok(frame)) => {
                    self.body = Some(body);
                    if let Ok(data) = frame.into_data() {
                        self.chunk = data;
                    }
                }
            }
        }
        let n = buf.len().min(self.chunk.remaining());
        self.chunk.copy_to_slice(&mut buf[..n]);
        Ok(n)
    }
}

/// libgit2 first writes the whole request of an RPC, then reads the answer. A fetch's request
/// (wants and haves) is small: it is held, and POSTed on the first read, so that it can be sent
/// again after a transient server error. A push's pack is streamed into the POST as it is
/// written. Ref discoveries are read only.
enum Stream {
    Writing { rpc: Rpc, request: Vec<u8> },
    Pushing(Push),
    Reading(Reading),
    Failed,
}

impl Stream {
    fn reading(body: Incoming) -> Self {
        Stream::Reading(Reading {
            body: Some(body),
            chunk: Bytes::new(),
        })
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match std::mem::replace(self, Stream::Failed) {
            Stream::Writing { rpc, request } => *self = Stream::reading(rpc.send(&request)?),
            Stream::Pushing(mut push) => *self = Stream::reading(push.finish()?),
            other => *self = other,
        }
        match self {
            Stream::Reading(body) => body.read(buf),
            _ => Err(io::Error::other("the request to the remote failed")),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Writing { request, .. } => {
                request.extend_from_slice(data);
                Ok(data.len())
            }
            Stream::Pushing(push) => push.write(data).map(|()| data.len()),
            _ => Err(io::Error::other(
                "libgit2 wrote to a request that was already sent",
            )),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `Some(true)` for an https URL, `Some(false)` for plain http, `None` for anything this
/// transport does not speak (paths, scp-like addresses, other schemes).
pub(super) fn https_or_http(url: &str) -> Option<bool> {
    match Url::parse(url).ok()?.scheme() {
        "https" => Some(true),
        "http" => Some(false),
        _ => None,
    }
}

/// `url` parsed, if it is an http(s) URL with a host.
fn parse_http(url: &str) -> io::Result<Url> {
    Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| io::Error::other(format!("not an http(s) URL: {}", display_str(url))))
}

/// Where a redirect points, as an absolute URL. Never from https down to plain http.
fn redirect_target(from: &Url, response: &Response) -> io::Result<Url> {
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            io::Error::other(format!(
                "{} answered {} without a Location",
                display_url(from),
                status_text(response.status())
            ))
        })?;
    resolve_redirect(from, location)
}

/// `location` resolved against `from`: an absolute http(s) URL, or an absolute path on the
/// same origin; never a relative path, and never from https down to plain http.
fn resolve_redirect(from: &Url, location: &str) -> io::Result<Url> {
    let not_followed = || {
        io::Error::other(format!(
            "{} redirected to {location:?}, which rerecord does not follow",
            display_url(from)
        ))
    };
    let absolute = match Url::parse(location) {
        Ok(absolute) => absolute,
        Err(url::ParseError::RelativeUrlWithoutBase)
            if location.starts_with('/') && !location.starts_with("//") =>
        {
            from.join(location).map_err(|_| not_followed())?
        }
        Err(_) => return Err(not_followed()),
    };
    let absolute = parse_http(absolute.as_str())?;
    if from.scheme() == "https" && absolute.scheme() != "https" {
        return Err(io::Error::other(format!(
            "{} redirected from https to plain http ({}); refusing",
            display_url(from),
            display_url(&absolute)
        )));
    }
    Ok(absolute)
}

/// A URL for messages: without user info (which could hold a password or token).
pub(super) fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

/// [`display_url`] of a string that may not even be a URL (then it is not shown).
fn display_str(url: &str) -> String {
    Url::parse(url).map_or_else(
        |_| "(a remote that is not a URL)".to_owned(),
        |u| display_url(&u),
    )
}

pub(super) fn status_text(status: StatusCode) -> String {
    format!(
        "HTTP {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .trim_end()
    .to_owned()
}

/// The start of an error answer's body (GitHub explains refusals there: "Permission to … denied"),
/// as printable text.
pub(super) fn quote_body(response: Response) -> String {
    let mut raw = Vec::new();
    let _ = Reading {
        body: Some(response.into_body()),
        chunk: Bytes::new(),
    }
    .take(QUOTED_BODY)
    .read_to_end(&mut raw);
    let text: String = String::from_utf8_lossy(&raw)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

/// Whether a timeout (of the connection or of a single read or write) is in `e`'s chain.
fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::TimedOut)
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// `e` and its causes, as one line.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        next = cause.source();
    }
    text
}

fn transport_error(url: &Url, e: &(dyn std::error::Error + 'static)) -> io::Error {
    let what = if timed_out(e) {
        format!(
            "timed out after {} s waiting for {} (RERECORD_GIT_TIMEOUT)",
            timeout().as_secs_f64(),
            display_url(url)
        )
    } else if let Some(why) = crate::tls::certificate_failure(e) {
        crate::tls::untrusted(&display_url(url), &why)
    } else {
        format!("request to {} failed: {}", display_url(url), chain(e))
    };
    io::Error::other(what)
}

/// An answer's body broke off.
fn read_error(e: &hyper::Error) -> String {
    if timed_out(e) {
        format!(
            "timed out after {} s waiting for the remote (RERECORD_GIT_TIMEOUT)",
            timeout().as_secs_f64()
        )
    } else {
        format!("reading the remote's answer failed: {}", chain(e))
    }
}

fn git_error(e: io::Error) -> git2::Error {
    git2::Error::new(
        git2::ErrorCode::GenericError,
        git2::ErrorClass::Net,
        e.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(line: &str) -> String {
        format!("{:04x}{line}", line.len() + 4)
    }

    #[test]
    fn a_pinned_push_names_the_tip_it_was_built_on_as_the_old_id() {
        let (advertised, new, tip) = ("a".repeat(40), "b".repeat(40), "c".repeat(40));
        let other = format!("{advertised} {new} refs/heads/other\n");
        let ours = format!("{advertised} {new} refs/heads/main\0report-status\n");
        let mut data = format!("{}{}0000PACK", pkt(&other), pkt(&ours)).into_bytes();
        let pin = PinnedOld {
            refname: "refs/heads/main".into(),
            old: git2::Oid::from_str(&tip).unwrap(),
        };
        pin_commands(&mut data, &pin).unwrap();
        let want = format!(
            "{}{}0000PACK",
            pkt(&other),
            pkt(&format!("{tip} {new} refs/heads/main\0report-status\n"))
        );
        assert_eq!(String::from_utf8(data).unwrap(), want);

        let mut elsewhere = format!("{}0000", pkt(&other)).into_bytes();
        assert!(pin_commands(&mut elsewhere, &pin).is_err());
        assert!(pin_commands(&mut b"00".to_vec(), &pin).is_err());
        assert!(pin_commands(&mut b"0fff0000".to_vec(), &pin).is_err());
    }

    fn u(url: &str) -> Url {
        Url::parse(url).unwrap()
    }

    #[test]
    fn urls_in_messages_lose_their_user_info() {
        assert_eq!(
            display_url(&u(
                "https://x-access-token:secret@github.com/o/r.git/info/refs?service=x"
            )),
            "https://github.com/o/r.git/info/refs?service=x"
        );
        assert_eq!(
            display_url(&u("http://127.0.0.1:9/r.git")),
            "http://127.0.0.1:9/r.git"
        );
        assert!(!display_str("https://me:secret@[::1").contains("secret"));
    }

    #[test]
    fn only_http_and_https_are_spoken() {
        assert_eq!(https_or_http("HTTPS://github.com/o/r"), Some(true));
        assert_eq!(https_or_http("http://127.0.0.1/r"), Some(false));
        assert_eq!(https_or_http("git@github.com:o/r.git"), None);
        assert_eq!(https_or_http("ssh://git@github.com/o/r"), None);
        assert!(parse_http("ssh://github.com/o/r").is_err());
    }

    #[test]
    fn the_ref_discovery_url_is_built_and_read_back_through_url() {
        let base = u("https://github.com/o/r.git");
        let discovery = discovery(&base, "git-upload-pack");
        assert_eq!(
            discovery.as_str(),
            "https://github.com/o/r.git/info/refs?service=git-upload-pack"
        );
        assert_eq!(repository_of(&discovery, "git-upload-pack"), Some(base));
        assert_eq!(repository_of(&discovery, "git-receive-pack"), None);
        assert_eq!(
            repository_of(
                &u("https://h/o/r.git/x?service=git-upload-pack"),
                "git-upload-pack"
            ),
            None
        );
        assert_eq!(
            under(&u("http://127.0.0.1:9/a%20b.git"), "git-receive-pack").as_str(),
            "http://127.0.0.1:9/a%20b.git/git-receive-pack"
        );
    }

    #[test]
    fn redirects_resolve_against_the_origin_and_never_downgrade() {
        let from = u("https://github.com/old/name.git/info/refs?service=git-upload-pack");
        assert_eq!(
            resolve_redirect(&from, "/new/name.git/info/refs?service=git-upload-pack")
                .unwrap()
                .as_str(),
            "https://github.com/new/name.git/info/refs?service=git-upload-pack"
        );
        assert_eq!(
            resolve_redirect(&from, "https://elsewhere.example/x")
                .unwrap()
                .as_str(),
            "https://elsewhere.example/x"
        );
        let down = resolve_redirect(&from, "http://github.com/x").unwrap_err();
        assert!(down.to_string().contains("plain http"), "{down}");
        assert!(resolve_redirect(&from, "relative/x").is_err());
        assert!(resolve_redirect(&from, "//elsewhere.example/x").is_err());
        assert!(resolve_redirect(&from, "ssh://github.com/x").is_err());
    }
}
