//! Archives inside layers (zip, jar, war, tar, tar.gz, tar.zst, .gz): opened in memory (the file is
//! already within --max-file-size) and their files scanned, to a depth and an expanded-size limit so
//! that a zip bomb stops with an error instead of filling memory. Zips are read with the `zip` crate
//! (zip64 included); an entry that cannot be read (encrypted, a compression nhiscan does not decode,
//! over a limit, an unsafe path) is recorded as skipped with the reason, never dropped silently.

use std::io::{Cursor, Read};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;

use super::layer::{printable, sniff, Compression, FileUnit, Files, Limit};

/// How far archives inside layers are opened.
pub(crate) struct ArchiveLimits {
    /// How many archives deep to open (0: none).
    pub max_depth: usize,
    /// Bytes one top-level archive may expand to, all nested files together.
    pub max_expanded: u64,
    /// The largest file inside an archive that is decompressed and scanned.
    pub max_file_size: u64,
}

/// The kinds of archive nhiscan opens.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Zip,
    Gzip,
    Zstd,
    Tar,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Zip => "zip",
            Kind::Gzip => "gzip",
            Kind::Zstd => "zstd",
            Kind::Tar => "tar",
        }
    }
}

/// What kind of archive `data` is, if it is one nhiscan opens.
fn kind(data: &[u8]) -> Option<Kind> {
    if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") {
        return Some(Kind::Zip);
    }
    match sniff(&data[..data.len().min(512)])? {
        Compression::Gzip => Some(Kind::Gzip),
        Compression::Zstd => Some(Kind::Zstd),
        Compression::None => Some(Kind::Tar),
    }
}

/// True when `data` is an archive nhiscan opens.
pub(crate) fn is_archive(data: &[u8]) -> bool {
    kind(data).is_some()
}

/// Expands `unit` (an archive) into the files it holds, recursively, handing each non-archive file
/// to `files`; problems that stop an archive are returned as messages naming the archive path.
pub(crate) fn expand(unit: FileUnit, limits: &ArchiveLimits, files: &dyn Files) -> Vec<String> {
    let mut problems = Vec::new();
    let mut budget = limits.max_expanded;
    walk(unit, 1, limits, &mut budget, files, &mut problems);
    problems
}

fn walk(
    unit: FileUnit,
    depth: usize,
    limits: &ArchiveLimits,
    budget: &mut u64,
    files: &dyn Files,
    problems: &mut Vec<String>,
) {
    let Some(k) = kind(&unit.data) else {
        files.file(unit);
        return;
    };
    if depth > limits.max_depth {
        problems.push(format!(
            "{}: {} archive nested deeper than --max-archive-depth ({}); not opened",
            unit.path,
            k.name(),
            limits.max_depth
        ));
        return;
    }
    let mut children = Vec::new();
    let res = match k {
        Kind::Zip => read_zip(&unit, budget, files, &mut children, problems),
        Kind::Tar => read_tar(&unit.path, &unit.data[..], budget, files, &mut children),
        Kind::Gzip | Kind::Zstd => decompress(&unit, k, limits, budget, files, &mut children),
    };
    if let Err(e) = res {
        problems.push(format!("{}: {}", unit.path, printable(&e)));
    }
    for c in children {
        walk(c, depth + 1, limits, budget, files, problems);
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
    k: Kind,
    limits: &ArchiveLimits,
    budget: &mut u64,
    files: &dyn Files,
    out: &mut Vec<FileUnit>,
) -> Result<(), String> {
    let cap = limits.max_file_size.min(*budget);
    let tripped = Arc::new(AtomicBool::new(false));
    let r: Box<dyn Read> = if k == Kind::Gzip {
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
    let k = k.name();
    if tripped.load(Relaxed) {
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
        return read_tar(&unit.path, &data[..], budget, files, out);
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

/// Why an entry path is not scanned: it climbs out of the archive (`..`).
const ESCAPES: &str = "entry path has `..` components (unsafe to extract); not scanned";

fn read_tar(
    path: &str,
    data: &[u8],
    budget: &mut u64,
    files: &dyn Files,
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
        let size = e.size();
        if size == 0 {
            continue;
        }
        let shown = format!("{path}!/{name}");
        if name.split('/').any(|c| c == "..") {
            files.skip(&shown, ESCAPES);
            continue;
        }
        if !files.admits(&shown, size) {
            continue;
        }
        take_budget(budget, size)?;
        let mut buf = Vec::with_capacity(size as usize);
        e.read_to_end(&mut buf)
            .map_err(|e| format!("truncated or corrupt tar: {e}"))?;
        out.push(FileUnit {
            path: shown,
            data: buf,
        });
    }
    Ok(())
}

/// A zip (jar, war, whl...), zip64 included. Entries the build decodes (stored, deflate, deflate64,
/// zstd) are scanned; the others are recorded as skipped with the reason. A corrupt entry is
/// reported and the next one read (the central directory says where each starts).
fn read_zip(
    unit: &FileUnit,
    budget: &mut u64,
    files: &dyn Files,
    out: &mut Vec<FileUnit>,
    problems: &mut Vec<String>,
) -> Result<(), String> {
    let mut z = zip::ZipArchive::new(Cursor::new(&unit.data[..]))
        .map_err(|e| format!("truncated or corrupt zip: {e}"))?;
    for i in 0..z.len() {
        let entry = z.by_index_raw(i).map(|f| {
            let facts = (f.size(), f.encrypted(), method_name(f.compression()));
            (f.is_dir(), facts)
        });
        let (size, encrypted, method) = match entry {
            Ok((true, _)) => continue,
            Ok((false, facts)) => facts,
            Err(e) => {
                let name = z.name_for_index(i).unwrap_or("?");
                problems.push(format!(
                    "{}!/{name}: corrupt zip entry: {}; not scanned",
                    unit.path,
                    printable(&e.to_string())
                ));
                continue;
            }
        };
        let name = z.name_for_index(i).unwrap_or("?").to_string();
        if size == 0 {
            continue;
        }
        let shown = format!("{}!/{name}", unit.path);
        if name.split(['/', '\\']).any(|c| c == "..") {
            files.skip(&shown, ESCAPES);
            continue;
        }
        if encrypted {
            files.skip(&shown, "encrypted zip entry; not scanned");
            continue;
        }
        if !files.admits(&shown, size) {
            continue;
        }
        take_budget(budget, size)?;
        let mut f = match z.by_index(i) {
            Ok(f) => f,
            Err(zip::result::ZipError::UnsupportedArchive(why)) => {
                files.skip(
                    &shown,
                    &format!("zip entry compressed with {method} ({why}); not scanned"),
                );
                continue;
            }
            Err(e) => {
                problems.push(format!(
                    "{shown}: corrupt zip entry: {}; not scanned",
                    printable(&e.to_string())
                ));
                continue;
            }
        };
        let mut data = Vec::with_capacity(size as usize);
        if let Err(e) = (&mut f).take(size).read_to_end(&mut data) {
            problems.push(format!(
                "{shown}: corrupt {method} data: {}; not scanned",
                printable(&e.to_string())
            ));
            continue;
        }
        out.push(FileUnit { path: shown, data });
    }
    Ok(())
}

/// A zip compression method as people name it (the crate names the ones it was built without by
/// number; its `Unsupported` variant is deprecated only in favour of named constants it lacks for
/// these).
#[allow(deprecated)]
fn method_name(m: zip::CompressionMethod) -> String {
    match m {
        zip::CompressionMethod::Unsupported(n) => match n {
            1 => "shrink".into(),
            2..=5 => "reduce".into(),
            6 => "implode".into(),
            12 => "bzip2".into(),
            14 => "lzma".into(),
            95 => "xz".into(),
            98 => "ppmd".into(),
            n => format!("compression method {n}"),
        },
        m => m.to_string().to_lowercase(),
    }
}
