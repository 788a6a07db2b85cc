//! Where an image's blobs come from: an OCI layout (or extracted `docker save`) directory, a tarball
//! on disk, or a stream (standard input, a compressed tarball).
//!
//! A seekable tarball is read twice: once over its headers (manifests and configs are kept, blobs
//! are only located), then each layer blob is streamed from its offset. A stream is read once: blobs
//! are scanned as they come, and the manifest read at the end says which layer each was.

use std::collections::HashMap;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};

use super::layer::{self, printable, Compression};
use super::manifest;
use super::plan::Plans;
use super::Job;

/// Metadata blobs (manifests, indexes, configs) are read into memory up to this size.
const MAX_META: u64 = 16 << 20;

/// The small blobs of an image (manifests, indexes, configs), by key.
pub(crate) enum Meta {
    /// A layout directory: read when asked.
    Dir(PathBuf),
    /// A tarball: kept while reading it.
    Kept(HashMap<String, Vec<u8>>),
}

impl Meta {
    /// The blob at `key`, when the image has it (and it is small enough to be metadata).
    pub(crate) fn get(&self, key: &str) -> Option<Vec<u8>> {
        match self {
            Meta::Dir(dir) => {
                let p = inside(dir, key)?;
                let m = std::fs::metadata(&p).ok()?;
                if !m.is_file() || m.len() > MAX_META {
                    return None;
                }
                std::fs::read(p).ok()
            }
            Meta::Kept(m) => m.get(key).cloned(),
        }
    }

    /// Whether the image has the blob at `key`.
    pub(crate) fn has(&self, key: &str) -> bool {
        match self {
            Meta::Dir(dir) => inside(dir, key).is_some_and(|p| p.is_file()),
            Meta::Kept(m) => m.contains_key(key),
        }
    }

    /// The keys of the metadata kept from a tarball, sorted (none for a directory).
    pub(crate) fn kept_keys(&self) -> Vec<String> {
        match self {
            Meta::Dir(_) => Vec::new(),
            Meta::Kept(m) => {
                let mut keys: Vec<String> = m.keys().cloned().collect();
                keys.sort();
                keys
            }
        }
    }
}

/// Reads the image at `input` (`-`: standard input), scanning every layer blob of the selected
/// plans into the job's feed. Errors that stop the whole image (not an image, a malformed manifest,
/// no such platform) are returned.
pub(crate) fn read(input: &Path, job: &mut Job<'_, '_>) -> Result<(Plans, Meta)> {
    if input.as_os_str() == "-" {
        return stream(job, Box::new(std::io::stdin().lock()));
    }
    if !input.exists() {
        // `nhiscan image alpine:3.20` is a common first try: say how to get an archive.
        let n = &job.name;
        bail!(
            "{n}: no such file or directory (nhiscan reads image archives and OCI layouts, not registries or the \
             Docker daemon: try `docker save {n} | nhiscan image -` or `skopeo copy docker://{n} oci:DIR`)"
        );
    }
    if input.is_dir() {
        return directory(job, input);
    }
    let mut f = std::fs::File::open(input).with_context(|| format!("{}: cannot open", job.name))?;
    let mut head = [0u8; 512];
    let n = read_full(&mut f, &mut head).with_context(|| format!("{}: cannot read", job.name))?;
    f.seek(SeekFrom::Start(0))?;
    match layer::sniff(&head[..n]) {
        Some(Compression::None) => seekable(job, input, f),
        Some(_) => stream(job, Box::new(f)),
        None => bail!(
            "{}: not an image: expected a `docker save` or OCI layout tarball (or directory)",
            job.name
        ),
    }
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

/// `key` (a path the image's own JSON names) under `dir`, or None when it would leave `dir`
/// (absolute, `..`, a drive prefix): an image directory must not make nhiscan read the host's files.
fn inside(dir: &Path, key: &str) -> Option<PathBuf> {
    let rel = Path::new(key);
    let plain = rel.components().all(|c| {
        matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    });
    (plain && !key.is_empty()).then(|| dir.join(rel))
}

/// An OCI layout (or extracted `docker save`) directory: blobs are files.
fn directory(job: &mut Job<'_, '_>, dir: &Path) -> Result<(Plans, Meta)> {
    let meta = Meta::Dir(dir.to_path_buf());
    let plans = job.plans(&meta)?;
    job.scan_blobs(&plans, &|key| {
        let p = inside(dir, key)
            .ok_or_else(|| anyhow!("blob path points outside the image directory; not read"))?;
        let f = std::fs::File::open(p).map_err(|e| anyhow!("{e}"))?;
        Ok(Box::new(f) as Box<dyn Read + Send>)
    });
    Ok((plans, meta))
}

/// A tarball on disk: headers first (metadata kept, blobs located), then layers by offset.
fn seekable(job: &mut Job<'_, '_>, path: &Path, file: std::fs::File) -> Result<(Plans, Meta)> {
    let mut kept: HashMap<String, Vec<u8>> = HashMap::new();
    let mut located: HashMap<String, (u64, u64)> = HashMap::new();
    // The entry that reaches furthest: past the end of the file, the tarball was cut short (the
    // tar reader seeks over data, so it does not notice).
    let mut end: Option<(String, u64, u64)> = None;
    {
        let mut a = tar::Archive::new(BufReader::new(&file));
        let entries = a
            .entries_with_seek()
            .with_context(|| format!("{}: not a tar archive", job.name))?;
        for e in entries {
            let Some(mut e) = job.entry_or_stop(e) else {
                break;
            };
            let key = entry_key(&e);
            let size = e.size();
            let off = e.raw_file_position();
            located.insert(key.clone(), (off, size));
            if end
                .as_ref()
                .is_none_or(|(_, o, s)| off.saturating_add(size) > o.saturating_add(*s))
            {
                end = Some((key.clone(), off, size));
            }
            if !e.header().entry_type().is_file() {
                continue;
            }
            oversize_meta(job, &key, size);
            let mut first = [0u8; 512];
            let n = read_full(&mut e, &mut first).unwrap_or(0);
            let head = &first[..n];
            if size <= MAX_META
                && is_meta_name(&key)
                && head.first().is_some_and(|b| *b == b'{' || *b == b'[')
            {
                let mut buf = head.to_vec();
                if e.read_to_end(&mut buf).is_ok() {
                    kept.insert(key, buf);
                }
                continue;
            }
            // Layers in tar order, for when no manifest can be read.
            if is_blob_name(&key) && layer::sniff(head).is_some() {
                job.found.push(key);
            }
        }
    }
    let len = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
    if let Some((key, off, size)) = end.filter(|(_, o, s)| o.saturating_add(*s) > len) {
        job.error(format!(
            "truncated image tarball: {} ends after {} of {size} bytes",
            printable(&key),
            len.saturating_sub(off)
        ));
    }
    let meta = Meta::Kept(kept);
    let plans = job.plans(&meta)?;
    job.scan_blobs(&plans, &|key| {
        let &(off, size) = located.get(key).ok_or_else(|| anyhow!("missing blob"))?;
        // Its own handle: layers are read in parallel, and a cloned handle shares the offset.
        let mut f = std::fs::File::open(path)?;
        f.seek(SeekFrom::Start(off))?;
        Ok(Box::new(f.take(size)) as Box<dyn Read + Send>)
    });
    Ok((plans, meta))
}

/// One pass over a tar stream: metadata kept, every blob that is a layer scanned as it comes.
fn stream(job: &mut Job<'_, '_>, input: Box<dyn Read + '_>) -> Result<(Plans, Meta)> {
    let mut br = BufReader::with_capacity(1 << 20, input);
    let head = std::io::BufRead::fill_buf(&mut br)
        .with_context(|| format!("{}: cannot read", job.name))?
        .to_vec();
    let outer: Box<dyn Read + '_> = match layer::sniff(&head) {
        Some(Compression::Gzip) => Box::new(flate2::bufread::MultiGzDecoder::new(br)),
        Some(Compression::Zstd) => Box::new(zstd::stream::read::Decoder::with_buffer(br)?),
        Some(Compression::None) => Box::new(br),
        None if head.is_empty() => {
            bail!("{}: empty input, expected an image tarball", job.name)
        }
        None => bail!(
            "{}: not an image: expected a `docker save` or OCI layout tarball",
            job.name
        ),
    };
    let mut kept: HashMap<String, Vec<u8>> = HashMap::new();
    let mut a = tar::Archive::new(outer);
    let entries = a
        .entries()
        .with_context(|| format!("{}: not a tar archive", job.name))?;
    for e in entries {
        let Some(mut e) = job.entry_or_stop(e) else {
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
                job.error(format!(
                    "truncated image tarball at {key}: {}",
                    printable(&err.to_string())
                ));
                break;
            }
        };
        let head = &first[..n];
        oversize_meta(job, &key, size);
        if size <= MAX_META && head.first().is_some_and(|b| *b == b'{' || *b == b'[') {
            let mut buf = head.to_vec();
            if e.read_to_end(&mut buf).is_ok() {
                kept.insert(key, buf);
            }
            continue;
        }
        if layer::sniff(head).is_none() {
            continue;
        }
        let blob: Box<dyn Read + '_> = Box::new(std::io::Cursor::new(head.to_vec()).chain(&mut e));
        // Which layer this is is known only at the end: the label names the blob.
        let label = format!("{} {key}", job.name);
        let scanned = job.scan_layer(blob, None, &label, &key);
        if is_blob_name(&key) {
            job.found.push(key.clone());
        }
        job.scanned.insert(key, scanned);
    }
    let meta = Meta::Kept(kept);
    let plans = job.plans(&meta)?;
    Ok((plans, meta))
}

impl Job<'_, '_> {
    /// The image's plans for the platform asked; platforms an index lists but the archive lacks
    /// are recorded as skipped, entries of an index or manifest that cannot be read as errors
    /// (the others are read).
    /// A tarball whose manifests cannot be read at all still has its layers scanned, in tar order
    /// ([`Job::unordered`]).
    fn plans(&mut self, meta: &Meta) -> Result<Plans> {
        let walked = match manifest::plans(&mut |key| meta.get(key)) {
            Ok(w) => w,
            Err(e) if !self.found.is_empty() => return Ok(self.unordered(e, meta)),
            Err(e) => {
                let why = if let Some(o) = self.oversize.first() {
                    format!("{}: malformed image: {o}", self.name)
                } else if self.broken {
                    format!(
                        "{}: malformed image (the tarball is truncated or corrupt)",
                        self.name
                    )
                } else {
                    format!("{}: malformed image", self.name)
                };
                return Err(e.context(why));
            }
        };
        for a in walked.absent {
            self.feed.skip(&self.name, &a);
        }
        for e in walked.errors {
            self.feed.error(self.name.clone(), e);
        }
        Plans::select(self.name.clone(), walked.plans, self.platform)
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
                    printable(&err.to_string())
                ));
                None
            }
        }
    }

    /// The outer tarball is cut short or corrupt: reported against the image.
    pub(crate) fn error(&mut self, msg: String) {
        self.broken = true;
        self.feed.error(self.name.clone(), msg);
    }
}

/// A `manifest.json` or `index.json` over the metadata limit is not read: say so, naming it, so the
/// image's rejection that follows is not a riddle.
fn oversize_meta(job: &mut Job, key: &str, size: u64) {
    if (key == "manifest.json" || key == "index.json") && size > MAX_META {
        job.oversize.push(format!(
            "{key} is {} MiB, over the {} MiB limit for image metadata: not read",
            size >> 20,
            MAX_META >> 20
        ));
    }
}

fn is_meta_name(key: &str) -> bool {
    key.ends_with(".json") || key.starts_with("blobs/") || key == "oci-layout"
}

/// Where the layouts keep layers: `blobs/<alg>/<hex>` (OCI, Docker 25+), `<id>/layer.tar` (older
/// `docker save`).
fn is_blob_name(key: &str) -> bool {
    key.starts_with("blobs/") || key.ends_with("/layer.tar")
}

/// An entry's path as the manifests name it (without a leading `./`).
fn entry_key<R: Read>(e: &tar::Entry<'_, R>) -> String {
    String::from_utf8_lossy(&e.path_bytes())
        .trim_start_matches("./")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::inside;
    use std::path::Path;

    #[test]
    fn blob_paths_stay_inside_the_image_directory() {
        let d = Path::new("/img");
        assert_eq!(
            inside(d, "blobs/sha256/ab"),
            Some(d.join("blobs/sha256/ab"))
        );
        // Issue 14.18: `../` or absolute paths in a manifest read the host's files.
        assert_eq!(inside(d, "../../etc/passwd"), None);
        assert_eq!(inside(d, "blobs/../../x"), None);
        assert_eq!(inside(d, "/etc/passwd"), None);
        assert_eq!(inside(d, ""), None);
    }
}
