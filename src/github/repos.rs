//! Repositories, branches, file contents and pull requests.

use base64::Engine;
use serde::Deserialize;

use super::{ApiError, Comparison, GitHub, PullRequest, RawPull, Repository, User};
use crate::remotes::RepoName;

impl GitHub {
    pub async fn repository(&self, repo: &RepoName) -> Result<Option<Repository>, ApiError> {
        self.get_optional(&Self::repo_path(repo)).await
    }

    /// The head sha of `branch`, or `None` when the branch does not exist.
    pub async fn branch_sha(
        &self,
        repo: &RepoName,
        branch: &str,
    ) -> Result<Option<String>, ApiError> {
        #[derive(Deserialize)]
        struct Branch {
            commit: Commit,
        }
        #[derive(Deserialize)]
        struct Commit {
            sha: String,
        }
        let path = format!("{}/branches/{}", Self::repo_path(repo), encode_path(branch));
        Ok(self
            .get_optional::<Branch>(&path)
            .await?
            .map(|b| b.commit.sha))
    }

    /// A text file at `git_ref`, or `None` when absent.
    pub async fn file_at(
        &self,
        repo: &RepoName,
        path: &str,
        git_ref: &str,
    ) -> Result<Option<String>, ApiError> {
        self.file(repo, path, Some(git_ref)).await
    }

    /// A text file on the default branch (whatever it is called), or `None` when absent.
    pub async fn file_on_default_branch(
        &self,
        repo: &RepoName,
        path: &str,
    ) -> Result<Option<String>, ApiError> {
        self.file(repo, path, None).await
    }

    async fn file(
        &self,
        repo: &RepoName,
        path: &str,
        git_ref: Option<&str>,
    ) -> Result<Option<String>, ApiError> {
        #[derive(Deserialize)]
        struct Content {
            #[serde(rename = "type")]
            kind: String,
            content: Option<String>,
            encoding: Option<String>,
        }
        let api_path = with_query(
            format!("{}/contents/{}", Self::repo_path(repo), encode_path(path)),
            git_ref.map(|r| ("ref", r)).as_slice(),
        );
        let Some(content) = self.get_optional::<Content>(&api_path).await? else {
            return Ok(None);
        };
        let bad = |message: String| ApiError {
            method: http::Method::GET,
            path: api_path.clone(),
            status: None,
            message,
        };
        if content.kind != "file" || content.encoding.as_deref() != Some("base64") {
            return Err(bad(format!("{path} is a {}, not a file", content.kind)));
        }
        let cleaned: String = content
            .content
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(cleaned)
            .map_err(|e| bad(format!("invalid base64 content: {e}")))?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| bad(format!("{path} is not UTF-8 text")))
    }

    /// PRs of `upstream` whose head is `owner:branch`, any state.
    pub async fn pulls_for_head(
        &self,
        upstream: &RepoName,
        owner: &str,
        branch: &str,
    ) -> Result<Vec<PullRequest>, ApiError> {
        let head = format!("{owner}:{branch}");
        let path = with_query(
            format!("{}/pulls", Self::repo_path(upstream)),
            &[("head", &head), ("state", "all")],
        );
        let raw: Vec<RawPull> = self
            .get_all_pages(&path, |page: Vec<RawPull>| page, |_| false)
            .await?;
        Ok(raw.into_iter().map(PullRequest::from).collect())
    }

    pub async fn pull(&self, repo: &RepoName, number: u64) -> Result<PullRequest, ApiError> {
        let raw: RawPull = self
            .get_json(&format!("{}/pulls/{number}", Self::repo_path(repo)))
            .await?;
        Ok(raw.into())
    }

    /// `GET /repos/{o}/{r}/compare/{base}...{head}`: how `head` relates to `base` and the files
    /// their merge base and `head` differ in (GitHub lists at most 300). One commit per page keeps
    /// the answer small: the file list is the whole comparison's, on the first page. `None` when
    /// either commit is unknown to the repository's network (404).
    pub async fn compare(
        &self,
        repo: &RepoName,
        base: &str,
        head: &str,
    ) -> Result<Option<Comparison>, ApiError> {
        let path = with_query(
            format!(
                "{}/compare/{}...{}",
                Self::repo_path(repo),
                encode_query(base),
                encode_query(head)
            ),
            &[("per_page", "1")],
        );
        self.get_optional(&path).await
    }

    /// Open a pull request; returns it.
    pub async fn create_pull(
        &self,
        repo: &RepoName,
        head: &str,
        base: &str,
        title: &str,
        body: &str,
    ) -> Result<PullRequest, ApiError> {
        let path = format!("{}/pulls", Self::repo_path(repo));
        let payload = serde_json::json!({"head": head, "base": base, "title": title, "body": body});
        let raw: RawPull = self
            .send_once_json(http::Method::POST, &path, &payload)
            .await?;
        Ok(raw.into())
    }

    /// The authenticated user and the token's classic scopes (`x-oauth-scopes`), if reported.
    pub async fn user(&self) -> Result<(User, Option<String>), ApiError> {
        let (headers, bytes) = self.get_raw("/user").await?;
        let user: User = self.decode(&http::Method::GET, "/user", &bytes)?;
        let scopes = headers
            .get("x-oauth-scopes")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok((user, scopes))
    }
}

/// Percent-encode a path, keeping `/` between segments.
pub(crate) fn encode_path(path: &str) -> String {
    path.split('/')
        .map(encode_query)
        .collect::<Vec<_>>()
        .join("/")
}

/// `path` with the query `pairs` (`?k=v&k=v`), each value percent-encoded; `path` itself when
/// there are none.
pub(crate) fn with_query(mut path: String, pairs: &[(&str, &str)]) -> String {
    for (i, (key, value)) in pairs.iter().enumerate() {
        path.push(if i == 0 { '?' } else { '&' });
        path.push_str(key);
        path.push('=');
        path.push_str(&encode_query(value));
    }
    path
}

/// Every byte but RFC 3986's unreserved characters is percent-encoded.
const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encode a query value or a single path segment.
pub(crate) fn encode_query(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, RESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_refs_safely() {
        assert_eq!(encode_query("me:feature/x y"), "me%3Afeature%2Fx%20y");
        assert_eq!(
            encode_path(".github/workflows/a b.yml"),
            ".github/workflows/a%20b.yml"
        );
        assert_eq!(with_query("/p".into(), &[]), "/p");
        assert_eq!(
            with_query("/p".into(), &[("head", "me:x y"), ("state", "all")]),
            "/p?head=me%3Ax%20y&state=all"
        );
    }
}
