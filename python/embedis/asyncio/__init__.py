"""``embedis.asyncio``: the same broker API as coroutines, mirroring ``redis.asyncio``.

``embedis.asyncio.Broker()`` is a new, empty broker. To share one broker between threads
and asyncio tasks, open the asyncio API over a sync broker's data::

    sync = embedis.Broker()
    broker = embedis.asyncio.Broker(broker=sync)   # same data, awaitable methods

Calls that can be served at once complete without suspending the task. Awaiting a
blocking call (``blpop``, ``brpop``, ``blmove``, ``brpoplpush``, ``blmpop``) holds no
thread, and cancelling it (``task.cancel()``, ``asyncio.timeout``, ``wait_for``) never
loses an element: one already handed to the cancelled call goes back to its list.
"""

from __future__ import annotations

import asyncio as _asyncio
import sys
from collections.abc import AsyncIterator, Iterable
from os import PathLike
from typing import Any

from .. import Broker as _SyncBroker
from .._embedis import BlockSpec as _BlockSpec
from .._bitfield import BitFieldOperation
from .._embedis import Server
from ..monitor import AsyncMonitor
from .client_pubsub import PubSub

__all__ = ["Broker", "PubSub"]

if sys.version_info >= (3, 11):
    _timeout = _asyncio.timeout
else:  # pragma: no cover - 3.10 only
    _timeout = None


async def _block(spec: _BlockSpec) -> Any:
    """Run a blocking call: at once if data is there, else await it up to its timeout."""
    ready = spec.try_now()
    if ready is not None:
        return ready
    return await _wait(spec)


async def _wait(spec: _BlockSpec) -> Any:
    """Await a blocking call up to its timeout; None when it runs out."""
    limit = spec.timeout
    if limit is None:
        return await spec.wait()
    try:
        if _timeout is not None:
            async with _timeout(limit):
                return await spec.wait()
        return await _asyncio.wait_for(spec.wait(), limit)  # pragma: no cover - 3.10
    except TimeoutError:
        return spec.timed_out()


def _forward(name: str) -> Any:
    """An ``async def`` twin of the sync method ``name`` (no thread hop, no suspension)."""
    sync = getattr(_SyncBroker, name)

    async def method(self: Broker, *args: Any, **kwargs: Any) -> Any:
        return sync(self._sync, *args, **kwargs)

    method.__name__ = name
    method.__qualname__ = f"Broker.{name}"
    method.__doc__ = sync.__doc__
    return method


class Broker:
    """An asyncio broker with Redis semantics; mirrors ``redis.asyncio.Redis``.

    ``Broker()`` is a new, empty broker; ``Broker(broker=b)`` works on the data of ``b``
    (a sync ``embedis.Broker`` or another asyncio one). The persistence keywords
    (``dir``, ``appendonly``, ``appendfsync``, ``save``, ...) are those of
    ``embedis.Broker``: opening loads what the directory holds. So are the memory
    keywords (``maxmemory``, ``maxmemory_policy``, ``maxmemory_samples``): over the limit,
    writes that may grow memory raise ``OutOfMemoryError`` or evict, as the policy says.
    """

    def __init__(
        self,
        *,
        db: int = 0,
        decode_responses: bool = False,
        encoding: str = "utf-8",
        encoding_errors: str = "strict",
        broker: _SyncBroker | Broker | None = None,
        dir: str | PathLike[str] | None = None,
        appendonly: bool | None = None,
        appendfsync: str | None = None,
        save: Iterable[tuple[int, int]] | str | None = None,
        dbfilename: str | None = None,
        appendfilename: str | None = None,
        appenddirname: str | None = None,
        auto_aof_rewrite_percentage: int | None = None,
        auto_aof_rewrite_min_size: int | None = None,
        aof_use_rdb_preamble: bool | None = None,
        maxmemory: int | str | None = None,
        maxmemory_policy: str | None = None,
        maxmemory_samples: int | None = None,
        notify_keyspace_events: str | None = None,
        config: dict[str, Any] | None = None,
    ) -> None:
        base = broker.sync if isinstance(broker, Broker) else broker
        self._sync: _SyncBroker = _SyncBroker(
            db=db,
            decode_responses=decode_responses,
            encoding=encoding,
            encoding_errors=encoding_errors,
            broker=base,
            dir=dir,
            appendonly=appendonly,
            appendfsync=appendfsync,
            save=save,
            dbfilename=dbfilename,
            appendfilename=appendfilename,
            appenddirname=appenddirname,
            auto_aof_rewrite_percentage=auto_aof_rewrite_percentage,
            auto_aof_rewrite_min_size=auto_aof_rewrite_min_size,
            aof_use_rdb_preamble=aof_use_rdb_preamble,
            maxmemory=maxmemory,
            maxmemory_policy=maxmemory_policy,
            maxmemory_samples=maxmemory_samples,
            notify_keyspace_events=notify_keyspace_events,
            config=config,
        )

    @property
    def sync(self) -> _SyncBroker:
        """A sync handle on the same data and settings (for threads)."""
        self._sync._check_fork()
        return self._sync

    def __repr__(self) -> str:
        return repr(self._sync).replace("embedis.Broker", "embedis.asyncio.Broker", 1)

    async def blpop(self, keys: Any, timeout: Any = 0) -> Any:
        """Await an element from the head of the first non-empty of ``keys``:
        ``(key, element)``, or None after ``timeout`` seconds (0: forever)."""
        r = self._sync._bpop(keys, timeout, True)
        return await _wait(r) if type(r) is _BlockSpec else r

    async def brpop(self, keys: Any, timeout: Any = 0) -> Any:
        """As ``blpop``, from the tail."""
        r = self._sync._bpop(keys, timeout, False)
        return await _wait(r) if type(r) is _BlockSpec else r

    async def blmove(
        self, first_list: Any, second_list: Any, timeout: Any, src: str = "LEFT", dest: str = "RIGHT"
    ) -> Any:
        """Await ``lmove`` from ``first_list`` to ``second_list`` (reliable queue).

        If ``second_list`` holds another type when the element comes, raises
        ``ResponseError`` (WRONGTYPE) and leaves it in ``first_list``, as Redis does.
        """
        return await _block(self._sync._blmove_spec(first_list, second_list, timeout, src, dest))

    async def brpoplpush(self, src: Any, dst: Any, timeout: Any = 0) -> Any:
        """Await ``rpoplpush`` from ``src`` to ``dst``."""
        return await _block(self._sync._blmove_spec(src, dst, 0 if timeout is None else timeout, "RIGHT", "LEFT"))

    async def blmpop(
        self, timeout: Any, numkeys: int, *args: Any, direction: str, count: int | None = 1
    ) -> Any:
        """Await ``lmpop``: ``[key, [elements]]`` or None after ``timeout`` seconds."""
        return await _block(self._sync._blmpop_spec(timeout, numkeys, args, direction, count))

    async def xread(
        self,
        streams: Any,
        count: int | None = None,
        block: int | None = None,
        max_count: int | None = None,
        max_size: int | None = None,
    ) -> Any:
        """Await entries after the IDs of ``streams``; ``block`` in ms (0: forever),
        ``[]`` when it runs out. Holds no thread while waiting."""
        r = self._sync._xread(streams, count, block, max_count, max_size)
        return await _wait(r) if type(r) is _BlockSpec else r

    async def xreadgroup(
        self,
        groupname: Any,
        consumername: Any,
        streams: Any,
        count: int | None = None,
        block: int | None = None,
        noack: bool = False,
        claim_min_idle_time: int | None = None,
        max_count: int | None = None,
        max_size: int | None = None,
    ) -> Any:
        """Await entries as a consumer of a group. Entries handed to a call that is then
        cancelled stay pending for that consumer (XPENDING/XCLAIM/XAUTOCLAIM see them), as
        with a Redis client that disconnects: nothing is lost."""
        r = self._sync._xreadgroup(
            groupname, consumername, streams, count, block, noack, claim_min_idle_time, max_count, max_size
        )
        return await _wait(r) if type(r) is _BlockSpec else r

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        """Run a command from its words; blocking commands are awaited, not run on a thread."""
        spec = self._sync._command_spec(*args)
        if spec is not None:
            return await _block(spec)
        return self._sync.execute_command(*args, **options)

    def bitfield(self, key: Any, default_overflow: str | None = None) -> BitFieldOperation:
        """A ``BitFieldOperation`` on ``key`` whose ``execute()`` is awaited, as with
        ``redis.asyncio.Redis.bitfield``."""
        self._sync._check_fork()
        return BitFieldOperation(self, key, default_overflow=default_overflow)

    async def ping(self, **kwargs: Any) -> bool:
        """True: the broker answers."""
        return self._sync.ping()

    async def dbsize(self, **kwargs: Any) -> int:
        """Number of keys in the database."""
        return self._sync.dbsize()

    async def randomkey(self, **kwargs: Any) -> Any:
        """A random key, or None for an empty database."""
        return self._sync.randomkey()

    async def scan_iter(
        self, match: Any = None, count: int | None = None, _type: Any = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Iterate over every key with SCAN."""
        for key in self._sync.scan_iter(match=match, count=count, _type=_type):
            yield key

    async def sscan_iter(self, name: Any, match: Any = None, count: int | None = None) -> AsyncIterator[Any]:
        """Iterate over every member of the set ``name`` with SSCAN."""
        for member in self._sync.sscan_iter(name, match=match, count=count):
            yield member

    async def hscan_iter(
        self, name: Any, match: Any = None, count: int | None = None, no_values: bool | None = None
    ) -> AsyncIterator[Any]:
        """Iterate over the (field, value) pairs of hash ``name`` with HSCAN."""
        for item in self._sync.hscan_iter(name, match=match, count=count, no_values=no_values):
            yield item

    async def pubsub_numpat(self, **kwargs: Any) -> int:
        """The number of distinct patterns subscribed to."""
        return self._sync.pubsub_numpat()

    async def get_pubsub_limits(self) -> tuple[int, int, float]:
        """``(hard, soft, soft_seconds)``: the subscribers' backlog limits."""
        return self._sync.get_pubsub_limits()

    async def serve(self, host: Any = None, port: int | None = 6379, **kwargs: Any) -> Server:
        """Serve this broker over RESP from background threads; see ``embedis.Broker.serve``.
        Returns the ``Server`` once it listens (``stop()`` it, or use it as a context
        manager)."""
        return self._sync.serve(host, port, **kwargs)

    def monitor(self) -> AsyncMonitor:
        """An asyncio ``Monitor`` of every command run on this broker's data
        (``redis.asyncio.Redis.monitor``)."""
        self._sync._check_fork()
        return AsyncMonitor(self._sync)

    def pubsub(self, ignore_subscribe_messages: bool = False, **kwargs: Any) -> PubSub:
        """A new asyncio ``PubSub`` on this broker's data (``redis.asyncio.Redis.pubsub``)."""
        return PubSub(self._sync, ignore_subscribe_messages=ignore_subscribe_messages)

    async def save(self, *args: Any, **kwargs: Any) -> bool:
        """Write a snapshot now (``SAVE``), in a worker thread: the loop goes on meanwhile."""
        return await _asyncio.to_thread(self._sync.save, *args, **kwargs)

    async def aclose(self) -> None:
        """``embedis.Broker.close`` in a worker thread: what was written is made durable;
        the broker stays usable."""
        await _asyncio.to_thread(self._sync.close)

    async def close(self) -> None:
        """Deprecated alias of ``aclose`` in redis-py; kept for compatibility."""
        await self.aclose()

    async def __aenter__(self) -> Broker:
        self._sync._check_fork()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


_FORWARDED = """
    lpush rpush lpushx rpushx lpop rpop llen lrange lindex lset linsert lrem ltrim lpos
    lmove rpoplpush lmpop delete unlink exists type keys scan flushdb flushall
    rename renamenx expire pexpire expireat pexpireat ttl pttl persist echo get set
    copy move swapdb touch expiretime pexpiretime object sort sort_ro
    setnx getdel mget mset msetnx incr incrby decr decrby
    append strlen getrange substr setrange getset getex setex psetex incrbyfloat lcs
    setbit getbit bitcount bitpos bitop bitfield_ro
    hset hsetnx hmset hget hmget hgetall hdel hexists hlen hstrlen hkeys hvals hincrby
    hincrbyfloat hrandfield hscan
    zadd zcard zcount zincrby zmscore zpopmax zpopmin zrange zrangebyscore zrevrange
    zrevrangebyscore zrank zrevrank zrem zscore zlexcount zrangebylex zrevrangebylex
    zremrangebylex zremrangebyrank zremrangebyscore zrangestore zrandmember zmpop zscan
    zunion zinter zunionstore zinterstore zdiff zdiffstore zintercard
    publish spublish pubsub_channels pubsub_shardchannels pubsub_numsub pubsub_shardnumsub
    set_pubsub_limits
    sadd srem smembers sismember smismember scard spop srandmember smove sinter sintercard
    sinterstore sunion sunionstore sdiff sdiffstore sscan
    xadd xlen xrange xrevrange xdel xtrim xack xpending xpending_range xclaim xautoclaim
    xgroup_create xgroup_setid xgroup_destroy xgroup_createconsumer xgroup_delconsumer
    xinfo_stream xinfo_groups xinfo_consumers
    bgsave bgrewriteaof lastsave info slowlog_get slowlog_len slowlog_reset
    config_get config_set config_resetstat config_rewrite
""".split()

for _name in _FORWARDED:
    setattr(Broker, _name, _forward(_name))
del _name
