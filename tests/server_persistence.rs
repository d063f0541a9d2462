//! The server over persistence: with `appendfsync always` no reply to a write leaves
//! before the write is fsynced (checked on an in-memory file system that models what a
//! power loss keeps), yet one fsync covers a whole round of requests, as Redis's
//! `beforeSleep`.

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
