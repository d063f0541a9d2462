//! The generic key methods of `Broker` (DEL, EXISTS, TYPE, KEYS, SCAN, RENAME, EXPIRE …),
//! redis-py's names and shapes.

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::argv::{datetime_to_int, timedelta_to_int, words, A, W};
use super::broker::{cmd, PyBroker};
use super::convert::slices;
use super::errors::IntoPy;
use crate::engine::Keyspace;

impl PyBroker {
    /// DEL, UNLINK, EXISTS: `op` over the encoded `names`; none at all is Redis's arity
    /// error, through the command path.
    fn count_keys<'py>(&self, py: Python<'py>, names: &Bound<'py, PyTuple>, word: &'static str, op: fn(&mut Keyspace, usize, &[&[u8]]) -> usize) -> PyResult<Bound<'py, PyAny>> {
        if names.is_empty() {
            return self.command(py, &[W(word)]);
        }
        let items: Vec<Bound<'_, PyAny>> = names.iter().collect();
        let keys = self.codec.encode_all(&items)?;
        let refs = slices(&keys);
        let cmd = match word {
            "DEL" => cmd!("del"),
            "UNLINK" => cmd!("unlink"),
            _ => cmd!("exists"),
        };
        // DEL is not `CMD_FAST` (it may free a large value); UNLINK and EXISTS are.
        let fast = word != "DEL";
        let argv = || [&[word.as_bytes()][..], &refs].concat();
        Ok(self.call_ok(cmd, fast, argv, |ks, db| op(ks, db, &refs)).into_pyobject(py)?.into_any())
    }

    fn expire_generic<'py>(&self, py: Python<'py>, word: &'static str, name: &Bound<'py, PyAny>, t: &Bound<'py, PyAny>, flags: [bool; 4]) -> PyResult<Bound<'py, PyAny>> {
        let mut parts = vec![W(word), A(name), A(t)];
        for (on, w) in flags.iter().zip(["NX", "XX", "GT", "LT"]) {
            if *on {
                parts.push(W(w));
            }
        }
        self.command(py, &parts)
    }
}

#[pymethods]
impl PyBroker {
    /// Delete ``names``; how many existed.
    #[pyo3(signature = (*names))]
    fn delete<'py>(&self, py: Python<'py>, names: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.count_keys(py, names, "DEL", Keyspace::del)
    }

    /// Same as ``delete`` (memory is reclaimed at once either way).
    #[pyo3(signature = (*names))]
    fn unlink<'py>(&self, py: Python<'py>, names: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.count_keys(py, names, "UNLINK", Keyspace::del)
    }

    /// How many of ``names`` exist (a name given twice counts twice).
    #[pyo3(signature = (*names))]
    fn exists<'py>(&self, py: Python<'py>, names: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.count_keys(py, names, "EXISTS", Keyspace::exists)
    }

    /// The type of ``name``: ``b'list'``, ``b'string'``, ``b'none'``…
    fn r#type<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let key = self.key(name)?;
        let t = self.call_ok(cmd!("type"), true, || words(&[b"TYPE", &key]), |ks, db| ks.type_of(db, &key));
        self.codec.out(py, t.as_bytes())
    }

    /// Every key matching the glob ``pattern``.
    #[pyo3(signature = (pattern = None, **_kwargs))]
    fn keys<'py>(&self, py: Python<'py>, pattern: Option<&Bound<'_, PyAny>>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let p = match pattern {
            Some(p) => self.codec.encode(p)?,
            None => Cow::Borrowed(&b"*"[..]),
        };
        let keys = self.call_ok(cmd!("keys"), false, || words(&[b"KEYS", &p]), |ks, db| ks.keys(db, &p));
        self.codec.out_list(py, &keys)
    }

    /// One step of an incremental iteration: ``(next_cursor, [keys])``; 0 ends it.
    #[pyo3(signature = (cursor = None, r#match = None, count = None, _type = None, **_kwargs))]
    fn scan<'py>(&self, py: Python<'py>, cursor: Option<&Bound<'py, PyAny>>, r#match: Option<&Bound<'py, PyAny>>, count: Option<&Bound<'py, PyAny>>, _type: Option<&Bound<'py, PyAny>>, _kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let zero = 0i64.into_pyobject(py)?.into_any();
        let mut parts = vec![W("SCAN"), A(cursor.unwrap_or(&zero))];
        for (word, arg) in [("MATCH", r#match), ("COUNT", count), ("TYPE", _type)] {
            if let Some(a) = arg.filter(|a| !a.is_none()) {
                parts.extend([W(word), A(a)]);
            }
        }
        self.command(py, &parts)
    }

    /// Number of keys in the database.
    #[pyo3(signature = (**_kwargs))]
    fn dbsize(&self, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<usize> {
        self.born.check()?;
        Ok(self.call_ok(cmd!("dbsize"), true, || words(&[b"DBSIZE"]), |ks, db| ks.dbsize(db)))
    }

    /// Delete every key of this database; True.
    #[pyo3(signature = (asynchronous = false, **_kwargs))]
    fn flushdb(&self, asynchronous: bool, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<bool> {
        self.born.check()?;
        let _ = asynchronous;
        self.call_ok(cmd!("flushdb"), false, || words(&[b"FLUSHDB"]), |ks, db| ks.flushdb(db));
        Ok(true)
    }

    /// Delete every key of every database; True.
    #[pyo3(signature = (asynchronous = false, **_kwargs))]
    fn flushall(&self, asynchronous: bool, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<bool> {
        self.born.check()?;
        let _ = asynchronous;
        self.call_ok(cmd!("flushall"), false, || words(&[b"FLUSHALL"]), |ks, _| ks.flushall());
        Ok(true)
    }

    /// Rename ``src`` to ``dst``; True.
    fn rename(&self, src: &Bound<'_, PyAny>, dst: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.born.check()?;
        let (a, b) = (self.key(src)?, self.key(dst)?);
        self.call(cmd!("rename"), false, || words(&[b"RENAME", &a, &b]), |ks, db| ks.rename(db, &a, &b, false)).py_err()?;
        Ok(true)
    }

    /// Rename ``src`` to ``dst`` if ``dst`` does not exist.
    fn renamenx(&self, src: &Bound<'_, PyAny>, dst: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.born.check()?;
        let (a, b) = (self.key(src)?, self.key(dst)?);
        self.call(cmd!("renamenx"), true, || words(&[b"RENAMENX", &a, &b]), |ks, db| ks.rename(db, &a, &b, true)).py_err()
    }

    /// Expire ``name`` in ``time`` seconds (int or timedelta).
    #[pyo3(signature = (name, time, nx = false, xx = false, gt = false, lt = false))]
    fn expire<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, time: &Bound<'py, PyAny>, nx: bool, xx: bool, gt: bool, lt: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let t = timedelta_to_int(time, 1)?;
        self.expire_generic(py, "EXPIRE", name, &t, [nx, xx, gt, lt])
    }

    /// Expire ``name`` in ``time`` milliseconds (int or timedelta).
    #[pyo3(signature = (name, time, nx = false, xx = false, gt = false, lt = false))]
    fn pexpire<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, time: &Bound<'py, PyAny>, nx: bool, xx: bool, gt: bool, lt: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let t = timedelta_to_int(time, 1000)?;
        self.expire_generic(py, "PEXPIRE", name, &t, [nx, xx, gt, lt])
    }

    /// Expire ``name`` at ``when`` (Unix seconds or datetime).
    #[pyo3(signature = (name, when, nx = false, xx = false, gt = false, lt = false))]
    fn expireat<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, when: &Bound<'py, PyAny>, nx: bool, xx: bool, gt: bool, lt: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let t = datetime_to_int(when, 1)?;
        self.expire_generic(py, "EXPIREAT", name, &t, [nx, xx, gt, lt])
    }

    /// Expire ``name`` at ``when`` (Unix milliseconds or datetime).
    #[pyo3(signature = (name, when, nx = false, xx = false, gt = false, lt = false))]
    fn pexpireat<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, when: &Bound<'py, PyAny>, nx: bool, xx: bool, gt: bool, lt: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let t = datetime_to_int(when, 1000)?;
        self.expire_generic(py, "PEXPIREAT", name, &t, [nx, xx, gt, lt])
    }

    /// Seconds to live: -2 if missing, -1 without expiry.
    fn ttl(&self, name: &Bound<'_, PyAny>) -> PyResult<i64> {
        self.born.check()?;
        let key = self.key(name)?;
        let ms = self.call_ok(cmd!("ttl"), true, || words(&[b"TTL", &key]), |ks, db| ks.pttl(db, &key));
        // Rounded as Redis's TTL: (ms + 500) / 1000.
        Ok(if ms < 0 { ms } else { (ms + 500) / 1000 })
    }

    /// Milliseconds to live: -2 if missing, -1 without expiry.
    fn pttl(&self, name: &Bound<'_, PyAny>) -> PyResult<i64> {
        self.born.check()?;
        let key = self.key(name)?;
        Ok(self.call_ok(cmd!("pttl"), true, || words(&[b"PTTL", &key]), |ks, db| ks.pttl(db, &key)))
    }

    /// Remove the expiry of ``name``; whether there was one.
    fn persist(&self, name: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.born.check()?;
        let key = self.key(name)?;
        Ok(self.call_ok(cmd!("persist"), true, || words(&[b"PERSIST", &key]), |ks, db| ks.persist(db, &key)))
    }
}
