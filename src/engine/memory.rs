//! Memory accounting and the `maxmemory` settings (Redis `maxmemory`, `maxmemory-policy`,
//! `maxmemory-samples`, `lfu-log-factor`, `lfu-decay-time`), plus the per-key access
//! metadata eviction ranks keys by (`robj.lru` in Redis: 24 bits, LRU clock or LFU).
//!
//! `used_memory` is counted per structure, not by the allocator: every database keeps the
//! sum of its keys' [`entry_cost`] up to date on each change (see `db.rs`), and lists and
//! streams keep their own heap byte counts, so reading it is O(databases). An
//! allocator-level count would need a global allocator (`unsafe impl GlobalAlloc`, which
//! `unsafe_code = "forbid"` rules out) and would mix every broker of the process into one
//! figure, when each broker's limit must be about its own data. What is counted: keys and
//! their table slots, values (string buffers, list and stream nodes, groups and PELs),
//! expiry entries; each heap block rounded up as glibc's malloc rounds it. Not counted:
//! pub/sub and client buffers, the AOF's pending bytes, the process's fixed overhead.
//!
//! Knows nothing of RESP or Python.

use super::clock::unix_ms;
use super::value::Value;

/// The eviction policies of Redis 7.0 (`maxmemory-policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Never evict: refuse DENYOOM commands when over the limit.
    #[default]
    NoEviction,
    /// Approximated LRU among all keys.
    AllKeysLru,
    /// Approximated LFU among all keys.
    AllKeysLfu,
    /// A random key.
    AllKeysRandom,
    /// Approximated LRU among keys with an expiry.
    VolatileLru,
    /// Approximated LFU among keys with an expiry.
    VolatileLfu,
    /// A random key with an expiry.
    VolatileRandom,
    /// The key with an expiry closest to its time.
    VolatileTtl,
}

impl Policy {
    /// Every policy, with its name in Redis's configuration.
    pub const ALL: [(Policy, &'static str); 8] = [
        (Policy::VolatileLru, Policy::NAMES[0]),
        (Policy::VolatileLfu, Policy::NAMES[1]),
        (Policy::VolatileRandom, Policy::NAMES[2]),
        (Policy::VolatileTtl, Policy::NAMES[3]),
        (Policy::AllKeysLru, Policy::NAMES[4]),
        (Policy::AllKeysLfu, Policy::NAMES[5]),
        (Policy::AllKeysRandom, Policy::NAMES[6]),
        (Policy::NoEviction, Policy::NAMES[7]),
    ];

    /// Redis's names, in Redis's order (CONFIG SET's list of accepted values).
    pub const NAMES: [&'static str; 8] =
        ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"];

    /// The policy named `name` (any case, as Redis's enum configs).
    pub fn parse(name: &[u8]) -> Option<Policy> {
        Policy::ALL.iter().find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(name)).map(|(p, _)| *p)
    }

    /// The name CONFIG GET and INFO answer with.
    pub fn name(self) -> &'static str {
        Policy::ALL.iter().find(|(p, _)| *p == self).map_or("noeviction", |(_, n)| n)
    }

    /// Whether the per-key metadata holds an LFU counter (else an LRU clock).
    pub fn is_lfu(self) -> bool {
        matches!(self, Policy::AllKeysLfu | Policy::VolatileLfu)
    }

    /// Whether only keys with an expiry may be evicted.
    pub fn volatile(self) -> bool {
        matches!(self, Policy::VolatileLru | Policy::VolatileLfu | Policy::VolatileRandom | Policy::VolatileTtl)
    }
}

/// The limit and how to keep under it. Defaults are Redis's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryConfig {
    /// Bytes; 0 means no limit (and no check at all).
    pub maxmemory: u64,
    /// What to do over the limit.
    pub policy: Policy,
    /// Keys sampled per database per eviction round (`maxmemory-samples`, 1..=64).
    pub samples: usize,
    /// How slowly the LFU counter grows (`lfu-log-factor`).
    pub lfu_log_factor: u32,
    /// Minutes for the LFU counter to halve... to lose one step (`lfu-decay-time`).
    pub lfu_decay_time: u32,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        MemoryConfig { maxmemory: 0, policy: Policy::NoEviction, samples: 5, lfu_log_factor: 10, lfu_decay_time: 1 }
    }
}

/// A key's access metadata, as Redis's 24-bit `lru` field: under an LRU policy the LRU
/// clock of the last access (seconds, 24 bits); under an LFU policy the minute of the last
/// decrement (16 bits) and a logarithmic access counter (8 bits). As in Redis, the field is
/// read by the policy in force, so it is approximate for a while after the policy changes.
pub type Meta = u32;

/// `LFU_INIT_VAL`: a new key's counter, so it is not evicted before it had a chance.
pub const LFU_INIT_VAL: u8 = 5;
/// The LRU clock's range (`LRU_CLOCK_MAX`).
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

/// The LRU clock now: seconds, wrapping at 24 bits (`getLRUClock`).
pub fn lru_clock() -> u32 {
    u32::try_from((unix_ms() / 1000).rem_euclid(i64::from(LRU_CLOCK_MAX) + 1)).unwrap_or(0)
}

/// Minutes now, wrapping at 16 bits (`LFUGetTimeInMinutes`).
pub fn lfu_minutes() -> u32 {
    u32::try_from((unix_ms() / 60_000).rem_euclid(65536)).unwrap_or(0)
}

/// Seconds since `meta` was stamped with the LRU clock `now` (`estimateObjectIdleTime`).
pub fn lru_idle_secs(meta: Meta, now: u32) -> u64 {
    let lru = meta & LRU_CLOCK_MAX;
    if now >= lru {
        u64::from(now - lru)
    } else {
        u64::from(now) + u64::from(LRU_CLOCK_MAX - lru)
    }
}

/// A new key's metadata (`createObject`).
pub fn new_meta(cfg: &MemoryConfig, clock: u32, minutes: u32) -> Meta {
    if cfg.policy.is_lfu() {
        (minutes << 8) | u32::from(LFU_INIT_VAL)
    } else {
        clock
    }
}

/// The LFU counter of `meta` after the decay its idle minutes call for (`LFUDecrAndReturn`).
pub fn lfu_decayed(meta: Meta, decay_time: u32, minutes: u32) -> u8 {
    let last = meta >> 8;
    let counter = (meta & 0xff) as u8;
    let elapsed = if minutes >= last { minutes - last } else { 65535 - last + minutes };
    let periods = elapsed.checked_div(decay_time).unwrap_or(0);
    counter.saturating_sub(u8::try_from(periods).unwrap_or(u8::MAX))
}

/// A small, seedable xorshift generator: eviction sampling and LFU increments use it, so
/// tests fix the seed and get the same victims every run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed` (0 is replaced: xorshift must not start at 0).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 { 0x9e37_79b9_7f4a_7c15 } else { seed })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % (n as u64)).unwrap_or(0)
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One access to a key under an LFU policy (`updateLFU`): decay, then a logarithmic
/// increment whose chance falls as the counter grows (`LFULogIncr`).
pub fn lfu_touch(meta: Meta, cfg: &MemoryConfig, minutes: u32, rng: &mut Rng) -> Meta {
    let mut counter = lfu_decayed(meta, cfg.lfu_decay_time, minutes);
    if counter < 255 {
        let base = f64::from(counter.saturating_sub(LFU_INIT_VAL));
        let p = 1.0 / (base * f64::from(cfg.lfu_log_factor) + 1.0);
        if rng.unit() < p {
            counter += 1;
        }
    }
    (minutes << 8) | u32::from(counter)
}

/// Heap bytes glibc's malloc takes for a request of `n` bytes: 8 bytes of header, rounded
/// up to 16, at least 32; nothing for an empty request (no allocation).
pub fn malloc_size(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n + 8).div_ceil(16).max(2) * 16
    }
}

/// Bytes of a keyspace table slot beyond the key's own buffer: the entry (hash, key
/// pointer and length, value and metadata) plus the index slot and control byte, at the
/// tables' load factor.
const SLOT_BYTES: usize = (8 + 16 + std::mem::size_of::<super::db::Slot>()) * 8 / 7 + 9 * 8 / 7;
/// The same for an expiry entry (hash, key, i64 time, index, control byte).
const EXPIRE_SLOT_BYTES: usize = (8 + 16 + 8) * 8 / 7 + 9 * 8 / 7;

/// What one key costs: its slot, its name, its value.
pub fn entry_cost(key: &[u8], value: &Value) -> usize {
    SLOT_BYTES + malloc_size(key.len()) + value_cost(value)
}

/// What an expiry on a key named `key` costs (its own copy of the name, its slot).
pub fn expire_cost(key: &[u8]) -> usize {
    EXPIRE_SLOT_BYTES + malloc_size(key.len())
}

/// The heap bytes of a value. O(1): lists and streams keep their counts, sets read their
/// buffers' capacities.
pub fn value_cost(value: &Value) -> usize {
    match value {
        Value::Str(s) => malloc_size(s.capacity()),
        // Nodes are large (8 KiB when full): malloc's rounding is lost in the noise.
        Value::List(l) => l.allocated_bytes(),
        // Computed from the buffers' capacities: O(1).
        Value::Set(s) => s.allocated_bytes(),
        Value::Stream(s) => malloc_size(std::mem::size_of::<super::stream::Stream>()) + s.allocated_bytes(),
        Value::Hash(h) => h.allocated_bytes(),
        Value::Zset(z) => z.allocated_bytes(),
    }
}

/// Redis's human-readable byte counts (`bytesToHuman`): `1.50K`, `512.00M`, `0B`.
pub fn bytes_to_human(n: u64) -> String {
    let units = [(1u64 << 50, 'P'), (1 << 40, 'T'), (1 << 30, 'G'), (1 << 20, 'M'), (1 << 10, 'K')];
    for (size, unit) in units {
        if n >= size {
            return format!("{:.2}{unit}", n as f64 / size as f64);
        }
    }
    format!("{n}B")
}

/// Parses a memory amount as Redis's config does (`memtoull`): digits with an optional
/// unit, `k`/`kb`/`m`/`mb`/`g`/`gb` (case-insensitive; `k` is 1000, `kb` 1024). `None` for
/// anything else, negative numbers included.
pub fn parse_memory(text: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(text).ok()?.to_ascii_lowercase();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    if digits.is_empty() {
        return None;
    }
    let mul: u64 = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(mul)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_strings_parse_as_redis_does() {
        assert_eq!(parse_memory(b"512mb"), Some(512 << 20));
        assert_eq!(parse_memory(b"1GB"), Some(1 << 30));
        assert_eq!(parse_memory(b"100k"), Some(100_000));
        assert_eq!(parse_memory(b"0"), Some(0));
        assert_eq!(parse_memory(b"-1"), None);
        assert_eq!(parse_memory(b"12xb"), None);
        assert_eq!(parse_memory(b""), None);
    }

    #[test]
    fn policies_round_trip_their_names() {
        for (p, name) in Policy::ALL {
            assert_eq!(Policy::parse(name.to_uppercase().as_bytes()), Some(p));
            assert_eq!(p.name(), name);
        }
        assert_eq!(Policy::parse(b"lru"), None);
    }

    #[test]
    fn lfu_counter_grows_logarithmically_and_decays() {
        let cfg = MemoryConfig::default();
        let mut rng = Rng::new(7);
        let mut meta = new_meta(&MemoryConfig { policy: Policy::AllKeysLfu, ..cfg }, 0, 100);
        for _ in 0..1000 {
            meta = lfu_touch(meta, &cfg, 100, &mut rng);
        }
        let counter = meta & 0xff;
        // With lfu-log-factor 10, a thousand hits reach about 18 (Redis's table: 100 hits
        // give 10, 1000 give 18).
        assert!((12..=24).contains(&counter), "counter {counter}");
        // One step lost per lfu-decay-time minute.
        assert_eq!(u32::from(lfu_decayed(meta, 1, 103)), counter - 3);
        assert_eq!(u32::from(lfu_decayed(meta, 0, 103)), counter);
    }

    #[test]
    fn human_sizes_match_redis() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1536), "1.50K");
        assert_eq!(bytes_to_human(512 << 20), "512.00M");
    }
}
