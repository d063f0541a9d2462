"""Two builds of embedis side by side: list-seq and list-pair (bench/workloads.py), run
alternately A/B/A/B in fresh processes, unpinned and pinned to one CPU (taskset -c 0).

    python bench/ab.py OLD_PYTHON NEW_PYTHON [--rounds 4] [--n 200000]

Each OLD_PYTHON / NEW_PYTHON is the interpreter of a venv with that build installed.
Prints, per workload and CPU setting, the median over rounds of each build's figure and
the ratio new/old (for ns/op lower is better; for msgs/s higher is better).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, sys
sys.path.insert(0, {bench!r})
import workloads as w, embedis
n = {n}
seq = [w.seq_embedis(n) for _ in range(3)]
calls = [w.seq_embedis_calls(n) for _ in range(3)]
pair = [w.pair_embedis(n) for _ in range(3)]
best = lambda rows, k, f: f(r[k] for r in rows)
# The same loops timed in CPU time (time.thread_time_ns / process_time_ns), which a busy
# machine's preemptions do not inflate: the cost of the work itself.
import time, threading, gc
def cpu_seq():
    r = embedis.Broker(); lpush, rpop, p = r.lpush, r.rpop, w.PAYLOAD
    gc.collect(); gc.disable()
    t0 = time.thread_time_ns()
    for _ in range(n): lpush(w.KEY, p)
    t1 = time.thread_time_ns()
    for _ in range(n): rpop(w.KEY)
    t2 = time.thread_time_ns()
    gc.enable()
    return (t2 - t0) / (2 * n)
def cpu_pair():
    r = embedis.Broker()
    def produce():
        lpush, p = r.lpush, w.PAYLOAD
        for _ in range(n): lpush(w.KEY, p)
    def consume():
        brpop = r.brpop
        for _ in range(n): brpop(w.KEY, 30)
    gc.collect(); gc.disable()
    c, pr = threading.Thread(target=consume), threading.Thread(target=produce)
    t0 = time.process_time_ns()
    c.start(); pr.start(); pr.join(); c.join()
    t1 = time.process_time_ns()
    gc.enable()
    return (t1 - t0) / n
cseq = [cpu_seq() for _ in range(3)]
cpair = [cpu_pair() for _ in range(3)]
print(json.dumps({{
    "seq_ns": best(seq, "ns_per_op", min), "push_ns": best(seq, "push_ns", min), "pop_ns": best(seq, "pop_ns", min),
    "llen_ns": best(calls, "llen_ns", min), "brpop_ready_ns": best(calls, "brpop_ready_ns", min),
    "pair_msgs_s": best(pair, "msgs_per_s", max), "file": embedis.__file__,
    "seq_cpu_ns": min(cseq), "pair_cpu_ns_per_msg": min(cpair),
}}))
"""


def run(python: str, n: int, pinned: bool) -> dict[str, float]:
    bench = os.path.dirname(os.path.abspath(__file__))
    cmd = [python, "-c", CHILD.format(bench=bench, n=n)]
    if pinned:
        cmd = ["taskset", "-c", "0", *cmd]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd="/").stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--n", type=int, default=200_000)
    a = ap.parse_args()
    keys = ["seq_ns", "push_ns", "pop_ns", "llen_ns", "brpop_ready_ns", "pair_msgs_s", "seq_cpu_ns", "pair_cpu_ns_per_msg"]
    for pinned in (False, True):
        res: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
        for r in range(a.rounds):
            for name, py in (("old", a.old), ("new", a.new)) if r % 2 == 0 else (("new", a.new), ("old", a.old)):
                res[name].append(run(py, a.n, pinned))
                print(f"  round {r} {name}: " + " ".join(f"{k}={res[name][-1][k]:.0f}" for k in keys), file=sys.stderr)
        label = "pinned (taskset -c 0)" if pinned else f"unpinned ({os.cpu_count()} CPUs)"
        print(f"\n{label}, median and best of {a.rounds} rounds (each the best of 3 runs of n={a.n}):")
        print(f"{'metric':16} {'old':>12} {'new':>12} {'new/old':>8}   {'old best':>12} {'new best':>12} {'new/old':>8}")
        for k in keys:
            o = statistics.median(x[k] for x in res["old"])
            nw = statistics.median(x[k] for x in res["new"])
            pick = max if k.endswith("_s") else min
            ob, nb = pick(x[k] for x in res["old"]), pick(x[k] for x in res["new"])
            print(f"{k:16} {o:12.1f} {nw:12.1f} {nw / o:8.3f}   {ob:12.1f} {nb:12.1f} {nb / ob:8.3f}")
    print("\nold:", res["old"][0]["file"], "\nnew:", res["new"][0]["file"])


if __name__ == "__main__":
    main()
