//! Downloading a run's artifacts to temporary files, never into memory, with an optional
//! progress bar on stderr and a hard cap on the bytes accepted (a hostile server or artifact
//! cannot fill the disk).

use std::cell::Cell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use futures_util::{StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::zip::Limits;
use crate::github::actions::DownloadError;
use crate::github::{Artifact, GitHub};
use crate::neutralise::safe_text;
use crate::remotes::RepoName;

/// Artifacts downloaded at the same time.
const CONCURRENT_DOWNLOADS: usize = 4;
/// Attempts at one artifact when the storage host fails transiently.
const DOWNLOAD_ATTEMPTS: u32 = 3;

/// A downloaded artifact zip.
#[derive(Debug, Clone)]
pub struct Downloaded {
    pub artifact: Artifact,
    pub path: PathBuf,
    pub bytes: u64,
}

/// A progress bar for `total` bytes, drawn on stderr only when it is a terminal and `show`.
pub fn progress_bar(total: u64, show: bool) -> ProgressBar {
    use std::io::IsTerminal;
    if !show || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("downloading");
    bar
}

/// Download every artifact into `dir` at once (matrix runs have several), each capped at
/// `limits.max_artifact_size` and all of them together at `limits.max_total_size` (what the
/// API lists is checked first, then every byte received). The files are named by artifact id,
/// never by the (untrusted) artifact name.
pub async fn download_all(
    gh: &GitHub,
    repo: &RepoName,
    artifacts: &[Artifact],
    dir: &Path,
    limits: Limits,
    bar: &ProgressBar,
) -> anyhow::Result<Vec<Downloaded>> {
    let max_bytes = limits.max_artifact_size;
    let max_total = limits.max_total_size;
    let listed: u64 = artifacts.iter().map(|a| a.size_in_bytes).sum();
    if listed > max_total {
        anyhow::bail!(
            "the run's {} recording artifacts are {listed} bytes together, over the {max_total} byte limit \
             for all artifacts of a run (raise it with RERECORD_MAX_TOTAL_SIZE)",
            artifacts.len()
        );
    }
    let total = Cell::new(0u64);
    let total = &total;
    let jobs = artifacts.iter().map(|artifact| async move {
        let path = dir.join(format!("artifact-{}.zip", artifact.id));
        let caps = Caps {
            max_bytes,
            max_total,
            total,
        };
        let mut attempt = 1;
        let bytes = loop {
            let (result, exceeded, written) = download_once(gh, repo, artifact, &path, &caps, bar)
                .await
                .with_context(|| format!("failed to create {}", path.display()))?;
            match result {
                // Storage failed midway (5xx, a reset connection): start the file over.
                Err(DownloadError::Api(e)) if e.is_outage() && attempt < DOWNLOAD_ATTEMPTS => {
                    total.set(total.get().saturating_sub(written));
                    bar.dec(written);
                    eprintln!(
                        "warning: downloading artifact {} failed ({e}); trying again",
                        safe_text(&artifact.name)
                    );
                    gh.pause_before_retry(attempt).await;
                    attempt += 1;
                }
                other => break explain(other, exceeded, artifact, &caps)?,
            }
        };
        anyhow::Ok(Downloaded {
            artifact: artifact.clone(),
            path,
            bytes,
        })
    });
    // A few at a time: a run with many matrix artifacts must not open unbounded connections.
    let downloaded: Vec<Downloaded> = futures_util::stream::iter(jobs)
        .buffered(CONCURRENT_DOWNLOADS)
        .try_collect()
        .await?;
    bar.finish_and_clear();
    Ok(downloaded)
}

/// The byte caps of one download, and the run's running total they share.
struct Caps<'t> {
    max_bytes: u64,
    max_total: u64,
    total: &'t Cell<u64>,
}

/// One attempt at artifact `artifact` into a new (or truncated) `path`: the outcome, which cap
/// stopped it if any, and the bytes it wrote. Only creating the file is an error here.
async fn download_once(
    gh: &GitHub,
    repo: &RepoName,
    artifact: &Artifact,
    path: &Path,
    caps: &Caps<'_>,
    bar: &ProgressBar,
) -> std::io::Result<(Result<u64, DownloadError>, Option<Exceeded>, u64)> {
    let file = File::create(path)?;
    let mut out = Capped {
        inner: BufWriter::with_capacity(256 * 1024, file),
        written: 0,
        max: caps.max_bytes,
        exceeded: None,
        total: caps.total,
        max_total: caps.max_total,
    };
    let mut seen = 0u64;
    let result = gh
        .download_artifact(repo, artifact.id, &mut out, |done, _| {
            bar.inc(done.saturating_sub(seen));
            seen = done;
        })
        .await;
    let result =
        result.and_then(|bytes| out.inner.flush().map(|()| bytes).map_err(DownloadError::Io));
    Ok((result, out.exceeded, out.written))
}

/// The outcome of a download's last attempt, its errors said for the user.
fn explain(
    result: Result<u64, DownloadError>,
    exceeded: Option<Exceeded>,
    artifact: &Artifact,
    caps: &Caps<'_>,
) -> anyhow::Result<u64> {
    let (max_bytes, max_total) = (caps.max_bytes, caps.max_total);
    match result {
        Ok(bytes) => Ok(bytes),
        Err(DownloadError::Expired(_)) => anyhow::bail!(
            "artifact {} expired while it was being fetched; re-run the recording workflow",
            artifact.name
        ),
        Err(DownloadError::Io(e)) if exceeded == Some(Exceeded::Artifact) => {
            Err(e).with_context(|| {
                format!(
                    "artifact {} is larger than {max_bytes} bytes",
                    safe_text(&artifact.name)
                )
            })
        }
        Err(DownloadError::Io(e)) if exceeded == Some(Exceeded::Run) => Err(e).with_context(|| {
            format!(
                "the run's artifacts are larger than {max_total} bytes together (at artifact {}); \
                 raise the limit with RERECORD_MAX_TOTAL_SIZE",
                safe_text(&artifact.name)
            )
        }),
        Err(e) => Err(e).with_context(|| format!("failed to download artifact {}", artifact.name)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exceeded {
    Artifact,
    Run,
}

/// A writer that fails rather than accept more than `max` bytes, or take the run's `total`
/// (shared by every download) over `max_total`.
struct Capped<'t, W> {
    inner: W,
    written: u64,
    max: u64,
    exceeded: Option<Exceeded>,
    total: &'t Cell<u64>,
    max_total: u64,
}

impl<W: Write> Write for Capped<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written + buf.len() as u64 > self.max {
            self.exceeded = Some(Exceeded::Artifact);
            return Err(std::io::Error::other(format!(
                "download exceeds {} bytes",
                self.max
            )));
        }
        if self.total.get() + buf.len() as u64 > self.max_total {
            self.exceeded = Some(Exceeded::Run);
            return Err(std::io::Error::other(format!(
                "downloads exceed {} bytes",
                self.max_total
            )));
        }
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        self.total.set(self.total.get() + n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
