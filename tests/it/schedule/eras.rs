//! Every llama-stack era's recording workflow, with no configuration: which inputs the options
//! fill, where the run is dispatched, and that nothing the user did not type is sent.

use serde_json::json;

use super::*;

const AUG_2025: &str = include_str!("../../fixtures/workflows/llama-stack-2025-08.yml");
const SEP_2025: &str = include_str!("../../fixtures/workflows/llama-stack-2025-09a.yml");
const SEP_2025_MAR_2026: &str = include_str!("../../fixtures/workflows/llama-stack-2025-09b.yml");
const NEWEST: &str = include_str!("../../fixtures/workflows/llama-stack-2026.yml");

fn world(workflow: &str) -> (World, u64) {
    let w = World::new();
    w.use_workflow(workflow);
    let number = w.fork_pr();
    (w, number)
}

#[test]
fn each_era_is_dispatched_by_default_with_only_what_it_needs() {
    for (era, workflow, mode) in [
        ("Aug 2025", AUG_2025, "head"),
        ("Sep 2025", SEP_2025, "head"),
        ("Sep 2025-Mar 2026", SEP_2025_MAR_2026, "head"),
        ("2026", NEWEST, "upstream"),
    ] {
        let (w, number) = world(workflow);
        let expected = if mode == "upstream" {
            json!({"pr_number": number.to_string()})
        } else {
            json!({})
        };
        let out = w.schedule(&["--json"]).success().json();
        assert_eq!(out["dispatch"]["mode"], mode, "{era}: {out}");
        assert_eq!(
            out["inputs"], expected,
            "{era}: the workflow's defaults apply"
        );
        assert_eq!(w.posted_inputs(), expected, "{era}");
        let (repo, git_ref) = if mode == "upstream" {
            (UPSTREAM, "main")
        } else {
            (FORK, BRANCH)
        };
        assert_eq!(out["dispatch"]["repo"], repo, "{era}");
        assert_eq!(out["dispatch"]["ref"], git_ref, "{era}");
        assert_eq!(w.fake.runs(repo).len(), 1, "{era}: the run is in {repo}");

        // doctor runs the same preflight and comes to the same plan.
        let doctor = w.doctor(&["--json"]).success().json();
        assert_eq!(doctor["dispatch"]["mode"], mode, "{era}: {doctor}");
        assert_eq!(doctor["dispatch"]["repo"], repo, "{era}");
        assert_eq!(doctor["dispatch"]["ref"], git_ref, "{era}");
        assert_eq!(doctor["inputs"], expected, "{era}: {doctor}");
    }
}

#[test]
fn short_options_fill_each_era_s_inputs_without_configuration() {
    let typed = ["-s", "agents, inference", "-p", "gpt", "-k", "test_chat"];
    for (era, workflow, names, suite) in [
        (
            "Aug 2025",
            AUG_2025,
            ["test-subdirs", "test-provider", "test-pattern"],
            None,
        ),
        (
            "Sep 2025",
            SEP_2025,
            ["test-subdirs", "test-provider", "test-pattern"],
            Some("test-suite"),
        ),
        (
            "Sep 2025-Mar 2026",
            SEP_2025_MAR_2026,
            ["subdirs", "test-setup", "pattern"],
            Some("suite"),
        ),
        (
            "2026",
            NEWEST,
            ["subdirs", "providers", "pattern"],
            Some("suite"),
        ),
    ] {
        let (w, number) = world(workflow);
        let mut args = typed.to_vec();
        if suite.is_some() {
            args.extend(["-t", "vision"]);
        }
        args.push("--json");
        let out = w.schedule(&args).success().json();
        let mut expected = json!({
            names[0]: "agents,inference",
            names[1]: "gpt",
            names[2]: "test_chat",
        });
        if let Some(suite) = suite {
            expected[suite] = json!("vision");
        }
        if workflow == NEWEST {
            expected["pr_number"] = json!(number.to_string());
        }
        assert_eq!(out["inputs"], expected, "{era}");
        assert_eq!(w.posted_inputs(), expected, "{era}");

        let doctor = w.doctor(&["--json"]).success().json();
        assert_eq!(doctor["mapping"]["subdirs"], names[0], "{era}: {doctor}");
        assert_eq!(doctor["mapping"]["setup"], names[1], "{era}");
        assert_eq!(doctor["mapping"]["pattern"], names[2], "{era}");
        assert_eq!(
            doctor["mapping"]["suite"],
            suite.map_or(serde_json::Value::Null, |s| json!(s)),
            "{era}"
        );
    }
}

#[test]
fn an_option_the_workflow_lacks_is_refused_with_what_it_accepts() {
    let (w, _) = world(AUG_2025);
    w.refused(&["-t", "vision"], &["-t/--test-suite has no input to fill: record-integration-tests.yml at feature-x declares none of suite, test-suite (it accepts: run-vision-tests, test-pattern, test-provider, test-subdirs)"]);
    let doctor = w.doctor(&[]).success();
    doctor.assert_stdout_has("-t/--test-suite -> (no input)");
}

#[test]
fn the_newest_era_records_a_fork_pr_in_the_upstream_with_its_number() {
    let (w, number) = world(NEWEST);
    let run = w
        .schedule(&["--providers", "gpt,azure", "--json"])
        .success();
    let out = run.json();
    assert_eq!(out["dispatch"]["mode"], "upstream");
    assert_eq!(out["target_repo"], UPSTREAM);
    assert_eq!(out["fork"], true, "the PR comes from a fork");
    assert!(
        out["dispatch"]["why"]
            .as_str()
            .unwrap()
            .contains("takes the PR number (pr_number)"),
        "{out}"
    );
    assert_eq!(
        out["inputs"],
        json!({"pr_number": number.to_string(), "providers": "gpt,azure"})
    );
    let runs = w.fake.runs(UPSTREAM);
    assert_eq!(runs.len(), 1);
    assert_eq!(
        runs[0].spec.head_branch, "main",
        "the upstream's default branch"
    );
    assert!(w.fake.runs(FORK).is_empty(), "the fork has no secrets");
    let next = out["dispatch"]["next"].as_str().unwrap();
    assert!(
        next.contains("landing workflow") && next.contains("me/llama-stack:feature-x"),
        "{next}"
    );
    assert!(
        next.contains(&format!(
            "rerecord fetch --run {} --run-repo {UPSTREAM}",
            runs[0].id
        )),
        "{next}"
    );
}

#[test]
fn the_newest_era_records_a_same_repo_pr_on_the_default_branch_too() {
    let w = World::new();
    w.use_workflow(NEWEST);
    let number = w.same_repo_pr();
    let out = w.schedule(&["--json", "-s", "agents"]).success().json();
    assert_eq!(out["dispatch"]["mode"], "upstream");
    assert_eq!(out["dispatch"]["ref"], "main");
    assert_eq!(out["fork"], false);
    assert_eq!(
        w.posted_inputs(),
        json!({"pr_number": number.to_string(), "subdirs": "agents"})
    );
    assert_eq!(w.fake.runs(UPSTREAM)[0].spec.head_branch, "main");
}

#[test]
fn dispatch_in_head_overrides_the_upstream_mode() {
    let (w, number) = world(NEWEST);
    let out = w
        .schedule(&["--json", "--dispatch-in", "head"])
        .success()
        .json();
    assert_eq!(out["dispatch"]["mode"], "head");
    assert_eq!(out["dispatch"]["repo"], FORK);
    assert_eq!(out["dispatch"]["ref"], BRANCH);
    assert_eq!(out["dispatch"]["why"], "--dispatch-in head");
    // The branch's copy takes the PR number too, so it is still sent.
    assert_eq!(out["inputs"], json!({"pr_number": number.to_string()}));
    assert_eq!(w.fake.runs(FORK).len(), 1);
    assert!(w.fake.runs(UPSTREAM).is_empty());
    assert!(
        out["dispatch"]["next"]
            .as_str()
            .unwrap()
            .contains("pushes the recordings to me/llama-stack:feature-x itself")
    );
    let doctor = w
        .doctor(&["--json", "--dispatch-in", "head"])
        .success()
        .json();
    assert_eq!(doctor["dispatch"]["mode"], "head");

    // The upstream mode is refused where a run there could not record the fork's branch.
    let (w, _) = world(SEP_2025_MAR_2026);
    w.refused(
        &["--dispatch-in", "upstream"],
        &["takes no PR number", "--dispatch-in head"],
    );
}

#[test]
fn no_suite_is_sent_unless_typed_or_opted_into() {
    let (w, _) = world(SEP_2025_MAR_2026);
    w.schedule(&[]).success();
    assert_eq!(
        w.posted_inputs(),
        json!({}),
        "the workflow's empty suite applies"
    );

    // The old script's suite=base, restored with one line of config...
    let (w, _) = world(SEP_2025_MAR_2026);
    std::fs::write(
        w.path().join("rerecord.toml"),
        "[defaults]\nsuite = \"base\"\n",
    )
    .unwrap();
    let out = w.schedule(&["--json", "--dry-run"]).success().json();
    assert_eq!(out["inputs"], json!({"suite": "base"}));
    // ...a typed value wins, and --no-default switches it off for one run.
    let out = w
        .schedule(&["--json", "--dry-run", "-t", "vision"])
        .success()
        .json();
    assert_eq!(out["inputs"], json!({"suite": "vision"}));
    let out = w
        .schedule(&["--json", "--dry-run", "--no-default", "suite"])
        .success()
        .json();
    assert_eq!(out["inputs"], json!({}));
    // An empty value in the file is no default at all.
    std::fs::write(w.path().join("rerecord.toml"), "[defaults]\nsuite = \"\"\n").unwrap();
    let out = w.schedule(&["--json", "--dry-run"]).success().json();
    assert_eq!(out["inputs"], json!({}));
}

#[test]
fn inputs_in_config_still_override_the_known_names() {
    let (w, _) = world(SEP_2025);
    std::fs::write(
        w.path().join("rerecord.toml"),
        "[inputs]\nsetup = \"run-vision-tests\"\n",
    )
    .unwrap();
    let run = w.schedule(&["-p", "gpt"]).failure();
    run.assert_stderr_has("does not declare input \"run-vision-tests\"");
    std::fs::write(
        w.path().join("rerecord.toml"),
        "[inputs]\nsuite = \"test-provider\"\n",
    )
    .unwrap();
    let out = w.schedule(&["--json", "-t", "vllm"]).success().json();
    assert_eq!(out["inputs"], json!({"test-provider": "vllm"}));
}
