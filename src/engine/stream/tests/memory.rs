//! The compactness target: 1,000,000 two-field entries of ~100 payload bytes must not take
//! more memory than redis-server 7 with the same data. Measured on redis-server 7.0.15
//! (jemalloc) with these exact entries: `used_memory` grew 106 bytes/entry, and MEMORY USAGE
//! reports 118 bytes/entry.

use super::*;

/// The `amount` value of entry `i`: 80 ASCII digits, distinct per entry.
fn amount(i: u64) -> String {
    format!("{:080}", i.wrapping_mul(7919))
}

/// Resident set size from /proc (Linux), to cross-check `allocated_bytes`.
fn rss_bytes() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn a_million_two_field_entries_take_fewer_bytes_than_redis() {
    const N: u64 = 1_000_000;
    let rss_before = rss_bytes();
    let mut s = Stream::new();
    let base = 1_700_000_000_000u64;
    for i in 0..N {
        let order = format!("OID-{:06}", i % 1_000_000);
        let amount = amount(i);
        // About ten entries per millisecond, as a busy producer calling XADD *.
        s.xadd(
            IdSpec::Auto,
            &[
                (b"order_id", order.as_bytes()),
                (b"amount", amount.as_bytes()),
            ],
            base + i / 10,
        )
        .expect("xadd");
    }
    let rss_after = rss_bytes();
    let per_entry = s.allocated_bytes() as f64 / N as f64;
    eprintln!(
        "stream: {N} entries, allocated_bytes {} = {per_entry:.1} bytes/entry, {} nodes",
        s.allocated_bytes(),
        s.info_stream().summary.radix_tree_keys
    );
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        eprintln!(
            "stream: RSS grew {:.1} bytes/entry",
            (after.saturating_sub(before)) as f64 / N as f64
        );
    }
    assert_eq!(s.len(), N);
    // Payload: 8 + 10 + 6 + 80 = 104 bytes of field names and values per entry.
    assert!(per_entry < 106.0, "{per_entry:.1} bytes/entry");
    // Spot check that compaction loses nothing.
    let last = s.last_entry().expect("entries");
    assert_eq!(last.1[1], (b"amount".to_vec(), amount(N - 1).into_bytes()));
}
