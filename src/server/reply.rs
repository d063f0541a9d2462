//! What a server command answers (`Answer`) and how answers, engine `Reply`s and pub/sub
//! events are written for a RESP2 or a RESP3 client, as Redis's `addReply*` functions
//! choose per client. Pure functions onto a byte buffer: no socket here (the mini-redis
//! lesson: handlers return values, the connection writes them).

use std::borrow::Cow;

use crate::command::Reply;
use crate::engine::pubsub::Event;
use crate::resp::{encode, Frame};

/// A server command's answer.
#[derive(Debug)]
pub enum Answer {
    /// An engine-style reply (the common case, and every engine command's).
    Reply(Reply),
    /// A frame already built for the client's protocol (HELLO's map, COMMAND's sets).
    Frame(Frame),
    /// Text that Redis sends as a verbatim string in RESP3 (`=N\r\ntxt:...`) and as a bulk
    /// string in RESP2 (INFO, CLIENT LIST, CLIENT INFO).
    Verbatim(Vec<u8>),
    /// An error reply: the whole text, its code first (`NOAUTH Authentication required.`).
    Error(Cow<'static, str>),
    /// Several answers as one array (EXEC).
    Many(Vec<Answer>),
    /// Nothing to write now (SUBSCRIBE: its confirmations come from the mailbox).
    Nothing,
    /// Pub/sub frames already encoded (those a command inside EXEC caused: its
    /// confirmations, a message it published to its own client), then the answer. One
    /// item of EXEC's array, however many frames: Redis counts commands, not replies.
    WithEvents(Vec<u8>, Box<Answer>),
}

impl From<Reply> for Answer {
    fn from(r: Reply) -> Answer {
        Answer::Reply(r)
    }
}

impl From<crate::engine::Result<Reply>> for Answer {
    fn from(r: crate::engine::Result<Reply>) -> Answer {
        match r {
            Ok(r) => Answer::Reply(r),
            Err(e) => Answer::Reply(Reply::Error(e)),
        }
    }
}

impl Answer {
    /// An error answer from a fixed text.
    pub fn err(text: &'static str) -> Answer {
        Answer::Error(Cow::Borrowed(text))
    }

    /// The error's text, if this is an error (for INFO errorstats).
    pub fn error_text(&self) -> Option<String> {
        match self {
            Answer::Error(t) => Some(t.to_string()),
            Answer::Reply(Reply::Error(e)) => Some(e.to_string()),
            Answer::Frame(Frame::Error(t)) => Some(String::from_utf8_lossy(t).into_owned()),
            _ => None,
        }
    }

    /// Appends the answer, encoded for protocol `resp` (2 or 3), to `out`.
    pub fn write(&self, resp: u8, out: &mut Vec<u8>) {
        match self {
            Answer::Reply(r) => write_reply(r, resp, out),
            Answer::Frame(f) => encode(f, out),
            Answer::Verbatim(text) => {
                if resp >= 3 {
                    header(out, b'=', text.len() + 4);
                    out.extend_from_slice(b"txt:");
                    out.extend_from_slice(text);
                    out.extend_from_slice(b"\r\n");
                } else {
                    bulk(out, text);
                }
            }
            Answer::Error(text) => error_line(out, text),
            Answer::Many(items) => {
                header(out, b'*', items.len());
                for a in items {
                    a.write(resp, out);
                }
            }
            Answer::Nothing => {}
            Answer::WithEvents(events, a) => {
                out.extend_from_slice(events);
                a.write(resp, out);
            }
        }
    }

    /// Appends only the pub/sub frames inside the answer (those of commands run by EXEC):
    /// what a client under CLIENT REPLY OFF or SKIP still gets, since Redis marks those
    /// writes as pushes (`CLIENT_PUSHING`), which the silencing does not stop.
    pub fn write_pushes(&self, out: &mut Vec<u8>) {
        match self {
            Answer::Many(items) => {
                for a in items {
                    a.write_pushes(out);
                }
            }
            Answer::WithEvents(events, a) => {
                out.extend_from_slice(events);
                a.write_pushes(out);
            }
            _ => {}
        }
    }
}

/// Appends `n` in decimal.
pub fn put_int(out: &mut Vec<u8>, n: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        // `v % 10` is below 10.
        #[allow(clippy::cast_possible_truncation)]
        {
            buf[i] = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

/// `<kind><n>\r\n`.
pub fn header(out: &mut Vec<u8>, kind: u8, n: usize) {
    out.push(kind);
    put_int(out, i64::try_from(n).unwrap_or(i64::MAX));
    out.extend_from_slice(b"\r\n");
}

/// A bulk string.
pub fn bulk(out: &mut Vec<u8>, b: &[u8]) {
    header(out, b'$', b.len());
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// An error line: `-<text>\r\n`, CR and LF turned into spaces (Redis `addReplyErrorLength`
/// keeps the protocol intact the same way).
pub fn error_line(out: &mut Vec<u8>, text: &str) {
    out.push(b'-');
    out.extend(text.bytes().map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
    out.extend_from_slice(b"\r\n");
}

/// The null of a missing value: `$-1` (RESP2) or `_` (RESP3).
fn null_bulk(out: &mut Vec<u8>, resp: u8) {
    out.extend_from_slice(if resp >= 3 { b"_\r\n" } else { b"$-1\r\n" });
}

/// Appends an engine `Reply` for protocol `resp`, as `addReply*` writes each shape: maps
/// flattened and doubles as bulk strings in RESP2, both nulls as `_` in RESP3.
pub fn write_reply(r: &Reply, resp: u8, out: &mut Vec<u8>) {
    match r {
        Reply::Ok => out.extend_from_slice(b"+OK\r\n"),
        Reply::Simple(s) => {
            out.push(b'+');
            out.extend_from_slice(s);
            out.extend_from_slice(b"\r\n");
        }
        Reply::Int(n) => {
            out.push(b':');
            put_int(out, *n);
            out.extend_from_slice(b"\r\n");
        }
        Reply::Bulk(b) => bulk(out, b),
        Reply::Nil => null_bulk(out, resp),
        Reply::NilArray => out.extend_from_slice(if resp >= 3 { b"_\r\n" } else { b"*-1\r\n" }),
        Reply::Array(items) => {
            header(out, b'*', items.len());
            for i in items {
                write_reply(i, resp, out);
            }
        }
        Reply::Set(items) => {
            header(out, if resp >= 3 { b'~' } else { b'*' }, items.len());
            for i in items {
                write_reply(i, resp, out);
            }
        }
        Reply::Double(d) => {
            // Redis 7.0's `addReplyDouble`: `%.17g` in both protocols.
            let text = crate::engine::zset::format_score(*d);
            if resp >= 3 {
                out.push(b',');
                out.extend_from_slice(&text);
                out.extend_from_slice(b"\r\n");
            } else {
                bulk(out, &text);
            }
        }
        Reply::Map(pairs) => {
            if resp >= 3 {
                header(out, b'%', pairs.len());
            } else {
                header(out, b'*', pairs.len() * 2);
            }
            for (k, v) in pairs {
                write_reply(k, resp, out);
                write_reply(v, resp, out);
            }
        }
        Reply::Error(e) => error_line(out, &e.to_string()),
    }
}

/// Appends one pub/sub event as Redis writes it to a subscriber: an array in RESP2, a push
/// in RESP3 (`addReplyPubsubMessage`, `addReplyPubsubSubscribed`…). `Pong` only occurs for
/// RESP2 clients (PING in subscribed mode answers `["pong", arg]`). Every event but `Pong`
/// is a push, which the connection writes whatever CLIENT REPLY says.
pub fn write_event(ev: &Event, resp: u8, out: &mut Vec<u8>) {
    let agg = if resp >= 3 { b'>' } else { b'*' };
    match ev {
        Event::Message(m) => {
            header(out, agg, 3);
            bulk(out, b"message");
            bulk(out, &m.channel);
            bulk(out, &m.data);
        }
        Event::SMessage(m) => {
            header(out, agg, 3);
            bulk(out, b"smessage");
            bulk(out, &m.channel);
            bulk(out, &m.data);
        }
        Event::PMessage { pattern, message } => {
            header(out, agg, 4);
            bulk(out, b"pmessage");
            bulk(out, pattern);
            bulk(out, &message.channel);
            bulk(out, &message.data);
        }
        Event::Confirm { kind, name, count } => {
            header(out, agg, 3);
            bulk(out, kind.name().as_bytes());
            match name {
                Some(n) => bulk(out, n),
                None => null_bulk(out, resp),
            }
            out.push(b':');
            put_int(out, i64::try_from(*count).unwrap_or(i64::MAX));
            out.extend_from_slice(b"\r\n");
        }
        Event::Pong(data) => {
            header(out, b'*', 2);
            bulk(out, b"pong");
            bulk(out, data);
        }
    }
}

/// A map frame for protocol `resp`: `%` in RESP3, a flat array in RESP2.
pub fn map_frame(resp: u8, pairs: Vec<(Frame, Frame)>) -> Frame {
    if resp >= 3 {
        Frame::Map(pairs)
    } else {
        Frame::Array(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect())
    }
}

/// A set frame for protocol `resp`: `~` in RESP3, an array in RESP2.
pub fn set_frame(resp: u8, items: Vec<Frame>) -> Frame {
    if resp >= 3 {
        Frame::Set(items)
    } else {
        Frame::Array(items)
    }
}

/// A bulk frame from text.
pub fn bulk_frame(s: impl AsRef<[u8]>) -> Frame {
    Frame::Bulk(s.as_ref().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(r: &Reply, resp: u8) -> Vec<u8> {
        let mut out = Vec::new();
        write_reply(r, resp, &mut out);
        out
    }

    #[test]
    fn replies_are_written_per_protocol() {
        assert_eq!(enc(&Reply::Nil, 2), b"$-1\r\n");
        assert_eq!(enc(&Reply::Nil, 3), b"_\r\n");
        assert_eq!(enc(&Reply::NilArray, 2), b"*-1\r\n");
        assert_eq!(enc(&Reply::Int(-42), 2), b":-42\r\n");
        assert_eq!(enc(&Reply::Int(i64::MIN), 2), b":-9223372036854775808\r\n");
        let m = Reply::Map(vec![(Reply::Bulk(b"a".to_vec()), Reply::Int(1))]);
        assert_eq!(enc(&m, 2), b"*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&m, 3), b"%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&Reply::Double(1.5), 2), b"$3\r\n1.5\r\n");
        assert_eq!(enc(&Reply::Double(1.5), 3), b",1.5\r\n");
    }

    #[test]
    fn error_text_stays_on_one_line() {
        let mut out = Vec::new();
        error_line(&mut out, "ERR a\r\nb");
        assert_eq!(out, b"-ERR a  b\r\n");
    }
}
