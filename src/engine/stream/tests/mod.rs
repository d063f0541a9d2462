//! Behaviour tests for the stream type; expected values are Redis 7.0's (many checked
//! against redis-server 7.0.15).

mod entries;
mod groups;
mod memory;
mod model;

use super::*;

/// `ms-seq`.
fn id(ms: u64, seq: u64) -> StreamId {
    StreamId::new(ms, seq)
}

/// A one-field entry's fields.
fn f1(field: &str, value: &str) -> Fields {
    vec![(field.as_bytes().to_vec(), value.as_bytes().to_vec())]
}

/// Adds `ms-0` for each ms, with field `f` = `v<ms>`.
fn stream_with(ms: &[u64]) -> Stream {
    let mut s = Stream::new();
    for &m in ms {
        let value = format!("v{m}");
        s.xadd(IdSpec::Explicit(id(m, 0)), &[(b"f", value.as_bytes())], 0)
            .expect("xadd");
    }
    s
}

/// IDs of a list of entries.
fn ids_of(entries: &[Entry]) -> Vec<StreamId> {
    entries.iter().map(|(i, _)| *i).collect()
}

/// All live IDs, ascending.
fn all_ids(s: &Stream) -> Vec<StreamId> {
    ids_of(&s.range(StreamId::MIN, StreamId::MAX, None, false))
}
