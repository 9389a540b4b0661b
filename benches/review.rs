//! `cargo bench --bench review`: what reviewing costs on a llama-stack-shaped change.
//!
//! Builds the 3,163-recording llama-stack-shaped corpus of `support/corpus.rs` (hash-named, with
//! `test_id`, request and response; sizes from 460 B to ~1.1 MB, median ~11.5 KB, ~88 MB in all),
//! re-records 3,000 of them, then prints side by side:
//! - the secret scan alone, in process, over the 3,000 changed files (bytes already in memory);
//! - the report analysis alone (test ids, structural diffs, churn) over the same files;
//! - `rerecord commit` of the 3,000 files (which scans and analyses), and the same commit minus
//!   the scan, i.e. what it costs without it; the scan's share of that is the goal (<= 10%).
//!
//! Set `RERECORD_BENCH_RUNS` to change the number of timed runs (default 3, plus 1 warm-up).

#[path = "support/corpus.rs"]
mod corpus;

use std::process::{Command, Stdio};
use std::time::Instant;

use rerecord::review::report::analyse;
use rerecord::review::secrets::Scanner;
use rerecord::review::{ReviewConfig, Settings};

const BRANCH: &str = corpus::BRANCH;
const CHANGED: usize = 3_000;

fn main() {
    let runs: usize = std::env::var("RERECORD_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let tmp = tempfile::tempdir().expect("tempdir");
    eprintln!("generating {} recordings...", corpus::FULL);
    let corpus::Corpus { work, remote } = corpus::create(&tmp.path().join("c"), corpus::FULL, 7);
    let bytes: u64 = corpus::git_out(&work, &["ls-files", "*/recordings/*"])
        .lines()
        .map(|p| std::fs::metadata(work.join(p)).map_or(0, |m| m.len()))
        .sum();
    let orig = corpus::git_out(&work, &["rev-parse", "HEAD"])
        .trim()
        .to_owned();
    // Re-record: same paths, fresh responses of about the same size.
    let paths = corpus::git_out(&work, &["ls-files", "*/recordings/*"]);
    let old: std::collections::HashMap<String, Vec<u8>> = paths
        .lines()
        .map(|p| (p.to_owned(), std::fs::read(work.join(p)).expect("read")))
        .collect();
    let changed: Vec<(String, Vec<u8>, Vec<u8>)> = corpus::rerecord(&work, CHANGED, 7)
        .into_iter()
        .map(|p| {
            let new = std::fs::read(work.join(&p)).expect("read");
            (p.clone(), old[&p].clone(), new)
        })
        .collect();
    let changed_bytes: usize = changed.iter().map(|c| c.2.len()).sum();
    println!(
        "corpus: {} recordings, {:.1} MB; changed: {CHANGED}, {:.1} MB",
        corpus::FULL,
        bytes as f64 / 1e6,
        changed_bytes as f64 / 1e6
    );

    let env = [(
        "OPENAI_API_KEY".to_owned(),
        "sk-bench-0123456789abcdefghij".to_owned(),
    )];
    let scanner = Scanner::new(&env).unwrap();
    let scan = median_of(runs, || {
        let hits: usize = changed
            .iter()
            .map(|(p, _, new)| scanner.scan(p, new).len())
            .sum();
        assert_eq!(hits, 0, "the corpus holds no credential");
    });
    let settings = Settings::new(&ReviewConfig {
        volatile: [
            "/response/body/__data__/id",
            "/response/body/__data__/created",
            "/response/body/*/__data__/id",
            "/response/body/*/__data__/created",
        ]
        .map(String::from)
        .to_vec(),
        ..ReviewConfig::default()
    })
    .unwrap();
    let analysis = median_of(runs, || {
        for (p, old, new) in &changed {
            std::hint::black_box(analyse(&settings, p, Some(old), Some(new), None));
        }
    });

    let rerecord = env!("CARGO_BIN_EXE_rerecord");
    let commit = median_of(runs, || {
        corpus::git(
            &remote,
            &["update-ref", &format!("refs/heads/{BRANCH}"), &orig],
        );
        let out = Command::new(rerecord)
            .args([
                "commit",
                "--target-branch",
                BRANCH,
                "--setup",
                "ollama",
                "--suite",
                "base",
            ])
            .current_dir(&work)
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env_remove("GITHUB_OUTPUT")
            .env_remove("RERECORD_SECRET_ENV")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("rerecord");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    let without = commit - scan;
    let mbs = |s: f64| changed_bytes as f64 / 1e6 / s;
    println!(
        "secret scan (in process)        {:>8.3} s  {:>7.0} MB/s",
        scan,
        mbs(scan)
    );
    println!(
        "report analysis (in process)    {:>8.3} s  {:>7.0} MB/s",
        analysis,
        mbs(analysis)
    );
    println!("rerecord commit, with the scan  {:>8.3} s", commit);
    println!(
        "rerecord commit, without it     {:>8.3} s  (commit minus the scan)",
        without
    );
    let share = scan / without;
    println!(
        "goal: the scan adds <= 10% to commit -> {:.1}%: {}",
        share * 100.0,
        if share <= 0.10 { "met" } else { "NOT met" }
    );
}

fn median_of(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}
