//! String commands on the keyspace: GET, SET with its options, GETDEL, GETSET, GETEX,
//! MGET, MSET, the INCR family and INCRBYFLOAT, APPEND, STRLEN, GETRANGE, SETRANGE.
//! Worker scripts coordinate through these (locks, counters, results). Bitmaps are in
//! `bitmap.rs`, LCS in `lcs.rs`.

use super::clock::unix_ms;
use super::effects::Int;
use super::error::{Error, Result};
use super::keyspace::Keyspace;
use super::notify::class;
use super::value::Value;

/// The largest string a command may build (APPEND, SETRANGE, SETBIT, BITFIELD): Redis's
/// default `proto-max-bulk-len`, 512 MiB. Redis follows that setting; embedis keeps the
/// default whatever the server's setting is.
pub const STRING_MAX: u64 = 512 * 1024 * 1024;

/// Redis `checkStringLength`: a string of `size + append` bytes must not pass `STRING_MAX`.
///
/// # Errors
/// `StringTooLong`.
pub fn check_string_length(size: u64, append: u64) -> Result<()> {
    match size.checked_add(append) {
        Some(total) if total <= STRING_MAX => Ok(()),
        _ => Err(Error::StringTooLong),
    }
}

/// What OBJECT ENCODING answers for a string value as SET stores it (Redis
/// `tryObjectEncoding`): `int` for a canonical integer that fits an i64 (20 bytes at
/// most), `embstr` up to 44 bytes, `raw` beyond.
///
/// embedis keeps no encoding, so this answers from the bytes alone. Redis 7.0 remembers
/// how a value was made, and answers otherwise for (checked on redis-server 7.0.15):
/// values APPEND, SETRANGE, SETBIT or BITFIELD changed or created (`raw`, even short
/// ones or integers), BITOP results (`raw`), and INCRBYFLOAT results (`embstr`, even
/// for `3`). SET, GETSET, SETEX, MSET, INCR and friends agree with this function.
pub fn string_encoding(bytes: &[u8]) -> &'static str {
    if bytes.len() <= 20 && parse_i64(bytes).is_some() {
        "int"
    } else if bytes.len() <= 44 {
        "embstr"
    } else {
        "raw"
    }
}

/// Redis's range arithmetic for GETRANGE (and BITCOUNT/BITPOS in byte units): negative
/// indexes count from the end, both ends are clamped; `None` for an empty range.
pub fn clamp_range(start: i64, end: i64, len: i64) -> Option<(usize, usize)> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let mut start = if start < 0 { len.saturating_add(start) } else { start };
    let mut end = if end < 0 { len.saturating_add(end) } else { end };
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return None;
    }
    Some((usize::try_from(start).ok()?, usize::try_from(end).ok()?))
}

/// SET's options, already validated (EX/PX/EXAT/PXAT resolved to an absolute time).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetOptions {
    /// Absolute expiry in Unix ms.
    pub expire_at_ms: Option<i64>,
    /// Only set if the key does not exist.
    pub nx: bool,
    /// Only set if the key exists.
    pub xx: bool,
    /// Keep the key's current expiry.
    pub keep_ttl: bool,
    /// Return the old value.
    pub get: bool,
}

/// What SET did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetOutcome {
    /// Whether the value was written (false when NX/XX said no).
    pub written: bool,
    /// With GET: the value before (None if there was none).
    pub old: Option<Vec<u8>>,
}

/// Parses a whole byte string as an i64 the way Redis's `string2ll` does: an optional
/// minus, digits, no spaces, no plus sign, no leading zeros.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if digits.len() > 1 && digits[0] == b'0' {
        return None;
    }
    if neg && digits == b"0" {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    text.parse().ok()
}

impl Keyspace {
    /// GET.
    pub fn get(&mut self, db: usize, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let v = self.dbs[db].string(key)?.cloned();
        if v.is_none() {
            self.key_miss(key, db);
        }
        Ok(v)
    }

    /// SET with options.
    ///
    /// # Errors
    /// With GET, `WrongType` when the old value is not a string (nothing is written).
    pub fn set(&mut self, db: usize, key: &[u8], value: &[u8], opts: SetOptions) -> Result<SetOutcome> {
        let old = if opts.get { self.get(db, key)? } else { None };
        let d = &mut self.dbs[db];
        let exists = d.contains(key);
        if (opts.nx && exists) || (opts.xx && !exists) {
            return Ok(SetOutcome { written: false, old });
        }
        d.set(key, Value::Str(value.to_vec()), opts.keep_ttl);
        let mut expired_now = false;
        if let Some(at) = opts.expire_at_ms {
            if at <= unix_ms() {
                d.remove(key);
                expired_now = true;
            } else {
                d.set_expiry(key, at);
                self.wants_sweeper = true;
            }
        }
        self.notify(class::STRING, "set", key, db);
        if opts.expire_at_ms.is_some() {
            self.notify(class::GENERIC, "expire", key, db);
        }
        if expired_now {
            // Redis keeps the key until it is next looked up or swept, then announces
            // it expired; embedis deletes it at once, and says so at once.
            self.notify(class::EXPIRED, "expired", key, db);
            self.emit_args(db, &[b"DEL", key], &[]);
        } else if let Some(at) = opts.expire_at_ms {
            self.emit_args(db, &[b"SET", key, value, b"PXAT", Int::from(at).as_bytes()], &[]);
        } else if opts.keep_ttl {
            self.emit_args(db, &[b"SET", key, value, b"KEEPTTL"], &[]);
        } else {
            self.emit_args(db, &[b"SET", key, value], &[]);
        }
        Ok(SetOutcome { written: true, old })
    }

    /// GETDEL.
    pub fn getdel(&mut self, db: usize, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let v = self.get(db, key)?;
        if v.is_some() {
            self.dbs[db].remove(key);
            self.emit_args(db, &[b"DEL", key], &[]);
            self.notify(class::GENERIC, "del", key, db);
        }
        Ok(v)
    }

    /// MGET: a value per key; keys holding other types read as missing, as in Redis.
    pub fn mget(&mut self, db: usize, keys: &[&[u8]]) -> Vec<Option<Vec<u8>>> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(match self.dbs[db].get(k) {
                Some(Value::Str(s)) => Some(s.clone()),
                Some(_) => None,
                None => {
                    self.key_miss(k, db);
                    None
                }
            });
        }
        out
    }

    /// MSET (and MSETNX with `nx`: all or nothing). Returns whether anything was written.
    pub fn mset(&mut self, db: usize, pairs: &[(&[u8], &[u8])], nx: bool) -> bool {
        let d = &mut self.dbs[db];
        if nx && pairs.iter().any(|(k, _)| d.contains(k)) {
            return false;
        }
        for (k, v) in pairs {
            self.dbs[db].set(k, Value::Str(v.to_vec()), false);
            self.notify(class::STRING, "set", k, db);
        }
        self.emit(db, || {
            let mut argv = vec![b"MSET".to_vec()];
            for (k, v) in pairs {
                argv.extend([k.to_vec(), v.to_vec()]);
            }
            argv
        });
        true
    }

    /// INCRBY core (INCR, DECR, DECRBY are it with another delta): the new value.
    ///
    /// # Errors
    /// `NotAnInteger` when the value does not parse, `Overflow` when the sum would not fit.
    pub fn incr_by(&mut self, db: usize, key: &[u8], delta: i64) -> Result<i64> {
        let d = &mut self.dbs[db];
        let current = match d.string(key)? {
            None => 0,
            Some(s) => parse_i64(s).ok_or(Error::NotAnInteger)?,
        };
        let new = current.checked_add(delta).ok_or(Error::Overflow)?;
        // INCR keeps the key's expiry, as in Redis.
        d.set(key, Value::Str(new.to_string().into_bytes()), true);
        self.notify(class::STRING, "incrby", key, db);
        self.emit_args(db, &[b"INCRBY", key, Int::from(delta).as_bytes()], &[]);
        Ok(new)
    }

    /// INCRBYFLOAT: the new value as Redis formats it (long double arithmetic, see
    /// `longdouble.rs`). Logged as `SET key value KEEPTTL`, as Redis 7.0 propagates it, so
    /// a replay never depends on float formatting.
    ///
    /// # Errors
    /// `WrongType`, `NotAFloat` (the stored value, then the increment), `NanOrInfinity`.
    pub fn incr_by_float(&mut self, db: usize, key: &[u8], incr: &[u8]) -> Result<Vec<u8>> {
        let d = &mut self.dbs[db];
        let new = super::longdouble::incr_by_float(d.string(key)?.map(Vec::as_slice), incr)?.into_bytes();
        d.set(key, Value::Str(new.clone()), true);
        self.notify(class::STRING, "incrbyfloat", key, db);
        self.emit_args(db, &[b"SET", key, &new, b"KEEPTTL"], &[]);
        Ok(new)
    }

    /// GETSET: SET that answers the old value (and drops the expiry).
    ///
    /// # Errors
    /// `WrongType` when the old value is not a string (nothing is written).
    pub fn getset(&mut self, db: usize, key: &[u8], value: &[u8]) -> Result<Option<Vec<u8>>> {
        let opts = SetOptions { get: true, ..SetOptions::default() };
        Ok(self.set(db, key, value, opts)?.old)
    }

    /// GETEX: the value, then the expiry change. `Expire(at)` in the past (only EXAT/PXAT
    /// can be) deletes the key, logged as DEL; a future one is logged as PEXPIREAT; PERSIST
    /// is logged only when there was an expiry to remove.
    ///
    /// `change` is read once the key is found to be a string (Redis 7.0 checks the expire
    /// time after the lookup: a missing key answers nil whatever the time).
    ///
    /// # Errors
    /// `WrongType`, or what `change` answers.
    pub fn getex(&mut self, db: usize, key: &[u8], change: impl FnOnce() -> Result<GetExChange>) -> Result<Option<Vec<u8>>> {
        let Some(value) = self.read_string(db, key)?.cloned() else { return Ok(None) };
        let d = &mut self.dbs[db];
        match change()? {
            GetExChange::None => {}
            GetExChange::Expire(at) if at <= unix_ms() => {
                d.remove(key);
                self.notify(class::GENERIC, "del", key, db);
                self.emit_args(db, &[b"DEL", key], &[]);
            }
            GetExChange::Expire(at) => {
                d.set_expiry(key, at);
                self.wants_sweeper = true;
                self.notify(class::GENERIC, "expire", key, db);
                self.emit_args(db, &[b"PEXPIREAT", key, Int::from(at).as_bytes()], &[]);
            }
            GetExChange::Persist => {
                if d.clear_expiry(key) {
                    self.notify(class::GENERIC, "persist", key, db);
                    self.emit_args(db, &[b"PERSIST", key], &[]);
                }
            }
        }
        Ok(Some(value))
    }

    /// APPEND: the new length. A missing key is created.
    ///
    /// # Errors
    /// `WrongType`, `StringTooLong`.
    pub fn append(&mut self, db: usize, key: &[u8], value: &[u8]) -> Result<usize> {
        let d = &mut self.dbs[db];
        let len = match d.string(key)? {
            None => {
                d.set(key, Value::Str(value.to_vec()), false);
                value.len()
            }
            Some(s) => {
                check_string_length(s.len() as u64, value.len() as u64)?;
                let s = d.string_mut(key)?.ok_or(Error::WrongType)?;
                s.extend_from_slice(value);
                s.len()
            }
        };
        self.notify(class::STRING, "append", key, db);
        self.emit_args(db, &[b"APPEND", key, value], &[]);
        Ok(len)
    }

    /// STRLEN: 0 for a missing key.
    ///
    /// # Errors
    /// `WrongType`.
    pub fn strlen(&mut self, db: usize, key: &[u8]) -> Result<usize> {
        Ok(self.read_string(db, key)?.map_or(0, Vec::len))
    }

    /// The string at `key` for a read command (Redis `lookupKeyRead`): `None`, after a
    /// `keymiss` event, when missing.
    ///
    /// # Errors
    /// `WrongType`.
    pub(crate) fn read_string(&mut self, db: usize, key: &[u8]) -> Result<Option<&Vec<u8>>> {
        if self.wants_key_miss() && self.dbs[db].string(key)?.is_none() {
            self.key_miss(key, db);
            return Ok(None);
        }
        self.dbs[db].string(key)
    }

    /// GETRANGE (SUBSTR): the bytes from `start` to `end` inclusive, Redis's index rules;
    /// empty for a missing key.
    ///
    /// # Errors
    /// `WrongType`.
    pub fn getrange(&mut self, db: usize, key: &[u8], start: i64, end: i64) -> Result<Vec<u8>> {
        let Some(s) = self.read_string(db, key)? else { return Ok(Vec::new()) };
        let len = i64::try_from(s.len()).unwrap_or(i64::MAX);
        Ok(clamp_range(start, end, len).map_or_else(Vec::new, |(a, b)| s[a..=b].to_vec()))
    }

    /// SETRANGE: writes `value` at `offset`, zero-padding as needed; the new length. An
    /// empty `value` changes nothing (and creates no key).
    ///
    /// # Errors
    /// `WrongType`, `StringTooLong`.
    pub fn setrange(&mut self, db: usize, key: &[u8], offset: u64, value: &[u8]) -> Result<usize> {
        let d = &mut self.dbs[db];
        let current = d.string(key)?.map(Vec::len);
        if value.is_empty() {
            return Ok(current.unwrap_or(0));
        }
        check_string_length(offset, value.len() as u64)?;
        // Bounded by STRING_MAX just above.
        let offset = usize::try_from(offset).map_err(|_| Error::StringTooLong)?;
        let end = offset + value.len();
        let len = if current.is_none() {
            let mut s = vec![0u8; end];
            s[offset..].copy_from_slice(value);
            d.set(key, Value::Str(s), false);
            end
        } else {
            let s = d.string_mut(key)?.ok_or(Error::WrongType)?;
            if s.len() < end {
                s.resize(end, 0);
            }
            s[offset..end].copy_from_slice(value);
            s.len()
        };
        self.notify(class::STRING, "setrange", key, db);
        self.emit_args(db, &[b"SETRANGE", key, Int::from(offset).as_bytes(), value], &[]);
        Ok(len)
    }
}

/// What GETEX does to the expiry after reading the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetExChange {
    /// Nothing (plain GETEX key).
    None,
    /// Expire at this Unix time in ms (EX/PX resolved against now; EXAT/PXAT as given).
    Expire(i64),
    /// Remove the expiry.
    Persist,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_as_redis_names_them_after_set() {
        // What OBJECT ENCODING answered on redis-server 7.0.15 after SET k <value>.
        for (v, want) in [
            (&b"1"[..], "int"),
            (b"-9223372036854775808", "int"),
            (b"9223372036854775808", "embstr"),
            (b"01", "embstr"),
            (b"-0", "embstr"),
            (b"", "embstr"),
            (b" 1", "embstr"),
            (b"1.5", "embstr"),
            (&[b'x'; 44], "embstr"),
            (&[b'x'; 45], "raw"),
        ] {
            assert_eq!(string_encoding(v), want, "{:?}", String::from_utf8_lossy(v));
        }
    }

    #[test]
    fn ranges_follow_getrange() {
        assert_eq!(clamp_range(0, -1, 6), Some((0, 5)));
        assert_eq!(clamp_range(-3, -1, 6), Some((3, 5)));
        assert_eq!(clamp_range(-1, -3, 6), None);
        assert_eq!(clamp_range(-100, 100, 6), Some((0, 5)));
        assert_eq!(clamp_range(5, 2, 6), None);
        assert_eq!(clamp_range(0, 0, 0), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 6), Some((0, 5)));
        assert_eq!(check_string_length(STRING_MAX - 2, 2), Ok(()));
        assert_eq!(check_string_length(STRING_MAX, 1), Err(Error::StringTooLong));
        assert_eq!(check_string_length(u64::MAX, 1), Err(Error::StringTooLong));
    }
}
