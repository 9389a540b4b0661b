//! git's smart HTTP protocol for `http://` and `https://` remotes, over ureq and the one rustls
//! set-up of [`crate::tls`], registered with libgit2 in place of its own transport.
//!
//! libgit2 is built without its HTTPS support on purpose: that needs OpenSSL, whose start-up
//! parses the whole CA bundle in every process that opens a repository (about 20 ms: more than
//! all other fixed costs of `rerecord fetch` together), although most commands never talk git
//! over the network. Here TLS is set up by the first https request, the token comes from the
//! operation's [`Grant`] (libgit2's credential callbacks do not reach a custom transport), and
//! every wait on the network is bounded (`RERECORD_GIT_TIMEOUT`).

use std::io::{self, Read, Write};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use git2::transport::{Service, SmartSubtransport, SmartSubtransportStream, Transport};
use ureq::http::{Response, StatusCode, header};
use ureq::{Agent, Body};

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

/// One agent per scheme for the whole process (its connections are kept alive between the
/// requests of an operation). The https agent is the only one that loads the root certificates.
fn agent(https: bool) -> io::Result<&'static Agent> {
    static PLAIN: OnceLock<Agent> = OnceLock::new();
    static TLS: OnceLock<Result<Agent, String>> = OnceLock::new();
    if !https {
        return Ok(PLAIN.get_or_init(|| build_agent(None)));
    }
    TLS.get_or_init(|| {
        let roots = crate::tls::roots().map_err(|e| format!("{e:#}"))?;
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(crate::tls::provider())
            .root_certs(ureq::tls::RootCerts::new_with_certs(
                &roots
                    .iter()
                    .map(|c| ureq::tls::Certificate::from_der(c.as_ref()))
                    .collect::<Vec<_>>(),
            ))
            .build();
        Ok(build_agent(Some(tls)))
    })
    .as_ref()
    .map_err(|e| io::Error::other(e.clone()))
}

fn build_agent(tls: Option<ureq::tls::TlsConfig>) -> Agent {
    let wait = Some(timeout());
    let mut config = Agent::config_builder()
        .http_status_as_error(false)
        // Redirects are followed by hand: only the ref discovery may be redirected, and the
        // requests after it must go to the same new place.
        .max_redirects(0)
        .user_agent(concat!(
            "git/2.0 (rerecord/",
            env!("CARGO_PKG_VERSION"),
            ")"
        ))
        .timeout_connect(wait)
        .timeout_per_read(wait)
        .timeout_per_write(wait);
    config = match tls {
        Some(tls) => config.tls_config(tls).proxy(crate::proxy::for_https()),
        // Plain http carries the token only to this machine; through a proxy it would cross
        // the network in clear text, so plain http never takes the environment's proxy.
        None => config.proxy(None),
    };
    config.build().into()
}

/// The transport of one remote for one operation.
struct Subtransport {
    grant: Option<Arc<Grant>>,
    /// The old id a push must name for its ref, whatever the server advertised (see [`pin_old`]).
    pinned: Option<PinnedOld>,
    /// The repository's URL after a redirect of the ref discovery.
    redirected: Mutex<Option<String>>,
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

    fn base<'a>(&self, url: &'a str) -> std::borrow::Cow<'a, str> {
        match &*self.redirected.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(base) => base.clone().into(),
            None => url.trim_end_matches('/').into(),
        }
    }

    /// `GET BASE/info/refs?service=SERVICE`, following redirects to the same path elsewhere.
    fn discover(&self, url: &str, service: &'static str) -> io::Result<Body> {
        let suffix = format!("/info/refs?service={service}");
        let mut base = self.base(url).into_owned();
        for _ in 0..=MAX_REDIRECTS {
            let target = format!("{base}{suffix}");
            let (response, sent) = with_retries(|| {
                let request = agent(is_https(&target)?)?
                    .get(&target)
                    .header(header::ACCEPT, "*/*");
                let (request, sent) = authorize(request, self.grant.as_deref(), &target);
                let response = request.call().map_err(|e| transport_error(&target, e))?;
                Ok((response, sent))
            })?;
            if response.status().is_redirection() {
                let next = redirect_target(&target, &response)?;
                base = next
                    .strip_suffix(&suffix)
                    .ok_or_else(|| {
                        io::Error::other(format!(
                            "{} redirected the ref discovery to {}, which is not a git repository's address",
                            display_url(&target),
                            display_url(&next)
                        ))
                    })?
                    .to_owned();
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
            if base != url.trim_end_matches('/') {
                *self.redirected.lock().unwrap_or_else(|p| p.into_inner()) = Some(base);
            }
            return Ok(body);
        }
        Err(io::Error::other(format!(
            "{} redirected more than {MAX_REDIRECTS} times",
            display_url(&format!("{}{suffix}", self.base(url)))
        )))
    }
}

/// Run `call` until it answers something other than a transient 5xx, at most [`ATTEMPTS`]
/// times; the last answer is returned whatever it is.
fn with_retries<T>(
    mut call: impl FnMut() -> io::Result<(Response<Body>, T)>,
) -> io::Result<(Response<Body>, T)> {
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

/// `request` with the grant's token when it may go to `url`, and whether it does.
fn authorize<B>(
    request: ureq::RequestBuilder<B>,
    grant: Option<&Grant>,
    url: &str,
) -> (ureq::RequestBuilder<B>, bool) {
    match grant.and_then(|g| g.authorization(url)) {
        Some(auth) => (request.header(header::AUTHORIZATION, auth), true),
        None => (request, false),
    }
}

/// The body of a successful smart-protocol answer, or an error saying what went wrong.
fn accept(
    grant: Option<&Grant>,
    url: &str,
    response: Response<Body>,
    sent: bool,
    service: &str,
    kind: &str,
) -> io::Result<Body> {
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
            Service::UploadPackLs => Stream::Reading(
                self.discover(url, "git-upload-pack")
                    .map_err(git_error)?
                    .into_reader(),
            ),
            Service::ReceivePackLs => Stream::Reading(
                self.discover(url, "git-receive-pack")
                    .map_err(git_error)?
                    .into_reader(),
            ),
            Service::UploadPack => self.pending(url, "git-upload-pack"),
            Service::ReceivePack => Stream::Pushing(Push::new(
                self.rpc(url, "git-receive-pack"),
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
    fn rpc(&self, url: &str, service: &'static str) -> Rpc {
        Rpc {
            base: self.base(url).into_owned(),
            service,
            grant: self.grant.clone(),
        }
    }

    fn pending(&self, url: &str, service: &'static str) -> Stream {
        Stream::Writing {
            rpc: self.rpc(url, service),
            request: Vec::new(),
        }
    }
}

/// What a POST needs once libgit2 has written its request.
struct Rpc {
    base: String,
    service: &'static str,
    grant: Option<Arc<Grant>>,
}

impl Rpc {
    fn target(&self) -> String {
        format!("{}/{}", self.base, self.service)
    }

    fn post(
        &self,
        target: &str,
    ) -> io::Result<(ureq::RequestBuilder<ureq::typestate::WithBody>, bool)> {
        let post = agent(is_https(target)?)?
            .post(target)
            .header(
                header::CONTENT_TYPE,
                format!("application/x-{}-request", self.service),
            )
            .header(
                header::ACCEPT,
                format!("application/x-{}-result", self.service),
            );
        Ok(authorize(post, self.grant.as_deref(), target))
    }

    /// `POST BASE/SERVICE` with the request libgit2 wrote (a fetch negotiation: small, and safe
    /// to send again after a transient 5xx).
    fn send(self, request: &[u8]) -> io::Result<Body> {
        let target = self.target();
        let (response, sent) = with_retries(|| {
            let (post, sent) = self.post(&target)?;
            let response = post
                .send(request)
                .map_err(|e| transport_error(&target, e))?;
            Ok((response, sent))
        })?;
        accept(
            self.grant.as_deref(),
            &target,
            response,
            sent,
            self.service,
            "result",
        )
    }

    /// Start `POST BASE/git-receive-pack` with a body that is streamed (chunked) as libgit2
    /// writes the pack, so a push holds a few chunks in memory, not the whole pack.
    fn stream(self) -> (SyncSender<Vec<u8>>, JoinHandle<io::Result<Body>>) {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(PUSH_CHUNKS_IN_FLIGHT);
        let post = std::thread::spawn(move || {
            let target = self.target();
            let (post, sent) = self.post(&target)?;
            let response = post
                .send(ureq::SendBody::from_owned_reader(Chunks::new(rx)))
                .map_err(|e| unknown_outcome(transport_error(&target, e)))?;
            if transient(response.status()) {
                let quoted = quote_body(response);
                return Err(unknown_outcome(io::Error::other(format!(
                    "{} answered a server error{quoted}",
                    display_url(&target)
                ))));
            }
            accept(
                self.grant.as_deref(),
                &target,
                response,
                sent,
                self.service,
                "result",
            )
        });
        (tx, post)
    }
}

fn unknown_outcome(e: io::Error) -> io::Error {
    io::Error::other(format!("{PUSH_OUTCOME_UNKNOWN}: {e}"))
}

/// The streamed request body: the chunks libgit2 writes, until it starts reading the answer.
struct Chunks {
    rx: std::sync::mpsc::Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Chunks {
    fn new(rx: std::sync::mpsc::Receiver<Vec<u8>>) -> Self {
        Self {
            rx,
            chunk: Vec::new(),
            at: 0,
        }
    }
}

impl Read for Chunks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.rx.recv() {
                Ok(chunk) => (self.chunk, self.at) = (chunk, 0),
                // The writer is done: end of the body.
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A push's request: started by libgit2's first write, its body fed by the writes that follow.
struct Push {
    pending: Option<Rpc>,
    /// Applied to the first write (the commands), then gone.
    pinned: Option<PinnedOld>,
    tx: Option<SyncSender<Vec<u8>>>,
    post: Option<JoinHandle<io::Result<Body>>>,
}

impl Push {
    fn new(rpc: Rpc, pinned: Option<PinnedOld>) -> Self {
        Self {
            pending: Some(rpc),
            pinned,
            tx: None,
            post: None,
        }
    }

    fn start(&mut self) {
        if let Some(rpc) = self.pending.take() {
            let (tx, post) = rpc.stream();
            (self.tx, self.post) = (Some(tx), Some(post));
        }
    }

    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        let mut data = data.to_vec();
        if let Some(pin) = self.pinned.take() {
            // Before the request starts: a refusal here sends nothing.
            pin_commands(&mut data, &pin)?;
        }
        self.start();
        if self.tx.as_ref().is_some_and(|tx| tx.send(data).is_ok()) {
            return Ok(());
        }
        // The request ended early (refused, or the connection failed): say why.
        Err(self
            .finish()
            .err()
            .unwrap_or_else(|| io::Error::other("the push request ended before the pack was sent")))
    }

    /// End the body and wait for the answer.
    fn finish(&mut self) -> io::Result<Body> {
        self.start();
        drop(self.tx.take());
        match self.post.take().map(JoinHandle::join) {
            Some(Ok(answer)) => answer,
            Some(Err(_)) => Err(io::Error::other("the push request panicked")),
            None => Err(io::Error::other("the push request already failed")),
        }
    }
}

/// libgit2 first writes the whole request of an RPC, then reads the answer. A fetch's request
/// (wants and haves) is small: it is held, and POSTed on the first read, so that it can be sent
/// again after a transient server error. A push's pack is streamed into the POST as it is
/// written. Ref discoveries are read only.
enum Stream {
    Writing { rpc: Rpc, request: Vec<u8> },
    Pushing(Push),
    Reading(ureq::BodyReader<'static>),
    Failed,
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match std::mem::replace(self, Stream::Failed) {
            Stream::Writing { rpc, request } => {
                *self = Stream::Reading(rpc.send(&request)?.into_reader());
            }
            Stream::Pushing(mut push) => *self = Stream::Reading(push.finish()?.into_reader()),
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
/// transport does not speak.
pub(super) fn https_or_http(url: &str) -> Option<bool> {
    match url.split_once("://")?.0.to_ascii_lowercase().as_str() {
        "https" => Some(true),
        "http" => Some(false),
        _ => None,
    }
}

fn is_https(url: &str) -> io::Result<bool> {
    https_or_http(url)
        .ok_or_else(|| io::Error::other(format!("not an http(s) URL: {}", display_url(url))))
}

/// Where a redirect points, as an absolute URL. Never from https down to plain http.
fn redirect_target(from: &str, response: &Response<Body>) -> io::Result<String> {
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
    let absolute = if location.contains("://") {
        location.to_owned()
    } else if location.starts_with('/') && !location.starts_with("//") {
        let origin = credentials::host_of(from).unwrap_or_default();
        format!("{origin}{location}")
    } else {
        return Err(io::Error::other(format!(
            "{} redirected to {location:?}, which rerecord does not follow",
            display_url(from)
        )));
    };
    if is_https(from)? && !is_https(&absolute)? {
        return Err(io::Error::other(format!(
            "{} redirected from https to plain http ({}); refusing",
            display_url(from),
            display_url(&absolute)
        )));
    }
    Ok(absolute)
}

/// A URL for messages: without user info (which could hold a password or token).
fn display_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let host = authority.rsplit('@').next().unwrap_or(authority);
    format!("{scheme}://{host}{path}")
}

fn status_text(status: StatusCode) -> String {
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
fn quote_body(response: Response<Body>) -> String {
    let mut raw = Vec::new();
    let _ = response
        .into_body()
        .into_reader()
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

fn transport_error(url: &str, e: ureq::Error) -> io::Error {
    // ureq's error has no `source()`: its TLS failures sit in these two variants.
    let cause: Option<&(dyn std::error::Error + 'static)> = match &e {
        ureq::Error::Io(io) => Some(io),
        ureq::Error::Rustls(tls) => Some(tls),
        _ => None,
    };
    let timed_out = match &e {
        ureq::Error::Timeout(_) => true,
        ureq::Error::Io(io) => io.kind() == io::ErrorKind::TimedOut,
        _ => false,
    };
    let what = if timed_out {
        format!(
            "timed out after {} s waiting for {} (RERECORD_GIT_TIMEOUT)",
            timeout().as_secs_f64(),
            display_url(url)
        )
    } else if let Some(why) = cause.and_then(crate::tls::certificate_failure) {
        crate::tls::untrusted(&display_url(url), &why)
    } else {
        format!("request to {} failed: {e}", display_url(url))
    };
    io::Error::other(what)
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

    #[test]
    fn urls_in_messages_lose_their_user_info() {
        assert_eq!(
            display_url("https://x-access-token:secret@github.com/o/r.git/info/refs?service=x"),
            "https://github.com/o/r.git/info/refs?service=x"
        );
        assert_eq!(
            display_url("http://127.0.0.1:9/r.git"),
            "http://127.0.0.1:9/r.git"
        );
    }

    #[test]
    fn only_http_and_https_are_spoken() {
        assert!(is_https("HTTPS://github.com/o/r").unwrap());
        assert!(!is_https("http://127.0.0.1/r").unwrap());
        assert!(is_https("ssh://github.com/o/r").is_err());
        assert_eq!(https_or_http("git@github.com:o/r.git"), None);
        assert_eq!(https_or_http("ssh://git@github.com/o/r"), None);
    }

    fn redirect(location: &str) -> Response<Body> {
        Response::builder()
            .status(301)
            .header(header::LOCATION, location)
            .body(Body::builder().data(""))
            .unwrap()
    }

    #[test]
    fn redirects_resolve_against_the_origin_and_never_downgrade() {
        let from = "https://github.com/old/name.git/info/refs?service=git-upload-pack";
        assert_eq!(
            redirect_target(
                from,
                &redirect("/new/name.git/info/refs?service=git-upload-pack")
            )
            .unwrap(),
            "https://github.com/new/name.git/info/refs?service=git-upload-pack"
        );
        assert_eq!(
            redirect_target(from, &redirect("https://elsewhere.example/x")).unwrap(),
            "https://elsewhere.example/x"
        );
        let down = redirect_target(from, &redirect("http://github.com/x")).unwrap_err();
        assert!(down.to_string().contains("plain http"), "{down}");
        assert!(redirect_target(from, &redirect("relative/x")).is_err());
    }
}
