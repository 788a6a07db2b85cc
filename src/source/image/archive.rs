//! Archives inside layers (zip, jar, war, tar, tar.gz, tar.zst, .gz): their files scanned, to a
//! depth and an expanded-size limit so that a zip bomb stops with an error instead of filling
//! memory. Members are handed on one at a time (memory is the archive, which is within
//! --max-file-size, plus the member being scanned, within it too), a compressed tar is read as a
//! stream, and every byte decompressed counts against --max-archive-size. Zips are in `zipped`.
//! An entry that cannot be read (encrypted, a compression nhiscan does not decode, over a limit,
//! an unsafe path, data shared with another entry) is recorded as skipped or as an error with the
//! reason, never dropped silently.

use std::cell::Cell;
use std::io::{self, Cursor, Read};
use std::rc::Rc;

use super::layer::{printable, sniff, Compression, FileUnit, Files};

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
    let mut w = Walker {
        limits,
        budget: Rc::new(Cell::new(limits.max_expanded)),
        files,
        problems: Vec::new(),
    };
    w.walk(unit, 1);
    w.problems
}

const BOMB: &str =
    "archive expands past --max-archive-size (possible zip bomb); stopped opening it";

/// Why an entry path is not scanned: it climbs out of the archive (`..`).
pub(super) const ESCAPES: &str = "entry path has `..` components (unsafe to extract); not scanned";

/// One top-level archive being opened.
pub(super) struct Walker<'a> {
    limits: &'a ArchiveLimits,
    /// Bytes the archive may still expand to (shared with the decompressing readers).
    budget: Rc<Cell<u64>>,
    pub(super) files: &'a dyn Files,
    pub(super) problems: Vec<String>,
}

impl Walker<'_> {
    /// `unit` at archive depth `depth`: opened when it is an archive, else scanned.
    pub(super) fn walk(&mut self, unit: FileUnit, depth: usize) {
        let Some(k) = kind(&unit.data) else {
            self.files.file(unit);
            return;
        };
        if depth > self.limits.max_depth {
            self.problems.push(format!(
                "{}: {} archive nested deeper than --max-archive-depth ({}); not opened",
                unit.path,
                k.name(),
                self.limits.max_depth
            ));
            return;
        }
        let res = match k {
            Kind::Zip => self.zip(&unit, depth),
            Kind::Tar => self.tar(&unit.path, &unit.data[..], depth),
            Kind::Gzip | Kind::Zstd => self.compressed(&unit, k, depth),
        };
        if let Err(e) = res {
            self.problems
                .push(format!("{}: {}", unit.path, printable(&e)));
        }
    }

    /// Why reading failed: the budget ran out (the decoders and the tar reader may wrap the
    /// budget's own error), or the data is corrupt.
    fn failed(&self, e: io::Error, what: &str) -> String {
        failed(&self.budget, e, what)
    }

    /// Charges `n` bytes about to be extracted; an error once the archive is over its budget.
    pub(super) fn take(&self, n: u64) -> Result<(), String> {
        let left = self.budget.get();
        if n > left {
            self.budget.set(0);
            return Err(BOMB.into());
        }
        self.budget.set(left - n);
        Ok(())
    }

    /// A gzip/zstd file: a compressed tar (read as a stream), or one compressed file (named
    /// without its suffix), scanned when it is within --max-file-size.
    fn compressed(&mut self, unit: &FileUnit, k: Kind, depth: usize) -> Result<(), String> {
        let what = k.name();
        let decoder: Box<dyn Read> = if k == Kind::Gzip {
            Box::new(flate2::read::MultiGzDecoder::new(&unit.data[..]))
        } else {
            Box::new(zstd::stream::read::Decoder::new(&unit.data[..]).map_err(|e| e.to_string())?)
        };
        let mut r = Budgeted {
            inner: decoder,
            budget: self.budget.clone(),
        };
        let bad = |e: io::Error| self.failed(e, &format!("{what} data"));
        let mut head = Vec::with_capacity(512);
        (&mut r).take(512).read_to_end(&mut head).map_err(bad)?;
        if sniff(&head) == Some(Compression::None) {
            return self.tar(&unit.path, Cursor::new(head).chain(r), depth);
        }
        let inner_name = ["gz", "tgz", "zst", "tzst", "zstd"]
            .iter()
            .find_map(|s| unit.path.strip_suffix(&format!(".{s}")))
            .unwrap_or(&unit.path);
        let shown = format!(
            "{}!/{}",
            unit.path,
            inner_name.rsplit('/').next().unwrap_or("")
        );
        let max = self.limits.max_file_size;
        let mut data = head;
        r.take(max.saturating_add(1).saturating_sub(data.len() as u64))
            .read_to_end(&mut data)
            .map_err(bad)?;
        if data.len() as u64 > max {
            self.files.skip(
                &shown,
                &format!(
                    "decompressed content larger than --max-file-size ({max} bytes); not scanned"
                ),
            );
            return Ok(());
        }
        self.walk(FileUnit { path: shown, data }, depth + 1);
        Ok(())
    }

    /// A tar (from memory or from a decompressing stream): each member handed on as it is read.
    fn tar(&mut self, path: &str, r: impl Read, depth: usize) -> Result<(), String> {
        let mut a = tar::Archive::new(r);
        let budget = self.budget.clone();
        let bad = |e: io::Error| failed(&budget, e, "tar");
        for e in a.entries().map_err(bad)? {
            let mut e = e.map_err(bad)?;
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
                self.files.skip(&shown, ESCAPES);
                continue;
            }
            if !self.files.admits(&shown, size) {
                continue;
            }
            let data = match member(&mut e, size) {
                Ok(d) => d,
                Err(Member::Alloc(msg)) => {
                    self.problems.push(format!("{shown}: {msg}"));
                    continue;
                }
                Err(Member::Read(e)) => return Err(bad(e)),
            };
            self.walk(FileUnit { path: shown, data }, depth + 1);
        }
        Ok(())
    }
}

fn failed(budget: &Cell<u64>, e: io::Error, what: &str) -> String {
    if e.kind() == io::ErrorKind::FileTooLarge || budget.get() == 0 {
        BOMB.into()
    } else {
        format!("truncated or corrupt {what}: {e}")
    }
}

/// Why a member could not be read.
pub(super) enum Member {
    /// Its buffer could not be allocated (the limits allow it, the machine did not).
    Alloc(String),
    Read(io::Error),
}

/// Reads a member of `size` bytes (already admitted by --max-file-size) into one allocation; a
/// failed allocation is that member's error, not the end of the process.
pub(super) fn member(r: &mut dyn Read, size: u64) -> Result<Vec<u8>, Member> {
    let mut data = Vec::new();
    data.try_reserve_exact(size as usize)
        .map_err(|_| Member::Alloc(format!("cannot allocate {size} bytes to read it")))?;
    r.take(size).read_to_end(&mut data).map_err(Member::Read)?;
    Ok(data)
}

/// A decompressing reader charged against the archive's budget: past it, reads fail with
/// `FileTooLarge` (told apart from corrupt data by the kind).
struct Budgeted<R> {
    inner: R,
    budget: Rc<Cell<u64>>,
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.budget.get();
        if left == 0 {
            // A clean end exactly at the limit is fine.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::new(io::ErrorKind::FileTooLarge, BOMB)),
            };
        }
        let n = buf.len().min(left.min(usize::MAX as u64) as usize);
        let got = self.inner.read(&mut buf[..n])?;
        self.budget.set(left - got as u64);
        Ok(got)
    }
}
