//! The hash type: field → value, both byte strings, in one of Redis's two encodings.
//!
//! - `listpack`: every pair in one buffer, `varint len | field | varint len | value`, in
//!   insertion order, looked up by a linear scan. Small hashes (the common case: a job's
//!   state, a record) cost little more than their bytes: one allocation for the whole hash.
//!   Changed in place, so the order is Redis's listpack order (an update keeps its place,
//!   a delete closes the gap, a new field goes at the end): HGETALL answers in the same
//!   order as Redis for these.
//! - `hashtable`: a hash table, for hashes past `hash-max-listpack-entries` fields or with a
//!   field or value longer than `hash-max-listpack-value` bytes. Indexed by position too
//!   (`IndexMap`), so that HRANDFIELD picks a field in O(1), as Redis's
//!   `dictGetFairRandomKey`.
//!
//! As in Redis (`hashTypeConvert`), a hash converts one way: once a table, it stays one.
//! Knows nothing of keys, RESP or Python; the rules that involve keys are in `hashes.rs`.

use super::memory::malloc_size;

/// The thresholds of the compact encoding: Redis's `hash-max-listpack-entries` and
/// `hash-max-listpack-value` (aliases `hash-max-ziplist-*`), defaults 512 and 64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashConfig {
    /// Most fields a listpack hash holds.
    pub max_entries: usize,
    /// Longest field or value (bytes) a listpack hash holds.
    pub max_value: usize,
}

impl Default for HashConfig {
    fn default() -> Self {
        HashConfig { max_entries: 512, max_value: 64 }
    }
}

/// The table encoding: the map and the heap bytes of its fields and values (so that the
/// cost is O(1) to read).
#[derive(Debug, Clone, Default)]
struct Table {
    map: indexmap::IndexMap<Box<[u8]>, Box<[u8]>, ahash::RandomState>,
    /// Sum of `malloc_size` of every field and value.
    heap: usize,
}

/// Bytes of one table entry beyond its field and value buffers: the entry (hash, two
/// boxed slices) and its index slot (a usize and a control byte).
const TABLE_ENTRY_BYTES: usize = 8 + 16 + 16 + 9;

#[derive(Debug, Clone)]
enum Enc {
    /// `pairs` pairs in `buf` (see the module doc).
    Pack { buf: Vec<u8>, pairs: usize },
    /// Boxed: keeps `Hash`, and so `Value`, small.
    Table(Box<Table>),
}

/// A hash. Never empty while in the keyspace (the caller deletes an emptied one).
#[derive(Debug, Clone)]
pub struct Hash {
    enc: Enc,
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

// ---- the listpack buffer ----------------------------------------------------------------

/// Appends `len` as unsigned LEB128.
fn put_varint(buf: &mut Vec<u8>, mut len: usize) {
    while len >= 0x80 {
        buf.push((len as u8) | 0x80);
        len >>= 7;
    }
    buf.push(len as u8);
}

/// Bytes `put_varint` writes for `len`.
fn varint_size(mut len: usize) -> usize {
    let mut n = 1;
    while len >= 0x80 {
        len >>= 7;
        n += 1;
    }
    n
}

/// Reads a varint-prefixed string at `pos`: (its bytes' range, the position after it).
fn read_str(buf: &[u8], mut pos: usize) -> (std::ops::Range<usize>, usize) {
    let mut len = 0usize;
    let mut shift = 0;
    loop {
        let b = buf[pos];
        pos += 1;
        len |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    (pos..pos + len, pos + len)
}

/// Iterates the pairs of a listpack buffer: (field range, value range, pair start, pair end).
struct PackIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Iterator for PackIter<'_> {
    type Item = (std::ops::Range<usize>, std::ops::Range<usize>, usize, usize);
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let start = self.pos;
        let (f, after) = read_str(self.buf, start);
        let (v, end) = read_str(self.buf, after);
        self.pos = end;
        Some((f, v, start, end))
    }
}

fn pack_iter(buf: &[u8]) -> PackIter<'_> {
    PackIter { buf, pos: 0 }
}

/// Reads the varint at `pos`: (the length, the position after it). One byte for lengths
/// under 128, the common case, without a loop.
#[inline]
fn read_len(buf: &[u8], pos: usize) -> (usize, usize) {
    let b = buf[pos];
    if b < 0x80 {
        (usize::from(b), pos + 1)
    } else {
        let (r, end) = read_str(buf, pos);
        (r.len(), end - r.len())
    }
}

/// The pair of `field` in `buf`: (value range, pair start, pair end). The hot loop of a
/// listpack hash (Redis `lpFind`): lengths are compared before bytes, and a value is
/// skipped by its length, never read.
fn pack_find(buf: &[u8], field: &[u8]) -> Option<(std::ops::Range<usize>, usize, usize)> {
    let mut pos = 0;
    while pos < buf.len() {
        let start = pos;
        let (flen, f) = read_len(buf, pos);
        let (vlen, v) = read_len(buf, f + flen);
        let end = v + vlen;
        // The last byte first: fields often share a prefix (`job:17:state`), rarely an end.
        if flen == field.len() && (flen == 0 || buf[f + flen - 1] == field[flen - 1]) && buf[f..f + flen] == *field {
            return Some((v..end, start, end));
        }
        pos = end;
    }
    None
}

impl Hash {
    /// An empty hash, listpack-encoded.
    pub fn new() -> Hash {
        Hash { enc: Enc::Pack { buf: Vec::new(), pairs: 0 } }
    }

    /// Redis's name for the encoding (OBJECT ENCODING).
    pub fn encoding_name(&self) -> &'static str {
        match self.enc {
            Enc::Pack { .. } => "listpack",
            Enc::Table(_) => "hashtable",
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match &self.enc {
            Enc::Pack { pairs, .. } => *pairs,
            Enc::Table(t) => t.map.len(),
        }
    }

    /// Whether there is no field.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes held (the value's part of `used_memory`). O(1).
    pub fn allocated_bytes(&self) -> usize {
        match &self.enc {
            Enc::Pack { buf, .. } => malloc_size(buf.capacity()),
            Enc::Table(t) => {
                malloc_size(std::mem::size_of::<Table>())
                    + t.heap
                    + t.map.capacity() * TABLE_ENTRY_BYTES
            }
        }
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.enc {
            Enc::Pack { buf, .. } => pack_find(buf, field).map(|(v, ..)| &buf[v]),
            Enc::Table(t) => t.map.get(field).map(|v| &**v),
        }
    }

    /// Whether `field` is there.
    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Turns a listpack into a table (Redis `hashTypeConvert`); a table stays as it is.
    pub fn convert(&mut self) {
        if let Enc::Pack { buf, pairs } = &self.enc {
            let mut t = Table::default();
            t.map.reserve(*pairs);
            for (f, v, ..) in pack_iter(buf) {
                t.heap += malloc_size(f.len()) + malloc_size(v.len());
                t.map.insert(buf[f].into(), buf[v].into());
            }
            self.enc = Enc::Table(Box::new(t));
        }
    }

    /// Sets `field` to `value`; true if the field is new (Redis `hashTypeSet`). Converts to
    /// a table first when either is longer than `cfg.max_value`, and after when the hash
    /// then has more than `cfg.max_entries` fields.
    pub fn set(&mut self, field: &[u8], value: &[u8], cfg: HashConfig) -> bool {
        if matches!(self.enc, Enc::Pack { .. }) && (field.len() > cfg.max_value || value.len() > cfg.max_value) {
            self.convert();
        }
        let created = match &mut self.enc {
            Enc::Pack { buf, pairs } => match pack_find(buf, field) {
                Some((v, _, end)) => {
                    if v.len() == value.len() {
                        buf[v].copy_from_slice(value);
                    } else {
                        // The value's length prefix onwards is rewritten into an
                        // exact-size buffer, as a listpack's realloc.
                        let at = v.start - varint_size(v.len());
                        let mut out = Vec::with_capacity(at + varint_size(value.len()) + value.len() + buf.len() - end);
                        out.extend_from_slice(&buf[..at]);
                        put_varint(&mut out, value.len());
                        out.extend_from_slice(value);
                        out.extend_from_slice(&buf[end..]);
                        *buf = out;
                    }
                    false
                }
                None => {
                    buf.reserve_exact(varint_size(field.len()) + field.len() + varint_size(value.len()) + value.len());
                    put_varint(buf, field.len());
                    buf.extend_from_slice(field);
                    put_varint(buf, value.len());
                    buf.extend_from_slice(value);
                    *pairs += 1;
                    true
                }
            },
            Enc::Table(t) => {
                let vsize = malloc_size(value.len());
                if let Some(v) = t.map.get_mut(field) {
                    t.heap = t.heap - malloc_size(v.len()) + vsize;
                    *v = value.into();
                    false
                } else {
                    t.heap += malloc_size(field.len()) + vsize;
                    t.map.insert(field.into(), value.into());
                    true
                }
            }
        };
        if created && self.len() > cfg.max_entries {
            self.convert();
        }
        created
    }

    /// Removes `field`; whether it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.enc {
            Enc::Pack { buf, pairs } => {
                let Some((_, start, end)) = pack_find(buf, field) else { return false };
                buf.drain(start..end);
                buf.shrink_to_fit();
                *pairs -= 1;
                true
            }
            Enc::Table(t) => match t.map.swap_remove_entry(field) {
                Some((f, v)) => {
                    t.heap -= malloc_size(f.len()) + malloc_size(v.len());
                    true
                }
                None => false,
            },
        }
    }

    /// Every pair, in the encoding's order (listpack: Redis's order).
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match &self.enc {
            Enc::Pack { buf, .. } => Box::new(pack_iter(buf).map(move |(f, v, ..)| (&buf[f], &buf[v]))),
            Enc::Table(t) => Box::new(t.map.iter().map(|(f, v)| (&**f, &**v))),
        }
    }

    /// The pair at position `i` (`i < len`): O(1) for a table, O(n) for a listpack (which
    /// is small by definition).
    pub fn nth(&self, i: usize) -> Option<(&[u8], &[u8])> {
        match &self.enc {
            Enc::Pack { .. } => self.iter().nth(i),
            Enc::Table(t) => t.map.get_index(i).map(|(f, v)| (&**f, &**v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> HashConfig {
        HashConfig { max_entries: 4, max_value: 8 }
    }

    /// What the count says must be what a walk finds.
    fn walked(h: &Hash) -> usize {
        match &h.enc {
            Enc::Pack { buf, .. } => malloc_size(buf.capacity()),
            Enc::Table(t) => {
                malloc_size(std::mem::size_of::<Table>())
                    + t.map.iter().map(|(f, v)| malloc_size(f.len()) + malloc_size(v.len())).sum::<usize>()
                    + t.map.capacity() * TABLE_ENTRY_BYTES
            }
        }
    }

    #[test]
    fn listpack_keeps_redis_order_through_updates_and_deletes() {
        let mut h = Hash::new();
        assert!(h.set(b"a", b"1", small()));
        assert!(h.set(b"b", b"2", small()));
        assert!(h.set(b"c", b"3", small()));
        assert!(!h.set(b"a", b"longer", small()));
        assert!(h.remove(b"b"));
        assert!(!h.remove(b"b"));
        assert!(h.set(b"d", b"4", small()));
        let pairs: Vec<_> = h.iter().collect();
        assert_eq!(pairs, vec![(&b"a"[..], &b"longer"[..]), (b"c", b"3"), (b"d", b"4")]);
        assert_eq!(h.encoding_name(), "listpack");
        assert_eq!(h.get(b"c"), Some(&b"3"[..]));
        assert_eq!(h.nth(2), Some((&b"d"[..], &b"4"[..])));
        assert_eq!(h.allocated_bytes(), walked(&h));
    }

    #[test]
    fn converts_past_either_threshold_and_never_back() {
        let mut h = Hash::new();
        for f in [b"1", b"2", b"3", b"4"] {
            h.set(f, b"v", small());
        }
        assert_eq!(h.encoding_name(), "listpack");
        h.set(b"5", b"v", small());
        assert_eq!(h.encoding_name(), "hashtable");
        for f in [b"1", b"2", b"3", b"4"] {
            h.remove(f);
        }
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.len(), 1);
        assert_eq!(h.allocated_bytes(), walked(&h));

        let mut long = Hash::new();
        long.set(b"f", b"123456789", small());
        assert_eq!(long.encoding_name(), "hashtable");
        let mut long_field = Hash::new();
        long_field.set(b"123456789", b"v", small());
        assert_eq!(long_field.encoding_name(), "hashtable");
        // Exactly at the limit stays compact.
        let mut edge = Hash::new();
        edge.set(b"12345678", b"12345678", small());
        assert_eq!(edge.encoding_name(), "listpack");
    }

    #[test]
    fn the_running_count_matches_a_walk_after_every_change() {
        let cfg = HashConfig { max_entries: 16, max_value: 64 };
        let mut h = Hash::new();
        let mut rng = super::super::memory::Rng::new(42);
        for _ in 0..2000 {
            let f = format!("f{}", rng.below(40));
            let v = "x".repeat(rng.below(100));
            if rng.below(3) == 0 {
                h.remove(f.as_bytes());
            } else {
                h.set(f.as_bytes(), v.as_bytes(), cfg);
            }
            assert_eq!(h.allocated_bytes(), walked(&h));
            assert_eq!(h.iter().count(), h.len());
        }
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn long_lengths_use_multi_byte_varints() {
        let cfg = HashConfig { max_entries: 512, max_value: 100_000 };
        let mut h = Hash::new();
        let big = vec![7u8; 20_000];
        h.set(b"big", &big, cfg);
        h.set(b"small", b"s", cfg);
        assert_eq!(h.encoding_name(), "listpack");
        assert_eq!(h.get(b"big"), Some(&big[..]));
        assert_eq!(h.get(b"small"), Some(&b"s"[..]));
    }
}
