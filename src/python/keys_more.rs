//! redis-py 8.2's generic key methods beyond the basics: copy, move, swapdb, randomkey,
//! touch, expiretime, pexpiretime, object, sort, sort_ro. Each builds the words redis-py
//! sends and runs them through the command layer; the only decisions here are
//! redis-py's own (its DataError checks, and SORT's `groups` shaping).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use super::broker::{some, Part, PyBroker, A, W};
use super::errors::DataError;

#[pymethods]
impl PyBroker {
    /// Copy the value stored in the ``source`` key to the ``destination`` key.
    ///
    /// ``destination_db`` an alternative destination database. By default, the
    /// ``destination`` key is created in the source database.
    ///
    /// ``replace`` whether the ``destination`` key should be removed before copying the
    /// value to it. By default, the value is not copied if the ``destination`` key
    /// already exists. Returns whether the value was copied.
    #[pyo3(signature = (source, destination, destination_db = None, replace = false))]
    fn copy<'py>(
        &self,
        py: Python<'py>,
        source: &Bound<'py, PyAny>,
        destination: &Bound<'py, PyAny>,
        destination_db: Option<&Bound<'py, PyAny>>,
        replace: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut parts = vec![W("COPY"), A(source), A(destination)];
        if let Some(db) = some(destination_db) {
            parts.extend([W("DB"), A(db)]);
        }
        if replace {
            parts.push(W("REPLACE"));
        }
        self.command(py, &parts)
    }

    /// Moves the key ``name`` to a different database ``db``; whether it moved.
    #[pyo3(name = "move")]
    fn move_<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, db: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("MOVE"), A(name), A(db)])
    }

    /// Swap two databases. Every handle keeps its selected index, so a handle on
    /// ``first`` now sees what was in ``second``. Blocked readers of keys that now hold
    /// data are served.
    #[pyo3(signature = (first, second, **_kwargs))]
    fn swapdb<'py>(
        &self,
        py: Python<'py>,
        first: &Bound<'py, PyAny>,
        second: &Bound<'py, PyAny>,
        _kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("SWAPDB"), A(first), A(second)])
    }

    /// Returns the name of a random key, or None when the database is empty.
    #[pyo3(signature = (**_kwargs))]
    fn randomkey<'py>(&self, py: Python<'py>, _kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("RANDOMKEY")])
    }

    /// Updates the last access time of the given keys; how many exist.
    #[pyo3(signature = (*args))]
    fn touch<'py>(&self, py: Python<'py>, args: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let items: Vec<Bound<'py, PyAny>> = args.iter().collect();
        let mut parts = vec![W("TOUCH")];
        parts.extend(items.iter().map(A));
        self.command(py, &parts)
    }

    /// The absolute Unix timestamp (seconds) at which ``key`` expires; -1 without an
    /// expiry, -2 for a missing key.
    fn expiretime<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("EXPIRETIME"), A(key)])
    }

    /// The absolute Unix timestamp (milliseconds) at which ``key`` expires; -1 without an
    /// expiry, -2 for a missing key.
    fn pexpiretime<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("PEXPIRETIME"), A(key)])
    }

    /// Return the encoding, idletime, freq or refcount about the key (``OBJECT
    /// infotype key``): the encoding name, or an integer; None for a missing key.
    #[pyo3(signature = (infotype, key, **_kwargs))]
    fn object<'py>(
        &self,
        py: Python<'py>,
        infotype: &Bound<'py, PyAny>,
        key: &Bound<'py, PyAny>,
        _kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("OBJECT"), A(infotype), A(key)])
    }

    /// Sort and return the list, set or sorted set at ``name``.
    ///
    /// ``start`` and ``num`` allow for paging through the sorted data.
    ///
    /// ``by`` allows using an external key to weight and sort the items. Use an "*" to
    /// indicate where in the key the item value is located.
    ///
    /// ``get`` allows for returning items from external keys rather than the sorted
    /// data itself. Use an "*" to indicate where in the key the item value is located.
    ///
    /// ``desc`` allows for reversing the sort.
    ///
    /// ``alpha`` allows for sorting lexicographically rather than numerically.
    ///
    /// ``store`` allows for storing the result of the sort into the key ``store``.
    ///
    /// ``groups`` if set to True and if ``get`` contains at least two elements, sort
    /// will return a list of tuples, each containing the values fetched from the
    /// arguments to ``get``.
    #[pyo3(signature = (name, start = None, num = None, by = None, get = None, desc = false, alpha = false, store = None, groups = false))]
    fn sort<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        start: Option<&Bound<'py, PyAny>>,
        num: Option<&Bound<'py, PyAny>>,
        by: Option<&Bound<'py, PyAny>>,
        get: Option<&Bound<'py, PyAny>>,
        desc: bool,
        alpha: bool,
        store: Option<&Bound<'py, PyAny>>,
        groups: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.sort_generic(py, name, some(start), some(num), some(by), some(get), desc, alpha, some(store), groups)
    }

    /// Returns the elements contained in the list, set or sorted set at ``key``, sorted
    /// (the read-only variant of ``sort``; redis-py sends it as SORT without STORE).
    #[pyo3(signature = (key, start = None, num = None, by = None, get = None, desc = false, alpha = false))]
    fn sort_ro<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        start: Option<&Bound<'py, PyAny>>,
        num: Option<&Bound<'py, PyAny>>,
        by: Option<&Bound<'py, PyAny>>,
        get: Option<&Bound<'py, PyAny>>,
        desc: bool,
        alpha: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.sort_generic(py, key, some(start), some(num), some(by), some(get), desc, alpha, None, false)
    }
}

impl PyBroker {
    /// redis-py's `sort`: its DataError checks, the words it sends, and its
    /// `sort_return_tuples` callback for `groups`.
    fn sort_generic<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        start: Option<&Bound<'py, PyAny>>,
        num: Option<&Bound<'py, PyAny>>,
        by: Option<&Bound<'py, PyAny>>,
        get: Option<&Bound<'py, PyAny>>,
        desc: bool,
        alpha: bool,
        store: Option<&Bound<'py, PyAny>>,
        groups: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        if start.is_some() != num.is_some() {
            return Err(DataError::new_err("``start`` and ``num`` must both be specified"));
        }
        let single = get.is_some_and(|g| g.is_instance_of::<PyBytes>() || g.is_instance_of::<PyString>());
        let gets: Vec<Bound<'py, PyAny>> = match get {
            Some(g) if single => vec![g.clone()],
            Some(g) => g.try_iter()?.collect::<PyResult<_>>()?,
            None => Vec::new(),
        };
        let mut parts: Vec<Part<'_, 'py>> = vec![W("SORT"), A(name)];
        if let Some(by) = by {
            parts.extend([W("BY"), A(by)]);
        }
        if let (Some(s), Some(n)) = (start, num) {
            parts.extend([W("LIMIT"), A(s), A(n)]);
        }
        for g in &gets {
            parts.extend([W("GET"), A(g)]);
        }
        if desc {
            parts.push(W("DESC"));
        }
        if alpha {
            parts.push(W("ALPHA"));
        }
        if let Some(store) = store {
            parts.extend([W("STORE"), A(store)]);
        }
        let n = if groups {
            let len = match get {
                Some(g) if !single && g.is_truthy()? => g.len()?,
                _ => 0,
            };
            if len < 2 {
                return Err(DataError::new_err(
                    "when using \"groups\" the \"get\" argument must be specified and contain at least two keys",
                ));
            }
            len
        } else {
            0
        };
        let reply = self.command(py, &parts)?;
        if n == 0 {
            return Ok(reply);
        }
        let Ok(items) = reply.cast::<PyList>() else { return Ok(reply) };
        let rows = (0..items.len() / n)
            .map(|r| PyTuple::new(py, (0..n).map(|c| items.get_item(r * n + c)).collect::<PyResult<Vec<_>>>()?))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, rows)?.into_any())
    }
}
