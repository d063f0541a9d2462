//! MONITOR (Redis `replicationFeedMonitors`): every command that ran, as one line of text,
//! to every monitor of the engine: `1700000000.123456 [0 127.0.0.1:54321] "lpush" "q" "a"`.
//! A monitor is a feed (a queue of lines and its readers' wakes); the registry lives in the
//! `Keyspace`, so a unit checks for monitors with a plain read of a length under the lock
//! it holds, and builds a line only when there is one. Knows nothing of RESP or Python.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use super::waiters::Wake;

/// Lines a feed may hold unread. A monitor that stops reading is closed past this, as Redis
/// closes a client past its output buffer limit, rather than growing without end.
pub const MAX_BACKLOG: usize = 100_000;

#[derive(Debug, Default)]
struct Inner {
    lines: VecDeque<Arc<[u8]>>,
    wakes: Vec<Wake>,
    closed: bool,
}

/// One monitor's queue of lines. Writers push under the keyspace lock; the reader takes
/// only this.
#[derive(Debug, Default)]
pub struct Feed {
    inner: Mutex<Inner>,
    cv: Arc<Condvar>,
}

/// What a read got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A line (without CRLF).
    Line(Arc<[u8]>),
    /// Nothing yet.
    Empty,
    /// The feed was closed (its backlog passed `MAX_BACKLOG`, or it left the registry).
    Closed,
}

impl Feed {
    /// The next line, if one is there.
    pub fn try_recv(&self) -> Line {
        let mut i = self.inner.lock();
        match i.lines.pop_front() {
            Some(l) => Line::Line(l),
            None if i.closed => Line::Closed,
            None => Line::Empty,
        }
    }

    /// The next line, waiting until `until` for one (`Empty` then).
    pub fn recv_until(&self, until: Instant) -> Line {
        let mut i = self.inner.lock();
        loop {
            if let Some(l) = i.lines.pop_front() {
                return Line::Line(l);
            }
            if i.closed {
                return Line::Closed;
            }
            if !i.wakes.iter().any(|w| matches!(w, Wake::Thread(_))) {
                i.wakes.push(Wake::Thread(Arc::clone(&self.cv)));
            }
            if self.cv.wait_until(&mut i, until).timed_out() {
                return match i.lines.pop_front() {
                    Some(l) => Line::Line(l),
                    None => Line::Empty,
                };
            }
        }
    }

    /// A future of the next line (or of the close).
    pub fn recv(self: &Arc<Self>) -> Recv {
        Recv { feed: Arc::clone(self) }
    }

    /// Closes the feed: readers get `Closed` once the lines left are read.
    pub fn close(&self) {
        let wakes = {
            let mut i = self.inner.lock();
            i.closed = true;
            std::mem::take(&mut i.wakes)
        };
        for w in wakes {
            w.wake();
        }
    }

    fn push(&self, line: &Arc<[u8]>, wakes: &mut Vec<Wake>) {
        let mut i = self.inner.lock();
        if i.closed {
            return;
        }
        if i.lines.len() >= MAX_BACKLOG {
            i.closed = true;
            i.lines = VecDeque::new();
        } else {
            i.lines.push_back(Arc::clone(line));
        }
        wakes.append(&mut i.wakes);
    }
}

/// The future of `Feed::recv`.
#[derive(Debug)]
pub struct Recv {
    feed: Arc<Feed>,
}

impl Future for Recv {
    type Output = Line;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Line> {
        let mut i = self.feed.inner.lock();
        if let Some(l) = i.lines.pop_front() {
            return Poll::Ready(Line::Line(l));
        }
        if i.closed {
            return Poll::Ready(Line::Closed);
        }
        i.wakes.retain(|w| !matches!(w, Wake::Task(t) if t.will_wake(cx.waker())));
        i.wakes.push(Wake::Task(cx.waker().clone()));
        Poll::Pending
    }
}

/// The monitors of one engine.
#[derive(Debug, Default)]
pub struct Monitors {
    feeds: Vec<Weak<Feed>>,
    wakes: Vec<Wake>,
}

impl Monitors {
    /// Whether any monitor is registered (the one check every command makes).
    #[inline]
    pub fn active(&self) -> bool {
        !self.feeds.is_empty()
    }

    /// Registers a new monitor and returns its feed; it leaves when the feed is dropped or
    /// `remove`d.
    pub fn add(&mut self) -> Arc<Feed> {
        let feed = Arc::new(Feed::default());
        self.feeds.push(Arc::downgrade(&feed));
        feed
    }

    /// Unregisters `feed` and closes it.
    pub fn remove(&mut self, feed: &Arc<Feed>) {
        self.feeds.retain(|f| f.upgrade().is_some_and(|f| !Arc::ptr_eq(&f, feed)));
        feed.close();
    }

    /// Sends the line of a command that ran in database `db`, run by the client `who`
    /// (`127.0.0.1:5000`, `unix:/path`, `python:<pid>`), to every monitor.
    pub fn feed(&mut self, db: usize, who: &str, argv: &[&[u8]]) {
        let line: Arc<[u8]> = line(db, who, argv).into();
        let mut gone = false;
        for f in &self.feeds {
            match f.upgrade() {
                Some(f) => f.push(&line, &mut self.wakes),
                None => gone = true,
            }
        }
        if gone {
            self.feeds.retain(|f| f.strong_count() > 0);
        }
    }

    /// Whether the unit gathered no wakes.
    #[inline]
    pub fn is_idle(&self) -> bool {
        self.wakes.is_empty()
    }

    /// The wakes gathered by the unit, to fire after unlocking.
    pub fn take_wakes(&mut self) -> Vec<Wake> {
        std::mem::take(&mut self.wakes)
    }
}

/// One MONITOR line: Unix time with microseconds, `[db who]`, then each argument quoted as
/// Redis's `sdscatrepr` quotes it.
pub fn line(db: usize, who: &str, argv: &[&[u8]]) -> Vec<u8> {
    use std::io::Write as _;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let mut out = Vec::with_capacity(48 + argv.iter().map(|a| a.len() + 3).sum::<usize>());
    let _ = write!(out, "{}.{:06} [{db} {who}]", now.as_secs(), now.subsec_micros());
    for a in argv {
        out.extend_from_slice(b" ");
        repr(&mut out, a);
    }
    out
}

/// `sdscatrepr`: a double-quoted string, with `\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b`
/// escaped, other printable bytes as they are, the rest as `\xhh`.
pub fn repr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_as_sdscatrepr() {
        let mut out = Vec::new();
        repr(&mut out, b"a\"b\\\n\x01\xff ok");
        assert_eq!(out, b"\"a\\\"b\\\\\\n\\x01\\xff ok\"".to_vec());
        let l = line(3, "127.0.0.1:5", &[b"lpush", b"q"]);
        let text = String::from_utf8(l).unwrap();
        let (ts, rest) = text.split_once(' ').unwrap();
        assert_eq!(rest, "[3 127.0.0.1:5] \"lpush\" \"q\"");
        assert_eq!(ts.split_once('.').unwrap().1.len(), 6);
    }

    #[test]
    fn feeds_reach_live_monitors_and_close_on_remove() {
        let mut m = Monitors::default();
        assert!(!m.active());
        let a = m.add();
        let b = m.add();
        m.feed(0, "x:1", &[b"ping"]);
        assert!(matches!(a.try_recv(), Line::Line(_)));
        assert!(matches!(b.try_recv(), Line::Line(_)));
        assert_eq!(a.try_recv(), Line::Empty);
        drop(b);
        m.feed(0, "x:1", &[b"ping"]);
        assert_eq!(m.feeds.len(), 1);
        m.remove(&a);
        assert!(!m.active());
        assert!(matches!(a.try_recv(), Line::Line(_)));
        assert_eq!(a.try_recv(), Line::Closed);
    }
}
