//! List commands on the keyspace (LPUSH … LMPOP), and the list half of blocking: trying a
//! blocked op, serving ready keys, giving back what an abandoned waiter was handed.
//!
//! The list type itself is `list.rs`; here live the rules that involve keys (empty lists
//! vanish, pushes signal waiters, WRONGTYPE). Families share one function with an `End`
//! parameter, as `pushGenericCommand` in redis `src/t_list.c`.

use super::db::Key;
use super::effects::{end_word, int, pop_word, push_word, Int};
use super::error::{Error, Result};
use super::keyspace::Keyspace;
use super::list::End;
use super::notify::class;
use super::value::Value;
use super::waiters::{BlockOp, Served};

/// The LINSERT position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    /// Before the pivot.
    Before,
    /// After the pivot.
    After,
}

impl Keyspace {
    /// LPUSH / RPUSH (and LPUSHX / RPUSHX with `only_existing`): the list's new length.
    pub fn push(
        &mut self,
        db: usize,
        key: &[u8],
        values: &[&[u8]],
        end: End,
        only_existing: bool,
    ) -> Result<usize> {
        let d = &mut self.dbs[db];
        let list = if only_existing {
            match d.list_mut(key)? {
                Some(l) => l,
                None => return Ok(0),
            }
        } else {
            d.list_or_create(key)?
        };
        for v in values {
            list.push(end, v);
        }
        let len = list.len();
        self.waiters.signal_ready(db, key);
        self.emit_args(db, &[push_word(end), key], values);
        self.notify(class::LIST, push_event(end), key, db);
        Ok(len)
    }

    /// LPOP / RPOP without COUNT.
    pub fn pop(&mut self, db: usize, key: &[u8], end: End) -> Result<Option<Vec<u8>>> {
        let d = &mut self.dbs[db];
        let Some(list) = d.list_mut(key)? else { return Ok(None) };
        let v = list.pop(end);
        let emptied = list.is_empty();
        if emptied {
            d.remove(key);
        }
        if v.is_some() {
            self.emit_args(db, &[pop_word(end), key], &[]);
            self.notify(class::LIST, pop_event(end), key, db);
        }
        if emptied {
            self.notify(class::GENERIC, "del", key, db);
        }
        Ok(v)
    }

    /// LPOP / RPOP with COUNT: `None` when the key is missing (a nil reply, as Redis).
    pub fn pop_count(
        &mut self,
        db: usize,
        key: &[u8],
        end: End,
        count: usize,
    ) -> Result<Option<Vec<Vec<u8>>>> {
        let d = &mut self.dbs[db];
        let Some(list) = d.list_mut(key)? else { return Ok(None) };
        let n = count.min(list.len());
        let out: Vec<Vec<u8>> = (0..n).filter_map(|_| list.pop(end)).collect();
        let emptied = list.is_empty();
        if emptied {
            d.remove(key);
        }
        if !out.is_empty() {
            self.emit_args(db, &[pop_word(end), key, Int::from(out.len()).as_bytes()], &[]);
            self.notify(class::LIST, pop_event(end), key, db);
        }
        if emptied {
            self.notify(class::GENERIC, "del", key, db);
        }
        Ok(Some(out))
    }

    /// LLEN.
    pub fn llen(&mut self, db: usize, key: &[u8]) -> Result<usize> {
        let n = self.dbs[db].list(key)?.map(|l| l.len());
        Ok(self.missing_as(n, key, db, 0))
    }

    /// LRANGE.
    pub fn lrange(&mut self, db: usize, key: &[u8], start: i64, stop: i64) -> Result<Vec<Vec<u8>>> {
        let items = self.dbs[db].list(key)?.map(|l| l.range(start, stop));
        Ok(self.missing_as(items, key, db, Vec::new()))
    }

    /// LINDEX.
    pub fn lindex(&mut self, db: usize, key: &[u8], index: i64) -> Result<Option<Vec<u8>>> {
        let item = self.dbs[db].list(key)?.map(|l| l.index(index).map(<[u8]>::to_vec));
        Ok(self.missing_as(item, key, db, None))
    }

    /// LSET.
    ///
    /// # Errors
    /// `NoSuchKey` on a missing key, `IndexOutOfRange` past either end.
    pub fn lset(&mut self, db: usize, key: &[u8], index: i64, value: &[u8]) -> Result<()> {
        let list = self.dbs[db].list_mut(key)?.ok_or(Error::NoSuchKey)?;
        if !list.set(index, value) {
            return Err(Error::IndexOutOfRange);
        }
        self.emit(db, || vec![b"LSET".to_vec(), key.to_vec(), int(index), value.to_vec()]);
        self.notify(class::LIST, "lset", key, db);
        Ok(())
    }

    /// LINSERT: the new length, -1 if the pivot is absent, 0 if the key is.
    pub fn linsert(
        &mut self,
        db: usize,
        key: &[u8],
        place: Where,
        pivot: &[u8],
        value: &[u8],
    ) -> Result<i64> {
        let Some(list) = self.dbs[db].list_mut(key)? else { return Ok(0) };
        if !list.insert(place == Where::Before, pivot, value) {
            return Ok(-1);
        }
        let len = list.len();
        self.waiters.signal_ready(db, key);
        let word = if place == Where::Before { b"BEFORE".to_vec() } else { b"AFTER".to_vec() };
        self.emit(db, || vec![b"LINSERT".to_vec(), key.to_vec(), word, pivot.to_vec(), value.to_vec()]);
        self.notify(class::LIST, "linsert", key, db);
        Ok(i64::try_from(len).unwrap_or(i64::MAX))
    }

    /// LREM: how many were removed.
    pub fn lrem(&mut self, db: usize, key: &[u8], count: i64, value: &[u8]) -> Result<usize> {
        let d = &mut self.dbs[db];
        let Some(list) = d.list_mut(key)? else { return Ok(0) };
        let n = list.remove(count, value);
        let emptied = list.is_empty();
        d.drop_if_empty(key);
        if n > 0 {
            self.emit(db, || vec![b"LREM".to_vec(), key.to_vec(), int(count), value.to_vec()]);
            self.notify(class::LIST, "lrem", key, db);
        }
        if emptied {
            self.notify(class::GENERIC, "del", key, db);
        }
        Ok(n)
    }

    /// LTRIM.
    pub fn ltrim(&mut self, db: usize, key: &[u8], start: i64, stop: i64) -> Result<()> {
        let d = &mut self.dbs[db];
        if let Some(list) = d.list_mut(key)? {
            let before = list.len();
            list.trim(start, stop);
            let changed = list.len() != before;
            let emptied = list.is_empty();
            d.drop_if_empty(key);
            if changed {
                self.emit(db, || vec![b"LTRIM".to_vec(), key.to_vec(), int(start), int(stop)]);
            }
            // Redis announces every LTRIM of an existing list, changed or not.
            self.notify(class::LIST, "ltrim", key, db);
            if emptied {
                self.notify(class::GENERIC, "del", key, db);
            }
        }
        Ok(())
    }

    /// LPOS core: matching indexes (see `List::positions`).
    ///
    /// # Errors
    /// Redis's texts for RANK 0 and negative COUNT/MAXLEN.
    pub fn lpos(
        &mut self,
        db: usize,
        key: &[u8],
        value: &[u8],
        rank: i64,
        count: i64,
        maxlen: i64,
    ) -> Result<Vec<usize>> {
        if rank == 0 {
            return Err(Error::LposRankZero);
        }
        if rank == i64::MIN {
            // Redis refuses it too: |rank| would overflow.
            return Err(Error::NotAnInteger);
        }
        let count = usize::try_from(count).map_err(|_| Error::LposCountNegative)?;
        let maxlen = usize::try_from(maxlen).map_err(|_| Error::LposMaxlenNegative)?;
        let found = self.dbs[db].list(key)?.map(|l| l.positions(value, rank, count, maxlen));
        Ok(self.missing_as(found, key, db, Vec::new()))
    }

    /// LMOVE / RPOPLPUSH: the element moved, if the source had one.
    pub fn lmove(
        &mut self,
        db: usize,
        src: &[u8],
        dst: &[u8],
        from: End,
        to: End,
    ) -> Result<Option<Vec<u8>>> {
        let d = &mut self.dbs[db];
        if d.list(src)?.is_none_or(|l| l.is_empty()) {
            return Ok(None);
        }
        // The destination's type is checked before anything moves (WRONGTYPE, no change).
        d.list(dst)?;
        let Some((v, emptied)) = d.list_mut(src)?.and_then(|l| l.pop(from).map(|v| (v, l.is_empty()))) else {
            return Ok(None);
        };
        // A one-element list moved onto itself stays (the push refills it), as in Redis,
        // and is not a new key.
        let emptied = emptied && src != dst;
        if emptied {
            d.remove(src);
        }
        d.list_or_create(dst)?.push(to, &v);
        self.waiters.signal_ready(db, dst);
        self.emit_args(db, &[b"LMOVE", src, dst, end_word(from), end_word(to)], &[]);
        self.notify(class::LIST, push_event(to), dst, db);
        self.notify(class::LIST, pop_event(from), src, db);
        if emptied {
            self.notify(class::GENERIC, "del", src, db);
        }
        Ok(Some(v))
    }

    /// LMPOP: the first non-empty key in order and up to `count` elements from `end`.
    pub fn lmpop(
        &mut self,
        db: usize,
        keys: &[&[u8]],
        end: End,
        count: usize,
    ) -> Result<Option<(Key, Vec<Vec<u8>>)>> {
        for k in keys {
            if let Some(values) = self.pop_count(db, k, end, count)? {
                return Ok(Some(((*k).into(), values)));
            }
        }
        Ok(None)
    }

    /// A blocking op's first attempt, before it blocks: the same as its non-blocking twin
    /// over `keys` in order. `Ok(None)` means every key is empty or missing.
    pub fn try_block_op(&mut self, db: usize, keys: &[Key], op: &BlockOp) -> Result<Option<Served>> {
        match op {
            BlockOp::Pop { end } => {
                for k in keys {
                    if let Some(value) = self.pop(db, k, *end)? {
                        return Ok(Some(Served::Pop { key: k.clone(), value }));
                    }
                }
                Ok(None)
            }
            BlockOp::MPop { end, count } => {
                for k in keys {
                    if let Some(values) = self.pop_count(db, k, *end, *count)? {
                        return Ok(Some(Served::MPop { key: k.clone(), values }));
                    }
                }
                Ok(None)
            }
            BlockOp::Move { from, dest, to } => {
                let Some(src) = keys.first() else { return Ok(None) };
                Ok(self.lmove(db, src, dest, *from, *to)?.map(|value| Served::Move { value }))
            }
            BlockOp::XRead { .. } | BlockOp::XReadGroup { .. } => self.try_stream_read(db, op),
        }
    }

    /// Serves the waiters of every ready key, oldest first, while the key has data (Redis
    /// `handleClientsBlockedOnKeys`). Runs at the end of each unit, still under the lock,
    /// so no other command can take an element meant for a waiter. Keys made ready while
    /// serving (a BLMOVE's destination) are served in the same pass.
    pub fn serve_ready_keys(&mut self) {
        self.signal_removed_streams();
        while let Some((db, key)) = self.waiters.next_ready() {
            // Stream readers follow their own rules (`streams.rs`): all plain readers see
            // new entries, one reader per group takes them, a deleted key answers them.
            self.serve_stream_readers(db, &key);
            // A list waiter can only be served from a list.
            if !matches!(self.dbs[db].map.get(&key).map(|s| &s.value), Some(Value::List(_))) {
                continue;
            }
            self.serve_list_waiters(db, &key);
        }
    }

    /// Serves the list waiters of `key` (a list) oldest first until it runs out (Redis 7.0
    /// `serveClientsBlockedOnListKey`). Each waiter served leaves the queue, so the next
    /// one is always the oldest left; stream readers queued on the same key are skipped.
    fn serve_list_waiters(&mut self, db: usize, key: &Key) {
        let one = [key.clone()];
        let mut next = self.waiters.oldest(db, key).map(|(id, op)| (id, op.clone()));
        while let Some((id, op)) = next {
            if op.is_stream_read() {
                next = self.waiters.next_after(db, key, id).map(|(id, op)| (id, op.clone()));
                continue;
            }
            match self.try_block_op(db, &one, &op) {
                Ok(Some(served)) => self.waiters.complete(id, served),
                // Empty now: the rest keep waiting, even one that would fail (Redis stops
                // at an empty list before looking at the next waiter's destination).
                Ok(None) => break,
                // A BLMOVE whose destination holds another type, maybe since it blocked
                // (`key` is a list, so nothing else can fail here). As Redis 7.0
                // (`serveClientBlockedOnList` refusing through `checkType`), the waiter is
                // answered WRONGTYPE and unblocked; `lmove` checked before popping, so the
                // element stays for the next waiter and nothing reaches the AOF.
                Err(e) => self.waiters.complete(id, Served::Failed(e)),
            }
            next = self.waiters.oldest(db, key).map(|(id, op)| (id, op.clone()));
        }
    }

    /// Puts back what an abandoned waiter was handed: the same end of the same list, so it
    /// is the next one out, and the next waiter is served. A BLMOVE's element is already in
    /// its destination list and stays there, as with a Redis client that disconnects.
    pub fn give_back(&mut self, db: usize, op: &BlockOp, served: Served) {
        let (key, values, end) = match (op, served) {
            (BlockOp::Pop { end }, Served::Pop { key, value }) => (key, vec![value], *end),
            (BlockOp::MPop { end, .. }, Served::MPop { key, values }) => (key, values, *end),
            _ => return,
        };
        // Reverse pop order, so the first popped is outermost again.
        let refs: Vec<&[u8]> = values.iter().rev().map(Vec::as_slice).collect();
        // If the key became another type meanwhile, the overwrite destroyed the list the
        // elements came from; they go with it, as they would have in Redis.
        let _ = self.push(db, &key, &refs, end, false);
    }
}

/// The event of a push at `end` (`lpush`/`rpush`).
fn push_event(end: End) -> &'static str {
    match end {
        End::Left => "lpush",
        End::Right => "rpush",
    }
}

/// The event of a pop at `end` (`lpop`/`rpop`).
fn pop_event(end: End) -> &'static str {
    match end {
        End::Left => "lpop",
        End::Right => "rpop",
    }
}
