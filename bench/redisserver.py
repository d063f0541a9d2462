"""A throwaway redis-server on a unix socket in a temp dir, for the peer measurements."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from typing import Any

try:
    import redis as redis_py
except ImportError:  # pragma: no cover - redis-py is optional
    redis_py = None  # type: ignore[assignment]


def find_redis_server() -> str | None:
    """The redis-server binary, or None when it or redis-py is missing."""
    if redis_py is None:
        return None
    return shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)


class RedisServer:
    """``redis-server --port 0 --unixsocket DIR/redis.sock --save '' --appendonly no``.

    Started in the caller's CPU affinity (so a process under ``taskset`` gets a pinned
    server). Use as a context manager; ``stop()`` kills it and removes the temp dir."""

    def __init__(self, binary: str) -> None:
        self.dir = tempfile.mkdtemp(prefix="embedis-bench-redis-")
        self.sock = os.path.join(self.dir, "redis.sock")
        self.proc = subprocess.Popen(
            [
                binary,
                "--port", "0",
                "--unixsocket", self.sock,
                "--unixsocketperm", "700",
                "--save", "",
                "--appendonly", "no",
                "--dir", self.dir,
                "--logfile", os.path.join(self.dir, "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if os.path.exists(self.sock) and self.client().ping():
                    break
            except redis_py.ConnectionError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start (see {self.dir}/redis.log)")
            time.sleep(0.02)
        self.version = self.client().info("server")["redis_version"]

    def client(self) -> Any:
        """A new redis-py client (its own connection pool) on the server's socket."""
        return redis_py.Redis(unix_socket_path=self.sock)

    def rss_bytes(self) -> int:
        """The server's resident set size, read from /proc (not INFO's sampled value)."""
        with open(f"/proc/{self.proc.pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
