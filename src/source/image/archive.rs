//! Archives inside layers (zip, jar, war, tar, tar.gz, tar.zst, .gz): opened in memory (the file is
//! already within --max-file-size) and their files scanned, to a depth and an expanded-size limit so
//! that a zip bomb stops with an error instead of filling memory.

use std::io::Read;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::layer::{sniff, Compression, FileUnit, Limit};

pub struct ArchiveLimits {
    /// How many archives deep to open (0: none).
    pub max_depth: usize,
    /// Bytes one top-level archive may expand to, all nested files together.
    pub max_expanded: u64,
    pub max_file_size: u64,
}

/// What kind of archive `data` (named `path`) is, if it is one nhiscan opens.
fn kind(path: &str, data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") {
        return Some("zip");
    }
    match sniff(&data[..data.len().min(512)]) {
        Some(Compression::Gzip) => Some("gzip"),
        Some(Compression::Zstd) => Some("zstd"),
        Some(Compression::None) => Some("tar"),
        None => {
            let _ = path;
            None
        }
    }
}

pub fn is_archive(path: &str, data: &[u8]) -> bool {
    kind(path, data).is_some()
}

/// Expands `unit` (an archive) into the files it holds, recursively, calling `emit` for each
/// non-archive file; problems are returned as messages naming the archive path.
pub fn expand(
    unit: FileUnit,
    limits: &ArchiveLimits,
    emit: &mut dyn FnMut(FileUnit),
) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut budget = limits.max_expanded;
    walk(unit, 1, limits, &mut budget, emit, &mut warnings);
    warnings
}

fn walk(
    unit: FileUnit,
    depth: usize,
    limits: &ArchiveLimits,
    budget: &mut u64,
    emit: &mut dyn FnMut(FileUnit),
    warnings: &mut Vec<String>,
) {
    let Some(k) = kind(&unit.path, &unit.data) else {
        emit(unit);
        return;
    };
    if depth > limits.max_depth {
        warnings.push(format!(
            "{}: {k} archive nested deeper than --max-archive-depth ({}); not opened",
            unit.path, limits.max_depth
        ));
        return;
    }
    let mut children = Vec::new();
    let res = match k {
        "zip" => read_zip(&unit, limits, budget, &mut children),
        "tar" => read_tar(&unit.path, &unit.data[..], limits, budget, &mut children),
        _ => decompress(&unit, k, limits, budget, &mut children),
    };
    if let Err(e) = res {
        warnings.push(format!("{}: {}", unit.path, super::layer::printable(&e)));
    }
    for c in children {
        walk(c, depth + 1, limits, budget, emit, warnings);
    }
}

fn take_budget(budget: &mut u64, n: u64) -> Result<(), String> {
    if n > *budget {
        *budget = 0;
        return Err(
            "archive expands past --max-archive-size (possible zip bomb); stopped opening it"
                .into(),
        );
    }
    *budget -= n;
    Ok(())
}

/// A gzip/zstd file: a compressed tar, or one compressed file (named without its suffix).
fn decompress(
    unit: &FileUnit,
    k: &str,
    limits: &ArchiveLimits,
    budget: &mut u64,
    out: &mut Vec<FileUnit>,
) -> Result<(), String> {
    let cap = limits.max_file_size.min(*budget);
    let tripped = Arc::new(AtomicBool::new(false));
    let r: Box<dyn Read> = if k == "gzip" {
        Box::new(flate2::read::MultiGzDecoder::new(&unit.data[..]))
    } else {
        Box::new(zstd::stream::read::Decoder::new(&unit.data[..]).map_err(|e| e.to_string())?)
    };
    let mut data = Vec::new();
    let read = Limit {
        inner: r,
        left: cap,
        tripped: tripped.clone(),
    }
    .read_to_end(&mut data);
    if tripped.load(std::sync::atomic::Ordering::Relaxed) {
        *budget = 0;
        return Err(format!("{k} content expands past the size limit ({cap} bytes; possible decompression bomb); not scanned"));
    }
    read.map_err(|e| format!("truncated or corrupt {k} data: {e}"))?;
    take_budget(budget, data.len() as u64)?;
    let inner_name = ["gz", "tgz", "zst", "tzst", "zstd"]
        .iter()
        .find_map(|s| unit.path.strip_suffix(&format!(".{s}")))
        .unwrap_or(&unit.path)
        .to_string();
    if sniff(&data[..data.len().min(512)]) == Some(Compression::None) {
        return read_tar(&unit.path, &data[..], limits, budget, out);
    }
    out.push(FileUnit {
        path: format!(
            "{}!/{}",
            unit.path,
            inner_name.rsplit('/').next().unwrap_or("")
        ),
        data,
    });
    Ok(())
}

fn read_tar(
    path: &str,
    data: &[u8],
    limits: &ArchiveLimits,
    budget: &mut u64,
    out: &mut Vec<FileUnit>,
) -> Result<(), String> {
    let mut a = tar::Archive::new(data);
    let entries = a.entries().map_err(|e| format!("corrupt tar: {e}"))?;
    for e in entries {
        let mut e = e.map_err(|e| format!("truncated or corrupt tar: {e}"))?;
        if !e.header().entry_type().is_file() {
            continue;
        }
        let name = String::from_utf8_lossy(&e.path_bytes())
            .trim_start_matches("./")
            .trim_start_matches('/')
            .to_string();
        if name.split('/').any(|c| c == "..") {
            continue;
        }
        let size = e.size();
        if size == 0 || size > limits.max_file_size {
            continue;
        }
        take_budget(budget, size)?;
        let mut buf = Vec::with_capacity(size as usize);
        e.read_to_end(&mut buf)
            .map_err(|e| format!("truncated or corrupt tar: {e}"))?;
        out.push(FileUnit {
            path: format!("{path}!/{name}"),
            data: buf,
        });
    }
    Ok(())
}

fn u16le(d: &[u8], at: usize) -> Option<u64> {
    d.get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]) as u64)
}
fn u32le(d: &[u8], at: usize) -> Option<u64> {
    d.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64)
}

/// A zip (jar, war, whl...) read through its central directory; stored and deflated entries.
fn read_zip(
    unit: &FileUnit,
    limits: &ArchiveLimits,
    budget: &mut u64,
    out: &mut Vec<FileUnit>,
) -> Result<(), String> {
    let d = &unit.data[..];
    let from = d.len().saturating_sub(22 + 65535);
    let eocd = (from..d.len().saturating_sub(21))
        .rev()
        .find(|&i| d[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .ok_or("truncated or corrupt zip: no end of central directory")?;
    let count = u16le(d, eocd + 10).ok_or("corrupt zip")?;
    let mut p = u32le(d, eocd + 16).ok_or("corrupt zip")? as usize;
    if p == 0xFFFF_FFFF {
        return Err("zip64 archives are not opened".into());
    }
    let bad = || "truncated or corrupt zip central directory".to_string();
    for _ in 0..count {
        if u32le(d, p) != Some(0x0201_4b50) {
            return Err(bad());
        }
        let flags = u16le(d, p + 8).ok_or_else(bad)?;
        let method = u16le(d, p + 10).ok_or_else(bad)?;
        let csize = u32le(d, p + 20).ok_or_else(bad)?;
        let usize_ = u32le(d, p + 24).ok_or_else(bad)?;
        let nlen = u16le(d, p + 28).ok_or_else(bad)? as usize;
        let elen = u16le(d, p + 30).ok_or_else(bad)? as usize;
        let clen = u16le(d, p + 32).ok_or_else(bad)? as usize;
        let local = u32le(d, p + 42).ok_or_else(bad)? as usize;
        let name =
            String::from_utf8_lossy(d.get(p + 46..p + 46 + nlen).ok_or_else(bad)?).into_owned();
        p += 46 + nlen + elen + clen;
        if name.ends_with('/') || usize_ == 0 || name.split('/').any(|c| c == "..") {
            continue;
        }
        if flags & 1 != 0 || usize_ > limits.max_file_size || (method != 0 && method != 8) {
            continue;
        }
        if u32le(d, local) != Some(0x0403_4b50) {
            return Err(format!(
                "truncated or corrupt zip: bad local header for {name}"
            ));
        }
        let ln = u16le(d, local + 26).ok_or_else(bad)? as usize;
        let le = u16le(d, local + 28).ok_or_else(bad)? as usize;
        let start = local + 30 + ln + le;
        let comp = d
            .get(start..start + csize as usize)
            .ok_or_else(|| format!("truncated zip: {name} ends early"))?;
        take_budget(budget, usize_)?;
        let data = if method == 0 {
            comp.to_vec()
        } else {
            let mut v = Vec::with_capacity(usize_ as usize);
            flate2::read::DeflateDecoder::new(comp)
                .take(usize_)
                .read_to_end(&mut v)
                .map_err(|e| format!("corrupt deflate data in {name}: {e}"))?;
            v
        };
        out.push(FileUnit {
            path: format!("{}!/{name}", unit.path),
            data,
        });
    }
    Ok(())
}
