//! Zips inside layers (jar, war, whl...), zip64 included, read with the `zip` crate. Entries the
//! build decodes (stored, deflate, deflate64, zstd) are scanned one at a time; the others are
//! skipped with the reason. Each entry's bytes are claimed once: entries repeating or overlapping
//! another entry's data (the duplicate- and overlapping-entry zip bombs) are not read again.

use std::collections::BTreeMap;
use std::io::Cursor;

use super::archive::{member, Member, Walker, ESCAPES};
use super::layer::{printable, FileUnit};

impl Walker<'_> {
    /// A zip: a corrupt entry is reported and the next one read (the central directory says where
    /// each starts); the archive stops at --max-archive-size.
    pub(super) fn zip(&mut self, unit: &FileUnit, depth: usize) -> Result<(), String> {
        let mut z = zip::ZipArchive::new(Cursor::new(&unit.data[..]))
            .map_err(|e| format!("truncated or corrupt zip: {e}"))?;
        let mut spans = Spans::default();
        let mut stopped = Ok(());
        for i in 0..z.len() {
            let entry = z.by_index_raw(i).map(|f| Facts {
                dir: f.is_dir(),
                size: f.size(),
                encrypted: f.encrypted(),
                method: method_name(f.compression()),
                start: f.header_start(),
                end: f
                    .data_start()
                    .unwrap_or(f.header_start())
                    .saturating_add(f.compressed_size()),
            });
            let facts = match entry {
                Ok(f) if f.dir => continue,
                Ok(f) => f,
                Err(e) => {
                    let name = z.name_for_index(i).unwrap_or("?");
                    self.problems.push(format!(
                        "{}!/{name}: corrupt zip entry: {}; not scanned",
                        unit.path,
                        printable(&e.to_string())
                    ));
                    continue;
                }
            };
            let name = z.name_for_index(i).unwrap_or("?").to_string();
            if facts.size == 0 {
                continue;
            }
            let shown = format!("{}!/{name}", unit.path);
            if name.split(['/', '\\']).any(|c| c == "..") {
                self.files.skip(&shown, ESCAPES);
                continue;
            }
            if facts.encrypted {
                self.files.skip(&shown, "encrypted zip entry; not scanned");
                continue;
            }
            if !spans.claim(facts.start, facts.end) {
                continue;
            }
            if !self.files.admits(&shown, facts.size) {
                continue;
            }
            let method = facts.method;
            let mut f = match z.by_index(i) {
                Ok(f) => f,
                Err(zip::result::ZipError::UnsupportedArchive(why)) => {
                    self.files.skip(
                        &shown,
                        &format!("zip entry compressed with {method} ({why}); not scanned"),
                    );
                    continue;
                }
                Err(e) => {
                    self.problems.push(format!(
                        "{shown}: corrupt zip entry: {}; not scanned",
                        printable(&e.to_string())
                    ));
                    continue;
                }
            };
            if let Err(e) = self.take(facts.size) {
                stopped = Err(e);
                break;
            }
            let data = match member(&mut f, facts.size) {
                Ok(d) => d,
                Err(e) => {
                    let why = match e {
                        Member::Alloc(msg) => msg,
                        Member::Read(e) => {
                            format!("corrupt {method} data: {}", printable(&e.to_string()))
                        }
                    };
                    self.problems.push(format!("{shown}: {why}; not scanned"));
                    continue;
                }
            };
            drop(f);
            self.walk(FileUnit { path: shown, data }, depth + 1);
        }
        if spans.duplicates > 0 {
            self.files.skip(
                &unit.path,
                &format!(
                    "{} zip entries repeat another entry's data (duplicate central directory entries); that data was scanned once",
                    spans.duplicates
                ),
            );
        }
        if spans.overlapping > 0 {
            self.problems.push(format!(
                "{}: {} zip entries overlap the data of other entries (a zip bomb construction); they were not scanned",
                unit.path, spans.overlapping
            ));
        }
        stopped
    }
}

/// What the central directory says about one zip entry.
struct Facts {
    dir: bool,
    size: u64,
    encrypted: bool,
    method: String,
    /// Where its local header starts and its data ends.
    start: u64,
    end: u64,
}

/// The byte ranges of the zip entries read so far: an entry whose range is another's (a duplicate
/// central directory entry) or overlaps one (entries nested inside each other's data, the
/// overlapping-entry zip bomb) is not read.
#[derive(Default)]
struct Spans {
    taken: BTreeMap<u64, u64>,
    duplicates: usize,
    overlapping: usize,
}

impl Spans {
    /// True (and the range recorded) when `start..end` is no other entry's.
    fn claim(&mut self, start: u64, end: u64) -> bool {
        if self.taken.get(&start) == Some(&end) {
            self.duplicates += 1;
            return false;
        }
        let before = self.taken.range(..=start).next_back();
        let after = self.taken.range(start..).next();
        if before.is_some_and(|(_, &e)| e > start) || after.is_some_and(|(&s, _)| s < end) {
            self.overlapping += 1;
            return false;
        }
        self.taken.insert(start, end);
        true
    }
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

#[cfg(test)]
mod tests {
    use super::Spans;

    #[test]
    fn spans_tell_duplicates_and_overlaps() {
        let mut s = Spans::default();
        assert!(s.claim(0, 100));
        assert!(s.claim(100, 150));
        assert!(!s.claim(0, 100), "a duplicate");
        assert!(!s.claim(50, 120), "inside the first");
        assert!(!s.claim(140, 200), "overlaps the second's end");
        assert!(s.claim(150, 160));
        assert_eq!((s.duplicates, s.overlapping), (1, 2));
    }
}
