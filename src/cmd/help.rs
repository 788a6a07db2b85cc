//! `nhiscan completions SHELL` and `nhiscan man`: generated from the same clap definitions as the
//! parser, so they never drift from the options.

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::Cli;

/// Prints the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Result<i32> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "nhiscan", &mut std::io::stdout());
    Ok(super::EXIT_CLEAN)
}

/// Prints the manual page in roff.
pub fn man() -> Result<i32> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    std::io::Write::write_all(&mut std::io::stdout(), &out)?;
    Ok(super::EXIT_CLEAN)
}
