//! A small smart-HTTP git server for tests: `git http-backend` as a CGI behind a std HTTP/1.1
//! server on 127.0.0.1:0, requiring basic auth as `x-access-token` + a given token (401 with
//! `WWW-Authenticate` otherwise), like GitHub does for pushes with an Actions token. It speaks
//! plain http, or https with a certificate from `TestCa`, and can redirect a path prefix
//! elsewhere (as GitHub does for a renamed repository).
//!
//! One thread per connection, one request per connection (`Connection: close`); request bodies
//! with `Content-Length` or chunked encoding. It records every request line and the user names
//! presented, so tests can check what the client sent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use base64::Engine;

use super::tls::TestCa;

/// A running server; it lives until the test process ends.
pub struct HttpGit {
    pub port: u16,
    scheme: &'static str,
    shared: Arc<Shared>,
}

#[path = "http_lfs.rs"]
mod lfs;
pub use lfs::LfsStore;

struct Fault {
    part: String,
    status: u16,
    left: usize,
    /// Let git handle the request first (a push that lands but whose answer is lost).
    after: bool,
}

struct Shared {
    root: PathBuf,
    token: String,
    log: Mutex<Vec<String>>,
    /// Path prefix -> the URL it is redirected to (the rest of the path and query appended).
    redirects: Mutex<Vec<(String, String)>>,
    /// Requests whose target contains a part, answered with a status instead of git's answer.
    faults: Mutex<Vec<Fault>>,
    /// Appended to every Content-Type git answers with, e.g. `; charset=utf-8`.
    content_type_params: Mutex<String>,
    /// (request line, bytes of the response body) for every request answered.
    sent: Mutex<Vec<(String, usize)>>,
    /// Request lines whose body came chunked (streamed, no Content-Length).
    chunked: Mutex<Vec<String>>,
    /// Further tokens: each may fetch anything and push only below its path prefix.
    grants: Mutex<Vec<(String, String)>>,
    /// Run once, before git handles the first request whose target contains the part.
    hooks: Mutex<Vec<(String, Hook)>>,
    /// The Git LFS server of every repository (`/REPO.git/info/lfs/...`), its storage on
    /// another port.
    lfs: LfsStore,
}

type Hook = Box<dyn FnOnce() + Send>;

/// A connection a server reads requests from and writes answers to: TCP, or TLS over it.
trait Conn: Read + Write {}

impl<T: Read + Write> Conn for T {}

/// Answers every connection to `listener` with `serve`, each on a thread of its own: over TLS
/// with `tls` when given (closing the session after a good answer), else in plain text.
fn serve_each<F>(listener: TcpListener, tls: Option<Arc<rustls::ServerConfig>>, serve: F)
where
    F: Fn(&mut dyn Conn) -> std::io::Result<()> + Send + Sync + 'static,
{
    let serve = Arc::new(serve);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let (serve, tls) = (serve.clone(), tls.clone());
            std::thread::spawn(move || match tls {
                None => {
                    let _ = serve(&mut stream);
                }
                Some(config) => {
                    let Ok(conn) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    let mut tls = rustls::StreamOwned::new(conn, stream);
                    if serve(&mut tls).is_ok() {
                        tls.conn.send_close_notify();
                        let _ = tls.flush();
                    }
                }
            });
        }
    });
}

impl HttpGit {
    /// Serve every repository under `root` (e.g. `root/remote.git` at `/remote.git`).
    pub fn start(root: &Path, token: &str) -> Self {
        Self::listen(root, token, None)
    }

    /// The same over https, with a certificate for 127.0.0.1 signed by `ca`.
    pub fn start_tls(root: &Path, token: &str, ca: &TestCa) -> Self {
        Self::listen(root, token, Some(ca.server_config()))
    }

    fn listen(root: &Path, token: &str, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let lfs = LfsStore::start(scheme, tls.clone());
        let shared = Arc::new(Shared {
            root: root.to_path_buf(),
            token: token.to_owned(),
            log: Mutex::new(Vec::new()),
            redirects: Mutex::new(Vec::new()),
            faults: Mutex::new(Vec::new()),
            content_type_params: Mutex::new(String::new()),
            sent: Mutex::new(Vec::new()),
            chunked: Mutex::new(Vec::new()),
            grants: Mutex::new(Vec::new()),
            hooks: Mutex::new(Vec::new()),
            lfs,
        });
        let server = shared.clone();
        serve_each(listener, tls, move |stream| serve(stream, &server));
        Self {
            port,
            scheme,
            shared,
        }
    }

    /// `SCHEME://127.0.0.1:PORT/NAME`.
    pub fn url(&self, name: &str) -> String {
        format!("{}://127.0.0.1:{}/{name}", self.scheme, self.port)
    }

    /// Answer requests under `/FROM` with `301 Location: TO` + the rest of the path and query.
    pub fn redirect(&self, from: &str, to: &str) {
        self.shared
            .redirects
            .lock()
            .unwrap()
            .push((format!("/{from}"), to.to_owned()));
    }

    /// Answer the next `times` requests whose line (`METHOD TARGET`) contains `part` with `status` (after
    /// reading their body), as a proxy losing its backend does.
    pub fn fail_next(&self, part: &str, status: u16, times: usize) {
        self.add_fault(part, status, times, false);
    }

    /// Like [`fail_next`](Self::fail_next), but git handles each request first: its effect
    /// happens and its answer is lost.
    pub fn lose_answer_of_next(&self, part: &str, status: u16, times: usize) {
        self.add_fault(part, status, times, true);
    }

    fn add_fault(&self, part: &str, status: u16, left: usize, after: bool) {
        self.shared.faults.lock().unwrap().push(Fault {
            part: part.to_owned(),
            status,
            left,
            after,
        });
    }

    /// Append `params` (e.g. `; charset=utf-8`) to the Content-Type of git's answers.
    pub fn content_type_params(&self, params: &str) {
        *self.shared.content_type_params.lock().unwrap() = params.to_owned();
    }

    /// Bytes of response bodies sent so far for requests whose line contains `part`.
    pub fn bytes_sent(&self, part: &str) -> usize {
        self.shared
            .sent
            .lock()
            .unwrap()
            .iter()
            .filter(|(line, _)| line.contains(part))
            .map(|(_, n)| n)
            .sum()
    }

    /// Request lines (`METHOD TARGET`) whose body was sent chunked.
    pub fn chunked_requests(&self) -> Vec<String> {
        self.shared.chunked.lock().unwrap().clone()
    }

    /// Also accept `token`, for fetches anywhere and pushes only under `/PUSH_PREFIX` (a job's
    /// token: it reads public repositories, and writes only its own).
    pub fn grant(&self, token: &str, push_prefix: &str) {
        self.shared
            .grants
            .lock()
            .unwrap()
            .push((token.to_owned(), format!("/{push_prefix}")));
    }

    /// Request lines seen so far, each followed by ` user=NAME` when basic auth was sent.
    /// Run `hook` once, before git handles the next request whose target contains `part`
    /// (e.g. someone force-pushing between a client's fetch and its push).
    pub fn before_next(&self, part: &str, hook: impl FnOnce() + Send + 'static) {
        self.shared
            .hooks
            .lock()
            .unwrap()
            .push((part.to_owned(), Box::new(hook)));
    }

    pub fn requests(&self) -> Vec<String> {
        self.shared.log.lock().unwrap().clone()
    }

    /// The pushes to `repo` (`POST /REPO.git/git-receive-pack`) as [`requests`](Self::requests)
    /// logs them: ending in ` user=NAME` when they carried credentials.
    pub fn pushes(&self, repo: &str) -> Vec<String> {
        let push = format!("POST /{repo}.git/git-receive-pack");
        let requests = self.requests().into_iter();
        requests.filter(|r| r.starts_with(&push)).collect()
    }

    /// The LFS server behind every repository (objects, storage requests).
    pub fn lfs(&self) -> &LfsStore {
        &self.shared.lfs
    }
}

/// One parsed request: its line's parts, headers (names lower-cased), basic-auth user and body.
struct HttpRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    user: Option<(String, String)>,
    body: Vec<u8>,
}

impl HttpRequest {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// The path and the query of the target.
    fn path_query(&self) -> (&str, &str) {
        self.target.split_once('?').unwrap_or((&self.target, ""))
    }
}

fn serve(stream: impl Read + Write, shared: &Shared) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let req = read_request(&mut reader, shared)?;
    let out = reader.get_mut();
    let request = format!("{} {}", req.method, req.target);
    if let Some(hook) = take_hook(shared, &request) {
        hook();
    }
    let fault = take_fault(shared, &request);
    if let Some((status, false)) = fault {
        return server_error(out, status);
    }
    if let Some(location) = redirect(shared, &req.target) {
        write!(
            out,
            "HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?;
        return out.flush();
    }
    if !authorized(shared, &req) {
        let msg = "authentication required\n";
        write!(
            out,
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{msg}",
            msg.len()
        )?;
        return out.flush();
    }
    if req.path_query().0.contains("/info/lfs/") {
        return shared.lfs.batch(out, &req);
    }
    let raw = http_backend(shared, req)?;
    if let Some((status, true)) = fault {
        return server_error(out, status);
    }
    answer(out, shared, request, &raw)
}

/// Reads the request line, headers and body, and logs the request (with the user presented).
fn read_request(reader: &mut impl BufRead, shared: &Shared) -> std::io::Result<HttpRequest> {
    read_logged(reader, &shared.log, &shared.chunked)
}

/// [`read_request`] into the given request logs.
fn read_logged(
    reader: &mut impl BufRead,
    log: &Mutex<Vec<String>>,
    chunked: &Mutex<Vec<String>>,
) -> std::io::Result<HttpRequest> {
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end().to_owned();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let mut parts = request_line.split_whitespace();
    let mut req = HttpRequest {
        method: parts.next().unwrap_or("GET").to_owned(),
        target: parts.next().unwrap_or("/").to_owned(),
        headers,
        user: None,
        body: Vec::new(),
    };
    req.user = basic_user(req.header("authorization"));
    let (method, target) = (&req.method, &req.target);
    log.lock().unwrap().push(match &req.user {
        Some((u, _)) => format!("{method} {target} user={u}"),
        None => format!("{method} {target}"),
    });
    req.body = match (
        req.header("content-length"),
        req.header("transfer-encoding"),
    ) {
        (_, Some(te)) if te.eq_ignore_ascii_case("chunked") => {
            chunked.lock().unwrap().push(format!("{method} {target}"));
            read_chunked(reader)?
        }
        (Some(len), _) => {
            let mut buf = vec![0; len.parse().unwrap_or(0)];
            reader.read_exact(&mut buf)?;
            buf
        }
        _ => Vec::new(),
    };
    Ok(req)
}

/// The user and password of a `Basic` authorization header.
fn basic_user(authorization: Option<String>) -> Option<(String, String)> {
    authorization
        .and_then(|v| v.strip_prefix("Basic ").map(str::to_owned))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| s.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned())))
}

/// The first hook whose part the request contains (taken: it runs once).
fn take_hook(shared: &Shared, request: &str) -> Option<Hook> {
    let mut hooks = shared.hooks.lock().unwrap();
    let at = hooks
        .iter()
        .position(|(part, _)| request.contains(part.as_str()));
    at.map(|i| hooks.remove(i).1)
}

/// The status and timing of the first fault left for the request (one use of it).
fn take_fault(shared: &Shared, request: &str) -> Option<(u16, bool)> {
    let mut faults = shared.faults.lock().unwrap();
    let hit = faults
        .iter_mut()
        .find(|f| f.left > 0 && request.contains(f.part.as_str()));
    hit.map(|f| {
        f.left -= 1;
        (f.status, f.after)
    })
}

/// Where a redirected path prefix sends the target.
fn redirect(shared: &Shared, target: &str) -> Option<String> {
    shared
        .redirects
        .lock()
        .unwrap()
        .iter()
        .find_map(|(from, to)| {
            target
                .strip_prefix(from.as_str())
                .map(|rest| format!("{to}{rest}"))
        })
}

/// `x-access-token` with the server's token, or with a granted token (a push only below its
/// prefix).
fn authorized(shared: &Shared, req: &HttpRequest) -> bool {
    let push = req.target.contains("git-receive-pack");
    let (path, _) = req.path_query();
    let granted = |p: &str| {
        shared
            .grants
            .lock()
            .unwrap()
            .iter()
            .any(|(t, prefix)| t == p && (!push || path.starts_with(prefix.as_str())))
    };
    matches!(&req.user, Some((u, p)) if u == "x-access-token" && (p == shared.token.as_str() || granted(p)))
}

/// Runs `git http-backend` on the request and returns its raw CGI output.
fn http_backend(shared: &Shared, req: HttpRequest) -> std::io::Result<Vec<u8>> {
    let (path, query) = req.path_query();
    let mut cgi = Command::new("git");
    cgi.arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_PROJECT_ROOT", &shared.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &req.method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("REMOTE_USER", "x-access-token")
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("CONTENT_LENGTH", req.body.len().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(ct) = req.header("content-type") {
        cgi.env("CONTENT_TYPE", ct);
    }
    if let Some(enc) = req.header("content-encoding") {
        cgi.env("HTTP_CONTENT_ENCODING", enc);
    }
    if let Some(proto) = req.header("git-protocol") {
        cgi.env("GIT_PROTOCOL", proto);
    }
    let mut child = cgi.spawn()?;
    let mut stdin = child.stdin.take().unwrap();
    let body = req.body;
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let mut raw = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut raw)?;
    let _ = writer.join();
    let _ = child.wait();
    Ok(raw)
}

/// Turns the CGI output into the HTTP response (with the configured Content-Type parameters)
/// and records its body size.
fn answer(
    out: &mut impl Write,
    shared: &Shared,
    request: String,
    raw: &[u8],
) -> std::io::Result<()> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let (head, body) = match split {
        Some((i, n)) => (
            String::from_utf8_lossy(&raw[..i]).into_owned(),
            &raw[i + n..],
        ),
        None => (String::new(), raw),
    };
    let mut status = "200 OK".to_owned();
    let mut response_headers = String::new();
    for line in head.lines() {
        if let Some(s) = line.strip_prefix("Status:") {
            status = s.trim().to_owned();
        } else if !line.trim().is_empty() {
            response_headers.push_str(line.trim_end());
            if line.to_ascii_lowercase().starts_with("content-type:") {
                response_headers.push_str(&shared.content_type_params.lock().unwrap());
            }
            response_headers.push_str("\r\n");
        }
    }
    shared.sent.lock().unwrap().push((request, body.len()));
    write!(
        out,
        "HTTP/1.1 {status}\r\n{response_headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(body)?;
    out.flush()
}

fn server_error(out: &mut impl Write, status: u16) -> std::io::Result<()> {
    let msg = "upstream went away\n";
    write!(
        out,
        "HTTP/1.1 {status} Server Error\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{msg}",
        msg.len()
    )?;
    out.flush()
}

fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line)?;
        let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
            .unwrap_or(0);
        if size == 0 {
            let mut trailer = String::new();
            while reader.read_line(&mut trailer)? > 2 {
                trailer.clear();
            }
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf)?;
    }
}
