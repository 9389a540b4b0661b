//! The recording job's tests ran the PR's code before `commit`, and rewrote what they could:
//! `.git/config`, `$HOME/.gitconfig`, includes, the work tree's `rerecord.toml`, the event
//! payload, the git identity, file modes. None of it may steer the token, the push or what is
//! pushed. A second smart-HTTP server ("evil", holding a copy of the repository and accepting
//! the same token) must never see a single request.

use std::path::{Path, PathBuf};

use super::support::cmd::path_str;
use super::support::git_fixtures::{Remote, add_remote, git, llama_tree, set_remote_url, write};
use super::*;

/// A job over the real server, the evil server, and the checkout the tests messed with.
struct World {
    tmp: tempfile::TempDir,
    remote: Remote,
    work: PathBuf,
    before: String,
    job: Job,
    evil: HttpGit,
    evil_remote: Remote,
}

impl World {
    fn new() -> Self {
        let (tmp, remote, work) = setup();
        let evil_root = tmp.path().join("evil");
        std::fs::create_dir_all(&evil_root).unwrap();
        let evil_remote = Remote::new(&evil_root, BRANCH, &llama_tree());
        link_repository(&evil_root);
        let evil = HttpGit::start(&evil_root, JOB_TOKEN);
        let job = Job::new(&tmp.path().join("job"));
        let before = remote.rev(BRANCH);
        // What actions/checkout leaves: origin is the repository on the server.
        set_remote_url(&work, "origin", &Self::url(&job));
        Self {
            tmp,
            remote,
            work,
            before,
            job,
            evil,
            evil_remote,
        }
    }

    /// The repository on the job's (real) server.
    fn url(job: &Job) -> String {
        job.server.as_ref().unwrap().url("acme/stack.git")
    }

    fn real_url(&self) -> String {
        Self::url(&self.job)
    }

    /// Another run of the same job (same runner files and server, the job's token).
    fn again(&self) -> Job {
        Job {
            dir: self.job.dir.clone(),
            env: self.job.env.clone(),
            server: None,
        }
    }

    fn evil_url(&self) -> String {
        self.evil.url("acme/stack.git")
    }

    /// A new recording and, beside it, a source change that must stay behind.
    fn record(&self) {
        write(&self.work, REC_NEW, "{\"hostile\": false}\n");
        write(&self.work, "src/app.py", "print('changed by the tests')\n");
    }

    /// The real branch got exactly one commit, on the old tip, changing only `REC_NEW`; the
    /// evil server saw nothing.
    fn assert_only_the_recording_landed(&self, case: &str) {
        let tip = self.remote.rev(BRANCH);
        assert_eq!(
            self.remote.parents(&tip),
            vec![self.before.clone()],
            "{case}"
        );
        let changed = git(
            &self.remote.bare,
            &["diff", "--name-only", &self.before, &tip],
        );
        assert_eq!(changed, REC_NEW, "{case}");
        self.assert_evil_saw_nothing(case);
        let pushes = self.job.server.as_ref().unwrap().pushes("acme/stack");
        assert!(
            pushes.iter().all(|r| r.ends_with("user=x-access-token")) && !pushes.is_empty(),
            "{case}: {pushes:?}"
        );
    }

    fn assert_evil_saw_nothing(&self, case: &str) {
        assert_eq!(self.evil.requests(), Vec::<String>::new(), "{case}");
        assert_eq!(
            self.evil_remote.rev(BRANCH),
            self.evil_remote.rev("main"),
            "{case}: the evil copy moved"
        );
    }
}

/// A config file with every redirection git knows, from the real URL to the evil one.
fn redirecting_config(real: &str, evil: &str) -> String {
    format!(
        "[remote \"origin\"]\n\turl = {evil}\n\tpushurl = {evil}\n\
         [url \"{evil}\"]\n\tinsteadOf = {real}\n\tpushInsteadOf = {real}\n"
    )
}

#[test]
fn no_url_pushurl_insteadof_or_include_in_any_git_config_steers_the_token_or_the_push() {
    type Attack = fn(&World, &Path) -> Vec<(String, String)>;
    let attacks: [(&str, Attack); 7] = [
        ("remote.origin.url", |w, _| {
            set_remote_url(&w.work, "origin", &w.evil_url());
            vec![]
        }),
        ("remote.origin.pushurl", |w, _| {
            git(
                &w.work,
                &["remote", "set-url", "--push", "origin", &w.evil_url()],
            );
            vec![]
        }),
        ("url.insteadOf in .git/config", |w, _| {
            let key = format!("url.{}.insteadOf", w.evil_url());
            git(&w.work, &["config", &key, &w.real_url()]);
            let key = format!("url.{}.pushInsteadOf", w.evil_url());
            git(&w.work, &["config", &key, &w.real_url()]);
            vec![]
        }),
        ("url.insteadOf in $HOME/.gitconfig", |w, home| {
            let file = home.join(".gitconfig");
            std::fs::write(&file, redirecting_config(&w.real_url(), &w.evil_url())).unwrap();
            vec![("GIT_CONFIG_GLOBAL".into(), path_str(&file))]
        }),
        ("include.path", |w, home| {
            let file = home.join("included.conf");
            std::fs::write(&file, redirecting_config(&w.real_url(), &w.evil_url())).unwrap();
            git(&w.work, &["config", "include.path", &path_str(&file)]);
            vec![]
        }),
        ("includeIf gitdir", |w, home| {
            let file = home.join("included-if.conf");
            std::fs::write(&file, redirecting_config(&w.real_url(), &w.evil_url())).unwrap();
            let key = format!("includeIf.gitdir:{}/.path", path_str(&w.work));
            git(&w.work, &["config", &key, &path_str(&file)]);
            vec![]
        }),
        ("--remote naming a remote the tests added", |w, _| {
            add_remote(&w.work, "evil", &w.evil_url());
            vec![("ARGS".into(), "--remote=evil".into())]
        }),
    ];
    for (case, attack) in attacks {
        let w = World::new();
        let home = w.tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        w.record();
        let mut job = w.again().set("HOME", &path_str(&home));
        let mut args = vec!["--target-branch", BRANCH];
        let extra = attack(&w, &home);
        for (k, v) in &extra {
            if k == "ARGS" {
                args.push(v);
            } else {
                job = job.set(k, v);
            }
        }
        let run = job.run(&w.work, &args);
        assert_eq!(run.code, 0, "{case}: {}", run.all_output());
        w.assert_only_the_recording_landed(case);
        assert!(!run.all_output().contains(JOB_TOKEN), "{case}");
        if case.starts_with("--remote") {
            assert!(
                run.stdout
                    .contains("--remote does not apply inside GitHub Actions"),
                "{case}: {}",
                run.stdout
            );
        }
    }
}

#[test]
fn a_smuggled_fetch_url_with_extra_commits_pushes_nothing_but_the_recording() {
    let w = World::new();
    // The tests point origin's fetch URL at a local copy whose branch carries a workflow and a
    // source change, and leave the push URL on the real server.
    let smuggle = w.remote.clone("smuggle", BRANCH);
    write(&smuggle, ".github/workflows/x.yml", "on: push\n");
    write(&smuggle, "src/backdoor.py", "import os\n");
    git(&smuggle, &["add", "-A"]);
    git(&smuggle, &["commit", "-q", "-m", "innocent"]);
    set_remote_url(&w.work, "origin", &path_str(&smuggle));
    git(
        &w.work,
        &["remote", "set-url", "--push", "origin", &w.real_url()],
    );
    git(&w.work, &["fetch", "-q", "origin", BRANCH]);
    w.record();
    w.job.run(&w.work, &["--target-branch", BRANCH]).success();
    w.assert_only_the_recording_landed("smuggled fetch URL");
    let files = w.remote.files(BRANCH);
    assert!(
        !files
            .iter()
            .any(|f| f == ".github/workflows/x.yml" || f == "src/backdoor.py"),
        "{files:?}"
    );
}

#[test]
fn a_work_tree_rerecord_toml_is_ignored_and_the_summary_names_the_committed_config() {
    let w = World::new();
    w.record();
    for name in ["rerecord.toml", ".github/rerecord.toml"] {
        write(&w.work, name, "recordings = [\"src/\", \".github/\"]\n");
    }
    write(&w.work, ".github/workflows/record.yml", "name: pwned\n");
    let run = w.job.run(&w.work, &["--target-branch", BRANCH]).success();
    w.assert_only_the_recording_landed("work-tree rerecord.toml");
    let summary = w.job.summary();
    let short = &w.before[..12];
    assert!(
        summary.contains(&format!(
            "`the built-in defaults (no rerecord.toml committed in {short})`"
        )),
        "{summary}"
    );
    run.assert_stdout_has("the work tree's rerecord.toml differs");
}

#[test]
fn the_config_is_read_from_github_sha_even_when_the_tests_committed_another() {
    let (tmp, remote) = remote_with_agents_config("rerecord.toml");
    let work = remote.clone("work", BRANCH);
    let checkout = remote.rev(BRANCH);
    // The tests commit a wider config locally (HEAD moves; GITHUB_SHA stays the checkout).
    write(&work, "rerecord.toml", "recordings = [\"src/\"]\n");
    git(&work, &["commit", "-qam", "widen"]);
    write(&work, "src/app.py", "print('pwned')\n");
    write(&work, REC_MOD, "{\"agents\": \"new\"}\n");
    write(&work, REC_ROOT_NEW, "{\"not in the committed globs\": 1}\n");
    let job = Job::new(&tmp.path().join("job")).set("GITHUB_SHA", &checkout);
    job.run(&work, &["--target-branch", BRANCH]).success();
    let tip = remote.rev(BRANCH);
    assert_eq!(
        git(&remote.bare, &["diff", "--name-only", &checkout, &tip]),
        REC_MOD
    );
    assert!(
        job.summary().contains(&format!(
            "`rerecord.toml as committed in {}`",
            &checkout[..12]
        )),
        "{}",
        job.summary()
    );
    // The workflow's own list (the action's `recordings` input) wins over the config.
    write(&work, REC_MOD, "{\"agents\": \"newer\"}\n");
    let job = Job::new(&tmp.path().join("job2"))
        .set("GITHUB_SHA", &checkout)
        .set("RERECORD_RECORDINGS", "tests/integration/recordings/\n");
    let run = job
        .run(&work, &["--target-branch", BRANCH, "--json"])
        .success();
    assert_eq!(
        run.json()["recordings-source"],
        "RERECORD_RECORDINGS (the action's `recordings` input)"
    );
    assert_eq!(
        run.json()["files"][0]["path"],
        REC_ROOT_NEW,
        "{}",
        run.stdout
    );
}

#[test]
fn a_payload_whose_head_ref_was_rewritten_to_main_is_refused() {
    let w = World::new();
    w.record();
    let job = w.again().pull_request(BRANCH, &w.before, REPO);
    let event = job.dir.join("event.json");
    let text = std::fs::read_to_string(&event).unwrap();
    std::fs::write(
        &event,
        text.replace(&format!("\"ref\":\"{BRANCH}\""), "\"ref\":\"main\""),
    )
    .unwrap();
    assert!(
        std::fs::read_to_string(&event)
            .unwrap()
            .contains("\"ref\":\"main\"")
    );
    let main_before = w.remote.rev("main");
    let run = job.run(&w.work, &[]).failure();
    run.assert_stderr_has("pull_request.head.ref");
    run.assert_stderr_has("GITHUB_HEAD_REF");
    assert_eq!(w.remote.rev("main"), main_before);
    assert_eq!(w.remote.rev(BRANCH), w.before);
    assert!(
        w.job.server.as_ref().unwrap().requests().is_empty(),
        "nothing was fetched or pushed"
    );
}

#[test]
fn the_commit_is_by_the_bot_or_the_flags_never_by_the_jobs_git_identity() {
    let w = World::new();
    let home = w.tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join(".gitconfig"),
        "[user]\n\tname = Home Mallory\n\temail = home@evil.example\n",
    )
    .unwrap();
    git(&w.work, &["config", "user.name", "Repo Mallory"]);
    git(&w.work, &["config", "user.email", "repo@evil.example"]);
    w.record();
    let job = || {
        w.again()
            .set("HOME", &path_str(&home))
            .set("GIT_CONFIG_GLOBAL", &path_str(&home.join(".gitconfig")))
            .set("GIT_AUTHOR_NAME", "Env Mallory")
            .set("GIT_COMMITTER_EMAIL", "env@evil.example")
    };
    job().run(&w.work, &["--target-branch", BRANCH]).success();
    let tip = w.remote.rev(BRANCH);
    assert_eq!(
        w.remote.who_and_subject(&tip),
        format!("{BOT}|{BOT}|Recordings update from CI (setup: unspecified, suite: unspecified)")
    );
    write(&w.work, REC_NEW, "{\"second\": 1}\n");
    job()
        .run(
            &w.work,
            &[
                "--target-branch",
                BRANCH,
                "--author-name",
                "Recorder",
                "--author-email",
                "recorder@acme.example",
            ],
        )
        .success();
    let who = w.remote.who_and_subject(&w.remote.rev(BRANCH));
    assert!(
        who.starts_with("Recorder <recorder@acme.example>|Recorder <recorder@acme.example>|"),
        "{who}"
    );
}

#[test]
fn an_executable_recording_lands_as_a_plain_file() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new();
    w.record();
    write(&w.work, REC_MOD, "#!/bin/sh\necho pwned\n");
    for path in [REC_NEW, REC_MOD] {
        std::fs::set_permissions(w.work.join(path), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    w.job.run(&w.work, &["--target-branch", BRANCH]).success();
    let modes = git(
        &w.remote.bare,
        &[
            "ls-tree",
            "-r",
            BRANCH,
            "tests/integration/agents/recordings/",
        ],
    );
    assert!(
        modes.lines().all(|l| l.starts_with("100644 blob ")),
        "{modes}"
    );
    assert!(
        modes.contains("a-new.json") && modes.contains("a-1.json"),
        "{modes}"
    );
}

#[test]
fn stage_mode_stages_a_same_repo_pr_and_touches_no_server() {
    let w = World::new();
    w.record();
    let job = w.again().pull_request(BRANCH, &w.before, REPO);
    job.run(&w.work, &["--mode", "stage", "--job-key", "0"])
        .success();
    let out = job.outputs();
    assert_eq!(
        (out["fork"].as_str(), out["pushed"].as_str()),
        ("false", "false")
    );
    assert_eq!(out["artifact-name"], "recordings-4242-2-record-0");
    let dir = PathBuf::from(&out["artifact-dir"]);
    assert_eq!(
        std::fs::read_to_string(dir.join(REC_NEW)).unwrap(),
        "{\"hostile\": false}\n"
    );
    assert!(dir.join("rerecord-manifest.json").is_file());
    assert!(!dir.join("src/app.py").exists());
    assert_eq!(w.remote.rev(BRANCH), w.before);
    assert!(w.job.server.as_ref().unwrap().requests().is_empty());
    assert!(
        job.summary().contains("rerecord land --run 4242"),
        "{}",
        job.summary()
    );
}

#[test]
fn push_mode_refuses_a_fork_pr_before_touching_anything() {
    let w = World::new();
    w.record();
    let job = w
        .again()
        .pull_request(BRANCH, &w.before, "contributor/stack");
    let run = job.run(&w.work, &["--mode", "push"]).expect_code(2);
    run.assert_stderr_has("fork");
    assert!(
        !w.tmp
            .path()
            .join("job/runner-temp/rerecord-artifact")
            .exists()
    );
    assert!(w.job.server.as_ref().unwrap().requests().is_empty());
    // The same fork PR in the default mode stages.
    job.run(&w.work, &[]).success();
    assert_eq!(job.outputs()["fork"], "true");
}

#[test]
fn private_refs_planted_as_symbolic_refs_to_a_local_commit_change_nothing() {
    let w = World::new();
    write(&w.work, ".github/workflows/x.yml", "on: push\n");
    git(&w.work, &["add", "-A"]);
    git(&w.work, &["commit", "-q", "-m", "backdoor"]);
    git(&w.work, &["branch", "planted"]);
    git(&w.work, &["reset", "-q", "--hard", "HEAD~1"]);
    for name in ["refs/rerecord/tip", "refs/rerecord/push"] {
        git(&w.work, &["symbolic-ref", name, "refs/heads/planted"]);
    }
    w.record();
    w.job.run(&w.work, &["--target-branch", BRANCH]).success();
    w.assert_only_the_recording_landed("planted symbolic refs");
}

#[test]
fn without_github_sha_in_the_clone_the_config_comes_from_head_and_an_unexpected_head_is_noted() {
    let (tmp, remote) = remote_with_agents_config(".github/rerecord.toml");
    let work = remote.shallow_clone("work", BRANCH);
    let head = remote.rev(BRANCH);
    write(&work, REC_MOD, "{\"agents\": \"new\"}\n");
    write(
        &work,
        REC_ROOT_NEW,
        "{\"outside the committed globs\": 1}\n",
    );
    // A pull_request run whose checkout is the PR head: the merge commit is not in the clone.
    let merge = "f".repeat(40);
    let job = Job::new(&tmp.path().join("job"))
        .pull_request(BRANCH, &head, REPO)
        .set("GITHUB_SHA", &merge);
    let run = job.run(&work, &["--dry-run", "--json"]).success();
    let json = run.json();
    assert_eq!(
        json["recordings-source"],
        format!(".github/rerecord.toml as committed in {}", &head[..12])
    );
    assert_eq!(json["count"], 1, "{}", run.stdout);
    assert!(
        !run.stderr.contains("GITHUB_SHA is not in this clone"),
        "{}",
        run.stderr
    );
    // The payload names another head than what is checked out: say where the config came from.
    let job = Job::new(&tmp.path().join("job2"))
        .pull_request(BRANCH, &"e".repeat(40), REPO)
        .set("GITHUB_SHA", &merge);
    let run = job.run(&work, &["--dry-run", "--json"]).success();
    run.assert_stderr_has("GITHUB_SHA is not in this clone");
}

/// A remote of the llama tree plus a config at `path` that takes only the agents' recordings.
fn remote_with_agents_config(path: &str) -> (tempfile::TempDir, Remote) {
    let tmp = tempdir();
    let mut tree = llama_tree();
    tree.push((
        path,
        "recordings = [\"tests/integration/agents/recordings/\"]\n",
    ));
    let remote = Remote::new(tmp.path(), BRANCH, &tree);
    (tmp, remote)
}
