//! Pushes over a real smart-HTTP server that requires the token.

use std::path::{Path, PathBuf};

use super::support::cmd::path_str;
use super::support::cmd::tempdir;
use super::support::git_fixtures::{
    Remote, commit_and_push, git, llama_tree, set_remote_url, write,
};
use super::support::http_git::HttpGit;
use super::support::proxy::ConnectProxy;
use super::support::tls::TestCa;
use super::*;

/// A remote, the server `serve` starts for its folder (serving it as `acme/stack.git` too), a
/// checkout (`shallow`: depth 1, as actions/checkout makes it) whose origin is the served
/// `/remote.git`, and the branch's tip.
struct Served {
    tmp: tempfile::TempDir,
    remote: Remote,
    server: HttpGit,
    work: PathBuf,
    before: String,
}

/// The push put one commit on `before` whose `REC_NEW` is `content`, and it carried the token
/// (as the user `x-access-token`).
#[track_caller]
fn assert_pushed_with_token(remote: &Remote, server: &HttpGit, before: &str, content: &str) {
    assert_eq!(remote.parents(&remote.rev(BRANCH)), vec![before.to_owned()]);
    assert_eq!(remote.show(BRANCH, REC_NEW), content);
    let pushes = server.pushes("acme/stack");
    assert!(
        pushes.iter().any(|r| r.ends_with("user=x-access-token")),
        "{:?}",
        server.requests()
    );
}

impl Served {
    fn new(shallow: bool, serve: impl FnOnce(&Path) -> HttpGit) -> Self {
        let tmp = tempdir();
        let remote = Remote::new(tmp.path(), BRANCH, &llama_tree());
        link_repository(tmp.path());
        let server = serve(tmp.path());
        let work = if shallow {
            remote.shallow_clone("work", BRANCH)
        } else {
            remote.clone("work", BRANCH)
        };
        set_remote_url(&work, "origin", &server.url("remote.git"));
        let before = remote.rev(BRANCH);
        Self {
            tmp,
            remote,
            server,
            work,
            before,
        }
    }

    /// The parts, in the order of the fields.
    fn parts(self) -> (tempfile::TempDir, Remote, HttpGit, PathBuf, String) {
        (self.tmp, self.remote, self.server, self.work, self.before)
    }

    /// [`Served::new`] by a plain-http server that takes only `token`.
    fn plain(shallow: bool, token: &str) -> Self {
        Self::new(shallow, |root| HttpGit::start(root, token))
    }
}

#[test]
fn push_over_smart_http_authenticates_with_the_token_from_a_shallow_checkout() {
    let (tmp, remote, server, work, before) = Served::plain(true, "s3cret-token").parts();
    record_with_decoys(&work);
    let job = Job::runner(&tmp.path().join("job"))
        .served_by(&server)
        .set("PUSH_TOKEN", "s3cret-token");
    let run = job
        .run(
            &work,
            &["--target-branch", BRANCH, "--push-token-env", "PUSH_TOKEN"],
        )
        .success();
    assert_pushed_with_token(&remote, &server, &before, "{\"new\": true}");
    let config = std::fs::read_to_string(work.join(".git/config")).unwrap();
    assert!(!config.contains("s3cret-token") && !run.all_output().contains("s3cret-token"));
    assert!(!job.summary().contains("s3cret-token"));
}

#[test]
fn push_over_smart_http_with_a_wrong_token_fails_clearly_without_showing_it() {
    let (tmp, remote, server, work, before) = Served::plain(false, "right-token").parts();
    write(&work, REC_NEW, "{}\n");
    let run = Job::runner(&tmp.path().join("job"))
        .served_by(&server)
        .set("GITHUB_TOKEN", "wrong-token-value")
        .run(&work, &["--target-branch", BRANCH])
        .failure();
    run.assert_stderr_has("authentication");
    run.assert_stderr_has("GITHUB_TOKEN");
    assert!(
        !run.all_output().contains("wrong-token-value"),
        "{}",
        run.all_output()
    );
    assert_eq!(remote.rev(BRANCH), before);
}

#[test]
fn push_over_smart_http_from_a_shallow_checkout_lands_on_a_tip_that_moved() {
    let (tmp, remote, server, work, _) = Served::plain(true, "tok").parts();
    let moved = sibling_pushes_a_recording(&remote);
    write(&work, REC_NEW, "{}\n");
    Job::runner(&tmp.path().join("job"))
        .served_by(&server)
        .set("GITHUB_TOKEN", "tok")
        .run(&work, &["--target-branch", BRANCH])
        .success();
    assert_eq!(remote.parents(&remote.rev(BRANCH)), vec![moved]);
    assert!(remote.files(BRANCH).contains(&REC_NEW.to_owned()));
}

#[test]
fn concurrent_pushes_over_smart_http_all_land() {
    let tmp = tempdir();
    let remote = Remote::new(tmp.path(), BRANCH, &llama_tree());
    link_repository(tmp.path());
    let server = std::sync::Arc::new(HttpGit::start(tmp.path(), "tok"));
    let before = remote.rev(BRANCH);
    let works: Vec<PathBuf> = (1..=4)
        .map(|j| {
            let w = remote.shallow_clone(&format!("job-{j}"), BRANCH);
            set_remote_url(&w, "origin", &server.url("remote.git"));
            write(
                &w,
                &format!("tests/integration/recordings/http-{j}.json"),
                "{}\n",
            );
            w
        })
        .collect();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(works.len()));
    let handles: Vec<_> = works
        .into_iter()
        .enumerate()
        .map(|(j, w)| {
            let (barrier, dir) = (barrier.clone(), tmp.path().join(format!("runner-{j}")));
            let server = server.clone();
            std::thread::spawn(move || {
                let job = Job::runner(&dir)
                    .served_by(&server)
                    .set("GITHUB_TOKEN", "tok");
                barrier.wait();
                let run = job.run(&w, &["--target-branch", BRANCH]);
                (run.code, run.all_output())
            })
        })
        .collect();
    for h in handles {
        let (code, output) = h.join().unwrap();
        assert_eq!(code, 0, "{output}");
    }
    assert_eq!(remote.count(&format!("{before}..{BRANCH}")), 4);
    let files = remote.files(BRANCH);
    assert!(
        (1..=4).all(|j| files.contains(&format!("tests/integration/recordings/http-{j}.json"))),
        "{files:?}"
    );
}

#[test]
fn a_remote_that_never_answers_fails_the_push_instead_of_hanging() {
    let tmp = tempdir();
    let remote = Remote::new(tmp.path(), BRANCH, &llama_tree());
    let work = remote.clone("work", BRANCH);
    // Accepts connections and then says nothing, like a stuck proxy.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/remote.git", silent.local_addr().unwrap());
    let _held = std::thread::spawn(move || {
        let conns: Vec<_> = silent.incoming().take(4).collect();
        std::thread::sleep(std::time::Duration::from_secs(30));
        drop(conns);
    });
    set_remote_url(&work, "origin", &url);
    write(&work, REC_NEW, "{}\n");
    let started = std::time::Instant::now();
    let run = Job::runner(&tmp.path().join("job"))
        .set("GITHUB_SERVER_URL", url.trim_end_matches("/remote.git"))
        .set("GITHUB_TOKEN", "ghs_job0123456789token")
        .set("RERECORD_GIT_TIMEOUT", "1")
        .run(&work, &["--target-branch", BRANCH])
        .failure();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "the push waited {:?}",
        started.elapsed()
    );
    run.assert_stderr_has("timed out");
}

#[test]
fn push_over_https_trusts_the_certificates_of_ssl_cert_file() {
    let ca = TestCa::new();
    let (tmp, remote, server, work, before) =
        Served::new(true, |root| HttpGit::start_tls(root, "tls-token", &ca)).parts();
    write(&work, REC_NEW, "{\"over\": \"tls\"}\n");
    let ca_file = tmp.path().join("ca.pem");
    ca.write_pem(&ca_file);
    Job::runner(&tmp.path().join("job"))
        .served_by(&server)
        .set("GITHUB_TOKEN", "tls-token")
        .set("SSL_CERT_FILE", &path_str(&ca_file))
        .run(&work, &["--target-branch", BRANCH])
        .success();
    assert_pushed_with_token(&remote, &server, &before, "{\"over\": \"tls\"}");
}

#[test]
fn an_https_remote_with_an_untrusted_certificate_is_refused_before_the_token_is_sent() {
    let (tmp, remote, server, work, before) = Served::new(false, |root| {
        HttpGit::start_tls(root, "tls-token", &TestCa::new())
    })
    .parts();
    write(&work, REC_NEW, "{}\n");
    // Trust another CA than the one that signed the server's certificate.
    let other = tmp.path().join("other-ca.pem");
    TestCa::new().write_pem(&other);
    let run = Job::runner(&tmp.path().join("job"))
        .served_by(&server)
        .set("GITHUB_TOKEN", "tls-token")
        .set("SSL_CERT_FILE", &path_str(&other))
        .run(&work, &["--target-branch", BRANCH])
        .failure();
    run.assert_stderr_has("certificate");
    run.assert_stderr_has("SSL_CERT_FILE");
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    assert_eq!(remote.rev(BRANCH), before);
}

#[test]
fn a_renamed_repository_redirect_is_followed_by_the_whole_push() {
    let (tmp, remote, server, work, before) = Served::plain(false, "tok").parts();
    // The runner names the repository by its old name; GitHub redirects to the new one.
    server.redirect("acme/old-name.git", &server.url("acme/stack.git"));
    write(&work, REC_NEW, "{\"renamed\": true}\n");
    Job::runner(&tmp.path().join("job"))
        .served_by(&server)
        .set("GITHUB_REPOSITORY", "acme/old-name")
        .set("GITHUB_TOKEN", "tok")
        .run(&work, &["--target-branch", BRANCH])
        .success();
    assert_eq!(remote.parents(&remote.rev(BRANCH)), vec![before]);
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("POST /acme/stack.git/git-receive-pack")),
        "{requests:?}"
    );
    assert!(
        !requests
            .iter()
            .any(|r| r.starts_with("POST /acme/old-name.git")),
        "{requests:?}"
    );
}

#[test]
fn a_redirect_to_another_host_never_gets_the_token() {
    let tmp = tempdir();
    let remote = Remote::new(tmp.path(), BRANCH, &llama_tree());
    let token = "ghs_redirected0123456789";
    link_repository(tmp.path());
    let elsewhere = HttpGit::start(tmp.path(), token);
    let front = HttpGit::start(tmp.path(), token);
    front.redirect("acme/stack.git", &elsewhere.url("acme/stack.git"));
    let work = remote.clone("work", BRANCH);
    let before = remote.rev(BRANCH);
    write(&work, REC_NEW, "{}\n");
    let run = Job::runner(&tmp.path().join("job"))
        .served_by(&front)
        .set("GITHUB_TOKEN", token)
        .run(&work, &["--target-branch", BRANCH])
        .failure();
    assert!(
        run.stderr.contains("a host other than") && !run.all_output().contains(token),
        "{}",
        run.stderr
    );
    let reached = elsewhere.requests();
    assert!(!reached.is_empty(), "the redirect was not followed");
    assert!(
        reached.iter().all(|r| !r.contains("user=")),
        "credentials went to the other host: {reached:?}"
    );
    assert_eq!(remote.rev(BRANCH), before);
}

#[test]
fn outside_actions_an_ssh_remote_is_refused_with_the_command_that_fixes_it() {
    let (tmp, remote, work) = setup();
    set_remote_url(&work, "origin", "git@github.com:acme/stack.git");
    let before = remote.rev(BRANCH);
    write(&work, REC_NEW, "{}\n");
    let run = Job::runner(&tmp.path().join("job"))
        .set("GITHUB_ACTIONS", "")
        .set("GITHUB_TOKEN", "ghs_job0123456789token")
        .run(&work, &["--target-branch", BRANCH])
        .failure();
    run.assert_stderr_has("only over https");
    run.assert_stderr_has("git remote set-url origin");
    assert_eq!(remote.rev(BRANCH), before);
}

#[test]
fn plain_http_never_goes_through_the_environments_proxy() {
    let (tmp, remote, server, work, _) = Served::plain(false, "ghs_proxied0123456789").parts();
    // A proxy that would see the token in clear text.
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    write(&work, REC_NEW, "{}\n");
    Job::runner(&tmp.path().join("job"))
        .served_by(&server)
        .set("GITHUB_TOKEN", "ghs_proxied0123456789")
        .set("HTTP_PROXY", &proxy_url)
        .set("ALL_PROXY", &proxy_url)
        .set("RERECORD_GIT_TIMEOUT", "2")
        .run(&work, &["--target-branch", BRANCH])
        .success();
    assert!(remote.files(BRANCH).contains(&REC_NEW.to_owned()));
    proxy.set_nonblocking(true).unwrap();
    assert!(proxy.accept().is_err(), "the push went through the proxy");
}

#[test]
fn outside_actions_the_push_url_is_used_for_fetch_and_push_with_the_token() {
    let (_tmp, remote, server, work, _) = Served::plain(false, "ghs_pushurl0123456789").parts();
    git(
        &work,
        &[
            "remote",
            "set-url",
            "--push",
            "origin",
            &format!("{}/", server.url("remote.git")),
        ],
    );
    set_remote_url(&work, "origin", "https://unreachable.invalid/x.git");
    let before = remote.rev(BRANCH);
    write(&work, REC_NEW, "{\"pushurl\": 1}\n");
    rerecord()
        .current_dir(&work)
        .env("GITHUB_TOKEN", "ghs_pushurl0123456789")
        .args(["commit", "--target-branch", BRANCH])
        .run()
        .success();
    assert_eq!(remote.parents(&remote.rev(BRANCH)), vec![before]);
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.starts_with("GET /remote.git/info/refs?service=git-upload-pack")),
        "{:?}",
        server.requests()
    );
}

#[test]
fn push_over_smart_http_does_not_undo_a_force_push_that_rewound_the_branch_meanwhile() {
    let (tmp, remote, server, work, rewound_to) = Served::plain(false, "tok").parts();
    // The branch gains a commit the full clone's fetch builds on ...
    let sibling = remote.clone("sibling", BRANCH);
    write(&sibling, "src/dropped.py", "x = 1\n");
    let dropped = commit_and_push(&sibling, BRANCH, "to be force-pushed away");
    // ... and is force-pushed back between that fetch and the push.
    let bare = remote.bare.clone();
    let back = rewound_to.clone();
    server.before_next("service=git-receive-pack", move || {
        git(
            &bare,
            &["update-ref", &format!("refs/heads/{BRANCH}"), &back],
        );
    });
    write(&work, REC_NEW, "{\"new\": true}");
    Job::runner(&tmp.path().join("job"))
        .served_by(&server)
        .set("PUSH_TOKEN", "tok")
        .run(
            &work,
            &["--target-branch", BRANCH, "--push-token-env", "PUSH_TOKEN"],
        )
        .success();
    let tip = remote.rev(BRANCH);
    assert_eq!(
        remote.parents(&tip),
        vec![rewound_to],
        "the recordings commit must sit on the rewound tip"
    );
    assert!(
        !remote.files(BRANCH).contains(&"src/dropped.py".to_owned()),
        "the force-push was undone: {dropped} is back on {BRANCH}"
    );
    assert_eq!(remote.show(BRANCH, REC_NEW), "{\"new\": true}");
}

#[test]
fn an_https_push_takes_the_same_proxy_decision_as_the_api_https_proxy_and_no_proxy() {
    // The API's side of this decision is `fetch_over_an_https_api_goes_through_the_environments_proxy`:
    // both go through one connector, so the same variables send git the same way.
    let ca = TestCa::new();
    let (tmp, remote, server, work, _) =
        Served::new(false, |root| HttpGit::start_tls(root, "proxied-token", &ca)).parts();
    let ca_file = tmp.path().join("ca.pem");
    ca.write_pem(&ca_file);
    let proxy = ConnectProxy::start();
    let origin = server.url("remote.git");
    let target = origin
        .trim_start_matches("https://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let push = |file: &str, vars: &[(&str, &str)]| {
        write(&work, file, "{}\n");
        let mut job = Job::runner(&tmp.path().join(format!("job-{}", file.len())))
            .served_by(&server)
            .set("GITHUB_TOKEN", "proxied-token")
            .set("SSL_CERT_FILE", &path_str(&ca_file));
        for (k, v) in vars {
            job = job.set(k, v);
        }
        job.run(&work, &["--target-branch", BRANCH]).success();
        assert!(remote.files(BRANCH).contains(&file.to_owned()), "{file}");
    };
    let with_credentials = proxy.url().replace("http://", "http://me:pw@");
    push(REC_NEW, &[("HTTPS_PROXY", &with_credentials)]);
    proxy.assert_only_tunnels_to(&target);

    let before = proxy.seen().len();
    push(
        "tests/integration/agents/recordings/b-proxied-direct.json",
        &[
            ("https_proxy", &proxy.url()),
            ("no_proxy", "localhost,127.0.0.1"),
        ],
    );
    assert_eq!(
        proxy.seen().len(),
        before,
        "NO_PROXY was not honoured by git"
    );
}
