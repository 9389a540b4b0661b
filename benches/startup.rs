//! Benchmark: start-up of the optimised binary. Prints the median wall time of `rerecord --help`
//! (goal: at most 5 ms) and of `rerecord doctor` up to its first network-free answer (no token,
//! so it stops before any request), and the binary's size.
//!
//! Run: `cargo bench --bench startup`

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 51;

fn median(args: &[&str], env_clear: bool) -> Duration {
    let mut samples: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_rerecord"));
            cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
            if env_clear {
                cmd.env_clear().env("PATH", "/nonexistent");
            }
            let start = Instant::now();
            cmd.status().expect("rerecord runs");
            start.elapsed()
        })
        .collect();
    samples.sort();
    samples[RUNS / 2]
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_rerecord");
    let size = std::fs::metadata(bin).map(|m| m.len()).unwrap_or(0);
    // Warm the page cache first.
    median(&["--help"], false);
    let help = median(&["--help"], false);
    let doctor = median(&["doctor"], true);
    println!("rerecord start-up, median of {RUNS} runs ({bin})");
    println!(
        "  rerecord --help             {:>7.2} ms   (goal <= 5 ms)",
        help.as_secs_f64() * 1e3
    );
    println!(
        "  rerecord doctor (no token)  {:>7.2} ms",
        doctor.as_secs_f64() * 1e3
    );
    println!(
        "  binary size                 {:>7.2} MiB (the release profile of Cargo.toml)",
        size as f64 / (1024.0 * 1024.0)
    );
}
