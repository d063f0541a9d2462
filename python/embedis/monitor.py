"""``Broker.monitor()``: every command run on the broker, as redis-py's ``Monitor`` gives
them (``{'time', 'db', 'client_address', 'client_port', 'client_type', 'command'}``).
In-process calls show as client ``python:<pid>`` (``client_type`` ``'python'``); clients
of ``Broker.serve()`` with their address."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

_LINE = re.compile(r"\[(\d+) (.*?)\] (.*)")
_ARG = re.compile(r'"(.*?)(?<!\\)"')


def parse_line(line: str) -> dict[str, Any]:
    """One MONITOR line as redis-py's ``Monitor.next_command`` reads it."""
    stamp, rest = line.split(" ", 1)
    m = _LINE.match(rest)
    if m is None:
        raise ValueError(f"not a MONITOR line: {line!r}")
    db, who, args = m.groups()
    command = " ".join(_ARG.findall(args)).replace('\\"', '"')
    if who == "lua":
        address, port, kind = "lua", "", "lua"
    elif who.startswith("unix"):
        address, port, kind = "unix", who[5:], "unix"
    elif who.startswith("python:"):
        address, port, kind = "python", who[7:], "python"
    elif who == "":
        address, port, kind = "", "", "unknown"
    else:
        address, port = who.rsplit(":", 1)
        kind = "tcp"
    return {
        "time": float(stamp),
        "db": int(db),
        "client_address": address,
        "client_port": port,
        "client_type": kind,
        "command": command,
    }


class Monitor:
    """MONITOR on an in-process broker; use as ``with r.monitor() as m: for cmd in
    m.listen(): ...``. The feed starts when the ``with`` block is entered (or at the first
    read) and stops when it ends (``close()``)."""

    def __init__(self, broker: Any) -> None:
        self._broker = broker
        self._feed: Any = None

    def _open(self) -> Any:
        if self._feed is None:
            self._feed = self._broker._monitor_feed()
        return self._feed

    def __enter__(self) -> Monitor:
        self._open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop monitoring."""
        if self._feed is not None:
            self._feed.close()
            self._feed = None

    def next_command(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next command run (waiting up to ``timeout`` seconds; ``None`` if none
        came)."""
        line = self._open().next_line(timeout)
        return None if line is None else parse_line(line)

    def listen(self) -> Iterator[dict[str, Any]]:
        """Every command run from now on, as it runs."""
        while True:
            cmd = self.next_command()
            if cmd is not None:
                yield cmd


class AsyncMonitor:
    """The asyncio twin of ``Monitor`` (``redis.asyncio``'s ``Monitor``): ``async with
    r.monitor() as m: async for cmd in m.listen(): ...``. Each wait runs in a worker
    thread, so the loop goes on meanwhile."""

    def __init__(self, broker: Any) -> None:
        self._sync = Monitor(broker)

    async def __aenter__(self) -> AsyncMonitor:
        self._sync._open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._sync.close()

    async def connect(self) -> None:
        """Start the feed (redis-py's name)."""
        self._sync._open()

    async def next_command(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next command run; see ``Monitor.next_command``."""
        feed = self._sync._open()
        if timeout is None:
            # Short waits, so that a cancelled task leaves no thread blocked for long.
            while True:
                line = await asyncio.to_thread(feed.next_line, 0.1)
                if line is not None:
                    return parse_line(line)
        line = await asyncio.to_thread(feed.next_line, timeout)
        return None if line is None else parse_line(line)

    async def listen(self) -> AsyncIterator[dict[str, Any]]:
        """Every command run from now on."""
        while True:
            cmd = await self.next_command()
            if cmd is not None:
                yield cmd
