//! The connection methods of `Broker` that make sense in process: PING and ECHO.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::argv::words;
use super::broker::{cmd, PyBroker};

#[pymethods]
impl PyBroker {
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
}
