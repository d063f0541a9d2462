"""embedis: an in-process message broker with Redis semantics.

``embedis.Broker()`` stands where ``redis.Redis()`` stands: the same methods, arguments
and return shapes, with no server to run. Lists work as queues (LPUSH/BRPOP, BLMOVE),
blocking calls release the GIL and answer Ctrl-C, and ``embedis.asyncio`` mirrors
``redis.asyncio``.

>>> import embedis
>>> r = embedis.Broker()
>>> r.lpush("jobs", "a", "b")
2
>>> r.brpop("jobs", timeout=1)
(b'jobs', b'a')
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import exceptions
from ._bitfield import BitFieldOperation
from ._embedis import Broker as _NativeBroker
from ._embedis import Server, __version__
from .client_pubsub import PubSub, PubSubWorkerThread, Subscription
from .monitor import Monitor
from .exceptions import (
    ConnectionError,
    DataError,
    ForkedBrokerError,
    PersistenceError,
    PubSubError,
    RedisError,
    ResponseError,
    TimeoutError,
    WatchError,
)

__all__ = [
    "BitFieldOperation",
    "Broker",
    "ConnectionError",
    "DataError",
    "ForkedBrokerError",
    "Monitor",
    "PersistenceError",
    "PubSub",
    "PubSubError",
    "PubSubWorkerThread",
    "RedisError",
    "ResponseError",
    "Server",
    "TimeoutError",
    "Subscription",
    "WatchError",
    "__version__",
    "exceptions",
]


class Broker(_NativeBroker):
    """An in-process broker with Redis semantics; mirrors ``redis.Redis``.

    ``Broker()`` is a new, empty broker. ``Broker(broker=other)`` is another handle on
    the data of ``other`` (for instance with another ``db`` or ``decode_responses``), as
    two ``redis.Redis`` clients of one server share data. Every method is thread-safe and
    each command is atomic.

    A handle belongs to the process that made it: in a forked child (``os.fork``,
    ``multiprocessing``'s ``fork`` start method) every method raises
    ``ForkedBrokerError``. To share one broker between processes, ``serve()`` it from the
    parent and connect the children with redis-py (``examples/multiprocess_queue.py``).
    """

    def scan_iter(
        self,
        match: Any = None,
        count: int | None = None,
        _type: Any = None,
        **kwargs: Any,
    ) -> Iterator[Any]:
        """Iterate over every key (matching ``match`` and of type ``_type``) with SCAN."""
        cursor = None
        while cursor != 0:
            cursor, keys = self.scan(cursor or 0, match=match, count=count, _type=_type)
            yield from keys

    def bitfield(self, key: Any, default_overflow: str | None = None) -> BitFieldOperation:
        """A ``BitFieldOperation`` on ``key``: chain ``get``/``set``/``incrby``/``overflow``
        and ``execute()`` them as one BITFIELD (redis-py's ``Redis.bitfield``)."""
        self._check_fork()
        return BitFieldOperation(self, key, default_overflow=default_overflow)

    def sscan_iter(self, name: Any, match: Any = None, count: int | None = None) -> Iterator[Any]:
        """Iterate over every member of the set ``name`` (matching ``match``) with SSCAN."""
        cursor = None
        while cursor != 0:
            cursor, members = self.sscan(name, cursor=cursor or 0, match=match, count=count)
            yield from members

    def hscan_iter(
        self,
        name: Any,
        match: Any = None,
        count: int | None = None,
        no_values: bool | None = None,
    ) -> Iterator[Any]:
        """Iterate over the (field, value) pairs of hash ``name`` with HSCAN (the fields
        alone with ``no_values``, which Redis 7.0 refuses as a syntax error)."""
        cursor = None
        while cursor != 0:
            cursor, data = self.hscan(name, cursor=cursor or 0, match=match, count=count, no_values=no_values)
            if no_values:
                yield from data
            else:
                yield from data.items()

    def pubsub(self, ignore_subscribe_messages: bool = False, **kwargs: Any) -> PubSub:
        """A new ``PubSub`` on this broker's data (redis-py's ``Redis.pubsub``); see
        ``embedis.client_pubsub``."""
        return PubSub(self, ignore_subscribe_messages=ignore_subscribe_messages)

    def monitor(self) -> Monitor:
        """A ``Monitor`` of every command run on this broker's data, by this process
        (client ``python:<pid>``) or by clients of ``serve()``; mirrors
        ``redis.Redis.monitor``."""
        self._check_fork()
        return Monitor(self)

    def close(self) -> None:
        """Make what was written durable: wait for a background save or rewrite, then
        write and fsync what the AOF has buffered (nothing to do without persistence).

        As with redis-py's ``close()``, the broker stays usable afterwards: the data, and
        the persistence directory, are held while any handle on them lives; drop the last
        one (``del broker``) to release the directory."""
        self._sync_persistence()

    def __enter__(self) -> Broker:
        self._check_fork()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
