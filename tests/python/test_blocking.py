"""Blocking list commands from threads: shapes, timeouts, fairness, hand-over, the GIL,
CPU use while idle, wake-up latency, Ctrl-C, and that no element is ever lost or
duplicated when waiters time out or are interrupted."""

from __future__ import annotations

import collections
import json
import random
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import embedis
from embedis.exceptions import ResponseError

from conftest import Waiter, child_env, interrupt_child, served_while_blocked, wait_blocked

pytestmark = pytest.mark.timeout(120)


def start_waiter(broker, fn, *args, n_blocked: int = 1, **kwargs) -> Waiter:
    w = Waiter(fn, *args, **kwargs)
    w.start()
    wait_blocked(broker, n_blocked)
    return w


# ---- shapes and data present ----------------------------------------------------------


def test_blpop_brpop_with_data_return_key_value_tuples(broker):
    broker.rpush("q", "a", "b", "c")
    assert broker.blpop("q", timeout=1) == (b"q", b"a")
    assert broker.brpop(["q"], timeout=1) == (b"q", b"c")
    assert broker.blpop(["q"]) == (b"q", b"b")
    assert broker.exists("q") == 0


def test_blpop_on_several_keys_serves_the_first_non_empty_in_key_order(broker):
    broker.rpush("k2", "two")
    broker.rpush("k3", "three")
    assert broker.blpop(["k1", "k2", "k3"], timeout=1) == (b"k2", b"two")
    broker.rpush("k1", "one")
    assert broker.brpop(["k1", "k2", "k3"], timeout=1) == (b"k1", b"one")
    assert broker.blpop(["k1", "k2", "k3"], timeout=1) == (b"k3", b"three")


def test_blocked_on_several_keys_is_served_by_whichever_gets_data(broker):
    w = start_waiter(broker, broker.blpop, ["k1", "k2"], timeout=5)
    broker.rpush("k2", "x")
    assert w.outcome() == (b"k2", b"x")
    assert broker.exists("k2") == 0


def test_blocking_timeout_returns_none_after_about_the_timeout(broker):
    for fn, args in [
        (broker.blpop, ("q",)),
        (broker.brpop, (["q", "r"],)),
    ]:
        t0 = time.monotonic()
        assert fn(*args, timeout=0.2) is None
        # Never early; how late is the machine's business (a hang is pytest-timeout's).
        assert time.monotonic() - t0 >= 0.18
    t0 = time.monotonic()
    assert broker.blmove("q", "d", 0.2) is None
    assert broker.brpoplpush("q", "d", 0.2) is None
    assert broker.blmpop(0.2, 1, "q", direction="LEFT") is None
    assert time.monotonic() - t0 >= 0.55
    assert broker.exists("d") == 0


@pytest.mark.parametrize("timeout", [0, None, "omitted"])
def test_timeout_zero_or_none_waits_forever(broker, timeout):
    def producer():
        time.sleep(0.4)
        broker.rpush("q", "late")

    t = threading.Thread(target=producer)
    t.start()
    t0 = time.monotonic()
    got = broker.brpop("q") if timeout == "omitted" else broker.brpop("q", timeout=timeout)
    elapsed = time.monotonic() - t0
    t.join()
    assert got == (b"q", b"late")
    assert elapsed >= 0.35


def test_brpoplpush_and_blmpop_none_timeout_wait_forever(broker):
    def producer():
        time.sleep(0.3)
        broker.rpush("q", "a")

    t = threading.Thread(target=producer)
    t.start()
    assert broker.brpoplpush("q", "d", None) == b"a"
    t.join()
    assert broker.lrange("d", 0, -1) == [b"a"]


def test_blocking_timeout_argument_errors(broker):
    # (Too large a timeout is "timeout is negative" in Redis 7.0 and "timeout is out of
    # range" in 7.2: see test_compat_redis.py.)
    cases = [(-1, "timeout is negative"), ("abc", "timeout is not a float or out of range"),
             (-0.5, "timeout is negative"), ("nan", "timeout is not a float or out of range")]
    for timeout, message in cases:
        for call in (
            lambda: broker.blpop("q", timeout=timeout),
            lambda: broker.brpop("q", timeout=timeout),
            lambda: broker.blmove("q", "d", timeout),
            lambda: broker.brpoplpush("q", "d", timeout),
            lambda: broker.blmpop(timeout, 1, "q", direction="LEFT"),
        ):
            with pytest.raises(ResponseError) as e:
                call()
            assert str(e.value) == message, timeout


@pytest.mark.parametrize("timeout", [0.0001, 0.0009, "0.0001", 1e-7], ids=["0.0001", "0.0009", "str", "1e-7"])
def test_a_sub_millisecond_timeout_rounds_up_to_one_ms_not_down_to_forever(broker, timeout):
    # redis 7.0: BLPOP k 0.0001 returns nil after ~1 ms (the timeout is rounded up).
    w = Waiter(broker.blpop, "q", timeout=timeout)
    w.start()
    w.join(2)
    if w.is_alive():
        broker.rpush("q", "release")
        w.join(2)
        pytest.fail(f"blpop(timeout={timeout!r}) blocked forever instead of about 1 ms")
    assert w.outcome() is None


def test_float_and_string_timeouts_are_seconds(broker):
    t0 = time.monotonic()
    assert broker.blpop("q", timeout="0.1") is None
    assert broker.blpop("q", timeout=0.1) is None
    assert time.monotonic() - t0 >= 0.18


# ---- fairness and hand-over -----------------------------------------------------------


def test_blocked_threads_are_served_in_arrival_order(broker):
    waiters = [start_waiter(broker, broker.blpop, "q", timeout=5, n_blocked=i + 1) for i in range(3)]
    for item in ("first", "second", "third"):
        broker.rpush("q", item)
    assert [w.outcome() for w in waiters] == [(b"q", b"first"), (b"q", b"second"), (b"q", b"third")]


def test_one_push_of_several_elements_feeds_the_waiters_in_order(broker):
    waiters = [start_waiter(broker, broker.brpop, "q", timeout=5, n_blocked=i + 1) for i in range(3)]
    broker.lpush("q", "a", "b", "c")  # list is c b a; BRPOP takes from the tail
    assert [w.outcome() for w in waiters] == [(b"q", b"a"), (b"q", b"b"), (b"q", b"c")]
    assert broker.exists("q") == 0


def test_a_push_hands_the_element_to_the_waiter_and_lpop_cannot_steal_it(broker):
    for _round in range(6):
        w = start_waiter(broker, broker.blpop, "q", timeout=5, n_blocked=1)
        broker.rpush("q", "x")
        stolen = broker.lpop("q")
        assert stolen is None, "a non-blocking pop took the element handed to the waiter"
        assert broker.llen("q") == 0
        assert w.outcome() == (b"q", b"x")


def test_waiter_on_two_keys_is_served_once(broker):
    w1 = start_waiter(broker, broker.blpop, ["a", "b"], timeout=5, n_blocked=1)
    w2 = start_waiter(broker, broker.blpop, ["b"], timeout=5, n_blocked=2)
    broker.rpush("b", "x", "y")
    assert w1.outcome() == (b"b", b"x")
    assert w2.outcome() == (b"b", b"y")
    broker.rpush("a", "z")
    assert broker.lpop("a") == b"z"


def test_waiters_in_another_database_are_not_served(broker):
    other = embedis.Broker(broker=broker, db=1)
    w = start_waiter(broker, other.blpop, "q", timeout=0.5)
    broker.rpush("q", "db0")
    assert w.outcome() is None
    assert broker.lrange("q", 0, -1) == [b"db0"]


# ---- blmove / brpoplpush / blmpop -----------------------------------------------------


def test_blmove_reliable_queue_puts_the_element_in_the_processing_list(broker):
    w = start_waiter(broker, broker.blmove, "jobs", "processing", 5, "RIGHT", "LEFT")
    broker.lpush("jobs", "job1")
    assert w.outcome() == b"job1"
    assert broker.lrange("processing", 0, -1) == [b"job1"]
    assert broker.exists("jobs") == 0
    # The worker acknowledges by removing it from the processing list.
    assert broker.lrem("processing", 1, "job1") == 1


def test_blmove_with_data_present(broker):
    broker.rpush("src", "a", "b")
    assert broker.blmove("src", "dst", 1) == b"a"
    assert broker.blmove("src", "dst", 1, "RIGHT", "RIGHT") == b"b"
    assert broker.lrange("dst", 0, -1) == [b"a", b"b"]


def test_brpoplpush(broker):
    broker.rpush("src", "1", "2")
    assert broker.brpoplpush("src", "dst", 1) == b"2"
    w = start_waiter(broker, broker.brpoplpush, "empty", "dst", 5)
    broker.rpush("empty", "3")
    assert w.outcome() == b"3"
    assert broker.lrange("dst", 0, -1) == [b"3", b"2"]


def test_blmove_feeds_a_waiter_blocked_on_its_destination(broker):
    mover = start_waiter(broker, broker.blmove, "a", "b", 5, n_blocked=1)
    popper = start_waiter(broker, broker.blpop, "b", timeout=5, n_blocked=2)
    broker.rpush("a", "x")
    assert mover.outcome() == b"x"
    assert popper.outcome() == (b"b", b"x")
    assert broker.exists("a", "b") == 0


def test_blmpop_blocked_and_served_with_count(broker):
    assert broker.blmpop(0.05, 2, "a", "b", direction="LEFT") is None
    broker.rpush("b", "0")
    assert broker.blmpop(1, 2, "a", "b", direction="LEFT") == [b"b", [b"0"]]
    w = start_waiter(broker, broker.blmpop, 5, 2, "a", "b", direction="LEFT", count=2)
    broker.rpush("b", "1", "2", "3")
    assert w.outcome() == [b"b", [b"1", b"2"]]
    assert broker.lrange("b", 0, -1) == [b"3"]
    w = start_waiter(broker, broker.blmpop, 5, 1, "c", direction="RIGHT", count=10)
    broker.rpush("c", "x", "y")
    assert w.outcome() == [b"c", [b"y", b"x"]]
    assert broker.exists("c") == 0


def test_blocking_calls_with_decode_responses():
    b = embedis.Broker(decode_responses=True)
    w = start_waiter(b, b.brpop, ["a", "q"], timeout=5)
    b.rpush("q", "é")
    assert w.outcome() == ("q", "é")


def test_execute_command_blpop_blocks_and_is_served(broker):
    w = start_waiter(broker, broker.execute_command, "BLPOP", "q", 5)
    broker.rpush("q", "x")
    assert w.outcome() == (b"q", b"x")
    assert broker.execute_command("BRPOP", "q", "0.05") is None


# ---- the GIL, CPU and latency ---------------------------------------------------------


def test_the_gil_is_released_while_blocked(broker):
    # Only a Python thread can end the wait, and it needs the GIL to run at all.
    assert served_while_blocked(broker, lambda: broker.blpop("q", timeout=60), lambda: broker.rpush("q", "x")) == (b"q", b"x")


def test_a_blocked_wait_uses_no_cpu(broker):
    cpu0 = time.process_time()
    wall0 = time.monotonic()
    assert broker.blpop("q", timeout=1) is None
    cpu = time.process_time() - cpu0
    assert time.monotonic() - wall0 >= 0.95
    assert cpu < 0.05, f"{cpu:.3f} s of CPU over a 1 s idle wait"


def test_each_push_wakes_a_parked_waiter(broker):
    # How soon is measured in bench/run.py (list-latency), not here.
    for i in range(50):
        w = start_waiter(broker, broker.blpop, "q", timeout=60)
        broker.rpush("q", i)
        assert w.outcome() == (b"q", str(i).encode())


# ---- Ctrl-C ---------------------------------------------------------------------------

CTRL_C_CHILD = textwrap.dedent(
    """
    import sys, time, threading
    import embedis
    b = embedis.Broker()
    def announce():  # "ready" once the call below is blocked (INFO counts it)
        while b.info("clients")["blocked_clients"] < 1:
            time.sleep(0.002)
        print("ready", flush=True)
    threading.Thread(target=announce, daemon=True).start()
    try:
        b.brpop("q", timeout=0)
    except KeyboardInterrupt:
        t = time.monotonic()
        # The abandoned waiter is gone: a new element is not swallowed by it.
        b.rpush("q", "after")
        left = b.lpop("q")
        print("interrupted", t, left.decode() if left else None, flush=True)
        sys.exit(0)
    print("returned", flush=True)
    sys.exit(1)
    """
)


def test_ctrl_c_interrupts_a_blocked_brpop():
    # brpop waits forever: only the signal can end it.
    words, _ = interrupt_child(CTRL_C_CHILD, settle=0)
    assert words[2] == "after"


INTERRUPT_ROUNDS_CHILD = textwrap.dedent(
    """
    import _thread, collections, json, random, sys, threading, time
    import embedis

    b = embedis.Broker()
    rounds = int(sys.argv[1])
    stats = {"received": 0, "in_list": 0, "interrupted": 0, "bad": []}
    for i in range(rounds):
        item = b"item-%d" % i
        got = collections.deque(maxlen=1)
        mode = i % 3
        delay = random.uniform(0, 0.004)

        def helper():
            time.sleep(delay)
            if mode == 0:
                b.rpush("q", item)
                _thread.interrupt_main()
            elif mode == 1:
                _thread.interrupt_main()
                time.sleep(random.uniform(0, 0.06))
                b.rpush("q", item)
            else:
                b.rpush("q", item)
                time.sleep(random.uniform(0, 0.002))
                _thread.interrupt_main()

        t = threading.Thread(target=helper)
        interrupted = False
        try:
            t.start()
            # map/deque store the result in C: no bytecode runs between the return of
            # brpop and the store, so a pending KeyboardInterrupt cannot drop the value.
            got.extend(map(b.brpop, ["q"], [0]))
            t.join()
            while True:  # the interrupt is pending: let it fire inside the try
                time.sleep(0.001)
        except KeyboardInterrupt:
            interrupted = True
        t.join()
        stats["interrupted"] += interrupted
        received = [v for (_k, v) in got]
        in_list = b.lrange("q", 0, -1)
        total = received.count(item) + in_list.count(item)
        if total != 1 or len(received) + len(in_list) != 1:
            stats["bad"].append([i, mode, [r.decode() for r in received], [x.decode() for x in in_list]])
        stats["received"] += len(received)
        stats["in_list"] += len(in_list)
        b.delete("q")
    print(json.dumps(stats), flush=True)
    """
)


def test_interrupted_waiters_never_lose_or_duplicate_an_element():
    proc = subprocess.run(
        [sys.executable, "-c", INTERRUPT_ROUNDS_CHILD, "90"],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env(),
    )
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    assert stats["bad"] == [], stats
    assert stats["interrupted"] == 90
    assert stats["received"] + stats["in_list"] == 90
    # Which path each round took (served before the interrupt, or interrupted first) is up
    # to the schedule; each path is proven on its own, deterministically, in
    # tests/engine_blocking.rs (abandoned_waiter_gives_its_element_back_to_the_same_end,
    # dropped_future_gives_back_what_it_was_handed).


# ---- timeouts racing with pushes ------------------------------------------------------


def test_timeouts_firing_during_pushes_lose_nothing(broker):
    n_items = 3000
    n_threads = 12
    received: list[list[bytes]] = [[] for _ in range(n_threads)]
    stop = threading.Event()
    errors: list[BaseException] = []

    def consumer(i: int) -> None:
        rng = random.Random(i)
        try:
            while not stop.is_set():
                keys = ["q"] if rng.random() < 0.7 else ["other", "q"]
                pop = broker.blpop if rng.random() < 0.5 else broker.brpop
                r = pop(keys, timeout=rng.choice([0.001, 0.002, 0.005, 0.01]))
                if r is not None:
                    assert r[0] == b"q"
                    received[i].append(r[1])
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=consumer, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    rng = random.Random(99)
    sent = 0
    while sent < n_items:
        batch = [b"%d" % (sent + j) for j in range(min(rng.randint(1, 5), n_items - sent))]
        (broker.rpush if rng.random() < 0.5 else broker.lpush)("q", *batch)
        sent += len(batch)
        if rng.random() < 0.3:
            time.sleep(rng.choice([0, 0.0005, 0.002]))
    time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(10)
        assert not t.is_alive()
    assert errors == []
    got = [x for r in received for x in r] + broker.lrange("q", 0, -1)
    counts = collections.Counter(got)
    assert len(got) == n_items, (len(got), n_items)
    assert set(counts) == {b"%d" % i for i in range(n_items)}
    assert max(counts.values()) == 1


def test_blmove_waiters_timing_out_during_pushes_lose_nothing(broker):
    n_items = 1500
    stop = threading.Event()

    def consumer(i: int) -> None:
        while not stop.is_set():
            broker.blmove("src", f"done{i}", random.choice([0.001, 0.003]))

    threads = [threading.Thread(target=consumer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for i in range(n_items):
        broker.rpush("src", i)
        if i % 50 == 0:
            time.sleep(0.001)
    time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join(10)
    got = broker.lrange("src", 0, -1)
    for i in range(6):
        got += broker.lrange(f"done{i}", 0, -1)
    assert sorted(got, key=int) == [str(i).encode() for i in range(n_items)]
