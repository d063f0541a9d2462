//! Replies to Python: redis-py's response callbacks (legacy RESP2 shapes), keyed by the
//! upper-case command name, on the neutral `Reply`; and what a blocked call was handed
//! (`Served`), in the same shapes.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyTuple};

use super::convert::Codec;
use super::errors::to_pyerr;
use crate::command::reply::Reply;
use crate::engine::db::Key;
use crate::engine::stream::{EntryBatch, IdText};
use crate::engine::waiters::{BlockOp, Served};

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
        Served::Streams { streams } => streams_to_py(py, codec, streams),
        Served::Failed(e) => Err(to_pyerr(&e)),
    }
}

/// `callback` with only SET's option (the table's entry point for callers that have no
/// other option to pass).
#[allow(dead_code)]
pub(crate) fn apply_callback<'py>(py: Python<'py>, codec: &Codec, name: &str, set_get: bool, reply: &Reply) -> PyResult<Bound<'py, PyAny>> {
    callback(py, codec, name, &Opts { set_get, ..Opts::default() }, reply)
}

/// The one table of redis-py's response callbacks (legacy RESP2 shapes), keyed as redis-py
/// keys them: the upper-case command name as given to `execute_command` ("XGROUP CREATE"
/// with its subcommand when redis-py sends it so; "PUBSUB NUMSUB"). Unknown names get the
/// reply as redis-py's parser returns it.
pub(crate) fn callback<'py>(py: Python<'py>, codec: &Codec, name: &str, opts: &Opts, reply: &Reply) -> PyResult<Bound<'py, PyAny>> {
    let set_get = opts.set_get;
    let as_bool = |b: bool| -> PyResult<Bound<'py, PyAny>> { Ok(b.into_pyobject(py)?.to_owned().into_any()) };
    match name {
        "PING" => match reply {
            Reply::Simple(s) | Reply::Bulk(s) => as_bool(s == b"PONG"),
            _ => codec.reply(py, reply),
        },
        // redis-py's `parse_set_result`: the raw reply only when the caller said `get=True`
        // (so `execute_command("SET", k, v, "GET")` gives False, as with redis-py).
        "SET" if set_get => codec.reply(py, reply),
        "SET" => match reply {
            Reply::Ok => as_bool(true),
            Reply::Nil => Ok(py.None().into_bound(py)),
            // redis-py: `response and response == "OK"`, so an empty old value (SET … GET
            // through execute_command) comes back as itself.
            Reply::Bulk(s) if s.is_empty() => codec.out(py, s),
            _ => as_bool(false),
        },
        "MSET" | "FLUSHDB" | "FLUSHALL" | "RENAME" | "SELECT" | "LSET" | "LTRIM" | "SWAPDB" | "HMSET" => {
            as_bool(matches!(reply, Reply::Ok))
        }
        // redis-py: `float` of the bulk reply.
        "INCRBYFLOAT" | "HINCRBYFLOAT" => match reply {
            Reply::Bulk(s) => py.get_type::<pyo3::types::PyFloat>().call1((pyo3::types::PyBytes::new(py, s),)),
            _ => codec.reply(py, reply),
        },
        // redis-py 8.2 speaks RESP3 and keeps the legacy shapes: scores come as floats
        // (ZSCORE, ZINCRBY, ZADD INCR, ZMSCORE: `codec.reply` makes a `Reply::Double` a
        // float); ranges with scores become `[(member, score_cast_func(score))]` when the
        // method asked `withscores` (and always for the pops), else stay RESP3's nested
        // `[[member, score]]`.
        // ZUNION and ZINTER share ZRANGE's callback in redis-py.
        "ZRANGE" | "ZRANGEBYSCORE" | "ZREVRANGE" | "ZREVRANGEBYSCORE" | "ZPOPMIN" | "ZPOPMAX" | "ZUNION" | "ZINTER" => match reply {
            Reply::Array(items) if items.iter().any(|r| matches!(r, Reply::Double(_))) => {
                let tuples = opts.withscores || name.starts_with("ZPOP");
                let pairs = items
                    .chunks(2)
                    .map(|p| -> PyResult<Bound<'py, PyAny>> {
                        let member = codec.reply(py, &p[0])?;
                        let d = match p.get(1) {
                            Some(Reply::Double(d)) => *d,
                            _ => f64::NAN,
                        };
                        if tuples {
                            Ok(PyTuple::new(py, [member, cast_score(py, codec, opts, d)?])?.into_any())
                        } else {
                            Ok(PyList::new(py, [member, d.into_pyobject(py)?.into_any()])?.into_any())
                        }
                    })
                    .collect::<PyResult<Vec<_>>>()?;
                Ok(PyList::new(py, pairs)?.into_any())
            }
            _ => codec.reply(py, reply),
        },
        // redis-py's `zset_score_pairs_resp3_to_resp2_legacy_flat`: ZDIFF with `withscores`
        // stays flat, each score as its RESP2 text (bytes, or str when decoding).
        "ZDIFF" => match reply {
            Reply::Array(items) if opts.withscores => {
                let flat = items
                    .iter()
                    .map(|r| match r {
                        Reply::Double(d) => {
                            let mut text = Vec::with_capacity(24);
                            crate::resp::format_double(*d, &mut text);
                            codec.out(py, &text)
                        }
                        other => codec.reply(py, other),
                    })
                    .collect::<PyResult<Vec<_>>>()?;
                Ok(PyList::new(py, flat)?.into_any())
            }
            // Without `withscores` redis-py leaves RESP3's nested pairs, as for ZRANGE.
            _ => callback(py, codec, "ZRANGE", &Opts::default(), reply),
        },
        "SETEX" | "PSETEX" => match reply {
            Reply::Ok => as_bool(true),
            _ => codec.reply(py, reply),
        },
        // LCS IDX: redis-py's legacy RESP2 shape, the map flattened (`matches`, [...],
        // `len`, n).
        "LCS" => match reply {
            Reply::Map(pairs) => {
                let flat = pairs.iter().flat_map(|(k, v)| [k.clone(), v.clone()]).collect();
                codec.reply(py, &Reply::Array(flat))
            }
            _ => codec.reply(py, reply),
        },
        "SETNX" | "MSETNX" | "RENAMENX" | "EXPIRE" | "PEXPIRE" | "EXPIREAT" | "PEXPIREAT" | "PERSIST" | "COPY" | "MOVE" | "SMOVE" | "HEXISTS" => match reply {
            Reply::Int(i) => as_bool(*i != 0),
            _ => codec.reply(py, reply),
        },
        // `parse_hscan`: (cursor, {field: value}), pairs in the order they came.
        "HSCAN" => match reply {
            Reply::Array(parts) if parts.len() == 2 => {
                let cursor: u64 = match &parts[0] {
                    Reply::Bulk(b) | Reply::Simple(b) => String::from_utf8_lossy(b).parse().unwrap_or(0),
                    _ => 0,
                };
                let d = pyo3::types::PyDict::new(py);
                if let Reply::Array(items) = &parts[1] {
                    for pair in items.chunks(2) {
                        if let [f, v] = pair {
                            d.set_item(codec.reply(py, f)?, codec.reply(py, v)?)?;
                        }
                    }
                }
                Ok(PyTuple::new(py, [cursor.into_pyobject(py)?.into_any(), d.into_any()])?.into_any())
            }
            _ => codec.reply(py, reply),
        },
        // `lambda r: r and set(r) or set()`.
        "SMEMBERS" | "SINTER" | "SUNION" | "SDIFF" => match reply {
            Reply::Array(items) | Reply::Set(items) => {
                let objs = items.iter().map(|r| codec.reply(py, r)).collect::<PyResult<Vec<_>>>()?;
                Ok(pyo3::types::PySet::new(py, objs)?.into_any())
            }
            _ => codec.reply(py, reply),
        },
        // `parse_scan`: (int(cursor), list).
        // redis-py 8.2 (RESP3, legacy shapes): ZMPOP's scores and the method's ZRANDMEMBER
        // WITHSCORES come back as Redis's shortest text, flat for ZRANDMEMBER; without the
        // method's `withscores`, ZRANDMEMBER stays RESP3's nested `[[member, score]]`.
        "ZMPOP" => codec.reply(py, &doubles_as_text(reply)),
        "ZRANDMEMBER" if opts.withscores => codec.reply(py, &doubles_as_text(reply)),
        "ZRANDMEMBER" => match reply {
            Reply::Array(items) if items.iter().any(|r| matches!(r, Reply::Double(_))) => {
                let pairs = items
                    .chunks(2)
                    .map(|p| -> PyResult<Bound<'py, PyAny>> {
                        let score = codec.reply(py, p.get(1).unwrap_or(NIL))?;
                        Ok(PyList::new(py, [codec.reply(py, &p[0])?, score])?.into_any())
                    })
                    .collect::<PyResult<Vec<_>>>()?;
                Ok(PyList::new(py, pairs)?.into_any())
            }
            _ => codec.reply(py, reply),
        },
        // redis-py's `parse_zscan`: (cursor, [(member, score_cast_func(score))]).
        "ZSCAN" => match reply {
            Reply::Array(parts) if parts.len() == 2 => {
                let cursor: u64 = match &parts[0] {
                    Reply::Bulk(b) | Reply::Simple(b) => String::from_utf8_lossy(b).parse().unwrap_or(0),
                    _ => 0,
                };
                let mut pairs = Vec::new();
                if let Reply::Array(items) = &parts[1] {
                    for pair in items.chunks(2) {
                        if let [m, Reply::Bulk(t)] = pair {
                            let d: f64 = String::from_utf8_lossy(t).parse().unwrap_or(f64::NAN);
                            pairs.push(PyTuple::new(py, [codec.reply(py, m)?, cast_score(py, codec, opts, d)?])?.into_any());
                        }
                    }
                }
                Ok(PyTuple::new(py, [cursor.into_pyobject(py)?.into_any(), PyList::new(py, pairs)?.into_any()])?.into_any())
            }
            _ => codec.reply(py, reply),
        },
        "SCAN" | "SSCAN" => match reply {
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
        // `parse_pubsub_numsub`: [(channel, count), ...].
        "PUBSUB NUMSUB" | "PUBSUB SHARDNUMSUB" => match reply {
            Reply::Array(items) => {
                let pairs = items
                    .chunks(2)
                    .map(|p| PyTuple::new(py, p.iter().map(|r| codec.reply(py, r)).collect::<PyResult<Vec<_>>>()?))
                    .collect::<PyResult<Vec<_>>>()?;
                Ok(PyList::new(py, pairs)?.into_any())
            }
            _ => codec.reply(py, reply),
        },
        // `parse_config_get`: names and values as str, whatever the decoding.
        "CONFIG GET" => Ok(str_dict(py, reply)?.into_any()),
        "CONFIG SET" | "CONFIG RESETSTAT" => as_bool(matches!(reply, Reply::Ok)),
        "BLPOP" | "BRPOP" => match reply {
            Reply::Array(parts) => {
                let objs = parts.iter().map(|p| codec.reply(py, p)).collect::<PyResult<Vec<_>>>()?;
                Ok(PyTuple::new(py, objs)?.into_any())
            }
            _ => Ok(py.None().into_bound(py)),
        },
        _ if name.starts_with('X') => stream_callback(py, codec, name, reply, opts),
        _ => codec.reply(py, reply),
    }
}

/// redis-py's `parse_config_get`: names and values as `str`, whatever the decoding.
fn str_dict<'py>(py: Python<'py>, reply: &Reply) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    if let Reply::Map(pairs) = reply {
        for (k, v) in pairs {
            let text = |r: &Reply| match r {
                Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                _ => String::new(),
            };
            d.set_item(PyString::new(py, &text(k)), PyString::new(py, &text(v)))?;
        }
    }
    Ok(d)
}

/// A score through `score_cast_func` as redis-py 8.2 applies it on a RESP3 connection with
/// legacy shapes: `float` directly; any other callable gets the score re-encoded as Redis's
/// shortest text (`_redis_double_to_string`; bytes, or str when decoding) and, on
/// ValueError/TypeError, through `float` first (`_wrap_score_cast_func`).
fn cast_score<'py>(py: Python<'py>, codec: &Codec, opts: &Opts, score: f64) -> PyResult<Bound<'py, PyAny>> {
    let Some(f) = &opts.score_cast else {
        return Ok(score.into_pyobject(py)?.into_any());
    };
    let mut text = Vec::with_capacity(24);
    crate::resp::format_double(score, &mut text);
    let raw = codec.out(py, &text)?;
    let f = f.bind(py);
    match f.call1((raw.clone(),)) {
        Ok(v) => Ok(v),
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyValueError>(py) || e.is_instance_of::<pyo3::exceptions::PyTypeError>(py) => {
            f.call1((py.get_type::<pyo3::types::PyFloat>().call1((raw,))?,))
        }
        Err(e) => Err(e),
    }
}

/// The reply with each double as the bulk text Redis 7.0 writes in RESP2.
fn doubles_as_text(reply: &Reply) -> Reply {
    match reply {
        Reply::Double(d) => {
            let mut text = Vec::with_capacity(24);
            crate::resp::format_double(*d, &mut text);
            Reply::Bulk(text)
        }
        Reply::Array(items) => Reply::Array(items.iter().map(doubles_as_text).collect()),
        other => other.clone(),
    }
}

/// A null, for the callbacks' missing parts.
const NIL: &Reply = &Reply::Nil;

/// redis-py's options for a reply's callback.
#[derive(Debug, Default)]
pub(crate) struct Opts {
    /// SET with GET (`parse_set_result` returns the old value then).
    pub(crate) set_get: bool,
    /// XCLAIM / XAUTOCLAIM with JUSTID.
    pub(crate) parse_justid: bool,
    /// XINFO STREAM FULL.
    pub(crate) full: bool,
    /// XPENDING's extended form.
    pub(crate) parse_detail: bool,
    /// ZRANGE & co. with `withscores` (`zset_score_pairs` pairs them then).
    pub(crate) withscores: bool,
    /// The `score_cast_func` of the sorted-set range methods; `None` is `float`.
    pub(crate) score_cast: Option<Py<PyAny>>,
}

impl Opts {
    /// The options redis-py's `execute_command(**options)` passes to callbacks.
    pub(crate) fn from_kwargs(options: Option<&Bound<'_, PyDict>>) -> PyResult<Opts> {
        let flag = |name: &str| -> PyResult<bool> {
            match options {
                Some(o) => Ok(o.get_item(name)?.is_some_and(|v| v.is_truthy().unwrap_or(false))),
                None => Ok(false),
            }
        };
        let score_cast = match options {
            Some(o) => o.get_item("score_cast_func")?.filter(|f| !f.is(f.py().get_type::<pyo3::types::PyFloat>())).map(Bound::unbind),
            None => None,
        };
        Ok(Opts {
            set_get: flag("get")?,
            parse_justid: flag("parse_justid")?,
            full: flag("full")?,
            parse_detail: flag("parse_detail")?,
            withscores: flag("withscores")?,
            score_cast,
        })
    }
}

// ---------------------------------------------------------------------------------------
// redis-py's response callbacks (`_parsers/helpers.py`), on the neutral reply
// ---------------------------------------------------------------------------------------

/// The items of an array or the flattened pairs of a map (what RESP2 sends for both).
fn flat(reply: &Reply) -> Vec<&Reply> {
    match reply {
        Reply::Array(items) => items.iter().collect(),
        Reply::Map(pairs) => pairs.iter().flat_map(|(k, v)| [k, v]).collect(),
        _ => Vec::new(),
    }
}

/// A reply as redis-py returns it raw.
fn raw<'py>(py: Python<'py>, codec: &Codec, reply: &Reply) -> PyResult<Bound<'py, PyAny>> {
    match reply {
        Reply::Map(_) => {
            let items = flat(reply).into_iter().map(|r| raw(py, codec, r)).collect::<PyResult<Vec<_>>>()?;
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
fn pairs_to_dict<'py>(py: Python<'py>, codec: &Codec, reply: &Reply, decode_keys: bool) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let mut it = flat(reply).into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        let key = match (k, decode_keys) {
            (Reply::Bulk(s) | Reply::Simple(s), true) => PyString::new(py, &String::from_utf8_lossy(s)).into_any(),
            _ => raw(py, codec, k)?,
        };
        d.set_item(key, raw(py, codec, v)?)?;
    }
    Ok(d)
}

/// `parse_stream_list`: `[(id, {field: value}), …]`, or None for a null.
fn stream_list<'py>(py: Python<'py>, codec: &Codec, reply: &Reply) -> PyResult<Bound<'py, PyAny>> {
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
            let id = parts.next().unwrap_or(NIL);
            let fields = parts.next().unwrap_or(NIL);
            Ok(PyTuple::new(py, [raw(py, codec, id)?, pairs_to_dict(py, codec, fields, false)?.into_any()])?.into_any())
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyList::new(py, items)?.into_any())
}

/// `parse_xread`: `[[stream, entries], …]`, `[]` for a null.
fn xread_reply<'py>(py: Python<'py>, codec: &Codec, reply: &Reply) -> PyResult<Bound<'py, PyAny>> {
    let items = flat(reply)
        .into_iter()
        .map(|r| {
            let mut parts = flat(r).into_iter();
            let key = raw(py, codec, parts.next().unwrap_or(NIL))?;
            let entries = stream_list(py, codec, parts.next().unwrap_or(NIL))?;
            Ok(PyList::new(py, [key, entries])?.into_any())
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyList::new(py, items)?.into_any())
}

/// `parse_xinfo_stream`.
fn xinfo_stream_reply<'py>(py: Python<'py>, codec: &Codec, reply: &Reply, full: bool) -> PyResult<Bound<'py, PyAny>> {
    let mut pairs = Vec::new();
    let mut it = flat(reply).into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        pairs.push((k, v));
    }
    let d = PyDict::new(py);
    for (k, v) in pairs {
        let name = match k {
            Reply::Bulk(s) | Reply::Simple(s) => String::from_utf8_lossy(s).into_owned(),
            _ => String::new(),
        };
        let value = match (name.as_str(), full) {
            ("first-entry" | "last-entry", false) if !v.is_nil() => {
                let mut parts = flat(v).into_iter();
                let id = raw(py, codec, parts.next().unwrap_or(NIL))?;
                let fields = pairs_to_dict(py, codec, parts.next().unwrap_or(NIL), false)?;
                PyTuple::new(py, [id, fields.into_any()])?.into_any()
            }
            ("entries", true) => {
                let entries = PyDict::new(py);
                for e in flat(v) {
                    let mut parts = flat(e).into_iter();
                    let id = raw(py, codec, parts.next().unwrap_or(NIL))?;
                    entries.set_item(id, pairs_to_dict(py, codec, parts.next().unwrap_or(NIL), false)?)?;
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
            _ => raw(py, codec, v)?,
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

/// The stream commands' part of `callback`.
fn stream_callback<'py>(py: Python<'py>, codec: &Codec, name: &str, reply: &Reply, opts: &Opts) -> PyResult<Bound<'py, PyAny>> {
    let as_bool = |b: bool| -> PyResult<Bound<'py, PyAny>> { Ok(PyBool::new(py, b).to_owned().into_any()) };
    match name {
        "XREAD" | "XREADGROUP" => xread_reply(py, codec, reply),
        "XRANGE" | "XREVRANGE" => stream_list(py, codec, reply),
        "XCLAIM" if opts.parse_justid => raw(py, codec, reply),
        "XCLAIM" => stream_list(py, codec, reply),
        "XAUTOCLAIM" => {
            let parts = flat(reply);
            if opts.parse_justid {
                return raw(py, codec, parts.get(1).copied().unwrap_or(NIL));
            }
            if parts.len() < 2 {
                return raw(py, codec, reply);
            }
            let out = PyList::empty(py);
            for (i, p) in parts.iter().enumerate() {
                if i == 1 {
                    out.append(stream_list(py, codec, p)?)?;
                } else {
                    out.append(raw(py, codec, p)?)?;
                }
            }
            Ok(out.into_any())
        }
        "XGROUP CREATE" | "XGROUP SETID" => as_bool(matches!(reply, Reply::Ok)),
        "XGROUP DESTROY" => as_bool(matches!(reply, Reply::Int(n) if *n != 0)),
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
                        d.set_item(k, raw(py, codec, v)?)?;
                    }
                    Ok(d.into_any())
                })
                .collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, rows)?.into_any())
        }
        "XPENDING" => {
            let parts = flat(reply);
            let get = |i: usize| parts.get(i).copied().unwrap_or(NIL);
            let consumers = flat(get(3))
                .into_iter()
                .map(|c| {
                    let mut nc = flat(c).into_iter();
                    let name = raw(py, codec, nc.next().unwrap_or(NIL))?;
                    let count = raw(py, codec, nc.next().unwrap_or(NIL))?;
                    let d = PyDict::new(py);
                    d.set_item("name", name)?;
                    d.set_item("pending", py.get_type::<PyInt>().call1((count,))?)?;
                    Ok(d.into_any())
                })
                .collect::<PyResult<Vec<_>>>()?;
            let d = PyDict::new(py);
            d.set_item("pending", raw(py, codec, get(0))?)?;
            d.set_item("min", raw(py, codec, get(1))?)?;
            d.set_item("max", raw(py, codec, get(2))?)?;
            d.set_item("consumers", PyList::new(py, consumers)?)?;
            Ok(d.into_any())
        }
        _ => raw(py, codec, reply),
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
