//! The memory keywords of `Broker(...)` (`maxmemory`, `maxmemory_policy`,
//! `maxmemory_samples`): converts and delegates to `engine::memory` (INFO memory is the
//! shared renderer's, `command::info`).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::engine::memory::{parse_memory, MemoryConfig, Policy};

/// The settings the keywords ask for, over the defaults; `None` when none was given.
///
/// # Errors
/// `ValueError` for a limit that is not a byte count or memory string, an unknown policy,
/// or a sample count outside Redis's range.
pub fn config_from_kwargs(
    maxmemory: Option<&Bound<'_, PyAny>>,
    policy: Option<&str>,
    samples: Option<i64>,
) -> PyResult<Option<MemoryConfig>> {
    if maxmemory.is_none() && policy.is_none() && samples.is_none() {
        return Ok(None);
    }
    let mut cfg = MemoryConfig::default();
    if let Some(m) = maxmemory {
        let bytes = if let Ok(s) = m.cast::<PyString>() {
            parse_memory(s.to_str()?.as_bytes())
        } else if let Ok(b) = m.cast::<PyBytes>() {
            parse_memory(b.as_bytes())
        } else if m.is_instance_of::<pyo3::types::PyBool>() {
            None
        } else {
            m.extract::<u64>().ok()
        };
        cfg.maxmemory = bytes.ok_or_else(|| {
            PyValueError::new_err(format!(
                "maxmemory must be a number of bytes (>= 0) or a memory string such as '512mb', got {}",
                m.repr().map_or_else(|_| "?".to_owned(), |r| r.to_string())
            ))
        })?;
    }
    if let Some(p) = policy {
        cfg.policy = Policy::parse(p.as_bytes()).ok_or_else(|| {
            let names: Vec<&str> = Policy::ALL.iter().map(|(_, n)| *n).collect();
            PyValueError::new_err(format!("maxmemory_policy must be one of: {}; got {p:?}", names.join(", ")))
        })?;
    }
    if let Some(n) = samples {
        if !(1..=i64::from(i32::MAX)).contains(&n) {
            return Err(PyValueError::new_err("maxmemory_samples must be between 1 and 2147483647"));
        }
        cfg.samples = usize::try_from(n).unwrap_or(5);
    }
    Ok(Some(cfg))
}
