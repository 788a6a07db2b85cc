//! A tarball without a readable manifest. `docker save` writes `manifest.json` last, so an
//! interrupted `docker save | nhiscan image -` or a partial download holds every complete layer but
//! not the file that says what they are. Its layer blobs (`blobs/<alg>/<hex>`, `<id>/layer.tar`)
//! are then scanned in tar order and their findings kept, the image configs found are scanned
//! too, and an error says what is missing and what cannot be known without it (the layer order,
//! the history, whether a file is still in the final image): the scan is incomplete.

use anyhow::Error;

use super::input::Meta;
use super::manifest::{digest_of_key, parse_config, LayerRef, Plan};
use super::plan::Plans;
use super::Job;

impl Job<'_, '_> {
    /// The plans of an image whose manifests could not be read (`why`): one plan holding the
    /// layers found in tar order, and one per image config found (without layers).
    pub(crate) fn unordered(&mut self, why: Error, meta: &Meta) -> Plans {
        let missing = if meta.has("manifest.json") || meta.has("index.json") {
            format!("no readable manifest ({why:#})")
        } else if self.broken {
            "no manifest.json or index.json (the tarball was cut short before them: docker save writes manifest.json last)".to_string()
        } else {
            "no manifest.json or index.json (docker save writes manifest.json last: was the tarball cut short?)".to_string()
        };
        let n = self.found.len();
        let platform = if self.platform.is_some() {
            " (--platform not applied: which platform each layer is for is unknown)"
        } else {
            ""
        };
        self.error(format!(
            "{missing}; the {n} layer blob{} found {} scanned in tar order{platform}: the layer order, \
             the history and whether a file is still in the final image are unknown",
            if n == 1 { "" } else { "s" },
            if n == 1 { "was" } else { "were" },
        ));
        let layers = self
            .found
            .iter()
            .map(|key| LayerRef {
                key: key.clone(),
                digest: digest_of_key(key).unwrap_or_else(|| key.clone()),
                media_type: None,
            })
            .collect();
        let mut list = vec![Plan {
            platform: None,
            config_key: String::new(),
            config_digest: String::new(),
            layers,
        }];
        for key in meta.kept_keys() {
            let Some(config) = meta.get(&key).and_then(|b| looks_like_config(&b)) else {
                continue;
            };
            list.push(Plan {
                platform: config,
                config_digest: digest_of_key(&key).unwrap_or_else(|| key.clone()),
                config_key: key,
                layers: Vec::new(),
            });
        }
        Plans {
            name: self.name.clone(),
            list,
            unordered: true,
        }
    }
}

/// `Some(platform)` when `bytes` is an image config (it has `rootfs` or `history`).
fn looks_like_config(bytes: &[u8]) -> Option<Option<String>> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if v.get("rootfs").is_none() && v.get("history").is_none() {
        return None;
    }
    Some(parse_config(bytes).ok()?.platform)
}
