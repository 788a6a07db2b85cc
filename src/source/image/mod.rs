//! Container images: a `docker save` tarball (also from standard input), an OCI image layout directory
//! or an OCI layout tarball. Every layer is scanned on its own, streamed and never extracted, so a key
//! that one layer adds and a later one deletes is still found; each finding names the layer, the
//! instruction that made it, the in-image path and whether the file is still in the final filesystem.
//! The image config (Env, Labels, Cmd/Entrypoint, history `created_by`) is scanned too.
//!
//! A seekable tarball is read twice: once over its headers (manifests and configs are kept, blobs
//! are only located), then each layer blob is streamed from its offset. Standard input (or a
//! compressed tarball) is read once: blobs are scanned as they come, and the manifest read at the
//! end says which layer each was. Either way a layer's findings are held until every layer's
//! whiteouts are known, then pushed with their final origin. Memory is one file per worker thread,
//! the findings, and one path hash per layer entry.

pub mod archive;
pub mod layer;
pub mod manifest;

use std::collections::HashMap;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, bail, Context as _, Result};
use serde_json::{json, Map, Value};

use self::layer::{FileUnit, LayerIndex, LayerLimits, LayerReport};
use self::manifest::{Config, Plan};
use crate::collect::Collector;
use crate::finding::{Finding, Origin};
use crate::scan::Scanner;

pub struct ImageOptions {
    pub platform: Option<String>,
    pub max_file_size: u64,
    pub max_layer_size: u64,
    pub max_archive_depth: usize,
    pub max_archive_size: u64,
    pub threads: usize,
    pub verbose: bool,
}

/// Metadata blobs (manifests, indexes, configs) are read into memory up to this size.
const MAX_META: u64 = 16 << 20;
/// Files at most this large are handed to worker threads; larger ones are scanned by the reader,
/// which bounds the bytes queued between them.
const QUEUE_FILE_MAX: usize = 1 << 20;

/// The result of scanning an image: whether everything could be read.
pub struct ImageScan {
    pub incomplete: bool,
}

/// Scans the image at `input` (`-`: standard input). Errors that stop the whole image (not an image,
/// a malformed manifest, no such platform) are returned; errors in one layer are reported to the
/// sink and the other layers are still scanned.
pub fn scan(
    input: &Path,
    opts: &ImageOptions,
    scanner: &Scanner,
    sink: &Collector,
) -> Result<ImageScan> {
    let stdin = input.as_os_str() == "-";
    let name = if stdin {
        "<stdin>".to_string()
    } else {
        input.display().to_string()
    };
    let artifact = if stdin {
        "stdin".to_string()
    } else {
        name.trim_start_matches("./").to_string()
    };
    let mut job = Job::new(name, artifact, opts, scanner, sink);
    if stdin {
        job.stream(Box::new(std::io::stdin().lock()))?;
    } else if !input.exists() {
        // `nhiscan image alpine:3.20` is a common first try: say how to get an archive.
        bail!(
            "{}: no such file or directory (nhiscan reads image archives and OCI layouts, not registries or the \
             Docker daemon: try `docker save {} | nhiscan image -` or `skopeo copy docker://{} oci:DIR`)",
            job.name,
            job.name,
            job.name
        );
    } else if input.is_dir() {
        job.directory(input)?;
    } else {
        let mut f =
            std::fs::File::open(input).with_context(|| format!("{}: cannot open", job.name))?;
        let mut head = [0u8; 512];
        let n =
            read_full(&mut f, &mut head).with_context(|| format!("{}: cannot read", job.name))?;
        f.seek(SeekFrom::Start(0))?;
        match layer::sniff(&head[..n]) {
            Some(layer::Compression::None) => job.seekable(input, f)?,
            Some(_) => job.stream(Box::new(f))?,
            None => bail!(
                "{}: not an image: expected a `docker save` or OCI layout tarball (or directory)",
                job.name
            ),
        }
    }
    Ok(ImageScan {
        incomplete: job.incomplete.load(Relaxed),
    })
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A layer as scanned (keyed by blob): what it wrote/deleted, its findings, its problems.
#[derive(Default)]
struct Scanned {
    report: LayerReport,
    findings: Vec<Finding>,
    errors: Vec<String>,
}

struct Job<'a> {
    name: String,
    artifact: String,
    opts: &'a ImageOptions,
    scanner: &'a Scanner,
    sink: &'a Collector,
    incomplete: AtomicBool,
    /// Scanned layers by blob key.
    scanned: HashMap<String, Scanned>,
}

impl<'a> Job<'a> {
    fn new(
        name: String,
        artifact: String,
        opts: &'a ImageOptions,
        scanner: &'a Scanner,
        sink: &'a Collector,
    ) -> Job<'a> {
        Job {
            name,
            artifact,
            opts,
            scanner,
            sink,
            incomplete: AtomicBool::new(false),
            scanned: HashMap::new(),
        }
    }

    fn selected(&self, plans: Vec<Plan>) -> Result<Vec<Plan>> {
        if plans.is_empty() {
            bail!("{}: the image has no manifests", self.name);
        }
        let Some(want) = &self.opts.platform else {
            return Ok(plans);
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
                "{}: no image for platform `{want}` (the image has: {})",
                self.name,
                have.join(", ")
            );
        }
        Ok(keep)
    }

    /// An OCI layout (or extracted `docker save`) directory: blobs are files.
    fn directory(&mut self, dir: &Path) -> Result<()> {
        let path_of = |key: &str| -> PathBuf { dir.join(key) };
        let mut get = |key: &str| -> Option<Vec<u8>> {
            let p = path_of(key);
            let len = std::fs::metadata(&p).ok()?.len();
            if len > MAX_META {
                return None;
            }
            std::fs::read(p).ok()
        };
        let plans = self.plans(&mut get)?;
        let plans = self.selected(plans)?;
        self.scan_plans_with(&plans, &|key| {
            let f = std::fs::File::open(path_of(key)).map_err(|e| anyhow!("{e}"))?;
            Ok(Box::new(f) as Box<dyn Read + Send>)
        });
        self.finish(&plans, &mut get);
        Ok(())
    }

    /// The next entry of the outer tarball, or `None` (after reporting it) when the tarball is
    /// truncated or corrupt there: what came before is still scanned.
    fn entry_or_stop<'e, R: Read>(
        &mut self,
        e: std::io::Result<tar::Entry<'e, R>>,
    ) -> Option<tar::Entry<'e, R>> {
        match e {
            Ok(e) => Some(e),
            Err(err) => {
                self.error(format!(
                    "truncated or corrupt image tarball: {}; reading what came before",
                    layer::printable(&err.to_string())
                ));
                None
            }
        }
    }

    /// A tarball on disk: headers first (metadata kept, blobs located), then layers by offset.
    fn seekable(&mut self, path: &Path, file: std::fs::File) -> Result<()> {
        let mut meta: HashMap<String, Vec<u8>> = HashMap::new();
        let mut located: HashMap<String, (u64, u64)> = HashMap::new();
        {
            let mut a = tar::Archive::new(BufReader::new(&file));
            let entries = a
                .entries_with_seek()
                .with_context(|| format!("{}: not a tar archive", self.name))?;
            for e in entries {
                let Some(mut e) = self.entry_or_stop(e) else {
                    break;
                };
                let key = entry_key(&e);
                let size = e.size();
                located.insert(key.clone(), (e.raw_file_position(), size));
                if size <= MAX_META && is_meta_name(&key) {
                    let mut buf = Vec::with_capacity(size as usize);
                    if e.read_to_end(&mut buf).is_ok()
                        && buf.first().is_some_and(|b| *b == b'{' || *b == b'[')
                    {
                        meta.insert(key, buf);
                    }
                }
            }
        }
        let mut get = |key: &str| meta.get(key).cloned();
        let plans = self.plans(&mut get)?;
        let plans = self.selected(plans)?;
        self.scan_plans_with(&plans, &|key| {
            let &(off, size) = located.get(key).ok_or_else(|| anyhow!("missing blob"))?;
            // Its own handle: layers are read in parallel, and a cloned handle shares the offset.
            let mut f = std::fs::File::open(path)?;
            f.seek(SeekFrom::Start(off))?;
            Ok(Box::new(f.take(size)) as Box<dyn Read + Send>)
        });
        self.finish(&plans, &mut get);
        Ok(())
    }

    /// One pass over a tar stream: metadata kept, every blob that is a layer scanned as it comes.
    fn stream(&mut self, input: Box<dyn Read + '_>) -> Result<()> {
        let mut br = BufReader::with_capacity(1 << 20, input);
        let head = std::io::BufRead::fill_buf(&mut br)
            .with_context(|| format!("{}: cannot read", self.name))?
            .to_vec();
        let outer: Box<dyn Read + '_> = match layer::sniff(&head) {
            Some(layer::Compression::Gzip) => Box::new(flate2::bufread::MultiGzDecoder::new(br)),
            Some(layer::Compression::Zstd) => {
                Box::new(zstd::stream::read::Decoder::with_buffer(br)?)
            }
            Some(layer::Compression::None) => Box::new(br),
            None if head.is_empty() => {
                bail!("{}: empty input, expected an image tarball", self.name)
            }
            None => bail!(
                "{}: not an image: expected a `docker save` or OCI layout tarball",
                self.name
            ),
        };
        let mut meta: HashMap<String, Vec<u8>> = HashMap::new();
        let mut a = tar::Archive::new(outer);
        let entries = a
            .entries()
            .with_context(|| format!("{}: not a tar archive", self.name))?;
        for e in entries {
            let Some(mut e) = self.entry_or_stop(e) else {
                break;
            };
            if !e.header().entry_type().is_file() {
                continue;
            }
            let key = entry_key(&e);
            let size = e.size();
            let mut first = [0u8; 512];
            let n = match read_full(&mut e, &mut first) {
                Ok(n) => n,
                Err(err) => {
                    self.error(format!(
                        "truncated image tarball at {key}: {}",
                        layer::printable(&err.to_string())
                    ));
                    break;
                }
            };
            let head = &first[..n];
            if size <= MAX_META && head.first().is_some_and(|b| *b == b'{' || *b == b'[') {
                let mut buf = head.to_vec();
                if e.read_to_end(&mut buf).is_ok() {
                    meta.insert(key, buf);
                }
                continue;
            }
            if layer::sniff(head).is_none() {
                continue;
            }
            let blob: Box<dyn Read + '_> =
                Box::new(std::io::Cursor::new(head.to_vec()).chain(&mut e));
            let label = format!("{} {key}", self.name);
            let scanned = self.scan_layer(blob, None, &label);
            self.scanned.insert(key, scanned);
        }
        let mut get = |key: &str| meta.get(key).cloned();
        let plans = self.plans(&mut get)?;
        let plans = self.selected(plans)?;
        self.finish(&plans, &mut get);
        Ok(())
    }

    /// Scans the layers of `plans` (each blob once), opening blobs with `open`.
    /// Scans the layers of `plans` (each blob once), opening blobs with `open`. Up to `threads`
    /// layers are read at once, so one large gzip layer does not leave the other cores idle.
    fn scan_plans_with(
        &mut self,
        plans: &[Plan],
        open: &(dyn Fn(&str) -> Result<Box<dyn Read + Send>> + Sync),
    ) {
        let mut jobs: Vec<(String, Option<String>, String, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for p in plans {
            for (i, l) in p.layers.iter().enumerate() {
                if !self.scanned.contains_key(&l.key) && seen.insert(l.key.clone()) {
                    jobs.push((
                        l.key.clone(),
                        l.media_type.clone(),
                        self.layer_label(p, plans.len(), i),
                        l.digest.clone(),
                    ));
                }
            }
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        let done: Mutex<Vec<(String, Scanned)>> = Mutex::new(Vec::new());
        let parallel = self.opts.threads.clamp(1, 4).min(jobs.len());
        let this = &*self;
        std::thread::scope(|s| {
            for _ in 0..parallel {
                s.spawn(|| {
                    while let Some((key, media_type, label, digest)) =
                        jobs.get(next.fetch_add(1, Relaxed))
                    {
                        let scanned = match open(key) {
                            Ok(r) => this.scan_layer(r, media_type.as_deref(), label),
                            Err(e) => {
                                let mut s = Scanned::default();
                                s.report.fatal = Some(format!("missing blob {digest} ({e})"));
                                s
                            }
                        };
                        done.lock().unwrap().push((key.clone(), scanned));
                    }
                });
            }
        });
        for (k, s) in done.into_inner().unwrap() {
            self.scanned.insert(k, s);
        }
    }

    fn layer_label(&self, p: &Plan, n_plans: usize, i: usize) -> String {
        let plat = match (&p.platform, n_plans > 1) {
            (Some(pl), true) => format!(" [{pl}]"),
            _ => String::new(),
        };
        format!(
            "{}{plat} layer {} ({})",
            self.name,
            i + 1,
            short(&p.layers[i].digest)
        )
    }

    /// Streams one layer through the worker threads; findings are held, not pushed.
    fn scan_layer(
        &self,
        blob: Box<dyn Read + '_>,
        media_type: Option<&str>,
        label: &str,
    ) -> Scanned {
        let limits = LayerLimits {
            max_file_size: self.opts.max_file_size,
            max_layer_size: self.opts.max_layer_size,
        };
        let held: Mutex<Vec<Finding>> = Mutex::new(Vec::new());
        let errors: Mutex<Vec<String>> = Mutex::new(Vec::new());
        let workers = self.opts.threads.max(1);
        let (tx, rx) = crossbeam_channel::bounded::<FileUnit>(workers * 2);
        let report = std::thread::scope(|s| {
            for _ in 0..workers {
                let rx = rx.clone();
                let (held, errors) = (&held, &errors);
                s.spawn(move || {
                    for u in rx {
                        self.scan_unit(u, label, held, errors);
                    }
                });
            }
            drop(rx);
            let rep = layer::read_layer(blob, media_type, &limits, &mut |u: FileUnit| {
                if u.data.len() > QUEUE_FILE_MAX {
                    self.scan_unit(u, label, &held, &errors);
                } else if let Err(e) = tx.send(u) {
                    self.scan_unit(e.into_inner(), label, &held, &errors);
                }
            });
            drop(tx);
            rep
        });
        for (path, why) in &report.skipped {
            if self.opts.verbose {
                eprintln!("note: {label} {path}: skipped, {why}");
            }
            self.sink.skip(format!("{label} {path}"), why.clone());
        }
        Scanned {
            report,
            findings: held.into_inner().unwrap(),
            errors: errors.into_inner().unwrap(),
        }
    }

    /// Scans one file from a layer (opening archives), holding the findings.
    fn scan_unit(
        &self,
        u: FileUnit,
        label: &str,
        held: &Mutex<Vec<Finding>>,
        errors: &Mutex<Vec<String>>,
    ) {
        if self.opts.max_archive_depth > 0 && archive::is_archive(&u.path, &u.data) {
            let limits = archive::ArchiveLimits {
                max_depth: self.opts.max_archive_depth,
                max_expanded: self.opts.max_archive_size,
                max_file_size: self.opts.max_file_size,
            };
            let warnings = archive::expand(u, &limits, &mut |inner| {
                self.scan_file(inner, label, held, errors)
            });
            errors.lock().unwrap().extend(warnings);
            return;
        }
        self.scan_file(u, label, held, errors);
    }

    fn scan_file(
        &self,
        u: FileUnit,
        label: &str,
        held: &Mutex<Vec<Finding>>,
        errors: &Mutex<Vec<String>>,
    ) {
        if super::is_binary(&u.data) {
            if self.opts.verbose {
                eprintln!("note: {label} {}: skipped, binary content", u.path);
            }
            return;
        }
        // Provisional origin: the name analyzers choose by; the rest is set once layers are known.
        let inner = u.path.rsplit("!/").next().unwrap_or(&u.path).to_string();
        let origin = Arc::new(Origin {
            artifact: self.artifact.clone(),
            display: u.path.clone(),
            name: inner,
            ..Default::default()
        });
        let res = self.scanner.scan_bytes(&u.data, &origin);
        self.sink.scanned(u.data.len() as u64);
        if !res.errors.is_empty() {
            errors
                .lock()
                .unwrap()
                .extend(res.errors.into_iter().map(|e| format!("{}: {e}", u.path)));
        }
        if !res.findings.is_empty() {
            held.lock().unwrap().extend(res.findings);
        }
    }

    /// The image's plans; platforms listed but not in the archive are noted as skipped.
    fn plans(&self, get: &mut dyn FnMut(&str) -> Option<Vec<u8>>) -> Result<Vec<Plan>> {
        let (plans, absent) = manifest::plans(get).with_context(|| self.malformed())?;
        for a in absent {
            if self.opts.verbose {
                eprintln!("note: {}: {a}; skipped", self.name);
            }
            self.sink.skip(self.name.clone(), a);
        }
        Ok(plans)
    }

    /// Context for a manifest that cannot be read: a tarball cut short is the likely cause.
    fn malformed(&self) -> String {
        if self.incomplete.load(Relaxed) {
            format!(
                "{}: malformed image (the tarball is truncated or corrupt)",
                self.name
            )
        } else {
            format!("{}: malformed image", self.name)
        }
    }

    fn error(&self, msg: impl Into<String>) {
        self.incomplete.store(true, Relaxed);
        self.sink.error(self.name.clone(), msg);
    }

    /// Every layer read: pushes each layer's findings with its final origin (visibility included),
    /// reports layer errors, and scans each config.
    fn finish(&mut self, plans: &[Plan], get: &mut dyn FnMut(&str) -> Option<Vec<u8>>) {
        let mut reported: std::collections::HashSet<String> = Default::default();
        for p in plans {
            let config = match get(&p.config_key) {
                None => {
                    self.error(format!("missing config blob {}", p.config_digest));
                    Config::default()
                }
                Some(b) => match manifest::parse_config(&b) {
                    Ok(c) => c,
                    Err(e) => {
                        self.error(format!("malformed config {}: {e:#}", p.config_digest));
                        Config::default()
                    }
                },
            };
            let created = layer_history(&config, p.layers.len());
            for (i, l) in p.layers.iter().enumerate() {
                let label = self.layer_label(p, plans.len(), i);
                let Some(mut s) = self.scanned.remove(&l.key) else {
                    if reported.contains(&l.key) {
                        continue;
                    }
                    self.incomplete.store(true, Relaxed);
                    self.sink.error(label, format!("missing blob {}", l.digest));
                    continue;
                };
                if let Some(f) = &s.report.fatal {
                    self.incomplete.store(true, Relaxed);
                    self.sink.error(label.clone(), f.clone());
                }
                for w in s.report.warnings.iter().chain(&s.errors) {
                    self.sink.error(label.clone(), w.clone());
                }
                let later: Vec<Option<&LayerIndex>> = p.layers[i + 1..]
                    .iter()
                    .map(|l2| self.scanned.get(&l2.key).map(|s| &s.report.index))
                    .collect();
                let mut origins: HashMap<String, Arc<Origin>> = HashMap::new();
                for mut f in std::mem::take(&mut s.findings) {
                    let path = f.origin.display.clone();
                    let o = origins
                        .entry(path.clone())
                        .or_insert_with(|| {
                            Arc::new(self.layer_origin(
                                p,
                                plans.len(),
                                i,
                                &created[i],
                                &path,
                                &later,
                            ))
                        })
                        .clone();
                    f.origin = o;
                    self.sink.push(f);
                }
                // Each blob is reported once; its index stays for the visibility check of the layers
                // below it in other platforms' images.
                s.report.fatal = None;
                s.report.warnings.clear();
                self.scanned.insert(
                    l.key.clone(),
                    Scanned {
                        report: s.report,
                        ..Default::default()
                    },
                );
                reported.insert(l.key.clone());
            }
            self.scan_config(p, plans.len(), &config);
        }
    }

    fn layer_origin(
        &self,
        p: &Plan,
        n_plans: usize,
        i: usize,
        created_by: &str,
        path: &str,
        later: &[Option<&LayerIndex>],
    ) -> Origin {
        let digest = &p.layers[i].digest;
        // The visibility of the outermost file (an archive's own path for nested files).
        let outer = path.split("!/").next().unwrap_or(path);
        let mut props = Map::new();
        props.insert("layer_index".into(), json!(i + 1));
        props.insert("layer_digest".into(), json!(digest));
        props.insert("created_by".into(), json!(redact_created_by(created_by)));
        props.insert("path".into(), json!(path));
        if let Some(pl) = &p.platform {
            props.insert("platform".into(), json!(pl));
        }
        let mut hidden = None;
        for (k, idx) in later.iter().enumerate() {
            if let Some(how) = idx.and_then(|x| x.hides(outer)) {
                hidden = Some((i + 2 + k, how));
                break;
            }
        }
        match hidden {
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
            display: format!("{} {path}", self.layer_label(p, n_plans, i)),
            name: path.rsplit("!/").next().unwrap_or(path).to_string(),
            logical: Some(format!("layer {}{path}", i + 1)),
            properties: props,
        }
    }

    /// Env, Labels, Cmd/Entrypoint and history of one image config, each its own unit. Env and
    /// history are written as Dockerfile instructions (`ENV K=V`, `ARG K=V` + `RUN ...`) and named
    /// `Dockerfile`, so the Dockerfile analyzer judges them as it judges the file that made them.
    fn scan_config(&self, p: &Plan, n_plans: usize, c: &Config) {
        let plat = match (&p.platform, n_plans > 1) {
            (Some(pl), true) => format!(" [{pl}]"),
            _ => String::new(),
        };
        let base = format!("{}{plat} config ({})", self.name, short(&p.config_digest));
        let mut units: Vec<(String, String, String, Map<String, Value>)> = Vec::new();
        let field = |f: &str, extra: &[(&str, Value)]| {
            let mut m = Map::new();
            m.insert("config_digest".into(), json!(p.config_digest));
            m.insert("field".into(), json!(f));
            for (k, v) in extra {
                m.insert((*k).into(), v.clone());
            }
            if let Some(pl) = &p.platform {
                m.insert("platform".into(), json!(pl));
            }
            m
        };
        for e in &c.env {
            let (k, v) = e.split_once('=').unwrap_or((e, ""));
            let text = if v.contains(char::is_whitespace) || v.contains('"') {
                format!(
                    "ENV {k}=\"{}\"\n",
                    v.replace('\\', "\\\\").replace('"', "\\\"")
                )
            } else {
                format!("ENV {k}={v}\n")
            };
            units.push((
                format!("Env {k}"),
                "Dockerfile".into(),
                text,
                field("Env", &[("key", json!(k))]),
            ));
        }
        for (k, v) in &c.labels {
            units.push((
                format!("Labels {k}"),
                "config/Labels".into(),
                format!("{k}={v}\n"),
                field("Labels", &[("key", json!(k))]),
            ));
        }
        if !c.cmd.is_empty() {
            units.push((
                "Cmd".into(),
                "config/Cmd".into(),
                c.cmd.join(" ") + "\n",
                field("Cmd", &[]),
            ));
        }
        if !c.entrypoint.is_empty() {
            units.push((
                "Entrypoint".into(),
                "config/Entrypoint".into(),
                c.entrypoint.join(" ") + "\n",
                field("Entrypoint", &[]),
            ));
        }
        let mut layer = 0;
        for (h, (created_by, empty)) in c.history.iter().enumerate() {
            let mut extra = vec![
                ("created_by", json!(redact_created_by(created_by))),
                ("history_index", json!(h)),
            ];
            if !empty {
                layer += 1;
                extra.push(("layer_index", json!(layer)));
            }
            units.push((
                format!("history[{h}]"),
                "Dockerfile".into(),
                history_as_dockerfile(created_by),
                field("history", &extra),
            ));
        }
        for (what, name, text, props) in units {
            let logical = format!("config/{}", what.replace(' ', "/"));
            let origin = Arc::new(Origin {
                artifact: self.artifact.clone(),
                display: format!("{base} {what}"),
                name,
                logical: Some(logical),
                properties: props,
            });
            let res = self.scanner.scan_bytes(text.as_bytes(), &origin);
            self.sink.scanned(text.len() as u64);
            for e in res.errors {
                self.sink.error(origin.display.clone(), e);
            }
            self.sink.push_all(res.findings);
        }
    }
}

fn is_meta_name(key: &str) -> bool {
    key.ends_with(".json") || key.starts_with("blobs/") || key == "oci-layout"
}

/// `sha256:0123456789abcdef…` -> `sha256:0123456789ab…`.
pub fn short(digest: &str) -> String {
    match digest.split_once(':') {
        Some((alg, hex)) if hex.len() > 12 => format!("{alg}:{}…", &hex[..12]),
        _ => digest.to_string(),
    }
}

/// A history `created_by` fit for every report's properties: build-arg values (`RUN |1 TOKEN=...`)
/// and values of secret-named `ENV`/`ARG` keys are redacted (the finding on that history entry shows
/// the secret, redacted or not as the user asked; the properties of every finding in the layer must
/// not carry it in clear).
pub fn redact_created_by(created_by: &str) -> String {
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

/// The `created_by` of each layer: history entries that are not `empty_layer`, in order.
fn layer_history(c: &Config, n: usize) -> Vec<String> {
    let mut v: Vec<String> = c
        .history
        .iter()
        .filter(|(_, empty)| !empty)
        .map(|(cb, _)| cb.clone())
        .collect();
    v.resize(n.max(v.len()), String::new());
    v
}

/// A history `created_by` as Dockerfile text: `/bin/sh -c #(nop) ENV A=b` -> `ENV A=b`;
/// `/bin/sh -c cmd` -> `RUN cmd`; BuildKit `RUN |2 A=1 B=2 /bin/sh -c cmd` -> `ARG A=1 B=2` + `RUN cmd`.
fn history_as_dockerfile(created_by: &str) -> String {
    let s = created_by.trim();
    let s = s.strip_suffix("# buildkit").unwrap_or(s).trim();
    for sh in ["/bin/sh -c #(nop) ", "/bin/sh -c #(nop)"] {
        if let Some(rest) = s.strip_prefix(sh) {
            return format!("{}\n", rest.trim());
        }
    }
    if let Some(rest) = s.strip_prefix("/bin/sh -c ") {
        return format!("RUN {rest}\n");
    }
    if let Some(rest) = s.strip_prefix("RUN |") {
        // `RUN |N K=V ... CMD`: N build args, then the command.
        let mut words = rest.splitn(2, ' ');
        let n: usize = words.next().and_then(|x| x.parse().ok()).unwrap_or(0);
        let mut rest = words.next().unwrap_or("");
        let mut args = Vec::new();
        for _ in 0..n {
            let end = rest.find(' ').unwrap_or(rest.len());
            args.push(&rest[..end]);
            rest = rest[end..].trim_start();
        }
        let cmd = rest.strip_prefix("/bin/sh -c ").unwrap_or(rest);
        return if args.is_empty() {
            format!("RUN {cmd}\n")
        } else {
            format!("ARG {}\nRUN {cmd}\n", args.join(" "))
        };
    }
    format!("{s}\n")
}

/// An entry's path as the manifests name it (without a leading `./`).
fn entry_key<R: Read>(e: &tar::Entry<'_, R>) -> String {
    String::from_utf8_lossy(&e.path_bytes())
        .trim_start_matches("./")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_lines() {
        assert_eq!(
            history_as_dockerfile("/bin/sh -c #(nop)  ENV A=b"),
            "ENV A=b\n"
        );
        assert_eq!(
            history_as_dockerfile("/bin/sh -c apk add curl"),
            "RUN apk add curl\n"
        );
        assert_eq!(
            history_as_dockerfile("RUN |2 TOKEN=abc X=1 /bin/sh -c make # buildkit"),
            "ARG TOKEN=abc X=1\nRUN make\n"
        );
        assert_eq!(
            history_as_dockerfile("COPY .env /app/ # buildkit"),
            "COPY .env /app/\n"
        );
    }

    #[test]
    fn created_by_is_redacted() {
        assert_eq!(
            redact_created_by("RUN |2 TOKEN=abcdef0123456789 X=1 /bin/sh -c make # buildkit"),
            "RUN |2 TOKEN=abcd… X=… /bin/sh -c make # buildkit"
        );
        assert_eq!(
            redact_created_by("ENV DB_PASSWORD=hunter2-long-value"),
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
    fn hides() {
        let mut l = LayerIndex::default();
        l.whiteouts.push("app/.env".into());
        l.opaque.push("etc/secret".into());
        l.entries.insert(layer::path_hash("srv/key"));
        assert_eq!(l.hides("/app/.env"), Some("deleted"));
        assert_eq!(l.hides("/etc/secret/a/b"), Some("deleted"));
        assert_eq!(l.hides("/srv/key"), Some("overwritten"));
        assert_eq!(l.hides("/app/other"), None);
    }
}

/// A container image as a source (TEMPORARY adapter over [`scan`]).
pub(crate) struct Image {
    input: PathBuf,
    platform: Option<String>,
    threads: usize,
}

impl Image {
    /// The image at `input` (`-`: standard input).
    pub(crate) fn new(input: &Path, platform: Option<String>, threads: usize) -> Image {
        Image {
            input: input.to_path_buf(),
            platform,
            threads,
        }
    }
}

impl super::Source for Image {
    fn target(&self) -> String {
        self.input.display().to_string()
    }

    fn project_dir(&self) -> PathBuf {
        std::path::absolute(".").unwrap_or_else(|_| PathBuf::from("."))
    }

    fn produce(&self, feed: &super::Feed<'_>) -> Result<()> {
        let (scanner, sink) = feed.legacy_parts();
        let l = feed.limits();
        let opts = ImageOptions {
            platform: self.platform.clone(),
            max_file_size: l.max_file_size,
            max_layer_size: l.max_layer_size,
            max_archive_depth: l.max_archive_depth,
            max_archive_size: l.max_archive_size,
            threads: self.threads,
            verbose: false,
        };
        if scan(&self.input, &opts, scanner, sink)?.incomplete {
            feed.mark_incomplete();
        }
        Ok(())
    }
}
