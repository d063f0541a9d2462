//! `Broker`'s sorted-set algebra methods (ZUNION, ZINTER, ZDIFF, their STORE forms,
//! ZINTERCARD), redis-py 8.2's signatures: each builds the words redis-py would send
//! (`_zaggregate` and friends) and runs them through the command table; `reply.rs` shapes
//! the reply (`zset_score_pairs…` callbacks). redis-py's own `DataError` is the only rule
//! here.

use pyo3::prelude::*;

use super::broker::{Part, PyBroker, A, I, W};
use super::errors::DataError;
use super::reply::Opts;

/// Python objects, in order.
type Objs<'py> = Vec<Bound<'py, PyAny>>;

/// The keys of `keys` (a sequence, or a mapping of key → weight) and, for a non-empty
/// mapping, the weights, as redis-py's `_zaggregate` reads them.
fn keys_and_weights<'py>(py: Python<'py>, keys: &Bound<'py, PyAny>) -> PyResult<(usize, Objs<'py>, Objs<'py>)> {
    let n = keys.len()?;
    let mapping = py.import("collections.abc")?.getattr("Mapping")?;
    if keys.is_instance(&mapping)? {
        let ks = keys.call_method0("keys")?.try_iter()?.collect::<PyResult<Vec<_>>>()?;
        let ws = keys.call_method0("values")?.try_iter()?.collect::<PyResult<Vec<_>>>()?;
        Ok((n, ks, ws))
    } else {
        Ok((n, keys.try_iter()?.collect::<PyResult<Vec<_>>>()?, Vec::new()))
    }
}

/// `_zaggregate`: `command [dest] len(keys) keys… [WEIGHTS w…] [AGGREGATE a] [WITHSCORES]`.
fn zaggregate<'py>(
    b: &PyBroker,
    py: Python<'py>,
    command: &'static str,
    dest: Option<&Bound<'py, PyAny>>,
    keys: &Bound<'py, PyAny>,
    aggregate: Option<&Bound<'py, PyAny>>,
    opts: &Opts,
) -> PyResult<Bound<'py, PyAny>> {
    let (n, ks, ws) = keys_and_weights(py, keys)?;
    let mut parts: Vec<Part<'_, 'py>> = vec![W(command)];
    parts.extend(dest.map(A));
    parts.push(I(i64::try_from(n).unwrap_or(i64::MAX)));
    parts.extend(ks.iter().map(A));
    if !ws.is_empty() {
        parts.push(W("WEIGHTS"));
        parts.extend(ws.iter().map(A));
    }
    let aggregate = aggregate.filter(|a| a.is_truthy().unwrap_or(false));
    if let Some(a) = aggregate {
        let up: String = a.call_method0("upper")?.extract()?;
        if !["SUM", "MIN", "MAX", "COUNT"].contains(&up.as_str()) {
            return Err(DataError::new_err("aggregate can be sum, min, max or count."));
        }
        parts.push(W("AGGREGATE"));
        parts.push(A(a));
    }
    if opts.withscores {
        parts.push(W("WITHSCORES"));
    }
    b.command_as(py, command, &parts, opts)
}

/// redis-py's `score_cast_func` kept for the callback; `float` (the default) is `None`.
fn cast(py: Python<'_>, f: Option<&Bound<'_, PyAny>>) -> Option<Py<PyAny>> {
    f.filter(|f| !f.is(py.get_type::<pyo3::types::PyFloat>())).map(|f| f.clone().unbind())
}

#[pymethods]
impl PyBroker {
    /// The union of the sorted sets (or sets, scoring 1) at ``keys``; ``keys`` may be a
    /// ``{key: weight}`` mapping. ``aggregate`` (``"SUM"``, ``"MIN"``, ``"MAX"``) combines
    /// a member's scores; ``withscores`` returns ``(member, score)`` tuples, scores through
    /// ``score_cast_func``.
    #[pyo3(signature = (keys, aggregate = None, withscores = false, score_cast_func = None))]
    fn zunion<'py>(
        &self,
        py: Python<'py>,
        keys: &Bound<'py, PyAny>,
        aggregate: Option<&Bound<'py, PyAny>>,
        withscores: bool,
        score_cast_func: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        zaggregate(self, py, "ZUNION", None, keys, aggregate, &Opts { withscores, score_cast: cast(py, score_cast_func), ..Opts::default() })
    }

    /// The intersection of the sorted sets (or sets) at ``keys`` (a sequence or a
    /// ``{key: weight}`` mapping), scores combined by ``aggregate``; ``withscores`` returns
    /// ``(member, score)`` tuples.
    #[pyo3(signature = (keys, aggregate = None, withscores = false))]
    fn zinter<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, aggregate: Option<&Bound<'py, PyAny>>, withscores: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        zaggregate(self, py, "ZINTER", None, keys, aggregate, &Opts { withscores, ..Opts::default() })
    }

    /// Store the union of the sorted sets (or sets) at ``keys`` (a sequence or a
    /// ``{key: weight}`` mapping) in ``dest``; the number of members stored.
    #[pyo3(signature = (dest, keys, aggregate = None))]
    fn zunionstore<'py>(&self, py: Python<'py>, dest: &Bound<'py, PyAny>, keys: &Bound<'py, PyAny>, aggregate: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        zaggregate(self, py, "ZUNIONSTORE", Some(dest), keys, aggregate, &Opts::default())
    }

    /// Store the intersection of the sorted sets (or sets) at ``keys`` (a sequence or a
    /// ``{key: weight}`` mapping) in ``dest``; the number of members stored.
    #[pyo3(signature = (dest, keys, aggregate = None))]
    fn zinterstore<'py>(&self, py: Python<'py>, dest: &Bound<'py, PyAny>, keys: &Bound<'py, PyAny>, aggregate: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        zaggregate(self, py, "ZINTERSTORE", Some(dest), keys, aggregate, &Opts::default())
    }

    /// The members of the first sorted set at ``keys`` found in none of the others;
    /// ``withscores`` returns them flat with their scores as RESP2 text (redis-py's shape).
    #[pyo3(signature = (keys, withscores = false))]
    fn zdiff<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, withscores: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let n = keys.len()?;
        let ks = keys.try_iter()?.collect::<PyResult<Vec<_>>>()?;
        let mut parts: Vec<Part<'_, 'py>> = vec![W("ZDIFF"), I(i64::try_from(n).unwrap_or(i64::MAX))];
        parts.extend(ks.iter().map(A));
        if withscores {
            parts.push(W("WITHSCORES"));
        }
        self.command_as(py, "ZDIFF", &parts, &Opts { withscores, ..Opts::default() })
    }

    /// Store in ``dest`` the members of the first sorted set at ``keys`` found in none of
    /// the others; the number stored.
    fn zdiffstore<'py>(&self, py: Python<'py>, dest: &Bound<'py, PyAny>, keys: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let n = keys.len()?;
        let ks = keys.try_iter()?.collect::<PyResult<Vec<_>>>()?;
        let mut parts: Vec<Part<'_, 'py>> = vec![W("ZDIFFSTORE"), A(dest), I(i64::try_from(n).unwrap_or(i64::MAX))];
        parts.extend(ks.iter().map(A));
        self.command(py, &parts)
    }

    /// The size of the intersection of the ``numkeys`` sorted sets (or sets) at ``keys``;
    /// counting stops at ``limit`` (0: no limit).
    #[pyo3(signature = (numkeys, keys, limit = None))]
    fn zintercard<'py>(&self, py: Python<'py>, numkeys: &Bound<'py, PyAny>, keys: &Bound<'py, PyAny>, limit: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let ks = keys.try_iter()?.collect::<PyResult<Vec<_>>>()?;
        let mut parts: Vec<Part<'_, 'py>> = vec![W("ZINTERCARD"), A(numkeys)];
        parts.extend(ks.iter().map(A));
        parts.push(W("LIMIT"));
        parts.push(limit.map_or(I(0), A));
        self.command(py, &parts)
    }
}
