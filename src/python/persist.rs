//! The binding of `persist`: the Broker's persistence keywords, `check_aof` for the CLI,
//! log lines into Python's `logging` (logger `embedis.persistence`), and the GIL released
//! around waits for fsync so that other threads' writes share it (group commit).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use super::broker::PyBroker;
use super::errors::ResponseError;
use crate::engine::Engine;
use crate::persist::fs::RealFs;
use crate::persist::{self, BlockFn, Config, Error, Fsync, Level, LogFn, Persistence};

pyo3::import_exception!(embedis.exceptions, PersistenceError);

/// A persistence error as Python sees it: damage, locks and I/O raise `PersistenceError`;
/// a refused command (BGSAVE while one runs, BGREWRITEAOF without AOF) raises
/// `ResponseError` with Redis's text, as a server would answer.
pub fn to_pyerr(e: &Error) -> PyErr {
    match e {
        Error::Busy(_) | Error::Config(_) => {
            let text = e.to_string();
            ResponseError::new_err(text.strip_prefix("ERR ").unwrap_or(&text).to_owned())
        }
        _ => PersistenceError::new_err(e.to_string()),
    }
}

/// A log line on its way to Python's `logging`.
type LogLine = (Level, String);

/// Log lines go to a thread that hands them to Python's `logging` when it can take the
/// GIL, so that no engine or writer thread ever waits for the GIL while holding a lock.
///
/// One thread per fork generation: a forked child has none of its parent's threads, so
/// a broker opened in the child gets a new one. The lock is taken only here, when a broker
/// opens (each logger keeps its own sender), so no thread is likely to hold it at a fork.
fn log_sender() -> Sender<LogLine> {
    static SENDER: Mutex<Option<(u64, Sender<LogLine>)>> = Mutex::new(None);
    let generation = super::fork::generation();
    let mut slot = SENDER.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((g, tx)) = slot.as_ref() {
        if *g == generation {
            return tx.clone();
        }
    }
    let tx = {
        let (tx, rx) = channel::<LogLine>();
        let _ = std::thread::Builder::new().name("embedis-log".into()).spawn(move || {
            for (level, msg) in rx {
                let logged = Python::try_attach(|py| emit(py, level, &msg).is_ok());
                if logged != Some(true) && level == Level::Warning {
                    #[allow(clippy::print_stderr)]
                    {
                        eprintln!("embedis.persistence: {msg}");
                    }
                }
            }
        });
        tx
    };
    *slot = Some((generation, tx.clone()));
    tx
}

/// Logs one line on `logging.getLogger("embedis.persistence")`.
fn emit(py: Python<'_>, level: Level, msg: &str) -> PyResult<()> {
    let logger = py.import("logging")?.call_method1("getLogger", ("embedis.persistence",))?;
    let lvl: i32 = match level {
        Level::Info => 20,
        Level::Warning => 30,
    };
    logger.call_method1("log", (lvl, msg))?;
    Ok(())
}

/// The logger given to `Persistence`: asynchronous, except that while `opening` is set
/// warnings are left to the caller (they come back in the open report and are logged
/// synchronously, so a test or a user sees them before the constructor returns).
fn make_log(opening: Arc<AtomicBool>) -> LogFn {
    let tx = log_sender();
    Arc::new(move |level, msg| {
        if level == Level::Warning && opening.load(Ordering::Relaxed) {
            return;
        }
        let _ = tx.send((level, msg.to_owned()));
    })
}

/// Waits for fsync with the GIL released (only `appendfsync always` waits).
fn make_block() -> BlockFn {
    Arc::new(|wait: &mut (dyn FnMut() + Send)| {
        // embedis's own threads (the server) hold no GIL: taking it just to release it
        // would stall every network write behind a busy notebook.
        if crate::engine::is_worker_thread() {
            wait();
            return;
        }
        let mut wait = Some(wait);
        let released = Python::try_attach(|py| {
            py.detach(|| {
                if let Some(w) = wait.take() {
                    w();
                }
            });
        });
        if released.is_none() {
            if let Some(w) = wait.take() {
                w();
            }
        }
    })
}

/// The persistence keywords of `Broker(...)`.
#[derive(Debug)]
pub struct Options<'py> {
    pub dir: Option<PathBuf>,
    pub appendonly: Option<bool>,
    pub appendfsync: Option<String>,
    pub save: Option<Bound<'py, PyAny>>,
    pub dbfilename: Option<String>,
    pub appendfilename: Option<String>,
    pub appenddirname: Option<String>,
    pub auto_aof_rewrite_percentage: Option<u64>,
    pub auto_aof_rewrite_min_size: Option<u64>,
    pub aof_use_rdb_preamble: Option<bool>,
    /// CONFIG parameters for the engine (`Broker(config=...)`), applied before loading.
    pub params: crate::engine::config::Params,
}

impl Options<'_> {
    fn any_set(&self) -> bool {
        self.appendonly.is_some()
            || self.appendfsync.is_some()
            || self.save.is_some()
            || self.dbfilename.is_some()
            || self.appendfilename.is_some()
            || self.appenddirname.is_some()
            || self.auto_aof_rewrite_percentage.is_some()
            || self.auto_aof_rewrite_min_size.is_some()
            || self.aof_use_rdb_preamble.is_some()
    }
}

/// `save` as Redis's config takes it: `[(seconds, changes), ...]`, or a string
/// `"3600 1 300 100"`; empty disables.
fn save_rules(obj: &Bound<'_, PyAny>) -> PyResult<Vec<(u64, u64)>> {
    let bad = || PyValueError::new_err("save must be a list of (seconds, changes) pairs, or a string like \"3600 1 300 100\"");
    if let Ok(s) = obj.cast::<PyString>() {
        let words: Vec<u64> = s.to_str()?.split_whitespace().map(str::parse).collect::<Result<_, _>>().map_err(|_| bad())?;
        if words.len() % 2 != 0 {
            return Err(bad());
        }
        return Ok(words.chunks(2).map(|c| (c[0], c[1])).collect());
    }
    let mut out = Vec::new();
    for item in obj.try_iter().map_err(|_| bad())? {
        let (secs, changes): (u64, u64) = item?.extract().map_err(|_| bad())?;
        out.push((secs, changes));
    }
    Ok(out)
}

/// Opens the persistence the options ask for; `None` when they ask for none.
pub fn open(py: Python<'_>, o: &Options<'_>) -> PyResult<Option<(Engine, Persistence)>> {
    let Some(dir) = &o.dir else {
        if o.any_set() {
            return Err(PyValueError::new_err("persistence options need dir= (the directory for the snapshot and the AOF)"));
        }
        return Ok(None);
    };
    let mut cfg = Config::new(dir.clone());
    if let Some(v) = o.appendonly {
        cfg.appendonly = v;
    }
    if let Some(v) = &o.appendfsync {
        cfg.appendfsync = Fsync::parse(v).ok_or_else(|| PyValueError::new_err(format!("appendfsync must be 'always', 'everysec' or 'no', not {v:?}")))?;
    }
    if let Some(v) = &o.save {
        cfg.save = if v.is_none() { Vec::new() } else { save_rules(v)? };
    }
    if let Some(v) = &o.dbfilename {
        cfg.dbfilename.clone_from(v);
    }
    if let Some(v) = &o.appendfilename {
        cfg.appendfilename.clone_from(v);
    }
    if let Some(v) = &o.appenddirname {
        cfg.appenddirname.clone_from(v);
    }
    if let Some(v) = o.auto_aof_rewrite_percentage {
        cfg.auto_aof_rewrite_percentage = v;
    }
    if let Some(v) = o.auto_aof_rewrite_min_size {
        cfg.auto_aof_rewrite_min_size = v;
    }
    if let Some(v) = o.aof_use_rdb_preamble {
        cfg.aof_use_rdb_preamble = v;
    }
    cfg.params = o.params.clone();
    let opening = Arc::new(AtomicBool::new(true));
    let log = make_log(opening.clone());
    let result = py.detach(|| Persistence::open(cfg, Arc::new(RealFs), log, make_block()));
    opening.store(false, Ordering::Relaxed);
    let (engine, p, report) = result.map_err(|e| match e {
        Error::Config(s) => PyValueError::new_err(s),
        other => to_pyerr(&other),
    })?;
    for w in &report.warnings {
        emit(py, Level::Warning, w)?;
    }
    Ok(Some((engine, p)))
}

/// Checks an AOF file (an incr file, a `.base.aof`, a `.base.edb`, or a manifest and all it
/// lists) and, with `fix`, truncates an incr file at its first problem. Returns one dict
/// per file: `file`, `size`, `commands`, `ok`, `torn`, `offset`, `cut`, `problem`, `fixed`.
#[pyfunction]
#[pyo3(signature = (path, fix = false))]
pub fn check_aof<'py>(py: Python<'py>, path: PathBuf, fix: bool) -> PyResult<Bound<'py, PyList>> {
    let results = py.detach(|| persist::check_aof(&RealFs, &path, fix)).map_err(|e| to_pyerr(&e))?;
    let out = PyList::empty(py);
    for r in results {
        let d = PyDict::new(py);
        d.set_item("file", r.file.to_string_lossy().into_owned())?;
        d.set_item("size", r.len)?;
        d.set_item("commands", r.commands)?;
        d.set_item("ok", r.problem.is_none())?;
        d.set_item("torn", r.torn)?;
        match &r.problem {
            Some((offset, cut, what)) => {
                d.set_item("offset", *offset)?;
                d.set_item("cut", *cut)?;
                d.set_item("problem", what)?;
            }
            None => {
                d.set_item("offset", py.None())?;
                d.set_item("cut", 0)?;
                d.set_item("problem", py.None())?;
            }
        }
        d.set_item("fixed", r.fixed)?;
        out.append(d)?;
    }
    Ok(out)
}

/// `lastsave()` as redis-py returns it: a naive local `datetime`.
pub fn datetime_from_unix<'py>(py: Python<'py>, secs: i64) -> PyResult<Bound<'py, PyAny>> {
    py.import("datetime")?.getattr("datetime")?.call_method1("fromtimestamp", PyTuple::new(py, [secs])?)
}

#[pymethods]
impl PyBroker {
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
}
/// Test hook, not API (`persist::testing`): the next persistence thread of `dir` to reach
/// `point` (`"cron"`: a cron tick; `"bgsave"`: a BGSAVE before its snapshot) stops there,
/// holding its reference to the broker, until `release()` or until the broker closes.
/// Lets a test drop the last handle at exactly that moment.
#[pyclass(name = "_PersistenceHold", module = "embedis._embedis", frozen)]
pub struct PyHold {
    hold: persist::testing::Hold,
}

#[pymethods]
impl PyHold {
    /// Blocks (GIL released) until a thread is stopped at the point.
    fn wait_held(&self, py: Python<'_>) {
        py.detach(|| self.hold.wait_held());
    }

    /// Lets the held thread go on.
    fn release(&self) {
        self.hold.release();
    }
}

/// Arms a `_PersistenceHold` (see there).
#[pyfunction]
pub fn _hold_persistence_thread(point: &str, dir: PathBuf) -> PyResult<PyHold> {
    use persist::testing::{Hold, Point};
    let point = match point {
        "cron" => Point::Cron,
        "bgsave" => Point::Bgsave,
        _ => return Err(PyValueError::new_err("point must be 'cron' or 'bgsave'")),
    };
    Ok(PyHold { hold: Hold::arm(point, &dir) })
}
