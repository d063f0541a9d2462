//! Sorted-set commands on the keyspace (ZADD … ZPOPMAX): the rules that involve keys (an
//! emptied set is deleted, WRONGTYPE, a missing key reads as empty), the AOF effects and
//! the keyspace events, as redis `src/t_zset.c` (7.0). The type itself is `zset.rs`.

use super::error::{Error, Result};
use super::hashes::{random_below, scan_hash};
use super::keyspace::Keyspace;
use super::notify::class;
use super::zset::ZSet;

/// A member and its score.
pub type Scored = (Vec<u8>, f64);

/// ZADD's flags (Redis `ZADD_IN_*`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ZaddFlags {
    /// Only add new members.
    pub nx: bool,
    /// Only update existing members.
    pub xx: bool,
    /// Only update when the new score is greater.
    pub gt: bool,
    /// Only update when the new score is less.
    pub lt: bool,
    /// The score is an increment (one pair only).
    pub incr: bool,
}

/// What ZADD did (Redis's `added`, `updated`, and for INCR the new score).
#[derive(Debug, Clone, Copy, Default)]
pub struct ZaddOutcome {
    /// Members added.
    pub added: usize,
    /// Members whose score changed.
    pub updated: usize,
    /// With INCR: the member's score after, `None` when a flag stopped it.
    pub score: Option<f64>,
}

/// A score bound of a range (Redis `zrangespec`).
#[derive(Debug, Clone, Copy)]
pub struct ScoreRange {
    /// Lower bound.
    pub min: f64,
    /// Whether `min` itself is out.
    pub minex: bool,
    /// Upper bound.
    pub max: f64,
    /// Whether `max` itself is out.
    pub maxex: bool,
}

impl ScoreRange {
    fn below_min(&self, s: f64) -> bool {
        if self.minex {
            s <= self.min
        } else {
            s < self.min
        }
    }
    fn lte_max(&self, s: f64) -> bool {
        if self.maxex {
            s < self.max
        } else {
            s <= self.max
        }
    }
}

/// One end of a lex range (Redis `zlexrangespec`): `-`, `+`, `[x` or `(x`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: below everything.
    Min,
    /// `+`: above everything.
    Max,
    /// `[x` (true) or `(x` (false).
    Value(Vec<u8>, bool),
}

impl LexBound {
    /// Parses `-`, `+`, `[x`, `(x`.
    ///
    /// # Errors
    /// `MinMaxNotLex`.
    pub fn parse(s: &[u8]) -> Result<LexBound> {
        match s.first() {
            Some(b'-') if s.len() == 1 => Ok(LexBound::Min),
            Some(b'+') if s.len() == 1 => Ok(LexBound::Max),
            Some(b'[') => Ok(LexBound::Value(s[1..].to_vec(), true)),
            Some(b'(') => Ok(LexBound::Value(s[1..].to_vec(), false)),
            _ => Err(Error::MinMaxNotLex),
        }
    }

    /// Whether `m` is before this bound taken as a minimum.
    fn below_min(&self, m: &[u8]) -> bool {
        match self {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Value(v, incl) => {
                if *incl {
                    m < &v[..]
                } else {
                    m <= &v[..]
                }
            }
        }
    }

    /// Whether `m` is within this bound taken as a maximum.
    fn lte_max(&self, m: &[u8]) -> bool {
        match self {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Value(v, incl) => {
                if *incl {
                    m <= &v[..]
                } else {
                    m < &v[..]
                }
            }
        }
    }
}

/// Which members ZRANGE picks.
#[derive(Debug, Clone)]
pub enum RangeBy {
    /// By index: start and stop, negative from the end.
    Rank(i64, i64),
    /// By score, with LIMIT offset and count (count < 0: all).
    Score(ScoreRange, i64, i64),
    /// By member bytes, with LIMIT.
    Lex(LexBound, LexBound, i64, i64),
}

fn owned((m, s): (&[u8], f64)) -> Scored {
    (m.to_vec(), s)
}

/// Members of `z` in `by`, ascending or (`rev`) descending.
fn range_of(z: &ZSet, by: &RangeBy, rev: bool) -> Vec<Scored> {
    let len = z.len();
    match by {
        RangeBy::Rank(start, stop) => {
            let n = i64::try_from(len).unwrap_or(i64::MAX);
            let mut start = if *start < 0 { start + n } else { *start };
            let mut end = if *stop < 0 { stop + n } else { *stop };
            if start < 0 {
                start = 0;
            }
            if start > end || start >= n {
                return Vec::new();
            }
            if end >= n {
                end = n - 1;
            }
            let (start, end) = (usize::try_from(start).unwrap_or(0), usize::try_from(end).unwrap_or(0));
            let count = end - start + 1;
            if rev {
                z.iter_from(len - 1 - start, true).take(count).map(owned).collect()
            } else {
                z.iter_from(start, false).take(count).map(owned).collect()
            }
        }
        RangeBy::Score(r, offset, limit) => {
            let it: Box<dyn Iterator<Item = (&[u8], f64)>> = if rev {
                // From the last member within max, downwards while within min.
                let upto = z.count_before(&|s, _| r.lte_max(s));
                if upto == 0 {
                    return Vec::new();
                }
                Box::new(z.iter_from(upto - 1, true).take_while(|(_, s)| !r.below_min(*s)))
            } else {
                let from = z.count_before(&|s, _| r.below_min(s));
                Box::new(z.iter_from(from, false).take_while(|(_, s)| r.lte_max(*s)))
            };
            limited(it, *offset, *limit)
        }
        RangeBy::Lex(min, max, offset, limit) => {
            let it: Box<dyn Iterator<Item = (&[u8], f64)>> = if rev {
                let upto = z.count_before(&|_, m| max.lte_max(m));
                if upto == 0 {
                    return Vec::new();
                }
                Box::new(z.iter_from(upto - 1, true).take_while(|(m, _)| !min.below_min(m)))
            } else {
                let from = z.count_before(&|_, m| min.below_min(m));
                Box::new(z.iter_from(from, false).take_while(|(m, _)| max.lte_max(m)))
            };
            limited(it, *offset, *limit)
        }
    }
}

/// Redis's LIMIT: a negative offset gives nothing, a negative count everything.
fn limited<'a>(it: Box<dyn Iterator<Item = (&'a [u8], f64)> + 'a>, offset: i64, limit: i64) -> Vec<Scored> {
    if offset < 0 || limit == 0 {
        return Vec::new();
    }
    let it = it.skip(usize::try_from(offset).unwrap_or(usize::MAX));
    if limit < 0 {
        it.map(owned).collect()
    } else {
        it.take(usize::try_from(limit).unwrap_or(usize::MAX)).map(owned).collect()
    }
}

impl Keyspace {
    /// The sorted set at `key` for a read command (Redis `lookupKeyRead`): `None`, after a
    /// `keymiss` event, when missing.
    fn read_zset(&mut self, db: usize, key: &[u8]) -> Result<Option<&ZSet>> {
        if self.wants_key_miss() && self.dbs[db].zset(key)?.is_none() {
            self.key_miss(key, db);
            return Ok(None);
        }
        self.dbs[db].zset(key)
    }

    /// ZADD (and ZINCRBY as ZADD INCR): `pairs` are `(score, member)`; `argv` is the
    /// request after the key, propagated as is when something changed (as Redis does: the
    /// flags and scores replay to the same result).
    ///
    /// # Errors
    /// `WrongType`; `ScoreNan` when an increment makes NaN.
    pub fn zadd(&mut self, db: usize, key: &[u8], flags: ZaddFlags, pairs: &[(f64, &[u8])], cmd: &[u8], argv: &[&[u8]]) -> Result<ZaddOutcome> {
        let cfg = self.config.zset;
        let mut out = ZaddOutcome::default();
        let d = &mut self.dbs[db];
        // Read first: a ZADD that changes nothing changes nothing (no WATCH is touched, as
        // Redis signals the key only when something was added or updated). Checking each
        // pair against the current scores is exact: a pair that changes nothing leaves the
        // scores the next pair sees as they were.
        let changes = match d.zset(key)? {
            None => !flags.xx,
            Some(z) => pairs.iter().any(|&(score, member)| match z.score(member) {
                None => !flags.xx,
                Some(cur) => {
                    let new = if flags.incr { cur + score } else { score };
                    // `cur` is never NaN, and NaN `new` is refused first.
                    !flags.nx && !new.is_nan() && (!flags.gt || new > cur) && (!flags.lt || new < cur) && new != cur
                }
            }),
        };
        if !changes {
            let z = d.zset(key)?;
            let nan = flags.incr && pairs.iter().any(|&(s, m)| z.and_then(|z| z.score(m)).is_some_and(|cur| (cur + s).is_nan()) && !flags.nx);
            if nan {
                return Err(Error::ScoreNan);
            }
            // INCR with nothing changed: the score as it stands, unless a flag stopped it.
            if flags.incr {
                if let Some(&(score, member)) = pairs.first() {
                    out.score = z.and_then(|z| z.score(member)).filter(|&cur| {
                        let new = cur + score;
                        !flags.nx && (!flags.gt || new > cur) && (!flags.lt || new < cur)
                    });
                }
            }
            return Ok(out);
        }
        let first_len = pairs.first().map_or(0, |p| p.1.len());
        let z = d.zset_or_create(key, || ZSet::for_first(first_len, cfg))?;
        let mut failed = false;
        for &(score, member) in pairs {
            let cur = z.score(member);
            match cur {
                Some(cur) => {
                    if flags.nx {
                        continue;
                    }
                    let new = if flags.incr { cur + score } else { score };
                    if new.is_nan() {
                        failed = true;
                        break;
                    }
                    if (flags.gt && new <= cur) || (flags.lt && new >= cur) {
                        continue;
                    }
                    out.score = Some(new);
                    if new != cur {
                        z.insert(member, new, cfg);
                        out.updated += 1;
                    }
                }
                None => {
                    if flags.xx {
                        continue;
                    }
                    z.insert(member, score, cfg);
                    out.added += 1;
                    out.score = Some(score);
                }
            }
        }
        if d.zset(key)?.is_some_and(ZSet::is_empty) {
            d.remove(key);
        }
        if out.added + out.updated > 0 {
            self.emit_args(db, &[cmd, key], argv);
            self.notify(class::ZSET, if flags.incr { "zincr" } else { "zadd" }, key, db);
        }
        if failed {
            return Err(Error::ScoreNan);
        }
        Ok(out)
    }

    /// ZREM: how many members were removed. The key goes with its last member.
    pub fn zrem(&mut self, db: usize, key: &[u8], members: &[&[u8]]) -> Result<usize> {
        let d = &mut self.dbs[db];
        if !d.zset(key)?.is_some_and(|z| members.iter().any(|m| z.score(m).is_some())) {
            return Ok(0);
        }
        let Some(z) = d.zset_mut(key)? else { return Ok(0) };
        let mut deleted = 0;
        for m in members {
            if z.remove(m).is_some() {
                deleted += 1;
                if z.is_empty() {
                    break;
                }
            }
        }
        let emptied = z.is_empty();
        if emptied {
            d.remove(key);
        }
        self.emit_args(db, &[b"ZREM", key], members);
        self.notify(class::ZSET, "zrem", key, db);
        if emptied {
            self.notify(class::GENERIC, "del", key, db);
        }
        Ok(deleted)
    }

    /// ZCARD.
    pub fn zcard(&mut self, db: usize, key: &[u8]) -> Result<usize> {
        Ok(self.read_zset(db, key)?.map_or(0, ZSet::len))
    }

    /// ZSCORE.
    pub fn zscore(&mut self, db: usize, key: &[u8], member: &[u8]) -> Result<Option<f64>> {
        Ok(self.read_zset(db, key)?.and_then(|z| z.score(member)))
    }

    /// ZMSCORE: a score or `None` per member.
    pub fn zmscore(&mut self, db: usize, key: &[u8], members: &[&[u8]]) -> Result<Vec<Option<f64>>> {
        let z = self.read_zset(db, key)?;
        Ok(members.iter().map(|m| z.and_then(|z| z.score(m))).collect())
    }

    /// ZRANK / ZREVRANK.
    pub fn zrank(&mut self, db: usize, key: &[u8], member: &[u8], rev: bool) -> Result<Option<usize>> {
        Ok(self.read_zset(db, key)?.and_then(|z| z.rank(member).map(|r| if rev { z.len() - 1 - r } else { r })))
    }

    /// ZCOUNT.
    pub fn zcount(&mut self, db: usize, key: &[u8], r: ScoreRange) -> Result<usize> {
        Ok(self.read_zset(db, key)?.map_or(0, |z| {
            let from = z.count_before(&|s, _| r.below_min(s));
            let upto = z.count_before(&|s, _| r.lte_max(s));
            upto.saturating_sub(from)
        }))
    }

    /// ZRANGE and its older forms: the members picked, in reply order.
    pub fn zrange(&mut self, db: usize, key: &[u8], by: &RangeBy, rev: bool) -> Result<Vec<Scored>> {
        Ok(self.read_zset(db, key)?.map_or_else(Vec::new, |z| range_of(z, by, rev)))
    }

    /// ZLEXCOUNT.
    pub fn zlexcount(&mut self, db: usize, key: &[u8], min: &LexBound, max: &LexBound) -> Result<usize> {
        Ok(self.read_zset(db, key)?.map_or(0, |z| {
            let from = z.count_before(&|_, m| min.below_min(m));
            let upto = z.count_before(&|_, m| max.lte_max(m));
            upto.saturating_sub(from)
        }))
    }

    /// ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX (`by` without LIMIT): how many
    /// members were removed. Logged as the request (`cmd key argv`), as Redis propagates
    /// it, only when something was removed; the event is the command's lower-case name.
    pub fn zremrange(&mut self, db: usize, key: &[u8], by: &RangeBy, cmd: &str, argv: &[&[u8]]) -> Result<usize> {
        let d = &mut self.dbs[db];
        let picked = match d.zset(key)? {
            None => return Ok(0),
            Some(z) => range_of(z, by, false),
        };
        if picked.is_empty() {
            return Ok(0);
        }
        let Some(z) = d.zset_mut(key)? else { return Ok(0) };
        for (m, _) in &picked {
            z.remove(m);
        }
        let emptied = z.is_empty();
        if emptied {
            d.remove(key);
        }
        self.emit_args(db, &[cmd.as_bytes(), key], argv);
        self.notify(class::ZSET, &cmd.to_ascii_lowercase(), key, db);
        if emptied {
            self.notify(class::GENERIC, "del", key, db);
        }
        Ok(picked.len())
    }

    /// ZRANGESTORE: the members of `src` picked by `by` stored at `dst` (whatever it held),
    /// or `dst` deleted when none is picked; how many were stored. Logged as the request
    /// (`ZRANGESTORE argv`) when it changed something, as Redis propagates it.
    pub fn zrangestore(&mut self, db: usize, dst: &[u8], src: &[u8], by: &RangeBy, rev: bool, argv: &[&[u8]]) -> Result<usize> {
        let cfg = self.config.zset;
        let items = self.read_zset(db, src)?.map_or_else(Vec::new, |z| range_of(z, by, rev));
        let d = &mut self.dbs[db];
        let n = items.len();
        if n > 0 {
            let mut z = ZSet::for_first(if n > cfg.max_entries { usize::MAX } else { 0 }, cfg);
            for (m, s) in &items {
                z.insert(m, *s, cfg);
            }
            d.remove(dst);
            d.set(dst, super::value::Value::Zset(z), false);
            self.emit_args(db, &[b"ZRANGESTORE"], argv);
            self.notify(class::ZSET, "zrangestore", dst, db);
        } else if d.remove(dst).is_some() {
            self.emit_args(db, &[b"ZRANGESTORE"], argv);
            self.notify(class::GENERIC, "del", dst, db);
        }
        Ok(n)
    }

    /// ZRANDMEMBER without a count: one random member, `None` for a missing key.
    pub fn zrandmember(&mut self, db: usize, key: &[u8]) -> Result<Option<Scored>> {
        let Some(z) = self.read_zset(db, key)? else { return Ok(None) };
        Ok(z.iter_from(random_below(z.len()), false).next().map(owned))
    }

    /// ZRANDMEMBER with a count (Redis `zrandmemberWithCountCommand`): a negative count
    /// picks `-count` members that may repeat (refused above `RANDOM_REPEATS_MAX`, as
    /// SRANDMEMBER); a positive one up to `count` distinct members (the whole set, highest
    /// first, when it has no more), answered in the set's order.
    pub fn zrandmember_count(&mut self, db: usize, key: &[u8], count: i64) -> Result<Vec<Scored>> {
        let Some(z) = self.read_zset(db, key)? else { return Ok(Vec::new()) };
        let size = z.len();
        if count == 0 || size == 0 {
            return Ok(Vec::new());
        }
        if count < 0 {
            if count.unsigned_abs() > super::RANDOM_REPEATS_MAX {
                return Err(Error::ValueOutOfRange);
            }
            let n = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
            return Ok((0..n).filter_map(|_| z.iter_from(random_below(size), false).next().map(owned)).collect());
        }
        let n = usize::try_from(count).unwrap_or(usize::MAX);
        if n >= size {
            // Redis walks it with its set-operation iterator, which starts at the tail.
            return Ok(z.iter_from(size - 1, true).map(owned).collect());
        }
        // Distinct ranks by a partial Fisher-Yates shuffle, then read in order.
        let mut idx: Vec<usize> = (0..size).collect();
        for i in 0..n {
            let j = i + random_below(size - i);
            idx.swap(i, j);
        }
        let mut chosen = idx[..n].to_vec();
        chosen.sort_unstable();
        Ok(chosen.into_iter().filter_map(|r| z.iter_from(r, false).next().map(owned)).collect())
    }

    /// ZMPOP: pops up to `count` members from the first of `keys` holding a sorted set
    /// (WRONGTYPE for a key of another type met before it); `None` when all are empty.
    /// Logged as the ZPOPMIN / ZPOPMAX it amounts to, as Redis propagates it.
    pub fn zmpop(&mut self, db: usize, keys: &[&[u8]], count: usize, max: bool) -> Result<Option<(Vec<u8>, Vec<Scored>)>> {
        for key in keys {
            if self.dbs[db].zset(key)?.is_some() {
                return Ok(Some((key.to_vec(), self.zpop(db, key, count, max)?)));
            }
        }
        Ok(None)
    }

    /// ZSCAN: the next cursor and a batch of members with scores. A listpack set comes
    /// whole with cursor 0, as Redis answers it; a skiplist in the order of a per-process
    /// hash of the members, the cursor being the hash to resume from (so a member there
    /// from start to end is returned, SCAN's guarantee). `count` bounds the members
    /// visited (raised to a 64th of the set: each call is a pass); `pattern` filters after.
    pub fn zscan(&mut self, db: usize, key: &[u8], cursor: u64, pattern: Option<&[u8]>, count: usize) -> Result<(u64, Vec<Scored>)> {
        let Some(z) = self.read_zset(db, key)? else { return Ok((0, Vec::new())) };
        let keep = |m: &[u8]| pattern.is_none_or(|p| super::glob::glob_match(p, m, false));
        if z.encoding_name() == "listpack" {
            return Ok((0, z.iter().filter(|(m, _)| keep(m)).map(owned).collect()));
        }
        let count = count.max(z.len() / 64).max(1);
        let mut found: Vec<(u64, (&[u8], f64))> = z.iter().map(|p| (scan_hash(p.0), p)).filter(|(h, _)| *h >= cursor).collect();
        let next = if found.len() > count {
            found.select_nth_unstable_by_key(count, |(h, _)| *h);
            let boundary = found[count].0;
            found.retain(|(h, _)| *h < boundary);
            boundary
        } else {
            0
        };
        Ok((next, found.into_iter().map(|(_, p)| p).filter(|(m, _)| keep(m)).map(owned).collect()))
    }

    /// ZPOPMIN / ZPOPMAX: up to `count` members from the low (or, `max`, high) end.
    pub fn zpop(&mut self, db: usize, key: &[u8], count: usize, max: bool) -> Result<Vec<Scored>> {
        let d = &mut self.dbs[db];
        if d.zset(key)?.is_none() || count == 0 {
            return Ok(Vec::new());
        }
        let Some(z) = d.zset_mut(key)? else { return Ok(Vec::new()) };
        let picked: Vec<Scored> = if max {
            z.iter_from(z.len() - 1, true).take(count).map(owned).collect()
        } else {
            z.iter().take(count).map(owned).collect()
        };
        for (m, _) in &picked {
            z.remove(m);
        }
        let emptied = z.is_empty();
        if emptied {
            d.remove(key);
        }
        let n = picked.len().to_string().into_bytes();
        self.emit_args(db, &[if max { b"ZPOPMAX" } else { b"ZPOPMIN" }, key, &n], &[]);
        self.notify(class::ZSET, if max { "zpopmax" } else { "zpopmin" }, key, db);
        if emptied {
            self.notify(class::GENERIC, "del", key, db);
        }
        Ok(picked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lex_bounds_parse_as_redis() {
        assert_eq!(LexBound::parse(b"-").ok(), Some(LexBound::Min));
        assert_eq!(LexBound::parse(b"+").ok(), Some(LexBound::Max));
        assert_eq!(LexBound::parse(b"[a").ok(), Some(LexBound::Value(b"a".to_vec(), true)));
        assert_eq!(LexBound::parse(b"(").ok(), Some(LexBound::Value(Vec::new(), false)));
        assert!(LexBound::parse(b"a").is_err());
        assert!(LexBound::parse(b"--").is_err());
        assert!(LexBound::parse(b"").is_err());
    }
}
