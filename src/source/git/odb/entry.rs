//! One entry of a pack file and git's delta format (`Documentation/gitformat-pack.txt`): an entry
//! starts with its type and inflated size (a little-endian base-128 number whose first byte also
//! holds the type), then, for a delta, where its base is (a distance back in the same pack, or the
//! base's object id), then the zlib stream. A delta's data is the base's size, the result's size and
//! a list of instructions: copy a range of the base, or insert the next bytes.

use crate::engine::derive::Piece;

/// What an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Commit,
    Tree,
    Blob,
    Tag,
}

impl Kind {
    /// git's name for it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Commit => "commit",
            Kind::Tree => "tree",
            Kind::Blob => "blob",
            Kind::Tag => "tag",
        }
    }

    /// The kind a loose object's header names.
    pub(super) fn from_name(name: &[u8]) -> Option<Kind> {
        Some(match name {
            b"commit" => Kind::Commit,
            b"tree" => Kind::Tree,
            b"blob" => Kind::Blob,
            b"tag" => Kind::Tag,
            _ => return None,
        })
    }
}

/// Where a delta's base is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Base {
    /// At this offset in the same pack.
    Offset(u64),
    /// The object with this id, wherever it is.
    Id(Vec<u8>),
}

/// A parsed entry header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Entry {
    /// A whole object of `size` bytes.
    Whole(Kind, u64),
    /// A delta of `size` bytes (the delta's own data, not its result) on a base.
    Delta(Base, u64),
}

/// A parsed entry: what it is and where its zlib stream starts.
pub(super) struct Header {
    pub entry: Entry,
    pub data_at: usize,
}

/// Parses the entry at `at` of `pack` (ids of `hash_len` bytes).
pub(super) fn header(pack: &[u8], at: usize, hash_len: usize) -> Result<Header, String> {
    let bad = || format!("corrupt pack entry at offset {at}");
    let mut i = at;
    let mut next = || -> Result<u8, String> {
        let b = *pack.get(i).ok_or_else(bad)?;
        i += 1;
        Ok(b)
    };
    let first = next()?;
    let kind = (first >> 4) & 7;
    let mut size = (first & 0x0f) as u64;
    let mut shift = 4;
    let mut b = first;
    while b & 0x80 != 0 {
        b = next()?;
        if shift > 57 {
            return Err(bad());
        }
        size |= ((b & 0x7f) as u64) << shift;
        shift += 7;
    }
    let entry = match kind {
        1 => Entry::Whole(Kind::Commit, size),
        2 => Entry::Whole(Kind::Tree, size),
        3 => Entry::Whole(Kind::Blob, size),
        4 => Entry::Whole(Kind::Tag, size),
        6 => {
            // A big-endian base-128 distance where each continuation adds one (so that every
            // distance has one encoding).
            let mut b = next()?;
            let mut dist = (b & 0x7f) as u64;
            while b & 0x80 != 0 {
                b = next()?;
                if dist > (u64::MAX >> 8) {
                    return Err(bad());
                }
                dist = ((dist + 1) << 7) | (b & 0x7f) as u64;
            }
            if dist == 0 || dist > at as u64 {
                return Err(bad());
            }
            Entry::Delta(Base::Offset(at as u64 - dist), size)
        }
        7 => {
            let id = pack.get(i..i + hash_len).ok_or_else(bad)?.to_vec();
            i += hash_len;
            Entry::Delta(Base::Id(id), size)
        }
        _ => return Err(bad()),
    };
    Ok(Header { entry, data_at: i })
}

/// A delta's two leading sizes: the base's and the result's, and where the instructions start.
pub(super) fn sizes(delta: &[u8]) -> Option<(u64, u64, usize)> {
    let mut i = 0;
    let mut varint = || -> Option<u64> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = *delta.get(i)?;
            i += 1;
            if shift > 63 {
                return None;
            }
            v |= ((b & 0x7f) as u64) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
    };
    let base = varint()?;
    let result = varint()?;
    Some((base, result, i))
}

/// Applies `delta` to `base` into `out` (cleared first), and lists in `pieces` (cleared first)
/// where each part of the result came from; None when the delta does not fit the base.
pub(super) fn apply(
    base: &[u8],
    delta: &[u8],
    out: &mut Vec<u8>,
    pieces: &mut Vec<Piece>,
) -> Option<()> {
    let (base_size, size, mut i) = sizes(delta)?;
    if base_size != base.len() as u64 || size > super::MAX_OBJECT {
        return None;
    }
    out.clear();
    pieces.clear();
    out.reserve_exact(usize::try_from(size).ok()?);
    while i < delta.len() {
        let cmd = delta[i];
        i += 1;
        if cmd & 0x80 != 0 {
            // Copy: which offset and size bytes follow is in the command's low seven bits.
            let mut off = 0usize;
            let mut len = 0usize;
            for bit in 0..4 {
                if cmd & (1 << bit) != 0 {
                    off |= (*delta.get(i)? as usize) << (8 * bit);
                    i += 1;
                }
            }
            for bit in 0..3 {
                if cmd & (0x10 << bit) != 0 {
                    len |= (*delta.get(i)? as usize) << (8 * bit);
                    i += 1;
                }
            }
            if len == 0 {
                len = 0x10000;
            }
            pieces.push(Piece {
                at: out.len(),
                len,
                from: Some(off),
            });
            out.extend_from_slice(base.get(off..off.checked_add(len)?)?);
        } else if cmd != 0 {
            let n = cmd as usize;
            pieces.push(Piece {
                at: out.len(),
                len: n,
                from: None,
            });
            out.extend_from_slice(delta.get(i..i + n)?);
            i += n;
        } else {
            // Reserved.
            return None;
        }
        if out.len() as u64 > size {
            return None;
        }
    }
    (out.len() as u64 == size).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    #[test]
    fn a_delta_copies_and_inserts() {
        let base = b"the quick brown fox jumps over the lazy dog";
        let want = b"the quick red fox jumps over the lazy dog!";
        let mut d = Vec::new();
        varint(base.len() as u64, &mut d);
        varint(want.len() as u64, &mut d);
        // copy "the quick " (offset 0, 10 bytes)
        d.extend_from_slice(&[0x80 | 0x10, 10]);
        // insert "red"
        d.push(3);
        d.extend_from_slice(b"red");
        // copy " fox jumps over the lazy dog" (offset 15, 28 bytes)
        d.extend_from_slice(&[0x80 | 0x01 | 0x10, 15, 28]);
        d.push(1);
        d.push(b'!');
        let (mut out, mut pieces) = (Vec::new(), Vec::new());
        apply(base, &d, &mut out, &mut pieces).unwrap();
        assert_eq!(out, want);
        let at = |at, len, from| Piece { at, len, from };
        assert_eq!(
            pieces,
            [
                at(0, 10, Some(0)),
                at(10, 3, None),
                at(13, 28, Some(15)),
                at(41, 1, None)
            ]
        );
        // The same delta on a base of another size, or cut short, is refused.
        assert!(apply(&base[1..], &d, &mut out, &mut pieces).is_none());
        assert!(apply(base, &d[..d.len() - 1], &mut out, &mut pieces).is_none());
        // A result larger than the in-process limit is refused before anything is allocated.
        let mut huge = Vec::new();
        varint(base.len() as u64, &mut huge);
        varint(1 << 40, &mut huge);
        huge.extend_from_slice(&[0x80 | 0x10, 10]);
        assert!(apply(base, &huge, &mut out, &mut pieces).is_none());
        // A copy past the base's end is refused, never read out of bounds.
        let mut bad = Vec::new();
        varint(base.len() as u64, &mut bad);
        varint(10, &mut bad);
        bad.extend_from_slice(&[0x80 | 0x01 | 0x10, 40, 10]);
        assert!(apply(base, &bad, &mut out, &mut pieces).is_none());
    }

    #[test]
    fn entry_headers_give_kind_size_and_base() {
        // A blob of 300 bytes: type 3, size 300 = 0b1_0010_1100 → low nibble 0xc, then 0b10010.
        let pack = [0x80 | (3 << 4) | 0x0c, 0x12, 0x78];
        let h = header(&pack, 0, 20).unwrap();
        assert_eq!(h.entry, Entry::Whole(Kind::Blob, 300));
        assert_eq!(h.data_at, 2);
        // An offset delta 130 bytes back: 130 = (0 + 1) << 7 | 2 → bytes 0x80, 0x02.
        let mut pack = vec![0u8; 200];
        pack[150..154].copy_from_slice(&[(6 << 4) | 5, 0x80, 0x02, 0x78]);
        let h = header(&pack, 150, 20).unwrap();
        assert_eq!(h.entry, Entry::Delta(Base::Offset(20), 5));
        // A distance reaching before the pack's start is corrupt.
        pack[150..154].copy_from_slice(&[(6 << 4) | 5, 0x81, 0x7f, 0x78]);
        assert!(header(&pack, 150, 20).is_err());
        // Type 5 is reserved.
        assert!(header(&[5 << 4], 0, 20).is_err());
    }
}
