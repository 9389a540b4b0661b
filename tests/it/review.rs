//! Behaviour tests for reviewable recordings: the report (`rerecord report`, commit's step
//! summary, land's PR comment), churn left out of `commit` and `land`, the secret scan refusing
//! `commit`, `land` and `fetch` with nothing pushed, staged or written, and `rerecord prune`.
//!
//! Credentials are assembled at run time so no file of this repository holds one.

use std::path::{Path, PathBuf};

use crate::support::cmd::{Rerecord, Run, path_str, rerecord, tempdir};
use crate::support::fake_github::TOKEN;
use crate::support::git_fixtures::{
    Remote, commit_all, commit_and_push, git, one_commit_checkout, write,
};
use crate::support::land_world::{self, Manifest, World};
use crate::support::snap;

const BRANCH: &str = "feature-x";
const CHAT: &str = "tests/integration/inference/recordings/0a1b2c.json";
const EMBED: &str = "tests/integration/inference/recordings/3d4e5f.json";
const CASSETTE: &str = "tests/integration/agents/recordings/cassette.yaml";
const TEST_CHAT: &str = "tests/integration/inference/test_chat.py::test_capital[txt=gpt-4o]";
const CONFIG: &str =
    "[review]\nvolatile = [\"/response/body/id\", \"/request/headers/x-stainless-*\"]\n";

/// One credential of each well-known format, as (kind, value).
fn credentials() -> Vec<(&'static str, String)> {
    let r = |n: usize| "Zx8Qw7Er6Ty5Ui4Op3As2Df1Gh0JkLmNb".repeat(8)[..n].to_owned();
    vec![
        ("GitHub token", format!("gh{}_{}", "p", r(36))),
        ("GitHub token", format!("gh{}_{}", "o", r(36))),
        ("GitHub token", format!("gh{}_{}", "s", r(36))),
        ("GitHub token", format!("github_{}_{}", "pat", r(82))),
        ("OpenAI API key", format!("s{}-{}", "k", r(48))),
        ("OpenAI API key", format!("s{}-proj-{}", "k", r(64))),
        ("Anthropic API key", format!("s{}-ant-api03-{}", "k", r(40))),
        (
            "AWS access key id",
            format!("AK{}A{}", "I", "Z7Q3EGRT5PN2XJWK"),
        ),
        ("Google API key", format!("AI{}a{}", "z", r(35))),
        (
            "Slack token",
            format!("xo{}p-{}", "x", "2234567890-abcdEFGHijkl"),
        ),
        (
            "JSON Web Token",
            format!("ey{}hbGciOiJIUzI1NiJ9.eyJzdWIiOiI5ODc2NSJ9.{}", "J", r(24)),
        ),
    ]
}

fn chat(test_id: &str, content: &str, id: &str, stainless: &str) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "test_id": test_id,
        "request": {"method": "POST", "url": "https://api.openai.com/v1/chat/completions",
            "headers": {"x-stainless-package-version": stainless, "Authorization": "Bearer <redacted>"},
            "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Capital of France?"}]},
            "endpoint": "/v1/chat/completions", "model": "gpt-4o"},
        "response": {"body": {"__type__": "openai.types.chat.ChatCompletion",
            "id": id, "choices": [{"message": {"content": content}}]}, "is_streaming": false}
    }))
    .unwrap()
}

const CASSETTE_V1: &str = "interactions:\n- request:\n    body: '{\"q\": 1}'\n    headers:\n      Authorization:\n      - Bearer <redacted>\n    method: POST\n    uri: https://api.example.com/v1/x\n  response:\n    body:\n      string: '{\"answer\": \"Paris\"}'\n    status:\n      code: 200\nversion: 1\n";

/// A remote whose branch has two recordings, a cassette and `rerecord.toml`; a clone of it.
/// Writes the chat recording of `TEST_CHAT` (see [`chat`]) in `work`.
fn write_chat(work: &Path, content: &str, id: &str, stainless: &str) {
    write(work, CHAT, &chat(TEST_CHAT, content, id, stainless));
}

fn repo() -> (tempfile::TempDir, Remote, PathBuf) {
    let tmp = tempdir();
    let chat1 = chat(TEST_CHAT, "Paris", "chatcmpl-1", "1.0.0");
    let files = [
        (CHAT, chat1.as_str()),
        (
            EMBED,
            "{\"test_id\": null, \"response\": {\"dims\": 384}}\n",
        ),
        (CASSETTE, CASSETTE_V1),
        ("rerecord.toml", CONFIG),
        ("src/app.py", "x = 1\n"),
    ];
    let remote = Remote::new(tmp.path(), BRANCH, &files);
    let work = remote.clone("work", BRANCH);
    (tmp, remote, work)
}

fn commit(work: &Path, args: &[&str]) -> Rerecord {
    rerecord()
        .current_dir(work)
        .args([
            "commit",
            "--target-branch",
            BRANCH,
            "--recorded-setup",
            "gpt",
            "--recorded-suite",
            "base",
        ])
        .args(args)
}

#[track_caller]
fn assert_never_printed(out: &Run, secret: &str) {
    assert!(
        !out.all_output().contains(secret),
        "the value was printed:\n{}",
        out.all_output()
    );
}

#[test]
fn commit_leaves_churn_only_recordings_out_unless_keep_churn() {
    let (tmp, remote, work) = repo();
    let before = remote.rev(BRANCH);
    // Only volatile fields: the id and an `x-stainless-*` header (a `*` pattern).
    write_chat(&work, "Paris", "chatcmpl-2", "1.0.1");
    let summary = tmp.path().join("summary.md");
    let out = commit(&work, &["--json"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .run()
        .success();
    assert_eq!(
        remote.rev(BRANCH),
        before,
        "churn was pushed:\n{}",
        out.all_output()
    );
    let json = out.json();
    assert_eq!(json["changed"], false, "{json}");
    let notices = json["notices"].to_string();
    assert!(
        notices.contains("--keep-churn") && notices.contains(CHAT),
        "{notices}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains(&format!("- `{CHAT}` churn only (2 volatile fields)")),
        "{md}"
    );
    snap::assert_redacted_shas("commit_summary_churn_only", &md, &[]);

    commit(&work, &["--keep-churn"]).run().success();
    assert_ne!(remote.rev(BRANCH), before);
    assert!(remote.show(BRANCH, CHAT).contains("chatcmpl-2"));
}

#[test]
fn commit_summary_reports_by_test_and_folder_with_changed_paths() {
    let (tmp, remote, work) = repo();
    write_chat(&work, "Paris, France", "chatcmpl-2", "1.0.0");
    write(&work, CASSETTE, &CASSETTE_V1.replace("Paris", "Lyon"));
    write(
        &work,
        "tests/integration/agents/recordings/blob.bin",
        "\u{1}\u{2}",
    );
    let summary = tmp.path().join("summary.md");
    commit(&work, &[])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .run()
        .success();
    assert_eq!(remote.files(BRANCH).len(), 6);
    let md = std::fs::read_to_string(&summary).unwrap();
    let test =
        format!("<details><summary><code>{TEST_CHAT}</code> (<code>gpt/base</code>): 1 updated");
    assert!(md.contains(&test), "{md}");
    snap::assert_redacted_shas("commit_summary_by_test_and_folder", &md, &[]);
}

#[test]
fn commit_refuses_each_credential_format_in_a_header_a_body_and_a_cassette() {
    let (_tmp, remote, work) = repo();
    let before = remote.rev(BRANCH);
    for (kind, secret) in credentials() {
        let header = chat(TEST_CHAT, "Paris", "chatcmpl-1", "1.0.0")
            .replace("Bearer <redacted>", &format!("Bearer {secret}"));
        write(&work, CHAT, &header);
        write(
            &work,
            EMBED,
            &format!("{{\"test_id\": null, \"response\": {{\"text\": \"key {secret} here\"}}}}"),
        );
        write(
            &work,
            CASSETTE,
            &CASSETTE_V1.replace("{\"q\": 1}", &format!("{{\"q\": \"{secret}\"}}")),
        );
        let out = commit(&work, &[]).run().failure();
        assert_never_printed(&out, &secret);
        let err = &out.stderr;
        assert!(
            err.contains("refusing to commit: 3 credentials"),
            "{kind}: {err}"
        );
        assert!(err.contains("nothing was pushed or staged"), "{err}");
        assert!(
            err.contains(&format!("{CHAT} at /request/headers/Authorization")),
            "{kind}: {err}"
        );
        assert!(
            err.contains(&format!(
                "{EMBED} at /response/text: {kind} {}…",
                &secret[..4]
            )),
            "{kind}: {err}"
        );
        assert!(
            err.contains(&format!("{CASSETTE} at /interactions/0/request/body")),
            "{kind}: {err}"
        );
        assert_eq!(remote.rev(BRANCH), before, "{kind} was pushed");
    }
}

#[test]
fn commit_in_actions_masks_the_value_and_stages_nothing_for_a_fork() {
    let (tmp, _remote, work) = repo();
    let secret = credentials().remove(5).1;
    write(
        &work,
        EMBED,
        &format!("{{\"response\": {{\"key\": \"{secret}\"}}}}"),
    );
    let artifact = tmp.path().join("artifact");
    let out = commit(
        &work,
        &["--fork-pr", "true", "--artifact-dir", &path_str(&artifact)],
    )
    .env("GITHUB_ACTIONS", "true")
    .run()
    .failure();
    out.assert_stdout_has(&format!("::add-mask::{secret}\n"));
    assert_never_printed_except_mask(&out, &secret);
    assert!(!artifact.exists(), "something was staged");
}

#[test]
fn redaction_placeholders_pass_and_allow_secret_accepts_a_known_false_positive() {
    let (_tmp, remote, work) = repo();
    let before = remote.rev(BRANCH);
    // Already in the recordings: `Authorization: Bearer <redacted>` (JSON and YAML).
    write_chat(&work, "Bearer ******** and x-api-key: REDACTED", "c", "1");
    commit(&work, &[]).run().success();
    let after_placeholder = remote.rev(BRANCH);
    assert_ne!(after_placeholder, before);

    let fake = format!("AK{}A{}", "I", "IOSFODNN7EXAMPL1");
    write(
        &work,
        EMBED,
        &format!("{{\"docs\": [\"an id like {fake}\"]}}"),
    );
    let out = commit(&work, &[]).run().failure();
    let allow = format!("{EMBED}:/docs/0");
    out.assert_stderr_has(&format!("--allow-secret '{allow}'"));
    assert_eq!(remote.rev(BRANCH), after_placeholder);
    commit(&work, &["--allow-secret", &format!("{EMBED}:/other")])
        .run()
        .failure();
    commit(&work, &["--allow-secret", &allow]).run().success();
    assert!(remote.show(BRANCH, EMBED).contains(&fake));
}

#[test]
fn values_of_named_environment_variables_are_refused() {
    let (_tmp, remote, work) = repo();
    let before = remote.rev(BRANCH);
    let value = "prov-7f3a9c1e55d04b2a";
    write(
        &work,
        EMBED,
        &format!("{{\"request\": {{\"headers\": {{\"x-provider-key\": \"{value}\"}}}}}}"),
    );
    // Named by the flag's environment variable (the action's `secret-env` input)...
    let out = commit(&work, &[])
        .env("RERECORD_SECRET_ENV", "OTHER_KEY,PROVIDER_KEY")
        .env("PROVIDER_KEY", value)
        .run()
        .failure();
    assert_never_printed(&out, value);
    out.assert_stderr_has(&format!(
        "{EMBED} at /request/headers/x-provider-key: value of $PROVIDER_KEY prov…"
    ));
    // ... or by `[review] secret-env`, in the configuration as committed (a work-tree copy is
    // never read inside Actions).
    write(
        &work,
        "rerecord.toml",
        &format!("{CONFIG}secret-env = [\"PROVIDER_KEY\"]\n"),
    );
    git(&work, &["add", "rerecord.toml"]);
    git(&work, &["commit", "-q", "-m", "review config"]);
    let out = commit(&work, &[])
        .env("PROVIDER_KEY", value)
        .run()
        .failure();
    assert_never_printed(&out, value);
    commit(&work, &[]).run().success();
    assert_ne!(
        remote.rev(BRANCH),
        before,
        "without the variable the value is not a secret"
    );
}

#[test]
fn land_refuses_a_credential_pushes_nothing_and_the_comment_masks_it() {
    let w = World::new(TOKEN);
    let secret = credentials().remove(6).1;
    let body = format!("{{\"request\": {{\"headers\": {{\"x-api-key\": \"{secret}\"}}}}}}");
    let (head, pr, run) = w.same_repo_pr(&[(land_world::A, body.as_bytes())]);

    let out = w.land(run).run().failure();
    assert_never_printed_except_mask(&out, &secret);
    assert_eq!(
        w.upstream.rev(land_world::BRANCH),
        head,
        "something was pushed"
    );
    let comment = w.only_comment(pr);
    assert!(!comment.contains(&secret), "{comment}");
    assert!(comment.contains("refusing to land"), "{comment}");
    assert!(comment.contains("/request/headers/x-api-key"), "{comment}");
}

#[test]
fn an_artifact_cannot_make_land_mask_text_of_its_choosing() {
    let w = World::new(TOKEN);
    let token = credentials().remove(0).1;
    // Header values the rules catch by the header's name alone: words of land's own log.
    let body = serde_json::json!({"request": {"headers": {
        "Authorization": "Bearer refusing",
        "X-Api-Key": land_world::UPSTREAM,
        "X-Other": token,
    }}})
    .to_string();
    let (head, _, run) = w.same_repo_pr(&[(land_world::A, body.as_bytes())]);

    let out = w.land(run).run().failure();

    let masks: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("::add-mask::"))
        .collect();
    assert_eq!(masks, [token.as_str()], "{}", out.all_output());
    assert!(out.all_output().contains("refusing to land"));
    assert_eq!(
        w.upstream.rev(land_world::BRANCH),
        head,
        "something was pushed"
    );
}

#[test]
fn land_warns_about_a_secret_env_name_that_is_not_set_and_still_lands() {
    let w = World::new(TOKEN);
    let (_, pr, run) = w.same_repo_pr(&[(land_world::A, b"{\"a\": 2}\n")]);

    let out = w
        .land(run)
        .env("RERECORD_SECRET_ENV", "RERECORD_TEST_UNSET_KEY")
        .env_remove("RERECORD_TEST_UNSET_KEY")
        .run()
        .success();

    assert!(
        out.stdout.lines().any(|l| l.starts_with("::warning")
            && l.contains("RERECORD_TEST_UNSET_KEY")
            && l.contains("not set")),
        "{}",
        out.all_output()
    );
    let comment = w.only_comment(pr);
    assert!(comment.contains("RERECORD_TEST_UNSET_KEY"), "{comment}");
    assert_eq!(
        w.upstream.show(land_world::BRANCH, land_world::A),
        "{\"a\": 2}"
    );
}

fn assert_never_printed_except_mask(out: &Run, secret: &str) {
    for line in out
        .all_output()
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
    {
        assert!(!line.contains(secret), "{line}");
    }
}

#[test]
fn land_leaves_churn_out_unless_keep_churn_and_reports_in_the_comment() {
    let w = World::new(TOKEN);
    let trusted = tempdir();
    write(
        trusted.path(),
        "rerecord.toml",
        "[review]\nvolatile = [\"/id\", \"/created\"]\n",
    );
    let base = w.push_to(
        &w.upstream,
        land_world::BRANCH,
        land_world::B,
        "{\"test_id\": \"t.py::b\", \"id\": 1, \"created\": 1, \"v\": 1}\n",
    );
    let churn = b"{\"test_id\": \"t.py::b\", \"id\": 2, \"created\": 2, \"v\": 1}\n";
    let (_, pr, run) = w.same_repo_pr(&[(land_world::B, churn)]);
    let out = w.land(run).current_dir(trusted.path()).run().success();
    assert_eq!(
        w.upstream.rev(land_world::BRANCH),
        base,
        "churn landed:\n{}",
        out.all_output()
    );
    out.assert_output_has("--keep-churn");

    let real = b"{\"test_id\": \"t.py::b\", \"id\": 3, \"created\": 3, \"v\": 2}\n";
    let both = [
        (land_world::B, &real[..]),
        (land_world::A, &b"{\"a\": 1}\n"[..]),
    ];
    let run = w.pr_run(&base, land_world::UPSTREAM, vec![pr]);
    w.artifact(run, "recordings-2", &both, Manifest::same_repo(&base));
    w.land(run).current_dir(trusted.path()).run().success();
    let tip = w.upstream.rev(land_world::BRANCH);
    assert_ne!(tip, base);
    assert_eq!(
        w.upstream.show(land_world::BRANCH, land_world::B),
        String::from_utf8_lossy(real).trim()
    );
    let comment = w.only_comment(pr);
    w.assert_snapshot("land_comment_without_churn", &comment, run);

    let run = w.pr_run(&base, land_world::UPSTREAM, vec![pr]);
    w.artifact(
        run,
        "recordings-3",
        &[(land_world::B, churn)],
        Manifest::same_repo(&base),
    );
    w.land(run)
        .current_dir(trusted.path())
        .arg("--keep-churn")
        .run()
        .success();
    assert_eq!(
        w.upstream.show(land_world::BRANCH, land_world::B),
        String::from_utf8_lossy(churn).trim()
    );
}

#[test]
fn fetch_refuses_a_credential_and_writes_nothing() {
    let dir = tempdir();
    let (work, head) = one_commit_checkout(dir.path(), BRANCH, &[(CHAT, "{\"a\": 1}\n")]);
    let secret = credentials().remove(0).1;
    let yaml = format!(
        "interactions:\n- request:\n    headers:\n      authorization:\n      - token {secret}\n"
    );
    let files: [(&str, &[u8]); 2] = [(CHAT, b"{\"a\": 2}\n"), (CASSETTE, yaml.as_bytes())];
    let out = land_world::fetch_one_run(&work, &head, &files).failure();
    assert_never_printed(&out, &secret);
    out.assert_stderr_has("refusing to apply the recordings: 1 credential");
    out.assert_stderr_has(&format!(
        "{CASSETTE} at /interactions/0/request/headers/authorization/0"
    ));
    out.assert_stderr_has("nothing was written");
    assert_eq!(
        std::fs::read_to_string(work.join(CHAT)).unwrap(),
        "{\"a\": 1}\n"
    );
    assert!(!work.join(CASSETTE).exists());
    assert_eq!(git(&work, &["status", "--porcelain"]), "");
}

#[test]
fn report_never_lets_recording_text_act_as_a_workflow_command_or_terminal_escape() {
    let (_tmp, _remote, work) = repo();
    let hostile_id = "t.py::test_x ##[add-mask]t.py ##[error]pwned \u{1b}[31mred";
    write(
        &work,
        CHAT,
        &chat(
            hostile_id,
            "##[warning]boom\n::error::line",
            "chatcmpl-1",
            "1.0.0",
        ),
    );
    let md = report_markdown(&work);
    for line in md.lines() {
        assert!(
            !line.contains("##[") && !line.trim_start().starts_with("::"),
            "a workflow command reached the log: {line}\n{md}"
        );
    }
    assert!(!md.contains('\u{1b}'), "{md}");
    // The same Markdown otherwise: the test id keeps its `::`.
    assert!(
        md.contains("<code>t.py::test_x ## [add-mask]t.py ## [error]pwned \\u{1b}[31mred</code>"),
        "{md}"
    );
}

/// What `rerecord report --json` prints in `work`.
fn report_json(work: &Path) -> serde_json::Value {
    let out = rerecord()
        .current_dir(work)
        .args(["report", "--json"])
        .run();
    out.success().json()
}

/// What `rerecord report` prints in `work` (Markdown).
fn report_markdown(work: &Path) -> String {
    let out = rerecord().current_dir(work).arg("report").run();
    out.success().stdout
}

/// One recording of each kind of change: the chat answer updated, a new test's recording
/// added, the embedding recording deleted.
fn add_update_and_delete_one(work: &Path) {
    write_chat(work, "Paris, France", "chatcmpl-1", "1.0.0");
    write(
        work,
        "tests/integration/agents/recordings/new.json",
        "{\"test_id\": \"t.py::new\"}",
    );
    std::fs::remove_file(work.join(EMBED)).unwrap();
}

#[test]
fn report_groups_by_test_and_folder_as_markdown_and_json() {
    let (_tmp, remote, work) = repo();
    add_update_and_delete_one(&work);
    let md = report_markdown(&work);
    snap::assert_redacted("report_markdown_by_test_and_folder", &md, &[]);

    let json = report_json(&work);
    assert_eq!(json["totals"]["added"], 1);
    assert_eq!(json["totals"]["updated"], 1);
    assert_eq!(json["totals"]["deleted"], 1);
    let groups = json["groups"].as_array().unwrap();
    let keys: Vec<(&str, &str)> = groups
        .iter()
        .map(|g| (g["by"].as_str().unwrap(), g["key"].as_str().unwrap()))
        .collect();
    assert_eq!(
        keys,
        [
            ("test", "t.py::new"),
            ("test", TEST_CHAT),
            ("folder", "tests/integration/inference/recordings")
        ]
    );
    let file = &groups[1]["files"][0];
    assert_eq!(file["path"], CHAT);
    assert_eq!(file["status"], "updated");
    assert_eq!(
        file["changes"][0]["path"],
        "response.body.choices[0].message.content"
    );
    assert_eq!(file["changes"][0]["new"], "\"Paris, France\"");

    // Against an older base, committed changes count too.
    let base = remote.rev(BRANCH);
    commit_all(&work, "rec");
    let clean = report_json(&work);
    assert_eq!(clean["groups"], serde_json::json!([]));
    let since = rerecord()
        .current_dir(&work)
        .args(["report", "--json", "--base", &base])
        .run()
        .success()
        .json();
    assert_eq!(since["totals"], json["totals"]);
}

#[test]
fn prune_lists_and_deletes_orphans_and_commit_carries_the_deletions() {
    let (tmp, remote, work) = repo();
    let collected = tmp.path().join("collected.txt");
    std::fs::write(
        &collected,
        "tests/integration/inference/test_chat.py::test_other\n\n1 test collected in 0.01s\n",
    )
    .unwrap();
    let out = rerecord()
        .current_dir(&work)
        .args(["prune", "--collected", &path_str(&collected)])
        .run()
        .success();
    // Printed as log-safe text (`::` is defused wherever it stands); `--json` has the exact id.
    assert_eq!(
        out.stdout,
        format!("{CHAT}  {}\n", TEST_CHAT.replace("::", ": :"))
    );
    assert!(
        out.stderr.contains(
            "1 of 3 recordings belong to none of the 1 collected tests (2 have no test id"
        ),
        "{}",
        out.stderr
    );
    assert!(work.join(CHAT).exists());

    let json = rerecord()
        .current_dir(&work)
        .args([
            "prune",
            "--json",
            "--delete",
            "--collected",
            &path_str(&collected),
        ])
        .run()
        .success()
        .json();
    assert_eq!(
        json["orphans"],
        serde_json::json!([{"path": CHAT, "test-id": TEST_CHAT}])
    );
    assert_eq!(
        (
            json["recordings"].as_u64(),
            json["collected"].as_u64(),
            json["deleted"].as_bool()
        ),
        (Some(3), Some(1), Some(true))
    );
    assert!(!work.join(CHAT).exists());
    commit(&work, &["--include-deletions"]).run().success();
    assert!(!remote.files(BRANCH).contains(&CHAT.to_owned()));

    std::fs::write(&collected, "no tests ran in 0.01s\n").unwrap();
    let out = rerecord()
        .current_dir(&work)
        .args(["prune", "--delete", "--collected", &path_str(&collected)])
        .run()
        .expect_code(2);
    out.assert_stderr_has("lists no test ids");
    assert!(work.join(EMBED).exists());
    let _ = commit_and_push;
}

/// A recording over the analysis limit (32 MiB) is never read whole by `commit`: it is scanned as a
/// stream (a credential at its very end is still found) and reported by its sizes.
#[test]
fn commit_scans_a_recording_over_the_analysis_limit_as_a_stream() {
    let (_tmp, remote, work) = repo();
    let before = remote.rev(BRANCH);
    let secret = format!("ghp_{}", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8");
    let filler = "lorem ipsum dolor sit amet ".repeat((33 << 20) / 27);
    let big = |value: &str| {
        format!("{{\"test_id\": null, \"response\": {{\"text\": \"{filler} key {value} end\"}}}}\n")
    };
    write(&work, EMBED, &big(&secret));
    let out = commit(&work, &[]).run().failure();
    assert_never_printed(&out, &secret);
    out.assert_stderr_has("refusing to commit: 1 credential");
    out.assert_stderr_has(EMBED);
    assert_eq!(remote.rev(BRANCH), before, "the credential was pushed");

    write(&work, EMBED, &big("<redacted>"));
    let out = commit(&work, &["--json"]).run().success();
    assert_ne!(remote.rev(BRANCH), before, "{}", out.all_output());
    let json = out.json();
    assert_eq!(json["changed"], true, "{json}");
}
