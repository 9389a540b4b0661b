//! What `rerecord init` finds in a checkout: the recordings and their format, the test command
//! with its record-mode switch, and the workflows already there. Reads files only; decides
//! nothing about what to write (`render` does).

use std::path::Path;

use regex::Regex;
use serde_yaml_ng::Value;

use crate::config::DEFAULT_WORKFLOW;
use crate::workflow;

/// Folders never walked: version control, dependencies, virtual environments, build output.
const SKIPPED: [&str; 9] = [
    ".git",
    "node_modules",
    ".venv",
    "venv",
    "target",
    "__pycache__",
    "dist",
    "build",
    ".tox",
];
/// How deep and how many entries the walk goes before it stops (a big monorepo still answers).
const MAX_DEPTH: usize = 10;
const MAX_ENTRIES: usize = 100_000;

/// The recording format of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// llama-stack's JSON recordings under `tests/integration/**/recordings/`.
    LlamaStack,
    /// vcrpy / pytest-recording YAML cassettes in `cassettes/` folders next to the tests.
    Cassettes,
    /// Polly.js HAR files under `recordings/`.
    PollyHar,
}

impl Format {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::LlamaStack => "llama-stack JSON recordings",
            Self::Cassettes => "vcrpy/pytest-recording cassettes",
            Self::PollyHar => "Polly.js HAR recordings",
        }
    }
}

/// The project's recordings and how its tests record them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    pub format: Format,
    /// The recording folders found, repo-relative, `/`-separated, sorted.
    pub folders: Vec<String>,
    /// The recording globs the project needs.
    pub globs: Vec<String>,
    /// The test command in record mode (bash lines), when one was found; `None` keeps the
    /// template's (llama-stack's `scripts/integration-tests.sh`).
    pub command: Option<String>,
    /// The record-mode switch found, for the summary (`None`: none found).
    pub switch: Option<String>,
}

/// A recording workflow already in `.github/workflows/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExistingWorkflow {
    pub file: String,
    pub name: Option<String>,
    pub inputs: Vec<String>,
    /// Whether it already uses the rerecord action.
    pub uses_rerecord: bool,
}

/// Everything `init` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Detected {
    pub layout: Option<Layout>,
    pub recording_workflow: Option<ExistingWorkflow>,
}

/// Look at the work tree rooted at `root`.
pub(crate) fn detect(root: &Path) -> Detected {
    let tree = walk(root);
    let layout = llama_stack(root, &tree)
        .or_else(|| cassettes(root, &tree))
        .or_else(|| polly(root, &tree));
    Detected {
        layout,
        recording_workflow: recording_workflow(root, &tree),
    }
}

/// The files and folders of the work tree: (repo-relative path, is a folder).
struct Tree {
    entries: Vec<(String, bool)>,
}

impl Tree {
    fn dirs(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|(_, d)| *d)
            .map(|(p, _)| p.as_str())
    }
    fn files(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|(_, d)| !*d)
            .map(|(p, _)| p.as_str())
    }
}

fn walk(root: &Path) -> Tree {
    let mut entries = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, rel, depth)) = stack.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in read.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if kind.is_dir() {
                let hidden = name.starts_with('.') && name != ".github";
                if SKIPPED.contains(&name.as_str()) || hidden {
                    continue;
                }
                if depth < MAX_DEPTH {
                    stack.push((entry.path(), path.clone(), depth + 1));
                }
                entries.push((path, true));
            } else if kind.is_file() {
                entries.push((path, false));
            }
            if entries.len() >= MAX_ENTRIES {
                return Tree { entries };
            }
        }
    }
    entries.sort();
    Tree { entries }
}

fn last_segment(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).unwrap_or_default()
}

fn llama_stack(root: &Path, tree: &Tree) -> Option<Layout> {
    let folders: Vec<String> = tree
        .dirs()
        .filter(|d| d.starts_with("tests/integration/") || *d == "tests/integration")
        .filter(|d| last_segment(d) == "recordings")
        .map(str::to_owned)
        .collect();
    let script = root.join("scripts/integration-tests.sh").is_file();
    if folders.is_empty() && !script {
        return None;
    }
    Some(Layout {
        format: Format::LlamaStack,
        folders,
        globs: crate::config::DEFAULT_RECORDINGS
            .iter()
            .map(|g| g.to_string())
            .collect(),
        command: None,
        switch: Some(if script {
            "scripts/integration-tests.sh --inference-mode record".to_owned()
        } else {
            "--inference-mode record".to_owned()
        }),
    })
}

fn cassettes(root: &Path, tree: &Tree) -> Option<Layout> {
    let folders: Vec<String> = tree
        .dirs()
        .filter(|d| last_segment(d) == "cassettes")
        .map(str::to_owned)
        .collect();
    if folders.is_empty() {
        return None;
    }
    let python: String = ["pyproject.toml", "setup.cfg", "setup.py", "tox.ini"]
        .into_iter()
        .map(str::to_owned)
        .chain(
            tree.files()
                .filter(|f| !f.contains('/') && last_segment(f).starts_with("requirements"))
                .map(str::to_owned),
        )
        .map(|f| read(root, &f))
        .collect::<Vec<_>>()
        .join("\n");
    let switch = if python.contains("pytest-recording") || python.contains("pytest_recording") {
        Some("--record-mode=rewrite")
    } else if python.contains("pytest-vcr") {
        Some("--vcr-record=all")
    } else {
        None
    };
    let mut command = String::from("set -euo pipefail\n");
    command.push_str(&format!(
        "args=({})\n",
        switch.unwrap_or("# ADAPT: no record-mode switch found; add yours")
    ));
    command.push_str("if [[ -n \"$TEST_PATTERN\" ]]; then args+=(-k \"$TEST_PATTERN\"); fi\n");
    command.push_str("python -m pytest \"${args[@]}\"\n");
    Some(Layout {
        format: Format::Cassettes,
        globs: generalise(&folders, "cassettes"),
        folders,
        command: Some(command),
        switch: switch.map(str::to_owned),
    })
}

fn polly(root: &Path, tree: &Tree) -> Option<Layout> {
    // The topmost `recordings` folder above each HAR file.
    let mut folders: Vec<String> = tree
        .files()
        .filter(|f| f.ends_with(".har"))
        .filter_map(|f| {
            let segments: Vec<&str> = f.split('/').collect();
            let at = segments.iter().position(|s| *s == "recordings")?;
            Some(segments[..=at].join("/"))
        })
        .collect();
    folders.sort();
    folders.dedup();
    if folders.is_empty() {
        return None;
    }
    let env_var = Regex::new(r"process\.env\.([A-Z][A-Z0-9_]*)").expect("a valid regex");
    let mut found: Option<String> = None;
    let sources = tree.files().filter(|f| {
        [".js", ".mjs", ".cjs", ".ts", ".json"]
            .iter()
            .any(|x| f.ends_with(x))
            && !f.ends_with(".har")
    });
    for file in sources.take(2_000) {
        let text = read(root, file);
        for cap in env_var.captures_iter(&text) {
            let name = &cap[1];
            if name == "POLLY_MODE" {
                found = Some("POLLY_MODE=record".into());
            } else if name.contains("RECORD") && found.is_none() {
                found = Some(format!("{name}=1"));
            }
        }
        if text.contains("POLLY_MODE=") && found.is_none() {
            found = Some("POLLY_MODE=record".into());
        }
    }
    let test = if read(root, "package.json").contains("\"test\"") {
        "npm test"
    } else {
        "npx jest # ADAPT: your test command"
    };
    let env = found
        .clone()
        .unwrap_or_else(|| "POLLY_MODE=record # ADAPT: no record switch found".to_owned());
    let command = format!("set -euo pipefail\nexport {env}\n{test}\n");
    Some(Layout {
        format: Format::PollyHar,
        globs: folders.iter().map(|f| format!("{f}/")).collect(),
        folders,
        command: Some(command),
        switch: found,
    })
}

/// Recording globs covering `folders` (each ending in `name`): one `TOP/**/NAME/` when they
/// share a first folder, else `**/NAME/`.
fn generalise(folders: &[String], name: &str) -> Vec<String> {
    if folders.len() == 1 {
        return vec![format!("{}/", folders[0])];
    }
    let first = |f: &String| f.split('/').next().unwrap_or_default().to_owned();
    let top = first(&folders[0]);
    if folders.iter().all(|f| first(f) == top && f != &top) {
        vec![format!("{top}/**/{name}/")]
    } else {
        vec![format!("**/{name}/")]
    }
}

/// The recording workflow already in `.github/workflows/`: the default file, else a dispatchable
/// workflow whose file or name says "record" (the companions `init` writes excepted).
fn recording_workflow(root: &Path, tree: &Tree) -> Option<ExistingWorkflow> {
    let mut candidates: Vec<ExistingWorkflow> = Vec::new();
    for file in tree.files() {
        let Some(name) = file.strip_prefix(".github/workflows/") else {
            continue;
        };
        if name.contains('/') || !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        if ["commit-recordings.yml", "rerecord-command.yml"].contains(&name) {
            continue;
        }
        let text = read(root, file);
        let Ok(Some(trigger)) = workflow::dispatch_trigger(&text) else {
            continue;
        };
        let title = serde_yaml_ng::from_str::<Value>(&text)
            .ok()
            .and_then(|d| d.get("name").and_then(Value::as_str).map(str::to_owned));
        let says_record = name.to_lowercase().contains("record")
            || title
                .as_deref()
                .is_some_and(|t| t.to_lowercase().contains("record"));
        if name == DEFAULT_WORKFLOW || says_record {
            candidates.push(ExistingWorkflow {
                file: name.to_owned(),
                name: title,
                inputs: trigger.inputs.keys().cloned().collect(),
                uses_rerecord: text.contains("rerecord/rerecord@"),
            });
        }
    }
    // The default file first, then in name order.
    candidates.sort_by_key(|w| (w.file != DEFAULT_WORKFLOW, w.file.clone()));
    candidates.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cassette_folders_generalise_under_a_shared_top() {
        let f = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            generalise(&f(&["tests/cassettes"]), "cassettes"),
            ["tests/cassettes/"]
        );
        assert_eq!(
            generalise(&f(&["tests/a/cassettes", "tests/cassettes"]), "cassettes"),
            ["tests/**/cassettes/"]
        );
        assert_eq!(
            generalise(&f(&["tests/cassettes", "pkg/cassettes"]), "cassettes"),
            ["**/cassettes/"]
        );
    }
}
