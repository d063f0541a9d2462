"""A list as a queue with asyncio: a producer task LPUSHes, a consumer task awaits BRPOP.

The asyncio twin of ``list_queue.py``. Awaiting BRPOP holds no thread; the producer and
the consumer are two tasks on one event loop. To run it against a real Redis instead,
change the one marked line to ``r = redis.asyncio.Redis()`` (and ``import redis.asyncio``).

    python examples/list_queue_asyncio.py                 # 10 items, 0.1 s apart
    python examples/list_queue_asyncio.py --timeout 0.05  # see "No data found"
"""

from __future__ import annotations

import argparse
import asyncio

import embedis.asyncio

QUEUE = "queue"
COUNT = 10


async def producer(r: embedis.asyncio.Broker, interval: float) -> None:
    for i in range(1, COUNT + 1):
        data = f"data-{i}"
        print(f"Produced: {data}")
        await r.lpush(QUEUE, data)
        await asyncio.sleep(interval)


async def consumer(r: embedis.asyncio.Broker, timeout: float) -> None:
    consumed = 0
    while consumed < COUNT:  # the classic loops forever; this one stops after the last item
        item = await r.brpop(QUEUE, timeout=timeout)  # (key, value), or None after `timeout` s
        if item:
            print(f"Consumed: {item[1].decode()}")
            consumed += 1
        else:
            print("No data found, waiting...")


async def main(timeout: float, interval: float) -> None:
    r = embedis.asyncio.Broker()  # for real Redis: r = redis.asyncio.Redis()
    try:
        await asyncio.gather(consumer(r, timeout), producer(r, interval))
    finally:
        await r.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=5, help="BRPOP timeout in seconds (default 5)")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between pushes (default 0.1)")
    args = parser.parse_args()
    asyncio.run(main(args.timeout, args.interval))
