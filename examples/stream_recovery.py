"""Recovering the work of a consumer that died: XPENDING shows it, XAUTOCLAIM takes it over.

Consumer ``worker-a`` of ``mygroup`` reads a batch of jobs and "crashes" before
acknowledging them: the jobs stay in the group's pending entries list, owned by
``worker-a``, and no other XREADGROUP ``>`` will deliver them again. A rescuer,
``worker-b``, finds them with XPENDING and claims those idle for at least
``--min-idle`` ms with XAUTOCLAIM (a cursor walk, like SCAN), processes and XACKs them.
The delivery count shows which were redelivered. For real Redis: ``r = redis.Redis()``.

    python examples/stream_recovery.py
"""

from __future__ import annotations

import argparse
import threading
import time

import embedis

STREAM = "jobs"
GROUP = "mygroup"


def doomed_worker(r: embedis.Broker) -> None:
    """Reads 5 jobs and dies without acknowledging them."""
    reply = r.xreadgroup(GROUP, "worker-a", {STREAM: ">"}, count=5, block=1000)
    for _stream, messages in reply:
        for msg_id, fields in messages:
            print(f"worker-a got {msg_id.decode()} ({fields[b'job'].decode()}) ... and crashes")
    raise SystemExit  # the thread dies; its entries stay pending


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-idle", type=int, default=200, help="claim entries idle this many ms (default 200)")
    args = parser.parse_args()

    r = embedis.Broker()  # for real Redis: r = redis.Redis()
    r.xgroup_create(STREAM, GROUP, id="$", mkstream=True)
    for i in range(1, 9):
        r.xadd(STREAM, {"job": f"resize-image-{i}"})

    t = threading.Thread(target=doomed_worker, args=(r,))
    t.start()
    t.join()

    summary = r.xpending(STREAM, GROUP)
    owners = ", ".join(f"{c['name'].decode()}: {c['pending']}" for c in summary["consumers"])
    print(f"\npending: {summary['pending']} ({owners})")

    print(f"waiting {args.min_idle} ms so they count as abandoned...")
    time.sleep(args.min_idle / 1000)

    # Take over everything idle for min_idle ms, in batches, as XAUTOCLAIM's cursor walks the PEL.
    start = "0-0"
    while True:
        start, claimed, deleted = r.xautoclaim(STREAM, GROUP, "worker-b", args.min_idle, start_id=start, count=2)
        for msg_id, fields in claimed:
            print(f"worker-b claimed {msg_id.decode()} ({fields[b'job'].decode()}), processing, XACK")
            r.xack(STREAM, GROUP, msg_id)
        for msg_id in deleted:
            print(f"{msg_id.decode()} was deleted from the stream meanwhile: dropped from the PEL")
        if start in (b"0-0", "0-0"):
            break

    # The jobs worker-a never read are still there for a normal read.
    rest = r.xreadgroup(GROUP, "worker-b", {STREAM: ">"})
    for _stream, messages in rest:
        for msg_id, fields in messages:
            print(f"worker-b read {msg_id.decode()} ({fields[b'job'].decode()}), XACK")
            r.xack(STREAM, GROUP, msg_id)
    print(f"\npending at the end: {r.xpending(STREAM, GROUP)['pending']}")


if __name__ == "__main__":
    main()
