//! A llama-stack-shaped recordings corpus for the benchmarks, built here so that a clone needs
//! nothing beside it: hash-named JSON recordings (each with a `test_id`, the request and the
//! response) spread over `tests/integration/<module>/recordings/` folders in llama-stack's
//! proportions, one in `tests/integration/recordings/` and a few in a nested provider folder, with
//! sizes following the real tree's distribution (median about 11.5 KB, 3,163 files about 88 MB).
//! Deterministic for a seed. Also the old shell step the benchmarks compare against
//! (`baseline-git.sh` beside this file) and identical starting states for paired runs.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const BRANCH: &str = "feature-x";
/// Files in the full corpus, as in llama-stack's tree.
pub const FULL: usize = 3163;

/// Recordings per module in llama-stack's tree (scaled to the requested size).
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
/// (quantile, bytes): recording sizes, log-linear between knots.
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
const WORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "is",
    "that",
    "for",
    "it",
    "model",
    "response",
    "stream",
    "token",
    "assistant",
    "user",
    "message",
    "content",
    "tool",
    "call",
    "function",
    "result",
    "search",
    "file",
    "vector",
    "document",
    "chunk",
    "embedding",
    "agent",
    "session",
    "turn",
    "inference",
    "completion",
    "chat",
    "safety",
    "shield",
    "capital",
    "France",
    "Paris",
    "weather",
    "city",
    "temperature",
    "answer",
    "question",
    "provide",
    "example",
    "list",
    "value",
    "name",
    "type",
    "string",
    "object",
    "array",
    "field",
    "error",
    "retry",
    "server",
    "client",
    "python",
    "test",
    "integration",
    "recording",
    "replay",
    "llama",
    "stack",
    "provider",
    "config",
    "endpoint",
    "openai",
    "format",
    "schema",
    "json",
    "summary",
    "however",
    "because",
    "important",
    "note",
    "ensure",
    "check",
    "update",
    "create",
    "delete",
    "hello",
    "world",
];
const MODELS: [(&str, &str); 4] = [
    ("http://0.0.0.0:11434/v1/v1", "llama3.2:3b-instruct-fp16"),
    ("https://api.openai.com/v1/v1", "gpt-4o"),
    ("http://localhost:8000/v1", "Qwen/Qwen3-0.6B"),
    ("https://api.openai.com/v1/v1", "gpt-4o-mini"),
];

/// `DIR/work` (branch `feature-x`, one commit) and `DIR/remote.git`, its bare `origin`.
pub struct Corpus {
    pub work: PathBuf,
    pub remote: PathBuf,
}

/// Builds a corpus of `files` recordings under `out`.
pub fn create(out: &Path, files: usize, seed: u64) -> Corpus {
    let work = out.join("work");
    let remote = out.join("remote.git");
    std::fs::create_dir_all(&work).expect("create the corpus folder");
    let mut rng = fastrand::Rng::with_seed(seed);
    for (i, path) in layout(files).iter().enumerate() {
        let size = quantile(stratified(&mut rng, i, files));
        write(&work.join(path), &recording(&mut rng, path, size));
    }
    write(
        &work.join("tests/integration/client-typescript/package.json"),
        "{\n  \"name\": \"llama-stack-client\",\n  \"version\": \"0.1.0\"\n}\n",
    );
    write(&work.join("README.md"), "# a llama-stack-shaped project\n");
    git(&work, &["init", "-q", "-b", BRANCH]);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "corpus"]);
    git(out, &["clone", "-q", "--bare", "work", "remote.git"]);
    git(
        &work,
        &["remote", "add", "origin", &remote.to_string_lossy()],
    );
    git(&work, &["fetch", "-q", "origin"]);
    git(&work, &["branch", "-q", "-u", &format!("origin/{BRANCH}")]);
    Corpus { work, remote }
}

/// Changes `k` recordings in `work` (`k - k/2` new, `k/2` re-recorded) and, with `decoys`, the
/// TypeScript client's `package.json` and `package-lock.json`, which must never be committed.
/// Returns the changed recordings' paths.
pub fn mutate(work: &Path, k: usize, decoys: bool, seed: u64) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed);
    let existing: Vec<String> = git_out(work, &["ls-files", "*/recordings/*"])
        .lines()
        .map(str::to_owned)
        .collect();
    let mut changed = Vec::with_capacity(k);
    for path in pick(&mut rng, &existing, k / 2) {
        let size = std::fs::metadata(work.join(&path)).map_or(4000, |m| m.len() as usize);
        write(&work.join(&path), &recording(&mut rng, &path, size));
        changed.push(path);
    }
    for i in 0..k - k / 2 {
        let module = existing[rng.usize(..existing.len())].rsplit_once("/recordings/");
        let folder = module.map_or("tests/integration/agents", |(m, _)| m);
        let path = format!(
            "{folder}/recordings/{}",
            name(&["new", &i.to_string(), &seed.to_string()])
        );
        let size = quantile(rng.f64());
        write(&work.join(&path), &recording(&mut rng, &path, size));
        changed.push(path);
    }
    if decoys {
        let client = work.join("tests/integration/client-typescript");
        write(
            &client.join("package.json"),
            "{\n  \"name\": \"llama-stack-client\",\n  \"version\": \"0.1.1\"\n}\n",
        );
        write(
            &client.join("package-lock.json"),
            "{\n  \"lockfileVersion\": 3\n}\n",
        );
    }
    changed.sort();
    changed
}

/// Re-records `k` of the existing recordings in `work` (fresh responses of about the same size,
/// same paths); returns their paths.
pub fn rerecord(work: &Path, k: usize, seed: u64) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0xbee5);
    let existing: Vec<String> = git_out(work, &["ls-files", "*/recordings/*"])
        .lines()
        .map(str::to_owned)
        .collect();
    let mut changed = pick(&mut rng, &existing, k);
    for path in &changed {
        let size = std::fs::metadata(work.join(path)).map_or(4000, |m| m.len() as usize);
        write(&work.join(path), &recording(&mut rng, path, size));
    }
    changed.sort();
    changed
}

/// `n` identical copies of `src` (a corpus folder) at `states/1..=n`, each with its own remote
/// and a refreshed index, so that copying is never part of a timed run.
pub fn prepare_states(src: &Path, states: &Path, n: usize) {
    let _ = std::fs::remove_dir_all(states);
    std::fs::create_dir_all(states).expect("create the states folder");
    for i in 1..=n {
        let dst = states.join(i.to_string());
        run(Command::new("cp").arg("-a").arg(src).arg(&dst));
        let remote = dst.join("remote.git");
        git(
            &dst.join("work"),
            &["remote", "set-url", "origin", &remote.to_string_lossy()],
        );
        git(&dst.join("work"), &["update-index", "-q", "--refresh"]);
    }
}

/// The old shell step (see `baseline-git.sh`), with `--autostash` so the decoys don't stop it.
pub fn baseline() -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/support/baseline-git.sh"));
    cmd.arg("--autostash");
    cmd
}

/// Repo-relative recording paths: modules in llama-stack's proportions, one file at the top
/// level and, for corpora of 100 files or more, five in a nested provider folder.
fn layout(files: usize) -> Vec<String> {
    let nested = if files >= 100 { 5 } else { 0 };
    let in_modules = files.saturating_sub(1 + nested);
    let total: usize = MODULES.iter().map(|(_, w)| w).sum();
    let mut paths = vec![format!("tests/integration/recordings/{}", name(&["root"]))];
    for i in 0..nested {
        let n = name(&["nvidia", &i.to_string()]);
        paths.push(format!("tests/integration/providers/nvidia/recordings/{n}"));
    }
    let mut placed = 0;
    for (m, (module, weight)) in MODULES.iter().enumerate() {
        let count = if m + 1 == MODULES.len() {
            in_modules - placed
        } else {
            (in_modules * weight / total).min(in_modules - placed)
        };
        placed += count;
        for i in 0..count {
            let n = name(&[module, &i.to_string()]);
            paths.push(format!("tests/integration/{module}/recordings/{n}"));
        }
    }
    paths
}

/// One recording of about `size` bytes for `path`: a chat completion whose assistant text
/// absorbs the size.
fn recording(rng: &mut fastrand::Rng, path: &str, size: usize) -> String {
    let module = path.split('/').nth(2).unwrap_or("agents");
    let (base, model) = MODELS[rng.usize(..MODELS.len())];
    let test_id = format!(
        "tests/integration/{module}/test_{module}_basic.py::test_{}[txt={model}-case_{:02}]",
        WORDS[rng.usize(..WORDS.len())],
        rng.usize(1..20)
    );
    let head = format!(
        "{{\n  \"test_id\": \"{test_id}\",\n  \"request\": {{\n    \"method\": \"POST\",\n    \"url\": \"{base}/chat/completions\",\n    \"headers\": {{}},\n    \"body\": {{\n      \"model\": \"{model}\",\n      \"messages\": [\n        {{\n          \"role\": \"user\",\n          \"content\": \"{}\"\n        }}\n      ],\n      \"stream\": false\n    }},\n    \"endpoint\": \"/v1/chat/completions\",\n    \"model\": \"{model}\"\n  }},\n",
        text(rng, 40)
    );
    let created = 1_750_000_000 + rng.u64(..10_000_000);
    let tail = format!(
        "  \"response\": {{\n    \"body\": {{\n      \"__type__\": \"openai.types.chat.chat_completion.ChatCompletion\",\n      \"__data__\": {{\n        \"id\": \"rec-{:012x}\",\n        \"choices\": [\n          {{\n            \"finish_reason\": \"stop\",\n            \"index\": 0,\n            \"message\": {{\n              \"content\": \"{{}}\",\n              \"role\": \"assistant\"\n            }}\n          }}\n        ],\n        \"created\": {created},\n        \"model\": \"{model}\",\n        \"object\": \"chat.completion\",\n        \"system_fingerprint\": \"fp_ollama\"\n      }}\n    }},\n    \"is_streaming\": false\n  }},\n  \"id_normalization_mapping\": {{}}\n}}\n",
        rng.u64(..1 << 48)
    );
    let body = text(rng, size.saturating_sub(head.len() + tail.len()).max(2));
    format!("{head}{}", tail.replacen("{}", &body, 1))
}

/// Exactly `n` bytes of JSON-string-safe pseudo-prose.
fn text(rng: &mut fastrand::Rng, n: usize) -> String {
    let mut s = String::with_capacity(n + 16);
    while s.len() < n {
        let _ = write!(s, "{} ", WORDS[rng.usize(..WORDS.len())]);
    }
    s.truncate(n);
    s
}

fn stratified(rng: &mut fastrand::Rng, i: usize, n: usize) -> f64 {
    match i {
        0 if n > 1 => 0.0,
        _ if n > 1 && i == n - 1 => 1.0,
        _ => (i as f64 + rng.f64()) / n as f64,
    }
}

fn quantile(u: f64) -> usize {
    for w in SIZES.windows(2) {
        let ((u0, s0), (u1, s1)) = (w[0], w[1]);
        if u <= u1 {
            let f = if u1 == u0 { 0.0 } else { (u - u0) / (u1 - u0) };
            return (s0.ln() + f * (s1.ln() - s0.ln())).exp().round() as usize;
        }
    }
    SIZES[SIZES.len() - 1].1 as usize
}

/// A sha256-hex file name, as llama-stack's recordings have.
fn name(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(parts.join(":").as_bytes());
    let mut s = String::with_capacity(69);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s + ".json"
}

fn pick(rng: &mut fastrand::Rng, from: &[String], k: usize) -> Vec<String> {
    let mut all = from.to_vec();
    rng.shuffle(&mut all);
    all.truncate(k);
    all
}

fn write(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create a folder");
    std::fs::write(path, contents).expect("write a file");
}

pub fn git(dir: &Path, args: &[&str]) {
    run(Command::new("git").arg("-C").arg(dir).args(args));
}

pub fn git_out(dir: &Path, args: &[&str]) -> String {
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
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run(cmd: &mut Command) {
    let out = cmd
        .env("GIT_AUTHOR_NAME", "bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
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
