"""The cost of ``maxmemory`` accounting, and how close ``used_memory`` is to the truth.

Two measurements, printed as markdown tables:

1. **list-pair with and without a limit**: the list-pair workload of ``run.py`` (a producer
   thread ``LPUSH``es N 100-byte messages while a consumer thread ``BRPOP``s them) on
   ``Broker()`` and on ``Broker(maxmemory="1gb")`` (generous: nothing is refused or
   evicted, so only the accounting and the per-command check are paid), repetitions
   round-robin, the ratio the median of the per-repetition ratios. Also list-seq (one
   thread, LPUSH then RPOP), where the per-command cost is least diluted. Unpinned and
   pinned to one CPU (``taskset -c 0``, in a subprocess). Target: the limited broker
   within 5% of the unlimited one (ratio >= 0.95).
2. **used_memory vs RSS**: in a fresh interpreter, 1,000,000 distinct 100-byte elements
   in one list (``RPUSH`` in batches of 1,000), then 1,000,000 entries of one 100-byte
   field in one stream (``XADD``); the growth of ``INFO memory`` ``used_memory`` against
   the growth of the process's RSS (``/proc/self/statm``).

    python bench/memory_bench.py            # full: about a minute
    python bench/memory_bench.py --quick    # small sizes: a smoke test
    python bench/memory_bench.py --no-pinned
    python bench/memory_bench.py --sets     # only 3.
    python bench/memory_bench.py --hashes   # only 4. (add --quick for 100,000 hashes)

3. **sets against redis-server** (``--sets``): one set of 1,000,000 integers (0..N-1) and
   one of 1,000,000 16-byte strings, each loaded by ``SADD`` in batches of 1,000 into a
   fresh process (embedis) or a fresh redis-server; bytes per member of RSS growth
   (``/proc/<pid>/statm``) and of ``used_memory`` growth. Target (issue #12, item 7): embedis
   resident bytes per member no more than redis-server's.
4. **hashes vs redis-server** (``--hashes``): 1,000,000 hashes of 5 fields, each field name
   and value 20 bytes (Redis's listpack encoding on both sides), written with HSET in a
   fresh embedis process and, pipelined, into a redis-server this script starts (unix
   socket, ``bench/redisserver.py``). Per field: embedis ``used_memory`` and RSS growth
   against redis-server's ``used_memory`` and RSS growth (``/proc/<pid>/statm``).
   Target (issue #12, item 7): embedis's resident bytes per field no more than redis-server's.
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import workloads as w  # noqa: E402

import embedis  # noqa: E402

LIMIT = "1gb"


def ratio_rows(name: str, fn, n: int, reps: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Round-robin repetitions of fn(n) without and with the limit; the median figures and
    the median of the per-repetition ratios (limited / unlimited, higher-is-better metric)."""
    key = "msgs_per_s" if "pair" in name else "ns_per_op"
    fn(n)
    fn(n, maxmemory=LIMIT)  # warm-up
    plain, limited, ratios = [], [], []
    for i in range(reps):
        # Alternate which goes first, so a slow spell does not always hit the same one.
        if i % 2:
            b = fn(n, maxmemory=LIMIT)[key]
            a = fn(n)[key]
        else:
            a = fn(n)[key]
            b = fn(n, maxmemory=LIMIT)[key]
        plain.append(a)
        limited.append(b)
        ratios.append(b / a if key == "msgs_per_s" else a / b)
    return {"plain": statistics.median(plain), "limited": statistics.median(limited),
            "ratio": statistics.median(ratios), "lo": min(ratios), "hi": max(ratios), "key": key}


def cost_child(quick: bool) -> dict[str, dict[str, float]]:
    # Many short repetitions: hand-offs between two threads swing with the scheduler, and
    # the median of many per-repetition ratios is what survives a busy machine.
    reps = 5 if quick else 21
    pair_n = 20_000 if quick else 100_000
    seq_n = 20_000 if quick else 300_000
    return {
        "list-pair": ratio_rows("list-pair", w.pair_embedis, pair_n, reps),
        "list-seq": ratio_rows("list-seq", w.seq_embedis, seq_n, reps),
    }


def memory_child(n: int) -> dict[str, float]:
    """used_memory growth against RSS growth, list then stream, in this fresh process."""
    b = embedis.Broker()
    b.rpush("warm", b"w")
    b.xadd("warmst", {"f": "v"})
    b.delete("warm", "warmst")
    gc.collect()
    out: dict[str, float] = {}
    for kind in ("list", "stream"):
        used0, rss0 = b.info("memory")["used_memory"], w.rss_bytes()
        if kind == "list":
            for start in range(0, n, 1000):
                b.rpush("l", *[w.element(i) for i in range(start, min(start + 1000, n))])
        else:
            for i in range(n):
                b.xadd("s", {"f": w.element(i)})
        gc.collect()
        used1, rss1 = b.info("memory")["used_memory"], w.rss_bytes()
        out[f"{kind}_used"] = used1 - used0
        out[f"{kind}_rss"] = rss1 - rss0
    return out


SET_KINDS = ("integers", "16-byte strings")


def set_member(kind: str, i: int) -> bytes:
    """The i-th member of a set of `kind`: its decimal form, or 16 bytes that are no
    integer (so both servers hold strings)."""
    return b"%d" % i if kind == "integers" else b"m%015d" % i


def load_set(client, kind: str, n: int) -> None:  # type: ignore[no-untyped-def]
    for start in range(0, n, 1000):
        client.sadd("set", *[set_member(kind, i) for i in range(start, min(start + 1000, n))])


def sets_embedis_child(kind: str, n: int) -> dict[str, float]:
    """RSS and used_memory growth for one set of `n` members of `kind`, in this fresh process."""
    b = embedis.Broker()
    b.sadd("warm", b"w")
    b.delete("warm")
    gc.collect()
    used0, rss0 = b.info("memory")["used_memory"], w.rss_bytes()
    load_set(b, kind, n)
    gc.collect()
    assert b.scard("set") == n
    used1, rss1 = b.info("memory")["used_memory"], w.rss_bytes()
    return {"used": used1 - used0, "rss": rss1 - rss0}


def sets_redis(kind: str, n: int) -> dict[str, float] | None:
    """The same on a fresh redis-server (None when there is none)."""
    from redisserver import RedisServer, find_redis_server

    exe = find_redis_server()
    if exe is None:
        return None
    with RedisServer(exe) as server:
        c = server.client()
        used0, rss0 = c.info("memory")["used_memory"], server.rss_bytes()
        load_set(c, kind, n)
        assert c.scard("set") == n
        used1, rss1 = c.info("memory")["used_memory"], server.rss_bytes()
        return {"used": used1 - used0, "rss": rss1 - rss0, "version": server.version}


def sets_report(n: int) -> None:
    print(f"\n## Sets: bytes per member, embedis vs redis-server ({n:,} members in one set)\n")
    print("| Members | embedis RSS B/member | redis RSS B/member | embedis used_memory B/member | redis used_memory B/member | target: embedis RSS <= redis RSS |")
    print("|---|---|---|---|---|---|")
    for kind in SET_KINDS:
        e = run_child(["--_sets-child", kind, str(n)], False)
        r = sets_redis(kind, n)
        if r is None:
            print(f"| {kind} | {e['rss'] / n:.1f} | - | {e['used'] / n:.1f} | - | no redis-server |")
            continue
        ok = "PASS" if e["rss"] <= r["rss"] else "MISS"
        print(f"| {kind} | {e['rss'] / n:.1f} | {r['rss'] / n:.1f} | {e['used'] / n:.1f} | {r['used'] / n:.1f} | {ok} |")


HASH_FIELDS = 5


def hash_data(i: int) -> tuple[bytes, dict[bytes, bytes]]:
    """The i-th hash: its key and 5 pairs of 20-byte field names and values, all distinct."""
    return b"hash:%010d" % i, {b"field-%d-%012d" % (j, i): b"value-%d-%012d" % (j, i) for j in range(HASH_FIELDS)}


def hashes_child(n: int) -> dict[str, float]:
    """used_memory and RSS growth for n hashes, in this fresh process."""
    b = embedis.Broker()
    b.hset("warm", "f", "v")
    b.delete("warm")
    gc.collect()
    used0, rss0 = b.info("memory")["used_memory"], w.rss_bytes()
    for i in range(n):
        key, pairs = hash_data(i)
        b.hset(key, mapping=pairs)
    gc.collect()
    used1, rss1 = b.info("memory")["used_memory"], w.rss_bytes()
    assert b.dbsize() == n and b.hlen(b"hash:%010d" % (n - 1)) == HASH_FIELDS
    return {"used": used1 - used0, "rss": rss1 - rss0}


def hashes_redis(n: int) -> dict[str, float] | None:
    """The same hashes in a fresh redis-server: its used_memory and RSS growth."""
    from redisserver import RedisServer, find_redis_server

    exe = find_redis_server()
    if exe is None:
        return None
    with RedisServer(exe) as server:
        r = server.client()
        used0, rss0 = r.info("memory")["used_memory"], server.rss_bytes()
        for start in range(0, n, 1000):
            p = r.pipeline(transaction=False)
            for i in range(start, min(start + 1000, n)):
                key, pairs = hash_data(i)
                p.hset(key, mapping=pairs)
            p.execute()
        assert r.object("encoding", b"hash:%010d" % 0) == b"listpack"
        used1, rss1 = r.info("memory")["used_memory"], server.rss_bytes()
        return {"used": used1 - used0, "rss": rss1 - rss0, "version": server.version}


def hashes_table(n: int) -> None:
    m = run_child(["--_hashes-child", str(n)], False)
    red = hashes_redis(n)
    fields = n * HASH_FIELDS
    print(f"\n## {n:,} hashes of {HASH_FIELDS} fields (20-byte names and values): bytes per field\n")
    print("| Store | used_memory growth | B/field | RSS growth | RSS B/field |")
    print("|---|---|---|---|---|")
    print(f"| embedis {embedis.__version__} | {m['used'] / 2**20:.1f} MiB | {m['used'] / fields:.1f} | "
          f"{m['rss'] / 2**20:.1f} MiB | {m['rss'] / fields:.1f} |")
    if red is not None:
        print(f"| redis-server {red['version']} | {red['used'] / 2**20:.1f} MiB | {red['used'] / fields:.1f} | "
              f"{red['rss'] / 2**20:.1f} MiB | {red['rss'] / fields:.1f} |")
        verdict = "PASS" if m["rss"] <= red["rss"] else "MISS"
        print(f"\nembedis RSS / redis-server RSS: {m['rss'] / red['rss']:.3f} (target <= 1: {verdict})")


def run_child(args: list[str], pinned: bool) -> dict:  # type: ignore[type-arg]
    cmd = [sys.executable, os.path.abspath(__file__), *args]
    if pinned:
        cmd = ["taskset", "-c", "0", *cmd]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-pinned", action="store_true")
    ap.add_argument("--no-memory", action="store_true", help="skip the used_memory vs RSS measurement")
    ap.add_argument("--_cost-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--_memory-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--sets", action="store_true", help="only the set memory comparison with redis-server")
    ap.add_argument("--_sets-child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--hashes", action="store_true", help="only the hashes vs redis-server measurement")
    ap.add_argument("--_hashes-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._hashes_child:
        print(json.dumps(hashes_child(args._hashes_child)))
        return
    if args.hashes:
        hashes_table(100_000 if args.quick else 1_000_000)
        return
    if args._sets_child:
        print(json.dumps(sets_embedis_child(args._sets_child[0], int(args._sets_child[1]))))
        return
    if args.sets:
        sets_report(100_000 if args.quick else 1_000_000)
        return
    if args._cost_child:
        print(json.dumps(cost_child(args.quick)))
        return
    if args._memory_child:
        print(json.dumps(memory_child(args._memory_child)))
        return

    variants = [("unpinned", False)]
    if not args.no_pinned and shutil.which("taskset"):
        variants.append(("1 CPU (taskset -c 0)", True))
    print(f"## maxmemory accounting cost (embedis {embedis.__version__}, maxmemory={LIMIT} vs none)\n")
    print("| Workload | CPUs | no limit | maxmemory set | ratio (median, range) | target >= 0.95 |")
    print("|---|---|---|---|---|---|")
    for label, pinned in variants:
        res = run_child(["--_cost-child"] + (["--quick"] if args.quick else []), pinned)
        for name, r in res.items():
            unit = "msgs/s" if r["key"] == "msgs_per_s" else "ns/op"
            fmt = (lambda v: f"{v / 1e6:.3f} M {unit}") if unit == "msgs/s" else (lambda v: f"{v:.0f} {unit}")
            ok = "PASS" if r["ratio"] >= 0.95 else "MISS"
            print(f"| {name} | {label} | {fmt(r['plain'])} | {fmt(r['limited'])} | "
                  f"{r['ratio']:.3f} ({r['lo']:.3f}-{r['hi']:.3f}) | {ok} |")
    if args.no_memory:
        return
    n = 100_000 if args.quick else 1_000_000
    m = run_child(["--_memory-child", str(n)], False)
    print(f"\n## used_memory vs RSS growth ({n:,} elements of 100 bytes)\n")
    print("| Structure | used_memory growth | RSS growth | used / RSS | used B/elem |")
    print("|---|---|---|---|---|")
    for kind in ("list", "stream"):
        used, rss = m[f"{kind}_used"], m[f"{kind}_rss"]
        print(f"| {kind} | {used / 2**20:.1f} MiB | {rss / 2**20:.1f} MiB | {used / rss:.3f} | {used / n:.1f} |")


if __name__ == "__main__":
    main()
