//! nhiscan's integration tests, one crate: `support` and `gitutil` hold the shared helpers, each
//! other module one capability.

mod config;
mod dockerfile;
mod git;
mod gitutil;
mod image;
mod posture;
mod rules;
mod sarif;
mod scan;
mod staged;
mod support;
