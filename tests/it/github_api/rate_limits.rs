//! Rate limits waited out as GitHub documents: `Retry-After`, else at least a minute for a
//! secondary limit (doubling), else until `x-ratelimit-reset`; beyond the cap, fail at once
//! with the reset time. The waits are recorded, never slept.

use std::time::Duration;

use super::client;
use crate::support::fake_github::{FakeGitHub, Fault};

fn user_requests(fake: &FakeGitHub) -> usize {
    fake.requests().iter().filter(|r| r.path == "/user").count()
}

#[tokio::test]
async fn a_secondary_limit_without_retry_after_waits_a_minute_then_doubles() {
    let fake = FakeGitHub::start();
    fake.inject(Fault::secondary_rate_limit_without_retry_after("GET", "/user").times(2));
    let (gh, waits) = client(&fake);
    let (user, _) = gh.user().await.expect("the third attempt succeeds");
    assert!(!user.login.is_empty());
    assert_eq!(
        *waits.lock().unwrap(),
        [Duration::from_secs(60), Duration::from_secs(120)]
    );
    assert_eq!(user_requests(&fake), 3);
}

#[tokio::test]
async fn a_used_up_quota_that_resets_in_an_hour_fails_at_once_with_the_reset_time() {
    let fake = FakeGitHub::start();
    fake.inject(Fault::primary_rate_limit("GET", "/user").times(5));
    let (gh, waits) = client(&fake);
    let err = gh.user().await.expect_err("an hour is beyond the cap");
    assert!(waits.lock().unwrap().is_empty(), "nothing was waited");
    assert_eq!(user_requests(&fake), 1, "asked once, not retried");
    let text = err.to_string();
    assert_eq!(err.status, Some(403));
    assert!(text.contains("rate limit is used up until 20"), "{text}");
    assert!(text.contains(" UTC (60 min from now)"), "{text}");
    assert!(
        text.contains("try again then, or use another token"),
        "{text}"
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_fails_at_once_and_one_within_it_is_waited() {
    let fake = FakeGitHub::start();
    fake.inject(Fault::secondary_rate_limit("GET", "/user", 3600));
    let (gh, waits) = client(&fake);
    let err = gh.user().await.expect_err("an hour is beyond the cap");
    assert!(
        err.to_string()
            .contains("secondary rate limit asks to wait until"),
        "{err}"
    );
    assert!(waits.lock().unwrap().is_empty());
    fake.inject(Fault::secondary_rate_limit("GET", "/user", 90));
    gh.user().await.expect("waited 90 s, then answered");
    assert_eq!(*waits.lock().unwrap(), [Duration::from_secs(90)]);
}
