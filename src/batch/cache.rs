//! The clone cache: a repository given by URL is cloned once into the cache directory and fetched
//! on later runs. History in scope: `git clone --mirror` (every ref, every object). Only the tree:
//! a blobless clone of the default branch (`--filter=blob:none`), whose checkout fetches the tip's
//! blobs and nothing else. A mirror already in the cache serves a tree-only run too.
//!
//! Network is used only here, only for URLs the user gave, never interactively
//! (`GIT_TERMINAL_PROMPT=0`, askpass answering nothing, ssh in batch mode), and within a timeout. The
//! URL's credentials, if any, are passed on git's command line for each clone or fetch and never
//! written to the cache's config (its `origin` is the redacted URL) nor shown: git's messages are
//! scrubbed of them.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use sha2::{Digest, Sha256};

use super::key::redact;

/// The cache directory and how long one clone or fetch may take.
pub(crate) struct Cache {
    dir: PathBuf,
    timeout: Duration,
}

/// The default cache: `$XDG_CACHE_HOME/nhiscan/repos`, else `~/.cache/nhiscan/repos`.
pub(crate) fn default_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("nhiscan").join("repos")
}

impl Cache {
    /// A cache in `dir` whose git network commands are killed after `timeout`.
    pub(crate) fn new(dir: PathBuf, timeout: Duration) -> Cache {
        Cache { dir, timeout }
    }

    /// The local repository for `url` (key `key`), cloned or brought up to date: a mirror when
    /// `history` is wanted, else a mirror already there or a blobless clone.
    pub(crate) fn get(&self, url: &str, key: &str, history: bool) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create the clone cache {}", self.dir.display()))?;
        let stem = stem(key);
        let mirror = self.dir.join(format!("{stem}.mirror.git"));
        let tree = self.dir.join(format!("{stem}.tree"));
        if mirror.exists() || history {
            if mirror.exists() {
                self.git(
                    Some(&mirror),
                    &["fetch", "--prune", "--quiet", url, "+refs/*:refs/*"],
                    url,
                )
                .context("fetch failed")?;
            } else {
                self.clone_into(&mirror, url, &["--mirror"])?;
            }
            return Ok(mirror);
        }
        if tree.exists() {
            self.git(
                Some(&tree),
                &["fetch", "--quiet", "--filter=blob:none", url, "HEAD"],
                url,
            )
            .context("fetch failed")?;
            // The checkout fetches the blobs of the new tip, and only those.
            self.git(
                Some(&tree),
                &["checkout", "--quiet", "--force", "--detach", "FETCH_HEAD"],
                url,
            )
            .context("checkout of the fetched tip failed")?;
        } else {
            self.clone_into(&tree, url, &["--filter=blob:none", "--single-branch"])?;
        }
        Ok(tree)
    }

    /// Clones into a temporary name first: a clone killed half-way leaves no repository that a
    /// later run would take for a complete one.
    fn clone_into(&self, dest: &Path, url: &str, how: &[&str]) -> Result<()> {
        let tmp = dest.with_extension(format!("partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let mut args = vec!["clone", "--quiet"];
        args.extend_from_slice(how);
        args.extend(["--", url]);
        let t = tmp.display().to_string();
        args.push(&t);
        let cloned = self.git(None, &args, url).context("clone failed");
        if let Err(e) = cloned {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
        // Never keep credentials in the cache's config.
        let redacted = redact(url);
        if redacted != url {
            let _ = self.git(Some(&tmp), &["remote", "set-url", "origin", &redacted], url);
        }
        std::fs::rename(&tmp, dest)
            .with_context(|| format!("cannot move the clone into {}", dest.display()))
    }

    /// Runs a git network command with no prompt and within the timeout; the error is git's
    /// message, credentials removed.
    fn git(&self, dir: Option<&Path>, args: &[&str], url: &str) -> Result<()> {
        let mut c = Command::new("git");
        if let Some(d) = dir {
            c.arg("-C").arg(d);
        }
        c.args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ASKPASS", "true")
            .env("SSH_ASKPASS", "true")
            .env("GCM_INTERACTIVE", "never")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if std::env::var_os("GIT_SSH_COMMAND").is_none() {
            c.env(
                "GIT_SSH_COMMAND",
                "ssh -o BatchMode=yes -o ConnectTimeout=30",
            );
        }
        let mut child = c.spawn().context("cannot run git")?;
        let mut stderr = child.stderr.take().expect("piped");
        let errs = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = stderr.read_to_end(&mut s);
            s
        });
        let start = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait()? {
                break Some(s);
            }
            if start.elapsed() > self.timeout {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stderr = errs.join().unwrap_or_default();
        let message = clean(&stderr, url);
        match status {
            None => bail!(
                "git {} did not finish within {}s (--clone-timeout)",
                args[0],
                self.timeout.as_secs()
            ),
            Some(s) if !s.success() => bail!("{message}"),
            Some(_) => Ok(()),
        }
    }
}

/// The cache entry's name: a hash of the key (stable, no path characters) and the repository's
/// name for people looking at the directory.
fn stem(key: &str) -> String {
    let h = Sha256::digest(key.as_bytes());
    let hex: String = h[..8].iter().map(|b| format!("{b:02x}")).collect();
    let name: String = key
        .rsplit('/')
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(40)
        .collect();
    if name.is_empty() {
        hex
    } else {
        format!("{hex}-{name}")
    }
}

/// git's message worth showing, the URL's credentials removed wherever it is quoted.
fn clean(stderr: &[u8], url: &str) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let line = lines
        .iter()
        .find(|l| l.starts_with("fatal:") || l.starts_with("error:"))
        .or(lines.first())
        .map_or("git failed", |l| l);
    let mut s = line.replace(url, &redact(url));
    // A credential git quotes on its own (in a URL it rewrote).
    if let Some((_, rest)) = url.split_once("://") {
        if let Some((auth, _)) = rest.split_once('@').filter(|(a, _)| !a.contains('/')) {
            s = s.replace(auth, "***");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_lose_credentials() {
        let url = "https://bot:tok3n@example.invalid/o/r.git";
        let m = clean(
            b"Cloning...\nfatal: unable to access 'https://bot:tok3n@example.invalid/o/r.git/': Could not resolve host\n",
            url,
        );
        assert!(!m.contains("tok3n"), "{m}");
        assert!(m.contains("https://example.invalid/o/r.git"), "{m}");
        assert!(stem("https://h/o/repo").ends_with("-repo"));
        assert_ne!(stem("https://h/a/repo"), stem("https://h/b/repo"));
    }
}
