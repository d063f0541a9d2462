"""``embedis.PubSub``: redis-py's ``PubSub`` over an in-process broker.

Get one with ``Broker.pubsub()``. Messages, subscribe confirmations and their counts are
redis-py's dicts, in the order Redis would send them::

    p = broker.pubsub()
    p.subscribe("news")                  # or p.subscribe(news=handler)
    p.get_message(timeout=1.0)           # {'type': 'subscribe', 'pattern': None, 'channel': b'news', 'data': 1}
    broker.publish("news", "hello")      # 1
    p.get_message(timeout=1.0)           # {'type': 'message', 'pattern': None, 'channel': b'news', 'data': b'hello'}

Sharded pub/sub (Redis 7.0) is a second namespace of channels: ``p.ssubscribe("orders")``
hears only ``broker.spublish("orders", ...)`` (as ``smessage`` dicts), never ``publish``;
``ssubscribe``/``sunsubscribe`` confirmations count shard channels alone.

Differences from redis-py, all on purpose:

- A waiting ``get_message(timeout=...)``/``listen()`` holds no connection and no CPU; it
  releases the GIL and answers Ctrl-C.
- A subscriber whose unread backlog passes the broker's limits (Redis's
  ``client-output-buffer-limit pubsub``: 32 MiB at once, or 8 MiB for 60 s; see
  ``Broker.set_pubsub_limits``) is unsubscribed from everything by the broker, and its next
  read raises ``PubSubError`` saying why (redis-py would see the server drop the
  connection). The PubSub is then reset and may subscribe again.
- ``subscribe()``/``psubscribe()`` with nothing to subscribe raise ``ResponseError`` at once
  (redis-py raises it at the next read).
- ``run_in_thread(sleep_time=0)`` does not spin: the worker waits for messages and
  ``stop()`` wakes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._embedis import PubSub as _NativePubSub
from .exceptions import PubSubError

if TYPE_CHECKING:
    from ._embedis import Broker

__all__ = ["PubSub", "PubSubWorkerThread", "Subscription"]

PubSubHandler = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Subscription:
    """A channel or pattern with an optional handler (``redis.typing.Subscription``)."""

    name: Any
    handler: PubSubHandler | None = None


def _subscription_types() -> tuple[type, ...]:
    try:
        from redis.typing import Subscription as _RedisSubscription
    except ImportError:  # pragma: no cover - redis-py is optional
        return (Subscription,)
    return (Subscription, _RedisSubscription)


_SUBSCRIPTION_TYPES = _subscription_types()


def list_or_args(keys: Any, args: Iterable[Any] | None) -> list[Any]:
    """One list of names from ``keys`` (a name or an iterable of names) and ``args``."""
    if isinstance(keys, (bytes, str, bytearray, memoryview)):
        out = [keys]
    else:
        try:
            out = list(keys)
        except TypeError:
            out = [keys]
    if args:
        out.extend(args)
    return out


def parse_subscriptions(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[Any, Any]:
    """redis-py's ``parse_pubsub_subscriptions``: name → handler (or None)."""
    parsed = list_or_args(args[0], args[1:]) if args else []
    subs: dict[Any, Any] = {}
    for arg in parsed:
        if isinstance(arg, _SUBSCRIPTION_TYPES):
            sub: Any = arg
            subs[sub.name] = sub.handler
        else:
            subs[arg] = None
    subs.update(kwargs)
    return subs


def check_handlers(
    channels: Mapping[Any, Any], patterns: Mapping[Any, Any], shard_channels: Mapping[Any, Any]
) -> None:
    """redis-py's refusal to run a worker for a subscription without a handler."""
    for channel, handler in channels.items():
        if handler is None:
            raise PubSubError(f"Channel: '{channel}' has no handler registered")
    for pattern, handler in patterns.items():
        if handler is None:
            raise PubSubError(f"Pattern: '{pattern}' has no handler registered")
    for s_channel, handler in shard_channels.items():
        if handler is None:
            raise PubSubError(f"Shard Channel: '{s_channel}' has no handler registered")


class PubSub(_NativePubSub):
    """Publish/subscribe on a broker; mirrors ``redis.client.PubSub``.

    ``channels``, ``patterns`` and ``shard_channels`` map each subscribed name to its
    handler (or None); ``subscribed`` says whether anything is subscribed. Iterating over a
    PubSub is ``listen()``. Use as a context manager to ``close()`` it at the end.
    """

    PUBLISH_MESSAGE_TYPES = ("message", "pmessage", "smessage")
    UNSUBSCRIBE_MESSAGE_TYPES = ("unsubscribe", "punsubscribe", "sunsubscribe")

    def __init__(self, broker: Broker, ignore_subscribe_messages: bool = False) -> None:
        self.broker = broker

    def _normalize_keys(self, data: Mapping[Any, Any]) -> dict[Any, Any]:
        return {self._normalize(k): v for k, v in data.items()}

    def subscribe(self, *args: Any, **kwargs: PubSubHandler) -> None:
        """Subscribe to channels. Keyword arguments map a channel name to a handler, which
        is called with each message of that channel instead of ``get_message``/``listen``
        returning it; ``Subscription(name, handler)`` objects may be given positionally."""
        new = parse_subscriptions(args, kwargs)
        normalized = self._normalize_keys(new)
        # Handlers are in place before the first message can arrive.
        self.channels.update(normalized)
        self.pending_unsubscribe_channels.difference_update(normalized)
        self._execute("subscribe", *new.keys())

    def psubscribe(self, *args: Any, **kwargs: PubSubHandler) -> None:
        """Subscribe to glob patterns (``*``, ``?``, ``[abc]``, ``[^a]``, ``[a-z]``, ``\\``
        escapes), with optional handlers as ``subscribe``."""
        new = parse_subscriptions(args, kwargs)
        normalized = self._normalize_keys(new)
        self.patterns.update(normalized)
        self.pending_unsubscribe_patterns.difference_update(normalized)
        self._execute("psubscribe", *new.keys())

    def unsubscribe(self, *args: Any) -> None:
        """Unsubscribe from the channels given, or from every channel if none is given."""
        if args:
            names = list_or_args(args[0], args[1:])
            self.pending_unsubscribe_channels.update(self._normalize_keys(dict.fromkeys(names)))
        else:
            names = []
            self.pending_unsubscribe_channels.update(self.channels)
        self._execute("unsubscribe", *names)

    def punsubscribe(self, *args: Any) -> None:
        """Unsubscribe from the patterns given, or from every pattern if none is given."""
        if args:
            names = list_or_args(args[0], args[1:])
            self.pending_unsubscribe_patterns.update(self._normalize_keys(dict.fromkeys(names)))
        else:
            names = []
            self.pending_unsubscribe_patterns.update(self.patterns)
        self._execute("punsubscribe", *names)

    def ssubscribe(self, *args: Any, target_node: Any = None, **kwargs: PubSubHandler) -> None:
        """Subscribe to shard channels (SSUBSCRIBE), with optional handlers as
        ``subscribe``. Only ``spublish`` reaches them; their messages are ``smessage``
        dicts. ``target_node`` (a cluster node in redis-py) is accepted and ignored: a
        broker is one node."""
        new = parse_subscriptions(args, kwargs)
        normalized = self._normalize_keys(new)
        self.shard_channels.update(normalized)
        self.pending_unsubscribe_shard_channels.difference_update(normalized)
        self._execute("ssubscribe", *new.keys())

    def sunsubscribe(self, *args: Any, target_node: Any = None) -> None:
        """Unsubscribe from the shard channels given, or from every shard channel if none
        is given."""
        if args:
            names = list_or_args(args[0], args[1:])
            self.pending_unsubscribe_shard_channels.update(self._normalize_keys(dict.fromkeys(names)))
        else:
            names = []
            self.pending_unsubscribe_shard_channels.update(self.shard_channels)
        self._execute("sunsubscribe", *names)

    def get_sharded_message(
        self, ignore_subscribe_messages: bool = False, timeout: float | None = 0.0
    ) -> dict[str, Any] | None:
        """``get_message``, under the name redis-py gives it for shard channels (one
        stream holds every kind of message, as on one Redis connection)."""
        return self.get_message(ignore_subscribe_messages=ignore_subscribe_messages, timeout=timeout)

    def listen(self) -> Iterator[dict[str, Any]]:
        """Yield messages as they come, for as long as something is subscribed."""
        get = self.get_message
        while self.subscribed:
            message = get(timeout=None)
            if message is not None:
                yield message

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.listen()

    def run_in_thread(
        self,
        sleep_time: float = 0.0,
        daemon: bool = False,
        exception_handler: Callable[[BaseException, PubSub, PubSubWorkerThread], None] | None = None,
        pubsub: PubSub | None = None,
        sharded_pubsub: bool = False,
    ) -> PubSubWorkerThread:
        """Start a thread that calls the handlers of every message; every channel, pattern
        and shard channel must have one (``PubSubError`` otherwise). ``thread.stop()`` ends
        it and closes the PubSub. ``exception_handler(exc, pubsub, thread)`` is called with
        what a read or a handler raised (without one, the exception ends the thread).
        ``sharded_pubsub`` makes the thread read with ``get_sharded_message``, as redis-py
        (the same stream here)."""
        check_handlers(self.channels, self.patterns, self.shard_channels)
        thread = PubSubWorkerThread(
            self if pubsub is None else pubsub,
            sleep_time,
            daemon=daemon,
            exception_handler=exception_handler,
            sharded_pubsub=sharded_pubsub,
        )
        thread.start()
        return thread

    def reset(self) -> None:
        """Unsubscribe from everything and drop unread messages (redis-py drops its
        connection); a read waiting in another thread returns None."""
        self._reset()

    def close(self) -> None:
        """Same as ``reset``."""
        self._reset()

    def __enter__(self) -> PubSub:
        self._check_fork()
        return self

    def __exit__(self, *exc: object) -> None:
        self._reset()


class PubSubWorkerThread(threading.Thread):
    """The thread of ``PubSub.run_in_thread``; ``stop()`` ends it (redis-py's class)."""

    def __init__(
        self,
        pubsub: PubSub,
        sleep_time: float,
        daemon: bool = False,
        exception_handler: Callable[[BaseException, PubSub, PubSubWorkerThread], None] | None = None,
        sharded_pubsub: bool = False,
    ) -> None:
        super().__init__()
        self.daemon = daemon
        self.pubsub = pubsub
        self.sleep_time = sleep_time
        self.exception_handler = exception_handler
        self.sharded_pubsub = sharded_pubsub
        self._running = threading.Event()

    def run(self) -> None:
        if self._running.is_set():
            return
        self._running.set()
        pubsub = self.pubsub
        # A positive sleep_time bounds each wait as in redis-py; 0 waits for a message
        # (no spinning), and stop() wakes the wait.
        timeout = self.sleep_time if self.sleep_time > 0 else None
        read = pubsub.get_sharded_message if self.sharded_pubsub else pubsub.get_message
        while self._running.is_set():
            try:
                read(ignore_subscribe_messages=True, timeout=timeout)
            except BaseException as e:
                if self.exception_handler is None:
                    raise
                self.exception_handler(e, pubsub, self)
        pubsub.close()

    def stop(self) -> None:
        """Ask the thread to end: it stops after the message in hand, then closes the
        PubSub."""
        self._running.clear()
        self.pubsub._interrupt()
