//! `cargo bench --bench land`: what `rerecord land` costs on a PR branch with a long history
//! (issue 10, item 9: "land costs what the change costs").
//!
//! For each history length (500, 2,000 and 5,000 commits, each rewriting three of 200
//! recordings, generated here with `git fast-import`), a bare repository is served by the
//! smart-HTTP test server and described by the fake GitHub (PR, run, one recording artifact).
//! Each landing is a new run of the PR's head whose artifact changes 10 recordings; printed side
//! by side: the median wall time of `rerecord land` and the bytes the git server sent it (ref
//! discoveries and upload-pack answers), next to what a full-history fetch of the same branch
//! (`git clone --bare --single-branch`) costs. Land's figures must stay flat as the history
//! grows. `RERECORD_BENCH_RUNS` sets the landings per length (default 3). Nothing outside this
//! repository is read.

#[path = "../tests/it/support/fake_github/mod.rs"]
#[allow(unused_imports, dead_code)]
mod fake_github;
#[path = "../tests/it/support/git_import.rs"]
mod git_import;
#[path = "../tests/it/support/http_git.rs"]
#[allow(dead_code)]
mod http_git;
#[path = "../tests/it/support/tls.rs"]
#[allow(dead_code)]
mod tls;
#[path = "../tests/it/support/zips.rs"]
mod zips;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use base64::Engine;
use fake_github::{FakeGitHub, PrSpec, RunSpec, TOKEN};
use http_git::HttpGit;

const REPO: &str = "upstream/project";
const WORKFLOW: &str = "record-integration-tests.yml";
const BRANCH: &str = "feature-x";
const RECORDINGS: usize = 200;
const LENGTHS: [usize; 3] = [500, 2_000, 5_000];

fn main() {
    let rerecord = PathBuf::from(env!("CARGO_BIN_EXE_rerecord"));
    let runs: usize = std::env::var("RERECORD_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(3);
    let mut rows = Vec::new();
    for commits in LENGTHS {
        eprintln!("history of {commits} commits...");
        rows.push(measure(&rerecord, commits, runs));
    }
    println!("history     land (median)   land: bytes fetched   full-history fetch: bytes   time");
    for r in &rows {
        println!(
            "{:>6} commits  {:>8.1} ms   {:>12}          {:>12}             {:>7.1} ms",
            r.commits,
            r.land_secs * 1e3,
            r.land_bytes,
            r.clone_bytes,
            r.clone_secs * 1e3
        );
    }
    let (first, last) = (&rows[0], &rows[rows.len() - 1]);
    println!(
        "goal: flat in the history ({}x longer): land time {:.2}x, land bytes {:.2}x (a full fetch grows {:.2}x)",
        last.commits / first.commits,
        last.land_secs / first.land_secs,
        last.land_bytes as f64 / first.land_bytes as f64,
        last.clone_bytes as f64 / first.clone_bytes as f64
    );
}

struct Row {
    commits: usize,
    land_secs: f64,
    land_bytes: usize,
    clone_bytes: usize,
    clone_secs: f64,
}

fn recording(i: usize) -> String {
    format!("tests/integration/recordings/r{i:03}.json")
}

/// What a full single-branch clone over smart HTTP costs: bytes served and seconds.
fn full_clone(http: &HttpGit, dir: &Path) -> (usize, f64) {
    let before = http.bytes_sent("git-upload-pack");
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{TOKEN}"));
    let start = Instant::now();
    git(
        dir,
        &[
            "-c",
            &format!("http.extraHeader=Authorization: Basic {auth}"),
            "clone",
            "-q",
            "--bare",
            "--single-branch",
            "--branch",
            BRANCH,
            &http.url(&format!("{REPO}.git")),
            "full.git",
        ],
    );
    let clone_secs = start.elapsed().as_secs_f64();
    (http.bytes_sent("git-upload-pack") - before, clone_secs)
}

fn measure(rerecord: &Path, commits: usize, runs: usize) -> Row {
    let tmp = tempfile::tempdir().expect("tempdir");
    let served = tmp.path().join("git");
    let bare = served.join(format!("{REPO}.git"));
    std::fs::create_dir_all(&bare).unwrap();
    git(&bare, &["init", "-q", "--bare", "-b", "main"]);
    git_import::fast_import(&bare, &history(commits));
    let http = HttpGit::start(&served, TOKEN);
    let fake = FakeGitHub::start();
    fake.add_repo(REPO);
    fake.attach_git(REPO, &bare);

    let (mut times, mut bytes) = (Vec::new(), Vec::new());
    for n in 0..runs {
        let head = git(&bare, &["rev-parse", BRANCH]).trim().to_owned();
        let pr = fake.add_pr(PrSpec::open(REPO, REPO, BRANCH, &head));
        let mut spec = RunSpec::completed(WORKFLOW, BRANCH, &head, "success");
        spec.event = "pull_request".into();
        spec.head_repository = REPO.into();
        spec.pull_requests = vec![pr];
        let run = fake.add_run(REPO, spec);
        fake.add_artifact(REPO, run, "recordings-1", artifact(run, &head, n), false);
        let before = http.bytes_sent("git-upload-pack");
        let start = Instant::now();
        let out = Command::new(rerecord)
            .current_dir(tmp.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", tmp.path())
            .env("GH_TOKEN", TOKEN)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_REPOSITORY", REPO)
            .env(
                "GITHUB_SERVER_URL",
                format!("http://127.0.0.1:{}", http.port),
            )
            .env("RUNNER_TEMP", tmp.path())
            .args([
                "land",
                "--api-url",
                &fake.url(),
                "--run",
                &run.to_string(),
                "--no-comment",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("spawn rerecord");
        times.push(start.elapsed().as_secs_f64());
        assert!(
            out.status.success(),
            "rerecord land failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        bytes.push(http.bytes_sent("git-upload-pack") - before);
        let tip = git(&bare, &["rev-parse", BRANCH]).trim().to_owned();
        assert_ne!(tip, head, "land pushed nothing");
    }

    let (clone_bytes, clone_secs) = full_clone(&http, tmp.path());
    Row {
        commits,
        land_secs: median(&mut times),
        land_bytes: median_usize(&mut bytes),
        clone_bytes,
        clone_secs,
    }
}

/// A `git fast-import` stream: `main` with 200 recordings and some code, and `BRANCH` on top
/// with `commits` commits, each rewriting three recordings.
fn history(commits: usize) -> String {
    let mut s = String::new();
    let blob = |s: &mut String, path: &str, content: &str| {
        s.push_str(&format!(
            "M 100644 inline {path}\ndata {}\n{content}\n",
            content.len()
        ));
    };
    s.push_str(
        "commit refs/heads/main\ncommitter t <t@example.com> 1700000000 +0000\ndata 7\ninitial\n",
    );
    blob(&mut s, "src/app.py", "print('hi')\n");
    for i in 0..RECORDINGS {
        let body = format!(
            "{{\"id\": {i}, \"response\": \"{}\"}}\n",
            "x".repeat(400 + i)
        );
        blob(&mut s, &recording(i), &body);
    }
    for c in 0..commits {
        s.push_str(&format!(
            "commit refs/heads/{BRANCH}\ncommitter t <t@example.com> {} +0000\ndata 10\nre-record\n",
            1_700_000_001 + c
        ));
        if c == 0 {
            s.push_str("from refs/heads/main\n");
        }
        for k in 0..3 {
            let i = (c * 3 + k) % RECORDINGS;
            let body = format!(
                "{{\"id\": {i}, \"commit\": {c}, \"response\": \"{}\"}}\n",
                "y".repeat(400)
            );
            blob(&mut s, &recording(i), &body);
        }
    }
    s
}

/// Artifact of landing `n`: 10 recordings with new contents, its manifest naming `head`.
fn artifact(run: u64, head: &str, n: usize) -> Vec<u8> {
    let files: Vec<(String, Vec<u8>)> = (0..10)
        .map(|k| {
            let i = (n * 10 + k) % RECORDINGS;
            let body = format!(
                "{{\"id\": {i}, \"landing\": {n}, \"response\": \"{}\"}}\n",
                "z".repeat(400)
            );
            (recording(i), body.into_bytes())
        })
        .collect();
    let listed: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let mut manifest = zips::manifest_value(run, &listed, &[]);
    manifest["head_repository"] = REPO.into();
    manifest["head_sha"] = head.into();
    manifest["checkout_sha"] = head.into();
    let mut zip = zips::ZipBuilder::new();
    for (path, bytes) in &listed {
        zip = zip.file(path, bytes);
    }
    zip.raw_manifest(&manifest).finish()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn median_usize(v: &mut [usize]) -> usize {
    v.sort_unstable();
    v[v.len() / 2]
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
