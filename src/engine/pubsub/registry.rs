//! The registry of one engine's subscriptions: who is subscribed to which channel, pattern
//! and shard channel, and the delivery of PUBLISH and SPUBLISH to their mailboxes. Lives
//! in the `Keyspace`, so it is touched only under the keyspace lock.

use std::sync::Arc;

use super::{Event, Kind, Limits, Mailbox, Message, Space, SubscriberId};
use crate::engine::db::{Key, Map};
use crate::engine::glob::glob_match;
use crate::engine::waiters::Wake;

/// One member of a channel's, a pattern's or a shard channel's subscriber list.
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
/// `pubsub_channels`, `pubsub_patterns` and `pubsubshard_channels`).
#[derive(Debug, Default)]
struct Subscriptions {
    /// Channel → order of subscription (UNSUBSCRIBE with no argument leaves them in order).
    channels: Map<Key, u64>,
    /// Pattern → order of subscription.
    patterns: Map<Key, u64>,
    /// Shard channel → order of subscription.
    shard: Map<Key, u64>,
    /// Next order number.
    seq: u64,
}

impl Subscriptions {
    /// The count a confirmation of `space` carries. Redis 7.0 keeps two counts: channels
    /// plus patterns (`clientSubscriptionsCount`), and shard channels alone
    /// (`clientShardSubscriptionsCount`).
    fn count(&self, space: Space) -> usize {
        match space {
            Space::Channel | Space::Pattern => self.channels.len() + self.patterns.len(),
            Space::Shard => self.shard.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty()
    }

    fn set(&self, space: Space) -> &Map<Key, u64> {
        match space {
            Space::Channel => &self.channels,
            Space::Pattern => &self.patterns,
            Space::Shard => &self.shard,
        }
    }

    fn set_mut(&mut self, space: Space) -> &mut Map<Key, u64> {
        match space {
            Space::Channel => &mut self.channels,
            Space::Pattern => &mut self.patterns,
            Space::Shard => &mut self.shard,
        }
    }

    fn in_order(map: &Map<Key, u64>) -> Vec<Key> {
        let mut v: Vec<(&Key, &u64)> = map.iter().collect();
        v.sort_unstable_by_key(|(_, s)| **s);
        v.into_iter().map(|(k, _)| k.clone()).collect()
    }
}

/// Every subscription of one engine.
#[derive(Debug, Default)]
pub struct Registry {
    /// Channel → its subscribers, in subscription order (Redis `server.pubsub_channels`).
    /// No empty lists.
    channels: Map<Key, Vec<Member>>,
    /// Shard channel → its subscribers (Redis `server.pubsubshard_channels`). No empty
    /// lists.
    shard_channels: Map<Key, Vec<Member>>,
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

/// Pushes `make()` to every member of `members`: `receivers` counts them, `closed` gathers
/// those the push closed. The event's size is computed once for all.
fn deliver(
    members: &[Member],
    make: impl Fn() -> Event,
    limits: &Limits,
    wakes: &mut Vec<Wake>,
    receivers: &mut usize,
    closed: &mut Vec<SubscriberId>,
) {
    if members.is_empty() {
        return;
    }
    let size = make().backlog_bytes();
    for m in members {
        *receivers += 1;
        if !m.mailbox.push_sized(make(), size, limits, wakes) {
            closed.push(m.id);
        }
    }
}

impl Registry {
    /// Whether no channel or pattern subscription exists: a PUBLISH would reach nobody
    /// (keyspace notifications skip building their channel names then).
    #[inline]
    pub fn is_unheard(&self) -> bool {
        self.channels.is_empty() && self.patterns.is_empty()
    }

    /// PUBLISH channel message: delivers to channel subscribers (`message`), then to every
    /// subscriber of every matching pattern (`pmessage`), as `pubsubPublishMessage` in redis
    /// `src/pubsub.c`. Returns the receivers as Redis counts them: a subscriber reached
    /// through its channel and a pattern (or two patterns) counts, and receives, twice.
    /// Shard subscribers are never reached. A subscriber whose backlog this push takes past
    /// its limit is closed.
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
            deliver(members, || Event::Message(Arc::clone(&message)), limits, wakes, &mut receivers, &mut closed);
        }
        for p in patterns.iter() {
            if p.members.is_empty() || !glob_match(&p.pattern, channel, false) {
                continue;
            }
            let make = || Event::PMessage { pattern: Arc::clone(&p.pattern), message: Arc::clone(&message) };
            deliver(&p.members, make, limits, wakes, &mut receivers, &mut closed);
        }
        for id in closed {
            self.remove_subscriber(id);
        }
        receivers
    }

    /// SPUBLISH shardchannel message: delivers to the shard channel's subscribers alone
    /// (`smessage`; no patterns in that namespace), as `pubsubPublishMessageShard`.
    /// Returns how many received it.
    pub fn spublish(&mut self, channel: &[u8], data: &[u8]) -> usize {
        let Registry { shard_channels, limits, wakes, .. } = self;
        let Some(members) = shard_channels.get(channel) else { return 0 };
        let message = Arc::new(Message { channel: channel.into(), data: data.into() });
        let mut receivers = 0;
        let mut closed: Vec<SubscriberId> = Vec::new();
        deliver(members, || Event::SMessage(Arc::clone(&message)), limits, wakes, &mut receivers, &mut closed);
        for id in closed {
            self.remove_subscriber(id);
        }
        receivers
    }

    /// Runs one subscription command for subscriber `id` (see `subscribe`, `unsubscribe`).
    /// Returns false if the subscription is closed.
    pub fn change(&mut self, id: SubscriberId, mailbox: &Arc<Mailbox>, kind: Kind, names: &[&[u8]]) -> bool {
        if kind.joins() {
            self.subscribe(id, mailbox, names, kind)
        } else {
            self.unsubscribe(id, mailbox, names, kind)
        }
    }

    /// SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE `names` for subscriber `id`: one confirmation
    /// each, in order, with the count of its namespace after it; a name already held is
    /// confirmed again without counting twice. Returns false if the subscription is closed
    /// (nothing done).
    fn subscribe(&mut self, id: SubscriberId, mailbox: &Arc<Mailbox>, names: &[&[u8]], kind: Kind) -> bool {
        if mailbox.inbox.lock().closed.is_some() {
            return false;
        }
        let space = kind.space();
        for &name in names {
            let subs = self.subscribers.entry(id).or_default();
            let seq = subs.seq;
            let set = subs.set_mut(space);
            if !set.contains_key(name) {
                set.insert(name.into(), seq);
                subs.seq += 1;
                let member = Member { id, mailbox: Arc::clone(mailbox) };
                match space {
                    Space::Pattern => match self.patterns.iter_mut().find(|p| *p.pattern == *name) {
                        Some(p) => p.members.push(member),
                        None => self.patterns.push(PatternSubs { pattern: name.into(), members: vec![member] }),
                    },
                    Space::Channel => self.channels.entry(name.into()).or_default().push(member),
                    Space::Shard => self.shard_channels.entry(name.into()).or_default().push(member),
                }
            }
            let count = self.subscribers.get(&id).map_or(0, |s| s.count(space));
            let ev = Event::Confirm { kind, name: Some(name.into()), count };
            if !mailbox.push(ev, &self.limits, &mut self.wakes) {
                self.remove_subscriber(id);
                return false;
            }
        }
        true
    }

    /// UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE `names` (none: everything of that
    /// namespace, in the order subscribed) for subscriber `id`: one confirmation per name,
    /// even for a name it did not hold; with nothing to leave, one confirmation with no
    /// name, as `pubsubUnsubscribeAllChannelsInternal` in redis `src/pubsub.c`. Returns
    /// false if the subscription is closed.
    fn unsubscribe(&mut self, id: SubscriberId, mailbox: &Arc<Mailbox>, names: &[&[u8]], kind: Kind) -> bool {
        if mailbox.inbox.lock().closed.is_some() {
            return false;
        }
        let space = kind.space();
        let all: Vec<Key>;
        let names: Vec<&[u8]> = if names.is_empty() {
            all = self.subscribers.get(&id).map_or_else(Vec::new, |s| Subscriptions::in_order(s.set(space)));
            if all.is_empty() {
                let count = self.subscribers.get(&id).map_or(0, |s| s.count(space));
                return mailbox.push(Event::Confirm { kind, name: None, count }, &self.limits, &mut self.wakes)
                    || self.closed_now(id);
            }
            all.iter().map(AsRef::as_ref).collect()
        } else {
            names.to_vec()
        };
        for name in names {
            self.leave(id, name, space);
            let count = self.subscribers.get(&id).map_or(0, |s| s.count(space));
            if !mailbox.push(Event::Confirm { kind, name: Some(name.into()), count }, &self.limits, &mut self.wakes) {
                return self.closed_now(id);
            }
        }
        if self.subscribers.get(&id).is_some_and(Subscriptions::is_empty) {
            self.subscribers.remove(&id);
        }
        true
    }

    /// Removes a subscriber that a push just closed; always false (for `return`).
    fn closed_now(&mut self, id: SubscriberId) -> bool {
        self.remove_subscriber(id);
        false
    }

    /// Takes `name` of `space` off subscriber `id` and off the registry.
    fn leave(&mut self, id: SubscriberId, name: &[u8], space: Space) {
        let Some(subs) = self.subscribers.get_mut(&id) else { return };
        if subs.set_mut(space).remove(name).is_none() {
            return;
        }
        match space {
            Space::Pattern => {
                if let Some(i) = self.patterns.iter().position(|p| *p.pattern == *name) {
                    let members = &mut self.patterns[i].members;
                    members.retain(|m| m.id != id);
                    if members.is_empty() {
                        self.patterns.remove(i);
                    }
                }
            }
            Space::Channel => drop_member(&mut self.channels, name, id),
            Space::Shard => drop_member(&mut self.shard_channels, name, id),
        }
    }

    /// Drops every subscription of `id`, with no confirmations (its client went away, or
    /// was closed for its backlog).
    pub fn remove_subscriber(&mut self, id: SubscriberId) {
        let Some(subs) = self.subscribers.remove(&id) else { return };
        for name in subs.channels.keys() {
            drop_member(&mut self.channels, name, id);
        }
        for name in subs.shard.keys() {
            drop_member(&mut self.shard_channels, name, id);
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
        matching(&self.channels, pattern)
    }

    /// PUBSUB SHARDCHANNELS [pattern]: shard channels with at least one subscriber,
    /// matching `pattern` if given.
    pub fn shard_channels(&self, pattern: Option<&[u8]>) -> Vec<Key> {
        matching(&self.shard_channels, pattern)
    }

    /// PUBSUB NUMSUB: the channel subscribers of each of `channels` (patterns not counted).
    pub fn numsub(&self, channels: &[&[u8]]) -> Vec<usize> {
        channels.iter().map(|c| self.channels.get(*c).map_or(0, Vec::len)).collect()
    }

    /// PUBSUB SHARDNUMSUB: the subscribers of each of the shard `channels`.
    pub fn shard_numsub(&self, channels: &[&[u8]]) -> Vec<usize> {
        channels.iter().map(|c| self.shard_channels.get(*c).map_or(0, Vec::len)).collect()
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

/// Takes subscriber `id` off `name`'s list in `map`, and the list off `map` once empty.
fn drop_member(map: &mut Map<Key, Vec<Member>>, name: &[u8], id: SubscriberId) {
    if let Some(members) = map.get_mut(name) {
        members.retain(|m| m.id != id);
        if members.is_empty() {
            map.remove(name);
        }
    }
}

/// The names of `map` matching the glob `pattern` (all without one).
fn matching(map: &Map<Key, Vec<Member>>, pattern: Option<&[u8]>) -> Vec<Key> {
    map.keys().filter(|c| pattern.is_none_or(|p| glob_match(p, c, false))).cloned().collect()
}
