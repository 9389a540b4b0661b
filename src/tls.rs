//! The certificates every TLS connection trusts (API, artifact storage, git remotes), loaded once
//! per process and only when the first https connection needs them: a command that talks plain
//! http to a local server, or no server at all, never reads the system's certificate store.
//!
//! One TLS stack (rustls) for everything: libgit2 is built without OpenSSL, whose start-up parses
//! the whole CA bundle in every process that opens a repository (see `git::smart_http`).

use std::sync::{Arc, OnceLock};

use anyhow::anyhow;
use rustls::pki_types::CertificateDer;

type Roots = Result<Vec<CertificateDer<'static>>, String>;

/// The trusted root certificates.
pub fn roots() -> anyhow::Result<&'static [CertificateDer<'static>]> {
    static ROOTS: OnceLock<Roots> = OnceLock::new();
    ROOTS
        .get_or_init(load)
        .as_deref()
        .map_err(|e| anyhow!("{e}"))
}

/// A rustls client configuration trusting [`roots`], shared by every connection.
pub fn client_config() -> anyhow::Result<Arc<rustls::ClientConfig>> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut store = rustls::RootCertStore::empty();
            store.add_parsable_certificates(roots().map_err(|e| e.to_string())?.iter().cloned());
            let config = rustls::ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("TLS set-up failed: {e}"))?
                .with_root_certificates(store)
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
        .map_err(|e| anyhow!("{e}"))
}

/// The cryptography behind every TLS connection.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// `SSL_CERT_FILE` / `SSL_CERT_DIR` when set (as OpenSSL and git honour them); otherwise the
/// system's CA bundle file alone where there is one. Its certificate directory holds the same
/// certificates once more, split into a file each: reading both doubled the cost for nothing.
fn load() -> Roots {
    let overridden = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    let mut found = if overridden {
        rustls_native_certs::load_native_certs()
    } else {
        system_bundle()
    };
    if found.certs.is_empty() && !overridden {
        found = rustls_native_certs::load_native_certs();
    }
    if found.certs.is_empty() {
        let why = found
            .errors
            .first()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        return Err(format!(
            "no trusted root certificates found{why}; install your system's CA certificates \
             (ca-certificates) or point SSL_CERT_FILE at a PEM bundle"
        ));
    }
    Ok(found.certs)
}

#[cfg(all(unix, not(target_os = "macos")))]
fn system_bundle() -> rustls_native_certs::CertificateResult {
    match openssl_probe::probe().cert_file {
        Some(file) => rustls_native_certs::load_certs_from_paths(Some(&file), None),
        None => rustls_native_certs::CertificateResult::default(),
    }
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn system_bundle() -> rustls_native_certs::CertificateResult {
    rustls_native_certs::CertificateResult::default()
}

/// How every message about a refused server certificate starts (API and git alike).
pub const UNTRUSTED: &str = "the TLS certificate of";

/// The message for `host`'s certificate refused for `why`, with the way out.
pub fn untrusted(host: &str, why: &str) -> String {
    format!(
        "{UNTRUSTED} {host} could not be verified ({why}); if a private CA signed it (GitHub \
         Enterprise, a proxy), point SSL_CERT_FILE at a PEM bundle that includes that CA"
    )
}

/// rustls's reason, when the error chain says the server's certificate was refused.
pub fn certificate_failure(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut pending = vec![err];
    while let Some(e) = pending.pop() {
        if let Some(tls @ rustls::Error::InvalidCertificate(_)) = e.downcast_ref::<rustls::Error>()
        {
            return Some(tls.to_string());
        }
        pending.extend(e.source());
        // An `io::Error` hides the error it wraps from `source()` (and may wrap another one).
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            pending.push(inner);
        }
    }
    None
}
