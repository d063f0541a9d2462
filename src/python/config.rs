//! CONFIG in process, as redis-py spells it: `config_get`, `config_set`,
//! `config_resetstat`, `config_rewrite`, and `execute_command("CONFIG", ...)`. Converts and
//! delegates: the parameter table and every rule are `command/config.rs`; the broker's
//! persistence is its host (`persist::config::PersistHost`), so server parameters answer
//! as for a broker with no server (a server started by `serve()` answers its own).

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};


use super::broker::PyBroker;
use super::convert::slices;
use super::errors::IntoPy;
use super::reply::{callback, Opts};
use crate::command::config as table;
use crate::command::reply::Reply;
use crate::persist::config::PersistHost;

/// Runs CONFIG `args` (`CONFIG` first) in one unit of the broker's engine.
fn run(b: &PyBroker, args: &[&[u8]]) -> PyResult<Reply> {
    let host = PersistHost(b.persist.as_ref());
    b.engine.execute(|ks| table::config(ks, &host, args)).py_err()
}

/// `config_get(pattern="*", *args)`: `{name: value}` as `str`.
pub(crate) fn config_get<'py>(b: &PyBroker, py: Python<'py>, patterns: &[Cow<'_, [u8]>]) -> PyResult<Bound<'py, PyDict>> {
    let mut argv: Vec<&[u8]> = vec![b"CONFIG", b"GET"];
    argv.extend(slices(patterns));
    Ok(callback(py, &b.codec, "CONFIG GET", &Opts::default(), &run(b, &argv)?)?.cast_into::<PyDict>()?)
}

/// `config_set(name, value, *args)`, `config_resetstat()`: True on OK.
pub(crate) fn config_ok(b: &PyBroker, sub: &'static [u8], args: &[Cow<'_, [u8]>]) -> PyResult<bool> {
    let mut argv: Vec<&[u8]> = vec![b"CONFIG", sub];
    argv.extend(slices(args));
    Ok(matches!(run(b, &argv)?, Reply::Ok))
}

/// What `Broker(config={...})` asks for, each pair checked as CONFIG SET checks it (same
/// errors) on a broker not yet opened. Two uses: `params`, the keyspace's own parameters,
/// go to the persistence before it loads (stream node sizes shape the replayed nodes);
/// `apply` then sets every pair on the opened broker, which reaches the parameters that
/// live with their part of the engine (`maxmemory*` with eviction, `slowlog-*` with the
/// slow log).
pub(crate) struct ConfigPairs {
    words: Vec<Vec<u8>>,
    pub params: crate::engine::config::Params,
}

impl ConfigPairs {
    /// Sets every pair on `engine` (already checked: it cannot fail on a broker that has
    /// no host of its own yet).
    pub fn apply(&self, engine: &crate::engine::Engine) -> PyResult<()> {
        if self.words.is_empty() {
            return Ok(());
        }
        let argv: Vec<&[u8]> = self.words.iter().map(Vec::as_slice).collect();
        engine.execute(|ks| table::set(ks, &table::NoHost, &argv)).py_err()
    }
}

/// Checks the `config=` pairs (see [`ConfigPairs`]).
pub(crate) fn pairs(codec: &super::convert::Codec, config: Option<&Bound<'_, PyDict>>) -> PyResult<ConfigPairs> {
    let mut ks = crate::engine::Keyspace::default();
    let mut words = Vec::new();
    if let Some(d) = config {
        for (k, v) in d.iter() {
            words.push(codec.encode(&k)?.into_owned());
            words.push(codec.encode(&v)?.into_owned());
        }
        let argv: Vec<&[u8]> = words.iter().map(Vec::as_slice).collect();
        if !argv.is_empty() {
            table::set(&mut ks, &table::NoHost, &argv).py_err()?;
        }
    }
    Ok(ConfigPairs { words, params: ks.config })
}

/// The flags `Broker(notify_keyspace_events=...)` asks for.
///
/// # Errors
/// `ValueError` for a character that names no class, with Redis's words.
pub(crate) fn notify_from_kwarg(text: Option<&str>) -> PyResult<Option<u16>> {
    let Some(text) = text else { return Ok(None) };
    crate::engine::notify::parse_flags(text.as_bytes()).map(Some).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!(
            "notify_keyspace_events: Invalid event class character. Use 'Ag$lshzxeKEtmdn'. (got {text:?})"
        ))
    })
}

/// `execute_command` for CONFIG (run here, with the broker's persistence as its host):
/// `None` for other commands. The reply goes through redis-py's callback for `name`, the
/// first argument as given: as with redis-py, the two-word spellings (`"CONFIG GET"`) get
/// the method's reply shapes and the split ones (`"CONFIG", "GET"`) the plain reply.
pub(crate) fn execute<'py>(b: &PyBroker, py: Python<'py>, name: &str, words: &[Cow<'_, [u8]>]) -> PyResult<Option<Bound<'py, PyAny>>> {
    if !words[0].eq_ignore_ascii_case(b"config") {
        return Ok(None);
    }
    let reply = run(b, &slices(words))?;
    callback(py, &b.codec, name, &Opts::default(), &reply).map(Some)
}

#[pymethods]
impl PyBroker {
    /// CONFIG GET: ``{name: value}`` (``str``) of the parameters matching ``pattern`` or
    /// any of ``args`` (globs; Redis 7.0's names and aliases). In process, server
    /// parameters answer as for a broker with no server.
    #[pyo3(signature = (pattern = None, *args, **_kwargs), text_signature = "($self, pattern='*', *args, **_kwargs)")]
    fn config_get<'py>(&self, py: Python<'py>, pattern: Option<&Bound<'py, PyAny>>, args: &Bound<'py, PyTuple>, _kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyDict>> {
        self.born.check()?;
        let mut items: Vec<Bound<'py, PyAny>> = vec![match pattern {
            Some(p) => p.clone(),
            None => PyString::new(py, "*").into_any(),
        }];
        items.extend(args.iter());
        super::config::config_get(self, py, &self.codec.encode_all(&items)?)
    }

    /// CONFIG SET ``name value [name value ...]``: every pair checked before any applies.
    /// A value embedis cannot honour is refused (``ResponseError``), never ignored.
    #[pyo3(signature = (name, value, *args, **_kwargs))]
    fn config_set<'py>(&self, name: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>, _kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<bool> {
        self.born.check()?;
        let mut items = vec![name.clone(), value.clone()];
        items.extend(args.iter());
        super::config::config_ok(self, b"SET", &self.codec.encode_all(&items)?)
    }

    /// CONFIG RESETSTAT: clears the statistics INFO reports.
    #[pyo3(signature = (**_kwargs))]
    fn config_resetstat(&self, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<bool> {
        self.born.check()?;
        super::config::config_ok(self, b"RESETSTAT", &[])
    }

    /// CONFIG REWRITE: always ``ResponseError``, as a Redis started without a config file.
    #[pyo3(signature = (**_kwargs))]
    fn config_rewrite(&self, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<bool> {
        self.born.check()?;
        super::config::config_ok(self, b"REWRITE", &[])
    }
}
