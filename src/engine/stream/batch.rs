//! [`EntryBatch`]: the entries a read returns (XREAD, XREADGROUP), packed. Copying an entry
//! out of its node as `Vec<(Vec<u8>, Vec<u8>)>` costs five allocations for two fields; a
//! batch holds every field and value of every entry in one buffer, so a read of COUNT n
//! costs a few allocations whatever n is. The caller (reply builder, Python conversion)
//! reads the bytes in place.

use super::id::StreamId;
use super::node::Fields;

/// Entries copied out of a stream, in read order: each with its ID and its field/value
/// pairs, or with no pairs at all for a pending entry deleted from the stream (Redis's
/// `[id, nil]` in an XREADGROUP history read).
///
/// Invariant: the pair counts of `entries` add up to half the length of `ends`, and `ends`
/// is non-decreasing with its last element at most `bytes.len()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryBatch {
    /// Every field and value of every entry, back to back.
    bytes: Vec<u8>,
    /// Where each field and each value ends in `bytes` (it starts where the previous one
    /// ends): field, value, field, value… entry after entry.
    ends: Vec<usize>,
    /// Each entry's ID and its number of pairs; `None` for a deleted pending entry.
    entries: Vec<(StreamId, Option<usize>)>,
}

impl EntryBatch {
    /// An empty batch with room for `entries` entries of about `pairs` pairs and `bytes`
    /// bytes each, so that filling it does not regrow.
    pub fn with_capacity(entries: usize, pairs: usize, bytes: usize) -> EntryBatch {
        EntryBatch {
            bytes: Vec::with_capacity(entries.saturating_mul(bytes)),
            ends: Vec::with_capacity(entries.saturating_mul(pairs).saturating_mul(2)),
            entries: Vec::with_capacity(entries),
        }
    }

    /// Appends entry `id` with `pairs`.
    pub fn push<'a>(&mut self, id: StreamId, pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) {
        let mut n = 0;
        for (field, value) in pairs {
            self.bytes.extend_from_slice(field);
            self.ends.push(self.bytes.len());
            self.bytes.extend_from_slice(value);
            self.ends.push(self.bytes.len());
            n += 1;
        }
        self.entries.push((id, Some(n)));
    }

    /// Makes room for `more` entries the size of the average one so far (a read that
    /// knows its COUNT calls it after the first entry, so the buffers grow once).
    pub fn reserve_like_so_far(&mut self, more: usize) {
        let n = self.entries.len().max(1);
        self.bytes.reserve((self.bytes.len() / n).saturating_mul(more));
        self.ends.reserve((self.ends.len() / n).saturating_mul(more));
        self.entries.reserve(more);
    }

    /// Appends `id` as a pending entry that is gone from the stream.
    pub fn push_missing(&mut self, id: StreamId) {
        self.entries.push((id, None));
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
            end: 0,
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
}

/// Iterator over a batch's entries.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    /// The batch.
    batch: &'a EntryBatch,
    /// Index of the next entry.
    entry: usize,
    /// Index in `ends` of the next entry's first field.
    end: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (StreamId, Option<Pairs<'a>>);

    fn next(&mut self) -> Option<Self::Item> {
        let &(id, n) = self.batch.entries.get(self.entry)?;
        self.entry += 1;
        let Some(n) = n else {
            return Some((id, None));
        };
        let first = self.end;
        self.end += 2 * n;
        let start = match first {
            0 => 0,
            i => self.batch.ends[i - 1],
        };
        Some((
            id,
            Some(Pairs {
                bytes: &self.batch.bytes,
                ends: &self.batch.ends[first..self.end],
                start,
            }),
        ))
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
    /// Ends of this entry's remaining fields and values.
    ends: &'a [usize],
    /// Where the next field starts.
    start: usize,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let [f_end, v_end, rest @ ..] = self.ends else {
            return None;
        };
        let field = &self.bytes[self.start..*f_end];
        let value = &self.bytes[*f_end..*v_end];
        self.start = *v_end;
        self.ends = rest;
        Some((field, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.ends.len() / 2;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Pairs<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_back_in_order_with_their_pairs() {
        let mut b = EntryBatch::with_capacity(2, 2, 8);
        assert!(b.is_empty());
        b.push(StreamId::new(1, 0), [(&b"f"[..], &b"v"[..]), (b"", b"empty field")]);
        b.push_missing(StreamId::new(2, 0));
        b.push(StreamId::new(3, 0), []);
        b.push(StreamId::new(4, 1), [(&b"order"[..], &b""[..])]);
        assert_eq!(b.len(), 4);
        assert_eq!(
            b.ids().collect::<Vec<_>>(),
            vec![StreamId::new(1, 0), StreamId::new(2, 0), StreamId::new(3, 0), StreamId::new(4, 1)]
        );
        assert_eq!(
            b.to_vec(),
            vec![
                (
                    StreamId::new(1, 0),
                    Some(vec![(b"f".to_vec(), b"v".to_vec()), (Vec::new(), b"empty field".to_vec())])
                ),
                (StreamId::new(2, 0), None),
                (StreamId::new(3, 0), Some(Vec::new())),
                (StreamId::new(4, 1), Some(vec![(b"order".to_vec(), Vec::new())])),
            ]
        );
        let mut it = b.iter();
        assert_eq!(it.len(), 4);
        let (_, pairs) = it.next().expect("first");
        assert_eq!(pairs.expect("pairs").len(), 2);
    }
}
