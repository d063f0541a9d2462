//! The persistence's CONFIG parameters (`dir`, `save`, `appendonly`, `appendfsync`, ...),
//! as a [`Host`] of the one parameter table (`command/config.rs`): the Python broker passes
//! it for `config_get`/`config_set`/`execute_command("CONFIG", ...)`, and the server's own
//! host hands these names on to it. A broker opened without a directory answers as a
//! Redis that saves nothing (`save ""`, `appendonly no`) from the working directory.

use crate::command::config::{parse_save, Host, HostChange};
use crate::engine::Keyspace;

use super::{Fsync, Persistence};

/// The persistence of a broker, or `None` for one without.
#[derive(Clone, Copy)]
pub struct PersistHost<'a>(pub Option<&'a Persistence>);

/// A checked persistence change.
enum Change {
    Save(Vec<(u64, u64)>),
    Appendfsync(Fsync),
    Appendonly(bool),
    Same,
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

impl Host for PersistHost<'_> {
    fn get(&self, _: &Keyspace, name: &str) -> Option<String> {
        let p = self.0;
        let c = p.map(Persistence::config);
        Some(match name {
            "dir" => c.map_or_else(
                || std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default(),
                |c| std::fs::canonicalize(&c.dir).unwrap_or_else(|_| c.dir.clone()).display().to_string(),
            ),
            "dbfilename" => c.map_or_else(|| "dump.edb".to_owned(), |c| c.dbfilename.clone()),
            "save" => p.map_or_else(String::new, |p| {
                p.save_rules().iter().map(|(s, n)| format!("{s} {n}")).collect::<Vec<_>>().join(" ")
            }),
            "appendonly" => yes_no(p.is_some_and(Persistence::appendonly)),
            "appendfsync" => p.map_or("everysec", |p| p.appendfsync().name()).to_owned(),
            "appendfilename" => c.map_or_else(|| "appendonly.aof".to_owned(), |c| c.appendfilename.clone()),
            "appenddirname" => c.map_or_else(|| "appendonlydir".to_owned(), |c| c.appenddirname.clone()),
            "auto-aof-rewrite-percentage" => c.map_or(100, |c| c.auto_aof_rewrite_percentage).to_string(),
            "auto-aof-rewrite-min-size" => c.map_or(64 << 20, |c| c.auto_aof_rewrite_min_size).to_string(),
            "aof-use-rdb-preamble" => yes_no(c.is_none_or(|c| c.aof_use_rdb_preamble)),
            _ => return None,
        })
    }

    fn check(&self, ks: &Keyspace, name: &str, value: &[u8]) -> Option<Result<HostChange, String>> {
        let v = String::from_utf8_lossy(value);
        let now = self.get(ks, name)?;
        let Some(p) = self.0 else {
            // Nothing persists: only the value it has may be set (the table says why).
            return None;
        };
        let change = match name {
            "save" => match parse_save(&v) {
                None => Err("Invalid save parameters".to_owned()),
                Some(rules) if !rules.is_empty() && !p.counts_changes() => Err(
                    "this broker was opened without save rules or an append-only file, so it counts no changes; reopen it with the rules"
                        .to_owned(),
                ),
                Some(rules) => Ok(Change::Save(rules)),
            },
            "appendonly" => Ok(Change::Appendonly(v.eq_ignore_ascii_case("yes"))),
            // Checked against the row's words already.
            "appendfsync" => Fsync::parse(&v).map(Change::Appendfsync).ok_or_else(|| "argument(s) must be one of the following: always, everysec, no".to_owned()),
            // Fixed when the persistence was opened.
            _ if now.eq_ignore_ascii_case(&v) => Ok(Change::Same),
            _ => Err("embedis reads this when the persistence opens; reopen with the new value (Broker(dir=..., ...), embedis serve --dir ...)".to_owned()),
        };
        Some(change.map(|c| Box::new(c) as HostChange))
    }

    fn apply(&self, ks: &mut Keyspace, change: HostChange) -> Result<(), String> {
        let (Some(p), Ok(change)) = (self.0, change.downcast::<Change>()) else { return Ok(()) };
        match *change {
            Change::Save(rules) => p.set_save_rules(rules).map_err(|e| e.to_string()),
            Change::Appendfsync(f) => {
                p.set_appendfsync(f, &mut ks.effects);
                Ok(())
            }
            // `yes` starts a background rewrite and answers at once; `no` writes and fsyncs
            // the buffer in this unit (see `set_appendonly`).
            Change::Appendonly(on) => p.set_appendonly(on, ks).map_err(|e| {
                format!(
                    "CONFIG SET failed (possibly related to argument 'appendonly') - {}",
                    e.to_string().trim_start_matches("ERR ")
                )
            }),
            Change::Same => Ok(()),
        }
    }

    fn reset_stats(&self, _: &mut Keyspace) {}
}
