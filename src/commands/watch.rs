//! Following a workflow run until it concludes, with an indicatif display of its jobs.
//!
//! Polls gently: the interval starts at 10 s and grows to 30 s, and jobs are only listed while
//! the run is in progress (polling every few seconds has exhausted API quotas in the field).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::commands::schedule::scaled;
use crate::github::GitHub;
use crate::remotes::RepoName;

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
    loop {
        let run = gh.run(repo, id).await?;
        let status = run.status.clone().unwrap_or_else(|| "unknown".to_owned());
        let jobs = if status == "queued" {
            Vec::new()
        } else {
            gh.jobs(repo, id).await?
        };
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
