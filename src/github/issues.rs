//! Issue comments (the sticky PR comment of `land` and `command`), comment reactions and the
//! collaborator permission `command` checks.

use http::Method;
use serde::Deserialize;

use super::repos::encode_query;
use super::{ApiError, Comment, GitHub};
use crate::remotes::RepoName;

/// A user's role on a repository, as `GET …/collaborators/{user}/permission` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoPermission {
    /// The legacy base role: `admin`, `write`, `read` or `none` (`maintain` reads `write`,
    /// `triage` reads `read`).
    pub permission: String,
    /// The role itself: `admin`, `maintain`, `write`, `triage`, `read`, or a custom role's name.
    pub role_name: Option<String>,
}

impl GitHub {
    /// The first comment of issue/PR `number` that `author` wrote and that starts with `marker`,
    /// reading pages until one is found. Anyone can write the marker: a comment by someone else
    /// is never adopted (its author could edit what we said there), and one of ours that only
    /// quotes it (a reply to a `/rerecord <!-- marker -->` request) is not the sticky one.
    pub async fn find_comment(
        &self,
        repo: &RepoName,
        number: u64,
        marker: &str,
        author: &str,
    ) -> Result<Option<Comment>, ApiError> {
        let path = format!("{}/issues/{number}/comments", Self::repo_path(repo));
        let has_marker = |c: &Comment| {
            c.user
                .as_ref()
                .is_some_and(|u| u.login.eq_ignore_ascii_case(author))
                && c.body.as_deref().is_some_and(|b| b.starts_with(marker))
        };
        let all = self
            .get_all_pages(
                &path,
                |page: Vec<Comment>| page,
                |seen: &[Comment]| seen.iter().any(has_marker),
            )
            .await?;
        Ok(all.into_iter().find(has_marker))
    }

    /// Post `body` as a new comment on issue/PR `number`, or, given `existing`, edit that
    /// comment to say `body`.
    pub async fn write_comment(
        &self,
        repo: &RepoName,
        number: u64,
        existing: Option<u64>,
        body: &str,
    ) -> Result<Comment, ApiError> {
        let repo_path = Self::repo_path(repo);
        let (method, path) = match existing {
            Some(id) => (Method::PATCH, format!("{repo_path}/issues/comments/{id}")),
            None => (
                Method::POST,
                format!("{repo_path}/issues/{number}/comments"),
            ),
        };
        self.send_once_json(method, &path, &serde_json::json!({ "body": body }))
            .await
    }

    /// React to an issue or PR comment (`+1`, `eyes`, `rocket`, `confused`, …). GitHub answers
    /// 201, or 200 when this user already reacted so.
    pub async fn react(
        &self,
        repo: &RepoName,
        comment_id: u64,
        content: &str,
    ) -> Result<(), ApiError> {
        let path = format!(
            "{}/issues/comments/{comment_id}/reactions",
            Self::repo_path(repo)
        );
        self.send_once(
            Method::POST,
            &path,
            &serde_json::json!({ "content": content }),
        )
        .await
        .map(|_| ())
    }

    /// `user`'s membership state in team `org/slug` (`active`, `pending`), `None` when not a
    /// member. Reading it needs a token that may read the organisation's members.
    pub async fn team_membership(
        &self,
        org: &str,
        slug: &str,
        user: &str,
    ) -> Result<Option<String>, ApiError> {
        #[derive(Deserialize)]
        struct Raw {
            state: String,
        }
        let path = format!(
            "/orgs/{}/teams/{}/memberships/{}",
            encode_query(org),
            encode_query(slug),
            encode_query(user)
        );
        let raw: Option<Raw> = self.get_optional(&path).await?;
        Ok(raw.map(|r| r.state))
    }

    /// `user`'s permission on `repo`. `author_association` in a payload is no substitute: an
    /// org `MEMBER` may have no write access at all.
    pub async fn permission(
        &self,
        repo: &RepoName,
        user: &str,
    ) -> Result<RepoPermission, ApiError> {
        #[derive(Deserialize)]
        struct Raw {
            permission: String,
            #[serde(default)]
            role_name: Option<String>,
        }
        let path = format!(
            "{}/collaborators/{}/permission",
            Self::repo_path(repo),
            encode_query(user)
        );
        let raw: Raw = self.get_json(&path).await?;
        Ok(RepoPermission {
            permission: raw.permission,
            role_name: raw.role_name,
        })
    }
}
