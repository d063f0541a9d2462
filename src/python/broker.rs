//! `embedis.Broker`: one method per redis-py method, with redis-py's names, arguments and
//! return shapes. Each method extracts its arguments, makes one engine call, converts the
//! result. No Redis rule lives here: an `if` a Redis user would recognise belongs below.

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::convert::{keys_arg, slices, Codec};
use super::errors::{to_pyerr, DataError, IntoPy};
use super::wait::{block_sync, parse_timeout, BlockSpec};
use crate::command::{self, reply::Reply, Context};
use crate::engine::clock::unix_ms;
use crate::engine::db::Key;
use crate::engine::keyspace::{check_db, ExpireCondition};
use crate::engine::lists::Where;
use crate::engine::strings::SetOptions;
use crate::engine::waiters::{BlockOp, Served};
use crate::engine::{End, Engine};

/// An in-process broker with Redis semantics; mirrors `redis.Redis`.
#[pyclass(name = "Broker", module = "embedis._embedis", frozen, subclass)]
pub struct PyBroker {
    /// The shared data; other handles may point at the same engine.
    pub(crate) engine: Engine,
    /// The selected database (SELECT through `execute_command` changes it).
    db: AtomicUsize,
    /// redis-py's encoding and `decode_responses` settings.
    pub(crate) codec: Codec,
}

fn end_arg(s: &str) -> PyResult<End> {
    if s.eq_ignore_ascii_case("LEFT") {
        Ok(End::Left)
    } else if s.eq_ignore_ascii_case("RIGHT") {
        Ok(End::Right)
    } else {
        Err(to_pyerr(&crate::engine::Error::Syntax))
    }
}

fn count_arg(count: i64) -> PyResult<usize> {
    usize::try_from(count).map_err(|_| to_pyerr(&crate::engine::Error::NotPositive))
}

/// redis-py's `ExpiryT`: int seconds/ms or a `datetime.timedelta`.
fn duration_ms(time: &Bound<'_, PyAny>, unit_ms: i64) -> PyResult<i64> {
    if let Ok(total) = time.call_method0("total_seconds") {
        let secs: f64 = total.extract()?;
        #[allow(clippy::cast_possible_truncation)]
        return Ok((secs * 1000.0) as i64);
    }
    let n: i64 = time.extract().map_err(|_| to_pyerr(&crate::engine::Error::NotAnInteger))?;
    n.checked_mul(unit_ms).ok_or_else(|| to_pyerr(&crate::engine::Error::NotAnInteger))
}

/// redis-py's `AbsExpiryT`: int Unix seconds/ms or a `datetime.datetime`.
fn instant_ms(when: &Bound<'_, PyAny>, unit_ms: i64) -> PyResult<i64> {
    if let Ok(ts) = when.call_method0("timestamp") {
        let secs: f64 = ts.extract()?;
        #[allow(clippy::cast_possible_truncation)]
        return Ok((secs * 1000.0) as i64);
    }
    let n: i64 = when.extract().map_err(|_| to_pyerr(&crate::engine::Error::NotAnInteger))?;
    n.checked_mul(unit_ms).ok_or_else(|| to_pyerr(&crate::engine::Error::NotAnInteger))
}

fn expire_condition(nx: bool, xx: bool, gt: bool, lt: bool) -> PyResult<ExpireCondition> {
    Ok(match (nx, xx, gt, lt) {
        (false, false, false, false) => ExpireCondition::Always,
        (true, false, false, false) => ExpireCondition::Nx,
        (false, true, false, false) => ExpireCondition::Xx,
        (false, false, true, false) => ExpireCondition::Gt,
        (false, false, false, true) => ExpireCondition::Lt,
        _ => {
            return Err(to_pyerr(&crate::engine::Error::Syntax));
        }
    })
}

impl PyBroker {
    fn db(&self) -> usize {
        self.db.load(Ordering::Relaxed)
    }

    fn key<'a>(&self, k: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
        self.codec.encode(k)
    }

    fn push(&self, name: &Bound<'_, PyAny>, values: &Bound<'_, PyTuple>, end: End, x: bool) -> PyResult<usize> {
        let key = self.key(name)?;
        let db = self.db();
        // One value is the common case: no vectors at all.
        if values.len() == 1 {
            let item = values.get_borrowed_item(0)?;
            let v = self.codec.encode(&item)?;
            return self.engine.execute(|ks| ks.push(db, &key, &[&v], end, x)).py_err();
        }
        let items: Vec<Bound<'_, PyAny>> = values.iter().collect();
        let vals = self.codec.encode_all(&items)?;
        if vals.is_empty() {
            let cmd = match (end, x) {
                (End::Left, false) => "lpush",
                (End::Right, false) => "rpush",
                (End::Left, true) => "lpushx",
                (End::Right, true) => "rpushx",
            };
            return Err(to_pyerr(&crate::engine::Error::WrongArity { cmd: cmd.into() }));
        }
        let refs = slices(&vals);
        self.engine.execute(|ks| ks.push(db, &key, &refs, end, x)).py_err()
    }

    fn pop<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>, count: Option<i64>, end: End) -> PyResult<Bound<'py, PyAny>> {
        let key = self.key(name)?;
        let db = self.db();
        match count {
            None => {
                let v = self.engine.execute(|ks| ks.pop(db, &key, end)).py_err()?;
                self.codec.out_opt(py, v.as_deref())
            }
            Some(n) => {
                let n = count_arg(n)?;
                match self.engine.execute(|ks| ks.pop_count(db, &key, end, n)).py_err()? {
                    Some(vals) => self.codec.out_list(py, &vals),
                    None => Ok(py.None().into_bound(py)),
                }
            }
        }
    }

    /// A blocking call's spec: encoded keys, op, timeout.
    fn spec(&self, keys: Vec<Key>, op: BlockOp, timeout: &Bound<'_, PyAny>) -> PyResult<BlockSpec> {
        let timeout = parse_timeout(&self.codec, timeout)?;
        Ok(BlockSpec { engine: self.engine.clone(), db: self.db(), keys, op, timeout, codec: self.codec.clone() })
    }

    fn keys_vec(&self, keys: &Bound<'_, PyAny>, more: &Bound<'_, PyTuple>) -> PyResult<Vec<Key>> {
        let all = keys_arg(keys, more)?;
        all.iter().map(|k| Ok(Key::from(self.key(k)?.as_ref()))).collect()
    }

    fn lmpop_spec(&self, numkeys: i64, args: &Bound<'_, PyTuple>, direction: &str, count: Option<i64>) -> PyResult<(Vec<Key>, End, usize)> {
        let n = usize::try_from(numkeys).ok().filter(|&n| n > 0).ok_or_else(|| to_pyerr(&crate::engine::Error::NumkeysNotPositive))?;
        let items: Vec<Bound<'_, PyAny>> = args.iter().collect();
        if n > items.len() {
            return Err(to_pyerr(&crate::engine::Error::NumkeysTooLarge));
        }
        if n < items.len() {
            return Err(to_pyerr(&crate::engine::Error::Syntax));
        }
        let keys = items.iter().map(|k| Ok(Key::from(self.key(k)?.as_ref()))).collect::<PyResult<Vec<_>>>()?;
        let end = end_arg(direction)?;
        let count = match count {
            None => 1,
            Some(c) => usize::try_from(c).ok().filter(|&c| c > 0).ok_or_else(|| to_pyerr(&crate::engine::Error::CountNotPositive))?,
        };
        Ok((keys, end, count))
    }
}

/// Converts what a blocked call was handed into redis-py's shape for that command.
pub fn served_to_py<'py>(py: Python<'py>, codec: &Codec, served: Served) -> PyResult<Bound<'py, PyAny>> {
    match served {
        Served::Pop { key, value } => {
            Ok(PyTuple::new(py, [codec.out(py, &key)?, codec.out(py, &value)?])?.into_any())
        }
        Served::MPop { key, values } => {
            Ok(PyList::new(py, [codec.out(py, &key)?, codec.out_list(py, &values)?])?.into_any())
        }
        Served::Move { value } => codec.out(py, &value),
    }
}

#[pymethods]
impl PyBroker {
    /// A new, empty broker, or (with `broker=`) another handle on the data of `broker`.
    ///
    /// Arguments mirror `redis.Redis`: `db` selects one of the 16 databases,
    /// `decode_responses=True` returns str instead of bytes, `encoding` and
    /// `encoding_errors` say how str arguments are encoded and replies decoded.
    #[new]
    #[pyo3(signature = (*, db = 0, decode_responses = false, encoding = "utf-8", encoding_errors = "strict", broker = None))]
    fn new(
        db: i64,
        decode_responses: bool,
        encoding: &str,
        encoding_errors: &str,
        broker: Option<&Bound<'_, PyBroker>>,
    ) -> PyResult<Self> {
        let db = check_db(db).map_err(|e| PyValueError::new_err(e.to_string()))?;
        let engine = broker.map_or_else(Engine::new, |b| b.get().engine.clone());
        Ok(PyBroker { engine, db: AtomicUsize::new(db), codec: Codec::new(decode_responses, encoding, encoding_errors) })
    }

    fn __repr__(&self) -> String {
        let (keys, lists, elements) = self.engine.execute(|ks| ks.summary());
        format!(
            "<embedis.Broker db={} keys={keys} lists={lists} list_elements={elements}{}>",
            self.db(),
            if self.codec.decode_responses { " decode_responses=True" } else { "" }
        )
    }

    /// The database this handle works on.
    #[getter]
    fn get_db(&self) -> usize {
        self.db()
    }

    /// Whether replies are str (True) or bytes (False).
    #[getter]
    fn decode_responses(&self) -> bool {
        self.codec.decode_responses
    }

    /// Whether two handles share the same data.
    fn shares_data_with(&self, other: &Bound<'_, PyBroker>) -> bool {
        self.engine.same_as(&other.get().engine)
    }

    // ---- lists -------------------------------------------------------------------------

    /// Push ``values`` onto the head of the list ``name``; returns the new length.
    #[pyo3(signature = (name, *values))]
    fn lpush(&self, name: &Bound<'_, PyAny>, values: &Bound<'_, PyTuple>) -> PyResult<usize> {
        self.push(name, values, End::Left, false)
    }

    /// Push ``values`` onto the tail of the list ``name``; returns the new length.
    #[pyo3(signature = (name, *values))]
    fn rpush(&self, name: &Bound<'_, PyAny>, values: &Bound<'_, PyTuple>) -> PyResult<usize> {
        self.push(name, values, End::Right, false)
    }

    /// Push ``values`` onto the head of ``name`` only if the list exists.
    #[pyo3(signature = (name, *values))]
    fn lpushx(&self, name: &Bound<'_, PyAny>, values: &Bound<'_, PyTuple>) -> PyResult<usize> {
        self.push(name, values, End::Left, true)
    }

    /// Push ``values`` onto the tail of ``name`` only if the list exists.
    #[pyo3(signature = (name, *values))]
    fn rpushx(&self, name: &Bound<'_, PyAny>, values: &Bound<'_, PyTuple>) -> PyResult<usize> {
        self.push(name, values, End::Right, true)
    }

    /// Remove and return the first element of ``name`` (a list of up to ``count`` if given).
    #[pyo3(signature = (name, count = None))]
    fn lpop<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>, count: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        self.pop(py, name, count, End::Left)
    }

    /// Remove and return the last element of ``name`` (a list of up to ``count`` if given).
    #[pyo3(signature = (name, count = None))]
    fn rpop<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>, count: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        self.pop(py, name, count, End::Right)
    }

    /// The length of the list ``name`` (0 if missing).
    fn llen(&self, name: &Bound<'_, PyAny>) -> PyResult<usize> {
        let key = self.key(name)?;
        self.engine.execute(|ks| ks.llen(self.db(), &key)).py_err()
    }

    /// Elements ``start`` to ``end`` (inclusive; negative counts from the tail).
    fn lrange<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>, start: i64, end: i64) -> PyResult<Bound<'py, PyAny>> {
        let key = self.key(name)?;
        let v = self.engine.execute(|ks| ks.lrange(self.db(), &key, start, end)).py_err()?;
        self.codec.out_list(py, &v)
    }

    /// The element at ``index``, or None.
    fn lindex<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>, index: i64) -> PyResult<Bound<'py, PyAny>> {
        let key = self.key(name)?;
        let v = self.engine.execute(|ks| ks.lindex(self.db(), &key, index)).py_err()?;
        self.codec.out_opt(py, v.as_deref())
    }

    /// Set the element at ``index`` to ``value``; True.
    fn lset(&self, name: &Bound<'_, PyAny>, index: i64, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        let key = self.key(name)?;
        let v = self.codec.encode(value)?;
        self.engine.execute(|ks| ks.lset(self.db(), &key, index, &v)).py_err()?;
        Ok(true)
    }

    /// Insert ``value`` before or after (``where``) the first ``refvalue``; the new length,
    /// -1 if ``refvalue`` is absent, 0 if the list is.
    #[pyo3(signature = (name, r#where, refvalue, value))]
    fn linsert(&self, name: &Bound<'_, PyAny>, r#where: &str, refvalue: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<i64> {
        let place = if r#where.eq_ignore_ascii_case("BEFORE") {
            Where::Before
        } else if r#where.eq_ignore_ascii_case("AFTER") {
            Where::After
        } else {
            return Err(to_pyerr(&crate::engine::Error::Syntax));
        };
        let key = self.key(name)?;
        let (p, v) = (self.codec.encode(refvalue)?, self.codec.encode(value)?);
        self.engine.execute(|ks| ks.linsert(self.db(), &key, place, &p, &v)).py_err()
    }

    /// Remove ``count`` occurrences of ``value`` (>0 from the head, <0 from the tail, 0 all).
    fn lrem(&self, name: &Bound<'_, PyAny>, count: i64, value: &Bound<'_, PyAny>) -> PyResult<usize> {
        let key = self.key(name)?;
        let v = self.codec.encode(value)?;
        self.engine.execute(|ks| ks.lrem(self.db(), &key, count, &v)).py_err()
    }

    /// Keep only elements ``start`` to ``end``; True.
    fn ltrim(&self, name: &Bound<'_, PyAny>, start: i64, end: i64) -> PyResult<bool> {
        let key = self.key(name)?;
        self.engine.execute(|ks| ks.ltrim(self.db(), &key, start, end)).py_err()?;
        Ok(true)
    }

    /// The index of ``value`` in the list (a list of indexes with ``count``).
    #[pyo3(signature = (name, value, rank = None, count = None, maxlen = None))]
    fn lpos<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>, rank: Option<i64>, count: Option<i64>, maxlen: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        let key = self.key(name)?;
        let v = self.codec.encode(value)?;
        let found = self
            .engine
            .execute(|ks| ks.lpos(self.db(), &key, &v, rank.unwrap_or(1), count.unwrap_or(1), maxlen.unwrap_or(0)))
            .py_err()?;
        if count.is_some() {
            Ok(PyList::new(py, found)?.into_any())
        } else {
            Ok(found.first().copied().into_pyobject(py)?.into_any())
        }
    }

    /// Atomically pop from ``src`` end of ``first_list`` and push to ``dest`` end of
    /// ``second_list``; the element, or None.
    #[pyo3(signature = (first_list, second_list, src = "LEFT", dest = "RIGHT"))]
    fn lmove<'py>(&self, py: Python<'py>, first_list: &Bound<'_, PyAny>, second_list: &Bound<'_, PyAny>, src: &str, dest: &str) -> PyResult<Bound<'py, PyAny>> {
        let (from, to) = (end_arg(src)?, end_arg(dest)?);
        let (a, b) = (self.key(first_list)?, self.key(second_list)?);
        let v = self.engine.execute(|ks| ks.lmove(self.db(), &a, &b, from, to)).py_err()?;
        self.codec.out_opt(py, v.as_deref())
    }

    /// RPOP from ``src`` and LPUSH onto ``dst``, atomically.
    fn rpoplpush<'py>(&self, py: Python<'py>, src: &Bound<'_, PyAny>, dst: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let (a, b) = (self.key(src)?, self.key(dst)?);
        let v = self.engine.execute(|ks| ks.lmove(self.db(), &a, &b, End::Right, End::Left)).py_err()?;
        self.codec.out_opt(py, v.as_deref())
    }

    /// Pop up to ``count`` elements from the first non-empty list of ``args``:
    /// ``[key, [elements]]`` or None.
    #[pyo3(signature = (num_keys, *args, direction, count = 1))]
    fn lmpop<'py>(&self, py: Python<'py>, num_keys: i64, args: &Bound<'_, PyTuple>, direction: &str, count: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        let (keys, end, count) = self.lmpop_spec(num_keys, args, direction, count)?;
        let refs: Vec<&[u8]> = keys.iter().map(AsRef::as_ref).collect();
        match self.engine.execute(|ks| ks.lmpop(self.db(), &refs, end, count)).py_err()? {
            Some((key, values)) => served_to_py(py, &self.codec, Served::MPop { key, values }),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// Block until one of ``keys`` has an element, then pop it from the head:
    /// ``(key, element)``, or None after ``timeout`` seconds (0 or None: forever).
    ///
    /// Waits without the GIL and without polling; Ctrl-C raises KeyboardInterrupt, and an
    /// element handed over meanwhile goes back to its list.
    #[pyo3(signature = (keys, timeout = None))]
    fn blpop<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, timeout: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let keys = self.keys_vec(keys, &PyTuple::empty(py))?;
        let spec = self.spec(keys, BlockOp::Pop { end: End::Left }, &opt_timeout(py, timeout))?;
        block_sync(py, &spec)
    }

    /// As ``blpop``, from the tail.
    #[pyo3(signature = (keys, timeout = None))]
    fn brpop<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, timeout: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let keys = self.keys_vec(keys, &PyTuple::empty(py))?;
        let spec = self.spec(keys, BlockOp::Pop { end: End::Right }, &opt_timeout(py, timeout))?;
        block_sync(py, &spec)
    }

    /// Blocking ``lmove``: waits up to ``timeout`` seconds for ``first_list`` to have an
    /// element (the reliable-queue pattern).
    #[pyo3(signature = (first_list, second_list, timeout, src = "LEFT", dest = "RIGHT"))]
    fn blmove<'py>(&self, py: Python<'py>, first_list: &Bound<'py, PyAny>, second_list: &Bound<'py, PyAny>, timeout: &Bound<'py, PyAny>, src: &str, dest: &str) -> PyResult<Bound<'py, PyAny>> {
        let spec = self._blmove_spec(first_list, second_list, timeout, src, dest)?;
        block_sync(py, &spec)
    }

    /// Blocking ``rpoplpush``.
    #[pyo3(signature = (src, dst, timeout = None))]
    fn brpoplpush<'py>(&self, py: Python<'py>, src: &Bound<'py, PyAny>, dst: &Bound<'py, PyAny>, timeout: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let spec = self._blmove_spec(src, dst, &opt_timeout(py, timeout), "RIGHT", "LEFT")?;
        block_sync(py, &spec)
    }

    /// Blocking ``lmpop``.
    #[pyo3(signature = (timeout, numkeys, *args, direction, count = 1))]
    fn blmpop<'py>(&self, py: Python<'py>, timeout: &Bound<'py, PyAny>, numkeys: i64, args: &Bound<'py, PyTuple>, direction: &str, count: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        let spec = self._blmpop_spec(timeout, numkeys, args, direction, count)?;
        block_sync(py, &spec)
    }

    /// The spec of a ``blpop``/``brpop`` for the asyncio twin (validated, not run).
    #[pyo3(signature = (keys, timeout, left))]
    fn _bpop_spec(&self, py: Python<'_>, keys: &Bound<'_, PyAny>, timeout: Option<&Bound<'_, PyAny>>, left: bool) -> PyResult<BlockSpec> {
        let keys = self.keys_vec(keys, &PyTuple::empty(py))?;
        let end = if left { End::Left } else { End::Right };
        self.spec(keys, BlockOp::Pop { end }, &opt_timeout(py, timeout))
    }

    /// The spec of a ``blmove`` for the asyncio twin.
    #[pyo3(signature = (first_list, second_list, timeout, src, dest))]
    fn _blmove_spec(&self, first_list: &Bound<'_, PyAny>, second_list: &Bound<'_, PyAny>, timeout: &Bound<'_, PyAny>, src: &str, dest: &str) -> PyResult<BlockSpec> {
        let (from, to) = (end_arg(src)?, end_arg(dest)?);
        let keys = vec![Key::from(self.key(first_list)?.as_ref())];
        let dest = Key::from(self.key(second_list)?.as_ref());
        self.spec(keys, BlockOp::Move { from, dest, to }, timeout)
    }

    /// The spec of a ``blmpop`` for the asyncio twin.
    #[pyo3(signature = (timeout, numkeys, args, direction, count))]
    fn _blmpop_spec(&self, timeout: &Bound<'_, PyAny>, numkeys: i64, args: &Bound<'_, PyTuple>, direction: &str, count: Option<i64>) -> PyResult<BlockSpec> {
        let timeout = parse_timeout(&self.codec, timeout)?;
        let (keys, end, count) = self.lmpop_spec(numkeys, args, direction, count)?;
        Ok(BlockSpec { engine: self.engine.clone(), db: self.db(), keys, op: BlockOp::MPop { end, count }, timeout, codec: self.codec.clone() })
    }

    // ---- keyspace ----------------------------------------------------------------------

    /// Delete ``names``; how many existed.
    #[pyo3(signature = (*names))]
    fn delete(&self, names: &Bound<'_, PyTuple>) -> PyResult<usize> {
        let items: Vec<Bound<'_, PyAny>> = names.iter().collect();
        let keys = self.codec.encode_all(&items)?;
        let refs = slices(&keys);
        Ok(self.engine.execute(|ks| ks.del(self.db(), &refs)))
    }

    /// Same as ``delete`` (memory is reclaimed at once either way).
    #[pyo3(signature = (*names))]
    fn unlink(&self, names: &Bound<'_, PyTuple>) -> PyResult<usize> {
        self.delete(names)
    }

    /// How many of ``names`` exist (a name given twice counts twice).
    #[pyo3(signature = (*names))]
    fn exists(&self, names: &Bound<'_, PyTuple>) -> PyResult<usize> {
        let items: Vec<Bound<'_, PyAny>> = names.iter().collect();
        let keys = self.codec.encode_all(&items)?;
        let refs = slices(&keys);
        Ok(self.engine.execute(|ks| ks.exists(self.db(), &refs)))
    }

    /// The type of ``name``: ``b'list'``, ``b'string'``, ``b'none'``…
    fn r#type<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let key = self.key(name)?;
        let t = self.engine.execute(|ks| ks.type_of(self.db(), &key));
        self.codec.out(py, t.as_bytes())
    }

    /// Every key matching the glob ``pattern``.
    #[pyo3(signature = (pattern = None, **_kwargs))]
    fn keys<'py>(&self, py: Python<'py>, pattern: Option<&Bound<'_, PyAny>>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let p = match pattern {
            Some(p) => self.codec.encode(p)?,
            None => Cow::Borrowed(&b"*"[..]),
        };
        let keys = self.engine.execute(|ks| ks.keys(self.db(), &p));
        self.codec.out_list(py, &keys)
    }

    /// One step of an incremental iteration: ``(next_cursor, [keys])``; 0 ends it.
    #[pyo3(signature = (cursor = 0, r#match = None, count = None, _type = None, **_kwargs))]
    fn scan<'py>(&self, py: Python<'py>, cursor: u64, r#match: Option<&Bound<'_, PyAny>>, count: Option<i64>, _type: Option<&Bound<'_, PyAny>>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let pattern = r#match.map(|m| self.codec.encode(m)).transpose()?;
        let type_name = _type.map(|t| self.codec.encode(t)).transpose()?;
        let count = match count {
            None => 10,
            Some(c) => usize::try_from(c).ok().filter(|&c| c > 0).ok_or_else(|| to_pyerr(&crate::engine::Error::Syntax))?,
        };
        let (next, keys) = self.engine.execute(|ks| ks.scan(self.db(), cursor, pattern.as_deref(), count, type_name.as_deref()));
        Ok(PyTuple::new(py, [next.into_pyobject(py)?.into_any(), self.codec.out_list(py, &keys)?])?.into_any())
    }

    /// Number of keys in the database.
    #[pyo3(signature = (**_kwargs))]
    fn dbsize(&self, _kwargs: Option<&Bound<'_, PyDict>>) -> usize {
        self.engine.execute(|ks| ks.dbsize(self.db()))
    }

    /// Delete every key of this database; True.
    #[pyo3(signature = (asynchronous = false, **_kwargs))]
    fn flushdb(&self, asynchronous: bool, _kwargs: Option<&Bound<'_, PyDict>>) -> bool {
        let _ = asynchronous;
        self.engine.execute(|ks| ks.flushdb(self.db()));
        true
    }

    /// Delete every key of every database; True.
    #[pyo3(signature = (asynchronous = false, **_kwargs))]
    fn flushall(&self, asynchronous: bool, _kwargs: Option<&Bound<'_, PyDict>>) -> bool {
        let _ = asynchronous;
        self.engine.execute(|ks| ks.flushall());
        true
    }

    /// Rename ``src`` to ``dst``; True.
    fn rename(&self, src: &Bound<'_, PyAny>, dst: &Bound<'_, PyAny>) -> PyResult<bool> {
        let (a, b) = (self.key(src)?, self.key(dst)?);
        self.engine.execute(|ks| ks.rename(self.db(), &a, &b, false)).py_err()?;
        Ok(true)
    }

    /// Rename ``src`` to ``dst`` if ``dst`` does not exist.
    fn renamenx(&self, src: &Bound<'_, PyAny>, dst: &Bound<'_, PyAny>) -> PyResult<bool> {
        let (a, b) = (self.key(src)?, self.key(dst)?);
        self.engine.execute(|ks| ks.rename(self.db(), &a, &b, true)).py_err()
    }

    /// Expire ``name`` in ``time`` seconds (int or timedelta).
    #[pyo3(signature = (name, time, nx = false, xx = false, gt = false, lt = false))]
    fn expire(&self, name: &Bound<'_, PyAny>, time: &Bound<'_, PyAny>, nx: bool, xx: bool, gt: bool, lt: bool) -> PyResult<bool> {
        let ms = duration_ms(time, 1000).map_err(|_| to_pyerr(&crate::engine::Error::InvalidExpireTime { cmd: "expire".into() }))?;
        self.expire_generic(name, unix_ms().checked_add(ms), "expire", expire_condition(nx, xx, gt, lt)?)
    }

    /// Expire ``name`` in ``time`` milliseconds (int or timedelta).
    #[pyo3(signature = (name, time, nx = false, xx = false, gt = false, lt = false))]
    fn pexpire(&self, name: &Bound<'_, PyAny>, time: &Bound<'_, PyAny>, nx: bool, xx: bool, gt: bool, lt: bool) -> PyResult<bool> {
        let ms = duration_ms(time, 1).map_err(|_| to_pyerr(&crate::engine::Error::InvalidExpireTime { cmd: "pexpire".into() }))?;
        self.expire_generic(name, unix_ms().checked_add(ms), "pexpire", expire_condition(nx, xx, gt, lt)?)
    }

    /// Expire ``name`` at ``when`` (Unix seconds or datetime).
    #[pyo3(signature = (name, when, nx = false, xx = false, gt = false, lt = false))]
    fn expireat(&self, name: &Bound<'_, PyAny>, when: &Bound<'_, PyAny>, nx: bool, xx: bool, gt: bool, lt: bool) -> PyResult<bool> {
        let at = instant_ms(when, 1000).ok();
        self.expire_generic(name, at, "expireat", expire_condition(nx, xx, gt, lt)?)
    }

    /// Expire ``name`` at ``when`` (Unix milliseconds or datetime).
    #[pyo3(signature = (name, when, nx = false, xx = false, gt = false, lt = false))]
    fn pexpireat(&self, name: &Bound<'_, PyAny>, when: &Bound<'_, PyAny>, nx: bool, xx: bool, gt: bool, lt: bool) -> PyResult<bool> {
        let at = instant_ms(when, 1).ok();
        self.expire_generic(name, at, "pexpireat", expire_condition(nx, xx, gt, lt)?)
    }

    /// Seconds to live: -2 if missing, -1 without expiry.
    fn ttl(&self, name: &Bound<'_, PyAny>) -> PyResult<i64> {
        let key = self.key(name)?;
        let ms = self.engine.execute(|ks| ks.pttl(self.db(), &key));
        // Rounded as Redis's TTL: (ms + 500) / 1000.
        Ok(if ms < 0 { ms } else { (ms + 500) / 1000 })
    }

    /// Milliseconds to live: -2 if missing, -1 without expiry.
    fn pttl(&self, name: &Bound<'_, PyAny>) -> PyResult<i64> {
        let key = self.key(name)?;
        Ok(self.engine.execute(|ks| ks.pttl(self.db(), &key)))
    }

    /// Remove the expiry of ``name``; whether there was one.
    fn persist(&self, name: &Bound<'_, PyAny>) -> PyResult<bool> {
        let key = self.key(name)?;
        Ok(self.engine.execute(|ks| ks.persist(self.db(), &key)))
    }

    /// True: the broker answers.
    #[pyo3(signature = (**_kwargs))]
    fn ping(&self, _kwargs: Option<&Bound<'_, PyDict>>) -> bool {
        true
    }

    /// Returns ``value``.
    #[pyo3(signature = (value, **_kwargs))]
    fn echo<'py>(&self, py: Python<'py>, value: &Bound<'_, PyAny>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        let v = self.codec.encode(value)?;
        self.codec.out(py, &v)
    }

    // ---- strings -----------------------------------------------------------------------

    /// The value of ``name``, or None.
    fn get<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let key = self.key(name)?;
        let v = self.engine.execute(|ks| ks.get(self.db(), &key)).py_err()?;
        self.codec.out_opt(py, v.as_deref())
    }

    /// Set ``name`` to ``value``. ``ex``/``px``: expire in seconds/ms (int or timedelta);
    /// ``exat``/``pxat``: expire at a Unix time; ``nx``: only if missing; ``xx``: only if
    /// present; ``keepttl``: keep the expiry; ``get``: return the old value.
    /// Returns True, or None when ``nx``/``xx`` prevented it (the old value with ``get``).
    #[pyo3(signature = (name, value, ex = None, px = None, nx = false, xx = false, keepttl = false, get = false, exat = None, pxat = None))]
    fn set<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>, ex: Option<&Bound<'_, PyAny>>, px: Option<&Bound<'_, PyAny>>, nx: bool, xx: bool, keepttl: bool, get: bool, exat: Option<&Bound<'_, PyAny>>, pxat: Option<&Bound<'_, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let given = [ex.is_some(), px.is_some(), exat.is_some(), pxat.is_some(), keepttl].iter().filter(|b| **b).count();
        if given > 1 || (nx && xx) {
            return Err(to_pyerr(&crate::engine::Error::Syntax));
        }
        let invalid = || to_pyerr(&crate::engine::Error::InvalidExpireTime { cmd: "set".into() });
        let now = unix_ms();
        let rel = |t: &Bound<'_, PyAny>, unit: i64| -> PyResult<i64> {
            let ms = duration_ms(t, unit).map_err(|_| invalid())?;
            if ms <= 0 { return Err(invalid()); }
            now.checked_add(ms).ok_or_else(invalid)
        };
        let abs = |t: &Bound<'_, PyAny>, unit: i64| -> PyResult<i64> {
            let at = instant_ms(t, unit).map_err(|_| invalid())?;
            if at <= 0 { return Err(invalid()); }
            Ok(at)
        };
        let expire_at_ms = match (ex, px, exat, pxat) {
            (Some(t), ..) => Some(rel(t, 1000)?),
            (_, Some(t), ..) => Some(rel(t, 1)?),
            (_, _, Some(t), _) => Some(abs(t, 1000)?),
            (_, _, _, Some(t)) => Some(abs(t, 1)?),
            _ => None,
        };
        let key = self.key(name)?;
        let v = self.codec.encode(value)?;
        let opts = SetOptions { expire_at_ms, nx, xx, keep_ttl: keepttl, get };
        let out = self.engine.execute(|ks| ks.set(self.db(), &key, &v, opts)).py_err()?;
        if get {
            return self.codec.out_opt(py, out.old.as_deref());
        }
        Ok(if out.written { true.into_pyobject(py)?.to_owned().into_any() } else { py.None().into_bound(py) })
    }

    /// Set ``name`` to ``value`` if it does not exist; whether it was set.
    fn setnx(&self, name: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        let key = self.key(name)?;
        let v = self.codec.encode(value)?;
        let opts = SetOptions { nx: true, ..SetOptions::default() };
        Ok(self.engine.execute(|ks| ks.set(self.db(), &key, &v, opts)).py_err()?.written)
    }

    /// Get the value of ``name`` and delete the key.
    fn getdel<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let key = self.key(name)?;
        let v = self.engine.execute(|ks| ks.getdel(self.db(), &key)).py_err()?;
        self.codec.out_opt(py, v.as_deref())
    }

    /// The values of ``keys`` (None where missing or not a string).
    #[pyo3(signature = (keys, *args))]
    fn mget<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        let keys = self.keys_vec(keys, args)?;
        let refs: Vec<&[u8]> = keys.iter().map(AsRef::as_ref).collect();
        let vals = self.engine.execute(|ks| ks.mget(self.db(), &refs));
        let objs = vals.iter().map(|v| self.codec.out_opt(py, v.as_deref())).collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, objs)?.into_any())
    }

    /// Set every key/value of ``mapping``; True.
    fn mset(&self, mapping: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.mset_generic(mapping, false)
    }

    /// Set every key/value of ``mapping`` if none of the keys exists; whether it did.
    fn msetnx(&self, mapping: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.mset_generic(mapping, true)
    }

    /// Increment ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, amount = 1))]
    fn incr(&self, name: &Bound<'_, PyAny>, amount: i64) -> PyResult<i64> {
        self.incrby(name, amount)
    }

    /// Increment ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, amount = 1))]
    fn incrby(&self, name: &Bound<'_, PyAny>, amount: i64) -> PyResult<i64> {
        let key = self.key(name)?;
        self.engine.execute(|ks| ks.incr_by(self.db(), &key, amount)).py_err()
    }

    /// Decrement ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, amount = 1))]
    fn decr(&self, name: &Bound<'_, PyAny>, amount: i64) -> PyResult<i64> {
        self.decrby(name, amount)
    }

    /// Decrement ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, amount = 1))]
    fn decrby(&self, name: &Bound<'_, PyAny>, amount: i64) -> PyResult<i64> {
        let key = self.key(name)?;
        let delta = amount.checked_neg().ok_or_else(|| to_pyerr(&crate::engine::Error::DecrementOverflow))?;
        self.engine.execute(|ks| ks.incr_by(self.db(), &key, delta)).py_err()
    }

    // ---- generic -----------------------------------------------------------------------

    /// For a blocking command given as words, its validated spec; None for other commands.
    #[pyo3(signature = (*args))]
    fn _command_spec(&self, args: &Bound<'_, PyTuple>) -> PyResult<Option<BlockSpec>> {
        let items: Vec<Bound<'_, PyAny>> = args.iter().collect();
        if items.is_empty() {
            return Err(DataError::new_err("execute_command needs a command name"));
        }
        let words = self.codec.encode_all(&items)?;
        let argv = slices(&words);
        Ok(command::parse_blocking(&argv).py_err()?.map(|call| BlockSpec {
            engine: self.engine.clone(),
            db: self.db(),
            keys: call.keys,
            op: call.op,
            timeout: call.timeout,
            codec: self.codec.clone(),
        }))
    }

    /// Run any supported Redis command from its words, as ``redis.Redis.execute_command``
    /// does: ``execute_command("LPUSH", "q", "a")``. Replies are shaped by redis-py's
    /// response callbacks for that command (``OK`` → True, BLPOP → tuple, …).
    #[pyo3(signature = (*args, **_options))]
    fn execute_command<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, _options: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        if let Some(spec) = self._command_spec(args)? {
            // block_sync already gives redis-py's shapes (BLPOP's tuple, BLMPOP's list).
            return block_sync(py, &spec);
        }
        let items: Vec<Bound<'_, PyAny>> = args.iter().collect();
        let words = self.codec.encode_all(&items)?;
        let argv = slices(&words);
        let name = String::from_utf8_lossy(argv[0]).to_ascii_uppercase();
        let mut ctx = Context { db: self.db(), ..Context::default() };
        let reply = command::dispatch(&self.engine, &mut ctx, &argv).py_err()?;
        if ctx.db != self.db() {
            self.db.store(ctx.db, Ordering::Relaxed);
        }
        apply_callback(py, &self.codec, &name, &argv, &reply)
    }
}

impl PyBroker {
    fn expire_generic(&self, name: &Bound<'_, PyAny>, at: Option<i64>, cmd: &str, cond: ExpireCondition) -> PyResult<bool> {
        let at = at.ok_or_else(|| to_pyerr(&crate::engine::Error::InvalidExpireTime { cmd: cmd.into() }))?;
        let key = self.key(name)?;
        Ok(self.engine.execute(|ks| ks.expire_at(self.db(), &key, at, cond)))
    }

    fn mset_generic(&self, mapping: &Bound<'_, PyAny>, nx: bool) -> PyResult<bool> {
        let items = mapping.call_method0("items")?;
        let mut owned = Vec::new();
        for item in items.try_iter()? {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
            owned.push((self.codec.encode(&k)?.into_owned(), self.codec.encode(&v)?.into_owned()));
        }
        let pairs: Vec<(&[u8], &[u8])> = owned.iter().map(|(k, v)| (k.as_slice(), v.as_slice())).collect();
        Ok(self.engine.execute(|ks| ks.mset(self.db(), &pairs, nx)))
    }
}

/// BLPOP's `timeout=None` means 0 (forever), as in redis-py.
fn opt_timeout<'py>(py: Python<'py>, t: Option<&Bound<'py, PyAny>>) -> Bound<'py, PyAny> {
    match t {
        Some(t) if !t.is_none() => t.clone(),
        _ => 0i64.into_pyobject(py).map(|o| o.into_any()).unwrap_or_else(|_| py.None().into_bound(py)),
    }
}

/// redis-py's response callbacks (legacy RESP2 shapes) for the commands in scope.
fn apply_callback<'py>(py: Python<'py>, codec: &Codec, name: &str, argv: &[&[u8]], reply: &Reply) -> PyResult<Bound<'py, PyAny>> {
    let as_bool = |b: bool| -> PyResult<Bound<'py, PyAny>> { Ok(b.into_pyobject(py)?.to_owned().into_any()) };
    match name {
        "PING" => match reply {
            Reply::Simple(s) | Reply::Bulk(s) => as_bool(s == b"PONG"),
            _ => codec.reply(py, reply),
        },
        "SET" => {
            if argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"GET")) {
                codec.reply(py, reply)
            } else {
                match reply {
                    Reply::Ok => as_bool(true),
                    _ => Ok(py.None().into_bound(py)),
                }
            }
        }
        "MSET" | "FLUSHDB" | "FLUSHALL" | "RENAME" | "SELECT" | "LSET" | "LTRIM" => {
            as_bool(matches!(reply, Reply::Ok))
        }
        "SETNX" | "MSETNX" | "RENAMENX" | "EXPIRE" | "PEXPIRE" | "EXPIREAT" | "PEXPIREAT" | "PERSIST" => match reply {
            Reply::Int(i) => as_bool(*i != 0),
            _ => codec.reply(py, reply),
        },
        "SCAN" => match reply {
            Reply::Array(parts) if parts.len() == 2 => {
                let cursor: u64 = match &parts[0] {
                    Reply::Bulk(b) | Reply::Simple(b) => String::from_utf8_lossy(b).parse().unwrap_or(0),
                    Reply::Int(i) => u64::try_from(*i).unwrap_or(0),
                    _ => 0,
                };
                Ok(PyTuple::new(py, [cursor.into_pyobject(py)?.into_any(), codec.reply(py, &parts[1])?])?.into_any())
            }
            _ => codec.reply(py, reply),
        },
        "BLPOP" | "BRPOP" => match reply {
            Reply::Array(parts) => {
                let objs = parts.iter().map(|p| codec.reply(py, p)).collect::<PyResult<Vec<_>>>()?;
                Ok(PyTuple::new(py, objs)?.into_any())
            }
            _ => Ok(py.None().into_bound(py)),
        },
        _ => codec.reply(py, reply),
    }
}
