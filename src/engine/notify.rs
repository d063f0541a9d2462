//! Keyspace notifications (Redis `notify.c`): what a command changed, published on
//! `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>` when `notify-keyspace-events`
//! asks for that class of event.
//!
//! Called by the engine's methods, next to the effects they record, so that every door
//! (Python, the server, MULTI, a Lua script later) publishes the same events. AOF replay
//! and loading publish nothing, as in Redis (no subscriber exists then).

/// The classes of event, Redis's `NOTIFY_*` bits.
pub mod class {
    /// `K`: publish on `__keyspace@<db>__:<key>`.
    pub const KEYSPACE: u16 = 1 << 0;
    /// `E`: publish on `__keyevent@<db>__:<event>`.
    pub const KEYEVENT: u16 = 1 << 1;
    /// `g`: generic commands (DEL, EXPIRE, RENAME, …).
    pub const GENERIC: u16 = 1 << 2;
    /// `$`: string commands.
    pub const STRING: u16 = 1 << 3;
    /// `l`: list commands.
    pub const LIST: u16 = 1 << 4;
    /// `s`: set commands.
    pub const SET: u16 = 1 << 5;
    /// `h`: hash commands.
    pub const HASH: u16 = 1 << 6;
    /// `z`: sorted set commands.
    pub const ZSET: u16 = 1 << 7;
    /// `x`: expired events (a key expired, on access or by the sweep).
    pub const EXPIRED: u16 = 1 << 8;
    /// `e`: evicted events (maxmemory).
    pub const EVICTED: u16 = 1 << 9;
    /// `t`: stream commands.
    pub const STREAM: u16 = 1 << 10;
    /// `m`: key-miss events (a read found no key). Not part of `A`.
    pub const KEY_MISS: u16 = 1 << 11;
    /// `d`: module key type events (embedis has no modules: accepted, never fires).
    pub const MODULE: u16 = 1 << 12;
    /// `n`: new key events. Not part of `A`.
    pub const NEW: u16 = 1 << 13;
}

impl super::Keyspace {
    /// Publishes the event `event` of class `class` (one of `class::*` but KEYSPACE and
    /// KEYEVENT) about `key` of database `db`, if `notify-keyspace-events` enables it.
    /// Costs one branch when notifications are off.
    #[inline]
    pub fn notify(&mut self, class: u16, event: &str, key: &[u8], db: usize) {
        // Filled in by the keyspace-notifications work (issue #12, item 5).
        let _ = (class, event, key, db);
    }
}
