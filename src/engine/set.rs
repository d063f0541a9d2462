//! The set type (Redis `t_set.c`'s `setType*` API): members, membership, random picks,
//! iteration. No keys, no argument parsing, no effects: those are `sets.rs`.
//!
//! Three representations, two of Redis 7.0's encoding names:
//! - `intset`: every member an integer (Redis `string2ll`), at most
//!   `set-max-intset-entries` of them: a sorted packed array of 2-, 4- or 8-byte integers,
//!   the smallest width every member fits (Redis `intset.c`).
//! - `hashtable`, all integers: a set that outgrew the intset but never got a non-integer
//!   member. Redis would hold each as a string; here they stay 8-byte integers in a dense
//!   array with a table of positions, which answers the same and takes a fraction of it.
//! - `hashtable`, strings: members back to back in one byte arena (a varint length, then
//!   the bytes), a dense array of their offsets, and a table of positions into that array.
//!
//! The dense arrays make SPOP/SRANDMEMBER's random pick O(1) (Redis
//! `dictGetFairRandomKey`): a removal moves the last member into the hole and fixes its one
//! table slot. The string arena is compacted once half of it is holes. A table slot is a
//! `u32`: a set holds fewer than 2^32 members (Redis's dict can hold more; no process has
//! the memory for a set that large).
//!
//! Conversions follow Redis: an intset becomes a hashtable when it gets a non-integer
//! member or grows past the limit, and a hashtable never goes back.

use std::borrow::Cow;

use hashbrown::HashTable;

use super::memory::{malloc_size, Rng};
use super::strings::parse_i64;

/// One member as stored: an integer of an integer representation, or bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member<'a> {
    /// An integer member (its bytes are its decimal form).
    Int(i64),
    /// A member stored as bytes.
    Bytes(&'a [u8]),
}

impl Member<'_> {
    /// The member's bytes, as clients see it.
    pub fn bytes(&self) -> Cow<'_, [u8]> {
        match *self {
            Member::Int(i) => Cow::Owned(i.to_string().into_bytes()),
            Member::Bytes(b) => Cow::Borrowed(b),
        }
    }

    /// The member's bytes, owned.
    pub fn to_vec(&self) -> Vec<u8> {
        self.bytes().into_owned()
    }
}

/// A set of byte strings. Never empty while it is a key's value (the key goes).
#[derive(Debug, Clone)]
pub struct Set {
    repr: Repr,
}

#[derive(Debug, Clone)]
enum Repr {
    Intset(Intset),
    // Boxed: a table is about a hundred bytes of headers, and `Value` (which every key's
    // slot holds) stays small only if a set is small.
    Ints(Box<Table<Ints>>),
    Strs(Box<Table<Strs>>),
}

impl Default for Set {
    fn default() -> Set {
        Set::new()
    }
}

impl Set {
    /// An empty set, encoded as an intset (Redis `createIntsetObject`).
    pub fn new() -> Set {
        Set { repr: Repr::Intset(Intset::default()) }
    }

    /// An empty set of the encoding Redis's `setTypeCreate` picks for a first member.
    pub fn for_first(member: &[u8]) -> Set {
        if parse_i64(member).is_some() {
            Set::new()
        } else {
            Set { repr: Repr::Strs(Box::default()) }
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Intset(s) => s.len(),
            Repr::Ints(t) => t.store.len(),
            Repr::Strs(t) => t.store.len(),
        }
    }

    /// Whether the set has no member.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING's answer.
    pub fn encoding_name(&self) -> &'static str {
        match self.repr {
            Repr::Intset(_) => "intset",
            Repr::Ints(_) | Repr::Strs(_) => "hashtable",
        }
    }

    /// Adds `member`; whether it was new. `max_intset` is `set-max-intset-entries`: an
    /// intset that grows past it becomes a hashtable (Redis `setTypeAdd`).
    pub fn add(&mut self, member: &[u8], max_intset: usize) -> bool {
        let int = parse_i64(member);
        match (&mut self.repr, int) {
            (Repr::Intset(s), Some(i)) => {
                if !s.insert(i) {
                    return false;
                }
                // Redis caps the intset at 2^30 entries whatever the setting.
                if s.len() > max_intset.min(1 << 30) {
                    let table = Table::from_ints(s.iter(), ahash::RandomState::new());
                    self.repr = Repr::Ints(Box::new(table));
                }
                true
            }
            (Repr::Ints(t), Some(i)) => t.insert(&i),
            (Repr::Strs(t), _) => t.insert(member),
            (Repr::Intset(_) | Repr::Ints(_), None) => {
                self.convert_to_strings();
                let Repr::Strs(t) = &mut self.repr else { return false };
                t.insert(member)
            }
        }
    }

    /// Turns an integer representation into the string one (a non-integer member comes).
    fn convert_to_strings(&mut self) {
        let (hasher, ints): (ahash::RandomState, Vec<i64>) = match &self.repr {
            Repr::Intset(s) => (ahash::RandomState::new(), s.iter().collect()),
            Repr::Ints(t) => (t.hasher.clone(), t.store.items.clone()),
            Repr::Strs(_) => return,
        };
        let mut table = Table::<Strs>::with_hasher(hasher);
        table.reserve(ints.len() + 1);
        let mut buf = itoa_buf();
        for i in ints {
            table.insert(fmt_int(i, &mut buf));
        }
        self.repr = Repr::Strs(Box::new(table));
    }

    /// Removes `member`; whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Intset(s) => parse_i64(member).is_some_and(|i| s.remove(i)),
            Repr::Ints(t) => parse_i64(member).is_some_and(|i| t.remove(&i)),
            Repr::Strs(t) => t.remove(member),
        }
    }

    /// Whether `member` is in the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        match &self.repr {
            Repr::Intset(s) => parse_i64(member).is_some_and(|i| s.find(i).is_ok()),
            Repr::Ints(t) => parse_i64(member).is_some_and(|i| t.position(&i).is_some()),
            Repr::Strs(t) => t.position(member).is_some(),
        }
    }

    /// Whether `member` (as stored by some set) is in this set, without formatting an
    /// integer when both hold integers.
    pub fn contains_member(&self, member: Member<'_>) -> bool {
        match (member, &self.repr) {
            (Member::Int(i), Repr::Intset(s)) => s.find(i).is_ok(),
            (Member::Int(i), Repr::Ints(t)) => t.position(&i).is_some(),
            (m, _) => self.contains(&m.bytes()),
        }
    }

    /// The member at `i` of the storage order (`i < len`).
    fn nth(&self, i: usize) -> Member<'_> {
        match &self.repr {
            Repr::Intset(s) => Member::Int(s.get(i)),
            Repr::Ints(t) => Member::Int(t.store.items[i]),
            Repr::Strs(t) => Member::Bytes(t.store.get(i)),
        }
    }

    /// A member picked uniformly at random, or `None` if the set is empty.
    pub fn random(&self, rng: &mut Rng) -> Option<Member<'_>> {
        let n = self.len();
        (n > 0).then(|| self.nth(rng.below(n)))
    }

    /// Removes a member picked uniformly at random and returns it.
    pub fn pop_random(&mut self, rng: &mut Rng) -> Option<Vec<u8>> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        let i = rng.below(n);
        Some(match &mut self.repr {
            Repr::Intset(s) => {
                let v = s.get(i);
                s.remove(v);
                v.to_string().into_bytes()
            }
            Repr::Ints(t) => {
                let v = t.store.items[i];
                t.remove_at(i);
                v.to_string().into_bytes()
            }
            Repr::Strs(t) => {
                let v = t.store.get(i).to_vec();
                t.remove_at(i);
                v
            }
        })
    }

    /// `count` distinct members picked at random (`count < len`), as Redis's SRANDMEMBER
    /// with a positive count: removing random members from a copy when most are wanted,
    /// else drawing until enough distinct ones came.
    pub fn sample(&self, count: usize, rng: &mut Rng) -> Vec<Vec<u8>> {
        let n = self.len();
        if count >= n {
            return self.iter().map(Cow::into_owned).collect();
        }
        let mut picked: Vec<usize> = Vec::with_capacity(count);
        if count * 3 > n {
            // Partial Fisher-Yates: the first `count` of a shuffled index list.
            let mut idx: Vec<usize> = (0..n).collect();
            for k in 0..count {
                let j = k + rng.below(n - k);
                idx.swap(k, j);
            }
            picked.extend_from_slice(&idx[..count]);
        } else {
            let mut seen: std::collections::HashSet<usize, ahash::RandomState> = Default::default();
            while picked.len() < count {
                let j = rng.below(n);
                if seen.insert(j) {
                    picked.push(j);
                }
            }
        }
        picked.into_iter().map(|i| self.nth(i).to_vec()).collect()
    }

    /// The members, as bytes: ascending for an intset, storage order otherwise.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, [u8]>> + '_ {
        self.members().map(|m| match m {
            Member::Int(i) => Cow::Owned(i.to_string().into_bytes()),
            Member::Bytes(b) => Cow::Borrowed(b),
        })
    }

    /// The members as stored (integers unformatted).
    pub fn members(&self) -> impl Iterator<Item = Member<'_>> + '_ {
        (0..self.len()).map(move |i| self.nth(i))
    }

    /// For SSCAN: whether the whole set goes in one reply with cursor 0 (an intset, as
    /// Redis answers for its compact encodings).
    pub fn scans_whole(&self) -> bool {
        matches!(self.repr, Repr::Intset(_))
    }

    /// SSCAN's order: a hash of the member's bytes, fixed for this set's life (kept across
    /// its conversion to strings), so a cursor is the hash to resume from.
    pub fn scan_hash(&self, member: Member<'_>) -> u64 {
        let bytes = member.bytes();
        match &self.repr {
            Repr::Intset(_) => 0,
            Repr::Ints(t) => t.hasher.hash_one(&*bytes),
            Repr::Strs(t) => t.hasher.hash_one(&*bytes),
        }
    }

    /// Heap bytes, from the capacities of its buffers: O(1), and exact after any change.
    pub fn allocated_bytes(&self) -> usize {
        match &self.repr {
            Repr::Intset(s) => malloc_size(s.data.capacity()),
            Repr::Ints(t) => {
                malloc_size(std::mem::size_of::<Table<Ints>>())
                    + malloc_size(t.store.items.capacity() * 8)
                    + t.index_bytes()
            }
            Repr::Strs(t) => {
                malloc_size(std::mem::size_of::<Table<Strs>>())
                    + malloc_size(t.store.arena.capacity())
                    + malloc_size(t.store.offs.capacity() * 8)
                    + t.index_bytes()
            }
        }
    }
}

/// A stack buffer for formatting an i64.
fn itoa_buf() -> Vec<u8> {
    Vec::with_capacity(20)
}

/// `i` in decimal, in `buf`.
fn fmt_int(i: i64, buf: &mut Vec<u8>) -> &[u8] {
    use std::io::Write;
    buf.clear();
    let _ = write!(buf, "{i}");
    buf
}

// ---------------------------------------------------------------------------------------
// intset
// ---------------------------------------------------------------------------------------

/// Redis's intset: sorted, unique, every integer at the width of the widest (2, 4 or 8
/// bytes), little-endian. Inserting one wider upgrades them all; nothing downgrades.
#[derive(Debug, Clone)]
struct Intset {
    /// Bytes per integer (2, 4 or 8).
    width: u8,
    /// The integers, packed.
    data: Vec<u8>,
}

impl Default for Intset {
    fn default() -> Intset {
        Intset { width: 2, data: Vec::new() }
    }
}

/// The width `v` needs (Redis `_intsetValueEncoding`).
fn width_of(v: i64) -> usize {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

impl Intset {
    /// Bytes per integer.
    fn w(&self) -> usize {
        usize::from(self.width)
    }

    fn len(&self) -> usize {
        self.data.len() / self.w()
    }

    fn get(&self, i: usize) -> i64 {
        let at = i * self.w();
        let b = &self.data[at..at + self.w()];
        match self.w() {
            2 => i64::from(i16::from_le_bytes([b[0], b[1]])),
            4 => i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            _ => i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        }
    }

    fn put(&mut self, i: usize, v: i64) {
        let w = self.w();
        let bytes = v.to_le_bytes();
        self.data[i * w..i * w + w].copy_from_slice(&bytes[..w]);
    }

    /// `Ok(position)` if present, else `Err(insertion point)`.
    fn find(&self, v: i64) -> Result<usize, usize> {
        if width_of(v) > self.w() {
            // Wider than every member: before all or after all.
            return Err(if v < 0 { 0 } else { self.len() });
        }
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid).cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    fn insert(&mut self, v: i64) -> bool {
        let w = width_of(v);
        if w > self.w() {
            self.upgrade(w);
        }
        match self.find(v) {
            Ok(_) => false,
            Err(at) => {
                let w = self.w();
                let bytes = v.to_le_bytes();
                self.data.splice(at * w..at * w, bytes[..w].iter().copied());
                true
            }
        }
    }

    fn upgrade(&mut self, width: usize) {
        let old: Vec<i64> = self.iter().collect();
        self.width = width as u8;
        self.data = vec![0; old.len() * width];
        for (i, v) in old.into_iter().enumerate() {
            self.put(i, v);
        }
    }

    fn remove(&mut self, v: i64) -> bool {
        match self.find(v) {
            Ok(at) => {
                let w = self.w();
                self.data.drain(at * w..at * w + w);
                true
            }
            Err(_) => false,
        }
    }

    fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
}

// ---------------------------------------------------------------------------------------
// hashtable: dense storage + a table of positions
// ---------------------------------------------------------------------------------------

/// Dense storage of members, indexable by position.
trait Store: Default + Clone {
    /// The borrowed member type.
    type Item: ?Sized + std::hash::Hash + Eq;
    fn len(&self) -> usize;
    fn item(&self, i: usize) -> &Self::Item;
    fn push(&mut self, item: &Self::Item);
    /// Removes position `i`, moving the last member there.
    fn swap_remove(&mut self, i: usize);
    fn reserve(&mut self, n: usize);
}

/// A hashtable-encoded set: `store` holds the members, `index` their positions.
#[derive(Debug, Clone, Default)]
struct Table<S> {
    store: S,
    index: HashTable<u32>,
    hasher: ahash::RandomState,
}

impl<S: Store> Table<S> {
    fn with_hasher(hasher: ahash::RandomState) -> Table<S> {
        Table { store: S::default(), index: HashTable::new(), hasher }
    }

    fn hash(&self, item: &S::Item) -> u64 {
        self.hasher.hash_one(item)
    }

    fn position(&self, item: &S::Item) -> Option<usize> {
        let h = self.hash(item);
        self.index.find(h, |&i| self.store.item(i as usize) == item).map(|&i| i as usize)
    }

    fn reserve(&mut self, n: usize) {
        self.store.reserve(n);
        let (store, hasher) = (&self.store, &self.hasher);
        self.index.reserve(n, |&i| hasher.hash_one(store.item(i as usize)));
    }

    fn insert(&mut self, item: &S::Item) -> bool {
        if self.position(item).is_some() {
            return false;
        }
        let h = self.hash(item);
        let at = u32::try_from(self.store.len()).expect("a set holds fewer than 2^32 members");
        self.store.push(item);
        let (store, hasher) = (&self.store, &self.hasher);
        self.index.insert_unique(h, at, |&i| hasher.hash_one(store.item(i as usize)));
        true
    }

    fn remove(&mut self, item: &S::Item) -> bool {
        match self.position(item) {
            Some(i) => {
                self.remove_at(i);
                true
            }
            None => false,
        }
    }

    /// Removes the member at position `i`; the last member takes its place.
    fn remove_at(&mut self, i: usize) {
        let h = self.hash(self.store.item(i));
        if let Ok(entry) = self.index.find_entry(h, |&p| p as usize == i) {
            entry.remove();
        }
        let last = self.store.len() - 1;
        if i != last {
            let h = self.hash(self.store.item(last));
            if let Some(slot) = self.index.find_mut(h, |&p| p as usize == last) {
                *slot = i as u32;
            }
        }
        self.store.swap_remove(i);
        // Give memory back once the set shrank a lot (Redis's dict resizes down too).
        let cap = self.index.capacity();
        if cap > 64 && self.store.len() * 8 < cap {
            let (store, hasher) = (&self.store, &self.hasher);
            self.index.shrink_to(store.len() * 2, |&p| hasher.hash_one(store.item(p as usize)));
        }
    }

    /// Heap bytes of `index`: its buckets (a u32 and a control byte each, plus a group's
    /// worth of trailing control bytes), derived from the capacity as hashbrown sizes it.
    fn index_bytes(&self) -> usize {
        let cap = self.index.capacity();
        if cap == 0 {
            return 0;
        }
        let buckets = if cap < 8 { (cap + 1).next_power_of_two() } else { (cap * 8 / 7).next_power_of_two() };
        malloc_size(buckets * 5 + 16)
    }
}

impl Table<Ints> {
    fn from_ints(ints: impl Iterator<Item = i64>, hasher: ahash::RandomState) -> Table<Ints> {
        let mut t = Table::with_hasher(hasher);
        for i in ints {
            t.insert(&i);
        }
        t
    }
}

/// Integer members of a hashtable-encoded set.
#[derive(Debug, Clone, Default)]
struct Ints {
    items: Vec<i64>,
}

impl Store for Ints {
    type Item = i64;
    fn len(&self) -> usize {
        self.items.len()
    }
    fn item(&self, i: usize) -> &i64 {
        &self.items[i]
    }
    fn push(&mut self, item: &i64) {
        self.items.push(*item);
    }
    fn swap_remove(&mut self, i: usize) {
        self.items.swap_remove(i);
        if self.items.capacity() > 64 && self.items.len() * 4 < self.items.capacity() {
            self.items.shrink_to(self.items.len() * 2);
        }
    }
    fn reserve(&mut self, n: usize) {
        self.items.reserve(n);
    }
}

/// Byte-string members: a varint length and the bytes, back to back in `arena`; `offs`
/// says where each member starts. `garbage` counts the bytes of removed members.
#[derive(Debug, Clone, Default)]
struct Strs {
    arena: Vec<u8>,
    offs: Vec<u64>,
    garbage: usize,
}

impl Strs {
    fn get(&self, i: usize) -> &[u8] {
        let mut at = usize::try_from(self.offs[i]).unwrap_or(usize::MAX);
        let mut len = 0usize;
        let mut shift = 0;
        loop {
            let b = self.arena[at];
            at += 1;
            len |= usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        &self.arena[at..at + len]
    }

    /// Rewrites the arena without holes, in position order.
    fn compact(&mut self) {
        let mut arena = Vec::with_capacity(self.arena.len() - self.garbage);
        let mut offs = Vec::with_capacity(self.offs.len());
        for i in 0..self.offs.len() {
            offs.push(arena.len() as u64);
            put_member(&mut arena, self.get(i));
        }
        self.arena = arena;
        self.offs = offs;
        self.garbage = 0;
    }
}

/// Appends `m` with its varint length.
fn put_member(arena: &mut Vec<u8>, m: &[u8]) {
    let mut n = m.len();
    while n >= 0x80 {
        arena.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    arena.push(n as u8);
    arena.extend_from_slice(m);
}

/// Bytes of the varint that prefixes a member of length `n`.
fn varint_len(n: usize) -> usize {
    let mut size = 1;
    let mut rest = n >> 7;
    while rest > 0 {
        size += 1;
        rest >>= 7;
    }
    size
}

impl Store for Strs {
    type Item = [u8];
    fn len(&self) -> usize {
        self.offs.len()
    }
    fn item(&self, i: usize) -> &[u8] {
        self.get(i)
    }
    fn push(&mut self, item: &[u8]) {
        self.offs.push(self.arena.len() as u64);
        put_member(&mut self.arena, item);
    }
    fn swap_remove(&mut self, i: usize) {
        let len = self.get(i).len();
        self.garbage += varint_len(len) + len;
        self.offs.swap_remove(i);
        if self.offs.is_empty() {
            *self = Strs::default();
        } else if self.garbage > 4096 && self.garbage * 2 > self.arena.len() {
            self.compact();
        }
    }
    fn reserve(&mut self, n: usize) {
        self.offs.reserve(n);
    }
}

#[cfg(test)]
#[path = "set_tests.rs"]
mod tests;
