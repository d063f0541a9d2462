"""Sharded pub/sub (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH, PUBSUB SHARDCHANNELS/SHARDNUMSUB)
and CLIENT REPLY OFF/SKIP with pub/sub, compared with a real redis-server 7.0.

The server tests replay one script of raw RESP requests on several connections against
both servers and compare every byte each connection receives (RESP2 and RESP3, MULTI,
CLIENT REPLY). The in-process tests compare embedis's PubSub objects (sync and asyncio)
with redis-py's PubSub on the real server, message dict by message dict.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

import embedis
import embedis.asyncio

# How long a connection must stay silent for its output to count as complete. Only the
# real server's side relies on it; embedis's side then waits for as many bytes as Redis
# sent (up to a deadline), and checks that no more follow.
QUIET = 0.25


def _encode(*words: str | bytes) -> bytes:
    out = b"*%d\r\n" % len(words)
    for w in words:
        b = w.encode() if isinstance(w, str) else w
        out += b"$%d\r\n%s\r\n" % (len(b), b)
    return out


class _Conns:
    """Raw connections to one server, by name, opened on first use."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.socks: dict[str, socket.socket] = {}

    def get(self, name: str) -> socket.socket:
        if name not in self.socks:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            self.socks[name] = s
        return self.socks[name]

    def read_quiet(self, name: str) -> bytes:
        """Everything that arrives until the connection stays silent for QUIET."""
        s = self.get(name)
        s.settimeout(QUIET)
        buf = b""
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    return buf + b"<closed>"
                buf += d
        except TimeoutError:
            return buf

    def read_exactly(self, name: str, n: int) -> bytes:
        """Up to `n` bytes (5 s at most), then whatever else comes at once."""
        s = self.get(name)
        buf = b""
        deadline = time.monotonic() + 5
        while len(buf) < n and time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                d = s.recv(65536)
            except TimeoutError:
                break
            if not d:
                return buf + b"<closed>"
            buf += d
        s.settimeout(0.05)
        try:
            d = s.recv(65536)
            buf += d if d else b"<closed>"
        except TimeoutError:
            pass
        return buf

    def close(self) -> None:
        for s in self.socks.values():
            s.close()


def _normalize(data: bytes) -> bytes:
    # HELLO's client id differs between the two servers.
    return re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"$2\r\nid\r\n:ID\r\n", data)


Step = tuple[str, tuple[str, ...]]


def _replay(real_port: int, embedis_port: int, script: list[Step]) -> list[tuple[str, tuple[str, ...], bytes]]:
    """Runs `script` (connection name, request words; no words: just read) on both servers;
    asserts each step's output is the same and returns Redis's transcript."""
    real, ours = _Conns(real_port), _Conns(embedis_port)
    transcript = []
    try:
        for i, (name, words) in enumerate(script):
            if words:
                real.get(name).sendall(_encode(*words))
                ours.get(name).sendall(_encode(*words))
            want = _normalize(real.read_quiet(name))
            got = _normalize(ours.read_exactly(name, len(want)))
            assert got == want, f"step {i} {name} {words}: embedis sent {got!r}, redis sent {want!r}"
            transcript.append((name, words, want))
    finally:
        real.close()
        ours.close()
    return transcript


@pytest.fixture
def servers(real: Any) -> Iterator[tuple[int, int]]:
    """(real redis port, embedis server port), both empty."""
    real_port = real.connection_pool.connection_kwargs["port"]
    b = embedis.Broker()
    with b.serve(port=0) as server:
        yield real_port, server.port


# ---- the server, byte for byte -------------------------------------------------------


def test_resp2_shard_subscriptions_counts_and_namespaces(servers: tuple[int, int]) -> None:
    t = _replay(*servers, [
        ("a", ("SSUBSCRIBE", "x", "y", "x")),
        ("a", ("SUBSCRIBE", "c")),
        ("a", ("PSUBSCRIBE", "*")),
        ("b", ("SPUBLISH", "x", "hi")),
        ("b", ("PUBLISH", "x", "plain")),
        ("b", ("SPUBLISH", "nobody", "z")),
        ("a", ()),
        # (Unordered, as Redis's dict: one match per listing.)
        ("b", ("PUBSUB", "SHARDCHANNELS", "*y")),
        ("b", ("PUBSUB", "SHARDCHANNELS", "x*")),
        ("b", ("PUBSUB", "SHARDNUMSUB", "x", "z", "x")),
        ("b", ("PUBSUB", "SHARDNUMSUB")),
        ("b", ("PUBSUB", "CHANNELS")),
        ("b", ("PUBSUB", "NUMSUB", "x")),
        ("a", ("PING",)),
        ("a", ("PING", "arg")),
        ("a", ("GET", "k")),
        ("a", ("SPUBLISH", "x", "self")),
        ("a", ("SUNSUBSCRIBE", "x", "nope")),
        ("a", ("SUNSUBSCRIBE",)),
        ("a", ("SUNSUBSCRIBE",)),
        ("a", ("UNSUBSCRIBE",)),
        ("a", ("PUNSUBSCRIBE",)),
        ("a", ("PING",)),
        ("a", ("GET", "k")),
    ])
    # The script did reach the shard namespace (not an empty comparison).
    assert b"smessage" in t[6][2] and b"ssubscribe" in t[0][2]


def test_resp2_only_shard_subscriptions_enter_subscribed_mode(servers: tuple[int, int]) -> None:
    _replay(*servers, [
        ("a", ("SSUBSCRIBE", "x")),
        ("a", ("GET", "k")),
        ("a", ("CONFIG", "GET", "maxmemory")),
        ("a", ("CLIENT", "REPLY", "OFF")),
        ("a", ("PUBSUB", "NUMSUB")),
        ("a", ("PING",)),
        ("a", ("SUNSUBSCRIBE", "x")),
        ("a", ("GET", "k")),
        ("c", ("SSUBSCRIBE", "x")),
        ("c", ("RESET",)),
        ("c", ("GET", "k")),
        ("b", ("SPUBLISH", "x", "nobody left")),
    ])


def test_resp3_smessage_is_a_push(servers: tuple[int, int]) -> None:
    _replay(*servers, [
        ("c", ("HELLO", "3")),
        ("c", ("SSUBSCRIBE", "x", "y")),
        ("c", ("GET", "k")),
        ("c", ("PING",)),
        ("d", ("SPUBLISH", "x", "m")),
        ("c", ()),
        # (Leaving all goes in Redis's dict order: one left here.)
        ("c", ("SUNSUBSCRIBE", "x")),
        ("c", ("SUNSUBSCRIBE",)),
        ("c", ("SUNSUBSCRIBE",)),
    ])


def test_shard_commands_errors_and_transactions(servers: tuple[int, int]) -> None:
    _replay(*servers, [
        ("b", ("SPUBLISH", "x")),
        ("b", ("SPUBLISH", "x", "y", "z")),
        ("b", ("SSUBSCRIBE",)),
        ("b", ("PUBSUB", "SHARDCHANNELS", "a", "b")),
        ("b", ("PUBSUB", "HELP")),
        # Redis 7.0 refuses SSUBSCRIBE inside a transaction (SUBSCRIBE is allowed).
        ("e", ("MULTI",)),
        ("e", ("SSUBSCRIBE", "q")),
        ("e", ("SUNSUBSCRIBE", "q")),
        ("e", ("SPUBLISH", "q", "m")),
        ("e", ("EXEC",)),
        ("e", ("PING",)),
        ("f", ("MULTI",)),
        ("f", ("SUBSCRIBE", "q")),
        ("f", ("EXEC",)),
        ("f", ("SSUBSCRIBE", "z")),
        ("f", ("PING",)),
    ])


def test_client_reply_off_still_gets_confirmations_and_messages(servers: tuple[int, int]) -> None:
    t = _replay(*servers, [
        ("a", ("CLIENT", "REPLY", "OFF")),
        ("a", ("SUBSCRIBE", "c")),
        ("a", ("SSUBSCRIBE", "s")),
        ("a", ("PSUBSCRIBE", "p*")),
        ("b", ("PUBLISH", "c", "m1")),
        ("b", ("SPUBLISH", "s", "m2")),
        ("b", ("PUBLISH", "pz", "m3")),
        ("a", ()),
        # The pong and errors are replies, not pushes: silenced.
        ("a", ("PING",)),
        ("a", ("PING", "x")),
        ("a", ("GET", "k")),
        ("a", ("UNSUBSCRIBE",)),
        ("a", ("SUNSUBSCRIBE",)),
        ("a", ("PUNSUBSCRIBE",)),
        ("a", ("PING",)),
        ("a", ("CLIENT", "REPLY", "ON")),
        ("a", ("PING",)),
    ])
    assert b"smessage" in t[7][2] and t[8][2] == b""


def test_client_reply_off_resp3_and_inside_exec(servers: tuple[int, int]) -> None:
    _replay(*servers, [
        ("c", ("HELLO", "3")),
        ("c", ("CLIENT", "REPLY", "OFF")),
        ("c", ("SUBSCRIBE", "c")),
        ("c", ("SSUBSCRIBE", "s")),
        ("b", ("PUBLISH", "c", "m1")),
        ("b", ("SPUBLISH", "s", "m2")),
        ("c", ()),
        ("c", ("PING",)),
        ("c", ("GET", "k")),
        ("c", ("UNSUBSCRIBE",)),
        # EXEC's array is silenced, the confirmations inside it are not.
        ("a", ("CLIENT", "REPLY", "OFF")),
        ("a", ("MULTI",)),
        ("a", ("SUBSCRIBE", "q")),
        ("a", ("SET", "k", "v")),
        ("a", ("EXEC",)),
        ("a", ("PING",)),
        ("b", ("PUBLISH", "q", "m")),
        ("a", ()),
    ])


def test_client_reply_skip_with_subscriptions(servers: tuple[int, int]) -> None:
    _replay(*servers, [
        ("d", ("CLIENT", "REPLY", "SKIP")),
        ("d", ("SUBSCRIBE", "c")),
        ("d", ("PING",)),
        ("d", ("PING", "y")),
        ("e", ("CLIENT", "REPLY", "SKIP")),
        ("e", ("SSUBSCRIBE", "c")),
        ("e", ("PING",)),
        ("b", ("SPUBLISH", "c", "zz")),
        ("e", ("PING", "y")),
    ])


def test_client_list_and_info_show_shard_subscriptions(real: Any, servers: tuple[int, int]) -> None:
    real_port, our_port = servers
    seen = {}
    for port in (real_port, our_port):
        sub = redis.Redis(port=port, protocol=2)
        p = sub.pubsub()
        p.ssubscribe("a", "b")
        p.psubscribe("p*")
        assert p.get_message(timeout=2)["type"] == "ssubscribe"
        other = redis.Redis(port=port)
        # The subscriber is the one with subscriptions.
        row = next(c for c in other.client_list() if c["cmd"] == "psubscribe")
        info = other.info("stats")
        killed = other.client_kill_filter(_type="pubsub")
        seen[port] = (
            row["flags"], row["sub"], row["psub"], row["ssub"],
            info["pubsub_channels"], info["pubsub_patterns"], info["pubsubshard_channels"], killed,
        )
        p.close()
        sub.close()
        other.close()
    assert seen[our_port] == seen[real_port] == ("P", "0", "1", "2", 0, 1, 2, 1)


def test_command_info_rows(real: Any, servers: tuple[int, int]) -> None:
    ours = redis.Redis(port=servers[1], protocol=2)
    for name in ("spublish", "ssubscribe", "sunsubscribe"):
        want = real.execute_command("COMMAND INFO", name)[0]
        got = ours.execute_command("COMMAND INFO", name)[0]
        # Name, arity, key positions and group as Redis 7.0's (embedis shows fewer flags).
        assert got[0] == want[0] == name.encode()
        assert (got[1], got[3], got[4], got[5]) == (want[1], want[3], want[4], want[5])
        assert got[6][0] == want[6][0] == b"@pubsub"
        assert b"pubsub" in got[2] or name == "spublish"
    assert ours.execute_command("COMMAND DOCS", "spublish")[1][1] == b"Post a message to a shard channel"


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_sharded_pubsub_over_the_server(real: Any, servers: tuple[int, int], protocol: int) -> None:
    def run(port: int) -> list[Any]:
        r = redis.Redis(port=port, protocol=protocol)
        p = r.pubsub()
        p.ssubscribe("s1", "s2")
        p.subscribe("s1")
        out: list[Any] = [p.get_sharded_message(timeout=2) for _ in range(3)]
        out.append(r.spublish("s1", "one"))
        out.append(r.publish("s1", "two"))
        out.append(p.get_sharded_message(timeout=2))
        out.append(p.get_sharded_message(timeout=2))
        out.append(r.pubsub_shardchannels())
        out.append(r.pubsub_shardnumsub("s1", "s3"))
        p.sunsubscribe("s1")
        out.append(p.get_sharded_message(timeout=2))
        out.append(p.shard_channels)
        p.close()
        r.close()
        return out

    want = run(servers[0])
    got = run(servers[1])
    want[7] = sorted(want[7])
    got[7] = sorted(got[7])
    assert got == want
    assert want[5]["type"] == "smessage"


# ---- in process ------------------------------------------------------------------------


def _drain(p: Any) -> list[dict[str, Any]]:
    out = []
    while (m := p.get_message(timeout=0.5)) is not None:
        out.append(m)
    return out


def test_in_process_matches_redis_py_on_a_real_server(real: Any, broker: embedis.Broker) -> None:
    def script(client: Any) -> list[Any]:
        p = client.pubsub()
        got: list[Any] = []
        p.ssubscribe("x", "y")
        p.psubscribe("*")
        got += _drain(p)
        got.append(client.spublish("x", "shard"))
        got.append(client.publish("x", "plain"))
        got += _drain(p)
        got.append(sorted(client.pubsub_shardchannels()))
        got.append(client.pubsub_shardchannels("y*"))
        got.append(client.pubsub_shardnumsub("x", "q"))
        got.append(client.pubsub_numsub("x"))
        got.append(client.execute_command("SPUBLISH", "y", "via execute_command"))
        got += _drain(p)
        p.sunsubscribe("x", "never")
        got += _drain(p)
        got.append(dict(p.shard_channels))
        p.sunsubscribe()
        p.sunsubscribe()
        p.punsubscribe()
        got += _drain(p)
        got.append(p.subscribed)
        p.close()
        return got

    assert script(broker) == script(real)


def test_handlers_and_ignore_subscribe_messages(broker: embedis.Broker) -> None:
    seen: list[dict[str, Any]] = []
    p = broker.pubsub(ignore_subscribe_messages=True)
    p.ssubscribe(orders=seen.append)
    p.ssubscribe(embedis.Subscription("audit", seen.append), "plain")
    # Each read consumes one event: the three confirmations, ignored.
    assert [p.get_sharded_message(timeout=0.1) for _ in range(3)] == [None, None, None]
    assert broker.spublish("orders", "o1") == 1
    assert broker.spublish("plain", "p1") == 1
    assert p.get_sharded_message(timeout=1) is None  # handled
    assert p.get_sharded_message(timeout=1) == {"type": "smessage", "pattern": None, "channel": b"plain", "data": b"p1"}
    assert seen == [{"type": "smessage", "pattern": None, "channel": b"orders", "data": b"o1"}]
    assert p.PUBLISH_MESSAGE_TYPES == redis.client.PubSub.PUBLISH_MESSAGE_TYPES
    assert p.UNSUBSCRIBE_MESSAGE_TYPES == redis.client.PubSub.UNSUBSCRIBE_MESSAGE_TYPES


def test_run_in_thread_with_sharded_channels(broker: embedis.Broker) -> None:
    got: list[bytes] = []
    done = threading.Event()

    def handler(m: dict[str, Any]) -> None:
        got.append(m["data"])
        if len(got) == 2:
            done.set()

    p = broker.pubsub()
    p.ssubscribe("s")
    with pytest.raises(embedis.exceptions.PubSubError, match="Shard Channel: 'b's'' has no handler registered"):
        p.run_in_thread()
    p.ssubscribe(s=handler)
    t = p.run_in_thread(sharded_pubsub=True)
    try:
        assert t.sharded_pubsub is True
        # The worker may not have read the confirmations yet; the messages queue behind them.
        assert broker.spublish("s", "1") == 1
        assert broker.spublish("s", "2") == 1
        assert done.wait(5)
    finally:
        t.stop()
        t.join(5)
    assert got == [b"1", b"2"]
    assert not t.is_alive()


def test_decode_responses_and_reset(broker: embedis.Broker) -> None:
    b = embedis.Broker(broker=broker, decode_responses=True)
    p = b.pubsub()
    p.ssubscribe("é")
    assert p.get_message(timeout=1) == {"type": "ssubscribe", "pattern": None, "channel": "é", "data": 1}
    assert b.pubsub_shardnumsub("é") == [("é", 1)]
    p.reset()
    assert p.shard_channels == {} and not p.subscribed
    assert b.spublish("é", "x") == 0
    assert b.pubsub_shardchannels() == []


def test_asyncio_sharded_pubsub(abroker: embedis.asyncio.Broker) -> None:
    async def main() -> list[Any]:
        seen: list[Any] = []
        p = abroker.pubsub()
        await p.ssubscribe("a", b=seen.append)
        out: list[Any] = [await p.get_sharded_message(timeout=1), await p.get_sharded_message(timeout=1)]
        waiter = asyncio.ensure_future(p.get_sharded_message(timeout=5))
        await asyncio.sleep(0)
        out.append(await abroker.spublish("a", "hello"))
        out.append(await waiter)
        out.append(await abroker.spublish("b", "handled"))
        out.append(await p.get_sharded_message(timeout=1))
        out.append(await abroker.pubsub_shardchannels("a"))
        out.append(await abroker.pubsub_shardnumsub("a", "b"))
        out.append(p.subscribed)
        await p.sunsubscribe()
        out.append([await p.get_message(timeout=1), await p.get_message(timeout=1)])
        out.append(p.subscribed)
        out.append(seen)
        await p.aclose()
        return out

    out = asyncio.run(main())
    assert out == [
        {"type": "ssubscribe", "pattern": None, "channel": b"a", "data": 1},
        {"type": "ssubscribe", "pattern": None, "channel": b"b", "data": 2},
        1,
        {"type": "smessage", "pattern": None, "channel": b"a", "data": b"hello"},
        1,
        None,
        [b"a"],
        [(b"a", 1), (b"b", 1)],
        True,
        [
            {"type": "sunsubscribe", "pattern": None, "channel": b"a", "data": 1},
            {"type": "sunsubscribe", "pattern": None, "channel": b"b", "data": 0},
        ],
        False,
        [{"type": "smessage", "pattern": None, "channel": b"b", "data": b"handled"}],
    ]


def test_asyncio_run_checks_shard_handlers(abroker: embedis.asyncio.Broker) -> None:
    async def main() -> None:
        p = abroker.pubsub()
        await p.ssubscribe("nohandler")
        with pytest.raises(embedis.exceptions.PubSubError, match="Shard Channel"):
            await p.run()
        await p.aclose()

    asyncio.run(main())
