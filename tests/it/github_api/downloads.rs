//! Artifact downloads survive transient storage failures (a connection reset midway, a 503):
//! each attempt starts the file over, so what is kept is exactly the blob.

use rerecord::artifact::download::{download_all, progress_bar};
use rerecord::artifact::zip::Limits;
use rerecord::remotes::RepoName;

use super::client;
use crate::support::fake_github::{FakeGitHub, Fault, FaultKind, Listener, RunSpec};

const REPO: &str = "acme/widgets";

#[tokio::test]
async fn a_reset_and_a_503_from_storage_are_retried_and_the_file_is_started_over() {
    let fake = FakeGitHub::start();
    fake.add_repo(REPO);
    let run = fake.add_run(
        REPO,
        RunSpec::completed("record.yml", "main", &"a".repeat(40), "success"),
    );
    let blob: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    fake.add_artifact(REPO, run, "recordings", blob.clone(), false);
    fake.inject(Fault::new("GET", "/blob/", 200).kind(FaultKind::CutShort));
    fake.inject(Fault::new("GET", "/blob/", 503));
    let (gh, waits) = client(&fake);
    let repo = RepoName::parse(REPO).unwrap();
    let artifacts = gh.artifacts(&repo, run).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bar = progress_bar(0, false);
    let got = download_all(&gh, &repo, &artifacts, dir.path(), Limits::default(), &bar)
        .await
        .expect("the third attempt succeeds");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].bytes, blob.len() as u64);
    assert_eq!(
        std::fs::read(&got[0].path).unwrap(),
        blob,
        "no bytes of the failed attempts"
    );
    let storage: Vec<u16> = fake
        .requests()
        .iter()
        .filter(|r| r.listener == Listener::Storage)
        .map(|r| r.status)
        .collect();
    assert_eq!(storage, [200, 503, 200], "cut short, refused, served");
    assert_eq!(waits.lock().unwrap().len(), 2, "a pause before each retry");
}
