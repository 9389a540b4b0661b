//! `rerecord.toml` (optional) merged with the built-in defaults into one resolved [`Config`].
//!
//! Looked up at the repository root, else `.github/rerecord.toml`; the root file wins.
//! Unknown keys are an error that names the key, so typos never pass silently.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::recordings::Globs;

pub const DEFAULT_WORKFLOW: &str = "record-integration-tests.yml";
/// Every `recordings/` folder under `tests/integration/`, at any depth (the top-level one too).
pub const DEFAULT_RECORDINGS: [&str; 1] = ["tests/integration/**/recordings/"];

/// The `schedule` options that map to workflow inputs, and the PR number and head sha rerecord
/// fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputOption {
    Subdirs,
    Suite,
    Setup,
    Pattern,
    Pr,
    /// The exact head commit to record (the pushed head `schedule` verified, the approved one
    /// `command` pinned).
    #[serde(rename = "head-sha")]
    HeadSha,
}

impl InputOption {
    /// The options a user types.
    pub const ALL: [InputOption; 4] = [Self::Subdirs, Self::Suite, Self::Setup, Self::Pattern];
    /// Everything that maps to an input: the typed options, the PR number and the head sha.
    pub const MAPPED: [InputOption; 6] = [
        Self::Subdirs,
        Self::Suite,
        Self::Setup,
        Self::Pattern,
        Self::Pr,
        Self::HeadSha,
    ];

    /// The input names this option fills when the workflow declares one of them, in order of
    /// preference (every llama-stack era's names; `[inputs]` in rerecord.toml overrides).
    pub fn known_names(self) -> &'static [&'static str] {
        match self {
            Self::Subdirs => &["subdirs", "test-subdirs"],
            Self::Suite => &["suite", "test-suite"],
            Self::Setup => &[
                "test-setup",
                "setup",
                "providers",
                "provider",
                "test-provider",
            ],
            Self::Pattern => &["pattern", "test-pattern"],
            Self::Pr => &["pr_number", "pr", "pr-number"],
            Self::HeadSha => &["head_sha", "head-sha"],
        }
    }

    /// The key in `[inputs]`/`[defaults]` and the long option's short name.
    pub fn key(self) -> &'static str {
        match self {
            Self::Subdirs => "subdirs",
            Self::Suite => "suite",
            Self::Setup => "setup",
            Self::Pattern => "pattern",
            Self::Pr => "pr",
            Self::HeadSha => "head-sha",
        }
    }

    /// The command-line flag, for messages.
    pub fn flag(self) -> &'static str {
        match self {
            Self::Subdirs => "-s/--test-subdirs",
            Self::Suite => "-t/--test-suite",
            Self::Setup => "-p/--test-setup",
            Self::Pattern => "-k/--test-pattern",
            Self::Pr => "the PR number",
            Self::HeadSha => "the head sha",
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    upstream: Option<String>,
    workflow: Option<String>,
    recordings: Option<Vec<String>>,
    #[serde(default)]
    inputs: RawOptionTable,
    #[serde(default)]
    defaults: RawOptionTable,
    #[serde(default)]
    command: CommandConfig,
    #[serde(default)]
    review: crate::review::ReviewConfig,
}

/// `[command]`: the `/rerecord` comment command and the `re-record` label (`rerecord command`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CommandConfig {
    /// The comment command, default `/rerecord`.
    pub word: Option<String>,
    /// The label that triggers a recording, default `re-record`.
    pub label: Option<String>,
    /// Least role of the requester: `write` (default), `maintain` or `admin`.
    pub permission: Option<String>,
    /// A team (`org/team-slug`) the requester must also be an active member of.
    pub team: Option<String>,
    /// The recording workflow's input for the PR number, default `pr_number`.
    pub pr_input: Option<String>,
    /// The recording workflow's input for the approved head sha, default `head_sha`.
    pub sha_input: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptionTable {
    subdirs: Option<String>,
    suite: Option<String>,
    setup: Option<String>,
    pattern: Option<String>,
    pr: Option<String>,
    #[serde(rename = "head-sha")]
    head_sha: Option<String>,
}

impl RawOptionTable {
    fn get(&self, opt: InputOption) -> Option<&String> {
        match opt {
            InputOption::Subdirs => self.subdirs.as_ref(),
            InputOption::Suite => self.suite.as_ref(),
            InputOption::Setup => self.setup.as_ref(),
            InputOption::Pattern => self.pattern.as_ref(),
            InputOption::Pr => self.pr.as_ref(),
            InputOption::HeadSha => self.head_sha.as_ref(),
        }
    }
}

/// The resolved configuration: file values over built-in defaults.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
    pub upstream: Option<String>,
    pub workflow: String,
    pub recordings: Globs,
    /// Option -> workflow input name, from `[inputs]` (otherwise the known names apply).
    pub input_names: BTreeMap<InputOption, String>,
    /// Option -> the value sent when the option is not typed, from `[defaults]` (opt-in; sent
    /// only when the workflow declares the input). An empty value is no default.
    pub defaults: BTreeMap<InputOption, String>,
    /// `[command]` as written (its defaults are applied by `rerecord command`).
    pub command: CommandConfig,
    /// `[review]`: test ids, volatile fields, secret variables.
    pub review: crate::review::ReviewConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self::from_raw(RawConfig::default(), None).expect("built-in defaults are valid")
    }
}

impl Config {
    /// Load the config of the repository whose work tree is `root` (defaults when there is none).
    /// `RERECORD_RECORDINGS` (newline-separated globs; the action's `recordings` input) replaces
    /// the `recordings` globs.
    pub fn load(root: &Path) -> anyhow::Result<Self> {
        let mut config = Self::load_file(root)?;
        if let Ok(list) = std::env::var("RERECORD_RECORDINGS") {
            config.override_recordings(&list)?;
        }
        Ok(config)
    }

    fn load_file(root: &Path) -> anyhow::Result<Self> {
        for candidate in [
            root.join("rerecord.toml"),
            root.join(".github/rerecord.toml"),
        ] {
            if candidate.is_file() {
                let text = std::fs::read_to_string(&candidate).with_context(|| {
                    format!("failed to read config file {}", candidate.display())
                })?;
                return Self::parse(&text, Some(candidate));
            }
        }
        Ok(Self::default())
    }

    /// The config as committed in a tree: `read(name)` gives the text of `rerecord.toml` or
    /// `.github/rerecord.toml` there (`None` when absent; the root file wins). Defaults when
    /// neither exists; `RERECORD_RECORDINGS` is not applied.
    pub fn load_committed(
        mut read: impl FnMut(&str) -> anyhow::Result<Option<String>>,
    ) -> anyhow::Result<Self> {
        for name in ["rerecord.toml", ".github/rerecord.toml"] {
            if let Some(text) = read(name)? {
                return Self::parse(&text, Some(PathBuf::from(name)));
            }
        }
        Ok(Self::default())
    }

    /// Replace the recording globs with a newline-separated list (blank lines ignored).
    pub fn override_recordings(&mut self, list: &str) -> anyhow::Result<()> {
        let globs: Vec<&str> = list
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if !globs.is_empty() {
            self.recordings = Globs::new(globs)
                .context("invalid RERECORD_RECORDINGS (the action's `recordings` input)")?;
        }
        Ok(())
    }

    pub fn parse(text: &str, path: Option<PathBuf>) -> anyhow::Result<Self> {
        let shown = path
            .as_deref()
            .map_or_else(|| "rerecord.toml".to_owned(), |p| p.display().to_string());
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))
            .with_context(|| format!("invalid config file {shown}"))?;
        Self::from_raw(raw, path).with_context(|| format!("invalid config file {shown}"))
    }

    fn from_raw(raw: RawConfig, path: Option<PathBuf>) -> anyhow::Result<Self> {
        let mut input_names = BTreeMap::new();
        let mut defaults = BTreeMap::new();
        for opt in InputOption::MAPPED {
            if let Some(name) = raw.inputs.get(opt) {
                anyhow::ensure!(
                    !name.trim().is_empty(),
                    "[inputs] {} must not be empty",
                    opt.key()
                );
                input_names.insert(opt, name.trim().to_owned());
            }
            if let Some(value) = raw.defaults.get(opt) {
                anyhow::ensure!(
                    opt != InputOption::Pr,
                    "[defaults] pr: the PR number comes from the pull request, not from a default"
                );
                anyhow::ensure!(
                    opt != InputOption::HeadSha,
                    "[defaults] head-sha: the head sha is the pushed (or approved) commit, not a default"
                );
                if !value.is_empty() {
                    defaults.insert(opt, value.clone());
                }
            }
        }
        let recordings = match raw.recordings {
            Some(globs) => Globs::new(globs)?,
            None => Globs::new(DEFAULT_RECORDINGS)?,
        };
        raw.review.validate()?;
        if let Some(up) = &raw.upstream {
            crate::remotes::RepoName::parse(up).context("`upstream` must be OWNER/NAME")?;
        }
        Ok(Self {
            path,
            upstream: raw.upstream,
            workflow: raw.workflow.unwrap_or_else(|| DEFAULT_WORKFLOW.to_owned()),
            recordings,
            input_names,
            defaults,
            command: raw.command,
            review: raw.review,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_send_nothing_and_map_nothing() {
        let c = Config::default();
        assert_eq!(c.workflow, "record-integration-tests.yml");
        assert!(c.input_names.is_empty(), "known names apply: {c:?}");
        assert!(c.defaults.is_empty(), "no built-in defaults: {c:?}");
    }

    #[test]
    fn defaults_are_opt_in_and_an_empty_one_is_off() {
        let c = Config::parse("[defaults]\nsuite = \"base\"\nsetup = \"\"\n", None).unwrap();
        assert_eq!(c.defaults[&InputOption::Suite], "base");
        assert!(!c.defaults.contains_key(&InputOption::Setup));
        let err = Config::parse("[defaults]\npr = \"3\"\n", None).unwrap_err();
        assert!(format!("{err:#}").contains("[defaults] pr"), "{err:#}");
        let c = Config::parse("[inputs]\npr = \"pull\"\n", None).unwrap();
        assert_eq!(c.input_names[&InputOption::Pr], "pull");
        let c = Config::parse("[inputs]\nhead-sha = \"commit\"\n", None).unwrap();
        assert_eq!(c.input_names[&InputOption::HeadSha], "commit");
        let err = Config::parse("[defaults]\nhead-sha = \"abc\"\n", None).unwrap_err();
        assert!(
            format!("{err:#}").contains("[defaults] head-sha"),
            "{err:#}"
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::parse("upstrem = \"a/b\"\n", None).unwrap_err();
        assert!(format!("{err:#}").contains("upstrem"), "{err:#}");
        let err = Config::parse("[inputs]\nsubdir = \"x\"\n", None).unwrap_err();
        assert!(format!("{err:#}").contains("subdir"), "{err:#}");
    }

    #[test]
    fn file_values_override_defaults() {
        let c = Config::parse(
            "upstream = \"meta/llama\"\nworkflow = \"rec.yml\"\nrecordings = [\"fixtures/*/cassettes/\"]\n\
             [inputs]\nsetup = \"provider\"\n[defaults]\nsuite = \"all\"\n",
            None,
        )
        .unwrap();
        assert_eq!(c.upstream.as_deref(), Some("meta/llama"));
        assert_eq!(c.workflow, "rec.yml");
        assert_eq!(c.input_names[&InputOption::Setup], "provider");
        assert_eq!(c.defaults[&InputOption::Suite], "all");
        assert!(c.recordings.matches("fixtures/a/cassettes/x.json"));
    }

    #[test]
    fn recordings_override_replaces_globs() {
        let mut c = Config::default();
        c.override_recordings("  fixtures/cassettes/\n\n  other/*/tapes/ \n")
            .unwrap();
        assert!(c.recordings.matches("fixtures/cassettes/a.yaml"));
        assert!(c.recordings.matches("other/x/tapes/b"));
        assert!(!c.recordings.matches("tests/integration/recordings/x.json"));
        c.override_recordings("\n").unwrap();
        assert!(
            c.recordings.matches("other/x/tapes/b"),
            "an empty list keeps the globs"
        );
        assert!(c.override_recordings("../escape/").is_err());
    }

    #[test]
    fn root_file_wins_over_dot_github() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".github")).unwrap();
        std::fs::write(
            dir.path().join(".github/rerecord.toml"),
            "workflow = \"b.yml\"\n",
        )
        .unwrap();
        assert_eq!(Config::load(dir.path()).unwrap().workflow, "b.yml");
        std::fs::write(dir.path().join("rerecord.toml"), "workflow = \"a.yml\"\n").unwrap();
        assert_eq!(Config::load(dir.path()).unwrap().workflow, "a.yml");
    }
}
