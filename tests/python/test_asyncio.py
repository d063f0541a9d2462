"""``embedis.asyncio.Broker``: the sync API as coroutines, shared data with sync brokers
and threads, no suspension when a call can be served at once, thousands of waiters with
no thread each, and cancellation that never loses or duplicates an element.

pytest-asyncio is not used: each test runs its coroutine with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import random
import threading
import time

import pytest

import embedis
import embedis.asyncio
from embedis.exceptions import DataError, ResponseError

pytestmark = pytest.mark.timeout(180)

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def run(coro, timeout: float = 60):
    async def bounded():
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


async def until(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.001)


# ---- the API as coroutines ------------------------------------------------------------

# (method, args, kwargs), run in order on a fresh asyncio broker and on a fresh sync broker.
CALLS = [
    ("ping", (), {}),
    ("echo", ("hi",), {}),
    ("lpush", ("q", "a", "b"), {}),
    ("rpush", ("q", 1, 2.5), {}),
    ("lpushx", ("q", "x"), {}),
    ("rpushx", ("nope", "x"), {}),
    ("llen", ("q",), {}),
    ("lrange", ("q", 0, -1), {}),
    ("lindex", ("q", 1), {}),
    ("lset", ("q", 0, "X"), {}),
    ("linsert", ("q", "AFTER", "X", "y"), {}),
    ("lrem", ("q", 1, "y"), {}),
    ("lpos", ("q", "a"), {}),
    ("lpos", ("q", "a"), {"count": 0}),
    ("lpop", ("q",), {}),
    ("rpop", ("q", 1), {}),
    ("lmove", ("q", "r"), {}),
    ("rpoplpush", ("q", "r"), {}),
    ("lmpop", (2, "q", "r"), {"direction": "RIGHT", "count": 2}),
    ("ltrim", ("r", 0, 0), {}),
    ("blpop", (["q", "r"],), {"timeout": 1}),
    ("rpush", ("q", "m", "n", "o", "p"), {}),
    ("brpop", ("q",), {"timeout": 1}),
    ("blmove", ("q", "r", 1), {}),
    ("brpoplpush", ("q", "r", 1), {}),
    ("blmpop", (1, 1, "q"), {"direction": "LEFT"}),
    ("blpop", ("empty",), {"timeout": 0.01}),
    ("set", ("s", "v"), {}),
    ("set", ("s", "w"), {"get": True}),
    ("set", ("t", 1), {"ex": 100}),
    ("setnx", ("s", "z"), {}),
    ("get", ("s",), {}),
    ("getdel", ("s",), {}),
    ("mset", ({"a": 1, "b": 2},), {}),
    ("msetnx", ({"a": 1, "c": 2},), {}),
    ("mget", (["a", "b", "c"],), {}),
    ("incr", ("n",), {}),
    ("incrby", ("n", 5), {}),
    ("decr", ("n",), {}),
    ("decrby", ("n", 2), {}),
    ("exists", ("a", "b", "zz"), {}),
    ("type", ("r",), {}),
    ("ttl", ("t",), {}),
    ("pttl", ("a",), {}),
    ("expire", ("a", 50), {}),
    ("pexpire", ("a", 50_000), {}),
    ("expireat", ("a", 4_000_000_000), {}),
    ("pexpireat", ("a", 4_000_000_000_000), {}),
    ("persist", ("a",), {}),
    ("rename", ("a", "a2"), {}),
    ("renamenx", ("a2", "b"), {}),
    ("keys", ("a*",), {}),
    ("scan", (0,), {"match": "a*", "count": 100}),
    ("dbsize", (), {}),
    ("delete", ("a2", "zz"), {}),
    ("unlink", ("b",), {}),
    ("execute_command", ("RPUSH", "ex", "1"), {}),
    ("execute_command", ("BLPOP", "ex", 1), {}),
    ("execute_command", ("LLEN", "ex"), {}),
    ("flushdb", (), {}),
    ("flushall", (), {}),
]


def test_every_method_is_a_coroutine_with_the_sync_result():
    sync = embedis.Broker()
    ab = embedis.asyncio.Broker()

    async def main():
        for name, args, kwargs in CALLS:
            want = getattr(sync, name)(*args, **kwargs)
            aw = getattr(ab, name)(*args, **kwargs)
            assert inspect.isawaitable(aw), name
            got = await aw
            assert got == want, (name, args, got, want)
            assert type(got) is type(want), (name, type(got), type(want))

    run(main())


def test_the_asyncio_broker_has_every_public_method_of_the_sync_broker():
    sync_names = {
        n for n in dir(embedis.Broker) if not n.startswith("_") and callable(getattr(embedis.Broker, n))
    }
    # Handle-level methods that are not commands (or have an async form of their own).
    sync_names -= {"shares_data_with", "close", "scan_iter", "sscan_iter", "hscan_iter"}
    missing = sorted(n for n in sync_names if not hasattr(embedis.asyncio.Broker, n))
    assert missing == []
    # As in redis.asyncio.Redis, these return an object at once instead of a coroutine.
    plain = {"pubsub", "pipeline", "lock", "monitor", "bitfield"}
    not_coroutines = sorted(
        n for n in sync_names - plain
        if not inspect.iscoroutinefunction(getattr(embedis.asyncio.Broker, n))
    )
    assert not_coroutines == []


def test_errors_are_raised_from_the_await(abroker):
    async def main():
        await abroker.set("s", "v")
        with pytest.raises(ResponseError) as e:
            await abroker.lpush("s", "a")
        assert str(e.value) == WRONGTYPE
        with pytest.raises(ResponseError) as e:
            await abroker.blpop("s", timeout=1)
        assert str(e.value) == WRONGTYPE
        with pytest.raises(ResponseError) as e:
            await abroker.blpop("q", timeout=-1)
        assert str(e.value) == "timeout is negative"
        with pytest.raises(DataError):
            await abroker.rpush("q", True)
        with pytest.raises(ResponseError):
            await abroker.execute_command("BLPOP", "q", "abc")

    run(main())


def test_async_scan_iter_and_context_manager(abroker):
    async def main():
        await abroker.mset({f"k{i}": i for i in range(50)})
        keys = [k async for k in abroker.scan_iter(count=7)]
        assert sorted(keys) == sorted(f"k{i}".encode() for i in range(50))
        async with embedis.asyncio.Broker() as b:
            assert await b.ping() is True
        await abroker.aclose()

    run(main())


# ---- identity and sharing -------------------------------------------------------------


def test_a_new_asyncio_broker_is_new_and_empty():
    async def main():
        a = embedis.asyncio.Broker()
        b = embedis.asyncio.Broker()
        await a.rpush("q", "x")
        assert await b.dbsize() == 0
        assert await b.exists("q") == 0
        assert await a.dbsize() == 1

    run(main())


def test_asyncio_broker_over_a_sync_broker_shares_its_data():
    sync = embedis.Broker()
    ab = embedis.asyncio.Broker(broker=sync)
    sync.rpush("q", "from-sync")

    async def main():
        assert await ab.lpop("q") == b"from-sync"
        await ab.rpush("q", "from-async")

    run(main())
    assert sync.lpop("q") == b"from-async"
    ab2 = embedis.asyncio.Broker(broker=ab, db=2, decode_responses=True)
    embedis.Broker(broker=sync, db=2).set("k", "v")
    assert run(ab2.get("k")) == "v"


def test_threads_and_tasks_share_one_queue():
    sync = embedis.Broker()
    ab = embedis.asyncio.Broker(broker=sync)
    n_items, n_tasks = 2000, 20

    def producer():
        for i in range(n_items):
            sync.lpush("q", i)
            if i % 100 == 0:
                time.sleep(0.001)

    async def consumer(out):
        while True:
            r = await ab.brpop("q", timeout=0)
            if r[1] == b"stop":
                return
            out.append(r[1])

    async def main():
        outs = [[] for _ in range(n_tasks)]
        tasks = [asyncio.create_task(consumer(o)) for o in outs]
        t = threading.Thread(target=producer)
        t.start()
        await asyncio.to_thread(t.join)
        for _ in range(n_tasks):
            await ab.lpush("q", "stop")
        await asyncio.gather(*tasks)
        return outs

    outs = run(main())
    got = [x for o in outs for x in o]
    assert sorted(got, key=int) == [str(i).encode() for i in range(n_items)]
    assert sum(1 for o in outs if o) > 1, "only one task was ever served"
    assert sync.exists("q") == 0


def test_sync_thread_consumer_and_async_producer():
    sync = embedis.Broker()
    ab = embedis.asyncio.Broker(broker=sync)
    got = []

    def consumer():
        for _ in range(100):
            got.append(sync.blpop("q", timeout=5)[1])

    t = threading.Thread(target=consumer)
    t.start()

    async def main():
        for i in range(100):
            await ab.rpush("q", i)
            await asyncio.sleep(0)

    run(main())
    t.join(10)
    assert got == [str(i).encode() for i in range(100)]


def test_an_awaiting_pop_is_woken_by_a_push_from_another_thread(abroker):
    async def main():
        def later():
            time.sleep(0.2)
            abroker.sync.rpush("q", "x")

        t = threading.Thread(target=later)
        t.start()
        t0 = time.monotonic()
        r = await abroker.blpop("q", timeout=0)
        t.join()
        assert r == (b"q", b"x")
        assert time.monotonic() - t0 >= 0.15

    run(main())


# ---- no suspension when ready ---------------------------------------------------------


def test_a_ready_non_blocking_call_completes_on_first_send(abroker):
    abroker.sync.rpush("q", "x")
    coro = abroker.lpop("q")
    with pytest.raises(StopIteration) as e:
        coro.send(None)
    assert e.value.value == b"x"
    coro = abroker.rpush("q", "y")
    with pytest.raises(StopIteration) as e:
        coro.send(None)
    assert e.value.value == 1


def test_a_blocking_call_with_data_there_completes_on_first_send(abroker):
    abroker.sync.rpush("q", "x", "y", "z")
    for make, want in [
        (lambda: abroker.blpop("q", timeout=0), (b"q", b"x")),
        (lambda: abroker.brpop(["q"], timeout=1), (b"q", b"z")),
        (lambda: abroker.blmove("q", "d", 1), b"y"),
    ]:
        coro = make()
        with pytest.raises(StopIteration) as e:
            coro.send(None)
        assert e.value.value == want
    abroker.sync.rpush("q", "w")
    coro = abroker.blmpop(0, 1, "q", direction="LEFT")
    with pytest.raises(StopIteration) as e:
        coro.send(None)
    assert e.value.value == [b"q", [b"w"]]
    abroker.sync.rpush("q", "v")
    coro = abroker.execute_command("BRPOP", "q", 0)
    with pytest.raises(StopIteration) as e:
        coro.send(None)
    assert e.value.value == (b"q", b"v")


def test_a_ready_await_does_not_yield_to_the_event_loop(abroker):
    async def main():
        ticks = 0
        stop = False

        async def ticker():
            nonlocal ticks
            while not stop:
                ticks += 1
                await asyncio.sleep(0)

        t = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        await abroker.rpush("q", *range(1000))
        before = ticks
        for _ in range(1000):
            await abroker.blpop("q", timeout=0)
        assert ticks == before, "a ready await suspended the task"
        stop = True
        await t

    run(main())


# ---- many waiters, no threads ---------------------------------------------------------


def test_ten_thousand_awaiting_consumers_are_each_served_once_in_order():
    n = 10_000

    async def main():
        ab = embedis.asyncio.Broker()
        threads_before = threading.active_count()
        tasks = [asyncio.create_task(ab.brpop("q", timeout=0)) for _ in range(n)]
        await asyncio.sleep(0.05)
        await asyncio.sleep(0)
        assert not any(t.done() for t in tasks)
        assert threading.active_count() == threads_before, "a thread per waiter?"
        for i in range(n):
            await ab.lpush("q", i)
        results = await asyncio.gather(*tasks)
        assert threading.active_count() == threads_before
        assert await ab.exists("q") == 0
        return results

    results = run(main())
    assert results == [(b"q", str(i).encode()) for i in range(n)]


def test_awaiting_pop_timeout_returns_none(abroker):
    async def main():
        for call in (
            lambda: abroker.blpop("q", timeout=0.15),
            lambda: abroker.brpop(["q", "r"], timeout=0.15),
            lambda: abroker.blmove("q", "d", 0.15),
            lambda: abroker.brpoplpush("q", "d", 0.15),
            lambda: abroker.blmpop(0.15, 1, "q", direction="LEFT"),
            lambda: abroker.execute_command("BLPOP", "q", "0.15"),
        ):
            t0 = time.monotonic()
            assert await call() is None
            assert time.monotonic() - t0 >= 0.13
        # A timed-out waiter is gone: a later element stays in the list.
        await abroker.rpush("q", "x")
        assert await abroker.lrange("q", 0, -1) == [b"x"]

    run(main())


def test_awaiting_pop_with_a_sub_millisecond_timeout_times_out(abroker):
    async def main():
        for call in (
            lambda: abroker.blpop("q", timeout=0.0001),
            lambda: abroker.blmove("q", "d", 0.0005),
            lambda: abroker.blmpop(0.0001, 1, "q", direction="LEFT"),
        ):
            try:
                assert await asyncio.wait_for(call(), 2) is None
            except TimeoutError:
                pytest.fail("a sub-millisecond timeout waited forever instead of about 1 ms")

    run(main())


def test_awaiting_blmove_and_blmpop_are_served(abroker):
    async def main():
        mover = asyncio.create_task(abroker.blmove("jobs", "processing", 5, "RIGHT", "LEFT"))
        multi = asyncio.create_task(abroker.blmpop(5, 2, "a", "b", direction="LEFT", count=2))
        await asyncio.sleep(0.02)
        await abroker.lpush("jobs", "j1")
        await abroker.rpush("b", "1", "2", "3")
        assert await mover == b"j1"
        assert await multi == [b"b", [b"1", b"2"]]
        assert await abroker.lrange("processing", 0, -1) == [b"j1"]
        assert await abroker.lrange("b", 0, -1) == [b"3"]

    run(main())


def test_awaiting_consumers_are_served_in_arrival_order(abroker):
    async def main():
        tasks = []
        for _ in range(5):
            tasks.append(asyncio.create_task(abroker.blpop("q", timeout=5)))
            await asyncio.sleep(0.005)
        await abroker.rpush("q", *"abcde")
        return await asyncio.gather(*tasks)

    assert run(main()) == [(b"q", c.encode()) for c in "abcde"]


def test_threads_and_tasks_waiting_on_one_key_are_served_in_arrival_order():
    sync = embedis.Broker()
    ab = embedis.asyncio.Broker(broker=sync)
    thread_got = []
    t = threading.Thread(target=lambda: thread_got.append(sync.blpop("q", timeout=5)))
    t.start()
    time.sleep(0.25)  # the thread blocks first

    async def main():
        task = asyncio.create_task(ab.blpop("q", timeout=5))
        await asyncio.sleep(0.01)
        await ab.rpush("q", "a", "b")
        return await task

    assert run(main()) == (b"q", b"b")
    t.join(5)
    assert thread_got == [(b"q", b"a")]


def test_event_loops_in_several_threads_share_one_queue():
    sync = embedis.Broker()
    n_loops, per_loop = 4, 300
    results: list[list[bytes]] = [[] for _ in range(n_loops)]

    def loop_thread(i: int) -> None:
        async def main():
            ab = embedis.asyncio.Broker(broker=sync)

            async def one():
                r = await ab.brpop("q", timeout=10)
                results[i].append(r[1])

            await asyncio.gather(*(one() for _ in range(per_loop)))

        asyncio.run(main())

    threads = [threading.Thread(target=loop_thread, args=(i,)) for i in range(n_loops)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    for i in range(n_loops * per_loop):
        sync.lpush("q", i)
    for t in threads:
        t.join(20)
        assert not t.is_alive()
    got = [x for r in results for x in r]
    assert sorted(got, key=int) == [str(i).encode() for i in range(n_loops * per_loop)]


# ---- cancellation ---------------------------------------------------------------------


def test_cancelling_a_served_but_not_resumed_waiter_gives_the_element_back(abroker):
    async def main():
        t = asyncio.create_task(abroker.blpop("q", timeout=0))
        await asyncio.sleep(0.01)
        abroker.sync.rpush("q", "x")  # handed to t; t has not run again yet
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        assert await abroker.lrange("q", 0, -1) == [b"x"]
        # Back at the end it was popped from: next out.
        await abroker.rpush("q", "y")
        assert await abroker.lpop("q") == b"x"

    run(main())


def test_cancelled_brpop_gives_back_to_the_tail(abroker):
    async def main():
        t = asyncio.create_task(abroker.brpop("q", timeout=0))
        await asyncio.sleep(0.01)
        abroker.sync.rpush("q", "x")
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        await abroker.lpush("q", "y")
        assert await abroker.lrange("q", 0, -1) == [b"y", b"x"]

    run(main())


def test_an_element_given_back_by_a_cancelled_waiter_goes_to_the_next_waiter(abroker):
    async def main():
        first = asyncio.create_task(abroker.blpop("q", timeout=0))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(abroker.blpop("q", timeout=0))
        await asyncio.sleep(0.01)
        abroker.sync.rpush("q", "x")  # handed to first
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert await asyncio.wait_for(second, 2) == (b"q", b"x")
        assert await abroker.exists("q") == 0

    run(main())


def test_cancelled_blmpop_gives_back_every_element_in_order(abroker):
    async def main():
        t = asyncio.create_task(abroker.blmpop(0, 1, "q", direction="LEFT", count=3))
        await asyncio.sleep(0.01)
        abroker.sync.rpush("q", "a", "b", "c", "d")
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        assert await abroker.lrange("q", 0, -1) == [b"a", b"b", b"c", b"d"]

    run(main())


def test_cancelled_blmove_keeps_its_element_exactly_once(abroker):
    async def main():
        t = asyncio.create_task(abroker.blmove("src", "dst", 0))
        await asyncio.sleep(0.01)
        abroker.sync.rpush("src", "x")
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        src = await abroker.lrange("src", 0, -1)
        dst = await abroker.lrange("dst", 0, -1)
        assert sorted(src + dst) == [b"x"]

    run(main())


def test_cancelled_waiter_that_was_never_served_leaves_no_trace(abroker):
    async def main():
        tasks = [asyncio.create_task(abroker.blpop("q", timeout=0)) for _ in range(100)]
        await asyncio.sleep(0.01)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await abroker.rpush("q", "x")
        await asyncio.sleep(0.01)
        assert await abroker.lrange("q", 0, -1) == [b"x"]

    run(main())


def test_waiters_left_when_the_event_loop_ends_give_their_elements_back():
    sync = embedis.Broker()

    async def main():
        ab = embedis.asyncio.Broker(broker=sync)
        tasks = [asyncio.create_task(ab.blpop("q", timeout=0)) for _ in range(3)]
        await asyncio.sleep(0.01)
        sync.rpush("q", "x", "y")  # handed to the first two, which never run again
        # asyncio.run cancels the pending tasks when main returns (no loop turn between:
        # the served tasks never resume with their result).
        return tasks

    asyncio.run(main())
    assert sync.lrange("q", 0, -1) == [b"x", b"y"]
    sync.rpush("q", "z")
    assert sync.lrange("q", 0, -1) == [b"x", b"y", b"z"]


def test_wait_for_and_asyncio_timeout_on_an_awaiting_pop(abroker):
    async def main():
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(abroker.blpop("q", timeout=0), 0.05)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await abroker.brpop("q", timeout=0)
        await abroker.rpush("q", "x")
        assert await abroker.lrange("q", 0, -1) == [b"x"]

    run(main())


def test_thousands_of_cancellations_at_random_moments_lose_nothing():
    n_items = 6000
    n_consumers = 150

    async def main():
        ab = embedis.asyncio.Broker()
        sync = ab.sync
        received: list[bytes] = []
        stats = collections.Counter()
        done = False

        async def consumer(i: int) -> None:
            rng = random.Random(i)
            while not done:
                mode = rng.randrange(4)
                pop = ab.blpop if rng.random() < 0.5 else ab.brpop
                r = None
                try:
                    if mode == 0:
                        t = asyncio.create_task(pop("q", timeout=0))
                        await asyncio.sleep(rng.choice([0, 0, 0.0002, 0.001, 0.003]))
                        if t.cancel():
                            stats["cancel"] += 1
                        try:
                            r = await t
                        except asyncio.CancelledError:
                            r = None
                    elif mode == 1:
                        async with asyncio.timeout(rng.choice([0.0002, 0.001, 0.003])):
                            r = await pop("q", timeout=0)
                    elif mode == 2:
                        r = await asyncio.wait_for(pop("q", timeout=0), rng.choice([0.0002, 0.001, 0.004]))
                    else:
                        r = await pop("q", timeout=rng.choice([0.001, 0.002]))
                except TimeoutError:
                    stats["timeout"] += 1
                if r is not None:
                    assert r[0] == b"q"
                    received.append(r[1])

        def thread_producer() -> None:
            rng = random.Random(7)
            for i in range(0, n_items, 2):
                (sync.rpush if rng.random() < 0.5 else sync.lpush)("q", b"%d" % i)
                if rng.random() < 0.2:
                    time.sleep(0.0002)

        async def task_producer() -> None:
            rng = random.Random(8)
            for i in range(1, n_items, 2):
                await (ab.rpush if rng.random() < 0.5 else ab.lpush)("q", b"%d" % i)
                if rng.random() < 0.3:
                    await asyncio.sleep(rng.choice([0, 0.0005]))

        consumers = [asyncio.create_task(consumer(i)) for i in range(n_consumers)]
        thread = threading.Thread(target=thread_producer)
        thread.start()
        await task_producer()
        await asyncio.to_thread(thread.join)
        await asyncio.sleep(0.2)
        done = True
        await asyncio.gather(*consumers)
        left = sync.lrange("q", 0, -1)
        return received, left, stats

    received, left, stats = run(main(), timeout=120)
    counts = collections.Counter(received + left)
    duplicated = {k: v for k, v in counts.items() if v > 1}
    lost = {b"%d" % i for i in range(n_items)} - set(counts)
    assert not duplicated, f"duplicated: {sorted(duplicated)[:10]}"
    assert not lost, f"lost {len(lost)}: {sorted(lost)[:10]}"
    assert len(received) + len(left) == n_items
    assert stats["cancel"] + stats["timeout"] > 1000, stats
    assert len(received) > n_items // 2, (len(received), stats)
