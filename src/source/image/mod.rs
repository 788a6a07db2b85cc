//! Container images: a `docker save` tarball (also from standard input), an OCI image layout directory
//! or an OCI layout tarball. Every layer is scanned on its own, streamed and never extracted, so a key
//! that one layer adds and a later one deletes is still found; each finding names the layer, the
//! instruction that made it, the in-image path and whether the file is still in the final filesystem.
//! The image config (Env, Labels, Cmd/Entrypoint, history `created_by`) is scanned too.
//!
//! The source produces units and nothing else: every file of every layer goes to the feed with a
//! provisional origin (its blob and in-image path); the pipeline holds the findings until every
//! layer's whiteouts are known and then asks [`Image`] for their final origins
//! ([`Source::finalize`]). Memory is one file per worker thread, the findings, and one path hash per
//! layer entry.
//!
//! | module | concern |
//! | --- | --- |
//! | `input` | the directory, seekable tarball and stream readers; manifests located and kept |
//! | `manifest` | the OCI index/manifest and `docker save` layouts as plans; the config fields read |
//! | `index` | OCI indexes walked within bounds (depth, count, each digest once, cycles) |
//! | `unordered` | a tarball without a readable manifest: its layers in tar order |
//! | `plan` | `--platform` selection; how reports name layers and configs |
//! | `workers` | layers read in parallel, files queued to worker threads, into the feed |
//! | `layer` | one layer blob: decompression, tar entries, whiteouts, size limits |
//! | `archive` | archives inside layers (zip, tar, gzip, zstd), to a depth and a size |
//! | `zipped` | zips inside layers: entries one at a time, shared or overlapping data read once |
//! | `config_units` | the image config as units |
//! | `origin` | provisional and final origins: layer, digest, `created_by`, deleted/overwritten |

pub(crate) mod archive;
mod config_units;
mod descriptor;
mod index;
mod input;
pub(crate) mod layer;
mod manifest;
mod origin;
mod plan;
mod unordered;
mod workers;
mod zipped;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Result;

use self::input::Meta;
use self::manifest::Config;
use self::origin::Layers;
use self::plan::Plans;
use self::workers::Scanned;
use super::{Feed, Source, Unit};
use crate::finding::Origin;

/// A container image as a source: `docker save` or OCI layout, tarball, directory or standard
/// input.
pub(crate) struct Image {
    input: PathBuf,
    platform: Option<String>,
    threads: usize,
    /// What [`Source::finalize`] needs, once [`Source::produce`] has read every layer.
    layers: Mutex<Option<Layers>>,
}

impl Image {
    /// The image at `input` (`-`: standard input), for `platform` (all platforms when None).
    pub(crate) fn new(input: &Path, platform: Option<String>, threads: usize) -> Image {
        Image {
            input: input.to_path_buf(),
            platform,
            threads,
            layers: Mutex::new(None),
        }
    }
}

impl Source for Image {
    fn target(&self) -> String {
        self.input.display().to_string()
    }

    fn project_dir(&self) -> PathBuf {
        std::path::absolute(".").unwrap_or_else(|_| PathBuf::from("."))
    }

    fn produce(&self, feed: &Feed<'_>) -> Result<()> {
        let stdin = self.input.as_os_str() == "-";
        let name = if stdin {
            "<stdin>".to_string()
        } else {
            self.input.display().to_string()
        };
        let artifact = if stdin {
            "stdin".to_string()
        } else {
            name.trim_start_matches("./").to_string()
        };
        let mut job = Job {
            name,
            artifact,
            platform: self.platform.as_deref(),
            threads: self.threads,
            feed,
            scanned: HashMap::new(),
            broken: false,
            found: Vec::new(),
            oversize: Vec::new(),
        };
        let (plans, meta) = input::read(&self.input, &mut job)?;
        let layers = job.finish(plans, &meta);
        *self.layers.lock().unwrap() = Some(layers);
        Ok(())
    }

    fn defers_origins(&self) -> bool {
        true
    }

    fn finalize(&self, held: &[Arc<Origin>], _feed: &Feed<'_>) -> Result<Vec<Option<Arc<Origin>>>> {
        let guard = self.layers.lock().unwrap();
        let Some(layers) = guard.as_ref() else {
            return Ok(held.iter().cloned().map(Some).collect());
        };
        Ok(held.iter().map(|o| layers.origin(o)).collect())
    }
}

/// One reading of an image: where it is, what was read so far.
pub(crate) struct Job<'a, 'f> {
    /// The image as the user named it (`app.tar`, `<stdin>`).
    name: String,
    /// The image file as SARIF names it.
    artifact: String,
    platform: Option<&'a str>,
    threads: usize,
    feed: &'a Feed<'f>,
    /// Layers read, by blob key.
    scanned: HashMap<String, Scanned>,
    /// The outer tarball was cut short or corrupt (the likely reason a manifest cannot be read).
    broken: bool,
    /// Keys of the tarball's blobs that are layers, in tar order: what is scanned when no
    /// manifest can be read.
    found: Vec<String>,
    /// Why `manifest.json` or `index.json` was not read (over the metadata limit), if so.
    oversize: Vec<String>,
}

impl Job<'_, '_> {
    /// Every layer read: reports each layer's problems under its final name (each blob once), scans
    /// each config, and keeps what the final origins are made of.
    fn finish(self, plans: Plans, meta: &Meta) -> Layers {
        let feed = self.feed;
        let mut scanned = self.scanned;
        let mut first: HashMap<String, (usize, usize)> = HashMap::new();
        let mut created = Vec::new();
        let mut reported: HashSet<String> = HashSet::new();
        for (pi, p) in plans.list.iter().enumerate() {
            let config = match meta.get(&p.config_key) {
                // The layers of an image without a readable manifest: no config is known.
                None if p.config_key.is_empty() => Config::default(),
                None => {
                    let msg = format!("missing config blob {}", p.config_digest);
                    feed.error(self.name.clone(), msg);
                    Config::default()
                }
                Some(b) => manifest::parse_config(&b).unwrap_or_else(|e| {
                    let msg = format!("malformed config {}: {e:#}", p.config_digest);
                    feed.error(self.name.clone(), msg);
                    Config::default()
                }),
            };
            created.push(config_units::layer_history(&config, p.layers.len()));
            for (i, l) in p.layers.iter().enumerate() {
                if reported.contains(&l.key) {
                    continue;
                }
                let label = plans.layer_label(pi, i);
                let Some(s) = scanned.get_mut(&l.key) else {
                    feed.error(label, format!("missing blob {}", l.digest));
                    continue;
                };
                reported.insert(l.key.clone());
                first.insert(l.key.clone(), (pi, i));
                if let Some(f) = s.report.fatal.take() {
                    feed.error(label.clone(), f);
                }
                for e in s.report.errors.drain(..).chain(s.problems.drain(..)) {
                    feed.error(label.clone(), e);
                }
                for w in s.report.warnings.drain(..) {
                    feed.warn(&format!("{label}: {w}"));
                }
            }
            for (text, origin) in config_units::units(&plans, pi, &config, &self.artifact) {
                feed.unit(Unit::new(text.as_bytes(), Arc::new(origin)));
            }
        }
        Layers {
            artifact: self.artifact,
            plans,
            created,
            indexes: scanned
                .into_iter()
                .map(|(k, s)| (k, s.report.index))
                .collect(),
            first,
        }
    }
}
