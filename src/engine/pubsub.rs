//! Pub/sub: each subscriber's bounded mailbox and its handle (`Subscriber`); the registry
//! of who is subscribed to what is `registry.rs`. Fire-and-forget as in Redis: nothing here
//! is persisted or replayed.
//!
//! Three namespaces, as in Redis 7.0 on one node: channels (SUBSCRIBE, reached by
//! PUBLISH), patterns (PSUBSCRIBE, matched against PUBLISH's channel) and shard channels
//! (SSUBSCRIBE, reached only by SPUBLISH, no patterns). A shard channel and a channel of
//! the same name are two different things.
//!
//! PUBLISH runs under the keyspace lock like every command, so it has its place in the one
//! total order; it puts one shared `Arc<Message>` into the mailbox of every subscriber it
//! reaches and schedules their wakes, which `Engine::finish_unit` fires once the lock is
//! released. Readers take only their own mailbox's lock. Knows nothing of RESP or Python.
//!
//! Lock order: keyspace, then a mailbox. A reader never holds its mailbox while taking the
//! keyspace.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use super::db::Key;
use super::waiters::Wake;
use super::Engine;

mod registry;

pub use registry::Registry;

/// Identifies one subscriber (one Redis client in pub/sub mode) for its whole life.
pub type SubscriberId = u64;

/// Source of subscriber ids, shared by every engine of the process; never reused.
static NEXT_SUBSCRIBER: AtomicU64 = AtomicU64::new(1);

/// One published message. Every subscriber it reaches holds the same allocation.
#[derive(Debug, PartialEq, Eq)]
pub struct Message {
    /// The channel it was published to.
    pub channel: Box<[u8]>,
    /// The payload.
    pub data: Box<[u8]>,
}

/// The six subscription commands, whose confirmations carry their names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE.
    Subscribe,
    /// UNSUBSCRIBE.
    Unsubscribe,
    /// PSUBSCRIBE.
    PSubscribe,
    /// PUNSUBSCRIBE.
    PUnsubscribe,
    /// SSUBSCRIBE.
    SSubscribe,
    /// SUNSUBSCRIBE.
    SUnsubscribe,
}

/// Which namespace a subscription lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    /// Channels: SUBSCRIBE, reached by PUBLISH.
    Channel,
    /// Glob patterns: PSUBSCRIBE, matched against PUBLISH's channel.
    Pattern,
    /// Shard channels: SSUBSCRIBE, reached by SPUBLISH only.
    Shard,
}

impl Kind {
    /// Every kind, for lookups by name.
    const ALL: [Kind; 6] =
        [Kind::Subscribe, Kind::Unsubscribe, Kind::PSubscribe, Kind::PUnsubscribe, Kind::SSubscribe, Kind::SUnsubscribe];

    /// The confirmation's first element as Redis sends it (`subscribe`, `punsubscribe`…),
    /// which is also the command's name in lower case.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Subscribe => "subscribe",
            Kind::Unsubscribe => "unsubscribe",
            Kind::PSubscribe => "psubscribe",
            Kind::PUnsubscribe => "punsubscribe",
            Kind::SSubscribe => "ssubscribe",
            Kind::SUnsubscribe => "sunsubscribe",
        }
    }

    /// The kind whose command is named `name` (any case).
    pub fn from_command(name: &[u8]) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| name.eq_ignore_ascii_case(k.name().as_bytes()))
    }

    /// The namespace it works on.
    pub fn space(self) -> Space {
        match self {
            Kind::Subscribe | Kind::Unsubscribe => Space::Channel,
            Kind::PSubscribe | Kind::PUnsubscribe => Space::Pattern,
            Kind::SSubscribe | Kind::SUnsubscribe => Space::Shard,
        }
    }

    /// Whether it subscribes (else it unsubscribes).
    pub fn joins(self) -> bool {
        matches!(self, Kind::Subscribe | Kind::PSubscribe | Kind::SSubscribe)
    }
}

/// What a subscriber reads, in the order Redis would have written it to its connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message on a channel the subscriber is subscribed to (`message`).
    Message(Arc<Message>),
    /// A message on a shard channel the subscriber is subscribed to (`smessage`).
    SMessage(Arc<Message>),
    /// A message on a channel matching one of its patterns (`pmessage`).
    PMessage {
        /// The pattern it matched (shared with the registry).
        pattern: Arc<[u8]>,
        /// The message.
        message: Arc<Message>,
    },
    /// A (un)subscribe confirmation: the name (`None` for an unsubscribe with nothing to
    /// leave) and the subscriber's count after it, as Redis 7.0 reports it: channels plus
    /// patterns for the first four kinds, shard channels alone for SSUBSCRIBE/SUNSUBSCRIBE.
    Confirm {
        /// Which command it confirms.
        kind: Kind,
        /// The channel, pattern or shard channel.
        name: Option<Key>,
        /// The count afterwards (see above).
        count: usize,
    },
    /// The answer to a PING made in pub/sub mode: its argument, or empty.
    Pong(Box<[u8]>),
}

/// Length of a RESP2 bulk string of `n` bytes: `$<n>\r\n<bytes>\r\n`.
fn bulk_len(n: usize) -> usize {
    let mut digits = 1;
    let mut v = n;
    while v >= 10 {
        v /= 10;
        digits += 1;
    }
    1 + digits + 2 + n + 2
}

impl Event {
    /// Bytes this event counts for in its subscriber's backlog: the size of the reply Redis
    /// would keep in that client's output buffer (RESP2), which is what Redis's
    /// `client-output-buffer-limit pubsub` measures. A message reaching many subscribers
    /// is stored once, but counts in full for each, as in Redis.
    pub fn backlog_bytes(&self) -> usize {
        match self {
            Event::Message(m) => 4 + bulk_len(7) + bulk_len(m.channel.len()) + bulk_len(m.data.len()),
            Event::SMessage(m) => 4 + bulk_len(8) + bulk_len(m.channel.len()) + bulk_len(m.data.len()),
            Event::PMessage { pattern, message } => {
                4 + bulk_len(8) + bulk_len(pattern.len()) + bulk_len(message.channel.len()) + bulk_len(message.data.len())
            }
            Event::Confirm { kind, name, .. } => {
                4 + bulk_len(kind.name().len()) + name.as_ref().map_or(5, |n| bulk_len(n.len())) + 24
            }
            Event::Pong(data) => 4 + bulk_len(4) + bulk_len(data.len()),
        }
    }
}

/// Backlog limits of every subscriber of one engine, as Redis's
/// `client-output-buffer-limit pubsub <hard> <soft> <soft-seconds>`. 0 disables a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A subscriber whose backlog reaches this many bytes is closed at once.
    pub hard: usize,
    /// A subscriber whose backlog stays at or above this many bytes for longer than
    /// `soft_seconds` is closed.
    pub soft: usize,
    /// How long the backlog may stay at or above `soft`.
    pub soft_seconds: Duration,
}

impl Default for Limits {
    /// Redis's defaults for pub/sub clients: 32 MB hard, 8 MB for 60 s.
    fn default() -> Self {
        Limits { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, soft_seconds: Duration::from_secs(60) }
    }
}

/// Why a subscription was closed by the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    /// The backlog reached the hard limit.
    HardLimit {
        /// The backlog in bytes when it was closed.
        backlog: usize,
        /// The limit.
        limit: usize,
    },
    /// The backlog stayed at or above the soft limit for longer than allowed.
    SoftLimit {
        /// The backlog in bytes when it was closed.
        backlog: usize,
        /// The limit.
        limit: usize,
        /// How long it may stay above it.
        seconds: Duration,
    },
}

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Closed::HardLimit { backlog, limit } => write!(
                f,
                "subscription closed by the broker: {backlog} bytes of unread messages reached \
                 the hard limit of {limit} bytes (client-output-buffer-limit pubsub); its \
                 backlog was dropped. Read faster, or raise the limits with \
                 Broker.set_pubsub_limits(), then subscribe again"
            ),
            Closed::SoftLimit { backlog, limit, seconds } => write!(
                f,
                "subscription closed by the broker: unread messages stayed above the soft \
                 limit of {limit} bytes for more than {} s ({backlog} bytes when closed; \
                 client-output-buffer-limit pubsub); its backlog was dropped. Read faster, or \
                 raise the limits with Broker.set_pubsub_limits(), then subscribe again",
                seconds.as_secs_f64()
            ),
        }
    }
}

/// What a read from a mailbox found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recv {
    /// The next event.
    Event(Event),
    /// Nothing by the deadline, or the reader was woken to look at something else (a
    /// `wake_readers` call, a reset).
    Empty,
    /// The subscription was closed by the broker; it stays so until `Subscriber::reset`.
    Closed(Closed),
}

/// A subscriber's queue of unread events.
#[derive(Debug, Default)]
struct Inbox {
    /// Unread events, oldest first, each with the bytes it counts for.
    events: VecDeque<(Event, usize)>,
    /// Sum of the counted bytes of `events`.
    bytes: usize,
    /// Since when the backlog has been at or above the soft limit (checked on each push, as
    /// Redis checks on each write).
    over_soft_since: Option<Instant>,
    /// Set when the broker closed the subscription; `events` is then empty.
    closed: Option<Closed>,
    /// Readers waiting for the next event; taken (to be fired after the keyspace lock is
    /// released) by the push that gives them one.
    wakes: Vec<Wake>,
    /// Bumped by `wake_readers`, so that a waiting future can tell it was called.
    interrupts: u64,
}

impl Inbox {
    fn pop(&mut self) -> Option<Event> {
        let (ev, size) = self.events.pop_front()?;
        self.bytes -= size;
        Some(ev)
    }

    /// Which limit the backlog breaks now, if any (Redis `checkClientOutputBufferLimits`).
    fn over_limit(&mut self, limits: &Limits) -> Option<Closed> {
        let used = self.bytes;
        if limits.hard > 0 && used >= limits.hard {
            return Some(Closed::HardLimit { backlog: used, limit: limits.hard });
        }
        if limits.soft > 0 && used >= limits.soft {
            let now = Instant::now();
            match self.over_soft_since {
                None => self.over_soft_since = Some(now),
                Some(since) if now.duration_since(since) > limits.soft_seconds => {
                    return Some(Closed::SoftLimit { backlog: used, limit: limits.soft, seconds: limits.soft_seconds });
                }
                Some(_) => {}
            }
        } else {
            self.over_soft_since = None;
        }
        None
    }
}

/// A subscriber's mailbox: shared by the registry (writers, under the keyspace lock) and
/// the subscriber's handle (the reader).
#[derive(Debug, Default)]
pub struct Mailbox {
    /// The queue. Writers lock it inside the keyspace lock; readers alone.
    inbox: Mutex<Inbox>,
    /// Where a reading thread parks (with `inbox`'s mutex); fired through `Wake::Thread`.
    cv: Arc<Condvar>,
}

impl Mailbox {
    /// Appends `ev`, checks the limits, and moves the readers' wakes to `wakes`. Returns
    /// false when this push closed the subscription (its backlog is dropped then).
    fn push(&self, ev: Event, limits: &Limits, wakes: &mut Vec<Wake>) -> bool {
        let size = ev.backlog_bytes();
        self.push_sized(ev, size, limits, wakes)
    }

    /// `push` with the event's `backlog_bytes` already known (PUBLISH computes it once
    /// for all the subscribers of a channel or a pattern).
    fn push_sized(&self, ev: Event, size: usize, limits: &Limits, wakes: &mut Vec<Wake>) -> bool {
        let mut inbox = self.inbox.lock();
        if inbox.closed.is_some() {
            return false;
        }
        inbox.events.push_back((ev, size));
        inbox.bytes += size;
        let open = match inbox.over_limit(limits) {
            None => true,
            Some(why) => {
                inbox.closed = Some(why);
                // Free the memory now: this is the point of the limit.
                inbox.events = VecDeque::new();
                inbox.bytes = 0;
                inbox.over_soft_since = None;
                false
            }
        };
        wakes.append(&mut inbox.wakes);
        open
    }
}

/// A subscriber: what one Redis client in pub/sub mode is, minus the socket. Dropping it
/// drops its subscriptions, as a closed connection does.
#[derive(Debug)]
pub struct Subscriber {
    engine: Engine,
    id: SubscriberId,
    mailbox: Arc<Mailbox>,
}

impl Engine {
    /// A new subscriber of this engine, subscribed to nothing.
    pub fn subscriber(&self) -> Subscriber {
        Subscriber {
            engine: self.clone(),
            id: NEXT_SUBSCRIBER.fetch_add(1, Ordering::Relaxed),
            mailbox: Arc::new(Mailbox::default()),
        }
    }
}

impl Subscriber {
    /// Its id.
    pub fn id(&self) -> SubscriberId {
        self.id
    }

    /// Runs one of the six subscription commands on `names` (for an unsubscribe, none
    /// means all of its namespace); the confirmations go to the mailbox.
    ///
    /// # Errors
    /// The subscription was closed by the broker (see `reset`); nothing was done.
    pub fn change(&self, kind: Kind, names: &[&[u8]]) -> Result<(), Closed> {
        let ok = self.engine.execute(|ks| ks.pubsub.change(self.id, &self.mailbox, kind, names));
        self.check(ok)
    }

    /// PING: a `pong` event carrying `data` joins the stream.
    ///
    /// # Errors
    /// The subscription was closed by the broker.
    pub fn ping(&self, data: &[u8]) -> Result<(), Closed> {
        let ok = self.engine.execute(|ks| ks.pubsub.ping(self.id, &self.mailbox, data));
        self.check(ok)
    }

    /// `change` inside a unit that already holds the keyspace (SUBSCRIBE queued in MULTI,
    /// run by EXEC).
    ///
    /// # Errors
    /// The subscription was closed by the broker.
    pub fn change_in(&self, ks: &mut super::Keyspace, kind: Kind, names: &[&[u8]]) -> Result<(), Closed> {
        let ok = ks.pubsub.change(self.id, &self.mailbox, kind, names);
        self.check(ok)
    }

    /// `ping` inside a unit that already holds the keyspace.
    ///
    /// # Errors
    /// The subscription was closed by the broker.
    pub fn ping_in(&self, ks: &mut super::Keyspace, data: &[u8]) -> Result<(), Closed> {
        let ok = ks.pubsub.ping(self.id, &self.mailbox, data);
        self.check(ok)
    }

    fn check(&self, ok: bool) -> Result<(), Closed> {
        if ok {
            return Ok(());
        }
        Err(self.mailbox.inbox.lock().closed.clone().unwrap_or(Closed::HardLimit { backlog: 0, limit: 0 }))
    }

    /// The next event if there is one, without waiting.
    pub fn try_recv(&self) -> Recv {
        let mut inbox = self.mailbox.inbox.lock();
        Self::take(&mut inbox)
    }

    fn take(inbox: &mut Inbox) -> Recv {
        if let Some(ev) = inbox.pop() {
            return Recv::Event(ev);
        }
        match &inbox.closed {
            Some(c) => Recv::Closed(c.clone()),
            None => Recv::Empty,
        }
    }

    /// Waits on this thread for the next event until `until`, or until woken by
    /// `wake_readers`; `Recv::Empty` then.
    ///
    /// # Blocking
    /// Up to `until`. Call without the GIL.
    pub fn recv_until(&self, until: Instant) -> Recv {
        let mut inbox = self.mailbox.inbox.lock();
        let got = Self::take(&mut inbox);
        if got != Recv::Empty {
            return got;
        }
        // One thread wake is enough: readers of one subscriber are one at a time in
        // practice, and a second reader still re-checks at its deadline.
        if !inbox.wakes.iter().any(|w| matches!(w, Wake::Thread(_))) {
            inbox.wakes.push(Wake::Thread(Arc::clone(&self.mailbox.cv)));
        }
        let timed_out = self.mailbox.cv.wait_until(&mut inbox, until).timed_out();
        if timed_out {
            inbox.wakes.retain(|w| !matches!(w, Wake::Thread(_)));
        }
        Self::take(&mut inbox)
    }

    /// A future of the next event; dropping it before it completes leaves every event in
    /// the mailbox (nothing is taken until the poll that returns it).
    pub fn recv(&self) -> RecvFuture {
        RecvFuture { mailbox: Arc::clone(&self.mailbox), interrupts: None, waker: None }
    }

    /// Wakes every reader waiting on this subscriber; each returns `Recv::Empty` (a thread
    /// at once, a future on its next poll) and can look at why.
    pub fn wake_readers(&self) {
        let wakes = {
            let mut inbox = self.mailbox.inbox.lock();
            inbox.interrupts += 1;
            std::mem::take(&mut inbox.wakes)
        };
        self.mailbox.cv.notify_all();
        for w in wakes {
            if let Wake::Task(_) = w {
                w.wake();
            }
        }
    }

    /// Drops every subscription and every unread event, silently (as a client that
    /// disconnects and reconnects), and reopens a subscription the broker had closed.
    /// Waiting readers are woken.
    pub fn reset(&self) {
        self.engine.execute(|ks| {
            ks.pubsub.remove_subscriber(self.id);
            let mut inbox = self.mailbox.inbox.lock();
            inbox.events = VecDeque::new();
            inbox.bytes = 0;
            inbox.over_soft_since = None;
            inbox.closed = None;
        });
        self.wake_readers();
    }

    /// (unread events, bytes they count for): the backlog the limits apply to.
    pub fn backlog(&self) -> (usize, usize) {
        let inbox = self.mailbox.inbox.lock();
        (inbox.events.len(), inbox.bytes)
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.engine.execute(|ks| ks.pubsub.remove_subscriber(self.id));
    }
}

/// The next event of a subscriber, as a future (see `Subscriber::recv`).
#[derive(Debug)]
pub struct RecvFuture {
    mailbox: Arc<Mailbox>,
    /// The mailbox's interrupt count when first polled; `None` before.
    interrupts: Option<u64>,
    /// The waker it left in the mailbox, to take back if dropped while pending.
    waker: Option<Waker>,
}

impl Future for RecvFuture {
    type Output = Recv;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Recv> {
        let this = self.get_mut();
        let mut inbox: MutexGuard<'_, Inbox> = this.mailbox.inbox.lock();
        let got = Subscriber::take(&mut inbox);
        if got != Recv::Empty {
            return Poll::Ready(got);
        }
        let seen = *this.interrupts.get_or_insert(inbox.interrupts);
        if seen != inbox.interrupts {
            return Poll::Ready(Recv::Empty);
        }
        let waker = cx.waker();
        let known = inbox.wakes.iter().any(|w| matches!(w, Wake::Task(t) if t.will_wake(waker)));
        if !known {
            inbox.wakes.push(Wake::Task(waker.clone()));
        }
        this.waker = Some(waker.clone());
        Poll::Pending
    }
}

impl Drop for RecvFuture {
    fn drop(&mut self) {
        if let Some(mine) = self.waker.take() {
            // Forget our waker (another reader's stays); the events stay for the next read.
            self.mailbox.inbox.lock().wakes.retain(|w| !matches!(w, Wake::Task(t) if t.will_wake(&mine)));
        }
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn events(s: &Subscriber) -> Vec<Event> {
        let mut out = Vec::new();
        while let Recv::Event(e) = s.try_recv() {
            out.push(e);
        }
        out
    }

    fn confirm(kind: Kind, name: &[u8], count: usize) -> Event {
        Event::Confirm { kind, name: Some(name.into()), count }
    }

    #[test]
    fn publish_counts_channel_and_pattern_receivers_like_redis() {
        let e = Engine::new();
        let s = e.subscriber();
        s.change(Kind::Subscribe, &[b"a", b"a", b"b"]).unwrap();
        s.change(Kind::PSubscribe, &[b"a*", b"*"]).unwrap();
        assert_eq!(
            events(&s),
            vec![
                confirm(Kind::Subscribe, b"a", 1),
                confirm(Kind::Subscribe, b"a", 1),
                confirm(Kind::Subscribe, b"b", 2),
                confirm(Kind::PSubscribe, b"a*", 3),
                confirm(Kind::PSubscribe, b"*", 4),
            ]
        );
        assert_eq!(e.execute(|ks| ks.pubsub.publish(b"a", b"x")), 3);
        let got = events(&s);
        assert!(matches!(&got[0], Event::Message(m) if &*m.data == b"x"));
        assert!(matches!(&got[1], Event::PMessage { pattern, .. } if &**pattern == b"a*"));
        assert!(matches!(&got[2], Event::PMessage { pattern, .. } if &**pattern == b"*"));
        assert_eq!(e.execute(|ks| ks.pubsub.publish(b"zz", b"y")), 1);
        assert_eq!(e.execute(|ks| ks.pubsub.numpat()), 2);
        assert_eq!(e.execute(|ks| ks.pubsub.numsub(&[b"a", b"q"])), vec![1, 0]);
    }

    #[test]
    fn unsubscribe_all_with_nothing_held_confirms_with_no_name() {
        let e = Engine::new();
        let s = e.subscriber();
        s.change(Kind::Unsubscribe, &[]).unwrap();
        assert_eq!(events(&s), vec![Event::Confirm { kind: Kind::Unsubscribe, name: None, count: 0 }]);
        s.change(Kind::PSubscribe, &[b"p*"]).unwrap();
        s.change(Kind::Unsubscribe, &[b"nope"]).unwrap();
        s.change(Kind::PUnsubscribe, &[]).unwrap();
        assert_eq!(
            events(&s),
            vec![
                confirm(Kind::PSubscribe, b"p*", 1),
                confirm(Kind::Unsubscribe, b"nope", 1),
                confirm(Kind::PUnsubscribe, b"p*", 0),
            ]
        );
        assert_eq!(e.execute(|ks| ks.pubsub.numpat()), 0);
    }

    #[test]
    fn dropped_subscriber_leaves_the_registry() {
        let e = Engine::new();
        let s = e.subscriber();
        s.change(Kind::Subscribe, &[b"c"]).unwrap();
        s.change(Kind::PSubscribe, &[b"c*"]).unwrap();
        drop(s);
        assert_eq!(e.execute(|ks| ks.pubsub.publish(b"c", b"x")), 0);
        assert!(e.execute(|ks| ks.pubsub.channels(None)).is_empty());
    }

    #[test]
    fn hard_limit_closes_and_frees_the_backlog() {
        let e = Engine::new();
        e.execute(|ks| ks.pubsub.set_limits(Limits { hard: 10_000, soft: 0, soft_seconds: Duration::ZERO }));
        let s = e.subscriber();
        s.change(Kind::Subscribe, &[b"c"]).unwrap();
        let mut sent = 0;
        while e.execute(|ks| ks.pubsub.publish(b"c", &[0u8; 100])) == 1 {
            sent += 1;
            assert!(sent < 1000, "never closed");
        }
        assert!(sent > 50);
        assert_eq!(s.backlog(), (0, 0));
        assert!(matches!(s.try_recv(), Recv::Closed(Closed::HardLimit { limit: 10_000, .. })));
        assert!(s.change(Kind::Subscribe, &[b"c"]).is_err());
        s.reset();
        assert_eq!(s.try_recv(), Recv::Empty);
        s.change(Kind::Subscribe, &[b"c"]).unwrap();
        assert_eq!(e.execute(|ks| ks.pubsub.publish(b"c", b"again")), 1);
    }

    #[test]
    fn soft_limit_closes_only_after_its_time() {
        let e = Engine::new();
        let limits = Limits { hard: 0, soft: 1000, soft_seconds: Duration::from_millis(50) };
        e.execute(|ks| ks.pubsub.set_limits(limits));
        let s = e.subscriber();
        s.change(Kind::Subscribe, &[b"c"]).unwrap();
        for _ in 0..20 {
            assert_eq!(e.execute(|ks| ks.pubsub.publish(b"c", &[0u8; 100])), 1);
        }
        assert!(matches!(s.try_recv(), Recv::Event(_)));
        std::thread::sleep(Duration::from_millis(80));
        e.execute(|ks| ks.pubsub.publish(b"c", b"x"));
        assert!(matches!(s.try_recv(), Recv::Closed(Closed::SoftLimit { .. })));
    }

    #[test]
    fn a_thread_waiting_is_woken_by_publish() {
        let e = Engine::new();
        let s = e.subscriber();
        s.change(Kind::Subscribe, &[b"c"]).unwrap();
        let _ = events(&s);
        let e2 = e.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            e2.execute(|ks| ks.pubsub.publish(b"c", b"hi"))
        });
        let start = Instant::now();
        let mut got = Recv::Empty;
        while got == Recv::Empty && start.elapsed() < Duration::from_secs(5) {
            got = s.recv_until(Instant::now() + Duration::from_secs(5));
        }
        assert!(matches!(got, Recv::Event(Event::Message(m)) if &*m.data == b"hi"));
        assert_eq!(t.join().unwrap(), 1);
    }
}

#[cfg(test)]
mod shard_tests {
    use super::*;

    fn events(s: &Subscriber) -> Vec<Event> {
        let mut out = Vec::new();
        while let Recv::Event(e) = s.try_recv() {
            out.push(e);
        }
        out
    }

    fn confirm(kind: Kind, name: Option<&[u8]>, count: usize) -> Event {
        Event::Confirm { kind, name: name.map(Key::from), count }
    }

    #[test]
    fn shard_channels_are_a_namespace_of_their_own() {
        let e = Engine::new();
        let s = e.subscriber();
        s.change(Kind::SSubscribe, &[b"x", b"y", b"x"]).unwrap();
        s.change(Kind::Subscribe, &[b"x"]).unwrap();
        s.change(Kind::PSubscribe, &[b"*"]).unwrap();
        // Redis 7.0's two counts: shard channels alone, and channels plus patterns.
        assert_eq!(
            events(&s),
            vec![
                confirm(Kind::SSubscribe, Some(b"x"), 1),
                confirm(Kind::SSubscribe, Some(b"y"), 2),
                confirm(Kind::SSubscribe, Some(b"x"), 2),
                confirm(Kind::Subscribe, Some(b"x"), 1),
                confirm(Kind::PSubscribe, Some(b"*"), 2),
            ]
        );
        // SPUBLISH reaches the shard subscription only; PUBLISH never reaches it.
        assert_eq!(e.execute(|ks| ks.pubsub.spublish(b"x", b"s")), 1);
        assert_eq!(e.execute(|ks| ks.pubsub.publish(b"x", b"p")), 2);
        assert_eq!(e.execute(|ks| ks.pubsub.spublish(b"nobody", b"s")), 0);
        let got = events(&s);
        assert_eq!(got.len(), 3);
        assert!(matches!(&got[0], Event::SMessage(m) if &*m.channel == b"x" && &*m.data == b"s"));
        assert!(matches!(&got[1], Event::Message(m) if &*m.data == b"p"));
        assert!(matches!(&got[2], Event::PMessage { .. }));
        let mut shard = e.execute(|ks| ks.pubsub.shard_channels(None));
        shard.sort();
        assert_eq!(shard, vec![Key::from(&b"x"[..]), Key::from(&b"y"[..])]);
        assert_eq!(e.execute(|ks| ks.pubsub.shard_channels(Some(b"y*"))), vec![Key::from(&b"y"[..])]);
        assert_eq!(e.execute(|ks| ks.pubsub.channels(None)), vec![Key::from(&b"x"[..])]);
        assert_eq!(e.execute(|ks| ks.pubsub.shard_numsub(&[b"x", b"z"])), vec![1, 0]);
    }

    #[test]
    fn sunsubscribe_all_leaves_in_order_then_confirms_with_no_name() {
        let e = Engine::new();
        let s = e.subscriber();
        s.change(Kind::SSubscribe, &[b"b", b"a"]).unwrap();
        s.change(Kind::Subscribe, &[b"c"]).unwrap();
        let _ = events(&s);
        s.change(Kind::SUnsubscribe, &[b"a", b"nope"]).unwrap();
        s.change(Kind::SUnsubscribe, &[]).unwrap();
        s.change(Kind::SUnsubscribe, &[]).unwrap();
        assert_eq!(
            events(&s),
            vec![
                confirm(Kind::SUnsubscribe, Some(b"a"), 1),
                confirm(Kind::SUnsubscribe, Some(b"nope"), 1),
                confirm(Kind::SUnsubscribe, Some(b"b"), 0),
                confirm(Kind::SUnsubscribe, None, 0),
            ]
        );
        // The channel subscription is untouched.
        assert_eq!(e.execute(|ks| ks.pubsub.publish(b"c", b"m")), 1);
        assert!(e.execute(|ks| ks.pubsub.shard_channels(None)).is_empty());
    }

    #[test]
    fn dropped_or_closed_shard_subscribers_leave_the_registry() {
        let e = Engine::new();
        let s = e.subscriber();
        s.change(Kind::SSubscribe, &[b"c"]).unwrap();
        drop(s);
        assert_eq!(e.execute(|ks| ks.pubsub.spublish(b"c", b"x")), 0);
        e.execute(|ks| ks.pubsub.set_limits(Limits { hard: 2_000, soft: 0, soft_seconds: Duration::ZERO }));
        let s = e.subscriber();
        s.change(Kind::SSubscribe, &[b"c"]).unwrap();
        let mut sent = 0;
        while e.execute(|ks| ks.pubsub.spublish(b"c", &[0u8; 100])) == 1 {
            sent += 1;
            assert!(sent < 1000, "never closed");
        }
        assert!(matches!(s.try_recv(), Recv::Closed(Closed::HardLimit { limit: 2_000, .. })));
        assert!(e.execute(|ks| ks.pubsub.shard_channels(None)).is_empty());
    }

    #[test]
    fn kinds_are_found_by_command_name() {
        assert_eq!(Kind::from_command(b"SSUBSCRIBE"), Some(Kind::SSubscribe));
        assert_eq!(Kind::from_command(b"sunsubscribe"), Some(Kind::SUnsubscribe));
        assert_eq!(Kind::from_command(b"spublish"), None);
        assert!(Kind::SSubscribe.joins() && !Kind::SUnsubscribe.joins());
        assert_eq!(Kind::SUnsubscribe.space(), Space::Shard);
    }
}
