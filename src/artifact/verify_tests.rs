//! Unit tests of mapping, manifest verification and merging.

use std::io::Write;

use super::*;

use crate::artifact::zip::test_zips as zips;

use zips::ZipBuilder;

use crate::test_support::zip_of;

const REC: &str = "tests/integration/agents/recordings/a.json";
const REC2: &str = "tests/integration/recordings/b.json";

fn globs() -> Globs {
    Globs::new(crate::config::DEFAULT_RECORDINGS).unwrap()
}

struct Opened {
    _file: tempfile::NamedTempFile,
    zip: ArtifactZip,
}

fn open(label: &str, bytes: &[u8]) -> Opened {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    let zip = ArtifactZip::open(label, file.path(), Limits::default()).unwrap();
    Opened { _file: file, zip }
}

fn read(
    label: &str,
    bytes: &[u8],
    prefix: Option<&str>,
) -> Result<VerifiedArtifact, ArtifactRefusal> {
    let g = globs();
    let mut opened = open(label, bytes);
    read_artifact(
        &mut opened.zip,
        MapOptions {
            globs: &g,
            legacy_prefix: prefix,
        },
        None,
    )
}

fn refusal(bytes: &[u8]) -> ArtifactRefusal {
    read("recordings-7-1-record", bytes, None).unwrap_err()
}

#[test]
fn manifest_artifact_yields_exactly_its_files_with_hashes() {
    let files: &[(&str, &[u8])] = &[(REC, b"{\"a\":1}"), (REC2, b"{\"b\":2}")];
    let bytes = ZipBuilder::new()
        .file(REC, files[0].1)
        .file(REC2, files[1].1)
        .manifest(7, files, &[REC2.replace("b.json", "gone.json").as_str()])
        .finish();
    let got = read("recordings-7-1-record", &bytes, None).unwrap();
    let paths: Vec<&str> = got.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, [REC, REC2]);
    assert_eq!(got.files[0].sha256, zips::sha256_hex(b"{\"a\":1}"));
    assert_eq!(
        got.deleted().collect::<Vec<_>>(),
        ["tests/integration/recordings/gone.json"]
    );
    assert!(got.warnings.is_empty());
    assert_eq!(got.manifest.unwrap().provenance.made_by.run_id, 7);
}

#[test]
fn staging_receives_the_verified_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut staging = Staging::new(dir.path());
    let g = globs();
    let mut opened = open("a", &zips::artifact(1, &[(REC, b"payload")]));
    let got = read_artifact(
        &mut opened.zip,
        MapOptions {
            globs: &g,
            legacy_prefix: None,
        },
        Some(&mut staging),
    )
    .unwrap();
    let staged = got.files[0].staged.as_ref().unwrap();
    assert_eq!(std::fs::read(staged).unwrap(), b"payload");
    assert!(staged.starts_with(dir.path()));
}

#[test]
fn sha256_mismatch_is_refused() {
    let mut m = zips::manifest_value(7, &[(REC, b"original")], &[]);
    m["files"][0]["sha256"] = zips::sha256_hex(b"tampered").into();
    m["files"][0]["size"] = 8.into();
    let bytes = ZipBuilder::new()
        .file(REC, b"original")
        .raw_manifest(&m)
        .finish();
    let err = refusal(&bytes);
    assert_eq!(err.kind, RefusalKind::Sha256Mismatch, "{err}");
    assert_eq!(err.entry.as_deref(), Some(REC));
}

#[test]
fn size_mismatch_is_refused() {
    let mut m = zips::manifest_value(7, &[(REC, b"original")], &[]);
    m["files"][0]["size"] = 3.into();
    let bytes = ZipBuilder::new()
        .file(REC, b"original")
        .raw_manifest(&m)
        .finish();
    assert_eq!(refusal(&bytes).kind, RefusalKind::SizeMismatch);
}

#[test]
fn a_listed_file_missing_from_the_zip_or_an_unlisted_one_in_it_is_refused() {
    let lists_more = ZipBuilder::new()
        .file(REC, b"x")
        .manifest(7, &[(REC, b"x"), (REC2, b"y")], &[])
        .finish();
    let holds_more = ZipBuilder::new()
        .file(REC, b"x")
        .file(REC2, b"y")
        .manifest(7, &[(REC, b"x")], &[])
        .finish();
    for (bytes, kind) in [
        (lists_more, RefusalKind::MissingFromZip),
        (holds_more, RefusalKind::NotInManifest),
    ] {
        let err = refusal(&bytes);
        assert_eq!((err.kind, err.entry.as_deref()), (kind, Some(REC2)));
    }
}

#[test]
fn manifest_paths_outside_recordings_or_escaping_are_refused() {
    for (path, kind) in [
        (
            "tests/integration/client-typescript/package.json",
            RefusalKind::OutsideRecordings,
        ),
        (
            "tests/integration/recordings/../../../etc/x",
            RefusalKind::UnsafePath,
        ),
    ] {
        // Deletions are hostile too: a manifest must not be able to delete outside the globs.
        let bytes = ZipBuilder::new().manifest(7, &[], &[path]).finish();
        assert_eq!(refusal(&bytes).kind, kind, "{path}");
    }
    let bytes = zips::artifact(7, &[("src/lib.rs", b"x")]);
    assert_eq!(refusal(&bytes).kind, RefusalKind::OutsideRecordings);
}

#[test]
fn unparseable_manifest_is_refused() {
    let bytes = zip_of(&[(REC, b"x"), ("rerecord-manifest.json", b"{not json")]);
    let err = refusal(&bytes);
    assert_eq!(err.kind, RefusalKind::BadManifest);
    assert!(err.to_string().contains("rerecord-manifest.json"), "{err}");
}

#[test]
fn legacy_layouts_are_mapped_and_warned_about() {
    let layouts = [
        (
            "recordings/root.json",
            "tests/integration/recordings/root.json",
        ),
        (
            "agents/recordings/responses/x.json",
            "tests/integration/agents/recordings/responses/x.json",
        ),
        (
            "tests/integration/inference/recordings/y.json",
            "tests/integration/inference/recordings/y.json",
        ),
        (
            "providers/nvidia/recordings/z.json",
            "tests/integration/providers/nvidia/recordings/z.json",
        ),
    ];
    let files: Vec<(&str, &[u8])> = layouts.iter().map(|(old, _)| (*old, &b"1"[..])).collect();
    let bytes = zip_of(&files);
    let got = read("recordings-old", &bytes, None).unwrap();
    let paths: Vec<&str> = got.files.iter().map(|f| f.path.as_str()).collect();
    let mapped: Vec<&str> = layouts.iter().map(|(_, new)| *new).collect();
    assert_eq!(paths, mapped);
    assert_eq!(got.warnings.len(), 1);
    assert!(
        got.warnings[0].contains("could not be verified"),
        "{}",
        got.warnings[0]
    );
}

#[test]
fn legacy_root_level_files_need_a_prefix() {
    let bytes = zip_of(&[("x.json", b"1")]);
    let err = read("old", &bytes, None).unwrap_err();
    assert_eq!(err.kind, RefusalKind::Unmappable);
    assert!(
        err.to_string()
            .contains("--legacy-prefix tests/integration/MODULE/recordings"),
        "{err}"
    );
    let got = read("old", &bytes, Some("tests/integration/agents/recordings/")).unwrap();
    assert_eq!(
        got.files[0].path,
        "tests/integration/agents/recordings/x.json"
    );
}

#[test]
fn legacy_entries_mapping_to_one_file_are_duplicates() {
    let bytes = zip_of(&[
        ("recordings/x.json", b"1"),
        ("tests/integration/recordings/x.json", b"2"),
    ]);
    assert_eq!(
        read("old", &bytes, None).unwrap_err().kind,
        RefusalKind::Duplicate
    );
}

#[test]
fn legacy_files_outside_recordings_are_refused() {
    let bytes = zip_of(&[("tests/integration/client-typescript/package.json", b"{}")]);
    assert_eq!(
        read("old", &bytes, None).unwrap_err().kind,
        RefusalKind::OutsideRecordings
    );
}

fn verified(label: &str, files: &[(&str, &[u8])]) -> VerifiedArtifact {
    read(label, &zips::artifact(1, files), None).unwrap()
}

#[test]
fn merge_accepts_identical_duplicates_and_unions_the_rest() {
    let a = verified("recordings-1-1-record-0", &[(REC, b"same"), (REC2, b"b")]);
    let b = verified(
        "recordings-1-1-record-1",
        &[
            (REC, b"same"),
            ("tests/integration/recordings/c.json", b"c"),
        ],
    );
    let merged = merge(vec![a, b]).unwrap();
    assert_eq!(merged.files.len(), 3);
    assert_eq!(merged.manifests.len(), 2);
}

#[test]
fn merge_lists_every_conflicting_path() {
    let a = verified("recordings-a", &[(REC, b"one"), (REC2, b"b1")]);
    let b = verified("recordings-b", &[(REC, b"two"), (REC2, b"b2")]);
    let err = merge(vec![a, b]).unwrap_err();
    assert_eq!(err.0.len(), 2);
    let text = err.to_string();
    assert!(
        text.contains(REC) && text.contains(REC2) && text.contains("recordings-a vs recordings-b"),
        "{text}"
    );
}

/// A manifest-less artifact holding `files` at their legacy (zip-root) names.
fn legacy(label: &str, files: &[(&str, &[u8])]) -> VerifiedArtifact {
    read(label, &zip_of(files), None).unwrap()
}

#[test]
fn whole_folder_copies_equal_to_head_yield_to_the_other_artifacts_change() {
    let head = |path: &str| (path == REC || path == REC2).then(|| zips::sha256_hex(b"old"));
    // Each provider's artifact carries both folders; each changed only its own file.
    let a = legacy(
        "recordings-gpt",
        &[
            ("agents/recordings/a.json", b"gpt"),
            ("recordings/b.json", b"old"),
        ],
    );
    let b = legacy(
        "recordings-azure",
        &[
            ("agents/recordings/a.json", b"old"),
            ("recordings/b.json", b"azure"),
        ],
    );
    let c = legacy(
        "recordings-watsonx",
        &[
            ("agents/recordings/a.json", b"old"),
            ("recordings/b.json", b"old"),
        ],
    );
    let merged = merge_against(vec![c.clone(), a.clone(), b.clone()], head).unwrap();
    assert_eq!(merged.files[REC].sha256, zips::sha256_hex(b"gpt"));
    assert_eq!(merged.files[REC].artifact, "recordings-gpt");
    assert_eq!(merged.files[REC2].sha256, zips::sha256_hex(b"azure"));
    assert_eq!(merged.files[REC2].artifact, "recordings-azure");
    // Without the checkout's HEAD the same artifacts are a conflict: nothing says which is old.
    assert!(merge(vec![a, b, c]).is_err());
}

#[test]
fn two_different_changes_to_one_path_still_conflict() {
    let head = |path: &str| (path == REC).then(|| zips::sha256_hex(b"old"));
    let a = legacy("recordings-gpt", &[("agents/recordings/a.json", b"gpt")]);
    let b = legacy(
        "recordings-azure",
        &[("agents/recordings/a.json", b"azure")],
    );
    let c = legacy(
        "recordings-watsonx",
        &[("agents/recordings/a.json", b"old")],
    );
    let err = merge_against(vec![c, a, b], head).unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert_eq!(
        (err.0[0].first.as_str(), err.0[0].second.as_str()),
        ("recordings-gpt", "recordings-azure")
    );
}

#[test]
fn a_manifest_copy_equal_to_head_is_still_a_claimed_change() {
    let head = |path: &str| (path == REC).then(|| zips::sha256_hex(b"old"));
    let a = verified("recordings-a", &[(REC, b"old")]);
    let b = legacy("recordings-b", &[("agents/recordings/a.json", b"new")]);
    assert!(merge_against(vec![a, b], head).is_err());
}

#[test]
fn merge_refuses_write_versus_delete_and_case_twins() {
    let a = verified("recordings-a", &[(REC, b"one")]);
    let b = read(
        "recordings-b",
        &ZipBuilder::new().manifest(1, &[], &[REC]).finish(),
        None,
    )
    .unwrap();
    assert_eq!(
        merge(vec![a, b]).unwrap_err().0[0].reason,
        "written by one, deleted by the other"
    );
    let a = verified("recordings-a", &[(REC, b"one")]);
    let b = verified(
        "recordings-b",
        &[(&REC.replace("a.json", "A.json"), b"one")],
    );
    assert_eq!(
        merge(vec![a, b]).unwrap_err().0[0].reason,
        "names differ only in case or Unicode normalisation"
    );
}

#[test]
fn merge_refuses_nfc_and_nfd_spellings_of_one_name_even_in_one_artifact() {
    let nfc = REC.replace("a.json", "caf\u{e9}.json");
    let nfd = REC.replace("a.json", "cafe\u{301}.json");
    let one = verified("recordings-a", &[(&nfc, b"x"), (&nfd, b"y")]);
    let err = merge(vec![one]).unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert!(err.0[0].reason.contains("Unicode normalisation"), "{err}");
    let a = verified("recordings-a", &[(&nfc, b"x")]);
    let b = verified("recordings-b", &[(&nfd, b"x")]);
    assert!(merge(vec![a, b]).is_err());
}

#[test]
fn dot_git_lookalikes_are_refused_in_zips_and_manifests() {
    for name in [
        "tests/integration/recordings/.g\u{200c}it/config",
        "tests/integration/recordings/GIT~1/config",
        "tests/integration/recordings/.git::$INDEX_ALLOCATION/x",
        "tests/integration/recordings/.Git/hooks/post-checkout",
    ] {
        let zip = zips::artifact(1, &[(name, b"x")]);
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&zip).unwrap();
        let err = ArtifactZip::open("recordings-a", file.path(), Limits::default()).unwrap_err();
        assert!(err.to_string().contains(".git"), "{name:?}: {err}");
        assert_eq!(err.kind, RefusalKind::UnsafePath, "{name:?}");
        // Listed only in the manifest (as a deletion), it is refused too.
        let zip = ZipBuilder::new().manifest(1, &[], &[name]).finish();
        assert!(read("recordings-a", &zip, None).is_err(), "{name:?}");
    }
}

#[test]
fn legacy_prefix_must_be_a_recording_folder() {
    let g = globs();
    assert!(check_legacy_prefix("tests/integration/agents/recordings", &g).is_ok());
    assert!(check_legacy_prefix("../x", &g).is_err());
    assert!(check_legacy_prefix("src", &g).is_err());
}

#[test]
fn commit_message_names_run_setup_and_suite() {
    let mut incoming = Incoming::default();
    assert_eq!(incoming.commit_message(7), "Recordings from CI run 7");
    let m: crate::artifact::manifest::Manifest = serde_json::from_value(serde_json::json!({
        "version": 1, "repository": "o/r", "head_repository": "f/r", "head_ref": "b", "head_sha": "a",
        "checkout_sha": "c", "run_id": 7, "run_attempt": 1, "job": "j", "setup": "ollama", "suite": "base", "files": []
    }))
    .unwrap();
    incoming.manifests = vec![m.clone(), m.clone()];
    assert_eq!(
        incoming.commit_message(7),
        "Recordings from CI run 7 (ollama, base)"
    );
    let mut forged = m;
    forged.suite =
        "base\n\nSigned-off-by: Mallory <m@evil.example>\nCo-authored-by: x <x@y>".into();
    incoming.manifests = vec![forged];
    let message = incoming.commit_message(7);
    assert!(!message.contains('\n'), "{message}");
    assert!(
        message.lines().all(|l| !l.starts_with("Signed-off-by:")),
        "{message}"
    );
}
