//! `rerecord fetch`: find a recording run, download its recording artifacts, verify every byte
//! and apply them to this checkout all-or-nothing (optionally as one local commit).
//!
//! Orchestration only: the run and artifacts come from `github`, the hostile-input handling from
//! `artifact::{zip, verify}`, and the work-tree changes from `artifact::apply`.

use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use crate::artifact::apply::{self, Change, FileChange};
use crate::artifact::download::{self, Downloaded};
use crate::artifact::verify::{self, Incoming, MapOptions, Staging};
use crate::artifact::zip::Limits;
use crate::cli::FetchArgs;
use crate::commands::locate::{self, Checkout, PrChoice};
use crate::commands::short;
use crate::error::usage;
use crate::git::GitRepo;
use crate::github::{Artifact, GitHub, PullRequest, WorkflowRun};
use crate::neutralise::{json_line, safe_text, shell_quote};
use crate::output::{say, warn};
use crate::provenance;
use crate::remotes::RepoName;

/// Completed runs of the PR's head looked at before giving up.
const MAX_CANDIDATE_RUNS: usize = 10;

/// Newest dispatched runs searched for one titled for the PR (the upstream dispatches for every
/// PR, so older ones are another PR's or a stale head's).
const MAX_DISPATCHED_RUNS: usize = 100;

pub async fn run(args: FetchArgs) -> anyhow::Result<ExitCode> {
    let api_url = locate::api_url(&args.source.api);
    let (token, _) = locate::token_for(&api_url)?;
    let hosts = locate::github_hosts(&api_url);
    // Opening the repository and reading its configuration is blocking file work: do it on
    // another thread while the client is built and, when the repository and run are both given,
    // while the run and its artifacts are read.
    let opening = tokio::task::spawn_blocking(move || Checkout::open(&hosts));
    let gh = GitHub::new(&api_url, &token)?;
    let given_repo = args
        .source
        .repo
        .as_deref()
        .map(|r| RepoName::parse(r).map_err(|e| usage(format!("--run-repo: {e}"))))
        .transpose()?;
    let early = async {
        match (&given_repo, args.run) {
            (Some(repo), Some(id)) => Some(run_by_id(&gh, repo, id).await),
            _ => None,
        }
    };
    let (checkout, early) = tokio::join!(opening, early);
    let checkout = checkout.context("failed to open the checkout")??;
    let git = checkout.git.as_ref().context(
        "not inside a git repository: run rerecord fetch in the checkout the recordings are for",
    )?;
    let workdir = git.workdir()?;
    if let Some(prefix) = &args.legacy_prefix {
        verify::check_legacy_prefix(prefix, &checkout.config.recordings).map_err(usage)?;
    }
    let workflow = args.source.workflow.file_or(&checkout.config.workflow);
    let repo = match given_repo {
        Some(repo) => repo,
        None => locate::upstream(&gh, &checkout, None).await?.repo,
    };
    let lookup = Lookup {
        gh: &gh,
        repo: &repo,
        checkout: &checkout,
        args: &args,
    };
    let chosen = match early {
        Some(chosen) => chosen?,
        None => lookup.choose_run(&workflow).await?,
    };
    if args.run.is_some() {
        lookup.check_given_run(&chosen.run).await?;
    }
    announce_run(&repo, &chosen.run);
    let fetched = Fetch {
        gh: &gh,
        repo: &repo,
        checkout: &checkout,
        git,
        workdir: &workdir,
        args: &args,
    };
    fetched.download_and_apply(chosen).await
}

/// Names the chosen run, warning when it has not finished or did not succeed.
fn announce_run(repo: &RepoName, run: &WorkflowRun) {
    say(&format!(
        "run {} of {repo} ({}, created {}) {}",
        run.id,
        run.conclusion
            .as_deref()
            .or(run.status.as_deref())
            .unwrap_or("unknown"),
        run.created_at.format("%Y-%m-%d %H:%M UTC"),
        run.html_url
    ));
    if !run.is_completed() {
        warn(&format!(
            "run {} is still {}: artifacts of jobs that have not finished are missing",
            run.id,
            run.status.as_deref().unwrap_or("running")
        ));
    } else if run.conclusion.as_deref() != Some("success") {
        warn(&format!(
            "run {} concluded {}; its recordings may be incomplete",
            run.id,
            run.conclusion.as_deref().unwrap_or("without a conclusion")
        ));
    }
}

/// What a fetch of one chosen run works with.
struct Fetch<'a> {
    gh: &'a GitHub,
    repo: &'a RepoName,
    checkout: &'a Checkout,
    git: &'a GitRepo,
    workdir: &'a std::path::Path,
    args: &'a FetchArgs,
}

/// The scratch directories under `.git` a fetch stages into (removed when dropped).
struct Scratch {
    _dir: tempfile::TempDir,
    downloads: std::path::PathBuf,
    staged: std::path::PathBuf,
    replaced: std::path::PathBuf,
}

impl Scratch {
    fn create(git: &GitRepo) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("rerecord-fetch-")
            .tempdir_in(git.git_dir())
            .context("failed to create a staging directory under .git")?;
        let scratch = Self {
            downloads: dir.path().join("downloads"),
            staged: dir.path().join("staged"),
            replaced: dir.path().join("replaced"),
            _dir: dir,
        };
        for dir in [&scratch.downloads, &scratch.staged, &scratch.replaced] {
            std::fs::create_dir(dir)
                .with_context(|| format!("failed to create {}", dir.display()))?;
        }
        Ok(scratch)
    }
}

impl Fetch<'_> {
    /// Downloads the run's recording artifacts, verifies and scans them, and applies them.
    async fn download_and_apply(&self, chosen: Chosen) -> anyhow::Result<ExitCode> {
        let args = self.args;
        let run = &chosen.run;
        let artifacts: Vec<Artifact> = chosen
            .artifacts
            .into_iter()
            .filter(|a| a.name.starts_with(&args.artifact_prefix))
            .collect();
        let report = Report::new(run, &artifacts);
        if artifacts.is_empty() {
            say(&format!(
                "run {} produced no recording artifacts (none named {}*); nothing to apply",
                run.id, args.artifact_prefix
            ));
            report.print(args.output.json, None);
            return Ok(ExitCode::SUCCESS);
        }
        let expired: Vec<&Artifact> = artifacts.iter().filter(|a| a.expired).collect();
        if !expired.is_empty() {
            anyhow::bail!(
                "{}",
                expired_message(run, &expired, chosen.branch.as_deref())
            );
        }
        let scratch = Scratch::create(self.git)?;
        let incoming = self.download_and_verify(&artifacts, &scratch).await?;
        check_made_for(self.git, &incoming, run.id);
        check_manifests(&incoming, run).map_err(|e| anyhow::anyhow!("{e}; nothing was written"))?;
        self.apply(run, &incoming, &scratch, report)
    }

    /// Downloads the artifacts and verifies every byte, then runs the secret-scan gate.
    async fn download_and_verify(
        &self,
        artifacts: &[Artifact],
        scratch: &Scratch,
    ) -> anyhow::Result<Incoming> {
        let args = self.args;
        let limits = Limits {
            max_file_size: args.max_file_size,
            ..Limits::from_env()?
        };
        let total = artifacts.iter().map(|a| a.size_in_bytes).sum();
        let bar = download::progress_bar(total, !args.output.json);
        let zips = download::download_all(
            self.gh,
            self.repo,
            artifacts,
            &scratch.downloads,
            limits,
            &bar,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:#}; nothing was written"))?;

        let incoming = verify_downloads(&zips, limits, args, self.checkout, &scratch.staged)
            .map_err(|e| anyhow::anyhow!("{e:#}; nothing was written"))?;
        for w in &incoming.warnings {
            warn(w);
        }
        let in_actions = crate::actions::ActionsEnv::from_env().in_actions;
        let gate =
            crate::review::hooks::Gate::new(&self.checkout.config.review, &args.scan, in_actions)?;
        if let Some(w) = gate.unset_warning() {
            warn(&w);
        }
        gate.scan_incoming(&incoming, "apply the recordings", "nothing was written")?;
        Ok(incoming)
    }

    /// Plans the change all-or-nothing, then applies it (and commits it with `--commit`).
    fn apply(
        &self,
        run: &WorkflowRun,
        incoming: &Incoming,
        scratch: &Scratch,
        mut report: Report,
    ) -> anyhow::Result<ExitCode> {
        let (args, git) = (self.args, self.git);
        let plan = apply::plan(git, incoming, args.force)
            .map_err(|e| anyhow::anyhow!("{e:#}; nothing was written"))?;
        report.files = plan.files.clone();
        if args.output.dry_run {
            report.print(args.output.json, Some(FetchOutcome::DryRun));
            return Ok(ExitCode::SUCCESS);
        }
        if args.commit {
            apply::signature(git)?;
        }
        let _ignore_interrupts = ignore_interrupts();
        apply::apply(self.workdir, &plan, &scratch.replaced)?;
        let outcome = if args.commit {
            let message = incoming.commit_message(run.id);
            match apply::commit(git, &plan, &message)
                .context("the recordings were applied to the work tree but not committed")?
            {
                Some(oid) => FetchOutcome::Committed(oid.to_string(), message),
                None => FetchOutcome::NothingToCommit,
            }
        } else {
            FetchOutcome::Applied
        };
        report.print(args.output.json, Some(outcome));
        Ok(ExitCode::SUCCESS)
    }
}

fn verify_downloads(
    zips: &[Downloaded],
    limits: Limits,
    args: &FetchArgs,
    checkout: &Checkout,
    staged: &std::path::Path,
) -> anyhow::Result<Incoming> {
    let named: Vec<(String, std::path::PathBuf)> = zips
        .iter()
        .map(|z| (z.artifact.name.clone(), z.path.clone()))
        .collect();
    let opts = MapOptions {
        globs: &checkout.config.recordings,
        legacy_prefix: args.legacy_prefix.as_deref(),
    };
    let mut staging = Staging::new(staged);
    let git = checkout.git.as_ref();
    verify::verify_all(
        &named,
        limits,
        opts,
        (!args.output.dry_run).then_some(&mut staging),
        |path| git.and_then(|g| g.head_sha256(path)),
    )
}

/// The run to take recordings from, its artifacts, and the branch it recorded (for messages).
struct Chosen {
    run: WorkflowRun,
    artifacts: Vec<Artifact>,
    branch: Option<String>,
}

/// Where a fetch looks for its run: the API, the repository, the checkout and what was asked.
#[derive(Clone, Copy)]
struct Lookup<'a> {
    gh: &'a GitHub,
    repo: &'a RepoName,
    checkout: &'a Checkout,
    args: &'a FetchArgs,
}

impl Lookup<'_> {
    async fn choose_run(&self, workflow: &str) -> anyhow::Result<Chosen> {
        let Self { gh, repo, args, .. } = *self;
        if let Some(id) = args.run {
            return run_by_id(gh, repo, id).await;
        }
        let pr = self.find_pr().await?;
        say(&format!("PR {}", locate::describe_pr(&pr)));
        let runs = runs_of_pr_head(gh, repo, workflow, &pr).await?;
        let runs = if runs.is_empty() {
            older_runs_of_pr_branch(gh, repo, workflow, &pr).await?
        } else {
            runs
        };
        let mut runs: Vec<WorkflowRun> =
            runs.into_iter().filter(WorkflowRun::is_completed).collect();
        runs.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        let mut newest_expired: Option<Chosen> = None;
        for run in runs.into_iter().take(MAX_CANDIDATE_RUNS) {
            let artifacts = gh
                .artifacts(repo, run.id)
                .await
                .with_context(|| format!("failed to list the artifacts of run {}", run.id))?;
            let mut matching = artifacts
                .iter()
                .filter(|a| a.name.starts_with(&args.artifact_prefix))
                .peekable();
            if matching.peek().is_none() {
                continue;
            }
            let live = matching.any(|a| !a.expired);
            let chosen = Chosen {
                run,
                artifacts,
                branch: Some(pr.head_ref.clone()),
            };
            if live {
                return Ok(chosen);
            }
            newest_expired.get_or_insert(chosen);
        }
        // Only expired artifacts: choose that run so the caller explains the expiry.
        newest_expired.ok_or_else(|| {
            anyhow::anyhow!(
                "no completed run of {workflow} in {repo} for PR #{} (head {}) has recording artifacts; \
                 record them with: rerecord schedule --branch {}",
                pr.number,
                short(&pr.head_sha),
                shell_quote(&pr.head_ref)
            )
        })
    }

    /// `--run ID`: when this checkout's branch (or `--pr`) has a PR, the run must have recorded it
    /// at its head; `--force-run` applies it anyway after saying so.
    async fn check_given_run(&self, run: &WorkflowRun) -> anyhow::Result<()> {
        let Ok(pr) = self.find_pr().await else {
            say(&format!(
                "run {} recorded {}",
                run.id,
                provenance::describe_run(run)
            ));
            return Ok(());
        };
        let Err(why) = provenance::check_run_for_pr(run, &pr) else {
            return Ok(());
        };
        if self.args.force_run {
            warn(&format!(
                "{why}; applying its recordings anyway (--force-run)"
            ));
            return Ok(());
        }
        anyhow::bail!(
            "{why} (this branch's PR). Fetch the PR's own run with `rerecord fetch --pr {}`, or pass \
             --force-run to apply run {}'s recordings anyway",
            pr.number,
            run.id
        )
    }

    async fn find_pr(&self) -> anyhow::Result<PullRequest> {
        let Self {
            gh,
            repo,
            checkout,
            args,
        } = *self;
        if let Some(number) = args.pr {
            return gh.pull(repo, number).await.map_err(|e| {
                if e.is_not_found() {
                    anyhow::anyhow!("PR #{number} was not found in {repo}; check the number, or pass --run-repo OWNER/NAME")
                } else {
                    anyhow::Error::new(e).context(format!("failed to read PR #{number} of {repo}"))
                }
            });
        }
        let branch = checkout.branch(args.branch.as_deref())?;
        let lookups = locate::look_up(gh, repo, checkout, &branch).await?;
        let local_head = checkout
            .head
            .as_deref()
            .filter(|_| checkout.current_branch.as_deref() == Some(branch.as_str()));
        match locate::choose_pr(&lookups.prs, local_head) {
            PrChoice::One { pr, note } => {
                if let Some(note) = note {
                    say(&format!("note: {note}"));
                }
                Ok(pr)
            }
            PrChoice::None => anyhow::bail!(
                "no pull request in {repo} has branch {branch} as its head; pass --pr NUMBER or --run RUN_ID"
            ),
            PrChoice::Ambiguous(prs) => {
                let list: Vec<String> = prs.iter().map(locate::describe_pr).collect();
                anyhow::bail!(
                    "several pull requests have branch {branch} as their head:\n  {}\npass --pr NUMBER",
                    list.join("\n  ")
                )
            }
        }
    }
}

/// Completed runs of `workflow` that recorded `pr` at its current head: `pull_request` runs of
/// its head repository and branch with that sha, and dispatched runs (in the upstream, on any
/// branch) whose title names this PR and sha. Runs of another repository or PR never count.
async fn runs_of_pr_head(
    gh: &GitHub,
    repo: &RepoName,
    workflow: &str,
    pr: &PullRequest,
) -> anyhow::Result<Vec<WorkflowRun>> {
    let ours = |r: &WorkflowRun| provenance::check_run_for_pr(r, pr).is_ok();
    let by_sha = [("head_sha", pr.head_sha.as_str()), ("status", "completed")];
    let dispatched = [("event", "workflow_dispatch"), ("status", "completed")];
    let (by_sha, dispatched) = tokio::try_join!(
        gh.workflow_runs(repo, workflow, &by_sha, |_| true),
        gh.workflow_runs(repo, workflow, &dispatched, |seen| {
            seen.len() >= MAX_DISPATCHED_RUNS || seen.iter().any(ours)
        })
    )
    .with_context(|| format!("failed to list runs of {workflow} in {repo}"))?;
    let mut runs: Vec<WorkflowRun> = by_sha.into_iter().chain(dispatched).filter(ours).collect();
    runs.sort_by_key(|r| r.id);
    runs.dedup_by_key(|r| r.id);
    Ok(runs)
}

/// No run recorded the PR's current head: runs of its head repository and branch at an older
/// commit (`fetch` then warns that HEAD may not contain it), never one GitHub lists for another
/// PR.
async fn older_runs_of_pr_branch(
    gh: &GitHub,
    repo: &RepoName,
    workflow: &str,
    pr: &PullRequest,
) -> anyhow::Result<Vec<WorkflowRun>> {
    let by_branch = gh
        .workflow_runs(
            repo,
            workflow,
            &[("branch", &pr.head_ref), ("status", "completed")],
            |_| true,
        )
        .await
        .with_context(|| format!("failed to list runs of {workflow} in {repo}"))?;
    let runs: Vec<WorkflowRun> = by_branch
        .into_iter()
        .filter(|r| match (&r.head_repository, &pr.head_repo) {
            (Some(run_repo), Some(pr_repo)) => run_repo.full_name.eq_ignore_ascii_case(pr_repo),
            _ => false,
        })
        .filter(|r| provenance::title_claim(r).is_none())
        // A run of the same branch for another PR (an earlier PR from this branch) is that PR's.
        .filter(|r| {
            r.pull_requests.is_empty() || r.pull_requests.iter().any(|p| p.number == pr.number)
        })
        .collect();
    if !runs.is_empty() {
        say(&format!(
            "note: no run recorded the PR's head {}; taking the newest run of its branch {}",
            short(&pr.head_sha),
            pr.head_ref
        ));
    }
    Ok(runs)
}

/// A dispatched run's manifests must name the PR and sha of its title (the job checked out the
/// pinned commit); other runs are placed by the API's fields alone.
fn check_manifests(incoming: &Incoming, run: &WorkflowRun) -> Result<(), String> {
    let Some((pr, sha)) = provenance::title_claim(run) else {
        return Ok(());
    };
    let pin = provenance::Pin {
        pr: Some(pr),
        head_sha: sha,
        source: provenance::PinSource::RunTitle,
    };
    let mismatches: Vec<String> = incoming
        .manifests
        .iter()
        .flat_map(|m| provenance::manifest_mismatches(&pin, m))
        .collect();
    match mismatches.first() {
        None => Ok(()),
        Some(m) => Err(format!(
            "an artifact of run {} does not match the run: its manifest claims {}",
            run.id,
            safe_text(m)
        )),
    }
}

async fn run_by_id(gh: &GitHub, repo: &RepoName, id: u64) -> anyhow::Result<Chosen> {
    let (run, artifacts) =
        tokio::try_join!(gh.run(repo, id), gh.artifacts(repo, id)).map_err(|e| {
            if e.is_not_found() {
                anyhow::anyhow!(
                    "run {id} was not found in {repo}; check the run id, or pass --run-repo OWNER/NAME"
                )
            } else {
                anyhow::Error::new(e).context(format!("failed to read run {id} of {repo}"))
            }
        })?;
    let branch = run.head_branch.clone();
    Ok(Chosen {
        run,
        artifacts,
        branch,
    })
}

fn expired_message(run: &WorkflowRun, expired: &[&Artifact], branch: Option<&str>) -> String {
    let when: Vec<String> = expired
        .iter()
        .map(|a| match a.expires_at {
            Some(at) => format!("{} expired {}", a.name, at.format("%Y-%m-%d %H:%M UTC")),
            None => format!("{} expired", a.name),
        })
        .collect();
    let schedule = match branch {
        Some(b) => format!("rerecord schedule --branch {}", shell_quote(b)),
        None => "rerecord schedule".to_owned(),
    };
    format!(
        "the recording artifacts of run {} have expired ({}); re-run the recording workflow to make new ones: {schedule}",
        run.id,
        when.join(", ")
    )
}

/// Warn when the recordings were made for a commit this checkout does not contain, and when an
/// artifact claims to come from another run.
fn check_made_for(git: &GitRepo, incoming: &Incoming, run_id: u64) {
    let head = git.head_sha();
    for m in incoming.manifests.iter().map(|m| &m.provenance) {
        match &head {
            Some(head) if !git.contains(head, &m.head_sha) => warn(&format!(
                "the recordings were made for commit {} of {}, which your HEAD ({}) does not contain; \
                 pull that branch first if the tests differ",
                short(&m.head_sha),
                m.head_ref,
                short(head)
            )),
            _ => {}
        }
        if m.made_by.run_id != run_id {
            warn(&format!(
                "an artifact's manifest names run {}, not run {run_id}",
                m.made_by.run_id
            ));
        }
    }
}

/// While files move into place, Ctrl-C (or a plain `kill`) must not stop us halfway: once a
/// handler is installed, the signal is only recorded, and the apply (a few renames) completes
/// or rolls back.
#[cfg(unix)]
fn ignore_interrupts() -> Vec<tokio::signal::unix::Signal> {
    use tokio::signal::unix::{SignalKind, signal};
    [
        SignalKind::interrupt(),
        SignalKind::terminate(),
        SignalKind::hangup(),
    ]
    .into_iter()
    .filter_map(|kind| signal(kind).ok())
    .collect()
}

#[cfg(not(unix))]
fn ignore_interrupts() {}

enum FetchOutcome {
    DryRun,
    Applied,
    Committed(String, String),
    NothingToCommit,
}

/// `--json`: exactly `{"run":{"id","url","conclusion"},"artifacts":[..],"files":[..]}`.
#[derive(Serialize)]
struct Report {
    /// The recording run the recordings came from.
    run: ReportRun,
    /// Its recording artifacts (those named with `--artifact-prefix`).
    artifacts: Vec<ReportArtifact>,
    /// Every file the artifacts carry, as it compares with the work tree; empty when the run
    /// has no recording artifacts.
    files: Vec<FileChange>,
}

#[derive(Serialize)]
struct ReportRun {
    /// The run's id, as `--run` takes it.
    id: u64,
    /// The run's page on GitHub.
    url: String,
    /// How the run ended (`success`, `failure`, `cancelled`, ...); `None` while it runs.
    conclusion: Option<String>,
}

#[derive(Serialize)]
struct ReportArtifact {
    /// The artifact's id in the API.
    id: u64,
    /// Its name (`recordings-RUN_ID-RUN_ATTEMPT-JOB[-KEY]` for the recording action's).
    name: String,
    /// The size of its zip in bytes, as the API reports it.
    size: u64,
}

impl Report {
    fn new(run: &WorkflowRun, artifacts: &[Artifact]) -> Self {
        Self {
            run: ReportRun {
                id: run.id,
                url: run.html_url.clone(),
                conclusion: run.conclusion.clone(),
            },
            artifacts: artifacts
                .iter()
                .map(|a| ReportArtifact {
                    id: a.id,
                    name: a.name.clone(),
                    size: a.size_in_bytes,
                })
                .collect(),
            files: Vec::new(),
        }
    }

    fn print(&self, json: bool, outcome: Option<FetchOutcome>) {
        if json {
            crate::output::outln!("{}", json_line(self).expect("the report serializes"));
            return;
        }
        for f in self.files.iter().filter(|f| f.status != Change::Unchanged) {
            crate::output::outln!(
                "{:<9} {}  (from {})",
                status_word(f.status),
                safe_text(&f.path),
                safe_text(&f.artifact)
            );
        }
        let count = |c| self.files.iter().filter(|f| f.status == c).count();
        let Some(outcome) = outcome else { return };
        let counts = format!(
            "{} added, {} updated, {} unchanged, {} deleted",
            count(Change::Added),
            count(Change::Updated),
            count(Change::Unchanged),
            count(Change::Deleted)
        );
        let changed = self.files.iter().any(|f| f.status != Change::Unchanged);
        match outcome {
            FetchOutcome::DryRun => {
                crate::output::outln!("dry run: would apply {counts}; nothing was written")
            }
            FetchOutcome::Applied if !changed => {
                crate::output::outln!("{counts}: your checkout already has these recordings")
            }
            FetchOutcome::Applied => {
                crate::output::outln!("applied {counts}");
                crate::output::outln!(
                    "next: review with `git status`, then `git add` the files above, \
                     `git commit -m \"Recordings from CI run {}\"` and `git push` (or run again with --commit)",
                    self.run.id
                );
            }
            FetchOutcome::Committed(oid, message) => {
                crate::output::outln!("applied {counts}");
                crate::output::outln!(
                    "committed {} \"{}\"; next: `git push`",
                    short(&oid),
                    safe_text(&message)
                );
            }
            FetchOutcome::NothingToCommit => crate::output::outln!("{counts}: nothing to commit"),
        }
    }
}

fn status_word(change: Change) -> &'static str {
    match change {
        Change::Added => "added",
        Change::Updated => "updated",
        Change::Unchanged => "unchanged",
        Change::Deleted => "deleted",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{documented_keys, printed_keys};

    #[test]
    fn docs_json_md_documents_every_key() {
        let report = Report {
            run: ReportRun {
                id: 7,
                url: "u".into(),
                conclusion: None,
            },
            artifacts: vec![ReportArtifact {
                id: 1,
                name: "recordings-7-1-record".into(),
                size: 10,
            }],
            files: vec![FileChange {
                path: "r/a.json".into(),
                status: Change::Added,
                artifact: "recordings-7-1-record".into(),
            }],
        };
        for (keys, heading) in [
            (printed_keys(&report), "## `rerecord fetch --json`"),
            (printed_keys(&report.run), "### The run"),
            (printed_keys(&report.artifacts[0]), "### An artifact"),
            (printed_keys(&report.files[0]), "### A fetched file"),
        ] {
            assert_eq!(keys, documented_keys(heading), "{heading}");
        }
    }
}
