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
        self.position(id, lo, hi.min(self.count))
            .and_then(|i| self.offset(i))
    }

    /// The first 8 bytes of the `i`-th id, as a number that orders as the ids do.
    fn key(&self, i: usize) -> u64 {
        let at = HEADER + FANOUT + i * self.hash_len;
        u64::from_be_bytes(self.map[at..at + 8].try_into().expect("8 bytes"))
    }

    /// Where `id` is among the sorted ids `lo..hi`, all of which start with `id`'s first byte.
    /// Ids are hashes, spread evenly, so the place is guessed from the value of the id's first 8
    /// bytes between the values known to bound the range (interpolation), the bounds narrowing to
    /// the keys probed: on git/git's index (850k ids, about 3,300 per first byte) a bisection took
    /// 12 probes, each a cache miss and a `memcmp` call, which made 5% of a history scan's CPU. A
    /// guess that does not halve the range is followed by a bisection step, so ids that are not
    /// spread evenly (crafted ones) cost at most twice the probes of a bisection.
    fn position(&self, id: &[u8], mut lo: usize, mut hi: usize) -> Option<usize> {
        let want = u64::from_be_bytes(id[..8].try_into().expect("8 bytes"));
        // Every key in lo..hi is within lo_key..=hi_key.
        let mut lo_key = u64::from(id[0]) << 56;
        let mut hi_key = lo_key | ((1 << 56) - 1);
        let mut guess = true;
        while lo < hi {
            let mid = if guess && hi - lo > 8 && lo_key <= want && want <= hi_key {
                let span = (hi_key - lo_key) as u128 + 1;
                lo + ((want - lo_key) as u128 * (hi - lo) as u128 / span) as usize
            } else {
                lo + (hi - lo) / 2
            };
            let before = hi - lo;
            let k = self.key(mid);
            let order = k.cmp(&want).then_with(|| self.id(mid)[8..].cmp(&id[8..]));
            match order {
                std::cmp::Ordering::Less => (lo, lo_key) = (mid + 1, k),
                std::cmp::Ordering::Greater => (hi, hi_key) = (mid, k),
                std::cmp::Ordering::Equal => return Some(mid),
            }
            // Guess again only after a step that at least halved the range.
            guess = hi - lo <= before / 2;
        }
        None
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index of `ids` (sorted here), each at offset 12 + its place.
    fn index(mut ids: Vec<[u8; 20]>) -> (Idx, Vec<[u8; 20]>) {
        ids.sort();
        ids.dedup();
        let mut b = MAGIC.to_vec();
        b.extend(2u32.to_be_bytes());
        for first in 0..256usize {
            let n = ids.iter().filter(|id| (id[0] as usize) <= first).count() as u32;
            b.extend(n.to_be_bytes());
        }
        ids.iter().for_each(|id| b.extend(id));
        ids.iter().for_each(|_| b.extend([0u8; 4]));
        (0..ids.len()).for_each(|i| b.extend((12 + i as u32).to_be_bytes()));
        b.extend([0u8; 40]);
        let mut map = memmap2::MmapMut::map_anon(b.len()).unwrap();
        map.copy_from_slice(&b);
        (Idx::new(map.make_read_only().unwrap(), 20).unwrap(), ids)
    }

    /// Every id is found at its offset, and ids next to them are not found.
    fn finds_exactly(ids: Vec<[u8; 20]>) {
        let (idx, ids) = index(ids);
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(idx.find(id), Some(12 + i as u64), "{id:?}");
            let mut near = *id;
            near[19] ^= 1;
            if !ids.contains(&near) {
                assert_eq!(idx.find(&near), None);
            }
            let mut near = *id;
            near[7] = near[7].wrapping_add(1);
            if !ids.contains(&near) {
                assert_eq!(idx.find(&near), None);
            }
        }
        assert_eq!(idx.find(&[0u8; 19]), None);
    }

    fn random_ids(n: usize, seed: u64) -> Vec<[u8; 20]> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                std::array::from_fn(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
            })
            .collect()
    }

    #[test]
    fn evenly_spread_ids_are_found_where_they_are() {
        finds_exactly(random_ids(20_000, 0x9e37_79b9_7f4a_7c15));
    }

    #[test]
    fn ids_bunched_together_are_found_too() {
        // Crafted ids: long runs that share their first 8 bytes (only the tail differs), a few far
        // apart, and the extremes of a first byte.
        let mut ids = random_ids(500, 7);
        for (i, id) in random_ids(3_000, 11).into_iter().enumerate() {
            let mut bunched = [0x42u8; 20];
            bunched[8..].copy_from_slice(&id[8..]);
            bunched[7] = (i % 3) as u8;
            ids.push(bunched);
        }
        ids.push([0x42; 20]);
        ids.push([0xff; 20]);
        ids.push([0x00; 20]);
        let mut top = [0x42u8; 20];
        top[1..].fill(0xff);
        ids.push(top);
        finds_exactly(ids);
    }
}
