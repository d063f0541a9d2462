//! String commands on the keyspace: GET, SET with its options, GETDEL, MGET, MSET, and the
//! INCR family. Worker scripts coordinate through these (locks, counters, results).

use super::clock::unix_ms;
use super::effects::Int;
use super::error::{Error, Result};
use super::keyspace::Keyspace;
use super::notify::class;
use super::value::Value;

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
        self.emit_args(db, &[b"INCRBY", key, Int::from(delta).as_bytes()], &[]);
        self.notify(class::STRING, "incrby", key, db);
        Ok(new)
    }
}
