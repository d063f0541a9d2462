//! `embedis.Broker`: one method per redis-py method, with redis-py's names, arguments and
//! return shapes. Each method extracts its arguments, makes one engine call, converts the
//! result. No Redis rule lives here: an `if` a Redis user would recognise belongs below.

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyInt, PyList, PyString, PyTuple};

use super::convert::{keys_arg, slices, Codec};
use super::errors::{to_pyerr, DataError, IntoPy};
use super::fork::Born;
use crate::engine::clock::unix_ms;
use super::wait::{block_sync, parse_timeout, BlockSpec};
use crate::command::{self, reply::Reply, Context};
use crate::engine::db::Key;
use crate::engine::keyspace::check_db;
use crate::engine::stats::CmdId;
use crate::engine::strings::SetOptions;
use crate::engine::waiters::{BlockOp, Served};
use crate::engine::{End, Engine, Keyspace};

/// A static stats id for a command name (see `Engine::call`).
macro_rules! cmd {
    ($name:literal) => {{
        static ID: CmdId = CmdId::new($name);
        &ID
    }};
}

// Stats ids of the in-process methods that call the engine directly (see `Engine::call`).
static LPUSH: CmdId = CmdId::new("lpush");
static RPUSH: CmdId = CmdId::new("rpush");
static LPUSHX: CmdId = CmdId::new("lpushx");
static RPUSHX: CmdId = CmdId::new("rpushx");
static LPOP: CmdId = CmdId::new("lpop");
static RPOP: CmdId = CmdId::new("rpop");
static LLEN: CmdId = CmdId::new("llen");

/// An in-process broker with Redis semantics; mirrors `redis.Redis`.
#[pyclass(name = "Broker", module = "embedis._embedis", frozen, subclass)]
pub struct PyBroker {
    /// The shared data; other handles may point at the same engine.
    pub(crate) engine: Engine,
    /// The selected database (SELECT through `execute_command` changes it).
    db: AtomicUsize,
    /// redis-py's encoding and `decode_responses` settings.
    pub(crate) codec: Codec,
    /// The engine's persistence, shared by every handle on the engine (`broker=`); `None`
    /// without `dir=`.
    pub(crate) persist: Option<crate::persist::Persistence>,
    /// Unix seconds when the engine was created (LASTSAVE without persistence).
    opened_at: i64,
    /// The process (fork generation) this handle was made in: every method checks it.
    pub(crate) born: Born,
}

impl Drop for PyBroker {
    /// The last handle on a persistence closes it here, before `del broker` returns:
    /// final fsync, final snapshot, directory unlocked (see `persist::Persistence`), so
    /// `Broker(dir=same)` right after succeeds. With the GIL released: the close waits
    /// for the persistence's threads and may write a large snapshot.
    ///
    /// In a forked child, what the handle holds is leaked, not dropped: the last handle's
    /// drop would flush the parent's AOF, write a final snapshot and lock the engine,
    /// whose lock a thread that does not exist here may have held at the fork.
    fn drop(&mut self) {
        if self.born.forked() {
            std::mem::forget(std::mem::take(&mut self.engine));
            std::mem::forget(self.persist.take());
            return;
        }
        if let Some(p) = self.persist.take() {
            let mut p = Some(p);
            let _ = Python::try_attach(|py| py.detach(|| drop(p.take())));
            drop(p);
        }
    }
}






impl PyBroker {
    /// The persistence, or the error Redis-minded users expect without `dir=`.
    fn persistence(&self) -> PyResult<&crate::persist::Persistence> {
        self.persist.as_ref().ok_or_else(|| {
            super::persist::PersistenceError::new_err("this broker has no persistence: open it with Broker(dir=...)")
        })
    }

    pub(crate) fn db(&self) -> usize {
        self.db.load(Ordering::Relaxed)
    }

    /// Runs `f` in this handle's database as the command `cmd` (Redis `CMD_FAST` if
    /// `fast`): counted in INFO, timed, slow-logged and shown to monitors as an
    /// in-process call. `argv` (the command's words) is built only if a log wants it.
    fn call<A: AsRef<[u8]>, T, E: std::fmt::Display>(
        &self,
        cmd: &CmdId,
        fast: bool,
        argv: impl FnOnce() -> Vec<A>,
        f: impl FnOnce(&mut Keyspace, usize) -> Result<T, E>,
    ) -> Result<T, E> {
        let db = self.db();
        self.engine.call(cmd, fast, db, super::observe::origin(), argv, |ks| f(ks, db))
    }

    /// `call` for an operation that cannot fail.
    fn call_ok<A: AsRef<[u8]>, T>(&self, cmd: &CmdId, fast: bool, argv: impl FnOnce() -> Vec<A>, f: impl FnOnce(&mut Keyspace, usize) -> T) -> T {
        let Ok(v) = self.call::<A, T, std::convert::Infallible>(cmd, fast, argv, |ks, db| Ok(f(ks, db)));
        v
    }

    fn key<'a>(&self, k: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
        self.codec.encode(k)
    }

    fn push(&self, name: &Bound<'_, PyAny>, values: &Bound<'_, PyTuple>, end: End, x: bool) -> PyResult<usize> {
        let key = self.key(name)?;
        let db = self.db();
        // One value is the common case: no vectors at all.
        let cmd = match (end, x) {
            (End::Left, false) => &LPUSH,
            (End::Right, false) => &RPUSH,
            (End::Left, true) => &LPUSHX,
            (End::Right, true) => &RPUSHX,
        };
        let origin = super::observe::origin();
        if values.len() == 1 {
            let item = values.get_borrowed_item(0)?;
            let v = self.codec.encode(&item)?;
            let argv = || vec![upper(cmd), &key, &v];
            return self.engine.call(cmd, true, db, origin, argv, |ks| ks.check_memory(true).and_then(|()| ks.push(db, &key, &[&v], end, x))).py_err();
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
        let argv = || [&[upper(cmd), &key][..], &refs].concat();
        self.engine.call(cmd, true, db, origin, argv, |ks| ks.check_memory(true).and_then(|()| ks.push(db, &key, &refs, end, x))).py_err()
    }

    fn pop<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>, end: End) -> PyResult<Bound<'py, PyAny>> {
        let db = self.db();
        let Some(count) = count.filter(|c| !c.is_none()) else {
            let key = self.key(name)?;
            let cmd = if end == End::Left { &LPOP } else { &RPOP };
            let argv = || vec![upper(cmd), &key];
            let v = self.engine.call(cmd, true, db, super::observe::origin(), argv, |ks| ks.pop(db, &key, end)).py_err()?;
            return self.codec.out_opt(py, v.as_deref());
        };
        let Some(n) = plain_i64(count).and_then(|n| usize::try_from(n).ok()) else {
            let word = if end == End::Left { "LPOP" } else { "RPOP" };
            return self.command(py, &[W(word), A(name), A(count)]);
        };
        let key = self.key(name)?;
        let cmd = if end == End::Left { &LPOP } else { &RPOP };
        let argv = || vec![Cow::Borrowed(upper(cmd)), Cow::Borrowed(&key[..]), Cow::Owned(n.to_string().into_bytes())];
        match self.call(cmd, true, argv, |ks, db| ks.pop_count(db, &key, end, n)).py_err()? {
            Some(vals) => self.codec.out_list(py, &vals),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// A blocking call's spec.
    fn spec(&self, keys: Vec<Key>, op: BlockOp, timeout: Option<std::time::Duration>) -> BlockSpec {
        BlockSpec { engine: self.engine.clone(), db: self.db(), keys, op, timeout, codec: self.codec.clone(), born: self.born }
    }

    fn keys_vec(&self, keys: &Bound<'_, PyAny>, more: &Bound<'_, PyTuple>) -> PyResult<Vec<Key>> {
        let all = keys_arg(keys, more)?;
        all.iter().map(|k| Ok(Key::from(self.key(k)?.as_ref()))).collect()
    }
}

/// The word redis-py sends for one of the list commands above (`LPUSH`).
fn upper(cmd: &CmdId) -> &'static [u8] {
    match cmd.name() {
        "lpush" => b"LPUSH",
        "rpush" => b"RPUSH",
        "lpushx" => b"LPUSHX",
        "rpushx" => b"RPUSHX",
        "lpop" => b"LPOP",
        "rpop" => b"RPOP",
        _ => cmd.name().as_bytes(),
    }
}

/// Owned command words for the slow log and monitors (built only when one wants them).
fn words(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
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
        Served::Streams { streams } => super::streams::streams_to_py(py, codec, streams),
        Served::Failed(e) => Err(to_pyerr(&e)),
    }
}

#[pymethods]
impl PyBroker {
    /// A new, empty broker, or (with `broker=`) another handle on the data of `broker`.
    ///
    /// Arguments mirror `redis.Redis`: `db` selects one of the 16 databases,
    /// `decode_responses=True` returns str instead of bytes, `encoding` and
    /// `encoding_errors` say how str arguments are encoded and replies decoded.
    ///
    /// Persistence, with Redis's configuration names: ``dir`` (the directory; nothing is
    /// persisted without it), ``appendonly``, ``appendfsync`` (``"always"``, ``"everysec"``,
    /// ``"no"``), ``save`` (``[(seconds, changes), ...]``; Redis's default rules when
    /// omitted, ``[]`` for none), ``dbfilename`` (``"dump.edb"``), ``appendfilename``,
    /// ``appenddirname``, ``auto_aof_rewrite_percentage``, ``auto_aof_rewrite_min_size``,
    /// ``aof_use_rdb_preamble``. A broker opened on a directory loads what is there; a
    /// second broker on the same directory raises ``PersistenceError``.
    ///
    /// Bounded memory, with Redis's names: ``maxmemory`` (bytes, or a string such as
    /// ``"512mb"``; 0, the default, means no limit), ``maxmemory_policy``
    /// (``"noeviction"``, the default: commands that may grow memory raise
    /// ``OutOfMemoryError`` over the limit while pops, reads, deletes and acks go on;
    /// or ``"allkeys-lru"``, ``"allkeys-lfu"``, ``"allkeys-random"``, ``"volatile-lru"``,
    /// ``"volatile-lfu"``, ``"volatile-random"``, ``"volatile-ttl"`` to evict),
    /// ``maxmemory_samples`` (keys sampled per eviction, 5). ``info("memory")`` reports
    /// ``used_memory``.
    /// ``config``: CONFIG parameters (``{"stream-node-max-entries": 10, ...}``) set, with
    /// CONFIG SET's checks, before anything loads, as redis-server reads its config file.
    #[new]
    #[pyo3(signature = (*, db = 0, decode_responses = false, encoding = "utf-8", encoding_errors = "strict", broker = None, dir = None, appendonly = None, appendfsync = None, save = None, dbfilename = None, appendfilename = None, appenddirname = None, auto_aof_rewrite_percentage = None, auto_aof_rewrite_min_size = None, aof_use_rdb_preamble = None, maxmemory = None, maxmemory_policy = None, maxmemory_samples = None, config = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        db: i64,
        decode_responses: bool,
        encoding: &str,
        encoding_errors: &str,
        broker: Option<&Bound<'_, PyBroker>>,
        dir: Option<std::path::PathBuf>,
        appendonly: Option<bool>,
        appendfsync: Option<String>,
        save: Option<Bound<'_, PyAny>>,
        dbfilename: Option<String>,
        appendfilename: Option<String>,
        appenddirname: Option<String>,
        auto_aof_rewrite_percentage: Option<u64>,
        auto_aof_rewrite_min_size: Option<u64>,
        aof_use_rdb_preamble: Option<bool>,
        maxmemory: Option<&Bound<'_, PyAny>>,
        maxmemory_policy: Option<&str>,
        maxmemory_samples: Option<i64>,
        config: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let db = check_db(db).map_err(|e| PyValueError::new_err(e.to_string()))?;
        let memory = super::memory::config_from_kwargs(maxmemory, maxmemory_policy, maxmemory_samples)?;
        let codec = Codec::new(decode_responses, encoding, encoding_errors);
        let pairs = super::config::pairs(&codec, config)?;
        let options = super::persist::Options {
            dir,
            appendonly,
            appendfsync,
            save,
            dbfilename,
            appendfilename,
            appenddirname,
            auto_aof_rewrite_percentage,
            auto_aof_rewrite_min_size,
            aof_use_rdb_preamble,
            params: pairs.params.clone(),
        };
        if let Some(b) = broker {
            if options.dir.is_some() || config.is_some() {
                return Err(PyValueError::new_err("broker= shares another broker's data, persistence and configuration; it takes no dir= or config="));
            }
            if memory.is_some() {
                return Err(PyValueError::new_err("broker= shares another broker's data and its memory limit; it takes no maxmemory settings"));
            }
            let b = b.get();
            b.born.check()?;
            return Ok(PyBroker { engine: b.engine.clone(), db: AtomicUsize::new(db), codec, persist: b.persist.clone(), opened_at: b.opened_at, born: Born::here() });
        }
        let opened_at = unix_ms() / 1000;
        let (engine, persist) = match super::persist::open(py, &options)? {
            Some((engine, p)) => (engine, Some(p)),
            None => (Engine::new(), None),
        };
        pairs.apply(&engine)?;
        // After loading: what was persisted comes back whole, as Redis loads past its limit.
        if let Some(cfg) = memory {
            engine.execute(|ks| ks.set_memory_config(cfg));
        }
        Ok(PyBroker { engine, db: AtomicUsize::new(db), codec, persist, opened_at, born: Born::here() })
    }

    // ---- persistence -------------------------------------------------------------------

    /// Save the data to disk now (Redis SAVE); returns True once the snapshot is on disk.
    #[pyo3(signature = (**_kwargs))]
    fn save(&self, py: Python<'_>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<bool> {
        self.born.check()?;
        let p = self.persistence()?;
        py.detach(|| p.save()).map_err(|e| super::persist::to_pyerr(&e))?;
        Ok(true)
    }

    /// Save the data to disk in the background (Redis BGSAVE); writers go on meanwhile.
    #[pyo3(signature = (schedule = true, **_kwargs))]
    fn bgsave(&self, schedule: bool, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<bool> {
        self.born.check()?;
        let _ = schedule;
        self.persistence()?.bgsave().map_err(|e| super::persist::to_pyerr(&e))?;
        Ok(true)
    }

    /// Rewrite the append-only file in the background (Redis BGREWRITEAOF): a new base from
    /// a snapshot and a fresh incremental file, switched atomically. With the AOF off, as
    /// Redis 7: a new base alone, which a later ``appendonly=True`` start loads.
    #[pyo3(signature = (**_kwargs))]
    fn bgrewriteaof(&self, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<bool> {
        self.born.check()?;
        self.persistence()?.bgrewriteaof().map_err(|e| super::persist::to_pyerr(&e))?;
        Ok(true)
    }

    /// The time of the last successful save, as a ``datetime`` (Redis LASTSAVE).
    #[pyo3(signature = (**_kwargs))]
    fn lastsave<'py>(&self, py: Python<'py>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let secs = self.persist.as_ref().map_or(self.opened_at, crate::persist::Persistence::lastsave);
        super::persist::datetime_from_unix(py, secs)
    }

    /// Redis INFO as redis-py's dict: ``info()`` the default sections, ``info("stats")``,
    /// ``info("commandstats")`` (``cmdstat_<name>`` → a dict of ``calls``, ``usec``,
    /// ``usec_per_call``, ``rejected_calls``, ``failed_calls``), ``info("errorstats")``,
    /// ``info("all")`` / ``info("everything")``. Counts include in-process calls.
    #[pyo3(signature = (section = None, *_args, **_kwargs))]
    fn info<'py>(&self, py: Python<'py>, section: Option<&str>, _args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyDict>> {
        self.born.check()?;
        // redis-py sends `INFO section *args`: every name given is a section asked for.
        let mut sections: Vec<String> = section.map(str::to_owned).into_iter().collect();
        for a in _args.iter() {
            sections.push(a.str()?.to_string());
        }
        super::observe::info(py, self, &sections)
    }

    /// The newest ``num`` slow log entries (10 by default, ``-1`` for all), as redis-py's
    /// dicts: ``id``, ``start_time``, ``duration`` (µs), ``command``, ``client_address``,
    /// ``client_name``. In-process calls show ``python:<pid>`` as their address.
    #[pyo3(signature = (num = None, **_kwargs))]
    fn slowlog_get<'py>(&self, py: Python<'py>, num: Option<i64>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyList>> {
        self.born.check()?;
        super::observe::slowlog_get(py, self, num)
    }

    /// The number of entries in the slow log.
    #[pyo3(signature = (**_kwargs))]
    fn slowlog_len(&self, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<usize> {
        self.born.check()?;
        Ok(self.engine.observe(|ks| ks.slowlog.len()))
    }

    /// Empty the slow log.
    #[pyo3(signature = (**_kwargs))]
    fn slowlog_reset(&self, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<bool> {
        self.born.check()?;
        self.engine.observe(|ks| ks.slowlog.reset());
        Ok(true)
    }

    /// A raw MONITOR feed of this broker (use ``monitor()``, which parses its lines).
    fn _monitor_feed(&self) -> PyResult<super::observe::PyMonitorFeed> {
        self.born.check()?;
        Ok(super::observe::PyMonitorFeed::open(self))
    }

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

    /// Wait until no background save or rewrite runs, then write and fsync what the AOF
    /// has buffered (embedis only; useful in tests and before a controlled exit).
    fn _sync_persistence(&self, py: Python<'_>) -> PyResult<()> {
        self.born.check()?;
        if let Some(p) = &self.persist {
            py.detach(|| {
                p.wait_background();
                p.sync();
            });
        }
        Ok(())
    }

    fn __repr__(&self) -> String {
        if self.born.forked() {
            return self.born.forked_repr("embedis.Broker");
        }
        let (keys, lists, elements) = self.engine.execute(|ks| ks.summary());
        format!(
            "<embedis.Broker db={} keys={keys} lists={lists} list_elements={elements}{}>",
            self.db(),
            if self.codec.decode_responses { " decode_responses=True" } else { "" }
        )
    }

    /// The database this handle works on.
    #[getter]
    fn get_db(&self) -> PyResult<usize> {
        self.born.check()?;
        Ok(self.db())
    }

    /// Whether replies are str (True) or bytes (False).
    #[getter]
    fn decode_responses(&self) -> PyResult<bool> {
        self.born.check()?;
        Ok(self.codec.decode_responses)
    }

    /// Raises ``ForkedBrokerError`` in a forked child (for the Python wrapper's methods
    /// that reach no native call first).
    fn _check_fork(&self) -> PyResult<()> {
        self.born.check()
    }

    /// Whether two handles share the same data.
    fn shares_data_with(&self, other: &Bound<'_, PyBroker>) -> PyResult<bool> {
        self.born.check()?;
        Ok(self.engine.same_as(&other.get().engine))
    }

    // ---- lists -------------------------------------------------------------------------

    /// Push ``values`` onto the head of the list ``name``; returns the new length.
    #[pyo3(signature = (name, *values))]
    fn lpush(&self, name: &Bound<'_, PyAny>, values: &Bound<'_, PyTuple>) -> PyResult<usize> {
        self.born.check()?;
        self.push(name, values, End::Left, false)
    }

    /// Push ``values`` onto the tail of the list ``name``; returns the new length.
    #[pyo3(signature = (name, *values))]
    fn rpush(&self, name: &Bound<'_, PyAny>, values: &Bound<'_, PyTuple>) -> PyResult<usize> {
        self.born.check()?;
        self.push(name, values, End::Right, false)
    }

    /// Push ``values`` onto the head of ``name`` only if the list exists.
    #[pyo3(signature = (name, *values))]
    fn lpushx(&self, name: &Bound<'_, PyAny>, values: &Bound<'_, PyTuple>) -> PyResult<usize> {
        self.born.check()?;
        self.push(name, values, End::Left, true)
    }

    /// Push ``values`` onto the tail of ``name`` only if the list exists.
    #[pyo3(signature = (name, *values))]
    fn rpushx(&self, name: &Bound<'_, PyAny>, values: &Bound<'_, PyTuple>) -> PyResult<usize> {
        self.born.check()?;
        self.push(name, values, End::Right, true)
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
        let db = self.db();
        let argv = || vec![&b"LLEN"[..], &key];
        self.engine.call(&LLEN, true, db, super::observe::origin(), argv, |ks| ks.llen(db, &key)).py_err()
    }

    /// Elements ``start`` to ``end`` (inclusive; negative counts from the tail).
    fn lrange<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, start: &Bound<'py, PyAny>, end: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let (Some(s), Some(e)) = (plain_i64(start), plain_i64(end)) else {
            return self.command(py, &[W("LRANGE"), A(name), A(start), A(end)]);
        };
        let key = self.key(name)?;
        let argv = || words(&[b"LRANGE", &key, s.to_string().as_bytes(), e.to_string().as_bytes()]);
        let v = self.call(cmd!("lrange"), false, argv, |ks, db| ks.lrange(db, &key, s, e)).py_err()?;
        self.codec.out_list(py, &v)
    }

    /// The element at ``index``, or None.
    fn lindex<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, index: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let Some(i) = plain_i64(index) else {
            return self.command(py, &[W("LINDEX"), A(name), A(index)]);
        };
        let key = self.key(name)?;
        let argv = || words(&[b"LINDEX", &key, i.to_string().as_bytes()]);
        let v = self.call(cmd!("lindex"), false, argv, |ks, db| ks.lindex(db, &key, i)).py_err()?;
        self.codec.out_opt(py, v.as_deref())
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
        let Some(c) = plain_i64(count) else {
            return self.command(py, &[W("LREM"), A(name), A(count), A(value)]);
        };
        let key = self.key(name)?;
        let v = self.codec.encode(value)?;
        let argv = || words(&[b"LREM", &key, c.to_string().as_bytes(), &v]);
        let n = self.call(cmd!("lrem"), false, argv, |ks, db| ks.lrem(db, &key, c, &v)).py_err()?;
        Ok(n.into_pyobject(py)?.into_any())
    }

    /// Keep only elements ``start`` to ``end``; True.
    fn ltrim<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, start: &Bound<'py, PyAny>, end: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let (Some(s), Some(e)) = (plain_i64(start), plain_i64(end)) else {
            return self.command(py, &[W("LTRIM"), A(name), A(start), A(end)]);
        };
        let key = self.key(name)?;
        let argv = || words(&[b"LTRIM", &key, s.to_string().as_bytes(), e.to_string().as_bytes()]);
        self.call(cmd!("ltrim"), false, argv, |ks, db| ks.ltrim(db, &key, s, e)).py_err()?;
        Ok(true.into_pyobject(py)?.to_owned().into_any())
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
    fn rpoplpush<'py>(&self, py: Python<'py>, src: &Bound<'_, PyAny>, dst: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let (a, b) = (self.key(src)?, self.key(dst)?);
        let argv = || words(&[b"RPOPLPUSH", &a, &b]);
        let v = self.call(cmd!("rpoplpush"), false, argv, |ks, db| ks.check_memory(true).and_then(|()| ks.lmove(db, &a, &b, End::Right, End::Left))).py_err()?;
        self.codec.out_opt(py, v.as_deref())
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

    // ---- keyspace ----------------------------------------------------------------------

    /// Delete ``names``; how many existed.
    #[pyo3(signature = (*names))]
    fn delete<'py>(&self, py: Python<'py>, names: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.count_keys(py, names, "DEL", Keyspace::del)
    }

    /// Same as ``delete`` (memory is reclaimed at once either way).
    #[pyo3(signature = (*names))]
    fn unlink<'py>(&self, py: Python<'py>, names: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.count_keys(py, names, "UNLINK", Keyspace::del)
    }

    /// How many of ``names`` exist (a name given twice counts twice).
    #[pyo3(signature = (*names))]
    fn exists<'py>(&self, py: Python<'py>, names: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.count_keys(py, names, "EXISTS", Keyspace::exists)
    }

    /// The type of ``name``: ``b'list'``, ``b'string'``, ``b'none'``…
    fn r#type<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let key = self.key(name)?;
        let t = self.call_ok(cmd!("type"), true, || words(&[b"TYPE", &key]), |ks, db| ks.type_of(db, &key));
        self.codec.out(py, t.as_bytes())
    }

    /// Every key matching the glob ``pattern``.
    #[pyo3(signature = (pattern = None, **_kwargs))]
    fn keys<'py>(&self, py: Python<'py>, pattern: Option<&Bound<'_, PyAny>>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let p = match pattern {
            Some(p) => self.codec.encode(p)?,
            None => Cow::Borrowed(&b"*"[..]),
        };
        let keys = self.call_ok(cmd!("keys"), false, || words(&[b"KEYS", &p]), |ks, db| ks.keys(db, &p));
        self.codec.out_list(py, &keys)
    }

    /// One step of an incremental iteration: ``(next_cursor, [keys])``; 0 ends it.
    #[pyo3(signature = (cursor = None, r#match = None, count = None, _type = None, **_kwargs))]
    fn scan<'py>(&self, py: Python<'py>, cursor: Option<&Bound<'py, PyAny>>, r#match: Option<&Bound<'py, PyAny>>, count: Option<&Bound<'py, PyAny>>, _type: Option<&Bound<'py, PyAny>>, _kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let zero = 0i64.into_pyobject(py)?.into_any();
        let mut parts = vec![W("SCAN"), A(cursor.unwrap_or(&zero))];
        for (word, arg) in [("MATCH", r#match), ("COUNT", count), ("TYPE", _type)] {
            if let Some(a) = arg.filter(|a| !a.is_none()) {
                parts.extend([W(word), A(a)]);
            }
        }
        self.command(py, &parts)
    }

    /// Number of keys in the database.
    #[pyo3(signature = (**_kwargs))]
    fn dbsize(&self, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<usize> {
        self.born.check()?;
        Ok(self.call_ok(cmd!("dbsize"), true, || words(&[b"DBSIZE"]), |ks, db| ks.dbsize(db)))
    }

    /// Delete every key of this database; True.
    #[pyo3(signature = (asynchronous = false, **_kwargs))]
    fn flushdb(&self, asynchronous: bool, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<bool> {
        self.born.check()?;
        let _ = asynchronous;
        self.call_ok(cmd!("flushdb"), false, || words(&[b"FLUSHDB"]), |ks, db| ks.flushdb(db));
        Ok(true)
    }

    /// Delete every key of every database; True.
    #[pyo3(signature = (asynchronous = false, **_kwargs))]
    fn flushall(&self, asynchronous: bool, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<bool> {
        self.born.check()?;
        let _ = asynchronous;
        self.call_ok(cmd!("flushall"), false, || words(&[b"FLUSHALL"]), |ks, _| ks.flushall());
        Ok(true)
    }

    /// Rename ``src`` to ``dst``; True.
    fn rename(&self, src: &Bound<'_, PyAny>, dst: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.born.check()?;
        let (a, b) = (self.key(src)?, self.key(dst)?);
        self.call(cmd!("rename"), false, || words(&[b"RENAME", &a, &b]), |ks, db| ks.rename(db, &a, &b, false)).py_err()?;
        Ok(true)
    }

    /// Rename ``src`` to ``dst`` if ``dst`` does not exist.
    fn renamenx(&self, src: &Bound<'_, PyAny>, dst: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.born.check()?;
        let (a, b) = (self.key(src)?, self.key(dst)?);
        self.call(cmd!("renamenx"), true, || words(&[b"RENAMENX", &a, &b]), |ks, db| ks.rename(db, &a, &b, true)).py_err()
    }

    /// Expire ``name`` in ``time`` seconds (int or timedelta).
    #[pyo3(signature = (name, time, nx = false, xx = false, gt = false, lt = false))]
    fn expire<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, time: &Bound<'py, PyAny>, nx: bool, xx: bool, gt: bool, lt: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let t = timedelta_to_int(time, 1)?;
        self.expire_generic(py, "EXPIRE", name, &t, [nx, xx, gt, lt])
    }

    /// Expire ``name`` in ``time`` milliseconds (int or timedelta).
    #[pyo3(signature = (name, time, nx = false, xx = false, gt = false, lt = false))]
    fn pexpire<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, time: &Bound<'py, PyAny>, nx: bool, xx: bool, gt: bool, lt: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let t = timedelta_to_int(time, 1000)?;
        self.expire_generic(py, "PEXPIRE", name, &t, [nx, xx, gt, lt])
    }

    /// Expire ``name`` at ``when`` (Unix seconds or datetime).
    #[pyo3(signature = (name, when, nx = false, xx = false, gt = false, lt = false))]
    fn expireat<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, when: &Bound<'py, PyAny>, nx: bool, xx: bool, gt: bool, lt: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let t = datetime_to_int(when, 1)?;
        self.expire_generic(py, "EXPIREAT", name, &t, [nx, xx, gt, lt])
    }

    /// Expire ``name`` at ``when`` (Unix milliseconds or datetime).
    #[pyo3(signature = (name, when, nx = false, xx = false, gt = false, lt = false))]
    fn pexpireat<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, when: &Bound<'py, PyAny>, nx: bool, xx: bool, gt: bool, lt: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let t = datetime_to_int(when, 1000)?;
        self.expire_generic(py, "PEXPIREAT", name, &t, [nx, xx, gt, lt])
    }

    /// Seconds to live: -2 if missing, -1 without expiry.
    fn ttl(&self, name: &Bound<'_, PyAny>) -> PyResult<i64> {
        self.born.check()?;
        let key = self.key(name)?;
        let ms = self.call_ok(cmd!("ttl"), true, || words(&[b"TTL", &key]), |ks, db| ks.pttl(db, &key));
        // Rounded as Redis's TTL: (ms + 500) / 1000.
        Ok(if ms < 0 { ms } else { (ms + 500) / 1000 })
    }

    /// Milliseconds to live: -2 if missing, -1 without expiry.
    fn pttl(&self, name: &Bound<'_, PyAny>) -> PyResult<i64> {
        self.born.check()?;
        let key = self.key(name)?;
        Ok(self.call_ok(cmd!("pttl"), true, || words(&[b"PTTL", &key]), |ks, db| ks.pttl(db, &key)))
    }

    /// Remove the expiry of ``name``; whether there was one.
    fn persist(&self, name: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.born.check()?;
        let key = self.key(name)?;
        Ok(self.call_ok(cmd!("persist"), true, || words(&[b"PERSIST", &key]), |ks, db| ks.persist(db, &key)))
    }

    /// True: the broker answers.
    #[pyo3(signature = (**_kwargs))]
    fn ping(&self, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<bool> {
        self.born.check()?;
        self.call_ok(cmd!("ping"), true, || words(&[b"PING"]), |_, _| ());
        Ok(true)
    }

    /// Returns ``value``.
    #[pyo3(signature = (value, **_kwargs))]
    fn echo<'py>(&self, py: Python<'py>, value: &Bound<'_, PyAny>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let v = self.codec.encode(value)?;
        self.call_ok(cmd!("echo"), true, || words(&[b"ECHO", &v]), |_, _| ());
        self.codec.out(py, &v)
    }

    // ---- strings -----------------------------------------------------------------------

    /// The value of ``name``, or None.
    fn get<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let key = self.key(name)?;
        let v = self.call(cmd!("get"), true, || words(&[b"GET", &key]), |ks, db| ks.get(db, &key)).py_err()?;
        self.codec.out_opt(py, v.as_deref())
    }

    /// Set ``name`` to ``value``. ``ex``/``px``: expire in seconds/ms (int or timedelta);
    /// ``exat``/``pxat``: expire at a Unix time; ``nx``: only if missing; ``xx``: only if
    /// present; ``keepttl``: keep the expiry; ``get``: return the old value.
    /// Returns True, or None when ``nx``/``xx`` prevented it (the old value with ``get``).
    #[pyo3(signature = (name, value, ex = None, px = None, nx = false, xx = false, keepttl = false, get = false, exat = None, pxat = None))]
    fn set<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>, ex: Option<&Bound<'py, PyAny>>, px: Option<&Bound<'py, PyAny>>, nx: bool, xx: bool, keepttl: bool, get: bool, exat: Option<&Bound<'py, PyAny>>, pxat: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let (ex, px, exat, pxat) = (some(ex), some(px), some(exat), some(pxat));
        // redis-py's own checks, before anything is sent (`Redis.set`, `extract_expire_flags`).
        if [ex.is_some(), px.is_some(), exat.is_some(), pxat.is_some(), keepttl].iter().filter(|b| **b).count() > 1 {
            return Err(DataError::new_err("``ex``, ``px``, ``exat``, ``pxat``, and ``keepttl`` are mutually exclusive."));
        }
        if nx && xx {
            return Err(DataError::new_err("``nx``, ``xx``, ``ifeq``, ``ifne``, ``ifdeq``, ``ifdne`` are mutually exclusive."));
        }
        if !(nx || xx || get || keepttl) && ex.is_none() && px.is_none() && exat.is_none() && pxat.is_none() {
            // The plain SET: no command words to build.
            let key = self.key(name)?;
            let v = self.codec.encode(value)?;
            self.call(cmd!("set"), false, || words(&[b"SET", &key, &v]), |ks, db| ks.check_memory(true).and_then(|()| ks.set(db, &key, &v, SetOptions::default()))).py_err()?;
            return Ok(true.into_pyobject(py)?.to_owned().into_any());
        }
        let mut parts = vec![W("SET"), A(name), A(value)];
        if nx {
            parts.push(W("NX"));
        } else if xx {
            parts.push(W("XX"));
        }
        if get {
            parts.push(W("GET"));
        }
        let expiry;
        if let Some(t) = ex {
            expiry = expiry_arg(t, 1, "ex must be datetime.timedelta, int, or a digit string")?;
            parts.extend([W("EX"), A(&expiry)]);
        } else if let Some(t) = px {
            expiry = expiry_arg(t, 1000, "px must be datetime.timedelta, int, or a digit string")?;
            parts.extend([W("PX"), A(&expiry)]);
        } else if let Some(t) = exat {
            expiry = datetime_to_int(t, 1)?;
            parts.extend([W("EXAT"), A(&expiry)]);
        } else if let Some(t) = pxat {
            expiry = datetime_to_int(t, 1000)?;
            parts.extend([W("PXAT"), A(&expiry)]);
        }
        if keepttl {
            parts.push(W("KEEPTTL"));
        }
        let words = self.words(&parts)?;
        self.run_opts(py, &words, get)
    }

    /// Set ``name`` to ``value`` if it does not exist; whether it was set.
    fn setnx(&self, name: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.born.check()?;
        let key = self.key(name)?;
        let v = self.codec.encode(value)?;
        let opts = SetOptions { nx: true, ..SetOptions::default() };
        Ok(self.call(cmd!("setnx"), true, || words(&[b"SETNX", &key, &v]), |ks, db| ks.check_memory(true).and_then(|()| ks.set(db, &key, &v, opts))).py_err()?.written)
    }

    /// Get the value of ``name`` and delete the key.
    fn getdel<'py>(&self, py: Python<'py>, name: &Bound<'_, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let key = self.key(name)?;
        let v = self.call(cmd!("getdel"), true, || words(&[b"GETDEL", &key]), |ks, db| ks.getdel(db, &key)).py_err()?;
        self.codec.out_opt(py, v.as_deref())
    }

    /// The values of ``keys`` (None where missing or not a string).
    #[pyo3(signature = (keys, *args))]
    fn mget<'py>(&self, py: Python<'py>, keys: &Bound<'py, PyAny>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let keys = self.keys_vec(keys, args)?;
        let refs: Vec<&[u8]> = keys.iter().map(AsRef::as_ref).collect();
        let vals = self.call_ok(cmd!("mget"), true, || [&[&b"MGET"[..]][..], &refs].concat(), |ks, db| ks.mget(db, &refs));
        let objs = vals.iter().map(|v| self.codec.out_opt(py, v.as_deref())).collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, objs)?.into_any())
    }

    /// Set every key/value of ``mapping``; True.
    fn mset<'py>(&self, py: Python<'py>, mapping: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.mset_generic(py, mapping, "MSET")
    }

    /// Set every key/value of ``mapping`` if none of the keys exists; whether it did.
    fn msetnx<'py>(&self, py: Python<'py>, mapping: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.mset_generic(py, mapping, "MSETNX")
    }

    /// Increment ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, amount = None))]
    fn incr<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.incr_generic(py, name, amount, "INCRBY", false)
    }

    /// Increment ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, amount = None))]
    fn incrby<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.incr_generic(py, name, amount, "INCRBY", false)
    }

    /// Decrement ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, amount = None))]
    fn decr<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.incr_generic(py, name, amount, "DECRBY", true)
    }

    /// Decrement ``name`` by ``amount``; the new value.
    #[pyo3(signature = (name, amount = None))]
    fn decrby<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.incr_generic(py, name, amount, "DECRBY", true)
    }

    // ---- pub/sub (engine::pubsub; the PubSub object is src/python/pubsub.rs) ----------

    /// Publish ``message`` on ``channel``; returns the number of receivers, counted as Redis
    /// counts them (a subscriber reached through its channel and a pattern counts twice).
    #[pyo3(signature = (channel, message, **_kwargs))]
    fn publish(&self, channel: &Bound<'_, PyAny>, message: &Bound<'_, PyAny>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<usize> {
        self.born.check()?;
        let ch = self.key(channel)?;
        let data = self.codec.encode(message)?;
        Ok(self.call_ok(cmd!("publish"), true, || words(&[b"PUBLISH", &ch, &data]), |ks, _| ks.pubsub.publish(&ch, &data)))
    }

    /// Publish ``message`` on the shard channel ``shard_channel`` (SPUBLISH); returns how
    /// many ``ssubscribe`` subscribers received it. Channel and pattern subscribers never
    /// do: shard channels are a namespace of their own.
    #[pyo3(signature = (shard_channel, message))]
    fn spublish(&self, shard_channel: &Bound<'_, PyAny>, message: &Bound<'_, PyAny>) -> PyResult<usize> {
        self.born.check()?;
        let ch = self.key(shard_channel)?;
        let data = self.codec.encode(message)?;
        Ok(self.call_ok(cmd!("spublish"), true, || words(&[b"SPUBLISH", &ch, &data]), |ks, _| ks.pubsub.spublish(&ch, &data)))
    }

    /// Channels with at least one (non-pattern) subscriber, matching the glob ``pattern``.
    #[pyo3(signature = (pattern = None, **_kwargs))]
    fn pubsub_channels<'py>(&self, py: Python<'py>, pattern: Option<&Bound<'_, PyAny>>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let p = match pattern {
            Some(p) => self.codec.encode(p)?,
            None => Cow::Borrowed(&b"*"[..]),
        };
        let argv = || words(&[b"PUBSUB", b"CHANNELS", &p]);
        let names = self.call_ok(cmd!("pubsub|channels"), false, argv, |ks, _| ks.pubsub.channels(Some(&p)));
        self.codec.out_list(py, &names)
    }

    /// Shard channels with at least one subscriber, matching the glob ``pattern``.
    #[pyo3(signature = (pattern = None, **_kwargs))]
    fn pubsub_shardchannels<'py>(
        &self,
        py: Python<'py>,
        pattern: Option<&Bound<'_, PyAny>>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let p = match pattern {
            Some(p) => self.codec.encode(p)?,
            None => Cow::Borrowed(&b"*"[..]),
        };
        let argv = || words(&[b"PUBSUB", b"SHARDCHANNELS", &p]);
        let names = self.call_ok(cmd!("pubsub|shardchannels"), false, argv, |ks, _| ks.pubsub.shard_channels(Some(&p)));
        self.codec.out_list(py, &names)
    }

    /// ``[(channel, subscribers), ...]`` for each of ``args`` (pattern subscribers not counted).
    #[pyo3(signature = (*args, **_kwargs))]
    fn pubsub_numsub<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.numsub_generic(py, args, false)
    }

    /// ``[(shard_channel, subscribers), ...]`` for each of ``args``.
    #[pyo3(signature = (*args, **_kwargs))]
    fn pubsub_shardnumsub<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.numsub_generic(py, args, true)
    }

    /// The number of distinct patterns subscribed to.
    #[pyo3(signature = (**_kwargs))]
    fn pubsub_numpat(&self, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<usize> {
        self.born.check()?;
        Ok(self.call_ok(cmd!("pubsub|numpat"), false, || words(&[b"PUBSUB", b"NUMPAT"]), |ks, _| ks.pubsub.numpat()))
    }

    /// Sets the backlog limits of every subscriber of this broker, as Redis's
    /// ``client-output-buffer-limit pubsub <hard> <soft> <soft_seconds>``: a subscriber
    /// whose unread messages reach ``hard`` bytes, or stay at or above ``soft`` bytes for
    /// more than ``soft_seconds``, is unsubscribed from everything and its next read raises
    /// ``PubSubError``. 0 disables a limit. Defaults: 32 MiB, 8 MiB, 60 s.
    #[pyo3(signature = (hard, soft, soft_seconds))]
    fn set_pubsub_limits(&self, hard: usize, soft: usize, soft_seconds: f64) -> PyResult<()> {
        self.born.check()?;
        let soft_seconds = std::time::Duration::try_from_secs_f64(soft_seconds)
            .map_err(|_| PyValueError::new_err("soft_seconds must be a finite number >= 0"))?;
        let limits = crate::engine::pubsub::Limits { hard, soft, soft_seconds };
        self.engine.execute(|ks| ks.pubsub.set_limits(limits));
        Ok(())
    }

    /// ``(hard, soft, soft_seconds)``: the backlog limits (see ``set_pubsub_limits``).
    fn get_pubsub_limits(&self) -> PyResult<(usize, usize, f64)> {
        self.born.check()?;
        let l = self.engine.execute(|ks| ks.pubsub.limits());
        Ok((l.hard, l.soft, l.soft_seconds.as_secs_f64()))
    }

    // ---- streams (redis-py's client side and callbacks: src/python/streams.rs) ----------

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

    /// Read as ``consumername`` of the group ``groupname``: ``>`` for entries never
    /// delivered to the group (they become pending unless ``noack``), an ID for this
    /// consumer's pending entries after it. Shapes and ``block`` as ``xread``. Entries
    /// handed to a call interrupted by Ctrl-C stay pending for this consumer (claimable).
    #[pyo3(signature = (groupname, consumername, streams, count = None, block = None, noack = false, claim_min_idle_time = None, max_count = None, max_size = None))]
    #[allow(clippy::too_many_arguments)]
    fn xreadgroup<'py>(&self, py: Python<'py>, groupname: &Bound<'py, PyAny>, consumername: &Bound<'py, PyAny>, streams: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>, block: Option<&Bound<'py, PyAny>>, noack: bool, claim_min_idle_time: Option<&Bound<'py, PyAny>>, max_count: Option<&Bound<'py, PyAny>>, max_size: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let r = super::streams::xreadgroup_spec(self, py, groupname, consumername, streams, count, block, noack, claim_min_idle_time, max_count, max_size)?;
        super::streams::read_sync(py, r)
    }

    /// ``xread`` for the asyncio twin: the reply, or a ``BlockSpec`` to await.
    #[pyo3(signature = (streams, count = None, block = None, max_count = None, max_size = None))]
    fn _xread<'py>(&self, py: Python<'py>, streams: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>, block: Option<&Bound<'py, PyAny>>, max_count: Option<&Bound<'py, PyAny>>, max_size: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::read_async(py, super::streams::xread_spec(self, py, streams, count, block, max_count, max_size)?)
    }

    /// ``xreadgroup`` for the asyncio twin: the reply, or a ``BlockSpec`` to await.
    #[pyo3(signature = (groupname, consumername, streams, count = None, block = None, noack = false, claim_min_idle_time = None, max_count = None, max_size = None))]
    #[allow(clippy::too_many_arguments)]
    fn _xreadgroup<'py>(&self, py: Python<'py>, groupname: &Bound<'py, PyAny>, consumername: &Bound<'py, PyAny>, streams: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>, block: Option<&Bound<'py, PyAny>>, noack: bool, claim_min_idle_time: Option<&Bound<'py, PyAny>>, max_count: Option<&Bound<'py, PyAny>>, max_size: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let r = super::streams::xreadgroup_spec(self, py, groupname, consumername, streams, count, block, noack, claim_min_idle_time, max_count, max_size)?;
        super::streams::read_async(py, r)
    }

    /// Acknowledge ``ids`` in the group; how many were pending.
    #[pyo3(signature = (name, groupname, *ids))]
    fn xack<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, ids: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::xack(self, py, name, groupname, ids)
    }

    /// The group's pending entries in summary: ``{'pending', 'min', 'max', 'consumers'}``.
    fn xpending<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::xpending(self, py, name, groupname)
    }

    /// The group's pending entries from ``min`` to ``max``, at most ``count``, of one
    /// consumer if given, idle at least ``idle`` ms: ``[{'message_id', 'consumer',
    /// 'time_since_delivered', 'times_delivered'}, ...]``.
    #[pyo3(signature = (name, groupname, min, max, count, consumername = None, idle = None))]
    #[allow(clippy::too_many_arguments)]
    fn xpending_range<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, min: &Bound<'py, PyAny>, max: &Bound<'py, PyAny>, count: &Bound<'py, PyAny>, consumername: Option<&Bound<'py, PyAny>>, idle: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::xpending_range(self, py, name, groupname, min, max, count, consumername, idle)
    }

    /// Give ``consumername`` the pending entries ``message_ids`` idle at least
    /// ``min_idle_time`` ms: the entries (their IDs with ``justid``).
    #[pyo3(signature = (name, groupname, consumername, min_idle_time, message_ids, idle = None, time = None, retrycount = None, force = None, justid = None), text_signature = "(self, name, groupname, consumername, min_idle_time, message_ids, idle=None, time=None, retrycount=None, force=False, justid=False)")]
    #[allow(clippy::too_many_arguments)]
    fn xclaim<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, consumername: &Bound<'py, PyAny>, min_idle_time: &Bound<'py, PyAny>, message_ids: &Bound<'py, PyAny>, idle: Option<&Bound<'py, PyAny>>, time: Option<&Bound<'py, PyAny>>, retrycount: Option<&Bound<'py, PyAny>>, force: Option<&Bound<'py, PyAny>>, justid: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let no = pyo3::types::PyBool::new(py, false).to_owned().into_any();
        super::streams::xclaim(self, py, name, groupname, consumername, min_idle_time, message_ids, idle, time, retrycount, force.unwrap_or(&no), justid.unwrap_or(&no))
    }

    /// Scan the group's pending entries from ``start_id`` and give ``consumername`` up to
    /// ``count`` (100) idle at least ``min_idle_time`` ms: ``[next_start_id, entries,
    /// deleted_ids]`` (only the claimed IDs with ``justid``).
    #[pyo3(signature = (name, groupname, consumername, min_idle_time, start_id = None, count = None, justid = false), text_signature = "(self, name, groupname, consumername, min_idle_time, start_id='0-0', count=None, justid=False)")]
    #[allow(clippy::too_many_arguments)]
    fn xautoclaim<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, consumername: &Bound<'py, PyAny>, min_idle_time: &Bound<'py, PyAny>, start_id: Option<&Bound<'py, PyAny>>, count: Option<&Bound<'py, PyAny>>, justid: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::xautoclaim(self, py, name, groupname, consumername, min_idle_time, start_id, count, justid)
    }

    /// Create the consumer group ``groupname`` starting after ``id`` (``$``: new entries
    /// only; ``0``: the whole stream); ``mkstream`` creates a missing stream. True.
    #[pyo3(signature = (name, groupname, id = None, mkstream = false, entries_read = None), text_signature = "(self, name, groupname, id='$', mkstream=False, entries_read=None)")]
    fn xgroup_create<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, id: Option<&Bound<'py, PyAny>>, mkstream: bool, entries_read: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::xgroup_create(self, py, name, groupname, id, mkstream, entries_read)
    }

    /// Move the group's last delivered ID; True.
    #[pyo3(signature = (name, groupname, id, entries_read = None))]
    fn xgroup_setid<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, id: &Bound<'py, PyAny>, entries_read: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::xgroup_setid(self, py, name, groupname, id, entries_read)
    }

    /// Destroy the group (its blocked readers get NOGROUP); whether it existed.
    fn xgroup_destroy<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::plain(self, py, "XGROUP DESTROY", &[name, groupname])
    }

    /// Create a consumer in the group; 1 if created, 0 if it existed.
    fn xgroup_createconsumer<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, consumername: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::plain(self, py, "XGROUP CREATECONSUMER", &[name, groupname, consumername])
    }

    /// Remove a consumer from the group; the number of entries it had pending.
    fn xgroup_delconsumer<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, consumername: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::plain(self, py, "XGROUP DELCONSUMER", &[name, groupname, consumername])
    }

    /// The stream's XINFO STREAM dict (``full=True``: with its entries, groups, PELs).
    #[pyo3(signature = (name, full = false))]
    fn xinfo_stream<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, full: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::xinfo_stream(self, py, name, full)
    }

    /// One dict per consumer group of the stream.
    fn xinfo_groups<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::plain(self, py, "XINFO GROUPS", &[name])
    }

    /// One dict per consumer of the group.
    fn xinfo_consumers<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        super::streams::plain(self, py, "XINFO CONSUMERS", &[name, groupname])
    }

    // ---- server (src/python/server.rs; the RESP server is crate::server) ---------------

    /// Serve this broker to other processes over RESP, from background threads, and return
    /// the ``Server`` (``stop()``, or use it as a context manager). Any Redis client can
    /// connect: ``redis.Redis(port=...)``, redis-cli, redis-benchmark. Arguments are named
    /// as redis-server's options: ``host`` is ``bind`` (a str, or a list of addresses),
    /// ``port=0`` picks a free port (``Server.port`` tells it), ``port=None`` listens on
    /// ``unixsocket`` only. Binding to an address other than loopback needs
    /// ``requirepass`` unless ``protected_mode=False``.
    #[cfg(feature = "server")]
    #[pyo3(
        signature = (host = None, port = Some(6379), *, unixsocket = None, unixsocketperm = None, requirepass = None, maxclients = 10000, protected_mode = true, proto_max_bulk_len = None, client_query_buffer_limit = None),
        text_signature = "($self, host=None, port=6379, *, unixsocket=None, unixsocketperm=None, requirepass=None, maxclients=10000, protected_mode=True, proto_max_bulk_len=None, client_query_buffer_limit=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn serve(
        &self,
        py: Python<'_>,
        host: Option<&Bound<'_, PyAny>>,
        port: Option<u16>,
        unixsocket: Option<std::path::PathBuf>,
        unixsocketperm: Option<u32>,
        requirepass: Option<&Bound<'_, PyAny>>,
        maxclients: usize,
        protected_mode: bool,
        proto_max_bulk_len: Option<usize>,
        client_query_buffer_limit: Option<usize>,
    ) -> PyResult<super::server::PyServer> {
        self.born.check()?;
        let default_host = pyo3::types::PyString::new(py, "127.0.0.1").into_any();
        let host = host.unwrap_or(&default_host);
        super::server::start(
            self.engine.clone(),
            self.persist.clone(),
            host,
            port,
            unixsocket,
            unixsocketperm,
            requirepass,
            maxclients,
            protected_mode,
            proto_max_bulk_len,
            client_query_buffer_limit,
        )
    }

    // ---- generic -----------------------------------------------------------------------

    /// For a blocking command given as words, its validated spec; None for other commands.
    #[pyo3(signature = (*args))]
    fn _command_spec(&self, args: &Bound<'_, PyTuple>) -> PyResult<Option<BlockSpec>> {
        self.born.check()?;
        let items: Vec<Bound<'_, PyAny>> = args.iter().collect();
        if items.is_empty() {
            return Err(DataError::new_err("execute_command needs a command name"));
        }
        let words = self.codec.encode_all(&items)?;
        self.spec_of_words(&words)
    }

    /// Run any supported Redis command from its words, as ``redis.Redis.execute_command``
    /// does: ``execute_command("LPUSH", "q", "a")``. Replies are shaped by redis-py's
    /// response callbacks for that command (``OK`` → True, BLPOP → tuple, …).
    #[pyo3(signature = (*args, **options))]
    fn execute_command<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, options: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let items: Vec<Bound<'_, PyAny>> = args.iter().collect();
        if items.is_empty() {
            return Err(DataError::new_err("execute_command needs a command name"));
        }
        let words = self.codec.encode_all(&items)?;
        if let Some(reply) = super::config::execute(self, py, &words)? {
            return Ok(reply);
        }
        if words[0].eq_ignore_ascii_case(b"INFO") {
            // The server's command, answered in process as redis-py parses it (a dict).
            let sections: Vec<String> = words[1..].iter().map(|w| String::from_utf8_lossy(w).into_owned()).collect();
            return Ok(super::observe::info(py, self, &sections)?.into_any());
        }
        if let Some(reply) = super::streams::execute(self, py, &words, options)? {
            return Ok(reply);
        }
        let set_get = match options {
            Some(o) => o.get_item("get")?.is_some_and(|g| g.is_truthy().unwrap_or(false)),
            None => false,
        };
        self.run_opts(py, &words, set_get)
    }
}

/// One piece of a command line built the way redis-py builds it: a literal word, or an
/// argument that redis-py would encode (and Redis would then parse).
pub(crate) enum Part<'a, 'py> {
    /// A literal word (`"HSET"`, `"WITHVALUES"`).
    W(&'static str),
    /// A word chosen at run time.
    S(&'a str),
    /// A Python argument, encoded as redis-py encodes it.
    A(&'a Bound<'py, PyAny>),
    /// An integer computed here (a count, a flag's value).
    I(i64),
    /// Bytes already encoded.
    B(&'a [u8]),
}
pub(crate) use Part::{A, B, I, S, W};

/// A Python int that fits an i64 (not a bool, not a float): the fast paths' only input.
/// Anything else goes down the command path, where Redis's own parsing answers.
pub(crate) fn plain_i64(o: &Bound<'_, PyAny>) -> Option<i64> {
    if o.is_exact_instance_of::<PyInt>() {
        o.extract().ok()
    } else {
        None
    }
}

/// `None` for an absent or None argument.
pub(crate) fn some<'a, 'py>(o: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    o.filter(|o| !o.is_none())
}

/// redis-py's handling of an `ExpiryT`: a timedelta becomes whole seconds (times `scale`),
/// anything else is sent as it is.
fn timedelta_to_int<'py>(t: &Bound<'py, PyAny>, scale: i64) -> PyResult<Bound<'py, PyAny>> {
    if t.hasattr("total_seconds")? && !t.is_instance_of::<PyInt>() {
        let secs = t.call_method0("total_seconds")?;
        let scaled = secs.mul(scale)?;
        return t.py().get_type::<PyInt>().call1((scaled,));
    }
    Ok(t.clone())
}

/// redis-py's handling of an `AbsExpiryT`: a datetime becomes a Unix time (times `scale`).
fn datetime_to_int<'py>(t: &Bound<'py, PyAny>, scale: i64) -> PyResult<Bound<'py, PyAny>> {
    if t.hasattr("timestamp")? && !t.is_instance_of::<PyInt>() {
        let secs = t.call_method0("timestamp")?;
        let scaled = secs.mul(scale)?;
        return t.py().get_type::<PyInt>().call1((scaled,));
    }
    Ok(t.clone())
}

/// redis-py 8.2's `extract_expire_flags` for EX/PX: a timedelta, an int, or a string
/// that `str.isdecimal()` accepts (sent as its `int()`), else DataError.
fn expiry_arg<'py>(t: &Bound<'py, PyAny>, scale: i64, error: &'static str) -> PyResult<Bound<'py, PyAny>> {
    if t.is_instance_of::<PyInt>() {
        return Ok(t.clone());
    }
    if t.is_instance_of::<PyString>() {
        if t.call_method0("isdecimal")?.is_truthy()? {
            return t.py().get_type::<PyInt>().call1((t,));
        }
        return Err(DataError::new_err(error));
    }
    if t.hasattr("total_seconds")? {
        return timedelta_to_int(t, scale);
    }
    Err(DataError::new_err(error))
}

impl PyBroker {
    /// PUBSUB NUMSUB (`shard` false) or SHARDNUMSUB as redis-py shapes it: a list of
    /// ``(name, count)`` tuples.
    fn numsub_generic<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, shard: bool) -> PyResult<Bound<'py, PyAny>> {
        let items: Vec<Bound<'_, PyAny>> = args.iter().collect();
        let names = self.codec.encode_all(&items)?;
        let refs = slices(&names);
        let (cmd, sub) = if shard { (cmd!("pubsub|shardnumsub"), &b"SHARDNUMSUB"[..]) } else { (cmd!("pubsub|numsub"), &b"NUMSUB"[..]) };
        let argv = || [&[&b"PUBSUB"[..], sub][..], &refs].concat();
        let counts = self.call_ok(cmd, false, argv, |ks, _| if shard { ks.pubsub.shard_numsub(&refs) } else { ks.pubsub.numsub(&refs) });
        let pairs = refs
            .iter()
            .zip(counts)
            .map(|(n, c)| Ok(PyTuple::new(py, [self.codec.out(py, n)?, c.into_pyobject(py)?.into_any()])?.into_any()))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, pairs)?.into_any())
    }

    /// Runs a command built from `parts` exactly as redis-py would send it.
    pub(crate) fn command<'py>(&self, py: Python<'py>, parts: &[Part<'_, 'py>]) -> PyResult<Bound<'py, PyAny>> {
        let words = self.words(parts)?;
        self.run(py, &words)
    }

    fn words<'a>(&self, parts: &'a [Part<'_, '_>]) -> PyResult<Vec<Cow<'a, [u8]>>> {
        parts
            .iter()
            .map(|p| match p {
                W(w) => Ok(Cow::Borrowed(w.as_bytes())),
                S(w) => Ok(Cow::Borrowed(w.as_bytes())),
                A(o) => self.codec.encode(o),
                I(n) => Ok(Cow::Owned(n.to_string().into_bytes())),
                B(b) => Ok(Cow::Borrowed(*b)),
            })
            .collect()
    }

    /// The blocking spec of a command built from `parts`.
    fn blocking_spec(&self, parts: &[Part<'_, '_>]) -> PyResult<BlockSpec> {
        let words = self.words(parts)?;
        self.spec_of_words(&words)?.ok_or_else(|| DataError::new_err("not a blocking command"))
    }

    /// The blocking spec of command words, if they block; the call is counted (and shown
    /// to monitors) here, as it starts, once.
    fn spec_of_words(&self, words: &[Cow<'_, [u8]>]) -> PyResult<Option<BlockSpec>> {
        let argv = slices(words);
        let Some(call) = command::parse_blocking(&argv).py_err()? else { return Ok(None) };
        // BLMOVE and BRPOPLPUSH may grow memory: checked once, before any wait, as Redis
        // checks a command once before it blocks.
        if command::lookup(argv[0]).is_some_and(|c| command::is_denyoom(c, &argv)) {
            self.engine.execute(|ks| ks.check_memory(true)).py_err()?;
        }
        super::observe::record_blocking(&self.engine, self.db(), &argv);
        Ok(Some(self.spec(call.keys, call.op, call.timeout)))
    }

    /// Runs command words through the command layer (blocking ones through the waiter) and
    /// shapes the reply with redis-py's callback for that command.
    pub(crate) fn run<'py>(&self, py: Python<'py>, words: &[Cow<'_, [u8]>]) -> PyResult<Bound<'py, PyAny>> {
        self.run_opts(py, words, false)
    }

    /// `run`, saying whether the caller asked SET for the old value (redis-py's `get`
    /// option, which decides how SET's reply is read).
    fn run_opts<'py>(&self, py: Python<'py>, words: &[Cow<'_, [u8]>], set_get: bool) -> PyResult<Bound<'py, PyAny>> {
        if let Some(spec) = self.spec_of_words(words)? {
            // block_sync gives redis-py's shapes already (BLPOP's tuple, BLMPOP's list).
            return block_sync(py, &spec);
        }
        let argv = slices(words);
        let mut ctx = Context { db: self.db(), ..Context::default() };
        let reply = command::dispatch_as(&self.engine, &mut ctx, &argv, super::observe::origin()).py_err()?;
        if ctx.db != self.db() {
            self.db.store(ctx.db, Ordering::Relaxed);
        }
        // redis-py keys container commands' callbacks by "NAME SUB" ("PUBSUB NUMSUB").
        let mut name = String::from_utf8_lossy(argv[0]).to_ascii_uppercase();
        if name == "PUBSUB" {
            if let Some(sub) = argv.get(1) {
                name = format!("PUBSUB {}", String::from_utf8_lossy(sub).to_ascii_uppercase());
            }
        }
        apply_callback(py, &self.codec, &name, set_get, &reply)
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
        let cmd = if end == End::Left { cmd!("blpop") } else { cmd!("brpop") };
        let word: &[u8] = if end == End::Left { b"BLPOP" } else { b"BRPOP" };
        let timeout_word = || raw_timeout.filter(|t| !t.is_none()).map_or_else(|| "0".to_owned(), ToString::to_string).into_bytes();
        // One key, the common case: try it borrowed, no vectors.
        if keys.is_instance_of::<PyBytes>() || keys.is_instance_of::<PyString>() {
            let key = self.key(keys)?;
            let argv = || vec![word.to_vec(), key.to_vec(), timeout_word()];
            if let Some(v) = self.call(cmd, true, argv, |ks, db| ks.pop(db, &key, end)).py_err()? {
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
        if let Some(served) = self.call(cmd, true, argv, |ks, db| ks.try_block_op(db, &keys, &op)).py_err()? {
            return Ok(Ok(served_to_py(py, &self.codec, served)?));
        }
        Ok(Err(self.spec(keys, op, timeout)))
    }

    /// DEL, UNLINK, EXISTS: `op` over the encoded `names`; none at all is Redis's arity
    /// error, through the command path.
    fn count_keys<'py>(&self, py: Python<'py>, names: &Bound<'py, PyTuple>, word: &'static str, op: fn(&mut Keyspace, usize, &[&[u8]]) -> usize) -> PyResult<Bound<'py, PyAny>> {
        if names.is_empty() {
            return self.command(py, &[W(word)]);
        }
        let items: Vec<Bound<'_, PyAny>> = names.iter().collect();
        let keys = self.codec.encode_all(&items)?;
        let refs = slices(&keys);
        let cmd = match word {
            "DEL" => cmd!("del"),
            "UNLINK" => cmd!("unlink"),
            _ => cmd!("exists"),
        };
        // DEL is not `CMD_FAST` (it may free a large value); UNLINK and EXISTS are.
        let fast = word != "DEL";
        let argv = || [&[word.as_bytes()][..], &refs].concat();
        Ok(self.call_ok(cmd, fast, argv, |ks, db| op(ks, db, &refs)).into_pyobject(py)?.into_any())
    }

    fn expire_generic<'py>(&self, py: Python<'py>, word: &'static str, name: &Bound<'py, PyAny>, t: &Bound<'py, PyAny>, flags: [bool; 4]) -> PyResult<Bound<'py, PyAny>> {
        let mut parts = vec![W(word), A(name), A(t)];
        for (on, w) in flags.iter().zip(["NX", "XX", "GT", "LT"]) {
            if *on {
                parts.push(W(w));
            }
        }
        self.command(py, &parts)
    }

    fn mset_generic<'py>(&self, py: Python<'py>, mapping: &Bound<'py, PyAny>, word: &'static str) -> PyResult<Bound<'py, PyAny>> {
        let items = mapping.call_method0("items")?;
        let mut objs: Vec<Bound<'py, PyAny>> = Vec::new();
        for item in items.try_iter()? {
            let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item?.extract()?;
            objs.extend([k, v]);
        }
        let mut parts = vec![W(word)];
        parts.extend(objs.iter().map(A));
        self.command(py, &parts)
    }

    fn incr_generic<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: Option<&Bound<'py, PyAny>>, word: &'static str, negate: bool) -> PyResult<Bound<'py, PyAny>> {
        let one = 1i64.into_pyobject(py)?.into_any();
        let amount = amount.unwrap_or(&one);
        let delta = plain_i64(amount).and_then(|a| if negate { a.checked_neg() } else { Some(a) });
        let Some(delta) = delta else {
            return self.command(py, &[W(word), A(name), A(amount)]);
        };
        let key = self.key(name)?;
        let cmd = match word {
            "INCRBY" => cmd!("incrby"),
            "DECR" => cmd!("decr"),
            "DECRBY" => cmd!("decrby"),
            _ => cmd!("incr"),
        };
        let argv = || {
            let mut v = words(&[word.as_bytes(), &key]);
            if word.ends_with("BY") {
                v.push(amount.to_string().into_bytes());
            }
            v
        };
        let n = self.call(cmd, true, argv, |ks, db| ks.check_memory(true).and_then(|()| ks.incr_by(db, &key, delta))).py_err()?;
        Ok(n.into_pyobject(py)?.into_any())
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
pub(crate) fn apply_callback<'py>(py: Python<'py>, codec: &Codec, name: &str, set_get: bool, reply: &Reply) -> PyResult<Bound<'py, PyAny>> {
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
            _ => as_bool(false),
        },
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
