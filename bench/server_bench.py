"""The RESP server: redis-benchmark against ``embedis serve`` and against redis-server, on
the same machine, in one run, with ratios.

    python bench/server_bench.py            # full run (a few minutes)
    python bench/server_bench.py --quick    # small sizes: a smoke test (~30 s)
    python bench/server_bench.py --json out.json
    python bench/server_bench.py --no-pinned

What runs: ``redis-benchmark -c 50`` for PING_INLINE (``-t ping_inline``), LPUSH and
LPOP (``-t lpush,lpop``: the pops take the n elements just pushed), RPOP (``-t
lpush,rpop``, the same way; its LPUSH figure is not kept), then XADD and PUBLISH as custom
commands (``XADD bench:stream * f v``, ``PUBLISH bench:channel msg``, nobody subscribed),
each without pipelining (``-P 1``) and with ``-P 16``. Both servers listen on 127.0.0.1
(TCP, a free port) with persistence off (``--save ''``, and ``--appendonly no`` for
redis-server); the data is flushed before every run.

Each run on one server is followed at once by the same run on the other (which goes
first alternates), so the two figures of a pair meet the same spell of the machine: on
the development VM both servers' figures can double or halve for a few seconds with the
host (same request count, same syscalls, half the CPU time per request). Each ratio
(embedis rps / redis-server rps; above 1 is faster) is the median of k pair ratios
(k = 5; 2 with ``--quick``); the table also gives their range. Everything runs twice:
unpinned (servers and benchmark wherever the OS puts them), and pinned (``taskset -c 0``
for the two servers and the benchmark: one CPU shared by client and server, where only
the servers' own cost per request counts).
Target: >= 1.0x redis-server in both modes. Build embedis in release mode first
(``maturin develop --release``); needs redis-server and redis-benchmark on the PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

TESTS = ["PING_INLINE", "LPUSH", "RPOP", "LPOP"]
CUSTOM = {"XADD": ["XADD", "bench:stream", "*", "f", "v"], "PUBLISH": ["PUBLISH", "bench:channel", "msg"]}
# What each redis-benchmark run measures, and which of its figures are kept. The pops
# follow an LPUSH of n elements in the same run, so both pop real elements.
GROUPS = [
    (["-t", "ping_inline"], ["PING_INLINE"]),
    (["-t", "lpush,lpop"], ["LPUSH", "LPOP"]),
    (["-t", "lpush,rpop"], ["RPOP"]),
    *(([*argv], [verb]) for verb, argv in CUSTOM.items()),
]
TARGET = 1.0

FULL = {"reps": 5, "n": {1: 200_000, 16: 1_000_000}}
QUICK = {"reps": 2, "n": {1: 30_000, 16: 150_000}}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{what} did not start")


def command(port: int, *args: str) -> bytes:
    """One inline command, its first reply chunk."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall((" ".join(args) + "\r\n").encode())
        return s.recv(4096)


class Servers:
    """redis-server and ``embedis serve`` side by side, both under ``prefix`` (taskset)."""

    def __init__(self, prefix: list[str]) -> None:
        self.dir = tempfile.mkdtemp(prefix="embedis-server-bench-")
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}
        redis_server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.ports["redis"] = free_port()
        self.procs["redis"] = subprocess.Popen(
            [*prefix, redis_server, "--bind", "127.0.0.1", "--port", str(self.ports["redis"]), "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.ports["embedis"] = free_port()
        self.procs["embedis"] = subprocess.Popen(
            [*prefix, sys.executable, "-m", "embedis", "serve", "--port", str(self.ports["embedis"]), "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for name, port in self.ports.items():
            wait_port(port, self.procs[name], name)
        version = command(self.ports["redis"], "INFO", "server")
        self.redis_version = next((line.split(":", 1)[1] for line in version.decode().splitlines() if line.startswith("redis_version:")), "?")

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def benchmark(prefix: list[str], port: int, n: int, pipeline: int, extra: list[str]) -> dict[str, float]:
    """One redis-benchmark run; rps per test name (custom commands named by their verb)."""
    args = [*prefix, "redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", "50", "-n", str(n),
            "-P", str(pipeline), "--csv", *extra]
    out = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"redis-benchmark failed: {out.stderr}")
    rps: dict[str, float] = {}
    for line in out.stdout.splitlines():
        cells = [c.strip('"') for c in line.split('","')]
        if len(cells) < 2 or cells[0] == "test":
            continue
        rps[cells[0].split()[0].upper()] = float(cells[1])
    return rps


def run_group(servers: Servers, name: str, prefix: list[str], n: int, pipeline: int, args: list[str]) -> dict[str, float]:
    port = servers.ports[name]
    command(port, "FLUSHALL")
    return benchmark(prefix, port, n, pipeline, args)


def measure(cpus: str, cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """Each group runs on one server and then at once on the other (the first server
    alternating), so the two figures of a pair share the machine's speed of that moment."""
    prefix = ["taskset", "-c", "0"] if cpus == "pinned" else []
    servers = Servers(prefix)
    rows = []
    try:
        for pipeline in (1, 16):
            n = cfg["n"][pipeline]
            pairs: dict[str, list[tuple[float, float]]] = {t: [] for t in [*TESTS, *CUSTOM]}
            turn = 0
            for r in range(cfg["reps"]):
                log(f"  {cpus} -P {pipeline} rep {r + 1}/{cfg['reps']}")
                for args, wanted in GROUPS:
                    order = ["embedis", "redis"] if turn % 2 == 0 else ["redis", "embedis"]
                    turn += 1
                    got = {name: run_group(servers, name, prefix, n, pipeline, args) for name in order}
                    for test in wanted:
                        pairs[test].append((got["embedis"][test], got["redis"][test]))
            for test, pp in pairs.items():
                ratios = [e / d for e, d in pp]
                rows.append({
                    "test": test, "pipeline": pipeline, "cpus": cpus, "n": n,
                    "embedis_rps": statistics.median(e for e, _ in pp),
                    "redis_rps": statistics.median(d for _, d in pp),
                    "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
                    "embedis_reps": [e for e, _ in pp], "redis_reps": [d for _, d in pp],
                })
        rows_version = servers.redis_version
        for row in rows:
            row["redis_version"] = rows_version
    finally:
        servers.stop()
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, a smoke test")
    ap.add_argument("--json", metavar="FILE", help="also write every figure and repetition")
    ap.add_argument("--no-pinned", action="store_true", help="skip the run pinned to one CPU")
    args = ap.parse_args()
    for tool in ("redis-server", "redis-benchmark"):
        if shutil.which(tool) is None:
            log(f"{tool} is not on the PATH (apt-get install redis-server redis-tools)")
            return 2
    cfg = QUICK if args.quick else FULL
    settings = ["unpinned"] if args.no_pinned or shutil.which("taskset") is None else ["unpinned", "pinned"]
    rows: list[dict[str, Any]] = []
    for cpus in settings:
        log(f"{cpus}:")
        rows.extend(measure(cpus, cfg))

    version = rows[0]["redis_version"] if rows else "?"
    print(f"\n### RESP server: embedis serve vs redis-server {version} (redis-benchmark -c 50)\n")
    print("| test | pipeline | CPUs | embedis rps | redis-server rps | embedis vs redis | pair range |")
    print("|---|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['test']} | -P {r['pipeline']} | {r['cpus']} | {r['embedis_rps']:,.0f} | {r['redis_rps']:,.0f} "
              f"| {r['ratio']:.2f}x | {r['ratio_min']:.2f}-{r['ratio_max']:.2f} |")
    print()
    ok = True
    for r in rows:
        met = r["ratio"] >= TARGET
        ok &= met
        print(f"{'PASS' if met else 'MISS'}: {r['test']} -P {r['pipeline']} {r['cpus']}: {r['ratio']:.2f}x (target >= {TARGET:.1f}x)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "config": cfg, "settings": settings}, f, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
