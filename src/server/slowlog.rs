//! SLOWLOG and MONITOR over the server: the engine keeps the log and the feeds
//! (`engine::slowlog`, `engine::monitor`); this shapes SLOWLOG's replies and turns a
//! connection into a monitor. The two slow log settings are CONFIG rows (`command::config`).

use super::client::Client;
use super::reply::Answer;
use super::Shared;
use crate::command::{is_keyword, Reply};
use crate::engine::{Error, Keyspace};

/// SLOWLOG HELP's lines (Redis 7.0's).
const HELP: &[&str] = &[
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
];

/// One SLOWLOG GET entry: id, time, duration, argv, client address, client name.
pub fn entry_reply(e: &crate::engine::slowlog::Entry) -> Reply {
    let int = |v: u64| Reply::Int(i64::try_from(v).unwrap_or(i64::MAX));
    Reply::Array(vec![
        int(e.id),
        Reply::Int(e.time),
        int(e.duration),
        Reply::Array(e.argv.iter().map(|a| Reply::Bulk(a.clone())).collect()),
        Reply::Bulk(e.peer.clone().into_bytes()),
        Reply::Bulk(e.name.clone()),
    ])
}

/// ```text
/// SLOWLOG GET [count] | LEN | RESET | HELP
/// ```
pub fn slowlog(_c: &mut Client, _sh: &Shared, ks: &mut Keyspace, args: &[&[u8]]) -> Answer {
    let sub = args[1];
    let n = args.len();
    let arity = |name: &str| Answer::Reply(Reply::Error(Error::WrongArity { cmd: format!("slowlog|{name}") }));
    if is_keyword(sub, "get") {
        if n > 3 {
            return Answer::Reply(Reply::Error(Error::UnknownSubcommandOrArity { cmd: "slowlog".into(), sub: "get".into() }));
        }
        match crate::command::observe::slowlog_count(args.get(2).copied()) {
            Ok(count) => Answer::Reply(Reply::Array(ks.slowlog.get(count).iter().map(entry_reply).collect())),
            Err(e) => Answer::err(e),
        }
    } else if is_keyword(sub, "len") {
        if n != 2 {
            return arity("len");
        }
        Answer::Reply(Reply::Int(i64::try_from(ks.slowlog.len()).unwrap_or(i64::MAX)))
    } else if is_keyword(sub, "reset") {
        if n != 2 {
            return arity("reset");
        }
        ks.slowlog.reset();
        Answer::Reply(Reply::Ok)
    } else if is_keyword(sub, "help") {
        if n != 2 {
            return arity("help");
        }
        Answer::Reply(Reply::Array(HELP.iter().map(|l| Reply::simple(l)).collect()))
    } else {
        Answer::Reply(Reply::Error(Error::UnknownSubcommand { cmd: "slowlog".into(), sub: crate::command::sanitize(sub) }))
    }
}

/// ```text
/// MONITOR
/// ```
/// The connection becomes a monitor: every command run afterwards, by any client or
/// in-process caller, comes to it as a `+<line>` (RESET ends it, QUIT closes it).
pub fn monitor(c: &mut Client, _sh: &Shared, ks: &mut Keyspace, _args: &[&[u8]]) -> Answer {
    if c.monitor.is_none() {
        c.monitor = Some(ks.monitors.add());
    }
    Answer::Reply(Reply::Ok)
}
