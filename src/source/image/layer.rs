//! One layer, streamed: the blob is decompressed (gzip, zstd or none, told by its magic bytes) and read
//! as a tar, entry by entry, never extracted. Each regular file goes to the scanner; whiteouts
//! (`.wh.NAME`, `.wh..wh..opq`) and the paths the layer writes are recorded, so that once every
//! layer is read a finding can say whether its file is still in the final filesystem.
//! Files go to a [`Files`] sink, which applies the size gate and scans them.

use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;

/// What a layer does to the filesystem, kept for the visibility check: hashes of the paths it writes,
/// the paths it deletes (whiteouts) and the directories it makes opaque.
#[derive(Debug, Default)]
pub(crate) struct LayerIndex {
    pub entries: HashSet<u64>,
    pub whiteouts: Vec<String>,
    pub opaque: Vec<String>,
}

impl LayerIndex {
    /// Whether this layer hides `path` (as `/a/b`) of a lower layer: a whiteout of it or of a parent,
    /// an opaque parent directory, or an entry of its own at the same path.
    pub(crate) fn hides(&self, path: &str) -> Option<&'static str> {
        let p = path.trim_start_matches('/');
        if self.entries.contains(&path_hash(p)) {
            return Some("overwritten");
        }
        let mut prefix = p;
        loop {
            if self.whiteouts.iter().any(|w| w == prefix) {
                return Some("deleted");
            }
            match prefix.rfind('/') {
                Some(i) => {
                    prefix = &prefix[..i];
                    if self.opaque.iter().any(|o| o == prefix) {
                        return Some("deleted");
                    }
                }
                None => break,
            }
        }
        // An opaque root hides everything below.
        if self.opaque.iter().any(|o| o.is_empty()) {
            return Some("deleted");
        }
        None
    }
}

/// The hash a layer keeps of each path it writes (a hash per entry keeps huge layers small).
pub(crate) fn path_hash(p: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    p.hash(&mut h);
    h.finish()
}

/// Compression told by magic bytes (and the media type only when the bytes say nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    None,
    Gzip,
    Zstd,
}

/// The compression of a blob (or of a tar: `None`) told by its first bytes; None when it is neither.
pub(crate) fn sniff(head: &[u8]) -> Option<Compression> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some(Compression::Gzip)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Compression::Zstd)
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Some(Compression::None)
    } else {
        None
    }
}

/// Stops reading past `limit` bytes with an error and sets `tripped`: a layer (or nested archive)
/// that expands beyond the limit is treated as a decompression bomb.
struct Limit<R> {
    pub inner: R,
    pub left: u64,
    pub tripped: Arc<AtomicBool>,
}

impl<R: Read> Read for Limit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Allow a clean end exactly at the limit.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => {
                    self.tripped.store(true, Relaxed);
                    Err(io::Error::other(
                        "expands past the size limit (decompression bomb?)",
                    ))
                }
            };
        }
        let n = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let got = self.inner.read(&mut buf[..n])?;
        self.left -= got as u64;
        Ok(got)
    }
}

/// One file found in a layer (or in an archive inside one).
pub(crate) struct FileUnit {
    /// In-image path, `/app/.env` (nested: `/app/lib.jar!/config.yml`).
    pub path: String,
    pub data: Vec<u8>,
}

/// Where the files of a layer (or of an archive inside one) go.
pub(crate) trait Files {
    /// The size gate: false, and the file recorded as skipped, when `size` is over
    /// `--max-file-size`.
    fn admits(&self, path: &str, size: u64) -> bool;
    /// An entry passed over on purpose (encrypted, unsupported, unsafe path), recorded with why.
    fn skip(&self, path: &str, reason: &str);
    /// One file, read whole.
    fn file(&self, unit: FileUnit);
}

/// What reading a layer produced besides files: its index and its problems.
#[derive(Default)]
pub(crate) struct LayerReport {
    pub index: LayerIndex,
    /// Problems that stopped the layer early (truncated, corrupt, bomb): the layer is incomplete.
    pub fatal: Option<String>,
    /// Entries not scanned (`..` paths); the rest of the layer was read.
    pub errors: Vec<String>,
    /// Entries scanned but worth a warning (absolute paths).
    pub warnings: Vec<String>,
}

/// Reads a layer blob, handing every regular file the size gate admits to `files`; the layer stops
/// with an error once it expands past `max_layer_size`.
pub(crate) fn read_layer(
    blob: Box<dyn Read + '_>,
    media_type: Option<&str>,
    max_layer_size: u64,
    files: &dyn Files,
) -> LayerReport {
    let mut rep = LayerReport::default();
    let mut br = BufReader::with_capacity(256 << 10, blob);
    let head = match br.fill_buf() {
        Ok(h) => h.to_vec(),
        Err(e) => {
            rep.fatal = Some(format!("cannot read the layer blob: {e}"));
            return rep;
        }
    };
    if head.is_empty() {
        rep.fatal = Some("empty layer blob (truncated?)".into());
        return rep;
    }
    let comp = sniff(&head).unwrap_or_else(|| match media_type {
        Some(m) if m.contains("zstd") => Compression::Zstd,
        Some(m) if m.contains("gzip") => Compression::Gzip,
        _ => Compression::None,
    });
    let tripped = Arc::new(AtomicBool::new(false));
    let decoded: Box<dyn Read> = match comp {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(br)),
        Compression::Zstd => match zstd::stream::read::Decoder::with_buffer(br) {
            Ok(d) => Box::new(d),
            Err(e) => {
                rep.fatal = Some(format!("cannot start zstd decompression: {e}"));
                return rep;
            }
        },
        Compression::None => Box::new(br),
    };
    let limited = Limit {
        inner: decoded,
        left: max_layer_size,
        tripped: tripped.clone(),
    };
    let what = match comp {
        Compression::Gzip => "gzip",
        Compression::Zstd => "zstd",
        Compression::None => "tar",
    };
    let fail = |e: &dyn std::fmt::Display| {
        if tripped.load(Relaxed) {
            format!(
                "layer expands past --max-layer-size ({} bytes): possible decompression bomb; stopped reading it",
                max_layer_size
            )
        } else {
            format!(
                "truncated or corrupt {what} layer: {}; the files before this point were scanned",
                printable(&e.to_string())
            )
        }
    };
    let mut archive = tar::Archive::new(limited);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            rep.fatal = Some(fail(&e));
            return rep;
        }
    };
    let mut seen_any = false;
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                rep.fatal = Some(fail(&e));
                return rep;
            }
        };
        seen_any = true;
        let raw = entry.path_bytes().into_owned();
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let Some(path) = normalize(&raw, &mut rep) else {
            continue;
        };
        let (dir, base) = match path.rfind('/') {
            Some(i) => (&path[..i], &path[i + 1..]),
            None => ("", path.as_str()),
        };
        // A whiteout deletes a path of a lower layer and is normally empty; whatever content it
        // has still ships in the layer, so it is scanned like any file (it is no entry of the
        // final filesystem, so it is not indexed as one).
        if base == ".wh..wh..opq" {
            rep.index.opaque.push(dir.to_string());
        } else if let Some(name) = base.strip_prefix(".wh.") {
            rep.index.whiteouts.push(if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            });
        } else if path.is_empty() {
            continue;
        } else {
            rep.index.entries.insert(path_hash(&path));
        }
        let et = entry.header().entry_type();
        if !(et.is_file() || et == tar::EntryType::Continuous) {
            continue;
        }
        let size = entry.size();
        let shown = format!("/{path}");
        if size == 0 {
            continue;
        }
        if !files.admits(&shown, size) {
            // Reading on skips the content (the tar reader drains it).
            continue;
        }
        let mut data = Vec::new();
        // Within --max-file-size, but the machine may still refuse: then this file is an error,
        // not the end of the process.
        if data.try_reserve_exact(size as usize).is_err() {
            rep.errors.push(format!(
                "{shown}: cannot allocate {size} bytes to read it; not scanned"
            ));
            continue;
        }
        if let Err(e) = (&mut entry).take(size).read_to_end(&mut data) {
            rep.fatal = Some(fail(&e));
            return rep;
        }
        if (data.len() as u64) < size {
            rep.fatal = Some(fail(&format!(
                "{shown} ends after {} of {size} bytes",
                data.len()
            )));
            return rep;
        }
        files.file(FileUnit { path: shown, data });
    }
    if !seen_any
        && rep.fatal.is_none()
        && !head.is_empty()
        && comp == Compression::None
        && head.iter().any(|&b| b != 0)
    {
        rep.fatal = Some("not a tar archive (and not gzip or zstd)".into());
    }
    rep
}

/// A tar entry's path as an in-image path without a leading `/`; absolute and `..` paths are
/// reported (an extracting tool could write outside its root) and, for `..`, not scanned.
fn normalize(raw: &str, rep: &mut LayerReport) -> Option<String> {
    if raw.starts_with('/') {
        rep.warnings.push(format!(
            "entry `{raw}` has an absolute path (unsafe to extract); scanned as an in-image path"
        ));
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                rep.errors.push(format!("entry `{raw}` has a `..` path that escapes the image root (unsafe to extract); not scanned"));
                return None;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

/// An error message fit for a terminal: decoders quote the bytes they choke on, which in a corrupt
/// layer are binary.
pub(crate) fn printable(msg: &str) -> String {
    let mut out: String = msg
        .chars()
        .map(|c| {
            if c.is_control() || c == '\u{fffd}' {
                '?'
            } else {
                c
            }
        })
        .take(160)
        .collect();
    if msg.chars().count() > 160 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides() {
        let mut l = LayerIndex::default();
        l.whiteouts.push("app/.env".into());
        l.opaque.push("etc/secret".into());
        l.entries.insert(path_hash("srv/key"));
        assert_eq!(l.hides("/app/.env"), Some("deleted"));
        assert_eq!(l.hides("/etc/secret/a/b"), Some("deleted"));
        assert_eq!(l.hides("/srv/key"), Some("overwritten"));
        assert_eq!(l.hides("/app/other"), None);
    }
}
