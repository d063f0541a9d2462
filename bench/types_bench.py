"""Hash and set commands, embedis in process against its peers, in one run: HSET/HGET and
SADD/SISMEMBER per-operation time, and the ratios.

    python bench/types_bench.py             # full: about a minute
    python bench/types_bench.py --quick     # small sizes: a smoke test
    python bench/types_bench.py --no-pinned # skip the variant pinned to one CPU

Peers: redis-py talking to a redis-server this script starts (unix socket, see
``redisserver.py``; one client, one round trip per call, as everyday code does) and
fakeredis (pinned in ``bench/requirements.txt``; rows say n/a when it is not installed).
Each figure is the median of k repetitions run round-robin (embedis, redis-py, fakeredis,
embedis, ...); each ratio is the median of the per-repetition ratios. Run twice: unpinned,
and with the process and its redis-server pinned to one CPU (``taskset -c 0``, in a
subprocess). SADD/SISMEMBER rows say n/a while embedis has no sets.

Every call is a plain redis-py-style method call with ``str`` keys and fields and 20-byte
``bytes`` values, 10 fields (members) per key, as a job's state or a small registry: N
calls touch N / 10 keys. ``--per-key 200`` makes bigger hashes (still listpack-encoded
under Redis's default 512), where both sides pay a linear scan per call. Target (issue #12): embedis at
least 50x faster per operation than redis-py + redis-server.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from redisserver import RedisServer, find_redis_server  # noqa: E402

import embedis  # noqa: E402

try:
    import fakeredis
except ImportError:  # pragma: no cover - optional peer
    fakeredis = None  # type: ignore[assignment]

PER_KEY = 10
VALUE = b"v" * 20
TARGET = 50.0


def names(n: int) -> tuple[list[str], list[str]]:
    """The key and the field (or member) of each of n operations: PER_KEY per key."""
    keys = max(1, n // PER_KEY)
    return [f"key:{i % keys}" for i in range(n)], [f"field:{i:08d}" for i in range(n)]


def time_ops(fn: Callable[[str, str], Any], keys: list[str], fields: list[str]) -> float:
    """ns per call of fn over the pairs, with the cyclic GC off."""
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        for k, f in zip(keys, fields):
            fn(k, f)
        return (time.perf_counter_ns() - t0) / len(keys)
    finally:
        gc.enable()


def measure(client: Any, kind: str, n: int) -> dict[str, float]:
    """One repetition on one client: the write op then the read op, ns/op each."""
    client.flushall()
    keys, fields = names(n)
    if kind == "hash":
        write = time_ops(lambda k, f: client.hset(k, f, VALUE), keys, fields)
        read = time_ops(client.hget, keys, fields)
        return {"HSET": write, "HGET": read}
    write = time_ops(client.sadd, keys, fields)
    read = time_ops(client.sismember, keys, fields)
    return {"SADD": write, "SISMEMBER": read}


def child(quick: bool, per_key: int) -> dict[str, Any]:
    """Every measurement, in this process (run pinned or not by the parent)."""
    global PER_KEY
    PER_KEY = per_key
    reps = 3 if quick else 7
    n_local = 20_000 if quick else 200_000
    n_remote = 2_000 if quick else 20_000
    exe = find_redis_server()
    server = RedisServer(exe) if exe else None
    clients: dict[str, tuple[Any, int]] = {"embedis": (embedis.Broker(), n_local)}
    if server is not None:
        clients["redis-py + redis-server"] = (server.client(), n_remote)
    if fakeredis is not None:
        clients["fakeredis"] = (fakeredis.FakeRedis(), n_remote)
    out: dict[str, Any] = {"server": server.version if server else None, "rows": {}}
    try:
        for kind, ops in (("hash", ("HSET", "HGET")), ("set", ("SADD", "SISMEMBER"))):
            runnable = {name: c for name, c in clients.items() if hasattr(c[0], "sadd" if kind == "set" else "hset")}
            if "embedis" not in runnable:
                for op in ops:
                    out["rows"][op] = None
                continue
            for name, (client, n) in runnable.items():
                measure(client, kind, min(n, 2_000))  # warm-up
            samples: dict[str, list[dict[str, float]]] = {name: [] for name in runnable}
            for rep in range(reps):
                order = list(runnable.items())
                if rep % 2:
                    order.reverse()
                for name, (client, n) in order:
                    samples[name].append(measure(client, kind, n))
            for op in ops:
                row: dict[str, Any] = {}
                for name in runnable:
                    row[name] = statistics.median(s[op] for s in samples[name])
                    if name != "embedis":
                        ratios = [p[op] / e[op] for p, e in zip(samples[name], samples["embedis"])]
                        row[f"{name} ratio"] = statistics.median(ratios)
                out["rows"][op] = row
    finally:
        if server is not None:
            server.stop()
    return out


def run_child(quick: bool, pinned: bool, per_key: int) -> dict[str, Any]:
    cmd = [sys.executable, os.path.abspath(__file__), "--_child", "--per-key", str(per_key)] + (["--quick"] if quick else [])
    if pinned:
        cmd = ["taskset", "-c", "0", *cmd]
    res = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(res.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-pinned", action="store_true")
    ap.add_argument("--per-key", type=int, default=PER_KEY, help="fields (members) per key (default 10)")
    ap.add_argument("--_child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._child:
        print(json.dumps(child(args.quick, args.per_key)))
        return
    variants = [(f"{os.cpu_count()} CPUs, unpinned", False)]
    if not args.no_pinned and shutil.which("taskset"):
        variants.append(("1 CPU (taskset -c 0)", True))
    fr = getattr(fakeredis, "__version__", None) if fakeredis else None
    print(f"## Hashes and sets, {args.per_key} fields per key: ns per call "
          f"(embedis {embedis.__version__}, fakeredis {fr or 'not installed'})\n")
    print("| Op | CPUs | embedis | redis-py + redis-server | fakeredis | vs redis-py | vs fakeredis | target >= 50x |")
    print("|---|---|---|---|---|---|---|---|")
    peer = "redis-py + redis-server"
    for label, pinned in variants:
        res = run_child(args.quick, pinned, args.per_key)
        for op, row in res["rows"].items():
            if row is None:
                print(f"| {op} | {label} | n/a (no {op} in embedis yet) | | | | | |")
                continue
            cell = lambda name: f"{row[name]:.0f}" if name in row else "n/a"  # noqa: E731
            ratio = lambda name: f"{row[name + ' ratio']:.1f}x" if name + " ratio" in row else "n/a"  # noqa: E731
            verdict = ("PASS" if row[peer + " ratio"] >= TARGET else "MISS") if peer + " ratio" in row else "n/a"
            print(f"| {op} | {label} | {cell('embedis')} | {cell(peer)} | {cell('fakeredis')} | "
                  f"{ratio(peer)} | {ratio('fakeredis')} | {verdict} |")


if __name__ == "__main__":
    main()
