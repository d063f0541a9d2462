//! Reopening a directory right after its broker's last handle is dropped: the directory
//! lock must be released before that drop returns, whatever the persistence's own
//! threads (cron, BGSAVE) are doing at that moment. No retries, no sleeps: the hold
//! points of `persist::testing` put a thread exactly where the race used to bite.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use embedis::engine::strings::SetOptions;
use embedis::engine::{End, Engine};
use embedis::persist::fs::{Fs, RealFs};
use embedis::persist::testing::{Hold, Point};
use embedis::persist::{BlockFn, Config, Error, Fsync, Persistence};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("embedis-reopen-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn cfg(dir: &Path, appendonly: bool, save: Vec<(u64, u64)>) -> Config {
    let mut c = Config::new(dir);
    c.appendonly = appendonly;
    c.appendfsync = Fsync::EverySec;
    c.save = save;
    c
}

/// One attempt, no retry: `Locked` is the bug.
fn open(cfg: &Config) -> Result<(Engine, Persistence), Error> {
    let fs: Arc<dyn Fs> = Arc::new(RealFs);
    let block: BlockFn = Arc::new(|f| f());
    Persistence::open(cfg.clone(), fs, Arc::new(|_, _| {}), block).map(|(e, p, _)| (e, p))
}

fn len(e: &Engine, key: &[u8]) -> usize {
    e.execute(|ks| ks.llen(0, key).unwrap())
}

fn push(e: &Engine, key: &[u8], v: &str) {
    e.execute(|ks| ks.push(0, key, &[v.as_bytes()], End::Right, false).unwrap());
}

#[test]
fn open_write_drop_reopen_many_times() {
    for (name, appendonly, save) in [("aof", true, vec![]), ("snap", false, vec![(3600, 1)]), ("both", true, vec![(3600, 1)])] {
        let tmp = TempDir::new(name);
        let c = cfg(&tmp.0, appendonly, save);
        for i in 0..60 {
            let (e, p) = open(&c).unwrap_or_else(|err| panic!("{name}: reopen {i}: {err}"));
            assert_eq!(len(&e, b"q"), i, "{name}: every earlier write is back");
            push(&e, b"q", &i.to_string());
            e.execute(|ks| ks.set(0, b"s", b"v", SetOptions::default()).unwrap());
            if i % 4 == 3 {
                // A BGSAVE still running at the drop: its thread holds the persistence.
                p.bgsave().unwrap();
            }
            // Alternate which handle goes last: only the persistence holds the lock.
            if i % 2 == 0 {
                drop(e);
                drop(p);
            } else {
                drop(p);
                drop(e);
            }
        }
    }
}

#[test]
fn the_cron_thread_holding_its_reference_at_the_drop_does_not_keep_the_lock() {
    let tmp = TempDir::new("cron");
    let c = cfg(&tmp.0, true, vec![(3600, 1)]);
    let (e, p) = open(&c).unwrap();
    push(&e, b"q", "kept");
    let hold = Hold::arm(Point::Cron, &tmp.0);
    // The cron thread is now inside a tick with a strong reference: the old code let the
    // last reference, and the unlock with it, go from that thread later.
    hold.wait_held();
    drop(e);
    drop(p);
    let reopened = open(&c);
    hold.release();
    let (e, p) = reopened.unwrap_or_else(|err| panic!("reopen right after the drop: {err}"));
    assert_eq!(len(&e, b"q"), 1);
    drop((e, p));
}

#[test]
fn a_bgsave_running_at_the_drop_ends_before_the_drop_returns() {
    let tmp = TempDir::new("bgsave");
    let c = cfg(&tmp.0, false, vec![(3600, 1)]);
    let (e, p) = open(&c).unwrap();
    push(&e, b"q", "a");
    let hold = Hold::arm(Point::Bgsave, &tmp.0);
    p.bgsave().unwrap();
    hold.wait_held();
    push(&e, b"q", "b");
    drop(e);
    drop(p);
    let reopened = open(&c);
    hold.release();
    let (e, p) = reopened.unwrap_or_else(|err| panic!("reopen right after the drop: {err}"));
    // Neither the BGSAVE nor the final snapshot that followed it lost anything.
    assert_eq!(len(&e, b"q"), 2);
    drop((e, p));
}

#[test]
fn a_clone_kept_elsewhere_keeps_the_lock_until_it_goes() {
    let tmp = TempDir::new("clone");
    let c = cfg(&tmp.0, true, vec![]);
    let (e, p) = open(&c).unwrap();
    push(&e, b"q", "a");
    let other = p.clone();
    drop(p);
    drop(e);
    assert!(matches!(open(&c), Err(Error::Locked { .. })), "a handle still lives");
    drop(other);
    let (e, p) = open(&c).unwrap();
    assert_eq!(len(&e, b"q"), 1);
    drop((e, p));
}
