"""One embedis queue shared by several worker processes.

An ``embedis.Broker`` lives in the process that opened it: a forked child (``os.fork``,
``multiprocessing``, Celery's prefork pool, gunicorn ``--preload``) that touches an
inherited handle gets ``embedis.ForkedBrokerError``, never a silent copy of the data. To
share one broker between processes, the parent serves it over a Unix socket and the
workers connect with redis-py, exactly as they would to a Redis server:

    parent:  broker = embedis.Broker(dir=..., appendonly=True)
             server = broker.serve(unixsocket=path, port=None)
    worker:  r = redis.Redis(unix_socket_path=path); r.brpop("jobs")

The parent keeps using ``broker`` in process (no socket, no serialisation) while the
workers go through the socket; both see the same data, and the parent's AOF records all
of it.

    python examples/multiprocess_queue.py [--start-method fork|forkserver|spawn]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile

import redis

import embedis

WORKERS = 4
JOBS = 200


def worker(socket_path: str) -> None:
    """Square numbers from ``jobs`` into ``results`` until a ``stop`` job comes."""
    r = redis.Redis(unix_socket_path=socket_path)
    try:
        while True:
            # A timeout only so that a lost parent cannot leave the worker waiting forever.
            item = r.brpop("jobs", timeout=30)
            if item is None or item[1] == b"stop":
                return
            n = int(item[1])
            r.rpush("results", f"{n}:{n * n}:{os.getpid()}")
    finally:
        r.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--start-method", choices=multiprocessing.get_all_start_methods())
    args = parser.parse_args()
    ctx = multiprocessing.get_context(args.start_method)

    with tempfile.TemporaryDirectory() as tmp:
        socket_path = os.path.join(tmp, "embedis.sock")
        data_dir = os.path.join(tmp, "data")
        broker = embedis.Broker(dir=data_dir, appendonly=True, appendfsync="everysec")
        with broker.serve(unixsocket=socket_path, port=None):
            # Start the workers once the socket listens; they connect when they are ready.
            procs = [ctx.Process(target=worker, args=(socket_path,)) for _ in range(WORKERS)]
            for p in procs:
                p.start()
            # The parent enqueues in process: no socket on this side.
            broker.lpush("jobs", *range(JOBS))
            broker.lpush("jobs", *["stop"] * WORKERS)  # after the jobs: BRPOP takes from the tail
            for p in procs:
                p.join(60)
            codes = [p.exitcode for p in procs]
        results = [str(r, "utf-8").split(":") for r in broker.lrange("results", 0, -1) if isinstance(r, bytes)]
        squares = {int(n): int(sq) for n, sq, _pid in results}
        pids = {pid for _n, _sq, pid in results}
        broker.close()
        del broker

        # What the AOF replays is what the workers did.
        reopened = embedis.Broker(dir=data_dir, appendonly=True)
        replayed = reopened.llen("results")
        del reopened

    ok = codes == [0] * WORKERS and squares == {n: n * n for n in range(JOBS)} and replayed == JOBS
    print(
        f"{ctx.get_start_method()}: {len(squares)} jobs done by {len(pids)} workers "
        f"(exit codes {codes}); the reopened AOF holds {replayed} results: {'ok' if ok else 'FAILED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
