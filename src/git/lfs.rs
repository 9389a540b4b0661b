//! Git LFS for recordings the branch tracks with `filter=lfs`: what git with git-lfs would do,
//! without running git-lfs (or any other program the PR could have put in place).
//!
//! - The commit stores a pointer blob (`version https://git-lfs.github.com/spec/v1`, `oid
//!   sha256:HEX`, `size N`; <https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md>), the
//!   content's sha256 computed while streaming the file.
//! - Before the push the objects go to the LFS server with the batch API (`upload`, transfer
//!   `basic`): `POST <remote>/info/lfs/objects/batch`, then a `PUT` of each object the server
//!   lacks to the `upload` action's `href` with only that action's headers, then its `verify`.
//!   The token goes to the batch endpoint only when it may go to the git remote itself
//!   ([`crate::token::may_travel`]); the upload `href` (GitHub's is a storage host) never gets it.
//! - The LFS URL is derived from the push URL alone. `.lfsconfig` and `lfs.url` are PR content
//!   or job state and are ignored: they must not decide where the token or the objects go.
//! - For a local remote (a path) the objects are copied into its `lfs/objects` directory, where
//!   git-lfs's own file transfer keeps them; for `fetch --commit` into the checkout's own.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use super::credentials::Grant;
use super::smart_http::{self, RequestBody};
use crate::token::Token;

const POINTER_VERSION: &str = "version https://git-lfs.github.com/spec/v1";
const MEDIA_TYPE: &str = "application/vnd.git-lfs+json";
/// Objects per batch request (git-lfs sends at most 100).
const BATCH_SIZE: usize = 100;
/// The largest batch answer read (a hundred objects with their actions are a few tens of KiB).
const MAX_ANSWER: u64 = 4 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;
/// Characters of the server's own explanation quoted in an error.
const QUOTED_CHARS: usize = 500;
/// Pointer files are a few hundred bytes at most; a larger file is content.
pub(crate) const MAX_POINTER: usize = 1024;

/// An LFS object: the sha256 (lowercase hex) and size of a file's content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Object {
    pub oid: String,
    pub size: u64,
}

impl Object {
    /// The object of the file at `path`, hashed a chunk at a time.
    pub(crate) fn of_file(path: &Path) -> io::Result<Self> {
        hash_copy(&mut std::fs::File::open(path)?, &mut io::sink())
    }

    /// The pointer file git-lfs's clean writes for this object. An empty file is its own
    /// pointer (the spec passes empty files through unchanged).
    pub(crate) fn pointer(&self) -> String {
        if self.size == 0 {
            return String::new();
        }
        format!(
            "{POINTER_VERSION}\noid sha256:{}\nsize {}\n",
            self.oid, self.size
        )
    }

    /// The object a pointer file names, if `content` is a pointer.
    pub(crate) fn from_pointer(content: &[u8]) -> Option<Self> {
        if content.len() > MAX_POINTER || !content.starts_with(POINTER_VERSION.as_bytes()) {
            return None;
        }
        let text = std::str::from_utf8(content).ok()?;
        let mut lines = text.strip_suffix('\n')?.split('\n');
        if lines.next()? != POINTER_VERSION {
            return None;
        }
        let (mut oid, mut size) = (None, None);
        for line in lines {
            if let Some(hex) = line.strip_prefix("oid sha256:") {
                oid = Some(hex.to_owned());
            } else if let Some(n) = line.strip_prefix("size ") {
                size = n.parse().ok();
            }
        }
        let oid = oid.filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))?;
        Some(Self { oid, size: size? })
    }
}

/// Copy `input` to `output` a chunk at a time; the object (sha256, size) of the bytes copied.
pub(crate) fn hash_copy(input: &mut impl Read, output: &mut impl Write) -> io::Result<Object> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n])?;
        size += n as u64;
    }
    Ok(Object {
        oid: format!("{:x}", hasher.finalize()),
        size,
    })
}

/// A content object to send, and the file that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    pub object: Object,
    pub source: PathBuf,
}

/// Where git-lfs keeps `oid` under a git directory: `lfs/objects/OI/D1/OID`.
pub(crate) fn object_path(git_dir: &Path, oid: &str) -> PathBuf {
    git_dir
        .join("lfs/objects")
        .join(&oid[..2])
        .join(&oid[2..4])
        .join(oid)
}

/// Copy `pending` into `git_dir`'s LFS object store (unless it is there), checking the bytes
/// copied are the object's: a file changed since it was hashed is an error, not a bad object.
pub(crate) fn store_local(git_dir: &Path, pending: &Pending) -> anyhow::Result<()> {
    let Pending { object, source } = pending;
    let target = object_path(git_dir, &object.oid);
    if target.is_file() {
        return Ok(());
    }
    let dir = target
        .parent()
        .context("an LFS object path has no parent")?;
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("failed to write in {}", dir.display()))?;
    let mut input = std::fs::File::open(source)
        .with_context(|| format!("failed to read {}", source.display()))?;
    let copied = hash_copy(&mut input, &mut temp)
        .with_context(|| format!("failed to copy {} into {}", source.display(), dir.display()))?;
    anyhow::ensure!(
        &copied == object,
        "{} changed while it was being committed; run the command again",
        source.display()
    );
    temp.persist(&target)
        .with_context(|| format!("failed to store the LFS object {}", target.display()))?;
    Ok(())
}

/// The LFS server of the git remote `remote_url`, as git-lfs derives it when nothing is
/// configured: `<url>/info/lfs`, with `.git` added to the path when it lacks it.
pub(crate) fn endpoint(remote_url: &str) -> anyhow::Result<Url> {
    let mut url = Url::parse(remote_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .with_context(|| "the push remote is not an http(s) URL, so it has no LFS server")?;
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/');
    let path = if path.ends_with(".git") {
        format!("{path}/info/lfs")
    } else {
        format!("{path}.git/info/lfs")
    };
    url.set_path(&path);
    Ok(url)
}

/// Where and as whom to upload.
pub(crate) struct Upload<'a> {
    /// The push URL (the objects go to its LFS server).
    pub remote_url: &'a str,
    pub token: Option<&'a Token>,
    /// The variable the token came from, for messages.
    pub token_name: &'a str,
    /// The ref being pushed (`refs/heads/BRANCH`), which servers may use to authorise.
    pub refname: &'a str,
}

#[derive(Serialize)]
struct BatchRequest<'a> {
    operation: &'static str,
    transfers: [&'static str; 1],
    #[serde(rename = "ref")]
    refname: RefName<'a>,
    objects: Vec<&'a Object>,
    hash_algo: &'static str,
}

#[derive(Serialize)]
struct RefName<'a> {
    name: &'a str,
}

#[derive(Deserialize)]
struct BatchAnswer {
    #[serde(default)]
    transfer: Option<String>,
    objects: Vec<ObjectAnswer>,
}

#[derive(Deserialize)]
struct ObjectAnswer {
    oid: String,
    #[serde(default)]
    actions: Option<Actions>,
    #[serde(default)]
    error: Option<ObjectError>,
}

#[derive(Deserialize, Default)]
struct Actions {
    #[serde(default)]
    upload: Option<Action>,
    #[serde(default)]
    verify: Option<Action>,
}

#[derive(Deserialize)]
struct Action {
    href: String,
    #[serde(default)]
    header: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct ObjectError {
    code: i64,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct ServerError {
    #[serde(default)]
    message: String,
}

/// What an upload did: objects sent, and objects the server already had.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Uploaded {
    pub sent: usize,
    pub present: usize,
}

/// Send `pending` to the LFS server of the push remote: the batch API says which objects it
/// lacks; each of those is PUT to its upload `href` and verified. Nothing is pushed by git
/// before this returns `Ok`.
pub(crate) fn upload(req: &Upload<'_>, pending: &[Pending]) -> anyhow::Result<Uploaded> {
    let batch_url = endpoint(req.remote_url)?.join("lfs/objects/batch")?;
    let grant = Grant::new(req.remote_url, req.token);
    let mut done = Uploaded::default();
    for chunk in pending.chunks(BATCH_SIZE) {
        let answer = batch(req, &grant, &batch_url, chunk)?;
        for pending in chunk {
            let object = &pending.object;
            let found = answer.objects.iter().find(|o| o.oid == object.oid);
            let Some(found) = found else {
                anyhow::bail!(
                    "the LFS server {} did not answer for the object {} ({}); nothing was pushed. \
                     Re-run the job; if it persists, check the server's LFS support",
                    host(&batch_url),
                    object.oid,
                    pending.source.display()
                );
            };
            if let Some(e) = &found.error {
                anyhow::bail!(
                    "the LFS server {} refused the object {} ({}): error {} {}; nothing was pushed. \
                     {}",
                    host(&batch_url),
                    object.oid,
                    pending.source.display(),
                    e.code,
                    crate::neutralise::safe_text(
                        &e.message.chars().take(QUOTED_CHARS).collect::<String>()
                    ),
                    advice(e.code)
                );
            }
            let actions = found.actions.as_ref();
            match actions.and_then(|a| a.upload.as_ref()) {
                None => done.present += 1,
                Some(put) => {
                    send_object(put, pending)?;
                    if let Some(verify) = actions.and_then(|a| a.verify.as_ref()) {
                        verify_object(verify, object)?;
                    }
                    done.sent += 1;
                }
            }
        }
    }
    Ok(done)
}

fn host(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// What to do about an LFS status code.
fn advice(code: i64) -> &'static str {
    match code {
        401 | 403 => {
            "Check that the token may write to the repository (contents: write) and that LFS is \
             enabled for it"
        }
        404 => "Check that the repository exists and has Git LFS enabled",
        413 | 507 => {
            "The LFS storage quota is used up: buy more LFS storage or free some, then re-run \
             the job"
        }
        509 => "The LFS bandwidth quota is used up: raise it, then re-run the job",
        429 => "The LFS server is rate limiting: wait a while, then re-run the job",
        422 => "The server refused the object as invalid; re-run the job",
        _ => "Re-run the job; if it persists, check the LFS server's status",
    }
}

fn batch(
    req: &Upload<'_>,
    grant: &Grant,
    url: &Url,
    chunk: &[Pending],
) -> anyhow::Result<BatchAnswer> {
    let body = serde_json::to_vec(&BatchRequest {
        operation: "upload",
        transfers: ["basic"],
        refname: RefName { name: req.refname },
        objects: chunk.iter().map(|p| &p.object).collect(),
        hash_algo: "sha256",
    })?;
    let headers = [
        ("Accept".to_owned(), MEDIA_TYPE.to_owned()),
        ("Content-Type".to_owned(), MEDIA_TYPE.to_owned()),
    ];
    let shown = smart_http::display_url(url);
    let response = smart_http::send(
        Method::POST,
        url,
        Some(grant),
        &headers,
        smart_http::full(&body),
    )
    .map_err(|e| anyhow::anyhow!("{}; nothing was pushed", redact(req, &e.to_string())))?;
    let status = response.status();
    if !status.is_success() {
        let raw = smart_http::read_body(response, MAX_ANSWER).unwrap_or_default();
        let message = serde_json::from_slice::<ServerError>(&raw)
            .map(|e| e.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&raw).into_owned());
        let message: String = message.trim().chars().take(QUOTED_CHARS).collect();
        let message = crate::neutralise::safe_text(&redact(req, &message));
        let what = if status == StatusCode::UNAUTHORIZED && req.token.is_none() {
            format!(
                "pass a token that may write to the repository in {}",
                req.token_name
            )
        } else {
            advice(i64::from(status.as_u16())).to_owned()
        };
        anyhow::bail!(
            "the LFS server refused the upload ({shown} answered {}{}); nothing was pushed. {what}",
            smart_http::status_text(status),
            if message.is_empty() {
                String::new()
            } else {
                format!(": {message}")
            }
        );
    }
    let raw = smart_http::read_body(response, MAX_ANSWER)
        .with_context(|| format!("failed to read the LFS server's answer from {shown}"))?;
    let answer: BatchAnswer = serde_json::from_slice(&raw).with_context(|| {
        format!("{shown} did not answer with an LFS batch response; nothing was pushed")
    })?;
    if let Some(transfer) = answer.transfer.as_deref()
        && transfer != "basic"
    {
        anyhow::bail!(
            "the LFS server {shown} chose the transfer {:?}, and rerecord speaks only \"basic\"; \
             nothing was pushed",
            crate::neutralise::safe_text(transfer)
        );
    }
    Ok(answer)
}

fn redact(req: &Upload<'_>, text: &str) -> String {
    req.token
        .map_or_else(|| text.to_owned(), |t| t.redact(text))
}

/// The URL of an action, refused when it would send the content in clear text across a
/// network (plain http is only for this machine, as for the token).
fn action_url(action: &Action, what: &str) -> anyhow::Result<Url> {
    let url = Url::parse(&action.href)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .with_context(|| format!("the LFS server's {what} address is not an http(s) URL"))?;
    // `may_travel` of a URL to itself: https, or plain http to this machine.
    anyhow::ensure!(
        crate::token::may_travel(&url, &url),
        "the LFS server's {what} address {} is plain http to another machine; refusing to send \
         recordings there",
        smart_http::display_url(&url)
    );
    Ok(url)
}

fn action_headers(action: &Action) -> Vec<(String, String)> {
    action
        .header
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// PUT the object to the upload action's `href`, with only the action's headers (and the
/// length and type of the body).
fn send_object(action: &Action, pending: &Pending) -> anyhow::Result<()> {
    let url = action_url(action, "upload")?;
    let mut headers = action_headers(action);
    let has = |headers: &[(String, String)], name: &str| {
        headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    if !has(&headers, "content-type") {
        headers.push((
            "Content-Type".to_owned(),
            "application/octet-stream".to_owned(),
        ));
    }
    headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-length"));
    headers.push(("Content-Length".to_owned(), pending.object.size.to_string()));
    let shown = smart_http::display_url(&url);
    let response = smart_http::send(
        Method::PUT,
        &url,
        None,
        &headers,
        file_body(pending.clone()),
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "uploading {} to the LFS storage failed: {e}; nothing was pushed. Re-run the job",
            pending.source.display()
        )
    })?;
    let status = response.status();
    anyhow::ensure!(
        status.is_success(),
        "the LFS storage refused {} ({shown} answered {}{}); nothing was pushed. {}",
        pending.source.display(),
        smart_http::status_text(status),
        crate::neutralise::safe_text(&smart_http::quote_body(response)),
        advice(i64::from(status.as_u16()))
    );
    Ok(())
}

/// POST the object's id and size to the verify action, which confirms the upload.
fn verify_object(action: &Action, object: &Object) -> anyhow::Result<()> {
    let url = action_url(action, "verify")?;
    let mut headers = action_headers(action);
    headers.push(("Accept".to_owned(), MEDIA_TYPE.to_owned()));
    headers.push(("Content-Type".to_owned(), MEDIA_TYPE.to_owned()));
    let body = serde_json::to_vec(object)?;
    let shown = smart_http::display_url(&url);
    let response = smart_http::send(Method::POST, &url, None, &headers, smart_http::full(&body))
        .map_err(|e| anyhow::anyhow!("verifying the LFS object {} failed: {e}", object.oid))?;
    let status = response.status();
    anyhow::ensure!(
        status.is_success(),
        "the LFS server did not verify the object {} ({shown} answered {}{}); nothing was \
         pushed. Re-run the job",
        object.oid,
        smart_http::status_text(status),
        crate::neutralise::safe_text(&smart_http::quote_body(response))
    );
    Ok(())
}

/// The file as a request body, read a chunk at a time. The last chunk goes out only when the
/// bytes read are the object's: a file changed since it was hashed ends the request early, so
/// the server never stores wrong content under the object's id.
fn file_body(pending: Pending) -> RequestBody {
    struct State {
        file: Option<tokio::fs::File>,
        pending: Pending,
        hasher: Sha256,
        read: u64,
        done: bool,
    }
    let state = State {
        file: None,
        pending,
        hasher: Sha256::new(),
        read: 0,
        done: false,
    };
    let chunks = futures_util::stream::unfold(state, |mut s| async move {
        use tokio::io::AsyncReadExt;
        if s.done {
            return None;
        }
        let changed = |s: &State| -> crate::connect::BoxError {
            format!(
                "{} changed while it was being uploaded",
                s.pending.source.display()
            )
            .into()
        };
        if s.file.is_none() {
            match tokio::fs::File::open(&s.pending.source).await {
                Ok(f) => s.file = Some(f),
                Err(e) => {
                    s.done = true;
                    return Some((Err(e.into()), s));
                }
            }
        }
        let mut buf = vec![0u8; CHUNK];
        let n = match s.file.as_mut()?.read(&mut buf).await {
            Ok(n) => n,
            Err(e) => {
                s.done = true;
                return Some((Err(e.into()), s));
            }
        };
        buf.truncate(n);
        s.hasher.update(&buf);
        s.read += n as u64;
        let size = s.pending.object.size;
        if n == 0 || s.read > size {
            s.done = true;
            return Some((Err(changed(&s)), s));
        }
        if s.read == size {
            s.done = true;
            let oid = format!("{:x}", std::mem::take(&mut s.hasher).finalize());
            if oid != s.pending.object.oid {
                return Some((Err(changed(&s)), s));
            }
        }
        Some((Ok(Frame::data(Bytes::from(buf))), s))
    });
    BodyExt::boxed(StreamBody::new(chunks))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temporary `r.json` holding `content`, and its object.
    fn recording(content: &[u8]) -> (tempfile::TempDir, PathBuf, Object) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.json");
        std::fs::write(&file, content).unwrap();
        let object = Object::of_file(&file).unwrap();
        (dir, file, object)
    }

    #[test]
    fn the_pointer_is_the_specs_and_reads_back() {
        let (_dir, _file, object) = recording(b"{\"a\": 1}\n");
        assert_eq!(object.oid, format!("{:x}", Sha256::digest(b"{\"a\": 1}\n")));
        assert_eq!(object.size, 9);
        let pointer = object.pointer();
        assert_eq!(
            pointer,
            format!(
                "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 9\n",
                object.oid
            )
        );
        assert_eq!(Object::from_pointer(pointer.as_bytes()), Some(object));
        assert_eq!(Object::from_pointer(b"{\"a\": 1}\n"), None);
        let empty = Object {
            oid: format!("{:x}", Sha256::digest(b"")),
            size: 0,
        };
        assert_eq!(empty.pointer(), "");
    }

    #[test]
    fn the_lfs_url_comes_from_the_remote_url_as_git_lfs_derives_it() {
        let e = |u: &str| endpoint(u).unwrap().to_string();
        assert_eq!(
            e("https://github.com/o/r.git"),
            "https://github.com/o/r.git/info/lfs"
        );
        assert_eq!(
            e("https://x-access-token:t@github.com/o/r/"),
            "https://github.com/o/r.git/info/lfs"
        );
        assert_eq!(
            endpoint("https://h/o/r.git")
                .unwrap()
                .join("lfs/objects/batch")
                .unwrap()
                .as_str(),
            "https://h/o/r.git/info/lfs/objects/batch"
        );
        assert!(endpoint("/srv/r.git").is_err());
    }

    #[test]
    fn actions_over_plain_http_go_only_to_this_machine() {
        let action = |href: &str| Action {
            href: href.into(),
            header: BTreeMap::new(),
        };
        assert!(action_url(&action("https://storage.example/o"), "upload").is_ok());
        assert!(action_url(&action("http://127.0.0.1:9/o"), "upload").is_ok());
        assert!(action_url(&action("http://storage.example/o"), "upload").is_err());
        assert!(action_url(&action("file:///etc/passwd"), "upload").is_err());
    }

    #[test]
    fn an_upload_body_is_the_file_and_fails_before_its_end_when_the_file_changed() {
        let content = vec![b'x'; 3 * CHUNK + 5];
        let (_dir, file, object) = recording(&content);
        let body = |object: Object| {
            let pending = Pending {
                object,
                source: file.clone(),
            };
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async { file_body(pending).collect().await.map(|c| c.to_bytes()) })
        };
        assert_eq!(body(object.clone()).unwrap(), content.as_slice());
        // Same size, other content: the last chunk is never sent.
        let other = Object {
            oid: "0".repeat(64),
            ..object.clone()
        };
        let err = body(other).unwrap_err();
        assert!(err.to_string().contains("changed while"), "{err}");
        let shorter = Object {
            size: object.size - 1,
            ..object
        };
        assert!(body(shorter).is_err());
    }

    #[test]
    fn a_local_store_keeps_git_lfs_layout_and_refuses_changed_content() {
        let (dir, file, object) = recording(b"content");
        let git_dir = dir.path().join("repo.git");
        let pending = Pending {
            object: object.clone(),
            source: file.clone(),
        };
        store_local(&git_dir, &pending).unwrap();
        let stored = git_dir.join(format!(
            "lfs/objects/{}/{}/{}",
            &object.oid[..2],
            &object.oid[2..4],
            object.oid
        ));
        assert_eq!(std::fs::read(&stored).unwrap(), b"content");
        std::fs::write(&file, b"other!!").unwrap();
        let other = Pending {
            object: Object {
                oid: "ab".repeat(32),
                size: 7,
            },
            source: file,
        };
        let err = store_local(&git_dir, &other).unwrap_err();
        assert!(err.to_string().contains("changed"), "{err}");
    }
}
