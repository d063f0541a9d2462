"""Stubs for ``embedis.asyncio``: the broker API as coroutines (mirrors ``redis.asyncio``)."""

from collections.abc import AsyncIterator, Iterable, Mapping
from os import PathLike
from datetime import datetime, timedelta
from typing import Any, Literal

from .. import Broker as _SyncBroker
from .._embedis import Server
from ..monitor import AsyncMonitor
from .client_pubsub import PubSub as PubSub

__all__ = ["Broker", "PubSub"]

_Encodable = bytes | bytearray | memoryview | str | int | float
_Key = bytes | str | memoryview | int | float
_Keys = _Key | list[Any] | tuple[Any, ...]
_Reply = bytes | str
_Timeout = int | float | str | bytes | None
_Expiry = int | timedelta
_AbsExpiry = int | datetime
_StreamId = int | bytes | str | memoryview
_Entry = tuple[_Reply, dict[Any, Any]]

class Broker:
    """An asyncio broker with Redis semantics; mirrors ``redis.asyncio.Redis``."""

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
        appendfsync: Literal["always", "everysec", "no"] | str | None = None,
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
        config: dict[str, _Encodable] | None = None,
    ) -> None: ...
    @property
    def sync(self) -> _SyncBroker: ...
    def scan_iter(
        self, match: Any = None, count: int | None = None, _type: Any = None, **kwargs: Any
    ) -> AsyncIterator[Any]: ...
    async def serve(
        self,
        host: str | list[str] | None = None,
        port: int | None = 6379,
        *,
        unixsocket: str | None = None,
        unixsocketperm: int | None = None,
        requirepass: str | bytes | None = None,
        maxclients: int = 10000,
        protected_mode: bool = True,
        proto_max_bulk_len: int | None = None,
        client_query_buffer_limit: int | None = None,
    ) -> Server: ...
    def pubsub(self, ignore_subscribe_messages: bool = False, **kwargs: Any) -> PubSub: ...
    async def aclose(self) -> None: ...
    async def close(self) -> None: ...
    async def __aenter__(self) -> Broker: ...
    async def __aexit__(self, *exc: object) -> None: ...

    # lists
    async def lpush(self, name: _Key, *values: _Encodable) -> int: ...
    async def rpush(self, name: _Key, *values: _Encodable) -> int: ...
    async def lpushx(self, name: _Key, *values: _Encodable) -> int: ...
    async def rpushx(self, name: _Key, *values: _Encodable) -> int: ...
    async def lpop(self, name: _Key, count: int | None = None) -> _Reply | list[_Reply] | None: ...
    async def rpop(self, name: _Key, count: int | None = None) -> _Reply | list[_Reply] | None: ...
    async def llen(self, name: _Key) -> int: ...
    async def lrange(self, name: _Key, start: int, end: int) -> list[_Reply]: ...
    async def lindex(self, name: _Key, index: int) -> _Reply | None: ...
    async def lset(self, name: _Key, index: int, value: _Encodable) -> bool: ...
    async def linsert(self, name: _Key, where: str, refvalue: _Encodable, value: _Encodable) -> int: ...
    async def lrem(self, name: _Key, count: int, value: _Encodable) -> int: ...
    async def ltrim(self, name: _Key, start: int, end: int) -> bool: ...
    async def lpos(
        self,
        name: _Key,
        value: _Encodable,
        rank: int | None = None,
        count: int | None = None,
        maxlen: int | None = None,
    ) -> int | list[int] | None: ...
    async def lmove(
        self, first_list: _Key, second_list: _Key, src: str = "LEFT", dest: str = "RIGHT"
    ) -> _Reply | None: ...
    async def rpoplpush(self, src: _Key, dst: _Key) -> _Reply | None: ...
    async def lmpop(
        self, num_keys: int, *args: _Key, direction: str, count: int | None = 1
    ) -> list[Any] | None: ...
    async def blpop(self, keys: _Keys, timeout: _Timeout = 0) -> tuple[_Reply, _Reply] | None: ...
    async def brpop(self, keys: _Keys, timeout: _Timeout = 0) -> tuple[_Reply, _Reply] | None: ...
    async def blmove(
        self,
        first_list: _Key,
        second_list: _Key,
        timeout: _Timeout,
        src: str = "LEFT",
        dest: str = "RIGHT",
    ) -> _Reply | None: ...
    async def brpoplpush(self, src: _Key, dst: _Key, timeout: _Timeout = 0) -> _Reply | None: ...
    async def blmpop(
        self,
        timeout: _Timeout,
        numkeys: int,
        *args: _Key,
        direction: str,
        count: int | None = 1,
    ) -> list[Any] | None: ...
    # keyspace
    async def delete(self, *names: _Key) -> int: ...
    async def unlink(self, *names: _Key) -> int: ...
    async def exists(self, *names: _Key) -> int: ...
    async def type(self, name: _Key) -> _Reply: ...
    async def keys(self, pattern: _Key | None = None, **_kwargs: Any) -> list[_Reply]: ...
    async def scan(
        self,
        cursor: int = 0,
        match: _Key | None = None,
        count: int | None = None,
        _type: str | bytes | None = None,
        **_kwargs: Any,
    ) -> tuple[int, list[_Reply]]: ...
    async def dbsize(self, **kwargs: Any) -> int: ...
    async def flushdb(self, asynchronous: bool = False, **_kwargs: Any) -> bool: ...
    async def flushall(self, asynchronous: bool = False, **_kwargs: Any) -> bool: ...
    async def rename(self, src: _Key, dst: _Key) -> bool: ...
    async def renamenx(self, src: _Key, dst: _Key) -> bool: ...
    async def expire(
        self, name: _Key, time: _Expiry, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False
    ) -> bool: ...
    async def pexpire(
        self, name: _Key, time: _Expiry, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False
    ) -> bool: ...
    async def expireat(
        self, name: _Key, when: _AbsExpiry, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False
    ) -> bool: ...
    async def pexpireat(
        self, name: _Key, when: _AbsExpiry, nx: bool = False, xx: bool = False, gt: bool = False, lt: bool = False
    ) -> bool: ...
    async def ttl(self, name: _Key) -> int: ...
    async def pttl(self, name: _Key) -> int: ...
    async def persist(self, name: _Key) -> bool: ...
    async def copy(
        self, source: _Key, destination: _Key, destination_db: int | str | None = None, replace: bool = False
    ) -> bool:
        """Copy the value of ``source`` to ``destination`` (in ``destination_db`` if given); whether it was copied."""
    async def move(self, name: _Key, db: int) -> bool:
        """Move ``name`` to database ``db``; whether it moved."""
    async def swapdb(self, first: int, second: int, **_kwargs: Any) -> bool:
        """Swap two databases; handles keep their selected index."""
    async def randomkey(self, **kwargs: Any) -> _Reply | None:
        """A random key, or None for an empty database."""
    async def touch(self, *args: _Key) -> int:
        """Update the access time of ``args``; how many exist."""
    async def expiretime(self, key: _Key) -> int:
        """Unix time in seconds at which ``key`` expires; -1 without expiry, -2 if missing."""
    async def pexpiretime(self, key: _Key) -> int:
        """Unix time in milliseconds at which ``key`` expires; -1 without expiry, -2 if missing."""
    async def object(self, infotype: str, key: _Key, **_kwargs: Any) -> Any:
        """OBJECT ``infotype`` (ENCODING, FREQ, IDLETIME, REFCOUNT) of ``key``."""
    async def sort(
        self,
        name: _Key,
        start: int | None = None,
        num: int | None = None,
        by: _Encodable | None = None,
        get: _Encodable | Iterable[_Encodable] | None = None,
        desc: bool = False,
        alpha: bool = False,
        store: _Key | None = None,
        groups: bool = False,
    ) -> Any:
        """Sort the list at ``name`` (BY, LIMIT, GET, DESC, ALPHA, STORE); ``groups`` gives tuples of the GET values."""
    async def sort_ro(
        self,
        key: _Key,
        start: int | None = None,
        num: int | None = None,
        by: _Encodable | None = None,
        get: _Encodable | Iterable[_Encodable] | None = None,
        desc: bool = False,
        alpha: bool = False,
    ) -> Any:
        """Sort the list at ``key`` without storing (read-only SORT)."""
    async def ping(self, **kwargs: Any) -> bool: ...
    async def echo(self, value: _Encodable, **_kwargs: Any) -> _Reply: ...
    # strings
    async def get(self, name: _Key) -> _Reply | None: ...
    async def set(
        self,
        name: _Key,
        value: _Encodable,
        ex: _Expiry | None = None,
        px: _Expiry | None = None,
        nx: bool = False,
        xx: bool = False,
        keepttl: bool = False,
        get: bool = False,
        exat: _AbsExpiry | None = None,
        pxat: _AbsExpiry | None = None,
    ) -> bool | _Reply | None: ...
    async def setnx(self, name: _Key, value: _Encodable) -> bool: ...
    async def getdel(self, name: _Key) -> _Reply | None: ...
    async def mget(self, keys: _Keys, *args: _Key) -> list[_Reply | None]: ...
    async def mset(self, mapping: Mapping[Any, _Encodable]) -> bool: ...
    async def msetnx(self, mapping: Mapping[Any, _Encodable]) -> bool: ...
    async def incr(self, name: _Key, amount: int = 1) -> int: ...
    async def incrby(self, name: _Key, amount: int = 1) -> int: ...
    async def decr(self, name: _Key, amount: int = 1) -> int: ...
    async def decrby(self, name: _Key, amount: int = 1) -> int: ...
    # pub/sub
    async def publish(self, channel: _Key, message: _Encodable, **_kwargs: Any) -> int: ...
    async def spublish(self, shard_channel: _Key, message: _Encodable) -> int: ...
    async def pubsub_channels(self, pattern: _Key | None = None, **_kwargs: Any) -> list[_Reply]: ...
    async def pubsub_shardchannels(self, pattern: _Key | None = None, **_kwargs: Any) -> list[_Reply]: ...
    async def pubsub_numsub(self, *args: _Key, **_kwargs: Any) -> list[tuple[_Reply, int]]: ...
    async def pubsub_shardnumsub(self, *args: _Key, **_kwargs: Any) -> list[tuple[_Reply, int]]: ...
    async def pubsub_numpat(self, **kwargs: Any) -> int: ...
    async def set_pubsub_limits(self, hard: int, soft: int, soft_seconds: float) -> None: ...
    async def get_pubsub_limits(self) -> tuple[int, int, float]: ...
    # streams
    async def xadd(
        self,
        name: _Key,
        fields: dict[Any, _Encodable],
        id: _StreamId = "*",
        maxlen: int | None = None,
        approximate: bool = True,
        nomkstream: bool = False,
        minid: _StreamId | None = None,
        limit: int | None = None,
        ref_policy: Literal["KEEPREF", "DELREF", "ACKED"] | None = None,
        idmpauto: str | None = None,
        idmp: tuple[str, bytes] | None = None,
    ) -> _Reply | None: ...
    async def xlen(self, name: _Key) -> int: ...
    async def xrange(
        self, name: _Key, min: _StreamId = "-", max: _StreamId = "+", count: int | None = None
    ) -> list[_Entry] | None: ...
    async def xrevrange(
        self, name: _Key, max: _StreamId = "+", min: _StreamId = "-", count: int | None = None
    ) -> list[_Entry] | None: ...
    async def xdel(self, name: _Key, *ids: _StreamId) -> int: ...
    async def xtrim(
        self,
        name: _Key,
        maxlen: int | None = None,
        approximate: bool = True,
        minid: _StreamId | None = None,
        limit: int | None = None,
        ref_policy: Literal["KEEPREF", "DELREF", "ACKED"] | None = None,
    ) -> int: ...
    async def xread(
        self,
        streams: dict[Any, _StreamId],
        count: int | None = None,
        block: int | None = None,
        max_count: int | None = None,
        max_size: int | None = None,
    ) -> list[list[Any]]: ...
    async def xreadgroup(
        self,
        groupname: _Key,
        consumername: _Key,
        streams: dict[Any, _StreamId],
        count: int | None = None,
        block: int | None = None,
        noack: bool = False,
        claim_min_idle_time: int | None = None,
        max_count: int | None = None,
        max_size: int | None = None,
    ) -> list[list[Any]]: ...
    async def xack(self, name: _Key, groupname: _Key, *ids: _StreamId) -> int: ...
    async def xpending(self, name: _Key, groupname: _Key) -> dict[str, Any]: ...
    async def xpending_range(
        self,
        name: _Key,
        groupname: _Key,
        min: _StreamId | None,
        max: _StreamId | None,
        count: int | None,
        consumername: _Key | None = None,
        idle: int | None = None,
    ) -> list[dict[str, Any]] | dict[str, Any]: ...
    async def xclaim(
        self,
        name: _Key,
        groupname: _Key,
        consumername: _Key,
        min_idle_time: int,
        message_ids: list[_StreamId] | tuple[_StreamId, ...],
        idle: int | None = None,
        time: int | None = None,
        retrycount: int | None = None,
        force: bool = False,
        justid: bool = False,
    ) -> list[_Entry] | list[_Reply]: ...
    async def xautoclaim(
        self,
        name: _Key,
        groupname: _Key,
        consumername: _Key,
        min_idle_time: int,
        start_id: _StreamId = "0-0",
        count: int | None = None,
        justid: bool = False,
    ) -> list[Any]: ...
    async def xgroup_create(
        self,
        name: _Key,
        groupname: _Key,
        id: _StreamId = "$",
        mkstream: bool = False,
        entries_read: int | None = None,
    ) -> bool: ...
    async def xgroup_setid(
        self, name: _Key, groupname: _Key, id: _StreamId, entries_read: int | None = None
    ) -> bool: ...
    async def xgroup_destroy(self, name: _Key, groupname: _Key) -> bool: ...
    async def xgroup_createconsumer(self, name: _Key, groupname: _Key, consumername: _Key) -> int: ...
    async def xgroup_delconsumer(self, name: _Key, groupname: _Key, consumername: _Key) -> int: ...
    async def xinfo_stream(self, name: _Key, full: bool = False) -> dict[str, Any]: ...
    async def xinfo_groups(self, name: _Key) -> list[dict[str, Any]]: ...
    async def xinfo_consumers(self, name: _Key, groupname: _Key) -> list[dict[str, Any]]: ...

    # persistence (the sync broker's, forwarded; save() holds the loop while it writes, as
    # SAVE holds a Redis server)
    async def save(self, *_args: Any, **_kwargs: Any) -> bool: ...
    async def bgsave(self, schedule: bool = True, **_kwargs: Any) -> bool: ...
    async def bgrewriteaof(self, *_args: Any, **_kwargs: Any) -> bool: ...
    async def lastsave(self, *_args: Any, **_kwargs: Any) -> datetime: ...
    async def info(self, section: str | None = None, *_args: str, **_kwargs: Any) -> dict[str, Any]: ...
    async def config_get(self, pattern: _Encodable = ..., *args: _Encodable, **_kwargs: Any) -> dict[str, str]: ...
    async def config_set(self, name: _Encodable, value: _Encodable, *args: _Encodable, **_kwargs: Any) -> bool: ...
    async def config_resetstat(self, *_args: Any, **_kwargs: Any) -> bool: ...
    async def config_rewrite(self, *_args: Any, **_kwargs: Any) -> bool: ...

    # what operators look at
    async def slowlog_get(self, num: int | None = None, **_kwargs: Any) -> list[dict[str, Any]]: ...
    async def slowlog_len(self, *_args: Any, **_kwargs: Any) -> int: ...
    async def slowlog_reset(self, *_args: Any, **_kwargs: Any) -> bool: ...
    def monitor(self) -> AsyncMonitor: ...

    # generic
    async def execute_command(self, *args: _Encodable, **options: Any) -> Any: ...
