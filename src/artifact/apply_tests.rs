//! Unit tests of planning against a real temporary repository, atomic apply and `--commit`.

use std::collections::BTreeMap;

use super::*;
use crate::artifact::verify::VerifiedFile;

const A: &str = "tests/integration/recordings/a.json";
const B: &str = "tests/integration/recordings/b.json";
const C: &str = "tests/integration/agents/recordings/c.json";
const D: &str = "tests/integration/recordings/d.json";
const OTHER: &str = "src/main.py";

struct Fixture {
    dir: tempfile::TempDir,
    repo: GitRepo,
    stage: tempfile::TempDir,
    next: usize,
}

fn write(root: &Path, path: &str, bytes: &[u8]) {
    let full = root.join(path);
    fs::create_dir_all(full.parent().unwrap()).unwrap();
    fs::write(full, bytes).unwrap();
}

fn sha(bytes: &[u8]) -> String {
    super::super::manifest::hex(&Sha256::digest(bytes))
}

impl Fixture {
    /// A repository whose HEAD has A="a", B="b", D="d" and OTHER.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let repo = GitRepo::init_for_tests(dir.path());
        for (p, b) in [(A, &b"a"[..]), (B, b"b"), (D, b"d"), (OTHER, b"print()")] {
            write(dir.path(), p, b);
        }
        repo.commit_all("initial");
        let stage = tempfile::tempdir_in(repo.git_dir()).unwrap();
        Self {
            dir,
            repo,
            stage,
            next: 0,
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `incoming` (unforced) is refused for exactly these local conflicts, in this order.
    fn assert_conflicts(&self, incoming: &Incoming, expected: &[(&str, &str)]) {
        let conflicts = plan(&self.repo, incoming, false)
            .unwrap_err()
            .downcast::<LocalConflicts>()
            .expect("a LocalConflicts error")
            .0;
        let conflicts: Vec<(&str, &str)> =
            conflicts.iter().map(|(p, k)| (p.as_str(), *k)).collect();
        assert_eq!(conflicts, expected);
    }

    fn incoming(&mut self, files: &[(&str, &[u8])], deleted: &[&str]) -> Incoming {
        let mut incoming = Incoming::default();
        for (path, bytes) in files {
            self.next += 1;
            let staged = self.stage.path().join(format!("s{}", self.next));
            fs::write(&staged, bytes).unwrap();
            let file = VerifiedFile {
                path: (*path).to_owned(),
                size: bytes.len() as u64,
                sha256: sha(bytes),
                staged: Some(staged),
                artifact: "recordings-1".to_owned(),
            };
            incoming.files.insert((*path).to_owned(), file);
        }
        for path in deleted {
            incoming
                .deleted
                .insert((*path).to_owned(), "recordings-1".to_owned());
        }
        incoming
    }

    /// Every file of the work tree (outside .git) with its bytes.
    fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
            for entry in fs::read_dir(dir).unwrap() {
                let entry = entry.unwrap();
                let path = entry.path();
                if entry.file_name() == ".git" {
                    continue;
                }
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if path.is_dir() {
                    out.insert(format!("{rel}/"), Vec::new());
                    walk(root, &path, out);
                } else {
                    out.insert(rel, fs::read(&path).unwrap());
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(self.root(), self.root(), &mut out);
        out
    }

    fn scratch(&self) -> tempfile::TempDir {
        tempfile::tempdir_in(self.repo.git_dir()).unwrap()
    }
}

fn statuses(plan: &Plan) -> Vec<(&str, Change)> {
    plan.files
        .iter()
        .map(|f| (f.path.as_str(), f.status))
        .collect()
}

#[test]
fn plan_classifies_added_updated_unchanged_and_deleted() {
    let mut fx = Fixture::new();
    let incoming = fx.incoming(
        &[(A, b"a"), (B, b"b2"), (C, b"c")],
        &[D, "tests/integration/recordings/never.json"],
    );
    let plan = plan(&fx.repo, &incoming, false).unwrap();
    assert_eq!(
        statuses(&plan),
        [
            (C, Change::Added),
            (A, Change::Unchanged),
            (B, Change::Updated),
            (D, Change::Deleted)
        ]
    );
    let count = |change| plan.files.iter().filter(|f| f.status == change).count();
    assert_eq!((count(Change::Added), count(Change::Unchanged)), (1, 1));
}

#[test]
fn local_modification_is_a_conflict_unless_forced() {
    let mut fx = Fixture::new();
    write(fx.root(), B, b"my local edit");
    let incoming = fx.incoming(&[(B, b"from ci")], &[]);
    let err = plan(&fx.repo, &incoming, false).unwrap_err();
    let conflicts = err
        .downcast_ref::<LocalConflicts>()
        .expect("a LocalConflicts error");
    assert_eq!(conflicts.0, [(B.to_owned(), "modified")]);
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(
        statuses(&plan(&fx.repo, &incoming, true).unwrap()),
        [(B, Change::Updated)]
    );
}

#[test]
fn local_modification_identical_to_incoming_is_unchanged() {
    let mut fx = Fixture::new();
    write(fx.root(), B, b"same as ci");
    write(fx.root(), C, b"untracked but same");
    let incoming = fx.incoming(&[(B, b"same as ci"), (C, b"untracked but same")], &[]);
    let plan = plan(&fx.repo, &incoming, false).unwrap();
    assert_eq!(
        statuses(&plan),
        [(C, Change::Unchanged), (B, Change::Unchanged)]
    );
    assert!(plan.is_noop());
}

#[test]
fn untracked_differing_file_and_locally_deleted_file_conflict() {
    let mut fx = Fixture::new();
    write(fx.root(), C, b"untracked");
    fs::remove_file(fx.root().join(B)).unwrap();
    let incoming = fx.incoming(&[(C, b"ci"), (B, b"ci")], &[]);
    fx.assert_conflicts(&incoming, &[(C, "untracked"), (B, "deleted locally")]);
}

#[test]
fn deleting_a_locally_modified_file_is_a_conflict() {
    let mut fx = Fixture::new();
    write(fx.root(), D, b"edited");
    let incoming = fx.incoming(&[], &[D]);
    fx.assert_conflicts(&incoming, &[(D, "modified")]);
}

#[cfg(unix)]
#[test]
fn symlinked_folder_in_the_checkout_is_never_written_through() {
    let mut fx = Fixture::new();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), fx.root().join("tests/integration/agents")).unwrap();
    let incoming = fx.incoming(&[(C, b"c")], &[]);
    let err = plan(&fx.repo, &incoming, true).unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
}

#[test]
fn apply_moves_exactly_the_planned_files() {
    let mut fx = Fixture::new();
    let before = fx.snapshot();
    let incoming = fx.incoming(&[(A, b"a"), (B, b"b2"), (C, b"c")], &[D]);
    let plan = plan(&fx.repo, &incoming, false).unwrap();
    let scratch = fx.scratch();
    apply(fx.root(), &plan, scratch.path()).unwrap();
    let mut expected = before;
    expected.insert(B.to_owned(), b"b2".to_vec());
    expected.insert("tests/integration/agents/".to_owned(), Vec::new());
    expected.insert(
        "tests/integration/agents/recordings/".to_owned(),
        Vec::new(),
    );
    expected.insert(C.to_owned(), b"c".to_vec());
    expected.remove(D);
    assert_eq!(fx.snapshot(), expected);
}

#[test]
fn failed_apply_restores_the_work_tree_byte_for_byte() {
    let mut fx = Fixture::new();
    let before = fx.snapshot();
    let incoming = fx.incoming(
        &[
            (B, b"b2"),
            (C, b"c"),
            ("tests/integration/recordings/z.json", b"z"),
        ],
        &[D],
    );
    let plan = plan(&fx.repo, &incoming, false).unwrap();
    // The last staged file vanishes: the first moves have happened when this one fails.
    fs::remove_file(
        incoming.files["tests/integration/recordings/z.json"]
            .staged
            .as_ref()
            .unwrap(),
    )
    .unwrap();
    let scratch = fx.scratch();
    let err = apply(fx.root(), &plan, scratch.path()).unwrap_err();
    assert!(format!("{err:#}").contains("restored"), "{err:#}");
    assert_eq!(fx.snapshot(), before);
}

#[test]
fn commit_contains_exactly_the_applied_files() {
    let mut fx = Fixture::new();
    // Unrelated work: a staged edit and an unstaged edit that must stay out of the commit.
    write(fx.root(), OTHER, b"print('staged')");
    fx.repo.stage(&[OTHER]);
    write(fx.root(), "README", b"unstaged");
    let incoming = fx.incoming(&[(A, b"a"), (B, b"b2"), (C, b"c")], &[D]);
    let plan = plan(&fx.repo, &incoming, false).unwrap();
    let scratch = fx.scratch();
    apply(fx.root(), &plan, scratch.path()).unwrap();
    let oid = commit(&fx.repo, &plan, "Recordings from CI run 42 (ollama, base)")
        .unwrap()
        .unwrap();
    let (message, changed) = fx.repo.commit_changes(oid);
    assert_eq!(message, "Recordings from CI run 42 (ollama, base)");
    assert_eq!(changed, [C, B, D]);
    // The recordings are clean now; the unrelated staged edit is still staged, not committed.
    assert_eq!(fx.repo.path_status(B), (true, false));
    assert_eq!(fx.repo.path_status(OTHER), (false, true));
    assert_eq!(fx.repo.staged_blob(D).unwrap(), None);
}

#[test]
fn nothing_to_commit_creates_no_commit() {
    let mut fx = Fixture::new();
    let head = fx.repo.head_sha();
    let incoming = fx.incoming(&[(A, b"a")], &[]);
    let plan = plan(&fx.repo, &incoming, false).unwrap();
    assert_eq!(commit(&fx.repo, &plan, "x").unwrap(), None);
    assert_eq!(fx.repo.head_sha(), head);
}

#[test]
fn staged_edits_and_new_staged_files_are_conflicts_too() {
    let mut fx = Fixture::new();
    write(fx.root(), B, b"staged edit");
    write(fx.root(), C, b"staged new file");
    fx.repo.stage(&[B, C]);
    // The work tree matches the incoming bytes for B, but the index does not match HEAD.
    write(fx.root(), B, b"from ci");
    let incoming = fx.incoming(&[(B, b"other"), (C, b"ci")], &[]);
    fx.assert_conflicts(&incoming, &[(C, "staged, not committed"), (B, "modified")]);
}

#[test]
fn a_submodule_in_head_is_never_replaced_even_when_not_checked_out() {
    let mut fx = Fixture::new();
    // A gitlink at tests/integration/recordings/vendor, never initialised: nothing on disk.
    let link = "tests/integration/recordings/vendor";
    fx.repo.commit_gitlink(link);
    assert!(!fx.root().join(link).exists());

    for (files, deleted) in [(&[(link, &b"x"[..])][..], &[][..]), (&[][..], &[link][..])] {
        let incoming = fx.incoming(files, deleted);
        let err = plan(&fx.repo, &incoming, true).unwrap_err().to_string();
        assert!(err.contains("is a submodule"), "{err}");
    }
}
