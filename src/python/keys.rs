//! The generic key methods of `Broker` (DEL, EXISTS, TYPE, KEYS, SCAN, RENAME, EXPIRE …),
//! redis-py's names and shapes: the command line redis-py would send, through the generic
//! runner (none of them is a hot path).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::argv::{datetime_to_int, timedelta_to_int, A, W};
use super::broker::PyBroker;

impl PyBroker {
    /// DEL, UNLINK, EXISTS over the encoded `names`.
    fn count_keys<'py>(&self, py: Python<'py>, names: &Bound<'py, PyTuple>, word: &'static str) -> PyResult<Bound<'py, PyAny>> {
        let items: Vec<Bound<'_, PyAny>> = names.iter().collect();
        let mut parts = vec![W(word)];
        parts.extend(items.iter().map(A));
        self.command(py, &parts)
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
        self.count_keys(py, names, "DEL")
    }

    /// Same as ``delete`` (memory is reclaimed at once either way).
    #[pyo3(signature = (*names))]
    fn unlink<'py>(&self, py: Python<'py>, names: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.count_keys(py, names, "UNLINK")
    }

    /// How many of ``names`` exist (a name given twice counts twice).
    #[pyo3(signature = (*names))]
    fn exists<'py>(&self, py: Python<'py>, names: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.count_keys(py, names, "EXISTS")
    }

    /// The type of ``name``: ``b'list'``, ``b'string'``, ``b'none'``…
    fn r#type<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("TYPE"), A(name)])
    }

    /// Every key matching the glob ``pattern``.
    #[pyo3(signature = (pattern = None, **_kwargs))]
    fn keys<'py>(&self, py: Python<'py>, pattern: Option<&Bound<'py, PyAny>>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        match pattern {
            Some(p) => self.command(py, &[W("KEYS"), A(p)]),
            None => self.command(py, &[W("KEYS"), W("*")]),
        }
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
    fn dbsize<'py>(&self, py: Python<'py>, _kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("DBSIZE")])
    }

    /// Delete every key of this database; True.
    #[pyo3(signature = (asynchronous = false, **_kwargs))]
    fn flushdb<'py>(&self, py: Python<'py>, asynchronous: bool, _kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        if asynchronous {
            return self.command(py, &[W("FLUSHDB"), W("ASYNC")]);
        }
        self.command(py, &[W("FLUSHDB")])
    }

    /// Delete every key of every database; True.
    #[pyo3(signature = (asynchronous = false, **_kwargs))]
    fn flushall<'py>(&self, py: Python<'py>, asynchronous: bool, _kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        if asynchronous {
            return self.command(py, &[W("FLUSHALL"), W("ASYNC")]);
        }
        self.command(py, &[W("FLUSHALL")])
    }

    /// Rename ``src`` to ``dst``; True.
    fn rename<'py>(&self, py: Python<'py>, src: &Bound<'py, PyAny>, dst: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("RENAME"), A(src), A(dst)])
    }

    /// Rename ``src`` to ``dst`` if ``dst`` does not exist.
    fn renamenx<'py>(&self, py: Python<'py>, src: &Bound<'py, PyAny>, dst: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("RENAMENX"), A(src), A(dst)])
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
    fn ttl<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("TTL"), A(name)])
    }

    /// Milliseconds to live: -2 if missing, -1 without expiry.
    fn pttl<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("PTTL"), A(name)])
    }

    /// Remove the expiry of ``name``; whether there was one.
    fn persist<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("PERSIST"), A(name)])
    }
}
