//! `cargo bench --bench commit`: `rerecord commit` against the old shell step
//! (`support/baseline-git.sh --autostash`) on the llama-stack-shaped corpus of `support/corpus.rs`, for
//! K = 5, 48 and 300 changed recordings (plus the package.json/package-lock.json decoys).
//!
//! Runs are paired: each pair times the baseline and rerecord on two fresh, identical states
//! (prepared by `corpus::prepare_states`, so copying is never timed), alternating which goes first.
//! Printed per K: the median wall time of each, the median of the per-pair ratios
//! rerecord/baseline, and rerecord's peak RSS (`/usr/bin/time -f %M`).
//! Set `RERECORD_BENCH_PAIRS` to change the number of timed pairs (default 5, plus 1 warm-up).

#[path = "support/corpus.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const KS: [usize; 3] = [5, 48, 300];
const BRANCH: &str = "feature-x";

/// A copy of the corpus at `to` (its work tree's origin its own remote) with `k` recordings
/// changed.
fn mutated_copy(corpus: &Path, to: &Path, k: usize) -> PathBuf {
    run(Command::new("cp").arg("-a").arg(corpus).arg(to));
    run(Command::new("git")
        .arg("-C")
        .arg(to.join("work"))
        .args(["remote", "set-url", "origin"])
        .arg(to.join("remote.git")));
    corpus::mutate(&to.join("work"), k, true, k as u64);
    to.to_path_buf()
}

fn main() {
    let rerecord = PathBuf::from(env!("CARGO_BIN_EXE_rerecord"));
    let pairs: usize = std::env::var("RERECORD_BENCH_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let tmp = tempfile::tempdir().expect("tempdir");
    let corpus = tmp.path().join("corpus");

    eprintln!("building the corpus ({} recordings)...", corpus::FULL);
    corpus::create(&corpus, corpus::FULL, 1);

    println!("K    baseline   rerecord   ratio(median of pairs)   rerecord peak RSS");
    let mut worst_ratio: f64 = 0.0;
    let mut worst_rss = 0u64;
    for k in KS {
        let mutated = mutated_copy(&corpus, &tmp.path().join(format!("k{k}")), k);

        let states = tmp.path().join("states");
        let (mut base_t, mut ours_t, mut ratios, mut rss) =
            (Vec::new(), Vec::new(), Vec::new(), 0u64);
        for i in 0..=pairs {
            corpus::prepare_states(&mutated, &states, 2);
            let mut baseline = corpus::baseline();
            let mut ours = Command::new(&rerecord);
            ours.args([
                "commit",
                "--target-branch",
                BRANCH,
                "--recorded-setup",
                "ollama",
                "--recorded-suite",
                "base",
            ]);
            // Alternate the order so page-cache warmth favours neither side.
            let (b, o) = if i % 2 == 0 {
                let b = timed(&mut baseline, &states.join("1"));
                (b, timed(&mut ours, &states.join("2")))
            } else {
                let o = timed(&mut ours, &states.join("2"));
                (timed(&mut baseline, &states.join("1")), o)
            };
            for (name, state) in [("baseline", "1"), ("rerecord", "2")] {
                let remote = states.join(state).join("remote.git");
                let moved = git_out(&remote, &["rev-list", "--count", BRANCH]);
                assert_eq!(
                    moved.trim(),
                    "2",
                    "{name} did not push exactly one commit (K={k})"
                );
            }
            if i == 0 {
                continue; // warm-up
            }
            base_t.push(b.0);
            ours_t.push(o.0);
            ratios.push(o.0 / b.0);
            rss = rss.max(o.1);
        }
        let ratio = median(&mut ratios);
        worst_ratio = worst_ratio.max(ratio);
        worst_rss = worst_rss.max(rss);
        println!(
            "{k:<4} {:>7.3} s  {:>7.3} s  {:>10.2}x              {:>6.1} MiB",
            median(&mut base_t),
            median(&mut ours_t),
            ratio,
            rss as f64 / 1024.0
        );
    }
    println!(
        "goal: ratio <= 0.50x at every K, peak RSS < 64 MiB -> worst ratio {worst_ratio:.2}x, worst peak {:.1} MiB: {}",
        worst_rss as f64 / 1024.0,
        if worst_ratio <= 0.5 && worst_rss < 64 * 1024 {
            "met"
        } else {
            "NOT met"
        }
    );
}

/// Wall seconds and peak RSS (KiB) of `cmd` run in `state/work`.
fn timed(cmd: &mut Command, state: &Path) -> (f64, u64) {
    let rss_file = state.join("rss");
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(ToOwned::to_owned).collect();
    let mut wrapped = Command::new("/usr/bin/time");
    wrapped
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss_file)
        .arg(program)
        .args(args)
        .current_dir(state.join("work"))
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let out = wrapped.output().expect("failed to run /usr/bin/time");
    let wall = start.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{:?} failed:\n{}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    let rss = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
        .unwrap_or(0);
    (wall, rss)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn run(cmd: &mut Command) {
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("failed to start");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn git_out(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
