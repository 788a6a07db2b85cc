//! What an image is made of, read from its manifests: for each platform, the config blob and the
//! ordered layer blobs. Both layouts are read from the same key/value view of the image (a tar's
//! entry names or a directory's files): the OCI layout (`index.json`, `blobs/<alg>/<hex>`, nested
//! indexes for multi-platform images) and the `docker save` layout (`manifest.json`).
//!
//! The JSON is read field by field, leniently, on purpose: the `oci-spec` crate's types require
//! what real archives omit (a descriptor's `size` and `mediaType`, a config's `rootfs` and
//! `architecture`), reject a `docker save` config that keeps its fields in `container_config` or
//! has a non-string label, and do not describe `manifest.json` at all; nhiscan reads what it needs
//! and scans what it can.

use std::collections::HashMap;

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;

pub(crate) use super::descriptor::{platform_of, LayerRef, Plan};
use super::index::{self, Walked, MAX_MANIFESTS};

/// The parts of an image config nhiscan reads.
#[derive(Debug, Default)]
pub(crate) struct Config {
    pub env: Vec<String>,
    pub labels: Vec<(String, String)>,
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    /// (created_by, empty_layer) in order.
    pub history: Vec<(String, bool)>,
    pub diff_ids: Vec<String>,
    pub platform: Option<String>,
}

/// The fields nhiscan reads from an image config (`config`, or the legacy `container_config`).
pub(crate) fn parse_config(bytes: &[u8]) -> Result<Config> {
    let v: Value = serde_json::from_slice(bytes).context("image config is not valid JSON")?;
    if !v.is_object() {
        bail!("image config is not a JSON object");
    }
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let c = v
        .get("config")
        .or_else(|| v.get("container_config"))
        .cloned()
        .unwrap_or(Value::Null);
    let mut labels: Vec<(String, String)> = c
        .get("Labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    labels.sort();
    let history = v
        .get("history")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|h| {
                    (
                        h.get("created_by")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        h.get("empty_layer")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Config {
        env: strings(c.get("Env").unwrap_or(&Value::Null)),
        labels,
        cmd: strings(c.get("Cmd").unwrap_or(&Value::Null)),
        entrypoint: strings(c.get("Entrypoint").unwrap_or(&Value::Null)),
        history,
        diff_ids: strings(v.pointer("/rootfs/diff_ids").unwrap_or(&Value::Null)),
        platform: platform_of(&v),
    })
}

/// Reads the plans of an image. `get` returns a small blob (manifest, index, config) by key, `None`
/// when the image has no such entry. Also says which platforms an index lists whose manifest is not
/// in the archive (`docker save` of a multi-platform image keeps only the local platform's blobs)
/// and which entries could not be read (the others are still read). An error when no plan at all
/// could be read.
pub(crate) fn plans(get: &mut dyn FnMut(&str) -> Option<Vec<u8>>) -> Result<Walked> {
    let mut walked = Walked::default();
    if let Some(index) = get("index.json") {
        match index::walk(&index, get) {
            Ok(w) if !w.plans.is_empty() => return Ok(w),
            Ok(w) => walked = w,
            Err(e) => walked.errors.push(format!("index.json: {e:#}")),
        }
    }
    if let Some(m) = get("manifest.json") {
        // Docker 25+ writes both; what index.json could not give, manifest.json may.
        let (plans, errors) = docker_manifest(&m, get).context("manifest.json")?;
        walked.errors.extend(errors);
        if !plans.is_empty() {
            // manifest.json says what the archive holds: the platforms index.json lists without
            // their blobs were never in it.
            walked.absent.clear();
            walked.plans = plans;
            return Ok(walked);
        }
    }
    if !walked.absent.is_empty() {
        bail!(
            "index.json: no image manifest is in the archive ({})",
            walked.absent.join("; ")
        );
    }
    if !walked.errors.is_empty() {
        bail!("{}", walked.errors.join("; "));
    }
    bail!("neither an OCI image layout (index.json) nor a `docker save` archive (manifest.json)")
}

/// The plans of `manifest.json`, and the entries that could not be read (the others are).
fn docker_manifest(
    bytes: &[u8],
    get: &mut dyn FnMut(&str) -> Option<Vec<u8>>,
) -> Result<(Vec<Plan>, Vec<String>)> {
    let v: Value = serde_json::from_slice(bytes).context("not valid JSON")?;
    let arr = v
        .as_array()
        .ok_or_else(|| anyhow!("expected a JSON array"))?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    // Entries naming the same config share its parse (a config is read once, however many list it).
    let mut configs: HashMap<String, Option<Config>> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    for (n, m) in arr.iter().enumerate() {
        if seen.len() >= MAX_MANIFESTS {
            errors.push(format!(
                "manifest.json: more than {MAX_MANIFESTS} images; the rest were not read"
            ));
            break;
        }
        match docker_entry(m, get, &mut configs) {
            // The same image listed twice is one image.
            Ok(p) if seen.insert((p.config_key.clone(), keys(&p))) => out.push(p),
            Ok(_) => {}
            Err(e) => errors.push(format!("manifest.json: entry {}: {e:#}; not read", n + 1)),
        }
    }
    Ok((out, errors))
}

fn keys(p: &Plan) -> Vec<String> {
    p.layers.iter().map(|l| l.key.clone()).collect()
}

/// One entry of `manifest.json`.
fn docker_entry(
    m: &Value,
    get: &mut dyn FnMut(&str) -> Option<Vec<u8>>,
    configs: &mut HashMap<String, Option<Config>>,
) -> Result<Plan> {
    let config_key = m
        .get("Config")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("no Config"))?;
    let config_key = clean_key(config_key);
    let layers: Vec<String> = m
        .get("Layers")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("no Layers"))?
        .iter()
        .map(|l| {
            l.as_str()
                .map(clean_key)
                .ok_or_else(|| anyhow!("a layer is not a string"))
        })
        .collect::<Result<_>>()?;
    // The layer digests: the blob name when it is one, else the config's diff_ids.
    let cfg = configs
        .entry(config_key.clone())
        .or_insert_with(|| get(&config_key).and_then(|b| parse_config(&b).ok()))
        .as_ref();
    let config_digest = digest_of_key(&config_key)
        .unwrap_or_else(|| config_key.trim_end_matches(".json").to_string());
    let platform = cfg.and_then(|c| c.platform.clone());
    let layers = layers
        .into_iter()
        .enumerate()
        .map(|(i, key)| {
            let digest = digest_of_key(&key)
                .or_else(|| cfg.and_then(|c| c.diff_ids.get(i).cloned()))
                .unwrap_or_else(|| key.clone());
            LayerRef {
                key,
                digest,
                media_type: None,
            }
        })
        .collect();
    Ok(Plan {
        platform,
        config_key,
        config_digest,
        layers,
    })
}

fn clean_key(k: &str) -> String {
    k.trim_start_matches("./").to_string()
}

/// `blobs/sha256/abc` -> `sha256:abc`; `abc.json` (docker save's config name) -> `sha256:abc`.
pub(crate) fn digest_of_key(key: &str) -> Option<String> {
    let parts: Vec<&str> = key.split('/').collect();
    match parts.as_slice() {
        ["blobs", alg, hex] => Some(format!("{alg}:{hex}")),
        [name] if name.ends_with(".json") && name.len() == 69 && name.is_ascii() => {
            Some(format!("sha256:{}", &name[..64]))
        }
        _ => None,
    }
}

/// Whether `platform` (from the image) matches what the user asked (`linux/arm64`, `linux/arm/v7`,
/// `arm64`).
pub(crate) fn platform_matches(platform: Option<&str>, wanted: &str) -> bool {
    let Some(p) = platform else { return false };
    let w = wanted.trim().to_ascii_lowercase();
    let p = p.to_ascii_lowercase();
    if p == w {
        return true;
    }
    // `linux/arm64` matches `linux/arm64/v8`; a bare architecture matches any OS.
    p.starts_with(&format!("{w}/")) || (!w.contains('/') && p.split('/').nth(1) == Some(w.as_str()))
}
