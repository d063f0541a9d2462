"""embedis side by side with its peers, in one run: a markdown table of results and ratios.

    python bench/run.py                  # full run (a few minutes)
    python bench/run.py --quick          # small sizes (~20 s): a smoke test
    python bench/run.py --json out.json  # also write every repetition as JSON

Peers: collections.deque, queue.Queue, asyncio.Queue, and redis-py talking to a local
redis-server over a unix socket (started here in a temp dir, stopped at the end; skipped
if redis-server or redis-py is missing). Hand-off workloads (list-pair, list-latency,
async-list-pair) run twice: unpinned, and with the whole benchmark process and its
redis-server pinned to one CPU (``taskset -c 0``, in a subprocess). Each figure is the
median of k repetitions. See bench/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import workloads as w  # noqa: E402
from redisserver import RedisServer, find_redis_server, redis_py  # noqa: E402

import embedis  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    reps: int
    seq: int
    seq_redis: int
    pair: int
    pair_redis: int
    latency: int
    latency_redis: int
    async_n: int
    memory: int


FULL = Sizes(reps=5, seq=200_000, seq_redis=20_000, pair=200_000, pair_redis=20_000,
             latency=20_000, latency_redis=5_000, async_n=200_000, memory=1_000_000)
QUICK = Sizes(reps=3, seq=100_000, seq_redis=2_000, pair=50_000, pair_redis=2_000,
              latency=3_000, latency_redis=500, async_n=50_000, memory=100_000)

UNPINNED = f"{os.cpu_count()} CPUs, unpinned"
PINNED = "1 CPU (taskset -c 0)"


@dataclass
class Row:
    """One figure of the table: the median over repetitions of one metric."""

    workload: str
    cpus: str
    impl: str
    value: float  # the headline metric (median over reps)
    key: str  # the headline metric's name in `metrics` and `reps`
    unit: str  # "ns/op", "msgs/s", "µs", "B/elem"
    better: str  # "lower" or "higher"
    group: str  # rows with the same group are compared with the group's embedis row
    ref: bool = False  # the embedis row of its group
    n: int = 0
    detail: str = ""
    metrics: dict[str, float] = field(default_factory=dict)  # every metric's median
    reps: list[dict[str, float]] = field(default_factory=list)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@dataclass
class Spec:
    """One implementation of a workload, to be compared with the others of its group."""

    impl: str
    fn: Callable[[], dict[str, float]]
    n: int
    ref: bool = False
    detail: Callable[[dict[str, float]], str] | None = None
    group_suffix: str = ""  # set for a reference point that is not compared


class Bench:
    def __init__(self, sizes: Sizes, cpus: str, server: RedisServer | None) -> None:
        self.sizes = sizes
        self.cpus = cpus
        self.server = server
        self.rows: list[Row] = []

    def compare(self, workload: str, group: str, specs: list[Spec], *, key: str, unit: str, better: str,
                reps: int | None = None, warmup: bool = True) -> None:
        """Runs the specs' repetitions round-robin (embedis, peer, embedis, peer...) so a
        slow spell of a shared machine hits every implementation alike; a first, untimed
        round warms caches, allocators and code paths."""
        reps = reps or self.sizes.reps
        for spec in specs:
            log(f"  {workload:<30} {self.cpus:<22} {spec.impl} (n={spec.n:,})")
        if warmup:
            for spec in specs:
                spec.fn()
        runs: list[list[dict[str, float]]] = [[] for _ in specs]
        for _ in range(reps):
            for spec, out in zip(specs, runs):
                out.append(spec.fn())
        for spec, out in zip(specs, runs):
            med = {k: statistics.median(r[k] for r in out) for k in out[0]}
            self.rows.append(Row(workload, self.cpus, spec.impl, med[key], key, unit, better, group + spec.group_suffix,
                                 spec.ref, spec.n,
                                 spec.detail(med) if spec.detail else "", med, out))

    # ---- workloads -----------------------------------------------------------------------

    def list_seq(self) -> None:
        s, g = self.sizes, "list-seq"
        pp = lambda m: f"push {m['push_ns']:.0f} + pop {m['pop_ns']:.0f} ns"  # noqa: E731
        specs = [
            Spec("embedis lpush/rpop", lambda: w.seq_embedis(s.seq), s.seq, ref=True, detail=pp),
            Spec("collections.deque appendleft/pop", lambda: w.seq_deque(s.seq), s.seq, detail=pp),
            Spec("queue.Queue put/get", lambda: w.seq_queue(s.seq), s.seq, detail=pp),
        ]
        if self.server:
            specs.append(Spec("redis-py + redis-server (unix socket)", lambda: w.seq_redis(s.seq_redis, self.server),
                              s.seq_redis, detail=pp))
        self.compare(g, g, specs, key="ns_per_op", unit="ns/op", better="lower")
        self.compare(g, g + "/calls", [Spec(
            "(embedis llen: call floor)", lambda: w.seq_embedis_calls(s.seq), s.seq,
            detail=lambda m: f"brpop served at once: {m['brpop_ready_ns']:.0f} ns")],
            key="llen_ns", unit="ns/op", better="lower")

    def list_pair(self) -> None:
        s = self.sizes
        specs = [
            Spec("embedis lpush -> brpop", lambda: w.pair_embedis(s.pair), s.pair, ref=True),
            Spec("queue.Queue put -> get", lambda: w.pair_queue(s.pair), s.pair),
        ]
        if self.server:
            specs.append(Spec("redis-py lpush -> brpop (2 clients)", lambda: w.pair_redis(s.pair_redis, self.server),
                              s.pair_redis))
        self.compare("list-pair", f"list-pair {self.cpus}", specs, key="msgs_per_s", unit="msgs/s", better="higher")

    def list_latency(self) -> None:
        s = self.sizes
        p99 = lambda m: f"p99 {m['p99_us']:.1f} µs"  # noqa: E731
        specs = [
            Spec("embedis rpush/blpop", lambda: w.latency_embedis(s.latency), s.latency, ref=True, detail=p99),
            Spec("queue.Queue pair put/get", lambda: w.latency_queue(s.latency), s.latency, detail=p99),
        ]
        if self.server:
            specs.append(Spec("redis-py rpush/blpop (2 clients)", lambda: w.latency_redis(s.latency_redis, self.server),
                              s.latency_redis, detail=p99))
        self.compare("list-latency", f"list-latency {self.cpus}", specs, key="median_us", unit="µs", better="lower")

    def async_pair(self) -> None:
        n = self.sizes.async_n
        for mode, inter in (("burst", False), ("interleaved", True)):
            specs = [
                Spec("embedis.asyncio lpush -> brpop", functools.partial(w.async_embedis, n, inter), n, ref=True),
                Spec("asyncio.Queue put -> get", functools.partial(w.async_queue, n, inter), n),
                # A reference point (the cost of asyncio.timeout inside), not a peer.
                Spec("(embedis.asyncio, brpop timeout=30)", functools.partial(w.async_embedis_timeout, n, inter), n,
                     group_suffix="/timeout"),
            ]
            self.compare(f"async-list-pair ({mode})", f"async-list-pair {mode} {self.cpus}", specs,
                         key="msgs_per_s", unit="msgs/s", better="higher")

    def memory(self) -> None:
        n, g = self.sizes.memory, "memory"

        def child() -> dict[str, float]:
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--_memory-child", str(n)],
                                 check=True, capture_output=True, text=True)
            return json.loads(out.stdout)

        specs = [Spec("embedis (fresh process, RSS delta)", child, n, ref=True,
                      detail=lambda m: f"RSS left after DEL: {m['rss_after_delete'] / 2**20:.1f} MiB")]
        if self.server:
            specs.append(Spec("redis-server INFO used_memory delta", lambda: w.memory_redis(n, self.server), n,
                              detail=lambda m: f"redis-server RSS delta {m['rss_per_elem']:.1f} B/elem"))
        # Both report "B/elem" under different names: rename redis's headline to match.
        self.compare(g, g, specs, key="per_elem", unit="B/elem", better="lower",
                     reps=1 if self.sizes is QUICK else 3, warmup=False)

    def handoff(self) -> None:
        self.list_pair()
        self.list_latency()
        self.async_pair()


# ---- the report ----------------------------------------------------------------------------


def fmt_value(row: Row) -> str:
    v = row.value
    if row.unit == "msgs/s":
        s = f"{v / 1e6:.2f} M msgs/s" if v >= 1e6 else f"{v / 1e3:.1f} k msgs/s"
    elif row.unit == "ns/op":
        s = f"{v:,.0f} ns/op"
    elif row.unit == "µs":
        s = f"{v:,.1f} µs"
    else:
        s = f"{v:,.1f} {row.unit}"
    return f"{s} ({row.detail})" if row.detail else s


def ratio(row: Row, ref: Row) -> float:
    """How many times better embedis (``ref``) is than ``row``: the median of the paired
    per-repetition ratios (repetitions ran round-robin, so pair i shared a moment)."""
    pairs = list(zip((r[ref.key] for r in ref.reps), (r[row.key] for r in row.reps)))
    if len(ref.reps) != len(row.reps) or not pairs:
        pairs = [(ref.value, row.value)]
    return statistics.median(b / a if row.better == "lower" else a / b for a, b in pairs)


def advantage(row: Row, ref: Row | None) -> str:
    """How embedis compares with this row: "12.3x faster", "2.1x slower"…"""
    if ref is None or row is ref:
        return "reference" if row.ref else ""
    x = ratio(row, ref)
    good, bad = ("less memory", "more memory") if row.unit == "B/elem" else ("faster", "slower")
    return f"**{x:.2f}x {good}**" if x >= 1 else f"{1 / x:.2f}x {bad}"


def table(rows: list[Row]) -> str:
    refs = {r.group: r for r in rows if r.ref}
    out = [
        "| Workload | CPUs | Implementation | n | Result (median) | embedis vs this |",
        "|---|---|---|---:|---|---|",
    ]
    for r in rows:
        out.append(f"| {r.workload} | {r.cpus} | {r.impl} | {r.n:,} | {fmt_value(r)} | {advantage(r, refs.get(r.group))} |")
    return "\n".join(out)


def find(rows: list[Row], group: str, prefix: str) -> Row | None:
    return next((r for r in rows if r.group == group and r.impl.startswith(prefix)), None)


def targets(rows: list[Row]) -> list[str]:
    lines: list[str] = []

    def check(label: str, ok: bool, how: str) -> None:
        lines.append(f"- {'PASS' if ok else 'MISS'}: {label} ({how})")

    seq_e, seq_d = find(rows, "list-seq", "embedis"), find(rows, "list-seq", "collections.deque")
    if seq_e and seq_d:
        x = 1 / ratio(seq_d, seq_e)
        check("list-seq within 3x of deque", x <= 3, f"embedis {seq_e.value:.0f} ns/op = {x:.2f}x deque's {seq_d.value:.0f}")
    for cpus in (UNPINNED, PINNED):
        g = f"list-pair {cpus}"
        e, q, rp = find(rows, g, "embedis"), find(rows, g, "queue.Queue"), find(rows, g, "redis-py")
        if e and q:
            x = ratio(q, e)
            check(f"list-pair >= 3x queue.Queue [{cpus}]", x >= 3, f"{x:.2f}x")
        if e and rp:
            x = ratio(rp, e)
            check(f"list-pair >= 50x redis-py [{cpus}]", x >= 50, f"{x:.1f}x")
    for cpus in (UNPINNED, PINNED):
        for mode in ("burst", "interleaved"):
            g = f"async-list-pair {mode} {cpus}"
            e, q = find(rows, g, "embedis"), find(rows, g, "asyncio.Queue")
            if e and q:
                x = ratio(q, e)
                check(f"async-list-pair ({mode}) >= asyncio.Queue [{cpus}]", x >= 1, f"{x:.2f}x")
    me, mr = find(rows, "memory", "embedis"), find(rows, "memory", "redis-server")
    if me and mr:
        check("memory per element <= redis-server's", me.value <= mr.value,
              f"embedis {me.value:.1f} B/elem (RSS) vs redis-server {mr.value:.1f} B/elem (used_memory), "
              f"{mr.metrics['rss_per_elem']:.1f} B/elem (RSS)")
    return lines


def header(sizes: Sizes, server_version: str | None) -> str:
    bits = [
        f"embedis {embedis.__version__}",
        f"Python {platform.python_version()}",
        f"redis-py {redis_py.__version__}" if redis_py else "redis-py: not installed",
        f"redis-server {server_version}" if server_version else "redis-server: not found (its rows are skipped)",
        f"{os.cpu_count()} CPUs",
        f"{'quick' if sizes is QUICK else 'full'} run, median of {sizes.reps} repetitions",
        datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
    ]
    return " · ".join(bits)


# ---- processes -----------------------------------------------------------------------------


def run_handoff(quick: bool, pinned: bool) -> tuple[list[Row], str | None]:
    """The hand-off workloads in a fresh subprocess with its own redis-server; pinned:
    the subprocess runs under ``taskset -c 0``, and so does the server it starts."""
    cmd = [sys.executable, os.path.abspath(__file__)]
    if pinned:
        taskset = shutil.which("taskset")
        if taskset is None:
            log("taskset not found: skipping the pinned variant")
            return [], "taskset not found: the variant pinned to one CPU was skipped"
        cmd = [taskset, "-c", "0", *cmd]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "handoff.json")
        cmd += ["--_handoff-child", out, "--_cpus", PINNED if pinned else UNPINNED]
        if quick:
            cmd.append("--quick")
        subprocess.run(cmd, check=True)
        with open(out) as f:
            return [Row(**d) for d in json.load(f)], None


def start_server() -> RedisServer | None:
    binary = find_redis_server()
    if binary is None:
        log("redis-server or redis-py missing: redis rows skipped")
        return None
    return RedisServer(binary)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (~20 s): a smoke test")
    ap.add_argument("--json", metavar="OUT", help="write every figure and repetition to this JSON file")
    ap.add_argument("--no-pinned", action="store_true", help="skip the variant pinned to one CPU")
    ap.add_argument("--_memory-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--_handoff-child", metavar="OUT", help=argparse.SUPPRESS)
    ap.add_argument("--_cpus", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args._memory_child:
        print(json.dumps(w.memory_embedis_child(args._memory_child)))
        return

    sizes = QUICK if args.quick else FULL

    if args._handoff_child:
        server = start_server()
        try:
            bench = Bench(sizes, args._cpus, server)
            bench.handoff()
        finally:
            if server:
                server.stop()
        with open(args._handoff_child, "w") as f:
            json.dump([dataclasses.asdict(r) for r in bench.rows], f)
        return

    started = time.monotonic()
    server = start_server()
    server_version = server.version if server else None
    log(f"embedis bench: {'quick' if args.quick else 'full'} run")
    try:
        bench = Bench(sizes, UNPINNED, server)
        bench.list_seq()
        bench.memory()
    finally:
        if server:
            server.stop()
    rows = bench.rows
    notes = []
    for pinned in (False,) if args.no_pinned else (False, True):
        more, note = run_handoff(args.quick, pinned)
        rows += more
        if note:
            notes.append(note)

    order = ["list-seq", "list-pair", "list-latency", "async-list-pair (burst)", "async-list-pair (interleaved)", "memory"]
    rows.sort(key=lambda r: (order.index(r.workload), r.cpus != UNPINNED))

    print(f"## embedis benchmarks\n\n{header(sizes, server_version)}\n")
    print("Payload 100 bytes. \"embedis vs this\": how embedis compares with that row, same workload and CPUs"
          " (rows in parentheses are reference points, not peers).\n")
    print(table(rows))
    print("\n### Targets\n")
    print("\n".join(targets(rows)))
    for note in notes:
        print(f"\nNote: {note}")
    elapsed = time.monotonic() - started
    print(f"\n({elapsed:.0f} s)")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"header": header(sizes, server_version), "sizes": dataclasses.asdict(sizes),
                       "rows": [dataclasses.asdict(r) for r in rows], "targets": targets(rows),
                       "seconds": elapsed}, f, indent=1)


if __name__ == "__main__":
    main()
