//! Set commands on the keyspace (SADD … SSCAN): the rules that involve keys (an emptied
//! set's key goes, WRONGTYPE, the destination of the *STORE commands), their effects as
//! Redis propagates them and their keyspace events in Redis's order (redis `t_set.c`).
//! The set type itself is `set.rs`.

use std::cell::RefCell;

use super::error::{Error, Result};
use super::glob::glob_match;
use super::keyspace::Keyspace;
use super::memory::Rng;
use super::notify::class;
use super::set::{Member, Set};
use super::value::Value;

thread_local! {
    /// Random bits for SPOP and SRANDMEMBER, seeded per thread from the clock.
    static RNG: RefCell<Rng> = RefCell::new(Rng::new(
        super::clock::unix_ms().unsigned_abs() ^ (std::process::id() as u64).rotate_left(32),
    ));
}

/// Runs `f` with this thread's generator.
fn with_rng<T>(f: impl FnOnce(&mut Rng) -> T) -> T {
    RNG.with(|r| f(&mut r.borrow_mut()))
}

/// SINTER, SUNION or SDIFF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    /// Members of every set.
    Inter,
    /// Members of any set.
    Union,
    /// Members of the first set and of no other.
    Diff,
}

impl SetOp {
    /// The *STORE command's name, as logged and as its keyspace event.
    fn store_word(self) -> &'static str {
        match self {
            SetOp::Inter => "sinterstore",
            SetOp::Union => "sunionstore",
            SetOp::Diff => "sdiffstore",
        }
    }
}

/// The result of a set operation: a set built as Redis builds its `dstset` (member by
/// member into an empty intset), or for SINTER the members in the smallest set's order.
fn compute(op: SetOp, sets: &[Option<&Set>], max_intset: usize, limit: usize) -> Set {
    let mut out = Set::new();
    match op {
        SetOp::Inter => {
            // A missing key makes the intersection empty (the caller checked types first).
            let Some(mut present) = sets.iter().copied().collect::<Option<Vec<&Set>>>() else { return out };
            // Smallest first: fewest probes (Redis sorts by cardinality too).
            present.sort_by_key(|s| s.len());
            let Some((first, rest)) = present.split_first() else { return out };
            for m in first.members() {
                if rest.iter().all(|s| s.contains_member(m)) {
                    out.add(&m.bytes(), max_intset);
                    if limit > 0 && out.len() >= limit {
                        break;
                    }
                }
            }
        }
        SetOp::Union => {
            for s in sets.iter().flatten() {
                for m in s.members() {
                    out.add(&m.bytes(), max_intset);
                }
            }
        }
        SetOp::Diff => {
            if let Some(Some(first)) = sets.first() {
                for m in first.members() {
                    if !sets[1..].iter().flatten().any(|s| s.contains_member(m)) {
                        out.add(&m.bytes(), max_intset);
                    }
                }
            }
        }
    }
    out
}

impl Keyspace {
    /// `set-max-intset-entries`.
    fn max_intset(&self) -> usize {
        self.config.set_max_intset_entries
    }

    /// SADD: how many members were new.
    pub fn sadd(&mut self, db: usize, key: &[u8], members: &[&[u8]]) -> Result<usize> {
        let max = self.max_intset();
        let Some(first) = members.first() else { return Ok(0) };
        let set = self.dbs[db].set_or_create(key, first)?;
        let added = members.iter().filter(|m| set.add(m, max)).count();
        if added > 0 {
            self.notify(class::SET, "sadd", key, db);
            self.emit_args(db, &[b"SADD", key], members);
        }
        Ok(added)
    }

    /// SREM: how many members were removed. The key goes with its last member.
    pub fn srem(&mut self, db: usize, key: &[u8], members: &[&[u8]]) -> Result<usize> {
        let d = &mut self.dbs[db];
        let Some(set) = d.set_mut(key)? else { return Ok(0) };
        let mut removed = 0;
        for m in members {
            if set.remove(m) {
                removed += 1;
                if set.is_empty() {
                    break;
                }
            }
        }
        let gone = set.is_empty();
        if gone {
            d.remove(key);
        }
        if removed > 0 {
            self.notify(class::SET, "srem", key, db);
            if gone {
                self.notify(class::GENERIC, "del", key, db);
            }
            self.emit_args(db, &[b"SREM", key], members);
        }
        Ok(removed)
    }

    /// The set at `key` for a read command (Redis `lookupKeyRead`): `None`, after a
    /// `keymiss` event, when missing.
    fn read_set(&mut self, db: usize, key: &[u8]) -> Result<Option<&Set>> {
        if self.wants_key_miss() && self.dbs[db].set_value(key)?.is_none() {
            self.key_miss(key, db);
            return Ok(None);
        }
        self.dbs[db].set_value(key)
    }

    /// SMEMBERS.
    pub fn smembers(&mut self, db: usize, key: &[u8]) -> Result<Vec<Vec<u8>>> {
        Ok(self.read_set(db, key)?.map_or_else(Vec::new, |s| s.iter().map(|m| m.into_owned()).collect()))
    }

    /// SISMEMBER.
    pub fn sismember(&mut self, db: usize, key: &[u8], member: &[u8]) -> Result<bool> {
        Ok(self.read_set(db, key)?.is_some_and(|s| s.contains(member)))
    }

    /// SMISMEMBER.
    pub fn smismember(&mut self, db: usize, key: &[u8], members: &[&[u8]]) -> Result<Vec<bool>> {
        let set = self.read_set(db, key)?;
        Ok(members.iter().map(|m| set.is_some_and(|s| s.contains(m))).collect())
    }

    /// SCARD (0 for a missing key).
    pub fn scard(&mut self, db: usize, key: &[u8]) -> Result<usize> {
        Ok(self.read_set(db, key)?.map_or(0, Set::len))
    }

    /// The set at `key` itself, for readers outside the engine's commands (SORT). `None`
    /// if missing.
    pub fn set_at(&mut self, db: usize, key: &[u8]) -> Result<Option<&Set>> {
        self.dbs[db].set_value(key)
    }

    /// SPOP without a count: a random member, removed; logged as the SREM it was.
    pub fn spop(&mut self, db: usize, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let d = &mut self.dbs[db];
        let Some(set) = d.set_mut(key)? else { return Ok(None) };
        let Some(m) = with_rng(|rng| set.pop_random(rng)) else { return Ok(None) };
        let gone = set.is_empty();
        self.notify(class::SET, "spop", key, db);
        self.emit_args(db, &[b"SREM", key, &m], &[]);
        if gone {
            self.dbs[db].remove(key);
            self.notify(class::GENERIC, "del", key, db);
        }
        Ok(Some(m))
    }

    /// SPOP with a count (Redis `spopWithCountCommand`): up to `count` random members,
    /// removed. Logged as one SREM of them, or as DEL when the whole set went.
    pub fn spop_count(&mut self, db: usize, key: &[u8], count: usize) -> Result<Vec<Vec<u8>>> {
        let max = self.max_intset();
        let d = &mut self.dbs[db];
        let Some(set) = d.set_mut(key)? else { return Ok(Vec::new()) };
        if count == 0 {
            return Ok(Vec::new());
        }
        let size = set.len();
        if count >= size {
            let all: Vec<Vec<u8>> = set.iter().map(|m| m.into_owned()).collect();
            self.notify(class::SET, "spop", key, db);
            self.dbs[db].remove(key);
            self.notify(class::GENERIC, "del", key, db);
            self.emit_args(db, &[b"DEL", key], &[]);
            return Ok(all);
        }
        let remaining = size - count;
        let popped: Vec<Vec<u8>> = if remaining * 5 > count {
            with_rng(|rng| (0..count).filter_map(|_| set.pop_random(rng)).collect())
        } else {
            // Most members go: draw the ones that stay into a new set, built member by
            // member as Redis builds it (so it may be an intset again), and hand out the
            // rest of the old one.
            let mut kept: Option<Set> = None;
            with_rng(|rng| {
                for _ in 0..remaining {
                    if let Some(m) = set.pop_random(rng) {
                        kept.get_or_insert_with(|| Set::for_first(&m)).add(&m, max);
                    }
                }
            });
            let out = set.iter().map(|m| m.into_owned()).collect();
            if let Some(kept) = kept {
                *set = kept;
            }
            out
        };
        self.notify(class::SET, "spop", key, db);
        let refs: Vec<&[u8]> = popped.iter().map(Vec::as_slice).collect();
        self.emit_args(db, &[b"SREM", key], &refs);
        Ok(popped)
    }

    /// SRANDMEMBER without a count.
    pub fn srandmember(&mut self, db: usize, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let Some(set) = self.read_set(db, key)? else { return Ok(None) };
        Ok(with_rng(|rng| set.random(rng).map(|m| m.to_vec())))
    }

    /// SRANDMEMBER with a count: `count` distinct members (all of them if fewer), or with
    /// a negative count `-count` members that may repeat.
    pub fn srandmember_count(&mut self, db: usize, key: &[u8], count: i64) -> Result<Vec<Vec<u8>>> {
        let Some(set) = self.read_set(db, key)? else { return Ok(Vec::new()) };
        if count == 0 {
            return Ok(Vec::new());
        }
        if count < 0 && count.unsigned_abs() > super::RANDOM_REPEATS_MAX {
            return Err(Error::ValueOutOfRange);
        }
        let n = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
        Ok(with_rng(|rng| {
            if count < 0 {
                (0..n).filter_map(|_| set.random(rng).map(|m| m.to_vec())).collect()
            } else {
                set.sample(n, rng)
            }
        }))
    }

    /// SMOVE: whether `member` moved (or, with `src` = `dst`, is there).
    pub fn smove(&mut self, db: usize, src: &[u8], dst: &[u8], member: &[u8]) -> Result<bool> {
        let max = self.max_intset();
        let d = &mut self.dbs[db];
        // Both types are checked before anything moves.
        if d.set_value(src)?.is_none() {
            return Ok(false);
        }
        d.set_value(dst)?;
        if src == dst {
            return Ok(d.set_value(src)?.is_some_and(|s| s.contains(member)));
        }
        let Some(set) = d.set_mut(src)? else { return Ok(false) };
        if !set.remove(member) {
            return Ok(false);
        }
        let emptied = set.is_empty();
        self.notify(class::SET, "srem", src, db);
        if emptied {
            self.dbs[db].remove(src);
            self.notify(class::GENERIC, "del", src, db);
        }
        let added = self.dbs[db].set_or_create(dst, member)?.add(member, max);
        if added {
            self.notify(class::SET, "sadd", dst, db);
        }
        self.emit(db, || vec![b"SMOVE".to_vec(), src.to_vec(), dst.to_vec(), member.to_vec()]);
        Ok(true)
    }

    /// The sets at `keys` (`None` for missing ones), every type checked first, as Redis
    /// 7.0 does: a WRONGTYPE key fails the command even after a missing one.
    fn gather(&mut self, db: usize, keys: &[&[u8]]) -> Result<Vec<Option<&Set>>> {
        for k in keys {
            // Each missing source is a `keymiss`, in order, up to a WRONGTYPE (Redis
            // looks the keys up one by one).
            if self.dbs[db].set_value(k)?.is_none() {
                self.key_miss(k, db);
            }
        }
        let d = &self.dbs[db];
        Ok(keys
            .iter()
            .map(|k| match d.map.get(*k).map(|slot| &slot.value) {
                Some(Value::Set(s)) => Some(s),
                _ => None,
            })
            .collect())
    }

    /// SINTER, SUNION, SDIFF: the members of the result.
    pub fn set_op(&mut self, db: usize, op: SetOp, keys: &[&[u8]]) -> Result<Vec<Vec<u8>>> {
        let max = self.max_intset();
        let sets = self.gather(db, keys)?;
        Ok(compute(op, &sets, max, 0).iter().map(|m| m.into_owned()).collect())
    }

    /// SINTERCARD: the intersection's size, counting stops at `limit` (0: no limit).
    pub fn sintercard(&mut self, db: usize, keys: &[&[u8]], limit: usize) -> Result<usize> {
        let sets = self.gather(db, keys)?;
        let Some(mut present) = sets.into_iter().collect::<Option<Vec<&Set>>>() else { return Ok(0) };
        present.sort_by_key(|s| s.len());
        let Some((first, rest)) = present.split_first() else { return Ok(0) };
        let mut n = 0;
        for m in first.members() {
            if rest.iter().all(|s| s.contains_member(m)) {
                n += 1;
                if limit > 0 && n >= limit {
                    break;
                }
            }
        }
        Ok(n)
    }

    /// SINTERSTORE, SUNIONSTORE, SDIFFSTORE: stores the result at `dst` (whatever it held
    /// before), or deletes `dst` when the result is empty; the result's size. Logged as
    /// the command itself, as Redis propagates it.
    pub fn set_op_store(&mut self, db: usize, op: SetOp, dst: &[u8], keys: &[&[u8]]) -> Result<usize> {
        let max = self.max_intset();
        let sets = self.gather(db, keys)?;
        let missing_source = op == SetOp::Inter && sets.iter().any(Option::is_none);
        let result = compute(op, &sets, max, 0);
        let d = &mut self.dbs[db];
        let deleted = d.remove(dst).is_some();
        let n = result.len();
        if n > 0 {
            d.set(dst, Value::Set(result), false);
            self.notify(class::SET, op.store_word(), dst, db);
        } else if deleted {
            self.notify(class::GENERIC, "del", dst, db);
        }
        // SINTERSTORE with a missing source changes nothing (and logs nothing) when there
        // was no destination to delete.
        if !missing_source || deleted {
            let word = op.store_word().to_ascii_uppercase();
            self.emit_args(db, &[word.as_bytes(), dst], keys);
        }
        Ok(n)
    }

    /// SSCAN: the next cursor and a batch of members. An intset comes whole with cursor 0;
    /// a hashtable in the order of its scan hash, the cursor being the hash to resume
    /// from, which keeps SCAN's guarantee (a member there from start to end is returned).
    /// `count` bounds the members visited (raised to a 64th of the set, see below);
    /// `pattern` filters them after.
    pub fn sscan(
        &mut self,
        db: usize,
        key: &[u8],
        cursor: u64,
        pattern: Option<&[u8]>,
        count: usize,
    ) -> Result<(u64, Vec<Vec<u8>>)> {
        let Some(set) = self.read_set(db, key)? else { return Ok((0, Vec::new())) };
        let keep = |m: &[u8]| pattern.is_none_or(|p| glob_match(p, m, false));
        if set.scans_whole() {
            return Ok((0, set.iter().filter(|m| keep(m)).map(|m| m.into_owned()).collect()));
        }
        // Finding the next batch costs a pass over the set (hashbrown gives no access to
        // its buckets, which Redis's cursor walks); at least 1/64 of the set per call
        // keeps a whole iteration within 64 passes. COUNT is a hint in Redis too: a call
        // may return more.
        let count = count.max(set.len() / 64).max(1);
        let mut found: Vec<(u64, Member<'_>)> =
            set.members().map(|m| (set.scan_hash(m), m)).filter(|(h, _)| *h >= cursor).collect();
        let next = if found.len() > count {
            found.select_nth_unstable_by_key(count, |(h, _)| *h);
            let boundary = found[count].0;
            found.retain(|(h, _)| *h < boundary);
            boundary
        } else {
            0
        };
        let out = found.into_iter().map(|(_, m)| m.to_vec()).filter(|m| keep(m)).collect();
        Ok((next, out))
    }
}
