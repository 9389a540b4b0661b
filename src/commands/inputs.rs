//! Which workflow input each rerecord option fills, and the inputs a dispatch sends.
//!
//! The options map to the inputs the workflow declares, by the names every llama-stack era
//! used ([`InputOption::known_names`]); `[inputs]` in rerecord.toml overrides a mapping. Only
//! what the user typed is sent, plus opt-in `[defaults]` and the PR number when the workflow
//! takes one: the workflow's own defaults apply to everything else, as with `gh workflow run`.
//! Takes explicit values, not the CLI struct, so other commands can dispatch the same way.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::InputOption;
use crate::error::usage;
use crate::workflow::DispatchTrigger;

/// Where a mapping came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MappedBy {
    /// `[inputs]` in rerecord.toml.
    Config,
    /// A known name the workflow declares.
    Name,
}

/// Each option's input in one workflow copy (`None`: the workflow has no input for it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping(BTreeMap<InputOption, Option<(String, MappedBy)>>);

/// Map every option to the input it fills in `trigger`'s workflow.
pub fn map(trigger: &DispatchTrigger, overrides: &BTreeMap<InputOption, String>) -> Mapping {
    let mut out = BTreeMap::new();
    for opt in InputOption::MAPPED {
        let mapped = match overrides.get(&opt) {
            Some(name) => Some((name.clone(), MappedBy::Config)),
            None => opt
                .known_names()
                .iter()
                .find(|n| trigger.inputs.contains_key(**n))
                .map(|n| ((*n).to_owned(), MappedBy::Name)),
        };
        out.insert(opt, mapped);
    }
    Mapping(out)
}

impl Mapping {
    /// The input `opt` fills, if any.
    pub fn input(&self, opt: InputOption) -> Option<&str> {
        self.0.get(&opt)?.as_ref().map(|(n, _)| n.as_str())
    }

    /// `option -> input` (null for none), for `--json`.
    pub fn to_json(&self) -> serde_json::Value {
        self.0
            .iter()
            .map(|(opt, m)| {
                let v = m
                    .as_ref()
                    .map_or(serde_json::Value::Null, |(n, _)| n.clone().into());
                (opt.key().to_owned(), v)
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    /// One line for people: `-s/--test-subdirs -> subdirs, -t/--test-suite -> (none), …`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(opt, m)| match m {
                Some((name, MappedBy::Config)) => format!("{} -> {name} ([inputs])", opt.flag()),
                Some((name, MappedBy::Name)) => format!("{} -> {name}", opt.flag()),
                None => format!("{} -> (no input)", opt.flag()),
            })
            .collect();
        parts.join(", ")
    }
}

/// What to send, as explicit values.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// Options the user typed.
    pub options: BTreeMap<InputOption, String>,
    /// `-f KEY=VALUE` pairs, sent verbatim.
    pub raw: Vec<(String, String)>,
    /// Values for options not typed (`[defaults]`, minus those switched off).
    pub defaults: BTreeMap<InputOption, String>,
    /// The PR number, sent when the workflow takes one.
    pub pr_number: Option<u64>,
    /// The exact head commit to record, sent when the workflow takes one (`head_sha`).
    pub head_sha: Option<String>,
}

impl Wanted {
    /// Typed options (empty values are usage errors), with comma lists tidied
    /// (`agents, inference` -> `agents,inference`), and `-f` pairs parsed.
    pub fn typed(given: &[(InputOption, Option<&str>)], pairs: &[String]) -> anyhow::Result<Self> {
        let mut wanted = Self::default();
        for (opt, value) in given {
            let Some(value) = value else { continue };
            if value.trim().is_empty() {
                return Err(usage(format!(
                    "{} needs a value (empty values are never sent)",
                    opt.flag()
                )));
            }
            let value = match opt {
                InputOption::Subdirs | InputOption::Setup => normalize_list(value),
                _ => (*value).to_owned(),
            };
            wanted.options.insert(*opt, value);
        }
        for pair in pairs {
            let Some((key, value)) = pair.split_once('=') else {
                return Err(usage(format!("-f/--input takes KEY=VALUE, got {pair:?}")));
            };
            if key.is_empty() || value.is_empty() {
                return Err(usage(format!(
                    "-f/--input {pair:?}: both KEY and VALUE must be non-empty"
                )));
            }
            wanted.raw.push((key.to_owned(), value.to_owned()));
        }
        Ok(wanted)
    }
}

fn normalize_list(list: &str) -> String {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

/// The PR and head sha `inputs` send (through the inputs `mapping` names), when they send both:
/// what the recording workflow's run-name titles the run with.
pub fn sent_pin(mapping: &Mapping, inputs: &BTreeMap<String, String>) -> Option<(u64, String)> {
    let pr = inputs
        .get(mapping.input(InputOption::Pr)?)?
        .trim()
        .parse()
        .ok()?;
    let sha = inputs.get(mapping.input(InputOption::HeadSha)?)?;
    Some((pr, sha.trim().to_owned()))
}

/// The inputs to send to `file` at `git_ref`, checked against what that copy declares. Errors
/// name every problem and what the workflow accepts; nothing is sent unless all is well.
pub fn resolve(
    trigger: &DispatchTrigger,
    mapping: &Mapping,
    wanted: &Wanted,
    file: &str,
    git_ref: &str,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut problems = Vec::new();
    let mut sent: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (opt, value) in &wanted.options {
        match mapping.input(*opt) {
            Some(name) => {
                sent.insert(name.to_owned(), (value.clone(), opt.flag().to_owned()));
            }
            None => problems.push(format!(
                "{} has no input to fill: {file} at {git_ref} declares none of {} ({}); drop the option, map it under [inputs] in rerecord.toml, or pass -f NAME=VALUE",
                opt.flag(),
                opt.known_names().join(", "),
                declared(trigger)
            )),
        }
    }
    for (key, value) in &wanted.raw {
        if let Some((previous, from)) = sent.get(key)
            && previous != value
        {
            problems.push(format!(
                "input {key:?} is given twice ({from} {previous:?} and -f {value:?})"
            ));
            continue;
        }
        sent.insert(key.clone(), (value.clone(), format!("-f {key}")));
    }
    let mut inputs: BTreeMap<String, String> = sent.into_iter().map(|(k, (v, _))| (k, v)).collect();
    let automatic = wanted
        .defaults
        .iter()
        .map(|(opt, v)| (*opt, v.clone()))
        .chain(wanted.pr_number.map(|n| (InputOption::Pr, n.to_string())))
        .chain(wanted.head_sha.clone().map(|s| (InputOption::HeadSha, s)));
    for (opt, value) in automatic {
        if let Some(name) = mapping.input(opt)
            && trigger.inputs.contains_key(name)
        {
            inputs.entry(name.to_owned()).or_insert(value);
        }
    }
    if let Err(more) = trigger.validate(file, git_ref, &inputs) {
        problems.extend(more);
    }
    if problems.is_empty() {
        Ok(inputs)
    } else {
        Err(InputProblems(problems).into())
    }
}

/// Why the inputs can't be sent: every problem, each naming the input and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblems(pub Vec<String>);

impl std::fmt::Display for InputProblems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "nothing was dispatched:\n  {}", self.0.join("\n  "))
    }
}

impl std::error::Error for InputProblems {}

fn declared(trigger: &DispatchTrigger) -> String {
    if trigger.inputs.is_empty() {
        "it declares no inputs".to_owned()
    } else {
        format!(
            "it accepts: {}",
            trigger
                .inputs
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::dispatch_trigger;

    fn trigger(inputs: &str) -> DispatchTrigger {
        dispatch_trigger(&format!(
            "on:\n  workflow_dispatch:\n    inputs:\n{inputs}jobs: {{}}\n"
        ))
        .unwrap()
        .unwrap()
    }

    #[test]
    fn known_names_and_overrides_map_options() {
        let t = trigger(
            "      test-subdirs: {}\n      test-provider: {}\n      pr_number: {type: number}\n      head-sha: {}\n",
        );
        let m = map(&t, &BTreeMap::new());
        assert_eq!(m.input(InputOption::HeadSha), Some("head-sha"));
        assert_eq!(m.input(InputOption::Subdirs), Some("test-subdirs"));
        assert_eq!(m.input(InputOption::Setup), Some("test-provider"));
        assert_eq!(m.input(InputOption::Pr), Some("pr_number"));
        assert_eq!(m.input(InputOption::Suite), None);
        let m = map(
            &t,
            &BTreeMap::from([(InputOption::Suite, "flavour".to_owned())]),
        );
        assert_eq!(m.input(InputOption::Suite), Some("flavour"));
    }

    #[test]
    fn only_what_is_wanted_is_sent_and_unmapped_options_are_named() {
        let t = trigger(
            "      subdirs: {}\n      pr_number: {type: number}\n      suite: {default: base}\n",
        );
        let m = map(&t, &BTreeMap::new());
        let mut w = Wanted::typed(&[(InputOption::Subdirs, Some("a, b"))], &[]).unwrap();
        w.pr_number = Some(7);
        let sent = resolve(&t, &m, &w, "r.yml", "main").unwrap();
        assert_eq!(sent.len(), 2, "{sent:?}");
        assert_eq!(sent["subdirs"], "a,b");
        assert_eq!(sent["pr_number"], "7");
        w.head_sha = Some("a".repeat(40));
        let sent = resolve(&t, &m, &w, "r.yml", "main").unwrap();
        assert_eq!(sent.len(), 2, "no head sha input, none sent: {sent:?}");
        w.options.insert(InputOption::Pattern, "x".into());
        let err = resolve(&t, &m, &w, "r.yml", "main")
            .unwrap_err()
            .to_string();
        assert!(err.contains("-k/--test-pattern has no input"), "{err}");
        assert!(
            err.contains("it accepts: pr_number, subdirs, suite"),
            "{err}"
        );
    }
}
