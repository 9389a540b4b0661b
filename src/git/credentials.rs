//! Credentials for fetch and push: the token as user `x-access-token`, sent by our smart-HTTP
//! transport (`smart_http`) only to the remote's own origin.
//!
//! actions/checkout persists its token as `http.extraheader`, which libgit2 never reads, so the
//! token has to come from the environment. It lives in memory only: never in `.git/config`, a
//! remote URL or any file (anything on disk can leak through an uploaded artifact).
//!
//! An operation [`grant`]s the token to one remote's origin on its own thread for as long as the
//! returned guard lives. libgit2 creates the transport on that thread, without any context of
//! ours, and the transport takes the grant from there (`current`).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine;
use git2::PushOptions;
use url::Url;

use crate::token::Token;

/// What happened when the remote asked for credentials, for a clear error afterwards.
#[derive(Debug, Default)]
pub struct AuthState {
    challenged: AtomicBool,
    rejected: AtomicBool,
    refused_host: AtomicBool,
}

impl AuthState {
    /// The remote refused the token we sent.
    pub fn rejected(&self) -> bool {
        self.rejected.load(Ordering::Relaxed)
    }

    /// The remote asked for credentials at least once.
    pub fn was_asked(&self) -> bool {
        self.challenged.load(Ordering::Relaxed)
    }

    /// A host other than the remote's (after a redirect) asked for credentials.
    pub fn refused_other_host(&self) -> bool {
        self.refused_host.load(Ordering::Relaxed)
    }
}

/// The token one remote may receive, and what became of it.
pub struct Grant {
    /// The remote's URL, when it is an http(s) URL (no token is ever offered to paths and
    /// scp-like addresses).
    remote: Option<Url>,
    token: Option<Token>,
    state: AuthState,
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Grant>>> = const { RefCell::new(None) };
}

/// Offer `token` to `remote_url`'s origin for git operations on this thread until the guard is
/// dropped. Without a token the guard still records whether the remote asked for one.
pub fn grant(remote_url: &str, token: Option<&Token>) -> GrantGuard {
    let grant = Arc::new(Grant::new(remote_url, token));
    let previous = CURRENT.with(|c| c.replace(Some(grant.clone())));
    GrantGuard { grant, previous }
}

/// The grant of the git operation running on this thread, if it made one. Not matched by URL:
/// libgit2 names a remote by its fetch URL even when it pushes to its push URL, and the grant
/// only ever authorizes requests to its own origin anyway ([`Grant::authorization`]).
pub(super) fn current() -> Option<Arc<Grant>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Keeps a [`grant`] active; dropping it withdraws the token.
pub struct GrantGuard {
    grant: Arc<Grant>,
    previous: Option<Arc<Grant>>,
}

impl GrantGuard {
    pub fn state(&self) -> &AuthState {
        &self.grant.state
    }
}

impl Drop for GrantGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

impl Grant {
    /// `token` for `remote_url`'s origin, for requests made outside libgit2 (the LFS API).
    pub(super) fn new(remote_url: &str, token: Option<&Token>) -> Self {
        Self {
            remote: Url::parse(remote_url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https")),
            token: token.cloned(),
            state: AuthState::default(),
        }
    }

    /// The `Authorization` header for a request to `url`: only to the granted origin, and over
    /// plain http only to this machine.
    pub(super) fn authorization(&self, url: &Url) -> Option<String> {
        let token = self.token.as_ref()?;
        if !crate::token::may_travel(self.remote.as_ref()?, url) {
            return None;
        }
        let pair = format!("x-access-token:{}", token.expose());
        Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        ))
    }

    /// Record that `url` answered 401 (`sent`: to a request carrying the token) and say why no
    /// accepted credentials could be given.
    pub(super) fn challenged(&self, url: &Url, sent: bool) -> &'static str {
        self.state.challenged.store(true, Ordering::Relaxed);
        if sent {
            self.state.rejected.store(true, Ordering::Relaxed);
            "authentication failed: the remote rejected the token"
        } else if self.remote.as_ref().map(Url::origin) != Some(url.origin()) {
            self.state.refused_host.store(true, Ordering::Relaxed);
            "credentials requested by a host other than the remote's"
        } else if self.token.is_none() {
            "the remote asked for credentials and no token is set"
        } else {
            "refusing to send the token over plain http to a remote host; use an https remote"
        }
    }
}

/// A ref the server refused during a push. libgit2 reports the push itself as a success then,
/// and only tells the per-ref status through a callback.
pub type Rejection = Rc<RefCell<Option<String>>>;

/// Push options that record the server's refusal of the pushed ref, if any. Authentication is
/// the transport's, through the operation's [`grant`].
pub fn push_options() -> (PushOptions<'static>, Rejection) {
    let rejection = Rejection::default();
    let seen = rejection.clone();
    let mut cbs = git2::RemoteCallbacks::new();
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

/// `scheme://host[:port]` of a URL (lowercased, without user info or a default port), for
/// messages; `None` for paths and scp-like addresses.
pub fn host_of(url: &str) -> Option<String> {
    Url::parse(url)
        .ok()
        .filter(|u| u.host().is_some())
        .map(|u| u.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(url: &str) -> Url {
        Url::parse(url).unwrap()
    }

    fn token() -> Token {
        Token::new("ghs_grant0123456789").unwrap()
    }

    #[test]
    fn a_grant_reaches_only_its_own_thread_while_its_guard_lives() {
        let url = "https://github.com/o/r.git";
        assert!(current().is_none());
        let guard = grant(url, Some(&token()));
        assert!(current().is_some());
        let elsewhere = std::thread::spawn(|| current().is_none());
        assert!(
            elsewhere.join().unwrap(),
            "the grant leaked to another thread"
        );
        {
            let _inner = grant("http://127.0.0.1:9/x.git", None);
            let inner = current().unwrap();
            assert_eq!(inner.authorization(&u(url)), None);
        }
        let restored = current().expect("dropping a nested grant must restore the outer one");
        assert!(restored.authorization(&u(url)).is_some());
        drop(guard);
        assert!(current().is_none());
    }

    #[test]
    fn the_token_goes_only_to_the_granted_origin_and_never_in_clear_text_across_a_network() {
        let g = grant("https://github.com/o/r.git", Some(&token()));
        let this = current().unwrap();
        let header = this
            .authorization(&u(
                "https://github.com/o/r.git/info/refs?service=git-receive-pack",
            ))
            .unwrap();
        let encoded = header.strip_prefix("Basic ").unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert_eq!(decoded, b"x-access-token:ghs_grant0123456789");
        assert_eq!(this.authorization(&u("https://evil.example/o/r.git")), None);
        assert_eq!(this.authorization(&u("http://github.com/o/r.git")), None);
        assert_eq!(
            this.authorization(&u("https://github.com:8443/o/r.git")),
            None
        );
        drop(g);

        let _plain = grant("http://10.0.0.5/r.git", Some(&token()));
        let plain = current().unwrap();
        assert_eq!(
            plain.authorization(&u("http://10.0.0.5/r.git/git-receive-pack")),
            None
        );
    }

    #[test]
    fn a_challenge_is_told_apart_by_what_was_sent_and_who_asked() {
        let url = "https://github.com/o/r.git";
        let g = grant(url, Some(&token()));
        let this = current().unwrap();
        this.challenged(&u("https://elsewhere.example/r.git/info/refs"), false);
        assert!(g.state().refused_other_host() && !g.state().rejected());
        this.challenged(&u(url), true);
        assert!(g.state().rejected() && g.state().was_asked());
        drop(g);

        let g = grant(url, None);
        let why = current().unwrap().challenged(&u(url), false);
        assert!(why.contains("no token"), "{why}");
        assert!(g.state().was_asked() && !g.state().rejected());
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
