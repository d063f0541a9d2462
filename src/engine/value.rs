//! The values a key can hold, their TYPE names, OBJECT ENCODING names and deep copies.
//! Every match here is exhaustive, so a new type cannot be added without deciding each.
//! Knows nothing of RESP or Python.

use super::hash::Hash;
use super::list::List;
use super::set::Set;
use super::stream::Stream;
use super::zset::ZSet;

/// What a key holds. Empty containers never stay in the keyspace (Redis deletes them).
#[derive(Debug)]
pub enum Value {
    /// A string (Redis also stores counters as strings).
    Str(Vec<u8>),
    /// A list, stored packed (see `list.rs`).
    List(List),
    /// A set (see `set.rs`).
    Set(Set),
    /// A stream (see `stream/`), boxed: it is large and keeps `Value` small. Unlike lists,
    /// an empty stream stays (its counters and groups live on), as in Redis.
    Stream(Box<Stream>),
    /// A hash, listpack- or table-encoded (see `hash.rs`).
    Hash(Hash),
    /// A sorted set, listpack- or skiplist-encoded (see `zset.rs`).
    Zset(ZSet),
}

impl Value {
    /// The name TYPE answers with (also what `SCAN … TYPE` matches).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Stream(_) => "stream",
            Value::Hash(_) => "hash",
            Value::Zset(_) => "zset",
        }
    }

    /// A deep copy, for COPY (Redis `dupStringObject`, `listTypeDup`, `streamDup`…): the
    /// copy shares nothing observable with the original; a stream keeps its groups,
    /// consumers and pending entries, as Redis's COPY does.
    #[must_use]
    pub fn duplicate(&self) -> Value {
        match self {
            Value::Str(s) => Value::Str(s.clone()),
            Value::List(l) => Value::List(l.clone()),
            Value::Stream(s) => Value::Stream(s.clone()),
            Value::Set(s) => Value::Set(s.clone()),
            Value::Hash(h) => Value::Hash(h.clone()),
            Value::Zset(z) => Value::Zset(z.clone()),
        }
    }

    /// The name OBJECT ENCODING answers with, as Redis 7.0 names what it would store.
    /// Lists: Redis 7.0 keeps every list in a quicklist (the listpack encoding for small
    /// lists came in 7.2), and embedis's packed nodes are that same shape.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => super::strings::string_encoding(s),
            Value::List(_) => "quicklist",
            Value::Stream(_) => "stream",
            Value::Set(s) => s.encoding_name(),
            Value::Hash(h) => h.encoding_name(),
            Value::Zset(z) => z.encoding_name(),
        }
    }
}
