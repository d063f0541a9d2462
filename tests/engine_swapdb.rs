//! SWAPDB and blocked readers on the pure engine, with no threads and no sleeps: a
//! waiter registered on a key of database 1 is served by the unit that swaps a list
//! into database 1 (Redis `swapdb` → `scanDatabaseForReadyKeys`), and by MOVE, COPY and
//! SORT … STORE that make the key a list.

use std::sync::Arc;
use std::time::Instant;

use embedis::command::{dispatch, Context};
use embedis::engine::blocking::Attempt;
use embedis::engine::waiters::{BlockOp, Served, Wake};
use embedis::engine::{End, Engine};
use parking_lot::Condvar;

fn run(e: &Engine, db: usize, line: &str) {
    let argv: Vec<&[u8]> = line.split_whitespace().map(str::as_bytes).collect();
    let mut ctx = Context { db, ..Context::default() };
    dispatch(e, &mut ctx, &argv).unwrap_or_else(|err| panic!("{line}: {err}"));
}

/// A BLPOP on `key` of database `db`, which must have to wait.
fn blpop(e: &Engine, db: usize, key: &str) -> (u64, Arc<Condvar>) {
    let cv = Arc::new(Condvar::new());
    match e.block(db, vec![key.as_bytes().into()], BlockOp::Pop { end: End::Left }, Wake::Thread(cv.clone())).unwrap() {
        Attempt::Waiting(id) => (id, cv),
        Attempt::Ready(s) => panic!("expected to wait, got {s:?}"),
    }
}

fn served(e: &Engine, id: u64, cv: &Condvar) -> Option<Served> {
    e.wait_until(id, cv, Instant::now())
}

fn popped(key: &str, value: &str) -> Option<Served> {
    Some(Served::Pop { key: key.as_bytes().into(), value: value.as_bytes().to_vec() })
}

#[test]
fn swapdb_serves_a_reader_blocked_on_a_key_that_now_holds_a_list() {
    let e = Engine::new();
    let (id, cv) = blpop(&e, 1, "q");
    run(&e, 0, "RPUSH q a b");
    assert_eq!(served(&e, id, &cv), None, "a push into database 0 is not for database 1");
    run(&e, 0, "SWAPDB 0 1");
    assert_eq!(served(&e, id, &cv), popped("q", "a"));
    // The element left the list in its new database; the rest stays there.
    assert_eq!(e.execute(|ks| ks.lrange(1, b"q", 0, -1)).unwrap(), vec![b"b".to_vec()]);
    assert_eq!(e.execute(|ks| ks.dbsize(0)), 0);
}

#[test]
fn swapdb_does_not_wake_a_reader_whose_key_became_a_string() {
    let e = Engine::new();
    let (id, cv) = blpop(&e, 1, "q");
    run(&e, 0, "SET q text");
    run(&e, 0, "SWAPDB 1 0");
    assert_eq!(served(&e, id, &cv), None, "still blocked, as in Redis: no WRONGTYPE for it");
    run(&e, 0, "SWAPDB 0 1");
    run(&e, 1, "RPUSH q x");
    assert_eq!(served(&e, id, &cv), popped("q", "x"));
}

#[test]
fn move_copy_and_sort_store_serve_blocked_readers() {
    let e = Engine::new();
    let (m, mcv) = blpop(&e, 2, "moved");
    run(&e, 0, "RPUSH moved 1");
    run(&e, 0, "MOVE moved 2");
    assert_eq!(served(&e, m, &mcv), popped("moved", "1"));

    let (c, ccv) = blpop(&e, 0, "copied");
    run(&e, 0, "RPUSH src 9 8");
    run(&e, 0, "COPY src copied");
    assert_eq!(served(&e, c, &ccv), popped("copied", "9"));

    let (s, scv) = blpop(&e, 0, "sorted");
    run(&e, 0, "SORT src STORE sorted");
    assert_eq!(served(&e, s, &scv), popped("sorted", "8"));
}
