//! Pub/sub: the registry of channel and pattern subscriptions, and each subscriber's
//! bounded mailbox. Fire-and-forget as in Redis: nothing here is persisted or replayed.
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

use super::db::{Key, Map};
use super::glob::glob_match;
use super::waiters::Wake;
use super::Engine;

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

/// The four subscription commands, whose confirmations carry their names.
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
}

impl Kind {
    /// The confirmation's first element as Redis sends it (`subscribe`, `punsubscribe`…).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Subscribe => "subscribe",
            Kind::Unsubscribe => "unsubscribe",
            Kind::PSubscribe => "psubscribe",
            Kind::PUnsubscribe => "punsubscribe",
        }
    }

    fn is_pattern(self) -> bool {
        matches!(self, Kind::PSubscribe | Kind::PUnsubscribe)
    }
}

/// What a subscriber reads, in the order Redis would have written it to its connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message on a channel the subscriber is subscribed to (`message`).
    Message(Arc<Message>),
    /// A message on a channel matching one of its patterns (`pmessage`).
    PMessage {
        /// The pattern it matched (shared with the registry).
        pattern: Arc<[u8]>,
        /// The message.
        message: Arc<Message>,
    },
    /// A (un)subscribe confirmation: the name (`None` for an UNSUBSCRIBE/PUNSUBSCRIBE with
    /// nothing to leave) and the subscriber's subscriptions (channels + patterns) after it.
    Confirm {
        /// Which command it confirms.
        kind: Kind,
        /// The channel or pattern.
        name: Option<Key>,
        /// Channels plus patterns the subscriber holds afterwards.
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

/// One member of a channel's or a pattern's subscriber list.
#[derive(Debug, Clone)]
struct Member {
    id: SubscriberId,
    mailbox: Arc<Mailbox>,
}

/// A pattern and its subscribers.
#[derive(Debug)]
struct PatternSubs {
    pattern: Arc<[u8]>,
    members: Vec<Member>,
}

/// What one subscriber is subscribed to (the registry's side of a Redis client's
/// `pubsub_channels`/`pubsub_patterns`).
#[derive(Debug)]
struct Subscriptions {
    /// Channel → order of subscription (UNSUBSCRIBE with no argument leaves them in order).
    channels: Map<Key, u64>,
    /// Pattern → order of subscription.
    patterns: Map<Key, u64>,
    /// Next order number.
    seq: u64,
}

impl Subscriptions {
    fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    fn in_order(map: &Map<Key, u64>) -> Vec<Key> {
        let mut v: Vec<(&Key, &u64)> = map.iter().collect();
        v.sort_unstable_by_key(|(_, s)| **s);
        v.into_iter().map(|(k, _)| k.clone()).collect()
    }
}

/// Every subscription of one engine. Lives in the `Keyspace`, so it is touched only under
/// the keyspace lock.
#[derive(Debug, Default)]
pub struct Registry {
    /// Channel → its subscribers, in subscription order (Redis `server.pubsub_channels`).
    /// No empty lists.
    channels: Map<Key, Vec<Member>>,
    /// Patterns in order of first subscription, each with its subscribers (Redis
    /// `server.pubsub_patterns`). No empty lists.
    patterns: Vec<PatternSubs>,
    /// Subscriber → what it holds. Only subscribers with at least one subscription.
    subscribers: Map<SubscriberId, Subscriptions>,
    /// The backlog limits of this engine's subscribers.
    limits: Limits,
    /// Wakes gathered by the current unit, fired by `Engine::finish_unit` after unlocking.
    wakes: Vec<Wake>,
}

impl Registry {
    /// PUBLISH channel message: delivers to channel subscribers (`message`), then to every
    /// subscriber of every matching pattern (`pmessage`), as `pubsubPublishMessage` in redis
    /// `src/pubsub.c`. Returns the receivers as Redis counts them: a subscriber reached
    /// through its channel and a pattern (or two patterns) counts, and receives, twice.
    /// A subscriber whose backlog this push takes past its limit is closed.
    pub fn publish(&mut self, channel: &[u8], data: &[u8]) -> usize {
        let Registry { channels, patterns, limits, wakes, .. } = self;
        let members = channels.get(channel);
        if members.is_none() && patterns.is_empty() {
            return 0;
        }
        let message = Arc::new(Message { channel: channel.into(), data: data.into() });
        let mut receivers = 0;
        let mut closed: Vec<SubscriberId> = Vec::new();
        if let Some(members) = members {
            let size = Event::Message(Arc::clone(&message)).backlog_bytes();
            for m in members {
                receivers += 1;
                if !m.mailbox.push_sized(Event::Message(Arc::clone(&message)), size, limits, wakes) {
                    closed.push(m.id);
                }
            }
        }
        for p in patterns.iter() {
            if p.members.is_empty() || !glob_match(&p.pattern, channel, false) {
                continue;
            }
            let size = Event::PMessage { pattern: Arc::clone(&p.pattern), message: Arc::clone(&message) }.backlog_bytes();
            for m in &p.members {
                receivers += 1;
                let ev = Event::PMessage { pattern: Arc::clone(&p.pattern), message: Arc::clone(&message) };
                if !m.mailbox.push_sized(ev, size, limits, wakes) {
                    closed.push(m.id);
                }
            }
        }
        for id in closed {
            self.remove_subscriber(id);
        }
        receivers
    }

    /// SUBSCRIBE / PSUBSCRIBE `names` for subscriber `id`: one confirmation each, in order,
    /// with the subscriber's count after it; a name already held is confirmed again
    /// without counting twice. Returns false if the subscription is closed (nothing done).
    pub fn subscribe(&mut self, id: SubscriberId, mailbox: &Arc<Mailbox>, names: &[&[u8]], kind: Kind) -> bool {
        debug_assert!(matches!(kind, Kind::Subscribe | Kind::PSubscribe));
        if mailbox.inbox.lock().closed.is_some() {
            return false;
        }
        for &name in names {
            let subs = self.subscribers.entry(id).or_insert_with(|| Subscriptions {
                channels: Map::default(),
                patterns: Map::default(),
                seq: 0,
            });
            let seq = subs.seq;
            let set = if kind.is_pattern() { &mut subs.patterns } else { &mut subs.channels };
            if !set.contains_key(name) {
                set.insert(name.into(), seq);
                subs.seq += 1;
                let member = Member { id, mailbox: Arc::clone(mailbox) };
                if kind.is_pattern() {
                    match self.patterns.iter_mut().find(|p| *p.pattern == *name) {
                        Some(p) => p.members.push(member),
                        None => self.patterns.push(PatternSubs { pattern: name.into(), members: vec![member] }),
                    }
                } else {
                    self.channels.entry(name.into()).or_default().push(member);
                }
            }
            let count = self.subscribers.get(&id).map_or(0, Subscriptions::count);
            let ev = Event::Confirm { kind, name: Some(name.into()), count };
            if !mailbox.push(ev, &self.limits, &mut self.wakes) {
                self.remove_subscriber(id);
                return false;
            }
        }
        true
    }

    /// UNSUBSCRIBE / PUNSUBSCRIBE `names` (none: every channel, or every pattern, in the
    /// order they were subscribed) for subscriber `id`: one confirmation per name, even for
    /// a name it did not hold; with nothing to leave, one confirmation with no name, as
    /// `pubsubUnsubscribeAllChannels` in redis `src/pubsub.c`. Returns false if the
    /// subscription is closed.
    pub fn unsubscribe(&mut self, id: SubscriberId, mailbox: &Arc<Mailbox>, names: &[&[u8]], kind: Kind) -> bool {
        debug_assert!(matches!(kind, Kind::Unsubscribe | Kind::PUnsubscribe));
        if mailbox.inbox.lock().closed.is_some() {
            return false;
        }
        let pattern = kind.is_pattern();
        let all: Vec<Key>;
        let names: Vec<&[u8]> = if names.is_empty() {
            all = self.subscribers.get(&id).map_or_else(Vec::new, |s| {
                Subscriptions::in_order(if pattern { &s.patterns } else { &s.channels })
            });
            if all.is_empty() {
                let count = self.subscribers.get(&id).map_or(0, Subscriptions::count);
                return mailbox.push(Event::Confirm { kind, name: None, count }, &self.limits, &mut self.wakes)
                    || self.closed_now(id);
            }
            all.iter().map(AsRef::as_ref).collect()
        } else {
            names.to_vec()
        };
        for name in names {
            self.leave(id, name, pattern);
            let count = self.subscribers.get(&id).map_or(0, Subscriptions::count);
            if !mailbox.push(Event::Confirm { kind, name: Some(name.into()), count }, &self.limits, &mut self.wakes) {
                return self.closed_now(id);
            }
        }
        if self.subscribers.get(&id).is_some_and(|s| s.count() == 0) {
            self.subscribers.remove(&id);
        }
        true
    }

    /// Removes a subscriber that a push just closed; always false (for `return`).
    fn closed_now(&mut self, id: SubscriberId) -> bool {
        self.remove_subscriber(id);
        false
    }

    /// Takes `name` off subscriber `id` and off the registry.
    fn leave(&mut self, id: SubscriberId, name: &[u8], pattern: bool) {
        let Some(subs) = self.subscribers.get_mut(&id) else { return };
        let held = if pattern { subs.patterns.remove(name) } else { subs.channels.remove(name) };
        if held.is_none() {
            return;
        }
        if pattern {
            if let Some(i) = self.patterns.iter().position(|p| *p.pattern == *name) {
                let members = &mut self.patterns[i].members;
                members.retain(|m| m.id != id);
                if members.is_empty() {
                    self.patterns.remove(i);
                }
            }
        } else if let Some(members) = self.channels.get_mut(name) {
            members.retain(|m| m.id != id);
            if members.is_empty() {
                self.channels.remove(name);
            }
        }
    }

    /// Drops every subscription of `id`, with no confirmations (its client went away, or
    /// was closed for its backlog).
    pub fn remove_subscriber(&mut self, id: SubscriberId) {
        let Some(subs) = self.subscribers.remove(&id) else { return };
        for name in subs.channels.keys() {
            if let Some(members) = self.channels.get_mut(name) {
                members.retain(|m| m.id != id);
                if members.is_empty() {
                    self.channels.remove(name);
                }
            }
        }
        if !subs.patterns.is_empty() {
            for p in &mut self.patterns {
                if subs.patterns.contains_key(&*p.pattern) {
                    p.members.retain(|m| m.id != id);
                }
            }
            self.patterns.retain(|p| !p.members.is_empty());
        }
    }

    /// PING in pub/sub mode: a `pong` event in the subscriber's own stream.
    pub fn ping(&mut self, id: SubscriberId, mailbox: &Arc<Mailbox>, data: &[u8]) -> bool {
        if mailbox.push(Event::Pong(data.into()), &self.limits, &mut self.wakes) {
            true
        } else {
            self.closed_now(id)
        }
    }

    /// PUBSUB CHANNELS [pattern]: channels with at least one channel subscriber (pattern
    /// subscribers do not count), matching `pattern` if given.
    pub fn channels(&self, pattern: Option<&[u8]>) -> Vec<Key> {
        self.channels
            .keys()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c, false)))
            .cloned()
            .collect()
    }

    /// PUBSUB NUMSUB: the channel subscribers of each of `channels` (patterns not counted).
    pub fn numsub(&self, channels: &[&[u8]]) -> Vec<usize> {
        channels.iter().map(|c| self.channels.get(*c).map_or(0, Vec::len)).collect()
    }

    /// PUBSUB NUMPAT: the number of distinct patterns subscribed to (Redis 7 counts
    /// patterns, not pattern subscriptions).
    pub fn numpat(&self) -> usize {
        self.patterns.len()
    }

    /// The backlog limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Sets the backlog limits; they apply from the next push.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// The wakes gathered by the unit, to fire after unlocking.
    pub fn take_wakes(&mut self) -> Vec<Wake> {
        std::mem::take(&mut self.wakes)
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

    /// SUBSCRIBE (`pattern` false) or PSUBSCRIBE `names`; confirmations go to the mailbox.
    ///
    /// # Errors
    /// The subscription was closed by the broker (see `reset`); nothing was done.
    pub fn subscribe(&self, names: &[&[u8]], pattern: bool) -> Result<(), Closed> {
        let kind = if pattern { Kind::PSubscribe } else { Kind::Subscribe };
        let ok = self.engine.execute(|ks| ks.pubsub.subscribe(self.id, &self.mailbox, names, kind));
        self.check(ok)
    }

    /// UNSUBSCRIBE (`pattern` false) or PUNSUBSCRIBE `names` (none: all).
    ///
    /// # Errors
    /// The subscription was closed by the broker.
    pub fn unsubscribe(&self, names: &[&[u8]], pattern: bool) -> Result<(), Closed> {
        let kind = if pattern { Kind::PUnsubscribe } else { Kind::Unsubscribe };
        let ok = self.engine.execute(|ks| ks.pubsub.unsubscribe(self.id, &self.mailbox, names, kind));
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

    /// `subscribe` or `unsubscribe` (`join`) inside a unit that already holds the keyspace
    /// (SUBSCRIBE queued in MULTI, run by EXEC).
    ///
    /// # Errors
    /// The subscription was closed by the broker.
    pub fn change_in(&self, ks: &mut super::Keyspace, names: &[&[u8]], join: bool, pattern: bool) -> Result<(), Closed> {
        let ok = match (join, pattern) {
            (true, false) => ks.pubsub.subscribe(self.id, &self.mailbox, names, Kind::Subscribe),
            (true, true) => ks.pubsub.subscribe(self.id, &self.mailbox, names, Kind::PSubscribe),
            (false, false) => ks.pubsub.unsubscribe(self.id, &self.mailbox, names, Kind::Unsubscribe),
            (false, true) => ks.pubsub.unsubscribe(self.id, &self.mailbox, names, Kind::PUnsubscribe),
        };
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
        s.subscribe(&[b"a", b"a", b"b"], false).unwrap();
        s.subscribe(&[b"a*", b"*"], true).unwrap();
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
        s.unsubscribe(&[], false).unwrap();
        assert_eq!(events(&s), vec![Event::Confirm { kind: Kind::Unsubscribe, name: None, count: 0 }]);
        s.subscribe(&[b"p*"], true).unwrap();
        s.unsubscribe(&[b"nope"], false).unwrap();
        s.unsubscribe(&[], true).unwrap();
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
        s.subscribe(&[b"c"], false).unwrap();
        s.subscribe(&[b"c*"], true).unwrap();
        drop(s);
        assert_eq!(e.execute(|ks| ks.pubsub.publish(b"c", b"x")), 0);
        assert!(e.execute(|ks| ks.pubsub.channels(None)).is_empty());
    }

    #[test]
    fn hard_limit_closes_and_frees_the_backlog() {
        let e = Engine::new();
        e.execute(|ks| ks.pubsub.set_limits(Limits { hard: 10_000, soft: 0, soft_seconds: Duration::ZERO }));
        let s = e.subscriber();
        s.subscribe(&[b"c"], false).unwrap();
        let mut sent = 0;
        while e.execute(|ks| ks.pubsub.publish(b"c", &[0u8; 100])) == 1 {
            sent += 1;
            assert!(sent < 1000, "never closed");
        }
        assert!(sent > 50);
        assert_eq!(s.backlog(), (0, 0));
        assert!(matches!(s.try_recv(), Recv::Closed(Closed::HardLimit { limit: 10_000, .. })));
        assert!(s.subscribe(&[b"c"], false).is_err());
        s.reset();
        assert_eq!(s.try_recv(), Recv::Empty);
        s.subscribe(&[b"c"], false).unwrap();
        assert_eq!(e.execute(|ks| ks.pubsub.publish(b"c", b"again")), 1);
    }

    #[test]
    fn soft_limit_closes_only_after_its_time() {
        let e = Engine::new();
        let limits = Limits { hard: 0, soft: 1000, soft_seconds: Duration::from_millis(50) };
        e.execute(|ks| ks.pubsub.set_limits(limits));
        let s = e.subscriber();
        s.subscribe(&[b"c"], false).unwrap();
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
        s.subscribe(&[b"c"], false).unwrap();
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
