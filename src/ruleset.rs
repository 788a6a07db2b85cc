//! Builds the rule set a command runs: the built-in rules, plus user rule files, minus what
//! `--enable`/`--disable` leave out. Unknown rule ids are an error, not a silent no-op.

use anyhow::{bail, Result};

use crate::engine::rule::{self, Rule};
use crate::settings::RuleSelection;

/// The rules `args` select, with the project's extra rule files.
pub(crate) fn load(args: &RuleSelection, extra_files: &[std::path::PathBuf]) -> Result<Vec<Rule>> {
    let mut rules = rule::builtin()?;
    for f in args.files.iter().chain(extra_files) {
        rules.extend(rule::load_path(f)?);
    }
    rule::check_unique(&rules)?;
    for id in args.enable.iter().chain(&args.disable) {
        if !rules.iter().any(|r| r.id() == id) {
            bail!("unknown rule id `{id}` (see `nhiscan rules list`)");
        }
    }
    if !args.enable.is_empty() {
        rules.retain(|r| args.enable.iter().any(|e| e == r.id()));
    }
    rules.retain(|r| !args.disable.iter().any(|d| d == r.id()));
    Ok(rules)
}
