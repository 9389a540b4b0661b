//! The endpoints `rerecord command` uses, against their 2022-11-28 schemas
//! (`tests/fixtures/github-api/openapi-command.2022-11-28.json`), and the behaviour the command's
//! tests rely on: reactions are idempotent per user and content, roles map to GitHub's legacy
//! `permission`, unknown commits are 422, and the built payloads keep the real examples' shape.

use serde_json::json;

use super::client::{get, post};
use super::conformance::Spec;
use super::world;

const SPEC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/github-api/openapi-command.2022-11-28.json"
);

#[test]
fn reactions_permissions_and_commits_answer_bodies_valid_under_the_schemas() {
    let spec = Spec::load_file(SPEC);
    let w = world();
    let gh = &w.gh;
    let r = "/repos/{owner}/{repo}";
    let reactions = format!("{r}/issues/comments/{{comment_id}}/reactions");
    let url = format!(
        "/repos/acme/widgets/issues/comments/{}/reactions",
        w.comment
    );
    let first = post(gh, &url, json!({"content": "eyes"}));
    assert_eq!(first.status, 201);
    spec.check(&reactions, "post", &first);
    let again = post(gh, &url, json!({"content": "eyes"}));
    assert_eq!(
        again.status, 200,
        "the same reaction again is the existing one"
    );
    assert_eq!(again.json()["id"], first.json()["id"]);
    spec.check(&reactions, "post", &again);
    let bad = post(gh, &url, json!({"content": "shrug"}));
    assert_eq!(bad.status, 422);
    spec.check(&reactions, "post", &bad);
    assert_eq!(
        post(
            gh,
            "/repos/acme/widgets/issues/comments/999/reactions",
            json!({"content": "eyes"})
        )
        .status,
        404
    );

    let permission = format!("{r}/collaborators/{{username}}/permission");
    gh.set_role("acme/widgets", "keeper", "maintain");
    gh.set_role("acme/widgets", "sorter", "triage");
    for (login, legacy, role) in [
        ("keeper", "write", "maintain"),
        ("sorter", "read", "triage"),
        ("nobody", "read", "read"),
    ] {
        let resp = get(
            gh,
            &format!("/repos/acme/widgets/collaborators/{login}/permission"),
        );
        assert_eq!(resp.status, 200);
        spec.check(&permission, "get", &resp);
        assert_eq!(resp.json()["permission"], legacy, "{login}");
        assert_eq!(resp.json()["role_name"], role, "{login}");
    }

    let commit = format!("{r}/commits/{{ref}}");
    let sha = "c".repeat(40);
    let resp = get(gh, &format!("/repos/acme/widgets/commits/{sha}"));
    assert_eq!(resp.status, 200);
    spec.check(&commit, "get", &resp);
    assert!(resp.json()["commit"]["committer"]["date"].is_string());
    let missing = get(
        gh,
        &format!("/repos/acme/widgets/commits/{}", "9".repeat(40)),
    );
    assert_eq!(missing.status, 422);
    spec.check(&commit, "get", &missing);
}

#[test]
fn built_payloads_keep_the_real_examples_keys() {
    let w = world();
    let real: serde_json::Value = serde_json::from_str(include_str!(
        "../../fixtures/github-api/webhooks/issue_comment.created.json"
    ))
    .unwrap();
    let (_, built) =
        w.gh.comment_event("acme/widgets", w.pr, "maint", "MEMBER", "/rerecord");
    for key in real.as_object().unwrap().keys() {
        assert!(built.get(key).is_some(), "issue_comment payload lost {key}");
    }
    assert!(built["issue"]["pull_request"]["url"].is_string());
    assert_eq!(built["comment"]["author_association"], "MEMBER");
    let labeled = w.gh.label_event("acme/widgets", w.pr, "maint", "re-record");
    assert_eq!(labeled["action"], "labeled");
    assert_eq!(labeled["label"]["name"], "re-record");
    assert_eq!(labeled["pull_request"]["labels"][0]["name"], "re-record");
    assert_eq!(labeled["pull_request"]["head"]["sha"], "c".repeat(40));
}
