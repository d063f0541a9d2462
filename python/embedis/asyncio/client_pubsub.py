"""``embedis.asyncio.PubSub``: redis.asyncio's ``PubSub`` over an in-process broker.

Get one with ``embedis.asyncio.Broker.pubsub()``. The same dicts as the sync PubSub;
``subscribe``/``psubscribe`` are coroutines, ``unsubscribe``/``punsubscribe`` return
awaitables, ``get_message(timeout=...)`` is awaited and holds no thread while it waits,
``async for message in p.listen()`` works, and handlers may be coroutine functions.
Cancelling a waiting ``get_message`` (``task.cancel()``, ``asyncio.timeout``, its own
``timeout``) loses no message: nothing leaves the subscriber's mailbox until the await that
returns it. ``ssubscribe``/``sunsubscribe``/``get_sharded_message`` are sharded pub/sub
(reached by ``spublish`` only), as in redis.asyncio.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .._embedis import PubSub as _NativePubSub
from ..client_pubsub import check_handlers, list_or_args, parse_subscriptions

if TYPE_CHECKING:
    from .. import Broker as _SyncBroker

__all__ = ["PubSub"]

if sys.version_info >= (3, 11):
    _timeout = asyncio.timeout
else:  # pragma: no cover - 3.10 only
    _timeout = None


class _Done:
    """An already-finished awaitable (what ``unsubscribe`` returns: the work is done)."""

    def __await__(self) -> Any:
        return None
        yield  # pragma: no cover - makes this a generator


class PubSub:
    """Publish/subscribe on a broker for asyncio tasks; mirrors
    ``redis.asyncio.client.PubSub``."""

    PUBLISH_MESSAGE_TYPES = ("message", "pmessage", "smessage")
    UNSUBSCRIBE_MESSAGE_TYPES = ("unsubscribe", "punsubscribe", "sunsubscribe")

    def __init__(self, broker: _SyncBroker, ignore_subscribe_messages: bool = False) -> None:
        self._core = _NativePubSub(broker, ignore_subscribe_messages)
        self.broker = broker
        # redis.asyncio raises when reading before the first subscribe (no connection yet).
        self._connected = False

    @property
    def channels(self) -> dict[Any, Any]:
        """Channel → handler (or None)."""
        return self._core.channels

    @property
    def patterns(self) -> dict[Any, Any]:
        """Pattern → handler (or None)."""
        return self._core.patterns

    @property
    def shard_channels(self) -> dict[Any, Any]:
        """Shard channel → handler (or None)."""
        return self._core.shard_channels

    @property
    def pending_unsubscribe_shard_channels(self) -> set[Any]:
        return self._core.pending_unsubscribe_shard_channels

    @property
    def pending_unsubscribe_channels(self) -> set[Any]:
        return self._core.pending_unsubscribe_channels

    @property
    def pending_unsubscribe_patterns(self) -> set[Any]:
        return self._core.pending_unsubscribe_patterns

    @property
    def ignore_subscribe_messages(self) -> bool:
        return self._core.ignore_subscribe_messages

    @ignore_subscribe_messages.setter
    def ignore_subscribe_messages(self, value: bool) -> None:
        self._core.ignore_subscribe_messages = value

    @property
    def subscribed(self) -> bool:
        """Whether any channel, pattern or shard channel is subscribed (redis.asyncio's
        definition)."""
        return bool(self._core.channels or self._core.patterns or self._core.shard_channels)

    def _normalize_keys(self, data: dict[Any, Any]) -> dict[Any, Any]:
        normalize = self._core._normalize
        return {normalize(k): v for k, v in data.items()}

    async def subscribe(self, *args: Any, **kwargs: Callable[[dict[str, Any]], Any]) -> None:
        """Subscribe to channels, with optional handlers (plain or coroutine functions)."""
        new = parse_subscriptions(args, kwargs)
        normalized = self._normalize_keys(new)
        self._core.channels.update(normalized)
        self._core.pending_unsubscribe_channels.difference_update(normalized)
        self._core._execute("subscribe", *new.keys())
        self._connected = True

    async def psubscribe(self, *args: Any, **kwargs: Callable[[dict[str, Any]], Any]) -> None:
        """Subscribe to glob patterns, with optional handlers."""
        new = parse_subscriptions(args, kwargs)
        normalized = self._normalize_keys(new)
        self._core.patterns.update(normalized)
        self._core.pending_unsubscribe_patterns.difference_update(normalized)
        self._core._execute("psubscribe", *new.keys())
        self._connected = True

    async def ssubscribe(
        self, *args: Any, target_node: Any = None, **kwargs: Callable[[dict[str, Any]], Any]
    ) -> None:
        """Subscribe to shard channels (reached by ``spublish`` only), with optional
        handlers; ``target_node`` is accepted and ignored (one node)."""
        new = parse_subscriptions(args, kwargs)
        normalized = self._normalize_keys(new)
        self._core.shard_channels.update(normalized)
        self._core.pending_unsubscribe_shard_channels.difference_update(normalized)
        self._core._execute("ssubscribe", *new.keys())
        self._connected = True

    def sunsubscribe(self, *args: Any, target_node: Any = None) -> Awaitable[None]:
        """Unsubscribe from the shard channels given (none: all)."""
        if args:
            names = list_or_args(args[0], args[1:])
            self._core.pending_unsubscribe_shard_channels.update(self._normalize_keys(dict.fromkeys(names)))
        else:
            names = []
            self._core.pending_unsubscribe_shard_channels.update(self._core.shard_channels)
        self._core._execute("sunsubscribe", *names)
        return _Done()

    def unsubscribe(self, *args: Any) -> Awaitable[None]:
        """Unsubscribe from the channels given (none: all). Done at once; returns an
        awaitable, as redis.asyncio's."""
        if args:
            names = list_or_args(args[0], args[1:])
            self._core.pending_unsubscribe_channels.update(self._normalize_keys(dict.fromkeys(names)))
        else:
            names = []
            self._core.pending_unsubscribe_channels.update(self._core.channels)
        self._core._execute("unsubscribe", *names)
        return _Done()

    def punsubscribe(self, *args: Any) -> Awaitable[None]:
        """Unsubscribe from the patterns given (none: all)."""
        if args:
            names = list_or_args(args[0], args[1:])
            self._core.pending_unsubscribe_patterns.update(self._normalize_keys(dict.fromkeys(names)))
        else:
            names = []
            self._core.pending_unsubscribe_patterns.update(self._core.patterns)
        self._core._execute("punsubscribe", *names)
        return _Done()

    def ping(self, message: Any = None) -> Awaitable[None]:
        """A ``pong`` message joins the stream (read it with ``get_message``)."""
        self._core.ping(message)
        return _Done()

    def _check_connected(self) -> None:
        if not self._connected:
            self._core._check_fork()  # in a forked child, say that rather than this
            raise RuntimeError(
                "pubsub connection not set: did you forget to call subscribe() or psubscribe()?"
            )

    async def _deliver(self, handled: tuple[Any, Any]) -> dict[str, Any] | None:
        message, handler = handled
        if handler is None:
            return message  # type: ignore[no-any-return]
        if inspect.iscoroutinefunction(handler):
            await handler(message)
        else:
            handler(message)
        return None

    async def get_message(
        self, ignore_subscribe_messages: bool = False, timeout: float | None = 0.0
    ) -> dict[str, Any] | None:
        """The next message, or None if none comes within ``timeout`` seconds (None: wait
        until one comes). Served at once, without suspending, when one is waiting."""
        self._check_connected()
        core = self._core
        handled = core._try_next(ignore_subscribe_messages)
        if handled is None:
            if timeout is not None and not timeout > 0:
                return None
            try:
                if timeout is None:
                    handled = await core._next(ignore_subscribe_messages)
                elif _timeout is not None:
                    async with _timeout(timeout):
                        handled = await core._next(ignore_subscribe_messages)
                else:  # pragma: no cover - 3.10
                    handled = await asyncio.wait_for(core._next(ignore_subscribe_messages), timeout)
            except TimeoutError:
                return None
        return await self._deliver(handled)

    async def get_sharded_message(
        self, ignore_subscribe_messages: bool = False, timeout: float | None = 0.0
    ) -> dict[str, Any] | None:
        """``get_message`` under redis.asyncio's name for shard channels (one stream)."""
        return await self.get_message(ignore_subscribe_messages=ignore_subscribe_messages, timeout=timeout)

    async def listen(self) -> AsyncIterator[dict[str, Any]]:
        """Yield messages as they come, for as long as something is subscribed."""
        self._check_connected()
        core = self._core
        while self.subscribed:
            handled = core._try_next(False)
            if handled is None:
                handled = await core._next(False)
            message = await self._deliver(handled)
            if message is not None:
                yield message

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self.listen()

    async def run(
        self,
        *,
        exception_handler: Callable[[BaseException, PubSub], Any] | None = None,
        poll_timeout: float = 1.0,
        pubsub: PubSub | None = None,
    ) -> None:
        """Call the handlers of every message until cancelled (``asyncio.create_task(p.run())``,
        then ``task.cancel()``); every channel, pattern and shard channel needs a handler."""
        check_handlers(self.channels, self.patterns, self.shard_channels)
        source = self if pubsub is None else pubsub
        while True:
            try:
                await source.get_message(ignore_subscribe_messages=True, timeout=poll_timeout)
            except asyncio.CancelledError:
                raise
            except BaseException as e:
                if exception_handler is None:
                    raise
                res = exception_handler(e, self)
                if inspect.isawaitable(res):
                    await res
            await asyncio.sleep(0)

    async def aclose(self) -> None:
        """Unsubscribe from everything and drop unread messages; a waiting
        ``get_message`` in another task returns None."""
        self._core._reset()
        self._connected = False

    async def close(self) -> None:
        """Deprecated alias of ``aclose`` in redis-py; kept for compatibility."""
        await self.aclose()

    async def reset(self) -> None:
        """Deprecated alias of ``aclose`` in redis-py; kept for compatibility."""
        await self.aclose()

    async def __aenter__(self) -> PubSub:
        self._core._check_fork()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
