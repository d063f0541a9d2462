//! The longest stall a producer sees while BGSAVE snapshots 1,000,000 list elements and
//! 1,000,000 stream entries (issue 5's target: <= 50 ms). A measurement, not a check of
//! correctness, so it is ignored by default; run it in release mode:
//!
//! ```text
//! cargo test --release --test persist_stall -- --ignored --nocapture
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use embedis::command::{dispatch, Context};
use embedis::engine::{End, Engine};
use embedis::persist::fs::RealFs;
use embedis::persist::{BlockFn, Config, InfoValue, LogFn, Persistence};

fn info(p: &Persistence, field: &str) -> i64 {
    match p.info().into_iter().find(|(k, _)| *k == field).map(|(_, v)| v) {
        Some(InfoValue::Int(i)) => i,
        other => panic!("{field}: {other:?}"),
    }
}

/// Runs a producer (push + pop on a small key, timing each unit) while `job` runs; returns
/// the longest unit in the job's window and the longest before it.
fn producer_stall(e: &Engine, job: impl FnOnce()) -> (Duration, Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let worst = Arc::new(parking_lot::Mutex::new(Duration::ZERO));
    let (e2, s2, w2) = (e.clone(), stop.clone(), worst.clone());
    let t = std::thread::spawn(move || {
        while !s2.load(Ordering::Relaxed) {
            let t0 = Instant::now();
            e2.execute(|ks| {
                ks.push(0, b"small", &[b"x"], End::Left, false).unwrap();
                ks.pop(0, b"small", End::Right).unwrap();
            });
            let d = t0.elapsed();
            let mut w = w2.lock();
            if d > *w {
                *w = d;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let before = std::mem::take(&mut *worst.lock());
    job();
    std::thread::sleep(Duration::from_millis(50));
    stop.store(true, Ordering::Relaxed);
    t.join().unwrap();
    let during = *worst.lock();
    (during, before)
}

#[test]
#[ignore = "a measurement; run in release with --ignored --nocapture"]
fn bgsave_stall_with_a_million_list_elements_and_stream_entries() {
    let dir = std::env::temp_dir().join(format!("embedis-stall-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cfg = Config::new(&dir);
    cfg.save = vec![];
    let log: LogFn = Arc::new(|_, _| {});
    let block: BlockFn = Arc::new(|f| f());
    let (e, p, _) = Persistence::open(cfg, Arc::new(RealFs), log, block).unwrap();
    let payload = [7u8; 100];
    let chunk: Vec<&[u8]> = vec![&payload[..]; 1000];
    for _ in 0..1000 {
        e.execute(|ks| ks.push(0, b"biglist", &chunk, End::Right, false).unwrap());
    }
    let mut ctx = Context::default();
    let measure = |what: &str| {
        let t0 = Instant::now();
        let (during, before) = producer_stall(&e, || {
            p.bgsave().unwrap();
            p.wait_background();
        });
        eprintln!(
            "{what}: longest producer unit during BGSAVE {:.2} ms (before: {:.3} ms); capture under the lock {:.2} ms; whole save {:.2} s",
            during.as_secs_f64() * 1e3,
            before.as_secs_f64() * 1e3,
            info(&p, "rdb_last_bgsave_stall_usec") as f64 / 1e3,
            t0.elapsed().as_secs_f64()
        );
    };
    measure("1,000,000 list elements");
    let value = "v".repeat(90);
    for i in 1..=1_000_000u64 {
        let id = format!("{i}-1");
        let argv: [&[u8]; 5] = [b"XADD", b"bigstream", id.as_bytes(), b"f", value.as_bytes()];
        dispatch(&e, &mut ctx, &argv).unwrap();
    }
    measure("1,000,000 list elements + 1,000,000 stream entries");
    drop(p);
    let _ = std::fs::remove_dir_all(&dir);
}
