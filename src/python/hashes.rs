//! `Broker`'s hash methods, redis-py 8.2's signatures: each builds the words redis-py would
//! send and runs them through the command table; the reply is shaped by `apply_callback`.
//! redis-py's own argument checks (its `DataError`s) are the only rules here.

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::broker::{Part, PyBroker, A, I, W};
use super::convert::keys_arg;
use super::errors::DataError;

/// The truthiness of an optional argument (`not mapping` in redis-py).
fn truthy(o: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
    match o {
        None => Ok(false),
        Some(o) => o.is_truthy(),
    }
}

#[pymethods]
impl PyBroker {
    /// Set ``key`` to ``value`` within hash ``name``; ``mapping`` adds a dict of pairs and
    /// ``items`` a flat list of field, value, …. Returns the number of fields added.
    #[pyo3(signature = (name, key = None, value = None, mapping = None, items = None))]
    fn hset<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        key: Option<&Bound<'py, PyAny>>,
        value: Option<&Bound<'py, PyAny>>,
        mapping: Option<&Bound<'py, PyAny>>,
        items: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let key = key.filter(|k| !k.is_none());
        if key.is_none() && !truthy(mapping)? && !truthy(items)? {
            return Err(DataError::new_err("'hset' with no key value pairs"));
        }
        let mut pieces: Vec<Bound<'py, PyAny>> = Vec::new();
        if let Some(items) = items.filter(|i| i.is_truthy().unwrap_or(false)) {
            for it in items.try_iter()? {
                pieces.push(it?);
            }
        }
        if let Some(k) = key {
            pieces.push(k.clone());
            pieces.push(value.cloned().unwrap_or_else(|| py.None().into_bound(py)));
        }
        if let Some(m) = mapping.filter(|m| m.is_truthy().unwrap_or(false)) {
            for pair in m.call_method0("items")?.try_iter()? {
                let pair = pair?;
                pieces.push(pair.get_item(0)?);
                pieces.push(pair.get_item(1)?);
            }
        }
        let mut parts = vec![W("HSET"), A(name)];
        parts.extend(pieces.iter().map(A));
        self.command(py, &parts)
    }

    /// Set ``key`` to ``value`` within hash ``name`` if ``key`` does not exist; 1 if it was
    /// created, else 0.
    fn hsetnx<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, key: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("HSETNX"), A(name), A(key), A(value)])
    }

    /// Set every field/value of ``mapping`` in hash ``name`` (HMSET, deprecated by Redis
    /// since 4.0 in favour of ``hset(name, mapping=...)``); True.
    fn hmset<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, mapping: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        if !mapping.is_truthy()? {
            return Err(DataError::new_err("'hmset' with 'mapping' of length 0"));
        }
        let mut pieces: Vec<Bound<'py, PyAny>> = Vec::new();
        for pair in mapping.call_method0("items")?.try_iter()? {
            let pair = pair?;
            pieces.push(pair.get_item(0)?);
            pieces.push(pair.get_item(1)?);
        }
        let mut parts = vec![W("HMSET"), A(name)];
        parts.extend(pieces.iter().map(A));
        self.command(py, &parts)
    }

    /// The value of ``key`` within hash ``name``, or None.
    fn hget<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("HGET"), A(name), A(key)])
    }

    /// The values of ``keys`` (a field, or an iterable of fields, plus ``args``) within hash
    /// ``name``, in order; None for a missing one.
    #[pyo3(signature = (name, keys, *args))]
    fn hmget<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, keys: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let fields = keys_arg(keys, args)?;
        let mut parts = vec![W("HMGET"), A(name)];
        parts.extend(fields.iter().map(A));
        self.command(py, &parts)
    }

    /// Every field and value of hash ``name``, as a dict.
    fn hgetall<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("HGETALL"), A(name)])
    }

    /// Delete ``keys`` from hash ``name``; the number deleted.
    #[pyo3(signature = (name, *keys))]
    fn hdel<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, keys: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let fields: Vec<Bound<'py, PyAny>> = keys.iter().collect();
        let mut parts = vec![W("HDEL"), A(name)];
        parts.extend(fields.iter().map(A));
        self.command(py, &parts)
    }

    /// Whether ``key`` exists within hash ``name``.
    fn hexists<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("HEXISTS"), A(name), A(key)])
    }

    /// The number of fields in hash ``name``.
    fn hlen<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("HLEN"), A(name)])
    }

    /// The length of the value of ``key`` within hash ``name`` (0 if missing).
    fn hstrlen<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("HSTRLEN"), A(name), A(key)])
    }

    /// The fields of hash ``name``.
    fn hkeys<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("HKEYS"), A(name)])
    }

    /// The values of hash ``name``.
    fn hvals<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("HVALS"), A(name)])
    }

    /// Increment the integer value of ``key`` in hash ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, key, amount = None))]
    fn hincrby<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, key: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        match amount {
            Some(a) => self.command(py, &[W("HINCRBY"), A(name), A(key), A(a)]),
            None => self.command(py, &[W("HINCRBY"), A(name), A(key), I(1)]),
        }
    }

    /// Increment the float value of ``key`` in hash ``name`` by ``amount``; the new value,
    /// a float.
    #[pyo3(signature = (name, key, amount = None))]
    fn hincrbyfloat<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, key: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let one = 1.0f64.into_pyobject(py)?.into_any();
        self.command(py, &[W("HINCRBYFLOAT"), A(name), A(key), A(amount.unwrap_or(&one))])
    }

    /// A random field of hash ``key`` (None if missing); with ``count``, a list of up to
    /// ``count`` distinct fields (or ``-count`` that may repeat); ``withvalues`` interleaves
    /// each field's value.
    #[pyo3(signature = (key, count = None, withvalues = false))]
    fn hrandfield<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>, withvalues: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut parts: Vec<Part<'_, 'py>> = vec![W("HRANDFIELD"), A(key)];
        if let Some(c) = count.filter(|c| !c.is_none()) {
            parts.push(A(c));
        }
        if withvalues {
            parts.push(W("WITHVALUES"));
        }
        self.command(py, &parts)
    }

    /// One HSCAN step over hash ``name``: ``(next cursor, {field: value})``; cursor 0 ends.
    #[pyo3(signature = (name, cursor = None, r#match = None, count = None, no_values = None))]
    fn hscan<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        cursor: Option<&Bound<'py, PyAny>>,
        r#match: Option<&Bound<'py, PyAny>>,
        count: Option<&Bound<'py, PyAny>>,
        no_values: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let zero = 0i64.into_pyobject(py)?.into_any();
        let mut parts = vec![W("HSCAN"), A(name), A(cursor.unwrap_or(&zero))];
        for (word, arg) in [("MATCH", r#match), ("COUNT", count)] {
            if let Some(a) = arg.filter(|a| !a.is_none()) {
                parts.extend([W(word), A(a)]);
            }
        }
        // redis-py sends NOVALUES (Redis 7.4); Redis 7.0 answers it with a syntax error.
        if truthy(no_values)? {
            parts.push(W("NOVALUES"));
        }
        self.command(py, &parts)
    }
}
