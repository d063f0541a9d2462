//! Command lines built the way redis-py builds them: `Part`s (literal words, arguments
//! encoded by the client's encoder, numbers), and redis-py's client-side conversions of
//! arguments (timedeltas, datetimes, `ExpiryT`). The one argv builder of the binding.

use std::borrow::Cow;

use pyo3::prelude::*;
use pyo3::types::{PyInt, PyString};

use super::convert::Codec;
use super::errors::DataError;


/// One piece of a command line built the way redis-py builds it: a literal word, or an
/// argument that redis-py would encode (and Redis would then parse).
// I and B are for the per-type files that build lines from computed numbers and bytes.
#[allow(dead_code)]
pub(crate) enum Part<'a, 'py> {
    /// A literal word (`"HSET"`, `"WITHVALUES"`).
    W(&'static str),
    /// A word chosen at run time.
    S(&'a str),
    /// A Python argument, encoded as redis-py encodes it.
    A(&'a Bound<'py, PyAny>),
    /// An integer computed here (a count, a flag's value).
    I(i64),
    /// Bytes already encoded.
    B(&'a [u8]),
    /// Bytes made here (redis-py's `str(obj)` of a number: see `str_of`).
    O(Vec<u8>),
}
pub(crate) use Part::{A, B, I, O, S, W};

/// `str(obj)`, as redis-py sends some numbers (`str(maxlen)`, `str(count)`): unlike its
/// encoder, which refuses a bool, `str(True)` is `"True"`, which Redis then refuses.
pub(crate) fn str_of<'a, 'py>(obj: &Bound<'py, PyAny>) -> PyResult<Part<'a, 'py>> {
    Ok(O(obj.str()?.to_str()?.as_bytes().to_vec()))
}

/// A Python int that fits an i64 (not a bool, not a float): the fast paths' only input.
/// Anything else goes down the command path, where Redis's own parsing answers.
pub(crate) fn plain_i64(o: &Bound<'_, PyAny>) -> Option<i64> {
    if o.is_exact_instance_of::<PyInt>() {
        o.extract().ok()
    } else {
        None
    }
}

/// `None` for an absent or None argument.
pub(crate) fn some<'a, 'py>(o: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    o.filter(|o| !o.is_none())
}

/// redis-py's handling of an `ExpiryT`: a timedelta becomes whole seconds (times `scale`),
/// anything else is sent as it is.
pub(crate) fn timedelta_to_int<'py>(t: &Bound<'py, PyAny>, scale: i64) -> PyResult<Bound<'py, PyAny>> {
    if t.hasattr("total_seconds")? && !t.is_instance_of::<PyInt>() {
        let secs = t.call_method0("total_seconds")?;
        let scaled = secs.mul(scale)?;
        return t.py().get_type::<PyInt>().call1((scaled,));
    }
    Ok(t.clone())
}

/// redis-py's handling of an `AbsExpiryT`: a datetime becomes a Unix time (times `scale`).
pub(crate) fn datetime_to_int<'py>(t: &Bound<'py, PyAny>, scale: i64) -> PyResult<Bound<'py, PyAny>> {
    if t.hasattr("timestamp")? && !t.is_instance_of::<PyInt>() {
        let secs = t.call_method0("timestamp")?;
        let scaled = secs.mul(scale)?;
        return t.py().get_type::<PyInt>().call1((scaled,));
    }
    Ok(t.clone())
}

/// redis-py 8.2's `extract_expire_flags` for EX/PX: a timedelta, an int, or a string
/// that `str.isdecimal()` accepts (sent as its `int()`), else DataError.
pub(crate) fn expiry_arg<'py>(t: &Bound<'py, PyAny>, scale: i64, error: &'static str) -> PyResult<Bound<'py, PyAny>> {
    if t.is_instance_of::<PyInt>() {
        return Ok(t.clone());
    }
    if t.is_instance_of::<PyString>() {
        if t.call_method0("isdecimal")?.is_truthy()? {
            return t.py().get_type::<PyInt>().call1((t,));
        }
        return Err(DataError::new_err(error));
    }
    if t.hasattr("total_seconds")? {
        return timedelta_to_int(t, scale);
    }
    Err(DataError::new_err(error))
}

/// BLPOP's `timeout=None` means 0 (forever), as in redis-py.
pub(crate) fn opt_timeout<'py>(py: Python<'py>, t: Option<&Bound<'py, PyAny>>) -> Bound<'py, PyAny> {
    match t {
        Some(t) if !t.is_none() => t.clone(),
        _ => 0i64.into_pyobject(py).map(|o| o.into_any()).unwrap_or_else(|_| py.None().into_bound(py)),
    }
}

/// The words of `parts`, encoded by `codec` as redis-py's encoder would.
pub(crate) fn build<'a>(codec: &Codec, parts: &'a [Part<'_, '_>]) -> PyResult<Vec<Cow<'a, [u8]>>> {
    parts
        .iter()
        .map(|p| match p {
            W(w) => Ok(Cow::Borrowed(w.as_bytes())),
            S(w) => Ok(Cow::Borrowed(w.as_bytes())),
            A(o) => codec.encode(o),
            I(n) => Ok(Cow::Owned(n.to_string().into_bytes())),
            B(b) => Ok(Cow::Borrowed(*b)),
            O(v) => Ok(Cow::Borrowed(v.as_slice())),
        })
        .collect()
}
