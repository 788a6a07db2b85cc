//! Which of an image's platforms are scanned (`--platform`), and how reports name their parts:
//! `app.tar [linux/arm64] layer 2 (sha256:0123456789ab…)`, `app.tar config (sha256:…)`.

use anyhow::{bail, Result};

use super::manifest::{self, Plan};

/// The plans (one per platform) that are scanned, and the image's name in reports.
pub(crate) struct Plans {
    /// The image as the user named it (`app.tar`, `<stdin>`).
    pub name: String,
    pub list: Vec<Plan>,
    /// No manifest could be read: the layers are the tarball's blobs in tar order, their place in
    /// the image unknown ([`super::Job::unordered`]).
    pub unordered: bool,
}

/// One layer blob to read, once however many plans list it.
pub(crate) struct BlobJob {
    pub key: String,
    pub media_type: Option<String>,
    pub label: String,
    pub digest: String,
}

impl Plans {
    /// The plans for `want` (`--platform`), or all of them; an error when the image has none or
    /// none for that platform (naming the platforms it has).
    pub(crate) fn select(name: String, plans: Vec<Plan>, want: Option<&str>) -> Result<Plans> {
        if plans.is_empty() {
            bail!("{name}: the image has no manifests");
        }
        let Some(want) = want else {
            return Ok(Plans {
                name,
                list: plans,
                unordered: false,
            });
        };
        let (keep, other): (Vec<Plan>, Vec<Plan>) = plans
            .into_iter()
            .partition(|p| manifest::platform_matches(p.platform.as_deref(), want));
        if keep.is_empty() {
            let have: Vec<String> = other
                .iter()
                .map(|p| p.platform.clone().unwrap_or_else(|| "unknown".into()))
                .collect();
            bail!(
                "{name}: no image for platform `{want}` (the image has: {})",
                have.join(", ")
            );
        }
        Ok(Plans {
            name,
            list: keep,
            unordered: false,
        })
    }

    /// ` [linux/arm64]` when several platforms are scanned, else nothing.
    fn platform(&self, p: usize) -> String {
        match (&self.list[p].platform, self.list.len() > 1) {
            (Some(pl), true) => format!(" [{pl}]"),
            _ => String::new(),
        }
    }

    /// How reports name layer `i` of plan `p`.
    pub(crate) fn layer_label(&self, p: usize, i: usize) -> String {
        if self.unordered {
            // Its place in the image is not known: no index.
            return format!(
                "{} layer ({})",
                self.name,
                short(&self.list[p].layers[i].digest)
            );
        }
        format!(
            "{}{} layer {} ({})",
            self.name,
            self.platform(p),
            i + 1,
            short(&self.list[p].layers[i].digest)
        )
    }

    /// How reports name the config of plan `p`.
    pub(crate) fn config_label(&self, p: usize) -> String {
        format!(
            "{}{} config ({})",
            self.name,
            self.platform(p),
            short(&self.list[p].config_digest)
        )
    }

    /// The layer blobs to read, each once, in plan order, leaving out those `done` already.
    pub(crate) fn jobs(&self, done: impl Fn(&str) -> bool) -> Vec<BlobJob> {
        let mut jobs = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (pi, p) in self.list.iter().enumerate() {
            for (i, l) in p.layers.iter().enumerate() {
                if !done(&l.key) && seen.insert(l.key.clone()) {
                    jobs.push(BlobJob {
                        key: l.key.clone(),
                        media_type: l.media_type.clone(),
                        label: self.layer_label(pi, i),
                        digest: l.digest.clone(),
                    });
                }
            }
        }
        jobs
    }
}

/// `sha256:0123456789abcdef…` -> `sha256:0123456789ab…`.
pub(crate) fn short(digest: &str) -> String {
    // A digest comes from the image's own JSON: it may hold anything, so cut by characters (never
    // inside one) and show at most 12 of them.
    match digest.split_once(':') {
        Some((alg, hex)) if hex.chars().count() > 12 => {
            format!("{alg}:{}…", hex.chars().take(12).collect::<String>())
        }
        _ => digest.chars().take(80).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn digests_are_cut_by_characters() {
        assert_eq!(short("sha256:0123456789abcdef0123"), "sha256:0123456789ab…");
        // Issue 14.2: a non-ASCII digest made the shortener panic and print it whole.
        assert_eq!(short("sha256:ééééééééééééééé"), "sha256:éééééééééééé…");
        assert_eq!(short("sha256:abc"), "sha256:abc");
    }
}
