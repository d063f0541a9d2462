"""Keyspace notifications (``notify-keyspace-events``) compared with a real Redis 7.0.

Each script of ``SCRIPTS`` runs on the real server, on an embedis broker in process
(``b.pubsub()``) and on an embedis broker served over RESP (``b.serve(port=0)``), each
with a subscriber on ``__key*__:*``. After the script, a PUBLISH on a sentinel channel
marks the end: every message received before it, in order, is the transcript, and the
three transcripts must be equal (the replies of the commands too).

To cover more commands, add a ``(family, [command word lists])`` row to ``SCRIPTS`` (or
a ``(flags, [commands])`` row to ``FLAG_SCRIPTS``). A word list may start with one of
the ``STEP_*`` markers instead of a command name (see ``_run_step``).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
import redis

import embedis

SENTINEL = b"notify-test-sentinel"
PATTERN = "__key*__:*"

# Markers a script's word list may start with.
# [STEP_WAIT_GONE, key]: wait, reading the key, until a read reports it gone (expired
# on access or by the sweep, whichever comes first).
STEP_WAIT_GONE = "__wait_gone__"
# [STEP_WAIT_SWEPT]: wait, without touching any key, until DBSIZE is 0 (the active
# expiry removed every key).
STEP_WAIT_SWEPT = "__wait_swept__"
# [STEP_BLOCKED, *command]: run the blocking command on a connection of its own and
# wait until the target reports it blocked; its reply is collected at the end.
STEP_BLOCKED = "__blocked__"
# [STEP_PAST, ms]: sleep ms milliseconds, so that a key with a shorter time is past it
# (expired on its next access, or swept before: the same events either way).
STEP_PAST = "__past__"
# [STEP_HEADROOM, bytes]: CONFIG SET maxmemory to the target's used_memory + bytes
# (negative: below what is used).
STEP_HEADROOM = "__headroom__"

BIG = "x" * 70_000

SCRIPTS: list[tuple[str, list[list[str]]]] = [
    (
        "lists",
        [
            ["RPUSH", "l", "a", "b", "c"],
            ["LPUSH", "l", "z"],
            ["LPUSHX", "nol", "x"],
            ["RPUSHX", "l", "d"],
            ["LINSERT", "l", "BEFORE", "b", "bb"],
            ["LINSERT", "l", "AFTER", "nope", "x"],
            ["LINSERT", "nol", "AFTER", "nope", "x"],
            ["LSET", "l", "0", "zz"],
            ["LREM", "l", "1", "bb"],
            ["LREM", "l", "0", "nothing"],
            ["LTRIM", "l", "0", "-1"],
            ["LTRIM", "l", "0", "3"],
            ["LPOP", "l"],
            ["RPOP", "l", "0"],
            ["RPOP", "l", "1"],
            ["LPOP", "nol"],
            ["LMOVE", "l", "m", "LEFT", "RIGHT"],
            ["LMOVE", "m", "m", "LEFT", "LEFT"],
            ["RPOPLPUSH", "m", "l"],
            ["LMPOP", "2", "nol", "l", "RIGHT", "COUNT", "10"],
            ["RPUSH", "one", "x"],
            ["LMOVE", "one", "one", "LEFT", "RIGHT"],
            ["LPOP", "one", "5"],
            ["RPUSH", "s", "x"],
            ["LTRIM", "s", "1", "0"],
            ["RPUSH", "r", "a", "b"],
            ["LREM", "r", "0", "a"],
            ["LREM", "r", "0", "b"],
            ["RPUSH", "q", "1", "2"],
            ["BLPOP", "nol", "q", "0"],
            ["BRPOP", "q", "0"],
            ["RPUSH", "q", "3"],
            ["BLMOVE", "q", "q2", "RIGHT", "LEFT", "0"],
            ["BLMPOP", "0", "1", "q2", "LEFT"],
            ["LLEN", "l"],
            ["LRANGE", "l", "0", "-1"],
            ["SET", "str", "v"],
            ["LPUSH", "str", "x"],
            ["LMOVE", "m", "str", "LEFT", "LEFT"],
        ],
    ),
    (
        "blocking",
        [
            [STEP_BLOCKED, "BLPOP", "b1", "0"],
            ["RPUSH", "b1", "a", "b"],
            [STEP_BLOCKED, "BRPOP", "b2", "0"],
            ["LPUSH", "b2", "only"],
            [STEP_BLOCKED, "BLMOVE", "b3", "d3", "LEFT", "RIGHT", "0"],
            ["RPUSH", "b3", "x"],
            [STEP_BLOCKED, "BLMPOP", "0", "1", "b4", "RIGHT", "COUNT", "5"],
            ["RPUSH", "b4", "1", "2", "3"],
            [STEP_BLOCKED, "BLMOVE", "b5", "b5", "LEFT", "RIGHT", "0"],
            ["RPUSH", "b5", "x"],
        ],
    ),
    (
        "streams",
        [
            ["XADD", "s", "1-0", "f", "v"],
            ["XADD", "s", "2-0", "f", "v", "g", "w"],
            ["XADD", "s", "NOMKSTREAM", "3-0", "f", "v"],
            ["XADD", "nos", "NOMKSTREAM", "3-0", "f", "v"],
            ["XADD", "s", "MAXLEN", "2", "4-0", "f", "v"],
            ["XADD", "s", "1-0", "f", "v"],
            ["XDEL", "s", "2-0", "99-0"],
            ["XDEL", "s", "99-0"],
            ["XTRIM", "s", "MAXLEN", "5"],
            ["XADD", "s", "5-0", "f", "v"],
            ["XTRIM", "s", "MAXLEN", "1"],
            ["XSETID", "s", "10-0"],
            ["XGROUP", "CREATE", "s", "g", "0"],
            ["XGROUP", "CREATE", "s", "g", "0"],
            ["XGROUP", "CREATE", "ns", "g", "$", "MKSTREAM"],
            ["XGROUP", "CREATECONSUMER", "s", "g", "c1"],
            ["XGROUP", "CREATECONSUMER", "s", "g", "c1"],
            ["XGROUP", "SETID", "s", "g", "0"],
            ["XREADGROUP", "GROUP", "g", "c2", "COUNT", "5", "STREAMS", "s", ">"],
            ["XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", ">"],
            ["XAUTOCLAIM", "s", "g", "c4", "0", "0-0"],
            ["XACK", "s", "g", "5-0"],
            ["XGROUP", "DELCONSUMER", "s", "g", "c1"],
            ["XGROUP", "DELCONSUMER", "s", "g", "nobody"],
            ["XGROUP", "DESTROY", "s", "g"],
            ["XGROUP", "DESTROY", "s", "g"],
            ["XREAD", "STREAMS", "s", "0"],
            ["XLEN", "s"],
            ["DEL", "s"],
        ],
    ),
    (
        "stream-blocking",
        [
            ["XGROUP", "CREATE", "bs", "g", "$", "MKSTREAM"],
            [STEP_BLOCKED, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "bs", ">"],
            ["XADD", "bs", "1-0", "f", "v"],
            [STEP_BLOCKED, "XREAD", "BLOCK", "0", "STREAMS", "bs", "$"],
            ["XADD", "bs", "2-0", "f", "v"],
        ],
    ),
    (
        "strings",
        [
            ["SET", "k", "v"],
            ["SET", "k", "w", "NX"],
            ["SET", "k", "w", "XX"],
            ["SET", "nok", "w", "XX"],
            ["SET", "k", "x", "GET"],
            ["SET", "k", "y", "EX", "100"],
            ["SET", "k", "y", "PX", "100000", "KEEPTTL"],
            ["SET", "k", "z", "KEEPTTL"],
            ["SET", "e", "v", "EXAT", "1"],
            [STEP_WAIT_GONE, "e"],
            ["SETNX", "k", "v"],
            ["SETNX", "k2", "v"],
            ["GET", "k"],
            ["GETDEL", "k"],
            ["GETDEL", "k"],
            ["MSET", "a", "1", "b", "2"],
            ["MSETNX", "a", "1", "c", "3"],
            ["MSETNX", "c", "3", "d", "4"],
            ["MGET", "a", "nokey", "c"],
            ["INCR", "a"],
            ["INCRBY", "i", "5"],
            ["DECR", "i"],
            ["DECRBY", "i", "3"],
            ["INCR", "b", "2"],
            ["SET", "l", "x"],
            ["RPUSH", "l2", "x"],
            ["SET", "l2", "y"],
            ["INCR", "l"],
        ],
    ),
    (
        "keys",
        [
            ["SET", "a", "1"],
            ["RPUSH", "l", "x"],
            ["XADD", "s", "1-0", "f", "v"],
            ["DEL", "a", "nokey", "l"],
            ["UNLINK", "s"],
            ["SET", "a", "1"],
            ["RENAME", "a", "b"],
            ["RENAME", "b", "b"],
            ["SET", "c", "3"],
            ["RENAME", "b", "c"],
            ["RENAMENX", "c", "d"],
            ["SET", "e", "5"],
            ["RENAMENX", "d", "e"],
            ["RENAME", "nokey", "x"],
            ["EXPIRE", "d", "100"],
            ["EXPIRE", "d", "100", "NX"],
            ["PEXPIRE", "d", "100000", "XX"],
            ["EXPIREAT", "d", "4000000000"],
            ["PEXPIREAT", "d", "4000000000000", "GT"],
            ["EXPIRE", "nokey", "100"],
            ["PERSIST", "d"],
            ["PERSIST", "d"],
            ["EXPIRE", "d", "100"],
            ["RENAME", "d", "f"],
            ["TTL", "f"],
            ["EXPIRE", "e", "-1"],
            ["SET", "g", "1"],
            ["PEXPIREAT", "g", "1"],
            ["EXISTS", "e", "g", "f"],
            ["TYPE", "f"],
            ["SET", "h", "1"],
            ["SELECT", "3"],
            ["SET", "other", "1"],
            ["FLUSHDB"],
            ["SELECT", "0"],
            ["FLUSHALL"],
            ["SET", "last", "1"],
        ],
    ),
    (
        "expiry",
        [
            ["SET", "k", "v", "PX", "1"],
            [STEP_WAIT_GONE, "k"],
            ["RPUSH", "l", "x"],
            ["PEXPIRE", "l", "1"],
            [STEP_WAIT_SWEPT],
            ["SET", "k2", "v"],
            ["PEXPIRE", "k2", "1"],
            [STEP_WAIT_GONE, "k2"],
            ["SET", "k3", "v", "PX", "1"],
            [STEP_WAIT_SWEPT],
            ["SET", "k4", "v", "PX", "1"],
            [STEP_PAST, "20"],
            ["RPUSH", "k4", "x"],
            ["RPUSH", "k5", "a", "b"],
            ["PEXPIRE", "k5", "1"],
            [STEP_PAST, "20"],
            ["LPOP", "k5"],
            ["SET", "k6", "v"],
            ["PEXPIRE", "k6", "1"],
            [STEP_PAST, "20"],
            ["DEL", "nokey", "k6", "k4"],
        ],
    ),
    (
        "eviction",
        [
            ["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
            ["SET", "big", BIG],
            # Redis evicts at once (CONFIG SET maxmemory), embedis before the next command:
            # the same events either way. One key only, so the victim is known.
            [STEP_HEADROOM, "-20000"],
            ["SET", "small", "x"],
            ["CONFIG", "SET", "maxmemory", "0"],
            ["CONFIG", "SET", "maxmemory-policy", "noeviction"],
        ],
    ),
    (
        "hashes",
        [
            ["HSET", "h", "f", "1", "g", "2"],
            ["HSET", "h", "f", "1"],
            ["HSETNX", "h", "f", "x"],
            ["HSETNX", "h", "n", "x"],
            ["HMSET", "h", "a", "1"],
            ["HINCRBY", "h", "f", "5"],
            ["HINCRBYFLOAT", "h", "g", "1.5"],
            ["HGET", "h", "f"],
            ["HGET", "noh", "f"],
            ["HMGET", "noh", "f"],
            ["HGETALL", "noh"],
            ["HDEL", "h", "nope"],
            ["HDEL", "h", "f", "g"],
            ["HDEL", "h", "n", "a"],
            ["HINCRBY", "h2", "x", "1"],
            ["HINCRBYFLOAT", "h3", "x", "1"],
            ["HRANDFIELD", "noh"],
            ["HLEN", "noh"],
            ["HEXISTS", "noh", "f"],
        ],
    ),
    (
        "sorted sets",
        [
            ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
            ["ZADD", "z", "NX", "5", "a"],
            ["ZADD", "z", "XX", "1", "nosuch"],
            ["ZADD", "z", "GT", "9", "a"],
            ["ZADD", "z", "INCR", "1", "b"],
            ["ZADD", "z", "INCR", "GT", "-1", "b"],
            ["ZINCRBY", "z", "2", "c"],
            ["ZINCRBY", "z", "0", "c"],
            ["ZREM", "z", "nosuch"],
            ["ZREM", "z", "a"],
            ["ZSCORE", "noz", "a"],
            ["ZRANGE", "noz", "0", "-1"],
            ["ZCARD", "noz"],
            ["ZPOPMIN", "z"],
            ["ZPOPMAX", "z", "5"],
            ["ZPOPMIN", "noz"],
            ["ZADD", "z2", "1", "a"],
            ["ZREM", "z2", "a", "b"],
        ],
    ),
    (
        "sets",
        [
            ["SADD", "s", "a", "b", "c", "1"],
            ["SADD", "s", "a"],
            ["SREM", "s", "nope"],
            ["SREM", "s", "a"],
            ["SMOVE", "s", "t", "b"],
            ["SMOVE", "s", "t", "nope"],
            ["SMOVE", "s", "s", "c"],
            ["SADD", "u", "x"],
            ["SMOVE", "u", "t", "x"],
            ["SISMEMBER", "nos", "a"],
            ["SMEMBERS", "nos"],
            ["SCARD", "nos"],
            ["SINTERSTORE", "d", "s", "t"],
            ["SUNIONSTORE", "d", "s", "t"],
            ["SDIFFSTORE", "d", "s", "t"],
            ["SDIFFSTORE", "d", "t", "t"],
            ["SINTERSTORE", "d", "nos", "t"],
            ["SADD", "p", "1"],
            ["SPOP", "p"],
            ["SADD", "p", "1", "2"],
            ["SPOP", "p", "5"],
            ["SPOP", "nos"],
            ["SRANDMEMBER", "nos"],
            ["SINTER", "nos", "t"],
        ],
    ),
    (
        "more strings",
        [
            ["APPEND", "k", "ab"],
            ["APPEND", "k", "cd"],
            ["SETRANGE", "k", "1", "X"],
            ["SETRANGE", "k2", "0", ""],
            ["SETRANGE", "k2", "2", "y"],
            ["GETSET", "k", "v"],
            ["GETSET", "k3", "v"],
            ["SETEX", "k4", "100", "v"],
            ["PSETEX", "k5", "100000", "v"],
            ["GETEX", "k4", "PERSIST"],
            ["GETEX", "k4", "EX", "100"],
            ["GETEX", "k4"],
            ["GETEX", "nok"],
            ["INCRBYFLOAT", "f", "1.5"],
            ["STRLEN", "nok"],
            ["GETRANGE", "nok", "0", "1"],
            ["SETBIT", "b", "7", "1"],
            ["SETBIT", "b", "7", "1"],
            ["GETBIT", "nob", "1"],
            ["BITCOUNT", "nob"],
            ["BITOP", "AND", "dest", "b", "k"],
            ["BITOP", "OR", "dest", "nob", "nob2"],
            ["BITFIELD", "bf", "SET", "u8", "0", "255"],
            ["BITFIELD", "bf", "GET", "u8", "0"],
            ["BITFIELD", "bf", "INCRBY", "u8", "0", "1", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"],
            ["BITFIELD_RO", "bf", "GET", "u8", "0"],
            ["LCS", "k", "k3"],
            ["GETEX", "k", "PX", "0"],
        ],
    ),
    (
        "more keys",
        [
            ["SET", "a", "1"],
            ["RPUSH", "l", "x", "y"],
            ["COPY", "a", "b"],
            ["COPY", "a", "b"],
            ["COPY", "a", "b", "REPLACE"],
            ["COPY", "a", "a2", "DB", "1"],
            ["COPY", "nokey", "c"],
            ["MOVE", "b", "1"],
            ["MOVE", "nokey", "1"],
            ["MOVE", "a", "1"],
            ["SWAPDB", "0", "1"],
            ["TOUCH", "a", "nokey"],
            ["EXPIRETIME", "nokey"],
            ["EXPIRE", "a", "100", "NX"],
            ["EXPIRE", "a", "100", "NX"],
            ["EXPIRE", "a", "50", "GT"],
            ["EXPIRE", "a", "200", "GT"],
            ["PERSIST", "a"],
            ["OBJECT", "ENCODING", "nokey"],
            ["SORT", "l", "ALPHA", "STORE", "sorted"],
            ["SORT", "nokey", "STORE", "sorted"],
            ["SORT", "l", "ALPHA"],
            ["SORT_RO", "nokey"],
        ],
    ),
]

# (notify-keyspace-events, script): subsets of the classes, key-miss and new-key events.
FLAG_SCRIPTS: list[tuple[str, list[list[str]]]] = [
    ("Kl", [["RPUSH", "l", "a"], ["SET", "k", "v"], ["LPOP", "l"], ["DEL", "k"]]),
    ("Eg", [["RPUSH", "l", "a"], ["SET", "k", "v"], ["LPOP", "l"], ["DEL", "k"], ["EXPIRE", "nokey", "1"]]),
    ("Ex", [["SET", "k", "v", "PX", "1"], [STEP_WAIT_GONE, "k"], ["SET", "k2", "v"], ["DEL", "k2"]]),
    ("E$", [["SET", "k", "v"], ["INCR", "n"], ["RPUSH", "l", "x"], ["DEL", "k"]]),
    ("Kt", [["XADD", "s", "1-0", "f", "v"], ["DEL", "s"], ["RPUSH", "l", "a"]]),
    ("g", [["SET", "k", "v"], ["DEL", "k"]]),
    ("KEA", [["SET", "k", "v"], ["GET", "nokey"], ["RPUSH", "l", "x"]]),
    (
        "KEAmn",
        [
            ["GET", "nokey"],
            ["MGET", "a", "b"],
            ["EXISTS", "nokey"],
            ["TYPE", "nokey"],
            ["TTL", "nokey"],
            ["PTTL", "nokey"],
            ["LLEN", "nokey"],
            ["LRANGE", "nokey", "0", "1"],
            ["LINDEX", "nokey", "0"],
            ["LPOS", "nokey", "x"],
            ["XLEN", "nokey"],
            ["XRANGE", "nokey", "-", "+"],
            ["XREVRANGE", "nokey", "+", "-"],
            ["XREAD", "STREAMS", "nokey", "0"],
            ["XPENDING", "nokey", "g"],
            ["XINFO", "STREAM", "nokey"],
            ["XINFO", "GROUPS", "nokey"],
            ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "nokey", ">"],
            ["XCLAIM", "nokey", "g", "c", "0", "1-0"],
            ["XAUTOCLAIM", "nokey", "g", "c", "0", "0"],
            ["XACK", "nokey", "g", "1-0"],
            ["XRANGE", "nokey", "-", "+", "COUNT", "0"],
            ["XDEL", "nokey", "1-0"],
            ["XTRIM", "nokey", "MAXLEN", "1"],
            ["LMPOP", "1", "nokey", "LEFT"],
            ["LMOVE", "nokey", "x", "LEFT", "LEFT"],
            ["LSET", "nokey", "0", "x"],
            ["SET", "k", "v"],
            ["SET", "k", "w", "GET"],
            ["SET", "k2", "w", "GET"],
            ["GETDEL", "nokey"],
            ["SET", "k", "v"],
            ["RPUSH", "l", "x"],
            ["LPUSH", "l", "y"],
            ["LPUSHX", "nol", "y"],
            ["LMOVE", "l", "l2", "LEFT", "LEFT"],
            ["LPOP", "nokey"],
            ["RENAME", "l2", "l3"],
            ["RENAME", "k", "l3"],
            ["XADD", "s", "1-0", "f", "v"],
            ["XGROUP", "CREATE", "s2", "g", "$", "MKSTREAM"],
            ["INCR", "n"],
            ["MSET", "m1", "1", "m2", "2"],
            ["MSETNX", "m3", "1"],
            ["SETNX", "m4", "1"],
            ["SET", "x", "v", "PX", "1"],
            [STEP_WAIT_GONE, "x"],
            ["SET", "y", "v", "PX", "1"],
            [STEP_PAST, "20"],
            ["GET", "y"],
            ["SET", "y", "w"],
            ["EXPIRE", "nokey", "10"],
            ["PERSIST", "nokey"],
            ["DEL", "nokey"],
        ],
    ),
    ("Km", [["GET", "nokey"], ["SET", "k", "v"], ["GET", "k"]]),
    (
        "KEAmn",
        [
            ["HGET", "noh", "f"],
            ["HMGET", "noh", "f"],
            ["HGETALL", "noh"],
            ["HLEN", "noh"],
            ["HSTRLEN", "noh", "f"],
            ["HEXISTS", "noh", "f"],
            ["HRANDFIELD", "noh"],
            ["HSCAN", "noh", "0"],
            ["HINCRBY", "nh", "f", "1"],
            ["SISMEMBER", "nos", "a"],
            ["SMISMEMBER", "nos", "a"],
            ["SMEMBERS", "nos"],
            ["SCARD", "nos"],
            ["SINTER", "nos", "nos2"],
            ["SUNION", "nos"],
            ["SRANDMEMBER", "nos"],
            ["SSCAN", "nos", "0"],
            ["STRLEN", "nok"],
            ["GETRANGE", "nok", "0", "1"],
            ["GETBIT", "nok", "1"],
            ["BITCOUNT", "nok"],
            ["BITPOS", "nok", "1"],
            ["LCS", "nok", "nok2"],
            ["GETEX", "nok"],
            ["GETSET", "gs", "v"],
            ["EXPIRETIME", "nok"],
            ["TOUCH", "nok"],
            ["OBJECT", "ENCODING", "nok"],
            ["SORT_RO", "nok"],
            ["SADD", "s", "1"],
            ["SMOVE", "s", "t", "1"],
            ["APPEND", "a", "x"],
            ["SETRANGE", "r", "1", "x"],
            ["COPY", "a", "b"],
            ["SETBIT", "bb", "1", "1"],
            ["BITOP", "OR", "bo", "bb"],
            ["SUNIONSTORE", "su", "t"],
            ["SORT", "t", "STORE", "st"],
        ],
    ),
    ("En", [["SET", "k", "v"], ["SET", "k", "w"], ["RPUSH", "l", "x"], ["RENAME", "l", "k"]]),
    ("KEd", [["SET", "k", "v"]]),
    ("", [["SET", "k", "v"], ["DEL", "k"]]),
]


class Target:
    """A place to run a script: a command client, a way to make more, and a subscriber."""

    def __init__(self, name: str, client: Any, connect: Callable[[], Any], cleanup: Callable[[], None]) -> None:
        self.name = name
        self.client = client
        self.connect = connect
        self.cleanup = cleanup

    def used_memory(self) -> int:
        return int(self.client.info("memory")["used_memory"])

    def blocked(self) -> int:
        return int(self.client.info("clients")["blocked_clients"])


def _outcome(fn: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    try:
        return ("ok", fn(*args))
    except Exception as e:  # noqa: BLE001 - every error is compared
        return ("err", f"{type(e).__name__}: {e}")


def _wait(cond: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.002)


def _run_step(t: Target, words: Sequence[str], threads: list[tuple[threading.Thread, list[Any]]]) -> Any:
    head = words[0]
    if head == STEP_WAIT_GONE:
        _wait(lambda: t.client.execute_command("EXISTS", words[1]) == 0, f"{words[1]} to expire")
        return ("ok", None)
    if head == STEP_WAIT_SWEPT:
        _wait(lambda: t.client.execute_command("DBSIZE") == 0, "the sweep")
        return ("ok", None)
    if head == STEP_PAST:
        time.sleep(int(words[1]) / 1000)
        return ("ok", None)
    if head == STEP_HEADROOM:
        limit = t.used_memory() + int(words[1])
        return _outcome(t.client.execute_command, "CONFIG", "SET", "maxmemory", str(limit))
    if head == STEP_BLOCKED:
        before = t.blocked()
        other = t.connect()
        out: list[Any] = []
        th = threading.Thread(target=lambda: out.append(_outcome(other.execute_command, *words[1:])))
        th.start()
        _wait(lambda: t.blocked() > before, f"{words[1]} to block")
        threads.append((th, out))
        return ("ok", None)
    return _outcome(t.client.execute_command, *words)


def transcript(t: Target, flags: str, script: Sequence[Sequence[str]]) -> tuple[list[Any], list[Any]]:
    """Runs ``script`` on ``t`` with ``notify-keyspace-events`` set to ``flags``: the
    replies, and every message its subscriber got before the sentinel, in order."""
    assert t.client.execute_command("CONFIG", "SET", "notify-keyspace-events", flags) in (True, b"OK", "OK")
    sub = t.connect().pubsub()
    sub.psubscribe(PATTERN)
    sub.subscribe(SENTINEL)
    # The subscriptions are confirmed (and so in force) before the script starts.
    for _ in range(2):
        m = sub.get_message(timeout=10)
        assert m is not None and m["type"] in ("subscribe", "psubscribe"), m
    threads: list[tuple[threading.Thread, list[Any]]] = []
    try:
        replies = [_run_step(t, words, threads) for words in script]
        for th, out in threads:
            th.join(20)
            assert not th.is_alive(), "a blocked command was never served"
            replies.append(out[0])
        t.client.execute_command("PUBLISH", SENTINEL, "end")
        messages = []
        while True:
            m = sub.get_message(timeout=10)
            assert m is not None, f"{t.name}: no sentinel; got {messages}"
            if m["channel"] == SENTINEL:
                break
            messages.append((m["channel"], m["data"]))
        return replies, messages
    finally:
        sub.close()
        t.client.execute_command("CONFIG", "SET", "notify-keyspace-events", "")
        t.cleanup()


@pytest.fixture
def targets(real: redis.Redis) -> Iterator[list[Target]]:
    """The real server, an embedis broker in process, and an embedis broker served."""
    port = real.connection_pool.connection_kwargs["port"]

    def real_connect() -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)

    def real_cleanup() -> None:
        real.config_set("maxmemory", 0)
        real.config_set("maxmemory-policy", "noeviction")
        real.flushall()

    local = embedis.Broker()
    served_broker = embedis.Broker()
    with served_broker.serve(port=0) as server:

        def served_connect() -> redis.Redis:
            return redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=30)

        served = served_connect()
        yield [
            Target("redis", real, real_connect, real_cleanup),
            Target("embedis", local, lambda: embedis.Broker(broker=local), local.flushall),
            Target("served", served, served_connect, served.flushall),
        ]
        served.close()


def _compact(messages: list[Any]) -> str:
    """The keyspace half of a transcript, one ``key=event`` per message, for messages."""
    out = []
    for channel, data in messages:
        if channel.startswith(b"__keyspace@"):
            out.append(f"{channel.split(b':', 1)[1].decode(errors='replace')}={data.decode(errors='replace')}")
    return " ".join(out) if out else str(messages)


def assert_same_transcripts(targets: list[Target], flags: str, script: Sequence[Sequence[str]]) -> list[Any]:
    """Runs ``script`` on every target; their replies and transcripts must be equal.
    Returns the real server's transcript."""
    want_replies, want = transcript(targets[0], flags, script)
    for t in targets[1:]:
        replies, got = transcript(t, flags, script)
        for words, w, g in zip(script, want_replies, replies):
            shown = [w[:20] for w in words[:6]]
            assert str(g) == str(w), f"{t.name}: {shown} replied {g}, redis {w}"
        assert got == want, f"{t.name} with {flags!r}:\n got  {_compact(got)}\n want {_compact(want)}"
    return want


@pytest.mark.parametrize(("family", "script"), SCRIPTS, ids=[f for f, _ in SCRIPTS])
def test_events_match_redis(targets: list[Target], family: str, script: list[list[str]]) -> None:
    want = assert_same_transcripts(targets, "KEA", script)
    assert want, f"{family}: the script published nothing"


@pytest.mark.parametrize(("flags", "script"), FLAG_SCRIPTS, ids=[f or "none" for f, _ in FLAG_SCRIPTS])
def test_event_classes_match_redis(targets: list[Target], flags: str, script: list[list[str]]) -> None:
    assert_same_transcripts(targets, flags, script)


def test_binary_keys_and_databases(targets: list[Target]) -> None:
    script = [["SELECT", "5"], ["SET", "k\x00\xff:é", "v"], ["DEL", "k\x00\xff:é"], ["SELECT", "0"]]
    want = assert_same_transcripts(targets, "KEA", script)
    assert want[0] == ("__keyspace@5__:k\x00\xff:é".encode(), b"set")


FLAG_TEXTS = ["KEA", "AKE", "KEAmn", "gK", "Elg", "nd$x", "g$lshzxetd", "g$lshzxetdnmKE", "tezhslxg$n", "", "m", "A"]


@pytest.mark.parametrize("flags", FLAG_TEXTS)
def test_config_get_answers_redis_canonical_text(real: redis.Redis, flags: str) -> None:
    b = embedis.Broker()
    assert b.config_set("notify-keyspace-events", flags) is True
    real.config_set("notify-keyspace-events", flags)
    try:
        assert b.config_get("notify-keyspace-events") == real.config_get("notify-keyspace-events")
    finally:
        real.config_set("notify-keyspace-events", "")


@pytest.mark.parametrize("bad", ["KEQ", "a", "K E", "KEA!"])
def test_bad_classes_fail_with_redis_error(real: redis.Redis, bad: str) -> None:
    b = embedis.Broker()
    b.config_set("notify-keyspace-events", "Kg")
    want = _outcome(real.execute_command, "CONFIG", "SET", "notify-keyspace-events", bad)
    assert want[0] == "err"
    assert _outcome(b.execute_command, "CONFIG", "SET", "notify-keyspace-events", bad) == want
    assert b.config_get("notify-keyspace-events") == {"notify-keyspace-events": "gK"}


def _events(b: embedis.Broker, run: Callable[[], Any]) -> list[tuple[bytes, bytes]]:
    sub = b.pubsub()
    sub.psubscribe(PATTERN)
    m = sub.get_message(timeout=10)
    assert m is not None and m["type"] == "psubscribe"
    run()
    out = []
    while (m := sub.get_message(timeout=0.2)) is not None:
        out.append((m["channel"], m["data"]))
    sub.close()
    return out


def test_broker_keyword() -> None:
    b = embedis.Broker(notify_keyspace_events="KEA")
    assert b.config_get("notify-keyspace-events") == {"notify-keyspace-events": "AKE"}
    assert _events(b, lambda: b.rpush("l", "x")) == [
        (b"__keyspace@0__:l", b"rpush"),
        (b"__keyevent@0__:rpush", b"l"),
    ]
    # The default publishes nothing.
    quiet = embedis.Broker()
    assert _events(quiet, lambda: quiet.rpush("l", "x")) == []
    with pytest.raises(ValueError, match="Invalid event class character"):
        embedis.Broker(notify_keyspace_events="KEZ")
    with pytest.raises(ValueError, match="notify_keyspace_events"):
        embedis.Broker(broker=b, notify_keyspace_events="KEA")
    c = embedis.Broker(config={"notify-keyspace-events": "Kl"})
    assert _events(c, lambda: (c.rpush("l", "x"), c.set("k", "v"))) == [(b"__keyspace@0__:l", b"rpush")]


def test_asyncio_broker_keyword() -> None:
    import asyncio

    async def main() -> list[Any]:
        b = embedis.asyncio.Broker(notify_keyspace_events="E$")
        sub = b.pubsub()
        await sub.psubscribe(PATTERN)
        assert (await sub.get_message(timeout=10))["type"] == "psubscribe"
        await b.set("k", "v")
        await b.rpush("l", "x")
        got = []
        while (m := await sub.get_message(timeout=0.2)) is not None:
            got.append((m["channel"], m["data"]))
        await sub.aclose()
        return got

    assert asyncio.run(main()) == [(b"__keyevent@0__:set", b"k")]


def test_loading_publishes_nothing(tmp_path: Any) -> None:
    b = embedis.Broker(dir=tmp_path, appendonly=True)
    b.rpush("l", "a", "b")
    b.set("k", "v", px=100000)
    b.close() if hasattr(b, "close") else None
    del b
    import gc

    gc.collect()
    seen: list[Any] = []
    b2 = embedis.Broker(dir=tmp_path, appendonly=True, notify_keyspace_events="KEAn")
    seen = _events(b2, lambda: None)
    assert seen == []
    assert b2.lrange("l", 0, -1) == [b"a", b"b"]


def test_embedis_serve_takes_notify_keyspace_events() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "embedis", "serve", "--port", str(port), "--notify-keyspace-events", "KEA"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        r = redis.Redis(port=port, socket_timeout=10)
        _wait(lambda: _outcome(r.ping)[0] == "ok" or proc.poll() is not None, "the server")
        assert r.config_get("notify-keyspace-events") == {"notify-keyspace-events": "AKE"}
        sub = r.pubsub(ignore_subscribe_messages=True)
        sub.psubscribe("__keyevent@0__:*")
        _wait(lambda: r.pubsub_numpat() == 1, "the subscription")
        r.set("k", "v")
        m = None
        for _ in range(3):
            m = sub.get_message(timeout=10)
            if m is not None:
                break
        assert m is not None and (m["channel"], m["data"]) == (b"__keyevent@0__:set", b"k")
        sub.close()
        r.shutdown(nosave=True)
    except redis.ConnectionError:
        pass
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=15)
    bad = subprocess.run([*cmd[:5], "0", "--notify-keyspace-events", "KEZ"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1
    assert "Invalid event class character" in bad.stderr


MULTI_SCRIPT = [
    ["SET", "gone", "v", "PX", "1"],
    [STEP_PAST, "20"],
    ["MULTI"],
    ["GET", "gone"],
    ["RPUSH", "l", "a"],
    ["PUBLISH", "__keyx__:marker", "m1"],
    ["LPOP", "l"],
    ["SET", "n", "v"],
    ["GET", "nokey"],
    ["PUBLISH", "__keyx__:marker", "m2"],
    ["EXEC"],
]


@pytest.mark.parametrize("flags", ["KEAmn", "Kn", "Em", "Kx"])
def test_events_inside_multi_keep_their_place_among_publishes(targets: list[Target], flags: str) -> None:
    # The in-process broker has no MULTI through execute_command: the real server and the
    # served broker only. PUBLISH inside the transaction lands between the events of the
    # commands around it, queued events (new, expired) included.
    want = assert_same_transcripts([targets[0], targets[2]], flags, MULTI_SCRIPT)
    assert (b"__keyx__:marker", b"m1") in want
