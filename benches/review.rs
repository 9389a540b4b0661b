//! `cargo bench --bench review`: what reviewing costs on a llama-stack-shaped change.
//!
//! Generates (in Rust, deterministically) 3,163 hash-named recordings shaped like llama-stack's
//! (`test_id`, `request`, `response`; chat, streamed and embedding responses; sizes from 460 B to
//! ~1.1 MB, median ~11.5 KB, ~87 MB in all, like `../shared/bench/make-corpus`), commits them,
//! re-records 3,000 of them, then prints side by side:
//! - the secret scan alone, in process, over the 3,000 changed files (bytes already in memory);
//! - the report analysis alone (test ids, structural diffs, churn) over the same files;
//! - `rerecord commit` of the 3,000 files (which scans and analyses), and the same commit minus
//!   the scan, i.e. what it costs without it; the scan's share of that is the goal (<= 10%).
//!
//! Set `RERECORD_BENCH_RUNS` to change the number of timed runs (default 3, plus 1 warm-up).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use rerecord::review::report::analyse;
use rerecord::review::secrets::Scanner;
use rerecord::review::{ReviewConfig, Settings};
use serde_json::{Value, json};

const TOTAL: usize = 3_163;
const CHANGED: usize = 3_000;
const BRANCH: &str = "feature-x";
const MODULES: [(&str, usize); 13] = [
    ("responses", 1867),
    ("agents", 864),
    ("inference", 205),
    ("common", 73),
    ("safety", 46),
    ("interactions", 26),
    ("messages", 24),
    ("tool_runtime", 22),
    ("vector_io", 9),
    ("openresponses", 7),
    ("telemetry", 6),
    ("files", 6),
    ("batches", 5),
];
/// (quantile, bytes) knots of the recording sizes, log-linear between them.
const SIZES: [(f64, f64); 11] = [
    (0.0, 460.0),
    (0.01, 650.0),
    (0.10, 2300.0),
    (0.25, 5400.0),
    (0.50, 11500.0),
    (0.75, 24000.0),
    (0.90, 58000.0),
    (0.95, 88000.0),
    (0.99, 303000.0),
    (0.999, 540000.0),
    (1.0, 1120000.0),
];
const WORDS: &str = "the of and to a in is that for it as with was on be by this are or an from at \
    model response request stream token input output assistant user system message content tool \
    call function result query search file vector store document chunk embedding agent session \
    turn step inference completion chat safety shield capital France Paris weather city answer";

fn main() {
    let runs: usize = std::env::var("RERECORD_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let tmp = tempfile::tempdir().expect("tempdir");
    let work = tmp.path().join("work");
    let remote = tmp.path().join("remote.git");
    eprintln!("generating {TOTAL} recordings...");
    let mut rng = fastrand::Rng::with_seed(7);
    let words: Vec<&str> = WORDS.split_whitespace().collect();
    let mut sizes: Vec<usize> = (0..TOTAL)
        .map(|i| {
            quantile(if i == 0 {
                0.0
            } else if i == TOTAL - 1 {
                1.0
            } else {
                (i as f64 + rng.f64()) / TOTAL as f64
            })
        })
        .collect();
    rng.shuffle(&mut sizes);
    let mut files = Vec::with_capacity(TOTAL);
    let mut module_of = MODULES
        .iter()
        .flat_map(|(m, n)| std::iter::repeat_n(*m, n * (TOTAL - 1) / 3160 + 1));
    for (i, size) in sizes.iter().enumerate() {
        let module = if i == 0 { None } else { module_of.next() };
        let dir = module.map_or("tests/integration/recordings".to_owned(), |m| {
            format!("tests/integration/{m}/recordings")
        });
        let path = format!(
            "{dir}/{:064x}.json",
            (i as u128 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
        );
        let text = recording(&mut rng, &words, module.unwrap_or("inference"), *size, i);
        write(&work, &path, &text);
        files.push((path, text));
    }
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    git(&work, &["init", "-q", "-b", BRANCH]);
    git(&work, &["add", "-A"]);
    git(
        &work,
        &[
            "-c",
            "user.name=b",
            "-c",
            "user.email=b@e",
            "commit",
            "-q",
            "-m",
            "corpus",
        ],
    );
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            remote.to_str().unwrap(),
        ],
    );
    git(
        &work,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    let orig = git(&work, &["rev-parse", "HEAD"]);

    // Re-record: same requests, fresh responses.
    let mut changed = Vec::with_capacity(CHANGED);
    for (path, old) in files.iter().take(CHANGED) {
        let mut doc: Value = serde_json::from_str(old).unwrap();
        let new_len = old.len() * (90 + rng.usize(0..20)) / 100;
        doc["response"] = response(
            &mut rng,
            &words,
            new_len.saturating_sub(old.find("\"response\"").unwrap()),
            99_000 + new_len % 1000,
        );
        let new = serde_json::to_string_pretty(&doc).unwrap();
        write(&work, path, &new);
        changed.push((path.clone(), old.clone().into_bytes(), new.into_bytes()));
    }
    let changed_bytes: usize = changed.iter().map(|c| c.2.len()).sum();
    println!(
        "corpus: {TOTAL} recordings, {:.1} MB; changed: {CHANGED}, {:.1} MB",
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
        git(
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

fn quantile(u: f64) -> usize {
    for w in SIZES.windows(2) {
        let ((u0, s0), (u1, s1)) = (w[0], w[1]);
        if u <= u1 {
            let f = if u1 == u0 { 0.0 } else { (u - u0) / (u1 - u0) };
            return (s0.ln() + f * (s1.ln() - s0.ln())).exp() as usize;
        }
    }
    SIZES[SIZES.len() - 1].1 as usize
}

fn text(rng: &mut fastrand::Rng, words: &[&str], n: usize) -> String {
    let mut out = String::with_capacity(n + 16);
    while out.len() < n {
        out.push_str(words[rng.usize(..words.len())]);
        out.push(if rng.u8(..12) == 0 { '.' } else { ' ' });
    }
    out.truncate(n.max(1));
    out
}

/// One recording of about `size` bytes.
fn recording(
    rng: &mut fastrand::Rng,
    words: &[&str],
    module: &str,
    size: usize,
    i: usize,
) -> String {
    let test_id = format!(
        "tests/integration/{module}/test_{module}_basic.py::test_case_{}[txt=gpt-4o-case_{:02}]",
        i % 400,
        i % 19
    );
    let head = json!({
        "test_id": test_id,
        "request": {"method": "POST", "url": "https://api.openai.com/v1/v1/chat/completions", "headers": {},
            "body": {"model": "gpt-4o", "messages": [{"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": text(rng, words, 240)}], "max_tokens": 512, "stream": false, "temperature": 0.0},
            "endpoint": "/v1/chat/completions", "model": "gpt-4o"},
    });
    let mut doc = head;
    let used = serde_json::to_string_pretty(&doc).unwrap().len();
    doc["response"] = response(
        rng,
        words,
        size.saturating_sub(used + 40),
        1_700_000_000 + i,
    );
    doc["id_normalization_mapping"] = json!({});
    serde_json::to_string_pretty(&doc).unwrap()
}

/// A response of about `budget` bytes: streamed chunks (60%), a chat completion or embeddings.
fn response(rng: &mut fastrand::Rng, words: &[&str], budget: usize, created: usize) -> Value {
    let id = format!("rec-{:012x}", rng.u64(..1 << 48));
    match rng.u8(..10) {
        0..6 => {
            let mut chunks = Vec::new();
            let mut used = 0;
            while used < budget.max(1) {
                let n = 3 + rng.usize(..12);
                let t = text(rng, words, n);
                let chunk = json!({"__type__": "openai.types.chat.chat_completion_chunk.ChatCompletionChunk",
                    "__data__": {"id": id, "choices": [{"delta": {"content": t, "function_call": null, "refusal": null,
                        "role": "assistant", "tool_calls": null}, "finish_reason": null, "index": 0, "logprobs": null}],
                        "created": created, "model": "gpt-4o", "object": "chat.completion.chunk", "service_tier": null,
                        "system_fingerprint": "fp_ollama", "usage": null}});
                // Pretty-printed inside the document: 6 more spaces on each of its ~24 lines.
                used += serde_json::to_string_pretty(&chunk).map_or(800, |c| c.len() + 150);
                chunks.push(chunk);
            }
            json!({"body": chunks, "is_streaming": true})
        }
        6..9 => {
            json!({"body": {"__type__": "openai.types.chat.chat_completion.ChatCompletion", "__data__": {
            "id": id, "choices": [{"finish_reason": "stop", "index": 0, "logprobs": null,
                "message": {"content": text(rng, words, budget.saturating_sub(700).max(8)), "role": "assistant"}}],
            "created": created, "model": "gpt-4o", "object": "chat.completion", "system_fingerprint": "fp_ollama",
            "usage": {"completion_tokens": 40, "prompt_tokens": 30, "total_tokens": 70}}}, "is_streaming": false})
        }
        _ => {
            let n = (budget / 12).clamp(8, 200_000);
            let v: Vec<f64> = (0..n)
                .map(|_| (rng.f64() - 0.5).mul_add(0.2, 0.0))
                .collect();
            json!({"body": {"__type__": "openai.types.create_embedding_response.CreateEmbeddingResponse",
                "__data__": {"data": [{"embedding": v, "index": 0, "object": "embedding"}], "model": "text-embedding-3-small",
                    "object": "list", "usage": {"prompt_tokens": 6, "total_tokens": 6}}}, "is_streaming": false})
        }
    }
}

/// Median wall seconds of `runs` timed calls after one warm-up.
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

fn write(dir: &Path, path: &str, content: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, content).unwrap();
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
