//! What each subcommand does. A scanning command only chooses a [`Source`](crate::source::Source) and
//! resolves its [`Settings`](crate::settings::Settings); the pipeline ([`crate::run`]) does the rest,
//! the same way for every command.

pub mod baseline;
pub mod git;
pub mod help;
pub mod hook;
pub mod image;
pub mod rules;
pub mod scan;
pub mod staged;

pub use crate::run::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
