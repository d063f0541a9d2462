//! The values of CONFIG parameters that live with the data: the ones the engine reads
//! (`stream-node-max-*`, `hz`) and the ones that change nothing in embedis but that Redis
//! accepts and remembers (encoding and tuning knobs). Held in the `Keyspace`, so that
//! every door (the server, `execute_command`, the Python methods) sees one set of values,
//! changed atomically with the commands around it. The table that names, checks and
//! prints them is `command/config.rs`.

use std::collections::BTreeMap;

use super::hash::HashConfig;
use super::zset::ZsetConfig;
use super::stream::StreamConfig;

/// Redis's `hz` bounds: CONFIG SET takes any non-negative int and clamps it so.
pub const HZ_MIN: u32 = 1;
/// See `HZ_MIN`.
pub const HZ_MAX: u32 = 500;

/// The parameter values kept in the keyspace.
#[derive(Debug, Clone)]
pub struct Params {
    /// `stream-node-max-bytes` and `stream-node-max-entries`: read by every XADD and
    /// trim, as Redis reads its globals, so a change applies from the next entry on
    /// (including whether the current tail node takes it).
    pub stream: StreamConfig,
    /// `set-max-intset-entries`: the most members a set of integers keeps as an intset;
    /// read by every add, as Redis reads it.
    pub set_max_intset_entries: usize,
    /// `hash-max-listpack-entries` and `hash-max-listpack-value`: read by every hash write,
    /// as Redis reads its globals, so a change applies to the next write (a hash already
    /// converted stays a table).
    pub hash: HashConfig,
    /// `zset-max-listpack-entries` and `zset-max-listpack-value`: read by every sorted-set
    /// write, as for hashes.
    pub zset: ZsetConfig,
    /// `hz`: how many times a second the active-expiry sweeper runs.
    pub hz: u32,
    /// Parameters with no observable effect in embedis, by name: their values as last
    /// set, so CONFIG GET answers what CONFIG SET was told, as on Redis.
    pub knobs: BTreeMap<&'static str, String>,
}

impl Default for Params {
    fn default() -> Params {
        Params { stream: StreamConfig::default(), hash: HashConfig::default(), zset: ZsetConfig::default(), set_max_intset_entries: 512, hz: 10, knobs: BTreeMap::new() }
    }
}
