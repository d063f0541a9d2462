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

/// The effects of the current unit.
#[derive(Debug, Default)]
pub struct Effects {
    /// Whether to record at all (an AOF is open).
    pub enabled: bool,
    /// Recorded since the last `take`.
    log: Vec<Effect>,
}

impl Effects {
    /// Records `argv` for `db` if recording is on. `argv` is built only then.
    pub fn emit(&mut self, db: usize, argv: impl FnOnce() -> Vec<Vec<u8>>) {
        if self.enabled {
            self.log.push(Effect { db, argv: argv() });
        }
    }

    /// The effects recorded since the last call.
    pub fn take(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.log)
    }

    /// Whether anything was recorded since the last `take`.
    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }
}

/// `LPUSH`/`RPUSH` (or `LPOP`/`RPOP`) for an end.
pub fn push_word(end: End) -> Vec<u8> {
    match end {
        End::Left => b"LPUSH".to_vec(),
        End::Right => b"RPUSH".to_vec(),
    }
}

/// `LPOP`/`RPOP` for an end.
pub fn pop_word(end: End) -> Vec<u8> {
    match end {
        End::Left => b"LPOP".to_vec(),
        End::Right => b"RPOP".to_vec(),
    }
}

/// `LEFT`/`RIGHT` for an end.
pub fn end_word(end: End) -> Vec<u8> {
    match end {
        End::Left => b"LEFT".to_vec(),
        End::Right => b"RIGHT".to_vec(),
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
    fn record(&self, effects: Vec<Effect>) -> u64;
    /// Blocks until unit `seq` is durable per the policy.
    fn wait_durable(&self, seq: u64);
}
