//! What a unit changed, in Redis command words: the append-only file's only input.
//!
//! Effects are logged, not requests (redis `alsoPropagate`): BRPOP becomes the RPOP it
//! was, a relative expiry becomes an absolute PEXPIREAT, a key that expired on access
//! becomes a DEL. Recorded under the keyspace lock, so their order is the lock's order.
//! Recording is off (and costs one branch) unless persistence asked for it.

use super::list::End;

/// One command that, replayed in order from the same state, redoes a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    /// The database it applies to.
    pub db: usize,
    /// The command and its arguments.
    pub argv: Vec<Vec<u8>>,
}

/// The effects of the current unit, RESP-encoded as they are recorded: no argument vector
/// is built on the hot path, and the buffers keep their capacity from unit to unit.
///
/// With a collecting sink (`EffectSink::collects`, the AOF) a finished unit is not handed
/// over but sealed in place: wrapped in MULTI/EXEC and preceded by SELECT where needed, it
/// stays in `buf` behind the units before it, and the sink takes the whole log from time
/// to time under the keyspace lock (`take_log`). The hot path then costs no lock, no
/// atomic and no copy beyond the encoding.
///
/// The log is a chain of chunks of about `CHUNK` bytes, which the sink gives back once
/// written (`give_back`): the memory written on the hot path is memory already mapped and
/// recently used, never a fresh page of a buffer that grew (a page fault and a zeroed page
/// per 4 KiB, which cost more than the encoding itself).
#[derive(Debug, Default)]
pub struct Effects {
    /// Whether to record at all (an AOF is open, or save rules count changes).
    pub enabled: bool,
    /// Whether sealed units stay in `buf` (see the type's doc).
    keep: bool,
    /// The sink's `waits()`, asked once when it is set rather than per unit (and set again
    /// by whoever changes the sink's policy, under the lock).
    pub sink_waits: bool,
    /// Sealed units (when `keep`), then the current unit's commands, back to back, each a
    /// RESP array of bulk strings: the log's current chunk.
    buf: Vec<u8>,
    /// Full chunks of sealed units, oldest first.
    full: Vec<Vec<u8>>,
    /// Empty chunks to reuse, the longest unused first.
    pool: std::collections::VecDeque<Vec<u8>>,
    /// Where the current unit begins in `buf`.
    start: usize,
    /// Per command of the current unit: its database and where it ends, from `start`.
    marks: Vec<(usize, usize)>,
    /// The database the sealed log is on (`None`: the next unit begins with SELECT).
    selected: Option<usize>,
    /// Units sealed so far: the sequence number of the last one.
    sealed: u64,
    /// Commands sealed since the last `take_log`.
    sealed_commands: u64,
    /// Reused by `seal` for units that need rewrapping.
    scratch: Vec<u8>,
    /// Set when the log has `NUDGE_AT` full chunks; the engine nudges the sink and clears
    /// it.
    pub(crate) nudge_due: bool,
}

impl Effects {
    /// Records the command `argv()` for `db` if recording is on (`argv` is built only then).
    /// For commands off the hot path; hot ones use `emit_args`.
    pub fn emit(&mut self, db: usize, argv: impl FnOnce() -> Vec<Vec<u8>>) {
        if self.enabled {
            let argv = argv();
            let refs: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            self.emit_args(db, &refs, &[]);
        }
    }

    /// Records the command `head ++ tail` for `db` if recording is on.
    #[inline]
    pub fn emit_args(&mut self, db: usize, head: &[&[u8]], tail: &[&[u8]]) {
        if self.enabled {
            self.encode(db, head, tail);
        }
    }

    fn encode(&mut self, db: usize, head: &[&[u8]], tail: &[&[u8]]) {
        // Grown at most once (a header is at most 23 bytes, CRLF 2); each piece is then a
        // capacity check and a copy.
        let size = |n: usize, a: &&[u8]| n + a.len() + 25;
        self.buf.reserve(tail.iter().fold(head.iter().fold(23, size), size));
        put_len(&mut self.buf, b'*', head.len() + tail.len());
        for a in head {
            put_bulk(&mut self.buf, a);
        }
        for a in tail {
            put_bulk(&mut self.buf, a);
        }
        self.marks.push((db, self.buf.len() - self.start));
    }

    /// What was recorded since the unit began.
    pub fn unit(&self) -> Unit<'_> {
        Unit { buf: &self.buf[self.start..], marks: &self.marks }
    }

    /// Forgets the current unit's commands (keeping the buffers' capacity).
    pub fn clear(&mut self) {
        self.buf.truncate(self.start);
        self.marks.clear();
    }

    /// Whether the current unit recorded anything.
    pub fn is_empty(&self) -> bool {
        self.marks.is_empty()
    }

    /// Sets whether finished units are kept for the sink (`seal`) or handed over per unit.
    /// Drops whatever sealed units were kept (the caller took them first, `take_log`), but
    /// not the current unit: a sink switched in the middle of a unit (CONFIG SET appendonly
    /// inside MULTI) gets the whole unit when it ends, as Redis propagates a transaction at
    /// EXEC to whatever the AOF is then.
    pub fn set_keep(&mut self, keep: bool) {
        self.keep = keep;
        self.full.clear();
        self.buf.drain(..self.start);
        self.start = 0;
        self.selected = None;
        self.sealed_commands = 0;
    }

    /// Whether finished units are kept for the sink.
    pub fn keeps(&self) -> bool {
        self.keep
    }

    /// The sequence number of the last unit sealed (0: none yet).
    pub fn last_sealed(&self) -> u64 {
        self.sealed
    }

    /// Ends the current (non-empty) unit by keeping it in the log, as the AOF will hold it
    /// (`encode_unit`). Returns its sequence number.
    pub fn seal(&mut self) -> u64 {
        let simple = self.marks.len() == 1 && self.selected == Some(self.marks[0].0);
        if !simple {
            // SELECT and MULTI go in front of the unit's bytes: rewrite it behind them.
            let mut scratch = std::mem::take(&mut self.scratch);
            scratch.clear();
            scratch.extend_from_slice(&self.buf[self.start..]);
            self.buf.truncate(self.start);
            let unit = Unit { buf: &scratch, marks: &self.marks };
            encode_unit(unit, &mut self.buf, &mut self.selected);
            self.scratch = scratch;
        }
        self.sealed += 1;
        self.sealed_commands += self.marks.len() as u64;
        self.marks.clear();
        self.start = self.buf.len();
        if self.start >= CHUNK {
            let next = self.next_chunk();
            self.full.push(std::mem::replace(&mut self.buf, next));
            if self.full.len() == NUDGE_AT {
                self.nudge_due = true;
            }
            self.start = 0;
        }
        self.sealed
    }

    /// Moves the sealed log's chunks to the end of `into`. Returns the sequence number of
    /// the last sealed unit and how many commands were taken. The next unit begins with
    /// SELECT if `reselect` (a new file begins).
    pub fn take_log(&mut self, into: &mut Vec<Vec<u8>>, reselect: bool) -> (u64, u64) {
        into.append(&mut self.full);
        if self.start > 0 {
            if self.start == self.buf.len() {
                let next = self.next_chunk();
                into.push(std::mem::replace(&mut self.buf, next));
            } else {
                // Inside a unit that already recorded: only its sealed part goes.
                into.push(self.buf[..self.start].to_vec());
                self.buf.drain(..self.start);
            }
            self.start = 0;
        }
        if reselect {
            self.selected = None;
        }
        (self.sealed, std::mem::take(&mut self.sealed_commands))
    }

    /// An empty chunk to fill, its memory already written once by this thread: the writer
    /// thread read it last (on another core), and the stores that fill it would each wait
    /// for their cache line to come back, stalling the unlock that ends every unit. One
    /// pass of zeros costs less than those misses.
    fn next_chunk(&mut self) -> Vec<u8> {
        let mut c = self.pool.pop_front().unwrap_or_else(|| Vec::with_capacity(CHUNK + CHUNK / 2));
        c.resize(CHUNK + 4096, 0);
        c.clear();
        c
    }

    /// Takes back written chunks for reuse, up to `POOL`. `taken`: how many chunks the sink
    /// just took. A round with no traffic at all halves the pool (down to a few chunks), so
    /// an idle broker soon returns what a burst made it keep; a busy one never shrinks it,
    /// since one slow write (an fsync) can need every chunk of the pool at once.
    pub fn give_back(&mut self, chunks: &mut Vec<Vec<u8>>, taken: usize) {
        if taken == 0 && chunks.is_empty() {
            self.pool.truncate((self.pool.len() / 2).max(2 * NUDGE_AT));
        }
        for mut c in chunks.drain(..) {
            if self.pool.len() < POOL && c.capacity() <= 2 * CHUNK {
                c.clear();
                self.pool.push_back(c);
            }
        }
    }
}

/// The size at which a chunk of the log is full (see `Effects`): small enough to stay in
/// the caches between its writing and its reuse, large enough for one `write` to carry
/// thousands of units.
const CHUNK: usize = 256 << 10;
/// Empty chunks kept for reuse: enough for the writer to fall some 100 ms behind (an
/// fsync, a rewrite's switch of file) at full speed.
const POOL: usize = 256;
/// Full chunks at which the sink is nudged (`EffectSink::nudge`) rather than left to find
/// them at its next round: the writer keeps up, and the pool keeps its chunks.
const NUDGE_AT: usize = 4;

/// Appends one unit's effects to `out` as the AOF holds them, given the database the file
/// is on: a SELECT where the database changes, MULTI/EXEC around a unit of several commands
/// (as Redis's `propagatePendingCommands`), the commands' bytes as the engine encoded them.
fn encode_unit(unit: Unit<'_>, out: &mut Vec<u8>, selected: &mut Option<usize>) {
    let wrap = unit.len() > 1;
    let mut first = true;
    for (db, bytes) in unit.commands() {
        if *selected != Some(db) {
            put_len(out, b'*', 2);
            put_len(out, b'$', 6);
            out.extend_from_slice(b"SELECT\r\n");
            let n = Int::from(db);
            put_len(out, b'$', n.as_bytes().len());
            out.extend_from_slice(n.as_bytes());
            out.extend_from_slice(b"\r\n");
            *selected = Some(db);
        }
        if wrap && first {
            out.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n");
        }
        first = false;
        out.extend_from_slice(bytes);
    }
    if wrap {
        out.extend_from_slice(b"*1\r\n$4\r\nEXEC\r\n");
    }
}

/// One unit's effects, as handed to the sink.
#[derive(Debug, Clone, Copy)]
pub struct Unit<'a> {
    buf: &'a [u8],
    marks: &'a [(usize, usize)],
}

impl<'a> Unit<'a> {
    /// How many commands.
    pub fn len(&self) -> usize {
        self.marks.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.marks.is_empty()
    }

    /// Each command's database and RESP bytes, in order.
    pub fn commands(&self) -> impl Iterator<Item = (usize, &'a [u8])> + 'a {
        let (buf, marks) = (self.buf, self.marks);
        marks.iter().scan(0, move |start, &(db, end)| {
            let bytes = &buf[*start..end];
            *start = end;
            Some((db, bytes))
        })
    }

    /// The commands decoded back into words (for tests and tools; the AOF takes the bytes).
    pub fn to_effects(&self) -> Vec<Effect> {
        self.commands().map(|(db, bytes)| Effect { db, argv: decode_own(bytes) }).collect()
    }
}

/// Decodes one command encoded by `emit_args` (a RESP array of bulk strings; well formed
/// by construction).
fn decode_own(bytes: &[u8]) -> Vec<Vec<u8>> {
    fn number(b: &[u8], at: &mut usize) -> usize {
        let mut n = 0;
        *at += 1; // the type byte
        while b[*at] != b'\r' {
            n = n * 10 + usize::from(b[*at] - b'0');
            *at += 1;
        }
        *at += 2;
        n
    }
    let mut at = 0;
    let count = number(bytes, &mut at);
    (0..count)
        .map(|_| {
            let len = number(bytes, &mut at);
            let arg = bytes[at..at + len].to_vec();
            at += len + 2;
            arg
        })
        .collect()
}

/// Writes one bulk string: its length header, the bytes, CRLF.
#[inline(always)]
fn put_bulk(out: &mut Vec<u8>, a: &[u8]) {
    put_len(out, b'$', a.len());
    out.extend_from_slice(a);
    out.extend_from_slice(b"\r\n");
}

/// Writes `kind`, then `n` in decimal, then CRLF.
#[inline(always)]
fn put_len(out: &mut Vec<u8>, kind: u8, n: usize) {
    // Counts and short lengths are most of what is written: one copy, no digit loop.
    #[allow(clippy::cast_possible_truncation)] // digits
    match n {
        0..10 => return out.extend_from_slice(&[kind, b'0' + n as u8, b'\r', b'\n']),
        10..100 => return out.extend_from_slice(&[kind, b'0' + (n / 10) as u8, b'0' + (n % 10) as u8, b'\r', b'\n']),
        100..1000 => {
            return out.extend_from_slice(&[kind, b'0' + (n / 100) as u8, b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8, b'\r', b'\n'])
        }
        _ => {}
    }
    out.push(kind);
    out.extend_from_slice(Int::from(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// An integer formatted in decimal on the stack: an effect's numeric argument without an
/// allocation.
#[derive(Debug, Clone, Copy)]
pub struct Int {
    digits: [u8; 20],
    start: usize,
}

impl Int {
    /// The decimal digits (with a leading minus for negatives).
    pub fn as_bytes(&self) -> &[u8] {
        &self.digits[self.start..]
    }
}

impl From<usize> for Int {
    fn from(n: usize) -> Int {
        Int::from(u64::try_from(n).unwrap_or(u64::MAX))
    }
}

impl From<u64> for Int {
    fn from(mut n: u64) -> Int {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            // A digit is below 10: the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation)]
            let d = (n % 10) as u8;
            digits[start] = b'0' + d;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        Int { digits, start }
    }
}

impl From<i64> for Int {
    fn from(n: i64) -> Int {
        let mut out = Int::from(n.unsigned_abs());
        if n < 0 {
            out.start -= 1;
            out.digits[out.start] = b'-';
        }
        out
    }
}

/// `LPUSH`/`RPUSH` for an end.
pub fn push_word(end: End) -> &'static [u8] {
    match end {
        End::Left => b"LPUSH",
        End::Right => b"RPUSH",
    }
}

/// `LPOP`/`RPOP` for an end.
pub fn pop_word(end: End) -> &'static [u8] {
    match end {
        End::Left => b"LPOP",
        End::Right => b"RPOP",
    }
}

/// `LEFT`/`RIGHT` for an end.
pub fn end_word(end: End) -> &'static [u8] {
    match end {
        End::Left => b"LEFT",
        End::Right => b"RIGHT",
    }
}

/// An integer argument.
pub fn int(i: impl ToString) -> Vec<u8> {
    i.to_string().into_bytes()
}

/// Where effects go: the AOF writer. `record` is called under the keyspace lock with one
/// unit's effects (so in the lock's order) and must only buffer; a collecting sink is not
/// called at all: the engine seals the unit in its own log, which the sink takes. Then
/// `wait_durable` is called by the unit's caller after the lock is released and returns
/// once that unit is as durable as the fsync policy promises (`always`: on disk; group
/// commit lets one fsync cover every unit recorded before it).
pub trait EffectSink: Send + Sync + std::fmt::Debug {
    /// Buffers one unit's effects; returns its sequence number.
    fn record(&self, unit: Unit<'_>) -> u64;
    /// Blocks until unit `seq` is durable per the policy.
    fn wait_durable(&self, seq: u64);
    /// Whether the sink takes sealed units from the keyspace's `Effects::take_log` instead
    /// of `record` being called per unit.
    fn collects(&self) -> bool {
        false
    }
    /// Takes the sealed units out of `effects` (a collecting sink; the engine calls it
    /// when the sink is replaced, so that nothing sealed is dropped).
    fn absorb(&self, effects: &mut Effects) {
        let _ = effects;
    }
    /// The log of a collecting sink has grown to several chunks: the sink should take it
    /// soon. Called outside the keyspace lock, at most once between two `take_log`s.
    fn nudge(&self) {}
    /// Whether `wait_durable` can ever block. When it cannot, the engine skips the call and
    /// keeps no reference to the sink past the lock: the reference count is one more cache
    /// line that producer and consumer threads on two cores would pass back and forth.
    fn waits(&self) -> bool {
        true
    }
}
