//! The commands the server answers itself: connection state (HELLO, AUTH, QUIT, RESET,
//! CLIENT), transactions (MULTI, EXEC, DISCARD, WATCH, UNWATCH), pub/sub mode (SUBSCRIBE
//! and friends), and server-wide ones (INFO, CONFIG, COMMAND, SAVE, BGSAVE, BGREWRITEAOF,
//! LASTSAVE, TIME, SHUTDOWN). Every other command is the engine's (`command::dispatch`).
//! Handlers return an `Answer`; they never write to the socket.

use std::cmp::Ordering;

use super::client::{self, Client, ReplyMode};
use super::errors;
use super::reply::{bulk_frame, map_frame, write_event, Answer};
use super::{cmdinfo, config, info, slowlog, Shared};
use crate::command::{self, is_keyword, Reply};
use crate::engine::db::Key;
use crate::engine::pubsub::{Kind as SubKind, Recv};
use crate::engine::{Error, Keyspace};
use crate::resp::Frame;

/// May run before AUTH (`CMD_NO_AUTH`).
pub const NO_AUTH: u8 = 1;
/// Allowed to a RESP2 client in subscribed mode.
pub const PUBSUB_OK: u8 = 1 << 1;
/// Refused inside MULTI (`CMD_NO_MULTI`), flagging the transaction.
pub const NO_MULTI: u8 = 1 << 2;
/// Runs at once inside MULTI instead of being queued (EXEC, DISCARD, MULTI, WATCH, QUIT,
/// RESET, as `processCommand` lists them).
pub const MULTI_CONTROL: u8 = 1 << 3;
/// Takes the engine's lock itself: never run inside a unit (EXEC's), which its
/// `NO_MULTI` or `MULTI_CONTROL` flag guarantees.
pub const LOCKS: u8 = 1 << 4;

/// A handler that runs inside an engine unit (it reads or changes the keyspace).
pub type UnitFn = fn(&mut Client, &Shared, &mut Keyspace, &[&[u8]]) -> Answer;
/// A handler that needs no keyspace.
pub type FreeFn = fn(&mut Client, &Shared, &[&[u8]]) -> Answer;

/// How a server command runs.
#[derive(Clone, Copy)]
pub enum Kind {
    /// Inside `Engine::execute` (or EXEC's unit).
    Unit(UnitFn),
    /// Outside any unit.
    Free(FreeFn),
}

/// One row of the server's own table.
pub struct ServerCommand {
    /// Lower-case name.
    pub name: &'static str,
    /// Redis's arity convention.
    pub arity: i32,
    /// `NO_AUTH` | `PUBSUB_OK` | …
    pub flags: u8,
    /// The handler.
    pub kind: Kind,
}

impl ServerCommand {
    /// Its id in the engine's command stats, by subcommand for a container (`config|get`);
    /// `None` for an unknown subcommand.
    pub fn stat_id(&self, args: &[&[u8]]) -> Option<u32> {
        command::observe::stat_id(self.name, crate::engine::stats::intern(self.name), args)
    }

    /// Whether `argc` arguments (counting the name) fit the arity.
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

const fn free(name: &'static str, arity: i32, flags: u8, f: FreeFn) -> ServerCommand {
    ServerCommand { name, arity, flags, kind: Kind::Free(f) }
}

const fn unit(name: &'static str, arity: i32, flags: u8, f: UnitFn) -> ServerCommand {
    ServerCommand { name, arity, flags, kind: Kind::Unit(f) }
}

/// The server's commands, sorted by name.
static TABLE: &[ServerCommand] = &[
    free("auth", -2, NO_AUTH, auth),
    free("bgrewriteaof", 1, 0, bgrewriteaof),
    free("bgsave", -1, 0, bgsave),
    free("client", -2, 0, client::client_command),
    free("command", -1, 0, cmdinfo::command),
    unit("config", -2, 0, config::config),
    free("discard", 1, MULTI_CONTROL | LOCKS, discard),
    // Runs its queue in one unit of its own.
    free("exec", 1, MULTI_CONTROL | LOCKS, exec),
    free("hello", -1, NO_AUTH, hello),
    unit("info", -1, 0, info::info),
    free("lastsave", 1, 0, lastsave),
    unit("monitor", 1, 0, slowlog::monitor),
    free("multi", 1, MULTI_CONTROL, multi),
    free("psubscribe", -2, PUBSUB_OK | LOCKS, psubscribe),
    free("punsubscribe", -1, PUBSUB_OK | LOCKS, punsubscribe),
    free("quit", -1, NO_AUTH | PUBSUB_OK | MULTI_CONTROL, quit),
    free("reset", 1, NO_AUTH | PUBSUB_OK | MULTI_CONTROL | LOCKS, reset),
    free("save", 1, NO_MULTI | LOCKS, save),
    free("shutdown", -1, NO_MULTI | LOCKS, shutdown),
    unit("slowlog", -2, 0, slowlog::slowlog),
    free("ssubscribe", -2, PUBSUB_OK | LOCKS, ssubscribe),
    free("subscribe", -2, PUBSUB_OK | LOCKS, subscribe),
    free("sunsubscribe", -1, PUBSUB_OK | LOCKS, sunsubscribe),
    free("time", 1, 0, time),
    free("unsubscribe", -1, PUBSUB_OK | LOCKS, unsubscribe),
    unit("unwatch", 1, 0, unwatch),
    free("watch", -2, MULTI_CONTROL | LOCKS, watch),
];

fn cmp_name(requested: &[u8], name: &str) -> Ordering {
    requested.iter().map(u8::to_ascii_lowercase).cmp(name.bytes())
}

/// The server command named `name` (any case), if the server answers it.
pub fn lookup(name: &[u8]) -> Option<&'static ServerCommand> {
    TABLE.binary_search_by(|c| cmp_name(name, c.name).reverse()).ok().map(|i| &TABLE[i])
}

/// Every server command (COMMAND).
pub fn all() -> impl Iterator<Item = &'static ServerCommand> {
    TABLE.iter()
}

fn ok() -> Answer {
    Answer::Reply(Reply::Ok)
}

fn engine_err(e: Error) -> Answer {
    Answer::Reply(Reply::Error(e))
}

/// A persistence error as Redis words the reply.
fn persist_err(e: &crate::persist::Error) -> Answer {
    let text = e.to_string();
    if text.starts_with("ERR ") {
        Answer::Error(text.into())
    } else {
        Answer::Error(format!("ERR {text}").into())
    }
}

/// Compares a password with the configured one in time that depends only on the
/// configured one's length (Redis `time_independent_strcmp`).
pub fn password_matches(given: &[u8], expected: &[u8]) -> bool {
    let mut diff = u8::from(given.len() != expected.len());
    for (i, &e) in expected.iter().enumerate() {
        diff |= std::hint::black_box(given.get(i).copied().unwrap_or(0) ^ e);
    }
    std::hint::black_box(diff) == 0
}

/// Checks a user and password the way Redis's default user is checked: with no
/// `requirepass`, any password for `default` (the user is `nopass`).
fn check_user(sh: &Shared, user: &[u8], pass: &[u8]) -> bool {
    if user != b"default" {
        return false;
    }
    match &sh.settings.read().requirepass {
        None => true,
        Some(expected) => password_matches(pass, expected),
    }
}

/// ```text
/// AUTH [username] password
/// ```
fn auth(c: &mut Client, sh: &Shared, args: &[&[u8]]) -> Answer {
    let (user, pass): (&[u8], &[u8]) = match args.len() {
        2 => {
            if sh.settings.read().requirepass.is_none() {
                return Answer::err(errors::AUTH_NO_PASSWORD);
            }
            (b"default", args[1])
        }
        3 => (args[1], args[2]),
        _ => return engine_err(Error::Syntax),
    };
    if check_user(sh, user, pass) {
        c.authenticated = true;
        ok()
    } else {
        Answer::err(errors::WRONGPASS)
    }
}

/// ```text
/// HELLO [protover [AUTH username password] [SETNAME clientname]]
/// ```
/// Switches the protocol and answers Redis 7's map: server, version, proto, id, mode,
/// role, modules.
fn hello(c: &mut Client, sh: &Shared, args: &[&[u8]]) -> Answer {
    let mut ver = None;
    let mut next = 1;
    if args.len() >= 2 {
        next = 2;
        match std::str::from_utf8(args[1]).ok().and_then(|s| s.parse::<i64>().ok()) {
            None => return Answer::err(errors::HELLO_PROTO_NOT_INT),
            Some(v) if !(2..=3).contains(&v) => return Answer::err(errors::NOPROTO),
            Some(v) => ver = Some(u8::try_from(v).unwrap_or(2)),
        }
    }
    let mut creds = None;
    let mut name = None;
    let mut j = next;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if is_keyword(args[j], "auth") && more >= 2 {
            creds = Some((args[j + 1], args[j + 2]));
            j += 3;
        } else if is_keyword(args[j], "setname") && more >= 1 {
            if !client::valid_name(args[j + 1]) {
                return Answer::err(errors::CLIENT_NAME);
            }
            name = Some(args[j + 1]);
            j += 2;
        } else {
            return Answer::Error(errors::hello_option(args[j]).into());
        }
    }
    if let Some((user, pass)) = creds {
        if !check_user(sh, user, pass) {
            return Answer::err(errors::WRONGPASS);
        }
        c.authenticated = true;
    }
    if !c.authenticated {
        return Answer::err(errors::NOAUTH_HELLO);
    }
    if let Some(n) = name {
        c.entry.shown.lock().name = if n.is_empty() { None } else { Some(n.to_vec()) };
    }
    if let Some(v) = ver {
        c.ctx.resp = v;
    }
    let resp = c.ctx.resp;
    let id = i64::try_from(c.entry.id).unwrap_or(i64::MAX);
    Answer::Frame(map_frame(
        resp,
        vec![
            (bulk_frame("server"), bulk_frame("redis")),
            (bulk_frame("version"), bulk_frame(super::REDIS_VERSION)),
            (bulk_frame("proto"), Frame::Integer(i64::from(resp))),
            (bulk_frame("id"), Frame::Integer(id)),
            (bulk_frame("mode"), bulk_frame("standalone")),
            (bulk_frame("role"), bulk_frame("master")),
            (bulk_frame("modules"), Frame::Array(Vec::new())),
        ],
    ))
}

/// ```text
/// QUIT
/// ```
fn quit(c: &mut Client, _sh: &Shared, _args: &[&[u8]]) -> Answer {
    c.close_after_reply = true;
    // QUIT is answered even under CLIENT REPLY OFF (`quitCommand` forces the reply).
    c.reply_mode = ReplyMode::On;
    ok()
}

/// Forgets every WATCHed key of `c`, inside a unit.
pub fn unwatch_all(c: &mut Client, ks: &mut Keyspace) {
    for (db, key, _) in c.watched.drain(..) {
        ks.db(db).unwatch(&key);
    }
}

/// `processCommand`'s memory step for what the engine's own check (in
/// `command::observe::dispatch_found_observed`) does not see: inside MULTI, where queuing may grow
/// memory without bound, every command but EXEC, DISCARD, QUIT and RESET is refused; EXEC
/// is refused if its queue holds a DENYOOM command (the transaction is then discarded,
/// `execCommandAbort`); a blocking DENYOOM command (BLMOVE) is checked before it blocks.
/// With a limit set, evictions run first. `engine_cmd` is the command when it is the
/// engine's. `None`: go on.
pub fn oom_refusal(c: &mut Client, sh: &Shared, name: &str, engine_cmd: Option<&command::Command>, args: &[&[u8]]) -> Option<Answer> {
    let is_exec = name == "exec" && c.multi.is_some();
    let denyoom = match engine_cmd {
        Some(cmd) => command::is_denyoom(cmd, args),
        None if is_exec => c.multi.as_ref().is_some_and(|queue| {
            queue.iter().any(|argv| {
                let words: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
                command::lookup(words[0]).is_some_and(|cmd| command::is_denyoom(cmd, &words))
            })
        }),
        None => false,
    };
    let in_multi_queue = c.multi.is_some() && !matches!(name, "exec" | "discard" | "quit" | "reset");
    let blocking = engine_cmd.is_some_and(|cmd| cmd.flags.contains(command::Flags::BLOCKING));
    let reject = (denyoom && (is_exec || blocking)) || in_multi_queue;
    if !reject || sh.engine.execute(|ks| ks.check_memory(true)).is_ok() {
        return None;
    }
    if is_exec {
        c.multi = None;
        c.multi_error = false;
        unwatch_all_locked(c, sh);
        return Some(Answer::Error(format!("EXECABORT Transaction discarded because of: {}", Error::OutOfMemory).into()));
    }
    Some(Answer::Reply(Reply::Error(Error::OutOfMemory)))
}

/// Forgets every WATCHed key of `c`, taking the lock if there is any.
pub fn unwatch_all_locked(c: &mut Client, sh: &Shared) {
    if !c.watched.is_empty() {
        sh.engine.execute(|ks| unwatch_all(c, ks));
    }
}

/// ```text
/// RESET
/// ```
/// Back to a fresh connection (`clearClientConnectionState`): MULTI discarded, keys
/// unwatched, subscriptions dropped, RESP2, database 0, no name, replies on, and
/// unauthenticated again if a password is set.
fn reset(c: &mut Client, sh: &Shared, _args: &[&[u8]]) -> Answer {
    c.multi = None;
    c.multi_error = false;
    unwatch_all_locked(c, sh);
    c.subscriber = None;
    c.monitor = None;
    c.forget_subscriptions();
    c.ctx = command::Context::default();
    c.reply_mode = ReplyMode::On;
    c.authenticated = sh.settings.read().requirepass.is_none();
    c.entry.shown.lock().name = None;
    Answer::Reply(Reply::simple("RESET"))
}

/// ```text
/// MULTI
/// ```
fn multi(c: &mut Client, _sh: &Shared, _args: &[&[u8]]) -> Answer {
    if c.multi.is_some() {
        return Answer::err(errors::MULTI_NESTED);
    }
    c.multi = Some(Vec::new());
    c.multi_error = false;
    ok()
}

/// ```text
/// DISCARD
/// ```
fn discard(c: &mut Client, sh: &Shared, _args: &[&[u8]]) -> Answer {
    if c.multi.take().is_none() {
        return Answer::err(errors::DISCARD_NO_MULTI);
    }
    c.multi_error = false;
    unwatch_all_locked(c, sh);
    ok()
}

/// ```text
/// WATCH key [key ...]
/// ```
fn watch(c: &mut Client, sh: &Shared, args: &[&[u8]]) -> Answer {
    if c.multi.is_some() {
        return Answer::err(errors::WATCH_IN_MULTI);
    }
    let db = c.ctx.db;
    sh.engine.execute(|ks| {
        for key in &args[1..] {
            if c.watched.iter().any(|(d, k, _)| *d == db && **k == **key) {
                continue;
            }
            let version = ks.db(db).watch(key);
            c.watched.push((db, Key::from(*key), version));
        }
    });
    ok()
}

/// ```text
/// UNWATCH
/// ```
fn unwatch(c: &mut Client, _sh: &Shared, ks: &mut Keyspace, _args: &[&[u8]]) -> Answer {
    unwatch_all(c, ks);
    ok()
}

/// Runs one command inside a unit: a server command, or the engine's (`dispatch_in`, so
/// a blocking command makes its one non-blocking attempt, as Redis inside MULTI).
pub fn run_in_unit(c: &mut Client, sh: &Shared, ks: &mut Keyspace, args: &[&[u8]]) -> Answer {
    // SUBSCRIBE and its kin queued in MULTI (Redis 7 allows them there, SSUBSCRIBE aside),
    // and PING once they made a RESP2 client a subscriber: their frames come from the
    // mailbox.
    if let Some(kind) = SubKind::from_command(args[0]) {
        if kind == SubKind::SSubscribe {
            return Answer::err(errors::SSUBSCRIBE_DENY_BLOCKING);
        }
        let sub = c.subscriber.get_or_insert_with(|| sh.engine.subscriber());
        if sub.change_in(ks, kind, &args[1..]).is_err() {
            c.close_after_reply = true;
        }
        return Answer::Nothing;
    }
    if c.in_resp2_pubsub() && is_keyword(args[0], "ping") {
        if args.len() > 2 {
            return engine_err(Error::WrongArity { cmd: "ping".into() });
        }
        // The pong is a reply, not a push: a silenced client does not get it.
        if c.reply_mode != ReplyMode::On {
            return Answer::Nothing;
        }
        if let Some(sub) = &c.subscriber {
            if sub.ping_in(ks, args.get(1).copied().unwrap_or(b"")).is_err() {
                c.close_after_reply = true;
            }
        }
        return Answer::Nothing;
    }
    let entry = c.entry.clone();
    let name = || entry.shown.lock().name.clone().unwrap_or_default();
    let origin = crate::engine::stats::Origin { peer: &entry.addr, monitor: &entry.monitor_label, name: &name };
    if let Some(sc) = lookup(args[0]) {
        debug_assert_eq!(sc.flags & LOCKS, 0, "{} takes the lock; it cannot run in a unit", sc.name);
        let started = std::time::Instant::now();
        let a = match sc.kind {
            // A transaction expects one reply per command (Redis: `CLIENT_DENY_BLOCKING`).
            _ if sc.name == "monitor" => Answer::err(errors::MONITOR_IN_MULTI),
            Kind::Unit(f) => f(c, sh, ks, args),
            Kind::Free(f) => f(c, sh, args),
        };
        let usec = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let err = a.error_text();
        match sc.stat_id(args) {
            Some(id) => ks.after_call_timed(id, usec, err.as_deref(), c.ctx.db, &origin, || args.to_vec()),
            None => {
                if let Some(e) = &err {
                    ks.stats.rejected(None, e);
                }
            }
        }
        return a;
    }
    command::dispatch_in_observed(ks, &mut c.ctx, args, &origin).into()
}

/// ```text
/// EXEC
/// ```
/// The queue runs as one unit, after checking in that same unit that no WATCHed key was
/// touched (else a null array, as Redis). A refused command while queuing aborts it.
fn exec(c: &mut Client, sh: &Shared, _args: &[&[u8]]) -> Answer {
    let Some(queue) = c.multi.take() else {
        return Answer::err(errors::EXEC_NO_MULTI);
    };
    if std::mem::take(&mut c.multi_error) {
        unwatch_all_locked(c, sh);
        return Answer::err(errors::EXECABORT);
    }
    // Pub/sub frames that arrived before EXEC go before its reply.
    let mut before = Vec::new();
    drain_events_into(c, &mut before);
    let (answer, durable) = sh.engine.execute_deferred(|ks| {
        let touched = c.watched.iter().any(|(db, key, version)| ks.db(*db).watch_touched(key, *version));
        unwatch_all(c, ks);
        if touched {
            return Answer::Reply(Reply::NilArray);
        }
        let mut answers = Vec::with_capacity(queue.len());
        for argv in &queue {
            let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            let a = run_in_unit(c, sh, ks, &args);
            // What the command put in the client's own mailbox (its confirmations, a
            // message it published to itself) comes before its reply, as in Redis.
            let mut events = Vec::new();
            drain_events_into(c, &mut events);
            answers.push(if events.is_empty() { a } else { Answer::WithEvents(events, Box::new(a)) });
        }
        Answer::Many(answers)
    });
    c.owe(durable);
    if before.is_empty() {
        answer
    } else {
        Answer::WithEvents(before, Box::new(answer))
    }
}

/// Encodes every event waiting in the client's mailbox into `out`, tracking its
/// subscriptions; a subscription closed by its limits closes the client.
fn drain_events_into(c: &mut Client, out: &mut Vec<u8>) {
    let resp = c.ctx.resp;
    loop {
        let Some(sub) = &c.subscriber else { return };
        match sub.try_recv() {
            Recv::Event(ev) => {
                c.note_event(&ev);
                write_event(&ev, resp, out);
            }
            Recv::Empty => return,
            Recv::Closed(_) => {
                c.close_after_reply = true;
                return;
            }
        }
    }
}

fn subscribe_generic(c: &mut Client, sh: &Shared, kind: SubKind, names: &[&[u8]]) -> Answer {
    let sub = c.subscriber.get_or_insert_with(|| sh.engine.subscriber());
    if sub.change(kind, names).is_err() {
        // Closed by its output limits: Redis closes such a client.
        c.close_after_reply = true;
    }
    // The confirmations are in the mailbox; the connection writes them next.
    Answer::Nothing
}

/// ```text
/// SUBSCRIBE channel [channel ...]
/// ```
fn subscribe(c: &mut Client, sh: &Shared, args: &[&[u8]]) -> Answer {
    subscribe_generic(c, sh, SubKind::Subscribe, &args[1..])
}

/// ```text
/// PSUBSCRIBE pattern [pattern ...]
/// ```
fn psubscribe(c: &mut Client, sh: &Shared, args: &[&[u8]]) -> Answer {
    subscribe_generic(c, sh, SubKind::PSubscribe, &args[1..])
}

/// ```text
/// UNSUBSCRIBE [channel [channel ...]]
/// ```
fn unsubscribe(c: &mut Client, sh: &Shared, args: &[&[u8]]) -> Answer {
    subscribe_generic(c, sh, SubKind::Unsubscribe, &args[1..])
}

/// ```text
/// PUNSUBSCRIBE [pattern [pattern ...]]
/// ```
fn punsubscribe(c: &mut Client, sh: &Shared, args: &[&[u8]]) -> Answer {
    subscribe_generic(c, sh, SubKind::PUnsubscribe, &args[1..])
}

/// ```text
/// SSUBSCRIBE shardchannel [shardchannel ...]
/// ```
/// Shard channels are a namespace of their own (reached by SPUBLISH only); each
/// confirmation counts the shard channels held, not the channels and patterns.
fn ssubscribe(c: &mut Client, sh: &Shared, args: &[&[u8]]) -> Answer {
    subscribe_generic(c, sh, SubKind::SSubscribe, &args[1..])
}

/// ```text
/// SUNSUBSCRIBE [shardchannel [shardchannel ...]]
/// ```
fn sunsubscribe(c: &mut Client, sh: &Shared, args: &[&[u8]]) -> Answer {
    subscribe_generic(c, sh, SubKind::SUnsubscribe, &args[1..])
}

/// PING from a RESP2 client in subscribed mode: `["pong", message]` in its stream, unless
/// CLIENT REPLY silences it (the pong is a reply, not a push).
pub fn pubsub_ping(c: &mut Client, args: &[&[u8]]) -> Answer {
    if args.len() > 2 {
        return engine_err(Error::WrongArity { cmd: "ping".into() });
    }
    if c.reply_mode != ReplyMode::On {
        return Answer::Nothing;
    }
    if let Some(sub) = &c.subscriber {
        if sub.ping(args.get(1).copied().unwrap_or(b"")).is_err() {
            c.close_after_reply = true;
        }
    }
    Answer::Nothing
}

/// ```text
/// SAVE
/// ```
fn save(_c: &mut Client, sh: &Shared, _args: &[&[u8]]) -> Answer {
    let Some(p) = &sh.persist else { return Answer::err(errors::NO_PERSISTENCE) };
    match p.save() {
        Ok(()) => ok(),
        Err(e) => persist_err(&e),
    }
}

/// ```text
/// BGSAVE [SCHEDULE]
/// ```
fn bgsave(_c: &mut Client, sh: &Shared, args: &[&[u8]]) -> Answer {
    if args.len() > 2 || (args.len() == 2 && !is_keyword(args[1], "schedule")) {
        return engine_err(Error::Syntax);
    }
    let Some(p) = &sh.persist else { return Answer::err(errors::NO_PERSISTENCE) };
    match p.bgsave() {
        Ok(()) => Answer::Reply(Reply::simple("Background saving started")),
        Err(e) => persist_err(&e),
    }
}

/// ```text
/// BGREWRITEAOF
/// ```
fn bgrewriteaof(_c: &mut Client, sh: &Shared, _args: &[&[u8]]) -> Answer {
    let Some(p) = &sh.persist else { return Answer::err(errors::NO_PERSISTENCE) };
    match p.bgrewriteaof() {
        Ok(()) => Answer::Reply(Reply::simple("Background append only file rewriting started")),
        Err(e) => persist_err(&e),
    }
}

/// ```text
/// LASTSAVE
/// ```
/// Unix time of the last successful save (the start time without persistence).
fn lastsave(_c: &mut Client, sh: &Shared, _args: &[&[u8]]) -> Answer {
    let t = sh.persist.as_ref().map_or(sh.started_unix, crate::persist::Persistence::lastsave);
    Answer::Reply(Reply::Int(t))
}

/// ```text
/// TIME
/// ```
fn time(_c: &mut Client, _sh: &Shared, _args: &[&[u8]]) -> Answer {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Answer::Reply(Reply::bulks([now.as_secs().to_string(), now.subsec_micros().to_string()]))
}

/// ```text
/// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
/// ```
/// Saves if asked (or if `save` rules are set, unless NOSAVE), flushes the AOF, and stops
/// the server; the connection closes without a reply, as Redis's does. In a Python
/// process serving its broker (`Broker.serve`), only the server stops.
fn shutdown(c: &mut Client, sh: &Shared, args: &[&[u8]]) -> Answer {
    let (mut nosave, mut save, mut force, mut abort) = (false, false, false, false);
    for a in &args[1..] {
        if is_keyword(a, "nosave") {
            nosave = true;
        } else if is_keyword(a, "save") {
            save = true;
        } else if is_keyword(a, "now") {
        } else if is_keyword(a, "force") {
            force = true;
        } else if is_keyword(a, "abort") {
            abort = true;
        } else {
            return Answer::err(errors::SYNTAX);
        }
    }
    if (nosave && save) || (abort && args.len() > 2) {
        return Answer::err(errors::SYNTAX);
    }
    if abort {
        return Answer::Error("ERR No shutdown in progress.".into());
    }
    if let Some(p) = &sh.persist {
        let rules = !p.save_rules().is_empty();
        if save || (rules && !nosave) {
            if let Err(e) = p.save() {
                if !force {
                    let _ = e;
                    return Answer::err(errors::SHUTDOWN_SAVE);
                }
            }
        }
        p.sync();
    }
    sh.request_stop();
    c.close_after_reply = true;
    c.reply_mode = ReplyMode::Off;
    Answer::Nothing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_lock_takers_never_run_in_a_unit() {
        for pair in TABLE.windows(2) {
            assert!(pair[0].name < pair[1].name, "{} before {}", pair[0].name, pair[1].name);
        }
        for c in TABLE {
            // The subscription commands may be queued: `run_in_unit` runs them in the unit.
            let in_unit = SubKind::from_command(c.name.as_bytes()).is_some();
            if c.flags & LOCKS != 0 && !in_unit {
                assert!(c.flags & (NO_MULTI | MULTI_CONTROL) != 0, "{} may be queued in MULTI", c.name);
                assert!(matches!(c.kind, Kind::Free(_)), "{} is a unit handler", c.name);
            }
        }
    }

    #[test]
    fn no_name_is_both_a_server_and_an_engine_command() {
        for c in TABLE {
            assert!(command::lookup(c.name.as_bytes()).is_none(), "{} is in both tables", c.name);
        }
    }

    #[test]
    fn password_check_is_exact() {
        assert!(password_matches(b"secret", b"secret"));
        assert!(!password_matches(b"secre", b"secret"));
        assert!(!password_matches(b"secrets", b"secret"));
        assert!(!password_matches(b"", b"secret"));
        assert!(!password_matches(b"Secret", b"secret"));
        assert!(password_matches(b"", b""));
    }
}
