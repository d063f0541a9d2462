//! Hash commands on the keyspace (HSET … HSCAN): the rules that involve keys (an emptied
//! hash is deleted, WRONGTYPE, a missing key reads as empty), the AOF effects and the
//! keyspace events, as redis `src/t_hash.c`. The hash type itself is `hash.rs`.

use std::sync::atomic::{AtomicU64, Ordering};

use super::clock::unix_ms;
use super::effects::Int;
use super::error::{Error, Result};
use super::glob::glob_match;
use super::hash::Hash;
use super::keyspace::Keyspace;
use super::longdouble::{LongDouble, Parsed};
use super::notify::class;
use super::strings::parse_i64;

/// A field and its value.
pub type Pair = (Vec<u8>, Vec<u8>);

/// Random numbers for HRANDFIELD (Redis uses its process-wide `random()`): a xorshift
/// state shared by the process, seeded from the clock at first use.
pub(crate) fn random_below(n: usize) -> usize {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = (unix_ms() as u64) | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    usize::try_from(x % (n.max(1) as u64)).unwrap_or(0)
}

/// The 62-bit hash that orders HSCAN over a table-encoded hash: fixed for the process so
/// that cursors stay valid between calls.
pub(crate) fn scan_hash(field: &[u8]) -> u64 {
    static HASHER: std::sync::OnceLock<ahash::RandomState> = std::sync::OnceLock::new();
    HASHER.get_or_init(ahash::RandomState::new).hash_one(field) >> 2
}

fn owned(pair: (&[u8], &[u8])) -> Pair {
    (pair.0.to_vec(), pair.1.to_vec())
}

impl Keyspace {
    /// HSET / HMSET: how many fields were created.
    pub fn hset(&mut self, db: usize, key: &[u8], pairs: &[&[u8]]) -> Result<usize> {
        let cfg = self.config.hash;
        let h = self.dbs[db].hash_or_create(key)?;
        let mut created = 0;
        for pair in pairs.chunks_exact(2) {
            created += usize::from(h.set(pair[0], pair[1], cfg));
        }
        self.emit_args(db, &[b"HSET", key], pairs);
        self.notify(class::HASH, "hset", key, db);
        Ok(created)
    }

    /// HSETNX: whether the field was set.
    pub fn hsetnx(&mut self, db: usize, key: &[u8], field: &[u8], value: &[u8]) -> Result<bool> {
        let cfg = self.config.hash;
        let d = &mut self.dbs[db];
        if d.hash(key)?.is_some_and(|h| h.contains(field)) {
            return Ok(false);
        }
        d.hash_or_create(key)?.set(field, value, cfg);
        self.emit_args(db, &[b"HSET", key, field, value], &[]);
        self.notify(class::HASH, "hset", key, db);
        Ok(true)
    }

    /// The hash at `key` for a read command (Redis `lookupKeyRead`): `None`, after a
    /// `keymiss` event, when missing.
    fn read_hash(&mut self, db: usize, key: &[u8]) -> Result<Option<&Hash>> {
        if self.wants_key_miss() && self.dbs[db].hash(key)?.is_none() {
            self.key_miss(key, db);
            return Ok(None);
        }
        self.dbs[db].hash(key)
    }

    /// HGET.
    pub fn hget(&mut self, db: usize, key: &[u8], field: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.read_hash(db, key)?.and_then(|h| h.get(field)).map(<[u8]>::to_vec))
    }

    /// HMGET: a value or `None` per field.
    pub fn hmget(&mut self, db: usize, key: &[u8], fields: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>> {
        let h = self.read_hash(db, key)?;
        Ok(fields.iter().map(|f| h.and_then(|h| h.get(f)).map(<[u8]>::to_vec)).collect())
    }

    /// HGETALL: every pair, in the hash's order.
    pub fn hgetall(&mut self, db: usize, key: &[u8]) -> Result<Vec<Pair>> {
        Ok(self.read_hash(db, key)?.map_or_else(Vec::new, |h| h.iter().map(owned).collect()))
    }

    /// HKEYS.
    pub fn hkeys(&mut self, db: usize, key: &[u8]) -> Result<Vec<Vec<u8>>> {
        Ok(self.read_hash(db, key)?.map_or_else(Vec::new, |h| h.iter().map(|(f, _)| f.to_vec()).collect()))
    }

    /// HVALS.
    pub fn hvals(&mut self, db: usize, key: &[u8]) -> Result<Vec<Vec<u8>>> {
        Ok(self.read_hash(db, key)?.map_or_else(Vec::new, |h| h.iter().map(|(_, v)| v.to_vec()).collect()))
    }

    /// HLEN.
    pub fn hlen(&mut self, db: usize, key: &[u8]) -> Result<usize> {
        Ok(self.read_hash(db, key)?.map_or(0, Hash::len))
    }

    /// HSTRLEN.
    pub fn hstrlen(&mut self, db: usize, key: &[u8], field: &[u8]) -> Result<usize> {
        Ok(self.read_hash(db, key)?.and_then(|h| h.get(field)).map_or(0, <[u8]>::len))
    }

    /// HEXISTS.
    pub fn hexists(&mut self, db: usize, key: &[u8], field: &[u8]) -> Result<bool> {
        Ok(self.read_hash(db, key)?.is_some_and(|h| h.contains(field)))
    }

    /// HDEL: how many fields were removed. The key goes with its last field.
    pub fn hdel(&mut self, db: usize, key: &[u8], fields: &[&[u8]]) -> Result<usize> {
        let d = &mut self.dbs[db];
        // Read first: a HDEL that removes nothing changes nothing (no WATCH is touched).
        if !d.hash(key)?.is_some_and(|h| fields.iter().any(|f| h.contains(f))) {
            return Ok(0);
        }
        let Some(h) = d.hash_mut(key)? else { return Ok(0) };
        let mut deleted = 0;
        let mut emptied = false;
        for f in fields {
            if h.remove(f) {
                deleted += 1;
                if h.is_empty() {
                    emptied = true;
                    break;
                }
            }
        }
        if emptied {
            d.remove(key);
        }
        if deleted > 0 {
            self.emit_args(db, &[b"HDEL", key], fields);
            self.notify(class::HASH, "hdel", key, db);
            if emptied {
                self.notify(class::GENERIC, "del", key, db);
            }
        }
        Ok(deleted)
    }

    /// HINCRBY: the new value.
    ///
    /// # Errors
    /// `HashValueNotInteger`, `Overflow`.
    pub fn hincrby(&mut self, db: usize, key: &[u8], field: &[u8], delta: i64) -> Result<i64> {
        let cfg = self.config.hash;
        let d = &mut self.dbs[db];
        let current = match d.hash(key)?.and_then(|h| h.get(field)) {
            None => 0,
            Some(v) => parse_i64(v).ok_or(Error::HashValueNotInteger)?,
        };
        let new = current.checked_add(delta).ok_or(Error::Overflow)?;
        d.hash_or_create(key)?.set(field, Int::from(new).as_bytes(), cfg);
        self.emit_args(db, &[b"HINCRBY", key, field, Int::from(delta).as_bytes()], &[]);
        self.notify(class::HASH, "hincrby", key, db);
        Ok(new)
    }

    /// HINCRBYFLOAT, in Redis's `long double` (see `longdouble.rs`): the new value as
    /// stored. The AOF gets the HSET of that value, as Redis propagates it, so a replay
    /// does not depend on float arithmetic.
    ///
    /// # Errors
    /// `HashValueNotFloat`, `NanOrInfinity`.
    pub fn hincrbyfloat(
        &mut self,
        db: usize,
        key: &[u8],
        field: &[u8],
        incr: LongDouble,
    ) -> Result<Vec<u8>> {
        let cfg = self.config.hash;
        let d = &mut self.dbs[db];
        // A stored `inf` parses (Redis's `string2ld` refuses only NaN); any sum with it
        // is then refused.
        let current = match d.hash(key)?.and_then(|h| h.get(field)) {
            None => LongDouble::ZERO,
            Some(v) => match LongDouble::parse(v).ok_or(Error::HashValueNotFloat)? {
                Parsed::Value(v) => v,
                Parsed::Infinite => return Err(Error::NanOrInfinity),
            },
        };
        let text = current.sum(incr).ok_or(Error::NanOrInfinity)?.to_human().into_bytes();
        d.hash_or_create(key)?.set(field, &text, cfg);
        self.emit_args(db, &[b"HSET", key, field, &text], &[]);
        self.notify(class::HASH, "hincrbyfloat", key, db);
        Ok(text)
    }

    /// HRANDFIELD without a count: one random field, `None` for a missing key.
    pub fn hrandfield(&mut self, db: usize, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let Some(h) = self.read_hash(db, key)? else { return Ok(None) };
        Ok(h.nth(random_below(h.len())).map(|(f, _)| f.to_vec()))
    }

    /// HRANDFIELD with a count (Redis `hrandfieldWithCountCommand`): a negative count picks
    /// `-count` fields that may repeat; a positive one up to `count` distinct fields (the
    /// whole hash, in its order, when it has no more). Pairs; the caller drops the values
    /// unless WITHVALUES.
    pub fn hrandfield_count(&mut self, db: usize, key: &[u8], count: i64) -> Result<Vec<Pair>> {
        let Some(h) = self.read_hash(db, key)? else { return Ok(Vec::new()) };
        let size = h.len();
        if count == 0 || size == 0 {
            return Ok(Vec::new());
        }
        if count < 0 {
            if count.unsigned_abs() > super::RANDOM_REPEATS_MAX {
                return Err(Error::ValueOutOfRange);
            }
            let n = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
            let mut out = Vec::with_capacity(n.min(1 << 20));
            for _ in 0..n {
                if let Some(p) = h.nth(random_below(size)) {
                    out.push(owned(p));
                }
            }
            return Ok(out);
        }
        let n = usize::try_from(count).unwrap_or(usize::MAX);
        if n >= size {
            return Ok(h.iter().map(owned).collect());
        }
        // Distinct positions, chosen by a partial Fisher-Yates shuffle; answered in the
        // hash's order, as Redis's listpack sampling (`lpRandomPairsUnique`) does.
        let mut idx: Vec<usize> = (0..size).collect();
        for i in 0..n {
            let j = i + random_below(size - i);
            idx.swap(i, j);
        }
        let mut chosen = idx[..n].to_vec();
        chosen.sort_unstable();
        let mut out = Vec::with_capacity(n);
        let mut want = chosen.into_iter().peekable();
        for (i, pair) in h.iter().enumerate() {
            if want.peek() == Some(&i) {
                out.push(owned(pair));
                want.next();
            }
        }
        Ok(out)
    }

    /// HSCAN on an existing hash (the caller answers a missing key). A listpack hash is
    /// returned whole with cursor 0, whatever the cursor, as Redis does; a table is visited
    /// in the order of a per-process hash of the fields, the cursor being the hash to resume
    /// from (so a field present for a whole iteration is returned once). COUNT bounds the
    /// fields visited; MATCH filters afterwards.
    pub fn hscan(
        &mut self,
        db: usize,
        key: &[u8],
        cursor: u64,
        pattern: Option<&[u8]>,
        count: usize,
    ) -> Result<(u64, Vec<Pair>)> {
        let Some(h) = self.read_hash(db, key)? else { return Ok((0, Vec::new())) };
        let keep = |f: &[u8]| pattern.is_none_or(|p| glob_match(p, f, false));
        if h.encoding_name() == "listpack" {
            return Ok((0, h.iter().filter(|(f, _)| keep(f)).map(owned).collect()));
        }
        let count = count.max(1);
        let mut found: Vec<(u64, (&[u8], &[u8]))> =
            h.iter().map(|p| (scan_hash(p.0), p)).filter(|(s, _)| *s >= cursor).collect();
        let next = if found.len() > count {
            found.select_nth_unstable_by_key(count, |(s, _)| *s);
            let boundary = found[count].0;
            // Fields sharing the boundary hash go together, or the cursor would skip some.
            found.retain(|(s, _)| *s < boundary);
            boundary
        } else {
            0
        };
        found.sort_unstable_by_key(|(s, _)| *s);
        Ok((next, found.into_iter().filter(|(_, p)| keep(p.0)).map(|(_, p)| owned(p)).collect()))
    }

    /// Whether `key` holds a hash, for the commands that look the key up before parsing
    /// the rest (HSCAN's options): `WrongType` for another type; a missing key is a
    /// read's `keymiss`.
    pub fn hash_exists(&mut self, db: usize, key: &[u8]) -> Result<bool> {
        Ok(self.read_hash(db, key)?.is_some())
    }
}
