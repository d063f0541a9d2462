//! The slow log (Redis `slowlog.c`): the last `slowlog-max-len` commands that took at least
//! `slowlog-log-slower-than` microseconds, newest first, with their arguments trimmed as
//! Redis trims them. Engine-wide, in the `Keyspace`; every door feeds it.

use std::collections::VecDeque;

/// Most arguments kept of one command (Redis `SLOWLOG_ENTRY_MAX_ARGC`); the last kept one
/// says how many more there were.
pub const MAX_ARGC: usize = 32;
/// Most bytes kept of one argument (Redis `SLOWLOG_ENTRY_MAX_STRING`).
pub const MAX_STRING: usize = 128;

/// One entry, as SLOWLOG GET shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its number, from 0, never reused until SLOWLOG RESET... and not even then.
    pub id: u64,
    /// Unix seconds when it was logged.
    pub time: i64,
    /// How long the command ran, µs.
    pub duration: u64,
    /// The arguments, trimmed.
    pub argv: Vec<Vec<u8>>,
    /// The client's address (`ip:port`, or what the door calls itself).
    pub peer: String,
    /// The client's name, or empty.
    pub name: Vec<u8>,
}

/// The log and its two settings.
#[derive(Debug)]
pub struct SlowLog {
    entries: VecDeque<Entry>,
    next_id: u64,
    /// `slowlog-log-slower-than`, µs: 0 logs every command, below 0 none.
    pub slower_than: i64,
    /// `slowlog-max-len`.
    pub max_len: usize,
}

impl Default for SlowLog {
    fn default() -> Self {
        // Redis's defaults.
        SlowLog { entries: VecDeque::new(), next_id: 0, slower_than: 10_000, max_len: 128 }
    }
}

/// The arguments as Redis keeps them: at most 32 (the 32nd saying `... (N more
/// arguments)`), each cut at 128 bytes with `... (N more bytes)`.
pub fn trim_argv(argv: &[&[u8]]) -> Vec<Vec<u8>> {
    let kept = argv.len().min(MAX_ARGC);
    let mut out = Vec::with_capacity(kept);
    for (j, a) in argv.iter().take(kept).enumerate() {
        if kept != argv.len() && j == kept - 1 {
            out.push(format!("... ({} more arguments)", argv.len() - kept + 1).into_bytes());
        } else if a.len() > MAX_STRING {
            let mut v = a[..MAX_STRING].to_vec();
            v.extend_from_slice(format!("... ({} more bytes)", a.len() - MAX_STRING).as_bytes());
            out.push(v);
        } else {
            out.push(a.to_vec());
        }
    }
    out
}

impl SlowLog {
    /// Whether a command that took `usec` goes in the log.
    #[inline]
    pub fn wants(&self, usec: u64) -> bool {
        self.slower_than >= 0 && usec >= self.slower_than.unsigned_abs()
    }

    /// Logs a command (the caller checked `wants`), dropping the oldest past `max_len`.
    pub fn push(&mut self, argv: &[&[u8]], usec: u64, peer: String, name: Vec<u8>) {
        let entry = Entry {
            id: self.next_id,
            time: super::clock::unix_ms() / 1000,
            duration: usec,
            argv: trim_argv(argv),
            peer,
            name,
        };
        self.next_id += 1;
        self.entries.push_front(entry);
        self.entries.truncate(self.max_len);
    }

    /// SLOWLOG GET: the newest `count` entries (all of them for `None`).
    pub fn get(&self, count: Option<usize>) -> Vec<Entry> {
        self.entries.iter().take(count.unwrap_or(usize::MAX)).cloned().collect()
    }

    /// SLOWLOG LEN.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// SLOWLOG RESET: the entries go; the ids go on from where they were.
    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// CONFIG SET slowlog-max-len: the log is cut at once (Redis trims on the next push;
    /// what SLOWLOG GET shows is the same).
    pub fn set_max_len(&mut self, n: usize) {
        self.max_len = n;
        self.entries.truncate(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_arguments_as_redis() {
        let long = vec![b'x'; 130];
        let t = trim_argv(&[b"set", b"k", &long]);
        assert_eq!(t[2], [vec![b'x'; 128], b"... (2 more bytes)".to_vec()].concat());
        let many: Vec<Vec<u8>> = (0..40).map(|i| i.to_string().into_bytes()).collect();
        let refs: Vec<&[u8]> = many.iter().map(Vec::as_slice).collect();
        let t = trim_argv(&refs);
        assert_eq!(t.len(), 32);
        assert_eq!(t[31], b"... (9 more arguments)");
        assert_eq!(t[30], b"30");
        assert_eq!(trim_argv(&refs[..32]).len(), 32);
        assert_eq!(trim_argv(&refs[..32])[31], b"31");
    }

    #[test]
    fn keeps_the_newest_max_len_and_ids_survive_reset() {
        let mut log = SlowLog { max_len: 2, slower_than: 0, ..SlowLog::default() };
        assert!(log.wants(0));
        for i in 0..3u8 {
            log.push(&[b"get", &[b'a' + i]], 1, "x:1".into(), Vec::new());
        }
        let got = log.get(None);
        assert_eq!(got.iter().map(|e| e.id).collect::<Vec<_>>(), vec![2, 1]);
        assert_eq!(log.get(Some(1)).len(), 1);
        log.reset();
        assert!(log.is_empty());
        log.push(&[b"get"], 1, String::new(), Vec::new());
        assert_eq!(log.get(None)[0].id, 3);
        log.slower_than = -1;
        assert!(!log.wants(1_000_000));
        log.slower_than = 10;
        assert!(!log.wants(9) && log.wants(10));
    }
}
