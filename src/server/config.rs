//! CONFIG: the parameters a Redis client reads and sets. Names are Redis 7.0's; values are
//! embedis's own where it has them, and Redis's defaults for tuning knobs that change nothing
//! here (accepted and remembered, as Redis does, so that tools setting them go on working),
//! but for `tcp-keepalive`, applied to each new TCP client.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use super::client::Client;
use super::errors;
use super::reply::{bulk_frame, map_frame, Answer};
use super::{OutputLimit, Shared};
use crate::command::{is_keyword, Reply};
use crate::engine::glob::glob_match;
use crate::engine::{Error, Keyspace};

/// How a knob's value is checked by CONFIG SET.
#[derive(Clone, Copy)]
enum KnobType {
    Int,
    Bool,
    Mem,
    Text,
    Enum(&'static [&'static str]),
    /// Redis refuses to change it at run time.
    Immutable,
}

/// Knobs accepted and remembered, with Redis 7.0's defaults.
const KNOBS: &[(&str, &str, KnobType)] = &[
    ("activerehashing", "yes", KnobType::Bool),
    ("active-expire-effort", "1", KnobType::Int),
    ("busy-reply-threshold", "5000", KnobType::Int),
    ("cluster-enabled", "no", KnobType::Immutable),
    ("daemonize", "no", KnobType::Immutable),
    ("databases", "16", KnobType::Immutable),
    ("dynamic-hz", "yes", KnobType::Bool),
    ("enable-debug-command", "no", KnobType::Immutable),
    ("hash-max-listpack-entries", "512", KnobType::Int),
    ("hash-max-listpack-value", "64", KnobType::Int),
    ("hash-max-ziplist-entries", "512", KnobType::Int),
    ("hash-max-ziplist-value", "64", KnobType::Int),
    ("hz", "10", KnobType::Int),
    ("io-threads", "1", KnobType::Immutable),
    ("io-threads-do-reads", "no", KnobType::Immutable),
    ("latency-monitor-threshold", "0", KnobType::Int),
    ("lazyfree-lazy-eviction", "no", KnobType::Bool),
    ("lazyfree-lazy-expire", "no", KnobType::Bool),
    ("lazyfree-lazy-server-del", "no", KnobType::Bool),
    ("lazyfree-lazy-user-del", "no", KnobType::Bool),
    ("lazyfree-lazy-user-flush", "no", KnobType::Bool),
    ("lfu-decay-time", "1", KnobType::Int),
    ("lfu-log-factor", "10", KnobType::Int),
    ("list-compress-depth", "0", KnobType::Int),
    ("list-max-listpack-size", "-2", KnobType::Int),
    ("list-max-ziplist-size", "-2", KnobType::Int),
    ("logfile", "", KnobType::Immutable),
    ("loglevel", "notice", KnobType::Enum(&["debug", "verbose", "notice", "warning"])),
    ("lua-time-limit", "5000", KnobType::Int),
    ("maxmemory", "0", KnobType::Mem),
    ("maxmemory-clients", "0", KnobType::Mem),
    ("maxmemory-policy", "noeviction", KnobType::Enum(&["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"])),
    ("maxmemory-samples", "5", KnobType::Int),
    ("min-replicas-max-lag", "10", KnobType::Int),
    ("min-replicas-to-write", "0", KnobType::Int),
    ("notify-keyspace-events", "", KnobType::Text),
    ("rdbchecksum", "yes", KnobType::Bool),
    ("rdbcompression", "yes", KnobType::Bool),
    ("replica-read-only", "yes", KnobType::Bool),
    ("set-max-intset-entries", "512", KnobType::Int),
    ("slowlog-log-slower-than", "10000", KnobType::Int),
    ("slowlog-max-len", "128", KnobType::Int),
    ("stop-writes-on-bgsave-error", "yes", KnobType::Bool),
    ("stream-node-max-bytes", "4096", KnobType::Mem),
    ("stream-node-max-entries", "100", KnobType::Int),
    ("supervised", "no", KnobType::Immutable),
    ("syslog-enabled", "no", KnobType::Immutable),
    ("tcp-backlog", "511", KnobType::Immutable),
    // Read at each accept (`keep_alive` in mod.rs), as Redis applies it to new clients.
    ("tcp-keepalive", "300", KnobType::Int),
    ("tracking-table-max-keys", "1000000", KnobType::Int),
    ("unixsocketperm", "0", KnobType::Immutable),
    ("zset-max-listpack-entries", "128", KnobType::Int),
    ("zset-max-listpack-value", "64", KnobType::Int),
    ("zset-max-ziplist-entries", "128", KnobType::Int),
    ("zset-max-ziplist-value", "64", KnobType::Int),
];

/// Every knob at its default.
pub fn default_knobs() -> BTreeMap<&'static str, String> {
    KNOBS.iter().map(|(n, v, _)| (*n, (*v).to_owned())).collect()
}

/// Parameters with real meaning here, in the order CONFIG GET lists them.
const PARAMS: &[&str] = &[
    "bind",
    "port",
    "unixsocket",
    "requirepass",
    "masterauth",
    "maxclients",
    "protected-mode",
    "proto-max-bulk-len",
    "client-query-buffer-limit",
    "client-output-buffer-limit",
    "timeout",
    "dir",
    "dbfilename",
    "save",
    "appendonly",
    "appendfsync",
    "appendfilename",
    "appenddirname",
    "auto-aof-rewrite-percentage",
    "auto-aof-rewrite-min-size",
    "aof-use-rdb-preamble",
];

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

fn output_limits(sh: &Shared, ks: &Keyspace) -> String {
    let n = sh.settings.read().output_normal;
    let p = ks.pubsub.limits();
    format!(
        "normal {} {} {} slave 268435456 67108864 60 pubsub {} {} {}",
        n.hard,
        n.soft,
        n.soft_seconds,
        p.hard,
        p.soft,
        p.soft_seconds.as_secs()
    )
}

/// The value of parameter `name` (one of `PARAMS` or a knob).
fn param_value(sh: &Shared, ks: &Keyspace, name: &str) -> String {
    let settings = sh.settings.read();
    let pc = sh.persist.as_ref().map(crate::persist::Persistence::config);
    match name {
        "bind" => sh.bind.join(" "),
        "port" => sh.tcp_port.to_string(),
        "unixsocket" => sh.unixsocket.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
        "requirepass" => settings.requirepass.as_deref().map(String::from_utf8_lossy).unwrap_or_default().into_owned(),
        "masterauth" => String::new(),
        "maxclients" => settings.maxclients.to_string(),
        // The slow log's settings are the engine's (`server::slowlog::apply_knob`).
        "slowlog-log-slower-than" => ks.slowlog.slower_than.to_string(),
        "slowlog-max-len" => ks.slowlog.max_len.to_string(),
        "protected-mode" => yes_no(sh.protected_mode),
        "proto-max-bulk-len" => settings.proto_max_bulk_len.to_string(),
        "client-query-buffer-limit" => settings.client_query_buffer_limit.to_string(),
        "timeout" => settings.timeout.to_string(),
        "client-output-buffer-limit" => {
            drop(settings);
            output_limits(sh, ks)
        }
        "dir" => pc.map_or_else(
            || std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default(),
            |c| std::fs::canonicalize(&c.dir).unwrap_or_else(|_| c.dir.clone()).display().to_string(),
        ),
        "dbfilename" => pc.map_or_else(|| "dump.edb".to_owned(), |c| c.dbfilename.clone()),
        "save" => sh.persist.as_ref().map_or_else(String::new, |p| {
            p.save_rules().iter().map(|(s, n)| format!("{s} {n}")).collect::<Vec<_>>().join(" ")
        }),
        "appendonly" => yes_no(sh.persist.as_ref().is_some_and(crate::persist::Persistence::appendonly)),
        "appendfsync" => sh.persist.as_ref().map_or("everysec", |p| p.appendfsync().name()).to_owned(),
        "appendfilename" => pc.map_or_else(|| "appendonly.aof".to_owned(), |c| c.appendfilename.clone()),
        "appenddirname" => pc.map_or_else(|| "appendonlydir".to_owned(), |c| c.appenddirname.clone()),
        "auto-aof-rewrite-percentage" => pc.map_or(100, |c| c.auto_aof_rewrite_percentage).to_string(),
        "auto-aof-rewrite-min-size" => pc.map_or(64 << 20, |c| c.auto_aof_rewrite_min_size).to_string(),
        "aof-use-rdb-preamble" => yes_no(pc.is_none_or(|c| c.aof_use_rdb_preamble)),
        other => settings.knobs.get(other).cloned().unwrap_or_default(),
    }
}

/// Redis's `memtoull`: a byte count with an optional unit (k, kb, m, mb, g, gb).
fn parse_memory(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    let split = lower.find(|c: char| !c.is_ascii_digit()).unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let mul: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1_000_000,
        "mb" => 1024 * 1024,
        "g" => 1_000_000_000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    n.checked_mul(mul)
}

fn set_failed(name: &str, why: &str) -> Answer {
    Answer::Error(format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}").into())
}

/// A change CONFIG SET will apply once every pair has been checked.
enum Change {
    Requirepass(Option<Vec<u8>>),
    Maxclients(usize),
    BulkLen(usize),
    QueryLimit(usize),
    Timeout(u64),
    Save(Vec<(u64, u64)>),
    Appendfsync(crate::persist::Fsync),
    Appendonly(bool),
    Output { normal: Option<OutputLimit>, pubsub: Option<crate::engine::pubsub::Limits> },
    ProtectedMode,
    Knob(&'static str, String),
}

fn parse_output_limits(v: &str) -> Option<(Option<OutputLimit>, Option<crate::engine::pubsub::Limits>)> {
    let words: Vec<&str> = v.split_whitespace().collect();
    if words.is_empty() || words.len() % 4 != 0 {
        return None;
    }
    let (mut normal, mut pubsub) = (None, None);
    for w in words.chunks(4) {
        let hard = usize::try_from(parse_memory(w[1])?).ok()?;
        let soft = usize::try_from(parse_memory(w[2])?).ok()?;
        let secs: u64 = w[3].parse().ok()?;
        match w[0].to_ascii_lowercase().as_str() {
            "normal" => normal = Some(OutputLimit { hard, soft, soft_seconds: secs }),
            "pubsub" => {
                pubsub = Some(crate::engine::pubsub::Limits { hard, soft, soft_seconds: std::time::Duration::from_secs(secs) });
            }
            "slave" | "replica" => {}
            _ => return None,
        }
    }
    Some((normal, pubsub))
}

/// CONFIG SET save, appendfsync and appendonly on a broker with persistence (Redis's
/// checks, in `setConfigSaveOption`, the enum and the bool config's).
fn check_persistence_set(sh: &Shared, name: &str, v: &str) -> Result<Change, Answer> {
    if name == "appendonly" {
        return match v.to_ascii_lowercase().as_str() {
            "yes" => Ok(Change::Appendonly(true)),
            "no" => Ok(Change::Appendonly(false)),
            _ => Err(set_failed(name, "argument must be 'yes' or 'no'")),
        };
    }
    if name == "appendfsync" {
        return crate::persist::Fsync::parse(v)
            .map(Change::Appendfsync)
            .ok_or_else(|| set_failed(name, "argument(s) must be one of the following: everysec, always, no"));
    }
    // Split on single spaces, as Redis splits a multi-argument config: extra blanks make
    // empty words, which are not numbers.
    let words: Vec<&str> = if v.is_empty() { Vec::new() } else { v.split(' ').collect() };
    let invalid = || set_failed(name, "Invalid save parameters");
    if words.len() % 2 != 0 {
        return Err(invalid());
    }
    let mut rules = Vec::with_capacity(words.len() / 2);
    for pair in words.chunks(2) {
        match (pair[0].parse::<u64>(), pair[1].parse::<u64>()) {
            (Ok(secs), Ok(changes)) if secs >= 1 => rules.push((secs, changes)),
            _ => return Err(invalid()),
        }
    }
    if !rules.is_empty() && !sh.persist.as_ref().is_some_and(crate::persist::Persistence::counts_changes) {
        return Err(set_failed(
            name,
            "this broker was opened without save rules or an append-only file, so it counts no changes; restart it with the rules",
        ));
    }
    Ok(Change::Save(rules))
}

/// Checks one CONFIG SET pair; `Err` is the reply.
fn check_set(sh: &Shared, ks: &Keyspace, name: &str, value: &[u8]) -> Result<Change, Answer> {
    let v = String::from_utf8_lossy(value).into_owned();
    let mem = |min: u64| -> Result<usize, Answer> {
        match parse_memory(&v) {
            Some(n) if n >= min => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
            Some(_) => Err(set_failed(name, &format!("argument must be between {min} and 9223372036854775807 inclusive"))),
            None => Err(set_failed(name, "argument must be a memory value")),
        }
    };
    match name {
        "requirepass" => Ok(Change::Requirepass(if value.is_empty() { None } else { Some(value.to_vec()) })),
        "maxclients" => match v.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Change::Maxclients(n)),
            Ok(_) => Err(set_failed(name, "argument must be between 1 and 4294967295 inclusive")),
            Err(_) => Err(set_failed(name, "argument couldn't be parsed into an integer")),
        },
        "timeout" => match v.parse::<i64>() {
            Ok(n) if (0..=i64::from(i32::MAX)).contains(&n) => Ok(Change::Timeout(n.unsigned_abs())),
            Ok(_) => Err(set_failed(name, "argument must be between 0 and 2147483647 inclusive")),
            Err(_) => Err(set_failed(name, "argument couldn't be parsed into an integer")),
        },
        "proto-max-bulk-len" => mem(1024 * 1024).map(Change::BulkLen),
        "client-query-buffer-limit" => mem(1024 * 1024).map(Change::QueryLimit),
        "client-output-buffer-limit" => match parse_output_limits(&v) {
            Some((normal, pubsub)) => Ok(Change::Output { normal, pubsub }),
            None => Err(set_failed(name, "Wrong number of arguments in buffer limit configuration.")),
        },
        "protected-mode" => {
            if is_keyword(value, "yes") || is_keyword(value, "no") {
                Ok(Change::ProtectedMode)
            } else {
                Err(set_failed(name, "argument must be 'yes' or 'no'"))
            }
        }
        "bind" | "port" | "unixsocket" | "masterauth" => {
            if param_value(sh, ks, name) == v {
                Ok(Change::ProtectedMode)
            } else {
                Err(set_failed(name, "embedis cannot change its listeners at run time; restart the server"))
            }
        }
        "save" | "appendfsync" | "appendonly" if sh.persist.is_some() => check_persistence_set(sh, name, &v),
        "dir" | "dbfilename" | "save" | "appendonly" | "appendfsync" | "appendfilename" | "appenddirname"
        | "auto-aof-rewrite-percentage" | "auto-aof-rewrite-min-size" | "aof-use-rdb-preamble" => {
            // Persistence is opened with its settings; setting the value it has is fine.
            let now = param_value(sh, ks, name);
            let same = if name == "save" {
                now.split_whitespace().eq(v.split_whitespace())
            } else {
                now.eq_ignore_ascii_case(&v)
            };
            if same {
                Ok(Change::ProtectedMode)
            } else if name == "appendonly" && !(v.eq_ignore_ascii_case("yes") || v.eq_ignore_ascii_case("no")) {
                Err(set_failed(name, "argument must be 'yes' or 'no'"))
            } else if sh.persist.is_none() {
                Err(set_failed(name, "this broker has no persistence directory; restart with one to persist (embedis serve --dir ..., Broker(dir=...))"))
            } else {
                Err(set_failed(name, "embedis cannot change this persistence setting at run time; restart with the new value (embedis serve --dir ... or Broker(dir=...))"))
            }
        }
        _ => {
            let Some(&(knob, _, ty)) = KNOBS.iter().find(|(n, _, _)| *n == name) else {
                return Err(Answer::Error(format!("ERR Unknown option or number of arguments for CONFIG SET - '{name}'").into()));
            };
            match ty {
                KnobType::Immutable => Err(set_failed(name, "can't set immutable config")),
                KnobType::Int if v.parse::<i64>().is_err() => Err(set_failed(name, "argument couldn't be parsed into an integer")),
                KnobType::Int if knob == "slowlog-max-len" && v.parse::<i64>().is_ok_and(|n| n < 0) => {
                    Err(set_failed(name, "argument must be between 0 and 9223372036854775807 inclusive"))
                }
                KnobType::Bool if !(v.eq_ignore_ascii_case("yes") || v.eq_ignore_ascii_case("no")) => {
                    Err(set_failed(name, "argument must be 'yes' or 'no'"))
                }
                KnobType::Mem if parse_memory(&v).is_none() => Err(set_failed(name, "argument must be a memory value")),
                KnobType::Enum(allowed) if !allowed.iter().any(|a| a.eq_ignore_ascii_case(&v)) => {
                    Err(set_failed(name, &format!("argument(s) must be one of the following: {}", allowed.join(", "))))
                }
                KnobType::Bool | KnobType::Enum(_) => Ok(Change::Knob(knob, v.to_ascii_lowercase())),
                _ => Ok(Change::Knob(knob, v)),
            }
        }
    }
}

/// ```text
/// CONFIG GET parameter [parameter ...] | SET parameter value [parameter value ...] |
///        RESETSTAT | REWRITE | HELP
/// ```
pub fn config(c: &mut Client, sh: &Shared, ks: &mut Keyspace, args: &[&[u8]]) -> Answer {
    let sub = args[1];
    let arity = |name: &str| Answer::Reply(Reply::Error(Error::WrongArity { cmd: format!("config|{name}") }));
    if is_keyword(sub, "get") {
        c.last_cmd = "config|get";
        if args.len() < 3 {
            return arity("get");
        }
        let mut names: Vec<&str> = Vec::new();
        let all: Vec<&str> = PARAMS.iter().copied().chain(KNOBS.iter().map(|k| k.0)).collect();
        for pattern in &args[2..] {
            let lower = pattern.to_ascii_lowercase();
            for name in &all {
                if !names.contains(name) && glob_match(&lower, name.as_bytes(), true) {
                    names.push(name);
                }
            }
        }
        let pairs = names.iter().map(|n| (bulk_frame(n), bulk_frame(param_value(sh, ks, n)))).collect();
        Answer::Frame(map_frame(c.ctx.resp, pairs))
    } else if is_keyword(sub, "set") {
        c.last_cmd = "config|set";
        if args.len() < 4 || args.len() % 2 != 0 {
            return arity("set");
        }
        let mut changes = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for pair in args[2..].chunks(2) {
            let name = String::from_utf8_lossy(pair[0]).to_ascii_lowercase();
            if seen.contains(&name) {
                return set_failed(&name, "duplicate parameter");
            }
            match check_set(sh, ks, &name, pair[1]) {
                Ok(ch) => changes.push(ch),
                Err(a) => return a,
            }
            seen.push(name);
        }
        let mut s = sh.settings.write();
        let mut failed = None;
        for ch in changes {
            match ch {
                Change::Requirepass(p) => s.requirepass = p,
                Change::Maxclients(n) => s.maxclients = n,
                Change::BulkLen(n) => s.proto_max_bulk_len = n,
                Change::QueryLimit(n) => s.client_query_buffer_limit = n,
                Change::Timeout(n) => s.timeout = n,
                Change::Save(rules) => {
                    if let Some(p) = &sh.persist {
                        // Checked by `check_persistence_set`.
                        let _ = p.set_save_rules(rules);
                    }
                }
                Change::Appendfsync(f) => {
                    if let Some(p) = &sh.persist {
                        p.set_appendfsync(f, &mut ks.effects);
                    }
                }
                Change::Appendonly(on) => {
                    // `yes` starts a background rewrite and answers at once; `no` writes
                    // and fsyncs the buffer in this unit (see `set_appendonly`).
                    if let Some(p) = &sh.persist {
                        if let Err(e) = p.set_appendonly(on, ks) {
                            failed = Some(set_failed("appendonly", &e.to_string()));
                        }
                    }
                }
                Change::Output { normal, pubsub } => {
                    if let Some(n) = normal {
                        s.output_normal = n;
                    }
                    if let Some(p) = pubsub {
                        ks.pubsub.set_limits(p);
                    }
                }
                Change::ProtectedMode => {}
                Change::Knob(name, v) => {
                    crate::server::slowlog::apply_knob(ks, name, &v);
                    s.knobs.insert(name, v);
                }
            }
        }
        failed.unwrap_or(Answer::Reply(Reply::Ok))
    } else if is_keyword(sub, "resetstat") {
        if args.len() != 2 {
            return arity("resetstat");
        }
        for a in [
            &sh.stats.commands_processed,
            &sh.stats.connections_received,
            &sh.stats.rejected_connections,
            &sh.stats.net_input_bytes,
            &sh.stats.net_output_bytes,
            &sh.stats.error_replies,
        ] {
            a.store(0, Ordering::Relaxed);
        }
        ks.stats.reset();
        Answer::Reply(Reply::Ok)
    } else if is_keyword(sub, "rewrite") {
        if args.len() != 2 {
            return arity("rewrite");
        }
        Answer::err(errors::NO_CONFIG_FILE)
    } else if is_keyword(sub, "help") {
        Answer::Reply(Reply::Array(
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
                "    Print this help.",
            ]
            .iter()
            .map(|l| Reply::simple(l))
            .collect(),
        ))
    } else {
        Answer::Error(errors::unknown_subcommand("config", sub).into())
    }
}
