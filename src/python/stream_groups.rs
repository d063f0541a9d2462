//! The consumer-group methods of `Broker` (XREADGROUP, XPENDING, XCLAIM, XAUTOCLAIM, XGROUP,
//! XINFO), the way redis-py implements them: its client-side checks, the line it sends,
//! and its callbacks (`reply.rs`).

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyList, PyString, PyTuple};

use super::argv::{some, str_of, A, W};
use super::broker::PyBroker;
use super::errors::DataError;
use super::reply::Opts;
use super::streams::{int_below, is_int, nonnegative_or_skip, simple};


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
    let mut line = vec![W("XPENDING")];
    line.push(A(name));
    line.push(A(group));
    if nonnegative_or_skip(idle, "XPENDING idle must be a integer >= 0")? {
        if let Some(i) = idle {
            line.push(W("IDLE"));
            line.push(A(i));
        }
    }
    if nonnegative_or_skip(Some(count), "XPENDING count must be a integer >= 0")? {
        line.push(A(min));
        line.push(A(max));
        line.push(A(count));
    }
    if let Some(c) = consumername.filter(|c| c.is_truthy().unwrap_or(false)) {
        line.push(A(c));
    }
    let opts = Opts { parse_detail: true, ..Opts::default() };
    b.command_as(py, "XPENDING", &line, &opts)
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
    let mut line = vec![W("XCLAIM")];
    line.push(A(name));
    line.push(A(group));
    line.push(A(consumer));
    line.push(str_of(min_idle_time)?);
    for i in &ids {
        line.push(A(i));
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
            line.push(W(word));
            line.push(str_of(v)?);
        }
    }
    let mut opts = Opts::default();
    if force.is_truthy()? {
        if !force.is_instance_of::<PyBool>() {
            return Err(DataError::new_err("XCLAIM force must be a boolean"));
        }
        line.push(W("FORCE"));
    }
    if justid.is_truthy()? {
        if !justid.is_instance_of::<PyBool>() {
            return Err(DataError::new_err("XCLAIM justid must be a boolean"));
        }
        line.push(W("JUSTID"));
        opts.parse_justid = true;
    }
    b.command_as(py, "XCLAIM", &line, &opts)
}

/// `xautoclaim`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn xautoclaim<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, group: &Bound<'py, PyAny>, consumer: &Bound<'py, PyAny>, min_idle_time: &Bound<'py, PyAny>, start_id: Option<&Bound<'py, PyAny>>, count: Option<&Bound<'py, PyAny>>, justid: bool) -> PyResult<Bound<'py, PyAny>> {
    nonnegative_or_skip(Some(min_idle_time), "XAUTOCLAIM min_idle_time must be a nonnegative integer")?;
    let zero = PyString::new(py, "0-0").into_any();
    let mut line = vec![W("XAUTOCLAIM")];
    line.push(A(name));
    line.push(A(group));
    line.push(A(consumer));
    line.push(A(min_idle_time));
    line.push(A(start_id.unwrap_or(&zero)));
    if nonnegative_or_skip(count, "XAUTOCLAIM count must be a integer >= 0")? {
        if let Some(c) = count {
            line.push(W("COUNT"));
            line.push(A(c));
        }
    }
    let mut opts = Opts::default();
    if justid {
        line.push(W("JUSTID"));
        opts.parse_justid = true;
    }
    b.command_as(py, "XAUTOCLAIM", &line, &opts)
}

/// `xgroup_create`.
pub(crate) fn xgroup_create<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, group: &Bound<'py, PyAny>, id: Option<&Bound<'py, PyAny>>, mkstream: bool, entries_read: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
    let dollar = PyString::new(py, "$").into_any();
    let mut line = vec![W("XGROUP"), W("CREATE")];
    line.push(A(name));
    line.push(A(group));
    line.push(A(id.unwrap_or(&dollar)));
    if mkstream {
        line.push(W("MKSTREAM"));
    }
    if let Some(n) = some(entries_read) {
        line.push(W("ENTRIESREAD"));
        line.push(A(n));
    }
    b.command_as(py, "XGROUP CREATE", &line, &Opts::default())
}

/// `xgroup_setid`.
pub(crate) fn xgroup_setid<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, group: &Bound<'py, PyAny>, id: &Bound<'py, PyAny>, entries_read: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
    let mut line = vec![W("XGROUP"), W("SETID")];
    line.push(A(name));
    line.push(A(group));
    line.push(A(id));
    if let Some(n) = some(entries_read) {
        line.push(W("ENTRIESREAD"));
        line.push(A(n));
    }
    b.command_as(py, "XGROUP SETID", &line, &Opts::default())
}

/// `xgroup_destroy`, `xgroup_createconsumer`, `xgroup_delconsumer`, `xinfo_groups`,
/// `xinfo_consumers`: the arguments as they are.
pub(crate) fn plain<'py>(b: &PyBroker, py: Python<'py>, name: &'static str, args: &[&Bound<'py, PyAny>]) -> PyResult<Bound<'py, PyAny>> {
    simple(b, py, name, args, None)
}

/// `xinfo_stream`.
pub(crate) fn xinfo_stream<'py>(b: &PyBroker, py: Python<'py>, name: &Bound<'py, PyAny>, full: bool) -> PyResult<Bound<'py, PyAny>> {
    let mut line = vec![W("XINFO"), W("STREAM")];
    line.push(A(name));
    if full {
        line.push(W("FULL"));
    }
    b.command_as(py, "XINFO STREAM", &line, &Opts { full, ..Opts::default() })
}

#[pymethods]
impl PyBroker {
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

    /// ``xreadgroup`` for the asyncio twin: the reply, or a ``BlockSpec`` to await.
    #[pyo3(signature = (groupname, consumername, streams, count = None, block = None, noack = false, claim_min_idle_time = None, max_count = None, max_size = None))]
    #[allow(clippy::too_many_arguments)]
    fn _xreadgroup<'py>(&self, py: Python<'py>, groupname: &Bound<'py, PyAny>, consumername: &Bound<'py, PyAny>, streams: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>, block: Option<&Bound<'py, PyAny>>, noack: bool, claim_min_idle_time: Option<&Bound<'py, PyAny>>, max_count: Option<&Bound<'py, PyAny>>, max_size: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let r = super::streams::xreadgroup_spec(self, py, groupname, consumername, streams, count, block, noack, claim_min_idle_time, max_count, max_size)?;
        super::streams::read_async(py, r)
    }

    /// The group's pending entries in summary: ``{'pending', 'min', 'max', 'consumers'}``.
    fn xpending<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        xpending(self, py, name, groupname)
    }

    /// The group's pending entries from ``min`` to ``max``, at most ``count``, of one
    /// consumer if given, idle at least ``idle`` ms: ``[{'message_id', 'consumer',
    /// 'time_since_delivered', 'times_delivered'}, ...]``.
    #[pyo3(signature = (name, groupname, min, max, count, consumername = None, idle = None))]
    #[allow(clippy::too_many_arguments)]
    fn xpending_range<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, min: &Bound<'py, PyAny>, max: &Bound<'py, PyAny>, count: &Bound<'py, PyAny>, consumername: Option<&Bound<'py, PyAny>>, idle: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        xpending_range(self, py, name, groupname, min, max, count, consumername, idle)
    }

    /// Give ``consumername`` the pending entries ``message_ids`` idle at least
    /// ``min_idle_time`` ms: the entries (their IDs with ``justid``).
    #[pyo3(signature = (name, groupname, consumername, min_idle_time, message_ids, idle = None, time = None, retrycount = None, force = None, justid = None), text_signature = "(self, name, groupname, consumername, min_idle_time, message_ids, idle=None, time=None, retrycount=None, force=False, justid=False)")]
    #[allow(clippy::too_many_arguments)]
    fn xclaim<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, consumername: &Bound<'py, PyAny>, min_idle_time: &Bound<'py, PyAny>, message_ids: &Bound<'py, PyAny>, idle: Option<&Bound<'py, PyAny>>, time: Option<&Bound<'py, PyAny>>, retrycount: Option<&Bound<'py, PyAny>>, force: Option<&Bound<'py, PyAny>>, justid: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let no = pyo3::types::PyBool::new(py, false).to_owned().into_any();
        xclaim(self, py, name, groupname, consumername, min_idle_time, message_ids, idle, time, retrycount, force.unwrap_or(&no), justid.unwrap_or(&no))
    }

    /// Scan the group's pending entries from ``start_id`` and give ``consumername`` up to
    /// ``count`` (100) idle at least ``min_idle_time`` ms: ``[next_start_id, entries,
    /// deleted_ids]`` (only the claimed IDs with ``justid``).
    #[pyo3(signature = (name, groupname, consumername, min_idle_time, start_id = None, count = None, justid = false), text_signature = "(self, name, groupname, consumername, min_idle_time, start_id='0-0', count=None, justid=False)")]
    #[allow(clippy::too_many_arguments)]
    fn xautoclaim<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, consumername: &Bound<'py, PyAny>, min_idle_time: &Bound<'py, PyAny>, start_id: Option<&Bound<'py, PyAny>>, count: Option<&Bound<'py, PyAny>>, justid: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        xautoclaim(self, py, name, groupname, consumername, min_idle_time, start_id, count, justid)
    }

    /// Create the consumer group ``groupname`` starting after ``id`` (``$``: new entries
    /// only; ``0``: the whole stream); ``mkstream`` creates a missing stream. True.
    #[pyo3(signature = (name, groupname, id = None, mkstream = false, entries_read = None), text_signature = "(self, name, groupname, id='$', mkstream=False, entries_read=None)")]
    fn xgroup_create<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, id: Option<&Bound<'py, PyAny>>, mkstream: bool, entries_read: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        xgroup_create(self, py, name, groupname, id, mkstream, entries_read)
    }

    /// Move the group's last delivered ID; True.
    #[pyo3(signature = (name, groupname, id, entries_read = None))]
    fn xgroup_setid<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, id: &Bound<'py, PyAny>, entries_read: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        xgroup_setid(self, py, name, groupname, id, entries_read)
    }

    /// Destroy the group (its blocked readers get NOGROUP); whether it existed.
    fn xgroup_destroy<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        plain(self, py, "XGROUP DESTROY", &[name, groupname])
    }

    /// Create a consumer in the group; 1 if created, 0 if it existed.
    fn xgroup_createconsumer<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, consumername: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        plain(self, py, "XGROUP CREATECONSUMER", &[name, groupname, consumername])
    }

    /// Remove a consumer from the group; the number of entries it had pending.
    fn xgroup_delconsumer<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>, consumername: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        plain(self, py, "XGROUP DELCONSUMER", &[name, groupname, consumername])
    }

    /// The stream's XINFO STREAM dict (``full=True``: with its entries, groups, PELs).
    #[pyo3(signature = (name, full = false))]
    fn xinfo_stream<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, full: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        xinfo_stream(self, py, name, full)
    }

    /// One dict per consumer group of the stream.
    fn xinfo_groups<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        plain(self, py, "XINFO GROUPS", &[name])
    }

    /// One dict per consumer of the group.
    fn xinfo_consumers<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, groupname: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        plain(self, py, "XINFO CONSUMERS", &[name, groupname])
    }
}
