//! The calls `commit`, `land` and `fetch` make at the moment the set of files to carry is final:
//! scan every file for credentials (refusing the whole operation on a hit), analyse each one for
//! the report, and leave churn out unless `--keep-churn`.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;

use super::report::{self, FileReport, Report};
use super::secrets::{Allowed, Hit, STRUCTURE_LIMIT, Scanner};
use super::{ReviewConfig, Settings, is_env_name};
use crate::actions::{ActionsEnv, append_to, escape_data};
use crate::artifact::verify::Incoming;
use crate::cli::ScanArgs;
use crate::git::GitRepo;
use crate::git::status::{ChangeKind, Changes};
use crate::neutralise::safe_text;
use crate::recordings::Globs;

/// GitHub's limit on a comment body, in characters.
pub const COMMENT_LIMIT: usize = 65_536;
/// Step summaries are limited to 1 MiB per step; leave room for what the command itself writes.
pub const SUMMARY_LIMIT: usize = 512 * 1024;
/// Hits listed in a refusal; the rest are counted.
const HITS_SHOWN: usize = 20;

/// The secret scan, resolved: rules, environment values, allowed locations.
pub struct Gate {
    scanner: Scanner,
    /// The built-in rules alone: a hit's value that they find on its own, without the text
    /// around it, is a credential by its format (see [`Gate::verified`]).
    formats: Scanner,
    /// The values of the named variables (ours, not the recordings').
    env_values: Vec<String>,
    /// Named variables that are unset or empty here: nothing is searched for them.
    unset: Vec<String>,
    allowed: Allowed,
    in_actions: bool,
}

impl Gate {
    /// `[review] secret-env` and `--secret-env` name the variables whose values are searched;
    /// unset or empty ones are skipped.
    pub fn new(config: &ReviewConfig, scan: &ScanArgs, in_actions: bool) -> anyhow::Result<Self> {
        let mut names: BTreeSet<&str> = config.secret_env.iter().map(String::as_str).collect();
        for name in scan
            .secret_env
            .iter()
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
        {
            anyhow::ensure!(
                is_env_name(name),
                "--secret-env {name:?} is not an environment variable name; pass the NAME of the variable"
            );
            names.insert(name);
        }
        let mut env: Vec<(String, String)> = Vec::new();
        let mut unset = Vec::new();
        for name in names {
            match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => env.push((name.to_owned(), v)),
                _ => unset.push(name.to_owned()),
            }
        }
        Ok(Self {
            scanner: Scanner::new(&env).context("failed to build the secret scan")?,
            formats: Scanner::new(&[]).context("failed to build the secret scan")?,
            env_values: env.into_iter().map(|(_, v)| v.trim().to_owned()).collect(),
            unset,
            allowed: Allowed::parse(&scan.allow_secret)?,
            in_actions,
        })
    }

    /// A warning naming the secret-env variables that are unset or empty in this process:
    /// their values cannot be searched for (e.g. the step that runs rerecord does not map the
    /// secrets into its `env:`).
    pub fn unset_warning(&self) -> Option<String> {
        if self.unset.is_empty() {
            return None;
        }
        let (it, is) = if self.unset.len() == 1 {
            ("variable", "is")
        } else {
            ("variables", "are")
        };
        Some(format!(
            "secret-env {it} {} {is} not set (or empty) here, so the recordings were not searched for {}; \
             give this step the same secrets in its env: (e.g. {}: ${{{{ secrets.{} }}}}), or drop the name",
            self.unset.join(", "),
            if self.unset.len() == 1 {
                "its value"
            } else {
                "their values"
            },
            self.unset[0],
            self.unset[0],
        ))
    }

    /// Whether rerecord itself knows `hit`'s value to be a credential, so it may be registered
    /// with `::add-mask::`: the value of a named variable (ours), or a value one of the built-in
    /// formats finds on its own, without the text around it. A value a rule only caught by its
    /// context (a header named like a credential) is the recording's word, not ours: masking it
    /// would let a recording hide any text of this job's log (`refusing`, the run id).
    pub fn verified(&self, hit: &Hit) -> bool {
        let value = hit.secret.expose();
        self.env_values.iter().any(|v| v == value)
            || self
                .formats
                .scan("value", value.as_bytes())
                .iter()
                .any(|h| h.secret.expose() == value)
    }

    /// The hits in one file that `--allow-secret` does not accept.
    pub fn scan(&self, path: &str, bytes: &[u8]) -> Vec<Hit> {
        let mut hits = self.scanner.scan(path, bytes);
        hits.retain(|h| !self.allowed.allows(h));
        hits
    }

    /// [`Gate::scan`] of a file already parsed: `doc` is what `diff::parse` made of `bytes`.
    fn scan_parsed(&self, path: &str, bytes: &[u8], doc: Option<&serde_json::Value>) -> Vec<Hit> {
        if bytes.len() as u64 > STRUCTURE_LIMIT {
            return self.scan(path, bytes);
        }
        let mut hits = self.scanner.scan_path(path);
        hits.extend(self.scanner.scan_parsed(path, bytes, doc));
        hits.retain(|h| !self.allowed.allows(h));
        hits
    }

    /// The hits in one file on disk (streamed when large, refused over the size cap).
    pub fn scan_file(&self, path: &str, file: &Path) -> anyhow::Result<Vec<Hit>> {
        let mut hits = self.scanner.scan_file(path, file)?;
        hits.retain(|h| !self.allowed.allows(h));
        Ok(hits)
    }

    /// `land` and `fetch`: scan the verified, staged files of `incoming` (unstaged ones, on a
    /// dry run of `fetch`, are not on disk and are not scanned).
    pub fn scan_incoming(
        &self,
        incoming: &Incoming,
        action: &str,
        nothing: &str,
    ) -> anyhow::Result<()> {
        let mut hits = Vec::new();
        for (path, file) in &incoming.files {
            if let Some(staged) = &file.staged {
                hits.extend(self.scan_file(path, staged)?);
            }
        }
        self.refuse(&hits, action, nothing)
    }

    /// An error naming every hit (values masked; registered with `::add-mask::` in Actions),
    /// or `Ok` when there is none. `nothing` says what was not done, e.g. "nothing was pushed".
    pub fn refuse(&self, hits: &[Hit], action: &str, nothing: &str) -> anyhow::Result<()> {
        if hits.is_empty() {
            return Ok(());
        }
        if self.in_actions {
            let verified: BTreeSet<&str> = hits
                .iter()
                .filter(|h| self.verified(h))
                .map(|h| h.secret.expose())
                .collect();
            for value in verified {
                crate::output::outln!("::add-mask::{}", escape_data(value));
            }
        }
        let mut msg = format!(
            "refusing to {action}: {} {} found in the recordings; {nothing}:",
            hits.len(),
            if hits.len() == 1 {
                "credential"
            } else {
                "credentials"
            }
        );
        for h in hits.iter().take(HITS_SHOWN) {
            msg.push_str(&format!("\n  {}", safe_text(&h.to_string())));
        }
        if hits.len() > HITS_SHOWN {
            msg.push_str(&format!("\n  … and {} more", hits.len() - HITS_SHOWN));
        }
        msg.push_str(&format!(
            "\nRemove them from the recordings (redact them in the recorder, e.g. vcrpy's filter_headers, \
             then re-record). For a known false positive, pass --allow-secret with its location, e.g. \
             --allow-secret '{}'",
            safe_text(&hits[0].location())
        ));
        Err(anyhow::anyhow!(msg))
    }
}

/// The review of what one command carries.
#[derive(Debug, Clone, Default)]
pub struct Reviewed {
    pub report: Report,
    /// Churn-only recordings left out (empty with `--keep-churn`).
    pub left_out: BTreeSet<String>,
    /// Said by the review itself, e.g. secret-env variables that are not set.
    pub warnings: Vec<String>,
}

impl Reviewed {
    fn new(files: Vec<FileReport>, keep_churn: bool) -> Self {
        let report = Report::new(files, keep_churn);
        let left_out = if keep_churn {
            BTreeSet::new()
        } else {
            report
                .churn_paths()
                .into_iter()
                .map(str::to_owned)
                .collect()
        };
        Self {
            report,
            left_out,
            warnings: Vec::new(),
        }
    }

    /// Lines for the command's notices.
    pub fn notices(&self) -> Vec<String> {
        if self.left_out.is_empty() {
            return Vec::new();
        }
        let shown: Vec<&str> = self.left_out.iter().take(10).map(String::as_str).collect();
        vec![format!(
            "{} {} changed only in [review] volatile fields (churn) and {} left out: {}{}; pass --keep-churn to carry them",
            self.left_out.len(),
            if self.left_out.len() == 1 {
                "recording"
            } else {
                "recordings"
            },
            if self.left_out.len() == 1 {
                "was"
            } else {
                "were"
            },
            shown.join(", "),
            if self.left_out.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        )]
    }

    /// Append the report to the step summary, when there is one.
    pub fn write_summary(&self, env: &ActionsEnv) -> anyhow::Result<()> {
        let Some(path) = &env.summary_path else {
            return Ok(());
        };
        if self.report.is_empty() {
            return Ok(());
        }
        let md = self.report.to_markdown(
            SUMMARY_LIMIT,
            "run `rerecord report --json` in a checkout with these recordings for all of them.",
        );
        append_to(path, |w| w.write_all(md.as_bytes()))
    }

    /// `comment` followed by the report, within GitHub's comment limit.
    pub fn with_comment(&self, comment: String) -> String {
        if self.report.is_empty() {
            return comment;
        }
        let room = COMMENT_LIMIT.saturating_sub(comment.len() + 2);
        let md = self.report.to_markdown(
            room,
            "the comment would be too long; the full report is in the step summary of the landing run.",
        );
        format!("{comment}\n\n{md}")
    }
}

/// `commit`: scan and analyse `changes` (work tree against HEAD), then leave churn out of them.
/// The files are read here, one after another, while worker threads scan and analyse the ones
/// already read (the scan and the report are most of what `review` costs).
pub fn commit(
    repo: &GitRepo,
    config: &ReviewConfig,
    scan: &ScanArgs,
    keep_churn: bool,
    origin: &str,
    in_actions: bool,
    changes: &mut Changes,
) -> anyhow::Result<Reviewed> {
    let workdir = repo.workdir()?;
    let gate = Gate::new(config, scan, in_actions)?;
    let settings = Settings::new(config)?;
    let mut todo = changes.recordings.iter();
    let reviewed = pipelined(
        || {
            let f = todo.next()?;
            Some(read_change(repo, &workdir, &gate, f, origin))
        },
        |item| match item {
            Item::Read((_, old, new)) => {
                old.as_ref().map_or(0, Vec::len) + new.as_ref().map_or(0, Vec::len)
            }
            Item::Large(..) => 0,
        },
        |item| match item {
            Item::Read((path, old, new)) => {
                review_file(&gate, &settings, &path, old, new, Some(origin))
            }
            Item::Large(hits, report) => (hits, report),
        },
    )?;
    let (hits, files): (Vec<Vec<Hit>>, Vec<FileReport>) = reviewed.into_iter().unzip();
    let hits: Vec<Hit> = hits.into_iter().flatten().collect();
    if let Err(refusal) = gate.refuse(&hits, "commit", "nothing was pushed or staged") {
        return Err(match gate.unset_warning() {
            Some(w) => anyhow::anyhow!("{refusal:#}\nwarning: {w}"),
            None => refusal,
        });
    }
    let mut reviewed = Reviewed::new(files, keep_churn);
    reviewed.warnings.extend(gate.unset_warning());
    changes
        .recordings
        .retain(|f| !reviewed.left_out.contains(&f.path));
    Ok(reviewed)
}

/// One changed recording's path, contents at HEAD and in the work tree (`None`: absent).
type Change = (String, Option<Vec<u8>>, Option<Vec<u8>>);

/// What `commit`'s reader hands the workers: a change read whole, or a recording too large to
/// analyse, already scanned as a stream and reported by its sizes.
enum Item {
    Read(Change),
    Large(Vec<Hit>, FileReport),
}

/// Read one change, unless either side is over [`report::ANALYSE_LIMIT`]: such a recording is
/// never held in memory (a 1 GiB recording costs a streamed scan, not a gigabyte).
fn read_change(
    repo: &GitRepo,
    workdir: &Path,
    gate: &Gate,
    f: &crate::git::status::ChangedFile,
    origin: &str,
) -> anyhow::Result<Item> {
    let file = workdir.join(&f.path);
    let new_size = match f.kind {
        ChangeKind::Deleted => None,
        _ => Some(
            std::fs::metadata(&file)
                .with_context(|| format!("failed to read {}", f.path))?
                .len(),
        ),
    };
    let old_size = f.head_blob.map(|id| repo.blob_size(id)).transpose()?;
    let limit = report::ANALYSE_LIMIT as u64;
    if new_size.is_some_and(|n| n > limit) || old_size.is_some_and(|n| n > limit) {
        let hits = match new_size {
            Some(_) => gate.scan_file(&f.path, &file)?,
            None => Vec::new(),
        };
        let sized = report::sized(&f.path, old_size, new_size, Some(origin.to_owned()));
        return Ok(Item::Large(hits, sized));
    }
    let new = new_size.map(|_| read(workdir, &f.path)).transpose()?;
    let old = f.head_blob.map(|id| repo.blob(id)).transpose()?;
    Ok(Item::Read((f.path.clone(), old, new)))
}

/// The secret scan and the report analysis of one recording: what `commit` and
/// [`review_all`] run on worker threads.
pub fn review_file(
    gate: &Gate,
    settings: &Settings,
    path: &str,
    old: Option<Vec<u8>>,
    new: Option<Vec<u8>>,
    origin: Option<&str>,
) -> (Vec<Hit>, FileReport) {
    review_one(gate, settings, path, old.as_deref(), new.as_deref(), origin)
}

/// [`review_file`]: the new side is parsed once, for the scan and the report.
fn review_one(
    gate: &Gate,
    settings: &Settings,
    path: &str,
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    origin: Option<&str>,
) -> (Vec<Hit>, FileReport) {
    let parsed = new.map(|bytes| report::parse(path, bytes));
    let hits = match (new, &parsed) {
        (Some(bytes), Some((_, doc))) => gate.scan_parsed(path, bytes, doc.as_ref()),
        _ => Vec::new(),
    };
    let report = report::analyse_parsed(
        settings,
        path,
        old,
        new.zip(parsed),
        origin.map(str::to_owned),
    );
    (hits, report)
}

/// [`review_file`] over `files` as `commit` runs it (worker threads), for the benchmark.
pub fn review_all(
    gate: &Gate,
    settings: &Settings,
    files: &[(String, Vec<u8>, Vec<u8>)],
) -> Vec<(Vec<Hit>, FileReport)> {
    let mut todo = files.iter();
    let out = pipelined(
        || {
            let (path, old, new) = todo.next()?;
            Some(Ok((path.as_str(), old.as_slice(), new.as_slice())))
        },
        |(_, old, new)| old.len() + new.len(),
        |(path, old, new)| review_one(gate, settings, path, Some(old), Some(new), None),
    );
    out.unwrap_or_default()
}

/// Items are handed to the workers in batches of about this many bytes…
const BATCH_BYTES: usize = 1 << 20;
/// …or this many items: each hand-over wakes a worker up (a context switch on a busy machine),
/// which costs more than the scan and the analysis of a small recording.
const BATCH_ITEMS: usize = 64;

/// `work` applied to every item `next` yields, on worker threads (one per core, at most 8),
/// while this thread produces the next items; results in the order of the items. Items go in
/// batches of [`BATCH_BYTES`] (by `size`) or [`BATCH_ITEMS`], and at most one batch per worker
/// waits in between, so memory stays bounded by them, not by the count. The first error of
/// `next` stops it.
fn pipelined<I: Send, O: Send>(
    mut next: impl FnMut() -> Option<anyhow::Result<I>>,
    size: impl Fn(&I) -> usize,
    work: impl Fn(I) -> O + Sync,
) -> anyhow::Result<Vec<O>> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(usize, I)>>(workers);
    // Only the workers hold the receiver: should they all stop (a panic), sending fails
    // instead of waiting for ever.
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let (done_tx, done_rx) = std::sync::mpsc::channel::<Vec<(usize, O)>>();
    std::thread::scope(|s| {
        for _ in 0..workers {
            let (rx, work, done_tx) = (std::sync::Arc::clone(&rx), &work, done_tx.clone());
            s.spawn(move || {
                // The lock is held only while waiting for the next batch, not while working.
                while let Ok(Ok(batch)) = rx.lock().map(|r| r.recv()) {
                    let done = batch.into_iter().map(|(i, item)| (i, work(item)));
                    if done_tx.send(done.collect()).is_err() {
                        break;
                    }
                }
            });
        }
        drop((done_tx, rx));
        let (count, failed) = feed(&mut next, &size, &tx);
        drop(tx);
        let mut out: Vec<Option<O>> = std::iter::repeat_with(|| None).take(count).collect();
        for (i, o) in done_rx.into_iter().flatten() {
            out[i] = Some(o);
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(out.into_iter().flatten().collect()),
        }
    })
}

/// [`pipelined`]'s producer: send the items of `next` in numbered batches; the number of items
/// sent, and the error that stopped it.
fn feed<I>(
    next: &mut impl FnMut() -> Option<anyhow::Result<I>>,
    size: &impl Fn(&I) -> usize,
    tx: &std::sync::mpsc::SyncSender<Vec<(usize, I)>>,
) -> (usize, Option<anyhow::Error>) {
    let (mut sent, mut batch, mut bytes) = (0, Vec::new(), 0);
    loop {
        let item = next();
        let full = match &item {
            Some(Ok(item)) => {
                bytes += size(item);
                bytes >= BATCH_BYTES || batch.len() + 1 >= BATCH_ITEMS
            }
            _ => true,
        };
        let (failed, done) = match item {
            Some(Ok(item)) => {
                batch.push((sent + batch.len(), item));
                (None, false)
            }
            Some(Err(e)) => (Some(e), true),
            None => (None, true),
        };
        if full && !batch.is_empty() {
            let n = batch.len();
            if tx.send(std::mem::take(&mut batch)).is_err() {
                return (sent, failed);
            }
            (sent, bytes) = (sent + n, 0);
        }
        if done {
            return (sent, failed);
        }
    }
}

/// `land`: analyse the files of `incoming`, now in the work tree of `scratch`, against
/// `base` (the destination branch's tip).
pub fn land(
    config: &ReviewConfig,
    keep_churn: bool,
    scratch: &GitRepo,
    base: crate::git::Oid,
    incoming: &Incoming,
) -> anyhow::Result<Reviewed> {
    let settings = Settings::new(config)?;
    let workdir = scratch.workdir()?;
    let paths: Vec<&str> = incoming
        .files
        .keys()
        .chain(incoming.deleted.keys())
        .map(String::as_str)
        .collect();
    let olds = scratch.files_at(base, &paths)?;
    let origin = single_origin(incoming);
    let mut files = Vec::with_capacity(paths.len());
    for (path, old) in paths.iter().zip(olds) {
        let new = if incoming.files.contains_key(*path) {
            Some(read(&workdir, path)?)
        } else {
            None
        };
        if old == new {
            // Deleting what is not there, or bytes the tip already has: unchanged, not churn
            // (land reports those as unchanged and lands nothing for them).
            continue;
        }
        files.push(report::analyse(
            &settings,
            path,
            old.as_deref(),
            new.as_deref(),
            origin.clone(),
        ));
    }
    Ok(Reviewed::new(files, keep_churn))
}

/// `setup/suite` when every manifest agrees on it.
fn single_origin(incoming: &Incoming) -> Option<String> {
    let pairs: BTreeSet<String> = incoming
        .manifests
        .iter()
        .map(|m| format!("{}/{}", m.setup, m.suite))
        .collect();
    (pairs.len() == 1).then(|| pairs.into_iter().next().unwrap_or_default())
}

/// The report of a checkout's changed recordings against `base` (default HEAD), for
/// `rerecord report`.
pub fn checkout_report(
    repo: &GitRepo,
    globs: &Globs,
    review: &ReviewConfig,
    base: Option<&str>,
) -> anyhow::Result<Report> {
    let settings = Settings::new(review)?;
    let workdir = repo.workdir()?;
    let changed = match base {
        None => repo.changed_recordings(globs, true)?.recordings,
        Some(rev) => repo.recordings_changed_since(rev, globs)?,
    };
    let mut files = Vec::with_capacity(changed.len());
    for f in &changed {
        let new = match f.kind {
            ChangeKind::Deleted => None,
            _ => Some(read(&workdir, &f.path)?),
        };
        let old = f.head_blob.map(|id| repo.blob(id)).transpose()?;
        files.push(report::analyse(
            &settings,
            &f.path,
            old.as_deref(),
            new.as_deref(),
            None,
        ));
    }
    Ok(Report::new(files, true))
}

fn read(workdir: &Path, path: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(workdir.join(path)).with_context(|| format!("failed to read {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_over_githubs_limit_is_cut_with_a_note() {
        let settings = Settings::new(&ReviewConfig::default()).unwrap();
        let files = (0..3000)
            .map(|i| {
                let old = format!(r#"{{"test_id":"t.py::test_{i:04}[case]","v":"old {i}"}}"#);
                let new = format!(r#"{{"test_id":"t.py::test_{i:04}[case]","v":"new {i}"}}"#);
                let path = format!("tests/integration/recordings/{i:064}.json");
                report::analyse(
                    &settings,
                    &path,
                    Some(old.as_bytes()),
                    Some(new.as_bytes()),
                    None,
                )
            })
            .collect();
        let reviewed = Reviewed::new(files, false);
        let comment = "<!-- rerecord:land -->\nLanded 3000 recordings.".to_owned();
        let body = reviewed.with_comment(comment.clone());
        assert!(body.chars().count() <= COMMENT_LIMIT, "{}", body.len());
        assert!(body.starts_with(&comment));
        assert!(body.contains("<code>t.py::test_0000[case]</code>"));
        assert!(
            body.trim_end()
                .ends_with("the full report is in the step summary of the landing run._"),
            "{}",
            &body[body.len() - 300..]
        );
        let small = Reviewed::new(Vec::new(), false).with_comment(comment.clone());
        assert_eq!(small, comment);
    }
}
