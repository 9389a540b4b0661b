//! Reads a workflow file the way GitHub does for a dispatch: its `name`, whether `on` has
//! `workflow_dispatch`, and which inputs that trigger declares (and which are required).

use serde_yaml_ng::Value as Yaml;

pub(crate) struct WorkflowFile {
    pub name: Option<String>,
    /// The top-level `run-name` (GitHub's run `display_title`), expressions unevaluated.
    pub run_name: Option<String>,
    /// `None` when the file has no `workflow_dispatch` trigger.
    pub dispatch_inputs: Option<Vec<Input>>,
}

pub(crate) struct Input {
    pub name: String,
    pub required_without_default: bool,
}

pub(crate) fn parse(text: &str) -> Option<WorkflowFile> {
    let doc: Yaml = serde_yaml_ng::from_str(text).ok()?;
    let name = doc.get("name").and_then(Yaml::as_str).map(str::to_string);
    // YAML 1.1 readers turn a bare `on` key into `true`; accept both spellings.
    let on = doc.get("on").or_else(|| doc.get(Yaml::Bool(true)));
    let dispatch = match on {
        Some(Yaml::String(s)) if s == "workflow_dispatch" => Some(Yaml::Null),
        Some(Yaml::Sequence(events)) => events
            .iter()
            .any(|e| e.as_str() == Some("workflow_dispatch"))
            .then_some(Yaml::Null),
        Some(Yaml::Mapping(m)) => m.get("workflow_dispatch").cloned(),
        _ => None,
    };
    let dispatch_inputs = dispatch.map(|d| {
        d.get("inputs")
            .and_then(Yaml::as_mapping)
            .map(|inputs| {
                inputs
                    .iter()
                    .filter_map(|(k, v)| {
                        let required = v.get("required").and_then(Yaml::as_bool) == Some(true);
                        let default = v.get("default").is_some_and(|d| !d.is_null());
                        Some(Input {
                            name: k.as_str()?.to_string(),
                            required_without_default: required && !default,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    });
    let run_name = doc
        .get("run-name")
        .and_then(Yaml::as_str)
        .map(str::to_string);
    Some(WorkflowFile {
        name,
        run_name,
        dispatch_inputs,
    })
}

/// A dispatched run's title as GitHub computes it from `run-name`: each `${{ inputs.X }}` (or
/// `github.event.inputs.X`) becomes the input's value (empty when not given); other expressions
/// are beyond the fake and come out empty.
pub(crate) fn title_from(run_name: &str, inputs: &serde_json::Value) -> String {
    let expr = regex::Regex::new(r"\$\{\{\s*([^}]*?)\s*\}\}").expect("valid pattern");
    expr.replace_all(run_name, |caps: &regex::Captures<'_>| {
        let inner = &caps[1];
        let name = inner
            .strip_prefix("github.event.inputs.")
            .or_else(|| inner.strip_prefix("inputs."));
        match name.and_then(|n| inputs.get(n)) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) if !v.is_null() => v.to_string(),
            _ => String::new(),
        }
    })
    .into_owned()
}
