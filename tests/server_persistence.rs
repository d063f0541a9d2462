//! The server over persistence: with `appendfsync always` no reply to a write leaves
//! before the write is fsynced (checked on an in-memory file system that models what a
//! power loss keeps), yet one fsync covers a whole round of requests, as Redis's
//! `beforeSleep`.

#![cfg(feature = "server")]

mod server_common;

use std::path::Path;
use std::sync::Arc;

use embedis::persist::fs::{Fs, MemFs};
use embedis::persist::{BlockFn, Config, Fsync, InfoValue, LogFn, Persistence};
use embedis::server::{Config as ServerConfig, Server};
use server_common::Conn;

const INCR: &str = "/data/appendonlydir/appendonly.aof.1.incr.aof";

fn open(fs: &MemFs, fsync: Fsync) -> (Persistence, Server) {
    let mut cfg = Config::new("/data");
    cfg.appendonly = true;
    cfg.appendfsync = fsync;
    cfg.save = vec![];
    let log: LogFn = Arc::new(|_, _| {});
    let block: BlockFn = Arc::new(|f| f());
    let fs: Arc<dyn Fs> = Arc::new(fs.clone());
    let (engine, p, _) = Persistence::open(cfg, fs, log, block).expect("open");
    let server = Server::start(engine, Some(p.clone()), ServerConfig { port: Some(0), ..ServerConfig::default() }).expect("start");
    (p, server)
}

fn fsyncs(p: &Persistence) -> i64 {
    match p.info().into_iter().find(|(k, _)| *k == "aof_fsyncs") {
        Some((_, InfoValue::Int(n))) => n,
        other => panic!("aof_fsyncs: {other:?}"),
    }
}

/// How many times `word` occurs in the AOF a power loss now would leave.
fn durable_count(fs: &MemFs, word: &str) -> usize {
    let after_crash = fs.crash(|_| 0);
    let data = after_crash.read_all(Path::new(INCR)).unwrap_or_default();
    data.windows(word.len()).filter(|w| *w == word.as_bytes()).count()
}

#[test]
fn always_replies_only_after_fsync_and_one_fsync_covers_a_pipeline() {
    let fs = MemFs::new();
    let (p, server) = open(&fs, Fsync::Always);
    let mut c = Conn::open(&server);
    let before = fsyncs(&p);
    let mut req = Vec::new();
    for i in 0..200 {
        req.extend_from_slice(format!("*3\r\n$5\r\nLPUSH\r\n$1\r\nq\r\n$3\r\n{i:03}\r\n").as_bytes());
    }
    c.send(&req);
    for i in 1..=200 {
        c.expect(format!(":{i}\r\n").as_bytes());
        // Every acknowledged push survives a power loss at this instant.
        assert!(durable_count(&fs, "LPUSH") >= i, "reply {i} came before its fsync");
    }
    // Before, each write waited for its own fsync: 200.
    let used = fsyncs(&p) - before;
    assert!((1..=4).contains(&used), "{used} fsyncs for one pipeline of 200 writes");
}

#[test]
fn always_batches_the_writes_of_many_clients() {
    let fs = MemFs::new();
    let (p, server) = open(&fs, Fsync::Always);
    let mut conns: Vec<Conn> = (0..20).map(|_| Conn::open(&server)).collect();
    let before = fsyncs(&p);
    for round in 0..10 {
        for c in &mut conns {
            c.send(format!("*3\r\n$5\r\nRPUSH\r\n$1\r\nq\r\n$2\r\n{round:02}\r\n").as_bytes());
        }
        for c in &mut conns {
            let f = c.frame();
            assert!(matches!(f, embedis::resp::Frame::Integer(_)), "{f:?}");
        }
        assert!(durable_count(&fs, "RPUSH") >= 20 * (round + 1));
    }
    // 200 writes from 20 clients in 10 rounds: each round's writes share fsyncs.
    let used = fsyncs(&p) - before;
    assert!(used < 200, "{used} fsyncs for 200 writes of 20 clients");
}

#[test]
fn a_blocked_client_is_answered_after_the_push_that_served_it_is_durable() {
    let fs = MemFs::new();
    let (_p, server) = open(&fs, Fsync::Always);
    let mut consumer = Conn::open(&server);
    consumer.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n");
    let mut probe = Conn::open(&server);
    assert!(server_common::eventually(|| {
        probe.cmd(&[b"INFO", b"clients"]);
        matches!(probe.frame(), embedis::resp::Frame::Bulk(b) if b.windows(17).any(|w| w == b"blocked_clients:1"))
    }));
    let mut producer = Conn::open(&server);
    producer.send(b"*3\r\n$5\r\nRPUSH\r\n$1\r\nq\r\n$1\r\nx\r\n");
    consumer.expect(b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
    // The serve is logged as the pop it became; both are on disk before the consumer hears.
    assert!(durable_count(&fs, "RPUSH") >= 1 && durable_count(&fs, "LPOP") >= 1);
    producer.expect(b":1\r\n");
}

#[test]
fn everysec_replies_without_waiting_for_fsync() {
    let fs = MemFs::new();
    let (_p, server) = open(&fs, Fsync::EverySec);
    let mut c = Conn::open(&server);
    c.roundtrip(b"*3\r\n$5\r\nLPUSH\r\n$1\r\nq\r\n$1\r\nx\r\n", b":1\r\n");
    c.roundtrip(b"*2\r\n$4\r\nLLEN\r\n$1\r\nq\r\n", b":1\r\n");
}

#[test]
fn config_set_appendfsync_takes_effect_at_once() {
    let fs = MemFs::new();
    let (p, server) = open(&fs, Fsync::EverySec);
    let mut c = Conn::open(&server);
    c.roundtrip(
        b"CONFIG SET appendfsync sometimes\r\n",
        b"-ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: everysec, always, no\r\n",
    );
    c.roundtrip(b"CONFIG SET appendfsync ALWAYS\r\n", b"+OK\r\n");
    c.roundtrip(b"CONFIG GET appendfsync\r\n", b"*2\r\n$11\r\nappendfsync\r\n$6\r\nalways\r\n");
    let before = fsyncs(&p);
    for i in 1..=5 {
        c.roundtrip(b"RPUSH q x\r\n", format!(":{i}\r\n").as_bytes());
        assert!(durable_count(&fs, "RPUSH") >= i, "write {i} acknowledged before its fsync");
    }
    assert!(fsyncs(&p) - before >= 5);
    c.roundtrip(b"CONFIG SET appendfsync no\r\n", b"+OK\r\n");
    c.roundtrip(b"CONFIG GET appendfsync\r\n", b"*2\r\n$11\r\nappendfsync\r\n$2\r\nno\r\n");
    let before = fsyncs(&p);
    for _ in 0..20 {
        c.roundtrip(b"LPOP q\r\n", b"$1\r\nx\r\n");
        c.roundtrip(b"RPUSH q x\r\n", b":5\r\n");
    }
    assert_eq!(fsyncs(&p), before, "appendfsync no still fsyncs");
    // The persistence thread writes the buffer out without fsyncing.
    assert!(server_common::eventually(|| fs.read_all(Path::new(INCR)).is_some_and(|d| d.windows(4).filter(|w| w == b"LPOP").count() == 20)));
}

#[test]
fn config_set_save_rules_and_what_cannot_change() {
    let fs = MemFs::new();
    let (_p, server) = open(&fs, Fsync::EverySec);
    let mut c = Conn::open(&server);
    let invalid = b"-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters\r\n";
    for bad in [&b"1 2 3"[..], b"a b", b"0 1", b"  100   5  ", b"-1 5"] {
        c.cmd(&[b"CONFIG", b"SET", b"save", bad]);
        c.expect(invalid);
    }
    c.roundtrip(b"CONFIG GET save\r\n", b"*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
    assert!(fs.read_all(Path::new("/data/dump.edb")).is_none());
    c.cmd(&[b"CONFIG", b"SET", b"save", b"1 1 3600 0"]);
    c.expect(b"+OK\r\n");
    c.roundtrip(b"CONFIG GET save\r\n", b"*2\r\n$4\r\nsave\r\n$10\r\n1 1 3600 0\r\n");
    c.roundtrip(b"SET k v\r\n", b"+OK\r\n");
    // One change and a second: the rule takes a snapshot.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while fs.read_all(Path::new("/data/dump.edb")).is_none() && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(fs.read_all(Path::new("/data/dump.edb")).is_some(), "the save rule set at run time took no snapshot");
    c.roundtrip(b"CONFIG SET save \"\"\r\n", b"+OK\r\n");
    c.roundtrip(b"CONFIG GET save\r\n", b"*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
    // appendonly switches at run time (tests/server_appendonly.rs); yes or no only.
    c.roundtrip(b"CONFIG SET appendonly yes\r\n", b"+OK\r\n");
    c.roundtrip(
        b"CONFIG SET appendonly maybe\r\n",
        b"-ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'\r\n",
    );
}

#[test]
fn persistence_settings_without_persistence_are_refused_plainly() {
    let e = embedis::engine::Engine::new();
    let server = server_common::start(&e);
    let mut c = Conn::open(&server);
    c.roundtrip(
        b"CONFIG SET save \"60 1\"\r\n",
        b"-ERR CONFIG SET failed (possibly related to argument 'save') - this broker has no persistence directory; restart with one to persist (embedis serve --dir ..., Broker(dir=...))\r\n",
    );
    c.roundtrip(b"CONFIG SET save \"\"\r\n", b"+OK\r\n");
}

#[test]
fn shutdown_saves_by_the_save_rules_in_force_not_those_it_opened_with() {
    let fs = MemFs::new();
    let (_p, server) = open(&fs, Fsync::EverySec); // opened with no save rules
    let mut c = Conn::open(&server);
    c.cmd(&[b"CONFIG", b"SET", b"save", b"3600 1"]);
    c.expect(b"+OK\r\n");
    c.cmd(&[b"RPUSH", b"q", b"kept"]);
    c.expect(b":1\r\n");
    c.cmd(&[b"SHUTDOWN"]);
    assert!(c.closed());
    assert!(server_common::eventually(|| fs.read_all(Path::new("/data/dump.edb")).is_some()), "SHUTDOWN did not save");
}
