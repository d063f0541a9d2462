//! The set methods of `Broker` (SADD … SSCAN), with redis-py 8.2's signatures: each builds
//! the command line redis-py would send and runs it through the command table; the reply
//! takes redis-py's shape in `apply_callback` (a Python set for SMEMBERS/SINTER/SUNION/
//! SDIFF, a bool for SMOVE, `(cursor, list)` for SSCAN, the raw reply otherwise).

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::broker::{PyBroker, Part, A, W};
use super::convert::keys_arg;

/// `[W(cmd), A(key)...]` for the commands that take `keys, *args` (redis-py's
/// `list_or_args`), after an optional destination.
fn keys_line<'a, 'py>(cmd: &'static str, dest: Option<&'a Bound<'py, PyAny>>, keys: &'a [Bound<'py, PyAny>]) -> Vec<Part<'a, 'py>> {
    let mut parts = vec![W(cmd)];
    parts.extend(dest.map(A));
    parts.extend(keys.iter().map(A));
    parts
}

#[pymethods]
impl PyBroker {
    /// Add ``values`` to the set ``name``; returns how many were new.
    #[pyo3(signature = (name, *values))]
    fn sadd<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, values: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let items: Vec<Bound<'py, PyAny>> = values.iter().collect();
        let mut parts = vec![W("SADD"), A(name)];
        parts.extend(items.iter().map(A));
        self.command(py, &parts)
    }

    /// Remove ``values`` from the set ``name``; returns how many were there.
    #[pyo3(signature = (name, *values))]
    fn srem<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, values: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let items: Vec<Bound<'py, PyAny>> = values.iter().collect();
        let mut parts = vec![W("SREM"), A(name)];
        parts.extend(items.iter().map(A));
        self.command(py, &parts)
    }

    /// Every member of the set ``name``, as a Python set.
    fn smembers<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("SMEMBERS"), A(name)])
    }

    /// 1 if ``value`` is a member of the set ``name``, else 0.
    fn sismember<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("SISMEMBER"), A(name), A(value)])
    }

    /// For each of ``values`` (a list, and/or more arguments), 1 if it is a member of the
    /// set ``name``, else 0.
    #[pyo3(signature = (name, values, *args))]
    fn smismember<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, values: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let items = keys_arg(values, args)?;
        let mut parts = vec![W("SMISMEMBER"), A(name)];
        parts.extend(items.iter().map(A));
        self.command(py, &parts)
    }

    /// The number of members of the set ``name``.
    fn scard<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("SCARD"), A(name)])
    }

    /// Remove and return a random member of ``name`` (None if there is none), or a list of
    /// up to ``count`` of them.
    #[pyo3(signature = (name, count = None))]
    fn spop<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut parts = vec![W("SPOP"), A(name)];
        parts.extend(count.filter(|c| !c.is_none()).map(A));
        self.command(py, &parts)
    }

    /// A random member of ``name`` (None if there is none), or a list of ``number``
    /// distinct members (with repeats when ``number`` is negative).
    #[pyo3(signature = (name, number = None))]
    fn srandmember<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, number: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut parts = vec![W("SRANDMEMBER"), A(name)];
        parts.extend(number.filter(|c| !c.is_none()).map(A));
        self.command(py, &parts)
    }

    /// Move ``value`` from the set ``src`` to the set ``dst``; whether it moved.
    fn smove<'py>(&self, py: Python<'py>, src: &Bound<'py, PyAny>, dst: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("SMOVE"), A(src), A(dst), A(value)])
    }

    /// The members common to the sets ``keys`` (and ``args``), as a Python set.
    #[pyo3(signature = (keys, *args))]
    fn sinter<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let keys = keys_arg(keys, args)?;
        self.command(py, &keys_line("SINTER", None, &keys))
    }

    /// The size of the intersection of the ``numkeys`` sets ``keys``, counting stops at
    /// ``limit`` (0: no limit).
    #[pyo3(signature = (numkeys, keys, limit = None))]
    fn sintercard<'py>(&self, py: Python<'py>, numkeys: &Bound<'py, PyAny>, keys: &Bound<'py, PyAny>, limit: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        // redis-py sends `*keys` (whatever iterating `keys` gives) and always a LIMIT.
        let items: Vec<Bound<'py, PyAny>> = keys.try_iter()?.collect::<PyResult<_>>()?;
        let zero = 0i64.into_pyobject(py)?.into_any();
        let limit = limit.unwrap_or(&zero);
        let mut parts = vec![W("SINTERCARD"), A(numkeys)];
        parts.extend(items.iter().map(A));
        parts.extend([W("LIMIT"), A(limit)]);
        self.command(py, &parts)
    }

    /// Store the intersection of the sets ``keys`` (and ``args``) at ``dest``; its size.
    #[pyo3(signature = (dest, keys, *args))]
    fn sinterstore<'py>(&self, py: Python<'py>, dest: &Bound<'py, PyAny>, keys: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let keys = keys_arg(keys, args)?;
        self.command(py, &keys_line("SINTERSTORE", Some(dest), &keys))
    }

    /// The members of any of the sets ``keys`` (and ``args``), as a Python set.
    #[pyo3(signature = (keys, *args))]
    fn sunion<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let keys = keys_arg(keys, args)?;
        self.command(py, &keys_line("SUNION", None, &keys))
    }

    /// Store the union of the sets ``keys`` (and ``args``) at ``dest``; its size.
    #[pyo3(signature = (dest, keys, *args))]
    fn sunionstore<'py>(&self, py: Python<'py>, dest: &Bound<'py, PyAny>, keys: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let keys = keys_arg(keys, args)?;
        self.command(py, &keys_line("SUNIONSTORE", Some(dest), &keys))
    }

    /// The members of the first of the sets ``keys`` (and ``args``) that are in none of
    /// the others, as a Python set.
    #[pyo3(signature = (keys, *args))]
    fn sdiff<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let keys = keys_arg(keys, args)?;
        self.command(py, &keys_line("SDIFF", None, &keys))
    }

    /// Store the difference of the sets ``keys`` (and ``args``) at ``dest``; its size.
    #[pyo3(signature = (dest, keys, *args))]
    fn sdiffstore<'py>(&self, py: Python<'py>, dest: &Bound<'py, PyAny>, keys: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let keys = keys_arg(keys, args)?;
        self.command(py, &keys_line("SDIFFSTORE", Some(dest), &keys))
    }

    /// One step of iterating the set ``name``: ``(next_cursor, members)``; the iteration
    /// is over when the cursor comes back 0. ``match`` filters by glob pattern, ``count``
    /// hints how many members a step visits. See ``sscan_iter``.
    #[pyo3(signature = (name, cursor = None, r#match = None, count = None))]
    fn sscan<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        cursor: Option<&Bound<'py, PyAny>>,
        r#match: Option<&Bound<'py, PyAny>>,
        count: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let zero = 0i64.into_pyobject(py)?.into_any();
        let cursor = cursor.unwrap_or(&zero);
        let mut parts = vec![W("SSCAN"), A(name), A(cursor)];
        if let Some(m) = r#match.filter(|m| !m.is_none()) {
            parts.extend([W("MATCH"), A(m)]);
        }
        if let Some(c) = count.filter(|c| !c.is_none()) {
            parts.extend([W("COUNT"), A(c)]);
        }
        self.command(py, &parts)
    }
}
