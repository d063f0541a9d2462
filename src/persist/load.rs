//! Replaying RESP files (the AOF's incremental files and a `.base.aof`) into the keyspace,
//! through the one command path (`command::dispatch_in`), as redis
//! `loadSingleAppendOnlyFile` does with its fake client: no blocking, no reply kept.
//!
//! The parser is strict, as Redis's loader: only `*N` arrays of `$len` bulk strings, every
//! line ended by CRLF. Damage policy (redis `aof-load-truncated yes`):
//! - the file ends inside a command, or inside a `MULTI` without its `EXEC`: a torn tail
//!   (a crash mid-write). Allowed only at the end of the last file with data; the caller
//!   cuts it off with a warning that says how many bytes.
//! - anything else (a bad byte, an unknown command, a command that fails): an error naming
//!   the file and the offset of the command. Nothing is skipped silently.

use std::io::{self, Read};
use std::path::Path;

use super::Error;
use crate::command::{self, Context};
use crate::engine::{Keyspace, DATABASES};

/// Most arguments one command may have (Redis's client limit is higher; no effect we write
/// comes close, and a damaged count must not reserve memory).
const MAX_ARGS: u64 = 1 << 20;

/// How a RESP file ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// On a command boundary, outside MULTI.
    Clean,
    /// Inside a command or a transaction: the bytes from `offset` on are a torn tail.
    Torn {
        /// Where the last complete command (or the unfinished MULTI) ends/starts.
        offset: u64,
        /// What would be cut.
        cut: u64,
    },
}

/// What a replay did.
#[derive(Debug, Clone, Copy)]
pub struct Replayed {
    /// Commands applied (MULTI/EXEC and SELECT not counted).
    pub commands: u64,
    /// How the file ended.
    pub ending: Ending,
}

/// One parsed command: argument ranges in the buffer.
type Args = Vec<(usize, usize)>;

/// Parses one command at `buf[0..]`. `Ok(None)`: incomplete. `Err((at, what))`: damage at
/// byte `at` of `buf`.
fn parse(buf: &[u8], left_in_file: u64) -> Result<Option<(Args, usize)>, (usize, String)> {
    fn line(buf: &[u8], at: usize, prefix: u8, what: &str) -> Result<Option<(u64, usize)>, (usize, String)> {
        let Some(&first) = buf.get(at) else { return Ok(None) };
        if first != prefix {
            return Err((at, format!("expected '{}' starting {what}, found byte {first:#04x}", char::from(prefix))));
        }
        let mut i = at + 1;
        let mut n: u64 = 0;
        let mut digits = 0;
        loop {
            let Some(&b) = buf.get(i) else { return Ok(None) };
            match b {
                b'0'..=b'9' => {
                    n = n
                        .checked_mul(10)
                        .and_then(|n| n.checked_add(u64::from(b - b'0')))
                        .ok_or_else(|| (at, format!("{what} overflows")))?;
                    digits += 1;
                    if digits > 19 {
                        return Err((at, format!("{what} too long")));
                    }
                }
                b'\r' => break,
                _ => return Err((i, format!("invalid byte {b:#04x} in {what}"))),
            }
            i += 1;
        }
        if digits == 0 {
            return Err((at, format!("empty {what}")));
        }
        match buf.get(i + 1) {
            None => Ok(None),
            Some(b'\n') => Ok(Some((n, i + 2))),
            Some(_) => Err((i + 1, format!("expected LF after {what}"))),
        }
    }
    let Some((argc, mut at)) = line(buf, 0, b'*', "an argument count")? else { return Ok(None) };
    if argc == 0 || argc > MAX_ARGS {
        return Err((0, format!("invalid argument count {argc}")));
    }
    let mut args = Vec::with_capacity(usize::try_from(argc).unwrap_or(0).min(1024));
    for _ in 0..argc {
        let Some((len, data)) = line(buf, at, b'$', "a bulk length")? else { return Ok(None) };
        if len > left_in_file {
            return Err((at, format!("bulk length {len} runs past the end of the file")));
        }
        let len = usize::try_from(len).map_err(|_| (at, "bulk length too large".to_owned()))?;
        let end = data + len;
        if buf.len() < end + 2 {
            return Ok(None);
        }
        if &buf[end..end + 2] != b"\r\n" {
            return Err((end, "expected CRLF after a bulk string".to_owned()));
        }
        args.push((data, end));
        at = end + 2;
    }
    Ok(Some((args, at)))
}

/// Replays the RESP file `r` (`len` bytes) into `ks`. Stops at a torn tail and reports it;
/// the caller decides whether it is allowed (last file) and cuts it.
///
/// # Errors
/// `Corrupt` with the file and offset, or `Io`.
pub fn replay(
    r: &mut dyn Read,
    len: u64,
    file: &Path,
    ks: &mut Keyspace,
    progress: &mut dyn FnMut(u64),
) -> Result<Replayed, Error> {
    scan(r, len, file, Some(ks), progress)
}

/// Checks the RESP file `r` without applying it (`check-aof`): the same parse and the same
/// damage policy; command names and arities are checked against the command table.
///
/// # Errors
/// As `replay`.
pub fn check(r: &mut dyn Read, len: u64, file: &Path) -> Result<Replayed, Error> {
    scan(r, len, file, None, &mut |_| {})
}

fn scan(
    r: &mut dyn Read,
    len: u64,
    file: &Path,
    mut ks: Option<&mut Keyspace>,
    progress: &mut dyn FnMut(u64),
) -> Result<Replayed, Error> {
    let corrupt = |offset: u64, what: String| Error::Corrupt { file: file.to_path_buf(), offset, what };
    let io_err = |e: io::Error| Error::Io { path: file.to_path_buf(), source: e };
    let mut buf: Vec<u8> = vec![0; 1 << 20];
    let (mut pos, mut end) = (0usize, 0usize);
    // File offset of buf[0].
    let mut base: u64 = 0;
    let mut eof = false;
    let mut ctx = Context::default();
    let mut commands = 0u64;
    // Inside MULTI: (offset of MULTI, queued commands as owned argv, db at MULTI).
    let mut multi: Option<(u64, Vec<Vec<Vec<u8>>>)> = None;
    let mut next_progress = 64u64 << 20;
    loop {
        let here = base + pos as u64;
        if here >= next_progress {
            progress(here);
            next_progress = here + (64 << 20);
        }
        let parsed = if pos < end { parse(&buf[pos..end], len.saturating_sub(here)) } else { Ok(None) };
        let (args, used) = match parsed {
            Err((at, what)) => return Err(corrupt(here + at as u64, what)),
            Ok(Some(p)) => p,
            Ok(None) => {
                if eof {
                    let ending = match (&multi, pos < end) {
                        (Some((at, _)), _) => Ending::Torn { offset: *at, cut: len - at },
                        (None, true) => Ending::Torn { offset: here, cut: len - here },
                        (None, false) => Ending::Clean,
                    };
                    return Ok(Replayed { commands, ending });
                }
                // Refill: keep the partial command, grow the buffer if it is bigger.
                buf.copy_within(pos..end, 0);
                base += pos as u64;
                end -= pos;
                pos = 0;
                if end == buf.len() {
                    let grow = buf.len().saturating_mul(2);
                    buf.resize(grow, 0);
                }
                let got = r.read(&mut buf[end..]).map_err(io_err)?;
                if got == 0 {
                    eof = true;
                } else {
                    end += got;
                }
                continue;
            }
        };
        let argv: Vec<&[u8]> = args.iter().map(|&(s, e)| &buf[pos + s..pos + e]).collect();
        let name = argv[0];
        if name.eq_ignore_ascii_case(b"MULTI") {
            if multi.is_some() {
                return Err(corrupt(here, "MULTI inside MULTI".into()));
            }
            multi = Some((here, Vec::new()));
        } else if name.eq_ignore_ascii_case(b"EXEC") {
            let Some((_, queued)) = multi.take() else {
                return Err(corrupt(here, "EXEC without MULTI".into()));
            };
            for q in &queued {
                let qv: Vec<&[u8]> = q.iter().map(Vec::as_slice).collect();
                apply(&mut ks, &mut ctx, &qv).map_err(|what| corrupt(here, format!("in the transaction ending here: {what}")))?;
                commands += 1;
            }
        } else if let Some((_, queued)) = multi.as_mut() {
            check_command(&argv).map_err(|what| corrupt(here, what))?;
            queued.push(argv.iter().map(|a| a.to_vec()).collect());
        } else {
            apply(&mut ks, &mut ctx, &argv).map_err(|what| corrupt(here, what))?;
            if !name.eq_ignore_ascii_case(b"SELECT") {
                commands += 1;
            }
        }
        pos += used;
    }
}

/// Checks a command's name and arity against the table (SELECT's index too).
fn check_command(argv: &[&[u8]]) -> Result<(), String> {
    let shown = || String::from_utf8_lossy(argv[0]).into_owned();
    if argv[0].eq_ignore_ascii_case(b"SELECT") {
        let db = std::str::from_utf8(argv.get(1).copied().unwrap_or_default()).ok().and_then(|s| s.parse::<usize>().ok());
        return match db {
            Some(d) if argv.len() == 2 && d < DATABASES => Ok(()),
            _ => Err("invalid SELECT".into()),
        };
    }
    let cmd = command::lookup(argv[0]).ok_or_else(|| format!("unknown command '{}'", shown()))?;
    if !cmd.arity_ok(argv.len()) {
        return Err(format!("wrong number of arguments for '{}'", cmd.name));
    }
    Ok(())
}

/// Runs one command (or only checks it, without a keyspace).
fn apply(ks: &mut Option<&mut Keyspace>, ctx: &mut Context, argv: &[&[u8]]) -> Result<(), String> {
    check_command(argv)?;
    if argv[0].eq_ignore_ascii_case(b"SELECT") {
        // check_command validated it.
        ctx.db = std::str::from_utf8(argv[1]).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
        return Ok(());
    }
    if let Some(ks) = ks.as_deref_mut() {
        command::dispatch_in(ks, ctx, argv).map_err(|e| {
            format!("'{}' failed on replay: {e}", String::from_utf8_lossy(argv[0]))
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_command_and_reports_incomplete() {
        let b = b"*2\r\n$4\r\nLPOP\r\n$1\r\nq\r\n";
        let (args, used) = parse(b, 100).unwrap().unwrap();
        assert_eq!(used, b.len());
        assert_eq!(args.len(), 2);
        for cut in 0..b.len() {
            assert!(parse(&b[..cut], 100).unwrap().is_none(), "cut {cut}");
        }
        assert!(parse(b"*2\r\n$4\r\nLPOX\r\n$1\r\nq\r\n", 100).is_ok());
        assert_eq!(parse(b"+2\r\n", 100).unwrap_err().0, 0);
        assert_eq!(parse(b"*2\r\n$4\r\nLPOPxx", 100).unwrap_err().0, 12);
    }
}
