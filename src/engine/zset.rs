//! The sorted-set type: members (byte strings) ordered by (score, member bytes), in one of
//! Redis's two encodings.
//!
//! - `listpack`: a vector of `(member, score)` kept sorted, searched by binary search on
//!   the order and by a linear scan on the member (Redis's listpack is scanned too). Small
//!   sets (the common case: a few scheduled jobs) cost their bytes and one slot each.
//! - `skiplist`: Redis pairs a skip list (order, rank by span counts) with a dict (member →
//!   score). embedis pairs an order-statistics tree with a hash map. The tree is a treap in
//!   an arena (nodes addressed by `u32`, no pointers, no `unsafe`) with subtree sizes, so
//!   insert, delete, rank, select-by-rank and score/lex seek are all O(log n) expected, as
//!   Redis's skip list; the map gives O(1) ZSCORE. Why a treap rather than a skip list:
//!   the same expected bounds with two child links per node instead of a tower of
//!   forward pointers and spans, and rotations keep subtree counts right with no
//!   per-level bookkeeping, which in safe Rust is the simplest correct order-statistics
//!   structure. Range replies walk the tree in order from a rank with a stack: O(log n + m),
//!   as Redis's `zslGetElementByRank` then forward/backward pointers.
//!
//! As in Redis (`zsetConvert`), a set converts listpack → skiplist when it passes
//! `zset-max-listpack-entries` members or gets a member longer than
//! `zset-max-listpack-value` bytes, and does not convert back on deletes.
//! Knows nothing of keys, RESP or Python; the rules that involve keys are in `zsets.rs`.

use std::cmp::Ordering;

use super::memory::malloc_size;

/// The thresholds of the compact encoding: Redis's `zset-max-listpack-entries` and
/// `zset-max-listpack-value` (aliases `zset-max-ziplist-*`), defaults 128 and 64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZsetConfig {
    /// Most members a listpack set holds.
    pub max_entries: usize,
    /// Longest member (bytes) a listpack set holds.
    pub max_value: usize,
}

impl Default for ZsetConfig {
    fn default() -> Self {
        ZsetConfig { max_entries: 128, max_value: 64 }
    }
}

/// The order of a sorted set: score, then member bytes (Redis `zslValueGteMin`… compare
/// scores with `<`, so -0 and 0 tie and the member decides).
pub fn order(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    a_score.partial_cmp(&b_score).unwrap_or(Ordering::Equal).then_with(|| a_member.cmp(b_member))
}

/// A score as Redis 7.0 writes it in replies and the AOF (`%.17g`; `inf`, `-inf`).
pub fn format_score(d: f64) -> Vec<u8> {
    if d.is_infinite() {
        return if d > 0.0 { b"inf".to_vec() } else { b"-inf".to_vec() };
    }
    if d.is_nan() {
        return b"nan".to_vec();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { b"-0".to_vec() } else { b"0".to_vec() };
    }
    // 17 significant digits, then %g's choice between fixed and scientific.
    let sci = format!("{d:.16e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let strip = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..17).contains(&exp) {
        let m = strip(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs()).into_bytes()
    } else {
        let decimals = usize::try_from(16 - exp).unwrap_or(0);
        strip(&format!("{d:.decimals$}")).into_bytes()
    }
}

const NIL: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct Node {
    member: Box<[u8]>,
    score: f64,
    left: u32,
    right: u32,
    size: u32,
    prio: u32,
}

/// The skiplist encoding: the treap and the member → score map.
#[derive(Debug, Clone)]
struct Tree {
    nodes: Vec<Node>,
    free: Vec<u32>,
    root: u32,
    map: std::collections::HashMap<Box<[u8]>, f64, ahash::RandomState>,
    /// Sum of `malloc_size` of the members (each stored in the node and the map).
    heap: usize,
    /// xorshift state for node priorities.
    seed: u32,
}

/// Bytes of one map entry beyond its member buffer (hash table slot: boxed slice, f64,
/// control byte).
const MAP_ENTRY_BYTES: usize = 16 + 8 + 1;

impl Tree {
    fn new() -> Tree {
        Tree { nodes: Vec::new(), free: Vec::new(), root: NIL, map: Default::default(), heap: 0, seed: 0x9E37_79B9 }
    }

    fn size(&self, t: u32) -> u32 {
        if t == NIL {
            0
        } else {
            self.nodes[t as usize].size
        }
    }

    fn update(&mut self, t: u32) {
        let n = &self.nodes[t as usize];
        let s = 1 + self.size(n.left) + self.size(n.right);
        self.nodes[t as usize].size = s;
    }

    fn less(&self, a: u32, b: u32) -> bool {
        let (x, y) = (&self.nodes[a as usize], &self.nodes[b as usize]);
        order(x.score, &x.member, y.score, &y.member) == Ordering::Less
    }

    fn alloc(&mut self, member: &[u8], score: f64) -> u32 {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 17;
        self.seed ^= self.seed << 5;
        let node = Node { member: member.into(), score, left: NIL, right: NIL, size: 1, prio: self.seed };
        if let Some(i) = self.free.pop() {
            self.nodes[i as usize] = node;
            i
        } else {
            self.nodes.push(node);
            u32::try_from(self.nodes.len() - 1).unwrap_or(NIL)
        }
    }

    fn rotate_right(&mut self, t: u32) -> u32 {
        let l = self.nodes[t as usize].left;
        self.nodes[t as usize].left = self.nodes[l as usize].right;
        self.nodes[l as usize].right = t;
        self.update(t);
        self.update(l);
        l
    }

    fn rotate_left(&mut self, t: u32) -> u32 {
        let r = self.nodes[t as usize].right;
        self.nodes[t as usize].right = self.nodes[r as usize].left;
        self.nodes[r as usize].left = t;
        self.update(t);
        self.update(r);
        r
    }

    fn insert_node(&mut self, t: u32, n: u32) -> u32 {
        if t == NIL {
            return n;
        }
        if self.less(n, t) {
            let l = self.insert_node(self.nodes[t as usize].left, n);
            self.nodes[t as usize].left = l;
            if self.nodes[l as usize].prio > self.nodes[t as usize].prio {
                return self.rotate_right(t);
            }
        } else {
            let r = self.insert_node(self.nodes[t as usize].right, n);
            self.nodes[t as usize].right = r;
            if self.nodes[r as usize].prio > self.nodes[t as usize].prio {
                return self.rotate_left(t);
            }
        }
        self.update(t);
        t
    }

    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.nodes[a as usize].prio > self.nodes[b as usize].prio {
            let r = self.merge(self.nodes[a as usize].right, b);
            self.nodes[a as usize].right = r;
            self.update(a);
            a
        } else {
            let l = self.merge(a, self.nodes[b as usize].left);
            self.nodes[b as usize].left = l;
            self.update(b);
            b
        }
    }

    fn remove_node(&mut self, t: u32, score: f64, member: &[u8]) -> u32 {
        if t == NIL {
            return NIL;
        }
        let n = &self.nodes[t as usize];
        match order(score, member, n.score, &n.member) {
            Ordering::Equal => {
                let (l, r) = (n.left, n.right);
                self.nodes[t as usize].member = Box::default();
                self.free.push(t);
                self.merge(l, r)
            }
            Ordering::Less => {
                let l = self.remove_node(n.left, score, member);
                self.nodes[t as usize].left = l;
                self.update(t);
                t
            }
            Ordering::Greater => {
                let r = self.remove_node(n.right, score, member);
                self.nodes[t as usize].right = r;
                self.update(t);
                t
            }
        }
    }

    fn insert(&mut self, member: &[u8], score: f64) {
        let n = self.alloc(member, score);
        self.root = self.insert_node(self.root, n);
    }

    fn remove(&mut self, member: &[u8], score: f64) {
        self.root = self.remove_node(self.root, score, member);
    }

    /// How many elements come before the first one for which `before` is false (`before`
    /// must be true on a prefix of the order).
    fn count_before(&self, before: &dyn Fn(f64, &[u8]) -> bool) -> usize {
        let (mut t, mut acc) = (self.root, 0usize);
        while t != NIL {
            let n = &self.nodes[t as usize];
            if before(n.score, &n.member) {
                acc += self.size(n.left) as usize + 1;
                t = n.right;
            } else {
                t = n.left;
            }
        }
        acc
    }

    /// The stack of an in-order walk positioned at rank `k` (its top is that element).
    fn stack_at(&self, mut k: usize, rev: bool) -> Vec<u32> {
        let mut stack = Vec::new();
        let mut t = self.root;
        while t != NIL {
            let n = &self.nodes[t as usize];
            let ls = self.size(n.left) as usize;
            match k.cmp(&ls) {
                Ordering::Less => {
                    if !rev {
                        stack.push(t);
                    }
                    t = n.left;
                }
                Ordering::Equal => {
                    stack.push(t);
                    break;
                }
                Ordering::Greater => {
                    if rev {
                        stack.push(t);
                    }
                    k -= ls + 1;
                    t = n.right;
                }
            }
        }
        stack
    }
}

/// An in-order walk of the tree from a rank, forward or backward.
struct TreeIter<'a> {
    tree: &'a Tree,
    stack: Vec<u32>,
    rev: bool,
}

impl<'a> Iterator for TreeIter<'a> {
    type Item = (&'a [u8], f64);
    fn next(&mut self) -> Option<Self::Item> {
        let t = self.stack.pop()?;
        let n = &self.tree.nodes[t as usize];
        let mut c = if self.rev { n.left } else { n.right };
        while c != NIL {
            self.stack.push(c);
            let cn = &self.tree.nodes[c as usize];
            c = if self.rev { cn.right } else { cn.left };
        }
        Some((&n.member, n.score))
    }
}

#[derive(Debug, Clone)]
enum Enc {
    /// Sorted by `order`; `heap` is the sum of `malloc_size` of the members.
    Pack { items: Vec<(Box<[u8]>, f64)>, heap: usize },
    /// Boxed: keeps `ZSet`, and so `Value`, small.
    Tree(Box<Tree>),
}

/// A sorted set. Never empty while in the keyspace (the caller deletes an emptied one).
#[derive(Debug, Clone)]
pub struct ZSet {
    enc: Enc,
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::new()
    }
}

impl ZSet {
    /// An empty set, listpack-encoded.
    pub fn new() -> ZSet {
        ZSet { enc: Enc::Pack { items: Vec::new(), heap: 0 } }
    }

    /// An empty set in the encoding Redis 7.0's ZADD creates for a first member of
    /// `first_len` bytes (`zaddGenericCommand`): skiplist when listpacks are off
    /// (`max_entries` 0) or the member is too long.
    pub fn for_first(first_len: usize, cfg: ZsetConfig) -> ZSet {
        let mut z = ZSet::new();
        if cfg.max_entries == 0 || first_len > cfg.max_value {
            z.convert();
        }
        z
    }

    /// Redis's name for the encoding (OBJECT ENCODING).
    pub fn encoding_name(&self) -> &'static str {
        match self.enc {
            Enc::Pack { .. } => "listpack",
            Enc::Tree(_) => "skiplist",
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match &self.enc {
            Enc::Pack { items, .. } => items.len(),
            Enc::Tree(t) => t.map.len(),
        }
    }

    /// Whether there is no member.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes held (the value's part of `used_memory`). O(1).
    pub fn allocated_bytes(&self) -> usize {
        match &self.enc {
            Enc::Pack { items, heap } => malloc_size(items.capacity() * std::mem::size_of::<(Box<[u8]>, f64)>()) + heap,
            Enc::Tree(t) => {
                malloc_size(std::mem::size_of::<Tree>())
                    + malloc_size(t.nodes.capacity() * std::mem::size_of::<Node>())
                    + malloc_size(t.free.capacity() * 4)
                    + 2 * t.heap
                    + t.map.capacity() * MAP_ENTRY_BYTES
            }
        }
    }

    /// Turns a listpack into a skiplist (Redis `zsetConvert`); a skiplist stays.
    pub fn convert(&mut self) {
        if let Enc::Pack { items, heap } = &mut self.enc {
            let mut t = Tree::new();
            t.map.reserve(items.len());
            t.heap = *heap;
            for (m, s) in items.drain(..) {
                t.insert(&m, s);
                t.map.insert(m, s);
            }
            self.enc = Enc::Tree(Box::new(t));
        }
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.enc {
            Enc::Pack { items, .. } => items.iter().find(|(m, _)| **m == *member).map(|(_, s)| *s),
            Enc::Tree(t) => t.map.get(member).copied(),
        }
    }

    /// Sets `member`'s score (Redis `zsetAdd` after its flags are decided); true if the
    /// member is new. Converts to a skiplist first when the member is longer than
    /// `cfg.max_value` or the set would pass `cfg.max_entries` members.
    pub fn insert(&mut self, member: &[u8], score: f64, cfg: ZsetConfig) -> bool {
        // Redis 7.0 keeps -0 as 0 (ZSCORE, ZSCAN and ZRANGE all answer "0"): adding +0
        // turns -0.0 into 0.0 and leaves every other score as it is.
        let score = score + 0.0;
        let old = self.score(member);
        if old.is_none() && matches!(self.enc, Enc::Pack { .. }) && (self.len() + 1 > cfg.max_entries || member.len() > cfg.max_value) {
            self.convert();
        }
        match &mut self.enc {
            Enc::Pack { items, heap } => {
                if let Some(old) = old {
                    let i = items.iter().position(|(m, _)| **m == *member).unwrap_or(0);
                    let (m, _) = items.remove(i);
                    let _ = old;
                    let at = items.partition_point(|(x, s)| order(*s, x, score, &m) == Ordering::Less);
                    items.insert(at, (m, score));
                } else {
                    let at = items.partition_point(|(x, s)| order(*s, x, score, member) == Ordering::Less);
                    items.insert(at, (member.into(), score));
                    *heap += malloc_size(member.len());
                }
            }
            Enc::Tree(t) => {
                if let Some(old) = old {
                    t.remove(member, old);
                } else {
                    t.heap += malloc_size(member.len());
                }
                t.insert(member, score);
                t.map.insert(member.into(), score);
            }
        }
        old.is_none()
    }

    /// Removes `member`; its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.enc {
            Enc::Pack { items, heap } => {
                let i = items.iter().position(|(m, _)| **m == *member)?;
                let (m, s) = items.remove(i);
                *heap -= malloc_size(m.len());
                Some(s)
            }
            Enc::Tree(t) => {
                let s = t.map.remove(member)?;
                t.remove(member, s);
                t.heap -= malloc_size(member.len());
                Some(s)
            }
        }
    }

    /// The 0-based ascending rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        Some(self.count_before(&|s, m| order(s, m, score, member) == Ordering::Less))
    }

    /// How many members come before the first for which `before` is false; `before` must
    /// hold on a prefix of the order (a score or lex bound). O(log n).
    pub fn count_before(&self, before: &dyn Fn(f64, &[u8]) -> bool) -> usize {
        match &self.enc {
            Enc::Pack { items, .. } => items.partition_point(|(m, s)| before(*s, m)),
            Enc::Tree(t) => t.count_before(before),
        }
    }

    /// The members in order from rank `start` (ascending), or, with `rev`, downwards from
    /// ascending rank `start`.
    pub fn iter_from(&self, start: usize, rev: bool) -> Box<dyn Iterator<Item = (&[u8], f64)> + '_> {
        match &self.enc {
            Enc::Pack { items, .. } => {
                if rev {
                    let end = (start + 1).min(items.len());
                    Box::new(items[..end].iter().rev().map(|(m, s)| (&**m, *s)))
                } else {
                    Box::new(items.iter().skip(start).map(|(m, s)| (&**m, *s)))
                }
            }
            Enc::Tree(t) => {
                if start >= t.map.len() {
                    return Box::new(std::iter::empty());
                }
                Box::new(TreeIter { tree: t, stack: t.stack_at(start, rev), rev })
            }
        }
    }

    /// Every member in ascending order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], f64)> + '_> {
        self.iter_from(0, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both() -> [ZsetConfig; 2] {
        [ZsetConfig::default(), ZsetConfig { max_entries: 0, max_value: 64 }]
    }

    fn members(z: &ZSet) -> Vec<(Vec<u8>, f64)> {
        z.iter().map(|(m, s)| (m.to_vec(), s)).collect()
    }

    #[test]
    fn equal_scores_order_by_member_bytes() {
        for cfg in both() {
            let mut z = ZSet::for_first(1, cfg);
            for m in [&b"b"[..], b"a", b"\xff", b"A", b"ab"] {
                z.insert(m, 1.0, cfg);
            }
            z.insert(b"z", 0.5, cfg);
            let got: Vec<Vec<u8>> = members(&z).into_iter().map(|(m, _)| m).collect();
            assert_eq!(got, vec![b"z".to_vec(), b"A".to_vec(), b"a".to_vec(), b"ab".to_vec(), b"b".to_vec(), b"\xff".to_vec()]);
            assert_eq!(z.rank(b"ab"), Some(3));
            assert_eq!(z.rank(b"nope"), None);
        }
    }

    #[test]
    fn matches_a_sorted_model_through_inserts_updates_removes() {
        for cfg in [ZsetConfig::default(), ZsetConfig { max_entries: 0, max_value: 64 }, ZsetConfig { max_entries: 20, max_value: 64 }] {
            let mut z = ZSet::for_first(1, cfg);
            let mut model: Vec<(Vec<u8>, f64)> = Vec::new();
            let mut x: u32 = 12345;
            for _ in 0..3000 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let m = format!("m{}", x % 97).into_bytes();
                let s = f64::from(x % 13) - 6.0;
                if x % 3 == 0 {
                    let had = model.iter().position(|(k, _)| *k == m);
                    assert_eq!(z.remove(&m).is_some(), had.is_some());
                    if let Some(i) = had {
                        model.remove(i);
                    }
                } else {
                    let new = z.insert(&m, s, cfg);
                    let had = model.iter().position(|(k, _)| *k == m);
                    assert_eq!(new, had.is_none());
                    if let Some(i) = had {
                        model.remove(i);
                    }
                    model.push((m, s));
                }
                model.sort_by(|a, b| order(a.1, &a.0, b.1, &b.0));
                assert_eq!(z.len(), model.len());
            }
            assert_eq!(members(&z), model);
            for (i, (m, s)) in model.iter().enumerate() {
                assert_eq!(z.rank(m), Some(i));
                assert_eq!(z.score(m), Some(*s));
                let fwd: Vec<_> = z.iter_from(i, false).map(|(m, _)| m.to_vec()).collect();
                assert_eq!(fwd, model[i..].iter().map(|p| p.0.clone()).collect::<Vec<_>>());
                let back: Vec<_> = z.iter_from(i, true).map(|(m, _)| m.to_vec()).collect();
                assert_eq!(back, model[..=i].iter().rev().map(|p| p.0.clone()).collect::<Vec<_>>());
            }
            let below_zero = z.count_before(&|s, _| s < 0.0);
            assert_eq!(below_zero, model.iter().filter(|p| p.1 < 0.0).count());
        }
    }

    #[test]
    fn converts_past_the_thresholds_and_not_back() {
        let cfg = ZsetConfig { max_entries: 3, max_value: 4 };
        let mut z = ZSet::for_first(1, cfg);
        z.insert(b"a", 1.0, cfg);
        z.insert(b"b", 2.0, cfg);
        z.insert(b"c", 3.0, cfg);
        assert_eq!(z.encoding_name(), "listpack");
        z.insert(b"d", 4.0, cfg);
        assert_eq!(z.encoding_name(), "skiplist");
        z.remove(b"d");
        assert_eq!(z.encoding_name(), "skiplist");
        let mut y = ZSet::for_first(1, cfg);
        y.insert(b"a", 1.0, cfg);
        y.insert(b"toolong", 1.0, cfg);
        assert_eq!(y.encoding_name(), "skiplist");
        assert_eq!(ZSet::for_first(5, cfg).encoding_name(), "skiplist");
        assert_eq!(members(&y), vec![(b"a".to_vec(), 1.0), (b"toolong".to_vec(), 1.0)]);
    }

    #[test]
    fn cost_grows_and_shrinks_with_members() {
        for cfg in both() {
            let mut z = ZSet::for_first(1, cfg);
            let empty = z.allocated_bytes();
            for i in 0..100 {
                z.insert(format!("member-{i:04}").as_bytes(), f64::from(i), cfg);
            }
            let full = z.allocated_bytes();
            assert!(full > empty + 100 * 11, "{full} vs {empty}");
            let clone = z.clone();
            assert_eq!(members(&clone), members(&z));
            for i in 0..100 {
                z.remove(format!("member-{i:04}").as_bytes());
            }
            assert!(z.allocated_bytes() < full);
            assert!(z.is_empty());
        }
    }

    #[test]
    fn scores_format_as_redis_7_0() {
        for (d, want) in [
            (1.1, "1.1000000000000001"),
            (2.0, "2"),
            (1e300, "1.0000000000000001e+300"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (0.5, "0.5"),
            (-3.25, "-3.25"),
            (1e-5, "1.0000000000000001e-05"),
            (123_456_789_012_345_680.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
        ] {
            assert_eq!(String::from_utf8(format_score(d)).expect("utf8"), want, "{d}");
        }
    }
}
