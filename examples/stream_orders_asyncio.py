"""The orders stream with asyncio: a producer task and a consumer task of ``mygroup``.

The same as ``stream_orders.py`` with ``embedis.asyncio`` (which mirrors
``redis.asyncio``): the consumer awaits XREADGROUP COUNT 5 BLOCK 5000, holding no thread
while it waits. For real Redis: ``r = redis.asyncio.Redis()`` on the marked line.

    python examples/stream_orders_asyncio.py --count 10 --interval 0.5
"""

from __future__ import annotations

import argparse
import asyncio

import embedis.asyncio
from embedis.exceptions import ResponseError

STREAM = "orders"
GROUP = "mygroup"
CONSUMER = "worker-1"


async def ensure_group(r: embedis.asyncio.Broker) -> None:
    try:
        await r.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except ResponseError as e:
        if not str(e).startswith("BUSYGROUP"):
            raise


async def producer(r: embedis.asyncio.Broker, count: int, interval: float) -> None:
    for i in range(1, count + 1):
        order = {"order_id": f"OID-{i:03d}", "amount": f"{10 + i * 2.5:.2f}"}
        msg_id = await r.xadd(STREAM, order)
        print(f"Produced {order['order_id']} as {msg_id.decode()}")
        await asyncio.sleep(interval)


async def consumer(r: embedis.asyncio.Broker, count: int) -> None:
    done = 0
    while done < count:
        reply = await r.xreadgroup(GROUP, CONSUMER, {STREAM: ">"}, count=5, block=5000)
        if not reply:
            print("No new orders, waiting...")
            continue
        for _stream, messages in reply:
            for msg_id, fields in messages:
                print(f"Consumed {msg_id.decode()}: order {fields[b'order_id'].decode()}, amount {fields[b'amount'].decode()}")
                await r.xack(STREAM, GROUP, msg_id)
                done += 1


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args()

    r = embedis.asyncio.Broker()  # for real Redis: r = redis.asyncio.Redis()
    await ensure_group(r)
    await ensure_group(r)  # BUSYGROUP, tolerated
    await asyncio.gather(consumer(r, args.count), producer(r, args.count, args.interval))
    print(f"Pending after the run: {(await r.xpending(STREAM, GROUP))['pending']}")


if __name__ == "__main__":
    asyncio.run(main())
