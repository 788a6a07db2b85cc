//! Parses arguments, runs the command, maps errors to exit code 2. Nothing else lives here.

use clap::Parser;
use nhiscan::cli::{BaselineCommand, Cli, Command, RulesCommand};
use nhiscan::cmd;

fn main() {
    // Like other Unix filters: `nhiscan rules list | head` ends quietly when the reader goes away,
    // instead of panicking on a broken pipe.
    // SAFETY: setting a signal disposition to its default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // A panic message may quote scanned content (a slice of a line, a token): only where it
    // happened is printed. A panic while scanning one unit is caught there and reported as that
    // unit's error; the scan goes on.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        eprintln!("nhiscan: internal error{at} (a bug: please report it; the message is withheld because it may quote scanned content)");
    }));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { cmd::EXIT_ERROR } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let result = match &cli.command {
        Command::Scan(args) => cmd::scan::run(args),
        Command::Git(args) => cmd::git::run(args),
        Command::Staged(args) => cmd::staged::run(args),
        Command::InstallHook(args) => cmd::hook::run(args),
        Command::Baseline {
            command: BaselineCommand::Create(args),
        } => cmd::baseline::create(args),
        Command::Image(args) => cmd::image::run(args),
        Command::Batch(args) => cmd::batch::run(args),
        Command::Completions { shell } => cmd::help::completions(*shell),
        Command::Man => cmd::help::man(),
        Command::Inventory(args) => cmd::inventory::inventory(args),
        Command::Report(args) => cmd::inventory::report(args),
        Command::Findings(args) => cmd::findings::run(args),
        Command::Diff(args) => cmd::diff::run(args),
        Command::Triage(args) => cmd::triage::run(args),
        Command::Merge(args) => cmd::merge::run(args),
        Command::Rules { command } => match command {
            RulesCommand::List { format, rules } => cmd::rules::list(rules, *format),
            RulesCommand::Explain { id, rules } => cmd::rules::explain(rules, id),
            RulesCommand::Check { files } => cmd::rules::check(files),
        },
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            cmd::print_error(&e);
            std::process::exit(cmd::EXIT_ERROR);
        }
    }
}
