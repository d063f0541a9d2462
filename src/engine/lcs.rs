//! LCS: the longest common subsequence of two strings (Redis `lcsCommand`), by the plain
//! dynamic-programming table, and the matched ranges walked back from its end exactly as
//! Redis walks them, so that IDX lists the same ranges in the same order.

use super::error::{Error, Result};
use super::keyspace::Keyspace;
use super::value::Value;

/// One matched range: positions in the first and second string (inclusive), and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Start and end in the first string.
    pub a: (usize, usize),
    /// Start and end in the second string.
    pub b: (usize, usize),
    /// Length of the range.
    pub len: usize,
}

/// The common subsequence, its length, and the ranges of at least `min_len` bytes (all
/// of them when `min_len` is 0), last range first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lcs {
    /// The subsequence itself.
    pub text: Vec<u8>,
    /// Its length.
    pub len: usize,
    /// Matched ranges, from the end of the strings backwards.
    pub matches: Vec<Match>,
}

/// Computes the LCS of `a` and `b`. `limit` is the table size Redis allows
/// (`proto-max-bulk-len`, in bytes of u32 cells).
///
/// # Errors
/// `LcsTooLarge` when the table would pass `limit`.
pub fn lcs(a: &[u8], b: &[u8], min_len: usize, limit: u64) -> Result<Lcs> {
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1).saturating_mul(blen as u64 + 1);
    if cells.saturating_mul(4) > limit {
        return Err(Error::LcsTooLarge);
    }
    let w = blen + 1;
    let mut t = vec![0u32; (alen + 1) * w];
    for i in 1..=alen {
        for j in 1..=blen {
            t[i * w + j] = if a[i - 1] == b[j - 1] { t[(i - 1) * w + j - 1] + 1 } else { t[(i - 1) * w + j].max(t[i * w + j - 1]) };
        }
    }
    let len = t[alen * w + blen] as usize;
    let mut text = vec![0u8; len];
    let mut matches = Vec::new();
    // The range being built, as Redis tracks it: None until a match starts one.
    let mut cur: Option<Match> = None;
    let (mut i, mut j, mut idx) = (alen, blen, len);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            text[idx - 1] = a[i - 1];
            match &mut cur {
                None => cur = Some(Match { a: (i - 1, i - 1), b: (j - 1, j - 1), len: 1 }),
                // Contiguous with the range so far: extend it backwards.
                Some(m) if m.a.0 == i && m.b.0 == j => {
                    m.a.0 -= 1;
                    m.b.0 -= 1;
                    m.len += 1;
                }
                Some(_) => emit = true,
            }
            if cur.is_some_and(|m| m.a.0 == 0 || m.b.0 == 0) {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if t[(i - 1) * w + j] > t[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if cur.is_some() {
                emit = true;
            }
        }
        if emit {
            if let Some(m) = cur.take() {
                if min_len == 0 || m.len >= min_len {
                    matches.push(m);
                }
            }
        }
    }
    Ok(Lcs { text, len, matches })
}

impl Keyspace {
    /// LCS of the strings at `k1` and `k2` (a missing key is an empty string).
    ///
    /// # Errors
    /// `LcsWrongType` when a key holds another type, `LcsTooLarge`.
    pub fn lcs(&mut self, db: usize, k1: &[u8], k2: &[u8], min_len: usize) -> Result<Lcs> {
        let d = &mut self.dbs[db];
        let mut fetch = |k: &[u8]| match d.get(k) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Error::LcsWrongType),
        };
        // A missing key's `keymiss` is the command's to announce (it looks the keys up
        // before its options, as Redis's `lcsCommand`).
        let a = fetch(k1);
        let b = fetch(k2);
        lcs(&a?.unwrap_or_default(), &b?.unwrap_or_default(), min_len, super::strings::STRING_MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_documentation_example() {
        let r = lcs(b"ohmytext", b"mynewtext", 0, u64::MAX).unwrap();
        assert_eq!(r.text, b"mytext");
        assert_eq!(r.len, 6);
        let ranges: Vec<_> = r.matches.iter().map(|m| (m.a, m.b, m.len)).collect();
        assert_eq!(ranges, [((4, 7), (5, 8), 4), ((2, 3), (0, 1), 2)]);
        let r = lcs(b"ohmytext", b"mynewtext", 4, u64::MAX).unwrap();
        assert_eq!(r.matches.len(), 1);
    }

    #[test]
    fn empty_and_limits() {
        assert_eq!(lcs(b"", b"abc", 0, u64::MAX).unwrap().len, 0);
        assert_eq!(lcs(b"abc", b"abc", 0, 15), Err(Error::LcsTooLarge));
    }
}
