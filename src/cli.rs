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
    /// Test setup (provider).
    #[arg(short = 'p', long = "test-setup", visible_aliases = ["setup", "test-provider"], value_name = "SETUP")]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ForkMode {
    Auto,
    True,
    False,
}

#[derive(Debug, Clone, Args)]
pub struct CommitArgs {
    /// Branch to commit to (default: the PR head ref from the event, GITHUB_HEAD_REF, GITHUB_REF_NAME).
    #[arg(long, value_name = "BRANCH")]
    pub target_branch: Option<String>,
    /// Whether the PR comes from a fork (auto: compare the event's head repository).
    #[arg(long, value_enum, default_value = "auto")]
    pub fork_pr: ForkMode,
    /// Test setup, for the commit message and manifest.
    #[arg(long)]
    pub setup: Option<String>,
    /// Test suite, for the commit message and manifest.
    #[arg(long)]
    pub suite: Option<String>,
    /// Commit message template; {setup} and {suite} are replaced.
    #[arg(long, value_name = "TEMPLATE")]
    pub message: Option<String>,
    /// Remote to fetch from and push to.
    #[arg(long, default_value = "origin", value_name = "NAME")]
    pub remote: String,
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
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// Upstream repository (default as `schedule` detects it).
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Workflow file name.
    #[arg(long, value_name = "FILE")]
    pub workflow: Option<String>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub api: ApiArgs,
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
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}
