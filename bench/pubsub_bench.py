"""Pub/sub: embedis side by side with redis-py + redis-server, in one run, with ratios.

    python bench/pubsub_bench.py            # full run (about a minute)
    python bench/pubsub_bench.py --quick    # small sizes: a smoke test
    python bench/pubsub_bench.py --json out.json

Workloads (100-byte `bytes` messages, str channel names):

- **pubsub-1**: a publisher thread publishes N messages on one channel while a subscriber
  thread reads them with ``get_message(timeout=1.0)``; from the start of both to the last
  message read: delivered msgs/s.
- **pubsub-fanout-100**: the same with 100 subscribers of the channel, all read by one
  reader thread (round-robin, ``get_message(timeout=None)``); delivered msgs/s = N x 100 /
  elapsed.
- **publish cost**: ``publish`` alone (nobody reading meanwhile) to a channel with 1 and
  with 100 subscribers, ns per call; the fan-out cost per subscriber is
  (ns with 100 - ns with 1) / 99.

redis-py talks to a redis-server started here on a unix socket (``--save ''
--appendonly no``), one client per thread plus one connection per subscriber. Each
figure is the median of k repetitions, run round-robin (embedis, redis, embedis, ...).
Everything runs twice, each time in a fresh subprocess with its own redis-server:
unpinned, and pinned to one CPU with ``taskset -c 0`` (the benchmark and its server).
Build embedis in release mode first (``maturin develop --release``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from redisserver import RedisServer, find_redis_server  # noqa: E402

import embedis  # noqa: E402

MSG = b"m" * 100
FANOUT = 100
TARGET_1SUB = 20.0  # embedis vs redis-py, pubsub-1, each CPU setting

FULL = {"reps": 5, "pair": 300_000, "pair_redis": 20_000, "fan": 10_000, "fan_redis": 1_000,
        "pub": 20_000, "pub_redis": 4_000}
QUICK = {"reps": 3, "pair": 30_000, "pair_redis": 3_000, "fan": 1_000, "fan_redis": 200,
         "pub": 2_000, "pub_redis": 500}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---- embedis ---------------------------------------------------------------------------


def _embedis_subscribers(broker: embedis.Broker, n: int) -> list[Any]:
    subs = []
    for _ in range(n):
        p = broker.pubsub()
        p.subscribe("ch")
        assert p.get_message()["type"] == "subscribe"
        p.ignore_subscribe_messages = True
        subs.append(p)
    return subs


def _pair(publish: Callable[[str, bytes], Any], subs: list[Any], n: int, timeout: float | None) -> float:
    """Publishes n messages from this thread while one reader thread reads every
    subscriber round-robin; returns delivered msgs/s."""
    failed: list[str] = []

    def reader() -> None:
        gets = [p.get_message for p in subs]
        for _ in range(n):
            for get in gets:
                while get(timeout=timeout) is None:
                    if timeout is None:
                        failed.append("get_message(timeout=None) returned None")
                        return

    t = threading.Thread(target=reader)
    t0 = time.perf_counter()
    t.start()
    for _ in range(n):
        publish("ch", MSG)
    t.join()
    elapsed = time.perf_counter() - t0
    if failed:
        raise RuntimeError(failed[0])
    return n * len(subs) / elapsed


def pair_embedis(n: int, n_subs: int) -> dict[str, float]:
    broker = embedis.Broker()
    subs = _embedis_subscribers(broker, n_subs)
    return {"msgs_per_s": _pair(broker.publish, subs, n, 1.0 if n_subs == 1 else None)}


def publish_cost_embedis(n: int, n_subs: int) -> dict[str, float]:
    broker = embedis.Broker()
    subs = _embedis_subscribers(broker, n_subs)
    publish = broker.publish
    t0 = time.perf_counter_ns()
    for _ in range(n):
        publish("ch", MSG)
    ns = (time.perf_counter_ns() - t0) / n
    for p in subs:
        p.close()
    return {"ns_per_publish": ns}


# ---- redis-py + redis-server ------------------------------------------------------------


def _redis_subscribers(server: RedisServer, n: int) -> tuple[list[Any], list[Any]]:
    clients, subs = [], []
    for _ in range(n):
        c = server.client()
        p = c.pubsub()
        p.subscribe("ch")
        assert p.get_message(timeout=5)["type"] == "subscribe"
        p.ignore_subscribe_messages = True
        clients.append(c)
        subs.append(p)
    return clients, subs


def _close_redis(clients: list[Any], subs: list[Any]) -> None:
    for p in subs:
        p.close()
    for c in clients:
        c.close()


def pair_redis(server: RedisServer, n: int, n_subs: int) -> dict[str, float]:
    clients, subs = _redis_subscribers(server, n_subs)
    pub = server.client()
    try:
        return {"msgs_per_s": _pair(pub.publish, subs, n, 1.0 if n_subs == 1 else None)}
    finally:
        pub.close()
        _close_redis(clients, subs)


def publish_cost_redis(server: RedisServer, n: int, n_subs: int) -> dict[str, float]:
    clients, subs = _redis_subscribers(server, n_subs)
    pub = server.client()
    try:
        publish = pub.publish
        t0 = time.perf_counter_ns()
        for _ in range(n):
            publish("ch", MSG)
        return {"ns_per_publish": (time.perf_counter_ns() - t0) / n}
    finally:
        pub.close()
        _close_redis(clients, subs)


# ---- one CPU setting (runs in a child process) ------------------------------------------


def measure(sizes: dict[str, int], server: RedisServer | None) -> list[dict[str, Any]]:
    """Every figure of one CPU setting: medians over round-robin repetitions."""
    rows: list[dict[str, Any]] = []

    def compare(workload: str, specs: list[tuple[str, Callable[[], dict[str, float]], int]], key: str) -> None:
        for _, fn, _ in specs:  # warm-up round, untimed
            fn()
        runs: list[list[dict[str, float]]] = [[] for _ in specs]
        for _ in range(sizes["reps"]):
            for (_, fn, _), out in zip(specs, runs):
                out.append(fn())
        for (impl, _, n), out in zip(specs, runs):
            rows.append({"workload": workload, "impl": impl, "n": n, "key": key,
                         "value": statistics.median(r[key] for r in out),
                         "reps": [r[key] for r in out]})
        log(f"  {workload}: " + ", ".join(f"{r['impl']} {r['value']:,.0f}" for r in rows[-len(specs):]))

    def specs_for(emb: Callable[[], dict[str, float]], n: int,
                  red: Callable[[], dict[str, float]], n_redis: int) -> list[tuple[str, Callable[[], dict[str, float]], int]]:
        out = [("embedis", emb, n)]
        if server is not None:
            out.append(("redis-py + redis-server", red, n_redis))
        return out

    s = sizes
    compare("pubsub-1 (msgs/s)", specs_for(
        lambda: pair_embedis(s["pair"], 1), s["pair"],
        lambda: pair_redis(server, s["pair_redis"], 1), s["pair_redis"]), "msgs_per_s")
    compare(f"pubsub-fanout-{FANOUT} (msgs/s)", specs_for(
        lambda: pair_embedis(s["fan"], FANOUT), s["fan"],
        lambda: pair_redis(server, s["fan_redis"], FANOUT), s["fan_redis"]), "msgs_per_s")
    for n_subs in (1, FANOUT):
        compare(f"publish, {n_subs} subscriber{'s' if n_subs > 1 else ''} (ns/call)", specs_for(
            lambda n_subs=n_subs: publish_cost_embedis(s["pub"], n_subs), s["pub"],
            lambda n_subs=n_subs: publish_cost_redis(server, s["pub_redis"], n_subs), s["pub_redis"]),
            "ns_per_publish")
    return rows


def child(sizes: dict[str, int], out_path: str) -> None:
    binary = find_redis_server()
    if binary is None:
        log("redis-server or redis-py missing: redis-py rows skipped")
        rows = measure(sizes, None)
    else:
        with RedisServer(binary) as server:
            log(f"  redis-server {server.version} on {server.sock}")
            rows = measure(sizes, server)
    with open(out_path, "w") as f:
        json.dump(rows, f)


def run_setting(quick: bool, pinned: bool) -> list[dict[str, Any]] | None:
    cmd = [sys.executable, os.path.abspath(__file__)]
    if pinned:
        taskset = shutil.which("taskset")
        if taskset is None:
            log("taskset not found: the pinned variant is skipped")
            return None
        cmd = [taskset, "-c", "0", *cmd]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "rows.json")
        cmd += ["--_child", out] + (["--quick"] if quick else [])
        subprocess.run(cmd, check=True)
        with open(out) as f:
            return json.load(f)  # type: ignore[no-any-return]


# ---- report ---------------------------------------------------------------------------


def report(results: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Prints the table; returns the PASS/MISS lines."""
    print("| workload | CPUs | implementation | n | result | embedis vs this |")
    print("|---|---|---|---:|---:|---:|")
    verdicts = []
    for cpus, rows in results.items():
        by_workload: dict[str, dict[str, dict[str, Any]]] = {}
        for r in rows:
            by_workload.setdefault(r["workload"], {})[r["impl"]] = r
        for workload, impls in by_workload.items():
            mine = impls["embedis"]
            lower_better = "ns/call" in workload
            for impl, r in impls.items():
                if impl == "embedis":
                    ratio = ""
                else:
                    x = r["value"] / mine["value"] if lower_better else mine["value"] / r["value"]
                    ratio = f"{x:,.1f}x"
                unit = "ns" if lower_better else "msgs/s"
                print(f"| {workload} | {cpus} | {impl} | {r['n']:,} | {r['value']:,.0f} {unit} | {ratio} |")
        if "redis-py + redis-server" in by_workload.get("pubsub-1 (msgs/s)", {}):
            one = by_workload["pubsub-1 (msgs/s)"]
            x = one["embedis"]["value"] / one["redis-py + redis-server"]["value"]
            ok = "PASS" if x >= TARGET_1SUB else "MISS"
            verdicts.append(f"{ok}: pubsub-1 [{cpus}] embedis {x:,.1f}x redis-py (target >= {TARGET_1SUB:.0f}x)")
        costs = {}
        for impl in ("embedis", "redis-py + redis-server"):
            try:
                one = by_workload["publish, 1 subscriber (ns/call)"][impl]["value"]
                many = by_workload[f"publish, {FANOUT} subscribers (ns/call)"][impl]["value"]
            except KeyError:
                continue
            costs[impl] = (many - one) / (FANOUT - 1)
        if costs:
            verdicts.append(f"fan-out cost per extra subscriber [{cpus}]: "
                            + ", ".join(f"{k} {v:,.0f} ns" for k, v in costs.items()))
    print()
    for v in verdicts:
        print(v)
    return verdicts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    ap.add_argument("--json", help="also write every figure and repetition to this file")
    ap.add_argument("--no-pinned", action="store_true", help="skip the variant pinned to one CPU")
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    sizes = QUICK if args.quick else FULL
    if args._child:
        child(sizes, args._child)
        return
    results: dict[str, list[dict[str, Any]]] = {}
    log(f"unpinned ({os.cpu_count()} CPUs):")
    unpinned = run_setting(args.quick, pinned=False)
    if unpinned is not None:
        results[f"{os.cpu_count()} CPUs, unpinned"] = unpinned
    if not args.no_pinned:
        log("pinned (taskset -c 0):")
        pinned = run_setting(args.quick, pinned=True)
        if pinned is not None:
            results["1 CPU (taskset -c 0)"] = pinned
    print(f"embedis {embedis.__version__}, Python {sys.version.split()[0]}, 100-byte messages, "
          f"median of {sizes['reps']} repetitions\n")
    verdicts = report(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "verdicts": verdicts}, f, indent=1)


if __name__ == "__main__":
    main()
