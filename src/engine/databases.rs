//! Commands that move keys between databases, or databases themselves: COPY, MOVE and
//! SWAPDB (Redis `src/db.c`). Each takes effect under the keyspace lock, records its AOF
//! effect as Redis propagates it (the command itself: all three are deterministic given
//! the data), publishes Redis's events, and signals blocked readers of keys that now hold
//! a list or a stream, as Redis's `dbAdd` and `scanDatabaseForReadyKeys` do.
//! Knows nothing of RESP or Python.

use super::effects::Int;
use super::error::{Error, Result};
use super::notify::class;
use super::value::Value;
use super::Keyspace;

/// Whether a value arriving under a key may feed readers blocked on it.
fn feeds_waiters(v: &Value) -> bool {
    match v {
        Value::List(_) | Value::Stream(_) => true,
        // Zsets feed no waiter until BZPOPMIN/BZPOPMAX/BZMPOP exist.
        Value::Str(_) | Value::Set(_) | Value::Hash(_) | Value::Zset(_) => false,
    }
}

impl Keyspace {
    /// COPY: copies `src` of database `db` to `dst` of database `dst_db` with its expiry;
    /// false when `src` is missing, or `dst` exists and not `replace`.
    ///
    /// # Errors
    /// `SameObject` when source and destination are the same key of the same database.
    pub fn copy(&mut self, db: usize, src: &[u8], dst_db: usize, dst: &[u8], replace: bool) -> Result<bool> {
        if db == dst_db && src == dst {
            return Err(Error::SameObject);
        }
        let Some(value) = self.dbs[db].get(src).map(Value::duplicate) else {
            return Ok(false);
        };
        let expiry = self.dbs[db].expiry(src);
        let d = &mut self.dbs[dst_db];
        if d.contains(dst) {
            if !replace {
                return Ok(false);
            }
            // Redis deletes the old value with no event of its own (`dbDelete`).
            d.remove(dst);
        }
        let feeds = feeds_waiters(&value);
        d.set(dst, value, false);
        if let Some(at) = expiry {
            d.set_expiry(dst, at);
        }
        if feeds {
            self.waiters.signal_ready(dst_db, dst);
        }
        self.notify(class::GENERIC, "copy_to", dst, dst_db);
        self.emit(db, || {
            let mut argv = vec![b"COPY".to_vec(), src.to_vec(), dst.to_vec()];
            if dst_db != db {
                argv.extend([b"DB".to_vec(), Int::from(dst_db).as_bytes().to_vec()]);
            }
            if replace {
                argv.push(b"REPLACE".to_vec());
            }
            argv
        });
        Ok(true)
    }

    /// MOVE: moves `key` of database `db` to database `dst_db`, with its expiry; false
    /// when the key is missing or `dst_db` already has it.
    ///
    /// # Errors
    /// `SameObject` when `dst_db` is `db`.
    pub fn move_key(&mut self, db: usize, key: &[u8], dst_db: usize) -> Result<bool> {
        if db == dst_db {
            return Err(Error::SameObject);
        }
        if !self.dbs[db].contains(key) {
            return Ok(false);
        }
        let expiry = self.dbs[db].expiry(key);
        if self.dbs[dst_db].contains(key) {
            return Ok(false);
        }
        let Some(value) = self.dbs[db].remove(key) else { return Ok(false) };
        let feeds = feeds_waiters(&value);
        let d = &mut self.dbs[dst_db];
        d.set(key, value, false);
        if let Some(at) = expiry {
            d.set_expiry(key, at);
        }
        if feeds {
            self.waiters.signal_ready(dst_db, key);
        }
        self.notify(class::GENERIC, "move_from", key, db);
        self.notify(class::GENERIC, "move_to", key, dst_db);
        self.emit(db, || vec![b"MOVE".to_vec(), key.to_vec(), Int::from(dst_db).as_bytes().to_vec()]);
        Ok(true)
    }

    /// SWAPDB: databases `a` and `b` exchange their keys. Clients (and Python handles)
    /// keep their selected index, so they see the other data from now on. Readers blocked
    /// on a key that now holds a list or stream are signalled (Redis 7.0
    /// `scanDatabaseForReadyKeys` on both). No keyspace event is published, as in Redis.
    pub fn swapdb(&mut self, a: usize, b: usize) {
        if a != b {
            let (lo, hi) = (a.min(b), a.max(b));
            let (left, right) = self.dbs.split_at_mut(hi);
            left[lo].swap_contents(&mut right[0]);
            for db in [a, b] {
                for key in self.waiters.waited_keys(db) {
                    if self.dbs[db].get(&key).is_some_and(feeds_waiters) {
                        self.waiters.signal_ready(db, &key);
                    }
                }
            }
        }
        // Redis propagates SWAPDB even for one database with itself (it counts as dirty).
        self.emit(a, || {
            vec![b"SWAPDB".to_vec(), Int::from(a).as_bytes().to_vec(), Int::from(b).as_bytes().to_vec()]
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::Keyspace;

    /// Every database's counted bytes equal a recount from scratch.
    fn assert_counted_right(ks: &mut Keyspace) {
        for (i, d) in ks.dbs.iter_mut().enumerate() {
            let counted = d.used();
            d.recount_used();
            assert_eq!(d.used(), counted, "database {i}");
        }
    }

    #[test]
    fn copy_move_and_swapdb_keep_memory_accounting_right() {
        let mut ks = Keyspace::default();
        ks.push(0, b"l", &[b"a", b"b", b"c"], super::super::End::Right, false).unwrap();
        ks.dbs[0].set(b"s", super::Value::Str(b"v".to_vec()), false);
        ks.dbs[0].set_expiry(b"s", i64::MAX / 2);
        assert!(ks.copy(0, b"l", 1, b"l", false).unwrap());
        assert!(ks.copy(0, b"s", 0, b"s2", false).unwrap());
        assert_eq!(ks.dbs[0].expiry(b"s2"), Some(i64::MAX / 2));
        assert!(ks.move_key(0, b"s", 2).unwrap());
        assert!(!ks.move_key(0, b"l", 1).unwrap(), "database 1 has l");
        assert_counted_right(&mut ks);
        let total: usize = ks.dbs.iter_mut().map(super::super::db::Db::used).sum();
        ks.swapdb(0, 2);
        assert_eq!(ks.dbs.iter_mut().map(super::super::db::Db::used).sum::<usize>(), total);
        assert_eq!(ks.dbs[0].expiry(b"s"), Some(i64::MAX / 2), "expiries move with their keys");
        assert!(ks.dbs[2].contains(b"s2") && !ks.dbs[0].contains(b"s2"));
        assert_counted_right(&mut ks);
    }
}
