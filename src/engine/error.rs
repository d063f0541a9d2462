//! The engine's one error vocabulary: a variant per Redis error reply.
//!
//! `Display` is Redis's exact text (prefix included), so the server can answer as Redis
//! does and the Python layer can strip the prefix as redis-py does. No call site builds an
//! error string of its own. Knows nothing of RESP or Python.

use std::fmt;

/// An error reply, worded as Redis 7 words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A command ran against a key holding another type.
    WrongType,
    /// `ERR syntax error`.
    Syntax,
    /// An argument that must be an integer is not one, or does not fit in an i64.
    NotAnInteger,
    /// An argument that must be a float is not one.
    NotAFloat,
    /// An argument must be a positive integer (COUNT of LPOP and friends).
    NotPositive,
    /// INCR family on a value that would overflow an i64.
    Overflow,
    /// A blocking timeout that is not a number.
    TimeoutNotFloat,
    /// A blocking timeout below zero.
    TimeoutNegative,
    /// A blocking timeout too large to be represented.
    TimeoutOutOfRange,
    /// An expire time that is not positive or overflows (`set`, `expire`, …: the command name).
    InvalidExpireTime { cmd: String },
    /// A command called with the wrong number of arguments (lower-case name).
    WrongArity { cmd: String },
    /// ZUNION & co. with numkeys below 1 (lower-case name).
    ZsetNoInputKey { cmd: String },
    /// ZUNION & co.: a WEIGHTS value that is not a float.
    WeightNotFloat,
    /// A command name that is not in the table, with the first arguments quoted.
    UnknownCommand { cmd: String, args: Vec<String> },
    /// An unknown subcommand of a container command (`PUBSUB`, `XGROUP`, …).
    UnknownSubcommand { cmd: String, sub: String },
    /// A container subcommand Redis knows, given the wrong number of arguments (Redis 7.0
    /// words some of these as if the subcommand were unknown).
    UnknownSubcommandOrArity { cmd: String, sub: String },
    /// LSET/RENAME on a missing key.
    NoSuchKey,
    /// LSET with an index past either end.
    IndexOutOfRange,
    /// SELECT with a database number outside 0..16.
    DbIndexOutOfRange,
    /// `numkeys` of LMPOP/BLMPOP is not above zero.
    NumkeysNotPositive,
    /// `numkeys` of LMPOP/BLMPOP is larger than the number of keys given.
    NumkeysTooLarge,
    /// COUNT of LMPOP/BLMPOP is not above zero.
    CountNotPositive,
    /// LPOS RANK 0.
    LposRankZero,
    /// LPOS COUNT below zero.
    LposCountNegative,
    /// LPOS MAXLEN below zero.
    LposMaxlenNegative,
    /// SET with both NX and XX, or another pair of options that exclude each other.
    SetOptionsExclusive,

    // Streams.
    /// XADD with an ID not above the stream's last ID.
    StreamIdTooSmall,
    /// XADD with the ID 0-0 on an empty stream.
    StreamIdZero,
    /// An ID that does not parse.
    InvalidStreamId,
    /// The stream's last ID is the largest possible one.
    StreamExhausted,
    /// XGROUP CREATE of a group that exists.
    BusyGroup,
    /// XREADGROUP on a missing key or group.
    NoGroupRead { key: String, group: String },
    /// XPENDING/XCLAIM/XACK… on a missing key or group.
    NoGroup { key: String, group: String },
    /// XINFO CONSUMERS / XGROUP SETID… on a missing group.
    NoSuchGroup { key: String, group: String },
    /// XGROUP on a missing key without MKSTREAM.
    XgroupNeedsKey,
    /// XREAD/XREADGROUP whose STREAMS list has not one ID per key.
    XreadUnbalanced { cmd: String },
    /// XSETID with an ID below the stream's top entry.
    XsetidTooSmall,
    /// An XADD/XTRIM option used where it is not allowed (LIMIT with `=`, …).
    XtrimLimitWithExact,
    /// XRANGE with an exclusive start that cannot be incremented.
    InvalidStartInterval,
    /// XRANGE with an exclusive end that cannot be decremented.
    InvalidEndInterval,
    /// XADD `ms-*` whose millisecond has no sequence left (Redis 7.0's wording).
    StreamElementsTooLarge,
    /// XREADGROUP with `$`.
    XreadgroupDollarId,
    /// XREAD with `>`.
    XreadGreaterIdWithoutGroup,
    /// XSETID below the given max-deleted-entry-id.
    XsetidSmallerThanProvidedMaxDeleted,
    /// XSETID whose entries-added is below the length.
    XsetidEntriesAddedTooSmall,
    /// XSETID ENTRIESADDED below zero.
    XsetidEntriesAddedNegative,
    /// XADD/XTRIM MAXLEN below zero.
    MaxlenNegative,
    /// XADD/XTRIM LIMIT below zero.
    LimitNegative,
    /// XADD/XTRIM with both MAXLEN and MINID.
    TrimStrategiesExclusive,
    /// XADD/XTRIM LIMIT without MAXLEN or MINID.
    LimitWithoutStrategy,
    /// XTRIM without MAXLEN or MINID.
    XtrimNeedsStrategy,
    /// XGROUP CREATE/SETID ENTRIESREAD below -1.
    EntriesReadInvalid,
    /// XCLAIM / XAUTOCLAIM min-idle-time that is not an integer (`cmd`: "XCLAIM"…).
    MinIdleInvalid { cmd: &'static str },
    /// XCLAIM IDLE / TIME / RETRYCOUNT value that is not an integer (`opt` upper case).
    XclaimOptionInvalid { opt: &'static str },
    /// XCLAIM with an argument that is neither an ID nor an option (quoted as given).
    XclaimUnknownOption { opt: String },
    /// XAUTOCLAIM COUNT outside 1..=LONG_MAX/16.
    XautoclaimCount,
    /// XAUTOCLAIM COUNT whose buffer of deleted IDs Redis could not allocate.
    XautoclaimCountTooHigh,
    /// XREAD with GROUP or NOACK (`opt` upper case).
    XreadOptionNeedsGroup { opt: &'static str },
    /// XREADGROUP without GROUP.
    XreadgroupMissingGroup,
    /// A millisecond timeout (XREAD BLOCK) that is not an integer.
    TimeoutNotInteger,
    /// A subcommand called with arguments it does not take (Redis
    /// `addReplySubcommandSyntaxError`): `sub` as the caller wrote it.
    SubcommandSyntax { cmd: String, sub: String },
    /// An XREADGROUP blocked on a key that was deleted or overwritten (Redis 7.0).
    StreamKeyDeleted,
    /// An XREADGROUP blocked on a group that was destroyed.
    NoGroupBlocked,

    /// DECRBY of i64::MIN (its negation does not fit).
    DecrementOverflow,

    // Strings and bitmaps.
    /// INCRBYFLOAT whose sum is not finite.
    NanOrInfinity,
    /// APPEND/SETRANGE/SETBIT past Redis's largest string (`checkStringLength`).
    StringTooLong,
    /// SETRANGE with a negative offset.
    OffsetOutOfRange,
    /// SETBIT/GETBIT/BITFIELD offset that is not an integer, negative, or too large.
    BitOffset,
    /// SETBIT value other than 0 or 1.
    BitValue,
    /// BITPOS bit other than 0 or 1.
    BitposBit,
    /// BITOP NOT with other than one source key.
    BitopNotSingle,
    /// BITFIELD type that is not i1..i64 or u1..u63.
    BitfieldType,
    /// BITFIELD OVERFLOW other than WRAP, SAT, FAIL.
    BitfieldOverflowType,
    /// BITFIELD_RO with SET or INCRBY.
    BitfieldRoGetOnly,
    /// LCS on a key that holds another type (LCS's own wording, not WRONGTYPE).
    LcsWrongType,
    /// LCS with both LEN and IDX.
    LcsLenAndIdx,
    /// LCS whose table would be larger than `proto-max-bulk-len`.
    LcsTooLarge,
    /// An option a command does not know (EXPIRE's flags).
    UnsupportedOption { opt: String },
    /// EXPIRE with NX and one of XX/GT/LT.
    ExpireNxAndOthers,
    /// EXPIRE with both GT and LT.
    ExpireGtAndLt,
    /// SINTERCARD's LIMIT is not a non-negative integer.
    IntercardLimitNegative,
    /// An integer outside a command's range (Redis's wording lacks a "be").
    IntRange { min: i64, max: i64 },
    /// SCAN with a cursor that is not an unsigned integer.
    InvalidCursor,
    /// COPY or MOVE onto the very key it reads (`shared.sameobjecterr`).
    SameObject,
    /// SWAPDB's index (`first` or `second`) is not an integer in C int range.
    SwapdbInvalidIndex { which: &'static str },
    /// OBJECT FREQ without an LFU `maxmemory-policy`.
    ObjectFreqNeedsLfu,
    /// OBJECT IDLETIME under an LFU `maxmemory-policy`.
    ObjectIdletimeUnderLfu,
    /// SORT (numeric) met an element or weight that is not a double.
    SortNotDouble,

    // Sorted sets.
    /// ZADD with both XX and NX.
    ZaddXxNx,
    /// ZADD with GT, LT and NX combined.
    ZaddGtLtNx,
    /// ZADD INCR with more than one pair.
    ZaddIncrPairs,
    /// A ZADD INCR / ZINCRBY whose result is NaN (inf + -inf).
    ScoreNan,
    /// A score range bound that is not a float.
    MinMaxNotFloat,
    /// A lex range bound that is not `-`, `+`, `[x` or `(x`.
    MinMaxNotLex,
    /// ZRANGE LIMIT on an index range.
    ZrangeLimitByIndex,
    /// ZRANGE BYLEX WITHSCORES.
    ZrangeWithscoresBylex,

    // Hashes.
    /// HINCRBY on a field whose value is not an integer.
    HashValueNotInteger,
    /// HINCRBYFLOAT on a field whose value is not a float.
    HashValueNotFloat,
    /// HINCRBYFLOAT with an increment that is NaN or infinite.
    ValueNanOrInfinity,
    /// A number outside the range a command allows (HRANDFIELD's count WITHVALUES).
    ValueOutOfRange,

    // Connection and server level.
    /// A command that may grow memory, refused while used memory is over `maxmemory`
    /// and nothing more can be evicted (`shared.oomerr`).
    OutOfMemory,
    /// A command not allowed in the current context (e.g. a blocking command in a replay).
    NotAllowed { what: String },
}

/// The result of any engine operation.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The first word of the reply, as clients key their exception classes on it.
    pub fn prefix(&self) -> &'static str {
        match self {
            Error::WrongType => "WRONGTYPE",
            Error::BusyGroup => "BUSYGROUP",
            Error::NoGroupRead { .. }
            | Error::NoGroup { .. }
            | Error::NoSuchGroup { .. }
            | Error::NoGroupBlocked => "NOGROUP",
            Error::StreamKeyDeleted => "UNBLOCKED",
            Error::OutOfMemory => "OOM",
            _ => "ERR",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::WrongType => {
                f.write_str("WRONGTYPE Operation against a key holding the wrong kind of value")
            }
            Error::Syntax => f.write_str("ERR syntax error"),
            Error::NotAnInteger => f.write_str("ERR value is not an integer or out of range"),
            Error::NotAFloat => f.write_str("ERR value is not a valid float"),
            Error::NotPositive => f.write_str("ERR value is out of range, must be positive"),
            Error::Overflow => f.write_str("ERR increment or decrement would overflow"),
            Error::TimeoutNotFloat => f.write_str("ERR timeout is not a float or out of range"),
            Error::TimeoutNegative => f.write_str("ERR timeout is negative"),
            Error::TimeoutOutOfRange => f.write_str("ERR timeout is out of range"),
            Error::InvalidExpireTime { cmd } => {
                write!(f, "ERR invalid expire time in '{cmd}' command")
            }
            Error::WrongArity { cmd } => {
                write!(f, "ERR wrong number of arguments for '{cmd}' command")
            }
            Error::UnknownCommand { cmd, args } => {
                write!(f, "ERR unknown command '{cmd}', with args beginning with: ")?;
                for a in args {
                    write!(f, "'{a}' ")?;
                }
                Ok(())
            }
            Error::UnknownSubcommand { cmd, sub } => write!(
                f,
                "ERR unknown subcommand '{sub}'. Try {} HELP.",
                cmd.to_ascii_uppercase()
            ),
            Error::UnknownSubcommandOrArity { cmd, sub } => write!(
                f,
                "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
                cmd.to_ascii_uppercase()
            ),
            Error::NoSuchKey => f.write_str("ERR no such key"),
            Error::OutOfMemory => f.write_str("OOM command not allowed when used memory > 'maxmemory'."),
            Error::IndexOutOfRange => f.write_str("ERR index out of range"),
            Error::DbIndexOutOfRange => f.write_str("ERR DB index is out of range"),
            Error::NumkeysNotPositive => f.write_str("ERR numkeys should be greater than 0"),
            Error::NumkeysTooLarge => {
                f.write_str("ERR Number of keys can't be greater than number of args")
            }
            Error::CountNotPositive => f.write_str("ERR count should be greater than 0"),
            Error::LposRankZero => f.write_str(
                "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                 second ... or use negative to start from the end of the list",
            ),
            Error::LposCountNegative => f.write_str("ERR COUNT can't be negative"),
            Error::LposMaxlenNegative => f.write_str("ERR MAXLEN can't be negative"),
            Error::SetOptionsExclusive => f.write_str("ERR syntax error"),
            Error::StreamIdTooSmall => f.write_str(
                "ERR The ID specified in XADD is equal or smaller than the target stream top item",
            ),
            Error::StreamIdZero => {
                f.write_str("ERR The ID specified in XADD must be greater than 0-0")
            }
            Error::InvalidStreamId => {
                f.write_str("ERR Invalid stream ID specified as stream command argument")
            }
            Error::StreamExhausted => f.write_str(
                "ERR The stream has exhausted the last possible ID, unable to add more items",
            ),
            Error::BusyGroup => f.write_str("BUSYGROUP Consumer Group name already exists"),
            Error::NoGroupRead { key, group } => write!(
                f,
                "NOGROUP No such key '{key}' or consumer group '{group}' in XREADGROUP with GROUP option"
            ),
            Error::NoGroup { key, group } => {
                write!(f, "NOGROUP No such key '{key}' or consumer group '{group}'")
            }
            Error::NoSuchGroup { key, group } => {
                write!(f, "NOGROUP No such consumer group '{group}' for key name '{key}'")
            }
            Error::XgroupNeedsKey => f.write_str(
                "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you \
                 may want to use the MKSTREAM option to create an empty stream automatically.",
            ),
            // Redis 7.0 names XREAD (and `$`) for XREADGROUP too; `cmd` is kept for callers.
            Error::XreadUnbalanced { cmd: _ } => f.write_str(
                "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
            ),
            Error::XsetidTooSmall => f.write_str(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ),
            Error::XtrimLimitWithExact => f.write_str(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ),
            Error::InvalidStartInterval => f.write_str("ERR invalid start ID for the interval"),
            Error::InvalidEndInterval => f.write_str("ERR invalid end ID for the interval"),
            Error::StreamElementsTooLarge => f.write_str("ERR Elements are too large to be stored"),
            Error::XreadgroupDollarId => f.write_str(
                "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the \
                 history of this consumer by specifying a proper ID, or use the > ID to get new \
                 messages. The $ ID would just return an empty result set.",
            ),
            Error::XreadGreaterIdWithoutGroup => f.write_str(
                "ERR The > ID can be specified only when calling XREADGROUP using the GROUP \
                 <group> <consumer> option.",
            ),
            Error::XsetidSmallerThanProvidedMaxDeleted => f.write_str(
                "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
            ),
            Error::XsetidEntriesAddedTooSmall => f.write_str(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ),
            Error::XsetidEntriesAddedNegative => f.write_str("ERR entries_added must be positive"),
            Error::MaxlenNegative => f.write_str("ERR The MAXLEN argument must be >= 0."),
            Error::LimitNegative => f.write_str("ERR The LIMIT argument must be >= 0."),
            Error::TrimStrategiesExclusive => f.write_str(
                "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
            ),
            Error::LimitWithoutStrategy => f.write_str(
                "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
            ),
            Error::XtrimNeedsStrategy => {
                f.write_str("ERR syntax error, XTRIM must be called with a trimming strategy")
            }
            Error::EntriesReadInvalid => {
                f.write_str("ERR value for ENTRIESREAD must be positive or -1")
            }
            Error::MinIdleInvalid { cmd } => {
                write!(f, "ERR Invalid min-idle-time argument for {cmd}")
            }
            Error::XclaimOptionInvalid { opt } => {
                write!(f, "ERR Invalid {opt} option argument for XCLAIM")
            }
            Error::XclaimUnknownOption { opt } => write!(f, "ERR Unrecognized XCLAIM option '{opt}'"),
            Error::XautoclaimCount => f.write_str("ERR COUNT must be > 0"),
            Error::XautoclaimCountTooHigh => {
                f.write_str("ERR Insufficient memory, failed allocating transient memory, COUNT too high.")
            }
            Error::XreadOptionNeedsGroup { opt } => write!(
                f,
                "ERR The {opt} option is only supported by XREADGROUP. You called XREAD instead."
            ),
            Error::XreadgroupMissingGroup => f.write_str("ERR Missing GROUP option for XREADGROUP"),
            Error::TimeoutNotInteger => f.write_str("ERR timeout is not an integer or out of range"),
            Error::SubcommandSyntax { cmd, sub } => write!(
                f,
                "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {} HELP.",
                cmd.to_ascii_uppercase()
            ),
            Error::StreamKeyDeleted => f.write_str("UNBLOCKED the stream key no longer exists"),
            Error::NoGroupBlocked => f.write_str(
                "NOGROUP the consumer group this client was blocked on no longer exists",
            ),
            Error::DecrementOverflow => f.write_str("ERR decrement would overflow"),
            Error::NanOrInfinity => f.write_str("ERR increment would produce NaN or Infinity"),
            Error::StringTooLong => {
                f.write_str("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
            }
            Error::OffsetOutOfRange => f.write_str("ERR offset is out of range"),
            Error::BitOffset => f.write_str("ERR bit offset is not an integer or out of range"),
            Error::BitValue => f.write_str("ERR bit is not an integer or out of range"),
            Error::BitposBit => f.write_str("ERR The bit argument must be 1 or 0."),
            Error::BitopNotSingle => {
                f.write_str("ERR BITOP NOT must be called with a single source key.")
            }
            Error::BitfieldType => f.write_str(
                "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not \
                 supported but i64 is.",
            ),
            Error::BitfieldOverflowType => f.write_str("ERR Invalid OVERFLOW type specified"),
            Error::BitfieldRoGetOnly => {
                f.write_str("ERR BITFIELD_RO only supports the GET subcommand")
            }
            Error::LcsWrongType => f.write_str("ERR The specified keys must contain string values"),
            Error::LcsLenAndIdx => {
                f.write_str("ERR If you want both the length and indexes, please just use IDX.")
            }
            Error::LcsTooLarge => f.write_str(
                "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
            ),
            Error::UnsupportedOption { opt } => write!(f, "ERR Unsupported option {opt}"),
            Error::ExpireNxAndOthers => f.write_str(
                "ERR NX and XX, GT or LT options at the same time are not compatible",
            ),
            Error::ExpireGtAndLt => {
                f.write_str("ERR GT and LT options at the same time are not compatible")
            }
            Error::IntercardLimitNegative => f.write_str("ERR LIMIT can't be negative"),
            Error::ZsetNoInputKey { cmd } => write!(f, "ERR at least 1 input key is needed for '{cmd}' command"),
            Error::WeightNotFloat => f.write_str("ERR weight value is not a float"),
            Error::IntRange { min, max } => {
                write!(f, "ERR value is out of range, value must between {min} and {max}")
            }
            Error::InvalidCursor => f.write_str("ERR invalid cursor"),
            Error::SameObject => f.write_str("ERR source and destination objects are the same"),
            Error::SwapdbInvalidIndex { which } => write!(f, "ERR invalid {which} DB index"),
            Error::ObjectFreqNeedsLfu => f.write_str(
                "ERR An LFU maxmemory policy is not selected, access frequency not tracked. \
                 Please note that when switching between policies at runtime LRU and LFU data \
                 will take some time to adjust.",
            ),
            Error::ObjectIdletimeUnderLfu => f.write_str(
                "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note \
                 that when switching between policies at runtime LRU and LFU data will take \
                 some time to adjust.",
            ),
            Error::SortNotDouble => f.write_str("ERR One or more scores can't be converted into double"),
            Error::ZaddXxNx => f.write_str("ERR XX and NX options at the same time are not compatible"),
            Error::ZaddGtLtNx => f.write_str("ERR GT, LT, and/or NX options at the same time are not compatible"),
            Error::ZaddIncrPairs => f.write_str("ERR INCR option supports a single increment-element pair"),
            Error::ScoreNan => f.write_str("ERR resulting score is not a number (NaN)"),
            Error::MinMaxNotFloat => f.write_str("ERR min or max is not a float"),
            Error::MinMaxNotLex => f.write_str("ERR min or max not valid string range item"),
            Error::ZrangeLimitByIndex => {
                f.write_str("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
            }
            Error::ZrangeWithscoresBylex => f.write_str("ERR syntax error, WITHSCORES not supported in combination with BYLEX"),
            Error::HashValueNotInteger => f.write_str("ERR hash value is not an integer"),
            Error::HashValueNotFloat => f.write_str("ERR hash value is not a float"),
            Error::ValueNanOrInfinity => f.write_str("ERR value is NaN or Infinity"),
            Error::ValueOutOfRange => f.write_str("ERR value is out of range"),
            Error::NotAllowed { what } => write!(f, "ERR {what}"),
        }
    }
}

impl std::error::Error for Error {}
