//! The directories a walker thread is reading files from: each kept open, so a file is opened by its
//! name relative to its directory (`openat`) and the kernel does not walk the whole path again for
//! every file, and each with the names reports give it worked out once, not per file.
//!
//! Measured on linux-6.1 (78,576 files in 5,101 directories, 2 threads): path lookups in `open`
//! and turning every absolute path into a repository-relative one (`std::path::absolute`, a strip
//! and a collect) took about 7% of the scan's CPU.

use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};

/// A directory files are read from, as reports name it.
pub(super) struct Dir {
    path: PathBuf,
    /// Held open for `openat`; `None` where it could not be opened (files are then opened by path).
    #[cfg(unix)]
    fd: Option<std::os::fd::OwnedFd>,
    /// What precedes a file's name in its shown name (empty, or ending in `/`).
    shown: String,
    /// What precedes a file's name in its name relative to the root (empty, or ending in `/`).
    rel: String,
    /// Whether the prefixes were found (else each file is named by its whole path).
    named: bool,
}

/// A file's names: as shown (the path as typed) and relative to the root.
pub(super) struct Names {
    /// As reports show it: as typed, without a leading `./`, `/`-separated.
    pub shown: String,
    /// Relative to the repository root (or the one directory scanned); as shown when outside.
    pub rel: String,
}

/// `path` split after its last separator: the directory as the walk wrote it (`Path::parent` would
/// drop a trailing `.` the path holds, and the names must keep it) and the file name.
fn split(path: &Path) -> Option<(&Path, &OsStr)> {
    let name = path.file_name()?;
    let bytes = path.as_os_str().as_encoded_bytes();
    let dir = bytes.strip_suffix(name.as_encoded_bytes())?;
    if !dir.ends_with(b"/") {
        return None;
    }
    // SAFETY: `dir` is `path`'s encoded bytes cut after an ASCII `/`, a valid split point.
    let dir = unsafe { OsStr::from_encoded_bytes_unchecked(dir) };
    Some((Path::new(dir), name))
}

/// The directories a thread read from last: the walk visits a directory's files interleaved with
/// its subdirectories' (depth first, from a stack), so a few per level of nesting are enough.
pub(super) struct Dirs {
    /// Most recently used last.
    recent: Vec<Dir>,
    /// How many are kept.
    keep: usize,
}

/// The name a directory's prefixes are read from: a file of that name gets the directory's names plus
/// its own.
const PROBE: &str = "x";

/// Directories kept per thread at most, each with one open descriptor: on linux-6.1, 2 threads
/// opened directories 4,856 times (5,101 directories, some with no files); 64 threads, keeping 4
/// each, about 9,800 times.
const KEEP: usize = 16;
/// Directories kept by all threads together: a walk with many threads must leave the descriptors
/// its files need (a common soft limit is 1,024).
const KEEP_ALL: usize = 256;

impl Dirs {
    /// The directories of one of `threads` walker threads.
    pub(super) fn new(threads: usize) -> Dirs {
        Dirs {
            recent: Vec::new(),
            keep: (KEEP_ALL / threads.max(1)).clamp(2, KEEP),
        }
    }

    /// The file at `path` (as the walk wrote it, inside a walked directory): its names and its
    /// directory, held open, to open it by `name`; None where it must be named and opened by its
    /// whole path.
    pub(super) fn file<'p>(
        &mut self,
        path: &'p Path,
        names: impl FnOnce(&Path) -> Names,
    ) -> Option<(Names, &Dir, &'p OsStr)> {
        let (parent, name) = split(path)?;
        let dir = self.get(parent, names);
        Some((dir.names(name)?, dir, name))
    }

    /// The directory `path`, opened and named on first use; `names` names a file by its whole path,
    /// as the walk does without this cache (the prefixes are taken from a probe file's names, so
    /// every rule of that naming, `./` and all, holds for the files here too).
    fn get(&mut self, path: &Path, names: impl FnOnce(&Path) -> Names) -> &Dir {
        debug_assert!(path.as_os_str().as_encoded_bytes().ends_with(b"/"));
        if let Some(i) = self.recent.iter().rposition(|d| d.path == path) {
            let d = self.recent.remove(i);
            self.recent.push(d);
        } else {
            if self.recent.len() >= self.keep {
                self.recent.remove(0);
            }
            let mut probe = path.as_os_str().to_owned();
            probe.push(PROBE);
            let Names { mut shown, mut rel } = names(Path::new(&probe));
            let probe = |s: &mut String| {
                let kept = s.strip_suffix(PROBE).is_some();
                s.truncate(s.len() - PROBE.len() * usize::from(kept));
                kept
            };
            let named = probe(&mut shown) & probe(&mut rel);
            self.recent.push(Dir {
                path: path.to_path_buf(),
                #[cfg(unix)]
                fd: open_dir(path),
                shown,
                rel,
                named,
            });
        }
        self.recent.last().expect("just pushed")
    }
}

impl Dir {
    /// The names of the file `name` in this directory; `None` where the file must be named by its
    /// whole path.
    pub(super) fn names(&self, name: &OsStr) -> Option<Names> {
        if !self.named {
            return None;
        }
        let name = name.to_string_lossy();
        let join = |dir: &str| {
            let mut s = String::with_capacity(dir.len() + name.len());
            s.push_str(dir);
            // As `display` writes a whole path: `/`-separated.
            s.extend(name.chars().map(|c| if c == '\\' { '/' } else { c }));
            s
        };
        Some(Names {
            shown: join(&self.shown),
            rel: join(&self.rel),
        })
    }

    /// Opens the file `name` in this directory for reading, without blocking on a FIFO put in its
    /// place; by its whole path where the directory is not held open.
    pub(super) fn open(&self, name: &OsStr) -> std::io::Result<File> {
        #[cfg(unix)]
        if let Some(fd) = &self.fd {
            use std::os::fd::{AsRawFd, FromRawFd};
            use std::os::unix::ffi::OsStrExt;
            let c = std::ffi::CString::new(name.as_bytes())
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
            // SAFETY: `fd` is an open directory for as long as `self`; `c` is NUL-terminated.
            let raw = unsafe {
                libc::openat(
                    fd.as_raw_fd(),
                    c.as_ptr(),
                    libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC,
                )
            };
            if raw < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // SAFETY: `raw` was just opened and is owned by nothing else.
            return Ok(unsafe { File::from_raw_fd(raw) });
        }
        super::fs_read::open(&self.path.join(name), false)
    }
}

/// The directory held for lookups only (`O_PATH`: no read permission needed, as for a path open).
#[cfg(unix)]
fn open_dir(path: &Path) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    #[cfg(target_os = "linux")]
    let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
    #[cfg(not(target_os = "linux"))]
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;
    // SAFETY: `c` is NUL-terminated.
    let raw = unsafe { libc::open(c.as_ptr(), flags) };
    // SAFETY: `raw` was just opened and is owned by nothing else.
    (raw >= 0).then(|| unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::fs::Walk;

    /// Every file of `typed`'s walk, named through its directory as named by its whole path.
    fn names_agree(typed: &Path) -> usize {
        let walk = Walk::new(vec![typed.to_path_buf()], true, false, 1).unwrap();
        let mut dirs = Dirs::new(1);
        let mut files = 0;
        for entry in ignore::WalkBuilder::new(typed).hidden(false).build() {
            let entry = entry.unwrap();
            if entry.depth() == 0 || !entry.file_type().unwrap().is_file() {
                continue;
            }
            let path = entry.path();
            let (fast, dir, name) = dirs.file(path, |p| walk.names(p)).expect("named");
            let slow = walk.names(path);
            assert_eq!(
                (&fast.shown, &fast.rel),
                (&slow.shown, &slow.rel),
                "{path:?}"
            );
            let mut read = String::new();
            std::io::Read::read_to_string(&mut dir.open(name).unwrap(), &mut read).unwrap();
            assert_eq!(read, std::fs::read_to_string(path).unwrap(), "{path:?}");
            files += 1;
        }
        files
    }

    #[test]
    fn a_file_is_named_and_opened_through_its_directory_as_by_its_whole_path() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        for f in [
            "top.txt",
            "a/b/deep.txt",
            "a/back\\slash.txt",
            "a/.hidden",
            "c/x",
        ] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, f).unwrap();
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            std::fs::write(root.join("a").join(OsStr::from_bytes(b"\xff.txt")), "x").unwrap();
        }
        // The root as typed: plain, with `.` components inside and at the end.
        assert_eq!(names_agree(root), if cfg!(unix) { 6 } else { 5 });
        assert!(names_agree(&root.join(".").join("a").join(".")) >= 3);
        assert_eq!(names_agree(&root.join("a").join("b")), 1);
    }

    #[test]
    fn more_directories_than_are_kept_are_opened_again() {
        let d = tempfile::tempdir().unwrap();
        let mut dirs = Dirs::new(2);
        let name = |p: &Path| Names {
            shown: p.display().to_string(),
            rel: p.display().to_string(),
        };
        for i in 0..KEEP + 2 {
            let sub = d.path().join(format!("{i}/"));
            std::fs::create_dir(&sub).unwrap();
            std::fs::write(sub.join("f"), i.to_string()).unwrap();
        }
        for round in 0..2 {
            for i in 0..KEEP + 2 {
                let dir = dirs.get(&d.path().join(format!("{i}/")), name);
                let mut s = String::new();
                std::io::Read::read_to_string(&mut dir.open(OsStr::new("f")).unwrap(), &mut s)
                    .unwrap();
                assert_eq!(s, i.to_string(), "round {round}");
            }
            assert_eq!(dirs.recent.len(), KEEP);
        }
        // Many threads keep fewer each.
        assert_eq!(Dirs::new(64).keep, 4);
        assert_eq!(Dirs::new(1000).keep, 2);
    }
}
