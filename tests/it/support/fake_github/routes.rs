//! Routing by path segments (so multi-segment `contents/{path}`, `git/ref/{ref}` and branch
//! names with slashes work) and the repository, pull request, contents and comment endpoints.
//! Actions endpoints live in `actions.rs`.

use chrono::Utc;
use serde_json::{Value, json};

use super::pagination::paged_reply;
use super::render;
use super::server::{DOCS, Reply, Req};
use super::state::{Comment, Pull, State};
use super::{PrState, actions};

pub(crate) fn route(st: &mut State, req: &Req) -> Reply {
    let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["user"]) if st.job_token => Reply::error(
            403,
            "Resource not accessible by integration",
            "https://docs.github.com/rest/users/users#get-the-authenticated-user",
        ),
        ("GET", ["user"]) => {
            Reply::json(200, render::private_user(st)).header("x-oauth-scopes", st.scopes.clone())
        }
        ("GET", ["orgs", org, "teams", slug, "memberships", user]) => {
            super::command::team_membership(st, org, slug, user)
        }
        (method, ["repos", owner, name, ..])
            if st
                .moved
                .contains_key(&format!("{owner}/{name}").to_ascii_lowercase()) =>
        {
            moved(st, req, &format!("{owner}/{name}"), method)
        }
        (method, ["repos", owner, name, rest @ ..]) => {
            let full = format!("{owner}/{name}");
            match st.repo(&full) {
                Some(repo) => {
                    let full = repo.full_name.clone();
                    repo_route(st, req, &full, method, rest)
                }
                None => Reply::not_found(),
            }
        }
        _ => Reply::not_found(),
    }
}

/// A renamed repository's old name: 301 for GET, 307 for other methods, to the same path under
/// the new name (query kept), with GitHub's body.
fn moved(st: &State, req: &Req, old: &str, method: &str) -> Reply {
    let (new, base) = &st.moved[&old.to_ascii_lowercase()];
    // The raw path after `/repos/OWNER/NAME`, as the client sent it.
    let rest: Vec<&str> = req.path.split('/').skip(4).collect();
    let mut location = format!("{}/repos/{new}", base.as_deref().unwrap_or(&st.api_base));
    if !rest.is_empty() {
        location = format!("{location}/{}", rest.join("/"));
    }
    if let Some(q) = &req.raw_query {
        location = format!("{location}?{q}");
    }
    let (status, message) = if method == "GET" || method == "HEAD" {
        (301, "Moved Permanently")
    } else {
        (307, "Temporary Redirect")
    };
    Reply::json(
        status,
        json!({"message": message, "url": location, "documentation_url": DOCS}),
    )
    .header("location", location)
}

fn repo_route(st: &mut State, req: &Req, full: &str, method: &str, rest: &[&str]) -> Reply {
    match (method, rest) {
        ("GET", []) => {
            let repo = st.repo(full).expect("checked");
            Reply::json(200, render::full_repository(st, repo))
        }
        ("GET", ["branches", branch @ ..]) if !branch.is_empty() => {
            get_branch(st, full, &branch.join("/"))
        }
        ("GET", ["git", "ref", git_ref @ ..]) if !git_ref.is_empty() => {
            get_ref(st, full, &git_ref.join("/"))
        }
        ("GET", ["compare", basehead]) => super::compare::compare(st, req, full, basehead),
        ("GET", ["pulls"]) => list_pulls(st, req, full),
        ("POST", ["pulls"]) => create_pull(st, req, full),
        ("GET", ["pulls", number]) => {
            let repo = st.repo(full).expect("checked");
            match repo.pulls.iter().find(|p| p.number.to_string() == *number) {
                Some(p) => Reply::json(200, render::pull(st, repo, p, true)),
                None => Reply::not_found(),
            }
        }
        ("GET", ["contents", path @ ..]) if !path.is_empty() => {
            get_contents(st, req, full, &path.join("/"))
        }
        ("GET", ["actions", rest @ ..]) | ("POST", ["actions", rest @ ..]) => {
            actions::route(st, req, full, rest)
        }
        ("GET", ["issues", number, "comments"]) => list_comments(st, req, full, number),
        ("POST", ["issues", number, "comments"]) => create_comment(st, req, full, number),
        ("PATCH", ["issues", "comments", id]) => update_comment(st, req, full, id),
        ("POST", ["issues", "comments", id, "reactions"]) => {
            super::command::create_reaction(st, req, full, id)
        }
        ("GET", ["collaborators", user, "permission"]) => {
            super::command::permission(st, full, user)
        }
        ("GET", ["commits", git_ref]) => super::command::get_commit(st, full, git_ref),
        _ => Reply::not_found(),
    }
}

fn get_branch(st: &State, full: &str, branch: &str) -> Reply {
    let repo = st.repo(full).expect("checked");
    let Some(sha) = repo.branches.get(branch) else {
        let docs = "https://docs.github.com/rest/branches/branches#get-a-branch";
        return Reply::error(404, "Branch not found", docs);
    };
    Reply::json(200, render::branch(st, repo, branch, sha))
}

fn get_ref(st: &State, full: &str, git_ref: &str) -> Reply {
    let repo = st.repo(full).expect("checked");
    let branch = git_ref.strip_prefix("heads/");
    let Some(sha) = branch.and_then(|b| repo.branches.get(b)) else {
        let docs = "https://docs.github.com/rest/git/refs#get-a-reference";
        return Reply::error(404, "Not Found", docs);
    };
    let full_ref = format!("refs/{git_ref}");
    Reply::json(200, render::git_ref(st, repo, &full_ref, sha))
}

/// `head=OWNER:REF` matches the head repository's owner and the branch; GitHub ignores a
/// `head` without an owner prefix for cross-repo matching, so we match the ref in any repo.
fn list_pulls(st: &State, req: &Req, full: &str) -> Reply {
    let repo = st.repo(full).expect("checked");
    let state = req.q("state").unwrap_or("open");
    if !matches!(state, "open" | "closed" | "all") {
        return Reply::validation(
            "Validation Failed",
            json!([{"resource": "Issue", "field": "state", "code": "invalid"}]),
        );
    }
    let head = req.q("head").map(|h| match h.split_once(':') {
        Some((owner, branch)) => (Some(owner.to_ascii_lowercase()), branch.to_string()),
        None => (None, h.to_string()),
    });
    let mut matching: Vec<&Pull> = repo
        .pulls
        .iter()
        .filter(|p| match state {
            "open" => p.state == PrState::Open,
            "closed" => p.state != PrState::Open,
            _ => true,
        })
        .filter(|p| match &head {
            None => true,
            Some((owner, branch)) => {
                let head_owner = Some(p.head_owner.to_ascii_lowercase());
                p.head_ref == *branch
                    && owner
                        .as_ref()
                        .is_none_or(|o| Some(o) == head_owner.as_ref())
            }
        })
        .filter(|p| req.q("base").is_none_or(|b| p.base_ref == b))
        .collect();
    matching.sort_by_key(|p| std::cmp::Reverse((p.created_at, p.number)));
    if req.q("direction") == Some("asc") {
        matching.reverse();
    }
    paged_reply(matching, req, &st.page_base(), None, |p| {
        render::pull(st, repo, p, false)
    })
}

/// The repository and branch a `head` of `branch` or `owner:branch` names (the repository
/// `None` when no such owner's copy exists).
fn resolve_head(st: &State, full: &str, head: &str) -> (Option<String>, String) {
    match head.split_once(':') {
        Some((owner, branch)) => {
            let name = full.split('/').nth(1).unwrap_or_default();
            let candidate = format!("{owner}/{name}");
            let found = st
                .repos
                .values()
                .find(|r| {
                    r.owner().eq_ignore_ascii_case(owner)
                        && (r.full_name.eq_ignore_ascii_case(&candidate) || r.parent.is_some())
                })
                .map(|r| r.full_name.clone());
            (found, branch.to_string())
        }
        None => (Some(full.to_string()), head.to_string()),
    }
}

/// Whether `full` has an open pull request from `head_repo:head_ref`.
fn has_open_pull(st: &State, full: &str, head_repo: &str, head_ref: &str) -> bool {
    st.repo(full).expect("checked").pulls.iter().any(|p| {
        p.state == PrState::Open
            && p.head_ref == head_ref
            && p.head_repo
                .as_deref()
                .is_some_and(|h| h.eq_ignore_ascii_case(head_repo))
    })
}

fn create_pull(st: &mut State, req: &Req, full: &str) -> Reply {
    let body = req.body.clone().unwrap_or(Value::Null);
    let field = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_string);
    let missing = |f: &str| {
        Reply::validation(
            "Validation Failed",
            json!([{"resource": "PullRequest", "field": f, "code": "missing_field"}]),
        )
    };
    let Some(head) = field("head") else {
        return missing("head");
    };
    let Some(base) = field("base") else {
        return missing("base");
    };
    let (head_repo, head_ref) = resolve_head(st, full, &head);
    let invalid = |f: &str| {
        Reply::validation(
            "Validation Failed",
            json!([{"resource": "PullRequest", "field": f, "code": "invalid"}]),
        )
    };
    let Some(head_repo) = head_repo else {
        return invalid("head");
    };
    let Some(head_sha) = st
        .repo(&head_repo)
        .and_then(|r| r.branches.get(&head_ref))
        .cloned()
    else {
        return invalid("head");
    };
    if !st.repo(full).expect("checked").branches.contains_key(&base) {
        return invalid("base");
    }
    if has_open_pull(st, full, &head_repo, &head_ref) {
        return Reply::validation(
            "Validation Failed",
            json!([{"resource": "PullRequest", "code": "custom",
                    "message": format!("A pull request already exists for {head}.")}]),
        );
    }
    let id = st.next_id();
    let repo = st.repo_mut(full);
    let number = repo.next_issue_number();
    repo.pulls.push(Pull {
        number,
        id,
        head_owner: head_repo.split('/').next().unwrap_or_default().to_string(),
        author: None,
        head_repo: Some(head_repo),
        head_ref,
        head_sha,
        base_ref: base,
        state: PrState::Open,
        maintainer_can_modify: body
            .get("maintainer_can_modify")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        title: field("title").unwrap_or_default(),
        body: field("body"),
        draft: body.get("draft").and_then(Value::as_bool).unwrap_or(false),
        labels: Vec::new(),
        created_at: Utc::now(),
        closed_at: None,
        merged_at: None,
    });
    let repo = st.repo(full).expect("checked");
    let p = repo.pulls.last().expect("just pushed");
    let location = format!("{}/pulls/{number}", st.repo_urls(full).0);
    Reply::json(201, render::pull(st, repo, p, true)).header("location", location)
}

fn get_contents(st: &State, req: &Req, full: &str, path: &str) -> Reply {
    let repo = st.repo(full).expect("checked");
    let git_ref = req.q("ref").unwrap_or(&repo.default_branch).to_string();
    let not_found = || {
        Reply::error(
            404,
            "Not Found",
            "https://docs.github.com/rest/repos/contents#get-repository-content",
        )
    };
    let known_ref = repo.branch_sha(&git_ref).is_some()
        || repo.branches.values().any(|s| *s == git_ref)
        || repo.files.keys().any(|(r, _)| *r == git_ref);
    if !known_ref {
        return Reply::error(
            404,
            &format!("No commit found for the ref {git_ref}"),
            "https://docs.github.com/rest/repos/contents#get-repository-content",
        );
    }
    let Some(bytes) = repo.file_at(&git_ref, path) else {
        return not_found();
    };
    if req.accept.contains("application/vnd.github.raw") {
        let mut reply = Reply::empty(200);
        reply.body = bytes.clone();
        reply.content_type = Some("application/vnd.github.raw; charset=utf-8");
        return reply;
    }
    Reply::json(200, render::content_file(st, repo, path, &git_ref, bytes))
}

fn list_comments(st: &State, req: &Req, full: &str, number: &str) -> Reply {
    let repo = st.repo(full).expect("checked");
    let Some(number) = number.parse::<u64>().ok().filter(|n| repo.issue_exists(*n)) else {
        return Reply::not_found();
    };
    let comments: Vec<&Comment> = repo.comments.iter().filter(|c| c.issue == number).collect();
    paged_reply(comments, req, &st.page_base(), None, |c| {
        render::comment(st, repo, c)
    })
}

/// GitHub's limit on an issue comment's body, in characters.
pub const COMMENT_BODY_LIMIT: usize = 65_536;

fn comment_body(req: &Req) -> Result<String, Reply> {
    let body = req
        .body
        .as_ref()
        .and_then(|b| b.get("body"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            Reply::validation("Invalid request.\n\n\"body\" wasn't supplied.", Value::Null)
        })?;
    // As GitHub refuses it (a `validation-error` of the REST description).
    if body.chars().count() > COMMENT_BODY_LIMIT {
        return Err(Reply::validation(
            "Validation Failed",
            json!([{
                "resource": "IssueComment",
                "code": "custom",
                "field": "body",
                "message": format!("body is too long (maximum is {COMMENT_BODY_LIMIT} characters)"),
            }]),
        ));
    }
    Ok(body)
}

fn create_comment(st: &mut State, req: &Req, full: &str, number: &str) -> Reply {
    let exists = st.repo(full).expect("checked");
    let Some(number) = number
        .parse::<u64>()
        .ok()
        .filter(|n| exists.issue_exists(*n))
    else {
        return Reply::not_found();
    };
    let body = match comment_body(req) {
        Ok(b) => b,
        Err(reply) => return reply,
    };
    let author = st.token_login();
    let id = st.add_comment(full, number, &body, author);
    let repo = st.repo(full).expect("checked");
    let c = repo.comment(id).expect("just added");
    let location = format!("{}/issues/comments/{id}", st.repo_urls(full).0);
    Reply::json(201, render::comment(st, repo, c)).header("location", location)
}

fn update_comment(st: &mut State, req: &Req, full: &str, id: &str) -> Reply {
    let body = match comment_body(req) {
        Ok(b) => b,
        Err(reply) => return reply,
    };
    let repo = st.repo_mut(full);
    let Some(c) = repo.comments.iter_mut().find(|c| c.id.to_string() == id) else {
        return Reply::error(404, "Not Found", DOCS);
    };
    c.body = body;
    c.updated_at = Utc::now();
    let id = c.id;
    let repo = st.repo(full).expect("checked");
    let c = repo.comment(id).expect("exists");
    Reply::json(200, render::comment(st, repo, c))
}
