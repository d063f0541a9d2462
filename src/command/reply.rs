//! `Reply`: what a command answers, as a neutral value tree. The RESP layer encodes it
//! (RESP2 or RESP3, `Context::resp`), the binding converts it to Python objects; neither
//! decides its shape, and nothing here knows how it is written on a wire.

use crate::engine::Error;

/// One command's answer. Shapes follow Redis's `addReply*` calls, so that an encoder can
/// map each variant to exactly one RESP2 and one RESP3 frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `+OK` (Redis `shared.ok`).
    Ok,
    /// A status reply other than OK (`+PONG`, TYPE's `+list`): ASCII, never CR or LF.
    /// Bytes like `Bulk`, so that consumers can treat the two alike.
    Simple(Vec<u8>),
    /// An integer reply.
    Int(i64),
    /// A bulk string.
    Bulk(Vec<u8>),
    /// The null bulk string (`$-1` in RESP2, `_` in RESP3): a missing value.
    Nil,
    /// The null array (`*-1` in RESP2, `_` in RESP3): a missing aggregate, e.g. LPOP with
    /// COUNT on a missing key, or a blocking pop that timed out.
    NilArray,
    /// An array (possibly empty, which is not the same as `NilArray`).
    Array(Vec<Reply>),
    /// A set (RESP3 `~`; RESP2 encoders write an array): SMEMBERS, SINTER, SPOP with a
    /// count… (Redis `addReplySetLen`).
    Set(Vec<Reply>),
    /// A double (RESP3 `,`; RESP2 encoders write it as a bulk string, as Redis does).
    Double(f64),
    /// A map (RESP3 `%`; RESP2 encoders flatten it into an array of 2n elements).
    Map(Vec<(Reply, Reply)>),
    /// An error in a position where the reply goes on (an entry of EXEC's array). A
    /// command that fails as a whole returns `Err`, not this.
    Error(Error),
}

impl Reply {
    /// A status reply from a word.
    pub fn simple(s: &str) -> Reply {
        debug_assert!(!s.contains(['\r', '\n']), "a status reply is one line");
        Reply::Simple(s.as_bytes().to_vec())
    }

    /// An integer reply from a count or length (saturating; no count is that large).
    pub fn count(n: usize) -> Reply {
        Reply::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }

    /// 1 for true, 0 for false (Redis `shared.cone` / `shared.czero`).
    pub fn bool(b: bool) -> Reply {
        Reply::Int(i64::from(b))
    }

    /// A bulk string, or `Nil` when there is no value.
    pub fn bulk_or_nil(v: Option<Vec<u8>>) -> Reply {
        v.map_or(Reply::Nil, Reply::Bulk)
    }

    /// An array of bulk strings.
    pub fn bulks<I, T>(items: I) -> Reply
    where
        I: IntoIterator<Item = T>,
        T: Into<Vec<u8>>,
    {
        Reply::Array(items.into_iter().map(|v| Reply::Bulk(v.into())).collect())
    }

    /// A set of bulk strings.
    pub fn bulk_set<I, T>(items: I) -> Reply
    where
        I: IntoIterator<Item = T>,
        T: Into<Vec<u8>>,
    {
        Reply::Set(items.into_iter().map(|v| Reply::Bulk(v.into())).collect())
    }

    /// Whether this is `Nil` or `NilArray` (both read as `None` in redis-py).
    pub fn is_nil(&self) -> bool {
        matches!(self, Reply::Nil | Reply::NilArray)
    }
}

impl From<Error> for Reply {
    fn from(e: Error) -> Reply {
        Reply::Error(e)
    }
}
