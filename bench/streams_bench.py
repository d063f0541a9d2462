"""Streams: embedis side by side with redis-py + redis-server (unix socket), in one run.

    python bench/streams_bench.py            # full run (about a minute)
    python bench/streams_bench.py --quick    # small sizes: a smoke test
    python bench/streams_bench.py --memory   # also resident bytes per entry, 1,000,000 entries
    python bench/streams_bench.py --only consume   # one workload (xadd, consume, end-to-end)

Workloads (every entry has two fields, ``order_id`` and ``payload``: about 100 bytes):

- xadd: one thread, N ``XADD s * ...`` (entries/s);
- consume: a stream of N entries read by one consumer of a group with ``XREADGROUP COUNT
  100`` and acknowledged with ``XACK`` of each batch (entries/s);
- end-to-end: one producer thread XADDs N entries while four consumer threads of one group
  read (``XREADGROUP COUNT 100 BLOCK 100``) and ack them; from start to the last ack.
- memory (``--memory``): resident bytes per entry for 1,000,000 entries: embedis in a fresh
  interpreter (RSS after − before), redis-server's ``used_memory`` and RSS deltas.

Each figure is the median of k repetitions run round-robin; each ratio ("embedis vs
redis-py") is the median of the per-repetition ratios. Target: >= 20x on each workload and
no more memory than redis-server.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from redisserver import RedisServer, find_redis_server  # noqa: E402

import embedis  # noqa: E402

PAD = "x" * 86


def fields(i: int) -> dict[str, str]:
    return {"order_id": f"OID-{i:06d}", "payload": PAD}


# ---- workloads: each returns seconds for n entries ----------------------------------------


def xadd(client: Any, n: int) -> float:
    client.delete("s")
    t = time.perf_counter()
    for i in range(n):
        client.xadd("s", fields(i))
    return time.perf_counter() - t


def consume(client: Any, n: int) -> float:
    client.delete("s")
    for i in range(n):
        client.xadd("s", fields(i))
    client.xgroup_create("s", "g", 0)
    got = 0
    t = time.perf_counter()
    while True:
        r = client.xreadgroup("g", "c", {"s": ">"}, count=100)
        if not r:
            break
        ids = [e[0] for e in r[0][1]]
        client.xack("s", "g", *ids)
        got += len(ids)
    dt = time.perf_counter() - t
    assert got == n, (got, n)
    return dt


def end_to_end(make_client: Callable[[], Any], n: int, consumers: int = 4) -> float:
    admin = make_client()
    admin.delete("s")
    admin.xgroup_create("s", "g", "$", mkstream=True)
    done = threading.Event()
    counts = [0] * consumers
    lock = threading.Lock()
    total = [0]

    def consumer(k: int) -> None:
        c = make_client()
        while not done.is_set():
            r = c.xreadgroup("g", f"c{k}", {"s": ">"}, count=100, block=100)
            if not r:
                continue
            ids = [e[0] for e in r[0][1]]
            c.xack("s", "g", *ids)
            counts[k] += len(ids)
            with lock:
                total[0] += len(ids)
                if total[0] >= n:
                    done.set()

    threads = [threading.Thread(target=consumer, args=(k,)) for k in range(consumers)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    producer = make_client()
    for i in range(n):
        producer.xadd("s", fields(i))
    done.wait(120)
    dt = time.perf_counter() - t
    done.set()
    for th in threads:
        th.join()
    assert total[0] == n, (total[0], n)
    return dt


# ---- memory ---------------------------------------------------------------------------------

EMBEDIS_MEMORY = textwrap.dedent(
    """
    import gc, os, sys
    import embedis
    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    n = int(sys.argv[1])
    pad = "x" * 86
    b = embedis.Broker()
    payload = [("OID-%06d" % i) for i in range(n)]
    gc.collect()
    before = rss()
    for i in range(n):
        b.xadd("s", {"order_id": payload[i], "payload": pad})
    after = rss()
    print((after - before) / n)
    """
)


def memory(n: int, srv: RedisServer | None) -> dict[str, float]:
    out = {}
    proc = subprocess.run([sys.executable, "-c", EMBEDIS_MEMORY, str(n)], capture_output=True, text=True, check=True)
    out["embedis RSS"] = float(proc.stdout.strip())
    if srv is not None:
        c = srv.client()
        c.flushall()
        used0, rss0 = c.info("memory")["used_memory"], srv.rss_bytes()
        pipe = c.pipeline(transaction=False)
        for i in range(n):
            pipe.xadd("s", fields(i))
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()
        out["redis-server used_memory"] = (c.info("memory")["used_memory"] - used0) / n
        out["redis-server RSS"] = (srv.rss_bytes() - rss0) / n
        c.flushall()
    return out


# ---- running ---------------------------------------------------------------------------------


def measure(name: str, run_e: Callable[[], float], run_r: Callable[[], float] | None, n_e: int, n_r: int, reps: int) -> None:
    e_rates, r_rates, ratios = [], [], []
    for _ in range(reps):
        gc.collect()
        gc.disable()
        try:
            e = n_e / run_e()
            r = n_r / run_r() if run_r else None
        finally:
            gc.enable()
        e_rates.append(e)
        if r is not None:
            r_rates.append(r)
            ratios.append(e / r)
    e_med = statistics.median(e_rates)
    line = f"| {name:<11} | {e_med / 1e3:>10,.0f} k/s |"
    if r_rates:
        ratio = statistics.median(ratios)
        mark = "PASS" if ratio >= 20 else "MISS"
        line += f" {statistics.median(r_rates) / 1e3:>10,.1f} k/s | {ratio:>6.1f}x | {mark} (>= 20x) |"
    else:
        line += " (no redis-server) | | |"
    print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes")
    ap.add_argument("--memory", action="store_true", help="also measure memory per entry (1,000,000 entries)")
    ap.add_argument("--only", choices=["xadd", "consume", "end-to-end"], action="append", help="run only this workload (repeatable)")
    args = ap.parse_args()
    reps = 3
    n_e, n_r, n_e2e, n_e2e_r = (200_000, 20_000, 200_000, 20_000) if not args.quick else (30_000, 3_000, 30_000, 3_000)
    binary = find_redis_server()
    srv = RedisServer(binary) if binary else None
    try:
        if srv:
            print(f"redis-server {srv.version} on a unix socket; redis-py {__import__('redis').__version__}")
        print(f"embedis {embedis.__version__}; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs\n")
        print("| workload    | embedis        | redis-py       | ratio   | target          |")
        print("|-------------|----------------|----------------|---------|-----------------|")
        b = embedis.Broker()
        rc = srv.client() if srv else None
        wanted = set(args.only or ["xadd", "consume", "end-to-end"])
        if "xadd" in wanted:
            measure("xadd", lambda: xadd(b, n_e), (lambda: xadd(rc, n_r)) if rc else None, n_e, n_r, reps)
        if "consume" in wanted:
            measure("consume", lambda: consume(b, n_e), (lambda: consume(rc, n_r)) if rc else None, n_e, n_r, reps)
        if "end-to-end" in wanted:
            measure(
                "end-to-end",
                lambda: end_to_end(lambda: embedis.Broker(broker=b), n_e2e),
                (lambda: end_to_end(srv.client, n_e2e_r)) if srv else None,
                n_e2e,
                n_e2e_r,
                reps,
            )
        if args.memory:
            n = 1_000_000 if not args.quick else 100_000
            m = memory(n, srv)
            print(f"\nmemory, bytes per entry ({n:,} two-field entries of about 100 bytes):")
            for k, v in m.items():
                print(f"  {k:<26} {v:8.1f}")
            if "redis-server used_memory" in m:
                ok = m["embedis RSS"] <= m["redis-server used_memory"]
                print(f"  {'PASS' if ok else 'MISS'}: embedis RSS <= redis-server used_memory")
    finally:
        if srv:
            srv.stop()


if __name__ == "__main__":
    main()
