//! ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD on the keyspace, as redis
//! `zunionInterDiffGenericCommand` (`src/t_zset.c`, 7.0): sources may be sorted sets or
//! plain sets (each member scoring 1.0), a missing key reads as empty, any other type is
//! WRONGTYPE; a weighted score that is NaN (`inf * 0`) counts as 0, and so does a SUM that
//! turns NaN (`inf + -inf`).

use super::error::{Error, Result};
use super::keyspace::Keyspace;
use super::notify::class;
use super::set::Set;
use super::value::Value;
use super::zset::ZSet;
use super::zsets::Scored;

/// Which combination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZOp {
    /// ZUNION: every member of any source.
    Union,
    /// ZINTER: the members of every source.
    Inter,
    /// ZDIFF: the first source's members found in no other, with their scores.
    Diff,
}

impl ZOp {
    fn store_event(self) -> &'static str {
        match self {
            ZOp::Union => "zunionstore",
            ZOp::Inter => "zinterstore",
            ZOp::Diff => "zdiffstore",
        }
    }
}

/// How the scores of one member in several sources combine (Redis `REDIS_AGGR_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Aggregate {
    /// Sum (the default).
    #[default]
    Sum,
    /// The least.
    Min,
    /// The greatest.
    Max,
}

/// Redis `zunionInterAggregate`.
fn aggregate(target: f64, val: f64, how: Aggregate) -> f64 {
    match how {
        Aggregate::Sum => {
            let s = target + val;
            // `inf + -inf`: Redis stores 0 rather than a NaN score.
            if s.is_nan() {
                0.0
            } else {
                s
            }
        }
        Aggregate::Min => {
            if val < target {
                val
            } else {
                target
            }
        }
        Aggregate::Max => {
            if val > target {
                val
            } else {
                target
            }
        }
    }
}

/// `weight * score`, a NaN taken as 0 (as Redis).
fn weighted(weight: f64, score: f64) -> f64 {
    let v = weight * score;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

/// One input: a sorted set, a plain set, or nothing (missing key).
#[derive(Clone, Copy)]
enum Src<'a> {
    Z(&'a ZSet),
    S(&'a Set),
    Missing,
}

impl Src<'_> {
    fn len(self) -> usize {
        match self {
            Src::Z(z) => z.len(),
            Src::S(s) => s.len(),
            Src::Missing => 0,
        }
    }

    fn score(self, member: &[u8]) -> Option<f64> {
        match self {
            Src::Z(z) => z.score(member),
            Src::S(s) => s.contains(member).then_some(1.0),
            Src::Missing => None,
        }
    }

    fn items(self) -> Vec<Scored> {
        match self {
            Src::Z(z) => z.iter().map(|(m, s)| (m.to_vec(), s)).collect(),
            Src::S(s) => s.iter().map(|m| (m.into_owned(), 1.0)).collect(),
            Src::Missing => Vec::new(),
        }
    }
}

/// The result as member → score pairs (in no particular order), or, for `count_only`,
/// only its size (stopping at `limit`, 0 meaning none).
fn compute(op: ZOp, srcs: &[(Src<'_>, f64)], how: Aggregate, count_only: bool, limit: usize) -> (Vec<Scored>, usize) {
    let mut srcs = srcs.to_vec();
    if op != ZOp::Diff {
        // Smallest first, as Redis (whose sort is stable here in glibc's qsort, a merge
        // sort): the order in which SUM adds is the order of Redis's float rounding.
        srcs.sort_by_key(|(s, _)| s.len());
    }
    let mut out: Vec<Scored> = Vec::new();
    let Some(&(first, w0)) = srcs.first() else { return (out, 0) };
    match op {
        ZOp::Inter => {
            if first.len() == 0 {
                return (out, 0);
            }
            let mut n = 0;
            'members: for (m, s) in first.items() {
                let mut score = weighted(w0, s);
                for &(src, w) in &srcs[1..] {
                    match src.score(&m) {
                        Some(v) => score = aggregate(score, weighted(w, v), how),
                        None => continue 'members,
                    }
                }
                n += 1;
                if count_only {
                    if limit > 0 && n >= limit {
                        break;
                    }
                } else {
                    out.push((m, score));
                }
            }
            (out, n)
        }
        ZOp::Union => {
            let mut at: std::collections::HashMap<Vec<u8>, usize> = std::collections::HashMap::new();
            for &(src, w) in &srcs {
                for (m, s) in src.items() {
                    let v = weighted(w, s);
                    match at.get(&m) {
                        Some(&i) => out[i].1 = aggregate(out[i].1, v, how),
                        None => {
                            at.insert(m.clone(), out.len());
                            out.push((m, v));
                        }
                    }
                }
            }
            let n = out.len();
            (out, n)
        }
        ZOp::Diff => {
            for (m, s) in first.items() {
                if srcs[1..].iter().all(|(src, _)| src.score(&m).is_none()) {
                    out.push((m, s));
                }
            }
            let n = out.len();
            (out, n)
        }
    }
}

impl Keyspace {
    /// Reads the sources at `keys` as Redis does before it looks at the options (one by
    /// one with `lookupKeyRead`: a `keymiss` per missing key, in order, until a WRONGTYPE).
    /// The command layer calls it first; the operations below then see the same keys.
    ///
    /// # Errors
    /// `WrongType`.
    pub fn zset_sources_check(&mut self, db: usize, keys: &[&[u8]]) -> Result<()> {
        for k in keys {
            match self.dbs[db].get(k) {
                None => self.key_miss(k, db),
                Some(Value::Zset(_) | Value::Set(_)) => {}
                Some(_) => return Err(Error::WrongType),
            }
        }
        Ok(())
    }

    /// The sources at `keys` with their weights (1 where none is given).
    fn zsources(&mut self, db: usize, keys: &[&[u8]], weights: &[f64]) -> Result<Vec<(Src<'_>, f64)>> {
        for k in keys {
            if let Some(v) = self.dbs[db].get(k) {
                if !matches!(v, Value::Zset(_) | Value::Set(_)) {
                    return Err(Error::WrongType);
                }
            }
        }
        let d = &self.dbs[db];
        Ok(keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let src = match d.map.get(*k).map(|slot| &slot.value) {
                    Some(Value::Zset(z)) => Src::Z(z),
                    Some(Value::Set(s)) => Src::S(s),
                    _ => Src::Missing,
                };
                (src, weights.get(i).copied().unwrap_or(1.0))
            })
            .collect())
    }

    /// ZUNION / ZINTER / ZDIFF: the result in order (score, then member).
    ///
    /// # Errors
    /// `WrongType`.
    pub fn zset_op(&mut self, db: usize, op: ZOp, keys: &[&[u8]], weights: &[f64], how: Aggregate) -> Result<Vec<Scored>> {
        let srcs = self.zsources(db, keys, weights)?;
        let (mut items, _) = compute(op, &srcs, how, false, 0);
        items.sort_by(|a, b| super::zset::order(a.1, &a.0, b.1, &b.0));
        Ok(items)
    }

    /// ZINTERCARD: the intersection's size, counting stopped at `limit` (0: no limit).
    ///
    /// # Errors
    /// `WrongType`.
    pub fn zintercard(&mut self, db: usize, keys: &[&[u8]], limit: usize) -> Result<usize> {
        let srcs = self.zsources(db, keys, &[])?;
        Ok(compute(ZOp::Inter, &srcs, Aggregate::Sum, true, limit).1)
    }

    /// ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE: the result stored at `dst` (whatever it
    /// held), or `dst` deleted when empty; the result's size. `argv` is the whole request,
    /// propagated as is when something changed (Redis's `server.dirty`).
    ///
    /// # Errors
    /// `WrongType`.
    #[allow(clippy::too_many_arguments)]
    pub fn zset_op_store(&mut self, db: usize, op: ZOp, dst: &[u8], keys: &[&[u8]], weights: &[f64], how: Aggregate, argv: &[&[u8]]) -> Result<usize> {
        let cfg = self.config.zset;
        let srcs = self.zsources(db, keys, weights)?;
        let (items, _) = compute(op, &srcs, how, false, 0);
        // Built member by member from a listpack: the encoding ends as Redis's
        // `zsetConvertToListpackIfNeeded` leaves it (listpack iff few and short enough).
        let mut z = ZSet::new();
        for (m, s) in &items {
            z.insert(m, *s, cfg);
        }
        let n = z.len();
        let d = &mut self.dbs[db];
        if n > 0 {
            d.remove(dst);
            d.set(dst, Value::Zset(z), false);
            self.notify(class::ZSET, op.store_event(), dst, db);
        } else if d.remove(dst).is_some() {
            self.notify(class::GENERIC, "del", dst, db);
        } else {
            return Ok(0);
        }
        self.emit_args(db, argv, &[]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_rules_as_redis() {
        assert_eq!(weighted(f64::INFINITY, 0.0), 0.0);
        assert_eq!(aggregate(f64::INFINITY, f64::NEG_INFINITY, Aggregate::Sum), 0.0);
        assert_eq!(aggregate(1.0, 2.0, Aggregate::Min), 1.0);
        assert_eq!(aggregate(1.0, 2.0, Aggregate::Max), 2.0);
    }

    #[test]
    fn inter_union_diff_of_zset_and_set() {
        let cfg = crate::engine::zset::ZsetConfig::default();
        let mut z = ZSet::new();
        z.insert(b"x", 2.0, cfg);
        z.insert(b"y", 3.0, cfg);
        let mut s = Set::new();
        s.add(b"x", 512);
        s.add(b"z", 512);
        let srcs = [(Src::Z(&z), 1.0), (Src::S(&s), 10.0)];
        let (mut u, n) = compute(ZOp::Union, &srcs, Aggregate::Sum, false, 0);
        u.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(n, 3);
        assert_eq!(u, vec![(b"x".to_vec(), 12.0), (b"y".to_vec(), 3.0), (b"z".to_vec(), 10.0)]);
        let (i, _) = compute(ZOp::Inter, &srcs, Aggregate::Max, false, 0);
        assert_eq!(i, vec![(b"x".to_vec(), 10.0)]);
        let (d, _) = compute(ZOp::Diff, &srcs, Aggregate::Sum, false, 0);
        assert_eq!(d, vec![(b"y".to_vec(), 3.0)]);
        assert_eq!(compute(ZOp::Inter, &srcs, Aggregate::Sum, true, 1).1, 1);
        assert_eq!(compute(ZOp::Inter, &[(Src::Z(&z), 1.0), (Src::Missing, 1.0)], Aggregate::Sum, true, 0).1, 0);
    }
}
