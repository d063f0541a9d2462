//! The rest of the string methods of `Broker` (APPEND … LCS) and the bitmap methods
//! (SETBIT … BITFIELD_RO), the way redis-py 8.2 implements them: its client-side checks
//! (DataError with its words), the command words it would send, and its reply shapes
//! (through `apply_callback`). The command runs through `command::dispatch`, so Redis's
//! rules and error texts live in one place. `bitfield()` is in Python
//! (`embedis._bitfield.BitFieldOperation`), a builder that ends in `execute_command`.

use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyInt, PyString, PyTuple};

use super::broker::{some, PyBroker, A, I, W};
use super::errors::DataError;

/// redis-py's `_timedelta_to_ms`: whole milliseconds of a timedelta, truncated toward
/// zero, in integer arithmetic (`td // timedelta(milliseconds=1)`).
fn timedelta_ms<'py>(td: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = td.py();
    let datetime = py.import("datetime")?;
    let one_ms = datetime.getattr("timedelta")?.call((), Some(&[("milliseconds", 1)].into_py_dict(py)?))?;
    let zero = datetime.getattr("timedelta")?.call0()?;
    if td.lt(&zero)? {
        // -(-td // 1ms): truncation toward zero for negative durations.
        return td.neg()?.floor_div(&one_ms)?.neg();
    }
    td.floor_div(&one_ms)
}

/// Whether `t` is a `datetime.timedelta`.
fn is_timedelta(t: &Bound<'_, PyAny>) -> PyResult<bool> {
    let cls = t.py().import("datetime")?.getattr("timedelta")?;
    t.is_instance(&cls)
}

/// Whether `t` is a `datetime.datetime`.
fn is_datetime(t: &Bound<'_, PyAny>) -> PyResult<bool> {
    let cls = t.py().import("datetime")?.getattr("datetime")?;
    t.is_instance(&cls)
}

/// redis-py's `_datetime_to_unix_ms`: exact milliseconds since the epoch of a datetime
/// (naive: local time, as `timestamp()` reads it).
fn datetime_ms<'py>(dt: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = dt.py();
    let datetime = py.import("datetime")?;
    let timedelta = datetime.getattr("timedelta")?;
    if dt.call_method0("utcoffset")?.is_none() {
        let whole = dt.call_method("replace", (), Some(&[("tzinfo", py.None().into_bound(py)), ("microsecond", 0i64.into_pyobject(py)?.into_any())].into_py_dict(py)?))?;
        let seconds = py.get_type::<PyInt>().call1((whole.call_method0("timestamp")?,))?;
        let micro = dt.getattr("microsecond")?;
        let td = timedelta.call((), Some(&[("seconds", seconds), ("microseconds", micro)].into_py_dict(py)?))?;
        return timedelta_ms(&td);
    }
    let utc = datetime.getattr("timezone")?.getattr("utc")?;
    let epoch = datetime.getattr("datetime")?.call1((1970, 1, 1, 0, 0, 0, 0, utc))?;
    timedelta_ms(&dt.sub(epoch)?)
}

/// redis-py's `extract_expire_flags` for EX/PX: a timedelta, an int, or a decimal string
/// (sent as its `int()`); DataError otherwise.
fn relative<'py>(t: &Bound<'py, PyAny>, ms: bool, error: &'static str) -> PyResult<Bound<'py, PyAny>> {
    if is_timedelta(t)? {
        if ms {
            return timedelta_ms(t);
        }
        let secs = t.call_method0("total_seconds")?;
        return t.py().get_type::<PyInt>().call1((secs,));
    }
    if t.is_instance_of::<PyInt>() {
        return Ok(t.clone());
    }
    if t.is_instance_of::<PyString>() && t.call_method0("isdecimal")?.is_truthy()? {
        return t.py().get_type::<PyInt>().call1((t,));
    }
    Err(DataError::new_err(error))
}

#[pymethods]
impl PyBroker {
    /// Append ``value`` to the string at ``key`` (created if missing); the new length.
    fn append<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("APPEND"), A(key), A(value)])
    }

    /// Length of the string at ``name`` (0 if missing).
    fn strlen<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("STRLEN"), A(name)])
    }

    /// The bytes of the string at ``key`` from ``start`` to ``end`` inclusive (negative
    /// indexes count from the end).
    fn getrange<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>, start: &Bound<'py, PyAny>, end: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("GETRANGE"), A(key), A(start), A(end)])
    }

    /// GETRANGE under its old name: ``end`` defaults to the last byte.
    #[pyo3(signature = (name, start, end = None), text_signature = "($self, name, start, end=-1)")]
    fn substr<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, start: &Bound<'py, PyAny>, end: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        match end {
            Some(e) => self.command(py, &[W("SUBSTR"), A(name), A(start), A(e)]),
            None => self.command(py, &[W("SUBSTR"), A(name), A(start), I(-1)]),
        }
    }

    /// Overwrite the string at ``name`` from ``offset`` with ``value``, zero-padding as
    /// needed; the new length.
    fn setrange<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, offset: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("SETRANGE"), A(name), A(offset), A(value)])
    }

    /// Set ``name`` to ``value`` (dropping its expiry) and return the old value.
    fn getset<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("GETSET"), A(name), A(value)])
    }

    /// The value of ``name``, then change its expiry: ``ex``/``px`` (seconds/ms, int or
    /// timedelta), ``exat``/``pxat`` (Unix time, int or datetime), or ``persist``.
    #[pyo3(signature = (name, ex = None, px = None, exat = None, pxat = None, persist = false))]
    fn getex<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, ex: Option<&Bound<'py, PyAny>>, px: Option<&Bound<'py, PyAny>>, exat: Option<&Bound<'py, PyAny>>, pxat: Option<&Bound<'py, PyAny>>, persist: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let (ex, px, exat, pxat) = (some(ex), some(px), some(exat), some(pxat));
        if [ex.is_some(), px.is_some(), exat.is_some(), pxat.is_some(), persist].iter().filter(|b| **b).count() > 1 {
            return Err(DataError::new_err("``ex``, ``px``, ``exat``, ``pxat``, and ``persist`` are mutually exclusive."));
        }
        let mut parts = vec![W("GETEX"), A(name)];
        let t;
        if let Some(v) = ex {
            t = relative(v, false, "ex must be datetime.timedelta, int, or a digit string")?;
            parts.extend([W("EX"), A(&t)]);
        } else if let Some(v) = px {
            t = relative(v, true, "px must be datetime.timedelta, int, or a digit string")?;
            parts.extend([W("PX"), A(&t)]);
        } else if let Some(v) = exat {
            t = if is_datetime(v)? { py.get_type::<PyInt>().call1((v.call_method0("timestamp")?,))? } else { v.clone() };
            parts.extend([W("EXAT"), A(&t)]);
        } else if let Some(v) = pxat {
            t = if is_datetime(v)? { datetime_ms(v)? } else { v.clone() };
            parts.extend([W("PXAT"), A(&t)]);
        }
        if persist {
            parts.push(W("PERSIST"));
        }
        self.command(py, &parts)
    }

    /// Set ``name`` to ``value`` expiring in ``time`` seconds (int or timedelta); True.
    fn setex<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, time: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let t = if is_timedelta(time)? { py.get_type::<PyInt>().call1((time.call_method0("total_seconds")?,))? } else { time.clone() };
        self.command(py, &[W("SETEX"), A(name), A(&t), A(value)])
    }

    /// Set ``name`` to ``value`` expiring in ``time_ms`` milliseconds (int or timedelta);
    /// True.
    fn psetex<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, time_ms: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let t = if is_timedelta(time_ms)? { timedelta_ms(time_ms)? } else { time_ms.clone() };
        self.command(py, &[W("PSETEX"), A(name), A(&t), A(value)])
    }

    /// Add ``amount`` to the number at ``name`` (0 if missing), in Redis's long double
    /// arithmetic; the new value as a float.
    #[pyo3(signature = (name, amount = None), text_signature = "($self, name, amount=1.0)")]
    fn incrbyfloat<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let one = 1.0f64.into_pyobject(py)?.into_any();
        self.command(py, &[W("INCRBYFLOAT"), A(name), A(amount.unwrap_or(&one))])
    }

    /// The longest common subsequence of the strings at ``key1`` and ``key2``; with
    /// ``len`` its length; with ``idx`` the matched ranges (``minmatchlen``: only ranges
    /// that long; ``withmatchlen``: with their lengths).
    #[pyo3(
        signature = (key1, key2, len = None, idx = None, minmatchlen = None, withmatchlen = None),
        text_signature = "($self, key1, key2, len=False, idx=False, minmatchlen=0, withmatchlen=False)"
    )]
    fn lcs<'py>(&self, py: Python<'py>, key1: &Bound<'py, PyAny>, key2: &Bound<'py, PyAny>, len: Option<bool>, idx: Option<bool>, minmatchlen: Option<&Bound<'py, PyAny>>, withmatchlen: Option<bool>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut parts = vec![W("LCS"), A(key1), A(key2)];
        if len == Some(true) {
            parts.push(W("LEN"));
        }
        if idx == Some(true) {
            parts.push(W("IDX"));
        }
        // redis-py sends MINMATCHLEN unless it is None or 0.
        let min = minmatchlen.filter(|m| !m.is_none() && !m.eq(0).unwrap_or(false));
        if let Some(m) = min {
            parts.extend([W("MINMATCHLEN"), A(m)]);
        }
        if withmatchlen == Some(true) {
            parts.push(W("WITHMATCHLEN"));
        }
        self.command(py, &parts)
    }

    /// Set (``value`` truthy) or clear the bit at ``offset`` of ``name``; the old bit.
    fn setbit<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, offset: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        // redis-py: `value = value and 1 or 0`.
        let bit = i64::from(value.is_truthy()?);
        self.command(py, &[W("SETBIT"), A(name), A(offset), I(bit)])
    }

    /// The bit at ``offset`` of ``name`` (0 past the end).
    fn getbit<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, offset: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("GETBIT"), A(name), A(offset)])
    }

    /// The number of set bits in ``key``, or in ``start``..``end`` (bytes, or bits with
    /// ``mode="BIT"``).
    #[pyo3(signature = (key, start = None, end = None, mode = None))]
    fn bitcount<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>, start: Option<&Bound<'py, PyAny>>, end: Option<&Bound<'py, PyAny>>, mode: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut parts = vec![W("BITCOUNT"), A(key)];
        match (some(start), some(end)) {
            (Some(s), Some(e)) => parts.extend([A(s), A(e)]),
            (None, None) => {}
            _ => return Err(DataError::new_err("Both start and end must be specified")),
        }
        if let Some(m) = some(mode) {
            parts.push(A(m));
        }
        self.command(py, &parts)
    }

    /// The position of the first ``bit`` (0 or 1) in ``key``, optionally within
    /// ``start``..``end`` (bytes, or bits with ``mode="BIT"``); -1 if none.
    #[pyo3(signature = (key, bit, start = None, end = None, mode = None))]
    fn bitpos<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>, bit: &Bound<'py, PyAny>, start: Option<&Bound<'py, PyAny>>, end: Option<&Bound<'py, PyAny>>, mode: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        // redis-py: `if bit not in (0, 1)` (so True and 1.0 pass, as equal to 1).
        if !(bit.eq(0)? || bit.eq(1)?) {
            return Err(DataError::new_err("bit must be 0 or 1"));
        }
        let mut parts = vec![W("BITPOS"), A(key), A(bit)];
        match (some(start), some(end)) {
            (Some(s), Some(e)) => parts.extend([A(s), A(e)]),
            (Some(s), None) => parts.push(A(s)),
            (None, Some(_)) => return Err(DataError::new_err("start argument is not set, when end is specified")),
            (None, None) => {}
        }
        if let Some(m) = some(mode) {
            parts.push(A(m));
        }
        self.command(py, &parts)
    }

    /// Store ``operation`` (AND, OR, XOR, NOT) of ``keys`` at ``dest``; its length.
    #[pyo3(signature = (operation, dest, *keys))]
    fn bitop<'py>(&self, py: Python<'py>, operation: &Bound<'py, PyAny>, dest: &Bound<'py, PyAny>, keys: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let items: Vec<Bound<'py, PyAny>> = keys.iter().collect();
        let mut parts = vec![W("BITOP"), A(operation), A(dest)];
        parts.extend(items.iter().map(A));
        self.command(py, &parts)
    }

    /// Read-only BITFIELD: the ``encoding`` field at ``offset``, and one per
    /// ``(encoding, offset)`` of ``items``.
    #[pyo3(signature = (key, encoding, offset, items = None))]
    fn bitfield_ro<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>, encoding: &Bound<'py, PyAny>, offset: &Bound<'py, PyAny>, items: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut pairs: Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)> = Vec::new();
        if let Some(items) = some(items) {
            if items.is_truthy()? {
                for item in items.try_iter()? {
                    pairs.push(item?.extract()?);
                }
            }
        }
        let mut parts = vec![W("BITFIELD_RO"), A(key), W("GET"), A(encoding), A(offset)];
        for (e, o) in &pairs {
            parts.extend([W("GET"), A(e), A(o)]);
        }
        self.command(py, &parts)
    }
}
