"""The RESP server (``Broker.serve`` and ``embedis serve``) against real Redis clients:
redis-py (RESP3 by default, RESP2, sync and asyncio, pipelines with and without
transactions, pub/sub) and redis-cli; two processes sharing one broker; SIGTERM, SHUTDOWN
and persistence across a restart; AUTH and protected mode.

Every server here listens on 127.0.0.1 with a port the system picks, or on a Unix socket in
a temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import pytest
import redis
import redis.asyncio

import embedis

REDIS_CLI = shutil.which("redis-cli")


@pytest.fixture
def served() -> Iterator[tuple[embedis.Broker, embedis.Server]]:
    """A broker and a server on it, on a free loopback port."""
    b = embedis.Broker()
    with b.serve(port=0) as server:
        yield b, server


def client(server: embedis.Server, **kwargs: object) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=10, **kwargs)  # type: ignore[arg-type]


def blocked(r: redis.Redis) -> int:
    return int(r.info("clients")["blocked_clients"])


def wait_for(cond, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


@pytest.mark.parametrize("protocol", [None, 2, 3])
def test_redis_py_sees_the_brokers_data_in_every_protocol(served, protocol) -> None:  # type: ignore[no-untyped-def]
    b, server = served
    r = client(server, protocol=protocol)
    assert r.ping() is True
    b.rpush("jobs", "a", "b")
    assert r.lrange("jobs", 0, -1) == [b"a", b"b"]
    assert r.lpush("jobs", "z") == 3
    assert b.lpop("jobs") == b"z"
    assert r.get("missing") is None
    assert r.set("k", "v") is True
    assert b.get("k") == b"v"
    assert r.lpop("none", 2) is None
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.get("jobs")
    got = r.brpop(["jobs"], timeout=1)
    assert got in ((b"jobs", b"b"), [b"jobs", b"b"])
    assert r.brpop(["jobs", "other"], timeout=0.05) in ((b"jobs", b"a"), [b"jobs", b"a"])
    assert r.brpop(["jobs"], timeout=0.05) is None
    r.close()


def test_redis_py_default_client_negotiates_resp3(served) -> None:  # type: ignore[no-untyped-def]
    _, server = served
    r = client(server)
    info = r.client_info()
    assert info["resp"] == "3"
    assert info["lib-name"] == "redis-py"
    assert r.info("server")["redis_version"] == "7.0.15"
    r.close()


def test_decode_responses_and_streams(served) -> None:  # type: ignore[no-untyped-def]
    b, server = served
    r = client(server, decode_responses=True)
    entry = r.xadd("s", {"f": "v"})
    assert b.xlen("s") == 1
    assert r.xrange("s") == [(entry, {"f": "v"})]
    assert r.xread({"s": "0"}) in ([["s", [(entry, {"f": "v"})]]], {"s": [[(entry, {"f": "v"})]]})
    r.xgroup_create("s", "g", id="0")
    assert r.xreadgroup("g", "c", {"s": ">"}, count=1)
    assert r.xack("s", "g", entry) == 1
    r.close()


def test_network_consumer_is_served_by_an_in_process_producer(served) -> None:  # type: ignore[no-untyped-def]
    b, server = served
    r = client(server)
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(r.blpop(["q"], timeout=5)))
    t.start()
    wait_for(lambda: b.info("clients") is not None and blocked(client(server)) == 1)
    b.rpush("q", "job")
    t.join(5)
    assert out == [(b"q", b"job")] or out == [[b"q", b"job"]]
    r.close()


def test_in_process_consumer_is_served_by_a_network_producer(served) -> None:  # type: ignore[no-untyped-def]
    b, server = served
    r = client(server)
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(b.brpop("q", timeout=5)))
    t.start()
    wait_for(lambda: blocked(r) == 1)
    r.lpush("q", "from-network")
    t.join(5)
    assert out == [(b"q", b"from-network")]
    r.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_pipelines_with_and_without_transactions(served, protocol) -> None:  # type: ignore[no-untyped-def]
    b, server = served
    r = client(server, protocol=protocol)
    with r.pipeline(transaction=False) as p:
        p.rpush("q", 1, 2, 3).lpop("q").llen("q").get("nope")
        assert p.execute() == [3, b"1", 2, None]
    with r.pipeline(transaction=True) as p:
        p.incr("n").incr("n").lrange("q", 0, -1)
        assert p.execute() == [1, 2, [b"2", b"3"]]
    # WATCH: an in-process write between WATCH and EXEC aborts the transaction.
    with r.pipeline() as p:
        p.watch("n")
        b.incr("n")
        p.multi()
        p.incr("n")
        with pytest.raises(redis.WatchError):
            p.execute()
    assert b.get("n") == b"3"

    # redis-py's optimistic-locking helper retries until it goes through.
    calls = []

    def double(pipe: redis.client.Pipeline) -> None:
        v = int(pipe.get("n"))
        calls.append(v)
        if len(calls) == 1:
            b.incr("n")
        pipe.multi()
        pipe.set("n", v * 2)

    r.transaction(double, "n")
    assert calls == [3, 4]
    assert b.get("n") == b"8"
    # An error inside EXEC is per command.
    with r.pipeline() as p:
        p.set("s", "x").incr("s").get("s")
        res = p.execute(raise_on_error=False)
        assert res[0] is True and isinstance(res[1], redis.ResponseError) and res[2] == b"x"
    r.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_pubsub_between_network_and_process(served, protocol) -> None:  # type: ignore[no-untyped-def]
    b, server = served
    r = client(server, protocol=protocol)
    p = r.pubsub()
    p.subscribe("news")
    p.psubscribe("n*")
    msg = p.get_message(timeout=2)
    assert msg["type"] == "subscribe" and msg["channel"] == b"news"
    assert p.get_message(timeout=2)["type"] == "psubscribe"
    assert b.publish("news", "hello") == 2
    got = [p.get_message(timeout=2) for _ in range(2)]
    assert {m["type"] for m in got} == {"message", "pmessage"}
    assert all(m["data"] == b"hello" for m in got)
    # A network publisher reaches an in-process subscriber.
    local = b.pubsub()
    local.subscribe("back")
    assert local.get_message(timeout=1)["type"] == "subscribe"
    assert r.publish("back", "hi") == 1
    assert local.get_message(timeout=2)["data"] == b"hi"
    assert r.pubsub_numsub("news") == [(b"news", 1)]
    p.close()
    local.close()
    wait_for(lambda: r.pubsub_numsub("news") == [(b"news", 0)])
    r.close()


def test_asyncio_client_blocking_pipeline_and_pubsub(served) -> None:  # type: ignore[no-untyped-def]
    b, server = served

    async def main() -> None:
        r = redis.asyncio.Redis(host="127.0.0.1", port=server.port)
        waiter = asyncio.create_task(r.blpop(["aq"], timeout=5))
        await asyncio.sleep(0.05)
        b.rpush("aq", "x")
        assert await waiter in ((b"aq", b"x"), [b"aq", b"x"])
        async with r.pipeline(transaction=True) as p:
            p.set("a", 1)
            p.incr("a")
            assert await p.execute() == [True, 2]
        ps = r.pubsub()
        await ps.subscribe("ch")
        assert (await ps.get_message(timeout=2))["type"] == "subscribe"
        b.publish("ch", "payload")
        msg = None
        for _ in range(50):
            msg = await ps.get_message(timeout=0.1)
            if msg:
                break
        assert msg is not None and msg["data"] == b"payload"
        await ps.aclose()
        # A cancelled network BLPOP gives nothing away.
        t = asyncio.create_task(r.blpop(["cq"], timeout=5))
        await asyncio.sleep(0.05)
        t.cancel()
        with pytest.raises(asyncio.CancelledError):
            await t
        await r.aclose()

    asyncio.run(main())
    b.rpush("cq", "kept")
    time.sleep(0.1)
    assert b.lrange("cq", 0, -1) == [b"kept"]


def test_client_killed_mid_brpop_loses_nothing(served) -> None:  # type: ignore[no-untyped-def]
    b, server = served
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(b"BRPOP q 0\r\n")
        wait_for(lambda: b.info("clients") is not None and blocked(client(server)) >= 1)
        s.close()
        b.lpush("q", "x")
        wait_for(lambda: blocked(client(server)) == 0)
        assert b.rpop("q") == b"x"


def test_auth_and_protected_mode() -> None:
    b = embedis.Broker()
    with pytest.raises(ValueError, match="protected mode"):
        b.serve("0.0.0.0", 0)
    with b.serve(port=0, requirepass="pw") as server:
        with pytest.raises(redis.AuthenticationError):
            client(server, protocol=2).ping()
        with pytest.raises(redis.exceptions.AuthenticationError):
            client(server, password="wrong").ping()
        assert client(server, password="pw").ping() is True
        assert client(server, password="pw", protocol=2).ping() is True
        assert client(server, username="default", password="pw").ping() is True


def test_port_in_use_is_an_os_error(served) -> None:  # type: ignore[no-untyped-def]
    b, server = served
    with pytest.raises(OSError):
        b.serve(port=server.port)


def test_unix_socket_and_shutdown_stops_the_server(tmp_path) -> None:  # type: ignore[no-untyped-def]
    b = embedis.Broker()
    path = str(tmp_path / "e.sock")
    server = b.serve(port=None, unixsocket=path)
    assert server.port is None and server.unixsocket == path
    r = redis.Redis(unix_socket_path=path)
    r.set("k", "v")
    assert b.get("k") == b"v"
    r.shutdown()  # redis-py expects the connection to close, and returns
    assert server.wait(5)
    assert not server.running
    assert not os.path.exists(path)
    # The broker lives on in the process.
    assert b.get("k") == b"v"


def test_several_servers_and_handles_share_one_broker(served) -> None:  # type: ignore[no-untyped-def]
    b, server = served
    other = embedis.Broker(broker=b, db=2)
    with other.serve(port=0) as second:
        client(second).set("x", "1")
        assert client(server).get("x") == b"1"
        assert other.get("x") is None
        client(server, db=2).set("y", "2")
        assert other.get("y") == b"2"


@pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli is not installed")
def test_redis_cli_against_the_server(served) -> None:  # type: ignore[no-untyped-def]
    b, server = served
    cli = [REDIS_CLI, "-h", "127.0.0.1", "-p", str(server.port)]

    def run(*args: str, stdin: str | None = None) -> str:
        out = subprocess.run([*cli, *args], input=stdin, capture_output=True, text=True, timeout=20)
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert run("PING") == "PONG\n"
    assert run("RPUSH", "q", "a", "b c") == "2\n"
    assert run("LRANGE", "q", "0", "-1") == "a\nb c\n"
    assert run("--no-raw", "LRANGE", "q", "0", "-1") == '1) "a"\n2) "b c"\n'
    assert b.lrange("q", 0, -1) == [b"a", b"b c"]
    assert "redis_version:" in run("INFO", "server")
    assert run("-3", "HGETALL_NOPE") .startswith("ERR unknown command")
    assert run("--no-raw", "-3", "CONFIG", "GET", "maxclients") == '1# "maxclients" => "10000"\n'
    assert run("BRPOP", "q", "0.1") == "q\nb c\n"
    # Commands from standard input, and redis-cli --pipe's mass insert.
    assert run(stdin="LPUSH piped x\nLLEN piped\n") == "1\n1\n"
    proto = "".join(f"*3\r\n$5\r\nRPUSH\r\n$4\r\nmass\r\n${len(str(i))}\r\n{i}\r\n" for i in range(1000))
    out = run("--pipe", stdin=proto)
    assert "errors: 0, replies: 1000" in out
    assert b.llen("mass") == 1000
    # Interactive mode's startup asks COMMAND for its hints: it must answer.
    assert int(run("COMMAND", "COUNT")) > 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[str], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise AssertionError("the server did not start")


def test_two_processes_share_one_broker(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """One process serves its broker and consumes in process; this one produces with
    redis-py and reads the results."""
    script = textwrap.dedent(
        """
        import sys, embedis
        b = embedis.Broker()
        server = b.serve(port=0)
        print(server.port, flush=True)
        while True:
            job = b.brpop("jobs", timeout=10)
            if job is None or job[1] == b"stop":
                break
            b.lpush("results", job[1] * 2)
        server.stop()
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        r = redis.Redis(port=port, socket_timeout=10)
        for i in range(100):
            r.lpush("jobs", f"j{i}")
        results = [r.brpop(["results"], timeout=5) for _ in range(100)]
        assert sorted(v[1] for v in results) == sorted(f"j{i}j{i}".encode() for i in range(100))
        r.lpush("jobs", "stop")
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def _serve_cmd(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "embedis", "serve", "--port", str(port), *extra]


def test_embedis_serve_sigterm_flushes_and_exits_0(tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = _free_port()
    args = _serve_cmd(port, "--dir", str(tmp_path), "--appendonly", "yes", "--appendfsync", "everysec", "--save", "")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_port(port, proc)
        r = redis.Redis(port=port, socket_timeout=10)
        r.rpush("durable", *range(500))
        assert r.config_get("appendonly") == {"appendonly": "yes"}
        assert r.config_get("dir")["dir"] == os.path.realpath(tmp_path)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert "stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
    # A new server on the same directory has every element.
    port = _free_port()
    proc = subprocess.Popen(_serve_cmd(port, "--dir", str(tmp_path), "--appendonly", "yes", "--save", ""), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_port(port, proc)
        r = redis.Redis(port=port, socket_timeout=10)
        assert r.llen("durable") == 500
        r.shutdown()
        proc.wait(15)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_embedis_serve_sigint_and_refusals(tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = _free_port()
    proc = subprocess.Popen(_serve_cmd(port, "--requirepass", "pw", "--maxclients", "5"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_port(port, proc)
        r = redis.Redis(port=port, password="pw", socket_timeout=10)
        assert r.config_get("maxclients") == {"maxclients": "5"}
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    refused = subprocess.run(_serve_cmd(_free_port(), "--bind", "0.0.0.0"), capture_output=True, text=True, timeout=30)
    assert refused.returncode == 1
    assert "protected mode" in refused.stderr


def test_asyncio_broker_serves_too() -> None:
    import embedis.asyncio

    async def main() -> None:
        ab = embedis.asyncio.Broker()
        with await ab.serve(port=0) as server:
            r = redis.asyncio.Redis(host="127.0.0.1", port=server.port)
            await r.rpush("q", "x")
            assert await ab.lpop("q") == b"x"
            await r.aclose()

    asyncio.run(main())
