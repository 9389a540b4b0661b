//! Reads a workflow file the way GitHub does for a dispatch: its `name`, whether `on` has
//! `workflow_dispatch`, and which inputs that trigger declares (and which are required).

use serde_yaml_ng::Value as Yaml;

pub(crate) struct WorkflowFile {
    pub name: Option<String>,
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
    Some(WorkflowFile {
        name,
        dispatch_inputs,
    })
}
