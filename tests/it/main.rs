//! nhiscan's integration tests, one crate: [`support`] holds the shared helpers, each module one
//! capability. Analyzers and rules run in process ([`nhiscan::scan::Scanner`]); the binary is kept for
//! what a user sees (exit codes, options, config, hooks, reports, git history, images).

mod batch;
mod confidence;
mod config;
mod context;
mod conventions;
mod deploy;
mod dockerfile;
mod docs;
mod encodings;
mod false_positives;
mod fuzz;
mod git;
mod git_packed;
mod hostile;
mod html;
mod image;
mod inventory;
mod password_hashes;
mod pipeline;
mod posture;
mod providers;
mod reports;
mod rules;
mod sarif;
mod scan;
mod staged;
mod store;
mod support;
