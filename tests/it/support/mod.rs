//! Test support shared by the behaviour tests: a fluent `rerecord` command builder that scrubs
//! the environment, git fixtures, a smart-HTTP git server, the stateful fake GitHub, and TLS
//! (a test CA and a TLS-terminating proxy).
#![allow(dead_code, unused_imports)]

pub mod cmd;
pub mod fake_github;
pub mod git_fixtures;
pub mod git_import;
pub mod git_lfs;
pub mod http_git;
pub mod land_world;
pub mod proxy;
pub mod snap;
pub mod static_http;
pub mod tls;
pub mod zips;
