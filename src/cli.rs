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
    /// Scan recordings (or any files) for credentials as commit, land and fetch do; exit 1 on a
    /// hit (a pre-commit hook).
    Scan(ScanCommandArgs),
    /// Set rerecord up in this checkout: detect its layout, write the recording workflows.
    ///
    /// Detects the recordings (llama-stack JSON, vcrpy/pytest-recording cassettes, Polly.js HAR),
    /// the test command with its record-mode switch and the recording workflows already there;
    /// shows the files it would write as a diff and asks; writes only new files (rerecord.toml
    /// only where the defaults do not fit), with the actions pinned by full commit SHA; then
    /// runs doctor's local checks.
    Init(InitArgs),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout, or write one page per subcommand into a folder.
    #[command(hide = true)]
    Man {
        /// Write rerecord.1 and rerecord-SUBCOMMAND.1 for each subcommand into DIR (created if
        /// missing) instead of printing the top-level page.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
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

/// A repository with its recording workflow and the API to ask. Each command names the
/// repository flag for what it is, with `upstream_flag` or `run_repo_flag`.
#[derive(Debug, Clone, Args)]
pub struct RepoArgs {
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    #[command(flatten)]
    pub workflow: WorkflowArgs,
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `--upstream` (`schedule`, `doctor`, `command`): the repository the PR is opened in.
fn upstream_flag(arg: clap::Arg) -> clap::Arg {
    arg.long("upstream").alias("repo").help(
        "The upstream repository, where the PR is opened (default: in Actions \
         GITHUB_REPOSITORY; on a laptop config `upstream`, the `upstream` remote, or origin's \
         parent)",
    )
}

/// `--run-repo` (`fetch`, `land`): the repository the recording run happened in.
fn run_repo_flag(arg: clap::Arg) -> clap::Arg {
    arg.long("run-repo").alias("repo").help(
        "The repository the recording run happened in (default: in Actions GITHUB_REPOSITORY; \
         on a laptop the upstream)",
    )
}

/// What `commit` and `land` carry, and how hard they try to push it.
#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// Also carry recordings in which only `[review] volatile` fields changed.
    #[arg(long)]
    pub keep_churn: bool,
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Push attempts when the branch keeps moving.
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_attempts: u32,
}

/// The recording workflow.
#[derive(Debug, Clone, Args)]
pub struct WorkflowArgs {
    /// The recording workflow's file name (default: `workflow` in rerecord.toml, else
    /// record-integration-tests.yml).
    #[arg(long, value_name = "FILE")]
    pub workflow: Option<String>,
}

impl WorkflowArgs {
    /// The file given, else `configured` (rerecord.toml's `workflow`).
    pub fn file_or(&self, configured: &str) -> String {
        self.workflow
            .clone()
            .unwrap_or_else(|| configured.to_owned())
    }
}

/// `--dry-run` and `--json`, for the commands that change something.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Run every look-up and check and report what would happen; change nothing (no push,
    /// dispatch, comment, artifact or file).
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// A spelling kept for one release as a hidden alias: using it prints a deprecation note.
#[derive(Debug, Clone, Copy)]
pub struct Deprecated {
    /// The subcommand that takes it.
    pub command: &'static str,
    /// The old long flag, without `--`.
    pub old: &'static str,
    /// The flag to use instead, or `None` when the flag does nothing now.
    pub new: Option<&'static str>,
}

/// Every deprecated spelling (remove them in the release after next).
pub const DEPRECATED: &[Deprecated] = &[
    Deprecated {
        command: "schedule",
        old: "repo",
        new: Some("upstream"),
    },
    Deprecated {
        command: "doctor",
        old: "repo",
        new: Some("upstream"),
    },
    Deprecated {
        command: "command",
        old: "repo",
        new: Some("upstream"),
    },
    Deprecated {
        command: "fetch",
        old: "repo",
        new: Some("run-repo"),
    },
    Deprecated {
        command: "land",
        old: "repo",
        new: Some("run-repo"),
    },
    Deprecated {
        command: "commit",
        old: "token-env",
        new: Some("push-token-env"),
    },
    Deprecated {
        command: "commit",
        old: "setup",
        new: Some("recorded-setup"),
    },
    Deprecated {
        command: "commit",
        old: "suite",
        new: Some("recorded-suite"),
    },
    Deprecated {
        command: "land",
        old: "comment",
        new: None,
    },
];

/// A note (one line) for each deprecated spelling in `args`, a command line that parsed.
pub fn deprecation_notes<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Vec<String> {
    let mut words = args.iter().skip(1).map(|a| a.as_ref().to_string_lossy());
    let Some(command) = words.next() else {
        return Vec::new();
    };
    let mut notes = Vec::new();
    for word in words.take_while(|w| w != "--") {
        let Some(flag) = word.strip_prefix("--") else {
            continue;
        };
        let flag = flag.split_once('=').map_or(flag, |(name, _)| name);
        let found = DEPRECATED
            .iter()
            .find(|d| d.command == command && d.old == flag);
        notes.extend(found.map(|d| match d.new {
            Some(new) => format!(
                "`rerecord {command} --{flag}` is deprecated: use --{new} (the old spelling goes in the next release)"
            ),
            None => format!(
                "`rerecord {command} --{flag}` is deprecated: it is the default and does nothing; drop it"
            ),
        }));
    }
    notes
}

#[derive(Debug, Clone, Args)]
#[command(mut_arg("dry_run", |a| a.help("Run every look-up and validation, but dispatch nothing")))]
#[command(mut_arg("repo", upstream_flag))]
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
    #[command(flatten)]
    pub upstream: RepoArgs,
    /// Follow the run until it concludes; exit 1 unless it succeeds.
    #[arg(long)]
    pub watch: bool,
    /// Never prompt; go on where a prompt would ask.
    #[arg(short = 'y', long)]
    pub yes: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The options that become the recording workflow's inputs: shared by `schedule` and by the
/// `/rerecord` comment grammar of `command`, so both accept exactly the same words.
#[derive(Debug, Clone, Default, Args)]
pub struct RecordingArgs {
    /// Comma-separated test subdirectories, e.g. agents,inference.
    #[arg(short = 's', long = "test-subdirs", visible_aliases = ["subdirs"], value_name = "DIRS")]
    pub subdirs: Option<String>,
    /// Test suite.
    #[arg(short = 't', long = "test-suite", visible_aliases = ["suite"], value_name = "SUITE")]
    pub suite: Option<String>,
    /// Test setup or providers (comma-separated for a providers input).
    #[arg(short = 'p', long = "test-setup", visible_aliases = ["setup", "test-provider", "providers"], value_name = "SETUP")]
    pub setup: Option<String>,
    /// pytest -k expression.
    #[arg(short = 'k', long = "test-pattern", visible_aliases = ["pattern"], value_name = "PATTERN")]
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
#[command(mut_arg("dry_run", |a| a.help("Compute and report everything; push and stage nothing")))]
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
    /// The test setup the recordings were made with, for the commit message and manifest.
    #[arg(long = "recorded-setup", alias = "setup", value_name = "SETUP")]
    pub setup: Option<String>,
    /// The test suite the recordings were made with, for the commit message and manifest.
    #[arg(long = "recorded-suite", alias = "suite", value_name = "SUITE")]
    pub suite: Option<String>,
    /// Commit message template; {setup} and {suite} are replaced.
    #[arg(long, value_name = "TEMPLATE")]
    pub message: Option<String>,
    /// Remote to fetch from and push to, outside Actions only (default origin). In Actions the
    /// URL is always GITHUB_SERVER_URL/GITHUB_REPOSITORY.
    #[arg(long, value_name = "NAME")]
    pub remote: Option<String>,
    /// Environment variable holding the push token (default GITHUB_TOKEN).
    #[arg(long, alias = "token-env", value_name = "NAME")]
    pub push_token_env: Option<String>,
    /// Where fork recordings are staged (default $RUNNER_TEMP/rerecord-artifact).
    #[arg(long, value_name = "DIR")]
    pub artifact_dir: Option<PathBuf>,
    /// Distinguishes matrix jobs in the artifact name (e.g. strategy.job-index).
    #[arg(long, value_name = "KEY")]
    pub job_key: Option<String>,
    /// Also carry deleted recordings.
    #[arg(long)]
    pub include_deletions: bool,
    #[command(flatten)]
    pub push: PushArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// The PR the run records, for the manifest (the workflow's pinned input).
    #[arg(long = "pr", env = "RERECORD_PR_NUMBER", value_name = "N")]
    pub pr_number: Option<String>,
    /// The full head sha the run records; stage mode refuses a checkout whose HEAD is another.
    #[arg(long, env = "RERECORD_HEAD_SHA", value_name = "SHA")]
    pub head_sha: Option<String>,
}

#[derive(Debug, Clone, Args)]
#[command(mut_arg("dry_run", |a| a.help("Verify everything and report; write nothing")))]
#[command(mut_arg("repo", run_repo_flag))]
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
    /// Apply --run's recordings even though it recorded another PR or commit than this
    /// branch's PR head (said first).
    #[arg(long, requires = "run")]
    pub force_run: bool,
    #[command(flatten)]
    pub source: RepoArgs,
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
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LandMode {
    Pr,
    Branch,
    None,
}

#[derive(Debug, Clone, Args)]
#[command(mut_arg("dry_run", |a| a.help("Verify and report; push and comment nothing")))]
#[command(mut_arg("workflow", |a| a.help(
    "The recording workflow's file name (default: `workflow` in rerecord.toml, else \
     record-integration-tests.yml); the run must be one of its runs"
)))]
#[command(mut_arg("repo", run_repo_flag))]
pub struct LandArgs {
    /// The (untrusted) recording run whose artifacts to land.
    #[arg(long, value_name = "RUN_ID")]
    pub run: u64,
    #[command(flatten)]
    pub source: RepoArgs,
    /// Only artifacts whose names start with this prefix.
    #[arg(long, default_value = "recordings-", value_name = "PREFIX")]
    pub artifact_prefix: String,
    /// Where to land (default: pr when the run belongs to a PR, else branch).
    #[arg(long, value_enum)]
    pub mode: Option<LandMode>,
    /// Environment variable with a token allowed to push to fork branches (default GITHUB_TOKEN).
    #[arg(long, value_name = "NAME")]
    pub push_token_env: Option<String>,
    /// Deprecated: commenting is the default.
    #[arg(long, hide = true, overrides_with = "no_comment")]
    pub comment: bool,
    /// Do not leave or update the sticky PR comment (by default there is one).
    #[arg(long)]
    pub no_comment: bool,
    #[command(flatten)]
    pub push: PushArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also accept runs triggered by this event (repeatable; pull_request and workflow_dispatch
    /// always are).
    #[arg(long = "allow-event", value_name = "EVENT")]
    pub allow_events: Vec<String>,
    /// The PR a dispatched or called run recorded, from the workflow's own inputs (empty: none).
    #[arg(long, value_name = "N", value_parser = parse_optional_pr)]
    pub pr: Option<OptionalPr>,
    /// The branch of this repository a dispatched or called run recorded (`pr_head_ref`); with
    /// --pr it must be that PR's head branch.
    #[arg(long, value_name = "BRANCH")]
    pub head_branch: Option<String>,
    /// The full head sha a dispatched or called run recorded, from the workflow's own inputs or
    /// plan job (empty: none); the run's title must agree.
    #[arg(long, value_name = "SHA")]
    pub head_sha: Option<String>,
}

/// The least repository role allowed to trigger a recording from a PR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Permission {
    Write,
    Maintain,
    Admin,
}

#[derive(Debug, Clone, Args)]
#[command(mut_arg("dry_run", |a| a.help("Check and report everything; react, comment and dispatch nothing")))]
#[command(mut_arg("repo", upstream_flag))]
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
    #[command(flatten)]
    pub upstream: RepoArgs,
    #[command(flatten)]
    pub output: OutputArgs,
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
#[command(mut_arg("repo", upstream_flag))]
pub struct DoctorArgs {
    #[command(flatten)]
    pub upstream: RepoArgs,
    /// Check a dispatch in this repository, as `schedule --dispatch-in` would.
    #[arg(long, value_enum, value_name = "WHERE")]
    pub dispatch_in: Option<DispatchIn>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
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

    /// Each deprecated spelling is a hidden alias of its new flag (or a hidden flag of its own).
    #[test]
    fn every_deprecated_spelling_is_a_hidden_alias_of_the_new_flag() {
        use clap::CommandFactory as _;
        let cli = Cli::command();
        for d in DEPRECATED {
            let command = cli.find_subcommand(d.command).expect(d.command);
            let long = d.new.unwrap_or(d.old);
            let arg = command
                .get_arguments()
                .find(|a| a.get_long() == Some(long))
                .unwrap_or_else(|| panic!("{} has no --{long}", d.command));
            match d.new {
                Some(_) => {
                    let aliases = arg.get_aliases().unwrap_or_default();
                    assert!(aliases.contains(&d.old), "{d:?}: {aliases:?}");
                    let visible = arg.get_visible_aliases().unwrap_or_default();
                    assert!(!visible.contains(&d.old), "{d:?} is visible");
                }
                None => assert!(arg.is_hide_set(), "{d:?} is not hidden"),
            }
        }
    }

    #[test]
    fn deprecation_notes_name_each_old_spelling_once_per_use() {
        let notes = deprecation_notes(&["rerecord", "fetch", "--repo=a/b", "--run", "1"]);
        assert_eq!(
            notes,
            [
                "`rerecord fetch --repo` is deprecated: use --run-repo (the old spelling goes in the next release)"
            ]
        );
        assert!(deprecation_notes(&["rerecord", "fetch", "--run-repo", "a/b"]).is_empty());
        assert!(deprecation_notes(&["rerecord", "scan", "--", "--repo"]).is_empty());
        assert!(deprecation_notes(&["rerecord", "schedule", "--token-env", "X"]).is_empty());
        assert_eq!(
            deprecation_notes(&["rerecord", "land", "--comment"]).len(),
            1
        );
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
    /// Print one JSON object on stdout instead of Markdown (same as `--format json`).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Output format (default: terminal when stdout is a terminal, else markdown).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ReportFormat>,
}

/// How `report` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Plain text for a terminal.
    Terminal,
    /// Markdown (for `$GITHUB_STEP_SUMMARY` or a PR comment).
    Markdown,
    /// One JSON object.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ScanCommandArgs {
    /// Files or folders to scan (default: the recordings changed against HEAD).
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Scan the content staged in the git index (what `git commit` would record), not the
    /// work tree; without PATHS, every staged recording.
    #[arg(long)]
    pub staged: bool,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub scan: ScanArgs,
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

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// Write without asking (needed without a terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Show what would be written, as a diff; write nothing.
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// The rerecord commit the workflows pin the actions to, a full 40-character SHA (default:
    /// the commit this rerecord was built from).
    #[arg(long, value_name = "SHA")]
    pub action_sha: Option<String>,
}
