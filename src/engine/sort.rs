//! SORT and SORT_RO (Redis `src/sort.c`): the elements of a list (sets and sorted sets
//! join as one arm each of `gather`), ordered numerically or as bytes, by themselves or
//! by weights looked up with a `BY` pattern, cut by `LIMIT`, projected through `GET`
//! patterns, and returned or stored as a list. Knows nothing of RESP or Python.

use std::cmp::Ordering;

use super::error::{Error, Result};
use super::notify::class;
use super::value::Value;
use super::Keyspace;

/// What SORT was asked to do (the command layer parsed it).
#[derive(Debug, Default, Clone)]
pub struct SortSpec<'a> {
    /// `BY pattern`; a pattern without `*` means "do not sort" (`nosort` is the idiom).
    pub by: Option<&'a [u8]>,
    /// `LIMIT offset count`, as given (Redis clamps them).
    pub limit: Option<(i64, i64)>,
    /// `GET pattern` for each GET, in order (`#` is the element itself).
    pub get: Vec<&'a [u8]>,
    /// `DESC`.
    pub desc: bool,
    /// `ALPHA`: compare as byte strings rather than as doubles.
    pub alpha: bool,
    /// `STORE destination`.
    pub store: Option<&'a [u8]>,
}

/// SORT's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sorted {
    /// The elements (or GET values, `None` where a lookup found nothing), in order.
    Items(Vec<Option<Vec<u8>>>),
    /// With STORE: the length of the list stored.
    Stored(usize),
}

/// One element being sorted, with its weight (Redis `redisSortObject`).
struct Item {
    elem: Vec<u8>,
    score: f64,
    cmp: Option<Vec<u8>>,
}

/// The elements of the value to sort, and whether their native order means something
/// (lists and sorted sets: BY without `*` keeps it; sets: it does not). A missing key is
/// an empty list, as in Redis.
fn gather(ks: &mut Keyspace, db: usize, key: &[u8]) -> Result<(Vec<Vec<u8>>, bool)> {
    match ks.dbs[db].get(key) {
        None => {
            ks.key_miss(key, db);
            Ok((Vec::new(), true))
        }
        Some(Value::List(l)) => Ok((l.iter().map(<[u8]>::to_vec).collect(), true)),
        Some(Value::Set(s)) => Ok((s.iter().map(|m| m.into_owned()).collect(), false)),
        // Redis sorts a zset's members; BY nosort keeps its score order.
        Some(Value::Zset(z)) => Ok((z.iter().map(|(m, _)| m.to_vec()).collect(), true)),
        Some(Value::Str(_) | Value::Stream(_) | Value::Hash(_)) => Err(Error::WrongType),
    }
}

/// The value of `field` in the hash at `key`, for `*->field` patterns. Only hashes have
/// fields: every other type, and a missing key, gives `None`.
fn lookup_field(ks: &mut Keyspace, db: usize, key: &[u8], field: &[u8]) -> Option<Vec<u8>> {
    if ks.dbs[db].get(key).is_none() {
        // Redis's `lookupKeyByPattern` reads with `lookupKeyRead`: a miss is announced.
        ks.key_miss(key, db);
        return None;
    }
    match ks.dbs[db].get(key)? {
        Value::Hash(h) => h.get(field).map(<[u8]>::to_vec),
        Value::Str(_) | Value::List(_) | Value::Stream(_) | Value::Set(_) | Value::Zset(_) => None,
    }
}

/// The string at `key`; any other type counts as missing (Redis `lookupKeyByPattern`).
fn lookup_string(ks: &mut Keyspace, db: usize, key: &[u8]) -> Option<Vec<u8>> {
    if ks.dbs[db].get(key).is_none() {
        ks.key_miss(key, db);
        return None;
    }
    match ks.dbs[db].get(key)? {
        Value::Str(s) => Some(s.clone()),
        Value::List(_) | Value::Stream(_) | Value::Set(_) | Value::Hash(_) | Value::Zset(_) => None,
    }
}

/// Redis `lookupKeyByPattern`: `#` is `elem` itself; otherwise the first `*` of the
/// pattern is replaced by `elem` to name a key, and a `->field` after the `*` reads that
/// field of a hash. No `*`: nothing.
fn lookup_by_pattern(ks: &mut Keyspace, db: usize, pattern: &[u8], elem: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(elem.to_vec());
    }
    let star = pattern.iter().position(|&c| c == b'*')?;
    let after = &pattern[star + 1..];
    let arrow = after.windows(2).position(|w| w == b"->").filter(|&i| i + 2 < after.len());
    let (postfix, field) = match arrow {
        Some(i) => (&after[..i], Some(&after[i + 2..])),
        None => (after, None),
    };
    let key = [&pattern[..star], elem, postfix].concat();
    match field {
        Some(f) => lookup_field(ks, db, &key, f),
        None => lookup_string(ks, db, &key),
    }
}

/// C `strtod` over the whole string, as SORT reads scores (`eptr[0] != '\0'`, ERANGE or
/// NaN is an error): leading white space, a sign, decimal or hexadecimal digits, `inf`,
/// `infinity`. The string ends at its first NUL byte, as a C string; an empty string is
/// 0 (strtod converts nothing, and the end pointer sits on the terminator).
fn strtod_whole(s: &[u8]) -> Option<f64> {
    let s = &s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())];
    if s.is_empty() {
        return Some(0.0);
    }
    let t = &s[s.iter().position(|c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?..];
    let (neg, body) = match t {
        [b'-', r @ ..] => (true, r),
        [b'+', r @ ..] => (false, r),
        _ => (false, t),
    };
    let lower = body.to_ascii_lowercase();
    let v = if lower == b"inf" || lower == b"infinity" {
        f64::INFINITY
    } else if lower.starts_with(b"0x") {
        parse_hex_float(&lower[2..])?
    } else {
        parse_decimal(body)?
    };
    if v.is_nan() {
        return None;
    }
    Some(if neg { -v } else { v })
}

/// Decimal digits, optional fraction, optional exponent: the whole string, with at least
/// one digit; out of range (overflow to infinity, or underflow of a non-zero number) is
/// C's ERANGE.
fn parse_decimal(b: &[u8]) -> Option<f64> {
    let mut i = 0;
    let digits = |i: &mut usize| {
        let from = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - from
    };
    let mut mantissa = digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return None;
    }
    let mant_end = i;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let mut k = j;
        if digits(&mut k) == 0 {
            return None; // "1e" leaves "e" unconverted
        }
        i = k;
    }
    if i != b.len() {
        return None;
    }
    let v: f64 = std::str::from_utf8(b).ok()?.parse().ok()?;
    let nonzero = b[..mant_end].iter().any(|&c| (b'1'..=b'9').contains(&c));
    if v.is_infinite() || (nonzero && (v == 0.0 || v.is_subnormal())) {
        return None;
    }
    Some(v)
}

/// The part of a hexadecimal float after `0x`: hex digits, optional fraction, optional
/// binary exponent `p`. "0x" alone converts only the "0" (the rest is left over).
fn parse_hex_float(b: &[u8]) -> Option<f64> {
    let mut i = 0;
    let mut v = 0f64;
    let mut any = false;
    while i < b.len() && b[i].is_ascii_hexdigit() {
        v = v * 16.0 + f64::from((b[i] as char).to_digit(16)?);
        i += 1;
        any = true;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let mut scale = 1.0 / 16.0;
        while i < b.len() && b[i].is_ascii_hexdigit() {
            v += f64::from((b[i] as char).to_digit(16)?) * scale;
            scale /= 16.0;
            i += 1;
            any = true;
        }
    }
    if !any {
        return None;
    }
    if i < b.len() && b[i] == b'p' {
        let exp: i32 = std::str::from_utf8(&b[i + 1..]).ok()?.parse().ok()?;
        v *= 2f64.powi(exp);
        i = b.len();
    }
    if i != b.len() || v.is_infinite() {
        return None;
    }
    Some(v)
}

/// Byte order as C's `strcoll` in the C locale sees it: up to the first NUL.
fn collate(a: &[u8], b: &[u8]) -> Ordering {
    let cut = |s: &[u8]| s.iter().position(|&c| c == 0).unwrap_or(s.len());
    a[..cut(a)].cmp(&b[..cut(b)])
}

impl Keyspace {
    /// SORT / SORT_RO (`sortCommandGeneric`).
    ///
    /// # Errors
    /// `WrongType` when `key` holds something not sortable; `SortNotDouble` when a
    /// numeric sort meets a weight that is not a double.
    pub fn sort(&mut self, db: usize, key: &[u8], spec: &SortSpec<'_>) -> Result<Sorted> {
        let (elems, ordered) = gather(self, db, key)?;
        let mut by = spec.by;
        let mut alpha = spec.alpha;
        let mut dontsort = by.is_some_and(|p| !p.contains(&b'*'));
        // An unordered source must be sorted when stored, so that the result (and the
        // replicated effect) does not depend on the set's layout.
        if dontsort && !ordered && spec.store.is_some() {
            dontsort = false;
            alpha = true;
            by = None;
        }
        let n = i64::try_from(elems.len()).unwrap_or(i64::MAX);
        let (limit_start, limit_count) = spec.limit.unwrap_or((0, -1));
        let mut start = limit_start.max(0).min(n);
        let count = limit_count.max(-1).min(n);
        let mut end = if count < 0 { n - 1 } else { start + count - 1 };
        if start >= n {
            start = n - 1;
            end = n - 2;
        }
        if end >= n {
            end = n - 1;
        }
        let mut items: Vec<Item>;
        if ordered && dontsort {
            // Native order, DESC reading from the tail; LIMIT picks the range directly.
            let take = usize::try_from(end - start + 1).unwrap_or(0);
            let skip = usize::try_from(start).unwrap_or(0);
            let pick = |e: Vec<u8>| Item { elem: e, score: 0.0, cmp: None };
            items = if spec.desc {
                elems.into_iter().rev().skip(skip).take(take).map(pick).collect()
            } else {
                elems.into_iter().skip(skip).take(take).map(pick).collect()
            };
            end -= start;
            start = 0;
        } else {
            items = elems.into_iter().map(|e| Item { elem: e, score: 0.0, cmp: None }).collect();
        }
        if !dontsort {
            let mut bad = false;
            for it in &mut items {
                let weight = match by {
                    Some(p) => match lookup_by_pattern(self, db, p, &it.elem) {
                        Some(w) => w,
                        None => continue,
                    },
                    None => {
                        if !alpha {
                            match strtod_whole(&it.elem) {
                                Some(s) => it.score = s,
                                None => bad = true,
                            }
                        }
                        continue;
                    }
                };
                if alpha {
                    it.cmp = Some(weight);
                } else {
                    match strtod_whole(&weight) {
                        Some(s) => it.score = s,
                        None => bad = true,
                    }
                }
            }
            if bad {
                return Err(Error::SortNotDouble);
            }
            let store = spec.store.is_some();
            let bypattern = by.is_some();
            items.sort_by(|a, b| {
                let cmp = if !alpha {
                    a.score.partial_cmp(&b.score).unwrap_or(Ordering::Equal).then_with(|| a.elem.cmp(&b.elem))
                } else if bypattern {
                    match (&a.cmp, &b.cmp) {
                        (None, None) => Ordering::Equal,
                        (None, Some(_)) => Ordering::Less,
                        (Some(_), None) => Ordering::Greater,
                        (Some(x), Some(y)) => if store { x.cmp(y) } else { collate(x, y) },
                    }
                } else if store {
                    a.elem.cmp(&b.elem)
                } else {
                    collate(&a.elem, &b.elem)
                };
                if spec.desc { cmp.reverse() } else { cmp }
            });
        }
        let range = if end >= start {
            let s = usize::try_from(start).unwrap_or(0);
            let e = usize::try_from(end).unwrap_or(0);
            &items[s..=e.min(items.len().saturating_sub(1))]
        } else {
            &items[..0]
        };
        let mut out: Vec<Option<Vec<u8>>> = Vec::with_capacity(range.len() * spec.get.len().max(1));
        for it in range {
            if spec.get.is_empty() {
                out.push(Some(it.elem.clone()));
            }
            for pattern in &spec.get {
                out.push(lookup_by_pattern(self, db, pattern, &it.elem));
            }
        }
        match spec.store {
            None => Ok(Sorted::Items(out)),
            Some(dst) => Ok(Sorted::Stored(self.sort_store(db, dst, out))),
        }
    }

    /// SORT … STORE: `dst` becomes a list of `out` (a missing GET value is an empty
    /// string); an empty result deletes `dst`. Logged as its result (DEL, then RPUSH),
    /// so the AOF does not depend on the weights' keys at replay.
    fn sort_store(&mut self, db: usize, dst: &[u8], out: Vec<Option<Vec<u8>>>) -> usize {
        let n = out.len();
        if n == 0 {
            if self.dbs[db].remove(dst).is_some() {
                self.notify(class::GENERIC, "del", dst, db);
                self.emit(db, || vec![b"DEL".to_vec(), dst.to_vec()]);
            }
            return 0;
        }
        let mut list = super::list::List::new();
        for v in &out {
            list.push(super::list::End::Right, v.as_deref().unwrap_or(b""));
        }
        self.dbs[db].set(dst, Value::List(list), false);
        self.waiters.signal_ready(db, dst);
        self.notify(class::LIST, "sortstore", dst, db);
        self.emit(db, || vec![b"DEL".to_vec(), dst.to_vec()]);
        let items: Vec<&[u8]> = out.iter().map(|v| v.as_deref().unwrap_or(b"")).collect();
        self.emit_args(db, &[b"RPUSH", dst], &items);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::strtod_whole;

    #[test]
    fn scores_are_read_as_c_strtod_reads_them() {
        assert_eq!(strtod_whole(b"1.5"), Some(1.5));
        assert_eq!(strtod_whole(b"  -2"), Some(-2.0));
        assert_eq!(strtod_whole(b""), Some(0.0), "strtod converts nothing and stops on the NUL");
        assert_eq!(strtod_whole(b"0x10"), Some(16.0));
        assert_eq!(strtod_whole(b"inf"), Some(f64::INFINITY));
        assert_eq!(strtod_whole(b"1e5"), Some(100_000.0));
        assert_eq!(strtod_whole(b".5"), Some(0.5));
        assert_eq!(strtod_whole(b"5."), Some(5.0));
        for bad in [&b"nan"[..], b"a", b"1 ", b" ", b"1e", b"1e400", b"1e-400", b"--1", b"0x"] {
            assert_eq!(strtod_whole(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
