//! Loose objects: `objects/xx/yyyy…`, one zlib stream of `<type> <size>\0<content>`.

use std::path::Path;

use flate2::{Decompress, FlushDecompress, Status};

use super::entry::Kind;

/// A loose object's file, read: its kind and size, and its content unless it is over `max_size`.
pub(super) struct Loose {
    pub kind: Kind,
    pub size: u64,
    pub data: Option<Vec<u8>>,
}

/// Reads the loose object at `path`; Err when the file cannot be read or is not a loose object.
pub(super) fn read(path: &Path, max_size: u64, z: &mut Decompress) -> Result<Loose, String> {
    let raw = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let corrupt = || format!("{}: corrupt loose object", path.display());
    z.reset(true);
    // The header is at most a type name, a 20-digit size and a NUL.
    let mut head = [0u8; 64];
    z.decompress(&raw, &mut head, FlushDecompress::None)
        .map_err(|_| corrupt())?;
    let got = z.total_out() as usize;
    let nul = head[..got]
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(corrupt)?;
    let (name, size) = head[..nul]
        .iter()
        .position(|&b| b == b' ')
        .map(|sp| (&head[..sp], &head[sp + 1..nul]))
        .ok_or_else(corrupt)?;
    let kind = Kind::from_name(name).ok_or_else(corrupt)?;
    let size: u64 = std::str::from_utf8(size)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(corrupt)?;
    if size > super::MAX_OBJECT && size <= max_size {
        return Err(format!(
            "{}: over the in-process size limit",
            path.display()
        ));
    }
    if size > max_size {
        return Ok(Loose {
            kind,
            size,
            data: None,
        });
    }
    let mut data = Vec::with_capacity(usize::try_from(size).map_err(|_| corrupt())? + 1);
    data.extend_from_slice(&head[nul + 1..got]);
    let consumed = z.total_in() as usize;
    let status = z
        .decompress_vec(&raw[consumed..], &mut data, FlushDecompress::Finish)
        .map_err(|_| corrupt())?;
    if status != Status::StreamEnd || data.len() as u64 != size {
        return Err(corrupt());
    }
    Ok(Loose {
        kind,
        size,
        data: Some(data),
    })
}
