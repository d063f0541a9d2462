//! The stream methods of `Broker` (XADD, XLEN, XRANGE, XDEL, XTRIM, XREAD, XACK; consumer
//! groups are `stream_groups.rs`), the way redis-py implements them: its client-side
//! checks (DataError with its words) and the command line it would send (`argv.rs`), run
//! by the generic runner (`command_as`) and shaped by redis-py's callbacks (`reply.rs`).
//! XACK and the ready path of XREAD/XREADGROUP call the command layer's typed functions;
//! with BLOCK and nothing there, they wait through the engine (`wait.rs`).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyList, PyString, PyTuple};

use super::argv::{some, str_of, Part, A, W};
use super::broker::{cmd_row, PyBroker};
use super::convert::slices;
use super::errors::{DataError, IntoPy};
use super::reply::{served_to_py, Opts};
use super::wait::{block_sync, BlockSpec};
use crate::command;

/// An argument whose redis-py default is not None (`xadd`'s `id="*"`): `Omitted` when the
/// caller left it out, else the object as given, None included (which redis-py sends on,
/// and its encoder refuses). An `Option` cannot tell the two apart.
pub(crate) enum Arg<'py> {
    /// Not passed: the default applies.
    Omitted,
    /// Passed, possibly as None.
    Given(Bound<'py, PyAny>),
}

impl<'a, 'py> FromPyObject<'a, 'py> for Arg<'py> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(Arg::Given(obj.to_owned()))
    }
}

// ---------------------------------------------------------------------------------------
// Client-side checks, as redis-py's
// ---------------------------------------------------------------------------------------

/// `isinstance(o, int)` (bool included, as in Python).
pub(crate) fn is_int(o: &Bound<'_, PyAny>) -> bool {
    o.is_instance_of::<PyInt>()
}

/// `o < n` for a Python int (false for anything else).
pub(crate) fn int_below(o: &Bound<'_, PyAny>, n: i64) -> PyResult<bool> {
    o.lt(n)
}

/// redis-py's `try: if int(o) < 0: raise DataError(msg) except TypeError: pass`: `false`
/// when `int(o)` raises TypeError (None…), an error for a negative value; ValueError from
/// `int()` propagates as in redis-py.
pub(crate) fn nonnegative_or_skip(o: Option<&Bound<'_, PyAny>>, msg: &'static str) -> PyResult<bool> {
    let Some(o) = o else { return Ok(false) };
    let py = o.py();
    match py.get_type::<PyInt>().call1((o,)) {
        Ok(n) => {
            if n.lt(0)? {
                return Err(DataError::new_err(msg));
            }
            Ok(true)
        }
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyTypeError>(py) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `None` for an absent or None argument.
/// The reference policies redis-py accepts (Redis 8.2+; Redis 7.0 refuses them).
pub(crate) fn check_ref_policy(p: Option<&Bound<'_, PyAny>>, msg: &'static str) -> PyResult<()> {
    if let Some(p) = some(p) {
        let ok = p.extract::<String>().is_ok_and(|s| matches!(s.as_str(), "KEEPREF" | "DELREF" | "ACKED"));
        if !ok {
            return Err(DataError::new_err(msg));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The methods (called by the `#[pymethods]` of broker.rs)
// ---------------------------------------------------------------------------------------

/// `xadd`: redis-py's checks in its order, all before any argument is encoded (its
/// encoder runs last, in `execute_command`), then the line it sends.
#[allow(clippy::too_many_arguments)]
pub(crate) fn xadd<'py>(
    b: &PyBroker,
    py: Python<'py>,
    name: &Bound<'py, PyAny>,
    fields: &Bound<'py, PyAny>,
    id: Arg<'py>,
    maxlen: Option<&Bound<'py, PyAny>>,
    approximate: bool,
    nomkstream: bool,
    minid: Option<&Bound<'py, PyAny>>,
    limit: Option<&Bound<'py, PyAny>>,
    ref_policy: Option<&Bound<'py, PyAny>>,
    idmpauto: Option<&Bound<'py, PyAny>>,
    idmp: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let (maxlen, minid, limit) = (some(maxlen), some(minid), some(limit));
    let (idmpauto, idmp) = (some(idmpauto), some(idmp));
    if maxlen.is_some() && minid.is_some() {
        return Err(DataError::new_err("Only one of ```maxlen``` or ```minid``` may be specified"));
    }
    if idmpauto.is_some() && idmp.is_some() {
        return Err(DataError::new_err("Only one of ```idmpauto``` or ```idmp``` may be specified"));
    }
    let id = match id {
        Arg::Omitted => PyString::new(py, "*").into_any(),
        Arg::Given(obj) => obj,
    };
    if (idmpauto.is_some() || idmp.is_some()) && !id.eq("*")? {
        return Err(DataError::new_err("IDMPAUTO and IDMP can only be used with id='*'"));
    }
    check_ref_policy(ref_policy, "XADD ref_policy must be one of: KEEPREF, DELREF, ACKED")?;
    let idmp_items = match idmp {
        Some(t) => {
            let Some(pair) = t.cast::<PyTuple>().ok().filter(|t| t.len() == 2) else {
                return Err(DataError::new_err("XADD idmp must be a tuple of (producer_id, idempotent_id)"));
            };
            Some([pair.get_item(0)?, pair.get_item(1)?])
        }
        None => None,
    };
    if let Some(m) = maxlen {
        if !is_int(m) || int_below(m, 0)? {
            return Err(DataError::new_err("XADD maxlen must be non-negative integer"));
        }
    }
    let Some(fields) = fields.cast::<PyDict>().ok().filter(|d| !d.is_empty()) else {
        return Err(DataError::new_err("XADD fields must be a non-empty dict"));
    };
    let items: Vec<Bound<'py, PyAny>> = fields.iter().flat_map(|(k, v)| [k, v]).collect();
    let mut line = vec![W("XADD")];
    line.push(A(name));
    if nomkstream {
        line.push(W("NOMKSTREAM"));
    }
    if let Some(p) = some(ref_policy) {
        line.push(A(p));
    }
    if let Some(p) = idmpauto {
        line.push(W("IDMPAUTO"));
        line.push(A(p));
    }
    if let Some([producer, idempotent]) = &idmp_items {
        line.push(W("IDMP"));
        line.push(A(producer));
        line.push(A(idempotent));
    }
    if let Some(m) = maxlen {
        line.push(W("MAXLEN"));
        if approximate {
            line.push(W("~"));
        }
        line.push(str_of(m)?);
    }
    if let Some(m) = minid {
        line.push(W("MINID"));
        if approximate {
            line.push(W("~"));
        }
        line.push(A(m));
    }
    if let Some(l) = limit {
        line.push(W("LIMIT"));
        line.push(A(l));
    }
    line.push(A(&id));
    for item in &items {
        line.push(A(item));
    }
    b.command_as(py, "XADD", &line, &Opts::default())
}

/// A line of `name` followed by `args`, run with `name`'s callback.
pub(crate) fn simple<'py>(b: &PyBroker, py: Python<'py>, name: &'static str, args: &[&Bound<'py, PyAny>], rest: Option<&Bound<'py, PyTuple>>) -> PyResult<Bound<'py, PyAny>> {
    let mut line: Vec<Part<'_, 'py>> = name.split(' ').map(W).collect();
    for a in args {
        line.push(A(a));
    }
    let more: Vec<Bound<'py, PyAny>> = rest.map(|t| t.iter().collect()).unwrap_or_default();
    for a in &more {
        line.push(A(a));
    }
    b.command_as(py, name, &line, &Opts::default())
}

/// `xlen`.
pub(crate) fn xlen<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    simple(b, py, "XLEN", &[name], None)
}

/// `xdel`.
pub(crate) fn xdel<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, ids: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
    simple(b, py, "XDEL", &[name], Some(ids))
}

/// `xack`.
///
/// Straight to the command's body (`command::xack_words`), without a command line: a
/// consumer acknowledges every batch it reads. With no ID, the line goes through
/// `dispatch` for Redis's arity error.
pub(crate) fn xack<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, group: &Bound<'py, PyAny>, ids: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
    if ids.is_empty() {
        return simple(b, py, "XACK", &[name, group], Some(ids));
    }
    let key = b.codec.encode(name)?;
    let group = b.codec.encode(group)?;
    let objs: Vec<Bound<'py, PyAny>> = ids.iter().collect();
    let ids = b.codec.encode_all(&objs)?;
    let ids = slices(&ids);
    let argv = || [&[&b"XACK"[..], &key, &group][..], &ids].concat();
    let acked = b.typed(cmd_row!("xack"), argv, |ks, db| command::xack_words(ks, db, &key, &group, &ids))?;
    Ok(acked.into_pyobject(py)?.into_any())
}

/// `xrange` (`rev == false`, arguments `min, max`) and `xrevrange` (`max, min`).
pub(crate) fn xrange<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, first: Option<&Bound<'py, PyAny>>, second: Option<&Bound<'py, PyAny>>, count: Option<&Bound<'py, PyAny>>, rev: bool) -> PyResult<Bound<'py, PyAny>> {
    let cmd = if rev { "XREVRANGE" } else { "XRANGE" };
    let (d1, d2) = if rev { ("+", "-") } else { ("-", "+") };
    let (d1, d2) = (PyString::new(py, d1).into_any(), PyString::new(py, d2).into_any());
    let mut line = vec![W(cmd)];
    line.push(A(name));
    line.push(A(first.unwrap_or(&d1)));
    line.push(A(second.unwrap_or(&d2)));
    if let Some(c) = some(count) {
        if !is_int(c) || int_below(c, 1)? {
            let msg = if rev { "XREVRANGE count must be a positive integer" } else { "XRANGE count must be a positive integer" };
            return Err(DataError::new_err(msg));
        }
        line.push(W("COUNT"));
        line.push(str_of(c)?);
    }
    b.command_as(py, cmd, &line, &Opts::default())
}

/// `xtrim`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn xtrim<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, maxlen: Option<&Bound<'py, PyAny>>, approximate: bool, minid: Option<&Bound<'py, PyAny>>, limit: Option<&Bound<'py, PyAny>>, ref_policy: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
    let (maxlen, minid, limit) = (some(maxlen), some(minid), some(limit));
    if maxlen.is_some() && minid.is_some() {
        return Err(DataError::new_err("Only one of ``maxlen`` or ``minid`` may be specified"));
    }
    if maxlen.is_none() && minid.is_none() {
        return Err(DataError::new_err("One of ``maxlen`` or ``minid`` must be specified"));
    }
    check_ref_policy(ref_policy, "XTRIM ref_policy must be one of: KEEPREF, DELREF, ACKED")?;
    let mut line = vec![W("XTRIM")];
    line.push(A(name));
    line.push(W(if maxlen.is_some() { "MAXLEN" } else { "MINID" }));
    if approximate {
        line.push(W("~"));
    }
    if let Some(v) = maxlen.or(minid) {
        line.push(A(v));
    }
    if let Some(l) = limit {
        line.push(W("LIMIT"));
        line.push(A(l));
    }
    if let Some(p) = some(ref_policy) {
        line.push(A(p));
    }
    b.command_as(py, "XTRIM", &line, &Opts::default())
}

/// Adds `STREAMS keys… ids…` from redis-py's `streams` dict.
fn add_streams<'a, 'py>(line: &mut Vec<Part<'a, 'py>>, items: &'a [(Bound<'py, PyAny>, Bound<'py, PyAny>)]) -> PyResult<()> {
    line.push(W("STREAMS"));
    for (k, _) in items {
        line.push(A(k));
    }
    for (_, v) in items {
        line.push(A(v));
    }
    Ok(())
}

/// The dict's items, or redis-py's DataError when `streams` is not a non-empty dict.
fn stream_items<'py>(streams: &Bound<'py, PyAny>, msg: &'static str) -> PyResult<Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
    let Some(d) = streams.cast::<PyDict>().ok().filter(|d| !d.is_empty()) else {
        return Err(DataError::new_err(msg));
    };
    Ok(d.iter().collect())
}

/// Checks `max_count` / `max_size` as redis-py does and adds them (Redis 8.10 options,
/// which Redis 7.0 refuses as a syntax error).
fn max_options<'py>(line: &mut Vec<Part<'_, 'py>>, cmd: &str, count: Option<&Bound<'py, PyAny>>, max_count: Option<&Bound<'py, PyAny>>, max_size: Option<&Bound<'py, PyAny>>) -> PyResult<()> {
    if let Some(m) = max_count {
        if !is_int(m) || int_below(m, 1)? {
            return Err(DataError::new_err(format!("{cmd} max_count must be a positive integer")));
        }
        if let Some(c) = count {
            if m.lt(c)? {
                return Err(DataError::new_err(format!("{cmd} max_count must be greater than or equal to count")));
            }
        }
        line.push(W("MAXCOUNT"));
        line.push(str_of(m)?);
    }
    if let Some(m) = max_size {
        if !is_int(m) || int_below(m, 1)? {
            return Err(DataError::new_err(format!("{cmd} max_size must be a positive integer")));
        }
        line.push(W("MAXSIZE"));
        line.push(str_of(m)?);
    }
    Ok(())
}

/// Runs an XREAD / XREADGROUP line: the reply at once without BLOCK (or when data is
/// there), else the spec to wait with (`Err`).
///
/// The engine's typed result is converted directly (no reply tree): the same shapes as
/// redis-py's `parse_xread`, without the detour.
fn read_now<'py>(b: &PyBroker, py: Python<'py>, row: &'static command::Command, line: &[Part<'_, '_>]) -> PyResult<Result<Bound<'py, PyAny>, BlockSpec>> {
    let words = b.words(line)?;
    let argv = slices(&words);
    let (call, blocks) = command::parse_stream_read(&argv).py_err()?;
    if let Some(served) = b.typed(row, || argv.clone(), |ks, db| command::try_serve(ks, db, &call.keys, &call.op))? {
        return served_to_py(py, &b.codec, served).map(Ok);
    }
    if !blocks {
        return Ok(Ok(PyList::empty(py).into_any()));
    }
    Ok(Err(b.spec(call.keys, call.op, call.timeout)))
}

/// The XREAD line of redis-py's `xread`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn xread_spec<'py>(b: &PyBroker, py: Python<'py>, streams: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>, block: Option<&Bound<'py, PyAny>>, max_count: Option<&Bound<'py, PyAny>>, max_size: Option<&Bound<'py, PyAny>>) -> PyResult<Result<Bound<'py, PyAny>, BlockSpec>> {
    let (count, block) = (some(count), some(block));
    let mut line = vec![W("XREAD")];
    if let Some(bl) = block {
        if !is_int(bl) || int_below(bl, 0)? {
            return Err(DataError::new_err("XREAD block must be a non-negative integer"));
        }
        line.push(W("BLOCK"));
        line.push(str_of(bl)?);
    }
    if let Some(c) = count {
        if !is_int(c) || int_below(c, 1)? {
            return Err(DataError::new_err("XREAD count must be a positive integer"));
        }
        line.push(W("COUNT"));
        line.push(str_of(c)?);
    }
    max_options(&mut line, "XREAD", count, some(max_count), some(max_size))?;
    let items = stream_items(streams, "XREAD streams must be a non empty dict")?;
    add_streams(&mut line, &items)?;
    read_now(b, py, cmd_row!("xread"), &line)
}

/// The XREADGROUP line of redis-py's `xreadgroup`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn xreadgroup_spec<'py>(b: &PyBroker, py: Python<'py>, groupname: &Bound<'py, PyAny>, consumername: &Bound<'py, PyAny>, streams: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>, block: Option<&Bound<'py, PyAny>>, noack: bool, claim_min_idle_time: Option<&Bound<'py, PyAny>>, max_count: Option<&Bound<'py, PyAny>>, max_size: Option<&Bound<'py, PyAny>>) -> PyResult<Result<Bound<'py, PyAny>, BlockSpec>> {
    let (count, block, claim) = (some(count), some(block), some(claim_min_idle_time));
    let mut line = vec![W("XREADGROUP")];
    line.push(W("GROUP"));
    line.push(A(groupname));
    line.push(A(consumername));
    if let Some(c) = count {
        if !is_int(c) || int_below(c, 1)? {
            return Err(DataError::new_err("XREADGROUP count must be a positive integer"));
        }
        line.push(W("COUNT"));
        line.push(str_of(c)?);
    }
    max_options(&mut line, "XREADGROUP", count, some(max_count), some(max_size))?;
    if let Some(bl) = block {
        if !is_int(bl) || int_below(bl, 0)? {
            return Err(DataError::new_err("XREADGROUP block must be a non-negative integer"));
        }
        line.push(W("BLOCK"));
        line.push(str_of(bl)?);
    }
    if noack {
        line.push(W("NOACK"));
    }
    if let Some(c) = claim {
        if !is_int(c) || int_below(c, 0)? {
            return Err(DataError::new_err("XREADGROUP claim_min_idle_time must be a non-negative integer"));
        }
        line.push(W("CLAIM"));
        line.push(A(c));
    }
    let items = stream_items(streams, "XREADGROUP streams must be a non empty dict")?;
    add_streams(&mut line, &items)?;
    read_now(b, py, cmd_row!("xreadgroup"), &line)
}

/// Waits for a read that could not be answered at once (sync API: GIL released).
pub(crate) fn read_sync<'py>(py: Python<'py>, r: Result<Bound<'py, PyAny>, BlockSpec>) -> PyResult<Bound<'py, PyAny>> {
    match r {
        Ok(v) => Ok(v),
        Err(spec) => block_sync(py, &spec),
    }
}

/// The asyncio twin's view: the reply, or the spec to await.
pub(crate) fn read_async<'py>(py: Python<'py>, r: Result<Bound<'py, PyAny>, BlockSpec>) -> PyResult<Bound<'py, PyAny>> {
    match r {
        Ok(v) => Ok(v),
        Err(spec) => Ok(Bound::new(py, spec)?.into_any()),
    }
}

#[pymethods]
impl PyBroker {
    /// Append an entry with ``fields`` (a non-empty dict) to the stream ``name``; returns its
    /// ID, or None with ``nomkstream`` on a missing key. ``maxlen`` or ``minid`` trim the
    /// stream after the add (approximately unless ``approximate=False``; ``limit`` bounds
    /// an approximate trim).
    #[pyo3(signature = (name, fields, id = super::streams::Arg::Omitted, maxlen = None, approximate = true, nomkstream = false, minid = None, limit = None, ref_policy = None, idmpauto = None, idmp = None), text_signature = "(self, name, fields, id='*', maxlen=None, approximate=True, nomkstream=False, minid=None, limit=None, ref_policy=None, idmpauto=None, idmp=None)")]
    #[allow(clippy::too_many_arguments)]
    fn xadd<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, fields: &Bound<'py, PyAny>, id: super::streams::Arg<'py>, maxlen: Option<&Bound<'py, PyAny>>, approximate: bool, nomkstream: bool, minid: Option<&Bound<'py, PyAny>>, limit: Option<&Bound<'py, PyAny>>, ref_policy: Option<&Bound<'py, PyAny>>, idmpauto: Option<&Bound<'py, PyAny>>, idmp: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::xadd(self, py, name, fields, id, maxlen, approximate, nomkstream, minid, limit, ref_policy, idmpauto, idmp)
    }

    /// The number of entries in the stream ``name`` (0 if missing).
    fn xlen<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::xlen(self, py, name)
    }

    /// Entries from ``min`` to ``max`` (``-``/``+`` for the ends, ``(id`` exclusive), at most
    /// ``count``: ``[(id, {field: value}), ...]``.
    #[pyo3(signature = (name, min = None, max = None, count = None), text_signature = "(self, name, min='-', max='+', count=None)")]
    fn xrange<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, min: Option<&Bound<'py, PyAny>>, max: Option<&Bound<'py, PyAny>>, count: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::xrange(self, py, name, min, max, count, false)
    }

    /// As ``xrange``, newest first (note: ``max`` before ``min``).
    #[pyo3(signature = (name, max = None, min = None, count = None), text_signature = "(self, name, max='+', min='-', count=None)")]
    fn xrevrange<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, max: Option<&Bound<'py, PyAny>>, min: Option<&Bound<'py, PyAny>>, count: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::xrange(self, py, name, max, min, count, true)
    }

    /// Delete the entries ``ids``; how many existed.
    #[pyo3(signature = (name, *ids))]
    fn xdel<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, ids: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::xdel(self, py, name, ids)
    }

    /// Trim the stream to ``maxlen`` entries or drop entries below ``minid``; how many went.
    #[pyo3(signature = (name, maxlen = None, approximate = true, minid = None, limit = None, ref_policy = None))]
    fn xtrim<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, maxlen: Option<&Bound<'py, PyAny>>, approximate: bool, minid: Option<&Bound<'py, PyAny>>, limit: Option<&Bound<'py, PyAny>>, ref_policy: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::xtrim(self, py, name, maxlen, approximate, minid, limit, ref_policy)
    }

    /// Read entries after the IDs of ``streams`` (``{name: id}``; ``$``: only new ones):
    /// ``[[name, [(id, {field: value}), ...]], ...]``, ``[]`` if none. ``block`` waits up
    /// to that many milliseconds (0: forever) without the GIL; Ctrl-C interrupts.
    #[pyo3(signature = (streams, count = None, block = None, max_count = None, max_size = None))]
    fn xread<'py>(&self, py: Python<'py>, streams: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>, block: Option<&Bound<'py, PyAny>>, max_count: Option<&Bound<'py, PyAny>>, max_size: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::read_sync(py, super::streams::xread_spec(self, py, streams, count, block, max_count, max_size)?)
    }

    /// ``xread`` for the asyncio twin: the reply, or a ``BlockSpec`` to await.
    #[pyo3(signature = (streams, count = None, block = None, max_count = None, max_size = None))]
    fn _xread<'py>(&self, py: Python<'py>, streams: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>, block: Option<&Bound<'py, PyAny>>, max_count: Option<&Bound<'py, PyAny>>, max_size: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::read_async(py, super::streams::xread_spec(self, py, streams, count, block, max_count, max_size)?)
    }

    /// Acknowledge ``ids`` in the group; how many were pending.
    #[pyo3(signature = (name, groupname, *ids))]
    fn xack<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, ids: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::xack(self, py, name, groupname, ids)
    }
}
