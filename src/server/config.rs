//! CONFIG on the server: the command and the parameter table are `command/config.rs`,
//! shared with the in-process broker; this is the server's [`Host`], owning the
//! parameters of listeners and clients (`bind`, `port`, `requirepass`, `maxclients`,
//! `timeout`, `client-output-buffer-limit`, `tcp-keepalive`, ...) and handing the
//! persistence's on to `persist::config::PersistHost`. RESETSTAT clears its counters.

use std::sync::atomic::Ordering;

use super::client::Client;
use super::reply::Answer;
use super::{OutputLimit, Shared};
use crate::command::config::{self as table, parse_memory, Host, HostChange};
use crate::command::Reply;
use crate::engine::Keyspace;
use crate::persist::config::PersistHost;

/// The server as the host of the parameter table.
pub(crate) struct ServerHost<'a>(pub &'a Shared);

/// A checked change of a server parameter.
enum Change {
    Requirepass(Option<Vec<u8>>),
    Maxclients(usize),
    BulkLen(usize),
    QueryLimit(usize),
    Timeout(u64),
    KeepAlive(u32),
    Output { normal: Option<OutputLimit>, pubsub: Option<crate::engine::pubsub::Limits> },
    Same,
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

fn output_limits(sh: &Shared, ks: &Keyspace) -> String {
    let n = sh.settings.read().output_normal;
    let p = ks.pubsub.limits();
    format!(
        "normal {} {} {} slave 268435456 67108864 60 pubsub {} {} {}",
        n.hard,
        n.soft,
        n.soft_seconds,
        p.hard,
        p.soft,
        p.soft_seconds.as_secs()
    )
}

/// `client-output-buffer-limit` as the server keeps it: the normal and pubsub classes.
fn output_limits_of(v: &str) -> Result<(Option<OutputLimit>, Option<crate::engine::pubsub::Limits>), String> {
    let (mut normal, mut pubsub) = (None, None);
    for (class, hard, soft, secs) in table::parse_output_limits(v)? {
        let hard = usize::try_from(hard).unwrap_or(usize::MAX);
        let soft = usize::try_from(soft).unwrap_or(usize::MAX);
        match class.as_str() {
            "normal" => normal = Some(OutputLimit { hard, soft, soft_seconds: secs }),
            "pubsub" => {
                pubsub = Some(crate::engine::pubsub::Limits { hard, soft, soft_seconds: std::time::Duration::from_secs(secs) });
            }
            // No replicas here: accepted and not kept, as the class never has a client.
            _ => {}
        }
    }
    Ok((normal, pubsub))
}

impl Host for ServerHost<'_> {
    fn get(&self, ks: &Keyspace, name: &str) -> Option<String> {
        let sh = self.0;
        let settings = sh.settings.read();
        Some(match name {
            "bind" => sh.bind.join(" "),
            "port" => sh.tcp_port.to_string(),
            "unixsocket" => sh.unixsocket.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
            "unixsocketperm" => sh.unixsocketperm.map_or(0, |m| format!("{m:o}").parse().unwrap_or(0)).to_string(),
            "requirepass" => settings.requirepass.as_deref().map(String::from_utf8_lossy).unwrap_or_default().into_owned(),
            "maxclients" => settings.maxclients.to_string(),
            "protected-mode" => yes_no(sh.protected_mode),
            "proto-max-bulk-len" => settings.proto_max_bulk_len.to_string(),
            "client-query-buffer-limit" => settings.client_query_buffer_limit.to_string(),
            "timeout" => settings.timeout.to_string(),
            "tcp-keepalive" => settings.tcp_keepalive.to_string(),
            "client-output-buffer-limit" => {
                drop(settings);
                output_limits(sh, ks)
            }
            _ => {
                drop(settings);
                return PersistHost(sh.persist.as_ref()).get(ks, name);
            }
        })
    }

    fn check(&self, ks: &Keyspace, name: &str, value: &[u8]) -> Option<Result<HostChange, String>> {
        // The table has checked the value's type and range already.
        let v = String::from_utf8_lossy(value);
        let n = || v.parse::<u64>().unwrap_or(0);
        let change = match name {
            "requirepass" => Ok(Change::Requirepass(if value.is_empty() { None } else { Some(value.to_vec()) })),
            "maxclients" => Ok(Change::Maxclients(usize::try_from(n()).unwrap_or(usize::MAX))),
            "timeout" => Ok(Change::Timeout(n())),
            "tcp-keepalive" => Ok(Change::KeepAlive(u32::try_from(n()).unwrap_or(u32::MAX))),
            "proto-max-bulk-len" => Ok(Change::BulkLen(mem(&v))),
            "client-query-buffer-limit" => Ok(Change::QueryLimit(mem(&v))),
            "client-output-buffer-limit" => output_limits_of(&v).map(|(normal, pubsub)| Change::Output { normal, pubsub }),
            "bind" | "port" | "protected-mode" => {
                let now = self.get(ks, name).unwrap_or_default();
                if now.eq_ignore_ascii_case(v.trim()) {
                    Ok(Change::Same)
                } else {
                    Err("embedis cannot change its listeners at run time; restart the server".into())
                }
            }
            _ => return PersistHost(self.0.persist.as_ref()).check(ks, name, value),
        };
        Some(change.map(|c| Box::new(c) as HostChange))
    }

    fn apply(&self, ks: &mut Keyspace, change: HostChange) -> Result<(), String> {
        let change = match change.downcast::<Change>() {
            Ok(c) => *c,
            Err(other) => return PersistHost(self.0.persist.as_ref()).apply(ks, other),
        };
        let mut s = self.0.settings.write();
        match change {
            Change::Requirepass(p) => s.requirepass = p,
            Change::Maxclients(n) => s.maxclients = n,
            Change::BulkLen(n) => s.proto_max_bulk_len = n,
            Change::QueryLimit(n) => s.client_query_buffer_limit = n,
            Change::Timeout(n) => s.timeout = n,
            Change::KeepAlive(n) => s.tcp_keepalive = n,
            Change::Output { normal, pubsub } => {
                if let Some(n) = normal {
                    s.output_normal = n;
                }
                if let Some(p) = pubsub {
                    ks.pubsub.set_limits(p);
                }
            }
            Change::Same => {}
        }
        Ok(())
    }

    fn reset_stats(&self, _: &mut Keyspace) {
        let st = &self.0.stats;
        for a in [
            &st.connections_received,
            &st.rejected_connections,
            &st.net_input_bytes,
            &st.net_output_bytes,
        ] {
            a.store(0, Ordering::Relaxed);
        }
    }
}

/// A memory value the table has checked.
fn mem(v: &str) -> usize {
    parse_memory(v).and_then(|n| usize::try_from(n).ok()).unwrap_or(usize::MAX)
}

/// ```text
/// CONFIG GET parameter [parameter ...] | SET parameter value [parameter value ...] |
///        RESETSTAT | REWRITE | HELP
/// ```
pub fn config(c: &mut Client, sh: &Shared, ks: &mut Keyspace, args: &[&[u8]]) -> Answer {
    // The slow log and COMMAND name it by subcommand, as Redis does.
    c.last_cmd = match args.get(1).map(|s| s.to_ascii_lowercase()) {
        Some(s) if s == b"get" => "config|get",
        Some(s) if s == b"set" => "config|set",
        Some(s) if s == b"resetstat" => "config|resetstat",
        Some(s) if s == b"rewrite" => "config|rewrite",
        Some(s) if s == b"help" => "config|help",
        _ => c.last_cmd,
    };
    match table::config(ks, &ServerHost(sh), args) {
        Ok(r) => Answer::Reply(r),
        Err(e) => Answer::Reply(Reply::Error(e)),
    }
}
