//! rerecord's integration tests, in one binary (as ripgrep does): one build of the fake GitHub, the
//! git fixtures and the smart-HTTP server for every command's behaviour tests.

mod support;

mod act;
mod action;
mod cli;
mod command;
mod commit;
mod demo;
mod docs;
mod doctor;
mod fake_github;
mod fetch;
mod github_api;
mod init;
mod install_script;
mod land;
mod lfs;
mod lint;
mod local;
mod network;
mod package;
mod release;
mod report_format;
mod review;
mod schedule;
mod secrets;
