"""A list as a queue: a producer thread LPUSHes, a consumer thread BRPOPs.

The classic redis-py producer/consumer example, on the in-process broker: no server to
run. To run it against a real Redis instead, change the one marked line to
``r = redis.Redis()`` (and ``import redis``).

    python examples/list_queue.py                 # 10 items, 0.1 s apart
    python examples/list_queue.py --timeout 0.05  # shorter BRPOP timeout: see "No data found"
"""

from __future__ import annotations

import argparse
import threading
import time

import embedis

QUEUE = "queue"
COUNT = 10


def producer(r: embedis.Broker, interval: float) -> None:
    for i in range(1, COUNT + 1):
        data = f"data-{i}"
        print(f"Produced: {data}")  # printed first so the two threads' lines never interleave
        r.lpush(QUEUE, data)
        time.sleep(interval)


def consumer(r: embedis.Broker, timeout: float) -> None:
    consumed = 0
    while consumed < COUNT:  # the classic loops forever; this one stops after the last item
        item = r.brpop(QUEUE, timeout=timeout)  # (key, value), or None after `timeout` s
        if item:
            print(f"Consumed: {item[1].decode()}")
            consumed += 1
        else:
            print("No data found, waiting...")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=5, help="BRPOP timeout in seconds (default 5)")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between pushes (default 0.1)")
    args = parser.parse_args()

    r = embedis.Broker()  # for real Redis: r = redis.Redis()

    threads = [
        threading.Thread(target=consumer, args=(r, args.timeout)),
        threading.Thread(target=producer, args=(r, args.interval)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
