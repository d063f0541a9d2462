//! Snapshots: the whole keyspace in one versioned, checksummed binary file (`dump.edb`, and
//! the `.base.edb` of the AOF). Captured under the keyspace lock (a copy-on-write copy of
//! each value, sharing list and stream nodes), written by a background thread, read back
//! record by record.
//!
//! # Format, version 1 (all integers little-endian)
//!
//! ```text
//! offset  size  field
//! 0       8     magic  "EMBDSNAP"
//! 8       2     format version, u16 = 1
//! 10      2     flags, u16 = 0 (reserved; a reader of version 1 refuses other values)
//! 12      ...   records, each:  tag: u8 | body | crc: u32 = CRC-32 of tag and body
//!         ...   the EOF record: 0xFF | keys: u64 | crc: u32 = CRC-32 of every byte of the
//!                               file before this crc (header, records, 0xFF, keys)
//! ```
//!
//! Nothing may follow the EOF record. CRC-32 is the IEEE polynomial (zlib's, `crc32fast`).
//! `varint` is unsigned LEB128 (7 bits per byte, low first, high bit = more; at most 10
//! bytes); `str` is `varint len | len bytes`. Record bodies, by tag:
//!
//! | tag  | record     | body                                                           |
//! |------|------------|----------------------------------------------------------------|
//! | 0x00 | STRING     | `key_flags: u8 | [expire_ms: i64] | key: str | value: str`     |
//! | 0x01 | LIST       | `key_flags | [expire_ms] | key: str | count: varint (≥ 1) | count × str`, head to tail |
//! | 0x02 | STREAM     | `key_flags | [expire_ms] | key: str | count: varint (≥ 1) | count × (argc: varint | argc × str)`: the commands that rebuild the stream in an empty database (XADD per entry, XSETID, XGROUP CREATE, XCLAIM … JUSTID FORCE per pending entry, XGROUP CREATECONSUMER; `aof::stream_commands`), replayed through the command table |
//! | 0x03 | HASH       | `key_flags | [expire_ms] | key: str | count: varint (≥ 1) | count × (field: str | value: str)`, in the hash's order; loading re-chooses the encoding by the current `hash-max-listpack-*`, as Redis's RDB load does |
//! | 0x04 | SET        | `key_flags | [expire_ms] | key: str | count: varint (≥ 1) | count × str`: the members, in the set's order; loaded by adding them one by one under the current `set-max-intset-entries`, as Redis loads a set, so the encoding follows the setting |
//! | 0x05 | ZSET       | `key_flags | [expire_ms] | key: str | count: varint (≥ 1) | count × (member: str | score: 8 bytes, the f64's IEEE bits little-endian)`, ascending; loading re-chooses the encoding by the current `zset-max-listpack-*` |
//! | 0xFA | AUX        | `name: str | value: str`: metadata (`embedis-ver`, `ctime-ms`); unknown names are ignored |
//! | 0xFE | SELECTDB   | `db: varint` (< 16): the keys that follow belong to this database |
//!
//! `key_flags` bit 0 set means an `expire_ms` (absolute Unix time in milliseconds) follows;
//! other bits are reserved and must be 0. Keys before any SELECTDB belong to database 0.
//! Tags are fixed forever, as redis `rdb.h`'s `RDB_TYPE_*`: a new layout gets a new tag and
//! a reader refuses a tag it does not know (data it cannot read is never skipped silently).
//! Lengths are checked against what is left of the file before anything is allocated.

use std::io::{self, Read, Write};
use std::path::Path;

use crc32fast::Hasher;

use super::Error;
use crate::engine::db::Key;
use crate::engine::list::{End, List};
use crate::engine::value::Value;
use crate::engine::{Keyspace, DATABASES};

/// File magic.
pub const MAGIC: &[u8; 8] = b"EMBDSNAP";
/// The format version this code writes and reads.
pub const VERSION: u16 = 1;

/// Record tags (fixed forever; see the module doc).
pub mod tag {
    /// A string key.
    pub const STRING: u8 = 0x00;
    /// A list key.
    pub const LIST: u8 = 0x01;
    /// Reserved: a stream key.
    pub const STREAM: u8 = 0x02;
    /// A hash key.
    pub const HASH: u8 = 0x03;
    /// A set key.
    pub const SET: u8 = 0x04;
    /// A sorted-set key.
    pub const ZSET: u8 = 0x05;
    /// Metadata.
    pub const AUX: u8 = 0xFA;
    /// Database switch.
    pub const SELECTDB: u8 = 0xFE;
    /// End of file.
    pub const EOF: u8 = 0xFF;
}

const KEY_HAS_EXPIRE: u8 = 1;

/// A value copied out of the keyspace.
#[derive(Debug, Clone)]
pub enum Captured {
    /// A string.
    Str(Vec<u8>),
    /// A list.
    List(List),
    /// A set (a deep copy: its members are in a few flat buffers, copied at memory speed).
    Set(crate::engine::set::Set),
    /// A stream (not written yet: see `write`).
    Stream(Box<crate::engine::stream::Stream>),
    /// A hash (a deep copy: hashes are small, or tables that cannot share).
    Hash(crate::engine::hash::Hash),
    /// A sorted set (a deep copy).
    Zset(crate::engine::zset::ZSet),
}

/// One key of a snapshot.
#[derive(Debug, Clone)]
pub struct Item {
    /// The key.
    pub key: Key,
    /// Its value.
    pub value: Captured,
    /// Its absolute expiry, Unix ms.
    pub expire_ms: Option<i64>,
}

/// The keyspace at one instant, by database (only non-empty databases).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// `(db index, keys)`.
    pub dbs: Vec<(usize, Vec<Item>)>,
}

impl Snapshot {
    /// Copies the keyspace. Runs under the keyspace lock; its cost is the producers' stall,
    /// so lists and streams are not copied but shared copy-on-write
    /// ([`List::clone_shared`], [`Stream::clone_shared`]): a refcount per node of about
    /// 8 KiB (lists) or 100 entries (streams), plus a small allocation per node the first
    /// time it is shared. For 1,000,000 100-byte list elements and 1,000,000 stream
    /// entries: about 3 ms the first time, under 1 ms after, where a deep copy took 30 to
    /// 55 ms. Strings, consumer groups and their PELs are still copied. Takes `&mut`
    /// because sharing moves node buffers into `Arc`s; no value changes.
    ///
    /// [`Stream::clone_shared`]: crate::engine::stream::Stream::clone_shared
    pub fn capture(ks: &mut Keyspace) -> Snapshot {
        let mut dbs = Vec::new();
        for (i, d) in ks.dbs.iter_mut().enumerate() {
            if d.map.is_empty() {
                continue;
            }
            let mut items = Vec::with_capacity(d.map.len());
            for (k, v) in &mut d.map {
                // Exhaustive on purpose: a new value type must choose its snapshot tag here.
                let value = match &mut v.value {
                    Value::Str(s) => Captured::Str(s.clone()),
                    Value::List(l) => Captured::List(l.clone_shared()),
                    Value::Set(st) => Captured::Set(st.clone()),
                    Value::Stream(st) => Captured::Stream(Box::new(st.clone_shared())),
                    Value::Hash(h) => Captured::Hash(h.clone()),
                    Value::Zset(z) => Captured::Zset(z.clone()),
                };
                let expire_ms = if d.expires.is_empty() { None } else { d.expires.get(k).copied() };
                items.push(Item { key: k.clone(), value, expire_ms });
            }
            // Sharing put an `Arc` header on every node it shared, unseen by the count.
            d.recount_used();
            dbs.push((i, items));
        }
        Snapshot { dbs }
    }

    /// Number of keys.
    pub fn keys(&self) -> usize {
        self.dbs.iter().map(|(_, v)| v.len()).sum()
    }
}

// ---- writing ----------------------------------------------------------------------------

/// A buffered writer that keeps the record CRC and the file CRC, hashing in large runs.
struct Output<'a> {
    w: &'a mut dyn Write,
    buf: Vec<u8>,
    /// `buf[..hashed]` has been fed to both hashers.
    hashed: usize,
    file: Hasher,
    rec: Hasher,
    written: u64,
}

const OUT_BUF: usize = 1 << 20;

impl<'a> Output<'a> {
    fn new(w: &'a mut dyn Write) -> Self {
        Output { w, buf: Vec::with_capacity(OUT_BUF + 1024), hashed: 0, file: Hasher::new(), rec: Hasher::new(), written: 0 }
    }
    fn hash(&mut self) {
        let s = &self.buf[self.hashed..];
        self.file.update(s);
        self.rec.update(s);
        self.hashed = self.buf.len();
    }
    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= OUT_BUF {
            self.hash();
            self.w.write_all(&self.buf)?;
            self.written += self.buf.len() as u64;
            self.buf.clear();
            self.hashed = 0;
        }
        Ok(())
    }
    fn varint(&mut self, mut v: u64) {
        loop {
            // Truncation is the point: the low 7 bits.
            #[allow(clippy::cast_possible_truncation)]
            let low = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.buf.push(low);
                return;
            }
            self.buf.push(low | 0x80);
        }
    }
    fn str(&mut self, s: &[u8]) -> io::Result<()> {
        self.varint(s.len() as u64);
        if s.len() > OUT_BUF {
            self.hash();
            self.file.update(s);
            self.rec.update(s);
            self.w.write_all(&self.buf)?;
            self.w.write_all(s)?;
            self.written += (self.buf.len() + s.len()) as u64;
            self.buf.clear();
            self.hashed = 0;
            return Ok(());
        }
        self.buf.extend_from_slice(s);
        self.maybe_flush()
    }
    fn begin(&mut self, tag: u8) {
        self.hash();
        self.rec = Hasher::new();
        self.buf.push(tag);
    }
    fn end(&mut self) -> io::Result<()> {
        self.hash();
        let crc = std::mem::take(&mut self.rec).finalize();
        self.buf.extend_from_slice(&crc.to_le_bytes());
        self.maybe_flush()
    }
    fn finish(mut self, keys: u64) -> io::Result<u64> {
        self.hash();
        self.buf.push(tag::EOF);
        self.buf.extend_from_slice(&keys.to_le_bytes());
        self.hash();
        let crc = self.file.clone().finalize();
        self.buf.extend_from_slice(&crc.to_le_bytes());
        self.w.write_all(&self.buf)?;
        self.written += self.buf.len() as u64;
        Ok(self.written)
    }
}

/// Writes `snap` in the format of the module doc; returns the bytes written.
///
/// # Errors
/// The I/O error of `w`.
pub fn write(snap: &Snapshot, w: &mut dyn Write, ctime_ms: i64) -> io::Result<u64> {
    let mut o = Output::new(w);
    o.buf.extend_from_slice(MAGIC);
    o.buf.extend_from_slice(&VERSION.to_le_bytes());
    o.buf.extend_from_slice(&0u16.to_le_bytes());
    for (name, value) in [("embedis-ver", env!("CARGO_PKG_VERSION").to_owned()), ("ctime-ms", ctime_ms.to_string())] {
        o.begin(tag::AUX);
        o.str(name.as_bytes())?;
        o.str(value.as_bytes())?;
        o.end()?;
    }
    let mut keys = 0u64;
    for (db, items) in &snap.dbs {
        o.begin(tag::SELECTDB);
        o.varint(*db as u64);
        o.end()?;
        for item in items {
            let t = match item.value {
                Captured::Str(_) => tag::STRING,
                Captured::List(_) => tag::LIST,
                Captured::Set(_) => tag::SET,
                Captured::Stream(_) => tag::STREAM,
                Captured::Hash(_) => tag::HASH,
                Captured::Zset(_) => tag::ZSET,
            };
            o.begin(t);
            match item.expire_ms {
                Some(at) => {
                    o.buf.push(KEY_HAS_EXPIRE);
                    o.buf.extend_from_slice(&at.to_le_bytes());
                }
                None => o.buf.push(0),
            }
            o.str(&item.key)?;
            match &item.value {
                Captured::Str(s) => o.str(s)?,
                Captured::List(l) => {
                    o.varint(l.len() as u64);
                    for e in l.iter() {
                        o.str(e)?;
                    }
                }
                Captured::Set(st) => {
                    o.varint(st.len() as u64);
                    for m in st.iter() {
                        o.str(&m)?;
                    }
                }
                Captured::Zset(z) => {
                    o.varint(z.len() as u64);
                    for (m, s) in z.iter() {
                        o.str(m)?;
                        o.buf.extend_from_slice(&s.to_le_bytes());
                    }
                }
                Captured::Hash(h) => {
                    o.varint(h.len() as u64);
                    for (f, v) in h.iter() {
                        o.str(f)?;
                        o.str(v)?;
                    }
                }
                Captured::Stream(st) => {
                    // As commands (see the module doc); counted first so the count leads.
                    let mut n = 0u64;
                    super::aof::stream_commands(&item.key, st, |_| {
                        n += 1;
                        Ok(())
                    })?;
                    o.varint(n);
                    super::aof::stream_commands(&item.key, st, |argv| {
                        o.varint(argv.len() as u64);
                        for a in argv {
                            o.str(a)?;
                        }
                        Ok(())
                    })?;
                }
            }
            o.end()?;
            keys += 1;
        }
    }
    o.finish(keys)
}

// ---- reading ----------------------------------------------------------------------------

/// A buffered reader that knows its file offset and keeps both CRCs (hashing in runs).
struct Input<'a> {
    r: &'a mut dyn Read,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    hashed: usize,
    /// File offset of `buf[0]`.
    base: u64,
    /// Total file length (lengths read are checked against what is left).
    len: u64,
    file: Hasher,
    rec: Hasher,
}

const IN_BUF: usize = 1 << 20;

impl<'a> Input<'a> {
    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }
    fn left(&self) -> u64 {
        self.len.saturating_sub(self.offset())
    }
    fn hash(&mut self) {
        let s = &self.buf[self.hashed..self.pos];
        self.file.update(s);
        self.rec.update(s);
        self.hashed = self.pos;
    }
    /// Makes `n` bytes available at `pos`; false at end of file.
    fn ensure(&mut self, n: usize) -> io::Result<bool> {
        if self.end - self.pos >= n {
            return Ok(true);
        }
        self.hash();
        self.buf.copy_within(self.pos..self.end, 0);
        self.base += self.pos as u64;
        self.end -= self.pos;
        self.pos = 0;
        self.hashed = 0;
        if self.buf.len() < n {
            self.buf.resize(n.max(IN_BUF), 0);
        }
        while self.end < n {
            let got = self.r.read(&mut self.buf[self.end..])?;
            if got == 0 {
                return Ok(false);
            }
            self.end += got;
        }
        Ok(true)
    }
}

/// Counts from loading a snapshot.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoadStats {
    /// Keys loaded.
    pub keys: u64,
    /// Keys whose expiry had passed (loaded anyway; they expire on first access or sweep,
    /// and the deletion goes to the AOF, as in Redis).
    pub expired: u64,
    /// Bytes read.
    pub bytes: u64,
}

/// Reads a snapshot of `len` bytes from `r` into `ks` (which should be empty). `progress` is
/// called now and then with the offset reached.
///
/// # Errors
/// `Corrupt` naming `file` and the offset of the first bad byte (or of the record whose
/// checksum fails), or `Io`. On error `ks` holds part of the data and must be discarded.
pub fn load(
    r: &mut dyn Read,
    len: u64,
    file: &Path,
    ks: &mut Keyspace,
    progress: &mut dyn FnMut(u64),
) -> Result<LoadStats, Error> {
    let mut inp = Input { r, buf: vec![0; IN_BUF], pos: 0, end: 0, hashed: 0, base: 0, len, file: Hasher::new(), rec: Hasher::new() };
    let corrupt = |offset: u64, what: String| Error::Corrupt { file: file.to_path_buf(), offset, what };
    let io = |e: io::Error| Error::Io { path: file.to_path_buf(), source: e };
    macro_rules! need {
        ($n:expr, $what:expr) => {
            if !inp.ensure($n).map_err(io)? {
                return Err(corrupt(inp.offset(), format!("file ends inside {}", $what)));
            }
        };
    }
    need!(12, "the header");
    if &inp.buf[0..8] != MAGIC {
        return Err(corrupt(0, "not an embedis snapshot (bad magic)".into()));
    }
    let version = u16::from_le_bytes([inp.buf[8], inp.buf[9]]);
    if version != VERSION {
        return Err(corrupt(8, format!("snapshot format version {version}, this embedis reads {VERSION}")));
    }
    if inp.buf[10..12] != [0, 0] {
        return Err(corrupt(10, "unknown header flags".into()));
    }
    inp.pos = 12;
    let mut db = 0usize;
    let mut stats = LoadStats::default();
    let now = crate::engine::clock::unix_ms();
    let mut next_progress = 64u64 << 20;
    loop {
        let rec_start = inp.offset();
        if rec_start >= next_progress {
            progress(rec_start);
            next_progress = rec_start + (64 << 20);
        }
        need!(1, "a record tag");
        inp.hash();
        inp.rec = Hasher::new();
        let t = inp.buf[inp.pos];
        inp.pos += 1;
        macro_rules! varint {
            ($what:expr) => {{
                let at = inp.offset();
                let mut v: u64 = 0;
                let mut shift = 0u32;
                loop {
                    need!(1, $what);
                    let b = inp.buf[inp.pos];
                    inp.pos += 1;
                    if shift == 63 && b > 1 || shift > 63 {
                        return Err(corrupt(at, format!("{} overflows", $what)));
                    }
                    v |= u64::from(b & 0x7f) << shift;
                    if b & 0x80 == 0 {
                        break;
                    }
                    shift += 7;
                }
                v
            }};
        }
        macro_rules! len {
            ($what:expr) => {{
                let at = inp.offset();
                let n = varint!($what);
                if n > inp.left() {
                    return Err(corrupt(at, format!("{} of {n} bytes runs past the end of the file", $what)));
                }
                usize::try_from(n).map_err(|_| corrupt(at, format!("{} too large", $what)))?
            }};
        }
        macro_rules! bytes {
            ($n:expr, $what:expr) => {{
                let n = $n;
                need!(n, $what);
                let s = inp.pos;
                inp.pos += n;
                &inp.buf[s..s + n]
            }};
        }
        match t {
            tag::EOF => {
                need!(12, "the EOF record");
                let keys = u64::from_le_bytes(inp.buf[inp.pos..inp.pos + 8].try_into().unwrap_or_default());
                inp.pos += 8;
                inp.hash();
                let want = u32::from_le_bytes(inp.buf[inp.pos..inp.pos + 4].try_into().unwrap_or_default());
                let crc_at = inp.offset();
                let got = inp.file.clone().finalize();
                if want != got {
                    return Err(corrupt(crc_at, format!("file checksum mismatch (stored {want:08x}, computed {got:08x})")));
                }
                if keys != stats.keys {
                    return Err(corrupt(rec_start, format!("EOF record counts {keys} keys, the file holds {}", stats.keys)));
                }
                inp.pos += 4;
                if inp.offset() != len {
                    return Err(corrupt(inp.offset(), format!("{} bytes after the EOF record", len - inp.offset())));
                }
                stats.bytes = len;
                return Ok(stats);
            }
            tag::AUX => {
                let n = len!("an AUX name");
                let _ = bytes!(n, "an AUX name");
                let n = len!("an AUX value");
                let _ = bytes!(n, "an AUX value");
            }
            tag::SELECTDB => {
                let at = inp.offset();
                let d = varint!("a database index");
                db = usize::try_from(d).ok().filter(|&d| d < DATABASES).ok_or_else(|| corrupt(at, format!("database index {d} out of range")))?;
            }
            tag::STRING | tag::LIST | tag::SET | tag::STREAM | tag::HASH | tag::ZSET => {
                let at = inp.offset();
                let flags = bytes!(1, "key flags")[0];
                if flags & !KEY_HAS_EXPIRE != 0 {
                    return Err(corrupt(at, format!("unknown key flags {flags:#04x}")));
                }
                let expire = if flags & KEY_HAS_EXPIRE != 0 {
                    let b = bytes!(8, "an expiry");
                    Some(i64::from_le_bytes(b.try_into().unwrap_or_default()))
                } else {
                    None
                };
                let key_at = inp.offset();
                let n = len!("a key");
                let key: Key = bytes!(n, "a key").into();
                let twice = |key: &Key| corrupt(key_at, format!("key {:?} appears twice", String::from_utf8_lossy(key)));
                if t == tag::STREAM {
                    // Rebuilt by its commands, in place: a key already there is caught first.
                    if ks.db(db).map.contains_key(&key) {
                        return Err(twice(&key));
                    }
                    let count_at = inp.offset();
                    let count = varint!("a command count");
                    if count == 0 || count > inp.left() {
                        return Err(corrupt(count_at, format!("invalid command count {count}")));
                    }
                    let mut ctx = crate::command::Context { db, ..Default::default() };
                    for _ in 0..count {
                        let cmd_at = inp.offset();
                        let argc = varint!("an argument count");
                        if argc == 0 || argc > inp.left() {
                            return Err(corrupt(cmd_at, format!("invalid argument count {argc}")));
                        }
                        let mut argv: Vec<Vec<u8>> = Vec::with_capacity(usize::try_from(argc).unwrap_or(0).min(1024));
                        for _ in 0..argc {
                            let n = len!("an argument");
                            argv.push(bytes!(n, "an argument").to_vec());
                        }
                        let refs: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
                        let name = String::from_utf8_lossy(refs[0]).to_ascii_uppercase();
                        if !name.starts_with('X') || refs.get(if name == "XGROUP" { 2 } else { 1 }) != Some(&&key[..]) {
                            return Err(corrupt(cmd_at, format!("command {name} does not rebuild stream {:?}", String::from_utf8_lossy(&key))));
                        }
                        crate::command::dispatch_in(ks, &mut ctx, &refs).map_err(|e| corrupt(cmd_at, format!("{name} failed on load: {e}")))?;
                    }
                } else {
                    let value = if t == tag::STRING {
                        let n = len!("a string value");
                        Value::Str(bytes!(n, "a string value").to_vec())
                    } else if t == tag::SET {
                        let count_at = inp.offset();
                        let count = varint!("a set size");
                        if count == 0 || count > inp.left() {
                            return Err(corrupt(count_at, format!("invalid set size {count}")));
                        }
                        let max = ks.config.set_max_intset_entries;
                        let mut set = crate::engine::set::Set::new();
                        for _ in 0..count {
                            let n = len!("a set member");
                            let m = bytes!(n, "a set member");
                            set.add(m, max);
                        }
                        if set.len() as u64 != count {
                            return Err(corrupt(count_at, "a set member appears twice".to_string()));
                        }
                        Value::Set(set)
                    } else if t == tag::HASH {
                        let count_at = inp.offset();
                        let count = varint!("a hash length");
                        if count == 0 || count > inp.left() {
                            return Err(corrupt(count_at, format!("invalid hash length {count}")));
                        }
                        let cfg = ks.config.hash;
                        let mut hash = crate::engine::hash::Hash::new();
                        for _ in 0..count {
                            let field_at = inp.offset();
                            let n = len!("a hash field");
                            let f = bytes!(n, "a hash field").to_vec();
                            let n = len!("a hash value");
                            let v = bytes!(n, "a hash value");
                            if !hash.set(&f, v, cfg) {
                                return Err(corrupt(field_at, format!("hash field {:?} appears twice", String::from_utf8_lossy(&f))));
                            }
                        }
                        Value::Hash(hash)
                    } else if t == tag::ZSET {
                        let count_at = inp.offset();
                        let count = varint!("a sorted set size");
                        if count == 0 || count > inp.left() {
                            return Err(corrupt(count_at, format!("invalid sorted set size {count}")));
                        }
                        let cfg = ks.config.zset;
                        let mut z = crate::engine::zset::ZSet::new();
                        for _ in 0..count {
                            let member_at = inp.offset();
                            let n = len!("a sorted set member");
                            let m = bytes!(n, "a sorted set member").to_vec();
                            let b = bytes!(8, "a score");
                            let s = f64::from_le_bytes(b.try_into().unwrap_or_default());
                            if s.is_nan() {
                                return Err(corrupt(member_at, "a score is NaN".to_string()));
                            }
                            if !z.insert(&m, s, cfg) {
                                return Err(corrupt(member_at, format!("sorted set member {:?} appears twice", String::from_utf8_lossy(&m))));
                            }
                        }
                        Value::Zset(z)
                    } else {
                        let count_at = inp.offset();
                        let count = varint!("a list length");
                        if count == 0 || count > inp.left() {
                            return Err(corrupt(count_at, format!("invalid list length {count}")));
                        }
                        let mut list = List::new();
                        for _ in 0..count {
                            let n = len!("a list element");
                            let e = bytes!(n, "a list element");
                            list.push(End::Right, e);
                        }
                        Value::List(list)
                    };
                    if !ks.db(db).load(key.clone(), value) {
                        return Err(twice(&key));
                    }
                }
                if let Some(at) = expire {
                    ks.db(db).set_expiry(&key, at);
                    ks.wants_sweeper = true;
                    if at <= now {
                        stats.expired += 1;
                    }
                }
                stats.keys += 1;
            }
            other => {
                return Err(corrupt(rec_start, format!("unknown record tag {other:#04x}")));
            }
        }
        // The record's CRC.
        inp.hash();
        let crc_at = inp.offset();
        let got = std::mem::take(&mut inp.rec).finalize();
        need!(4, "a record checksum");
        let want = u32::from_le_bytes(inp.buf[inp.pos..inp.pos + 4].try_into().unwrap_or_default());
        if want != got {
            return Err(corrupt(rec_start, format!("record checksum mismatch (record at {rec_start}, checksum at {crc_at})")));
        }
        inp.pos += 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{dispatch, Context};
    use crate::engine::stream::StreamId;
    use crate::engine::Engine;

    /// Every key of a snapshot as text, in key order: what a reload must give back.
    fn render(snap: &Snapshot) -> Vec<(usize, Vec<u8>, String)> {
        let mut out: Vec<_> = snap
            .dbs
            .iter()
            .flat_map(|(db, items)| {
                items.iter().map(move |it| {
                    let text = match &it.value {
                        Captured::Str(s) => format!("{s:?}"),
                        Captured::List(l) => format!("{l:?}"),
                        Captured::Set(st) => {
                            let mut m: Vec<_> = st.iter().map(|m| m.into_owned()).collect();
                            m.sort();
                            format!("{m:?} {}", st.encoding_name())
                        }
                        Captured::Hash(h) => format!("{:?}", h.iter().collect::<Vec<_>>()),
                        Captured::Zset(z) => format!("{:?} {}", z.iter().collect::<Vec<_>>(), z.encoding_name()),
                        Captured::Stream(st) => format!(
                            "{:?} len {} last {} added {}",
                            st.range(StreamId::MIN, StreamId::MAX, None, false),
                            st.len(),
                            st.last_id(),
                            st.entries_added()
                        ),
                    };
                    (*db, it.key.to_vec(), text)
                })
            })
            .collect();
        out.sort();
        out
    }

    fn run(e: &Engine, argv: &[&str]) {
        let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        dispatch(e, &mut Context::default(), &argv).expect("command");
    }

    fn reload(snap: &Snapshot) -> Snapshot {
        let mut file = Vec::new();
        write(snap, &mut file, 0).expect("write");
        let mut ks = Keyspace::default();
        load(&mut &file[..], file.len() as u64, Path::new("test.edb"), &mut ks, &mut |_| {}).expect("load");
        Snapshot::capture(&mut ks)
    }

    /// The capture shares list and stream nodes with the live keyspace: writes made after
    /// it, while it is being written out, must not reach the file.
    #[test]
    fn writes_after_capture_do_not_reach_the_snapshot() {
        let e = Engine::new();
        let big = "x".repeat(100);
        for i in 0..3000 {
            run(&e, &["RPUSH", "q", &format!("{i}{big}")]);
            run(&e, &["XADD", "s", &format!("{}-1", i + 1), "f", &format!("{i}{big}")]);
        }
        run(&e, &["SET", "k", "v"]);
        let first = e.execute(Snapshot::capture);
        let want = render(&first);
        run(&e, &["LPUSH", "q", "new-head"]);
        run(&e, &["RPUSH", "q", "new-tail"]);
        run(&e, &["LSET", "q", "1500", &format!("1500{big}").replace('x', "y")]);
        run(&e, &["LINSERT", "q", "BEFORE", &format!("2000{big}"), "inserted"]);
        run(&e, &["LREM", "q", "1", &format!("2500{big}")]);
        run(&e, &["LPOP", "q", "10"]);
        run(&e, &["LTRIM", "q", "5", "-5"]);
        run(&e, &["XADD", "s", "*", "f", "new"]);
        run(&e, &["XDEL", "s", "1500-1", "2999-1"]);
        run(&e, &["XTRIM", "s", "MAXLEN", "1234"]);
        // A second capture while the first is alive, then more writes.
        let second = e.execute(Snapshot::capture);
        let want_second = render(&second);
        run(&e, &["RPOP", "q", "100"]);
        run(&e, &["XADD", "s", "*", "f", "newer"]);
        run(&e, &["XTRIM", "s", "MINID", "2000"]);
        run(&e, &["DEL", "k"]);
        assert_eq!(render(&reload(&first)), want);
        assert_eq!(render(&reload(&second)), want_second);
        assert_ne!(want, want_second);
        let now = e.execute(Snapshot::capture);
        assert_ne!(render(&now), want_second);
    }
}
