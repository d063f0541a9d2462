//! Client state: what one connection remembers between commands (`Client`, owned by its
//! task), what other connections may see or signal (`ClientEntry`, shared through the
//! server's registry), and the CLIENT command. No socket here.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::Notify;

use super::errors;
use super::reply::Answer;
use super::Shared;
use crate::command::{is_keyword, Context, Reply};
use crate::engine::db::Key;
use crate::engine::pubsub::{Event, Space, Subscriber};
use crate::engine::Error;

/// What CLIENT UNBLOCK asked of a blocked client.
pub const UNBLOCK_NONE: u8 = 0;
/// End the wait as if it had timed out.
pub const UNBLOCK_TIMEOUT: u8 = 1;
/// End the wait with `-UNBLOCKED`.
pub const UNBLOCK_ERROR: u8 = 2;

/// What CLIENT LIST shows of a client that changes seldom; written by its own connection
/// when a field changes, read by any.
#[derive(Debug, Clone)]
pub struct Shown {
    /// CLIENT SETNAME.
    pub name: Option<Vec<u8>>,
    /// CLIENT SETINFO LIB-NAME.
    pub lib_name: Option<Vec<u8>>,
    /// CLIENT SETINFO LIB-VER.
    pub lib_ver: Option<Vec<u8>>,
    /// Selected database.
    pub db: usize,
    /// Protocol, 2 or 3.
    pub resp: u8,
    /// Channels subscribed.
    pub sub: usize,
    /// Patterns subscribed.
    pub psub: usize,
    /// Shard channels subscribed.
    pub ssub: usize,
    /// Commands queued in MULTI, or -1 outside MULTI.
    pub multi: i64,
    /// Waiting in a blocking command.
    pub blocked: bool,
    /// The last command's name (`client|list` for a subcommand).
    pub cmd: &'static str,
}

/// One connected client as the registry holds it.
#[derive(Debug)]
pub struct ClientEntry {
    /// Its id (CLIENT ID), unique in this server.
    pub id: u64,
    /// The peer's address, `ip:port` (or `path:0` for a Unix socket).
    pub addr: String,
    /// The local address it connected to.
    pub laddr: String,
    /// The socket's file descriptor.
    pub fd: i64,
    /// Whether it came through the Unix socket (flag `U`).
    pub unix: bool,
    /// When it connected, in the server's coarse milliseconds (`Shared::now_ms`).
    pub since: u64,
    /// When its last request ran, likewise (written once per batch of requests).
    pub last_active: AtomicU64,
    /// Bytes of unprocessed input after its last batch.
    pub qbuf: AtomicUsize,
    /// What CLIENT LIST shows.
    pub shown: Mutex<Shown>,
    /// A second descriptor of the connection's socket, through which CLIENT KILL and a
    /// server stop shut it down: the connection then reads end-of-input (or fails to
    /// write) and closes, with nothing but its socket to watch while idle.
    control: Option<rustix::fd::OwnedFd>,
    /// Set by CLIENT UNBLOCK (`UNBLOCK_*`); read by a blocked connection.
    pub unblock: AtomicU8,
    /// Wakes a blocked connection to look at `unblock`.
    pub signal: Notify,
    /// How MONITOR names it: its address, or `unix:<path>` (Redis `replicationFeedMonitors`).
    pub monitor_label: String,
}

impl ClientEntry {
    /// A new entry for a client that connected now.
    pub fn new(id: u64, addr: String, laddr: String, fd: i64, unix: bool, control: Option<rustix::fd::OwnedFd>, now: u64) -> ClientEntry {
        let monitor_label = if unix { format!("unix:{}", addr.strip_suffix(":0").unwrap_or(&addr)) } else { addr.clone() };
        ClientEntry {
            monitor_label,
            id,
            addr,
            laddr,
            fd,
            unix,
            since: now,
            last_active: AtomicU64::new(now),
            qbuf: AtomicUsize::new(0),
            shown: Mutex::new(Shown {
                name: None,
                lib_name: None,
                lib_ver: None,
                db: 0,
                resp: 2,
                sub: 0,
                psub: 0,
                ssub: 0,
                multi: -1,
                blocked: false,
                cmd: "NULL",
            }),
            control,
            unblock: AtomicU8::new(UNBLOCK_NONE),
            signal: Notify::new(),
        }
    }

    /// Closes the connection (CLIENT KILL): its reads end and its writes fail at once.
    pub fn kill(&self) {
        self.shut(rustix::net::Shutdown::Both);
    }

    /// Ends the connection's input (a server stop): it finishes the replies it is
    /// writing, then reads end-of-input and closes.
    pub fn end_input(&self) {
        self.shut(rustix::net::Shutdown::Read);
    }

    fn shut(&self, how: rustix::net::Shutdown) {
        if let Some(fd) = &self.control {
            let _ = rustix::net::shutdown(fd, how);
        }
    }

    /// One CLIENT LIST line, in Redis 7's field order (`catClientInfoString`), without
    /// the final newline. Memory fields are 0: embedis does not account them per client.
    pub fn info_line(&self, now: u64) -> String {
        let s = self.shown.lock().clone();
        let mut flags = String::new();
        if s.sub + s.psub + s.ssub > 0 {
            flags.push('P');
        }
        if s.multi >= 0 {
            flags.push('x');
        }
        if s.blocked {
            flags.push('b');
        }
        if self.unix {
            flags.push('U');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        let text = |v: &Option<Vec<u8>>| v.as_deref().map(String::from_utf8_lossy).unwrap_or_default().into_owned();
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} \
             qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r \
             cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            text(&s.name),
            now.saturating_sub(self.since) / 1000,
            now.saturating_sub(self.last_active.load(Ordering::Relaxed)) / 1000,
            flags,
            s.db,
            s.sub,
            s.psub,
            s.ssub,
            s.multi,
            self.qbuf.load(Ordering::Relaxed),
            s.cmd,
            s.resp,
            text(&s.lib_name),
            text(&s.lib_ver),
        )
    }
}

/// CLIENT REPLY's modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyMode {
    /// Replies are sent.
    On,
    /// No replies until CLIENT REPLY ON.
    Off,
    /// The next command's reply is not sent.
    Skip,
    /// Set by CLIENT REPLY SKIP for the command after it.
    SkipNext,
}

/// A connection's own state. Owned by its task; nothing else touches it.
pub struct Client {
    /// What the registry shows and signals.
    pub entry: Arc<ClientEntry>,
    /// Database and protocol, handed to every engine command.
    pub ctx: Context,
    /// Whether AUTH (or HELLO AUTH) succeeded, or no password was set when it connected.
    pub authenticated: bool,
    /// Commands queued since MULTI; `None` outside MULTI.
    pub multi: Option<Vec<Vec<Vec<u8>>>>,
    /// A command was refused while queuing: EXEC will abort (Redis `CLIENT_DIRTY_EXEC`).
    pub multi_error: bool,
    /// WATCHed keys: database, key, and the version they had.
    pub watched: Vec<(usize, Key, u64)>,
    /// Its subscriber, from its first (P)SUBSCRIBE or (P)UNSUBSCRIBE.
    pub subscriber: Option<Subscriber>,
    /// Its MONITOR feed, once it ran MONITOR (until RESET).
    pub monitor: Option<std::sync::Arc<crate::engine::monitor::Feed>>,
    /// Channels it holds (mirrors the engine's confirmations).
    pub channels: HashSet<Key>,
    /// Patterns it holds.
    pub patterns: HashSet<Key>,
    /// Shard channels it holds.
    pub shard_channels: HashSet<Key>,
    /// CLIENT REPLY.
    pub reply_mode: ReplyMode,
    /// Close once the replies so far are written (QUIT, CLIENT KILL of itself, a
    /// subscription closed by its limits).
    pub close_after_reply: bool,
    /// The last command's name, for CLIENT LIST.
    pub last_cmd: &'static str,
    /// The durability the replies not yet written wait for (`appendfsync always`): the
    /// connection writes them only once it is done (`Engine::execute_deferred`).
    pub durable: Option<crate::engine::Durable>,
    /// What `publish_state` last wrote to `entry.shown` (db, resp, sub, psub, ssub, multi,
    /// cmd), so that a batch that changed none of it takes no lock.
    published: (usize, u8, usize, usize, usize, i64, &'static str),
}

impl Client {
    /// A client that just connected; `authenticated` unless a password is set.
    pub fn new(entry: Arc<ClientEntry>, authenticated: bool) -> Client {
        Client {
            entry,
            ctx: Context::default(),
            authenticated,
            multi: None,
            multi_error: false,
            watched: Vec::new(),
            subscriber: None,
            monitor: None,
            channels: HashSet::new(),
            patterns: HashSet::new(),
            shard_channels: HashSet::new(),
            reply_mode: ReplyMode::On,
            close_after_reply: false,
            last_cmd: "NULL",
            durable: None,
            published: (0, 2, 0, 0, 0, -1, "NULL"),
        }
    }

    /// Adds a unit's durability to what the pending replies wait for.
    pub fn owe(&mut self, d: Option<crate::engine::Durable>) {
        if let Some(d) = d {
            match &mut self.durable {
                Some(p) => p.merge(d),
                None => self.durable = Some(d),
            }
        }
    }

    /// Whether it holds any subscription, shard channels included (Redis `CLIENT_PUBSUB`).
    pub fn subscribed(&self) -> bool {
        !self.channels.is_empty() || !self.patterns.is_empty() || !self.shard_channels.is_empty()
    }

    /// Forgets every subscription it tracks (RESET, after dropping its subscriber).
    pub fn forget_subscriptions(&mut self) {
        self.channels.clear();
        self.patterns.clear();
        self.shard_channels.clear();
    }

    /// Keeps `channels`, `patterns` and `shard_channels` in step with a confirmation from
    /// the mailbox.
    pub fn note_event(&mut self, ev: &Event) {
        if let Event::Confirm { kind, name: Some(name), .. } = ev {
            let set = match kind.space() {
                Space::Channel => &mut self.channels,
                Space::Pattern => &mut self.patterns,
                Space::Shard => &mut self.shard_channels,
            };
            if kind.joins() {
                set.insert(name.clone());
            } else {
                set.remove(name);
            }
        }
    }

    /// Whether only the pub/sub commands are allowed (subscribed, speaking RESP2).
    pub fn in_resp2_pubsub(&self) -> bool {
        self.ctx.resp == 2 && self.subscribed()
    }

    /// Updates what CLIENT LIST shows after a batch of requests: two relaxed stores, and
    /// the lock only when a seldom-changing field changed.
    pub fn publish_state(&mut self, qbuf: usize, now: u64) {
        self.entry.last_active.store(now, Ordering::Relaxed);
        self.entry.qbuf.store(qbuf, Ordering::Relaxed);
        let multi = self.multi.as_ref().map_or(-1, |q| i64::try_from(q.len()).unwrap_or(i64::MAX));
        let state =
            (self.ctx.db, self.ctx.resp, self.channels.len(), self.patterns.len(), self.shard_channels.len(), multi, self.last_cmd);
        let p = &self.published;
        if (p.0, p.1, p.2, p.3, p.4, p.5) == (state.0, state.1, state.2, state.3, state.4, state.5) && std::ptr::eq(p.6, state.6) {
            return;
        }
        self.published = state;
        let mut s = self.entry.shown.lock();
        s.db = state.0;
        s.resp = state.1;
        s.sub = state.2;
        s.psub = state.3;
        s.ssub = state.4;
        s.multi = state.5;
        s.cmd = state.6;
    }
}

/// Whether `name` is a valid client name (`validateClientName`): printable ASCII, no space.
pub fn valid_name(name: &[u8]) -> bool {
    name.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

/// ```text
/// CLIENT ID | SETNAME name | GETNAME | INFO | LIST [TYPE type] [ID id ...] |
///        SETINFO LIB-NAME|LIB-VER value | KILL ... | UNBLOCK id [TIMEOUT|ERROR] |
///        REPLY ON|OFF|SKIP | NO-EVICT on|off | NO-TOUCH on|off | HELP
/// ```
pub fn client_command(c: &mut Client, sh: &Shared, args: &[&[u8]]) -> Answer {
    let sub = args[1];
    let n = args.len();
    let arity = |name: &str| Answer::Reply(Reply::Error(Error::WrongArity { cmd: format!("client|{name}") }));
    let is = |kw: &str| is_keyword(sub, kw);
    if is("id") {
        if n != 2 {
            return arity("id");
        }
        c.last_cmd = "client|id";
        Answer::Reply(Reply::Int(i64::try_from(c.entry.id).unwrap_or(i64::MAX)))
    } else if is("setname") {
        if n != 3 {
            return arity("setname");
        }
        c.last_cmd = "client|setname";
        if !valid_name(args[2]) {
            return Answer::err(errors::CLIENT_NAME);
        }
        c.entry.shown.lock().name = if args[2].is_empty() { None } else { Some(args[2].to_vec()) };
        Answer::Reply(Reply::Ok)
    } else if is("getname") {
        if n != 2 {
            return arity("getname");
        }
        c.last_cmd = "client|getname";
        Answer::Reply(Reply::bulk_or_nil(c.entry.shown.lock().name.clone()))
    } else if is("info") {
        if n != 2 {
            return arity("info");
        }
        c.last_cmd = "client|info";
        c.publish_state(0, sh.now_ms());
        let mut line = c.entry.info_line(sh.now_ms()).into_bytes();
        line.push(b'\n');
        Answer::Verbatim(line)
    } else if is("list") {
        c.last_cmd = "client|list";
        c.publish_state(0, sh.now_ms());
        client_list(sh, &args[2..])
    } else if is("setinfo") {
        if n != 4 {
            return arity("setinfo");
        }
        c.last_cmd = "client|setinfo";
        let value = args[3];
        let (field, what) = if is_keyword(args[2], "lib-name") {
            (0, "lib-name")
        } else if is_keyword(args[2], "lib-ver") {
            (1, "lib-ver")
        } else {
            return Answer::Error(format!("ERR Unrecognized option '{}'", crate::command::sanitize(args[2])).into());
        };
        // `clientSetinfoCommand`: printable, no spaces (lib-name); lib-ver the same.
        if !valid_name(value) {
            return Answer::Error(format!("ERR {what} cannot contain spaces, newlines or special characters.").into());
        }
        let v = if value.is_empty() { None } else { Some(value.to_vec()) };
        let mut s = c.entry.shown.lock();
        if field == 0 {
            s.lib_name = v;
        } else {
            s.lib_ver = v;
        }
        Answer::Reply(Reply::Ok)
    } else if is("kill") {
        if n < 3 {
            return arity("kill");
        }
        c.last_cmd = "client|kill";
        client_kill(c, sh, &args[2..])
    } else if is("unblock") {
        if n < 3 {
            return arity("unblock");
        }
        c.last_cmd = "client|unblock";
        client_unblock(sh, &args[2..])
    } else if is("reply") {
        if n != 3 {
            return arity("reply");
        }
        c.last_cmd = "client|reply";
        if is_keyword(args[2], "on") {
            c.reply_mode = ReplyMode::On;
            Answer::Reply(Reply::Ok)
        } else if is_keyword(args[2], "off") {
            c.reply_mode = ReplyMode::Off;
            Answer::Nothing
        } else if is_keyword(args[2], "skip") {
            if c.reply_mode != ReplyMode::Off {
                c.reply_mode = ReplyMode::SkipNext;
            }
            Answer::Nothing
        } else {
            Answer::Reply(Reply::Error(Error::Syntax))
        }
    } else if is("no-evict") || is("no-touch") {
        // Nothing is evicted and no LRU is kept here; the switch is accepted as Redis does.
        if n != 3 {
            return arity(if is("no-evict") { "no-evict" } else { "no-touch" });
        }
        if is_keyword(args[2], "on") || is_keyword(args[2], "off") {
            Answer::Reply(Reply::Ok)
        } else {
            Answer::Reply(Reply::Error(Error::Syntax))
        }
    } else if is("getredir") {
        Answer::Reply(Reply::Int(-1))
    } else if is("help") {
        Answer::Reply(Reply::Array(
            CLIENT_HELP.iter().map(|l| Reply::simple(l)).collect(),
        ))
    } else {
        Answer::Error(errors::unknown_subcommand("client", sub).into())
    }
}

const CLIENT_HELP: &[&str] = &[
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are: ID <client-id>, ADDR <ip:port>, LADDR <ip:port>,",
    "    TYPE (NORMAL|PUBSUB), USER <username>, SKIPME (YES|NO).",
    "LIST [options ...]",
    "    Return information about client connections. Options: TYPE (NORMAL|PUBSUB), ID <id> ...",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <LIB-NAME|LIB-VER> <value>",
    "    Set client meta attributes (library name and version).",
    "HELP",
    "    Print this help.",
];

fn entries(sh: &Shared) -> Vec<Arc<ClientEntry>> {
    sh.clients.lock().values().cloned().collect()
}

fn is_pubsub(e: &ClientEntry) -> bool {
    let s = e.shown.lock();
    s.sub + s.psub + s.ssub > 0
}

/// Client TYPE names Redis knows; `Some(pubsub?)` for the ones that can match here.
fn client_type(t: &[u8]) -> Option<Option<bool>> {
    if is_keyword(t, "normal") {
        Some(Some(false))
    } else if is_keyword(t, "pubsub") {
        Some(Some(true))
    } else if is_keyword(t, "master") || is_keyword(t, "replica") || is_keyword(t, "slave") {
        Some(None)
    } else {
        None
    }
}

fn client_list(sh: &Shared, opts: &[&[u8]]) -> Answer {
    let mut want_type: Option<Option<bool>> = None;
    let mut ids: Option<Vec<u64>> = None;
    let mut i = 0;
    while i < opts.len() {
        if is_keyword(opts[i], "type") && i + 1 < opts.len() {
            match client_type(opts[i + 1]) {
                Some(t) => want_type = Some(t),
                None => {
                    return Answer::Error(format!("ERR Unknown client type '{}'", crate::command::sanitize(opts[i + 1])).into())
                }
            }
            i += 2;
        } else if is_keyword(opts[i], "id") && i + 1 < opts.len() {
            let mut list = Vec::new();
            for a in &opts[i + 1..] {
                match std::str::from_utf8(a).ok().and_then(|s| s.parse::<i64>().ok()) {
                    Some(id) if id > 0 => list.push(u64::try_from(id).unwrap_or(0)),
                    _ => return Answer::Error("ERR Invalid client ID".into()),
                }
            }
            ids = Some(list);
            i = opts.len();
        } else {
            return Answer::Reply(Reply::Error(Error::Syntax));
        }
    }
    let mut text = Vec::new();
    for e in entries(sh) {
        if let Some(t) = want_type {
            if t != Some(is_pubsub(&e)) {
                continue;
            }
        }
        if let Some(ids) = &ids {
            if !ids.contains(&e.id) {
                continue;
            }
        }
        text.extend_from_slice(e.info_line(sh.now_ms()).as_bytes());
        text.push(b'\n');
    }
    Answer::Verbatim(text)
}

/// CLIENT KILL, both forms (`clientKillCommand`).
fn client_kill(c: &mut Client, sh: &Shared, opts: &[&[u8]]) -> Answer {
    if opts.len() == 1 {
        // Old form: CLIENT KILL addr:port.
        let addr = opts[0];
        let Some(e) = entries(sh).into_iter().find(|e| e.addr.as_bytes() == addr) else {
            return Answer::err(errors::NO_SUCH_CLIENT);
        };
        if e.id == c.entry.id {
            c.close_after_reply = true;
        } else {
            e.kill();
        }
        return Answer::Reply(Reply::Ok);
    }
    if opts.len() % 2 != 0 {
        return Answer::Reply(Reply::Error(Error::Syntax));
    }
    let mut id = None;
    let mut addr = None;
    let mut laddr = None;
    let mut user = None;
    let mut want_type: Option<Option<bool>> = None;
    let mut skipme = true;
    for pair in opts.chunks(2) {
        let (opt, v) = (pair[0], pair[1]);
        if is_keyword(opt, "id") {
            match std::str::from_utf8(v).ok().and_then(|s| s.parse::<i64>().ok()) {
                Some(n) if n > 0 => id = Some(u64::try_from(n).unwrap_or(0)),
                _ => return Answer::err(errors::CLIENT_ID),
            }
        } else if is_keyword(opt, "addr") {
            addr = Some(v);
        } else if is_keyword(opt, "laddr") {
            laddr = Some(v);
        } else if is_keyword(opt, "user") {
            if v != b"default" {
                return Answer::Error(format!("ERR No such user '{}'", crate::command::sanitize(v)).into());
            }
            user = Some(v);
        } else if is_keyword(opt, "type") {
            match client_type(v) {
                Some(t) => want_type = Some(t),
                None => return Answer::Error(format!("ERR Unknown client type '{}'", crate::command::sanitize(v)).into()),
            }
        } else if is_keyword(opt, "skipme") {
            if is_keyword(v, "yes") {
                skipme = true;
            } else if is_keyword(v, "no") {
                skipme = false;
            } else {
                return Answer::Reply(Reply::Error(Error::Syntax));
            }
        } else if is_keyword(opt, "maxage") {
            // Accepted and ignored below: clients older than it are killed.
            if std::str::from_utf8(v).ok().and_then(|s| s.parse::<u64>().ok()).is_none() {
                return Answer::Reply(Reply::Error(Error::NotAnInteger));
            }
        } else {
            return Answer::Reply(Reply::Error(Error::Syntax));
        }
    }
    let _ = user;
    let mut killed = 0;
    for e in entries(sh) {
        if id.is_some_and(|i| i != e.id)
            || addr.is_some_and(|a| a != e.addr.as_bytes())
            || laddr.is_some_and(|a| a != e.laddr.as_bytes())
            || want_type.is_some_and(|t| t != Some(is_pubsub(&e)))
        {
            continue;
        }
        if e.id == c.entry.id {
            if skipme {
                continue;
            }
            c.close_after_reply = true;
        } else {
            e.kill();
        }
        killed += 1;
    }
    Answer::Reply(Reply::Int(killed))
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 if the client was blocked in a blocking command.
fn client_unblock(sh: &Shared, opts: &[&[u8]]) -> Answer {
    let Some(id) = std::str::from_utf8(opts[0]).ok().and_then(|s| s.parse::<i64>().ok()) else {
        return Answer::Reply(Reply::Error(Error::NotAnInteger));
    };
    let how = match opts.get(1) {
        None => UNBLOCK_TIMEOUT,
        Some(r) if is_keyword(r, "timeout") && opts.len() == 2 => UNBLOCK_TIMEOUT,
        Some(r) if is_keyword(r, "error") && opts.len() == 2 => UNBLOCK_ERROR,
        Some(_) => return Answer::err(errors::UNBLOCK_REASON),
    };
    let entry = u64::try_from(id).ok().and_then(|id| sh.clients.lock().get(&id).cloned());
    let Some(e) = entry else { return Answer::Reply(Reply::Int(0)) };
    if !e.shown.lock().blocked {
        return Answer::Reply(Reply::Int(0));
    }
    e.unblock.store(how, Ordering::Release);
    e.signal.notify_one();
    Answer::Reply(Reply::Int(1))
}
