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
#[derive(Debug, Default)]
pub struct Effects {
    /// Whether to record at all (an AOF is open, or save rules count changes).
    pub enabled: bool,
    /// The unit's commands, back to back, each a RESP array of bulk strings.
    buf: Vec<u8>,
    /// Per command: its database and where it ends in `buf`.
    marks: Vec<(usize, usize)>,
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
    pub fn emit_args(&mut self, db: usize, head: &[&[u8]], tail: &[&[u8]]) {
        if !self.enabled {
            return;
        }
        let need: usize = head.iter().chain(tail).map(|a| a.len() + 16).sum::<usize>() + 16;
        self.buf.reserve(need);
        put_len(&mut self.buf, b'*', head.len() + tail.len());
        for a in head.iter().chain(tail) {
            put_len(&mut self.buf, b'$', a.len());
            self.buf.extend_from_slice(a);
            self.buf.extend_from_slice(b"\r\n");
        }
        self.marks.push((db, self.buf.len()));
    }

    /// What was recorded since the last `clear`.
    pub fn unit(&self) -> Unit<'_> {
        Unit { buf: &self.buf, marks: &self.marks }
    }

    /// Forgets what was recorded (keeping the buffers' capacity).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.marks.clear();
    }

    /// Whether anything was recorded since the last `clear`.
    pub fn is_empty(&self) -> bool {
        self.marks.is_empty()
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

/// Writes `kind`, then `n` in decimal, then CRLF.
fn put_len(out: &mut Vec<u8>, kind: u8, n: usize) {
    // Counts and short lengths are most of what is written: one copy, no digit loop.
    #[allow(clippy::cast_possible_truncation)] // below 100
    match n {
        0..10 => return out.extend_from_slice(&[kind, b'0' + n as u8, b'\r', b'\n']),
        10..100 => return out.extend_from_slice(&[kind, b'0' + (n / 10) as u8, b'0' + (n % 10) as u8, b'\r', b'\n']),
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
/// unit's effects (so in the lock's order) and must only buffer; `wait_durable` is called
/// by the unit's caller after the lock is released and returns once that unit is as
/// durable as the fsync policy promises (`always`: on disk; group commit lets one fsync
/// cover every unit recorded before it).
pub trait EffectSink: Send + Sync + std::fmt::Debug {
    /// Buffers one unit's effects; returns its sequence number.
    fn record(&self, unit: Unit<'_>) -> u64;
    /// Blocks until unit `seq` is durable per the policy.
    fn wait_durable(&self, seq: u64);
    /// Whether `wait_durable` can ever block. When it cannot, the engine skips the call and
    /// keeps no reference to the sink past the lock: the reference count is one more cache
    /// line that producer and consumer threads on two cores would pass back and forth.
    fn waits(&self) -> bool {
        true
    }
}
