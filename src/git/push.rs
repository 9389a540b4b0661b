//! Land the recordings commit on the target branch: fetch the tip, build on it, publish with a
//! compare-and-swap on the tip, and start over on the new tip when a sibling got there first.
//!
//! Two kinds of remote:
//! - network (https, or http to this machine): git2 fetch (depth 1 in a shallow checkout) and
//!   push. The server updates the ref only if it still points at the tip we built on (the push
//!   protocol sends the old id), so a concurrent push makes ours fail cleanly and we retry.
//! - local paths (bare repositories on disk, as in tests and benchmarks): libgit2's local
//!   transport force-updates the ref after its fast-forward check, so two concurrent pushes can
//!   silently drop one commit. We open the remote instead, write the few new objects into it and
//!   move the ref with `reference_matching` (a locked compare-and-swap, like receive-pack).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use git2::{ErrorCode, FetchOptions, Oid, Repository};

use super::GitRepo;
use super::credentials::{self, AuthState, host_of, push_options};
use super::lfs;
use super::status::{ChangedFile, PreparedFile};
use super::tip::{self, Identity};
use crate::recordings::Globs;
use crate::token::Token;

/// Everything needed to land one commit.
pub struct PushRequest<'a> {
    /// The git remote's name, or how to call the destination in messages when `url` is set.
    pub remote: &'a str,
    pub branch: &'a str,
    pub files: &'a [ChangedFile],
    pub identity: &'a Identity,
    pub message: &'a str,
    pub token: Option<&'a Token>,
    /// Where to fetch from and push to; `None`: the URL of the git remote named `remote`.
    pub url: Option<&'a str>,
    /// The variable the token came from, for messages (never the value).
    pub token_name: &'a str,
    pub max_attempts: u32,
    /// The commit the recordings were made for (PR head), for the staleness check.
    pub recorded_head: Option<Oid>,
    pub globs: &'a Globs,
    /// Asked of every tip fetched, right before building on it and pushing (again after each
    /// rejected push): an error stops the landing with nothing pushed.
    pub check_tip: Option<&'a dyn Fn(Oid) -> anyhow::Result<()>>,
}

/// What landing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landed {
    /// The pushed commit; `None` when the tip already had exactly these recordings.
    pub commit: Option<Oid>,
    /// The tip the commit was built on.
    pub tip: Oid,
    pub attempts: u32,
    /// Recordings that also changed on the tip since the checkout (ours won).
    pub overlapping: Vec<String>,
    /// A non-recording path that differs between the recorded head and the tip.
    pub stale_because: Option<String>,
    /// The staleness check could not run (the recorded head is not available).
    pub stale_unknown: bool,
}

enum Endpoint {
    Local(Repository),
    Network { url: String },
}

enum Publish {
    Done,
    Moved(String),
}

/// Pause between attempts: exponential from 100 ms, capped at 2 s, with full jitter so matrix
/// siblings that collided once spread out.
pub fn backoff(attempt: u32) -> Duration {
    let cap = 100u64
        .saturating_mul(1 << attempt.min(5).saturating_sub(1))
        .min(2000);
    Duration::from_millis(cap / 2 + fastrand::u64(0..=cap))
}

impl GitRepo {
    /// Build the recordings commit on the target branch's tip and push it, retrying on a moved
    /// tip up to `max_attempts` times; `sleep` waits between attempts.
    pub fn commit_on_tip(
        &self,
        req: &PushRequest<'_>,
        sleep: &mut dyn FnMut(Duration),
    ) -> anyhow::Result<Landed> {
        let repo = self.raw();
        let workdir = self.workdir()?;
        let endpoint = match req.url {
            // Built from the runner's environment: never a local path, never the git config's.
            Some(url) if super::smart_http::https_or_http(url).is_some() => Endpoint::Network {
                url: url.to_owned(),
            },
            Some(url) => anyhow::bail!(
                "{url} is not an https URL; check GITHUB_SERVER_URL (e.g. https://github.com)"
            ),
            None => {
                let url = configured_url(repo, req.remote)?;
                match local_path(&url, &workdir) {
                    Some(path) => Endpoint::Local(open_local_remote(&path, req.branch)?),
                    None if super::smart_http::https_or_http(&url).is_some() => {
                        Endpoint::Network { url }
                    }
                    None => anyhow::bail!(
                        "remote {} is {url}, and rerecord pushes only over https (with the token) or to a \
                         local path; set an https URL: git remote set-url {} https://HOST/OWNER/REPO.git",
                        req.remote,
                        req.remote
                    ),
                }
            }
        };
        // From here on no git config (the repository's, $HOME's, includes) is read: nothing the
        // job's earlier steps wrote there can redirect a fetch, a push or the token.
        let _shield = match &endpoint {
            Endpoint::Network { .. } => Some(ConfigShield::raise(repo)?),
            Endpoint::Local(_) => None,
        };
        let objects = match &endpoint {
            Endpoint::Local(remote) => remote,
            Endpoint::Network { .. } => repo,
        };
        // The recordings' blobs, prepared on the first tip fetched (its attributes decide which
        // contents are stored) and reused by every later attempt.
        let mut prepared: Option<Vec<PreparedFile>> = None;
        let mut last_reason = String::new();
        let mut uploaded = std::collections::HashSet::new();
        for attempt in 1..=req.max_attempts {
            let tip = self.fetch_tip(&endpoint, req)?;
            if let Some(check) = req.check_tip {
                check(tip)?;
            }
            let mut attributes = tip::attributes_of(objects, tip)?;
            if prepared.is_none() {
                let files = tip::prepare_files(objects, &mut attributes, &workdir, req.files)?;
                prepared = Some(files);
            }
            let files = prepared.as_deref().unwrap_or_default(); // set just above
            let (cleaned, lfs) = tip::clean_for_tip(&mut attributes, &workdir, files)?;
            let overlapping = tip::overlapping_paths(objects, tip, &cleaned)?;
            let commit = tip::build_commit(objects, tip, &cleaned, req.identity, req.message)?;
            let landed = |commit| {
                let (stale_because, stale_unknown) = self.staleness(&endpoint, objects, req, tip);
                Landed {
                    commit,
                    tip,
                    attempts: attempt,
                    overlapping,
                    stale_because,
                    stale_unknown,
                }
            };
            let Some(commit) = commit else {
                return Ok(landed(None));
            };
            // The LFS objects first: a pointer is never pushed without its object.
            self.upload_lfs(&endpoint, req, &lfs, &mut uploaded)?;
            match self.publish(&endpoint, req, tip, commit)? {
                Publish::Done => return Ok(landed(Some(commit))),
                Publish::Moved(reason) => last_reason = reason,
            }
            if attempt < req.max_attempts {
                sleep(backoff(attempt));
            }
        }
        anyhow::bail!(
            "push to {} rejected {} times: the branch kept moving ({last_reason}). Re-run the job, or raise --max-attempts",
            req.branch,
            req.max_attempts
        )
    }

    /// Send the LFS objects the commit's pointers name (those not sent by an earlier attempt)
    /// to the remote's LFS server, or into a local remote's LFS object store.
    fn upload_lfs(
        &self,
        endpoint: &Endpoint,
        req: &PushRequest<'_>,
        lfs: &[lfs::Pending],
        uploaded: &mut std::collections::HashSet<lfs::Object>,
    ) -> anyhow::Result<()> {
        let mut todo: Vec<lfs::Pending> = lfs
            .iter()
            .filter(|p| !uploaded.contains(&p.object))
            .cloned()
            .collect();
        todo.sort_by(|a, b| a.object.cmp(&b.object));
        todo.dedup_by(|a, b| a.object == b.object);
        if todo.is_empty() {
            return Ok(());
        }
        match endpoint {
            Endpoint::Local(remote) => {
                for pending in &todo {
                    lfs::store_local(remote.path(), pending)?;
                }
            }
            Endpoint::Network { url } => {
                let refname = format!("refs/heads/{}", req.branch);
                let upload = lfs::Upload {
                    remote_url: url,
                    token: req.token,
                    token_name: req.token_name,
                    refname: &refname,
                };
                lfs::upload(&upload, &todo)?;
            }
        }
        uploaded.extend(todo.into_iter().map(|p| p.object));
        Ok(())
    }

    fn fetch_tip(&self, endpoint: &Endpoint, req: &PushRequest<'_>) -> anyhow::Result<Oid> {
        let refname = format!("refs/heads/{}", req.branch);
        let missing = || {
            anyhow::anyhow!(
                "branch {} does not exist on {}; push it first, or pass --target-branch with the PR's head branch",
                req.branch,
                req.remote
            )
        };
        match endpoint {
            Endpoint::Local(remote) => match remote.refname_to_id(&refname) {
                Ok(oid) => Ok(oid),
                Err(e) if e.code() == ErrorCode::NotFound => Err(missing()),
                Err(e) => {
                    Err(e).with_context(|| format!("failed to read {refname} on {}", req.remote))
                }
            },
            Endpoint::Network { url } => {
                // A private ref; whatever an earlier step left there (say a symbolic ref) goes first.
                let tracking = "refs/rerecord/tip";
                if let Ok(mut stale) = self.raw().find_reference(tracking) {
                    stale
                        .delete()
                        .context("failed to clear refs/rerecord/tip")?;
                }
                let spec = format!("+{refname}:{tracking}");
                self.network_fetch(url, req, &[spec.as_str()])
                    .map_err(|e| {
                        if format!("{e:#}").contains("couldn't find remote ref") {
                            missing()
                        } else {
                            e
                        }
                    })?;
                let fetched = self.raw().find_reference(tracking).map_err(|_| missing())?;
                anyhow::ensure!(
                    fetched.kind() == Some(git2::ReferenceType::Direct),
                    "{tracking} is not a plain reference after the fetch; refusing to build on it"
                );
                fetched.target().ok_or_else(missing)
            }
        }
    }

    fn network_fetch(
        &self,
        url: &str,
        req: &PushRequest<'_>,
        specs: &[&str],
    ) -> anyhow::Result<()> {
        let repo = self.raw();
        let grant = credentials::grant(url, req.token);
        let mut opts = FetchOptions::new();
        opts.download_tags(git2::AutotagOption::None);
        if repo.is_shallow() {
            // GitHub's default checkout is depth 1; only the tip is needed to build on it.
            opts.depth(1);
        }
        let mut remote = url_only_remote(repo, url)?;
        remote
            .fetch(specs, Some(&mut opts), None)
            .map_err(|e| auth_error(e, grant.state(), url, req, "fetch from"))
    }

    fn publish(
        &self,
        endpoint: &Endpoint,
        req: &PushRequest<'_>,
        tip: Oid,
        commit: Oid,
    ) -> anyhow::Result<Publish> {
        let refname = format!("refs/heads/{}", req.branch);
        let log = format!("rerecord: recordings commit on {}", req.branch);
        match endpoint {
            Endpoint::Local(remote) => {
                match remote.reference_matching(&refname, commit, true, tip, &log) {
                    Ok(_) => Ok(Publish::Done),
                    Err(e) if matches!(e.code(), ErrorCode::Modified | ErrorCode::Locked) => {
                        Ok(Publish::Moved(e.message().to_owned()))
                    }
                    Err(e) => Err(e)
                        .with_context(|| format!("failed to update {refname} on {}", req.remote)),
                }
            }
            Endpoint::Network { url } => {
                let repo = self.raw();
                // libgit2 pushes references, not bare ids: a private ref names the commit briefly.
                let temp = "refs/rerecord/push";
                if let Ok(mut stale) = repo.find_reference(temp) {
                    stale
                        .delete()
                        .context("failed to clear refs/rerecord/push")?;
                }
                repo.reference(temp, commit, true, "rerecord: commit to push")?;
                // The server moves the branch only from the tip we built on, not from whatever
                // the push-time listing shows (a force-push back in between is not undone).
                let pin = super::smart_http::pin_old(&refname, tip);
                let result = self.network_push(url, req, temp, &refname);
                drop(pin);
                if let Ok(mut r) = repo.find_reference(temp) {
                    let _ = r.delete();
                }
                match result {
                    Err(e)
                        if format!("{e:#}").contains(super::smart_http::PUSH_OUTCOME_UNKNOWN) =>
                    {
                        self.after_unknown_push(endpoint, req, commit, &e)
                    }
                    other => other,
                }
            }
        }
    }

    /// The push went out and no answer came back: the refs say whether it landed. Not there:
    /// the attempt loop builds on the tip again, as after a moved tip.
    fn after_unknown_push(
        &self,
        endpoint: &Endpoint,
        req: &PushRequest<'_>,
        commit: Oid,
        e: &anyhow::Error,
    ) -> anyhow::Result<Publish> {
        let tip = self.fetch_tip(endpoint, req).with_context(|| {
            format!("{e:#}; and reading {} again to find out failed", req.branch)
        })?;
        if tip == commit {
            Ok(Publish::Done)
        } else {
            Ok(Publish::Moved(format!(
                "{e:#}; {} is still at {tip}",
                req.branch
            )))
        }
    }

    fn network_push(
        &self,
        url: &str,
        req: &PushRequest<'_>,
        src: &str,
        dst: &str,
    ) -> anyhow::Result<Publish> {
        let grant = credentials::grant(url, req.token);
        let (mut opts, rejection) = push_options();
        let mut remote = url_only_remote(self.raw(), url)?;
        let spec = format!("{src}:{dst}");
        match remote.push(&[spec.as_str()], Some(&mut opts)) {
            Ok(()) => {}
            // The tip moved between our fetch and the push's ref advertisement.
            Err(e) if e.code() == ErrorCode::NotFastForward => {
                return Ok(Publish::Moved(e.message().to_owned()));
            }
            Err(e) => return Err(auth_error(e, grant.state(), url, req, "push to")),
        }
        let Some(msg) = rejection.borrow_mut().take() else {
            return Ok(Publish::Done);
        };
        let moved = [
            "non-fast-forward",
            "fetch first",
            "failed to update ref",
            "cannot lock ref",
            "failed to lock",
            "stale",
            "incorrect old value",
        ];
        if moved.iter().any(|m| msg.contains(m)) {
            Ok(Publish::Moved(msg))
        } else {
            let msg = req.token.map_or(msg.clone(), |t| t.redact(&msg));
            anyhow::bail!(
                "{} refused the push to {}: {msg}. Check branch protection and that the token may write contents",
                req.remote,
                req.branch
            )
        }
    }

    /// Whether the non-recording content moved on between the recorded head and `tip`.
    fn staleness(
        &self,
        endpoint: &Endpoint,
        objects: &Repository,
        req: &PushRequest<'_>,
        tip: Oid,
    ) -> (Option<String>, bool) {
        let Some(head) = req.recorded_head else {
            return (None, false);
        };
        if head == tip {
            return (None, false);
        }
        // A shallow PR checkout may lack the head commit; fetching it by id is cheap and best
        // effort (servers that refuse just skip the check).
        if trees(objects, head, tip).is_none()
            && let Endpoint::Network { url } = endpoint
        {
            let _ = self.network_fetch(url, req, &[head.to_string().as_str()]);
        }
        match trees(objects, head, tip) {
            Some((a, b)) => (
                tip::first_non_recording_difference(objects, &a, &b, req.globs),
                false,
            ),
            None => (None, true),
        }
    }
}

fn trees(repo: &Repository, a: Oid, b: Oid) -> Option<(git2::Tree<'_>, git2::Tree<'_>)> {
    Some((
        repo.find_commit(a).ok()?.tree().ok()?,
        repo.find_commit(b).ok()?.tree().ok()?,
    ))
}

fn auth_error(
    e: git2::Error,
    state: &AuthState,
    url: &str,
    req: &PushRequest<'_>,
    what: &str,
) -> anyhow::Error {
    let host = host_of(url).unwrap_or_else(|| req.remote.to_owned());
    let detail = req
        .token
        .map_or(e.message().to_owned(), |t| t.redact(e.message()));
    if state.rejected() {
        anyhow::anyhow!(
            "authentication to {host} failed: the token in {} was rejected ({what} {}). \
             Check that it is valid and may write contents to the repository",
            req.token_name,
            req.branch
        )
    } else if state.was_asked() && req.token.is_none() {
        anyhow::anyhow!(
            "{host} asked for credentials to {what} {} and {} is not set; pass the token in {} (or name another variable with --push-token-env)",
            req.branch,
            req.token_name,
            req.token_name
        )
    } else if state.refused_other_host() {
        anyhow::anyhow!(
            "{what} {} failed: a host other than {host} asked for credentials, and the token is only offered to the push remote ({detail})",
            req.branch
        )
    } else {
        anyhow::anyhow!(
            "failed to {what} {} on {}: {detail}",
            req.branch,
            req.remote
        )
    }
}

/// The URL of the configured remote `name`: its push URL if it has one (as git resolves them,
/// `insteadOf` included: outside Actions the config is the user's own).
fn configured_url(repo: &Repository, name: &str) -> anyhow::Result<String> {
    let remote = repo.find_remote(name).with_context(|| {
        format!("there is no git remote named {name:?}; pass --remote with one of your remotes")
    })?;
    remote
        .pushurl()
        .ok()
        .flatten()
        .or(remote.url().ok())
        .map(str::to_owned)
        .with_context(|| format!("remote {name} has no URL"))
}

/// While raised, the repository's git config is an empty one: libgit2 reads no `remote.*`,
/// `pushurl`, `url.*.insteadOf`, `include*`, `http.*` from `.git/config`, `$HOME/.gitconfig`
/// or the system's. Dropping it puts the real config back.
struct ConfigShield<'r> {
    repo: &'r Repository,
    original: git2::Config,
}

impl<'r> ConfigShield<'r> {
    fn raise(repo: &'r Repository) -> anyhow::Result<Self> {
        let original = repo.config().context("failed to read the git config")?;
        let empty = git2::Config::new().context("failed to create an empty git config")?;
        repo.set_config(&empty)
            .context("failed to set aside the git config")?;
        Ok(Self { repo, original })
    }
}

impl Drop for ConfigShield<'_> {
    fn drop(&mut self) {
        let _ = self.repo.set_config(&self.original);
    }
}

/// An anonymous remote for exactly `url`. Under a [`ConfigShield`] libgit2 rewrites nothing;
/// the check makes sure of it.
fn url_only_remote<'r>(repo: &'r Repository, url: &str) -> anyhow::Result<git2::Remote<'r>> {
    let remote = repo
        .remote_anonymous(url)
        .with_context(|| format!("invalid remote URL {url}"))?;
    anyhow::ensure!(
        remote.url().ok() == Some(url) && remote.pushurl().ok().flatten().is_none(),
        "the git config rewrote the remote URL {url}; refusing to fetch or push"
    );
    Ok(remote)
}

/// The filesystem path of a local remote URL (`/srv/x.git`, `../x.git`, `file:///srv/x.git`).
fn local_path(url: &str, workdir: &Path) -> Option<PathBuf> {
    if let Some(path) = url.strip_prefix("file://") {
        return Some(PathBuf::from(path));
    }
    if url.contains("://") {
        return None;
    }
    // scp-like `host:path` (a colon before any slash) is ssh.
    if let Some(colon) = url.find(':')
        && !url[..colon].contains('/')
    {
        return None;
    }
    let path = Path::new(url);
    Some(if path.is_absolute() {
        path.to_path_buf()
    } else {
        workdir.join(path)
    })
}

fn open_local_remote(path: &Path, branch: &str) -> anyhow::Result<Repository> {
    let remote = Repository::open(path).with_context(|| {
        format!(
            "failed to open the local remote repository {}",
            path.display()
        )
    })?;
    if !remote.is_bare() {
        let checked_out = remote
            .head()
            .ok()
            .and_then(|h| h.name().ok().map(str::to_owned))
            .is_some_and(|n| n == format!("refs/heads/{branch}"));
        anyhow::ensure!(
            !checked_out,
            "refusing to push to {branch}: it is checked out in the non-bare repository {}",
            path.display()
        );
    }
    Ok(remote)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_and_network_urls_are_told_apart() {
        let wd = Path::new("/w");
        assert_eq!(
            local_path("/srv/r.git", wd),
            Some(PathBuf::from("/srv/r.git"))
        );
        assert_eq!(
            local_path("../r.git", wd),
            Some(PathBuf::from("/w/../r.git"))
        );
        assert_eq!(
            local_path("file:///srv/r.git", wd),
            Some(PathBuf::from("/srv/r.git"))
        );
        assert_eq!(local_path("https://github.com/o/r.git", wd), None);
        assert_eq!(local_path("git@github.com:o/r.git", wd), None);
    }

    #[test]
    fn a_local_remote_rewound_between_fetch_and_push_is_not_undone() {
        let dir = tempfile::tempdir().unwrap();
        let bare = Repository::init_bare(dir.path().join("r.git")).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let tree = bare
            .find_tree(bare.treebuilder(None).unwrap().write().unwrap())
            .unwrap();
        let main = "refs/heads/main";
        let rewound = bare
            .commit(Some(main), &sig, &sig, "r", &tree, &[])
            .unwrap();
        let parent = bare.find_commit(rewound).unwrap();
        let tip = bare
            .commit(Some(main), &sig, &sig, "t", &tree, &[&parent])
            .unwrap();
        let ours = bare
            .commit(
                None,
                &sig,
                &sig,
                "rec",
                &tree,
                &[&bare.find_commit(tip).unwrap()],
            )
            .unwrap();
        let work = GitRepo {
            repo: Repository::init(dir.path().join("w")).unwrap(),
        };
        let globs = Globs::new(["recordings/"]).unwrap();
        let req = PushRequest {
            remote: "origin",
            branch: "main",
            files: &[],
            identity: &Identity::bot(),
            message: "rec",
            token: None,
            url: None,
            token_name: "GITHUB_TOKEN",
            max_attempts: 1,
            recorded_head: None,
            globs: &globs,
            check_tip: None,
        };
        let endpoint = Endpoint::Local(Repository::open(dir.path().join("r.git")).unwrap());
        assert_eq!(work.fetch_tip(&endpoint, &req).unwrap(), tip);
        // Someone force-pushes the branch back between our read and our push.
        bare.reference(main, rewound, true, "force-push").unwrap();
        let published = work.publish(&endpoint, &req, tip, ours).unwrap();
        assert!(
            matches!(published, Publish::Moved(_)),
            "the push went through"
        );
        assert_eq!(bare.refname_to_id(main).unwrap(), rewound);
    }

    #[test]
    fn backoff_grows_and_stays_capped() {
        for attempt in 1..20 {
            let d = backoff(attempt).as_millis();
            let cap = (100u128 << (attempt.min(5) - 1)).min(2000);
            assert!(
                d >= cap / 2 && d <= cap / 2 + cap,
                "attempt {attempt}: {d} ms"
            );
        }
    }
}
