//! Blocking consumers on the pure engine: FIFO hand-over, no stealing, give-back on
//! abandon, futures dropped mid-wait, and a concurrent count that nothing is lost.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake as TaskWake, Waker};
use std::time::{Duration, Instant};

use embedis::engine::blocking::{Attempt, BlockFuture};
use embedis::engine::db::Key;
use embedis::engine::waiters::{BlockOp, Served, Wake};
use embedis::engine::{End, Engine};
use parking_lot::Condvar;

fn key(s: &str) -> Key {
    s.as_bytes().into()
}

fn push(e: &Engine, k: &str, vals: &[&str], end: End) -> usize {
    let v: Vec<&[u8]> = vals.iter().map(|s| s.as_bytes()).collect();
    e.execute(|ks| ks.push(0, k.as_bytes(), &v, end, false)).unwrap()
}

fn all(e: &Engine, k: &str) -> Vec<Vec<u8>> {
    e.execute(|ks| ks.lrange(0, k.as_bytes(), 0, -1)).unwrap()
}

fn register(e: &Engine, keys: &[&str], op: BlockOp) -> (u64, Arc<Condvar>) {
    let cv = Arc::new(Condvar::new());
    match e.block(0, keys.iter().map(|k| key(k)).collect(), op, Wake::Thread(cv.clone())).unwrap() {
        Attempt::Waiting(id) => (id, cv),
        Attempt::Ready(s) => panic!("expected to wait, got {s:?}"),
    }
}

fn served_now(e: &Engine, id: u64, cv: &Condvar) -> Option<Served> {
    e.wait_until(id, cv, Instant::now())
}

#[test]
fn blocking_pop_is_served_at_once_when_data_is_there() {
    let e = Engine::new();
    push(&e, "q", &["a"], End::Right);
    let cv = Arc::new(Condvar::new());
    let got = e.block(0, vec![key("empty"), key("q")], BlockOp::Pop { end: End::Left }, Wake::Thread(cv)).unwrap();
    match got {
        Attempt::Ready(Served::Pop { key: k, value }) => {
            assert_eq!(&*k, b"q");
            assert_eq!(value, b"a");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(e.execute(|ks| ks.exists(0, &[b"q"])), 0, "an emptied list vanishes");
}

#[test]
fn waiters_are_served_oldest_first() {
    let e = Engine::new();
    let w: Vec<_> = (0..3).map(|_| register(&e, &["q"], BlockOp::Pop { end: End::Left })).collect();
    push(&e, "q", &["x", "y", "z"], End::Right);
    let got: Vec<Vec<u8>> = w
        .iter()
        .map(|(id, cv)| match served_now(&e, *id, cv) {
            Some(Served::Pop { value, .. }) => value,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(got, vec![b"x".to_vec(), b"y".to_vec(), b"z".to_vec()]);
    assert!(all(&e, "q").is_empty());
}

#[test]
fn a_push_goes_to_the_waiter_and_a_plain_pop_cannot_steal_it() {
    let e = Engine::new();
    let (id, cv) = register(&e, &["q"], BlockOp::Pop { end: End::Left });
    push(&e, "q", &["only"], End::Right);
    // The element was handed over inside the pushing unit: nothing left to pop.
    assert_eq!(e.execute(|ks| ks.pop(0, b"q", End::Left)).unwrap(), None);
    assert!(matches!(served_now(&e, id, &cv), Some(Served::Pop { value, .. }) if value == b"only"));
}

#[test]
fn lpush_of_several_serves_the_head_after_the_whole_command() {
    // As Redis: waiters are served after the command, so BLPOP gets the last pushed.
    let e = Engine::new();
    let (id, cv) = register(&e, &["q"], BlockOp::Pop { end: End::Left });
    push(&e, "q", &["a", "b", "c"], End::Left);
    assert!(matches!(served_now(&e, id, &cv), Some(Served::Pop { value, .. }) if value == b"c"));
    assert_eq!(all(&e, "q"), vec![b"b".to_vec(), b"a".to_vec()]);
}

#[test]
fn abandoned_waiter_gives_its_element_back_to_the_same_end() {
    let e = Engine::new();
    let (id, _cv) = register(&e, &["q"], BlockOp::Pop { end: End::Left });
    push(&e, "q", &["first"], End::Right);
    push(&e, "q", &["second"], End::Right);
    e.abandon(id);
    assert_eq!(all(&e, "q"), vec![b"first".to_vec(), b"second".to_vec()]);
}

#[test]
fn abandoned_element_goes_to_the_next_waiter() {
    let e = Engine::new();
    let (first, _) = register(&e, &["q"], BlockOp::Pop { end: End::Right });
    let (second, cv2) = register(&e, &["q"], BlockOp::Pop { end: End::Right });
    push(&e, "q", &["x"], End::Left);
    e.abandon(first);
    assert!(matches!(served_now(&e, second, &cv2), Some(Served::Pop { value, .. }) if value == b"x"));
}

#[test]
fn timed_out_waiter_still_returns_what_it_was_handed() {
    let e = Engine::new();
    let (id, _cv) = register(&e, &["q"], BlockOp::Pop { end: End::Left });
    push(&e, "q", &["late"], End::Right);
    assert!(matches!(e.end_wait(id), Some(Served::Pop { value, .. }) if value == b"late"));
    assert!(all(&e, "q").is_empty());
}

#[test]
fn waiter_on_several_keys_is_served_by_the_first_to_get_data() {
    let e = Engine::new();
    let (id, cv) = register(&e, &["a", "b"], BlockOp::Pop { end: End::Left });
    push(&e, "b", &["from-b"], End::Right);
    assert!(matches!(served_now(&e, id, &cv), Some(Served::Pop { key, .. }) if &*key == b"b"));
    // It no longer waits on "a".
    push(&e, "a", &["stays"], End::Right);
    assert_eq!(all(&e, "a"), vec![b"stays".to_vec()]);
}

#[test]
fn blmove_hand_over_feeds_waiters_of_the_destination() {
    let e = Engine::new();
    let (mover, cv1) = register(
        &e,
        &["src"],
        BlockOp::Move { from: End::Left, dest: key("dst"), to: End::Right },
    );
    let (popper, cv2) = register(&e, &["dst"], BlockOp::Pop { end: End::Left });
    push(&e, "src", &["job"], End::Right);
    assert!(matches!(served_now(&e, mover, &cv1), Some(Served::Move { value }) if value == b"job"));
    assert!(matches!(served_now(&e, popper, &cv2), Some(Served::Pop { value, .. }) if value == b"job"));
}

#[test]
fn blmpop_takes_up_to_count_and_gives_back_in_order() {
    let e = Engine::new();
    let (id, _cv) = register(&e, &["q"], BlockOp::MPop { end: End::Left, count: 2 });
    push(&e, "q", &["1", "2", "3"], End::Right);
    e.abandon(id);
    assert_eq!(all(&e, "q"), vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]);
}

#[test]
fn blocking_pop_on_wrong_type_errors_without_registering() {
    let e = Engine::new();
    e.execute(|ks| ks.set(0, b"s", b"v", Default::default())).unwrap();
    let cv = Arc::new(Condvar::new());
    let r = e.block(0, vec![key("s")], BlockOp::Pop { end: End::Left }, Wake::Thread(cv));
    assert_eq!(r.unwrap_err(), embedis::engine::Error::WrongType);
    assert_eq!(e.execute(|ks| ks.blocked_clients()), 0);
}

struct CountingWaker(AtomicUsize);

impl TaskWake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn poll_once(f: &mut BlockFuture, waker: &Waker) -> Poll<embedis::engine::Result<Served>> {
    Pin::new(f).poll(&mut Context::from_waker(waker))
}

#[test]
fn future_is_woken_by_a_push_and_completes() {
    let e = Engine::new();
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut f = BlockFuture::new(e.clone(), 0, vec![key("q")], BlockOp::Pop { end: End::Left });
    assert!(poll_once(&mut f, &waker).is_pending());
    push(&e, "q", &["v"], End::Right);
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    assert!(matches!(poll_once(&mut f, &waker), Poll::Ready(Ok(Served::Pop { value, .. })) if value == b"v"));
}

#[test]
fn dropped_future_gives_back_what_it_was_handed() {
    let e = Engine::new();
    let waker = Waker::from(Arc::new(CountingWaker(AtomicUsize::new(0))));
    let mut f = BlockFuture::new(e.clone(), 0, vec![key("q")], BlockOp::Pop { end: End::Left });
    assert!(poll_once(&mut f, &waker).is_pending());
    push(&e, "q", &["v"], End::Right);
    drop(f);
    assert_eq!(all(&e, "q"), vec![b"v".to_vec()]);
    assert_eq!(e.execute(|ks| ks.blocked_clients()), 0);
}

#[test]
fn threads_with_short_timeouts_lose_nothing_under_concurrent_pushes() {
    let e = Engine::new();
    let received = Arc::new(parking_lot::Mutex::new(Vec::<Vec<u8>>::new()));
    let n = 2000;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let consumers: Vec<_> = (0..4)
        .map(|_| {
            let (e, received, stop) = (e.clone(), received.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let cv = Arc::new(Condvar::new());
                    let got = match e.block(0, vec![key("q")], BlockOp::Pop { end: End::Left }, Wake::Thread(cv.clone())).unwrap() {
                        Attempt::Ready(s) => Some(s),
                        Attempt::Waiting(id) => e
                            .wait_until(id, &cv, Instant::now() + Duration::from_micros(200))
                            .or_else(|| e.end_wait(id)),
                    };
                    if let Some(Served::Pop { value, .. }) = got {
                        received.lock().push(value);
                    }
                }
            })
        })
        .collect();
    for i in 0..n {
        push(&e, "q", &[&i.to_string()], End::Right);
        if i % 64 == 0 {
            std::thread::sleep(Duration::from_micros(100));
        }
    }
    std::thread::sleep(Duration::from_millis(50));
    stop.store(true, Ordering::SeqCst);
    for c in consumers {
        c.join().unwrap();
    }
    let mut seen = received.lock().clone();
    seen.extend(all(&e, "q"));
    seen.sort();
    let mut expected: Vec<Vec<u8>> = (0..n).map(|i: i32| i.to_string().into_bytes()).collect();
    expected.sort();
    assert_eq!(seen, expected, "every item received exactly once or still queued");
}

// A BLMOVE waiter whose destination holds another type when an element comes: Redis 7.0.15
// answers it WRONGTYPE and unblocks it, the element stays in the source for the next
// waiter, and serving goes on in order (checked with redis-cli on the real server).

fn mover(e: &Engine, src: &str, dest: &str) -> (u64, Arc<Condvar>) {
    register(e, &[src], BlockOp::Move { from: End::Left, dest: key(dest), to: End::Right })
}

fn set_string(e: &Engine, k: &str) {
    e.execute(|ks| ks.set(0, k.as_bytes(), b"str", Default::default())).unwrap();
}

fn refused() -> Option<Served> {
    Some(Served::Failed(embedis::engine::Error::WrongType))
}

fn moved(v: &str) -> Option<Served> {
    Some(Served::Move { value: v.as_bytes().to_vec() })
}

fn blocked(e: &Engine) -> usize {
    e.execute(|ks| ks.blocked_clients())
}

#[test]
fn blmove_waiters_with_a_wrong_type_destination_are_refused_and_the_next_is_served() {
    let e = Engine::new();
    set_string(&e, "s");
    let (w0, c0) = mover(&e, "src", "s");
    let (w1, c1) = mover(&e, "src", "d");
    let (w2, c2) = mover(&e, "src", "s");
    let (w3, c3) = mover(&e, "src", "missing");
    push(&e, "src", &["a", "b"], End::Right);
    assert_eq!(served_now(&e, w0, &c0), refused());
    assert_eq!(served_now(&e, w1, &c1), moved("a"));
    assert_eq!(served_now(&e, w2, &c2), refused());
    assert_eq!(served_now(&e, w3, &c3), moved("b"));
    assert_eq!(blocked(&e), 0);
    assert_eq!(all(&e, "d"), vec![b"a".to_vec()]);
    assert_eq!(all(&e, "missing"), vec![b"b".to_vec()]);
    assert_eq!(e.execute(|ks| ks.exists(0, &[b"src"])), 0);
    assert_eq!(e.execute(|ks| ks.type_of(0, b"s")), "string");
}

#[test]
fn a_refused_waiter_leaves_the_element_for_a_blocking_pop_behind_it() {
    let e = Engine::new();
    set_string(&e, "s");
    let (w0, c0) = mover(&e, "src", "s");
    let (w1, c1) = register(&e, &["src"], BlockOp::Pop { end: End::Right });
    push(&e, "src", &["only"], End::Left);
    assert_eq!(served_now(&e, w0, &c0), refused());
    assert_eq!(served_now(&e, w1, &c1), Some(Served::Pop { key: key("src"), value: b"only".to_vec() }));
}

#[test]
fn a_lone_refused_waiter_leaves_the_element_in_the_source() {
    let e = Engine::new();
    set_string(&e, "s");
    let (w0, c0) = mover(&e, "src", "s");
    push(&e, "src", &["x"], End::Right);
    assert_eq!(served_now(&e, w0, &c0), refused());
    assert_eq!(all(&e, "src"), vec![b"x".to_vec()]);
    assert_eq!(blocked(&e), 0);
}

#[test]
fn a_waiter_behind_an_emptied_source_keeps_waiting_even_if_it_would_be_refused() {
    let e = Engine::new();
    set_string(&e, "s");
    let (w0, c0) = mover(&e, "src", "d");
    let (w1, c1) = mover(&e, "src", "s");
    let (w2, c2) = register(&e, &["src"], BlockOp::Pop { end: End::Left });
    push(&e, "src", &["x"], End::Right);
    assert_eq!(served_now(&e, w0, &c0), moved("x"));
    assert_eq!(served_now(&e, w1, &c1), None);
    assert_eq!(blocked(&e), 2);
    push(&e, "src", &["y"], End::Right);
    assert_eq!(served_now(&e, w1, &c1), refused());
    assert_eq!(served_now(&e, w2, &c2), Some(Served::Pop { key: key("src"), value: b"y".to_vec() }));
}

#[test]
fn a_destination_that_changes_type_while_blocked_is_seen_when_the_element_comes() {
    let e = Engine::new();
    let (w0, c0) = mover(&e, "src", "d");
    let (w1, c1) = mover(&e, "src", "st");
    let (w2, c2) = mover(&e, "src", "back");
    set_string(&e, "d");
    e.execute(|ks| ks.xadd(0, b"st", embedis::engine::stream::IdSpec::Auto, &[(b"f", b"v")], false, None)).unwrap();
    set_string(&e, "back");
    e.execute(|ks| ks.del(0, &[b"back"]));
    push(&e, "src", &["c", "b", "a"], End::Left);
    assert_eq!(served_now(&e, w0, &c0), refused());
    assert_eq!(served_now(&e, w1, &c1), refused());
    assert_eq!(served_now(&e, w2, &c2), moved("a"));
    assert_eq!(all(&e, "src"), vec![b"b".to_vec(), b"c".to_vec()]);
    assert_eq!(e.execute(|ks| ks.type_of(0, b"st")), "stream");
}

#[test]
fn blmove_onto_its_own_source_is_served_in_order() {
    let e = Engine::new();
    let (w0, c0) = mover(&e, "src", "src");
    let (w1, c1) = register(&e, &["src"], BlockOp::Move { from: End::Right, dest: key("src"), to: End::Left });
    push(&e, "src", &["a", "b"], End::Right);
    assert_eq!(served_now(&e, w0, &c0), moved("a"));
    assert_eq!(served_now(&e, w1, &c1), moved("a"));
    assert_eq!(all(&e, "src"), vec![b"a".to_vec(), b"b".to_vec()]);
}

#[test]
fn a_hand_over_chain_refuses_a_wrong_type_destination_on_the_way() {
    let e = Engine::new();
    set_string(&e, "s");
    let (w0, c0) = mover(&e, "a", "b");
    let (w1, c1) = mover(&e, "b", "s");
    let (w2, c2) = register(&e, &["b"], BlockOp::Pop { end: End::Right });
    push(&e, "a", &["x"], End::Right);
    assert_eq!(served_now(&e, w0, &c0), moved("x"));
    assert_eq!(served_now(&e, w1, &c1), refused());
    assert_eq!(served_now(&e, w2, &c2), Some(Served::Pop { key: key("b"), value: b"x".to_vec() }));
    assert_eq!(e.execute(|ks| ks.exists(0, &[b"a", b"b"])), 0);
}

#[test]
fn a_refused_blmove_future_completes_with_the_error() {
    let e = Engine::new();
    set_string(&e, "s");
    let waker = Waker::from(Arc::new(CountingWaker(AtomicUsize::new(0))));
    let op = BlockOp::Move { from: End::Left, dest: key("s"), to: End::Left };
    let mut f = BlockFuture::new(e.clone(), 0, vec![key("src")], op);
    assert!(poll_once(&mut f, &waker).is_pending());
    push(&e, "src", &["v"], End::Right);
    assert!(matches!(
        poll_once(&mut f, &waker),
        Poll::Ready(Ok(Served::Failed(embedis::engine::Error::WrongType)))
    ));
    drop(f);
    assert_eq!(all(&e, "src"), vec![b"v".to_vec()]);
}
