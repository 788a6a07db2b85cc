//! `nhiscan install-hook`: writes the repository's pre-commit hook (where git looks for it, so
//! `core.hooksPath` and worktrees are honoured). An existing hook that nhiscan did not write is kept
//! unless `--force`.

use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};

use crate::cli::InstallHookArgs;
use crate::source::git::Repo;

/// Marks a hook as ours, so reinstalling replaces it without --force.
pub const MARKER: &str = "# installed by `nhiscan install-hook`";

/// The hook script: runs `nhiscan staged`, or fails with a hint when nhiscan is not on PATH.
pub fn script() -> String {
    format!(
        "#!/bin/sh\n{MARKER}: checks what this commit adds for secrets.\n\
         # Fix or suppress a finding as the message says; bypass once with `git commit --no-verify`.\n\
         if ! command -v nhiscan >/dev/null 2>&1; then\n\
         \x20 echo 'nhiscan pre-commit hook: nhiscan is not on PATH; install it (cargo install --locked nhiscan) or remove .git/hooks/pre-commit' >&2\n\
         \x20 exit 1\n\
         fi\n\
         exec nhiscan staged \"$@\"\n"
    )
}

/// Runs `nhiscan install-hook`.
pub fn run(args: &InstallHookArgs) -> Result<i32> {
    let repo = Repo::open(&args.repo)?;
    let out = repo.output(&["rev-parse", "--git-path", "hooks"])?;
    let mut dir = PathBuf::from(String::from_utf8_lossy(&out).trim_end());
    if dir.is_relative() {
        dir = args.repo.join(dir);
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot create hooks directory", dir.display()))?;
    let hook = dir.join("pre-commit");
    if let Ok(existing) = std::fs::read_to_string(&hook) {
        if !existing.contains(MARKER) && !args.force {
            bail!(
                "{}: a pre-commit hook already exists and nhiscan did not write it; add `nhiscan staged` to it yourself, \
                 use the pre-commit framework (.pre-commit-hooks.yaml), or replace it with --force",
                hook.display()
            );
        }
    } else if hook.symlink_metadata().is_ok() && !args.force {
        bail!(
            "{}: exists and is not readable; replace it with --force",
            hook.display()
        );
    }
    std::fs::write(&hook, script())
        .with_context(|| format!("{}: cannot write hook", hook.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("{}: cannot make the hook executable", hook.display()))?;
    }
    eprintln!(
        "installed {}: every commit is now checked with `nhiscan staged`",
        hook.display()
    );
    Ok(super::EXIT_CLEAN)
}
