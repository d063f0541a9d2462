//! `embedis.Server`: the handle `Broker.serve()` returns, on the RESP server of
//! `crate::server`. Converts and delegates; the server itself never calls into Python.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

use super::broker::PyBroker;
use super::fork::Born;
use crate::server::{Config, Server, StartError};

/// A RESP server serving a broker from background threads (``Broker.serve``). Any Redis
/// client (redis-py, redis-cli, redis-benchmark) can connect. Stop it with ``stop()`` or
/// by leaving its ``with`` block; a client's SHUTDOWN stops it too.
#[pyclass(name = "Server", module = "embedis._embedis", frozen)]
pub struct PyServer {
    /// Always `Some`, except in a forked child's drop, which takes it out to leak it.
    server: Option<Server>,
    /// The process (fork generation) it was started in: every method checks it.
    born: Born,
}

/// Starts a server on `engine` with the arguments of `Broker.serve`.
#[allow(clippy::too_many_arguments)]
pub fn start(
    engine: crate::engine::Engine,
    persist: Option<crate::persist::Persistence>,
    host: &Bound<'_, PyAny>,
    port: Option<u16>,
    unixsocket: Option<PathBuf>,
    unixsocketperm: Option<u32>,
    requirepass: Option<&Bound<'_, PyAny>>,
    maxclients: usize,
    protected_mode: bool,
    proto_max_bulk_len: Option<usize>,
    client_query_buffer_limit: Option<usize>,
) -> PyResult<PyServer> {
    let bind: Vec<String> = if let Ok(s) = host.cast::<PyString>() {
        s.to_str()?.split_whitespace().map(str::to_owned).collect()
    } else {
        host.extract::<Vec<String>>().map_err(|_| PyValueError::new_err("host must be a str or a list of str"))?
    };
    let requirepass = match requirepass {
        None => None,
        Some(p) if p.is_none() => None,
        Some(p) => {
            let bytes: Vec<u8> = if let Ok(s) = p.cast::<PyString>() {
                s.to_str()?.as_bytes().to_vec()
            } else {
                p.extract::<Vec<u8>>().map_err(|_| PyValueError::new_err("requirepass must be str or bytes"))?
            };
            (!bytes.is_empty()).then_some(bytes)
        }
    };
    let defaults = Config::default();
    let config = Config {
        bind,
        port,
        unixsocket,
        unixsocketperm,
        requirepass,
        maxclients,
        protected_mode,
        proto_max_bulk_len: proto_max_bulk_len.unwrap_or(defaults.proto_max_bulk_len),
        client_query_buffer_limit: client_query_buffer_limit.unwrap_or(defaults.client_query_buffer_limit),
        ..defaults
    };
    let py = host.py();
    let server = py.detach(|| Server::start(engine, persist, config)).map_err(|e| match e {
        StartError::ProtectedMode { .. } | StartError::NoListener => PyValueError::new_err(e.to_string()),
        StartError::Io { ref source, .. } => PyOSError::new_err((source.raw_os_error().unwrap_or(0), e.to_string())),
    })?;
    Ok(PyServer { server: Some(server), born: Born::here() })
}

impl Drop for PyServer {
    /// A server dropped by Python (garbage collected, or `del`) stops as `stop()` does,
    /// with the GIL released: its thread may need the GIL meanwhile (an
    /// `appendfsync always` write waits for its fsync through Python's detach).
    ///
    /// In a forked child the server is leaked instead: its threads do not exist there, so
    /// stopping would wait forever for them (the parent's server goes on serving).
    fn drop(&mut self) {
        if self.born.forked() {
            std::mem::forget(self.server.take());
            return;
        }
        // Dropped, not only stopped, with the GIL released: the server may hold the last
        // handle on a persistence, whose close (see `PyBroker`'s drop) waits for threads.
        let mut server = self.server.take();
        let _ = Python::try_attach(|py| py.detach(|| drop(server.take())));
        drop(server);
    }
}

impl PyServer {
    /// The server, or `ForkedBrokerError` in a forked child: every method's one-line check.
    fn srv(&self) -> PyResult<&Server> {
        self.born.check()?;
        self.server.as_ref().ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("the server handle is gone"))
    }
}

#[pymethods]
impl PyServer {
    /// Stop accepting, let connections finish their replies, close them, and wait until
    /// the server has stopped. Idempotent.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let server = self.srv()?;
        py.detach(|| server.stop());
        Ok(())
    }

    /// Wait until the server stops (``stop()``, or a client's SHUTDOWN), at most
    /// ``timeout`` seconds if given; returns whether it has stopped.
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        let server = self.srv()?;
        let t = timeout
            .map(|t| Duration::try_from_secs_f64(t.max(0.0)).map_err(|_| PyValueError::new_err("timeout must be a finite number")))
            .transpose()?;
        Ok(py.detach(|| server.wait(t)))
    }

    /// Whether the server still runs.
    #[getter]
    fn running(&self) -> PyResult<bool> {
        Ok(self.srv()?.is_running())
    }

    /// The TCP port listened on (the real one when ``port=0`` was asked), or None.
    #[getter]
    fn port(&self) -> PyResult<Option<u16>> {
        Ok(self.srv()?.local_addrs().first().map(std::net::SocketAddr::port))
    }

    /// The first TCP address listened on, as ``(host, port)``, or None.
    #[getter]
    fn address(&self) -> PyResult<Option<(String, u16)>> {
        Ok(self.srv()?.local_addrs().first().map(|a| (a.ip().to_string(), a.port())))
    }

    /// The Unix socket listened on, or None.
    #[getter]
    fn unixsocket(&self) -> PyResult<Option<String>> {
        Ok(self.srv()?.unixsocket().map(|p| p.display().to_string()))
    }

    /// Connections open now.
    #[getter]
    fn connected_clients(&self) -> PyResult<usize> {
        Ok(self.srv()?.connected_clients())
    }

    fn __enter__(slf: Py<Self>) -> PyResult<Py<Self>> {
        slf.get().srv()?;
        Ok(slf)
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.stop(py)
    }

    fn __repr__(&self) -> String {
        let Some(server) = self.server.as_ref().filter(|_| !self.born.forked()) else {
            return self.born.forked_repr("embedis.Server");
        };
        let mut where_ = Vec::new();
        for a in server.local_addrs() {
            where_.push(a.to_string());
        }
        if let Some(p) = server.unixsocket() {
            where_.push(p.display().to_string());
        }
        let state = if server.is_running() { "running" } else { "stopped" };
        format!("<embedis.Server {} {state}>", where_.join(" "))
    }
}

#[pymethods]
impl PyBroker {
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
}
