//! Test hooks (not API; hidden from the docs): make a persistence thread stop at a chosen
//! point while it holds a strong reference to the persistence, so that a test can drop
//! the user's last handle at exactly that moment instead of hoping a 50 ms tick lines up.
//!
//! A [`Hold`] is armed for one point and one directory. The next thread that reaches
//! that point for that directory stops there (still holding its reference) until the
//! test calls [`Hold::release`], or until the persistence starts closing (the user's
//! last handle was dropped: a close that waits for that thread must not wait forever).
//! Unarmed, a point costs one relaxed atomic load.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Where a thread may be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// The cron thread, right after it upgraded its weak reference for a tick.
    Cron,
    /// A BGSAVE thread, before it captures the snapshot.
    Bgsave,
}

#[derive(Debug, Default)]
struct HoldState {
    /// A thread stopped at the point.
    held: bool,
    /// The test let it go (or the hold was dropped).
    released: bool,
}

#[derive(Debug)]
struct Armed {
    point: Point,
    dir: PathBuf,
    /// Taken by the first thread to reach the point; later ones pass.
    taken: std::sync::atomic::AtomicBool,
    state: Mutex<HoldState>,
    cv: Condvar,
}

/// Armed holds: how many (the cheap check), and which.
static COUNT: AtomicUsize = AtomicUsize::new(0);
static ARMED: Mutex<Vec<Arc<Armed>>> = Mutex::new(Vec::new());

/// An armed hold point; disarmed (and its thread released) when dropped.
#[derive(Debug)]
pub struct Hold {
    armed: Arc<Armed>,
}

impl Hold {
    /// Arms `point` for the persistence of `dir` (compared as given to `Config::dir`).
    pub fn arm(point: Point, dir: &Path) -> Hold {
        let armed = Arc::new(Armed {
            point,
            dir: dir.to_path_buf(),
            taken: std::sync::atomic::AtomicBool::new(false),
            state: Mutex::new(HoldState::default()),
            cv: Condvar::new(),
        });
        ARMED.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(armed.clone());
        COUNT.fetch_add(1, Ordering::SeqCst);
        Hold { armed }
    }

    /// Blocks until a thread is stopped at the point.
    pub fn wait_held(&self) {
        let mut st = self.armed.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while !st.held {
            st = self.armed.cv.wait(st).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// Lets the held thread (if any) go on; a later one passes.
    pub fn release(&self) {
        self.armed.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).released = true;
        self.armed.cv.notify_all();
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.release();
        let mut armed = ARMED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        armed.retain(|a| !Arc::ptr_eq(a, &self.armed));
        COUNT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Called by the persistence threads at `point`: stops there if a hold is armed for it,
/// until released or until `closing()` says the persistence is closing.
pub(crate) fn point(point: Point, dir: &Path, closing: &dyn Fn() -> bool) {
    if COUNT.load(Ordering::Relaxed) == 0 {
        return;
    }
    let found = {
        let armed = ARMED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        armed.iter().find(|a| a.point == point && a.dir == dir && !a.taken.swap(true, Ordering::SeqCst)).cloned()
    };
    let Some(a) = found else { return };
    let mut st = a.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    st.held = true;
    a.cv.notify_all();
    // `closing` has no wake-up of its own here: look at it every millisecond.
    while !st.released && !closing() {
        st = a.cv.wait_timeout(st, Duration::from_millis(1)).unwrap_or_else(std::sync::PoisonError::into_inner).0;
    }
}
