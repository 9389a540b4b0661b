//! `rerecord command`: a `/rerecord` PR comment or a `re-record` label, delivered as the real
//! webhook payload shapes, against the fake GitHub (permissions, reactions, pins, dispatch,
//! sticky status comment).

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::support::cmd::{Run, path_str, rerecord, tempdir};
use crate::support::fake_github::{FakeGitHub, JOB_TOKEN_USER, PrSpec, RunSpec, RunView, TOKEN};
use crate::support::land_world::{MARKER, WORKFLOW};
use crate::support::snap;

const UPSTREAM: &str = "acme/widgets";
const FORK: &str = "alice/widgets";
const REPLY: &str = "<!-- rerecord:command -->";
const MAIN_SHA: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const FORK_SHA: &str = "cccccccccccccccccccccccccccccccccccccccc";
const BRANCH_SHA: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// A recording workflow dispatched with `$inputs` before the four every era takes.
macro_rules! recording_workflow {
    ($inputs:literal) => {
        concat!(
            "name: Record integration tests\non:\n  workflow_dispatch:\n    inputs:\n",
            $inputs,
            "      subdirs: {type: string}\n      suite: {type: string}\n",
            "      test-setup: {type: string}\n      pattern: {type: string}\njobs: {}\n"
        )
    };
}

/// The 2026 llama-stack shape: dispatched in the upstream with the PR number, checks out the sha.
const WORKFLOW_WITH_PR: &str = recording_workflow!(
    "      pr_number: {type: number, required: true}\n      head_sha: {type: string}\n"
);

/// The older shape: dispatched on the PR's branch, no PR number, no sha.
const WORKFLOW_ON_BRANCH: &str = recording_workflow!("");

struct World {
    gh: FakeGitHub,
    dir: tempfile::TempDir,
    fork_pr: u64,
    branch_pr: u64,
}

fn world(workflow: &str) -> World {
    let gh = FakeGitHub::start();
    gh.add_repo(UPSTREAM);
    gh.add_fork(FORK, UPSTREAM);
    gh.act_as_job_token();
    gh.set_branch(UPSTREAM, "main", MAIN_SHA);
    gh.set_branch(UPSTREAM, "feature", BRANCH_SHA);
    gh.set_branch(FORK, "fix", FORK_SHA);
    gh.add_workflow_file(UPSTREAM, WORKFLOW, &["main", "feature"], workflow);
    let fork_pr = gh.add_pr(PrSpec::open(UPSTREAM, FORK, "fix", FORK_SHA));
    gh.set_pr_author(UPSTREAM, fork_pr, "alice");
    let branch_pr = gh.add_pr(PrSpec::open(UPSTREAM, UPSTREAM, "feature", BRANCH_SHA));
    gh.set_pr_author(UPSTREAM, branch_pr, "dev");
    gh.set_role(UPSTREAM, "dev", "write");
    gh.set_role(UPSTREAM, "maint", "write");
    gh.set_role(UPSTREAM, "reader", "read");
    gh.set_role(UPSTREAM, "member", "triage");
    World {
        gh,
        dir: tempdir(),
        fork_pr,
        branch_pr,
    }
}

impl World {
    fn run(&self, event: &str, payload: &Value, extra: &[&str]) -> Run {
        let path = self.dir.path().join("event.json");
        std::fs::write(&path, serde_json::to_vec(payload).unwrap()).unwrap();
        rerecord()
            .arg("command")
            .args(extra)
            .env("GITHUB_EVENT_NAME", event)
            .env("GITHUB_EVENT_PATH", path_str(&path))
            .env("GITHUB_REPOSITORY", UPSTREAM)
            .env("GITHUB_API_URL", self.gh.url())
            .env("GH_TOKEN", TOKEN)
            .env("RERECORD_POLL_SCALE", "0")
            .current_dir(self.dir.path())
            .run()
    }

    fn comment(&self, pr: u64, author: &str, association: &str, body: &str) -> (u64, Run) {
        let (id, payload) = self
            .gh
            .comment_event(UPSTREAM, pr, author, association, body);
        (id, self.run("issue_comment", &payload, &[]))
    }

    /// The `issue_comment` payload of the collaborator `maint` commenting `body` on the fork PR.
    fn maint_on_fork_pr(&self, body: &str) -> (u64, Value) {
        (self.gh).comment_event(UPSTREAM, self.fork_pr, "maint", "COLLABORATOR", body)
    }

    fn reactions(&self, id: u64) -> Vec<String> {
        self.gh
            .reactions(UPSTREAM, id)
            .into_iter()
            .inspect(|(_, who)| assert_eq!(who, JOB_TOKEN_USER))
            .map(|(content, _)| content)
            .collect()
    }

    /// `body` commented on `pr` by the writer `maint`: nothing is dispatched, the comment gets
    /// 👀 then 😕, and rerecord replies; returns the reply.
    fn refused(&self, pr: u64, association: &str, body: &str) -> String {
        let (id, run) = self.comment(pr, "maint", association, body);
        let run = run.success();
        assert!(self.gh.runs(UPSTREAM).is_empty(), "{}", run.all_output());
        assert_eq!(self.reactions(id), ["eyes", "confused"], "{body}");
        let reply = self.ours(pr).pop().unwrap().1;
        assert!(reply.starts_with(REPLY), "{reply}");
        reply
    }

    /// `body` commented on `pr` by `maint` (as `association`) dispatches exactly one run;
    /// returns the command's run and the dispatched run.
    fn dispatched(&self, pr: u64, association: &str, body: &str) -> (Run, RunView) {
        let (_, run) = self.comment(pr, "maint", association, body);
        let run = run.success();
        let mut runs = self.gh.runs(UPSTREAM);
        assert_eq!(runs.len(), 1, "{}", run.all_output());
        (run, runs.remove(0))
    }

    /// Comments rerecord wrote on `pr` (by the job token's user).
    fn ours(&self, pr: u64) -> Vec<(u64, String)> {
        self.gh
            .comments_with_authors(UPSTREAM, pr)
            .into_iter()
            .filter(|(_, who, _)| who == JOB_TOKEN_USER)
            .map(|(id, _, body)| (id, body))
            .collect()
    }
}

/// The comment that approves the fork PR's head, with `options` after it.
fn approve(options: &str) -> String {
    format!("/rerecord --sha {FORK_SHA} {options}")
        .trim_end()
        .to_owned()
}

fn inputs(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<_> = list
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn write_collaborator_dispatches_a_fork_pr_in_the_upstream_with_its_number_and_sha() {
    let w = world(WORKFLOW_WITH_PR);
    let (id, run) = w.comment(
        w.fork_pr,
        "maint",
        "COLLABORATOR",
        &format!(
            "{}\nthanks!",
            approve("agents,inference --setup vllm -k \"test_streaming\"")
        ),
    );
    let run = run.success();
    let runs = w.gh.runs(UPSTREAM);
    assert_eq!(runs.len(), 1, "{}", run.all_output());
    assert_eq!(runs[0].spec.head_branch, "main");
    assert_eq!(runs[0].spec.event, "workflow_dispatch");
    assert_eq!(
        inputs(&runs[0].inputs),
        pairs(&[
            ("head_sha", FORK_SHA),
            ("pattern", "test_streaming"),
            ("pr_number", &w.fork_pr.to_string()),
            ("subdirs", "agents,inference"),
            ("test-setup", "vllm"),
        ])
    );
    assert_eq!(w.reactions(id), ["eyes", "rocket"]);
    let ours = w.ours(w.fork_pr);
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert!(ours[0].1.starts_with(MARKER), "{}", ours[0].1);
    let run_id = runs[0].id.to_string();
    assert!(
        ours[0].1.contains(&format!("[run {run_id}](")),
        "{}",
        ours[0].1
    );
    snap::assert_redacted(
        "command_status_dispatched",
        &ours[0].1,
        &[(&run_id, "[RUN]")],
    );
    run.assert_stdout_has("status    dispatched");
}

#[test]
fn a_same_repository_pr_is_dispatched_on_its_branch_when_the_workflow_takes_no_pr_number() {
    let w = world(WORKFLOW_ON_BRANCH);
    let (_, dispatched) = w.dispatched(w.branch_pr, "MEMBER", "/rerecord --suite vision");
    assert_eq!(dispatched.spec.head_branch, "feature");
    assert_eq!(inputs(&dispatched.inputs), pairs(&[("suite", "vision")]));
    let ours = w.ours(w.branch_pr);
    assert!(
        ours[0].1.contains("declares no `head_sha` input"),
        "{}",
        ours[0].1
    );
}

/// A writer's comment that cannot be carried out: nothing is dispatched, and the reply (the
/// whole text, snapshotted) says why and which comment would work.
#[test]
fn a_request_the_workflow_or_the_options_cannot_carry_is_refused_with_a_reply() {
    let without_sha = WORKFLOW_WITH_PR.replace("      head_sha: {type: string}\n", "");
    let zeros = "0".repeat(40);
    let cases = [
        // A fork PR needs the workflow's `pr_number` input (dispatched in the upstream)...
        ("fork_without_pr_number", WORKFLOW_ON_BRANCH, approve("")),
        // ...and its `head_sha` input (the approved commit).
        ("fork_without_head_sha", without_sha.as_str(), approve("")),
        // `--sha` takes the full commit id; the reply gives the comment to use.
        (
            "short_sha",
            WORKFLOW_WITH_PR,
            "/rerecord --sha ccccccc --setup gpt".to_owned(),
        ),
        // The inputs rerecord pins cannot be set from the comment.
        (
            "pinned_input",
            WORKFLOW_WITH_PR,
            format!("/rerecord -f head_sha={zeros}"),
        ),
    ];
    for (name, workflow, body) in cases {
        let w = world(workflow);
        let reply = w.refused(w.fork_pr, "COLLABORATOR", &body);
        snap::assert_redacted(&format!("command_reply_{name}"), &reply, &[]);
    }
}

#[test]
fn read_only_users_members_without_write_and_outsiders_get_one_reaction_and_no_reply() {
    let w = world(WORKFLOW_WITH_PR);
    for (user, association, role) in [
        ("reader", "CONTRIBUTOR", "read"),
        ("member", "MEMBER", "triage"),
        ("stranger", "NONE", "read"),
    ] {
        let (id, run) = w.comment(w.fork_pr, user, association, "/rerecord --setup gpt");
        let run = run.success();
        assert!(
            w.gh.runs(UPSTREAM).is_empty(),
            "{user}: {}",
            run.all_output()
        );
        assert_eq!(w.reactions(id), ["confused"], "{user}");
        run.assert_stdout_has("status    refused");
        // The log (the maintainers') says why.
        assert!(
            run.all_output().contains(&format!(
                "need the `write` role or higher on `{UPSTREAM}`; `{user}` has `{role}`"
            )),
            "{}",
            run.all_output()
        );
    }
    assert_eq!(w.ours(w.fork_pr), [], "no reply to anyone who cannot push");
}

#[test]
fn an_outsider_repeating_the_command_gets_one_reaction_per_comment_and_nothing_else() {
    let w = world(WORKFLOW_WITH_PR);
    let before = w.gh.requests().len();
    let mut ids = Vec::new();
    for i in 0..8 {
        let body = format!("/rerecord --setup gpt {MARKER} try {i}");
        let (id, run) = w.comment(w.fork_pr, "stranger", "NONE", &body);
        run.success();
        ids.push(id);
    }
    let writes: Vec<(String, String)> = w.gh.requests()[before..]
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    let expected: Vec<(String, String)> = ids
        .iter()
        .map(|id| {
            (
                "POST".to_owned(),
                format!("/repos/{UPSTREAM}/issues/comments/{id}/reactions"),
            )
        })
        .collect();
    assert_eq!(writes, expected, "one reaction per comment, no reply");
    for id in ids {
        assert_eq!(w.reactions(id), ["confused"]);
    }
    assert_eq!(w.ours(w.fork_pr), []);
}

#[test]
fn a_stricter_permission_from_rerecord_toml_refuses_a_writer() {
    let w = world(WORKFLOW_WITH_PR);
    w.gh.set_file(
        UPSTREAM,
        "main",
        "rerecord.toml",
        "[command]\npermission = \"maintain\"\n",
    );
    let (_, run) = w.comment(w.fork_pr, "maint", "COLLABORATOR", "/rerecord");
    run.success();
    assert!(w.gh.runs(UPSTREAM).is_empty());
    assert!(w.ours(w.fork_pr)[0].1.contains("need the `maintain` role"));
    w.gh.set_custom_role(UPSTREAM, "lead", "release-lead", "admin");
    let (_, run) = w.comment(w.fork_pr, "lead", "MEMBER", &approve(""));
    run.success();
    assert_eq!(
        w.gh.runs(UPSTREAM).len(),
        1,
        "a custom role counts as its base role"
    );
}

#[test]
fn a_team_from_rerecord_toml_admits_only_its_active_members_among_writers() {
    let w = world(WORKFLOW_WITH_PR);
    w.gh.set_file(
        UPSTREAM,
        "main",
        "rerecord.toml",
        "[command]\nteam = \"upstream/recorders\"\n",
    );
    w.gh.set_role(UPSTREAM, "invited", "write");
    w.gh.set_team_member("upstream/recorders", "invited", "pending");
    // A writer outside the team, then one whose invitation is still pending: refused.
    for who in ["maint", "invited"] {
        let (_, run) = w.comment(w.fork_pr, who, "MEMBER", "/rerecord");
        run.success();
        assert!(w.gh.runs(UPSTREAM).is_empty(), "{who} dispatched");
    }
    let replies: Vec<String> = w.ours(w.fork_pr).into_iter().map(|(_, b)| b).collect();
    assert!(
        replies
            .iter()
            .any(|b| b.contains("`maint` is not a member")),
        "{replies:?}"
    );
    assert!(
        replies
            .iter()
            .any(|b| b.contains("`invited` is invited but not yet a member")),
        "{replies:?}"
    );
    // An active member with write dispatches; a member without write still cannot.
    w.gh.set_team_member("upstream/recorders", "maint", "active");
    w.gh.set_team_member("upstream/recorders", "reader", "active");
    let (_, run) = w.comment(w.fork_pr, "reader", "MEMBER", "/rerecord");
    run.success();
    assert!(w.gh.runs(UPSTREAM).is_empty(), "a reader dispatched");
    let (_, run) = w.comment(w.fork_pr, "maint", "MEMBER", &approve(""));
    run.success();
    assert_eq!(w.gh.runs(UPSTREAM).len(), 1);
}

#[test]
fn an_edited_comment_does_nothing() {
    let w = world(WORKFLOW_WITH_PR);
    let (id, typo) = w.maint_on_fork_pr("typo");
    let payload = w.gh.edited_comment_event(UPSTREAM, &typo, "/rerecord");
    let before = w.gh.requests().len();
    let run = w.run("issue_comment", &payload, &[]).success();
    run.assert_stderr_has("nothing to do");
    assert_eq!(w.gh.requests().len(), before, "not one API call");
    assert!(w.reactions(id).is_empty());
    assert!(w.ours(w.fork_pr).is_empty());
}

#[test]
fn a_comment_on_an_issue_or_without_the_word_does_nothing() {
    let w = world(WORKFLOW_WITH_PR);
    w.gh.add_comment(UPSTREAM, 50, "an issue");
    let before = w.gh.requests().len();
    let (_, run) = w.comment(50, "maint", "COLLABORATOR", "/rerecord");
    run.success();
    assert_eq!(
        w.gh.requests().len(),
        before,
        "not one API call for an issue"
    );
    for body in ["please /rerecord", "/rerecordx", "> /rerecord"] {
        let (id, run) = w.comment(w.fork_pr, "maint", "COLLABORATOR", body);
        run.success();
        assert!(w.reactions(id).is_empty(), "{body}");
    }
    assert!(w.gh.runs(UPSTREAM).is_empty());
    assert!(w.ours(w.fork_pr).is_empty());
}

#[test]
fn a_push_after_the_comment_is_refused_and_the_reply_names_the_new_head() {
    let w = world(WORKFLOW_WITH_PR);
    let (_, payload) = w.maint_on_fork_pr(&approve("-k x"));
    let pushed = "dddddddddddddddddddddddddddddddddddddddd";
    w.gh.push_to_pr(UPSTREAM, w.fork_pr, pushed, Utc::now());
    w.run("issue_comment", &payload, &[]).success();
    assert!(w.gh.runs(UPSTREAM).is_empty());
    let reply = w.ours(w.fork_pr).pop().unwrap().1;
    snap::assert_redacted("command_reply_pushed_after_the_comment", &reply, &[]);
}

/// The issue's bypass: the author force-pushes, after the comment, a commit back-dated to before
/// it that already had a CI run in another PR. Neither the date nor that run counts now.
#[test]
fn a_back_dated_force_push_with_an_earlier_run_elsewhere_is_refused() {
    let pushed = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
    for body in [approve(""), "/rerecord".to_owned()] {
        let w = world(WORKFLOW_WITH_PR);
        let (_, payload) = w.maint_on_fork_pr(&body);
        // A throw-away PR ran CI on the commit days ago; then it became this PR's head.
        let mut ci = RunSpec::pull_request("ci.yml", FORK, "throwaway", pushed);
        ci.created_at = Utc::now() - Duration::days(2);
        w.gh.add_run(UPSTREAM, ci);
        w.gh.push_to_pr(UPSTREAM, w.fork_pr, pushed, Utc::now() - Duration::days(3));
        let run = w.run("issue_comment", &payload, &[]).success();
        let dispatched: Vec<_> =
            w.gh.runs(UPSTREAM)
                .into_iter()
                .filter(|r| r.spec.event == "workflow_dispatch")
                .collect();
        assert!(dispatched.is_empty(), "{body}: {}", run.all_output());
        let reply = w.ours(w.fork_pr).pop().unwrap().1;
        assert!(reply.starts_with(REPLY), "{reply}");
        assert!(
            reply.contains(&format!("/rerecord --sha {pushed}")),
            "{body}: the reply gives the comment for the new head: {reply}"
        );
    }
}

#[test]
fn a_fork_pr_without_sha_gets_one_reply_with_the_approving_comment_and_no_dispatch() {
    let w = world(WORKFLOW_WITH_PR);
    w.gh.set_role(UPSTREAM, "alice", "read");
    let before = w.gh.runs(UPSTREAM).len();
    let (id, run) = w.comment(
        w.fork_pr,
        "maint",
        "COLLABORATOR",
        "/rerecord agents -k 'a b'",
    );
    let run = run.success();
    assert_eq!(w.gh.runs(UPSTREAM).len(), before, "{}", run.all_output());
    assert_eq!(w.reactions(id), ["eyes", "confused"]);
    let ours = w.ours(w.fork_pr);
    assert_eq!(ours.len(), 1, "exactly one reply: {ours:?}");
    let reply = &ours[0].1;
    assert!(reply.starts_with(REPLY), "{reply}");
    assert!(reply.contains("its head is in `alice/widgets`"), "{reply}");
    let (outside, inside) = split_fence(reply);
    assert_eq!(
        inside,
        format!("/rerecord --sha {FORK_SHA} agents -k 'a b'"),
        "{reply}"
    );
    assert!(!outside.contains('@'), "no mention: {reply}");
    run.assert_stdout_has("status    refused");

    // Commenting exactly that dispatches the head it names.
    let (_, run) = w.comment(w.fork_pr, "maint", "COLLABORATOR", &inside);
    run.success();
    let runs = w.gh.runs(UPSTREAM);
    assert_eq!(runs.len(), before + 1);
    assert_eq!(runs[before].inputs["head_sha"], json!(FORK_SHA));
    assert_eq!(runs[before].inputs["pattern"], json!("a b"));
}

#[test]
fn a_same_repository_pr_by_a_writer_needs_no_sha_and_records_its_head() {
    let w = world(WORKFLOW_WITH_PR);
    let (_, dispatched) = w.dispatched(w.branch_pr, "MEMBER", "/rerecord -k x");
    assert_eq!(dispatched.inputs["head_sha"], json!(BRANCH_SHA));
    assert_eq!(
        dispatched.inputs["pr_number"],
        json!(w.branch_pr.to_string())
    );
}

#[test]
fn a_same_repository_pr_by_an_author_without_write_needs_the_sha() {
    let w = world(WORKFLOW_WITH_PR);
    w.gh.set_pr_author(UPSTREAM, w.branch_pr, "reader");
    let reply = w.refused(w.branch_pr, "MEMBER", "/rerecord");
    snap::assert_redacted("command_reply_author_without_write", &reply, &[]);
    let (_, run) = w.comment(
        w.branch_pr,
        "maint",
        "MEMBER",
        &format!("/rerecord --sha {}", BRANCH_SHA.to_uppercase()),
    );
    run.success();
    assert_eq!(w.gh.runs(UPSTREAM).len(), 1, "the full sha approves it");
}

#[test]
fn hostile_text_stays_inert_data() {
    let w = world(WORKFLOW_WITH_PR);
    let marker = w.dir.path().join("pwned");
    let pattern = format!(
        "$(touch {}) `touch {}` ${{{{ secrets.GH_TOKEN }}}}",
        path_str(&marker),
        path_str(&marker)
    );
    let body = format!(
        "{}\n::error::second line\n##[set-output name=a]b",
        approve(&format!(
            "-k '{pattern}' --setup '::add-mask::x ##[error]y'"
        ))
    );
    let (run, dispatched) = w.dispatched(w.fork_pr, "COLLABORATOR", &body);
    assert!(!marker.exists(), "nothing was executed");
    assert_eq!(dispatched.inputs["pattern"], json!(pattern));
    assert_eq!(
        dispatched.inputs["test-setup"],
        json!("::add-mask::x ##[error]y")
    );
    for line in run.all_output().lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "a workflow command in the log: {line}"
        );
        assert!(
            !line.contains("##["),
            "a legacy workflow command in the log: {line}"
        );
    }
    assert!(
        !run.all_output().contains("second line"),
        "only the first line is read"
    );
    let status = &w.ours(w.fork_pr)[0].1;
    assert!(
        status.contains("`test-setup=::add-mask::x ##[error]y`"),
        "{status}"
    );
}

#[test]
fn unknown_options_are_answered_in_a_fenced_block_that_cannot_link_or_mention() {
    let w = world(WORKFLOW_WITH_PR);
    let body = "/rerecord --evil '```@acme/admins [x](https://evil.example) <img src=x>'";
    let reply = w.refused(w.fork_pr, "COLLABORATOR", body);
    snap::assert_redacted("command_reply_unknown_options", &reply, &[]);
    let (outside, inside) = split_fence(&reply);
    assert!(inside.contains("--evil"), "{reply}");
    for bad in ["@acme", "](https", "<img"] {
        assert!(!outside.contains(bad), "{bad} outside code:\n{reply}");
    }
    let (_, run) = w.comment(w.fork_pr, "maint", "COLLABORATOR", "/rerecord --help");
    run.success();
    let help = w.ours(w.fork_pr).pop().unwrap().1;
    // The usage text is `rerecord schedule`'s (its --help is snapshotted in cli.rs).
    assert!(
        help.contains("**Usage**") && help.contains("--test-pattern"),
        "{help}"
    );
}

/// The text outside and inside the reply's one fenced block (the quote line is a code span).
fn split_fence(md: &str) -> (String, String) {
    let mut outside = String::new();
    let mut inside = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        match &fence {
            Some(f) if line == f => fence = None,
            Some(_) => inside.push_str(line),
            None if line.starts_with("```") => {
                fence = Some(line.trim_end_matches("text").to_string());
            }
            None => {
                // Inline code spans are inert too.
                let mut code = false;
                for part in line.split('`') {
                    if !code {
                        outside.push_str(part);
                    }
                    code = !code;
                }
            }
        }
    }
    (outside, inside)
}

#[test]
fn the_label_flow_checks_the_labeller_and_the_head_the_label_saw() {
    let w = world(WORKFLOW_WITH_PR);
    let other = w.gh.label_event(UPSTREAM, w.fork_pr, "maint", "bug");
    w.run("pull_request_target", &other, &[]).success();
    assert!(w.gh.runs(UPSTREAM).is_empty());

    // A refused label: nothing dispatched, and our reply says why.
    let refused = |label: &Value| {
        w.run("pull_request_target", label, &[]).success();
        assert!(w.gh.runs(UPSTREAM).is_empty());
        w.ours(w.fork_pr).pop().unwrap().1
    };
    let by_reader = w.gh.label_event(UPSTREAM, w.fork_pr, "reader", "re-record");
    let reply = refused(&by_reader);
    snap::assert_redacted("command_reply_label_by_reader", &reply, &[]);

    let stale = w.gh.label_event(UPSTREAM, w.fork_pr, "maint", "re-record");
    w.gh.push_to_pr(UPSTREAM, w.fork_pr, &"f".repeat(40), Utc::now());
    let reply = refused(&stale);
    snap::assert_redacted("command_reply_label_before_a_push", &reply, &[]);

    let fresh = w.gh.label_event(UPSTREAM, w.fork_pr, "maint", "Re-Record");
    let run = w.run("pull_request_target", &fresh, &[]).success();
    let runs = w.gh.runs(UPSTREAM);
    assert_eq!(runs.len(), 1, "{}", run.all_output());
    assert_eq!(runs[0].inputs["head_sha"], json!("f".repeat(40)));
    assert_eq!(runs[0].inputs["pr_number"], json!(w.fork_pr.to_string()));
}

#[test]
fn the_sticky_status_comment_is_created_once_and_updated() {
    let w = world(WORKFLOW_WITH_PR);
    w.comment(w.fork_pr, "maint", "COLLABORATOR", &approve(""))
        .1
        .success();
    // A marker comment by someone else is never adopted.
    w.gh.add_comment(UPSTREAM, w.fork_pr, &format!("{MARKER}\nfake status"));
    w.comment(
        w.fork_pr,
        "maint",
        "COLLABORATOR",
        &approve("--suite vision"),
    )
    .1
    .success();
    let runs = w.gh.runs(UPSTREAM);
    assert_eq!(runs.len(), 2);
    let sticky: Vec<_> = w
        .ours(w.fork_pr)
        .into_iter()
        .filter(|(_, b)| b.starts_with(MARKER))
        .collect();
    assert_eq!(sticky.len(), 1, "{sticky:?}");
    assert!(
        sticky[0].1.contains(&format!("[run {}](", runs[1].id)),
        "{}",
        sticky[0].1
    );
    assert!(sticky[0].1.contains("`suite=vision`"), "{}", sticky[0].1);
}

#[test]
fn dry_run_and_json_touch_nothing() {
    let w = world(WORKFLOW_WITH_PR);
    let (id, payload) = w.maint_on_fork_pr(&approve("-k x"));
    let run = w
        .run("issue_comment", &payload, &["--dry-run", "--json"])
        .success();
    let out = run.json();
    assert_eq!(out["status"], "dry-run");
    assert_eq!(out["inputs"]["pattern"], "x");
    assert_eq!(out["head_sha"], FORK_SHA);
    assert!(w.gh.runs(UPSTREAM).is_empty());
    assert!(w.reactions(id).is_empty());
    assert!(w.ours(w.fork_pr).is_empty());
}

#[test]
fn outside_a_workflow_it_says_where_it_runs() {
    let run = rerecord().arg("command").run().expect_code(2);
    run.assert_stderr_has("issue_comment");
}

#[test]
fn the_template_triggers_on_created_comments_and_labels_checks_out_nothing_and_says_why() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("workflows/rerecord-command.yml")).unwrap();
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let on = &doc["on"];
    assert_eq!(
        on["issue_comment"]["types"],
        serde_yaml_ng::from_str::<serde_yaml_ng::Value>("[created]").unwrap()
    );
    assert_eq!(
        on["pull_request_target"]["types"],
        serde_yaml_ng::from_str::<serde_yaml_ng::Value>("[labeled]").unwrap()
    );
    assert_eq!(on.as_mapping().unwrap().len(), 2, "no other trigger");
    let jobs = doc["jobs"].as_mapping().unwrap();
    assert_eq!(jobs.len(), 1);
    let job = &doc["jobs"]["command"];
    let perms: Vec<(String, String)> = job["permissions"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().into(), v.as_str().unwrap().into()))
        .collect();
    assert_eq!(
        perms,
        [
            ("actions".to_string(), "write".to_string()),
            ("contents".into(), "read".into()),
            ("issues".into(), "write".into()),
            ("pull-requests".into(), "write".into()),
        ]
    );
    for step in job["steps"].as_sequence().unwrap() {
        let uses = step["uses"].as_str().unwrap_or("");
        assert!(
            !uses.contains("checkout"),
            "no checkout in the command workflow: {uses}"
        );
        assert!(
            step["run"].is_null(),
            "no run: script (the comment must never reach a shell)"
        );
    }
    assert!(text.contains("Why these triggers are safe (zizmor's dangerous-triggers audit)"));
    assert_eq!(
        text.matches("# zizmor: ignore[dangerous-triggers]").count(),
        2
    );
    let action = std::fs::read_to_string(root.join("command/action.yml")).unwrap();
    assert!(action.contains("install-rerecord.sh"));
    assert!(
        !action.contains("github.event"),
        "the action takes nothing from the event in YAML"
    );
}

#[test]
fn json_output_carries_hostile_values_without_a_workflow_command() {
    let w = world(WORKFLOW_WITH_PR);
    let (_, payload) = w.maint_on_fork_pr(&approve("-k '##[add-mask]x ::stop-commands::y'"));
    let run = w.run("issue_comment", &payload, &["--json"]).success();
    assert!(!run.stdout.contains("##["), "{}", run.stdout);
    assert_eq!(
        run.json()["inputs"]["pattern"],
        "##[add-mask]x ::stop-commands::y"
    );
}

/// Where GitHub answers a dispatch with 204 (no run details) and a job token cannot ask for
/// its own runs by actor, the run reported is the one titled for this PR and head, not an
/// older dispatch of another PR that started a moment before.
#[test]
fn the_run_reported_after_a_204_is_the_one_titled_for_this_pr_and_head() {
    let titled = WORKFLOW_WITH_PR.replacen(
        "on:\n",
        "run-name: Record PR #${{ inputs.pr_number }} at ${{ inputs.head_sha }}\non:\n",
        1,
    );
    let w = world(&titled);
    w.gh.set_dispatch_mode(crate::support::fake_github::DispatchMode::NoContent);
    let mut other = RunSpec::completed(WORKFLOW, "main", MAIN_SHA, "success");
    other.status = "in_progress".into();
    other.conclusion = None;
    other.created_at = Utc::now() - Duration::seconds(1);
    other.display_title = Some(format!("Record PR #{} at {BRANCH_SHA}", w.branch_pr));
    let other = w.gh.add_run(UPSTREAM, other);

    let (_, run) = w.comment(w.fork_pr, "maint", "MEMBER", &approve(""));

    let run = run.success();
    let ours: Vec<u64> =
        w.gh.runs(UPSTREAM)
            .into_iter()
            .filter(|r| r.id != other)
            .map(|r| r.id)
            .collect();
    assert_eq!(ours.len(), 1, "{}", run.all_output());
    let comments = w.ours(w.fork_pr);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(
        comments[0].1.contains(&format!("[run {}](", ours[0])),
        "{}",
        comments[0].1
    );
    assert!(
        !comments[0].1.contains(&format!("[run {other}](")),
        "{}",
        comments[0].1
    );
}
