//! The string methods of `Broker` (GET, SET, INCR …), redis-py's names, its client-side
//! checks (`DataError`) and shapes.

use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use super::argv::{datetime_to_int, expiry_arg, plain_i64, some, words, A, W};
use super::broker::{cmd, PyBroker};
use super::errors::{DataError, IntoPy};
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

    fn incr_generic<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>, word: &'static str, negate: bool) -> PyResult<Bound<'py, PyAny>> {
        let one = 1i64.into_pyobject(py)?.into_any();
        let amount = amount.unwrap_or(&one);
        let delta = plain_i64(amount).and_then(|a| if negate { a.checked_neg() } else { Some(a) });
        let Some(delta) = delta else {
            return self.command(py, &[W(word), A(name), A(amount)]);
        };
        let key = self.key(name)?;
        let cmd = match word {
            "INCRBY" => cmd!("incrby"),
            "DECR" => cmd!("decr"),
            "DECRBY" => cmd!("decrby"),
            _ => cmd!("incr"),
        };
        let argv = || {
            let mut v = words(&[word.as_bytes(), &key]);
            if word.ends_with("BY") {
                v.push(amount.to_string().into_bytes());
            }
            v
        };
        let n = self.call(cmd, true, argv, |ks, db| ks.check_memory(true).and_then(|()| ks.incr_by(db, &key, delta))).py_err()?;
        Ok(n.into_pyobject(py)?.into_any())
    }
}

#[pymethods]
impl PyBroker {
    /// The value of ``name``, or None.
    fn get<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let key = self.key(name)?;
        let v = self.call(cmd!("get"), true, || words(&[b"GET", &key]), |ks, db| ks.get(db, &key)).py_err()?;
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
            self.call(cmd!("set"), false, || words(&[b"SET", &key, &v]), |ks, db| ks.check_memory(true).and_then(|()| ks.set(db, &key, &v, SetOptions::default()))).py_err()?;
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
        let words = self.words(&parts)?;
        self.run_opts(py, &words, get)
    }

    /// Set ``name`` to ``value`` if it does not exist; whether it was set.
    fn setnx(&self, name: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.born.check()?;
        let key = self.key(name)?;
        let v = self.codec.encode(value)?;
        let opts = SetOptions { nx: true, ..SetOptions::default() };
        Ok(self.call(cmd!("setnx"), true, || words(&[b"SETNX", &key, &v]), |ks, db| ks.check_memory(true).and_then(|()| ks.set(db, &key, &v, opts))).py_err()?.written)
    }

    /// Get the value of ``name`` and delete the key.
    fn getdel<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let key = self.key(name)?;
        let v = self.call(cmd!("getdel"), true, || words(&[b"GETDEL", &key]), |ks, db| ks.getdel(db, &key)).py_err()?;
        self.codec.out_opt(py, v.as_deref())
    }

    /// The values of ``keys`` (None where missing or not a string).
    #[pyo3(signature = (keys, *args))]
    fn mget<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let keys = self.keys_vec(keys, args)?;
        let refs: Vec<&[u8]> = keys.iter().map(AsRef::as_ref).collect();
        let vals = self.call_ok(cmd!("mget"), true, || [&[&b"MGET"[..]][..], &refs].concat(), |ks, db| ks.mget(db, &refs));
        let objs = vals.iter().map(|v| self.codec.out_opt(py, v.as_deref())).collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, objs)?.into_any())
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
        self.incr_generic(py, name, amount, "INCRBY", false)
    }

    /// Increment ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, amount = None))]
    fn incrby<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.incr_generic(py, name, amount, "INCRBY", false)
    }

    /// Decrement ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, amount = None))]
    fn decr<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.incr_generic(py, name, amount, "DECRBY", true)
    }

    /// Decrement ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, amount = None))]
    fn decrby<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.incr_generic(py, name, amount, "DECRBY", true)
    }
}
