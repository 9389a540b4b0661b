//! Unit tests of the hostile-zip reader (kept apart so zip.rs stays readable).

use super::*;

use crate::artifact::zip::test_zips as zips;

use zips::ZipBuilder;

use crate::test_support::zip_of;

fn write_zip(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    f
}

fn open(bytes: &[u8]) -> Result<ArtifactZip, ArtifactRefusal> {
    let f = write_zip(bytes);
    ArtifactZip::open("recordings-1-1-record", f.path(), Limits::default())
}

fn stream_all(zip: &mut ArtifactZip) -> Result<Vec<Streamed>, ArtifactRefusal> {
    (0..zip.entries().len())
        .map(|i| zip.stream(i, &mut std::io::sink()))
        .collect()
}

#[test]
fn streams_entries_with_their_sha256_and_size() {
    let bytes = ZipBuilder::new()
        .file("a/recordings/x.json", b"{\"x\":1}")
        .stored("b", b"hello")
        .finish();
    let mut zip = open(&bytes).unwrap();
    let mut out = Vec::new();
    let got = zip
        .stream(zip.find("a/recordings/x.json").unwrap(), &mut out)
        .unwrap();
    assert_eq!(out, b"{\"x\":1}");
    assert_eq!(
        got,
        Streamed {
            size: 7,
            sha256: zips::sha256_hex(b"{\"x\":1}")
        }
    );
    let stored = zip
        .stream(zip.find("b").unwrap(), &mut std::io::sink())
        .unwrap();
    assert_eq!(stored.sha256, zips::sha256_hex(b"hello"));
}

#[test]
fn entry_names_that_escape_or_are_absolute_are_refused_when_opening() {
    for (name, kind, words) in [
        ("../evil", RefusalKind::UnsafePath, "escapes the repository"),
        (
            "a/../../evil",
            RefusalKind::UnsafePath,
            "escapes the repository",
        ),
        ("/etc/passwd", RefusalKind::UnsafePath, "absolute path"),
        ("a\\..\\evil", RefusalKind::UnsafePath, "backslash"),
        ("C:/evil", RefusalKind::UnsafePath, "drive letter"),
        ("a/./b", RefusalKind::UnsafePath, "normalised"),
        ("a//b", RefusalKind::UnsafePath, "normalised"),
        (".git/hooks/pre-commit", RefusalKind::UnsafePath, ".git"),
        ("x/.GIT/config", RefusalKind::UnsafePath, ".git"),
    ] {
        let bytes = zip_of(&[("ok.json", b"1"), (name, b"boom")]);
        let err = open(&bytes).unwrap_err();
        assert_eq!(err.kind, kind, "{name}");
        assert_eq!(err.entry.as_deref(), Some(name));
        let text = err.to_string();
        assert!(text.contains(words), "{name}: {text}");
        assert!(
            text.starts_with(&format!("artifact recordings-1-1-record: entry {name:?}")),
            "{text}"
        );
    }
}

#[test]
fn symlink_entries_are_refused() {
    let bytes = ZipBuilder::new()
        .symlink("recordings/link.json", "/etc/passwd")
        .finish();
    let err = open(&bytes).unwrap_err();
    assert_eq!(err.kind, RefusalKind::Symlink);
    assert_eq!(err.entry.as_deref(), Some("recordings/link.json"));
}

#[test]
fn duplicate_entry_names_are_refused() {
    let mut bytes = zip_of(&[("recordings/a.json", b"one"), ("recordings/b.json", b"two")]);
    zips::rename_entry_bytes(&mut bytes, "recordings/b.json", "recordings/a.json");
    let err = open(&bytes).unwrap_err();
    assert_eq!(err.kind, RefusalKind::Duplicate, "{err}");
    assert_eq!(err.entry.as_deref(), Some("recordings/a.json"), "{err}");
    assert!(err.to_string().contains("recordings/a.json"), "{err}");
}

#[test]
fn truncated_and_garbage_zips_are_refused_as_corrupt() {
    let bytes = zip_of(&[("recordings/a.json", &[7u8; 5000])]);
    for cut in [bytes.len() / 2, bytes.len() - 10, 3] {
        let err = open(&bytes[..cut]).unwrap_err();
        assert_eq!(err.kind, RefusalKind::Corrupt, "{err}");
        assert!(err.to_string().contains("truncated or corrupt"), "{err}");
    }
    assert_eq!(
        open(b"not a zip at all").unwrap_err().kind,
        RefusalKind::Corrupt
    );
}

#[test]
fn flipped_bytes_in_compressed_data_are_caught_while_streaming() {
    let data: Vec<u8> = (0..20_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let mut bytes = zip_of(&[("recordings/a.json", &data)]);
    bytes[200] ^= 0xff;
    let mut zip = open(&bytes).unwrap();
    let err = stream_all(&mut zip).unwrap_err();
    assert_eq!(err.kind, RefusalKind::Corrupt, "{err}");
}

#[test]
fn entries_over_the_file_limit_are_refused_even_if_declared_small() {
    let bytes = zip_of(&[("recordings/big.json", &vec![b'x'; 4096])]);
    let f = write_zip(&bytes);
    let limits = Limits {
        max_file_size: 1000,
        ..Limits::default()
    };
    let err = ArtifactZip::open("a", f.path(), limits).unwrap_err();
    assert_eq!(err.kind, RefusalKind::TooLarge);
    assert!(err.to_string().contains("--max-file-size"), "{err}");
}

#[test]
fn artifact_total_limit_is_enforced() {
    let bytes = ZipBuilder::new()
        .stored("a", &[1u8; 600])
        .stored("b", &[2u8; 600])
        .finish();
    let f = write_zip(&bytes);
    let limits = Limits {
        max_file_size: 1000,
        max_artifact_size: 1000,
        ..Limits::default()
    };
    let err = ArtifactZip::open("a", f.path(), limits).unwrap_err();
    assert_eq!(err.kind, RefusalKind::TooLarge, "{err}");
}

#[test]
fn the_run_total_counts_what_earlier_artifacts_unpacked() {
    let bytes = ZipBuilder::new().stored("a", &[1u8; 600]).finish();
    let f = write_zip(&bytes);
    let limits = Limits {
        max_total_size: 1000,
        ..Limits::default()
    };
    assert!(ArtifactZip::open_in_run("first", f.path(), limits, 0).is_ok());
    let err = ArtifactZip::open_in_run("second", f.path(), limits, 600).unwrap_err();
    assert_eq!(err.kind, RefusalKind::TooLarge, "{err}");
    assert!(err.to_string().contains("all artifacts of a run"), "{err}");
}

#[test]
fn millions_of_entries_are_refused_from_the_end_record_before_the_directory_is_read() {
    let f = write_zip(&zips::zip64_end_claiming(3_000_000, 1000));
    let started = std::time::Instant::now();
    let err = ArtifactZip::open("huge", f.path(), Limits::default()).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert!(
        err.to_string()
            .contains("3000000 entries by its end-of-central-directory record"),
        "{err}"
    );
    let f = write_zip(&zips::zip64_end_claiming(10, 1 << 40));
    let err = ArtifactZip::open("huge", f.path(), Limits::default()).unwrap_err();
    assert!(err.to_string().contains("central directory of"), "{err}");
}

#[test]
fn end_record_claims_of_a_real_zip_are_its_entries() {
    let bytes = zip_of(&[("a", b"1"), ("b", b"2"), ("c", b"3")]);
    let claims = claims_of(&bytes);
    assert_eq!(claims.entries, 3);
    assert!(claims.directory_size > 0 && claims.directory_size < bytes.len() as u64);
    // A second, lying end record hidden in the comment counts too.
    let mut lying = bytes.clone();
    let comment = zips::zip64_end_claiming(5_000_000, 0);
    let n = lying.len();
    lying[n - 2..].copy_from_slice(&(comment.len() as u16).to_le_bytes());
    lying.extend_from_slice(&comment);
    assert_eq!(claims_of(&lying).entries, 5_000_000);
}

/// What the end records of the zip file `bytes` claim.
fn claims_of(bytes: &[u8]) -> EndClaims {
    let f = write_zip(bytes);
    let mut file = std::fs::File::open(f.path()).unwrap();
    end_record_claims(&mut file, bytes.len() as u64).unwrap()
}

#[test]
fn zip_bombs_are_refused_by_measured_ratio() {
    let bytes = zip_of(&[("recordings/bomb.json", &zips::zeros(8 * 1024 * 1024))]);
    let mut zip = open(&bytes).unwrap();
    let mut out = Vec::new();
    let err = zip.stream(0, &mut out).unwrap_err();
    assert_eq!(err.kind, RefusalKind::ZipBomb, "{err}");
    // Stopped as soon as the ratio was crossed instead of inflating all 8 MiB.
    let threshold = RATIO_FLOOR.max(zip.entries()[0].compressed_size * MAX_RATIO);
    assert!(
        (out.len() as u64) <= threshold,
        "{} > {threshold}",
        out.len()
    );
    assert!(threshold < 8 * 1024 * 1024);
}

#[test]
fn well_compressed_small_files_are_not_bombs() {
    let bytes = zip_of(&[("recordings/zeros.json", &zips::zeros(512 * 1024))]);
    let mut zip = open(&bytes).unwrap();
    assert_eq!(stream_all(&mut zip).unwrap()[0].size, 512 * 1024);
}

#[test]
fn directory_entries_are_listed_as_directories() {
    let bytes = ZipBuilder::new()
        .dir("recordings/")
        .file("recordings/a.json", b"{}")
        .finish();
    let zip = open(&bytes).unwrap();
    assert!(
        zip.entries()
            .iter()
            .any(|e| e.is_dir && e.name == "recordings/")
    );
}

#[test]
fn names_with_colons_are_refused_as_windows_streams() {
    for bad in [
        "recordings/x.json:stream",
        "recordings/llama3.2:3b.json",
        "ab:c/x.json",
    ] {
        let why = check_entry_name(bad).unwrap_err();
        assert!(why.contains("colon"), "{bad}: {why}");
    }
    assert!(check_entry_name("recordings/").is_ok());
    assert!(check_entry_name("").is_err());
    assert!(check_entry_name("a/b\u{0}c").is_err());
}

#[test]
fn names_windows_would_alias_are_refused() {
    for bad in [
        "recordings/.git./config",
        "recordings/x.json ",
        "recordings/x.json.",
        "recordings/NUL",
        "recordings/con.json",
        "recordings/COM1.txt",
        "lpt9/recordings/x.json",
    ] {
        assert!(check_entry_name(bad).is_err(), "{bad}");
    }
    for fine in [
        "recordings/console.json",
        "recordings/com10.json",
        "recordings/COM0.json",
        "recordings/.hidden.json",
    ] {
        assert!(check_entry_name(fine).is_ok(), "{fine}");
    }
}
