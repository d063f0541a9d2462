//! The stream methods of `Broker` (XADD … XINFO), the way redis-py implements them: its
//! client-side checks (DataError with its words), the command line it would send, and its
//! response callbacks (legacy RESP2 shapes). The command itself runs through
//! `command::dispatch`, so Redis's rules and error texts live in one place; XREAD and
//! XREADGROUP with BLOCK wait through the engine (`wait.rs`).

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyList, PyString, PyTuple};

use super::argv::some;
use super::broker::PyBroker;
use super::reply::{served_to_py, stream_callback as callback, Opts};
use super::convert::{slices, Codec};
use super::errors::{DataError, IntoPy};
use super::wait::{block_sync, BlockSpec};
use crate::command::{self, Context};

// ---------------------------------------------------------------------------------------
// Command lines
// ---------------------------------------------------------------------------------------

/// A command line built as redis-py builds it: words, and arguments encoded by the
/// client's encoder.
pub(crate) struct Line<'a> {
    codec: &'a Codec,
    words: Vec<Cow<'a, [u8]>>,
}

impl<'a> Line<'a> {
    /// A line starting with `name`; a name with spaces ("XGROUP CREATE") is several words,
    /// as redis-py's `pack_command` sends it.
    pub(crate) fn new(codec: &'a Codec, name: &'static str) -> Line<'a> {
        let words = name.split(' ').map(|w| Cow::Borrowed(w.as_bytes())).collect();
        Line { codec, words }
    }

    /// A literal word.
    pub(crate) fn w(&mut self, word: &'static str) {
        self.words.push(Cow::Borrowed(word.as_bytes()));
    }

    /// An argument, encoded as redis-py's `Encoder.encode` does.
    pub(crate) fn a(&mut self, obj: &'a Bound<'_, PyAny>) -> PyResult<()> {
        self.words.push(self.codec.encode(obj)?);
        Ok(())
    }

    /// `str(obj)`, as redis-py sends some numbers (`str(maxlen)`, `str(count)`).
    pub(crate) fn s(&mut self, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        let text = obj.str()?;
        self.words.push(Cow::Owned(text.to_str()?.as_bytes().to_vec()));
        Ok(())
    }
}

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

/// Runs `line` (a blocking XREAD/XREADGROUP through the waiter) and shapes the reply with
/// redis-py's callback for `name`.
pub(crate) fn run<'py>(b: &PyBroker, py: Python<'py>, name: &str, line: &Line<'_>, opts: Opts) -> PyResult<Bound<'py, PyAny>> {
    let argv = slices(&line.words);
    if let Some(call) = command::parse_blocking(&argv).py_err()? {
        let spec = BlockSpec {
            engine: b.engine.clone(),
            db: b.db(),
            keys: call.keys,
            op: call.op,
            timeout: call.timeout,
            codec: b.codec.clone(),
            born: b.born,
        };
        super::observe::record_blocking(&b.engine, b.db(), &line.words);
        return block_sync(py, &spec);
    }
    let mut ctx = Context { db: b.db(), ..Context::default() };
    let reply = command::dispatch_as(&b.engine, &mut ctx, &argv, super::observe::origin()).py_err()?;
    callback(py, &b.codec, name, reply, opts)
}

/// `execute_command` for the stream commands: redis-py splits a first argument with
/// spaces into words and picks the callback by that argument. `None` for other commands.
pub(crate) fn execute<'py>(
    b: &PyBroker,
    py: Python<'py>,
    words: &[Cow<'_, [u8]>],
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let Some(first) = words.first() else { return Ok(None) };
    if !first.first().is_some_and(|c| c.eq_ignore_ascii_case(&b'x')) {
        return Ok(None);
    }
    let name = String::from_utf8_lossy(first).to_ascii_uppercase();
    let mut line = Line { codec: &b.codec, words: Vec::with_capacity(words.len() + 1) };
    line.words.extend(first.split(|&c| c == b' ').filter(|w| !w.is_empty()).map(|w| Cow::Owned(w.to_vec())));
    line.words.extend(words[1..].iter().map(|w| Cow::Borrowed(w.as_ref())));
    run(b, py, &name, &line, Opts::from_kwargs(options)?).map(Some)
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
    let mut line = Line::new(&b.codec, "XADD");
    line.a(name)?;
    if nomkstream {
        line.w("NOMKSTREAM");
    }
    if let Some(p) = some(ref_policy) {
        line.a(p)?;
    }
    if let Some(p) = idmpauto {
        line.w("IDMPAUTO");
        line.a(p)?;
    }
    if let Some([producer, idempotent]) = &idmp_items {
        line.w("IDMP");
        line.a(producer)?;
        line.a(idempotent)?;
    }
    if let Some(m) = maxlen {
        line.w("MAXLEN");
        if approximate {
            line.w("~");
        }
        line.s(m)?;
    }
    if let Some(m) = minid {
        line.w("MINID");
        if approximate {
            line.w("~");
        }
        line.a(m)?;
    }
    if let Some(l) = limit {
        line.w("LIMIT");
        line.a(l)?;
    }
    line.a(&id)?;
    for item in &items {
        line.a(item)?;
    }
    run(b, py, "XADD", &line, Opts::default())
}

/// A line of `name` followed by `args`, run with `name`'s callback.
pub(crate) fn simple<'py>(b: &PyBroker, py: Python<'py>, name: &'static str, args: &[&Bound<'py, PyAny>], rest: Option<&Bound<'py, PyTuple>>) -> PyResult<Bound<'py, PyAny>> {
    let mut line = Line::new(&b.codec, name);
    for a in args {
        line.a(a)?;
    }
    let more: Vec<Bound<'py, PyAny>> = rest.map(|t| t.iter().collect()).unwrap_or_default();
    for a in &more {
        line.a(a)?;
    }
    run(b, py, name, &line, Opts::default())
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
    let mut words = Vec::with_capacity(objs.len());
    for o in &objs {
        words.push(b.codec.encode(o)?);
    }
    let words = slices(&words);
    let db = b.db();
    static XACK: crate::engine::stats::CmdId = crate::engine::stats::CmdId::new("xack");
    let argv = || [&[&b"XACK"[..], &key, &group][..], &words].concat();
    let acked = b.engine.call(&XACK, true, db, super::observe::origin(), argv, |ks| command::xack_words(ks, db, &key, &group, &words)).py_err()?;
    Ok(acked.into_pyobject(py)?.into_any())
}

/// `xrange` (`rev == false`, arguments `min, max`) and `xrevrange` (`max, min`).
pub(crate) fn xrange<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, first: Option<&Bound<'py, PyAny>>, second: Option<&Bound<'py, PyAny>>, count: Option<&Bound<'py, PyAny>>, rev: bool) -> PyResult<Bound<'py, PyAny>> {
    let cmd = if rev { "XREVRANGE" } else { "XRANGE" };
    let (d1, d2) = if rev { ("+", "-") } else { ("-", "+") };
    let (d1, d2) = (PyString::new(py, d1).into_any(), PyString::new(py, d2).into_any());
    let mut line = Line::new(&b.codec, cmd);
    line.a(name)?;
    line.a(first.unwrap_or(&d1))?;
    line.a(second.unwrap_or(&d2))?;
    if let Some(c) = some(count) {
        if !is_int(c) || int_below(c, 1)? {
            let msg = if rev { "XREVRANGE count must be a positive integer" } else { "XRANGE count must be a positive integer" };
            return Err(DataError::new_err(msg));
        }
        line.w("COUNT");
        line.s(c)?;
    }
    run(b, py, cmd, &line, Opts::default())
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
    let mut line = Line::new(&b.codec, "XTRIM");
    line.a(name)?;
    line.w(if maxlen.is_some() { "MAXLEN" } else { "MINID" });
    if approximate {
        line.w("~");
    }
    if let Some(v) = maxlen.or(minid) {
        line.a(v)?;
    }
    if let Some(l) = limit {
        line.w("LIMIT");
        line.a(l)?;
    }
    if let Some(p) = some(ref_policy) {
        line.a(p)?;
    }
    run(b, py, "XTRIM", &line, Opts::default())
}

/// Adds `STREAMS keys… ids…` from redis-py's `streams` dict.
fn add_streams<'a>(line: &mut Line<'a>, items: &'a [(Bound<'_, PyAny>, Bound<'_, PyAny>)]) -> PyResult<()> {
    line.w("STREAMS");
    for (k, _) in items {
        line.a(k)?;
    }
    for (_, v) in items {
        line.a(v)?;
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
fn max_options(line: &mut Line<'_>, cmd: &str, count: Option<&Bound<'_, PyAny>>, max_count: Option<&Bound<'_, PyAny>>, max_size: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    if let Some(m) = max_count {
        if !is_int(m) || int_below(m, 1)? {
            return Err(DataError::new_err(format!("{cmd} max_count must be a positive integer")));
        }
        if let Some(c) = count {
            if m.lt(c)? {
                return Err(DataError::new_err(format!("{cmd} max_count must be greater than or equal to count")));
            }
        }
        line.w("MAXCOUNT");
        line.s(m)?;
    }
    if let Some(m) = max_size {
        if !is_int(m) || int_below(m, 1)? {
            return Err(DataError::new_err(format!("{cmd} max_size must be a positive integer")));
        }
        line.w("MAXSIZE");
        line.s(m)?;
    }
    Ok(())
}

/// Runs an XREAD / XREADGROUP line: the reply at once without BLOCK (or when data is
/// there), else the spec to wait with (`Err`).
///
/// The engine's typed result is converted directly (no reply tree): the same shapes as
/// redis-py's `parse_xread`, without the detour.
fn read_now<'py>(b: &PyBroker, py: Python<'py>, line: &Line<'_>) -> PyResult<Result<Bound<'py, PyAny>, BlockSpec>> {
    let argv = slices(&line.words);
    let (call, blocks) = command::parse_stream_read(&argv).py_err()?;
    let db = b.db();
    let cmd = command::lookup(argv[0]).ok_or_else(|| super::errors::ResponseError::new_err("unknown command"))?;
    let words = || argv.clone();
    let attempt = b.engine.call(&cmd.id, false, db, super::observe::origin(), words, |ks| ks.try_block_op(db, &call.keys, &call.op));
    if let Some(served) = attempt.py_err()? {
        return served_to_py(py, &b.codec, served).map(Ok);
    }
    if !blocks {
        return Ok(Ok(PyList::empty(py).into_any()));
    }
    Ok(Err(BlockSpec { engine: b.engine.clone(), db, keys: call.keys, op: call.op, timeout: call.timeout, codec: b.codec.clone(), born: b.born }))
}

/// The XREAD line of redis-py's `xread`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn xread_spec<'py>(b: &PyBroker, py: Python<'py>, streams: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>, block: Option<&Bound<'py, PyAny>>, max_count: Option<&Bound<'py, PyAny>>, max_size: Option<&Bound<'py, PyAny>>) -> PyResult<Result<Bound<'py, PyAny>, BlockSpec>> {
    let (count, block) = (some(count), some(block));
    let mut line = Line::new(&b.codec, "XREAD");
    if let Some(bl) = block {
        if !is_int(bl) || int_below(bl, 0)? {
            return Err(DataError::new_err("XREAD block must be a non-negative integer"));
        }
        line.w("BLOCK");
        line.s(bl)?;
    }
    if let Some(c) = count {
        if !is_int(c) || int_below(c, 1)? {
            return Err(DataError::new_err("XREAD count must be a positive integer"));
        }
        line.w("COUNT");
        line.s(c)?;
    }
    max_options(&mut line, "XREAD", count, some(max_count), some(max_size))?;
    let items = stream_items(streams, "XREAD streams must be a non empty dict")?;
    add_streams(&mut line, &items)?;
    read_now(b, py, &line)
}

/// The XREADGROUP line of redis-py's `xreadgroup`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn xreadgroup_spec<'py>(b: &PyBroker, py: Python<'py>, groupname: &Bound<'py, PyAny>, consumername: &Bound<'py, PyAny>, streams: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>, block: Option<&Bound<'py, PyAny>>, noack: bool, claim_min_idle_time: Option<&Bound<'py, PyAny>>, max_count: Option<&Bound<'py, PyAny>>, max_size: Option<&Bound<'py, PyAny>>) -> PyResult<Result<Bound<'py, PyAny>, BlockSpec>> {
    let (count, block, claim) = (some(count), some(block), some(claim_min_idle_time));
    let mut line = Line::new(&b.codec, "XREADGROUP");
    line.w("GROUP");
    line.a(groupname)?;
    line.a(consumername)?;
    if let Some(c) = count {
        if !is_int(c) || int_below(c, 1)? {
            return Err(DataError::new_err("XREADGROUP count must be a positive integer"));
        }
        line.w("COUNT");
        line.s(c)?;
    }
    max_options(&mut line, "XREADGROUP", count, some(max_count), some(max_size))?;
    if let Some(bl) = block {
        if !is_int(bl) || int_below(bl, 0)? {
            return Err(DataError::new_err("XREADGROUP block must be a non-negative integer"));
        }
        line.w("BLOCK");
        line.s(bl)?;
    }
    if noack {
        line.w("NOACK");
    }
    if let Some(c) = claim {
        if !is_int(c) || int_below(c, 0)? {
            return Err(DataError::new_err("XREADGROUP claim_min_idle_time must be a non-negative integer"));
        }
        line.w("CLAIM");
        line.a(c)?;
    }
    let items = stream_items(streams, "XREADGROUP streams must be a non empty dict")?;
    add_streams(&mut line, &items)?;
    read_now(b, py, &line)
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
