//! The GitHub API client as real GitHub stresses it (issue 18): the token of the right host,
//! rate limits, pagination that leaves the API, artifact storage failures, the dispatch's lag.

mod downloads;
mod pagination;
mod rate_limits;
mod token_host;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rerecord::github::{GitHub, Pause};
use rerecord::token::Token;

use crate::support::fake_github::{FakeGitHub, TOKEN};

/// A client of `fake` that records the waits it asks for instead of sleeping.
fn client(fake: &FakeGitHub) -> (GitHub, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let seen = waits.clone();
    let pause: Pause = Arc::new(
        move |d: Duration| -> Pin<Box<dyn Future<Output = ()> + Send>> {
            seen.lock().unwrap().push(d);
            Box::pin(std::future::ready(()))
        },
    );
    let token = Token::new(TOKEN).unwrap();
    let gh = GitHub::new(&fake.url(), &token).unwrap().with_pause(pause);
    (gh, waits)
}
