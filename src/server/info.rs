//! INFO: what a Redis client asks a server about itself, in Redis 7.0's sections and fields.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use super::client::Client;
use super::reply::Answer;
use super::Shared;
use crate::engine::Keyspace;
use crate::command::info::line;

/// A 40-hex-digit id for this server run (INFO `run_id`), from the clock and the pid.
pub fn run_id() -> String {
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let mut x = u64::try_from(seed & u128::from(u64::MAX)).unwrap_or(0) ^ (u64::from(std::process::id()) << 32);
    let mut out = String::with_capacity(40);
    while out.len() < 40 {
        // splitmix64
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let _ = write!(out, "{z:016x}");
    }
    out.truncate(40);
    out
}

/// ```text
/// INFO [section [section ...]]
/// ```
/// Redis's text: `# Section` headers and `field:value` lines, CRLF-ended, sections apart
/// by an empty line. A verbatim string in RESP3, as Redis 7.
pub fn info(c: &mut Client, sh: &Shared, ks: &mut Keyspace, args: &[&[u8]]) -> Answer {
    let sections = crate::command::info::wanted(&args[1..]);
    let text = crate::command::info::render(ks, &sections, &mut |section, ks, out| section_text(c, sh, ks, section, out));
    Answer::Verbatim(text.into_bytes())
}

/// The server's own fields of `section` (the shared renderer adds the engine's).
fn section_text(_c: &Client, sh: &Shared, ks: &mut Keyspace, section: &str, out: &mut String) {
    let uptime = sh.started.elapsed().as_secs();
    match section {
        "server" => {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            line(out, "redis_git_sha1", "00000000");
            line(out, "redis_git_dirty", 0);
            line(out, "redis_build_id", "0");
            line(out, "monotonic_clock", "POSIX clock_gettime");
            line(out, "multiplexing_api", "epoll");
            line(out, "atomicvar_api", "c11-builtin");
            line(out, "gcc_version", "0.0.0");
            line(out, "process_supervised", "no");
            line(out, "run_id", &sh.run_id);
            line(out, "tcp_port", sh.tcp_port);
            line(out, "server_time_usec", now.as_micros());
            line(out, "uptime_in_seconds", uptime);
            line(out, "uptime_in_days", uptime / 86400);
            line(out, "hz", ks.config.hz);
            line(out, "configured_hz", ks.config.hz);
            line(out, "lru_clock", now.as_secs() & ((1 << 24) - 1));
            line(out, "executable", std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default());
            line(out, "config_file", "");
            line(out, "io_threads_active", 0);
        }
        "clients" => {
            line(out, "connected_clients", sh.connected.load(Ordering::Relaxed));
            line(out, "cluster_connections", 0);
            line(out, "maxclients", sh.settings.read().maxclients);
            line(out, "client_recent_max_input_buffer", 0);
            line(out, "client_recent_max_output_buffer", 0);
            line(out, "tracking_clients", 0);
            line(out, "clients_in_timeout_table", 0);
        }
        "persistence" => crate::persist::info_section(sh.persist.as_ref(), &mut ks.effects, sh.started_unix, out),
        "stats" => {
            let st = &sh.stats;
            line(out, "total_connections_received", st.connections_received.load(Ordering::Relaxed));
            line(out, "instantaneous_ops_per_sec", 0);
            line(out, "total_net_input_bytes", st.net_input_bytes.load(Ordering::Relaxed));
            line(out, "total_net_output_bytes", st.net_output_bytes.load(Ordering::Relaxed));
            line(out, "instantaneous_input_kbps", "0.00");
            line(out, "instantaneous_output_kbps", "0.00");
            line(out, "rejected_connections", st.rejected_connections.load(Ordering::Relaxed));
        }
        "replication" => {
            line(out, "master_failover_state", "no-failover");
            line(out, "master_replid", &sh.run_id);
            line(out, "master_replid2", "0000000000000000000000000000000000000000");
            line(out, "master_repl_offset", 0);
            line(out, "second_repl_offset", -1);
            line(out, "repl_backlog_active", 0);
            line(out, "repl_backlog_size", 1_048_576);
            line(out, "repl_backlog_first_byte_offset", 0);
            line(out, "repl_backlog_histlen", 0);
        }
        _ => {}
    }
}
