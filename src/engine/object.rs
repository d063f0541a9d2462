//! OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT (Redis `src/object.c`): what embedis can
//! tell of a key's storage and access metadata. Lookups here never stamp an access (Redis
//! looks keys up with `LOOKUP_NOTOUCH` for OBJECT), but a key whose time has come is
//! still deleted. Knows nothing of RESP or Python.

use super::error::{Error, Result};
use super::memory::{self, Policy};
use super::value::Value;
use super::Keyspace;

/// Redis's `OBJ_SHARED_INTEGERS`: string values holding 0..10000 share one object.
const SHARED_INTEGERS: i64 = 10_000;
/// The refcount Redis reports for a shared object (`OBJ_SHARED_REFCOUNT`, `INT_MAX`).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

impl Keyspace {
    /// OBJECT ENCODING: `None` for a missing key.
    pub fn object_encoding(&mut self, db: usize, key: &[u8]) -> Option<&'static str> {
        self.dbs[db].peek(key).map(|slot| slot.value.encoding())
    }

    /// OBJECT REFCOUNT: `None` for a missing key. Redis shares the objects of the string
    /// values 0..10000 (refcount `INT_MAX`) unless an LRU/LFU `maxmemory-policy` with a
    /// limit asks for an object per key (`MAXMEMORY_FLAG_NO_SHARED_INTEGERS`).
    pub fn object_refcount(&mut self, db: usize, key: &[u8]) -> Option<i64> {
        let cfg = self.memory.config;
        let lru_or_lfu = matches!(
            cfg.policy,
            Policy::AllKeysLru | Policy::VolatileLru | Policy::AllKeysLfu | Policy::VolatileLfu
        );
        let shared_allowed = cfg.maxmemory == 0 || !lru_or_lfu;
        let slot = self.dbs[db].peek(key)?;
        let shared = match &slot.value {
            Value::Str(s) => {
                s.len() <= 20
                    && super::strings::parse_i64(s).is_some_and(|n| (0..SHARED_INTEGERS).contains(&n))
            }
            Value::List(_) | Value::Stream(_) | Value::Set(_) | Value::Hash(_) | Value::Zset(_) => false,
        };
        Some(if shared && shared_allowed { SHARED_REFCOUNT } else { 1 })
    }

    /// OBJECT FREQ: the key's LFU counter after decay (`LFUDecrAndReturn`); `None` for a
    /// missing key (checked first, as Redis does).
    ///
    /// # Errors
    /// `ObjectFreqNeedsLfu` unless the policy is an LFU one.
    pub fn object_freq(&mut self, db: usize, key: &[u8]) -> Result<Option<i64>> {
        self.refresh_access();
        let cfg = self.memory.config;
        let minutes = self.dbs[db].access.minutes;
        let Some(slot) = self.dbs[db].peek(key) else { return Ok(None) };
        if !cfg.policy.is_lfu() {
            return Err(Error::ObjectFreqNeedsLfu);
        }
        Ok(Some(i64::from(memory::lfu_decayed(slot.meta, cfg.lfu_decay_time, minutes))))
    }

    /// OBJECT IDLETIME: seconds since the key's last access (`estimateObjectIdleTime`);
    /// `None` for a missing key.
    ///
    /// # Errors
    /// `ObjectIdletimeUnderLfu` under an LFU policy (the metadata holds a counter then).
    pub fn object_idletime(&mut self, db: usize, key: &[u8]) -> Result<Option<i64>> {
        self.refresh_access();
        let lfu = self.memory.config.policy.is_lfu();
        let clock = self.dbs[db].access.clock;
        let Some(slot) = self.dbs[db].peek(key) else { return Ok(None) };
        if lfu {
            return Err(Error::ObjectIdletimeUnderLfu);
        }
        Ok(Some(i64::try_from(memory::lru_idle_secs(slot.meta, clock)).unwrap_or(i64::MAX)))
    }
}
