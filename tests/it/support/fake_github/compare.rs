//! `GET /repos/{o}/{r}/compare/{base}...{head}` over real git repositories attached to the fake
//! (`FakeGitHub::attach_git`), as GitHub answers it: both commits may come from anywhere in the
//! repository's fork network; `status` is `identical`, `ahead`, `behind` or `diverged`;
//! `commits` (oldest first) are paginated with `per_page` (default 250) and `page`; `files` is
//! the diff from the merge base to `head`, at most 300 entries, on the first page only. Unknown
//! commits and unrelated histories answer 404. Line counts (`additions`, …) are not computed (0).
//! (Modelled on GitHub's documentation of "Compare two commits"; the operation is not in the
//! vendored REST subset.)

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use super::pagination::page_params;
use super::server::{Reply, Req};
use super::state::State;

const DOCS: &str = "https://docs.github.com/rest/commits/commits#compare-two-commits";
const MAX_FILES: usize = 300;

pub(crate) fn compare(st: &State, req: &Req, full: &str, basehead: &str) -> Reply {
    let Some((base, head)) = basehead.split_once("...") else {
        return Reply::error(404, "Not Found", DOCS);
    };
    let Some(dir) = network(st, full)
        .into_iter()
        .find(|d| has_commit(d, base) && has_commit(d, head))
    else {
        return Reply::error(404, "Not Found", DOCS);
    };
    let Some(merge_base) = git(&dir, &["merge-base", base, head]) else {
        return Reply::error(
            404,
            &format!("No common ancestor between {base} and {head}."),
            DOCS,
        );
    };
    let (ahead, behind, status) = divergence(&dir, base, head);
    let all: Vec<String> = git(&dir, &["rev-list", "--reverse", &format!("{base}..{head}")])
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    // At most 250 files a page, the default.
    let (per_page, page) = page_params(req, 250, 250);
    let (api, _) = st.repo_urls(full);
    let commits: Vec<Value> = all
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|sha| commit(&dir, &api, sha))
        .collect();
    let web = st.api_base.replace("/api/v3", "");
    let files = if page == 1 {
        files(&dir, &format!("{web}/{full}"), &api, &merge_base, head)
    } else {
        Vec::new()
    };
    let mut reply = Reply::json(
        200,
        json!({
            "url": format!("{api}/compare/{base}...{head}"),
            "html_url": format!("{web}/{full}/compare/{base}...{head}"),
            "permalink_url": format!("{web}/{full}/compare/{base}...{head}"),
            "diff_url": format!("{web}/{full}/compare/{base}...{head}.diff"),
            "patch_url": format!("{web}/{full}/compare/{base}...{head}.patch"),
            "base_commit": commit(&dir, &api, base),
            "merge_base_commit": commit(&dir, &api, &merge_base),
            "status": status,
            "ahead_by": ahead,
            "behind_by": behind,
            "total_commits": all.len(),
            "commits": commits,
            "files": files,
        }),
    );
    if page * per_page < all.len() {
        let next = format!(
            "{api}/compare/{base}...{head}?per_page={per_page}&page={}",
            page + 1
        );
        reply = reply.header("link", format!("<{next}>; rel=\"next\""));
    }
    reply
}

/// Commits `head` is ahead of and behind `base`, and the status GitHub names that by.
fn divergence(dir: &Path, base: &str, head: &str) -> (u64, u64, &'static str) {
    let count = |range: &str| {
        git(dir, &["rev-list", "--count", range])
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let (ahead, behind) = (
        count(&format!("{base}..{head}")),
        count(&format!("{head}..{base}")),
    );
    let status = match (ahead, behind) {
        (0, 0) => "identical",
        (_, 0) => "ahead",
        (0, _) => "behind",
        _ => "diverged",
    };
    (ahead, behind, status)
}

/// The git directories of `full` and of every repository in its fork network.
fn network(st: &State, full: &str) -> Vec<PathBuf> {
    let root = |name: &str| {
        let mut at = name.to_ascii_lowercase();
        while let Some(parent) = st.repos.get(&at).and_then(|r| r.parent.clone()) {
            at = parent.to_ascii_lowercase();
        }
        at
    };
    let ours = root(full);
    let mut dirs: Vec<(bool, PathBuf)> = st
        .git_dirs
        .iter()
        .filter(|(name, _)| root(name) == ours)
        .map(|(name, dir)| (!name.eq_ignore_ascii_case(full), dir.clone()))
        .collect();
    dirs.sort();
    dirs.into_iter().map(|(_, d)| d).collect()
}

fn has_commit(dir: &Path, sha: &str) -> bool {
    git(dir, &["cat-file", "-e", &format!("{sha}^{{commit}}")]).is_some()
}

fn commit(dir: &Path, api: &str, sha: &str) -> Value {
    let show = git(
        dir,
        &["show", "-s", "--format=%H%n%T%n%P%n%an%n%ae%n%aI%n%B", sha],
    )
    .unwrap_or_default();
    let mut lines = show.lines();
    let mut next = || lines.next().unwrap_or_default().to_owned();
    let (sha, tree, parents, name, email, date) = (next(), next(), next(), next(), next(), next());
    let message: Vec<String> = std::iter::from_fn(|| lines.next().map(str::to_owned)).collect();
    let person = json!({"name": name, "email": email, "date": date});
    json!({
        "sha": sha,
        "url": format!("{api}/commits/{sha}"),
        "commit": {
            "author": person, "committer": person,
            "message": message.join("\n").trim_end(),
            "tree": {"sha": tree, "url": format!("{api}/git/trees/{tree}")},
            "comment_count": 0,
        },
        "parents": parents.split_whitespace()
            .map(|p| json!({"sha": p, "url": format!("{api}/commits/{p}")}))
            .collect::<Vec<_>>(),
    })
}

/// The diff entries from `from` to `to` (`git diff --raw`: modes, blob ids, status, path).
fn files(dir: &Path, web: &str, api: &str, from: &str, to: &str) -> Vec<Value> {
    let out = git(
        dir,
        &[
            "diff",
            "--raw",
            "--no-renames",
            "--no-abbrev",
            "-z",
            from,
            to,
        ],
    )
    .unwrap_or_default();
    let fields: Vec<&str> = out.split('\0').filter(|f| !f.is_empty()).collect();
    fields
        .chunks(2)
        .take(MAX_FILES)
        .map(|pair| {
            // ":100644 100644 OLD NEW M"
            let meta: Vec<&str> = pair[0].split_whitespace().collect();
            let (old, new, letter) = (meta[2], meta[3], meta[4]);
            let status = match letter {
                "A" => "added",
                "D" => "removed",
                "T" => "changed",
                _ => "modified",
            };
            let path = pair.get(1).copied().unwrap_or_default();
            let sha = if letter == "D" { old } else { new };
            json!({
                "sha": sha,
                "filename": path,
                "status": status,
                "additions": 0,
                "deletions": 0,
                "changes": 0,
                "blob_url": format!("{web}/blob/{to}/{path}"),
                "raw_url": format!("{web}/raw/{to}/{path}"),
                "contents_url": format!("{api}/contents/{path}?ref={to}"),
            })
        })
        .collect()
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
}
