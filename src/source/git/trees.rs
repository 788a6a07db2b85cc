//! Tree objects as bytes: their entries, and two trees compared (which of their entries differ, in
//! git's order, with whole runs of entries both hold byte for byte passed over without reading names).
//! Shared by [`super::touching`] and the in-process object walk of [`super::list`].

use std::cmp::Ordering;

/// The largest tree read in process; a larger one is left to git.
pub(crate) const MAX_TREE: u64 = 64 << 20;

/// A tree git would read otherwise: malformed, or (for [`diff`]) out of git's order.
#[derive(Debug)]
pub(crate) struct Unclear;

/// One tree entry.
#[derive(Clone, Copy)]
pub(crate) struct Entry<'t> {
    /// Its name.
    pub name: &'t [u8],
    /// Whether it is a tree (compared as if its name ended in `/`).
    pub tree: bool,
    /// Whether git takes it for a gitlink (a submodule's commit), which no walk follows: any mode
    /// that is not a file, a symlink or a tree (git's `canon_mode`).
    pub gitlink: bool,
    /// The object's id.
    pub id: &'t [u8],
    /// The whole entry, `mode SP name NUL id`.
    pub raw: &'t [u8],
}

/// A name (with its kind) whose entry differs between a tree and a parent's: `m` in the tree, `p`
/// in the parent's (None: not there).
pub(crate) struct Change<'t> {
    /// The tree's entry.
    pub m: Option<Entry<'t>>,
    /// The parent's entry.
    pub p: Option<Entry<'t>>,
}

impl<'t> Change<'t> {
    /// The name and kind that changed.
    pub(crate) fn key(&self) -> Entry<'t> {
        self.m.or(self.p).expect("a change has a side")
    }
}

/// A name whose entry differs between a tree (`m`) and each parent's so far (`ps`).
pub(crate) struct Differing<'t> {
    /// The name and kind.
    pub key: Entry<'t>,
    /// The tree's entry there (None: not there).
    pub m: Option<Entry<'t>>,
    /// Each parent's entry there, in order (None: not there).
    pub ps: Vec<Option<Entry<'t>>>,
}

/// The names in `keys` that `changes` has too (both in git's order), with that parent's side added.
pub(crate) fn intersect<'t>(
    keys: Vec<Differing<'t>>,
    changes: &[Change<'t>],
) -> Vec<Differing<'t>> {
    let mut out = Vec::new();
    let mut c = changes.iter().peekable();
    for mut k in keys {
        while c
            .next_if(|x| compare(&x.key(), &k.key) == Ordering::Less)
            .is_some()
        {}
        if let Some(x) = c.next_if(|x| compare(&x.key(), &k.key) == Ordering::Equal) {
            k.ps.push(x.p);
            out.push(k);
        }
    }
    out
}

/// The entries of tree `m` and tree `p` that differ, in git's order. Runs of bytes the two share
/// are passed over whole entries at a time, without reading names: a commit changes few entries of
/// the large trees it touches (git/git's root has about 500).
pub(crate) fn diff<'t>(
    m: &'t [u8],
    p: &'t [u8],
    hash_len: usize,
    out: &mut Vec<Change<'t>>,
) -> Result<(), Unclear> {
    let start = shared_entries(m, p, hash_len)?;
    let tail = shared_tail(m, p, start);
    let (mut i, mut j) = (start, start);
    let (mut last_m, mut last_p): (Option<Entry>, Option<Entry>) = (None, None);
    loop {
        let left = m.len() - i;
        // What is left is the same bytes from an entry's start on both sides: the same entries.
        if left == p.len() - j && left <= tail {
            return Ok(());
        }
        let em = entry_end(m, i, hash_len)?;
        if let Some(a) = em {
            // The same bytes at `j`: the same entry (its NUL, so its end, is where it is in `m`),
            // then every whole entry after it that the bytes both sides share hold. One search
            // per entry, on one side only.
            let n = a - i;
            if p.len() - j >= n && m[i..a] == p[j..j + n] {
                let shared = a + common_prefix(&m[a..], &p[j + n..]);
                let at = whole_entries(m, a, shared, hash_len)?;
                (i, j) = (at, j + (at - i));
                continue;
            }
        }
        let ep = entry_end(p, j, hash_len)?;
        let a = em.map(|e| entry(&m[i..e], hash_len)).transpose()?;
        let b = ep.map(|e| entry(&p[j..e], hash_len)).transpose()?;
        let order = match (&a, &b) {
            (None, None) => return Ok(()),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => compare(x, y),
        };
        // Out of git's order (or a name twice): git's walk would pair them otherwise.
        let ordered = |last: &Option<Entry>, e: &Option<Entry>| match (last, e) {
            (Some(l), Some(e)) => compare(l, e) == Ordering::Less,
            _ => true,
        };
        let change = match order {
            Ordering::Less => Change { m: a, p: None },
            Ordering::Greater => Change { m: None, p: b },
            Ordering::Equal => Change { m: a, p: b },
        };
        if !ordered(&last_m, &change.m) || !ordered(&last_p, &change.p) {
            return Err(Unclear);
        }
        if let Some(e) = change.m {
            last_m = Some(e);
            i = em.expect("m has an entry");
        }
        if let Some(e) = change.p {
            last_p = Some(e);
            j = ep.expect("p has an entry");
        }
        out.push(change);
    }
}

/// The entries of tree `data`, in the order it holds them.
pub(crate) fn entries(data: &[u8], hash_len: usize) -> Result<Vec<Entry<'_>>, Unclear> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(end) = entry_end(data, at, hash_len)? {
        out.push(entry(&data[at..end], hash_len)?);
        at = end;
    }
    Ok(out)
}

/// Where the entry of `data` at `at` ends (`mode SP name NUL id`); None at the end.
fn entry_end(data: &[u8], at: usize, hash_len: usize) -> Result<Option<usize>, Unclear> {
    if at == data.len() {
        return Ok(None);
    }
    let nul = memchr::memchr(0, &data[at..]).ok_or(Unclear)?;
    let end = at + nul + 1 + hash_len;
    if end > data.len() {
        return Err(Unclear);
    }
    Ok(Some(end))
}

/// The entry `raw` holds, whole.
pub(crate) fn entry(raw: &[u8], hash_len: usize) -> Result<Entry<'_>, Unclear> {
    let nul = raw.len() - hash_len - 1;
    let sp = memchr::memchr(b' ', &raw[..nul]).ok_or(Unclear)?;
    if sp == 0 || nul == sp + 1 {
        return Err(Unclear);
    }
    let kind = octal(&raw[..sp]).ok_or(Unclear)? & 0o170000;
    Ok(Entry {
        name: &raw[sp + 1..nul],
        tree: kind == 0o040000,
        gitlink: !matches!(kind, 0o100000 | 0o120000 | 0o040000),
        id: &raw[nul + 1..],
        raw,
    })
}

/// git's order of tree entries: by name, a tree's name compared as if it ended in `/`.
fn compare(a: &Entry, b: &Entry) -> Ordering {
    let n = a.name.len().min(b.name.len());
    match a.name[..n].cmp(&b.name[..n]) {
        Ordering::Equal => {}
        o => return o,
    }
    let end = |e: &Entry| {
        e.name
            .get(n)
            .copied()
            .unwrap_or(if e.tree { b'/' } else { 0 })
    };
    end(a).cmp(&end(b))
}

/// Where the first entry of `a` that `b` does not hold byte for byte starts: the length of the
/// whole entries the two trees start with alike.
fn shared_entries(a: &[u8], b: &[u8], hash_len: usize) -> Result<usize, Unclear> {
    whole_entries(a, 0, common_prefix(a, b), hash_len)
}

/// Where the entries of `data` from `at` stop fitting before `bound`: the end of the last whole
/// entry that ends at or before it.
fn whole_entries(
    data: &[u8],
    mut at: usize,
    bound: usize,
    hash_len: usize,
) -> Result<usize, Unclear> {
    while let Some(end) = entry_end(data, at, hash_len)? {
        if end > bound {
            break;
        }
        at = end;
    }
    Ok(at)
}

/// How many bytes `a` and `b` end with alike, at most as many as either has after `start`.
fn shared_tail(a: &[u8], b: &[u8], start: usize) -> usize {
    let most = a.len().min(b.len()).saturating_sub(start);
    let (a, b) = (&a[a.len() - most..], &b[b.len() - most..]);
    let mut n = 0;
    // 32 bytes at a time first: trees are mostly alike and slices compare as vectors.
    while n + 32 <= most && a[most - n - 32..most - n] == b[most - n - 32..most - n] {
        n += 32;
    }
    n + a[..most - n]
        .iter()
        .rev()
        .zip(b[..most - n].iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// How many bytes `a` and `b` start with alike.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let most = a.len().min(b.len());
    let mut n = 0;
    while n + 32 <= most && a[n..n + 32] == b[n..n + 32] {
        n += 32;
    }
    n + a[n..most]
        .iter()
        .zip(&b[n..most])
        .take_while(|(x, y)| x == y)
        .count()
}

fn octal(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 7 {
        return None;
    }
    s.iter().try_fold(0u32, |v, &c| {
        (b'0'..=b'7')
            .contains(&c)
            .then(|| v * 8 + u32::from(c - b'0'))
    })
}
