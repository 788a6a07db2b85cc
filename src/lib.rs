//! nhiscan: finds hardcoded secrets, long-lived keys and wildcard permissions of non-human identities.
//!
//! Data flows one way (`docs/architecture.md`): settings resolved once, a pipeline (`run`) that loads
//! the project, drives a source producing units, scans them (`scan`: the rule engine and the
//! structural analyzers), collects and filters findings, computes the outcome once and renders the
//! reports. The binary is the interface; this library exposes only what the binary, the tests and the
//! benchmarks need.

#![warn(missing_docs)]

pub mod cli;
pub mod cmd;
pub mod context;
pub mod finding;
#[doc(hidden)]
pub mod fuzzing;
pub mod scan;
pub mod store;

pub(crate) mod analyze;
pub(crate) mod batch;
pub(crate) mod collect;
pub(crate) mod config;
pub(crate) mod dates;
pub(crate) mod engine;
pub(crate) mod inventory;
pub(crate) mod lifetime;
pub(crate) mod progress;
pub(crate) mod report;
pub(crate) mod ruleset;
pub(crate) mod run;
pub(crate) mod settings;
pub(crate) mod source;
pub(crate) mod util;

/// Rules as data: the built-in rule files, parsing and checking rule files.
pub mod rules {
    pub use crate::cmd::rules::check_file;
    pub use crate::engine::rule::{builtin, check_unique, parse_file, Rule, RuleSpec, BUILTIN};
}

pub use lifetime::aws_account_id;
