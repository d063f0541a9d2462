//! The connection methods of `Broker` that make sense in process: PING and ECHO.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::argv::{A, W};
use super::broker::PyBroker;

#[pymethods]
impl PyBroker {
    /// True: the broker answers.
    #[pyo3(signature = (**_kwargs))]
    fn ping<'py>(&self, py: Python<'py>, _kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("PING")])
    }

    /// Returns ``value``.
    #[pyo3(signature = (value, **_kwargs))]
    fn echo<'py>(&self, py: Python<'py>, value: &Bound<'py, PyAny>, _kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("ECHO"), A(value)])
    }
}
