//! nhiscan: finds hardcoded secrets, long-lived keys and wildcard permissions of non-human identities.
//!
//! Data flows one way: a [`source`] yields content with an [`Origin`](finding::Origin); the
//! [`scan::Scanner`] runs the rule [`engine`] and the structural [`analyze`]rs over it; findings go into
//! a [`collect::Collector`] that applies suppressions; [`report`]s render the finished list.

pub mod analyze;
pub mod cli;
pub mod cmd;
pub mod collect;
pub mod config;
pub mod dates;
pub mod engine;
pub mod finding;
pub mod lifetime;
pub mod progress;
pub mod report;
pub mod ruleset;
pub mod run;
pub mod scan;
pub mod settings;
pub mod source;
pub mod util;
