//! The native core of `embedis.PubSub` (and of the asyncio twin): redis-py's `PubSub`
//! message handling over an engine subscriber.
//!
//! What is Redis's (who receives what, counts, order, limits) lives in
//! `engine::pubsub`; this file keeps redis-py's client-side bookkeeping (`channels`,
//! `patterns` and `shard_channels` dicts of handlers, pending unsubscribes, `subscribed`,
//! message dicts) and the
//! waits: a thread parks without the GIL in short slices so Ctrl-C is seen; an asyncio task
//! awaits the engine's `RecvFuture`, which takes nothing from the mailbox until the poll
//! that returns it, so a cancelled await loses no message.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PySet, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use super::broker::PyBroker;
use super::convert::Codec;
use super::errors::IntoPy;
use super::fork::Born;
use crate::engine::pubsub::{Closed, Event, Recv, Space, Subscriber};

pyo3::import_exception!(embedis.exceptions, PubSubError);

/// How long a waiting thread sleeps between looks at Python's signal flag.
const SIGNAL_SLICE: Duration = Duration::from_millis(50);

/// The native half of `embedis.PubSub`: one subscriber of a broker, with redis-py's
/// client-side state. Frozen: every field is safe to touch from several threads (a
/// `run_in_thread` worker reads while the caller subscribes).
#[pyclass(name = "PubSub", module = "embedis._embedis", frozen, subclass)]
pub struct PyPubSub {
    /// The engine subscriber: its subscriptions and mailbox. Dropped with this object, which
    /// unsubscribes it from everything.
    sub: Subscriber,
    /// The broker handle's encoding and `decode_responses`.
    codec: Codec,
    /// The instance-wide `ignore_subscribe_messages`.
    ignore: AtomicBool,
    /// redis-py's `subscribed_event`: set by (p)subscribe, cleared when the confirmation
    /// of the last unsubscribe is read, or by a reset.
    subscribed: AtomicBool,
    /// With `subscribed_cv`: where `get_message` waits for a first subscription.
    subscribed_lock: Mutex<()>,
    subscribed_cv: Condvar,
    /// Bumped by `_interrupt` and `_reset`: a waiting read that sees it change returns None.
    interrupts: AtomicU64,
    /// Set by `_interrupt` (a worker's `stop()`), consumed by the read it ends, so that a
    /// stop between two reads still ends the next one.
    wakeup_pending: AtomicBool,
    /// Channel → handler (or None), keys as replies come (bytes, or str when decoding).
    channels: Py<PyDict>,
    /// Pattern → handler (or None).
    patterns: Py<PyDict>,
    /// Shard channel → handler (or None).
    shard_channels: Py<PyDict>,
    /// Channels being unsubscribed whose confirmation has not been read yet.
    pending_channels: Py<PySet>,
    /// Patterns being unsubscribed whose confirmation has not been read yet.
    pending_patterns: Py<PySet>,
    /// Shard channels being unsubscribed whose confirmation has not been read yet.
    pending_shard_channels: Py<PySet>,
    /// The process (fork generation) it was made in: every method checks it.
    born: Born,
}

impl Drop for PyPubSub {
    /// In a forked child the subscriber is leaked: its drop would lock the engine, whose
    /// lock a thread that does not exist here may have held at the fork.
    fn drop(&mut self) {
        if self.born.forked() {
            std::mem::forget(std::mem::replace(&mut self.sub, crate::engine::Engine::new().subscriber()));
        }
    }
}

/// One handled event: the message dict (None when filtered out) and the handler to call
/// with it instead of returning it.
type Handled<'py> = (Option<Bound<'py, PyDict>>, Option<Bound<'py, PyAny>>);

impl PyPubSub {
    fn set_subscribed(&self, on: bool) {
        self.subscribed.store(on, Ordering::Release);
        if on {
            let _g = self.subscribed_lock.lock();
            self.subscribed_cv.notify_all();
        }
    }

    /// Whether a wait that started at interrupt count `gen` must end now.
    fn interrupted(&self, gen: u64) -> bool {
        self.interrupts.load(Ordering::Acquire) != gen || self.wakeup_pending.swap(false, Ordering::AcqRel)
    }

    fn interrupt(&self) {
        self.interrupts.fetch_add(1, Ordering::AcqRel);
        {
            let _g = self.subscribed_lock.lock();
            self.subscribed_cv.notify_all();
        }
        self.sub.wake_readers();
    }

    /// Forgets every subscription, here and in the engine (a silent reset, as redis-py's
    /// `reset` drops its connection).
    fn reset(&self, py: Python<'_>) -> PyResult<()> {
        self.sub.reset();
        for d in [&self.channels, &self.patterns, &self.shard_channels] {
            d.bind(py).clear();
        }
        for s in [&self.pending_channels, &self.pending_patterns, &self.pending_shard_channels] {
            s.bind(py).clear();
        }
        self.subscribed.store(false, Ordering::Release);
        self.interrupt();
        Ok(())
    }

    /// The error a read (or a subscribe) raises once the broker has closed the
    /// subscription; the PubSub is reset, so it can subscribe again.
    fn closed(&self, py: Python<'_>, why: &Closed) -> PyErr {
        if let Err(e) = self.reset(py) {
            return e;
        }
        PubSubError::new_err(why.to_string())
    }

    fn out_opt<'py>(&self, py: Python<'py>, name: Option<&[u8]>) -> PyResult<Bound<'py, PyAny>> {
        self.codec.out_opt(py, name)
    }

    /// redis-py's `handle_message`, minus calling the handler.
    fn handle<'py>(&self, py: Python<'py>, ev: Event, ignore: bool) -> PyResult<Handled<'py>> {
        let d = PyDict::new(py);
        let none = py.None().into_bound(py);
        let (k_type, k_pattern, k_channel, k_data) =
            (intern!(py, "type"), intern!(py, "pattern"), intern!(py, "channel"), intern!(py, "data"));
        match ev {
            Event::Message(m) => {
                let channel = self.codec.out(py, &m.channel)?;
                let handler = self.channels.bind(py).get_item(&channel)?;
                d.set_item(k_type, intern!(py, "message"))?;
                d.set_item(k_pattern, none)?;
                d.set_item(k_channel, channel)?;
                d.set_item(k_data, self.codec.out(py, &m.data)?)?;
                Ok((Some(d), truthy(handler)?))
            }
            Event::SMessage(m) => {
                let channel = self.codec.out(py, &m.channel)?;
                let handler = self.shard_channels.bind(py).get_item(&channel)?;
                d.set_item(k_type, intern!(py, "smessage"))?;
                d.set_item(k_pattern, none)?;
                d.set_item(k_channel, channel)?;
                d.set_item(k_data, self.codec.out(py, &m.data)?)?;
                Ok((Some(d), truthy(handler)?))
            }
            Event::PMessage { pattern, message } => {
                let pattern = self.codec.out(py, &pattern)?;
                let handler = self.patterns.bind(py).get_item(&pattern)?;
                d.set_item(k_type, intern!(py, "pmessage"))?;
                d.set_item(k_pattern, pattern)?;
                d.set_item(k_channel, self.codec.out(py, &message.channel)?)?;
                d.set_item(k_data, self.codec.out(py, &message.data)?)?;
                Ok((Some(d), truthy(handler)?))
            }
            Event::Pong(data) => {
                d.set_item(k_type, intern!(py, "pong"))?;
                d.set_item(k_pattern, &none)?;
                d.set_item(k_channel, none)?;
                d.set_item(k_data, self.codec.out(py, &data)?)?;
                Ok((Some(d), None))
            }
            Event::Confirm { kind, name, count } => {
                let name = self.out_opt(py, name.as_deref())?;
                if !kind.joins() {
                    let (pending, subs) = match kind.space() {
                        Space::Channel => (self.pending_channels.bind(py), self.channels.bind(py)),
                        Space::Pattern => (self.pending_patterns.bind(py), self.patterns.bind(py)),
                        Space::Shard => (self.pending_shard_channels.bind(py), self.shard_channels.bind(py)),
                    };
                    if pending.contains(&name)? {
                        pending.discard(&name)?;
                        if subs.contains(&name)? {
                            subs.del_item(&name)?;
                        }
                    }
                    if [&self.channels, &self.patterns, &self.shard_channels].iter().all(|d| d.bind(py).is_empty()) {
                        self.subscribed.store(false, Ordering::Release);
                    }
                }
                if ignore || self.ignore.load(Ordering::Relaxed) {
                    return Ok((None, None));
                }
                d.set_item(k_type, kind.name())?;
                d.set_item(k_pattern, none)?;
                d.set_item(k_channel, name)?;
                d.set_item(k_data, count)?;
                Ok((Some(d), None))
            }
        }
    }

    /// Waits (GIL released, in slices) until `subscribed` is set, `deadline` passes, or an
    /// interrupt; returns whether it is set.
    fn wait_subscribed(&self, py: Python<'_>, deadline: Option<Instant>, gen: u64) -> PyResult<bool> {
        loop {
            if self.subscribed.load(Ordering::Acquire) {
                return Ok(true);
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) || self.interrupted(gen) {
                return Ok(false);
            }
            let until = deadline.map_or(now + SIGNAL_SLICE, |d| d.min(now + SIGNAL_SLICE));
            py.detach(|| {
                let mut g = self.subscribed_lock.lock();
                if !self.subscribed.load(Ordering::Acquire)
                    && self.interrupts.load(Ordering::Acquire) == gen
                    && !self.wakeup_pending.load(Ordering::Acquire)
                {
                    self.subscribed_cv.wait_until(&mut g, until);
                }
            });
            py.check_signals()?;
        }
    }

    /// The next event, waiting up to `deadline` (None: forever) without the GIL; None on
    /// timeout or interrupt.
    fn next_event(&self, py: Python<'_>, deadline: Option<Instant>, gen: u64) -> PyResult<Option<Event>> {
        let mut got = self.sub.try_recv();
        loop {
            match got {
                Recv::Event(ev) => return Ok(Some(ev)),
                Recv::Closed(why) => return Err(self.closed(py, &why)),
                Recv::Empty => {}
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) || self.interrupted(gen) {
                return Ok(None);
            }
            let until = deadline.map_or(now + SIGNAL_SLICE, |d| d.min(now + SIGNAL_SLICE));
            let sub = &self.sub;
            got = py.detach(|| sub.recv_until(until));
            if got == Recv::Empty {
                py.check_signals()?;
            }
        }
    }

    fn encode_names(&self, names: &Bound<'_, PyTuple>) -> PyResult<Vec<Vec<u8>>> {
        names.iter().map(|n| Ok(self.codec.encode(&n)?.into_owned())).collect()
    }
}

/// redis-py calls a handler only when it is truthy (`if handler:`).
fn truthy(h: Option<Bound<'_, PyAny>>) -> PyResult<Option<Bound<'_, PyAny>>> {
    match h {
        Some(h) if !h.is_none() && h.is_truthy()? => Ok(Some(h)),
        _ => Ok(None),
    }
}

/// How long a read may wait.
enum Wait {
    /// Look once (timeout 0, negative or NaN, as a non-blocking socket read).
    No,
    /// Until then (`None`: forever).
    Until(Option<Instant>),
}

/// A redis-py timeout (float seconds, None: forever) as a wait.
fn wait_for(timeout: Option<f64>) -> Wait {
    match timeout {
        None => Wait::Until(None),
        Some(t) if t.is_finite() && t > 0.0 => Wait::Until(Instant::now().checked_add(Duration::from_secs_f64(t))),
        Some(t) if t.is_infinite() && t > 0.0 => Wait::Until(None),
        Some(_) => Wait::No,
    }
}

#[pymethods]
impl PyPubSub {
    /// A subscriber of ``broker``'s data, subscribed to nothing (use ``broker.pubsub()``).
    #[new]
    #[pyo3(signature = (broker, ignore_subscribe_messages = false))]
    fn new(py: Python<'_>, broker: &Bound<'_, PyBroker>, ignore_subscribe_messages: bool) -> PyResult<PyPubSub> {
        let b = broker.get();
        b.born.check()?;
        Ok(PyPubSub {
            sub: b.engine.subscriber(),
            codec: b.codec.clone(),
            ignore: AtomicBool::new(ignore_subscribe_messages),
            subscribed: AtomicBool::new(false),
            subscribed_lock: Mutex::new(()),
            subscribed_cv: Condvar::new(),
            interrupts: AtomicU64::new(0),
            wakeup_pending: AtomicBool::new(false),
            channels: PyDict::new(py).unbind(),
            patterns: PyDict::new(py).unbind(),
            shard_channels: PyDict::new(py).unbind(),
            pending_channels: PySet::empty(py)?.unbind(),
            pending_patterns: PySet::empty(py)?.unbind(),
            pending_shard_channels: PySet::empty(py)?.unbind(),
            born: b.born,
        })
    }

    /// Channel → handler (None for channels read with ``get_message``/``listen``).
    #[getter]
    fn channels(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        self.born.check()?;
        Ok(self.channels.clone_ref(py))
    }

    /// Pattern → handler.
    #[getter]
    fn patterns(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        self.born.check()?;
        Ok(self.patterns.clone_ref(py))
    }

    /// Shard channel → handler.
    #[getter]
    fn shard_channels(&self, py: Python<'_>) -> Py<PyDict> {
        self.shard_channels.clone_ref(py)
    }

    /// Channels whose unsubscribe confirmation has not been read yet.
    #[getter]
    fn pending_unsubscribe_channels(&self, py: Python<'_>) -> PyResult<Py<PySet>> {
        self.born.check()?;
        Ok(self.pending_channels.clone_ref(py))
    }

    /// Patterns whose unsubscribe confirmation has not been read yet.
    #[getter]
    fn pending_unsubscribe_patterns(&self, py: Python<'_>) -> PyResult<Py<PySet>> {
        self.born.check()?;
        Ok(self.pending_patterns.clone_ref(py))
    }

    /// Shard channels whose unsubscribe confirmation has not been read yet.
    #[getter]
    fn pending_unsubscribe_shard_channels(&self, py: Python<'_>) -> Py<PySet> {
        self.pending_shard_channels.clone_ref(py)
    }

    /// Whether (un)subscribe confirmations are dropped instead of returned.
    #[getter]
    fn get_ignore_subscribe_messages(&self) -> PyResult<bool> {
        self.born.check()?;
        Ok(self.ignore.load(Ordering::Relaxed))
    }

    #[setter]
    fn set_ignore_subscribe_messages(&self, value: bool) -> PyResult<()> {
        self.born.check()?;
        self.ignore.store(value, Ordering::Relaxed);
        Ok(())
    }

    /// Whether there are subscriptions (set by ``subscribe``/``psubscribe``/``ssubscribe``,
    /// cleared when the confirmation of the last unsubscribe is read), as redis-py's.
    #[getter]
    fn subscribed(&self) -> PyResult<bool> {
        self.born.check()?;
        Ok(self.subscribed.load(Ordering::Acquire))
    }

    /// Runs SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE or SUNSUBSCRIBE
    /// (``command``, lower case) on ``names`` (already normalised by the caller);
    /// confirmations come through ``get_message``.
    #[pyo3(signature = (command, *names))]
    fn _execute(&self, py: Python<'_>, command: &str, names: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.born.check()?;
        let words = self.encode_names(names)?;
        let refs: Vec<&[u8]> = words.iter().map(Vec::as_slice).collect();
        let kind = crate::command::subscription(command.as_bytes(), refs.len() + 1).py_err()?;
        let result = self.sub.change(kind, &refs);
        if result.is_ok() && kind.joins() {
            self.set_subscribed(true);
        }
        result.map_err(|why| self.closed(py, &why))
    }

    /// A channel or pattern name as message dicts carry it (bytes, or str when decoding),
    /// which is how the ``channels``/``patterns`` dicts are keyed.
    fn _normalize<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let b = self.codec.encode(name)?;
        self.codec.out(py, &b)
    }

    /// Get the next message if one is available, otherwise None.
    ///
    /// Waits up to ``timeout`` seconds (None: until a message comes) with the GIL released
    /// and no CPU used; Ctrl-C raises KeyboardInterrupt. Not subscribed yet, it first waits
    /// (within the same timeout) for a subscription, as redis-py does. A message for a
    /// channel or pattern with a handler is passed to the handler and None is returned.
    /// Raises ``PubSubError`` if the broker closed the subscription because its backlog
    /// passed the limits (see ``Broker.set_pubsub_limits``); the PubSub is then reset.
    #[pyo3(signature = (ignore_subscribe_messages = false, timeout = Some(0.0)), text_signature = "(self, ignore_subscribe_messages=False, timeout=0.0)")]
    fn get_message<'py>(&self, py: Python<'py>, ignore_subscribe_messages: bool, timeout: Option<f64>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.born.check()?;
        let gen = self.interrupts.load(Ordering::Acquire);
        let wait = wait_for(timeout);
        if !self.subscribed.load(Ordering::Acquire) {
            let Wait::Until(until) = wait else { return Ok(None) };
            if !self.wait_subscribed(py, until, gen)? {
                return Ok(None);
            }
        }
        let ev = match wait {
            Wait::No => match self.sub.try_recv() {
                Recv::Event(ev) => ev,
                Recv::Empty => return Ok(None),
                Recv::Closed(why) => return Err(self.closed(py, &why)),
            },
            Wait::Until(until) => match self.next_event(py, until, gen)? {
                Some(ev) => ev,
                None => return Ok(None),
            },
        };
        let (msg, handler) = self.handle(py, ev, ignore_subscribe_messages)?;
        match (msg, handler) {
            (Some(m), Some(h)) => {
                h.call1((m,))?;
                Ok(None)
            }
            (msg, None) => Ok(msg),
            (None, Some(_)) => Ok(None),
        }
    }

    /// For the asyncio twin: the next event handled, without waiting — None if there is
    /// none, else ``(message or None, handler or None)``; the caller calls the handler.
    #[pyo3(signature = (ignore_subscribe_messages = false))]
    fn _try_next<'py>(&self, py: Python<'py>, ignore_subscribe_messages: bool) -> PyResult<Option<Bound<'py, PyTuple>>> {
        self.born.check()?;
        match self.sub.try_recv() {
            Recv::Event(ev) => {
                let (m, h) = self.handle(py, ev, ignore_subscribe_messages)?;
                Ok(Some(PyTuple::new(py, [m.map(Bound::into_any), h])?))
            }
            Recv::Empty => Ok(None),
            Recv::Closed(why) => Err(self.closed(py, &why)),
        }
    }

    /// For the asyncio twin: awaits the next event (holding no thread) and returns it as
    /// ``_try_next`` does; ``(None, None)`` when interrupted (``_interrupt``, ``_reset``).
    /// Cancelling the await takes nothing from the mailbox.
    #[pyo3(signature = (ignore_subscribe_messages = false))]
    async fn _next(slf: Py<PyPubSub>, ignore_subscribe_messages: bool) -> PyResult<Py<PyAny>> {
        slf.get().born.check()?;
        let got = slf.get().sub.recv().await;
        Python::attach(|py| {
            let this = slf.get();
            let (m, h) = match got {
                Recv::Event(ev) => this.handle(py, ev, ignore_subscribe_messages)?,
                Recv::Empty => (None, None),
                Recv::Closed(why) => return Err(this.closed(py, &why)),
            };
            Ok(PyTuple::new(py, [m.map(Bound::into_any), h])?.into_any().unbind())
        })
    }

    /// PING in pub/sub mode: a ``{'type': 'pong', ..., 'data': message or b''}`` message
    /// joins the stream (read it with ``get_message``).
    #[pyo3(signature = (message = None))]
    fn ping(&self, py: Python<'_>, message: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        self.born.check()?;
        let data = match message {
            Some(m) => self.codec.encode(m)?.into_owned(),
            None => Vec::new(),
        };
        self.sub.ping(&data).map_err(|why| self.closed(py, &why))
    }

    /// Drops every subscription and every unread message, wakes any waiting read.
    fn _reset(&self, py: Python<'_>) -> PyResult<()> {
        self.born.check()?;
        self.reset(py)
    }

    /// Ends the read waiting in another thread (or, if none waits, the next waiting
    /// read): it returns None. Used by a worker thread's ``stop()``.
    fn _interrupt(&self) -> PyResult<()> {
        self.born.check()?;
        self.wakeup_pending.store(true, Ordering::Release);
        self.interrupt();
        Ok(())
    }

    /// ``(unread events, bytes)``: the backlog the broker's limits apply to.
    fn _backlog(&self) -> PyResult<(usize, usize)> {
        self.born.check()?;
        Ok(self.sub.backlog())
    }

    /// Raises ``ForkedBrokerError`` in a forked child (for the Python wrapper's methods
    /// that reach no native call before they change something).
    fn _check_fork(&self) -> PyResult<()> {
        self.born.check()
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        for d in [&self.channels, &self.patterns, &self.shard_channels] {
            visit.call(d)?;
        }
        for s in [&self.pending_channels, &self.pending_patterns, &self.pending_shard_channels] {
            visit.call(s)?;
        }
        Ok(())
    }

    fn __clear__(&self) {
        Python::attach(|py| {
            for d in [&self.channels, &self.patterns, &self.shard_channels] {
                d.bind(py).clear();
            }
            for s in [&self.pending_channels, &self.pending_patterns, &self.pending_shard_channels] {
                s.bind(py).clear();
            }
        });
    }
}
