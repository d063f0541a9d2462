//! CONFIG and the one table of parameters it reads and sets, for every door: the RESP
//! server, `Broker.execute_command("CONFIG", ...)` and `Broker.config_get/config_set`.
//!
//! Each row says where a parameter lives: kept with the data and read by the engine
//! (`Engine`: `stream-node-max-*`, `hz`), remembered only because it changes nothing in
//! embedis (`Knob`: encoding and tuning knobs, listed in the docs with why), settable only
//! to the value embedis really has (`Refused`: Redis would do something embedis cannot,
//! so any other value is refused rather than answered with a lying OK), fixed at start
//! (`Immutable`, `Protected`, as Redis), or owned by what hosts the broker (`Host`: the
//! server's listeners and client limits, the persistence's files and policies), reached
//! through the [`Host`] hook the caller passes. Adding a parameter is one row.
//!
//! Values are checked as Redis 7.0's `config.c` checks them, with its error texts, and a
//! CONFIG SET of several pairs checks every pair before applying any.

use std::any::Any;

use super::reply::Reply;
use crate::engine::config::{HZ_MAX, HZ_MIN};
use crate::engine::memory::{MemoryConfig, Policy};
use crate::engine::strings::parse_i64;
use crate::engine::glob::glob_match;
use crate::engine::{Error, Keyspace, Result};

/// How a value is read and checked (Redis's config types).
#[derive(Debug, Clone, Copy)]
pub enum Type {
    /// An integer in `min..=max` (`createIntConfig` and friends).
    Int(i64, i64),
    /// A byte count with an optional unit (`MEMORY_CONFIG`), in `min..=max`.
    Mem(i64, i64),
    /// `yes` or `no`, any case.
    Bool,
    /// One of these words, any case.
    Enum(&'static [&'static str]),
    /// Any text; the owner checks it.
    Text,
    /// Text in a form this function checks (`save`, `client-output-buffer-limit`), with or
    /// without an owner.
    Form(fn(&str) -> std::result::Result<(), String>),
}

/// Where a parameter lives, and so what CONFIG SET does with it.
#[derive(Debug, Clone, Copy)]
pub enum Home {
    /// Read by the engine: kept in the keyspace (its [`Params`](crate::engine::config::Params), or the state of the
    /// engine part that reads it, such as `maxmemory`'s). The setter gets a value
    /// [`Type`] has checked.
    Engine(fn(&Keyspace) -> String, fn(&mut Keyspace, &str)),
    /// No observable effect in embedis: remembered, so CONFIG GET answers what CONFIG SET
    /// was told, as on Redis.
    Knob,
    /// Redis would act on any value but the default, and embedis cannot: only the default
    /// may be set; the text says why (it ends the CONFIG SET error).
    Refused(&'static str),
    /// Redis refuses to change it at run time ("can't set immutable config").
    Immutable,
    /// Redis 7 refuses it unless `enable-protected-configs` ("can't set protected config").
    Protected,
    /// Owned by the host: the server, the persistence. Without a host owning it, the
    /// row's default is the value, and only that value may be set.
    Host,
}

/// One parameter.
#[derive(Debug)]
pub struct Param {
    /// Redis's name (lower case).
    pub name: &'static str,
    /// Other names Redis answers to (`hash-max-ziplist-entries`); CONFIG GET lists each.
    pub aliases: &'static [&'static str],
    /// Redis 7.0's default, or for `Host` rows the value without a host owning it.
    pub default: &'static str,
    /// How a value is checked.
    pub ty: Type,
    /// Where it lives.
    pub home: Home,
}

const I64: i64 = i64::MAX;
const I32: i64 = i32::MAX as i64;
const U32: i64 = u32::MAX as i64;

const fn p(name: &'static str, default: &'static str, ty: Type, home: Home) -> Param {
    Param { name, aliases: &[], default, ty, home }
}

const fn alias(name: &'static str, aliases: &'static [&'static str], default: &'static str, ty: Type, home: Home) -> Param {
    Param { name, aliases, default, ty, home }
}

fn get_node_bytes(ks: &Keyspace) -> String {
    ks.config.stream.node_max_bytes.to_string()
}
fn set_node_bytes(ks: &mut Keyspace, v: &str) {
    ks.config.stream.node_max_bytes = v.parse().unwrap_or(usize::MAX);
}
fn get_node_entries(ks: &Keyspace) -> String {
    ks.config.stream.node_max_entries.to_string()
}
fn set_node_entries(ks: &mut Keyspace, v: &str) {
    ks.config.stream.node_max_entries = v.parse().unwrap_or(usize::MAX);
}
fn get_intset_entries(ks: &Keyspace) -> String {
    ks.config.set_max_intset_entries.to_string()
}
fn set_intset_entries(ks: &mut Keyspace, v: &str) {
    ks.config.set_max_intset_entries = v.parse().unwrap_or(usize::MAX);
}
fn get_hash_entries(ks: &Keyspace) -> String {
    ks.config.hash.max_entries.to_string()
}
fn set_hash_entries(ks: &mut Keyspace, v: &str) {
    ks.config.hash.max_entries = v.parse().unwrap_or(usize::MAX);
}
fn get_zset_entries(ks: &Keyspace) -> String {
    ks.config.zset.max_entries.to_string()
}
fn set_zset_entries(ks: &mut Keyspace, v: &str) {
    ks.config.zset.max_entries = v.parse().unwrap_or(usize::MAX);
}
fn get_zset_value(ks: &Keyspace) -> String {
    ks.config.zset.max_value.to_string()
}
fn set_zset_value(ks: &mut Keyspace, v: &str) {
    ks.config.zset.max_value = parse_memory(v).map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
}
fn get_hash_value(ks: &Keyspace) -> String {
    ks.config.hash.max_value.to_string()
}
fn set_hash_value(ks: &mut Keyspace, v: &str) {
    ks.config.hash.max_value = parse_memory(v).map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
}
fn get_hz(ks: &Keyspace) -> String {
    ks.config.hz.to_string()
}
/// Redis's `updateHZ`: any non-negative value is taken, then clamped to 1..=500.
fn set_hz(ks: &mut Keyspace, v: &str) {
    ks.config.hz = v.parse::<u64>().unwrap_or(u64::MAX).clamp(u64::from(HZ_MIN), u64::from(HZ_MAX)) as u32;
}

// The memory limit and its policy live with the eviction state (`engine/evict.rs`).
fn get_notify(ks: &Keyspace) -> String {
    ks.notify_flags_text()
}
fn set_notify(ks: &mut Keyspace, v: &str) {
    // `check_pair` refused any character that names no class.
    ks.set_notify_flags(crate::engine::notify::parse_flags(v.as_bytes()).unwrap_or(0));
}

fn get_maxmemory(ks: &Keyspace) -> String {
    ks.memory_config().maxmemory.to_string()
}
/// Redis's `updateMaxmemory`: a new limit evicts at once (what a policy allows).
fn set_maxmemory(ks: &mut Keyspace, v: &str) {
    let cfg = MemoryConfig { maxmemory: parse_memory(v).unwrap_or(u64::MAX), ..ks.memory_config() };
    ks.set_memory_config(cfg);
    ks.perform_evictions();
}
fn get_policy(ks: &Keyspace) -> String {
    ks.memory_config().policy.name().to_owned()
}
fn set_policy(ks: &mut Keyspace, v: &str) {
    let policy = Policy::parse(v.as_bytes()).unwrap_or_default();
    ks.set_memory_config(MemoryConfig { policy, ..ks.memory_config() });
}
fn get_samples(ks: &Keyspace) -> String {
    ks.memory_config().samples.to_string()
}
fn set_samples(ks: &mut Keyspace, v: &str) {
    ks.set_memory_config(MemoryConfig { samples: v.parse().unwrap_or(5), ..ks.memory_config() });
}
fn get_lfu_log_factor(ks: &Keyspace) -> String {
    ks.memory_config().lfu_log_factor.to_string()
}
fn set_lfu_log_factor(ks: &mut Keyspace, v: &str) {
    ks.set_memory_config(MemoryConfig { lfu_log_factor: v.parse().unwrap_or(10), ..ks.memory_config() });
}
// The slow log keeps its own two settings (`engine/slowlog.rs`).
fn get_slower_than(ks: &Keyspace) -> String {
    ks.slowlog.slower_than.to_string()
}
fn set_slower_than(ks: &mut Keyspace, v: &str) {
    ks.slowlog.slower_than = v.parse().unwrap_or(10_000);
}
fn get_slowlog_max_len(ks: &Keyspace) -> String {
    ks.slowlog.max_len.to_string()
}
fn set_slowlog_max_len(ks: &mut Keyspace, v: &str) {
    ks.slowlog.set_max_len(v.parse().unwrap_or(usize::MAX));
}
fn get_lfu_decay_time(ks: &Keyspace) -> String {
    ks.memory_config().lfu_decay_time.to_string()
}
fn set_lfu_decay_time(ks: &mut Keyspace, v: &str) {
    ks.set_memory_config(MemoryConfig { lfu_decay_time: v.parse().unwrap_or(1), ..ks.memory_config() });
}

use Home::{Host as H, Immutable as Imm, Knob as K, Protected as Prot};
use Type::{Bool, Enum, Form, Int, Mem, Text};

/// Redis's `save` form: pairs of seconds (at least 1) and changes, split on single spaces
/// (extra blanks make empty words, which are not numbers).
pub fn parse_save(v: &str) -> Option<Vec<(u64, u64)>> {
    let words: Vec<&str> = if v.is_empty() { Vec::new() } else { v.split(' ').collect() };
    if words.len() % 2 != 0 {
        return None;
    }
    words
        .chunks(2)
        .map(|pair| match (pair[0].parse::<u64>(), pair[1].parse::<u64>()) {
            (Ok(secs), Ok(changes)) if secs >= 1 => Some((secs, changes)),
            _ => None,
        })
        .collect()
}

fn check_save(v: &str) -> std::result::Result<(), String> {
    parse_save(v).map(|_| ()).ok_or_else(|| "Invalid save parameters".into())
}

/// One class of `client-output-buffer-limit`: its name (lower case, `replica` spelled
/// `slave`), hard and soft limits in bytes, and the seconds the soft one may be exceeded.
pub type OutputClass = (String, u64, u64, u64);

/// Redis's `client-output-buffer-limit` form: `class hard soft seconds`, repeated.
pub fn parse_output_limits(v: &str) -> std::result::Result<Vec<OutputClass>, String> {
    let words: Vec<&str> = v.split_whitespace().collect();
    if words.is_empty() || words.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    words
        .chunks(4)
        .map(|w| {
            let class = match w[0].to_ascii_lowercase().as_str() {
                "normal" => "normal",
                "slave" | "replica" => "slave",
                "pubsub" => "pubsub",
                _ => return Err("Invalid client class specified in buffer limit configuration.".to_owned()),
            };
            match (parse_memory(w[1]), parse_memory(w[2]), parse_i64(w[3].as_bytes()).and_then(|n| u64::try_from(n).ok())) {
                (Some(hard), Some(soft), Some(secs)) => Ok((class.to_owned(), hard, soft, secs)),
                _ => Err("Error in hard, soft or soft_seconds setting in buffer limit configuration.".to_owned()),
            }
        })
        .collect()
}

fn check_output_limits(v: &str) -> std::result::Result<(), String> {
    parse_output_limits(v).map(|_| ())
}

const POLICIES: &[&str] = &Policy::NAMES;

/// Every parameter, in the order CONFIG GET lists them. Decisions (docs/configuration.md):
/// `Engine` and `Host` rows take effect as in Redis; `Knob` rows have no observable effect
/// here; `Refused` rows would, and take only the value embedis has.
pub static PARAMS: &[Param] = &[
    // The server's (the hook answers; without a server, the broker has no listener).
    p("bind", "", Text, H),
    p("port", "0", Int(0, 65535), H),
    p("unixsocket", "", Text, Imm),
    p("unixsocketperm", "0", Int(0, 0o777), Imm),
    p("requirepass", "", Text, H),
    p("maxclients", "10000", Int(1, U32), H),
    p("protected-mode", "yes", Bool, H),
    p("proto-max-bulk-len", "536870912", Mem(1024 * 1024, I64), H),
    p("client-query-buffer-limit", "1073741824", Mem(1024 * 1024, I64), H),
    p(
        "client-output-buffer-limit",
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        Form(check_output_limits),
        H,
    ),
    p("timeout", "0", Int(0, I32), H),
    p("tcp-keepalive", "300", Int(0, I32), H),
    // The persistence's (the hook answers; without one, nothing is saved).
    p("dir", "", Text, Prot),
    p("dbfilename", "dump.edb", Text, Prot),
    p("save", "", Form(check_save), H),
    p("appendonly", "no", Bool, H),
    p("appendfsync", "everysec", Enum(&["everysec", "always", "no"]), H),
    p("appendfilename", "appendonly.aof", Text, Imm),
    p("appenddirname", "appendonlydir", Text, Imm),
    p("auto-aof-rewrite-percentage", "100", Int(0, I32), H),
    p("auto-aof-rewrite-min-size", "67108864", Mem(0, I64), H),
    p("aof-use-rdb-preamble", "yes", Bool, H),
    p(
        "stop-writes-on-bgsave-error",
        "no",
        Bool,
        Home::Refused("embedis keeps accepting writes after a failed background save (no MISCONF)"),
    ),
    // Read by the engine.
    p("stream-node-max-bytes", "4096", Mem(0, I64), Home::Engine(get_node_bytes, set_node_bytes)),
    p("stream-node-max-entries", "100", Int(0, I64), Home::Engine(get_node_entries, set_node_entries)),
    p("hz", "10", Int(0, I32), Home::Engine(get_hz, set_hz)),
    p("notify-keyspace-events", "", Text, Home::Engine(get_notify, set_notify)),
    p("set-max-intset-entries", "512", Int(0, I64), Home::Engine(get_intset_entries, set_intset_entries)),
    // Would change behaviour in Redis; embedis cannot yet.
    alias(
        "min-replicas-to-write",
        &["min-slaves-to-write"],
        "0",
        Int(0, I32),
        Home::Refused("embedis has no replicas, so it cannot require any for writes; only 0 can be set"),
    ),
    // Owned by other parts (maxmemory, LFU, slow log): remembered here until they read them.
    p("maxmemory", "0", Mem(0, I64), Home::Engine(get_maxmemory, set_maxmemory)),
    p("maxmemory-policy", "noeviction", Enum(POLICIES), Home::Engine(get_policy, set_policy)),
    p("maxmemory-samples", "5", Int(1, I32), Home::Engine(get_samples, set_samples)),
    p("lfu-decay-time", "1", Int(0, I32), Home::Engine(get_lfu_decay_time, set_lfu_decay_time)),
    p("lfu-log-factor", "10", Int(0, I32), Home::Engine(get_lfu_log_factor, set_lfu_log_factor)),
    // Client eviction: Redis 7 disconnects clients whose buffers pass it; embedis does not.
    p("maxmemory-clients", "0", Mem(0, I64), Home::Refused("embedis does not evict clients; only 0 can be set")),
    // How long one eviction round may run before it yields (latency only: the same keys go).
    p("maxmemory-eviction-tenacity", "10", Int(0, 100), K),
    p("slowlog-log-slower-than", "10000", Int(-1, I64), Home::Engine(get_slower_than, set_slower_than)),
    p("slowlog-max-len", "128", Int(0, I64), Home::Engine(get_slowlog_max_len, set_slowlog_max_len)),
    // No observable effect in embedis (see the docs for why, one by one).
    p("activerehashing", "yes", Bool, K),
    p("active-expire-effort", "1", Int(1, 10), K),
    alias("busy-reply-threshold", &["lua-time-limit"], "5000", Int(0, I64), K),
    p("dynamic-hz", "yes", Bool, K),
    alias("hash-max-listpack-entries", &["hash-max-ziplist-entries"], "512", Int(0, I64), Home::Engine(get_hash_entries, set_hash_entries)),
    alias("hash-max-listpack-value", &["hash-max-ziplist-value"], "64", Mem(0, I64), Home::Engine(get_hash_value, set_hash_value)),
    p("latency-monitor-threshold", "0", Int(0, I64), K),
    p("lazyfree-lazy-eviction", "no", Bool, K),
    p("lazyfree-lazy-expire", "no", Bool, K),
    p("lazyfree-lazy-server-del", "no", Bool, K),
    p("lazyfree-lazy-user-del", "no", Bool, K),
    p("lazyfree-lazy-user-flush", "no", Bool, K),
    p("list-compress-depth", "0", Int(0, I32), K),
    alias("list-max-listpack-size", &["list-max-ziplist-size"], "-2", Int(i32::MIN as i64, I32), K),
    p("loglevel", "notice", Enum(&["debug", "verbose", "notice", "warning"]), K),
    p("masterauth", "", Text, K),
    alias("min-replicas-max-lag", &["min-slaves-max-lag"], "10", Int(0, I32), K),
    p("rdbcompression", "yes", Bool, K),
    alias("replica-read-only", &["slave-read-only"], "yes", Bool, K),
    p("tracking-table-max-keys", "1000000", Int(0, I64), K),
    alias("zset-max-listpack-entries", &["zset-max-ziplist-entries"], "128", Int(0, I64), Home::Engine(get_zset_entries, set_zset_entries)),
    alias("zset-max-listpack-value", &["zset-max-ziplist-value"], "64", Mem(0, I64), Home::Engine(get_zset_value, set_zset_value)),
    // Fixed at start, as in Redis.
    p("cluster-enabled", "no", Bool, Imm),
    p("daemonize", "no", Bool, Imm),
    p("databases", "16", Int(1, I32), Imm),
    p("enable-debug-command", "no", Text, Imm),
    p("io-threads", "1", Int(1, 128), Imm),
    p("io-threads-do-reads", "no", Bool, Imm),
    p("logfile", "", Text, Imm),
    p("rdbchecksum", "yes", Bool, Imm),
    p("supervised", "no", Text, Imm),
    p("syslog-enabled", "no", Bool, Imm),
    p("tcp-backlog", "511", Int(0, I32), Imm),
];

/// The row named `name` (any case, aliases included).
pub fn find(name: &str) -> Option<&'static Param> {
    let lower = name.to_ascii_lowercase();
    PARAMS.iter().find(|p| p.name == lower || p.aliases.contains(&lower.as_str()))
}

/// A checked change the host applies after every pair has been checked.
pub type HostChange = Box<dyn Any + Send>;

/// What hosts the broker (the server, the persistence): the owner of `Host` rows, and
/// of the statistics RESETSTAT clears. Every method runs inside the CONFIG unit.
pub trait Host {
    /// The value of host parameter `name`, or `None` if this host does not own it.
    fn get(&self, ks: &Keyspace, name: &str) -> Option<String>;
    /// Checks `value` for host parameter `name` (already checked against its row's type);
    /// `Err` is the reason that ends Redis's CONFIG SET error. `None` if this host does
    /// not own `name`.
    fn check(&self, ks: &Keyspace, name: &str, value: &[u8]) -> Option<std::result::Result<HostChange, String>>;
    /// Applies a change `check` made; `Err` is the whole error text after `ERR `.
    fn apply(&self, ks: &mut Keyspace, change: HostChange) -> std::result::Result<(), String>;
    /// CONFIG RESETSTAT: clears the statistics INFO reports.
    fn reset_stats(&self, ks: &mut Keyspace);
}

/// A broker hosted by nothing: no server, no persistence.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHost;

impl Host for NoHost {
    fn get(&self, _: &Keyspace, _: &str) -> Option<String> {
        None
    }
    fn check(&self, _: &Keyspace, _: &str, _: &[u8]) -> Option<std::result::Result<HostChange, String>> {
        None
    }
    fn apply(&self, _: &mut Keyspace, _: HostChange) -> std::result::Result<(), String> {
        Ok(())
    }
    fn reset_stats(&self, _: &mut Keyspace) {}
}

/// Redis's CONFIG SET error.
pub fn set_failed(name: &str, why: &str) -> Error {
    Error::NotAllowed { what: format!("CONFIG SET failed (possibly related to argument '{name}') - {why}") }
}

/// The value of `param`.
pub fn value(ks: &Keyspace, host: &dyn Host, param: &Param) -> String {
    match param.home {
        Home::Engine(get, _) => get(ks),
        Home::Knob => ks.config.knobs.get(param.name).cloned().unwrap_or_else(|| param.default.to_owned()),
        Home::Host | Home::Protected | Home::Immutable => {
            host.get(ks, param.name).unwrap_or_else(|| param.default.to_owned())
        }
        Home::Refused(_) => param.default.to_owned(),
    }
}

/// Redis's `memtoull`: digits with an optional unit (b, k, kb, m, mb, g, gb; any case).
pub fn parse_memory(s: &str) -> Option<u64> {
    crate::engine::memory::parse_memory(s.as_bytes())
}

/// Checks `value` against the row's type; the normalised text to store, or the reason.
fn check_type(param: &Param, value: &[u8]) -> std::result::Result<String, String> {
    let v = String::from_utf8_lossy(value);
    let range = |n: i64, min: i64, max: i64| {
        if (min..=max).contains(&n) {
            Ok(n.to_string())
        } else {
            Err(format!("argument must be between {min} and {max} inclusive"))
        }
    };
    match param.ty {
        Int(min, max) => match parse_i64(v.as_bytes()) {
            Some(n) => range(n, min, max),
            None => Err("argument couldn't be parsed into an integer".into()),
        },
        Mem(min, max) => match parse_memory(&v) {
            Some(n) => range(i64::try_from(n).unwrap_or(-1), min, max),
            None => Err("argument must be a memory value".into()),
        },
        Bool => {
            if v.eq_ignore_ascii_case("yes") || v.eq_ignore_ascii_case("no") {
                Ok(v.to_ascii_lowercase())
            } else {
                Err("argument must be 'yes' or 'no'".into())
            }
        }
        Enum(words) => match words.iter().find(|w| w.eq_ignore_ascii_case(&v)) {
            Some(w) => Ok((*w).to_owned()),
            None => Err(format!("argument(s) must be one of the following: {}", words.join(", "))),
        },
        Text => Ok(v.into_owned()),
        Form(check) => check(&v).map(|()| v.into_owned()),
    }
}

/// A checked CONFIG SET pair.
enum Change {
    Engine(fn(&mut Keyspace, &str), String),
    Knob(&'static str, String),
    Host(HostChange),
    None,
}

/// Checks one pair; `Err` is the reply.
fn check_pair(ks: &Keyspace, host: &dyn Host, given: &str, raw: &[u8]) -> Result<Change> {
    let Some(param) = find(given) else {
        return Err(Error::NotAllowed { what: format!("Unknown option or number of arguments for CONFIG SET - '{given}'") });
    };
    let name = param.name;
    match param.home {
        Home::Immutable => return Err(set_failed(name, "can't set immutable config")),
        Home::Protected => return Err(set_failed(name, "can't set protected config")),
        _ => {}
    }
    if name == "notify-keyspace-events" && crate::engine::notify::parse_flags(raw).is_none() {
        return Err(set_failed(name, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."));
    }
    let v = check_type(param, raw).map_err(|why| set_failed(name, &why))?;
    match param.home {
        Home::Engine(_, set) => Ok(Change::Engine(set, v)),
        Home::Knob => Ok(Change::Knob(name, v)),
        Home::Refused(why) => {
            if v == param.default {
                Ok(Change::None)
            } else {
                Err(set_failed(name, why))
            }
        }
        Home::Host => match host.check(ks, name, raw) {
            Some(Ok(change)) => Ok(Change::Host(change)),
            Some(Err(why)) => Err(set_failed(name, &why)),
            None if v == value(ks, host, param) => Ok(Change::None),
            None => Err(set_failed(name, &no_host_reason(name))),
        },
        Home::Immutable | Home::Protected => Ok(Change::None),
    }
}

/// Why a host parameter cannot change on a broker whose host does not own it.
fn no_host_reason(name: &str) -> String {
    match name {
        "save" | "appendonly" | "appendfsync" | "auto-aof-rewrite-percentage" | "auto-aof-rewrite-min-size"
        | "aof-use-rdb-preamble" => {
            "this broker has no persistence directory; restart with one to persist (embedis serve --dir ..., Broker(dir=...))".into()
        }
        _ => "this broker has no server; the parameter applies to a server's clients (Broker.serve, embedis serve)".into(),
    }
}

fn arity(sub: &str) -> Error {
    Error::WrongArity { cmd: format!("config|{sub}") }
}

/// ```text
/// CONFIG GET parameter [parameter ...] | SET parameter value [parameter value ...] |
///        RESETSTAT | REWRITE | HELP
/// ```
/// Runs inside one unit: `host` owns the `Host` rows (see [`Host`]).
///
/// # Errors
/// Redis's, in its words.
pub fn config(ks: &mut Keyspace, host: &dyn Host, args: &[&[u8]]) -> Result<Reply> {
    let Some(sub) = args.get(1) else { return Err(Error::WrongArity { cmd: "config".into() }) };
    let sub_lower = String::from_utf8_lossy(sub).to_ascii_lowercase();
    match sub_lower.as_str() {
        "get" => {
            if args.len() < 3 {
                return Err(arity("get"));
            }
            Ok(Reply::Map(get(ks, host, &args[2..])))
        }
        "set" => {
            if args.len() < 4 || args.len() % 2 != 0 {
                return Err(arity("set"));
            }
            set(ks, host, &args[2..])?;
            Ok(Reply::Ok)
        }
        "resetstat" => {
            if args.len() != 2 {
                return Err(arity("resetstat"));
            }
            // The engine's counters (every door's), then the host's own (connections...).
            ks.stats.reset();
            host.reset_stats(ks);
            Ok(Reply::Ok)
        }
        "rewrite" => {
            if args.len() != 2 {
                return Err(arity("rewrite"));
            }
            Err(Error::NotAllowed { what: "The server is running without a config file".into() })
        }
        "help" if args.len() != 2 => Err(arity("help")),
        "help" => Ok(Reply::Array(
            [
                "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "GET <pattern>",
                "    Return parameters matching the glob-like <pattern> and their values.",
                "SET <directive> <value>",
                "    Set the configuration <directive> to <value>.",
                "RESETSTAT",
                "    Reset statistics reported by the INFO command.",
                "REWRITE",
                "    Rewrite the configuration file.",
                "HELP",
                "    Prints this help.",
            ]
            .iter()
            .map(|l| Reply::simple(l))
            .collect(),
        )),
        _ => Err(Error::UnknownSubcommand { cmd: "config".into(), sub: super::sanitize(sub) }),
    }
}

/// CONFIG GET: each parameter matching one of `patterns` once, with its value. A pattern
/// without glob characters names one parameter and is answered with the name as given
/// (as Redis 7.0); a glob is matched against every name and alias.
pub fn get(ks: &Keyspace, host: &dyn Host, patterns: &[&[u8]]) -> Vec<(Reply, Reply)> {
    let mut out: Vec<(Reply, Reply)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut push = |name: String, param: &Param, out: &mut Vec<(Reply, Reply)>| {
        if !seen.contains(&name) {
            out.push((Reply::Bulk(name.clone().into_bytes()), Reply::Bulk(value(ks, host, param).into_bytes())));
            seen.push(name);
        }
    };
    for pattern in patterns {
        if !pattern.iter().any(|c| matches!(c, b'*' | b'?' | b'[')) {
            let given = String::from_utf8_lossy(pattern).into_owned();
            if let Some(param) = find(&given) {
                push(given, param, &mut out);
            }
            continue;
        }
        for param in PARAMS {
            for name in std::iter::once(&param.name).chain(param.aliases) {
                if glob_match(pattern, name.as_bytes(), true) {
                    push((*name).to_owned(), param, &mut out);
                }
            }
        }
    }
    out
}

/// CONFIG SET of several pairs: every pair checked first (nothing changes if one is
/// wrong, as Redis 7), then all applied.
///
/// # Errors
/// The first wrong pair's error; a host's failure to apply.
pub fn set(ks: &mut Keyspace, host: &dyn Host, pairs: &[&[u8]]) -> Result<()> {
    let mut changes = Vec::with_capacity(pairs.len() / 2);
    let mut seen: Vec<String> = Vec::new();
    for pair in pairs.chunks(2) {
        let given = String::from_utf8_lossy(pair[0]).into_owned();
        let lower = given.to_ascii_lowercase();
        if seen.contains(&lower) {
            return Err(set_failed(&given, "duplicate parameter"));
        }
        changes.push(check_pair(ks, host, &given, pair[1])?);
        seen.push(lower);
    }
    // The host's changes first: only they can fail (turning the AOF on), and a failure
    // then leaves the keyspace's parameters as they were.
    let (hosted, local): (Vec<Change>, Vec<Change>) = changes.into_iter().partition(|c| matches!(c, Change::Host(_)));
    for change in hosted.into_iter().chain(local) {
        match change {
            Change::Engine(set, v) => set(ks, &v),
            Change::Knob(name, v) => {
                ks.config.knobs.insert(name, v);
            }
            Change::Host(c) => host.apply(ks, c).map_err(|why| Error::NotAllowed { what: why })?,
            Change::None => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lower_case_and_defaults_pass_their_own_checks() {
        let mut names: Vec<&str> = Vec::new();
        for p in PARAMS {
            for n in std::iter::once(&p.name).chain(p.aliases) {
                assert_eq!(*n, n.to_ascii_lowercase());
                assert!(!names.contains(n), "{n} twice");
                names.push(n);
            }
            if !matches!(p.home, Home::Host) || !matches!(p.ty, Text) {
                assert!(check_type(p, p.default.as_bytes()).is_ok_and(|v| v == p.default), "{}", p.name);
            }
        }
    }

    #[test]
    fn integers_and_memory_values_parse_as_redis_parses_them() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-5"), Some(-5));
        for bad in ["", "01", "+1", " 1", "-0", "1.0", "99999999999999999999"] {
            assert_eq!(parse_i64(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(parse_memory("1Kb"), Some(1024));
        assert_eq!(parse_memory("2k"), Some(2000));
        assert_eq!(parse_memory("3GB"), Some(3 << 30));
        assert_eq!(parse_memory("-1"), None);
        assert_eq!(parse_memory("1x"), None);
    }

    #[test]
    fn set_checks_every_pair_before_applying_any() {
        let mut ks = Keyspace::default();
        let err = set(&mut ks, &NoHost, &[b"stream-node-max-entries", b"7", b"hz", b"x"]);
        assert!(err.is_err());
        assert_eq!(ks.config.stream.node_max_entries, 100);
        set(&mut ks, &NoHost, &[b"stream-node-max-entries", b"7", b"HZ", b"1000"]).expect("set");
        assert_eq!((ks.config.stream.node_max_entries, ks.config.hz), (7, 500));
        // An alias and its name are one parameter.
        set(&mut ks, &NoHost, &[b"hash-max-ziplist-entries", b"9"]).expect("set");
        let got = get(&ks, &NoHost, &[b"hash-max-listpack-entries"]);
        assert_eq!(got, vec![(Reply::Bulk(b"hash-max-listpack-entries".to_vec()), Reply::Bulk(b"9".to_vec()))]);
    }

    #[test]
    fn stream_node_parameters_apply_to_the_next_xadd() {
        use crate::engine::stream::{IdSpec, StreamId};
        let mut ks = Keyspace::default();
        set(&mut ks, &NoHost, &[b"stream-node-max-entries", b"2"]).expect("set");
        let add = |ks: &mut Keyspace, ms: u64| {
            ks.xadd(0, b"s", IdSpec::Explicit(StreamId::new(ms, 0)), &[(b"f", b"v")], false, None).expect("xadd");
        };
        for ms in 1..=5 {
            add(&mut ks, ms);
        }
        let keys = |ks: &mut Keyspace| ks.xinfo_stream(0, b"s").map(|i| i.summary.radix_tree_keys).unwrap_or(0);
        assert_eq!(keys(&mut ks), 3);
        // Larger: the tail node (one entry) takes more; the full ones stay as they are.
        set(&mut ks, &NoHost, &[b"stream-node-max-entries", b"4"]).expect("set");
        for ms in 6..=9 {
            add(&mut ks, ms);
        }
        assert_eq!(keys(&mut ks), 4);
    }

    #[test]
    fn notify_keyspace_events_takes_redis_classes_and_answers_the_canonical_text() {
        let mut ks = Keyspace::default();
        set(&mut ks, &NoHost, &[b"notify-keyspace-events", b"KEA"]).expect("set");
        assert_eq!(get(&ks, &NoHost, &[b"notify-keyspace-events"])[0].1, Reply::Bulk(b"AKE".to_vec()));
        let err = set(&mut ks, &NoHost, &[b"notify-keyspace-events", b"KEQ"]).expect_err("bad class");
        assert_eq!(
            err.to_string(),
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - \
             Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        );
        assert_eq!(ks.notify_flags_text(), "AKE");
        set(&mut ks, &NoHost, &[b"notify-keyspace-events", b""]).expect("set");
        assert_eq!(ks.notify_flags_text(), "");
    }

    #[test]
    fn refused_parameters_take_only_their_default() {
        let mut ks = Keyspace::default();
        assert!(set(&mut ks, &NoHost, &[b"min-replicas-to-write", b"0"]).is_ok());
        assert!(set(&mut ks, &NoHost, &[b"min-slaves-to-write", b"1"]).is_err());
        // Without a server, a server parameter keeps its value.
        assert!(set(&mut ks, &NoHost, &[b"timeout", b"0"]).is_ok());
        assert!(set(&mut ks, &NoHost, &[b"timeout", b"5"]).is_err());
    }
}
