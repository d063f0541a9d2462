"""Pub/sub in one process: a publisher and two subscribers.

- a thread subscribed to the pattern ``prices.*`` (it sees every market),
- an asyncio task subscribed to the channel ``prices.eur`` only,
- the publisher (the main thread) publishes a few prices on two channels, then ``done``.

Each subscriber stops when it reads ``done``; the script ends by itself.

    python examples/pubsub.py
"""

from __future__ import annotations

import asyncio
import threading

import embedis
import embedis.asyncio

broker = embedis.Broker(decode_responses=True)
_print_lock = threading.Lock()


def say(line: str) -> None:
    with _print_lock:
        print(line, flush=True)


def thread_subscriber(ready: threading.Event) -> None:
    with broker.pubsub(ignore_subscribe_messages=True) as p:
        p.psubscribe("prices.*")
        ready.set()
        # listen() waits without the GIL and without CPU between messages.
        for message in p.listen():
            if message["data"] == "done":
                break
            say(f"[thread, {message['pattern']}] {message['channel']} = {message['data']}")


async def task_subscriber(ready: threading.Event) -> None:
    # The asyncio broker is a view on the same data as `broker`.
    abroker = embedis.asyncio.Broker(broker=broker, decode_responses=True)
    async with abroker.pubsub(ignore_subscribe_messages=True) as p:
        await p.subscribe("prices.eur")
        ready.set()
        async for message in p.listen():
            if message["data"] == "done":
                break
            say(f"[task]             {message['channel']} = {message['data']}")


def main() -> None:
    thread_ready, task_ready = threading.Event(), threading.Event()
    worker = threading.Thread(target=thread_subscriber, args=(thread_ready,))
    worker.start()
    loop_thread = threading.Thread(target=lambda: asyncio.run(task_subscriber(task_ready)))
    loop_thread.start()
    thread_ready.wait()
    task_ready.wait()

    for currency, price in [("eur", 1.08), ("gbp", 1.27), ("eur", 1.09), ("gbp", 1.26)]:
        receivers = broker.publish(f"prices.{currency}", f"{price:.2f}")
        say(f"[publisher]        prices.{currency} <- {price:.2f} ({receivers} receivers)")
    for channel in ("prices.eur", "prices.gbp"):
        broker.publish(channel, "done")

    worker.join()
    loop_thread.join()
    say("both subscribers finished")


if __name__ == "__main__":
    main()
