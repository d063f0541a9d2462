"""A stream of orders read by a consumer group: the classic Redis streams example.

A producer thread XADDs orders (``order_id`` OID-001, OID-002, … and an ``amount``) every
half second and prints each ID it got; a consumer thread in the group ``mygroup`` (created
with MKSTREAM; BUSYGROUP, "the group exists already", is tolerated) reads with XREADGROUP
COUNT 5 BLOCK 5000, prints each message and XACKs it. Both stop after the last order. To
run it against a real Redis instead, change the one marked line to ``r = redis.Redis()``
(and ``import redis``).

    python examples/stream_orders.py              # 10 orders, 0.5 s apart
    python examples/stream_orders.py --count 20 --interval 0.1
"""

from __future__ import annotations

import argparse
import threading
import time

import embedis
from embedis.exceptions import ResponseError

STREAM = "orders"
GROUP = "mygroup"
CONSUMER = "worker-1"
PRINT = threading.Lock()  # one line at a time from the two threads


def say(line: str) -> None:
    with PRINT:
        print(line, flush=True)


def ensure_group(r: embedis.Broker) -> None:
    try:
        r.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except ResponseError as e:
        if not str(e).startswith("BUSYGROUP"):
            raise  # anything but "the group exists already"


def producer(r: embedis.Broker, count: int, interval: float) -> None:
    for i in range(1, count + 1):
        order = {"order_id": f"OID-{i:03d}", "amount": f"{10 + i * 2.5:.2f}"}
        msg_id = r.xadd(STREAM, order)
        say(f"Produced {order['order_id']} as {msg_id.decode()}")
        time.sleep(interval)


def consumer(r: embedis.Broker, count: int) -> None:
    done = 0
    while done < count:  # the classic loops forever; this one stops after the last order
        # [[stream, [(id, {field: value}), ...]]], or [] when BLOCK runs out
        reply = r.xreadgroup(GROUP, CONSUMER, {STREAM: ">"}, count=5, block=5000)
        if not reply:
            say("No new orders, waiting...")
            continue
        for _stream, messages in reply:
            for msg_id, fields in messages:
                say(f"Consumed {msg_id.decode()}: order {fields[b'order_id'].decode()}, amount {fields[b'amount'].decode()}")
                r.xack(STREAM, GROUP, msg_id)
                done += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10, help="orders to produce (default 10)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between orders (default 0.5)")
    args = parser.parse_args()

    r = embedis.Broker()  # for real Redis: r = redis.Redis()
    ensure_group(r)
    ensure_group(r)  # a second time: BUSYGROUP, tolerated

    threads = [
        threading.Thread(target=consumer, args=(r, args.count)),
        threading.Thread(target=producer, args=(r, args.count, args.interval)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"Pending after the run: {r.xpending(STREAM, GROUP)['pending']}")


if __name__ == "__main__":
    main()
