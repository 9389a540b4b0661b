//! `cargo bench --bench fetch`: `rerecord fetch` against `unzip -o` of the same artifact into the
//! same tree (issue 4, "Performance").
//!
//! The artifact holds 48 recordings drawn from the corpus of `support/corpus.rs` (so their
//! sizes follow the real llama-stack distribution) plus a manifest, and is served by the fake
//! GitHub (API + storage redirect). Runs are paired: each pair resets the tree (not timed), times
//! `unzip -o`, resets again, times `rerecord fetch --run ID` (download, verify, apply), and the
//! pair's ratio is fetch/unzip; the order alternates between pairs. Printed: median wall times,
//! the median of the per-pair ratios, and peak RSS (`/usr/bin/time -f %M`) for the 48-file
//! artifact and for one ten times larger (480 recordings), which must stay flat (streaming).
//! `RERECORD_BENCH_PAIRS` sets the number of timed pairs (default 7, plus 1 warm-up).

#[path = "support/corpus.rs"]
mod corpus;
#[path = "../tests/it/support/fake_github/mod.rs"]
#[allow(unused_imports)]
mod fake_github;
#[path = "../tests/it/support/zips.rs"]
mod zips;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use fake_github::{FakeGitHub, RunSpec, TOKEN};

const REPO: &str = "upstream/project";
const WORKFLOW: &str = "record-integration-tests.yml";

fn main() {
    let rerecord = PathBuf::from(env!("CARGO_BIN_EXE_rerecord"));
    let pairs: usize = std::env::var("RERECORD_BENCH_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    require_unzip();
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path().join("corpus/work");

    eprintln!("building the corpus...");
    corpus::create(&tmp.path().join("corpus"), 1200, 1);
    let changed = corpus::mutate(&work, 480, false, 480);
    assert_eq!(changed.len(), 480);
    // Spread the 48 over new and re-recorded files alike.
    let small: Vec<String> = changed.iter().step_by(10).cloned().collect();
    let small_zip = artifact(&work, &small);
    let large_zip = artifact(&work, &changed);
    let probe = (
        small[0].clone(),
        zips::sha256_hex(&std::fs::read(work.join(&small[0])).unwrap()),
    );
    reset(&work);

    let fake = FakeGitHub::start();
    fake.add_repo(REPO);
    let head = git(&work, &["rev-parse", "HEAD"]);
    let mut results: Vec<Row> = Vec::new();
    for (label, zip) in [("48 recordings", small_zip), ("480 recordings", large_zip)] {
        let zip_path = tmp.path().join(format!("{}.zip", zip.len()));
        std::fs::write(&zip_path, &zip).unwrap();
        let run_id = fake.add_run(
            REPO,
            RunSpec::completed(WORKFLOW, "feature-x", &head, "success"),
        );
        fake.add_artifact(REPO, run_id, "recordings-1-1-record", zip.clone(), false);
        let fetch = || -> (f64, u64) {
            let mut cmd = rss_wrapped(&rerecord);
            cmd.current_dir(&work)
                .env("GH_TOKEN", TOKEN)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .args([
                    "fetch",
                    "--api-url",
                    &fake.url(),
                    "--run-repo",
                    REPO,
                    "--run",
                    &run_id.to_string(),
                ]);
            let timing = timed_run(cmd);
            let applied = std::fs::read(work.join(&probe.0))
                .map(|b| zips::sha256_hex(&b))
                .ok();
            assert_eq!(
                applied.as_ref(),
                Some(&probe.1),
                "rerecord fetch did not apply {}",
                probe.0
            );
            timing
        };
        let unzip = || -> (f64, u64) {
            let mut cmd = rss_wrapped(Path::new("unzip"));
            cmd.current_dir(&work).arg("-oq").arg(&zip_path);
            timed_run(cmd)
        };
        results.push(alternate(pairs, &work, fetch, unzip, label, zip.len()));
    }
    reset(&work);

    print_results(&results);
}

fn require_unzip() {
    assert!(
        Command::new("unzip")
            .arg("-v")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success()),
        "install unzip"
    );
}

/// Times `fetch` and `unzip` in `pairs` alternating pairs (after one warm-up pair), resetting the
/// work tree before each.
fn alternate(
    pairs: usize,
    work: &Path,
    fetch: impl Fn() -> (f64, u64),
    unzip: impl Fn() -> (f64, u64),
    label: &'static str,
    zip_bytes: usize,
) -> Row {
    let (mut fetch_t, mut unzip_t, mut ratios, mut rss, mut unzip_rss) =
        (vec![], vec![], vec![], vec![], 0u64);
    for i in 0..=pairs {
        let (u, f);
        reset(work);
        if i % 2 == 0 {
            u = unzip();
            reset(work);
            f = fetch();
        } else {
            f = fetch();
            reset(work);
            u = unzip();
        }
        if i == 0 {
            continue; // warm-up
        }
        unzip_t.push(u.0);
        fetch_t.push(f.0);
        ratios.push(f.0 / u.0);
        rss.push(f.1 as f64);
        unzip_rss = unzip_rss.max(u.1);
    }
    Row {
        label,
        zip_bytes,
        unzip: median(&mut unzip_t),
        fetch: median(&mut fetch_t),
        ratio: median(&mut ratios),
        fetch_rss: median(&mut rss) as u64,
        fetch_rss_max: rss.iter().copied().fold(0.0, f64::max) as u64,
        unzip_rss,
    }
}

fn print_results(results: &[Row]) {
    println!(
        "artifact          zip bytes   unzip -o    rerecord fetch   ratio (median of pairs)   fetch peak RSS (median/max)   unzip peak RSS"
    );
    for r in results {
        println!(
            "{:<16}  {:>9}   {:>7.1} ms   {:>10.1} ms     {:>6.2}x                  {:>7}/{:<7} KiB         {:>7} KiB",
            r.label,
            r.zip_bytes,
            r.unzip * 1e3,
            r.fetch * 1e3,
            r.ratio,
            r.fetch_rss,
            r.fetch_rss_max,
            r.unzip_rss
        );
    }
    let (small, large) = (&results[0], &results[1]);
    println!(
        "goal: ratio <= 1.5x for 48 recordings -> {:.2}x; peak RSS (median) flat when the artifact grows 10x -> {:.2}x ({} -> {} KiB)",
        small.ratio,
        large.fetch_rss as f64 / small.fetch_rss as f64,
        small.fetch_rss,
        large.fetch_rss
    );
}

struct Row {
    label: &'static str,
    zip_bytes: usize,
    unzip: f64,
    fetch: f64,
    ratio: f64,
    fetch_rss: u64,
    fetch_rss_max: u64,
    unzip_rss: u64,
}

/// A manifest artifact of `files` as they are in `work`.
fn artifact(work: &Path, files: &[String]) -> Vec<u8> {
    let contents: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|p| (p.clone(), std::fs::read(work.join(p)).unwrap()))
        .collect();
    let listed: Vec<(&str, &[u8])> = contents
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let mut zip = zips::ZipBuilder::new();
    for (path, bytes) in &listed {
        zip = zip.file(path, bytes);
    }
    zip.manifest(1, &listed, &[]).finish()
}

/// Back to the committed tree: the state both tools start from.
fn reset(work: &Path) {
    git(work, &["checkout", "-q", "--", "."]);
    git(work, &["clean", "-qfd"]);
}

fn rss_wrapped(program: &Path) -> Command {
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "RSS_KIB %M"]).arg(program);
    cmd
}

/// Wall time (s) and peak RSS (KiB, from /usr/bin/time when wrapped) of a successful run.
fn timed_run(mut cmd: Command) -> (f64, u64) {
    let start = Instant::now();
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("spawn");
    let elapsed = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd:?} failed:\n{stderr}");
    let rss = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("RSS_KIB "))
        .find_map(|v| v.trim().parse().ok())
        .unwrap_or(0);
    (elapsed, rss)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn git(dir: &Path, args: &[&str]) -> String {
    run(Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(args))
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
