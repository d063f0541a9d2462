//! What `Broker.info`, `slowlog_*`, `config_resetstat` and `monitor` do: read the engine's
//! counters and logs (`engine::stats`, `engine::slowlog`, `engine::monitor`) and shape
//! them as redis-py does. INFO's text comes from the renderer every door shares; this adds
//! the persistence section, then redis-py's own `parse_info` reading of it.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::broker::PyBroker;
use crate::engine::monitor::{Feed, Line};
use crate::engine::stats::Origin;

/// The origin of an in-process call: `python:<pid>` in MONITOR and the slow log
/// (redis-py's MONITOR parser reads it as an address and a port). Made once per process:
/// a forked child that opens its own broker gets its own pid, not the parent's.
#[inline]
pub fn origin() -> &'static Origin<'static> {
    static FIRST: OnceLock<(u64, &'static Origin<'static>)> = OnceLock::new();
    let generation = super::fork::generation();
    let &(made_in, origin) = FIRST.get_or_init(|| (generation, new_origin()));
    if made_in == generation {
        origin
    } else {
        forked_origin(generation)
    }
}

fn new_origin() -> &'static Origin<'static> {
    // One small leak per process (and per fork generation): origins are `'static` so that
    // every call can borrow one without a reference count.
    let label: &'static str = Box::leak(format!("python:{}", std::process::id()).into_boxed_str());
    Box::leak(Box::new(Origin { peer: label, monitor: label, name: &crate::engine::stats::no_name }))
}

/// `origin` in a process forked after the first origin was made.
#[cold]
fn forked_origin(generation: u64) -> &'static Origin<'static> {
    static LATER: std::sync::Mutex<Vec<(u64, &'static Origin<'static>)>> = std::sync::Mutex::new(Vec::new());
    let mut later = LATER.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(&(_, o)) = later.iter().find(|(g, _)| *g == generation) {
        return o;
    }
    let o = new_origin();
    later.push((generation, o));
    o
}

/// Records a blocking command given as words (`execute_command("BLPOP", ...)`) as it
/// starts waiting: the call is counted once, as Redis counts a blocked command.
pub fn record_blocking<A: AsRef<[u8]>>(engine: &crate::engine::Engine, db: usize, words: &[A]) {
    let Some(cmd) = words.first().and_then(|n| crate::command::lookup(n.as_ref())) else { return };
    let id = cmd.id.get();
    engine.observe(|ks| ks.after_call(id, None, None, db, origin(), || words.iter().map(AsRef::as_ref).collect::<Vec<&[u8]>>()));
}

/// INFO's text for `sections` (none: the default sections).
pub fn info_text(b: &PyBroker, sections: &[String]) -> String {
    let sections = crate::command::info::wanted(sections);
    b.engine.execute(|ks| {
        crate::command::info::run(ks, &sections, &mut |name, ks, out| {
            if name == "persistence" {
                crate::persist::info_section(b.persist.as_ref(), &mut ks.effects, b.opened_at, out);
            }
        })
    })
}

/// `Broker.info`: the text read by `embedis._info.parse_info` (redis-py's reading).
pub fn info<'py>(py: Python<'py>, b: &PyBroker, sections: &[String]) -> PyResult<Bound<'py, PyDict>> {
    let text = info_text(b, sections);
    let parsed = py.import("embedis._info")?.getattr("parse_info")?.call1((text,))?;
    Ok(parsed.cast_into::<PyDict>()?)
}

/// `Broker.slowlog_get`: redis-py's dicts (`id`, `start_time`, `duration`, `command`,
/// `client_address`, `client_name`), newest first.
pub fn slowlog_get<'py>(py: Python<'py>, b: &PyBroker, num: Option<i64>) -> PyResult<Bound<'py, PyList>> {
    let arg = num.map(|n| n.to_string());
    let count = crate::command::observe::slowlog_count(arg.as_deref().map(str::as_bytes))
        .map_err(|e| super::errors::ResponseError::new_err(e.strip_prefix("ERR ").unwrap_or(e)))?;
    let entries = b.engine.observe(|ks| ks.slowlog.get(count));
    let out = PyList::empty(py);
    for e in entries {
        let d = PyDict::new(py);
        d.set_item("id", e.id)?;
        d.set_item("start_time", e.time)?;
        d.set_item("duration", e.duration)?;
        let command = e.argv.join(&b' ');
        d.set_item("command", b.codec.out(py, &command)?)?;
        d.set_item("client_address", b.codec.out(py, e.peer.as_bytes())?)?;
        d.set_item("client_name", b.codec.out(py, &e.name)?)?;
        out.append(d)?;
    }
    Ok(out)
}

/// A MONITOR feed read from Python: `embedis.Monitor` parses its lines.
#[pyclass(name = "MonitorFeed", module = "embedis._embedis", frozen)]
pub struct PyMonitorFeed {
    feed: Arc<Feed>,
}

impl PyMonitorFeed {
    /// A feed of `b`'s engine, registered now.
    pub fn open(b: &PyBroker) -> PyMonitorFeed {
        PyMonitorFeed { feed: b.engine.monitor() }
    }
}

#[pymethods]
impl PyMonitorFeed {
    /// The next line (str), waiting up to ``timeout`` seconds (``None``: until one comes);
    /// ``None`` when the time ran out. Raises ``ConnectionError`` once the feed was closed
    /// (it fell more than 100,000 lines behind).
    #[pyo3(signature = (timeout = None))]
    fn next_line(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<Option<String>> {
        let start = Instant::now();
        loop {
            // Waits in slices so that Ctrl-C is seen.
            let slice = Duration::from_millis(100);
            let until = match timeout {
                Some(t) => {
                    let end = start + Duration::from_secs_f64(t.max(0.0));
                    end.min(Instant::now() + slice)
                }
                None => Instant::now() + slice,
            };
            let feed = Arc::clone(&self.feed);
            match py.detach(move || feed.recv_until(until)) {
                Line::Line(l) => return Ok(Some(String::from_utf8_lossy(&l).into_owned())),
                Line::Closed => return Err(pyo3::exceptions::PyConnectionError::new_err("the monitor fell too far behind and was closed")),
                Line::Empty => {}
            }
            py.check_signals()?;
            if timeout.is_some_and(|t| start.elapsed().as_secs_f64() >= t) {
                return Ok(None);
            }
        }
    }

    /// Stops the feed: it leaves the engine's monitors.
    fn close(&self) {
        self.feed.close();
    }
}

#[pymethods]
impl PyBroker {
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
}
