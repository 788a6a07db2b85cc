//! What each subcommand does. A scanning command only chooses a [`Source`](crate::source::Source) and
//! resolves its [`Settings`](crate::settings::Settings); the pipeline ([`crate::run`]) does the rest,
//! the same way for every command.

pub mod baseline;
pub mod batch;
pub mod diff;
pub mod findings;
pub mod git;
pub mod help;
pub mod hook;
pub mod image;
pub mod inventory;
pub mod merge;
pub mod rules;
pub mod scan;
pub mod staged;
pub mod triage;

pub use crate::run::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};

/// Prints a fatal error on standard error, control characters escaped (a path may hold any byte).
pub fn print_error(e: &anyhow::Error) {
    eprintln!(
        "error: {}",
        crate::report::escape::terminal_lines(&format!("{e:#}"))
    );
}
