//! The values a key can hold, and their TYPE names. Knows nothing of RESP or Python.

use super::list::List;
use super::set::Set;
use super::stream::Stream;

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
}

impl Value {
    /// The name TYPE answers with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Stream(_) => "stream",
        }
    }
}
