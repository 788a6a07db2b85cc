//! Small helpers that several layers share, kept below all of them.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context as _, Result};

/// Reads a small text input of the user's (config, rule file, policy, baseline): it must be a
/// regular file no larger than `max` bytes, so `rules = ["/dev/zero"]` in a repository's own config
/// is an error naming the file, not a read until memory runs out.
pub(crate) fn read_text(path: &Path, max: u64, what: &str) -> Result<String> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("{}: cannot read {what}", path.display()))?;
    if !meta.is_file() {
        bail!("{}: cannot read {what}: not a regular file", path.display());
    }
    if meta.len() > max {
        bail!(
            "{}: cannot read {what}: {} bytes is over the {max}-byte limit",
            path.display(),
            meta.len()
        );
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(max).read_to_string(&mut text))
        .with_context(|| format!("{}: cannot read {what}", path.display()))?;
    Ok(text)
}

/// The limit for config, rule and policy files.
pub(crate) const MAX_CONFIG: u64 = 16 << 20;
/// The limit for baseline files (a JSON report of a large history serves as one).
pub(crate) const MAX_BASELINE: u64 = 512 << 20;
