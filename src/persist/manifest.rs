//! The manifest of the multi-part AOF, in Redis 7's format (redis `src/aof.c`,
//! `aofInfoFormat` / `aofLoadManifestFromFile`), so that redis-server and
//! `redis-check-aof` read our directory and we read theirs.
//!
//! The manifest is a text file `<appendfilename>.manifest` in `appenddirname`, one line per
//! file, base first, then history, then the incremental files by sequence:
//!
//! ```text
//! file appendonly.aof.1.base.edb seq 1 type b
//! file appendonly.aof.1.incr.aof seq 1 type i
//! file appendonly.aof.2.incr.aof seq 2 type i
//! ```
//!
//! Each line is space-separated `key value` pairs (`file`, `seq`, `type`; unknown keys are
//! skipped as Redis does); a file name with a space, a quote or a non-printable byte is
//! written quoted with C escapes (`sdscatrepr`). `#` starts a comment line. Types: `b` base
//! (a full snapshot: ours is `.base.edb`, embedis's snapshot format, or `.base.aof`, RESP),
//! `i` incremental (RESP commands, appended in the engine's order), `h` history (a file of a
//! finished rewrite, waiting for deletion; never loaded). The manifest is replaced
//! atomically: written to a temp name, fsynced, renamed, directory fsynced.

use std::fmt::Write as _;

/// What a listed file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    /// `b`: the base, a snapshot of the data when the last rewrite started.
    Base,
    /// `i`: commands appended since.
    Incr,
    /// `h`: left over from a finished rewrite, to be deleted.
    History,
}

/// One line of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// File name, relative to the AOF directory.
    pub name: String,
    /// Sequence number (base and incr files number separately, as in Redis).
    pub seq: u64,
    /// What the file is.
    pub kind: FileType,
}

/// The parsed manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The base file, if any.
    pub base: Option<Entry>,
    /// Incremental files, by ascending `seq`.
    pub incrs: Vec<Entry>,
    /// Files to delete.
    pub history: Vec<Entry>,
}

impl Manifest {
    /// Every file it names, as history: what a manifest replacing it lists to delete.
    #[must_use]
    pub fn all_as_history(&self) -> Vec<Entry> {
        self.base.iter().chain(&self.incrs).chain(&self.history).map(|e| Entry { kind: FileType::History, ..e.clone() }).collect()
    }

    /// The text of the manifest.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let all = self.base.iter().chain(self.history.iter()).chain(self.incrs.iter());
        for e in all {
            let t = match e.kind {
                FileType::Base => 'b',
                FileType::Incr => 'i',
                FileType::History => 'h',
            };
            let _ = writeln!(out, "file {} seq {} type {}", quote(&e.name), e.seq, t);
        }
        out
    }

    /// Parses a manifest.
    ///
    /// # Errors
    /// A message naming the line that does not parse.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words = split_words(line).ok_or_else(|| format!("line {}: unbalanced quotes", n + 1))?;
            if words.len() % 2 != 0 {
                return Err(format!("line {}: invalid key/value pairs", n + 1));
            }
            let (mut name, mut seq, mut kind) = (None, None, None);
            for kv in words.chunks(2) {
                match kv[0].as_str() {
                    "file" => name = Some(kv[1].clone()),
                    "seq" => seq = kv[1].parse::<u64>().ok(),
                    "type" => {
                        kind = match kv[1].as_str() {
                            "b" => Some(FileType::Base),
                            "i" => Some(FileType::Incr),
                            "h" => Some(FileType::History),
                            _ => None,
                        }
                    }
                    _ => {}
                }
            }
            let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
                return Err(format!("line {}: needs file, seq and type", n + 1));
            };
            if name.contains('/') || name.is_empty() {
                return Err(format!("line {}: invalid file name {name:?}", n + 1));
            }
            let e = Entry { name, seq, kind };
            match kind {
                FileType::Base => {
                    if m.base.is_some() {
                        return Err(format!("line {}: a second base file", n + 1));
                    }
                    m.base = Some(e);
                }
                FileType::Incr => {
                    if m.incrs.last().is_some_and(|l| l.seq >= e.seq) {
                        return Err(format!("line {}: incr files out of order", n + 1));
                    }
                    m.incrs.push(e);
                }
                FileType::History => m.history.push(e),
            }
        }
        Ok(m)
    }
}

/// `name`, quoted when it must be (Redis `sdscatrepr` only where needed, as `aofInfoFormat`).
fn quote(name: &str) -> String {
    if name.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\') {
        return name.to_owned();
    }
    let mut out = String::from("\"");
    for b in name.bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

/// Splits a line into words, honouring double quotes with C escapes (Redis `sdssplitargs`).
fn split_words(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let mut word = Vec::new();
        if b[i] == b'"' {
            i += 1;
            loop {
                let c = *b.get(i)?;
                i += 1;
                match c {
                    b'"' => break,
                    b'\\' => {
                        let e = *b.get(i)?;
                        i += 1;
                        match e {
                            b'n' => word.push(b'\n'),
                            b'r' => word.push(b'\r'),
                            b't' => word.push(b'\t'),
                            b'x' => {
                                let hex = std::str::from_utf8(b.get(i..i + 2)?).ok()?;
                                word.push(u8::from_str_radix(hex, 16).ok()?);
                                i += 2;
                            }
                            other => word.push(other),
                        }
                    }
                    other => word.push(other),
                }
            }
        } else {
            while i < b.len() && !b[i].is_ascii_whitespace() {
                word.push(b[i]);
                i += 1;
            }
        }
        out.push(String::from_utf8_lossy(&word).into_owned());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_redis_layout() {
        let text = "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(m.to_text(), text);
        assert_eq!(m.base.as_ref().unwrap().name, "appendonly.aof.1.base.rdb");
    }

    #[test]
    fn quoted_names_round_trip() {
        let m = Manifest {
            base: None,
            incrs: vec![Entry { name: "my file\".aof".into(), seq: 3, kind: FileType::Incr }],
            history: vec![],
        };
        assert_eq!(Manifest::parse(&m.to_text()).unwrap(), m);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(Manifest::parse("file x seq").is_err());
        assert!(Manifest::parse("file x seq 2 type i\nfile y seq 1 type i").is_err());
        assert!(Manifest::parse("file ../x seq 1 type i").is_err());
    }
}
