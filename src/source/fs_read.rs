//! Opening and reading one file of a walk: without blocking on a FIFO put in a regular file's
//! place, into a buffer its size needs, with the first 8 KiB deciding binary content.

use std::io::Read;
use std::path::Path;

/// Files up to this size are read in one call, binary or not; a larger one has its first 8 KiB
/// read first, so a large binary costs one block, not its size.
const WHOLE_READ: u64 = 1 << 20;

/// The first bytes that decide binary content, as git and ripgrep do.
const HEAD: usize = 8192;

/// What a read found.
pub(super) enum Got {
    /// Text (or UTF-16 text): its bytes are the first `n` of the buffer.
    Text(usize),
    Binary,
}

/// Whether the first bytes `head` (all of a file shorter than [`HEAD`]: then the scan decides)
/// make a file binary.
fn binary(head: &[u8]) -> bool {
    head.len() == HEAD && super::is_binary(head) && super::text::wide_to_utf8(head).is_none()
}

/// Reads a regular file of `size` bytes (as it was when opened) into `buf`: the buffer is kept at
/// the largest size read so far, so it is not cleared or zeroed again for each file.
pub(super) fn read_sized(
    file: &mut std::fs::File,
    buf: &mut Vec<u8>,
    size: u64,
) -> Result<Got, String> {
    let size = usize::try_from(size).map_err(|_| format!("cannot read {size} bytes"))?;
    if buf.len() < size {
        // A failed allocation fails this file, not the process.
        buf.try_reserve(size - buf.len())
            .map_err(|_| format!("cannot allocate {size} bytes to read it"))?;
        buf.resize(size, 0);
    }
    let first = if size as u64 <= WHOLE_READ {
        size
    } else {
        HEAD
    };
    let got = fill(file, &mut buf[..first])?;
    if binary(&buf[..got.min(HEAD)]) {
        return Ok(Got::Binary);
    }
    if got < first {
        return Ok(Got::Text(got));
    }
    Ok(Got::Text(first + fill(file, &mut buf[first..size])?))
}

/// Reads into `into` until it is full or the file ends; how much was read.
fn fill(file: &mut std::fs::File, into: &mut [u8]) -> Result<usize, String> {
    let mut got = 0;
    while got < into.len() {
        match file.read(&mut into[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("cannot read: {e}")),
        }
    }
    Ok(got)
}

/// Reads a stream (or a file whose size says nothing) to its end, at most `limit` bytes.
pub(super) fn read_stream(
    file: &mut std::fs::File,
    buf: &mut Vec<u8>,
    limit: u64,
) -> Result<Got, String> {
    buf.clear();
    file.take(HEAD as u64)
        .read_to_end(buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    if binary(buf) {
        return Ok(Got::Binary);
    }
    (&mut *file)
        .take(limit - buf.len() as u64)
        .read_to_end(buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    Ok(Got::Text(buf.len()))
}

/// Opens a file for reading; a regular file without blocking on open (a FIFO put in its place would
/// otherwise hang the open itself).
pub(super) fn open(path: &Path, stream: bool) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    if !stream {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK);
    }
    o.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(content: &[u8], buf: &mut Vec<u8>) -> Option<Vec<u8>> {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, content).unwrap();
        let mut f = std::fs::File::open(&p).unwrap();
        match read_sized(&mut f, buf, content.len() as u64).unwrap() {
            Got::Text(n) => Some(buf[..n].to_vec()),
            Got::Binary => None,
        }
    }

    #[test]
    fn a_sized_read_gives_the_file_whole_and_calls_binary_what_starts_binary() {
        // One buffer for all, as a walker thread keeps it: larger files first, then smaller.
        let mut buf = Vec::new();
        let text: Vec<u8> = (0..3 << 20).map(|i| b"abc\n"[i % 4]).collect();
        assert_eq!(read(&text, &mut buf).as_deref(), Some(&text[..]));
        let mut late_nul = text[..(2 << 20)].to_vec();
        late_nul[HEAD + 5] = 0;
        assert_eq!(read(&late_nul, &mut buf).as_deref(), Some(&late_nul[..]));
        let mut bin = text[..(2 << 20)].to_vec();
        bin[10] = 0;
        assert_eq!(read(&bin, &mut buf), None);
        assert_eq!(read(&bin[..HEAD * 2], &mut buf), None);
        assert_eq!(read(b"short", &mut buf).as_deref(), Some(&b"short"[..]));
        // Shorter than the head: the scan decides, not the read.
        assert_eq!(read(b"a\0b", &mut buf).as_deref(), Some(&b"a\0b"[..]));
    }

    #[test]
    fn a_file_shorter_than_when_opened_gives_what_it_has() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, b"0123456789").unwrap();
        let mut f = std::fs::File::open(&p).unwrap();
        let mut buf = Vec::new();
        assert!(matches!(
            read_sized(&mut f, &mut buf, 4096),
            Ok(Got::Text(10))
        ));
        assert_eq!(&buf[..10], b"0123456789");
    }
}
