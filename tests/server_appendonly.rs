//! CONFIG SET appendonly at run time, over a real directory (so that `redis-check-aof`
//! can read the files): `yes` starts the AOF from a rewrite while writers go on, `no`
//! flushes it and stops recording, and a restart loads exactly what was acknowledged.

#![cfg(feature = "server")]

mod server_common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use embedis::engine::Engine;
use embedis::persist::fs::{Fs, RealFs};
use embedis::persist::snapshot::{Captured, Snapshot};
use embedis::persist::{BlockFn, Config, Fsync, Persistence};
use embedis::resp::Frame;
use embedis::server::{Config as ServerConfig, Server};
use server_common::Conn;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("embedis-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(dir: &Path, appendonly: bool, save: Vec<(u64, u64)>) -> Config {
    let mut c = Config::new(dir);
    c.appendonly = appendonly;
    c.appendfsync = Fsync::EverySec;
    c.save = save;
    // A RESP base, so that redis-check-aof reads every file.
    c.aof_use_rdb_preamble = false;
    c.auto_aof_rewrite_percentage = 0;
    c
}

/// Opens the directory, once: the previous broker's last drop released it before it
/// returned (tests/persist_reopen.rs), so `Locked` here is a bug, not a wait.
fn open(cfg: &Config) -> (Engine, Persistence) {
    let fs: Arc<dyn Fs> = Arc::new(RealFs);
    let block: BlockFn = Arc::new(|f| f());
    match Persistence::open(cfg.clone(), fs, Arc::new(|_, _| {}), block) {
        Ok((e, p, _)) => (e, p),
        Err(e) => panic!("open: {e}"),
    }
}

fn serve(e: &Engine, p: &Persistence) -> Server {
    Server::start(e.clone(), Some(p.clone()), ServerConfig { port: Some(0), ..ServerConfig::default() }).expect("start")
}

/// The list at `key` in db 0.
fn list(e: &Engine, key: &[u8]) -> Vec<String> {
    let snap = e.execute(Snapshot::capture);
    for (db, items) in snap.dbs {
        for it in items {
            if db == 0 && &it.key[..] == key {
                if let Captured::List(l) = it.value {
                    return l.iter().map(|v| String::from_utf8_lossy(v).into_owned()).collect();
                }
            }
        }
    }
    Vec::new()
}

fn info(c: &mut Conn, field: &str) -> String {
    c.cmd(&[b"INFO", b"persistence"]);
    let Frame::Bulk(text) = c.frame() else { panic!("INFO is not a bulk string") };
    let text = String::from_utf8_lossy(&text).into_owned();
    let prefix = format!("{field}:");
    text.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("no {field} in {text}")).trim().to_owned()
}

/// Waits until no rewrite runs or is scheduled.
fn wait_rewrites(c: &mut Conn) {
    let until = Instant::now() + Duration::from_secs(10);
    while info(c, "aof_rewrite_in_progress") != "0" || info(c, "aof_rewrite_scheduled") != "0" {
        assert!(Instant::now() < until, "the rewrite never ended");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A client pushing 0, 1, 2... to `q` until told to stop; counts the acknowledged pushes.
struct Writer {
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    fn start(server: &Server, from: u64) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicU64::new(from));
        let mut c = Conn::open(server);
        let (s, a) = (stop.clone(), acked.clone());
        let thread = std::thread::spawn(move || {
            let mut i = a.load(Ordering::SeqCst);
            while !s.load(Ordering::SeqCst) {
                c.cmd(&[b"RPUSH", b"q", i.to_string().as_bytes()]);
                c.expect(format!(":{}\r\n", i + 1).as_bytes());
                i += 1;
                a.store(i, Ordering::SeqCst);
            }
        });
        Writer { stop, acked, thread: Some(thread) }
    }

    fn acked(&self) -> u64 {
        self.acked.load(Ordering::SeqCst)
    }

    /// Waits for `n` more acknowledged pushes.
    fn advance(&self, n: u64) {
        let target = self.acked() + n;
        let until = Instant::now() + Duration::from_secs(10);
        while self.acked() < target {
            assert!(Instant::now() < until, "the writer is stuck");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
        self.acked()
    }
}

fn numbers(n: u64) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

/// Asserts that `got` is 0, 1, ... n-1, naming the first difference (not printing it all).
fn assert_pushes(got: &[String], n: u64, what: &str) {
    let want = numbers(n);
    if got != want {
        let at = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
        panic!("{what}: {} elements for {n} acknowledged pushes; first difference at index {at}: {:?} for {:?}", got.len(), got.get(at), want.get(at));
    }
}

/// The manifest's files as (name, type letter), in the order the file lists them.
fn read_manifest(dir: &Path) -> Vec<(String, String)> {
    use embedis::persist::manifest::{FileType, Manifest};
    let text = std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).expect("a manifest");
    let m = Manifest::parse(&text).expect("a manifest that parses");
    let letter = |k: FileType| match k {
        FileType::Base => "b",
        FileType::Incr => "i",
        FileType::History => "h",
    };
    m.base.iter().chain(&m.history).chain(&m.incrs).map(|e| (e.name.clone(), letter(e.kind).to_owned())).collect()
}

fn redis_check_aof(manifest: &Path) {
    let out = std::process::Command::new("redis-check-aof").arg(manifest).output();
    match out {
        Ok(o) => assert!(
            o.status.success(),
            "redis-check-aof refused {}:\n{}{}",
            manifest.display(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => eprintln!("redis-check-aof not installed: skipped"),
        Err(e) => panic!("redis-check-aof: {e}"),
    }
}

#[test]
fn appendonly_turned_on_then_off_at_run_time_while_a_client_writes() {
    let tmp = TempDir::new("aof-switch");
    let dir = tmp.0.as_path();
    let aof_dir = dir.join("appendonlydir");
    // Save rules that never fire during the test: only the final snapshot at close.
    let save = vec![(3600, 1)];

    // 1. No AOF. A client writes; the AOF is turned on under its load.
    let (e, p) = open(&config(dir, false, save.clone()));
    let server = serve(&e, &p);
    let mut c = Conn::open(&server);
    c.roundtrip(b"CONFIG GET appendonly\r\n", b"*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
    assert_eq!(info(&mut c, "aof_enabled"), "0");
    let writer = Writer::start(&server, 0);
    writer.advance(500);
    c.roundtrip(b"CONFIG SET appendonly yes\r\n", b"+OK\r\n");
    // At once: enabled, its rewrite running (or already done).
    assert_eq!(info(&mut c, "aof_enabled"), "1");
    c.roundtrip(b"CONFIG GET appendonly\r\n", b"*2\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n");
    assert!(info(&mut c, "aof_rewrite_in_progress") == "1" || info(&mut c, "aof_rewrites") == "1");
    // Asked again while it starts: nothing more to do.
    c.roundtrip(b"CONFIG SET appendonly yes\r\n", b"+OK\r\n");
    wait_rewrites(&mut c);
    assert_eq!(info(&mut c, "aof_last_bgrewrite_status"), "ok");
    assert_eq!(info(&mut c, "aof_rewrites"), "1");
    writer.advance(500);
    let acked = writer.finish();

    let m = read_manifest(dir);
    assert_eq!(m.len(), 2, "{m:?}");
    assert_eq!(m[0].1, "b");
    assert_eq!(m[1].1, "i");
    assert!(m[0].0.ends_with(".base.aof") && m[1].0.ends_with(".incr.aof"), "{m:?}");
    for (name, _) in &m {
        assert!(aof_dir.join(name).exists(), "{name} is listed but missing");
    }
    // The incremental file holds the pushes after the switch (the writer went on).
    p.sync();
    let incr = std::fs::read(aof_dir.join(&m[1].0)).unwrap();
    assert!(incr.windows(5).any(|w| w == b"RPUSH"), "nothing reached the incremental file");
    redis_check_aof(&aof_dir.join("appendonly.aof.manifest"));

    // 2. A restart with the AOF loads every acknowledged push, in order.
    drop(c);
    drop(server);
    drop(p);
    drop(e);
    let (e, p) = open(&config(dir, true, save.clone()));
    assert_pushes(&list(&e, b"q"), acked, "the AOF after the switch on");

    // 3. Turned off at run time: what was written is flushed; later writes are counted for
    //    the save rules, not appended.
    let server = serve(&e, &p);
    let mut c = Conn::open(&server);
    let writer = Writer::start(&server, acked);
    writer.advance(300);
    let before_off = writer.acked();
    c.roundtrip(b"CONFIG SET appendonly no\r\n", b"+OK\r\n");
    let after_off = writer.acked();
    assert_eq!(info(&mut c, "aof_enabled"), "0");
    c.roundtrip(b"CONFIG GET appendonly\r\n", b"*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
    let incr_path = aof_dir.join(&read_manifest(dir)[1].0);
    let size_at_off = std::fs::metadata(&incr_path).unwrap().len();
    // From here on only changes after the switch off make the snapshot at close.
    c.roundtrip(b"SAVE\r\n", b"+OK\r\n");
    let at_save = writer.acked();
    writer.advance(300);
    let total = writer.finish();
    c.roundtrip(b"RPUSH after-off x\r\n", b":1\r\n");
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(std::fs::metadata(&incr_path).unwrap().len(), size_at_off, "the AOF grew after appendonly no");
    let dirty: u64 = info(&mut c, "rdb_changes_since_last_save").parse().unwrap();
    // Each push acknowledged after the SAVE (less the one that may have been in flight
    // then), and the RPUSH after-off.
    assert!(dirty >= total - at_save, "changes after appendonly no not counted: {dirty} for {} pushes", total - at_save);
    redis_check_aof(&aof_dir.join("appendonly.aof.manifest"));

    // 4. A restart without AOF but with save rules: the final snapshot holds everything.
    drop(c);
    drop(server);
    drop(p);
    drop(e);
    let (e, p) = open(&config(dir, false, save.clone()));
    assert_pushes(&list(&e, b"q"), total, "the snapshot after the switch off");
    assert_eq!(list(&e, b"after-off"), vec!["x".to_owned()]);
    drop(p);
    drop(e);

    // 5. The AOF files stayed, complete up to the switch off (every push acknowledged
    //    before the OK of `appendonly no`, and none after the ones in flight then).
    let (e, p) = open(&config(dir, true, vec![]));
    let q = list(&e, b"q");
    let n = q.len() as u64;
    assert!((before_off..=after_off + 1).contains(&n), "{n} pushes in the AOF, {before_off}..{after_off} acknowledged at the switch off");
    assert_pushes(&q, n, "the AOF left by the switch off");
    assert!(list(&e, b"after-off").is_empty());
    drop(p);
    drop(e);
}

#[test]
fn appendonly_switched_back_and_forth_ends_with_one_complete_aof() {
    let tmp = TempDir::new("aof-toggle");
    let dir = tmp.0.as_path();
    let aof_dir = dir.join("appendonlydir");
    let (e, p) = open(&config(dir, true, vec![]));
    let server = serve(&e, &p);
    let mut c = Conn::open(&server);
    let writer = Writer::start(&server, 0);
    writer.advance(200);
    // Quick switches: a switch on abandoned by the next switch off, a switch on
    // scheduled behind the rewrite of the one before...
    for _ in 0..6 {
        c.roundtrip(b"CONFIG SET appendonly no\r\n", b"+OK\r\n");
        writer.advance(20);
        c.roundtrip(b"CONFIG SET appendonly yes\r\n", b"+OK\r\n");
        writer.advance(20);
    }
    // The same in one transaction: the AOF is on at its end.
    c.roundtrip(b"MULTI\r\n", b"+OK\r\n");
    c.roundtrip(b"RPUSH t a\r\n", b"+QUEUED\r\n");
    c.roundtrip(b"CONFIG SET appendonly no\r\n", b"+QUEUED\r\n");
    c.roundtrip(b"RPUSH t b\r\n", b"+QUEUED\r\n");
    c.roundtrip(b"CONFIG SET appendonly yes\r\n", b"+QUEUED\r\n");
    c.roundtrip(b"RPUSH t c\r\n", b"+QUEUED\r\n");
    c.roundtrip(b"EXEC\r\n", b"*5\r\n:1\r\n+OK\r\n:2\r\n+OK\r\n:3\r\n");
    wait_rewrites(&mut c);
    assert_eq!(info(&mut c, "aof_enabled"), "1");
    writer.advance(200);
    let acked = writer.finish();
    wait_rewrites(&mut c);
    p.sync();

    // One base, one incremental file, nothing else of ours left in the directory.
    let m = read_manifest(dir);
    assert_eq!(m.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(), ["b", "i"], "{m:?}");
    let mut names: Vec<String> = std::fs::read_dir(&aof_dir).unwrap().map(|d| d.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut want: Vec<String> = m.iter().map(|(n, _)| n.clone()).chain(["appendonly.aof.manifest".to_owned()]).collect();
    want.sort();
    assert_eq!(names, want);
    redis_check_aof(&aof_dir.join("appendonly.aof.manifest"));

    drop(c);
    drop(server);
    drop(p);
    drop(e);
    let (e, p) = open(&config(dir, true, vec![]));
    assert_pushes(&list(&e, b"q"), acked, "the AOF after switches back and forth");
    assert_eq!(list(&e, b"t"), ["a", "b", "c"]);
    drop(p);
    drop(e);
}

#[test]
fn appendonly_no_inside_a_transaction_counts_the_whole_unit_and_appends_none_of_it() {
    let tmp = TempDir::new("aof-multi");
    let dir = tmp.0.as_path();
    let (e, p) = open(&config(dir, true, vec![]));
    let server = serve(&e, &p);
    let mut c = Conn::open(&server);
    c.roundtrip(b"RPUSH before 1\r\n", b":1\r\n");
    c.roundtrip(b"SAVE\r\n", b"+OK\r\n");
    assert_eq!(info(&mut c, "rdb_changes_since_last_save"), "0");
    c.roundtrip(b"MULTI\r\n", b"+OK\r\n");
    c.roundtrip(b"RPUSH x 1\r\n", b"+QUEUED\r\n");
    c.roundtrip(b"CONFIG SET appendonly no\r\n", b"+QUEUED\r\n");
    c.roundtrip(b"RPUSH x 2\r\n", b"+QUEUED\r\n");
    c.roundtrip(b"EXEC\r\n", b"*3\r\n:1\r\n+OK\r\n:2\r\n");
    // Both pushes counted for the save rules, as Redis counts a transaction's changes.
    assert_eq!(info(&mut c, "rdb_changes_since_last_save"), "2");
    assert_eq!(info(&mut c, "aof_enabled"), "0");
    // The AOF is propagated to at EXEC, when it is already off: none of the unit is in it.
    let m = read_manifest(dir);
    let incr = std::fs::read(dir.join("appendonlydir").join(&m.last().unwrap().0)).unwrap();
    assert!(incr.windows(6).any(|w| w == b"before"));
    assert!(!incr.windows(3).any(|w| w == b"\r\nx"), "part of the transaction reached the AOF");
    drop(c);
    drop(server);
    drop(p);
    drop(e);
    let (e, p) = open(&config(dir, true, vec![]));
    assert_eq!(list(&e, b"before"), ["1"]);
    assert!(list(&e, b"x").is_empty());
    drop(p);
    drop(e);
}

/// BGREWRITEAOF with the AOF off does what Redis 7.0 does: a new base, listed alone in
/// the manifest (the files before it deleted), that a start with `appendonly yes` loads;
/// nothing records the changes after it.
#[test]
fn bgrewriteaof_while_off_writes_a_base_alone_as_redis_7() {
    let tmp = TempDir::new("rewrite-off");
    let dir = &tmp.0;
    let aof_dir = dir.join("appendonlydir");
    let (e, p) = open(&config(dir, false, vec![]));
    let server = serve(&e, &p);
    let mut c = Conn::open(&server);
    c.roundtrip(b"RPUSH q a b\r\n", b":2\r\n");
    c.roundtrip(b"BGREWRITEAOF\r\n", b"+Background append only file rewriting started\r\n");
    wait_rewrites(&mut c);
    assert_eq!(read_manifest(dir), vec![("appendonly.aof.1.base.aof".to_owned(), "b".to_owned())]);
    assert_eq!(info(&mut c, "aof_enabled"), "0");
    assert_eq!(info(&mut c, "aof_last_bgrewrite_status"), "ok");

    c.roundtrip(b"RPUSH q c\r\n", b":3\r\n");
    c.roundtrip(b"BGREWRITEAOF\r\n", b"+Background append only file rewriting started\r\n");
    wait_rewrites(&mut c);
    assert_eq!(read_manifest(dir), vec![("appendonly.aof.2.base.aof".to_owned(), "b".to_owned())]);
    let mut files: Vec<String> = std::fs::read_dir(&aof_dir).unwrap().map(|f| f.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    assert_eq!(files, ["appendonly.aof.2.base.aof", "appendonly.aof.manifest"], "the first base is deleted");
    redis_check_aof(&aof_dir.join("appendonly.aof.manifest"));
    c.roundtrip(b"RPUSH q d\r\n", b":4\r\n");

    drop(c);
    drop(server);
    drop(p);
    drop(e);
    let (e, p) = open(&config(dir, true, vec![]));
    assert_eq!(list(&e, b"q"), ["a", "b", "c"], "the base of the last rewrite, and nothing after it");
    drop(p);
    drop(e);
}
