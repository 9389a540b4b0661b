//! A `Link: next` outside the API URL is an error: following it would send the token
//! elsewhere, stopping would read part of a list (a matrix's artifacts) as all of it.

use rerecord::remotes::RepoName;

use super::client;
use crate::support::fake_github::{FakeGitHub, Listener, RunSpec};

const REPO: &str = "acme/widgets";
const WORKFLOW: &str = "record.yml";

fn fake_with_runs(n: usize) -> FakeGitHub {
    let fake = FakeGitHub::start();
    fake.add_repo(REPO);
    fake.add_workflow(REPO, WORKFLOW, "active");
    for _ in 0..n {
        fake.add_run(
            REPO,
            RunSpec::completed(WORKFLOW, "main", &"a".repeat(40), "success"),
        );
    }
    fake
}

#[tokio::test]
async fn every_page_under_the_api_is_read() {
    let fake = fake_with_runs(31);
    let (gh, _) = client(&fake);
    let repo = RepoName::parse(REPO).unwrap();
    let runs = gh
        .workflow_runs(&repo, WORKFLOW, &[], |_| false)
        .await
        .unwrap();
    assert_eq!(runs.len(), 31, "two pages of 30");
}

#[tokio::test]
async fn a_next_link_off_the_api_is_an_error_not_a_shorter_list() {
    let fake = fake_with_runs(31);
    fake.serve_off_base_links(&fake.storage_url());
    let (gh, _) = client(&fake);
    let repo = RepoName::parse(REPO).unwrap();
    let err = gh
        .workflow_runs(&repo, WORKFLOW, &[], |_| false)
        .await
        .expect_err("the list cannot be read whole");
    let text = err.to_string();
    assert!(text.contains("is not under the API URL"), "{text}");
    assert!(text.contains(&fake.storage_url()), "{text}");
    assert!(
        fake.requests().iter().all(|r| r.listener == Listener::Api),
        "the off-base link was not followed"
    );
}
