//! Response bodies: GitHub's official examples (`templates/`, see its README) re-pointed at the
//! fake's repositories and base URL, with every field that state knows overridden.

use std::sync::OnceLock;

use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::PrState;
use super::state::{Artifact, Comment, Job, Pull, Repo, Run, State, Workflow};

macro_rules! template {
    ($name:literal) => {{
        static CELL: OnceLock<Value> = OnceLock::new();
        CELL.get_or_init(|| {
            serde_json::from_str(include_str!(concat!("templates/", $name, ".json")))
                .expect(concat!("template ", $name))
        })
        .clone()
    }};
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A stable 40-hex id for things the fake does not track (blob shas, node ids).
pub(crate) fn fake_sha(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    digest[..20].iter().map(|b| format!("{b:02x}")).collect()
}

fn node_id(kind: &str, id: u64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{kind}{id}"))
}

fn id_of(seed: &str) -> u64 {
    let d = Sha256::digest(seed.as_bytes());
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes")) % 100_000_000 + 1
}

/// Replaces substrings in every string of `v`, in order.
fn rewrite(v: &mut Value, pairs: &[(String, String)]) {
    match v {
        Value::String(s) => {
            for (from, to) in pairs {
                if s.contains(from.as_str()) {
                    *s = s.replace(from.as_str(), to);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite(x, pairs)),
        Value::Object(o) => o.values_mut().for_each(|x| rewrite(x, pairs)),
        _ => {}
    }
}

/// A `simple-user` for `login`, from the repository example's owner.
pub(crate) fn user(st: &State, login: &str) -> Value {
    let mut u = template!("full-repository")["owner"].clone();
    rewrite(
        &mut u,
        &[
            ("https://api.github.com".into(), st.api_base.clone()),
            ("octocat".into(), login.to_string()),
        ],
    );
    let id = id_of(login);
    u["login"] = json!(login);
    u["id"] = json!(id);
    u["node_id"] = json!(node_id("04:User", id));
    u["avatar_url"] = json!(format!("https://avatars.githubusercontent.com/u/{id}?v=4"));
    u["gravatar_id"] = json!("");
    u["site_admin"] = json!(false);
    if login.ends_with("[bot]") {
        u["type"] = json!("Bot");
    }
    u
}

/// Re-points a repository-shaped template object at `full`.
fn repo_like(st: &State, mut v: Value, full: &str) -> Value {
    let from_full = v["full_name"]
        .as_str()
        .unwrap_or("octocat/Hello-World")
        .to_string();
    let (owner, name) = full.split_once('/').unwrap_or((full, full));
    rewrite(
        &mut v,
        &[
            ("https://api.github.com".into(), st.api_base.clone()),
            (from_full.clone(), full.to_string()),
        ],
    );
    let known = st.repo(full);
    let id = known.map(|r| r.id).unwrap_or_else(|| id_of(full));
    v["id"] = json!(id);
    v["node_id"] = json!(node_id("010:Repository", id));
    v["name"] = json!(name);
    v["full_name"] = json!(full);
    v["owner"] = user(st, owner);
    v["private"] = json!(false);
    v["fork"] = json!(known.is_some_and(|r| r.parent.is_some()));
    let (api, web) = st.repo_urls(full);
    v["html_url"] = json!(web);
    v["url"] = json!(api);
    if v.get("default_branch").is_some() {
        let branch = known.map(|r| r.default_branch.as_str()).unwrap_or("main");
        v["default_branch"] = json!(branch);
    }
    v
}

/// GET /repos/{o}/{r}: `full-repository`, with `parent`/`source` for forks.
pub(crate) fn full_repository(st: &State, repo: &Repo) -> Value {
    let tpl = template!("full-repository");
    let mut v = repo_like(st, tpl.clone(), &repo.full_name);
    v["created_at"] = json!(ts(repo.created_at));
    v["updated_at"] = json!(ts(repo.created_at));
    v["pushed_at"] = json!(ts(repo.created_at));
    let obj = v.as_object_mut().expect("object");
    obj.remove("organization");
    obj.remove("template_repository");
    match &repo.parent {
        Some(parent) => {
            let mut source = parent.clone();
            while let Some(up) = st.repo(&source).and_then(|r| r.parent.clone()) {
                source = up;
            }
            v["parent"] = repo_like(st, tpl["parent"].clone(), parent);
            v["source"] = repo_like(st, tpl["source"].clone(), &source);
        }
        None => {
            obj.remove("parent");
            obj.remove("source");
        }
    }
    v
}

/// The `repository` shape used in a PR's head and base.
pub(crate) fn repository(st: &State, full: &str) -> Value {
    repo_like(st, template!("pull-request")["head"]["repo"].clone(), full)
}

/// The `minimal-repository` shape used in workflow runs.
pub(crate) fn minimal_repository(st: &State, full: &str) -> Value {
    repo_like(st, template!("workflow-run")["repository"].clone(), full)
}

pub(crate) fn branch(st: &State, repo: &Repo, name: &str, sha: &str) -> Value {
    let mut v = template!("branch-get");
    let full = &repo.full_name;
    let tpl_sha = v["commit"]["sha"].as_str().unwrap_or_default().to_string();
    let tpl_name = v["name"].as_str().unwrap_or_default().to_string();
    rewrite(
        &mut v,
        &[
            ("https://api.github.com".into(), st.api_base.clone()),
            ("octocat/Hello-World".into(), full.clone()),
            (tpl_sha, sha.to_string()),
            (format!("branches/{tpl_name}"), format!("branches/{name}")),
        ],
    );
    v["name"] = json!(name);
    v["commit"]["sha"] = json!(sha);
    v["commit"]["node_id"] = json!(node_id("06:Commit", id_of(sha)));
    v["protected"] = json!(false);
    v
}

pub(crate) fn git_ref(st: &State, repo: &Repo, git_ref: &str, sha: &str) -> Value {
    let (api, _) = st.repo_urls(&repo.full_name);
    json!({
        "ref": git_ref,
        "node_id": node_id("03:Ref", id_of(git_ref)),
        "url": format!("{api}/git/{git_ref}"),
        "object": {
            "type": "commit",
            "sha": sha,
            "url": format!("{api}/git/commits/{sha}"),
        }
    })
}

/// A PR: `pull-request-simple` for lists, `pull-request` (merged, mergeable, ...) when `full`.
pub(crate) fn pull(st: &State, repo: &Repo, p: &Pull, full: bool) -> Value {
    let mut v = if full {
        template!("pull-request")
    } else {
        template!("pull-request-simple")
    };
    let base_full = &repo.full_name;
    let tpl_number = format!("/{}", v["number"]);
    rewrite(
        &mut v,
        &[
            ("https://api.github.com".into(), st.api_base.clone()),
            (
                format!("octocat/Hello-World/pull{tpl_number}"),
                format!("{base_full}/pull/{}", p.number),
            ),
            (
                format!("octocat/Hello-World/pulls{tpl_number}"),
                format!("{base_full}/pulls/{}", p.number),
            ),
            (
                format!("octocat/Hello-World/issues{tpl_number}"),
                format!("{base_full}/issues/{}", p.number),
            ),
            ("octocat/Hello-World".into(), base_full.clone()),
        ],
    );
    let base_sha = repo
        .branches
        .get(&p.base_ref)
        .cloned()
        .unwrap_or_else(|| fake_sha(&p.base_ref));
    let author = p.head_owner.as_str();
    v["id"] = json!(p.id);
    v["node_id"] = json!(node_id("011:PullRequest", p.id));
    v["number"] = json!(p.number);
    v["state"] = json!(if p.state == PrState::Open {
        "open"
    } else {
        "closed"
    });
    v["title"] = json!(p.title);
    v["body"] = json!(p.body);
    v["draft"] = json!(p.draft);
    v["locked"] = json!(false);
    // Nobody was asked to review or assigned: the template's people would be noise.
    for list in [
        "requested_teams",
        "requested_reviewers",
        "assignees",
        "labels",
    ] {
        v[list] = json!([]);
    }
    v["labels"] = json!(
        p.labels
            .iter()
            .map(|l| label(st, base_full, l))
            .collect::<Vec<_>>()
    );
    v["assignee"] = Value::Null;
    v["milestone"] = Value::Null;
    v["auto_merge"] = Value::Null;
    v["user"] = user(st, p.author.as_deref().unwrap_or(author));
    v["created_at"] = json!(ts(p.created_at));
    v["updated_at"] = json!(ts(p.closed_at.unwrap_or(p.created_at)));
    v["closed_at"] = json!(p.closed_at.map(ts));
    v["merged_at"] = json!(p.merged_at.map(ts));
    v["merge_commit_sha"] = json!(p.merged_at.map(|_| fake_sha(&format!("merge{}", p.id))));
    v["head"] = head(st, p, author);
    v["base"] = base(st, repo, p, base_sha);
    if full {
        merge_fields(st, repo, p, &mut v);
    }
    v
}

/// A pull request's `head`: the head branch in the head repository.
fn head(st: &State, p: &Pull, author: &str) -> Value {
    json!({
        "label": format!("{author}:{}", p.head_ref),
        "ref": p.head_ref,
        "sha": p.head_sha,
        "user": user(st, author),
        "repo": p.head_repo.as_deref().map(|h| repository(st, h)),
    })
}

/// A pull request's `base`: the base branch of the repository.
fn base(st: &State, repo: &Repo, p: &Pull, base_sha: String) -> Value {
    let base_full = &repo.full_name;
    json!({
        "label": format!("{}:{}", repo.owner(), p.base_ref),
        "ref": p.base_ref,
        "sha": base_sha,
        "user": user(st, repo.owner()),
        "repo": repository(st, base_full),
    })
}

/// The fields only the full pull request has: merge state and comment count.
fn merge_fields(st: &State, repo: &Repo, p: &Pull, v: &mut Value) {
    v["merged"] = json!(p.state == PrState::Merged);
    v["mergeable"] = json!(p.state == PrState::Open);
    v["mergeable_state"] = json!(if p.state == PrState::Open {
        "clean"
    } else {
        "unknown"
    });
    v["merged_by"] = match p.state {
        PrState::Merged => user(st, repo.owner()),
        _ => Value::Null,
    };
    v["maintainer_can_modify"] = json!(p.maintainer_can_modify);
    v["comments"] = json!(repo.comments.iter().filter(|c| c.issue == p.number).count());
}

/// A label of `full`, from the pull request example's label.
pub(crate) fn label(st: &State, full: &str, name: &str) -> Value {
    let mut v = template!("pull-request")["labels"][0].clone();
    let id = id_of(&format!("label:{full}:{name}"));
    v["id"] = json!(id);
    v["node_id"] = json!(node_id("05:Label", id));
    let (api, _) = st.repo_urls(full);
    v["url"] = json!(format!("{api}/labels/{}", name.replace(' ', "%20")));
    v["name"] = json!(name);
    v["default"] = json!(false);
    v
}

pub(crate) fn workflow(st: &State, repo: &Repo, w: &Workflow, name: &str) -> Value {
    let (api, web) = st.repo_urls(&repo.full_name);
    let mut v = template!("workflow");
    v["id"] = json!(w.id);
    v["node_id"] = json!(node_id("08:Workflow", w.id));
    v["name"] = json!(name);
    v["path"] = json!(format!(".github/workflows/{}", w.file));
    v["state"] = json!(w.state);
    v["created_at"] = json!(ts(w.created_at));
    v["updated_at"] = json!(ts(w.created_at));
    v["url"] = json!(format!("{api}/actions/workflows/{}", w.id));
    let branch = &repo.default_branch;
    v["html_url"] = json!(format!("{web}/blob/{branch}/.github/workflows/{}", w.file));
    v["badge_url"] = json!(format!("{web}/workflows/{name}/badge.svg"));
    v
}

/// The title set or computed for the run; a `pull_request` run's is its PR's title (as GitHub
/// shows it); otherwise the workflow's name.
fn display_title(repo: &Repo, r: &Run, name: &str) -> String {
    if let Some(t) = &r.spec.display_title {
        return t.clone();
    }
    let pr = (r.spec.event == "pull_request")
        .then(|| {
            repo.pulls.iter().find(|p| {
                r.spec.pull_requests.contains(&p.number)
                    || (p.head_ref == r.spec.head_branch
                        && p.head_repo.as_deref() == Some(r.spec.head_repository.as_str()))
            })
        })
        .flatten();
    pr.map_or_else(|| name.to_owned(), |p| p.title.clone())
}

pub(crate) fn run(st: &State, repo: &Repo, r: &Run, name: &str) -> Value {
    let full = &repo.full_name;
    let mut v = template!("workflow-run");
    let tpl_id = v["id"].to_string();
    rewrite(
        &mut v,
        &[
            ("https://api.github.com".into(), st.api_base.clone()),
            (format!("runs/{tpl_id}"), format!("runs/{}", r.id)),
            ("octo-org/octo-repo".into(), full.clone()),
        ],
    );
    let (api, web) = st.repo_urls(&repo.full_name);
    v["id"] = json!(r.id);
    v["name"] = json!(name);
    v["node_id"] = json!(node_id("012:WorkflowRun", r.id));
    v["check_suite_id"] = json!(r.id + 1);
    v["head_branch"] = json!(r.spec.head_branch);
    v["head_sha"] = json!(r.spec.head_sha);
    v["path"] = json!(format!(".github/workflows/{}", r.spec.workflow));
    v["run_number"] = json!(r.run_number);
    v["run_attempt"] = json!(1);
    v["event"] = json!(r.spec.event);
    v["display_title"] = json!(display_title(repo, r, name));
    v["status"] = json!(r.spec.status);
    v["conclusion"] = json!(r.spec.conclusion);
    v["workflow_id"] = json!(r.workflow_id);
    v["url"] = json!(format!("{api}/actions/runs/{}", r.id));
    v["html_url"] = json!(format!("{web}/actions/runs/{}", r.id));
    v["workflow_url"] = json!(format!("{api}/actions/workflows/{}", r.workflow_id));
    v["created_at"] = json!(ts(r.spec.created_at));
    v["updated_at"] = json!(ts(r.updated_at));
    v["run_started_at"] = json!(ts(r.spec.created_at));
    v["referenced_workflows"] = json!([]);
    let actor = r.actor.as_deref().unwrap_or(repo.owner());
    v["actor"] = user(st, actor);
    v["triggering_actor"] = user(st, actor);
    v["pull_requests"] = r
        .spec
        .pull_requests
        .iter()
        .filter_map(|n| repo.pulls.iter().find(|p| p.number == *n))
        .map(|p| pull_minimal(st, repo, p))
        .collect();
    v["head_commit"]["id"] = json!(r.spec.head_sha);
    v["head_commit"]["tree_id"] = json!(fake_sha(&format!("tree{}", r.spec.head_sha)));
    v["head_commit"]["timestamp"] = json!(ts(r.spec.created_at));
    v["repository"] = minimal_repository(st, full);
    v["head_repository"] = if r.spec.head_repository.is_empty() {
        Value::Null
    } else {
        minimal_repository(st, &r.spec.head_repository)
    };
    v.as_object_mut()
        .expect("object")
        .remove("previous_attempt_url");
    v
}

fn pull_minimal(st: &State, repo: &Repo, p: &Pull) -> Value {
    let mini = |full: &str| {
        let id = st.repo(full).map(|r| r.id).unwrap_or_else(|| id_of(full));
        json!({"id": id, "url": st.repo_urls(full).0, "name": full.split('/').nth(1)})
    };
    let head = p.head_repo.as_deref().unwrap_or(&repo.full_name);
    json!({
        "id": p.id,
        "number": p.number,
        "url": format!("{}/pulls/{}", st.repo_urls(&repo.full_name).0, p.number),
        "head": {"ref": p.head_ref, "sha": p.head_sha, "repo": mini(head)},
        "base": {"ref": p.base_ref, "sha": repo.branches.get(&p.base_ref).cloned()
            .unwrap_or_else(|| fake_sha(&p.base_ref)), "repo": mini(&repo.full_name)},
    })
}

pub(crate) fn job(st: &State, repo: &Repo, r: &Run, j: &Job, workflow_name: &str) -> Value {
    let (api, web) = st.repo_urls(&repo.full_name);
    let mut v = template!("job");
    let done = j.status == "completed";
    v["id"] = json!(j.id);
    v["run_id"] = json!(r.id);
    v["run_url"] = json!(format!("{api}/actions/runs/{}", r.id));
    v["node_id"] = json!(node_id("08:CheckRun", j.id));
    v["head_sha"] = json!(r.spec.head_sha);
    v["head_branch"] = json!(r.spec.head_branch);
    v["url"] = json!(format!("{api}/actions/jobs/{}", j.id));
    v["html_url"] = json!(format!("{web}/actions/runs/{}/job/{}", r.id, j.id));
    v["check_run_url"] = json!(format!("{api}/check-runs/{}", j.id));
    v["status"] = json!(j.status);
    v["conclusion"] = json!(j.conclusion);
    v["name"] = json!(j.name);
    v["workflow_name"] = json!(workflow_name);
    v["created_at"] = json!(ts(j.created_at));
    v["started_at"] = json!(ts(j.created_at));
    v["completed_at"] = json!(done.then(|| ts(j.created_at)));
    v["steps"] = json!([]);
    v["run_attempt"] = json!(1);
    v
}

pub(crate) fn artifact(st: &State, repo: &Repo, a: &Artifact) -> Value {
    let (api, _) = st.repo_urls(&repo.full_name);
    let run = repo.runs.iter().find(|r| r.id == a.run_id);
    let expires = if a.expired {
        a.created_at - chrono::Duration::days(1)
    } else {
        a.created_at + chrono::Duration::days(7)
    };
    let head_repo_id = run
        .and_then(|r| st.repo(&r.spec.head_repository).map(|h| h.id))
        .unwrap_or(repo.id);
    let digest: String = Sha256::digest(&a.zip)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    json!({
        "id": a.id,
        "node_id": node_id("08:Artifact", a.id),
        "name": a.name,
        "size_in_bytes": a.zip.len(),
        "url": format!("{api}/actions/artifacts/{}", a.id),
        "archive_download_url": format!("{api}/actions/artifacts/{}/zip", a.id),
        "expired": a.expired,
        "created_at": ts(a.created_at),
        "updated_at": ts(a.created_at),
        "expires_at": ts(expires),
        "digest": format!("sha256:{digest}"),
        "workflow_run": {
            "id": a.run_id,
            "repository_id": repo.id,
            "head_repository_id": head_repo_id,
            "head_branch": run.map(|r| r.spec.head_branch.clone()),
            "head_sha": run.map(|r| r.spec.head_sha.clone()),
        }
    })
}

/// `content-file` with base64 content wrapped at 60 columns, as GitHub sends it.
pub(crate) fn content_file(
    st: &State,
    repo: &Repo,
    path: &str,
    git_ref: &str,
    bytes: &[u8],
) -> Value {
    let full = &repo.full_name;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut wrapped = String::new();
    for chunk in encoded.as_bytes().chunks(60) {
        wrapped.push_str(std::str::from_utf8(chunk).expect("base64 is ascii"));
        wrapped.push('\n');
    }
    let sha = fake_sha(&format!(
        "blob {}\0{}",
        bytes.len(),
        String::from_utf8_lossy(bytes)
    ));
    let (api, web) = st.repo_urls(&repo.full_name);
    let self_url = format!("{api}/contents/{path}?ref={git_ref}");
    let html = format!("{web}/blob/{git_ref}/{path}");
    let git = format!("{api}/git/blobs/{sha}");
    json!({
        "type": "file",
        "encoding": "base64",
        "size": bytes.len(),
        "name": path.rsplit('/').next().unwrap_or(path),
        "path": path,
        "content": wrapped,
        "sha": sha,
        "url": self_url,
        "git_url": git,
        "html_url": html,
        "download_url": format!("https://raw.githubusercontent.com/{full}/{git_ref}/{path}"),
        "_links": {"self": self_url, "git": git, "html": html},
    })
}

pub(crate) fn comment(st: &State, repo: &Repo, c: &Comment) -> Value {
    let (api, web) = st.repo_urls(&repo.full_name);
    let mut v = template!("issue-comment");
    v["id"] = json!(c.id);
    v["node_id"] = json!(node_id("012:IssueComment", c.id));
    v["url"] = json!(format!("{api}/issues/comments/{}", c.id));
    v["html_url"] = json!(format!("{web}/pull/{}#issuecomment-{}", c.issue, c.id));
    v["issue_url"] = json!(format!("{api}/issues/{}", c.issue));
    v["body"] = json!(c.body);
    v["user"] = user(st, &c.author);
    v["created_at"] = json!(ts(c.created_at));
    v["updated_at"] = json!(ts(c.updated_at));
    v["author_association"] = json!("CONTRIBUTOR");
    v.as_object_mut().expect("object").remove("reactions");
    v
}

pub(crate) fn private_user(st: &State) -> Value {
    let mut v = template!("private-user");
    let base = user(st, super::USER);
    for (k, val) in base.as_object().expect("object") {
        v[k] = val.clone();
    }
    v
}
