//! The values a key can hold, and their TYPE names. Knows nothing of RESP or Python.

use super::hash::Hash;
use super::list::List;
use super::stream::Stream;

/// What a key holds. Empty containers never stay in the keyspace (Redis deletes them).
#[derive(Debug)]
pub enum Value {
    /// A string (Redis also stores counters as strings).
    Str(Vec<u8>),
    /// A list, stored packed (see `list.rs`).
    List(List),
    /// A stream (see `stream/`), boxed: it is large and keeps `Value` small. Unlike lists,
    /// an empty stream stays (its counters and groups live on), as in Redis.
    Stream(Box<Stream>),
    /// A hash, listpack- or table-encoded (see `hash.rs`).
    Hash(Hash),
}

impl Value {
    /// The name TYPE answers with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Stream(_) => "stream",
            Value::Hash(_) => "hash",
        }
    }
}
