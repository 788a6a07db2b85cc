//! OCI image indexes (`index.json` and the nested indexes of multi-platform images) walked into
//! plans, within bounds: an index is followed to [`MAX_DEPTH`] levels, at most [`MAX_MANIFESTS`]
//! distinct manifests and indexes are read, and each digest is read once (a layout listing the same
//! index sixty times on four levels is five blobs, not thirteen million plans). A descriptor that
//! cannot be followed (no digest, not JSON, a cycle, too deep) is an error for that entry only: the
//! manifests beside it are still read.

use std::collections::HashSet;

use anyhow::{anyhow, Context as _, Result};
use serde_json::Value;

use super::descriptor::{blob_key, platform_of, LayerRef, Plan};

/// How many indexes deep `index.json` is followed (buildx writes two levels).
pub(crate) const MAX_DEPTH: usize = 4;
/// Distinct manifests and indexes read from one image: far above any real layout (one per platform
/// and attestation, per tag), low enough that a hostile one stays cheap.
pub(crate) const MAX_MANIFESTS: usize = 10_000;

const INDEX_TYPES: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// What walking an index gave: the plans, the platforms whose manifest is not in the archive, and
/// the entries that could not be followed.
#[derive(Default)]
pub(crate) struct Walked {
    pub plans: Vec<Plan>,
    pub absent: Vec<String>,
    pub errors: Vec<String>,
}

/// Walks `index.json` (`bytes`); `get` returns a blob by key. An error when `index.json` itself is
/// not an index; problems of the entries it lists are in [`Walked::errors`].
pub(crate) fn walk(bytes: &[u8], get: &mut dyn FnMut(&str) -> Option<Vec<u8>>) -> Result<Walked> {
    let v: Value = serde_json::from_slice(bytes).context("not valid JSON")?;
    let mut w = Walker {
        get,
        out: Walked::default(),
        seen: HashSet::new(),
        open: Vec::new(),
        stopped: false,
    };
    w.index(&v, None, "index.json")?;
    Ok(w.out)
}

struct Walker<'g> {
    get: &'g mut dyn FnMut(&str) -> Option<Vec<u8>>,
    out: Walked,
    /// Digests read (or being read): each once.
    seen: HashSet<String>,
    /// The indexes being walked, outermost first: a descriptor naming one of them is a cycle.
    open: Vec<String>,
    /// [`MAX_MANIFESTS`] reached (reported once).
    stopped: bool,
}

impl Walker<'_> {
    /// The descriptors of one index (`name`: how errors name it).
    fn index(&mut self, v: &Value, platform: Option<String>, name: &str) -> Result<()> {
        let manifests = v
            .get("manifests")
            .and_then(Value::as_array)
            .ok_or_else(|| anyhow!("no `manifests` array"))?;
        for d in manifests {
            if self.stopped {
                return Ok(());
            }
            if let Err(e) = self.descriptor(d, platform.clone()) {
                self.out.errors.push(format!("{name}: {e:#}"));
            }
        }
        Ok(())
    }

    fn descriptor(&mut self, d: &Value, platform: Option<String>) -> Result<()> {
        let digest = d
            .get("digest")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("a manifest descriptor has no digest; not read"))?;
        // BuildKit attestations (SBOM, provenance) are manifests for platform unknown/unknown.
        if d.pointer("/annotations/vnd.docker.reference.type")
            .and_then(Value::as_str)
            == Some("attestation-manifest")
        {
            return Ok(());
        }
        let p = d
            .get("platform")
            .and_then(platform_of)
            .or_else(|| platform.clone());
        if p.as_deref() == Some("unknown/unknown") {
            return Ok(());
        }
        let key = blob_key(digest)?;
        if self.open.iter().any(|o| o == digest) {
            return Err(anyhow!(
                "lists index {digest} again inside itself (a cycle); not followed"
            ));
        }
        // The same manifest listed twice (two tags of one image) is one image.
        if !self.seen.insert(digest.to_string()) {
            return Ok(());
        }
        if self.seen.len() > MAX_MANIFESTS {
            self.stopped = true;
            return Err(anyhow!(
                "the image lists more than {MAX_MANIFESTS} manifests and indexes; the rest were not read"
            ));
        }
        let Some(blob) = (self.get)(&key) else {
            self.out.absent.push(format!(
                "platform {}: manifest {digest} is not in the archive",
                p.as_deref().unwrap_or("unknown")
            ));
            return Ok(());
        };
        let mt = d.get("mediaType").and_then(Value::as_str).unwrap_or("");
        let inner: Value = serde_json::from_slice(&blob)
            .with_context(|| format!("manifest {digest} is not valid JSON; not read"))?;
        let inner_mt = inner.get("mediaType").and_then(Value::as_str).unwrap_or("");
        if INDEX_TYPES.contains(&mt)
            || INDEX_TYPES.contains(&inner_mt)
            || inner.get("manifests").is_some()
        {
            if self.open.len() >= MAX_DEPTH {
                return Err(anyhow!(
                    "index {digest} is nested more than {MAX_DEPTH} indexes deep; not followed"
                ));
            }
            self.open.push(digest.to_string());
            let r = self.index(&inner, p, &format!("index {digest}"));
            self.open.pop();
            return r.with_context(|| format!("index {digest}"));
        }
        self.out.plans.push(manifest(&inner, digest, p)?);
        Ok(())
    }
}

/// The plan of one image manifest.
fn manifest(inner: &Value, digest: &str, platform: Option<String>) -> Result<Plan> {
    let config = inner
        .get("config")
        .ok_or_else(|| anyhow!("manifest {digest} has no config; not read"))?;
    let config_digest = config
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("manifest {digest}: config has no digest; not read"))?;
    let layers = inner
        .get("layers")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("manifest {digest} has no layers array; not read"))?
        .iter()
        .map(|l| {
            let dg = l
                .get("digest")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("manifest {digest}: a layer has no digest; not read"))?;
            Ok(LayerRef {
                key: blob_key(dg)?,
                digest: dg.to_string(),
                media_type: l
                    .get("mediaType")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Plan {
        platform,
        config_key: blob_key(config_digest)?,
        config_digest: config_digest.to_string(),
        layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    fn digest(n: usize) -> String {
        format!("sha256:{n:064x}")
    }

    fn index_of(children: &[(String, &str)]) -> Vec<u8> {
        let m: Vec<Value> = children
            .iter()
            .map(|(d, mt)| json!({"digest": d, "mediaType": mt}))
            .collect();
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": m})).unwrap()
    }

    const IDX: &str = "application/vnd.oci.image.index.v1+json";
    const MAN: &str = "application/vnd.oci.image.manifest.v1+json";

    fn run(blobs: &HashMap<String, Vec<u8>>, top: &[u8]) -> (Walked, usize) {
        let mut reads = 0;
        let w = walk(top, &mut |k| {
            reads += 1;
            blobs.get(k).cloned()
        })
        .unwrap();
        (w, reads)
    }

    fn image_manifest() -> Vec<u8> {
        serde_json::to_vec(
            &json!({"config": {"digest": digest(1)}, "layers": [{"digest": digest(2)}]}),
        )
        .unwrap()
    }

    #[test]
    fn a_fan_out_of_nested_indexes_reads_each_blob_once() {
        // Issue 14.15: 60 descriptors on each of 4 levels, all naming the next level.
        let mut blobs = HashMap::new();
        blobs.insert(blob_key(&digest(10)).unwrap(), image_manifest());
        let mut child = (digest(10), MAN);
        for level in 0..3 {
            let idx = index_of(&vec![child.clone(); 60]);
            let d = digest(20 + level);
            blobs.insert(blob_key(&d).unwrap(), idx);
            child = (d, IDX);
        }
        let (w, reads) = run(&blobs, &index_of(&vec![child; 60]));
        assert_eq!(w.plans.len(), 1);
        assert!(w.errors.is_empty(), "{:?}", w.errors);
        assert_eq!(reads, 4);
    }

    #[test]
    fn a_cycle_is_an_error_for_its_entry_and_the_manifest_beside_is_read() {
        let mut blobs = HashMap::new();
        blobs.insert(blob_key(&digest(10)).unwrap(), image_manifest());
        let selfish = digest(30);
        blobs.insert(
            blob_key(&selfish).unwrap(),
            index_of(&[(selfish.clone(), IDX)]),
        );
        let (w, _) = run(
            &blobs,
            &index_of(&[(selfish.clone(), IDX), (digest(10), MAN)]),
        );
        assert_eq!(w.plans.len(), 1);
        assert_eq!(w.errors.len(), 1, "{:?}", w.errors);
        assert!(w.errors[0].contains("cycle"), "{:?}", w.errors);
    }

    #[test]
    fn depth_and_count_are_bounded() {
        // A chain of distinct indexes deeper than the bound.
        let mut blobs = HashMap::new();
        let mut child = (digest(10), MAN);
        blobs.insert(blob_key(&digest(10)).unwrap(), image_manifest());
        for level in 0..MAX_DEPTH + 2 {
            let d = digest(100 + level);
            blobs.insert(blob_key(&d).unwrap(), index_of(&[child.clone()]));
            child = (d, IDX);
        }
        let (w, _) = run(&blobs, &index_of(&[child, (digest(10), MAN)]));
        assert_eq!(w.plans.len(), 1, "the manifest beside the chain");
        assert!(
            w.errors.iter().any(|e| e.contains("nested more than")),
            "{:?}",
            w.errors
        );
        // More distinct manifests than the bound: the rest are not read, said once.
        let many: Vec<(String, &str)> = (0..MAX_MANIFESTS + 50)
            .map(|i| (digest(1000 + i), MAN))
            .collect();
        let (w, reads) = run(&HashMap::new(), &index_of(&many));
        assert_eq!(reads, MAX_MANIFESTS);
        assert_eq!(
            w.errors.len(),
            1,
            "{:?}",
            &w.errors[..w.errors.len().min(3)]
        );
        assert_eq!(w.absent.len(), MAX_MANIFESTS);
    }

    #[test]
    fn a_broken_descriptor_does_not_hide_the_others() {
        let mut blobs = HashMap::new();
        blobs.insert(blob_key(&digest(10)).unwrap(), image_manifest());
        blobs.insert(blob_key(&digest(11)).unwrap(), b"{not json".to_vec());
        let top = serde_json::to_vec(&json!({"manifests": [
            {"mediaType": MAN},
            {"digest": "sha256:../../etc", "mediaType": MAN},
            {"digest": digest(11), "mediaType": MAN},
            {"digest": digest(10), "mediaType": MAN},
        ]}))
        .unwrap();
        let (w, _) = run(&blobs, &top);
        assert_eq!(w.plans.len(), 1);
        assert_eq!(w.errors.len(), 3, "{:?}", w.errors);
    }
}
