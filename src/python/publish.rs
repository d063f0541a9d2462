//! The publishing side of pub/sub on `Broker` (PUBLISH, SPUBLISH, PUBSUB CHANNELS|NUMSUB|…)
//! and the subscribers' backlog limits; the subscribing side, `PubSub`, is `pubsub.rs`.

use std::borrow::Cow;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::argv::words;
use super::broker::{cmd, PyBroker};
use super::convert::slices;

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
}

#[pymethods]
impl PyBroker {
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
}
