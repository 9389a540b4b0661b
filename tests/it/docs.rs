//! The docs and the actions agree: each action's input table in the book
//! (`docs/src/action.md`, after `<!-- inputs: FILE -->`) lists exactly the inputs the action
//! declares, and every `with:` key of a rerecord step in a YAML example of the README or the
//! book is an input of that action. (The quoted `--help` texts are checked in `cli.rs`.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;

const ACTIONS: [&str; 3] = ["action.yml", "land/action.yml", "command/action.yml"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn declared_inputs(action: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join(action)).unwrap();
    let doc: Value = serde_yaml_ng::from_str(&text).unwrap();
    doc["inputs"]
        .as_mapping()
        .unwrap_or_else(|| panic!("{action} declares no inputs"))
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect()
}

/// The first-column names of the table right after `<!-- inputs: ACTION -->`.
fn documented_inputs(page: &str, action: &str) -> BTreeSet<String> {
    let marker = format!("<!-- inputs: {action} -->");
    let (_, after) = page
        .split_once(&marker)
        .unwrap_or_else(|| panic!("docs/src/action.md has no {marker}"));
    after
        .trim_start()
        .lines()
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .flat_map(|row| {
            let first = row.split('|').nth(1).unwrap_or("");
            first
                .split(',')
                .map(|name| name.trim().trim_matches('`').to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn each_actions_input_table_lists_exactly_its_inputs() {
    let page = std::fs::read_to_string(root().join("docs/src/action.md")).unwrap();
    for action in ACTIONS {
        let declared = declared_inputs(action);
        let documented = documented_inputs(&page, action);
        let undocumented: Vec<_> = declared.difference(&documented).collect();
        let unknown: Vec<_> = documented.difference(&declared).collect();
        assert!(
            undocumented.is_empty() && unknown.is_empty(),
            "{action}: declared but not in docs/src/action.md: {undocumented:?}; \
             documented but not declared: {unknown:?}"
        );
    }
}

/// README.md, workflows/README.md and every page of the book, in that order.
pub(crate) fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md"), root().join("workflows/README.md")];
    let mut pages: Vec<PathBuf> = std::fs::read_dir(root().join("docs/src"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    files.extend(pages);
    files
}

/// The ```yaml blocks of a Markdown text.
fn yaml_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match &mut current {
            None if line.trim_start().starts_with("```yaml")
                || line.trim_start().starts_with("```yml") =>
            {
                current = Some(String::new());
            }
            Some(block) if line.trim_start().starts_with("```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// Which of our actions `uses:` names, if any.
fn our_action(uses: &str) -> Option<&'static str> {
    let (path, _) = uses.split_once('@')?;
    match path {
        "rerecord/rerecord" | "./" | "." => Some("action.yml"),
        "rerecord/rerecord/land" | "./land" => Some("land/action.yml"),
        "rerecord/rerecord/command" | "./command" => Some("command/action.yml"),
        _ => None,
    }
}

/// Every (action, with-key) of the steps using our actions in `value`.
fn uses_of_ours(value: &Value, found: &mut Vec<(&'static str, String)>) {
    match value {
        Value::Mapping(map) => {
            if let Some(action) = map.get("uses").and_then(Value::as_str).and_then(our_action)
                && let Some(with) = map.get("with").and_then(Value::as_mapping)
            {
                for key in with.keys() {
                    found.push((action, key.as_str().unwrap_or("?").to_owned()));
                }
            }
            for v in map.values() {
                uses_of_ours(v, found);
            }
        }
        Value::Sequence(list) => list.iter().for_each(|v| uses_of_ours(v, found)),
        _ => {}
    }
}

#[test]
fn every_input_the_docs_pass_to_an_action_exists() {
    let inputs: Vec<(&str, BTreeSet<String>)> =
        ACTIONS.iter().map(|a| (*a, declared_inputs(a))).collect();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for file in markdown_files() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for block in yaml_blocks(&text) {
            // Examples with placeholders (`<full commit sha>`) still parse as YAML.
            let Ok(doc) = serde_yaml_ng::from_str::<Value>(&block) else {
                continue;
            };
            let mut found = Vec::new();
            uses_of_ours(&doc, &mut found);
            for (action, key) in found {
                checked += 1;
                let declared = &inputs.iter().find(|(a, _)| *a == action).unwrap().1;
                if !declared.contains(&key) {
                    wrong.push(format!("{}: {action} has no input `{key}`", rel(&file)));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(
        checked >= 5,
        "only {checked} inputs found in the docs' examples"
    );
}

fn rel(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn the_input_table_reader_sees_a_missing_row() {
    let page = "<!-- inputs: x.yml -->\n| input | default | meaning |\n| --- | --- | --- |\n| `a` | | |\n| `b`, `c` | | |\n\nafter\n";
    let names = documented_inputs(page, "x.yml");
    assert_eq!(names.into_iter().collect::<Vec<_>>(), ["a", "b", "c"]);
}
