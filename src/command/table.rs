//! The command table: one row per command, as in redis `src/commands/*.json`: name, arity
//! in Redis's sign convention, flags, handler, and for blocking commands the parser that
//! turns argv into an engine wait. Sorted by name; looked up case-insensitively.

use super::args::Args;
use super::{bitmaps, hashes, keys, lists, object, pubsub, server, sets, sort, streams, strings, zset_algebra, zsets, Context};
use super::blocking::BlockingCall;
use super::reply::Reply;
use crate::engine::stats::CmdId;
use crate::engine::{Keyspace, Result};

/// Runs one command inside a locked unit: parse the arguments, call the engine, shape the
/// reply. Never blocks (blocking commands run as their non-blocking attempt).
pub type Handler = fn(&mut Keyspace, &mut Context, &mut Args<'_>) -> Result<Reply>;

/// Parses a blocking command's arguments into the wait it asks for (`parse_blocking`).
#[derive(Debug, Clone, Copy)]
pub enum BlockParser {
    /// A command that always may block (BLPOP …).
    Always(fn(&mut Args<'_>) -> Result<BlockingCall>),
    /// A command that blocks only with an option (XREAD/XREADGROUP BLOCK): `None` without.
    WithOption(fn(&mut Args<'_>) -> Result<Option<BlockingCall>>),
}

impl BlockParser {
    /// The wait `args` ask for, if any.
    ///
    /// # Errors
    /// The command's syntax errors.
    pub fn parse(self, args: &mut Args<'_>) -> Result<Option<BlockingCall>> {
        match self {
            BlockParser::Always(p) => p(args).map(Some),
            BlockParser::WithOption(p) => p(args),
        }
    }
}

/// Command flags, named as Redis's (`CMD_WRITE`, `CMD_READONLY`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags(u16);

impl Flags {
    /// No flag.
    pub const NONE: Flags = Flags(0);
    /// May change the keyspace: logged to the AOF, refused on a read-only replica.
    pub const WRITE: Flags = Flags(1);
    /// Only reads the keyspace.
    pub const READONLY: Flags = Flags(1 << 1);
    /// May grow memory use (refused when over `maxmemory`, once there is one).
    pub const DENYOOM: Flags = Flags(1 << 2);
    /// O(1) or O(log n), never delays others (Redis `CMD_FAST`).
    pub const FAST: Flags = Flags(1 << 3);
    /// May block the caller (BLPOP …); runs non-blocking where blocking is not allowed.
    pub const BLOCKING: Flags = Flags(1 << 4);

    /// The union of `flags`.
    pub const fn of(flags: &[Flags]) -> Flags {
        let mut bits = 0;
        let mut i = 0;
        while i < flags.len() {
            bits |= flags[i].0;
            i += 1;
        }
        Flags(bits)
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

/// One row of the table.
#[derive(Debug)]
pub struct Command {
    /// Lower-case name (also the name quoted in arity errors).
    pub name: &'static str,
    /// Redis's convention: `n > 0` means exactly n arguments counting the name; `-n` means
    /// at least n.
    pub arity: i32,
    /// What kind of command it is.
    pub flags: Flags,
    /// Runs it in a locked unit.
    pub handler: Handler,
    /// For BLOCKING commands: the parse into a wait, shared with `handler`.
    pub block: Option<BlockParser>,
    /// Its id in the engine's command stats.
    pub id: CmdId,
}

impl Command {
    /// Whether `argc` arguments (counting the name) fit the arity (Redis `processCommand`).
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = i64::try_from(argc).unwrap_or(i64::MAX);
        let arity = i64::from(self.arity);
        if arity > 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }
}

const W: Flags = Flags::WRITE;
const R: Flags = Flags::READONLY;
const M: Flags = Flags::DENYOOM;
const F: Flags = Flags::FAST;
const B: Flags = Flags::BLOCKING;

const fn row(name: &'static str, arity: i32, flags: &[Flags], handler: Handler) -> Command {
    Command { name, arity, flags: Flags::of(flags), handler, block: None, id: CmdId::new(name) }
}

const fn blocking(
    name: &'static str,
    arity: i32,
    flags: &[Flags],
    handler: Handler,
    parse: fn(&mut Args<'_>) -> Result<BlockingCall>,
) -> Command {
    Command { name, arity, flags: Flags::of(flags), handler, block: Some(BlockParser::Always(parse)), id: CmdId::new(name) }
}

/// A command that blocks only when an option says so (XREAD BLOCK).
const fn blocking_with_option(
    name: &'static str,
    arity: i32,
    flags: &[Flags],
    handler: Handler,
    parse: fn(&mut Args<'_>) -> Result<Option<BlockingCall>>,
) -> Command {
    Command { name, arity, flags: Flags::of(flags), handler, block: Some(BlockParser::WithOption(parse)), id: CmdId::new(name) }
}

/// Every command, sorted by name (a test checks it). Flags as in Redis 7.0's tables.
static COMMANDS: [Command; 165] = [
    row("append", 3, &[W, M, F], strings::append),
    row("bitcount", -2, &[R], bitmaps::bitcount),
    row("bitfield", -2, &[W, M], bitmaps::bitfield),
    row("bitfield_ro", -2, &[R, F], bitmaps::bitfield_ro),
    row("bitop", -4, &[W, M], bitmaps::bitop),
    row("bitpos", -3, &[R], bitmaps::bitpos),
    blocking("blmove", 6, &[W, M, B], lists::blmove, lists::parse_blmove),
    blocking("blmpop", -5, &[W, B], lists::blmpop, lists::parse_blmpop),
    blocking("blpop", -3, &[W, B], lists::blpop, lists::parse_blpop),
    blocking("brpop", -3, &[W, B], lists::brpop, lists::parse_brpop),
    blocking("brpoplpush", 4, &[W, M, B], lists::brpoplpush, lists::parse_brpoplpush),
    row("copy", -3, &[W, M], keys::copy),
    row("dbsize", 1, &[R, F], keys::dbsize),
    row("decr", 2, &[W, M, F], strings::decr),
    row("decrby", 3, &[W, M, F], strings::decrby),
    row("del", -2, &[W], keys::del),
    row("echo", 2, &[F], server::echo),
    row("exists", -2, &[R, F], keys::exists),
    row("expire", -3, &[W, F], keys::expire),
    row("expireat", -3, &[W, F], keys::expireat),
    row("expiretime", 2, &[R, F], keys::expiretime),
    row("flushall", -1, &[W], keys::flushall),
    row("flushdb", -1, &[W], keys::flushdb),
    row("get", 2, &[R, F], strings::get),
    row("getbit", 3, &[R, F], bitmaps::getbit),
    row("getdel", 2, &[W, F], strings::getdel),
    row("getex", -2, &[W, F], strings::getex),
    row("getrange", 4, &[R], strings::getrange),
    row("getset", 3, &[W, M, F], strings::getset),
    row("hdel", -3, &[W, F], hashes::hdel),
    row("hexists", 3, &[R, F], hashes::hexists),
    row("hget", 3, &[R, F], hashes::hget),
    row("hgetall", 2, &[R], hashes::hgetall),
    row("hincrby", 4, &[W, M, F], hashes::hincrby),
    row("hincrbyfloat", 4, &[W, M, F], hashes::hincrbyfloat),
    row("hkeys", 2, &[R], hashes::hkeys),
    row("hlen", 2, &[R, F], hashes::hlen),
    row("hmget", -3, &[R, F], hashes::hmget),
    row("hmset", -4, &[W, M, F], hashes::hmset),
    row("hrandfield", -2, &[R], hashes::hrandfield),
    row("hscan", -3, &[R], hashes::hscan),
    row("hset", -4, &[W, M, F], hashes::hset),
    row("hsetnx", 4, &[W, M, F], hashes::hsetnx),
    row("hstrlen", 3, &[R, F], hashes::hstrlen),
    row("hvals", 2, &[R], hashes::hvals),
    row("incr", 2, &[W, M, F], strings::incr),
    row("incrby", 3, &[W, M, F], strings::incrby),
    row("incrbyfloat", 3, &[W, M, F], strings::incrbyfloat),
    row("keys", 2, &[R], keys::keys),
    row("lcs", -3, &[R], strings::lcs),
    row("lindex", 3, &[R], lists::lindex),
    row("linsert", 5, &[W, M], lists::linsert),
    row("llen", 2, &[R, F], lists::llen),
    row("lmove", 5, &[W, M], lists::lmove),
    row("lmpop", -4, &[W], lists::lmpop),
    row("lpop", -2, &[W, F], lists::lpop),
    row("lpos", -3, &[R], lists::lpos),
    row("lpush", -3, &[W, M, F], lists::lpush),
    row("lpushx", -3, &[W, M, F], lists::lpushx),
    row("lrange", 4, &[R], lists::lrange),
    row("lrem", 4, &[W], lists::lrem),
    row("lset", 4, &[W, M], lists::lset),
    row("ltrim", 4, &[W], lists::ltrim),
    row("mget", -2, &[R, F], strings::mget),
    row("move", 3, &[W, F], keys::move_),
    row("mset", -3, &[W, M], strings::mset),
    row("msetnx", -3, &[W, M], strings::msetnx),
    row("object", -2, &[R], object::object),
    row("persist", 2, &[W, F], keys::persist),
    row("pexpire", -3, &[W, F], keys::pexpire),
    row("pexpireat", -3, &[W, F], keys::pexpireat),
    row("pexpiretime", 2, &[R, F], keys::pexpiretime),
    row("ping", -1, &[F], server::ping),
    row("psetex", 4, &[W, M], strings::psetex),
    row("pttl", 2, &[R, F], keys::pttl),
    row("publish", 3, &[F], pubsub::publish),
    row("pubsub", -2, &[], pubsub::pubsub),
    row("randomkey", 1, &[R], keys::randomkey),
    row("rename", 3, &[W], keys::rename),
    row("renamenx", 3, &[W, F], keys::renamenx),
    row("rpop", -2, &[W, F], lists::rpop),
    row("rpoplpush", 3, &[W, M], lists::rpoplpush),
    row("rpush", -3, &[W, M, F], lists::rpush),
    row("rpushx", -3, &[W, M, F], lists::rpushx),
    row("sadd", -3, &[W, M, F], sets::sadd),
    row("scan", -2, &[R], keys::scan),
    row("scard", 2, &[R, F], sets::scard),
    row("sdiff", -2, &[R], sets::sdiff),
    row("sdiffstore", -3, &[W, M], sets::sdiffstore),
    row("select", 2, &[F], keys::select),
    row("set", -3, &[W, M], strings::set),
    row("setbit", 4, &[W, M], bitmaps::setbit),
    row("setex", 4, &[W, M], strings::setex),
    row("setnx", 3, &[W, M, F], strings::setnx),
    row("setrange", 4, &[W, M], strings::setrange),
    row("sinter", -2, &[R], sets::sinter),
    row("sintercard", -3, &[R], sets::sintercard),
    row("sinterstore", -3, &[W, M], sets::sinterstore),
    row("sismember", 3, &[R, F], sets::sismember),
    row("smembers", 2, &[R], sets::smembers),
    row("smismember", -3, &[R, F], sets::smismember),
    row("smove", 4, &[W, F], sets::smove),
    row("sort", -2, &[W, M], sort::sort),
    row("sort_ro", -2, &[R], sort::sort_ro),
    row("spop", -2, &[W, F], sets::spop),
    row("spublish", 3, &[F], pubsub::spublish),
    row("srandmember", -2, &[R], sets::srandmember),
    row("srem", -3, &[W, F], sets::srem),
    row("sscan", -3, &[R], sets::sscan),
    row("strlen", 2, &[R, F], strings::strlen),
    row("substr", 4, &[R], strings::getrange),
    row("sunion", -2, &[R], sets::sunion),
    row("sunionstore", -3, &[W, M], sets::sunionstore),
    row("swapdb", 3, &[W, F], keys::swapdb),
    row("touch", -2, &[R, F], keys::touch),
    row("ttl", 2, &[R, F], keys::ttl),
    row("type", 2, &[R, F], keys::type_),
    row("unlink", -2, &[W, F], keys::unlink),
    row("xack", -4, &[W, F], streams::xack),
    row("xadd", -5, &[W, M, F], streams::xadd),
    row("xautoclaim", -6, &[W, F], streams::xautoclaim),
    row("xclaim", -6, &[W, F], streams::xclaim),
    row("xdel", -3, &[W, F], streams::xdel),
    row("xgroup", -2, &[W], streams::xgroup),
    row("xinfo", -2, &[R], streams::xinfo),
    row("xlen", 2, &[R, F], streams::xlen),
    row("xpending", -3, &[R], streams::xpending),
    row("xrange", -4, &[R], streams::xrange),
    blocking_with_option("xread", -4, &[R, B], streams::xread, streams::parse_xread),
    blocking_with_option("xreadgroup", -7, &[W, B], streams::xreadgroup, streams::parse_xreadgroup),
    row("xrevrange", -4, &[R], streams::xrevrange),
    row("xsetid", -3, &[W, M, F], streams::xsetid),
    row("xtrim", -4, &[W], streams::xtrim),
    row("zadd", -4, &[W, M, F], zsets::zadd),
    row("zcard", 2, &[R, F], zsets::zcard),
    row("zcount", 4, &[R, F], zsets::zcount),
    row("zdiff", -3, &[R], zset_algebra::zdiff),
    row("zdiffstore", -4, &[W, M], zset_algebra::zdiffstore),
    row("zincrby", 4, &[W, M, F], zsets::zincrby),
    row("zinter", -3, &[R], zset_algebra::zinter),
    row("zintercard", -3, &[R], zset_algebra::zintercard),
    row("zinterstore", -4, &[W, M], zset_algebra::zinterstore),
    row("zlexcount", 4, &[R, F], zsets::zlexcount),
    row("zmpop", -4, &[W], zsets::zmpop),
    row("zmscore", -3, &[R, F], zsets::zmscore),
    row("zpopmax", -2, &[W, F], zsets::zpopmax),
    row("zpopmin", -2, &[W, F], zsets::zpopmin),
    row("zrandmember", -2, &[R], zsets::zrandmember),
    row("zrange", -4, &[R], zsets::zrange),
    row("zrangebylex", -4, &[R], zsets::zrangebylex),
    row("zrangebyscore", -4, &[R], zsets::zrangebyscore),
    row("zrangestore", -5, &[W, M], zsets::zrangestore),
    row("zrank", 3, &[R, F], zsets::zrank),
    row("zrem", -3, &[W, F], zsets::zrem),
    row("zremrangebylex", 4, &[W], zsets::zremrangebylex),
    row("zremrangebyrank", 4, &[W], zsets::zremrangebyrank),
    row("zremrangebyscore", 4, &[W], zsets::zremrangebyscore),
    row("zrevrange", -4, &[R], zsets::zrevrange),
    row("zrevrangebylex", -4, &[R], zsets::zrevrangebylex),
    row("zrevrangebyscore", -4, &[R], zsets::zrevrangebyscore),
    row("zrevrank", 3, &[R, F], zsets::zrevrank),
    row("zscan", -3, &[R], zsets::zscan),
    row("zscore", 3, &[R, F], zsets::zscore),
    row("zunion", -3, &[R], zset_algebra::zunion),
    row("zunionstore", -4, &[W, M], zset_algebra::zunionstore),
];

/// Compares a requested name, in any case, with a table name (lower case). Byte by byte,
/// inlined: names mostly differ at their first byte, so this beats lower-casing the name
/// first and comparing with `memcmp` (measured on XADD).
/// The longest command name there is room for in `lookup`'s buffer (a test checks the
/// table against it).
const NAME_MAX: usize = 32;

/// The command named `name` (any case), if there is one. Every request of the server and
/// every `execute_command` goes through here: one lower-casing copy on the stack and one
/// hash probe (a binary search comparing byte by byte was a tenth of the server's time
/// under pipelined load).
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    static INDEX: std::sync::OnceLock<std::collections::HashMap<&'static [u8], &'static Command, ahash::RandomState>> =
        std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| COMMANDS.iter().map(|c| (c.name.as_bytes(), c)).collect());
    let mut buf = [0u8; NAME_MAX];
    let lower = buf.get_mut(..name.len())?;
    for (to, from) in lower.iter_mut().zip(name) {
        *to = from.to_ascii_lowercase();
    }
    index.get(&*lower).copied()
}

/// Every command of the table, sorted by name (COMMAND, COMMAND COUNT).
pub fn commands() -> &'static [Command] {
    &COMMANDS
}

/// Every command name, lower case, sorted.
pub fn command_names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().map(|c| c.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_lower_case() {
        for pair in COMMANDS.windows(2) {
            assert!(pair[0].name < pair[1].name, "{} before {}", pair[0].name, pair[1].name);
        }
        for c in &COMMANDS {
            assert_eq!(c.name, c.name.to_ascii_lowercase());
            assert!(c.name.len() <= NAME_MAX, "{} is longer than lookup's buffer", c.name);
            assert_eq!(c.block.is_some(), c.flags.contains(Flags::BLOCKING), "{}", c.name);
            let both = Flags::of(&[Flags::WRITE, Flags::READONLY]);
            assert!(!c.flags.contains(both), "{} is both WRITE and READONLY", c.name);
        }
    }

    #[test]
    fn lookup_ignores_case_and_finds_every_row() {
        for c in &COMMANDS {
            assert_eq!(lookup(c.name.as_bytes()).map(|f| f.name), Some(c.name));
            assert_eq!(lookup(c.name.to_ascii_uppercase().as_bytes()).map(|f| f.name), Some(c.name));
        }
        assert!(lookup(b"nosuch").is_none());
        assert!(lookup(b"").is_none());
        assert!(lookup(b"getx").is_none());
        assert!(lookup(b"ge").is_none());
        assert!(lookup(b"xreadgroupx").is_none());
        assert!(lookup(b"XRead").is_some_and(|c| c.name == "xread"));
        assert!(lookup(&[b'x'; 4096]).is_none());
        // Bytes whose lower case is not ASCII stay as they are: no false match.
        assert!(lookup(b"G\xc9T").is_none());
    }
}
