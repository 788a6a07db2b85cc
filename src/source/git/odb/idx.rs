//! A pack's index (`pack-*.idx`, version 2): object id → offset in the pack. Layout (git's
//! `Documentation/gitformat-pack.txt`): a 4-byte magic `\377tOc`, version 2, a 256-entry fan-out
//! table of cumulative counts by first byte, the sorted object ids, a CRC32 per object, a 4-byte
//! offset per object (high bit set: an index into a table of 8-byte offsets that follows), then
//! the pack's and the index's checksums. Version 1 indexes (git before 1.5.2) are not read: their
//! objects are left to git.

use memmap2::Mmap;

const MAGIC: [u8; 4] = [0xff, b't', b'O', b'c'];
const HEADER: usize = 8;
const FANOUT: usize = 256 * 4;

/// A mapped, checked pack index.
pub(super) struct Idx {
    map: Mmap,
    hash_len: usize,
    count: usize,
}

impl Idx {
    /// Checks the layout of a mapped index of ids of `hash_len` bytes; why not, if it is not one.
    pub(super) fn new(map: Mmap, hash_len: usize) -> Result<Idx, String> {
        if map.len() < HEADER + FANOUT || map[..4] != MAGIC {
            return Err("not a version 2 pack index".into());
        }
        let version = u32::from_be_bytes(map[4..8].try_into().expect("4 bytes"));
        if version != 2 {
            return Err(format!("pack index version {version} is not read"));
        }
        let count = be32(&map, HEADER + 255 * 4) as usize;
        // Ids, CRCs and 4-byte offsets, then the two checksums; the 8-byte table sits in between.
        let fixed = HEADER + FANOUT + count * (hash_len + 8) + 2 * hash_len;
        if map.len() < fixed || (map.len() - fixed) % 8 != 0 {
            return Err(format!(
                "pack index of {count} objects has {} bytes",
                map.len()
            ));
        }
        // The fan-out must never decrease, or the lookup's ranges would be wrong.
        let mut last = 0;
        for i in 0..256 {
            let n = be32(&map, HEADER + i * 4);
            if n < last {
                return Err("pack index fan-out table is not sorted".into());
            }
            last = n;
        }
        Ok(Idx {
            map,
            hash_len,
            count,
        })
    }

    /// The number of objects.
    pub(super) fn len(&self) -> usize {
        self.count
    }

    /// The `i`-th object id, in sorted order.
    pub(super) fn id(&self, i: usize) -> &[u8] {
        let at = HEADER + FANOUT + i * self.hash_len;
        &self.map[at..at + self.hash_len]
    }

    /// The offset of `i`-th object in the pack; None when the index points outside its own table.
    pub(super) fn offset(&self, i: usize) -> Option<u64> {
        let at = HEADER + FANOUT + self.count * (self.hash_len + 4) + i * 4;
        let small = be32(&self.map, at);
        if small & 0x8000_0000 == 0 {
            return Some(small as u64);
        }
        let large = (small & 0x7fff_ffff) as usize;
        let at = HEADER + FANOUT + self.count * (self.hash_len + 8) + large * 8;
        let end = self.map.len() - 2 * self.hash_len;
        (at + 8 <= end).then(|| u64::from_be_bytes(self.map[at..at + 8].try_into().expect("8")))
    }

    /// The pack offset of `id`, if the pack has it.
    pub(super) fn find(&self, id: &[u8]) -> Option<u64> {
        if id.len() != self.hash_len {
            return None;
        }
        let first = id[0] as usize;
        let lo = if first == 0 {
            0
        } else {
            be32(&self.map, HEADER + (first - 1) * 4) as usize
        };
        let hi = be32(&self.map, HEADER + first * 4) as usize;
        let (mut lo, mut hi) = (lo, hi.min(self.count));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.id(mid).cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return self.offset(mid),
            }
        }
        None
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
