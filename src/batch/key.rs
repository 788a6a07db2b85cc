//! How a repository is known across runs and shards: its normalized clone URL (scheme and host
//! lowercased, credentials, `.git` and trailing slashes stripped), else its canonical path. A URL's
//! userinfo (`https://user:token@host/...`) is never kept: not in keys, reports, the store or errors.

use std::path::Path;

/// True when `s` names a remote to clone rather than a local path: `scheme://...` or scp-like
/// `user@host:path`.
pub(crate) fn is_url(s: &str) -> bool {
    if let Some((scheme, rest)) = s.split_once("://") {
        return !scheme.is_empty()
            && !rest.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    }
    scp_like(s).is_some()
}

/// `user@host:path` (git's scp-like syntax): (user@host, path). A local path with a colon before
/// any slash would be read the same way by git, so the same rule applies here.
fn scp_like(s: &str) -> Option<(&str, &str)> {
    let (head, path) = s.split_once(':')?;
    let (user, host) = head.split_once('@')?;
    (!user.is_empty() && !host.is_empty() && !host.contains('/') && !path.is_empty())
        .then_some((head, path))
}

/// The URL without its userinfo: what may be shown, stored and cloned from again (credentials come
/// from git's own configuration, never from a report).
pub(crate) fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (auth, tail) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let host = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
        return format!("{scheme}://{host}{tail}");
    }
    url.to_string()
}

/// The repository key of a clone URL: scheme and host lowercased, no credentials, no `.git`
/// suffix, no trailing slash; scp-like `git@host:org/repo` becomes `ssh://host/org/repo`, so both
/// spellings of one remote are one repository.
pub(crate) fn url_key(url: &str) -> String {
    let url = url.trim();
    let (scheme, host, path) = if let Some((scheme, rest)) = url.split_once("://") {
        let (auth, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let host = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
        (scheme.to_ascii_lowercase(), host.to_ascii_lowercase(), path)
    } else if let Some((head, path)) = scp_like(url) {
        let host = head.rsplit_once('@').map_or(head, |(_, h)| h);
        let path = path.trim_start_matches('/');
        return finish(format!("ssh://{}/{path}", host.to_ascii_lowercase()));
    } else {
        return finish(url.to_string());
    };
    // The default ports say nothing.
    let host = match (scheme.as_str(), host.rsplit_once(':')) {
        ("https", Some((h, "443"))) | ("http", Some((h, "80"))) | ("ssh", Some((h, "22"))) => {
            h.to_string()
        }
        _ => host,
    };
    finish(format!("{scheme}://{host}{path}"))
}

fn finish(mut s: String) -> String {
    loop {
        let before = s.len();
        while s.ends_with('/') && !s.ends_with("://") {
            s.pop();
        }
        if let Some(t) = s.strip_suffix(".git") {
            s.truncate(t.len());
        }
        if s.len() == before {
            return s;
        }
    }
}

/// The key of a local repository: its canonical path (symlinks resolved), so two spellings of one
/// directory are one repository.
pub(crate) fn path_key(p: &Path) -> String {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_normalize_to_one_key() {
        let k = "https://github.com/org/repo";
        for u in [
            "https://github.com/org/repo",
            "https://github.com/org/repo.git",
            "https://github.com/org/repo/",
            "https://github.com/org/repo.git/",
            "HTTPS://GitHub.COM/org/repo",
            "https://user:hunter2@github.com/org/repo.git",
            "https://github.com:443/org/repo",
        ] {
            assert_eq!(url_key(u), k, "{u}");
        }
        // The path keeps its case: hosts differ there.
        assert_ne!(url_key("https://github.com/Org/Repo"), k);
        assert_eq!(
            url_key("git@github.com:org/repo.git"),
            "ssh://github.com/org/repo"
        );
        assert_eq!(
            url_key("ssh://git@GitHub.com/org/repo.git"),
            "ssh://github.com/org/repo"
        );
        assert_eq!(url_key("file:///srv/git/a.git/"), "file:///srv/git/a");
    }

    #[test]
    fn credentials_are_never_kept() {
        let u = "https://bot:ghp_secretvalue@git.example.com/o/r.git";
        assert!(!url_key(u).contains("secretvalue"));
        assert!(!url_key(u).contains("bot"));
        assert_eq!(redact(u), "https://git.example.com/o/r.git");
        assert_eq!(redact("https://host/o/r"), "https://host/o/r");
        // An `@` in the path is not userinfo.
        assert_eq!(redact("https://host/o/r@v1"), "https://host/o/r@v1");
    }

    #[test]
    fn urls_and_paths_are_told_apart() {
        assert!(is_url("https://h/o/r"));
        assert!(is_url("file:///tmp/r"));
        assert!(is_url("git@github.com:o/r.git"));
        assert!(!is_url("/srv/repos/r"));
        assert!(!is_url("repos/r.git"));
        assert!(!is_url("C:/no"));
        assert!(!is_url("./a:b"));
    }
}
