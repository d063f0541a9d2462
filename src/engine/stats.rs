//! What operators read about the commands run (Redis `INFO commandstats`, `INFO
//! errorstats`, `total_commands_processed`, `total_error_replies`), kept per engine and fed
//! by every door: the command layer, the RESP server, the Python methods. Lives in the
//! `Keyspace`, so every count is taken under the lock the command already holds: no atomic
//! on the hot path. Knows nothing of RESP or Python.
//!
//! Command names are interned once per process into small ids (`CmdId`), which each call
//! site caches in a static: recording a call is an index into a vector.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use parking_lot::RwLock;

use super::Keyspace;
use std::sync::Arc;

/// How often a fast command (Redis `CMD_FAST`: O(1) or O(log N)) is timed when the slow
/// log cannot want it: one call in this many, its time counted for all of them. Two clock
/// reads cost a fifth of an in-process LPUSH; a fast command's time varies little.
pub const SAMPLE_EVERY: u32 = 32;

/// A slow log threshold (µs) under which every call is timed: a fast command may pass it.
const TIME_ALL_BELOW_US: i64 = 1000;

/// Interned names: by id, and id by name.
type Names = (Vec<&'static str>, HashMap<&'static str, u32>);

/// The process-wide table of interned command names (`lpush`, `config|get`).
fn names() -> &'static RwLock<Names> {
    static NAMES: OnceLock<RwLock<Names>> = OnceLock::new();
    NAMES.get_or_init(|| RwLock::new((vec![""], HashMap::new())))
}

/// The id of a command name (full name, lower case: `lpush`, `xgroup|create`). Only names
/// from the command tables are interned, so the table stays small.
pub fn intern(name: &str) -> u32 {
    if let Some(&id) = names().read().1.get(name) {
        return id;
    }
    let mut t = names().write();
    if let Some(&id) = t.1.get(name) {
        return id;
    }
    let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
    let id = u32::try_from(t.0.len()).unwrap_or(u32::MAX);
    t.0.push(name);
    t.1.insert(name, id);
    id
}

/// The name of an interned id.
pub fn name_of(id: u32) -> &'static str {
    names().read().0.get(id as usize).copied().unwrap_or("")
}

/// A command name whose id is interned on first use and then read with one relaxed load
/// (a `static` at each call site, or a field of a command table row).
#[derive(Debug)]
pub struct CmdId {
    name: &'static str,
    id: AtomicU32,
}

impl CmdId {
    /// The name's id holder (nothing interned yet).
    pub const fn new(name: &'static str) -> CmdId {
        CmdId { name, id: AtomicU32::new(0) }
    }

    /// The interned id.
    #[inline]
    pub fn get(&self) -> u32 {
        match self.id.load(Ordering::Relaxed) {
            0 => self.first(),
            id => id,
        }
    }

    #[cold]
    fn first(&self) -> u32 {
        let id = intern(self.name);
        self.id.store(id, Ordering::Relaxed);
        id
    }

    /// The name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// One line of `INFO commandstats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CmdStat {
    /// Calls that ran (failed or not; not the rejected ones).
    pub calls: u64,
    /// Microseconds spent in them (fast commands: sampled, see `SAMPLE_EVERY`).
    pub usec: u64,
    /// Refused before running (arity, NOAUTH, a command not allowed in this state...).
    pub rejected_calls: u64,
    /// Ran and answered an error.
    pub failed_calls: u64,
}

/// The counters of one engine.
#[derive(Debug, Default)]
pub struct Stats {
    /// By command id; ids never seen are zero.
    cmds: Vec<CmdStat>,
    /// `errorstat_<CODE>:count=N`, ordered by code as Redis's radix tree lists them.
    errors: BTreeMap<String, u64>,
    /// `total_error_replies`.
    pub error_replies: u64,
    /// Calls of fast commands since the last timed one.
    tick: u32,
}

/// The code Redis files an error reply under (`afterErrorReply`): its first word when a
/// space ends it within the first 32 bytes, else `ERR`.
pub fn error_code(text: &str) -> &str {
    let head = &text.as_bytes()[..text.len().min(32)];
    match head.iter().position(|&b| b == b' ') {
        Some(i) if i > 0 => &text[..i],
        _ => "ERR",
    }
}

impl Stats {
    #[inline]
    fn slot(&mut self, id: u32) -> &mut CmdStat {
        let i = id as usize;
        if i >= self.cmds.len() {
            self.grow(i);
        }
        &mut self.cmds[i]
    }

    #[cold]
    fn grow(&mut self, i: usize) {
        // Room for every command and subcommand at once: the table is not grown again.
        self.cmds.resize((i + 1).max(256), CmdStat::default());
    }

    /// Counts an untimed call that succeeded.
    #[inline]
    fn count(&mut self, id: u32) {
        match self.cmds.get_mut(id as usize) {
            Some(s) => s.calls += 1,
            None => self.slot(id).calls += 1,
        }
    }

    /// `total_commands_processed`: the commands that ran, which is every call counted
    /// (Redis counts both in `call()`).
    pub fn commands_processed(&self) -> u64 {
        self.cmds.iter().map(|s| s.calls).sum()
    }

    /// Records a call that ran: `usec` if it was timed (scaled when sampled), and whether
    /// it answered the error `error` (its whole text).
    #[inline]
    pub fn ran(&mut self, id: u32, usec: u64, error: Option<&str>) {
        let s = self.slot(id);
        s.calls += 1;
        s.usec += usec;
        if let Some(text) = error {
            s.failed_calls += 1;
            self.error(text);
        }
    }

    /// Records a call refused before it ran, with the error it got; `id` is `None` for a
    /// command that does not exist (no commandstats line then, as Redis).
    pub fn rejected(&mut self, id: Option<u32>, error: &str) {
        if let Some(id) = id {
            self.slot(id).rejected_calls += 1;
        }
        self.error(error);
    }

    /// Records an error reply not tied to a command (a protocol error).
    pub fn error(&mut self, text: &str) {
        self.error_replies += 1;
        let code = error_code(text);
        match self.errors.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                self.errors.insert(code.to_owned(), 1);
            }
        }
    }

    /// `CONFIG RESETSTAT`: every counter back to zero.
    pub fn reset(&mut self) {
        *self = Stats::default();
    }

    /// The commands with any count, by name.
    pub fn commands(&self) -> Vec<(&'static str, CmdStat)> {
        let mut v: Vec<(&'static str, CmdStat)> = self
            .cmds
            .iter()
            .enumerate()
            .filter(|(_, s)| s.calls + s.rejected_calls > 0)
            .map(|(i, s)| (name_of(u32::try_from(i).unwrap_or(0)), *s))
            .collect();
        v.sort_unstable_by_key(|(n, _)| *n);
        v
    }

    /// The counts of each error code, by code.
    pub fn errors(&self) -> impl Iterator<Item = (&str, u64)> {
        self.errors.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// The count of one command (tests, Python's `info`).
    pub fn command(&self, name: &str) -> CmdStat {
        let id = intern(name);
        self.cmds.get(id as usize).copied().unwrap_or_default()
    }
}

/// Who ran a command, as the slow log and MONITOR show it.
#[derive(Clone, Copy)]
pub struct Origin<'a> {
    /// The slow log's client address (`ip:port`).
    pub peer: &'a str,
    /// MONITOR's client field (`ip:port`, `unix:/path`, `python:<pid>`).
    pub monitor: &'a str,
    /// The client's name (CLIENT SETNAME), or empty; asked only when a line is logged.
    pub name: &'a (dyn Fn() -> Vec<u8> + Sync),
}

impl std::fmt::Debug for Origin<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Origin").field("peer", &self.peer).field("monitor", &self.monitor).finish_non_exhaustive()
    }
}

/// The name of a client that has none.
pub fn no_name() -> Vec<u8> {
    Vec::new()
}

/// A started timing (`Stats::timer`): when, and how many calls it stands for.
#[derive(Debug, Clone, Copy)]
pub struct Timer {
    start: Instant,
    scale: u64,
}

impl Stats {
    /// `timer` for one call: `None` when this fast call is not sampled.
    #[inline]
    pub fn start(&mut self, fast: bool, slower_than_us: i64) -> Option<Timer> {
        let sampled = fast && !(0..TIME_ALL_BELOW_US).contains(&slower_than_us);
        if sampled {
            self.tick = self.tick.wrapping_add(1);
            if self.tick % SAMPLE_EVERY != 0 {
                return None;
            }
        }
        Some(Timer { start: Instant::now(), scale: if sampled { u64::from(SAMPLE_EVERY) } else { 1 } })
    }
}

impl Keyspace {
    /// Records a command that ran (what `call()` does after the command in Redis): its
    /// commandstats line, its error, the slow log if it was timed and slow enough, and the
    /// monitors. `argv` is built only if the slow log or a monitor wants it. `db` is the
    /// database after the command (a SELECT shows the new one, as in Redis).
    #[inline]
    pub fn after_call<A: AsRef<[u8]>>(
        &mut self,
        id: u32,
        timer: Option<Timer>,
        error: Option<&str>,
        db: usize,
        origin: &Origin<'_>,
        argv: impl FnOnce() -> Vec<A>,
    ) {
        if timer.is_none() && error.is_none() && !self.monitors.active() {
            // The common case: an untimed call that succeeded, nobody watching.
            self.stats.slot(id).calls += 1;
            return;
        }
        let usec = timer.map(|t| u64::try_from(t.start.elapsed().as_micros()).unwrap_or(u64::MAX));
        self.stats.ran(id, usec.map_or(0, |u| u.saturating_mul(timer.map_or(1, |t| t.scale))), error);
        let slow = usec.is_some_and(|u| self.slowlog.wants(u));
        if slow || self.monitors.active() {
            let argv = argv();
            let argv: Vec<&[u8]> = argv.iter().map(AsRef::as_ref).collect();
            self.log_call(id, usec.unwrap_or(0), slow, db, origin, &argv);
        }
    }

    /// `after_call` out of line, for `Engine::call`'s uncommon cases (timed, failed, or
    /// watched): keeps the common path small enough to inline.
    #[cold]
    #[inline(never)]
    fn after_call_cold<A: AsRef<[u8]>>(
        &mut self,
        id: u32,
        timer: Option<Timer>,
        error: Option<&dyn std::fmt::Display>,
        db: usize,
        origin: &Origin<'_>,
        argv: impl FnOnce() -> Vec<A>,
    ) {
        let error = error.map(ToString::to_string);
        self.after_call(id, timer, error.as_deref(), db, origin, argv);
    }

    /// `after_call` for a call timed by the caller (`usec`, not sampled).
    pub fn after_call_timed<A: AsRef<[u8]>>(
        &mut self,
        id: u32,
        usec: u64,
        error: Option<&str>,
        db: usize,
        origin: &Origin<'_>,
        argv: impl FnOnce() -> Vec<A>,
    ) {
        self.stats.ran(id, usec, error);
        let slow = self.slowlog.wants(usec);
        if slow || self.monitors.active() {
            let argv = argv();
            let argv: Vec<&[u8]> = argv.iter().map(AsRef::as_ref).collect();
            self.log_call(id, usec, slow, db, origin, &argv);
        }
    }

    #[cold]
    fn log_call(&mut self, id: u32, usec: u64, slow: bool, db: usize, origin: &Origin<'_>, argv: &[&[u8]]) {
        let redacted = redact(argv);
        let argv = redacted.as_deref().unwrap_or(argv);
        let name = name_of(id);
        // EXEC is `CMD_SKIP_SLOWLOG`: the commands it ran are logged themselves.
        if slow && name != "exec" {
            self.slowlog.push(argv, usec, origin.peer.to_owned(), (origin.name)());
        }
        if self.monitors.active() && !hidden_from_monitor(name) {
            self.monitors.feed(db, origin.monitor, argv);
        }
    }
}

/// Commands MONITOR does not show (Redis's `CMD_ADMIN` and `CMD_SKIP_MONITOR` ones among
/// those embedis has).
fn hidden_from_monitor(name: &str) -> bool {
    let base = name.split('|').next().unwrap_or(name);
    matches!(base, "config" | "slowlog" | "monitor" | "save" | "bgsave" | "bgrewriteaof" | "shutdown" | "debug")
        || matches!(name, "client|kill" | "client|list" | "client|pause" | "client|unpause")
}

/// AUTH's and HELLO's secrets replaced by `(redacted)`, as Redis shows them to monitors
/// and in the slow log (`redactClientCommandArgument`): every AUTH argument; the user and
/// password after HELLO's AUTH.
fn redact<'a>(argv: &[&'a [u8]]) -> Option<Vec<&'a [u8]>> {
    const R: &[u8] = b"(redacted)";
    let name = argv.first()?;
    if name.eq_ignore_ascii_case(b"auth") {
        return Some(std::iter::once(*name).chain(argv[1..].iter().map(|_| R)).collect());
    }
    if name.eq_ignore_ascii_case(b"hello") {
        let mut v = argv.to_vec();
        let mut i = 2;
        while i < v.len() {
            if v[i].eq_ignore_ascii_case(b"auth") {
                for slot in v.iter_mut().skip(i + 1).take(2) {
                    *slot = R;
                }
                i += 3;
            } else {
                i += 1;
            }
        }
        return Some(v);
    }
    None
}

impl super::Engine {
    /// Runs `f` as one unit that is the command `cmd` (an in-process call): counted, timed,
    /// slow-logged and shown to monitors like a command that came through the table.
    /// `fast` is the command's Redis `CMD_FAST` flag; `argv` its words, built only if the
    /// slow log or a monitor wants them.
    #[inline(always)]
    pub fn call<A: AsRef<[u8]>, T, E: std::fmt::Display>(
        &self,
        cmd: &CmdId,
        fast: bool,
        db: usize,
        origin: &Origin<'_>,
        argv: impl FnOnce() -> Vec<A>,
        f: impl FnOnce(&mut Keyspace) -> Result<T, E>,
    ) -> Result<T, E> {
        let id = cmd.get();
        self.execute(|ks| {
            let timer = ks.stats.start(fast, ks.slowlog.slower_than);
            let r = f(ks);
            if timer.is_none() && r.is_ok() && !ks.monitors.active() {
                // The common case, kept to a counter: untimed, succeeded, nobody watching.
                ks.stats.count(id);
            } else {
                ks.after_call_cold(id, timer, r.as_ref().err().map(|e| e as &dyn std::fmt::Display), db, origin, argv);
            }
            r
        })
    }

    /// `call` after `processCommand`'s memory step (`Keyspace::check_memory`, `denyoom`
    /// being the command's `CMD_DENYOOM`): a command refused there is counted as a rejected
    /// call, as Redis's `rejectCommand` counts it, and shown to no monitor.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub fn call_checked<A: AsRef<[u8]>, T>(
        &self,
        cmd: &CmdId,
        fast: bool,
        denyoom: bool,
        db: usize,
        origin: &Origin<'_>,
        argv: impl FnOnce() -> Vec<A>,
        f: impl FnOnce(&mut Keyspace) -> super::Result<T>,
    ) -> super::Result<T> {
        let id = cmd.get();
        self.execute(|ks| {
            if let Err(e) = ks.check_memory(denyoom) {
                ks.stats.rejected(Some(id), &e.to_string());
                return Err(e);
            }
            let timer = ks.stats.start(fast, ks.slowlog.slower_than);
            let r = f(ks);
            if timer.is_none() && r.is_ok() && !ks.monitors.active() {
                ks.stats.count(id);
            } else {
                ks.after_call_cold(id, timer, r.as_ref().err().map(|e| e as &dyn std::fmt::Display), db, origin, argv);
            }
            r
        })
    }

    /// Runs `f` on the counters and logs alone (INFO, SLOWLOG, CONFIG RESETSTAT, a
    /// rejected call): the keyspace lock, none of a unit's work.
    pub fn observe<R>(&self, f: impl FnOnce(&mut Keyspace) -> R) -> R {
        let mut ks = self.shared.ks.lock();
        let r = f(&mut ks);
        // A monitor line fed here wakes its reader once the lock is released.
        let wakes = if ks.monitors.is_idle() { Vec::new() } else { ks.monitors.take_wakes() };
        drop(ks);
        for w in wakes {
            w.wake();
        }
        r
    }

    /// A new MONITOR feed of this engine.
    pub fn monitor(&self) -> Arc<super::monitor::Feed> {
        self.observe(|ks| ks.monitors.add())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_the_first_word_within_32_bytes() {
        assert_eq!(error_code("WRONGTYPE Operation against a key"), "WRONGTYPE");
        assert_eq!(error_code("NOGROUP No such key"), "NOGROUP");
        assert_eq!(error_code("nospace"), "ERR");
        assert_eq!(error_code(" leading space"), "ERR");
        assert_eq!(error_code(&format!("{} x", "A".repeat(40))), "ERR");
        assert_eq!(error_code(&format!("{} x", "A".repeat(31))), "A".repeat(31));
    }

    #[test]
    fn counts_calls_failures_rejections_and_resets() {
        let mut s = Stats::default();
        let lpush = intern("lpush");
        s.ran(lpush, 5, None);
        s.ran(lpush, 3, Some("WRONGTYPE Operation against a key holding the wrong kind of value"));
        s.rejected(Some(lpush), "ERR wrong number of arguments for 'lpush' command");
        s.rejected(None, "ERR unknown command 'x', with args beginning with: ");
        assert_eq!(s.command("lpush"), CmdStat { calls: 2, usec: 8, rejected_calls: 1, failed_calls: 1 });
        assert_eq!(s.errors().collect::<Vec<_>>(), vec![("ERR", 2), ("WRONGTYPE", 1)]);
        assert_eq!((s.error_replies, s.commands_processed()), (3, 2));
        assert_eq!(s.commands().len(), 1);
        s.reset();
        assert_eq!(s.command("lpush"), CmdStat::default());
        assert_eq!(s.errors().count(), 0);
    }

    #[test]
    fn fast_commands_are_sampled_unless_the_slow_log_wants_them() {
        let mut s = Stats::default();
        let timed = (0..64).filter(|_| s.start(true, 10_000).is_some()).count();
        assert_eq!(timed, 64 / SAMPLE_EVERY as usize);
        assert!((0..64).all(|_| s.start(true, 0).is_some_and(|t| t.scale == 1)));
        assert!((0..64).all(|_| s.start(false, 10_000).is_some()));
        assert!((0..64).filter_map(|_| s.start(true, -1)).all(|t| t.scale == u64::from(SAMPLE_EVERY)));
        assert_eq!(CmdId::new("lpush").get(), intern("lpush"));
        assert_eq!(name_of(intern("config|get")), "config|get");
    }

    #[test]
    fn secrets_are_redacted() {
        let r = redact(&[b"AUTH", b"u", b"p"]).unwrap();
        assert_eq!(r, vec![&b"AUTH"[..], b"(redacted)", b"(redacted)"]);
        let r = redact(&[b"hello", b"3", b"AUTH", b"u", b"p", b"SETNAME", b"n"]).unwrap();
        assert_eq!(r, vec![&b"hello"[..], b"3", b"AUTH", b"(redacted)", b"(redacted)", b"SETNAME", b"n"]);
        assert!(redact(&[b"get", b"k"]).is_none());
        assert!(hidden_from_monitor("config|get") && !hidden_from_monitor("client|setname") && !hidden_from_monitor("exec"));
    }
}

#[cfg(test)]
mod cost {
    use super::*;
    use crate::engine::{End, Engine};

    /// The cost `Engine::call` adds to a push/pop pair over `Engine::execute` (run by hand:
    /// `cargo test --release --lib engine::stats::cost -- --ignored --nocapture`).
    #[test]
    #[ignore = "a measurement, not a check"]
    fn call_overhead() {
        static PUSH: CmdId = CmdId::new("lpush");
        static POP: CmdId = CmdId::new("rpop");
        let e = Engine::new();
        let origin = Origin { peer: "x", monitor: "x", name: &no_name };
        let n = 200_000;
        let (mut best_plain, mut best_called) = (f64::MAX, f64::MAX);
        for _ in 0..30 {
            let t = Instant::now();
            for _ in 0..n {
                e.execute(|ks| ks.push(0, b"q", &[b"v"], End::Left, false)).unwrap();
                e.execute(|ks| ks.pop(0, b"q", End::Right)).unwrap();
            }
            best_plain = best_plain.min(t.elapsed().as_nanos() as f64 / f64::from(n));
            let t = Instant::now();
            for _ in 0..n {
                e.call(&PUSH, true, 0, &origin, || vec![&b"q"[..]], |ks| ks.push(0, b"q", &[b"v"], End::Left, false)).unwrap();
                e.call(&POP, true, 0, &origin, || vec![&b"q"[..]], |ks| ks.pop(0, b"q", End::Right)).unwrap();
            }
            best_called = best_called.min(t.elapsed().as_nanos() as f64 / f64::from(n));
        }
        eprintln!("best of 30: execute {best_plain:.1} ns, call {best_called:.1} ns per push+pop");
    }
}
