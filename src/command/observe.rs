//! Commands counted as Redis counts them: the door's `dispatch_as` runs a command and feeds
//! the engine's command stats, slow log and monitors (`engine::stats`) in the same unit;
//! a call refused before it runs is counted as rejected. Container commands are counted
//! by subcommand (`xgroup|create`), as Redis 7 does.

use super::{resolve, run, Context, Reply};
use crate::command::table::{Command, Flags};
use crate::engine::stats::{intern, Origin};
use crate::engine::{Durable, Engine, Error, Keyspace, Result};

/// The subcommands Redis 7.0 knows of each container command embedis has.
pub fn subcommands(name: &str) -> &'static [&'static str] {
    match name {
        "xgroup" => &["create", "createconsumer", "delconsumer", "destroy", "help", "setid"],
        "xinfo" => &["consumers", "groups", "help", "stream"],
        "pubsub" => &["channels", "help", "numpat", "numsub", "shardchannels", "shardnumsub"],
        "config" => &["get", "help", "resetstat", "rewrite", "set"],
        "client" => &[
            "caching", "getname", "getredir", "help", "id", "info", "kill", "list", "no-evict", "no-touch", "pause", "reply",
            "setinfo", "setname", "tracking", "trackinginfo", "unblock", "unpause",
        ],
        "command" => &["count", "docs", "getkeys", "getkeysandflags", "help", "info", "list"],
        "slowlog" => &["get", "help", "len", "reset"],
        _ => &[],
    }
}

/// The stats id of the command `name` run with `argv`: the subcommand's for a container
/// (`config|get`), `None` for an unknown subcommand (Redis finds no command then, and
/// counts nothing against one).
pub fn stat_id(name: &str, id: u32, argv: &[&[u8]]) -> Option<u32> {
    let subs = subcommands(name);
    if subs.is_empty() {
        return Some(id);
    }
    let sub = argv.get(1)?;
    let sub = subs.iter().find(|s| s.as_bytes().eq_ignore_ascii_case(sub))?;
    Some(intern(&format!("{name}|{sub}")))
}

/// Runs `cmd` in the unit that holds `ks` and records it as `origin`'s call.
pub fn run_observed(cmd: &'static Command, ks: &mut Keyspace, ctx: &mut Context, argv: &[&[u8]], origin: &Origin<'_>) -> Result<Reply> {
    let id = stat_id(cmd.name, cmd.id.get(), argv);
    let timer = ks.stats.start(cmd.flags.contains(Flags::FAST), ks.slowlog.slower_than);
    let r = run(cmd, ks, ctx, argv);
    let err = r.as_ref().err().map(ToString::to_string);
    match id {
        Some(id) => ks.after_call(id, timer, err.as_deref(), ctx.db, origin, || argv.to_vec()),
        // An unknown subcommand: an error reply, no command to file it under.
        None => {
            if let Some(e) = &err {
                ks.stats.rejected(None, e);
            }
        }
    }
    r
}

/// `run_observed` after `processCommand`'s memory step (as `run_checked`): with a
/// `maxmemory`, evictions first, then a DENYOOM command refused if still over, counted as
/// a rejected call (Redis's `rejectCommand`) and shown to no monitor.
fn run_observed_checked(cmd: &'static Command, ks: &mut Keyspace, ctx: &mut Context, argv: &[&[u8]], origin: &Origin<'_>) -> Result<Reply> {
    if let Err(e) = ks.check_memory(super::is_denyoom(cmd, argv)) {
        record_rejected(ks, Some(cmd), argv, &e);
        return Err(e);
    }
    run_observed(cmd, ks, ctx, argv, origin)
}

/// Records a call refused before it ran: `cmd` if the name was found (wrong arity), and the
/// error in any case.
pub fn record_rejected(ks: &mut Keyspace, cmd: Option<&'static Command>, argv: &[&[u8]], err: &Error) {
    let id = cmd.and_then(|c| stat_id(c.name, c.id.get(), argv));
    ks.stats.rejected(id, &err.to_string());
}

/// `dispatch` for a door that is a client (`execute_command`, the AOF-less paths): the
/// call is counted, timed, slow-logged and shown to monitors as `origin`'s.
///
/// # Errors
/// As `dispatch`.
pub fn dispatch_as(engine: &Engine, ctx: &mut Context, argv: &[&[u8]], origin: &Origin<'_>) -> Result<Reply> {
    let cmd = match resolve(ctx, argv) {
        Ok(c) => c,
        Err(e) => {
            let found = argv.first().and_then(|n| super::lookup(n));
            engine.observe(|ks| record_rejected(ks, found, argv, &e));
            return Err(e);
        }
    };
    engine.execute(|ks| run_observed_checked(cmd, ks, ctx, argv, origin))
}

/// For the server, which has found `cmd` and checked its arity: runs it as `origin`'s
/// call, leaving the wait for durability to the caller (see `Engine::execute_deferred`),
/// as the server waits once per batch of requests.
///
/// # Errors
/// What the handler says.
pub fn dispatch_found_observed(
    engine: &Engine,
    ctx: &mut Context,
    cmd: &'static Command,
    argv: &[&[u8]],
    origin: &Origin<'_>,
) -> (Result<Reply>, Option<Durable>) {
    debug_assert!(cmd.arity_ok(argv.len()));
    engine.execute_deferred(|ks| run_observed_checked(cmd, ks, ctx, argv, origin))
}

/// `dispatch_in` counted as `origin`'s call (a command queued in MULTI, run by EXEC).
///
/// # Errors
/// As `dispatch_in`.
pub fn dispatch_in_observed(ks: &mut Keyspace, ctx: &mut Context, argv: &[&[u8]], origin: &Origin<'_>) -> Result<Reply> {
    let cmd = match resolve(ctx, argv) {
        Ok(c) => c,
        Err(e) => {
            let found = argv.first().and_then(|n| super::lookup(n));
            record_rejected(ks, found, argv, &e);
            return Err(e);
        }
    };
    run_observed(cmd, ks, ctx, argv, origin)
}

/// The entries SLOWLOG GET's count asks for: 10 without one, all for -1 (the server's
/// SLOWLOG and the binding's `slowlog_get` read it here).
///
/// # Errors
/// Redis's error for a count that is not an integer of at least -1.
pub fn slowlog_count(arg: Option<&[u8]>) -> std::result::Result<Option<usize>, &'static str> {
    let Some(a) = arg else { return Ok(Some(10)) };
    match std::str::from_utf8(a).ok().and_then(|s| s.parse::<i64>().ok()) {
        Some(-1) => Ok(None),
        Some(n) if n >= 0 => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
        _ => Err("ERR count should be greater than or equal to -1"),
    }
}

/// A command run by a typed caller (the Python binding's fast paths, which skip building
/// and parsing a command line): `f` is the command's body, the same typed function its
/// table handler calls, run with `processCommand`'s memory step (evictions first, then a
/// DENYOOM command refused if still over, counted as rejected) and counted, timed,
/// slow-logged and shown to monitors as `cmd` (`argv`, built only if one of them wants it). `cmd` comes from
/// `lookup`, once per call site: its flags say whether it is fast or may grow memory.
///
/// # Errors
/// `OutOfMemory`, or what `f` says.
#[inline(always)]
pub fn call_typed<A: AsRef<[u8]>, T>(
    engine: &Engine,
    cmd: &'static Command,
    db: usize,
    origin: &Origin<'_>,
    argv: impl FnOnce() -> Vec<A>,
    f: impl FnOnce(&mut Keyspace, usize) -> Result<T>,
) -> Result<T> {
    call_typed_timed(engine, cmd, cmd.flags.contains(Flags::FAST), db, origin, argv, f)
}

/// `call_typed` with the timing said by the caller: `fast` calls are sampled rather than
/// each timed (`Stats::start`). For the ready attempt of BLPOP/BRPOP, which is O(1) like
/// the LPOP it is, though the command (which may block) is not `CMD_FAST`.
///
/// # Errors
/// As `call_typed`.
#[inline(always)]
pub fn call_typed_timed<A: AsRef<[u8]>, T>(
    engine: &Engine,
    cmd: &'static Command,
    fast: bool,
    db: usize,
    origin: &Origin<'_>,
    argv: impl FnOnce() -> Vec<A>,
    f: impl FnOnce(&mut Keyspace, usize) -> Result<T>,
) -> Result<T> {
    engine.call_checked(&cmd.id, fast, cmd.flags.contains(Flags::DENYOOM), db, origin, argv, |ks| f(ks, db))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::stats::CmdStat;

    const ME: Origin<'static> = Origin { peer: "test:1", monitor: "test:1", name: &crate::engine::stats::no_name };

    #[test]
    fn calls_failures_and_rejections_are_counted_as_redis() {
        let e = Engine::new();
        let mut ctx = Context::default();
        let run = |ctx: &mut Context, argv: &[&[u8]]| dispatch_as(&e, ctx, argv, &ME);
        run(&mut ctx, &[b"LPUSH", b"q", b"a"]).unwrap();
        run(&mut ctx, &[b"get", b"q"]).unwrap_err();
        run(&mut ctx, &[b"lpush", b"q"]).unwrap_err();
        run(&mut ctx, &[b"nosuch"]).unwrap_err();
        run(&mut ctx, &[b"xgroup", b"create", b"s", b"g", b"$"]).unwrap_err();
        run(&mut ctx, &[b"xgroup", b"nosuch"]).unwrap_err();
        e.observe(|ks| {
            assert_eq!(ks.stats.command("lpush"), CmdStat { calls: 1, rejected_calls: 1, ..ks.stats.command("lpush") });
            assert_eq!(ks.stats.command("get").failed_calls, 1);
            assert_eq!(ks.stats.command("xgroup|create").failed_calls, 1);
            assert_eq!(ks.stats.command("xgroup"), CmdStat::default());
            let errors: Vec<(String, u64)> = ks.stats.errors().map(|(k, v)| (k.to_owned(), v)).collect();
            assert_eq!(errors, vec![("ERR".into(), 4), ("WRONGTYPE".into(), 1)]);
            assert_eq!(ks.stats.error_replies, 5);
            assert_eq!(ks.stats.commands_processed(), 3);
        });
    }

    #[test]
    fn slow_log_and_monitor_see_the_call() {
        let e = Engine::new();
        e.observe(|ks| ks.slowlog.slower_than = 0);
        let feed = e.monitor();
        let mut ctx = Context::default();
        dispatch_as(&e, &mut ctx, &[b"select", b"2"], &ME).unwrap();
        dispatch_as(&e, &mut ctx, &[b"rpush", b"q", b"a b"], &ME).unwrap();
        let lines: Vec<String> = std::iter::from_fn(|| match feed.try_recv() {
            crate::engine::monitor::Line::Line(l) => Some(String::from_utf8_lossy(&l).split_once(' ').unwrap().1.to_owned()),
            _ => None,
        })
        .collect();
        assert_eq!(lines, vec!["[2 test:1] \"select\" \"2\"", "[2 test:1] \"rpush\" \"q\" \"a b\""]);
        let log = e.observe(|ks| ks.slowlog.get(None));
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].argv, vec![b"rpush".to_vec(), b"q".to_vec(), b"a b".to_vec()]);
        assert_eq!(log[0].peer, "test:1");
    }

    #[test]
    fn a_typed_call_is_counted_and_memory_checked_as_its_row_says() {
        let e = Engine::new();
        let lpush = crate::command::lookup(b"lpush").unwrap();
        let llen = crate::command::lookup(b"llen").unwrap();
        let push = |ks: &mut Keyspace, db: usize| crate::command::push_values(ks, db, b"q", &[b"a"], crate::engine::End::Left, false);
        assert_eq!(call_typed(&e, lpush, 0, &ME, Vec::<&[u8]>::new, push).unwrap(), 1);
        e.execute(|ks| ks.set_memory_config(crate::engine::memory::MemoryConfig { maxmemory: 1, ..Default::default() }));
        // LPUSH is DENYOOM: refused over the limit; LLEN is not.
        assert_eq!(call_typed(&e, lpush, 0, &ME, Vec::<&[u8]>::new, push).unwrap_err(), Error::OutOfMemory);
        let n = call_typed(&e, llen, 0, &ME, Vec::<&[u8]>::new, |ks, db| crate::command::llen_of(ks, db, b"q")).unwrap();
        assert_eq!(n, 1);
        e.observe(|ks| {
            assert_eq!(ks.stats.command("lpush").calls, 1);
            assert_eq!(ks.stats.command("lpush").rejected_calls, 1);
            assert_eq!(ks.stats.command("llen").calls, 1);
        });
    }

    #[test]
    fn slowlog_counts_read_as_redis() {
        assert_eq!(slowlog_count(None), Ok(Some(10)));
        assert_eq!(slowlog_count(Some(b"-1")), Ok(None));
        assert_eq!(slowlog_count(Some(b"3")), Ok(Some(3)));
        assert_eq!(slowlog_count(Some(b"-2")), Err("ERR count should be greater than or equal to -1"));
        assert_eq!(slowlog_count(Some(b"x")), Err("ERR count should be greater than or equal to -1"));
    }

    #[test]
    fn subscriptions_need_a_name_unsubscriptions_do_not() {
        use crate::engine::pubsub::Kind;
        assert_eq!(crate::command::subscription(b"SUBSCRIBE", 2), Ok(Kind::Subscribe));
        assert_eq!(crate::command::subscription(b"ssubscribe", 1), Err(Error::WrongArity { cmd: "ssubscribe".into() }));
        assert_eq!(crate::command::subscription(b"punsubscribe", 1), Ok(Kind::PUnsubscribe));
        assert!(matches!(crate::command::subscription(b"publish", 3), Err(Error::UnknownCommand { .. })));
    }

    #[test]
    fn decrby_of_the_smallest_integer_is_refused_before_the_key_is_read() {
        let e = Engine::new();
        e.execute(|ks| {
            assert_eq!(crate::command::decr_value(ks, 0, b"n", i64::MIN), Err(Error::DecrementOverflow));
            assert_eq!(crate::command::decr_value(ks, 0, b"n", 2), Ok(-2));
            assert_eq!(crate::command::incr_value(ks, 0, b"n", 5), Ok(3));
        });
    }
}
