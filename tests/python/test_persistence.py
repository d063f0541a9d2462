"""Persistence through the Python API: configuration with Redis's names, restarts, the
directory lock, check-aof, crashes (SIGKILL of a child writing with appendfsync=always),
and interoperability with redis-server, redis-check-aof and redis-cli --pipe.

The crash test mixes list pushes, pops, moves and BRPOP with stream adds, group reads
(XREADGROUP) and acks (XACK), through ``execute_command`` for the stream commands.
"""

from __future__ import annotations

import datetime
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import embedis
from embedis.__main__ import main as cli

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
REDIS_CHECK_AOF = shutil.which("redis-check-aof") or "/usr/bin/redis-check-aof"
HAVE_REDIS = all(os.path.exists(p) for p in (REDIS_SERVER, REDIS_CLI, REDIS_CHECK_AOF))
needs_redis = pytest.mark.skipif(
    not HAVE_REDIS and os.environ.get("EMBEDIS_SKIP_REDIS") == "1", reason="redis tools not installed"
)


def dump(b: embedis.Broker) -> dict[tuple[int, bytes], Any]:
    """Every key of every database with its value and whether it has a TTL."""
    out: dict[tuple[int, bytes], Any] = {}
    for db in range(16):
        h = embedis.Broker(broker=b, db=db)
        for k in h.keys("*"):
            t = h.type(k)
            if t == b"list":
                v: Any = h.lrange(k, 0, -1)
            elif t == b"stream":
                groups = h.execute_command("XINFO", "GROUPS", k)
                pending = h.execute_command("XPENDING", k, "g") if groups else None
                v = repr((h.execute_command("XRANGE", k, "-", "+"), groups, pending))
            else:
                v = h.get(k)
            out[(db, k)] = (t, v, h.ttl(k) >= 0)
    return out


def aof_dir(d: Path) -> Path:
    return d / "appendonlydir"


def incr_files(d: Path) -> list[Path]:
    return sorted(aof_dir(d).glob("*.incr.aof"), key=lambda p: int(p.name.split(".")[-3]))


# ---- configuration, restart, lock ---------------------------------------------------------


@pytest.mark.parametrize("fsync", ["always", "everysec", "no"])
def test_aof_survives_restart(tmp_path: Path, fsync: str) -> None:
    b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync=fsync, save=[])
    b.rpush("q", "a", "b", "c")
    b.lpop("q")
    b.set("s", "v", ex=1000)
    b.lmove("q", "dst", "LEFT", "RIGHT")
    embedis.Broker(broker=b, db=4).rpush("other", "x")
    want = dump(b)
    del b
    b2 = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync=fsync, save=[])
    assert dump(b2) == want
    assert b2.info("persistence")["aof_enabled"] == 1


def test_asyncio_broker_takes_the_persistence_keywords(tmp_path: Path) -> None:
    import asyncio

    import embedis.asyncio

    async def write() -> None:
        b = embedis.asyncio.Broker(dir=tmp_path, appendonly=True, appendfsync="always", save=[])
        await b.rpush("q", "a", "b")
        await b.xadd("s", {"f": "v"}, id="1-1")
        # SAVE runs in a worker thread: another task makes progress meanwhile.
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        t = asyncio.create_task(ticker())
        assert await b.save() is True
        t.cancel()
        assert ticks > 0
        assert (await b.info("persistence"))["aof_enabled"] == 1
        with pytest.raises(embedis.PersistenceError, match="in use by another embedis broker"):
            embedis.asyncio.Broker(dir=tmp_path)

    asyncio.run(write())
    b2 = embedis.Broker(dir=tmp_path, appendonly=True, save=[])
    assert b2.lrange("q", 0, -1) == [b"a", b"b"]
    assert b2.xrange("s") == [(b"1-1", {b"f": b"v"})]


def test_close_makes_writes_durable_and_the_broker_stays_usable(tmp_path: Path) -> None:
    b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync="no", save=[])
    b.rpush("q", "closing-marker")
    b.close()
    # Written to the file by close() itself, not by the writer thread's next round.
    assert any(b"closing-marker" in p.read_bytes() for p in incr_files(tmp_path))
    b.rpush("q", "after")
    assert b.lrange("q", 0, -1) == [b"closing-marker", b"after"]
    with b:
        pass  # __exit__ closes too


def test_snapshot_survives_restart_and_lastsave(tmp_path: Path) -> None:
    b = embedis.Broker(dir=tmp_path, save=[])
    before = b.lastsave()
    assert isinstance(before, datetime.datetime)
    b.rpush("q", *[f"m{i}" for i in range(1000)])
    time.sleep(1.1)
    assert b.save() is True
    assert b.lastsave() > before
    assert (tmp_path / "dump.edb").exists()
    info = b.info("persistence")
    assert info["rdb_saves"] == 1
    assert info["rdb_changes_since_last_save"] == 0
    b.rpush("q", "not saved")  # no save rules: lost at restart, as in Redis
    del b
    b2 = embedis.Broker(dir=tmp_path, save=[])
    assert b2.llen("q") == 1000


def test_save_rules_take_snapshots_by_themselves(tmp_path: Path) -> None:
    b = embedis.Broker(dir=tmp_path, save=[(1, 1)])
    b.rpush("q", "x")
    deadline = time.monotonic() + 5
    while b.info()["rdb_saves"] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert b.info()["rdb_saves"] >= 1
    assert (tmp_path / "dump.edb").exists()


def test_shutdown_saves_when_save_rules_are_set(tmp_path: Path) -> None:
    b = embedis.Broker(dir=tmp_path)  # Redis's default save rules
    b.rpush("q", "x")
    del b
    assert embedis.Broker(dir=tmp_path).lrange("q", 0, -1) == [b"x"]


def test_second_broker_on_a_directory_gets_a_clear_error(tmp_path: Path) -> None:
    b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync="always")
    b.rpush("q", "a")
    files_before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.name != "embedis.lock"}
    with pytest.raises(embedis.PersistenceError, match="in use by another embedis broker"):
        embedis.Broker(dir=tmp_path, appendonly=True)
    # Another process too.
    code = f"import embedis; embedis.Broker(dir={str(tmp_path)!r}, appendonly=True)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "PersistenceError" in proc.stderr and f"(process {os.getpid()})" in proc.stderr
    files_after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.name != "embedis.lock"}
    assert files_after == files_before
    b.rpush("q", "b")
    del b
    assert embedis.Broker(dir=tmp_path, appendonly=True).lrange("q", 0, -1) == [b"a", b"b"]


def test_handles_share_one_persistence(tmp_path: Path) -> None:
    b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync="always", save=[])
    other = embedis.Broker(broker=b, db=2, decode_responses=True)
    other.rpush("q", "through the other handle")
    assert other.info("persistence")["aof_enabled"] == 1
    with pytest.raises(ValueError):
        embedis.Broker(broker=b, dir=tmp_path)
    del b
    # The directory stays locked while any handle lives.
    with pytest.raises(embedis.PersistenceError):
        embedis.Broker(dir=tmp_path)
    del other
    b2 = embedis.Broker(dir=tmp_path, appendonly=True, db=2)
    assert b2.lrange("q", 0, -1) == [b"through the other handle"]


def test_del_then_reopen_at_once_many_times(tmp_path: Path) -> None:
    # The last handle's drop releases the directory before `del` returns: no gc, no
    # retry, no sleep. Each round also leaves the persistence's threads busy at the drop
    # (a write for the AOF writer; a BGSAVE in flight in some rounds).
    for rnd in range(60):
        fsync = ("always", "everysec", "no")[rnd % 3]
        b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync=fsync, save=[] if rnd % 2 else [(3600, 1)])
        assert b.llen("q") == rnd
        b.rpush("q", rnd)
        if rnd % 4 == 3:
            b.bgsave()
        del b
    assert embedis.Broker(dir=tmp_path, appendonly=True).llen("q") == 60


@pytest.mark.parametrize("point", ["cron", "bgsave"])
def test_del_releases_the_directory_while_a_persistence_thread_holds_the_broker(tmp_path: Path, point: str) -> None:
    # A test hook stops the cron thread inside a tick (or a BGSAVE before its snapshot),
    # holding its reference to the broker, exactly when the user's last handle goes.
    from embedis._embedis import _hold_persistence_thread

    b = embedis.Broker(dir=tmp_path, appendonly=True, save=[(3600, 1)])
    b.rpush("q", "a")
    hold = _hold_persistence_thread(point, tmp_path)
    if point == "bgsave":
        b.bgsave()
    hold.wait_held()
    b.rpush("q", "b")
    del b
    try:
        b2 = embedis.Broker(dir=tmp_path, appendonly=True, save=[(3600, 1)])
    finally:
        hold.release()
    assert b2.lrange("q", 0, -1) == [b"a", b"b"]


def test_del_of_a_broker_and_its_stopped_server_releases_the_directory(tmp_path: Path) -> None:
    b = embedis.Broker(dir=tmp_path, appendonly=True, save=[])
    s = b.serve(port=0)
    b.rpush("q", "a")
    s.stop()
    del s
    del b
    assert embedis.Broker(dir=tmp_path, appendonly=True).lrange("q", 0, -1) == [b"a"]


def test_bad_configuration_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        embedis.Broker(appendonly=True)  # no dir
    with pytest.raises(ValueError):
        embedis.Broker(dir=tmp_path, appendfsync="sometimes")
    with pytest.raises(ValueError):
        embedis.Broker(dir=tmp_path, dbfilename="../x")
    with pytest.raises(embedis.PersistenceError):
        embedis.Broker().save()


def test_bgsave_and_bgrewriteaof_run_beside_writers(tmp_path: Path) -> None:
    b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync="everysec", save=[])
    b.rpush("q", *[f"m{i}" for i in range(50_000)])
    assert b.bgsave() is True
    assert b.bgrewriteaof() is True
    for i in range(2000):
        b.rpush("q", f"during{i}")
        b.lpop("q")
    b._sync_persistence()
    info = b.info("persistence")
    assert info["rdb_last_bgsave_status"] == "ok" and info["aof_last_bgrewrite_status"] == "ok"
    assert info["aof_rewrites"] == 1 and info["rdb_saves"] == 1
    manifest = (aof_dir(tmp_path) / "appendonly.aof.manifest").read_text()
    assert manifest.splitlines()[0].startswith("file appendonly.aof.1.base.edb seq 1 type b")
    want = dump(b)
    del b
    assert dump(embedis.Broker(dir=tmp_path, appendonly=True, save=[])) == want


def test_bgsave_twice_is_refused_with_redis_text(tmp_path: Path) -> None:
    b = embedis.Broker(dir=tmp_path, save=[])
    b.rpush("q", *[b"x" * 100] * 200_000)
    b.bgsave()
    with pytest.raises(embedis.ResponseError, match="Background save already in progress"):
        b.bgsave()
    b._sync_persistence()


def test_bgrewriteaof_with_the_aof_off_leaves_a_base_for_a_later_appendonly_start(tmp_path: Path) -> None:
    # Redis 7: the rewrite writes a base and a manifest naming it alone; nothing after it
    # is recorded while the AOF stays off.
    b = embedis.Broker(dir=tmp_path, save=[])
    b.rpush("q", "a", "b")
    assert b.bgrewriteaof() is True
    b._sync_persistence()
    manifest = (tmp_path / "appendonlydir" / "appendonly.aof.manifest").read_text()
    assert manifest.split() == ["file", "appendonly.aof.1.base.edb", "seq", "1", "type", "b"]
    b.rpush("q", "c")
    b.close()
    del b
    assert embedis.Broker(dir=tmp_path, appendonly=True, save=[]).lrange("q", 0, -1) == [b"a", b"b"]


def test_automatic_rewrite_on_growth(tmp_path: Path) -> None:
    b = embedis.Broker(
        dir=tmp_path, appendonly=True, save=[], auto_aof_rewrite_percentage=100, auto_aof_rewrite_min_size=10_000
    )
    for i in range(2000):
        b.rpush("q", f"message {i}")
        b.lpop("q")
    deadline = time.monotonic() + 5
    while b.info()["aof_rewrites"] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert b.info()["aof_rewrites"] >= 1
    b._sync_persistence()
    assert b.info()["aof_current_size"] < 10_000


# ---- torn tails, damage, check-aof ----------------------------------------------------------


def _write_some(tmp_path: Path, n: int = 20) -> Path:
    b = embedis.Broker(dir=tmp_path, appendonly=True, appendfsync="always", save=[])
    for i in range(n):
        b.rpush("q", f"value-{i}")
    del b
    return incr_files(tmp_path)[-1]


def test_torn_tail_is_cut_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    incr = _write_some(tmp_path)
    data = incr.read_bytes()
    incr.write_bytes(data[:-7])
    with caplog.at_level(logging.WARNING, logger="embedis.persistence"):
        b = embedis.Broker(dir=tmp_path, appendonly=True, save=[])
    assert b.llen("q") == 19
    record_len = len(b"*3\r\n$5\r\nRPUSH\r\n$1\r\nq\r\n$8\r\nvalue-19\r\n")
    assert any(f"cut {record_len - 7} bytes" in r.getMessage() for r in caplog.records), caplog.text


def test_damage_in_the_middle_stops_loading_and_check_aof_says_what_it_would_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    incr = _write_some(tmp_path)
    data = bytearray(incr.read_bytes())
    at = data.index(b"value-10") - 4  # the "$8" of value-10's length line
    data[at] = ord("#")
    incr.write_bytes(bytes(data))
    with pytest.raises(embedis.PersistenceError) as e:
        embedis.Broker(dir=tmp_path, appendonly=True, save=[])
    assert str(incr) in str(e.value) and f"offset {at}" in str(e.value)
    assert incr.read_bytes() == bytes(data), "a damaged file is left as it was"

    assert cli(["check-aof", str(incr)]) == 1
    out = capsys.readouterr().out
    assert f"damage at offset {at}" in out and f"would cut {len(data) - at} bytes" in out

    assert cli(["check-aof", "--fix", str(incr)]) == 0
    assert len(incr.read_bytes()) == at
    b = embedis.Broker(dir=tmp_path, appendonly=True, save=[])
    assert b.llen("q") == 10


def test_check_aof_reports_a_torn_tail_and_a_valid_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    incr = _write_some(tmp_path, 3)
    assert cli(["check-aof", str(aof_dir(tmp_path) / "appendonly.aof.manifest")]) == 0
    assert "is valid" in capsys.readouterr().out
    incr.write_bytes(incr.read_bytes()[:-3])
    assert cli(["check-aof", str(incr)]) == 1
    assert "torn tail" in capsys.readouterr().out
    proc = subprocess.run([sys.executable, "-m", "embedis", "check-aof", str(incr)], capture_output=True, text=True)
    assert proc.returncode == 1 and "would cut" in proc.stdout


def test_flipped_snapshot_bytes_are_detected(tmp_path: Path) -> None:
    b = embedis.Broker(dir=tmp_path, save=[])
    b.rpush("q", *[f"m{i}" for i in range(100)])
    b.set("s", "v")
    b.save()
    del b
    path = tmp_path / "dump.edb"
    good = path.read_bytes()
    rng = random.Random(5)
    for at in sorted(rng.sample(range(len(good)), 40)):
        bad = bytearray(good)
        bad[at] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(bad))
        with pytest.raises(embedis.PersistenceError, match="dump.edb is damaged at offset"):
            embedis.Broker(dir=tmp_path, save=[])
    path.write_bytes(good)
    assert embedis.Broker(dir=tmp_path, save=[]).llen("q") == 100


# ---- crash: SIGKILL at random moments ---------------------------------------------------------

OPS = """
def step(b, op):
    k = "a" if op % 3 else "b"
    r = op % 9
    if op == 0:
        b.execute_command("XGROUP", "CREATE", "s", "g", "0", "MKSTREAM")
    if r in (0, 1, 2):
        b.lpush(k, f"v{op}")
    elif r == 3:
        b.rpop(k)
    elif r == 4:
        b.lmove(k, "c", "RIGHT", "LEFT")
    elif r == 5:
        b.brpop(["c", k], timeout=0.001)
    elif r == 6:
        b.execute_command("XADD", "s", f"{op}-1", "f", f"v{op}")
    elif r == 7:
        b.execute_command("XREADGROUP", "GROUP", "g", f"c{op % 2}", "COUNT", "1", "STREAMS", "s", ">")
    else:
        b.execute_command("XACK", "s", "g", f"{max(op - 11, 1)}-1")
"""

CHILD = OPS + textwrap.dedent(
    """
    import sys, embedis
    b = embedis.Broker(dir=sys.argv[1], appendonly=True, appendfsync="always", save=[])
    seed, start = int(sys.argv[2]), int(sys.argv[3])
    out = sys.stdout
    print("ready", flush=True)
    op = start
    while True:
        step(b, op)
        if op % 500 == seed % 500:
            b.bgrewriteaof() if not b.info()["aof_rewrite_in_progress"] else None
        out.write(f"{op}\\n")
        out.flush()
        op += 1
    """
)

_ops: dict[str, Any] = {}
exec(OPS, _ops)


def replay(n: int) -> dict[tuple[int, bytes], Any]:
    b = embedis.Broker()
    for op in range(n):
        _ops["step"](b, op)
    return dump(b)


def test_sigkill_never_loses_an_acknowledged_write(tmp_path: Path) -> None:
    rng = random.Random(1234)
    acked = 0
    rounds = 24
    for rnd in range(rounds):
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path), str(rng.randrange(1_000_000)), str(acked)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.01, 0.25))
        os.kill(proc.pid, signal.SIGKILL)
        lines = proc.stdout.read().split()
        proc.wait()
        if lines:
            acked = int(lines[-1]) + 1
        b = embedis.Broker(dir=tmp_path, appendonly=True, save=[])
        got = dump(b)
        del b
        # Every acknowledged op is there; the op in flight may or may not be.
        if got != replay(acked):
            assert got == replay(acked + 1), f"round {rnd}: state is neither {acked} nor {acked + 1} ops"
            acked += 1
    assert acked > rounds


# ---- interoperability with redis-server ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    def __init__(self, workdir: Path, *extra: str) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(workdir), "--save", "", *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        self.client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.client.ping():
                    break
            except redis.exceptions.BusyLoadingError:
                pass
            except redis.exceptions.ConnectionError:
                if self.proc.poll() is not None:
                    raise RuntimeError("redis-server exited") from None
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def redis_in(tmp_path: Path) -> Iterator[Any]:
    servers: list[RedisServer] = []

    def start(workdir: Path, *extra: str) -> RedisServer:
        s = RedisServer(workdir, *extra)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


def redis_dump(client: Any) -> dict[tuple[int, bytes], Any]:
    out: dict[tuple[int, bytes], Any] = {}
    for db in range(16):
        client.select(db)
        for k in client.keys("*"):
            t = client.type(k)
            v = client.lrange(k, 0, -1) if t == b"list" else client.get(k)
            out[(db, k)] = (t, v, client.ttl(k) >= 0)
    client.select(0)
    return out


def _busy_workload(b: embedis.Broker) -> None:
    b.rpush("q", *[f"job-{i}" for i in range(300)])
    for _ in range(100):
        b.lmove("q", "processing", "LEFT", "RIGHT")
    b.lrem("processing", 0, "job-5")
    b.brpop("q", timeout=0.01)
    b.set("counter", 5)
    b.incrby("counter", 10)
    b.set("ttl", "v", ex=3600)
    b.expire("q", 7200)
    embedis.Broker(broker=b, db=3).lpush("other-db", "x", "y")
    b.rpush("gone", "1")
    b.delete("gone")


@needs_redis
def test_redis_check_aof_accepts_the_incr_file_and_redis_replays_it(tmp_path: Path, redis_in: Any) -> None:
    d = tmp_path / "embedis"
    b = embedis.Broker(dir=d, appendonly=True, appendfsync="always", save=[])
    _busy_workload(b)
    want = dump(b)
    del b
    incr = incr_files(d)[-1]
    check = subprocess.run([REDIS_CHECK_AOF, str(incr)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "is valid" in check.stdout
    manifest = aof_dir(d) / "appendonly.aof.manifest"
    # The manifest's format is Redis's: redis-check-aof parses it (and checks the incr file;
    # our .base.edb is not RDB, so it is checked by embedis's own check-aof instead).
    server = redis_in(tmp_path)
    with incr.open("rb") as f:
        pipe = subprocess.run([REDIS_CLI, "-p", str(server.port), "--pipe"], stdin=f, capture_output=True, text=True, timeout=60)
    assert pipe.returncode == 0, pipe.stdout + pipe.stderr
    assert "errors: 0" in pipe.stdout, pipe.stdout
    assert redis_dump(server.client) == want
    assert manifest.read_text().startswith("file appendonly.aof.1.incr.aof seq 1 type i")


@needs_redis
def test_redis_server_loads_a_resp_base_directory_as_its_own(tmp_path: Path, redis_in: Any) -> None:
    d = tmp_path / "embedis"
    b = embedis.Broker(dir=d, appendonly=True, appendfsync="everysec", save=[], aof_use_rdb_preamble=False)
    _busy_workload(b)
    b.bgrewriteaof()
    b._sync_persistence()
    b.rpush("after-rewrite", "z")
    want = dump(b)
    del b
    names = sorted(p.name for p in aof_dir(d).iterdir())
    assert names == ["appendonly.aof.1.base.aof", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"]
    check = subprocess.run([REDIS_CHECK_AOF, str(aof_dir(d) / "appendonly.aof.manifest")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    server = redis_in(d, "--appendonly", "yes", "--appenddirname", "appendonlydir")
    assert redis_dump(server.client) == want


@needs_redis
def test_embedis_loads_an_aof_written_by_redis_server(tmp_path: Path, redis_in: Any) -> None:
    d = tmp_path / "redis"
    d.mkdir()
    server = redis_in(d, "--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--appendfsync", "always")
    c = server.client
    c.rpush("q", *[f"m{i}" for i in range(100)])
    c.lpop("q", 3)
    c.blmove("q", "dst", 0.01, "RIGHT", "LEFT")
    c.set("s", "v", px=10_000_000)
    want = redis_dump(c)
    server.stop()
    b = embedis.Broker(dir=d, appendonly=True, save=[])
    assert dump(b) == want


def _zset_workload(b: Any) -> None:
    b.zadd("jobs", {f"job-{i}": 1_700_000_000 + i * 0.1 for i in range(200)})
    b.zadd("small", {"a": 1.1, "b": "-inf", "c": "inf", "d": -0.0, "e": 1 / 3})
    b.zincrby("small", 2.5, "a")
    b.zadd("small", {"a": 0}, gt=True)
    b.zrem("jobs", "job-7", "job-8")
    b.zpopmin("jobs", 3)
    b.zpopmax("jobs")


def _zsets(client: Any) -> dict[bytes, Any]:
    return {k: client.zrange(k, 0, -1, withscores=True) for k in (b"jobs", b"small")}


@needs_redis
def test_zsets_through_aof_redis_check_aof_pipe_and_rewrite(tmp_path: Path, redis_in: Any) -> None:
    d = tmp_path / "embedis"
    b = embedis.Broker(dir=d, appendonly=True, appendfsync="always", save=[], aof_use_rdb_preamble=False)
    _zset_workload(b)
    want = _zsets(b)
    assert b.object("encoding", "jobs") == b"skiplist" and b.object("encoding", "small") == b"listpack"
    incr = incr_files(d)[-1]
    check = subprocess.run([REDIS_CHECK_AOF, str(incr)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    server = redis_in(tmp_path)
    with incr.open("rb") as f:
        pipe = subprocess.run([REDIS_CLI, "-p", str(server.port), "--pipe"], stdin=f, capture_output=True, text=True, timeout=60)
    assert "errors: 0" in pipe.stdout, pipe.stdout
    assert _zsets(server.client) == want
    # The rewrite (ZADD batches, scores as %.17g) loads into redis-server as its own AOF,
    # and a snapshot-preamble reload gives the same scores bit for bit.
    b.bgrewriteaof()
    b._sync_persistence()
    del b
    again = embedis.Broker(dir=d, appendonly=True, appendfsync="always", save=[])
    assert _zsets(again) == want
    del again
    check = subprocess.run([REDIS_CHECK_AOF, str(aof_dir(d) / "appendonly.aof.manifest")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    loaded = redis_in(d, "--appendonly", "yes", "--appenddirname", "appendonlydir")
    assert _zsets(loaded.client) == want
    e = tmp_path / "snap"
    s = embedis.Broker(dir=e, appendonly=True, save=[])
    _zset_workload(s)
    s.bgrewriteaof()
    s._sync_persistence()
    del s
    assert _zsets(embedis.Broker(dir=e, appendonly=True, save=[])) == want
