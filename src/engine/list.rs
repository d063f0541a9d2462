//! The Redis list value, packed like Redis's quicklist of listpacks (`src/quicklist.c`):
//! a deque of nodes, each a byte run of length-prefixed entries, so a 100-byte element
//! costs about 103 bytes. A snapshot's copy shares the nodes copy-on-write, a refcount
//! per 8 KiB ([`List::clone_shared`]). The type API of `src/t_list.c`, with no argument
//! parsing: knows nothing of keys, RESP, waiters or Python.

use std::collections::VecDeque;
use std::fmt;
use std::iter::once;
use std::ops::{Deref, Range};
use std::sync::Arc;

/// Most live bytes a node holds, as Redis's default `list-max-listpack-size -2` (8 KiB).
/// An entry larger than this gets a node of its own.
const NODE_BYTES: usize = 8192;

/// Smallest node buffer: a one-element list of a short string stays a few dozen bytes.
const MIN_NODE_CAP: usize = 16;

/// Buffers at most this big are never shrunk: the copy would cost more than it returns.
const SHRINK_MIN_CAP: usize = 256;

/// A LEB128 `usize` takes at most this many bytes.
const MAX_VARINT: usize = 10;

/// Which end of a list an operation works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The head: index 0, where LPUSH and LPOP work.
    Left,
    /// The tail: index -1, where RPUSH and RPOP work.
    Right,
}

impl End {
    /// The other end (LMOVE's `wherefrom`/`whereto` pairs, a give-back to the popped end).
    #[must_use]
    pub fn opposite(self) -> End {
        match self {
            End::Left => End::Right,
            End::Right => End::Left,
        }
    }
}

/// A Redis list of byte strings, indexed as Redis does (0 first, -1 last).
///
/// Elements live in nodes of at most 8 KiB of encoded entries (an oversized element
/// alone in its node), so a list costs its data plus about 2 bytes per element plus one
/// small header per 8 KiB. Each entry is `varint(len) ++ bytes ++ reversed varint(len)`,
/// readable from either end, which makes push and pop at both ends O(1).
///
/// [`List::clone_shared`] copies no element: it shares every node buffer (a refcount
/// each, see [`Buf`]), which lets a snapshot copy a million-element list under the
/// keyspace lock in a fraction of a millisecond. Whichever side later writes into a
/// shared buffer copies that one buffer first. `clone` copies the buffers it does not
/// find shared.
#[derive(Default)]
pub struct List {
    /// Nodes head to tail. Invariant: no node is empty, and each holds at most
    /// `NODE_BYTES` live bytes unless it holds exactly one (oversized) entry.
    nodes: VecDeque<Node>,
    /// Number of elements: always the sum of the nodes' counts.
    len: usize,
    /// Heap bytes held, kept up to date by every change (push and pop adjust it by the
    /// edge node they touch, rarer changes recount), so that the keyspace's `used_memory`
    /// reads it in O(1) on each write. Always equals [`List::counted_bytes`].
    heap: usize,
}

/// A run of encoded entries inside a buffer that can grow at both ends.
///
/// The window (`start`, `end`, `count`) is the node's own even when the buffer is shared,
/// and bytes outside it are never read: pops and trims move the window and copy nothing.
#[derive(Clone)]
struct Node {
    /// Backing store; only `buf[start..end]` means anything. Free space before `start`
    /// takes front pushes, free space after `end` back pushes.
    buf: Buf,
    /// First live byte.
    start: usize,
    /// One past the last live byte.
    end: usize,
    /// Entries in `buf[start..end]`; never 0 while the node is in a list.
    count: usize,
}

/// A node's buffer: owned outright, or shared with snapshots copy-on-write.
///
/// Buffers are owned until [`List::clone_shared`] moves them into `Arc`s (the box moves,
/// no byte is copied). They are owned the rest of the time so that a push, which writes
/// into its edge node, pays no atomic uniqueness check (`Arc::make_mut` costs as much as
/// the push itself). The first push into a shared buffer takes it back ([`Buf::own`]):
/// for free once the snapshot has been written and dropped, by copying that one buffer
/// while the snapshot still holds it.
#[derive(Clone)]
enum Buf {
    /// Held by this list alone.
    Own(Box<[u8]>),
    /// Possibly held by a snapshot too; read-only until a writer takes it back or copies
    /// it ([`Buf::own`], [`Buf::bytes_mut`]).
    Shared(Arc<Box<[u8]>>),
}

/// Heap bytes of an `Arc<Box<[u8]>>` allocation: two counts and the box pointer.
const SHARED_HEADER: usize = 2 * std::mem::size_of::<usize>() + std::mem::size_of::<Box<[u8]>>();

impl Deref for Buf {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            Buf::Own(b) => b,
            Buf::Shared(a) => a,
        }
    }
}

impl Buf {
    /// The bytes, for writing, keeping the buffer's kind: a shared buffer that a clone
    /// also holds is copied first, so the clone never sees the write.
    fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Buf::Own(b) => b,
            Buf::Shared(a) => Arc::make_mut(a).as_mut(),
        }
    }

    /// The bytes, for writing, made owned (an edge node about to take pushes): a shared
    /// buffer is unwrapped, or copied if a clone still holds it. Every push comes here,
    /// so the owned case is inline and the rest out of line.
    #[inline]
    fn own(&mut self) -> &mut [u8] {
        match self {
            Buf::Own(b) => b,
            Buf::Shared(_) => self.take_back(),
        }
    }

    /// Makes a shared buffer owned: unwrapped if nothing else holds it any more, copied if
    /// a snapshot still does.
    #[cold]
    #[inline(never)]
    fn take_back(&mut self) -> &mut [u8] {
        if let Buf::Shared(a) = self {
            let b = match Arc::get_mut(a) {
                Some(b) => std::mem::take(b),
                None => Box::clone(a),
            };
            *self = Buf::Own(b);
        }
        self.bytes_mut()
    }

    /// A second handle on the buffer, sharing it first if it is owned (the box moves into
    /// an `Arc`; no byte is copied).
    fn share(&mut self) -> Buf {
        if let Buf::Own(b) = self {
            *self = Buf::Shared(Arc::new(std::mem::take(b)));
        }
        self.clone()
    }

    /// Heap bytes: the buffer, plus the `Arc` holding it when shared.
    fn heap_bytes(&self) -> usize {
        match self {
            Buf::Own(b) => b.len(),
            Buf::Shared(a) => a.len() + SHARED_HEADER,
        }
    }
}

/// Where one entry sits in a node's live bytes: `start..data` is its length, `data..data_end`
/// its bytes, `data_end..end` its length again, reversed.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    data: usize,
    data_end: usize,
    end: usize,
}

fn varint_len(mut v: usize) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Bytes an element of `data_len` bytes takes once encoded.
fn encoded_len(data_len: usize) -> usize {
    data_len + 2 * varint_len(data_len)
}

/// Writes `elem` encoded into `dst`, which is exactly `encoded_len(elem.len())` long.
fn encode_into(dst: &mut [u8], elem: &[u8]) {
    let n = elem.len();
    if let Ok(b @ 0..=0x7f) = u8::try_from(n) {
        // One length byte each side: the common case, kept free of the general loop.
        dst[0] = b;
        dst[1..=n].copy_from_slice(elem);
        dst[n + 1] = b;
        return;
    }
    let mut head = [0u8; MAX_VARINT];
    let mut n = 0;
    let mut v = elem.len();
    loop {
        // Truncation is the point: the low 7 bits, with the continuation bit on top.
        #[allow(clippy::cast_possible_truncation)]
        let low = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            head[n] = low;
            n += 1;
            break;
        }
        head[n] = low | 0x80;
        n += 1;
    }
    let (len_bytes, rest) = dst.split_at_mut(n);
    len_bytes.copy_from_slice(&head[..n]);
    let (data, back) = rest.split_at_mut(elem.len());
    data.copy_from_slice(elem);
    // Reversed, so a reader coming from the end meets the low-order byte first.
    for (d, s) in back.iter_mut().zip(head[..n].iter().rev()) {
        *d = *s;
    }
}

/// The entry that begins at `start` in `live`.
fn span_at(live: &[u8], start: usize) -> Span {
    let first = live[start];
    if first < 0x80 {
        let data = start + 1;
        let data_end = data + usize::from(first);
        return Span {
            start,
            data,
            data_end,
            end: data_end + 1,
        };
    }
    let mut len = 0usize;
    let mut shift = 0;
    let mut i = start;
    loop {
        let byte = live[i];
        i += 1;
        len |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let n = i - start;
    Span {
        start,
        data: i,
        data_end: i + len,
        end: i + len + n,
    }
}

/// The entry that ends at `end` in `live`.
fn span_before(live: &[u8], end: usize) -> Span {
    let last = live[end - 1];
    if last < 0x80 {
        let data_end = end - 1;
        let data = data_end - usize::from(last);
        return Span {
            start: data - 1,
            data,
            data_end,
            end,
        };
    }
    let mut len = 0usize;
    let mut shift = 0;
    let mut i = end;
    loop {
        i -= 1;
        let byte = live[i];
        len |= usize::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let n = end - i;
    let data = i - len;
    Span {
        start: data - n,
        data,
        data_end: i,
        end,
    }
}

/// The spans of a run of encoded entries, from either end.
#[derive(Clone)]
struct Spans<'a> {
    live: &'a [u8],
    front: usize,
    back: usize,
}

impl<'a> Spans<'a> {
    fn new(live: &'a [u8]) -> Self {
        Spans {
            live,
            front: 0,
            back: live.len(),
        }
    }
}

impl Iterator for Spans<'_> {
    type Item = Span;

    fn next(&mut self) -> Option<Span> {
        if self.front >= self.back {
            return None;
        }
        let s = span_at(self.live, self.front);
        self.front = s.end;
        Some(s)
    }
}

impl DoubleEndedIterator for Spans<'_> {
    fn next_back(&mut self) -> Option<Span> {
        if self.front >= self.back {
            return None;
        }
        let s = span_before(self.live, self.back);
        self.back = s.start;
        Some(s)
    }
}

/// The elements of a run of encoded entries, from either end.
#[derive(Clone)]
struct Entries<'a>(Spans<'a>);

impl<'a> Entries<'a> {
    fn new(live: &'a [u8]) -> Self {
        Entries(Spans::new(live))
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let s = self.0.next()?;
        Some(&self.0.live[s.data..s.data_end])
    }
}

impl<'a> DoubleEndedIterator for Entries<'a> {
    fn next_back(&mut self) -> Option<&'a [u8]> {
        let s = self.0.next_back()?;
        Some(&self.0.live[s.data..s.data_end])
    }
}

/// Buffer size for a new node whose first entry takes `need` bytes: small, then doubled
/// as it fills (many lists hold one short element; 8 KiB each would be a waste).
fn initial_cap(need: usize) -> usize {
    if need > NODE_BYTES {
        need
    } else {
        need.next_power_of_two().clamp(MIN_NODE_CAP, NODE_BYTES)
    }
}

impl Node {
    /// A node holding `elem` alone in a buffer of `cap` bytes, with the free space on
    /// `side`, where the next pushes will come.
    fn with_entry(elem: &[u8], need: usize, cap: usize, side: End) -> Node {
        let mut buf = vec![0u8; cap].into_boxed_slice();
        let start = match side {
            End::Left => cap - need,
            End::Right => 0,
        };
        encode_into(&mut buf[start..start + need], elem);
        Node {
            buf: Buf::Own(buf),
            start,
            end: start + need,
            count: 1,
        }
    }

    /// A node that is exactly `live` (already encoded entries, `count` of them).
    fn from_live(live: Vec<u8>, count: usize) -> Node {
        let end = live.len();
        Node {
            buf: Buf::Own(live.into_boxed_slice()),
            start: 0,
            end,
            count,
        }
    }

    fn live(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn live_len(&self) -> usize {
        self.end - self.start
    }

    fn spans(&self) -> Spans<'_> {
        Spans::new(self.live())
    }

    fn entries(&self) -> Entries<'_> {
        Entries::new(self.live())
    }

    /// The `k`th entry, scanning from the nearer end of the node.
    fn span_of(&self, k: usize) -> Option<Span> {
        if k < self.count / 2 {
            self.spans().nth(k)
        } else {
            self.spans().rev().nth(self.count.checked_sub(k + 1)?)
        }
    }

    fn data(&self, s: Span) -> &[u8] {
        &self.live()[s.data..s.data_end]
    }

    fn end_span(&self, side: End) -> Span {
        let live = self.live();
        match side {
            End::Left => span_at(live, 0),
            End::Right => span_before(live, live.len()),
        }
    }

    /// Free bytes on `side` of the live region.
    fn room(&self, side: End) -> usize {
        match side {
            End::Left => self.start,
            End::Right => self.buf.len() - self.end,
        }
    }

    /// Makes `need` free bytes on `side`, or says the entry belongs in a new node.
    fn make_room(&mut self, side: End, need: usize) -> bool {
        let want = self.live_len() + need;
        let cap = self.buf.len();
        if want > NODE_BYTES {
            return false;
        }
        if want <= cap - cap / 4 {
            // Enough space, on the wrong side: move the data. At least a quarter of the
            // buffer ends up free on `side`, so moves cost O(1) bytes per byte pushed.
            let live = self.live_len();
            let to = match side {
                End::Left => cap - live,
                End::Right => 0,
            };
            self.buf.own().copy_within(self.start..self.end, to);
            self.start = to;
            self.end = to + live;
            return true;
        }
        if cap >= NODE_BYTES {
            // Over 3/4 full: a new node costs less than moving 6 KiB for each few pushes
            // (a queue fed at one end and drained at the other would do just that).
            return false;
        }
        self.relocate((cap * 2).min(NODE_BYTES).max(want), side);
        true
    }

    /// Moves the live bytes into a fresh buffer of `cap` bytes, all free space on `side`.
    fn relocate(&mut self, cap: usize, side: End) {
        let live = self.live_len();
        let mut buf = vec![0u8; cap].into_boxed_slice();
        let at = match side {
            End::Left => cap - live,
            End::Right => 0,
        };
        buf[at..at + live].copy_from_slice(self.live());
        self.buf = Buf::Own(buf);
        self.start = at;
        self.end = at + live;
    }

    /// Returns memory as the node drains, so an emptied queue does not keep 8 KiB.
    fn maybe_shrink(&mut self, side: End) {
        let cap = self.buf.len();
        let live = self.live_len();
        if cap > SHRINK_MIN_CAP && live * 4 < cap {
            self.relocate((live * 2).max(MIN_NODE_CAP), side);
        }
    }

    /// Appends `elem` on `side`; the caller has made `need` bytes of room there.
    fn push(&mut self, side: End, elem: &[u8], need: usize) {
        let at = match side {
            End::Left => {
                self.start -= need;
                self.start
            }
            End::Right => {
                self.end += need;
                self.end - need
            }
        };
        encode_into(&mut self.buf.own()[at..at + need], elem);
        self.count += 1;
    }

    fn pop(&mut self, side: End) -> Vec<u8> {
        // One look at the buffer (owned or shared) for both the span and the bytes.
        let live = self.live();
        let s = match side {
            End::Left => span_at(live, 0),
            End::Right => span_before(live, live.len()),
        };
        let out = live[s.data..s.data_end].to_vec();
        match side {
            End::Left => self.start += s.end,
            End::Right => self.end = self.start + s.start,
        }
        self.count -= 1;
        out
    }

    /// Drops `n` (< count) entries on `side` without copying anything.
    fn drop_entries(&mut self, side: End, n: usize) {
        match side {
            End::Left => {
                let cut = self.spans().nth(n - 1).map_or(0, |s| s.end);
                self.start += cut;
            }
            End::Right => {
                let keep = self
                    .spans()
                    .rev()
                    .nth(n - 1)
                    .map_or(self.live_len(), |s| s.start);
                self.end = self.start + keep;
            }
        }
        self.count -= n;
    }

    /// Removes up to `max` entries equal to `elem`, the first ones from the head or the
    /// tail, and returns how many went. The node is rebuilt to exact size if any did.
    fn remove_matches(&mut self, elem: &[u8], max: usize, from_tail: bool) -> usize {
        let mut cuts: Vec<Range<usize>> = Vec::new();
        let live = self.live();
        let mut matching = self.spans().filter(|s| &live[s.data..s.data_end] == elem);
        if from_tail {
            cuts.extend(matching.rev().take(max).map(|s| s.start..s.end));
            cuts.reverse();
        } else {
            cuts.extend(matching.by_ref().take(max).map(|s| s.start..s.end));
        }
        if cuts.is_empty() {
            return 0;
        }
        let cut_bytes: usize = cuts.iter().map(ExactSizeIterator::len).sum();
        let mut kept = Vec::with_capacity(live.len() - cut_bytes);
        let mut at = 0;
        for c in &cuts {
            kept.extend_from_slice(&live[at..c.start]);
            at = c.end;
        }
        kept.extend_from_slice(&live[at..]);
        *self = Node::from_live(kept, self.count - cuts.len());
        cuts.len()
    }
}

/// Packs entries into nodes of about equal size, none over `NODE_BYTES` unless it holds
/// one oversized entry. `total` is their encoded size. Half-full nodes after a split
/// leave room for the next LINSERT there, as B-tree splits do.
fn pack<'a>(entries: impl Iterator<Item = &'a [u8]>, total: usize) -> Vec<Node> {
    let parts = total.div_ceil(NODE_BYTES).max(1);
    let target = total.div_ceil(parts);
    let mut nodes = Vec::with_capacity(parts + 1);
    let mut buf = Vec::with_capacity(target.min(NODE_BYTES));
    let mut count = 0;
    for e in entries {
        let need = encoded_len(e.len());
        if count > 0 && (buf.len() + need > NODE_BYTES || buf.len() >= target) {
            nodes.push(Node::from_live(std::mem::take(&mut buf), count));
            count = 0;
        }
        let at = buf.len();
        buf.resize(at + need, 0);
        encode_into(&mut buf[at..], e);
        count += 1;
    }
    if count > 0 {
        nodes.push(Node::from_live(buf, count));
    }
    nodes
}

/// `index` as a position in a list of `len`, Redis style (negative counts from the tail).
fn normalize(index: i64, len: usize) -> Option<usize> {
    let len = i128::try_from(len).ok()?;
    let i = if index < 0 {
        i128::from(index) + len
    } else {
        i128::from(index)
    };
    if (0..len).contains(&i) {
        usize::try_from(i).ok()
    } else {
        None
    }
}

/// `start..=stop` clamped as LRANGE and LTRIM do (`addListRangeReply`, `ltrimCommand` in
/// redis `src/t_list.c`): the first index and the number of elements, or `None` for an
/// empty range.
fn clamp_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let n = i128::try_from(len).ok()?;
    let mut s = i128::from(start);
    let mut e = i128::from(stop);
    if s < 0 {
        s += n;
    }
    if e < 0 {
        e += n;
    }
    s = s.max(0);
    if s > e || s >= n {
        return None;
    }
    e = e.min(n - 1);
    Some((usize::try_from(s).ok()?, usize::try_from(e - s + 1).ok()?))
}

impl List {
    /// An empty list; allocates nothing until the first push.
    #[must_use]
    pub fn new() -> List {
        List::default()
    }

    /// Number of elements (LLEN).
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the list has no element (Redis then deletes the key).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `elem` at `end` (LPUSH / RPUSH of one element).
    pub fn push(&mut self, end: End, elem: &[u8]) {
        let need = encoded_len(elem.len());
        let edge = match end {
            End::Left => self.nodes.front_mut(),
            End::Right => self.nodes.back_mut(),
        };
        let mut cap = initial_cap(need);
        if let Some(node) = edge {
            let before = node.buf.heap_bytes();
            if node.room(end) >= need || node.make_room(end, need) {
                node.push(end, elem, need);
                self.heap = self.heap - before + node.buf.heap_bytes();
                self.len += 1;
                return;
            }
            // The edge node is full, so the list already holds several KiB: start the
            // new node at full size rather than regrow it (and copy) seven times.
            cap = cap.max(NODE_BYTES);
        }
        let node = Node::with_entry(elem, need, cap, end);
        let spine = self.spine_bytes();
        self.heap += node.buf.heap_bytes();
        if self.nodes.capacity() == 0 {
            // A one-node list is the common case: no room for four.
            self.nodes.reserve_exact(1);
        }
        match end {
            End::Left => self.nodes.push_front(node),
            End::Right => self.nodes.push_back(node),
        }
        self.heap = self.heap - spine + self.spine_bytes();
        self.len += 1;
    }

    /// Removes and returns the element at `end` (LPOP / RPOP); `None` if empty.
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        let alone = self.nodes.len() == 1;
        let node = match end {
            End::Left => self.nodes.front_mut()?,
            End::Right => self.nodes.back_mut()?,
        };
        let before = node.buf.heap_bytes();
        let out = node.pop(end);
        self.len -= 1;
        if node.count == 0 {
            let spine = self.spine_bytes();
            self.drop_edge_node(end);
            self.heap = self.heap - before - spine + self.spine_bytes();
        } else if alone {
            // Only a lone node is shrunk: an edge node of a longer list is about to be
            // dropped whole, and copying it on the way would tax every pop of a drain.
            node.maybe_shrink(end);
            self.heap = self.heap - before + node.buf.heap_bytes();
        }
        Some(out)
    }

    /// The element at `end` without removing it; `None` if empty.
    #[must_use]
    pub fn peek(&self, end: End) -> Option<&[u8]> {
        let node = match end {
            End::Left => self.nodes.front()?,
            End::Right => self.nodes.back()?,
        };
        Some(node.data(node.end_span(end)))
    }

    /// The element at `index` (LINDEX); negative counts from the tail; `None` if out of
    /// range.
    #[must_use]
    pub fn index(&self, index: i64) -> Option<&[u8]> {
        let (ni, k) = self.locate(normalize(index, self.len)?)?;
        let node = &self.nodes[ni];
        Some(node.data(node.span_of(k)?))
    }

    /// Replaces the element at `index` (LSET). Returns false, changing nothing, if the
    /// index is out of range (Redis answers `ERR index out of range`).
    pub fn set(&mut self, index: i64, elem: &[u8]) -> bool {
        let Some((ni, k)) = normalize(index, self.len).and_then(|i| self.locate(i)) else {
            return false;
        };
        let node = &mut self.nodes[ni];
        let Some(s) = node.span_of(k) else {
            return false;
        };
        if s.data_end - s.data == elem.len() {
            // Same length, same encoding: overwrite in place.
            let at = node.start + s.data;
            node.buf.bytes_mut()[at..at + elem.len()].copy_from_slice(elem);
        } else {
            self.splice(ni, s.start..s.end, 1, elem);
        }
        self.recount();
        true
    }

    /// The elements from `start` to `stop` inclusive (LRANGE), clamped as Redis does:
    /// negative indexes count from the tail, an empty range gives an empty vector.
    #[must_use]
    pub fn range(&self, start: i64, stop: i64) -> Vec<Vec<u8>> {
        let Some((first, n)) = clamp_range(start, stop, self.len) else {
            return Vec::new();
        };
        let Some((ni, k)) = self.locate(first) else {
            return Vec::new();
        };
        let node = &self.nodes[ni];
        let from = node.span_of(k).map_or(node.live_len(), |s| s.start);
        let mut out = Vec::with_capacity(n);
        out.extend(
            Entries::new(&node.live()[from..])
                .chain(self.nodes.range(ni + 1..).flat_map(Node::entries))
                .take(n)
                .map(<[u8]>::to_vec),
        );
        out
    }

    /// Inserts `elem` before or after the first element equal to `pivot`, from the head
    /// (LINSERT). Returns false, changing nothing, if there is no such element.
    pub fn insert(&mut self, before: bool, pivot: &[u8], elem: &[u8]) -> bool {
        for ni in 0..self.nodes.len() {
            let node = &self.nodes[ni];
            if let Some(s) = node.spans().find(|&s| node.data(s) == pivot) {
                let at = if before { s.start } else { s.end };
                self.splice(ni, at..at, 0, elem);
                self.len += 1;
                self.recount();
                return true;
            }
        }
        false
    }

    /// Removes elements equal to `elem` (LREM): the first `count` from the head if
    /// `count > 0`, the last `-count` from the tail if `count < 0`, all if 0. Returns how
    /// many were removed. Only nodes holding a removed element are rebuilt.
    pub fn remove(&mut self, count: i64, elem: &[u8]) -> usize {
        let from_tail = count < 0;
        let mut left = if count == 0 {
            usize::MAX
        } else {
            usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX)
        };
        let n = self.nodes.len();
        let mut removed = 0;
        for k in 0..n {
            if left == 0 {
                break;
            }
            let ni = if from_tail { n - 1 - k } else { k };
            let r = self.nodes[ni].remove_matches(elem, left, from_tail);
            left -= r;
            removed += r;
        }
        if removed > 0 {
            self.len -= removed;
            // One pass for all emptied nodes: removing them one by one would be quadratic.
            self.nodes.retain(|node| node.count > 0);
            self.shrink_spine();
            self.recount();
        }
        removed
    }

    /// Keeps only the elements from `start` to `stop` inclusive (LTRIM), with LRANGE's
    /// clamping; an empty range empties the list. Whole nodes are dropped and edge nodes
    /// cut in place, so `LPUSH` + `LTRIM 0 999` (a capped list) stays O(1) per call.
    pub fn trim(&mut self, start: i64, stop: i64) {
        let Some((first, n)) = clamp_range(start, stop, self.len) else {
            self.nodes = VecDeque::new();
            self.len = 0;
            self.heap = 0;
            return;
        };
        let tail = self.len - first - n;
        self.drop_from(End::Left, first);
        self.drop_from(End::Right, tail);
    }

    /// LPOS: the indexes (counted from the head, as Redis replies) of elements equal to
    /// `elem`. `rank` picks the first match to report, counted from the head if positive
    /// and from the tail if negative (0 is taken as 1; the command layer rejects it);
    /// `count` caps the matches reported (0 = all); `maxlen` caps the elements compared
    /// (0 = all). Mirrors `lposCommand` in redis `src/t_list.c`.
    #[must_use]
    pub fn positions(&self, elem: &[u8], rank: i64, count: usize, maxlen: usize) -> Vec<usize> {
        let skip = rank.unsigned_abs().max(1) - 1;
        let limit = if maxlen == 0 {
            self.len
        } else {
            maxlen.min(self.len)
        };
        let mut out = Vec::new();
        let mut seen: u64 = 0;
        let mut scan = |i: usize, e: &[u8]| {
            if e == elem {
                seen += 1;
                if seen > skip {
                    out.push(i);
                    return count != 0 && out.len() >= count;
                }
            }
            false
        };
        if rank >= 0 {
            for (i, e) in self.iter().enumerate().take(limit) {
                if scan(i, e) {
                    break;
                }
            }
        } else {
            for (k, e) in self.iter().rev().enumerate().take(limit) {
                if scan(self.len - 1 - k, e) {
                    break;
                }
            }
        }
        out
    }

    /// A copy of the list that shares every node buffer with it, copying no element: the
    /// snapshot's copy, taken under the keyspace lock (`Snapshot::capture` in
    /// `persist/snapshot.rs`). O(nodes): a refcount per node, plus one small allocation
    /// per node not yet shared. Needs `&mut self` because sharing a buffer moves it into
    /// an `Arc`; nothing observable changes. Either list copies a shared node the first
    /// time it writes into it while the other still holds it (pops and trims never do).
    #[must_use]
    pub fn clone_shared(&mut self) -> List {
        let mut nodes = VecDeque::with_capacity(self.nodes.len());
        nodes.extend(self.nodes.iter_mut().map(|n| Node {
            buf: n.buf.share(),
            ..*n
        }));
        self.recount();
        let mut copy = List { nodes, len: self.len, heap: 0 };
        copy.recount();
        copy
    }

    /// The elements head to tail; `.rev()` gives tail to head.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + '_ {
        self.nodes.iter().flat_map(Node::entries)
    }

    /// Heap bytes held: node buffers (with the `Arc` of shared ones) plus the deque of
    /// node headers (for `used_memory` and MEMORY USAGE style reports; the allocator's own
    /// overhead is not counted, and a buffer shared with a clone counts in full for
    /// each). O(1): kept up to date by every change.
    #[must_use]
    pub fn allocated_bytes(&self) -> usize {
        self.heap
    }

    /// `allocated_bytes` recomputed by walking the nodes (O(len / 80) for 100-byte
    /// elements): what the kept count must always equal.
    #[must_use]
    pub fn counted_bytes(&self) -> usize {
        self.nodes.iter().map(|n| n.buf.heap_bytes()).sum::<usize>() + self.spine_bytes()
    }

    /// Heap bytes of the deque of node headers.
    fn spine_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
    }

    /// Sets the kept count from a walk, after a change too irregular to track (LSET,
    /// LINSERT, LREM: O(n) commands anyway).
    fn recount(&mut self) {
        self.heap = self.counted_bytes();
    }

    /// The node holding element `i` (< len) and its position inside it, walking node
    /// counts from the nearer end of the list.
    fn locate(&self, i: usize) -> Option<(usize, usize)> {
        if i < self.len / 2 {
            let mut rem = i;
            for (ni, node) in self.nodes.iter().enumerate() {
                if rem < node.count {
                    return Some((ni, rem));
                }
                rem -= node.count;
            }
        } else {
            let mut rem = self.len.checked_sub(i + 1)?;
            for (ni, node) in self.nodes.iter().enumerate().rev() {
                if rem < node.count {
                    return Some((ni, node.count - 1 - rem));
                }
                rem -= node.count;
            }
        }
        None
    }

    /// Replaces the bytes `cut` of node `ni`'s live region (one whole entry, `removed` = 1,
    /// or nothing) with `elem`; the node is rebuilt, and split if it outgrows `NODE_BYTES`.
    /// `self.len` is the caller's business.
    fn splice(&mut self, ni: usize, cut: Range<usize>, removed: usize, elem: &[u8]) {
        let node = &self.nodes[ni];
        let live = node.live();
        let need = encoded_len(elem.len());
        let total = live.len() - cut.len() + need;
        let count = node.count - removed + 1;
        if total <= NODE_BYTES || count == 1 {
            let mut buf = Vec::with_capacity(total);
            buf.extend_from_slice(&live[..cut.start]);
            let at = buf.len();
            buf.resize(at + need, 0);
            encode_into(&mut buf[at..], elem);
            buf.extend_from_slice(&live[cut.end..]);
            self.nodes[ni] = Node::from_live(buf, count);
            return;
        }
        let entries = Entries::new(&live[..cut.start])
            .chain(once(elem))
            .chain(Entries::new(&live[cut.end..]));
        let mut parts = pack(entries, total).into_iter();
        if let Some(first) = parts.next() {
            self.nodes[ni] = first;
        }
        for (k, part) in parts.enumerate() {
            self.nodes.insert(ni + 1 + k, part);
        }
    }

    /// Removes `n` (< len) elements at `end`: whole nodes first, then a cut in place.
    fn drop_from(&mut self, end: End, mut n: usize) {
        if n == 0 {
            return;
        }
        self.len -= n;
        let spine = self.spine_bytes();
        while n > 0 {
            let node = match end {
                End::Left => self.nodes.front_mut(),
                End::Right => self.nodes.back_mut(),
            };
            let Some(node) = node else { break };
            let before = node.buf.heap_bytes();
            if node.count <= n {
                n -= node.count;
                match end {
                    End::Left => self.nodes.pop_front(),
                    End::Right => self.nodes.pop_back(),
                };
                self.heap -= before;
            } else {
                node.drop_entries(end, n);
                self.heap = self.heap - before + node.buf.heap_bytes();
                n = 0;
            }
        }
        if self.nodes.len() == 1 {
            if let Some(node) = self.nodes.front_mut() {
                let before = node.buf.heap_bytes();
                node.maybe_shrink(end);
                self.heap = self.heap - before + node.buf.heap_bytes();
            }
        }
        self.shrink_spine();
        self.heap = self.heap - spine + self.spine_bytes();
    }

    fn drop_edge_node(&mut self, end: End) {
        match end {
            End::Left => self.nodes.pop_front(),
            End::Right => self.nodes.pop_back(),
        };
        self.shrink_spine();
    }

    /// Gives back the node deque's spare room once it is mostly unused, so a drained
    /// queue returns to (almost) nothing.
    fn shrink_spine(&mut self) {
        if self.nodes.is_empty() {
            self.nodes = VecDeque::new();
        } else if self.nodes.capacity() > 16 && self.nodes.len() * 4 < self.nodes.capacity() {
            self.nodes.shrink_to(self.nodes.len() * 2);
        }
    }
}

impl Clone for List {
    /// Copies the nodes; the kept byte count is recounted, as the copy's deque of node
    /// headers has a capacity of its own.
    fn clone(&self) -> List {
        let mut copy = List { nodes: self.nodes.clone(), len: self.len, heap: 0 };
        copy.recount();
        copy
    }
}

impl PartialEq for List {
    fn eq(&self, other: &List) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for List {}

impl fmt::Debug for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Checks every structural invariant the type relies on.
    fn check(list: &List) {
        let mut total = 0;
        for node in &list.nodes {
            assert!(node.count > 0, "empty node kept");
            assert!(node.start <= node.end && node.end <= node.buf.len());
            assert!(
                node.live_len() <= NODE_BYTES || node.count == 1,
                "overfull node"
            );
            assert_eq!(node.spans().count(), node.count);
            assert_eq!(node.spans().rev().count(), node.count);
            total += node.count;
        }
        assert_eq!(total, list.len);
        assert_eq!(list.heap, list.counted_bytes(), "kept heap count drifted");
    }

    fn list_of(items: &[&[u8]]) -> List {
        let mut l = List::new();
        for i in items {
            l.push(End::Right, i);
        }
        l
    }

    fn strs(v: &[Vec<u8>]) -> Vec<&str> {
        v.iter()
            .map(|e| std::str::from_utf8(e).unwrap_or("?"))
            .collect()
    }

    fn numbered(n: usize, size: usize) -> List {
        let mut l = List::new();
        for i in 0..n {
            l.push(End::Right, &elem_n(i, size));
        }
        l
    }

    fn elem_n(i: usize, size: usize) -> Vec<u8> {
        let mut e = format!("{i:08}").into_bytes();
        e.resize(size, b'.');
        e
    }

    fn all(l: &List) -> Vec<Vec<u8>> {
        l.iter().map(<[u8]>::to_vec).collect()
    }

    #[test]
    fn end_opposite_swaps() {
        assert_eq!(End::Left.opposite(), End::Right);
        assert_eq!(End::Right.opposite(), End::Left);
    }

    #[test]
    fn push_pop_both_ends_keep_order() {
        let mut l = List::new();
        assert!(l.is_empty());
        l.push(End::Right, b"b");
        l.push(End::Left, b"a");
        l.push(End::Right, b"c");
        assert_eq!(l.len(), 3);
        assert_eq!(strs(&all(&l)), ["a", "b", "c"]);
        assert_eq!(l.peek(End::Left), Some(&b"a"[..]));
        assert_eq!(l.peek(End::Right), Some(&b"c"[..]));
        assert_eq!(l.pop(End::Left).as_deref(), Some(&b"a"[..]));
        assert_eq!(l.pop(End::Right).as_deref(), Some(&b"c"[..]));
        assert_eq!(l.pop(End::Right).as_deref(), Some(&b"b"[..]));
        assert_eq!(l.pop(End::Left), None);
        assert_eq!(l.peek(End::Right), None);
        assert_eq!(l.allocated_bytes(), 0);
        check(&l);
    }

    #[test]
    fn fifo_through_many_nodes() {
        let mut l = List::new();
        for i in 0..10_000 {
            l.push(End::Left, &elem_n(i, 100));
        }
        assert!(l.nodes.len() > 100);
        check(&l);
        for i in 0..10_000 {
            assert_eq!(l.pop(End::Right), Some(elem_n(i, 100)));
        }
        assert!(l.is_empty());
    }

    #[test]
    fn steady_queue_keeps_order_and_bounded_memory() {
        // LPUSH + RPOP with a backlog: the front node refills while the back one drains;
        // one node when the backlog is small, several when it is not.
        for backlog in [3usize, 70, 75, 500] {
            let mut l = List::new();
            for i in 0..backlog {
                l.push(End::Left, &elem_n(i, 100));
            }
            let mut peak = 0;
            for i in backlog..backlog + 5000 {
                l.push(End::Left, &elem_n(i, 100));
                assert_eq!(l.pop(End::Right), Some(elem_n(i - backlog, 100)));
                peak = peak.max(l.allocated_bytes());
            }
            check(&l);
            assert_eq!(l.len(), backlog);
            let data = backlog * 102;
            assert!(
                peak <= 2 * data + 3 * NODE_BYTES,
                "backlog {backlog}: peak {peak}"
            );
        }
    }

    #[test]
    fn alternating_ends_on_one_node() {
        let mut l = List::new();
        let mut m = VecDeque::new();
        for i in 0..3000 {
            let e = elem_n(i, 90);
            if i % 2 == 0 {
                l.push(End::Left, &e);
                m.push_front(e);
            } else {
                l.push(End::Right, &e);
                m.push_back(e);
            }
            if i % 3 == 0 {
                assert_eq!(l.pop(End::Left), m.pop_front());
            }
        }
        check(&l);
        assert!(l.iter().eq(m.iter().map(Vec::as_slice)));
    }

    #[test]
    fn iter_runs_both_ways() {
        let l = numbered(500, 50);
        let fwd: Vec<_> = l.iter().collect();
        let mut back: Vec<_> = l.iter().rev().collect();
        back.reverse();
        assert_eq!(fwd, back);
        assert_eq!(fwd.len(), 500);
        assert_eq!(fwd[123], &elem_n(123, 50)[..]);
        // Meeting in the middle from both ends yields each element once.
        let mut it = l.iter();
        let mut seen = 0;
        while let (Some(_), Some(_)) = (it.next(), it.next_back()) {
            seen += 2;
        }
        assert_eq!(seen, 500);
    }

    #[test]
    fn index_counts_from_either_end() {
        let l = numbered(1000, 100);
        assert_eq!(l.index(0), Some(&elem_n(0, 100)[..]));
        assert_eq!(l.index(999), Some(&elem_n(999, 100)[..]));
        assert_eq!(l.index(-1), Some(&elem_n(999, 100)[..]));
        assert_eq!(l.index(-1000), Some(&elem_n(0, 100)[..]));
        assert_eq!(l.index(517), Some(&elem_n(517, 100)[..]));
        assert_eq!(l.index(-483), Some(&elem_n(517, 100)[..]));
        assert_eq!(l.index(1000), None);
        assert_eq!(l.index(-1001), None);
        assert_eq!(l.index(i64::MAX), None);
        assert_eq!(l.index(i64::MIN), None);
        assert_eq!(List::new().index(0), None);
        assert_eq!(List::new().index(-1), None);
    }

    #[test]
    fn set_out_of_range_changes_nothing() {
        let mut l = list_of(&[b"a", b"b"]);
        assert!(!l.set(2, b"x"));
        assert!(!l.set(-3, b"x"));
        assert!(!l.set(i64::MIN, b"x"));
        assert!(!l.set(i64::MAX, b"x"));
        assert!(!List::new().set(0, b"x"));
        assert_eq!(strs(&all(&l)), ["a", "b"]);
    }

    #[test]
    fn set_replaces_same_and_other_sizes() {
        let mut l = list_of(&[b"a", b"b", b"c"]);
        assert!(l.set(1, b"B"));
        assert!(l.set(-1, b"a longer value"));
        assert!(l.set(0, b""));
        assert_eq!(strs(&all(&l)), ["", "B", "a longer value"]);
        check(&l);
    }

    #[test]
    fn set_that_overfills_a_node_splits_it() {
        let mut l = numbered(300, 100);
        let nodes = l.nodes.len();
        assert!(l.set(40, &[7u8; 3000]));
        assert!(l.set(-5, &vec![9u8; 20_000]));
        check(&l);
        assert!(l.nodes.len() > nodes);
        assert_eq!(l.index(40), Some(&[7u8; 3000][..]));
        assert_eq!(l.index(295), Some(&vec![9u8; 20_000][..]));
        assert_eq!(l.index(41), Some(&elem_n(41, 100)[..]));
        assert_eq!(l.len(), 300);
        // And back to small: the oversized node shrinks to a normal one.
        assert!(l.set(295, b"small"));
        check(&l);
        assert_eq!(l.index(-5), Some(&b"small"[..]));
    }

    #[test]
    fn range_clamps_like_redis() {
        let l = list_of(&[b"0", b"1", b"2", b"3", b"4", b"5"]);
        assert_eq!(strs(&l.range(0, -1)), ["0", "1", "2", "3", "4", "5"]);
        assert_eq!(strs(&l.range(-100, 100)), ["0", "1", "2", "3", "4", "5"]);
        assert_eq!(
            strs(&l.range(i64::MIN, i64::MAX)),
            ["0", "1", "2", "3", "4", "5"]
        );
        assert_eq!(strs(&l.range(0, 0)), ["0"]);
        assert_eq!(strs(&l.range(-3, -1)), ["3", "4", "5"]);
        assert_eq!(strs(&l.range(4, 100)), ["4", "5"]);
        assert_eq!(strs(&l.range(-100, 1)), ["0", "1"]);
        assert!(l.range(3, 2).is_empty());
        assert!(l.range(6, 10).is_empty());
        assert!(l.range(-1, -2).is_empty());
        assert!(l.range(0, -7).is_empty());
        assert!(l.range(i64::MAX, i64::MAX).is_empty());
        assert!(l.range(i64::MIN, i64::MIN).is_empty());
        assert!(List::new().range(0, -1).is_empty());
    }

    #[test]
    fn range_across_nodes_from_either_end() {
        let l = numbered(2000, 100);
        let want: Vec<_> = (100..1900).map(|i| elem_n(i, 100)).collect();
        assert_eq!(l.range(100, 1899), want);
        let tail: Vec<_> = (1990..2000).map(|i| elem_n(i, 100)).collect();
        assert_eq!(l.range(-10, -1), tail);
        assert_eq!(l.range(1999, 5000), vec![elem_n(1999, 100)]);
    }

    #[test]
    fn trim_like_redis() {
        let base: [&[u8]; 5] = [b"0", b"1", b"2", b"3", b"4"];
        let trimmed = |s: i64, e: i64| {
            let mut l = list_of(&base);
            l.trim(s, e);
            check(&l);
            strs(&all(&l))
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(trimmed(1, -1), ["1", "2", "3", "4"]);
        assert_eq!(trimmed(0, -1), ["0", "1", "2", "3", "4"]);
        assert_eq!(trimmed(-2, 100), ["3", "4"]);
        assert_eq!(trimmed(-100, 0), ["0"]);
        assert_eq!(trimmed(1, 1), ["1"]);
        assert!(trimmed(3, 2).is_empty());
        assert!(trimmed(5, 10).is_empty());
        assert!(trimmed(0, -6).is_empty());
        assert!(trimmed(i64::MAX, i64::MIN).is_empty());
        assert_eq!(trimmed(i64::MIN, i64::MAX).len(), 5);
        let mut empty = List::new();
        empty.trim(0, -1);
        assert!(empty.is_empty());
        let mut l = list_of(&base);
        l.trim(9, 0);
        assert_eq!(l.allocated_bytes(), 0);
    }

    #[test]
    fn trim_drops_whole_nodes() {
        let mut l = numbered(10_000, 100);
        let before = l.allocated_bytes();
        l.trim(5000, 5099);
        check(&l);
        assert_eq!(l.len(), 100);
        assert!(l.nodes.len() <= 3, "{} nodes left", l.nodes.len());
        assert!(
            l.allocated_bytes() < before / 20,
            "{} bytes left",
            l.allocated_bytes()
        );
        let want: Vec<_> = (5000..5100).map(|i| elem_n(i, 100)).collect();
        assert_eq!(all(&l), want);
    }

    #[test]
    fn capped_list_stays_bounded() {
        // LPUSH + LTRIM 0 99 on every write: the capped-list pattern.
        let mut l = List::new();
        let mut peak = 0;
        for i in 0..20_000 {
            l.push(End::Left, &elem_n(i, 100));
            l.trim(0, 99);
            peak = peak.max(l.allocated_bytes());
        }
        check(&l);
        assert_eq!(l.len(), 100);
        assert_eq!(l.index(0), Some(&elem_n(19_999, 100)[..]));
        assert_eq!(l.index(-1), Some(&elem_n(19_900, 100)[..]));
        assert!(peak < 4 * NODE_BYTES, "peak {peak}");
    }

    #[test]
    fn insert_before_and_after_first_pivot() {
        let mut l = list_of(&[b"a", b"p", b"b", b"p"]);
        assert!(l.insert(true, b"p", b"x"));
        assert!(l.insert(false, b"p", b"y"));
        assert_eq!(strs(&all(&l)), ["a", "x", "p", "y", "b", "p"]);
        assert!(l.insert(false, b"p", b""));
        assert_eq!(strs(&all(&l)), ["a", "x", "p", "", "y", "b", "p"]);
        assert!(!l.insert(true, b"missing", b"z"));
        assert_eq!(l.len(), 7);
        assert!(!List::new().insert(true, b"a", b"b"));
        check(&l);
    }

    #[test]
    fn insert_into_full_node_splits_it() {
        let mut l = numbered(80, 100);
        assert_eq!(l.nodes.len(), 1);
        let pivot = elem_n(40, 100);
        assert!(l.insert(true, &pivot, b"new"));
        assert!(l.insert(false, &pivot, &vec![5u8; 50_000]));
        check(&l);
        assert!(l.nodes.len() >= 3);
        assert_eq!(l.index(40), Some(&b"new"[..]));
        assert_eq!(l.index(41), Some(&pivot[..]));
        assert_eq!(l.index(42), Some(&vec![5u8; 50_000][..]));
        assert_eq!(l.index(43), Some(&elem_n(41, 100)[..]));
        assert_eq!(l.len(), 82);
    }

    #[test]
    fn lrem_counts_from_head_tail_or_all() {
        let build = || list_of(&[b"x", b"a", b"x", b"b", b"x", b"x"]);
        let mut l = build();
        assert_eq!(l.remove(2, b"x"), 2);
        assert_eq!(strs(&all(&l)), ["a", "b", "x", "x"]);
        let mut l = build();
        assert_eq!(l.remove(-3, b"x"), 3);
        assert_eq!(strs(&all(&l)), ["x", "a", "b"]);
        let mut l = build();
        assert_eq!(l.remove(0, b"x"), 4);
        assert_eq!(strs(&all(&l)), ["a", "b"]);
        let mut l = build();
        assert_eq!(l.remove(i64::MIN, b"x"), 4);
        assert_eq!(l.remove(i64::MAX, b"nope"), 0);
        assert_eq!(l.len(), 2);
        check(&l);
    }

    #[test]
    fn lrem_drops_emptied_nodes() {
        let mut l = List::new();
        for i in 0..5000 {
            l.push(
                End::Right,
                if i % 1000 == 999 {
                    b"keep"
                } else {
                    &[b'z'; 100]
                },
            );
        }
        assert_eq!(l.remove(0, &[b'z'; 100]), 4995);
        check(&l);
        assert_eq!(l.len(), 5);
        assert!(l.nodes.len() <= 5);
        assert!(l.allocated_bytes() < 1000, "{}", l.allocated_bytes());
        assert_eq!(l.remove(0, b"keep"), 5);
        assert!(l.is_empty());
        assert_eq!(l.allocated_bytes(), 0);
    }

    #[test]
    fn lpos_finds_first_match() {
        let l = list_of(&[b"a", b"b", b"c", b"1", b"2", b"3", b"c", b"c"]);
        assert_eq!(l.positions(b"c", 1, 1, 0), [2]);
        assert_eq!(l.positions(b"zz", 1, 1, 0), Vec::<usize>::new());
        assert_eq!(l.positions(b"c", 1, 0, 0), [2, 6, 7]);
    }

    #[test]
    fn lpos_rank_skips_matches() {
        let l = list_of(&[b"a", b"b", b"c", b"1", b"2", b"3", b"c", b"c"]);
        assert_eq!(l.positions(b"c", 2, 1, 0), [6]);
        assert_eq!(l.positions(b"c", 2, 0, 0), [6, 7]);
        assert!(l.positions(b"c", 4, 0, 0).is_empty());
        assert!(l.positions(b"c", i64::MAX, 0, 0).is_empty());
    }

    #[test]
    fn lpos_negative_rank_scans_from_tail() {
        let l = list_of(&[b"a", b"b", b"c", b"1", b"2", b"3", b"c", b"c"]);
        assert_eq!(l.positions(b"c", -1, 1, 0), [7]);
        assert_eq!(l.positions(b"c", -1, 2, 0), [7, 6]);
        assert_eq!(l.positions(b"c", -2, 0, 0), [6, 2]);
        assert!(l.positions(b"c", i64::MIN, 0, 0).is_empty());
    }

    #[test]
    fn lpos_maxlen_limits_comparisons() {
        let l = list_of(&[b"a", b"b", b"c", b"1", b"2", b"3", b"c", b"c"]);
        assert_eq!(l.positions(b"c", 1, 0, 3), [2]);
        assert!(l.positions(b"c", 1, 0, 2).is_empty());
        assert_eq!(l.positions(b"c", -1, 0, 2), [7, 6]);
        assert_eq!(l.positions(b"c", -1, 0, 1), [7]);
        assert_eq!(l.positions(b"c", 1, 0, usize::MAX), [2, 6, 7]);
    }

    #[test]
    fn varint_boundaries_round_trip() {
        let sizes = [
            0,
            1,
            127,
            128,
            129,
            16_383,
            16_384,
            70_000,
            NODE_BYTES - 4,
            NODE_BYTES,
        ];
        let mut l = List::new();
        for (k, &n) in sizes.iter().enumerate() {
            let e = vec![u8::try_from(k).unwrap_or(0); n];
            l.push(if k % 2 == 0 { End::Left } else { End::Right }, &e);
            assert_eq!(encoded_len(n), n + 2 * varint_len(n));
        }
        check(&l);
        for (k, &n) in sizes.iter().enumerate().rev() {
            let e = vec![u8::try_from(k).unwrap_or(0); n];
            let end = if k % 2 == 0 { End::Left } else { End::Right };
            assert_eq!(l.pop(end), Some(e));
        }
        assert!(l.is_empty());
    }

    #[test]
    fn a_one_element_list_stays_small() {
        let mut l = List::new();
        l.push(End::Right, b"job:42");
        assert!(l.allocated_bytes() <= 64, "{}", l.allocated_bytes());
        let mut l = List::new();
        l.push(End::Left, &[1u8; 100]);
        assert!(l.allocated_bytes() <= 128 + 40, "{}", l.allocated_bytes());
    }

    #[test]
    fn huge_elements_get_their_own_node() {
        let mut l = List::new();
        l.push(End::Right, b"a");
        l.push(End::Right, &vec![3u8; 100_000]);
        l.push(End::Right, b"b");
        l.push(End::Left, &[4u8; 9000]);
        check(&l);
        assert_eq!(l.nodes.len(), 4);
        assert_eq!(l.index(2), Some(&vec![3u8; 100_000][..]));
        assert_eq!(l.pop(End::Left), Some(vec![4u8; 9000]));
        assert_eq!(l.range(1, 1), vec![vec![3u8; 100_000]]);
    }

    #[test]
    fn nothing_panics_on_extreme_arguments() {
        for mut l in [List::new(), list_of(&[b"a"]), numbered(300, 100)] {
            for i in [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX] {
                let _ = l.index(i);
                let _ = l.range(i, i64::MAX);
                let _ = l.range(i64::MIN, i);
                let _ = l.positions(b"a", i, 0, 0);
                let _ = l.positions(b"a", i, usize::MAX, usize::MAX);
                let _ = l.set(i, b"z");
                let _ = l.remove(i, b"q");
                check(&l);
            }
            l.trim(i64::MIN, i64::MAX);
            l.trim(i64::MAX, i64::MIN);
            assert!(l.is_empty());
            assert_eq!(l.pop(End::Left), None);
        }
    }

    #[test]
    fn draining_returns_memory() {
        let mut l = numbered(100_000, 100);
        for _ in 0..99_990 {
            l.pop(End::Left);
        }
        check(&l);
        // Shrinking keeps a node's buffer within 4x its live bytes (10 x 102 here), and
        // the node deque within 4x its length (or 16 slots).
        let bound = 4 * 10 * 102 + 16 * std::mem::size_of::<Node>();
        assert!(
            l.allocated_bytes() <= bound,
            "{} > {bound}",
            l.allocated_bytes()
        );
        while l.pop(End::Right).is_some() {}
        assert_eq!(l.allocated_bytes(), 0);
    }

    #[test]
    fn equality_and_debug_look_at_elements() {
        let mut a = list_of(&[b"a", b"b"]);
        let mut b = List::new();
        b.push(End::Left, b"b");
        b.push(End::Left, b"a");
        assert_eq!(a, b);
        assert_eq!(format!("{a:?}"), r#"["a", "b"]"#);
        a.pop(End::Left);
        assert_ne!(a, b);
        assert_eq!(a.clone(), a);
    }

    /// Bytes of a list's owned buffers (for a copy: the bytes it copied rather than shared).
    fn owned_bytes(l: &List) -> usize {
        l.nodes
            .iter()
            .map(|n| match &n.buf {
                Buf::Own(b) => b.len(),
                Buf::Shared(_) => 0,
            })
            .sum()
    }

    /// Nodes of `a` and `b` at the same position that share one buffer.
    fn shared_nodes(a: &List, b: &List) -> usize {
        a.nodes
            .iter()
            .zip(&b.nodes)
            .filter(|(x, y)| match (&x.buf, &y.buf) {
                (Buf::Shared(x), Buf::Shared(y)) => Arc::ptr_eq(x, y),
                _ => false,
            })
            .count()
    }

    #[test]
    fn clone_shared_copies_no_buffer() {
        let mut l = numbered(100_000, 100);
        for i in 0..1000 {
            l.push(End::Left, &elem_n(i, 100));
        }
        let nodes = l.nodes.len();
        assert!(nodes > 1000, "{nodes}");
        let c = l.clone_shared();
        check(&c);
        assert_eq!(owned_bytes(&c), 0);
        assert_eq!(owned_bytes(&l), 0);
        assert_eq!(shared_nodes(&l, &c), nodes);
        assert_eq!(c, l);
        // A plain clone of a shared list shares too; of an owned one, copies.
        assert_eq!(shared_nodes(&l, &l.clone()), nodes);
        assert_eq!(
            owned_bytes(&numbered(1000, 100).clone()),
            owned_bytes(&numbered(1000, 100))
        );
        // Once the copy is gone, pushes take their node back without copying it.
        drop(c);
        l.push(End::Left, b"x");
        l.push(End::Right, b"y");
        let first = &l.nodes[0].buf;
        assert!(matches!(first, Buf::Own(_)));
        assert!(l.allocated_bytes() < 110 * l.len());
    }

    #[test]
    fn writes_after_clone_shared_copy_only_the_nodes_they_touch() {
        let mut l = numbered(20_000, 100);
        let c = l.clone_shared();
        let before = all(&c);
        // Pops and trims move windows; pushes take the edge nodes back; LSET, LINSERT and
        // LREM copy the one node they change.
        assert_eq!(l.pop(End::Left), Some(elem_n(0, 100)));
        assert_eq!(l.pop(End::Right), Some(elem_n(19_999, 100)));
        l.trim(5, -6);
        let shared_after_drops = shared_nodes(&l, &c);
        l.push(End::Left, b"left");
        l.push(End::Right, b"right");
        assert!(l.set(9000, &[b'n'; 100]));
        assert!(l.set(9001, b"shorter"));
        assert!(l.insert(true, &elem_n(12_000, 100), b"inserted"));
        assert_eq!(l.remove(1, &elem_n(15_000, 100)), 1);
        check(&l);
        check(&c);
        assert_eq!(all(&c), before, "the clone saw a write");
        let n = l.nodes.len();
        assert!(n > 200);
        // Node positions shift by the LINSERT split, so count buffers shared anywhere.
        let theirs: Vec<&Arc<Box<[u8]>>> = c
            .nodes
            .iter()
            .filter_map(|n| match &n.buf {
                Buf::Shared(a) => Some(a),
                Buf::Own(_) => None,
            })
            .collect();
        let still_shared = l
            .nodes
            .iter()
            .filter(|n| match &n.buf {
                Buf::Shared(a) => theirs.iter().any(|t| Arc::ptr_eq(a, t)),
                Buf::Own(_) => false,
            })
            .count();
        assert!(shared_after_drops >= n - 2, "{shared_after_drops} of {n}");
        assert!(
            still_shared >= n - 6,
            "{still_shared} of {n} nodes still shared"
        );
        // And the other way round: writes to the clone leave the original alone.
        let mut c = c;
        let mine = all(&l);
        c.push(End::Left, b"c");
        assert!(c.set(-3000, b"c"));
        c.trim(0, 10);
        assert_eq!(all(&l), mine);
    }

    fn bytes_per_element(end: End) -> f64 {
        let mut l = List::new();
        let e = [b'm'; 100];
        for _ in 0..1_000_000 {
            l.push(end, &e);
        }
        assert_eq!(l.len(), 1_000_000);
        #[allow(clippy::cast_precision_loss)]
        let per = l.allocated_bytes() as f64 / l.len() as f64;
        for _ in 0..1_000_000 {
            assert!(l.pop(end.opposite()).is_some());
        }
        assert_eq!(l.allocated_bytes(), 0);
        per
    }

    #[test]
    fn memory_per_100_byte_element_pushed_right() {
        let per = bytes_per_element(End::Right);
        eprintln!("pushed right: {per:.2} bytes per 100-byte element");
        assert!(per <= 104.0, "{per} bytes per element");
    }

    #[test]
    fn memory_per_100_byte_element_pushed_left() {
        let per = bytes_per_element(End::Left);
        eprintln!("pushed left: {per:.2} bytes per 100-byte element");
        assert!(per <= 104.0, "{per} bytes per element");
    }

    /// Not a test: `cargo test --release -- --ignored --nocapture timing` prints ns per
    /// push and pop of 100-byte elements for List and for `VecDeque<Vec<u8>>`.
    #[test]
    #[ignore = "timing report, not a check"]
    fn timing_push_pop_vs_vecdeque() {
        use std::hint::black_box;
        use std::time::Instant;
        const N: usize = 1_000_000;
        let e = [b'q'; 100];
        #[allow(clippy::cast_precision_loss)]
        let ns = |t: Instant| t.elapsed().as_nanos() as f64 / N as f64;
        for (push_end, pop_end) in [(End::Right, End::Left), (End::Left, End::Right)] {
            let (mut lp, mut lq, mut vp, mut vq) = (f64::MAX, f64::MAX, f64::MAX, f64::MAX);
            for _ in 0..5 {
                let mut l = List::new();
                let t = Instant::now();
                for _ in 0..N {
                    l.push(push_end, black_box(&e));
                }
                lp = lp.min(ns(t));
                let t = Instant::now();
                for _ in 0..N {
                    black_box(l.pop(pop_end));
                }
                lq = lq.min(ns(t));

                let mut v: VecDeque<Vec<u8>> = VecDeque::new();
                let t = Instant::now();
                for _ in 0..N {
                    match push_end {
                        End::Left => v.push_front(black_box(&e).to_vec()),
                        End::Right => v.push_back(black_box(&e).to_vec()),
                    }
                }
                vp = vp.min(ns(t));
                let t = Instant::now();
                for _ in 0..N {
                    black_box(match pop_end {
                        End::Left => v.pop_front(),
                        End::Right => v.pop_back(),
                    });
                }
                vq = vq.min(ns(t));
            }
            eprintln!(
                "push {push_end:?} / pop {pop_end:?}, 1M x 100 B: List push {lp:.1} ns, pop {lq:.1} ns; \
                 VecDeque<Vec<u8>> push {vp:.1} ns, pop {vq:.1} ns"
            );
        }
        // Steady queue: one push, one pop, a backlog of 1000.
        for backlog in [10usize, 1000] {
            let mut l = List::new();
            let mut v: VecDeque<Vec<u8>> = VecDeque::new();
            for _ in 0..backlog {
                l.push(End::Left, &e);
                v.push_front(e.to_vec());
            }
            let t = Instant::now();
            for _ in 0..N {
                l.push(End::Left, black_box(&e));
                black_box(l.pop(End::Right));
            }
            let lq = ns(t);
            let t = Instant::now();
            for _ in 0..N {
                v.push_front(black_box(&e).to_vec());
                black_box(v.pop_back());
            }
            let vq = ns(t);
            eprintln!(
                "steady queue (backlog {backlog}), LPUSH+RPOP pair: List {lq:.1} ns, VecDeque<Vec<u8>> {vq:.1} ns"
            );
        }
    }

    // ---- model test ----------------------------------------------------------------

    #[derive(Debug, Clone)]
    enum Op {
        Push(End, Vec<u8>),
        PushMany(End, Vec<u8>, usize),
        Pop(End),
        Index(i64),
        Set(i64, Vec<u8>),
        Range(i64, i64),
        Insert(bool, Vec<u8>, Vec<u8>),
        Remove(i64, Vec<u8>),
        Trim(i64, i64),
        Positions(Vec<u8>, i64, usize, usize),
    }

    /// Elements from a small pool (so pivots and LREM/LPOS targets match), random bytes,
    /// and now and then one far over a node's size.
    fn elem() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            8 => (0u8..3, prop::sample::select(vec![0usize, 1, 7, 100, 127, 128, 299]))
                .prop_map(|(b, n)| vec![b; n]),
            3 => prop::collection::vec(any::<u8>(), 0..300),
            1 => (0u8..2, 10_000usize..10_300).prop_map(|(b, n)| vec![b; n]),
        ]
    }

    fn end() -> impl Strategy<Value = End> {
        prop_oneof![Just(End::Left), Just(End::Right)]
    }

    fn idx() -> impl Strategy<Value = i64> {
        prop_oneof![
            8 => -400i64..400,
            1 => any::<i64>(),
            1 => prop::sample::select(vec![i64::MIN, i64::MIN + 1, i64::MAX]),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            10 => (end(), elem()).prop_map(|(e, x)| Op::Push(e, x)),
            2 => (end(), elem(), 1usize..200).prop_map(|(e, x, n)| Op::PushMany(e, x, n)),
            6 => end().prop_map(Op::Pop),
            2 => idx().prop_map(Op::Index),
            3 => (idx(), elem()).prop_map(|(i, x)| Op::Set(i, x)),
            2 => (idx(), idx()).prop_map(|(a, b)| Op::Range(a, b)),
            3 => (any::<bool>(), elem(), elem()).prop_map(|(b, p, x)| Op::Insert(b, p, x)),
            2 => (prop_oneof![-5i64..5, any::<i64>()], elem()).prop_map(|(c, x)| Op::Remove(c, x)),
            1 => (idx(), idx()).prop_map(|(a, b)| Op::Trim(a, b)),
            2 => (elem(), prop_oneof![-4i64..5, any::<i64>()], 0usize..4, prop_oneof![Just(0usize), 0usize..400])
                .prop_map(|(x, r, c, m)| Op::Positions(x, r, c, m)),
        ]
    }

    /// Where `index` points in a list of `len`, negative counting from the tail; may be
    /// outside `0..len`.
    fn absolute(index: i64, len: usize) -> i128 {
        let len = i128::try_from(len).unwrap_or(i128::MAX);
        if index < 0 {
            len + i128::from(index)
        } else {
            i128::from(index)
        }
    }

    fn model_get(m: &VecDeque<Vec<u8>>, index: i64) -> Option<usize> {
        let i = absolute(index, m.len());
        (0..m.len()).find(|&p| i128::try_from(p).ok() == Some(i))
    }

    /// The positions LRANGE/LTRIM keep: every p with start <= p <= stop, both absolute.
    fn model_kept(len: usize, start: i64, stop: i64) -> Vec<usize> {
        let (s, e) = (absolute(start, len), absolute(stop, len));
        (0..len)
            .filter(|&p| {
                let p = i128::try_from(p).unwrap_or(i128::MAX);
                s <= p && p <= e
            })
            .collect()
    }

    /// Positions of `x`, in scan order (head first, or tail first).
    fn model_matches(m: &VecDeque<Vec<u8>>, x: &[u8], from_tail: bool) -> Vec<usize> {
        let mut v: Vec<usize> = (0..m.len()).filter(|&p| m[p] == x).collect();
        if from_tail {
            v.reverse();
        }
        v
    }

    fn apply(list: &mut List, model: &mut VecDeque<Vec<u8>>, op: &Op) {
        match op {
            Op::Push(e, x) => {
                list.push(*e, x);
                match e {
                    End::Left => model.push_front(x.clone()),
                    End::Right => model.push_back(x.clone()),
                }
            }
            Op::PushMany(e, x, n) => {
                for _ in 0..*n {
                    apply(list, model, &Op::Push(*e, x.clone()));
                }
            }
            Op::Pop(e) => {
                let want = match e {
                    End::Left => model.pop_front(),
                    End::Right => model.pop_back(),
                };
                assert_eq!(list.pop(*e), want);
            }
            Op::Index(i) => {
                assert_eq!(list.index(*i), model_get(model, *i).map(|p| &model[p][..]));
            }
            Op::Set(i, x) => {
                let p = model_get(model, *i);
                assert_eq!(list.set(*i, x), p.is_some());
                if let Some(p) = p {
                    model[p].clone_from(x);
                }
            }
            Op::Range(a, b) => {
                let want: Vec<Vec<u8>> = model_kept(model.len(), *a, *b)
                    .into_iter()
                    .map(|p| model[p].clone())
                    .collect();
                assert_eq!(list.range(*a, *b), want);
            }
            Op::Insert(before, pivot, x) => {
                let p = model.iter().position(|e| e == pivot);
                assert_eq!(list.insert(*before, pivot, x), p.is_some());
                if let Some(p) = p {
                    model.insert(if *before { p } else { p + 1 }, x.clone());
                }
            }
            Op::Remove(count, x) => {
                let mut gone = model_matches(model, x, *count < 0);
                if *count != 0 {
                    gone.truncate(usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX));
                }
                assert_eq!(list.remove(*count, x), gone.len());
                let kept: VecDeque<Vec<u8>> = (0..model.len())
                    .filter(|p| !gone.contains(p))
                    .map(|p| model[p].clone())
                    .collect();
                *model = kept;
            }
            Op::Trim(a, b) => {
                list.trim(*a, *b);
                let kept: VecDeque<Vec<u8>> = model_kept(model.len(), *a, *b)
                    .into_iter()
                    .map(|p| model[p].clone())
                    .collect();
                *model = kept;
            }
            Op::Positions(x, rank, count, maxlen) => {
                let from_tail = *rank < 0;
                let order: Vec<usize> = if from_tail {
                    (0..model.len()).rev().collect()
                } else {
                    (0..model.len()).collect()
                };
                let scanned = if *maxlen == 0 {
                    order.len()
                } else {
                    (*maxlen).min(order.len())
                };
                let skip = usize::try_from(rank.unsigned_abs().max(1) - 1).unwrap_or(usize::MAX);
                let mut want: Vec<usize> = order[..scanned]
                    .iter()
                    .copied()
                    .filter(|&p| model[p] == *x)
                    .skip(skip)
                    .collect();
                if *count != 0 {
                    want.truncate(*count);
                }
                assert_eq!(list.positions(x, *rank, *count, *maxlen), want);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn behaves_like_a_vecdeque_model(ops in prop::collection::vec(op(), 1..120)) {
            let mut l = List::new();
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for op in &ops {
                apply(&mut l, &mut m, op);
                check(&l);
                prop_assert_eq!(l.len(), m.len());
                prop_assert_eq!(l.is_empty(), m.is_empty());
                prop_assert!(l.iter().eq(m.iter().map(Vec::as_slice)));
                prop_assert!(l.iter().rev().eq(m.iter().rev().map(Vec::as_slice)));
                prop_assert_eq!(l.peek(End::Left), m.front().map(Vec::as_slice));
                prop_assert_eq!(l.peek(End::Right), m.back().map(Vec::as_slice));
                if m.is_empty() {
                    prop_assert_eq!(l.allocated_bytes(), 0);
                }
            }
        }

        /// A snapshot's copy and the live list go on separately, each as its own model.
        #[test]
        fn copies_never_see_each_others_writes(
            before in prop::collection::vec(op(), 0..80),
            shared in any::<bool>(),
            after in prop::collection::vec((any::<bool>(), op()), 1..120),
        ) {
            let mut a = List::new();
            let mut ma: VecDeque<Vec<u8>> = VecDeque::new();
            for op in &before {
                apply(&mut a, &mut ma, op);
            }
            let mut b = if shared { a.clone_shared() } else { a.clone() };
            let mut mb = ma.clone();
            prop_assert!(!shared || owned_bytes(&b) == 0);
            for (on_clone, op) in &after {
                if *on_clone {
                    apply(&mut b, &mut mb, op);
                } else {
                    apply(&mut a, &mut ma, op);
                }
                check(&a);
                check(&b);
                prop_assert!(a.iter().eq(ma.iter().map(Vec::as_slice)));
                prop_assert!(b.iter().rev().eq(mb.iter().rev().map(Vec::as_slice)));
            }
        }
    }
}
