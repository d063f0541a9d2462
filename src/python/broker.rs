//! `embedis.Broker`: the class, its constructor and the generic runner every method that
//! is not a typed fast path goes through (`command` / `run`: command words → the command
//! layer → redis-py's callback in `reply.rs`). The methods themselves are in one file per
//! Redis type (`lists.rs`, `keys.rs`, `strings.rs`, `streams.rs`, …), each a
//! `#[pymethods] impl PyBroker` block.

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

// Where the per-type files have always found the argv builder and the reply table.
#[allow(unused_imports)]
pub(crate) use super::argv::{plain_i64, some, Part, A, B, I, O, S, W};
use super::convert::{keys_arg, slices, Codec};
use super::errors::{DataError, IntoPy};
use super::fork::Born;
#[allow(unused_imports)]
pub(crate) use super::reply::apply_callback;
use super::reply::{callback, Opts};
use super::wait::{block_sync, BlockSpec};
use crate::command::{self, Context};
use crate::engine::clock::unix_ms;
use crate::engine::db::Key;
use crate::engine::keyspace::check_db;
use crate::engine::waiters::BlockOp;
use crate::engine::{Engine, Keyspace};

/// The command table's row for `name` (a literal, lower case), looked up once per call site:
/// what the typed fast paths run as (`PyBroker::typed`).
macro_rules! cmd_row {
    ($name:literal) => {{
        static ROW: std::sync::OnceLock<&'static $crate::command::Command> = std::sync::OnceLock::new();
        *ROW.get_or_init(|| $crate::command::lookup($name.as_bytes()).expect("a command of the table"))
    }};
}
pub(crate) use cmd_row;

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
    pub(crate) opened_at: i64,
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
    pub(crate) fn persistence(&self) -> PyResult<&crate::persist::Persistence> {
        self.persist.as_ref().ok_or_else(|| {
            super::persist::PersistenceError::new_err("this broker has no persistence: open it with Broker(dir=...)")
        })
    }

    pub(crate) fn db(&self) -> usize {
        self.db.load(Ordering::Relaxed)
    }

    /// Runs `f`, a typed function of the command layer (`command::push_values`, …), as
    /// the command `row` in this handle's database (`command::call_typed`: the memory step,
    /// then counted, timed, slow-logged and shown to monitors as an in-process call).
    /// `argv` (the command's words) is built only if a log wants it.
    #[inline(always)]
    pub(crate) fn typed<A: AsRef<[u8]>, T>(
        &self,
        row: &'static command::Command,
        argv: impl FnOnce() -> Vec<A>,
        f: impl FnOnce(&mut Keyspace, usize) -> crate::engine::Result<T>,
    ) -> PyResult<T> {
        command::call_typed(&self.engine, row, self.db(), super::observe::origin(), argv, f).py_err()
    }

    pub(crate) fn key<'a>(&self, k: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
        self.codec.encode(k)
    }

    /// A blocking call's spec.
    pub(crate) fn spec(&self, keys: Vec<Key>, op: BlockOp, timeout: Option<std::time::Duration>) -> BlockSpec {
        BlockSpec { engine: self.engine.clone(), db: self.db(), keys, op, timeout, codec: self.codec.clone(), born: self.born }
    }

    pub(crate) fn keys_vec(&self, keys: &Bound<'_, PyAny>, more: &Bound<'_, PyTuple>) -> PyResult<Vec<Key>> {
        let all = keys_arg(keys, more)?;
        all.iter().map(|k| Ok(Key::from(self.key(k)?.as_ref()))).collect()
    }

    /// Runs a command built from `parts` exactly as redis-py would send it.
    pub(crate) fn command<'py>(&self, py: Python<'py>, parts: &[Part<'_, 'py>]) -> PyResult<Bound<'py, PyAny>> {
        let words = self.words(parts)?;
        self.run(py, &words)
    }

    pub(crate) fn words<'a>(&self, parts: &'a [Part<'_, '_>]) -> PyResult<Vec<Cow<'a, [u8]>>> {
        super::argv::build(&self.codec, parts)
    }

    /// The blocking spec of a command built from `parts`.
    pub(crate) fn blocking_spec(&self, parts: &[Part<'_, '_>]) -> PyResult<BlockSpec> {
        let words = self.words(parts)?;
        self.spec_of_words(&words)?.ok_or_else(|| DataError::new_err("not a blocking command"))
    }

    /// The blocking spec of command words, if they block; the call is counted (and shown
    /// to monitors) here, as it starts, once.
    pub(crate) fn spec_of_words(&self, words: &[Cow<'_, [u8]>]) -> PyResult<Option<BlockSpec>> {
        let argv = slices(words);
        let Some(call) = command::prepare_blocking(&self.engine, &argv).py_err()? else { return Ok(None) };
        super::observe::record_blocking(&self.engine, self.db(), &argv);
        Ok(Some(self.spec(call.keys, call.op, call.timeout)))
    }

    /// Runs a command built from `parts`, with redis-py's callback `name` (as redis-py
    /// keys it: "XGROUP CREATE") and options: for methods whose callback is not simply
    /// their first word's.
    pub(crate) fn command_as<'py>(&self, py: Python<'py>, name: &str, parts: &[Part<'_, 'py>], opts: &Opts) -> PyResult<Bound<'py, PyAny>> {
        let words = self.words(parts)?;
        self.run_as(py, name, &words, opts)
    }

    /// Runs command words through the command layer (blocking ones through the waiter) and
    /// shapes the reply with redis-py's callback for that command.
    pub(crate) fn run<'py>(&self, py: Python<'py>, words: &[Cow<'_, [u8]>]) -> PyResult<Bound<'py, PyAny>> {
        self.run_as(py, &callback_name(words), words, &Opts::default())
    }

    /// The one runner: blocking commands through the waiter (whose replies are redis-py's
    /// shapes already), the rest through `command::dispatch_as`, then `reply::callback`.
    pub(crate) fn run_as<'py>(&self, py: Python<'py>, name: &str, words: &[Cow<'_, [u8]>], opts: &Opts) -> PyResult<Bound<'py, PyAny>> {
        if let Some(spec) = self.spec_of_words(words)? {
            return block_sync(py, &spec);
        }
        let argv = slices(words);
        let mut ctx = Context { db: self.db(), ..Context::default() };
        let reply = command::dispatch_as(&self.engine, &mut ctx, &argv, super::observe::origin()).py_err()?;
        if ctx.db != self.db() {
            self.db.store(ctx.db, Ordering::Relaxed);
        }
        callback(py, &self.codec, name, opts, &reply)
    }
}

/// The name redis-py files a command's callback under, for words built by a method: the
/// first word, upper case, with PUBSUB's subcommand ("PUBSUB NUMSUB").
fn callback_name(words: &[Cow<'_, [u8]>]) -> String {
    let mut name = String::from_utf8_lossy(&words[0]).to_ascii_uppercase();
    if name == "PUBSUB" {
        if let Some(sub) = words.get(1) {
            name = format!("PUBSUB {}", String::from_utf8_lossy(sub).to_ascii_uppercase());
        }
    }
    name
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
    /// ``notify_keyspace_events``: Redis's ``notify-keyspace-events`` classes (``"KEA"``;
    /// ``""``, the default, publishes nothing): keyspace events published on
    /// ``__keyspace@<db>__:<key>`` and ``__keyevent@<db>__:<event>``.
    /// ``config``: CONFIG parameters (``{"stream-node-max-entries": 10, ...}``) set, with
    /// CONFIG SET's checks, before anything loads, as redis-server reads its config file.
    #[new]
    #[pyo3(signature = (*, db = 0, decode_responses = false, encoding = "utf-8", encoding_errors = "strict", broker = None, dir = None, appendonly = None, appendfsync = None, save = None, dbfilename = None, appendfilename = None, appenddirname = None, auto_aof_rewrite_percentage = None, auto_aof_rewrite_min_size = None, aof_use_rdb_preamble = None, maxmemory = None, maxmemory_policy = None, maxmemory_samples = None, notify_keyspace_events = None, config = None))]
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
        notify_keyspace_events: Option<&str>,
        config: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let notify = super::config::notify_from_kwarg(notify_keyspace_events)?;
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
            if notify.is_some() {
                return Err(PyValueError::new_err("broker= shares another broker's data and its notify-keyspace-events; it takes no notify_keyspace_events"));
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
        // After loading too: nothing loaded is an event.
        if let Some(flags) = notify {
            engine.execute(|ks| ks.set_notify_flags(flags));
        }
        Ok(PyBroker { engine, db: AtomicUsize::new(db), codec, persist, opened_at, born: Born::here() })
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
        let given = self.codec.encode_all(&items)?;
        // redis-py's `pack_command`: a first argument with spaces ("CONFIG GET") is several
        // words; its callback is filed under the argument as given.
        let mut name = String::from_utf8_lossy(&given[0]).to_ascii_uppercase();
        let words: Vec<Cow<'_, [u8]>> = if given[0].contains(&b' ') {
            let first = given[0].split(|&c| c == b' ').filter(|w| !w.is_empty()).map(|w| Cow::Owned(w.to_vec()));
            first.chain(given[1..].iter().map(|w| Cow::Borrowed(w.as_ref()))).collect()
        } else {
            name = callback_name(&given);
            given
        };
        if let Some(reply) = super::config::execute(self, py, &name, &words)? {
            return Ok(reply);
        }
        if words[0].eq_ignore_ascii_case(b"INFO") {
            // The server's command, answered in process as redis-py parses it (a dict).
            let sections: Vec<String> = words[1..].iter().map(|w| String::from_utf8_lossy(w).into_owned()).collect();
            return Ok(super::observe::info(py, self, &sections)?.into_any());
        }
        self.run_as(py, &name, &words, &Opts::from_kwargs(options)?)
    }
}
