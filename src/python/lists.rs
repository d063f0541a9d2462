//! The list methods of `Broker` (LPUSH … BLMPOP), redis-py's names and shapes. The hot
//! ones (push, pop, LLEN, the ready path of BLPOP/BRPOP) call the command layer's typed
//! functions without building a command line; the rest go through the generic runner.

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};

use super::argv::{opt_timeout, plain_i64, A, S, W};
use super::broker::{cmd_row, PyBroker};
use super::convert::slices;
use super::errors::IntoPy;
use super::reply::served_to_py;
use super::wait::{block_sync, parse_timeout, BlockSpec};
use crate::command;
use crate::engine::db::Key;
use crate::engine::waiters::BlockOp;
use crate::engine::End;

/// The table's row and the word redis-py sends for a push (`x`: LPUSHX/RPUSHX).
#[inline]
fn push_row(end: End, x: bool) -> (&'static command::Command, &'static str) {
    match (end, x) {
        (End::Left, false) => (cmd_row!("lpush"), "LPUSH"),
        (End::Right, false) => (cmd_row!("rpush"), "RPUSH"),
        (End::Left, true) => (cmd_row!("lpushx"), "LPUSHX"),
        (End::Right, true) => (cmd_row!("rpushx"), "RPUSHX"),
    }
}

/// The table's row and the word redis-py sends for LPOP/RPOP.
#[inline]
fn pop_row(end: End) -> (&'static command::Command, &'static str) {
    match end {
        End::Left => (cmd_row!("lpop"), "LPOP"),
        End::Right => (cmd_row!("rpop"), "RPOP"),
    }
}

impl PyBroker {
    /// LPUSH & co. through `command::push_values`, without a command line.
    #[inline]
    fn push<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, values: &Bound<'py, PyTuple>, end: End, x: bool) -> PyResult<Bound<'py, PyAny>> {
        let (row, word) = push_row(end, x);
        let n = match values.len() {
            // No value: the command line as redis-py sends it, for Redis's arity error.
            0 => return self.command(py, &[W(word), A(name)]),
            // One value, the common case: no vectors at all.
            1 => {
                let key = self.key(name)?;
                let item = values.get_borrowed_item(0)?;
                let v = self.codec.encode(&item)?;
                let argv = || vec![word.as_bytes(), &key, &v];
                self.typed(row, argv, |ks, db| command::push_values(ks, db, &key, &[&v], end, x))?
            }
            _ => {
                let key = self.key(name)?;
                let items: Vec<Bound<'_, PyAny>> = values.iter().collect();
                let vals = self.codec.encode_all(&items)?;
                let refs = slices(&vals);
                let argv = || [&[word.as_bytes(), &key][..], &refs].concat();
                self.typed(row, argv, |ks, db| command::push_values(ks, db, &key, &refs, end, x))?
            }
        };
        Ok(n.into_pyobject(py)?.into_any())
    }

    /// LPOP/RPOP through `command::pop_from` / `pop_count_from`; a count that is not a
    /// plain non-negative int goes as the command line, for Redis's own parsing.
    #[inline]
    fn pop<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>, end: End) -> PyResult<Bound<'py, PyAny>> {
        let (row, word) = pop_row(end);
        let Some(count) = count.filter(|c| !c.is_none()) else {
            let key = self.key(name)?;
            let argv = || vec![word.as_bytes(), &key];
            let v = self.typed(row, argv, |ks, db| command::pop_from(ks, db, &key, end))?;
            return self.codec.out_opt(py, v.as_deref());
        };
        let Some(n) = plain_i64(count).and_then(|n| usize::try_from(n).ok()) else {
            return self.command(py, &[W(word), A(name), A(count)]);
        };
        let key = self.key(name)?;
        let argv = || vec![Cow::Borrowed(word.as_bytes()), Cow::Borrowed(&key[..]), Cow::Owned(n.to_string().into_bytes())];
        match self.typed(row, argv, |ks, db| command::pop_count_from(ks, db, &key, end, n))? {
            Some(vals) => self.codec.out_list(py, &vals),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// A blocking list command's timeout (seconds), read as Redis reads it.
    fn timeout_arg(&self, t: &Bound<'_, PyAny>) -> PyResult<Option<std::time::Duration>> {
        parse_timeout(&self.codec, t)
    }

    /// BLPOP/BRPOP: served at once, without building a waiter, when data is there.
    fn bpop<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, timeout: Option<&Bound<'py, PyAny>>, end: End) -> PyResult<Bound<'py, PyAny>> {
        match self.bpop_now(py, keys, timeout, end)? {
            Ok(ready) => Ok(ready),
            Err(spec) => block_sync(py, &spec),
        }
    }

    /// The first attempt of BLPOP/BRPOP: the reply if a key had data, else the spec to wait
    /// with. The timeout is checked first, as Redis checks it.
    fn bpop_now<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, timeout: Option<&Bound<'py, PyAny>>, end: End) -> PyResult<Result<Bound<'py, PyAny>, BlockSpec>> {
        let raw_timeout = timeout;
        let timeout = match timeout {
            Some(t) if !t.is_none() => self.timeout_arg(t)?,
            _ => None,
        };
        // The attempt counts as the call (a wait that follows is not another), as Redis
        // counts a blocked command once. Timed as a fast command: the attempt is O(1).
        let row = if end == End::Left { cmd_row!("blpop") } else { cmd_row!("brpop") };
        let word: &[u8] = if end == End::Left { b"BLPOP" } else { b"BRPOP" };
        let timeout_word = || raw_timeout.filter(|t| !t.is_none()).map_or_else(|| "0".to_owned(), ToString::to_string).into_bytes();
        // One key, the common case: try it borrowed, no vectors.
        if keys.is_instance_of::<PyBytes>() || keys.is_instance_of::<PyString>() {
            let key = self.key(keys)?;
            let argv = || vec![word.to_vec(), key.to_vec(), timeout_word()];
            // With one key, BLPOP's attempt is LPOP's (Redis serves both through
            // `listPopRangeAndReplyWithKey`): `try_serve` without building a key list.
            let origin = super::observe::origin();
            let attempt = command::call_typed_timed(&self.engine, row, true, self.db(), origin, argv, |ks, db| command::pop_from(ks, db, &key, end));
            if let Some(v) = attempt.py_err()? {
                return Ok(Ok(PyTuple::new(py, [self.codec.out(py, &key)?, self.codec.out(py, &v)?])?.into_any()));
            }
            let keys = vec![Key::from(key.as_ref())];
            return Ok(Err(self.spec(keys, BlockOp::Pop { end }, timeout)));
        }
        let keys = self.keys_vec(keys, &PyTuple::empty(py))?;
        let op = BlockOp::Pop { end };
        let argv = || {
            let mut v = vec![word.to_vec()];
            v.extend(keys.iter().map(|k| k.to_vec()));
            v.push(timeout_word());
            v
        };
        let origin = super::observe::origin();
        let attempt = command::call_typed_timed(&self.engine, row, true, self.db(), origin, argv, |ks, db| command::try_serve(ks, db, &keys, &op));
        if let Some(served) = attempt.py_err()? {
            return Ok(Ok(served_to_py(py, &self.codec, served)?));
        }
        Ok(Err(self.spec(keys, op, timeout)))
    }
}

#[pymethods]
impl PyBroker {
    /// Push ``values`` onto the head of the list ``name``; returns the new length.
    #[pyo3(signature = (name, *values))]
    fn lpush<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, values: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.push(py, name, values, End::Left, false)
    }

    /// Push ``values`` onto the tail of the list ``name``; returns the new length.
    #[pyo3(signature = (name, *values))]
    fn rpush<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, values: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.push(py, name, values, End::Right, false)
    }

    /// Push ``values`` onto the head of ``name`` only if the list exists.
    #[pyo3(signature = (name, *values))]
    fn lpushx<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, values: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.push(py, name, values, End::Left, true)
    }

    /// Push ``values`` onto the tail of ``name`` only if the list exists.
    #[pyo3(signature = (name, *values))]
    fn rpushx<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, values: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.push(py, name, values, End::Right, true)
    }

    /// Remove and return the first element of ``name`` (a list of up to ``count`` if given).
    #[pyo3(signature = (name, count = None))]
    fn lpop<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.pop(py, name, count, End::Left)
    }

    /// Remove and return the last element of ``name`` (a list of up to ``count`` if given).
    #[pyo3(signature = (name, count = None))]
    fn rpop<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.pop(py, name, count, End::Right)
    }

    /// The length of the list ``name`` (0 if missing).
    fn llen(&self, name: &Bound<'_, PyAny>) -> PyResult<usize> {
        self.born.check()?;
        let key = self.key(name)?;
        let argv = || vec![&b"LLEN"[..], &key];
        self.typed(cmd_row!("llen"), argv, |ks, db| command::llen_of(ks, db, &key))
    }

    /// Elements ``start`` to ``end`` (inclusive; negative counts from the tail).
    fn lrange<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, start: &Bound<'py, PyAny>, end: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("LRANGE"), A(name), A(start), A(end)])
    }

    /// The element at ``index``, or None.
    fn lindex<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, index: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("LINDEX"), A(name), A(index)])
    }

    /// Set the element at ``index`` to ``value``; True.
    fn lset<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, index: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("LSET"), A(name), A(index), A(value)])
    }

    /// Insert ``value`` before or after (``where``) the first ``refvalue``; the new length,
    /// -1 if ``refvalue`` is absent, 0 if the list is.
    #[pyo3(signature = (name, r#where, refvalue, value))]
    fn linsert<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, r#where: &Bound<'py, PyAny>, refvalue: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("LINSERT"), A(name), A(r#where), A(refvalue), A(value)])
    }

    /// Remove ``count`` occurrences of ``value`` (>0 from the head, <0 from the tail, 0 all).
    fn lrem<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, count: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("LREM"), A(name), A(count), A(value)])
    }

    /// Keep only elements ``start`` to ``end``; True.
    fn ltrim<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, start: &Bound<'py, PyAny>, end: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("LTRIM"), A(name), A(start), A(end)])
    }

    /// The index of ``value`` in the list (a list of indexes with ``count``).
    #[pyo3(signature = (name, value, rank = None, count = None, maxlen = None))]
    fn lpos<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>, rank: Option<&Bound<'py, PyAny>>, count: Option<&Bound<'py, PyAny>>, maxlen: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut parts = vec![W("LPOS"), A(name), A(value)];
        for (word, arg) in [("RANK", rank), ("COUNT", count), ("MAXLEN", maxlen)] {
            if let Some(a) = arg.filter(|a| !a.is_none()) {
                parts.extend([W(word), A(a)]);
            }
        }
        self.command(py, &parts)
    }

    /// Atomically pop from ``src`` end of ``first_list`` and push to ``dest`` end of
    /// ``second_list``; the element, or None.
    #[pyo3(signature = (first_list, second_list, src = "LEFT", dest = "RIGHT"))]
    fn lmove<'py>(&self, py: Python<'py>, first_list: &Bound<'py, PyAny>, second_list: &Bound<'py, PyAny>, src: &str, dest: &str) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("LMOVE"), A(first_list), A(second_list), S(src), S(dest)])
    }

    /// RPOP from ``src`` and LPUSH onto ``dst``, atomically.
    fn rpoplpush<'py>(&self, py: Python<'py>, src: &Bound<'py, PyAny>, dst: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("RPOPLPUSH"), A(src), A(dst)])
    }

    /// Pop up to ``count`` elements from the first non-empty list of ``args``:
    /// ``[key, [elements]]`` or None.
    #[pyo3(signature = (num_keys, *args, direction, count = Some(1)))]
    fn lmpop<'py>(&self, py: Python<'py>, num_keys: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>, direction: &Bound<'py, PyAny>, count: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let items: Vec<Bound<'py, PyAny>> = args.iter().collect();
        let count_obj = count.into_pyobject(py)?;
        let mut parts = vec![W("LMPOP"), A(num_keys)];
        parts.extend(items.iter().map(A));
        parts.push(A(direction));
        if count != Some(1) {
            parts.extend([W("COUNT"), A(&count_obj)]);
        }
        self.command(py, &parts)
    }

    /// Block until one of ``keys`` has an element, then pop it from the head:
    /// ``(key, element)``, or None after ``timeout`` seconds (0 or None: forever).
    ///
    /// Waits without the GIL and without polling; Ctrl-C raises KeyboardInterrupt, and an
    /// element handed over meanwhile goes back to its list.
    #[pyo3(signature = (keys, timeout = None))]
    fn blpop<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, timeout: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.bpop(py, keys, timeout, End::Left)
    }

    /// As ``blpop``, from the tail.
    #[pyo3(signature = (keys, timeout = None))]
    fn brpop<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, timeout: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.bpop(py, keys, timeout, End::Right)
    }

    /// Blocking ``lmove``: waits up to ``timeout`` seconds for ``first_list`` to have an
    /// element (the reliable-queue pattern). If ``second_list`` holds another type when
    /// the element comes, raises ``ResponseError`` (WRONGTYPE) and leaves it in
    /// ``first_list``, as Redis does.
    #[pyo3(signature = (first_list, second_list, timeout, src = "LEFT", dest = "RIGHT"))]
    fn blmove<'py>(&self, py: Python<'py>, first_list: &Bound<'py, PyAny>, second_list: &Bound<'py, PyAny>, timeout: &Bound<'py, PyAny>, src: &str, dest: &str) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let spec = self._blmove_spec(first_list, second_list, timeout, src, dest)?;
        block_sync(py, &spec)
    }

    /// Blocking ``rpoplpush``.
    #[pyo3(signature = (src, dst, timeout = None))]
    fn brpoplpush<'py>(&self, py: Python<'py>, src: &Bound<'py, PyAny>, dst: &Bound<'py, PyAny>, timeout: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let t = opt_timeout(py, timeout);
        self.command(py, &[W("BRPOPLPUSH"), A(src), A(dst), A(&t)])
    }

    /// Blocking ``lmpop``.
    #[pyo3(signature = (timeout, numkeys, *args, direction, count = Some(1)))]
    fn blmpop<'py>(&self, py: Python<'py>, timeout: &Bound<'py, PyAny>, numkeys: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>, direction: &Bound<'py, PyAny>, count: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let spec = self._blmpop_spec(timeout, numkeys, args, direction, count)?;
        block_sync(py, &spec)
    }

    /// For the asyncio twin of ``blpop``/``brpop``: the reply if data is there now, else
    /// the spec to await.
    #[pyo3(signature = (keys, timeout, left))]
    fn _bpop<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, timeout: Option<&Bound<'py, PyAny>>, left: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let end = if left { End::Left } else { End::Right };
        match self.bpop_now(py, keys, timeout, end)? {
            Ok(ready) => Ok(ready),
            Err(spec) => Ok(Bound::new(py, spec)?.into_any()),
        }
    }

    /// The spec of a ``blmove`` for the asyncio twin.
    #[pyo3(signature = (first_list, second_list, timeout, src = "LEFT", dest = "RIGHT"))]
    fn _blmove_spec(&self, first_list: &Bound<'_, PyAny>, second_list: &Bound<'_, PyAny>, timeout: &Bound<'_, PyAny>, src: &str, dest: &str) -> PyResult<BlockSpec> {
        self.born.check()?;
        self.blocking_spec(&[W("BLMOVE"), A(first_list), A(second_list), S(src), S(dest), A(timeout)])
    }

    /// The spec of a ``blmpop`` for the asyncio twin (redis-py always sends COUNT).
    #[pyo3(signature = (timeout, numkeys, args, direction, count))]
    fn _blmpop_spec(&self, timeout: &Bound<'_, PyAny>, numkeys: &Bound<'_, PyAny>, args: &Bound<'_, PyTuple>, direction: &Bound<'_, PyAny>, count: Option<i64>) -> PyResult<BlockSpec> {
        self.born.check()?;
        let py = timeout.py();
        let items: Vec<Bound<'_, PyAny>> = args.iter().collect();
        let count_obj = count.into_pyobject(py)?;
        let mut parts = vec![W("BLMPOP"), A(timeout), A(numkeys)];
        parts.extend(items.iter().map(A));
        parts.extend([A(direction), W("COUNT"), A(&count_obj)]);
        self.blocking_spec(&parts)
    }
}
