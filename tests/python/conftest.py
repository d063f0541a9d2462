"""Shared fixtures for embedis's Python tests.

- ``broker``: a new, empty ``embedis.Broker()``.
- ``abroker``: a new, empty ``embedis.asyncio.Broker()``.
- ``real``: a ``redis.Redis`` client on a real redis-server that this session starts on
  127.0.0.1 on a free port (no persistence, in a temporary directory), flushed before each
  test. The differential tests use it.

If redis-server is not installed, every test using ``real`` FAILS, unless the environment
variable ``EMBEDIS_SKIP_REDIS=1`` is set, in which case those tests are skipped. CI
installs redis-server, so skipping is never the default.

pytest-asyncio is not used: asyncio tests call ``asyncio.run`` themselves.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

import embedis
import embedis.asyncio

REDIS_SERVER_ENV = "EMBEDIS_REDIS_SERVER"  # optional path to a redis-server binary
SKIP_ENV = "EMBEDIS_SKIP_REDIS"


def pytest_configure(config: pytest.Config) -> None:
    # Used by pytest-timeout when it is installed; harmless (and known) otherwise.
    config.addinivalue_line("markers", "timeout(seconds): fail a test that runs longer")


@pytest.fixture
def broker() -> Iterator[embedis.Broker]:
    """A new, empty sync broker."""
    b = embedis.Broker()
    yield b
    del b
    gc.collect()


@pytest.fixture
def abroker() -> Iterator[embedis.asyncio.Broker]:
    """A new, empty asyncio broker."""
    b = embedis.asyncio.Broker()
    yield b
    del b
    gc.collect()


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _server_version(exe: str) -> tuple[int, ...]:
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10).stdout
    for word in out.split():
        if word.startswith("v="):
            return tuple(int(p) for p in word[2:].split(".") if p.isdigit())
    return ()


class _RedisServer:
    """A throwaway redis-server process on loopback."""

    def __init__(self, exe: str) -> None:
        self.version = _server_version(exe)
        self.dir = tempfile.mkdtemp(prefix="embedis-redis-")
        last_err = ""
        for _attempt in range(5):
            self.port = _free_port()
            self.log = os.path.join(self.dir, f"redis-{self.port}.log")
            self.proc = subprocess.Popen(
                [
                    exe,
                    "--bind", "127.0.0.1",
                    "--port", str(self.port),
                    "--save", "",
                    "--appendonly", "no",
                    "--dir", self.dir,
                    "--logfile", self.log,
                    "--daemonize", "no",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                cwd=self.dir,
            )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if _answers_ping(self.port):
                    return
                time.sleep(0.02)
            last_err = self._stop_and_describe()
        raise RuntimeError(f"redis-server did not start: {last_err}")

    def _stop_and_describe(self) -> str:
        if self.proc.poll() is None:
            self.proc.kill()
        _, err = self.proc.communicate(timeout=5)
        text = err.decode(errors="replace")
        with contextlib.suppress(OSError), open(self.log, encoding="utf-8", errors="replace") as f:
            text += f.read()[-2000:]
        return text

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[_RedisServer]:
    """A real redis-server for the whole session (see the module doc for when it is absent)."""
    exe = os.environ.get(REDIS_SERVER_ENV) or shutil.which("redis-server")
    if exe is None:
        if os.environ.get(SKIP_ENV) == "1":
            pytest.skip(f"redis-server is not installed and {SKIP_ENV}=1")
        pytest.fail(
            "redis-server is not installed: the differential tests need it "
            f"(apt-get install redis-server), or set {SKIP_ENV}=1 to skip them",
            pytrace=False,
        )
    version = _server_version(exe)
    if version[:2] < (7, 0):
        message = (
            f"redis-server {'.'.join(map(str, version)) or '?'} is too old: the differential "
            "tests compare with Redis 7.0 (LMPOP, BLMPOP, EXPIRE NX/XX/GT/LT)"
        )
        if os.environ.get(SKIP_ENV) == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    server = _RedisServer(exe)
    yield server
    server.stop()


@pytest.fixture
def real(redis_server: _RedisServer) -> Iterator[object]:
    """A ``redis.Redis`` client on the session's real server, flushed before each test."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=redis_server.port, socket_timeout=10)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def real_decoded(redis_server: _RedisServer) -> Iterator[object]:
    """As ``real``, with ``decode_responses=True``."""
    import redis

    client = redis.Redis(
        host="127.0.0.1", port=redis_server.port, socket_timeout=10, decode_responses=True
    )
    client.flushall()
    yield client
    client.close()


def outcome(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Calls ``fn`` and returns ``("ok", value)`` or ``("err", exception)``."""
    try:
        return ("ok", fn(*args, **kwargs))
    except Exception as e:  # noqa: BLE001 - every error is compared
        return ("err", e)


def assert_same_outcome(got, want, context: str = "") -> None:  # type: ignore[no-untyped-def]
    """``got`` (embedis) behaves as ``want`` (redis-py on a real server): the same value, or
    an exception of redis-py's class (embedis's classes derive from redis-py's) with the
    same message."""
    gk, gv = got
    wk, wv = want
    where = f" [{context}]" if context else ""
    if wk == "ok":
        assert gk == "ok", f"embedis raised {type(gv).__name__}({gv!s}) where redis returned {wv!r}{where}"
        assert gv == wv, f"embedis returned {gv!r} where redis returned {wv!r}{where}"
        assert type(gv) is type(wv), f"embedis returned {type(gv)} where redis returned {type(wv)}{where}"
    else:
        assert gk == "err", f"embedis returned {gv!r} where redis raised {type(wv).__name__}({wv!s}){where}"
        assert isinstance(gv, type(wv)), (
            f"embedis raised {type(gv).__module__}.{type(gv).__name__}({gv!s}) where redis raised "
            f"{type(wv).__module__}.{type(wv).__name__}({wv!s}){where}"
        )
        assert str(gv) == str(wv), f"message {str(gv)!r} != redis's {str(wv)!r}{where}"


class Waiter(threading.Thread):
    """Runs one blocking call in a thread and keeps its result (or exception) and when it
    returned."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(daemon=True)
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.result: Any = None
        self.error: BaseException | None = None
        self.done_at: float | None = None

    def run(self) -> None:
        try:
            self.result = self.fn(*self.args, **self.kwargs)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e
        self.done_at = time.perf_counter()

    def outcome(self, timeout: float = 5.0) -> Any:
        """The call's result (or its exception, raised), once it returned."""
        self.join(timeout)
        assert not self.is_alive(), "the blocked call did not return"
        if self.error is not None:
            raise self.error
        return self.result


def child_env() -> dict[str, str]:
    """The environment for a child Python that must import this embedis."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p])
    return env


def interrupt_child(code: str, *argv: str, settle: float) -> tuple[list[str], float]:
    """Runs ``code`` in a child Python, waits for it to print ``ready``, then ``settle``
    seconds, and sends SIGINT. Asserts that it exits 0 having printed ``interrupted``
    first; returns the words it printed and when the signal was sent (``time.monotonic``)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env()
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ready", (line, proc.stderr.read() if proc.stderr else "")
        time.sleep(settle)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    words = out.split()
    assert proc.returncode == 0 and words and words[0] == "interrupted", (out, err)
    return words, sent


def served_while_blocked(b: embedis.Broker, blocker: Callable[[], object], feed: Callable[[], object]) -> object:
    """Runs ``blocker()`` (a blocking call on ``b`` with a long timeout) in this thread while
    another Python thread waits for it to block, runs bytecode for a while and then calls
    ``feed()``; returns what ``blocker`` returned. Only that thread can end the wait early,
    and it needs the GIL to run at all: a blocked call that kept the GIL gets nothing and
    times out."""
    t = threading.Thread(target=lambda: (wait_blocked(b, 1), sum(range(200_000)), feed()))
    t.start()
    try:
        return blocker()
    finally:
        t.join()


def wait_blocked(b: embedis.Broker, n: int) -> None:
    """Waits until ``n`` calls are blocked on the broker ``b`` (INFO's ``blocked_clients``,
    which counts in-process waiters too), so a test feeds a waiter only once it waits."""
    deadline = time.monotonic() + 30
    while (blocked := b.info("clients")["blocked_clients"]) < n:
        if time.monotonic() > deadline:
            raise AssertionError(f"only {blocked} of {n} calls blocked after 30 s")
        time.sleep(0.002)


def dump_keyspace(client, dbs: Iterable[int] = (0,)) -> dict:  # type: ignore[no-untyped-def]
    """Every key of the databases ``dbs`` with its type, value and whether it has an expiry,
    read through ``execute_command`` words only, so that the same function reads embedis
    and a ``redis.Redis`` on the real server. For comparing whole keyspaces at the end of
    a differential sequence. Leaves the client on database 0."""
    out: dict = {}
    for db in dbs:
        client.execute_command("SELECT", db)
        for key in sorted(client.execute_command("KEYS", "*")):
            kind = client.execute_command("TYPE", key)
            kind = kind.decode() if isinstance(kind, bytes) else kind
            if kind == "string":
                value: object = client.execute_command("GET", key)
            elif kind == "list":
                value = client.execute_command("LRANGE", key, 0, -1)
            elif kind == "hash":
                flat = client.execute_command("HGETALL", key)
                value = sorted(flat.items()) if isinstance(flat, dict) else sorted(zip(flat[::2], flat[1::2]))
            elif kind == "set":
                value = sorted(client.execute_command("SMEMBERS", key))
            elif kind == "zset":
                value = client.execute_command("ZRANGE", key, 0, -1, "WITHSCORES")
            elif kind == "stream":
                value = client.execute_command("XRANGE", key, "-", "+")
            else:
                value = None
            has_ttl = client.execute_command("PTTL", key) >= 0
            out[(db, key)] = (kind, value, has_ttl)
    client.execute_command("SELECT", 0)
    return out
