//! Where a file of a layer is, for reports. A file is scanned with a provisional origin (its blob
//! and in-image path); once every layer is read, its final origin names the layer, its digest, the
//! instruction that made it (`created_by`, secrets redacted) and whether a later layer deleted or
//! overwrote the file (it can still be extracted from its own layer).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::layer::LayerIndex;
use super::plan::Plans;
use crate::finding::Origin;

/// The provisional origin's properties: the blob a file came from and its in-image path.
const BLOB: &str = "image_blob";
const PATH: &str = "path";

/// The origin a layer's file is scanned with: `label` names the layer as far as it is known (the
/// final label when the manifest was read first), `name` is what analyzers choose by (the innermost
/// name for a file inside an archive), and the blob key and path let [`Layers::origin`] find the
/// layer once every layer is read.
pub(crate) fn provisional(artifact: &str, label: &str, blob: &str, path: &str) -> Origin {
    let mut properties = Map::new();
    properties.insert(BLOB.into(), json!(blob));
    properties.insert(PATH.into(), json!(path));
    Origin {
        artifact: artifact.to_string(),
        display: format!("{label} {path}"),
        name: path.rsplit("!/").next().unwrap_or(path).to_string(),
        logical: None,
        properties,
    }
}

/// The image once every layer is read: what the final origins are made of.
pub(crate) struct Layers {
    /// The image file as SARIF names it.
    pub artifact: String,
    pub plans: Plans,
    /// The `created_by` of each plan's layers.
    pub created: Vec<Vec<String>>,
    /// What each scanned blob does to the filesystem, by blob key.
    pub indexes: HashMap<String, LayerIndex>,
    /// The (plan, layer) a blob's findings are reported under: its first place, in plan order.
    pub first: HashMap<String, (usize, usize)>,
}

impl Layers {
    /// The final origin for a unit's origin: a layer file's is made from its layer (None when its
    /// blob is no layer of the scanned plans: a stream holds blobs of other platforms); any other
    /// origin (the config's) is final already.
    pub(crate) fn origin(&self, o: &Arc<Origin>) -> Option<Arc<Origin>> {
        let (Some(Value::String(blob)), Some(Value::String(path))) =
            (o.properties.get(BLOB), o.properties.get(PATH))
        else {
            return Some(o.clone());
        };
        let &(p, i) = self.first.get(blob)?;
        Some(Arc::new(self.layer_origin(p, i, path)))
    }

    fn layer_origin(&self, pi: usize, i: usize, path: &str) -> Origin {
        if self.plans.unordered {
            return self.unordered_origin(pi, i, path);
        }
        let p = &self.plans.list[pi];
        let key = &p.layers[i].key;
        // The visibility of the outermost file (an archive's own path for nested files).
        let outer = path.split("!/").next().unwrap_or(path);
        let mut props = Map::new();
        props.insert("layer_index".into(), json!(i + 1));
        props.insert("layer_digest".into(), json!(p.layers[i].digest));
        props.insert(
            "created_by".into(),
            json!(redact_created_by(&self.created[pi][i])),
        );
        props.insert("path".into(), json!(path));
        if let Some(pl) = &p.platform {
            props.insert("platform".into(), json!(pl));
        }
        // The first later layer that hides the file. A later copy of the same blob is not
        // counted: it writes the same bytes again.
        let whiteout = outer
            .rsplit('/')
            .next()
            .is_some_and(|b| b.starts_with(".wh."));
        let hidden = p.layers[i + 1..]
            .iter()
            .enumerate()
            .filter(|(_, l)| &l.key != key)
            .find_map(|(k, l)| {
                let how = self.indexes.get(&l.key)?.hides(outer)?;
                Some((i + 2 + k, how))
            });
        match hidden {
            // A whiteout is turned into a deletion when the image is unpacked: never a file of
            // the final filesystem, though its bytes are in the layer.
            _ if whiteout => {
                props.insert("visible_in_final".into(), json!(false));
                props.insert(
                    "status".into(),
                    json!(format!(
                        "content of a whiteout entry: not in the final filesystem, still extractable from layer {}",
                        i + 1
                    )),
                );
            }
            None => {
                props.insert("visible_in_final".into(), json!(true));
                props.insert("status".into(), json!("present in the final image"));
            }
            Some((n, how)) => {
                props.insert("visible_in_final".into(), json!(false));
                props.insert(format!("{how}_in_layer"), json!(n));
                props.insert(
                    "status".into(),
                    json!(format!(
                        "{how} in layer {n}, still extractable from layer {}",
                        i + 1
                    )),
                );
            }
        }
        Origin {
            artifact: self.artifact.clone(),
            display: format!("{} {path}", self.plans.layer_label(pi, i)),
            name: path.rsplit("!/").next().unwrap_or(path).to_string(),
            logical: Some(format!("layer {}{path}", i + 1)),
            properties: props,
        }
    }
}

impl Layers {
    /// A file of a layer whose place in the image is unknown (no manifest could be read): its
    /// blob and path, and no claim about the final filesystem.
    fn unordered_origin(&self, pi: usize, i: usize, path: &str) -> Origin {
        let digest = &self.plans.list[pi].layers[i].digest;
        let mut props = Map::new();
        props.insert("layer_digest".into(), json!(digest));
        props.insert("path".into(), json!(path));
        props.insert(
            "status".into(),
            json!("layer order unknown (no readable manifest): whether it is in the final image is unknown"),
        );
        Origin {
            artifact: self.artifact.clone(),
            display: format!("{} {path}", self.plans.layer_label(pi, i)),
            name: path.rsplit("!/").next().unwrap_or(path).to_string(),
            logical: Some(format!("layer {digest}{path}")),
            properties: props,
        }
    }
}

/// A history `created_by` fit for every report's properties: build-arg values (`RUN |1 TOKEN=...`)
/// and values of secret-named `ENV`/`ARG` keys are redacted (the finding on that history entry shows
/// the secret, redacted or not as the user asked; the properties of every finding in the layer must
/// not carry it in clear).
pub(crate) fn redact_created_by(created_by: &str) -> String {
    let mut out = Vec::new();
    let mut args_left = 0usize;
    let mut after_run = false;
    let mut nop_kw: Option<String> = None;
    for (i, w) in created_by.split(' ').enumerate() {
        if i == 1 && after_run {
            if let Some(n) = w.strip_prefix('|').and_then(|n| n.parse::<usize>().ok()) {
                args_left = n;
                out.push(w.to_string());
                continue;
            }
        }
        after_run = i == 0 && w == "RUN";
        let secret_kv = match w.split_once('=') {
            Some((k, v)) if !v.is_empty() => {
                let named = crate::analyze::dockerfile::names_secret(k);
                let env_like = matches!(nop_kw.as_deref(), Some("ENV") | Some("ARG"));
                (args_left > 0 || (named && env_like))
                    .then(|| format!("{k}={}", crate::finding::redact(v)))
            }
            _ => None,
        };
        if args_left > 0 && w.contains('=') {
            args_left -= 1;
        }
        if w == "ENV" || w == "ARG" {
            nop_kw = Some(w.to_string());
        }
        out.push(secret_kv.unwrap_or_else(|| w.to_string()));
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_by_is_redacted() {
        assert_eq!(
            redact_created_by("RUN |2 TOKEN=abcdef0123456789 X=1 /bin/sh -c make # buildkit"),
            "RUN |2 TOKEN=abcd… X=… /bin/sh -c make # buildkit"
        );
        assert_eq!(
            redact_created_by("ENV DB_PASSWORD=hunter2-long-value"), // nhiscan:allow fake value in a unit test
            "ENV DB_PASSWORD=hunt…"
        );
        assert_eq!(
            redact_created_by("/bin/sh -c #(nop)  ENV PATH=/usr/bin"),
            "/bin/sh -c #(nop)  ENV PATH=/usr/bin"
        );
        assert_eq!(
            redact_created_by("COPY . /app # buildkit"),
            "COPY . /app # buildkit"
        );
    }

    #[test]
    fn provisional_then_final() {
        use super::super::manifest::{LayerRef, Plan};
        let layer = |k: &str| LayerRef {
            key: k.into(),
            digest: format!("sha256:{k}"),
            media_type: None,
        };
        let plans = Plans {
            name: "app.tar".into(),
            list: vec![Plan {
                platform: None,
                config_key: "c".into(),
                config_digest: "sha256:c".into(),
                layers: vec![layer("a"), layer("b")],
            }],
            unordered: false,
        };
        let mut deletes = LayerIndex::default();
        deletes.whiteouts.push("app/.env".into());
        let layers = Layers {
            artifact: "app.tar".into(),
            plans,
            created: vec![vec!["COPY . /app".into(), "RUN rm /app/.env".into()]],
            indexes: HashMap::from([("a".into(), LayerIndex::default()), ("b".into(), deletes)]),
            first: HashMap::from([("a".into(), (0, 0)), ("b".into(), (0, 1))]),
        };
        let o = Arc::new(provisional("app.tar", "app.tar a", "a", "/app/.env"));
        assert_eq!(o.display, "app.tar a /app/.env");
        let f = layers.origin(&o).unwrap();
        assert_eq!(f.display, "app.tar layer 1 (sha256:a) /app/.env");
        assert_eq!(
            f.properties["status"],
            "deleted in layer 2, still extractable from layer 1"
        );
        assert_eq!(f.properties["created_by"], "COPY . /app");
        let other = Arc::new(provisional("app.tar", "app.tar z", "z", "/x"));
        assert!(layers.origin(&other).is_none());
        let config = Arc::new(Origin::file("app.tar config", "app.tar"));
        assert!(Arc::ptr_eq(&layers.origin(&config).unwrap(), &config));
    }
}
