//! The Git LFS server of [`HttpGit`](super::HttpGit): the batch API at
//! `/REPO.git/info/lfs/objects/batch` on the git host (behind the git host's basic auth), and
//! the object storage on a listener of its own (another origin, as GitHub's storage host is):
//! `PUT`/`GET /objects/OID` and `POST /verify/OID`, each requiring the ticket header the batch
//! answer gave. Storage requests are logged with all their headers, so a test can check that
//! no token reached the storage. One object store for all repositories.

use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::HttpRequest;

/// The header the storage requires, with this value, on every request.
pub const TICKET_HEADER: &str = "X-Storage-Ticket";
const TICKET: &str = "ticket-from-the-batch-answer";
const MEDIA_TYPE: &str = "application/vnd.git-lfs+json";

/// The objects and the storage's request log.
#[derive(Clone)]
pub struct LfsStore {
    storage: String,
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    objects: Mutex<HashMap<String, Vec<u8>>>,
    /// `METHOD TARGET` then `name: value` of every header, one line per request.
    storage_log: Mutex<Vec<String>>,
    chunked: Mutex<Vec<String>>,
    /// Batch requests: the operation and the oids asked about.
    batches: Mutex<Vec<Value>>,
    /// Answer every object of an upload with this error (code, message).
    refusal: Mutex<Option<(u16, String)>>,
}

impl LfsStore {
    /// Start the storage listener (plain http, or https with `tls`).
    pub(super) fn start(scheme: &str, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let store = Self {
            storage: format!("{scheme}://127.0.0.1:{port}"),
            inner: Arc::default(),
        };
        let server = store.clone();
        super::serve_each(listener, tls, move |stream| server.serve_storage(stream));
        store
    }

    /// `SCHEME://127.0.0.1:PORT` of the storage (not the git host's origin).
    pub fn storage_origin(&self) -> &str {
        &self.storage
    }

    /// The content stored under `oid`.
    pub fn object(&self, oid: &str) -> Option<Vec<u8>> {
        self.inner.objects.lock().unwrap().get(oid).cloned()
    }

    /// Store `content` as if uploaded earlier; returns its oid.
    pub fn put(&self, content: &[u8]) -> String {
        let oid = hex(content);
        self.inner
            .objects
            .lock()
            .unwrap()
            .insert(oid.clone(), content.to_vec());
        oid
    }

    /// Every storage request: `METHOD TARGET` and then its headers, one line each.
    pub fn storage_requests(&self) -> Vec<String> {
        self.inner.storage_log.lock().unwrap().clone()
    }

    /// The storage requests whose line starts with `prefix` (e.g. `PUT /objects/`).
    pub fn storage_count(&self, prefix: &str) -> usize {
        self.storage_requests()
            .iter()
            .filter(|r| r.starts_with(prefix))
            .count()
    }

    /// Answer each object of every later upload batch with the error `code` and `message`
    /// (a 200 answer whose objects carry errors, as for a quota per object).
    pub fn refuse_uploads(&self, code: u16, message: &str) {
        *self.inner.refusal.lock().unwrap() = Some((code, message.to_owned()));
    }

    /// The batch requests' bodies, in order.
    pub fn batches(&self) -> Vec<Value> {
        self.inner.batches.lock().unwrap().clone()
    }

    /// Answer a batch request (already authorised by the git host).
    pub(super) fn batch(&self, out: &mut impl Write, req: &HttpRequest) -> std::io::Result<()> {
        let (path, _) = req.path_query();
        let accepts = req.header("accept").is_some_and(|a| a.contains(MEDIA_TYPE));
        if req.method != "POST" || !path.ends_with("/info/lfs/objects/batch") || !accepts {
            return respond(
                out,
                "404 Not Found",
                "text/plain",
                b"not an LFS batch request\n",
            );
        }
        let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
            return respond(
                out,
                "400 Bad Request",
                MEDIA_TYPE,
                br#"{"message":"bad JSON"}"#,
            );
        };
        self.inner.batches.lock().unwrap().push(body.clone());
        let operation = body["operation"].as_str().unwrap_or_default();
        let objects: Vec<Value> = body["objects"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|o| self.answer_object(operation, o))
            .collect();
        let answer = json!({"transfer": "basic", "objects": objects, "hash_algo": "sha256"});
        respond(out, "200 OK", MEDIA_TYPE, answer.to_string().as_bytes())
    }

    fn answer_object(&self, operation: &str, object: &Value) -> Value {
        let oid = object["oid"].as_str().unwrap_or_default().to_owned();
        let size = object["size"].as_u64().unwrap_or_default();
        let held = self.object(&oid).is_some_and(|c| c.len() as u64 == size);
        let action = |path: &str| json!({"href": format!("{}/{path}/{oid}", self.storage), "header": {TICKET_HEADER: TICKET}, "expires_in": 3600});
        if let (Some((code, message)), "upload") = (&*self.inner.refusal.lock().unwrap(), operation)
        {
            return json!({"oid": oid, "size": size, "error": {"code": code, "message": message}});
        }
        match (operation, held) {
            ("upload", true) => json!({"oid": oid, "size": size}),
            ("upload", false) => json!({"oid": oid, "size": size, "authenticated": true,
                "actions": {"upload": action("objects"), "verify": action("verify")}}),
            ("download", true) => json!({"oid": oid, "size": size, "authenticated": true,
                "actions": {"download": action("objects")}}),
            _ => json!({"oid": oid, "size": size,
                "error": {"code": 404, "message": "Object does not exist"}}),
        }
    }

    fn serve_storage(&self, stream: impl Read + Write) -> std::io::Result<()> {
        let mut reader = BufReader::new(stream);
        let log = Mutex::new(Vec::new());
        let req = super::read_logged(&mut reader, &log, &self.inner.chunked)?;
        let mut line = format!("{} {}", req.method, req.target);
        for (k, v) in &req.headers {
            line.push_str(&format!("\n{k}: {v}"));
        }
        self.inner.storage_log.lock().unwrap().push(line);
        let out = reader.get_mut();
        if req.header(&TICKET_HEADER.to_ascii_lowercase()).as_deref() != Some(TICKET) {
            return respond(out, "403 Forbidden", "text/plain", b"no ticket\n");
        }
        let (path, _) = req.path_query();
        let (kind, oid) = path
            .trim_start_matches('/')
            .split_once('/')
            .unwrap_or(("", ""));
        match (req.method.as_str(), kind) {
            ("PUT", "objects") if hex(&req.body) == oid => {
                let mut objects = self.inner.objects.lock().unwrap();
                objects.insert(oid.to_owned(), req.body.clone());
                respond(out, "200 OK", "text/plain", b"")
            }
            ("PUT", "objects") => respond(out, "422 Unprocessable", "text/plain", b"bad oid\n"),
            ("GET", "objects") => match self.object(oid) {
                Some(content) => respond(out, "200 OK", "application/octet-stream", &content),
                None => respond(out, "404 Not Found", "text/plain", b"no such object\n"),
            },
            ("POST", "verify") => {
                let asked: Value = serde_json::from_slice(&req.body).unwrap_or_default();
                let held = self.object(oid).map(|c| c.len() as u64);
                if asked["oid"] == oid && held.is_some() && asked["size"].as_u64() == held {
                    respond(out, "200 OK", MEDIA_TYPE, b"{}")
                } else {
                    respond(
                        out,
                        "404 Not Found",
                        MEDIA_TYPE,
                        br#"{"message":"not stored"}"#,
                    )
                }
            }
            _ => respond(out, "405 Method Not Allowed", "text/plain", b""),
        }
    }
}

fn hex(content: &[u8]) -> String {
    format!("{:x}", Sha256::digest(content))
}

fn respond(
    out: &mut impl Write,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(body)?;
    out.flush()
}
