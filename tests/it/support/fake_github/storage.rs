//! The blob storage that artifact downloads redirect to: a signed URL valid for 60 seconds
//! that, like Azure Blob Storage, refuses any request that also carries an Authorization header.

use sha2::{Digest, Sha256};

use super::server::{Reply, Req};
use super::state::State;

const VALID_SECS: i64 = 60;

fn signature(st: &State, id: u64, exp: i64) -> String {
    let digest = Sha256::digest(format!("{}:{id}:{exp}", st.signing_key).as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn signed_url(st: &State, id: u64) -> String {
    let exp = chrono::Utc::now().timestamp() + VALID_SECS;
    format!(
        "{}/blob/{id}?sig={}&exp={exp}",
        st.storage_base,
        signature(st, id, exp)
    )
}

fn azure_error(status: u16, code: &str, message: &str) -> Reply {
    let mut reply = Reply::empty(status);
    reply.body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{message}\
         \nRequestId:00000000-0000-0000-0000-000000000000\nTime:{}</Message></Error>",
        chrono::Utc::now().to_rfc3339()
    )
    .into_bytes();
    reply.content_type = Some("application/xml");
    reply
}

pub(crate) fn serve(st: &State, req: &Req) -> Reply {
    if req.authorization.is_some() {
        return azure_error(
            403,
            "AuthenticationFailed",
            "Server failed to authenticate the request. Make sure the value of Authorization \
             header is formed correctly including the signature.",
        );
    }
    let id = match req.segments.as_slice() {
        [blob, id] if blob == "blob" => id.parse::<u64>().ok(),
        _ => None,
    };
    let Some(id) = id else {
        return azure_error(
            400,
            "InvalidUri",
            "The requested URI does not represent any resource on the server.",
        );
    };
    let exp = req
        .q("exp")
        .and_then(|e| e.parse::<i64>().ok())
        .unwrap_or(0);
    let sig_ok = req.q("sig") == Some(signature(st, id, exp).as_str());
    if !sig_ok {
        return azure_error(
            403,
            "AuthenticationFailed",
            "Server failed to authenticate the request. Signature did not match.",
        );
    }
    if chrono::Utc::now().timestamp() > exp {
        return azure_error(
            403,
            "AuthenticationFailed",
            "Server failed to authenticate the request. Signed expiry time has to be after \
             signed start time.",
        );
    }
    let Some(artifact) = st
        .repos
        .values()
        .flat_map(|r| &r.artifacts)
        .find(|a| a.id == id)
    else {
        return azure_error(404, "BlobNotFound", "The specified blob does not exist.");
    };
    let mut reply = Reply::empty(200);
    reply.body = artifact.zip.clone();
    reply.content_type = Some("application/zip");
    reply
}
