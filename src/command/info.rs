//! INFO's text, rendered once for every door: the sections and their order, the fields the
//! engine knows (command and error stats, keyspace, pub/sub, memory and CPU of the process),
//! and a hook through which the door adds its own (the server's clients and connections,
//! persistence). Redis's format: `# Section` headers, `field:value` lines, CRLF-ended,
//! sections apart by an empty line.

use std::fmt::Write as _;

use crate::engine::Keyspace;

/// The Redis version whose behaviour embedis follows.
pub const REDIS_VERSION: &str = "7.0.15";

/// The sections of a plain `INFO` (and `default`), in Redis 7.0's order.
pub const DEFAULT: &[&str] = &[
    "server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace",
];

/// Every section embedis renders, in order (`all`, `everything`).
const ALL: &[&str] = &[
    "server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "commandstats", "errorstats", "cluster",
    "keyspace",
];

/// The sections `INFO args...` asks for, in render order: none named means the default
/// set; `all` and `everything` every section; unknown names nothing.
pub fn wanted<S: AsRef<[u8]>>(args: &[S]) -> Vec<&'static str> {
    let mut want: Vec<&'static str> = Vec::new();
    if args.is_empty() {
        want.extend(DEFAULT);
    }
    for a in args {
        let lower = String::from_utf8_lossy(a.as_ref()).to_ascii_lowercase();
        match lower.as_str() {
            "all" | "everything" => want.extend(ALL),
            "default" => want.extend(DEFAULT),
            s => want.extend(ALL.iter().filter(|k| **k == s)),
        }
    }
    ALL.iter().copied().filter(|s| want.contains(s)).collect()
}

/// Appends `key:value\r\n`.
pub fn line(out: &mut String, key: &str, value: impl std::fmt::Display) {
    let _ = write!(out, "{key}:{value}\r\n");
}

/// INFO as a command runs it: `processCommand`'s memory step first (with a `maxmemory`,
/// evictions run before any command, INFO included, so its counters include them), then
/// `render`. For a door that holds a unit (`Engine::execute`), whose evictions' effects
/// then reach the AOF.
pub fn run(ks: &mut Keyspace, sections: &[&str], host: &mut dyn FnMut(&str, &mut Keyspace, &mut String)) -> String {
    // INFO is not DENYOOM: the check cannot refuse it.
    let _ = ks.check_memory(false);
    render(ks, sections, host)
}

/// Renders `sections`; `host(section, ks, out)` writes the door's own fields of each
/// section first (nothing for a section it has none of).
pub fn render(ks: &mut Keyspace, sections: &[&str], host: &mut dyn FnMut(&str, &mut Keyspace, &mut String)) -> String {
    let mut out = String::new();
    for (i, section) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let mut title = (*section).to_owned();
        if let Some(f) = title.get_mut(0..1) {
            f.make_ascii_uppercase();
        }
        let _ = write!(out, "# {title}\r\n");
        host(section, ks, &mut out);
        engine_section(ks, section, &mut out);
    }
    out
}

fn engine_section(ks: &mut Keyspace, section: &str, out: &mut String) {
    match section {
        "server" => {
            line(out, "redis_version", REDIS_VERSION);
            line(out, "redis_mode", "standalone");
            line(out, "os", format!("{} {}", std::env::consts::OS, std::env::consts::ARCH));
            line(out, "arch_bits", usize::BITS);
            line(out, "process_id", std::process::id());
            line(out, "embedis_version", env!("CARGO_PKG_VERSION"));
        }
        "clients" => line(out, "blocked_clients", ks.blocked_clients()),
        "memory" => {
            // The engine's accounting (engine/evict.rs), then the process's RSS.
            let rss = rss_bytes();
            for (name, value) in ks.memory_info().fields() {
                line(out, name, value);
                if name == "used_memory_human" {
                    line(out, "used_memory_rss", rss);
                    line(out, "used_memory_rss_human", crate::engine::memory::bytes_to_human(rss));
                }
            }
            line(out, "mem_allocator", "libc");
        }
        "stats" => {
            line(out, "total_commands_processed", ks.stats.commands_processed());
            line(out, "expired_keys", 0);
            line(out, "evicted_keys", ks.evicted_keys());
            line(out, "keyspace_hits", 0);
            line(out, "keyspace_misses", 0);
            line(out, "pubsub_channels", ks.pubsub.channels(None).len());
            line(out, "pubsub_patterns", ks.pubsub.numpat());
            line(out, "pubsubshard_channels", ks.pubsub.shard_channels(None).len());
            line(out, "total_error_replies", ks.stats.error_replies);
        }
        "replication" => {
            line(out, "role", "master");
            line(out, "connected_slaves", 0);
        }
        "cpu" => {
            let (user, sys) = cpu_seconds();
            line(out, "used_cpu_sys", format!("{sys:.6}"));
            line(out, "used_cpu_user", format!("{user:.6}"));
            line(out, "used_cpu_sys_children", "0.000000");
            line(out, "used_cpu_user_children", "0.000000");
        }
        "commandstats" => {
            for (name, s) in ks.stats.commands() {
                #[allow(clippy::cast_precision_loss)]
                let per_call = if s.calls == 0 { 0.0 } else { s.usec as f64 / s.calls as f64 };
                let _ = write!(
                    out,
                    "cmdstat_{name}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
                    s.calls, s.usec, s.rejected_calls, s.failed_calls
                );
            }
        }
        "errorstats" => {
            for (code, n) in ks.stats.errors() {
                let _ = write!(out, "errorstat_{code}:count={n}\r\n");
            }
        }
        "cluster" => line(out, "cluster_enabled", 0),
        "keyspace" => {
            for (i, d) in ks.dbs.iter().enumerate() {
                if !d.map.is_empty() {
                    let _ = write!(out, "db{i}:keys={},expires={},avg_ttl=0\r\n", d.map.len(), d.expires.len());
                }
            }
        }
        _ => {}
    }
}

/// Resident memory of the process, from /proc (0 where there is none).
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()))
        .map_or(0, |pages| pages * 4096)
}

/// User and system CPU seconds of the process, from /proc (clock ticks of 1/100 s).
fn cpu_seconds() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return (0.0, 0.0) };
    // Fields after the command name in parentheses: state is field 3; utime 14, stime 15.
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (ticks(11), ticks(12))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_asked_for() {
        assert_eq!(wanted::<&[u8]>(&[]), DEFAULT.to_vec());
        assert!(!wanted::<&[u8]>(&[]).contains(&"commandstats"));
        assert!(wanted(&[b"ALL"]).contains(&"commandstats"));
        assert_eq!(wanted(&[&b"errorstats"[..], b"stats", b"nosuch"]), vec!["stats", "errorstats"]);
    }

    #[test]
    fn renders_stats_lines() {
        let mut ks = Keyspace::default();
        let id = crate::engine::stats::intern("lpush");
        ks.stats.ran(id, 3, None);
        ks.stats.rejected(None, "NOGROUP x");
        let text = render(&mut ks, &["commandstats", "errorstats"], &mut |_, _, _| {});
        assert_eq!(
            text,
            "# Commandstats\r\ncmdstat_lpush:calls=1,usec=3,usec_per_call=3.00,rejected_calls=0,failed_calls=0\r\n\r\n\
             # Errorstats\r\nerrorstat_NOGROUP:count=1\r\n"
        );
    }
}
