"""Persistence benchmark: embedis beside redis-server configured the same way, in one run.

    python bench/persist_bench.py            # full sizes (a few minutes)
    python bench/persist_bench.py --quick    # small sizes, a smoke test

Workloads (every message is 100 bytes, as in bench/run.py):

- **list-pair**: a producer thread LPUSHes N messages while a consumer thread BRPOPs them
  (msgs/s), with no persistence and with ``appendfsync everysec``. Target: everysec within
  15% of no persistence. redis-server (redis-py, two clients, unix socket) for reference.
- **always, 8 producers**: 8 threads LPUSH concurrently with ``appendfsync always``:
  writes/s and fsyncs/s (embedis: ``aof_fsyncs`` from INFO; redis-server: fdatasync calls
  counted by ``strace -c`` in a second, traced run, when strace is installed).
- **snapshot stall**: a producer thread pushes and pops continuously, timing every call,
  while BGSAVE snapshots a list of 1,000,000 elements (then the same plus a stream of
  1,000,000 entries); the longest call during the save vs without a save, and the capture
  time under the lock. Target: <= 50 ms.
- **load**: time to load 1,000,000 elements in one list from a snapshot and from the AOF
  (1,000,000 RPUSH commands), embedis (a fresh process constructing ``Broker(dir=...)``)
  against redis-server (its own "DB loaded" log line) on the same data. Target: no slower.

Each figure is the median of k runs (k=3, 1 with --quick). Ratios are what matter.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import embedis

try:
    import redis as redis_py
except ImportError:  # pragma: no cover
    redis_py = None

PAYLOAD = b"x" * 100
KEY = "bench:q"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
STRACE = shutil.which("strace")


class Redis:
    """A redis-server on a unix socket in its own directory, with the given persistence."""

    def __init__(self, workdir: Path, *conf: str) -> None:
        self.dir = workdir
        self.sock = str(workdir / "redis.sock")
        self.log = workdir / "redis.log"
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", "0", "--unixsocket", self.sock, "--dir", str(workdir), "--logfile", str(self.log), *conf],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                if os.path.exists(self.sock) and self.client().ping():
                    break
            except (redis_py.ConnectionError, redis_py.exceptions.BusyLoadingError):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.log}")
            time.sleep(0.01)

    def client(self) -> Any:
        return redis_py.Redis(unix_socket_path=self.sock)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


def redis_available() -> bool:
    return redis_py is not None and os.path.exists(REDIS_SERVER)


# ---- list-pair --------------------------------------------------------------------------------


def pair(push: Any, pop: Any, n: int) -> float:
    def produce() -> None:
        for _ in range(n):
            push(KEY, PAYLOAD)

    def consume() -> None:
        for _ in range(n):
            pop(KEY, 10)

    c, p = threading.Thread(target=consume), threading.Thread(target=produce)
    t0 = time.perf_counter()
    c.start()
    p.start()
    p.join()
    c.join()
    return n / (time.perf_counter() - t0)


def pair_embedis(n: int, fsync: str | None) -> float:
    with tempfile.TemporaryDirectory() as d:
        b = embedis.Broker(dir=d, appendonly=True, appendfsync=fsync, save=[]) if fsync else embedis.Broker()
        rate = pair(b.lpush, b.brpop, n)
        del b
        return rate


def pair_redis(n: int, fsync: str | None) -> float:
    with tempfile.TemporaryDirectory() as d:
        conf = ["--save", "", "--appendonly", "yes", "--appendfsync", fsync] if fsync else ["--save", "", "--appendonly", "no"]
        s = Redis(Path(d), *conf)
        try:
            return pair(s.client().lpush, s.client().brpop, n)
        finally:
            s.stop()


# ---- always with 8 producers --------------------------------------------------------------------


def producers(push: Any, n: int, threads: int) -> float:
    per = n // threads

    def run() -> None:
        for _ in range(per):
            push(KEY, PAYLOAD)

    ts = [threading.Thread(target=run) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return per * threads / (time.perf_counter() - t0)


def always_embedis(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as d:
        b = embedis.Broker(dir=d, appendonly=True, appendfsync="always", save=[])
        f0 = b.info()["aof_fsyncs"]
        t0 = time.perf_counter()
        rate = producers(b.lpush, n, 8)
        secs = time.perf_counter() - t0
        fsyncs = b.info()["aof_fsyncs"] - f0
        del b
        return {"writes_per_s": rate, "fsyncs_per_s": fsyncs / secs, "writes_per_fsync": n / max(fsyncs, 1)}


def always_redis(n: int, traced: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as d:
        s = Redis(Path(d), "--save", "", "--appendonly", "yes", "--appendfsync", "always")
        clients = [s.client() for _ in range(8)]
        for c in clients:
            c.ping()
        it = iter(clients)
        local = threading.local()

        def push(key: str, value: bytes) -> None:
            if not hasattr(local, "c"):
                local.c = next(it)
            local.c.lpush(key, value)

        tracer = None
        out = Path(d) / "strace.txt"
        if traced:
            tracer = subprocess.Popen(
                [STRACE, "-f", "-c", "-e", "trace=fsync,fdatasync", "-o", str(out), "-p", str(s.proc.pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(0.5)
        t0 = time.perf_counter()
        rate = producers(push, n, 8)
        secs = time.perf_counter() - t0
        result = {"writes_per_s": rate}
        if tracer is not None:
            tracer.terminate()
            tracer.wait()
            m = re.search(r"\s(\d+)(?:\s+\d+)?\s+(?:fdatasync|fsync)\s*$", out.read_text(), re.M)
            if m:
                # strace -c columns: % time, seconds, usecs/call, calls, [errors], syscall.
                line = [ln for ln in out.read_text().splitlines() if ln.rstrip().endswith(("fdatasync", "fsync"))][0]
                calls = int(line.split()[3])
                result["fsyncs_per_s"] = calls / secs
                result["writes_per_fsync"] = n / max(calls, 1)
        s.stop()
        return result


# ---- snapshot stall --------------------------------------------------------------------------------


def stall(n_elements: int, n_stream: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as d:
        b = embedis.Broker(dir=d, save=[])
        chunk = [PAYLOAD] * 10_000
        for _ in range(n_elements // len(chunk)):
            b.rpush("big", *chunk)
        value = "v" * 90
        xadd = b.execute_command
        for i in range(1, n_stream + 1):
            xadd("XADD", "bigstream", f"{i}-1", "f", value)
        stop = threading.Event()
        worst = [0.0]

        def producer() -> None:
            pc = time.perf_counter
            while not stop.is_set():
                t = pc()
                b.lpush(KEY, PAYLOAD)
                b.rpop(KEY)
                worst[0] = max(worst[0], pc() - t)

        th = threading.Thread(target=producer)
        th.start()
        time.sleep(0.5)
        baseline = worst[0]
        worst[0] = 0.0
        t0 = time.perf_counter()
        b.bgsave()
        while b.info()["rdb_bgsave_in_progress"]:
            time.sleep(0.005)
        save_secs = time.perf_counter() - t0
        time.sleep(0.1)
        stop.set()
        th.join()
        info = b.info()
        del b
        return {
            "max_call_during_bgsave_ms": worst[0] * 1e3,
            "max_call_without_ms": baseline * 1e3,
            "capture_under_lock_ms": info["rdb_last_bgsave_stall_usec"] / 1e3,
            "bgsave_total_s": save_secs,
        }


# ---- load ------------------------------------------------------------------------------------------

LOADER = textwrap.dedent(
    """
    import sys, time, embedis
    t = time.perf_counter()
    b = embedis.Broker(dir=sys.argv[1], appendonly=sys.argv[2] == "aof", save=[], auto_aof_rewrite_percentage=0)
    secs = time.perf_counter() - t
    assert b.llen("big") == int(sys.argv[3]), b.llen("big")
    print(secs)
    """
)


def payloads(n: int) -> list[bytes]:
    """n random 100-byte elements: incompressible, so that neither side's file format
    gets an advantage from compressing them (RDB's LZF would shrink a repeated payload 50x)."""
    blob = os.urandom(100 * n)
    return [blob[i * 100 : (i + 1) * 100] for i in range(n)]


def make_embedis_data(d: Path, data: list[bytes]) -> None:
    # The same commands as the redis side: one RPUSH per element, logged to the AOF; then a
    # snapshot of the same data.
    b = embedis.Broker(dir=d, appendonly=True, appendfsync="no", save=[], auto_aof_rewrite_percentage=0)
    push = b.rpush
    for e in data:
        push("big", e)
    b.save()
    del b


def load_embedis(d: Path, kind: str, n: int) -> float:
    out = subprocess.run([sys.executable, "-c", LOADER, str(d), kind, str(n)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def make_redis_data(d: Path, data: list[bytes]) -> None:
    s = Redis(d, "--save", "", "--appendonly", "yes", "--appendfsync", "no", "--aof-use-rdb-preamble", "no", "--auto-aof-rewrite-percentage", "0")
    c = s.client()
    pipe = c.pipeline(transaction=False)
    for i, e in enumerate(data):
        pipe.rpush("big", e)
        if i % 10_000 == 9_999:
            pipe.execute()
    pipe.execute()
    c.save()
    s.stop()


def load_redis(d: Path, kind: str, n: int) -> float:
    log = d / "redis.log"
    if log.exists():
        log.unlink()
    # No automatic rewrite: Redis would otherwise rewrite right after loading (its base is
    # empty) and every later run would load the compact rewritten base instead.
    conf = ["--save", "", "--auto-aof-rewrite-percentage", "0"]
    conf += ["--appendonly", "yes"] if kind == "aof" else ["--appendonly", "no"]
    s = Redis(d, *conf)
    assert s.client().llen("big") == n
    s.stop()
    text = log.read_text()
    m = re.search(r"DB loaded from (?:append only file|disk): ([0-9.]+) seconds", text)
    if not m:
        raise RuntimeError(f"no load time in {log}")
    return float(m.group(1))


# ---- main --------------------------------------------------------------------------------------------


def median(f: Any, k: int) -> Any:
    runs = [f() for _ in range(k)]
    if isinstance(runs[0], dict):
        return {key: statistics.median(r[key] for r in runs if key in r) for key in runs[0]}
    return statistics.median(runs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    k = 1 if args.quick else 3
    n_pair = 50_000 if args.quick else 300_000
    n_always = 4_000 if args.quick else 40_000
    n_big = 100_000 if args.quick else 1_000_000
    have_redis = redis_available()
    rows: list[str] = []

    def row(*cells: Any) -> None:
        rows.append("| " + " | ".join(str(c) for c in cells) + " |")
        print(rows[-1], flush=True)

    print(f"embedis {embedis.__version__}; redis-server: {'yes' if have_redis else 'no'}; k={k}\n", flush=True)

    print("## list-pair (msgs/s, producer LPUSH + consumer BRPOP)\n", flush=True)
    row("persistence", "embedis", "redis-server", "embedis / redis")
    row("---", "---", "---", "---")
    pair_rates = {}
    for fsync in (None, "everysec"):
        # Alternate embedis and redis so a noisy spell hits both.
        e_runs, r_runs = [], []
        for _ in range(k):
            e_runs.append(pair_embedis(n_pair, fsync))
            if have_redis:
                r_runs.append(pair_redis(n_pair // 5, fsync))
        e, r = statistics.median(e_runs), (statistics.median(r_runs) if r_runs else float("nan"))
        pair_rates[fsync] = e
        row(fsync or "none", f"{e:,.0f}", f"{r:,.0f}", f"{e / r:.1f}x" if r_runs else "-")
    ratio = pair_rates["everysec"] / pair_rates[None]
    print(f"\neverysec / none = {ratio:.3f} -> {'PASS' if ratio >= 0.85 else 'MISS'} (target >= 0.85)\n", flush=True)

    print("## appendfsync always, 8 producer threads\n", flush=True)
    row("", "writes/s", "fsyncs/s", "writes per fsync")
    row("---", "---", "---", "---")
    e = median(lambda: always_embedis(n_always), k)
    row("embedis", f"{e['writes_per_s']:,.0f}", f"{e['fsyncs_per_s']:,.0f}", f"{e['writes_per_fsync']:.1f}")
    if have_redis:
        r = median(lambda: always_redis(n_always, False), k)
        row("redis-server (8 clients)", f"{r['writes_per_s']:,.0f}", "-", "-")
        if STRACE:
            rt = always_redis(n_always, True)
            row("redis-server under strace -c", f"{rt['writes_per_s']:,.0f}", f"{rt.get('fsyncs_per_s', float('nan')):,.0f}", f"{rt.get('writes_per_fsync', float('nan')):.1f}")
        print(f"\nembedis / redis writes/s = {e['writes_per_s'] / r['writes_per_s']:.2f}\n", flush=True)

    for n_stream in (0, n_big):
        what = f"{n_big:,}-element list" + (f" + {n_stream:,}-entry stream" if n_stream else "")
        print(f"## snapshot stall: BGSAVE of a {what} while a producer runs\n", flush=True)
        # The first save in a process pays page faults for its copy; later ones reuse memory.
        s = median(lambda: stall(n_big, n_stream), k)
        for key, v in s.items():
            print(f"- {key}: {v:.2f}", flush=True)
        verdict = "PASS" if s["max_call_during_bgsave_ms"] <= 50 else "MISS"
        print(f"\nlongest producer call during BGSAVE {s['max_call_during_bgsave_ms']:.1f} ms -> {verdict} (target <= 50 ms)\n", flush=True)

    print(f"## load {n_big:,} elements (one list, 100-byte elements)\n", flush=True)
    row("from", "embedis s", "redis-server s", "redis / embedis")
    row("---", "---", "---", "---")
    with tempfile.TemporaryDirectory() as root:
        ed, rd = Path(root, "embedis"), Path(root, "redis")
        ed.mkdir()
        rd.mkdir()
        data = payloads(n_big)
        make_embedis_data(ed, data)
        if have_redis:
            make_redis_data(rd, data)
        del data
        for kind, label in (("snapshot", "snapshot (dump.edb / dump.rdb)"), ("aof", f"AOF ({n_big:,} RPUSH commands)")):
            e_runs, r_runs = [], []
            for _ in range(k):
                e_runs.append(load_embedis(ed, kind, n_big))
                if have_redis:
                    r_runs.append(load_redis(rd, kind, n_big))
            e, r = statistics.median(e_runs), (statistics.median(r_runs) if r_runs else float("nan"))
            row(label, f"{e:.3f}", f"{r:.3f}", f"{r / e:.2f}x" if r_runs else "-")
        sizes = {p.name: p.stat().st_size for p in list(ed.glob("*.edb")) + list((ed / "appendonlydir").glob("*"))}
        rsizes = {p.name: p.stat().st_size for p in list(rd.glob("*.rdb")) + list((rd / "appendonlydir").glob("*"))}
        print(f"\nembedis files: {sizes}\nredis files: {rsizes}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
