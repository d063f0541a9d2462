"""A handle inherited across fork refuses to work, and never touches the parent's files.

Children report through a pipe (JSON) or their exit code; scenarios that need a child to
exit *normally* (interpreter finalization, atexit hooks, garbage collection of the
inherited handles) run in a fresh interpreter started with ``subprocess``, which forks
there, so that pytest's own process never runs its exit path in a child. Every test has a
timeout: a deadlock fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import inspect
import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
import redis

import embedis
import embedis.asyncio
from embedis.exceptions import ConnectionError as EmbedisConnectionError
from embedis.exceptions import ForkedBrokerError, PersistenceError

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]


# ---- helpers ---------------------------------------------------------------------------


def tree_state(d: Path) -> dict[str, str]:
    """Every file under ``d``: relative path → sha256 of its bytes."""
    out = {}
    for p in sorted(d.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(d))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def in_child(fn: Any) -> Any:
    """Runs ``fn()`` in an ``os.fork`` child; returns what it returned (JSON through a
    pipe). The child leaves with ``os._exit``, so pytest's exit path never runs there."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            os.close(r)
            data = json.dumps({"ok": fn()})
        except BaseException as e:  # noqa: BLE001 - reported to the parent
            data = json.dumps({"error": f"{type(e).__name__}: {e}"})
            code = 1
        try:
            with os.fdopen(w, "w") as f:
                f.write(data)
        finally:
            os._exit(code)
    os.close(w)
    with os.fdopen(r) as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    got = json.loads(data)
    assert "error" not in got, got["error"]
    assert os.waitstatus_to_exitcode(status) == 0
    return got["ok"]


def run_script(code: str, *args: str, timeout: float = 90) -> dict[str, Any]:
    """Runs ``code`` in a fresh interpreter; its last stdout line is JSON, returned."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Nothing went to stderr: no panic, no "Exception ignored in" from a drop at exit.
    assert proc.stderr == "", proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines, proc.stderr
    return json.loads(lines[-1])  # type: ignore[no-any-return]


# Arguments that get past argument conversion for every method, by parameter name; the
# others get a string. A method called in a forked child must raise ForkedBrokerError
# before it looks at them.
_ARG_BY_NAME: dict[str, Any] = {
    "timeout": 1,
    "count": 1,
    "num_keys": 1,
    "numkeys": 1,
    "index": 0,
    "start": 0,
    "end": -1,
    "time": 10,
    "when": 10,
    "amount": 1,
    "hard": 0,
    "soft": 0,
    "soft_seconds": 0.0,
    "min_idle_time": 0,
    "left": True,
    "mapping": {"k": "v"},
    "fields": {"f": "v"},
    "streams": {"s": "0"},
    "message_ids": ["0-1"],
    "args": ("k",),
    "names": ("k",),
    "values": ("v",),
    "ids": ("0-1",),
    "direction": "LEFT",
    "where": "BEFORE",
}


def call_args(fn: Any, broker: Any) -> tuple[list[Any], dict[str, Any]]:
    """Plausible positional and keyword arguments for ``fn``."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return args, kwargs
    for p in params:
        if p.name == "self":
            continue
        value = broker if p.name in ("other", "broker") else _ARG_BY_NAME.get(p.name, "k")
        if p.kind is p.VAR_POSITIONAL:
            args.extend(value if isinstance(value, tuple) else (value,))
        elif p.kind is p.VAR_KEYWORD or p.default is not p.empty:
            continue
        elif p.kind is p.KEYWORD_ONLY:
            kwargs[p.name] = value
        else:
            args.append(value)
    return args, kwargs


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def outcome_of(call: Any) -> str:
    """``"forked"`` if ``call()`` raised ForkedBrokerError (awaiting it if it gives a
    coroutine or an async iterator), else what happened."""
    try:
        result = call()
        if inspect.isawaitable(result):
            result = asyncio.run(_awaited(result))
        elif inspect.isasyncgen(result):
            result = asyncio.run(result.__anext__())
        elif inspect.isgenerator(result):
            result = next(result)
        return f"returned {result!r}"[:200]
    except ForkedBrokerError as e:
        msg = str(e)
        # The message says what happened and what to do.
        if not ("fork" in msg and "serve(" in msg and "new embedis.Broker()" in msg):
            return f"unclear message: {msg}"
        return "forked"
    except BaseException as e:  # noqa: BLE001 - reported
        return f"{type(e).__name__}: {e}"[:200]


def public_methods(obj: Any, extra: tuple[str, ...] = ()) -> list[str]:
    """The callable attributes a user may call: public ones, plus ``extra``."""
    names = [n for n in dir(obj) if not n.startswith("_")] + list(extra)
    return [n for n in names if callable(getattr(type(obj), n, None))]


def every_call_outcome(obj: Any, broker: Any, extra: tuple[str, ...] = (), like: Any = None) -> dict[str, str]:
    """Calls every method of ``obj``; the arguments follow the signature of the method of
    the same name of ``like`` when it has one (the asyncio twins forward ``*args``)."""
    out = {}
    for name in public_methods(obj, extra):
        method = getattr(obj, name)
        args, kwargs = call_args(getattr(like, name, method), broker)
        out[name] = outcome_of(lambda m=method, a=args, k=kwargs: m(*a, **k))
    return out


DUNDERS = ("__enter__", "__exit__")


# ---- every method of every inherited handle ------------------------------------------


def test_every_method_of_an_inherited_sync_broker_raises(tmp_path: Path) -> None:
    b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync="always")
    b.lpush("q", "parent")
    spec = b._command_spec("BLPOP", "nothing", 1)  # a blocking call's spec, made before

    def child() -> dict[str, Any]:
        out = every_call_outcome(b, b, extra=DUNDERS + ("_sync_persistence", "_bpop", "_command_spec"))
        out["property db"] = outcome_of(lambda: b.db)
        out["property decode_responses"] = outcome_of(lambda: b.decode_responses)
        out["Broker(broker=inherited)"] = outcome_of(lambda: embedis.Broker(broker=b))
        out["spec.try_now"] = outcome_of(spec.try_now)
        out["spec.wait"] = outcome_of(spec.wait)
        return {"outcomes": out, "repr": repr(b)}

    got = in_child(child)
    wrong = {k: v for k, v in got["outcomes"].items() if v != "forked"}
    assert not wrong, wrong
    # Many methods were really tried (the list follows the class, new methods included).
    assert {"lpush", "rpop", "blpop", "save", "bgsave", "execute_command", "pubsub", "serve", "close"} <= set(got["outcomes"])
    assert len(got["outcomes"]) > 90
    assert "across fork" in got["repr"]
    # The parent's handle goes on as before.
    assert b.lrange("q", 0, -1) == [b"parent"]
    assert b.lpush("q", "again") == 2


def test_every_method_of_an_inherited_asyncio_broker_raises() -> None:
    ab = embedis.asyncio.Broker()
    asyncio.run(ab.lpush("q", "parent"))

    def child() -> dict[str, str]:
        out = every_call_outcome(ab, ab, extra=("__aenter__", "__aexit__"), like=embedis.Broker)
        out["asyncio.Broker(broker=inherited)"] = outcome_of(lambda: embedis.asyncio.Broker(broker=ab))
        out["property sync"] = outcome_of(lambda: ab.sync)
        return out

    got = in_child(child)
    wrong = {k: v for k, v in got.items() if v != "forked"}
    assert not wrong, wrong
    assert {"lpush", "blpop", "xread", "execute_command", "pubsub", "aclose", "save"} <= set(got)
    assert asyncio.run(ab.rpop("q")) == b"parent"


def test_every_method_of_an_inherited_pubsub_raises() -> None:
    b = embedis.Broker()
    p = b.pubsub()
    p.subscribe("news")
    ap = embedis.asyncio.Broker(broker=b).pubsub()
    asyncio.run(ap.subscribe("news"))

    def child() -> dict[str, str]:
        out = {f"sync {k}": v for k, v in every_call_outcome(p, b, extra=DUNDERS + ("_try_next",)).items()}
        out.update({f"async {k}": v for k, v in every_call_outcome(ap, b, extra=("__aenter__", "__aexit__")).items()})
        for name in ("channels", "patterns", "subscribed", "ignore_subscribe_messages"):
            out[f"sync property {name}"] = outcome_of(lambda n=name: getattr(p, n))
            out[f"async property {name}"] = outcome_of(lambda n=name: getattr(ap, n))
        out["listen"] = outcome_of(lambda: next(iter(p.listen())))
        return out

    got = in_child(child)
    wrong = {k: v for k, v in got.items() if v != "forked"}
    assert not wrong, wrong
    assert {"sync subscribe", "sync get_message", "sync run_in_thread", "async get_message", "async run"} <= set(got)
    # The parent's subscription still works.
    assert b.publish("news", "hello") == 2
    msgs = [p.get_message(timeout=5) for _ in range(2)]
    assert msgs[1] is not None and msgs[1]["data"] == b"hello"


def test_every_method_of_an_inherited_server_handle_raises(tmp_path: Path) -> None:
    b = embedis.Broker()
    sock = str(tmp_path / "s.sock")
    server = b.serve(unixsocket=sock, port=None)
    try:

        def child() -> dict[str, Any]:
            out = every_call_outcome(server, b, extra=DUNDERS)
            for name in ("running", "port", "address", "unixsocket", "connected_clients"):
                out[f"property {name}"] = outcome_of(lambda n=name: getattr(server, n))
            # The documented way for a forked child: connect to the parent's server.
            r = redis.Redis(unix_socket_path=sock)
            r.lpush("q", "from child")
            r.close()
            return {"outcomes": out, "repr": repr(server)}

        got = in_child(child)
        wrong = {k: v for k, v in got["outcomes"].items() if v != "forked"}
        assert not wrong, wrong
        assert {"stop", "wait", "__enter__", "__exit__"} <= set(got["outcomes"])
        assert "across fork" in got["repr"]
        # The parent's server still serves, and saw the child's push.
        assert server.running
        assert b.rpop("q") == b"from child"
        r = redis.Redis(unix_socket_path=sock)
        assert r.ping() is True
        r.close()
    finally:
        server.stop()


def test_forked_broker_error_is_a_connection_error() -> None:
    assert issubclass(ForkedBrokerError, EmbedisConnectionError)
    assert issubclass(ForkedBrokerError, redis.exceptions.ConnectionError)
    assert embedis.ForkedBrokerError is ForkedBrokerError
    assert "serve" in (ForkedBrokerError.__doc__ or "")


# ---- the parent's files --------------------------------------------------------------

# Opens a broker on argv[1] with the options named by argv[2], writes, makes everything
# durable, forks; the child tries every kind of write and persistence call, then exits as
# argv[3] says, its handles still alive (so its exit path drops them). The parent checks
# that its files did not change, that its directory is still locked, then writes more and
# reopens: the AOF/snapshot hold the parent's data only. Prints one JSON line.
FILES_SCENARIO = r"""
import asyncio, atexit, gc, hashlib, json, os, sys
from pathlib import Path
import embedis, embedis.asyncio

d, options, exit_how, with_server = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == "server"
# Save rules that never fire during the test: the parent has unsaved changes at the fork,
# which a child's drop path must not snapshot.
OPTIONS = {
    "aof-always": dict(appendonly=True, appendfsync="always", save=[]),
    "aof-everysec-save": dict(appendonly=True, appendfsync="everysec", save=[(3600, 1)]),
    "snapshot": dict(appendonly=False, save=[(3600, 1)]),
}[options]

def tree(d):
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}

b = embedis.Broker(dir=d, **OPTIONS)
b.rpush("q", "p1", "p2")
b.set("k", "parent")
b._sync_persistence()    # nothing buffered: the parent writes nothing while the child runs
class NoServer:  # stands in for the server handle in the runs without one
    running = True
    def stop(self):
        if os.getpid() != PARENT:
            raise embedis.ForkedBrokerError("(no server in this run)")
PARENT = os.getpid()
server = b.serve(unixsocket=str(d.parent / "s.sock"), port=None) if with_server else NoServer()
p = b.pubsub(); p.subscribe("ch")
ab = embedis.asyncio.Broker(broker=b)
before = tree(d)

r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    refused = 0
    attempts = [
        lambda: b.rpush("q", "child"), lambda: b.set("k", "child"), lambda: b.flushall(),
        lambda: b.save(), lambda: b.bgsave(), lambda: b.bgrewriteaof(), lambda: b.close(),
        lambda: b._sync_persistence(), lambda: b.execute_command("RPUSH", "q", "child"),
        lambda: b.execute_command("CONFIG", "SET", "appendonly", "no"),
        lambda: asyncio.run(ab.rpush("q", "child")), lambda: asyncio.run(ab.aclose()),
        lambda: p.close(), lambda: server.stop(), lambda: b.__exit__(None, None, None),
    ]
    for attempt in attempts:
        try:
            attempt()
        except embedis.ForkedBrokerError:
            refused += 1
    os.write(w, json.dumps({"refused": refused, "attempts": len(attempts)}).encode())
    os.close(w)
    if exit_how == "os._exit":
        os._exit(0)
    if exit_how == "gc":
        del b, p, ab, server
        gc.collect()
    # "normal" (and "gc" after it): the interpreter's own exit path, with an atexit hook
    # that uses nothing, and whatever handles remain dropped by finalization.
    atexit.register(lambda: None)
    sys.exit(0)

os.close(w)
child = json.loads(os.read(r, 4096).decode())
_, status = os.waitpid(pid, 0)
after = tree(d)

# The directory is still locked by this process: the child's exit released nothing.
try:
    embedis.Broker(dir=d, **OPTIONS)
    still_locked = False
except embedis.PersistenceError as e:
    still_locked = "in use by another embedis broker" in str(e)

served = server.running
b.rpush("q", "p3")
state = {"q": [x.decode() for x in b.lrange("q", 0, -1)], "k": b.get("k").decode()}
server.stop()
p.close()
del b, p, ab, server
gc.collect()
again = embedis.Broker(dir=d, **OPTIONS)
reopened = {"q": [x.decode() for x in again.lrange("q", 0, -1)], "k": again.get("k").decode()}
print(json.dumps({
    "child": child, "child_exit": os.waitstatus_to_exitcode(status),
    "unchanged": before == after, "before": before, "after": after,
    "still_locked": still_locked, "served": served, "state": state, "reopened": reopened,
}))
"""


@pytest.mark.parametrize("server", ["server", "noserver"])
@pytest.mark.parametrize("exit_how", ["os._exit", "normal", "gc"])
@pytest.mark.parametrize("options", ["aof-always", "aof-everysec-save", "snapshot"])
def test_a_forked_child_never_writes_the_parents_files(tmp_path: Path, options: str, exit_how: str, server: str) -> None:
    d = tmp_path / "data"
    got = run_script(FILES_SCENARIO, str(d), options, exit_how, server)
    assert got["child"]["refused"] == got["child"]["attempts"], got["child"]
    assert got["child_exit"] == 0
    assert got["unchanged"], (got["before"], got["after"])
    assert got["before"], "the parent had written files"
    assert got["still_locked"]
    assert got["served"]
    want = {"q": ["p1", "p2", "p3"], "k": "parent"}
    assert got["state"] == want
    # What the files replay is the parent's state only (no trace of the child's writes).
    assert got["reopened"] == want


def test_the_parent_releases_its_directory_while_a_forked_child_lives(tmp_path: Path) -> None:
    # The child holds a copy of the lock file's descriptor; closing the parent's own
    # would not release the flock while that copy lives, so the owner unlocks explicitly.
    b = embedis.Broker(dir=tmp_path, appendonly=True)
    b.lpush("q", "a")
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child waits for the parent, touching nothing
        os.close(go_w)
        os.read(go_r, 1)
        os._exit(0)
    os.close(go_r)
    try:
        with pytest.raises(PersistenceError, match="in use by another embedis broker"):
            embedis.Broker(dir=tmp_path, appendonly=True)
        del b
        gc.collect()
        again = embedis.Broker(dir=tmp_path, appendonly=True)
        assert again.lrange("q", 0, -1) == [b"a"]
        del again
        gc.collect()
    finally:
        os.write(go_w, b"x")
        os.close(go_w)
        os.waitpid(pid, 0)


def test_a_new_broker_in_a_forked_child_works_with_persistence(tmp_path: Path) -> None:
    parent = embedis.Broker(dir=tmp_path / "parent", appendonly=True, appendfsync="always")
    parent.lpush("q", "p")
    before = tree_state(tmp_path / "parent")

    def child() -> dict[str, Any]:
        # Its log lines reach `logging` (the parent's log thread is not in the child).
        logged = threading.Event()

        class Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if "saved to" in record.getMessage():
                    logged.set()

        logger = logging.getLogger("embedis.persistence")
        logger.setLevel(logging.INFO)
        logger.addHandler(Handler())
        mine = embedis.Broker(dir=tmp_path / "child", appendonly=True, appendfsync="always")
        mine.rpush("q", "c1", "c2")
        mine.save()
        mem = embedis.Broker()
        mem.set("x", "1")
        got = {"q": [x.decode() for x in mine.lrange("q", 0, -1)], "x": mem.get("x").decode()}
        got["logged"] = logged.wait(30)
        mine.close()
        del mine
        gc.collect()
        # Its own directory is released at the drop, and reopens with its data.
        again = embedis.Broker(dir=tmp_path / "child", appendonly=True)
        got["reopened"] = [x.decode() for x in again.lrange("q", 0, -1)]
        del again
        gc.collect()
        return got

    assert in_child(child) == {"q": ["c1", "c2"], "x": "1", "logged": True, "reopened": ["c1", "c2"]}
    assert tree_state(tmp_path / "parent") == before
    assert parent.lrange("q", 0, -1) == [b"p"]


def test_a_grandchild_is_refused_too_and_its_parents_new_broker_works() -> None:
    def child() -> dict[str, str]:
        mine = embedis.Broker()
        mine.set("k", "child")

        def grandchild() -> str:
            return outcome_of(lambda: mine.get("k"))

        return {"grandchild": in_child(grandchild), "child": mine.get("k").decode()}

    assert in_child(child) == {"grandchild": "forked", "child": "child"}


# ---- multiprocessing -----------------------------------------------------------------

MP_SCENARIO = r"""
import gc, hashlib, json, multiprocessing, os, sys
from pathlib import Path
import redis
import embedis

def tree(d):
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}

BROKER = None  # set in the parent before the workers start (inherited only by fork)

def use_inherited(conn):
    try:
        BROKER.rpush("q", "child")
        conn.send("not refused")
    except embedis.ForkedBrokerError as e:
        conn.send("refused" if "fork" in str(e) else str(e))

def own_broker(conn, d, sock):
    mine = embedis.Broker(dir=d, appendonly=True, appendfsync="always")
    mine.rpush("q", "own")
    r = redis.Redis(unix_socket_path=sock)
    r.rpush("q", "via socket")
    r.close()
    conn.send([x.decode() for x in mine.lrange("q", 0, -1)])

def main(method, persist, tmp):
    global BROKER
    tmp = Path(tmp)
    ctx = multiprocessing.get_context(method)
    opts = dict(dir=tmp / "parent", appendonly=True, appendfsync="always") if persist == "persist" else {}
    BROKER = embedis.Broker(**opts)
    BROKER.rpush("q", "parent")
    server = BROKER.serve(unixsocket=str(tmp / "s.sock"), port=None)
    before = tree(tmp / "parent") if opts else {}
    out = {}
    if method == "fork":
        a, b = ctx.Pipe()
        p = ctx.Process(target=use_inherited, args=(b,))
        p.start(); out["inherited"] = a.recv(); p.join(60); out["inherited_exit"] = p.exitcode
    else:
        # Nothing is inherited: a broker cannot even be handed over.
        try:
            ctx.Process(target=use_inherited, args=(BROKER,)).start()
            out["pickled"] = "started"
        except TypeError as e:
            out["pickled"] = "TypeError"
    out["unchanged"] = (tree(tmp / "parent") if opts else {}) == before
    # A child with a broker of its own, which also reaches the parent's through the socket.
    a, b = ctx.Pipe()
    p = ctx.Process(target=own_broker, args=(b, str(tmp / "child"), str(tmp / "s.sock")))
    p.start(); out["own"] = a.recv(); p.join(60); out["own_exit"] = p.exitcode
    out["parent"] = [x.decode() for x in BROKER.lrange("q", 0, -1)]
    server.stop()
    print(json.dumps(out))

if __name__ == "__main__":
    main(*sys.argv[1:])
"""


@pytest.mark.parametrize("persist", ["persist", "memory"])
@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_multiprocessing_children(tmp_path: Path, method: str, persist: str) -> None:
    script = tmp_path / "mp_scenario.py"
    script.write_text(MP_SCENARIO)
    proc = subprocess.run(
        [sys.executable, str(script), method, persist, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    if method == "fork":
        assert got["inherited"] == "refused"
        assert got["inherited_exit"] == 0
    else:
        assert got["pickled"] == "TypeError"
    assert got["own"] == ["own"]
    assert got["own_exit"] == 0
    assert got["unchanged"]
    # The parent has its own data and what the child sent through the socket.
    assert got["parent"] == ["parent", "via socket"]


# ---- the documented pattern ----------------------------------------------------------


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_the_multiprocess_queue_example_runs(method: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "multiprocess_queue.py"), "--start-method", method],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "200 jobs done" in proc.stdout and proc.stdout.strip().endswith("ok"), proc.stdout


def test_a_new_broker_in_a_forked_child_shows_the_childs_pid_to_its_monitors() -> None:
    # In-process calls appear as `python:<pid>`; a child's own broker names the child.
    embedis.Broker().lpush("warm", "up")  # the parent's origin exists before the fork

    def child() -> Any:
        b = embedis.Broker()
        b.config_set("slowlog-log-slower-than", 0)
        b.lpush("q", "x")
        return {"pid": os.getpid(), "address": b.slowlog_get(1)[0]["client_address"].decode()}

    got = in_child(child)
    assert got["address"] == f"python:{got['pid']}"
    assert got["pid"] != os.getpid()
