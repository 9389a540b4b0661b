//! What `rerecord command` needs from GitHub: comment reactions, collaborator permissions,
//! commits (their committer date), PR labels and pushes, and the `issue_comment` /
//! `pull_request` `labeled` event payloads GitHub would deliver, built from the real examples
//! vendored in `tests/fixtures/github-api/webhooks/` with the fake's state filled in.
//!
//! Endpoints follow the REST description (API version 2022-11-28):
//! - `POST /repos/{o}/{r}/issues/comments/{id}/reactions`: 201 with a `reaction`, 200 with the
//!   existing one when the user already reacted so, 422 for an unknown `content`, 404 for an
//!   unknown comment;
//! - `GET /repos/{o}/{r}/collaborators/{user}/permission`: 200 `repository-collaborator-
//!   permission` (`permission` is the legacy base role: `maintain` reads `write`, `triage` reads
//!   `read`; `role_name` is the role itself);
//! - `GET /repos/{o}/{r}/commits/{ref}`: 200 `commit`, 422 "No commit found for SHA" otherwise.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::FakeGitHub;
use super::render::{self, fake_sha, ts};
use super::server::{Reply, Req};
use super::state::{Reaction, State};

const ISSUE_COMMENT_CREATED: &str =
    include_str!("../../../fixtures/github-api/webhooks/issue_comment.created.json");
const ISSUE_COMMENT_EDITED: &str =
    include_str!("../../../fixtures/github-api/webhooks/issue_comment.edited.json");
const PULL_REQUEST_LABELED: &str =
    include_str!("../../../fixtures/github-api/webhooks/pull_request.labeled.json");

const REACTIONS: [&str; 8] = [
    "+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes",
];

pub(crate) fn create_reaction(st: &mut State, req: &Req, full: &str, id: &str) -> Reply {
    let repo = st.repo(full).expect("checked");
    let Some(comment_id) = id
        .parse::<u64>()
        .ok()
        .filter(|id| repo.comment(*id).is_some())
    else {
        return Reply::not_found();
    };
    let content = req
        .body
        .as_ref()
        .and_then(|b| b.get("content"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !REACTIONS.contains(&content.as_str()) {
        return Reply::validation(
            "Validation Failed",
            json!([{"resource": "Reaction", "field": "content", "code": "invalid"}]),
        );
    }
    let author = st.token_login().to_string();
    let existing = repo
        .reactions
        .iter()
        .find(|r| r.comment_id == comment_id && r.content == content && r.author == author)
        .map(|r| r.id);
    let (status, reaction_id) = match existing {
        Some(id) => (200, id),
        None => {
            let id = st.next_id();
            st.repo_mut(full).reactions.push(Reaction {
                id,
                comment_id,
                content,
                author,
                created_at: Utc::now(),
            });
            (201, id)
        }
    };
    let repo = st.repo(full).expect("checked");
    let r = repo
        .reactions
        .iter()
        .find(|r| r.id == reaction_id)
        .expect("exists");
    Reply::json(
        status,
        json!({
            "id": r.id,
            "node_id": format!("REA_{}", r.id),
            "user": render::user(st, &r.author),
            "content": r.content,
            "created_at": ts(r.created_at),
        }),
    )
}

/// The legacy base role GitHub reports in `permission` for a role.
fn base_permission(role: &str) -> &'static str {
    match role {
        "admin" => "admin",
        "maintain" | "write" => "write",
        "none" => "none",
        _ => "read",
    }
}

pub(crate) fn permission(st: &State, full: &str, login: &str) -> Reply {
    let repo = st.repo(full).expect("checked");
    let (role, base) = repo
        .roles
        .get(&login.to_ascii_lowercase())
        .cloned()
        .unwrap_or_else(|| ("read".to_string(), "read".to_string()));
    let rank = |r: &str| {
        ["read", "triage", "write", "maintain", "admin"]
            .iter()
            .position(|x| *x == r)
    };
    let level = rank(&role).or_else(|| rank(&base)).unwrap_or(0);
    let mut user = render::user(st, login);
    user["role_name"] = json!(role);
    user["permissions"] = json!({
        "pull": true,
        "triage": level >= 1,
        "push": level >= 2,
        "maintain": level >= 3,
        "admin": level >= 4,
    });
    Reply::json(
        200,
        json!({"permission": base_permission(&base), "role_name": role, "user": user}),
    )
}

pub(crate) fn get_commit(st: &State, full: &str, git_ref: &str) -> Reply {
    let repo = st.repo(full).expect("checked");
    let sha = repo
        .branch_sha(git_ref)
        .cloned()
        .unwrap_or_else(|| git_ref.to_string());
    let known = repo.commit_dates.contains_key(&sha)
        || repo.branches.values().any(|s| *s == sha)
        || repo.pulls.iter().any(|p| p.head_sha == sha);
    if !known {
        return Reply::validation(&format!("No commit found for SHA: {git_ref}"), Value::Null);
    }
    // Unseeded commits predate everything in the fake.
    let date = repo
        .commit_dates
        .get(&sha)
        .copied()
        .unwrap_or(repo.created_at - chrono::Duration::days(1));
    let (api, web) = st.repo_urls(full);
    let person = json!({"name": "Committer", "email": "committer@example.com", "date": ts(date)});
    let tree = fake_sha(&format!("tree{sha}"));
    Reply::json(
        200,
        json!({
            "url": format!("{api}/commits/{sha}"),
            "sha": sha,
            "node_id": format!("C_{}", &sha[..sha.len().min(12)]),
            "html_url": format!("{web}/commit/{sha}"),
            "comments_url": format!("{api}/commits/{sha}/comments"),
            "commit": {
                "url": format!("{api}/git/commits/{sha}"),
                "author": person,
                "committer": person,
                "message": "Change things",
                "comment_count": 0,
                "tree": {"sha": tree, "url": format!("{api}/git/trees/{tree}")},
                "verification": {"verified": false, "reason": "unsigned", "signature": null,
                                 "payload": null, "verified_at": null},
            },
            "author": null,
            "committer": null,
            "parents": [],
            "stats": {"additions": 1, "deletions": 0, "total": 1},
            "files": [],
        }),
    )
}

/// `GET /orgs/{org}/teams/{team_slug}/memberships/{username}`: 200 `team-membership` (`url`,
/// `role`, `state`) for a member, active or pending; 404 for anyone else.
pub(crate) fn team_membership(st: &State, org: &str, slug: &str, login: &str) -> Reply {
    let team = format!("{org}/{slug}").to_ascii_lowercase();
    match st
        .teams
        .get(&team)
        .and_then(|m| m.get(&login.to_ascii_lowercase()))
    {
        Some(state) => Reply::json(
            200,
            json!({
                "url": format!("{}/orgs/{org}/teams/{slug}/memberships/{login}", st.api_base),
                "role": "member",
                "state": state,
            }),
        ),
        None => Reply::not_found(),
    }
}

impl FakeGitHub {
    /// Make `login` a member of team `org/slug` in `state` (`active`, or `pending` while the
    /// invitation is open).
    pub fn set_team_member(&self, team: &str, login: &str, state: &str) {
        self.lock()
            .teams
            .entry(team.to_ascii_lowercase())
            .or_default()
            .insert(login.to_ascii_lowercase(), state.to_owned());
    }

    /// Give `login` a role on `repo`: `read`, `triage`, `write`, `maintain`, `admin`.
    pub fn set_role(&self, repo: &str, login: &str, role: &str) {
        self.set_custom_role(repo, login, role, role);
    }

    /// A custom repository role `name` built on base role `base`.
    pub fn set_custom_role(&self, repo: &str, login: &str, name: &str, base: &str) {
        self.lock().repo_mut(repo).roles.insert(
            login.to_ascii_lowercase(),
            (name.to_string(), base.to_string()),
        );
    }

    pub fn set_commit_date(&self, repo: &str, sha: &str, date: DateTime<Utc>) {
        self.lock()
            .repo_mut(repo)
            .commit_dates
            .insert(sha.to_string(), date);
    }

    /// A push to PR `number` of `repo`: its head becomes `sha`, committed at `date` (the head
    /// repository's branch moves too when it is in the fake).
    pub fn push_to_pr(&self, repo: &str, number: u64, sha: &str, date: DateTime<Utc>) {
        let mut st = self.lock();
        let pull = st.pull_mut(repo, number);
        pull.head_sha = sha.to_string();
        let (head_repo, head_ref) = (pull.head_repo.clone(), pull.head_ref.clone());
        st.repo_mut(repo).commit_dates.insert(sha.to_string(), date);
        if let Some(head) = head_repo.and_then(|h| st.repo_mut_opt(&h).map(|_| h)) {
            let r = st.repo_mut(&head);
            r.branches.insert(head_ref, sha.to_string());
            r.commit_dates.insert(sha.to_string(), date);
        }
    }

    /// Make `login` the author (`user`) of PR `number` of `repo` (by default the head
    /// repository's owner).
    pub fn set_pr_author(&self, repo: &str, number: u64, login: &str) {
        let mut st = self.lock();
        let pull = st.pull_mut(repo, number);
        pull.author = Some(login.to_string());
    }

    /// The comments on issue or PR `number`, as (id, author, body).
    pub fn comments_with_authors(&self, repo: &str, number: u64) -> Vec<(u64, String, String)> {
        self.inspect(repo, |r| {
            r.comments
                .iter()
                .filter(|c| c.issue == number)
                .map(|c| (c.id, c.author.clone(), c.body.clone()))
                .collect()
        })
    }

    /// The reactions on comment `id`, as (content, author).
    pub fn reactions(&self, repo: &str, id: u64) -> Vec<(String, String)> {
        self.inspect(repo, |r| {
            r.reactions
                .iter()
                .filter(|x| x.comment_id == id)
                .map(|x| (x.content.clone(), x.author.clone()))
                .collect()
        })
    }

    /// `author` comments `body` on issue or PR `number` now: the comment is stored (so it can be
    /// reacted to) and the `issue_comment` `created` payload is returned. `association` is what
    /// GitHub would put in `author_association` (`MEMBER`, `CONTRIBUTOR`, …).
    pub fn comment_event(
        &self,
        repo: &str,
        number: u64,
        author: &str,
        association: &str,
        body: &str,
    ) -> (u64, Value) {
        let id = self.add_comment_by(repo, number, body, author);
        let st = self.lock();
        let r = st.repo(repo).expect("repo");
        let c = r.comment(id).expect("just added");
        let mut v: Value = serde_json::from_str(ISSUE_COMMENT_CREATED).expect("fixture");
        let full = r.full_name.clone();
        let mut comment = render::comment(&st, r, c);
        comment["author_association"] = json!(association);
        v["comment"] = comment;
        v["issue"]["number"] = json!(number);
        let (api, web) = st.repo_urls(&full);
        v["issue"]["url"] = json!(format!("{api}/issues/{number}"));
        v["issue"]["html_url"] = json!(format!("{web}/issues/{number}"));
        if let Some(p) = r.pulls.iter().find(|p| p.number == number) {
            let pr_api = format!("{api}/pulls/{number}");
            let pr_web = format!("{web}/pull/{number}");
            v["issue"]["pull_request"] = json!({
                "url": pr_api,
                "html_url": pr_web,
                "diff_url": format!("{pr_web}.diff"),
                "patch_url": format!("{pr_web}.patch"),
                "merged_at": p.merged_at.map(ts),
            });
            v["issue"]["html_url"] = json!(pr_web);
            v["issue"]["title"] = json!(p.title);
            v["issue"]["user"] = render::user(&st, p.author.as_deref().unwrap_or(&p.head_owner));
        }
        v["repository"] = event_repository(&st, &full, &v["repository"]);
        v["sender"] = render::user(&st, author);
        (id, v)
    }

    /// The comment of `created` (a [`comment_event`](Self::comment_event) payload), then edited
    /// to `body`: the stored comment changes, and the `issue_comment` `edited` payload is
    /// returned.
    pub fn edited_comment_event(&self, repo: &str, created: &Value, body: &str) -> Value {
        let id = created["comment"]["id"]
            .as_u64()
            .expect("a comment payload");
        let mut st = self.lock();
        let c = st
            .repo_mut(repo)
            .comments
            .iter_mut()
            .find(|c| c.id == id)
            .expect("the comment is stored");
        c.body = body.to_string();
        c.updated_at = Utc::now();
        let mut v: Value = serde_json::from_str(ISSUE_COMMENT_EDITED).expect("fixture");
        v["changes"] = json!({"body": {"from": created["comment"]["body"]}});
        for key in ["issue", "comment", "repository", "sender"] {
            v[key] = created[key].clone();
        }
        v["comment"]["body"] = json!(body);
        v["comment"]["updated_at"] = json!(ts(c.updated_at));
        v
    }

    /// `sender` adds `label` to PR `number`: stored on the PR, and the `labeled` payload.
    pub fn label_event(&self, repo: &str, number: u64, sender: &str, label: &str) -> Value {
        let mut st = self.lock();
        let pull = st.pull_mut(repo, number);
        if !pull.labels.iter().any(|l| l == label) {
            pull.labels.push(label.to_string());
        }
        let r = st.repo(repo).expect("repo");
        let p = r.pulls.iter().find(|p| p.number == number).expect("found");
        let full = r.full_name.clone();
        let mut v: Value = serde_json::from_str(PULL_REQUEST_LABELED).expect("fixture");
        v["number"] = json!(number);
        v["pull_request"] = render::pull(&st, r, p, true);
        v["label"] = render::label(&st, &full, label);
        v["repository"] = event_repository(&st, &full, &v["repository"]);
        v["sender"] = render::user(&st, sender);
        v
    }
}

/// The payload's `repository`, re-pointed at `full`.
fn event_repository(st: &State, full: &str, example: &Value) -> Value {
    let mut repo = example.clone();
    let (owner, name) = full.split_once('/').expect("OWNER/NAME");
    repo["full_name"] = json!(full);
    repo["name"] = json!(name);
    repo["owner"] = render::user(st, owner);
    let (api, web) = st.repo_urls(full);
    repo["url"] = json!(api);
    repo["html_url"] = json!(web);
    if let Some(r) = st.repo(full) {
        repo["default_branch"] = json!(r.default_branch);
        repo["id"] = json!(r.id);
    }
    repo
}
