//! Network failures in words a user can act on: a transport error (no HTTP answer) is classified
//! as DNS, refused connection, TLS, timeout or proxy, and told as one sentence with the next step;
//! retries are announced on stderr as they happen instead of after minutes of silence.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::ApiError;

/// Whether the "no answer yet" note was given (once per process: requests run side by side).
static TOLD_SLOW: AtomicBool = AtomicBool::new(false);

/// Await `request`; when it has not answered after a quarter of the read timeout (at most 5 s),
/// say so on stderr, once per process, so a silent network is never minutes of silence.
pub(crate) async fn tell_if_slow<F: Future>(
    request: F,
    method: &http::Method,
    path: &str,
) -> F::Output {
    let after =
        (super::http_timeout() / 4).clamp(Duration::from_millis(250), Duration::from_secs(5));
    tokio::pin!(request);
    tokio::select! {
        out = &mut request => out,
        () = tokio::time::sleep(after) => {
            if !TOLD_SLOW.swap(true, Ordering::Relaxed) {
                eprintln!(
                    "{}",
                    crate::neutralise::safe_lines(&format!(
                        "note: no answer from GitHub yet ({method} {path}) after {after:?}; still waiting"
                    ))
                );
            }
            request.await
        }
    }
}

/// Why no answer arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetProblem {
    /// The host name did not resolve.
    Dns,
    /// Nothing listens at the address (or a firewall refused).
    Refused,
    /// The TLS handshake failed (certificate or protocol).
    Tls,
    /// Connected, or trying to, but no answer in time.
    Timeout,
    /// The proxy refused or failed the tunnel.
    Proxy,
    /// The connection broke off.
    Lost,
}

/// The words in a lowercased error text that tell each problem, in the order they are tried
/// (the first match wins: one text can carry the words of several).
const SIGNS: &[(NetProblem, &[&str])] = &[
    (
        NetProblem::Proxy,
        &["the proxy", "connect tunnel", "proxy authentication"],
    ),
    (
        NetProblem::Dns,
        &[
            "dns error",
            "failed to lookup address",
            "name or service not known",
            "no address associated",
            "temporary failure in name resolution",
            "nodename nor servname",
        ],
    ),
    (
        NetProblem::Refused,
        &[
            "connection refused",
            "network is unreachable",
            "no route to host",
        ],
    ),
    (
        NetProblem::Tls,
        &["certificate", "tls", "handshake", "invalid peer"],
    ),
    (
        NetProblem::Timeout,
        &["timed out", "timeout", "deadline has elapsed"],
    ),
    (
        NetProblem::Lost,
        &[
            "connection reset",
            "connection closed",
            "broken pipe",
            "sendrequest",
            "incompletemessage",
            "unexpected eof",
        ],
    ),
];

impl NetProblem {
    /// Classify a transport error's text (the whole source chain, as `ApiError` keeps it): the
    /// first problem of [`SIGNS`] that one of its words appears in.
    pub fn of_message(message: &str) -> Option<Self> {
        let m = message.to_ascii_lowercase();
        if m.starts_with(&crate::tls::UNTRUSTED.to_ascii_lowercase()) {
            return Some(Self::Tls);
        }
        SIGNS
            .iter()
            .find(|(_, words)| words.iter().any(|w| m.contains(w)))
            .map(|(problem, _)| *problem)
    }

    /// What happened, in one clause.
    pub fn what(self) -> &'static str {
        match self {
            Self::Dns => "the API host name does not resolve (DNS)",
            Self::Refused => "the connection to the API host was refused",
            Self::Tls => "the TLS handshake with the API host failed",
            Self::Timeout => "GitHub is not answering (timed out)",
            Self::Proxy => "the proxy did not open a connection to the API host",
            Self::Lost => "the connection to GitHub broke off",
        }
    }

    /// What to do next.
    pub fn next_step(self) -> &'static str {
        match self {
            Self::Dns => {
                "check your network and the host in --api-url / GITHUB_API_URL (behind a proxy, set HTTPS_PROXY)"
            }
            Self::Refused => {
                "check --api-url / GITHUB_API_URL (host and port); behind a proxy, set HTTPS_PROXY"
            }
            Self::Tls => {
                "a proxy that inspects TLS needs its CA in SSL_CERT_FILE; else check --api-url / GITHUB_API_URL"
            }
            Self::Timeout => {
                "check your network or HTTPS_PROXY, or try later (RERECORD_HTTP_TIMEOUT sets the wait in seconds)"
            }
            Self::Proxy => "check HTTPS_PROXY / NO_PROXY, or unset them to go direct",
            Self::Lost => "check your network or HTTPS_PROXY, and try again",
        }
    }
}

/// The message of an `ApiError` without an answer: the sentence and next step first, the
/// transport's own words after.
pub fn describe(message: &str) -> String {
    match NetProblem::of_message(message) {
        Some(p) => format!("{}; {} (detail: {message})", p.what(), p.next_step()),
        None => format!("no answer from GitHub ({message})"),
    }
}

/// Tell on stderr that a GET failed and is retried: `attempt` of `of` tries failed so far.
pub fn tell_retry(err: &ApiError, attempt: u32, of: u32, wait: Duration) {
    let what = match err.status {
        None => NetProblem::of_message(&err.message)
            .map_or("GitHub is not answering", NetProblem::what)
            .to_owned(),
        Some(code) => format!("GitHub answered {code}"),
    };
    eprintln!(
        "{}",
        crate::neutralise::safe_lines(&format!(
            "note: {what} ({} {}); retrying in {:.1} s ({attempt}/{})",
            err.method,
            err.path,
            wait.as_secs_f64(),
            of - 1
        ))
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_texts_are_classified() {
        let cases = [
            (
                "client error (Connect): dns error: failed to lookup address information: Name or service not known",
                NetProblem::Dns,
            ),
            (
                "client error (Connect): tcp connect error: Connection refused (os error 111)",
                NetProblem::Refused,
            ),
            (
                "client error (Connect): operation timed out",
                NetProblem::Timeout,
            ),
            (
                "the TLS certificate of x could not be verified (UnknownIssuer)",
                NetProblem::Tls,
            ),
            (
                "the proxy did not answer CONNECT with HTTP",
                NetProblem::Proxy,
            ),
            (
                "the TLS certificate of h could not be verified; if a private CA signed it (a proxy)",
                NetProblem::Tls,
            ),
            (
                "client error (SendRequest): connection closed before message completed",
                NetProblem::Lost,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(NetProblem::of_message(text), Some(want), "{text}");
        }
        assert_eq!(NetProblem::of_message("something else"), None);
        assert!(describe("operation timed out").contains("HTTPS_PROXY"));
    }
}
