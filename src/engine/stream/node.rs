//! One node of a stream's storage: a byte buffer of entries delta-encoded against the node's
//! master ID, the counterpart of a listpack in redis `src/t_stream.c` (format on [`Node`]).
//! In memory only; private to `stream`. A snapshot's copy shares node buffers
//! copy-on-write ([`Node::clone_shared`]).

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use super::id::StreamId;

/// The entry was deleted (XDEL or trimming inside a node); its bytes stay until the node goes.
pub(super) const FLAG_DELETED: u8 = 1;
/// The entry has the master's field names, so only its values are stored.
pub(super) const FLAG_SAMEFIELDS: u8 = 2;

/// Field/value pairs of one entry, in the order they were added.
pub type Fields = Vec<(Vec<u8>, Vec<u8>)>;

/// A node: entries encoded back to back after the master field names.
///
/// Byte format (varint = unsigned LEB128, 1 to 10 bytes; `bytes` = varint length, then the
/// raw bytes):
/// - `master := varint(n) bytes{n}`: the field names of the node's first entry;
/// - then entries, `entry := flags:u8 varint(ms - master.ms) varint(seq') body`, where
///   `seq'` is `seq - master.seq` when the ms delta is 0 and `seq` itself otherwise;
/// - flags bit 0 ([`FLAG_DELETED`]): deleted; bit 1 ([`FLAG_SAMEFIELDS`]): the master's
///   field names, so `body := bytes{n}` (values only); otherwise
///   `body := varint(k) (bytes bytes){k}` (field, value pairs).
///
/// Invariants: entries are in increasing ID order, the first one has the master ID (the key
/// the node is filed under), and `live >= 1` while the node is in a stream.
#[derive(Debug, Clone)]
pub(super) struct Node {
    /// The encoded master fields followed by the entries (format in the module doc).
    /// Shared with a snapshot's copy until either side writes to it.
    buf: Buf,
    /// Entries not flagged deleted (the listpack's "count").
    live: u32,
    /// Entries flagged deleted and still taking bytes (the listpack's "deleted").
    deleted: u32,
    /// The bytes Redis's listpack for this node would take, but for its two counters
    /// (`live`, `deleted`), whose encoded size changes with their values: see
    /// [`Node::lp_bytes`]. Redis decides where a node ends from its listpack's size, so
    /// approximate trimming removes what Redis removes only if this is counted exactly.
    lp_rest: usize,
}

/// A node's buffer: owned outright, or shared with snapshots copy-on-write.
///
/// Buffers are owned until [`Node::clone_shared`] moves them into `Arc`s (the vector
/// moves, no byte is copied), so that XADD's append pays no atomic uniqueness check. The
/// first write into a shared buffer takes it back ([`Buf::own`]): for free once the
/// snapshot has been written and dropped, by copying that one buffer while it is not.
#[derive(Clone)]
enum Buf {
    /// Held by this stream alone.
    Own(Vec<u8>),
    /// Possibly held by a snapshot too; read-only until a writer takes it back.
    Shared(Arc<Vec<u8>>),
}

/// Heap bytes of an `Arc<Vec<u8>>` allocation: two counts and the vector's header.
const SHARED_HEADER: usize = 2 * std::mem::size_of::<usize>() + std::mem::size_of::<Vec<u8>>();

/// The bytes alone: whether they are shared is no part of the stream's value.
impl fmt::Debug for Buf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self[..].fmt(f)
    }
}

impl Deref for Buf {
    type Target = Vec<u8>;

    #[inline]
    fn deref(&self) -> &Vec<u8> {
        match self {
            Buf::Own(v) => v,
            Buf::Shared(a) => a,
        }
    }
}

impl Buf {
    /// The bytes, for writing, made owned first if they are shared.
    #[inline]
    fn own(&mut self) -> &mut Vec<u8> {
        match self {
            Buf::Own(v) => v,
            Buf::Shared(_) => self.take_back(),
        }
    }

    /// Makes a shared buffer owned: unwrapped if nothing else holds it any more, copied
    /// (to its exact length) if a snapshot still does.
    #[cold]
    #[inline(never)]
    fn take_back(&mut self) -> &mut Vec<u8> {
        if let Buf::Shared(a) = self {
            let v = match Arc::get_mut(a) {
                Some(v) => std::mem::take(v),
                None => Vec::clone(a),
            };
            *self = Buf::Own(v);
        }
        match self {
            Buf::Own(v) => v,
            Buf::Shared(a) => Arc::make_mut(a),
        }
    }

    /// A second handle on the buffer, sharing it first if it is owned.
    fn share(&mut self) -> Buf {
        if let Buf::Own(v) = self {
            *self = Buf::Shared(Arc::new(std::mem::take(v)));
        }
        self.clone()
    }
}

impl Node {
    /// A node whose master fields, and first entry, are `fields` with ID `id`.
    pub(super) fn new(id: StreamId, fields: &[(&[u8], &[u8])]) -> Node {
        let mut buf = Vec::new();
        put_varint(&mut buf, fields.len() as u64);
        for (field, _) in fields {
            put_bytes(&mut buf, field);
        }
        // The listpack `streamAppendItem` starts: header and end byte, then the master
        // entry (count, deleted, num-fields, the names, a 0 terminator); the two counters
        // are counted by `lp_bytes`.
        let lp_rest = LP_EMPTY
            + lp_int(fields.len() as i64)
            + fields.iter().map(|(f, _)| lp_str(f)).sum::<usize>()
            + lp_int(0);
        let mut node = Node {
            buf: Buf::Own(buf),
            live: 0,
            deleted: 0,
            lp_rest,
        };
        node.append(id, id, fields);
        node
    }

    /// Appends an entry; `id` must be above every ID in the node and `master` is the key.
    pub(super) fn append(&mut self, master: StreamId, id: StreamId, fields: &[(&[u8], &[u8])]) {
        debug_assert!(id >= master);
        let same = self.has_master_fields(fields);
        self.lp_rest += lp_entry(master, id, fields, same);
        let buf = self.buf.own();
        buf.push(if same { FLAG_SAMEFIELDS } else { 0 });
        let ms_delta = id.ms.wrapping_sub(master.ms);
        put_varint(buf, ms_delta);
        put_varint(
            buf,
            if ms_delta == 0 {
                id.seq.wrapping_sub(master.seq)
            } else {
                id.seq
            },
        );
        if same {
            for (_, value) in fields {
                put_bytes(buf, value);
            }
        } else {
            put_varint(buf, fields.len() as u64);
            for (field, value) in fields {
                put_bytes(buf, field);
                put_bytes(buf, value);
            }
        }
        self.live += 1;
    }

    /// The size Redis's listpack for this node has (`lpBytes`): what `streamAppendItem`
    /// compares with `stream-node-max-bytes`.
    pub(super) fn lp_bytes(&self) -> usize {
        self.lp_rest + lp_int(i64::from(self.live)) + lp_int(i64::from(self.deleted))
    }

    /// True when the next entry, whose fields and values add up to `incoming` bytes, must
    /// start a new node: the same test as `streamAppendItem` (the listpack's bytes plus the
    /// new element bytes reach `max_bytes`, or live plus deleted entries reach
    /// `max_entries`).
    pub(super) fn is_full(&self, max_bytes: usize, max_entries: usize, incoming: usize) -> bool {
        self.lp_bytes().saturating_add(incoming) >= max_bytes
            || (max_entries != 0 && (self.live as usize + self.deleted as usize) >= max_entries)
    }

    /// Gives back the spare capacity of a node that will not grow any more.
    pub(super) fn seal(&mut self) {
        self.buf.own().shrink_to_fit();
    }

    /// A copy sharing this node's buffer (no byte copied): for a snapshot's copy of the
    /// stream, taken under the keyspace lock. Either side copies the buffer the first
    /// time it writes into it (XADD to the tail node, XDEL, trimming inside the node)
    /// while the other still holds it.
    pub(super) fn clone_shared(&mut self) -> Node {
        Node {
            buf: self.buf.share(),
            live: self.live,
            deleted: self.deleted,
            lp_rest: self.lp_rest,
        }
    }

    /// Entries not flagged deleted.
    pub(super) fn live(&self) -> u32 {
        self.live
    }

    /// Heap bytes held by the buffer (and its `Arc` when shared; counted in full by each
    /// holder).
    pub(super) fn heap_bytes(&self) -> usize {
        match &self.buf {
            Buf::Own(v) => v.capacity(),
            Buf::Shared(a) => a.capacity() + SHARED_HEADER,
        }
    }

    /// Flags the entry whose flags byte is at `flags_pos` as deleted. Returns false if it
    /// already was.
    pub(super) fn mark_deleted(&mut self, flags_pos: usize) -> bool {
        if self
            .buf
            .get(flags_pos)
            .is_none_or(|f| f & FLAG_DELETED != 0)
        {
            return false;
        }
        match self.buf.own().get_mut(flags_pos) {
            Some(flags) if *flags & FLAG_DELETED == 0 => {
                *flags |= FLAG_DELETED;
                self.live = self.live.saturating_sub(1);
                self.deleted += 1;
                true
            }
            _ => false,
        }
    }

    /// Every entry, deleted ones included, in ID order.
    pub(super) fn iter(&self, master: StreamId) -> NodeIter<'_> {
        let buf = &self.buf[..];
        let mut pos = 0;
        let mut n_master = 0;
        let mut master_fields: &[u8] = &[];
        if let Some(n) = get_varint(buf, &mut pos) {
            let start = pos;
            let ok = (0..n).all(|_| get_bytes(buf, &mut pos).is_some());
            debug_assert!(ok, "corrupt stream node header");
            if ok {
                n_master = usize::try_from(n).unwrap_or(0);
                master_fields = &buf[start..pos];
            } else {
                pos = buf.len();
            }
        }
        NodeIter {
            buf,
            master,
            master_fields,
            n_master,
            pos,
        }
    }

    /// The last entry of the node, deleted or not (`lpGetEdgeStreamID(lp, 0, ..)`).
    pub(super) fn last_entry_id(&self, master: StreamId) -> StreamId {
        self.iter(master).last().map_or(master, |e| e.id)
    }

    /// True if `fields` has exactly the master's field names, in order.
    fn has_master_fields(&self, fields: &[(&[u8], &[u8])]) -> bool {
        let buf = &self.buf[..];
        let mut pos = 0;
        if get_varint(buf, &mut pos) != Some(fields.len() as u64) {
            return false;
        }
        fields
            .iter()
            .all(|(field, _)| get_bytes(buf, &mut pos) == Some(field))
    }
}

/// An entry as stored in a node, borrowed from it.
#[derive(Debug, Clone, Copy)]
pub(super) struct EntryRef<'a> {
    /// The entry's ID.
    pub id: StreamId,
    /// Offset of the flags byte in the node, for [`Node::mark_deleted`].
    pub flags_pos: usize,
    /// The entry's flags byte.
    flags: u8,
    /// The encoded values (same-fields entries) or field count and pairs (others).
    body: &'a [u8],
    /// The node's encoded master field names, for same-fields entries.
    master_fields: &'a [u8],
    /// How many master field names there are.
    n_master: usize,
}

impl<'a> EntryRef<'a> {
    /// True if the entry was deleted.
    pub fn is_deleted(&self) -> bool {
        self.flags & FLAG_DELETED != 0
    }

    /// For an entry with its node's field names, something that identifies those names
    /// while the stream is borrowed (the address of the node's encoded names): two entries
    /// with the same key have the same names. `None` for an entry with names of its own.
    pub fn master_names_key(&self) -> Option<usize> {
        (self.flags & FLAG_SAMEFIELDS != 0).then_some(self.master_fields.as_ptr() as usize)
    }

    /// The entry's values, without its field names.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &'a [u8]> {
        EntryValues(self.pairs())
    }

    /// The entry's field/value pairs, copied out.
    pub fn fields(&self) -> Fields {
        self.pairs().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
    }

    /// The entry's field/value pairs, borrowed from the node.
    pub fn pairs(&self) -> EntryPairs<'a> {
        let mut pos = 0;
        let (names, left) = if self.flags & FLAG_SAMEFIELDS != 0 {
            (Some(self.master_fields), self.n_master)
        } else {
            let n = get_varint(self.body, &mut pos).unwrap_or(0);
            (None, usize::try_from(n).unwrap_or(0))
        };
        EntryPairs {
            body: self.body,
            pos,
            names,
            names_pos: 0,
            left,
        }
    }
}

/// Iterator over one entry's values (its pairs' second halves).
struct EntryValues<'a>(EntryPairs<'a>);

impl<'a> Iterator for EntryValues<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        self.0.next().map(|(_, v)| v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.0.left, Some(self.0.left))
    }
}

impl ExactSizeIterator for EntryValues<'_> {}

/// Iterator over one entry's field/value pairs, borrowed from its node.
pub(super) struct EntryPairs<'a> {
    /// The entry's body.
    body: &'a [u8],
    /// Offset in `body` of the next value (same-fields entries) or field.
    pos: usize,
    /// The master's encoded field names for a same-fields entry, else `None`.
    names: Option<&'a [u8]>,
    /// Offset in `names` of the next field name.
    names_pos: usize,
    /// Pairs not yet returned.
    left: usize,
}

impl<'a> Iterator for EntryPairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let field = match self.names {
            Some(names) => get_bytes(names, &mut self.names_pos),
            None => get_bytes(self.body, &mut self.pos),
        };
        let pair = field.zip(get_bytes(self.body, &mut self.pos));
        if pair.is_none() {
            self.left = 0;
        }
        pair
    }
}

/// Forward iterator over a node's entries (deleted ones included).
pub(super) struct NodeIter<'a> {
    /// The node's bytes.
    buf: &'a [u8],
    /// The node's master ID, which entry IDs are deltas from.
    master: StreamId,
    /// The encoded master field names.
    master_fields: &'a [u8],
    /// How many master field names there are.
    n_master: usize,
    /// Offset of the next entry's flags byte.
    pos: usize,
}

impl<'a> Iterator for NodeIter<'a> {
    type Item = EntryRef<'a>;

    fn next(&mut self) -> Option<EntryRef<'a>> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let entry = self.decode();
        debug_assert!(entry.is_some(), "corrupt stream node entry");
        if entry.is_none() {
            self.pos = self.buf.len();
        }
        entry
    }
}

impl<'a> NodeIter<'a> {
    /// Decodes the entry at `pos` and moves past it; `None` if the bytes do not parse.
    fn decode(&mut self) -> Option<EntryRef<'a>> {
        let buf = self.buf;
        let mut pos = self.pos;
        let flags_pos = pos;
        let flags = *buf.get(pos)?;
        pos += 1;
        let ms_delta = get_varint(buf, &mut pos)?;
        let seq_part = get_varint(buf, &mut pos)?;
        let id = if ms_delta == 0 {
            StreamId::new(self.master.ms, self.master.seq.wrapping_add(seq_part))
        } else {
            StreamId::new(self.master.ms.wrapping_add(ms_delta), seq_part)
        };
        let body_start = pos;
        if flags & FLAG_SAMEFIELDS != 0 {
            for _ in 0..self.n_master {
                get_bytes(buf, &mut pos)?;
            }
        } else {
            let n = get_varint(buf, &mut pos)?;
            for _ in 0..n.checked_mul(2)? {
                get_bytes(buf, &mut pos)?;
            }
        }
        self.pos = pos;
        Some(EntryRef {
            id,
            flags_pos,
            flags,
            body: &buf[body_start..pos],
            master_fields: self.master_fields,
            n_master: self.n_master,
        })
    }
}

/// A listpack's header (total bytes, element count) and end byte (`lpNew`).
const LP_EMPTY: usize = 6 + 1;

/// Bytes of the back-length that ends a listpack element whose encoding and data take
/// `len` bytes (`lpEncodeBacklen`).
fn lp_backlen(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16_382 => 2,
        16_383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Bytes of the listpack element holding the integer `v` (`lpEncodeIntegerGetType`:
/// 7, 13, 16, 24, 32 or 64 bits of value after the encoding byte, then the back-length).
fn lp_int(v: i64) -> usize {
    let enc = match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32_768..=32_767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    };
    enc + lp_backlen(enc)
}

/// Bytes of the listpack element holding the string `s` (`lpEncodeGetType`): a string
/// that is a canonical 64-bit integer is stored as that integer; others take a 1, 2 or 5
/// byte header by length.
fn lp_str(s: &[u8]) -> usize {
    if let Some(v) = lp_string_to_i64(s) {
        return lp_int(v);
    }
    let enc = s.len()
        + match s.len() {
            0..=63 => 1,
            64..=4095 => 2,
            _ => 5,
        };
    enc + lp_backlen(enc)
}

/// `lpStringToInt64`: `s` as an i64 if it is exactly how that integer prints (no sign
/// but `-`, no leading zero, no `-0`, at most 20 bytes).
fn lp_string_to_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    if !matches!(digits.first(), Some(b'1'..=b'9')) || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        if v > 1u64 << 63 {
            return None;
        }
        Some(0i64.wrapping_sub_unsigned(v))
    } else {
        i64::try_from(v).ok()
    }
}

/// Bytes an entry adds to its node's listpack (`streamAppendItem`): flags, the ID's two
/// deltas from the master ID (each wrapped to 64 bits and read as signed, as Redis passes
/// them to `lpAppendInteger`), the field count and names unless `same`, the values, and
/// the element count that lets a reader walk back.
fn lp_entry(master: StreamId, id: StreamId, fields: &[(&[u8], &[u8])], same: bool) -> usize {
    let flags = if same { i64::from(FLAG_SAMEFIELDS) } else { 0 };
    let n = fields.len() as i64;
    let mut bytes = lp_int(flags)
        + lp_int(id.ms.wrapping_sub(master.ms) as i64)
        + lp_int(id.seq.wrapping_sub(master.seq) as i64);
    let mut lp_count = n + 3;
    if !same {
        bytes += lp_int(n);
        lp_count += n + 1;
    }
    for (field, value) in fields {
        if !same {
            bytes += lp_str(field);
        }
        bytes += lp_str(value);
    }
    bytes + lp_int(lp_count)
}

/// Appends `v` as unsigned LEB128.
fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Appends a length-prefixed byte string.
fn put_bytes(buf: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// Reads an unsigned LEB128 at `*pos`, moving past it.
fn get_varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value: u64 = 0;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Reads a length-prefixed byte string at `*pos`, moving past it.
fn get_bytes<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let len = usize::try_from(get_varint(buf, pos)?).ok()?;
    let end = pos.checked_add(len)?;
    let bytes = buf.get(*pos..end)?;
    *pos = end;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(node: &Node, master: StreamId) -> Vec<(StreamId, bool)> {
        node.iter(master).map(|e| (e.id, e.is_deleted())).collect()
    }

    #[test]
    fn varint_round_trips_edges() {
        for v in [
            0,
            1,
            127,
            128,
            300,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut buf = Vec::new();
            put_varint(&mut buf, v);
            let mut pos = 0;
            assert_eq!(get_varint(&buf, &mut pos), Some(v));
            assert_eq!(pos, buf.len());
        }
        assert_eq!(get_varint(&[0x80], &mut 0), None);
        assert_eq!(get_varint(&[0xff; 11], &mut 0), None);
    }

    #[test]
    fn entries_with_master_fields_store_values_only() {
        let master = StreamId::new(100, 5);
        let mut node = Node::new(master, &[(b"order_id", b"OID-1"), (b"amount", b"10")]);
        let before = node.buf.len();
        node.append(
            master,
            StreamId::new(100, 6),
            &[(b"order_id", b"OID-2"), (b"amount", b"20")],
        );
        // flags + two one-byte deltas + two length-prefixed values, no field names.
        assert_eq!(node.buf.len() - before, 1 + 1 + 1 + 6 + 3);
        let entries: Vec<_> = node.iter(master).collect();
        assert_eq!(
            entries[1].fields(),
            vec![
                (b"order_id".to_vec(), b"OID-2".to_vec()),
                (b"amount".to_vec(), b"20".to_vec())
            ]
        );
    }

    #[test]
    fn entries_with_other_fields_keep_their_names() {
        let master = StreamId::new(7, 0);
        let mut node = Node::new(master, &[(b"a", b"1")]);
        node.append(master, StreamId::new(9, 3), &[(b"b", b"2"), (b"c", b"")]);
        node.append(master, StreamId::new(9, 4), &[]);
        let entries: Vec<_> = node.iter(master).collect();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[1].id, StreamId::new(9, 3));
        assert_eq!(
            entries[1].fields(),
            vec![(b"b".to_vec(), b"2".to_vec()), (b"c".to_vec(), vec![])]
        );
        assert_eq!(entries[2].fields(), Vec::new());
    }

    #[test]
    fn ids_decode_across_millisecond_and_sequence_extremes() {
        let master = StreamId::new(5, u64::MAX - 1);
        let mut node = Node::new(master, &[(b"f", b"v")]);
        for id in [
            StreamId::new(5, u64::MAX),
            StreamId::new(6, 0),
            StreamId::MAX,
        ] {
            node.append(master, id, &[(b"f", b"v")]);
        }
        assert_eq!(
            ids(&node, master)
                .into_iter()
                .map(|(id, _)| id)
                .collect::<Vec<_>>(),
            vec![
                master,
                StreamId::new(5, u64::MAX),
                StreamId::new(6, 0),
                StreamId::MAX
            ]
        );
        assert_eq!(node.last_entry_id(master), StreamId::MAX);
    }

    #[test]
    fn mark_deleted_flags_once_and_keeps_counts() {
        let master = StreamId::new(1, 0);
        let mut node = Node::new(master, &[(b"f", b"v")]);
        node.append(master, StreamId::new(1, 1), &[(b"f", b"w")]);
        let pos = node
            .iter(master)
            .nth(1)
            .map(|e| e.flags_pos)
            .unwrap_or(usize::MAX);
        assert!(node.mark_deleted(pos));
        assert!(!node.mark_deleted(pos));
        assert_eq!((node.live, node.deleted), (1, 1));
        assert_eq!(
            ids(&node, master),
            vec![(master, false), (StreamId::new(1, 1), true)]
        );
    }

    #[test]
    fn clone_shared_shares_until_either_side_writes() {
        let master = StreamId::new(1, 0);
        let mut node = Node::new(master, &[(b"f", b"v")]);
        node.append(master, StreamId::new(1, 1), &[(b"f", b"w")]);
        let own_bytes = node.heap_bytes();
        let mut copy = node.clone_shared();
        match (&node.buf, &copy.buf) {
            (Buf::Shared(a), Buf::Shared(b)) => assert!(Arc::ptr_eq(a, b)),
            _ => panic!("not shared"),
        }
        assert_eq!(node.heap_bytes(), copy.heap_bytes());
        assert!(node.heap_bytes() <= own_bytes + SHARED_HEADER);
        // The writer copies; the copy keeps what it had.
        node.append(master, StreamId::new(1, 2), &[(b"f", b"x")]);
        let pos = copy.iter(master).nth(1).map_or(usize::MAX, |e| e.flags_pos);
        assert!(copy.mark_deleted(pos));
        assert_eq!(
            ids(&node, master),
            vec![
                (master, false),
                (StreamId::new(1, 1), false),
                (StreamId::new(1, 2), false)
            ]
        );
        assert_eq!(
            ids(&copy, master),
            vec![(master, false), (StreamId::new(1, 1), true)]
        );
        // Deleting an entry already deleted copies nothing, even when shared.
        let mut again = copy.clone_shared();
        assert!(!again.mark_deleted(pos));
        assert!(matches!(again.buf, Buf::Shared(_)));
        // Alone again, a shared buffer is taken back without a copy.
        drop(copy);
        again.append(master, StreamId::new(1, 3), &[(b"f", b"y")]);
        assert!(matches!(again.buf, Buf::Own(_)));
        assert_eq!(again.iter(master).count(), 3);
    }

    #[test]
    fn listpack_sizes_follow_redis_encodings() {
        // Integers: 7-bit, 13, 16, 24, 32, 64 bits, each with a 1-byte back-length.
        for (v, size) in [(0, 2), (127, 2), (128, 3), (-1, 3), (-4096, 3), (4096, 4), (-32_769, 5), (8_388_608, 6), (1 << 31, 10), (i64::MIN, 10)] {
            assert_eq!(lp_int(v), size, "{v}");
        }
        // Strings that print as an int64 are stored as one.
        assert_eq!(lp_string_to_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(lp_string_to_i64(b"9223372036854775807"), Some(i64::MAX));
        for s in [&b"9223372036854775808"[..], b"-0", b"007", b"+1", b" 1", b"", b"-", b"1a"] {
            assert_eq!(lp_string_to_i64(s), None, "{}", String::from_utf8_lossy(s));
        }
        assert_eq!(lp_str(b"12345"), 4);
        // Other strings: 1, 2 or 5 header bytes by length, then a 1-3 byte back-length.
        assert_eq!(lp_str(b""), 2);
        assert_eq!(lp_str(&[b'x'; 63]), 65);
        assert_eq!(lp_str(&[b'x'; 64]), 67);
        assert_eq!(lp_str(&[b'x'; 4095]), 4099);
        assert_eq!(lp_str(&[b'x'; 4096]), 4103);
        assert_eq!(lp_str(&[b'x'; 16_378]), 16_386);
        assert_eq!(lp_str(&[b'x'; 16_377]), 16_384);
        // A node counts its counters at their current sizes.
        let master = StreamId::new(1, 0);
        let mut node = Node::new(master, &[(b"f", b"v")]);
        let one = node.lp_bytes();
        assert_eq!(one, 7 + (2 + 2 + 2 + 3 + 2) + (2 + 2 + 2 + 3 + 2));
        for seq in 1..128 {
            node.append(master, StreamId::new(1, seq), &[(b"f", b"v")]);
        }
        // 128 live entries: the count takes 3 bytes instead of 2.
        assert_eq!(node.lp_bytes(), one + 127 * 11 + 1);
    }

    #[test]
    fn node_is_full_by_bytes_or_by_entries_counting_deleted_ones() {
        let master = StreamId::new(1, 0);
        let mut node = Node::new(master, &[(b"f", b"v")]);
        assert!(!node.is_full(4096, 2, 2));
        assert!(node.is_full(node.buf.len() + 2, 0, 2));
        node.append(master, StreamId::new(1, 1), &[(b"f", b"v")]);
        let pos = node
            .iter(master)
            .nth(1)
            .map(|e| e.flags_pos)
            .unwrap_or(usize::MAX);
        node.mark_deleted(pos);
        assert!(node.is_full(4096, 2, 2));
        assert!(!node.is_full(4096, 0, 2));
    }
}
