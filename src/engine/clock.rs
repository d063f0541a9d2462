//! Wall-clock time in Unix milliseconds, for expiry (and later stream IDs).

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    /// While the AOF or a snapshot is replayed on this thread, time stands still at the
    /// epoch, so no key expires mid-load (Redis: no expiry while `server.loading`).
    static LOADING: Cell<bool> = const { Cell::new(false) };
}

/// Milliseconds since the Unix epoch; 0 if the clock is before it, or while this thread
/// runs `while_loading`.
pub fn unix_ms() -> i64 {
    if LOADING.with(Cell::get) {
        return 0;
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Runs `f` with the clock stopped at the epoch on this thread: replayed commands see every
/// key alive, as they did when they were first run (a PEXPIREAT now past does not delete,
/// a push to a key that has since expired still appends). Keys past their time go after
/// the load, by access or sweep, and their DELs are logged then.
pub fn while_loading<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            LOADING.with(|l| l.set(self.0));
        }
    }
    let _reset = Reset(LOADING.with(|l| l.replace(true)));
    f()
}
