//! Errors a caller must branch on, and the mapping of any error to an exit code.
//!
//! Everything else is `anyhow` with context; only these typed errors change behaviour.

use thiserror::Error;

/// A problem with what the user typed (exit 2), found after clap's own parsing.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Exit code for an error: 2 for usage errors, 1 for everything else.
pub fn exit_code_for(err: &anyhow::Error) -> u8 {
    if err.chain().any(|cause| cause.is::<UsageError>()) {
        2
    } else {
        1
    }
}

/// Shorthand for returning a usage error.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// What kind of failure an error is, for `--json` consumers: `usage`, `network` (no answer from
/// GitHub), `api` (GitHub answered with an error) or `error`.
pub fn kind_of(err: &anyhow::Error) -> &'static str {
    if err.chain().any(|cause| cause.is::<UsageError>()) {
        "usage"
    } else if let Some(api) = err
        .chain()
        .find_map(|c| c.downcast_ref::<crate::github::ApiError>())
    {
        if api.status.is_none() {
            "network"
        } else {
            "api"
        }
    } else {
        "error"
    }
}

/// The one-line JSON object a `--json` command prints on stdout when it fails:
/// `{"error": {"message": ..., "kind": ...}}`.
pub fn json_object(err: &anyhow::Error) -> String {
    let value = serde_json::json!({
        "error": {"message": crate::neutralise::safe_lines(&format!("{err:#}")), "kind": kind_of(err)}
    });
    crate::neutralise::json_line(&value).unwrap_or_else(|_| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_error_names_its_kind_on_one_line() {
        let usage_err = usage("bad flag\nsecond line");
        let line = json_object(&usage_err);
        assert!(!line.contains('\n'), "{line}");
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["error"]["kind"], "usage");
        assert!(v["error"]["message"].as_str().unwrap().contains("bad flag"));
        let net: anyhow::Error = crate::github::ApiError {
            method: http::Method::GET,
            path: "/user".into(),
            status: None,
            message: "operation timed out".into(),
        }
        .into();
        assert_eq!(kind_of(&net), "network");
        assert_eq!(kind_of(&anyhow::anyhow!("x")), "error");
    }
}
