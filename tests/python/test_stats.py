"""What operators look at: INFO stats/commandstats/errorstats, CONFIG RESETSTAT, SLOWLOG and
MONITOR, compared with a real redis-server 7.0 (the same command sequence on both, through
``Broker.serve()`` for embedis), then in process (sync and asyncio)."""

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
import embedis._info
import embedis.asyncio

# A sequence of raw commands whose replies include every kind of error Redis counts
# differently: a failed call (WRONGTYPE, NOGROUP, ERR from a handler), a rejected call
# (wrong arity, also inside MULTI, EXECABORT), an unknown command and an unknown
# subcommand (no commandstats line at all), and subcommands (``config|get``).
SEQUENCE: list[tuple[str, ...]] = [
    ("LPUSH", "q", "a"),
    ("GET", "q"),
    ("LPUSH", "q"),
    ("NOSUCH", "x"),
    ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"),
    ("XGROUP", "CREATE", "s", "g", "$"),
    ("XGROUP", "NOSUCH"),
    ("XADD", "s", "*", "f", "v"),
    ("XGROUP", "CREATE", "s", "g", "$"),
    ("XGROUP", "CREATE", "s", "g", "$"),
    ("XLEN", "s"),
    ("MULTI",),
    ("LPUSH",),
    ("GET", "q"),
    ("EXEC",),
    ("MULTI",),
    ("GET", "q"),
    ("LPUSH", "q", "b"),
    ("EXEC",),
    ("CONFIG", "GET", "maxmemory"),
    ("SLOWLOG", "LEN"),
    ("PING",),
    ("SELECT", "1"),
    ("SELECT", "0"),
    ("RPOP", "q"),
    ("LLEN", "q"),
    ("SET", "k", "v", "EX", "0"),
    ("INCR", "q"),
    ("PUBLISH", "ch", "m"),
    ("ECHO", "done"),
]


def raw(r: redis.Redis) -> Any:
    """A connection of ``r`` to send commands on one by one (errors returned, not raised)."""
    conn = r.connection_pool.get_connection()

    def send(*args: str) -> Any:
        conn.send_command(*args)
        try:
            return conn.read_response()
        except (redis.ResponseError, redis.AuthenticationError) as e:
            return e

    send.conn = conn  # type: ignore[attr-defined]
    return send


@pytest.fixture
def served() -> Iterator[tuple[embedis.Broker, redis.Redis]]:
    b = embedis.Broker()
    with b.serve(port=0) as server:
        r = redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=10, protocol=2)
        yield b, r
        r.close()


def counts(info: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {k: (v["calls"], v["rejected_calls"], v["failed_calls"]) for k, v in info.items()}


def run_sequence(r: redis.Redis) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    send = raw(r)
    send("PING")  # the handshake is done before the counters start
    send("CONFIG", "RESETSTAT")
    for cmd in SEQUENCE:
        send(*cmd)
    stats = send("INFO", "stats")
    cmdstats = send("INFO", "commandstats")
    errstats = send("INFO", "errorstats")
    r.connection_pool.release(send.conn)
    parse = embedis._info.parse_info
    return parse(stats.decode()), parse(cmdstats.decode()), parse(errstats.decode())


def test_error_and_command_stats_match_redis(served, real) -> None:  # type: ignore[no-untyped-def]
    _, mine = served
    want_stats, want_cmd, want_err = run_sequence(real)
    got_stats, got_cmd, got_err = run_sequence(mine)
    assert counts(got_cmd) == counts(want_cmd)
    assert got_err == want_err
    for field in ("total_error_replies", "total_commands_processed"):
        assert got_stats[field] == want_stats[field], field
    # The shapes of a line, usec included.
    line = got_cmd["cmdstat_lpush"]
    assert set(line) == {"calls", "usec", "usec_per_call", "rejected_calls", "failed_calls"}
    assert isinstance(line["usec_per_call"], float)


def test_resetstat_clears_what_redis_clears(served, real) -> None:  # type: ignore[no-untyped-def]
    _, mine = served
    for r in (mine, real):
        r.execute_command("CONFIG", "SET", "slowlog-log-slower-than", "0")
        try:
            r.execute_command("GET")
        except redis.ResponseError:
            pass
        r.lpush("x", "1")
        r.config_resetstat()
    try:
        got, want = mine.info("all"), real.info("all")
        for field in ("total_error_replies", "total_commands_processed"):
            assert got[field] == want[field] == (1 if field == "total_commands_processed" else 0)
        assert not any(k.startswith("errorstat_") for k in got)
        assert [k for k in got if k.startswith("cmdstat_")] == ["cmdstat_config|resetstat"]
        # The slow log survives RESETSTAT on both.
        assert mine.slowlog_len() > 0 and real.slowlog_len() > 0
    finally:
        for r in (mine, real):
            r.execute_command("CONFIG", "SET", "slowlog-log-slower-than", "10000")
            r.slowlog_reset()


def slowlog_shape(r: redis.Redis) -> list[tuple[Any, ...]]:
    send = raw(r)
    send("CONFIG", "SET", "slowlog-log-slower-than", "0")
    send("CONFIG", "SET", "slowlog-max-len", "5")
    send("SLOWLOG", "RESET")
    send("CLIENT", "SETNAME", "worker-1")
    send("RPUSH", "big", "x" * 200, *[str(i) for i in range(40)])
    send("ECHO", "hi")
    send("LRANGE", "big", "0", "1")
    entries = send("SLOWLOG", "GET", "-1")
    got = [send("SLOWLOG", "GET"), send("SLOWLOG", "GET", "1"), send("SLOWLOG", "GET", "0"), send("SLOWLOG", "LEN")]
    bad = [send("SLOWLOG", "GET", "-2"), send("SLOWLOG", "GET", "x"), send("SLOWLOG", "NOSUCH"), send("SLOWLOG", "LEN", "x")]
    send("CONFIG", "SET", "slowlog-log-slower-than", "10000")
    send("CONFIG", "SET", "slowlog-max-len", "128")
    send("SLOWLOG", "RESET")
    r.connection_pool.release(send.conn)
    base = entries[-1][0]
    shape = [
        (e[0] - base, isinstance(e[1], int) and e[1] > 1_600_000_000, isinstance(e[2], int), tuple(e[3]), e[4].rsplit(b":", 1)[0], e[5])
        for e in entries
    ]
    return shape + [(len(got[0]), len(got[1]), len(got[2]), got[3])] + [tuple(str(b) for b in bad)]


def test_slowlog_entries_match_redis(served, real) -> None:  # type: ignore[no-untyped-def]
    _, mine = served
    assert slowlog_shape(mine) == slowlog_shape(real)


def monitor_transcript(r: redis.Redis, protocol: int) -> list[str]:
    """The lines a MONITOR connection sees while another connection runs ``SEQUENCE``,
    with the time and the client's port taken out."""
    host, port = r.connection_pool.connection_kwargs["host"], r.connection_pool.connection_kwargs["port"]
    watcher = redis.Redis(host=host, port=port, socket_timeout=10, protocol=protocol)
    worker = redis.Redis(host=host, port=port, socket_timeout=10, protocol=2)
    send = raw(worker)
    send("PING")
    lines: list[str] = []
    with watcher.monitor() as m:
        send("HELLO", "2", "AUTH", "default", "pw")
        for cmd in SEQUENCE:
            send(*cmd)
        while True:
            c = m.next_command()
            lines.append(f"[{c['db']} {c['client_type']}] {c['command']}")
            if c["command"] == "ECHO done":
                break
    worker.connection_pool.release(send.conn)
    return lines


@pytest.mark.parametrize("protocol", [2, 3])
def test_monitor_transcript_matches_redis(served, real, protocol) -> None:  # type: ignore[no-untyped-def]
    _, mine = served
    got = monitor_transcript(mine, protocol)
    want = monitor_transcript(real, protocol)
    assert got == want
    assert "[0 tcp] HELLO 2 AUTH (redacted) (redacted)" in got
    assert not any("CONFIG" in line for line in got)


def test_redis_cli_style_monitor_line_and_quit() -> None:
    """The raw line (timestamp, ``[db ip:port]``, quoted arguments) and QUIT from a monitor."""
    b = embedis.Broker()
    with b.serve(port=0) as server:
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.sendall(b"MONITOR\r\n")
        assert s.recv(100) == b"+OK\r\n"
        b.lpush("jobs", 'a"b\\')
        data = b""
        while not data.endswith(b"\r\n"):
            data += s.recv(1000)
        line = data.decode()
        assert re.fullmatch(r'\+\d+\.\d{6} \[0 python:\d+\] "LPUSH" "jobs" "a\\"b\\\\"\r\n', line), line
        s.sendall(b"QUIT\r\n")
        assert s.recv(100) == b"+OK\r\n"
        assert s.recv(100) == b""
        s.close()


def test_reset_ends_monitoring(served) -> None:  # type: ignore[no-untyped-def]
    b, r = served
    send = raw(r)
    assert send("MONITOR") == b"OK"
    assert send("RESET") == b"RESET"
    b.lpush("q", "a")
    assert send("PING") == b"PONG"  # no monitor line came before the reply


# ---- in process --------------------------------------------------------------------------


def test_in_process_calls_are_counted() -> None:
    b = embedis.Broker()
    b.lpush("q", "a", "b")
    b.rpop("q")
    b.llen("q")
    b.set("s", "x")
    with pytest.raises(embedis.ResponseError):
        b.lpush("s", "v")
    with pytest.raises(embedis.ResponseError):
        b.execute_command("LPUSH", "q")
    with pytest.raises(embedis.ResponseError):
        b.execute_command("NOSUCH")
    with pytest.raises(embedis.ResponseError):
        b.xreadgroup("g", "c", {"nostream": ">"})
    cmd = b.info("commandstats")
    assert (cmd["cmdstat_lpush"]["calls"], cmd["cmdstat_lpush"]["failed_calls"], cmd["cmdstat_lpush"]["rejected_calls"]) == (2, 1, 1)
    assert cmd["cmdstat_rpop"]["calls"] == 1 and cmd["cmdstat_llen"]["calls"] == 1
    assert cmd["cmdstat_xreadgroup"]["failed_calls"] == 1
    assert b.info("errorstats") == {
        "errorstat_ERR": {"count": 2},
        "errorstat_NOGROUP": {"count": 1},
        "errorstat_WRONGTYPE": {"count": 1},
    }
    assert b.info("stats")["total_error_replies"] == 4
    assert b.config_resetstat() is True
    assert b.info("commandstats") == {} and b.info("errorstats") == {}
    # Handles on the same data share the counters, as clients of one server do.
    other = embedis.Broker(broker=b)
    other.llen("q")
    assert b.info("commandstats")["cmdstat_llen"]["calls"] == 1


def test_info_sections_parse_as_redis_py_does(real) -> None:  # type: ignore[no-untyped-def]
    b = embedis.Broker()
    b.lpush("q", "a")
    default, everything = b.info(), b.info("everything")
    for key in ("redis_version", "total_commands_processed", "connected_slaves", "used_memory", "aof_enabled", "db0"):
        assert key in default, key
    assert "cmdstat_lpush" not in default and "cmdstat_lpush" in everything
    assert b.info("all").keys() == everything.keys()
    assert default["db0"] == {"keys": 1, "expires": 0, "avg_ttl": 0}
    assert b.info("nosuch") == {}
    both = b.info("errorstats", "keyspace")
    assert both == {"db0": {"keys": 1, "expires": 0, "avg_ttl": 0}}
    # Field types as redis-py gives them from a real server.
    want = real.info("everything")
    for key in ("redis_version", "total_error_replies", "used_cpu_sys", "arch_bits"):
        assert type(everything[key]) is type(want[key]), key


def test_in_process_slowlog() -> None:
    b = embedis.Broker()
    with b.serve(port=0) as server:
        r = redis.Redis(host="127.0.0.1", port=server.port)
        r.config_set("slowlog-log-slower-than", 0)
        b.slowlog_reset()
        b.rpush("q", *[str(i) for i in range(40)])
        b.execute_command("LRANGE", "q", "0", "-1")
        log = b.slowlog_get()
        assert [e["command"] for e in log][0] == b"LRANGE q 0 -1"
        assert log[1]["command"].startswith(b"RPUSH q 0 1 2") and log[1]["command"].endswith(b"... (11 more arguments)")
        assert log[0]["client_address"].startswith(b"python:") and log[0]["client_name"] == b""
        assert set(log[0]) == {"id", "start_time", "duration", "command", "client_address", "client_name"}
        assert log[0]["id"] == log[1]["id"] + 1
        assert b.slowlog_len() == len(b.slowlog_get(-1)) and len(b.slowlog_get(1)) == 1
        # The network client sees the in-process entries too.
        assert r.slowlog_get(1)[0]["command"] == b"LRANGE q 0 -1"
        with pytest.raises(embedis.ResponseError, match="greater than or equal to -1"):
            b.slowlog_get(-2)
        assert b.slowlog_reset() is True and b.slowlog_len() == 0
        r.config_set("slowlog-log-slower-than", -1)
        b.lpush("q", "x")
        assert b.slowlog_len() == 0
        assert r.config_get("slowlog-log-slower-than") == {"slowlog-log-slower-than": "-1"}
        r.close()


def test_in_process_monitor_sync() -> None:
    b = embedis.Broker(db=3)
    with b.monitor() as m:
        b.lpush("q", "a b")
        b.execute_command("SET", "k", 'say "hi"')
        first, second = m.next_command(1), m.next_command(1)
        assert m.next_command(0.01) is None
    assert first is not None and second is not None
    assert (first["db"], first["client_type"], first["command"]) == (3, "python", "LPUSH q a b")
    assert second["command"] == 'SET k say "hi"'
    assert first["client_port"].isdigit() and abs(first["time"] - time.time()) < 60
    # Closed: it no longer receives.
    b.lpush("q", "c")
    got: list[dict[str, Any]] = []
    with b.monitor() as m2:
        t = threading.Thread(target=lambda: got.append(next(iter(m2.listen()))))
        t.start()
        b.llen("q")
        t.join(5)
    assert got and got[0]["command"] == "LLEN q"


def test_in_process_monitor_asyncio() -> None:
    async def main() -> list[str]:
        b = embedis.asyncio.Broker()
        async with b.monitor() as m:
            await b.lpush("q", "a")
            await b.rpop("q")
            first = await m.next_command()
            second = await m.next_command(1)
            none = await m.next_command(0.01)
        assert none is None
        assert first is not None and second is not None
        assert await b.slowlog_len() == 0
        assert (await b.info("commandstats"))["cmdstat_rpop"]["calls"] == 1
        assert await b.config_resetstat() is True
        return [first["command"], second["command"]]

    assert asyncio.run(main()) == ["LPUSH q a", "RPOP q"]


def test_blocking_calls_count_once_in_every_door() -> None:
    b = embedis.Broker()
    ab = embedis.asyncio.Broker(broker=b)
    b.rpush("q", "a", "b", "c", "d", "e", "f")
    with b.monitor() as m:
        assert b.blpop("q", timeout=1) == (b"q", b"a")
        assert b.brpop(["nokey", "q"], timeout=1) == (b"q", b"f")
        assert b.blmove("q", "r", 1, "LEFT", "RIGHT") == b"b"
        assert b.execute_command("BLPOP", "q", "1") == (b"q", b"c")
        assert b.blpop("empty", timeout=0.01) is None

        async def waits() -> Any:
            return [await ab.brpop("q", timeout=1), await ab.blmove("q", "r", 1, "LEFT", "RIGHT")]

        assert asyncio.run(waits()) == [(b"q", b"e"), b"d"]
        b.ping()
        seen = []
        while (c := m.next_command(0.2)) is not None:
            seen.append(c["command"])
    assert seen == [
        "BLPOP q 1",
        "BRPOP nokey q 1",
        "BLMOVE q r LEFT RIGHT 1",
        "BLPOP q 1",
        "BLPOP empty 0.01",
        "BRPOP q 1",
        "BLMOVE q r LEFT RIGHT 1",
        "PING",
    ]
    cmd = b.info("commandstats")
    assert {k: v["calls"] for k, v in cmd.items()} == {
        "cmdstat_blpop": 3,
        "cmdstat_brpop": 2,
        "cmdstat_blmove": 2,
        "cmdstat_ping": 1,
        "cmdstat_rpush": 1,
    }


def test_execute_command_info_answers_in_process_as_redis_py_parses_it(real: Any) -> None:
    b = embedis.Broker()
    real.config_resetstat()
    for r in (b, real):
        r.lpush("q", "a")
        with pytest.raises(redis.ResponseError):
            r.execute_command("GET", "q")
    mine, theirs = b.execute_command("INFO", "commandstats", "errorstats"), real.execute_command("INFO", "commandstats", "errorstats")
    for key in ("cmdstat_lpush", "cmdstat_get"):
        for field in ("calls", "rejected_calls", "failed_calls"):
            assert mine[key][field] == theirs[key][field], (key, field)
    assert mine["errorstat_WRONGTYPE"] == theirs["errorstat_WRONGTYPE"] == {"count": 1}
    assert b.execute_command("info")["redis_version"] == b.info()["redis_version"]
