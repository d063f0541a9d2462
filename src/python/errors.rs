//! The one mapping from engine errors to the exception classes of `embedis.exceptions`
//! (defined in Python, so they are documented, picklable and subclassable).

use pyo3::prelude::*;

use crate::engine::Error;

pyo3::import_exception!(embedis.exceptions, ResponseError);
pyo3::import_exception!(embedis.exceptions, DataError);
pyo3::import_exception!(embedis.exceptions, OutOfMemoryError);

/// An engine error as redis-py raises a server error: `ERR ` is stripped (redis-py
/// `BaseParser.parse_error` strips the prefixes it knows), other prefixes such as
/// `WRONGTYPE`, `NOGROUP` and `BUSYGROUP` stay in the message.
pub fn to_pyerr(e: &Error) -> PyErr {
    let text = e.to_string();
    if let Error::OutOfMemory = e {
        // redis-py maps the `OOM` prefix to its own class and strips it from the message.
        return OutOfMemoryError::new_err(text.strip_prefix("OOM ").unwrap_or(&text).to_owned());
    }
    let msg = text.strip_prefix("ERR ").unwrap_or(&text).to_owned();
    ResponseError::new_err(msg)
}

/// `?`-friendly conversion for engine results.
pub trait IntoPy<T> {
    /// Maps the engine error to its Python exception.
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, Error> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(|e| to_pyerr(&e))
    }
}
