//! Keyspace notifications (Redis `notify.c`): what a command changed, published on
//! `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>` when `notify-keyspace-events`
//! asks for that class of event.
//!
//! Called by the engine's methods, next to the effects they record, so that every door
//! (Python, the server, MULTI, a Lua script later) publishes the same events. AOF replay
//! and loading publish nothing, as in Redis (no subscriber exists then).

/// The classes of event, Redis's `NOTIFY_*` bits.
pub mod class {
    /// `K`: publish on `__keyspace@<db>__:<key>`.
    pub const KEYSPACE: u16 = 1 << 0;
    /// `E`: publish on `__keyevent@<db>__:<event>`.
    pub const KEYEVENT: u16 = 1 << 1;
    /// `g`: generic commands (DEL, EXPIRE, RENAME, …).
    pub const GENERIC: u16 = 1 << 2;
    /// `$`: string commands.
    pub const STRING: u16 = 1 << 3;
    /// `l`: list commands.
    pub const LIST: u16 = 1 << 4;
    /// `s`: set commands.
    pub const SET: u16 = 1 << 5;
    /// `h`: hash commands.
    pub const HASH: u16 = 1 << 6;
    /// `z`: sorted set commands.
    pub const ZSET: u16 = 1 << 7;
    /// `x`: expired events (a key expired, on access or by the sweep).
    pub const EXPIRED: u16 = 1 << 8;
    /// `e`: evicted events (maxmemory).
    pub const EVICTED: u16 = 1 << 9;
    /// `t`: stream commands.
    pub const STREAM: u16 = 1 << 10;
    /// `m`: key-miss events (a read found no key). Not part of `A`.
    pub const KEY_MISS: u16 = 1 << 11;
    /// `d`: module key type events (embedis has no modules: accepted, never fires).
    pub const MODULE: u16 = 1 << 12;
    /// `n`: new key events. Not part of `A`.
    pub const NEW: u16 = 1 << 13;
}

/// Every class `A` stands for (Redis `NOTIFY_ALL`): all but key-miss and new-key events.
pub const ALL: u16 = class::GENERIC
    | class::STRING
    | class::LIST
    | class::SET
    | class::HASH
    | class::ZSET
    | class::EXPIRED
    | class::EVICTED
    | class::STREAM
    | class::MODULE;

/// The letter of each class, in the order Redis prints them (`A` aside).
const LETTERS: [(u8, u16); 11] = [
    (b'g', class::GENERIC),
    (b'$', class::STRING),
    (b'l', class::LIST),
    (b's', class::SET),
    (b'h', class::HASH),
    (b'z', class::ZSET),
    (b'x', class::EXPIRED),
    (b'e', class::EVICTED),
    (b't', class::STREAM),
    (b'd', class::MODULE),
    (b'n', class::NEW),
];

/// Redis's `keyspaceEventsStringToFlags`: the flags `text` names, or `None` if it holds a
/// character that names no class.
pub fn parse_flags(text: &[u8]) -> Option<u16> {
    let mut flags = 0;
    for &c in text {
        flags |= match c {
            b'A' => ALL,
            b'K' => class::KEYSPACE,
            b'E' => class::KEYEVENT,
            b'm' => class::KEY_MISS,
            _ => LETTERS.iter().find(|(l, _)| *l == c)?.1,
        };
    }
    Some(flags)
}

/// Redis's `keyspaceEventsFlagsToString`: the canonical text of `flags` (CONFIG GET's
/// answer). With every class of `A`, `A` alone stands for them, and `n` is not printed.
pub fn format_flags(flags: u16) -> String {
    let mut out = String::new();
    if flags & ALL == ALL {
        out.push('A');
    } else {
        out.extend(LETTERS.iter().filter(|(_, bit)| flags & bit != 0).map(|(l, _)| char::from(*l)));
    }
    for (letter, bit) in [('K', class::KEYSPACE), ('E', class::KEYEVENT), ('m', class::KEY_MISS)] {
        if flags & bit != 0 {
            out.push(letter);
        }
    }
    out
}

/// The setting, as the keyspace holds it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Notify {
    /// The flags as set (CONFIG GET formats them).
    pub flags: u16,
    /// The classes that publish: `flags`, or 0 when neither `K` nor `E` is set (then no
    /// class publishes anything). The one field the hot path reads.
    pub mask: u16,
}

/// An event a database queued (a key created or expired where the database cannot
/// reach the pub/sub registry), published before the next event, by the PUBLISH command,
/// or at the end of the unit, whichever comes first: so the order subscribers see is the
/// order things happened.
#[derive(Debug)]
pub(crate) struct Pending {
    pub db: usize,
    pub class: u16,
    pub event: &'static str,
    pub key: super::db::Key,
}

impl super::Keyspace {
    /// Publishes the event `event` of class `class` (one of `class::*` but KEYSPACE and
    /// KEYEVENT) about `key` of database `db`, if `notify-keyspace-events` enables it.
    /// Costs one branch when notifications are off.
    #[inline]
    pub fn notify(&mut self, class: u16, event: &str, key: &[u8], db: usize) {
        if self.notify.mask & class != 0 {
            self.notify_now(event, key, db);
        }
    }

    /// A read found no `key` (Redis's `keymiss`, from `lookupKeyRead`): reads call it,
    /// writes never do.
    #[inline]
    pub fn key_miss(&mut self, key: &[u8], db: usize) {
        self.notify(class::KEY_MISS, "keymiss", key, db);
    }

    /// Whether `keymiss` events are wanted: readers that would need a second lookup to
    /// report a miss (their first borrow of the value is still alive) check this first,
    /// so the common case stays one lookup.
    #[inline]
    pub fn wants_key_miss(&self) -> bool {
        self.notify.mask & class::KEY_MISS != 0
    }

    /// `found`, or `missing` after a `keymiss` for `key` when a read found nothing.
    #[inline]
    pub fn missing_as<T>(&mut self, found: Option<T>, key: &[u8], db: usize, missing: T) -> T {
        found.unwrap_or_else(|| {
            self.key_miss(key, db);
            missing
        })
    }

    /// `notify`'s work, out of line so the check stays small where it is inlined.
    #[cold]
    #[inline(never)]
    fn notify_now(&mut self, event: &str, key: &[u8], db: usize) {
        self.flush_events();
        self.publish_event(event, key, db);
    }

    /// Publishes on the keyspace channel, then the keyevent channel, as `notifyKeyspaceEvent`.
    fn publish_event(&mut self, event: &str, key: &[u8], db: usize) {
        if self.pubsub.is_unheard() {
            return;
        }
        let flags = self.notify.flags;
        if flags & class::KEYSPACE != 0 {
            let mut channel = format!("__keyspace@{db}__:").into_bytes();
            channel.extend_from_slice(key);
            self.pubsub.publish(&channel, event.as_bytes());
        }
        if flags & class::KEYEVENT != 0 {
            let channel = format!("__keyevent@{db}__:{event}");
            self.pubsub.publish(channel.as_bytes(), key);
        }
    }

    /// Publishes the events the databases queued (see `Pending`). One load when none is.
    #[inline]
    pub fn flush_events(&mut self) {
        // The setting first: a field of the keyspace, where the flag is behind a pointer.
        // (`set_notify_flags` flushes before turning notifications off.)
        if self.notify.mask != 0 && self.dbs[0].queued.events_due.load(std::sync::atomic::Ordering::Relaxed) {
            self.flush_events_now();
        }
    }

    #[cold]
    fn flush_events_now(&mut self) {
        let queued = std::sync::Arc::clone(&self.dbs[0].queued);
        queued.events_due.store(false, std::sync::atomic::Ordering::Relaxed);
        let pending = std::mem::take(&mut *queued.events.lock());
        for p in pending {
            // The setting may have changed since (a CONFIG SET in the same MULTI).
            if self.notify.mask & p.class != 0 {
                self.publish_event(p.event, &p.key, p.db);
            }
        }
    }

    /// Sets `notify-keyspace-events` to `flags` (parsed by `parse_flags`).
    pub fn set_notify_flags(&mut self, flags: u16) {
        self.flush_events();
        let mask = if flags & (class::KEYSPACE | class::KEYEVENT) != 0 { flags } else { 0 };
        self.notify = Notify { flags, mask };
        for d in &mut self.dbs {
            d.notify = mask;
        }
    }

    /// `notify-keyspace-events` as CONFIG GET prints it.
    pub fn notify_flags_text(&self) -> String {
        format_flags(self.notify.flags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_and_print_as_redis() {
        let round = |s: &str| format_flags(parse_flags(s.as_bytes()).expect(s));
        assert_eq!(round("KEA"), "AKE");
        assert_eq!(round("KEAmn"), "AKEm");
        assert_eq!(round(""), "");
        assert_eq!(round("gK"), "gK");
        assert_eq!(round("Elg"), "glE");
        assert_eq!(round("nd$x"), "$xdn");
        assert_eq!(round("g$lshzxetd"), "A");
        assert_eq!(round("g$lshzxetdnmKE"), "AKEm");
        assert_eq!(round("tezhslxg$n"), "g$lshzxetn");
        assert_eq!(parse_flags(b"KEQ"), None);
        assert_eq!(parse_flags(b"a"), None);
        assert_eq!(parse_flags(b"A"), Some(ALL));
    }

    /// The keyspace half of what `s` received.
    fn keyspace_events(s: &crate::engine::pubsub::Subscriber) -> Vec<String> {
        use crate::engine::pubsub::{Event, Recv};
        let mut got = Vec::new();
        while let Recv::Event(e) = s.try_recv() {
            if let Event::PMessage { message, .. } = e {
                let channel = String::from_utf8_lossy(&message.channel).into_owned();
                if let Some(key) = channel.strip_prefix("__keyspace@0__:") {
                    got.push(format!("{key}={}", String::from_utf8_lossy(&message.data)));
                }
            }
        }
        got
    }

    #[test]
    fn queued_new_and_expired_events_come_before_the_command_s_own() {
        use crate::engine::list::End;
        use crate::engine::pubsub::Kind;
        let e = crate::engine::Engine::new();
        let s = e.subscriber();
        s.change(Kind::PSubscribe, &[b"__keyspace@0__:*"]).unwrap();
        let _ = s.try_recv();
        e.execute(|ks| {
            ks.set_notify_flags(parse_flags(b"KAmn").unwrap());
            ks.push(0, b"l", &[b"a"], End::Left, false).unwrap();
            ks.push(0, b"l", &[b"b"], End::Left, false).unwrap();
            ks.db(0).set_expiry(b"l", 1);
            // The lookup finds it past its time: expired, then the read misses it.
            assert_eq!(ks.llen(0, b"l").unwrap(), 0);
            ks.db(0).set(b"k", crate::engine::value::Value::Str(b"v".to_vec()), false);
            ks.db(0).set_expiry(b"k", 1);
            // Expired on access by a write: announced before the write's own events.
            ks.push(0, b"k", &[b"x"], End::Right, false).unwrap();
        });
        assert_eq!(
            keyspace_events(&s),
            ["l=new", "l=lpush", "l=lpush", "l=expired", "l=keymiss", "k=new", "k=expired", "k=new", "k=rpush"]
        );
        // Off: nothing is queued or published.
        e.execute(|ks| {
            ks.set_notify_flags(0);
            ks.push(0, b"z", &[b"a"], End::Left, false).unwrap();
        });
        assert!(keyspace_events(&s).is_empty());
        assert!(e.execute(|ks| ks.dbs[0].queued.events.lock().is_empty()));
    }

    #[test]
    fn events_publish_keyspace_first_and_only_with_k_or_e() {
        use crate::engine::pubsub::{Event, Kind};
        let e = crate::engine::Engine::new();
        let s = e.subscriber();
        s.change(Kind::PSubscribe, &[b"__key*__:*"]).unwrap();
        let _ = s.try_recv();
        e.execute(|ks| {
            ks.set_notify_flags(parse_flags(b"g").unwrap());
            ks.notify(class::GENERIC, "del", b"k", 0);
            ks.set_notify_flags(parse_flags(b"KEg").unwrap());
            ks.notify(class::LIST, "lpush", b"k", 0);
            ks.notify(class::GENERIC, "del", b"k\0\xff", 3);
        });
        let mut got = Vec::new();
        while let crate::engine::pubsub::Recv::Event(Event::PMessage { message, .. }) = s.try_recv() {
            got.push((message.channel.to_vec(), message.data.to_vec()));
        }
        assert_eq!(
            got,
            vec![
                (b"__keyspace@3__:k\0\xff".to_vec(), b"del".to_vec()),
                (b"__keyevent@3__:del".to_vec(), b"k\0\xff".to_vec()),
            ]
        );
    }
}
