//! Credentials for fetch and push: the token as user `x-access-token`, offered only to the
//! push remote's host, through git2's callback.
//!
//! actions/checkout persists its token as `http.extraheader`, which libgit2 never reads, so the
//! token has to come from the environment. It lives in memory only: never in `.git/config`, a
//! remote URL or any file (anything on disk can leak through an uploaded artifact).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use git2::{Cred, CredentialType, PushOptions, RemoteCallbacks};

use crate::token::Token;

/// What happened when the remote asked for credentials, for a clear error afterwards.
#[derive(Debug, Default)]
pub struct AuthState {
    asked: Cell<u32>,
    refused_host: Cell<bool>,
}

impl AuthState {
    /// The remote asked more than once: it rejected what we gave.
    pub fn rejected(&self) -> bool {
        self.asked.get() > 1
    }

    /// The remote asked at least once.
    pub fn was_asked(&self) -> bool {
        self.asked.get() > 0
    }

    /// Credentials were asked for a host other than the push remote's.
    pub fn refused_other_host(&self) -> bool {
        self.refused_host.get()
    }
}

/// Callbacks that answer credential requests for URLs on `remote_url`'s host with `token`.
pub fn callbacks<'a>(
    remote_url: &str,
    token: Option<&'a Token>,
    state: Rc<AuthState>,
) -> RemoteCallbacks<'a> {
    let allowed_host = host_of(remote_url);
    let mut cbs = RemoteCallbacks::new();
    cbs.credentials(move |url, _user, allowed| {
        state.asked.set(state.asked.get() + 1);
        // libgit2 asks again after a 401; a second answer would only loop.
        if state.asked.get() > 1 {
            return Err(git2::Error::from_str(
                "authentication failed: the remote rejected the token",
            ));
        }
        if allowed_host.is_none() || host_of(url) != allowed_host {
            state.refused_host.set(true);
            return Err(git2::Error::from_str(
                "credentials requested by a host other than the push remote's",
            ));
        }
        if !encrypted_or_local(url) {
            return Err(git2::Error::from_str(
                "refusing to send the token over plain http to a remote host; use an https remote",
            ));
        }
        let Some(token) = token else {
            return Err(git2::Error::from_str(
                "the remote asked for credentials and no token is set",
            ));
        };
        if !allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            return Err(git2::Error::from_str(
                "the remote asked for credentials a token cannot answer (use an https remote)",
            ));
        }
        Cred::userpass_plaintext("x-access-token", token.expose())
    });
    cbs
}

/// A ref the server refused during a push. libgit2 reports the push itself as a success then,
/// and only tells the per-ref status through a callback.
pub type Rejection = Rc<RefCell<Option<String>>>;

/// Push options that authenticate like [`callbacks`] and record the server's refusal of the
/// pushed ref, if any.
pub fn push_options<'a>(
    remote_url: &str,
    token: Option<&'a Token>,
    state: Rc<AuthState>,
) -> (PushOptions<'a>, Rejection) {
    let rejection = Rejection::default();
    let seen = rejection.clone();
    let mut cbs = callbacks(remote_url, token, state);
    cbs.push_update_reference(move |_refname, status| {
        if let Some(msg) = status {
            *seen.borrow_mut() = Some(msg.to_owned());
        }
        Ok(())
    });
    let mut opts = PushOptions::new();
    opts.remote_callbacks(cbs);
    (opts, rejection)
}

/// Whether a token may travel to `url`: over https (or ssh), or over plain http only to this
/// machine (test servers), never in clear text across a network.
fn encrypted_or_local(url: &str) -> bool {
    let Some(origin) = host_of(url) else {
        return false;
    };
    let Some(host_port) = origin.strip_prefix("http://") else {
        return true;
    };
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `scheme://host:port` of a URL, lowercased, without user info; `None` for paths and scp-like
/// addresses (no token is ever offered to those).
pub fn host_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    (!host.is_empty()).then(|| {
        format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_go_over_http_only_to_this_machine() {
        assert!(encrypted_or_local("https://github.com/o/r.git"));
        assert!(encrypted_or_local("http://127.0.0.1:8080/o/r.git"));
        assert!(encrypted_or_local("http://localhost/o/r.git"));
        assert!(encrypted_or_local("http://[::1]:9000/o/r.git"));
        assert!(!encrypted_or_local("http://github.com/o/r.git"));
        assert!(!encrypted_or_local("http://10.0.0.5/o/r.git"));
        assert!(!encrypted_or_local("/srv/git/r.git"));
    }

    #[test]
    fn host_ignores_user_info_and_path_but_keeps_port_and_scheme() {
        assert_eq!(
            host_of("https://x:y@GitHub.com/o/r.git").as_deref(),
            Some("https://github.com")
        );
        assert_eq!(
            host_of("http://127.0.0.1:8080/o/r").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_ne!(
            host_of("http://127.0.0.1:8081/o/r"),
            host_of("http://127.0.0.1:8080/o/r")
        );
        assert_eq!(host_of("/tmp/remote.git"), None);
        assert_eq!(host_of("git@github.com:o/r.git"), None);
    }
}
