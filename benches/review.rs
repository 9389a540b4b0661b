//! `cargo bench --bench review`: what reviewing costs on a llama-stack-shaped change.
//!
//! Builds the 3,163-recording llama-stack-shaped corpus of `support/corpus.rs` (hash-named, with
//! `test_id`, request and response; sizes from 460 B to ~1.1 MB, median ~11.5 KB, ~88 MB in all),
//! re-records 3,000 of them, then prints side by side:
//! - the secret scan alone, in process, on one thread, over the 3,000 changed files (bytes
//!   already in memory);
//! - the report analysis alone (test ids, structural diffs, churn) over the same files;
//! - both as `commit` runs them (`review::hooks::review_all`: worker threads, one per core);
//! - `rerecord commit` of the 3,000 files (which reads, scans and analyses them);
//!
//! and each one's share of `commit` (the goal: scan plus report <= 10% of it), in wall-clock time
//! and, beside it, in CPU time (steadier on a shared machine). Then it commits one
//! 1 GiB recording (`--dry-run`: scanned and analysed, nothing pushed) and prints the peak
//! memory of `commit` (GNU time's maximum resident set size).
//!
//! Set `RERECORD_BENCH_RUNS` to change the number of timed runs (default 3, plus 1 warm-up) and
//! `RERECORD_BENCH_BIG_MIB` the size of the big recording (default 1024; 0 skips it).

#[path = "support/corpus.rs"]
mod corpus;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use rerecord::cli::ScanArgs;
use rerecord::review::hooks::{Gate, review_all};
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
    let scan = median_of(runs, own_cpu, || {
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
    let analysis = median_of(runs, own_cpu, || {
        for (p, old, new) in &changed {
            std::hint::black_box(analyse(&settings, p, Some(old), Some(new), None));
        }
    });
    // As the timed `commit` below runs it: no secret-env variable.
    let gate = Gate::new(&ReviewConfig::default(), &ScanArgs::default(), false).unwrap();
    let review = median_of(runs, own_cpu, || {
        let out = review_all(&gate, &settings, &changed);
        assert!(out.iter().all(|(hits, _)| hits.is_empty()));
        std::hint::black_box(out);
    });

    let rerecord = env!("CARGO_BIN_EXE_rerecord");
    let commit = median_of(runs, children_cpu, || {
        corpus::git(
            &remote,
            &["update-ref", &format!("refs/heads/{BRANCH}"), &orig],
        );
        let out = local_commit(Command::new(rerecord), &work, "ollama")
            .output()
            .expect("rerecord");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mbs = |s: Timed| changed_bytes as f64 / 1e6 / s.wall;
    let share = |s: Timed| {
        format!(
            "{:>5.1}% of commit (CPU time {:>6.3} s, {:>5.1}% of commit's)",
            s.wall / commit.wall * 100.0,
            s.cpu,
            s.cpu / commit.cpu * 100.0
        )
    };
    println!("wall-clock time, median of {runs} runs; CPU time of the same runs beside it");
    println!(
        "secret scan (1 thread)          {:>8.3} s  {:>7.0} MB/s  {}",
        scan.wall,
        mbs(scan),
        share(scan)
    );
    println!(
        "report analysis (1 thread)      {:>8.3} s  {:>7.0} MB/s  {}",
        analysis.wall,
        mbs(analysis),
        share(analysis)
    );
    println!(
        "scan + report as commit runs them ({threads} threads) {:>8.3} s  {}",
        review.wall,
        share(review)
    );
    println!(
        "rerecord commit (all of it)     {:>8.3} s  (CPU time {:.3} s)",
        commit.wall, commit.cpu
    );
    println!(
        "goal: scan + report <= 10% of commit -> {:.1}%: {}",
        review.wall / commit.wall * 100.0,
        if review.wall / commit.wall <= 0.10 {
            "met"
        } else {
            "NOT met"
        }
    );
    big_recording(rerecord, tmp.path());
}

/// Peak memory of `commit --dry-run` on one recording of `RERECORD_BENCH_BIG_MIB` MiB.
fn big_recording(rerecord: &str, tmp: &std::path::Path) {
    use std::io::Write;
    let mib: u64 = std::env::var("RERECORD_BENCH_BIG_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    if mib == 0 {
        return;
    }
    let work = tmp.join("big");
    std::fs::create_dir_all(work.join("tests/integration/recordings")).expect("mkdir");
    corpus::git(&work, &["init", "-q", "-b", BRANCH]);
    corpus::git(&work, &["commit", "-q", "--allow-empty", "-m", "empty"]);
    let path = work.join("tests/integration/recordings/big.json");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    write!(
        f,
        "{{\"test_id\": \"t.py::test_big\", \"response\": {{\"body\": \""
    )
    .unwrap();
    let line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit 0123456789. ".repeat(16);
    let mut written = 0u64;
    while written < mib << 20 {
        f.write_all(line.as_bytes()).unwrap();
        written += line.len() as u64;
    }
    writeln!(f, "\"}}}}").unwrap();
    f.flush().unwrap();
    drop(f);
    let started = Instant::now();
    let mut time = Command::new("/usr/bin/time");
    time.args(["-f", "peak-kib %M", rerecord]);
    let out = local_commit(time, &work, "big").arg("--dry-run").output();
    let elapsed = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    let Ok(out) = out else {
        println!("peak memory: GNU time (/usr/bin/time) is not installed; skipped");
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let peak = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("peak-kib "))
        .find_map(|v| v.trim().parse::<u64>().ok());
    match peak {
        Some(kib) => println!(
            "commit --dry-run of one {mib} MiB recording: peak memory {:.0} MiB ({:.1}x the file), {elapsed:.1} s{}",
            kib as f64 / 1024.0,
            kib as f64 / 1024.0 / mib as f64,
            if out.status.success() {
                String::new()
            } else {
                format!(" (exit {}: {})", out.status, stderr.trim())
            }
        ),
        None => println!("peak memory: not measured ({})", stderr.trim()),
    }
}

/// Wall-clock and CPU seconds of one step (medians, each on its own).
#[derive(Debug, Clone, Copy)]
struct Timed {
    wall: f64,
    cpu: f64,
}

/// `f` run `runs` times after a warm-up; `cpu` reads the CPU seconds it is charged with. On a
/// shared machine the wall-clock time depends on what else runs; the CPU time much less.
fn median_of(runs: usize, cpu: fn() -> f64, mut f: impl FnMut()) -> Timed {
    f();
    let (mut walls, mut cpus): (Vec<f64>, Vec<f64>) = (0..runs.max(1))
        .map(|_| {
            let (start, cpu_start) = (Instant::now(), cpu());
            f();
            (start.elapsed().as_secs_f64(), cpu() - cpu_start)
        })
        .unzip();
    walls.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    Timed {
        wall: walls[walls.len() / 2],
        cpu: cpus[cpus.len() / 2],
    }
}

/// User + system CPU seconds from `/proc/self/stat`: of this process (`children` false), or
/// of its waited-for children (`rerecord commit`); 0 where there is no such file.
fn proc_cpu(children: bool) -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses: state, ppid, …, utime at 11,
    // stime, cutime, cstime.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<f64> = rest
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0.0))
        .collect();
    let at = if children { 13 } else { 11 };
    // Clock ticks of 1/100 s (USER_HZ, 100 on Linux).
    fields
        .get(at..at + 2)
        .map_or(0.0, |t| (t[0] + t[1]) / 100.0)
}

fn own_cpu() -> f64 {
    proc_cpu(false)
}

fn children_cpu() -> f64 {
    proc_cpu(true)
}

/// `cmd` (rerecord, or a wrapper whose next argument is rerecord) completed to the `commit` a
/// developer runs in `work`: no Actions environment, no secret-env variable; stderr kept.
fn local_commit(mut cmd: Command, work: &Path, setup: &str) -> Command {
    cmd.args(["commit", "--target-branch", BRANCH])
        .args(["--recorded-setup", setup, "--recorded-suite", "base"])
        .current_dir(work)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("RERECORD_SECRET_ENV")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}
