//! [`EntryBatch`]: the entries a read returns (XREAD, XREADGROUP), packed. Copying an entry
//! out of its node as `Vec<(Vec<u8>, Vec<u8>)>` costs five allocations for two fields; a
//! batch holds every field and value of every entry in one buffer, so a read of COUNT n
//! costs a few allocations whatever n is. Entries of one node that have the node's field
//! names (the usual case) store their values only, and say so ([`Pairs::shares_names`]),
//! so that a caller building objects can reuse the previous entry's names. The caller
//! (reply builder, Python conversion) reads the bytes in place.

use super::id::StreamId;
use super::node::Fields;

/// Entries copied out of a stream, in read order: each with its ID and its field/value
/// pairs, or with no pairs at all for a pending entry deleted from the stream (Redis's
/// `[id, nil]` in an XREADGROUP history read).
///
/// Invariant: every index a [`Shape`] holds is within `ends`, and `ends` is non-decreasing
/// with its last element at most `bytes.len()`.
#[derive(Debug, Clone, Default)]
pub struct EntryBatch {
    /// Every stored field and value, back to back.
    bytes: Vec<u8>,
    /// Where each stored string ends in `bytes` (it starts where the previous one ends).
    ends: Vec<usize>,
    /// The entries, in order.
    entries: Vec<(StreamId, Shape)>,
    /// The field names of the last entry appended with its own names: index in `ends` of
    /// the first name (names and values alternate from there) and the pair count.
    names: Option<(usize, usize)>,
}

/// How one entry's strings are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A pending entry gone from the stream: no pairs.
    Missing,
    /// `n` pairs stored as field, value, field, value… from index `first` of `ends`.
    Own { first: usize, n: usize },
    /// `n` values stored from index `first`; the field names are the `n` names stored
    /// from index `names` (alternating with another entry's values).
    Shared { first: usize, names: usize, n: usize },
}

impl EntryBatch {
    /// Appends entry `id` with `pairs`.
    pub fn push<'a>(&mut self, id: StreamId, pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) {
        let first = self.ends.len();
        let mut n = 0;
        for (field, value) in pairs {
            self.put(field);
            self.put(value);
            n += 1;
        }
        self.names = Some((first, n));
        self.entries.push((id, Shape::Own { first, n }));
    }

    /// Appends entry `id` whose field names are those of the last entry appended by
    /// [`EntryBatch::push`], storing only its `values` (the caller knows the names are the
    /// same: entries of one node with the node's names). Returns false, appending nothing,
    /// when there is no such entry or `values` is not as long as its names.
    pub fn push_with_previous_names<'a>(
        &mut self,
        id: StreamId,
        values: impl ExactSizeIterator<Item = &'a [u8]>,
    ) -> bool {
        let Some((names, n)) = self.names.filter(|&(_, n)| n == values.len()) else {
            return false;
        };
        let first = self.ends.len();
        for value in values {
            self.put(value);
        }
        self.entries.push((id, Shape::Shared { first, names, n }));
        true
    }

    /// Appends `id` as a pending entry that is gone from the stream.
    pub fn push_missing(&mut self, id: StreamId) {
        self.entries.push((id, Shape::Missing));
    }

    /// Makes room for `more` entries the size of the average one so far (a read that
    /// knows its COUNT calls it after the first entry, so the buffers grow once).
    pub fn reserve_like_so_far(&mut self, more: usize) {
        let n = self.entries.len().max(1);
        self.bytes.reserve((self.bytes.len() / n).saturating_mul(more));
        self.ends.reserve((self.ends.len() / n).saturating_mul(more));
        self.entries.reserve(more);
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The IDs, in order.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = StreamId> + '_ {
        self.entries.iter().map(|&(id, _)| id)
    }

    /// The entries in order: ID and pairs (`None` for a deleted pending entry).
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            batch: self,
            entry: 0,
        }
    }

    /// The entries as owned vectors (tests, and callers that keep entries).
    pub fn to_vec(&self) -> Vec<(StreamId, Option<Fields>)> {
        self.iter()
            .map(|(id, pairs)| {
                let fields = pairs.map(|p| p.map(|(f, v)| (f.to_vec(), v.to_vec())).collect());
                (id, fields)
            })
            .collect()
    }

    /// Stores one string.
    fn put(&mut self, s: &[u8]) {
        self.bytes.extend_from_slice(s);
        self.ends.push(self.bytes.len());
    }
}

/// Two batches are equal when they hold the same entries, however they are stored.
impl PartialEq for EntryBatch {
    fn eq(&self, other: &EntryBatch) -> bool {
        self.len() == other.len()
            && self.iter().zip(other.iter()).all(|((a, pa), (b, pb))| {
                a == b
                    && match (pa, pb) {
                        (None, None) => true,
                        (Some(x), Some(y)) => x.eq(y),
                        _ => false,
                    }
            })
    }
}

impl Eq for EntryBatch {}

/// Iterator over a batch's entries.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    /// The batch.
    batch: &'a EntryBatch,
    /// Index of the next entry.
    entry: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (StreamId, Option<Pairs<'a>>);

    fn next(&mut self) -> Option<Self::Item> {
        let &(id, shape) = self.batch.entries.get(self.entry)?;
        self.entry += 1;
        let (names, values, value_step, n, shares_names) = match shape {
            Shape::Missing => return Some((id, None)),
            Shape::Own { first, n } => (first, first + 1, 2, n, false),
            Shape::Shared { first, names, n } => (names, first, 1, n, true),
        };
        let pairs = Pairs {
            bytes: &self.batch.bytes,
            ends: &self.batch.ends,
            names,
            values,
            value_step,
            left: n,
            shares_names,
        };
        Some((id, Some(pairs)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.batch.entries.len() - self.entry;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// One entry's field/value pairs, borrowed from its batch.
#[derive(Debug, Clone)]
pub struct Pairs<'a> {
    /// The batch's bytes.
    bytes: &'a [u8],
    /// The batch's string ends.
    ends: &'a [usize],
    /// Index in `ends` of the next field name (names are two apart).
    names: usize,
    /// Index in `ends` of the next value.
    values: usize,
    /// Distance between this entry's values: 2 when they alternate with its names, 1 when
    /// only values are stored.
    value_step: usize,
    /// Pairs not yet returned.
    left: usize,
    /// Whether the names are those of the previous entry with pairs in the batch.
    shares_names: bool,
}

impl<'a> Pairs<'a> {
    /// True when this entry's field names are exactly those of the previous entry with
    /// pairs in the batch (same names, same order): a caller may reuse what it made of them.
    pub fn shares_names(&self) -> bool {
        self.shares_names
    }

    /// String `k` of the batch.
    fn string(&self, k: usize) -> &'a [u8] {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.bytes[start..self.ends[k]]
    }
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let pair = (self.string(self.names), self.string(self.values));
        self.names += 2;
        self.values += self.value_step;
        Some(pair)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Pairs<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs<'a>(p: &[(&'a str, &'a str)]) -> Vec<(&'a [u8], &'a [u8])> {
        p.iter().map(|(f, v)| (f.as_bytes(), v.as_bytes())).collect()
    }

    #[test]
    fn entries_come_back_in_order_with_their_pairs() {
        let mut b = EntryBatch::default();
        assert!(b.is_empty());
        // No entry to share names with yet: refused, nothing appended.
        assert!(!b.push_with_previous_names(StreamId::new(0, 1), [&b"x"[..]].into_iter()));
        b.push(StreamId::new(1, 0), pairs(&[("f", "v"), ("", "empty field")]));
        assert!(b.push_with_previous_names(StreamId::new(1, 1), [&b"w"[..], b""].into_iter()));
        // A missing entry between does not change whose names are shared.
        b.push_missing(StreamId::new(2, 0));
        assert!(b.push_with_previous_names(StreamId::new(2, 1), [&b"u"[..], b"t"].into_iter()));
        // Wrong count: refused.
        assert!(!b.push_with_previous_names(StreamId::new(2, 2), [&b"u"[..]].into_iter()));
        b.push(StreamId::new(3, 0), []);
        b.push(StreamId::new(4, 1), pairs(&[("order", "")]));
        assert!(b.push_with_previous_names(StreamId::new(4, 2), [&b"7"[..]].into_iter()));
        b.reserve_like_so_far(10);
        assert_eq!(b.len(), 7);
        let owned = |p: &[(&str, &str)]| -> Option<Fields> {
            Some(p.iter().map(|(f, v)| (f.as_bytes().to_vec(), v.as_bytes().to_vec())).collect())
        };
        assert_eq!(
            b.to_vec(),
            vec![
                (StreamId::new(1, 0), owned(&[("f", "v"), ("", "empty field")])),
                (StreamId::new(1, 1), owned(&[("f", "w"), ("", "")])),
                (StreamId::new(2, 0), None),
                (StreamId::new(2, 1), owned(&[("f", "u"), ("", "t")])),
                (StreamId::new(3, 0), owned(&[])),
                (StreamId::new(4, 1), owned(&[("order", "")])),
                (StreamId::new(4, 2), owned(&[("order", "7")])),
            ]
        );
        let shares: Vec<Option<bool>> = b.iter().map(|(_, p)| p.map(|p| p.shares_names())).collect();
        assert_eq!(shares, vec![Some(false), Some(true), None, Some(true), Some(false), Some(false), Some(true)]);
        let mut it = b.iter();
        assert_eq!(it.len(), 7);
        assert_eq!(it.next().and_then(|(_, p)| p).map(|p| p.len()), Some(2));
        // Equality is by content, not by how names are stored.
        let mut plain = EntryBatch::default();
        for (id, fields) in b.to_vec() {
            match fields {
                Some(f) => plain.push(id, f.iter().map(|(k, v)| (&k[..], &v[..]))),
                None => plain.push_missing(id),
            }
        }
        assert_eq!(plain, b);
        plain.push_missing(StreamId::new(9, 9));
        assert_ne!(plain, b);
    }
}
