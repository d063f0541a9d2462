"""The workloads: one function per (workload, implementation), each timing ONE repetition.

Every function returns a dict of metrics for that repetition; ``run.py`` repeats it,
keeps the median of each metric, and builds the table. Times come from
``time.perf_counter_ns``; the garbage collector is off while a repetition runs.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import os
import queue
import statistics
import threading
from collections.abc import Callable
from time import perf_counter_ns
from typing import Any

import embedis
import embedis.asyncio

PAYLOAD = b"x" * 100
KEY = "q"
# A blocking pop that waits this long has lost its producer: fail, do not hang.
BLOCK_TIMEOUT = 30

Metrics = dict[str, float]


class gc_off:
    """Collect, then keep the cyclic GC off for the block (as timeit does)."""

    def __enter__(self) -> None:
        gc.collect()
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.was:
            gc.enable()


def _check(value: Any) -> None:
    if value is None:
        raise RuntimeError("a blocking pop timed out: the benchmark lost a message")


# ---- list-seq: N LPUSH then N RPOP on one thread (ns per op) --------------------------------


def seq_embedis(n: int, **broker_kwargs: Any) -> Metrics:
    r = embedis.Broker(**broker_kwargs)
    lpush, rpop, p = r.lpush, r.rpop, PAYLOAD
    with gc_off():
        t0 = perf_counter_ns()
        for _ in range(n):
            lpush(KEY, p)
        t1 = perf_counter_ns()
        for _ in range(n):
            rpop(KEY)
        t2 = perf_counter_ns()
    assert r.llen(KEY) == 0
    return {"ns_per_op": (t2 - t0) / (2 * n), "push_ns": (t1 - t0) / n, "pop_ns": (t2 - t1) / n}


def seq_embedis_calls(n: int) -> Metrics:
    """Reference points for the cost of a call, not a peer: LLEN (the cheapest list
    method), and BRPOP served at once (an element is always there)."""
    r = embedis.Broker()
    llen, brpop = r.llen, r.brpop
    r.rpush(KEY, *([PAYLOAD] * n))
    with gc_off():
        t0 = perf_counter_ns()
        for _ in range(n):
            llen(KEY)
        t1 = perf_counter_ns()
        for _ in range(n):
            brpop(KEY, BLOCK_TIMEOUT)
        t2 = perf_counter_ns()
    return {"llen_ns": (t1 - t0) / n, "brpop_ready_ns": (t2 - t1) / n}


def seq_deque(n: int) -> Metrics:
    d: collections.deque[bytes] = collections.deque()
    push, pop, p = d.appendleft, d.pop, PAYLOAD
    with gc_off():
        t0 = perf_counter_ns()
        for _ in range(n):
            push(p)
        t1 = perf_counter_ns()
        for _ in range(n):
            pop()
        t2 = perf_counter_ns()
    return {"ns_per_op": (t2 - t0) / (2 * n), "push_ns": (t1 - t0) / n, "pop_ns": (t2 - t1) / n}


def seq_queue(n: int) -> Metrics:
    q: queue.Queue[bytes] = queue.Queue()
    put, get, p = q.put, q.get, PAYLOAD
    with gc_off():
        t0 = perf_counter_ns()
        for _ in range(n):
            put(p)
        t1 = perf_counter_ns()
        for _ in range(n):
            get()
        t2 = perf_counter_ns()
    return {"ns_per_op": (t2 - t0) / (2 * n), "push_ns": (t1 - t0) / n, "pop_ns": (t2 - t1) / n}


def seq_redis(n: int, server: Any) -> Metrics:
    r = server.client()
    r.delete(KEY)
    lpush, rpop, p = r.lpush, r.rpop, PAYLOAD
    with gc_off():
        t0 = perf_counter_ns()
        for _ in range(n):
            lpush(KEY, p)
        t1 = perf_counter_ns()
        for _ in range(n):
            rpop(KEY)
        t2 = perf_counter_ns()
    assert r.llen(KEY) == 0
    r.close()
    return {"ns_per_op": (t2 - t0) / (2 * n), "push_ns": (t1 - t0) / n, "pop_ns": (t2 - t1) / n}


# ---- list-pair: producer thread pushes, consumer thread blocks-pops N messages (msgs/s) ------


def _pair(produce: Callable[[], None], consume: Callable[[], None], n: int) -> Metrics:
    consumer = threading.Thread(target=consume)
    producer = threading.Thread(target=produce)
    with gc_off():
        t0 = perf_counter_ns()
        consumer.start()
        producer.start()
        producer.join()
        consumer.join()
        t1 = perf_counter_ns()
    return {"msgs_per_s": n * 1e9 / (t1 - t0)}


def pair_embedis(n: int, **broker_kwargs: Any) -> Metrics:
    r = embedis.Broker(**broker_kwargs)

    def produce() -> None:
        lpush, p = r.lpush, PAYLOAD
        for _ in range(n):
            lpush(KEY, p)

    def consume() -> None:
        brpop = r.brpop
        for _ in range(n):
            _check(brpop(KEY, BLOCK_TIMEOUT))

    out = _pair(produce, consume, n)
    assert r.llen(KEY) == 0
    return out


def pair_queue(n: int) -> Metrics:
    q: queue.Queue[bytes] = queue.Queue()

    def produce() -> None:
        put, p = q.put, PAYLOAD
        for _ in range(n):
            put(p)

    def consume() -> None:
        get = q.get
        for _ in range(n):
            get(timeout=BLOCK_TIMEOUT)

    return _pair(produce, consume, n)


def pair_redis(n: int, server: Any) -> Metrics:
    producer_client, consumer_client = server.client(), server.client()
    producer_client.delete(KEY)

    def produce() -> None:
        lpush, p = producer_client.lpush, PAYLOAD
        for _ in range(n):
            lpush(KEY, p)

    def consume() -> None:
        brpop = consumer_client.brpop
        for _ in range(n):
            _check(brpop(KEY, BLOCK_TIMEOUT))

    out = _pair(produce, consume, n)
    producer_client.close()
    consumer_client.close()
    return out


# ---- list-latency: ping-pong between two threads through two lists (µs per round trip) -------


def _latency(ping: Callable[[], None], echo: Callable[[int], None], n: int) -> Metrics:
    warmup = max(n // 10, 10)
    samples = [0] * (n + warmup)
    t = threading.Thread(target=echo, args=(n + warmup,))
    with gc_off():
        t.start()
        for i in range(n + warmup):
            t0 = perf_counter_ns()
            ping()
            samples[i] = perf_counter_ns() - t0
        t.join()
    rtt = sorted(samples[warmup:])
    return {"median_us": statistics.median(rtt) / 1e3, "p99_us": rtt[int(len(rtt) * 0.99)] / 1e3}


def latency_embedis(n: int) -> Metrics:
    r = embedis.Broker()

    def ping() -> None:
        r.rpush("ping", PAYLOAD)
        _check(r.blpop("pong", BLOCK_TIMEOUT))

    def echo(count: int) -> None:
        blpop, rpush = r.blpop, r.rpush
        for _ in range(count):
            got: Any = blpop("ping", BLOCK_TIMEOUT)
            _check(got)
            rpush("pong", got[1])

    return _latency(ping, echo, n)


def latency_queue(n: int) -> Metrics:
    pings: queue.Queue[bytes] = queue.Queue()
    pongs: queue.Queue[bytes] = queue.Queue()

    def ping() -> None:
        pings.put(PAYLOAD)
        pongs.get(timeout=BLOCK_TIMEOUT)

    def echo(count: int) -> None:
        get, put = pings.get, pongs.put
        for _ in range(count):
            put(get(timeout=BLOCK_TIMEOUT))

    return _latency(ping, echo, n)


def latency_redis(n: int, server: Any) -> Metrics:
    a, b = server.client(), server.client()
    a.delete("ping", "pong")

    def ping() -> None:
        a.rpush("ping", PAYLOAD)
        _check(a.blpop("pong", BLOCK_TIMEOUT))

    def echo(count: int) -> None:
        for _ in range(count):
            got = b.blpop("ping", BLOCK_TIMEOUT)
            _check(got)
            b.rpush("pong", got[1])

    out = _latency(ping, echo, n)
    a.close()
    b.close()
    return out


# ---- async-list-pair: a producer task and a consumer task on one event loop (msgs/s) ---------
#
# "burst": the producer never yields (an unbounded queue's put never suspends), so the
# consumer finds items waiting: the ready path. "interleaved": the producer yields to the
# loop after every push (``await asyncio.sleep(0)``), so the consumer is usually parked
# when the item arrives: the wake-up path.


# (put, get): put(item) and get() return awaitables.
PutGet = tuple[Callable[..., Any], Callable[[], Any]]


def _async_pair(make: Callable[[], PutGet], n: int, interleaved: bool) -> Metrics:
    async def main() -> int:
        put, get = make()

        async def produce() -> None:
            p = PAYLOAD
            for _ in range(n):
                await put(p)
                if interleaved:
                    await asyncio.sleep(0)

        async def consume() -> None:
            for _ in range(n):
                _check(await get())

        t0 = perf_counter_ns()
        await asyncio.wait_for(asyncio.gather(consume(), produce()), BLOCK_TIMEOUT)
        return perf_counter_ns() - t0

    with gc_off():
        elapsed = asyncio.run(main())
    return {"msgs_per_s": n * 1e9 / elapsed}


def async_embedis(n: int, interleaved: bool) -> Metrics:
    def make() -> PutGet:
        r = embedis.asyncio.Broker()
        return (lambda v: r.lpush(KEY, v)), (lambda: r.brpop(KEY, 0))

    return _async_pair(make, n, interleaved)


def async_embedis_timeout(n: int, interleaved: bool) -> Metrics:
    """As ``async_embedis`` with a finite BRPOP timeout (``asyncio.timeout`` inside)."""

    def make() -> PutGet:
        r = embedis.asyncio.Broker()
        return (lambda v: r.lpush(KEY, v)), (lambda: r.brpop(KEY, BLOCK_TIMEOUT))

    return _async_pair(make, n, interleaved)


def async_queue(n: int, interleaved: bool) -> Metrics:
    def make() -> PutGet:
        q: asyncio.Queue[bytes] = asyncio.Queue()
        return q.put, q.get

    return _async_pair(make, n, interleaved)


# ---- memory: resident bytes per element, 1,000,000 elements of 100 bytes in one list ---------

MEMORY_BATCH = 1000


def element(i: int) -> bytes:
    """The i-th element: 100 distinct bytes (so nothing can be shared between elements)."""
    return b"%0100d" % i


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_embedis_child(n: int) -> dict[str, float]:
    """Runs in a fresh interpreter (``run.py --_memory-child N``): RSS after - before."""
    r = embedis.Broker()
    r.rpush("warm", b"w")  # first-use allocations (the keyspace, the list type) are not per element
    r.delete("warm")
    [element(i) for i in range(MEMORY_BATCH)]  # warm the interpreter's small-object pools
    gc.collect()
    before = rss_bytes()
    for start in range(0, n, MEMORY_BATCH):
        r.rpush(KEY, *[element(i) for i in range(start, min(start + MEMORY_BATCH, n))])
    gc.collect()
    after = rss_bytes()
    assert r.llen(KEY) == n and r.lindex(KEY, n - 1) == element(n - 1)
    r.delete(KEY)
    freed = rss_bytes()
    return {"per_elem": (after - before) / n, "rss_delta": after - before, "rss_after_delete": freed - before}


def memory_redis(n: int, server: Any) -> dict[str, float]:
    r = server.client()
    r.flushall()
    before_used = int(r.info("memory")["used_memory"])
    before_rss = server.rss_bytes()
    pipe = r.pipeline(transaction=False)
    for k, start in enumerate(range(0, n, MEMORY_BATCH)):
        pipe.rpush(KEY, *[element(i) for i in range(start, min(start + MEMORY_BATCH, n))])
        if k % 10 == 9:
            pipe.execute()
    pipe.execute()
    assert r.llen(KEY) == n
    after_used = int(r.info("memory")["used_memory"])
    after_rss = server.rss_bytes()
    r.flushall()
    r.close()
    return {
        "per_elem": (after_used - before_used) / n,
        "rss_per_elem": (after_rss - before_rss) / n,
    }
