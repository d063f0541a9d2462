//! redis-py's encoding rules in, and replies out.
//!
//! In (`Encoder.encode` in redis-py): bytes, bytearray, memoryview as they are; str with the
//! client's encoding; int and float as `repr(value)`; bool, None and everything else raise
//! `DataError` with redis-py's words. Out: bytes, or str when `decode_responses`.

use std::borrow::Cow;

use pyo3::exceptions::PyUnicodeDecodeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::intern;

use super::errors::DataError;
use crate::command::reply::Reply;

/// How a broker handle encodes str arguments and decodes replies.
#[derive(Debug, Clone)]
pub struct Codec {
    /// Return str instead of bytes.
    pub decode_responses: bool,
    /// `None` for UTF-8/strict (the fast path), else (encoding, errors) for str.encode/decode.
    pub custom: Option<(String, String)>,
}

impl Codec {
    /// A codec from redis-py's constructor arguments.
    pub fn new(decode_responses: bool, encoding: &str, errors: &str) -> Codec {
        let utf8 = matches!(encoding.to_ascii_lowercase().as_str(), "utf-8" | "utf8");
        let custom = (!(utf8 && errors == "strict")).then(|| (encoding.to_owned(), errors.to_owned()));
        Codec { decode_responses, custom }
    }

    /// Encodes one argument as redis-py would.
    pub fn encode<'a>(&self, obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
        if let Ok(b) = obj.cast::<PyBytes>() {
            return Ok(Cow::Borrowed(b.as_bytes()));
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return match &self.custom {
                None => Ok(Cow::Borrowed(s.to_str()?.as_bytes())),
                Some((enc, errors)) => {
                    let b = s.call_method1(intern!(obj.py(), "encode"), (enc, errors))?;
                    Ok(Cow::Owned(b.cast::<PyBytes>()?.as_bytes().to_vec()))
                }
            };
        }
        encode_other(obj).map(Cow::Owned)
    }

    /// Encodes every item of a tuple of arguments.
    pub fn encode_all<'a>(&self, items: &'a [Bound<'_, PyAny>]) -> PyResult<Vec<Cow<'a, [u8]>>> {
        items.iter().map(|o| self.encode(o)).collect()
    }

    /// A reply string as bytes or str.
    pub fn out<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        if !self.decode_responses {
            return Ok(PyBytes::new(py, data).into_any());
        }
        match &self.custom {
            None => match std::str::from_utf8(data) {
                Ok(s) => Ok(PyString::new(py, s).into_any()),
                Err(e) => Err(PyUnicodeDecodeError::new_err_from_utf8(py, data, e)),
            },
            Some((enc, errors)) => {
                PyBytes::new(py, data).call_method1(intern!(py, "decode"), (enc, errors))
            }
        }
    }

    /// An optional reply string.
    pub fn out_opt<'py>(&self, py: Python<'py>, data: Option<&[u8]>) -> PyResult<Bound<'py, PyAny>> {
        match data {
            Some(d) => self.out(py, d),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// A list of reply strings.
    pub fn out_list<'py, T: AsRef<[u8]>>(
        &self,
        py: Python<'py>,
        items: &[T],
    ) -> PyResult<Bound<'py, PyAny>> {
        let objs = items.iter().map(|i| self.out(py, i.as_ref())).collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, objs)?.into_any())
    }

    /// A neutral reply tree as redis-py's RESP2 parser returns it (before callbacks).
    pub fn reply<'py>(&self, py: Python<'py>, reply: &Reply) -> PyResult<Bound<'py, PyAny>> {
        Ok(match reply {
            Reply::Ok => self.out(py, b"OK")?,
            Reply::Simple(s) | Reply::Bulk(s) => self.out(py, s)?,
            Reply::Int(i) => i.into_pyobject(py)?.into_any(),
            Reply::Double(f) => f.into_pyobject(py)?.into_any(),
            Reply::Nil | Reply::NilArray => py.None().into_bound(py),
            // RESP2's parser reads a set as the array it is sent as.
            Reply::Array(items) | Reply::Set(items) => {
                let objs = items.iter().map(|r| self.reply(py, r)).collect::<PyResult<Vec<_>>>()?;
                PyList::new(py, objs)?.into_any()
            }
            Reply::Map(pairs) => {
                let d = pyo3::types::PyDict::new(py);
                for (k, v) in pairs {
                    d.set_item(self.reply(py, k)?, self.reply(py, v)?)?;
                }
                d.into_any()
            }
            Reply::Error(e) => super::errors::to_pyerr(e).into_value(py).into_bound(py).into_any(),
        })
    }
}

/// The slow half of `encode`: int, float, bytearray, memoryview; DataError for the rest.
fn encode_other(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if obj.is_instance_of::<PyBool>() {
        return Err(data_error(obj));
    }
    if obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyFloat>() {
        let r = obj.repr()?;
        return Ok(r.to_str()?.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    if obj.get_type().name()?.to_str()? == "memoryview" {
        let b = obj.call_method0(intern!(obj.py(), "tobytes"))?;
        return Ok(b.cast::<PyBytes>()?.as_bytes().to_vec());
    }
    Err(data_error(obj))
}

/// redis-py's refusal of an argument type.
pub fn data_error(obj: &Bound<'_, PyAny>) -> PyErr {
    let name = obj
        .get_type()
        .name()
        .and_then(|n| n.to_str().map(str::to_owned))
        .unwrap_or_else(|_| "object".into());
    DataError::new_err(format!(
        "Invalid input of type: '{name}'. Convert to a bytes, string, int or float first."
    ))
}

/// redis-py's `KeysT`: one key, or an iterable of keys (`list_or_args`).
pub fn keys_arg<'py>(keys: &Bound<'py, PyAny>, more: &Bound<'py, PyTuple>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let mut out = Vec::new();
    let single = keys.is_instance_of::<PyBytes>()
        || keys.is_instance_of::<PyString>()
        || keys.is_instance_of::<PyInt>()
        || keys.is_instance_of::<PyFloat>()
        || keys.is_instance_of::<PyByteArray>();
    match keys.try_iter() {
        Ok(it) if !single => {
            for k in it {
                out.push(k?);
            }
        }
        _ => out.push(keys.clone()),
    }
    out.extend(more.iter());
    Ok(out)
}

/// Borrows the bytes of a `Cow` list for engine calls.
pub fn slices<'a>(v: &'a [Cow<'_, [u8]>]) -> Vec<&'a [u8]> {
    v.iter().map(AsRef::as_ref).collect()
}
