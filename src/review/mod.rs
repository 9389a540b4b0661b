//! Reviewable recordings: what a set of changes does, by test (`report`), without the noise
//! (`churn` via `[review] volatile`), never with a credential (`secrets`), and which recordings
//! no test uses any more (`orphans`).
//!
//! `hooks` is the one place `commit`, `land` and `fetch` call into; everything else here is
//! pure (bytes in, findings out) so it is tested without git or the network.

pub(crate) mod diff;
pub mod hooks;
pub(crate) mod orphans;
pub(crate) mod pointer;
pub mod report;
pub mod secrets;

use serde::Deserialize;

use pointer::Pattern;

pub const DEFAULT_TEST_ID: &str = "/test_id";

/// `[review]` in `rerecord.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReviewConfig {
    /// JSON pointer of the test id in each recording.
    #[serde(default = "default_test_id")]
    pub test_id: String,
    /// JSON pointers (with `*`) of fields whose changes alone are churn.
    #[serde(default)]
    pub volatile: Vec<String>,
    /// Environment variables whose values must never appear in a recording.
    #[serde(default)]
    pub secret_env: Vec<String>,
}

fn default_test_id() -> String {
    DEFAULT_TEST_ID.to_owned()
}

impl Default for ReviewConfig {
    fn default() -> Self {
        Self {
            test_id: default_test_id(),
            volatile: Vec::new(),
            secret_env: Vec::new(),
        }
    }
}

impl ReviewConfig {
    /// Check the pointers and names (called when the config is loaded).
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            pointer::parse_pointer(&self.test_id).is_some(),
            "[review] test-id {:?} is not a JSON pointer: it must start with `/`, e.g. \"/test_id\"",
            self.test_id
        );
        self.patterns()?;
        for name in &self.secret_env {
            anyhow::ensure!(
                is_env_name(name),
                "[review] secret-env: {name:?} is not an environment variable name"
            );
        }
        Ok(())
    }

    /// The compiled `volatile` patterns.
    pub fn patterns(&self) -> anyhow::Result<Vec<Pattern>> {
        self.volatile
            .iter()
            .map(|p| Pattern::parse(p).map_err(|e| anyhow::anyhow!("[review] volatile: {e}")))
            .collect()
    }
}

pub fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What the analysis needs, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub test_id: String,
    pub volatile: Vec<Pattern>,
}

impl Settings {
    pub fn new(config: &ReviewConfig) -> anyhow::Result<Self> {
        Ok(Self {
            test_id: config.test_id.clone(),
            volatile: config.patterns()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_validation() {
        let c = ReviewConfig::default();
        assert_eq!(c.test_id, "/test_id");
        assert!(c.volatile.is_empty() && c.secret_env.is_empty());
        c.validate().unwrap();
        let bad = |c: ReviewConfig| format!("{:#}", c.validate().unwrap_err());
        assert!(
            bad(ReviewConfig {
                test_id: "test_id".into(),
                ..c.clone()
            })
            .contains("test-id")
        );
        assert!(
            bad(ReviewConfig {
                volatile: vec!["id".into()],
                ..c.clone()
            })
            .contains("volatile")
        );
        assert!(
            bad(ReviewConfig {
                secret_env: vec!["OPENAI API KEY".into()],
                ..c
            })
            .contains("secret-env")
        );
    }
}
