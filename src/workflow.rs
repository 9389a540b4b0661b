//! A workflow file's `on.workflow_dispatch` trigger and its declared inputs, and the check of
//! the inputs `schedule` will send against them (GitHub rejects undeclared inputs with 422).

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

/// One declared `workflow_dispatch` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredInput {
    pub name: String,
    pub kind: InputKind,
    pub required: bool,
    pub has_default: bool,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    String,
    Boolean,
    Number,
    Environment,
    Choice(Vec<String>),
}

/// The dispatch trigger of a workflow: `None` when the file has no `workflow_dispatch`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DispatchTrigger {
    pub inputs: BTreeMap<String, DeclaredInput>,
}

/// Parse a workflow file; `Ok(None)` when it does not declare `on.workflow_dispatch`.
pub fn dispatch_trigger(yaml: &str) -> anyhow::Result<Option<DispatchTrigger>> {
    let doc: Value = serde_yaml_ng::from_str(yaml)
        .map_err(|e| anyhow::anyhow!("the workflow file is not valid YAML: {e}"))?;
    // `on` is a string in YAML 1.2; a YAML 1.1 reader would make it `true`.
    let on = doc
        .get("on")
        .or_else(|| doc.as_mapping().and_then(|m| m.get(Value::Bool(true))));
    let Some(on) = on else { return Ok(None) };
    let trigger = match on {
        Value::String(s) => return Ok((s == "workflow_dispatch").then(DispatchTrigger::default)),
        Value::Sequence(seq) => {
            return Ok(seq
                .iter()
                .any(|v| v.as_str() == Some("workflow_dispatch"))
                .then(DispatchTrigger::default));
        }
        Value::Mapping(map) => match map.get("workflow_dispatch") {
            None => return Ok(None),
            Some(t) => t,
        },
        _ => return Ok(None),
    };
    let mut inputs = BTreeMap::new();
    if let Some(Value::Mapping(declared)) = trigger.get("inputs") {
        for (name, spec) in declared {
            let Some(name) = name.as_str() else { continue };
            inputs.insert(name.to_owned(), parse_input(name, spec));
        }
    }
    Ok(Some(DispatchTrigger { inputs }))
}

fn parse_input(name: &str, spec: &Value) -> DeclaredInput {
    let kind = match spec.get("type").and_then(Value::as_str).unwrap_or("string") {
        "boolean" => InputKind::Boolean,
        "number" => InputKind::Number,
        "environment" => InputKind::Environment,
        "choice" => InputKind::Choice(
            spec.get("options")
                .and_then(Value::as_sequence)
                .map(|opts| opts.iter().filter_map(scalar_text).collect())
                .unwrap_or_default(),
        ),
        _ => InputKind::String,
    };
    let required = spec
        .get("required")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let has_default = spec
        .get("default")
        .is_some_and(|d| !d.is_null() && scalar_text(d).is_none_or(|t| !t.is_empty()));
    DeclaredInput {
        name: name.to_owned(),
        kind,
        required,
        has_default,
        description: spec
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl DispatchTrigger {
    /// Check the inputs to send. Errors name the input and list what is allowed.
    pub fn validate(
        &self,
        file: &str,
        git_ref: &str,
        inputs: &BTreeMap<String, String>,
    ) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let declared = || {
            if self.inputs.is_empty() {
                "it declares no inputs".to_owned()
            } else {
                format!(
                    "it declares: {}",
                    self.inputs.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            }
        };
        for (name, value) in inputs {
            let Some(input) = self.inputs.get(name) else {
                problems.push(format!(
                    "{file} at {git_ref} does not declare input \"{name}\" ({})",
                    declared()
                ));
                continue;
            };
            match &input.kind {
                InputKind::Choice(options) if !options.contains(value) => problems.push(format!(
                    "input \"{name}\" is a choice; {value:?} is not one of: {}",
                    options.join(", ")
                )),
                InputKind::Boolean if value != "true" && value != "false" => problems.push(
                    format!("input \"{name}\" is a boolean; use true or false, not {value:?}"),
                ),
                InputKind::Number if value.parse::<f64>().is_err() => {
                    problems.push(format!("input \"{name}\" is a number; {value:?} is not"))
                }
                _ => {}
            }
        }
        for input in self.inputs.values() {
            if input.required && !input.has_default && !inputs.contains_key(&input.name) {
                problems.push(format!(
                    "{file} requires input \"{}\" and gives it no default; pass it with -f {}=VALUE",
                    input.name, input.name
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKFLOW: &str = r#"
name: Record
on:
  pull_request:
  workflow_dispatch:
    inputs:
      subdirs: {description: "dirs", type: string}
      test-setup:
        type: choice
        options: [ollama, vllm, gpt]
        default: ollama
      rerun: {type: boolean}
      token-budget: {type: number}
      must: {required: true}
      has-default: {required: true, default: "x"}
jobs: {}
"#;

    fn sent(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_declared_inputs() {
        let t = dispatch_trigger(WORKFLOW).unwrap().unwrap();
        assert_eq!(t.inputs.len(), 6);
        assert_eq!(
            t.inputs["test-setup"].kind,
            InputKind::Choice(vec!["ollama".into(), "vllm".into(), "gpt".into()])
        );
        assert!(t.inputs["has-default"].has_default);
        assert!(!t.inputs["must"].has_default);
    }

    #[test]
    fn trigger_forms() {
        assert!(
            dispatch_trigger("on: workflow_dispatch\n")
                .unwrap()
                .is_some()
        );
        assert!(
            dispatch_trigger("on: [push, workflow_dispatch]\n")
                .unwrap()
                .is_some()
        );
        assert!(
            dispatch_trigger("on:\n  workflow_dispatch:\n")
                .unwrap()
                .is_some()
        );
        assert!(dispatch_trigger("on: [push]\n").unwrap().is_none());
        assert!(
            dispatch_trigger("on:\n  pull_request:\n")
                .unwrap()
                .is_none()
        );
        assert!(dispatch_trigger(": : :\n  - [").is_err());
    }

    #[test]
    fn validation_names_every_problem() {
        let t = dispatch_trigger(WORKFLOW).unwrap().unwrap();
        assert!(
            t.validate(
                "r.yml",
                "b",
                &sent(&[("must", "1"), ("test-setup", "vllm")])
            )
            .is_ok()
        );
        let errs = t
            .validate(
                "r.yml",
                "b",
                &sent(&[
                    ("suite", "x"),
                    ("test-setup", "nope"),
                    ("rerun", "yes"),
                    ("token-budget", "many"),
                ]),
            )
            .unwrap_err();
        let all = errs.join("\n");
        assert!(all.contains("does not declare input \"suite\""), "{all}");
        assert!(all.contains("has-default, must, rerun"), "{all}");
        assert!(all.contains("not one of: ollama, vllm, gpt"), "{all}");
        assert!(all.contains("boolean"), "{all}");
        assert!(all.contains("number"), "{all}");
        assert!(all.contains("requires input \"must\""), "{all}");
        assert!(!all.contains("\"has-default\" and gives"), "{all}");
    }
}
