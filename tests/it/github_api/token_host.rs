//! Every command that talks to the API asks gh for the token of the API's own host
//! (`gh auth token --hostname HOST`), never gh's default host.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::cmd::{Rerecord, path_str, rerecord, tempdir};
use crate::support::fake_github::{FakeGitHub, PrSpec, TOKEN};

const REPO: &str = "acme/widgets";
const GITHUB_COM_TOKEN: &str = "gho_githubcom0000000000000000000000";
const SHA: &str = "cccccccccccccccccccccccccccccccccccccccc";

/// A `gh` that keeps a token per host: the fake's under `localhost:PORT`, another for
/// github.com (also what a bare `gh auth token` prints, gh's default host).
fn fake_gh(dir: &Path, fake_host: &str) {
    let script = format!(
        "#!/bin/sh\n\
         [ \"$1 $2\" = \"auth token\" ] || exit 2\n\
         case \"$*\" in\n\
         \"auth token --hostname {fake_host}\") echo {TOKEN} ;;\n\
         \"auth token --hostname github.com\"|\"auth token\") echo {GITHUB_COM_TOKEN} ;;\n\
         *) echo \"no token for $*\" >&2; exit 1 ;;\n\
         esac\n"
    );
    let path = dir.join("gh");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The fake under another host name than the one it reports (`localhost` instead of
/// 127.0.0.1), and a `rerecord` whose only token source is the `gh` above.
struct World {
    fake: FakeGitHub,
    dir: tempfile::TempDir,
    api_url: String,
}

impl World {
    fn new() -> Self {
        let fake = FakeGitHub::start();
        fake.add_repo(REPO);
        let port = fake.url().rsplit(':').next().unwrap().to_owned();
        let dir = tempdir();
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        fake_gh(&dir.path().join("bin"), &format!("localhost:{port}"));
        Self {
            fake,
            dir,
            api_url: format!("http://localhost:{port}"),
        }
    }

    fn rerecord(&self) -> Rerecord {
        let bin = self.dir.path().join("bin");
        rerecord()
            .current_dir(self.dir.path())
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("GITHUB_REPOSITORY", REPO)
            .env("RERECORD_POLL_SCALE", "0")
    }

    /// The fake was asked, and only ever with its own token.
    fn assert_only_its_token(&self, what: &str) {
        let requests = self.fake.requests();
        assert!(!requests.is_empty(), "{what} asked the API nothing");
        for r in &requests {
            let auth = r.authorization.as_deref().unwrap_or_default();
            assert!(
                !auth.contains(GITHUB_COM_TOKEN),
                "{what} sent github.com's token to {}",
                r.path
            );
            assert_eq!(auth, format!("Bearer {TOKEN}"), "{what}: {}", r.path);
        }
    }
}

#[test]
fn fetch_sends_the_token_of_the_api_host() {
    let w = World::new();
    w.rerecord()
        .args([
            "fetch",
            "--api-url",
            &w.api_url,
            "--run-repo",
            REPO,
            "--run",
            "4242",
        ])
        .run();
    w.assert_only_its_token("fetch");
}

#[test]
fn land_sends_the_token_of_the_api_host() {
    let w = World::new();
    w.rerecord()
        .env("GITHUB_ACTIONS", "true")
        .env("RUNNER_TEMP", w.dir.path())
        .args(["land", "--api-url", &w.api_url, "--run", "4242"])
        .run();
    w.assert_only_its_token("land");
}

#[test]
fn command_sends_the_token_of_the_api_host() {
    let w = World::new();
    let pr = w.fake.add_pr(PrSpec::open(REPO, REPO, "feature", SHA));
    let (_, payload) = w
        .fake
        .comment_event(REPO, pr, "maintainer", "MEMBER", "/rerecord");
    let event = w.dir.path().join("event.json");
    std::fs::write(&event, serde_json::to_vec(&payload).unwrap()).unwrap();
    w.rerecord()
        .env("GITHUB_EVENT_NAME", "issue_comment")
        .env("GITHUB_EVENT_PATH", path_str(&event))
        .env("GITHUB_API_URL", &w.api_url)
        .arg("command")
        .run();
    w.assert_only_its_token("command");
}
