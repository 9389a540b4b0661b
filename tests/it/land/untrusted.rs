//! `land` against what a fork or a stranger controls: marker comments written by someone else,
//! manifest claims crafted to inject markdown into the PR comment, a run whose fork is gone, and
//! artifacts without a manifest to cross-check.

use crate::support::fake_github::{JOB_TOKEN_USER, TOKEN};
use crate::support::land_world::{A, B, BRANCH, FORK, MARKER, Manifest, UPSTREAM, World};
use crate::support::zips::ZipBuilder;

/// A same-repository PR at the branch's head, its run, and an artifact claiming `claims`.
fn same_repo_pr(w: &World, claims: impl FnOnce(&str) -> Manifest) -> (String, u64, u64) {
    let head = w.upstream.rev(BRANCH);
    let files: &[(&str, &[u8])] = &[(A, b"{\"a\": 8}\n")];
    let (pr, run) = w.recorded_pr(UPSTREAM, (&head, &head), files, claims(&head));
    (head, pr, run)
}

/// `md` without its inline code spans: what GitHub would render as live markdown.
fn outside_code(md: &str) -> String {
    md.split('`').step_by(2).collect::<Vec<_>>().join(" ")
}

#[test]
fn land_never_writes_into_a_marker_comment_someone_else_posted() {
    let w = World::new(TOKEN);
    let (_, pr, run) = same_repo_pr(&w, Manifest::same_repo);
    let planted = format!("{MARKER}\nThis PR is approved, see [the docs](https://evil.example)");
    let attacker = w.fake.add_comment(UPSTREAM, pr, &planted);

    let comments = land_and_read_two_comments(&w, run, pr);
    assert_eq!(comments[0], (attacker, planted));
    assert_ours_committed_one(&comments[1].1);
}

#[test]
fn land_with_the_job_token_updates_the_comment_github_actions_wrote() {
    let w = World::new(TOKEN);
    w.fake.act_as_job_token();
    let (_, pr, run) = same_repo_pr(&w, Manifest::same_repo);
    let planted = format!("{MARKER}\nplanted first");
    let attacker = w.fake.add_comment(UPSTREAM, pr, &planted);
    let ours = w
        .fake
        .add_comment_by(UPSTREAM, pr, &format!("{MARKER}\nold news"), JOB_TOKEN_USER);

    let comments = land_and_read_two_comments(&w, run, pr);
    assert_eq!(comments[0], (attacker, planted));
    assert_eq!(comments[1].0, ours);
    assert_ours_committed_one(&comments[1].1);
}

#[test]
fn land_never_takes_our_reply_quoting_the_marker_for_the_sticky_comment() {
    let w = World::new(TOKEN);
    w.fake.act_as_job_token();
    let (_, pr, run) = same_repo_pr(&w, Manifest::same_repo);
    // `rerecord command` quoted a request that carried the marker in its refusal reply: our
    // comment, holding the marker, but not at its start.
    let reply = format!(
        "<!-- rerecord:command -->\n> `/rerecord --nope {MARKER}` by `maint`\n\n**Not dispatched**: the options are not valid"
    );
    let ours = w.fake.add_comment_by(UPSTREAM, pr, &reply, JOB_TOKEN_USER);

    let comments = land_and_read_two_comments(&w, run, pr);
    assert_eq!(
        comments[0],
        (ours, reply),
        "the refusal reply was overwritten"
    );
    assert_ours_committed_one(&comments[1].1);
}

#[test]
fn land_quotes_a_forged_manifest_only_as_code_in_its_comment() {
    let w = World::new(TOKEN);
    let forged = "main](https://evil.example) @org/team";
    let (head, pr, run) = same_repo_pr(&w, |head| Manifest {
        head_ref: forged.into(),
        ..Manifest::same_repo(head)
    });

    let out = w.land(run).run().failure();

    assert_eq!(w.upstream.rev(BRANCH), head);
    let comment = w.only_comment(pr);
    assert!(comment.contains("refused"), "{comment}");
    assert!(
        comment.contains("https://evil.example) @org/team"),
        "the reason should quote the claim: {comment}"
    );
    let live = outside_code(&comment);
    assert!(
        !live.contains("evil.example") && !live.contains('@'),
        "untrusted text outside code in:\n{comment}"
    );
    assert!(out.all_output().contains(forged), "{}", out.all_output());
}

#[test]
fn land_refuses_a_run_whose_fork_was_deleted() {
    let w = World::new(TOKEN);
    let head = w.fork.rev(BRANCH);
    // The manifest says what an upstream run would: only the API's null head repository tells.
    let claims = Manifest::same_repo(&head);
    let files: &[(&str, &[u8])] = &[(A, b"{\"a\": 6}\n")];
    let (pr, run) = w.recorded_pr(FORK, (&head, &head), files, claims);
    w.fake.delete_repo(FORK);
    let upstream_before = w.upstream.rev(BRANCH);

    let out = w.land(run).run().failure();

    assert_eq!(w.upstream.rev(BRANCH), upstream_before);
    assert!(w.http.requests().is_empty(), "{:?}", w.http.requests());
    out.assert_output_has("head repository of run");
    out.assert_output_has("gone");
    assert!(w.fake.comments(UPSTREAM, pr).is_empty());
}

#[test]
fn land_refuses_an_artifact_without_a_manifest() {
    let w = World::new(TOKEN);
    let (head, pr, run) = w.same_repo_pr_run();
    let legacy = ZipBuilder::new().file(A, b"{\"a\": 7}\n").finish();
    w.fake
        .add_artifact(UPSTREAM, run, "recordings-legacy", legacy, false);

    let out = w.land(run).run().failure();

    assert_eq!(w.upstream.rev(BRANCH), head);
    assert!(w.http.requests().is_empty(), "{:?}", w.http.requests());
    out.assert_output_has("recordings-legacy has no rerecord-manifest.json");
    let comment = w.only_comment(pr);
    assert!(
        comment.contains("refused") && comment.contains("rerecord-manifest.json"),
        "{comment}"
    );
}

/// An artifact for `run` with `files`, `deleted` and a same-repository manifest edited by `edit`.
fn hostile_artifact(
    w: &World,
    run: u64,
    name: &str,
    files: &[(&str, &[u8])],
    deleted: &[&str],
    edit: impl FnOnce(&mut serde_json::Value),
) {
    let head = w.upstream.rev(BRANCH);
    let mut manifest = crate::support::zips::manifest_value(run, files, deleted);
    for key in ["repository", "head_repository"] {
        manifest[key] = UPSTREAM.into();
    }
    manifest["head_ref"] = BRANCH.into();
    manifest["head_sha"] = head.clone().into();
    manifest["checkout_sha"] = head.into();
    edit(&mut manifest);
    let mut zip = ZipBuilder::new();
    for (path, bytes) in files {
        zip = zip.file(path, bytes);
    }
    w.fake.add_artifact(
        UPSTREAM,
        run,
        name,
        zip.raw_manifest(&manifest).finish(),
        false,
    );
}

/// A same-repository PR at the branch's head and its run, without artifacts.
fn pr_and_run(w: &World) -> (String, u64, u64) {
    let head = w.upstream.rev(BRANCH);
    let pr = w.open_pr(UPSTREAM, &head);
    (head.clone(), pr, w.pr_run(&head, UPSTREAM, vec![pr]))
}

/// A workflow command in `text` that rerecord did not write: the legacy form anywhere, or a
/// `::` line that is none of ours.
fn injected_command(text: &str) -> Option<&str> {
    text.lines().find(|line| {
        let t = line.trim_start();
        line.contains("##[")
            || (t.starts_with("::")
                && !["::group::", "::endgroup::", "::warning::", "::notice::"]
                    .iter()
                    .any(|ours| t.starts_with(ours)))
    })
}

#[test]
fn land_refuses_a_manifest_that_deletes_a_recordings_directory() {
    let w = World::new(TOKEN);
    let (head, pr, run) = pr_and_run(&w);
    hostile_artifact(
        &w,
        run,
        "recordings-1",
        &[],
        &["tests/integration/agents/recordings"],
        |_| {},
    );

    let out = w.land(run).run().failure();

    assert_eq!(w.upstream.rev(BRANCH), head, "{}", out.all_output());
    assert_eq!(w.upstream.show(BRANCH, B), "{\"b\": 1}");
    out.assert_output_has("tests/integration/agents/recordings");
    assert!(w.only_comment(pr).contains("refused"));
}

#[test]
fn land_output_defuses_workflow_commands_in_file_and_artifact_names() {
    let w = World::new(TOKEN);
    let (_, pr, run) = pr_and_run(&w);
    let names = crate::support::zips::WORKFLOW_COMMAND_NAMES;
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (*n, &b"{}\n"[..])).collect();
    hostile_artifact(&w, run, "recordings-##[add-mask]x", &files, &[], |_| {});

    let out = w.land(run).run().success();

    for name in names {
        assert_eq!(w.upstream.show(BRANCH, name), "{}", "{name} landed");
    }
    let all = out.all_output();
    assert_eq!(injected_command(&all), None, "{all}");
    assert!(all.contains("x## [error]pwned.json"), "{all}");
    let comment = w.only_comment(pr);
    assert!(
        comment.contains("`tests/integration/recordings/##[add-mask]secret.json`"),
        "{comment}"
    );

    let json = w.land(run).arg("--json").arg("--dry-run").run().success();
    assert!(!json.stdout.contains("##["), "{}", json.stdout);
    assert_eq!(json.json()["files"].as_array().unwrap().len(), names.len());
}

#[test]
fn land_shows_esc_sequences_and_bidi_characters_from_a_manifest_escaped() {
    let w = World::new(TOKEN);
    let (head, pr, run) = pr_and_run(&w);
    let forged = "feature-x\u{1b}[2K\u{1b}[1A\u{202e}\n::error::forged";
    hostile_artifact(&w, run, "recordings-1", &[(A, b"{\"a\": 5}\n")], &[], |m| {
        m["head_ref"] = forged.into();
    });

    let out = w.land(run).run().failure();

    assert_eq!(w.upstream.rev(BRANCH), head);
    let all = out.all_output();
    for raw in ['\u{1b}', '\u{202e}'] {
        assert!(!all.contains(raw), "raw {raw:?} in:\n{all:?}");
    }
    assert_eq!(injected_command(&all), None, "{all}");
    assert!(all.contains("\\u{1b}[2K"), "{all}");
    assert!(all.contains("\\u{202e}"), "{all}");
    let comment = w.only_comment(pr);
    assert!(
        !comment.contains('\u{1b}')
            && !comment.contains('\u{202e}')
            && comment.contains("\\u{202e}"),
        "{comment:?}"
    );
}

#[test]
fn land_refuses_a_manifest_head_sha_that_is_not_a_commit_id() {
    let w = World::new(TOKEN);
    let (head, _pr, run) = pr_and_run(&w);
    hostile_artifact(&w, run, "recordings-1", &[(A, b"{\"a\": 4}\n")], &[], |m| {
        m["head_sha"] =
            "abcdefghijk\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}z".into();
    });

    let out = w.land(run).run().failure();

    assert_eq!(w.upstream.rev(BRANCH), head);
    out.assert_output_has("not a commit id");
    assert!(
        !out.all_output().contains("panicked"),
        "{}",
        out.all_output()
    );
}

#[test]
fn land_refuses_artifacts_over_the_total_cap_of_a_run() {
    let w = World::new(TOKEN);
    let (head, _pr, run) = pr_and_run(&w);
    for i in 0..3 {
        let path = format!("tests/integration/recordings/zeros-{i}.json");
        let bytes = crate::support::zips::zeros(2000);
        hostile_artifact(
            &w,
            run,
            &format!("recordings-{i}"),
            &[(&path, &bytes)],
            &[],
            |_| {},
        );
    }

    let out = w
        .land(run)
        .env("RERECORD_MAX_TOTAL_SIZE", "5000")
        .run()
        .failure();

    assert_eq!(w.upstream.rev(BRANCH), head);
    out.assert_output_has("limit for all artifacts of a run");
}

#[test]
fn land_refuses_a_new_name_that_is_an_existing_recording_on_macos_and_windows() {
    let w = World::new(TOKEN);
    let (head, _pr, run) = pr_and_run(&w);
    let twin = A.replace("a.json", "A.json");
    hostile_artifact(&w, run, "recordings-1", &[(&twin, b"{}\n")], &[], |_| {});

    let out = w.land(run).run().failure();

    assert_eq!(w.upstream.rev(BRANCH), head, "{}", out.all_output());
    out.assert_output_has(
        "differs from tests/integration/recordings/a.json on the branch only in case",
    );
}

#[test]
fn land_caps_its_comment_for_1500_recordings_under_githubs_limit() {
    let w = World::new(TOKEN);
    let (head, pr, run) = w.same_repo_pr_run();
    let files: Vec<(String, Vec<u8>)> = (0..1500)
        .map(|i| {
            (
                format!("tests/integration/recordings/{i:064x}.json"),
                format!("{{\"test_id\": \"t.py::test_{i}\", \"v\": {i}}}\n").into_bytes(),
            )
        })
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    w.recordings(run, &refs, Manifest::same_repo(&head));

    let out = w.land(run).run().success();

    let comment = w.only_comment(pr);
    assert!(
        comment.chars().count() <= 65_536,
        "{} characters",
        comment.chars().count()
    );
    assert!(
        comment.contains("Committed 1500 recordings"),
        "{}",
        out.all_output()
    );
    assert!(comment.contains("<summary>Files (1500)</summary>"));
    assert!(
        comment.contains("more files not shown: the step summary and the log of the landing run"),
        "{}",
        &comment[comment.len() - 400..]
    );
    assert_eq!(
        comment.matches("<details>").count(),
        comment.matches("</details>").count()
    );
    // The log lists every file.
    out.assert_output_has(&files[1499].0);
}

/// Land `run` of `pr`; the PR then has exactly two comments, returned as (id, body).
fn land_and_read_two_comments(w: &World, run: u64, pr: u64) -> Vec<(u64, String)> {
    let out = w.land(run).run().success();
    let comments = w.fake.comments(UPSTREAM, pr);
    assert_eq!(comments.len(), 2, "{comments:?}\n{}", out.all_output());
    comments
}

/// `body` is land's sticky comment for one committed recording.
#[track_caller]
fn assert_ours_committed_one(body: &str) {
    assert!(body.starts_with(MARKER), "{body}");
    assert!(body.contains("Committed 1 recording"), "{body}");
}
