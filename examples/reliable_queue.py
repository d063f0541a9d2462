"""A reliable queue: BLMOVE a job from ``jobs`` to ``processing``, work, then LREM it.

A plain BRPOP loses a job if the worker dies after taking it. With BLMOVE the job moves
atomically into ``processing`` and stays there until the worker removes it with LREM
once the work is done, so a crashed worker's job can be found and put back.

This demo runs worker-1, which crashes while holding job-3; job-3 is then still in
``processing``. A recovery step moves it back to ``jobs``, and worker-2 finishes every
job, job-3 included, each exactly once. To run it against a real Redis instead, change
the one marked line to ``r = redis.Redis(decode_responses=True)`` (and ``import redis``).

    python examples/reliable_queue.py
"""

from __future__ import annotations

import threading
import time

import embedis

JOBS = "jobs"
PROCESSING = "processing"
DONE = "done"


class Crash(Exception):
    """Stands for a worker dying mid-job (killed, out of memory, power cut...)."""


def worker(r: embedis.Broker, name: str, crash_on: str | None = None) -> None:
    """Take jobs until ``jobs`` stays empty for 0.5 s."""
    while True:
        # Atomically: pop the oldest job from `jobs`, push it onto `processing`.
        job = r.blmove(JOBS, PROCESSING, 0.5, src="LEFT", dest="RIGHT")
        if job is None:
            print(f"{name}: no more jobs, stopping")
            return
        print(f"{name}: took {job}")
        if job == crash_on:
            raise Crash(job)
        time.sleep(0.05)  # the work
        r.rpush(DONE, job)  # the job's result
        r.lrem(PROCESSING, 1, job)  # done: only now does the job leave `processing`
        print(f"{name}: finished {job}")


def run(r: embedis.Broker, name: str, crash_on: str | None = None) -> None:
    """Run a worker in its own thread and wait for it to stop or crash."""

    def body() -> None:
        try:
            worker(r, name, crash_on)
        except Crash as crash:
            print(f"{name}: CRASHED while working on {crash.args[0]}")

    t = threading.Thread(target=body, name=name)
    t.start()
    t.join()


def recover(r: embedis.Broker) -> None:
    """Put every job of a dead worker back at the head of ``jobs`` (served next).

    With one worker per ``processing`` list (here: worker-1 was the only one) whatever is
    left in it after the worker died is exactly what it never finished."""
    while (job := r.lmove(PROCESSING, JOBS, src="RIGHT", dest="LEFT")) is not None:
        print(f"recovery: {job} goes back to {JOBS}")


def main() -> None:
    r = embedis.Broker(decode_responses=True)  # for real Redis: r = redis.Redis(decode_responses=True)
    r.delete(JOBS, PROCESSING, DONE)

    r.rpush(JOBS, *(f"job-{i}" for i in range(1, 6)))
    print(f"queued: {r.lrange(JOBS, 0, -1)}")

    run(r, "worker-1", crash_on="job-3")
    print(f"after the crash: {JOBS}={r.lrange(JOBS, 0, -1)} {PROCESSING}={r.lrange(PROCESSING, 0, -1)}")
    assert r.lrange(PROCESSING, 0, -1) == ["job-3"], "the crashed worker's job stays in processing"

    recover(r)
    run(r, "worker-2")

    done = r.lrange(DONE, 0, -1)
    print(f"done: {done}; {PROCESSING}={r.lrange(PROCESSING, 0, -1)}")
    assert sorted(done) == [f"job-{i}" for i in range(1, 6)], "every job done exactly once"
    assert r.llen(PROCESSING) == 0 and r.llen(JOBS) == 0


if __name__ == "__main__":
    main()
