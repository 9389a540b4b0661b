//! The files `rerecord init` writes: the workflow templates of `workflows/` (embedded at build
//! time) with the actions pinned and the test step fitted to the project, and a `rerecord.toml`
//! holding only what differs from the defaults.

use regex::Regex;

use super::detect::{Detected, Format, Layout};
use crate::config::{DEFAULT_RECORDINGS, DEFAULT_WORKFLOW};

pub(crate) const RECORD_TEMPLATE: &str =
    include_str!("../../../workflows/record-integration-tests.yml");
pub(crate) const COMPANION_TEMPLATE: &str =
    include_str!("../../../workflows/commit-recordings.yml");
pub(crate) const COMMAND_TEMPLATE: &str = include_str!("../../../workflows/rerecord-command.yml");

/// The step of the recording template whose script runs the project's tests.
const TEST_STEP: &str = "- name: Run the integration tests in record mode";

/// One file `init` wants to exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Planned {
    /// Repo-relative path.
    pub path: String,
    pub content: String,
}

/// Check an `--action-sha`: 40 lowercase hex digits, not the templates' all-zero placeholder.
pub(crate) fn check_sha(sha: &str) -> Result<(), String> {
    if sha.len() != 40
        || !sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!(
            "{sha:?} is not a full commit SHA (40 lowercase hex digits); pin the commit of a \
             rerecord release: git ls-remote https://github.com/rerecord/rerecord refs/tags/vX.Y.Z"
        ));
    }
    if sha.bytes().all(|b| b == b'0') {
        return Err("the all-zero SHA is the templates' placeholder and never resolves".into());
    }
    Ok(())
}

/// Pin every `rerecord/rerecord[/sub]@<zeros>` of a template to `sha`, with the version as the
/// comment, and turn the "ADAPT: pin ..." comment above each into a note of the pin. Errors when
/// the template has no placeholder pin (it changed shape).
pub(crate) fn pin(template: &str, sha: &str, version: &str) -> anyhow::Result<String> {
    let placeholder =
        Regex::new(r"(rerecord/rerecord(?:/[a-z]+)?)@0{40}(?: # [^\n]*)?").expect("a valid regex");
    anyhow::ensure!(
        placeholder.is_match(template),
        "a built-in workflow template has no placeholder pin of the rerecord action; this rerecord \
         build is broken: report it"
    );
    let mut lines: Vec<String> = Vec::new();
    for line in template.lines() {
        if placeholder.is_match(line) {
            drop_pin_advice(&mut lines, indent(line));
            lines.push(format!(
                "{}# Pinned by `rerecord init` to the commit of rerecord v{version}.",
                " ".repeat(indent(line))
            ));
        }
        lines.push(
            placeholder
                .replace(line, |c: &regex::Captures| {
                    format!("{}@{sha} # v{version}", &c[1])
                })
                .into_owned(),
        );
    }
    let mut out = lines.join("\n");
    out.push('\n');
    Ok(out)
}

/// Remove the comment block ending `lines` when it starts with "# ADAPT: pin" at `at` spaces.
fn drop_pin_advice(lines: &mut Vec<String>, at: usize) {
    let comment = |l: &String| indent(l) == at && l.trim_start().starts_with('#');
    let mut start = lines.len();
    while start > 0 && comment(&lines[start - 1]) {
        start -= 1;
        if lines[start].trim_start().starts_with("# ADAPT: pin") {
            lines.truncate(start);
            return;
        }
    }
}

/// The recording workflow for `layout`: the template as is for llama-stack's script, else with
/// one setup and suite and the project's own test command.
pub(crate) fn record_workflow(template: &str, layout: Option<&Layout>) -> String {
    let Some(layout) = layout else {
        return template.to_owned();
    };
    let Some(command) = &layout.command else {
        return template.to_owned();
    };
    let setups = Regex::new(r#"setups='[^'\n]*'"#).expect("a valid regex");
    let suites = Regex::new(r#"suites='[^'\n]*'"#).expect("a valid regex");
    let text = setups.replace(template, r#"setups='["default"]'"#);
    let text = suites.replace(&text, r#"suites='["default"]'"#);
    let note = format!(
        "Written by `rerecord init` for {}; ADAPT if your tests record differently.",
        layout.format.describe()
    );
    replace_run_script(&text, TEST_STEP, &note, command)
}

/// Replace the `run: |` script of the step starting with `step` (and the comments right above
/// its `run:`) with `note` as a comment and `script`. Unchanged when the step is not found.
fn replace_run_script(text: &str, step: &str, note: &str, script: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().position(|l| l.trim_start() == step) else {
        return text.to_owned();
    };
    let step_indent = indent(lines[start]);
    let Some(run) = (start + 1..lines.len())
        .take_while(|&i| lines[i].trim().is_empty() || indent(lines[i]) > step_indent)
        .find(|&i| lines[i].trim_start() == "run: |")
    else {
        return text.to_owned();
    };
    let run_indent = indent(lines[run]);
    let mut first_comment = run;
    while first_comment > start + 1
        && indent(lines[first_comment - 1]) == run_indent
        && lines[first_comment - 1].trim_start().starts_with('#')
    {
        first_comment -= 1;
    }
    let end = (run + 1..lines.len())
        .find(|&i| !lines[i].trim().is_empty() && indent(lines[i]) <= run_indent)
        .unwrap_or(lines.len());
    let pad = " ".repeat(run_indent);
    let mut out: Vec<String> = lines[..first_comment]
        .iter()
        .map(|l| l.to_string())
        .collect();
    out.push(format!("{pad}# {note}"));
    out.push(format!("{pad}run: |"));
    out.extend(script.lines().map(|l| format!("{pad}  {l}")));
    if end < lines.len() {
        out.push(String::new());
    }
    out.extend(lines[end..].iter().map(|l| l.to_string()));
    let mut joined = out.join("\n");
    joined.push('\n');
    joined
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The companion's `workflow_run` trigger names the recording workflow by its `name:`.
pub(crate) fn companion(template: &str, recording_workflow_name: Option<&str>) -> String {
    let Some(name) = recording_workflow_name else {
        return template.to_owned();
    };
    let list = Regex::new(r"workflows: \[[^\]\n]*\]").expect("a valid regex");
    // A YAML flow sequence of one double-quoted string (JSON quoting is valid YAML).
    let quoted = serde_json::to_string(name).expect("a string serialises");
    list.replace(template, format!("workflows: [{quoted}]").as_str())
        .into_owned()
}

/// `rerecord.toml` with only what differs from the defaults, or `None` when they all fit.
pub(crate) fn config(detected: &Detected) -> Option<String> {
    let mut lines = Vec::new();
    if let Some(existing) = &detected.recording_workflow
        && existing.file != DEFAULT_WORKFLOW
    {
        lines.push(format!("workflow = {}", toml_string(&existing.file)));
    }
    if let Some(layout) = &detected.layout
        && layout.format != Format::LlamaStack
        && layout.globs != DEFAULT_RECORDINGS
    {
        let globs: Vec<String> = layout.globs.iter().map(|g| toml_string(g)).collect();
        lines.push(format!("recordings = [{}]", globs.join(", ")));
    }
    if lines.is_empty() {
        return None;
    }
    Some(format!(
        "# Written by `rerecord init`: only what differs from rerecord's defaults.\n{}\n",
        lines.join("\n")
    ))
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn every_template_is_pinned_and_no_placeholder_is_left() {
        for t in [RECORD_TEMPLATE, COMPANION_TEMPLATE, COMMAND_TEMPLATE] {
            let out = pin(t, SHA, "1.2.3").unwrap();
            assert!(!out.contains(&"0".repeat(40)), "{out}");
            assert!(out.contains(&format!("@{SHA} # v1.2.3")), "{out}");
            assert!(!out.contains("ADAPT: pin"), "{out}");
            assert!(out.contains("# Pinned by `rerecord init`"), "{out}");
        }
        assert!(pin("name: x\n", SHA, "1").is_err());
    }

    #[test]
    fn shas_are_checked() {
        assert!(check_sha(SHA).is_ok());
        assert!(check_sha(&"0".repeat(40)).is_err());
        assert!(check_sha("0123456789ab").is_err());
        assert!(check_sha(&SHA.to_uppercase()).is_err());
    }

    #[test]
    fn the_test_script_is_replaced_and_the_rest_kept() {
        let layout = Layout {
            format: Format::Cassettes,
            folders: vec![],
            globs: vec![],
            command: Some("set -euo pipefail\npython -m pytest --record-mode=rewrite\n".into()),
            switch: None,
        };
        let out = record_workflow(RECORD_TEMPLATE, Some(&layout));
        assert!(
            out.contains("          python -m pytest --record-mode=rewrite\n"),
            "{out}"
        );
        assert!(!out.contains("integration-tests.sh"), "{out}");
        assert!(out.contains(r#"setups='["default"]'"#), "{out}");
        assert!(
            out.contains("- name: Stage and upload the recordings"),
            "{out}"
        );
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&out).unwrap();
        let steps = doc["jobs"]["record"]["steps"].as_sequence().unwrap();
        let test = steps
            .iter()
            .find(|s| s["name"] == "Run the integration tests in record mode")
            .unwrap();
        assert_eq!(
            test["run"].as_str().unwrap(),
            "set -euo pipefail\npython -m pytest --record-mode=rewrite\n"
        );
        assert!(test["env"]["TEST_PATTERN"].is_string());
    }

    #[test]
    fn the_companion_names_the_existing_workflow() {
        let out = companion(COMPANION_TEMPLATE, Some("Integration Tests (Record)"));
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&out).unwrap();
        assert_eq!(
            doc["on"]["workflow_run"]["workflows"][0],
            "Integration Tests (Record)"
        );
    }
}
