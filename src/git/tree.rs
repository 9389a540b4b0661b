//! Reading trees: entry look-ups by path that load each directory once.

use std::collections::HashMap;

use git2::{Oid, Repository, Tree};

/// Entry look-ups by path that load each directory's tree once. `Tree::get_path` re-reads every
/// tree on the way, and libgit2 caches no tree above 4 KiB, so a recordings folder of thousands
/// of files would be inflated again for each changed file.
pub struct TreeLookup<'r> {
    repo: &'r Repository,
    dirs: HashMap<String, Option<Tree<'r>>>,
}

impl<'r> TreeLookup<'r> {
    pub fn new(repo: &'r Repository, root: Tree<'r>) -> Self {
        let mut dirs = HashMap::new();
        dirs.insert(String::new(), Some(root));
        Self { repo, dirs }
    }

    /// The id of the entry at the `/`-separated `path`, if any.
    pub fn entry_id(&mut self, path: &str) -> Option<Oid> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        self.dir(dir)?.get_name(name).map(|e| e.id())
    }

    /// The git file mode of the entry at `path` (`0o040000` tree, `0o160000` gitlink, ...).
    pub fn entry_mode(&mut self, path: &str) -> Option<i32> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        self.dir(dir)?.get_name(name).map(|e| e.filemode())
    }

    /// The names of the entries of directory `dir` (`""` is the root); empty when it is none.
    pub fn names(&mut self, dir: &str) -> Vec<String> {
        self.dir(dir).map_or_else(Vec::new, |t| {
            t.iter()
                .filter_map(|e| e.name().ok().map(str::to_owned))
                .collect()
        })
    }

    fn dir(&mut self, dir: &str) -> Option<&Tree<'r>> {
        if !self.dirs.contains_key(dir) {
            let (parent, name) = dir.rsplit_once('/').unwrap_or(("", dir));
            let id = self
                .dir(parent)
                .and_then(|t| t.get_name(name))
                .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
                .map(|e| e.id());
            let tree = id.and_then(|id| self.repo.find_tree(id).ok());
            self.dirs.insert(dir.to_owned(), tree);
        }
        self.dirs.get(dir).and_then(Option::as_ref)
    }
}
