//! Following a workflow run until it concludes, with an indicatif display of its jobs.
//!
//! Polls gently: the interval starts at 10 s and grows to 30 s, and jobs are only listed while
//! the run is in progress (polling every few seconds has exhausted API quotas in the field).
//! An API outage (no answer, 5xx, rate limits) does not end a long watch: polls back off from
//! 15 s to 2 min and go on until GitHub has been unreachable for 30 minutes.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::github::{ApiError, GitHub, Job, WorkflowRun};
use crate::remotes::RepoName;

/// How long GitHub may stay unreachable before a watch gives up.
const MAX_OUTAGE: Duration = Duration::from_secs(30 * 60);
const OUTAGE_FIRST_WAIT: Duration = Duration::from_secs(15);
const OUTAGE_MAX_WAIT: Duration = Duration::from_secs(120);

/// Follow run `id`; returns its conclusion once completed.
pub async fn follow(
    gh: &GitHub,
    repo: &RepoName,
    id: u64,
    show: bool,
) -> anyhow::Result<Option<String>> {
    let bar = if show {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let mut interval = Duration::from_secs(10);
    let mut outage = Outage::default();
    loop {
        let (run, jobs) = match poll(gh, repo, id).await {
            Ok(answer) => {
                outage.over(&bar);
                answer
            }
            Err(e) if e.is_outage() => {
                let wait = outage.wait(&e, &bar)?;
                tokio::time::sleep(wait).await;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let status = run.status.clone().unwrap_or_else(|| "unknown".to_owned());
        let done = jobs.iter().filter(|j| j.status == "completed").count();
        let failed: Vec<&str> = jobs
            .iter()
            .filter(|j| {
                matches!(
                    j.conclusion.as_deref(),
                    Some("failure" | "cancelled" | "timed_out")
                )
            })
            .map(|j| j.name.as_str())
            .collect();
        let mut msg = format!("run {id}: {status}; jobs {done}/{} done", jobs.len());
        if !failed.is_empty() {
            msg.push_str(&format!(", failed: {}", failed.join(", ")));
        }
        bar.set_message(msg);
        if run.is_completed() {
            bar.finish_and_clear();
            if show {
                eprintln!(
                    "run {id} {}: {}",
                    run.conclusion.as_deref().unwrap_or("completed"),
                    run.html_url
                );
                for job in &jobs {
                    eprintln!(
                        "  {:<10} {}",
                        job.conclusion.as_deref().unwrap_or(&job.status),
                        job.name
                    );
                }
            }
            return Ok(run.conclusion);
        }
        tokio::time::sleep(scaled(interval)).await;
        interval = (interval + Duration::from_secs(5)).min(Duration::from_secs(30));
    }
}

async fn poll(gh: &GitHub, repo: &RepoName, id: u64) -> Result<(WorkflowRun, Vec<Job>), ApiError> {
    let run = gh.run(repo, id).await?;
    let jobs = if run.status.as_deref() == Some("queued") {
        Vec::new()
    } else {
        gh.jobs(repo, id).await?
    };
    Ok((run, jobs))
}

/// An ongoing API outage: when it started and how long the next wait is.
#[derive(Default)]
struct Outage {
    since: Option<tokio::time::Instant>,
    next_wait: Duration,
}

impl Outage {
    /// The wait before polling again, or the error once the outage has lasted too long.
    fn wait(&mut self, e: &ApiError, bar: &ProgressBar) -> anyhow::Result<Duration> {
        let now = tokio::time::Instant::now();
        let since = *self.since.get_or_insert(now);
        if now - since >= scaled(MAX_OUTAGE) {
            anyhow::bail!(
                "GitHub has not answered for {} minutes ({e}); the run goes on: watch it again later or open it in the browser",
                MAX_OUTAGE.as_secs() / 60
            );
        }
        self.next_wait = if self.next_wait.is_zero() {
            OUTAGE_FIRST_WAIT
        } else {
            (self.next_wait * 2).min(OUTAGE_MAX_WAIT)
        };
        bar.suspend(|| {
            eprintln!(
                "warning: GitHub is not answering ({e}); still watching, next try in {} s",
                self.next_wait.as_secs()
            )
        });
        Ok(scaled(self.next_wait))
    }

    fn over(&mut self, bar: &ProgressBar) {
        if let Some(since) = self.since.take() {
            let lasted = since.elapsed();
            bar.suspend(|| {
                eprintln!(
                    "note: GitHub answers again (after {:.0} s); watching",
                    lasted.as_secs_f64()
                )
            });
            self.next_wait = Duration::ZERO;
        }
    }
}

/// The shortest wait `RERECORD_POLL_SCALE` can make: a scale of 0 still pauses between polls.
const MIN_SCALED_WAIT: Duration = Duration::from_millis(20);

/// Waits scaled by `RERECORD_POLL_SCALE`, a test hook: only debug builds (what the tests run)
/// read it, and never below [`MIN_SCALED_WAIT`]; release binaries always wait the full time.
pub(crate) fn scaled(d: Duration) -> Duration {
    if !cfg!(debug_assertions) {
        return d;
    }
    let Some(scale) = std::env::var("RERECORD_POLL_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
    else {
        return d;
    };
    d.mul_f64(scale.min(1.0)).max(MIN_SCALED_WAIT.min(d))
}
