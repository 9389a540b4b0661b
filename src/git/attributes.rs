//! The clean side of `.gitattributes` for the blobs rerecord commits, read from the tree being
//! committed on (the tip's own `.gitattributes`, never a work tree's or a git config's).
//!
//! - `text`, `text=auto` and `eol=...` normalise CRLF to LF, as git's clean does.
//! - `filter=lfs` (Git LFS) stores the pointer git-lfs's clean would write; the objects to
//!   upload are returned to the caller (see [`super::lfs`]). No git-lfs program runs.
//! - Any other `filter=NAME` is refused: a clean filter is a command from git config, and the
//!   tip's `.gitattributes` is PR content, so rerecord runs none.
//!
//! Patterns follow gitattributes(5): a pattern without `/` matches the name at any depth below
//! its file's directory, one with `/` is relative to it; later lines and deeper files win;
//! `!attr` resets; `binary` is `-text -diff -merge`. `[attr]` macro definitions are ignored.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use git2::{Oid, Repository, Tree};
use globset::{GlobBuilder, GlobMatcher};

use super::lfs::{Object, Pending};
use super::tree::TreeLookup;

/// `.gitattributes` files larger than this are not read (git's own limit is 100 MB; these are
/// a few lines).
const MAX_ATTRIBUTES_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Set,
    Unset,
    Unspecified,
    Is(String),
}

struct Rule {
    matcher: GlobMatcher,
    attrs: Vec<(String, Value)>,
}

/// The attributes that decide how a file is cleaned.
#[derive(Debug, Default, PartialEq, Eq)]
struct Clean {
    text: Option<Value>,
    eol: Option<Value>,
    filter: Option<Value>,
}

/// The `.gitattributes` rules of one tree, read lazily per directory.
pub(crate) struct Attributes<'r> {
    lookup: TreeLookup<'r>,
    repo: &'r Repository,
    dirs: HashMap<String, Vec<Rule>>,
}

impl<'r> Attributes<'r> {
    pub(crate) fn new(repo: &'r Repository, tree: Tree<'r>) -> Self {
        Self {
            lookup: TreeLookup::new(repo, tree),
            repo,
            dirs: HashMap::new(),
        }
    }

    fn rules(&mut self, dir: &str) -> anyhow::Result<&[Rule]> {
        if !self.dirs.contains_key(dir) {
            let file = if dir.is_empty() {
                ".gitattributes".to_owned()
            } else {
                format!("{dir}/.gitattributes")
            };
            let rules = match self.lookup.entry_id(&file) {
                Some(id) => match self.repo.find_blob(id) {
                    Ok(blob) if blob.size() <= MAX_ATTRIBUTES_BYTES => {
                        parse(dir, &String::from_utf8_lossy(blob.content()))
                    }
                    Ok(_) => {
                        anyhow::bail!("{file} on the branch is over 1 MiB; refusing to read it")
                    }
                    // A submodule or a tree named .gitattributes: git reads no rules from it.
                    Err(_) => Vec::new(),
                },
                None => Vec::new(),
            };
            self.dirs.insert(dir.to_owned(), rules);
        }
        Ok(&self.dirs[dir])
    }

    fn clean_attrs(&mut self, path: &str) -> anyhow::Result<Clean> {
        let mut out = Clean::default();
        let mut dirs = vec![String::new()];
        let mut at = 0;
        while let Some(slash) = path[at..].find('/') {
            dirs.push(path[..at + slash].to_owned());
            at += slash + 1;
        }
        for dir in dirs {
            for rule in self.rules(&dir)? {
                if !rule.matcher.is_match(path) {
                    continue;
                }
                for (name, value) in &rule.attrs {
                    let slot = match name.as_str() {
                        "text" => &mut out.text,
                        "eol" => &mut out.eol,
                        "filter" => &mut out.filter,
                        _ => continue,
                    };
                    *slot = Some(value.clone());
                }
            }
        }
        Ok(out)
    }
}

/// Rules of the `.gitattributes` in `dir` (`""` the root).
fn parse(dir: &str, text: &str) -> Vec<Rule> {
    let mut rules = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(pattern) = words.next() else {
            continue;
        };
        if pattern.starts_with('#') || pattern.starts_with("[attr]") || pattern.starts_with('"') {
            continue;
        }
        let mut attrs = Vec::new();
        for word in words {
            let (name, value) = if let Some(name) = word.strip_prefix('-') {
                (name, Value::Unset)
            } else if let Some(name) = word.strip_prefix('!') {
                (name, Value::Unspecified)
            } else if let Some((name, v)) = word.split_once('=') {
                (name, Value::Is(v.to_owned()))
            } else {
                (word, Value::Set)
            };
            if name == "binary" && value == Value::Set {
                attrs.push(("text".to_owned(), Value::Unset));
            } else {
                attrs.push((name.to_owned(), value));
            }
        }
        let relative = pattern.trim_start_matches('/');
        let glob = match (
            relative.contains('/') || pattern.starts_with('/'),
            dir.is_empty(),
        ) {
            (true, true) => relative.to_owned(),
            (true, false) => format!("{dir}/{relative}"),
            (false, true) => format!("**/{relative}"),
            (false, false) => format!("{dir}/**/{relative}"),
        };
        // A pattern git would not understand matches nothing here either.
        if let Ok(glob) = GlobBuilder::new(&glob).literal_separator(true).build() {
            rules.push(Rule {
                matcher: glob.compile_matcher(),
                attrs,
            });
        }
    }
    rules
}

/// Whether git's clean would turn CRLF into LF for content with these attributes.
fn normalises(clean: &Clean, content: &[u8]) -> bool {
    match (&clean.text, &clean.eol) {
        (Some(Value::Unset), _) => false,
        (Some(Value::Set), _) => true,
        (Some(Value::Is(auto)), _) if auto == "auto" => !looks_binary(content),
        // `eol` alone makes a file text (gitattributes(5)).
        (_, Some(Value::Is(_))) => true,
        _ => false,
    }
}

/// git's `text=auto` test: a NUL byte or a CR not followed by LF.
fn looks_binary(content: &[u8]) -> bool {
    content.contains(&0)
        || content
            .iter()
            .enumerate()
            .any(|(i, &b)| b == b'\r' && content.get(i + 1) != Some(&b'\n'))
}

fn crlf_to_lf(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len());
    for (i, &b) in content.iter().enumerate() {
        if b == b'\r' && content.get(i + 1) == Some(&b'\n') {
            continue;
        }
        out.push(b);
    }
    out
}

/// How git's clean stores one file: its blob, and the LFS object to upload when the blob is a
/// pointer.
pub(crate) struct Cleaned {
    pub blob: Oid,
    pub lfs: Option<Pending>,
}

impl Attributes<'_> {
    /// The blob git's clean would store at `path` for the file `source`: the raw blob, one with
    /// CRLF normalised, or an LFS pointer; an error when the path has a clean filter other than
    /// LFS. `raw` is the id of `source`'s content when it was hashed already: the raw blob is
    /// then stored (once) only when the clean keeps it, and only if the file still has it.
    pub(crate) fn clean_file(
        &mut self,
        path: &str,
        source: &Path,
        raw: Option<Oid>,
    ) -> anyhow::Result<Cleaned> {
        let attrs = self.clean_attrs(path)?;
        match &attrs.filter {
            Some(Value::Is(filter)) if filter == "lfs" => return self.lfs_pointer(path, source),
            Some(Value::Is(filter)) => anyhow::bail!("{}", filter_refusal(path, filter)),
            _ => {}
        }
        let blob = match raw {
            Some(blob) if self.repo.odb()?.exists(blob) => blob,
            Some(blob) => {
                let stored = stream_blob(self.repo, source)
                    .with_context(|| format!("failed to store {path} in git"))?;
                anyhow::ensure!(
                    stored == blob,
                    "{path} changed while it was being committed; nothing was pushed. Re-run once \
                     nothing writes the recordings any more"
                );
                blob
            }
            None => self
                .repo
                .blob_path(source)
                .with_context(|| format!("failed to store {path} in git"))?,
        };
        let content = self
            .repo
            .find_blob(blob)
            .with_context(|| format!("failed to read the new {path}"))?;
        let content = content.content();
        let blob = if content.contains(&b'\r') && normalises(&attrs, content) {
            self.repo.blob(&crlf_to_lf(content))?
        } else {
            blob
        };
        Ok(Cleaned { blob, lfs: None })
    }

    /// git-lfs's clean: the pointer of the file's content (a file that is a pointer already
    /// passes through, as git-lfs lets it).
    fn lfs_pointer(&mut self, path: &str, source: &Path) -> anyhow::Result<Cleaned> {
        let object = Object::of_file(source).with_context(|| format!("failed to read {path}"))?;
        if object.size <= super::lfs::MAX_POINTER as u64 {
            let content =
                std::fs::read(source).with_context(|| format!("failed to read {path}"))?;
            if Object::from_pointer(&content).is_some() {
                return Ok(Cleaned {
                    blob: self.repo.blob(&content)?,
                    lfs: None,
                });
            }
        }
        let blob = self.repo.blob(object.pointer().as_bytes())?;
        let lfs = (object.size > 0).then(|| Pending {
            object,
            source: source.to_path_buf(),
        });
        Ok(Cleaned { blob, lfs })
    }

    /// Whether `path` has `filter=lfs`.
    pub(crate) fn tracks_with_lfs(&mut self, path: &str) -> anyhow::Result<bool> {
        Ok(matches!(&self.clean_attrs(path)?.filter, Some(Value::Is(f)) if f == "lfs"))
    }

    /// For a path tracked by Git LFS, the blob id of the pointer to the file `source`'s
    /// content: what a checkout with git-lfs holds at `path` is then unchanged. `None` for
    /// other paths.
    pub(crate) fn pointer_id(&mut self, path: &str, source: &Path) -> anyhow::Result<Option<Oid>> {
        if !self.tracks_with_lfs(path)? {
            return Ok(None);
        }
        let object = Object::of_file(source).with_context(|| format!("failed to read {path}"))?;
        Ok(Some(Oid::hash_object(
            git2::ObjectType::Blob,
            object.pointer().as_bytes(),
        )?))
    }
}

/// Store the file at `path` as a blob, streamed (memory stays flat whatever its size) and
/// unfiltered.
pub(crate) fn stream_blob(objects: &Repository, path: &Path) -> anyhow::Result<Oid> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("failed to read {}", path.display()))?;
    let mut writer = objects.blob_writer(None)?;
    std::io::copy(&mut file, &mut writer)
        .with_context(|| format!("failed to read {}", path.display()))?;
    Ok(writer.commit()?)
}

fn filter_refusal(path: &str, filter: &str) -> String {
    format!(
        "{path} has the clean filter {filter:?} on the branch (filter={filter} in \
         .gitattributes), and rerecord runs no filter command. Nothing was committed. Remove \
         the filter for the recordings, or commit them with git"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bare repository in `dir` and the id of a tree holding `files`.
    fn tree_of(dir: &Path, files: &[(&str, &str)]) -> (Repository, Oid) {
        let repo = Repository::init_bare(dir.join("r.git")).unwrap();
        let mut update = git2::build::TreeUpdateBuilder::new();
        for (p, text) in files {
            let blob = repo.blob(text.as_bytes()).unwrap();
            update.upsert(*p, blob, git2::FileMode::Blob);
        }
        let empty = repo.treebuilder(None).unwrap().write().unwrap();
        let tree = update
            .create_updated(&repo, &repo.find_tree(empty).unwrap())
            .unwrap();
        (repo, tree)
    }

    /// Recordings under `rec/` tracked by Git LFS.
    const LFS_RECORDINGS: &[(&str, &str)] = &[(".gitattributes", "rec/** filter=lfs -text\n")];

    fn attrs_of(files: &[(&str, &str)], path: &str) -> Clean {
        let dir = tempfile::tempdir().unwrap();
        let (repo, tree) = tree_of(dir.path(), files);
        let mut a = Attributes::new(&repo, repo.find_tree(tree).unwrap());
        a.clean_attrs(path).unwrap()
    }

    #[test]
    fn patterns_deeper_files_and_later_lines_decide() {
        let files = [
            (
                ".gitattributes",
                "*.json text eol=lf\ntests/**/recordings/** filter=lfs -text\n",
            ),
            ("tests/a/.gitattributes", "skip.json -filter !eol\n"),
            ("tests/a/recordings/x.json", "{}"),
        ];
        let lfs = attrs_of(&files, "tests/a/recordings/x.json");
        assert_eq!(lfs.filter, Some(Value::Is("lfs".into())));
        assert_eq!(lfs.text, Some(Value::Unset));
        let skip = attrs_of(&files, "tests/a/recordings/skip.json");
        assert_eq!(skip.filter, Some(Value::Unset));
        assert_eq!(skip.eol, Some(Value::Unspecified));
        let other = attrs_of(&files, "src/y.json");
        assert_eq!((other.text, other.filter), (Some(Value::Set), None));
        assert_eq!(attrs_of(&files, "README"), Clean::default());
    }

    #[test]
    fn lfs_paths_become_pointers_and_pointers_and_empty_files_pass_through() {
        let dir = tempfile::tempdir().unwrap();
        let (repo, tree) = tree_of(dir.path(), LFS_RECORDINGS);
        let mut a = Attributes::new(&repo, repo.find_tree(tree).unwrap());
        let file = |name: &str, content: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, content).unwrap();
            path
        };
        let content = file("content", b"{\"a\": 1}\n");
        let cleaned = a.clean_file("rec/a.json", &content, None).unwrap();
        let pending = cleaned.lfs.unwrap();
        let pointer = pending.object.pointer();
        assert!(pointer.starts_with("version https://git-lfs.github.com/spec/v1\n"));
        assert_eq!(
            repo.find_blob(cleaned.blob).unwrap().content(),
            pointer.as_bytes()
        );
        let id = a.pointer_id("rec/a.json", &content).unwrap();
        assert_eq!(id, Some(cleaned.blob));
        assert_eq!(a.pointer_id("src/a.json", &content).unwrap(), None);
        // A pointer is committed as it is, and an empty file is its own pointer.
        let as_pointer = file("pointer", pointer.as_bytes());
        let passed = a.clean_file("rec/b.json", &as_pointer, None).unwrap();
        assert_eq!(passed.blob, cleaned.blob);
        assert!(passed.lfs.is_none());
        let nothing = a
            .clean_file("rec/c.json", &file("empty", b""), None)
            .unwrap();
        assert!(nothing.lfs.is_none());
        assert!(repo.find_blob(nothing.blob).unwrap().content().is_empty());
        // Outside the LFS paths the raw content is stored.
        let raw = a.clean_file("src/a.json", &content, None).unwrap();
        assert_eq!(repo.find_blob(raw.blob).unwrap().content(), b"{\"a\": 1}\n");
    }

    #[test]
    fn a_hashed_file_is_stored_only_where_the_clean_keeps_it_and_only_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let (repo, tree) = tree_of(dir.path(), LFS_RECORDINGS);
        let mut a = Attributes::new(&repo, repo.find_tree(tree).unwrap());
        let path = dir.path().join("content");
        std::fs::write(&path, b"{\"a\": 1}\n").unwrap();
        let hashed = Oid::hash_file(git2::ObjectType::Blob, &path).unwrap();
        let odb = repo.odb().unwrap();
        // An LFS path keeps only the pointer: the content never becomes a blob.
        let lfs = a.clean_file("rec/a.json", &path, Some(hashed)).unwrap();
        assert!(lfs.lfs.is_some() && lfs.blob != hashed);
        assert!(!odb.exists(hashed));
        // Elsewhere it is stored under the id it was hashed with.
        let kept = a.clean_file("src/a.json", &path, Some(hashed)).unwrap();
        assert_eq!(kept.blob, hashed);
        assert!(odb.exists(hashed));
        // A file that changed since it was hashed is refused, not committed as it is now.
        std::fs::write(&path, b"{\"a\": 2}\n").unwrap();
        let hashed = Oid::hash_file(git2::ObjectType::Blob, &path).unwrap();
        std::fs::write(&path, b"{\"a\": 3}\n").unwrap();
        let err = a
            .clean_file("src/b.json", &path, Some(hashed))
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .contains("src/b.json changed while it was being committed"),
            "{err}"
        );
    }

    #[test]
    fn text_normalises_crlf_and_auto_leaves_binary_alone() {
        let text = Clean {
            text: Some(Value::Set),
            ..Clean::default()
        };
        let auto = Clean {
            text: Some(Value::Is("auto".into())),
            ..Clean::default()
        };
        assert!(normalises(&text, b"a\r\nb"));
        assert!(normalises(&auto, b"a\r\nb"));
        assert!(!normalises(&auto, b"a\r\n\0"));
        assert!(!normalises(&Clean::default(), b"a\r\nb"));
        assert_eq!(crlf_to_lf(b"a\r\nb\rc\r\n"), b"a\nb\rc\n");
    }
}
