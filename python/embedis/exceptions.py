"""Exceptions raised by embedis, named and arranged as in ``redis.exceptions``.

When redis-py is installed, each class also derives from its redis-py namesake, so code
written for redis-py (``except redis.exceptions.ResponseError``) catches embedis's errors
unchanged.
"""

from __future__ import annotations

from types import ModuleType

_redis: ModuleType | None
try:  # Optional: embedis needs no redis-py at run time.
    from redis import exceptions as _redis
except ImportError:  # pragma: no cover - exercised only without redis-py
    _redis = None

__all__ = [
    "RedisError",
    "EmbedisError",
    "ConnectionError",
    "TimeoutError",
    "AuthenticationError",
    "ResponseError",
    "DataError",
    "PubSubError",
    "WatchError",
    "InvalidResponse",
    "ExecAbortError",
    "ReadOnlyError",
    "NoPermissionError",
    "BusyLoadingError",
    "OutOfMemoryError",
    "PersistenceError",
    "ForkedBrokerError",
]


def _also(name: str) -> tuple[type, ...]:
    """redis-py's class of the same name, when redis-py is installed."""
    return (getattr(_redis, name),) if _redis is not None else ()


_RedisBase: type = _redis.RedisError if _redis is not None else Exception


class RedisError(_RedisBase):  # type: ignore[valid-type,misc]
    """Base class of every embedis error (``redis.exceptions.RedisError``)."""


EmbedisError = RedisError


class ConnectionError(RedisError, *_also("ConnectionError")):  # type: ignore[misc]
    """The broker could not be reached (server mode only)."""


class TimeoutError(RedisError, *_also("TimeoutError")):  # type: ignore[misc]
    """An operation ran out of time (socket timeouts in server mode)."""


class AuthenticationError(ConnectionError, *_also("AuthenticationError")):  # type: ignore[misc]
    """Authentication failed (server mode only)."""


class BusyLoadingError(ConnectionError, *_also("BusyLoadingError")):  # type: ignore[misc]
    """The broker is still loading its data set."""


class InvalidResponse(RedisError, *_also("InvalidResponse")):  # type: ignore[misc]
    """A reply could not be parsed."""


class ResponseError(RedisError, *_also("ResponseError")):  # type: ignore[misc]
    """The broker refused a command; the message is Redis's own text.

    As in redis-py, a leading ``ERR`` is stripped (``'no such key'``) while other
    prefixes stay (``'WRONGTYPE Operation against a key holding the wrong kind of value'``).
    """


class ExecAbortError(ResponseError, *_also("ExecAbortError")):  # type: ignore[misc]
    """A transaction was discarded because of an earlier error."""


class ReadOnlyError(ResponseError, *_also("ReadOnlyError")):  # type: ignore[misc]
    """A write was sent to a read-only broker."""


class NoPermissionError(ResponseError, *_also("NoPermissionError")):  # type: ignore[misc]
    """The user lacks the permission for a command."""


class OutOfMemoryError(ResponseError, *_also("OutOfMemoryError")):  # type: ignore[misc]
    """A write was refused for lack of memory."""


class DataError(RedisError, *_also("DataError")):  # type: ignore[misc]
    """An argument of a type Redis cannot take (None, bool, dict, …), refused before any
    command runs, with redis-py's words."""


class PubSubError(RedisError, *_also("PubSubError")):  # type: ignore[misc]
    """A misuse of a PubSub object, or a subscription closed by the broker."""


class WatchError(RedisError, *_also("WatchError")):  # type: ignore[misc]
    """A watched key changed before EXEC."""


class PersistenceError(RedisError):
    """The snapshot or the append-only file cannot be used: the directory is locked by
    another broker, a file is damaged (the message names the file and the byte offset), or
    an I/O error. No redis-py counterpart: a Redis server reports these in its log and
    refuses to start."""


class ForkedBrokerError(ConnectionError):
    """A broker handle was used in a process forked from the one that opened it.

    A forked child (``os.fork``, ``multiprocessing`` with the ``fork`` start method,
    Celery's prefork pool, gunicorn ``--preload``) inherits a frozen copy of the broker:
    what it wrote would exist only in that copy while going to the parent's files, and the
    parent's background threads are not there. So every method of an inherited ``Broker``,
    ``embedis.asyncio.Broker``, ``PubSub`` or ``Server`` raises this instead, and dropping
    one in the child touches nothing of the parent's.

    What to do: serve the broker from the parent (``broker.serve(unixsocket=path,
    port=None)``) and connect the children with ``redis.Redis(unix_socket_path=path)``; or
    open a new ``embedis.Broker()`` in the child (on another ``dir=`` if it persists).

    A ``ConnectionError`` (as redis-py's for a connection that cannot be used), so code
    that handles a lost Redis connection handles this too; it is not transient, though:
    retrying the same handle fails the same way.
    """
