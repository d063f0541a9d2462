//! The publishing side of pub/sub on `Broker` (PUBLISH, SPUBLISH, PUBSUB CHANNELS|NUMSUB|…)
//! and the subscribers' backlog limits; the subscribing side, `PubSub`, is `pubsub.rs`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::argv::{A, W};
use super::broker::PyBroker;

impl PyBroker {
    /// PUBSUB NUMSUB or SHARDNUMSUB of `args` (redis-py's callback makes the pairs tuples).
    fn numsub_generic<'py>(&self, py: Python<'py>, sub: &'static str, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        let items: Vec<Bound<'py, PyAny>> = args.iter().collect();
        let mut parts = vec![W("PUBSUB"), W(sub)];
        parts.extend(items.iter().map(A));
        self.command(py, &parts)
    }
}

#[pymethods]
impl PyBroker {
    /// Publish ``message`` on ``channel``; returns the number of receivers, counted as Redis
    /// counts them (a subscriber reached through its channel and a pattern counts twice).
    #[pyo3(signature = (channel, message, **_kwargs))]
    fn publish<'py>(&self, py: Python<'py>, channel: &Bound<'py, PyAny>, message: &Bound<'py, PyAny>, _kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("PUBLISH"), A(channel), A(message)])
    }

    /// Publish ``message`` on the shard channel ``shard_channel`` (SPUBLISH); returns how
    /// many ``ssubscribe`` subscribers received it. Channel and pattern subscribers never
    /// do: shard channels are a namespace of their own.
    #[pyo3(signature = (shard_channel, message))]
    fn spublish<'py>(&self, py: Python<'py>, shard_channel: &Bound<'py, PyAny>, message: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("SPUBLISH"), A(shard_channel), A(message)])
    }

    /// Channels with at least one (non-pattern) subscriber, matching the glob ``pattern``.
    #[pyo3(signature = (pattern = None, **_kwargs))]
    fn pubsub_channels<'py>(&self, py: Python<'py>, pattern: Option<&Bound<'py, PyAny>>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        match pattern {
            Some(p) => self.command(py, &[W("PUBSUB"), W("CHANNELS"), A(p)]),
            None => self.command(py, &[W("PUBSUB"), W("CHANNELS"), W("*")]),
        }
    }

    /// Shard channels with at least one subscriber, matching the glob ``pattern``.
    #[pyo3(signature = (pattern = None, **_kwargs))]
    fn pubsub_shardchannels<'py>(&self, py: Python<'py>, pattern: Option<&Bound<'py, PyAny>>, _kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        match pattern {
            Some(p) => self.command(py, &[W("PUBSUB"), W("SHARDCHANNELS"), A(p)]),
            None => self.command(py, &[W("PUBSUB"), W("SHARDCHANNELS"), W("*")]),
        }
    }

    /// ``[(channel, subscribers), ...]`` for each of ``args`` (pattern subscribers not counted).
    #[pyo3(signature = (*args, **_kwargs))]
    fn pubsub_numsub<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.numsub_generic(py, "NUMSUB", args)
    }

    /// ``[(shard_channel, subscribers), ...]`` for each of ``args``.
    #[pyo3(signature = (*args, **_kwargs))]
    fn pubsub_shardnumsub<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.numsub_generic(py, "SHARDNUMSUB", args)
    }

    /// The number of distinct patterns subscribed to.
    #[pyo3(signature = (**_kwargs))]
    fn pubsub_numpat<'py>(&self, py: Python<'py>, _kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("PUBSUB"), W("NUMPAT")])
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
}
