"""``embedis serve``: a broker served over RESP, with redis-server's option names.

    embedis serve --port 6379 --dir /var/lib/queue --appendonly yes

Any Redis client (redis-py, redis-cli, redis-benchmark) can then connect. SIGTERM or
SIGINT (Ctrl-C) stop it gracefully: it stops accepting, lets connections finish their
replies, flushes the append-only file, and exits 0. A client's SHUTDOWN does the same.

Without ``--dir`` nothing is persisted (an in-memory broker, as ``Broker()``), unless
persistence is turned on (``--appendonly yes`` or ``--save`` rules), which then uses the
working directory, as redis-server does.
``--port 0`` means no TCP listener, as for redis-server (use ``--unixsocket``).
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import threading
from typing import Any

# redis-server options that are CONFIG parameters of the engine (`command/config.rs`).
_CONFIG = ("stream-node-max-entries", "stream-node-max-bytes", "hz", "notify-keyspace-events")
_PERSISTENCE = ("appendonly", "appendfsync", "save", "dbfilename", "appendfilename", "appenddirname")


def _yes_no(s: str) -> bool:
    v = s.lower()
    if v in ("yes", "y", "true", "1", "on"):
        return True
    if v in ("no", "n", "false", "0", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no, not {s!r}")


def _memory(s: str) -> int:
    """Redis's memory values: 512mb, 1gb, 100k, 4096."""
    units = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}
    v = s.strip().lower()
    digits = v.rstrip("kmgb")
    unit = v[len(digits) :]
    if not digits.isdigit() or unit not in units:
        raise argparse.ArgumentTypeError(f"expected a memory value such as 512mb, not {s!r}")
    return int(digits) * units[unit]


def add_parser(sub: Any) -> None:
    """Adds the ``serve`` subcommand to the CLI's subparsers."""
    p = sub.add_parser(
        "serve",
        help="serve a broker over RESP to any Redis client (redis-server's options)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--port", type=int, default=6379, help="TCP port (default 6379; 0: no TCP listener)")
    p.add_argument("--bind", nargs="+", default=["127.0.0.1"], metavar="ADDR", help="addresses to listen on (default 127.0.0.1)")
    p.add_argument("--unixsocket", metavar="PATH", help="also listen on this Unix socket")
    p.add_argument("--unixsocketperm", type=lambda s: int(s, 8), metavar="OCTAL", help="the socket file's mode, e.g. 700")
    p.add_argument("--requirepass", metavar="PASSWORD", help="clients must AUTH with this password")
    p.add_argument("--maxclients", type=int, default=10000, help="most connections at once (default 10000)")
    p.add_argument(
        "--protected-mode",
        type=_yes_no,
        default=True,
        metavar="yes|no",
        help="refuse non-loopback addresses without requirepass (default yes)",
    )
    p.add_argument("--proto-max-bulk-len", type=_memory, metavar="BYTES", help="largest request argument (default 512mb)")
    p.add_argument("--client-query-buffer-limit", type=_memory, metavar="BYTES", help="largest pending input per client (default 1gb)")
    p.add_argument(
        "--stream-node-max-entries",
        type=int,
        metavar="N",
        help="most entries in a stream node, deleted ones included (default 100; 0: no limit)",
    )
    p.add_argument(
        "--stream-node-max-bytes",
        type=_memory,
        metavar="BYTES",
        help="most bytes in a stream node, as Redis counts its listpack (default 4096; 0: no limit)",
    )
    p.add_argument("--hz", type=int, metavar="N", help="active expiry runs per second (default 10; 1 to 500)")
    p.add_argument(
        "--notify-keyspace-events",
        metavar="CLASSES",
        help='keyspace events to publish, as Redis: e.g. KEA (default "": none)',
    )
    p.add_argument("--dir", help="persistence directory (snapshot and append-only file)")
    p.add_argument("--appendonly", type=_yes_no, metavar="yes|no", help="keep an append-only file")
    p.add_argument("--appendfsync", choices=["always", "everysec", "no"], help="when the AOF is fsynced")
    p.add_argument(
        "--save",
        action="append",
        metavar='"SECONDS CHANGES ..."',
        help='snapshot rules, e.g. "3600 1 300 100"; "" for none',
    )
    p.add_argument("--maxmemory", type=_memory, metavar="BYTES", help="memory limit of the data, e.g. 512mb (default 0: none)")
    p.add_argument(
        "--maxmemory-policy",
        choices=["noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"],
        help="what to do over maxmemory (default noeviction: refuse writes that grow memory)",
    )
    p.add_argument("--maxmemory-samples", type=int, metavar="N", help="keys sampled per eviction (default 5)")
    p.add_argument("--dbfilename", help="snapshot file name (default dump.edb)")
    p.add_argument("--appendfilename", help="AOF file name prefix (default appendonly.aof)")
    p.add_argument("--appenddirname", help="AOF directory name (default appendonlydir)")
    p.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    """Runs ``embedis serve`` until SIGTERM, SIGINT or SHUTDOWN; returns the exit status."""
    from . import Broker
    from .exceptions import ResponseError

    options: dict[str, Any] = {}
    for name in _PERSISTENCE:
        value = getattr(args, name)
        if value is None:
            continue
        if name == "save":
            value = " ".join(v for v in value if v.strip())
        options[name] = value
    # As redis-server, persistence asked for without --dir uses the working directory; but
    # options that only turn it off (--save "", --appendonly no) do not ask for any.
    wants = bool(options.get("save")) or options.get("appendonly") is True
    if args.dir is not None:
        options["dir"] = args.dir
    elif wants:
        options["dir"] = "."
    else:
        options = {}
    for name in ("maxmemory", "maxmemory_policy", "maxmemory_samples"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    try:
        # Parameters of the one CONFIG table, set as CONFIG SET sets them (same checks),
        # before the directory loads, as redis-server reads its config file first.
        config = {n: getattr(args, n.replace("-", "_")) for n in _CONFIG}
        broker = Broker(**options, config={n: v for n, v in config.items() if v is not None})
        server = broker.serve(
            args.bind,
            args.port if args.port else None,
            unixsocket=args.unixsocket,
            unixsocketperm=args.unixsocketperm,
            requirepass=args.requirepass,
            maxclients=args.maxclients,
            protected_mode=args.protected_mode,
            proto_max_bulk_len=args.proto_max_bulk_len,
            client_query_buffer_limit=args.client_query_buffer_limit,
        )
    except (OSError, ValueError, ResponseError) as e:
        print(f"embedis serve: {e}", file=sys.stderr)
        return 1
    where = [f"{h}:{server.port}" for h in args.bind] if server.port else []
    if server.unixsocket:
        where.append(server.unixsocket)
    print(f"embedis serve: ready to accept connections on {', '.join(where)}", flush=True)

    stopping = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stopping.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        # Short waits with the GIL released, so the signal handlers run promptly.
        while not stopping.is_set() and not server.wait(0.2):
            pass
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    server.stop()
    broker._sync_persistence()
    # The last handles go: persistence writes what is buffered and closes its directory.
    del server, broker
    gc.collect()
    print("embedis serve: stopped", flush=True)
    return 0
