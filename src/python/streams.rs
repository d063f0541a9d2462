//! The stream methods of `Broker` (XADD … XINFO), the way redis-py implements them: its
//! client-side checks (DataError with its words), the command line it would send, and its
//! response callbacks (legacy RESP2 shapes). The command itself runs through
//! `command::dispatch`, so Redis's rules and error texts live in one place; XREAD and
//! XREADGROUP with BLOCK wait through the engine (`wait.rs`).

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyTuple};

use super::broker::{served_to_py, PyBroker};
use super::convert::{slices, Codec};
use super::errors::{DataError, IntoPy};
use super::wait::{block_sync, BlockSpec};
use crate::command::{self, reply::Reply, Context};
use crate::engine::db::Key;
use crate::engine::stream::{EntryBatch, IdText};
use crate::engine::waiters::BlockOp;

// ---------------------------------------------------------------------------------------
// Command lines
// ---------------------------------------------------------------------------------------

/// A command line built as redis-py builds it: words, and arguments encoded by the
/// client's encoder.
struct Line<'a> {
    codec: &'a Codec,
    words: Vec<Cow<'a, [u8]>>,
}

impl<'a> Line<'a> {
    /// A line starting with `name`; a name with spaces ("XGROUP CREATE") is several words,
    /// as redis-py's `pack_command` sends it.
    fn new(codec: &'a Codec, name: &'static str) -> Line<'a> {
        let words = name.split(' ').map(|w| Cow::Borrowed(w.as_bytes())).collect();
        Line { codec, words }
    }

    /// A literal word.
    fn w(&mut self, word: &'static str) {
        self.words.push(Cow::Borrowed(word.as_bytes()));
    }

    /// An argument, encoded as redis-py's `Encoder.encode` does.
    fn a(&mut self, obj: &'a Bound<'_, PyAny>) -> PyResult<()> {
        self.words.push(self.codec.encode(obj)?);
        Ok(())
    }

    /// `str(obj)`, as redis-py sends some numbers (`str(maxlen)`, `str(count)`).
    fn s(&mut self, obj: &Bound<'_, PyAny>) -> PyResult<()> {
        let text = obj.str()?;
        self.words.push(Cow::Owned(text.to_str()?.as_bytes().to_vec()));
        Ok(())
    }
}

/// redis-py's options for a reply's callback.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Opts {
    /// XCLAIM / XAUTOCLAIM with JUSTID.
    parse_justid: bool,
    /// XINFO STREAM FULL.
    full: bool,
    /// XPENDING's extended form.
    parse_detail: bool,
}

impl Opts {
    /// The options redis-py's `execute_command(**options)` passes to callbacks.
    fn from_kwargs(options: Option<&Bound<'_, PyDict>>) -> PyResult<Opts> {
        let flag = |name: &str| -> PyResult<bool> {
            match options {
                Some(o) => Ok(o.get_item(name)?.is_some_and(|v| v.is_truthy().unwrap_or(false))),
                None => Ok(false),
            }
        };
        Ok(Opts { parse_justid: flag("parse_justid")?, full: flag("full")?, parse_detail: flag("parse_detail")? })
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
fn run<'py>(b: &PyBroker, py: Python<'py>, name: &str, line: &Line<'_>, opts: Opts) -> PyResult<Bound<'py, PyAny>> {
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
// redis-py's response callbacks (`_parsers/helpers.py`), on the neutral reply
// ---------------------------------------------------------------------------------------

/// The items of an array or the flattened pairs of a map (what RESP2 sends for both).
fn flat(reply: Reply) -> Vec<Reply> {
    match reply {
        Reply::Array(items) => items,
        Reply::Map(pairs) => pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(),
        _ => Vec::new(),
    }
}

/// A reply as redis-py returns it raw.
fn raw<'py>(py: Python<'py>, codec: &Codec, reply: &Reply) -> PyResult<Bound<'py, PyAny>> {
    match reply {
        Reply::Map(_) => {
            let items = flat(reply.clone()).iter().map(|r| raw(py, codec, r)).collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, items)?.into_any())
        }
        Reply::Array(items) => {
            let objs = items.iter().map(|r| raw(py, codec, r)).collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, objs)?.into_any())
        }
        _ => codec.reply(py, reply),
    }
}

/// `pairs_to_dict`: a flat list of pairs as a dict; keys decoded to str with
/// `decode_keys` (`pairs_to_dict_with_str_keys`); a null is `{}`.
fn pairs_to_dict<'py>(py: Python<'py>, codec: &Codec, reply: Reply, decode_keys: bool) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let mut it = flat(reply).into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        let key = match (&k, decode_keys) {
            (Reply::Bulk(s) | Reply::Simple(s), true) => PyString::new(py, &String::from_utf8_lossy(s)).into_any(),
            _ => raw(py, codec, &k)?,
        };
        d.set_item(key, raw(py, codec, &v)?)?;
    }
    Ok(d)
}

/// `parse_stream_list`: `[(id, {field: value}), …]`, or None for a null.
fn stream_list<'py>(py: Python<'py>, codec: &Codec, reply: Reply) -> PyResult<Bound<'py, PyAny>> {
    if reply.is_nil() {
        return Ok(py.None().into_bound(py));
    }
    let items = flat(reply)
        .into_iter()
        .map(|r| {
            if r.is_nil() {
                return Ok(PyTuple::new(py, [py.None(), py.None()])?.into_any());
            }
            let mut parts = flat(r).into_iter();
            let id = parts.next().unwrap_or(Reply::Nil);
            let fields = parts.next().unwrap_or(Reply::Nil);
            Ok(PyTuple::new(py, [raw(py, codec, &id)?, pairs_to_dict(py, codec, fields, false)?.into_any()])?.into_any())
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyList::new(py, items)?.into_any())
}

/// `parse_xread`: `[[stream, entries], …]`, `[]` for a null.
fn xread_reply<'py>(py: Python<'py>, codec: &Codec, reply: Reply) -> PyResult<Bound<'py, PyAny>> {
    let items = flat(reply)
        .into_iter()
        .map(|r| {
            let mut parts = flat(r).into_iter();
            let key = raw(py, codec, &parts.next().unwrap_or(Reply::Nil))?;
            let entries = stream_list(py, codec, parts.next().unwrap_or(Reply::Nil))?;
            Ok(PyList::new(py, [key, entries])?.into_any())
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyList::new(py, items)?.into_any())
}

/// `parse_xinfo_stream`.
fn xinfo_stream_reply<'py>(py: Python<'py>, codec: &Codec, reply: Reply, full: bool) -> PyResult<Bound<'py, PyAny>> {
    let mut pairs = Vec::new();
    let mut it = flat(reply).into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        pairs.push((k, v));
    }
    let d = PyDict::new(py);
    for (k, v) in pairs {
        let name = match &k {
            Reply::Bulk(s) | Reply::Simple(s) => String::from_utf8_lossy(s).into_owned(),
            _ => String::new(),
        };
        let value = match (name.as_str(), full) {
            ("first-entry" | "last-entry", false) if !v.is_nil() => {
                let mut parts = flat(v).into_iter();
                let id = raw(py, codec, &parts.next().unwrap_or(Reply::Nil))?;
                let fields = pairs_to_dict(py, codec, parts.next().unwrap_or(Reply::Nil), false)?;
                PyTuple::new(py, [id, fields.into_any()])?.into_any()
            }
            ("entries", true) => {
                let entries = PyDict::new(py);
                for e in flat(v) {
                    let mut parts = flat(e).into_iter();
                    let id = raw(py, codec, &parts.next().unwrap_or(Reply::Nil))?;
                    entries.set_item(id, pairs_to_dict(py, codec, parts.next().unwrap_or(Reply::Nil), false)?)?;
                }
                entries.into_any()
            }
            ("groups", true) => {
                let groups = flat(v)
                    .into_iter()
                    .map(|g| {
                        let g = pairs_to_dict(py, codec, g, true)?;
                        if let Some(consumers) = g.get_item("consumers")? {
                            if let Ok(list) = consumers.cast::<PyList>() {
                                if !list.is_empty() && !list.get_item(0)?.is_none() {
                                    // Re-read the consumers as dicts with str keys.
                                    let dicts = list
                                        .iter()
                                        .map(|c| list_pairs_to_dict(py, &c))
                                        .collect::<PyResult<Vec<_>>>()?;
                                    g.set_item("consumers", PyList::new(py, dicts)?)?;
                                }
                            }
                        }
                        Ok(g.into_any())
                    })
                    .collect::<PyResult<Vec<_>>>()?;
                PyList::new(py, groups)?.into_any()
            }
            _ => raw(py, codec, &v)?,
        };
        d.set_item(name, value)?;
    }
    Ok(d.into_any())
}

/// `pairs_to_dict(list, decode_keys=True)` on a Python list already converted.
fn list_pairs_to_dict<'py>(py: Python<'py>, list: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let items: Vec<Bound<'py, PyAny>> = list.try_iter()?.collect::<PyResult<_>>()?;
    for pair in items.chunks_exact(2) {
        let key = match pair[0].extract::<Vec<u8>>() {
            Ok(b) => PyString::new(py, &String::from_utf8_lossy(&b)).into_any(),
            Err(_) => pair[0].clone(),
        };
        d.set_item(key, &pair[1])?;
    }
    Ok(d)
}

/// redis-py's callback for stream command `name` (as given to `execute_command`, upper
/// case; "XGROUP CREATE" and friends with their subcommand).
fn callback<'py>(py: Python<'py>, codec: &Codec, name: &str, reply: Reply, opts: Opts) -> PyResult<Bound<'py, PyAny>> {
    let as_bool = |b: bool| -> PyResult<Bound<'py, PyAny>> { Ok(PyBool::new(py, b).to_owned().into_any()) };
    match name {
        "XREAD" | "XREADGROUP" => xread_reply(py, codec, reply),
        "XRANGE" | "XREVRANGE" => stream_list(py, codec, reply),
        "XCLAIM" if opts.parse_justid => raw(py, codec, &reply),
        "XCLAIM" => stream_list(py, codec, reply),
        "XAUTOCLAIM" => {
            let mut parts = flat(reply);
            if opts.parse_justid {
                return raw(py, codec, &parts.get(1).cloned().unwrap_or(Reply::Nil));
            }
            if parts.len() < 2 {
                return raw(py, codec, &Reply::Array(parts));
            }
            let entries = std::mem::replace(&mut parts[1], Reply::Nil);
            let out = PyList::empty(py);
            for (i, p) in parts.iter().enumerate() {
                if i == 1 {
                    out.append(stream_list(py, codec, entries.clone())?)?;
                } else {
                    out.append(raw(py, codec, p)?)?;
                }
            }
            Ok(out.into_any())
        }
        "XGROUP CREATE" | "XGROUP SETID" => as_bool(matches!(reply, Reply::Ok)),
        "XGROUP DESTROY" => as_bool(matches!(reply, Reply::Int(n) if n != 0)),
        "XINFO STREAM" => xinfo_stream_reply(py, codec, reply, opts.full),
        "XINFO CONSUMERS" | "XINFO GROUPS" => {
            let dicts = flat(reply)
                .into_iter()
                .map(|r| Ok(pairs_to_dict(py, codec, r, true)?.into_any()))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, dicts)?.into_any())
        }
        "XPENDING" if opts.parse_detail => {
            const KEYS: [&str; 4] = ["message_id", "consumer", "time_since_delivered", "times_delivered"];
            let rows = flat(reply)
                .into_iter()
                .map(|r| {
                    let d = PyDict::new(py);
                    for (k, v) in KEYS.iter().zip(flat(r)) {
                        d.set_item(k, raw(py, codec, &v)?)?;
                    }
                    Ok(d.into_any())
                })
                .collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, rows)?.into_any())
        }
        "XPENDING" => {
            let parts = flat(reply);
            let get = |i: usize| parts.get(i).cloned().unwrap_or(Reply::Nil);
            let consumers = flat(get(3))
                .into_iter()
                .map(|c| {
                    let mut nc = flat(c).into_iter();
                    let name = raw(py, codec, &nc.next().unwrap_or(Reply::Nil))?;
                    let count = raw(py, codec, &nc.next().unwrap_or(Reply::Nil))?;
                    let d = PyDict::new(py);
                    d.set_item("name", name)?;
                    d.set_item("pending", py.get_type::<PyInt>().call1((count,))?)?;
                    Ok(d.into_any())
                })
                .collect::<PyResult<Vec<_>>>()?;
            let d = PyDict::new(py);
            d.set_item("pending", raw(py, codec, &get(0))?)?;
            d.set_item("min", raw(py, codec, &get(1))?)?;
            d.set_item("max", raw(py, codec, &get(2))?)?;
            d.set_item("consumers", PyList::new(py, consumers)?)?;
            Ok(d.into_any())
        }
        _ => raw(py, codec, &reply),
    }
}

/// What a blocked XREAD / XREADGROUP got, in redis-py's shape: `[[stream, [(id, {…})…]]…]`.
///
/// Field names repeat from entry to entry, so the last few are kept as Python objects and
/// shared (they are immutable); values and IDs are new objects, as redis-py makes them.
pub(crate) fn streams_to_py<'py>(py: Python<'py>, codec: &Codec, streams: Vec<(Key, EntryBatch)>) -> PyResult<Bound<'py, PyAny>> {
    let mut out = Vec::with_capacity(streams.len());
    for (key, batch) in &streams {
        // Name objects by bytes (a few), and those of the previous entry, which an entry
        // with the same names (`shares_names`) takes as they are.
        let mut names: Vec<(&[u8], Bound<'py, PyAny>)> = Vec::new();
        let mut previous: Vec<Bound<'py, PyAny>> = Vec::new();
        let mut list = Vec::with_capacity(batch.len());
        let mut ids = IdText::new();
        for (id, pairs) in batch.iter() {
            let d = PyDict::new(py);
            match pairs {
                Some(pairs) if pairs.shares_names() && pairs.len() == previous.len() => {
                    for (name, (_, v)) in previous.iter().zip(pairs) {
                        d.set_item(name, codec.out(py, v)?)?;
                    }
                }
                Some(pairs) => {
                    previous.clear();
                    for (f, v) in pairs {
                        let name = match names.iter().find(|(n, _)| *n == f) {
                            Some((_, obj)) => obj.clone(),
                            None => {
                                let obj = codec.out(py, f)?;
                                if names.len() < 8 {
                                    names.push((f, obj.clone()));
                                }
                                obj
                            }
                        };
                        d.set_item(&name, codec.out(py, v)?)?;
                        previous.push(name);
                    }
                }
                None => {}
            }
            let id = codec.out(py, ids.text(id))?;
            list.push(PyTuple::new(py, [id, d.into_any()])?.into_any());
        }
        out.push(PyList::new(py, [codec.out(py, key)?, PyList::new(py, list)?.into_any()])?);
    }
    Ok(PyList::new(py, out)?.into_any())
}

/// What a blocking call answers when its time is up: None for the list commands, `[]` for
/// XREAD / XREADGROUP (redis-py's `parse_xread` of a null).
pub(crate) fn timed_out<'py>(py: Python<'py>, op: &BlockOp) -> Bound<'py, PyAny> {
    if op.is_stream_read() {
        PyList::empty(py).into_any()
    } else {
        py.None().into_bound(py)
    }
}

// ---------------------------------------------------------------------------------------
// Client-side checks, as redis-py's
// ---------------------------------------------------------------------------------------

/// `isinstance(o, int)` (bool included, as in Python).
fn is_int(o: &Bound<'_, PyAny>) -> bool {
    o.is_instance_of::<PyInt>()
}

/// `o < n` for a Python int (false for anything else).
fn int_below(o: &Bound<'_, PyAny>, n: i64) -> PyResult<bool> {
    o.lt(n)
}

/// redis-py's `try: if int(o) < 0: raise DataError(msg) except TypeError: pass`: `false`
/// when `int(o)` raises TypeError (None…), an error for a negative value; ValueError from
/// `int()` propagates as in redis-py.
fn nonnegative_or_skip(o: Option<&Bound<'_, PyAny>>, msg: &'static str) -> PyResult<bool> {
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
fn some<'a, 'py>(o: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    o.filter(|o| !o.is_none())
}

/// The reference policies redis-py accepts (Redis 8.2+; Redis 7.0 refuses them).
fn check_ref_policy(p: Option<&Bound<'_, PyAny>>, msg: &'static str) -> PyResult<()> {
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
fn simple<'py>(b: &PyBroker, py: Python<'py>, name: &'static str, args: &[&Bound<'py, PyAny>], rest: Option<&Bound<'py, PyTuple>>) -> PyResult<Bound<'py, PyAny>> {
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

/// `xpending`.
pub(crate) fn xpending<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, group: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    simple(b, py, "XPENDING", &[name, group], None)
}

/// `xpending_range`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn xpending_range<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, group: &Bound<'py, PyAny>, min: &Bound<'py, PyAny>, max: &Bound<'py, PyAny>, count: &Bound<'py, PyAny>, consumername: Option<&Bound<'py, PyAny>>, idle: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
    let (consumername, idle) = (some(consumername), some(idle));
    if min.is_none() && max.is_none() && count.is_none() {
        if idle.is_some() || consumername.is_some() {
            return Err(DataError::new_err(
                "if XPENDING is provided with idle time or consumername, it must be provided with min, max and count parameters",
            ));
        }
        return xpending(b, py, name, group);
    }
    if min.is_none() || max.is_none() || count.is_none() {
        return Err(DataError::new_err("XPENDING must be provided with min, max and count parameters, or none of them."));
    }
    let mut line = Line::new(&b.codec, "XPENDING");
    line.a(name)?;
    line.a(group)?;
    if nonnegative_or_skip(idle, "XPENDING idle must be a integer >= 0")? {
        if let Some(i) = idle {
            line.w("IDLE");
            line.a(i)?;
        }
    }
    if nonnegative_or_skip(Some(count), "XPENDING count must be a integer >= 0")? {
        line.a(min)?;
        line.a(max)?;
        line.a(count)?;
    }
    if let Some(c) = consumername.filter(|c| c.is_truthy().unwrap_or(false)) {
        line.a(c)?;
    }
    let opts = Opts { parse_detail: true, ..Opts::default() };
    run(b, py, "XPENDING", &line, opts)
}

/// `xclaim`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn xclaim<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, group: &Bound<'py, PyAny>, consumer: &Bound<'py, PyAny>, min_idle_time: &Bound<'py, PyAny>, message_ids: &Bound<'py, PyAny>, idle: Option<&Bound<'py, PyAny>>, time: Option<&Bound<'py, PyAny>>, retrycount: Option<&Bound<'py, PyAny>>, force: &Bound<'py, PyAny>, justid: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if !is_int(min_idle_time) || int_below(min_idle_time, 0)? {
        return Err(DataError::new_err("XCLAIM min_idle_time must be a non negative integer"));
    }
    let ids: Vec<Bound<'py, PyAny>> = if message_ids.is_instance_of::<PyList>() || message_ids.is_instance_of::<PyTuple>() {
        message_ids.try_iter()?.collect::<PyResult<_>>()?
    } else {
        Vec::new()
    };
    if ids.is_empty() {
        return Err(DataError::new_err("XCLAIM message_ids must be a non empty list or tuple of message IDs to claim"));
    }
    let mut line = Line::new(&b.codec, "XCLAIM");
    line.a(name)?;
    line.a(group)?;
    line.a(consumer)?;
    line.s(min_idle_time)?;
    for i in &ids {
        line.a(i)?;
    }
    for (value, word, msg) in [
        (idle, "IDLE", "XCLAIM idle must be an integer"),
        (time, "TIME", "XCLAIM time must be an integer"),
        (retrycount, "RETRYCOUNT", "XCLAIM retrycount must be an integer"),
    ] {
        if let Some(v) = some(value) {
            if !is_int(v) {
                return Err(DataError::new_err(msg));
            }
            line.w(word);
            line.s(v)?;
        }
    }
    let mut opts = Opts::default();
    if force.is_truthy()? {
        if !force.is_instance_of::<PyBool>() {
            return Err(DataError::new_err("XCLAIM force must be a boolean"));
        }
        line.w("FORCE");
    }
    if justid.is_truthy()? {
        if !justid.is_instance_of::<PyBool>() {
            return Err(DataError::new_err("XCLAIM justid must be a boolean"));
        }
        line.w("JUSTID");
        opts.parse_justid = true;
    }
    run(b, py, "XCLAIM", &line, opts)
}

/// `xautoclaim`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn xautoclaim<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, group: &Bound<'py, PyAny>, consumer: &Bound<'py, PyAny>, min_idle_time: &Bound<'py, PyAny>, start_id: Option<&Bound<'py, PyAny>>, count: Option<&Bound<'py, PyAny>>, justid: bool) -> PyResult<Bound<'py, PyAny>> {
    nonnegative_or_skip(Some(min_idle_time), "XAUTOCLAIM min_idle_time must be a nonnegative integer")?;
    let zero = PyString::new(py, "0-0").into_any();
    let mut line = Line::new(&b.codec, "XAUTOCLAIM");
    line.a(name)?;
    line.a(group)?;
    line.a(consumer)?;
    line.a(min_idle_time)?;
    line.a(start_id.unwrap_or(&zero))?;
    if nonnegative_or_skip(count, "XAUTOCLAIM count must be a integer >= 0")? {
        if let Some(c) = count {
            line.w("COUNT");
            line.a(c)?;
        }
    }
    let mut opts = Opts::default();
    if justid {
        line.w("JUSTID");
        opts.parse_justid = true;
    }
    run(b, py, "XAUTOCLAIM", &line, opts)
}

/// `xgroup_create`.
pub(crate) fn xgroup_create<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, group: &Bound<'py, PyAny>, id: Option<&Bound<'py, PyAny>>, mkstream: bool, entries_read: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
    let dollar = PyString::new(py, "$").into_any();
    let mut line = Line::new(&b.codec, "XGROUP CREATE");
    line.a(name)?;
    line.a(group)?;
    line.a(id.unwrap_or(&dollar))?;
    if mkstream {
        line.w("MKSTREAM");
    }
    if let Some(n) = some(entries_read) {
        line.w("ENTRIESREAD");
        line.a(n)?;
    }
    run(b, py, "XGROUP CREATE", &line, Opts::default())
}

/// `xgroup_setid`.
pub(crate) fn xgroup_setid<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, group: &Bound<'py, PyAny>, id: &Bound<'py, PyAny>, entries_read: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
    let mut line = Line::new(&b.codec, "XGROUP SETID");
    line.a(name)?;
    line.a(group)?;
    line.a(id)?;
    if let Some(n) = some(entries_read) {
        line.w("ENTRIESREAD");
        line.a(n)?;
    }
    run(b, py, "XGROUP SETID", &line, Opts::default())
}

/// `xgroup_destroy`, `xgroup_createconsumer`, `xgroup_delconsumer`, `xinfo_groups`,
/// `xinfo_consumers`: the arguments as they are.
pub(crate) fn plain<'py>(b: &PyBroker, py: Python<'py>, name: &'static str, args: &[&Bound<'py, PyAny>]) -> PyResult<Bound<'py, PyAny>> {
    simple(b, py, name, args, None)
}

/// `xinfo_stream`.
pub(crate) fn xinfo_stream<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, full: bool) -> PyResult<Bound<'py, PyAny>> {
    let mut line = Line::new(&b.codec, "XINFO STREAM");
    line.a(name)?;
    if full {
        line.w("FULL");
    }
    run(b, py, "XINFO STREAM", &line, Opts { full, ..Opts::default() })
}
