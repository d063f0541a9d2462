//! The string methods of `Broker` (GET, SET, INCR …), redis-py's names, its client-side
//! checks (`DataError`) and shapes. GET, the plain SET and the INCR family call the command
//! layer's typed functions without a command line; the rest go through the runner.

use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use super::argv::{datetime_to_int, expiry_arg, plain_i64, some, A, W};
use super::broker::{cmd_row, PyBroker};
use super::convert::keys_arg;
use super::errors::DataError;
use super::reply::Opts;
use crate::command;
use crate::engine::strings::SetOptions;

impl PyBroker {
    fn mset_generic<'py>(&self, py: Python<'py>, mapping: &Bound<'py, PyAny>, word: &'static str) -> PyResult<Bound<'py, PyAny>> {
        let items = mapping.call_method0("items")?;
        let mut objs: Vec<Bound<'py, PyAny>> = Vec::new();
        for item in items.try_iter()? {
            let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item?.extract()?;
            objs.extend([k, v]);
        }
        let mut parts = vec![W(word)];
        parts.extend(objs.iter().map(A));
        self.command(py, &parts)
    }

    /// INCRBY / DECRBY (redis-py sends those for `incr` / `decr` too) through
    /// `command::incr_value` / `decr_value`; an amount that is not a plain int goes as the
    /// command line, for Redis's own parsing.
    #[inline]
    fn incr_generic<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>, decr: bool) -> PyResult<Bound<'py, PyAny>> {
        let word = if decr { "DECRBY" } else { "INCRBY" };
        let Some(amount) = amount else {
            return self.incr_typed(py, name, word, 1, decr);
        };
        match plain_i64(amount) {
            Some(delta) => self.incr_typed(py, name, word, delta, decr),
            None => self.command(py, &[W(word), A(name), A(amount)]),
        }
    }

    #[inline]
    fn incr_typed<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, word: &'static str, delta: i64, decr: bool) -> PyResult<Bound<'py, PyAny>> {
        let key = self.key(name)?;
        let argv = || vec![word.as_bytes().to_vec(), key.to_vec(), delta.to_string().into_bytes()];
        let n = if decr {
            self.typed(cmd_row!("decrby"), argv, |ks, db| command::decr_value(ks, db, &key, delta))?
        } else {
            self.typed(cmd_row!("incrby"), argv, |ks, db| command::incr_value(ks, db, &key, delta))?
        };
        Ok(n.into_pyobject(py)?.into_any())
    }
}

#[pymethods]
impl PyBroker {
    /// The value of ``name``, or None.
    fn get<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let key = self.key(name)?;
        let v = self.typed(cmd_row!("get"), || vec![&b"GET"[..], &key], |ks, db| command::get_value(ks, db, &key))?;
        self.codec.out_opt(py, v.as_deref())
    }

    /// Set ``name`` to ``value``. ``ex``/``px``: expire in seconds/ms (int or timedelta);
    /// ``exat``/``pxat``: expire at a Unix time; ``nx``: only if missing; ``xx``: only if
    /// present; ``keepttl``: keep the expiry; ``get``: return the old value.
    /// Returns True, or None when ``nx``/``xx`` prevented it (the old value with ``get``).
    #[pyo3(signature = (name, value, ex = None, px = None, nx = false, xx = false, keepttl = false, get = false, exat = None, pxat = None))]
    fn set<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>, ex: Option<&Bound<'py, PyAny>>, px: Option<&Bound<'py, PyAny>>, nx: bool, xx: bool, keepttl: bool, get: bool, exat: Option<&Bound<'py, PyAny>>, pxat: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let (ex, px, exat, pxat) = (some(ex), some(px), some(exat), some(pxat));
        // redis-py's own checks, before anything is sent (`Redis.set`, `extract_expire_flags`).
        if [ex.is_some(), px.is_some(), exat.is_some(), pxat.is_some(), keepttl].iter().filter(|b| **b).count() > 1 {
            return Err(DataError::new_err("``ex``, ``px``, ``exat``, ``pxat``, and ``keepttl`` are mutually exclusive."));
        }
        if nx && xx {
            return Err(DataError::new_err("``nx``, ``xx``, ``ifeq``, ``ifne``, ``ifdeq``, ``ifdne`` are mutually exclusive."));
        }
        if !(nx || xx || get || keepttl) && ex.is_none() && px.is_none() && exat.is_none() && pxat.is_none() {
            // The plain SET: no command words to build.
            let key = self.key(name)?;
            let v = self.codec.encode(value)?;
            let argv = || vec![&b"SET"[..], &key, &v];
            self.typed(cmd_row!("set"), argv, |ks, db| command::set_value(ks, db, &key, &v, SetOptions::default()))?;
            return Ok(true.into_pyobject(py)?.to_owned().into_any());
        }
        let mut parts = vec![W("SET"), A(name), A(value)];
        if nx {
            parts.push(W("NX"));
        } else if xx {
            parts.push(W("XX"));
        }
        if get {
            parts.push(W("GET"));
        }
        let expiry;
        if let Some(t) = ex {
            expiry = expiry_arg(t, 1, "ex must be datetime.timedelta, int, or a digit string")?;
            parts.extend([W("EX"), A(&expiry)]);
        } else if let Some(t) = px {
            expiry = expiry_arg(t, 1000, "px must be datetime.timedelta, int, or a digit string")?;
            parts.extend([W("PX"), A(&expiry)]);
        } else if let Some(t) = exat {
            expiry = datetime_to_int(t, 1)?;
            parts.extend([W("EXAT"), A(&expiry)]);
        } else if let Some(t) = pxat {
            expiry = datetime_to_int(t, 1000)?;
            parts.extend([W("PXAT"), A(&expiry)]);
        }
        if keepttl {
            parts.push(W("KEEPTTL"));
        }
        self.command_as(py, "SET", &parts, &Opts { set_get: get, ..Opts::default() })
    }

    /// Set ``name`` to ``value`` if it does not exist; whether it was set.
    fn setnx<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("SETNX"), A(name), A(value)])
    }

    /// Get the value of ``name`` and delete the key.
    fn getdel<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("GETDEL"), A(name)])
    }

    /// The values of ``keys`` (None where missing or not a string).
    #[pyo3(signature = (keys, *args))]
    fn mget<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let items = keys_arg(keys, args)?;
        if items.is_empty() {
            // redis-py's EMPTY_RESPONSE: no keys, no command sent, `[]`.
            return Ok(PyList::empty(py).into_any());
        }
        let mut parts = vec![W("MGET")];
        parts.extend(items.iter().map(A));
        self.command(py, &parts)
    }

    /// Set every key/value of ``mapping``; True.
    fn mset<'py>(&self, py: Python<'py>, mapping: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.mset_generic(py, mapping, "MSET")
    }

    /// Set every key/value of ``mapping`` if none of the keys exists; whether it did.
    fn msetnx<'py>(&self, py: Python<'py>, mapping: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.mset_generic(py, mapping, "MSETNX")
    }

    /// Increment ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, amount = None))]
    fn incr<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.incr_generic(py, name, amount, false)
    }

    /// Increment ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, amount = None))]
    fn incrby<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.incr_generic(py, name, amount, false)
    }

    /// Decrement ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, amount = None))]
    fn decr<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.incr_generic(py, name, amount, true)
    }

    /// Decrement ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, amount = None))]
    fn decrby<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.incr_generic(py, name, amount, true)
    }
}
