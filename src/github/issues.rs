//! Issue comments (the sticky PR comment of `land`).

use super::{ApiError, Comment, GitHub};
use crate::remotes::RepoName;

impl GitHub {
    /// The first comment of issue/PR `number` that `author` wrote and that contains `marker`,
    /// reading pages until one is found. Anyone can write the marker: a comment by someone else
    /// is never adopted (its author could edit what we said there).
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
                && c.body.as_deref().is_some_and(|b| b.contains(marker))
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

    pub async fn create_comment(
        &self,
        repo: &RepoName,
        number: u64,
        body: &str,
    ) -> Result<Comment, ApiError> {
        let path = format!("{}/issues/{number}/comments", Self::repo_path(repo));
        let (_, bytes) = self
            .post(&path, &serde_json::json!({ "body": body }))
            .await?;
        self.decode(&http::Method::POST, &path, &bytes)
    }

    pub async fn update_comment(
        &self,
        repo: &RepoName,
        id: u64,
        body: &str,
    ) -> Result<Comment, ApiError> {
        let path = format!("{}/issues/comments/{id}", Self::repo_path(repo));
        let (_, bytes) = self
            .patch(&path, &serde_json::json!({ "body": body }))
            .await?;
        self.decode(&http::Method::PATCH, &path, &bytes)
    }
}
