//! Command-line definitions (clap types only). The doc comments are the user manual.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Re-record record/replay integration tests without the shell glue.
///
/// `schedule` dispatches the recording workflow for your branch, `commit` (inside the
/// workflow) commits only recording files back to the PR branch or stages them as an
/// artifact for fork PRs, and `fetch` applies a fork run's recordings to your checkout.
#[derive(Debug, Parser)]
#[command(name = "rerecord", version = crate::version::LONG, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Dispatch the recording workflow for the current branch (run on your laptop).
    Schedule(ScheduleArgs),
    /// Commit changed recordings to the PR's head branch, or stage them for a fork PR
    /// (run inside the recording workflow).
    Commit(CommitArgs),
    /// Download a run's recording artifacts, verify them and apply them to this checkout.
    Fetch(FetchArgs),
    /// Commit a run's verified recording artifacts back to its PR (privileged
    /// `workflow_run` companion workflow).
    Land(LandArgs),
    /// Check token, remotes, branch, PR, workflow and configuration, and say what to fix.
    Doctor(DoctorArgs),
    /// Dispatch the recording workflow for a `/rerecord` PR comment or a `re-record` label (run
    /// in a workflow on `issue_comment`).
    Command(CommandArgs),
    /// Report the changed recordings of this checkout by test: counts, bytes, changed JSON paths.
    Report(ReportArgs),
    /// List (or delete) recordings whose test no longer exists.
    Prune(PruneArgs),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout.
    #[command(hide = true)]
    Man,
}

/// Options shared by the commands that talk to the GitHub API from a laptop.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// GitHub API base URL (GitHub Enterprise: https://HOST/api/v3).
    #[arg(
        long,
        value_name = "URL",
        env = "GITHUB_API_URL",
        hide_env_values = true
    )]
    pub api_url: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ScheduleArgs {
    /// Branch to record (default: the current branch).
    #[arg(short, long)]
    pub branch: Option<String>,
    #[command(flatten)]
    pub recording: RecordingArgs,
    /// Don't send this option's `[defaults]` value from rerecord.toml (repeatable).
    #[arg(long, value_enum, value_name = "OPTION")]
    pub no_default: Vec<DefaultOption>,
    /// Where to dispatch: the upstream on its default branch with the PR number, or the PR's
    /// head repository on its branch (default: upstream when the workflow takes a PR number).
    #[arg(long, value_enum, value_name = "WHERE")]
    pub dispatch_in: Option<DispatchIn>,
    /// Upstream repository (default: config `upstream`, the `upstream` remote, or origin's parent).
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Workflow file name (default: record-integration-tests.yml).
    #[arg(long, value_name = "FILE")]
    pub workflow: Option<String>,
    #[command(flatten)]
    pub api: ApiArgs,
    /// Follow the run until it concludes; exit 1 unless it succeeds.
    #[arg(long)]
    pub watch: bool,
    /// Run every look-up and validation, but dispatch nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Never prompt; go on where a prompt would ask.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The options that become the recording workflow's inputs: shared by `schedule` and by the
/// `/rerecord` comment grammar of `command`, so both accept exactly the same words.
#[derive(Debug, Clone, Default, Args)]
pub struct RecordingArgs {
    /// Comma-separated test subdirectories, e.g. agents,inference.
    #[arg(
        short = 's',
        long = "test-subdirs",
        visible_alias = "subdirs",
        value_name = "DIRS"
    )]
    pub subdirs: Option<String>,
    /// Test suite.
    #[arg(
        short = 't',
        long = "test-suite",
        visible_alias = "suite",
        value_name = "SUITE"
    )]
    pub suite: Option<String>,
    /// Test setup or providers (comma-separated for a providers input).
    #[arg(short = 'p', long = "test-setup", visible_aliases = ["setup", "test-provider", "providers"], value_name = "SETUP")]
    pub setup: Option<String>,
    /// pytest -k expression.
    #[arg(
        short = 'k',
        long = "test-pattern",
        visible_alias = "pattern",
        value_name = "PATTERN"
    )]
    pub pattern: Option<String>,
    /// Any other workflow input, sent verbatim (repeatable).
    #[arg(short = 'f', long = "input", value_name = "KEY=VALUE")]
    pub inputs: Vec<String>,
}

/// An option with a `[defaults]` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DefaultOption {
    Subdirs,
    Suite,
    Setup,
    Pattern,
}

/// Which repository a recording run is dispatched in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DispatchIn {
    // The PR's head repository, on the PR branch (the run pushes to it itself).
    Head,
    // The upstream, on its default branch with the PR number (where its secrets are).
    Upstream,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ForkMode {
    Auto,
    True,
    False,
}

/// How `commit` hands the recordings on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CommitMode {
    Auto,
    Push,
    Stage,
}

#[derive(Debug, Clone, Args)]
pub struct CommitArgs {
    /// Branch to commit to (pull_request events: GITHUB_HEAD_REF; otherwise this flag, else
    /// GITHUB_REF_NAME).
    #[arg(long, value_name = "BRANCH")]
    pub target_branch: Option<String>,
    /// Whether the PR comes from a fork (auto: compare the event's head repository).
    #[arg(long, value_enum, default_value = "auto")]
    pub fork_pr: ForkMode,
    /// push: commit to the branch (refused on a fork PR); stage: stage an artifact + manifest
    /// and never read a token; auto: push for same-repository PRs, stage for forks.
    #[arg(long, value_enum, default_value = "auto")]
    pub mode: CommitMode,
    /// Recording glob (repeatable; default RERECORD_RECORDINGS, else the committed
    /// rerecord.toml).
    #[arg(long = "recordings", value_name = "GLOB")]
    pub recordings: Vec<String>,
    /// Author and committer name of the recordings commit (default `github-actions[bot]`).
    #[arg(long, value_name = "NAME")]
    pub author_name: Option<String>,
    /// Author and committer email (default the `github-actions[bot]` noreply address).
    #[arg(long, value_name = "EMAIL")]
    pub author_email: Option<String>,
    /// Test setup, for the commit message and manifest.
    #[arg(long)]
    pub setup: Option<String>,
    /// Test suite, for the commit message and manifest.
    #[arg(long)]
    pub suite: Option<String>,
    /// Commit message template; {setup} and {suite} are replaced.
    #[arg(long, value_name = "TEMPLATE")]
    pub message: Option<String>,
    /// Remote to fetch from and push to, outside Actions only (default origin). In Actions the
    /// URL is always GITHUB_SERVER_URL/GITHUB_REPOSITORY.
    #[arg(long, value_name = "NAME")]
    pub remote: Option<String>,
    /// Environment variable holding the push token (default GITHUB_TOKEN).
    #[arg(long, value_name = "NAME")]
    pub token_env: Option<String>,
    /// Where fork recordings are staged (default $RUNNER_TEMP/rerecord-artifact).
    #[arg(long, value_name = "DIR")]
    pub artifact_dir: Option<PathBuf>,
    /// Distinguishes matrix jobs in the artifact name (e.g. strategy.job-index).
    #[arg(long, value_name = "KEY")]
    pub job_key: Option<String>,
    /// Also carry deleted recordings.
    #[arg(long)]
    pub include_deletions: bool,
    /// Also carry recordings in which only `[review] volatile` fields changed.
    #[arg(long)]
    pub keep_churn: bool,
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Push attempts when the branch keeps moving.
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_attempts: u32,
    /// Compute and report everything; push and stage nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct FetchArgs {
    /// Workflow run id to take the recordings from.
    #[arg(long, value_name = "RUN_ID", conflicts_with_all = ["pr", "branch"])]
    pub run: Option<u64>,
    /// Pull request number (its newest recording run is used).
    #[arg(long, value_name = "NUMBER", conflicts_with = "branch")]
    pub pr: Option<u64>,
    /// Branch whose PR's newest recording run is used (default: the current branch).
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// Repository where the run happened (default: the upstream).
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Recording workflow file name.
    #[arg(long, value_name = "FILE")]
    pub workflow: Option<String>,
    /// Only artifacts whose names start with this prefix.
    #[arg(long, default_value = "recordings-", value_name = "PREFIX")]
    pub artifact_prefix: String,
    /// Where root-level files of a legacy (manifest-less) artifact go, e.g.
    /// tests/integration/agents/recordings.
    #[arg(long, value_name = "DIR")]
    pub legacy_prefix: Option<String>,
    /// Largest accepted file in an artifact, in bytes.
    #[arg(long, default_value_t = 100 * 1024 * 1024, value_name = "BYTES")]
    pub max_file_size: u64,
    /// Create one local commit with exactly the applied files.
    #[arg(long)]
    pub commit: bool,
    /// Overwrite local changes to the same files.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Verify everything and report; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LandMode {
    Pr,
    Branch,
    None,
}

#[derive(Debug, Clone, Args)]
pub struct LandArgs {
    /// The (untrusted) recording run whose artifacts to land.
    #[arg(long, value_name = "RUN_ID")]
    pub run: u64,
    /// Repository of the run (default GITHUB_REPOSITORY).
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Only artifacts whose names start with this prefix.
    #[arg(long, default_value = "recordings-", value_name = "PREFIX")]
    pub artifact_prefix: String,
    /// Where to land (default: pr when the run belongs to a PR, else branch).
    #[arg(long, value_enum)]
    pub mode: Option<LandMode>,
    /// Environment variable with a token allowed to push to fork branches (default GITHUB_TOKEN).
    #[arg(long, value_name = "NAME")]
    pub push_token_env: Option<String>,
    /// Leave or update one sticky PR comment (default).
    #[arg(long, overrides_with = "no_comment")]
    pub comment: bool,
    /// Do not comment on the PR.
    #[arg(long)]
    pub no_comment: bool,
    /// Also land recordings in which only `[review] volatile` fields changed.
    #[arg(long)]
    pub keep_churn: bool,
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Push attempts when the branch keeps moving.
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_attempts: u32,
    /// Verify and report; push and comment nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// The recording workflow's file (default: `workflow` in rerecord.toml); the run must be one
    /// of its runs.
    #[arg(long, value_name = "FILE")]
    pub workflow: Option<String>,
    /// Also accept runs triggered by this event (repeatable; pull_request and workflow_dispatch
    /// always are).
    #[arg(long = "allow-event", value_name = "EVENT")]
    pub allow_events: Vec<String>,
    /// The PR a dispatched or called run recorded, from the workflow's own inputs (empty: none).
    #[arg(long, value_name = "N", value_parser = parse_optional_pr, conflicts_with = "head_branch")]
    pub pr: Option<OptionalPr>,
    /// The branch of this repository a dispatched or called run recorded (`pr_head_ref`).
    #[arg(long, value_name = "BRANCH")]
    pub head_branch: Option<String>,
    #[command(flatten)]
    pub api: ApiArgs,
}

/// The least repository role allowed to trigger a recording from a PR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Permission {
    Write,
    Maintain,
    Admin,
}

#[derive(Debug, Clone, Args)]
pub struct CommandArgs {
    /// The comment command (default: config `[command] word`, else /rerecord).
    #[arg(long, value_name = "WORD")]
    pub word: Option<String>,
    /// The label that triggers a recording when added (default: config `[command] label`, else
    /// re-record).
    #[arg(long, value_name = "NAME")]
    pub label: Option<String>,
    /// Least role of the commenter or labeller (default: config `[command] permission`, else
    /// write).
    #[arg(long, value_enum)]
    pub permission: Option<Permission>,
    /// Also require an active member of this team, ORG/TEAM-SLUG (default: config `[command]
    /// team`, else none); the token must be able to read the organisation's teams.
    #[arg(long, value_name = "ORG/TEAM")]
    pub team: Option<String>,
    /// Repository of the pull request (default GITHUB_REPOSITORY).
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Recording workflow file name (default: config `workflow`).
    #[arg(long, value_name = "FILE")]
    pub workflow: Option<String>,
    /// Check and report everything; react, comment and dispatch nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `--pr N`, where an empty value (an unset workflow input) means no PR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionalPr(pub Option<u64>);

fn parse_optional_pr(s: &str) -> Result<OptionalPr, String> {
    let s = s.trim().trim_start_matches('#');
    if s.is_empty() {
        return Ok(OptionalPr(None));
    }
    match s.parse::<u64>() {
        Ok(n) if n > 0 => Ok(OptionalPr(Some(n))),
        _ => Err(format!("{s:?} is not a pull request number")),
    }
}

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// Upstream repository (default as `schedule` detects it).
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Workflow file name.
    #[arg(long, value_name = "FILE")]
    pub workflow: Option<String>,
    /// Check a dispatch in this repository, as `schedule --dispatch-in` would.
    #[arg(long, value_enum, value_name = "WHERE")]
    pub dispatch_in: Option<DispatchIn>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[cfg(test)]
mod land_args_tests {
    use super::*;

    #[test]
    fn an_empty_pr_is_none_and_a_bad_one_is_refused() {
        assert_eq!(parse_optional_pr(""), Ok(OptionalPr(None)));
        assert_eq!(parse_optional_pr("  "), Ok(OptionalPr(None)));
        assert_eq!(parse_optional_pr("#12"), Ok(OptionalPr(Some(12))));
        assert!(parse_optional_pr("0").is_err());
        assert!(parse_optional_pr("12; rm -rf /").is_err());
    }
}

/// The secret scan's options (`commit`, `fetch`, `land`).
#[derive(Debug, Clone, Default, Args)]
pub struct ScanArgs {
    /// Accept a known false positive of the secret scan, as the refusal names it (repeatable).
    #[arg(long, value_name = "PATH:POINTER")]
    pub allow_secret: Vec<String>,
    /// Also refuse recordings holding this variable's value (repeatable; comma-separated in the
    /// environment variable).
    #[arg(
        long,
        value_name = "NAME",
        env = "RERECORD_SECRET_ENV",
        value_delimiter = ','
    )]
    pub secret_env: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Compare the work tree with this revision (default HEAD).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Print one JSON object on stdout instead of Markdown.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct PruneArgs {
    /// The test ids a test run collected, one per line (`pytest --collect-only -q` output).
    #[arg(long, value_name = "FILE")]
    pub collected: PathBuf,
    /// Delete the orphaned recordings (then `commit --include-deletions` carries the deletions).
    #[arg(long)]
    pub delete: bool,
    /// With --delete: also delete orphans git does not track, without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}
