//! `Broker`'s sorted-set methods, redis-py 8.2's signatures: each builds the words redis-py
//! would send and runs them through the command table; the reply is shaped by the
//! callback table (`reply.rs`: `zset_score_pairs`, `parse_zadd`, `float_or_none`…).
//! redis-py's own argument checks (its `DataError`s) are the only rules here.

use pyo3::prelude::*;

use super::broker::{Part, PyBroker, A, W};
use super::errors::DataError;
use super::reply::Opts;

/// redis-py's `score_cast_func` kept for the callback; `float` (the default) is `None`.
fn cast(py: Python<'_>, f: Option<&Bound<'_, PyAny>>) -> Option<Py<PyAny>> {
    f.filter(|f| !f.is(py.get_type::<pyo3::types::PyFloat>())).map(|f| f.clone().unbind())
}

/// The range options of redis-py's ZRANGEBYSCORE / ZREVRANGEBYSCORE: `LIMIT` then
/// `WITHSCORES`.
fn limit_and_scores<'a, 'py>(parts: &mut Vec<Part<'a, 'py>>, start: Option<&'a Bound<'py, PyAny>>, num: Option<&'a Bound<'py, PyAny>>, withscores: bool) -> PyResult<()> {
    match (start, num) {
        (Some(s), Some(n)) => parts.extend([W("LIMIT"), A(s), A(n)]),
        (None, None) => {}
        _ => return Err(DataError::new_err("``start`` and ``num`` must both be specified")),
    }
    if withscores {
        parts.push(W("WITHSCORES"));
    }
    Ok(())
}

fn some<'a, 'py>(o: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    o.filter(|o| !o.is_none())
}

#[pymethods]
impl PyBroker {
    /// Add the ``{member: score}`` pairs of ``mapping`` to sorted set ``name``. ``nx``: only
    /// add new members; ``xx``: only update existing ones; ``gt`` / ``lt``: only update when
    /// the new score is greater / less; ``ch``: count changed members too; ``incr``: add
    /// the score to the member's (one pair), returning the new score (None if a flag
    /// stopped it). Otherwise returns the number of members added (or changed, with ``ch``).
    #[pyo3(signature = (name, mapping, nx = false, xx = false, ch = false, incr = false, gt = false, lt = false))]
    #[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
    fn zadd<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        mapping: &Bound<'py, PyAny>,
        nx: bool,
        xx: bool,
        ch: bool,
        incr: bool,
        gt: bool,
        lt: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        if !mapping.is_truthy()? {
            return Err(DataError::new_err("ZADD requires at least one element/score pair"));
        }
        if nx && xx {
            return Err(DataError::new_err("ZADD allows either 'nx' or 'xx', not both"));
        }
        if gt && lt {
            return Err(DataError::new_err("ZADD allows either 'gt' or 'lt', not both"));
        }
        if incr && mapping.len()? != 1 {
            return Err(DataError::new_err("ZADD option 'incr' only works when passing a single element/score pair"));
        }
        if nx && (gt || lt) {
            return Err(DataError::new_err("Only one of 'nx', 'gt', or 'lt' may be defined."));
        }
        let mut parts = vec![W("ZADD"), A(name)];
        for (on, w) in [(nx, "NX"), (xx, "XX"), (ch, "CH"), (incr, "INCR"), (gt, "GT"), (lt, "LT")] {
            if on {
                parts.push(W(w));
            }
        }
        let mut pieces: Vec<Bound<'py, PyAny>> = Vec::new();
        for pair in mapping.call_method0("items")?.try_iter()? {
            let pair = pair?;
            pieces.push(pair.get_item(1)?);
            pieces.push(pair.get_item(0)?);
        }
        parts.extend(pieces.iter().map(A));
        self.command(py, &parts)
    }

    /// The number of members of sorted set ``name``.
    fn zcard<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("ZCARD"), A(name)])
    }

    /// The number of members of sorted set ``name`` with a score between ``min`` and
    /// ``max`` (``"(1"`` excludes 1; ``"-inf"`` / ``"+inf"``).
    fn zcount<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, min: &Bound<'py, PyAny>, max: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("ZCOUNT"), A(name), A(min), A(max)])
    }

    /// Add ``amount`` to the score of ``value`` in sorted set ``name``; the new score.
    fn zincrby<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, amount: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("ZINCRBY"), A(name), A(amount), A(value)])
    }

    /// The scores of ``members`` in sorted set ``key`` (None for a missing one).
    fn zmscore<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>, members: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        if !members.is_truthy()? {
            return Err(DataError::new_err("ZMSCORE members must be a non-empty list"));
        }
        let members: Vec<Bound<'py, PyAny>> = members.try_iter()?.collect::<PyResult<_>>()?;
        let mut parts = vec![W("ZMSCORE"), A(key)];
        parts.extend(members.iter().map(A));
        self.command(py, &parts)
    }

    /// Remove and return up to ``count`` (default 1) members with the highest scores from
    /// sorted set ``name``, as ``(member, score)`` tuples.
    #[pyo3(signature = (name, count = None))]
    fn zpopmax<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut parts = vec![W("ZPOPMAX"), A(name)];
        parts.extend(some(count).map(A));
        self.command_as(py, "ZPOPMAX", &parts, &Opts { withscores: true, ..Opts::default() })
    }

    /// Remove and return up to ``count`` (default 1) members with the lowest scores from
    /// sorted set ``name``, as ``(member, score)`` tuples.
    #[pyo3(signature = (name, count = None))]
    fn zpopmin<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut parts = vec![W("ZPOPMIN"), A(name)];
        parts.extend(some(count).map(A));
        self.command_as(py, "ZPOPMIN", &parts, &Opts { withscores: true, ..Opts::default() })
    }

    /// Members of sorted set ``name`` from ``start`` to ``end``: by index, or with
    /// ``byscore`` / ``bylex`` by score or member range; ``desc`` reverses;
    /// ``offset``/``num`` limit a score or lex range; ``withscores`` returns
    /// ``(member, score_cast_func(score))`` tuples.
    #[pyo3(signature = (name, start, end, desc = false, withscores = false, score_cast_func = None, byscore = false, bylex = false, offset = None, num = None, use_rev = false))]
    #[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
    fn zrange<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        start: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
        desc: bool,
        withscores: bool,
        score_cast_func: Option<&Bound<'py, PyAny>>,
        byscore: bool,
        bylex: bool,
        offset: Option<&Bound<'py, PyAny>>,
        num: Option<&Bound<'py, PyAny>>,
        use_rev: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let (offset, num) = (some(offset), some(num));
        if !byscore && !bylex && offset.is_none() && num.is_none() && desc && !use_rev {
            return self.zrevrange(py, name, start, end, withscores, score_cast_func);
        }
        if byscore && bylex {
            return Err(DataError::new_err("``byscore`` and ``bylex`` can not be specified together."));
        }
        if offset.is_some() != num.is_some() {
            return Err(DataError::new_err("``offset`` and ``num`` must both be specified."));
        }
        if bylex && withscores {
            return Err(DataError::new_err("``withscores`` not supported in combination with ``bylex``."));
        }
        let mut parts = vec![W("ZRANGE"), A(name), A(start), A(end)];
        if byscore {
            parts.push(W("BYSCORE"));
        }
        if bylex {
            parts.push(W("BYLEX"));
        }
        if desc {
            parts.push(W("REV"));
        }
        if let (Some(o), Some(n)) = (offset, num) {
            parts.extend([W("LIMIT"), A(o), A(n)]);
        }
        if withscores {
            parts.push(W("WITHSCORES"));
        }
        self.command_as(py, "ZRANGE", &parts, &Opts { withscores, score_cast: cast(py, score_cast_func), ..Opts::default() })
    }

    /// Members of sorted set ``name`` with scores between ``min`` and ``max``, ascending;
    /// ``start``/``num`` page through them.
    #[pyo3(signature = (name, min, max, start = None, num = None, withscores = false, score_cast_func = None))]
    #[allow(clippy::too_many_arguments)]
    fn zrangebyscore<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        min: &Bound<'py, PyAny>,
        max: &Bound<'py, PyAny>,
        start: Option<&Bound<'py, PyAny>>,
        num: Option<&Bound<'py, PyAny>>,
        withscores: bool,
        score_cast_func: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut parts = vec![W("ZRANGEBYSCORE"), A(name), A(min), A(max)];
        limit_and_scores(&mut parts, some(start), some(num), withscores)?;
        self.command_as(py, "ZRANGEBYSCORE", &parts, &Opts { withscores, score_cast: cast(py, score_cast_func), ..Opts::default() })
    }

    /// Members of sorted set ``name`` from index ``start`` to ``end``, highest score first.
    #[pyo3(signature = (name, start, end, withscores = false, score_cast_func = None))]
    fn zrevrange<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        start: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
        withscores: bool,
        score_cast_func: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut parts = vec![W("ZREVRANGE"), A(name), A(start), A(end)];
        if withscores {
            parts.push(W("WITHSCORES"));
        }
        self.command_as(py, "ZREVRANGE", &parts, &Opts { withscores, score_cast: cast(py, score_cast_func), ..Opts::default() })
    }

    /// Members of sorted set ``name`` with scores between ``max`` and ``min``, descending;
    /// ``start``/``num`` page through them.
    #[pyo3(signature = (name, max, min, start = None, num = None, withscores = false, score_cast_func = None))]
    #[allow(clippy::too_many_arguments)]
    fn zrevrangebyscore<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        max: &Bound<'py, PyAny>,
        min: &Bound<'py, PyAny>,
        start: Option<&Bound<'py, PyAny>>,
        num: Option<&Bound<'py, PyAny>>,
        withscores: bool,
        score_cast_func: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut parts = vec![W("ZREVRANGEBYSCORE"), A(name), A(max), A(min)];
        limit_and_scores(&mut parts, some(start), some(num), withscores)?;
        self.command_as(py, "ZREVRANGEBYSCORE", &parts, &Opts { withscores, score_cast: cast(py, score_cast_func), ..Opts::default() })
    }

    /// The 0-based rank of ``value`` in sorted set ``name``, lowest score first (None if
    /// missing). ``withscore`` is Redis 7.2's and refused by 7.0.
    #[pyo3(signature = (name, value, withscore = false, score_cast_func = None))]
    fn zrank<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
        withscore: bool,
        score_cast_func: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let _ = score_cast_func;
        let mut parts = vec![W("ZRANK"), A(name), A(value)];
        if withscore {
            parts.push(W("WITHSCORE"));
        }
        self.command(py, &parts)
    }

    /// The 0-based rank of ``value`` in sorted set ``name``, highest score first (None if
    /// missing). ``withscore`` is Redis 7.2's and refused by 7.0.
    #[pyo3(signature = (name, value, withscore = false, score_cast_func = None))]
    fn zrevrank<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
        withscore: bool,
        score_cast_func: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let _ = score_cast_func;
        let mut parts = vec![W("ZREVRANK"), A(name), A(value)];
        if withscore {
            parts.push(W("WITHSCORE"));
        }
        self.command(py, &parts)
    }

    /// Remove ``values`` from sorted set ``name``; the number removed.
    #[pyo3(signature = (name, *values))]
    fn zrem<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, values: &Bound<'py, pyo3::types::PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let values: Vec<Bound<'py, PyAny>> = values.iter().collect();
        let mut parts = vec![W("ZREM"), A(name)];
        parts.extend(values.iter().map(A));
        self.command(py, &parts)
    }

    /// The score of ``value`` in sorted set ``name`` (None if missing).
    fn zscore<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("ZSCORE"), A(name), A(value)])
    }

    /// The number of members of sorted set ``name`` between ``min`` and ``max`` by member
    /// (``"[a"`` inclusive, ``"(a"`` exclusive, ``"-"`` / ``"+"`` unbounded).
    fn zlexcount<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, min: &Bound<'py, PyAny>, max: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("ZLEXCOUNT"), A(name), A(min), A(max)])
    }

    /// Members of sorted set ``name`` between ``min`` and ``max`` by member, ascending;
    /// ``start``/``num`` page through them.
    #[pyo3(signature = (name, min, max, start = None, num = None))]
    fn zrangebylex<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        min: &Bound<'py, PyAny>,
        max: &Bound<'py, PyAny>,
        start: Option<&Bound<'py, PyAny>>,
        num: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut parts = vec![W("ZRANGEBYLEX"), A(name), A(min), A(max)];
        limit_and_scores(&mut parts, some(start), some(num), false)?;
        self.command(py, &parts)
    }

    /// Members of sorted set ``name`` between ``max`` and ``min`` by member, descending;
    /// ``start``/``num`` page through them.
    #[pyo3(signature = (name, max, min, start = None, num = None))]
    fn zrevrangebylex<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        max: &Bound<'py, PyAny>,
        min: &Bound<'py, PyAny>,
        start: Option<&Bound<'py, PyAny>>,
        num: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut parts = vec![W("ZREVRANGEBYLEX"), A(name), A(max), A(min)];
        limit_and_scores(&mut parts, some(start), some(num), false)?;
        self.command(py, &parts)
    }

    /// Remove the members of sorted set ``name`` between ``min`` and ``max`` by member;
    /// the number removed.
    fn zremrangebylex<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, min: &Bound<'py, PyAny>, max: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("ZREMRANGEBYLEX"), A(name), A(min), A(max)])
    }

    /// Remove the members of sorted set ``name`` from index ``min`` to ``max`` (negative
    /// from the end); the number removed.
    fn zremrangebyrank<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, min: &Bound<'py, PyAny>, max: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("ZREMRANGEBYRANK"), A(name), A(min), A(max)])
    }

    /// Remove the members of sorted set ``name`` with a score between ``min`` and ``max``;
    /// the number removed.
    fn zremrangebyscore<'py>(&self, py: Python<'py>, name: &Bound<'py, PyAny>, min: &Bound<'py, PyAny>, max: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        self.command(py, &[W("ZREMRANGEBYSCORE"), A(name), A(min), A(max)])
    }

    /// Store at ``dest`` the members of sorted set ``name`` that ``zrange`` would return
    /// for the same arguments (``dest`` is deleted when there are none); how many.
    #[pyo3(signature = (dest, name, start, end, byscore = false, bylex = false, desc = false, offset = None, num = None))]
    #[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
    fn zrangestore<'py>(
        &self,
        py: Python<'py>,
        dest: &Bound<'py, PyAny>,
        name: &Bound<'py, PyAny>,
        start: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
        byscore: bool,
        bylex: bool,
        desc: bool,
        offset: Option<&Bound<'py, PyAny>>,
        num: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let (offset, num) = (some(offset), some(num));
        if byscore && bylex {
            return Err(DataError::new_err("``byscore`` and ``bylex`` can not be specified together."));
        }
        if offset.is_some() != num.is_some() {
            return Err(DataError::new_err("``offset`` and ``num`` must both be specified."));
        }
        let mut parts = vec![W("ZRANGESTORE"), A(dest), A(name), A(start), A(end)];
        if byscore {
            parts.push(W("BYSCORE"));
        }
        if bylex {
            parts.push(W("BYLEX"));
        }
        if desc {
            parts.push(W("REV"));
        }
        if let (Some(o), Some(n)) = (offset, num) {
            parts.extend([W("LIMIT"), A(o), A(n)]);
        }
        self.command(py, &parts)
    }

    /// Random members of sorted set ``key``: one (None if missing) without ``count``;
    /// up to ``count`` distinct ones, or ``-count`` that may repeat; ``withscores`` interleaves
    /// the scores (as bytes, as redis-py returns them).
    #[pyo3(signature = (key, count = None, withscores = false))]
    fn zrandmember<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>, count: Option<&Bound<'py, PyAny>>, withscores: bool) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let mut parts = vec![W("ZRANDMEMBER"), A(key)];
        parts.extend(some(count).map(A));
        if withscores {
            parts.push(W("WITHSCORES"));
        }
        self.command_as(py, "ZRANDMEMBER", &parts, &Opts { withscores, ..Opts::default() })
    }

    /// Pop up to ``count`` members from the first non-empty sorted set of ``keys``: the
    /// lowest (``min``) or highest (``max``) scores; ``[key, [[member, score], ...]]`` or
    /// None.
    #[pyo3(signature = (num_keys, keys, min = Some(false), max = Some(false), count = None), text_signature = "(self, num_keys, keys, min=False, max=False, count=1)")]
    #[allow(clippy::too_many_arguments)]
    fn zmpop<'py>(
        &self,
        py: Python<'py>,
        num_keys: &Bound<'py, PyAny>,
        keys: &Bound<'py, PyAny>,
        min: Option<bool>,
        max: Option<bool>,
        count: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let (min, max) = (min.unwrap_or(false), max.unwrap_or(false));
        // redis-py sends COUNT only when `count != 1`.
        let count = count.filter(|c| !c.eq(1).unwrap_or(false));
        if (min && max) || (!min && !max) {
            return Err(DataError::new_err(()));
        }
        let keys: Vec<Bound<'py, PyAny>> = keys.try_iter()?.collect::<PyResult<_>>()?;
        let mut parts = vec![W("ZMPOP"), A(num_keys)];
        parts.extend(keys.iter().map(A));
        parts.push(W(if min { "MIN" } else { "MAX" }));
        if let Some(c) = count {
            parts.extend([W("COUNT"), A(c)]);
        }
        self.command(py, &parts)
    }

    /// Iterate sorted set ``name`` from ``cursor``: ``(next_cursor, [(member, score)])``;
    /// ``match`` filters members by a glob, ``count`` hints the batch size.
    #[pyo3(signature = (name, cursor = None, r#match = None, count = None, score_cast_func = None))]
    fn zscan<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
        cursor: Option<&Bound<'py, PyAny>>,
        r#match: Option<&Bound<'py, PyAny>>,
        count: Option<&Bound<'py, PyAny>>,
        score_cast_func: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.born.check()?;
        let zero = 0i64.into_pyobject(py)?.into_any();
        let cursor = cursor.unwrap_or(&zero);
        let mut parts = vec![W("ZSCAN"), A(name), A(cursor)];
        if let Some(m) = some(r#match) {
            parts.extend([W("MATCH"), A(m)]);
        }
        if let Some(c) = some(count) {
            parts.extend([W("COUNT"), A(c)]);
        }
        self.command_as(py, "ZSCAN", &parts, &Opts { score_cast: cast(py, score_cast_func), ..Opts::default() })
    }
}
